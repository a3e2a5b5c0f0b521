"""ad.trace: the lectures' worked example exactly, agreement with grad and Dual, tables, graph."""

from __future__ import annotations

import math
import unicodedata
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import autograd_ref as ad  # noqa: E402
from autograd_ref.trace import TraceTable  # noqa: E402


def N(text: str) -> str:
    """Expected strings in Unicode NFC, the form the tables use (ẋ one character, v̇ two)."""
    return unicodedata.normalize("NFC", text)


def lecture_f(x1, x2):
    return ad.log(x1) + x1 * x2 - ad.sin(x2)


@pytest.fixture
def lecture():
    return ad.trace(lecture_f, 2.0, 5.0)


def by_index(table):
    return {row["index"]: row for row in table.rows}


# ------------------------------------------------------------------ the lectures' numbers
def test_primal_trace_matches_the_lecture(lecture):
    rows = lecture.primal_table().rows
    assert [r["name"] for r in rows] == ["v₋₁", "v₀", "v₁", "v₂", "v₃", "v₄", "v₅"]
    assert [r["expr"] for r in rows] == ["x₁", "x₂", "ln v₋₁", "v₋₁ × v₀", "sin v₀", "v₁ + v₂",
                                         "v₄ − v₃"]  # fmt: skip
    assert [r["value"] for r in rows] == [
        2.0,
        5.0,
        0.6931471805599453,
        10.0,
        -0.9589242746631385,
        10.693147180559945,
        11.652071455223084,
    ]
    assert lecture.value == 11.652071455223084
    assert [n.name for n in lecture.outputs] == ["v₅"]
    assert lecture.num_operations == 5
    assert lecture.operation_counts() == {"log": 1, "mul": 1, "sin": 1, "add": 1, "sub": 1}


def test_tangent_trace_wrt_x1_matches_the_lecture(lecture):
    rows = by_index(lecture.tangent_table(wrt=0))
    assert [rows[i]["tangent"] for i in range(-1, 6)] == [1.0, 0.0, 0.5, 5.0, 0.0, 5.5, 5.5]
    assert rows[2]["tangent_expr"] == N("v̇₋₁ × v₀ + v̇₀ × v₋₁")
    assert rows[3]["tangent_expr"] == N("v̇₀ × cos v₀")
    assert rows[5]["tangent_expr"] == N("v̇₄ − v̇₃")
    assert rows[1]["value"] == 0.6931471805599453  # the primal sits next to the tangent


def test_tangent_trace_wrt_x2_matches_the_lecture(lecture):
    rows = by_index(lecture.tangent_table(wrt=1))
    tangents = [rows[i]["tangent"] for i in range(-1, 6)]
    assert tangents == [0.0, 1.0, 0.0, 2.0, 0.28366218546322625, 2.0, 1.7163378145367738]
    assert "1.7163378145367738" in str(lecture.tangent_table(wrt=1)).splitlines()[-1]


def test_adjoint_trace_matches_the_lecture(lecture):
    table = lecture.adjoint_table()
    assert [r["index"] for r in table.rows] == [5, 4, 3, 2, 1, 0, -1]  # listed in reverse
    bars = {r["index"]: r["adjoint"] for r in table.rows}
    assert bars[5] == bars[4] == bars[1] == bars[2] == 1.0
    assert bars[3] == -1.0
    assert bars[-1] == 5.5
    assert bars[0] == 1.7163378145367738
    assert lecture.gradient() == (5.5, 1.7163378145367738)
    rows = by_index(table)
    assert rows[0]["adjoint_rule"] == N("v̄₂ ∂v₂/∂v₀ + v̄₃ ∂v₃/∂v₀")
    assert rows[0]["adjoint_expr"] == N("v̄₂ × v₋₁ + v̄₃ × cos v₀")
    assert rows[5]["adjoint_rule"] == N("ȳ")
    assert table.footer == [
        N("x̄₁ = v̄₋₁ = 5.5  (∂y/∂x₁)"),
        N("x̄₂ = v̄₀ = 1.7163378145367738  (∂y/∂x₂)"),
    ]


def test_lecture_example_through_scalar_dual_and_grad_agrees_with_the_trace(lecture):
    assert ad.grad(lecture_f, (0, 1))(2.0, 5.0) == lecture.gradient()
    assert lecture_f(ad.Dual(2.0, 1.0), ad.Dual(5.0)).tangent == 5.5
    assert lecture_f(ad.Dual(2.0), ad.Dual(5.0, 1.0)).tangent == 1.7163378145367738


def test_recorded_order_keeps_pythons_evaluation_order():
    tr = ad.trace(lecture_f, 2.0, 5.0, order="recorded")
    assert [n.expr for n in tr.nodes[2:]] == ["ln v₋₁", "v₋₁ × v₀", "v₁ + v₂", "sin v₀", "v₃ − v₄"]
    assert tr.gradient() == (5.5, 1.7163378145367738)


# ------------------------------------------------------- agreement with grad, Dual, replay
UNARY = [
    ad.sin,
    ad.cos,
    ad.tanh,
    ad.sigmoid,
    ad.exp,
    lambda v: ad.log(1.0 + v * v),
    lambda v: ad.sqrt(2.0 + ad.sin(v)),
    lambda v: ad.tan(0.3 * ad.tanh(v)),
    lambda v: v**3,
    lambda v: -v,
    lambda v: 1.5 / (2.0 + v * v),
]
BINARY = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / (1.5 + b * b),
    lambda a, b: 2.0 - a * b,
    lambda a, b: (1.0 + a * a) ** ad.sigmoid(b),
]


def random_function(rng: np.random.Generator, n_inputs: int, n_steps: int):
    """A random straight-line program over the inputs, built from safe-domain operations."""
    program = []
    for step in range(n_steps):
        available = n_inputs + step
        if rng.random() < 0.4:
            program.append(("u", int(rng.integers(len(UNARY))), int(rng.integers(available)), 0))
        else:
            program.append(("b", int(rng.integers(len(BINARY))), int(rng.integers(available)),
                            int(rng.integers(available))))  # fmt: skip

    def f(*xs):
        vals = list(xs)
        for kind, k, i, j in program:
            vals.append(UNARY[k](vals[i]) if kind == "u" else BINARY[k](vals[i], vals[j]))
        return vals[-1] + 0.5 * vals[-2]

    return f


@pytest.mark.parametrize("seed", range(12))
def test_trace_agrees_with_grad_and_dual_on_random_functions(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 4))
    f = random_function(rng, n, int(rng.integers(3, 12)))
    x = [float(v) for v in rng.uniform(-1.5, 1.5, size=n)]
    tr = ad.trace(f, *x)
    assert tr.value == f(*x)  # the recorded values are exactly the plain float evaluation
    expected_grad = ad.grad(f, tuple(range(n)))(*x)
    np.testing.assert_allclose(tr.gradient(), expected_grad, rtol=1e-12, atol=1e-14)
    for i in range(n):
        duals = [ad.Dual(v, 1.0 if k == i else 0.0) for k, v in enumerate(x)]
        out = tr.outputs[0].index
        tangent = by_index(tr.tangent_table(wrt=i))[out]["tangent"]
        np.testing.assert_allclose(tangent, f(*duals).tangent, rtol=1e-12, atol=1e-14)
    # and with central differences, as a check independent of every AD rule
    fd = ad.finite_diff.gradient(lambda v: f(*v), np.array(x))
    np.testing.assert_allclose(tr.gradient(), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("seed", range(6))
def test_evaluate_replays_the_trace_at_new_inputs(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 4))
    f = random_function(rng, n, 8)
    tr = ad.trace(f, *rng.uniform(-1, 1, size=n))
    for _ in range(5):
        x = [float(v) for v in rng.uniform(-1.5, 1.5, size=n)]
        assert tr.evaluate(*x) == f(*x)  # the same float operations in the same order


def test_directional_seed_gives_the_directional_derivative(lecture):
    table = lecture.tangent_table(seed=(0.6, -0.8))
    expected = 0.6 * 5.5 - 0.8 * 1.7163378145367738
    assert math.isclose(table.rows[-1]["tangent"], expected, rel_tol=1e-15)
    assert N("seed ẋ = (0.6, -0.8)") in table.title


# ----------------------------------------------------------------- what gets recorded
def test_constants_live_in_the_expression_text_and_are_not_nodes():
    tr = ad.trace(lambda x: 2 * x + x * 2.5 - 3 / x + x**2 + 2**x - (1 - x) + (-x), 1.5)
    exprs = [n.expr for n in tr.nodes]
    for text in ["2 × v₀", "v₀ × 2.5", "3 / v₀", "v₀²", "2^v₀", "1 − v₀", "−v₀"]:
        assert text in exprs
    assert all(n.op != "const" for n in tr.nodes)
    assert len(tr.inputs) == 1
    expected = ad.grad(lambda x: 2 * x + x * 2.5 - 3 / x + x**2 + 2**x - (1 - x) + (-x))(1.5)
    assert math.isclose(tr.gradient()[0], expected, rel_tol=1e-14)


def test_negative_and_fractional_constants_are_readable():
    tr = ad.trace(lambda x: x * -2 + x**0.5, 4.0)
    exprs = [n.expr for n in tr.nodes]
    assert "v₀ × (−2)" in exprs
    assert "v₀^0.5" in exprs


def test_reused_node_collects_both_contributions():
    tr = ad.trace(lambda x: x * x, 3.0)
    assert tr.gradient() == (6.0,)
    row = by_index(tr.tangent_table())[1]
    assert row["tangent_expr"] == N("v̇₀ × v₀ + v̇₀ × v₀")
    assert by_index(tr.adjoint_table())[0]["adjoint_expr"] == N("v̄₁ × v₀ + v̄₁ × v₀")


def test_unused_results_are_dropped_and_unused_inputs_kept():
    def f(x, y):
        ad.exp(y)  # computed, never used
        return ad.sin(x)

    tr = ad.trace(f, 0.3, 7.0)
    assert tr.num_operations == 1
    assert [n.name for n in tr.inputs] == ["v₋₁", "v₀"]
    assert tr.gradient() == (math.cos(0.3), 0.0)
    assert by_index(tr.adjoint_table())[0]["adjoint_rule"] == "0"


def test_output_may_be_an_input():
    tr = ad.trace(lambda x, y: y, 1.0, 2.0)
    assert tr.num_operations == 0
    assert tr.value == 2.0
    assert tr.gradient() == (0.0, 1.0)


def test_branches_record_only_the_branch_taken():
    def f(x):
        if x > 0:
            return x * x
        return -x

    positive = ad.trace(f, 2.0)
    negative = ad.trace(f, -2.0)
    assert positive.operation_counts() == {"mul": 1}
    assert negative.operation_counts() == {"neg": 1}
    # evaluate replays the recorded straight-line program, whatever f would do
    assert positive.evaluate(-3.0) == 9.0
    assert f(-3.0) == 3.0


def test_comparisons_read_the_recorded_values():
    seen = {}

    def f(x, y):
        seen.update(lt=x < y, le=x <= 2, gt=y > x, ge=y >= 3.0, eq=x == 2.0, ne=x != y, b=bool(x))
        return x + y

    ad.trace(f, 2.0, 3.0)
    assert seen == {"lt": True, "le": True, "gt": True, "ge": True, "eq": True, "ne": True,
                    "b": True}  # fmt: skip


def test_several_outputs():
    def f(x, y):
        s = x * y
        return ad.sin(s), s + y

    tr = ad.trace(f, 0.5, 2.0)
    assert tr.value == (math.sin(1.0), 3.0)
    assert tr.evaluate(1.0, 3.0) == (math.sin(3.0), 6.0)
    assert [n.name for n in tr.outputs] == ["v₂", "v₃"]
    assert tr.gradient(output=0) == ad.grad(lambda x, y: f(x, y)[0], (0, 1))(0.5, 2.0)
    assert tr.gradient(output=1) == ad.grad(lambda x, y: f(x, y)[1], (0, 1))(0.5, 2.0)
    text = str(tr.tangent_table(wrt=1))
    assert N("ẏ₁ = v̇₂") in text and N("ẏ₂ = v̇₃ = 1.5") in text
    assert N("seed ȳ₂ = 1") in tr.adjoint_table(output=1).title
    with pytest.raises(ValueError, match="output index"):
        tr.adjoint_table(output=2)


def test_node_lookup_and_ascii_keys(lecture):
    assert lecture.node(-1).value == 2.0
    assert lecture.node(3).expr == "sin v₀"
    assert lecture.primal_table().rows[0]["key"] == "v_-1"
    assert lecture.depths() == {-1: 0, 0: 0, 1: 1, 2: 1, 3: 1, 4: 2, 5: 3}
    with pytest.raises(IndexError, match="no v_6"):
        lecture.node(6)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("value", "message"),
    [("2", "got str"), (None, "got NoneType"), (1 + 2j, "complex"), (True, "bool"),
     (np.zeros(3), "array of shape")],
)  # fmt: skip
def test_non_number_inputs_are_refused(value, message):
    with pytest.raises(TypeError, match=message) as info:
        ad.trace(lecture_f, value, 5.0)
    assert "x1" in str(info.value)


def test_constant_output_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="does not depend on the inputs"):
        ad.trace(lambda x: 3.0, 1.0)
    with pytest.raises(ValueError, match="output 1 of f is the constant"):
        ad.trace(lambda x: (x, 2.0), 1.0)
    # a constant function written through its input is fine
    assert ad.trace(lambda x: 0 * x + 3.0, 1.0).gradient() == (0.0,)


def test_other_bad_uses_give_clear_errors(lecture):
    with pytest.raises(TypeError, match="should be a number"):
        ad.trace(lambda x: "done", 1.0)
    with pytest.raises(TypeError, match="use ad.sin"):
        ad.trace(lambda x: math.sin(x), 1.0)
    with pytest.raises(TypeError, match="'Scalar'"):
        ad.trace(lambda x: x * ad.Scalar(2.0), 1.0)
    with pytest.raises(TypeError, match="'bool'"):
        ad.trace(lambda x: x * (x > 0), 1.0)
    with pytest.raises(TypeError, match="at least one input"):
        ad.trace(lecture_f)
    with pytest.raises(TypeError, match="needs a function"):
        ad.trace(2.0, 1.0)
    with pytest.raises(ValueError, match="empty tuple"):
        ad.trace(lambda x: (), 1.0)
    with pytest.raises(ValueError, match="not an input index"):
        lecture.tangent_table(wrt=2)
    with pytest.raises(ValueError, match="not both"):
        lecture.tangent_table(wrt=0, seed=(1.0, 0.0))
    with pytest.raises(ValueError, match="one number per input"):
        lecture.tangent_table(seed=(1.0,))
    with pytest.raises(TypeError, match="2 input"):
        lecture.evaluate(1.0)
    with pytest.raises(ValueError, match="order must be"):
        ad.trace(lecture_f, 2.0, 5.0, order="alphabetical")

    leaked = []
    ad.trace(lambda x: leaked.append(x) or x * 2, 1.0)
    with pytest.raises(ValueError, match="two different ad.trace calls"):
        ad.trace(lambda x: x + leaked[0], 1.0)


# ------------------------------------------------------------------------------ display
def display_width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def column_offsets(line: str, separator: str = "|") -> list[int]:
    """Display columns at which the column separators stand ('+' in the rule line)."""
    offsets, col = [], 0
    for ch in line:
        if ch == separator:
            offsets.append(col)
        col += 0 if unicodedata.combining(ch) else 1
    return offsets


@pytest.mark.parametrize("which", ["primal", "tangent", "adjoint"])
def test_text_tables_are_aligned(lecture, which):
    table = {"primal": lecture.primal_table, "tangent": lecture.tangent_table,
             "adjoint": lecture.adjoint_table}[which]()  # fmt: skip
    lines = str(table).splitlines()
    assert repr(table) == str(table)
    assert lines[0] == table.title
    body = lines[1 : 3 + len(table.rows)]  # header, rule, one line per row
    assert set(lines[2]) <= {"-", "+"}
    expected = column_offsets(lines[1])
    assert len(expected) == len(table.columns) - 1
    assert column_offsets(lines[2], "+") == expected
    for line in body[2:]:
        assert column_offsets(line) == expected, line
    assert lines[3 + len(table.rows) :] == table.footer
    # each cell sits in its column: the value column holds exactly the row's number
    for line, row in zip(body[2:], table.rows, strict=True):
        cells = [c.strip() for c in line.split(" | ")]
        assert cells[0] == row[table.columns[0][0]]


def test_html_tables(lecture):
    for table in (lecture.primal_table(), lecture.tangent_table(1), lecture.adjoint_table()):
        html = table._repr_html_()
        assert html.startswith("<table") and html.endswith("</table>")
        assert html.count("<tr>") == 1 + len(table.rows) + len(table.footer)
        assert "<caption>" in html
    assert "11.652071455223084" in lecture.primal_table()._repr_html_()
    raw = TraceTable("a < b & c", [("name", "<v>")], [{"name": "x<y"}], ["y > 0"])._repr_html_()
    assert "a &lt; b &amp; c" in raw and "&lt;v&gt;" in raw and "x&lt;y" in raw
    assert lecture._repr_html_() == lecture.primal_table()._repr_html_()
    assert "5 operations" in repr(lecture)


def test_graph_draws_one_label_per_node():
    def f(x1, x2):
        return ad.sigmoid(x1 * x2) + x1 * x2 + ad.exp(x1) / 2

    tr = ad.trace(f, 0.3, -1.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. a glyph missing from the font
        ax = tr.graph()
        ax.figure.canvas.draw()
    try:
        assert len(ax.texts) == len(tr.nodes)
        first_lines = sorted(t.get_text().split("\n")[0] for t in ax.texts)
        assert first_lines == sorted(n.name for n in tr.nodes)
        assert ax.get_title().startswith("Computational graph of f")
        n_edges = sum(len(set(n.node_args)) for n in tr.nodes)
        arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
        assert len(arrows) == n_edges
    finally:
        plt.close(ax.figure)


def test_graph_draws_into_a_given_axes(lecture):
    fig, ax = plt.subplots()
    try:
        assert lecture.graph(ax=ax) is ax
        assert len(ax.texts) == 7
    finally:
        plt.close(fig)
