"""Function transforms with JAX's names: ``grad`` and ``value_and_grad``.

``grad(f)`` returns a new function that computes the derivative of ``f``. It wraps the chosen
arguments in :class:`Scalar` leaves, runs ``f`` once (recording the graph), and runs one backward
pass. ``f`` must be written with operators and the ``ad.*`` elementary functions.

Higher derivatives come from nesting, ``grad(grad(f))``. While an outer ``grad`` is evaluating its
function, every inner ``grad`` builds its gradient as a graph of Scalars (``create_graph``), so the
outer transform can differentiate it again. Each transform reads gradients only for its own inputs
and never writes ``.grad``, so nested transforms cannot confuse each other's perturbations.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from .scalar import Scalar, _backprop

_depth = 0  # how many grad transforms are evaluating their function right now


def _argnums_tuple(argnums: int | Sequence[int], nargs: int, name: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not isinstance(i, int) or not -nargs <= i < nargs:
            raise ValueError(
                f"{name}: argnums={argnums!r} does not fit a call with {nargs} positional "
                f"argument(s); use indices from 0 to {nargs - 1}."
            )
    return tuple(i % nargs for i in nums)


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return ``g`` with ``g(*args) == (f(*args), df/dargs[argnums])``.

    The gradient is a float for an int ``argnums`` and a tuple of floats for a tuple.
    """

    def value_and_grad_f(*args: Any):
        global _depth
        nums = _argnums_tuple(argnums, len(args), "grad")
        args = list(args)
        inputs = []
        for i in nums:
            x = args[i]
            if not isinstance(x, Scalar):  # a Scalar comes from an enclosing grad: keep it
                if not isinstance(x, numbers.Real) or isinstance(x, bool):
                    raise TypeError(
                        f"grad(f) differentiates with respect to numbers; argument {i} is "
                        f"{type(x).__name__} {x!r:.60}. Pass a float, or choose another "
                        "argument with argnums."
                    )
                x = Scalar(x)
            args[i] = x
            inputs.append(x)
        nested = _depth > 0
        _depth += 1
        try:
            out = f(*args)
        finally:
            _depth -= 1
        grads = _gradients(out, inputs, create_graph=nested)
        value = out if nested or not isinstance(out, Scalar) else out.value
        if isinstance(value, numbers.Real) and not isinstance(value, Scalar):
            value = float(value)
        return value, grads[0] if isinstance(argnums, int) else tuple(grads)

    value_and_grad_f.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return value_and_grad_f


def grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return the function computing the derivative (gradient) of scalar-valued ``f``."""
    vg = value_and_grad(f, argnums)

    def grad_f(*args: Any):
        return vg(*args)[1]

    grad_f.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return grad_f


def _gradients(out, inputs: list[Scalar], create_graph: bool) -> list:
    if not isinstance(out, Scalar):
        if isinstance(out, numbers.Real) and not isinstance(out, bool):
            return [0.0 for _ in inputs]  # f did not use its inputs: the derivative is zero
        raise TypeError(
            f"grad needs f to return a single number, but f returned {type(out).__name__} "
            f"{out!r:.80}. Return one number (for example a sum of squares), or use jacfwd or "
            "jacrev for functions with several outputs."
        )
    order = _backprop(out, 1.0, create_graph=create_graph)
    grads = [x._g for x in inputs]
    for node in order:  # cotangent Scalars refer back to the nodes: drop them now
        node._g = 0.0
    return [g if create_graph else float(g) for g in grads]
