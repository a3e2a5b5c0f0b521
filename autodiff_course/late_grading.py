"""The late policy in the gradebook: deadlines, extensions and penalties where nbgrader keeps them.

``apply_policy`` decides each ran row's penalty from ``course.toml`` (:mod:`autodiff_course.late`)
and stores it with ``apply_late``; ``set_duedates`` writes the deadlines. Kept apart from
:mod:`autodiff_course.gradebook`, which every grading run needs, and from the batch, which only
calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from . import clean, late
from .gradebook import Totals, opened, totals, utc_naive
from .layout import Workspace
from .report import Row


def set_duedates(ws: Workspace, duedates: dict[str, datetime | None]) -> None:
    """Each assignment's ``Assignment.duedate`` (None: no deadline), as nbgrader keeps it.

    Without a deadline no extension is kept either: nbgrader adds a submission's extension to
    its assignment's duedate, which fails on a missing one (Formgrader would too).
    """
    with opened(ws) as gb:
        for assignment, due in duedates.items():
            found = gb.find_assignment(assignment)
            found.duedate = utc_naive(due)
            if due is None:
                for submission in found.submissions:
                    submission.extension = None
        gb.db.commit()


@dataclass
class LateEntry:
    """One submitted notebook to which the late policy is applied."""

    assignment: str
    student: str
    notebook: str
    deadline: datetime | None  # the student's own (an extension when there is one)


def apply_late(ws: Workspace, entries: list[LateEntry],
               decide: Callable[[LateEntry, float, float], float]) -> dict[tuple, Totals]:
    """Store ``decide(entry, raw score, max score)`` as each notebook's late penalty.

    The penalty is *set* in nbgrader's ``SubmittedNotebook.late_submission_penalty`` (None when
    0), never subtracted, so re-applying a policy cannot take points twice; a student's later
    deadline is stored as nbgrader's ``Submission.extension``. Returns the totals by
    (assignment, student, notebook); entries without a submission are left out.
    """
    from nbgrader.api import MissingEntry

    found = {}
    with opened(ws) as gb:
        for entry in entries:
            try:
                sub = gb.find_submission_notebook(entry.notebook, entry.assignment, entry.student)
            except MissingEntry:
                continue
            due = sub.assignment.assignment.duedate
            mine = utc_naive(entry.deadline)
            sub.assignment.extension = (mine - due) if due and mine and mine > due else None
            penalty = decide(entry, float(sub.score), float(sub.max_score))
            sub.late_submission_penalty = penalty or None
            found[(entry.assignment, entry.student, entry.notebook)] = sub
        gb.db.commit()
        return {key: totals(sub) for key, sub in found.items()}


def apply_policy(ws: Workspace, policy: late.LatePolicy, rows: list[tuple[Row, str]],
                times: dict[tuple[str, str], datetime], log) -> None:
    """The late policy, from scratch, on rows that ran: (row, the student's folder name).

    The penalty goes into the gradebook (:func:`apply_late`) and the
    row gets the totals, the collection time and the policy's note in place of any earlier one.
    """
    ran = [(row, student) for row, student in rows if row.status.ran]
    if not policy.deadlines and not any(r.late_penalty or late.has_note(r.message)
                                        for r, _ in ran):
        return  # no deadlines and nothing left of an earlier policy: no gradebook work
    decisions: dict[tuple[str, str, str], late.Decision] = {}

    def decide(entry: LateEntry, score: float, max_score: float) -> float:
        decision = policy.decide(entry.assignment, entry.student,
                                 times.get((entry.student, entry.assignment)), score, max_score)
        decisions[(entry.assignment, entry.student, entry.notebook)] = decision
        return decision.penalty

    entries = [LateEntry(row.assignment, student, row.notebook,
                                   policy.deadline(row.assignment, student))
               for row, student in ran]
    try:
        found = apply_late(ws, entries, decide)
    except Exception as err:  # noqa: BLE001 - the rows stand; the next run applies it again
        log(f"the late policy could not be applied: {clean.line(err, 300)}")
        for row, _ in ran:
            row.message += f"; the late policy could not be applied ({type(err).__name__})"
        return
    for row, student in ran:
        key = (row.assignment, student, row.notebook)
        if key not in found:
            continue
        now = found[key]
        row.score, row.max_score = now.score, now.max_score
        row.pending_manual, row.late_penalty = now.pending, now.late_penalty
        when = times.get((student, row.assignment))
        if when is not None:
            row.collected = when.isoformat()
        row.message = late.with_note(row.message, decisions[key].note)
