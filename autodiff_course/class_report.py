"""``autodiff-course report``: the class's results per assignment, for the instructor.

Three sources, each read as the tool that writes it leaves it:

- grades.csv (:func:`autodiff_course.report.read_csv`): each student's total per notebook, what
  waits for a hand grade, the late penalty, and the notebooks that did not run;
- the gradebook (:func:`autodiff_course.gradebook.opened`): each graded cell's score, automatic
  or entered by hand;
- the verdicts the batch records per notebook (:mod:`autodiff_course.checks`): which checks
  failed.

Who counts. An assignment's score distribution and its per-question figures are over the
students whose every notebook of that assignment has the status ``graded``: a missing,
unreadable, crashed or timed-out notebook is listed apart (by status) rather than counted as a
zero that would say more about the grader than the question. Failing checks are counted over
every notebook that ran (timed-out and crashed ones included: their checks did fail).

Discrimination is the corrected item-total correlation: for a question, Pearson's r between
the students' scores on it and their scores on the rest of the assignment (the other questions
whose scores are final for every counted student; answers waiting for a hand grade have no score
yet). A question that the stronger students get right and the weaker ones get wrong has r near
1; r near 0 or below means the question does not tell them apart (or measures something else).
When r is undefined (fewer than three students, everyone scoring the same on the question or on
the rest, no other question) it is reported as "n/a" with the reason, never as NaN.

The computation (:func:`build`) and the page (:mod:`autodiff_course.report_page`) are separate:
the numbers can be tested without parsing HTML, and questions.csv holds the same ones.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import checks, clean, gradebook
from .layout import CourseError, Workspace
from .records import Status
from .report import Row, read_csv

MIN_STUDENTS = 3  # below this a correlation says nothing
TOP_CHECKS = 20  # failing checks listed per assignment
QUESTION_COLUMNS = ["assignment", "notebook", "question", "max_points", "students", "mean",
                    "full_marks_share", "discrimination", "discrimination_note", "pending"]


@dataclass
class Distribution:
    """Assignment totals (points, after late penalties) of the counted students."""

    scores: list[float]
    max_points: float

    @property
    def count(self) -> int:
        return len(self.scores)

    def stat(self, name: str) -> float | None:
        if not self.scores:
            return None
        values = np.asarray(self.scores, dtype=np.float64)
        return float({"mean": np.mean, "median": np.median, "min": np.min,
                      "max": np.max}[name](values))


@dataclass
class Question:
    """One graded cell of an assignment, over the counted students."""

    assignment: str
    notebook: str
    name: str
    max_points: float
    scores: list[float]  # final scores only (hand grades entered, automatic ones)
    pending: int  # counted students whose answer still waits for a hand grade
    discrimination: float | None = None
    why_not: str = ""  # why discrimination is n/a

    @property
    def mean(self) -> float | None:
        return float(np.mean(np.asarray(self.scores, dtype=np.float64))) if self.scores else None

    @property
    def full_marks_share(self) -> float | None:
        if not self.scores:
            return None
        return sum(s >= self.max_points for s in self.scores) / len(self.scores)


@dataclass
class FailingCheck:
    notebook: str
    part: str
    check: str
    students: list[str]  # as shown (cleaned names), sorted


@dataclass
class Assignment:
    """Everything the report shows about one assignment."""

    id: str
    distribution: Distribution
    questions: list[Question]
    failing: list[FailingCheck]
    pending: list[Row]
    late: list[Row]
    unrun: list[Row]
    ran: int = 0  # notebooks that ran (their checks are counted)
    without_record: int = 0  # notebooks that ran but have no recorded verdicts
    notes: list[str] = field(default_factory=list)


def as_in_csv(name: str) -> str:
    """A student's folder name as grades.csv holds it (cleaned, never read as a formula), so
    gradebook ids and check records match the rows."""
    return clean.csv_field(clean.line(name, 100))


def discrimination(item: list[float], rest: list[float]) -> tuple[float | None, str]:
    """Pearson's r between a question's scores and the rest of the assignment's (one value per
    student, same order), or None and why it is undefined."""
    if len(item) < MIN_STUDENTS:
        return None, f"fewer than {MIN_STUDENTS} students with a final score"
    x = np.asarray(item, dtype=np.float64)
    y = np.asarray(rest, dtype=np.float64)
    if np.ptp(x) == 0:
        return None, "every student scored the same on this question"
    if np.ptp(y) == 0:
        return None, "every student scored the same on the rest of the assignment"
    x, y = x - x.mean(), y - y.mean()
    return float(np.dot(x, y) / np.sqrt(np.dot(x, x) * np.dot(y, y))), ""


def _with_discrimination(questions: list[Question], per_student: dict[str, dict[tuple, float]],
                         students: list[str]) -> None:
    """Fill each question's discrimination over the students with a final score on it."""
    final_for_all = [q for q in questions
                     if all((q.notebook, q.name) in per_student.get(s, {}) for s in students)]
    for q in questions:
        key = (q.notebook, q.name)
        rest_keys = [(r.notebook, r.name) for r in final_for_all if (r.notebook, r.name) != key]
        if not rest_keys:
            q.discrimination, q.why_not = None, "no other question has final scores to compare"
            continue
        who = [s for s in students if key in per_student.get(s, {})]
        item = [per_student[s][key] for s in who]
        rest = [sum(per_student[s][k] for k in rest_keys) for s in who]
        q.discrimination, q.why_not = discrimination(item, rest)


def _gradebook_scores(ws: Workspace, assignments: list[str]):
    """{assignment: ([(notebook, cell, max points)], {student: {(notebook, cell): score}},
    {student: {(notebook, cell)}} pending)}; an assignment the gradebook lacks is left out."""
    from nbgrader.api import MissingEntry

    found = {}
    with gradebook.opened(ws) as gb:
        for assignment in assignments:
            try:
                stored = gb.find_assignment(assignment)
            except MissingEntry:
                continue
            cells = sorted((nb.name, c.name, float(c.max_score))
                           for nb in stored.notebooks for c in nb.grade_cells)
            scores: dict[str, dict[tuple, float]] = defaultdict(dict)
            pending: dict[str, set[tuple]] = defaultdict(set)
            for sub in stored.submissions:
                student = as_in_csv(sub.student.id)
                for snb in sub.notebooks:
                    for grade in snb.grades:
                        key = (snb.name, grade.name)
                        if grade.needs_manual_grade:
                            pending[student].add(key)
                        else:
                            scores[student][key] = float(grade.score or 0.0)
            found[assignment] = (cells, scores, pending)
    return found


def _failing(ws: Workspace, ran: dict[str, set[tuple[str, str]]]) -> dict[str, list]:
    """Failing checks per assignment over the notebooks that ran, most students first."""
    groups: dict[str, dict[tuple, set[str]]] = defaultdict(lambda: defaultdict(set))
    for f in checks.failures(ws):
        student = as_in_csv(f.student)
        if (student, f.notebook) in ran.get(f.assignment, set()):
            groups[f.assignment][(f.notebook, f.part, f.check)].add(student)
    return {a: sorted((FailingCheck(nb, part, check, sorted(who))
                       for (nb, part, check), who in by_check.items()),
                      key=lambda c: (-len(c.students), c.notebook, c.part, c.check))
            for a, by_check in groups.items()}


def _check_gradebook_exists(ws: Workspace) -> None:
    prefix = "sqlite:///"
    if ws.db_url.startswith(prefix) and not Path(ws.db_url[len(prefix):]).is_file():
        raise CourseError(f"no gradebook at {ws.db_url[len(prefix):]}: run `autodiff-course "
                          "autograde` into this workspace first (or pass its --db-url)")


def build(ws: Workspace) -> list[Assignment]:
    """The report's numbers, one :class:`Assignment` per assignment in grades.csv."""
    if not ws.grades_csv.is_file():
        raise CourseError(f"no grades.csv in {ws.path}: run `autodiff-course autograde "
                          "SUBMISSIONS --workspace WORKSPACE` first")
    rows = read_csv(ws.grades_csv)
    if not rows:
        raise CourseError(f"{ws.grades_csv} has no rows: run `autodiff-course autograde` first")
    _check_gradebook_exists(ws)
    by_assignment: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_assignment[row.assignment].append(row)
    ids = sorted(by_assignment)
    stored = _gradebook_scores(ws, ids)
    ran = {a: {(r.student, r.notebook) for r in rs if r.status.ran}
           for a, rs in by_assignment.items()}
    failing = _failing(ws, ran)
    records = {(as_in_csv(s), a, nb) for s, a, nb in checks.recorded(ws)}
    return [_assignment(a, by_assignment[a], stored.get(a), failing.get(a, []), records)
            for a in ids]


def _assignment(assignment: str, rows: list[Row], stored, failing: list[FailingCheck],
                records: set[tuple[str, str, str]]) -> Assignment:
    per_student: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        per_student[row.student].append(row)
    counted = sorted(s for s, rs in per_student.items()
                     if all(r.status == Status.GRADED for r in rs))
    max_points = max((sum(r.max_score for r in rs) for rs in per_student.values()), default=0.0)
    totals = [sum(r.score for r in per_student[s]) for s in counted]
    result = Assignment(
        assignment, Distribution(totals, max_points), [], failing,
        pending=sorted((r for r in rows if r.pending_manual > 0), key=Row.key),
        late=sorted((r for r in rows if r.late_penalty > 0), key=Row.key),
        unrun=sorted((r for r in rows if r.status != Status.GRADED),
                     key=lambda r: (str(r.status), r.student, r.notebook)),
    )
    ran_rows = [r for r in rows if r.status.ran]
    result.ran = len(ran_rows)
    result.without_record = sum((r.student, assignment, r.notebook) not in records
                                for r in ran_rows)
    if stored is None:
        result.notes.append("the gradebook has no such assignment: no per-question figures")
        return result
    cells, scores, pending = stored
    missing = [s for s in counted if s not in scores and s not in pending]
    if missing:
        result.notes.append(f"{len(missing)} graded student(s) have no submission in the "
                            "gradebook (a different --db-url?); their questions are not counted")
    for notebook, name, points in cells:
        key = (notebook, name)
        result.questions.append(Question(
            assignment, notebook, name, points,
            scores=[scores[s][key] for s in counted if key in scores.get(s, {})],
            pending=sum(key in pending.get(s, set()) for s in counted)))
    _with_discrimination(result.questions, {s: scores.get(s, {}) for s in counted},
                         [s for s in counted if s not in missing])
    return result


def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def write_questions_csv(path: Path, assignments: list[Assignment]) -> None:
    """The per-question table, one row per graded cell (numbers unrounded past 3 places)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(QUESTION_COLUMNS)
        for a in assignments:
            for q in a.questions:
                writer.writerow([clean.csv_field(q.assignment), clean.csv_field(q.notebook),
                                 clean.csv_field(q.name), f"{q.max_points:g}", len(q.scores),
                                 _fmt(q.mean), _fmt(q.full_marks_share),
                                 _fmt(q.discrimination), clean.csv_field(q.why_not),
                                 q.pending])
    tmp.replace(path)


def write(ws: Workspace) -> tuple[Path, list[Assignment]]:
    """Build the report and write report/index.html and report/questions.csv."""
    from .report_page import page

    assignments = build(ws)
    folder = ws.path / "report"
    target = folder / "index.html"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_questions_csv(folder / "questions.csv", assignments)
        tmp = target.with_suffix(".html.tmp")
        tmp.write_text(page(assignments))
        tmp.replace(target)
    except OSError as err:
        raise CourseError(f"cannot write the report in {folder}: {err.strerror}") from None
    return target, assignments


def summary(path: Path, assignments: list[Assignment]) -> str:
    """What the command prints: where the report is and the figures worth a glance."""
    lines = [f"report: {path}", f"questions: {path.parent / 'questions.csv'}"]
    for a in assignments:
        d = a.distribution
        mean = d.stat("mean")
        parts = [f"{d.count} graded" + (f", mean {mean:.2f}/{d.max_points:g}"
                                          if mean is not None else "")]
        if a.pending:
            parts.append(f"{sum(r.pending_manual for r in a.pending):g} points in "
                         f"{len(a.pending)} notebook(s) await a hand grade")
        if a.late:
            parts.append(f"{len(a.late)} late")
        if a.unrun:
            parts.append(f"{len(a.unrun)} not graded to the end")
        if a.failing:
            top = a.failing[0]
            parts.append(f"most failed check: {top.part}: {top.check} "
                         f"({len(top.students)} student(s))")
        lines.append(clean.line(f"{a.id}: " + "; ".join(parts), 300))
    return "\n".join(lines)
