"""Evaluation traces (Wengert lists): a function broken into the elementary steps it performs.

``ad.trace(f, 2.0, 5.0)`` runs ``f`` once on *tracer* values. Every operator and every ``ad.*``
function applied to a tracer appends one line to a list, so the result is the straight-line
program the lectures call the evaluation trace, numbered as they number it:

* the n inputs are ``v₁₋ₙ … v₀`` (for two inputs ``v₋₁ = x₁`` and ``v₀ = x₂``);
* the intermediate results are ``v₁ … vₗ``; the output is ``y = vₗ`` (or several, see below).

From the list the three tables of the lectures follow mechanically: the primal trace (each value),
the forward tangent trace (each ``v̇ᵢ = ∂vᵢ/∂xⱼ``, one sweep per input) and the reverse adjoint
trace (each ``v̄ᵢ = ∂y/∂vᵢ``, one sweep back from ``ȳ = 1``).

Design decisions a reader should know:

* **Numbering.** Operations are listed by depth (distance from the inputs), ties in the order Python
  ran them. That is a valid evaluation order and it is the lectures' convention: for
  ``ln(x1) + x1*x2 - sin(x2)`` it gives ``v₃ = sin v₀`` and ``v₄ = v₁ + v₂`` exactly as on the
  slides, although Python computes the addition before the sine. ``order="recorded"`` keeps
  Python's order instead.
* **Constants are not nodes.** ``x * 2`` is one line, ``v₁ = v₋₁ × 2``; the 2 lives in the text.
* **Only what reaches an output is kept.** Results f computed and then ignored are dropped; every
  input is kept, and an input the output does not depend on simply gets ``x̄ = 0``.
* **Branches are recorded as taken.** Comparisons (``if x > 0:``) work on the recorded values, so
  the trace holds only the branch taken at these inputs: the graph is built anew by each run of
  the program, as in PyTorch ("define by run"). ``Trace.evaluate`` replays that straight-line
  program, so at inputs where f would take the other branch it does not equal f.
* **Several outputs.** If f returns a tuple, each element is an output ``y₁, y₂, …``. The tangent
  table shows every ``ẏⱼ`` (one column of the Jacobian); ``adjoint_table(output=j)`` seeds
  ``ȳⱼ = 1`` and gives one row.
* **A constant output is refused.** If f returns a plain number, nothing connects it to the
  inputs and there is no trace to show: :func:`trace` raises ``ValueError`` saying so. (Write
  ``0 * x + c`` if you really want a trace of a constant function.)

The tracer is one more interpreter of the rule table (:mod:`autograd_ref.rules`): a line's value is
its row's float form, its text the row's ``expr``, and the derivative numbers are the row's VJP
seeded with 1 (the local partial derivative), shown with the row's ``partial_text``. A function a
user adds with ``ad.primitive`` appears in traces with no further work.
"""

from __future__ import annotations

import html
import numbers
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

from ._checks import to_float
from .elementwise import POW_CONST, UNARY
from .rules import TABLE, Rule, register_ad_type

__all__ = ["Node", "Trace", "TraceTable", "trace"]

# ------------------------------------------------------------------------------- notation
_SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_DOT = "\u0307"  # combining dot above: v̇
_BAR = "\u0304"  # combining macron: v̄


def _sub(i: int) -> str:
    return str(i).translate(_SUB)


def _v(i: int) -> str:
    return "v" + _sub(i)


def _vdot(i: int) -> str:
    return "v" + _DOT + _sub(i)


def _vbar(i: int) -> str:
    return "v" + _BAR + _sub(i)


def _const_text(c: float) -> str:
    """A constant as it appears inside an expression: 2, 0.5, (−3)."""
    text = str(int(c)) if c.is_integer() and abs(c) < 1e15 else repr(c)
    return f"({text.replace('-', '−')})" if c < 0 or text.startswith("-") else text


def _power_text(base: str, exponent: float) -> str:
    if exponent == 1.0:
        return base
    if exponent.is_integer() and abs(exponent) < 1e6:
        return base + str(int(exponent)).translate(_SUP)
    return f"{base}^{_const_text(exponent)}"


def _value_text(x: float) -> str:
    return repr(float(x))


def _pow_const_partial_text(d: str, a: str, c: float) -> str:
    """d/da a^c = c a^(c−1), with the exponent worked out."""
    if c == 1.0:
        return d
    factor = _const_text(c)
    rest = _power_text(a, c - 1.0)
    return f"{d} × {factor}" if c - 1.0 == 0.0 else f"{d} × {factor} × {rest}"


def _sum(terms: list[float]) -> float:
    """Left-to-right sum, 0.0 for none; + 0.0 turns a −0.0 (from −1 × 0) into a plain 0.0."""
    total = terms[0] if terms else 0.0
    for t in terms[1:]:
        total += t
    return total + 0.0


def _join_terms(terms: Sequence[str]) -> str:
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
        return _v(self.index)

    @property
    def key(self) -> str:
        """ASCII-safe name: ``v_-1``, ``v_0``, ``v_1``, …"""
        return f"v_{self.index}"

    @property
    def node_args(self) -> tuple[int, ...]:
        """The indices of the nodes this one is computed from (constants left out)."""
        return tuple(a for a in self.args if isinstance(a, int))


# ------------------------------------------------------------------------------ recording
class _Tape:
    """The operations one call of f performs, in the order Python runs them."""

    def __init__(self) -> None:
        self.entries: list[_Tracer] = []

    def record(self, op: str, args: tuple, aux=None) -> _Tracer:
        values = tuple(a.value if isinstance(a, _Tracer) else a for a in args)
        value = TABLE[op].scalar(values, aux)
        return _Tracer(self, op, args, float(value), aux)


_ids = count()


@register_ad_type
class _Tracer:
    """The stand-in value f receives while it is being traced: a float that logs every operation.

    It behaves like a number for arithmetic, the ``ad.*`` functions and comparisons (which compare
    the recorded values, so ``if x > 0`` picks a branch). ``float(x)`` is refused because
    ``math.sin(x)`` would call it and the operation would vanish from the trace.
    """

    __slots__ = ("_tape", "_id", "_op", "_args", "_aux", "value")

    def __init__(self, tape: _Tape, op: str, args: tuple, value: float, aux=None):
        self._tape = tape
        self._id = next(_ids)
        self._op = op
        self._args = args
        self._aux = aux
        self.value = value
        tape.entries.append(self)

    def __ad_apply__(self, rule: Rule, args: tuple, aux=None) -> _Tracer:
        """Record a row of the rule table (an ``ad.*`` function or a user's primitive)."""
        if rule.scalar is None:
            raise TypeError(
                f"{rule.name} works on arrays (ad.Tensor); ad.trace records functions of numbers."
            )
        operands = tuple(self._operand(a, rule.name) for a in args)
        return self._tape.record(rule.name, operands, aux)

    def __ad_constant__(self) -> float:
        return self.value

    def _operand(self, other, symbol: str):
        if isinstance(other, _Tracer):
            if other._tape is not self._tape:
                raise ValueError(
                    "this operation mixes values from two different ad.trace calls; a trace "
                    "records one call of f. Do not keep traced values between calls."
                )
            return other
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return float(other)
        hint = ""
        if isinstance(other, bool):
            hint = " For a comparison result use float(condition), or an if statement."
        raise TypeError(
            f"unsupported operand type(s) for {symbol}: traced value and "
            f"'{type(other).__name__}'. ad.trace records arithmetic between the traced inputs "
            f"and plain numbers (int, float) only; Scalar, Dual and arrays cannot appear inside "
            f"a traced function.{hint}"
        )

    def _binary(self, op: str, symbol: str, other, reflected: bool = False) -> _Tracer:
        other = self._operand(other, symbol)
        args = (other, self) if reflected else (self, other)
        return self._tape.record(op, args)

    def __add__(self, other):
        return self._binary("add", "+", other)

    def __radd__(self, other):
        return self._binary("add", "+", other, reflected=True)

    def __sub__(self, other):
        return self._binary("sub", "-", other)

    def __rsub__(self, other):
        return self._binary("sub", "-", other, reflected=True)

    def __mul__(self, other):
        return self._binary("mul", "*", other)

    def __rmul__(self, other):
        return self._binary("mul", "*", other, reflected=True)

    def __truediv__(self, other):
        return self._binary("div", "/", other)

    def __rtruediv__(self, other):
        return self._binary("div", "/", other, reflected=True)

    def __pow__(self, other):
        return self._binary("pow", "**", other)

    def __rpow__(self, other):
        return self._binary("pow", "**", other, reflected=True)

    def __neg__(self):
        return self._tape.record("neg", (self,))

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    # Comparisons read the recorded values: the branch taken is recorded, the other is not.
    def _cmp_value(self, other, symbol: str) -> float:
        other = self._operand(other, symbol)
        return other.value if isinstance(other, _Tracer) else other

    def __lt__(self, other):
        return self.value < self._cmp_value(other, "<")

    def __le__(self, other):
        return self.value <= self._cmp_value(other, "<=")

    def __gt__(self, other):
        return self.value > self._cmp_value(other, ">")

    def __ge__(self, other):
        return self.value >= self._cmp_value(other, ">=")

    def __eq__(self, other):
        if not isinstance(other, (_Tracer, numbers.Real)):
            return NotImplemented
        return self.value == self._cmp_value(other, "==")

    def __ne__(self, other):
        if not isinstance(other, (_Tracer, numbers.Real)):
            return NotImplemented
        return self.value != self._cmp_value(other, "!=")

    __hash__ = None  # equality is by value, so tracers are not dictionary keys

    def __bool__(self) -> bool:
        return self.value != 0.0

    def __float__(self):
        raise TypeError(
            "float() of a traced value would take it out of the trace (math.sin, math.exp, ... "
            "call float()). Inside a traced function use ad.sin, ad.exp, ... instead."
        )

    def __repr__(self) -> str:
        return f"<traced value {self.value!r}>"


def _unary_method(rule: Rule):
    def method(self):
        return self.__ad_apply__(rule, (self,))

    method.__name__ = method.__qualname__ = rule.name
    method.__doc__ = rule.doc
    return method


for _rule in UNARY:
    setattr(_Tracer, _rule.name, _unary_method(_rule))


# ---------------------------------------------------------------------------------- tables
def _nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _width(text: str) -> int:
    """Columns ``text`` occupies in a monospace font (combining marks take none)."""
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


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
        self.title = _nfc(title)
        self.columns = [(key, _nfc(header)) for key, header in columns]  # the columns shown
        self.rows = [{k: _nfc(v) for k, v in row.items()} for row in rows]
        self.footer = [_nfc(line) for line in footer]

    def __len__(self) -> int:
        return len(self.rows)

    @staticmethod
    def _cell(value: Any) -> str:
        if isinstance(value, float):
            return _value_text(value)
        return str(value)

    def _grid(self) -> list[list[str]]:
        header = [h for _, h in self.columns]
        return [header] + [[self._cell(row[k]) for k, _ in self.columns] for row in self.rows]

    def __str__(self) -> str:
        grid = self._grid()
        widths = [max(_width(r[j]) for r in grid) for j in range(len(self.columns))]
        lines = [
            " | ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in grid
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


# ----------------------------------------------------------------------------------- trace
class Trace:
    """The evaluation trace of one call of f; build it with :func:`trace`.

    ``nodes`` lists every line in order (inputs first), ``inputs`` and ``outputs`` the nodes
    playing those roles, ``value`` the output (a float, or a tuple for several outputs).
    """

    def __init__(
        self, nodes: list[Node], n_inputs: int, outputs: list[int], f_name: str, multi: bool
    ):
        self.nodes: tuple[Node, ...] = tuple(nodes)
        self._n = n_inputs
        self._output_ids = tuple(outputs)
        self._multi = multi  # f returned a tuple: outputs are named y₁, y₂, …
        self.f_name = f_name
        self._partials: dict[int, list[tuple[int, int, float]]] | None = None

    # ---------------------------------------------------------------------- structure
    def node(self, index: int) -> Node:
        """The node ``v_index`` (lecture numbering: inputs are ``1 - n … 0``)."""
        pos = index + self._n - 1
        if not 0 <= pos < len(self.nodes):
            raise IndexError(
                f"this trace has nodes v_{1 - self._n} to v_{len(self.nodes) - self._n}; "
                f"there is no v_{index}."
            )
        return self.nodes[pos]

    @property
    def inputs(self) -> tuple[Node, ...]:
        return self.nodes[: self._n]

    @property
    def outputs(self) -> tuple[Node, ...]:
        """The output nodes, ``y`` (or ``y₁, y₂, …`` when f returned a tuple)."""
        return tuple(self.node(i) for i in self._output_ids)

    @property
    def value(self) -> float | tuple[float, ...]:
        values = tuple(n.value for n in self.outputs)
        return values if self._multi else values[0]

    @property
    def num_operations(self) -> int:
        """How many elementary operations the trace holds: l, the number of intermediates."""
        return len(self.nodes) - self._n

    def operation_counts(self) -> dict[str, int]:
        """Operations by kind, e.g. ``{"log": 1, "mul": 1, "sin": 1, "add": 1, "sub": 1}``."""
        return dict(Counter(n.op for n in self.nodes[self._n :]))

    def _output_names(self) -> list[str]:
        if not self._multi:
            return ["y"]
        return [f"y{_sub(j + 1)}" for j in range(len(self._output_ids))]

    def _input_names(self) -> list[str]:
        return [f"x{_sub(i + 1)}" for i in range(self._n)]

    def _at(self) -> str:
        return ", ".join(
            f"{x} = {_value_text(n.value)}"
            for x, n in zip(self._input_names(), self.inputs, strict=True)
        )

    # ----------------------------------------------------------------------- replay
    def evaluate(self, *inputs: float) -> float | tuple[float, ...]:
        """Run the recorded straight-line program at new inputs and return the output(s).

        This equals f wherever f takes the same branches as it did while being traced.
        """
        if len(inputs) != self._n:
            raise TypeError(
                f"this trace has {self._n} input(s); evaluate got {len(inputs)}. Pass one number "
                "per input, in the order f takes them."
            )
        values = {
            n.index: to_float(x, f"Trace.evaluate input x{i + 1}")
            for i, (n, x) in enumerate(zip(self.inputs, inputs, strict=True))
        }
        for n in self.nodes[self._n :]:
            args = [values[a] if isinstance(a, int) else a for a in n.args]
            values[n.index] = float(TABLE[n.op].scalar(tuple(args), n.aux))
        out = tuple(values[i] for i in self._output_ids)
        return out if self._multi else out[0]

    # -------------------------------------------------------------------- derivatives
    def _local_partials(self) -> dict[int, list[tuple[int, int, float]]]:
        """For each operation: (operand position, operand index, ∂vᵢ/∂operand) per node operand.

        The numbers are the VJP rules of scalar.PRIMITIVES seeded with 1.
        """
        if self._partials is None:
            partials: dict[int, list[tuple[int, int, float]]] = {}
            for n in self.nodes[self._n :]:
                xs = [self.node(a).value if isinstance(a, int) else a for a in n.args]
                if n.op == "pow" and not isinstance(n.args[1], int):  # constant exponent
                    grads = POW_CONST.pullback(1.0, tuple(xs[:1]), n.value, xs[1])
                else:
                    grads = TABLE[n.op].pullback(1.0, tuple(xs), n.value, n.aux)
                partials[n.index] = [
                    (k, a, float(g))
                    for k, (a, g) in enumerate(zip(n.args, grads, strict=False))
                    if isinstance(a, int)
                ]
            self._partials = partials
        return self._partials

    def _partial_texts(self, n: Node, d: str) -> list[str]:
        """The chain-rule term of each node operand of ``n``, carrying the derivative text d."""
        texts = [_v(a) if isinstance(a, int) else _const_text(a) for a in n.args]
        if n.op == "pow" and not isinstance(n.args[1], int):
            return [_pow_const_partial_text(d, texts[0], n.args[1])]
        terms = TABLE[n.op].partial_text(d, *texts, n.name)
        return [t for t, a in zip(terms, n.args, strict=True) if isinstance(a, int)]

    def _seed_vector(self, wrt: int | None, seed: Sequence[float] | None) -> list[float]:
        if seed is not None:
            if wrt is not None:
                raise ValueError(
                    "pass either wrt (an input index) or seed (a direction), not both."
                )
            seed = [to_float(s, "tangent seed") for s in seed]
            if len(seed) != self._n:
                raise ValueError(
                    f"the seed needs one number per input ({self._n}); got {len(seed)}."
                )
            return seed
        if wrt is None:
            wrt = 0
        if isinstance(wrt, bool) or not isinstance(wrt, int) or not -self._n <= wrt < self._n:
            raise ValueError(
                f"wrt={wrt!r} is not an input index: this trace has {self._n} input(s), so use "
                f"0 to {self._n - 1} (0 is x₁)."
            )
        return [1.0 if i == wrt % self._n else 0.0 for i in range(self._n)]

    def tangents(
        self, wrt: int | None = None, seed: Sequence[float] | None = None
    ) -> dict[int, float]:
        """Forward sweep: v̇ᵢ for every node, seeded with ẋ = e_wrt (default x₁) or ``seed``."""
        xdot = self._seed_vector(wrt, seed)
        dots = {n.index: s for n, s in zip(self.inputs, xdot, strict=True)}
        partials = self._local_partials()
        for n in self.nodes[self._n :]:
            dots[n.index] = _sum([p * dots[a] for _, a, p in partials[n.index]])
        return dots

    def adjoints(self, output: int = 0) -> dict[int, float]:
        """Reverse sweep: v̄ᵢ = ∂yⱼ/∂vᵢ for every node, seeded with ȳⱼ = 1 for j = ``output``."""
        target = self._output_index(output)
        consumers = self._consumers()
        bars: dict[int, float] = {}
        for n in reversed(self.nodes):
            seed = [1.0] if n.index == target else []
            bars[n.index] = _sum(seed + [bars[c] * p for c, p in consumers[n.index]])
        return bars

    def gradient(self, output: int = 0) -> tuple[float, ...]:
        """(∂y/∂x₁, …, ∂y/∂xₙ) from one reverse sweep (for output ``output`` if several)."""
        bars = self.adjoints(output)
        return tuple(bars[n.index] for n in self.inputs)

    def _output_index(self, output: int) -> int:
        m = len(self._output_ids)
        if isinstance(output, bool) or not isinstance(output, int) or not -m <= output < m:
            raise ValueError(
                f"output={output!r} is not an output index: f returned {m} output(s), so use 0"
                + (f" to {m - 1}." if m > 1 else ".")
            )
        return self._output_ids[output % m]

    def _consumers(self) -> dict[int, list[tuple[int, float]]]:
        """For each node: (consumer index, ∂consumer/∂node) per use, consumers in trace order."""
        uses: dict[int, list[tuple[int, float]]] = {n.index: [] for n in self.nodes}
        for c, items in self._local_partials().items():
            for _, a, p in items:
                uses[a].append((c, p))
        return uses

    # -------------------------------------------------------------------------- tables
    def _base_row(self, n: Node) -> dict:
        return {"index": n.index, "name": n.name, "key": n.key, "expr": n.expr, "value": n.value}

    def _output_footer(self, names: list[str], fmt: Callable[[Node], str]) -> list[str]:
        return [f"{y} = {fmt(n)}" for y, n in zip(names, self.outputs, strict=True)]

    def primal_table(self) -> TraceTable:
        """The forward primal trace: every vᵢ, its defining expression and its value."""
        rows = [self._base_row(n) for n in self.nodes]
        footer = self._output_footer(
            self._output_names(), lambda n: f"{n.name} = {_value_text(n.value)}"
        )
        title = f"Forward primal trace of {self.f_name} at {self._at()}"
        return TraceTable(
            title, [("name", "v"), ("expr", "expression"), ("value", "value")], rows, footer
        )

    def tangent_table(
        self, wrt: int | None = None, seed: Sequence[float] | None = None
    ) -> TraceTable:
        """The forward tangent trace seeded with ẋ = e_wrt (0-based input index; default 0, i.e.
        x₁), next to the primal trace. ``seed=(ẋ₁, …, ẋₙ)`` seeds any direction instead."""
        xdot = self._seed_vector(wrt, seed)
        dots = self.tangents(None, xdot)
        rows = []
        for n in self.nodes:
            row = self._base_row(n)
            if n.op == "input":
                tangent_expr = f"x{_DOT}{_sub(n.index + self._n)}"
            else:
                tangent_expr = _join_terms(self._tangent_terms(n))
            row.update(
                tangent_name=_vdot(n.index), tangent_expr=tangent_expr, tangent=dots[n.index]
            )
            rows.append(row)
        seed_text = ", ".join(_value_text(s).removesuffix(".0") for s in xdot)
        is_unit = sorted(xdot) == [0.0] * (self._n - 1) + [1.0]
        footer = []
        for y, n in zip(self._output_names(), self.outputs, strict=True):
            ydot = y[0] + _DOT + y[1:]
            line = f"{ydot} = {_vdot(n.index)} = {_value_text(dots[n.index])}"
            if is_unit:
                line += f"  (∂{y}/∂x{_sub(xdot.index(1.0) + 1)})"
            footer.append(line)
        title = (
            f"Forward tangent trace of {self.f_name} at {self._at()}, seed x{_DOT} = ({seed_text})"
        )
        columns = [
            ("name", "v"),
            ("expr", "expression"),
            ("value", "value"),
            ("tangent_name", "v" + _DOT),
            ("tangent_expr", "tangent expression"),
            ("tangent", "tangent"),
        ]
        return TraceTable(title, columns, rows, footer)

    def _tangent_terms(self, n: Node) -> list[str]:
        # Each operand's term carries that operand's own v̇.
        terms = []
        operands = [a for a in n.args if isinstance(a, int)]
        for a, text in zip(operands, self._partial_texts(n, "\x00"), strict=True):
            terms.append(text.replace("\x00", _vdot(a)))
        return terms

    def adjoint_table(self, output: int = 0) -> TraceTable:
        """The reverse adjoint trace, listed from the output back to the inputs, seeded with
        ȳ = 1 (for output ``output`` when f returned several).

        ``adjoint_rule`` is the chain rule over the node's consumers (``v̄₄ ∂v₄/∂v₁``),
        ``adjoint_expr`` the same with the local derivatives worked out (``v̄₄``, ``v̄₂ × v₋₁``).
        """
        target = self._output_index(output)
        ybar = "y" + _BAR + ("" if not self._multi else _sub(output % len(self._output_ids) + 1))
        bars = self.adjoints(output)
        uses: dict[int, list[str]] = {n.index: [] for n in self.nodes}
        consumers: dict[int, list[int]] = {n.index: [] for n in self.nodes}
        for c in self.nodes[self._n :]:
            operands = [a for a in c.args if isinstance(a, int)]
            for a, text in zip(operands, self._partial_texts(c, _vbar(c.index)), strict=True):
                uses[a].append(text)
                if c.index not in consumers[a]:
                    consumers[a].append(c.index)
        rows = []
        for n in reversed(self.nodes):
            seeded = n.index == target
            rule = ([ybar] if seeded else []) + [
                f"{_vbar(c)} ∂{_v(c)}/∂{n.name}" for c in consumers[n.index]
            ]
            worked = (["1"] if seeded else []) + uses[n.index]
            row = self._base_row(n)
            row.update(
                adjoint_name=_vbar(n.index),
                adjoint_rule=_join_terms(rule),
                adjoint_expr=_join_terms(worked),
                adjoint=bars[n.index],
            )
            rows.append(row)
        footer = []
        y = ybar.replace(_BAR, "")
        for x, n in zip(self._input_names(), self.inputs, strict=True):
            xbar = x[0] + _BAR + x[1:]
            footer.append(f"{xbar} = {_vbar(n.index)} = {_value_text(bars[n.index])}  (∂{y}/∂{x})")
        title = f"Reverse adjoint trace of {self.f_name} at {self._at()}, seed {ybar} = 1"
        columns = [
            ("adjoint_name", "v" + _BAR),
            ("adjoint_rule", "chain rule"),
            ("adjoint_expr", "worked out"),
            ("adjoint", "adjoint"),
        ]
        return TraceTable(title, columns, rows, footer)

    # --------------------------------------------------------------------------- graph
    def depths(self) -> dict[int, int]:
        """Distance of each node from the inputs: 0 for inputs, 1 + the deepest operand else."""
        depth: dict[int, int] = {}
        for n in self.nodes:
            depth[n.index] = 1 + max((depth[a] for a in n.node_args), default=-1)
        return depth

    def _graph_label(self, n: Node) -> str:
        if n.op == "input":
            return f"{n.name}\nx{_sub(n.index + self._n)}"
        if all(isinstance(a, int) for a in n.args):
            symbol = TABLE[n.op].symbol
        elif n.op == "pow" and isinstance(n.args[0], int):
            symbol = f"^{_const_text(n.args[1])}"
        else:  # a binary operation with one constant: show the constant on its side
            c = _const_text(next(a for a in n.args if not isinstance(a, int)))
            symbol = (
                f"{TABLE[n.op].symbol} {c}"
                if isinstance(n.args[0], int)
                else f"{c} {TABLE[n.op].symbol}"
            )
        return f"{n.name}\n{symbol}"

    def graph(self, ax=None):
        """Draw the computational graph with matplotlib: one column per depth, inputs on the
        left, an arrow from each operand to the operation using it. Returns the Axes.

        Every node gets exactly one text label (name and operation); outputs are highlighted.
        """
        import matplotlib.pyplot as plt
        from matplotlib.patches import Circle, FancyArrowPatch, Patch

        depth = self.depths()
        layers: dict[int, list[Node]] = {}
        for n in self.nodes:
            layers.setdefault(depth[n.index], []).append(n)
        n_layers = max(layers) + 1
        tallest = max(len(v) for v in layers.values())
        dx, dy, r = 1.6, 1.1, 0.36
        pos = {}
        for d, members in layers.items():
            for k, n in enumerate(members):
                pos[n.index] = (d * dx, ((len(members) - 1) / 2 - k) * dy)
        if ax is None:
            _, ax = plt.subplots(figsize=(1.5 + 1.3 * n_layers, 1.6 + 0.9 * tallest))
        outputs = set(self._output_ids)
        colours = {"input": "#cfe3f7", "output": "#f9d5a7", "operation": "#eeeeee"}
        circles = {}
        for n in self.nodes:
            kind = "output" if n.index in outputs else ("input" if n.op == "input" else "operation")
            circles[n.index] = Circle(
                pos[n.index], r, facecolor=colours[kind], edgecolor="#333333", zorder=2
            )
            ax.add_patch(circles[n.index])
            ax.text(
                *pos[n.index], self._graph_label(n), ha="center", va="center", fontsize=9, zorder=3
            )
        for n in self.nodes:
            for a in dict.fromkeys(n.node_args):  # one arrow per distinct operand
                # An edge that skips layers is bent, away from the middle, so it does not run
                # through the nodes in between.
                span = depth[n.index] - depth[a]
                middle = (pos[a][1] + pos[n.index][1]) / 2
                rad = 0.0 if span == 1 else (0.25 if middle < 0 else -0.25)
                ax.add_patch(
                    FancyArrowPatch(
                        pos[a],
                        pos[n.index],
                        patchA=circles[a],
                        patchB=circles[n.index],
                        connectionstyle=f"arc3,rad={rad}",
                        arrowstyle="-|>",
                        mutation_scale=12,
                        color="#555555",
                        lw=1.0,
                        zorder=1,
                    )
                )
        ys = [p[1] for p in pos.values()]
        ax.set_xlim(-dx / 2, (n_layers - 1) * dx + dx / 2)
        ax.set_ylim(min(ys) - dy * 0.8, max(ys) + dy * 0.8)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(f"Computational graph of {self.f_name} ({self.num_operations} operations)")
        ax.legend(
            handles=[Patch(facecolor=c, edgecolor="#333333", label=k) for k, c in colours.items()],
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=3,
            frameon=False,
            fontsize=8,
        )
        return ax

    # ---------------------------------------------------------------------- display
    def __str__(self) -> str:
        return str(self.primal_table())

    def __repr__(self) -> str:
        outs = ", ".join(f"{n.name} = {_value_text(n.value)}" for n in self.outputs)
        return (
            f"<Trace of {self.f_name} at {self._at()}: {self.num_operations} operations, "
            f"output {outs}>"
        )

    def _repr_html_(self) -> str:
        return self.primal_table()._repr_html_()


# ---------------------------------------------------------------------------------- entry
def _check_output(out, tape: _Tape, what: str) -> _Tracer:
    if isinstance(out, _Tracer):
        if out._tape is not tape:
            raise ValueError(f"{what} is a traced value from a different ad.trace call.")
        return out
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        raise ValueError(
            f"{what} is the constant {out!r}: it does not depend on the inputs, so there is no "
            "trace to record. Return an expression of the inputs (write 0 * x + c to trace a "
            "constant function)."
        )
    raise TypeError(
        f"{what} should be a number computed from the inputs, got {type(out).__name__} "
        f"{out!r:.60}. ad.trace handles functions returning one number or a tuple of numbers."
    )


def trace(f: Callable[..., Any], *inputs: float, order: str = "depth") -> Trace:
    """Record the evaluation trace of ``f`` at ``inputs`` (one number per argument of f).

    >>> import autograd_ref as ad
    >>> t = ad.trace(lambda x1, x2: ad.log(x1) + x1 * x2 - ad.sin(x2), 2.0, 5.0)
    >>> [n.expr for n in t.nodes]
    ['x₁', 'x₂', 'ln v₋₁', 'v₋₁ × v₀', 'sin v₀', 'v₁ + v₂', 'v₄ − v₃']

    ``f`` is written with operators and ``ad.*`` functions. ``order="depth"`` (default) numbers
    the operations by distance from the inputs, as the lectures do; ``order="recorded"`` keeps
    the order Python ran them in. See the module docstring for branches, tuples and constants.
    """
    if not callable(f):
        raise TypeError(f"ad.trace(f, *inputs) needs a function first, got {type(f).__name__}.")
    if not inputs:
        raise TypeError(
            "ad.trace(f, *inputs) needs at least one input value, e.g. ad.trace(f, 2.0)."
        )
    if order not in ("depth", "recorded"):
        raise ValueError(f"order must be 'depth' or 'recorded', got {order!r}.")
    values = []
    for i, x in enumerate(inputs):
        if isinstance(x, _Tracer):
            raise TypeError(f"input x{i + 1} is already a traced value; pass a number.")
        values.append(to_float(x, f"ad.trace input x{i + 1}"))
    tape = _Tape()
    leaves = [_Tracer(tape, "input", (), v) for v in values]
    out = f(*leaves)
    if isinstance(out, (tuple, list)):
        if not out:
            raise ValueError("f returned an empty tuple: there is no output to trace.")
        outs = [_check_output(o, tape, f"output {j} of f") for j, o in enumerate(out)]
    else:
        outs = [_check_output(out, tape, "the value f returned")]

    # Keep what the outputs depend on (and every input).
    keep = {t._id for t in outs}
    stack = list(outs)
    while stack:
        for a in stack.pop()._args:
            if isinstance(a, _Tracer) and a._id not in keep:
                keep.add(a._id)
                stack.append(a)
    depth: dict[int, int] = {}
    ops = []
    for t in tape.entries:  # creation order is a topological order
        depth[t._id] = 1 + max(
            (depth[a._id] for a in t._args if isinstance(a, _Tracer)), default=-1
        )
        if t._op != "input" and t._id in keep:
            ops.append(t)
    if order == "depth":
        ops.sort(key=lambda t: (depth[t._id], t._id))
    index = {t._id: i - len(leaves) + 1 for i, t in enumerate([*leaves, *ops])}

    nodes = []
    for i, t in enumerate(leaves):
        nodes.append(Node(index[t._id], "input", (), t.value, f"x{_sub(i + 1)}"))
    for t in ops:
        args = tuple(index[a._id] if isinstance(a, _Tracer) else a for a in t._args)
        texts = [_v(a) if isinstance(a, int) else _const_text(a) for a in args]
        if t._op == "pow":
            constant_exponent = not isinstance(args[1], int)
            expr = (
                _power_text(texts[0], args[1]) if constant_exponent else TABLE["pow"].expr(*texts)
            )
        else:
            expr = TABLE[t._op].expr(*texts)
        nodes.append(Node(index[t._id], t._op, args, t.value, expr, t._aux))
    name = getattr(f, "__name__", "f")
    return Trace(
        nodes,
        len(leaves),
        [index[t._id] for t in outs],
        f_name=name if name.isidentifier() else "f",
        multi=isinstance(out, (tuple, list)),
    )
