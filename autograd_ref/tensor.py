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

import numbers
from collections.abc import Iterator
from itertools import count
from typing import Any

import numpy as np

from . import primitives as P
from . import recording as R
from .elementwise import UNARY
from .graph import backprop, topological_order  # noqa: F401  (re-exported)
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

_new = object.__new__
_ndarray = np.ndarray
_float64 = np.float64
_F64 = np.dtype(np.float64)


# ------------------------------------------------------------------- converting input data
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
    if x.requires_grad and R.GRAD_ENABLED:
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
        if x.requires_grad and R.GRAD_ENABLED:
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
def _apply1(prim: Rule, x: Tensor, aux=None) -> Tensor:
    """Evaluate a one-input primitive and record it (the hot path: keep it short)."""
    try:
        data = prim.value((x._data,), aux)
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
        out._order = next(_creation)
    else:
        out.requires_grad = False
        out._parents = ()
        out._op = out._aux = None
        out._order = 0
    if R.FORWARD_DEPTH and x._tangent is not None:
        R.push_tangents(out, prim, (x,), aux)
    return out


def _apply2(prim: Rule, a: Tensor, b: Tensor, aux=None) -> Tensor:
    """Evaluate a two-input primitive and record it."""
    try:
        data = prim.value((a._data, b._data), aux)
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
        out._order = next(_creation)
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
    except ValueError as err:
        raise shape_error(prim, xs, aux, err) from None
    out = _make(data if type(data) is _ndarray else np.asarray(data, dtype=_float64))
    if R.GRAD_ENABLED and any(x.requires_grad for x in xs):
        out.requires_grad = True
        out._parents = xs
        out._op = prim
        out._aux = aux
        out._order = next(_creation)
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
        check_no_numpy_extras("sum", unused)
        return _apply1(P.SUM, self, (normalize_axes(axis, self.ndim, "sum"), bool(keepdims)))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, **unused):
        """Mean over ``axis``; each entry gets 1/n of the gradient."""
        check_no_numpy_extras("mean", unused)
        return _apply1(P.MEAN, self, (normalize_axes(axis, self.ndim, "mean"), bool(keepdims)))

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, **unused):
        """Maximum over ``axis``. Tied maxima share the gradient equally: two tied entries get
        1/2 each, which is what a central difference on either of them measures (the average
        of the one-sided derivatives); k tied entries get 1/k, keeping the derivative along the
        direction that raises them all together equal to 1."""
        check_no_numpy_extras("max", unused)
        if self._data.size == 0:
            raise ValueError("max of an empty Tensor has no value")
        return _apply1(P.MAX, self, (normalize_axes(axis, self.ndim, "max"), bool(keepdims)))

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
        return _apply1(P.GETITEM, self, clean_index(index))

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
    "is_grad_enabled",
    "lift",
    "forward_leaf",
    "linked_leaf",
    "set_grad_enabled",
    "topological_order",
]
