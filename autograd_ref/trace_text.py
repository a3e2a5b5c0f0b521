"""How traces print: the lectures' notation (v₋₁, v̇₂, v̄₃, x₁), one trace line (:class:`Node`)
and the aligned text / HTML table every trace view returns (:class:`TraceTable`)."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# ------------------------------------------------------------------------------- notation
SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")
SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
DOT = "\u0307"  # combining dot above: v̇
BAR = "\u0304"  # combining macron: v̄


def sub(i: int) -> str:
    return str(i).translate(SUB)


def vname(i: int) -> str:
    return "v" + sub(i)


def vdot(i: int) -> str:
    return "v" + DOT + sub(i)


def vbar(i: int) -> str:
    return "v" + BAR + sub(i)


def const_text(c: float) -> str:
    """A constant as it appears inside an expression: 2, 0.5, (−3)."""
    text = str(int(c)) if c.is_integer() and abs(c) < 1e15 else repr(c)
    return f"({text.replace('-', '−')})" if c < 0 or text.startswith("-") else text


def power_text(base: str, exponent: float) -> str:
    if exponent == 1.0:
        return base
    if exponent.is_integer() and abs(exponent) < 1e6:
        return base + str(int(exponent)).translate(SUP)
    return f"{base}^{const_text(exponent)}"


def value_text(x: float) -> str:
    return repr(float(x))


def pow_const_partial_text(d: str, a: str, c: float) -> str:
    """d/da a^c = c a^(c−1), with the exponent worked out."""
    if c == 1.0:
        return d
    factor = const_text(c)
    rest = power_text(a, c - 1.0)
    return f"{d} × {factor}" if c - 1.0 == 0.0 else f"{d} × {factor} × {rest}"


def fsum_left(terms: list[float]) -> float:
    """Left-to-right sum, 0.0 for none; + 0.0 turns a −0.0 (from −1 × 0) into a plain 0.0."""
    total = terms[0] if terms else 0.0
    for t in terms[1:]:
        total += t
    return total + 0.0


def join_terms(terms: Sequence[str]) -> str:
    """'a', '−b', 'c' -> 'a − b + c'."""
    out = ""
    for t in terms:
        negative = t.startswith("−")
        body = t[1:] if negative else t
        if not out:
            out = t
        else:
            out += (" − " if negative else " + ") + body
    return out or "0"



# ---------------------------------------------------------------------------------- nodes
@dataclass(frozen=True, slots=True)
class Node:
    """One line of the trace, ``vᵢ = expr``.

    ``args`` holds node indices (``int``, lecture numbering) and constants (``float``): the
    type tells them apart, since every constant is stored as a float.
    """

    index: int
    op: str  # "input" or an operation name: "add", "mul", "log", ...
    args: tuple[int | float, ...]
    value: float
    expr: str
    aux: Any = None  # the row's non-differentiable extra (clip's bounds), None for most

    @property
    def name(self) -> str:
        """``v₋₁``, ``v₀``, ``v₁``, … (Unicode subscripts)."""
        return vname(self.index)

    @property
    def key(self) -> str:
        """ASCII-safe name: ``v_-1``, ``v_0``, ``v_1``, …"""
        return f"v_{self.index}"

    @property
    def node_args(self) -> tuple[int, ...]:
        """The indices of the nodes this one is computed from (constants left out)."""
        return tuple(a for a in self.args if isinstance(a, int))



# ---------------------------------------------------------------------------------- tables
def nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def text_width(text: str) -> int:
    """Columns ``text`` occupies in a monospace font (combining marks take none)."""
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - text_width(text))


class TraceTable:
    """A trace as a table: prints as aligned text, renders as HTML in Jupyter, data in ``rows``.

    ``rows`` is a list of dicts, one per node, each with at least ``"name"`` (``v₁``),
    ``"key"`` (``v_1``), ``"index"`` (1), ``"expr"`` (``ln v₋₁``) and ``"value"`` (the primal
    value), plus the tangent or adjoint columns of that table. ``footer`` holds the lines that
    name the outputs (``y = v₅ = …``) or the gradient (``x̄₁ = v̄₋₁ = …``).

    All text is in Unicode normal form NFC: letters with a dot or bar that exist as one character
    (ẋ, ẏ, ȳ) use it; the others (v̇, v̄, x̄) are a letter plus a combining mark. Normalise a string
    with ``unicodedata.normalize("NFC", s)`` before comparing it with a cell.
    """

    def __init__(
        self, title: str, columns: Sequence[tuple[str, str]], rows: list[dict], footer: list[str]
    ):
        self.title = nfc(title)
        self.columns = [(key, nfc(header)) for key, header in columns]  # the columns shown
        self.rows = [{k: nfc(v) for k, v in row.items()} for row in rows]
        self.footer = [nfc(line) for line in footer]

    def __len__(self) -> int:
        return len(self.rows)

    @staticmethod
    def _cell(value: Any) -> str:
        if isinstance(value, float):
            return value_text(value)
        return str(value)

    def _grid(self) -> list[list[str]]:
        header = [h for _, h in self.columns]
        return [header] + [[self._cell(row[k]) for k, _ in self.columns] for row in self.rows]

    def __str__(self) -> str:
        grid = self._grid()
        widths = [max(text_width(r[j]) for r in grid) for j in range(len(self.columns))]
        lines = [
            " | ".join(pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in grid
        ]
        rule = "-+-".join("-" * w for w in widths)
        return "\n".join([self.title, lines[0], rule, *lines[1:], *self.footer])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        head = "".join(f"<th>{e(h)}</th>" for _, h in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{e(self._cell(row[k]))}</td>" for k, _ in self.columns) + "</tr>"
            for row in self.rows
        )
        n = len(self.columns)
        foot = "".join(f'<tr><td colspan="{n}">{e(line)}</td></tr>' for line in self.footer)
        return (
            f'<table class="autograd-ref-trace"><caption>{e(self.title)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody><tfoot>{foot}</tfoot></table>"
        )


