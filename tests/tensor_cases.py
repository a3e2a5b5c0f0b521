"""Shared helpers for the Tensor tests: central differences and the table of primitive cases.

Tolerance used throughout: derivatives from the library must match central differences with step
h = 1e-6 to ``|ad - fd| <= 1e-6 * (1 + |fd|)`` entrywise. Central differences have truncation
error about h**2 |f'''| ~ 1e-12 and round-off about eps |f| / h ~ 1e-10 here, so 1e-6 leaves a wide
margin while still catching any wrong rule (those are off by O(1)). Inputs are drawn away from
kinks (relu, abs, max, ...) and domain edges, so the differences see a smooth function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import autograd_ref as ad
from autograd_ref import primitives as P
from autograd_ref.primitives import broadcast_to, scatter, sum_to
from autograd_ref.tensor import apply

H = 1e-6
TOL = 1e-6


def assert_close_fd(got, expected, what: str, tol: float = TOL) -> None:
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    err = np.abs(got - expected) / (1.0 + np.abs(expected))
    assert np.all(err <= tol), f"{what}: max relative error {err.max():.3g}\n{got}\nvs\n{expected}"


def central_gradient(phi: Callable[[list[np.ndarray]], float], xs: list[np.ndarray]):
    """d phi / d xs[i] for every input, entry by entry, by central differences."""
    grads = []
    for i, x in enumerate(xs):
        g = np.zeros_like(x)
        for k in np.ndindex(x.shape):
            plus = [a.copy() for a in xs]
            minus = [a.copy() for a in xs]
            plus[i][k] += H
            minus[i][k] -= H
            g[k] = (phi(plus) - phi(minus)) / (2 * H)
        grads.append(g)
    return grads


def central_directional(f: Callable, xs: list[np.ndarray], ts: list[np.ndarray]) -> np.ndarray:
    plus = f(*[x + H * t for x, t in zip(xs, ts, strict=True)])
    minus = f(*[x - H * t for x, t in zip(xs, ts, strict=True)])
    return (np.asarray(plus) - np.asarray(minus)) / (2 * H)


def plain(f: Callable) -> Callable:
    """Evaluate a Tensor function on arrays and return the numbers."""

    def run(*arrays):
        out = f(*[ad.Tensor(a) for a in arrays])
        return out.data

    return run


# ------------------------------------------------------------------------ input samplers
def normal(shape, rng):
    return rng.normal(size=shape)


def positive(shape, rng):
    return rng.uniform(0.5, 2.0, size=shape)


def nonzero(shape, rng):
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def small(shape, rng):
    return rng.uniform(-1.0, 1.0, size=shape)


def away_from_integers(shape, rng):
    """Entries whose ratios and values stay clear of the jumps of floor, mod and friends."""
    return rng.integers(-3, 4, size=shape) + rng.uniform(0.2, 0.8, size=shape)


def distinct(shape, rng):
    """Entries at least 0.1 apart (no ties, so max/maximum are smooth at the point)."""
    n = int(np.prod(shape, dtype=int))
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.01, n)).reshape(shape) - 0.05 * n


def well_conditioned(shape, rng):
    """A (stack of) square matrix near 3 I: invertible, with no eigenvalue near 0."""
    return rng.normal(size=shape) + 3.0 * np.eye(shape[-1])


def flipped(shape, rng):
    """Minus a well-conditioned matrix: a negative determinant for odd sizes."""
    return -well_conditioned(shape, rng)


def sym(a):
    """The symmetric part (a + a^T) / 2 of a (stack of) matrix Tensor."""
    n = a.ndim
    return (a + a.transpose(*range(n - 2), n - 1, n - 2)) * 0.5


def spd(a):
    """A symmetric positive definite matrix from any (stack of) 3 x 3 Tensor near 0."""
    return sym(a) + 4.0 * np.eye(a.shape[-1])


def eigh_parts(a, uplo="L"):
    """eigh of sym(a) as one Tensor: the eigenvalues and the sign-free squares of the vectors."""
    w, v = ad.linalg.eigh(sym(a), uplo)
    return ad.concatenate([w.reshape(-1), (v * v).reshape(-1)])


@dataclass
class Case:
    """One way to exercise a primitive: a Tensor function of some inputs and their samplers."""

    primitive: str
    label: str
    fn: Callable
    shapes: list[tuple]
    samplers: list[Callable] = field(default_factory=list)
    second_order: bool = True

    def inputs(self, rng) -> list[np.ndarray]:
        samplers = self.samplers or [normal] * len(self.shapes)
        return [s(shape, rng) for s, shape in zip(samplers, self.shapes, strict=True)]


MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
ROWS = np.array([0, 2, 2, 1, 0])
COLS = np.array([1, 1, 1, 3, 0])

CASES = [
    Case("add", "(3,4)+(4,)", lambda a, b: a + b, [(3, 4), (4,)]),
    Case("sub", "(3,4)-(3,1)", lambda a, b: a - b, [(3, 4), (3, 1)]),
    Case("mul", "(3,4)*(1,4)", lambda a, b: a * b, [(3, 4), (1, 4)]),
    Case("div", "(3,4)/(4,)", lambda a, b: a / b, [(3, 4), (4,)], [normal, nonzero]),
    Case("pow", "a**b", lambda a, b: a**b, [(3, 4), (3, 4)], [positive, normal]),
    Case("pow", "2**x", lambda x: 2.0**x, [(5,)]),
    Case("pow_const", "x**3", lambda x: x**3, [(5,)]),
    Case("pow_const", "x**-1.5", lambda x: x**-1.5, [(5,)], [positive]),
    Case("maximum", "maximum((3,4),(4,))", ad.maximum, [(3, 4), (4,)], [distinct, distinct]),
    Case("minimum", "minimum((3,4),(4,))", ad.minimum, [(3, 4), (4,)], [distinct, distinct]),
    Case("clip", "clip(x, -0.5, 0.7)", lambda x: ad.clip(x, -0.5, 0.7), [(3, 4)], [distinct]),
    Case("log1p", "log1p", ad.log1p, [(2, 3)], [positive]),
    Case("expm1", "expm1", ad.expm1, [(2, 3)]),
    Case("sinh", "sinh", ad.sinh, [(2, 3)]),
    Case("cosh", "cosh", ad.cosh, [(2, 3)]),
    Case("arcsin", "arcsin", lambda x: ad.arcsin(x * 0.9), [(2, 3)], [small]),
    Case("arccos", "arccos", lambda x: ad.arccos(x * 0.9), [(2, 3)], [small]),
    Case("arctan", "arctan", ad.arctan, [(2, 3)]),
    Case("sign", "sign(x) * x", lambda x: ad.sign(x) * x, [(2, 3)], [nonzero]),
    Case("neg", "-x", lambda x: -x, [(2, 3)]),
    # elementwise_extra: numpy's other elementwise functions
    Case("log2", "log2", ad.log2, [(2, 3)], [positive]),
    Case("log10", "log10", ad.log10, [(2, 3)], [positive]),
    Case("exp2", "exp2", ad.exp2, [(2, 3)]),
    Case("square", "square", ad.square, [(2, 3)]),
    Case("reciprocal", "reciprocal", ad.reciprocal, [(2, 3)], [nonzero]),
    Case("cbrt", "cbrt", ad.cbrt, [(2, 3)], [nonzero]),
    Case("deg2rad", "deg2rad", ad.deg2rad, [(2, 3)]),
    Case("rad2deg", "rad2deg", ad.rad2deg, [(2, 3)]),
    Case("sinc", "sinc", ad.sinc, [(2, 3)]),
    Case("sinc", "sinc at 0 and near it",
         lambda x: ad.sinc(x * np.array([[0.0, 1e-3, 0.02], [1.0, -0.5, 2.5]])), [(2, 3)]),
    Case("floor", "floor(x) * x", lambda x: ad.floor(x) * x, [(2, 3)], [away_from_integers]),
    Case("ceil", "ceil(x) * x", lambda x: ad.ceil(x) * x, [(2, 3)], [away_from_integers]),
    Case("rint", "rint(x) * x", lambda x: ad.rint(x) * x, [(2, 3)], [away_from_integers]),
    Case("rint", "round(x, 1) + x", lambda x: ad.round(x * 0.01, 1) + x, [(2, 3)]),
    Case("trunc", "trunc(x) * x", lambda x: ad.trunc(x) * x, [(2, 3)], [away_from_integers]),
    Case("arctan2", "arctan2((3,4),(4,))", ad.arctan2, [(3, 4), (4,)]),
    Case("hypot", "hypot((3,1),(4,))", ad.hypot, [(3, 1), (4,)], [nonzero, nonzero]),
    Case("logaddexp", "logaddexp((3,4),(3,1))", ad.logaddexp, [(3, 4), (3, 1)]),
    Case("logaddexp2", "logaddexp2((4,),(3,4))", ad.logaddexp2, [(4,), (3, 4)]),
    Case("mod", "mod((3,4),(4,))", ad.mod, [(3, 4), (4,)], [away_from_integers, positive]),
    Case("mod", "mod by negatives", lambda a, b: ad.remainder(a, -b), [(3, 4), (3, 4)],
         [away_from_integers, positive]),
    Case("fmod", "fmod((3,4),(3,1))", ad.fmod, [(3, 4), (3, 1)], [away_from_integers, positive]),
    Case("identity", "identity", lambda x: apply(P.IDENTITY, (x,)), [(2, 3)]),
    Case("exp", "exp", ad.exp, [(2, 3)]),
    Case("log", "log", ad.log, [(2, 3)], [positive]),
    Case("sin", "sin", ad.sin, [(2, 3)]),
    Case("cos", "cos", ad.cos, [(2, 3)]),
    Case("tan", "tan", ad.tan, [(2, 3)], [small]),
    Case("tanh", "tanh", ad.tanh, [(2, 3)]),
    Case("sigmoid", "sigmoid", ad.sigmoid, [(2, 3)]),
    Case("relu", "relu", ad.relu, [(2, 3)], [nonzero]),
    Case("sqrt", "sqrt", ad.sqrt, [(2, 3)], [positive]),
    Case("abs", "abs", ad.abs, [(2, 3)], [nonzero]),
    Case("leaky_relu", "leaky_relu", lambda x: ad.leaky_relu(x, 0.1), [(2, 3)], [nonzero]),
    Case("elu", "elu", lambda x: ad.elu(x, 1.5), [(2, 3)], [nonzero]),
    Case("softmax", "softmax axis -1", ad.softmax, [(3, 4)]),
    Case("softmax", "softmax axis 0", lambda x: ad.softmax(x, axis=0), [(3, 4)]),
    Case("log_softmax", "log_softmax axis -1", ad.log_softmax, [(3, 4)]),
    Case("log_softmax", "log_softmax axis 0", lambda x: ad.log_softmax(x, 0), [(3, 4)]),
    Case("matmul", "(3,4)@(4,2)", lambda a, b: a @ b, [(3, 4), (4, 2)]),
    Case("matmul", "(2,3,4)@(4,2)", lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
    Case("matmul", "(2,3,4)@(2,4,2)", lambda a, b: a @ b, [(2, 3, 4), (2, 4, 2)]),
    Case("matmul", "(3,4)@(2,4,2)", lambda a, b: a @ b, [(3, 4), (2, 4, 2)]),
    Case("matmul", "(3,4)@(4,)", lambda a, b: a @ b, [(3, 4), (4,)]),
    Case("matmul", "(4,)@(4,2)", lambda a, b: a @ b, [(4,), (4, 2)]),
    Case("matmul", "(4,)@(4,)", lambda a, b: a @ b, [(4,), (4,)]),
    Case("matmul", "(2,3,4)@(4,)", lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    Case("matmul", "(4,)@(2,4,3)", lambda a, b: a @ b, [(4,), (2, 4, 3)]),
    Case("sum", "sum()", lambda x: x.sum(), [(3, 4)]),
    Case("sum", "sum(axis=1)", lambda x: x.sum(axis=1), [(3, 4)]),
    Case("sum", "sum((0,2), keepdims)", lambda x: x.sum((0, 2), keepdims=True), [(2, 3, 4)]),
    Case("mean", "mean()", lambda x: x.mean(), [(3, 4)]),
    Case("mean", "mean(axis=0)", lambda x: x.mean(axis=0), [(3, 4)]),
    Case("mean", "mean(-1, keepdims)", lambda x: x.mean(-1, keepdims=True), [(2, 3, 4)]),
    Case("max", "max()", lambda x: x.max(), [(3, 4)], [distinct]),
    Case("max", "max(axis=1)", lambda x: x.max(axis=1), [(3, 4)], [distinct]),
    Case("max", "max((0,1), keepdims)", lambda x: x.max((0, 1), True), [(2, 3, 4)], [distinct]),
    Case("sum_to", "sum_to (4,)", lambda x: sum_to(x, (4,)), [(3, 4)]),
    Case("sum_to", "sum_to (3,1)", lambda x: sum_to(x, (3, 1)), [(2, 3, 4)]),
    Case("broadcast_to", "broadcast (3,4)", lambda x: broadcast_to(x, (3, 4)), [(4,)]),
    Case("broadcast_to", "broadcast (2,3,4)", lambda x: broadcast_to(x, (2, 3, 4)), [(3, 1)]),
    Case("reshape", "reshape", lambda x: x.reshape(4, -1), [(2, 3, 2)]),
    Case("transpose", ".T", lambda x: x.T, [(3, 4)]),
    Case("transpose", "transpose(1,2,0)", lambda x: x.transpose(1, 2, 0), [(2, 3, 4)]),
    Case("getitem", "slices", lambda x: x[1:, ::2], [(3, 4)]),
    Case("getitem", "int, None, ...", lambda x: x[..., None, 2], [(3, 4)]),
    Case("getitem", "repeated rows", lambda x: x[[0, 0, 2, 0]], [(3, 4)]),
    Case("getitem", "pairs with repeats", lambda x: x[ROWS, COLS], [(3, 4)]),
    Case("getitem", "boolean mask", lambda x: x[MASK], [(3, 4)]),
    Case("scatter", "scatter rows", lambda x: scatter(x, (ROWS, COLS), (3, 4)), [(5,)]),
    Case("scatter", "scatter slice", lambda x: scatter(x, (slice(1, 3),), (4, 2)), [(2, 2)]),
    Case("where", "where", lambda a, b: ad.where(MASK, a, b), [(3, 4), (4,)]),
    Case(
        "concatenate",
        "concatenate axis 1",
        lambda a, b: ad.concatenate([a, b, a], axis=1),
        [(3, 2), (3, 4)],
    ),
    Case("concatenate", "stack axis -1", lambda a, b: ad.stack([a, b], axis=-1), [(3, 2), (3, 2)]),
    Case(
        "checkpoint",
        "checkpoint",
        ad.checkpoint(lambda a, b: ad.tanh(a @ b.T) * ad.sin(a).sum()),
        [(3, 2), (4, 2)],
    ),
    # array_ops and linalg_ops: rows (prod, cumsum, logsumexp, einsum) and compositions (var, std,
    # squeeze, outer, diag: filed under the row they are built on)
    Case("prod", "prod()", lambda x: ad.prod(x), [(2, 3)]),
    Case("prod", "prod(axis=1)", lambda x: x.prod(axis=1), [(3, 4)]),
    Case("prod", "prod((0,2), keepdims)", lambda x: x.prod((0, 2), True), [(2, 3, 2)]),
    Case(
        "prod",
        "prod(axis=1), one zero per row",
        lambda x: x.prod(axis=1),
        [(2, 3)],
        [lambda shape, rng: rng.normal(size=shape) * (np.arange(6).reshape(shape) % 3 != 0)],
    ),
    Case(
        "prod",
        "prod(axis=-1), two zeros per row",
        lambda x: x.prod(axis=-1),
        [(2, 4)],
        [lambda shape, rng: rng.normal(size=shape) * (np.arange(8).reshape(shape) % 2 != 0)],
    ),
    Case("cumsum", "cumsum() flattens", lambda x: ad.cumsum(x), [(2, 3)]),
    Case("cumsum", "cumsum(axis=0)", lambda x: x.cumsum(axis=0), [(3, 4)]),
    Case("cumsum", "cumsum(axis=-1)", lambda x: x.cumsum(-1), [(2, 3, 4)]),
    Case("logsumexp", "logsumexp()", lambda x: ad.logsumexp(x), [(3, 4)]),
    Case("logsumexp", "logsumexp(axis=1)", lambda x: x.logsumexp(axis=1), [(3, 4)]),
    Case(
        "logsumexp", "logsumexp((0,2), keepdims)", lambda x: x.logsumexp((0, 2), True), [(2, 3, 4)]
    ),
    Case("einsum", "ij,jk->ik", lambda a, b: ad.einsum("ij,jk->ik", a, b), [(3, 4), (4, 2)]),
    Case(
        "einsum",
        "bij,bjk->bik",
        lambda a, b: ad.einsum("bij,bjk->bik", a, b),
        [(2, 3, 4), (2, 4, 2)],
    ),
    Case("einsum", "implicit ij,jk", lambda a, b: ad.einsum("ij,jk", a, b), [(3, 4), (4, 2)]),
    Case("einsum", "ij->ji", lambda a: ad.einsum("ij->ji", a), [(3, 4)]),
    Case("einsum", "ii->i (diagonal)", lambda a: ad.einsum("ii->i", a), [(3, 3)]),
    Case("einsum", "ii-> (trace)", lambda a: ad.einsum("ii->", a), [(3, 3)]),
    Case("einsum", "ij-> (summed out)", lambda a: ad.einsum("ij->", a), [(3, 4)]),
    Case("einsum", "ijk->ik (one summed)", lambda a: ad.einsum("ijk->ik", a), [(2, 3, 4)]),
    Case("einsum", "iij,j->ij", lambda a, b: ad.einsum("iij,j->ij", a, b), [(3, 3, 2), (2,)]),
    Case(
        "einsum",
        "i,ij,j-> (three operands)",
        lambda a, m, b: ad.einsum("i,ij,j->", a, m, b),
        [(3,), (3, 4), (4,)],
    ),
    Case("einsum", "i,j->ij", lambda a, b: ad.einsum("i,j->ij", a, b), [(3,), (4,)]),
    Case(
        "einsum", "ij,ij->i (same operand twice)", lambda a: ad.einsum("ij,ij->i", a, a), [(3, 4)]
    ),
    Case(
        "einsum",
        "ij,ij->ij (size 1 broadcasts)",
        lambda a, b: ad.einsum("ij,ij->ij", a, b),
        [(3, 4), (3, 1)],
    ),
    Case(
        "einsum",
        "ij,j->i (size 1 broadcasts)",
        lambda a, b: ad.einsum("ij,j->i", a, b),
        [(3, 4), (1,)],
    ),
    Case("sum", "var() (composition)", lambda x: ad.var(x), [(3, 4)]),
    Case("sum", "var(axis=1, ddof=1)", lambda x: x.var(axis=1, ddof=1), [(3, 4)]),
    Case("sum", "var((0,2), keepdims)", lambda x: x.var((0, 2), keepdims=True), [(2, 3, 4)]),
    Case("sum", "std(axis=0) (composition)", lambda x: x.std(axis=0), [(3, 4)]),
    Case("sum", "std(ddof=1)", lambda x: ad.std(x, ddof=1), [(2, 3)]),
    Case("reshape", "squeeze()", lambda x: x.squeeze(), [(3, 1, 4, 1)]),
    Case("reshape", "squeeze(axis=-1)", lambda x: ad.squeeze(x, -1), [(1, 3, 1)]),
    Case("mul", "outer (composition)", ad.outer, [(3,), (4,)]),
    Case("mul", "outer flattens", ad.outer, [(2, 2), (3,)]),
    Case("scatter", "diag of a vector", ad.diag, [(3,)]),
    Case("scatter", "diag of a vector, k=-1", lambda x: ad.diag(x, k=-1), [(3,)]),
    Case("getitem", "diag of a matrix", ad.diag, [(3, 4)]),
    Case("getitem", "diag of a matrix, k=1", lambda x: ad.diag(x, 1), [(4, 3)]),
    # linalg: rows (inv, det, slogdet, solve, cholesky, eigh) and norm (a composition, filed
    # under the rows it is built on)
    Case("inv", "inv (3,3)", ad.linalg.inv, [(3, 3)], [well_conditioned]),
    Case("inv", "inv stack (2,3,3)", ad.linalg.inv, [(2, 3, 3)], [well_conditioned]),
    Case("det", "det (3,3)", ad.linalg.det, [(3, 3)], [well_conditioned]),
    Case("det", "det stack (2,3,3)", ad.linalg.det, [(2, 3, 3)], [well_conditioned]),
    Case("det", "det < 0", ad.linalg.det, [(3, 3)], [flipped]),
    Case(
        "slogdet", "slogdet (3,3)", lambda a: ad.linalg.slogdet(a)[1], [(3, 3)], [well_conditioned]
    ),
    Case("slogdet", "slogdet, det < 0", lambda a: ad.linalg.slogdet(a)[1], [(3, 3)], [flipped]),
    Case(
        "slogdet",
        "slogdet stack",
        lambda a: ad.linalg.slogdet(a)[1],
        [(2, 3, 3)],
        [well_conditioned],
    ),
    Case(
        "solve", "solve (3,3),(3,2)", ad.linalg.solve, [(3, 3), (3, 2)], [well_conditioned, normal]
    ),
    Case("solve", "solve (3,3),(3,)", ad.linalg.solve, [(3, 3), (3,)], [well_conditioned, normal]),
    Case(
        "solve", "solve stacks", ad.linalg.solve, [(2, 3, 3), (2, 3, 2)], [well_conditioned, normal]
    ),
    Case(
        "solve",
        "solve (2,3,3),(3,)",
        ad.linalg.solve,
        [(2, 3, 3), (3,)],
        [well_conditioned, normal],
    ),
    Case(
        "solve",
        "solve (3,3),(2,3,2) broadcasts a",
        ad.linalg.solve,
        [(3, 3), (2, 3, 2)],
        [well_conditioned, normal],
    ),
    Case("cholesky", "cholesky(spd(a))", lambda a: ad.linalg.cholesky(spd(a)), [(3, 3)]),
    Case("cholesky", "cholesky stack", lambda a: ad.linalg.cholesky(spd(a)), [(2, 3, 3)]),
    Case("eigh", "eigh(sym(a))", eigh_parts, [(3, 3)]),
    Case("eigh", "eigh(sym(a), 'U')", lambda a: eigh_parts(a, "U"), [(3, 3)]),
    Case("eigh", "eigh stack", eigh_parts, [(2, 3, 3)]),
    Case("sqrt", "norm of a vector", ad.linalg.norm, [(4,)]),
    Case("sqrt", "norm, Frobenius", lambda x: ad.linalg.norm(x, "fro"), [(3, 4)]),
    Case("sqrt", "norm axis=(0,1)", lambda x: ad.linalg.norm(x, axis=(0, 1)), [(3, 4, 2)]),
    Case(
        "sqrt",
        "norm axis=1 keepdims",
        lambda x: ad.linalg.norm(x, axis=1, keepdims=True),
        [(3, 4, 2)],
    ),
    Case("abs", "norm ord=1", lambda x: ad.linalg.norm(x, 1), [(4,)], [nonzero]),
    Case("pow_const", "norm ord=3", lambda x: ad.linalg.norm(x, 3), [(4,)], [nonzero]),
    Case("max", "norm ord=inf", lambda x: ad.linalg.norm(x, np.inf), [(5,)], [distinct]),
    Case(
        "max", "norm ord=-inf axis=0", lambda x: ad.linalg.norm(x, -np.inf, 0), [(5, 2)], [distinct]
    ),
    Case("max", "matrix norm ord=1", lambda x: ad.linalg.norm(x, 1), [(3, 4)], [distinct]),
    Case("max", "matrix norm ord=inf", lambda x: ad.linalg.norm(x, np.inf), [(3, 4)], [distinct]),
    Case(
        "max",
        "matrix norm ord=-1 axis=(2,0)",
        lambda x: ad.linalg.norm(x, -1, (2, 0)),
        [(3, 2, 4)],
        [distinct],
    ),
]
