"""Every student assignment in assignments/, as the student opens it and presses Validate.

For each assignment the instructor wrote in solutions/, its release must be in assignments/.
The untouched release opens cleanly (Python 3 kernel, no dialog) and the Validate button (answered
by ``autodiff-course validate``, see autodiff_course/lab_validate.py) lists every graded test cell
as "TODO: <grade id> (<n> points)", not answered yet because the release's answers still
`raise NotImplementedError()` (never a FAIL: an ImportError, a NameError or a check crash would
be one), and nothing else; written answers, graded by hand, are not listed. The same notebook
with the instructor's answers typed in validates with "Success!".
"""

from __future__ import annotations

import lab_page as jl
import pytest
from course_files import assignment_notebooks, fill_answers, is_test, kernelspec_problem, read

NOT_ANSWERED = "not answered yet:"
NOT_ATTEMPTED = "NotImplementedError"


def expected_parts(nb) -> list[tuple[str, float]]:
    """(grade id, points) of every graded test cell, in the notebook's order."""
    return [(c.metadata["nbgrader"]["grade_id"], float(c.metadata["nbgrader"].get("points", 0)))
            for c in nb.cells if is_test(c)]


def test_release_fails_untouched_and_passes_with_the_answers(assignment, lab, page, source_root):
    names = assignment_notebooks(source_root, assignment)
    assert names, f"solutions/{assignment}/ holds no notebook"
    for name in names:
        released = source_root / "assignments" / assignment / name
        if not released.is_file():
            pytest.fail(f"assignments/{assignment}/{name} is missing: run `autodiff-course release "
                        f"{assignment}` and commit assignments/", pytrace=False)
        path = f"assignments/{assignment}/{name}"
        release = read(released)
        problem = kernelspec_problem(release)
        assert problem is None, f"{path}: {problem}"
        lab.write_notebook(path, release)  # as released, whatever an earlier test did

        # Untouched: opens cleanly, and Validate fails on every test for the right reason.
        jl.open_notebook(page, lab.url, path, len(release.cells))
        untouched = jl.validate_notebook(page)
        assert untouched.outcome == "failed", (
            f"{path}: Validate on the untouched release should report failing tests, got "
            f"{untouched.outcome}:\n{untouched.text[:3000]}")
        tests = expected_parts(release)
        assert tests, f"{path} has no graded test cells"
        parts = untouched.parts
        listed = [(p.name, p.points) for p in parts]
        assert listed == tests, (
            f"{path}: the dialog should list every test cell (grade id, points) in order, and "
            f"nothing else:\n  expected {tests}\n  listed   {listed}\n{untouched.text[:3000]}")
        wrong = [f"{p.status}: {p.name}: {p.message}" for p in parts
                 if p.status != "TODO" or not p.message.startswith(NOT_ANSWERED)
                 or NOT_ATTEMPTED not in p.message]
        assert not wrong, (f"{path}: parts fail for another reason than a missing answer (an "
                           "import error or a test relying on solution code?):\n"
                           + "\n---\n".join(wrong))

        # Completed with the instructor's answers: Validate passes.
        solution = read(source_root / "solutions" / assignment / name)
        completed_nb = fill_answers(release, solution)
        lab.write_notebook(path, completed_nb)
        jl.open_notebook(page, lab.url, path, len(completed_nb.cells))
        completed = jl.validate_notebook(page)
        assert completed.outcome == "success", (
            f"{path} with the instructor's answers: Validate says {completed.outcome}:\n"
            f"{completed.text[:3000]}")
        assert "Success! Your notebook passes all the tests." in completed.text
        lab.shutdown_kernels()

    page.console.assert_clean()
