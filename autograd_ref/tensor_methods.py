"""Tensor's reductions, shape methods and conversions: ``sum``, ``mean``, ``max``, ``min``,
``reshape``, ``transpose``, ``flatten``, indexing (each a thin call of an array row of the rule
table), and ``item``, ``detach``, ``repr``, ``len``, iteration, numpy conversion.

They are attached to :class:`~autograd_ref.Tensor` at the bottom of this module, so the class
itself holds only what makes a value a node.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import primitives as P
from .tensor import Tensor, apply1, make_tensor
from .tensor_args import check_no_numpy_extras, clean_index, normalize_axes


def sum(self: Tensor, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, **unused):
    """Sum over ``axis`` (all axes by default); the gradient is broadcast back."""
    check_no_numpy_extras("sum", unused)
    return apply1(P.SUM, self, (normalize_axes(axis, self.ndim, "sum"), bool(keepdims)))

def mean(self: Tensor, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, **unused):
    """Mean over ``axis``; each entry gets 1/n of the gradient."""
    check_no_numpy_extras("mean", unused)
    return apply1(P.MEAN, self, (normalize_axes(axis, self.ndim, "mean"), bool(keepdims)))

def max(self: Tensor, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, **unused):
    """Maximum over ``axis``. Tied maxima share the gradient equally: two tied entries get
    1/2 each, which is what a central difference on either of them measures (the average
    of the one-sided derivatives); k tied entries get 1/k, keeping the derivative along the
    direction that raises them all together equal to 1."""
    check_no_numpy_extras("max", unused)
    if self._data.size == 0:
        raise ValueError("max of an empty Tensor has no value")
    return apply1(P.MAX, self, (normalize_axes(axis, self.ndim, "max"), bool(keepdims)))

def min(self: Tensor, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, **unused):
    """Minimum over ``axis``, as ``-(-x).max(...)`` (ties share the gradient)."""
    return -((-self).max(axis, keepdims, **unused))

def reshape(self: Tensor, *shape) -> Tensor:
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
    return apply1(P.RESHAPE, self, new)

def transpose(self: Tensor, *axes) -> Tensor:
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
    return apply1(P.TRANSPOSE, self, perm)

def flatten(self: Tensor) -> Tensor:
    return self.reshape(-1)

def __getitem__(self: Tensor, index) -> Tensor:
    """Select entries as numpy does: ints, slices, None, ..., integer or boolean arrays.

    An entry picked several times (``x[[0, 0, 1]]``) receives the sum of the gradients of
    its copies.
    """
    return apply1(P.GETITEM, self, clean_index(index))



def item(self: Tensor) -> float:
    """The single number in a one-element Tensor, as a Python float."""
    if self._data.size != 1:
        raise ValueError(
            f"item() needs a Tensor holding one number; this one has shape {self.shape}. "
            "Index one element first, or reduce with .sum() / .mean()."
        )
    return float(self._data.reshape(()))

def detach(self: Tensor) -> Tensor:
    """The same numbers (shared memory) as a new constant: no history, no gradient."""
    return make_tensor(self._data)

def __repr__(self: Tensor) -> str:
    body = np.array2string(self._data, separator=", ", prefix="Tensor(")
    if self._op is not None:
        return f"Tensor({body}, op={self._op.name!r})"
    if self.requires_grad:
        return f"Tensor({body}, requires_grad=True)"
    return f"Tensor({body})"

def __format__(self: Tensor, spec: str) -> str:
    return format(self._data.reshape(()) if self._data.size == 1 else self._data, spec)

def __float__(self: Tensor):
    raise TypeError(
        "float(Tensor) would drop the gradient (math.* functions call it). Use ad.exp, "
        "ad.log, ... on Tensors, or read the number with .item()."
    )

def __bool__(self: Tensor) -> bool:
    return bool(self._data)

def __array__(self: Tensor, dtype=None, copy=None):
    if self.requires_grad:
        raise TypeError(
            "numpy was asked to convert a Tensor that records gradients; that would silently "
            "cut the graph. Use ad.* functions and Tensor methods to keep the gradient, or "
            "t.detach().numpy() (or t.data) if you really want plain numbers."
        )
    return self._data if dtype is None else self._data.astype(dtype)

def __len__(self: Tensor) -> int:
    if self._data.ndim == 0:
        raise TypeError("len() of a 0-d Tensor (a single number)")
    return self._data.shape[0]

def __iter__(self: Tensor) -> Iterator[Tensor]:
    for i in range(len(self)):
        yield self[i]



METHODS = (sum, mean, max, min, reshape, transpose, flatten, __getitem__, item, detach,  # noqa: A001
           __repr__, __format__, __float__, __bool__, __array__, __len__, __iter__)  # fmt: skip
for _method in METHODS:
    setattr(Tensor, _method.__name__, _method)
