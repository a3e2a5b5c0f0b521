"""The array rows of the rule table: reductions, shapes, indexing, matmul, softmax.

The elementwise rows (arithmetic, exp, tanh, ...) live in :mod:`autograd_ref.elementwise`, shared
with the scalar value types; the rows here exist only for arrays, so only
:class:`~autograd_ref.Tensor` interprets them. Signatures are those of :mod:`autograd_ref.rules`:
``value(xs, aux)`` on numpy arrays, and one ``vjp``/``jvp`` rule per input (or one callable for a
variable number of inputs).

The rules are written with operators and the helpers below (``sum_to``, ``broadcast_to``,
``reshape``, ``transpose``, ``where``, ...), which dispatch on the type of their argument: on numpy
arrays they are plain numpy; on Tensors they are Tensor operations, themselves rows of the table. So
the same rule serves an ordinary backward pass (arrays, fast) and a pass whose result must be
differentiated again (Tensors: ``hessian``, ``grad`` of ``grad``).

Non-differentiable pieces of a rule, such as the position of a maximum, are computed from the data
with :func:`constant` and enter as constants: piecewise-linear functions have second derivative
zero away from their kinks.
"""

from __future__ import annotations

import numpy as np

from . import batching as B
from .elementwise import (  # noqa: F401  (re-exported: the array rows' helpers and names)
    ABS,
    ADD,
    BROADCAST,
    CLIP,
    COS,
    DIV,
    EXP,
    IDENTITY,
    LOG,
    MAXIMUM,
    MINIMUM,
    MUL,
    NEG,
    POW,
    POW_CONST,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    SUB,
    SUM_TO,
    TAN,
    TANH,
    WHERE,
    broadcast_to,
    constant,
    exp,
    sum_to,
    sum_to_array,
    where,
)
from .rules import Rule, call, register

unbroadcast = sum_to  # the name most write-ups use for this reduction
_PLAIN = (np.ndarray, np.generic, float, int)
_add_reduce = np.add.reduce  # np.sum without its Python wrapper: this runs in every backward pass
_max_reduce = np.maximum.reduce


# ------------------------------------------------------------------ helpers: numpy or Tensor
def reshape(x, shape: tuple):
    if type(x) is np.ndarray:
        return x.reshape(shape)
    if isinstance(x, _PLAIN):
        return np.reshape(x, shape)
    return x.reshape(shape)


def transpose(x, axes: tuple | None):
    if type(x) is np.ndarray:
        return x.transpose(axes)
    if isinstance(x, _PLAIN):
        return np.transpose(x, axes)
    return x.transpose(axes)


def swap_last(x):
    """Transpose the last two axes (the matrix transpose of a stack of matrices)."""
    if isinstance(x, _PLAIN):
        return x.T if x.ndim == 2 else x.swapaxes(-1, -2)
    n = x.ndim
    return x.transpose((*range(n - 2), n - 1, n - 2))


def total(x, axis: tuple | None, keepdims: bool):
    """Sum over ``axis`` (the ``sum`` primitive for Tensors)."""
    if isinstance(x, _PLAIN):
        return _add_reduce(x, axis=axis, keepdims=keepdims)
    return x.sum(axis=axis, keepdims=keepdims)


def getitem(x, index):
    if isinstance(x, _PLAIN):
        return np.asarray(x)[index]
    return x[index]


def scatter(x, index, shape: tuple):
    """Zeros of ``shape`` with ``x`` added at ``index`` (repeats accumulate): getitem's adjoint."""
    if isinstance(x, _PLAIN):
        return scatter_array(x, index, shape)
    return call(SCATTER, (x,), (index, shape))


def concatenate(xs, axis: int):
    if all(isinstance(x, _PLAIN) for x in xs):
        return np.concatenate(xs, axis=axis)
    return call(CONCATENATE, tuple(xs), axis)


# --------------------------------------------------------------------------- numpy kernels
def is_basic_index(index) -> bool:
    """True when ``index`` selects with ints, slices, ``None`` and ``...`` only: no entry twice."""
    if not isinstance(index, tuple):
        index = (index,)
    for i in index:
        if not (
            i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer))
        ) or isinstance(i, (bool, np.bool_)):
            return False
    return True


def scatter_array(g, index, shape: tuple) -> np.ndarray:
    """Adjoint of ``x[index]`` on arrays: a zero array of ``shape`` with ``g`` added at ``index``.

    Basic indexing picks each entry at most once, so plain assignment is enough. Integer-array
    indexing may pick an entry several times (``x[[0, 0]]``); each pick contributes, so the
    contributions are added with ``np.add.at`` (``out[index] += g`` would keep only one of them).
    """
    out = np.zeros(shape)
    if is_basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    # subtract the max first: exp never sees a large positive number, so logits of 1e4 are fine
    shifted = x - _max_reduce(x, axis=axis, keepdims=True)
    return shifted - np.log(_add_reduce(np.exp(shifted), axis=axis, keepdims=True))


def _softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - _max_reduce(x, axis=axis, keepdims=True))
    return e / _add_reduce(e, axis=axis, keepdims=True)


def _max_share(x: np.ndarray, out: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    """Where the maximum sits, as weights summing to one: tied maxima share equally.

    For a pair of ties that is the average of the one-sided derivatives, which is what a central
    difference sees; for k ties, 1/k each keeps the derivative along all-ones equal to 1.
    """
    keep = out if keepdims or axis is None else np.expand_dims(out, axis)
    hit = x == keep
    with np.errstate(invalid="ignore", divide="ignore"):
        return hit / _add_reduce(hit, axis=axis, keepdims=True)


def _axes(axis, x) -> tuple:
    return tuple(range(x.ndim)) if axis is None else axis


def _expand(g, x, axis, keepdims: bool):
    """A reduction's cotangent ``g`` broadcast back to the input's shape."""
    shape = x.shape
    if not keepdims:
        kshape = list(shape)
        for a in _axes(axis, x):
            kshape[a] = 1
        g = reshape(g, tuple(kshape))
    if isinstance(g, _PLAIN):  # a filled copy: faster than np.broadcast_to's Python wrapper
        out = np.empty(shape)
        out[...] = g
        return out
    return broadcast_to(g, shape)


def _count(x: np.ndarray, axis) -> int:
    """How many entries each result of a reduction over ``axis`` combines."""
    if axis is None:
        return x.size
    n = 1
    for a in axis:
        n *= x.shape[a]
    return n


def _inverse_count(x: np.ndarray, axis) -> float:
    n = _count(x, axis)
    return 1.0 / n if n else np.nan  # the mean of nothing is nan, as in numpy


# -------------------------------------------------------------------------- matmul
def _vec_to_matrix(xs):
    """Matmul with 1-D operands, rewritten as a product of matrices (numpy's promotion rule)."""
    a, b = xs
    a2 = reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
    b2 = reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
    return a, b, a2, b2


def _g_as_matrix(g, a, b):
    shape = g.shape
    if a.ndim == 1:
        shape = (*shape[: len(shape) - (b.ndim > 1)], 1, *shape[len(shape) - (b.ndim > 1) :])
    if b.ndim == 1:
        shape = (*shape, 1)
    return reshape(g, shape)


def _matmul_vjp_a(g, xs, out, aux):
    a, b = xs
    if a.ndim == 2 and b.ndim == 2:
        return g @ swap_last(b)
    a, b, a2, b2 = _vec_to_matrix(xs)
    ga = _g_as_matrix(g, a, b) @ swap_last(b2)
    return reshape(sum_to(ga, a2.shape), a.shape)


def _matmul_vjp_b(g, xs, out, aux):
    a, b = xs
    if a.ndim == 2 and b.ndim == 2:
        return swap_last(a) @ g
    a, b, a2, b2 = _vec_to_matrix(xs)
    gb = swap_last(a2) @ _g_as_matrix(g, a, b)
    return reshape(sum_to(gb, b2.shape), b.shape)


# ------------------------------------------------------------------ variadic: concatenate
def _concat_vjp(g, xs, out, aux):
    axis = aux
    grads, start = [], 0
    for x in xs:
        n = x.shape[axis]
        index = (slice(None),) * (axis % out.ndim) + (slice(start, start + n),)
        grads.append(getitem(g, index))
        start += n
    return tuple(grads)


def _concat_jvp(ts, xs, out, aux):
    batched = ts[0].ndim > xs[0].ndim  # a batch of tangents (the vectorised Hessian)
    return concatenate(ts, B.axis_from_end(aux, out.ndim) if batched else aux)


# ------------------------------------------------- JVPs that also take a batch of tangents
# The forward sweep of the vectorised Hessian pushes tangents with batch axes in front
# (autograd_ref.batching). These rules see that from the tangent having more axes than its primal,
# and then count axes from the end; an ordinary tangent takes the first branch, unchanged.
def _reduce_jvp(t, xs, aux):
    x = xs[0]
    axis = aux[0] if t.ndim == x.ndim else B.axes_from_end(aux[0], x.ndim)
    return total(t, axis, aux[1])


def _axis_jvp(t, xs, aux):
    return aux if t.ndim == xs[0].ndim else B.axis_from_end(aux, xs[0].ndim)


def _matmul_jvp_a(t, xs, out, aux):
    if t.ndim == xs[0].ndim:
        return t @ xs[1]
    return B.matmul_tangent_a(t, xs[0].shape, xs[1], out.shape)


def _matmul_jvp_b(t, xs, out, aux):
    if t.ndim == xs[1].ndim:
        return xs[0] @ t
    return B.matmul_tangent_b(xs[0], t, xs[1].shape, out.shape)


def _transpose_jvp(t, xs, out, aux):
    nbatch = t.ndim - xs[0].ndim
    return transpose(t, aux if nbatch == 0 else (*range(nbatch), *(nbatch + a for a in aux)))


def _getitem_jvp(t, xs, out, aux):
    if t.ndim == xs[0].ndim:
        return getitem(t, aux)
    return B.take(t, aux, xs[0].shape, is_basic_index(aux))


def _scatter_jvp(t, xs, out, aux):
    if t.ndim == xs[0].ndim:
        return scatter(t, aux[0], aux[1])
    return B.place(t, aux[0], xs[0].shape, aux[1], is_basic_index(aux[0]))


# ------------------------------------------------------------------------------ the rows
def _p(name, value, vjp, jvp) -> Rule:
    nargs = len(vjp) if type(vjp) is tuple else None
    return register(Rule(name, value, vjp, jvp, nargs=nargs))


# leaky_relu with slope aux for x <= 0 (so the derivative at 0 is the slope, as in PyTorch)
LEAKY_RELU = _p(
    "leaky_relu",
    lambda xs, aux: np.where(xs[0] > 0, xs[0], aux * xs[0]),
    (lambda g, xs, out, aux: g * np.where(constant(xs[0]) > 0, 1.0, aux),),
    (lambda t, xs, out, aux: t * np.where(constant(xs[0]) > 0, 1.0, aux),),
)
# elu: x for x > 0, alpha (e**x - 1) otherwise; there the derivative alpha e**x equals out + alpha
ELU = _p(
    "elu",
    lambda xs, aux: np.where(xs[0] > 0, xs[0], aux * np.expm1(np.minimum(xs[0], 0.0))),
    (lambda g, xs, out, aux: g * where(constant(xs[0]) > 0, 1.0, out + aux),),
    (lambda t, xs, out, aux: t * where(constant(xs[0]) > 0, 1.0, out + aux),),
)
SOFTMAX = _p(  # aux: the axis
    "softmax",
    lambda xs, aux: _softmax_array(xs[0], aux),
    (lambda g, xs, out, aux: out * (g - total(g * out, (aux,), True)),),
    (lambda t, xs, out, aux: out * (t - total(t * out, (_axis_jvp(t, xs, aux),), True)),),
)
LOG_SOFTMAX = _p(  # aux: the axis. d/dx log_softmax = I - softmax, and softmax = exp(out)
    "log_softmax",
    lambda xs, aux: _log_softmax_array(xs[0], aux),
    (lambda g, xs, out, aux: g - exp(out) * total(g, (aux,), True),),
    (lambda t, xs, out, aux: t - total(exp(out) * t, (_axis_jvp(t, xs, aux),), True),),
)
MATMUL = _p(
    "matmul",
    lambda xs, aux: xs[0] @ xs[1],
    (_matmul_vjp_a, _matmul_vjp_b),
    (_matmul_jvp_a, _matmul_jvp_b),
)
# reductions: aux = (axes tuple or None, keepdims)
SUM = _p(
    "sum",
    lambda xs, aux: _add_reduce(xs[0], axis=aux[0], keepdims=aux[1]),
    (lambda g, xs, out, aux: _expand(g, xs[0], aux[0], aux[1]),),
    (lambda t, xs, out, aux: _reduce_jvp(t, xs, aux),),
)
MEAN = _p(
    "mean",
    lambda xs, aux: (
        _add_reduce(xs[0], axis=aux[0], keepdims=aux[1]) * _inverse_count(xs[0], aux[0])
    ),
    (lambda g, xs, out, aux: _expand(g * _inverse_count(xs[0], aux[0]), xs[0], aux[0], aux[1]),),
    (lambda t, xs, out, aux: _reduce_jvp(t, xs, aux) * _inverse_count(xs[0], aux[0]),),
)
MAX = _p(
    "max",
    lambda xs, aux: _max_reduce(xs[0], axis=aux[0], keepdims=aux[1]),
    (
        lambda g, xs, out, aux: (
            _expand(g, xs[0], aux[0], aux[1])
            * _max_share(constant(xs[0]), constant(out), aux[0], aux[1])
        ),
    ),
    (
        lambda t, xs, out, aux: _reduce_jvp(
            t * _max_share(constant(xs[0]), constant(out), aux[0], aux[1]), xs, aux
        ),
    ),
)
# shape plumbing (sum_to and broadcast_to are elementwise rows: broadcasting is theirs)
RESHAPE = _p(  # aux: the new shape
    "reshape",
    lambda xs, aux: xs[0].reshape(aux),
    (lambda g, xs, out, aux: reshape(g, xs[0].shape),),
    (lambda t, xs, out, aux: reshape(t, B.lead_shape(t, xs[0].shape) + aux),),
)
TRANSPOSE = _p(  # aux: the permutation of the axes
    "transpose",
    lambda xs, aux: xs[0].transpose(aux),
    (lambda g, xs, out, aux: transpose(g, tuple(np.argsort(aux))),),
    (_transpose_jvp,),
)
GETITEM = _p(  # aux: the index
    "getitem",
    lambda xs, aux: xs[0][aux],
    (lambda g, xs, out, aux: scatter(g, aux, xs[0].shape),),
    (_getitem_jvp,),
)
SCATTER = _p(  # aux: (index, shape); zeros with the input added at index
    "scatter",
    lambda xs, aux: scatter_array(xs[0], aux[0], aux[1]),
    (lambda g, xs, out, aux: getitem(g, aux[0]),),
    (_scatter_jvp,),
)
CONCATENATE = _p(  # aux: the axis; any number of inputs
    "concatenate",
    lambda xs, aux: np.concatenate(xs, axis=aux),
    _concat_vjp,
    _concat_jvp,
)
