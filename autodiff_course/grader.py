"""The grading worker: one process, one NbGraderAPI, one private kernel socket folder.

The batch (:mod:`autodiff_course.batch`) starts N of these with the ``spawn`` method (processes,
not threads: nbgrader's converter changes the working folder and environment of its process) and
hands each one a (student, assignment) at a time. A worker:

- runs ``NbGraderAPI.autograde`` and retries once when the kernel failed to start (a rare race
  between concurrent kernels), never when the student's code killed it;
- turns nbgrader's outcome into rows: graded / timed-out / crashed, with a message that names the
  cells that failed and why;
- generates the feedback HTML (hidden tests scrubbed by :class:`HideHiddenTests`).
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from . import environment
from .layout import COURSE_ID, Workspace
from .report import CRASHED, GRADED, TIMED_OUT, Row

_STATE: dict[str, Any] = {}
KERNEL_START_SIGNS = (
    "kernel_info",
    "Address already in use",
    "Kernel didn't respond",
    "Kernel died before",
    "ZMQError",
    "TimeoutError",
    "Kernel died",
)


def init_worker(root: str, workspace: str, db_url: str, timeout: int, kernel_name: str | None,
                jupyter_path: str | None) -> None:
    """Process initializer: environment, private IPC folder, one configured NbGraderAPI."""
    environment.prepare()
    if jupyter_path:
        parts = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
        os.environ["JUPYTER_PATH"] = os.pathsep.join([jupyter_path, *parts])
    ipc_dir = tempfile.mkdtemp(prefix="adc-ipc-")  # short: unix socket paths max ~100 chars
    atexit.register(shutil.rmtree, ipc_dir, True)
    warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy chatter about sessions
    warnings.filterwarnings("ignore", message=".*not in session.*")
    quiet = logging.getLogger("traitlets")
    quiet.propagate = False
    quiet.handlers = [logging.NullHandler()]

    from nbgrader.apps import NbGraderAPI

    from .config import grading_config

    ws = Workspace.at(workspace, db_url)
    cfg = grading_config(Path(root), ws, timeout=timeout, kernel_name=kernel_name,
                         ipc_dir=Path(ipc_dir), release_directory=ws.release)
    _STATE.update(api=NbGraderAPI(config=cfg), workspace=ws, root=Path(root), timeout=timeout,
                  kernel_name=kernel_name, ipc_dir=ipc_dir)


def _api():
    return _STATE["api"]


def _text(result: dict) -> str:
    return (result.get("log") or "") + "\n" + (result.get("error") or "")


def _last_line_with(text: str, needles: tuple[str, ...]) -> str:
    for line in reversed(text.splitlines()):
        if any(n in line for n in needles):
            return line.strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no log"


# --- preparing a workspace -------------------------------------------------------------------

def load_assignments(assignments: list[str]) -> dict[str, str]:
    """Record the instructor notebooks in this workspace's gradebook (via a scratch release).

    Returns {assignment: error} for those that failed; empty when all went well.
    """
    api = _api()
    failures = {}
    for assignment in assignments:
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            failures[assignment] = _last_line_with(_text(result), ("Error", "error", "Cannot"))
    return failures


def preflight() -> str | None:
    """Start the grading kernel once and import what tests import; None if it works."""
    from jupyter_client.manager import KernelManager

    name = _STATE.get("kernel_name") or "python3"
    km = KernelManager(kernel_name=name, transport="ipc",
                       ip=str(Path(_STATE["ipc_dir"]) / "preflight"))
    try:
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
    except Exception as err:  # noqa: BLE001 - any failure here is reported to the instructor
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        return f"the grading kernel '{name}' does not start: {type(err).__name__}: {err}"
    try:
        reply = kc.execute_interactive(
            "import numpy, autodiff_course.checking, autograd_ref", timeout=60, silent=True
        )
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            return (f"the grading kernel cannot import the course packages: "
                    f"{content.get('ename')}: {content.get('evalue')}")
    except Exception as err:  # noqa: BLE001
        return f"the grading kernel does not answer: {type(err).__name__}: {err}"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return None


def forget(pairs: list[tuple[str, str]]) -> None:
    """Remove stale gradebook entries of (assignment, student) pairs that were not executed."""
    from nbgrader.api import Gradebook, MissingEntry

    ws: Workspace = _STATE["workspace"]
    with Gradebook(ws.db_url, COURSE_ID) as gb:
        for assignment, student in pairs:
            gb.update_or_create_student(student)
            try:
                gb.remove_submission(assignment, student)
            except MissingEntry:
                pass


# --- grading one student ---------------------------------------------------------------------

def _cell_label(nb, index: int | None, grade_id: str | None) -> str:
    if grade_id:
        return f"'{grade_id}'"
    if index is not None:
        return f"{index + 1} (a cell without grade id)"
    return "(unknown)"


def _first_line(text: str, width: int = 110) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _describe(nb_path: Path, timeout: int) -> tuple[bool, list[str]]:
    """(timed out?, messages) from an autograded notebook: failing tests and answer errors."""
    from .notebooks import grade_id, is_answer, is_test, read
    from .preprocessors import error_in_hidden_tests

    nb = read(nb_path)
    timed_out = False
    parts: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if not errors:
            continue
        label = _cell_label(nb, index, grade_id(cell))
        if any(e.ename == "CellTimeoutError" for e in errors):
            timed_out = True
            parts.append(f"cell {label} ran past the {timeout} s limit and was interrupted")
            continue
        error = errors[-1]
        detail = f"{error.ename}: {_first_line(error.evalue)}" if error.evalue else error.ename
        if error.ename == "NotImplementedError":
            detail += " (not answered?)"
        if is_test(cell):
            hidden = " in a hidden test" if error_in_hidden_tests(cell, error) else ""
            parts.append(f"failed {label}{hidden}: {detail}")
        elif is_answer(cell):
            parts.append(f"answer cell {label} raised {detail}")
        else:
            parts.append(f"cell {label} raised {detail}")
    return timed_out, parts


def _scores(assignment: str, student: str, notebook: str) -> tuple[float, float, float]:
    from nbgrader.api import Gradebook

    ws: Workspace = _STATE["workspace"]
    with Gradebook(ws.db_url, COURSE_ID) as gb:
        sub = gb.find_submission_notebook(notebook, assignment, student)
        pending = sum(float(g.max_score) for g in sub.grades if g.needs_manual_grade)
        return float(sub.score), float(sub.max_score), pending


def _start_failure(result: dict) -> bool:
    from .preprocessors import journal

    return not journal and any(sign in _text(result) for sign in KERNEL_START_SIGNS)


def grade(assignment: str, student: str, notebooks: dict[str, float], notes: dict[str, list[str]]
          ) -> dict[str, Any]:
    """Autograde one student's assignment; ``notebooks`` maps notebook name to max score."""
    from .preprocessors import journal

    api = _api()
    ws: Workspace = _STATE["workspace"]
    timeout = _STATE["timeout"]
    started = time.perf_counter()
    retried = False
    result: dict = {}
    for attempt in (1, 2):
        journal.clear()
        result = api.autograde(assignment, student, force=True, create=True)
        if result["success"] or attempt == 2 or not _start_failure(result):
            break
        retried = True
    log_dir = ws.state / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / f"{student}--{assignment}.log").write_text(_text(result))

    rows = []
    if result["success"]:
        feedback = api.generate_feedback(assignment, student, force=True)
        for notebook, max_score in notebooks.items():
            path = ws.autograded / student / assignment / f"{notebook}.ipynb"
            score, max_score, pending = _scores(assignment, student, notebook)
            timed_out, parts = _describe(path, timeout)
            if not parts:
                parts = ["all tests passed"]
            if pending:
                parts.append(f"{pending:g} points await manual grading (written answers)")
            if not feedback["success"]:
                parts.append("feedback could not be generated: "
                             + _last_line_with(_text(feedback), ("Error",)))
            rows.append(Row(student, assignment, notebook, score, max_score,
                            TIMED_OUT if timed_out else GRADED,
                            "; ".join([*notes.get(notebook, []), *parts]), pending))
    else:
        text = _text(result)
        cell = journal.get("grade_id")
        where = _cell_label(None, journal.get("cell_index"), cell) if journal else None
        if "CellTimeoutError" in text:
            status = TIMED_OUT
            message = (f"cell {where} ran past the {timeout} s limit and could not be interrupted; "
                       "nothing was scored")
        elif "DeadKernelError" in text or "Kernel died" in text:
            status = CRASHED
            if where:
                message = (f"the kernel died while running cell {where} (os._exit, a crash, or "
                           "the grading kernel's memory/CPU limits); nothing was scored")
            else:
                message = "the grading kernel did not start (tried twice): " + _last_line_with(
                    text, KERNEL_START_SIGNS)
        else:
            status = CRASHED
            message = "nbgrader could not grade it: " + _last_line_with(
                text, ("Error", "error", "Exception"))
        try:
            forget([(assignment, student)])
        except Exception:  # noqa: BLE001 - a stale entry is not worth failing the row for
            pass
        for notebook, max_score in notebooks.items():
            rows.append(Row(student, assignment, notebook, 0.0, max_score, status,
                            "; ".join([*notes.get(notebook, []), message])))
    seconds = time.perf_counter() - started
    for row in rows:
        row.seconds = seconds / max(len(rows), 1)
    return {"rows": rows, "seconds": seconds, "retried": retried,
            "kernel_start_failed": bool(not result["success"] and _start_failure(result))}
