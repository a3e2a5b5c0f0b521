"""``autodiff-course release``: the student notebooks in assignments/ generated from solutions/.

nbgrader's generate_assignment does the work (solutions and hidden tests stripped, test cells
locked, checksums written). It also records the instructor notebooks in a gradebook; a release is
a pure function of solutions/, so that gradebook is a throwaway one here, and each grading
workspace loads its own (see :mod:`autodiff_course.batch`).
"""

from __future__ import annotations

import copy
import filecmp
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from . import environment
from .layout import (
    COURSE_ID,
    RELEASE_DIRECTORY,
    SOURCE_DIRECTORY,
    CourseError,
    assignment_ids,
    source_notebooks,
)
from .notebooks import points, read


def _preprocessed(solution_nb, *, release: bool):
    """An instructor notebook through nbgrader's generate_assignment steps, in memory.

    ``release=False`` stops where nbgrader records cells in the gradebook (hidden tests still
    in); ``release=True`` goes on to the student's version (hidden tests and mark schemes out).
    """
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    nb = copy.deepcopy(solution_nb)
    steps = [LockCells(), ClearSolutions(), ClearOutput(), CheckCellMetadata(),
             ComputeChecksums()]
    if release:
        steps += [ClearHiddenTests(), ClearMarkScheme(), ComputeChecksums(), CheckCellMetadata()]
    resources: dict = {}
    for step in steps:
        nb, resources = step.preprocess(nb, resources)
    return nb


def released_notebook(solution_nb):
    """The student version of an instructor notebook, as ``release`` writes it (in memory)."""
    return _preprocessed(solution_nb, release=True)


def recorded_notebook(solution_nb):
    """An instructor notebook as nbgrader records its cells in the gradebook."""
    return _preprocessed(solution_nb, release=False)


def resolve_ids(root: Path, ids: Sequence[str] | None) -> list[str]:
    known = assignment_ids(root)
    if not known:
        raise CourseError(
            f"no assignments in {Path(root) / SOURCE_DIRECTORY} (expected <id>/<id>.ipynb)"
        )
    if not ids:
        return known
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise CourseError(
            f"unknown assignment {', '.join(unknown)}: {SOURCE_DIRECTORY}/ has {', '.join(known)}"
        )
    return list(ids)


def last_error(result: dict) -> str:
    """The informative end of an nbgrader failure (its log, else its traceback)."""
    text = result.get("log") or result.get("error") or "no log"
    lines = [line for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return "\n".join((errors or lines)[-6:])


def release(
    root: Path,
    ids: Sequence[str] | None = None,
    destination: Path | None = None,
    *,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Generate ``destination/<id>/`` (default ``root/assignments``) for each id; return folders."""
    environment.prepare()
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    root = Path(root).resolve()
    ids = resolve_ids(root, ids)
    destination = Path(destination).resolve() if destination else root / RELEASE_DIRECTORY
    folders = []
    with tempfile.TemporaryDirectory(prefix="autodiff-release-") as scratch:
        c = Config()
        c.CourseDirectory.root = str(root)
        c.CourseDirectory.course_id = COURSE_ID
        c.CourseDirectory.source_directory = SOURCE_DIRECTORY
        c.CourseDirectory.release_directory = str(destination)
        c.CourseDirectory.db_url = f"sqlite:///{Path(scratch) / 'release.db'}"
        c.NbGraderAPI.log_level = "WARN"
        api = NbGraderAPI(config=c)
        for assignment in ids:
            result = api.generate_assignment(assignment, force=True, create=True)
            if not result["success"]:
                raise CourseError(
                    f"releasing {assignment} failed (fix {SOURCE_DIRECTORY}/{assignment}/):\n"
                    + last_error(result)
                )
            folder = destination / assignment
            folders.append(folder)
            total, manual = 0.0, 0.0
            for notebook in source_notebooks(root, assignment):
                t, m = points(read(notebook))
                total, manual = total + t, manual + m
            log(
                f"released {assignment}: {folder} ({total:g} points"
                + (f", {manual:g} of them graded by hand" if manual else "")
                + ")"
            )
    return folders


def differences(expected: Path, actual: Path) -> list[str]:
    """Files that differ between two release folders (byte for byte), as relative paths."""
    expected, actual = Path(expected), Path(actual)
    names = {p.relative_to(expected) for p in expected.rglob("*") if p.is_file()}
    names |= {p.relative_to(actual) for p in actual.rglob("*") if p.is_file()}
    found = []
    for name in sorted(names):
        a, b = expected / name, actual / name
        if not a.exists():
            found.append(f"{name}: only in {actual}")
        elif not b.exists():
            found.append(f"{name}: only in {expected}")
        elif not filecmp.cmp(a, b, shallow=False):
            found.append(f"{name}: differs")
    return found


def check_release(root: Path, ids: Sequence[str] | None = None, *, log=print) -> list[str]:
    """Regenerate into a scratch folder and compare with the committed assignments/."""
    root = Path(root).resolve()
    ids = resolve_ids(root, ids)
    with tempfile.TemporaryDirectory(prefix="autodiff-release-check-") as scratch:
        release(root, ids, Path(scratch), log=lambda _: None)
        problems = []
        for assignment in ids:
            committed = root / RELEASE_DIRECTORY / assignment
            if not committed.is_dir():
                problems.append(
                    f"{RELEASE_DIRECTORY}/{assignment}: missing (run autodiff-course release)"
                )
                continue
            for diff in differences(committed, Path(scratch) / assignment):
                problems.append(f"{RELEASE_DIRECTORY}/{assignment}/{diff.split(':')[0]}: "
                                + diff.split(": ", 1)[1].replace(scratch, "the fresh release"))
    for problem in problems:
        log(problem)
    return problems
