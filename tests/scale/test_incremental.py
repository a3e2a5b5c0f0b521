"""Incremental grading: a notebook is graded again only when its content, its assignment's tests
or the grader changed; ``--regrade`` grades everything again, ``--regrade --student S`` one
student; a manual grade entered in the gradebook survives every one of these runs."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # pipeline_fixtures
sys.path.insert(0, str(Path(__file__).resolve().parent))  # dask_cluster

import nbformat  # noqa: E402
from dask_cluster import counts, grades, mini_class  # noqa: E402
from pipeline_fixtures import MINI, cell, read_rows, run_cli  # noqa: E402

from autodiff_course.layout import COURSE_ID  # noqa: E402

STUDENTS = {"ada": "complete", "bob": "partial", "cy": "blank"}


def _manual(workspace: Path, score: float | None = None) -> float | None:
    """ada's manual grade of the written answer, set through nbgrader's own Gradebook API."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{workspace / 'gradebook.db'}", COURSE_ID) as gb:
        grade = gb.find_grade("why-written", MINI, MINI, "ada")
        if score is not None:
            grade.manual_score = score
            grade.needs_manual_grade = False  # as formgrader does when a score is entered
            gb.db.commit()
        return grade.manual_score


def test_only_what_changed_is_graded_and_manual_grades_survive(tmp_path):
    root, submissions = mini_class(tmp_path, STUDENTS)
    ws = tmp_path / "ws"

    def autograde(*args: str, course: Path = root):
        result = run_cli("autograde", submissions, "--course-root", course, "--workspace", ws,
                         "--no-progress", "--no-sandbox", *args)
        assert result.returncode == 0, result.stderr[-3000:]
        assert _manual(ws) == 2.0 or _manual(ws) is None
        return counts(result.stdout)

    assert autograde() == (3, 0)
    _manual(ws, 2.0)
    # nothing changed: nothing graded; ada's row counts the manual grade entered since
    assert autograde() == (0, 3)
    assert grades(ws)["ada"] == ("graded", 7.0, 0.0)
    assert read_rows(ws / "grades.csv")[("ada", MINI)]["message"] == "all tests passed"
    assert _manual(ws) == 2.0

    # one notebook changed (bob answers part B too): bob alone
    path = submissions / "bob" / MINI / f"{MINI}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell(nb, "slope-answer").source = "def slope(f, x, h):\n    return (f(x + h) - f(x)) / h"
    nbformat.write(nb, path)
    assert autograde() == (1, 2)
    assert grades(ws)["bob"] == ("graded", 5.0, 0.0)  # written answer left blank: 0

    # a notebook run again and re-saved (outputs, execution counts) is not a change
    answer = cell(nb, "slope-answer")
    answer.execution_count = 7
    answer.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran again\n")]
    nbformat.write(nb, path)
    assert autograde() == (0, 3)

    # an assignment's hidden test changed (in a copy of the course): every student of it
    changed = tmp_path / "course-fixed"
    shutil.copytree(root, changed)
    source = changed / "solutions" / MINI / f"{MINI}.ipynb"
    instructor = nbformat.read(source, as_version=4)
    test = cell(instructor, "double-tests")
    test.source = test.source.replace("### END HIDDEN TESTS",
                                      "assert hidden_probe_value > 0\n### END HIDDEN TESTS")
    nbformat.write(instructor, source)
    assert autograde(course=changed) == (3, 0)
    assert autograde(course=changed) == (0, 3)

    # --regrade: everyone again; --regrade --student: that student only, the others' rows kept
    assert autograde("--regrade", course=changed) == (3, 0)
    assert autograde("--regrade", "--student", "cy", course=changed) == (1, 0)
    assert grades(ws) == {"ada": ("graded", 7.0, 0.0), "bob": ("graded", 5.0, 0.0),
                          "cy": ("graded", 0.0, 0.0)}
    assert _manual(ws) == 2.0


def test_an_unknown_student_is_a_usage_error(tmp_path):
    root, submissions = mini_class(tmp_path, {"ada": "complete"})
    result = run_cli("autograde", submissions, "--course-root", root, "--workspace",
                     tmp_path / "ws", "--no-sandbox", "--student", "nobody")
    assert result.returncode == 2
    assert "no student folder nobody" in result.stderr
