"""``autodiff-course validate NOTEBOOK``: the student's self-check before submitting.

Runs the notebook top to bottom in a fresh kernel (in the notebook's folder) and reports every
visible test cell as passed or failed, answers not attempted yet, and anything the autograder's
static check would flag. Exits 1 when a test fails or the notebook would be flagged (nbgrader's
own ``validate`` exits 0 on failing tests, which is no use in a script or a CI job), 0 otherwise.
Hidden tests are not in the student's notebook, so passing here is necessary, not sufficient.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import environment, integrity
from .layout import CourseError
from .notebooks import (
    UnreadableNotebook,
    grade_id,
    is_answer,
    is_test,
    meta,
    read_submission,
    student_cells,
)
from .preprocessors import strip_ansi

DEFAULT_TIMEOUT = 120


@dataclass
class Report:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    other_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.flagged


def _unchanged(cell) -> bool:
    from nbgrader.utils import compute_checksum

    checksum = meta(cell).get("checksum")
    return bool(checksum) and checksum == compute_checksum(cell)


def _error_text(output) -> str:
    if output.evalue:
        return f"{output.ename}: {output.evalue}"
    if output.ename == "NotImplementedError":
        return "NotImplementedError (an answer it needs is not written yet)"
    arrows = [line for entry in output.get("traceback", [])
              for line in strip_ansi(entry).splitlines() if line.lstrip().startswith("---->")]
    return f"{output.ename} at {arrows[-1].strip()}" if arrows else output.ename


def validate(path: Path, *, timeout: int = DEFAULT_TIMEOUT, log: Callable[[str], None] = print
             ) -> Report:
    environment.prepare()
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise CourseError(f"{path} does not exist (give the path of your .ipynb file)")
    try:
        nb = read_submission(path)
    except UnreadableNotebook as err:
        raise CourseError(str(err)) from None
    report = Report()

    cells = student_cells(nb)
    findings = integrity.check_cells(
        cells,
        context_sources=[c.source for c in nb.cells if c.cell_type == "code"],
        test_sources=[c.source for c in nb.cells if is_test(c)],
    )
    report.flagged = [str(f) for f in findings]

    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    kernel = nb.metadata.get("kernelspec", {}).get("name") or "python3"
    log(f"running {path.name} in a fresh kernel ...")
    with tempfile.TemporaryDirectory(prefix="adc-validate-") as sockets:
        km = KernelManager(kernel_name=kernel, transport="ipc", ip=str(Path(sockets) / "k"))
        client = NotebookClient(nb, km=km, timeout=timeout, kernel_name=kernel,
                                allow_errors=True, interrupt_on_timeout=True,
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute()
        finally:
            if km.has_kernel:  # a kernel handed to nbclient is ours to stop
                km.shutdown_kernel(now=True)

    for position, cell in enumerate(nb.cells, start=1):
        label = grade_id(cell) or f"cell {position}"
        if is_answer(cell) and _unchanged(cell):
            report.unanswered.append(label)
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if is_test(cell):
            points = float(meta(cell).get("points", 0))
            worth = f"{points:g} point" + ("" if points == 1 else "s")
            if errors:
                report.failed.append(f"{label} ({worth}): {_error_text(errors[-1])}")
            else:
                report.passed.append(f"{label} ({worth})")
        elif errors:
            report.other_errors.append(f"{label}: {_error_text(errors[-1])}")

    for line in report.passed:
        log(f"PASS {line}")
    for line in report.failed:
        log(f"FAIL {line}")
    for line in report.other_errors:
        log(f"ERROR {line}")
    for label in report.unanswered:
        log(f"TODO {label}: not answered yet")
    for line in report.flagged:
        log(f"FLAG {line}")
    if report.flagged:
        log("The autograder would give this notebook 0 points: answers must not import "
            "autograd_ref, torch or jax, nor modify numpy, math, builtins, sys or the test "
            "helpers.")
    total = len(report.passed) + len(report.failed)
    verdict = "ready to submit" if report.ok else "not ready"
    log(f"{len(report.passed)} of {total} visible test cells pass; {verdict} "
        "(hidden tests run only when it is graded)")
    return report
