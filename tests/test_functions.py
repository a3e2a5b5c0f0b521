"""The elementary functions: one table of math functions through every backend, and dispatch.

Rows are the cases in math_cases.CASES, columns the backends in math_cases.AD_BACKENDS (plus
floats and central differences as the references). Tolerances, measured as
|a - b| / max(1, |a|, |b|):

* values: every backend against the float evaluation, 1e-14. Scalar, Dual and the complex step
  evaluate the same IEEE operations (the complex one adds an O(h^2) = 1e-40 change), so they agree
  to a few ulps; a future Tensor column computes with numpy's ufuncs, which may differ from
  :mod:`math` by an ulp.
* gradients, AD backend against Scalar.backward: 1e-12. They apply the same derivative rules in
  different association orders (forward vs reverse accumulation), each step exact to about 1e-16;
  these shallow expressions amplify that by well under 1e4.
* gradients, against central differences: 1e-7. The default step h = eps^(1/3) max(1, |x|)
  leaves an error near h^2 |f'''| / 6 + eps |f| / h, about 1e-11 (|f'''| + |f|); on these
  domains |f| and |f'''| stay below ~100, so the true error is under 1e-8.
"""

from __future__ import annotations

import cmath
import math
import warnings

import numpy as np
import pytest
from math_cases import AD_BACKENDS, CASES, central_differences, relative_gap

import autograd_ref as ad
from autograd_ref import functions as F

VALUE_TOL = 1e-14
AD_TOL = 1e-12
FD_TOL = 1e-7

ROWS = [(case, x) for case in CASES for x in case.points(n=4, seed=0)]
ROW_IDS = [f"{case.name}-{i % 4}" for i, (case, _) in enumerate(ROWS)]


@pytest.mark.parametrize("backend", sorted(AD_BACKENDS))
@pytest.mark.parametrize("case, x", ROWS, ids=ROW_IDS)
def test_backend_against_floats_reverse_mode_and_central_differences(backend, case, x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # safe domains: no nan, no overflow, no warning
        plain = case.f(*x)
        value, grads = AD_BACKENDS[backend](case.f, x)
        _, reference = AD_BACKENDS["Scalar.backward"](case.f, x)
        _, numeric = central_differences(case.f, x)
    assert type(plain) is float
    assert relative_gap(value, plain) <= VALUE_TOL, (value, plain)
    assert len(grads) == case.arity
    for i in range(case.arity):
        assert relative_gap(grads[i], reference[i]) <= AD_TOL, (i, grads[i], reference[i])
        assert relative_gap(grads[i], numeric[i]) <= FD_TOL, (i, grads[i], numeric[i])


def test_every_elementary_function_and_operator_is_covered():
    names = {case.name for case in CASES}
    for fn in ("exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sqrt", "abs"):
        assert fn in names
    for op in ("add", "sub", "mul", "div", "pow", "neg", "rsub_const", "rdiv_const", "rpow"):
        assert op in names


def test_the_table_catches_a_wrong_rule(monkeypatch):
    """Sanity check of the harness: a deliberately wrong VJP for sin is detected."""
    from autograd_ref import elementwise as E

    monkeypatch.setattr(E.SIN, "vjp", (lambda g, xs, out, aux: g * ad.sin(xs[0]),))
    case = next(c for c in CASES if c.name == "sin")
    x = case.points(1)[0]
    _, grads = AD_BACKENDS["Scalar.backward"](case.f, x)
    _, numeric = central_differences(case.f, x)
    assert relative_gap(grads[0], numeric[0]) > 1e-3


# -------------------------------------------------------------------------------- dispatch
NAMES = ("exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sqrt", "abs")


@pytest.mark.parametrize("name", NAMES)
def test_dispatch_on_float_int_complex_array_and_list(name):
    fn = getattr(ad, name)
    x = 0.7
    expected = {
        "exp": math.exp(x), "log": math.log(x), "sin": math.sin(x), "cos": math.cos(x),
        "tan": math.tan(x), "tanh": math.tanh(x), "sigmoid": 1 / (1 + math.exp(-x)),
        "relu": x, "sqrt": math.sqrt(x), "abs": x,
    }[name]  # fmt: skip
    assert fn(x) == pytest.approx(expected, rel=1e-15)
    assert type(fn(x)) is float
    assert fn(1) == pytest.approx(fn(1.0), rel=0)
    arr = fn(np.array([x, x]))
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float64
    np.testing.assert_allclose(arr, [expected, expected], rtol=1e-15)
    np.testing.assert_allclose(fn([x, x]), [expected, expected], rtol=1e-15)
    z = fn(complex(x, 0.0))
    assert isinstance(z, complex) and z.real == pytest.approx(expected, rel=1e-15)
    assert isinstance(fn(ad.Scalar(x)), ad.Scalar) and isinstance(fn(ad.Dual(x)), ad.Dual)


def test_complex_abs_and_relu_follow_the_real_part_branch():
    """Analytic continuation of the branch picked by Re z: what makes the complex step work."""
    z = complex(-2.0, 1e-20)
    assert ad.abs(z) == -z and ad.relu(z) == 0j
    z = complex(2.0, 1e-20)
    assert ad.abs(z) == z and ad.relu(z) == z
    assert ad.finite_diff.complex_step(ad.abs, -2.0) == -1.0
    np.testing.assert_array_equal(ad.abs(np.array([z, -z])), [z, z])


def test_complex_sigmoid_is_stable_on_both_sides():
    for x in (-800.0, 800.0):
        z = ad.sigmoid(complex(x, 1e-20))
        assert cmath.isfinite(z)


def test_array_functions_are_stable_at_the_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
        s = ad.sigmoid(x)
        t = ad.tanh(x)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    assert t[0] == -1.0 and t[-1] == 1.0
    assert 0 < s[1] < 1e-17


def test_array_relu_keeps_nan_and_array_domain_errors_warn():
    out = ad.relu(np.array([-1.0, np.nan, 2.0]))
    assert out[0] == 0.0 and np.isnan(out[1]) and out[2] == 2.0
    with pytest.warns(RuntimeWarning):
        assert np.isnan(ad.log(np.array([-1.0]))[0])


@pytest.mark.parametrize(
    "name, x, expected, warning",
    [
        ("log", -1.0, math.nan, "invalid value encountered in log"),
        ("log", 0.0, -math.inf, "divide by zero encountered in log"),
        ("sqrt", -1.0, math.nan, "invalid value encountered in sqrt"),
        ("exp", 1000.0, math.inf, "overflow encountered in exp"),
        ("sin", math.inf, math.nan, "invalid value encountered in sin"),
    ],
)
def test_float_domain_errors_follow_numpy(name, x, expected, warning):
    with pytest.warns(RuntimeWarning, match=warning) as record:
        out = getattr(ad, name)(x)
    assert record[0].filename == __file__  # attributed to the caller's line
    with np.errstate(all="ignore"):
        reference = getattr(np, name)(x)
    assert (math.isnan(out) and math.isnan(reference)) or out == reference == expected


def test_nan_propagates_quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in NAMES:
            assert math.isnan(getattr(ad, name)(math.nan)), name


def test_functions_are_documented_and_named():
    for name in NAMES:
        fn = getattr(ad, name)
        assert fn.__name__ == name and fn.__doc__


def test_registered_type_protocol():
    """A new differentiable type registers itself and interprets rows with __ad_apply__."""
    from autograd_ref import rules

    @F.register_ad_type
    class Tagged:
        def __init__(self, v):
            self.v = v

        def __ad_apply__(self, rule, args, aux=None):
            return (rule.name, self.v)

    try:
        assert F.is_ad_value(Tagged(1.0))
        assert ad.sin(Tagged(2.0)) == ("sin", 2.0)
    finally:
        rules._AD_TYPES = tuple(t for t in rules._AD_TYPES if t is not Tagged)
    assert F.is_ad_value(ad.Scalar(1.0)) and F.is_ad_value(ad.Dual(1.0))
    assert not F.is_ad_value(1.0)
