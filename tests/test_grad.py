"""ad.grad and ad.value_and_grad on numbers: argnums, result types, higher derivatives by
nesting, perturbation confusion, and the rest state of the graph afterwards.

Closed forms are compared with a relative tolerance of 1e-14 (a few roundings apart); nested
derivatives against central differences of the inner derivative at 1e-7 (central-difference
error ~ eps^(2/3) scaled by the size of the third derivative, below 1e-8 here).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_ref as ad
from autograd_ref import finite_diff as fd


def test_grad_returns_a_float():
    g = ad.grad(lambda x: x * x)(3.0)
    assert type(g) is float and g == 6.0


def test_value_and_grad_returns_floats():
    value, g = ad.value_and_grad(lambda x: ad.sin(x) * x)(0.5)
    assert type(value) is float and type(g) is float
    assert value == math.sin(0.5) * 0.5
    assert g == pytest.approx(math.cos(0.5) * 0.5 + math.sin(0.5), rel=1e-15)


def test_argnums_int_tuple_and_negative():
    def f(x, y, z):
        return x * y + ad.exp(z) * y

    assert ad.grad(f)(1.0, 2.0, 0.0) == 2.0
    assert ad.grad(f, argnums=1)(1.0, 2.0, 0.0) == 2.0
    assert ad.grad(f, argnums=-1)(1.0, 2.0, 0.0) == 2.0
    assert ad.grad(f, argnums=(0, 2))(1.0, 2.0, 0.0) == (2.0, 2.0)
    g = ad.grad(f, argnums=(0,))(1.0, 2.0, 0.0)
    assert g == (2.0,) and isinstance(g, tuple)


def test_non_differentiated_arguments_pass_through_untouched():
    seen = []

    def f(x, data):
        seen.append(data)
        return x * data["scale"]

    assert ad.grad(f)(2.0, {"scale": 3.0}) == 3.0
    assert seen == [{"scale": 3.0}]


def test_numeric_argument_types():
    assert ad.grad(lambda x: x**3)(2) == 12.0
    assert ad.grad(lambda x: x**3)(np.float64(2.0)) == 12.0
    assert ad.grad(lambda x: x**3)(np.int64(2)) == 12.0


def test_grad_of_affine_and_constant_functions():
    assert ad.grad(lambda x: 3.0 * x + 1.0)(100.0) == 3.0
    assert ad.grad(lambda x: x - x)(1.0) == 0.0
    assert ad.grad(lambda x: 7)(1.0) == 0.0


# ------------------------------------------------------------------- higher derivatives


@pytest.mark.parametrize(
    "f, d2, x",
    [
        (ad.sin, lambda x: -math.sin(x), 0.7),
        (ad.cos, lambda x: -math.cos(x), 0.7),
        (ad.exp, math.exp, 0.7),
        (ad.log, lambda x: -1 / x**2, 0.7),
        (ad.sqrt, lambda x: -0.25 * x**-1.5, 0.7),
        (ad.tanh, lambda x: -2 * math.tanh(x) / math.cosh(x) ** 2, 0.7),
        (ad.tan, lambda x: 2 * math.tan(x) / math.cos(x) ** 2, 0.7),
        (
            ad.sigmoid,
            lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s),
            0.7,
        ),
        (lambda x: x**4, lambda x: 12 * x**2, -1.3),
        (lambda x: 1 / x, lambda x: 2 / x**3, 1.3),
        (lambda x: 2.0**x, lambda x: 2.0**x * math.log(2) ** 2, 1.3),
        (lambda x: x**x, lambda x: x**x * ((math.log(x) + 1) ** 2 + 1 / x), 1.3),
        (ad.relu, lambda x: 0.0, 0.7),
        (ad.abs, lambda x: 0.0, -0.7),
    ],
)
def test_second_derivative_by_nesting(f, d2, x):
    assert ad.grad(ad.grad(f))(x) == pytest.approx(d2(x), rel=1e-14, abs=1e-300)


def test_third_derivatives_by_nesting():
    d3 = ad.grad(ad.grad(ad.grad(lambda x: x**4)))
    assert d3(2.0) == 48.0
    assert ad.grad(ad.grad(ad.grad(ad.sin)))(0.3) == pytest.approx(-math.cos(0.3), rel=1e-15)
    assert ad.grad(ad.grad(ad.grad(ad.exp)))(0.3) == pytest.approx(math.exp(0.3), rel=1e-15)
    # d^3/dx^3 log x = 2 / x^3
    assert ad.grad(ad.grad(ad.grad(ad.log)))(0.5) == pytest.approx(16.0, rel=1e-14)


def test_fourth_derivative_of_a_composition_against_differences():
    def f(x):
        return ad.sin(x * x) * ad.exp(-x)

    d3 = ad.grad(ad.grad(ad.grad(f)))
    d4 = ad.grad(d3)(0.4)
    assert d4 == pytest.approx(fd.central_difference(d3, 0.4), rel=1e-6)


def test_nested_value_and_grad():
    def df(x):
        value, g = ad.value_and_grad(lambda t: t**3)(x)
        return g * value  # 3x^2 * x^3 = 3x^5

    assert ad.grad(df)(2.0) == 15 * 2.0**4


def test_mixed_partial_derivatives():
    def f(x, y):
        return x * x * y + ad.sin(x * y)

    # d2f/dy dx = 2x + cos(xy) - xy sin(xy), in either order
    x, y = 0.8, 1.7
    expected = 2 * x + math.cos(x * y) - x * y * math.sin(x * y)
    dxy = ad.grad(ad.grad(f, argnums=0), argnums=1)(x, y)
    dyx = ad.grad(ad.grad(f, argnums=1), argnums=0)(x, y)
    assert dxy == pytest.approx(expected, rel=1e-14)
    assert dyx == pytest.approx(expected, rel=1e-14)


# ------------------------------------------------------------------ perturbation confusion


def test_perturbation_confusion_classic():
    """d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1, not 2 (Siskind & Pearlmutter)."""
    assert ad.grad(lambda x: x * ad.grad(lambda y: x + y)(1.0))(3.0) == 1.0


def test_perturbation_confusion_with_products():
    """d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x."""
    assert ad.grad(lambda x: x * ad.grad(lambda y: x * y)(2.0))(3.0) == 6.0


def test_outer_variable_passed_as_the_inner_argument():
    """grad(lambda x: grad(lambda y: x * y)(x)): d/dy (x y) = x, so the outer derivative is 1.
    The inner grad must not read the gradient off the outer x itself, which f also uses as x
    (it would see x * x and give 2)."""
    assert ad.grad(lambda x: ad.grad(lambda y: x * y)(x))(3.0) == 1.0
    # d/dy (x y^2) = 2 x y at y = x: 2 x^2, derivative 4x
    assert ad.grad(lambda x: ad.grad(lambda y: x * y * y)(x))(3.0) == 12.0
    # both arguments from the outer level
    assert ad.grad(lambda x: ad.grad(lambda a, b: a * b, argnums=(0, 1))(x, x)[0])(3.0) == 1.0


def test_inner_grad_depends_on_outer_variable():
    """d/dx of d/dy (x y^2) at y = 1: d/dx (2 x y) = 2y = 2."""
    assert ad.grad(lambda x: ad.grad(lambda y: x * y * y)(1.0))(5.0) == 2.0


def test_grad_does_not_write_dot_grad_of_outer_nodes():
    w = ad.Scalar(2.0)
    assert ad.grad(lambda x: w * x * x)(3.0) == 12.0
    assert w.grad == 0.0  # the transform read its own input only
    assert w._g == 0.0  # and left the graph at rest: a later backward is unaffected
    y = w * 5.0
    y.backward()
    assert w.grad == 5.0


def test_nested_grad_leaves_closed_over_scalars_at_rest():
    w = ad.Scalar(1.5)

    def f(x):
        return ad.grad(lambda t: w * t * t * x)(x) * w

    ad.grad(f)(0.5)
    assert w._g == 0.0 and w.grad == 0.0
