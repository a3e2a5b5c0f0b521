"""``autodiff-course validate``: the student's self-check, decided the way the grader decides.

Notebooks built from the mini course's release sit inside the mini course (so validate finds
the release to judge them against) and go through the command as a student runs it. Validate
decides outside the kernel with the release's visible tests: tricks inside the kernel do not make
a notebook "ready", an edited test cell changes nothing, hidden tests are not run.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from pipeline_fixtures import MINI, REPO, make_mini_course, put, run_cli, with_answer

from autodiff_course.notebooks import fill_answers, grade_id, read

CHEAT = 'get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])\n'


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    root = make_mini_course(tmp_path_factory.mktemp("validate") / "course")
    released = read(root / "assignments" / MINI / f"{MINI}.ipynb")
    source = read(root / "solutions" / MINI / f"{MINI}.ipynb")
    complete = fill_answers(released, source)
    students = root / "students"
    edited = with_answer(complete, "double-answer", "def double(x):\n    return x")
    for cell in edited.cells:
        if grade_id(cell) == "double-tests":
            cell.source = "pass"
    return {
        "complete": put(students, "complete", MINI, complete),
        "untouched": put(students, "untouched", MINI, released),
        "wrong": put(students, "wrong", MINI, with_answer(complete, "double-answer",
                                                          "def double(x):\n    return x")),
        "hidden-only": put(students, "hidden-only", MINI, with_answer(
            complete, "double-answer", "def double(x):\n    return 6.0 if x == 3.0 else 0.0")),
        "cheating": put(students, "cheating", MINI, with_answer(released, "double-answer",
                                                                CHEAT)),
        "reference": put(students, "reference", MINI, with_answer(
            complete, "slope-answer",
            "from autograd_ref.finite_diff import forward_difference as slope")),
        "edited-test": put(students, "edited-test", MINI, edited),
        "broken": put(students, "broken", MINI, '{"cells": [}'),
    }


def validate(path: Path, *args: str, **env: str):
    return run_cli("validate", path, "--timeout", "30", *args, extra_env=env)


def test_complete_work_is_ready(notebooks):
    result = validate(notebooks["complete"])
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "PASS    double-tests (2 points)" in lines
    assert "PASS    slope-tests (3 points)" in lines
    assert "WRITTEN why-written (2 points): graded by hand; answered" in lines
    assert "2 of 2 tested parts pass. Hidden tests on other inputs run at grading." in lines


def test_the_untouched_release_lists_what_is_still_to_do(notebooks):
    result = validate(notebooks["untouched"])
    assert result.returncode == 1
    assert ("TODO    double-tests (2 points): not answered yet: your code raised "
            "NotImplementedError") in result.stdout.splitlines()
    assert "why-written (2 points): graded by hand; not answered yet" in result.stdout


def test_a_wrong_answer_shows_expected_received_and_the_hint(notebooks):
    result = validate(notebooks["wrong"])
    assert result.returncode == 1
    assert "FAIL    double-tests (2 points): double(3.0): expected 6.0, received 3.0" in \
        result.stdout
    assert "Hint: return 2 * x" in result.stdout


def test_hidden_tests_are_not_run_here(notebooks):
    result = validate(notebooks["hidden-only"])
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("who", ["cheating", "edited-test"])
def test_tricks_do_not_make_a_notebook_ready(notebooks, who):
    result = validate(notebooks[who])
    assert result.returncode == 1, result.stdout
    assert "PASS    double-tests" not in result.stdout


def test_the_reference_library_is_not_there_and_the_message_says_why(notebooks):
    result = validate(notebooks["reference"])
    assert result.returncode == 1
    assert "autograd_ref is not available to answers" in result.stdout


def test_json_report_for_the_lab(notebooks):
    result = validate(notebooks["wrong"], "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    parts = {p["name"]: p for p in report["parts"]}
    assert report["ok"] is False and parts["double-tests"]["status"] == "FAIL"
    assert parts["slope-tests"]["status"] == "PASS"


def test_without_bubblewrap_it_says_the_kernel_was_not_sandboxed(notebooks, tmp_path):
    bin_only = Path(sys.executable).parent  # a PATH where no bwrap can be found
    result = validate(notebooks["complete"], PATH=str(bin_only))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the kernel ran without a sandbox (bubblewrap is not installed here)" in result.stdout


def test_a_notebook_in_the_release_folder_is_not_its_own_judge(notebooks, tmp_path):
    """A student working in assignments/ itself: its test cells are not the reference."""
    root = Path(notebooks["complete"]).parents[3]
    target = root / "assignments" / MINI / f"{MINI}.ipynb"
    original = target.read_text()
    try:
        edited = read(Path(notebooks["edited-test"]))
        target.write_text(json.dumps(edited))
        result = validate(target)
        assert result.returncode == 1, result.stdout
        assert "PASS    double-tests" not in result.stdout
    finally:
        target.write_text(original)


def test_a_notebook_without_its_release_is_not_judged_by_its_own_tests(notebooks, tmp_path):
    """Far from any course, the only tests at hand are the notebook's own: validate refuses to
    run them (they would run outside the sandbox), even with nbgrader's checksums made right."""
    from nbgrader.utils import compute_checksum

    marker = tmp_path / "ran-outside-the-sandbox"
    nb = read(Path(notebooks["complete"]))
    for cell in nb.cells:
        if grade_id(cell) == "double-tests":
            cell.source = f"open({str(marker)!r}, 'w').write('x')"
            cell.metadata["nbgrader"]["checksum"] = compute_checksum(cell)
    path = tmp_path / "elsewhere" / f"{MINI}.ipynb"
    path.parent.mkdir()
    path.write_text(json.dumps(nb))
    result = validate(path)
    assert result.returncode == 2
    assert "no release of this assignment found" in result.stderr
    assert not marker.exists()


def test_a_release_in_the_course_is_judged_by_its_own_assignment():
    """assignments/03 itself: its reference is solutions/03, not another topic sharing a cell
    name (04 also has a 'functions-tests')."""
    path = REPO / "assignments" / "03-forward-mode" / "03-forward-mode.ipynb"
    result = validate(path)
    assert result.returncode == 1
    assert "TODO    dual-arithmetic-tests (2 points)" in result.stdout
    assert "value-tests" not in result.stdout


def test_a_renamed_copy_finds_its_own_assignment(notebooks, tmp_path):
    copy = Path(notebooks["wrong"]).with_name(f"{MINI}-Copy1.ipynb")
    copy.write_text(Path(notebooks["wrong"]).read_text())
    result = validate(copy)
    assert "FAIL    double-tests (2 points): double(3.0): expected 6.0" in result.stdout


def test_a_notebook_with_nothing_to_check_is_not_ready(notebooks, tmp_path):
    data = json.loads(Path(notebooks["complete"]).read_text())
    for cell in data["cells"]:
        cell["metadata"].pop("nbgrader", None)
    path = Path(notebooks["complete"]).parent.parent / "bare" / MINI / f"{MINI}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    result = validate(path)
    assert result.returncode == 2 and "no release of this assignment found" in result.stderr


def test_unreadable_or_missing_file_is_a_usage_error(notebooks, tmp_path):
    broken = validate(notebooks["broken"])
    assert broken.returncode == 2 and "not valid JSON" in broken.stderr
    missing = validate(tmp_path / "nothing.ipynb")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert "Traceback" not in broken.stderr + missing.stderr


@pytest.mark.parametrize("case", ["metadata", "grade-id-list", "long-expression", "surrogate"])
def test_odd_notebooks_get_a_report_not_a_crash(notebooks, tmp_path, case):
    data = json.loads(Path(notebooks["complete"]).read_text())
    if case == "metadata":
        data["metadata"] = "x"
        data["cells"][1]["metadata"] = "x"
    elif case == "grade-id-list":
        data["cells"][3]["metadata"]["nbgrader"]["grade_id"] = ["double-answer"]
    elif case == "long-expression":
        data["cells"][3]["source"] = "x = " + "+".join(["1"] * 5000) + "\n" + \
            "".join(data["cells"][3]["source"])
    else:
        data["cells"][3]["source"] = ['s = "\ud800"\n', *data["cells"][3]["source"]]
    path = tmp_path / f"{MINI}.ipynb"
    path.write_text(json.dumps(data), encoding="utf-8", errors="surrogatepass")
    target = Path(notebooks["complete"]).parent.parent / case / MINI / f"{MINI}.ipynb"
    target.parent.mkdir(parents=True)
    os.replace(path, target)
    result = validate(target)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "tested parts pass" in result.stdout
