"""HIPS autograd's scalar cases (tests/test_scalar_ops.py, test_core.py, test_truediv.py,
test_direct.py), on autograd_ref.

Each row runs a peer case's function through our ``check_grads`` (``ad.jvp`` and ``ad.vjp`` to
second order against central differences) and, for float arguments, through ``ad.grad`` (the
Scalar engine) and ``ad.Dual``. Inputs come from a seeded generator in the ranges the peer uses.
Functions autograd_ref has no name for (log2, arcsinh, sinc, ...) are written from the ones it
has, and the row says so; the operations on the pending list (sign, log1p, ...) are in
test_ops_added_cases.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_ref as ad

from .gradcheck import check_grads, check_scalar_engines

RNG = np.random.default_rng(20240614)


def randn() -> float:
    return float(RNG.normal())


def rand() -> float:
    return float(RNG.uniform(0.05, 1.0))  # HIPS's npr.rand(), kept off 0 where 1/x or log is used


SCALAR_OPS = [
    ("test_scalar_ops.py::test_abs[1.1]", lambda x: 3.0 * ad.abs(x), (1.1,)),
    ("test_scalar_ops.py::test_abs[-1.1]", lambda x: 3.0 * ad.abs(x), (-1.1,)),
    ("test_scalar_ops.py::test_absolute", lambda x: 3.0 * ad.abs(x), (-0.7,)),
    ("test_scalar_ops.py::test_sin", lambda x: 3.0 * ad.sin(x), (randn(),)),
    ("test_scalar_ops.py::test_exp", lambda x: 3.0 * ad.exp(x), (randn(),)),
    ("test_scalar_ops.py::test_log", lambda x: 3.0 * ad.log(x), (abs(randn()) + 0.1,)),
    ("test_scalar_ops.py::test_log2 (as log(x)/log(2))",
     lambda x: 3.0 * ad.log(x) / math.log(2.0), (abs(randn()) + 0.1,)),
    ("test_scalar_ops.py::test_log10 (as log(x)/log(10))",
     lambda x: 3.0 * ad.log(x) / math.log(10.0), (abs(randn()) + 0.1,)),
    ("test_scalar_ops.py::test_exp2 (as 2**x)", lambda x: 3.0 * 2.0**x, (abs(randn()),)),
    ("test_scalar_ops.py::test_neg", lambda x: 3.0 * -x, (randn(),)),
    ("test_scalar_ops.py::test_cos", lambda x: 3.0 * ad.cos(x), (randn(),)),
    ("test_scalar_ops.py::test_tan", lambda x: 3.0 * ad.tan(x), (0.4,)),
    ("test_scalar_ops.py::test_tanh", lambda x: 3.0 * ad.tanh(x), (randn(),)),
    ("test_scalar_ops.py::test_arccosh (as log(x + sqrt(x*x - 1)))",
     lambda x: 3.0 * ad.log(x + ad.sqrt(x * x - 1.0)), (randn() ** 2 + 1.2,)),
    ("test_scalar_ops.py::test_arcsinh (as log(x + sqrt(x*x + 1)))",
     lambda x: 3.0 * ad.log(x + ad.sqrt(x * x + 1.0)), (randn(),)),
    ("test_scalar_ops.py::test_arctanh (as log((1 + x)/(1 - x))/2)",
     lambda x: 3.0 * 0.5 * ad.log((1.0 + x) / (1.0 - x)), (0.2,)),
    ("test_scalar_ops.py::test_sqrt", lambda x: 3.0 * ad.sqrt(x), (10.0 * rand(),)),
    ("test_scalar_ops.py::test_power_arg0", lambda x: x ** 1.7, (rand() ** 2 + 1.0,)),
    ("test_scalar_ops.py::test_power_arg1", lambda y: 0.8**y, (rand() ** 2,)),
    ("test_scalar_ops.py::test_divide_arg0", lambda x, y: x / y, (rand(), rand())),
    ("test_scalar_ops.py::test_multiply_arg0", lambda x, y: x * y, (rand(), rand())),
    ("test_scalar_ops.py::test_true_divide_arg1", lambda x, y: x / y, (rand(), rand())),
    ("test_scalar_ops.py::test_reciprocal", lambda x: 1.0 / x, (rand(),)),
    ("test_scalar_ops.py::test_negative", lambda x: -x, (rand(),)),
    ("test_scalar_ops.py::test_rad2deg (as x * 180/pi)",
     lambda x: 3.0 * x * (180.0 / math.pi), (10.0 * rand(),)),
    ("test_scalar_ops.py::test_deg2rad (as x * pi/180)",
     lambda x: 3.0 * x * (math.pi / 180.0), (10.0 * rand(),)),
    ("test_scalar_ops.py::test_sinc (as sin(pi x)/(pi x))",
     lambda x: 3.0 * ad.sin(math.pi * x) / (math.pi * x), (10.0 * rand(),)),
    # test_core.py: core operators without the numpy wrapper, at (0.7, 1.8)
    ("test_core.py::test_add", lambda x, y: x + y, (0.7, 1.8)),
    ("test_core.py::test_sub", lambda x, y: x - y, (0.7, 1.8)),
    ("test_core.py::test_div", lambda x, y: x / y, (0.7, 1.8)),
    ("test_core.py::test_mul", lambda x, y: x * y, (0.7, 1.8)),
    ("test_core.py::test_pow", lambda x, y: x**y, (0.7, 1.8)),
    ("test_truediv.py::test_div (floats)", lambda x, y: x / y, (1.3, -0.9)),
]  # fmt: skip


@pytest.mark.parametrize(("case", "f", "args"), SCALAR_OPS, ids=[c[0] for c in SCALAR_OPS])
def test_scalar_op_all_modes(case, f, args):
    """HIPS autograd tests/<case>: check_grads(fun)(*args), fwd and rev, to second order."""
    check_grads(f, *args)
    check_scalar_engines(f, *args)


def test_abs_at_zero_first_order():
    """HIPS autograd tests/test_scalar_ops.py::test_abs (order=1 at 0.0): the subgradient 0."""
    f = lambda x: 3.0 * ad.abs(x)  # noqa: E731
    check_grads(f, 0.0, order=1)
    assert ad.grad(f)(0.0) == 0.0


def test_power_arg0_zero_exponent():
    """HIPS autograd tests/test_scalar_ops.py::test_power_arg0 (y == 0 special case, HIPS #116):
    d/dx x**0 is 0 at x = 0, and so is the second derivative; no nan."""
    f = lambda x: x**0.0  # noqa: E731
    assert ad.grad(f)(0.0) == 0.0
    assert ad.grad(ad.grad(f))(0.0) == 0.0
    assert float(ad.grad(f)(np.array(0.0))) == 0.0


def test_power_arg1_zero_base():
    """HIPS autograd tests/test_scalar_ops.py::test_power_arg1_zero: d/dy 0**y = 0 for y > 0
    (0**y is identically 0 there); the gradient must be 0, not nan."""
    y = 0.49  # HIPS draws npr.rand()**2; any y > 0 will do
    assert ad.grad(lambda y: 0.0**y)(y) == 0.0
    assert float(ad.grad(lambda y: (0.0**y).sum())(np.array([y, 2 * y]))[0]) == 0.0
    check_grads(lambda y: 0.0**y, y)


@pytest.mark.parametrize(
    ("name", "op"),
    [
        ("test_eq", lambda x, y: x == y),
        ("test_neq", lambda x, y: x != y),
        ("test_leq", lambda x, y: x <= y),
        ("test_geq", lambda x, y: x >= y),
        ("test_lt", lambda x, y: x < y),
        ("test_gt", lambda x, y: x > y),
    ],
)
def test_comparisons_have_zero_gradient(name, op):
    """HIPS autograd tests/test_core.py::<name>: a comparison is piecewise constant, so a
    function that uses it only as a 0/1 value has derivative 0 in both arguments."""
    g = ad.grad(lambda x, y: 2.0 * x - x + float(op(x, y)), argnums=(0, 1))(0.7, 1.8)
    assert g == (1.0, 0.0)
    ga = ad.grad(lambda x, y: (x * 0.0 + np.asarray(op(x, y), float)).sum(), argnums=(0, 1))(
        np.array([0.7, 2.0]), np.array([1.8, 1.0])
    )
    assert np.array_equal(ga[0], [0.0, 0.0]) and np.array_equal(ga[1], [0.0, 0.0])


def direct_fun(x):
    return (x + ad.sin(x**2)) * x


def test_direct_grad():
    """HIPS autograd tests/test_direct.py::test_grad: the value 3.190948746871 at 1.3 (1e-6)."""
    assert abs(ad.grad(direct_fun)(1.3) - 3.190948746871) < 1e-6
    assert abs(float(ad.grad(direct_fun)(np.array(1.3))) - 3.190948746871) < 1e-6


def test_direct_deriv():
    """HIPS autograd tests/test_direct.py::test_deriv: the same value by forward mode."""
    assert abs(ad.jvp(direct_fun, (1.3,), (1.0,))[1] - 3.190948746871) < 1e-6
    assert abs(direct_fun(ad.Dual(1.3, 1.0)).tangent - 3.190948746871) < 1e-6


def test_direct_grad_complex_output_raises():
    """HIPS autograd tests/test_direct.py::test_grad_complex_output: grad of a complex-valued
    function is an error (TypeError), not a silently real answer."""
    with pytest.raises(TypeError):
        ad.grad(lambda x: x * (1.0 + 0.2j))(1.0)
