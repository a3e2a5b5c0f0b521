"""HIPS autograd's graph, Jacobian and wrapper cases (tests/test_graphs.py, test_jacobian.py,
test_wrappers.py) and test_systematic.py's unary functions and reductions, on autograd_ref.

Nested transforms are the point of most of these: the function under ``check_grads`` itself calls
``ad.grad``/``ad.jacrev``/``ad.hessian``, so fwd and rev second order checks differentiate
through a whole inner transform (tolerances as in gradcheck.py). Cases needing pytrees, keyword
arguments or has_aux are in test_transform_api_cases.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_ref as ad

from .gradcheck import assert_close, check_grads

RNG = np.random.default_rng(11)


def randn(*shape):
    return RNG.normal(size=shape)


# ------------------------------------------------------------------- tests/test_graphs.py
def fanout(x):
    return ad.sin(ad.sin(x) + ad.sin(x))


def test_grad_fanout():
    """HIPS autograd tests/test_graphs.py::test_grad_fanout: a value used twice, and the
    derivative of its gradient."""
    check_grads(fanout, 0.3)
    check_grads(ad.grad(fanout), 0.6)
    check_grads(ad.grad(lambda x: fanout(x).sum()), randn(3))


def test_grad_const():
    """HIPS autograd tests/test_graphs.py::test_grad_const: f ignoring x has derivative 0."""
    assert ad.grad(lambda x: 1.0)(2.0) == 0.0
    assert np.array_equal(ad.grad(lambda x: 1.0)(np.ones(3)), np.zeros(3))


def test_grad_identity():
    """HIPS autograd tests/test_graphs.py::test_grad_identity: d/dx x = 1 and d2/dx2 x = 0."""
    assert ad.grad(lambda x: x)(2.0) == 1.0
    assert ad.grad(ad.grad(lambda x: x))(2.0) == 0.0


def test_hess_vector_prod():
    """HIPS autograd tests/test_graphs.py::test_hess_vector_prod: differentiating
    sin(v . grad f(x)) with respect to v and x goes through a gradient computed inside."""
    w = randn(10)
    df = ad.grad(lambda x: ad.sin((x * w).sum()))

    def vector_product(x, v):
        return ad.sin((v * df(x)).sum())

    check_grads(vector_product, randn(10), randn(10))


@pytest.mark.parametrize("name", ["test_enclosing_scope_ref", "test_enclosing_scope_ref_2"])
def test_enclosing_scope_ref(name):
    """HIPS autograd tests/test_graphs.py::<name>: an inner grad closes over the outer x; the
    outer derivative of x * d/dy (x y) = x**2 is 2x (no perturbation confusion)."""
    if name.endswith("_2"):

        def fun(x):
            return x * ad.grad(lambda y: y * x)(2.0)
    else:

        def fun(x):
            return x * ad.grad(lambda y: x * y)(2.0)

    check_grads(fun, 1.0)
    assert ad.grad(fun)(1.5) == 3.0


def test_mutating_outgrad():
    """HIPS autograd tests/test_graphs.py::test_mutating_outgrad: gradients accumulating along
    several paths into one node must not alias each other."""

    def fun(a):
        b = a + 1.0
        c = b + 1.5
        d = a + b
        return d + c

    check_grads(fun, randn(5))


def test_mutating_outgrad_from_indexing():
    """HIPS autograd tests/test_graphs.py::test_mutating_outgrad_from_indexing."""

    def fun(a):
        b = a + 1.0
        c = b[0] + 1.5
        d = a + b
        return d + c

    check_grads(fun, randn(5))


@pytest.mark.parametrize(
    ("name", "argnums"),
    [
        ("test_third_derivative", None),
        ("test_third_derivative_other_args", (0, 1, 0)),
        ("test_third_derivative_other_args2", (1, 0, 1)),
    ],
)
def test_third_derivative(name, argnums):
    """HIPS autograd tests/test_graphs.py::<name>: grad of grad of grad, mixing arguments."""
    if argnums is None:
        f = fanout
        d1, d2, d3 = ad.grad(f), ad.grad(ad.grad(f)), ad.grad(ad.grad(ad.grad(f)))
        for g in (f, d1, d2, d3):
            check_grads(g, 0.4, order=1)
        # d3/dx3 sin(2 sin x) against central differences of the second derivative
        h = 1e-5
        assert_close(d3(0.4), (d2(0.4 + h) - d2(0.4 - h)) / (2 * h), "third derivative", 1e-6)
        return

    def fun(x, y):
        return ad.sin(ad.sin(x) + ad.sin(y))

    i, j, k = argnums
    d1 = ad.grad(fun, i)
    d2 = ad.grad(d1, j)
    d3 = ad.grad(d2, k)
    for g in (fun, d1, d2, d3):
        check_grads(g, 0.3, -0.8, order=1)


@pytest.mark.parametrize(
    ("name", "f", "shape"),
    [
        ("test_singleton_array_output", lambda x: ad.sin(x).sum(keepdims=True), (3, 3)),
        ("test_singleton_array_output_axis0", lambda x: ad.sin(x).sum(axis=0), (3, 1)),
        ("test_singleton_array_output_axis1", lambda x: ad.sin(x).sum(axis=1), (1, 3)),
        (
            "test_singleton_array_output_axis0_keepdims",
            lambda x: ad.sin(x).sum(axis=0, keepdims=True),
            (3, 1),
        ),
        (
            "test_singleton_array_output_axis1_keepdims",
            lambda x: ad.sin(x).sum(axis=1, keepdims=True),
            (1, 3),
        ),
    ],  # fmt: skip
)
def test_singleton_array_output(name, f, shape):
    """HIPS autograd tests/test_graphs.py::<name>: grad of a one-entry (not 0-d) output."""
    x = randn(*shape)
    check_grads(f, x)
    check_grads(lambda x: ad.grad(f)(x).sum(), x)
    assert_close(ad.grad(f)(x), np.cos(x), "gradient")


def test_assignment_raises_error():
    """HIPS autograd tests/test_graphs.py::test_assignment_raises_error: assigning into a value
    being differentiated is an error, not a silently wrong gradient."""

    def fun(a, b):
        a[1] = b
        return a.sum()

    with pytest.raises(TypeError):
        ad.grad(fun)(randn(5), 3.0)


# ----------------------------------------------------------------- tests/test_jacobian.py
def test_jacobian_against_grad():
    """HIPS autograd tests/test_jacobian.py::test_jacobian_against_grad: for a one-entry output
    the Jacobian is the gradient (with the output's leading axes)."""
    f = lambda x: ad.sin(x).sum(axis=1, keepdims=True)  # noqa: E731
    a = randn(1, 3)
    for jac in (ad.jacrev, ad.jacfwd):
        assert_close(jac(f)(a).reshape(1, 3), ad.grad(lambda x: f(x).sum())(a), jac.__name__)


def test_jacobian_scalar_to_vector():
    """HIPS autograd tests/test_jacobian.py::test_jacobian_scalar_to_vector: [1, 2x, 3x^2]."""
    x = 0.7
    f = lambda x: ad.stack([x, x**2, x**3])  # noqa: E731
    for jac in (ad.jacrev, ad.jacfwd):
        assert_close(jac(f)(np.array(x)), [1.0, 2 * x, 3 * x**2], jac.__name__)


def test_jacobian_against_stacked_grads():
    """HIPS autograd tests/test_jacobian.py::test_jacobian_against_stacked_grads (the product
    prod: test_ops_added_cases.py): the Jacobian's rows are the gradients."""
    scalar_funs = [
        lambda x: (x**3).sum(),
        lambda x: (ad.sin(x) + ad.sin(x)).sum() * x[0],
        lambda x: ad.grad(lambda y: ad.exp(y) * ad.tanh(x[0]))(x[1]),
    ]
    x = randn(5)
    vector_fun = lambda x: ad.stack([f(x) for f in scalar_funs])  # noqa: E731
    grads = np.stack([ad.grad(f)(x) for f in scalar_funs])
    assert_close(ad.jacrev(vector_fun)(x), grads, "jacrev")
    assert_close(ad.jacfwd(vector_fun)(x), grads, "jacfwd")


def test_jacobian_higher_order():
    """HIPS autograd tests/test_jacobian.py::test_jacobian_higher_order (outer written as a
    broadcast product; ad.outer is tested in test_ops_added_cases.py)."""

    def fun(x):
        return ad.sin(x[:, None] * x[None, :]) + ad.cos((x * x).sum())

    x = randn(2)
    assert ad.jacrev(fun)(x).shape == (2, 2, 2)
    assert ad.jacrev(ad.jacrev(fun))(x).shape == (2, 2, 2, 2)
    assert ad.jacfwd(ad.jacrev(fun))(x).shape == (2, 2, 2, 2)
    check_grads(lambda x: ad.sin(ad.jacrev(fun)(x)).sum(), x)
    check_grads(lambda x: ad.sin(ad.jacrev(ad.jacrev(fun))(x)).sum(), x, order=1)


# ----------------------------------------------------------------- tests/test_wrappers.py
def test_return_both():
    """HIPS autograd tests/test_wrappers.py::test_return_both: value_and_grad gives f and f'."""
    f = lambda x: 3.0 * x**3.2  # noqa: E731
    value, d = ad.value_and_grad(f)(1.7)
    assert value == f(1.7)
    assert d == ad.grad(f)(1.7)


def test_value_and_grad():
    """HIPS autograd tests/test_wrappers.py::test_value_and_grad: plain outputs, and the value
    itself is differentiable when nested."""
    f = lambda x: (ad.sin(x) ** 2).sum()  # noqa: E731
    x = randn(5)
    value, g = ad.value_and_grad(f)(x)
    assert not isinstance(value, ad.Tensor) and not isinstance(g, ad.Tensor)
    assert_close(value, f(x), "value")
    assert_close(g, ad.grad(f)(x), "gradient")
    check_grads(lambda x: ad.value_and_grad(f)(x)[0], x)


def test_hessian_quadratic():
    """HIPS autograd tests/test_wrappers.py::test_hessian: x H x has Hessian H + H^T."""
    m = randn(5, 5)
    assert_close(ad.hessian(lambda x: x @ m @ x)(randn(5)), m + m.T, "hessian")


def complicated_fun(a, b, c, d, e):
    return a + ad.sin(b) + (ad.exp(c) + ad.exp(-c)) / 2.0 + ad.cos(d) + ad.tan(e)


def test_multigrad():
    """HIPS autograd tests/test_wrappers.py::test_multigrad and test_value_and_multigrad
    (cosh written as (e^c + e^-c)/2; the f=, g= keywords are in test_transform_api_cases.py):
    argnums=(3, 1) gives (d/dd, d/db) in that order."""
    args = (0.5, -0.3, 0.2, -1.1, 0.7)
    got = ad.grad(complicated_fun, argnums=(3, 1))(*args)
    assert_close(got, (-np.sin(-1.1), np.cos(-0.3)), "grad argnums=(3, 1)")
    value, both = ad.value_and_grad(complicated_fun, argnums=(3, 1))(*args)
    assert value == complicated_fun(*args) and both == got


def test_multigrad_onearg():
    """HIPS autograd tests/test_wrappers.py::test_multigrad_onearg: argnums=(0,) gives a
    1-tuple."""
    a, b = randn(3), randn(3)
    got = ad.grad(lambda x, y: (x + ad.sin(y)).sum(), argnums=(0,))(a, b)
    assert isinstance(got, tuple) and len(got) == 1
    assert_close(got[0], np.ones(3), "gradient")


def test_elementwise_grad():
    """HIPS autograd tests/test_wrappers.py::test_elementwise_grad and ..._multiple_args: the
    VJP with a ones cotangent of an elementwise function is its pointwise derivative."""

    def simple(a, b):
        return a + ad.sin(a) + (ad.exp(b) + ad.exp(-b)) / 2.0

    b = randn(10)
    _, pullback = ad.vjp(lambda b: simple(0.9, b), b)
    explicit = np.array([ad.grad(simple, 1)(0.9, float(bi)) for bi in b])
    assert_close(pullback(np.ones(10))[0], explicit, "elementwise grad")


@pytest.mark.parametrize(
    ("name", "shape"),
    [("test_hessian_tensor_product", (5,)), ("test_hessian_matrix_product", (5, 4)),
     ("test_hessian_tensor_product_3d", (5, 4, 3)), ("test_hvp", (5,))],
)  # fmt: skip
def test_hessian_tensor_product(name, shape):
    """HIPS autograd tests/test_wrappers.py::<name>: H . V contracted over all axes equals the
    forward-over-reverse product jvp(grad f)(a; V)."""
    f = lambda a: ad.sin(a).sum()  # noqa: E731
    a, v = randn(*shape), randn(*shape)
    h = ad.hessian(f)(a)
    expected = np.tensordot(h, v, axes=len(shape))
    assert_close(ad.jvp(ad.grad(f), (a,), (v,))[1], expected, "H v")
    assert_close(expected, -np.sin(a) * v, "H v (closed form)")


@pytest.mark.parametrize(
    ("name", "a_shape", "v_shape"),
    [("test_tensor_jacobian_product", (5,), (5,)),
     ("test_matrix_jacobian_product", (5, 4), (5, 4)),
     ("test_tensor_jacobian_product (3-d input, 2-d cotangent)", (5, 4, 3), (5, 4))],
)  # fmt: skip
def test_tensor_jacobian_product(name, a_shape, v_shape):
    """HIPS autograd tests/test_wrappers.py::<name>: the VJP equals V contracted with the
    Jacobian (roll written as fancy indexing along the first axis)."""
    a, v = randn(*a_shape), randn(*v_shape)
    roll = np.roll(np.arange(a_shape[0]), 1)
    f = lambda a: ad.sin(a)[roll].sum(axis=tuple(range(len(v_shape), len(a_shape))))  # noqa: E731
    jac = ad.jacrev(f)(a)
    expected = np.tensordot(v, jac, axes=len(v_shape))
    assert_close(ad.vjp(f, a)[1](v)[0], expected, "V J")


def test_make_jvp():
    """HIPS autograd tests/test_wrappers.py::test_make_jvp: jvp equals J @ v."""
    a = randn(3, 4)
    f = lambda x: ad.tanh(a @ x)  # noqa: E731
    x, v = randn(4), randn(4)
    assert_close(ad.jvp(f, (x,), (v,))[1], ad.jacfwd(f)(x) @ v, "J v")


def test_make_ggnvp():
    """HIPS autograd tests/test_wrappers.py::test_make_ggnvp: the Gauss-Newton product J^T H_g J
    v from jvp, then hessian-vector, then vjp, against the explicit matrices."""
    a = randn(3, 4)
    f = lambda x: ad.tanh(a @ x)  # noqa: E731
    g = lambda y: (ad.sin(y) * y).sum()  # noqa: E731
    x, v = randn(4), randn(4)
    y, jv = ad.jvp(f, (x,), (v,))
    hjv = ad.jvp(ad.grad(g), (y,), (jv,))[1]
    ggnvp = ad.vjp(f, x)[1](hjv)[0]
    jac, hg = ad.jacrev(f)(x), ad.hessian(g)(y)
    assert_close(ggnvp, jac.T @ hg @ jac @ v, "GGN v")


def test_wrapped_name_and_docs():
    """HIPS autograd tests/test_wrappers.py::test_wrapped_name_and_docs: a transform's result
    carries a name saying what it computes."""

    def fun(x):
        return x

    assert ad.grad(fun).__name__ == "grad(fun)"
    assert ad.value_and_grad(fun).__name__ == "value_and_grad(fun)"
    assert ad.jacrev(fun).__name__ == "jacrev(fun)"
    assert ad.hessian(fun).__name__ == "hessian(fun)"


# --------------------------------------------------------------- tests/test_systematic.py
R3 = (2, 3, 4)
SORT_X = randn(6)
UNARY = [
    ("abs", ad.abs, "nonzero"), ("absolute/fabs", ad.abs, "nonzero"), ("cos", ad.cos, "any"),
    ("exp", ad.exp, "any"), ("log", ad.log, "positive"), ("sin", ad.sin, "any"),
    ("sqrt", ad.sqrt, "positive"), ("square", lambda x: x * x, "any"),
    ("tan", ad.tan, "small"), ("tanh", ad.tanh, "any"),
    ("logaddexp (as log(exp x + exp y) with y = x/2)",
     lambda x: ad.log(ad.exp(x) + ad.exp(x / 2.0)), "any"),
]  # fmt: skip


def sample(kind: str, shape) -> np.ndarray:
    x = randn(*shape)
    if kind == "positive":
        return np.abs(x) + 0.3
    if kind == "nonzero":
        return np.sign(x) * (np.abs(x) + 0.3)
    if kind == "small":
        return np.clip(x, -1.0, 1.0)
    return x


@pytest.mark.parametrize(("name", "f", "kind"), UNARY, ids=[u[0] for u in UNARY])
def test_systematic_unary(name, f, kind):
    """HIPS autograd tests/test_systematic.py::test_<name> (unary_ufunc_check): on a float and on
    a (2, 3, 4) array, fwd and rev to second order."""
    check_grads(f, float(sample(kind, ())))
    check_grads(f, sample(kind, R3))


REDUCTIONS = [("sum", "sum"), ("mean", "mean"), ("max", "max"), ("min", "min")]
AXES = [None, 0, 1, -1, (0, 2)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=[str(a) for a in AXES])
@pytest.mark.parametrize("name", [r[0] for r in REDUCTIONS])
def test_systematic_reductions(name, axis, keepdims):
    """HIPS autograd tests/test_systematic.py::test_<name> (stat_check: every axis, keepdims);
    max/min on distinct entries, so no ties."""
    x = (RNG.permutation(24) * 0.1 + RNG.uniform(0, 0.01, 24)).reshape(R3)
    check_grads(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), x)


SYSTEMATIC_ARRAY = [
    ("test_transpose", lambda x: x.transpose(2, 0, 1), (randn(*R3),)),
    ("test_moveaxis (as transpose)", lambda x: x.transpose(1, 2, 0), (randn(*R3),)),
    ("test_swapaxes (as transpose)", lambda x: x.transpose(2, 1, 0), (randn(*R3),)),
    ("test_rollaxis (as transpose)", lambda x: x.transpose(0, 2, 1), (randn(*R3),)),
    ("test_diff (as x[1:] - x[:-1])", lambda x: x[1:] - x[:-1], (randn(5, 3),)),
    ("test_diff axis 1", lambda x: x[:, 1:] - x[:, :-1], (randn(5, 3),)),
    ("test_tile (as fancy index)", lambda x: x[np.tile(np.arange(3), 2)], (randn(3, 2),)),
    ("test_kron (as broadcast product)",
     lambda a, b: (a[:, None, :, None] * b[None, :, None, :]).reshape(6, 6),
     (randn(2, 3), randn(3, 2))),
    ("test_inner (as (a * b).sum(-1))", lambda a, b: (a * b).sum(axis=-1),
     (randn(4), randn(4))),
    ("test_matmul (batched)", lambda a, b: a @ b, (randn(2, 3, 4), randn(4, 5))),
    ("test_matmul (vector, matrix)", lambda a, b: a @ b, (randn(3), randn(3, 4))),
    ("test_tensordot (as reshape and @)",
     lambda a, b: a.reshape(2, 12) @ b.reshape(12, 2), (randn(*R3), randn(3, 4, 2))),
    ("test_maximum", lambda a, b: ad.maximum(a, b), (randn(2, 3), randn(2, 3) + 5.0)),
    ("test_fmax (broadcast)", lambda a, b: ad.maximum(a, b), (randn(3, 4), randn(4))),
    ("test_sort (as index by argsort)", lambda x: x[np.argsort(SORT_X)], (SORT_X,)),
    ("test_atleast_2d (as reshape)", lambda x: x.reshape(1, -1), (randn(4),)),
    ("test_atleast_3d (as x[None, :, None])", lambda x: x[None, :, None], (randn(4),)),
    ("test_tril (as mask)", lambda x: x * np.tril(np.ones((4, 4)), -1), (randn(4, 4),)),
    ("test_triu (as mask)", lambda x: x * np.triu(np.ones((4, 4)), 1), (randn(4, 4),)),
    ("test_cross (as indexed products)",
     lambda a, b: ad.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                            a[0] * b[1] - a[1] * b[0]]), (randn(3), randn(3))),
    ("test_split / vsplit (as slices)", lambda x: x[:2] * x[2:], (randn(4, 3),)),
    ("test_hsplit (as slices)", lambda x: x[:, :1] + x[:, 1:2] * x[:, 2:], (randn(4, 3),)),
    ("test_concatenate (3 pieces)", lambda a, b: ad.concatenate([a, b, a], axis=1),
     (randn(2, 3), randn(2, 1))),
    ("test_vstack (as concatenate)", lambda a, b: ad.concatenate([a, b]), (randn(2, 3),
                                                                          randn(1, 3))),
    ("test_hstack (as concatenate axis 1)", lambda a, b: ad.concatenate([a, b], axis=1),
     (randn(2, 3), randn(2, 2))),
    ("test_stack", lambda a, b: ad.stack([a, b], axis=1), (randn(2, 3), randn(2, 3))),
    ("test_column_stack (as stack axis 1)", lambda a, b: ad.stack([a, b], axis=1),
     (randn(3), randn(3))),
    ("test_select (as where)", lambda a, b: ad.where(a > 0, a, b), (randn(5), randn(5))),
    ("test_pad (as concatenate with zeros)",
     lambda x: ad.concatenate([np.zeros((1, 3)), x, np.zeros((2, 3))]), (randn(2, 3),)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "f", "args"), SYSTEMATIC_ARRAY, ids=[c[0] for c in SYSTEMATIC_ARRAY]
)
def test_systematic_array(case, f, args):
    """HIPS autograd tests/test_systematic.py::<case>: fwd and rev to second order."""
    check_grads(f, *args)
