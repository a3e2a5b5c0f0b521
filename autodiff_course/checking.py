"""Assertions for notebook test cells that tell a student what was expected and what they gave.

Every visible test in the course goes through these, so a failure always reads the same way:

    forward_difference(sin, 1.0, 1e-6): expected 0.5403022..., received 0.8414709... (rtol=1e-06)
    Hint: divide by h, not by 2h.

and a pass prints one line starting with "ok", so students see what was checked. Test cells import
this module themselves (``from autodiff_course.checking import expect_close``) rather than relying
on names defined earlier in the notebook, which a student's cell could rebind.
"""

from __future__ import annotations

import numpy as np

__all__ = ["expect_close", "expect_equal", "expect_true", "expect_raises"]


def _fmt(x) -> str:
    if isinstance(x, float | np.floating):
        return repr(float(x))
    arr = np.asarray(x) if isinstance(x, list | tuple | np.ndarray) else None
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


def expect_equal(received, expected, what: str = "value", *, hint: str | None = None) -> None:
    """Assert ``received == expected`` exactly (for counts, shapes, names, orders)."""
    equal = received == expected
    if isinstance(equal, np.ndarray):
        equal = equal.all()
    if not equal:
        _fail(what, expected, received, "", hint)
    print(f"ok {what}: expected {_fmt(expected)}, received {_fmt(received)}")


def expect_true(condition: bool, what: str, *, hint: str | None = None) -> None:
    """Assert a property that has no single expected value (e.g. 'error decreases with h')."""
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
