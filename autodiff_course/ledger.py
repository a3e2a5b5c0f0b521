"""What was graded, from which content: the hashes that make a re-run incremental and resumable.

A (student, assignment) is up to date when the hash stored with its grade equals the hash of

- the submission as graded (the normalised notebooks' cells: type, source, grading metadata;
  outputs and cell ids are left out, so re-saving a notebook changes nothing) and the reading
  notes shown with it;
- the assignment's graded and given cells in ``solutions/`` (tests, points, setup code);
- the grader itself (every source file of :mod:`autodiff_course`) and the grading options
  (time limit, sandbox, resource limits).

The ledger is a small SQLite file in the workspace's state folder, next to the logs: the
grader's process writes one entry per (student, assignment) right after that task's grade,
files and pages are written, so a batch stopped at any point (Ctrl-C, a killed process, a lost
worker) resumes with what is missing. Writing an entry twice leaves one. The entry also keeps
the task's grades.csv rows, so a skipped task still gets its rows.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict
from pathlib import Path

from .layout import Workspace, source_notebooks
from .notebooks import cell_points, grade_id, is_graded, is_restored, meta, read
from .records import GradingOptions, Status, Task
from .report import Row

PACKAGE = Path(__file__).resolve().parent


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def grader_version(package: Path = PACKAGE) -> str:
    """A hash of the grader's own source files: any change to the grader re-grades."""
    hasher = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        hasher.update(str(path.relative_to(package)).encode() + b"\0")
        hasher.update(path.read_bytes() + b"\0")
    return hasher.hexdigest()


def tests_version(root: Path, assignment: str) -> str:
    """A hash of what grades an assignment: its graded and given cells in solutions/."""
    found = []
    for path in source_notebooks(root, assignment):
        cells = [(grade_id(c), c.cell_type, cell_points(c), c.source)
                 for c in read(path).cells if is_graded(c) or is_restored(c)]
        found.append((path.name, cells))
    return _digest(found)


def fingerprint(task: Task, tests: str, grader: str, options: GradingOptions) -> str:
    """The hash stored with a task's grade (see the module docstring)."""
    notebooks = {name: [(c.get("cell_type"), c.get("source"), meta(c)) for c in nb["cells"]]
                 for name, nb in sorted(task.notebooks.items())}
    return _digest({"notebooks": notebooks, "notes": task.notes, "tests": tests,
                    "grader": grader, "options": repr(options)})


def _row(record: dict) -> Row:
    record = dict(record)
    record["status"] = Status.parse(record.get("status", ""))
    return Row(**record)


class Ledger:
    """The workspace's record of graded content (one SQLite file; see the module docstring)."""

    def __init__(self, ws: Workspace):
        self.path = ws.state / "ledger.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        self.db.execute("CREATE TABLE IF NOT EXISTS graded (student TEXT, assignment TEXT, "
                        "fingerprint TEXT, rows TEXT, PRIMARY KEY (student, assignment))")
        self.db.commit()

    def rows(self, student: str, assignment: str, fingerprint: str) -> list[Row] | None:
        """The stored rows when (student, assignment) was graded from this content, else None."""
        found = self.db.execute("SELECT fingerprint, rows FROM graded WHERE student = ? AND "
                                "assignment = ?", (student, assignment)).fetchone()
        if found is None or found[0] != fingerprint:
            return None
        try:
            return [_row(r) for r in json.loads(found[1])]
        except (ValueError, TypeError):
            return None  # a damaged entry: grade again

    def store(self, student: str, assignment: str, fingerprint: str, rows: list[Row]) -> None:
        self.db.execute("INSERT OR REPLACE INTO graded VALUES (?, ?, ?, ?)",
                        (student, assignment, fingerprint,
                         json.dumps([{**asdict(r), "status": str(r.status)} for r in rows])))
        self.db.commit()

    def drop(self, student: str, assignment: str) -> None:
        self.db.execute("DELETE FROM graded WHERE student = ? AND assignment = ?",
                        (student, assignment))
        self.db.commit()

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM graded").fetchone()[0]

    def close(self) -> None:
        self.db.close()
