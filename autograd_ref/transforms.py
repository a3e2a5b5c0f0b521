"""Function transforms with JAX's names: ``grad``, ``value_and_grad``, ``vjp``, ``jvp``,
``jacfwd``, ``jacrev`` and ``hessian``.

A transform takes a function and returns a new function. ``f`` must be written with operators, the
``ad.*`` functions and Tensor methods, so that it can be evaluated on the values the transform
feeds it.

``grad`` and ``value_and_grad`` work on numbers and on arrays:

* floats in, floats out: the arguments become :class:`Scalar` leaves, ``f`` runs once (recording
  the graph) and one backward pass gives the derivative, a float;
* numpy arrays (or lists, or Tensors) in, arrays out: the arguments become :class:`Tensor` leaves
  and the gradient has the shape of its argument.

``vjp``, ``jacrev`` and ``hessian`` use reverse mode on Tensors; ``jvp`` and ``jacfwd`` use forward
mode: the inputs carry tangents, each operation pushes them through its primitive's JVP rule, and
no reverse graph is recorded.

Nesting. While a transform evaluates its function, every transform called inside builds its
result from differentiable operations, so the outer transform can differentiate it again:
``grad(grad(f))``, ``jacrev(jacrev(f))``, ``jacfwd(jacrev(f))`` (forward over reverse),
``jacrev(jacfwd(f))`` (reverse over forward), ``jacfwd(jacfwd(f))`` (forward over forward) and
``jvp(grad(f), ...)`` (a Hessian-vector product) all work. Each transform differentiates with
respect to fresh nodes of its own and reads gradients only from those, and each ``jvp`` tags its
tangents with a level of its own, so nested transforms never mix up their perturbations.

``hessian(f)`` is ``jacfwd(jacrev(f))``: one reverse pass gives the gradient as a graph, and forward
mode pushes one basis tangent per input entry through it, so an n-input Hessian costs n
forward-plus-backward evaluations and no Hessian-sized graph.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import functions as F
from .joining import stack as tensor_stack
from .leaves import forward_leaf, linked_leaf
from .scalar import Scalar, linked_input
from .scalar_backward import backprop as _backprop
from .tensor import (
    Tensor,
    as_data,
    backprop,
    make_tensor,
    pop_forward_level,
    push_forward_level,
    set_grad_enabled,
    tangent_at,
)

_depth = 0  # how many transforms are evaluating their function right now


def _argnums_tuple(argnums: int | Sequence[int], nargs: int, name: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not isinstance(i, int) or not -nargs <= i < nargs:
            raise ValueError(
                f"{name}: argnums={argnums!r} does not fit a call with {nargs} positional "
                f"argument(s); use indices from 0 to {nargs - 1}."
            )
    return tuple(i % nargs for i in nums)


def _name(f: Callable) -> str:
    return getattr(f, "__name__", "f")


def _evaluate(f: Callable, args) -> Any:
    """Run ``f`` as a transform does: nested transforms see ``_depth > 0``, recording is on."""
    global _depth
    _depth += 1
    previous = set_grad_enabled(True)
    try:
        return f(*args)
    finally:
        _depth -= 1
        set_grad_enabled(previous)


# ------------------------------------------------------------------------ array plumbing
def _is_array_input(x) -> bool:
    return isinstance(x, (Tensor, np.ndarray, list, tuple))


def _leaf(x, what: str) -> tuple[Tensor, bool]:
    """A fresh node to differentiate with respect to, and whether ``x`` was a plain number."""
    if type(x) is np.ndarray:
        return make_tensor(as_data(x, what), requires_grad=True), False
    if isinstance(x, Tensor):
        return linked_leaf(x), False
    if F.is_ad_value(x):
        raise TypeError(
            f"{what} is a {type(x).__name__}; array transforms take numbers, numpy arrays or "
            "Tensors. Scalar and Dual belong to the scalar engines."
        )
    number = isinstance(x, numbers.Real)
    return make_tensor(as_data(x, what), requires_grad=True), number


def _export(value, number: bool, nested: bool, fresh: bool = False):
    """A result as the caller expects it: Tensors when nested, else arrays (floats for numbers).

    Arrays are copied unless ``fresh`` says this one was made for this result alone, so a caller
    can never change another result, a Tensor's data or a seed through it.
    """
    if nested:
        if isinstance(value, Tensor):
            return value
        return make_tensor(np.asarray(value, dtype=np.float64))
    arr = value.data if isinstance(value, Tensor) else value
    if number and np.ndim(arr) == 0:
        return float(arr)
    if fresh and type(arr) is np.ndarray and arr.dtype == np.float64:
        return arr
    return np.array(arr, dtype=np.float64)


def _export_gradients(grads: list, numbers_in: list, nested: bool) -> list:
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
        result.append(_export(g, number, nested, fresh=fresh))
    return result


def _gradients(out, seed, leaves: list[Tensor], create_graph: bool) -> list:
    """Cotangents of ``leaves`` for the output cotangent ``seed``: one backward pass."""
    if not isinstance(out, Tensor) or not out.requires_grad:
        return [np.zeros(leaf.shape) for leaf in leaves]  # f did not use its inputs
    stop = {id(leaf) for leaf in leaves}
    order = backprop(out, seed, create_graph=create_graph, stop=stop)
    grads = [np.zeros(leaf.shape) if leaf._g is None else leaf._g for leaf in leaves]
    for node in order:
        node._g = None
    return grads


def _as_output(out, name: str, f: Callable) -> Tensor | None:
    if isinstance(out, Tensor):
        return out
    if isinstance(out, (numbers.Real, np.ndarray)) and not isinstance(out, bool):
        return None  # a constant: it does not depend on the inputs
    raise TypeError(
        f"{name}: {_name(f)} returned {type(out).__name__} {out!r:.60}; it must return a Tensor "
        "or an array (build it from its arguments with Tensor operations and ad.* functions)."
    )


def _seed_like(out: Tensor | None, raw_out, cotangent, name: str):
    shape = out.shape if out is not None else np.shape(raw_out)
    if isinstance(cotangent, Tensor):
        seed = cotangent
    else:
        seed = as_data(cotangent, f"{name} cotangent", copy=True)  # results may be this array
    if seed.shape != shape:
        raise ValueError(
            f"{name}: the cotangent has shape {seed.shape} but the output has shape {shape}; "
            "they must match."
        )
    return seed


# ----------------------------------------------------------------------- grad & friends
def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return ``g`` with ``g(*args) == (f(*args), df/dargs[argnums])``.

    ``f`` returns one number. For float arguments the gradient is a float (a tuple of floats for a
    tuple ``argnums``); for array arguments it is an array of the argument's shape.
    """

    def value_and_grad_f(*args: Any):
        nums = _argnums_tuple(argnums, len(args), "grad")
        if any(_is_array_input(args[i]) for i in nums):
            value, grads = _array_value_and_grad(f, args, nums)
        else:
            value, grads = _scalar_value_and_grad(f, args, nums)
        return value, grads[0] if isinstance(argnums, int) else tuple(grads)

    value_and_grad_f.__name__ = f"value_and_grad({_name(f)})"
    return value_and_grad_f


def grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return the function computing the derivative (gradient) of scalar-valued ``f``."""
    vg = value_and_grad(f, argnums)

    def grad_f(*args: Any):
        return vg(*args)[1]

    grad_f.__name__ = f"grad({_name(f)})"
    return grad_f


def _scalar_value_and_grad(f: Callable, args, nums) -> tuple[Any, list]:
    args = list(args)
    inputs = []
    for i in nums:
        x = args[i]
        if isinstance(x, Scalar):
            # From an enclosing grad: read gradients from a fresh node linked to it, or other
            # uses of x would count too (perturbation confusion; see scalar.linked_input).
            x = linked_input(x)
        else:
            if not isinstance(x, numbers.Real) or isinstance(x, bool):
                raise TypeError(
                    f"grad(f) differentiates with respect to numbers or arrays; argument {i} is "
                    f"{type(x).__name__} {x!r:.60}. Pass a float or a numpy array, or choose "
                    "another argument with argnums."
                )
            x = Scalar(x)
        args[i] = x
        inputs.append(x)
    nested = _depth > 0
    out = _evaluate(f, args)
    grads = _scalar_gradients(out, inputs, create_graph=nested)
    value = out if nested or not isinstance(out, Scalar) else out.value
    if isinstance(value, numbers.Real) and not isinstance(value, Scalar):
        value = float(value)
    return value, grads


def _scalar_gradients(out, inputs: list[Scalar], create_graph: bool) -> list:
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
    order = _backprop(out, 1.0, create_graph=create_graph)
    grads = [x._g for x in inputs]
    for node in order:  # cotangent Scalars refer back to the nodes: drop them now
        node._g = 0.0
    return [g if create_graph else float(g) for g in grads]


def _array_value_and_grad(f: Callable, args, nums) -> tuple[Any, list]:
    nested = _depth > 0
    args = list(args)
    leaves, numbers_in = [], []
    for i in nums:
        leaf, number = _leaf(args[i], f"grad: argument {i}")
        args[i] = leaf
        leaves.append(leaf)
        numbers_in.append(number)
    raw = _evaluate(f, args)
    out = _as_output(raw, "grad", f)
    size = out.size if out is not None else np.size(raw)
    if size != 1:
        raise TypeError(
            f"grad needs {_name(f)} to return a single number, but it returned shape "
            f"{np.shape(raw) if out is None else out.shape}. Reduce it (.sum() or .mean()), or "
            "use ad.jacrev / ad.jacfwd for the Jacobian, or ad.vjp for a vector-Jacobian product."
        )
    shape = out.shape if out is not None else np.shape(raw)
    grads = _gradients(out, np.ones(shape), leaves, create_graph=nested)
    value = _export(out if out is not None else raw, np.ndim(raw) == 0, nested)
    return value, _export_gradients(grads, numbers_in, nested)


def vjp(f: Callable, *primals: Any) -> tuple[Any, Callable]:
    """Evaluate ``f(*primals)`` and return ``(out, pullback)``.

    ``pullback(cotangent)`` (``cotangent`` shaped like ``out``) returns a tuple with one array per
    primal: ``cotangent @ J_i``, the vector-Jacobian product for that input, from one backward
    pass over the graph recorded once. Call it as often as you like (``jacrev`` calls it once per
    output entry).
    """
    nested = _depth > 0
    leaves, numbers_in = [], []
    for i, x in enumerate(primals):
        leaf, number = _leaf(x, f"vjp: primal {i}")
        leaves.append(leaf)
        numbers_in.append(number)
    raw = _evaluate(f, leaves)
    out = _as_output(raw, "vjp", f)

    def pullback(cotangent: Any) -> tuple:
        seed = _seed_like(out, raw, cotangent, "vjp")
        differentiable = nested or _depth > 0 or isinstance(seed, Tensor)
        grads = _gradients(out, seed, leaves, create_graph=differentiable)
        return tuple(_export_gradients(grads, numbers_in, differentiable))

    out_number = all(numbers_in) and np.ndim(raw) == 0
    return _export(out if out is not None else raw, out_number, nested), pullback


# --------------------------------------------------------------------------- forward mode
def jvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """Evaluate ``f(*primals)`` and its directional derivative: ``(out, J @ tangents)``.

    Forward mode: each input carries its tangent, every operation pushes the tangents through its
    primitive's JVP rule as it computes its value, and no reverse graph is recorded. One call
    costs a small constant times one evaluation of ``f``, whatever the number of outputs.
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: got {len(primals)} primal(s) and {len(tangents)} tangent(s); pass one tangent "
            "per primal, each with its primal's shape."
        )
    nested = _depth > 0
    numbers_in, seeds = [], []
    for i, (x, t) in enumerate(zip(primals, tangents, strict=True)):
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
        raw = _evaluate(f, leaves)
    finally:
        pop_forward_level(level)
    out = _as_output(raw, "jvp", f)
    tangent_out = None if out is None else tangent_at(out, level)
    if tangent_out is None:
        tangent_out = np.zeros(np.shape(raw) if out is None else out.shape)
    number = all(numbers_in) and np.ndim(raw) == 0
    value = out if out is not None else raw
    return _export(value, number, nested), _export(tangent_out, number, nested)


# ------------------------------------------------------------------------------ Jacobians
def _basis(shape: tuple, k: int) -> np.ndarray:
    e = np.zeros(int(np.prod(shape, dtype=np.int64)))
    e[k] = 1.0
    return e.reshape(shape)


def _assemble(pieces: list, lead: tuple, trail: tuple, nested: bool, rows: bool):
    """Stack per-entry results into a Jacobian of shape ``out.shape + in.shape``.

    ``rows``: each piece is a row (one output entry, shaped like the input, from jacrev);
    otherwise a column (one input entry, shaped like the output, from jacfwd).
    """
    if nested:
        stacked = tensor_stack(pieces, axis=0 if rows else -1)
    else:
        arrays = [np.asarray(p, dtype=np.float64) for p in pieces]
        stacked = np.stack(arrays, axis=0 if rows else -1)
    return stacked.reshape(lead + trail)


def jacfwd(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return the function computing the Jacobian of ``f`` by forward mode.

    One ``jvp`` per entry of the input (seeded with a basis vector gives one column), so it suits
    functions with few inputs and many outputs. The result has shape ``out.shape + in.shape``
    (a tuple of such Jacobians for a tuple ``argnums``).
    """

    def jacfwd_f(*args: Any):
        nums = _argnums_tuple(argnums, len(args), "jacfwd")
        nested = _depth > 0
        jacobians = []
        for i in nums:
            x = args[i]
            shape = x.shape if isinstance(x, Tensor) else np.shape(as_data(x, "jacfwd input"))

            def along(xi, i=i):
                call = list(args)
                call[i] = xi
                return f(*call)

            columns, out_shape = [], None
            for k in range(int(np.prod(shape, dtype=np.int64))):
                out, column = jvp(along, (x,), (_basis(shape, k),))
                columns.append(column)
                out_shape = np.shape(out.data if isinstance(out, Tensor) else out)
            if out_shape is None:  # an empty input: evaluate once for the output's shape
                out_shape = np.shape(_plain_value(along(x)))
            number = isinstance(x, numbers.Real) and len(out_shape) == 0
            if not columns:
                jac = np.zeros(out_shape + shape)
            else:
                jac = _assemble(columns, out_shape, shape, nested, rows=False)
            jacobians.append(_export(jac, number, nested))
        return jacobians[0] if isinstance(argnums, int) else tuple(jacobians)

    jacfwd_f.__name__ = f"jacfwd({_name(f)})"
    return jacfwd_f


def jacrev(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return the function computing the Jacobian of ``f`` by reverse mode.

    ``f`` is evaluated once; then one backward pass per entry of the output (seeded with a basis
    vector gives one row), so it suits functions with many inputs and few outputs. The result has
    shape ``out.shape + in.shape`` (a tuple of such Jacobians for a tuple ``argnums``).
    """

    def jacrev_f(*args: Any):
        nums = _argnums_tuple(argnums, len(args), "jacrev")
        nested = _depth > 0

        def selected(*xs):
            call = list(args)
            for i, xi in zip(nums, xs, strict=True):
                call[i] = xi
            return f(*call)

        out, pullback = vjp(selected, *(args[i] for i in nums))
        out_shape = np.shape(out.data if isinstance(out, Tensor) else out)
        rows = [pullback(_basis(out_shape, j)) for j in range(int(np.prod(out_shape)))]
        jacobians = []
        for n, i in enumerate(nums):
            x = args[i]
            shape = x.shape if isinstance(x, Tensor) else np.shape(as_data(x, "jacrev input"))
            number = isinstance(x, numbers.Real) and len(out_shape) == 0
            if rows:
                jac = _assemble([r[n] for r in rows], out_shape, shape, nested, rows=True)
            else:
                jac = np.zeros(out_shape + shape)
            jacobians.append(_export(jac, number, nested))
        return jacobians[0] if isinstance(argnums, int) else tuple(jacobians)

    jacrev_f.__name__ = f"jacrev({_name(f)})"
    return jacrev_f


def hessian(f: Callable, argnums: int = 0) -> Callable:
    """Return the function computing the Hessian of scalar-valued ``f``: ``jacfwd(jacrev(f))``.

    Forward over reverse: the gradient is computed as a differentiable graph, and one forward
    tangent per input entry gives one column of the Hessian. Shape ``in.shape + in.shape``.
    """
    if not isinstance(argnums, int):
        raise TypeError(
            "hessian takes one argument index (an int); for mixed second derivatives nest "
            "jacfwd(jacrev(f, argnums=i), argnums=j)."
        )
    h = jacfwd(jacrev(f, argnums), argnums)
    h.__name__ = f"hessian({_name(f)})"
    return h


def _plain_value(v):
    return v.data if isinstance(v, Tensor) else v


__all__ = ["grad", "hessian", "jacfwd", "jacrev", "jvp", "value_and_grad", "vjp"]
