"""One list of math functions, run through every way the library can differentiate them.

The idea (from minitorch's test suite): write each test function once, with operators and the
``ad.*`` elementary functions, so the very same Python function runs on floats, Scalars, Duals,
complex numbers (complex step) and, later, Tensors. test_functions.py then checks every backend
("column") against the plain float evaluation, against reverse mode, and against central
differences, for every case ("row").

Adding a column (e.g. ad.Tensor): write ``def backend(f, xs) -> (value, gradient)``, where ``xs``
is a tuple of floats, ``value`` a float and ``gradient`` a tuple of floats (one partial derivative
per argument), and add it to :data:`AD_BACKENDS`. Nothing else changes.

This module is imported by tests (pytest puts tests/ on sys.path); it holds no tests itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import autograd_ref as ad
from autograd_ref import finite_diff as fd


@dataclass(frozen=True)
class Case:
    """A test function and where it may be evaluated.

    ``domains`` gives one (low, high) interval per argument. ``kink`` (optional) returns the
    distance from a point to the nearest non-differentiable point (relu/abs at 0); points closer
    than 0.05 are not used, so a central difference never straddles a kink. Every case must also
    work with the complex step: write it with operators and ad.* functions (abs and relu follow
    the real part's branch for complex input, so they qualify away from their kinks).
    """

    name: str
    f: Callable
    domains: tuple[tuple[float, float], ...]
    kink: Callable[..., float] | None = None

    @property
    def arity(self) -> int:
        return len(self.domains)

    def points(self, n: int = 4, seed: int = 0) -> list[tuple[float, ...]]:
        """``n`` seeded points inside the domains and away from kinks."""
        rng = np.random.default_rng([seed, sum(map(ord, self.name))])
        out = []
        while len(out) < n:
            x = tuple(float(rng.uniform(lo, hi)) for lo, hi in self.domains)
            if self.kink is None or self.kink(*x) > 0.05:
                out.append(x)
        return out


WIDE = (-2.0, 2.0)
POSITIVE = (0.2, 3.0)

UNARY = [
    Case("neg", lambda x: -x, (WIDE,)),
    Case("add_const", lambda x: x + 5.0, (WIDE,)),
    Case("radd_const", lambda x: 5 + x, (WIDE,)),
    Case("sub_const", lambda x: x - 5.0, (WIDE,)),
    Case("rsub_const", lambda x: 5.0 - x, (WIDE,)),
    Case("mul_const", lambda x: x * 3.0, (WIDE,)),
    Case("rmul_const", lambda x: 3 * x, (WIDE,)),
    Case("div_const", lambda x: x / 4.0, (WIDE,)),
    Case("rdiv_const", lambda x: 4.0 / x, (POSITIVE,)),
    Case("square", lambda x: x * x, (WIDE,)),
    Case("cube", lambda x: x * x * x, (WIDE,)),
    Case("pow_2", lambda x: x**2, (WIDE,)),
    Case("pow_3", lambda x: x**3, (WIDE,)),
    Case("pow_frac", lambda x: x**2.5, (POSITIVE,)),
    Case("pow_negative", lambda x: x**-1.5, (POSITIVE,)),
    Case("rpow", lambda x: 2.0**x, (WIDE,)),
    Case("exp", lambda x: ad.exp(x), (WIDE,)),
    Case("log", lambda x: ad.log(x), (POSITIVE,)),
    Case("sin", lambda x: ad.sin(x), (WIDE,)),
    Case("cos", lambda x: ad.cos(x), (WIDE,)),
    Case("tan", lambda x: ad.tan(x), ((-1.2, 1.2),)),
    Case("tanh", lambda x: ad.tanh(x), (WIDE,)),
    Case("sigmoid", lambda x: ad.sigmoid(x), ((-8.0, 8.0),)),
    Case("relu", lambda x: ad.relu(x), (WIDE,), kink=abs),
    Case("sqrt", lambda x: ad.sqrt(x), (POSITIVE,)),
    Case("abs", lambda x: ad.abs(x), (WIDE,), kink=abs),
    # compositions
    Case("exp_sin", lambda x: ad.exp(ad.sin(x)), (WIDE,)),
    Case("log_sigmoid", lambda x: ad.log(ad.sigmoid(x)), ((-8.0, 8.0),)),
    Case("softplus", lambda x: ad.log(1.0 + ad.exp(x)), (WIDE,)),
    Case("sqrt_1_plus_square", lambda x: ad.sqrt(1.0 + x * x), (WIDE,)),
    Case("gaussian", lambda x: ad.exp(-(x * x) / 2.0), (WIDE,)),
    Case("x_tanh", lambda x: x * ad.tanh(x), (WIDE,)),
    Case("reuse", lambda x: x * x * x - 2.0 * x + x / (1.0 + x * x), (WIDE,)),
    Case("relu_gated", lambda x: ad.relu(x) * ad.exp(-x) + ad.abs(x - 1.0), (WIDE,),
         kink=lambda x: min(abs(x), abs(x - 1.0))),  # fmt: skip
    Case("nested_trig", lambda x: ad.sin(ad.cos(ad.tan(x / 2.0))), (WIDE,)),
    Case("sigmoid_tanh", lambda x: ad.sigmoid(3.0 * ad.tanh(x)) ** 2, (WIDE,)),
]

BINARY = [
    Case("add", lambda x, y: x + y, (WIDE, WIDE)),
    Case("sub", lambda x, y: x - y, (WIDE, WIDE)),
    Case("mul", lambda x, y: x * y, (WIDE, WIDE)),
    Case("div", lambda x, y: x / y, (WIDE, POSITIVE)),
    Case("pow", lambda x, y: x**y, (POSITIVE, WIDE)),
    Case("lecture", lambda x1, x2: ad.log(x1) + x1 * x2 - ad.sin(x2), (POSITIVE, (0.0, 6.0))),
    Case("x2y", lambda x, y: x**2 * y + y + 2, (WIDE, WIDE)),
    Case("sigmoid_product", lambda x, y: ad.sigmoid(x * y) + x * y, (WIDE, WIDE)),
    Case("hypot", lambda x, y: ad.sqrt(x * x + y * y), (POSITIVE, WIDE)),
    Case("max_by_relu", lambda x, y: ad.relu(x - y) + y, (WIDE, WIDE),
         kink=lambda x, y: abs(x - y)),  # fmt: skip
    Case("ratio", lambda x, y: ad.tanh(x) / (1.0 + y * y), (WIDE, WIDE)),
    Case("wave", lambda x, y: ad.exp(x - y) * ad.cos(x * y), (WIDE, WIDE)),
    Case("log_sum_exp", lambda x, y: ad.log(ad.exp(x) + ad.exp(y)), (WIDE, WIDE)),
    Case("pow_both", lambda x, y: (1.0 + x * x) ** ad.sin(y), (WIDE, WIDE)),
    Case("neuron", lambda x, y: ad.relu(0.7 * x - 1.3 * y + 0.2) + ad.tanh(x * y), (WIDE, WIDE),
         kink=lambda x, y: abs(0.7 * x - 1.3 * y + 0.2)),  # fmt: skip
]

CASES = UNARY + BINARY


# ------------------------------------------------------------------------------ the columns
Result = tuple[float, tuple[float, ...]]


def scalar_backward(f: Callable, xs: tuple[float, ...]) -> Result:
    """Reverse mode through Scalar.backward (the fused pass)."""
    leaves = [ad.Scalar(x) for x in xs]
    out = f(*leaves)
    out.backward()
    return out.value, tuple(leaf.grad for leaf in leaves)


def grad_transform(f: Callable, xs: tuple[float, ...]) -> Result:
    """Reverse mode through ad.value_and_grad (the table-only pass)."""
    value, grads = ad.value_and_grad(f, argnums=tuple(range(len(xs))))(*xs)
    return value, tuple(grads)


def dual_forward(f: Callable, xs: tuple[float, ...]) -> Result:
    """Forward mode: one pass per argument, seeded with the unit vector e_i."""
    value, grads = None, []
    for i in range(len(xs)):
        out = f(*(ad.Dual(x, 1.0 if j == i else 0.0) for j, x in enumerate(xs)))
        value = out.primal
        grads.append(out.tangent)
    return value, tuple(grads)


def complex_step(f: Callable, xs: tuple[float, ...]) -> Result:
    """The complex-step derivative, one argument at a time (no subtraction, exact to rounding)."""
    grads = []
    for i in range(len(xs)):

        def partial(z, i=i):
            return f(*(z if j == i else x for j, x in enumerate(xs)))

        grads.append(fd.complex_step(partial, xs[i]))
    return f(*xs), tuple(grads)


def central_differences(f: Callable, xs: tuple[float, ...]) -> Result:
    """Central differences at the default step eps**(1/3) * max(1, |x|): the AD-free check."""
    grads = []
    for i in range(len(xs)):

        def partial(t, i=i):
            return f(*(t if j == i else x for j, x in enumerate(xs)))

        grads.append(fd.central_difference(partial, xs[i]))
    return f(*xs), tuple(grads)


# Backends that differentiate exactly (up to rounding). Add a column here.
AD_BACKENDS: dict[str, Callable[[Callable, tuple[float, ...]], Result]] = {
    "Scalar.backward": scalar_backward,
    "value_and_grad": grad_transform,
    "Dual": dual_forward,
    "complex_step": complex_step,
}


def relative_gap(a: float, b: float) -> float:
    """|a - b| / max(1, |a|, |b|): relative for large numbers, absolute near zero."""
    return abs(a - b) / max(1.0, abs(a), abs(b)) if math.isfinite(a - b) else math.inf
