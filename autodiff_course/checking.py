"""Assertions for notebook test cells that tell a student what was expected and what they gave.

Every visible test in the course goes through these, so a failure always reads the same way:

    forward_difference(sin, 1.0, 1e-6): expected 0.5403022..., received 0.8414709... (rtol=1e-06)
    Hint: divide by h, not by 2h.

and a pass prints one line starting with "ok", so students see what was checked. Test cells import
this module themselves (``from autodiff_course.checking import expect_close``) rather than relying
on names defined earlier in the notebook, which a student's cell could rebind.
"""

from __future__ import annotations

import itertools
import types

import numpy as np

__all__ = ["expect_close", "expect_equal", "expect_true", "expect_raises"]


def _fmt(x) -> str:
    if isinstance(x, float | np.floating):
        return repr(float(x))
    try:
        arr = np.asarray(x) if isinstance(x, list | tuple | np.ndarray) else None
    except ValueError:  # ragged, e.g. a list of shapes of different lengths
        arr = None
    if arr is not None and arr.dtype != object:
        return np.array2string(arr, precision=10, threshold=20, separator=", ")
    return repr(x)


def _fail(what: str, expected, received, detail: str, hint: str | None) -> None:
    message = f"{what}: expected {_fmt(expected)}, received {_fmt(received)}{detail}"
    if hint:
        message += f"\nHint: {hint}"
    raise AssertionError(message)


def expect_close(
    received,
    expected,
    what: str = "value",
    *,
    rtol: float = 1e-7,
    atol: float = 0.0,
    hint: str | None = None,
) -> None:
    """Assert ``received`` equals ``expected`` within tolerances (numbers or arrays, same shape)."""
    if received is None:
        _fail(what, expected, received, " (did the function forget to return?)", hint)
    try:
        got = np.asarray(received, dtype=np.float64)
    except (TypeError, ValueError):
        _fail(what, expected, received, f" (a {type(received).__name__}, not a number)", hint)
    want = np.asarray(expected, dtype=np.float64)
    if got.shape != want.shape:
        _fail(what, expected, received, f" (shape {got.shape}, expected shape {want.shape})", hint)
    if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        err = np.max(np.abs(got - want)) if got.size else 0.0
        detail = f" (max abs error {err:.3g}; rtol={rtol:g}, atol={atol:g})"
        _fail(what, expected, received, detail, hint)
    print(f"ok {what}: expected {_fmt(expected)}, received {_fmt(received)}")


def _honest(value, _depth: int = 0) -> bool:
    """False when ``value`` (or something inside it) decides equality or truth in Python code.

    A student's object whose ``__eq__`` returns True for anything would pass ``received ==
    expected`` without computing anything; plain numbers, strings, containers and numpy arrays
    compare with built-in methods, so they are trusted.
    """
    kind = type(value)
    for name in ("__eq__", "__ne__", "__bool__", "__len__"):
        if isinstance(getattr(kind, name, None), types.FunctionType):
            return False
    if _depth > 20:
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return all(_honest(v, _depth + 1) for v in itertools.islice(value, 10_000))
    if isinstance(value, dict):
        items = itertools.islice(value.items(), 10_000)
        return all(_honest(k, _depth + 1) and _honest(v, _depth + 1) for k, v in items)
    if isinstance(value, np.ndarray) and value.dtype == object:
        return all(_honest(v, _depth + 1) for v in itertools.islice(value.flat, 10_000))
    return True


def expect_equal(received, expected, what: str = "value", *, hint: str | None = None) -> None:
    """Assert ``received == expected`` exactly (for counts, shapes, names, orders).

    ``received`` must compare like a plain value: an object with its own ``__eq__`` is refused
    when ``expected`` is a plain value (it could claim equality with anything).
    """
    if _honest(expected) and not _honest(received):
        _fail(what, expected, received,
              f" (a {type(received).__name__} object with its own comparison; return a plain "
              "value: a number, string, tuple, list or array)", hint)
    equal = received == expected
    if isinstance(equal, np.ndarray):
        equal = equal.all()
    if not equal:
        _fail(what, expected, received, "", hint)
    print(f"ok {what}: expected {_fmt(expected)}, received {_fmt(received)}")


def expect_true(condition: bool, what: str, *, hint: str | None = None) -> None:
    """Assert a property that has no single expected value (e.g. 'error decreases with h')."""
    if not _honest(condition):
        message = (f"{what}: the condition is a {type(condition).__name__} object with its own "
                   "truth value, not True or False")
        raise AssertionError(message + (f"\nHint: {hint}" if hint else ""))
    if not condition:
        message = f"{what}: not satisfied"
        if hint:
            message += f"\nHint: {hint}"
        raise AssertionError(message)
    print(f"ok {what}")


def expect_raises(exc_type: type[BaseException], fn, *args, what: str, hint: str | None = None):
    """Assert that ``fn(*args)`` raises ``exc_type`` (for input validation exercises)."""
    try:
        fn(*args)
    except exc_type:
        print(f"ok {what}: raised {exc_type.__name__}")
        return
    except Exception as err:  # noqa: BLE001 - report what was raised instead
        _fail(what, exc_type.__name__, type(err).__name__, "", hint)
    _fail(what, f"{exc_type.__name__} raised", "no exception", "", hint)
