"""Every student assignment in assignments/, as the student opens it and presses Validate.

For each assignment the instructor wrote in solutions/, its release must be in assignments/.
The untouched release opens cleanly (Python 3 kernel, no dialog) and nbgrader's Validate button
reports failing tests, every one of them failing on the `raise NotImplementedError()` the release
left in the answer cells (never an ImportError, a NameError or a validator crash) and unanswered
written answers reported as such; the same notebook with the instructor's answers typed in
validates with "Success!".
"""

from __future__ import annotations

import re

import lab_page as jl
import pytest
from course_files import (
    assignment_notebooks,
    fill_answers,
    is_test,
    is_written_answer,
    kernelspec_problem,
    read,
)

NOT_ATTEMPTED = "NotImplementedError"
NO_RESPONSE = "You did not provide a response."
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\w*)\b")


def final_exception(error: str) -> str:
    """The exception a failing cell ended with: the name on the traceback's last line."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    if not lines:
        return "(no error text)"
    if lines[-1] == NO_RESPONSE:
        return NO_RESPONSE
    match = EXCEPTION_LINE.match(lines[-1])
    return match.group(1) if match else lines[-1]


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
        tests = [c for c in release.cells if is_test(c)]
        written = [c for c in release.cells if is_written_answer(c)]
        assert tests, f"{path} has no graded test cells"
        endings = [final_exception(error) for _, error in untouched.failures]
        wrong = [f"{ending}\n{error}" for ending, (_, error) in zip(endings, untouched.failures,
                                                                     strict=True)
                 if ending not in (NOT_ATTEMPTED, NO_RESPONSE)]
        assert not wrong, (f"{path}: test cells fail for another reason than a missing answer "
                           "(an import error or a test relying on solution code?):\n"
                           + "\n---\n".join(wrong))
        not_attempted = endings.count(NOT_ATTEMPTED)
        unanswered = endings.count(NO_RESPONSE)
        assert not_attempted == len(tests), (
            f"{path}: {len(tests)} test cells, {not_attempted} reported failing on "
            "NotImplementedError")
        assert unanswered == len(written), (
            f"{path}: {len(written)} written answers, {unanswered} reported unanswered")

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
