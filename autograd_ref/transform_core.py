"""The machinery shared by the function transforms (:mod:`autograd_ref.transforms`,
:mod:`autograd_ref.jacobians`): how deep in nested transforms we are, turning inputs into fresh
Tensor nodes, running one backward pass for a set of inputs, and handing results back.

Results are handed back as plain floats and arrays at the top level, and as Tensors inside another
transform (so that it can differentiate them again): :func:`export` does that in one place.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import functions as F
from .leaves import linked_leaf
from .pytree import TreeDef, tree_flatten, tree_map
from .scalar import Scalar
from .tensor import Tensor, as_data, backprop, lift, set_grad_enabled

_depth = 0  # how many transforms are evaluating their function right now
_tensor_depth = 0  # how many of them run the Tensor engine (all but grad on floats)


def nesting_depth() -> int:
    """How many transforms are evaluating their function right now (0 at the top level).

    Inside one, results stay Scalars or Tensors so that the enclosing transform can
    differentiate them; at the top level they are handed out as floats and arrays.
    """
    return _depth


def argnums_tuple(argnums: int | Sequence[int], nargs: int, name: str) -> tuple[int, ...]:
    """``argnums`` as a tuple of non-negative positions, checked against ``nargs`` arguments."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if isinstance(i, bool) or not isinstance(i, int) or not -nargs <= i < nargs:
            raise ValueError(
                f"{name}: argnums={argnums!r} does not fit a call with {nargs} positional "
                f"argument(s); use indices from 0 to {nargs - 1}."
            )
    return tuple(i % nargs for i in nums)


def replace_args(args: Sequence, nums: Sequence[int], values: Sequence) -> list:
    """``args`` as a list, with ``args[nums[k]]`` replaced by ``values[k]``."""
    call = list(args)
    for i, v in zip(nums, values, strict=True):
        call[i] = v
    return call


def split_aux(raw: Any, has_aux: bool, name: str, f: Callable) -> tuple[Any, Any]:
    """``(output, aux)`` from what ``f`` returned; ``aux`` is None without ``has_aux``."""
    if not has_aux:
        return raw, None
    if not isinstance(raw, (tuple, list)) or len(raw) != 2:
        raise TypeError(
            f"{name}(..., has_aux=True): {fn_name(f)} must return a pair (output, aux), but it "
            f"returned {type(raw).__name__} {raw!r:.60}. Return (output, aux), or drop has_aux."
        )
    return raw[0], raw[1]


def export_aux(aux: Any, nested: bool) -> Any:
    """``aux`` as the caller gets it: Scalars and Tensors become floats and arrays at the top
    level (like outputs; inside another transform they stay, so it can differentiate them)."""
    if nested:
        return aux

    def plain(v):
        if isinstance(v, Scalar):
            return v.value
        if isinstance(v, Tensor):
            return float(v.data) if v.ndim == 0 else np.array(v.data)
        return v

    return tree_map(plain, aux)


def fn_name(f: Callable) -> str:
    """The name of ``f`` for messages."""
    return getattr(f, "__name__", "f")


def evaluate(f: Callable, args, kwargs: dict | None = None, tensors: bool = True) -> Any:
    """Run ``f`` as a transform does: nested transforms see ``_depth > 0``, recording is on.

    ``tensors``: this transform runs the Tensor engine (False only for grad on floats), so a
    grad nested inside must run it too: values it closes over are Tensors (HIPS autograd's
    test_enclosing_scope_ref: ``x * grad(lambda y: x * y)(2.0)`` inside a jvp).
    """
    global _depth, _tensor_depth
    _depth += 1
    _tensor_depth += tensors
    previous = set_grad_enabled(True)
    try:
        return f(*args, **(kwargs or {}))
    finally:
        _depth -= 1
        _tensor_depth -= tensors
        set_grad_enabled(previous)


def inside_tensor_transform() -> bool:
    """Whether an enclosing transform evaluates its function on Tensors."""
    return _tensor_depth > 0


def flat_inputs(trees: tuple, name: str, what: str) -> tuple[list, TreeDef]:
    """The leaves of the differentiated arguments ``trees`` and their structure, each leaf checked
    to be a number, an array or a differentiable value (else a TypeError naming it)."""
    leaves, treedef = tree_flatten(trees)
    for x in leaves:
        kind = type(x)
        if kind is np.ndarray or kind is float:  # the common cases, without the ABC check
            continue
        if isinstance(x, bool) or not (
            isinstance(x, (numbers.Real, np.ndarray)) or F.is_ad_value(x)
        ):
            raise TypeError(
                f"{name} differentiates with respect to numbers or arrays, but {what} holds "
                f"{type(x).__name__} {x!r:.60} (structure {treedef}). Pass floats, numpy arrays "
                "or Tensors (in dicts, lists or tuples), pass other data as a keyword argument, "
                "or choose other arguments with argnums."
            )
    return leaves, treedef


# ------------------------------------------------------------------------ array plumbing
def _fresh_leaf(data: np.ndarray) -> Tensor:
    leaf = lift(data)  # wraps the array without copying it (Tensor(...) would copy)
    leaf.requires_grad = True
    return leaf


def tensor_input(x, what: str) -> tuple[Tensor, bool]:
    """A fresh node to differentiate with respect to, and whether ``x`` was a plain number."""
    if type(x) is np.ndarray:
        return _fresh_leaf(as_data(x, what)), False
    if isinstance(x, Tensor):
        return linked_leaf(x), False
    if F.is_ad_value(x):
        raise TypeError(
            f"{what} is a {type(x).__name__}; array transforms take numbers, numpy arrays or "
            "Tensors. Scalar and Dual belong to the scalar engines."
        )
    number = isinstance(x, numbers.Real)
    return _fresh_leaf(as_data(x, what)), number


def export(value, number: bool, nested: bool, fresh: bool = False):
    """A result as the caller expects it: Tensors when nested, else arrays (floats for numbers).

    Arrays are copied unless ``fresh`` says this one was made for this result alone, so a caller
    can never change another result, a Tensor's data or a seed through it.
    """
    if nested:
        return value if isinstance(value, Tensor) else lift(np.asarray(value, dtype=np.float64))
    arr = value.data if isinstance(value, Tensor) else value
    if number and np.ndim(arr) == 0:
        return float(arr)
    if fresh and type(arr) is np.ndarray and arr.dtype == np.float64:
        return arr
    return np.array(arr, dtype=np.float64)


def export_gradients(grads: list, numbers_in: list, nested: bool) -> list:
    """Gradients from one backward pass, each copied only if it may share memory.

    A cotangent computed by a rule is a new array, unless it is a view (``.base``), or the same
    array reached two inputs (``a + b`` hands ``g`` to both): those are copied. Skipping the
    copy matters for large weight matrices.
    """
    handed_out: set[int] = set()
    result = []
    for g, number in zip(grads, numbers_in, strict=True):
        fresh = type(g) is np.ndarray and g.base is None and id(g) not in handed_out
        handed_out.add(id(g))
        result.append(export(g, number, nested, fresh=fresh))
    return result


def gradients(out, seed, leaves: list[Tensor], create_graph: bool) -> list:
    """Cotangents of ``leaves`` for the output cotangent ``seed``: one backward pass."""
    if not isinstance(out, Tensor) or not out.requires_grad:
        return [np.zeros(leaf.shape) for leaf in leaves]  # f did not use its inputs
    stop = {id(leaf) for leaf in leaves}
    order = backprop(out, seed, create_graph=create_graph, stop=stop)
    grads = [np.zeros(leaf.shape) if leaf._g is None else leaf._g for leaf in leaves]
    for node in order:
        node._g = None
    return grads


def as_output(out, name: str, f: Callable) -> Tensor | None:
    """One output leaf of ``f``: the Tensor, None for a constant (a number or an array that does
    not depend on the inputs), or a TypeError for anything else."""
    if isinstance(out, Tensor):
        return out
    if isinstance(out, (numbers.Real, np.ndarray)) and not isinstance(out, bool):
        return None  # a constant: it does not depend on the inputs
    raise TypeError(
        f"{name}: {fn_name(f)} returned {type(out).__name__} {out!r:.60}; it must return a Tensor "
        "or an array (build it from its arguments with Tensor operations and ad.* functions), "
        "or a dict, list or tuple of them."
    )


def shape_of(out: Tensor | None, raw) -> tuple:
    """The shape of an output leaf: ``out`` from :func:`as_output`, ``raw`` as ``f`` gave it."""
    return out.shape if out is not None else np.shape(raw)


__all__ = [
    "argnums_tuple",
    "as_output",
    "evaluate",
    "export",
    "export_aux",
    "export_gradients",
    "flat_inputs",
    "fn_name",
    "gradients",
    "inside_tensor_transform",
    "nesting_depth",
    "replace_args",
    "shape_of",
    "split_aux",
    "tensor_input",
]
