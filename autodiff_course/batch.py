"""``autodiff-course autograde``: grade a folder of submissions, every student, come what may.

SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb in; out, in the workspace: the gradebook,
the autograded notebooks (for Formgrader), a feedback page per notebook, grades.csv, a log per
student, and a printed summary. The steps:

1. check that kernels can be sandboxed (``bwrap``; ``--no-sandbox`` to go without, with a
   warning on every run) and say how the kernels' resources are limited;
2. make the gradebook hold the assignments exactly as ``solutions/`` defines them, checking
   what is already there (:func:`autodiff_course.gradebook.ensure_assignments`);
3. read every submission in this process, trusting nothing (:mod:`autodiff_course.intake`):
   missing and unreadable notebooks get their row here; the rest are normalised against the
   release and handed to the workers as data, with the grader's own submission time;
4. grade in ``--jobs`` worker processes (:mod:`autodiff_course.worker`), a progress bar on long
   batches; a worker that dies is replaced and its student retried once;
5. write the scores into the gradebook (manual grades untouched), then grades.csv (rows of other
   assignments already there are kept), the pages and the table. Everything a student wrote is
   cleaned before it is shown (:mod:`autodiff_course.clean`, :mod:`autodiff_course.feedback`).

Exit status: 0 when every student folder got its rows, whatever the scores;
:class:`~autodiff_course.layout.CourseError` (exit 2 in the CLI) when the tool cannot run.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import clean, environment, feedback, gradebook
from .intake import Intake, name_problem
from .layout import CourseError, Workspace, assignment_ids, check_course_root
from .limits import mode as limits_mode
from .limits import remove_stale_cgroups
from .notebooks import write
from .report import CRASHED, MISSING, UNREADABLE, Row, note_page, status_counts, table, write_csv
from .sandbox import require_bwrap
from .submission import entries
from .worker import GradingOptions, NotebookResult, Task, grade_task

PROGRESS_THRESHOLD = 4
NO_SANDBOX_WARNING = (
    "WARNING: grading WITHOUT a sandbox (--no-sandbox): student code runs as this user, can read "
    "and change every file this user can (the gradebook and solutions/ included) and use the "
    "network. Only do this for code you trust."
)


@dataclass
class Outcome:
    rows: list[Row]
    seconds_wall: float
    seconds_grading: float
    executed: int
    workspace: Workspace
    seconds_setup: float = 0.0
    jobs: int = 1
    mode: str = ""


def _student_folders(submissions: Path) -> list[os.DirEntry]:
    if not submissions.is_dir():
        raise CourseError(f"submissions folder {submissions} does not exist (expected "
                          "SUBMISSIONS/<student>/<id>/<id>.ipynb)")
    found = [e for e in entries(submissions) if not e.name.startswith((".", "__"))
             and (e.is_dir(follow_symlinks=False) or e.is_symlink())]
    if not found:
        raise CourseError(f"no student folders in {submissions} (expected "
                          "SUBMISSIONS/<student>/<id>/<id>.ipynb)")
    return found


def _scope(root: Path, students: list[os.DirEntry], wanted: list[str] | None, log) -> list[str]:
    known = assignment_ids(root)
    if wanted:
        unknown = [a for a in wanted if a not in known]
        if unknown:
            raise CourseError(f"unknown assignment {', '.join(unknown)}: "
                              f"solutions/ has {', '.join(known) or 'none'}")
        return list(wanted)
    present = {e.name for s in students if not s.is_symlink() for e in entries(Path(s.path))
               if e.is_dir(follow_symlinks=False)}
    found = sorted(present & set(known))
    strays = sorted(present - set(known) - {".ipynb_checkpoints"})
    if strays:
        log("note: ignoring folders that are not assignments: "
            + clean.line(", ".join(strays), 300))
    if not found:
        raise CourseError(
            "no submissions for any assignment: expected SUBMISSIONS/<student>/<id>/<id>.ipynb "
            f"with <id> one of {', '.join(known) or '(none in solutions/)'}; or pass --assignment")
    return found


def _pool(jobs: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=environment.prepare)


def _grade(tasks: list[Task], root: Path, options: GradingOptions, jobs: int,
           progress: bool) -> list[NotebookResult]:
    results: list[NotebookResult] = []
    attempts = {id(t): 0 for t in tasks}
    pending = list(tasks)
    bar = None
    if progress and len(tasks) >= PROGRESS_THRESHOLD:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), desc="grading", unit="student", file=sys.stderr)
    pool = _pool(jobs)
    try:
        while pending:
            futures: dict[Future, Task] = {pool.submit(grade_task, str(root), t, options): t
                                           for t in pending}
            pending, broken = [], False
            for future in as_completed(futures):
                task = futures[future]
                try:
                    results.extend(future.result())
                except BrokenProcessPool:
                    broken = True
                    attempts[id(task)] += 1
                    if attempts[id(task)] < 2:
                        pending.append(task)
                        continue
                    results.extend(NotebookResult(
                        task.student, task.assignment, name, CRASHED,
                        "the grading worker died twice on this submission; nothing was scored")
                        for name in task.notebooks)
                except Exception as err:  # noqa: BLE001 - one student, not the batch
                    results.extend(NotebookResult(
                        task.student, task.assignment, name, CRASHED,
                        f"the grader failed on this submission ({type(err).__name__})")
                        for name in task.notebooks)
                if bar:
                    bar.update(1)
            if broken:
                pool.shutdown(wait=False, cancel_futures=True)
                pool = _pool(jobs)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if bar:
            bar.close()
    return results


def _write_results(ws: Workspace, results: list[NotebookResult], reader: Intake,
                   max_scores: dict, log) -> list[Row]:
    rows = []
    for result in results:
        max_score = max_scores[result.assignment][result.notebook]
        row = Row(clean.line(result.student, 100), result.assignment, result.notebook, 0.0,
                  max_score, result.status, clean.line(result.message, 2000),
                  seconds=result.seconds)
        try:
            if result.scores:
                when = reader.times.get((result.student, result.assignment), datetime.now(UTC))
                totals = gradebook.record(ws, result.assignment, result.student, result.notebook,
                                          result.scores, when)
                row.score, row.max_score, row.pending_manual = (totals.score, totals.max_score,
                                                                totals.pending)
                if totals.pending:
                    row.message += (f"; {totals.pending:g} points await manual grading "
                                    "(written answers)")
            else:
                gradebook.forget(ws, [(result.assignment, result.student)])
        except Exception as err:  # noqa: BLE001 - the row still says what happened
            row.message += f"; the score could not be saved in the gradebook ({type(err).__name__})"
            log(f"gradebook write failed for {row.student}/{row.assignment}: "
                f"{clean.line(err, 300)}")
        try:
            _write_files(ws, result, row)
        except Exception as err:  # noqa: BLE001 - the row and its score stand
            row.message += f"; its feedback could not be written ({type(err).__name__})"
            log(f"writing the pages of {row.student}/{row.assignment} failed: "
                f"{clean.line(err, 300)}")
        rows.append(row)
    return rows


def _write_files(ws: Workspace, result: NotebookResult, row: Row) -> None:
    """The autograded notebook, the feedback page and the instructor's log of one notebook."""
    folder = result.student, result.assignment
    if result.autograded is not None:
        write(result.autograded, ws.autograded.joinpath(*folder, f"{result.notebook}.ipynb"))
    else:
        shutil.rmtree(ws.autograded.joinpath(*folder), ignore_errors=True)
    page = feedback.page(student=row.student, assignment=row.assignment, notebook=row.notebook,
                         score=row.score, max_score=row.max_score, status=row.status,
                         summary=row.message, parts=result.parts, cells=result.cells,
                         pending=row.pending_manual)
    target = ws.feedback.joinpath(*folder, f"{result.notebook}.html")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page)
    logs = ws.state / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / f"{result.student}--{result.assignment}.log").write_text(clean.text(result.log))


def _write_unrun(ws: Workspace, rows: list[Row], students: dict[str, str]) -> None:
    """Rows that never ran: no stale grades or pages left behind, a short page instead."""
    stale = []
    for row in rows:
        student = students.get(row.student, row.student)
        if name_problem(student):
            continue  # such a name never reaches a path
        shutil.rmtree(ws.autograded / student / row.assignment, ignore_errors=True)
        stale.append((row.assignment, student))
        page = ws.feedback / student / row.assignment / f"{row.notebook}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(note_page(row))
    gradebook.forget(ws, sorted(set(stale)))


def autograde(
    submissions: Path,
    *,
    root: Path,
    workspace: Path,
    assignments: list[str] | None = None,
    options: GradingOptions | None = None,
    jobs: int = 1,
    db_url: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
    before_grading: Callable[[Workspace], None] | None = None,
) -> Outcome:
    """Grade every student folder in ``submissions``; see the module docstring.

    ``before_grading`` runs once the gradebook is ready and before the submissions are read (the
    demo writes its sample submissions there).
    """
    options = options or GradingOptions()
    started = time.perf_counter()
    environment.prepare()
    root = check_course_root(root)
    if jobs < 1:
        raise CourseError("--jobs must be at least 1")
    if options.timeout < 1:
        raise CourseError("--timeout must be at least 1 second")
    if options.sandbox:
        require_bwrap()
        remove_stale_cgroups()
    else:
        log(NO_SANDBOX_WARNING)
    mode = limits_mode(options.sandbox)
    log(f"kernels: {mode}")
    submissions = Path(submissions).expanduser().resolve()
    ws = Workspace.at(workspace, db_url)
    if ws.path == root or ws.path in root.parents:
        raise CourseError(f"the workspace {ws.path} must not be the course root or above it")
    try:
        (ws.state / "logs").mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CourseError(f"cannot write the workspace {ws.path}: {err.strerror}") from None
    scope = (_scope(root, [], assignments, log) if assignments
             else _scope(root, _student_folders(submissions), None, log))
    gradebook.ensure_assignments(ws, root, scope, log)
    if before_grading is not None:
        before_grading(ws)

    reader = Intake(root, ws, scope)
    rows: list[Row] = []
    tasks: list[Task] = []
    names: dict[str, str] = {}
    for student in _student_folders(submissions):
        names[clean.line(student.name, 100)] = student.name
        for assignment in scope:
            try:
                early, task = reader.read(student, assignment)
            except Exception as err:  # noqa: BLE001 - one unreadable folder, not the batch
                early, task = [Row(clean.line(student.name, 100), assignment, nb, 0.0, top,
                                   UNREADABLE, f"the submission could not be read "
                                   f"({type(err).__name__})")
                               for nb, top in reader.max_scores[assignment].items()], None
            rows.extend(early)
            if task is not None:
                tasks.append(task)
    reader.collection.save()
    setup = time.perf_counter() - started

    grading_started = time.perf_counter()
    results = _grade(tasks, root, options, max(1, jobs), progress)
    grading = time.perf_counter() - grading_started
    if tasks and all(r.kernel_start_failed for r in results):
        raise CourseError("the grading kernel failed to start for every student; see "
                          f"{ws.state / 'logs'} (is --memory-mb too small?)")
    rows.extend(_write_results(ws, results, reader, reader.max_scores, log))
    _write_unrun(ws, [r for r in rows if r.status in (MISSING, UNREADABLE)], names)
    write_csv(ws.grades_csv, rows)
    return Outcome(rows, time.perf_counter() - started, grading, len(results), ws, setup,
                   max(1, jobs), mode)


def summary(outcome: Outcome) -> str:
    rows = outcome.rows
    lines = [table(rows), "", f"{len(rows)} rows: {status_counts(rows)}"]
    if outcome.executed:
        lines.append(
            f"graded {outcome.executed} notebooks with --jobs {outcome.jobs}: "
            f"{outcome.seconds_grading / outcome.executed:.2f} s per notebook "
            f"({outcome.seconds_grading:.1f} s of grading after {outcome.seconds_setup:.1f} s "
            "of set-up)")
    ws = outcome.workspace
    lines.append(f"grades: {ws.grades_csv}")
    lines.append(f"feedback: {ws.feedback}/<student>/<assignment>/")
    lines.append(f"gradebook: {ws.shown_db_url}")
    return "\n".join(lines)
