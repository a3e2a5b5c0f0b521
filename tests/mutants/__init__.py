"""The mutant battery: mistakes students really make, one answer cell each, graded for real.

Each topic has a module here (``a01.py`` … ``a07.py``) with a list ``MUTANTS``. A mutant is the
instructor's answer to one part with a plausible mistake in it, written as a student would make
it (not tuned to the tests), and a line saying why it is wrong. :mod:`tests.mutants.check` grades
every mutant through the real ``autodiff-course autograde`` and ``validate``;
``tests/sandbox/test_mutants.py`` asserts that each one

- loses at least one point,
- loses points only in its own part (the answer cell and the test cells that follow it), and
- fails ``validate``, which names a test of that part.

Grow the battery whenever a new mistake is found: add a ``Mutant`` to the topic's module.
"""

from __future__ import annotations

import copy
import importlib
from dataclasses import dataclass, field
from pathlib import Path

from nbformat.notebooknode import NotebookNode

REPO = Path(__file__).resolve().parent.parent.parent
MODULES = ("a01", "a02", "a03", "a04", "a05", "a06", "a07")


@dataclass(frozen=True)
class Mutant:
    """One wrong answer: ``cell`` is the answer cell's grade id in the topic's notebook.

    ``replace`` is a list of (old, new) edits applied to the instructor's answer as a student
    would type it (solution markers removed); each ``old`` must occur exactly once. ``source``,
    when given, is the whole cell instead.
    """

    name: str
    topic: str
    cell: str
    why: str
    replace: tuple[tuple[str, str], ...] = field(default=())
    source: str | None = None

    @property
    def student(self) -> str:
        """The student id the mutant is submitted under (unique across the battery)."""
        return self.name


def all_mutants(topics: list[str] | None = None) -> list[Mutant]:
    found: list[Mutant] = []
    for name in MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            continue
        found += [m for m in module.MUTANTS if topics is None or m.topic in topics]
    return found


def apply(mutant: Mutant, honest: NotebookNode) -> NotebookNode:
    """The honest (fully answered) notebook with the mutant's answer cell swapped in."""
    from autodiff_course.notebooks import grade_id

    nb = copy.deepcopy(honest)
    cells = [c for c in nb.cells if grade_id(c) == mutant.cell]
    if len(cells) != 1:
        raise ValueError(f"{mutant.name}: no answer cell {mutant.cell!r} in {mutant.topic}")
    cell = cells[0]
    if mutant.source is not None:
        text = mutant.source
    else:
        text = cell.source
        for old, new in mutant.replace:
            if text.count(old) != 1:
                raise ValueError(f"{mutant.name}: {old!r} occurs {text.count(old)} times in "
                                 f"the answer to {mutant.cell}, not once")
            text = text.replace(old, new)
    if text == cell.source:
        raise ValueError(f"{mutant.name}: changes nothing in {mutant.cell}")
    cell.source = text
    return nb
