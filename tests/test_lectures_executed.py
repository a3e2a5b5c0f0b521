"""The lectures are committed executed, so a student opening one sees its outputs and plots.

``make lectures`` stores fresh outputs; ``make lectures-check`` (strict nbval) proves the stored
outputs are the ones the code produces. This test only checks that they are there: every code
cell ran, in order, in one fresh kernel, and none stored an error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

COURSE = Path(__file__).resolve().parent.parent / "course"
LECTURES = sorted(COURSE.glob("*.ipynb"))


def test_there_are_lectures():
    assert len(LECTURES) >= 7


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_is_stored_with_its_outputs(path):
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    counts = [c.get("execution_count") for c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name}: execution counts {counts}: run `make lectures` to store its outputs")
    errors = [o.get("ename") for c in cells for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, f"{path.name}: stored errors {errors}"
    images = sum("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))
    assert images >= 1, f"{path.name}: no figure stored"
