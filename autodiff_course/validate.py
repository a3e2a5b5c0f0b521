"""``autodiff-course validate NOTEBOOK``: the student's self-check, decided as the grader decides.

It runs the same code as ``autograde`` (:func:`autodiff_course.engine.run_notebook`): the
notebook's own cells in a fresh kernel, sandboxed where ``bwrap`` is installed (a laptop may not
have it: then the kernel runs as a plain process, and the report says so), and every test cell
judged *outside* that kernel, from the release's copy of the test, not the student's. A notebook
with no release of its assignment around is not judged at all (exit 2): its own test cells would
have to run outside the sandbox, and a notebook can bring any test it likes. Only the
visible tests exist in a release, so passing here is necessary, not sufficient: hidden tests on
other inputs run at grading.

Each graded part is reported PASS, FAIL (with expected vs received and the hint), TODO (an answer
it needs is not written yet) or, for written answers, how many points a person will grade.
Exit 1 unless every automatic part passes, 2 when the file cannot be read as a notebook.
``--json`` prints the report as JSON (the Lab's Validate button reads it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import clean
from .engine import run_notebook, visible_source
from .kernel import KernelSession, KernelStartError
from .layout import (
    RELEASE_COPY_DIRECTORY,
    RELEASE_DIRECTORY,
    SOURCE_DIRECTORY,
    CourseError,
    find_release_root,
)
from .notebooks import (
    cell_points,
    grade_id,
    is_graded,
    is_test,
    is_written,
    normalise_submission,
    read,
)
from .sandbox import bwrap_path
from .submission import UnreadableNotebook, read_submission

DEFAULT_TIMEOUT = 120
UNANSWERED_MARKS = ("YOUR ANSWER HERE", "YOUR CODE HERE")


@dataclass
class PartReport:
    name: str
    points: float
    status: str  # PASS, FAIL, TODO, WRITTEN
    message: str = ""


@dataclass
class Report:
    parts: list[PartReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # the notebook could not be checked at all

    @property
    def ok(self) -> bool:
        tested = [p for p in self.parts if p.status != "WRITTEN"]
        return self.error is None and bool(tested) and all(p.status == "PASS" for p in tested)

    def as_json(self) -> str:
        return json.dumps({"ok": self.ok, **asdict(self)}, indent=1)


def _test_ids(nb) -> set[str]:
    return {grade_id(c) for c in nb.cells if is_test(c)}


def _reference(path: Path, nb) -> tuple[object | None, str]:
    """The release this notebook was handed out as, and where it came from.

    The course is the instructor's repository or a student copy. Candidates are the course's
    release notebooks (never the file being validated: a student may work in assignments/
    itself), the untouched copy of the release a student copy keeps for that reason, and, where
    the course has them, its instructor notebooks.
    A candidate qualifies when this notebook holds at least half of its test cells; the one
    sharing the most wins, then one with the same file name, then a release (a copy renamed by
    JupyterLab still finds its own assignment; a cell name two assignments share never decides).
    """
    ids = {grade_id(c) for c in nb.cells if grade_id(c)}
    try:
        root = find_release_root(path.parent)
    except CourseError:
        return None, "no course found around this notebook"
    best, best_score = None, None
    for folder, kind in ((root / RELEASE_DIRECTORY, "release"),
                         (root / RELEASE_COPY_DIRECTORY, "release"),
                         (root / SOURCE_DIRECTORY, "solutions")):
        for candidate in sorted(folder.glob("*/*.ipynb")) if folder.is_dir() else []:
            try:
                if candidate.resolve() == path.resolve():
                    continue
                reference = read(candidate)
            except Exception:  # noqa: BLE001 - an unreadable file is not the reference
                continue
            tests = _test_ids(reference)
            overlap = len(ids & tests)
            if not tests or overlap * 2 < len(tests):
                continue  # not this assignment: most of its tests are missing here
            score = (overlap, candidate.stem == path.stem, kind == "release")
            if best_score is None or score > best_score:
                best, best_score = (reference, kind, candidate), score
    if best is None:
        return None, "no release of this assignment found"
    reference, kind, candidate = best
    origin = (f"{candidate.parent.parent.name}/{candidate.parent.name}/" if kind == "release"
              else "the course's solutions/ (visible tests)")
    if kind == "solutions":
        from .release import released_notebook

        reference = released_notebook(reference)
    return reference, origin


def _written_status(nb, gid: str) -> str:
    cell = next((c for c in nb.cells if grade_id(c) == gid), None)
    text = cell.source if cell is not None else ""
    if not text.strip() or any(mark in text for mark in UNANSWERED_MARKS):
        return "not answered yet"
    return "answered"


def check(path: Path, *, timeout: float = DEFAULT_TIMEOUT, sandbox: bool | None = None,
          log: Callable[[str], None] = print) -> Report:
    """Validate one notebook; ``log`` gets a line per part (see the module docstring)."""
    path = Path(path)
    report = Report()
    try:
        nb, notes = read_submission(path)
    except UnreadableNotebook as err:
        report.error = str(err)
        return report
    report.notes += notes
    reference, origin = _reference(path.resolve(), nb)
    if reference is None:
        # a notebook's own test cells are never run by the grader: they would run here, outside
        # any sandbox, and a test a notebook brings with it can say anything
        report.error = (f"{origin} to check {path.name} against (validate judges a notebook "
                        "with the tests of the course's release, never with its own): open it "
                        "from the course's assignments/ folder, or fetch the assignment again")
        return report
    nb = normalise_submission(nb, reference).notebook
    tests = {grade_id(c): visible_source(c.source) for c in reference.cells if is_test(c)}
    use_sandbox = bwrap_path() is not None if sandbox is None else sandbox
    if not use_sandbox:
        report.notes.append("the kernel ran without a sandbox (bubblewrap is not installed "
                            "here); the grader runs it in one")
    for note in report.notes:
        log(f"note: {note}")
    try:
        with KernelSession.start(sandbox=use_sandbox) as session:
            run = run_notebook(session, nb, tests, timeout=timeout)
    except KernelStartError as err:
        report.error = f"the kernel did not start: {err}"
        log(f"ERROR {report.error}")
        return report
    report.problems = list(run.problems)
    for cell in nb.cells:
        if not is_graded(cell):
            continue
        gid, points = grade_id(cell), cell_points(cell)
        if is_written(cell) or not is_test(cell):
            report.parts.append(PartReport(gid, points, "WRITTEN",
                                           f"graded by hand; {_written_status(nb, gid)}"))
            continue
        verdict = run.verdicts.get(gid)
        if verdict is None:
            report.parts.append(PartReport(gid, points, "FAIL", "this test did not run"))
        elif verdict.passed:
            report.parts.append(PartReport(gid, points, "PASS"))
        else:
            report.parts.append(PartReport(gid, points, "TODO" if verdict.unanswered else "FAIL",
                                           verdict.failure or ""))
    for part in report.parts:
        head = f"{part.status:<7} {part.name} ({part.points:g} point{'s' * (part.points != 1)})"
        log(head + (f": {clean.text(part.message)}" if part.message else ""))
    for problem in report.problems:
        log(f"note: {clean.line(problem, 300)}")
    automatic = [p for p in report.parts if p.status != "WRITTEN"]
    if not automatic:
        log("nothing was checked: this notebook has no test cell of the course (was it made "
            "from an assignment of this course?)")
    passed = sum(p.status == "PASS" for p in automatic)
    log(f"{passed} of {len(automatic)} tested parts pass"
        + ("" if report.ok else "; fix the parts above before submitting")
        + ". Hidden tests on other inputs run at grading.")
    return report
