"""Process environment the pipeline's child processes need.

- nbgrader shells out to a bare ``alembic`` when it creates a gradebook, so this interpreter's
  ``bin`` folder goes on PATH;
- worker processes import the course packages (the grader's side of every test imports
  ``autograd_ref`` and ``autodiff_course.checking``) even when the project runs from a checkout
  that is not pip-installed: the checkout goes on PYTHONPATH. Student kernels never see either:
  their environment is built from scratch (:mod:`autodiff_course.sandbox`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_PARENT = Path(__file__).resolve().parent.parent


def _prepend(variable: str, entry: str) -> None:
    parts = [p for p in os.environ.get(variable, "").split(os.pathsep) if p]
    if entry not in parts:
        os.environ[variable] = os.pathsep.join([entry, *parts])


def prepare() -> None:
    """Idempotent: make this process's children able to run nbgrader and import the course."""
    _prepend("PATH", str(Path(sys.executable).parent))
    _prepend("PYTHONPATH", str(PACKAGE_PARENT))
