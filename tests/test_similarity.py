"""``autodiff-course similarity`` on planted copies of a real topic (01-finite-differences).

The workspace is written by hand (the grader's ``submitted/`` layout); nothing is graded, so the
whole module costs one CLI run. Students:

- ``alice``: the instructor's answers typed into the release;
- ``bob`` (a hostile folder name): alice's notebook word for word, plus a cell printing markup;
- ``carol``: alice's answers with every local name renamed, her own comments instead of the
  docstrings' neighbours, and the answer cells moved into another order;
- ``dave``: an honest, independent and correct solution (written for this test, checked below);
- ``erin`` and ``frank``: the release untouched;
- ``gina`` and ``hank``: every answer cell keeps the given ``def`` line and docstring with a
  stub body of their own (``return 0.0``, ``return None``), and a cell of their own re-types the
  first visible test with other spacing and a comment: all they share is the release's code.
"""

from __future__ import annotations

import copy
import csv
import re

import nbformat
import numpy as np
import pytest
from pipeline_fixtures import REPO, put, run_cli, with_answer

from autodiff_course.notebooks import fill_answers, grade_id, is_answer, is_test, read
from autodiff_course.release import released_notebook

TOPIC = "01-finite-differences"
COPY_THRESHOLD = 0.7  # a verbatim or disguised copy scores at least this (measured 0.77-0.98)
HONEST_CEILING = 0.25  # an honest independent solution scores at most this (measured 0.05-0.11)
BOB = "<img src=x onerror=alert(1)>bob"
HOSTILE_CELL = 'print("</pre><script>alert(1)</script>")'

HONEST = {
    "forward-difference-answer": '''def forward_difference(f, x, h):
    fx = f(x)
    fxh = f(x + h)
    delta = fxh - fx
    return delta / h''',
    "central-difference-answer": '''def central_difference(f, x, h):
    left, right = f(x - h), f(x + h)
    return 0.5 * (right - left) / h''',
    "numerical-gradient-answer": '''def numerical_gradient(f, x, h=1e-6):
    x0 = np.asarray(x, dtype=np.float64).copy()
    out = np.empty(x0.shape)
    basis = np.eye(x0.size).reshape((x0.size,) + x0.shape)
    for k, e in enumerate(basis):
        out.flat[k] = (f(x0 + h * e) - f(x0 - h * e)) / (2 * h)
    return out''',
    "directional-derivative-answer": '''def directional_derivative(f, x, v, h=1e-6):
    point = np.asarray(x, dtype=float)
    step = h * np.asarray(v, dtype=float)
    return (f(point + step) - f(point - step)) * (0.5 / h)''',
    "relative-error-answer": '''def relative_error(a, b):
    u, w = np.ravel(np.asarray(a, float)), np.ravel(np.asarray(b, float))
    diff = np.sqrt(np.sum((u - w) ** 2))
    total = np.sqrt(np.sum(u ** 2)) + np.sqrt(np.sum(w ** 2))
    if total == 0.0:
        return 0.0
    return float(diff / total)''',
    "check-gradient-answer": '''def check_gradient(f, grad_f, x, h=1e-6):
    approx = numerical_gradient(f, np.array(x, dtype=float), h)
    exact = np.asarray(grad_f(np.array(x, dtype=float)), dtype=float)
    return relative_error(exact, approx)''',
    "best-step-answer": '''def best_step(f, df, x, steps):
    target = df(x)
    best, best_err = None, np.inf
    for h in steps:
        err = abs(central_difference(f, x, h) - target)
        if err < best_err:
            best, best_err = h, err
    return float(best)''',
}

RENAMES = {"h": "eps", "x": "pt", "grad": "g_vec", "old": "saved", "f_plus": "up",
           "f_minus": "down", "i": "j", "scale": "denom", "exact": "truth", "errors": "errs",
           "a": "p", "b": "q", "v": "dirn"}


def disguised(source: str) -> str:
    """``source`` with every renamed local, comments of one's own, no docstring."""
    lines = [ln for ln in source.split("\n") if '"""' not in ln]
    out = []
    for ln in lines:
        out.append(re.sub(r"\b[A-Za-z_]\w*\b", lambda m: RENAMES.get(m.group(0), m.group(0)), ln))
        if ln.startswith("def "):
            out.append("    # my own approach, worked out on paper first")
    return "\n".join(out)


def reorder_answers(nb):
    """The answer cells moved: reversed among the positions answer cells occupy."""
    nb = copy.deepcopy(nb)
    slots = [i for i, c in enumerate(nb.cells) if is_answer(c) and c.cell_type == "code"]
    answers = [nb.cells[i] for i in slots]
    for slot, moved in zip(slots, reversed(answers), strict=True):
        nb.cells[slot] = moved
    return nb


def stubbed(release, body: str):
    """Each answer's given lines (def, docstring) kept, the rest replaced by ``body``."""
    nb = copy.deepcopy(release)
    for c in nb.cells:
        if is_answer(c) and c.cell_type == "code":
            given = [ln for ln in c.source.split("\n")
                     if "YOUR CODE" not in ln and "NotImplementedError" not in ln]
            c.source = "\n".join([*given, f"    {body}"])
    first_test = next(c.source for c in nb.cells if is_test(c))
    nb.cells.append(nbformat.v4.new_code_cell(
        "# running the checks myself\n" + first_test.replace(", ", ",").replace(" = ", "=")))
    return nb


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    ws = tmp_path_factory.mktemp("ws")
    source = read(REPO / "solutions" / TOPIC / f"{TOPIC}.ipynb")
    release = released_notebook(source)
    alice = fill_answers(release, source)
    bob = copy.deepcopy(alice)
    bob.cells.append(nbformat.v4.new_code_cell(HOSTILE_CELL))
    carol = copy.deepcopy(alice)
    for c in carol.cells:
        if is_answer(c) and c.cell_type == "code":
            c.source = disguised(c.source)
    carol = reorder_answers(carol)
    dave = release
    for gid, code in HONEST.items():
        dave = with_answer(dave, gid, code)
    gina, hank = stubbed(release, "return 0.0"), stubbed(release, "return None")
    for name, nb in [("alice", alice), (BOB, bob), ("carol", carol), ("dave", dave),
                     ("erin", release), ("frank", release), ("gina", gina), ("hank", hank)]:
        put(ws / "submitted", name, TOPIC, nb)
    result = run_cli("similarity", ws, "--threshold", "0.5", timeout=120)
    assert result.returncode == 0, result.stderr
    with open(ws / "similarity.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    html = (ws / "similarity" / "index.html").read_text()
    return {"ws": ws, "stdout": result.stdout, "rows": rows, "html": html, "alice": alice,
            "carol": carol, "dave": dave}


def scores(rows) -> dict[frozenset, float]:
    return {frozenset((r[1], r[2])): float(r[3]) for r in rows[1:]}


def test_the_honest_solution_is_correct_and_independent(outcome):
    """The honest student's code really solves the topic (else the comparison proves little)."""
    space = {"np": np}
    for c in outcome["dave"].cells:
        if c.cell_type == "code" and is_answer(c):
            exec(c.source, space)  # noqa: S102 - the test's own code
    assert space["forward_difference"](np.sin, 0.3, 1e-7) == pytest.approx(np.cos(0.3), 1e-6)
    assert space["central_difference"](np.exp, 0.5, 1e-5) == pytest.approx(np.exp(0.5), 1e-8)
    x = np.array([0.2, -0.4, 1.1])
    grad = space["numerical_gradient"](lambda z: np.sum(z ** 3), x)
    assert np.allclose(grad, 3 * x ** 2, rtol=1e-6)
    assert space["directional_derivative"](lambda z: np.sum(z ** 2), x, np.ones(3)) == \
        pytest.approx(2 * np.sum(x), 1e-6)
    assert space["relative_error"]([0.0], [0.0]) == 0.0
    assert space["check_gradient"](lambda z: np.sum(z ** 2), lambda z: 2 * z, x) < 1e-8
    assert space["best_step"](np.sin, np.cos, 1.0, [1e-1, 1e-5, 1e-15]) == 1e-5
    given = {grade_id(c): c.source for c in outcome["alice"].cells if is_answer(c)}
    assert all(given[g] != code for g, code in HONEST.items())


def test_copies_score_high_and_the_honest_pair_clearly_lower(outcome):
    s = scores(outcome["rows"])
    verbatim, disguise = s[frozenset(("alice", BOB))], s[frozenset(("alice", "carol"))]
    assert verbatim >= COPY_THRESHOLD, s
    assert disguise >= COPY_THRESHOLD, s
    for copier in ("alice", BOB, "carol"):
        honest = s.get(frozenset((copier, "dave")), 0.0)
        assert honest <= HONEST_CEILING, s
        assert disguise - honest >= 0.4, s


def test_untouched_notebooks_and_the_given_code_do_not_count(outcome):
    """erin and frank handed in the release, gina and hank only the release's code around stubs
    of their own: none of them pairs with anyone.

    Every student shares the skeleton's def lines, docstrings and test cells; had they
    counted, erin and frank would pair at 1.0, gina and hank high, and everyone would share
    code with them.
    """
    pairs = [(r[1], r[2]) for r in outcome["rows"][1:]]
    assert not [p for p in pairs if {"erin", "frank", "gina", "hank"} & set(p)], pairs
    for name in ("erin", "frank", "gina", "hank"):
        assert name not in outcome["stdout"]


def test_csv_columns_and_order_are_exact(outcome):
    rows = outcome["rows"]
    assert rows[0] == ["assignment", "student_a", "student_b", "score"]
    assert all(r[0] == TOPIC for r in rows[1:])
    values = [float(r[3]) for r in rows[1:]]
    assert values == sorted(values, reverse=True) and len(rows) > 3
    # the hostile folder name starts with "<", not a formula character; it is kept as is
    assert any(BOB in (r[1], r[2]) for r in rows[1:])


def test_page_escapes_student_code_and_names_and_runs_nothing(outcome):
    page = outcome["html"]
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;bob" in page
    marks = re.findall(r"<mark>(.*?)</mark>", page, re.DOTALL)
    assert len(marks) >= 7  # the shared answers are marked ...
    # ... and no given line: the skeleton's def lines and docstrings are never marked
    assert not [m for m in marks if "&quot;&quot;&quot;" in m or "def numerical_gradient" in m]
    assert "http://" not in page and "https://" not in page  # nothing remote: works offline
    # the top pair is printed, with its score
    assert re.search(r"\d\.\d\d\s+" + TOPIC + r"\s+", outcome["stdout"])


def test_overlap_agrees_with_copydetect():
    """similarity.overlap is copydetect's compare_files on whole arrays: the same shares and
    ranges, on a copy, a partial copy and an unrelated pair, with and without given code."""
    from copydetect import compare_files

    from autodiff_course.similarity import _fingerprint, overlap

    honest = "\n\n".join(HONEST.values())
    renamed = disguised(honest)
    partial = "\n\n".join(list(HONEST.values())[:3]) + "\n\ndef extra(q):\n    return q * q + 1"
    given = _fingerprint(HONEST["central-difference-answer"]).hashes
    cases = 0
    for boilerplate in (frozenset(), frozenset(given)):
        prints = [_fingerprint(code, boilerplate) for code in (honest, renamed, partial,
                                                              "x = 1\n")]
        for i, a in enumerate(prints):
            for b in prints[i + 1:]:
                _, shares, ranges = compare_files(a, b)
                mine, my_ranges = overlap(a, b)
                assert np.allclose(shares, mine)
                for theirs, ours in zip(ranges, my_ranges, strict=True):
                    assert np.array_equal(np.asarray(theirs).reshape(-1), ours.reshape(-1))
                cases += max(mine) > 0
    assert cases >= 4  # the copies did share code


def test_a_workspace_without_submissions_is_one_line_and_exit_2(tmp_path, capsys):
    from autodiff_course.cli import main

    assert main(["similarity", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "submitted does not exist: grade the submissions first" in err
    assert main(["similarity", str(tmp_path), "--assignment", "99-nope"]) == 2
    assert "unknown assignment '99-nope'" in capsys.readouterr().err
