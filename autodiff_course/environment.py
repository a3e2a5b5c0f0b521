"""Process environment the pipeline's child processes need.

- nbgrader shells out to a bare ``alembic`` when it creates a gradebook, so this interpreter's
  ``bin`` folder goes on PATH;
- kernels run in the notebook's folder, where ``import autograd_ref`` (hidden tests) and
  ``import autodiff_course.checking`` (every test cell) must still work when the project runs from
  a checkout that is not pip-installed: the checkout goes on PYTHONPATH. When the packages are
  installed this adds nothing that was not importable already.
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
