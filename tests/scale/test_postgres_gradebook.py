"""The same submissions graded into SQLite and into a real PostgreSQL server: the same grades,
cell by cell, the same grades.csv, the same answers to what Formgrader asks nbgrader, and a
manual grade entered in PostgreSQL kept by a re-run.

The PostgreSQL run passes ``--db-url`` without a password and the password in ``PGPASSWORD``,
as docs and README advise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from pipeline_fixtures import MINI, make_mini_course, put, read_rows, run_cli, with_answer

from autodiff_course.layout import COURSE_ID
from autodiff_course.notebooks import fill_answers, read

CRASH = "import os\nos._exit(3)"
# central difference divided by h instead of 2h: Part B's tests fail, Part A's pass
WRONG_SLOPE = "def slope(f, x, h):\n    return (f(x + h) - f(x - h)) / h"
# ids and times differ by nature; "index" is a notebook's place in the order nbgrader's query
# returns them, which SQL leaves to the database (nbgrader asks for no order)
VOLATILE = {"id", "timestamp", "display_timestamp", "duedate", "display_duedate", "index"}


@dataclass
class Graded:
    root: Path
    submissions: Path
    sqlite_ws: Path
    pg_ws: Path
    sqlite_url: str
    pg: object  # conftest.Postgres
    full: object  # a complete submission


def grade(graded: Graded, workspace: Path, *args: str, env: dict | None = None):
    result = run_cli("autograde", graded.submissions, "--course-root", graded.root,
                     "--workspace", workspace, "--no-progress", *args, extra_env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def grade_pg(graded: Graded, env: dict | None = None):
    return grade(graded, graded.pg_ws, "--db-url", graded.pg.url_without_password,
                 env=env or {"PGPASSWORD": graded.pg.password})


@pytest.fixture(scope="module")
def graded(tmp_path_factory, postgres) -> Graded:
    base = tmp_path_factory.mktemp("pg-vs-sqlite")
    root = make_mini_course(base / "course")
    release = read(root / "assignments" / MINI / f"{MINI}.ipynb")
    full = fill_answers(release, read(root / "solutions" / MINI / f"{MINI}.ipynb"))
    submissions = base / "submissions"
    put(submissions, "ada", MINI, full)  # everything right
    put(submissions, "bob", MINI, release)  # nothing answered
    put(submissions, "cy", MINI, with_answer(full, "slope-answer", WRONG_SLOPE))  # part right
    put(submissions, "dee", MINI, with_answer(full, "double-answer", CRASH))  # kernel dies
    put(submissions, "eve", MINI, "{ this is not a notebook")  # unreadable
    (submissions / "fay").mkdir()  # nothing handed in
    g = Graded(root, submissions, base / "ws-sqlite", base / "ws-pg",
               f"sqlite:///{base / 'ws-sqlite' / 'gradebook.db'}", postgres.fresh_database(),
               full)
    grade(g, g.sqlite_ws)
    grade_pg(g)
    return g


def csv_rows(workspace: Path) -> dict:
    """grades.csv by (student, assignment), without what differs between two runs by nature:
    how long grading took and when the grader first saw each notebook."""
    return {key: {k: v for k, v in row.items() if k not in ("seconds", "collected")}
            for key, row in read_rows(workspace / "grades.csv").items()}


def test_grades_csv_is_the_same_on_both(graded):
    sqlite, pg = csv_rows(graded.sqlite_ws), csv_rows(graded.pg_ws)
    assert pg == sqlite
    summary = {student: (row["status"], float(row["score"]), float(row["pending_manual"]))
               for (student, _), row in pg.items()}
    assert summary == {"ada": ("graded", 5.0, 2.0), "bob": ("graded", 0.0, 0.0),
                       "cy": ("graded", 2.0, 2.0), "dee": ("crashed", 0.0, 2.0),
                       "eve": ("unreadable", 0.0, 0.0), "fay": ("missing", 0.0, 0.0)}


def cell_grades(url: str) -> dict:
    """Every grade in the gradebook: (student, notebook, cell) -> what Formgrader shows."""
    with Gradebook(url, COURSE_ID) as gb:
        found = {}
        for student in gb.students:
            for sub in student.submissions:
                for nb in sub.notebooks:
                    for g in nb.grades:
                        found[(student.id, nb.name, g.name)] = (
                            g.auto_score, g.manual_score, g.needs_manual_grade,
                            float(g.max_score))
        gb.engine.dispose()
    return found


def test_every_cell_grade_is_the_same_on_both(graded):
    sqlite, pg = cell_grades(graded.sqlite_url), cell_grades(graded.pg.url)
    assert pg == sqlite
    assert pg[("ada", MINI, "double-tests")] == (2.0, None, False, 2.0)
    assert pg[("cy", MINI, "slope-tests")] == (0.0, None, False, 3.0)
    assert pg[("ada", MINI, "why-written")] == (None, None, True, 2.0)
    assert pg[("dee", MINI, "double-tests")] == (0.0, None, False, 2.0)  # its kernel died
    assert {s for s, _, _ in pg} == {"ada", "bob", "cy", "dee"}  # none for eve's, fay's nothing


def formgrader_view(root: Path, workspace: Path, url: str) -> dict:
    """What Formgrader's pages ask nbgrader's API, minus ids and times."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    from autodiff_course.config import configure
    from autodiff_course.layout import Workspace

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k not in VOLATILE}
        if isinstance(value, list):
            return sorted((plain(v) for v in value), key=repr)
        return value

    config = configure(Config(), root, Workspace.at(workspace, url))
    config.Exchange.root = str(workspace / "exchange")  # Formgrader's own; none here
    (workspace / "exchange").mkdir(exist_ok=True)
    api = NbGraderAPI(config=config)
    view = {
        "assignments": api.get_assignments(),
        "notebooks": api.get_notebooks(MINI),
        "submissions": api.get_submissions(MINI),
        "notebook submissions": api.get_notebook_submissions(MINI, MINI),
        "students": api.get_students(),
        "ada": api.get_student_notebook_submissions("ada", MINI),
    }
    api.gradebook.close()
    return plain(view)


def test_formgrader_sees_the_same_on_both(graded):
    sqlite = formgrader_view(graded.root, graded.sqlite_ws, graded.sqlite_url)
    pg = formgrader_view(graded.root, graded.pg_ws, graded.pg.url)
    assert pg == sqlite
    scores = {s["student"]: (s["score"], s["max_score"], s["needs_manual_grade"])
              for s in pg["notebook submissions"]}
    assert scores == {"ada": (5.0, 7.0, True), "bob": (0.0, 7.0, False), "cy": (2.0, 7.0, True),
                      "dee": (0.0, 7.0, True)}
    assert len(pg["students"]) == 4  # ada, bob, cy, dee


def set_manual(url: str, student: str, cell: str, score: float) -> None:
    with Gradebook(url, COURSE_ID) as gb:
        grade = gb.find_grade(cell, MINI, MINI, student)
        grade.manual_score = score
        grade.needs_manual_grade = False
        gb.db.commit()
        gb.engine.dispose()


# Last in the file: it changes the PostgreSQL workspace the tests above read. The re-run reads
# the password from a .pgpass file (PGPASSFILE), the other way every PostgreSQL client has.
def test_a_manual_grade_in_postgres_survives_a_rerun_with_a_pgpass_file(graded, tmp_path):
    set_manual(graded.pg.url, "ada", "why-written", 1.5)
    set_manual(graded.pg.url, "bob", "why-written", 0.5)
    set_manual(graded.pg.url, "cy", "slope-tests", 2.0)  # a person overrules a test
    put(graded.submissions, "bob", MINI, graded.full)  # bob's notebook changed: graded again
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(graded.pg.pgpass_line())
    pgpass.chmod(0o600)  # libpq ignores a .pgpass others can read
    grade_pg(graded, env={"PGPASSFILE": str(pgpass), "PGPASSWORD": ""})
    grades = cell_grades(graded.pg.url)
    assert grades[("ada", MINI, "why-written")] == (None, 1.5, False, 2.0)
    # bob's written answer changed since its hand grade: it waits for a person again
    assert grades[("bob", MINI, "why-written")] == (None, None, True, 2.0)
    assert grades[("bob", MINI, "double-tests")] == (2.0, None, False, 2.0)  # re-graded
    assert grades[("cy", MINI, "slope-tests")] == (0.0, 2.0, False, 3.0)
    rows = csv_rows(graded.pg_ws)
    assert {s: (float(r["score"]), float(r["pending_manual"])) for (s, _), r in rows.items()
            if s in ("ada", "bob", "cy")} == {"ada": (6.5, 0.0), "bob": (5.0, 2.0),
                                              "cy": (4.0, 2.0)}
