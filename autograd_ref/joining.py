"""Joining Tensors: ``concatenate`` along an existing axis and ``stack`` along a new one.

Both take Tensors, arrays or a mix (arrays become constants) and give each input its slice of the
gradient; on arrays alone they are numpy's.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from . import primitives as P
from .tensor import Tensor, apply, lift
from .tensor_args import as_data, normalize_axes


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
    (ax,) = normalize_axes(axis, ndim, "concatenate")
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
    (ax,) = normalize_axes(axis, len(shape) + 1, "stack")
    new = shape[:ax] + (1,) + shape[ax:]
    return concatenate([x.reshape(new) for x in xs], axis=ax)
