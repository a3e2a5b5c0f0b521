"""The workspace's nbgrader gradebook: loaded from solutions/, checked every run, scores written.

The gradebook is nbgrader's (SQLite in the workspace by default, any SQLAlchemy URL with
``--db-url``), so Formgrader, manual grading and ``nbgrader export`` work on it unchanged. This
module is the only place a grading run touches it (a migration adds
:mod:`autodiff_course.gradebook_backup`, through the same :func:`opened`):

- :func:`ensure_assignments` makes the gradebook hold each assignment exactly as ``solutions/``
  defines it. It does not trust what is there: every run, each notebook's grade cells (names,
  points, types) and source cells (type, locked flag, source, checksum) are compared with what
  nbgrader itself would record from the instructor's notebook (:func:`expected_cells`, nbgrader's
  own preprocessors run in memory). A gradebook that differs (first use, changed solutions, or
  tampering) is reloaded with nbgrader's ``generate_assignment``; one that still differs after
  that (nbgrader refuses to change cells once there are submissions) stops the run with a message
  naming ``autodiff-course migrate`` instead of being used;
- :func:`record` writes the grader's score for every graded cell of a submission (automatic
  scores only: a manual score entered in Formgrader is never changed) and returns the totals;
- :func:`forget` removes the submissions of students whose notebook could not be run;
- :func:`stored_cells`, :func:`hand_grades`, :func:`remove_submissions`, :func:`put_back` and
  :func:`manual_scores` are the gradebook's side of ``autodiff-course migrate``
  (:mod:`autodiff_course.migrate`): an assignment changed after grading is reloaded with its
  submissions' hand grades carried over.

Every connection goes through :func:`opened`, which turns what the database says (a wrong
password, a server that is down, a database that does not exist, a missing driver) into a
one-line :class:`GradebookError` naming what to do, with the URL's password masked and every
form of the password removed from the driver's message. The password itself is best kept out of
the URL: PostgreSQL's driver reads ``PGPASSWORD`` or a ``.pgpass`` file, as every PostgreSQL
client does.
"""

from __future__ import annotations

import multiprocessing
import re
import tempfile
import warnings
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import environment
from .layout import COURSE_ID, CourseError, Workspace, mask_password, redact, source_notebooks
from .notebooks import read
from .release import recorded_notebook

# SQLAlchemy's driver name -> what to pip install for it
DRIVER_PACKAGES = {
    "psycopg2": "psycopg2-binary",
    "psycopg": "'psycopg[binary]'",
    "pg8000": "pg8000",
    "asyncpg": "asyncpg",
    "pymysql": "PyMySQL",
    "mysqldb": "mysqlclient",
}
_HINTS = [
    (re.compile(r"password authentication failed", re.I),
     "check the role's password (PGPASSWORD or a ~/.pgpass file)"),
    (re.compile(r"no password supplied", re.I),
     "give the password in PGPASSWORD or a ~/.pgpass file (PGPASSFILE), not in --db-url"),
    (re.compile(r"database \S+ does not exist", re.I),
     "create it (createdb -O ROLE NAME) or correct the URL"),
    (re.compile(r"role \S+ does not exist", re.I), "create the role or correct the URL"),
    (re.compile(r"refused|could not translate host|timeout expired|no route|unreachable", re.I),
     "is the server running and reachable from this machine?"),
]


class GradebookError(CourseError):
    """The gradebook could not be used; the one-line message says why (password masked)."""


def describe(err: BaseException, url: str) -> str:
    """One line for ``err`` (the driver's own message where there is one), password removed,
    with a hint at the usual fix."""
    original = getattr(err, "orig", None) or err
    text = " ".join(str(original).split()) or type(original).__name__
    text = redact(text, url)[:300]
    hint = next((h for pattern, h in _HINTS if pattern.search(text)), "")
    if not hint or text.endswith("?"):  # libpq's own question ("Is the server running ...?")
        return text
    return f"{text}; {hint}"


def check_url(url: str) -> None:
    """Stop early, in one line, on a URL that cannot work: not a database URL, an unknown
    database kind, or a driver that is not installed (a bare import traceback otherwise)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    shown = mask_password(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise GradebookError("the gradebook URL (not shown: it may hold a password) is not a "
                             "database URL: expected postgresql+psycopg2://USER@HOST:PORT/DB "
                             "or sqlite:///PATH") from None
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise GradebookError(f"the gradebook URL {shown} names an unknown kind of database "
                             f"'{parsed.drivername}' (for PostgreSQL: "
                             "postgresql+psycopg2://USER@HOST:PORT/DB)") from None
    load = getattr(dialect, "import_dbapi", None) or dialect.dbapi
    try:
        load()
    except ImportError:
        driver = parsed.get_driver_name()
        default = ("" if "+" in parsed.drivername or parsed.get_backend_name() != "postgresql"
                   else " (or name an installed driver: postgresql+psycopg2://...)")
        raise GradebookError(
            f"the gradebook URL {shown} needs the Python driver '{driver}', which is not "
            f"installed: pip install {DRIVER_PACKAGES.get(driver, driver)}{default}") from None


@contextmanager
def opened(ws: Workspace) -> Iterator:
    """nbgrader's ``Gradebook`` on the workspace's database; database failures (opening it or
    later) become a :class:`GradebookError`, and its connections are closed on the way out.

    nbgrader's own ``MissingEntry`` passes through: callers use it to ask "is it there?".
    """
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SQLAlchemyError

    try:
        gb = Gradebook(ws.db_url, COURSE_ID)
    except ImportError:
        check_url(ws.db_url)
        raise
    except Exception as err:  # noqa: BLE001 - anything the driver says, one line, no password
        raise GradebookError(f"the gradebook ({ws.shown_db_url}) cannot be opened: "
                             f"{describe(err, ws.db_url)}") from None
    try:
        yield gb
    except SQLAlchemyError as err:
        raise GradebookError(f"the gradebook ({ws.shown_db_url}) failed: "
                             f"{describe(err, ws.db_url)}") from None
    finally:
        try:
            gb.close()
            gb.engine.dispose()  # nbgrader's close() leaves the pool's connections open
        except Exception:  # noqa: BLE001 - a connection already gone
            pass


def expected_cells(solution_nb) -> tuple[dict, dict]:
    """(grade cells, source cells) as nbgrader's generate_assignment records them.

    grade cells: {name: (max_score, cell_type)}; source cells: {name: (cell_type, locked, source,
    checksum)}. The notebook goes through nbgrader's own preprocessors, in the order
    generate_assignment runs them before saving cells, so "what nbgrader would store" is nbgrader's
    answer, not a copy of its logic.
    """
    from nbgrader import utils

    nb = recorded_notebook(solution_nb)
    grade, source = {}, {}
    for cell in nb.cells:
        if not utils.is_grade(cell) and not utils.is_solution(cell) and not utils.is_locked(cell):
            continue
        name = cell.metadata.nbgrader["grade_id"]
        if utils.is_grade(cell):
            grade[name] = (float(cell.metadata.nbgrader["points"]), cell.cell_type)
        source[name] = (cell.cell_type, bool(utils.is_locked(cell)), cell.source,
                        cell.metadata.nbgrader.get("checksum"))
    return grade, source


def _differences(gb, assignment: str, root: Path) -> list[str]:
    from nbgrader.api import MissingEntry

    problems = []
    try:
        stored = gb.find_assignment(assignment)
    except MissingEntry:
        return [f"{assignment} is not in the gradebook"]
    stored_notebooks = {nb.name: nb for nb in stored.notebooks}
    wanted = {p.stem: p for p in source_notebooks(root, assignment)}
    if set(stored_notebooks) != set(wanted):
        problems.append(f"{assignment}: notebooks {sorted(stored_notebooks)} in the gradebook, "
                        f"{sorted(wanted)} in solutions/")
    for name, path in wanted.items():
        nb = stored_notebooks.get(name)
        if nb is None:
            continue
        grade, source = expected_cells(read(path))
        have_grade = {c.name: (float(c.max_score), c.cell_type) for c in nb.grade_cells}
        have_source = {c.name: (c.cell_type, bool(c.locked), c.source, c.checksum)
                       for c in nb.source_cells}
        for label, have, want in (("graded cells", have_grade, grade),
                                  ("cells", have_source, source)):
            if set(have) != set(want):
                problems.append(f"{assignment}/{name}: {label} "
                                f"{sorted(set(have) ^ set(want))} differ in name")
            changed = sorted(k for k in set(have) & set(want) if have[k] != want[k])
            if changed:
                problems.append(f"{assignment}/{name}: {label} {changed} differ from solutions/")
    return problems


def differences(ws: Workspace, root: Path, assignments: list[str]) -> dict[str, list[str]]:
    """Where the gradebook disagrees with solutions/, by assignment (empty: it can be trusted)."""
    with opened(ws) as gb:
        found = {a: _differences(gb, a, root) for a in assignments}
    return {a: problems for a, problems in found.items() if problems}


def _load(root: str, db_url: str, assignments: list[str]) -> dict[str, str]:
    """In a spawned process: nbgrader's generate_assignment into a scratch release."""
    import logging
    import warnings

    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    from .layout import RELEASE_DIRECTORY, SOURCE_DIRECTORY

    environment.prepare()
    warnings.filterwarnings("ignore")
    logging.getLogger("traitlets").handlers = [logging.NullHandler()]
    failures = {}
    with tempfile.TemporaryDirectory(prefix="autodiff-load-") as scratch:
        c = Config()
        c.CourseDirectory.root = root
        c.CourseDirectory.course_id = COURSE_ID
        c.CourseDirectory.source_directory = SOURCE_DIRECTORY
        c.CourseDirectory.release_directory = str(Path(scratch) / RELEASE_DIRECTORY)
        c.CourseDirectory.db_url = db_url
        c.NbGraderAPI.log_level = "ERROR"
        api = NbGraderAPI(config=c)
        for assignment in assignments:
            result = api.generate_assignment(assignment, force=True, create=True)
            if not result["success"]:
                text = (result.get("log") or "") + "\n" + (result.get("error") or "")
                lines = [line.strip() for line in text.splitlines() if line.strip()]
                errors = [line for line in lines if "rror" in line or "Cannot" in line]
                failures[assignment] = (errors or lines or ["no log"])[-1][:300]
    return failures


def _hand_grades_over(ws: Workspace, root: Path, assignments: list[str]) -> list[str]:
    """Hand grades above what solutions/ now gives their part: nbgrader would accept the new
    points silently and leave a score above the maximum, a point nobody earned."""
    over = []
    for assignment in assignments:
        maxima = {}
        for path in source_notebooks(root, assignment):
            grade, _ = expected_cells(read(path))
            maxima.update({(path.stem, cell): points for cell, (points, _) in grade.items()})
        for (student, notebook, cell), score in manual_scores(ws, assignment).items():
            if (notebook, cell) in maxima and score > maxima[(notebook, cell)]:
                over.append(f"{student} {assignment}/{cell} {score:g} > "
                            f"{maxima[(notebook, cell)]:g}")
    return over


def ensure_assignments(ws: Workspace, root: Path, assignments: list[str], log=print) -> None:
    """See the module docstring; raises :class:`CourseError` when the gradebook is unusable."""
    environment.prepare()  # nbgrader runs a bare `alembic` when it creates a gradebook
    check_url(ws.db_url)
    ws.path.mkdir(parents=True, exist_ok=True)
    try:
        stale = sorted(differences(ws, root, assignments))
    except GradebookError:
        raise
    except Exception as err:  # noqa: BLE001 - a broken database file
        raise GradebookError(f"the gradebook ({ws.shown_db_url}) cannot be read: "
                             f"{type(err).__name__}: {describe(err, ws.db_url)}") from None
    if not stale:
        return
    over = _hand_grades_over(ws, root, stale)
    if over:
        raise GradebookError(
            f"solutions/ gives fewer points to parts already graded by hand ({', '.join(over[:3])}"
            f"{' ...' if len(over) > 3 else ''}): run autodiff-course migrate {ws.path} "
            "(it clips those hand grades, says which, and re-grades)")
    log(f"loading {', '.join(stale)} into the gradebook ({ws.shown_db_url})")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        failures = pool.submit(_load, str(root), ws.db_url, stale).result()
    remaining = [p for problems in differences(ws, root, assignments).values() for p in problems]
    if failures or remaining:
        details = redact("; ".join([f"{a}: {m}" for a, m in failures.items()] + remaining[:5]),
                         ws.db_url)
        raise GradebookError(
            f"the gradebook ({ws.shown_db_url}) does not match solutions/ and could not be "
            f"repaired ({details}). If solutions/ changed after students were graded, run "
            f"autodiff-course migrate {ws.path}{' --db-url URL' if ws.db_url_override else ''} "
            "(it keeps the hand grades and re-grades); if the gradebook was tampered with, "
            "restore it or start afresh"
        )


@dataclass
class Totals:
    score: float  # automatic and manual points of the notebook, less the late penalty
    max_score: float
    pending: float  # points of cells still waiting for a person
    late_penalty: float = 0.0  # points taken off for lateness (nbgrader's own column)


def totals(sub) -> Totals:
    """A submitted notebook's totals as every table shows them: the one place they are summed.

    ``sub`` is nbgrader's ``SubmittedNotebook``. The late penalty is kept where nbgrader keeps
    it (``late_submission_penalty``), so Formgrader and ``nbgrader export`` agree with us.
    """
    penalty = float(sub.late_submission_penalty or 0.0)
    pending = sum(float(g.max_score) for g in sub.grades if g.needs_manual_grade)
    return Totals(max(0.0, float(sub.score) - penalty), float(sub.max_score), pending, penalty)


def record(ws: Workspace, assignment: str, student: str, notebook: str,
           scores: dict[str, float | None], timestamp: datetime) -> Totals:
    """Write the automatic score of each graded cell (None: graded by hand) and read totals."""
    from nbgrader.api import MissingEntry

    timestamp = utc_naive(timestamp)
    with warnings.catch_warnings(), opened(ws) as gb:
        warnings.simplefilter("ignore")  # SQLAlchemy chatter from nbgrader's add_submission
        gb.update_or_create_student(student)
        try:
            submission = gb.find_submission(assignment, student)
            submission.timestamp = timestamp
        except MissingEntry:
            gb.add_submission(assignment, student, timestamp=timestamp)
        for name, auto in scores.items():
            grade = gb.find_grade(name, notebook, assignment, student)
            grade.auto_score = auto
            grade.needs_manual_grade = auto is None and grade.manual_score is None
        gb.db.commit()
        return totals(gb.find_submission_notebook(notebook, assignment, student))


def forget(ws: Workspace, pairs: list[tuple[str, str]]) -> None:
    """Remove the submissions of (assignment, student) pairs whose notebooks did not run."""
    from nbgrader.api import MissingEntry

    if not pairs:
        return
    with opened(ws) as gb:
        for assignment, student in pairs:
            try:
                gb.remove_submission(assignment, student)
            except MissingEntry:
                pass


def utc_naive(when: datetime | None) -> datetime | None:
    """``when`` as nbgrader stores times: UTC without a zone (a naive time is taken as UTC)."""
    if when is None or when.tzinfo is None:
        return when
    return when.astimezone(UTC).replace(tzinfo=None)


def manual_scores(ws: Workspace, assignment: str) -> dict[tuple[str, str, str], float]:
    """{(student, notebook, cell): manual score} of every hand-graded cell of ``assignment``."""
    from nbgrader.api import MissingEntry

    with opened(ws) as gb:
        try:
            submissions = gb.find_assignment(assignment).submissions
        except MissingEntry:
            return {}
        return {(sub.student.id, nb.name, g.name): float(g.manual_score)
                for sub in submissions for nb in sub.notebooks for g in nb.grades
                if g.manual_score is not None}
