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

import numbers
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from ._checks import to_float
from .elementwise import POW_CONST
from .rules import TABLE
from .trace_text import (
    Node,
    TraceTable,
    const_text,
    fsum_left,
    pow_const_partial_text,
    power_text,
    sub,
    value_text,
    vname,
)
from .trace_views import TraceViews
from .tracer import Tape, Tracer

__all__ = ["Node", "Trace", "TraceTable", "trace"]

# ----------------------------------------------------------------------------------- trace
class Trace(TraceViews):
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
        return [f"y{sub(j + 1)}" for j in range(len(self._output_ids))]

    def _input_names(self) -> list[str]:
        return [f"x{sub(i + 1)}" for i in range(self._n)]

    def _at(self) -> str:
        return ", ".join(
            f"{x} = {value_text(n.value)}"
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

        The numbers are the rows' VJP rules seeded with 1.
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
        texts = [vname(a) if isinstance(a, int) else const_text(a) for a in n.args]
        if n.op == "pow" and not isinstance(n.args[1], int):
            return [pow_const_partial_text(d, texts[0], n.args[1])]
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
            dots[n.index] = fsum_left([p * dots[a] for _, a, p in partials[n.index]])
        return dots

    def adjoints(self, output: int = 0) -> dict[int, float]:
        """Reverse sweep: v̄ᵢ = ∂yⱼ/∂vᵢ for every node, seeded with ȳⱼ = 1 for j = ``output``."""
        target = self._output_index(output)
        consumers = self._consumers()
        bars: dict[int, float] = {}
        for n in reversed(self.nodes):
            seed = [1.0] if n.index == target else []
            bars[n.index] = fsum_left(seed + [bars[c] * p for c, p in consumers[n.index]])
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
    def __str__(self) -> str:
        return str(self.primal_table())

    def __repr__(self) -> str:
        outs = ", ".join(f"{n.name} = {value_text(n.value)}" for n in self.outputs)
        return (
            f"<Trace of {self.f_name} at {self._at()}: {self.num_operations} operations, "
            f"output {outs}>"
        )

    def _repr_html_(self) -> str:
        return self.primal_table()._repr_html_()


# ---------------------------------------------------------------------------------- entry
def _check_output(out, tape: Tape, what: str) -> Tracer:
    if isinstance(out, Tracer):
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
        if isinstance(x, Tracer):
            raise TypeError(f"input x{i + 1} is already a traced value; pass a number.")
        values.append(to_float(x, f"ad.trace input x{i + 1}"))
    tape = Tape()
    leaves = [Tracer(tape, "input", (), v) for v in values]
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
            if isinstance(a, Tracer) and a._id not in keep:
                keep.add(a._id)
                stack.append(a)
    depth: dict[int, int] = {}
    ops = []
    for t in tape.entries:  # creation order is a topological order
        depth[t._id] = 1 + max(
            (depth[a._id] for a in t._args if isinstance(a, Tracer)), default=-1
        )
        if t._op != "input" and t._id in keep:
            ops.append(t)
    if order == "depth":
        ops.sort(key=lambda t: (depth[t._id], t._id))
    index = {t._id: i - len(leaves) + 1 for i, t in enumerate([*leaves, *ops])}

    nodes = []
    for i, t in enumerate(leaves):
        nodes.append(Node(index[t._id], "input", (), t.value, f"x{sub(i + 1)}"))
    for t in ops:
        args = tuple(index[a._id] if isinstance(a, Tracer) else a for a in t._args)
        texts = [vname(a) if isinstance(a, int) else const_text(a) for a in args]
        if t._op == "pow":
            constant_exponent = not isinstance(args[1], int)
            expr = (
                power_text(texts[0], args[1]) if constant_exponent else TABLE["pow"].expr(*texts)
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

