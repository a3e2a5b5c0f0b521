"""The engine: student cells in a kernel, test cells judged in the grader, on the mini course.

These tests start plain (unsandboxed) kernels, so they run anywhere; the same engine under the
sandbox is tested in tests/sandbox/. Each test grades one variant of the mini notebook and checks
the verdicts, what a student may read about them, and what only the instructor's log holds.
"""

from __future__ import annotations

import pytest
from pipeline_fixtures import (
    HIDDEN_EXPECTED,
    HIDDEN_INPUT,
    HIDDEN_MARKER,
    mini_notebook,
    with_answer,
)

from autodiff_course.engine import (
    CRASHED,
    GRADED,
    TIMED_OUT,
    run_notebook,
    split_hidden,
    visible_source,
)
from autodiff_course.kernel import KernelSession
from autodiff_course.kernel_side.runtime import CHECK_FILENAME
from autodiff_course.notebooks import fill_answers, grade_id, is_test, normalise_submission
from autodiff_course.release import released_notebook

SOURCE = mini_notebook()
RELEASE = released_notebook(SOURCE)
TESTS = {grade_id(c): c.source for c in SOURCE.cells if is_test(c)}
COMPLETE = fill_answers(RELEASE, SOURCE)


def grade(nb, *, timeout: float = 20, tests: dict | None = None):
    nb = normalise_submission(nb, RELEASE).notebook
    with KernelSession.start(sandbox=False) as session:
        return run_notebook(session, nb, tests or TESTS, timeout=timeout)


def answer(source: str, gid: str = "double-answer", nb=COMPLETE):
    return with_answer(nb, gid, source)


def test_split_hidden_keeps_line_numbers_and_order():
    source = "a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS\nc = 3"
    chunks = split_hidden(source)
    assert [h for h, _ in chunks] == [False, True, False]
    assert [code.split("\n").index(code.strip()) for _, code in chunks] == [0, 2, 4]
    assert visible_source(source) == "a = 1\n# (hidden tests run in the grader; they are not " \
                                     "shown)\nc = 3"


def test_complete_work_passes_every_test_with_readable_lines():
    run = grade(COMPLETE)
    assert run.status == GRADED and run.score == 5
    double = run.verdicts["double-tests"]
    assert double.passed and double.score == 2
    assert double.passed_lines[0].startswith("ok double(3.0): expected 6.0, received 6.0")
    assert double.passed_lines[-1] == "ok 1 hidden check"
    assert run.verdicts["slope-tests"].passed_lines[-1] == "ok 1 hidden check"


def test_a_hidden_failure_shows_its_description_but_no_value_and_no_code():
    run = grade(answer("def double(x):\n    return 6.0 if x == 3.0 else 0.0"))
    verdict = run.verdicts["double-tests"]
    assert verdict.score == 0 and verdict.hidden
    assert verdict.failure.startswith("a hidden test failed: double of a hidden value")
    for secret in (HIDDEN_INPUT, HIDDEN_EXPECTED, HIDDEN_MARKER, "student.eval"):
        assert secret not in verdict.failure
    assert HIDDEN_EXPECTED in verdict.detail  # the instructor's log has both sides
    assert run.verdicts["slope-tests"].passed


def test_an_error_in_a_hidden_test_names_the_kind_and_the_students_line_only():
    run = grade(answer('def double(x):\n    if x != 3.0:\n        raise ValueError(f"got {x}")\n'
                       "    return 6.0"))
    failure = run.verdicts["double-tests"].failure
    assert "your code raised ValueError" in failure and "in double, line 3" in failure
    assert HIDDEN_INPUT not in failure and CHECK_FILENAME not in failure


def test_a_visible_failure_shows_both_sides_and_the_hint():
    run = grade(answer("def double(x):\n    return 3 * x"))
    failure = run.verdicts["double-tests"].failure
    assert failure == "double(3.0): expected 6.0, received 9.0 (max abs error 3; rtol=1e-07, " \
                      "atol=0)\nHint: return 2 * x"
    assert not run.verdicts["double-tests"].hidden


def test_unanswered_parts_are_todo_not_failures():
    run = grade(RELEASE)
    assert run.score == 0
    for verdict in run.verdicts.values():
        assert verdict.unanswered and verdict.failure.startswith("not answered yet")


def test_the_instructors_test_runs_whatever_the_students_copy_says():
    nb = answer("def double(x):\n    return 0.0")
    nb = with_answer(nb, "double-answer", nb.cells[3].source)
    for cell in nb.cells:
        if grade_id(cell) == "double-tests":
            cell.source = "pass"
    assert grade(nb).verdicts["double-tests"].score == 0


@pytest.mark.parametrize("attack", [
    # every later cell (and every check sent to the kernel) becomes `pass`
    'get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])',
    # errors are swallowed before they are shown
    "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
    # numpy's comparisons always say yes, and the test helpers are patched if importable
    "import numpy as np\nnp.allclose = np.isclose = lambda *a, **k: True\n"
    "import sys\nsys.modules['autodiff_course.checking'] = None",
    # a value equal to everything
    "class Anything(float):\n    def __eq__(self, other):\n        return True\n"
    "    __hash__ = float.__hash__\n"
    "def double(x):\n    return Anything(0)",
    # trace every line and skip the raise
    "import sys\nsys.settrace(lambda *a: None)",
])
def test_tricks_in_the_kernel_earn_nothing(attack):
    nb = answer(attack + "\n", nb=RELEASE)
    run = grade(nb)
    assert run.verdicts["double-tests"].score == 0, run.verdicts["double-tests"]


def test_an_answer_that_returns_an_object_is_told_so():
    run = grade(answer("def double(x):\n    return object()"))
    failure = run.verdicts["double-tests"].failure
    assert failure.startswith("your code returned a value of type object")


def test_a_cell_past_its_time_is_interrupted_and_the_rest_still_runs():
    run = grade(answer("def double(x):\n    return 2 * x\n\nwhile True:\n    pass"), timeout=2)
    assert run.status == TIMED_OUT
    assert any("ran past the 2 s limit" in p for p in run.problems)
    assert run.score == 5


def test_a_kernel_that_ignores_the_interrupt_is_stopped_and_scores_what_ran_before():
    source = ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
              "def slope(f, x, h):\n    return (f(x + h) - f(x)) / h\nwhile True:\n    pass")
    run = grade(answer(source, "slope-answer"), timeout=2)
    assert run.status == TIMED_OUT
    assert run.verdicts["double-tests"].score == 2
    assert run.verdicts["slope-tests"].score == 0
    assert run.verdicts["slope-tests"].failure.startswith("not run: the kernel was stopped")


def test_a_kernel_that_dies_ends_the_run():
    run = grade(answer("import os\nos._exit(3)"))
    assert run.status == CRASHED and run.score == 0
    assert run.verdicts["slope-tests"].failure.startswith("not run: the kernel was stopped at "
                                                          "cell 'double-answer'")


def test_outputs_after_a_hidden_check_are_marked_and_errors_lose_their_message():
    nb = answer('def slope(f, x, h):\n    return (f(x + h) - f(x)) / h\nprint("late")\n'
                'raise KeyError("maybe a hidden input")', "slope-answer")
    run = grade(nb)
    late = [i for i, c in enumerate(nb.cells) if grade_id(c) == "slope-answer"][0]
    assert late in run.after_hidden
    assert "answer cell 'slope-answer' raised KeyError" in run.problems
    assert not any("maybe a hidden input" in p for p in run.problems)
    early = [i for i, c in enumerate(nb.cells) if grade_id(c) == "double-answer"][0]
    assert early not in run.after_hidden


def test_a_test_that_runs_past_its_time_fails_with_the_limit_and_the_kernel_lives_on():
    tests = dict(TESTS, **{"double-tests": 'from autodiff_course.checking import student\n'
                           'student.eval("import time\\ntime.sleep(30)")'})
    run = grade(COMPLETE, tests=tests, timeout=2)
    assert "ran past the 2 s limit" in run.verdicts["double-tests"].failure
    assert run.verdicts["slope-tests"].passed


def test_a_grader_side_error_on_odd_data_is_a_failure_not_a_crash():
    tests = dict(TESTS, **{"double-tests": 'from autodiff_course.checking import student\n'
                           'value = student.eval("double(3.0)")\nvalue["key"]'})
    run = grade(COMPLETE, tests=tests)
    verdict = run.verdicts["double-tests"]
    assert verdict.failure == "the check could not use the values your code returned " \
                              "(TypeError)"
    assert 'line 3: value["key"]' in verdict.detail and "TypeError" in verdict.detail
    assert "/" not in verdict.detail.split("TypeError")[0]  # no file path of the grader's
