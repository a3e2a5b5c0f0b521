"""The elementary functions students differentiate, one name for every kind of value.

``ad.exp(x)`` works on a float, a complex number, a numpy array, a :class:`~autograd_ref.Scalar`,
a :class:`~autograd_ref.Dual` or a :class:`~autograd_ref.Tensor`. That is what lets one Python
function ``f`` be evaluated plainly, traced, differentiated in forward mode and in reverse mode, and
checked with the complex step, without rewriting it.

Dispatch is deliberately plain: a differentiable type registers itself with
:func:`register_ad_type` and implements a method of the same name (``x.exp()``); anything else is
a plain number or array and goes to :mod:`autograd_ref._numeric`.

Conventions shared by every type:

* ``relu'(0) = 0`` and ``abs'(0) = 0``: at the kink both functions take the subgradient 0, the
  choice PyTorch and JAX make too. Finite differences straddling 0 will disagree there; that is
  the kink, not a bug.
* ``sigmoid`` and ``tanh`` are evaluated so that ``sigmoid(-1000) == 0.0``, ``tanh(1000) == 1.0``
  with finite gradients (0.0) and no overflow warning.
* Out-of-domain arguments (``log(-1)``, ``sqrt(-1)``) give ``nan`` with a ``RuntimeWarning``, as
  numpy does, instead of raising.
"""

from __future__ import annotations

from typing import Any

from . import _numeric

_AD_TYPES: tuple[type, ...] = ()


def register_ad_type(cls: type) -> type:
    """Class decorator: instances of ``cls`` handle the elementary functions as methods."""
    global _AD_TYPES
    _AD_TYPES = (*_AD_TYPES, cls)
    return cls


def is_ad_value(x: Any) -> bool:
    """True for values of a registered differentiable type (Scalar, Dual, Tensor, tracer)."""
    return isinstance(x, _AD_TYPES)


def _elementary(name: str, doc: str):
    def fn(x):
        if isinstance(x, _AD_TYPES):
            return getattr(x, name)()
        return _numeric.apply(name, x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


exp = _elementary("exp", "e**x. Derivative: exp(x).")
log = _elementary("log", "Natural logarithm. Derivative: 1/x. nan with a warning for x < 0.")
sin = _elementary("sin", "Sine. Derivative: cos(x).")
cos = _elementary("cos", "Cosine. Derivative: -sin(x).")
tan = _elementary("tan", "Tangent. Derivative: 1 + tan(x)**2.")
tanh = _elementary("tanh", "Hyperbolic tangent, stable for large |x|. Derivative: 1 - tanh(x)**2.")
sigmoid = _elementary(
    "sigmoid",
    "Logistic function 1/(1 + e**-x), evaluated without overflow. Derivative: s(x)(1 - s(x)).",
)
relu = _elementary("relu", "max(x, 0). Derivative: 1 for x > 0, else 0 (subgradient 0 at 0).")
sqrt = _elementary("sqrt", "Square root. Derivative: 1/(2 sqrt(x)); nan with a warning for x < 0.")
abs = _elementary("abs", "Absolute value. Derivative: sign(x), with 0 at 0 (subgradient).")  # noqa: A001

__all__ = [*_numeric.NAMES, "register_ad_type", "is_ad_value"]
