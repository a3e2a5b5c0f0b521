"""Reverse-mode automatic differentiation on numpy arrays: :class:`Tensor`.

A Tensor is a float64 numpy array (``.data``) that remembers how it was computed, exactly like
:class:`~autograd_ref.Scalar` does for one number: its inputs (``_parents``), the primitive that
made it (``_op``, an entry of :data:`autograd_ref.primitives.PRIMITIVES`) and one non-differentiable
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

import heapq
import numbers
from collections.abc import Iterable, Iterator
from itertools import count
from typing import Any

import numpy as np

from . import primitives as P
from .elementwise import UNARY
from .rules import Rule, is_ad_value, register_ad_type

_creation = count(1)  # leaves keep order 0: they have no inputs, any position after their users
_GRAD_ENABLED = True  # False inside ad.no_grad(): operations record nothing
_LEVELS: tuple[int, ...] = ()  # active forward-mode levels (jvp calls), outermost first
_FORWARD_DEPTH = 0  # len(_LEVELS): > 0 while a jvp is evaluating, cheap to test in every op
_level_ids = count(1)

_new = object.__new__
_ndarray = np.ndarray
_float64 = np.float64
_F64 = np.dtype(np.float64)


# ------------------------------------------------------------------------------ modes
def is_grad_enabled() -> bool:
    """Whether Tensor operations currently record the graph (False inside ``ad.no_grad()``)."""
    return _GRAD_ENABLED


def set_grad_enabled(enabled: bool) -> bool:
    """Turn graph recording on or off; return the previous setting (used by ``no_grad``)."""
    global _GRAD_ENABLED
    previous, _GRAD_ENABLED = _GRAD_ENABLED, bool(enabled)
    return previous


def forward_depth() -> int:
    """How many forward-mode transforms (``jvp``, ``jacfwd``) are evaluating right now."""
    return _FORWARD_DEPTH


def push_forward_level() -> int:
    """Open a new forward-mode level (a ``jvp`` starting); return its id."""
    global _LEVELS, _FORWARD_DEPTH
    level = next(_level_ids)
    _LEVELS = (*_LEVELS, level)
    _FORWARD_DEPTH = len(_LEVELS)
    return level


def pop_forward_level(level: int) -> None:
    """Close the innermost forward-mode level, which must be ``level``."""
    global _LEVELS, _FORWARD_DEPTH
    if not _LEVELS or _LEVELS[-1] != level:
        raise RuntimeError(f"forward levels out of order: closing {level}, open {_LEVELS}")
    _LEVELS = _LEVELS[:-1]
    _FORWARD_DEPTH = len(_LEVELS)


def tangent_at(x: Tensor, level: int):
    """The tangent ``x`` carries at forward level ``level``, or None (zero)."""
    return None if x._tangent is None else x._tangent.get(level)


# ------------------------------------------------------------------- converting input data
def as_data(value, what: str = "Tensor", copy: bool = False) -> np.ndarray:
    """``value`` as a float64 array, following the rule documented on :class:`Tensor`."""
    if type(value) is _ndarray and value.dtype is _F64:  # the common case, first
        return value.copy() if copy else value
    if isinstance(value, Tensor):
        raise TypeError(
            f"{what} got a Tensor where numbers were expected. Use the Tensor itself, or "
            "t.detach() for a copy of its numbers without the graph."
        )
    if isinstance(value, (list, tuple)) and _contains_tensor(value):
        raise TypeError(
            f"{what} got a list containing Tensors; converting it would cut the graph. Use "
            "ad.stack(list_of_tensors) to build a Tensor from Tensors."
        )
    arr = np.asarray(value) if not isinstance(value, _ndarray) else value
    kind = arr.dtype.kind
    if kind in "fiub":
        if copy:
            return np.array(arr, dtype=_float64, copy=True)
        return arr.astype(_float64, copy=False)
    if kind == "c":
        raise TypeError(
            f"{what} holds real numbers, got a complex array. For the complex-step derivative "
            "evaluate the function on plain complex numpy arrays instead."
        )
    raise TypeError(
        f"{what} expects numbers, got {type(value).__name__} of dtype {arr.dtype} "
        f"({value!r:.60}). Convert the data first, for example with np.asarray(data, dtype=float)."
    )


def _contains_tensor(items) -> bool:
    for x in items:
        if isinstance(x, Tensor) or isinstance(x, (list, tuple)) and _contains_tensor(x):
            return True
    return False


def _make(data: np.ndarray, requires_grad: bool = False) -> Tensor:
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
        return _make(np.asarray(x, dtype=_float64))
    if isinstance(x, (_ndarray, numbers.Real, list, tuple)) and not is_ad_value(x):
        return _make(as_data(x, op))
    a = type(other).__name__ if other is not None else "Tensor"
    raise TypeError(
        f"unsupported operand type(s) for {op}: '{a}' and '{type(x).__name__}'. Tensor "
        "arithmetic works with numbers, numpy arrays and Tensors; Scalar and Dual values belong "
        "to the scalar engines and do not mix with Tensors."
    )


def linked_leaf(x: Tensor) -> Tensor:
    """A fresh node holding ``x``'s numbers, to differentiate with respect to.

    It is a new node, so the gradient read from it belongs to this one computation, even when
    ``x`` is used elsewhere too (no perturbation confusion between nested transforms). When ``x``
    itself records a graph (an enclosing transform differentiates through it) the new node is
    linked to ``x`` by an identity operation, and it carries ``x``'s forward-mode tangent.
    """
    leaf = _make(x._data, requires_grad=True)
    if x.requires_grad and _GRAD_ENABLED:
        leaf._parents = (x,)
        leaf._op = P.IDENTITY
        leaf._order = next(_creation)
    if x._tangent is not None:
        leaf._tangent = dict(x._tangent)
    return leaf


def forward_leaf(x, level: int, tangent) -> Tensor:
    """A fresh node for ``jvp`` to seed: ``x``'s numbers with ``tangent`` at forward ``level``.

    It keeps what ``x`` carries for enclosing transforms (its graph link when ``x`` records
    gradients, its tangents at outer levels), and records nothing new otherwise.
    """
    if isinstance(x, Tensor):
        if x.requires_grad and _GRAD_ENABLED:
            leaf = linked_leaf(x)
        else:
            leaf = _make(x._data)
            if x._tangent is not None:
                leaf._tangent = dict(x._tangent)
    else:
        leaf = _make(x)
    tangents = leaf._tangent if leaf._tangent is not None else {}
    tangents[level] = tangent
    leaf._tangent = tangents
    return leaf


# ---------------------------------------------------------------------- applying primitives
def _shape_error(prim: Rule, xs, aux, err: Exception) -> ValueError:
    shapes = " and ".join(str(x.shape) for x in xs)
    if prim.name == "matmul":
        a, b = xs
        if a.ndim == 0 or b.ndim == 0:
            why = "matmul needs operands with at least one axis; use * for scalars"
        else:
            k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
            why = (
                f"the last axis of the left operand ({a.shape[-1]}) must equal the "
                f"{'only' if b.ndim == 1 else 'second-to-last'} axis of the right one ({k_b})"
            )
            if a.shape[-1] == k_b:
                why = "the batch axes (all but the last two) do not broadcast"
        return ValueError(f"matmul: shapes {xs[0].shape} and {xs[1].shape} do not fit: {why}.")
    if len(xs) > 1 and prim.name not in ("concatenate",):
        return ValueError(
            f"{prim.name}: shapes {shapes} do not broadcast (numpy's rule: compare from the last "
            "axis; sizes must be equal or 1). Reshape one operand, e.g. x.reshape(-1, 1)."
        )
    return ValueError(f"{prim.name}: cannot apply to shape(s) {shapes}: {err}")


def _apply1(prim: Rule, x: Tensor, aux=None) -> Tensor:
    """Evaluate a one-input primitive and record it (the hot path: keep it short)."""
    try:
        data = prim.value((x._data,), aux)
    except ValueError as err:
        raise _shape_error(prim, (x,), aux, err) from None
    out = _new(Tensor)
    out._data = data if type(data) is _ndarray else np.asarray(data, dtype=_float64)
    out.grad = out._g = out._tangent = None
    out._modified = 0
    if _GRAD_ENABLED and x.requires_grad:
        out.requires_grad = True
        out._parents = (x,)
        out._op = prim
        out._aux = aux
        out._order = next(_creation)
    else:
        out.requires_grad = False
        out._parents = ()
        out._op = out._aux = None
        out._order = 0
    if _FORWARD_DEPTH and x._tangent is not None:
        _push_tangent(out, prim, (x,), aux)
    return out


def _apply2(prim: Rule, a: Tensor, b: Tensor, aux=None) -> Tensor:
    """Evaluate a two-input primitive and record it."""
    try:
        data = prim.value((a._data, b._data), aux)
    except ValueError as err:
        raise _shape_error(prim, (a, b), aux, err) from None
    out = _new(Tensor)
    out._data = data if type(data) is _ndarray else np.asarray(data, dtype=_float64)
    out.grad = out._g = out._tangent = None
    out._modified = 0
    if _GRAD_ENABLED and (a.requires_grad or b.requires_grad):
        out.requires_grad = True
        out._parents = (a, b)
        out._op = prim
        out._aux = aux
        out._order = next(_creation)
    else:
        out.requires_grad = False
        out._parents = ()
        out._op = out._aux = None
        out._order = 0
    if _FORWARD_DEPTH and (a._tangent is not None or b._tangent is not None):
        _push_tangent(out, prim, (a, b), aux)
    return out


def apply(prim: Rule, xs: tuple[Tensor, ...], aux=None) -> Tensor:
    """Evaluate any primitive on Tensors ``xs`` and record it: the general form of the above."""
    try:
        data = prim.value(tuple(x._data for x in xs), aux)
    except ValueError as err:
        raise _shape_error(prim, xs, aux, err) from None
    out = _make(data if type(data) is _ndarray else np.asarray(data, dtype=_float64))
    if _GRAD_ENABLED and any(x.requires_grad for x in xs):
        out.requires_grad = True
        out._parents = xs
        out._op = prim
        out._aux = aux
        out._order = next(_creation)
    if _FORWARD_DEPTH and any(x._tangent is not None for x in xs):
        _push_tangent(out, prim, xs, aux)
    return out


def _push_tangent(out: Tensor, prim: Rule, xs: tuple[Tensor, ...], aux) -> None:
    """Forward mode: set ``out``'s tangents from the inputs' tangents with the JVP rules.

    Levels are handled outermost first. A rule for level L runs with only the levels outside L
    active, so its own operations push the outer tangents (giving mixed derivatives when forward
    modes are nested) but never tangents of level L itself. It runs on plain arrays unless its
    result must stay differentiable: when ``out`` records a graph (an enclosing reverse transform
    differentiates the tangent), a tangent is a Tensor, or an input carries an outer tangent.
    """
    global _LEVELS, _FORWARD_DEPTH
    levels = _LEVELS
    result: dict = {}
    out._tangent = result
    try:
        for pos, level in enumerate(levels):
            tangents = [None if x._tangent is None else x._tangent.get(level) for x in xs]
            if all(t is None for t in tangents):
                continue
            outer = levels[:pos]
            recorded = (
                out.requires_grad
                or any(isinstance(t, Tensor) for t in tangents)
                or any(x._tangent is not None and any(o in x._tangent for o in outer) for x in xs)
            )
            args = xs if recorded else tuple(x._data for x in xs)
            res = out if recorded else out._data
            _LEVELS, _FORWARD_DEPTH = outer, len(outer)
            rules = prim.jvp
            if type(rules) is tuple:
                tangent = None
                for t, rule in zip(tangents, rules, strict=False):  # a user's row may be longer
                    if t is not None:
                        part = rule(t, args, res, aux)
                        tangent = part if tangent is None else tangent + part
            else:
                filled = tuple(
                    np.zeros(x.shape) if t is None else t for x, t in zip(xs, tangents, strict=True)
                )
                tangent = rules(filled, args, res, aux)
            if tangent.shape != out.shape:
                tangent = P.broadcast_to(tangent, out.shape)
            if not isinstance(tangent, Tensor):
                tangent = np.asarray(tangent, dtype=_float64)
            result[level] = tangent
    finally:
        _LEVELS, _FORWARD_DEPTH = levels, len(levels)
    if not result:
        out._tangent = None


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

    ``==`` compares identity, so Tensors can be kept in sets and dicts; compare ``.data`` for
    numbers. ``<``, ``>``, ``<=`` and ``>=`` compare the data and return a boolean numpy array (a
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
        self._modified = next(_creation)

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

    def item(self) -> float:
        """The single number in a one-element Tensor, as a Python float."""
        if self._data.size != 1:
            raise ValueError(
                f"item() needs a Tensor holding one number; this one has shape {self.shape}. "
                "Index one element first, or reduce with .sum() / .mean()."
            )
        return float(self._data.reshape(()))

    def detach(self) -> Tensor:
        """The same numbers (shared memory) as a new constant: no history, no gradient."""
        return _make(self._data)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        if self._op is not None:
            return f"Tensor({body}, op={self._op.name!r})"
        if self.requires_grad:
            return f"Tensor({body}, requires_grad=True)"
        return f"Tensor({body})"

    def __format__(self, spec: str) -> str:
        return format(self._data.reshape(()) if self._data.size == 1 else self._data, spec)

    def __float__(self):
        raise TypeError(
            "float(Tensor) would drop the gradient (math.* functions call it). Use ad.exp, "
            "ad.log, ... on Tensors, or read the number with .item()."
        )

    def __bool__(self) -> bool:
        return bool(self._data)

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad:
            raise TypeError(
                "numpy was asked to convert a Tensor that records gradients; that would silently "
                "cut the graph. Use ad.* functions and Tensor methods to keep the gradient, or "
                "t.detach().numpy() (or t.data) if you really want plain numbers."
            )
        return self._data if dtype is None else self._data.astype(dtype)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor (a single number)")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    __hash__ = object.__hash__

    def __lt__(self, other) -> np.ndarray:
        return self._data < _plain(other)

    def __le__(self, other) -> np.ndarray:
        return self._data <= _plain(other)

    def __gt__(self, other) -> np.ndarray:
        return self._data > _plain(other)

    def __ge__(self, other) -> np.ndarray:
        return self._data >= _plain(other)

    # ------------------------------------------------------------------------- arithmetic
    def __add__(self, other) -> Tensor:
        return _apply2(P.ADD, self, lift(other, "+", self))

    def __radd__(self, other) -> Tensor:
        return _apply2(P.ADD, lift(other, "+", self), self)

    def __sub__(self, other) -> Tensor:
        return _apply2(P.SUB, self, lift(other, "-", self))

    def __rsub__(self, other) -> Tensor:
        return _apply2(P.SUB, lift(other, "-", self), self)

    def __mul__(self, other) -> Tensor:
        return _apply2(P.MUL, self, lift(other, "*", self))

    def __rmul__(self, other) -> Tensor:
        return _apply2(P.MUL, lift(other, "*", self), self)

    def __truediv__(self, other) -> Tensor:
        return _apply2(P.DIV, self, lift(other, "/", self))

    def __rtruediv__(self, other) -> Tensor:
        return _apply2(P.DIV, lift(other, "/", self), self)

    def __pow__(self, other) -> Tensor:
        if isinstance(other, numbers.Real):
            return _apply1(P.POW_CONST, self, float(other))
        return _apply2(P.POW, self, lift(other, "**", self))

    def __rpow__(self, other) -> Tensor:
        return _apply2(P.POW, lift(other, "**", self), self)

    def __matmul__(self, other) -> Tensor:
        return _apply2(P.MATMUL, self, lift(other, "@", self))

    def __rmatmul__(self, other) -> Tensor:
        return _apply2(P.MATMUL, lift(other, "@", self), self)

    def __neg__(self) -> Tensor:
        return _apply1(P.NEG, self)

    def __pos__(self) -> Tensor:
        return self

    # ------------------------------------------------------------- elementary functions
    # t.exp(), t.log(), ... are made from the rule table's one-input rows below the class.
    def __ad_apply__(self, rule: Rule, args: tuple, aux=None) -> Tensor:
        """Apply any row of the rule table: numbers and arrays among ``args`` become constants."""
        xs = tuple(lift(a, rule.name, self) for a in args)
        if len(xs) == 1:
            return _apply1(rule, xs[0], aux)
        if len(xs) == 2:
            return _apply2(rule, xs[0], xs[1], aux)
        return apply(rule, xs, aux)

    def __ad_constant__(self) -> np.ndarray:
        return self._data

    def __abs__(self) -> Tensor:
        return self.abs()

    # ------------------------------------------------------------------------ reductions
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, **unused):
        """Sum over ``axis`` (all axes by default); the gradient is broadcast back."""
        _no_numpy_extras("sum", unused)
        return _apply1(P.SUM, self, (_axes(axis, self.ndim, "sum"), bool(keepdims)))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, **unused):
        """Mean over ``axis``; each entry gets 1/n of the gradient."""
        _no_numpy_extras("mean", unused)
        return _apply1(P.MEAN, self, (_axes(axis, self.ndim, "mean"), bool(keepdims)))

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, **unused):
        """Maximum over ``axis``. Tied maxima share the gradient equally: two tied entries get
        1/2 each, which is what a central difference on either of them measures (the average
        of the one-sided derivatives); k tied entries get 1/k, keeping the derivative along the
        direction that raises them all together equal to 1."""
        _no_numpy_extras("max", unused)
        if self._data.size == 0:
            raise ValueError("max of an empty Tensor has no value")
        return _apply1(P.MAX, self, (_axes(axis, self.ndim, "max"), bool(keepdims)))

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, **unused):
        """Minimum over ``axis``, as ``-(-x).max(...)`` (ties share the gradient)."""
        return -((-self).max(axis, keepdims, **unused))

    # --------------------------------------------------------------------------- shapes
    def reshape(self, *shape) -> Tensor:
        """The same entries in a new shape (``-1`` lets one size be inferred)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            new = np.reshape(self._data, shape).shape
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"reshape: cannot reshape a Tensor of shape {self.shape} ({self.size} entries) "
                f"into {shape}: {err}"
            ) from None
        return _apply1(P.RESHAPE, self, new)

    def transpose(self, *axes) -> Tensor:
        """Permute the axes (reverse them when no axes are given, as numpy does)."""
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        n = self.ndim
        if not axes:
            perm = tuple(range(n - 1, -1, -1))
        else:
            perm = tuple(int(a) % n if -n <= int(a) < n else n for a in axes)
            if sorted(perm) != list(range(n)):
                raise ValueError(
                    f"transpose: axes {tuple(axes)} are not a permutation of the {n} axes of a "
                    f"Tensor of shape {self.shape}"
                )
        return _apply1(P.TRANSPOSE, self, perm)

    def flatten(self) -> Tensor:
        return self.reshape(-1)

    def __getitem__(self, index) -> Tensor:
        """Select entries as numpy does: ints, slices, None, ..., integer or boolean arrays.

        An entry picked several times (``x[[0, 0, 1]]``) receives the sum of the gradients of
        its copies.
        """
        return _apply1(P.GETITEM, self, _clean_index(index))

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
        reached = backprop(self, seed, create_graph=False)
        owned: set[int] = set()
        for node in reached:
            g = node._g
            node._g = None
            if g is None or node._op is not None:
                continue
            if node.grad is None:
                if type(g) is not _ndarray or g.base is not None or id(g) in owned:
                    g = np.array(g, dtype=_float64)  # never hand out a view another grad shares
                owned.add(id(g))
                node.grad = g
            else:
                node.grad = node.grad + g


def _plain(x):
    return x._data if isinstance(x, Tensor) else x


def _no_numpy_extras(name: str, extras: dict) -> None:
    # np.sum(t) calls t.sum(axis=..., out=None); anything beyond that is not supported
    if any(v is not None for v in extras.values()):
        raise TypeError(f"Tensor.{name} takes axis and keepdims only; got {sorted(extras)}")


def _axes(axis, ndim: int, name: str) -> tuple[int, ...] | None:
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < max(ndim, 1):
            raise ValueError(
                f"{name}: axis {a!r} is out of range for a Tensor with {ndim} axes; use an "
                f"integer from {-ndim} to {ndim - 1}, a tuple of them, or None for all."
            )
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: axis {axis!r} repeats an axis")
    return tuple(sorted(out))


def _clean_index(index):
    """Tensors and lists inside an index become numpy arrays (the index is data, not a graph)."""
    if isinstance(index, tuple):
        return tuple(_clean_index_item(i) for i in index)
    return _clean_index_item(index)


def _clean_index_item(i):
    if isinstance(i, Tensor):
        i = i._data
        if np.all(i == np.round(i)):
            return i.astype(np.intp)
        raise IndexError("a Tensor used as an index must hold whole numbers")
    if isinstance(i, list):
        # an empty list selects nothing: numpy would make it a float array and refuse it
        return np.asarray(i) if i else np.zeros(0, dtype=np.intp)
    return i


# ----------------------------------------------------------------------- the backward pass
def topological_order(root: Tensor, stop: set[int] | None = None) -> list[Tensor]:
    """Every recorded node ``root`` depends on, outputs first; iterative, so depth is unlimited.

    Nodes whose ``id`` is in ``stop`` are included but not looked through (a transform's inputs).
    """
    seen = {id(root)}
    order = [root]
    stack = [root]
    pop, push, keep, mark = stack.pop, stack.append, order.append, seen.add
    while stack:
        node = pop()
        if stop is not None and id(node) in stop:
            continue
        for parent in node._parents:
            if parent.requires_grad and id(parent) not in seen:
                mark(id(parent))
                keep(parent)
                push(parent)
    order.sort(key=_creation_order, reverse=True)
    return order


def _creation_order(node: Tensor) -> int:
    return node._order


def backprop(root: Tensor, seed, create_graph: bool, stop: set[int] | None = None) -> list:
    """Set ``node._g`` to d(root·seed)/d(node) for the leaves and the ``stop`` nodes.

    Nodes are processed in decreasing creation number, taken from a heap as they are reached:
    a node's inputs are older than it, so by the time a node comes off the heap every node that
    uses it has already added its contribution. That is a topological order found in the same
    pass that discovers the graph, with no recursion and no separate sort.

    Intermediate cotangents are dropped as soon as they are used. With ``create_graph`` the rules
    run on Tensors, so the cotangents are Tensors that can be differentiated again. Returns the
    nodes reached; the caller reads what it needs and resets their ``_g`` to None.
    """
    global _GRAD_ENABLED
    root._g = seed
    reached = [root]
    heap: list = []
    push, pop, keep = heapq.heappush, heapq.heappop, reached.append
    enabled = _GRAD_ENABLED
    if create_graph:
        _GRAD_ENABLED = True
    node = root
    try:
        while True:
            op = node._op
            if op is not None and (stop is None or id(node) not in stop):
                g = node._g
                parents = node._parents
                aux = node._aux
                for parent in parents:
                    if parent._modified > node._order:
                        raise _modified_error(node, parent)
                if create_graph:
                    xs, out = parents, node
                elif len(parents) == 1:
                    xs, out = (parents[0]._data,), node._data
                elif len(parents) == 2:
                    xs, out = (parents[0]._data, parents[1]._data), node._data
                else:
                    xs, out = tuple(p._data for p in parents), node._data
                rules = op.vjp
                grads = None if type(rules) is tuple else rules(g, xs, out, aux)
                i = -1
                for parent in parents:
                    i += 1
                    if not parent.requires_grad:
                        continue  # a constant: its rule is never run
                    gp = rules[i](g, xs, out, aux) if grads is None else grads[i]
                    if gp is None:
                        continue
                    q = parent._g
                    if q is None:
                        parent._g = gp
                        keep(parent)
                        if parent._op is not None:  # creation numbers of op nodes are unique
                            push(heap, (-parent._order, parent))
                    else:
                        parent._g = q + gp
                node._g = None
            if not heap:
                break
            node = pop(heap)[1]
    except BaseException:
        for n in reached:
            n._g = None
        raise
    finally:
        _GRAD_ENABLED = enabled
    return reached


def _modified_error(node: Tensor, parent: Tensor) -> RuntimeError:
    return RuntimeError(
        f"backward: a Tensor of shape {parent.shape} used by the operation {node._op.name!r} "
        "had its .data changed after the operation was recorded, so the gradient this graph "
        "would give is wrong. Compute the loss again after changing the data (for example, "
        "call optimizer.step() only after loss.backward()), or change a copy: t.data.copy()."
    )


# -------------------------------------------------------------------- module-level functions
def _any_tensor(xs: Iterable) -> bool:
    return any(isinstance(x, Tensor) for x in xs)


def concatenate(tensors, axis: int = 0):
    """Join Tensors (or arrays) along an existing axis; each gets its slice of the gradient."""
    xs = tuple(tensors)
    if not xs:
        raise ValueError("concatenate needs at least one Tensor")
    if not _any_tensor(xs):
        return np.concatenate([as_data(x, "concatenate") for x in xs], axis=axis)
    xs = tuple(lift(x, "concatenate") for x in xs)
    ndim = xs[0].ndim
    if ndim == 0 or any(x.ndim != ndim for x in xs):
        raise ValueError(
            "concatenate: all inputs need the same number of axes (at least one); got shapes "
            + ", ".join(str(x.shape) for x in xs)
            + ". Use ad.stack to join along a new axis."
        )
    (ax,) = _axes(axis, ndim, "concatenate")
    for x in xs:
        if x.shape[:ax] + x.shape[ax + 1 :] != xs[0].shape[:ax] + xs[0].shape[ax + 1 :]:
            raise ValueError(
                f"concatenate along axis {axis}: shapes "
                + ", ".join(str(x.shape) for x in xs)
                + " differ in another axis."
            )
    return apply(P.CONCATENATE, xs, ax)


def stack(tensors, axis: int = 0):
    """Join same-shaped Tensors (or arrays) along a new axis."""
    xs = tuple(tensors)
    if not xs:
        raise ValueError("stack needs at least one Tensor")
    if not _any_tensor(xs):
        return np.stack([as_data(x, "stack") for x in xs], axis=axis)
    xs = tuple(lift(x, "stack") for x in xs)
    shape = xs[0].shape
    if any(x.shape != shape for x in xs):
        raise ValueError(
            "stack: all inputs need the same shape; got " + ", ".join(str(x.shape) for x in xs)
        )
    (ax,) = _axes(axis, len(shape) + 1, "stack")
    new = shape[:ax] + (1,) + shape[ax:]
    return concatenate([x.reshape(new) for x in xs], axis=ax)


def _unary_method(rule: Rule):
    def method(self) -> Tensor:
        return _apply1(rule, self)

    method.__name__ = method.__qualname__ = rule.name
    method.__doc__ = rule.doc
    return method


for _rule in UNARY:
    setattr(Tensor, _rule.name, _unary_method(_rule))


__all__ = [
    "Tensor",
    "as_data",
    "backprop",
    "concatenate",
    "is_grad_enabled",
    "lift",
    "forward_leaf",
    "linked_leaf",
    "set_grad_enabled",
    "stack",
    "topological_order",
]
