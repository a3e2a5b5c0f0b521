"""ad.Dual: forward mode with dual numbers a + b·ε, ε² = 0.

Closed-form derivatives for every operator and elementary function, the seed's linearity, edge
cases of powers, and the conversions. Agreement with reverse mode on many functions is in
test_functions.py and test_properties.py.
"""

from __future__ import annotations

import math
import warnings

import pytest

import autograd_ref as ad


def tangent(f, x: float, seed: float = 1.0) -> float:
    return f(ad.Dual(x, seed)).tangent


def test_parts_and_default_tangent():
    d = ad.Dual(2)
    assert (d.primal, d.tangent) == (2.0, 0.0)
    assert type(d.primal) is float and type(d.tangent) is float
    assert repr(ad.Dual(1.5, -2.0)) == "Dual(primal=1.5, tangent=-2.0)"


def test_epsilon_squared_is_zero():
    eps = ad.Dual(0.0, 1.0)
    sq = eps * eps
    assert (sq.primal, sq.tangent) == (0.0, 0.0)


@pytest.mark.parametrize(
    "name, f, df, x",
    [
        ("add", lambda x: x + 3.0, lambda x: 1.0, 1.3),
        ("radd", lambda x: 3 + x, lambda x: 1.0, 1.3),
        ("sub", lambda x: x - 3.0, lambda x: 1.0, 1.3),
        ("rsub", lambda x: 3.0 - x, lambda x: -1.0, 1.3),
        ("mul", lambda x: x * x, lambda x: 2 * x, 1.3),
        ("rmul", lambda x: 4 * x, lambda x: 4.0, 1.3),
        ("div", lambda x: x / (x + 1.0), lambda x: 1 / (x + 1) ** 2, 1.3),
        ("rdiv", lambda x: 2.0 / x, lambda x: -2.0 / x**2, 1.3),
        ("neg", lambda x: -x, lambda x: -1.0, 1.3),
        ("pow_int", lambda x: x**3, lambda x: 3 * x**2, -1.3),
        ("pow_frac", lambda x: x**2.5, lambda x: 2.5 * x**1.5, 1.3),
        ("pow_dual", lambda x: x**x, lambda x: x**x * (math.log(x) + 1), 1.3),
        ("rpow", lambda x: 2.0**x, lambda x: 2.0**x * math.log(2.0), 1.3),
        ("exp", ad.exp, math.exp, 0.4),
        ("log", ad.log, lambda x: 1 / x, 0.4),
        ("sin", ad.sin, math.cos, 0.4),
        ("cos", ad.cos, lambda x: -math.sin(x), 0.4),
        ("tan", ad.tan, lambda x: 1 / math.cos(x) ** 2, 0.4),
        ("tanh", ad.tanh, lambda x: 1 / math.cosh(x) ** 2, 0.4),
        ("sigmoid", ad.sigmoid, lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2, 0.4),
        ("relu+", ad.relu, lambda x: 1.0, 0.4),
        ("relu-", ad.relu, lambda x: 0.0, -0.4),
        ("sqrt", ad.sqrt, lambda x: 0.5 / math.sqrt(x), 0.4),
        ("abs+", ad.abs, lambda x: 1.0, 0.4),
        ("abs-", ad.abs, lambda x: -1.0, -0.4),
        ("abs_op", abs, lambda x: -1.0, -0.4),
    ],
)
def test_tangent_matches_closed_form(name, f, df, x):
    d = f(ad.Dual(x, 1.0))
    assert d.primal == pytest.approx(f(x), rel=1e-15)
    # Closed forms are evaluated differently (e.g. 1/cos² vs 1 + tan²): a few ulps apart.
    assert d.tangent == pytest.approx(df(x), rel=1e-14), name


def test_tangent_is_linear_in_the_seed():
    def f(x):
        return ad.sin(x * x) * ad.exp(-x) + ad.sqrt(x)

    base = tangent(f, 0.9)
    assert tangent(f, 0.9, 3.0) == pytest.approx(3.0 * base, rel=1e-15)
    assert tangent(f, 0.9, 0.0) == 0.0


def test_directional_derivative_of_two_inputs():
    """Seeding both inputs gives the gradient dotted with the seed (one forward pass)."""

    def f(x, y):
        return x * y + ad.sin(x)

    d = f(ad.Dual(1.0, 2.0), ad.Dual(3.0, -1.0))
    assert d.tangent == pytest.approx((3.0 + math.cos(1.0)) * 2.0 + 1.0 * -1.0, rel=1e-15)


def test_reused_value_and_constants():
    x = ad.Dual(3.0, 1.0)
    assert (x + x).tangent == 2.0
    assert (x * x * x).tangent == 27.0
    c = ad.Dual(5.0)  # a constant: tangent 0
    assert (c * x).tangent == 5.0 and (c * c).tangent == 0.0


def test_power_edge_cases():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tangent(lambda x: x**0, 0.0) == 0.0  # constant, not 0 * inf
        assert tangent(lambda x: x**1, 0.0) == 1.0
        assert tangent(lambda x: x**2, 0.0) == 0.0
        # A Dual exponent with tangent 0 is a constant: no ln(a) term, so no nan at a < 0.
        assert (ad.Dual(-2.0, 1.0) ** ad.Dual(2.0)).tangent == -4.0
    # A constant base has tangent 0 whatever the exponent, even where the value is infinite.
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        d = ad.Dual(0.0) ** -1.0
    assert (d.primal, d.tangent) == (math.inf, 0.0)


def test_power_with_dual_exponent_and_nonpositive_base_is_nan():
    """d/db a**b = a**b ln a is undefined for a <= 0: the tangent is nan, with a warning."""
    with pytest.warns(RuntimeWarning, match="log"):
        d = ad.Dual(-2.0) ** ad.Dual(2.0, 1.0)
    assert d.primal == 4.0 and math.isnan(d.tangent)


def test_saturating_functions_are_stable():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in (-1000.0, 1000.0):
            s, t = ad.sigmoid(ad.Dual(x, 1.0)), ad.tanh(ad.Dual(x, 1.0))
            assert (s.primal, s.tangent) == (0.0 if x < 0 else 1.0, 0.0)
            assert (t.primal, t.tangent) == (math.copysign(1.0, x), 0.0)


def test_kinks_take_subgradient_zero():
    assert tangent(ad.relu, 0.0) == 0.0
    assert tangent(ad.abs, 0.0) == 0.0


def test_out_of_domain_gives_nan_with_warning():
    with pytest.warns(RuntimeWarning, match="invalid value encountered in sqrt"):
        d = ad.sqrt(ad.Dual(-1.0, 1.0))
    assert math.isnan(d.primal)
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        d = ad.Dual(1.0, 1.0) / 0.0
    assert d.primal == math.inf


def test_comparisons_and_truth():
    a, b = ad.Dual(1.0, 5.0), ad.Dual(2.0, -5.0)
    assert a < b and a <= 1.0 and b > a and b >= 2.0
    assert not ad.Dual(0.0, 1.0)  # truth tests the primal
    assert a == ad.Dual(1.0, -3.0) and a != b  # == compares primals, like <
    assert len({a, b, ad.Dual(1.0, 5.0)}) == 3  # hashing is by identity


def test_positive_returns_itself():
    a = ad.Dual(1.0, 1.0)
    assert +a is a
