"""Products of arrays by index notation: ``einsum`` (a row of the rule table), and ``outer`` and
``diag`` (compositions of existing rows).

``einsum`` is the general multilinear map: its output is a sum of products of one entry of each
operand, so its derivative with respect to one operand is again an ``einsum``, of the output's
cotangent with the *other* operands, into that operand's subscripts:

* ``"ij,jk->ik"``: the cotangent of the first operand is ``einsum("ik,jk->ij", g, b)``, i.e.
  ``g @ b.T``, the familiar matmul rule.
* an index repeated in one operand (``"ii->i"``, the diagonal) reads only the diagonal, so its
  cotangent lives on the diagonal: the rule adds a constant identity matrix linking the two
  copies of the index (``einsum("i,iA->iA", g, eye)``).
* an index only that operand has and the output lacks (``"ij->i"``, summed out) receives the same
  cotangent at every position: the rule adds a constant vector of ones of that size.

The forward rule is the product rule: the output's tangent is the sum over operands ``i`` of the
einsum with operand ``i`` replaced by its tangent. Because both rules are einsums, a gradient of
an einsum is differentiable again by the same row.

Subscripts follow numpy: letters ``a-z`` and ``A-Z``, operands separated by commas, an optional
``->`` and output (without it the output is every index used once, in alphabetical order), and an
axis of size 1 broadcasts against the same index of size n. ``...`` stands for the remaining axes,
aligned from the right and broadcast, as in numpy.
"""

from __future__ import annotations

import string

import numpy as np

from .array_ops import array_input
from .elementwise import MUL, shape_of, sum_to
from .primitives import getitem, reshape, scatter
from .rules import Rule, call, register
from .tensor import Tensor

_PLAIN = (np.ndarray, np.generic, float, int)
_LETTERS = string.ascii_letters


# ------------------------------------------------------------------------------ parsing
def parse_einsum(subscripts: str, shapes: list[tuple]) -> tuple[tuple[str, ...], str]:
    """Check ``subscripts`` against the operands' ``shapes``; return (input terms, output term).

    Every problem is a ValueError that names the operand or index at fault and what to change.
    """
    if not isinstance(subscripts, str):
        raise TypeError(
            f"einsum: the first argument is the subscripts string, e.g. 'ij,jk->ik'; got "
            f"{type(subscripts).__name__}"
        )
    spec = subscripts.replace(" ", "")
    if "." in spec:
        spec = _expand_ellipsis(spec, shapes, subscripts)
    lhs, arrow, out = spec.partition("->")
    bad = sorted(set(lhs + out) - set(_LETTERS) - {","})
    if bad or "->" in out or (arrow and "," in out):
        raise ValueError(
            f"einsum: cannot read {subscripts!r}; write letters a-z/A-Z for indices, ',' between "
            "operands and one '->' before the output, e.g. 'ij,jk->ik'."
        )
    ins = tuple(lhs.split(","))
    if not shapes:
        raise ValueError("einsum needs at least one operand after the subscripts string.")
    if len(ins) != len(shapes):
        raise ValueError(
            f"einsum: {subscripts!r} describes {len(ins)} operand(s) but {len(shapes)} were "
            "given; pass one array per comma-separated group of indices."
        )
    sizes = letter_sizes(ins, shapes)
    if not arrow:
        out = "".join(sorted(c for c in sizes if lhs.count(c) == 1))
    for c in out:
        if out.count(c) > 1:
            raise ValueError(
                f"einsum: the output {out!r} repeats index {c!r}; each output index may appear "
                "once (take a diagonal with a repeated index on the input side, e.g. 'ii->i')."
            )
        if c not in sizes:
            raise ValueError(
                f"einsum: output index {c!r} of {subscripts!r} names no axis of any operand; "
                "every output index must appear on the input side."
            )
    return ins, out


def _expand_ellipsis(spec: str, shapes: list[tuple], subscripts: str) -> str:
    """Name the axes ``...`` stands for with unused letters, as numpy aligns them: from the right,
    the longest ``...`` setting how many; an implicit output starts with them."""
    lhs, arrow, out = spec.partition("->")
    terms = lhs.split(",")
    if any(t.count("...") > 1 or t.replace("...", "").count(".") for t in [*terms, out]):
        raise ValueError(f"einsum: cannot read {subscripts!r}; write '...' as three dots, once.")
    if len(terms) != len(shapes):
        return spec  # parse_einsum names the operand count mismatch
    spare = [c for c in _LETTERS if c not in spec]
    lengths = [len(shape) - len(t.replace("...", "")) if "..." in t else 0
               for t, shape in zip(terms, shapes, strict=True)]  # fmt: skip
    if any(n < 0 for n in lengths):
        raise ValueError(
            f"einsum: an operand of {subscripts!r} has fewer axes than its named indices."
        )
    longest = max(lengths, default=0)
    named = spare[:longest]
    terms = [
        t.replace("...", "".join(named[longest - n :])) for t, n in zip(terms, lengths, strict=True)
    ]
    if arrow:
        out = out.replace("...", "".join(named))
    else:
        rest = "".join(terms).replace(",", "")
        out = "".join(named) + "".join(
            sorted(c for c in rest if rest.count(c) == 1 and c not in named)
        )
    return ",".join(terms) + "->" + out


def letter_sizes(ins: tuple[str, ...], shapes) -> dict[str, int]:
    """The size of each index (sizes 1 broadcast against larger ones, as in numpy)."""
    sizes: dict[str, int] = {}
    for k, (term, shape) in enumerate(zip(ins, shapes, strict=True)):
        if len(term) != len(shape):
            raise ValueError(
                f"einsum: operand {k} has {len(shape)} axes (shape {tuple(shape)}) but its "
                f"subscripts {term!r} name {len(term)}; give exactly one letter per axis."
            )
        local: dict[str, int] = {}
        for c, n in zip(term, shape, strict=True):
            if local.setdefault(c, n) != n:
                raise ValueError(
                    f"einsum: index {c!r} appears twice in operand {k} ({term!r}) with sizes "
                    f"{local[c]} and {n}; a repeated index takes a diagonal, which needs equal "
                    "sizes."
                )
            seen = sizes.get(c)
            if seen is None or seen == 1:
                sizes[c] = n
            elif n not in (1, seen):
                raise ValueError(
                    f"einsum: index {c!r} has size {seen} in one operand and {n} in operand {k} "
                    f"({term!r}); an index must have one size everywhere (or 1, which "
                    "broadcasts)."
                )
    return sizes


# ---------------------------------------------------------------------- the rule's pieces
def _einsum_array(ins, out: str, xs) -> np.ndarray:
    # numpy's optimised path (a contraction order, tensordot on BLAS) costs about 10 us of
    # planning: worth it for three or more operands or large ones (4x faster at 200x200 matmul),
    # not for the small arrays of a lecture (2 us without it)
    big = len(xs) > 2 or sum(np.size(x) for x in xs) > 4096
    return np.einsum(",".join(ins) + "->" + out, *xs, optimize="greedy" if big else False)


def contract(ins, out: str, operands):
    """The einsum ``ins -> out`` of ``operands``: numpy on arrays, the row on Tensors."""
    if all(isinstance(x, _PLAIN) for x in operands):
        return _einsum_array(ins, out, operands)
    return call(EINSUM, tuple(operands), (tuple(ins), out))


def _cotangent(i: int, g, xs, aux):
    """Operand ``i``'s cotangent: ``g`` contracted with the other operands into ``ins[i]``."""
    ins, out = aux
    shapes = [shape_of(x) for x in xs]
    sizes = letter_sizes(ins, shapes)
    term = ins[i]
    taken = set(out).union(*ins)
    fresh = (c for c in _LETTERS if c not in taken)
    terms = [out] + [t for j, t in enumerate(ins) if j != i]
    operands = [g] + [x for j, x in enumerate(xs) if j != i]
    full = set(out) | {
        c for j, t in enumerate(ins) if j != i for c, n in zip(t, shapes[j], strict=True)
        if n == sizes[c]
    }  # fmt: skip
    target = []
    for c in term:
        if c in target:  # a repeated index: the cotangent sits on the diagonal
            link = next(fresh, None)
            if link is None:
                raise ValueError("einsum: too many indices to differentiate (52 letters at most)")
            target.append(link)
            terms.append(c + link)
            operands.append(np.eye(sizes[c]))
        else:
            target.append(c)
            if c not in full and term.count(c) == 1:  # summed out: every position gets g
                terms.append(c)
                operands.append(np.ones(sizes[c]))
    return sum_to(contract(terms, "".join(target), operands), shapes[i])


def _einsum_vjp(g, xs, out, aux):
    return tuple(_cotangent(i, g, xs, aux) for i in range(len(xs)))


def _einsum_jvp(ts, xs, out, aux):
    ins, target = aux
    result = None
    for i, t in enumerate(ts):
        if t is None or (isinstance(t, np.ndarray) and not t.any()):
            continue  # a zero tangent contributes nothing
        operands = list(xs)
        operands[i] = t
        part = contract(ins, target, operands)
        result = part if result is None else result + part
    return np.zeros(shape_of(out)) if result is None else result


EINSUM = register(  # aux: (input terms, output term); any number of inputs
    Rule(
        "einsum",
        lambda xs, aux: _einsum_array(aux[0], aux[1], xs),
        _einsum_vjp,
        _einsum_jvp,
        nargs=None,
        doc="Sums of products by index notation. VJP of operand i: an einsum into its indices.",
    )
)


# ------------------------------------------------------------------- the public functions
def einsum(subscripts: str, *operands):
    """``np.einsum(subscripts, *operands)``, differentiable in every operand.

    >>> einsum("ij,jk->ik", a, b)   # a @ b
    >>> einsum("ii->", a)           # trace
    >>> einsum("bi,bi->b", u, v)    # row-wise dot products

    ``...`` broadcasts leading axes as numpy does. A wrong number of operands, an
    operand whose number of axes differs from its subscripts, or an index with two different
    sizes is a ValueError saying which.
    """
    if not isinstance(subscripts, str):
        parse_einsum(subscripts, [])  # the error explaining the argument order
    xs = tuple(array_input(x, "einsum") for x in operands)
    aux = parse_einsum(subscripts, [tuple(x.shape) for x in xs])
    return call(EINSUM, xs, aux)


def outer(a, b):
    """The outer product ``a[i] * b[j]``, as ``np.outer`` (inputs of any shape are flattened).

    A reshape of each input and a broadcasting multiplication, so no rule of its own.
    """
    a, b = array_input(a, "outer"), array_input(b, "outer")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.outer(a, b)
    return call(MUL, (reshape(a, (-1, 1)), reshape(b, (1, -1))))


def diag(x, k: int = 0):
    """``np.diag``: a 1-D input becomes a square matrix with it on diagonal ``k``; a 2-D input
    gives its diagonal ``k`` (``k > 0`` above the main diagonal, ``k < 0`` below).

    Built from indexing with integer arrays (2-D) and its adjoint, scatter (1-D), so the gradient
    of a diagonal is a matrix that is zero off it, and the other way round.
    """
    x = array_input(x, "diag")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"diag: k (which diagonal) must be an integer; got {k!r}")
    k = int(k)
    if len(x.shape) not in (1, 2):
        raise ValueError(
            f"diag: the input must be 1-D (to build a matrix) or 2-D (to read a diagonal); got "
            f"shape {tuple(x.shape)}. Use einsum (e.g. 'bii->bi') for stacks of matrices."
        )
    if not isinstance(x, Tensor):
        return np.diag(x, k)
    below, above = max(-k, 0), max(k, 0)
    if len(x.shape) == 1:
        n = x.shape[0]
        index = (np.arange(n) + below, np.arange(n) + above)
        return scatter(x, index, (n + abs(k), n + abs(k)))
    rows, cols = x.shape
    length = max(0, min(rows - below, cols - above))
    return getitem(x, (np.arange(length) + below, np.arange(length) + above))


__all__ = ["EINSUM", "contract", "diag", "einsum", "letter_sizes", "outer", "parse_einsum"]
