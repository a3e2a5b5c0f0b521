"""The gradebook is loaded from solutions/, checked on every run, repaired or refused, and scores
are written without ever touching a grade entered by hand."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest
from nbgrader.api import Gradebook
from pipeline_fixtures import MINI, make_mini_course

from autodiff_course import gradebook
from autodiff_course.layout import COURSE_ID, CourseError, Workspace

SCORES = {"double-tests": 2.0, "slope-tests": 0.0, "why-written": None}
WHEN = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A mini course and a workspace whose gradebook was loaded once (loading takes seconds)."""
    base = tmp_path_factory.mktemp("gradebook")
    root = make_mini_course(base / "course")
    ws = Workspace.at(base / "ws")
    gradebook.ensure_assignments(ws, root, [MINI], log=lambda _: None)
    return root, ws


@pytest.fixture
def loaded(course, tmp_path):
    """A private copy of the loaded workspace for one test."""
    root, ws = course
    copy = tmp_path / "ws"
    shutil.copytree(ws.path, copy)
    return root, Workspace.at(copy)


def test_a_fresh_gradebook_matches_solutions(loaded):
    root, ws = loaded
    assert gradebook.differences(ws, root, [MINI]) == {}
    with Gradebook(ws.db_url, COURSE_ID) as gb:
        cells = {c.name: c.max_score for c in gb.find_notebook(MINI, MINI).grade_cells}
    assert cells == {"double-tests": 2.0, "slope-tests": 3.0, "why-written": 2.0}


def poison(ws, *, points=None, source=None):
    with Gradebook(ws.db_url, COURSE_ID) as gb:
        nb = gb.find_notebook(MINI, MINI)
        if points is not None:
            gb.find_grade_cell("double-tests", MINI, MINI).max_score = points
        if source is not None:
            cell = next(c for c in nb.source_cells if c.name == "double-tests")
            cell.source = source
        gb.db.commit()


def test_a_poisoned_gradebook_is_noticed_and_repaired(loaded):
    root, ws = loaded
    poison(ws, points=100.0, source="pass  # every test passes")
    found = gradebook.differences(ws, root, [MINI])
    assert "double-tests" in " ".join(found[MINI])
    logged = []
    gradebook.ensure_assignments(ws, root, [MINI], log=logged.append)
    assert logged and "loading" in logged[0]
    assert gradebook.differences(ws, root, [MINI]) == {}
    with Gradebook(ws.db_url, COURSE_ID) as gb:
        assert gb.find_grade_cell("double-tests", MINI, MINI).max_score == 2.0


def test_a_gradebook_that_cannot_be_repaired_is_refused(loaded):
    root, ws = loaded
    gradebook.record(ws, MINI, "alice", MINI, SCORES, WHEN)
    with Gradebook(ws.db_url, COURSE_ID) as gb:  # a graded cell nobody wrote, worth 100
        gb.add_grade_cell("bonus", MINI, MINI, max_score=100.0, cell_type="code")
    with pytest.raises(CourseError, match="does not match solutions/"):
        gradebook.ensure_assignments(ws, root, [MINI], log=lambda _: None)


def test_scores_are_recorded_and_manual_grades_survive_regrading(loaded):
    _, ws = loaded
    totals = gradebook.record(ws, MINI, "alice", MINI, SCORES, WHEN)
    assert (totals.score, totals.max_score, totals.pending) == (2.0, 7.0, 2.0)
    with Gradebook(ws.db_url, COURSE_ID) as gb:  # a person grades the written answer
        grade = gb.find_grade("why-written", MINI, MINI, "alice")
        grade.manual_score = 1.5
        grade.needs_manual_grade = False
        gb.db.commit()
    totals = gradebook.record(ws, MINI, "alice", MINI, dict(SCORES, **{"slope-tests": 3.0}),
                              WHEN)
    assert (totals.score, totals.pending) == (6.5, 0.0)
    with Gradebook(ws.db_url, COURSE_ID) as gb:
        assert gb.find_grade("why-written", MINI, MINI, "alice").manual_score == 1.5
        assert gb.find_submission(MINI, "alice").timestamp.replace(tzinfo=UTC) == WHEN


def test_forget_removes_a_submission(loaded):
    _, ws = loaded
    gradebook.record(ws, MINI, "bob", MINI, SCORES, WHEN)
    gradebook.forget(ws, [(MINI, "bob"), (MINI, "nobody")])
    with Gradebook(ws.db_url, COURSE_ID) as gb:
        assert [s.student.id for s in gb.find_assignment(MINI).submissions] == []
