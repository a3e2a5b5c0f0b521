"""Grades as the gradebook holds them now: hand grades reach grades.csv without running anything.

A written answer (a graded cell that is also a solution cell: nbgrader's "manually graded
answer") is scored by a person, in Formgrader or with ``autodiff-course grade-by-hand``. Both
write nbgrader's ``Grade.manual_score``; this module carries that score to every table:

- :func:`refresh` re-totals every row of ``grades.csv`` from the gradebook
  (:func:`autodiff_course.gradebook.totals`, the one place totals are summed) and re-renders the
  feedback pages whose page data the grader kept, so a hand grade shows up without grading again;
- :func:`waiting` lists what still waits for a person ("pending": flagged, not graded by hand),
  with the student's answer from the autograded notebook, so an instructor can grade from a
  terminal;
- :func:`grade_by_hand` enters one hand grade, after checking the student, the assignment, the
  cell (only written answers: see its docstring) and the points;
- :func:`changed_answers` tells the batch which written answers a resubmission changed, so a hand
  grade given to the earlier answer is not silently carried over (see docs/manual-grading.md).
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from . import clean, feedback, gradebook, gradebook_hand
from .layout import CourseError, Workspace
from .notebooks import grade_id, is_written, read
from .records import Status
from .report import Row, read_csv, write_csv


@dataclass
class Waiting:
    """One written answer that waits for a hand grade."""

    student: str
    assignment: str
    notebook: str
    cell: str
    points: float
    answer: str  # the student's text, from the autograded notebook ("" when it is not there)


def pending_note(points: float) -> str:
    """What a row's message says while written answers wait (empty when none does)."""
    return f"; {points:g} points await manual grading (written answers)" if points else ""


def changed_note(cell: str, score: float, top: float) -> str:
    """What a row's message says when a resubmission reopened a hand-graded written answer."""
    return (f"; written answer '{cell}' changed after its hand grade ({score:g}/{top:g}): "
            "it waits for a new hand grade")


_CHANGED_NOTE = re.compile(r"; written answer '[^']*' changed after its hand grade \([^)]*\): "
                           r"it waits for a new hand grade")


def apply_totals(row: Row, now: gradebook.Totals) -> None:
    """Give ``row`` the gradebook's totals, its message's notes kept in step (a reopened answer
    graded since no longer "waits")."""
    old = pending_note(row.pending_manual)
    if old and row.message.endswith(old):
        row.message = row.message[:-len(old)]
    if not now.pending:
        row.message = _CHANGED_NOTE.sub("", row.message)
    row.message += pending_note(now.pending)
    row.score, row.max_score = now.score, now.max_score
    row.pending_manual, row.late_penalty = now.pending, now.late_penalty


def check_workspace(ws: Workspace) -> None:
    """Stop, in one line, before nbgrader would create an empty gradebook somewhere wrong."""
    if not ws.path.is_dir():
        raise CourseError(f"no workspace at {ws.path}: grade into it first with "
                          "`autodiff-course autograde SUBMISSIONS --workspace DIR`")
    if ws.db_url.startswith("sqlite:///") and not Path(ws.db_url[len("sqlite:///"):]).is_file():
        raise CourseError(f"{ws.path} has no gradebook ({ws.shown_db_url}): grade into it first "
                          "with `autodiff-course autograde`, or pass the --db-url it was graded "
                          "with")


def written_cells(gb, assignment: str) -> dict[str, dict[str, float]]:
    """{notebook: {written answer: points}} of an assignment, as the gradebook defines it."""
    found = {}
    for nb in gb.find_assignment(assignment).notebooks:
        solutions = {c.name for c in nb.solution_cells}
        found[nb.name] = {c.name: float(c.max_score) for c in nb.grade_cells
                          if c.name in solutions}
    return found


# ------------------------------------------------------------------------------ grades.csv
def refresh(ws: Workspace) -> list[Row]:
    """grades.csv re-totalled from the gradebook, and the feedback pages brought up to date.

    Rows of notebooks that never ran (missing, unreadable) are kept as they are; a submission the
    gradebook has and grades.csv lacks (a deleted file) gets a row back.
    """
    from nbgrader.api import MissingEntry

    check_workspace(ws)
    rows = read_csv(ws.grades_csv)
    seen = set()
    with gradebook.opened(ws) as gb:
        for row in rows:
            if not row.status.ran:
                continue
            try:
                sub = gb.find_submission_notebook(row.notebook, row.assignment, row.student)
            except MissingEntry:
                continue
            apply_totals(row, gradebook.totals(sub))
            seen.add(row.key())
            rerender_page(ws, row, sub)
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for sub in submission.notebooks:
                    key = (submission.student.id, assignment.name, sub.name)
                    if key in seen:
                        continue
                    row = Row(*key, 0.0, 0.0, Status.GRADED, "rebuilt from the gradebook")
                    apply_totals(row, gradebook.totals(sub))
                    rows.append(row)
    return write_csv(ws.grades_csv, rows, merge=False)


def waiting(ws: Workspace, assignment: str | None = None) -> list[Waiting]:
    """Every written answer flagged for a hand grade and not graded yet, with its text."""
    from nbgrader.api import Grade

    check_workspace(ws)
    found = []
    with gradebook.opened(ws) as gb:
        for grade in gb.db.query(Grade).filter(Grade.needs_manual_grade.is_(True)):
            if assignment and grade.assignment.name != assignment:
                continue
            found.append(Waiting(grade.student.id, grade.assignment.name, grade.notebook.name,
                                 grade.name, float(grade.max_score), ""))
    for item in found:
        item.answer = answer_text(ws, item.student, item.assignment, item.notebook, item.cell)
    return sorted(found, key=lambda w: (w.assignment, w.student, w.notebook, w.cell))


def answer_text(ws: Workspace, student: str, assignment: str, notebook: str, cell: str) -> str:
    """The student's answer in ``cell`` as the autograded notebook holds it, terminal-safe."""
    path = ws.autograded / student / assignment / f"{notebook}.ipynb"
    try:
        nb = read(path)
    except (OSError, ValueError):
        return ""
    for c in nb.cells:
        if grade_id(c) == cell:
            # the autograded copy's markdown is made inert for Formgrader: undo its two entities
            source = c.source.replace("&lt;", "<").replace("&amp;", "&") \
                if c.cell_type != "code" else c.source
            return clean.text(source, 5000)
    return ""


def waiting_line(items: list[Waiting]) -> str:
    """The closing line: how many written answers (and points) wait, per assignment."""
    if not items:
        return "no written answer waits for a hand grade"
    by_assignment: dict[str, list[Waiting]] = defaultdict(list)
    for item in items:
        by_assignment[item.assignment].append(item)
    parts = []
    for name, group in sorted(by_assignment.items()):
        count = len(group)
        students = len({w.student for w in group})
        parts.append(f"{name}: {count} written answer{'s' if count != 1 else ''} "
                     f"({sum(w.points for w in group):g} points) of {students} "
                     f"student{'s' if students != 1 else ''}")
    return "waiting for a hand grade: " + "; ".join(parts)


def waiting_listing(items: list[Waiting]) -> str:
    """What ``pending`` prints: one block per answer, its text indented under its heading."""
    blocks = []
    for w in items:
        head = (f"{clean.line(w.student, 100)}  {w.assignment}/{w.notebook}  {w.cell}  "
                f"({w.points:g} points)")
        body = w.answer.strip() or "(no answer text in the autograded notebook)"
        blocks.append(head + "\n" + "\n".join("    " + line for line in body.splitlines()))
    return "\n\n".join(blocks)


# ------------------------------------------------------------------------------ grading by hand
def grade_by_hand(ws: Workspace, *, student: str, assignment: str, cell: str, points: float,
                  comment: str | None = None, notebook: str | None = None) -> None:
    """Enter a hand grade (and a comment) for one written answer, as Formgrader would.

    Only written answers: Formgrader also lets a person override a test cell, but such a
    ``manual_score`` takes precedence over every later automatic score, so re-grading would no
    longer change that cell. That stays a deliberate act in Formgrader, not a command-line one.
    """
    from nbgrader.api import MissingEntry

    check_workspace(ws)
    if not math.isfinite(points):
        raise CourseError(f"--points {points} is not a number of points")
    with gradebook.opened(ws) as gb:
        assignments = sorted(a.name for a in gb.assignments)
        if assignment not in assignments:
            raise CourseError(f"unknown assignment '{clean.line(assignment, 100)}': the gradebook "
                              f"has {_written_listing(gb, assignments)}")
        cells = written_cells(gb, assignment)
        listing = _written_listing(gb, [assignment])
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            students = sorted(s.student.id for s in gb.find_assignment(assignment).submissions)
            raise CourseError(f"no graded submission of {assignment} from "
                              f"'{clean.line(student, 100)}' (submissions from: "
                              f"{clean.line(', '.join(students) or 'nobody', 300)}); "
                              f"written answers: {listing}") from None
        holders = [nb for nb, found in cells.items() if cell in found
                   and (notebook is None or nb == notebook)]
        if not holders:
            automatic = any(cell == g.name for nb in submission.notebooks for g in nb.grades)
            why = (f"'{clean.line(cell, 100)}' of {assignment} is graded automatically by its "
                   "tests (Formgrader can override it; this command grades written answers "
                   "only)" if automatic else
                   f"{assignment} has no written answer '{clean.line(cell, 100)}'")
            raise CourseError(f"{why}; written answers: {listing}")
        if len(holders) > 1:
            raise CourseError(f"'{cell}' is a written answer of several notebooks of "
                              f"{assignment} ({', '.join(holders)}): pass --notebook")
        name = holders[0]
        top = cells[name][cell]
        if not 0 <= points <= top:
            raise CourseError(f"--points {points:g} is outside 0..{top:g} for {cell} of "
                              f"{assignment}/{name}")
        grade = gb.find_grade(cell, name, assignment, student)
        grade.manual_score = float(points)
        grade.needs_manual_grade = False
        if comment is not None:
            gb.find_comment(cell, name, assignment, student).manual_comment = comment
        gb.db.commit()


def _written_listing(gb, assignments: list[str]) -> str:
    parts = []
    for assignment in assignments:
        cells = written_cells(gb, assignment)
        names = [f"{cell} ({points:g} points{'' if len(cells) == 1 else f', {nb}'})"
                 for nb, found in sorted(cells.items()) for cell, points in sorted(found.items())]
        parts.append(f"{assignment}: {', '.join(names) or 'none'}")
    return "; ".join(parts) or "no assignment"


# ------------------------------------------------------------------------------ resubmissions
def changed_answers(previous: Path, autograded: dict | None) -> list[str]:
    """Written answers whose text differs between the earlier autograded notebook and this one.

    Both copies are written by the grader the same way (markdown made inert), so equal answers
    compare equal; without an earlier copy nothing counts as changed.
    """
    if autograded is None or not previous.is_file():
        return []
    try:
        before = {grade_id(c): c.source for c in read(previous).cells if is_written(c)}
    except (OSError, ValueError):
        return []
    now = {grade_id(c): c.get("source", "") for c in autograded.get("cells", [])
           if is_written(c)}
    return sorted(name for name, text in now.items() if name in before and before[name] != text)


# ------------------------------------------------------------------------------ feedback pages
def page_data_path(ws: Workspace, student: str, assignment: str, notebook: str) -> Path:
    return ws.state / "pages" / student / assignment / f"{notebook}.json"


def save_page_data(ws: Workspace, student: str, assignment: str, notebook: str,
                   parts: list[feedback.Part], cells: list[feedback.Cell]) -> None:
    """Keep what a feedback page is drawn from, so a hand grade can redraw it later."""
    path = page_data_path(ws, student, assignment, notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"parts": [asdict(p) for p in parts],
                                "cells": [asdict(c) for c in cells]}))


def mark_hand_grades(parts: list[feedback.Part],
                     hand: dict[str, tuple[float, str | None]]) -> None:
    """Written-answer parts as the gradebook has them: a hand score (and comment), or pending."""
    for part in parts:
        if part.status not in ("pending", "manual"):
            continue
        if part.name in hand:
            score, comment = hand[part.name]
            part.score, part.status = score, "manual"
            part.messages = [comment] if comment else []
        else:
            part.score, part.status, part.messages = None, "pending", []


def rerender_page(ws: Workspace, row: Row, sub) -> bool:
    """Redraw a notebook's feedback page with today's totals and hand grades (False: no data)."""
    path = page_data_path(ws, row.student, row.assignment, row.notebook)
    try:
        data = json.loads(path.read_text())
        parts = [feedback.Part(**p) for p in data["parts"]]
        cells = [feedback.Cell(**c) for c in data["cells"]]
    except (OSError, ValueError, TypeError, KeyError):
        return False
    mark_hand_grades(parts, gradebook_hand.hand_grades_of(sub))
    page = feedback.page(student=row.student, assignment=row.assignment, notebook=row.notebook,
                         score=row.score, max_score=row.max_score, status=row.status,
                         summary=row.message, parts=parts, cells=cells,
                         pending=row.pending_manual)
    target = ws.feedback / row.student / row.assignment / f"{row.notebook}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page)
    return True
