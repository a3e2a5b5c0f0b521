"""Fresh leaves for the transforms: the nodes a transform differentiates with respect to.

A transform never reads gradients from the value it was handed (other uses of it would add their
contributions: perturbation confusion); it makes a fresh node, linked to the original when an
enclosing transform differentiates through it, and seeds that.
"""

from __future__ import annotations

from . import primitives as P
from . import recording as R
from .tensor import Tensor, make_tensor, next_order


def linked_leaf(x: Tensor) -> Tensor:
    """A fresh node holding ``x``'s numbers, to differentiate with respect to.

    It is a new node, so the gradient read from it belongs to this one computation, even when
    ``x`` is used elsewhere too (no perturbation confusion between nested transforms). When ``x``
    itself records a graph (an enclosing transform differentiates through it) the new node is
    linked to ``x`` by an identity operation, and it carries ``x``'s forward-mode tangent.
    """
    leaf = make_tensor(x._data, requires_grad=True)
    if x.requires_grad and R.GRAD_ENABLED:
        leaf._parents = (x,)
        leaf._op = P.IDENTITY
        leaf._order = next_order()
    if x._tangent is not None:
        leaf._tangent = dict(x._tangent)
    return leaf


def forward_leaf(x, level: int, tangent) -> Tensor:
    """A fresh node for ``jvp`` to seed: ``x``'s numbers with ``tangent`` at forward ``level``.

    It keeps what ``x`` carries for enclosing transforms (its graph link when ``x`` records
    gradients, its tangents at outer levels), and records nothing new otherwise.
    """
    if isinstance(x, Tensor):
        if x.requires_grad and R.GRAD_ENABLED:
            leaf = linked_leaf(x)
        else:
            leaf = make_tensor(x._data)
            if x._tangent is not None:
                leaf._tangent = dict(x._tangent)
    else:
        leaf = make_tensor(x)
    tangents = leaf._tangent if leaf._tangent is not None else {}
    tangents[level] = tangent
    leaf._tangent = tangents
    return leaf


# ---------------------------------------------------------------------- applying primitives
