"""Turning user input into floats, with errors a student can act on."""

from __future__ import annotations

import numbers

import numpy as np

from .rules import is_ad_value


def to_float(value, cls_name: str) -> float:
    """The float inside ``value``, or a TypeError that says what was wrong and what to pass."""
    if type(value) is float:
        return value
    if isinstance(value, bool):
        raise TypeError(
            f"{cls_name} got the bool {value!r}; pass a number instead (1.0 or 0.0) so a "
            "comparison result is not mistaken for data."
        )
    if isinstance(value, numbers.Real):  # int, numpy scalars (np.float64 is a float subclass)
        return float(value)
    if isinstance(value, np.ndarray):
        if value.size == 1 and value.dtype.kind in "iuf":
            return float(value.reshape(()))
        raise TypeError(
            f"{cls_name} holds a single number, got an array of shape {value.shape} and dtype "
            f"{value.dtype}. Use ad.Tensor for arrays, or pass one element such as x[0]."
        )
    if isinstance(value, numbers.Complex):
        raise TypeError(
            f"{cls_name} holds a real number, got the complex {value!r}. For the complex-step "
            "derivative call the function on a plain complex number instead."
        )
    kind = type(value).__name__
    hint = ""
    if isinstance(value, str):
        hint = " Convert text with float(...) first."
    elif isinstance(value, (list, tuple)):
        hint = " Build one value per element, or use ad.Tensor for arrays."
    elif hasattr(value, "value") or hasattr(value, "primal"):
        hint = " It is already an autograd value: use it directly, or take .value / .primal."
    raise TypeError(
        f"{cls_name} expects a real number (int or float), got {kind} {value!r:.60}.{hint}"
    )


def operand_error(op: str, left, right) -> TypeError:
    """The TypeError for an operator between types that do not mix, naming both types.

    The message also says which arithmetic the autograd type supports and how to fix the call.
    """
    a, b = type(left).__name__, type(right).__name__
    ours, other = (left, right) if _is_autograd(left) else (right, left)
    kind, other_kind = type(ours).__name__, type(other).__name__
    if _is_autograd(other):
        remedy = (
            f"{kind} and {other_kind} are different kinds of autograd value and do not mix: "
            "use one kind throughout the function (Scalar for reverse mode, Dual for forward "
            "mode), or take the plain number with .value / .primal."
        )
    elif isinstance(other, str):
        remedy = (
            f"{kind} arithmetic works with int, float and {kind}; convert text with float(...)."
        )
    elif isinstance(other, (list, tuple)):
        remedy = (
            f"{kind} arithmetic works with int, float and {kind}; apply the operator to each "
            "element, or use a numpy array (elementwise) or ad.Tensor."
        )
    else:
        remedy = (
            f"{kind} arithmetic works with int, float and {kind}; convert the {other_kind} "
            "operand to a float first."
        )
    return TypeError(f"unsupported operand type(s) for {op}: '{a}' and '{b}'. {remedy}")


def _is_autograd(x) -> bool:
    return is_ad_value(x)
