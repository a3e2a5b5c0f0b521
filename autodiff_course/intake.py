"""Reading a folder of submissions: a row for what cannot be graded, a task for what can.

Runs in the grader's main process and executes nothing. For each student folder and assignment,
:class:`Intake` finds the notebook (never through a symbolic link), reads it with
:mod:`autodiff_course.submission` (rebuilt clean, or refused with a reason), normalises it
against the release nbgrader would make of ``solutions/``, keeps the file as handed in under the
workspace's ``submitted/``, and takes its submission time from :class:`CollectionTimes`: when
``autodiff-course collect`` copied that content, or else when the grader first saw it; always the
grader's own clock, never a student's ``timestamp.txt``. The instructor's choice of file
(:mod:`autodiff_course.picks`) is honoured, and notebooks found beside the graded one are
counted (:attr:`Intake.extras`).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from . import clean
from .layout import Workspace, source_notebooks
from .notebooks import normalise_submission, points, read
from .picks import Picks
from .records import Status, Task
from .release import released_notebook
from .report import Row
from .submission import UnreadableNotebook, entries, find_notebook, parse, read_file

UNSAFE_NAME_CHARACTERS = set("*?[]")


def name_problem(name: str) -> str | None:
    if clean.text(name) != name or name != name.strip():
        return "has control characters or spaces at the ends"
    if UNSAFE_NAME_CHARACTERS & set(name):
        return "has one of * ? [ ]"
    return None


class CollectionTimes:
    """When the grader collected each submitted file's content (its own clock).

    Kept in the workspace's ``collected.json``, keyed ``student/assignment/<file name without
    .ipynb>``: ``autodiff-course collect`` records the moment it copied a file; ``autograde``
    looks the graded file up and, for content it has no record of (a folder graded without
    ``collect``), records the moment it first saw it. Unchanged content keeps its time; changed
    content gets a new one. A student's ``timestamp.txt`` and file times are never read.
    """

    def __init__(self, ws: Workspace):
        self.path = ws.state / "collected.json"
        try:
            self.seen = json.loads(self.path.read_text())
            if not isinstance(self.seen, dict):
                self.seen = {}
        except (OSError, ValueError):
            self.seen = {}

    @staticmethod
    def key(student: str, assignment: str, filename: str) -> str:
        stem = filename[:-len(".ipynb")] if filename.endswith(".ipynb") else filename
        return f"{student}/{assignment}/{stem}"

    def known(self, key: str, content: bytes) -> bool:
        """Whether ``content`` is what was recorded under ``key``."""
        entry = self.seen.get(key)
        return isinstance(entry, dict) and entry.get("sha256") == _sha256(content)

    def time_of(self, key: str, content: bytes, now: datetime | None = None) -> datetime:
        """The recorded time of ``content`` under ``key``; new content is recorded at ``now``."""
        digest = _sha256(content)
        entry = self.seen.get(key)
        if not isinstance(entry, dict) or entry.get("sha256") != digest:
            entry = {"sha256": digest, "first_seen": (now or datetime.now(UTC)).isoformat()}
            self.seen[key] = entry
        try:
            return datetime.fromisoformat(entry["first_seen"])
        except (TypeError, ValueError):
            return datetime.now(UTC)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.seen, indent=1, sort_keys=True))
        tmp.replace(self.path)


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class Intake:
    """A row for what cannot run; a :class:`~autodiff_course.records.Task` for what can."""

    def __init__(self, root: Path, ws: Workspace, assignments: list[str]):
        self.ws = ws
        self.sources = {a: {p.stem: read(p) for p in source_notebooks(root, a)}
                        for a in assignments}
        self.releases = {a: {n: released_notebook(nb) for n, nb in nbs.items()}
                         for a, nbs in self.sources.items()}
        self.max_scores = {a: {n: points(nb)[0] for n, nb in nbs.items()}
                           for a, nbs in self.sources.items()}
        self.collection = CollectionTimes(ws)
        self.picks = Picks(ws)
        self.times: dict[tuple[str, str], datetime] = {}
        # (student, assignment) -> notebooks found beside the graded ones
        self.extras: dict[tuple[str, str], list[str]] = {}

    def read(self, student: os.DirEntry, assignment: str) -> tuple[list[Row], Task | None]:
        name = student.name
        shown = clean.line(name, 100)
        rows: list[Row] = []
        task = Task(name, assignment, {})
        problem = name_problem(name)
        folder = Path(student.path) / assignment
        for notebook, max_score in self.max_scores[assignment].items():

            def row(status: Status, message: str, notebook=notebook, max_score=max_score) -> Row:
                return Row(shown, assignment, notebook, 0.0, max_score, status, message)

            if problem:
                rows.append(row(Status.UNREADABLE,
                                f"the student folder's name {problem}; rename it"))
                continue
            if student.is_symlink() or folder.is_symlink():
                rows.append(row(Status.UNREADABLE, "the submission folder is a symbolic link; "
                                "links are not followed"))
                continue
            if not folder.is_dir():
                rows.append(row(Status.MISSING, f"no {assignment}/ folder in the submission"))
                continue
            picked = self.picks.get(name, assignment, notebook)
            path, others, note = find_notebook(folder, notebook, picked)
            siblings = {f"{n}.ipynb" for n in self.max_scores[assignment] if n != notebook}
            others = [o for o in others if o not in siblings]  # another notebook's own file
            notes = [note] if note else []
            if others:
                self.extras.setdefault((name, assignment), []).extend(others)
                notes.append("also found, not graded: " + clean.line(", ".join(others[:5]), 200)
                             + " (`autodiff-course pick` grades another)")
            if path is None:
                listing = [e.name for e in entries(folder) if not e.name.startswith(".")]
                found = clean.line(", ".join(listing[:5]), 200) or "nothing"
                what = (clean.line(note, 300) if picked else
                        f"no {notebook}.ipynb in the submission")
                hint = "; `autodiff-course pick` chooses one" if others and not picked else ""
                rows.append(row(Status.MISSING, f"{what} (found: {found}){hint}"))
                continue
            try:
                raw = read_file(path)
                nb, read_notes = parse(raw, path.name)
            except UnreadableNotebook as err:
                rows.append(row(Status.UNREADABLE,
                                "; ".join([*notes, clean.line(str(err), 300)])))
                continue
            normalised = normalise_submission(nb, self.releases[assignment][notebook])
            when = self.collection.time_of(CollectionTimes.key(name, assignment, path.name), raw)
            earlier = self.times.get((name, assignment))
            self.times[(name, assignment)] = max(when, earlier) if earlier else when
            self._keep_original(name, assignment, path, raw)
            task.notebooks[notebook] = normalised.notebook
            task.notes[notebook] = [*notes, *read_notes, *normalised.notes]
        return rows, (task if task.notebooks else None)

    def _keep_original(self, student: str, assignment: str, path: Path, raw: bytes) -> None:
        """The file as handed in, under its own name, in the workspace's submitted/ (unless
        graded in place): a picked or renamed file never overwrites the expected one."""
        target = self.ws.submitted / student / assignment / path.name
        if Path(path).resolve() == target.resolve():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
