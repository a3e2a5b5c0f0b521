"""The tracer: the stand-in value ``ad.trace`` feeds a function, logging each operation.

It is one more interpreter of the rule table: every operator and ``ad.*`` function applied to a
:class:`Tracer` appends one entry (the row's name, its operands, its value from the row's float
form) to the :class:`Tape` of that call.
"""

from __future__ import annotations

import numbers
from itertools import count

from .elementwise import UNARY
from .rules import TABLE, Rule, register_ad_type, unary_method


class Tape:
    """The operations one call of f performs, in the order Python runs them."""

    def __init__(self) -> None:
        self.entries: list[Tracer] = []

    def record(self, op: str, args: tuple, aux=None) -> Tracer:
        values = tuple(a.value if isinstance(a, Tracer) else a for a in args)
        value = TABLE[op].scalar(values, aux)
        return Tracer(self, op, args, float(value), aux)


_ids = count()


@register_ad_type
class Tracer:
    """The stand-in value f receives while it is being traced: a float that logs every operation.

    It behaves like a number for arithmetic, the ``ad.*`` functions and comparisons (which compare
    the recorded values, so ``if x > 0`` picks a branch). ``float(x)`` is refused because
    ``math.sin(x)`` would call it and the operation would vanish from the trace.
    """

    __slots__ = ("_tape", "_id", "_op", "_args", "_aux", "value")

    def __init__(self, tape: Tape, op: str, args: tuple, value: float, aux=None):
        self._tape = tape
        self._id = next(_ids)
        self._op = op
        self._args = args
        self._aux = aux
        self.value = value
        tape.entries.append(self)

    def __ad_apply__(self, rule: Rule, args: tuple, aux=None) -> Tracer:
        """Record a row of the rule table (an ``ad.*`` function or a user's primitive)."""
        if rule.scalar is None:
            raise TypeError(
                f"{rule.name} works on arrays (ad.Tensor); ad.trace records functions of numbers."
            )
        operands = tuple(self._operand(a, rule.name) for a in args)
        return self._tape.record(rule.name, operands, aux)

    def __ad_constant__(self) -> float:
        return self.value

    def _operand(self, other, symbol: str):
        if isinstance(other, Tracer):
            if other._tape is not self._tape:
                raise ValueError(
                    "this operation mixes values from two different ad.trace calls; a trace "
                    "records one call of f. Do not keep traced values between calls."
                )
            return other
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return float(other)
        hint = ""
        if isinstance(other, bool):
            hint = " For a comparison result use float(condition), or an if statement."
        raise TypeError(
            f"unsupported operand type(s) for {symbol}: traced value and "
            f"'{type(other).__name__}'. ad.trace records arithmetic between the traced inputs "
            f"and plain numbers (int, float) only; Scalar, Dual and arrays cannot appear inside "
            f"a traced function.{hint}"
        )

    def _binary(self, op: str, symbol: str, other, reflected: bool = False) -> Tracer:
        other = self._operand(other, symbol)
        args = (other, self) if reflected else (self, other)
        return self._tape.record(op, args)

    def __add__(self, other):
        return self._binary("add", "+", other)

    def __radd__(self, other):
        return self._binary("add", "+", other, reflected=True)

    def __sub__(self, other):
        return self._binary("sub", "-", other)

    def __rsub__(self, other):
        return self._binary("sub", "-", other, reflected=True)

    def __mul__(self, other):
        return self._binary("mul", "*", other)

    def __rmul__(self, other):
        return self._binary("mul", "*", other, reflected=True)

    def __truediv__(self, other):
        return self._binary("div", "/", other)

    def __rtruediv__(self, other):
        return self._binary("div", "/", other, reflected=True)

    def __pow__(self, other):
        return self._binary("pow", "**", other)

    def __rpow__(self, other):
        return self._binary("pow", "**", other, reflected=True)

    def __mod__(self, other):
        return self._binary("mod", "%", other)

    def __rmod__(self, other):
        return self._binary("mod", "%", other, reflected=True)

    def __neg__(self):
        return self._tape.record("neg", (self,))

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    # Comparisons read the recorded values: the branch taken is recorded, the other is not.
    def _cmp_value(self, other, symbol: str) -> float:
        other = self._operand(other, symbol)
        return other.value if isinstance(other, Tracer) else other

    def __lt__(self, other):
        return self.value < self._cmp_value(other, "<")

    def __le__(self, other):
        return self.value <= self._cmp_value(other, "<=")

    def __gt__(self, other):
        return self.value > self._cmp_value(other, ">")

    def __ge__(self, other):
        return self.value >= self._cmp_value(other, ">=")

    def __eq__(self, other):
        if not isinstance(other, (Tracer, numbers.Real)):
            return NotImplemented
        return self.value == self._cmp_value(other, "==")

    def __ne__(self, other):
        if not isinstance(other, (Tracer, numbers.Real)):
            return NotImplemented
        return self.value != self._cmp_value(other, "!=")

    __hash__ = None  # equality is by value, so tracers are not dictionary keys

    def __bool__(self) -> bool:
        return self.value != 0.0

    def __float__(self):
        raise TypeError(
            "float() of a traced value would take it out of the trace (math.sin, math.exp, ... "
            "call float()). Inside a traced function use ad.sin, ad.exp, ... instead."
        )

    def __repr__(self) -> str:
        return f"<traced value {self.value!r}>"


for _rule in UNARY:
    setattr(Tracer, _rule.name, unary_method(_rule))
