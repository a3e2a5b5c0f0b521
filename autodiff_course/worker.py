"""Grade one student's notebooks: a fresh kernel each, the verdicts here, plain records back.

:func:`grade_task` is what a Dask worker runs for one task (:mod:`autodiff_course.cluster`),
with the worker's :class:`TaskRunner` (its kernel started ahead). For each notebook of the task
it starts a kernel (:class:`~autodiff_course.kernel.KernelSession`, sandboxed unless told
otherwise), runs the notebook through :func:`~autodiff_course.engine.run_notebook` against the
instructor's tests, and returns a :class:`~autodiff_course.records.NotebookResult`: scores per
graded cell, a message a student may read, the autograded notebook for Formgrader, what the
feedback page shows, and the instructor's log.
Writing files and the gradebook is the batch's job, so a worker touches nothing shared.

Nothing a notebook does can make this raise: every failure becomes the notebook's row.
"""

from __future__ import annotations

import atexit
import copy
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.util import Finalize
from pathlib import Path

import nbformat

from . import clean
from .engine import NotebookRun, run_notebook, visible_source
from .feedback import Cell, Part
from .kernel import KernelSession, KernelStartError
from .notebooks import cell_points, grade_id, is_answer, is_graded, is_test, is_written, read
from .records import GradingOptions, NotebookResult, Status, Task

__all__ = ["GradingOptions", "KernelsAhead", "NotebookResult", "Task", "TaskRunner",
           "grade_notebook", "grade_task"]


def _tests(root: Path, assignment: str, notebook: str) -> dict[str, str]:
    path = Path(root) / "solutions" / assignment / f"{notebook}.ipynb"
    return {grade_id(c): c.source for c in read(path).cells if is_test(c)}


def _label(cell, index: int) -> str:
    gid = grade_id(cell)
    return f"cell '{gid}'" if gid else f"cell {index + 1}"


def _verdict_outputs(verdict) -> list[dict]:
    lines = ([verdict.printed.rstrip("\n")] if verdict.printed.strip() else []) + \
        verdict.passed_lines
    outputs = []
    if lines:
        text = "\n".join(lines) + "\n"
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=text))
    if verdict.failure:
        outputs.append(nbformat.v4.new_output("error", ename="Failed", evalue=verdict.failure,
                                              traceback=verdict.failure.split("\n")))
    return outputs


def autograded_notebook(nb, run: NotebookRun, tests: dict[str, str]):
    """The notebook Formgrader shows: outputs from the run, inert markdown, no hidden test."""
    out = copy.deepcopy(nb)
    count = 0
    for index, cell in enumerate(out.cells):
        if cell.cell_type == "markdown":
            cell.source = clean.inert_markdown(cell.source)
        elif cell.cell_type == "raw":
            cell.metadata.pop("format", None)
            cell.metadata.pop("raw_mimetype", None)
            cell.source = clean.inert_markdown(cell.source)
        elif is_test(cell):
            cell.source = visible_source(tests.get(grade_id(cell), ""))
            verdict = run.verdicts.get(grade_id(cell))
            cell.outputs = _verdict_outputs(verdict) if verdict else []
        else:
            result = run.cells.get(index)
            cell.outputs = [nbformat.from_dict(o) for o in result.outputs] if result else []
            if result:
                count += 1
                cell.execution_count = count
                for output in cell.outputs:
                    if output.get("output_type") == "execute_result":
                        output["execution_count"] = count
    return out


def _feedback_cells(nb, run: NotebookRun, tests: dict[str, str]) -> list[Cell]:
    cells = []
    for index, cell in enumerate(nb.cells):
        label = _label(cell, index)
        if cell.cell_type != "code":
            cells.append(Cell(cell.cell_type, label, cell.source))
        elif is_test(cell):
            verdict = run.verdicts.get(grade_id(cell))
            lines = []
            if verdict is not None:
                lines = ([verdict.printed.rstrip("\n")] if verdict.printed.strip() else []) \
                    + verdict.passed_lines + ([f"FAILED: {verdict.failure}"] if verdict.failure
                                              else [])
            cells.append(Cell("test", f"test {label}", visible_source(tests.get(grade_id(cell),
                                                                                "")),
                              verdict=lines))
        else:
            result = run.cells.get(index)
            cells.append(Cell("code", label, cell.source,
                              outputs=result.outputs if result else [],
                              outputs_hidden=index in run.after_hidden))
    return cells


def _as_released(cell) -> bool:
    """True when an answer cell is exactly as released: the checksum nbgrader stored in the
    release (copied onto the submission by normalisation) is the checksum of its source now."""
    from nbgrader.utils import compute_checksum

    stored = cell.metadata.get("nbgrader", {}).get("checksum")
    return stored is not None and stored == compute_checksum(cell)


def _parts(nb, run: NotebookRun) -> tuple[list[Part], dict[str, float | None]]:
    parts, scores = [], {}
    for cell in nb.cells:
        if not is_graded(cell):
            continue
        gid = grade_id(cell)
        points = cell_points(cell)
        if is_written(cell) or (cell.cell_type != "code" and is_answer(cell)):
            if _as_released(cell):  # nothing written: 0 without a person, as nbgrader does
                scores[gid] = 0.0
                parts.append(Part(gid, points, 0.0, "failed",
                                  ["not answered: the cell is still as it was handed out"]))
                continue
            scores[gid] = None
            parts.append(Part(gid, points, None, "pending"))
            continue
        verdict = run.verdicts.get(gid)
        if verdict is None:
            scores[gid] = 0.0
            parts.append(Part(gid, points, 0.0, "failed", ["this test did not run"]))
            continue
        scores[gid] = verdict.score
        parts.append(Part(gid, points, verdict.score, "passed" if verdict.passed else "failed",
                          [verdict.failure] if verdict.failure else []))
    return parts, scores


def _message(notes: list[str], run: NotebookRun, timeout: float) -> str:
    parts = list(notes) + list(run.problems)
    for gid, verdict in run.verdicts.items():
        if verdict.failure:
            parts.append(f"failed '{gid}': {verdict.failure.splitlines()[0]}")
    return "; ".join(parts) if parts else "all tests passed"


def _log(student: str, assignment: str, notebook: str, run: NotebookRun | None,
         extra: str = "") -> str:
    lines = [f"{student} / {assignment} / {notebook}"]
    if run is not None:
        lines.append(f"status {run.status}, {run.score:g} points, {run.seconds:.2f} s")
        lines += [f"problem: {p}" for p in run.problems]
        for gid, v in run.verdicts.items():
            lines.append(f"[{gid}] {v.score:g}/{v.max_score:g} in {v.seconds:.2f} s"
                         + (f"\n  student sees: {v.failure}\n  detail: {v.detail}"
                            if v.failure else ""))
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n"


class KernelsAhead:
    """Kernels started one notebook ahead, so grading never waits for one to come up.

    While a notebook is graded, the next kernel starts in a background thread (the grader and
    the student's kernel take turns on the CPU, so there is idle time to start it in). Every
    notebook still gets a kernel of its own that nothing else ever ran in.
    """

    def __init__(self):
        self._threads = ThreadPoolExecutor(1, thread_name_prefix="kernel-ahead")
        self._next: Future | None = None
        self._key: tuple | None = None
        # a pool's worker process leaves through multiprocessing's exit path, which runs its
        # finalizers but not atexit: register with both, so the last kernel started ahead is
        # always stopped
        atexit.register(self.close)
        Finalize(self, self.close, exitpriority=10)

    def take(self, options: GradingOptions) -> KernelSession:
        key = (options.sandbox, options.limits)
        ready, ahead = None, self._next
        self._next = None
        if ahead is not None:
            try:
                session = ahead.result()
                if self._key == key:
                    ready = session
                else:
                    session.close()
            except Exception:  # noqa: BLE001 - a failed head start: start one now instead
                pass
        self._key = key
        self._next = self._threads.submit(KernelSession.start, sandbox=options.sandbox,
                                          limits=options.limits)
        return ready or KernelSession.start(sandbox=options.sandbox, limits=options.limits)

    def close(self) -> None:
        ahead, self._next = self._next, None
        if ahead is not None:
            try:
                ahead.result().close()
            except Exception:  # noqa: BLE001
                pass


class TaskRunner:
    """What one worker process keeps between tasks: its kernel started ahead, nothing else.

    Made once per worker process by whoever owns the process (the Dask worker plugin of
    :mod:`autodiff_course.cluster`), passed to :func:`grade_task` explicitly, and closed with
    the worker: no state hides at module level, and a task's result depends only on its
    arguments.
    """

    def __init__(self):
        self.kernels = KernelsAhead()

    def run(self, root: str, task: Task, options: GradingOptions) -> list[NotebookResult]:
        return grade_task(root, task, options, runner=self)

    def close(self) -> None:
        self.kernels.close()


def grade_notebook(root: Path, student: str, assignment: str, notebook: str, nb_dict: dict,
                   notes: list[str], options: GradingOptions,
                   start: Callable[[GradingOptions], KernelSession] | None = None
                   ) -> NotebookResult:
    """Grade one notebook; ``start`` gives its kernel (default: a fresh one, started now)."""
    started = time.perf_counter()
    nb = nbformat.from_dict(nb_dict)
    max_score = sum(cell_points(c) for c in nb.cells)
    result = NotebookResult(student, assignment, notebook, Status.CRASHED, "",
                            max_score=max_score)
    try:
        tests = _tests(root, assignment, notebook)
        try:
            session = (start(options) if start else
                       KernelSession.start(sandbox=options.sandbox, limits=options.limits))
        except KernelStartError as err:
            result.kernel_start_failed = result.retry = True
            result.message = "; ".join([*notes, "the grading kernel did not start (tried twice); "
                                        "nothing was scored"])
            result.log = _log(student, assignment, notebook, None, f"kernel start: {err}")
            return result
        with session:
            run = run_notebook(session, nb, tests, timeout=options.timeout)
        result.status = run.status
        result.parts, result.scores = _parts(nb, run)
        result.message = _message(notes, run, options.timeout)
        result.autograded = autograded_notebook(nb, run, tests)
        result.cells = _feedback_cells(nb, run, tests)
        result.log = _log(student, assignment, notebook, run)
    except Exception as err:  # noqa: BLE001 - a grader bug costs one row, never the batch
        result.status = Status.CRASHED
        result.retry = True
        result.scores = {}
        result.message = "; ".join([*notes, "the grader failed on this notebook "
                                    f"({type(err).__name__}); nothing was scored"])
        result.log = _log(student, assignment, notebook, None,
                          "".join(traceback.format_exception(err)))
    finally:
        result.seconds = time.perf_counter() - started
    return result


def grade_task(root: str, task: Task, options: GradingOptions,
               runner: TaskRunner | None = None) -> list[NotebookResult]:
    """Every notebook of one student's assignment (the unit of work a worker takes).

    With a ``runner`` (a worker process's), kernels start one notebook ahead; without one, each
    notebook's kernel starts when it is needed.
    """
    start = runner.kernels.take if runner is not None else None
    return [grade_notebook(Path(root), task.student, task.assignment, name, nb,
                           task.notes.get(name, []), options, start=start)
            for name, nb in task.notebooks.items()]
