"""minitorch's operator properties and derivative checks (tests/test_operators.py,
test_scalar.py, test_tensor.py and minitorch/testing.py's MathTest table), on autograd_ref.

minitorch states properties of its operators with Hypothesis (``small_floats`` in [-100, 100])
and checks every MathTest function's derivative against central differences on Scalars and
Tensors. We state the same properties for ``ad.*`` on floats, ``ad.Scalar`` and ``ad.Tensor``,
and check the same MathTest rows with ``check_scalar_engines`` and ``check_grads`` (tolerance
as in gradcheck.py; Hypothesis runs derandomized, so the examples are fixed).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_ref as ad

from .gradcheck import assert_close, check_grads, check_scalar_engines, numeric_directional

small_floats = st.floats(min_value=-100, max_value=100, allow_nan=False)
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True)


def value(x) -> float:
    """The plain number of a float, Scalar or 0-d Tensor."""
    if isinstance(x, ad.Scalar):
        return x.value
    if isinstance(x, ad.Tensor):
        return float(x.data)
    return float(x)


KINDS = {"float": float, "Scalar": ad.Scalar, "Tensor": lambda v: ad.Tensor(v)}


# ------------------------------------------------------------- tests/test_operators.py
@PROPERTY
@given(small_floats, small_floats)
@pytest.mark.parametrize("kind", KINDS)
def test_same_as_python(kind, x, y):
    """minitorch tests/test_operators.py::test_same_as_python: mul, add, neg, inv as Python."""
    a, b = KINDS[kind](x), KINDS[kind](y)
    assert value(a * b) == pytest.approx(x * y, rel=1e-12, abs=1e-12)
    assert value(a + b) == pytest.approx(x + y, rel=1e-12, abs=1e-12)
    assert value(-a) == -x
    if abs(x) > 1e-5:
        assert value(1.0 / a) == pytest.approx(1.0 / x, rel=1e-12)


@PROPERTY
@given(small_floats)
@pytest.mark.parametrize("kind", KINDS)
def test_relu(kind, a):
    """minitorch tests/test_operators.py::test_relu: relu(a) = a for a > 0, 0 for a < 0."""
    r = value(ad.relu(KINDS[kind](a)))
    if a > 0:
        assert r == a
    if a < 0:
        assert r == 0.0


@PROPERTY
@given(small_floats, small_floats)
def test_relu_back(a, b):
    """minitorch tests/test_operators.py::test_relu_back: relu's VJP passes b for a > 0 and 0
    for a < 0 (here through ad.vjp and Scalar.backward)."""
    _, pullback = ad.vjp(ad.relu, a)
    x = ad.Scalar(a)
    (ad.relu(x) * b).backward()
    if a > 0:
        assert pullback(b) == (b,) and x.grad == b
    if a < 0:
        assert pullback(b) == (0.0,) and x.grad == 0.0


@PROPERTY
@given(small_floats)
def test_id(a):
    """minitorch tests/test_operators.py::test_id: +a (the identity) returns a."""
    assert value(+ad.Tensor(a)) == a
    assert value(ad.Scalar(a) * 1.0) == a


@PROPERTY
@given(small_floats)
@pytest.mark.parametrize("kind", KINDS)
def test_lt_eq(kind, a):
    """minitorch tests/test_operators.py::test_lt and test_eq: a - 1 < a; a == a; a != a +- 1."""
    x, lower, upper = KINDS[kind](a), KINDS[kind](a - 1.0), KINDS[kind](a + 1.0)
    assert bool(lower < x) and not bool(x < lower)
    assert bool(x == KINDS[kind](a))
    assert not bool(x == lower) and not bool(x == upper)


@PROPERTY
@given(small_floats)
def test_max(a):
    """minitorch tests/test_operators.py::test_max: max(a - 1, a) = a, max(a + 1, a) = a + 1."""
    for lo, hi in [(a - 1.0, a), (a, a + 1.0)]:
        assert ad.maximum(np.array(lo), np.array(hi)) == hi
        assert ad.maximum(np.array(hi), np.array(lo)) == hi
        assert float(ad.maximum(ad.Tensor(lo), ad.Tensor(hi)).data) == hi


@PROPERTY
@given(small_floats)
@pytest.mark.parametrize("kind", KINDS)
def test_sigmoid(kind, a):
    """minitorch tests/test_operators.py::test_sigmoid: in [0, 1]; 1 - s(a) = s(-a); s(0) =
    0.5; increasing."""
    s = value(ad.sigmoid(KINDS[kind](a)))
    assert 0.0 <= s <= 1.0
    assert 1.0 - s == pytest.approx(value(ad.sigmoid(KINDS[kind](-a))), abs=1e-15)
    assert value(ad.sigmoid(KINDS[kind](0.0))) == 0.5
    assert value(ad.sigmoid(KINDS[kind](a + 1.0))) >= s


@PROPERTY
@given(small_floats, small_floats, small_floats)
def test_transitive(a, b, c):
    """minitorch tests/test_operators.py::test_transitive: a < b and b < c imply a < c (on
    Scalars and Tensors)."""
    for make in (ad.Scalar, ad.Tensor):
        x, y, z = make(a), make(b), make(c)
        if bool(x < y) and bool(y < z):
            assert bool(x < z)


@PROPERTY
@given(small_floats, small_floats, small_floats)
def test_symmetric_and_distribute(x, y, z):
    """minitorch tests/test_operators.py::test_symmetric and test_distribute: x y = y x and
    z (x + y) = z x + z y, values and gradients."""
    gx, gy, gz = ad.grad(lambda x, y, z: z * (x + y), argnums=(0, 1, 2))(x, y, z)
    hx, hy, hz = ad.grad(lambda x, y, z: z * x + z * y, argnums=(0, 1, 2))(x, y, z)
    assert (gx, gy) == (hx, hy) == (z, z)
    assert gz == pytest.approx(hz, rel=1e-12, abs=1e-12)
    assert value(ad.Scalar(x) * ad.Scalar(y)) == value(ad.Scalar(y) * ad.Scalar(x))


@PROPERTY
@given(st.floats(min_value=0.1, max_value=100), st.floats(min_value=0.1, max_value=100))
def test_other(x, y):
    """minitorch tests/test_operators.py::test_other: log(x y) = log x + log y, and so are the
    gradients."""
    assert ad.log(x * y) == pytest.approx(ad.log(x) + ad.log(y), rel=1e-12, abs=1e-12)
    g = ad.grad(lambda a, b: ad.log(a * b), argnums=(0, 1))(x, y)
    assert g == pytest.approx((1.0 / x, 1.0 / y), rel=1e-12)


@PROPERTY
@given(
    st.lists(small_floats, min_size=5, max_size=5), st.lists(small_floats, min_size=5, max_size=5)
)
def test_sum_distribute(ls1, ls2):
    """minitorch tests/test_operators.py::test_sum_distribute and test_zip_with: sum(a) + sum(b)
    = sum(a + b), on Tensors."""
    a, b = ad.Tensor(np.array(ls1)), ad.Tensor(np.array(ls2))
    assert float((a.sum() + b.sum()).data) == pytest.approx(float((a + b).sum().data), abs=1e-10)


@PROPERTY
@given(st.lists(small_floats))
def test_sum_and_neg_list(ls):
    """minitorch tests/test_operators.py::test_sum and test_negList: the sum of a list (0 for an
    empty one) and its negation, with the gradient of the sum all ones."""
    x = np.array(ls, dtype=np.float64)
    assert float(ad.Tensor(x).sum().data) == pytest.approx(math.fsum(ls), abs=1e-9)
    assert np.array_equal((-ad.Tensor(x)).data, -x)
    assert np.array_equal(ad.grad(lambda t: t.sum())(x), np.ones(len(ls)))


@PROPERTY
@given(small_floats, small_floats, small_floats)
def test_prod(x, y, z):
    """minitorch tests/test_operators.py::test_prod: x y z, and its gradient (y z, x z, x y)."""
    g = ad.grad(lambda a, b, c: a * b * c, argnums=(0, 1, 2))(x, y, z)
    assert g == pytest.approx((y * z, x * z, x * y), rel=1e-12, abs=1e-12)


@PROPERTY
@given(small_floats, small_floats)
def test_backs(a, b):
    """minitorch tests/test_operators.py::test_backs: the VJPs of relu, inv and log: relu at a,
    1/x at a + 2.4 (away from 0) and log at |a| + 4, times b."""
    assert ad.vjp(lambda x: 1.0 / x, a + 200.5)[1](b)[0] == pytest.approx(-b / (a + 200.5) ** 2)
    assert ad.vjp(ad.log, abs(a) + 4)[1](b)[0] == pytest.approx(b / (abs(a) + 4))


# -------------------------------------------------- minitorch/testing.py's MathTest table
MATH_ONE = [
    ("neg", lambda a: -a),
    ("addConstant", lambda a: 5 + a),
    ("square", lambda a: a * a),
    ("cube", lambda a: a * a * a),
    ("subConstant", lambda a: a - 5),
    ("multConstant", lambda a: 5 * a),
    ("div", lambda a: a / 5),
    ("inv", lambda a: 1.0 / (a + 3.5)),
    ("sig", lambda a: ad.sigmoid(a)),
    ("log", lambda a: ad.log(a + 100000)),
    ("relu", lambda a: ad.relu(a + 5.5)),
    ("exp", lambda a: ad.exp(a - 200)),
    ("explog", lambda a: ad.log(a + 100000) + ad.exp(a - 200)),
    ("complex", lambda a: ad.log(ad.sigmoid(ad.relu(ad.relu(a * 10 + 7) * 6 + 5) * 10)) / 50),
]
MATH_TWO = [
    ("add2", lambda a, b: a + b),
    ("mul2", lambda a, b: a * b),
    ("div2", lambda a, b: a / (b + 5.5)),
]


def away_from_kinks(name: str, a: float) -> bool:
    """Central differences are meaningless across relu's kink or inv's pole."""
    kinks = {"relu": [-5.5], "complex": [-0.7, -0.7 - 5 / 60], "inv": [-3.5]}
    return all(abs(a - k) > 1e-3 for k in kinks.get(name, []))


@PROPERTY
@given(st.floats(min_value=-10, max_value=10, allow_nan=False))
@pytest.mark.parametrize(("name", "f"), MATH_ONE, ids=[m[0] for m in MATH_ONE])
def test_one_derivative(name, f, a):
    """minitorch tests/test_scalar.py::test_one_args / test_one_derivative (MathTest one-argument
    rows): the value on Scalar equals the float value, and grad/Dual match central differences."""
    if not away_from_kinks(name, a) or (name == "div2"):
        return
    assert value(f(ad.Scalar(a))) == pytest.approx(f(a), rel=1e-12, abs=1e-300)
    check_scalar_engines(f, a)


@PROPERTY
@given(
    st.floats(min_value=-10, max_value=10, allow_nan=False),
    st.floats(min_value=-5, max_value=10, allow_nan=False),
)
@pytest.mark.parametrize(("name", "f"), MATH_TWO, ids=[m[0] for m in MATH_TWO])
def test_two_derivative(name, f, a, b):
    """minitorch tests/test_scalar.py::test_two_args / test_two_derivative (div2 keeps b + 5.5
    positive)."""
    assert value(f(ad.Scalar(a), ad.Scalar(b))) == pytest.approx(f(a, b), rel=1e-12, abs=1e-300)
    check_scalar_engines(f, a, b)


@pytest.mark.parametrize(("name", "f"), MATH_ONE, ids=[m[0] for m in MATH_ONE])
def test_tensor_one_derivative(name, f):
    """minitorch tests/test_tensor.py::test_one_args / test_one_derivative: the MathTest rows on
    a (2, 3) tensor, fwd and rev to second order."""
    rng = np.random.default_rng([17, len(name)])
    x = rng.uniform(-1.0, 1.0, size=(2, 3))
    if name == "complex":
        x = rng.uniform(0.0, 1.0, size=(2, 3))  # past both relu kinks (-0.7, -0.78)
    check_grads(f, x)


@pytest.mark.parametrize(("name", "f"), MATH_TWO, ids=[m[0] for m in MATH_TWO])
def test_tensor_two_grad_broadcast(name, f):
    """minitorch tests/test_tensor.py::test_two_grad and test_two_grad_broadcast: two tensors,
    equal shapes and broadcast (3, 4) with (4,)."""
    rng = np.random.default_rng(23)
    check_grads(f, rng.normal(size=(3, 4)), rng.normal(size=(3, 4)))
    check_grads(f, rng.normal(size=(3, 4)), rng.normal(size=4))


@pytest.mark.parametrize(
    ("name", "f"),
    [
        ("sum_red", lambda a: a.sum(axis=0)),
        ("mean_red", lambda a: a.mean(axis=0)),
        ("mean_full_red", lambda a: a.mean()),
    ],
)
def test_tensor_grad_reduce(name, f):
    """minitorch tests/test_tensor.py::test_grad_reduce (MathTest reductions)."""
    check_grads(f, np.random.default_rng(29).normal(size=(3, 4, 2)))


def test_central_diff():
    """minitorch tests/test_scalar.py::test_central_diff: the numerical derivative helper itself
    gives known derivatives (so the checks above can fail)."""
    assert numeric_directional(lambda x: x * x, (5.0,), (1.0,)) == pytest.approx(10.0, abs=1e-6)
    assert numeric_directional(lambda x: ad.exp(x), (0.0,), (1.0,)) == pytest.approx(1.0, abs=1e-6)
    assert numeric_directional(lambda x, y: x * y, (2.0, 3.0), (0.0, 1.0)) == pytest.approx(2.0)


def test_grad_size():
    """minitorch tests/test_tensor.py::test_grad_size: a broadcast operand's gradient has the
    operand's shape, not the result's."""
    a = ad.Tensor(np.array([1.0]), requires_grad=True)
    b = ad.Tensor(np.array([[1.0, 1.0]]), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (1,) and b.grad.shape == (1, 2)


@PROPERTY
@given(st.permutations([0, 1, 2]))
def test_permute(perm):
    """minitorch tests/test_tensor.py::test_permute: transpose by any permutation, gradients."""
    check_grads(lambda x: x.transpose(*perm), np.random.default_rng(31).normal(size=(2, 3, 4)))


def test_view_and_back_view():
    """minitorch tests/test_tensor.py::test_view and test_back_view: reshape keeps the entries in
    order, and its gradient is reshaped back."""
    x = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(ad.Tensor(x).reshape(3, 2).data, x.reshape(3, 2))
    check_grads(lambda t: t.reshape(6) * t.reshape(6), x)


def test_index_and_reduce_forward():
    """minitorch tests/test_tensor.py::test_index, test_reduce_forward_one_dim(_2),
    test_reduce_forward_all_dims: values of indexing and reductions."""
    t = ad.Tensor(np.array([[2.0, 3.0], [4.0, 6.0], [5.0, 7.0]]))
    assert float(t[1, 1].data) == 6.0
    assert_close(t.sum(axis=0), [11.0, 16.0], "sum over 0", 0.0)
    assert_close(t.sum(axis=1), [5.0, 10.0, 12.0], "sum over 1", 0.0)
    assert float(t.sum().data) == 27.0


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_softmax(axis):
    """minitorch tests/test_nn.py::test_softmax and test_log_softmax: softmax sums to 1 along
    its axis, log_softmax is its log, and both differentiate (fwd and rev, second order)."""
    x = np.random.default_rng(37).normal(size=(2, 3, 4))
    s = ad.softmax(ad.Tensor(x), axis=axis)
    assert_close(s.sum(axis=axis), np.ones(np.delete(x.shape, axis)), "sum", 1e-14)
    assert_close(ad.log_softmax(ad.Tensor(x), axis=axis), np.log(s.data), "log", 1e-14)
    check_grads(lambda t: ad.softmax(t, axis=axis) * np.arange(24.0).reshape(2, 3, 4), x)
    check_grads(lambda t: ad.log_softmax(t, axis=axis), x)


@pytest.mark.parametrize("kind", ["Tensor", "array", "float"])
def test_softmax_zero_d(kind):
    """minitorch tests/test_nn.py::test_softmax, edge case: a 0-d input is one entry, so
    softmax is 1 and log_softmax 0, with zero derivative (PyTorch's and JAX's answer)."""
    x = {"Tensor": ad.Tensor(1.5), "array": np.array(1.5), "float": 1.5}[kind]
    assert value(ad.softmax(x)) == 1.0 and value(ad.log_softmax(x)) == 0.0
    assert value(ad.softmax(x, axis=0)) == 1.0
    check_grads(ad.softmax, np.array(1.5))
    check_grads(ad.log_softmax, np.array(1.5))
    with pytest.raises(ValueError, match="axis 1 is out of range"):
        ad.softmax(x, axis=1)
