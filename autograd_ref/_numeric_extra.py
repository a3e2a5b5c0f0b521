"""More of numpy's elementwise functions on plain numbers: float, complex and numpy arrays.

The companion of :mod:`autograd_ref._numeric` (which merges these tables into its own) for the
functions of :mod:`autograd_ref.elementwise_extra`: base-2 and base-10 logarithms, ``exp2``,
``square``, ``reciprocal``, ``cbrt``, angle conversions, numpy's normalised ``sinc``, the rounding
functions, and the two-input ``arctan2``, ``hypot``, ``logaddexp``, ``logaddexp2``, ``mod`` and
``fmod``.

The float forms follow numpy's rules, not :mod:`math`'s: out of the domain or on overflow they
return nan or inf with a ``RuntimeWarning`` (attributed to the caller's own line) rather than
raising, so a float and a one-element array give the same number.

Complex numbers are accepted exactly where numpy accepts them (logarithms, ``exp2``, ``square``,
``reciprocal``, ``sinc``, ``rint``). For the others (``cbrt``, ``deg2rad``, ``floor``, the
two-input functions, ...) numpy has no complex definition, and these refuse complex input with a
:class:`TypeError` that says so instead of numpy's message about casting rules.
"""

from __future__ import annotations

import cmath
import math
import os
import sys
import warnings
from collections.abc import Callable

import numpy as np

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

UNARY_NAMES = (
    "log2", "log10", "exp2", "square", "reciprocal", "cbrt", "deg2rad", "rad2deg", "sinc",
    "floor", "ceil", "rint", "trunc",
)  # fmt: skip
BINARY_NAMES = ("arctan2", "hypot", "logaddexp", "logaddexp2", "mod", "fmod")
REAL_ONLY = ("cbrt", "deg2rad", "rad2deg", "floor", "ceil", "trunc", *BINARY_NAMES)


def warn_from_caller(message: str) -> None:
    """A RuntimeWarning attributed to the first frame outside autograd_ref (the user's line)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, RuntimeWarning, stacklevel=level)


def refuse_complex(name: str) -> TypeError:
    """The error for complex input to a function numpy defines for real numbers only."""
    return TypeError(
        f"{name} is not defined for complex numbers (numpy defines it for real numbers only), "
        f"so it cannot be used with the complex step either. Pass real numbers, or check {name}'s "
        "derivative with central differences (autograd_ref.finite_diff) instead."
    )


# ------------------------------------------------------------------------- float functions
def _float_form(ufunc: np.ufunc, name: str, fast: Callable | None = None) -> Callable:
    """``ufunc`` on Python floats: ``fast`` (from :mod:`math`) where it applies, otherwise numpy
    in float64 with its warning moved to the caller's line."""

    def f(*xs: float) -> float:
        if fast is not None:
            try:
                r = float(fast(*xs))
            except (ValueError, OverflowError, ZeroDivisionError):
                pass
            else:
                if math.isfinite(r) or not all(math.isfinite(x) for x in xs):
                    return r  # an unexceptional result: numpy agrees and would not warn
        with np.errstate(all="ignore"):
            r = float(ufunc(*(np.float64(x) for x in xs)))
        if r != r and all(x == x for x in xs):
            warn_from_caller(f"invalid value encountered in {name}")
        elif math.isinf(r) and all(math.isfinite(x) for x in xs):
            zero = any(x == 0.0 for x in xs)
            warn_from_caller(f"{'divide by zero' if zero else 'overflow'} encountered in {name}")
        return r

    f.__name__ = name
    return f


def _finite_only(fn: Callable) -> Callable:
    """``fn`` for finite floats only (``math.floor(inf)`` raises; numpy gives inf quietly)."""

    def f(x: float) -> float:
        if not math.isfinite(x):
            raise ValueError
        return fn(x)

    return f


def _positive_only(fn: Callable) -> Callable:
    """``fn`` for x > 0 only: numpy's warnings and nan/-inf elsewhere (``log2(-1)``)."""

    def f(x: float) -> float:
        if not x > 0:
            raise ValueError
        return fn(x)

    return f


def _sinc_fast(x: float) -> float:
    if x == 0.0:
        return 1.0
    y = math.pi * x
    return math.sin(y) / y  # math.sin(inf) raises: numpy's nan and warning instead


def _mod_f(a: float, b: float) -> float:
    if b == 0.0 or not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError  # numpy's nan and warning
    return a % b  # Python's % takes the divisor's sign, like numpy.mod


def _reciprocal_f(x: float) -> float:
    return 1.0 / x


FLOAT: dict[str, Callable] = {
    "log2": _float_form(np.log2, "log2", _positive_only(math.log2)),
    "log10": _float_form(np.log10, "log10", _positive_only(math.log10)),
    "exp2": _float_form(np.exp2, "exp2", lambda x: 2.0**x),
    "square": _float_form(np.square, "square", lambda x: x * x),
    "reciprocal": _float_form(np.reciprocal, "reciprocal", _reciprocal_f),
    "cbrt": _float_form(np.cbrt, "cbrt", math.cbrt),
    "deg2rad": _float_form(np.deg2rad, "deg2rad", math.radians),
    "rad2deg": _float_form(np.rad2deg, "rad2deg", math.degrees),
    "sinc": _float_form(np.sinc, "sinc", _sinc_fast),
    "floor": _float_form(np.floor, "floor", _finite_only(lambda x: float(math.floor(x)))),
    "ceil": _float_form(np.ceil, "ceil", _finite_only(lambda x: float(math.ceil(x)))),
    "rint": _float_form(np.rint, "rint", _finite_only(lambda x: float(round(x)))),  # half to even
    "trunc": _float_form(np.trunc, "trunc", _finite_only(lambda x: float(math.trunc(x)))),
    "arctan2": _float_form(np.arctan2, "arctan2", math.atan2),
    "hypot": _float_form(np.hypot, "hypot", math.hypot),
    "logaddexp": _float_form(np.logaddexp, "logaddexp"),
    "logaddexp2": _float_form(np.logaddexp2, "logaddexp2"),
    "mod": _float_form(np.remainder, "remainder", _mod_f),
    "fmod": _float_form(np.fmod, "fmod", math.fmod),
}


# ----------------------------------------------------------------------- complex functions
def _sinc_c(z: complex) -> complex:
    if z == 0:
        return 1.0 + 0j
    y = math.pi * z
    return cmath.sin(y) / y


COMPLEX: dict[str, Callable] = {
    "log2": lambda z: cmath.log(z) / math.log(2.0),
    "log10": cmath.log10,
    "exp2": lambda z: cmath.exp(z * math.log(2.0)),
    "square": lambda z: z * z,
    "reciprocal": lambda z: 1.0 / z,
    "sinc": _sinc_c,
    "rint": lambda z: complex(round(z.real), round(z.imag)),  # constant: slope 0, as numpy's
}  # the REAL_ONLY names have no complex form: their array forms refuse complex input


# ------------------------------------------------------------------------- array functions
def _real_arrays(ufunc: np.ufunc, name: str) -> Callable:
    """``ufunc`` on arrays, refusing complex ones with :func:`refuse_complex`."""

    def f(*xs):
        if any(np.iscomplexobj(x) for x in xs):
            raise refuse_complex(name)
        return ufunc(*xs)

    f.__name__ = name
    return f


ARRAY: dict[str, Callable] = {
    "log2": np.log2,
    "log10": np.log10,
    "exp2": np.exp2,
    "square": np.square,
    "reciprocal": np.reciprocal,
    "sinc": np.sinc,
    "rint": np.rint,
    "cbrt": _real_arrays(np.cbrt, "cbrt"),
    "deg2rad": _real_arrays(np.deg2rad, "deg2rad"),
    "rad2deg": _real_arrays(np.rad2deg, "rad2deg"),
    "floor": _real_arrays(np.floor, "floor"),
    "ceil": _real_arrays(np.ceil, "ceil"),
    "trunc": _real_arrays(np.trunc, "trunc"),
    "arctan2": _real_arrays(np.arctan2, "arctan2"),
    "hypot": _real_arrays(np.hypot, "hypot"),
    "logaddexp": _real_arrays(np.logaddexp, "logaddexp"),
    "logaddexp2": _real_arrays(np.logaddexp2, "logaddexp2"),
    "mod": _real_arrays(np.remainder, "mod"),
    "fmod": _real_arrays(np.fmod, "fmod"),
}
