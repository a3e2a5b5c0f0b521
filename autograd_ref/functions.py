"""The elementary functions students differentiate, one name for every kind of value.

``ad.exp(x)`` works on a float, a complex number, a numpy array, a :class:`~autograd_ref.Scalar`,
a :class:`~autograd_ref.Dual` or a :class:`~autograd_ref.Tensor`. That is what lets one Python
function ``f`` be evaluated plainly, traced, differentiated in forward mode and in reverse mode, and
checked with the complex step, without rewriting it.

Each function is one row of the rule table (:mod:`autograd_ref.elementwise`), where its derivative
and its numerics are written once; this module is the public list of names. The conventions (the
subgradient 0 at kinks, overflow-free sigmoid and tanh, nan with a warning out of the domain) are
documented there.
"""

from __future__ import annotations

from .elementwise import (  # noqa: A004
    abs,
    arccos,
    arcsin,
    arctan,
    clip,
    cos,
    cosh,
    exp,
    expm1,
    log,
    log1p,
    maximum,
    minimum,
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
from .rules import is_ad_value, register_ad_type

__all__ = [
    "abs", "arccos", "arcsin", "arctan", "clip", "cos", "cosh", "exp", "expm1", "is_ad_value",
    "log", "log1p", "maximum", "minimum", "register_ad_type", "relu", "sigmoid", "sign", "sin",
    "sinh", "sqrt", "tan", "tanh", "where",
]  # fmt: skip
