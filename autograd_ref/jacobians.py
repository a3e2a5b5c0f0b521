"""Whole Jacobians and Hessians, with JAX's names: ``jacfwd``, ``jacrev`` and ``hessian``.

Both Jacobians are assembled from the transforms of :mod:`autograd_ref.transforms`: ``jacfwd`` from
one ``jvp`` per input entry (a column each), ``jacrev`` from one recorded evaluation and one
``vjp`` pullback per output entry (a row each). Which one is cheaper depends on the shape of ``f``:
few inputs and many outputs favour ``jacfwd``, the opposite ``jacrev``.

Pytrees follow JAX's nesting: the Jacobian of a function from a tree of inputs to a tree of
outputs is the output tree whose every leaf is replaced by the input tree, whose every leaf is an
array of shape ``out_leaf.shape + in_leaf.shape`` (a float when both leaves are numbers). With a
tuple ``argnums`` the input tree is the tuple of the selected arguments.

``hessian(f)`` here is ``jacfwd(jacrev(f))``: one reverse pass gives the gradient as a graph,
and forward mode pushes one basis tangent per input entry through it, so an n-input Hessian costs
n forward-plus-backward evaluations. ``ad.hessian`` is the vectorised one in
:mod:`autograd_ref.hessian_vectorised`; it comes here for pytrees and nested calls. With a
tuple ``argnums`` it returns the blocks ``H[i][j]`` (second derivatives with respect to arguments
i and j), as JAX does.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .joining import stack as tensor_stack
from .pytree import TreeDef, tree_flatten, tree_unflatten
from .tensor import Tensor, as_data
from .transform_core import (
    argnums_tuple,
    export,
    flat_inputs,
    fn_name,
    nesting_depth,
    replace_args,
    split_aux,
)
from .transforms import jvp, vjp


def _basis(shape: tuple, k: int) -> np.ndarray:
    e = np.zeros(int(np.prod(shape, dtype=np.int64)))
    e[k] = 1.0
    return e.reshape(shape)


def _shape(x) -> tuple:
    return x.shape if isinstance(x, Tensor) else np.shape(as_data(x, "Jacobian input"))


def _size(shape: tuple) -> int:
    return int(np.prod(shape, dtype=np.int64))


class _Flat:
    """``f`` as a function of the flat list of selected input leaves, returning a tuple of output
    leaves (and aux). It remembers the output structure, which the Jacobian is rebuilt with."""

    def __init__(self, f, args, kwargs, nums, in_def: TreeDef, has_aux: bool, name: str):
        self.f, self.args, self.kwargs, self.nums = f, args, kwargs, nums
        self.in_def, self.has_aux, self.name = in_def, has_aux, name
        self.out_def: TreeDef | None = None
        self.__name__ = fn_name(f)

    def __call__(self, *leaves):
        trees = tree_unflatten(self.in_def, leaves)
        raw = self.f(*replace_args(self.args, self.nums, trees), **self.kwargs)
        out, aux = split_aux(raw, self.has_aux, self.name, self.f)
        out_leaves, self.out_def = tree_flatten(out)
        return (tuple(out_leaves), aux) if self.has_aux else tuple(out_leaves)


def _assemble(pieces: list, lead: tuple, trail: tuple, number: bool, nested: bool, rows: bool):
    """Stack per-entry results into a Jacobian block of shape ``lead + trail``.

    ``rows``: each piece is a row (one output entry, shaped like the input, from jacrev);
    otherwise a column (one input entry, shaped like the output, from jacfwd).
    """
    if not pieces:
        return export(np.zeros(lead + trail), number, nested)
    if nested:
        stacked = tensor_stack(pieces, axis=0 if rows else -1)
    else:
        stacked = np.stack([np.asarray(p, dtype=np.float64) for p in pieces], 0 if rows else -1)
    return export(stacked.reshape(lead + trail), number, nested, fresh=not nested)


def _structure(blocks: list, out_def: TreeDef, in_def: TreeDef, single: bool) -> Any:
    """``blocks[k][i]`` (output leaf k, input leaf i) as the output tree of input trees."""
    per_out = []
    for row in blocks:
        trees = tree_unflatten(in_def, row)
        per_out.append(trees[0] if single else trees)
    return tree_unflatten(out_def, per_out)


def _prepare(f, argnums, has_aux, name, args, kwargs):
    nums = argnums_tuple(argnums, len(args), name)
    what = f"argument {nums[0]}" if len(nums) == 1 else f"arguments {nums}"
    leaves, in_def = flat_inputs(tuple(args[i] for i in nums), name, what)
    return leaves, in_def, _Flat(f, args, kwargs, nums, in_def, has_aux, name)


def jacfwd(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """Return the function computing the Jacobian of ``f`` by forward mode.

    One ``jvp`` per entry of the inputs (seeded with a basis vector, it gives one column), so it
    suits functions with few inputs and many outputs. For one array in and one out the result has
    shape ``out.shape + in.shape``; pytrees nest as described in the module docstring. With
    ``has_aux`` it returns ``(jacobian, aux)``. Keyword arguments go to ``f`` unchanged.
    """

    def jacfwd_f(*args: Any, **kwargs: Any):
        leaves, in_def, flat = _prepare(f, argnums, has_aux, "jacfwd", args, kwargs)
        nested = nesting_depth() > 0
        columns: list[list] = []  # columns[i][k]: the tangents of output leaf k, input leaf i
        out_leaves, aux = None, None
        for i, x in enumerate(leaves):

            def along(xi, i=i):
                return flat(*leaves[:i], xi, *leaves[i + 1 :])

            per_entry = []
            for k in range(_size(_shape(x))):
                res = jvp(along, (x,), (_basis(_shape(x), k),), has_aux=has_aux)
                if out_leaves is None:
                    out_leaves, aux = res[0], (res[2] if has_aux else None)
                per_entry.append(res[1])
            columns.append(per_entry)
        if out_leaves is None:  # no input entries: evaluate once for the output's shapes
            out_leaves, _, *rest = jvp(flat, tuple(leaves), tuple(leaves), has_aux=has_aux)
            aux = rest[0] if has_aux else None
        blocks = []
        for k, out in enumerate(out_leaves):
            lead = np.shape(out.data if isinstance(out, Tensor) else out)
            row = []
            for i, x in enumerate(leaves):
                number = isinstance(x, numbers.Real) and lead == ()
                pieces = [column[k] for column in columns[i]]
                row.append(_assemble(pieces, lead, _shape(x), number, nested, rows=False))
            blocks.append(row)
        jac = _structure(blocks, flat.out_def, in_def, isinstance(argnums, int))
        return (jac, aux) if has_aux else jac

    jacfwd_f.__name__ = f"jacfwd({fn_name(f)})"
    return jacfwd_f


def jacrev(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """Return the function computing the Jacobian of ``f`` by reverse mode.

    ``f`` is evaluated once; then one backward pass per entry of the outputs (seeded with a basis
    vector, it gives one row), so it suits functions with many inputs and few outputs. Shapes and
    pytrees as for :func:`jacfwd`; with ``has_aux`` it returns ``(jacobian, aux)``.
    """

    def jacrev_f(*args: Any, **kwargs: Any):
        leaves, in_def, flat = _prepare(f, argnums, has_aux, "jacrev", args, kwargs)
        nested = nesting_depth() > 0
        out_leaves, pullback, *rest = vjp(flat, *leaves, has_aux=has_aux)
        shapes = [np.shape(o.data if isinstance(o, Tensor) else o) for o in out_leaves]
        blocks = []
        for k, lead in enumerate(shapes):
            rows = []
            for j in range(_size(lead)):
                seed = tuple(_basis(s, j) if m == k else np.zeros(s) for m, s in enumerate(shapes))
                rows.append(pullback(seed))
            row = []
            for i, x in enumerate(leaves):
                number = isinstance(x, numbers.Real) and lead == ()
                pieces = [r[i] for r in rows]
                row.append(_assemble(pieces, lead, _shape(x), number, nested, rows=True))
            blocks.append(row)
        jac = _structure(blocks, flat.out_def, in_def, isinstance(argnums, int))
        return (jac, rest[0]) if has_aux else jac

    jacrev_f.__name__ = f"jacrev({fn_name(f)})"
    return jacrev_f


def hessian(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """Return the function computing the Hessian of scalar-valued ``f``: ``jacfwd(jacrev(f))``.

    Forward over reverse: the gradient is computed as a differentiable graph, and one forward
    tangent per input entry gives one column of the Hessian. For one array argument the shape is
    ``in.shape + in.shape``; for a tuple ``argnums`` the blocks ``H[i][j]``; for a pytree argument
    the tree of trees. With ``has_aux`` it returns ``(hessian, aux)``.
    """
    h = jacfwd(jacrev(f, argnums, has_aux=has_aux), argnums, has_aux=has_aux)
    h.__name__ = f"hessian({fn_name(f)})"
    return h


__all__ = ["hessian", "jacfwd", "jacrev"]
