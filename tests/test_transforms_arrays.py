"""Function transforms on arrays: grad, value_and_grad, jvp, vjp, jacfwd, jacrev, hessian, and
their nestings, against central differences (step and tolerance in tests/tensor_cases.py) and
against each other (to 1e-12: the same maths by different routes)."""

from __future__ import annotations

import numpy as np
import pytest
from tensor_cases import H, assert_close_fd

import autograd_ref as ad

RNG_SEED = 7
A = np.random.default_rng(0).normal(size=(4, 3))


def vector_fn(x):
    """R^3 -> R^4, mixing several primitives."""
    return ad.tanh(A @ x) * ad.sin(x).sum() + ad.softmax(A @ x)


def scalar_fn(x):
    """R^3 -> R with a non-trivial, non-diagonal Hessian."""
    return (ad.log_softmax(A @ x) * np.arange(4.0)).sum() + (x**3).sum() + ad.exp(x[0] * x[1])


def fd_jacobian(f, x):
    x = np.asarray(x, dtype=float)
    out = np.asarray(f(x))
    jac = np.zeros(out.shape + x.shape)
    for k in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[k] = H
        jac[(...,) + k] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * H)
    return jac


def numbers(f):
    return lambda x: f(ad.Tensor(x)).data


# ------------------------------------------------------------------- grad, value_and_grad
def test_grad_on_arrays_numpy_in_numpy_out():
    x = np.array([0.5, -1.0, 2.0])
    g = ad.grad(scalar_fn)(x)
    assert type(g) is np.ndarray and g.shape == (3,) and g.dtype == np.float64
    assert_close_fd(g, fd_jacobian(numbers(scalar_fn), x), "grad")
    value, g2 = ad.value_and_grad(scalar_fn)(x)
    assert type(value) is float
    assert value == pytest.approx(float(numbers(scalar_fn)(x)), rel=1e-15)
    np.testing.assert_array_equal(g, g2)


def test_grad_argnums_tuple_mixing_arrays_and_floats():
    def f(w, x, c):
        return ((w @ x) ** 2).sum() * c

    w = np.arange(6.0).reshape(2, 3) / 10
    x = np.array([1.0, -1.0, 0.5])
    gw, gc = ad.grad(f, argnums=(0, 2))(w, x, 3.0)
    assert gw.shape == (2, 3) and type(gc) is float
    np.testing.assert_allclose(gw, 3.0 * 2 * np.outer(w @ x, x), rtol=1e-14)
    assert gc == pytest.approx(((w @ x) ** 2).sum(), rel=1e-14)


def test_grad_on_arrays_and_on_tensors():
    """(A list is a pytree of floats now, as in JAX: tests/test_pytrees.py.)"""
    np.testing.assert_array_equal(ad.grad(lambda x: (x * x).sum())(np.array([1.0, 2.0])), [2, 4])
    t = ad.Tensor([1.0, 2.0])
    np.testing.assert_array_equal(ad.grad(lambda x: (x * x).sum())(t), [2.0, 4.0])


def test_scalar_grad_is_unchanged_floats_in_floats_out():
    assert ad.grad(lambda x: x**3)(2.0) == 12.0
    assert type(ad.grad(lambda x: x**3)(2.0)) is float
    assert ad.grad(ad.grad(lambda x: x**3))(2.0) == 12.0
    assert ad.value_and_grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0) == (10.0, (5.0, 2.0))


def test_grad_of_a_function_that_ignores_its_input_is_zero():
    np.testing.assert_array_equal(ad.grad(lambda x: 3.0)(np.ones(2)), [0.0, 0.0])


def test_grad_of_a_vector_output_explains_the_alternatives():
    with pytest.raises(TypeError, match=r"shape \(4,\).*jacrev"):
        ad.grad(vector_fn)(np.ones(3))


def test_grad_rejects_bad_argnums():
    with pytest.raises(ValueError, match="argnums=3"):
        ad.grad(lambda x: x.sum(), argnums=3)(np.ones(2))


# --------------------------------------------------------------------------- jvp and vjp
def test_jvp_and_vjp_agree_with_jacobian_products():
    rng = np.random.default_rng(RNG_SEED)
    x, v, u = rng.normal(size=3), rng.normal(size=3), rng.normal(size=4)
    jac = ad.jacrev(vector_fn)(x)
    out, tangent = ad.jvp(vector_fn, (x,), (v,))
    np.testing.assert_allclose(out, numbers(vector_fn)(x), rtol=1e-15)
    np.testing.assert_allclose(tangent, jac @ v, rtol=1e-12, atol=1e-14)
    out2, pullback = ad.vjp(vector_fn, x)
    np.testing.assert_array_equal(out, out2)
    (cotangent,) = pullback(u)
    np.testing.assert_allclose(cotangent, u @ jac, rtol=1e-12, atol=1e-14)
    (again,) = pullback(2 * u)  # the recorded graph can be pulled back through again
    np.testing.assert_allclose(again, 2 * cotangent, rtol=1e-14)


def test_vjp_returns_one_cotangent_per_primal():
    def f(w, x):
        return ad.relu(x @ w)

    rng = np.random.default_rng(RNG_SEED)
    w, x = rng.normal(size=(3, 2)), rng.normal(size=(5, 3))
    out, pullback = ad.vjp(f, w, x)
    grads = pullback(np.ones_like(out))
    assert isinstance(grads, tuple) and len(grads) == 2
    assert grads[0].shape == w.shape and grads[1].shape == x.shape


def test_jvp_with_several_primals():
    def f(a, b):
        return a * ad.exp(b)

    a, b = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    ta, tb = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    _, tangent = ad.jvp(f, (a, b), (ta, tb))
    np.testing.assert_allclose(tangent, ta * np.exp(b) + a * np.exp(b) * tb, rtol=1e-15)


def test_jvp_records_no_reverse_graph():
    seen = []

    def f(x):
        y = ad.sin(x) * x
        seen.append((x.requires_grad, y.requires_grad, y._parents))
        return y

    ad.jvp(f, (np.ones(3),), (np.ones(3),))
    assert seen == [(False, False, ())]


def test_jvp_and_vjp_shape_errors():
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\).*\(3,\)"):
        ad.jvp(vector_fn, (np.ones(3),), (np.ones(2),))
    with pytest.raises(ValueError, match="one tangent per primal"):
        ad.jvp(vector_fn, (np.ones(3),), ())
    _, pullback = ad.vjp(vector_fn, np.ones(3))
    with pytest.raises(ValueError, match=r"cotangent has shape \(3,\).*\(4,\)"):
        pullback(np.ones(3))


# ------------------------------------------------------------------------------ Jacobians
@pytest.mark.parametrize(
    ("fn", "shape"),
    [
        (vector_fn, (3,)),
        (scalar_fn, (3,)),
        (lambda x: (x @ x.T).reshape(-1)[:5], (2, 3)),
        (lambda x: ad.log_softmax(x, axis=0) * x, (2, 3)),
        (lambda x: x.max(axis=1) + x.mean(), (3, 2)),
    ],
    ids=["R3->R4", "R3->R", "R2x3->R5", "R2x3->R2x3", "R3x2->R3"],
)
def test_jacfwd_equals_jacrev_equals_finite_differences(fn, shape):
    x = np.random.default_rng(RNG_SEED).normal(size=shape)
    forward = ad.jacfwd(fn)(x)
    reverse = ad.jacrev(fn)(x)
    out_shape = np.shape(numbers(fn)(x))
    assert forward.shape == reverse.shape == out_shape + shape
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-13)
    assert_close_fd(reverse, fd_jacobian(numbers(fn), x), "jacobian")


def test_jacobians_with_argnums_tuple():
    def f(a, b):
        return a * b.sum() + ad.sin(a)

    a, b = np.array([0.2, 0.4]), np.array([1.0, 2.0, 3.0])
    fa, fb = ad.jacfwd(f, argnums=(0, 1))(a, b)
    ra, rb = ad.jacrev(f, argnums=(0, 1))(a, b)
    assert fa.shape == (2, 2) and fb.shape == (2, 3)
    np.testing.assert_allclose(fa, ra, rtol=1e-14)
    np.testing.assert_allclose(fb, rb, rtol=1e-14)
    np.testing.assert_allclose(fb, np.outer(a, np.ones(3)), rtol=1e-15)


def test_jacobian_of_a_float_function_is_a_float():
    assert ad.jacfwd(lambda x: x**2)(3.0) == 6.0
    assert ad.jacrev(lambda x: x**2)(3.0) == 6.0
    assert ad.hessian(lambda x: x**3)(2.0) == 12.0
    assert type(ad.hessian(lambda x: x**3)(2.0)) is float


def test_hessian_is_symmetric_and_matches_finite_differences_of_the_gradient():
    x = np.array([0.3, -0.7, 1.1])
    hess = ad.hessian(scalar_fn)(x)
    assert hess.shape == (3, 3)
    np.testing.assert_allclose(hess, hess.T, rtol=1e-12, atol=1e-13)
    gradient = ad.grad(scalar_fn)
    assert_close_fd(hess, fd_jacobian(gradient, x), "hessian vs differences of the gradient")


def test_every_composition_gives_the_same_hessian():
    x = np.array([0.3, -0.7, 1.1])
    reference = ad.hessian(scalar_fn)(x)
    for name, h in {
        "jacrev(jacrev)": ad.jacrev(ad.jacrev(scalar_fn)),
        "jacrev(jacfwd)": ad.jacrev(ad.jacfwd(scalar_fn)),
        "jacfwd(jacfwd)": ad.jacfwd(ad.jacfwd(scalar_fn)),
        "jacfwd(grad)": ad.jacfwd(ad.grad(scalar_fn)),
    }.items():
        np.testing.assert_allclose(h(x), reference, rtol=1e-12, atol=1e-13, err_msg=name)


def test_hessian_of_a_matrix_argument_has_doubled_shape():
    hess = ad.hessian(lambda w: (ad.tanh(w) ** 2).sum())(np.full((2, 2), 0.3))
    assert hess.shape == (2, 2, 2, 2)
    t = np.tanh(0.3)
    diag = 2 * (1 - t**2) ** 2 - 4 * t**2 * (1 - t**2)
    np.testing.assert_allclose(hess.reshape(4, 4), diag * np.eye(4), atol=1e-15)


def test_hessian_vector_product_by_forward_over_reverse():
    rng = np.random.default_rng(RNG_SEED)
    x, v = rng.normal(size=3), rng.normal(size=3)
    _, hv = ad.jvp(ad.grad(scalar_fn), (x,), (v,))
    np.testing.assert_allclose(hv, ad.hessian(scalar_fn)(x) @ v, rtol=1e-12, atol=1e-13)


# ------------------------------------------------------------------------------ nesting
def test_nested_transforms_keep_their_perturbations_apart():
    """d/dx [x * d/dy (x y)] = d/dx [x * x] = 2x: an inner transform must not see the outer x."""
    x = np.array([3.0])
    rr = ad.grad(lambda x: (x * ad.grad(lambda y: (x * y).sum())(x)).sum())(x)
    ff = ad.jvp(lambda x: x * ad.jvp(lambda y: x * y, (x,), (np.ones(1),))[1], (x,), (np.ones(1),))
    rf = ad.grad(lambda x: (x * ad.jvp(lambda y: x * y, (x,), (np.ones(1),))[1]).sum())(x)
    fr = ad.jvp(lambda x: x * ad.grad(lambda y: (x * y).sum())(x), (x,), (np.ones(1),))
    np.testing.assert_array_equal(rr, [6.0])
    np.testing.assert_array_equal(ff[1], [6.0])
    np.testing.assert_array_equal(rf, [6.0])
    np.testing.assert_array_equal(fr[1], [6.0])


def test_inner_gradient_of_a_closure_stays_differentiable():
    """The inner grad's input is a constant; its result still depends on the outer x."""
    c = np.array([1.0, 2.0])

    def outer(x):
        inner = ad.grad(lambda y: (ad.sin(x) * y * y).sum())(c)  # = 2 sin(x) c
        return inner.sum()

    x = np.array([0.4, -0.2])
    np.testing.assert_allclose(ad.grad(outer)(x), 2 * np.cos(x) * c, rtol=1e-14)


def test_third_derivatives_by_any_route():
    x = np.array([0.5])

    def f(t):
        return ad.sin(t).sum()

    expected = -np.cos(0.5)
    assert ad.grad(lambda t: ad.grad(lambda s: ad.grad(f)(s).sum())(t).sum())(x)[0] == (
        pytest.approx(expected, rel=1e-14)
    )
    assert ad.jacfwd(ad.jacfwd(ad.jacfwd(f)))(x).item() == pytest.approx(expected, rel=1e-14)
    assert ad.jacrev(ad.hessian(f))(x).item() == pytest.approx(expected, rel=1e-14)


def test_tangents_left_by_a_finished_jvp_are_ignored():
    kept = []

    def f(x):
        kept.append(x * 2)  # escapes with the tangent of this jvp attached
        return x * 2

    ad.jvp(f, (np.ones(2),), (np.ones(2),))
    # reused inside a later jvp, the stale tangent must not count: d/dz (z + kept) = 1
    _, tangent = ad.jvp(lambda z: z + kept[0], (np.zeros(2),), (np.ones(2),))
    np.testing.assert_array_equal(tangent, [1.0, 1.0])


def test_results_never_share_memory():
    u = np.ones(3)
    _, pullback = ad.vjp(lambda a, b: a + b, np.zeros(3), np.zeros(3))
    ga, gb = pullback(u)
    ga += 5.0
    np.testing.assert_array_equal(gb, np.ones(3))
    np.testing.assert_array_equal(u, np.ones(3))
    x = np.zeros(2)
    _, pullback = ad.vjp(lambda a: a, x)
    (g,) = pullback(u[:2])
    g += 1.0
    np.testing.assert_array_equal(u, np.ones(3))


def test_tensor_and_scalar_engines_agree_elementwise():
    """The same elementwise code, differentiated on an array and number by number."""

    def f(x):
        return (
            ad.sigmoid(ad.sin(x) * x)
            + ad.log(1.0 + x * x) / (2.0 + ad.tanh(x))
            + (ad.relu(x) + 1.0) ** 1.5
        )

    xs = np.random.default_rng(RNG_SEED).uniform(-2.0, 2.0, size=7)
    on_array = ad.grad(lambda t: f(t).sum())(xs)
    number_by_number = [ad.grad(f)(float(x)) for x in xs]
    np.testing.assert_allclose(on_array, number_by_number, rtol=1e-13, atol=1e-15)
    second_array = np.diag(ad.hessian(lambda t: f(t).sum())(xs))
    second_numbers = [ad.grad(ad.grad(f))(float(x)) for x in xs]
    assert np.all(np.isfinite(second_array))
    np.testing.assert_allclose(second_array, second_numbers, rtol=1e-12, atol=1e-14)
