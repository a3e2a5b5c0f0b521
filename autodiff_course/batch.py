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
4. skip what is up to date: a (student, assignment) whose content, tests and grader hash to what
   the ledger stored with its grade keeps its grade and rows (:mod:`autodiff_course.ledger`);
   ``regrade`` (all, or the ``students`` given) grades again regardless;
5. grade the rest on a Dask cluster, one task per (student, assignment)
   (:mod:`autodiff_course.cluster`: ``--scheduler``'s, or a local one of ``--jobs`` workers), a
   progress bar on long batches; a worker that dies has its task re-run, and a task that cannot
   be run becomes that student's crashed rows;
6. write each task's result as it arrives: the scores into the gradebook (manual grades
   untouched), the course's late penalty (:mod:`autodiff_course.late`, from the collection
   time; recomputed for up-to-date rows too, so a changed ``course.toml`` applies without
   grading again), the pages and the log, then its ledger entry; at the end (or when
   interrupted) grades.csv (rows of other students and assignments already there are kept) and
   the table.
   Everything a student wrote is cleaned before it is shown (:mod:`autodiff_course.clean`,
   :mod:`autodiff_course.feedback`).

Exit status: 0 when every student folder got its rows, whatever the scores;
:class:`~autodiff_course.layout.CourseError` (exit 2 in the CLI) when the tool cannot run.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import (
    checks,
    clean,
    environment,
    feedback,
    gradebook,
    gradebook_hand,
    grades,
    late,
    late_grading,
)
from .cluster import Cluster
from .intake import Intake, name_problem
from .layout import CourseError, Workspace, assignment_ids, check_course_root
from .ledger import Ledger, fingerprint, grader_version, tests_version
from .limits import mode as limits_mode
from .limits import remove_stale_cgroups
from .notebooks import write
from .records import GradingOptions, NotebookResult, Status, Task
from .report import Row, note_page, summary, write_csv  # noqa: F401  (batch.summary)
from .sandbox import require_bwrap
from .submission import entries

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
    up_to_date: int = 0  # notebooks whose stored grade still held: not graded again
    scheduler: str | None = None
    graded: list[tuple[str, str]] = field(default_factory=list)  # (student, assignment) run
    extra_notebooks: int = 0  # submissions with notebooks beside the graded one


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


def _grade(tasks: list[Task], root: Path, options: GradingOptions, cluster: Cluster,
           progress: bool):
    """Each task's results as they arrive, with a progress bar on long batches."""
    bar = None
    if progress and len(tasks) >= PROGRESS_THRESHOLD:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), desc="grading", unit="student", file=sys.stderr)
    try:
        for task, results in cluster.grade(str(root), tasks, options):
            if bar:
                bar.update(1)
            yield task, results
    finally:
        if bar:
            bar.close()


def _students(submissions: Path, wanted: list[str] | None) -> list[os.DirEntry]:
    found = _student_folders(submissions)
    if not wanted:
        return found
    names = {e.name for e in found}
    unknown = [s for s in wanted if s not in names]
    if unknown:
        raise CourseError(f"no student folder {', '.join(unknown)} in {submissions} "
                          "(--student takes a folder name under SUBMISSIONS)")
    return [e for e in found if e.name in wanted]


def _refresh(ws: Workspace, rows: list[Row], names: dict[str, str]) -> None:
    """Rows kept from the ledger get today's totals and pages (hand grades entered since count)."""
    from nbgrader.api import MissingEntry

    ran = [r for r in rows if r.status.ran]
    if not ran:
        return
    with gradebook.opened(ws) as gb:
        for row in ran:
            try:
                sub = gb.find_submission_notebook(row.notebook, row.assignment,
                                                  names.get(row.student, row.student))
            except MissingEntry:
                continue
            grades.apply_totals(row, gradebook.totals(sub))
            grades.rerender_page(ws, row, sub)  # hand grades entered since show on the page


def _write_results(ws: Workspace, results: list[NotebookResult], reader: Intake,
                   policy: late.LatePolicy, log) -> list[Row]:
    rows = []
    for result in results:
        max_score = reader.max_scores[result.assignment][result.notebook]
        row = Row(clean.line(result.student, 100), result.assignment, result.notebook, 0.0,
                  max_score, result.status, clean.line(result.message, 2000),
                  seconds=result.seconds)
        try:
            if result.scores:
                when = reader.times.get((result.student, result.assignment), datetime.now(UTC))
                _reopen_changed_answers(ws, result, row, log)
                totals = gradebook.record(ws, result.assignment, result.student, result.notebook,
                                          result.scores, when)
                row.collected = when.isoformat()
                grades.apply_totals(row, totals)
                grades.mark_hand_grades(result.parts, gradebook_hand.hand_grades(
                    ws, result.assignment, result.student, result.notebook))
                late_grading.apply_policy(ws, policy, [(row, result.student)], reader.times, log)
            elif not result.retry:
                gradebook.forget(ws, [(result.assignment, result.student)])
            # a result the grader's own trouble caused keeps the earlier scores and hand grades:
            # the next run grades it again
        except Exception as err:  # noqa: BLE001 - the row still says what happened
            result.retry = True  # not up to date: the next run writes it again
            row.message += f"; the score could not be saved in the gradebook ({type(err).__name__})"
            log(f"gradebook write failed for {row.student}/{row.assignment}: "
                f"{clean.line(err, 300)}")
        try:
            _write_files(ws, result, row)
        except Exception as err:  # noqa: BLE001 - the row and its score stand
            result.retry = True
            row.message += f"; its feedback could not be written ({type(err).__name__})"
            log(f"writing the pages of {row.student}/{row.assignment} failed: "
                f"{clean.line(err, 300)}")
        rows.append(row)
    return rows


def _reopen_changed_answers(ws: Workspace, result: NotebookResult, row: Row, log) -> None:
    """A written answer graded by hand whose text the student has since changed is flagged for
    a hand grade again (the earlier score kept in its Formgrader comment), and the row says so."""
    previous = ws.autograded / result.student / result.assignment / f"{result.notebook}.ipynb"
    changed = grades.changed_answers(previous, result.autograded)
    for cell, score, top in gradebook_hand.reopen(ws, result.assignment, result.student,
                                             result.notebook, changed):
        note = grades.changed_note(cell, score, top)
        row.message += note
        log(f"{row.student}/{row.assignment}: {note[2:]}")


def _write_files(ws: Workspace, result: NotebookResult, row: Row) -> None:
    """The autograded notebook, the feedback page, its verdicts for the class report
    (:mod:`autodiff_course.checks`) and the instructor's log of one notebook."""
    folder = result.student, result.assignment
    if result.autograded is not None:
        write(result.autograded, ws.autograded.joinpath(*folder, f"{result.notebook}.ipynb"))
    elif not result.retry:  # after the grader's own trouble the gradebook keeps the last grade
        shutil.rmtree(ws.autograded.joinpath(*folder), ignore_errors=True)
    page = feedback.page(student=row.student, assignment=row.assignment, notebook=row.notebook,
                         score=row.score, max_score=row.max_score, status=row.status,
                         summary=row.message, parts=result.parts, cells=result.cells,
                         pending=row.pending_manual)
    target = ws.feedback.joinpath(*folder, f"{result.notebook}.html")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page)
    checks.save(ws, *folder, result.notebook, str(row.status), result.parts)
    if result.autograded is not None:
        grades.save_page_data(ws, *folder, result.notebook, result.parts, result.cells)
    logs = ws.state / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / f"{result.student}--{result.assignment}.log").write_text(clean.text(result.log))


def _write_unrun(ws: Workspace, rows: list[Row], students: dict[str, str],
                 ledger: Ledger) -> None:
    """Rows that never ran: no stale grades or pages left behind, a short page instead."""
    stale = []
    for row in rows:
        student = students.get(row.student, row.student)
        if name_problem(student):
            continue  # such a name never reaches a path
        ledger.drop(student, row.assignment)
        shutil.rmtree(ws.autograded / student / row.assignment, ignore_errors=True)
        checks.forget(ws, student, row.assignment)
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
    scheduler: str | None = None,
    regrade: bool = False,
    students: list[str] | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
    before_grading: Callable[[Workspace], None] | None = None,
) -> Outcome:
    """Grade every student folder in ``submissions``; see the module docstring.

    ``before_grading`` runs once the gradebook is ready and before the submissions are read (the
    demo writes its sample submissions there). ``students`` limits the batch to those folders;
    ``regrade`` grades every task in the batch even when its stored grade is up to date.
    """
    options = options or GradingOptions()
    started = time.perf_counter()
    environment.prepare()
    root = check_course_root(root)
    policy = late.load(root, assignment_ids(root))  # a bad course.toml stops the run first
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
    if students:
        _students(submissions, students)  # an unknown name stops the run before anything is done
    cluster = Cluster(scheduler, max(1, jobs), log)
    if scheduler:
        cluster.open()  # an unreachable scheduler stops the run before anything is done
    try:
        gradebook.ensure_assignments(ws, root, scope, log)
        if before_grading is not None:
            before_grading(ws)
        folders = _students(submissions, students)  # the demo's are written just above
        late_grading.set_duedates(ws, {a: policy.deadlines.get(a) for a in scope})
        return _run(folders, root, ws, scope, options, cluster, regrade, progress, log,
                    started, mode, policy)
    finally:
        cluster.close()


def _run(folders: list[os.DirEntry], root: Path, ws: Workspace, scope: list[str],
         options: GradingOptions, cluster: Cluster, regrade: bool, progress: bool, log,
         started: float, mode: str, policy: late.LatePolicy) -> Outcome:
    """Read, skip what is up to date, grade the rest writing each result as it comes."""
    reader = Intake(root, ws, scope)
    grader = grader_version()
    tests = {a: tests_version(root, a) for a in scope}
    ledger = Ledger(ws)
    rows: list[Row] = []
    kept: list[Row] = []
    tasks: list[Task] = []
    names: dict[str, str] = {}
    for student in folders:
        names[clean.line(student.name, 100)] = student.name
        for assignment in scope:
            try:
                early, task = reader.read(student, assignment)
            except Exception as err:  # noqa: BLE001 - one unreadable folder, not the batch
                early, task = [Row(clean.line(student.name, 100), assignment, nb, 0.0, top,
                                   Status.UNREADABLE, f"the submission could not be read "
                                   f"({type(err).__name__})")
                               for nb, top in reader.max_scores[assignment].items()], None
            rows.extend(early)
            if task is None:
                continue
            task.fingerprint = fingerprint(task, tests[assignment], grader, options)
            stored = None if regrade else ledger.rows(task.student, assignment, task.fingerprint)
            if stored is not None:
                kept.extend(stored)
            else:
                tasks.append(task)
    reader.collection.save()
    _refresh(ws, kept, names)
    pairs = [(r, names.get(r.student, r.student)) for r in kept]
    late_grading.apply_policy(ws, policy, pairs, reader.times, log)
    rows.extend(kept)
    _write_unrun(ws, [r for r in rows if not r.status.ran], names, ledger)

    results: list[NotebookResult] = []
    graded: list[tuple[str, str]] = []
    setup = grading = 0.0
    try:
        if tasks:
            cluster.open()
        setup = time.perf_counter() - started
        grading_started = time.perf_counter()
        for task, done in _grade(tasks, root, options, cluster, progress) if tasks else ():
            new_rows = _write_results(ws, done, reader, policy, log)
            if any(r.retry for r in done):
                ledger.drop(task.student, task.assignment)
            else:
                ledger.store(task.student, task.assignment, task.fingerprint, new_rows)
            rows.extend(new_rows)
            results.extend(done)
            graded.append((task.student, task.assignment))
        grading = time.perf_counter() - grading_started
    finally:
        # what was graded before an interruption is in grades.csv too
        write_csv(ws.grades_csv, rows)
        ledger.close()
    if tasks and all(r.kernel_start_failed for r in results):
        raise CourseError("the grading kernel failed to start for every student; see "
                          f"{ws.state / 'logs'} (is --memory-mb too small?)")
    return Outcome(rows, time.perf_counter() - started, grading, len(results), ws, setup,
                   cluster.jobs, mode, up_to_date=len(kept), scheduler=cluster.scheduler,
                   graded=graded, extra_notebooks=len(reader.extras))
