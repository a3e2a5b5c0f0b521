"""Check a function's derivatives in every mode against central differences.

HIPS autograd's suites lean on one helper, ``check_grads(fun)(*args)``: it compares forward and
reverse mode against numerical directional derivatives, to second order. This is our own version
written for autograd_ref's public API, so one line per peer case checks ``ad.jvp`` (forward, on
Tensors), ``ad.vjp`` (reverse, on Tensors) and, nested, their second derivatives.

Tolerance: central differences with step ``H = 1e-6`` have truncation error ~``H**2 |f'''|`` and
round-off ~``1e-16 |f| / H`` (about 1e-10 for the values used), so ``|ad - fd| <= 1e-6 (1 + |fd|)``
leaves a wide margin yet catches any wrong rule (those are off by O(1)). Directions and
cotangents are drawn from a seeded generator, so a failure reproduces exactly.

This module holds no tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

import autograd_ref as ad

H = 1e-6
TOL = 1e-6


def assert_close(got, want, what: str = "value", tol: float = TOL) -> None:
    """Entrywise ``|got - want| <= tol * (1 + |want|)``, with shapes equal."""
    got = np.asarray(got.data if isinstance(got, ad.Tensor) else got, dtype=np.float64)
    want = np.asarray(want.data if isinstance(want, ad.Tensor) else want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    err = np.abs(got - want) / (1.0 + np.abs(want))
    assert np.all(err <= tol), f"{what}: max relative error {err.max():.3g}\n{got}\nvs\n{want}"


def plain(value) -> np.ndarray:
    """A result (float, array or Tensor) as a float64 array."""
    return np.asarray(value.data if isinstance(value, ad.Tensor) else value, dtype=np.float64)


def inner(a, b):
    """``sum(a * b)``, staying differentiable when ``a`` is a Tensor."""
    p = a * b
    return p.sum() if isinstance(p, ad.Tensor) else float(np.sum(p))


def inner_all(xs: Sequence, ys: Sequence):
    total = 0.0
    for x, y in zip(xs, ys, strict=True):
        total = total + inner(x, y)
    return total


def _like(x, rng: np.random.Generator):
    if isinstance(x, float):
        return float(rng.normal())
    return rng.normal(size=np.shape(x))


def _shift(args: Sequence, dirs: Sequence, step: float) -> list:
    moved = []
    for x, u in zip(args, dirs, strict=True):
        y = x + step * u
        moved.append(float(y) if isinstance(x, float) else y)
    return moved


def numeric_directional(f: Callable, args: Sequence, dirs: Sequence) -> np.ndarray:
    """``(f(x + H u) - f(x - H u)) / 2H``: the derivative of ``f`` at ``args`` along ``dirs``."""
    return (plain(f(*_shift(args, dirs, H))) - plain(f(*_shift(args, dirs, -H)))) / (2 * H)


def _normalise(args: Sequence) -> tuple:
    out = []
    for a in args:
        if isinstance(a, (int, float, np.floating)) and not isinstance(a, bool):
            out.append(float(a))
        else:
            out.append(np.array(a, dtype=np.float64))
    return tuple(out)


def check_grads(
    f: Callable,
    *args,
    modes: Sequence[str] = ("fwd", "rev"),
    order: int = 2,
    seed: int = 0,
    tol: float = TOL,
) -> None:
    """Forward (``ad.jvp``) and reverse (``ad.vjp``) derivatives of ``f`` agree with central
    differences along seeded random directions, and so do their derivatives up to ``order``."""
    args = _normalise(args)
    rng = np.random.default_rng(seed)
    dirs = tuple(_like(a, rng) for a in args)
    out = plain(f(*args))
    cotangent = rng.normal(size=out.shape)
    expected = numeric_directional(f, args, dirs)
    if "fwd" in modes:
        _, tangent = ad.jvp(f, args, dirs)
        assert_close(tangent, expected, f"jvp (order {order})", tol)
    if "rev" in modes:
        _, pullback = ad.vjp(f, *args)
        got = inner_all(pullback(cotangent), dirs)
        assert_close(got, np.sum(cotangent * expected), f"vjp (order {order})", tol)
    if order <= 1:
        return
    if "rev" in modes:

        def vjp_along(*xs):
            return inner_all(ad.vjp(f, *xs)[1](cotangent), dirs)

        check_grads(vjp_along, *args, modes=modes, order=order - 1, seed=seed + 1, tol=tol)
    if "fwd" in modes:

        def jvp_along(*xs):
            return ad.jvp(f, xs, dirs)[1]

        check_grads(jvp_along, *args, modes=modes, order=order - 1, seed=seed + 1, tol=tol)


def check_scalar_engines(f: Callable, *xs: float, tol: float = TOL) -> None:
    """For float arguments: ``ad.grad`` (the Scalar engine) and ``ad.Dual`` (forward mode) give
    the partial derivatives central differences give."""
    xs = tuple(float(x) for x in xs)
    n = len(xs)
    partials = []
    for i in range(n):
        unit = [0.0] * n
        unit[i] = 1.0
        partials.append(float(numeric_directional(f, xs, unit)))
    got = ad.grad(f, argnums=tuple(range(n)))(*xs)
    assert_close(np.array(got), np.array(partials), "grad (Scalar engine)", tol)
    for i in range(n):
        duals = [ad.Dual(x, 1.0 if j == i else 0.0) for j, x in enumerate(xs)]
        out = f(*duals)
        tangent = out.tangent if isinstance(out, ad.Dual) else 0.0
        assert_close(tangent, partials[i], f"Dual tangent, argument {i}", tol)
