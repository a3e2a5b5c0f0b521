"""Pytrees: nested dicts, lists and tuples of numbers and arrays, flattened to a list and back.

The transforms (:func:`autograd_ref.grad` and friends) accept such structures as arguments and
outputs, as JAX does, so a model's parameters can be a dict of arrays and its gradient a dict of
the same shape. They work on the flat list of leaves and rebuild the structure at the end, so the
differentiation code never sees containers.

Conventions (JAX's, so code moves over unchanged):

* containers are ``dict``, ``list``, ``tuple``, named tuples and ``None`` (a container with no
  leaves); everything else is a leaf, including numpy arrays, Tensors and Scalars;
* a dict's children come in sorted key order, and a rebuilt dict has its keys in that order, so
  two dicts with the same keys have the same structure whatever order they were written in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_CONTAINERS = (dict, list, tuple)


class TreeDef:
    """The shape of a pytree without its leaves: what :func:`tree_unflatten` needs to rebuild it.

    Two trees have equal ``TreeDef``\\ s when they have the same containers, the same dict keys and
    the same number of leaves in the same places. ``str(treedef)`` draws it with ``*`` for each
    leaf, e.g. ``{'b': *, 'w': [*, *]}``, which is what error messages show.
    """

    __slots__ = ("kind", "meta", "children", "num_leaves")

    def __init__(self, kind: str, meta: Any = None, children: tuple[TreeDef, ...] = ()):
        self.kind = kind  # "leaf", "none", "tuple", "list", "dict" or "namedtuple"
        self.meta = meta  # sorted keys of a dict, the class of a named tuple, else None
        self.children = children
        n = 1 if kind == "leaf" else 0
        for c in children:
            n += c.num_leaves
        self.num_leaves: int = n

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TreeDef)
            and self.kind == other.kind
            and self.meta == other.meta
            and self.children == other.children
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.meta, self.children))

    def __str__(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = [str(c) for c in self.children]
        if self.kind == "dict":
            return (
                "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.meta, inner, strict=True)) + "}"
            )
        if self.kind == "list":
            return "[" + ", ".join(inner) + "]"
        if self.kind == "namedtuple":
            fields = zip(self.meta._fields, inner, strict=True)
            return f"{self.meta.__name__}(" + ", ".join(f"{k}={c}" for k, c in fields) + ")"
        return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"

    def __repr__(self) -> str:
        return f"TreeDef({self})"


LEAF = TreeDef("leaf")


def _sorted_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        raise TypeError(
            f"a dict in a pytree needs keys that can be sorted (all strings, or all numbers); "
            f"got keys {list(d)!r}. Use string keys."
        ) from None


def tree_flatten(tree: Any) -> tuple[list, TreeDef]:
    """The leaves of ``tree``, left to right (dicts in sorted key order), and its structure."""
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list) -> TreeDef:
    if tree is None:
        return TreeDef("none")
    kind = type(tree)
    if kind is dict or isinstance(tree, dict):
        keys = _sorted_keys(tree)
        return TreeDef("dict", keys, tuple(_flatten(tree[k], leaves) for k in keys))
    if kind is list or kind is tuple or isinstance(tree, (list, tuple)):
        children = tuple(_flatten(x, leaves) for x in tree)
        if isinstance(tree, tuple) and hasattr(tree, "_fields"):
            return TreeDef("namedtuple", kind, children)
        return TreeDef("list" if isinstance(tree, list) else "tuple", None, children)
    leaves.append(tree)
    return LEAF


def tree_unflatten(treedef: TreeDef, leaves: list | tuple) -> Any:
    """The tree of structure ``treedef`` holding ``leaves`` (inverse of :func:`tree_flatten`)."""
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise ValueError(
            f"tree_unflatten: the structure {treedef} has {treedef.num_leaves} leaves but "
            f"{len(leaves)} were given."
        )
    return _build(treedef, iter(leaves))


def _build(treedef: TreeDef, leaves) -> Any:
    kind = treedef.kind
    if kind == "leaf":
        return next(leaves)
    if kind == "none":
        return None
    children = [_build(c, leaves) for c in treedef.children]
    if kind == "dict":
        return dict(zip(treedef.meta, children, strict=True))
    if kind == "list":
        return children
    if kind == "namedtuple":
        return treedef.meta(*children)
    return tuple(children)


def tree_structure(tree: Any) -> TreeDef:
    """The structure of ``tree`` (its :class:`TreeDef`), without the leaves."""
    return tree_flatten(tree)[1]


def tree_leaves(tree: Any) -> list:
    """The leaves of ``tree`` in flattening order."""
    return tree_flatten(tree)[0]


def tree_map(fn: Callable, tree: Any, *rest: Any) -> Any:
    """Apply ``fn`` leaf by leaf: ``fn(leaf, *matching leaves of rest)``, in ``tree``'s structure.

    Every tree in ``rest`` must have ``tree``'s structure; otherwise a ValueError names both.
    """
    leaves, treedef = tree_flatten(tree)
    others = [flatten_like(treedef, r, "tree_map") for r in rest]
    return tree_unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others, strict=True)])


def flatten_like(treedef: TreeDef, tree: Any, what: str) -> list:
    """The leaves of ``tree``, which must have the structure ``treedef``; else a ValueError.

    ``what`` names the tree in the message (e.g. ``"vjp: the cotangent"``).
    """
    leaves, other = tree_flatten(tree)
    if other != treedef:
        raise ValueError(
            f"{what} has structure {other} but {treedef} was expected; they must match "
            "(the same containers, dict keys and number of leaves)."
        )
    return leaves


__all__ = [
    "LEAF",
    "TreeDef",
    "flatten_like",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_structure",
    "tree_unflatten",
]
