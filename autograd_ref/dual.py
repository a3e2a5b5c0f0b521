"""Forward-mode automatic differentiation with dual numbers.

A dual number is ``a + b·ε`` with ``ε² = 0``. Expanding ``f(a + b·ε)`` as a Taylor series, every
term from ε² on vanishes, leaving ``f(a) + f'(a)·b·ε``: the tangent part of the result is the
derivative, scaled by the seed ``b``. So each operation only needs its own derivative rule, applied
to the tangent as the value flows forward; no graph is stored, which is why forward mode costs a
constant factor in memory however long the computation.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _numeric
from . import functions as F
from ._checks import operand_error, to_float

_div = _numeric.div
_pow = _numeric.power
_new = object.__new__
_FLOAT = _numeric.FLOAT


@F.register_ad_type
class Dual:
    """``primal + tangent·ε`` with ε² = 0.

    >>> y = Dual(2.0, 1.0) ** 3      # seed dx = 1
    >>> y.primal, y.tangent
    (8.0, 12.0)
    """

    __slots__ = ("primal", "tangent")

    def __init__(self, primal, tangent=0.0):
        self.primal: float = to_float(primal, "Dual")
        self.tangent: float = to_float(tangent, "Dual tangent")

    # ---------------------------------------------------------------------- arithmetic
    # (a + a'ε) ∘ (b + b'ε), each keeping only the first-order term. Results are built with
    # _dual (no input checks: both parts are floats already).
    def __add__(self, other):
        o = _lift(other, "+", self)
        if o is NotImplemented:
            return o
        return _dual(self.primal + o.primal, self.tangent + o.tangent)

    def __radd__(self, other):
        o = _lift(other, "+", self, reflected=True)
        return o if o is NotImplemented else o + self

    def __sub__(self, other):
        o = _lift(other, "-", self)
        if o is NotImplemented:
            return o
        return _dual(self.primal - o.primal, self.tangent - o.tangent)

    def __rsub__(self, other):
        o = _lift(other, "-", self, reflected=True)
        return o if o is NotImplemented else o - self

    def __mul__(self, other):
        o = _lift(other, "*", self)
        if o is NotImplemented:
            return o
        return _dual(self.primal * o.primal, self.tangent * o.primal + self.primal * o.tangent)

    def __rmul__(self, other):
        o = _lift(other, "*", self, reflected=True)
        return o if o is NotImplemented else o * self

    def __truediv__(self, other):
        o = _lift(other, "/", self)
        if o is NotImplemented:
            return o
        q = _div(self.primal, o.primal)
        return _dual(q, _div(self.tangent - q * o.tangent, o.primal))

    def __rtruediv__(self, other):
        o = _lift(other, "/", self, reflected=True)
        return o if o is NotImplemented else o / self

    def __pow__(self, other):
        a = self.primal
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            c = float(other)
            # A constant base carries no derivative, and a**0 is constant in a: in both cases the
            # tangent is 0 (c a**(c-1) would be 0 * inf = nan at a = 0 for c = 0).
            if self.tangent == 0.0 or c == 0.0:
                return _dual(_pow(a, c), 0.0)
            return _dual(_pow(a, c), c * _pow(a, c - 1.0) * self.tangent)
        o = _lift(other, "**", self)
        if o is NotImplemented:
            return o
        value = _pow(a, o.primal)
        # A zero tangent means "does not depend on the input": skip its term rather than let
        # 0 * inf make nan (e.g. the base's term at a = 0 when only the exponent varies).
        da = o.primal * _pow(a, o.primal - 1.0) * self.tangent if self.tangent else 0.0
        # d/db a**b = a**b ln a: nan for a <= 0, where the logarithm is undefined.
        db = value * _FLOAT["log"](a) * o.tangent if o.tangent else 0.0
        return _dual(value, da + db)

    def __rpow__(self, other):
        o = _lift(other, "**", self, reflected=True)
        return o if o is NotImplemented else o**self

    def __neg__(self):
        return _dual(-self.primal, -self.tangent)

    def __pos__(self):
        return self

    # ---------------------------------------------------------------- elementary functions
    def exp(self):
        e = _FLOAT["exp"](self.primal)
        return _dual(e, e * self.tangent)

    def log(self):
        dt = _div(self.tangent, self.primal) if self.tangent else 0.0
        return _dual(_FLOAT["log"](self.primal), dt)

    def sin(self):
        return _dual(_FLOAT["sin"](self.primal), _FLOAT["cos"](self.primal) * self.tangent)

    def cos(self):
        return _dual(_FLOAT["cos"](self.primal), -_FLOAT["sin"](self.primal) * self.tangent)

    def tan(self):
        t = _FLOAT["tan"](self.primal)
        return _dual(t, (1.0 + t * t) * self.tangent)

    def tanh(self):
        t = math.tanh(self.primal)
        return _dual(t, (1.0 - t * t) * self.tangent)

    def sigmoid(self):
        s = _FLOAT["sigmoid"](self.primal)
        return _dual(s, s * (1.0 - s) * self.tangent)

    def relu(self):  # subgradient 0 at the kink
        return _dual(_FLOAT["relu"](self.primal), self.tangent if self.primal > 0 else 0.0)

    def sqrt(self):
        r = _FLOAT["sqrt"](self.primal)
        return _dual(r, _div(0.5 * self.tangent, r) if self.tangent else 0.0)

    def abs(self):  # subgradient 0 at the kink
        a = self.primal
        sign = 1.0 if a > 0 else (-1.0 if a < 0 else 0.0)
        return _dual(math.fabs(a), sign * self.tangent)

    __abs__ = abs

    def __lt__(self, other):
        return self.primal < _primal(other)

    def __le__(self, other):
        return self.primal <= _primal(other)

    def __gt__(self, other):
        return self.primal > _primal(other)

    def __ge__(self, other):
        return self.primal >= _primal(other)

    __hash__ = object.__hash__

    def __float__(self):
        raise TypeError(
            "float(Dual) would drop the tangent (math.* functions call it). Use ad.exp, ad.sin, "
            "... on Duals, or read the number with .primal."
        )

    def __bool__(self):
        # ``if x:`` tests the primal; branches pick a piece of a piecewise function.
        return self.primal != 0.0

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"


def _primal(x):
    return x.primal if isinstance(x, Dual) else x


def _dual(primal: float, tangent: float) -> Dual:
    """A Dual from two floats, skipping the constructor's input checks."""
    d = _new(Dual)
    d.primal = primal
    d.tangent = tangent
    return d


def _lift(other, op: str, this: Dual, reflected: bool = False):
    """``other`` as a constant Dual (tangent 0), NotImplemented for numpy arrays (numpy then
    applies the operator elementwise), or a TypeError naming both operand types."""
    if isinstance(other, Dual):
        return other
    if isinstance(other, numbers.Real) and not isinstance(other, bool):
        return _dual(float(other), 0.0)
    if isinstance(other, np.ndarray):
        return NotImplemented
    raise operand_error(op, other, this) if reflected else operand_error(op, this, other)
