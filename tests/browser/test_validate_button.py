"""The Validate button cannot be fooled by the notebook it checks, and shows messages as text.

nbgrader's own validator ran the test cells in the student's kernel and believed it: a notebook
that rewrites its later cells into ``pass`` got "Success!". The button is now answered by
``autodiff-course validate`` (autodiff_course/lab_validate.py), which judges every part outside
the kernel; and since nbgrader's lab extension puts each part's message into the dialog with
``innerHTML``, the server must escape it.

Both notebooks are a student's copy of the first assignment (``01-...``) in a folder of their own,
so ``autodiff-course validate`` compares them with the release in ``assignments/``, as it does a
fetched copy.
"""

from __future__ import annotations

import copy

import lab_page as jl
import nbformat
import pytest
from course_files import (
    assignment_ids,
    assignment_notebooks,
    fill_answers,
    is_answer,
    is_test,
    nbgrader_meta,
    read,
)

# Appended during its own cell, it turns the source of every later cell into `pass`: tests and
# answers alike "run" without an error in the kernel.
CHEAT = 'get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])'
PAYLOAD = "<img src=x onerror=alert(1)>"
INJECTED = f'raise ValueError("{PAYLOAD}")'
NOT_IMPLEMENTED = "raise NotImplementedError()"


def first_assignment(source_root):
    ids = [a for a in assignment_ids(source_root) if a.startswith("01-")]
    if not ids:
        pytest.fail("no assignment 01-... in solutions/", pytrace=False)
    assignment = ids[0]
    name = assignment_notebooks(source_root, assignment)[0]
    released = source_root / "assignments" / assignment / name
    if not released.is_file():
        pytest.fail(f"assignments/{assignment}/{name} is missing: run `autodiff-course release "
                    f"{assignment}`", pytrace=False)
    return assignment, name, read(released)


def student_copy(lab, folder: str, assignment: str, name: str, release, nb) -> str:
    """Put the release back in place (the reference) and the student's ``nb`` in ``folder``."""
    lab.write_notebook(f"assignments/{assignment}/{name}", release)
    lab.make_folder(f"{folder}/{assignment}")
    path = f"{folder}/{assignment}/{name}"
    lab.write_notebook(path, nb)
    return path


def graded_tests(nb) -> list[tuple[str, float]]:
    return [(nbgrader_meta(c)["grade_id"], float(nbgrader_meta(c).get("points", 0)))
            for c in nb.cells if is_test(c)]


def test_validate_does_not_pass_a_notebook_that_rewrites_its_own_cells(lab, page, source_root):
    assignment, name, release = first_assignment(source_root)
    cheat = copy.deepcopy(release)
    setup = next((i for i, c in enumerate(cheat.cells) if nbgrader_meta(c).get("grade_id")
                  == "setup"), None)
    assert setup is not None, f"assignments/{assignment}/{name} has no 'setup' cell"
    cheat.cells.insert(setup + 1, nbformat.v4.new_code_cell(CHEAT))
    path = student_copy(lab, "validate-cheat", assignment, name, release, cheat)

    # The notebook fools its own kernel: Run All goes through every cell without an error, test
    # cells included (what nbgrader's validator used to take for a pass).
    jl.open_notebook(page, lab.url, path, len(cheat.cells))
    jl.run_all(page)
    assert not jl.unexecuted_cells(page), f"{path}: Run All stopped early"
    jl.save(page)
    errors = [o for c in lab.read_notebook(path).cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, (f"{path}: the cheat did not silence the kernel (the test would prove "
                        f"nothing): {[(o.ename, o.evalue) for o in errors]}")

    result = jl.validate_notebook(page)
    assert result.outcome == "failed" and "Success" not in result.text, (
        f"{path}: Validate must not pass a notebook that turns its cells into `pass`; it says "
        f"{result.outcome}:\n{result.text[:3000]}")
    tests = graded_tests(release)
    parts = result.parts
    assert [(p.name, p.points) for p in parts] == tests, (
        f"{path}: every test part should be listed as failing:\n  expected {tests}\n  listed   "
        f"{[(p.name, p.points) for p in parts]}\n{result.text[:3000]}")
    assert all(p.status in ("FAIL", "TODO") and p.message for p in parts), result.text[:3000]

    page.console.assert_clean()


def test_validate_shows_a_message_as_text_not_html(lab, page, source_root):
    assignment, name, release = first_assignment(source_root)
    solution = read(source_root / "solutions" / assignment / name)
    nb = fill_answers(release, solution)
    # The first code answer, as released but raising a ValueError whose message is markup.
    index = next((i for i, c in enumerate(release.cells) if c.cell_type == "code"
                  and is_answer(c) and NOT_IMPLEMENTED in c.source), None)
    assert index is not None, f"{assignment}/{name}: no answer cell raising {NOT_IMPLEMENTED}"
    nb.cells[index].source = release.cells[index].source.replace(NOT_IMPLEMENTED, INJECTED)
    tested_by = next(nbgrader_meta(c)["grade_id"] for c in release.cells[index + 1:] if is_test(c))
    path = student_copy(lab, "validate-escape", assignment, name, release, nb)

    jl.open_notebook(page, lab.url, path, len(nb.cells))
    result = jl.validate_notebook(page)
    assert result.outcome == "failed", (
        f"{path}: an answer raising ValueError should fail {tested_by}; Validate says "
        f"{result.outcome}:\n{result.text[:3000]}")
    parts = {p.name: p for p in result.parts}
    assert tested_by in parts and parts[tested_by].status == "FAIL", (
        f"{path}: {tested_by} should be listed as FAIL:\n{result.text[:3000]}")
    assert f"ValueError: {PAYLOAD}" in parts[tested_by].message, (
        f"{path}: the message of {tested_by} should show {PAYLOAD!r} literally, it reads:\n"
        f"{parts[tested_by].message}")
    others = [p.name for p in parts.values() if PAYLOAD not in p.message]
    assert not others, f"{path}: parts failing for another reason: {others}\n{result.text[:3000]}"
    assert result.embedded == 0 and not result.foreign_markup, (
        f"{path}: the message was inserted as HTML: {result.embedded} embedded element(s) in the "
        f"dialog, markup {result.foreign_markup}")

    page.console.assert_clean()  # an <img onerror> would also show as a 404 and an alert()
