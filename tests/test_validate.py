"""``autodiff-course validate``: the student's self-check exits non-zero when a visible test fails.

Runs the command (a subprocess, as a student would) on notebooks built from the mini course's
release: complete work passes, the untouched release fails, work the autograder would flag
fails with the reason, an unreadable file is a usage error.
"""

from __future__ import annotations

import pytest
from pipeline_fixtures import MINI, make_mini_course, put, run_cli, with_answer

from autodiff_course.notebooks import fill_answers, read
from autodiff_course.release import release


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    base = tmp_path_factory.mktemp("validate")
    root = make_mini_course(base / "course")
    folder = release(root, [MINI], log=lambda _: None)[0]
    released = read(folder / f"{MINI}.ipynb")
    source = read(root / "solutions" / MINI / f"{MINI}.ipynb")
    complete = fill_answers(released, source)
    return {
        "complete": put(base, "complete", MINI, complete),
        "untouched": put(base, "untouched", MINI, released),
        "wrong": put(base, "wrong", MINI, with_answer(complete, "double-answer",
                                                      "def double(x):\n    return x")),
        "flagged": put(base, "flagged", MINI, with_answer(
            complete, "slope-answer",
            "from autograd_ref.finite_diff import forward_difference as slope")),
        "broken": put(base, "broken", MINI, '{"cells": [}'),
    }


def test_complete_work_passes(notebooks):
    result = run_cli("validate", notebooks["complete"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS double-tests" in result.stdout and "PASS slope-tests" in result.stdout
    assert "ready to submit" in result.stdout


def test_untouched_release_fails_with_todo_list(notebooks):
    result = run_cli("validate", notebooks["untouched"])
    assert result.returncode == 1
    assert "FAIL double-tests (2 points): NotImplementedError" in result.stdout
    assert "TODO double-answer" in result.stdout and "TODO why-written" in result.stdout


def test_wrong_answer_shows_expected_and_received(notebooks):
    result = run_cli("validate", notebooks["wrong"])
    assert result.returncode == 1
    assert "expected 6.0, received 3.0" in result.stdout
    assert "Hint: return 2 * x" in result.stdout


def test_work_the_autograder_would_flag_fails(notebooks):
    result = run_cli("validate", notebooks["flagged"])
    assert result.returncode == 1
    assert "FLAG cell 'slope-answer'" in result.stdout and "autograd_ref" in result.stdout


def test_unreadable_or_missing_file_is_a_usage_error(notebooks, tmp_path):
    broken = run_cli("validate", notebooks["broken"])
    assert broken.returncode == 2 and "not valid JSON" in broken.stderr
    missing = run_cli("validate", tmp_path / "nothing.ipynb")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
