"""The grader's typed records, in one place: what a run is told, what it is given, what it gives.

- :class:`Status`: how a notebook ended. Its values are the words grades.csv has always held
  (``graded``, ``timed-out``, ...), so scripts that read the CSV keep working; everything that
  decides on a status compares with this enum, never with text found in a log;
- :class:`GradingOptions`: how each notebook is run (per-cell time limit, sandbox, limits);
- :class:`Task`: one student's assignment, as data a worker anywhere can grade (plain dicts, so it
  pickles small and carries no hidden state);
- :class:`NotebookResult`: what grading one notebook produced, sent back from the worker.

This module imports only plain data classes (feedback's parts and cells, the limits), so the
engine, the workers, the batch, the CSV writer and the report all read the same records without
import cycles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .feedback import Cell, Part
from .limits import Limits


class Status(StrEnum):
    """How one notebook's grading ended (the ``status`` column of grades.csv)."""

    GRADED = "graded"
    TIMED_OUT = "timed-out"
    CRASHED = "crashed"
    UNREADABLE = "unreadable"
    MISSING = "missing"

    @classmethod
    def parse(cls, text: str) -> Status:
        """A status read back from grades.csv; an unknown word (a hand-edited file) is CRASHED."""
        try:
            return cls(text)
        except ValueError:
            return cls.CRASHED

    @property
    def ran(self) -> bool:
        """Whether the notebook was executed (missing and unreadable ones never are)."""
        return self in (Status.GRADED, Status.TIMED_OUT, Status.CRASHED)


@dataclass(frozen=True)
class GradingOptions:
    """How each notebook is run."""

    timeout: float = 30.0
    sandbox: bool = True
    limits: Limits = field(default_factory=Limits)


@dataclass
class Task:
    """One student's assignment: its normalised notebooks (as plain dicts) and reading notes.

    ``fingerprint`` is the content hash the batch stores with the grade
    (:mod:`autodiff_course.ledger`); it also names the task on a cluster.
    """

    student: str
    assignment: str
    notebooks: dict[str, dict]
    notes: dict[str, list[str]] = field(default_factory=dict)
    fingerprint: str = ""


@dataclass
class NotebookResult:
    """What grading one notebook produced.

    ``retry`` marks a result the grader's own trouble caused (a worker that died, a kernel that
    did not start, a grader exception): it is shown, but not remembered as up to date, so the
    next run grades that notebook again.
    """

    student: str
    assignment: str
    notebook: str
    status: Status
    message: str
    scores: dict[str, float | None] = field(default_factory=dict)
    max_score: float = 0.0
    seconds: float = 0.0
    kernel_start_failed: bool = False
    retry: bool = False
    autograded: dict | None = None
    parts: list[Part] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    log: str = ""
