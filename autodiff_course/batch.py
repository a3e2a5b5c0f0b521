"""``autodiff-course autograde``: grade a folder of submissions, every student, come what may.

SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb in; out, in the workspace: feedback HTML per
student, grades.csv, the gradebook, and a printed summary. The steps:

1. load the instructor notebooks into the workspace's gradebook (a scratch release inside the
   workspace, so the tracked assignments/ is never touched) and check that the grading kernel
   starts and can import the course packages;
2. read each submission in this process: a missing notebook, a file that is not a notebook, or
   answer cells that fail the static check (:mod:`autodiff_course.integrity`) get their row here
   and are never executed; the rest are normalised (:func:`notebooks.normalise_submission`) and
   copied into the workspace's submitted/ folder (only the notebooks: extra files are ignored);
3. grade them in N worker processes (:mod:`autodiff_course.grader`), a progress bar on long
   batches; a worker that dies is replaced and its student retried once;
4. write grades.csv (rows of other assignments already there are kept) and print the table.

Exit status: 0 when every student folder got its rows, whatever the scores;
:class:`~autodiff_course.layout.CourseError` (exit 2 in the CLI) when the tool cannot run.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from . import environment, integrity
from .config import DEFAULT_TIMEOUT
from .grading_kernel import DEFAULT_CPU_SECONDS, DEFAULT_MEMORY_MB, KERNEL_NAME, install_kernelspec
from .layout import CourseError, Workspace, assignment_ids, check_course_root, source_notebooks
from .notebooks import (
    UnreadableNotebook,
    is_test,
    normalise_submission,
    points,
    read,
    read_submission,
    student_cells,
    write,
)
from .report import (
    CRASHED,
    FLAGGED,
    MISSING,
    UNREADABLE,
    Row,
    note_page,
    status_counts,
    table,
    write_csv,
)

GLOB_CHARACTERS = set("*?[]")
PROGRESS_THRESHOLD = 4


@dataclass
class Options:
    timeout: int = DEFAULT_TIMEOUT
    jobs: int = 1
    memory_mb: int = DEFAULT_MEMORY_MB
    cpu_seconds: int = DEFAULT_CPU_SECONDS
    progress: bool = True
    db_url: str | None = None


@dataclass
class Task:
    student: str
    assignment: str
    notebooks: dict[str, float]
    notes: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Outcome:
    rows: list
    seconds_wall: float
    seconds_grading: float
    executed: int
    workspace: Workspace
    seconds_setup: float = 0.0
    jobs: int = 1


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _students(submissions: Path) -> list[Path]:
    return sorted(
        p for p in submissions.iterdir()
        if p.is_dir() and not p.name.startswith((".", "__"))
    )


def _scope(root: Path, students: list[Path], wanted: list[str] | None, log) -> list[str]:
    known = assignment_ids(root)
    if wanted:
        unknown = [a for a in wanted if a not in known]
        if unknown:
            raise CourseError(
                f"unknown assignment {', '.join(unknown)}: "
                f"solutions/ has {', '.join(known) or 'none'}"
            )
        return list(wanted)
    present = {p.name for s in students for p in s.iterdir() if p.is_dir()}
    found = sorted(present & set(known))
    strays = sorted(present - set(known) - {".ipynb_checkpoints"})
    if strays:
        log(f"note: ignoring folders that are not assignments: {', '.join(strays)}")
    if not found:
        raise CourseError(
            "no submissions for any assignment: expected SUBMISSIONS/<student>/<id>/<id>.ipynb "
            f"with <id> one of {', '.join(known) or '(none in solutions/)'}; or pass --assignment"
        )
    return found


def _find_notebook(folder: Path, name: str) -> tuple[Path | None, str | None]:
    """The submitted file for notebook ``name`` (or the only notebook there, renamed)."""
    expected = folder / f"{name}.ipynb"
    if expected.is_file():
        return expected, None
    if not folder.is_dir():
        return None, None
    others = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if len(others) == 1:
        return others[0], f"graded {others[0].name} (expected {name}.ipynb)"
    return None, None


def _missing_message(folder: Path, name: str) -> str:
    if not folder.is_dir():
        return f"no {folder.name}/ folder in the submission"
    found = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    listing = ", ".join(found[:5]) + (" ..." if len(found) > 5 else "") if found else "nothing"
    return f"no {name}.ipynb in the submission (found: {listing})"


class _Preparer:
    """Step 2: rows for what cannot be executed; normalised copies of what can."""

    def __init__(self, root: Path, ws: Workspace, assignments: list[str]):
        self.root, self.ws = root, ws
        self.sources = {a: {p.stem: read(p) for p in source_notebooks(root, a)}
                        for a in assignments}
        self.releases = {
            a: {name: read(ws.release / a / f"{name}.ipynb") for name in nbs}
            for a, nbs in self.sources.items()
        }
        self.max_scores = {a: {n: points(nb)[0] for n, nb in nbs.items()}
                           for a, nbs in self.sources.items()}

    def prepare(self, student: Path, assignment: str) -> tuple[list[Row], Task | None]:
        rows: list[Row] = []
        task = Task(student.name, assignment, {})
        destination = self.ws.submitted / student.name / assignment
        # SUBMISSIONS may be the workspace's own submitted/ (after `nbgrader collect`): then the
        # files are graded in place, each normalised copy written over the file it was read from
        in_place = (student / assignment).resolve() == destination.resolve()
        if not in_place:
            shutil.rmtree(destination, ignore_errors=True)
            timestamp = student / assignment / "timestamp.txt"
            if timestamp.is_file():
                destination.mkdir(parents=True, exist_ok=True)
                shutil.copy(timestamp, destination / "timestamp.txt")
        shutil.rmtree(self.ws.feedback / student.name / assignment, ignore_errors=True)
        for name, source in self.sources[assignment].items():
            max_score = self.max_scores[assignment][name]

            def row(status: str, message: str, name=name, max_score=max_score) -> Row:
                return Row(student.name, assignment, name, 0.0, max_score, status, message)

            if GLOB_CHARACTERS & set(student.name) or student.name != student.name.strip():
                rows.append(row(UNREADABLE, f"student folder name {student.name!r} has spaces at "
                                "the ends or one of * ? [ ]; rename the folder"))
                continue
            folder = student / assignment
            path, renamed = _find_notebook(folder, name)
            if path is None:
                rows.append(row(MISSING, _missing_message(folder, name)))
                continue
            try:
                submitted = read_submission(path)
            except UnreadableNotebook as err:
                rows.append(row(UNREADABLE, str(err)))
                continue
            normalised = normalise_submission(submitted, self.releases[assignment][name])
            notes = ([renamed] if renamed else []) + normalised.notes
            findings = integrity.check_cells(
                student_cells(normalised.notebook),
                context_sources=[c.source for c in source.cells if c.cell_type == "code"],
                test_sources=[c.source for c in source.cells if is_test(c)],
            )
            if findings:
                reasons = "; ".join(str(f) for f in findings[:5])
                more = f" (and {len(findings) - 5} more)" if len(findings) > 5 else ""
                rows.append(row(FLAGGED, "flagged, 0 points: " + reasons + more
                                + ". Answers must not use the reference library or change numpy,"
                                " math, builtins, sys or the test helpers"))
                continue
            write(normalised.notebook, destination / f"{name}.ipynb")
            task.notebooks[name] = max_score
            task.notes[name] = notes
        if task.notebooks:
            # a notebook missing next to graded ones: nbgrader scores it 0, we keep our row
            return rows, task
        return rows, None


def _load_workspace(pool, ws: Workspace, root: Path, assignments: list[str], log) -> None:
    """Step 1, in a worker: gradebook loaded (only when solutions changed) and kernel checked."""
    stamp_file = ws.state / "sources.json"
    try:
        stamp = json.loads(stamp_file.read_text())
    except (OSError, ValueError):
        stamp = {}
    wanted = {a: {p.name: _sha(p) for p in source_notebooks(root, a)} for a in assignments}
    sqlite = ws.db_url.startswith("sqlite:///")
    fresh = sqlite and not ws.gradebook.exists()
    stale = [a for a in assignments
             if fresh or stamp.get("db_url") != ws.db_url or stamp.get(a) != wanted[a]
             or not (ws.release / a).is_dir()]
    from . import grader

    if stale:
        log(f"loading {', '.join(stale)} into the gradebook {ws.db_url}")
        failures = pool.submit(grader.load_assignments, stale).result()
        if failures:
            details = "; ".join(f"{a}: {e}" for a, e in failures.items())
            raise CourseError(
                f"could not load the instructor notebooks into {ws.db_url} ({details}). If the "
                "solutions changed after grading started, grade into a fresh --workspace"
            )
        stamp.update({a: wanted[a] for a in stale}, db_url=ws.db_url)
        ws.state.mkdir(parents=True, exist_ok=True)
        stamp_file.write_text(json.dumps(stamp, indent=1))
    problem = pool.submit(grader.preflight).result()
    if problem:
        raise CourseError(
            problem + ". Check that this Python has ipykernel and the course packages, and that "
            "--memory-mb leaves room for numpy (try the default)"
        )


def _make_pool(jobs: int, root: Path, ws: Workspace, options: Options) -> ProcessPoolExecutor:
    from . import grader

    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=grader.init_worker,
        initargs=(str(root), str(ws.path), ws.db_url, options.timeout, KERNEL_NAME,
                  str(ws.jupyter_path)),
    )


def autograde(
    submissions: Path,
    *,
    root: Path,
    workspace: Path,
    assignments: list[str] | None = None,
    options: Options | None = None,
    log: Callable[[str], None] = print,
    before_grading: Callable[[Workspace], None] | None = None,
) -> Outcome:
    """Grade every student folder in ``submissions``; see the module docstring.

    ``before_grading`` runs once the workspace holds its release and gradebook and before the
    submissions are read (the demo writes its sample submissions there).
    """
    options = options or Options()
    environment.prepare()
    root = check_course_root(root)
    submissions = Path(submissions).expanduser().resolve()
    if options.jobs < 1:
        raise CourseError("--jobs must be at least 1")
    if options.timeout < 1:
        raise CourseError("--timeout must be at least 1 second")
    if assignments:
        scope = _scope(root, [], assignments, log)
    else:
        scope = _scope(root, _listed_students(submissions), None, log)
    ws = Workspace.at(workspace, options.db_url)
    if ws.path == root or ws.path in root.parents:
        raise CourseError(f"the workspace {ws.path} must not be the course root or above it")
    try:
        ws.path.mkdir(parents=True, exist_ok=True)
        (ws.state / "logs").mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CourseError(f"cannot write the workspace {ws.path}: {err.strerror}") from None
    install_kernelspec(ws.jupyter_path, memory_mb=options.memory_mb,
                       cpu_seconds=options.cpu_seconds)

    started = time.perf_counter()
    rows: list[Row] = []
    tasks: list[Task] = []
    pool = _make_pool(max(1, options.jobs), root, ws, options)
    try:
        _load_workspace(pool, ws, root, scope, log)
        if before_grading is not None:
            before_grading(ws)
        students = _listed_students(submissions)
        preparer = _Preparer(root, ws, scope)
        for student in students:
            for assignment in scope:
                early, task = preparer.prepare(student, assignment)
                rows.extend(early)
                if task is not None:
                    tasks.append(task)
        setup = time.perf_counter() - started
        graded_rows, grading_seconds, pool = _run(pool, tasks, max(1, options.jobs), root, ws,
                                                  options)
        rows.extend(graded_rows)
        _finish_ungraded(pool, ws, rows)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    wall = time.perf_counter() - started
    write_csv(ws.grades_csv, rows)
    executed = sum(len(t.notebooks) for t in tasks)
    return Outcome(rows, wall, grading_seconds, executed, ws, setup, max(1, options.jobs))


def _listed_students(submissions: Path) -> list[Path]:
    if not submissions.is_dir():
        raise CourseError(f"submissions folder {submissions} does not exist (expected "
                          "SUBMISSIONS/<student>/<id>/<id>.ipynb)")
    students = _students(submissions)
    if not students:
        raise CourseError(f"no student folders in {submissions} (expected "
                          "SUBMISSIONS/<student>/<id>/<id>.ipynb)")
    return students


def _run(pool, tasks: list[Task], jobs: int, root: Path, ws: Workspace, options: Options):
    from . import grader

    rows: list[Row] = []
    seconds = 0.0
    start_failures = 0
    attempts = {id(t): 0 for t in tasks}
    pending = list(tasks)
    progress = None
    if options.progress and len(tasks) >= PROGRESS_THRESHOLD:
        from tqdm import tqdm

        progress = tqdm(total=len(tasks), desc="grading", unit="notebook", file=sys.stderr)
    try:
        while pending:
            futures: dict[Future, Task] = {
                pool.submit(grader.grade, t.assignment, t.student, t.notebooks, t.notes): t
                for t in pending
            }
            pending = []
            broken = False
            for future in as_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    attempts[id(task)] += 1
                    if attempts[id(task)] < 2:
                        pending.append(task)
                        continue
                    result = {"rows": [Row(task.student, task.assignment, name, 0.0, max_score,
                                           CRASHED, "the grading worker died twice on this "
                                           "submission (out of memory?); nothing was scored")
                                       for name, max_score in task.notebooks.items()],
                              "seconds": 0.0, "kernel_start_failed": False}
                rows.extend(result["rows"])
                seconds += result["seconds"]
                start_failures += bool(result.get("kernel_start_failed"))
                if progress:
                    progress.update(1)
            if broken:
                pool.shutdown(wait=False, cancel_futures=True)
                pool = _make_pool(jobs, root, ws, options)
    finally:
        if progress:
            progress.close()
    if tasks and start_failures == len(tasks):
        raise CourseError("the grading kernel failed to start for every student; see "
                          f"{ws.state / 'logs'} (is --memory-mb too small?)")
    return rows, seconds, pool


def _finish_ungraded(pool, ws: Workspace, rows: list[Row]) -> None:
    """Feedback pages for rows without nbgrader feedback, and no stale grades left behind."""
    from . import grader

    stale = set()
    for row in rows:
        if row.status in (MISSING, UNREADABLE, FLAGGED):
            shutil.rmtree(ws.autograded / row.student / row.assignment, ignore_errors=True)
            stale.add((row.assignment, row.student))
        page = ws.feedback / row.student / row.assignment / f"{row.notebook}.html"
        if not page.exists():
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(note_page(row))
    if stale:
        pool.submit(grader.forget, sorted(stale)).result()


def summary(outcome: Outcome, jobs: int) -> str:
    rows = outcome.rows
    lines = [table(rows), ""]
    lines.append(f"{len(rows)} rows: {status_counts(rows)}")
    if outcome.executed:
        grading = outcome.seconds_wall - outcome.seconds_setup
        lines.append(
            f"executed {outcome.executed} notebooks with --jobs {jobs}: "
            f"{grading / outcome.executed:.2f} s per notebook ({grading:.1f} s of grading after "
            f"{outcome.seconds_setup:.1f} s of set-up; each took "
            f"{outcome.seconds_grading / outcome.executed:.2f} s in its worker)"
        )
    ws = outcome.workspace
    lines.append(f"grades: {ws.grades_csv}")
    lines.append(f"feedback: {ws.feedback}/<student>/<assignment>/")
    lines.append(f"gradebook: {ws.db_url}")
    return "\n".join(lines)
