"""A tiny course for the pipeline's tests, and helpers that build the submissions they need.

The mini assignment has the shape of a real one (setup cell, answer cells with the ``def`` line
outside the solution block, visible tests through ``student.eval`` and ``expect_*``, hidden
tests, one written answer) but runs in a fraction of a second, so tests can grade many
submissions without waiting on the real topics.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parent.parent
MINI = "00-mini"
CLI = [sys.executable, "-m", "autodiff_course.cli"]
# A line that exists only inside the hidden tests, its input and its expected value: feedback
# must never contain any of them.
HIDDEN_MARKER = "hidden_probe_value = 1234.5"
HIDDEN_NAME = "hidden_probe_value"
HIDDEN_INPUT = "1234.5"
HIDDEN_EXPECTED = "2469.0"


def _meta(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    m = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id,
         "schema_version": 3}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def mini_notebook() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Mini assignment\n\nFill in every `YOUR CODE HERE`."),
        new_code_cell("import numpy as np", metadata=_meta("setup", locked=True)),
        new_markdown_cell("## Part A: double\n\n**Hint:** multiply by two."),
        new_code_cell(
            'def double(x):\n    """2 x"""\n    ### BEGIN SOLUTION\n    return 2 * x\n'
            "    ### END SOLUTION",
            metadata=_meta("double-answer", solution=True),
        ),
        new_code_cell(
            "from autodiff_course.checking import expect_close, student\n"
            'expect_close(student.eval("double(3.0)"), 6.0, "double(3.0)", hint="return 2 * x")\n'
            "### BEGIN HIDDEN TESTS\n"
            f"{HIDDEN_MARKER}\n"
            f'expect_close(student.eval("double(v)", v={HIDDEN_NAME}), {HIDDEN_EXPECTED},\n'
            '             "double of a hidden value")\n'
            "### END HIDDEN TESTS",
            metadata=_meta("double-tests", grade=True, locked=True, points=2),
        ),
        new_markdown_cell("## Part B: forward difference\n\n**Hint:** (f(x + h) - f(x)) / h."),
        new_code_cell(
            'def slope(f, x, h):\n    """Forward difference."""\n    ### BEGIN SOLUTION\n'
            "    return (f(x + h) - f(x)) / h\n    ### END SOLUTION",
            metadata=_meta("slope-answer", solution=True),
        ),
        new_code_cell(
            "import numpy as np\nfrom autodiff_course.checking import expect_close, student\n"
            'expect_close(student.eval("slope(np.sin, 0.0, 1e-6)"), 1.0, "slope(sin, 0, 1e-6)",\n'
            "             rtol=1e-6)\n"
            "### BEGIN HIDDEN TESTS\n"
            "rng = np.random.default_rng(7)\n"
            "xs = rng.uniform(-1, 1, 5)\n"
            'expect_close(student.eval("[slope(np.exp, x, 1e-7) for x in xs]", xs=xs),\n'
            "             np.exp(xs), 'slope(exp) at five hidden points', rtol=1e-5)\n"
            "### END HIDDEN TESTS",
            metadata=_meta("slope-tests", grade=True, locked=True, points=3),
        ),
        new_markdown_cell("## Part C\n\nWhy is the central difference more accurate?"),
        new_markdown_cell(
            "### BEGIN SOLUTION\nIts error is O(h^2): the h terms cancel.\n### END SOLUTION",
            metadata=_meta("why-written", grade=True, solution=True, points=2),
        ),
        new_markdown_cell("## Summary\n\nDone."),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def make_mini_course(root: Path) -> Path:
    """A course root with solutions/00-mini/00-mini.ipynb (7 points: 5 automatic, 2 written),
    its release in assignments/ and the repository's nbgrader_config.py."""
    from autodiff_course.release import released_notebook

    root = Path(root)
    folder = root / "solutions" / MINI
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(mini_notebook(), str(folder / f"{MINI}.ipynb"))
    released = root / "assignments" / MINI
    released.mkdir(parents=True, exist_ok=True)
    nbformat.write(released_notebook(mini_notebook()), str(released / f"{MINI}.ipynb"))
    (root / "nbgrader_config.py").write_text((REPO / "nbgrader_config.py").read_text())
    return root


def env(**extra: str) -> dict[str, str]:
    """The environment a subprocess call of the CLI or nbgrader needs (venv bin on PATH)."""
    e = dict(os.environ)
    e["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{e.get('PATH', '')}"
    e.update(extra)
    return e


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 900, extra_env: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *map(str, args)], cwd=cwd or REPO, env=env(**(extra_env or {})),
        capture_output=True, text=True, timeout=timeout,
    )


def put(submissions: Path, student: str, assignment: str, nb, name: str | None = None) -> Path:
    """Place a notebook (object, or raw text for broken files) as a student's submission."""
    path = Path(submissions) / student / assignment / (name or f"{assignment}.ipynb")
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, str):
        path.write_text(nb)
    else:
        nbformat.write(nb, str(path))
    return path


def cell(nb, grade_id: str):
    for c in nb.cells:
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return c
    raise KeyError(grade_id)


def with_answer(nb, grade_id: str, source: str):
    """A copy of ``nb`` whose answer cell ``grade_id`` holds ``source``."""
    nb = copy.deepcopy(nb)
    cell(nb, grade_id).source = source
    return nb


def read_rows(csv_path: Path) -> dict[tuple[str, str], dict[str, str]]:
    import csv

    with open(csv_path, newline="") as handle:
        return {(r["student"], r["assignment"]): r for r in csv.DictReader(handle)}


def as_json(nb) -> str:
    return json.dumps(nb)


def orphan_kernels() -> list[str]:
    """Kernel processes whose grading process is gone (their parent is now init)."""
    time.sleep(1)
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if "launch.py" in cmdline and "launch.json" in cmdline and ppid == 1:
            found.append(cmdline)
    return found
