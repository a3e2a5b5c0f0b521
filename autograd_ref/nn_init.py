"""Weight initialisers for :mod:`autograd_ref.nn` (all importable from there too).

Each takes a ``shape`` in Linear's ``(in_features, out_features)`` layout and an optional ``rng``
(a seed or a numpy Generator) and returns a float64 array. They live apart from the modules so
that nn.py stays about layers; the lectures call them as ``ad.nn.xavier_uniform`` and so on.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from ._rng import as_generator as _as_generator

__all__ = [
    "fan_in_uniform",
    "he_normal",
    "he_uniform",
    "initialiser",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
]


def _shape(shape) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(int(s) for s in shape)
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"an initialiser needs a shape of positive sizes, got {shape}")
    return shape


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) for the (in, out) layout: rows are inputs, the last axis outputs."""
    if len(shape) == 1:
        return shape[0], shape[0]
    return math.prod(shape[:-1]), shape[-1]


def uniform(shape, a: float, rng=None) -> np.ndarray:
    """Entries drawn from U(-a, a). The vanishing-gradient experiments use a = 0.5."""
    a = float(a)
    if not a > 0:
        raise ValueError(f"uniform: the half-width a must be positive, got {a}")
    return _as_generator(rng, "nn").uniform(-a, a, size=_shape(shape))


def xavier_uniform(shape, rng=None, gain: float = 1.0) -> np.ndarray:
    """Glorot/Xavier: U(-a, a) with a = gain·sqrt(6 / (fan_in + fan_out)).

    Chosen so the variance of activations and of gradients stays roughly constant through
    layers with tanh or sigmoid-like activations. ``shape`` is (fan_in, fan_out), as Linear's
    weight.
    """
    shape = _shape(shape)
    fan_in, fan_out = _fans(shape)
    return uniform(shape, gain * math.sqrt(6.0 / (fan_in + fan_out)), rng)


def xavier_normal(shape, rng=None, gain: float = 1.0) -> np.ndarray:
    """Glorot/Xavier, normal version: N(0, σ²) with σ = gain·sqrt(2 / (fan_in + fan_out))."""
    shape = _shape(shape)
    fan_in, fan_out = _fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return std * _as_generator(rng, "xavier_normal").standard_normal(shape)


def he_normal(shape, rng=None) -> np.ndarray:
    """He/Kaiming: N(0, σ²) with σ = sqrt(2 / fan_in), for ReLU layers.

    ReLU zeroes half of its inputs on average, halving the variance; the factor 2 puts it back.
    """
    shape = _shape(shape)
    fan_in, _ = _fans(shape)
    return math.sqrt(2.0 / fan_in) * _as_generator(rng, "nn").standard_normal(shape)


def he_uniform(shape, rng=None) -> np.ndarray:
    """He/Kaiming, uniform version: U(-a, a) with a = sqrt(6 / fan_in)."""
    shape = _shape(shape)
    fan_in, _ = _fans(shape)
    return uniform(shape, math.sqrt(6.0 / fan_in), rng)


def fan_in_uniform(shape, rng=None) -> np.ndarray:
    """U(-a, a) with a = 1/sqrt(fan_in): Linear's default (PyTorch's), scale-preserving."""
    return uniform(shape, 1.0 / math.sqrt(_fans(_shape(shape))[0]), rng)


_INITS: dict[str, Callable] = {
    "uniform": fan_in_uniform,
    "xavier_uniform": xavier_uniform,
    "xavier": xavier_uniform,
    "glorot_uniform": xavier_uniform,
    "glorot": xavier_uniform,
    "xavier_normal": xavier_normal,
    "glorot_normal": xavier_normal,
    "he_normal": he_normal,
    "he": he_normal,
    "kaiming_normal": he_normal,
    "he_uniform": he_uniform,
    "kaiming_uniform": he_uniform,
}


def initialiser(init) -> Callable:
    """The initialiser named by ``init`` (a key of the table above), or ``init`` if callable."""
    if callable(init):
        return init
    if isinstance(init, str) and init in _INITS:
        return _INITS[init]
    raise ValueError(
        f"unknown init {init!r}; use one of {sorted(_INITS)} or a function init(shape, rng=...) "
        "returning an array, e.g. functools.partial(ad.nn.uniform, a=0.5)"
    )
