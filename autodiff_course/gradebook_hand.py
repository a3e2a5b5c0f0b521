"""Hand grades in the gradebook: reading them, and reopening an answer changed since.

A written answer graded by hand keeps its grade across re-grades; one the student changed after
it was graded waits for a person again. Kept apart from :mod:`autodiff_course.gradebook`, which
loads assignments and records results.
"""

from __future__ import annotations

from .gradebook import opened
from .layout import Workspace


def hand_grades_of(sub) -> dict[str, tuple[float, str | None]]:
    """{cell: (score, comment)} of the cells of a submitted notebook graded by hand."""
    comments = {c.name: c.manual_comment for c in sub.comments if c.manual_comment}
    return {g.name: (float(g.score), comments.get(g.name)) for g in sub.grades
            if g.manual_score is not None and not g.needs_manual_grade}


def hand_grades(ws: Workspace, assignment: str, student: str,
                notebook: str) -> dict[str, tuple[float, str | None]]:
    """:func:`hand_grades_of` one submitted notebook (empty when it is not in the gradebook)."""
    from nbgrader.api import MissingEntry

    with opened(ws) as gb:
        try:
            return hand_grades_of(gb.find_submission_notebook(notebook, assignment, student))
        except MissingEntry:
            return {}


def reopen(ws: Workspace, assignment: str, student: str, notebook: str,
           cells: list[str]) -> list[tuple[str, float, float]]:
    """Flag again the written answers in ``cells`` that were graded by hand: the student handed
    in a different answer since. Returns (cell, earlier hand score, points) of each one reopened.

    The earlier score is not lost: it goes into the cell's automatic comment, which Formgrader
    shows in the comment box, so the person grading the new answer sees what the old one got.
    """
    from nbgrader.api import MissingEntry

    reopened = []
    if not cells:
        return reopened
    with opened(ws) as gb:
        for name in cells:
            try:
                grade = gb.find_grade(name, notebook, assignment, student)
            except MissingEntry:
                continue
            if grade.manual_score is None:
                continue
            reopened.append((name, float(grade.manual_score), float(grade.max_score)))
            try:
                gb.find_comment(name, notebook, assignment, student).auto_comment = (
                    f"The answer changed after it was graded {grade.manual_score:g}/"
                    f"{grade.max_score:g} by hand; grade the new answer.")
            except MissingEntry:
                pass
            grade.manual_score = None
            grade.extra_credit = None
            grade.needs_manual_grade = True
        gb.db.commit()
    return reopened
