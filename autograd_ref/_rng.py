"""One rule for the ``rng`` argument of initialisers, mini-batches and training helpers."""

from __future__ import annotations

import numbers

import numpy as np


def as_generator(rng, who: str) -> np.random.Generator:
    """A Generator from a Generator, an int seed or None (seed 0: reproducible by default)."""
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{who}: rng must be a np.random.Generator, an int seed or None (seed 0), got "
        f"{type(rng).__name__}. Make one with np.random.default_rng(seed)."
    )
