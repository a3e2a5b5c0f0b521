"""The views of a trace: the lectures' three tables and the drawing of its graph.

:class:`TraceViews` is mixed into :class:`~autograd_ref.trace.Trace`; it reads the trace's nodes and
the derivative sweeps and turns them into :class:`~autograd_ref.trace_text.TraceTable` s and a
matplotlib figure. Nothing here computes a derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .rules import TABLE
from .trace_text import (
    BAR,
    DOT,
    Node,
    TraceTable,
    const_text,
    join_terms,
    sub,
    value_text,
    vbar,
    vdot,
    vname,
)


class TraceViews:
    """Tables and the graph of a :class:`~autograd_ref.trace.Trace` (see its docstring)."""

    def _base_row(self, n: Node) -> dict:
        return {"index": n.index, "name": n.name, "key": n.key, "expr": n.expr, "value": n.value}

    def _output_footer(self, names: list[str], fmt: Callable[[Node], str]) -> list[str]:
        return [f"{y} = {fmt(n)}" for y, n in zip(names, self.outputs, strict=True)]

    def primal_table(self) -> TraceTable:
        """The forward primal trace: every vᵢ, its defining expression and its value."""
        rows = [self._base_row(n) for n in self.nodes]
        footer = self._output_footer(
            self._output_names(), lambda n: f"{n.name} = {value_text(n.value)}"
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
                tangent_expr = f"x{DOT}{sub(n.index + self._n)}"
            else:
                tangent_expr = join_terms(self._tangent_terms(n))
            row.update(
                tangent_name=vdot(n.index), tangent_expr=tangent_expr, tangent=dots[n.index]
            )
            rows.append(row)
        seed_text = ", ".join(value_text(s).removesuffix(".0") for s in xdot)
        is_unit = sorted(xdot) == [0.0] * (self._n - 1) + [1.0]
        footer = []
        for y, n in zip(self._output_names(), self.outputs, strict=True):
            ydot = y[0] + DOT + y[1:]
            line = f"{ydot} = {vdot(n.index)} = {value_text(dots[n.index])}"
            if is_unit:
                line += f"  (∂{y}/∂x{sub(xdot.index(1.0) + 1)})"
            footer.append(line)
        title = (
            f"Forward tangent trace of {self.f_name} at {self._at()}, seed x{DOT} = ({seed_text})"
        )
        columns = [
            ("name", "v"),
            ("expr", "expression"),
            ("value", "value"),
            ("tangent_name", "v" + DOT),
            ("tangent_expr", "tangent expression"),
            ("tangent", "tangent"),
        ]
        return TraceTable(title, columns, rows, footer)

    def _tangent_terms(self, n: Node) -> list[str]:
        # Each operand's term carries that operand's own v̇.
        terms = []
        operands = [a for a in n.args if isinstance(a, int)]
        for a, text in zip(operands, self._partial_texts(n, "\x00"), strict=True):
            terms.append(text.replace("\x00", vdot(a)))
        return terms

    def adjoint_table(self, output: int = 0) -> TraceTable:
        """The reverse adjoint trace, listed from the output back to the inputs, seeded with
        ȳ = 1 (for output ``output`` when f returned several).

        ``adjoint_rule`` is the chain rule over the node's consumers (``v̄₄ ∂v₄/∂v₁``),
        ``adjoint_expr`` the same with the local derivatives worked out (``v̄₄``, ``v̄₂ × v₋₁``).
        """
        target = self._output_index(output)
        ybar = "y" + BAR + ("" if not self._multi else sub(output % len(self._output_ids) + 1))
        bars = self.adjoints(output)
        uses: dict[int, list[str]] = {n.index: [] for n in self.nodes}
        consumers: dict[int, list[int]] = {n.index: [] for n in self.nodes}
        for c in self.nodes[self._n :]:
            operands = [a for a in c.args if isinstance(a, int)]
            for a, text in zip(operands, self._partial_texts(c, vbar(c.index)), strict=True):
                uses[a].append(text)
                if c.index not in consumers[a]:
                    consumers[a].append(c.index)
        rows = []
        for n in reversed(self.nodes):
            seeded = n.index == target
            rule = ([ybar] if seeded else []) + [
                f"{vbar(c)} ∂{vname(c)}/∂{n.name}" for c in consumers[n.index]
            ]
            worked = (["1"] if seeded else []) + uses[n.index]
            row = self._base_row(n)
            row.update(
                adjoint_name=vbar(n.index),
                adjoint_rule=join_terms(rule),
                adjoint_expr=join_terms(worked),
                adjoint=bars[n.index],
            )
            rows.append(row)
        footer = []
        y = ybar.replace(BAR, "")
        for x, n in zip(self._input_names(), self.inputs, strict=True):
            xbar = x[0] + BAR + x[1:]
            footer.append(f"{xbar} = {vbar(n.index)} = {value_text(bars[n.index])}  (∂{y}/∂{x})")
        title = f"Reverse adjoint trace of {self.f_name} at {self._at()}, seed {ybar} = 1"
        columns = [
            ("adjoint_name", "v" + BAR),
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
            return f"{n.name}\nx{sub(n.index + self._n)}"
        if all(isinstance(a, int) for a in n.args):
            symbol = TABLE[n.op].symbol
        elif n.op == "pow" and isinstance(n.args[0], int):
            symbol = f"^{const_text(n.args[1])}"
        else:  # a binary operation with one constant: show the constant on its side
            c = const_text(next(a for a in n.args if not isinstance(a, int)))
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
