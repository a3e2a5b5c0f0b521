"""Function transforms with JAX's names: ``grad``, ``value_and_grad``, ``vjp`` and ``jvp`` here;
``jacfwd``, ``jacrev`` and ``hessian`` in :mod:`autograd_ref.jacobians`, built on these two.

A transform takes a function and returns a new function. ``f`` must be written with operators, the
``ad.*`` functions and Tensor methods, so that it can be evaluated on the values the transform
feeds it. The semantics are JAX's, so code moves to JAX unchanged (docs/transforms.md):

* arguments and results may be pytrees (dicts, lists, tuples, nested; see
  :mod:`autograd_ref.pytree`) of numbers, numpy arrays and Tensors; a gradient has the structure
  of its argument, a float leaf gives a float, an array leaf an array of its shape;
* ``argnums`` (an int or a tuple) picks the positional arguments to differentiate; keyword
  arguments are passed to ``f`` unchanged and never differentiated;
* ``has_aux=True``: ``f`` returns ``(output, aux)``; only ``output`` is differentiated and ``aux``
  comes back beside the result, converted like an output (plain numbers and arrays).

Engines. ``grad`` on numbers alone runs ``f`` on :class:`Scalar` leaves (one node per operation);
as soon as an array or a Tensor appears among the arguments, it runs on :class:`Tensor` leaves
(numbers become 0-d Tensors and their gradients floats again). ``vjp`` and the Jacobians use reverse
mode on Tensors; ``jvp`` pushes tangents forward through each primitive's JVP rule and records no
reverse graph. Outside any other transform, ``grad`` on Scalars uses the fused backward pass of
:meth:`Scalar.backward`, visiting only the nodes this call made (``made_after``).

Nesting. While a transform evaluates its function, every transform called inside builds its
result from differentiable operations, so the outer transform can differentiate it again:
``grad(grad(f))``, ``jacfwd(jacrev(f))``, ``jvp(grad(f), ...)`` and so on. Each transform
differentiates with respect to fresh nodes of its own and reads gradients only from those, and each
``jvp`` tags its tangents with a level of its own, so nested transforms never mix up their
perturbations.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import functions as F
from .leaves import forward_leaf
from .pytree import flatten_like, tree_flatten, tree_unflatten
from .scalar import Scalar, creation_mark, linked_input
from .scalar_backward import backprop as scalar_backprop
from .scalar_backward import backward as fused_backward
from .tensor import (
    Tensor,
    as_data,
    pop_forward_level,
    push_forward_level,
    set_grad_enabled,
    tangent_at,
)
from .transform_core import (
    argnums_tuple,
    as_output,
    evaluate,
    export,
    export_aux,
    export_gradients,
    flat_inputs,
    fn_name,
    gradients,
    inside_tensor_transform,
    nesting_depth,
    replace_args,
    shape_of,
    split_aux,
    tensor_input,
)


# ----------------------------------------------------------------------- grad & friends
def value_and_grad(
    f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable:
    """Return ``g`` with ``g(*args, **kwargs) == (f(*args, **kwargs), df/dargs[argnums])``.

    ``f`` returns one number (with ``has_aux``, a pair ``(number, aux)``, and ``g`` returns
    ``((value, aux), gradient)``). The gradient has the structure of the differentiated argument:
    a float for a float, an array of the same shape for an array, a dict of those for a dict; a
    tuple of such for a tuple ``argnums``.
    """

    def value_and_grad_f(*args: Any, **kwargs: Any):
        nums = argnums_tuple(argnums, len(args), "grad")
        what = f"argument {nums[0]}" if len(nums) == 1 else f"arguments {nums}"
        leaves, treedef = flat_inputs(tuple(args[i] for i in nums), "grad", what)
        if inside_tensor_transform() or _wants_tensors(leaves, args, kwargs):
            value, aux, grads = _array_value_and_grad(
                f, args, kwargs, nums, leaves, treedef, has_aux
            )
        else:
            value, aux, grads = _scalar_value_and_grad(
                f, args, kwargs, nums, leaves, treedef, has_aux
            )
        per_arg = tree_unflatten(treedef, grads)
        result = per_arg[0] if isinstance(argnums, int) else per_arg
        return ((value, export_aux(aux, nesting_depth() > 0)) if has_aux else value), result

    value_and_grad_f.__name__ = f"value_and_grad({fn_name(f)})"
    return value_and_grad_f


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """Return the function computing the gradient of scalar-valued ``f`` (see value_and_grad);
    with ``has_aux`` it returns ``(gradient, aux)``."""
    vg = value_and_grad(f, argnums, has_aux)

    def grad_f(*args: Any, **kwargs: Any):
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    grad_f.__name__ = f"grad({fn_name(f)})"
    return grad_f


def _wants_tensors(leaves: list, args: tuple, kwargs: dict) -> bool:
    """Whether grad must run on Tensors: an array or Tensor among the arguments (differentiated
    or not: a float leaf next to an array meets it in ``f``), and no Scalar from an enclosing
    scalar grad among the differentiated leaves."""
    arrays = False
    for x in leaves:
        if isinstance(x, Scalar):
            return False
        arrays = arrays or isinstance(x, (np.ndarray, Tensor))
    if arrays:
        return True
    stack = [args, kwargs]  # a walk, not tree_flatten: other arguments may hold any dict
    seen: set[int] = set()  # containers already looked into (a list may contain itself)
    while stack:
        x = stack.pop()
        if isinstance(x, (np.ndarray, Tensor)):
            return True
        if isinstance(x, (dict, list, tuple)) and id(x) not in seen:
            seen.add(id(x))
            stack.extend(x.values() if isinstance(x, dict) else x)
    return False


def _scalar_value_and_grad(f, args, kwargs, nums, leaves, treedef, has_aux):
    start = creation_mark()  # every node made from here on has a smaller creation number
    inputs = []
    for x in leaves:
        if isinstance(x, Scalar):
            # From an enclosing grad: read gradients from a fresh node linked to it, or other
            # uses of x would count too (perturbation confusion; see scalar.linked_input).
            inputs.append(linked_input(x))
        elif isinstance(x, numbers.Real):
            inputs.append(Scalar(x))
        else:
            raise TypeError(
                f"grad differentiates with respect to numbers or arrays; a differentiated "
                f"argument holds {type(x).__name__} {x!r:.40} (structure {treedef}). Pass floats "
                "or numpy arrays (a Dual belongs to the forward-mode engine: use ad.jvp)."
            )
    nested = nesting_depth() > 0
    raw = evaluate(
        f, replace_args(args, nums, tree_unflatten(treedef, inputs)), kwargs, tensors=False
    )
    out, aux = split_aux(raw, has_aux, "grad", f)
    grads = _scalargradients(out, inputs, nested, start)
    value = out if nested or not isinstance(out, Scalar) else out.value
    if isinstance(value, numbers.Real) and not isinstance(value, Scalar):
        value = float(value)
    return value, aux, grads


def _scalargradients(out, inputs: list[Scalar], create_graph: bool, start: int) -> list:
    if not isinstance(out, Scalar):
        if isinstance(out, numbers.Real) and not isinstance(out, bool):
            return [0.0 for _ in inputs]  # f did not use its inputs: the derivative is zero
        hint = (
            " f returned a Tensor: call grad with an array argument to use the Tensor engine."
            if isinstance(out, Tensor)
            else ""
        )
        raise TypeError(
            f"grad needs f to return a single number, but f returned {type(out).__name__} "
            f"{out!r:.80}. Return one number (for example a sum of squares), or use jacfwd or "
            f"jacrev for functions with several outputs.{hint}"
        )
    if not create_graph:
        # the fused pass, visiting only nodes made by this call: older ones cannot depend on the
        # fresh inputs, and a Scalar f closes over keeps its .grad
        fused_backward(out, 1.0, made_after=start)
        return [x.grad for x in inputs]
    order = scalar_backprop(out, 1.0, create_graph=create_graph)
    grads = [x._g for x in inputs]
    for node in order:  # cotangent Scalars refer back to the nodes: drop them now
        node._g = 0.0
    return [g if create_graph else float(g) for g in grads]


def _array_value_and_grad(f, args, kwargs, nums, leaves, treedef, has_aux):
    nested = nesting_depth() > 0
    fresh, numbers_in = [], []
    for x in leaves:
        leaf, number = tensor_input(x, "grad: a differentiated argument")
        fresh.append(leaf)
        numbers_in.append(number)
    raw = evaluate(f, replace_args(args, nums, tree_unflatten(treedef, fresh)), kwargs)
    raw, aux = split_aux(raw, has_aux, "grad", f)
    out = as_output(raw, "grad", f)
    shape = shape_of(out, raw)
    if int(np.prod(shape)) != 1:
        raise TypeError(
            f"grad needs {fn_name(f)} to return a single number, but it returned shape {shape}. "
            "Reduce it (.sum() or .mean()), or use ad.jacrev / ad.jacfwd for the Jacobian, or "
            "ad.vjp for a vector-Jacobian product."
        )
    grads = gradients(out, np.ones(shape), fresh, create_graph=nested)
    value = export(out if out is not None else raw, np.ndim(raw) == 0, nested)
    return value, aux, export_gradients(grads, numbers_in, nested)


def vjp(f: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """Evaluate ``f(*primals)`` and return ``(out, pullback)`` (``(out, pullback, aux)`` with
    ``has_aux``).

    ``pullback(cotangent)`` takes a cotangent with the structure and shapes of ``out`` and returns
    a tuple with one entry per primal, each with that primal's structure: ``cotangent @ J``, the
    vector-Jacobian product, from one backward pass over the graph recorded once. Call it as often
    as you like (``jacrev`` calls it once per output entry).
    """
    nested = nesting_depth() > 0
    in_leaves, in_def = flat_inputs(primals, "vjp", "a primal")
    leaves, numbers_in = [], []
    for i, x in enumerate(in_leaves):
        leaf, number = tensor_input(x, f"vjp: primal {i}")
        leaves.append(leaf)
        numbers_in.append(number)
    raw = evaluate(f, tree_unflatten(in_def, leaves))
    raw, aux = split_aux(raw, has_aux, "vjp", f)
    raw_leaves, out_def = tree_flatten(raw)
    outs = [as_output(r, "vjp", f) for r in raw_leaves]
    shapes = [shape_of(o, r) for o, r in zip(outs, raw_leaves, strict=True)]

    def pullback(cotangent: Any) -> tuple:
        cts = flatten_like(out_def, cotangent, "vjp: the cotangent")
        roots = []
        for k, (ct, out, shape) in enumerate(zip(cts, outs, shapes, strict=True)):
            seed = ct if isinstance(ct, Tensor) else as_data(ct, "vjp cotangent", copy=True)
            if seed.shape != shape:
                which = "the output" if len(outs) == 1 else f"output leaf {k}"
                raise ValueError(
                    f"vjp: the cotangent{'' if len(outs) == 1 else f' of output leaf {k}'} has "
                    f"shape {seed.shape} but {which} has shape {shape}; they must match."
                )
            if out is not None and (isinstance(seed, Tensor) or seed.any()):
                roots.append((out, seed))
        differentiable = (
            nested or nesting_depth() > 0 or any(isinstance(s, Tensor) for _, s in roots)
        )
        grads = gradients(*_one_root(roots), leaves, create_graph=differentiable)
        exported = export_gradients(grads, numbers_in, differentiable)
        return tuple(tree_unflatten(in_def, exported))

    out_number = all(numbers_in)
    values = [
        export(o if o is not None else r, out_number and np.ndim(r) == 0, nested)
        for o, r in zip(outs, raw_leaves, strict=True)
    ]
    result = (tree_unflatten(out_def, values), pullback)
    return (*result, export_aux(aux, nested)) if has_aux else result


def _one_root(roots: list) -> tuple:
    """One (output, seed) pair whose backward pass gives the sum of every pair's VJP."""
    if not roots:
        return None, None
    if len(roots) == 1:
        return roots[0]
    previous = set_grad_enabled(True)
    try:
        total = sum((out * seed).sum() for out, seed in roots)
    finally:
        set_grad_enabled(previous)
    return total, np.ones(())


# --------------------------------------------------------------------------- forward mode
def jvp(
    f: Callable, primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False
) -> tuple:
    """Evaluate ``f(*primals)`` and its directional derivative: ``(out, J @ tangents)``
    (``(out, J @ tangents, aux)`` with ``has_aux``).

    ``primals`` and ``tangents`` are tuples with one entry per argument of ``f``, and the tangents
    have the structure and shapes of the primals; the output tangent has the structure of ``out``.
    Forward mode: each input carries its tangent, every operation pushes the tangents through its
    primitive's JVP rule as it computes its value, and no reverse graph is recorded. One call
    costs a small constant times one evaluation of ``f``, whatever the number of outputs.
    """
    for what, seq in (("primals", primals), ("tangents", tangents)):
        if not isinstance(seq, (tuple, list)):
            raise TypeError(
                f"jvp: {what} must be a tuple (or list) with one entry per argument of f, got "
                f"{type(seq).__name__}; write jvp(f, (x,), (v,)) for one argument."
            )
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: got {len(primals)} primal(s) and {len(tangents)} tangent(s); pass one tangent "
            "per primal, each with its primal's shape."
        )
    nested = nesting_depth() > 0
    p_leaves, p_def = flat_inputs(tuple(primals), "jvp", "a primal")
    t_leaves = flatten_like(p_def, tuple(tangents), "jvp: the tangents")
    numbers_in, seeds = [], []
    for i, (x, t) in enumerate(zip(p_leaves, t_leaves, strict=True)):
        if F.is_ad_value(x) and not isinstance(x, Tensor):
            raise TypeError(
                f"jvp: primal {i} is a {type(x).__name__}; jvp takes numbers, numpy arrays or "
                "Tensors. Scalar and Dual belong to the scalar engines."
            )
        data = x.data if isinstance(x, Tensor) else as_data(x, f"jvp: primal {i}")
        if isinstance(t, Tensor) and (t.requires_grad or t._tangent is not None):
            seed = t  # the tangent is itself differentiated by an enclosing transform
        else:
            seed = as_data(t.data if isinstance(t, Tensor) else t, f"jvp: tangent {i}")
        if seed.shape != data.shape:
            raise ValueError(
                f"jvp: tangent {i} has shape {seed.shape} but its primal has shape "
                f"{data.shape}; each tangent must have its primal's shape."
            )
        numbers_in.append(isinstance(x, numbers.Real))
        seeds.append((x if isinstance(x, Tensor) else data, seed))
    level = push_forward_level()
    try:
        leaves = [forward_leaf(x, level, seed) for x, seed in seeds]
        raw = evaluate(f, tree_unflatten(p_def, leaves))
    finally:
        pop_forward_level(level)
    raw, aux = split_aux(raw, has_aux, "jvp", f)
    raw_leaves, out_def = tree_flatten(raw)
    values, tangents_out = [], []
    for r in raw_leaves:
        out = as_output(r, "jvp", f)
        tangent = None if out is None else tangent_at(out, level)
        if tangent is None:
            tangent = np.zeros(shape_of(out, r))
        number = all(numbers_in) and np.ndim(r) == 0
        values.append(export(out if out is not None else r, number, nested))
        tangents_out.append(export(tangent, number, nested))
    result = (tree_unflatten(out_def, values), tree_unflatten(out_def, tangents_out))
    return (*result, export_aux(aux, nested)) if has_aux else result


__all__ = ["grad", "jvp", "value_and_grad", "vjp"]
