"""HIPS autograd's cases for numpy's other elementwise functions (log2, exp2, sinc, floor, mod,
arctan2, hypot, logaddexp, ...), on the rows of autograd_ref.elementwise_extra.

Three peer files exercise them:

* tests/test_scalar_ops.py: one float each, through ``check_grads`` (here: ``ad.jvp`` and
  ``ad.vjp`` to second order, gradcheck.py) and, for floats, the Scalar engine and ``ad.Dual``;
* tests/test_systematic.py: ``unary_ufunc_check`` and ``binary_ufunc_check`` run a function on a
  number, a vector, a matrix and a 1-row matrix (every broadcasting pair for two inputs), with
  inputs mapped into the case's limits. The peer's complex variants check holomorphic gradients on
  complex arrays, which autograd_ref's Tensors do not carry; here a complex variant checks the
  value against numpy and the complex-step derivative against central differences, and a case the
  peer marks ``test_complex=False`` checks that complex input is refused with a clear message;
* tests/test_binary_ops.py: ``arctan2``, ``hypot`` and ``%`` over ``arg_pairs()``.

Tolerance: gradcheck's ``|ad - fd| <= 1e-6 (1 + |fd|)`` with central differences of step 1e-6.
Inputs come from one seeded generator; inputs to floor and mod are checked to lie clear of the
jumps (1e-3 from them), where central differences see a smooth function.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import autograd_ref as ad

from .gradcheck import check_grads, check_scalar_engines

RNG = np.random.default_rng(20261206)
JUMP_CLEARANCE = 1e-3


def rand(*shape):
    return RNG.uniform(size=shape) if shape else float(RNG.uniform())


def transform(lims, x):
    """The peer's ``transform``: ``x`` in [0, 1) mapped linearly into ``lims``."""
    lo, hi = lims
    return lo + (hi - lo) * x


def assert_clear_of_jumps(values) -> None:
    """Precondition for piecewise functions: no value within JUMP_CLEARANCE of an integer."""
    v = np.asarray(values, dtype=float)
    distance = np.abs(v - np.round(v))
    assert np.all(distance > JUMP_CLEARANCE), f"test input too close to a jump: {v}"


# ----------------------------------------------------------------- tests/test_scalar_ops.py
def _positive_normal() -> float:
    return abs(float(RNG.normal())) + 0.05  # the peer's abs(npr.randn()), kept off 0 for log


SCALAR_OPS = [
    ("test_log2", lambda x: 3.0 * ad.log2(x), (_positive_normal(),)),
    ("test_log10", lambda x: 3.0 * ad.log10(x), (_positive_normal(),)),
    ("test_exp2", lambda x: 3.0 * ad.exp2(x), (_positive_normal(),)),
    ("test_mod_arg0", ad.mod, (rand() + 1.3, rand() * 0.5 + 0.2)),
    ("test_mod_arg1", ad.mod, (rand() + 2.1, rand() * 0.5 + 0.2)),
    ("test_reciprocal", ad.reciprocal, (rand() + 0.1,)),
    ("test_rad2deg", lambda x: 3.0 * ad.rad2deg(x), (10.0 * rand(),)),
    ("test_deg2rad", lambda x: 3.0 * ad.deg2rad(x), (10.0 * rand(),)),
    ("test_radians (deg2rad)", lambda x: 3.0 * ad.deg2rad(x), (10.0 * rand(),)),
    ("test_sinc", lambda x: 3.0 * ad.sinc(x), (10.0 * rand(),)),
]


@pytest.mark.parametrize(("case", "f", "args"), SCALAR_OPS, ids=[c[0] for c in SCALAR_OPS])
def test_scalar_op(case, f, args):
    """HIPS autograd tests/test_scalar_ops.py::<case>: check_grads(fun)(x), every mode."""
    if "mod" in case:
        assert_clear_of_jumps(args[0] / args[1])
    check_grads(f, *args)
    check_scalar_engines(f, *args)


def test_sinc_at_zero():
    """HIPS autograd tests/test_scalar_ops.py::test_sinc evaluates away from 0, where its rule
    divides by x; here sinc'(0) = 0 and sinc''(0) = -π²/3 (1e-12), in every engine."""
    assert ad.grad(ad.sinc)(0.0) == 0.0
    assert abs(ad.grad(ad.grad(ad.sinc))(0.0) + math.pi**2 / 3) < 1e-12
    assert ad.sinc(ad.Dual(0.0, 1.0)).tangent == 0.0
    _, tangent = ad.jvp(ad.sinc, [np.zeros(3)], [np.ones(3)])
    assert np.array_equal(tangent, np.zeros(3))
    check_grads(ad.sinc, np.array([0.0, 1e-4, -0.005, 0.02, 0.5]))


# ----------------------------------------------------------------- tests/test_systematic.py
def unary_inputs(lims):
    """The peer's unary_ufunc_check inputs: a number, a vector, a matrix, a 1-row matrix."""
    return [transform(lims, 0.4), transform(lims, rand(2)), transform(lims, rand(3, 2)),
            transform(lims, rand(1, 2))]  # fmt: skip


UNARY_CASES = [  # (peer test, function, lims, numpy's own function if it takes complex input)
    ("test_ceil", ad.ceil, (-1.5, 1.5), None),
    ("test_deg2rad", ad.deg2rad, (-2.0, 2.0), None),
    ("test_degrees (rad2deg / 50)", lambda x: ad.rad2deg(x) / 50.0, (-2.0, 2.0), None),
    ("test_exp2", ad.exp2, (-2.0, 2.0), np.exp2),
    ("test_floor", ad.floor, (-1.5, 1.5), None),
    ("test_log10", ad.log10, (0.2, 2.0), np.log10),
    ("test_log2", ad.log2, (0.2, 2.0), np.log2),
    ("test_rad2deg", lambda x: ad.rad2deg(x) / 50.0, (-2.0, 2.0), None),
    ("test_radians (deg2rad)", ad.deg2rad, (-2.0, 2.0), None),
    ("test_square", ad.square, (-2.0, 2.0), None),
]


@pytest.mark.parametrize(("case", "f", "lims", "np_f"), UNARY_CASES,
                         ids=[c[0] for c in UNARY_CASES])  # fmt: skip
def test_unary_ufunc(case, f, lims, np_f):
    """HIPS autograd tests/test_systematic.py::<case> (unary_ufunc_check)."""
    for x in unary_inputs(lims):
        if case in ("test_ceil", "test_floor"):
            assert_clear_of_jumps(x)
        check_grads(f, x)
    if np_f is not None:  # the complex variant: numpy's value, and the complex step
        z = transform(lims, 0.4) + 0.1j * transform(lims, 0.3)
        assert abs(f(z) - np_f(z)) <= 1e-14 * abs(np_f(z))
        x, h = transform(lims, 0.4), 1e-20
        slope = f(complex(x, h)).imag / h
        assert abs(slope - ad.grad(f)(x)) <= 1e-12 * (1.0 + abs(slope))


@pytest.mark.parametrize("f", [ad.ceil, ad.floor, ad.deg2rad, ad.rad2deg, ad.cbrt, ad.trunc],
                         ids=lambda f: f.__name__)  # fmt: skip
def test_real_only_unary_refuses_complex(f):
    """The peer's test_complex=False cases: numpy has no complex form; the error says so."""
    for z in (0.4 + 0.1j, np.array([0.4 + 0.1j, 1.0])):
        with pytest.raises(TypeError, match=f"{f.__name__} is not defined for complex numbers"):
            f(z)


def binary_inputs(lims_a, lims_b, same_args: bool):
    """The peer's binary_ufunc_check inputs: A and B lists of a number, a vector (2,), a matrix
    (3, 2) and a 1-row matrix (1, 2); without ``same_args`` A and B are drawn separately."""
    base = [0.6, rand(2), rand(3, 2), rand(1, 2)]
    other = base if same_args else [0.7, rand(2), rand(3, 2), rand(1, 2)]
    return ([transform(lims_a, x) for x in base], [transform(lims_b, x) for x in other])


BINARY_CASES = [  # (peer test, function, lims_A, lims_B, same args)
    ("test_logaddexp", ad.logaddexp, (-2.0, 2.0), (-2.0, 2.0), True),
    ("test_logaddexp2", ad.logaddexp2, (-2.0, 2.0), (-2.0, 2.0), True),
    ("test_remainder", ad.remainder, (-0.9, 0.9), (0.7, 1.9), False),
    ("test_mod", ad.mod, (-2.0, 2.0), (0.8, 2.1), False),
    ("test_mod_neg", ad.mod, (-2.0, 2.0), (-0.3, -2.0), False),
    ("test_op_mod (ad.mod for %)", ad.mod, (-2.0, 2.0), (0.3, 2.0), False),
    ("test_op_mod_neg (ad.mod for %)", ad.mod, (-2.0, 2.0), (-0.3, -2.0), False),
    ("fmod, as test_mod", ad.fmod, (-2.0, 2.0), (0.8, 2.1), False),
    ("arctan2, as test_logaddexp", ad.arctan2, (-2.0, 2.0), (-2.0, 2.0), True),
    ("hypot, as test_logaddexp", ad.hypot, (-2.0, 2.0), (-2.0, 2.0), True),
]


@pytest.mark.parametrize(("case", "f", "lims_a", "lims_b", "same"), BINARY_CASES,
                         ids=[c[0] for c in BINARY_CASES])  # fmt: skip
def test_binary_ufunc(case, f, lims_a, lims_b, same):
    """HIPS autograd tests/test_systematic.py::<case> (binary_ufunc_check[_no_same_args]): all
    16 broadcasting pairs of (number, vector, matrix, 1-row matrix), both inputs."""
    xs, ys = binary_inputs(lims_a, lims_b, same)
    for x, y in itertools.product(xs, ys):
        if f in (ad.mod, ad.fmod):
            assert_clear_of_jumps(np.asarray(x) / np.asarray(y))
        check_grads(f, x, y)


@pytest.mark.parametrize("f", [ad.arctan2, ad.hypot, ad.logaddexp, ad.logaddexp2, ad.mod,
                               ad.fmod], ids=lambda f: f.__name__)  # fmt: skip
def test_binary_refuses_complex(f):
    """The peer's test_complex=False for these: numpy has no complex form; the error says so."""
    for a, b in ((0.6 + 0.3j, 0.5), (np.array([0.6 + 0.3j]), np.array([0.5]))):
        with pytest.raises(TypeError, match="not defined for complex numbers"):
            f(a, b)


# ----------------------------------------------------------------- tests/test_binary_ops.py
def arg_pairs():
    """The peer's arg_pairs(): every pair of 2.0, a (4,) vector, a (3, 4) and a (1, 4) matrix."""
    rng = np.random.default_rng(0)
    args = [2.0, rng.normal(size=4), rng.normal(size=(3, 4)), rng.normal(size=(1, 4))]
    return list(itertools.product(args, args))


def test_mod():
    """HIPS autograd tests/test_binary_ops.py::test_mod: x % y (as ad.mod) with both moved away
    from zero by sqrt(x² + 0.5), except where x is y (the gradient is undefined there)."""
    gap = lambda x: np.sqrt(np.asarray(x) ** 2 + 0.5)  # noqa: E731
    for a, b in arg_pairs():
        if a is not b:
            x, y = gap(a), gap(b)
            assert_clear_of_jumps(x / y)
            check_grads(ad.mod, x, y)


def test_arctan2():
    """HIPS autograd tests/test_binary_ops.py::test_arctan2 over arg_pairs()."""
    for a, b in arg_pairs():
        check_grads(ad.arctan2, a, b)


def test_hypot():
    """HIPS autograd tests/test_binary_ops.py::test_hypot over arg_pairs() (the peer checks
    reverse mode only; both modes here)."""
    for a, b in arg_pairs():
        check_grads(ad.hypot, a, b)


def test_mod_derivatives_are_one_and_minus_floor():
    """The rule the peer's mod cases check numerically, stated exactly: d/da = 1 and
    d/db = -floor(a/b) (fmod: -trunc(a/b)), on floats, Scalars, Duals and Tensors."""
    a, b = -2.3, 0.7  # a/b = -3.29: floor -4, trunc -3
    assert ad.grad(ad.mod, argnums=(0, 1))(a, b) == (1.0, 4.0)
    assert ad.grad(ad.fmod, argnums=(0, 1))(a, b) == (1.0, 3.0)
    assert ad.mod(ad.Dual(a, 0.0), ad.Dual(b, 1.0)).tangent == 4.0
    ta, tb = ad.Tensor(np.array([a, 2.3]), requires_grad=True), ad.Tensor(b, requires_grad=True)
    ad.mod(ta, tb).sum().backward()
    assert np.array_equal(ta.grad, [1.0, 1.0]) and float(tb.grad) == 4.0 - 3.0
    assert ad.mod(a, b) == pytest.approx(np.mod(a, b), abs=1e-15)
    assert ad.fmod(a, b) == pytest.approx(np.fmod(a, b), abs=1e-15)
