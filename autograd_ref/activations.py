"""Activation functions and (log-)softmax for neural networks.

Each works on a :class:`~autograd_ref.Tensor` (differentiable) and on plain numbers and numpy
arrays (returning plain numbers and arrays, so the curves can be plotted directly); the
elementwise ones also work on Scalar and Dual values.

* ``softmax`` and ``log_softmax`` subtract the maximum along ``axis`` before exponentiating, so
  logits of 1e4 give exact, finite results instead of ``inf/inf``.
* ``leaky_relu'(0)`` is the negative slope and ``relu'(0) = 0`` (PyTorch's conventions).
* ``gelu`` is the tanh approximation ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))`` (the
  default of ``jax.nn.gelu``; numpy has no vectorised ``erf`` for the exact form). It and ``silu``
  (``x * sigmoid(x)``) are compositions of elementary functions, so their derivatives of every
  order come from the rules of those functions.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _numeric
from . import functions as F
from . import primitives as P
from .rules import call
from .tensor import Tensor, as_data

_GELU_C = math.sqrt(2.0 / math.pi)


def _axis(axis: int, x, name: str) -> int:
    """``axis`` as a non-negative index; a 0-d input counts as one entry along one axis."""
    n = x.ndim if isinstance(x, (Tensor, np.ndarray)) else np.ndim(x)
    m = max(n, 1)
    if not isinstance(axis, (int, np.integer)) or not -m <= axis < m:
        raise ValueError(
            f"{name}: axis {axis!r} is out of range for an input with {n} axes; use an integer "
            f"from {-m} to {m - 1}."
        )
    return int(axis) % m


def _along_one_axis(fn, x, axis: int, name: str):
    """``fn`` of a 0-d input: as a one-entry vector, so softmax gives 1 and log_softmax 0 with
    gradient 0 (PyTorch's and JAX's answer), instead of an axis error."""
    _axis(axis, x, name)  # still reject axes other than 0 and -1
    if isinstance(x, Tensor):
        return fn(x.reshape(1), 0).reshape(())
    arr, number = _plain(x, name)
    return _back(fn(arr.reshape(1), 0).reshape(()), number)


def _plain(x, name: str):
    """Plain input as an array, and whether the caller gave a single number."""
    return as_data(x, name), isinstance(x, numbers.Real)


def _back(value: np.ndarray, was_number: bool):
    return float(value) if was_number else value


def softmax(x, axis: int = -1):
    """``exp(x) / sum(exp(x))`` along ``axis``: probabilities from logits, computed stably."""
    if np.ndim(x.data if isinstance(x, Tensor) else x) == 0:
        return _along_one_axis(softmax, x, axis, "softmax")
    if isinstance(x, Tensor):
        return call(P.SOFTMAX, (x,), _axis(axis, x, "softmax"))
    arr, number = _plain(x, "softmax")
    return _back(P._softmax_array(arr, _axis(axis, arr, "softmax")), number)


def log_softmax(x, axis: int = -1):
    """``x - log(sum(exp(x)))`` along ``axis``: log-probabilities, stable for large logits."""
    if np.ndim(x.data if isinstance(x, Tensor) else x) == 0:
        return _along_one_axis(log_softmax, x, axis, "log_softmax")
    if isinstance(x, Tensor):
        return call(P.LOG_SOFTMAX, (x,), _axis(axis, x, "log_softmax"))
    arr, number = _plain(x, "log_softmax")
    return _back(P._log_softmax_array(arr, _axis(axis, arr, "log_softmax")), number)


def leaky_relu(x, negative_slope: float = 0.01):
    """``x`` for ``x > 0``, else ``negative_slope * x``."""
    slope = float(negative_slope)
    if isinstance(x, Tensor):
        return call(P.LEAKY_RELU, (x,), slope)
    if F.is_ad_value(x):  # Scalar, Dual: the two branches in their own arithmetic
        return x if x > 0 else x * slope
    arr, number = _plain(x, "leaky_relu")
    return _back(P.LEAKY_RELU.value((arr,), slope), number)


def elu(x, alpha: float = 1.0):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``: smooth at 0 when ``alpha = 1``."""
    a = float(alpha)
    if isinstance(x, Tensor):
        return call(P.ELU, (x,), a)
    if F.is_ad_value(x):
        return x if x > 0 else (F.exp(x) - 1.0) * a
    arr, number = _plain(x, "elu")
    return _back(P.ELU.value((arr,), a), number)


def gelu(x):
    """Gaussian error linear unit, tanh approximation (see the module docstring)."""
    if not isinstance(x, Tensor) and not F.is_ad_value(x):
        arr, number = _plain(x, "gelu")
        return _back(0.5 * arr * (1.0 + np.tanh(_GELU_C * (arr + 0.044715 * arr**3))), number)
    return 0.5 * x * (1.0 + F.tanh(_GELU_C * (x + 0.044715 * x**3)))


def silu(x):
    """``x * sigmoid(x)`` (also called swish)."""
    if not isinstance(x, Tensor) and not F.is_ad_value(x):
        arr, number = _plain(x, "silu")
        return _back(arr * _numeric.ARRAY["sigmoid"](arr), number)
    return x * F.sigmoid(x)


__all__ = ["elu", "gelu", "leaky_relu", "log_softmax", "silu", "softmax"]
