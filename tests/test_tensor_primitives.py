"""Every Tensor primitive: VJP, JVP and the second derivatives its rules give, against central
differences on seeded random inputs (tolerance and step in tests/tensor_cases.py)."""

from __future__ import annotations

import numpy as np
import pytest
from tensor_cases import (
    CASES,
    assert_close_fd,
    central_directional,
    central_gradient,
    plain,
)

import autograd_ref as ad
from autograd_ref import (
    array_ops,
    elementwise,
    elementwise_extra,
    linalg,
    linalg_ops,
    modes,
    primitives,
)
from autograd_ref.rules import Rule

# Every row the library itself defines (a test may add its own rows to the shared table).
LIBRARY_ROWS = {
    r.name
    for module in (elementwise, elementwise_extra, primitives, modes, array_ops, linalg_ops, linalg)
    for r in vars(module).values()
    if isinstance(r, Rule)
}

IDS = [f"{c.primitive}:{c.label}" for c in CASES]


def test_every_primitive_has_a_case():
    covered = {c.primitive for c in CASES}
    assert covered == LIBRARY_ROWS, f"untested: {LIBRARY_ROWS - covered}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vjp_matches_central_differences(case):
    rng = np.random.default_rng(1)
    xs = case.inputs(rng)
    f = plain(case.fn)
    u = rng.normal(size=np.shape(f(*xs)))  # a random cotangent
    leaves = [ad.Tensor(x, requires_grad=True) for x in xs]
    out = case.fn(*leaves)
    assert out.shape == u.shape
    out.backward(u)

    def phi(arrays):
        return float(np.sum(u * f(*arrays)))

    for i, (leaf, fd) in enumerate(zip(leaves, central_gradient(phi, xs), strict=True)):
        assert leaf.grad is not None and leaf.grad.shape == xs[i].shape
        assert_close_fd(leaf.grad, fd, f"{case.label}: d/dx{i}")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_matches_central_differences(case):
    rng = np.random.default_rng(2)
    xs = case.inputs(rng)
    ts = [rng.normal(size=x.shape) for x in xs]
    out, tangent = ad.jvp(case.fn, xs, ts)
    f = plain(case.fn)
    assert_close_fd(out, f(*xs), f"{case.label}: jvp primal", tol=1e-15)
    assert_close_fd(tangent, central_directional(f, xs, ts), f"{case.label}: jvp tangent")


@pytest.mark.parametrize("case", [c for c in CASES if c.second_order], ids=None)
def test_rules_give_second_derivatives(case):
    """The VJP rules are Tensor code: differentiating the gradient again must be right too.

    phi(x) = sum(u * f(x)); its gradient from ad.grad is compared, in a random direction v, with
    central differences of that gradient, by reverse over reverse (grad of <grad phi, v>) and by
    forward over reverse (jvp of grad phi).
    """
    rng = np.random.default_rng(3)
    xs = case.inputs(rng)
    u = rng.normal(size=np.shape(plain(case.fn)(*xs)))
    vs = [rng.normal(size=x.shape) for x in xs]
    argnums = tuple(range(len(xs)))

    def phi(*args):
        return (case.fn(*args) * u).sum()

    gradient = ad.grad(phi, argnums)

    def along_v(*args):  # <grad phi(args), v>
        return sum((g * v).sum() for g, v in zip(gradient(*args), vs, strict=True))

    def flat_gradient(*arrays):
        return np.concatenate([g.ravel() for g in gradient(*arrays)])

    expected = central_directional(flat_gradient, xs, vs)  # H v, all inputs stacked
    hv_reverse = np.concatenate([g.ravel() for g in ad.grad(along_v, argnums)(*xs)])
    _, hv_forward = ad.jvp(lambda *a: ad.concatenate([g.reshape(-1) for g in gradient(*a)]),
                           xs, vs)  # fmt: skip
    assert_close_fd(hv_reverse, expected, f"{case.label}: reverse over reverse", tol=1e-5)
    assert_close_fd(hv_forward, expected, f"{case.label}: forward over reverse", tol=1e-5)
