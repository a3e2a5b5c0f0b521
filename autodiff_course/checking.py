"""What test cells are written with: ask the student's code for values, compare, explain.

A test cell never touches the student's objects. It asks for plain values with
:data:`student` and judges them with the ``expect_*`` functions::

    from autodiff_course.checking import expect_close, student

    expect_close(student.eval("forward_difference(math.sin, 1.0, h)", h=1e-6), math.cos(1.0),
                 "forward_difference of sin at 1 with h = 1e-6", rtol=1e-5,
                 hint="Divide by h, not by 2h.")

``student.eval(code, **inputs)`` runs ``code`` in the student's notebook (in a scratch copy of
its namespace that lives as long as the test cell, with ``inputs`` defined in it) and returns the
value of its last expression as plain data: numbers, strings, lists, tuples, dicts, numpy arrays
(:mod:`autodiff_course.kernel_side.codec`). An exception in the student's code raises
:class:`StudentError`; a value that is not plain data too.

The same cell runs in two places, with the same messages:

- in the student's own kernel (JupyterLab, nbval on the instructor's notebooks): ``student``
  evaluates in this kernel, and ``expect_*`` prints ``ok ...`` or raises. This is advice;
- in the grader (:mod:`autodiff_course.engine`), which executes the instructor's copy of the
  cell in its own process with ``student`` connected to the sandboxed kernel. Expected values,
  comparisons and hidden tests stay in the grader; only ``code`` and ``inputs`` enter the kernel,
  and only plain data comes back. That verdict is the grade.

A failure reads::

    forward_difference(sin, 1.0, 1e-6): expected 0.5403022..., received 0.8414709... (rtol=1e-06)
    Hint: divide by h, not by 2h.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import numpy as np

from .kernel_side import codec
from .kernel_side.runtime import NOT_PLAIN

__all__ = [
    "CheckFailed",
    "StudentError",
    "expect_close",
    "expect_equal",
    "expect_raises",
    "expect_true",
    "student",
]

# Set by the grader while it runs a test cell: where student.eval sends its requests, and where
# passing checks are reported (instead of printed).
current_session: ContextVar[Any] = ContextVar("autodiff_course_session", default=None)
current_reporter: ContextVar[Callable[[str], None] | None] = ContextVar(
    "autodiff_course_reporter", default=None)


class StudentError(Exception):
    """The student's code raised (or returned something that is not plain data).

    ``types`` lists the exception's class and its bases by name, so a check can ask "was it a
    ValueError" without the exception object ever leaving the kernel.
    """

    def __init__(self, message: str, types: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.types = list(types or [])

    @property
    def kind(self) -> str:
        return self.types[0] if self.types else "Error"


class StudentTimeout(StudentError):
    """The student's code ran past the time the test cell had left."""


class CheckFailed(AssertionError):
    """An ``expect_*`` check failed: what was checked, both sides, and a hint."""

    def __init__(self, what: str, expected: Any = None, received: Any = None, detail: str = "",
                 hint: str | None = None, *, sides: bool = True):
        self.what, self.expected, self.received = what, expected, received
        self.detail, self.hint, self.sides = detail, hint, sides
        super().__init__(self.full())

    def full(self) -> str:
        if self.sides:
            text = (f"{self.what}: expected {_fmt(self.expected)}, received "
                    f"{_fmt(self.received)}{self.detail}")
        else:
            text = f"{self.what}: {self.detail}"
        return text + (f"\nHint: {self.hint}" if self.hint else "")

    def redacted(self) -> str:
        """What was checked and that it failed, with no value of either side (hidden tests):
        not even the size of the error, which gives away the expected value's size."""
        if self.sides:
            return f"{self.what}: not the expected value"
        return f"{self.what}: {self.detail}"


class _Student:
    """The student's notebook as a test cell sees it; see the module docstring."""

    def eval(self, code: str, /, **inputs: Any) -> Any:
        session = current_session.get()
        if session is None:
            from .kernel_side.runtime import evaluate_local

            payload = evaluate_local(code, inputs)
        else:
            payload = session.request(code, inputs)
        if "error" in payload:
            raise StudentError(payload["error"], payload.get("types"))
        try:
            return codec.decode(payload["value"])
        except codec.NotPlain as err:
            raise StudentError(f"sent data that is not plain: {err}", [NOT_PLAIN]) from None

    def error(self, code: str, /, **inputs: Any) -> StudentError | None:
        """The :class:`StudentError` that ``code`` raises, or None when it runs cleanly.

        A value that is not plain data counts as running cleanly: nothing was raised.
        """
        try:
            self.eval(code, **inputs)
        except StudentTimeout:
            raise
        except StudentError as err:
            return None if err.kind == NOT_PLAIN else err
        return None


student = _Student()


def _report(line: str) -> None:
    reporter = current_reporter.get()
    if reporter is None:
        print(line)
    else:
        reporter(line)


def _fmt(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return repr(float(x))
    try:
        arr = np.asarray(x) if isinstance(x, list | tuple | np.ndarray) else None
    except ValueError:  # ragged, e.g. a list of shapes of different lengths
        arr = None
    if arr is not None and arr.dtype != object:
        return np.array2string(arr, precision=10, threshold=20, separator=", ")
    text = repr(x)
    return text if len(text) <= 300 else text[:299] + "…"


def expect_close(received: Any, expected: Any, what: str = "value", *, rtol: float = 1e-7,
                 atol: float = 0.0, hint: str | None = None) -> None:
    """``received`` equals ``expected`` within tolerances (numbers or arrays of the same shape)."""
    if received is None:
        raise CheckFailed(what, expected, received, " (did the function forget to return?)", hint)
    try:
        raw = np.asarray(received)
        if raw.dtype.kind not in "biuf":
            raise TypeError(raw.dtype)
        got = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(what, expected, received,
                          f" (a {type(received).__name__}, not a number)", hint) from None
    want = np.asarray(expected, dtype=np.float64)
    if got.shape != want.shape:
        raise CheckFailed(what, expected, received,
                          f" (shape {got.shape}, expected shape {want.shape})", hint)
    with np.errstate(all="ignore"):
        close = np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not close:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            diff = np.abs(got - want)
            err = float(np.nanmax(diff)) if got.size and not np.isnan(diff).all() else float("nan")
            nan_mismatch = int(np.count_nonzero(np.isnan(got) != np.isnan(want)))
        detail = f"max abs error {err:.3g}; rtol={rtol:g}, atol={atol:g}"
        if nan_mismatch:
            detail = (f"{nan_mismatch} entr{'y is' if nan_mismatch == 1 else 'ies are'} nan on "
                      f"one side only; elsewhere {detail}")
        raise CheckFailed(what, expected, received, f" ({detail})", hint)
    _report(f"ok {what}: expected {_fmt(expected)}, received {_fmt(received)}")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return bool(np.array_equal(np.asarray(a), np.asarray(b)))
        except (TypeError, ValueError):
            return False
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def expect_equal(received: Any, expected: Any, what: str = "value", *,
                 hint: str | None = None) -> None:
    """``received == expected`` exactly (counts, shapes, names, orders), arrays included."""
    if not _equal(received, expected):
        raise CheckFailed(what, expected, received, "", hint)
    _report(f"ok {what}: expected {_fmt(expected)}, received {_fmt(received)}")


def expect_true(condition: Any, what: str, *, hint: str | None = None) -> None:
    """A property with no single expected value (e.g. 'the error decreases with h')."""
    if isinstance(condition, np.ndarray):
        condition = condition.size > 0 and bool(condition.all())
    if not condition:
        raise CheckFailed(what, detail="not satisfied", hint=hint, sides=False)
    _report(f"ok {what}")


def expect_raises(exc_type: type[BaseException] | str, code: str, what: str, *,
                  inputs: dict[str, Any] | None = None, hint: str | None = None) -> None:
    """Running ``code`` in the student's notebook raises ``exc_type`` (or a subclass)."""
    name = exc_type if isinstance(exc_type, str) else exc_type.__name__
    error = student.error(code, **(inputs or {}))
    if error is None:
        raise CheckFailed(what, f"{name} raised", "no exception", "", hint)
    if name not in error.types:
        raise CheckFailed(what, name, error.kind, "", hint)
    _report(f"ok {what}: raised {error.kind}")
