"""Every row of the rule table through every interpreter, against central differences.

A row with a float form is one function the whole library offers: on floats, complex numbers (the
complex step), arrays, Scalar (backward, and the create_graph pass), Dual, Tensor (backward and
forward mode), ad.grad / jvp / vjp / hessian, and ad.trace. This test walks each row through all
of them at one point inside its domain, so a row that misses a mode, or a mode that mishandles a
row, fails here by name.

Tolerances: central differences with h = 1e-6 have error about h² |f'''| + eps |f| / h ~ 1e-10
for these moderate functions; first derivatives are checked to 1e-7 relative, second derivatives
(differences of exact first derivatives) to 1e-6. Values from different interpreters of the same
row must agree to 1e-14 relative (they use the same float or numpy routine, up to the last bit).
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

import autograd_ref as ad
from autograd_ref import elementwise as E
from autograd_ref import elementwise_extra as X
from autograd_ref.rules import Rule

H = 1e-6

# One point per row (inside the domain, away from kinks), and how the row is called.
POINTS: dict[str, tuple[float, ...]] = {
    "add": (0.7, -1.3), "sub": (0.7, -1.3), "mul": (0.7, -1.3), "div": (0.7, -1.3),
    "pow": (1.7, 0.6), "maximum": (0.7, -1.3), "minimum": (0.7, -1.3), "neg": (0.7,),
    "identity": (0.7,), "pow_const": (1.7,), "clip": (0.4,), "exp": (0.7,), "log": (0.7,),
    "sin": (0.7,), "cos": (0.7,), "tan": (0.7,), "tanh": (0.7,), "sigmoid": (0.7,),
    "relu": (0.7,), "sqrt": (0.7,), "abs": (-0.7,), "log1p": (0.7,), "expm1": (0.7,),
    "sinh": (0.7,), "cosh": (0.7,), "arcsin": (0.4,), "arccos": (0.4,), "arctan": (0.7,),
    "sign": (-0.7,),
    # elementwise_extra
    "log2": (0.7,), "log10": (0.7,), "exp2": (0.7,), "square": (-0.7,), "reciprocal": (-0.7,),
    "cbrt": (-0.7,), "deg2rad": (0.7,), "rad2deg": (0.7,), "sinc": (0.7,), "floor": (0.7,),
    "ceil": (-0.7,), "rint": (1.3,), "trunc": (-1.3,), "arctan2": (0.7, -1.3),
    "hypot": (0.7, -1.3), "logaddexp": (0.7, -1.3), "logaddexp2": (0.7, -1.3),
    "mod": (-1.7, 0.6), "fmod": (-1.7, 0.6),  # floor(a/b) = -3, trunc(a/b) = -2
}  # fmt: skip

AUX = {"pow_const": 2.5, "clip": (-1.0, 1.0)}

ROWS = [
    r
    for module in (E, X)
    for r in vars(module).values()
    if isinstance(r, Rule) and r.scalar is not None
]
IDS = [r.name for r in ROWS]


def function_of(rule: Rule):
    """The row as a Python function of its inputs (what a student writes)."""
    aux = AUX.get(rule.name)
    if rule.name == "identity":
        return lambda x: x * 1.0 if not ad.rules.is_ad_value(x) else ad.rules.call(rule, (x,))
    return lambda *xs: ad.rules.call(rule, xs, aux)


def central(f, point, i):
    p, m = list(point), list(point)
    p[i] += H
    m[i] -= H
    return (f(*p) - f(*m)) / (2 * H)


def plain_value(rule, point):
    return float(rule.scalar(tuple(point), AUX.get(rule.name)))


def close(a, b, rel):
    return abs(a - b) <= rel * (1.0 + abs(b))


def test_every_row_has_a_point():
    assert {r.name for r in ROWS} == set(POINTS)


@pytest.mark.parametrize("rule", ROWS, ids=IDS)
def test_row_in_every_interpreter(rule):
    point = POINTS[rule.name]
    f = function_of(rule)
    n = len(point)
    value = plain_value(rule, point)
    expected = [central(lambda *xs: plain_value(rule, xs), point, i) for i in range(n)]

    # plain floats and arrays: the same numbers
    if rule.name != "identity":
        assert close(float(f(*point)), value, 1e-14)
        arrays = [np.full(3, x) for x in point]
        assert np.allclose(f(*arrays), value, rtol=1e-14)

    # Scalar: the fused backward pass
    xs = [ad.Scalar(x) for x in point]
    out = f(*xs)
    out.backward()
    assert close(out.value, value, 1e-14)
    for i in range(n):
        assert close(xs[i].grad, expected[i], 1e-7), (rule.name, "Scalar", i)

    # Dual: one forward pass per input
    for i in range(n):
        ds = [ad.Dual(x, 1.0 if j == i else 0.0) for j, x in enumerate(point)]
        assert close(f(*ds).tangent, expected[i], 1e-7), (rule.name, "Dual", i)

    # Tensor: backward, then forward mode through jvp
    ts = [ad.Tensor(np.full((2, 2), x), requires_grad=True) for x in point]
    f(*ts).sum().backward()
    for i in range(n):
        assert np.allclose(ts[i].grad, expected[i], rtol=1e-7), (rule.name, "Tensor", i)
    for i in range(n):
        seeds = [np.full(3, 1.0 if j == i else 0.0) for j in range(n)]
        _, tangent = ad.jvp(f, [np.full(3, x) for x in point], seeds)
        assert np.allclose(tangent, expected[i], rtol=1e-7), (rule.name, "jvp", i)

    # the transforms on floats: grad, and vjp on arrays
    grads = ad.grad(f, argnums=tuple(range(n)))(*point)
    for i in range(n):
        assert close(grads[i], expected[i], 1e-7), (rule.name, "grad", i)
    _, pullback = ad.vjp(f, *[np.full(3, x) for x in point])
    for i, g in enumerate(pullback(np.ones(3))):
        assert np.allclose(g, expected[i], rtol=1e-7), (rule.name, "vjp", i)

    # the trace: the value, and the adjoint sweep equals the gradient
    t = ad.trace(f, *point)
    assert close(t.outputs[0].value, value, 1e-14)
    adjoints = t.adjoints()
    for i, node in enumerate(t.inputs):
        assert close(adjoints[node.index], expected[i], 1e-7), (rule.name, "trace", i)


PIECEWISE = ("relu", "abs", "sign", "maximum", "minimum", "clip", "identity")
SMOOTH = [r for r in ROWS if r.name not in PIECEWISE]
ANALYTIC = [r for r in ROWS if r.on_complex is not None]


@pytest.mark.parametrize("rule", SMOOTH, ids=lambda r: r.name)
def test_row_second_derivatives(rule):
    """Each row's rules are written in the library's own functions, so second derivatives come
    from differentiating them: grad of grad (Scalar), and hessian (Tensor, forward over reverse),
    against central differences of the exact first derivative."""
    point = POINTS[rule.name]
    f = function_of(rule)
    n = len(point)
    first = ad.grad(f, argnums=tuple(range(n)))
    hess = ad.hessian(lambda v: f(*[v[k] for k in range(n)]))(np.array(point))
    for i in range(n):
        for j in range(n):
            second = ad.grad(lambda *xs, i=i: first(*xs)[i], argnums=j)(*point)
            fd = central(lambda *xs, i=i: first(*xs)[i], point, j)
            assert close(second, fd, 1e-6), (rule.name, "grad of grad", i, j)
            assert close(hess[i, j], fd, 1e-6), (rule.name, "hessian", i, j)


@pytest.mark.parametrize("rule", ANALYTIC, ids=lambda r: r.name)
def test_row_complex_step(rule):
    """The complex step Im f(x + ih)/h equals the derivative for every analytic row (and the
    analytic continuation chosen for the piecewise ones)."""
    point = POINTS[rule.name]
    h = 1e-20
    for i in range(len(point)):
        z = [complex(x) for x in point]
        z[i] += 1j * h
        slope = rule.on_complex(*z).imag / h
        expected = central(lambda *xs: plain_value(rule, xs), point, i)
        assert close(slope, expected, 1e-7), (rule.name, i)


def test_domain_errors_warn_and_give_nan():
    for fn, x in ((ad.arcsin, 2.0), (ad.arccos, -2.0), (ad.log1p, -2.0)):
        with pytest.warns(RuntimeWarning, match="invalid value"):
            assert math.isnan(fn(x))
    with pytest.warns(RuntimeWarning, match="overflow"):
        assert ad.sinh(1000.0) == math.inf


def test_extra_domain_errors_warn_as_numpy_does():
    """The float forms of elementwise_extra give numpy's nan/inf and warning, not an exception."""
    cases = [(ad.log2, (-1.0,), "invalid value"), (ad.log10, (0.0,), "divide by zero"),
             (ad.reciprocal, (0.0,), "divide by zero"), (ad.exp2, (2000.0,), "overflow"),
             (ad.square, (1e200,), "overflow"), (ad.mod, (1.0, 0.0), "invalid value"),
             (ad.fmod, (1.0, 0.0), "invalid value")]  # fmt: skip
    for fn, args, message in cases:
        with pytest.warns(RuntimeWarning, match=message):
            got = fn(*args)
        with np.errstate(all="ignore"):
            want = float(fn.rule.on_array(*(np.float64(a) for a in args)))
        assert got == want or (math.isnan(got) and math.isnan(want)), fn.__name__


@pytest.mark.parametrize("rule", [r for r in ROWS if r in vars(X).values()], ids=lambda r: r.name)
def test_extra_float_forms_equal_numpy(rule):
    """Each float form (the fast path of Scalar and Dual) gives numpy's number (to the last bit
    or two: math.cbrt and numpy's differ by an ulp), also at 0, at halves (rint rounds half to
    even), at the infinities and at nan."""
    special = [0.0, -0.0, 0.5, 1.5, -2.5, 2.0, -0.7, 3.3, 1e300, math.inf, -math.inf, math.nan]
    for args in itertools.product(special, repeat=rule.nargs):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = rule.on_float(*args)
            want = float(rule.on_array(*(np.float64(a) for a in args)))
        assert type(got) is float
        same = got == want or abs(got - want) <= 1e-15 * abs(want)
        assert same or (math.isnan(got) and math.isnan(want)), (rule.name, args, got, want)


def test_the_percent_operator_is_the_mod_row():
    """HIPS autograd's test_mod and test_rmod use `%`: every value type maps it to the mod row."""
    a, b = 7.5, 2.0
    da, db = ad.grad(lambda x, y: x % y, argnums=(0, 1))(a, b)
    assert (da, db) == (1.0, -3.0)  # d/da = 1, d/db = -floor(a/b)
    assert (ad.Dual(a, 1.0) % b).tangent == 1.0
    assert (a % ad.Dual(b, 1.0)).tangent == -3.0
    t = ad.Tensor([a, -a], requires_grad=True)
    (t % b).sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0, 1.0])
    assert ad.trace(lambda x: x % b, a).outputs[0].value == a % b
