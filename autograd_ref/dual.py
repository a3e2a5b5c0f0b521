"""Forward-mode automatic differentiation with dual numbers.

A dual number is ``a + b·ε`` with ``ε² = 0``. Expanding ``f(a + b·ε)`` as a Taylor series, every
term from ε² on vanishes, leaving ``f(a) + f'(a)·b·ε``: the tangent part of the result is the
derivative, scaled by the seed ``b``. So each operation only needs its own derivative rule, applied
to the tangent as the value flows forward; no graph is stored, which is why forward mode costs a
constant factor in memory however long the computation.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._checks import operand_error, to_float
from .elementwise import ADD, DIV, MUL, NEG, POW, POW_CONST, SUB, UNARY
from .elementwise_extra import MOD
from .rules import Rule, register_ad_type, unary_method

_new = object.__new__


@register_ad_type
class Dual:
    """``primal + tangent·ε`` with ε² = 0.

    >>> y = Dual(2.0, 1.0) ** 3      # seed dx = 1
    >>> y.primal, y.tangent
    (8.0, 12.0)

    Every operation is a row of the rule table: the primal comes from the row's float form and
    the tangent from its JVP. An input whose tangent is 0 is skipped, so a constant never meets a
    nan in a rule (the base's term of ``a ** b`` at ``a = 0`` when only the exponent varies).
    """

    __slots__ = ("primal", "tangent")

    def __init__(self, primal, tangent=0.0):
        self.primal: float = to_float(primal, "Dual")
        self.tangent: float = to_float(tangent, "Dual tangent")

    def __ad_apply__(self, rule: Rule, args: tuple, aux=None) -> Dual:
        """Apply a row: the primal from its float form, the tangent from its JVP."""
        if rule.scalar is None:
            raise TypeError(
                f"{rule.name} works on arrays (ad.Tensor), not on Dual numbers; write it with "
                "Dual operations, or use ad.jvp on arrays."
            )
        duals = []
        for a in args:
            d = a if type(a) is Dual else _lift(a, rule.name, self)
            if d is NotImplemented:
                raise TypeError(
                    f"{rule.name}: a Dual cannot be combined with a numpy array; apply the "
                    "function to each element, or use ad.jvp on arrays."
                )
            duals.append(d)
        primals = tuple(d.primal for d in duals)
        out = float(rule.scalar(primals, aux))
        tangents = tuple(d.tangent if d.tangent else None for d in duals)
        if all(t is None for t in tangents):
            return _dual(out, 0.0)
        return _dual(out, float(rule.pushforward(tangents, primals, out, aux)))

    def __ad_constant__(self) -> float:
        return self.primal

    def __pow__(self, other):
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return self.__ad_apply__(POW_CONST, (self,), float(other))
        o = _lift(other, "**", self)
        return o if o is NotImplemented else self.__ad_apply__(POW, (self, o))

    def __rpow__(self, other):
        o = _lift(other, "**", self, reflected=True)
        return o if o is NotImplemented else self.__ad_apply__(POW, (o, self))

    def __neg__(self):
        return self.__ad_apply__(NEG, (self,))

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __lt__(self, other):
        return self.primal < _primal(other)

    def __le__(self, other):
        return self.primal <= _primal(other)

    def __gt__(self, other):
        return self.primal > _primal(other)

    def __ge__(self, other):
        return self.primal >= _primal(other)

    def __eq__(self, other):
        if not isinstance(other, (Dual, numbers.Real)):
            return NotImplemented
        return self.primal == _primal(other)

    def __ne__(self, other):
        if not isinstance(other, (Dual, numbers.Real)):
            return NotImplemented
        return self.primal != _primal(other)

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


def _operators(rule: Rule, symbol: str):
    """``x + y`` and ``y + x`` for Duals, from the row (constants become tangent-0 Duals)."""

    def op(self, other):
        o = _lift(other, symbol, self)
        return o if o is NotImplemented else self.__ad_apply__(rule, (self, o))

    def rop(self, other):
        o = _lift(other, symbol, self, reflected=True)
        return o if o is NotImplemented else self.__ad_apply__(rule, (o, self))

    return op, rop


for _name, _rule, _symbol in (("add", ADD, "+"), ("sub", SUB, "-"), ("mul", MUL, "*"),
                              ("truediv", DIV, "/"), ("mod", MOD, "%")):  # fmt: skip
    _op, _rop = _operators(_rule, _symbol)
    setattr(Dual, f"__{_name}__", _op)
    setattr(Dual, f"__r{_name}__", _rop)


for _rule in UNARY:
    setattr(Dual, _rule.name, unary_method(_rule))
