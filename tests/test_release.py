"""The committed assignments/ is exactly what a fresh release of solutions/ produces.

nbgrader 0.9.6's generate_assignment is byte-stable here (same solutions in, same bytes out: no
timestamps, cell ids kept from the source, checksums from content), so the comparison is byte
for byte with no normalisation; the second test proves that stability on the mini course rather
than assuming it. When the first test fails, run ``autodiff-course release`` and commit
assignments/.
"""

from __future__ import annotations

import filecmp

import nbformat
from pipeline_fixtures import MINI, REPO, make_mini_course

from autodiff_course.layout import assignment_ids
from autodiff_course.release import check_release, differences, release


def test_committed_release_equals_a_fresh_one():
    problems = check_release(REPO, log=lambda _: None)
    assert not problems, "stale release (run `autodiff-course release`): " + "; ".join(problems)


def test_release_is_byte_stable_and_strips_what_students_must_not_see(tmp_path):
    root = make_mini_course(tmp_path / "course")
    first = release(root, [MINI], tmp_path / "first", log=lambda _: None)[0]
    second = release(root, [MINI], tmp_path / "second", log=lambda _: None)[0]
    assert differences(first, second) == []
    notebook = first / f"{MINI}.ipynb"
    assert filecmp.cmp(notebook, second / f"{MINI}.ipynb", shallow=False)
    text = notebook.read_text()
    assert "BEGIN HIDDEN TESTS" not in text and "hidden_probe_value" not in text
    assert "BEGIN SOLUTION" not in text and "the h terms cancel" not in text
    assert "YOUR CODE HERE" in text and "YOUR ANSWER HERE" in text
    nb = nbformat.read(str(notebook), as_version=4)
    answer = next(c for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "double-answer")
    assert "return 2 * x" not in answer.source and "def double(x):" in answer.source
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata.nbgrader.get("solution")]
    assert tests and all(c.metadata.nbgrader["locked"] for c in tests)


def test_differences_reports_edits(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.ipynb").write_text("1")
    (tmp_path / "b" / "x.ipynb").write_text("2")
    (tmp_path / "b" / "extra.csv").write_text("3")
    found = differences(tmp_path / "a", tmp_path / "b")
    assert any("x.ipynb: differs" in d for d in found)
    assert any("extra.csv: only in" in d for d in found)


def test_every_topic_in_solutions_is_released():
    for topic in assignment_ids(REPO):
        assert (REPO / "assignments" / topic / f"{topic}.ipynb").is_file(), (
            f"assignments/{topic} missing: run `autodiff-course release {topic}`")


def test_no_cell_that_runs_in_the_kernel_needs_the_reference_library():
    """Given and answer cells run in the student's kernel, which has no autograd_ref: every
    notebook the course hands out works without it (test cells run in the grader)."""
    import re

    from autodiff_course.notebooks import is_test, read

    uses = re.compile(r"^\s*(import autograd_ref|from autograd_ref)", re.MULTILINE)
    for topic in assignment_ids(REPO):
        for folder in ("solutions", "assignments"):
            nb = read(REPO / folder / topic / f"{topic}.ipynb")
            offending = [c.source[:60] for c in nb.cells
                         if c.cell_type == "code" and not is_test(c) and uses.search(c.source)]
            assert not offending, f"{folder}/{topic}: {offending}"
