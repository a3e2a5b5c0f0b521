"""The elementary functions students differentiate, one name for every kind of value.

``ad.exp(x)`` works on a float, a complex number, a numpy array, a :class:`~autograd_ref.Scalar`,
a :class:`~autograd_ref.Dual` or a :class:`~autograd_ref.Tensor`. That is what lets one Python
function ``f`` be evaluated plainly, traced, differentiated in forward mode and in reverse mode, and
checked with the complex step, without rewriting it.

Each function is one row of the rule table (:mod:`autograd_ref.elementwise`, and
:mod:`autograd_ref.elementwise_extra` for the rest of numpy's elementwise functions), where its
derivative and its numerics are written once; this module is the public list of names. The
conventions (the subgradient 0 at kinks, overflow-free sigmoid and tanh, nan with a warning out of
the domain) are documented there.
"""

from __future__ import annotations

import numpy as np

from .elementwise import (  # noqa: A004
    CLIP,
    MAXIMUM,
    MINIMUM,
    abs,
    arccos,
    arcsin,
    arctan,
    constant,
    cos,
    cosh,
    exp,
    expm1,
    log,
    log1p,
    relu,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    tan,
    tanh,
    where,
)
from .elementwise_extra import (  # noqa: A004  (numpy's names: round)
    arctan2,
    cbrt,
    ceil,
    deg2rad,
    exp2,
    floor,
    fmod,
    hypot,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    mod,
    rad2deg,
    reciprocal,
    remainder,
    rint,
    round,
    sinc,
    square,
    trunc,
)
from .rules import call, is_ad_value, register_ad_type


def maximum(a, b):
    """Elementwise maximum of ``a`` and ``b``; where they tie each gets half the gradient."""
    return call(MAXIMUM, (a, b))


def minimum(a, b):
    """Elementwise minimum of ``a`` and ``b``; where they tie each gets half the gradient."""
    return call(MINIMUM, (a, b))


def clip(x, lo, hi):
    """``x`` limited to ``[lo, hi]`` (constants); the gradient passes inside, bounds included."""
    if lo is not None and hi is not None and np.any(np.asarray(lo) > np.asarray(hi)):
        raise ValueError(f"clip: lo ({lo}) is above hi ({hi}); pass lo <= hi.")
    lo = -np.inf if lo is None else constant(lo)
    hi = np.inf if hi is None else constant(hi)
    if type(x) is float and isinstance(lo, (int, float)) and isinstance(hi, (int, float)):
        return CLIP.scalar((x,), (lo, hi))
    return call(CLIP, (x,), (lo, hi))


__all__ = [
    "abs", "arccos", "arcsin", "arctan", "clip", "cos", "cosh", "exp", "expm1", "is_ad_value",
    "log", "log1p", "maximum", "minimum", "register_ad_type", "relu", "sigmoid", "sign", "sin",
    "sinh", "sqrt", "tan", "tanh", "where",
    # numpy's other elementwise functions (elementwise_extra)
    "arctan2", "cbrt", "ceil", "deg2rad", "exp2", "floor", "fmod", "hypot", "log10", "log2",
    "logaddexp", "logaddexp2", "mod", "rad2deg", "reciprocal", "remainder", "rint", "round",
    "sinc", "square", "trunc",
]  # fmt: skip
