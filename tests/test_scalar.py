"""ad.Scalar: reverse mode on single numbers.

Graph building, the backward pass (its fused fast path against the table-only reference path),
reused nodes, accumulation, the million-node chain, stability at the extremes and freeing the graph
without the cycle collector. Input errors are in test_errors.py; random expressions in
test_properties.py.
"""

from __future__ import annotations

import gc
import math
import sys
import warnings
import weakref

import numpy as np
import pytest

import autograd_ref as ad
from autograd_ref import elementwise as E
from autograd_ref import scalar as S
from autograd_ref import scalar_backward as SB
from autograd_ref.rules import TABLE, Rule

# ---------------------------------------------------------------------------- helpers


def fused_gradients(build, values):
    """Gradients from Scalar.backward (the fused pass with inlined rules)."""
    xs = [ad.Scalar(v) for v in values]
    out = build(*xs)
    out.backward()
    return out.value, [x.grad for x in xs]


def table_gradients(build, values, create_graph=False):
    """Gradients from scalar_backward.backprop, which applies only the rows' rules."""
    xs = [ad.Scalar(v) for v in values]
    out = build(*xs)
    order = SB.backprop(out, 1.0, create_graph=create_graph)
    grads = [x._g for x in xs]
    for node in order:
        node._g = 0.0
    if create_graph:
        grads = [g.value if isinstance(g, ad.Scalar) else g for g in grads]
    return out.value, grads


def same_float(a: float, b: float) -> bool:
    """Bitwise-equal floats, counting nan as equal to nan."""
    return (math.isnan(a) and math.isnan(b)) or a == b


# One expression per primitive (plus the operator forms that reach them), at points inside the
# domain. Each is checked three ways below: fused/inlined, table on floats, table on Scalars.
PRIMITIVE_CASES = {
    "add": (lambda a, b: a + b, (1.5, -2.25)),
    "sub": (lambda a, b: a - b, (1.5, -2.25)),
    "mul": (lambda a, b: a * b, (1.5, -2.25)),
    "div": (lambda a, b: a / b, (1.5, -2.25)),
    "neg": (lambda a: -a, (1.5,)),
    "identity": (lambda a: (S.linked_input(a) if isinstance(a, ad.Scalar) else a) * a, (1.5,)),
    "pow_const": (lambda a: a**3.5, (1.7,)),
    "pow": (lambda a, b: a**b, (1.7, 0.6)),
    "exp": (lambda a: ad.exp(a), (0.3,)),
    "log": (lambda a: ad.log(a), (0.3,)),
    "sin": (lambda a: ad.sin(a), (0.3,)),
    "cos": (lambda a: ad.cos(a), (0.3,)),
    "tan": (lambda a: ad.tan(a), (0.3,)),
    "tanh": (lambda a: ad.tanh(a), (0.3,)),
    "sigmoid": (lambda a: ad.sigmoid(a), (0.3,)),
    "relu": (lambda a: ad.relu(a), (0.3,)),
    "sqrt": (lambda a: ad.sqrt(a), (0.3,)),
    "abs": (lambda a: ad.abs(a), (-0.3,)),
    "log1p": (lambda a: ad.log1p(a), (0.3,)),
    "expm1": (lambda a: ad.expm1(a), (0.3,)),
    "sinh": (lambda a: ad.sinh(a), (0.3,)),
    "cosh": (lambda a: ad.cosh(a), (0.3,)),
    "arcsin": (lambda a: ad.arcsin(a), (0.3,)),
    "arccos": (lambda a: ad.arccos(a), (0.3,)),
    "arctan": (lambda a: ad.arctan(a), (0.3,)),
    "sign": (lambda a: ad.sign(a) * a, (-0.3,)),
    "maximum": (lambda a, b: ad.maximum(a, b), (1.5, -2.25)),
    "minimum": (lambda a, b: ad.minimum(a, b), (1.5, -2.25)),
    "clip": (lambda a: ad.clip(a, -1.0, 2.0), (1.5,)),
}

# The rows a Scalar graph can hold: every row of the library's table with a float form.
SCALAR_ROWS = {
    r.name for r in vars(E).values() if isinstance(r, Rule) and r.scalar is not None
}


def test_every_primitive_has_a_case():
    assert set(PRIMITIVE_CASES) == SCALAR_ROWS


@pytest.mark.parametrize("name", sorted(PRIMITIVE_CASES))
@pytest.mark.parametrize("upstream", [1.0, -2.5])
def test_inlined_rules_equal_table_rules(name, upstream):
    """backward() inlines the commonest rules; they must compute exactly the table's numbers,
    which must also equal the create_graph path (the same rules applied to Scalars)."""
    f, point = PRIMITIVE_CASES[name]

    def build(*xs):  # an interior, reused node upstream so the rule sees a non-unit cotangent
        return f(*xs) * upstream

    v1, fused = fused_gradients(build, point)
    v2, table = table_gradients(build, point)
    v3, nested = table_gradients(build, point, create_graph=True)
    assert v1 == v2 == v3
    assert all(map(same_float, fused, table)), (fused, table)
    assert all(map(same_float, fused, nested)), (fused, nested)


@pytest.mark.parametrize("name", sorted(PRIMITIVE_CASES))
def test_primitive_gradients_match_central_differences(name):
    f, point = PRIMITIVE_CASES[name]
    _, grads = fused_gradients(f, point)
    for i in range(len(point)):

        def partial(t, i=i):
            args = list(point)
            args[i] = t
            return f(*args)

        # Central differences at the default step: error ~ eps**(2/3) ~ 1e-10 for these
        # moderate functions; 1e-7 leaves room for their derivatives' size.
        expected = ad.finite_diff.central_difference(partial, point[i])
        assert grads[i] == pytest.approx(expected, rel=1e-7, abs=1e-9), name


def test_inlined_rules_are_registered_primitives():
    """The ops backward() special-cases are the table's own objects, not copies."""
    for name in ("add", "mul", "sub", "relu", "tanh", "sigmoid", "exp"):
        assert TABLE[name] is getattr(SB, name.upper())


# ------------------------------------------------------------------------ basic behaviour


def test_leaf_backward_seeds_one():
    x = ad.Scalar(3.0)
    x.backward()
    assert x.grad == 1.0


def test_value_and_grad_attributes():
    x = ad.Scalar(2)
    assert type(x.value) is float and x.value == 2.0
    assert x.grad == 0.0
    y = x * 3 + 1
    assert type(y.value) is float and y.value == 7.0
    assert y.grad == 0.0  # nothing reached it yet


def test_numpy_float_input_becomes_a_python_float():
    x = ad.Scalar(np.float64(1.5))
    assert type(x.value) is float
    assert type(ad.Scalar(np.float32(0.5)).value) is float
    assert type(ad.Scalar(np.array(2.5)).value) is float  # a 0-d array holds one number


def test_reflected_operators_with_plain_numbers():
    x = ad.Scalar(2.0)
    outs = {
        "radd": 3 + x,
        "rsub": 3 - x,
        "rmul": 3 * x,
        "rdiv": 3 / x,
        "rpow": 3**x,
        "np_radd": np.float64(3.0) + x,
    }
    values = {k: v.value for k, v in outs.items()}
    assert values == {
        "radd": 5.0,
        "rsub": 1.0,
        "rmul": 6.0,
        "rdiv": 1.5,
        "rpow": 9.0,
        "np_radd": 5.0,
    }
    expected = {"radd": 1.0, "rsub": -1.0, "rmul": 3.0, "rdiv": -0.75, "rpow": 9 * math.log(3)}
    for name, d in expected.items():
        x.grad = 0.0
        outs[name].backward()
        assert x.grad == pytest.approx(d, rel=1e-15), name


def test_positive_and_abs_operators():
    x = ad.Scalar(-2.0)
    assert +x is x
    y = abs(x)
    y.backward()
    assert (y.value, x.grad) == (2.0, -1.0)


def test_comparisons_and_truth_use_the_value():
    a, b = ad.Scalar(1.0), ad.Scalar(2.0)
    assert a < b and a <= b and b > a and b >= a
    assert a < 1.5 and not a > 1.5
    assert bool(ad.Scalar(0.0)) is False and bool(a) is True
    # == compares values, like <; nodes still hash by identity, so equal values stay apart in sets
    assert a == ad.Scalar(1.0) and a == 1.0 and a != b and not (a == "1.0")
    assert len({a, b, a, ad.Scalar(1.0)}) == 3


def test_float_of_scalar_is_refused_with_a_remedy():
    with pytest.raises(TypeError, match=r"\.value") as info:
        float(ad.Scalar(1.0))
    assert "ad.exp" in str(info.value)
    with pytest.raises(TypeError, match="drop the gradient"):
        math.exp(ad.Scalar(1.0))  # math.* calls float()


def test_repr_shows_value_and_grad():
    assert repr(ad.Scalar(1.5)) == "Scalar(value=1.5, grad=0.0)"


def test_node_records_inputs_and_op():
    a, b = ad.Scalar(1.0), ad.Scalar(2.0)
    c = a * b
    assert c._parents == (a, b) and c._op is S.MUL
    assert (-a)._parents == (a,)
    assert a._parents == () and a._op is None
    p = a**2
    assert p._op is S.POW_CONST and p._aux == 2.0 and p._parents == (a,)


def test_constructor_rejects_inconsistent_internal_arguments():
    a = ad.Scalar(1.0)
    with pytest.raises(ValueError, match="leaf"):
        ad.Scalar(1.0, (a, a, a), S.ADD)
    with pytest.raises(ValueError, match="leaf"):
        ad.Scalar(1.0, (a,), None)


# ---------------------------------------------------------------------- reused nodes


def test_node_used_twice_gets_both_contributions():
    a = ad.Scalar(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_square_by_multiplication():
    a = ad.Scalar(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_interior_node_used_twice():
    x = ad.Scalar(3.0)
    u = x * 2.0  # interior
    y = u * u + u  # u used three times
    y.backward()
    assert y.value == 42.0
    assert u.grad == 2 * 6.0 + 1.0
    assert x.grad == 2.0 * 13.0


def test_diamond_graph():
    """x feeds a and b, both feed y: dy/dx sums the two paths."""
    x = ad.Scalar(0.5)
    a = ad.sin(x)
    b = ad.exp(x)
    y = a * b
    y.backward()
    expected = math.cos(0.5) * math.exp(0.5) + math.sin(0.5) * math.exp(0.5)
    assert x.grad == pytest.approx(expected, rel=1e-15)
    assert a.grad == b.value and b.grad == a.value


def test_deep_diamonds():
    """Repeated diamonds: y_{k+1} = y_k * y_k / y_k + y_k doubles the derivative each level."""
    x = ad.Scalar(1.25)
    y = x
    for _ in range(40):
        y = (y * y) / y + y * 1.0
    y.backward()
    assert x.grad == 2.0**40


def test_contributions_that_cancel_to_zero_are_still_propagated():
    """u gets +g then -g (its _g returns to 0.0, so it is placed twice) and then 3g."""
    x = ad.Scalar(2.0)
    u = x * 1.0
    y = (u - u) + u * 3.0
    y.backward()
    assert u.grad == 3.0 and x.grad == 3.0


def test_gradients_accumulate_across_backward_calls():
    x = ad.Scalar(2.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 8.0
    assert y.grad == 2.0
    x.grad = 0.0
    y.backward()
    assert x.grad == 4.0  # the second pass did not propagate the first pass's gradient


def test_backward_from_an_intermediate_node():
    x = ad.Scalar(2.0)
    u = x * 3.0
    y = u * u
    u.backward()
    assert x.grad == 3.0
    assert y.grad == 0.0  # y is downstream of u: not reached
    x.grad = 0.0
    y.backward()
    assert x.grad == 2 * 6.0 * 3.0


def test_constants_do_not_need_gradients_but_get_them_consistently():
    x = ad.Scalar(2.0)
    y = x * 5  # 5 becomes a leaf
    y.backward()
    assert x.grad == 5.0
    five = y._parents[1]
    assert five.value == 5.0 and five.grad == 2.0


def test_backward_rest_state_after_pass():
    """Outside a pass every node's accumulator is 0.0 (the fused pass relies on it)."""
    x = ad.Scalar(0.7)
    y = ad.tanh(x * x + ad.sin(x)) * ad.exp(x)
    y.backward()
    assert all(node._g == 0.0 for node in SB.topological_order(y))


# --------------------------------------------------------------- the deferred (heap) path


def graph_with_old_interior_node(n_between: int):
    """c is interior and created long before the rest of the graph that uses it."""
    x = ad.Scalar(1.5)
    c = ad.sin(x) * 2.0
    junk = [ad.Scalar(float(i)) * 1.0 for i in range(n_between)]  # advances creation numbers
    y = ad.exp(c) * x + c * c
    del junk
    return x, c, y


def expected_grad_old_interior(x: float) -> float:
    c = 2 * math.sin(x)
    dc = 2 * math.cos(x)
    return math.exp(c) * dc * x + math.exp(c) + 2 * c * dc


def test_far_older_interior_node_goes_through_the_heap(monkeypatch):
    calls = []
    original = SB._backward_deferred
    monkeypatch.setattr(
        SB, "_backward_deferred", lambda heap, stop: calls.append(1) or original(heap, stop)
    )
    x, c, y = graph_with_old_interior_node(SB._FREE_GROWTH + 10)
    y.backward()
    assert calls, "the old node should have been deferred to the heap"
    assert x.grad == pytest.approx(expected_grad_old_interior(1.5), rel=1e-14)
    assert c._g == 0.0


def test_heap_path_everywhere_agrees_with_slot_path(monkeypatch):
    """With no room in the slot list, every node goes through the heap: same gradients."""

    def build(a, b):
        u = a * b
        v = ad.sin(u) + u * u - (u - u)  # reuse, cancellation, several primitives
        return ad.sigmoid(v) * ad.tanh(a) + ad.relu(v) / (b * b + 1.0) + b**2.5

    _, slot_grads = fused_gradients(build, (0.8, 1.3))
    monkeypatch.setattr(SB, "_FIRST_SLOTS", 1)
    monkeypatch.setattr(SB, "_FREE_GROWTH", 0)
    monkeypatch.setattr(SB, "_MAX_SLOTS", 0)
    _, heap_grads = fused_gradients(build, (0.8, 1.3))
    assert heap_grads == slot_grads


def test_slot_list_grows_for_large_graphs():
    """Slots start short (64) and grow geometrically: a 10k-node chain needs no heap."""
    x = ad.Scalar(1.0)
    y = x
    for _ in range(10_000):
        y = ad.tanh(y) + 0.5
    y.backward()
    # compare with the table-only path
    order = SB.backprop(y, 1.0, create_graph=False)
    ref = x._g
    for node in order:
        node._g = 0.0
    assert x.grad == ref


def test_interrupted_backward_restores_the_invariant():
    """If a rule raises mid-pass, the pending accumulators are reset: the next pass is right."""

    class Boom(Exception):
        pass

    def exploding_vjp(g, xs, out, aux):
        raise Boom

    x = ad.Scalar(2.0)
    u = x * 3.0
    bad = ad.Scalar(u.value, (u,), Rule("boom", None, (exploding_vjp,), None))
    y = bad * u + u
    with pytest.raises(Boom):
        y.backward()
    assert all(node._g == 0.0 for node in SB.topological_order(y))
    x.grad = 0.0
    (u * u).backward()
    assert x.grad == 2 * 6.0 * 3.0


# ----------------------------------------------------------------------- the long chain


def test_million_node_chain_backward_and_free():
    """A chain of 1,000,000 multiplications by one shared leaf c: no RecursionError, the
    recursion limit untouched, gradients right, and the chain frees without a crash."""
    limit = sys.getrecursionlimit()
    n = 1_000_000
    x = ad.Scalar(1.0)
    c = ad.Scalar(1.0 + 1e-7)
    y = x
    for _ in range(n):
        y = y * c
    y.backward()
    # y = x c**n, dy/dx = c**n, dy/dc = n x c**(n-1). A million roundings in the product and in
    # the accumulation into c.grad: allow 1e-9 relative (observed ~5e-12).
    assert x.grad == pytest.approx((1.0 + 1e-7) ** n, rel=1e-9)
    assert c.grad == pytest.approx(n * (1.0 + 1e-7) ** (n - 1), rel=1e-9)
    assert sys.getrecursionlimit() == limit
    ref = weakref.ref(y)
    del y  # frees a million nested nodes: must not overflow the C stack
    assert ref() is None


def test_long_chain_of_unary_functions():
    x = ad.Scalar(0.5)
    y = x
    for _ in range(200_000):
        y = ad.sin(y)
    y.backward()
    assert 0.0 < x.grad < 1.0 and math.isfinite(x.grad)


# -------------------------------------------------------------------- extremes and kinks


@pytest.mark.parametrize(
    "fn, x, value, slope",
    [
        (ad.sigmoid, -1000.0, 0.0, 0.0),
        (ad.sigmoid, 1000.0, 1.0, 0.0),
        (ad.tanh, -1000.0, -1.0, 0.0),
        (ad.tanh, 1000.0, 1.0, 0.0),
        (ad.sigmoid, -745.0, 5e-324, 5e-324),  # the smallest subnormal, not 0
        (ad.exp, -1000.0, 0.0, 0.0),
    ],
)
def test_saturating_functions_at_the_extremes(fn, x, value, slope):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow/underflow warning fails the test
        s = ad.Scalar(x)
        y = fn(s)
        y.backward()
        d = ad.Dual(x, 1.0)
        fd_ = fn(d)
        plain = fn(x)
        second = ad.grad(ad.grad(fn))(x)
    assert y.value == plain == fd_.primal == value
    assert s.grad == fd_.tangent == slope
    assert math.isfinite(second)


def test_relu_and_abs_take_subgradient_zero_at_the_kink():
    for fn in (ad.relu, ad.abs):
        x = ad.Scalar(0.0)
        fn(x).backward()
        assert x.grad == 0.0
        assert fn(ad.Dual(0.0, 1.0)).tangent == 0.0
        assert ad.grad(fn)(0.0) == 0.0
    assert ad.grad(ad.relu)(1e-300) == 1.0 and ad.grad(ad.relu)(-1e-300) == 0.0
    assert ad.grad(ad.abs)(-1e-300) == -1.0


def test_relu_propagates_nan():
    y = ad.relu(ad.Scalar(math.nan))
    assert math.isnan(y.value)


def test_pow_with_scalar_exponent_on_negative_base_has_nan_exponent_derivative():
    """d/db a**b = a**b ln a: undefined (nan) for a < 0; d/da stays right."""
    a, b = ad.Scalar(-2.0), ad.Scalar(2.0)
    y = a**b
    with pytest.warns(RuntimeWarning, match="log"):
        y.backward()
    assert y.value == 4.0
    assert a.grad == -4.0
    assert math.isnan(b.grad)


@pytest.mark.parametrize("exponent", [2.0, 0.5, 1.0, 0.0])
def test_pow_at_base_zero_has_finite_gradients(exponent):
    """HIPS autograd's test_pow cases at 0: d/db 0**b = 0 (the limit of a**b ln a for b > 0, with no
    log(0) warning), and d/da = b 0**(b-1) (inf, with numpy's warning, for 0 < b < 1); a zero
    exponent gives d/da = 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if exponent == 0.5 else "error")
        da, db = ad.grad(lambda a, b: a**b, argnums=(0, 1))(0.0, exponent)
    assert db == 0.0
    expected = {2.0: 0.0, 0.5: math.inf, 1.0: 1.0, 0.0: 0.0}[exponent]
    assert da == expected


def test_pow_constant_exponent_edge_cases():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ad.grad(lambda x: x**0)(0.0) == 0.0  # constant: not 0 * inf
        assert ad.grad(lambda x: x**1)(0.0) == 1.0
        assert ad.grad(lambda x: x**2)(-3.0) == -6.0
        assert ad.grad(lambda x: x**3)(-2.0) == 12.0
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert ad.grad(lambda x: x**0.5)(0.0) == math.inf


def test_overflow_gives_inf_with_a_warning_not_an_exception():
    with pytest.warns(RuntimeWarning, match="overflow"):
        y = ad.Scalar(10.0) ** 400
    assert y.value == math.inf
    with pytest.warns(RuntimeWarning, match="overflow"):
        assert ad.exp(ad.Scalar(1000.0)).value == math.inf


def test_division_by_zero_gives_inf_with_a_warning():
    x = ad.Scalar(1.0)
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        y = x / 0.0
    assert y.value == math.inf


def test_log_of_negative_scalar_is_nan_with_runtime_warning():
    x = ad.Scalar(-1.0)
    with pytest.warns(RuntimeWarning, match="invalid value encountered in log"):
        y = ad.log(x)
    assert math.isnan(y.value)
    y.backward()  # the local derivative 1/x is still defined
    assert x.grad == -1.0


def test_warning_points_at_the_callers_line():
    with pytest.warns(RuntimeWarning) as record:
        ad.sqrt(ad.Scalar(-4.0))
    assert record[0].filename == __file__


# ------------------------------------------------------------------ no reference cycles


@pytest.fixture
def gc_disabled():
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def test_graph_is_freed_by_reference_counting_alone(gc_disabled):
    x = ad.Scalar(0.3)
    u = ad.sin(x) * x
    y = ad.exp(u) + u * u
    y.backward()
    ref_u, ref_y = weakref.ref(u), weakref.ref(y)
    del u
    assert ref_u() is not None  # y still needs it
    del y
    assert ref_y() is None and ref_u() is None  # gone with the cycle collector off


def test_no_garbage_cycles_from_backward_or_nested_grad(gc_disabled):
    """gc.collect() returns how many unreachable objects it found: none were left in cycles."""

    def f(x):
        return ad.tanh(x) * ad.log(x * x + 1.0) / (x + 3.0) + x**2.5

    for _ in range(3):
        x = ad.Scalar(0.7)
        y = f(x)
        y.backward()
        del x, y
        ad.grad(f)(0.7)
        ad.grad(ad.grad(f))(0.7)
        ad.grad(ad.grad(ad.grad(f)))(0.7)
    assert gc.collect() == 0


def test_intermediate_nodes_die_while_output_lives(gc_disabled):
    """Nodes hold only their inputs: dropping the output of a side computation frees it."""
    x = ad.Scalar(1.0)
    side = x * 2.0
    ref = weakref.ref(side)
    keep = x + 1.0
    del side
    assert ref() is None
    assert keep.value == 2.0


def test_backward_takes_a_seed():
    """minitorch's backward(d_output): the seed scales every gradient; a bad seed is named."""
    x = ad.Scalar(3.0)
    (x * x).backward(2.5)
    assert x.grad == 2.5 * 6.0
    leaf = ad.Scalar(1.0)
    leaf.backward(-4.0)
    assert leaf.grad == -4.0
    with pytest.raises(TypeError, match=r"Scalar.backward\(grad\)"):
        (x * x).backward("1")
