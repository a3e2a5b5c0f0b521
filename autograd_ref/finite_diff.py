"""Finite differences: derivatives from function values alone, and their error.

Two errors pull in opposite directions. Truncation error comes from the Taylor terms a difference
quotient ignores: O(h) for one-sided differences, O(h²) for the central one. Round-off error comes
from subtracting two nearly equal floats and dividing by a small h: about ε·|f|/h, with machine
epsilon ε = 2.2e-16. Balancing the two gives the default steps used here:

* one-sided (forward, backward): h = √ε · max(1, |x|) ≈ 1.5e-8 · max(1, |x|), error ≈ √ε;
* central: h = ε^(1/3) · max(1, |x|) ≈ 6.1e-6 · max(1, |x|), error ≈ ε^(2/3);
* complex step: Im f(x + ih) / h subtracts nothing, so any tiny h works; default 1e-20.

The quotients divide by the nominal h, as the textbook formulas do. So ``x**2`` at 2 with
``h = 1e-12`` gives 4.000355602329364: the step actually taken, ``(2 + h) - 2``, is
1.000088900582341e-12, and the rest is round-off in f. The lecture on finite differences
takes that number apart.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EPS = float(np.finfo(np.float64).eps)
ONE_SIDED_STEP = EPS**0.5
CENTRAL_STEP = EPS ** (1.0 / 3.0)
COMPLEX_STEP = 1e-20

__all__ = [
    "EPS",
    "backward_difference",
    "central_difference",
    "check_grad",
    "complex_step",
    "default_step",
    "directional",
    "forward_difference",
    "gradient",
]


def default_step(x: float, method: str = "central") -> float:
    """The step that balances truncation and round-off error for ``method`` at ``x``."""
    base = {"forward": ONE_SIDED_STEP, "backward": ONE_SIDED_STEP, "central": CENTRAL_STEP}
    if method == "complex":
        return COMPLEX_STEP
    if method not in base:
        raise ValueError(
            f"unknown method {method!r}; use 'forward', 'backward', 'central' or 'complex'"
        )
    return base[method] * max(1.0, abs(float(x)))


def _scalar_point(x, name: str) -> float:
    arr = np.asarray(x)
    if arr.ndim != 0 or arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} differentiates a function of one real number; got {type(x).__name__} "
            f"{x!r:.60}. For vectors use gradient(f, x) or directional(f, x, v)."
        )
    return float(arr)


def _step(h, x: float, method: str) -> float:
    h = default_step(x, method) if h is None else float(h)
    if not h > 0:
        raise ValueError(f"the step h must be positive, got {h!r}")
    return h


def _scalar_value(y, name: str) -> float:
    arr = np.asarray(y)
    if arr.size != 1:
        raise TypeError(f"{name} needs f to return one number; it returned shape {arr.shape}.")
    if arr.dtype.kind == "c":
        raise TypeError(
            f"{name} needs f to return a real number for a real x; it returned {y!r:.60}. "
            "Return the real part, or use complex_step for complex-valued evaluation."
        )
    return float(arr.reshape(()))


def forward_difference(f: Callable[[float], float], x: float, h: float | None = None) -> float:
    """(f(x + h) − f(x)) / h: error O(h) + O(ε/h)."""
    x = _scalar_point(x, "forward_difference")
    h = _step(h, x, "forward")
    name = "forward_difference"
    return (_scalar_value(f(x + h), name) - _scalar_value(f(x), name)) / h


def backward_difference(f: Callable[[float], float], x: float, h: float | None = None) -> float:
    """(f(x) − f(x − h)) / h: error O(h) + O(ε/h)."""
    x = _scalar_point(x, "backward_difference")
    h = _step(h, x, "backward")
    name = "backward_difference"
    return (_scalar_value(f(x), name) - _scalar_value(f(x - h), name)) / h


def central_difference(f: Callable[[float], float], x: float, h: float | None = None) -> float:
    """(f(x + h) − f(x − h)) / 2h: error O(h²) + O(ε/h)."""
    x = _scalar_point(x, "central_difference")
    h = _step(h, x, "central")
    name = "central_difference"
    up, down = _scalar_value(f(x + h), name), _scalar_value(f(x - h), name)
    return (up - down) / (2.0 * h)


def complex_step(f: Callable[[complex], complex], x: float, h: float | None = None) -> float:
    """Im f(x + ih) / h: no subtraction, so no cancellation; exact to rounding for tiny h.

    ``f`` must be analytic and written with operations that accept complex numbers (the ``ad.*``
    functions do; ``abs`` and ``relu`` follow the real part's branch).
    """
    x = _scalar_point(x, "complex_step")
    h = _step(h, x, "complex")
    y = np.asarray(f(complex(x, h)))
    if y.size != 1:
        raise TypeError(f"complex_step needs f to return one number; it returned shape {y.shape}.")
    if not np.iscomplexobj(y):
        raise TypeError(
            "complex_step: f returned a real number for a complex input, so the imaginary part "
            "was dropped inside f (math.* functions or float() do that). Use ad.* functions or "
            "numpy, which keep complex values. (If f is constant, its derivative is simply 0.)"
        )
    return float(y.reshape(()).imag / h)


def _vector_point(x, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} needs a real vector x, got dtype {arr.dtype}")
    return arr.astype(np.float64)  # a copy: the entries are perturbed in place


def gradient(f: Callable[[np.ndarray], float], x, method: str = "central", h: float | None = None):
    """The gradient of scalar ``f`` at array ``x``, one coordinate at a time.

    Costs n + 1 evaluations of f for ``method="forward"`` (or "backward") and 2n for "central".
    The step is chosen per coordinate (scaled by |x_i|) unless ``h`` is given.
    """
    x = _vector_point(x, "gradient")
    if method not in ("forward", "backward", "central"):
        raise ValueError(f"unknown method {method!r}; use 'forward', 'backward' or 'central'")
    g = np.empty_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    f0 = None if method == "central" else _scalar_value(f(x.copy()), "gradient")
    for i in range(flat.size):
        xi = flat[i]
        hi = _step(h, xi, method)
        if method == "central":
            flat[i] = xi + hi
            f_up = _scalar_value(f(x.copy()), "gradient")  # a copy: f may keep its argument
            flat[i] = xi - hi
            f_down = _scalar_value(f(x.copy()), "gradient")
            gflat[i] = (f_up - f_down) / (2.0 * hi)
        else:
            sign = 1.0 if method == "forward" else -1.0
            flat[i] = xi + sign * hi
            gflat[i] = sign * (_scalar_value(f(x.copy()), "gradient") - f0) / hi
        flat[i] = xi
    return g


def directional(f: Callable[[np.ndarray], float], x, v, h: float | None = None) -> float:
    """The derivative of ``f`` at ``x`` along ``v`` (∇f·v) from two evaluations (central)."""
    x = _vector_point(x, "directional")
    v = _vector_point(v, "directional")
    if v.shape != x.shape:
        raise ValueError(f"directional: v has shape {v.shape} but x has shape {x.shape}")
    scale = max(1.0, float(np.max(np.abs(x), initial=0.0))) / max(
        float(np.max(np.abs(v), initial=0.0)), 1e-300
    )
    h = CENTRAL_STEP * scale if h is None else float(h)
    up = _scalar_value(f(x + h * v), "directional")
    down = _scalar_value(f(x - h * v), "directional")
    return (up - down) / (2.0 * h)


def check_grad(f: Callable, grad_f: Callable, x, h: float | None = None) -> float:
    """Relative error between ``grad_f(x)`` and a central-difference gradient of ``f``.

    ``‖g − g_fd‖ / max(‖g‖ + ‖g_fd‖, tiny)``: about 1e-10 or less means the analytic gradient is
    right; 1e-6 is suspicious; above 1e-4 it is almost certainly wrong. Works for scalar x (a
    derivative) and array x (a gradient).
    """
    x_arr = np.asarray(x, dtype=np.float64)
    analytic = np.asarray(grad_f(x if x_arr.ndim == 0 else x_arr.copy()), dtype=np.float64)
    if x_arr.ndim == 0:
        numeric = np.asarray(central_difference(f, float(x_arr), h))
    else:
        numeric = gradient(f, x_arr, "central", h)
    if analytic.shape != numeric.shape:
        raise ValueError(
            f"check_grad: grad_f returned shape {analytic.shape}, but x has shape "
            f"{numeric.shape}; the gradient must have the shape of x."
        )
    diff = float(np.linalg.norm(analytic - numeric))
    scale = float(np.linalg.norm(analytic) + np.linalg.norm(numeric))
    return diff / max(scale, np.finfo(np.float64).tiny)
