"""The recorded graph and the one backward pass over it.

A recorded value is a node: its inputs (``_parents``), the row of the rule table that made it
(``_op``, None for a leaf), that row's extra (``_aux``), a creation number (``_order``: a node's
inputs are always older than it) and, during a backward pass, its accumulated cotangent (``_g``).
Nothing else is needed to differentiate: :func:`backprop` walks the nodes newest first and calls
each row's VJP rule once per input that needs a gradient.

Functions here know nothing about what a value holds beyond ``._data``; the transforms, the
checkpointing mode and ``Tensor.backward`` all call :func:`backprop`.
"""

from __future__ import annotations

import heapq

import numpy as np

from . import recording as R


def topological_order(root, stop: set[int] | None = None, counts_down: bool = False) -> list:
    """Every recorded node ``root`` depends on, outputs first; iterative, so depth is unlimited.

    Nodes whose ``id`` is in ``stop`` are included but not looked through (a transform's inputs).
    ``counts_down``: the nodes' creation numbers decrease with time (Scalar's do), so the newest
    come first in ascending order.
    """
    seen = {id(root)}
    order = [root]
    stack = [root]
    pop, push, keep, mark = stack.pop, stack.append, order.append, seen.add
    while stack:
        node = pop()
        if stop is not None and id(node) in stop:
            continue
        for parent in node._parents:
            if parent.requires_grad and id(parent) not in seen:
                mark(id(parent))
                keep(parent)
                push(parent)
    order.sort(key=_creation_order, reverse=not counts_down)
    return order


def _creation_order(node) -> int:
    return node._order


def backprop(root, seed, create_graph: bool, stop: set[int] | None = None) -> list:
    """Set ``node._g`` to d(root·seed)/d(node) for the leaves and the ``stop`` nodes.

    Nodes are processed in decreasing creation number, taken from a heap as they are reached:
    a node's inputs are older than it, so by the time a node comes off the heap every node that
    uses it has already added its contribution. That is a topological order found in the same
    pass that discovers the graph, with no recursion and no separate sort.

    Intermediate cotangents are dropped as soon as they are used. With ``create_graph`` the rules
    run on Tensors, so the cotangents are Tensors that can be differentiated again. Returns the
    nodes reached; the caller reads what it needs and resets their ``_g`` to None.
    """
    root._g = seed
    reached = [root]
    heap: list = []
    push, pop, keep = heapq.heappush, heapq.heappop, reached.append
    enabled = R.GRAD_ENABLED
    if create_graph:
        R.set_grad_enabled(True)
    node = root
    try:
        while True:
            op = node._op
            if op is not None and (stop is None or id(node) not in stop):
                g = node._g
                parents = node._parents
                aux = node._aux
                for parent in parents:
                    if parent._modified > node._order:
                        raise _modified_error(node, parent)
                if create_graph:
                    xs, out = parents, node
                elif len(parents) == 1:
                    xs, out = (parents[0]._data,), node._data
                elif len(parents) == 2:
                    xs, out = (parents[0]._data, parents[1]._data), node._data
                else:
                    xs, out = tuple(p._data for p in parents), node._data
                rules = op.vjp
                grads = None if type(rules) is tuple else rules(g, xs, out, aux)
                i = -1
                for parent in parents:
                    i += 1
                    if not parent.requires_grad:
                        continue  # a constant: its rule is never run
                    gp = rules[i](g, xs, out, aux) if grads is None else grads[i]
                    if gp is None:
                        continue
                    q = parent._g
                    if q is None:
                        parent._g = gp
                        keep(parent)
                        if parent._op is not None:  # creation numbers of op nodes are unique
                            push(heap, (-parent._order, parent))
                    else:
                        parent._g = q + gp
                node._g = None
            if not heap:
                break
            node = pop(heap)[1]
    except BaseException:
        for n in reached:
            n._g = None
        raise
    finally:
        R.set_grad_enabled(enabled)
    return reached


def _modified_error(node, parent) -> RuntimeError:
    return RuntimeError(
        f"backward: a Tensor of shape {parent.shape} used by the operation {node._op.name!r} "
        "had its .data changed after the operation was recorded, so the gradient this graph "
        "would give is wrong. Compute the loss again after changing the data (for example, "
        "call optimizer.step() only after loss.backward()), or change a copy: t.data.copy()."
    )


def accumulate_into_leaves(reached: list) -> None:
    """After :func:`backprop`: add each leaf's cotangent into its ``.grad`` (as PyTorch does) and
    clear every ``_g``. A leaf's gradient is never a view that another gradient shares."""
    owned: set[int] = set()
    for node in reached:
        g = node._g
        node._g = None
        if g is None or node._op is not None:
            continue
        if node.grad is None:
            if type(g) is not np.ndarray or g.base is not None or id(g) in owned:
                g = np.array(g, dtype=np.float64)
            owned.add(id(g))
            node.grad = g
        else:
            node.grad = node.grad + g
