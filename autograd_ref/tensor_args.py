"""Checking and normalising what users pass to Tensor operations: data, axes, indices.

Kept apart from the Tensor class so the class reads as the engine it is; every error here names
the problem and what to pass instead.
"""

from __future__ import annotations

import numpy as np

from .rules import Rule, is_ad_value

_ndarray = np.ndarray
_float64 = np.float64
_F64 = np.dtype(np.float64)


def as_data(value, what: str = "Tensor", copy: bool = False) -> np.ndarray:
    """``value`` as a float64 array, following the rule documented on :class:`Tensor`."""
    if type(value) is _ndarray and value.dtype is _F64:  # the common case, first
        return value.copy() if copy else value
    if is_ad_value(value):
        kind = type(value).__name__
        if kind != "Tensor":
            raise TypeError(
                f"{what} got a {kind} where numbers or arrays were expected: {kind} values "
                "belong to the scalar engines. Pass floats or numpy arrays to array transforms."
            )
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
        if is_ad_value(x) or isinstance(x, (list, tuple)) and _contains_tensor(x):
            return True
    return False


def shape_error(prim: Rule, xs, aux, err: Exception) -> ValueError:
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


def check_no_numpy_extras(name: str, extras: dict) -> None:
    # np.sum(t) calls t.sum(axis=..., out=None); anything beyond that is not supported
    if any(v is not None for v in extras.values()):
        raise TypeError(f"Tensor.{name} takes axis and keepdims only; got {sorted(extras)}")


def normalize_axes(axis, ndim: int, name: str) -> tuple[int, ...] | None:
    """``axis`` as a sorted tuple of non-negative axes (None stays None: every axis).

    Raises a ValueError naming the function and the valid range for an axis out of range, and
    for a repeated axis.
    """
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{name}: axis must be an integer, a tuple of them, or None; got {a!r}")
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(
                f"{name}: axis {a} is out of range for an input with {ndim} axes; use an integer "
                f"from {-ndim} to {ndim - 1}, a tuple of them, or None for all axes."
            )
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: axis {axis!r} names an axis twice; name each axis once.")
    return tuple(sorted(out)) if ndim else ()  # a 0-d input has no axis to reduce, as in numpy


def clean_index(index):
    """Tensors and lists inside an index become numpy arrays (the index is data, not a graph)."""
    if isinstance(index, tuple):
        return tuple(_clean_index_item(i) for i in index)
    return _clean_index_item(index)


def _clean_index_item(i):
    if is_ad_value(i):
        i = i.__ad_constant__()
        if np.all(i == np.round(i)):
            return i.astype(np.intp)
        raise IndexError("a Tensor used as an index must hold whole numbers")
    if isinstance(i, list):
        # an empty list selects nothing: numpy would make it a float array and refuse it
        return np.asarray(i) if i else np.zeros(0, dtype=np.intp)
    return i
