"""``autodiff-course export``: grades.csv as the gradebook file an LMS imports.

One row per student, one column per assignment (the sum of its notebooks' ``score``, which
already counts manual grades and the late penalty):

- ``canvas``: Canvas's gradebook layout, ``Student, ID, SIS User ID, SIS Login ID, Section``,
  then the assignments, and a ``Points Possible`` row under the header. Canvas matches a row by
  ID, SIS User ID or SIS Login ID, and a column by the assignment's name;
- ``moodle``: ``ID number, Email address``, then the assignments; Moodle's CSV grade import asks
  which of the two identifies the user and which grade item each column fills;
- ``csv``: ``student``, the assignments, ``total``: for a spreadsheet.

Decisions, each for a reason:

- an assignment with written answers still waiting for a person (``pending_manual``) is left
  empty for that student, with a warning: an LMS import skips an empty cell, so no partial grade
  is published as if it were final, and everything else still goes out;
- a roster student with no row in grades.csv (never handed anything to the grader) gets empty
  cells, not 0, with a warning: whether no submission is a zero is the course's policy, set in
  the LMS. A submission the grader found missing is in grades.csv with 0 and is exported as 0;
- with a roster, a student of grades.csv not in it cannot be matched in the LMS: left out with a
  warning naming them. Without a roster, the folder name stands for the login (Canvas's SIS Login
  ID, Moodle's ID number), with a warning;
- every text cell goes through :func:`autodiff_course.clean.csv_field`: a name that starts like
  a formula is not run by the spreadsheet the file is opened in.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import clean
from .layout import CourseError, Workspace
from .report import read_csv

FORMATS = ("canvas", "moodle", "csv")
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_IDENTITY = ["ID number", "Email address"]
ROSTER_COLUMNS = {  # roster header, with case, spaces, "_" and "-" ignored -> field
    "student": "student", "folder": "student", "name": "name", "id": "canvas_id",
    "canvasid": "canvas_id", "sisuserid": "sis_user_id", "sisloginid": "sis_login_id",
    "section": "section", "email": "email", "emailaddress": "email", "idnumber": "idnumber",
}


@dataclass
class Person:
    """A student as the LMS knows them (a roster row, or just the folder name)."""

    student: str
    name: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""
    idnumber: str = ""


@dataclass
class Gradebook:
    """Per student and assignment: the total, or ``None`` while manual points are pending."""

    assignments: list[str]
    points_possible: dict[str, float]
    totals: dict[str, dict[str, float | None]]
    warnings: list[str] = field(default_factory=list)

    def pending(self, people: list[Person]) -> list[str]:
        """``student (assignment)`` for each exported cell left empty for manual points."""
        return [f"{clean.line(p.student, 60)} ({a})" for p in people for a in self.assignments
                if a in self.totals.get(_key(p.student), {})
                and self.totals[_key(p.student)][a] is None]


def _key(name: str) -> str:
    """A student's name as grades.csv holds it (cleaned, a formula start neutralised)."""
    return clean.csv_field(name, 100)


def _number(value: float) -> str:
    return f"{round(value, 4):g}"


def gradebook(ws: Workspace) -> Gradebook:
    """Assignment totals per student from the workspace's grades.csv."""
    if not ws.grades_csv.is_file():
        raise CourseError(f"{ws.grades_csv} does not exist: grade first (autodiff-course "
                          "autograde SUBMISSIONS --workspace WORKSPACE)")
    rows = read_csv(ws.grades_csv)
    if not rows:
        raise CourseError(f"{ws.grades_csv} has no grades: grade first")
    notebook_max: dict[str, dict[str, float]] = defaultdict(dict)
    totals: dict[str, dict[str, float | None]] = defaultdict(dict)
    for r in rows:
        best = notebook_max[r.assignment].get(r.notebook, 0.0)
        notebook_max[r.assignment][r.notebook] = max(best, r.max_score)
        cells = totals[_key(r.student)]
        if r.pending_manual > 0:
            cells[r.assignment] = None
        elif cells.get(r.assignment, 0.0) is not None:
            cells[r.assignment] = cells.get(r.assignment, 0.0) + r.score
    assignments = sorted(notebook_max)
    return Gradebook(assignments, {a: sum(notebook_max[a].values()) for a in assignments},
                     dict(totals))


def read_roster(path: Path) -> list[Person]:
    """The roster CSV: a ``student`` column (the submission folder's name) and the LMS's ids."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = {column: ROSTER_COLUMNS.get(re.sub(r"[\s_-]", "", column.lower()))
                      for column in (reader.fieldnames or [])}
            if "student" not in header.values():
                raise CourseError(f"the roster {path} has no 'student' column (the submission "
                                  "folder's name); its columns: "
                                  f"{clean.line(', '.join(header), 200) or 'none'}")
            people, seen = [], set()
            for number, row in enumerate(reader, 2):
                values = {header[c]: (v or "").strip() for c, v in row.items()
                          if c is not None and header.get(c)}
                if not values.get("student"):
                    raise CourseError(f"the roster {path}, line {number}: no student folder name")
                if values["student"] in seen:
                    raise CourseError(f"the roster {path} lists "
                                      f"{clean.line(values['student'], 60)!r} twice")
                seen.add(values["student"])
                people.append(Person(**values))
    except (OSError, UnicodeDecodeError) as err:
        raise CourseError(f"cannot read the roster {path}: {err}") from None
    except csv.Error as err:
        raise CourseError(f"the roster {path} is not a CSV file: {err}") from None
    return people


def people_for(book: Gradebook, roster: list[Person] | None) -> list[Person]:
    """Who gets a row: the roster in its order, or every student of grades.csv by name."""
    if roster is None:
        book.warnings.append("no --roster: the folder name is used as the LMS login "
                             "(Canvas SIS Login ID, Moodle ID number)")
        return [Person(s, name=s, sis_login_id=s, idnumber=s) for s in sorted(book.totals)]
    listed = {_key(p.student) for p in roster}
    unlisted = sorted(s for s in book.totals if s not in listed)
    if unlisted:
        book.warnings.append("not in the roster, left out: "
                             + ", ".join(clean.line(s, 60) for s in unlisted))
    absent = [p.student for p in roster if _key(p.student) not in book.totals]
    if absent:
        book.warnings.append("in the roster, never graded, left empty: "
                             + ", ".join(clean.line(s, 60) for s in absent))
    return roster


def table(fmt: str, book: Gradebook, people: list[Person]) -> list[list[str]]:
    """The rows of the export file for ``fmt`` (one of :data:`FORMATS`), header first, text
    cells not yet made CSV-safe."""

    def scores(person: Person) -> list[str]:
        cells = book.totals.get(_key(person.student), {})
        return ["" if cells.get(a) is None else _number(cells[a]) for a in book.assignments]

    if fmt == "canvas":
        rows = [CANVAS_IDENTITY + book.assignments,
                ["Points Possible", "", "", "", ""]
                + [_number(book.points_possible[a]) for a in book.assignments]]
        for p in people:
            rows.append([p.name or p.student, p.canvas_id, p.sis_user_id, p.sis_login_id,
                         p.section, *scores(p)])
        return rows
    if fmt == "moodle":
        return [MOODLE_IDENTITY + book.assignments,
                *([p.idnumber, p.email, *scores(p)] for p in people)]
    rows = [["student", *book.assignments, "total"]]
    for p in people:
        cells = scores(p)
        total = ("" if any(c == "" for c in cells) else
                 _number(sum(float(c) for c in cells)))
        rows.append([p.student, *cells, total])
    return rows


_NUMBER = re.compile(r"-?\d+(\.\d+)?(e[-+]?\d+)?")


def write(path: Path, rows: list[list[str]]) -> None:
    """The rows as CSV; every cell but our own numbers made safe (a score of -1 stays -1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow([cell if _NUMBER.fullmatch(cell) else clean.csv_field(cell)
                             for cell in row])
    tmp.replace(path)


@dataclass
class Exported:
    path: Path
    students: int
    assignments: int
    warnings: list[str]


def export(ws: Workspace, fmt: str, output: Path | None = None,
           roster: Path | None = None) -> Exported:
    """Write the export file (default ``WORKSPACE/exports/FORMAT.csv``) and say what went in."""
    if fmt not in FORMATS:
        raise CourseError(f"unknown format {clean.line(fmt, 40)!r}: use one of "
                          f"{', '.join(FORMATS)}")
    people_list = read_roster(roster) if roster else None
    book = gradebook(ws)
    people = people_for(book, people_list)
    pending = book.pending(people)
    if pending:
        book.warnings.append("left empty, manual points still to grade (formgrader): "
                             + ", ".join(pending))
    path = Path(output) if output else ws.path / "exports" / f"{fmt}.csv"
    write(path, table(fmt, book, people))
    return Exported(path, len(people), len(book.assignments), book.warnings)
