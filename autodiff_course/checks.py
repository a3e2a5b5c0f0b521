"""The grader's per-part verdicts, kept as data for the class report.

A feedback page shows each graded part's verdict (passed, failed with the grader's message,
waiting for a hand grade), but only as HTML. To count which checks a class fails most, the batch
also writes them here, one small JSON file per notebook:
``<workspace state>/checks/<student>/<assignment>/<notebook>.json``.

What is kept is exactly what the feedback page shows the student: the part's name, points,
score, status and the grader's message (a hidden check's message is already reduced to its
description and kind). Nothing of a hidden test's source, inputs or expected values is ever here.

A failing check is named by :func:`label`: the message with what differs from student to student
(the values received, the text of the student's own exception) taken out, so that the same
failing expectation groups together across the class.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import clean
from .feedback import Part
from .layout import Workspace

UNANSWERED_NOTE = " (an answer this part needs is not written yet)"
_RAISED = re.compile(r"^((?:a hidden test failed: )?your code raised [A-Za-z_][\w.]*)")


def folder(ws: Workspace) -> Path:
    return ws.state / "checks"


def label(message: str) -> str:
    """The check a failure message is about, the same for every student who failed it.

    ``what: expected X, received Y (detail)`` becomes ``what: wrong value``;
    ``[a hidden test failed: ]your code raised ValueError<: the student's text, or where>``
    becomes ``[a hidden test failed: ]your code raised ValueError``; hidden checks' other
    messages (``a hidden test failed: what: not the expected value``) and the grader's fixed
    sentences are kept as they are.
    """
    first = clean.line(message.split("\n", 1)[0], 400)
    if first.endswith(UNANSWERED_NOTE):
        first = first[: -len(UNANSWERED_NOTE)]
    if not first.startswith("a hidden test failed: "):
        what, sep, _ = first.partition(": expected ")
        if sep:
            return f"{what}: wrong value"
    raised = _RAISED.match(first)
    if raised:
        return raised.group(1)
    return first


def save(ws: Workspace, student: str, assignment: str, notebook: str, status: str,
         parts: list[Part]) -> None:
    """Record one notebook's verdicts (replacing what an earlier run recorded)."""
    record = {
        "student": student, "assignment": assignment, "notebook": notebook, "status": status,
        "parts": [{"name": p.name, "points": p.points, "score": p.score, "status": p.status,
                   "message": clean.text(p.messages[0], 2000) if p.messages else ""}
                  for p in parts],
    }
    target = folder(ws) / student / assignment / f"{notebook}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(target)


def forget(ws: Workspace, student: str, assignment: str) -> None:
    """Remove what was recorded for work that no longer ran (missing, unreadable now)."""
    shutil.rmtree(folder(ws) / student / assignment, ignore_errors=True)


@dataclass(frozen=True)
class Failure:
    """One failing check of one student's notebook."""

    student: str  # the folder name, as recorded
    assignment: str
    notebook: str
    part: str
    check: str  # :func:`label` of the message


def failures(ws: Workspace) -> Iterator[Failure]:
    """Every failing check on record; unreadable records are skipped (the report says how many
    notebooks have a record at all)."""
    for path in sorted(folder(ws).glob("*/*/*.json")):
        try:
            record = json.loads(path.read_text())
            for part in record["parts"]:
                if part["status"] == "failed":
                    yield Failure(str(record["student"]), str(record["assignment"]),
                                  str(record["notebook"]), str(part["name"]),
                                  label(str(part.get("message") or "failed")))
        except (OSError, ValueError, KeyError, TypeError):
            continue


def recorded(ws: Workspace) -> set[tuple[str, str, str]]:
    """(student, assignment, notebook) of every record there is."""
    return {(p.parent.parent.name, p.parent.name, p.stem)
            for p in folder(ws).glob("*/*/*.json")}
