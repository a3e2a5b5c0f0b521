"""The gradebook side of a migration (:mod:`autodiff_course.migrate`): what the gradebook holds
of an assignment, every hand grade saved as plain data, submissions removed, and the hand grades
put back after the assignment is reloaded from solutions/.

Kept apart from :mod:`autodiff_course.gradebook`, which every grading run uses: these run only
when an assignment changed after students were graded. Every connection still goes through
:func:`autodiff_course.gradebook.opened`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from .gradebook import opened, totals
from .layout import Workspace


def stored_cells(ws: Workspace, assignment: str) -> dict[str, tuple[dict, dict]] | None:
    """What the gradebook holds of ``assignment``, per notebook, in :func:`expected_cells`' shape
    (None: the assignment is not in the gradebook)."""
    from nbgrader.api import MissingEntry

    with opened(ws) as gb:
        try:
            stored = gb.find_assignment(assignment)
        except MissingEntry:
            return None
        return {nb.name: ({c.name: (float(c.max_score), c.cell_type) for c in nb.grade_cells},
                          {c.name: (c.cell_type, bool(c.locked), c.source, c.checksum)
                           for c in nb.source_cells})
                for nb in stored.notebooks}


def hand_grades_backup(ws: Workspace, assignment: str) -> list[dict]:
    """Every submission of ``assignment`` with what people entered in it, as plain data.

    Per student: the submission's timestamp and extension; per notebook its flag, late penalty
    and totals, the manual score and extra credit of every cell that has one (with the cell's
    maximum then) and every manual comment. Automatic scores are left out: they are recomputed.
    """
    from nbgrader.api import MissingEntry

    found = []
    with opened(ws) as gb:
        try:
            submissions = gb.find_assignment(assignment).submissions
        except MissingEntry:
            return []
        for sub in sorted(submissions, key=lambda s: s.student.id):
            notebooks = {}
            for nb in sub.notebooks:
                sums = totals(nb)
                notebooks[nb.name] = {
                    "flagged": bool(nb.flagged),
                    "late_penalty": nb.late_submission_penalty,
                    "score": sums.score, "max_score": sums.max_score,
                    "grades": {g.name: {"manual_score": g.manual_score,
                                        "extra_credit": g.extra_credit,
                                        "max_score": float(g.max_score)}
                               for g in nb.grades
                               if g.manual_score is not None or g.extra_credit is not None},
                    "comments": {c.name: c.manual_comment for c in nb.comments
                                 if c.manual_comment},
                }
            found.append({
                "student": sub.student.id,
                "timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
                "extension_seconds": (sub.extension.total_seconds() if sub.extension
                                      else None),
                "notebooks": notebooks,
            })
    return found


def remove_submissions(ws: Workspace, assignment: str) -> list[str]:
    """Remove every submission of ``assignment`` (so nbgrader lets its cells change); the
    students whose submission was removed."""
    from nbgrader.api import MissingEntry

    with opened(ws) as gb:
        try:
            students = sorted(s.student.id for s in gb.find_assignment(assignment).submissions)
        except MissingEntry:
            return []
        for student in students:
            gb.remove_submission(assignment, student)
    return students


@dataclass
class PutBack:
    """What became of one hand-entered value when a submission was put back."""

    student: str
    assignment: str
    notebook: str
    cell: str
    kind: str  # "score", "extra credit" or "comment"
    old: float | str | None
    new: float | str | None  # None: dropped, the cell is gone
    old_max: float | None = None
    new_max: float | None = None


def put_back(ws: Workspace, assignment: str, saved: dict, settle) -> list[PutBack]:
    """Re-create a student's submission of ``assignment`` (as :func:`hand_grades` saved it) in
    the reloaded assignment, with its hand grades and comments where their cell still exists.

    ``settle(old_score, new_max)`` gives the manual score to keep for a cell whose maximum may
    have changed. Automatic scores stay empty until the submission is graded again.
    """
    from datetime import timedelta

    from nbgrader.api import MissingEntry

    done: list[PutBack] = []
    student = saved["student"]

    def note(notebook: str, cell: str, kind: str, old, new, *maxima) -> None:
        done.append(PutBack(student, assignment, notebook, cell, kind, old, new, *maxima))

    with warnings.catch_warnings(), opened(ws) as gb:
        warnings.simplefilter("ignore")
        gb.update_or_create_student(student)
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            extra = {}
            if saved.get("timestamp"):
                extra["timestamp"] = saved["timestamp"]
            submission = gb.add_submission(assignment, student, **extra)
        if saved.get("extension_seconds") is not None:
            submission.extension = timedelta(seconds=saved["extension_seconds"])
        for notebook, was in saved["notebooks"].items():
            try:
                sub_nb = gb.find_submission_notebook(notebook, assignment, student)
            except MissingEntry:
                sub_nb = None
            if sub_nb is not None:
                sub_nb.flagged = was.get("flagged", False)
                if was.get("late_penalty") is not None:
                    sub_nb.late_submission_penalty = was["late_penalty"]
            for cell, grade in was["grades"].items():
                try:
                    target = gb.find_grade(cell, notebook, assignment, student)
                except MissingEntry:
                    target = None
                new_max = float(target.max_score) if target is not None else None
                manual = grade["manual_score"]
                if manual is not None:
                    kept = settle(manual, new_max) if target is not None else None
                    note(notebook, cell, "score", manual, kept, grade["max_score"], new_max)
                    if target is not None:
                        target.manual_score = kept
                        target.needs_manual_grade = False
                if grade["extra_credit"] is not None:
                    note(notebook, cell, "extra credit", grade["extra_credit"],
                         grade["extra_credit"] if target is not None else None)
                    if target is not None:
                        target.extra_credit = grade["extra_credit"]
            for cell, text in was["comments"].items():
                try:
                    comment = gb.find_comment(cell, notebook, assignment, student)
                    comment.manual_comment = text
                    note(notebook, cell, "comment", text, text)
                except MissingEntry:
                    note(notebook, cell, "comment", text, None)
        gb.db.commit()
    return done
