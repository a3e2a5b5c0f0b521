"""Tangents with batch axes in front: the numpy kernels the JVP rules use for a batch of tangents.

Ordinary forward mode pushes one tangent per input, shaped like the input. The vectorised Hessian
(:mod:`autograd_ref.hessian_vectorised`) pushes ``n`` tangents at once through one recorded graph,
as one array of shape ``(n,) + x.shape`` per node: the leading axes are the *batch*, and a JVP rule
must treat them as ``n`` independent tangents. Elementwise rules do that for free (``t * slope``
broadcasts); the structural ones (sums over axes, reshapes, transposes, indexing, matmul) would read
the batch axis as one of the data's axes. Their rules therefore count axes from the end and take
shapes from the primal, and, when a tangent carries batch axes, call the kernels here.

Every function takes the tangent ``t`` (batch axes first) and the primal's shape, so the number
of batch axes is ``t.ndim - len(x_shape)``. Nothing here is differentiable or records a graph:
batched tangents only occur in the forward sweep, on plain arrays.
"""

from __future__ import annotations

import numpy as np

_add_reduce = np.add.reduce


def lead_shape(t, x_shape: tuple) -> tuple:
    """The batch axes in front of a tangent of a value of shape ``x_shape``: () when unbatched."""
    shape = t.shape if hasattr(t, "shape") else ()
    return shape[: len(shape) - len(x_shape)]


def align(t: np.ndarray, x_shape: tuple, ndim: int) -> np.ndarray:
    """``t`` with singleton axes between its batch axes and its data axes, so the data part has
    ``ndim`` axes: then it broadcasts against arrays of the broadcast result as numpy would have
    broadcast the primal (numpy aligns from the end, and the batch axes are at the front)."""
    missing = ndim - len(x_shape)
    if missing <= 0:
        return t
    lead = t.shape[: t.ndim - len(x_shape)]
    return t.reshape(lead + (1,) * missing + tuple(x_shape))


def axes_from_end(axis: tuple | None, ndim: int) -> tuple:
    """Reduction axes of a value with ``ndim`` axes, counted from the end (``None``: all of them),
    so they name the same axes of a tangent that has batch axes in front."""
    if axis is None:
        return tuple(range(-ndim, 0))
    return tuple(a % ndim - ndim for a in axis) if ndim else ()


def axis_from_end(axis: int, ndim: int) -> int:
    """One axis counted from the end (see :func:`axes_from_end`)."""
    return axis % ndim - ndim if ndim else axis


def _flat_positions(x_shape: tuple, index) -> np.ndarray:
    """Which flat entries of a value of shape ``x_shape`` ``value[index]`` picks, shaped like the
    result: any numpy index (integer arrays, masks, mixed with slices) becomes one gather."""
    return np.arange(int(np.prod(x_shape, dtype=np.int64))).reshape(x_shape)[index]


def _with_batch(index, nbatch: int) -> tuple:
    return (slice(None),) * nbatch + (index if isinstance(index, tuple) else (index,))


def take(t: np.ndarray, index, x_shape: tuple, basic: bool) -> np.ndarray:
    """``t[index]`` for each tangent in the batch (the JVP of ``x[index]``).

    Basic indices (ints, slices, None, ...) just get a full slice per batch axis in front.
    Advanced ones cannot: numpy moves the picked axes to the front when advanced indices are
    separated by a slice, so they are turned into positions in the flattened data first.
    """
    nbatch = t.ndim - len(x_shape)
    if basic:
        return t[_with_batch(index, nbatch)]
    positions = _flat_positions(x_shape, index)
    return t.reshape(t.shape[:nbatch] + (-1,))[..., positions]


def place(t: np.ndarray, index, x_shape: tuple, shape: tuple, basic: bool) -> np.ndarray:
    """Zeros of ``shape`` with each tangent in the batch added at ``index`` (``x_shape`` is the
    shape of the placed value): the JVP of scatter. Repeated positions accumulate."""
    nbatch = t.ndim - len(x_shape)
    lead = t.shape[:nbatch]
    if basic:
        out = np.zeros(lead + tuple(shape))
        out[_with_batch(index, nbatch)] = t
        return out
    positions = _flat_positions(shape, index).reshape(-1)
    batch = int(np.prod(lead, dtype=np.int64))
    size = int(np.prod(shape, dtype=np.int64))
    columns = np.zeros((size, batch))
    np.add.at(columns, positions, t.reshape(batch, -1).T)
    return columns.T.reshape(lead + tuple(shape))


def sum_to(t: np.ndarray, x_shape: tuple, shape: tuple) -> np.ndarray:
    """Each tangent in the batch summed to ``shape`` (the JVP of ``sum_to``): the axes
    broadcasting added sit after the batch axes, so the target gets singleton axes there."""
    lead = lead_shape(t, x_shape)
    padded = lead + (1,) * (len(x_shape) - len(shape)) + tuple(shape)
    axes = tuple(i for i, (n, m) in enumerate(zip(padded, t.shape, strict=True)) if n == 1 != m)
    return _add_reduce(t, axis=axes, keepdims=True).reshape(lead + tuple(shape))


def broadcast_to(t: np.ndarray, x_shape: tuple, shape: tuple) -> np.ndarray:
    """Each tangent in the batch broadcast to ``shape`` (the JVP of ``broadcast_to``)."""
    lead = lead_shape(t, x_shape)
    return np.broadcast_to(align(t, x_shape, len(shape)), lead + tuple(shape))


def _as_matrix_shape(shape: tuple, left: bool) -> tuple:
    """matmul's promotion of a 1-D operand: a row on the left, a column on the right."""
    if len(shape) != 1:
        return tuple(shape)
    return (1, shape[0]) if left else (shape[0], 1)


def matmul_tangent_a(t: np.ndarray, a_shape: tuple, b: np.ndarray, out_shape: tuple):
    """``t @ b`` for each tangent ``t`` of the left operand (shape ``a_shape``) in the batch."""
    lead = lead_shape(t, a_shape)
    if b.ndim == 2:  # one matrix on the right: every row of every tangent meets it, one product
        return (t.reshape(-1, b.shape[0]) @ b).reshape(t.shape[:-1] + (b.shape[1],))
    a2, b2 = _as_matrix_shape(a_shape, True), _as_matrix_shape(b.shape, False)
    rank = max(len(a2), len(b2))
    t2 = t.reshape(lead + (1,) * (rank - len(a2)) + a2)
    return (t2 @ b.reshape(b2)).reshape(lead + tuple(out_shape))


def matmul_tangent_b(a: np.ndarray, t: np.ndarray, b_shape: tuple, out_shape: tuple):
    """``a @ t`` for each tangent ``t`` of the right operand (shape ``b_shape``) in the batch."""
    lead = lead_shape(t, b_shape)
    if a.ndim == 2 and len(b_shape) == 1:  # a matrix times vectors: one product, transposed
        return t @ a.T
    if a.ndim == 2:  # a matrix times stacks of matrices: as rows times a.T, one product
        rows = t.swapaxes(-1, -2)
        product = rows.reshape(-1, a.shape[1]) @ a.T
        return product.reshape(rows.shape[:-1] + (a.shape[0],)).swapaxes(-1, -2)
    a2, b2 = _as_matrix_shape(a.shape, True), _as_matrix_shape(b_shape, False)
    rank = max(len(a2), len(b2))
    t2 = t.reshape(lead + (1,) * (rank - len(b2)) + b2)
    return (a.reshape(a2) @ t2).reshape(lead + tuple(out_shape))


__all__ = [
    "align",
    "axes_from_end",
    "axis_from_end",
    "broadcast_to",
    "lead_shape",
    "matmul_tangent_a",
    "matmul_tangent_b",
    "place",
    "sum_to",
    "take",
]
