"""Peer cases that need what issue 14 adds to the transforms: pytrees (dict, list, tuple in and
out), ``has_aux``, keyword arguments passed through, and the extension API ``ad.primitive``,
``ad.defvjp``, ``ad.defjvp`` with HIPS autograd's signatures (and ``Scalar.backward`` with a seed,
which minitorch's backprop cases use).

JAX's semantics: ``grad(f)(tree)`` returns a tree of the same structure; ``grad(f,
has_aux=True)`` returns ``(gradient, aux)``; ``value_and_grad(f, has_aux=True)`` returns
``((value, aux), gradient)``. Values are compared with closed forms
(exact up to rounding: 1e-12) or with check_grads (gradcheck.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_ref as ad

from .gradcheck import assert_close, check_grads, check_scalar_engines

RNG = np.random.default_rng(5)
EXACT = 1e-12


def randn(*shape):
    return RNG.normal(size=shape)


def tree_input(kind: str):
    parts = [randn(5, 6), randn(4, 3), randn(2, 4)]
    if kind == "dict":
        return {"item_1": parts[0], "item_2": parts[1], "item_X": parts[2]}
    return parts if kind == "list" else tuple(parts)


def keys(kind: str):
    return ("item_1", "item_2", "item_X") if kind == "dict" else (0, 1, 2)


@pytest.mark.parametrize("kind", ["dict", "list", "tuple"])
def test_getter(kind):
    """HIPS autograd tests/test_dict.py, test_list.py, test_tuple.py::test_getter: the gradient
    has the input's structure; an unused entry gets zeros."""
    k1, k2, kx = keys(kind)

    def fun(tree):
        return tree[k1].sum() + tree[k2].sum() + tree[k2].sum()

    x = tree_input(kind)
    g = ad.grad(fun)(x)
    assert type(g) is type(x)
    assert_close(g[k1], np.ones((5, 6)), "item 1", 0.0)
    assert_close(g[k2], 2 * np.ones((4, 3)), "item 2", 0.0)
    assert_close(g[kx], np.zeros((2, 4)), "unused item", 0.0)


@pytest.mark.parametrize("kind", ["dict", "list", "tuple"])
def test_grads(kind):
    """HIPS autograd tests/test_dict.py, test_list.py, test_tuple.py::test_grads: the gradient of
    a tree function, and the gradient of a function of that gradient (second order)."""
    k1, k2, _ = keys(kind)

    def fun(tree):
        return ad.sin(tree[k1]).sum() + ad.cos(tree[k2]).sum()

    def d_fun(tree):
        g = ad.grad(fun)(tree)
        return g[k1].sum() + ad.sin(g[k1]).sum() + ad.sin(g[k2]).sum()

    x = tree_input(kind)
    assert_close(ad.grad(fun)(x)[k1], np.cos(x[k1]), "d fun", EXACT)
    dd = ad.grad(d_fun)(x)
    a, b = x[k1], x[k2]
    assert_close(dd[k1], -np.sin(a) - np.sin(a) * np.cos(np.cos(a)), "d d_fun / d item 1", EXACT)
    assert_close(dd[k2], -np.cos(b) * np.cos(-np.sin(b)), "d d_fun / d item 2", EXACT)


def test_dict_iter_items_values_keys():
    """HIPS autograd tests/test_dict.py::test_iter and test_items_values_keys: iterating over the
    dict the transform hands f sees every entry."""

    def fun(d):
        total = 0.0
        for i, (k, v) in enumerate(sorted(d.items())):
            total = total + ad.sin(v).sum() * (i + 1.0) + ad.cos(d[k]).sum()
        for v in d.values():
            total = total + ad.sin(v).sum()
        return total

    x = tree_input("dict")
    g = ad.grad(fun)(x)
    for i, k in enumerate(sorted(x)):
        expected = np.cos(x[k]) * (i + 2.0) - np.sin(x[k])
        assert_close(g[k], expected, k, EXACT)


def test_dict_get():
    """HIPS autograd tests/test_dict.py::test_get: d.get with a default, argnums=(0, 1)."""
    fun = lambda d, x: d.get("item_1", x) ** 2  # noqa: E731
    gd, gx = ad.grad(fun, argnums=(0, 1))({"item_1": 3.0}, 2.0)
    assert gd == {"item_1": 6.0} and gx == 0.0
    gd, gx = ad.grad(fun, argnums=(0, 1))({}, 2.0)
    assert gd == {} and gx == 4.0


@pytest.mark.parametrize("kind", ["dict", "list", "tuple"])
def test_make_container(kind):
    """HIPS autograd tests/test_dict.py::test_make_dict, test_list.py::test_make_list: f returns
    a container; vjp takes a cotangent of that structure, jvp returns one."""
    if kind == "dict":
        fun, cot = (lambda x: {"a": x, "b": x * x}), {"a": 1.0, "b": 2.0}
    elif kind == "list":
        fun, cot = (lambda x: [x, x * x]), [1.0, 2.0]
    else:
        fun, cot = (lambda x: (x, x * x)), (1.0, 2.0)
    out, pullback = ad.vjp(fun, 1.5)
    assert type(out) is type(cot)
    assert pullback(cot) == (1.0 + 2.0 * 2 * 1.5,)
    _, tangent = ad.jvp(fun, (1.5,), (1.0,))
    assert type(tangent) is type(cot)


def test_list_slices_and_nesting():
    """HIPS autograd tests/test_list.py::test_slices and test_nested_list: slicing a list input,
    and a nested list whose unused branch gets zeros."""
    g = ad.grad(lambda x: x[:-1][0] * 3.0)([1.0, 2.0, 3.0])
    assert g == [3.0, 0.0, 0.0]
    g = ad.grad(lambda x: x[1:][0] * x[2])([[1.0], 2.0, 1.5])
    assert g == [[0.0], 1.5, 2.0]


def test_tuple_nested_higher_order():
    """HIPS autograd tests/test_tuple.py::test_nested_higher_order: grad of a function that takes
    a tuple, nested twice: d/dx sum(sin(grad(y0*y1)((x, x)))) = 2 cos(x)."""

    def outer(x):
        g0, g1 = ad.grad(lambda y: y[0] * y[1])((x, x))
        return ad.sin(g0) + ad.sin(g1)

    assert_close(ad.grad(outer)(0.7), 2 * np.cos(0.7), "first", EXACT)
    assert_close(ad.grad(ad.grad(outer))(0.7), -2 * np.sin(0.7), "second", EXACT)


def test_grad_and_aux():
    """HIPS autograd tests/test_wrappers.py::test_grad_and_aux, as JAX's has_aux=True."""
    a, x = randn(5, 4), randn(4)
    f = lambda x: ((a @ x).sum(), x**2)  # noqa: E731
    g, aux = ad.grad(f, has_aux=True)(x)
    assert_close(g, a.sum(axis=0), "gradient", EXACT)
    assert_close(aux, x**2, "aux", 0.0)
    (value, aux2), g2 = ad.value_and_grad(f, has_aux=True)(x)
    assert_close(value, (a @ x).sum(), "value", EXACT)
    assert_close(aux2, x**2, "aux", 0.0)
    assert_close(g2, g, "gradient", 0.0)


def complicated_fun(a, b, c, d, e, f=1.1, g=9.0):
    return a + ad.sin(b) + ad.cosh(c) + ad.cos(d) + ad.tan(e) + f + g


def test_multigrad_with_kwargs():
    """HIPS autograd tests/test_wrappers.py::test_multigrad and test_value_and_multigrad:
    keyword arguments pass through grad and value_and_grad untouched."""
    args = (0.5, -0.3, 0.2, -1.1, 0.7)
    got = ad.grad(complicated_fun, argnums=(3, 1))(*args, f=0.6, g=-0.1)
    assert_close(got, (-np.sin(-1.1), np.cos(-0.3)), "grad", EXACT)
    value, both = ad.value_and_grad(complicated_fun, argnums=(3, 1))(*args, f=0.6, g=-0.1)
    assert value == complicated_fun(*args, f=0.6, g=-0.1)
    assert both == got


def test_multigrad_packed_tuple():
    """HIPS autograd tests/test_wrappers.py::test_multigrad (the explicit side): grad of a
    function of one tuple equals grad with argnums over the unpacked arguments."""
    packed = lambda db: complicated_fun(0.5, db[1], 0.2, db[0], 0.7)  # noqa: E731
    assert_close(ad.grad(packed)((-1.1, -0.3)), (-np.sin(-1.1), np.cos(-0.3)), "packed", EXACT)


# ------------------------------------------------------------------ extension API
# The primitives are made inside the tests, so that this module imports (and the other tests run)
# before ad.primitive exists.
def make_new_mul():
    @ad.primitive
    def new_mul(x, y):
        return x * y

    ad.defvjp(new_mul, lambda ans, x, y: lambda g: y * g, lambda ans, x, y: lambda g: x * g)
    ad.defjvp(new_mul, lambda g, ans, x, y: y * g, lambda g, ans, x, y: x * g)
    return new_mul


def test_defvjp_wrapper():
    """HIPS autograd tests/test_wrappers.py::test_deprecated_defvjp_wrapper (and defgrad): a
    primitive with user VJPs and JVPs, checked in every mode to second order."""
    new_mul = make_new_mul()
    check_grads(new_mul, randn(2, 2), randn(2, 2))
    check_scalar_engines(new_mul, 0.3, -1.4)


def make_softplus():
    @ad.primitive
    def softplus(x):
        return np.logaddexp(0.0, x)

    ad.defvjp(softplus, lambda ans, x: lambda g: g * ad.sigmoid(x))
    ad.defjvp(softplus, lambda g, ans, x: g * ad.sigmoid(x))
    return softplus


def test_softplus_newcomer():
    """Issue 14's "done when" (softplus by ad.primitive/defvjp/defjvp), in the shape of HIPS's
    defvjp wrapper test: every mode, second order, floats and arrays."""
    softplus = make_softplus()
    check_grads(softplus, randn(3, 2))
    check_scalar_engines(softplus, 0.4)
    s1 = np.exp(-1.0) / (1 + np.exp(-1.0)) ** 2  # sigmoid'(1)
    hess = ad.hessian(lambda x: softplus(x).sum())(np.array([0.0, 1.0]))
    assert_close(hess, np.diag([0.25, s1]), "hessian", EXACT)


# ----------------------------------------- minitorch tests/test_autodiff.py (custom functions)
def make_minitorch_functions():
    """minitorch's Function1 (x + y + 10) and Function2 (x * y + x), as primitives."""

    @ad.primitive
    def function1(x, y):
        return x + y + 10.0

    ad.defvjp(function1, lambda ans, x, y: lambda g: g, lambda ans, x, y: lambda g: g)

    @ad.primitive
    def function2(x, y):
        return x * y + x

    ad.defvjp(
        function2, lambda ans, x, y: lambda g: g * (y + 1.0), lambda ans, x, y: lambda g: g * x
    )
    return function1, function2


def test_chain_rule_constant_and_variable():
    """minitorch tests/test_autodiff.py::test_chain_rule3 and test_chain_rule4: a constant
    argument gets no derivative; with seed 5, d/dx (x y + x) = 5 (y + 1), d/dy = 5 x."""
    _, function2 = make_minitorch_functions()
    assert ad.grad(lambda v: function2(10.0, v) * 5.0)(5.0) == 50.0
    gx, gy = ad.grad(lambda a, b: function2(a, b) * 5.0, argnums=(0, 1))(5.0, 10.0)
    assert (gx, gy) == (55.0, 25.0)


@pytest.mark.parametrize(
    ("name", "build", "expected"),
    [
        ("test_backprop1", lambda f1, v: f1(0.0, v), 5.0),
        ("test_backprop2", lambda f1, v: f1(0.0, f1(0.0, v)), 5.0),
        ("test_backprop3", lambda f1, v: f1(f1(0.0, v), f1(0.0, v)), 10.0),
        ("test_backprop4", lambda f1, v: f1(f1(0.0, f1(0.0, v)), f1(0.0, f1(0.0, v))), 10.0),
    ],  # fmt: skip
    ids=["test_backprop1", "test_backprop2", "test_backprop3", "test_backprop4"],
)
def test_backprop_with_seed(name, build, expected):
    """minitorch tests/test_autodiff.py::<name>: backward(d_output=5) through custom functions,
    with a node used twice."""
    function1, _ = make_minitorch_functions()
    v = ad.Scalar(0.0)
    build(function1, v).backward(5.0)
    assert v.grad == expected
