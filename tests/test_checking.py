"""What test cells are written with (checking.py) and the local probe runtime behind it.

The ``expect_*`` functions decide pass or fail in the grader's process, so their messages (full
for visible tests, redacted for hidden ones) and their refusal of values that are not numbers
matter. ``student.eval`` is exercised twice: in local mode, against a real IPython shell (the
student's own JupyterLab), and through ``checking.current_session`` with a fake session that
returns canned payloads (what the grader's kernel session would hand back).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from autodiff_course import checking
from autodiff_course.checking import (
    CheckFailed,
    StudentError,
    expect_close,
    expect_equal,
    expect_raises,
    expect_true,
    student,
)
from autodiff_course.kernel_side import codec, runtime

# ---------------------------------------------------------------------------------------------
# CheckFailed


def test_full_message_has_both_sides_and_the_hint():
    err = CheckFailed("f(1)", 0.5403023058681398, 0.8414709848078965, " (rtol=1e-06)",
                      "Divide by h.")
    text = err.full()
    assert text.startswith("f(1): expected 0.5403023058681398, received 0.8414709848078965")
    assert "(rtol=1e-06)" in text
    assert text.endswith("\nHint: Divide by h.")
    assert str(err) == text
    assert isinstance(err, AssertionError)


def test_full_without_sides():
    err = CheckFailed("error decreases", detail="not satisfied", sides=False)
    assert err.full() == "error decreases: not satisfied"
    assert err.redacted() == "error decreases: not satisfied"


def test_redacted_keeps_what_but_no_values():
    err = CheckFailed("hidden case", 123.456789, 987.654321, " (max abs error nan; rtol=1e-07)",
                      hint="Look at the loop.")
    text = err.redacted()
    assert text == "hidden case: not the expected value"
    assert "123.45" not in text and "987.65" not in text
    assert "Hint" not in text and "loop" not in text
    assert "123.456789" in err.full() and "987.654321" in err.full()


def test_redacted_shape_mismatch_gives_away_no_shape():
    with pytest.raises(CheckFailed) as info:
        expect_close([1.0, 2.0], [1.0, 2.0, 3.0], "hidden case")
    assert info.value.redacted() == "hidden case: not the expected value"
    assert "expected shape (3,)" in info.value.full()


def test_redacted_of_expect_equal_is_only_the_description():
    with pytest.raises(CheckFailed) as info:
        expect_equal([31415, "secret-received"], [27182, "secret-expected"], "hidden pair")
    assert info.value.redacted() == "hidden pair: not the expected value"
    assert "27182" in info.value.full() and "secret-received" in info.value.full()


@pytest.mark.parametrize("received, expected", [
    (0.8414709848078965, 0.5403023058681398),
    ([1.2345678, 2.0], [7.6543219, 2.0]),
    (np.array([[9.87654, 1.0]]), np.array([[1.23456, 1.0]])),
])
def test_redacted_expect_close_never_contains_either_value(received, expected):
    with pytest.raises(CheckFailed) as info:
        expect_close(received, expected, "hidden values", rtol=1e-9, hint="secret hint")
    text = info.value.redacted()
    assert text.startswith("hidden values")
    for side in (received, expected):
        for v in np.ravel(side):
            if v not in (1.0, 2.0):
                assert repr(float(v))[:5] not in text, (v, text)
    assert "secret hint" not in text
    assert str(float(np.ravel(expected)[0]))[:5] in info.value.full()


def test_redacted_does_not_reveal_the_expected_value_through_the_error_size():
    # A student who returns 0.0 for a hidden check reads back |expected| from "max abs error":
    # the redacted message then carries the hidden expected value to three digits.
    with pytest.raises(CheckFailed) as info:
        expect_close(0.0, 0.5403023058681398, "hidden derivative")
    assert "0.54" not in info.value.redacted()


# ---------------------------------------------------------------------------------------------
# expect_close


def test_expect_close_passes_within_tolerance_and_prints_ok(capsys):
    expect_close(1.0 + 1e-9, 1.0, "near one", rtol=1e-7)
    expect_close([1.0, 2.0], np.array([1.0, 2.0 + 1e-12]), "pair")
    expect_close(1e-9, 0.0, "tiny", atol=1e-8)
    expect_close([math.nan, 1.0], [math.nan, 1.0], "nan in the same place")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "ok near one: expected 1.0, received 1.000000001"
    assert out[1].startswith("ok pair: expected [1., 2.], received [1., 2.]")
    assert len(out) == 4 and all(line.startswith("ok ") for line in out)


def test_passing_lines_go_to_the_reporter_when_one_is_set(capsys):
    lines: list[str] = []
    token = checking.current_reporter.set(lines.append)
    try:
        expect_close(0.5, 0.5, "half")
        expect_equal((1, 2), (1, 2), "pair")
        expect_true(True, "a property")
    finally:
        checking.current_reporter.reset(token)
    assert lines == ["ok half: expected 0.5, received 0.5", "ok pair: expected [1, 2], received "
                     "[1, 2]", "ok a property"]
    assert capsys.readouterr().out == ""
    expect_true(True, "printed again")
    assert capsys.readouterr().out == "ok printed again\n"


def test_a_failure_reports_nothing(capsys):
    lines: list[str] = []
    token = checking.current_reporter.set(lines.append)
    try:
        with pytest.raises(CheckFailed):
            expect_close(1.0, 2.0, "wrong")
    finally:
        checking.current_reporter.reset(token)
    assert lines == [] and capsys.readouterr().out == ""


def test_expect_close_failure_message():
    with pytest.raises(CheckFailed) as info:
        expect_close(0.8414709848078965, 0.5403023058681398, "f(1)", rtol=1e-6, hint="Use cos.")
    text = info.value.full()
    assert text.startswith("f(1): expected 0.5403023058681398, received 0.8414709848078965")
    assert "max abs error 0.301" in text and "rtol=1e-06" in text
    assert text.endswith("Hint: Use cos.")


def test_expect_close_none_asks_about_a_missing_return():
    with pytest.raises(CheckFailed) as info:
        expect_close(None, 1.0, "g(2)")
    assert "forget to return" in info.value.full()


@pytest.mark.parametrize("received, kind", [
    ("abc", "str"),
    ({"a": 1}, "dict"),
    ([[1.0], [1.0, 2.0]], "list"),  # ragged
    ([1.0, "x"], "list"),
    (1 + 2j, "complex"),
    ({1.0}, "set"),
])
def test_expect_close_refuses_values_that_are_not_numbers(received, kind):
    with pytest.raises(CheckFailed) as info:
        expect_close(received, 1.0, "value")
    assert f"a {kind}, not a number" in info.value.full()


@pytest.mark.parametrize("received, expected", [
    ("1.5", 1.5), (["1.5", "2"], [1.5, 2.0]), (np.array(["1.5"]), [1.5]), ([b"2"], [2.0]),
], ids=["str", "list of str", "str array", "list of bytes"])
def test_expect_close_refuses_numeric_strings(received, expected):
    # a function that returns str(x) did not return a number; numpy converts "1.5" to 1.5
    with pytest.raises(CheckFailed):
        expect_close(received, expected, "value")


@pytest.mark.parametrize("received, expected", [
    ([1.0, 2.0, 3.0], [1.0, 2.0]),
    ([[1.0, 2.0]], [1.0, 2.0]),
    (1.0, [1.0]),
    (np.zeros((2, 3)), np.zeros((3, 2))),
])
def test_expect_close_shape_mismatch(received, expected):
    with pytest.raises(CheckFailed) as info:
        expect_close(received, expected, "shape")
    text = info.value.full()
    assert f"shape {np.shape(received)}, expected shape {np.shape(expected)}" in text


@pytest.mark.parametrize("received, expected, err", [
    ([math.nan, math.nan], [1.0, 2.0], "nan"),
    ([math.nan], [1.0], "nan"),
    (math.inf, 1.0, "inf"),
    ([math.inf, 1.0], [-math.inf, 1.0], "inf"),
    ([1.0, math.nan], [1.5, 2.0], "0.5"),
    (1e308, math.inf, "inf"),
    (1.0, math.nan, "nan"),
])
def test_expect_close_odd_differences_fail_cleanly_without_warnings(received, expected, err):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CheckFailed) as info:
            expect_close(received, expected, "odd")
    assert f"max abs error {err}" in info.value.full()


def test_expect_close_huge_opposite_values_fail_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CheckFailed) as info:
            expect_close(1e308, -1e308, "overflowing difference")
    assert "max abs error inf" in info.value.full()


def test_expect_close_empty_arrays_pass():
    expect_close([], np.zeros(0), "empty")
    with pytest.raises(CheckFailed):
        expect_close([], np.zeros(1), "empty vs one")


# ---------------------------------------------------------------------------------------------
# expect_equal, expect_true, expect_raises


@pytest.mark.parametrize("value", [
    [np.array([1, 2]), np.array([[3.0]])],
    (np.arange(3), "a", (np.ones(2),)),
    {"w": np.eye(2), "b": [np.zeros(1), 2]},
    {"nested": {"deep": (np.array([True, False]),)}},
    np.array([1.5, 2.5]),
    "text",
    {1: 2, (3, 4): [5]},
])
def test_expect_equal_arrays_inside_containers(value, capsys):
    expect_equal(value, value, "same")
    assert capsys.readouterr().out.startswith("ok same: expected ")


@pytest.mark.parametrize("received, expected", [
    ([np.array([1, 2])], [np.array([1, 3])]),
    ({"w": np.eye(2)}, {"w": np.zeros((2, 2))}),
    ({"w": np.eye(2)}, {"v": np.eye(2)}),
    ((np.arange(2), 1), (np.arange(2), 2)),
    ([np.arange(2)], [np.arange(3)]),
    ([1, 2], (1, 2)),
    ((1, 2), [1, 2]),
    ([(1, 2)], [[1, 2]]),
    ({"k": [1]}, {"k": (1,)}),
    ([1, 2], [1, 2, 3]),
    (np.array([1, 2]), np.array([[1, 2]])),
    (np.array([1, 2]), "x"),
    ({1, 2}, [1, 2]),
    (math.nan, math.nan),
])
def test_expect_equal_differences(received, expected):
    with pytest.raises(CheckFailed):
        expect_equal(received, expected, "differs")


def test_expect_equal_list_and_tuple_message_shows_both():
    with pytest.raises(CheckFailed) as info:
        expect_equal([1, 2], (1, 2), "order", hint="Return a tuple.")
    text = info.value.full()
    assert text.startswith("order: expected [1, 2], received [1, 2]")
    assert text.endswith("Hint: Return a tuple.")


def test_expect_true(capsys):
    expect_true(True, "yes")
    expect_true(np.array([True, True]), "all true")
    expect_true(1, "truthy")
    assert capsys.readouterr().out == "ok yes\nok all true\nok truthy\n"
    for condition in (False, 0, None, np.array([True, False]), np.array([]), []):
        with pytest.raises(CheckFailed) as info:
            expect_true(condition, "the error decreases", hint="Shrink h.")
        assert info.value.full() == "the error decreases: not satisfied\nHint: Shrink h."


# ---------------------------------------------------------------------------------------------
# student.eval in local mode, against a real IPython shell


@pytest.fixture(scope="module")
def ipython():
    existed = InteractiveShell.initialized()
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    yield shell, dict(shell.user_ns)
    runtime.begin()
    if not existed:
        InteractiveShell.clear_instance()


@pytest.fixture
def shell(ipython):
    """The shell with the names a fresh one has (and nothing a previous test defined)."""
    shell, names = ipython
    shell.user_ns.clear()
    shell.user_ns.update(names)
    run(shell, "pass")  # a new cell: a fresh scratch namespace
    assert checking.current_session.get() is None
    return shell


def run(shell, source: str) -> None:
    result = shell.run_cell(source, store_history=False)
    assert result.success, result.error_in_exec or result.error_before_exec


def test_eval_sees_the_notebook_names(shell):
    run(shell, "value = 41\ndef double(x):\n    return 2 * x\n")
    assert student.eval("value + 1") == 42
    assert student.eval("double(h)", h=2.5) == 5.0
    assert student.eval("[double(v) for v in (1, 2)]") == [2, 4]


def test_eval_returns_plain_data_with_its_types(shell):
    run(shell, "import numpy\nw = numpy.arange(6.0).reshape(2, 3)\n")
    back = student.eval("(w, {'n': w.shape}, {1, 2}, 1 + 2j, numpy.float32(0.5))")
    assert type(back) is tuple
    assert type(back[0]) is np.ndarray and back[0].shape == (2, 3)
    assert back[1] == {"n": (2, 3)}
    assert back[2] == {1, 2} and back[3] == 1 + 2j
    assert type(back[4]) is np.float32


def test_eval_statements_only_return_none(shell):
    assert student.eval("x = 1") is None
    assert student.eval("") is None


def test_eval_uses_the_real_math_and_numpy(shell):
    run(shell, "np = 'not numpy'\nmath = None\n")
    assert student.eval("np.__name__") == "numpy"
    assert student.eval("math.pi") == math.pi
    assert student.eval("float(np.sin(0.5))") == math.sin(0.5)
    assert shell.user_ns["np"] == "not numpy" and shell.user_ns["math"] is None


def test_eval_of_a_student_object_is_not_plain_data(shell):
    run(shell, "class Dual:\n    def __eq__(self, other):\n        return True\n")
    with pytest.raises(StudentError) as info:
        student.eval("Dual()")
    assert info.value.types[0] == "NotPlainData"
    assert info.value.kind == "NotPlainData"
    assert "Dual" in info.value.message
    for code in ("lambda x: x", "[1, Dual()]", "print"):
        with pytest.raises(StudentError) as info:
            student.eval(code)
        assert info.value.types == ["NotPlainData"]


def test_eval_exception_types_list_the_mro(shell):
    run(shell, "class MyError(ValueError):\n    pass\n"
               "def f(x):\n    raise MyError('bad input ' + str(x))\n")
    with pytest.raises(StudentError) as info:
        student.eval("f(3)")
    err = info.value
    assert err.types[:4] == ["MyError", "ValueError", "Exception", "BaseException"]
    assert err.kind == "MyError"
    assert err.message.startswith("MyError: bad input 3")
    assert "raise MyError" in err.message  # the student's own line is quoted


@pytest.mark.parametrize("code, kind", [
    ("1 / 0", "ZeroDivisionError"),
    ("undefined_name_here", "NameError"),
    ("raise NotImplementedError()", "NotImplementedError"),
    ("import sys; sys.exit(3)", "SystemExit"),
    ("[][1]", "IndexError"),
])
def test_eval_builtin_exceptions(shell, code, kind):
    with pytest.raises(StudentError) as info:
        student.eval(code)
    assert info.value.kind == kind and kind in info.value.types


def test_eval_error_text_never_quotes_the_check(shell):
    run(shell, "def g(x):\n    return x / 0\n")
    code = "checks_own_marker_817 = 5\ng(checks_own_marker_817 + 99173)"
    with pytest.raises(StudentError) as info:
        student.eval(code)
    text = info.value.message
    assert "ZeroDivisionError" in text and "return x / 0" in text
    assert "checks_own_marker_817" not in text and "99173" not in text
    assert runtime.CHECK_FILENAME not in text
    for code in ("secret_expr_55 = (1 +", "total = 42424242 + undefined_thing"):
        with pytest.raises(StudentError) as info:
            student.eval(code)
        assert "secret_expr_55" not in info.value.message
        assert "42424242" not in info.value.message


def test_scratch_namespace_lives_for_one_cell(shell):
    run(shell, "base = 10\n")
    assert student.eval("helper = base + 1\nhelper") == 11
    assert student.eval("helper * 2") == 22  # same cell: the helper is still there
    run(shell, "pass")  # the next cell
    with pytest.raises(StudentError) as info:
        student.eval("helper")
    assert info.value.kind == "NameError"
    assert student.eval("base") == 10


def test_scratch_namespace_sees_names_defined_in_later_cells(shell):
    assert student.error("later_name") is not None
    run(shell, "later_name = 'defined'\n")
    assert student.eval("later_name") == "defined"


def test_eval_never_writes_into_the_user_namespace(shell):
    before = set(shell.user_ns)
    student.eval("scratch_only = 1\nimport os\ndef helper_fn():\n    return 1\nhelper_fn()")
    student.eval("h * 2", h=3)
    student.eval("np.pi")
    for name in ("scratch_only", "os", "helper_fn", "h"):
        assert name not in shell.user_ns
    assert set(shell.user_ns) == before
    assert "np" not in shell.user_ns and "math" not in shell.user_ns


def test_inputs_are_copies_of_plain_data(shell):
    run(shell, "def append_one(xs):\n    xs.append(1)\n    return xs\n")
    given = [0]
    assert student.eval("append_one(xs)", xs=given) == [0, 1]
    assert given == [0]


def test_student_error_returns_none_for_clean_code_and_non_plain_values(shell):
    run(shell, "class Box:\n    pass\n")
    assert student.error("1 + 1") is None
    assert student.error("Box()") is None
    err = student.error("int('x')")
    assert isinstance(err, StudentError) and err.kind == "ValueError"


def test_expect_raises_locally(shell, capsys):
    run(shell, "class ShapeError(ValueError):\n    pass\n"
               "def check(n):\n    if n < 0:\n        raise ShapeError('negative')\n"
               "    return n\n")
    expect_raises(ValueError, "check(-1)", "negative sizes are refused")
    expect_raises("ShapeError", "check(n)", "by name", inputs={"n": -2})
    assert capsys.readouterr().out == ("ok negative sizes are refused: raised ShapeError\n"
                                       "ok by name: raised ShapeError\n")
    with pytest.raises(CheckFailed) as info:
        expect_raises(ValueError, "check(1)", "no error")
    assert info.value.full() == "no error: expected 'ValueError raised', received 'no exception'"
    with pytest.raises(CheckFailed) as info:
        expect_raises(TypeError, "check(-1)", "wrong kind")
    assert "expected 'TypeError', received 'ShapeError'" in info.value.full()


# ---------------------------------------------------------------------------------------------
# student.eval through a session (what the grader connects)


class FakeSession:
    def __init__(self, payload):
        self.payload = payload
        self.requests: list[tuple[str, dict]] = []

    def request(self, code, inputs):
        self.requests.append((code, inputs))
        return self.payload


@pytest.fixture
def session():
    def connect(payload):
        fake = FakeSession(payload)
        tokens.append(checking.current_session.set(fake))
        return fake

    tokens: list = []
    yield connect
    for token in reversed(tokens):
        checking.current_session.reset(token)


def test_session_value_is_decoded(session):
    fake = session({"value": codec.encode((1.5, np.arange(3), {"k": {2}}))})
    back = student.eval("f(x)", x=2.0)
    assert type(back) is tuple and back[0] == 1.5
    assert type(back[1]) is np.ndarray and back[1].tolist() == [0, 1, 2]
    assert back[2] == {"k": {2}}
    assert fake.requests == [("f(x)", {"x": 2.0})]


def test_session_error_raises_student_error(session):
    session({"error": "ValueError: bad\n  in f, line 2: raise ValueError('bad')",
             "types": ["ValueError", "Exception", "BaseException", "object"]})
    with pytest.raises(StudentError) as info:
        student.eval("f(1)")
    assert info.value.kind == "ValueError"
    assert info.value.message.startswith("ValueError: bad")
    assert student.error("f(1)").types[0] == "ValueError"


def test_session_error_without_types(session):
    session({"error": "the kernel gave no answer"})
    with pytest.raises(StudentError) as info:
        student.eval("f(1)")
    assert info.value.types == [] and info.value.kind == "Error"


@pytest.mark.parametrize("value", [
    "not json at all",
    '{"untagged": 1}',
    '{"__adc__": "pickle", "data": "gASV"}',
    '{"__adc__": "ndarray", "dtype": "float64", "shape": [3], "data": [1]}',
    "[" * 5000 + "]" * 5000,
    5,
    None,
])
def test_session_value_that_is_not_codec_text_is_not_plain_data(session, value):
    session({"value": value})
    with pytest.raises(StudentError) as info:
        student.eval("f(1)")
    assert info.value.types == ["NotPlainData"]
    assert info.value.message.startswith("sent data that is not plain")
    assert student.error("f(1)") is None  # nothing was raised in the student's code


def test_session_timeout_is_not_swallowed_by_error(session):
    class Slow:
        def request(self, code, inputs):
            raise checking.StudentTimeout("ran past the limit", ["Timeout"])

    token = checking.current_session.set(Slow())
    try:
        with pytest.raises(checking.StudentTimeout):
            student.error("loop()")
    finally:
        checking.current_session.reset(token)


def test_expect_raises_through_a_session(session):
    session({"error": "KeyError: 'w'", "types": ["KeyError", "LookupError", "Exception"]})
    expect_raises(LookupError, "params['w']", "missing key")
    with pytest.raises(CheckFailed):
        expect_raises(TypeError, "params['w']", "wrong kind")


def test_expect_close_names_a_nan_on_one_side():
    with pytest.raises(CheckFailed, match=r"1 entry is nan on one side only"):
        expect_close(np.array([1.0, np.nan]), np.array([1.0, 2.0]), "a gradient backward missed")
