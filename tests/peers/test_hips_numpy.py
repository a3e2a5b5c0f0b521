"""HIPS autograd's array cases (tests/test_numpy.py and tests/test_binary_ops.py), on
autograd_ref's Tensor operations.

Each row is one peer case: its function, written with Tensor methods and ``ad.*`` functions, is
run through ``check_grads`` (``ad.jvp`` and ``ad.vjp`` to second order against central
differences, see gradcheck.py). Where autograd_ref has no function of numpy's name the row builds
the same operation from what it has (flipud as ``x[::-1]``, trace as a sum of indexed entries, ...)
and its id says so. Operations on the pending list (outer, cumsum, prod, var, std, clip, diag,
squeeze, einsum) are in test_ops_added_cases.py. Inputs are drawn from one seeded generator.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd_ref as ad

from .gradcheck import check_grads

RNG = np.random.default_rng(7)


def randn(*shape):
    return RNG.normal(size=shape)


MAT = randn(3, 4)
MAT2 = randn(2, 3, 4)
VEC = randn(5)
TRIU = np.triu(np.ones((4, 4)))
TRIL = np.tril(np.ones((4, 4)))

NUMPY_CASES = [
    ("test_dot (matrix @ vector)", lambda a, b: a @ b, (randn(3, 4), randn(4))),
    ("test_dot (matrix @ matrix)", lambda a, b: a @ b, (randn(3, 4), randn(4, 5))),
    ("test_dot (vector @ vector)", lambda a, b: a @ b, (randn(4), randn(4))),
    ("test_dot (vector @ matrix)", lambda a, b: a @ b, (randn(4), randn(4, 2))),
    ("test_dot_with_floats (as x * 1.5)", lambda x: x * 1.5, (randn(4),)),
    ("test_max", lambda x: x.max(), (MAT,)),
    ("test_max_axis", lambda x: x.max(axis=1), (MAT2,)),
    ("test_max_axis_keepdims", lambda x: x.max(axis=1, keepdims=True), (MAT2,)),
    ("test_min", lambda x: x.min(), (MAT,)),
    ("test_min_axis", lambda x: x.min(axis=1), (MAT2,)),
    ("test_min_axis_keepdims", lambda x: x.min(axis=1, keepdims=True), (MAT2,)),
    ("test_sum_1", lambda x: x.sum(), (MAT,)),
    ("test_sum_2", lambda x: x.sum(axis=0), (MAT,)),
    ("test_sum_3", lambda x: x.sum(axis=0, keepdims=True), (MAT,)),
    ("test_sum_with_axis_tuple", lambda x: x.sum(axis=(1, 2)), (MAT2,)),
    ("test_plain_numpy_reductions_on_box (np.sum)", lambda x: np.sum(x * x), (MAT,)),
    ("test_flipud (as x[::-1])", lambda x: x[::-1], (MAT,)),
    ("test_fliplr (as x[:, ::-1])", lambda x: x[:, ::-1], (MAT,)),
    ("test_rot90 (as x[:, ::-1].T)", lambda x: x[:, ::-1].T, (MAT,)),
    ("test_non_numpy_sum (Python sum over rows)", lambda x: sum(x), (MAT,)),
    ("test_mean_1", lambda x: x.mean(), (MAT,)),
    ("test_mean_2", lambda x: x.mean(axis=0), (MAT,)),
    ("test_mean_3", lambda x: x.mean(axis=0, keepdims=True), (MAT,)),
    ("test_mean_list_of_boxes (mean of a stack)", lambda a, b: ad.stack([a, b]).mean(),
     (np.array(0.3), np.array(-1.2))),
    ("test_index_ints", lambda x: x[1, 2], (MAT,)),
    ("test_index_slice", lambda x: x[::-1, 2:], (MAT,)),
    ("test_index_lists", lambda x: x[[0, 2, 2]], (MAT,)),
    ("test_index_mixed", lambda x: x[1, :], (MAT,)),
    ("test_vector_slice", lambda x: x[2:4], (VEC,)),
    ("test_index_slice_fanout", lambda x: x[1:2, :] + x[1:2, :] * x[0:1, :], (MAT,)),
    ("test_index_multiple_slices", lambda x: x[1:][::-1][1:], (VEC,)),
    ("test_reshape_method", lambda x: x.reshape((4, 3)), (MAT,)),
    ("test_reshape_call (reshape to -1)", lambda x: x.reshape((-1, 2)), (MAT,)),
    ("test_reshape_method_nolist", lambda x: x.reshape(2, 6), (MAT,)),
    ("test_ravel_method (as flatten)", lambda x: x.flatten(), (MAT,)),
    ("test_ravel_call (as reshape(-1))", lambda x: x.reshape(-1), (MAT,)),
    ("test_flatten_method", lambda x: x.flatten(), (MAT2,)),
    ("test_simple_append_list (concatenate)", lambda x: ad.concatenate([x, np.ones(2)]),
     (randn(3),)),
    ("test_simple_append_arr", lambda x, y: ad.concatenate([x, y]), (randn(3), randn(2))),
    ("test_simple_append_list_2D", lambda x, y: ad.concatenate([x, y]), (randn(2, 3), randn(1, 3))),
    ("test_simple_concatenate", lambda x, y: ad.concatenate([x, y, x]), (randn(3), randn(2))),
    ("test_concatenate_axis_0", lambda x, y: ad.concatenate([x, y, x], axis=0),
     (randn(2, 3), randn(1, 3))),
    ("test_concatenate_axis_1", lambda x, y: ad.concatenate([x, y, x], axis=1),
     (randn(3, 2), randn(3, 1))),
    ("test_concatenate_axis_1_unnamed", lambda x, y: ad.concatenate((x, y, x), 1),
     (randn(3, 2), randn(3, 1))),
    ("test_trace (as x[i, i].sum())", lambda x: x[np.arange(4), np.arange(4)].sum(),
     (randn(4, 4),)),
    ("test_trace2 (offset 1, as x[i, i + 1].sum())",
     lambda x: x[np.arange(3), np.arange(1, 4)].sum(), (randn(4, 4),)),
    ("test_trace_extradims (as x[i, i, :].sum(0))",
     lambda x: x[np.arange(3), np.arange(3), :].sum(axis=0), (randn(3, 3, 2),)),
    ("test_transpose", lambda x: x.transpose(1, 2, 0), (MAT2,)),
    ("test_roll (as fancy index)", lambda x: x[np.roll(np.arange(3), 2)], (MAT,)),
    ("test_roll_no_axis (flatten, index)", lambda x: x.flatten()[np.roll(np.arange(12), 5)],
     (MAT,)),
    ("test_triu (as x * mask)", lambda x: x * TRIU, (randn(4, 4),)),
    ("test_tril (as x * mask)", lambda x: x * TRIL, (randn(4, 4),)),
    ("test_1d_array (stack)", lambda x: ad.stack([x, x * x, x * 2.0]), (np.array(1.3),)),
    ("test_2d_array (stack of stacks)",
     lambda x: ad.stack([ad.stack([x, x * x]), ad.stack([x * 3.0, x + x])]), (np.array(0.4),)),
    ("test_1d_array_fanout", lambda x: ad.stack([x, x * x, x * 2.0]).sum() * x,
     (np.array(1.3),)),
    ("test_array_from_scalar", lambda x: ad.stack([x]), (np.array(0.8),)),
    ("test_array_from_arrays", lambda x: ad.stack([x, x]), (randn(3),)),
    ("test_array_from_arrays_2", lambda x, y: ad.stack([x, y]), (randn(3), randn(3))),
    ("test_r_basic (concatenate)", lambda x: ad.concatenate([x, x]), (randn(3, 2),)),
    ("test_r_double", lambda x: ad.concatenate([x, x, x * x]), (randn(3),)),
    ("test_r_node_and_const", lambda x: ad.concatenate([x, np.arange(3.0), x]), (randn(3),)),
    ("test_r_mixed", lambda x, y: ad.concatenate([x, y * y]), (randn(3), randn(2))),
    ("test_r_slicing", lambda x: ad.concatenate([x[1:], x[:2]]), (randn(4),)),
    ("test_c_ (concatenate axis 1)", lambda x: ad.concatenate([x, x], axis=1), (randn(3, 2),)),
    ("test_c_mixed", lambda x: ad.concatenate([x, np.ones((3, 1))], axis=1), (randn(3, 2),)),
    ("test_where", lambda x, y: ad.where(np.array([True, False, True, False]), x, y),
     (randn(4), randn(4))),
    ("test_repeat (as fancy index)", lambda x: x[:, np.repeat(np.arange(4), 2)], (MAT,)),
    ("test_repeat_axis0", lambda x: x[np.repeat(np.arange(3), 2)], (MAT,)),
    ("test_repeat_1d_axis0", lambda x: x[np.repeat(np.arange(5), 3)], (VEC,)),
    ("test_expand_dims (x[:, None])", lambda x: x[:, None], (randn(3),)),
    ("test_multi_index", lambda x: x[[0, 0]], (randn(3),)),
    ("test_multi_index2", lambda x: x[[0, 1, 0]], (randn(3),)),
    ("test_index_dot_slices", lambda x: (x[:, :2] @ x[:2, :]).sum(), (randn(4, 2) @ randn(2, 4),)),
    ("test_max_equal_values (stack of x, x)", lambda x: ad.stack([x, x]).max(),
     (np.array(1.0),)),
    ("test_max_equal_values_2d", lambda x: ad.stack([x, x]).max(axis=0), (randn(3),)),
    ("test_min_3_way_equality", lambda x: ad.stack([x, x, x]).min(), (np.array(1.5),)),
    ("test_maximum_equal_values", lambda x: ad.maximum(x, x), (np.array(1.0),)),
    ("test_maximum_equal_values_2d", lambda x: ad.maximum(x, x), (randn(3, 2),)),
]  # fmt: skip


@pytest.mark.parametrize(("case", "f", "args"), NUMPY_CASES, ids=[c[0] for c in NUMPY_CASES])
def test_numpy_case(case, f, args):
    """HIPS autograd tests/test_numpy.py::<case>: check_grads, fwd and rev, to second order."""
    check_grads(f, *args)


def test_len():
    """HIPS autograd tests/test_numpy.py::test_len: len() of a Tensor inside a differentiated
    function is its first dimension, and the gradient flows around it."""
    g = ad.grad(lambda x: x.sum() * len(x))(np.ones((3, 2)))
    assert np.array_equal(g, np.full((3, 2), 3.0))


def test_scalar_array_box_attributes():
    """HIPS autograd tests/test_numpy.py::test_scalar_array_box_attributes: shape, ndim, size of
    the value f sees are those of the input."""
    seen = []

    def f(x):
        seen.append((x.shape, x.ndim, x.size))
        return x.sum()

    ad.grad(f)(np.ones((2, 3)))
    assert seen == [((2, 3), 2, 6)]


def test_no_relation():
    """HIPS autograd tests/test_numpy.py::test_no_relation: an output that does not depend on
    the input has zero gradient of the input's shape (no error)."""
    c = np.arange(3.0)
    g = ad.grad(lambda x: ad.Tensor(c).sum())(np.ones(4))
    assert np.array_equal(g, np.zeros(4))


def test_index_empty_list():
    """HIPS autograd tests/test_numpy.py::test_index_lists, edge case: indexing with an empty
    list selects nothing, so the gradient is all zeros."""
    g = ad.grad(lambda x: x[[]].sum() + 0.0 * x.sum())(np.ones(3))
    assert np.array_equal(g, np.zeros(3))


# --------------------------------------------------------------- tests/test_binary_ops.py
def arg_pairs():
    """HIPS's arg_pairs: every pair of a float, a (4,) vector, a (3, 4) and a (1, 4) matrix."""
    rng = np.random.default_rng(0)
    values = {"scalar": 2.0, "vector": rng.normal(size=4), "mat": rng.normal(size=(3, 4)),
              "mat2": rng.normal(size=(1, 4))}  # fmt: skip
    return [
        pytest.param(values[a], values[b], id=f"{a}-{b}")
        for a, b in itertools.product(values, values)
    ]


def gap(x):
    return np.sqrt(np.square(x) + 0.5)


@pytest.mark.parametrize(("a", "b"), arg_pairs())
@pytest.mark.parametrize(
    ("name", "f", "prepare"),
    [
        ("test_mul", lambda x, y: x * y, lambda a, b: (a, b)),
        ("test_add", lambda x, y: x + y, lambda a, b: (a, b)),
        ("test_sub", lambda x, y: x - y, lambda a, b: (a, b)),
        ("test_div", lambda x, y: x / y, lambda a, b: (gap(a), gap(b))),
        ("test_pow", lambda x, y: x**y, lambda a, b: (np.abs(a) + 1.1, b)),
        (
            "test_hypot (as sqrt(x*x + y*y))",
            lambda x, y: ad.sqrt(x * x + y * y),
            lambda a, b: (a, b),
        ),
    ],  # fmt: skip
    ids=["test_mul", "test_add", "test_sub", "test_div", "test_pow", "test_hypot"],
)
def test_binary_op(name, f, prepare, a, b):
    """HIPS autograd tests/test_binary_ops.py::<name> over arg_pairs(): broadcasting between
    floats, vectors and matrices, fwd and rev to second order."""
    x, y = prepare(a, b)
    x = float(x) if np.ndim(x) == 0 else x
    check_grads(f, x, y)


@pytest.mark.parametrize(("a", "b"), arg_pairs())
def test_comparison_grads(a, b):
    """HIPS autograd tests/test_binary_ops.py::test_comparison_grads: sums of comparisons are
    piecewise constant, so their gradient is zero, with the argument's shape."""
    comparisons = [
        lambda x, y: x < y,
        lambda x, y: x <= y,
        lambda x, y: x > y,
        lambda x, y: x >= y,
        lambda x, y: x == y,
        lambda x, y: x != y,
    ]
    for cmp in comparisons:

        def f(x, y, cmp=cmp):
            zeros = (x + y) * 0.0
            mask = np.asarray(cmp(x, y), dtype=float)
            total = zeros + (float(mask) if mask.ndim == 0 else mask)
            return total.sum() if isinstance(total, ad.Tensor) else total

        ga, gb = ad.grad(f, argnums=(0, 1))(a, b)
        assert np.shape(ga) == np.shape(a) and np.shape(gb) == np.shape(b)
        assert not np.any(ga) and not np.any(gb)


def test_grad_wrt_float_next_to_tensor():
    """HIPS autograd tests/test_binary_ops.py::test_mul (scalar-mat pair) through ad.grad with
    argnums=0 when the other argument is a Tensor: d/da sum(a * T) = sum(T)."""
    t = ad.Tensor(MAT)
    g = ad.grad(lambda a, m: (a * m).sum())(2.0, t)
    assert abs(float(g) - MAT.sum()) <= 1e-12 * (1 + abs(MAT.sum()))
