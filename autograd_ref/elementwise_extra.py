"""More rows of the rule table: the rest of numpy's elementwise functions peers' tests exercise.

Written exactly like :mod:`autograd_ref.elementwise` (one slope per input, used for both the VJP
and the JVP; numerics from :mod:`autograd_ref._numeric`; texts for traces), so every value type
(Scalar, Dual, Tensor, the tracer) and every transform handles them with no code of its own:

* one input: ``log2``, ``log10``, ``exp2``, ``square``, ``reciprocal``, ``cbrt``, ``deg2rad``,
  ``rad2deg``, numpy's normalised ``sinc`` and the rounding functions ``floor``, ``ceil``,
  ``rint`` (and ``round``), ``trunc``;
* two inputs, broadcasting: ``arctan2``, ``hypot``, ``logaddexp``, ``logaddexp2``,
  ``mod`` (= ``remainder``) and ``fmod``.

Conventions, and why:

* The rounding functions are piecewise constant, so their derivative is 0 everywhere (at the
  jumps too, as in HIPS autograd and JAX): a gradient through ``floor`` is zero, not an error.
* ``mod(a, b) = a - floor(a/b) b`` has ∂/∂a = 1 and ∂/∂b = -floor(a/b); ``fmod`` is the same with
  ``trunc``. Both are exact between the jumps, where ``a/b`` is not an integer.
* ``sinc(x) = sin(πx)/(πx)`` with ``sinc(0) = 1``. Its derivative ``(cos(πx) - sinc(x))/x`` is
  0/0 at 0 and loses digits near it, so for ``|x| < 0.01`` the slope is its Taylor polynomial
  instead: finite at 0, accurate to ~1e-13, and correct to second order (``grad(grad(sinc))(0)``
  is ``-π²/3``).
* Complex input is accepted where numpy accepts it (``log2``, ``log10``, ``exp2``, ``square``,
  ``reciprocal``, ``sinc``, ``rint``), so the complex step works there; the other rows have no
  complex form and refuse complex numbers with a TypeError saying so.
"""

from __future__ import annotations

import math

import numpy as np

from . import _numeric
from ._numeric_extra import REAL_ONLY
from .elementwise import (
    binary_row,
    constant,
    cos,
    div,
    exp,
    public_function,
    unary_row,
    where,
)
from .rules import Rule, call

_LN2, _LN10, _PI = math.log(2.0), math.log(10.0), math.pi
_SINC_SERIES_BELOW = 0.01  # |x| under which sinc's slope is its Taylor polynomial
_C1, _C3, _C5 = -(_PI**2) / 3.0, _PI**4 / 30.0, -(_PI**6) / 840.0  # sinc'(x) = C1 x + C3 x³ + ...


def _expr(fmt: str):
    return lambda *a: fmt.format(*a)


def _zero_slope(g, xs, out, aux):
    return g * 0.0


def _sinc_slope(g, xs, out, aux):
    """g × sinc'(x): (cos(πx) - sinc(x))/x away from 0, the Taylor polynomial near it."""
    x = xs[0]
    v = constant(x)
    xx = x * x
    series = x * (_C1 + xx * (_C3 + xx * _C5))
    if isinstance(v, (float, int)):
        return g * (series if -_SINC_SERIES_BELOW < v < _SINC_SERIES_BELOW else
                    div(cos(_PI * x) - out, x))  # fmt: skip
    small = np.abs(v) < _SINC_SERIES_BELOW
    if not np.any(small):
        return g * div(cos(_PI * x) - out, x)
    safe = where(small, 1.0, x)  # keeps 0/0 out of the branch where() discards
    return g * where(small, series, div(cos(_PI * safe) - out, safe))


def _rounded_ratio(a, b, rounding):
    """``rounding(a / b)`` of the inputs' values, as a constant: mod's and fmod's slope in b."""
    va, vb = constant(a), constant(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = rounding(np.divide(va, vb))
    return float(r) if np.ndim(r) == 0 and not isinstance(va, np.ndarray) else r


# ------------------------------------------------------------------------- one input
LOG2 = unary_row("log2", lambda g, xs, out, aux: div(g, xs[0] * _LN2), _expr("log₂ {}"), "log₂",
                 lambda d, a, o: (f"{d} / ({a} ln 2)",),
                 doc="Base-2 logarithm. Derivative: 1/(x ln 2); nan for x < 0.")  # fmt: skip
LOG10 = unary_row("log10", lambda g, xs, out, aux: div(g, xs[0] * _LN10), _expr("log₁₀ {}"),
                  "log₁₀", lambda d, a, o: (f"{d} / ({a} ln 10)",),
                  doc="Base-10 logarithm. Derivative: 1/(x ln 10).")  # fmt: skip
EXP2 = unary_row("exp2", lambda g, xs, out, aux: g * out * _LN2, _expr("2^{}"), "2^",
                 lambda d, a, o: (f"{d} × {o} × ln 2",),
                 doc="2**x. Derivative: 2**x ln 2.")  # fmt: skip
SQUARE = unary_row("square", lambda g, xs, out, aux: g * 2.0 * xs[0], _expr("{}²"), "²",
                   lambda d, a, o: (f"{d} × 2 × {a}",),
                   doc="x**2, as one row. Derivative: 2x.")  # fmt: skip
RECIPROCAL = unary_row("reciprocal", lambda g, xs, out, aux: -g * out * out, _expr("1/{}"),
                       "1/·", lambda d, a, o: (f"−{d} × {o}²",),
                       doc="1/x (inf with a warning at 0). Derivative: -1/x**2.")  # fmt: skip
CBRT = unary_row("cbrt", lambda g, xs, out, aux: div(g, 3.0 * out * out), _expr("∛{}"), "∛",
                 lambda d, a, o: (f"{d} / (3 × {o}²)",),
                 doc="Real cube root, defined for negative x too. Derivative: 1/(3 cbrt(x)**2), "
                     "infinite at 0. Real numbers only.")  # fmt: skip
DEG2RAD = unary_row("deg2rad", lambda g, xs, out, aux: g * (_PI / 180.0), _expr("rad({})"), "rad",
                    lambda d, a, o: (f"{d} × π/180",),
                    doc="Degrees to radians. Derivative: π/180. Real numbers only.")  # fmt: skip
RAD2DEG = unary_row("rad2deg", lambda g, xs, out, aux: g * (180.0 / _PI), _expr("deg({})"), "deg",
                    lambda d, a, o: (f"{d} × 180/π",),
                    doc="Radians to degrees. Derivative: 180/π. Real numbers only.")  # fmt: skip
SINC = unary_row("sinc", _sinc_slope, _expr("sinc {}"), "sinc",
                 lambda d, a, o: (f"{d} × (cos(π{a}) − {o}) / {a}",),
                 doc="numpy's normalised sinc, sin(πx)/(πx), 1 at 0. Derivative: "
                     "(cos(πx) - sinc(x))/x, 0 at 0 (a series near 0).")  # fmt: skip
FLOOR = unary_row("floor", _zero_slope, _expr("⌊{}⌋"), "⌊·⌋", lambda d, a, o: ("0",),
                  doc="Largest integer <= x. Slope: 0 (also at jumps). Real only.")  # fmt: skip
CEIL = unary_row("ceil", _zero_slope, _expr("⌈{}⌉"), "⌈·⌉", lambda d, a, o: ("0",),
                 doc="Smallest integer >= x. Slope: 0 (also at jumps). Real only.")  # fmt: skip
RINT = unary_row("rint", _zero_slope, _expr("rint({})"), "rint", lambda d, a, o: ("0",),
                 doc="Nearest integer, halves to even as numpy does. Derivative: 0.")  # fmt: skip
TRUNC = unary_row("trunc", _zero_slope, _expr("trunc({})"), "trunc", lambda d, a, o: ("0",),
                  doc="x rounded towards 0. Derivative: 0 (also at jumps). Real only.")  # fmt: skip


# ------------------------------------------------------------------------ two inputs
def _binary(name: str, float_op, array_op, slopes, expr, symbol, partial, doc) -> Rule:
    row = binary_row(name, array_op, float_op, slopes, expr, symbol, partial, doc=doc)
    if name in REAL_ONLY:
        row.on_complex = None  # complex numbers go to the array form, which refuses them
    return row


def _float_and_array(name: str):
    return _numeric.FLOAT[name], _numeric.ARRAY[name]


def _sum_of_squares(a, b):
    return a * a + b * b


ARCTAN2 = _binary(
    "arctan2", *_float_and_array("arctan2"),
    (
        lambda g, xs, out, aux: div(g * xs[1], _sum_of_squares(xs[0], xs[1])),
        lambda g, xs, out, aux: -div(g * xs[0], _sum_of_squares(xs[0], xs[1])),
    ),
    _expr("atan2({}, {})"), "atan2",
    lambda d, a, b, o: (f"{d} × {b} / ({a}² + {b}²)", f"−{d} × {a} / ({a}² + {b}²)"),
    "The angle of the point (b, a) (arctan2(a, b)), in (-π, π]. "
    "Derivatives: b/(a² + b²) and -a/(a² + b²).",
)  # fmt: skip
HYPOT = _binary(
    "hypot", *_float_and_array("hypot"),
    (lambda g, xs, out, aux: div(g * xs[0], out), lambda g, xs, out, aux: div(g * xs[1], out)),
    _expr("hypot({}, {})"), "hypot",
    lambda d, a, b, o: (f"{d} × {a} / {o}", f"{d} × {b} / {o}"),
    "sqrt(a² + b²) without overflow. Derivatives: a/hypot and b/hypot.",
)  # fmt: skip
LOGADDEXP = _binary(
    "logaddexp", *_float_and_array("logaddexp"),
    (
        lambda g, xs, out, aux: g * exp(xs[0] - out),
        lambda g, xs, out, aux: g * exp(xs[1] - out),
    ),
    _expr("ln(e^{} + e^{})"), "logaddexp",
    lambda d, a, b, o: (f"{d} × exp({a} − {o})", f"{d} × exp({b} − {o})"),
    "ln(e**a + e**b) without overflow. Derivatives: the softmax weights exp(a - out), "
    "exp(b - out).",
)  # fmt: skip
LOGADDEXP2 = _binary(
    "logaddexp2", *_float_and_array("logaddexp2"),
    (
        lambda g, xs, out, aux: g * exp2(xs[0] - out),
        lambda g, xs, out, aux: g * exp2(xs[1] - out),
    ),
    _expr("log₂(2^{} + 2^{})"), "logaddexp2",
    lambda d, a, b, o: (f"{d} × 2^({a} − {o})", f"{d} × 2^({b} − {o})"),
    "log2(2**a + 2**b) without overflow. Derivatives: 2**(a - out), 2**(b - out).",
)  # fmt: skip
MOD = _binary(
    "mod", *_float_and_array("mod"),
    (
        lambda g, xs, out, aux: g,
        lambda g, xs, out, aux: -g * _rounded_ratio(xs[0], xs[1], np.floor),
    ),
    _expr("{} mod {}"), "mod",
    lambda d, a, b, o: (d, f"−{d} × ⌊{a} / {b}⌋"),
    "numpy's mod (remainder): a - floor(a/b) b, with the sign of b. "
    "Derivatives: 1 and -floor(a/b). Real numbers only.",
)  # fmt: skip
FMOD = _binary(
    "fmod", *_float_and_array("fmod"),
    (
        lambda g, xs, out, aux: g,
        lambda g, xs, out, aux: -g * _rounded_ratio(xs[0], xs[1], np.trunc),
    ),
    _expr("fmod({}, {})"), "fmod",
    lambda d, a, b, o: (d, f"−{d} × trunc({a} / {b})"),
    "C's fmod: a - trunc(a/b) b, with the sign of a. Derivatives: 1 and -trunc(a/b). "
    "Real numbers only.",
)  # fmt: skip


# ------------------------------------------------------------------- the public functions
def _two_input_function(rule: Rule):
    on_float = rule.on_float

    def fn(a, b):
        if type(a) is float and type(b) is float:
            return on_float(a, b)
        return call(rule, (a, b))

    fn.__name__ = fn.__qualname__ = rule.name
    fn.__doc__ = rule.doc
    fn.rule = rule
    return fn


log2 = public_function(LOG2)
log10 = public_function(LOG10)
exp2 = public_function(EXP2)
square = public_function(SQUARE)
reciprocal = public_function(RECIPROCAL)
cbrt = public_function(CBRT)
deg2rad = public_function(DEG2RAD)
rad2deg = public_function(RAD2DEG)
sinc = public_function(SINC)
floor = public_function(FLOOR)
ceil = public_function(CEIL)
rint = public_function(RINT)
trunc = public_function(TRUNC)
arctan2 = _two_input_function(ARCTAN2)
hypot = _two_input_function(HYPOT)
logaddexp = _two_input_function(LOGADDEXP)
logaddexp2 = _two_input_function(LOGADDEXP2)
mod = _two_input_function(MOD)
remainder = mod  # numpy's two names for one function
fmod = _two_input_function(FMOD)


def round(x, decimals: int = 0):  # noqa: A001  (numpy's name)
    """``x`` rounded to ``decimals`` decimal places, halves to even, as :func:`numpy.round`.

    The derivative is 0: rounding is piecewise constant. ``decimals`` may be negative (tens,
    hundreds, ...) and must be an integer.
    """
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(
            f"round: decimals must be an integer number of decimal places, got {decimals!r}. "
            "Pass e.g. decimals=2."
        )
    if decimals == 0:
        return rint(x)
    scale = 10.0 ** int(decimals)
    return rint(x * scale) / scale


EXTRA_UNARY = (LOG2, LOG10, EXP2, SQUARE, RECIPROCAL, CBRT, DEG2RAD, RAD2DEG, SINC, FLOOR, CEIL,
               RINT, TRUNC)  # fmt: skip
EXTRA_BINARY = (ARCTAN2, HYPOT, LOGADDEXP, LOGADDEXP2, MOD, FMOD)
