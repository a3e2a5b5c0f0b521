"""Which notebooks the suite covers, and a student copy completed with the instructor's answers.

Discovery reads the folders, so a new topic is covered as soon as its files land:
``course/<id>.ipynb`` (lectures), ``solutions/<id>/`` (assignments; each must have its release in
``assignments/<id>/``).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def lecture_ids(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "course").glob("*.ipynb") if not p.name.startswith("."))


def assignment_ids(root: Path) -> list[str]:
    """Every assignment the instructor wrote (a folder of ``solutions/`` holding a notebook)."""
    source = root / "solutions"
    if not source.is_dir():
        return []
    return sorted(
        p.name for p in source.iterdir()
        if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb"))
    )


def assignment_notebooks(root: Path, assignment: str) -> list[str]:
    """Names of the instructor's notebooks of one assignment (the release has the same names)."""
    folder = root / "solutions" / assignment
    return sorted(p.name for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer(cell) -> bool:
    """A cell the student writes: code answers and written (markdown) answers."""
    return bool(nbgrader_meta(cell).get("solution"))


def is_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_written_answer(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "markdown" and bool(meta.get("grade")) and bool(meta.get("solution"))


def without_markers(source: str) -> str:
    """The model answer as a student would type it: the solution markers removed."""
    return "\n".join(line for line in source.splitlines() if not SOLUTION_MARKER.match(line))


def fill_answers(release: nbformat.NotebookNode, solution: nbformat.NotebookNode
                 ) -> nbformat.NotebookNode:
    """The student notebook with every answer cell replaced by the instructor's answer.

    Only answer cells change (matched by ``grade_id``); locked and test cells stay byte for byte as
    released, as they would in a student's honest submission.
    """
    answers = {nbgrader_meta(c)["grade_id"]: without_markers(c.source)
               for c in solution.cells if is_answer(c)}
    filled = copy.deepcopy(release)
    missing = []
    for cell in filled.cells:
        if not is_answer(cell):
            continue
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id not in answers:
            missing.append(grade_id)
            continue
        cell.source = answers[grade_id]
    if missing:
        raise AssertionError(
            f"answer cells {missing} of the release have no counterpart in the solutions notebook: "
            "the release is stale (run `autodiff-course release`)"
        )
    return filled


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def kernelspec_problem(nb: nbformat.NotebookNode) -> str | None:
    """Why the notebook would not open on the course's kernel by itself, or None.

    JupyterLab falls back to asking (a "Select Kernel" dialog) or to whatever kernel is the
    default when the metadata names none; the course promises the python3 kernelspec.
    """
    spec = nb.metadata.get("kernelspec")
    if not spec:
        return "its metadata has no kernelspec (add the python3 kernelspec)"
    if spec.get("name") != "python3":
        return f"its kernelspec is {spec.get('name')!r}, not 'python3'"
    return None
