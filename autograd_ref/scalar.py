"""Reverse-mode automatic differentiation on single numbers.

Every arithmetic operation on a :class:`Scalar` creates a new node that remembers its inputs
(``_parents``), the primitive that made it (``_op``) and, for a few primitives, one extra number
(``_aux``, e.g. a constant exponent). Nothing else: the node holds no closure, so the graph has no
reference cycles and is freed by reference counting the moment the last output goes out of scope,
however large it is.

Each primitive's local derivative lives once, in the :data:`PRIMITIVES` table, as a vector-Jacobian
product ``vjp(g, inputs, out, aux) -> input cotangents``. The rules are written with ordinary
operators and the dispatching functions of :mod:`autograd_ref.functions`, so the same rule runs on
floats (a normal backward pass) and on Scalars (``create_graph``: the gradient is itself a graph,
which is how ``grad(grad(f))`` works).

The backward pass orders nodes by creation number, which is a topological order because a node's
inputs always exist before it. Finding the nodes is an explicit-stack traversal: no recursion, so a
chain of a million operations is fine.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from itertools import count
from typing import NamedTuple

import numpy as np

from . import _numeric
from . import functions as F
from ._checks import operand_error, to_float

_creation = count()


class Primitive(NamedTuple):
    """One differentiable operation: its name (for traces and errors) and its VJP."""

    name: str
    vjp: Callable


def _div(a, b):
    return _numeric.div(a, b) if type(a) is float and type(b) is float else a / b


def _pow(a, b):
    return _numeric.power(a, b) if type(a) is float and type(b) is float else a**b


def _step(x) -> float:
    return 1.0 if x > 0 else 0.0


def _sign(x) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


# Each rule: vjp(g, inputs, out, aux) -> one cotangent per input. `inputs` and `out` are floats in
# an ordinary backward pass and Scalars when the gradient must itself be differentiable.
ADD = Primitive("add", lambda g, xs, out, aux: (g, g))
SUB = Primitive("sub", lambda g, xs, out, aux: (g, -g))
MUL = Primitive("mul", lambda g, xs, out, aux: (g * xs[1], g * xs[0]))
DIV = Primitive("div", lambda g, xs, out, aux: (_div(g, xs[1]), -_div(g * out, xs[1])))
NEG = Primitive("neg", lambda g, xs, out, aux: (-g,))
# a ** c for a constant c (kept in aux): the exponent is not a node and gets no gradient.
POW_CONST = Primitive("pow", lambda g, xs, out, aux: (g * aux * _pow(xs[0], aux - 1.0),))
# a ** b with b a Scalar. d/db = a**b ln a is nan for a <= 0: ln is undefined there.
POW = Primitive(
    "pow",
    lambda g, xs, out, aux: (g * xs[1] * _pow(xs[0], xs[1] - 1.0), g * out * F.log(xs[0])),
)
EXP = Primitive("exp", lambda g, xs, out, aux: (g * out,))
LOG = Primitive("log", lambda g, xs, out, aux: (_div(g, xs[0]),))
SIN = Primitive("sin", lambda g, xs, out, aux: (g * F.cos(xs[0]),))
COS = Primitive("cos", lambda g, xs, out, aux: (-g * F.sin(xs[0]),))
TAN = Primitive("tan", lambda g, xs, out, aux: (g * (1.0 + out * out),))
TANH = Primitive("tanh", lambda g, xs, out, aux: (g * (1.0 - out * out),))
SIGMOID = Primitive("sigmoid", lambda g, xs, out, aux: (g * out * (1.0 - out),))
RELU = Primitive("relu", lambda g, xs, out, aux: (g * _step(xs[0]),))
SQRT = Primitive("sqrt", lambda g, xs, out, aux: (_div(g * 0.5, out),))
ABS = Primitive("abs", lambda g, xs, out, aux: (g * _sign(xs[0]),))

PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for p in (ADD, SUB, MUL, DIV, NEG, POW, EXP, LOG, SIN, COS, TAN, TANH, SIGMOID, RELU, SQRT, ABS)
}


@F.register_ad_type
class Scalar:
    """A number that records how it was computed, so ``backward()`` can find its gradient.

    >>> x = Scalar(2.0); y = x * x + x
    >>> y.backward(); x.grad
    5.0

    ``==`` compares identity (nodes are hashable); compare ``.value`` for numbers. ``float(x)`` is
    refused on purpose: it would silently cut the graph. Use ``x.value``.
    """

    __slots__ = ("value", "grad", "_parents", "_op", "_aux", "_order", "_g")

    def __init__(self, value, _parents: tuple = (), _op: Primitive | None = None, _aux=None):
        self.value: float = value if type(value) is float else to_float(value, "Scalar")
        self.grad: float = 0.0
        self._parents = _parents
        self._op = _op
        self._aux = _aux
        self._order = next(_creation)
        self._g = 0.0

    # ------------------------------------------------------------------ building the graph
    @staticmethod
    def _lift(other, op: str, left):
        if isinstance(other, Scalar):
            return other
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return Scalar(float(other))
        if isinstance(other, np.ndarray):
            return NotImplemented  # let numpy broadcast the operation over an object array
        raise operand_error(op, left, other)

    def __add__(self, other):
        other = Scalar._lift(other, "+", self)
        if other is NotImplemented:
            return other
        return Scalar(self.value + other.value, (self, other), ADD)

    def __radd__(self, other):
        return Scalar._lift(other, "+", other) + self

    def __sub__(self, other):
        other = Scalar._lift(other, "-", self)
        if other is NotImplemented:
            return other
        return Scalar(self.value - other.value, (self, other), SUB)

    def __rsub__(self, other):
        return Scalar._lift(other, "-", other) - self

    def __mul__(self, other):
        other = Scalar._lift(other, "*", self)
        if other is NotImplemented:
            return other
        return Scalar(self.value * other.value, (self, other), MUL)

    def __rmul__(self, other):
        return Scalar._lift(other, "*", other) * self

    def __truediv__(self, other):
        other = Scalar._lift(other, "/", self)
        if other is NotImplemented:
            return other
        return Scalar(_numeric.div(self.value, other.value), (self, other), DIV)

    def __rtruediv__(self, other):
        return Scalar._lift(other, "/", other) / self

    def __pow__(self, other):
        if isinstance(other, Scalar):
            return Scalar(_numeric.power(self.value, other.value), (self, other), POW)
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            c = float(other)
            return Scalar(_numeric.power(self.value, c), (self,), POW_CONST, c)
        if isinstance(other, np.ndarray):
            return NotImplemented
        raise operand_error("**", self, other)

    def __rpow__(self, other):
        return Scalar._lift(other, "**", other) ** self

    def __neg__(self):
        return Scalar(-self.value, (self,), NEG)

    def __pos__(self):
        return self

    def _unary(self, op: Primitive) -> Scalar:
        return Scalar(_numeric.FLOAT[op.name](self.value), (self,), op)

    def exp(self):
        return self._unary(EXP)

    def log(self):
        return self._unary(LOG)

    def sin(self):
        return self._unary(SIN)

    def cos(self):
        return self._unary(COS)

    def tan(self):
        return self._unary(TAN)

    def tanh(self):
        return self._unary(TANH)

    def sigmoid(self):
        return self._unary(SIGMOID)

    def relu(self):
        return self._unary(RELU)

    def sqrt(self):
        return self._unary(SQRT)

    def abs(self):
        return self._unary(ABS)

    __abs__ = abs

    # -------------------------------------------------------------------------- comparisons
    def __lt__(self, other):
        return self.value < _value(other)

    def __le__(self, other):
        return self.value <= _value(other)

    def __gt__(self, other):
        return self.value > _value(other)

    def __ge__(self, other):
        return self.value >= _value(other)

    __hash__ = object.__hash__

    def __float__(self):
        raise TypeError(
            "float(Scalar) would drop the gradient (math.* functions call it). Use ad.exp, "
            "ad.log, ... on Scalars, or read the number with .value."
        )

    def __repr__(self) -> str:
        return f"Scalar(value={self.value!r}, grad={self.grad!r})"

    # ---------------------------------------------------------------------------- backward
    def backward(self) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node this value depends on.

        Gradients accumulate across calls, as in PyTorch: reset ``.grad`` (or build a fresh graph)
        before a second pass if you want the gradient of that pass alone.
        """
        order = _backprop(self, 1.0, create_graph=False)
        for node in order:
            node.grad += node._g
            node._g = 0.0


def _value(x):
    return x.value if isinstance(x, Scalar) else x


def topological_order(root: Scalar) -> list[Scalar]:
    """Every node ``root`` depends on, outputs before inputs; iterative, so depth is unlimited."""
    seen = {id(root)}
    order = [root]
    stack = [root]
    pop, push, keep, mark = stack.pop, stack.append, order.append, seen.add
    while stack:
        for parent in pop()._parents:
            if id(parent) not in seen:
                mark(id(parent))
                keep(parent)
                push(parent)
    order.sort(key=_creation_order, reverse=True)
    return order


def _creation_order(node: Scalar) -> int:
    return node._order


def _backprop(root: Scalar, seed, create_graph: bool) -> list[Scalar]:
    """Set ``node._g`` to d(root)/d(node) for every node; return the nodes in the order used.

    With ``create_graph`` the cotangents are Scalars built from the nodes themselves, so the
    result can be differentiated again. The caller resets ``_g`` afterwards.
    """
    order = topological_order(root)
    for node in order:
        node._g = 0.0
    root._g = seed
    for node in order:
        op = node._op
        if op is None:
            continue
        g = node._g
        parents = node._parents
        if create_graph:
            grads = op.vjp(g, parents, node, node._aux)
        elif op is ADD:  # the two commonest rules, inlined: same maths as the table, no call
            parents[0]._g += g
            parents[1]._g += g
            continue
        elif op is MUL:
            a, b = parents
            a._g += g * b.value
            b._g += g * a.value
            continue
        else:
            grads = op.vjp(g, [p.value for p in parents], node.value, node._aux)
        for parent, gp in zip(parents, grads, strict=True):
            parent._g = parent._g + gp
    return order
