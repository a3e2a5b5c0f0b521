"""Switches on how Tensor operations record: ``no_grad`` (record nothing) and ``checkpoint``
(record a whole function as one node and recompute its inside during the backward pass).

``checkpoint`` trades time for memory. A plain backward pass keeps every intermediate array of the
forward pass alive until it is used; a checkpointed function keeps only its inputs, and runs again
(recording this time) when the backward pass reaches it. For a long chain cut into k checkpointed
segments, the memory held between forward and backward drops from one array per operation to one
per segment, for the price of a second forward evaluation of each segment.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import ContextDecorator
from typing import Any

import numpy as np

from .leaves import forward_leaf, linked_leaf
from .rules import Rule, register
from .tensor import (
    Tensor,
    apply,
    backprop,
    is_grad_enabled,
    make_tensor,
    pop_forward_level,
    push_forward_level,
    set_grad_enabled,
    tangent_at,
)


class no_grad(ContextDecorator):  # noqa: N801 (PyTorch's name, used as a context manager)
    """Inference mode: Tensor operations inside record no graph, their results have no parents.

    >>> with ad.no_grad():
    ...     y = model(x)          # y.requires_grad is False; nothing is kept for backward

    Also usable as a decorator. The function transforms (``grad``, ``jacrev``, ...) switch
    recording back on for the function they differentiate: they always need the graph.
    """

    def __enter__(self) -> no_grad:
        self._previous = set_grad_enabled(False)
        return self

    def __exit__(self, *exc: Any) -> None:
        set_grad_enabled(self._previous)


class enable_grad(ContextDecorator):  # noqa: N801
    """Record the graph again, inside an enclosing ``no_grad``."""

    def __enter__(self) -> enable_grad:
        self._previous = set_grad_enabled(True)
        return self

    def __exit__(self, *exc: Any) -> None:
        set_grad_enabled(self._previous)


# ------------------------------------------------------------------------------ checkpoint
def _call(aux, inputs: list[Tensor]):
    f, args, positions = aux
    call = list(args)
    for i, t in zip(positions, inputs, strict=True):
        call[i] = t
    out = f(*call)
    if not isinstance(out, Tensor):
        raise TypeError(
            f"checkpoint: the function must return one Tensor, got {type(out).__name__}. "
            "Checkpoint a function that returns a single Tensor (e.g. one block of a network)."
        )
    return out


def _checkpoint_value(xs, aux) -> np.ndarray:
    previous = set_grad_enabled(False)
    try:
        return _call(aux, [make_tensor(x) for x in xs]).data
    finally:
        set_grad_enabled(previous)


def _recompute(xs, aux) -> tuple[list[Tensor], Tensor]:
    """Run the checkpointed function again, recording, on fresh leaves for its inputs."""
    recorded = isinstance(xs[0], Tensor)
    leaves = [linked_leaf(x) if recorded else make_tensor(x, requires_grad=True) for x in xs]
    previous = set_grad_enabled(True)
    try:
        return leaves, _call(aux, leaves)
    finally:
        set_grad_enabled(previous)


def _checkpoint_vjp(g, xs, out, aux) -> tuple:
    leaves, inner = _recompute(xs, aux)
    if not inner.requires_grad:
        return tuple(None for _ in xs)
    stop = {id(leaf) for leaf in leaves}
    order = backprop(inner, g, create_graph=isinstance(xs[0], Tensor), stop=stop)
    try:
        for node in order:
            if node._op is None and id(node) not in stop:
                raise ValueError(
                    "checkpoint: the function uses a Tensor that records gradients but was not "
                    "passed as an argument (a parameter captured from outside?). Its gradient "
                    "would be lost: pass every such Tensor as an argument of the checkpointed "
                    "function."
                )
        return tuple(leaf._g for leaf in leaves)
    finally:
        for node in order:
            node._g = None


def _checkpoint_jvp(ts, xs, out, aux):
    # recompute f with the tangents on a fresh forward level of its own
    level = push_forward_level()
    try:
        leaves = [forward_leaf(x, level, t) for x, t in zip(xs, ts, strict=True)]
        tangent = tangent_at(_call(aux, leaves), level)
    finally:
        pop_forward_level(level)
    return np.zeros(out.shape) if tangent is None else tangent


CHECKPOINT = register(
    Rule("checkpoint", _checkpoint_value, _checkpoint_vjp, _checkpoint_jvp, nargs=None)
)


def checkpoint(f: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """``f`` recorded as one node that keeps only its inputs and recomputes its inside on backward.

    Every Tensor that ``f`` should differentiate with respect to must be an argument of the call
    (a captured parameter raises a clear error in the backward pass rather than losing its
    gradient). Other arguments are passed through unchanged. Results are identical to calling
    ``f`` directly; only the memory held until the backward pass, and the time, differ.
    """

    @functools.wraps(f)
    def checkpointed(*args: Any) -> Tensor:
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = tuple(args[i] for i in positions)
        if not is_grad_enabled() or not any(t.requires_grad for t in tensors):
            return f(*args)  # nothing will be differentiated: no reason to checkpoint
        return apply(CHECKPOINT, tensors, (f, args, positions))

    return checkpointed


__all__ = ["checkpoint", "enable_grad", "no_grad"]
