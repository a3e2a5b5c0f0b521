"""The rule table: one row per differentiable function, read by every interpreter.

A :class:`Rule` holds everything the library knows about one function: how to compute it on
numpy arrays (``value``) and on floats (``scalar``), its vector-Jacobian product (``vjp``) and its
Jacobian-vector product (``jvp``), and how it prints in an evaluation trace. The value types are
interpreters of this table and nothing more:

* :class:`~autograd_ref.Scalar` records the row in its graph and calls its ``vjp`` backwards;
* :class:`~autograd_ref.Dual` calls ``scalar`` and pushes its tangent through ``jvp``;
* :class:`~autograd_ref.Tensor` calls ``value`` on arrays, ``vjp`` backwards and ``jvp`` forwards;
* the tracer of :func:`autograd_ref.trace` calls ``scalar`` and prints the row's texts, and its
  derivative tables are the row's ``vjp`` seeded with 1.

Rule signatures (one per input, so a constant input costs nothing):

``vjp[i](g, xs, out, aux)``
    the cotangent of input ``i`` given the output's cotangent ``g``; ``xs`` are the inputs and
    ``out`` the output: plain numbers or arrays in an ordinary backward pass, Scalars or Tensors
    when the gradient must itself be differentiated. Rules are written with operators and the
    library's own functions, so the same line serves both (that is how ``grad(grad(f))`` works).
``jvp[i](t, xs, out, aux)``
    the contribution of input ``i``'s tangent ``t`` to the output's tangent (contributions add).

A function of a variable number of inputs (``concatenate``) has one callable instead of a tuple,
taking and returning all of them. ``aux`` is a non-differentiable extra: an axis, a shape, a
constant exponent, the keyword arguments of a user-defined primitive.

This module knows nothing about any value type: they register themselves with
:func:`register_ad_type` and implement ``__ad_apply__(rule, args, aux)``; :func:`call` sends a
function call to the first such argument, or evaluates it on plain numbers.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

_AD_TYPES: tuple[type, ...] = ()


class Rule:
    """One differentiable function (see the module docstring for the rule signatures).

    ``on_float``, ``on_complex`` and ``on_array`` evaluate it on plain numbers (``ad.exp(2.0)``,
    the complex step, numpy arrays); ``scalar(xs, aux)`` is the float form the scalar value types
    use. The texts are ``expr(*operand_texts)`` (``ln v₁``), ``symbol`` (the graph's label) and
    ``partial_text(d, *operand_texts, out_text)`` (one chain-rule term per operand).
    """

    __slots__ = ("name", "nargs", "value", "scalar", "on_float", "on_complex", "on_array",
                 "vjp", "jvp", "expr", "symbol", "partial_text", "doc")  # fmt: skip

    def __init__(
        self,
        name: str,
        value: Callable[[tuple, Any], Any],
        vjp: tuple[Callable, ...] | Callable | None,
        jvp: tuple[Callable, ...] | Callable | None,
        *,
        nargs: int | None = 1,
        scalar: Callable[[tuple, Any], float] | None = None,
        on_float: Callable | None = None,
        on_complex: Callable | None = None,
        on_array: Callable | None = None,
        expr: Callable[..., str] | None = None,
        symbol: str | None = None,
        partial_text: Callable[..., tuple[str, ...]] | None = None,
        doc: str = "",
    ):
        self.name = name
        self.nargs = nargs
        self.value = value
        self.scalar = scalar
        self.on_float = on_float
        self.on_complex = on_complex
        self.on_array = on_array
        self.vjp = vjp
        self.jvp = jvp
        self.expr = expr or (lambda *a: f"{name}({', '.join(a)})")
        self.symbol = symbol or name
        self.partial_text = partial_text or _generic_partial_text(name)
        self.doc = doc

    def pullback(self, g, xs, out, aux) -> tuple:
        """Every input's cotangent (the whole VJP), e.g. for trace tables and scalar passes."""
        rules = self.vjp
        if rules is None:
            raise missing_rule(self, "vjp")
        if type(rules) is tuple:
            return tuple(rule(g, xs, out, aux) for rule, _ in zip(rules, xs, strict=False))
        return tuple(rules(g, xs, out, aux))

    def pushforward(self, ts, xs, out, aux):
        """The output's tangent from the inputs' tangents ``ts`` (None for a zero tangent)."""
        rules = self.jvp
        if rules is None:
            raise missing_rule(self, "jvp")
        if type(rules) is not tuple:
            return rules(ts, xs, out, aux)
        total = None
        for t, rule in zip(ts, rules, strict=False):  # a user's row may be longer than the call
            if t is not None:
                part = rule(t, xs, out, aux)
                total = part if total is None else total + part
        return total

    def __repr__(self) -> str:
        return f"<rule {self.name}>"


def _generic_partial_text(name: str) -> Callable[..., tuple[str, ...]]:
    def text(d: str, *operands_and_out: str) -> tuple[str, ...]:
        operands = operands_and_out[:-1]
        if len(operands) == 1:
            return (f"{d} × {name}′({operands[0]})",)
        args = ", ".join(operands)
        return tuple(f"{d} × ∂{name}({args})/∂{a}" for a in operands)

    return text


def missing_rule(rule: Rule, kind: str) -> NotImplementedError:
    """The error for a mode a row has no rule for, naming the call that adds one."""
    adder = "ad.defvjp" if kind == "vjp" else "ad.defjvp"
    mode = "reverse mode (backward, grad, vjp, jacrev)" if kind == "vjp" else "forward mode"
    return NotImplementedError(
        f"{rule.name} has no {kind.upper()} rule, so it cannot be differentiated in {mode}. "
        f"Add one with {adder}({rule.name}, ...)."
    )


# ------------------------------------------------------------------------------ the table
TABLE: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add ``rule`` to :data:`TABLE` (a new name, or a user's own function replacing its row)."""
    TABLE[rule.name] = rule
    return rule


# --------------------------------------------------------------------- value types, dispatch
def register_ad_type(cls: type) -> type:
    """Class decorator: ``cls`` is a value type that interprets rules (``__ad_apply__``)."""
    global _AD_TYPES
    _AD_TYPES = (*_AD_TYPES, cls)
    return cls


def is_ad_value(x: Any) -> bool:
    """True for values of a registered differentiable type (Scalar, Dual, Tensor, tracer)."""
    return isinstance(x, _AD_TYPES)


def ad_types() -> tuple[type, ...]:
    """The registered value types, in registration order."""
    return _AD_TYPES


def call(rule: Rule, args: tuple, aux=None):
    """Apply ``rule`` to ``args``: the first differentiable argument's type interprets it, or,
    with none, it is evaluated on the plain numbers or arrays."""
    for a in args:
        if isinstance(a, _AD_TYPES):
            return a.__ad_apply__(rule, args, aux)
    return evaluate_plain(rule, args, aux)


def unary_method(rule: Rule):
    """``x.exp()`` & co. for a value type: the one-input row applied through ``__ad_apply__``."""

    def method(self):
        return self.__ad_apply__(rule, (self,))

    method.__name__ = method.__qualname__ = rule.name
    method.__doc__ = rule.doc
    return method


def evaluate_plain(rule: Rule, args: tuple, aux=None):
    """``rule`` on floats, complex numbers or arrays: what ``ad.exp(2.0)`` returns."""
    kinds = {_kind(a, rule.name) for a in args}
    if kinds == {"float"} and rule.on_float is not None and aux is None:
        return rule.on_float(*(float(a) for a in args))
    if "array" not in kinds and rule.on_complex is not None and aux is None:
        return rule.on_complex(*(complex(a) for a in args))
    if rule.on_array is not None and aux is None:
        with np.errstate(divide="warn", invalid="warn", over="warn"):
            return rule.on_array(*(as_float_array(a, rule.name) for a in args))
    arrays = tuple(as_float_array(a, rule.name) for a in args)
    with np.errstate(divide="warn", invalid="warn", over="warn"):
        out = rule.value(arrays, aux)
    if kinds == {"float"} and np.ndim(out) == 0:
        return float(out)
    return out


def _kind(x, name: str) -> str:
    if isinstance(x, numbers.Real):  # int, float, bool, numpy integer or floating scalars
        return "float"
    if isinstance(x, numbers.Complex):
        return "complex"
    if isinstance(x, (np.ndarray, list, tuple)):
        return "array"
    raise TypeError(
        f"{name}() expects a number, a numpy array, or an autograd_ref value (Scalar, Dual, "
        f"Tensor); got {type(x).__name__} {x!r:.60}."
    )


def as_float_array(x, what: str) -> np.ndarray:
    """Convert array-like input to a float64 (or complex128) array, refusing what is not numeric."""
    arr = np.asarray(x)
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(
            f"{what} expects numbers, got an array of dtype {arr.dtype}. Convert the data to "
            "floats first, for example with np.asarray(data, dtype=float)."
        )
    if arr.dtype.kind == "c":
        return arr.astype(np.complex128, copy=False)
    return arr.astype(np.float64, copy=False)


__all__ = [
    "Rule",
    "TABLE",
    "ad_types",
    "as_float_array",
    "call",
    "evaluate_plain",
    "is_ad_value",
    "missing_rule",
    "register",
    "register_ad_type",
    "unary_method",
]
