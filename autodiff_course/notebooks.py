"""Notebook surgery the pipeline needs, independent of nbgrader's machinery.

- cell roles from nbgrader metadata (setup/locked, answer, test, written answer, points): the
  one place that reads them; every other module asks these functions;
- points of an instructor notebook;
- a student notebook with answers filled in from the instructor's solutions (the demo's and the
  tests' "complete" and "partial" submissions, generated so they never drift from solutions/);
- :func:`normalise_submission`: a submitted notebook (already rebuilt clean by
  :mod:`autodiff_course.submission`) brought back to the instructor's structure before it is
  graded: unknown or duplicated grade ids dropped, metadata and cell types restored, the given
  (locked) cells and test cells restored word for word, deleted instructor cells put back in
  place. A student's edits can change their answers and nothing else.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_MARK_SCHEME, END_MARK_SCHEME = "BEGIN MARK SCHEME", "END MARK SCHEME"


def meta(cell: NotebookNode) -> dict:
    metadata = cell.get("metadata")
    found = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return found if isinstance(found, dict) else {}


def grade_id(cell: NotebookNode) -> str | None:
    return meta(cell).get("grade_id")


def is_graded(cell: NotebookNode) -> bool:
    """A cell that carries points: a test cell or a written answer."""
    return bool(meta(cell).get("grade"))


def cell_points(cell: NotebookNode) -> float:
    """The points of a graded cell (0 for any other cell)."""
    return float(meta(cell).get("points", 0) or 0) if is_graded(cell) else 0.0


def is_test(cell: NotebookNode) -> bool:
    m = meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def is_answer(cell: NotebookNode) -> bool:
    return bool(meta(cell).get("solution"))


def is_written(cell: NotebookNode) -> bool:
    m = meta(cell)
    return bool(m.get("grade")) and bool(m.get("solution"))


def is_restored(cell: NotebookNode) -> bool:
    """Cells nbgrader overwrites with the instructor version when grading (locked or test)."""
    m = meta(cell)
    return bool(m.get("locked")) or (bool(m.get("grade")) and not m.get("solution"))


def read(path: Path) -> NotebookNode:
    return nbformat.read(str(path), as_version=4)


def points(nb: NotebookNode) -> tuple[float, float]:
    """(total points, points that need manual grading: written answers)."""
    total = sum(cell_points(c) for c in nb.cells)
    manual = sum(cell_points(c) for c in nb.cells if is_written(c))
    return total, manual


def strip_regions(text: str, begin: str, end: str) -> str:
    keep, inside = [], False
    for line in text.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif not inside:
            keep.append(line)
    return "\n".join(keep)


def solution_text(source: str) -> str:
    """The instructor's answer as a student would type it: solution markers and mark scheme gone."""
    source = strip_regions(source, BEGIN_MARK_SCHEME, END_MARK_SCHEME)
    return "\n".join(
        line
        for line in source.split("\n")
        if BEGIN_SOLUTION not in line and END_SOLUTION not in line
    )


def fill_answers(
    release: NotebookNode, source: NotebookNode, keep: int | None = None
) -> NotebookNode:
    """The release notebook with the instructor's answers typed in (the first ``keep`` answers)."""
    answers = {grade_id(c): c for c in source.cells if is_answer(c)}
    nb = copy.deepcopy(release)
    filled = 0
    for cell in nb.cells:
        gid = grade_id(cell)
        if is_answer(cell) and gid in answers and (keep is None or filled < keep):
            cell.source = solution_text(answers[gid].source)
            filled += 1
    return nb


def parts(nb: NotebookNode) -> dict[str, str]:
    """Which part each graded cell belongs to: ``{graded cell id: part id}``.

    A part is an answer cell and the test cells that follow it up to the next answer cell; its
    id is the answer cell's. A written answer is a part of its own. A test cell before any answer
    cell (tests of given code) is a part of its own too. Fairness is judged per part: a mistake
    in one answer cell may cost points only in its own part.
    """
    found: dict[str, str] = {}
    current: str | None = None
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid is None:
            continue
        if is_written(cell):
            found[gid] = gid
        elif is_answer(cell):
            current = gid
        elif is_test(cell):
            found[gid] = current or gid
    return found


def answer_count(nb: NotebookNode) -> int:
    return sum(1 for c in nb.cells if is_answer(c))


@dataclass
class Normalised:
    notebook: NotebookNode
    notes: list[str] = field(default_factory=list)


def _convert(cell: NotebookNode, cell_type: str) -> NotebookNode:
    maker = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
             "raw": nbformat.v4.new_raw_cell}[cell_type]
    new = maker(source=cell.source, metadata=cell.metadata)
    if "id" in cell:
        new["id"] = cell["id"]
    return new


def normalise_submission(nb: NotebookNode, release: NotebookNode) -> Normalised:
    """Bring a submitted notebook back to the instructor's structure (see the module docstring).

    The source of answer cells is never touched; test and locked cells get the release's source.
    """
    result = Normalised(copy.deepcopy(nb))
    nb = result.notebook
    reference = {grade_id(c): c for c in release.cells if grade_id(c)}
    order = [grade_id(c) for c in release.cells if grade_id(c)]
    seen: set[str] = set()
    cells = []
    for cell in nb.cells:
        gid = grade_id(cell)
        if "nbgrader" in cell.get("metadata", {}) and (gid not in reference or gid in seen):
            del cell.metadata["nbgrader"]
            result.notes.append(
                f"cell '{gid}' is not in the instructor's notebook (or is a copy); graded as a "
                "plain cell" if gid else "a cell had nbgrader metadata without an id; ignored"
            )
        elif gid in reference:
            seen.add(gid)
            ref = reference[gid]
            cell.metadata["nbgrader"] = copy.deepcopy(ref.metadata["nbgrader"])
            for key in ("editable", "deletable"):
                if key in ref.metadata:
                    cell.metadata[key] = ref.metadata[key]
            if cell.cell_type != ref.cell_type:
                result.notes.append(f"cell '{gid}' was turned into {cell.cell_type}; restored")
                cell = _convert(cell, ref.cell_type)
            if is_restored(ref) and cell.source != ref.source:
                if not is_test(ref):
                    result.notes.append(f"the given cell '{gid}' was edited; the original ran")
                cell.source = ref.source
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)

    # put deleted instructor cells back after the instructor cell that precedes them
    ids = {c.get("id") for c in cells}
    for index, gid in enumerate(order):
        if gid in seen:
            continue
        restored = copy.deepcopy(reference[gid])
        if restored.get("id") in ids:
            restored["id"] = uuid.uuid4().hex[:8]
        ids.add(restored.get("id"))
        position = 0
        for previous in reversed(order[:index]):
            hits = [i for i, c in enumerate(cells) if grade_id(c) == previous]
            if hits:
                position = hits[0] + 1
                break
        cells.insert(position, restored)
        seen.add(gid)
        kind = "test cell" if is_test(restored) else "cell"
        result.notes.append(f"{kind} '{gid}' was deleted; restored from the instructor's version")
    nb.cells = cells
    nb.metadata["kernelspec"] = copy.deepcopy(release.metadata.get("kernelspec", {}))
    nb.nbformat, nb.nbformat_minor = 4, max(int(nb.get("nbformat_minor", 5)), 5)
    for cell in nb.cells:
        if "id" not in cell:
            cell["id"] = uuid.uuid4().hex[:8]
    return result


def write(nb: NotebookNode, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
