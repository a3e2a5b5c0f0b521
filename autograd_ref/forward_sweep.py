"""A forward sweep over a recorded graph, pushing a whole batch of tangents at once.

Forward mode usually runs *while* a function is evaluated: each operation pushes its inputs'
tangents through its row's JVP rule (:func:`autograd_ref.jvp`). Here the graph already exists,
recorded by Tensor operations, and the sweep walks it afterwards, in creation order, computing each
node's tangent from its inputs' tangents with the same JVP rules on plain numpy arrays. Nothing is
recorded and no Tensor is made.

Why walk a recorded graph? The gradient of a function, computed by a backward pass with
``create_graph=True``, *is* such a graph (:mod:`autograd_ref.hessian_vectorised`). Sweeping it
forward with the tangent ``v`` on the input gives the Hessian-vector product ``H v``; seeding the
input with the identity, a batch of ``n`` tangents of shape ``(n,) + x.shape``, gives all ``n``
columns of the Hessian in one sweep: ``n`` times the arithmetic of one sweep, but one pass of Python
over the graph instead of ``n``.

Each row declares how it copes with the leading batch axis:

* ``ELEMENTWISE`` rows multiply the tangent by their local slope; numpy broadcasting does the
  rest once the sweep has aligned a smaller input's tangent with the output (singleton axes
  between the batch and the data, :func:`autograd_ref.batching.align`);
* ``BATCHED`` rows (sums over axes, reshape, matmul, indexing, ...) have JVP rules that count
  axes from the end when a tangent has more axes than its primal;
* every other row, including rows added later (``ad.primitive``, checkpoint, new operations), is
  applied once per column: slower, but always correct. A new row whose rule handles batch axes
  can say so with :func:`declare_batched`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import elementwise as E
from . import elementwise_extra as EX
from . import primitives as P
from .batching import align, lead_shape
from .rules import Rule
from .tensor import Tensor, topological_order

ELEMENTWISE = "elementwise"
BATCHED = "batched"
COLUMNS = "columns"

_KIND: dict[int, str] = {}  # id(rule) -> kind; a replaced or new row is not in here: COLUMNS
_RULES: dict[int, Rule] = {}  # keeps the declared rules alive, so their ids stay theirs


def declare_batched(rule: Rule, kind: str = BATCHED) -> None:
    """Say that ``rule``'s JVP accepts tangents with batch axes in front (``BATCHED``), or that it
    is elementwise and broadcasting (``ELEMENTWISE``). Undeclared rows run once per column."""
    if kind not in (ELEMENTWISE, BATCHED, COLUMNS):
        raise ValueError(f"declare_batched: kind must be {ELEMENTWISE!r}, {BATCHED!r} or "
                         f"{COLUMNS!r}; got {kind!r}.")  # fmt: skip
    _KIND[id(rule)] = kind
    _RULES[id(rule)] = rule


def batch_kind(rule: Rule) -> str:
    """How the sweep applies ``rule`` to a batch of tangents (see the module docstring)."""
    return _KIND.get(id(rule), COLUMNS)


for _rule in (*E.UNARY, P.ADD, P.SUB, P.MUL, P.DIV, P.POW, P.MAXIMUM, P.MINIMUM, P.NEG,
              P.IDENTITY, P.POW_CONST, P.CLIP, P.WHERE, P.LEAKY_RELU, P.ELU,
              *EX.EXTRA_UNARY, *EX.EXTRA_BINARY):  # fmt: skip
    declare_batched(_rule, ELEMENTWISE)
for _rule in (P.SUM, P.MEAN, P.MAX, P.RESHAPE, P.TRANSPOSE, P.GETITEM, P.SCATTER, P.CONCATENATE,
              P.MATMUL, P.SOFTMAX, P.LOG_SOFTMAX, P.SUM_TO, P.BROADCAST):  # fmt: skip
    declare_batched(_rule, BATCHED)


# ------------------------------------------------------------------------------ one node
def push_batch(rule: Rule, tangents: Sequence, xs: tuple, out: np.ndarray, aux, lead: tuple):
    """The output's tangents from the inputs' ``tangents`` (None: zero), all with batch axes
    ``lead`` in front; ``xs`` and ``out`` are the node's input and output arrays. None if every
    input tangent is None."""
    if all(t is None for t in tangents):
        return None
    kind = batch_kind(rule)
    if kind == COLUMNS:
        return _by_columns(rule, tangents, xs, out, aux, lead)
    rules = rule.jvp
    if rules is None:
        rule.pushforward(tangents, xs, out, aux)  # raises the error naming ad.defjvp
    if type(rules) is not tuple:  # variadic: every input gets a tangent, zeros if it has none
        filled = tuple(np.zeros(lead + x.shape) if t is None else t
                       for t, x in zip(tangents, xs, strict=True))  # fmt: skip
        result = rules(filled, xs, out, aux)
    else:
        result = None
        for t, x, jvp in zip(tangents, xs, rules, strict=False):
            if t is None:
                continue
            if kind == ELEMENTWISE:
                t = align(t, x.shape, out.ndim)
            part = jvp(t, xs, out, aux)
            result = part if result is None else result + part
    return _full(result, lead + out.shape)


def _by_columns(rule: Rule, tangents: Sequence, xs: tuple, out, aux, lead: tuple) -> np.ndarray:
    """A row that does not handle batch axes: its JVP once per tangent in the batch."""
    size = int(np.prod(lead, dtype=np.int64))
    flat = [None if t is None else t.reshape((size,) + x.shape)
            for t, x in zip(tangents, xs, strict=True)]  # fmt: skip
    variadic = type(rule.jvp) is not tuple
    result = np.empty((size,) + out.shape)
    for k in range(size):
        column = [None if t is None else t[k] for t in flat]
        if variadic:
            column = [np.zeros(x.shape) if t is None else t
                      for t, x in zip(column, xs, strict=True)]  # fmt: skip
        tangent = rule.pushforward(tuple(column), xs, out, aux)
        result[k] = out * 0.0 if tangent is None else _plain(tangent)
    return result.reshape(lead + out.shape)


def _plain(t):
    return t.data if isinstance(t, Tensor) else t


def _full(t, shape: tuple) -> np.ndarray:
    t = np.asarray(_plain(t), dtype=np.float64)
    return t if t.shape == shape else np.broadcast_to(t, shape)


# ----------------------------------------------------------------------------- the sweep
def sweep(root: Tensor, seeds: Sequence[tuple[Tensor, np.ndarray]]) -> np.ndarray | None:
    """``root``'s tangents when each leaf in ``seeds`` carries its batch of tangents.

    ``seeds`` pairs recorded nodes (usually leaves) with arrays of shape ``lead + node.shape``,
    the same ``lead`` for all. Nodes reached from ``root`` are visited in creation order (a node's
    inputs are older than it); a node that no seeded node reaches has tangent zero (None).
    Returns an array of shape ``lead + root.shape``, or None when ``root`` does not depend on the
    seeded nodes. Each tangent is dropped as soon as its last user has read it.
    """
    if not seeds:
        raise ValueError("sweep needs at least one (node, tangents) pair to seed.")
    lead = lead_shape(seeds[0][1], seeds[0][0].shape)
    seeded: dict[int, np.ndarray] = {}
    for node, tangents in seeds:
        if np.shape(tangents) != lead + node.shape:
            raise ValueError(
                f"sweep: tangents of shape {np.shape(tangents)} for a node of shape {node.shape}; "
                f"every seed must have shape batch + node.shape with one batch shape {lead}."
            )
        seeded[id(node)] = np.asarray(tangents, dtype=np.float64)
    if id(root) in seeded:
        return seeded[id(root)]
    order = topological_order(root)
    order.reverse()  # inputs first
    users: dict[int, int] = {}
    for node in order:
        for parent in node._parents:
            users[id(parent)] = users.get(id(parent), 0) + 1
    tangent = dict(seeded)
    for node in order:
        key = id(node)
        if key in seeded or node._op is None:
            continue
        parents = node._parents
        ts = [tangent.get(id(p)) for p in parents]
        for p in parents:
            left = users[id(p)] - 1
            users[id(p)] = left
            if left == 0 and id(p) not in seeded:
                tangent.pop(id(p), None)
        t = push_batch(node._op, ts, tuple(p.data for p in parents), node.data, node._aux, lead)
        if t is not None:
            tangent[key] = t
    return tangent.get(id(root))


__all__ = [
    "BATCHED",
    "COLUMNS",
    "ELEMENTWISE",
    "batch_kind",
    "declare_batched",
    "push_batch",
    "sweep",
]
