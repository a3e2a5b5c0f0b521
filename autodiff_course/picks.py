"""The instructor's choice of which notebook to grade when a student handed in several.

A student's folder may hold ``01-x-Copy1.ipynb`` or ``draft.ipynb`` beside ``01-x.ipynb``; the
expected name is graded and the row says what else was there. ``autodiff-course pick`` records
another choice for one student's notebook, in the workspace's state folder (``picks.json``), so
every later ``collect`` and ``autograde`` honours it until it is changed; picking the expected
name again removes the choice.
"""

from __future__ import annotations

import json
from pathlib import Path

from .layout import CourseError, Workspace, source_notebooks
from .submission import entries


class Picks:
    """``picks.json``: {"student/assignment/notebook": "file.ipynb"}."""

    def __init__(self, ws: Workspace):
        self.path = ws.state / "picks.json"
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            data = {}
        self.chosen = {k: v for k, v in data.items() if isinstance(k, str)
                       and isinstance(v, str)} if isinstance(data, dict) else {}

    @staticmethod
    def _key(student: str, assignment: str, notebook: str) -> str:
        return f"{student}/{assignment}/{notebook}"

    def get(self, student: str, assignment: str, notebook: str) -> str | None:
        return self.chosen.get(self._key(student, assignment, notebook))

    def of(self, student: str, assignment: str) -> dict[str, str]:
        """{notebook: picked file} for one student's assignment."""
        head = f"{student}/{assignment}/"
        return {k[len(head):]: v for k, v in self.chosen.items() if k.startswith(head)}

    def set(self, student: str, assignment: str, notebook: str, filename: str | None) -> None:
        key = self._key(student, assignment, notebook)
        if filename is None:
            self.chosen.pop(key, None)
        else:
            self.chosen[key] = filename
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.chosen, indent=1, sort_keys=True))
        tmp.replace(self.path)


def pick(root: Path, ws: Workspace, student: str, assignment: str, filename: str,
         notebook: str | None = None) -> str:
    """Record ``filename`` as the file graded for the student's notebook; returns what was done.

    The file must be one of the notebooks in ``WS/submitted/<student>/<assignment>/`` (collect
    first); anything else is a :class:`CourseError` listing the candidates.
    """
    if "/" in student or student in ("", ".", "..") or "/" in assignment:
        raise CourseError(f"{student!r}/{assignment!r} is not a student folder name and an "
                          "assignment id")
    names = [p.stem for p in source_notebooks(root, assignment)]
    if not names:
        raise CourseError(f"unknown assignment {assignment}: solutions/ has no such folder")
    if notebook is None:
        if len(names) > 1:
            raise CourseError(f"{assignment} has several notebooks ({', '.join(names)}): "
                              "say which with --notebook")
        notebook = names[0]
    elif notebook not in names:
        raise CourseError(f"{assignment} has no notebook {notebook}: use one of "
                          f"{', '.join(names)}")
    folder = ws.submitted / student / assignment
    if not folder.is_dir() or folder.is_symlink():
        raise CourseError(f"no submission of {student} for {assignment} in {ws.submitted} "
                          "(run `autodiff-course collect` first)")
    candidates = [e.name for e in entries(folder) if e.name.endswith(".ipynb")
                  and not e.name.startswith(".") and e.is_file(follow_symlinks=False)]
    expected = f"{notebook}.ipynb"
    if filename not in candidates:
        raise CourseError(f"{student}/{assignment} has no notebook {filename!r}: pick one of "
                          f"{', '.join(candidates) or '(none)'}")
    picks = Picks(ws)
    if filename == expected:
        picks.set(student, assignment, notebook, None)
        return (f"{student}/{assignment}: autograde grades {expected} (the expected name); "
                "no pick recorded")
    picks.set(student, assignment, notebook, filename)
    return (f"{student}/{assignment}: autograde grades {filename} instead of {expected} from "
            "now on (`autodiff-course pick` with the expected name undoes it)")
