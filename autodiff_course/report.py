"""Grade rows: grades.csv, the printed table, and the page for work that never ran.

A row's status is a :class:`~autodiff_course.records.Status`; grades.csv holds its value (the same
words as always), read back with :meth:`Status.parse`.

Every text field is cleaned on the way out (:mod:`autodiff_course.clean`): no terminal escapes or
control characters reach the table or the CSV, and no CSV field starts like a formula.
"""

from __future__ import annotations

import csv
import html
from collections import Counter
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from . import clean
from .records import Status

TEXT_COLUMNS = ("student", "assignment", "notebook", "status", "message", "collected")


@dataclass
class Row:
    """One notebook of one student's assignment, as it lands in grades.csv.

    ``score`` counts automatic points plus any manual grades already entered, minus
    ``late_penalty`` (points taken off for lateness under the course's late policy);
    ``pending_manual`` is the points of written answers still waiting for a person (formgrader);
    ``collected`` is when the grader first saw this content (ISO 8601, UTC; empty when nothing
    was read).
    """

    student: str
    assignment: str
    notebook: str
    score: float
    max_score: float
    status: Status
    message: str
    pending_manual: float = 0.0
    seconds: float = 0.0
    late_penalty: float = 0.0
    collected: str = ""

    def key(self) -> tuple[str, str, str]:
        return (self.student, self.assignment, self.notebook)


COLUMNS = [f.name for f in fields(Row)]


def _number(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return 0.0


def read_csv(path: Path) -> list[Row]:
    if not Path(path).is_file():
        return []
    with open(path, newline="") as handle:
        rows = []
        for r in csv.DictReader(handle):
            rows.append(Row(
                student=r.get("student", ""), assignment=r.get("assignment", ""),
                notebook=r.get("notebook", ""), score=_number(r.get("score")),
                max_score=_number(r.get("max_score")), status=Status.parse(r.get("status", "")),
                message=r.get("message", ""), pending_manual=_number(r.get("pending_manual")),
                seconds=_number(r.get("seconds")), late_penalty=_number(r.get("late_penalty")),
                collected=r.get("collected", ""),
            ))
        return rows


def write_csv(path: Path, rows: list[Row], *, merge: bool = True) -> list[Row]:
    """Write grades.csv; rows already there for other (student, assignment) pairs are kept."""
    path = Path(path)
    new_keys = {(r.student, r.assignment) for r in rows}
    kept = [r for r in read_csv(path) if (r.student, r.assignment) not in new_keys] if merge else []
    everything = sorted(kept + rows, key=lambda r: (r.assignment, r.student, r.notebook))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in everything:
            record = asdict(row)
            record["status"] = str(row.status)
            for column in TEXT_COLUMNS:
                record[column] = clean.csv_field(record[column])
            record["score"] = f"{row.score:g}"
            record["max_score"] = f"{row.max_score:g}"
            record["pending_manual"] = f"{row.pending_manual:g}"
            record["seconds"] = f"{row.seconds:.2f}"
            record["late_penalty"] = f"{row.late_penalty:g}"
            writer.writerow(record)
    tmp.replace(path)
    return everything


def _clip(text: str, width: int) -> str:
    return clean.line(text, width)


def table(rows: list[Row], *, message_width: int = 70) -> str:
    """The summary table ``autograde`` and ``grades`` print.

    The score column counts every point given so far (hand grades included); points of written
    answers still waiting for a person are said in words: ``11/13, 2 pending``.
    """
    header = ["student", "assignment", "score", "status", "message"]
    body = []
    for r in sorted(rows, key=lambda r: (r.assignment, r.student, r.notebook)):
        score = f"{r.score:g}/{r.max_score:g}"
        if r.pending_manual:
            score += f", {r.pending_manual:g} pending"
        body.append([_clip(r.student, 40), _clip(r.assignment, 40), score, _clip(str(r.status), 12),
                     _clip(r.message, message_width)])
    widths = [max(len(str(x)) for x in column) for column in zip(header, *body, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for line in body:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip())
    return "\n".join(lines)


def status_counts(rows: list[Row]) -> str:
    counts = Counter(r.status for r in rows)
    return ", ".join(f"{counts[s]} {s}" for s in Status if counts[s])


def note_page(row: Row) -> str:
    """Feedback for a notebook that was not executed (missing, unreadable)."""
    from .feedback import CSP

    title = clean.line(f"{row.assignment}: {row.notebook} ({row.student})", 300)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        f"<title>{html.escape(title)}</title></head>\n<body style='font-family: sans-serif; "
        "max-width: 50em; margin: 2em auto'>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        f"<p><strong>Score: {row.score:g} / {row.max_score:g}</strong> "
        f"(status: {html.escape(str(row.status))})</p>\n"
        f"<p>{html.escape(clean.line(row.message, 5000))}</p>\n"
        "<p>Check your notebook with <code>autodiff-course validate &lt;notebook&gt;</code> "
        "before submitting again.</p>\n</body></html>\n"
    )


def summary(outcome) -> str:
    """What ``autodiff-course autograde`` prints after a batch (``outcome``: a batch.Outcome)."""
    rows = outcome.rows
    lines = [table(rows), "", f"{len(rows)} rows: {status_counts(rows)}",
             f"this run: {outcome.executed} notebooks graded, {outcome.up_to_date} up to date "
             "(not graded again)"]
    penalised = [r.late_penalty for r in rows if r.late_penalty]
    if penalised:
        lines.append(f"late penalties (course.toml): {len(penalised)} notebooks, "
                     f"{sum(penalised):g} points off in all")
    if outcome.extra_notebooks:
        lines.append(f"{outcome.extra_notebooks} submissions hold notebooks beside the graded "
                     "one (see their rows; `autodiff-course pick` grades another)")
    where = f"on {outcome.scheduler}" if outcome.scheduler else f"with --jobs {outcome.jobs}"
    if outcome.executed:
        lines.append(
            f"graded {outcome.executed} notebooks {where}: "
            f"{outcome.seconds_grading / outcome.executed:.2f} s per notebook "
            f"({outcome.seconds_grading:.1f} s of grading after {outcome.seconds_setup:.1f} s "
            "of set-up)")
    ws = outcome.workspace
    lines.append(f"grades: {ws.grades_csv}")
    lines.append(f"feedback: {ws.feedback}/<student>/<assignment>/")
    lines.append(f"gradebook: {ws.shown_db_url}")
    return "\n".join(lines)
