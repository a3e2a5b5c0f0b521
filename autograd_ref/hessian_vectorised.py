"""The Hessian by vectorised forward-over-reverse: one backward pass, one batched forward sweep.

``jacfwd(jacrev(f))`` computes a Hessian column by column: for each of the ``n`` entries of ``x`` it
pushes one tangent through the whole computation of the gradient, so Python walks the graph ``n``
times. Here the gradient is computed once, by a backward pass that records itself
(``create_graph``), so ``g(x)`` is a graph of Tensor operations; then one forward sweep over that
graph (:mod:`autograd_ref.forward_sweep`) pushes all ``n`` basis tangents at once, as one array of
shape ``(n,) + x.shape``. Its result is ``H e_k`` for every ``k``: all the columns. The
arithmetic is the same as ``n`` Hessian-vector products, but each node costs one numpy call on a
batch instead of ``n`` calls, which is where the time went.

For very large ``x`` the columns are swept in chunks, so no tangent array exceeds about 32 MiB.

When the call sits inside another transform (the argument records a graph or carries a tangent,
or ``f`` uses a Tensor that records gradients: it may belong to an enclosing ``grad``), the
result must itself be differentiable, so this falls back to ``jacfwd(jacrev(f))``, which builds
it from Tensor operations. The two agree to rounding (the tests check 1e-12).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .forward_sweep import sweep
from .jacobians import hessian as hessian_by_columns
from .rules import is_ad_value
from .tensor import Tensor, as_data, forward_depth, set_grad_enabled, topological_order
from .transform_core import nesting_depth
from .transforms import vjp

CHUNK_ENTRIES = 1 << 22
"""Entries per batched tangent array in one sweep (32 MiB of float64): more columns are swept in
chunks, so memory stays bounded for large inputs."""


def hessian(f: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """Return the function computing the Hessian of scalar-valued ``f`` with respect to argument
    ``argnums``: shape ``x.shape + x.shape``, a float for a float argument.

    One array (or number) argument, at the top level, is swept in one batch; tuple ``argnums``,
    pytree arguments, ``has_aux`` and keyword arguments take the column route
    (``jacfwd(jacrev(f))``), which returns JAX's block structure.

    >>> import numpy as np
    >>> hessian(lambda x: (x**3).sum())(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    by_columns = hessian_by_columns(f, argnums, has_aux=has_aux)
    if has_aux or not isinstance(argnums, int) or isinstance(argnums, bool):
        return by_columns

    def hessian_f(*args: Any, **kwargs: Any):
        if kwargs or not -len(args) <= argnums < len(args) or _nested(args):
            return by_columns(*args, **kwargs)  # its errors and its differentiable result
        i = argnums % len(args)
        x = args[i]
        if not isinstance(x, (np.ndarray, Tensor, numbers.Real)) or isinstance(x, bool):
            return by_columns(*args)  # a pytree (dict, list, tuple): JAX's tree of trees
        try:
            data = as_data(x.data if isinstance(x, Tensor) else x, "hessian input")
        except TypeError:
            return by_columns(*args)  # the same complaint as every other transform
        result = _vectorised(f, args, i, data)
        if result is None:
            return by_columns(*args)
        if isinstance(x, numbers.Real) and result.ndim == 0:
            return float(result)
        return result

    hessian_f.__name__ = f"hessian({getattr(f, '__name__', 'f')})"
    return hessian_f


def _nested(args: tuple) -> bool:
    """Whether an enclosing transform will differentiate the result (or the input is not an
    array, a Tensor or a number, which the column route reports on)."""
    if forward_depth() > 0 or nesting_depth() > 0:
        return True
    for a in args:
        if isinstance(a, Tensor):
            if a.requires_grad:
                return True
        elif is_ad_value(a):
            return True
    return False


def _vectorised(f: Callable, args: tuple, i: int, data: np.ndarray) -> np.ndarray | None:
    """The Hessian from one recorded gradient and batched sweeps; None if the column route must
    answer (``f`` does not return one number, or it uses other Tensors that record gradients)."""
    shape = data.shape
    leaf = Tensor(data, requires_grad=True)

    def along(xi):
        call = list(args)
        call[i] = xi
        return f(*call)

    previous = set_grad_enabled(True)
    try:
        out, pullback = vjp(along, leaf)
        if np.shape(out) != ():
            return None  # the Jacobian of a gradient per output entry: jacfwd(jacrev(f))
        (gradient,) = pullback(Tensor(np.ones(())))  # a Tensor seed: the gradient is a graph
    finally:
        set_grad_enabled(previous)
    n = data.size
    if n == 0 or not isinstance(gradient, Tensor) or not gradient.requires_grad:
        return np.zeros(shape + shape)
    order = topological_order(gradient)
    for node in order:
        if node._op is None and node is not leaf:
            return None  # another Tensor records gradients: maybe an enclosing transform's input
    largest = max(node.data.size for node in order)
    chunk = max(1, min(n, CHUNK_ENTRIES // max(largest, 1)))
    identity = np.eye(n)
    rows = []
    for start in range(0, n, chunk):
        seed = identity[start : start + chunk].reshape((-1,) + shape)
        tangents = sweep(gradient, [(leaf, seed)])
        count = seed.shape[0]
        rows.append(np.zeros((count, n)) if tangents is None else tangents.reshape(count, n))
    # row k holds H e_k, column k of the Hessian: transpose to index it [entry, k]
    return np.ascontiguousarray(np.concatenate(rows).T).reshape(shape + shape)


__all__ = ["hessian"]
