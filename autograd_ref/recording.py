"""What operations record right now: the reverse-mode switch and the forward-mode levels.

``no_grad`` turns recording off; each running ``jvp`` opens a forward "level" whose tangents ride
on the values. Every Tensor operation reads these two facts, so they live in one small module
below the value types. :func:`push_tangents` is forward mode's one step: it sets an operation's
output tangents from its inputs' tangents with the row's JVP rules.
"""

from __future__ import annotations

from itertools import count

import numpy as np

from .elementwise import broadcast_to
from .rules import Rule, is_ad_value

GRAD_ENABLED = True  # False inside ad.no_grad(): operations record nothing
LEVELS: tuple[int, ...] = ()  # active forward-mode levels (jvp calls), outermost first
FORWARD_DEPTH = 0  # len(LEVELS): > 0 while a jvp is evaluating, cheap to test in every op
_level_ids = count(1)


def is_grad_enabled() -> bool:
    """Whether Tensor operations currently record the graph (False inside ``ad.no_grad()``)."""
    return GRAD_ENABLED


def set_grad_enabled(enabled: bool) -> bool:
    """Turn graph recording on or off; return the previous setting (used by ``no_grad``)."""
    global GRAD_ENABLED
    previous, GRAD_ENABLED = GRAD_ENABLED, bool(enabled)
    return previous


def forward_depth() -> int:
    """How many forward-mode transforms (``jvp``, ``jacfwd``) are evaluating right now."""
    return FORWARD_DEPTH


def push_forward_level() -> int:
    """Open a new forward-mode level (a ``jvp`` starting); return its id."""
    global LEVELS, FORWARD_DEPTH
    level = next(_level_ids)
    LEVELS = (*LEVELS, level)
    FORWARD_DEPTH = len(LEVELS)
    return level


def pop_forward_level(level: int) -> None:
    """Close the innermost forward-mode level, which must be ``level``."""
    global LEVELS, FORWARD_DEPTH
    if not LEVELS or LEVELS[-1] != level:
        raise RuntimeError(f"forward levels out of order: closing {level}, open {LEVELS}")
    LEVELS = LEVELS[:-1]
    FORWARD_DEPTH = len(LEVELS)


def tangent_at(x, level: int):
    """The tangent ``x`` carries at forward level ``level``, or None (zero)."""
    return None if x._tangent is None else x._tangent.get(level)


def push_tangents(out, prim: Rule, xs: tuple, aux) -> None:
    """Forward mode: set ``out``'s tangents from the inputs' tangents with the JVP rules.

    Levels are handled outermost first. A rule for level L runs with only the levels outside L
    active, so its own operations push the outer tangents (giving mixed derivatives when forward
    modes are nested) but never tangents of level L itself. It runs on plain arrays unless its
    result must stay differentiable: when ``out`` records a graph (an enclosing reverse transform
    differentiates the tangent), a tangent is a Tensor, or an input carries an outer tangent.
    """
    global LEVELS, FORWARD_DEPTH
    levels = LEVELS
    result: dict = {}
    out._tangent = result
    try:
        for pos, level in enumerate(levels):
            tangents = [None if x._tangent is None else x._tangent.get(level) for x in xs]
            if all(t is None for t in tangents):
                continue
            outer = levels[:pos]
            recorded = (
                out.requires_grad
                or any(is_ad_value(t) for t in tangents)
                or any(x._tangent is not None and any(o in x._tangent for o in outer) for x in xs)
            )
            args = xs if recorded else tuple(x._data for x in xs)
            res = out if recorded else out._data
            LEVELS, FORWARD_DEPTH = outer, len(outer)
            rules = prim.jvp
            if type(rules) is tuple:
                tangent = None
                for t, rule in zip(tangents, rules, strict=False):  # a user's row may be longer
                    if t is not None:
                        part = rule(t, args, res, aux)
                        tangent = part if tangent is None else tangent + part
            else:
                filled = tuple(
                    np.zeros(x.shape) if t is None else t for x, t in zip(xs, tangents, strict=True)
                )
                tangent = rules(filled, args, res, aux)
            if tangent.shape != out.shape:
                tangent = broadcast_to(tangent, out.shape)
            if not is_ad_value(tangent):
                tangent = np.asarray(tangent, dtype=np.float64)
            result[level] = tangent
    finally:
        LEVELS, FORWARD_DEPTH = levels, len(levels)
    if not result:
        out._tangent = None
