"""Reverse-mode automatic differentiation on single numbers.

Every arithmetic operation on a :class:`Scalar` creates a new node that remembers its inputs
(``_parents``), the primitive that made it (``_op``) and, for a few primitives, one extra number
(``_aux``, e.g. a constant exponent). Nothing else: the node holds no closure, so the graph has no
reference cycles and is freed by reference counting the moment the last output goes out of scope,
however large it is.

A node's ``_op`` is a row of the rule table (:mod:`autograd_ref.rules`), where each function's
vector-Jacobian product is written once for every value type. The rules are written with ordinary
operators and the library's own functions, so the same rule runs on floats (a normal backward
pass) and on Scalars (``create_graph``: the gradient is itself a graph, which is how
``grad(grad(f))`` works). The elementary methods (``x.exp()``) are made from the same rows.

Order. A node's inputs always exist before it, so processing nodes from the newest to the oldest
(by a creation number, ``_order``) visits every node after all the nodes that consume it: a
topological order found without recursion, so a chain of a million operations is fine.

Speed. A node is one object with ``__slots__`` (its inputs in two slots, not a tuple), built
without calling ``__init__``: half the allocations of a tuple-of-parents design and nothing for the
cycle collector to untangle. :meth:`Scalar.backward` is the hot path of every training loop, so it
fuses the three jobs (finding the nodes, ordering them, applying the rules) into one loop: a node
created ``i`` operations before the output goes to position ``i`` of a list, which is walked in
order; leaf gradients go straight to ``.grad``; the rules of the commonest primitives are inlined.
The inlined lines compute exactly what the table's rules compute, and the tests check the two
paths against each other, bit for bit, on every primitive and on random graphs. Both passes live
in :mod:`autograd_ref.scalar_backward`; ``backprop`` there is the plain, table-only pass used by
:func:`autograd_ref.grad` (and for ``create_graph``).
benchmarks/scalar_engine.py measures the result against a closure-per-node engine.
"""

from __future__ import annotations

import numbers
from itertools import count

import numpy as np

from . import _numeric
from ._checks import operand_error, to_float
from .elementwise import (
    ADD,
    DIV,
    IDENTITY,
    MUL,
    NEG,
    POW,
    POW_CONST,
    SUB,
    UNARY,
)
from .elementwise_extra import MOD
from .rules import Rule, register_ad_type
from .scalar_backward import backward as fused_backward

# Creation numbers count down, so the newest node has the smallest key and a min-heap (or an
# ascending sort) yields outputs before their inputs.
_next_order = count(0, -1).__next__
_new = object.__new__


def _unary_method(rule: Rule):
    """``x.exp()`` & co. for Scalar, made from the row: value on floats, the row as the op."""
    on_float = rule.on_float

    def method(self):
        return _node(on_float(self.value), self, None, rule)

    method.__name__ = method.__qualname__ = rule.name
    method.__doc__ = rule.doc
    return method


_fdiv, _fpow = _numeric.div, _numeric.power


@register_ad_type
class Scalar:
    """A number that records how it was computed, so ``backward()`` can find its gradient.

    >>> x = Scalar(2.0); y = x * x + x
    >>> y.backward(); x.grad
    5.0

    Comparisons (``<``, ``==``, ...) compare values and return a bool, recording nothing; nodes
    hash by identity, so they can be kept in sets and dicts as graph code does. ``float(x)`` is
    refused on purpose: it would silently cut the graph. Use ``x.value``.
    """

    # The inputs live in two slots, _a and _b (None when absent), not in a tuple: one object per
    # node instead of two halves the allocations and the garbage collector's work. _g is the
    # cotangent accumulated during a backward pass; it is 0.0 outside one.
    __slots__ = ("value", "grad", "_a", "_b", "_op", "_aux", "_order", "_g", "__weakref__")
    requires_grad = True  # every Scalar node takes part in differentiation (the graph module asks)

    def __init__(self, value, _parents: tuple = (), _op: Rule | None = None, _aux=None):
        self.value: float = value if type(value) is float else to_float(value, "Scalar")
        self.grad: float = 0.0
        self._g = 0.0
        if len(_parents) > 2 or (_op is None) != (not _parents):
            raise ValueError("a Scalar is a leaf (no inputs, no op) or has 1-2 inputs and an op")
        self._a = _parents[0] if _parents else None
        self._b = _parents[1] if len(_parents) == 2 else None
        self._op = _op
        self._aux = _aux
        self._order = _next_order()

    @property
    def _parents(self) -> tuple:
        """The inputs of this node: () for a leaf, one or two Scalars otherwise."""
        a = self._a
        if a is None:
            return ()
        b = self._b
        return (a,) if b is None else (a, b)

    # ------------------------------------------------------------------ building the graph
    # The operators build nodes directly (no __init__ call: the value is already a float) and lift
    # float and int operands inline; node creation is most of the forward pass's cost.
    def __add__(self, other):
        if type(other) is not Scalar:
            other = _lift(other, "+", self)
            if other is NotImplemented:
                return other
        node = _new(Scalar)
        node.value = self.value + other.value
        node.grad = node._g = 0.0
        node._a = self
        node._b = other
        node._op = ADD
        node._aux = None
        node._order = _next_order()
        return node

    def __radd__(self, other):
        other = _lift(other, "+", self, reflected=True)
        return other if other is NotImplemented else other + self

    def __sub__(self, other):
        if type(other) is not Scalar:
            other = _lift(other, "-", self)
            if other is NotImplemented:
                return other
        return _node(self.value - other.value, self, other, SUB)

    def __rsub__(self, other):
        other = _lift(other, "-", self, reflected=True)
        return other if other is NotImplemented else other - self

    def __mul__(self, other):
        if type(other) is not Scalar:
            other = _lift(other, "*", self)
            if other is NotImplemented:
                return other
        node = _new(Scalar)
        node.value = self.value * other.value
        node.grad = node._g = 0.0
        node._a = self
        node._b = other
        node._op = MUL
        node._aux = None
        node._order = _next_order()
        return node

    def __rmul__(self, other):
        other = _lift(other, "*", self, reflected=True)
        return other if other is NotImplemented else other * self

    def __truediv__(self, other):
        if type(other) is not Scalar:
            other = _lift(other, "/", self)
            if other is NotImplemented:
                return other
        return _node(_fdiv(self.value, other.value), self, other, DIV)

    def __rtruediv__(self, other):
        other = _lift(other, "/", self, reflected=True)
        return other if other is NotImplemented else other / self

    def __pow__(self, other):
        if isinstance(other, Scalar):
            return _node(_fpow(self.value, other.value), self, other, POW)
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            c = float(other)
            return _node(_fpow(self.value, c), self, None, POW_CONST, c)
        if isinstance(other, np.ndarray):
            return NotImplemented
        raise operand_error("**", self, other)

    def __rpow__(self, other):
        other = _lift(other, "**", self, reflected=True)
        return other if other is NotImplemented else other**self

    def __mod__(self, other):
        o = _lift(other, "%", self)
        return o if o is NotImplemented else self.__ad_apply__(MOD, (self, o))

    def __rmod__(self, other):
        o = _lift(other, "%", self, reflected=True)
        return o if o is NotImplemented else self.__ad_apply__(MOD, (o, self))

    def __neg__(self):
        return _node(-self.value, self, None, NEG)

    def __pos__(self):
        return self

    # ---------------------------------------------------------------- elementary functions
    # x.exp(), x.log(), ... are made from the rule table's one-input rows below the class.
    def __ad_apply__(self, rule: Rule, args: tuple, aux=None) -> Scalar:
        """Apply any row of the rule table with a float form (``ad.maximum(x, 2.0)``, a user's
        own primitive): inputs become graph nodes, the row is the node's op."""
        if rule.scalar is None:
            raise TypeError(
                f"{rule.name} works on arrays (ad.Tensor), not on Scalar values; use a Tensor, "
                "or write it with Scalar operations."
            )
        nodes = []
        for a in args:
            node = a if type(a) is Scalar else _lift(a, rule.name, self)
            if node is NotImplemented:
                raise TypeError(
                    f"{rule.name}: a Scalar cannot be combined with a numpy array; use ad.Tensor "
                    "for arrays, or apply the function to each element."
                )
            nodes.append(node)
        if len(nodes) > 2:
            raise TypeError(
                f"{rule.name} takes {len(nodes)} inputs; a Scalar node holds one or two. Pass "
                "the others as keyword arguments (constants), or use ad.Tensor."
            )
        value = float(rule.scalar(tuple(n.value for n in nodes), aux))
        return _node(value, nodes[0], nodes[1] if len(nodes) == 2 else None, rule, aux)

    def __ad_constant__(self) -> float:
        return self.value

    def __abs__(self):
        return self.abs()

    # -------------------------------------------------------------------------- comparisons
    def __lt__(self, other):
        return self.value < _value(other)

    def __le__(self, other):
        return self.value <= _value(other)

    def __gt__(self, other):
        return self.value > _value(other)

    def __ge__(self, other):
        return self.value >= _value(other)

    def __eq__(self, other):
        if not isinstance(other, (Scalar, numbers.Real)):
            return NotImplemented
        return self.value == _value(other)

    def __ne__(self, other):
        if not isinstance(other, (Scalar, numbers.Real)):
            return NotImplemented
        return self.value != _value(other)

    __hash__ = object.__hash__

    def __float__(self):
        raise TypeError(
            "float(Scalar) would drop the gradient (math.* functions call it). Use ad.exp, "
            "ad.log, ... on Scalars, or read the number with .value."
        )

    def __bool__(self):
        # Truth testing is allowed (``if x:`` reads the value) but documented: it does not
        # record anything, so branches choose a piece of a piecewise function, as in PyTorch.
        return self.value != 0.0

    def __repr__(self) -> str:
        return f"Scalar(value={self.value!r}, grad={self.grad!r})"

    # ---------------------------------------------------------------------------- backward
    def backward(self, grad: float = 1.0) -> None:
        """Add ``grad`` times d(self)/d(node) to ``node.grad`` for every node this value depends
        on. ``grad`` (default 1) is the gradient of some final result with respect to ``self``,
        as in PyTorch's ``backward(gradient)`` and minitorch's ``backward(d_output)``.

        Gradients accumulate across calls, as in PyTorch: reset ``.grad`` (or build a fresh graph)
        before a second pass if you want the gradient of that pass alone.
        """
        if type(grad) is not float:
            grad = to_float(grad, "Scalar.backward(grad)")
        fused_backward(self, grad)


for _rule in UNARY:
    setattr(Scalar, _rule.name, _unary_method(_rule))


def creation_mark() -> int:
    """A creation number: every Scalar made after this call has a smaller one."""
    return _next_order()


def _node(value: float, a: Scalar, b: Scalar | None, op: Rule, aux=None) -> Scalar:
    """A new interior node (no input checks: ``value`` is already a float)."""
    node = _new(Scalar)
    node.value = value
    node.grad = node._g = 0.0
    node._a = a
    node._b = b
    node._op = op
    node._aux = aux
    node._order = _next_order()
    return node


def _leaf(value: float) -> Scalar:
    """A new leaf holding a float (a constant operand lifted into the graph)."""
    node = _new(Scalar)
    node.value = value
    node.grad = node._g = 0.0
    node._a = node._b = node._op = node._aux = None
    node._order = _next_order()
    return node


def linked_input(x: Scalar) -> Scalar:
    """A new node equal to ``x`` and linked to it by an identity, to differentiate with respect to.

    A transform that is handed a Scalar (from an enclosing transform) must not read gradients
    from that Scalar itself: other uses of it in the function would add their contributions too
    (perturbation confusion: ``grad(lambda x: grad(lambda y: x * y)(x))`` would see ``x * x``).
    A fresh node collects only the contributions of this computation, and the identity link
    lets the enclosing transform differentiate through it.
    """
    return _node(x.value, x, None, IDENTITY)


def _lift(other, op: str, this: Scalar, reflected: bool = False):
    """``other`` as a Scalar leaf (a constant), NotImplemented for arrays, else a clear error."""
    kind = type(other)
    if kind is float:
        return _leaf(other)
    if kind is int:
        return _leaf(float(other))
    if isinstance(other, Scalar):
        return other
    if isinstance(other, numbers.Real) and not isinstance(other, bool):
        return _leaf(float(other))
    if isinstance(other, np.ndarray):
        return NotImplemented  # numpy then applies the operator elementwise (an object array)
    raise operand_error(op, other, this) if reflected else operand_error(op, this, other)


def _value(x):
    return x.value if isinstance(x, Scalar) else x
