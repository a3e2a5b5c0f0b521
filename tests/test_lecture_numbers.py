"""The lectures' worked numbers, reproduced exactly by the reference library.

Every number here is quoted in the lecture decks and recomputed in ../shared/facts.md (IEEE
double). The lectures print them from ``autograd_ref``; if one of these tests fails, a lecture's
prose no longer matches its code. Exact equality is intended: the engines evaluate the same
floating-point operations in the same order as the hand-worked traces.
"""

from __future__ import annotations

import math

import pytest

import autograd_ref as ad
from autograd_ref import finite_diff as fd

# f(x1, x2) = ln(x1) + x1*x2 - sin(x2) at (2, 5)
LECTURE_VALUE = 11.652071455223084
LECTURE_GRADIENT = (5.5, 1.7163378145367738)


def lecture_f(x1, x2):
    return ad.log(x1) + x1 * x2 - ad.sin(x2)


def test_lecture_function_on_floats():
    assert lecture_f(2.0, 5.0) == LECTURE_VALUE


def test_lecture_function_reverse_mode_scalar():
    x1, x2 = ad.Scalar(2.0), ad.Scalar(5.0)
    y = lecture_f(x1, x2)
    y.backward()
    assert y.value == LECTURE_VALUE
    assert (x1.grad, x2.grad) == LECTURE_GRADIENT
    assert y.grad == 1.0  # the seed


def test_lecture_function_intermediate_adjoints():
    """The adjoint trace: v1 = ln x1, v2 = x1 x2, v3 = sin x2, v4 = v1 + v2, v5 = v4 - v3."""
    x1, x2 = ad.Scalar(2.0), ad.Scalar(5.0)
    v1, v2, v3 = ad.log(x1), x1 * x2, ad.sin(x2)
    v4 = v1 + v2
    v5 = v4 - v3
    v5.backward()
    assert (v1.value, v2.value, v3.value, v4.value) == (
        0.6931471805599453,
        10.0,
        -0.9589242746631385,
        10.693147180559945,
    )
    assert (v5.grad, v4.grad, v1.grad, v2.grad, v3.grad) == (1.0, 1.0, 1.0, 1.0, -1.0)
    assert (x1.grad, x2.grad) == LECTURE_GRADIENT


@pytest.mark.parametrize("seed, expected", [((1.0, 0.0), 5.5), ((0.0, 1.0), 1.7163378145367738)])
def test_lecture_function_forward_mode_dual(seed, expected):
    y = lecture_f(ad.Dual(2.0, seed[0]), ad.Dual(5.0, seed[1]))
    assert y.primal == LECTURE_VALUE
    assert y.tangent == expected


def test_lecture_function_tangent_trace_intermediates():
    """The tangent trace seeded with x-dot = (0, 1): v3-dot is cos 5."""
    x1, x2 = ad.Dual(2.0, 0.0), ad.Dual(5.0, 1.0)
    v1, v2, v3 = ad.log(x1), x1 * x2, ad.sin(x2)
    assert (v1.tangent, v2.tangent, v3.tangent) == (0.0, 2.0, 0.28366218546322625)
    x1, x2 = ad.Dual(2.0, 1.0), ad.Dual(5.0, 0.0)
    v1, v2, v3 = ad.log(x1), x1 * x2, ad.sin(x2)
    assert (v1.tangent, v2.tangent, v3.tangent, (v1 + v2).tangent) == (0.5, 5.0, 0.0, 5.5)


def test_lecture_function_grad_transform():
    value, gradient = ad.value_and_grad(lecture_f, argnums=(0, 1))(2.0, 5.0)
    assert value == LECTURE_VALUE
    assert gradient == LECTURE_GRADIENT
    assert ad.grad(lecture_f)(2.0, 5.0) == 5.5
    assert ad.grad(lecture_f, argnums=1)(2.0, 5.0) == 1.7163378145367738


def test_forward_difference_of_square_with_tiny_step():
    """x**2 at 2 with h = 1e-12: the step actually taken is (2 + h) - 2, not h."""
    assert fd.forward_difference(lambda x: x**2, 2.0, 1e-12) == 4.000355602329364
    assert (2.0 + 1e-12) - 2.0 == 1.000088900582341e-12
    # The central difference happens to give the same number here (facts.md).
    assert fd.central_difference(lambda x: x**2, 2.0, 1e-12) == 4.000355602329364


def test_power_of_two_step_is_exact_by_luck():
    """h = 2**-26 (about sqrt(eps)) gives exactly 4 for x**2 at 2: a poor truncation demo."""
    # Truncation error says 4 + h; rounding (2 + h)**2 to a double drops the h**2 term.
    assert fd.forward_difference(lambda x: x**2, 2.0, 2.0**-26) == 4.0
    assert fd.central_difference(lambda x: x**2, 2.0, 2.0**-26) == 4.0
    # exp at 1 shows the truncation error instead: about h e / 2 for the forward difference.
    err = fd.forward_difference(math.exp, 1.0, 1e-4) - math.e
    assert err == pytest.approx(1.36e-4, rel=0.01)


def xxy(x, y):
    return x**2 * y + y + 2


def test_partial_derivatives_by_forward_difference():
    """f = x**2 y + y + 2 at (3, 2) with eps = 1e-6: the lecture's numbers are forward
    differences (exact partials 12 and 10); central and backward give other digits."""
    dfdx = fd.forward_difference(lambda x: xxy(x, 2.0), 3.0, 1e-6)
    dfdy = fd.forward_difference(lambda y: xxy(3.0, y), 2.0, 1e-6)
    assert (dfdx, dfdy) == (12.000002001855137, 10.000000003174137)
    central = fd.central_difference(lambda x: xxy(x, 2.0), 3.0, 1e-6)
    backward = fd.backward_difference(lambda x: xxy(x, 2.0), 3.0, 1e-6)
    assert central != dfdx and backward != dfdx
    # The same numbers from the vector routine (n + 1 evaluations).
    g = fd.gradient(lambda v: xxy(v[0], v[1]), [3.0, 2.0], method="forward", h=1e-6)
    assert tuple(g) == (12.000002001855137, 10.000000003174137)
    # and the exact partials from every AD route
    assert ad.grad(xxy, argnums=(0, 1))(3.0, 2.0) == (12.0, 10.0)
    assert xxy(ad.Dual(3.0, 1.0), ad.Dual(2.0)).tangent == 12.0
    assert xxy(ad.Dual(3.0), ad.Dual(2.0, 1.0)).tangent == 10.0


def test_machine_epsilon_figures():
    assert fd.EPS == 2.220446049250313e-16
    assert f"{math.sqrt(fd.EPS):.3g}" == "1.49e-08"
    assert f"{fd.EPS ** (1 / 3):.3g}" == "6.06e-06"
