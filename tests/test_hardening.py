"""Hardening: every way a submission can be broken, graded in one batch on the mini course.

The batch (one ``autograde`` call, two workers) holds a student per failure mode next to a
complete and an untouched submission. Each test below checks that student's row (status, score,
message) and, for the whole batch, that the broken ones did not disturb the others. The static
check and the test helpers' defences have fast unit tests first.
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

import nbformat
import pytest
from pipeline_fixtures import (
    HIDDEN_MARKER,
    HIDDEN_NAME,
    MINI,
    cell,
    make_mini_course,
    put,
    with_answer,
)

from autodiff_course import batch, integrity
from autodiff_course.checking import expect_close, expect_equal, expect_true
from autodiff_course.notebooks import fill_answers, normalise_submission, read
from autodiff_course.report import read_csv

TIMEOUT = 10
MEMORY_MB = 1500

# ---------------------------------------------------------------------------------------------
# the static check, cell by cell


def flags(source: str, test_sources=("assert abs(double(2.0) - 4.0) < 1e-12",)) -> list[str]:
    findings = integrity.check_cells([("cell 'x'", source)], ["import numpy as np"], test_sources)
    return [f.reason for f in findings]


@pytest.mark.parametrize(
    "source, reason",
    [
        ("import autograd_ref as ad", "reference library"),
        ("from autograd_ref.finite_diff import central_difference", "reference library"),
        ("import torch", "torch"),
        ("from jax import grad", "jax"),
        ("import numpy as np\nnp.allclose = lambda *a, **k: True", "assigns into numpy"),
        ("import numpy\nnumpy.testing.assert_allclose = print", "assigns into numpy"),
        ("n = np\nn.isclose = lambda *a, **k: True", "assigns into numpy"),
        ("import math\nmath.sin = abs", "assigns into math"),
        ("import builtins\nbuiltins.abs = lambda v: 0", "assigns into builtins"),
        ("import sys\nsys.modules['autodiff_course.checking'] = None", "assigns into sys"),
        ("import autodiff_course.checking as c\nc.expect_close = print", "autodiff_course"),
        ("from autodiff_course import checking\nchecking.expect_true = print", "autodiff_course"),
        ("from autodiff_course.checking import expect_close\nexpect_close.__code__ = None",
         "autodiff_course"),
        ("setattr(np, 'allclose', print)", "setattr() writes into numpy"),
        ("del np.allclose", "deletes from numpy"),
        ("abs = lambda v: 0", "rebinds the built-in `abs`"),
        ("def abs(v):\n    return 0", "rebinds the built-in `abs`"),
        ("def f():\n    global abs\n    abs = len", "rebinds the built-in `abs`"),
        ("globals()['abs'] = len", "namespace through globals()"),
        ("__builtins__.abs = len", "__builtins__"),
        ("exec('import autograd_ref')", "exec"),
        ("m = __import__('autograd_ref')", "__import__"),
        ("import importlib\nad = importlib.import_module('autograd_ref')", "importlib"),
        ("import inspect\ndef f(x):\n    return inspect.stack()[1].frame.f_locals['want']",
         "inspect"),
        ("import sys\ndef f(x):\n    return sys._getframe(1).f_locals['want']", "f_locals"),
        ("import subprocess", "subprocess"),
        ("import os\nos.system('ls')", "os.system"),
        ("!pip install torch", "shell command"),
        ("%%bash\necho hi", "%bash magic"),
        ("%time import autograd_ref", "reference library"),
        ("open('autodiff_course/checking.py', 'w').write('')", "opens a file for writing"),
        ("import sqlite3", "gradebook"),
        ("from unittest import mock", "unittest"),
    ],
)
def test_static_check_flags(source, reason):
    found = flags(source)
    assert any(reason in r for r in found), found


@pytest.mark.parametrize(
    "source",
    [
        'def forward_difference(f, x, h):\n    """doc"""\n    return (f(x + h) - f(x)) / h',
        "import numpy as np\ndef g(f, x, h=1e-6):\n    out = np.zeros_like(x)\n"
        "    for i in range(x.size):\n        e = np.zeros_like(x)\n        e[i] = h\n"
        "        out[i] = (f(x + e) - f(x - e)) / (2 * h)\n    return out",
        "import math\ndef f(x):\n    return math.sin(x) * abs(x)",
        "%matplotlib inline\nimport matplotlib.pyplot as plt",
        "def double(x):\n    abs = 3  # a local name is fine\n    return 2 * x",
        "results = {}\nresults['h'] = 1e-6\nsum_of_squares = sum(v * v for v in [1, 2])",
        "class Value:\n    def __init__(self, v):\n        self.v = v\n"
        "    def __add__(self, other):\n        return Value(self.v + other.v)",
        "import numpy as np\nrng = np.random.default_rng(0)\nx = rng.normal(size=3)\nx[0] = 1.0",
        "def double(x)\n    return 2 * x",  # a syntax error is left to fail when it runs
    ],
)
def test_static_check_accepts_honest_work(source):
    assert flags(source) == []


def test_static_check_only_protects_builtins_the_tests_use():
    assert flags("max = 3", test_sources=["assert max([1, 2]) == 2"])
    assert flags("max = 3", test_sources=["assert abs(-1) == 1"]) == []


# ---------------------------------------------------------------------------------------------
# the helpers' own defences


class _AlwaysEqual:
    def __eq__(self, other):
        return True


class _AlwaysTrue:
    def __bool__(self):
        return True


def test_expect_equal_refuses_objects_that_claim_equality():
    with pytest.raises(AssertionError, match="its own comparison"):
        expect_equal(_AlwaysEqual(), 3, "count")
    with pytest.raises(AssertionError, match="its own comparison"):
        expect_equal([_AlwaysEqual()], [3], "list")
    expect_equal((2, 3), (2, 3), "shape")


def test_expect_true_refuses_objects_with_their_own_truth():
    with pytest.raises(AssertionError, match="truth value"):
        expect_true(_AlwaysTrue(), "condition")
    with pytest.raises(AssertionError, match="not satisfied"):
        expect_true(False, "condition")


def test_expect_close_compares_numbers_not_objects():
    class Pretender:
        def __float__(self):
            return 6.0

        def __eq__(self, other):
            return True

    with pytest.raises(AssertionError, match="expected 7.0"):
        expect_close(Pretender(), 7.0, "value")


# ---------------------------------------------------------------------------------------------
# normalisation, without grading


@pytest.fixture(scope="module")
def mini_pair():
    from pipeline_fixtures import mini_notebook

    source = mini_notebook()
    # a release without running nbgrader: answers cleared the way generate_assignment does
    release = copy.deepcopy(source)
    for c in release.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution") and c.cell_type == "code":
            c.source = c.source.split("### BEGIN SOLUTION")[0] + "# YOUR CODE HERE\n"
        meta["checksum"] = "x"
    return source, release


def test_normalise_restores_deleted_test_cells_in_place(mini_pair):
    _, release = mini_pair
    submitted = copy.deepcopy(release)
    submitted.cells = [c for c in submitted.cells
                       if c.metadata.get("nbgrader", {}).get("grade_id") != "double-tests"]
    result = normalise_submission(submitted, release)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in result.notebook.cells]
    assert ids.index("double-tests") == ids.index("double-answer") + 1
    assert any("double-tests" in n and "restored" in n for n in result.notes)


def test_normalise_drops_invented_and_copied_grade_cells(mini_pair):
    _, release = mini_pair
    submitted = copy.deepcopy(release)
    fake = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": False, "points": 100,
        "grade_id": "bonus", "schema_version": 3}})
    copy_of_test = copy.deepcopy(cell(submitted, "slope-tests"))
    copy_of_test["id"] = "copy1"
    submitted.cells += [fake, copy_of_test]
    result = normalise_submission(submitted, release)
    graded = [c for c in result.notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert sorted(c.metadata.nbgrader.grade_id for c in graded) == [
        "double-tests", "slope-tests", "why-written"]


# ---------------------------------------------------------------------------------------------
# the batch

SOLUTION_DOUBLE = 'def double(x):\n    """2 x"""\n    return 2 * x'


def _submissions(release: nbformat.NotebookNode, source: nbformat.NotebookNode, folder: Path):
    complete = fill_answers(release, source)
    students = {
        "complete": complete,
        "untouched": release,
        "loop": with_answer(complete, "double-answer", "while True:\n    pass"),
        "loop-unstoppable": with_answer(
            complete, "double-answer",
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"),
        "exit": with_answer(complete, "double-answer", "import os\nos._exit(1)"),
        "raises": with_answer(complete, "double-answer",
                              "def double(x):\n    raise ValueError('nope')"),
        "syntax": with_answer(complete, "slope-answer", "def slope(f, x, h)\n    return 1"),
        "noisy": with_answer(
            with_answer(complete, "double-answer",
                        "import sys, warnings\ndef double(x):\n"
                        "    warnings.warn('double is noisy')\n"
                        "    print('to stderr', file=sys.stderr)\n    return 2 * x"),
            "slope-answer",
            "import warnings\ndef slope(f, x, h):\n"
            "    warnings.warn('slope is noisy', RuntimeWarning)\n"
            "    return (f(x + h) - f(x)) / h"),
        "flood": with_answer(complete, "slope-answer",
                             "def slope(f, x, h):\n    for _ in range(2000):\n"
                             "        print('x' * 1000)\n    return (f(x + h) - f(x)) / h"),
        # 40 x 800 MB of address space, never touched: cheap if the cap is missing (and then
        # no MemoryError: the test fails), a MemoryError on the second array under the cap
        "memory": with_answer(complete, "double-answer",
                              "import numpy as np\nhog = [np.empty(10**8) for _ in range(40)]\n"
                              + SOLUTION_DOUBLE),
        "hidden-fail": with_answer(complete, "double-answer",
                                   "def double(x):\n    return 6.0 if x == 3.0 else x"),
        "patched": with_answer(complete, "double-answer",
                               "import autodiff_course.checking as chk\n"
                               "chk.expect_close = lambda *a, **k: None\n" + SOLUTION_DOUBLE),
        "shadow": with_answer(complete, "double-answer", "abs = lambda v: 0\n" + SOLUTION_DOUBLE),
        "reference": with_answer(
            complete, "slope-answer",
            "from autograd_ref.finite_diff import forward_difference as slope"),
    }
    # tests edited (source and points), deleted, retyped: restored and graded as written
    tampered = with_answer(complete, "double-answer", "def double(x):\n    return x")
    cell(tampered, "double-tests").source = "pass"
    cell(tampered, "double-tests").metadata.nbgrader["points"] = 100
    tampered.cells = [c for c in tampered.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") != "slope-tests"]
    students["tampered"] = tampered
    retyped = copy.deepcopy(complete)
    test = cell(retyped, "double-tests")
    retyped.cells[retyped.cells.index(test)] = nbformat.v4.new_markdown_cell(
        "expect nothing", metadata=test.metadata)
    students["retyped"] = retyped
    bonus = copy.deepcopy(complete)
    bonus.cells.append(nbformat.v4.new_code_cell("print('bonus')", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 50, "grade_id": "bonus",
        "schema_version": 3}}))
    students["bonus"] = bonus
    for student, nb in students.items():
        put(folder, student, MINI, nb)
    put(folder, "renamed", MINI, complete, name=f"{MINI}-Copy1.ipynb")
    put(folder, "corrupt", MINI, nbformat.writes(complete)[:500])
    missing = folder / "missing" / MINI
    missing.mkdir(parents=True)
    (missing / "answers.txt").write_text("see attached\n")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("hardening")
    root = make_mini_course(base / "course")
    submissions = base / "submissions"
    source = read(root / "solutions" / MINI / f"{MINI}.ipynb")

    def write_submissions(ws):
        release = read(ws.release / MINI / f"{MINI}.ipynb")
        _submissions(release, source, submissions)

    messages = []
    outcome = batch.autograde(
        submissions, root=root, workspace=base / "workspace", log=messages.append,
        assignments=[MINI], before_grading=write_submissions,
        options=batch.Options(jobs=2, timeout=TIMEOUT, memory_mb=MEMORY_MB, progress=False),
    )
    rows = {r.student: r for r in outcome.rows}
    return {"outcome": outcome, "rows": rows, "root": root, "submissions": submissions,
            "workspace": outcome.workspace}


def _row(graded, student):
    return graded["rows"][student]


def _feedback_text(graded, student) -> str:
    page = graded["workspace"].feedback / student / MINI / f"{MINI}.html"
    text = re.sub(r"<[^>]+>", "", page.read_text())
    return html.unescape(text)


def test_every_student_folder_gets_a_row_in_grades_csv(graded):
    students = sorted(p.name for p in graded["submissions"].iterdir())
    on_file = read_csv(graded["workspace"].grades_csv)
    assert sorted(r.student for r in on_file) == students
    assert all(r.max_score == 7 for r in on_file)
    for student in students:
        page = graded["workspace"].feedback / student / MINI / f"{MINI}.html"
        assert page.is_file(), student


def test_complete_and_untouched_are_unaffected_by_the_others(graded):
    complete, untouched = _row(graded, "complete"), _row(graded, "untouched")
    assert (complete.status, complete.score, complete.pending_manual) == ("graded", 5, 2)
    assert (untouched.status, untouched.score, untouched.pending_manual) == ("graded", 0, 0)
    assert "NotImplementedError" in untouched.message


def test_infinite_loop_is_interrupted_and_the_rest_is_graded(graded):
    row = _row(graded, "loop")
    assert row.status == "timed-out"
    assert row.score == 3  # slope still passes after the interrupted cell
    assert "double-answer" in row.message and f"{TIMEOUT} s" in row.message


def test_loop_that_ignores_interrupts_times_out_with_zero(graded):
    row = _row(graded, "loop-unstoppable")
    assert (row.status, row.score) == ("timed-out", 0)
    assert "could not be interrupted" in row.message


def test_dead_kernel_is_reported_against_its_cell(graded):
    row = _row(graded, "exit")
    assert (row.status, row.score) == ("crashed", 0)
    assert "kernel died" in row.message and "double-answer" in row.message


def test_raising_and_syntax_errors_cost_only_their_part(graded):
    raises, syntax = _row(graded, "raises"), _row(graded, "syntax")
    assert (raises.status, raises.score) == ("graded", 3)
    assert "ValueError: nope" in raises.message
    assert (syntax.status, syntax.score) == ("graded", 2)
    assert "SyntaxError" in syntax.message


def test_warnings_and_stderr_do_not_cost_points(graded):
    row = _row(graded, "noisy")
    assert (row.status, row.score) == ("graded", 5)
    assert "slope is noisy" in _feedback_text(graded, "noisy")


def test_output_flood_is_capped_while_it_runs(graded):
    row = _row(graded, "flood")
    assert (row.status, row.score) == ("graded", 5)
    notebook = graded["workspace"].autograded / "flood" / MINI / f"{MINI}.ipynb"
    assert notebook.stat().st_size < 1_000_000
    assert "output truncated" in _feedback_text(graded, "flood")


def test_memory_exhaustion_hits_the_kernel_cap(graded):
    row = _row(graded, "memory")
    assert row.status == "graded"
    assert row.score == 3  # the hog cell failed, so double is undefined; slope passes
    assert "MemoryError" in row.message


def test_invalid_json_and_missing_notebook_get_rows(graded):
    corrupt, missing = _row(graded, "corrupt"), _row(graded, "missing")
    assert (corrupt.status, corrupt.score) == ("unreadable", 0)
    assert "not valid JSON" in corrupt.message
    assert (missing.status, missing.score) == ("missing", 0)
    assert "answers.txt" in missing.message


def test_renamed_notebook_is_graded(graded):
    row = _row(graded, "renamed")
    assert (row.status, row.score) == ("graded", 5)
    assert f"{MINI}-Copy1.ipynb" in row.message


@pytest.mark.parametrize(
    "student, reason",
    [("patched", "autodiff_course"), ("shadow", "`abs`"), ("reference", "reference library")],
)
def test_cheating_is_flagged_with_zero(graded, student, reason):
    row = _row(graded, student)
    assert (row.status, row.score) == ("flagged", 0)
    assert reason in row.message
    assert reason in _feedback_text(graded, student)
    assert not (graded["workspace"].autograded / student).exists()  # never executed


def test_edited_and_deleted_tests_are_restored_and_points_not_raised(graded):
    row = _row(graded, "tampered")
    assert row.status == "graded"
    assert (row.score, row.max_score) == (3, 7)  # double (wrong) fails its restored test
    assert "double-tests" in row.message
    assert "slope-tests" in row.message and "restored" in row.message


def test_retyped_test_cell_is_restored(graded):
    row = _row(graded, "retyped")
    assert (row.status, row.score) == ("graded", 5)
    assert "double-tests" in row.message and "restored" in row.message


def test_invented_grade_cell_earns_nothing(graded):
    row = _row(graded, "bonus")
    assert (row.status, row.score, row.max_score) == ("graded", 5, 7)


def test_hidden_tests_never_reach_the_feedback(graded):
    row = _row(graded, "hidden-fail")
    assert (row.status, row.score) == ("graded", 3)
    assert "in a hidden test" in row.message
    autograded = (graded["workspace"].autograded / "hidden-fail" / MINI / f"{MINI}.ipynb")
    assert HIDDEN_MARKER in autograded.read_text()  # the hidden test did run
    for student in ("hidden-fail", "complete", "untouched", "noisy"):
        text = _feedback_text(graded, student)
        assert HIDDEN_NAME not in text, student
        assert "2469" not in text and "default_rng(7)" not in text, student
        assert "BEGIN HIDDEN TESTS" not in text, student
    assert "a hidden test failed here" in _feedback_text(graded, "hidden-fail")


def test_regrading_gives_the_same_scores(graded, tmp_path):
    """Deterministic: the same submissions graded again give the same rows.

    This second run also takes its submissions from its own workspace's submitted/ folder (where
    `nbgrader collect` puts them), which is graded in place.
    """
    again = ["complete", "hidden-fail", "raises", "corrupt"]
    workspace = tmp_path / "again"
    for student in again:
        source_folder = graded["submissions"] / student
        target = workspace / "submitted" / student
        for path in source_folder.rglob("*"):
            if path.is_file():
                destination = target / path.relative_to(source_folder)
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(path.read_bytes())
    outcome = batch.autograde(
        workspace / "submitted", root=graded["root"], workspace=workspace, log=lambda _: None,
        options=batch.Options(jobs=2, timeout=TIMEOUT, memory_mb=MEMORY_MB, progress=False),
    )
    assert sorted(r.student for r in outcome.rows) == sorted(again)
    for row in outcome.rows:
        first = _row(graded, row.student)
        assert (row.status, row.score, row.message) == (first.status, first.score, first.message)


def test_grades_csv_keeps_rows_of_other_pairs(tmp_path):
    from autodiff_course.report import Row, write_csv

    path = tmp_path / "grades.csv"
    write_csv(path, [Row("ann", "01", "01", 3, 5, "graded", "x"),
                     Row("bob", "01", "01", 5, 5, "graded", "y")])
    write_csv(path, [Row("ann", "01", "01", 4, 5, "graded", "again"),
                     Row("ann", "02", "02", 1, 5, "graded", "z")])
    rows = {(r.student, r.assignment): r for r in read_csv(path)}
    assert sorted(rows) == [("ann", "01"), ("ann", "02"), ("bob", "01")]
    assert (rows[("ann", "01")].score, rows[("ann", "01")].message) == (4, "again")
    assert rows[("bob", "01")].score == 5


def test_expect_equal_prints_ragged_values():
    expect_equal([(2, 3), (3,)], [(2, 3), (3,)], "shapes")
    with pytest.raises(AssertionError, match=r"expected \[\(2, 3\), \(3,\)\]"):
        expect_equal([(2, 3), (4,)], [(2, 3), (3,)], "shapes")


def test_only_kernel_start_failures_are_retried():
    from autodiff_course import grader
    from autodiff_course.preprocessors import journal

    race = {"success": False, "log": "RuntimeError: Kernel died before replying to kernel_info"}
    journal.clear()
    assert grader._start_failure(race)
    journal["cell_index"] = 3  # a cell was running: the student's code killed the kernel
    assert not grader._start_failure({"success": False, "log": "DeadKernelError: Kernel died"})
    journal.clear()
    assert not grader._start_failure({"success": False, "log": "Inconsistent checksums"})
