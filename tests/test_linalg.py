"""ad.linalg: values against numpy, VJPs and JVPs against central differences, second
derivatives, and clear errors. The ports of HIPS autograd's tests/test_linalg.py name the peer case
in their docstrings (HIPS checks reverse mode to second order; here reverse and forward mode are
checked against central differences, and second order for inv, det, slogdet and solve).

Tolerances are those of tests/tensor_cases.py (1e-6 relative to central differences with step
1e-6; 1e-5 for second derivatives, which difference a gradient). Matrices are drawn well
conditioned (near a multiple of the identity), so the differences are accurate.
"""

from __future__ import annotations

import numpy as np
import pytest
from tensor_cases import assert_close_fd, central_directional, central_gradient, plain

import autograd_ref as ad

LA = ad.linalg
LOWER = {n: np.tril(np.ones((n, n))) for n in (3, 6)}


def rng_for(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def check_grads(fn, *xs, seed: int = 5) -> None:
    """VJP (of a random cotangent) and JVP (along a random tangent) of ``fn`` against central
    differences: the check HIPS's check_grads makes, in both modes."""
    rng = rng_for(seed)
    f = plain(fn)
    u = rng.normal(size=np.shape(f(*xs)))
    argnums = tuple(range(len(xs)))
    grads = ad.grad(lambda *a: (fn(*a) * u).sum(), argnums)(*xs)
    expected = central_gradient(lambda arrays: float(np.sum(u * f(*arrays))), list(xs))
    for i, (g, e) in enumerate(zip(grads, expected, strict=True)):
        assert_close_fd(g, e, f"vjp d/dx{i}")
    ts = [rng.normal(size=x.shape) for x in xs]
    _, tangent = ad.jvp(fn, xs, ts)
    assert_close_fd(tangent, central_directional(f, list(xs), ts), "jvp")


def check_second_order(fn, x, seed: int = 6) -> None:
    """The Hessian of ``sum(u * fn(x))`` (vectorised forward over reverse) and a Hessian-vector
    product by reverse over reverse, against central differences of the gradient."""
    rng = rng_for(seed)
    u = rng.normal(size=np.shape(plain(fn)(x)))

    def phi(a):
        return (fn(a) * u).sum()

    gradient = ad.grad(phi)
    n = x.size
    columns = [
        central_directional(gradient, [x], [np.eye(n)[k].reshape(x.shape)]).ravel()
        for k in range(n)
    ]
    expected = np.stack(columns, axis=1)
    assert_close_fd(ad.hessian(phi)(x).reshape(n, n), expected, "hessian", tol=1e-5)
    v = rng.normal(size=x.shape)
    hv = ad.grad(lambda a: (gradient(a) * v).sum())(x)
    assert_close_fd(hv.ravel(), expected @ v.ravel(), "reverse over reverse", tol=1e-5)


def symmetrize(a):
    """HIPS's check_symmetric_matrix_grads: the lower triangle, reflected, over 2."""
    lower = a * LOWER[a.shape[-1]]
    n = lower.ndim
    return (lower + lower.transpose(*range(n - 2), n - 1, n - 2)) * 0.5


def rand_psd(d: int, rng) -> np.ndarray:
    m = rng.normal(size=(d, d))
    return m @ m.T + np.eye(d)


# --------------------------------------------------------------------------------- values
def test_values_match_numpy_on_arrays_and_tensors():
    rng = rng_for(1)
    a = rng.normal(size=(2, 4, 4)) + 4 * np.eye(4)
    b = rng.normal(size=(2, 4, 3))
    s = a @ np.swapaxes(a, -1, -2)
    for x in (a, ad.Tensor(a)):
        data = lambda r: r.data if isinstance(r, ad.Tensor) else r  # noqa: E731
        np.testing.assert_allclose(data(LA.inv(x)), np.linalg.inv(a), rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(data(LA.det(x)), np.linalg.det(a), rtol=1e-14)
        sign, logdet = LA.slogdet(x)
        np.testing.assert_array_equal(sign, np.linalg.slogdet(a)[0])
        np.testing.assert_allclose(data(logdet), np.linalg.slogdet(a)[1], rtol=1e-14)
        np.testing.assert_allclose(data(LA.solve(x, b)), np.linalg.solve(a, b), rtol=1e-13)
        np.testing.assert_allclose(data(LA.solve(x, b[0, :, 0])), np.linalg.solve(a, b[0, :, 0]))
    for x in (s, ad.Tensor(s)):
        chol = LA.cholesky(x)
        np.testing.assert_allclose(getattr(chol, "data", chol), np.linalg.cholesky(s), rtol=1e-14)
        w, v = LA.eigh(x)
        w_np, v_np = np.linalg.eigh(s)
        np.testing.assert_allclose(getattr(w, "data", w), w_np, rtol=1e-13)
        np.testing.assert_allclose(getattr(v, "data", v), v_np, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((5,), {}),
        ((5,), {"ord": 1}),
        ((5,), {"ord": 3}),
        ((5,), {"ord": -np.inf}),
        ((3, 4), {}),
        ((3, 4), {"ord": "fro"}),
        ((3, 4), {"ord": 1}),
        ((3, 4), {"ord": -1}),
        ((3, 4), {"ord": np.inf}),
        ((3, 4), {"ord": -np.inf, "keepdims": True}),
        ((3, 4, 2), {}),
        ((3, 4, 2), {"axis": -1, "keepdims": True}),
        ((3, 4, 2), {"ord": 1, "axis": (2, 0)}),
    ],
)
def test_norm_values_match_numpy(shape, kwargs):
    x = rng_for(2).normal(size=shape)
    expected = np.linalg.norm(x, **kwargs)
    np.testing.assert_allclose(LA.norm(x, **kwargs), expected, rtol=1e-14)
    np.testing.assert_allclose(LA.norm(ad.Tensor(x), **kwargs).data, expected, rtol=1e-14)


# ------------------------------------------------------------ HIPS autograd's test_linalg
def test_inv():
    """HIPS test_inv: an 8 x 8 matrix (here mat @ mat + 8 I, for a well-conditioned one)."""
    mat = rng_for(10).normal(size=(8, 8))
    check_grads(LA.inv, mat @ mat + 8.0 * np.eye(8))


def test_inv_3d():
    """HIPS test_inv_3d: stacks (4, 4, 4) and (4, 4, 4, 4) near 5 I."""
    rng = rng_for(11)
    check_grads(LA.inv, rng.normal(size=(4, 4, 4)) + 5 * np.eye(4))
    check_grads(LA.inv, rng.normal(size=(2, 3, 4, 4)) + 5 * np.eye(4))


def test_solve_arg1():
    """HIPS test_solve_arg1: the gradient with respect to A, B of shape (8, 7)."""
    rng = rng_for(12)
    b = rng.normal(size=(8, 7))
    check_grads(lambda a: LA.solve(a, b), rng.normal(size=(8, 8)) + 10 * np.eye(8))


def test_solve_arg1_1d():
    """HIPS test_solve_arg1_1d: with respect to A, for a vector b."""
    rng = rng_for(13)
    b = rng.normal(size=8)
    check_grads(lambda a: LA.solve(a, b), rng.normal(size=(8, 8)) + 10 * np.eye(8))


def test_solve_arg2():
    """HIPS test_solve_arg2: with respect to B."""
    rng = rng_for(14)
    a = rng.normal(size=(6, 6)) + 3 * np.eye(6)
    check_grads(lambda b: LA.solve(a, b), rng.normal(size=(6, 5)))


def test_solve_arg1_3d():
    """HIPS test_solve_arg1_3d: a stack of A (5, 4, 4) and of B (5, 4, 6) (numpy 2 reads a 2-D
    b as a stack of matrices, so HIPS's (5, 4) b is here the 3-D case plus a 1-D b)."""
    rng = rng_for(15)
    a = rng.normal(size=(5, 4, 4)) + 5 * np.eye(4)
    b3, b1 = rng.normal(size=(5, 4, 6)), rng.normal(size=4)
    check_grads(lambda a: LA.solve(a, b3), a)
    check_grads(lambda a: LA.solve(a, b1), a)
    check_grads(LA.solve, a, b3)


def test_det():
    """HIPS test_det: a random 6 x 6 matrix."""
    check_grads(LA.det, rng_for(16).normal(size=(6, 6)))


def test_det_3d():
    """HIPS test_det_3d: a stack (3, 3, 3)."""
    check_grads(LA.det, rng_for(17).normal(size=(3, 3, 3)))


def test_slogdet():
    """HIPS test_slogdet: logdet of mat and of -mat (the other sign), and the sign itself."""
    mat = rng_for(18).normal(size=(6, 6))
    check_grads(lambda x: LA.slogdet(x)[1], mat)
    check_grads(lambda x: LA.slogdet(x)[1], -mat)
    odd = mat[:5, :5]  # an odd size, so -odd has the other sign
    assert LA.slogdet(ad.Tensor(odd))[0] == np.sign(np.linalg.det(odd)) == -LA.slogdet(-odd)[0]


def test_slogdet_3d():
    """HIPS test_slogdet_3d: the summed logdets of a stack of positive definite matrices."""
    rng = rng_for(19)
    mats = np.stack([rand_psd(5, rng) + 5 * np.eye(5) for _ in range(3)])
    check_grads(lambda x: LA.slogdet(x)[1].sum(), mats)


def test_vector_2norm():
    """HIPS test_vector_2norm."""
    check_grads(LA.norm, rng_for(20).normal(size=6))


def test_frobenius_norm():
    """HIPS test_frobenius_norm: a (6, 5) matrix."""
    check_grads(LA.norm, rng_for(21).normal(size=(6, 5)))


def test_frobenius_norm_axis():
    """HIPS test_frobenius_norm_axis: axis=(0, 1) of a (6, 5, 4) array."""
    check_grads(lambda x: LA.norm(x, axis=(0, 1)), rng_for(22).normal(size=(6, 5, 4)))


@pytest.mark.parametrize("order", [2, 3, 4])
def test_vector_norm_ord(order):
    """HIPS test_vector_norm_ord: ord 2, 3, 4 of a vector of 6."""
    check_grads(lambda x: LA.norm(x, ord=order), rng_for(23).normal(size=6))


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_norm_axis(axis):
    """HIPS test_norm_axis: the 2-norm along each axis of a (6, 5, 4) array."""
    check_grads(lambda x: LA.norm(x, axis=axis), rng_for(24).normal(size=(6, 5, 4)))


def test_norm_nuclear_is_refused_clearly():
    """HIPS test_norm_nuclear(_axis): ord='nuc' needs the SVD, which ad.linalg does not have;
    it is refused with a message naming what works instead."""
    with pytest.raises(ValueError, match="'nuc'.*'fro'"):
        LA.norm(ad.Tensor(np.eye(3)), ord="nuc")


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigvalh(uplo):
    """HIPS test_eigvalh_lower / test_eigvalh_upper: both outputs of eigh(hmat), hmat = m^T m,
    through check_symmetric_matrix_grads (the lower triangle reflected)."""
    mat = rng_for(25).normal(size=(6, 6))

    def fun(x):
        w, v = LA.eigh(symmetrize(x), uplo)
        return ad.concatenate([w, v.reshape(-1)])

    check_grads(fun, mat.T @ mat)


def test_eigvalh_broadcasting():
    """HIPS test_eigvalh_lower_broadcasting: a (2, 3, 6, 6) stack of m m^T + ..."""
    mat = rng_for(26).normal(size=(2, 3, 6, 6)) + 10 * np.eye(6)
    hmat = np.einsum("...ij,...kj->...ik", mat, mat)

    def fun(x):
        w, v = LA.eigh(symmetrize(x))
        return ad.concatenate([w.reshape(-1), v.reshape(-1)])

    check_grads(fun, hmat)


def test_cholesky():
    """HIPS test_cholesky: through check_symmetric_matrix_grads, at rand_psd(6)."""
    check_grads(lambda a: LA.cholesky(symmetrize(a)), rand_psd(6, rng_for(27)))


def test_cholesky_broadcast():
    """HIPS test_cholesky_broadcast: a stack of three 6 x 6 positive definite matrices."""
    rng = rng_for(28)
    check_grads(lambda a: LA.cholesky(symmetrize(a)), np.stack([rand_psd(6, rng) for _ in "abc"]))


def test_cholesky_reparameterization_trick():
    """HIPS test_cholesky_reparameterization_trick: norm(cholesky(A) @ z) for a fixed z."""
    rng = rng_for(29)
    z = rng.normal(size=6)
    check_grads(lambda a: LA.norm(LA.cholesky(symmetrize(a)) @ z), rand_psd(6, rng))


# -------------------------------------------------------------- second derivatives
def test_second_derivatives_of_inv_det_slogdet_solve():
    """Every rule here is written in Tensor operations, so a Hessian (vectorised forward over
    reverse: batches of tangents through the JVP rules) and grad of grad are right too."""
    rng = rng_for(30)
    a = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    b = rng.normal(size=(3, 2))
    check_second_order(LA.inv, a)
    check_second_order(LA.det, a)
    check_second_order(lambda x: LA.slogdet(x)[1], -a)
    check_second_order(lambda x: LA.solve(x, b), a)
    check_second_order(lambda x: LA.solve(a, x) ** 2, b)
    check_second_order(lambda x: LA.cholesky(symmetrize(x)), a @ a.T)


def test_logdet_hessian_is_the_known_formula():
    """d^2 log det A / dA_ij dA_kl = -(A^-1)_jk (A^-1)_li: a value not from differences."""
    a = rng_for(31).normal(size=(3, 3)) + 3 * np.eye(3)
    ainv = np.linalg.inv(a)
    expected = -np.einsum("jk,li->ijkl", ainv, ainv)
    hess = ad.hessian(lambda x: LA.slogdet(x)[1])(a)
    np.testing.assert_allclose(hess, expected, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- symmetric conventions
def test_cholesky_and_eigh_gradients_are_symmetric_and_tangents_symmetrised():
    rng = rng_for(32)
    s = rand_psd(4, rng)
    t = rng.normal(size=(4, 4))
    for fn in (LA.cholesky, lambda x: LA.eigh(x)[0]):
        g = ad.grad(lambda x, fn=fn: (fn(x) * np.arange(1.0, 1.0 + fn(s).size).reshape(
            np.shape(fn(s)))).sum())(s)  # fmt: skip
        np.testing.assert_allclose(g, g.T, rtol=0, atol=1e-14)
        _, d_t = ad.jvp(fn, (s,), (t,))
        _, d_sym = ad.jvp(fn, (s,), ((t + t.T) / 2,))
        np.testing.assert_allclose(d_t, d_sym, rtol=1e-14, atol=1e-14)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("fn", [LA.inv, LA.det, LA.slogdet, LA.cholesky, LA.eigh])
def test_non_square_input_is_refused(fn):
    for x in (np.ones((2, 3)), ad.Tensor(np.ones((4, 2, 3))), np.ones(3)):
        with pytest.raises(ValueError, match=r"square matrix .*\(\.\.\., n, n\)"):
            fn(x)


def test_singular_matrix_says_what_to_do():
    with pytest.raises(np.linalg.LinAlgError, match="singular.*identity"):
        LA.inv(np.ones((3, 3)))
    with pytest.raises(ValueError, match="singular.*identity"):
        LA.solve(ad.Tensor(np.ones((3, 3))), np.ones(3))


def test_not_positive_definite_or_not_symmetric():
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        LA.cholesky(-np.eye(3))
    with pytest.raises(ValueError, match="symmetric.*a \\+ a.T"):
        LA.cholesky(np.array([[2.0, 1.0], [0.0, 2.0]]))
    with pytest.raises(ValueError, match="symmetric"):
        LA.eigh(ad.Tensor(np.array([[2.0, 1.0], [0.0, 2.0]])))


def test_bad_shapes_and_orders_are_named():
    with pytest.raises(ValueError, match=r"length 3 or .*\(\.\.\., 3, k\)"):
        LA.solve(np.eye(3), np.ones(4))
    with pytest.raises(ValueError, match="ord=0"):
        LA.norm(np.ones(3), ord=0)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        LA.norm(np.ones((2, 2, 2)), ord=1)
    with pytest.raises(ValueError, match="axes of the 2"):
        LA.norm(np.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match="UPLO"):
        LA.eigh(np.eye(2), "X")
    with pytest.raises(TypeError, match="Tensor"):
        LA.inv(ad.Scalar(2.0))
