"""Property tests: random expressions, every way of differentiating them agrees.

Hypothesis composes expression trees in two variables x, y from the elementary functions and the
operators (constants included), written so that every operation stays on its safe domain for all
real inputs: logs and square roots see 1 + u², tan sees tanh(u), denominators are 2 + sin(v),
powers with a variable exponent have a positive base. relu and abs keep their kinks; examples
where a finite difference would straddle one are discarded (see ``kinks_straddled``).

The examples are derandomized (a fixed sequence, so CI is deterministic) and few enough that the
file runs in a few seconds.

Tolerances, with scale = max(1, |f|, |gradient|):

* reverse mode (Scalar.backward) and value_and_grad: bit-for-bit equal. Both apply the same
  rules to the same graph in the same order; the fused pass only inlines the table's lines.
* forward mode (Dual) against reverse mode: 1e-9 · scale. The rules are the same but the chain
  rule is associated differently (tangents multiply from the inputs, adjoints from the output),
  so each is exact to about 1e-16 per operation; sums of products with cancellation amplify
  that, by far less than 1e7 for trees of at most ten leaves on these domains.
* complex step against reverse mode: 1e-9 · scale, for the same reason (the complex evaluation
  rounds differently; the step h = 1e-20 adds no error).
* central differences against reverse mode: 1e-7 · scale + 4·|D(h) − D(2h)|. The second term
  estimates truncation: for D(h) = f'(x) + C h² + ..., D(2h) − D(h) ≈ 3 C h², so 4× it bounds
  the error C h² of D(h) with margin. The first covers round-off, ε·|f|/h ≈ 4e-11·|f| per
  quotient at h ≈ 6e-6, with room for rounding inside f.
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autograd_ref as ad
from autograd_ref import finite_diff as fd
from autograd_ref import scalar_backward as SB

PROPERTY_SETTINGS = settings(
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# ------------------------------------------------------------------------- expressions
UNARY = {
    "neg": lambda u: -u,
    "sin": ad.sin,
    "cos": ad.cos,
    "tanh": ad.tanh,
    "sigmoid": ad.sigmoid,
    "exp": lambda u: ad.exp(2.0 * ad.tanh(u)),
    "log": lambda u: ad.log(1.0 + u * u),
    "sqrt": lambda u: ad.sqrt(1.0 + u * u),
    "tan": lambda u: ad.tan(ad.tanh(u)),
    "relu": ad.relu,
    "abs": ad.abs,
    "square": lambda u: u**2,
    "pow_frac": lambda u: (1.0 + u * u) ** 0.75,
    "reciprocal": lambda u: 1.0 / (1.0 + u * u),
}
BINARY = {
    "add": lambda u, v: u + v,
    "sub": lambda u, v: u - v,
    "mul": lambda u, v: u * v,
    "div": lambda u, v: u / (2.0 + ad.sin(v)),
    "pow": lambda u, v: (1.0 + u * u) ** ad.tanh(v),
}
KINKED = {"relu", "abs"}

leaves = st.one_of(
    st.just(("x",)),
    st.just(("y",)),
    st.floats(-2.0, 2.0, allow_nan=False).map(lambda c: ("const", c)),
)


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), children),
        st.tuples(st.sampled_from(sorted(BINARY)), children, children),
    )


expressions = st.recursive(leaves, _extend, max_leaves=10)
points = st.floats(-2.0, 2.0, allow_nan=False)


def evaluate(expr, x, y, kinks: list | None = None):
    """Evaluate the tree on any kind of value; record relu/abs arguments in ``kinks``."""
    tag = expr[0]
    if tag == "x":
        return x
    if tag == "y":
        return y
    if tag == "const":
        return expr[1]
    if tag in UNARY:
        u = evaluate(expr[1], x, y, kinks)
        if kinks is not None and tag in KINKED:
            kinks.append(u)
        return UNARY[tag](u)
    return BINARY[tag](evaluate(expr[1], x, y, kinks), evaluate(expr[2], x, y, kinks))


def uses_variables(expr) -> bool:
    return expr[0] in ("x", "y") or any(uses_variables(e) for e in expr[1:] if isinstance(e, tuple))


def kinks_straddled(expr, x: float, y: float) -> bool:
    """True if a relu/abs argument is near 0 or changes sign within the finite-difference steps
    (up to 2h, the Richardson estimate's step): there the derivative jumps."""
    base: list = []
    evaluate(expr, x, y, base)
    for px, py in (
        (x + 2 * fd.default_step(x), y),
        (x - 2 * fd.default_step(x), y),
        (x, y + 2 * fd.default_step(y)),
        (x, y - 2 * fd.default_step(y)),
    ):
        moved: list = []
        evaluate(expr, px, py, moved)
        if any((a > 0) != (b > 0) or abs(a) < 1e-9 for a, b in zip(base, moved, strict=True)):
            return True
    return False


# ------------------------------------------------------------------------------ backends
def reverse(expr, x, y):
    sx, sy = ad.Scalar(x), ad.Scalar(y)
    out = evaluate(expr, sx, sy)
    out.backward()
    return out.value, (sx.grad, sy.grad)


def forward(expr, x, y):
    dx = evaluate(expr, ad.Dual(x, 1.0), ad.Dual(y, 0.0))
    dy = evaluate(expr, ad.Dual(x, 0.0), ad.Dual(y, 1.0))
    return dx.primal, (dx.tangent, dy.tangent)


def complex_steps(expr, x, y):
    # "+ 0.0 * z" keeps the result complex when the expression does not use that variable
    gx = fd.complex_step(lambda z: evaluate(expr, z, y) + 0.0 * z, x)
    gy = fd.complex_step(lambda z: evaluate(expr, x, z) + 0.0 * z, y)
    return gx, gy


def central_with_error_estimate(g, t: float) -> tuple[float, float]:
    h = fd.default_step(t)
    d1 = fd.central_difference(g, t, h)
    d2 = fd.central_difference(g, t, 2 * h)
    return d1, 4 * abs(d2 - d1)


def differences(expr, x, y):
    return (
        central_with_error_estimate(lambda t: evaluate(expr, t, y), x),
        central_with_error_estimate(lambda t: evaluate(expr, x, t), y),
    )


def scale_of(*numbers: float) -> float:
    return max(1.0, *(abs(n) for n in numbers))


def usable(expr, x, y) -> tuple[float, tuple[float, float]]:
    """Evaluate in reverse mode, discarding examples that are huge or sit on a kink."""
    assume(uses_variables(expr))
    value, grads = reverse(expr, x, y)
    assume(all(math.isfinite(v) and abs(v) < 1e6 for v in (value, *grads)))
    assume(not kinks_straddled(expr, x, y))
    return value, grads


# -------------------------------------------------------------------------------- tests
@PROPERTY_SETTINGS
@given(expressions, points, points)
def test_reverse_forward_complex_step_and_differences_agree(expr, x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # safe domains: any warning is a bug
        value, grads = usable(expr, x, y)
        assert value == evaluate(expr, x, y)

        vg_value, vg_grads = ad.value_and_grad(lambda a, b: evaluate(expr, a, b), (0, 1))(x, y)
        assert vg_value == value and vg_grads == grads  # same rules, same order: bitwise

        primal, tangents = forward(expr, x, y)
        assert primal == value
        steps = complex_steps(expr, x, y)
        numeric = differences(expr, x, y)

    for i in range(2):
        scale = scale_of(value, grads[i])
        assert abs(tangents[i] - grads[i]) <= 1e-9 * scale, (i, tangents[i], grads[i])
        assert abs(steps[i] - grads[i]) <= 1e-9 * scale, (i, steps[i], grads[i])
        d, truncation = numeric[i]
        assert abs(d - grads[i]) <= 1e-7 * scale + truncation, (i, d, grads[i], truncation)


@contextmanager
def heap_only_backward():
    """Make the fused pass defer every node to its heap (no slot list)."""
    saved = SB._FIRST_SLOTS, SB._FREE_GROWTH, SB._MAX_SLOTS
    SB._FIRST_SLOTS, SB._FREE_GROWTH, SB._MAX_SLOTS = 1, 0, 0
    try:
        yield
    finally:
        SB._FIRST_SLOTS, SB._FREE_GROWTH, SB._MAX_SLOTS = saved


def table_only(expr, x, y):
    sx, sy = ad.Scalar(x), ad.Scalar(y)
    out = evaluate(expr, sx, sy)
    order = SB.backprop(out, 1.0, create_graph=False)
    grads = (sx._g, sy._g)
    for node in order:
        node._g = 0.0
    return grads


@PROPERTY_SETTINGS
@given(expressions, points, points)
def test_fused_slot_pass_heap_pass_and_table_pass_are_identical(expr, x, y):
    """The three backward implementations give the same bits on any graph (nan included)."""
    assume(uses_variables(expr))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kinks and huge values are fine here: compare bits
        _, fused = reverse(expr, x, y)
        with heap_only_backward():
            _, heap = reverse(expr, x, y)
        table = table_only(expr, x, y)
    for other in (heap, table):
        for a, b in zip(fused, other, strict=True):
            assert a == b or (math.isnan(a) and math.isnan(b)), (fused, heap, table)


@settings(PROPERTY_SETTINGS, max_examples=60)
@given(expressions, points)
def test_second_derivative_by_nesting_matches_differences_of_the_first(expr, x):
    """grad(grad(f)) against central differences of grad(f), same tolerance rule as above."""
    expr = ("add", expr, ("mul", ("x",), ("const", 0.5)))  # make sure x is used
    y = 0.3

    def f(t):
        return evaluate(expr, t, y)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        usable(expr, x, y)
        first = ad.grad(f)
        second = ad.grad(first)(x)
        d, truncation = central_with_error_estimate(first, x)
    assume(math.isfinite(second) and abs(second) < 1e6)
    assert abs(d - second) <= 1e-7 * scale_of(first(x), second) + truncation, (d, second)
