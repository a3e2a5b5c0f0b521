"""The array primitives of :class:`~autograd_ref.Tensor`: value, VJP and JVP side by side.

Every differentiable operation on tensors is one :class:`Primitive` in :data:`PRIMITIVES`. Adding an
operation means adding one entry here and one thin method in ``tensor.py``; nothing else changes.

A primitive has three parts:

``value(xs, aux)``
    The numpy computation on the input arrays ``xs`` (``aux`` carries a non-differentiable extra
    such as an axis, a shape or a constant exponent).

``vjp``
    Reverse mode. For an operation with a fixed number of inputs, one rule per input,
    ``rule(g, xs, out, aux) -> cotangent`` for that input (so a constant input costs nothing: the
    backward pass only calls the rules of inputs that need a gradient). An operation with a variable
    number of inputs (``concatenate``, ``checkpoint``) has one callable returning all cotangents.

``jvp``
    Forward mode, the same shape: one rule per input, ``rule(t, xs, out, aux) -> contribution``
    to the output tangent from that input's tangent ``t`` (the contributions are added; inputs
    without a tangent are skipped, so a zero tangent never meets a ``nan`` such as ``log`` of a
    negative base), or one callable taking all tangents, zeros filled in.

The rules are written with operators and the helpers below (``sum_to``, ``broadcast_to``,
``reshape``, ``transpose``, ``where``, ...), which dispatch on the type of their argument: on numpy
arrays they are plain numpy; on Tensors they are Tensor operations, themselves primitives of this
table. So the same rule serves an ordinary backward pass (arrays, fast) and a pass whose result
must be differentiated again (Tensors: ``hessian``, ``grad`` of ``grad``).

Non-differentiable pieces of a rule, such as the mask ``x > 0`` of relu or the position of a
maximum, are computed from the data with :func:`data` and enter as constants: piecewise-linear
functions have second derivative zero away from their kinks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import _numeric

_PLAIN = (np.ndarray, np.generic, float, int)
_add_reduce = np.add.reduce  # np.sum without its Python wrapper: this runs in every backward pass
_max_reduce = np.maximum.reduce


class Primitive(NamedTuple):
    """One differentiable tensor operation (see the module docstring for the rule signatures)."""

    name: str
    value: Callable[[tuple, Any], np.ndarray]
    vjp: tuple[Callable, ...] | Callable
    jvp: tuple[Callable, ...] | Callable


# ------------------------------------------------------------------ helpers: numpy or Tensor
def data(x) -> np.ndarray:
    """The numbers inside ``x`` (a Tensor's ``.data``, or ``x`` itself): a constant in a rule."""
    return x if isinstance(x, _PLAIN) else x.data


def sum_to_array(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the axes that broadcasting added or stretched, giving an array of ``shape``.

    This is ``unbroadcast``: if ``x`` of shape ``shape`` was broadcast to ``g.shape`` in the forward
    pass, every copy of an entry received a share of the gradient, and the entry gets their sum.
    """
    gshape = g.shape if hasattr(g, "shape") else ()
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if gshape[lead:] == shape:  # only leading axes were added (a bias row): sum them away
        return _add_reduce(g, axis=tuple(range(lead)))
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1
    )
    return _add_reduce(g, axis=axes, keepdims=True).reshape(shape)


def sum_to(x, shape: tuple):
    """:func:`sum_to_array` for arrays, the differentiable ``sum_to`` primitive for Tensors."""
    if x.shape == shape:
        return x
    if isinstance(x, _PLAIN):
        return sum_to_array(x, shape)
    return x._sum_to(shape)


unbroadcast = sum_to  # the name most write-ups use for this reduction


def broadcast_to(x, shape: tuple):
    if isinstance(x, _PLAIN):
        return np.broadcast_to(x, shape)
    return x._broadcast_to(shape)


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


def where(cond: np.ndarray, a, b):
    if isinstance(a, _PLAIN) and isinstance(b, _PLAIN):
        return np.where(cond, a, b)
    from .tensor import where as tensor_where  # a Tensor branch: the differentiable where

    return tensor_where(cond, a, b)


def exp(x):
    return np.exp(x) if isinstance(x, _PLAIN) else x.exp()


def log(x):
    return np.log(x) if isinstance(x, _PLAIN) else x.log()


def sin(x):
    return np.sin(x) if isinstance(x, _PLAIN) else x.sin()


def cos(x):
    return np.cos(x) if isinstance(x, _PLAIN) else x.cos()


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
    return x._scatter(index, shape)


def concatenate(xs, axis: int):
    if all(isinstance(x, _PLAIN) for x in xs):
        return np.concatenate(xs, axis=axis)
    from .tensor import concatenate as tensor_concatenate

    return tensor_concatenate(xs, axis=axis)


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


def _power_slope(x, c: float):
    """d/dx x**c = c x**(c-1); for c = 0 it is 0 everywhere (x**0 = 1), also at x = 0 where the
    formula would give 0 * inf = nan."""
    if c == 0.0:
        return np.zeros(x.shape)
    return c * x ** (c - 1.0)


def _maximum_weight(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """d maximum(a, b) / da: 1 where a wins, 0 where b wins, 1/2 on ties (both sides averaged)."""
    return (a > b) + 0.5 * (a == b)


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
    return concatenate(ts, aux)


# ------------------------------------------------------------------------------ the table
def _p(name, value, vjp, jvp) -> Primitive:
    return Primitive(name, value, vjp, jvp)


def _relu_mask(x) -> np.ndarray:
    # relu'(0) = 0: the subgradient convention
    return (x if isinstance(x, _PLAIN) else x.data) > 0


ADD = _p(
    "add",
    lambda xs, aux: xs[0] + xs[1],
    (
        lambda g, xs, out, aux: sum_to(g, xs[0].shape),
        lambda g, xs, out, aux: sum_to(g, xs[1].shape),
    ),
    (lambda t, xs, out, aux: t, lambda t, xs, out, aux: t),
)
SUB = _p(
    "sub",
    lambda xs, aux: xs[0] - xs[1],
    (
        lambda g, xs, out, aux: sum_to(g, xs[0].shape),
        lambda g, xs, out, aux: sum_to(-g, xs[1].shape),
    ),
    (lambda t, xs, out, aux: t, lambda t, xs, out, aux: -t),
)
MUL = _p(
    "mul",
    lambda xs, aux: xs[0] * xs[1],
    (
        lambda g, xs, out, aux: sum_to(g * xs[1], xs[0].shape),
        lambda g, xs, out, aux: sum_to(g * xs[0], xs[1].shape),
    ),
    (lambda t, xs, out, aux: t * xs[1], lambda t, xs, out, aux: xs[0] * t),
)
DIV = _p(
    "div",
    lambda xs, aux: xs[0] / xs[1],
    (
        lambda g, xs, out, aux: sum_to(g / xs[1], xs[0].shape),
        lambda g, xs, out, aux: sum_to(-g * out / xs[1], xs[1].shape),
    ),
    (lambda t, xs, out, aux: t / xs[1], lambda t, xs, out, aux: -t * out / xs[1]),
)
# a ** b with a tensor exponent; d/db = a**b log a is nan for a <= 0, as the mathematics says.
POW = _p(
    "pow",
    lambda xs, aux: np.power(xs[0], xs[1]),
    (
        lambda g, xs, out, aux: sum_to(g * xs[1] * xs[0] ** (xs[1] - 1.0), xs[0].shape),
        lambda g, xs, out, aux: sum_to(g * out * log(xs[0]), xs[1].shape),
    ),
    (
        lambda t, xs, out, aux: t * xs[1] * xs[0] ** (xs[1] - 1.0),
        lambda t, xs, out, aux: t * out * log(xs[0]),
    ),
)
# x ** c for a number c kept in aux: the exponent gets no gradient.
POW_CONST = _p(
    "pow_const",
    lambda xs, aux: np.power(xs[0], aux),
    (lambda g, xs, out, aux: g * _power_slope(xs[0], aux),),
    (lambda t, xs, out, aux: t * _power_slope(xs[0], aux),),
)
MAXIMUM = _p(
    "maximum",
    lambda xs, aux: np.maximum(xs[0], xs[1]),
    (
        lambda g, xs, out, aux: sum_to(g * _maximum_weight(data(xs[0]), data(xs[1])), xs[0].shape),
        lambda g, xs, out, aux: sum_to(g * _maximum_weight(data(xs[1]), data(xs[0])), xs[1].shape),
    ),
    (
        lambda t, xs, out, aux: t * _maximum_weight(data(xs[0]), data(xs[1])),
        lambda t, xs, out, aux: t * _maximum_weight(data(xs[1]), data(xs[0])),
    ),
)
NEG = _p("neg", lambda xs, aux: -xs[0], (lambda g, xs, out, aux: -g,), (lambda t, xs, o, a: -t,))
IDENTITY = _p(
    "identity", lambda xs, aux: xs[0], (lambda g, xs, out, aux: g,), (lambda t, xs, o, a: t,)
)
EXP = _p(
    "exp",
    lambda xs, aux: np.exp(xs[0]),
    (lambda g, xs, out, aux: g * out,),
    (lambda t, xs, out, aux: t * out,),
)
LOG = _p(
    "log",
    lambda xs, aux: np.log(xs[0]),
    (lambda g, xs, out, aux: g / xs[0],),
    (lambda t, xs, out, aux: t / xs[0],),
)
SIN = _p(
    "sin",
    lambda xs, aux: np.sin(xs[0]),
    (lambda g, xs, out, aux: g * cos(xs[0]),),
    (lambda t, xs, out, aux: t * cos(xs[0]),),
)
COS = _p(
    "cos",
    lambda xs, aux: np.cos(xs[0]),
    (lambda g, xs, out, aux: -g * sin(xs[0]),),
    (lambda t, xs, out, aux: -t * sin(xs[0]),),
)
TAN = _p(
    "tan",
    lambda xs, aux: np.tan(xs[0]),
    (lambda g, xs, out, aux: g * (1.0 + out * out),),
    (lambda t, xs, out, aux: t * (1.0 + out * out),),
)
TANH = _p(
    "tanh",
    lambda xs, aux: np.tanh(xs[0]),
    (lambda g, xs, out, aux: g * (1.0 - out * out),),
    (lambda t, xs, out, aux: t * (1.0 - out * out),),
)
SIGMOID = _p(
    "sigmoid",
    lambda xs, aux: _numeric.ARRAY["sigmoid"](xs[0]),
    (lambda g, xs, out, aux: g * (out * (1.0 - out)),),
    (lambda t, xs, out, aux: t * (out * (1.0 - out)),),
)
RELU = _p(
    "relu",
    lambda xs, aux: np.maximum(xs[0], 0.0),
    (lambda g, xs, out, aux: g * _relu_mask(xs[0]),),
    (lambda t, xs, out, aux: t * _relu_mask(xs[0]),),
)
SQRT = _p(
    "sqrt",
    lambda xs, aux: np.sqrt(xs[0]),
    (lambda g, xs, out, aux: g / (2.0 * out),),
    (lambda t, xs, out, aux: t / (2.0 * out),),
)
ABS = _p(  # abs'(0) = 0, the subgradient convention
    "abs",
    lambda xs, aux: np.abs(xs[0]),
    (lambda g, xs, out, aux: g * np.sign(data(xs[0])),),
    (lambda t, xs, out, aux: t * np.sign(data(xs[0])),),
)
# leaky_relu with slope aux for x <= 0 (so the derivative at 0 is the slope, as in PyTorch)
LEAKY_RELU = _p(
    "leaky_relu",
    lambda xs, aux: np.where(xs[0] > 0, xs[0], aux * xs[0]),
    (lambda g, xs, out, aux: g * np.where(data(xs[0]) > 0, 1.0, aux),),
    (lambda t, xs, out, aux: t * np.where(data(xs[0]) > 0, 1.0, aux),),
)
# elu: x for x > 0, alpha (e**x - 1) otherwise; there the derivative alpha e**x equals out + alpha
ELU = _p(
    "elu",
    lambda xs, aux: np.where(xs[0] > 0, xs[0], aux * np.expm1(np.minimum(xs[0], 0.0))),
    (lambda g, xs, out, aux: g * where(data(xs[0]) > 0, 1.0, out + aux),),
    (lambda t, xs, out, aux: t * where(data(xs[0]) > 0, 1.0, out + aux),),
)
SOFTMAX = _p(  # aux: the axis
    "softmax",
    lambda xs, aux: _softmax_array(xs[0], aux),
    (lambda g, xs, out, aux: out * (g - total(g * out, (aux,), True)),),
    (lambda t, xs, out, aux: out * (t - total(t * out, (aux,), True)),),
)
LOG_SOFTMAX = _p(  # aux: the axis. d/dx log_softmax = I - softmax, and softmax = exp(out)
    "log_softmax",
    lambda xs, aux: _log_softmax_array(xs[0], aux),
    (lambda g, xs, out, aux: g - exp(out) * total(g, (aux,), True),),
    (lambda t, xs, out, aux: t - total(exp(out) * t, (aux,), True),),
)
MATMUL = _p(
    "matmul",
    lambda xs, aux: xs[0] @ xs[1],
    (_matmul_vjp_a, _matmul_vjp_b),
    (lambda t, xs, out, aux: t @ xs[1], lambda t, xs, out, aux: xs[0] @ t),
)
# reductions: aux = (axes tuple or None, keepdims)
SUM = _p(
    "sum",
    lambda xs, aux: _add_reduce(xs[0], axis=aux[0], keepdims=aux[1]),
    (lambda g, xs, out, aux: _expand(g, xs[0], aux[0], aux[1]),),
    (lambda t, xs, out, aux: total(t, aux[0], aux[1]),),
)
MEAN = _p(
    "mean",
    lambda xs, aux: (
        _add_reduce(xs[0], axis=aux[0], keepdims=aux[1]) * _inverse_count(xs[0], aux[0])
    ),
    (lambda g, xs, out, aux: _expand(g * _inverse_count(xs[0], aux[0]), xs[0], aux[0], aux[1]),),
    (lambda t, xs, out, aux: total(t, aux[0], aux[1]) * _inverse_count(xs[0], aux[0]),),
)
MAX = _p(
    "max",
    lambda xs, aux: _max_reduce(xs[0], axis=aux[0], keepdims=aux[1]),
    (
        lambda g, xs, out, aux: (
            _expand(g, xs[0], aux[0], aux[1]) * _max_share(data(xs[0]), data(out), aux[0], aux[1])
        ),
    ),
    (
        lambda t, xs, out, aux: total(
            t * _max_share(data(xs[0]), data(out), aux[0], aux[1]), aux[0], aux[1]
        ),
    ),
)
# shape plumbing
SUM_TO = _p(  # aux: the target shape (unbroadcast)
    "sum_to",
    lambda xs, aux: sum_to_array(xs[0], aux),
    (lambda g, xs, out, aux: broadcast_to(g, xs[0].shape),),
    (lambda t, xs, out, aux: sum_to(t, aux),),
)
BROADCAST = _p(  # aux: the target shape
    "broadcast_to",
    lambda xs, aux: np.broadcast_to(xs[0], aux),
    (lambda g, xs, out, aux: sum_to(g, xs[0].shape),),
    (lambda t, xs, out, aux: broadcast_to(t, aux),),
)
RESHAPE = _p(  # aux: the new shape
    "reshape",
    lambda xs, aux: xs[0].reshape(aux),
    (lambda g, xs, out, aux: reshape(g, xs[0].shape),),
    (lambda t, xs, out, aux: reshape(t, aux),),
)
TRANSPOSE = _p(  # aux: the permutation of the axes
    "transpose",
    lambda xs, aux: xs[0].transpose(aux),
    (lambda g, xs, out, aux: transpose(g, tuple(np.argsort(aux))),),
    (lambda t, xs, out, aux: transpose(t, aux),),
)
GETITEM = _p(  # aux: the index
    "getitem",
    lambda xs, aux: xs[0][aux],
    (lambda g, xs, out, aux: scatter(g, aux, xs[0].shape),),
    (lambda t, xs, out, aux: getitem(t, aux),),
)
SCATTER = _p(  # aux: (index, shape); zeros with the input added at index
    "scatter",
    lambda xs, aux: scatter_array(xs[0], aux[0], aux[1]),
    (lambda g, xs, out, aux: getitem(g, aux[0]),),
    (lambda t, xs, out, aux: scatter(t, aux[0], aux[1]),),
)
WHERE = _p(  # aux: the boolean condition; inputs: the two branches
    "where",
    lambda xs, aux: np.where(aux, xs[0], xs[1]),
    (
        lambda g, xs, out, aux: sum_to(where(aux, g, 0.0), xs[0].shape),
        lambda g, xs, out, aux: sum_to(where(aux, 0.0, g), xs[1].shape),
    ),
    (
        lambda t, xs, out, aux: where(aux, t, 0.0),
        lambda t, xs, out, aux: where(aux, 0.0, t),
    ),
)
CONCATENATE = _p(  # aux: the axis; any number of inputs
    "concatenate",
    lambda xs, aux: np.concatenate(xs, axis=aux),
    _concat_vjp,
    _concat_jvp,
)

PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for p in (
        ADD, SUB, MUL, DIV, POW, POW_CONST, MAXIMUM, NEG, IDENTITY, EXP, LOG, SIN, COS, TAN, TANH,
        SIGMOID, RELU, SQRT, ABS, LEAKY_RELU, ELU, SOFTMAX, LOG_SOFTMAX, MATMUL, SUM, MEAN, MAX,
        SUM_TO, BROADCAST, RESHAPE, TRANSPOSE, GETITEM, SCATTER, WHERE, CONCATENATE,
    )
}  # fmt: skip


def register(primitive: Primitive) -> Primitive:
    """Add a primitive defined elsewhere (``checkpoint`` needs the backward pass itself)."""
    PRIMITIVES[primitive.name] = primitive
    return primitive
