"""prod, cumsum, logsumexp, var, std, squeeze, outer, diag and einsum: values against numpy, plain
arrays in and numpy out, derivatives where the general harness cannot go (zeros in prod, large
logits, cone points), and the error messages for bad input.

The general harness (tests/test_tensor_primitives.py over tests/tensor_cases.py) already checks
each row's VJP, JVP and second derivatives on random inputs; the derivative checks here use the
same central differences and tolerance (step 1e-6, ``|ad - fd| <= 1e-6 (1 + |fd|)``) on the
inputs HIPS autograd's own tests use. Values that are exact in floating point (products of a few
numbers with zeros, sums of integers) are compared exactly; others to 1e-12 relative, a few
roundings of numbers of order 1.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from tensor_cases import assert_close_fd, central_directional, central_gradient, plain

import autograd_ref as ad

RNG_SEED = 20240614


def rng():
    return np.random.default_rng(RNG_SEED)


def check_derivatives(fn, *xs, second_order: bool = True) -> None:
    """Reverse mode (backward with a random cotangent), forward mode (ad.jvp) and, optionally,
    Hessian-vector products (grad of grad, and jvp of grad) of the Tensor function ``fn`` at
    ``xs``, all against central differences of ``fn`` evaluated on arrays."""
    r = rng()
    xs = [np.asarray(x, dtype=float) for x in xs]
    f = plain(fn)
    u = r.normal(size=np.shape(f(*xs)))
    leaves = [ad.Tensor(x, requires_grad=True) for x in xs]
    fn(*leaves).backward(u)
    expected = central_gradient(lambda arrays: float(np.sum(u * f(*arrays))), xs)
    for i, (leaf, fd) in enumerate(zip(leaves, expected, strict=True)):
        assert_close_fd(leaf.grad, fd, f"d/dx{i}")
    ts = [r.normal(size=x.shape) for x in xs]
    _, tangent = ad.jvp(fn, xs, ts)
    assert_close_fd(tangent, central_directional(f, xs, ts), "jvp")
    if not second_order:
        return
    argnums = tuple(range(len(xs)))
    gradient = ad.grad(lambda *a: (fn(*a) * u).sum(), argnums)

    def flat_gradient(*a):
        return ad.concatenate([g.reshape(-1) for g in gradient(*a)])

    vs = [r.normal(size=x.shape) for x in xs]
    expected_hv = central_directional(lambda *a: flat_gradient(*a), xs, vs)
    _, hv_forward = ad.jvp(flat_gradient, xs, vs)
    v_flat = np.concatenate([v.ravel() for v in vs])
    along_v = ad.grad(lambda *a: (flat_gradient(*a) * v_flat).sum(), argnums)
    hv_reverse = np.concatenate([g.ravel() for g in along_v(*xs)])
    assert_close_fd(hv_forward, expected_hv, "forward over reverse", tol=1e-5)
    assert_close_fd(hv_reverse, expected_hv, "reverse over reverse", tol=1e-5)


def close(a, b, rel: float = 1e-12) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= rel * (1.0 + np.abs(b))))


# ------------------------------------------------------------------ values against numpy
A = np.random.default_rng(RNG_SEED).normal(size=(2, 3, 4))
REDUCTIONS = [
    (ad.prod, np.prod),
    (ad.logsumexp, lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis, keepdims=keepdims))),
    (ad.var, np.var),
    (ad.std, np.std),
]


@pytest.mark.parametrize("ours, numpys", REDUCTIONS, ids=["prod", "logsumexp", "var", "std"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (2, 1, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy_on_arrays_and_tensors(ours, numpys, axis, keepdims):
    expected = numpys(A, axis=axis, keepdims=keepdims)
    on_array = ours(A, axis=axis, keepdims=keepdims)
    assert isinstance(on_array, (np.ndarray, np.floating)) and close(on_array, expected)
    on_tensor = ours(ad.Tensor(A), axis=axis, keepdims=keepdims)
    assert isinstance(on_tensor, ad.Tensor) and close(on_tensor.data, expected)
    method = getattr(ad.Tensor(A), ours.__name__)(axis=axis, keepdims=keepdims)
    assert close(method.data, expected)


@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1])
def test_cumsum_matches_numpy(axis):
    expected = np.cumsum(A, axis=axis)
    assert close(ad.cumsum(A, axis), expected)
    assert close(ad.cumsum(ad.Tensor(A), axis).data, expected)
    assert close(ad.Tensor(A).cumsum(axis).data, expected)


def test_plain_inputs_give_plain_outputs():
    assert ad.prod([2.0, 3.0, 4.0]) == 24.0
    assert ad.prod(5.0) == 5.0
    assert np.array_equal(ad.cumsum([1.0, 2.0, 3.0]), [1.0, 3.0, 6.0])
    assert np.array_equal(ad.cumsum(7.0), [7.0])  # a 0-d input flattens to one entry, as numpy
    assert np.array_equal(ad.squeeze(np.ones((1, 3, 1))), np.ones(3))
    assert np.array_equal(ad.outer([1.0, 2.0], [3.0, 4.0, 5.0]), [[3, 4, 5], [6, 8, 10]])
    assert np.array_equal(ad.diag([1.0, 2.0]), [[1, 0], [0, 2]])
    assert type(ad.einsum("i,i->", [1.0, 2.0], [3.0, 4.0])) is not ad.Tensor
    for out in (ad.var([1.0, 2.0]), ad.logsumexp(np.zeros(3)), ad.einsum("ij->j", np.ones((2, 2)))):
        assert not isinstance(out, ad.Tensor)


def test_var_and_std_ddof_match_numpy():
    """HIPS autograd tests/test_numpy.py::test_var_ddof and ::test_std_ddof (values here,
    derivatives in test_var_and_std_ddof_derivatives)."""
    for x in (A[0, 0], A[0], A[:1, 0]):
        for ddof in (0, 1):
            for keepdims in (False, True):
                assert close(
                    ad.var(x, None, keepdims, ddof), np.var(x, None, keepdims=keepdims, ddof=ddof)
                )
                assert close(
                    ad.std(ad.Tensor(x), None, keepdims, ddof).data,
                    np.std(x, None, keepdims=keepdims, ddof=ddof),
                )


@pytest.mark.parametrize(
    "spec, shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ij->ji", [(3, 4)]),
        ("ii->i", [(3, 3)]),
        ("ii", [(3, 3)]),
        ("ij,k", [(3, 4), (3,)]),
        ("ijk,lji->lki", [(3, 4, 4), (4, 4, 3)]),
        ("ijk,lji,lli->lki", [(3, 4, 4), (4, 4, 3), (4, 4, 3)]),
        ("k,nk->", [(5,), (10, 5)]),
        ("abcd->bd", [(3, 2, 3, 2)]),
        ("bA,Ab", [(2, 3), (3, 2)]),
        ("ij,ij->ij", [(3, 4), (3, 1)]),
        ("i j , j k -> i k", [(2, 3), (3, 4)]),
        ("ij,jk->ik", [(70, 80), (80, 60)]),  # large: numpy's optimised contraction path
    ],
)
def test_einsum_matches_numpy(spec, shapes):
    r = rng()
    xs = [r.normal(size=s) for s in shapes]
    expected = np.einsum(spec, *xs)
    assert close(ad.einsum(spec, *xs), expected)
    assert close(ad.einsum(spec, *[ad.Tensor(x) for x in xs]).data, expected)
    mixed = ad.einsum(spec, ad.Tensor(xs[0]), *xs[1:])  # constants beside a Tensor
    assert isinstance(mixed, ad.Tensor) and close(mixed.data, expected)


@pytest.mark.parametrize("k", [-2, -1, 0, 1, 3])
def test_diag_matches_numpy(k):
    v, m = A[0, 0], A[0]
    assert np.array_equal(ad.diag(ad.Tensor(v), k).data, np.diag(v, k))
    assert np.array_equal(ad.diag(ad.Tensor(m), k).data, np.diag(m, k))
    assert np.array_equal(ad.diag(v, k), np.diag(v, k))


def test_squeeze_and_outer_match_numpy():
    x = np.ones((1, 3, 1, 2))
    for axis in (None, 0, 2, (0, 2), -2):
        assert ad.squeeze(ad.Tensor(x), axis).shape == np.squeeze(x, axis).shape
        assert ad.Tensor(x).squeeze(axis).shape == np.squeeze(x, axis).shape
    a, b = A[0], A[1, :, :2]  # outer flattens inputs of any shape, as np.outer does
    assert close(ad.outer(ad.Tensor(a), b).data, np.outer(a, b))


# ------------------------------------------------------------------------------- prod
def test_prod_gradient_with_one_zero_is_the_product_of_the_others():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 anywhere: the rule never divides by x
        g = ad.grad(ad.prod)(np.array([2.0, 0.0, 3.0, 5.0]))
        rows = ad.grad(lambda x: x.prod(axis=1).sum())(np.array([[2.0, 0.0, 3.0], [0.0, 4.0, 5.0]]))
    assert np.array_equal(g, [0.0, 30.0, 0.0, 0.0])
    assert np.array_equal(rows, [[0.0, 6.0, 0.0], [20.0, 0.0, 0.0]])


def test_prod_gradient_with_two_zeros_is_zero_and_its_hessian_is_not():
    x = np.array([2.0, 0.0, 3.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = ad.grad(ad.prod)(x)
        h = ad.hessian(ad.prod)(x)
        _, tangent = ad.jvp(ad.prod, (x,), (np.ones(4),))
    assert np.array_equal(g, np.zeros(4))
    assert tangent == 0.0
    expected = np.zeros((4, 4))
    expected[1, 3] = expected[3, 1] = 6.0  # d²/dx1 dx3 = x0 x2; every other pair keeps a zero
    assert np.array_equal(h, expected)


def test_prod_derivatives_at_zeros_match_central_differences():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.5], [1.0, -2.0, 0.5]])
    check_derivatives(lambda t: t.prod(axis=0), x)
    check_derivatives(lambda t: t.prod(axis=1, keepdims=True), x)
    check_derivatives(ad.prod, x)


@pytest.mark.parametrize(
    "fn, shape, offset",
    [
        (lambda x: x.prod(), (2, 3), 0.1),  # test_prod_1 (HIPS: randn**2 / 10 + 0.1)
        (lambda x: x.prod(axis=0), (2, 3), 0.1),  # test_prod_2
        (lambda x: x.prod(axis=0, keepdims=True), (2, 3), 0.1),  # test_prod_3
        (lambda x: x.prod(), (7,), 0.1),  # test_prod_4
    ],
    ids=["prod_1", "prod_2", "prod_3", "prod_4"],
)
def test_prod_as_in_hips_autograd(fn, shape, offset):
    """HIPS autograd tests/test_numpy.py::test_prod_1, ::test_prod_2, ::test_prod_3,
    ::test_prod_4 (HIPS keeps these inputs away from 0; test_prod_with_zeros_* go there)."""
    check_derivatives(fn, rng().normal(size=shape) ** 2 + offset)


@pytest.mark.parametrize("fn_name", ["prod", "var", "std"])
def test_statistics_over_axes_as_in_hips_autograd(fn_name):
    """HIPS autograd tests/test_systematic.py::test_prod, ::test_var, ::test_std (stat_check:
    1-D, (2,3) and (1,3) inputs, axis None/0/1, keepdims both ways; its float inputs 3.5 and
    randn() in test_statistics_of_one_number). Slices of one entry (axis 0 of (1,3)) make std
    identically 0, with gradient 0."""
    r = rng()
    fn = getattr(ad, fn_name)
    b, c, d = r.normal(size=3), r.normal(size=(2, 3)), r.normal(size=(1, 3))
    cases = [(b, None), (b, 0), (c, None), (c, 0), (c, 1), (d, None), (d, 0), (d, 1)]
    for x, axis in cases:
        for keepdims in (False, True):
            check_derivatives(lambda t, a=axis, k=keepdims: fn(t, a, k), x)


def test_statistics_of_one_number():
    """HIPS autograd tests/test_systematic.py::test_prod, ::test_var, ::test_std on its float
    inputs (3.5 and randn()): a number is a 0-d array, so prod and logsumexp are the number,
    var and std are 0, and ad.grad (which works on Scalars for floats) gives 1, 1, 0, 0."""
    for x in (3.5, float(rng().normal())):
        assert ad.grad(ad.prod)(x) == 1.0 and ad.grad(lambda s: ad.prod(s, axis=0))(x) == 1.0
        assert ad.grad(ad.logsumexp)(x) == 1.0
        assert ad.grad(ad.var)(x) == 0.0 and ad.grad(ad.std)(x) == 0.0
        assert ad.prod(x) == x and ad.var(x) == 0.0 and ad.std(x) == 0.0
        _, tangent = ad.jvp(lambda s: ad.prod(s) + ad.std(s), (x,), (1.0,))
        assert tangent == 1.0


# ----------------------------------------------------------------------------- cumsum
@pytest.mark.parametrize(
    "fn, shape",
    [
        (lambda x: ad.cumsum(x, axis=0), (10, 11)),  # test_cumsum_axis0
        (lambda x: ad.cumsum(x, axis=1), (10, 11)),  # test_cumsum_axis1
        (lambda x: ad.cumsum(x), (10,)),  # test_cumsum_1d
        (lambda x: ad.cumsum(x), (10, 11)),  # test_cumsum_no_axis
    ],
    ids=["axis0", "axis1", "1d", "no_axis"],
)
def test_cumsum_as_in_hips_autograd(fn, shape):
    """HIPS autograd tests/test_numpy.py::test_cumsum_axis0, ::test_cumsum_axis1,
    ::test_cumsum_1d, ::test_cumsum_no_axis."""
    check_derivatives(fn, rng().normal(size=shape), second_order=False)  # linear: H = 0


def test_cumsum_vjp_is_the_reversed_running_sum():
    x = ad.Tensor(np.zeros((2, 4)), requires_grad=True)
    x.cumsum(axis=1).backward(np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 1.0]]))
    assert np.array_equal(x.grad, [[10.0, 9.0, 7.0, 4.0], [1.0, 1.0, 1.0, 1.0]])


# -------------------------------------------------------------------------- logsumexp
def test_logsumexp_of_large_logits_is_finite():
    big = np.array([1e4, 1e4, 1e4 - 1.0])
    expected = 1e4 + np.log(2.0 + np.exp(-1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow on the way
        assert close(ad.logsumexp(big), expected, rel=1e-15)
        assert close(ad.logsumexp(-big), -(1e4 - 1.0) + np.log(1.0 + 2.0 * np.exp(-1.0)), 1e-15)
        g = ad.grad(ad.logsumexp)(big)
    softmax = np.array([1.0, 1.0, np.exp(-1.0)]) / (2.0 + np.exp(-1.0))
    # exp(x - out): out = 1e4 + 0.86 is held to half an ulp of 1e4 (9e-13), so 1e-11 relative
    assert close(g, softmax, rel=1e-11)


def test_logsumexp_with_infinities_follows_scipy():
    with pytest.warns(RuntimeWarning, match="divide by zero"):  # log(0), as in numpy
        assert ad.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf
    assert ad.logsumexp(np.array([0.0, -np.inf])) == 0.0
    assert ad.logsumexp(np.array([np.inf, 1.0])) == np.inf
    g = ad.grad(ad.logsumexp)(np.array([0.0, -np.inf]))
    assert np.array_equal(g, [1.0, 0.0])


def test_logsumexp_is_log_softmax_normaliser():
    x = rng().normal(size=(3, 5))
    out = ad.Tensor(x) - ad.logsumexp(ad.Tensor(x), axis=1, keepdims=True)
    assert close(out.data, ad.log_softmax(ad.Tensor(x), axis=1).data)


@pytest.mark.parametrize("shape", [(1,), (4,), (3, 4), (4, 5, 6), (1, 5)])
def test_logsumexp_as_in_hips_autograd(shape):
    """HIPS autograd tests/test_scipy.py::test_logsumexp1 and ::test_logsumexp2 (axis None, 0, 1
    with keepdims both ways; fwd and rev modes) and ::test_logsumexp6 (grad of grad)."""
    x = rng().normal(size=shape)
    for axis in [None, *range(min(len(shape), 2))]:
        for keepdims in (False, True):
            check_derivatives(lambda t, a=axis, k=keepdims: ad.logsumexp(t, a, k), x)


# ------------------------------------------------------------------------ var and std
def test_var_and_std_ddof_derivatives():
    """HIPS autograd tests/test_numpy.py::test_var_ddof and ::test_std_ddof: shapes (3,), (3,4)
    and (1,3), axis None (and 1 for ddof=2), keepdims both ways, ddof 0, 1 and 2."""
    r = rng()
    b, c, d = r.normal(size=3), r.normal(size=(3, 4)), r.normal(size=(1, 3))
    combos = [(x, None, ddof) for x in (b, c, d) for ddof in (0, 1)]
    combos += [(x, axis, 2) for x in (c, d) for axis in (None, 1)]
    for x, axis, ddof in combos:
        for keepdims in (False, True):
            for fn in (ad.var, ad.std):
                check_derivatives(lambda t, f=fn, a=axis, k=keepdims, q=ddof: f(t, a, k, q), x)


def test_var_and_std_of_a_list_of_tensors():
    """HIPS autograd tests/test_numpy.py::test_std_list_of_boxes and ::test_var_list_of_boxes:
    a list of values symmetric about their mean has gradient 0 (the input is a 0-d array: ad.grad
    of a float works on Scalars, which std cannot hold)."""
    assert ad.grad(lambda x: ad.std([x, x + 2]))(np.array(0.0)) == 0.0
    assert ad.grad(lambda x: ad.std((x, x + 2)))(np.array(0.0)) == 0.0
    assert ad.grad(lambda x: ad.var([x, x + 2]))(np.array(0.0)) == 0.0
    assert ad.grad(lambda x: ad.var((x, x + 2)))(np.array(0.0)) == 0.0


def test_std_at_a_constant_input_is_zero_with_a_nan_gradient():
    """std is sqrt(var): at equal entries a cone point, so no derivative (nan, with numpy's
    warning), while var is smooth there with gradient 0."""
    x = np.full(4, 2.5)
    assert ad.std(ad.Tensor(x)).data == 0.0
    with pytest.warns(RuntimeWarning):
        g = ad.grad(ad.std)(x)
    assert np.all(np.isnan(g))
    assert np.array_equal(ad.grad(ad.var)(x), np.zeros(4))


def test_var_without_degrees_of_freedom_is_inf_or_nan_as_numpy():
    x = np.array([1.0, 3.0])
    with pytest.warns(RuntimeWarning):
        expected = np.var(x, ddof=2)
    with pytest.warns(RuntimeWarning):
        assert ad.var(x, ddof=2) == expected
    with pytest.warns(RuntimeWarning):
        assert ad.var(ad.Tensor(x), ddof=2).data == expected == np.inf


# --------------------------------------------------------------- squeeze, outer, diag
@pytest.mark.parametrize("method", [False, True], ids=["func", "method"])
def test_squeeze_as_in_hips_autograd(method):
    """HIPS autograd tests/test_numpy.py::test_squeeze_func and ::test_squeeze_method."""
    fn = (lambda x: x.squeeze()) if method else ad.squeeze
    check_derivatives(fn, rng().normal(size=(5, 1, 4)), second_order=False)


def test_outer_as_in_hips_autograd():
    """HIPS autograd tests/test_numpy.py::test_outer (vectors of 11) and
    tests/test_systematic.py::test_outer (order 3: the second derivatives here)."""
    r = rng()
    check_derivatives(ad.outer, r.normal(size=11), r.normal(size=11))
    check_derivatives(ad.outer, r.normal(size=3), r.normal(size=3))


def test_diag_as_in_hips_autograd():
    """HIPS autograd tests/test_numpy.py::test_diag (10x10), and ::test_trace / ::test_trace2
    (trace with an offset, written here as diag(x, k).sum())."""
    r = rng()
    check_derivatives(ad.diag, r.normal(size=(10, 10)), second_order=False)
    for shape, k in (((10, 11), 3), ((11, 10), -4), ((10, 11), 0)):
        check_derivatives(
            lambda t, k=k: ad.diag(t, k).sum(), r.normal(size=shape), second_order=False
        )
    check_derivatives(lambda v: ad.diag(v, 2), r.normal(size=4), second_order=False)


# ----------------------------------------------------------------------------- einsum
@pytest.mark.parametrize(
    "spec, shapes",
    [
        ("ij->ji", [(1, 1), (4, 4), (3, 4)]),  # test_einsum_transpose
        ("ij,jk->ik", [(2, 3), (3, 4)]),  # test_einsum_matmult
        ("ijk,lji->lki", [(3, 4, 4), (4, 4, 3)]),  # test_einsum_covsum
        ("ijk,lji,lli->lki", [(3, 4, 4), (4, 4, 3), (4, 4, 3)]),  # test_einsum_three_args
        ("k,nk->", [(5,), (10, 5)]),  # test_einsum_naked_sum
        ("abcd->bd", [(3, 2, 3, 2)]),  # test_einsum_naked_sum2
        ("ij,k", [(3, 4), (3,)]),  # test_einsum_no_output_indices
    ],
    ids=["transpose", "matmult", "covsum", "three_args", "naked_sum", "naked_sum2", "no_output"],
)
def test_einsum_as_in_hips_autograd(spec, shapes):
    """HIPS autograd tests/test_systematic.py::test_einsum_transpose, ::test_einsum_matmult,
    ::test_einsum_covsum, ::test_einsum_three_args, ::test_einsum_naked_sum,
    ::test_einsum_naked_sum2, ::test_einsum_no_output_indices (the transpose case on each of its
    three shapes; the others with one operand shape each, as HIPS does)."""
    r = rng()
    if spec == "ij->ji":
        for shape in shapes:
            check_derivatives(lambda a: ad.einsum(spec, a), r.normal(size=shape))
        return
    xs = [r.normal(size=s) for s in shapes]
    check_derivatives(lambda *a: ad.einsum(spec, *a), *xs)


def test_einsum_repeated_index_gradients_sit_on_the_diagonal():
    x = rng().normal(size=(3, 3))
    assert np.array_equal(ad.grad(lambda a: ad.einsum("ii->", a))(x), np.eye(3))
    g = ad.grad(lambda a: (ad.einsum("ii->i", a) * np.array([1.0, 2.0, 3.0])).sum())(x)
    assert np.array_equal(g, np.diag([1.0, 2.0, 3.0]))
    check_derivatives(
        lambda a, b: ad.einsum("iij,jk->ik", a, b),
        rng().normal(size=(3, 3, 2)),
        rng().normal(size=(2, 4)),
    )


def test_einsum_summed_out_index_gets_the_cotangent_everywhere():
    g = ad.grad(lambda a: (ad.einsum("ij->i", a) * np.array([1.0, -2.0])).sum())(np.ones((2, 3)))
    assert np.array_equal(g, [[1.0, 1.0, 1.0], [-2.0, -2.0, -2.0]])


@pytest.mark.parametrize(
    ("spec", "shapes"),
    [
        ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 4)]),  # HIPS test_einsum_matmult_broadcast
        ("...ij,jk->...ik", [(5, 2, 2, 3), (3, 4)]),
        ("...ij,...jk", [(1, 2, 3), (4, 3, 2)]),  # implicit output, broadcast leading axis
        ("i...->...", [(3, 2, 4)]),
    ],
)
def test_einsum_with_ellipsis_matches_numpy_and_central_differences(spec, shapes):
    """HIPS autograd tests/test_systematic.py::test_einsum_matmult_broadcast and the other '...'
    cases: '...' aligns the remaining axes from the right and broadcasts them, as numpy."""
    rng = np.random.default_rng(7)
    xs = [rng.normal(size=s) for s in shapes]
    np.testing.assert_allclose(ad.einsum(spec, *xs), np.einsum(spec, *xs), rtol=1e-13)
    u = rng.normal(size=np.einsum(spec, *xs).shape)
    grads = ad.grad(lambda *a: (ad.einsum(spec, *a) * u).sum(), argnums=tuple(range(len(xs))))(*xs)
    for i, x in enumerate(xs):
        fd = np.zeros_like(x)
        for k in np.ndindex(x.shape):
            p = [a.copy() for a in xs]
            m = [a.copy() for a in xs]
            p[i][k] += 1e-6
            m[i][k] -= 1e-6
            fd[k] = ((np.einsum(spec, *p) - np.einsum(spec, *m)) * u).sum() / 2e-6
        np.testing.assert_allclose(grads[i], fd, rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------- bad input
@pytest.mark.parametrize("fn", [ad.prod, ad.logsumexp, ad.var, ad.std, ad.squeeze, ad.cumsum])
@pytest.mark.parametrize("wrap", [np.asarray, ad.Tensor], ids=["array", "tensor"])
def test_axis_out_of_range_names_the_valid_range(fn, wrap):
    with pytest.raises(
        ValueError, match=r"axis 3 is out of range .* 2 axes; use an integer from -2 to 1"
    ):
        fn(wrap(np.ones((2, 1))), 3)


@pytest.mark.parametrize("fn", [ad.prod, ad.logsumexp, ad.var, ad.std, ad.squeeze])
def test_repeated_axis_is_refused(fn):
    with pytest.raises(ValueError, match="names an axis twice"):
        fn(ad.Tensor(np.ones((1, 1))), (0, -2))


def test_other_bad_arguments_have_clear_errors():
    with pytest.raises(ValueError, match=r"squeeze: axis 1 of shape \(1, 3\) has size 3, not 1"):
        ad.squeeze(ad.Tensor(np.ones((1, 3))), 1)
    with pytest.raises(TypeError, match="cumsum: axis must be one integer or None"):
        ad.cumsum(np.ones((2, 2)), (0, 1))
    with pytest.raises(ValueError, match="ddof must be a non-negative integer"):
        ad.var(np.ones(3), ddof=-1)
    with pytest.raises(ValueError, match="diag: the input must be 1-D .* or 2-D"):
        ad.diag(ad.Tensor(np.ones((2, 2, 2))))
    with pytest.raises(TypeError, match="diag: k .* must be an integer"):
        ad.diag(np.ones(3), 0.5)
    with pytest.raises(
        TypeError, match="cumsum works on numpy arrays and ad.Tensor, not on Scalar"
    ):
        ad.cumsum(ad.Scalar(2.0))
    with pytest.raises(TypeError, match="outer works on numpy arrays and ad.Tensor, not on Dual"):
        ad.outer(ad.Dual(2.0, 1.0), np.ones(2))
    with pytest.raises(ValueError, match="prod: axis 1 is out of range for an input with 0 axes"):
        ad.prod(ad.Scalar(2.0), axis=1)
    with pytest.raises(TypeError, match="expects numbers, got an array of dtype <U1"):
        ad.prod(["a"])


@pytest.mark.parametrize(
    "spec, shapes, message",
    [
        ("ij,jk->ik", [(2, 3)], r"describes 2 operand\(s\) but 1 were given"),
        ("ij->i", [(2, 3), (3,)], r"describes 1 operand\(s\) but 2 were given"),
        ("ijk->i", [(2, 3)], r"operand 0 has 2 axes \(shape \(2, 3\)\) but its subscripts 'ijk'"),
        ("ij,jk->ik", [(2, 3), (4, 5)], r"index 'j' has size 3 in one operand and 4 in operand 1"),
        ("ii->i", [(2, 3)], r"index 'i' appears twice in operand 0 .* sizes 2 and 3"),
        ("ij->ii", [(2, 2)], r"the output 'ii' repeats index 'i'"),
        ("ij->k", [(2, 2)], r"output index 'k' .* names no axis"),
        ("i1->i", [(2, 2)], r"cannot read 'i1->i'"),
        ("ij", [], r"needs at least one operand"),
    ],
)
def test_einsum_bad_input_names_the_problem(spec, shapes, message):
    operands = [np.ones(s) for s in shapes]
    with pytest.raises(ValueError, match=message):
        ad.einsum(spec, *operands)
    if operands:
        with pytest.raises(ValueError, match=message):
            ad.einsum(spec, ad.Tensor(operands[0]), *operands[1:])


def test_einsum_subscripts_must_come_first():
    with pytest.raises(TypeError, match="the first argument is the subscripts string"):
        ad.einsum(np.ones(2), "i->")


def test_numpy_reductions_on_a_tensor_use_the_methods():
    """HIPS autograd tests/test_numpy.py::test_plain_numpy_reductions_on_box (the prod part):
    np.prod, np.var, np.std and np.cumsum on a Tensor call its methods (numpy passes dtype=None
    and out=None), so the graph is kept. HIPS's input is the float 0.7 broadcast against an
    array; here it is the array of five 0.7s (ad.grad of a float works on Scalars)."""
    base = np.abs(rng().normal(size=5)) + 0.5
    x = np.full(5, 0.7)
    through_numpy = ad.grad(lambda a: np.prod(ad.exp(a) * base))(x)
    assert np.array_equal(through_numpy, ad.grad(lambda a: ad.prod(ad.exp(a) * base))(x))
    check_derivatives(lambda a: np.prod(ad.exp(a) * base), x)
    for fn in (np.var, np.std):
        assert close(
            ad.grad(lambda a, f=fn: f(a, ddof=1))(base),
            ad.grad(lambda a, f=fn: getattr(ad, f.__name__)(a, ddof=1))(base),
        )
    g = ad.grad(lambda a: (np.cumsum(a) * base).sum())(x)
    assert close(g, np.cumsum(base[::-1])[::-1])
    with pytest.raises(TypeError, match=r"Tensor.prod does not take \['out'\]"):
        np.prod(ad.Tensor(base), out=np.zeros(()))
