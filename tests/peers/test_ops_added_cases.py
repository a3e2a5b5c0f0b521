"""Peer cases that need the operations issue 14 adds (minimum, clip, logsumexp, log1p, expm1,
prod, cumsum, var, std, sign, sinh, cosh, arcsin, arccos, arctan, squeeze, outer, diag, einsum).

Written against the intended API (``ad.minimum(a, b)``, ``ad.clip(x, lo, hi)``,
``ad.logsumexp(x, axis, keepdims)``, elementwise ``ad.log1p`` ... on floats, arrays, Scalar, Dual
and Tensor; Tensor methods ``prod``, ``cumsum``, ``var``, ``std``, ``squeeze``; ``ad.outer``,
``ad.diag``, ``ad.einsum``). Checks as in gradcheck.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_ref as ad

from .gradcheck import assert_close, check_grads, check_scalar_engines

RNG = np.random.default_rng(3)


def randn(*shape):
    return RNG.normal(size=shape)


# ----------------------------------------------------- tests/test_scalar_ops.py (pending)
SCALAR_PENDING = [
    ("test_sign[1.1]", lambda x: 3.0 * ad.sign(x), 1.1),
    ("test_sign[-1.1]", lambda x: 3.0 * ad.sign(x), -1.1),
    ("test_log1p", lambda x: 3.0 * ad.log1p(x), 0.83),
    ("test_expm1", lambda x: 3.0 * ad.expm1(x), 0.61),
    ("test_cosh", lambda x: 3.0 * ad.cosh(x), -0.4),
    ("test_sinh", lambda x: 3.0 * ad.sinh(x), 0.9),
    ("test_arccos", lambda x: 3.0 * ad.arccos(x), 0.1),
    ("test_arcsin", lambda x: 3.0 * ad.arcsin(x), 0.1),
    ("test_arctan", lambda x: 3.0 * ad.arctan(x), 0.2),
]


@pytest.mark.parametrize(("case", "f", "x"), SCALAR_PENDING, ids=[c[0] for c in SCALAR_PENDING])
def test_scalar_op_pending(case, f, x):
    """HIPS autograd tests/test_scalar_ops.py::<case>: check_grads on a float (all engines)
    and on an array (test_systematic.py's unary_ufunc_check)."""
    check_grads(f, x)
    check_scalar_engines(f, x)
    check_grads(f, x + 0.05 * randn(2, 3))


def test_added_op_values():
    """The new functions give numpy's values on arrays and floats, and sign' = 0."""
    x = np.array([-0.5, 0.25, 0.75])
    for name in ["sign", "log1p", "expm1", "sinh", "cosh", "arcsin", "arccos", "arctan"]:
        assert_close(getattr(ad, name)(x), getattr(np, name)(x), name, 1e-15)
    assert ad.grad(ad.sign)(0.3) == 0.0


# ------------------------------------------------------------- tests/test_numpy.py (pending)
MAT = randn(3, 4)
POS = np.abs(randn(3, 4)) + 0.5
NUMPY_PENDING = [
    ("test_outer", lambda a, b: ad.outer(a, b), (randn(3), randn(4))),
    ("test_cumsum_axis0", lambda x: x.cumsum(axis=0), (MAT,)),
    ("test_cumsum_axis1", lambda x: x.cumsum(axis=1), (MAT,)),
    ("test_cumsum_1d", lambda x: x.cumsum(), (randn(5),)),
    ("test_cumsum_no_axis", lambda x: x.cumsum(), (MAT,)),
    ("test_cumsum (function)", lambda x: ad.cumsum(x, axis=1), (MAT,)),
    ("test_std_list_of_boxes", lambda a, b: ad.stack([a, b]).std(),
     (np.array(0.3), np.array(-1.2))),
    ("test_var_list_of_boxes", lambda a, b: ad.stack([a, b]).var(),
     (np.array(0.3), np.array(-1.2))),
    ("test_diag (matrix to vector)", lambda x: ad.diag(x), (randn(4, 4),)),
    ("test_make_diagonal (vector to matrix)", lambda x: ad.diag(x), (randn(4),)),
    ("test_diagonal (trace as diag().sum())", lambda x: ad.diag(x).sum(), (randn(4, 4),)),
    ("test_clip", lambda x: ad.clip(x, -0.2, 0.3),
     (np.array([-1.0, -0.1, 0.05, 0.2, 0.9]),)),
    ("test_prod_1", lambda x: x.prod(), (POS,)),
    ("test_prod_2", lambda x: x.prod(axis=0), (POS,)),
    ("test_prod_3", lambda x: x.prod(axis=0, keepdims=True), (POS,)),
    ("test_prod_4 (a zero entry)", lambda x: x.prod(), (np.array([1.5, 0.0, -2.0, 0.7]),)),
    ("test_prod (function)", lambda x: ad.prod(x, axis=1), (POS,)),
    ("test_var_ddof", lambda x: x.var(axis=1, ddof=1), (MAT,)),
    ("test_std_ddof", lambda x: x.std(axis=1, ddof=1), (MAT,)),
    ("test_var (function, keepdims)", lambda x: ad.var(x, axis=0, keepdims=True), (MAT,)),
    ("test_std (function)", lambda x: ad.std(x), (MAT,)),
    ("test_squeeze_func", lambda x: ad.squeeze(x), (randn(3, 1, 4, 1),)),
    ("test_squeeze_method", lambda x: x.squeeze(axis=1), (randn(3, 1, 4),)),
    ("test_minimum (broadcast)", lambda a, b: ad.minimum(a, b), (randn(3, 4), randn(4) + 5.0)),
    ("test_fmin (float and array)", lambda a: ad.minimum(a, 0.1), (randn(5) + 1.0,)),
    ("test_logsumexp (scipy.special)", lambda x: ad.logsumexp(x), (MAT,)),
    ("test_logsumexp axis keepdims", lambda x: ad.logsumexp(x, axis=1, keepdims=True), (MAT,)),
    ("test_tensordot_kwargs_by_position (einsum)",
     lambda a, b: ad.einsum("ijk,jkl->il", a, b), (randn(2, 3, 4), randn(3, 4, 2))),
    ("test_einsum_matmult", lambda a, b: ad.einsum("ij,jk->ik", a, b),
     (randn(2, 3), randn(3, 4))),
    ("test_einsum_matmult_broadcast", lambda a, b: ad.einsum("...ij,...jk->...ik", a, b),
     (randn(2, 3, 4), randn(2, 4, 5))),
    ("test_einsum_covsum", lambda a, b: ad.einsum("ijk,lji->lki", a, b),
     (randn(3, 4, 4), randn(4, 4, 3))),
    ("test_einsum_transpose", lambda a: ad.einsum("ij->ji", a), (randn(3, 4),)),
    ("test_einsum_trace (repeated index)", lambda a: ad.einsum("ii->", a), (randn(4, 4),)),
    ("test_einsum_three_args", lambda a, b, c: ad.einsum("ij,jk,kl->il", a, b, c),
     (randn(2, 3), randn(3, 4), randn(4, 2))),
    ("test_einsum_no_output_indices", lambda a, b: ad.einsum("ij,ij", a, b),
     (randn(2, 3), randn(2, 3))),
    ("test_jacobian_against_stacked_grads (prod row)",
     lambda x: ad.stack([(x**3).sum(), (ad.sin(x) + ad.sin(x)).prod()]), (randn(5),)),
]  # fmt: skip


@pytest.mark.parametrize(("case", "f", "args"), NUMPY_PENDING, ids=[c[0] for c in NUMPY_PENDING])
def test_numpy_pending(case, f, args):
    """HIPS autograd tests/test_numpy.py / test_systematic.py::<case>: fwd and rev, second order."""
    check_grads(f, *args)


def test_added_op_array_values():
    """The new array operations give numpy's values."""
    x = randn(3, 4)
    assert_close(ad.Tensor(x).prod(axis=1), x.prod(axis=1), "prod", 1e-14)
    assert_close(ad.Tensor(x).cumsum(axis=0), x.cumsum(axis=0), "cumsum", 1e-14)
    assert_close(ad.Tensor(x).var(ddof=1), x.var(ddof=1), "var", 1e-14)
    assert_close(ad.Tensor(x).std(axis=0), x.std(axis=0), "std", 1e-14)
    assert_close(ad.logsumexp(x, axis=1), np.log(np.exp(x).sum(axis=1)), "logsumexp", 1e-14)
    assert_close(ad.clip(x, -0.5, 0.5), np.clip(x, -0.5, 0.5), "clip", 0.0)
    assert_close(ad.diag(x[:, :3]), np.diag(x[:, :3]), "diag", 0.0)
    assert_close(ad.einsum("ij,kj->ik", x, x), x @ x.T, "einsum", 1e-14)
    assert ad.logsumexp(np.array([1e4, 1e4])) == pytest.approx(1e4 + np.log(2.0), abs=1e-9)


def test_min_max_ties_split_evenly():
    """HIPS autograd tests/test_numpy.py::test_maximum_equal_values / test_min_3_way_equality
    for minimum: at a tie the gradient is split, and sums to 1."""
    ga, gb = ad.grad(lambda a, b: ad.minimum(a, b).sum(), argnums=(0, 1))(np.ones(3), np.ones(3))
    assert_close(ga + gb, np.ones(3), "tie gradient sum", 0.0)
