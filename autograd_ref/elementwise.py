"""The rows of the rule table for arithmetic and the elementary functions.

Each function is one row, written once: its numerics (from :mod:`autograd_ref._numeric`), its
derivative and its texts for traces. An elementwise function's VJP and JVP are the same linear
map, multiplication by the local derivative, so each row gives one ``slope(g, xs, out, aux)`` per
input (``g`` times ∂f/∂xᵢ) and uses it for both. Binary rows sum the cotangent back to the shape
of their input (``unbroadcast``) when the input was broadcast.

Conventions shared by every value type, because they all read these rows:

* ``relu'(0) = 0``, ``abs'(0) = 0`` and ``sign' = 0``: the subgradient 0 at the kink, as PyTorch
  and JAX choose. Finite differences straddling 0 disagree there; that is the kink, not a bug.
* ``maximum``/``minimum`` on ties give each side half the gradient (what a central difference
  measures); ``clip`` passes the gradient inside ``[lo, hi]``, bounds included.
* ``x ** y`` at ``x = 0``: the exponent's derivative ``x**y ln x`` is taken as 0 (the limit for
  ``y > 0``), and the base's derivative uses ``x**(y-1)`` only where ``y != 0``, so a zero base
  gives finite gradients where the mathematics allows, as HIPS autograd and JAX do.
* sigmoid and tanh never overflow; out of the domain (``log(-1)``): nan and a RuntimeWarning.
"""

from __future__ import annotations

import numpy as np

from . import _numeric, batching
from .rules import Rule, call, register

_PLAIN = (np.ndarray, np.generic, float, int, complex)
_add_reduce = np.add.reduce
_FLOAT, _COMPLEX, _ARRAY = _numeric.FLOAT, _numeric.COMPLEX, _numeric.ARRAY


# -------------------------------------------------------- helpers the rules are written with
def constant(x):
    """The plain number or array inside ``x``: a non-differentiable factor in a rule."""
    return x if isinstance(x, _PLAIN) else x.__ad_constant__()


def div(a, b):
    """``a / b`` with numpy's rules for floats (inf or nan and a warning, no exception)."""
    return _numeric.div(a, b) if type(a) is float and type(b) is float else a / b


def power(a, b):
    """``a ** b`` with numpy's rules for floats (nan, never a complex number)."""
    return _numeric.power(a, b) if type(a) is float and type(b) is float else a**b


def shape_of(x) -> tuple:
    return x.shape if hasattr(x, "shape") else ()


def sum_to_array(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the axes broadcasting added or stretched, giving an array of ``shape``.

    This is ``unbroadcast``: if ``x`` of shape ``shape`` was broadcast to ``g.shape`` in the
    forward pass, every copy of an entry received a share of the gradient, and the entry gets
    their sum.
    """
    gshape = g.shape if hasattr(g, "shape") else ()
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if gshape[lead:] == shape:  # only leading axes were added (a bias row): sum them away
        return _add_reduce(g, axis=tuple(range(lead)))
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1
    )
    return _add_reduce(g, axis=axes, keepdims=True).reshape(shape)


def sum_to(g, shape: tuple):
    """``g`` summed to ``shape``: the array reduction, or the differentiable row on a Tensor."""
    if type(g) is float or shape_of(g) == shape:
        return g
    if isinstance(g, _PLAIN):
        return sum_to_array(g, shape)
    return call(SUM_TO, (g,), shape)


def broadcast_to(x, shape: tuple):
    if shape_of(x) == shape:
        return x
    if isinstance(x, _PLAIN):
        return np.broadcast_to(x, shape)
    return call(BROADCAST, (x,), shape)


def _step(x):
    """1 where x > 0, else 0 (relu's slope; 0 at the kink), as a constant."""
    v = constant(x)
    return (1.0 if v > 0 else 0.0) if isinstance(v, (float, int)) else v > 0


def _sign(x):
    v = constant(x)
    return _FLOAT["sign"](float(v)) if isinstance(v, (float, int)) else np.sign(v)


def _wins(a, b):
    """d max(a, b)/da as a constant: 1 where a wins, 0 where b wins, 1/2 on ties."""
    a, b = constant(a), constant(b)
    return (a > b) + 0.5 * (a == b)


def _between(x, aux):
    v = constant(x)
    lo, hi = aux
    inside = (v >= lo) & (v <= hi)
    return float(inside) if isinstance(inside, (bool, np.bool_)) else inside


def _nonzero_or(x, fill, test=None):
    """``x`` where ``test`` (default ``x``) is not 0, else ``fill``: keeps a zero base out of
    ``ln`` and a zero exponent's ``x**(y-1)`` out of the base's derivative."""
    v = constant(x if test is None else test)
    if isinstance(v, (float, int)):
        return x if v != 0 else fill
    if not np.any(v == 0):
        return x
    if isinstance(x, _PLAIN):
        return np.where(v == 0, fill, x)
    return call(WHERE, (x, fill), v != 0)


def _pow_const_slope(g, xs, out, aux):
    # d/da a**c = c a**(c-1); for c == 0 the function is constant, so the derivative is 0 even at
    # a == 0, where c a**(c-1) would be 0 * inf = nan.
    if aux == 0.0:
        return g * 0.0
    return g * aux * power(xs[0], aux - 1.0)


def _unary(name, slope, expr, symbol, partial, value=None, doc=""):
    on_float, on_complex, on_array = _FLOAT[name], _COMPLEX.get(name), _ARRAY[name]
    lin = (slope,)
    return register(
        Rule(
            name,
            value or (lambda xs, aux: on_array(xs[0])),
            lin,
            lin,
            scalar=lambda xs, aux: on_float(xs[0]),
            on_float=on_float,
            on_complex=on_complex,
            on_array=on_array,
            expr=expr,
            symbol=symbol,
            partial_text=partial,
            doc=doc,
        )
    )


def _binary(name, op, float_op, slopes, expr, symbol, partial, doc=""):
    """A broadcasting two-input row: each slope's result is summed back to its input's shape."""
    slope_a, slope_b = slopes
    vjp = (
        lambda g, xs, out, aux: sum_to(slope_a(g, xs, out, aux), shape_of(xs[0])),
        lambda g, xs, out, aux: sum_to(slope_b(g, xs, out, aux), shape_of(xs[1])),
    )
    return register(
        Rule(
            name,
            lambda xs, aux: op(xs[0], xs[1]),
            vjp,
            slopes,
            nargs=2,
            scalar=lambda xs, aux: float_op(xs[0], xs[1]),
            on_float=float_op,
            on_complex=op,
            on_array=op,
            expr=expr,
            symbol=symbol,
            partial_text=partial,
            doc=doc,
        )
    )


# -------------------------------------------------------------------------- arithmetic
ADD = _binary(
    "add", np.add, lambda a, b: a + b,
    (lambda g, xs, out, aux: g, lambda g, xs, out, aux: g),
    lambda a, b: f"{a} + {b}", "+", lambda d, a, b, o: (d, d),
)  # fmt: skip
SUB = _binary(
    "sub", np.subtract, lambda a, b: a - b,
    (lambda g, xs, out, aux: g, lambda g, xs, out, aux: -g),
    lambda a, b: f"{a} − {b}", "−", lambda d, a, b, o: (d, f"−{d}"),
)  # fmt: skip
MUL = _binary(
    "mul", np.multiply, lambda a, b: a * b,
    (lambda g, xs, out, aux: g * xs[1], lambda g, xs, out, aux: g * xs[0]),
    lambda a, b: f"{a} × {b}", "×", lambda d, a, b, o: (f"{d} × {b}", f"{d} × {a}"),
)  # fmt: skip
DIV = _binary(
    "div", np.divide, _numeric.div,
    (lambda g, xs, out, aux: div(g, xs[1]), lambda g, xs, out, aux: -div(g * out, xs[1])),
    lambda a, b: f"{a} / {b}", "/", lambda d, a, b, o: (f"{d} / {b}", f"−{d} × {o} / {b}"),
)  # fmt: skip
POW = _binary(  # a ** b with a differentiable exponent; see the module docstring at a = 0
    "pow", np.power, _numeric.power,
    (
        lambda g, xs, out, aux: g * xs[1] * power(xs[0], _nonzero_or(xs[1] - 1.0, 1.0, xs[1])),
        lambda g, xs, out, aux: g * out * log(_nonzero_or(xs[0], 1.0)),
    ),
    lambda a, b: f"{a}^{b}", "^",
    lambda d, a, b, o: (f"{d} × {b} × {a}^({b} − 1)", f"{d} × {o} × ln {a}"),
)  # fmt: skip
MAXIMUM = _binary(
    "maximum", np.maximum, lambda a, b: a if a > b or a != a else b,
    (
        lambda g, xs, out, aux: g * _wins(xs[0], xs[1]),
        lambda g, xs, out, aux: g * _wins(xs[1], xs[0]),
    ),
    lambda a, b: f"max({a}, {b})", "max",
    lambda d, a, b, o: (f"{d} × [{a} ≥ {b}]", f"{d} × [{b} ≥ {a}]"),
    doc="Elementwise maximum; where the two tie each gets half the gradient.",
)  # fmt: skip
MINIMUM = _binary(
    "minimum", np.minimum, lambda a, b: a if a < b or a != a else b,
    (
        lambda g, xs, out, aux: g * _wins(xs[1], xs[0]),
        lambda g, xs, out, aux: g * _wins(xs[0], xs[1]),
    ),
    lambda a, b: f"min({a}, {b})", "min",
    lambda d, a, b, o: (f"{d} × [{a} ≤ {b}]", f"{d} × [{b} ≤ {a}]"),
    doc="Elementwise minimum; where the two tie each gets half the gradient.",
)  # fmt: skip
_negate = (lambda g, xs, out, aux: -g,)
NEG = register(
    Rule("neg", lambda xs, aux: -xs[0], _negate, _negate, scalar=lambda xs, aux: -xs[0],
         on_float=lambda a: -a, on_complex=lambda a: -a, on_array=np.negative,
         expr=lambda a: f"−{a}", symbol="−", partial_text=lambda d, a, o: (f"−{d}",))
)  # fmt: skip
_same = (lambda g, xs, out, aux: g,)
IDENTITY = register(  # y = x as a new node: what a transform differentiates with respect to
    Rule("identity", lambda xs, aux: xs[0], _same, _same, scalar=lambda xs, aux: xs[0],
         expr=lambda a: a, symbol="=", partial_text=lambda d, a, o: (d,))
)  # fmt: skip
_pow_const = (_pow_const_slope,)
POW_CONST = register(  # a ** c for a constant c, kept in aux: the exponent gets no gradient
    Rule("pow_const", lambda xs, aux: np.power(xs[0], aux), _pow_const, _pow_const,
         scalar=lambda xs, aux: _numeric.power(xs[0], aux),
         expr=lambda a: f"{a}^c", symbol="^c", partial_text=lambda d, a, o: (f"{d} × c {a}^(c−1)",))
)  # fmt: skip
_clip_slope = (lambda g, xs, out, aux: g * _between(xs[0], aux),)
CLIP = register(  # aux: (lo, hi), constants
    Rule("clip", lambda xs, aux: np.clip(xs[0], aux[0], aux[1]), _clip_slope, _clip_slope,
         scalar=lambda xs, aux: min(max(xs[0], aux[0]), aux[1]) if xs[0] == xs[0] else xs[0],
         expr=lambda a: f"clip({a})", symbol="clip",
         partial_text=lambda d, a, o: (f"{d} × [lo ≤ {a} ≤ hi]",))
)  # fmt: skip


# -------------------------------------------------------------------- elementary functions
def _expr(fmt):
    return lambda a: fmt.format(a=a)


EXP = _unary("exp", lambda g, xs, out, aux: g * out, _expr("exp {a}"), "exp",
             lambda d, a, o: (f"{d} × {o}",), doc="e**x. Derivative: exp(x).")  # fmt: skip
LOG = _unary("log", lambda g, xs, out, aux: div(g, xs[0]), _expr("ln {a}"), "ln",
             lambda d, a, o: (f"{d} / {a}",),
             doc="Natural logarithm. Derivative: 1/x. nan with a warning for x < 0.")  # fmt: skip
SIN = _unary("sin", lambda g, xs, out, aux: g * cos(xs[0]), _expr("sin {a}"), "sin",
             lambda d, a, o: (f"{d} × cos {a}",), doc="Sine. Derivative: cos(x).")  # fmt: skip
COS = _unary("cos", lambda g, xs, out, aux: -g * sin(xs[0]), _expr("cos {a}"), "cos",
             lambda d, a, o: (f"−{d} × sin {a}",), doc="Cosine. Derivative: -sin(x).")  # fmt: skip
TAN = _unary("tan", lambda g, xs, out, aux: g * (1.0 + out * out), _expr("tan {a}"), "tan",
             lambda d, a, o: (f"{d} × (1 + {o}²)",),
             doc="Tangent. Derivative: 1 + tan(x)**2.")  # fmt: skip
TANH = _unary("tanh", lambda g, xs, out, aux: g * (1.0 - out * out), _expr("tanh {a}"), "tanh",
              lambda d, a, o: (f"{d} × (1 − {o}²)",),
              doc="Hyperbolic tangent, stable for large |x|. Derivative: 1 - tanh(x)**2.",
              )  # fmt: skip
SIGMOID = _unary(
    "sigmoid", lambda g, xs, out, aux: g * (out * (1.0 - out)), _expr("σ({a})"), "σ",
    lambda d, a, o: (f"{d} × {o} × (1 − {o})",),
    doc="Logistic function 1/(1 + e**-x), evaluated without overflow. Derivative: s(x)(1 - s(x)).",
)  # fmt: skip
RELU = _unary(
    "relu", lambda g, xs, out, aux: g * _step(xs[0]), _expr("relu({a})"), "relu",
    lambda d, a, o: (f"{d} × step({a})",), value=lambda xs, aux: np.maximum(xs[0], 0.0),
    doc="max(x, 0). Derivative: 1 for x > 0, else 0 (subgradient 0 at 0).",
)  # fmt: skip
SQRT = _unary("sqrt", lambda g, xs, out, aux: div(g * 0.5, out), _expr("√{a}"), "√",
              lambda d, a, o: (f"{d} / (2 × {o})",),
              doc="Square root. Derivative: 1/(2 sqrt(x)); nan with a warning for x < 0.",
              )  # fmt: skip
ABS = _unary(
    "abs", lambda g, xs, out, aux: g * _sign(xs[0]), _expr("|{a}|"), "|·|",
    lambda d, a, o: (f"{d} × sign({a})",), value=lambda xs, aux: np.abs(xs[0]),
    doc="Absolute value. Derivative: sign(x), with 0 at 0 (subgradient).",
)  # fmt: skip
LOG1P = _unary("log1p", lambda g, xs, out, aux: div(g, 1.0 + xs[0]), _expr("ln(1 + {a})"),
               "ln1p", lambda d, a, o: (f"{d} / (1 + {a})",),
               doc="ln(1 + x), accurate for small x. Derivative: 1/(1 + x).")  # fmt: skip
EXPM1 = _unary("expm1", lambda g, xs, out, aux: g * (out + 1.0), _expr("exp {a} − 1"), "expm1",
               lambda d, a, o: (f"{d} × ({o} + 1)",),
               doc="e**x - 1, accurate for small x. Derivative: exp(x).")  # fmt: skip
SINH = _unary("sinh", lambda g, xs, out, aux: g * cosh(xs[0]), _expr("sinh {a}"), "sinh",
              lambda d, a, o: (f"{d} × cosh {a}",),
              doc="Hyperbolic sine. Derivative: cosh(x).")  # fmt: skip
COSH = _unary("cosh", lambda g, xs, out, aux: g * sinh(xs[0]), _expr("cosh {a}"), "cosh",
              lambda d, a, o: (f"{d} × sinh {a}",),
              doc="Hyperbolic cosine. Derivative: sinh(x).")  # fmt: skip
ARCSIN = _unary(
    "arcsin", lambda g, xs, out, aux: div(g, sqrt(1.0 - xs[0] * xs[0])), _expr("arcsin {a}"),
    "asin", lambda d, a, o: (f"{d} / √(1 − {a}²)",),
    doc="Inverse sine on [-1, 1]. Derivative: 1/sqrt(1 - x**2).",
)  # fmt: skip
ARCCOS = _unary(
    "arccos", lambda g, xs, out, aux: -div(g, sqrt(1.0 - xs[0] * xs[0])), _expr("arccos {a}"),
    "acos", lambda d, a, o: (f"−{d} / √(1 − {a}²)",),
    doc="Inverse cosine on [-1, 1]. Derivative: -1/sqrt(1 - x**2).",
)  # fmt: skip
ARCTAN = _unary(
    "arctan", lambda g, xs, out, aux: div(g, 1.0 + xs[0] * xs[0]), _expr("arctan {a}"), "atan",
    lambda d, a, o: (f"{d} / (1 + {a}²)",), doc="Inverse tangent. Derivative: 1/(1 + x**2).",
)  # fmt: skip
SIGN = _unary("sign", lambda g, xs, out, aux: g * 0.0, _expr("sign {a}"), "sign",
              lambda d, a, o: ("0",),
              doc="-1, 0 or 1. Derivative: 0 (also at 0, by convention).")  # fmt: skip


# ------------------------------------------------------------ broadcasting plumbing (Tensor)
SUM_TO = register(  # aux: the target shape (unbroadcast)
    Rule("sum_to", lambda xs, aux: sum_to_array(xs[0], aux),
         (lambda g, xs, out, aux: broadcast_to(g, xs[0].shape),),
         (lambda t, xs, out, aux: sum_to(t, aux) if t.ndim == xs[0].ndim  # more axes: a batch
          else batching.sum_to(t, xs[0].shape, aux),))
)  # fmt: skip
BROADCAST = register(  # aux: the target shape
    Rule("broadcast_to", lambda xs, aux: np.broadcast_to(xs[0], aux),
         (lambda g, xs, out, aux: sum_to(g, xs[0].shape),),
         (lambda t, xs, out, aux: broadcast_to(t, aux) if t.ndim == xs[0].ndim
          else batching.broadcast_to(t, xs[0].shape, aux),))
)  # fmt: skip
WHERE = register(  # aux: the boolean condition; inputs: the two branches
    Rule(
        "where",
        lambda xs, aux: np.where(aux, xs[0], xs[1]),
        (
            lambda g, xs, out, aux: sum_to(where(aux, g, 0.0), shape_of(xs[0])),
            lambda g, xs, out, aux: sum_to(where(aux, 0.0, g), shape_of(xs[1])),
        ),
        (lambda t, xs, out, aux: where(aux, t, 0.0), lambda t, xs, out, aux: where(aux, 0.0, t)),
        nargs=2,
    )
)


def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b`` (broadcasting); no gradient to the condition."""
    cond = np.asarray(constant(condition), dtype=bool)
    if isinstance(a, _PLAIN) and isinstance(b, _PLAIN):
        return np.where(cond, a, b)
    return call(WHERE, (a, b), cond)


# ------------------------------------------------------------------- the public functions
def _function(rule: Rule):
    on_float = rule.on_float

    def fn(x):
        if type(x) is float:
            return on_float(x)
        return call(rule, (x,))

    fn.__name__ = fn.__qualname__ = rule.name
    fn.__doc__ = rule.doc
    fn.rule = rule
    return fn


exp = _function(EXP)
log = _function(LOG)
sin = _function(SIN)
cos = _function(COS)
tan = _function(TAN)
tanh = _function(TANH)
sigmoid = _function(SIGMOID)
relu = _function(RELU)
sqrt = _function(SQRT)
abs = _function(ABS)  # noqa: A001
log1p = _function(LOG1P)
expm1 = _function(EXPM1)
sinh = _function(SINH)
cosh = _function(COSH)
arcsin = _function(ARCSIN)
arccos = _function(ARCCOS)
arctan = _function(ARCTAN)
sign = _function(SIGN)

# The one-input rows every value type offers as a method (``x.exp()``) and ``ad.*`` function.
UNARY = (EXP, LOG, SIN, COS, TAN, TANH, SIGMOID, RELU, SQRT, ABS, LOG1P, EXPM1, SINH, COSH,
         ARCSIN, ARCCOS, ARCTAN, SIGN)  # fmt: skip
unary_row, binary_row, public_function = _unary, _binary, _function  # for elementwise_extra
