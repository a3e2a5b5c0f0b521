"""The backward passes of :class:`~autograd_ref.Scalar` graphs.

:func:`backward` is the hot path of every training loop, so it fuses the three jobs (finding the
nodes, ordering them, applying the rules) into one loop and inlines the rules of the commonest rows
(each inlined line computes exactly what the row's rule computes; tests/test_scalar.py checks the
two paths bit for bit). :func:`backprop` is the plain pass that applies only the rows' rules, used
by the transforms and for ``create_graph`` (the rules then run on Scalars, so the gradient is
itself a graph).

A Scalar node has its inputs in two slots, ``_a`` and ``_b``, its row in ``_op``, the row's extra in
``_aux``, a creation number ``_order`` counting down (the newest node has the smallest), its
gradient ``grad`` and, during a pass, its accumulated cotangent ``_g`` (0.0 outside a pass).
"""

from __future__ import annotations

from heapq import heappop, heappush

from .elementwise import ADD, EXP, MUL, RELU, SIGMOID, SUB, TANH
from .graph import topological_order as graph_order

_FIRST_SLOTS = 64  # initial length of the slot list of a backward pass (it grows as needed)
_FREE_GROWTH = 1 << 16  # the list may always grow this far (a 512 kB list, scanned in ~1 ms)
_MAX_SLOTS = 1 << 22  # nodes older than this (in creation numbers) always wait in the heap


_NO_STOP = 1 << 62  # a creation number no node reaches: prune nothing


def backward(root, seed: float = 1.0, made_after: int | None = None) -> None:
    """The fused backward pass behind :meth:`Scalar.backward` (floats only).

    ``made_after`` (a creation number from :func:`autograd_ref.scalar.creation_mark`): only nodes
    made after it are visited or written to. ``ad.grad`` uses it: its inputs are fresh leaves, and
    an older node cannot depend on them, so pruning older nodes loses nothing, and a Scalar the
    function closes over keeps its ``.grad``.

    Nodes are processed newest first. A node created ``i`` operations before ``root`` lives in
    ``slots[i]``, so walking the list in index order is a topological order; no sort and no
    separate search of the graph. A node is placed when its first contribution arrives (its
    ``_g`` is still 0.0; placing it again, when earlier contributions cancelled to 0.0, is
    harmless). The walk reaches it only after every newer node, so after all its consumers: its
    ``_g`` is complete. Leaves have no rule to apply, so their contributions go straight into
    ``.grad`` and they take no slot.

    The list grows (geometrically) to hold the graph. A node far older than the rest (an
    intermediate result computed long ago, say) would make the list long and mostly empty, so it
    waits in a heap instead, processed (oldest last) after the list; once the heap is in use the
    list stops growing, which keeps "list first, then heap" a topological order.
    """
    stop = _NO_STOP if made_after is None else made_after
    if root._op is None:
        if root._order < stop:
            root.grad += seed
        return
    base = root._order
    limit = stop - base  # slot index from which nodes are older than made_after
    root._g = seed
    slots = [None] * _FIRST_SLOTS
    slots[0] = root
    n = _FIRST_SLOTS
    deferred: list = []  # heap of (creation number, node)
    try:
        for node in slots:  # the loop sees slots appended while it runs
            if node is None:
                continue
            g = node._g
            node._g = 0.0
            node.grad += g
            op = node._op
            a = node._a
            b = node._b
            # Inlined rules: each line equals the table rule of the same primitive on floats
            # (tests/test_scalar.py checks every primitive both ways).
            if op is ADD:
                ga = gb = g
            elif op is MUL:
                ga = g * b.value
                gb = g * a.value
            elif op is SUB:
                ga = g
                gb = -g
            elif op is RELU:
                ga = g * (1.0 if a.value > 0 else 0.0)
            elif op is TANH:
                t = node.value
                ga = g * (1.0 - t * t)
            elif op is SIGMOID:
                s = node.value
                ga = g * (s * (1.0 - s))
            elif op is EXP:
                ga = g * node.value
            elif b is None:
                ga = op.vjp[0](g, (a.value,), node.value, node._aux)
            else:
                xs = (a.value, b.value)
                rules = op.vjp
                ga = rules[0](g, xs, node.value, node._aux)
                gb = rules[1](g, xs, node.value, node._aux)
            # Send ga to a and gb to b: leaves take it into .grad, interior nodes accumulate in
            # _g and are placed on their first contribution. (Written out twice: a loop over
            # the two inputs would cost a tuple and an iterator per node.)
            if a._op is None:
                if a._order < stop:
                    a.grad += ga
            else:
                i = a._order - base
                if i < limit:
                    pg = a._g
                    if pg == 0.0:
                        if i < n:
                            slots[i] = a
                        else:
                            n = _place_far(slots, deferred, a, i)
                    a._g = pg + ga
            if b is None:
                continue
            if b._op is None:
                if b._order < stop:
                    b.grad += gb
            else:
                i = b._order - base
                if i < limit:
                    pg = b._g
                    if pg == 0.0:
                        if i < n:
                            slots[i] = b
                        else:
                            n = _place_far(slots, deferred, b, i)
                    b._g = pg + gb
        if deferred:
            _backward_deferred(deferred, stop)
    except BaseException:
        # Interrupted (Ctrl-C): restore the invariant _g == 0.0, so that the next pass is right.
        for node in slots:
            if node is not None:
                node._g = 0.0
        for _, node in deferred:
            node._g = 0.0
        raise


def _place_far(slots: list, deferred: list, node, i: int) -> int:
    """Place ``node`` beyond the end of ``slots``: grow the list, or defer the node to the heap.

    Returns the (possibly new) length of ``slots``.
    """
    n = len(slots)
    if not deferred and i < _MAX_SLOTS and (i < 4 * n or i < _FREE_GROWTH):
        slots.extend([None] * (max(i + 1, 2 * n) - n))
        slots[i] = node
        return len(slots)
    heappush(deferred, (node._order, node))
    return n


def _backward_deferred(heap: list, stop: int = _NO_STOP) -> None:
    """Finish a backward pass with the nodes that were too old for the slot list (rare)."""
    last = None
    while heap:
        node = heappop(heap)[1]
        if node is last:  # placed twice (its contributions had cancelled to 0.0): done already
            continue
        last = node
        g = node._g
        node._g = 0.0
        node.grad += g
        parents = node._parents
        grads = node._op.pullback(g, tuple(p.value for p in parents), node.value, node._aux)
        for p, gp in zip(parents, grads, strict=True):
            if p._order >= stop:
                continue  # made before the pass's made_after: not ours to write
            if p._op is None:
                p.grad += gp
            else:
                pg = p._g
                if pg == 0.0:
                    heappush(heap, (p._order, p))
                p._g = pg + gp


def topological_order(root) -> list:
    """Every node ``root`` depends on, outputs before inputs (the graph module's one sort)."""
    return graph_order(root, counts_down=True)





def backprop(root, seed, create_graph: bool) -> list:
    """Set ``node._g`` to d(root)/d(node) for every node; return the nodes in the order used.

    The table-only pass: every rule comes from the node's row. With ``create_graph`` the
    cotangents are Scalars built from the nodes themselves, so the result can be differentiated
    again. The caller must reset ``_g`` to 0.0 on every returned node afterwards (cotangent
    Scalars refer back to the graph; leaving them would also break :func:`_backward`).
    """
    order = topological_order(root)
    for node in order:
        node._g = 0.0
    root._g = seed
    for node in order:
        op = node._op
        if op is None:
            continue
        parents = node._parents
        if create_graph:
            grads = op.pullback(node._g, parents, node, node._aux)
        else:
            grads = op.pullback(node._g, tuple(p.value for p in parents), node.value, node._aux)
        for parent, gp in zip(parents, grads, strict=True):
            parent._g = parent._g + gp
    return order
