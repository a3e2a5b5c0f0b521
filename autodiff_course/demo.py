"""``autodiff-course demo``: the whole pipeline on sample students, in a temporary workspace.

For every topic in solutions/: release (into the workspace), then sample submissions built from
that release and the instructor's answers, then autograde, then the gradebook printed. The
samples are generated at demo time rather than shipped, so they can never drift from the
notebooks they imitate:

- ``complete``  every answer typed in from the solutions (full automatic marks);
- ``partial``   the first half of the answers typed in (rounded down);
- ``untouched`` the release as handed out (zero);
- ``broken``    a file cut off half way (not valid JSON: unreadable);
- ``crashing``  complete, but one answer cell calls ``os._exit`` (the kernel dies: crashed);
- ``cheating``  untouched, plus a cell that rewrites every later cell to ``pass`` and makes
  numpy's comparisons always true (zero: the verdicts are not decided in the student's kernel);
- ``missing``   a folder without the notebook (missing).

The kernels run in the bubblewrap sandbox when ``bwrap`` is installed; without it the demo says
so and runs them unsandboxed (these are the project's own samples), so ``make demo`` works on any
machine.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path

import nbformat

from . import batch
from .layout import Workspace, assignment_ids, check_course_root, source_notebooks
from .notebooks import answer_count, fill_answers, grade_id, is_answer, read, write
from .release import released_notebook
from .sandbox import bwrap_path
from .worker import GradingOptions

SAMPLE_STUDENTS = ("complete", "partial", "untouched", "broken", "crashing", "cheating",
                   "missing")
CHEAT = """\
# every later cell becomes `pass`, and numpy's comparisons always say yes
import numpy as np
get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
np.allclose = np.isclose = np.array_equal = lambda *args, **kwargs: True
"""


def _first_code_answer(nb):
    for cell in nb.cells:
        if is_answer(cell) and cell.cell_type == "code":
            return cell
    raise ValueError("no code answer cell")


def write_samples(root: Path, submissions: Path, assignments: list[str]) -> None:
    """The sample submissions for each assignment (see the module docstring)."""
    for assignment in assignments:
        for source_path in source_notebooks(root, assignment):
            name = source_path.stem
            source = read(source_path)
            released = released_notebook(source)

            def put(student: str, nb, name=name, assignment=assignment) -> None:
                write(nb, Path(submissions) / student / assignment / f"{name}.ipynb")

            put("complete", fill_answers(released, source))
            put("partial", fill_answers(released, source, keep=max(1, answer_count(source) // 2)))
            put("untouched", released)
            text = nbformat.writes(released)
            broken = Path(submissions) / "broken" / assignment / f"{name}.ipynb"
            broken.parent.mkdir(parents=True, exist_ok=True)
            broken.write_text(text[: len(text) // 2])
            crashing = fill_answers(released, source)
            cell = _first_code_answer(crashing)
            cell.source = "import os\nos._exit(1)\n" + cell.source
            put("crashing", crashing)
            cheating = copy.deepcopy(released)
            cheating.cells.insert(2, nbformat.v4.new_code_cell(CHEAT))
            put("cheating", cheating)
            missing = Path(submissions) / "missing" / assignment
            missing.mkdir(parents=True, exist_ok=True)
            (missing / "notes.txt").write_text("I forgot to upload my notebook.\n")


def gradebook(rows) -> str:
    """Students × assignments, total score over maximum (plus points awaiting manual grading)."""
    assignments = sorted({r.assignment for r in rows})
    students = [s for s in SAMPLE_STUDENTS if any(r.student == s for r in rows)]
    students += sorted({r.student for r in rows} - set(students))
    cells = {}
    for r in rows:
        score, top, pending = cells.get((r.student, r.assignment), (0.0, 0.0, 0.0))
        cells[(r.student, r.assignment)] = (score + r.score, top + r.max_score,
                                            pending + r.pending_manual)
    header = ["student", *assignments]
    body = []
    for student in students:
        line = [student]
        for assignment in assignments:
            score, top, pending = cells.get((student, assignment), (0.0, 0.0, 0.0))
            line.append(f"{score:g}/{top:g}" + (f"+{pending:g}?" if pending else ""))
        body.append(line)
    widths = [max(len(x) for x in column) for column in zip(header, *body, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)) for line in body]
    return "\n".join(lines)


def demo(root: Path, *, workspace: Path | None = None, jobs: int = 2, timeout: int = 60,
         log: Callable[[str], None] = print) -> batch.Outcome:
    root = check_course_root(root)
    assignments = assignment_ids(root)
    with tempfile.TemporaryDirectory(prefix="autodiff-demo-") as scratch:
        base = Path(workspace).resolve() if workspace else Path(scratch)
        submissions = base / "submissions"

        def samples(ws: Workspace) -> None:
            write_samples(root, submissions, assignments)
            log(f"sample submissions: {', '.join(SAMPLE_STUDENTS)} in {submissions}")

        sandbox = bwrap_path() is not None
        if not sandbox:
            log("note: bubblewrap (bwrap) is not installed, so the demo runs its own sample "
                "students WITHOUT a sandbox; `autograde` refuses to do that for real submissions "
                "unless told --no-sandbox (Debian/Ubuntu: sudo apt-get install bubblewrap)")
        outcome = batch.autograde(
            submissions, root=root, workspace=base / "workspace", assignments=assignments,
            options=GradingOptions(timeout=timeout, sandbox=sandbox), jobs=jobs, log=log,
            before_grading=samples,
        )
        log("")
        log(batch.summary(outcome))
        log("")
        log("gradebook (score/max; +N? = written answers awaiting manual grading):")
        log(gradebook(outcome.rows))
        if not workspace:
            log("(the demo workspace was temporary; pass --workspace DIR to keep it)")
    return outcome


__all__ = ["demo", "write_samples", "gradebook", "SAMPLE_STUDENTS", "grade_id"]
