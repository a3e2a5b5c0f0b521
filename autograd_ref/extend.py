"""Adding your own differentiable function: ``primitive``, ``defvjp`` and ``defjvp``.

The names and signatures are HIPS autograd's, so what a student learns here carries over::

    @ad.primitive
    def softplus(x):                       # plain numpy: the value
        return np.logaddexp(0.0, x)

    ad.defvjp(softplus, lambda ans, x: lambda g: g * ad.sigmoid(x))   # reverse mode
    ad.defjvp(softplus, lambda g, ans, x: g * ad.sigmoid(x))          # forward mode

``primitive`` adds one row to the rule table (:mod:`autograd_ref.rules`); every interpreter reads
it, so ``softplus`` then works on floats, arrays, ``Scalar``, ``Dual``, ``Tensor``, inside ``grad``,
``jvp``, ``vjp``, ``jacfwd``, ``jacrev`` and ``hessian``, and in ``ad.trace``. Write the rules with
``ad.*`` functions and operators (not ``np.*``) and they are differentiable themselves, so
derivatives of any order work. Cotangents are summed back to each input's shape automatically
when the input was broadcast.

Keyword arguments of the function are constants (not differentiated) and are passed to the
rules too. A mode without a rule raises a clear error naming the call that adds one.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .elementwise import shape_of, sum_to
from .rules import TABLE, Rule, is_ad_value, missing_rule, register


def primitive(fun: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``fun`` (written with numpy on plain values) a differentiable function.

    Add its derivative rules with :func:`defvjp` and :func:`defjvp`. Called on plain numbers or
    arrays, the result is ``fun`` itself; on any autograd value, the value's type records or
    differentiates the call.
    """
    if not callable(fun):
        raise TypeError(f"ad.primitive wraps a function; got {type(fun).__name__}.")
    name = getattr(fun, "__name__", "primitive")
    arity = _arity(fun)
    key, n = name, 1
    while key in TABLE:  # never replace a row the library (or another primitive) relies on
        n += 1
        key = f"{name}_{n}"

    def kwargs_of(aux) -> dict:
        return aux if aux is not None else {}

    def value(xs, aux):
        return np.asarray(fun(*xs, **kwargs_of(aux)), dtype=np.float64)

    def scalar(xs, aux):
        return float(fun(*xs, **kwargs_of(aux)))

    rule = Rule(
        key,
        value,
        tuple(_raiser(key, "vjp") for _ in range(arity)),
        tuple(_raiser(key, "jvp") for _ in range(arity)),
        nargs=None,
        scalar=scalar,
        on_float=None,
        expr=lambda *a: f"{name}({', '.join(a)})",
        symbol=name,
        doc=fun.__doc__ or "",
    )
    register(rule)

    @functools.wraps(fun)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        for a in args:
            if is_ad_value(a):
                return a.__ad_apply__(rule, args, kwargs or None)
        return fun(*args, **kwargs)

    wrapped.rule = rule  # type: ignore[attr-defined]
    return wrapped


def defvjp(fun: Callable, *vjp_makers: Callable | None, argnums: tuple[int, ...] | None = None):
    """Give ``fun`` (made by :func:`primitive`) its vector-Jacobian products, one per input.

    Each maker is called as ``maker(ans, *args, **kwargs)`` and returns ``lambda g: ...``, the
    cotangent of its input given the output's cotangent ``g`` (HIPS autograd's signature). Pass
    None for an input that is not differentiable; ``argnums`` lists the inputs the makers are for.
    """
    _define(fun, "vjp", vjp_makers, argnums, _vjp_from_maker)


def defjvp(fun: Callable, *jvp_funs: Callable | None, argnums: tuple[int, ...] | None = None):
    """Give ``fun`` (made by :func:`primitive`) its Jacobian-vector products, one per input.

    Each is called as ``jvp(g, ans, *args, **kwargs)`` with ``g`` the tangent of its input and
    returns that input's contribution to the output's tangent (HIPS autograd's signature).
    """
    _define(fun, "jvp", jvp_funs, argnums, lambda jvp, i: _jvp_from_fun(jvp))


def _define(fun: Callable, kind: str, given: tuple, argnums, make: Callable) -> None:
    """Set the row's per-input ``kind`` rules from ``given`` (one per position in ``argnums``)."""
    rule = _rule_of(fun, f"def{kind}")
    positions = tuple(range(len(given))) if argnums is None else tuple(argnums)
    if len(positions) != len(given):
        raise ValueError(
            f"def{kind}: {len(given)} rule(s) for argnums {positions}; give one per position."
        )
    rules = list(_pad(rule, kind, max(positions, default=-1) + 1))
    for i, user_rule in zip(positions, given, strict=True):
        if user_rule is not None:
            rules[i] = make(user_rule, i)
    setattr(rule, kind, tuple(rules))


# --------------------------------------------------------------------------------- helpers
def _arity(fun: Callable) -> int:
    """How many positional inputs ``fun`` can take: the length of its rows' rule tuples."""
    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return _MAX_INPUTS
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return _MAX_INPUTS
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


_MAX_INPUTS = 16


def _raiser(name: str, kind: str) -> Callable:
    def rule(*_: Any):
        raise missing_rule(TABLE[name], kind)

    return rule


def _pad(rule: Rule, kind: str, n: int) -> tuple:
    have = list(getattr(rule, kind))
    return tuple(have + [_raiser(rule.name, kind)] * max(0, n - len(have)))


def _vjp_from_maker(maker: Callable, i: int) -> Callable:
    def vjp(g, xs, out, aux):
        kwargs = aux if aux is not None else {}
        return sum_to(maker(out, *xs, **kwargs)(g), shape_of(xs[i]))

    return vjp


def _jvp_from_fun(jvp_fun: Callable) -> Callable:
    def jvp(t, xs, out, aux):
        kwargs = aux if aux is not None else {}
        return jvp_fun(t, out, *xs, **kwargs)

    return jvp


def _rule_of(fun: Callable, what: str) -> Rule:
    rule = getattr(fun, "rule", None)
    if not isinstance(rule, Rule):
        raise TypeError(
            f"{what} needs a function made by ad.primitive; wrap it first: "
            f"f = ad.primitive(f), then {what}(f, ...)."
        )
    return rule


__all__ = ["defjvp", "defvjp", "primitive"]
