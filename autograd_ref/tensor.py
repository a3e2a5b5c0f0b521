"""Reverse-mode automatic differentiation on numpy arrays: :class:`Tensor`.

A Tensor is a float64 numpy array (``.data``) that remembers how it was computed, exactly like
:class:`~autograd_ref.Scalar` does for one number: its inputs (``_parents``), the primitive that
made it (``_op``, a row of :data:`autograd_ref.rules.TABLE`) and one non-differentiable
extra (``_aux``: an axis, a shape, an index, a constant exponent). No closure is stored, so the
graph has no reference cycles and is freed by reference counting.

``loss.backward()`` visits the nodes in decreasing creation number (a topological order, found
without recursion) and calls each primitive's VJP rule once per input that needs a gradient. The
rules run on plain numpy arrays in an ordinary backward pass; inside the function transforms they
run on Tensors, so the gradient is itself a graph that can be differentiated again.

Forward mode uses the same table: while :func:`autograd_ref.jvp` is running, a Tensor may carry a
tangent, and each operation pushes its inputs' tangents through the primitive's JVP rules as it
computes its value. No reverse graph is needed for that. Tangents are tagged with the forward
"level" (one fresh id per ``jvp`` call) they belong to, in ``_tangent = {level: tangent}``: a
tangent left on a Tensor by a finished ``jvp`` is ignored, and nested forward transforms keep their
perturbations apart.
"""

from __future__ import annotations

import numbers
from itertools import count
from typing import Any

import numpy as np

from . import primitives as P
from . import recording as R
from .elementwise import UNARY
from .elementwise_extra import MOD
from .graph import accumulate_into_leaves, backprop, topological_order  # noqa: F401  (re-exported)
from .recording import (  # noqa: F401  (re-exported for the transforms)
    forward_depth,
    is_grad_enabled,
    pop_forward_level,
    push_forward_level,
    set_grad_enabled,
    tangent_at,
)
from .rules import Rule, is_ad_value, register_ad_type
from .tensor_args import (  # noqa: F401  (as_data is re-exported)
    as_data,
    check_no_numpy_extras,
    clean_index,
    normalize_axes,
    shape_error,
)

_creation = count(1)  # leaves keep order 0: they have no inputs, any position after their users
next_order = _creation.__next__  # the next creation number (also stamps a change of .data)

_new = object.__new__
_ndarray = np.ndarray
_float64 = np.float64
_F64 = np.dtype(np.float64)


# ------------------------------------------------------------------- converting input data
def make_tensor(data: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A new Tensor around ``data`` (already float64), without copying."""
    t = _new(Tensor)
    t._data = data
    t._modified = 0
    t.grad = None
    t.requires_grad = requires_grad
    t._parents = ()
    t._op = None
    t._aux = None
    t._order = 0
    t._g = None
    t._tangent = None
    return t


def lift(x, op: str = "operation", other=None) -> Tensor:
    """``x`` as a Tensor: Tensors pass through, numbers and arrays become constants (no copy)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, float):
        return make_tensor(np.asarray(x, dtype=_float64))
    if isinstance(x, (_ndarray, numbers.Real, list, tuple)) and not is_ad_value(x):
        return make_tensor(as_data(x, op))
    a = type(other).__name__ if other is not None else "Tensor"
    raise TypeError(
        f"unsupported operand type(s) for {op}: '{a}' and '{type(x).__name__}'. Tensor "
        "arithmetic works with numbers, numpy arrays and Tensors; Scalar and Dual values belong "
        "to the scalar engines and do not mix with Tensors."
    )


def apply1(prim: Rule, x: Tensor, aux=None) -> Tensor:
    """Evaluate a one-input primitive and record it (the hot path: keep it short)."""
    try:
        data = prim.value((x._data,), aux)
    except np.linalg.LinAlgError:
        raise  # a singular matrix: numpy's message, not a shape complaint
    except ValueError as err:
        raise shape_error(prim, (x,), aux, err) from None
    out = _new(Tensor)
    out._data = data if type(data) is _ndarray else np.asarray(data, dtype=_float64)
    out.grad = out._g = out._tangent = None
    out._modified = 0
    if R.GRAD_ENABLED and x.requires_grad:
        out.requires_grad = True
        out._parents = (x,)
        out._op = prim
        out._aux = aux
        out._order = next_order()
    else:
        out.requires_grad = False
        out._parents = ()
        out._op = out._aux = None
        out._order = 0
    if R.FORWARD_DEPTH and x._tangent is not None:
        R.push_tangents(out, prim, (x,), aux)
    return out


def apply2(prim: Rule, a: Tensor, b: Tensor, aux=None) -> Tensor:
    """Evaluate a two-input primitive and record it."""
    try:
        data = prim.value((a._data, b._data), aux)
    except np.linalg.LinAlgError:
        raise  # a singular matrix: numpy's message, not a shape complaint
    except ValueError as err:
        raise shape_error(prim, (a, b), aux, err) from None
    out = _new(Tensor)
    out._data = data if type(data) is _ndarray else np.asarray(data, dtype=_float64)
    out.grad = out._g = out._tangent = None
    out._modified = 0
    if R.GRAD_ENABLED and (a.requires_grad or b.requires_grad):
        out.requires_grad = True
        out._parents = (a, b)
        out._op = prim
        out._aux = aux
        out._order = next_order()
    else:
        out.requires_grad = False
        out._parents = ()
        out._op = out._aux = None
        out._order = 0
    if R.FORWARD_DEPTH and (a._tangent is not None or b._tangent is not None):
        R.push_tangents(out, prim, (a, b), aux)
    return out


def apply(prim: Rule, xs: tuple[Tensor, ...], aux=None) -> Tensor:
    """Evaluate any primitive on Tensors ``xs`` and record it: the general form of the above."""
    try:
        data = prim.value(tuple(x._data for x in xs), aux)
    except np.linalg.LinAlgError:
        raise  # a singular matrix: numpy's message, not a shape complaint
    except ValueError as err:
        raise shape_error(prim, xs, aux, err) from None
    out = make_tensor(data if type(data) is _ndarray else np.asarray(data, dtype=_float64))
    if R.GRAD_ENABLED and any(x.requires_grad for x in xs):
        out.requires_grad = True
        out._parents = xs
        out._op = prim
        out._aux = aux
        out._order = next_order()
    if R.FORWARD_DEPTH and any(x._tangent is not None for x in xs):
        R.push_tangents(out, prim, xs, aux)
    return out


# --------------------------------------------------------------------------- the Tensor class
@register_ad_type
class Tensor:
    """A float64 numpy array that records how it was computed, so ``backward()`` finds gradients.

    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> loss = (w * w).sum()
    >>> loss.backward(); w.grad
    array([2., 4.])

    Data rule: ``Tensor(data)`` copies ``data`` into a new float64 array. Integers and booleans
    (Python or numpy) are converted to float64; complex numbers, strings, objects (including lists
    of Tensors: use ``ad.stack``) are refused with a TypeError. Operators accept numbers, numpy
    arrays and Tensors and broadcast like numpy; every gradient is summed back to its input's
    shape. Constants met in an operation (numbers, arrays) are wrapped without a copy.

    ``requires_grad=True`` marks a leaf whose gradient you want: ``backward()`` adds it into
    ``.grad`` (gradients accumulate across calls, as in PyTorch; set ``.grad = None`` to reset).
    Only leaves get ``.grad``; use :func:`autograd_ref.vjp` or :func:`autograd_ref.grad` for the
    gradient with respect to anything else.

    Comparisons (``<``, ``==``, ...) compare the data and return a boolean numpy array (a
    mask: no gradient flows through a comparison). ``float(t)`` is refused (``math.*`` functions
    would silently cut the graph through it): use ``t.item()``. numpy functions see the data of a
    Tensor that needs no gradient; on one that does they raise, as ``np.exp(t)`` would otherwise
    cut the graph: use ``ad.exp(t)``, the Tensor methods, or ``t.detach()``.
    """

    __slots__ = ("_data", "grad", "requires_grad", "_parents", "_op", "_aux", "_order", "_g",
                 "_tangent", "_modified")  # fmt: skip
    __array_ufunc__ = None  # numpy defers to Tensor: array + tensor calls Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False):
        self._data: np.ndarray = as_data(data, "Tensor", copy=True)
        self._modified = 0  # creation number current when .data was last assigned (0: never)
        self.grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        self._parents: tuple[Tensor, ...] = ()
        self._op: Rule | None = None
        self._aux = None
        self._order = 0
        self._g = None
        self._tangent = None

    # ------------------------------------------------------------------------ properties
    @property
    def data(self) -> np.ndarray:
        """The numbers (a float64 array). Assigning to it, or changing it with ``+=``/``-=``
        (what an optimiser step does), marks the Tensor as modified: a graph recorded before
        that, which needs these numbers for its backward pass, then refuses to run instead of
        giving a wrong gradient (PyTorch's version counter). Writing into single entries
        (``t.data[0] = 1``) changes the array without telling the Tensor: use ``t.data = ...``.
        """
        return self._data

    @data.setter
    def data(self, value) -> None:
        self._data = as_data(value, "Tensor.data")
        self._modified = next_order()

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def T(self) -> Tensor:  # noqa: N802 (numpy's name)
        """All axes reversed, as numpy's ``.T`` (the transpose for a matrix)."""
        return self.transpose()

    @property
    def is_leaf(self) -> bool:
        """True for a Tensor made by you rather than by an operation."""
        return self._op is None

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (the same memory, not a copy; no gradient through it)."""
        return self._data

    def __eq__(self, other) -> np.ndarray:  # type: ignore[override]
        return self._data == _plain(other)

    def __ne__(self, other) -> np.ndarray:  # type: ignore[override]
        return self._data != _plain(other)

    __hash__ = object.__hash__  # by identity: Tensors stay usable in sets and dicts

    def __lt__(self, other) -> np.ndarray:
        return self._data < _plain(other)

    def __le__(self, other) -> np.ndarray:
        return self._data <= _plain(other)

    def __gt__(self, other) -> np.ndarray:
        return self._data > _plain(other)

    def __ge__(self, other) -> np.ndarray:
        return self._data >= _plain(other)

    # ------------------------------------------------------------------------- arithmetic
    # +, -, *, / and @ (and their reflected forms) are made from the table's rows below the class
    def __pow__(self, other) -> Tensor:
        if isinstance(other, numbers.Real):
            return apply1(P.POW_CONST, self, float(other))
        return apply2(P.POW, self, lift(other, "**", self))

    def __rpow__(self, other) -> Tensor:
        return apply2(P.POW, lift(other, "**", self), self)

    def __neg__(self) -> Tensor:
        return apply1(P.NEG, self)

    def __pos__(self) -> Tensor:
        return self

    # ------------------------------------------------------------- elementary functions
    # t.exp(), t.log(), ... are made from the rule table's one-input rows below the class.
    def __ad_apply__(self, rule: Rule, args: tuple, aux=None) -> Tensor:
        """Apply any row of the rule table: numbers and arrays among ``args`` become constants."""
        xs = tuple(lift(a, rule.name, self) for a in args)
        if len(xs) == 1:
            return apply1(rule, xs[0], aux)
        if len(xs) == 2:
            return apply2(rule, xs[0], xs[1], aux)
        return apply(rule, xs, aux)

    def __ad_constant__(self) -> np.ndarray:
        return self._data

    def __abs__(self) -> Tensor:
        return self.abs()

    # --------------------------------------------------------------------------- backward
    def backward(self, grad: Any = None) -> None:
        """Add d(self)/d(leaf) into ``leaf.grad`` for every leaf with ``requires_grad=True``.

        ``grad`` is the gradient of some final scalar with respect to this Tensor; it may be
        left out only when this Tensor holds one number (then it is 1).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a Tensor that does not depend on any Tensor with "
                "requires_grad=True, so there is nothing to differentiate. Create the "
                "parameters with Tensor(..., requires_grad=True), and do not compute the loss "
                "inside ad.no_grad()."
            )
        if grad is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a Tensor holding one number, but this "
                    f"one has shape {self.shape}. Reduce it to a scalar loss first (.sum() or "
                    f".mean()), or pass the gradient with respect to it: "
                    f"backward(grad=np.ones({self.shape})) gives the gradient of its sum."
                )
            seed = np.ones(self.shape)
        else:
            seed = as_data(grad._data if isinstance(grad, Tensor) else grad, "backward(grad)", True)
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward(grad): grad has shape {seed.shape} but the Tensor has shape "
                    f"{self.shape}; they must match."
                )
        accumulate_into_leaves(backprop(self, seed, create_graph=False))


def _plain(x):
    return x._data if isinstance(x, Tensor) else x


def _binary_methods(rule: Rule, symbol: str):
    def op(self, other) -> Tensor:
        return apply2(rule, self, lift(other, symbol, self))

    def rop(self, other) -> Tensor:
        return apply2(rule, lift(other, symbol, self), self)

    return op, rop


for _name, _rule, _symbol in (("add", P.ADD, "+"), ("sub", P.SUB, "-"), ("mul", P.MUL, "*"),
                              ("truediv", P.DIV, "/"), ("matmul", P.MATMUL, "@"),
                              ("mod", MOD, "%")):  # fmt: skip
    _op, _rop = _binary_methods(_rule, _symbol)
    setattr(Tensor, f"__{_name}__", _op)
    setattr(Tensor, f"__r{_name}__", _rop)


def _unary_method(rule: Rule):
    def method(self) -> Tensor:
        return apply1(rule, self)

    method.__name__ = method.__qualname__ = rule.name
    method.__doc__ = rule.doc
    return method


for _rule in UNARY:
    setattr(Tensor, _rule.name, _unary_method(_rule))


__all__ = [
    "Tensor",
    "as_data",
    "backprop",
    "is_grad_enabled",
    "lift",
    "apply1",
    "apply2",
    "make_tensor",
    "next_order",
    "set_grad_enabled",
    "topological_order",
]
