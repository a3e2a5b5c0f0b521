"""Small toy datasets made in code: no downloads, the same numbers on every machine.

Each generator takes a ``seed`` and builds its own ``np.random.default_rng(seed)``, so a notebook,
a hidden test and a student's laptop all see identical data. Conventions shared by all of them:

* ``n`` is the total number of examples. Classes get ``n // classes`` examples each and the first
  ``n % classes`` classes one more, so the classes stay balanced for any ``n``;
* ``X`` has shape ``(n, d)`` and dtype float64;
* classification labels ``y`` have shape ``(n,)`` and dtype int64 with values ``0 .. classes-1``,
  ready for :func:`autograd_ref.nn.cross_entropy`. The rows are shuffled (with the same seed), so
  the classes are interleaved rather than in blocks;
* ``noise`` is the standard deviation of Gaussian noise added to every coordinate of ``X``
  (``regression_1d``: to the targets), in the units of the noiseless shape.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["circles", "regression_1d", "regression_1d_target", "spirals", "two_moons"]


def _check_n(n, minimum: int, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name}: n is the number of examples and must be an int, got {n!r}")
    if n < minimum:
        raise ValueError(f"{name}: n={n} is too small; it needs at least {minimum} examples")
    return int(n)


def _check_noise(noise, name: str) -> float:
    noise = float(noise)
    if not noise >= 0.0:
        raise ValueError(f"{name}: noise is a standard deviation and must be >= 0, got {noise}")
    return noise


def _counts(n: int, classes: int) -> list[int]:
    """How many examples each class gets: as equal as possible, the first classes one more."""
    return [n // classes + (1 if k < n % classes else 0) for k in range(classes)]


def _finish(parts_x, parts_y, noise: float, rng: np.random.Generator):
    """Stack the classes, add the noise, shuffle the rows; float64 X and int64 y."""
    X = np.concatenate(parts_x).astype(np.float64)
    y = np.concatenate(parts_y).astype(np.int64)
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


def two_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 arches up, class 1 (shifted) arches down.

    Class 0 lies on the upper unit half circle centred at (0, 0); class 1 on the lower half circle
    centred at (1, 0.5). No straight line separates them, which is the point: a linear model tops
    out well below 100% accuracy, a small MLP gets there. Returns ``X`` (n, 2), ``y`` (n,).
    """
    n = _check_n(n, 2, "two_moons")
    noise = _check_noise(noise, "two_moons")
    rng = np.random.default_rng(seed)
    n0, n1 = _counts(n, 2)
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    return _finish([upper, lower], [np.zeros(n0), np.ones(n1)], noise, rng)


def spirals(
    n: int = 300, classes: int = 3, noise: float = 0.05, seed: int = 0, turns: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` spiral arms winding out of the origin, one arm per class.

    Arm ``k`` starts at angle 2πk/classes and winds ``turns`` full turns while its radius grows
    from 0 to 1, so neighbouring arms stay 1/classes of a turn apart. Returns ``X`` (n, 2),
    ``y`` (n,) with labels ``0 .. classes-1``.
    """
    if isinstance(classes, bool) or not isinstance(classes, numbers.Integral) or classes < 2:
        raise ValueError(f"spirals: classes must be an int >= 2, got {classes!r}")
    n = _check_n(n, int(classes), "spirals")
    noise = _check_noise(noise, "spirals")
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k, count in enumerate(_counts(n, int(classes))):
        radius = np.linspace(0.0, 1.0, count)
        angle = 2.0 * np.pi * (k / classes + turns * radius)
        xs.append(np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]))
        ys.append(np.full(count, k))
    return _finish(xs, ys, noise, rng)


def circles(
    n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 on the unit circle, class 1 on radius ``factor``.

    ``factor`` must lie strictly between 0 and 1. Separable by a circle, not by a line (a model
    that squares its inputs, or an MLP, separates them). Returns ``X`` (n, 2), ``y`` (n,).
    """
    n = _check_n(n, 2, "circles")
    noise = _check_noise(noise, "circles")
    factor = float(factor)
    if not 0.0 < factor < 1.0:
        raise ValueError(
            f"circles: factor is the inner radius relative to the outer one and must lie "
            f"strictly between 0 and 1, got {factor}"
        )
    rng = np.random.default_rng(seed)
    n0, n1 = _counts(n, 2)
    # endpoint=False: the angle 2π would repeat the point at angle 0
    t0 = np.linspace(0.0, 2.0 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2.0 * np.pi, n1, endpoint=False)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = factor * np.column_stack([np.cos(t1), np.sin(t1)])
    return _finish([outer, inner], [np.zeros(n0), np.ones(n1)], noise, rng)


def regression_1d_target(x):
    """The noiseless curve behind :func:`regression_1d`: sin(2x) + x/2 (plot it as the truth)."""
    x = np.asarray(x, dtype=np.float64)
    return np.sin(2.0 * x) + 0.5 * x


def regression_1d(
    n: int = 100, noise: float = 0.1, seed: int = 0, low: float = -2.0, high: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy samples of :func:`regression_1d_target` on ``[low, high]``, sorted by x.

    Returns ``X`` of shape (n, 1) and float64 targets ``y`` of shape (n, 1): the same shape an
    ``MLP([1, ..., 1])`` outputs, so ``mse_loss(model(X), y)`` needs no reshaping. Sorted inputs
    make ``plt.plot(X, model(X))`` draw a curve; :class:`autograd_ref.optim.MiniBatches` shuffles
    for training.
    """
    n = _check_n(n, 1, "regression_1d")
    noise = _check_noise(noise, "regression_1d")
    low, high = float(low), float(high)
    if not low < high:
        raise ValueError(f"regression_1d: need low < high, got low={low}, high={high}")
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(low, high, size=n))
    y = regression_1d_target(x) + noise * rng.standard_normal(n)
    return x.reshape(n, 1), y.reshape(n, 1)
