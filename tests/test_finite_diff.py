"""ad.finite_diff: difference quotients, their error, default steps, gradients and checks."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest

import autograd_ref as ad
from autograd_ref import finite_diff as fd

EPS = float(np.finfo(float).eps)
STEPS = 10.0 ** (-np.arange(4, 65) / 4)  # 1e-1 down to 1e-16, four per decade

ONE_SIDED = {"forward": fd.forward_difference, "backward": fd.backward_difference}


def error_curve(method, f, df, x):
    return np.array([abs(method(f, x, h) - df) for h in STEPS])


# ------------------------------------------------------------------------ the error curve


FUNCTIONS = pytest.mark.parametrize(
    "f, df", [(math.exp, math.e), (math.sin, math.cos(1.0))], ids=["exp", "sin"]
)


def assert_v_shaped(errors, h_star, best_error):
    """The error curve's minimum lies within a decade of h_star, is at most 10 * best_error,
    and a thousandfold step change either way (truncation vs round-off) costs over 30x."""
    i = int(np.argmin(errors))
    assert h_star / 10 <= STEPS[i] <= h_star * 10, STEPS[i]
    assert errors[i] <= 10 * best_error, errors[i]
    for far in (h_star * 1e3, h_star * 1e-3):
        j = int(np.argmin(abs(np.log(STEPS / far))))
        assert errors[j] > 30 * errors[i], (far, errors[j], errors[i])


@FUNCTIONS
@pytest.mark.parametrize("name", ["forward", "backward"])
def test_one_sided_best_step_is_near_sqrt_eps(name, f, df):
    """Truncation (~h) meets round-off (~eps/h) near h = sqrt(eps) = 1.5e-8, error ~sqrt(eps)."""
    errors = error_curve(ONE_SIDED[name], f, df, 1.0)
    assert_v_shaped(errors, math.sqrt(EPS), math.sqrt(EPS))


@FUNCTIONS
def test_central_best_step_is_near_cube_root_eps(f, df):
    """Truncation (~h^2) meets round-off (~eps/h) near h = eps^(1/3) = 6e-6, error eps^(2/3)."""
    errors = error_curve(fd.central_difference, f, df, 1.0)
    assert_v_shaped(errors, EPS ** (1 / 3), EPS ** (2 / 3))


@FUNCTIONS
@pytest.mark.parametrize("name", ["forward", "central"])
def test_default_step_reaches_the_best_order_of_error(name, f, df):
    """The default step's error is within 10x of the balanced error (sqrt(eps) one-sided,
    eps^(2/3) central). (The grid's minimum itself can be lucky rounding, so it is no target.)"""
    method = fd.forward_difference if name == "forward" else fd.central_difference
    balanced = math.sqrt(EPS) if name == "forward" else EPS ** (2 / 3)
    assert abs(method(f, 1.0) - df) <= 10 * balanced


def test_lecture_error_figures_for_exp_at_one():
    """facts.md: best forward error 6.6e-9 near h = 1e-8; best central 3.3e-11 near 3e-6;
    forward error 1.36e-4 at h = 1e-4 and 4.3e-4 at h = 1e-12; total loss at h = 1e-16."""
    fwd = error_curve(fd.forward_difference, math.exp, math.e, 1.0)
    cen = error_curve(fd.central_difference, math.exp, math.e, 1.0)
    assert STEPS[np.argmin(fwd)] == pytest.approx(1e-8) and fwd.min() == pytest.approx(6.6e-9, 0.01)
    assert STEPS[np.argmin(cen)] == pytest.approx(10**-5.5) and cen.min() == pytest.approx(
        3.3e-11, rel=0.01
    )
    assert fd.forward_difference(math.exp, 1.0, 1e-4) - math.e == pytest.approx(1.36e-4, 0.01)
    assert fd.forward_difference(math.exp, 1.0, 1e-12) - math.e == pytest.approx(4.3e-4, 0.01)
    assert fd.forward_difference(math.exp, 1.0, 1e-16) == 0.0  # 1 + 1e-16 rounds to 1


def test_truncation_error_orders():
    """Above the round-off floor, dividing h by 10 divides the error by 10 (one-sided) or 100
    (central): the O(h) and O(h^2) of the Taylor analysis."""
    for h in (1e-2, 1e-3):
        f1 = abs(fd.forward_difference(math.exp, 1.0, h) - math.e)
        f2 = abs(fd.forward_difference(math.exp, 1.0, h / 10) - math.e)
        assert f1 / f2 == pytest.approx(10, rel=0.02)
        c1 = abs(fd.central_difference(math.exp, 1.0, h) - math.e)
        c2 = abs(fd.central_difference(math.exp, 1.0, h / 10) - math.e)
        assert c1 / c2 == pytest.approx(100, rel=0.02)


def test_forward_and_backward_errors_have_opposite_signs():
    """exp is convex: the forward quotient overestimates, the backward one underestimates."""
    assert fd.forward_difference(math.exp, 1.0, 1e-3) > math.e
    assert fd.backward_difference(math.exp, 1.0, 1e-3) < math.e


def test_complex_step_exact_to_rounding_for_tiny_steps():
    """No subtraction, so no cancellation: within one ulp of e for h = 1e-8 ... 1e-200."""
    for k in range(8, 201):
        d = fd.complex_step(cmath.exp, 1.0, 10.0**-k)
        assert abs(d - math.e) <= math.ulp(math.e), k
    assert fd.complex_step(ad.exp, 1.0) == pytest.approx(math.e, rel=2e-16)  # default h


def test_complex_step_through_ad_functions_and_branches():
    def f(x):
        return ad.sigmoid(x) * ad.abs(x - 3.0) + ad.relu(x) ** 2

    x = 1.3
    exact = ad.grad(f)(x)
    assert fd.complex_step(f, x) == pytest.approx(exact, rel=1e-15)


# --------------------------------------------------------------------------- default steps


def test_default_steps_follow_the_error_analysis():
    assert fd.default_step(0.0, "forward") == math.sqrt(EPS)
    assert fd.default_step(0.5, "backward") == math.sqrt(EPS)
    assert fd.default_step(-100.0, "forward") == 100 * math.sqrt(EPS)
    assert fd.default_step(1.0, "central") == EPS ** (1 / 3)
    assert fd.default_step(1e3, "central") == 1e3 * EPS ** (1 / 3)
    assert fd.default_step(5.0, "complex") == 1e-20
    with pytest.raises(ValueError, match="unknown method 'sideways'"):
        fd.default_step(1.0, "sideways")


def test_default_step_scales_with_x():
    """At x = 1e4 an unscaled 6e-6 step would lose more digits; the scaled one keeps ~1e-10."""
    x = 1e4
    d = fd.central_difference(math.log, x)
    assert d == pytest.approx(1 / x, rel=1e-9)


def test_nonpositive_step_is_refused():
    for h in (0.0, -1e-3):
        with pytest.raises(ValueError, match="step h must be positive"):
            fd.forward_difference(math.exp, 1.0, h)


# ---------------------------------------------------------------------- vectors, checks


def counting(f):
    calls = []

    def wrapped(x):
        calls.append(np.array(x, copy=True))
        return f(x)

    return wrapped, calls


def quadratic(v):
    return float(v[0] ** 2 * v[1] + 3 * v[1] + np.sin(v[2]))


def quadratic_grad(v):
    return np.array([2 * v[0] * v[1], v[0] ** 2 + 3, np.cos(v[2])])


@pytest.mark.parametrize("method, calls_needed", [("forward", 4), ("backward", 4), ("central", 6)])
def test_gradient_costs_n_plus_one_or_two_n_evaluations(method, calls_needed):
    f, calls = counting(quadratic)
    x = np.array([1.5, -0.5, 0.3])
    g = fd.gradient(f, x, method=method)
    assert len(calls) == calls_needed
    tol = 1e-6 if method != "central" else 1e-9
    np.testing.assert_allclose(g, quadratic_grad(x), rtol=tol, atol=tol)
    np.testing.assert_array_equal(x, [1.5, -0.5, 0.3])  # the caller's x is untouched


def test_gradient_gives_each_call_its_own_array():
    kept = []
    fd.gradient(lambda v: kept.append(v) or float(v.sum()), np.zeros(2))
    assert [k.tolist() for k in kept] == [
        [fd.default_step(0.0), 0.0],
        [-fd.default_step(0.0), 0.0],
        [0.0, fd.default_step(0.0)],
        [0.0, -fd.default_step(0.0)],
    ]


def test_gradient_of_matrix_input_and_list_input():
    w = np.arange(6.0).reshape(2, 3)
    g = fd.gradient(lambda m: float(np.sum(m**2)), w)
    assert g.shape == (2, 3)
    np.testing.assert_allclose(g, 2 * w, rtol=1e-9, atol=1e-9)
    expected = quadratic_grad(np.array([1.0, 2.0, 0.0]))
    np.testing.assert_allclose(fd.gradient(quadratic, [1, 2, 0]), expected, rtol=1e-9)


def test_gradient_rejects_unknown_method_and_complex_x():
    with pytest.raises(ValueError, match="unknown method"):
        fd.gradient(quadratic, [1.0, 2.0, 3.0], method="complex")
    with pytest.raises(TypeError, match="real vector"):
        fd.gradient(quadratic, np.array([1j, 2.0, 3.0]))


def test_directional_derivative_equals_gradient_dot_direction():
    x = np.array([1.5, -0.5, 0.3])
    v = np.array([0.2, 1.0, -3.0])
    f, calls = counting(quadratic)
    d = fd.directional(f, x, v)
    assert len(calls) == 2
    assert d == pytest.approx(quadratic_grad(x) @ v, rel=1e-9)
    assert fd.directional(quadratic, x, np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="shape"):
        fd.directional(quadratic, x, np.ones(2))


def test_check_grad_separates_right_from_wrong():
    x = np.array([1.5, -0.5, 0.3])
    assert fd.check_grad(quadratic, quadratic_grad, x) < 1e-9
    assert fd.check_grad(quadratic, lambda v: quadratic_grad(v) * 1.01, x) > 1e-3
    assert fd.check_grad(math.sin, math.cos, 0.4) < 1e-10  # scalar x
    assert fd.check_grad(math.sin, lambda t: -math.cos(t), 0.4) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape of x"):
        fd.check_grad(quadratic, lambda v: quadratic_grad(v)[:2], x)


def test_check_grad_on_autograd_gradients():
    def f(x):
        return ad.tanh(x) * ad.exp(-x * x)

    assert fd.check_grad(f, ad.grad(f), 0.7) < 1e-9


# ----------------------------------------------------------------------------- bad input


def test_scalar_routines_refuse_vector_x():
    with pytest.raises(TypeError, match="gradient"):
        fd.central_difference(math.sin, np.array([1.0, 2.0]))


def test_scalar_routines_refuse_vector_output():
    with pytest.raises(TypeError, match="one number"):
        fd.forward_difference(lambda x: [x, x], 1.0)
    with pytest.raises(TypeError, match="real number"):
        fd.central_difference(lambda x: complex(x, 1.0), 1.0)


def test_complex_step_detects_a_dropped_imaginary_part():
    with pytest.raises(TypeError) as info:
        fd.complex_step(lambda z: float(z.real) ** 2, 1.0)
    message = str(info.value)
    assert "imaginary part" in message and "ad.*" in message
