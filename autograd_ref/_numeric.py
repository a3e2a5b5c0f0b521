"""Elementary functions on plain numbers: float, complex and numpy arrays.

These are the values every differentiable type (Scalar, Dual, Tensor) builds on, so they carry the
numerical care in one place:

* float arguments go through :mod:`math` for speed, but domain errors follow numpy's rules: a
  ``RuntimeWarning`` and ``nan``/``inf`` instead of an exception, so a student's expression that
  strays out of a function's domain shows ``nan`` where it happened rather than crashing a loop;
* ``sigmoid`` never exponentiates a large positive number, so ``sigmoid(-1000)`` is exactly 0.0
  with no overflow warning (``tanh`` is stable in :mod:`math` and numpy already);
* complex arguments exist for the complex-step derivative. ``abs`` and ``relu`` are not analytic,
  so for complex ``z`` they use the analytic continuation of the branch selected by ``z.real``
  (``abs(z) = z`` when ``z.real >= 0`` else ``-z``): that is what makes ``Im f(x + ih) / h`` the
  derivative of ``f`` through them. For the modulus of a complex number use :func:`numpy.abs`.
"""

from __future__ import annotations

import cmath
import math
import os
import sys
import warnings

import numpy as np

from . import _numeric_extra

NAMES = (
    "exp", "log", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sqrt", "abs",
    "log1p", "expm1", "sinh", "cosh", "arcsin", "arccos", "arctan", "sign",
)  # fmt: skip


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _warn(message: str) -> None:
    """Issue a RuntimeWarning attributed to the first caller outside autograd_ref, as numpy's
    warnings are: the user sees their own line, and each line warns once by default."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, RuntimeWarning, stacklevel=level)


# ---------------------------------------------------------------- float arithmetic, numpy rules
def div(a: float, b: float) -> float:
    """a / b with IEEE results for b == 0 (inf or nan, and a warning), not ZeroDivisionError."""
    try:
        return a / b
    except ZeroDivisionError:
        return _numpy_rules(np.divide, a, b, "divide")


def power(a: float, b: float) -> float:
    """a ** b as numpy computes it: a negative base with a fractional exponent gives nan (with a
    warning), never a Python complex number; 0 ** negative and overflow give inf (with a warning).
    """
    try:
        r = a**b
    except (ZeroDivisionError, OverflowError):  # 0.0 ** -1.0, 10.0 ** 400.0
        return _numpy_rules(np.power, a, b, "power")
    if type(r) is complex:  # (-8.0) ** (1/3)
        return _numpy_rules(np.power, a, b, "power")
    return float(r)


def _numpy_rules(ufunc, a: float, b: float, name: str) -> float:
    """``ufunc(a, b)`` in float64 with numpy's warning, attributed to the user's line."""
    with np.errstate(all="ignore"):
        r = float(ufunc(np.float64(a), np.float64(b)))
    if r != r and a == a and b == b:
        _warn(f"invalid value encountered in {name}")
    elif r in (math.inf, -math.inf):
        zero_division = b == 0.0 if name == "divide" else (a == 0.0 and b < 0.0)
        _warn(f"{'divide by zero' if zero_division else 'overflow'} encountered in {name}")
    return r


# ---------------------------------------------------------------------------- float functions
def _exp_f(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        _warn("overflow encountered in exp")
        return math.inf


def _log_f(x: float) -> float:
    if x > 0:
        return math.log(x)
    if x == 0:
        _warn("divide by zero encountered in log")
        return -math.inf
    if x != x:  # nan stays nan, quietly, as in numpy
        return x
    _warn("invalid value encountered in log")
    return math.nan


def _sqrt_f(x: float) -> float:
    if x >= 0:
        return math.sqrt(x)
    if x != x:
        return x
    _warn("invalid value encountered in sqrt")
    return math.nan


def _trig_f(fn, name):
    def f(x: float) -> float:
        try:
            return fn(x)
        except ValueError:  # math.sin(inf) raises; numpy gives nan with a warning
            _warn(f"invalid value encountered in {name}")
            return math.nan

    return f


def _guarded_f(fn, ufunc, name):
    """``fn`` from :mod:`math`, falling back to numpy's result and warning where math raises
    (``math.asin(2)``, ``math.sinh(1000)``): nan or inf with a RuntimeWarning, as numpy gives."""

    def f(x: float) -> float:
        try:
            return fn(x)
        except (ValueError, OverflowError):
            with np.errstate(all="ignore"):
                r = float(ufunc(np.float64(x)))
            _warn(f"{'invalid value' if r != r else 'overflow'} encountered in {name}")
            return r

    return f


def _sign_f(x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else x * 0.0)  # 0.0 stays 0.0, nan stays nan


def _sigmoid_f(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # x < 0, so no overflow
    return e / (1.0 + e)


def _relu_f(x: float) -> float:
    return 0.0 if x <= 0 else x  # nan propagates (nan <= 0 is False)


FLOAT = {
    "exp": _exp_f,
    "log": _log_f,
    "sin": _trig_f(math.sin, "sin"),
    "cos": _trig_f(math.cos, "cos"),
    "tan": _trig_f(math.tan, "tan"),
    "tanh": math.tanh,
    "sigmoid": _sigmoid_f,
    "relu": _relu_f,
    "sqrt": _sqrt_f,
    "abs": math.fabs,
    "log1p": _guarded_f(math.log1p, np.log1p, "log1p"),
    "expm1": _guarded_f(math.expm1, np.expm1, "expm1"),
    "sinh": _guarded_f(math.sinh, np.sinh, "sinh"),
    "cosh": _guarded_f(math.cosh, np.cosh, "cosh"),
    "arcsin": _guarded_f(math.asin, np.arcsin, "arcsin"),
    "arccos": _guarded_f(math.acos, np.arccos, "arccos"),
    "arctan": math.atan,
    "sign": _sign_f,
}


# -------------------------------------------------------------------------- complex functions
def _sigmoid_c(z: complex) -> complex:
    if z.real >= 0:
        return 1.0 / (1.0 + cmath.exp(-z))
    e = cmath.exp(z)
    return e / (1.0 + e)


COMPLEX = {
    "exp": cmath.exp,
    "log": cmath.log,
    "sin": cmath.sin,
    "cos": cmath.cos,
    "tan": cmath.tan,
    "tanh": cmath.tanh,
    "sigmoid": _sigmoid_c,
    "relu": lambda z: z if z.real > 0 else 0j,
    "sqrt": cmath.sqrt,
    "abs": lambda z: z if z.real >= 0 else -z,
    "log1p": lambda z: cmath.log(1.0 + z),
    "expm1": lambda z: cmath.exp(z) - 1.0,
    "sinh": cmath.sinh,
    "cosh": cmath.cosh,
    "arcsin": cmath.asin,
    "arccos": cmath.acos,
    "arctan": cmath.atan,
    "sign": lambda z: complex(_sign_f(z.real)),  # constant: the complex step sees slope 0
}


# ---------------------------------------------------------------------------- array functions
def _sigmoid_a(x: np.ndarray) -> np.ndarray:
    if np.iscomplexobj(x):
        return np.where(x.real >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)))
    e = np.exp(-np.abs(x))  # never exp of a large positive number
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _relu_a(x: np.ndarray) -> np.ndarray:
    if np.iscomplexobj(x):
        return np.where(x.real > 0, x, 0)
    return np.where(x > 0, x, np.where(np.isnan(x), x, 0.0))


def _abs_a(x: np.ndarray) -> np.ndarray:
    if np.iscomplexobj(x):
        return np.where(x.real >= 0, x, -x)
    return np.abs(x)


ARRAY = {
    "exp": np.exp,
    "log": np.log,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "tanh": np.tanh,
    "sigmoid": _sigmoid_a,
    "relu": _relu_a,
    "sqrt": np.sqrt,
    "abs": _abs_a,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
    "sign": lambda x: np.sign(x.real) + 0j if np.iscomplexobj(x) else np.sign(x),
}

# numpy's other elementwise functions (log2, arctan2, mod, ...): see _numeric_extra
FLOAT.update(_numeric_extra.FLOAT)
COMPLEX.update(_numeric_extra.COMPLEX)
ARRAY.update(_numeric_extra.ARRAY)
