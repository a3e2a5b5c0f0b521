"""``numpy.linalg`` as rows of the rule table: ``inv``, ``det``, ``slogdet``, ``solve``,
``cholesky``, ``eigh``, and ``norm`` (a composition of existing rows).

They take numpy arrays (returning numpy) or :class:`~autograd_ref.Tensor` values, and act on the
last two axes, so a stack ``(..., n, n)`` is done matrix by matrix. The rules are written with
``@``, ``swap_last`` and these functions, so a gradient is differentiable again (``hessian``):

* ``inv``: ``d(A^-1) = -A^-1 dA A^-1``, so the cotangent is ``-A^-T G A^-T``.
* ``det``: ``d det A = det A * tr(A^-1 dA)`` (Jacobi's formula): cotangent ``g det A A^-T``.
  ``slogdet`` gives ``log|det A|`` the cotangent ``g A^-T``; its sign is a constant.
* ``solve(A, B) = A^-1 B``: ``B``'s cotangent is ``solve(A^T, G)`` and ``A``'s is minus that
  times the solution transposed (a vector ``b`` is solved as a one-column matrix).
* ``cholesky`` and ``eigh`` take *symmetric* matrices and are differentiated as functions of
  ``(A + A^T) / 2`` (symmetric cotangents, symmetrised tangents), as in HIPS autograd and JAX:
  then the derivative does not depend on which triangle LAPACK reads.
* ``cholesky``: ``dL = L Phi(L^-1 dA L^-T)``, ``Phi`` taking the lower triangle with half the
  diagonal; the cotangent is its adjoint (Murray 2016, "Differentiation of the Cholesky ...").
* ``eigh``: with ``A = V diag(w) V^T`` and ``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal,
  ``dw = diag(V^T dA V)`` and ``dV = V (F * (V^T dA V))``. This needs distinct eigenvalues: at a
  repeated one the eigenvectors are not a function of ``A`` (any rotation of them will do).

``eigh`` has two outputs and a row has one, so its row packs them, shape ``(..., n + 1, n)``: the
eigenvalues as the first row, the eigenvectors below; indexing unpacks them.
"""

from __future__ import annotations

import numpy as np

from .array_ops import array_input
from .elementwise import constant, sqrt, sum_to
from .primitives import concatenate, getitem, reshape, swap_last, total
from .rules import Rule, call, register
from .tensor import Tensor

_PLAIN = (np.ndarray, np.generic, float, int)
LinAlgError = np.linalg.LinAlgError


# ------------------------------------------------------------------------ argument checks
def _square(a, name: str) -> int:
    """The size n of the (stack of) n x n matrices ``a``, or a ValueError saying what is wrong."""
    shape = tuple(a.shape)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(
            f"{name}: needs a square matrix or a stack of them, shape (..., n, n); got shape "
            f"{shape}. For a non-square system use least squares (np.linalg.lstsq), or pass "
            "the matrix itself rather than a vector."
        )
    return shape[-1]


def _check_symmetric(a, name: str) -> None:
    data = np.asarray(constant(a))
    gap = np.max(np.abs(data - np.swapaxes(data, -1, -2)), initial=0.0)
    if not gap <= 1e-8 * (1.0 + np.max(np.abs(data), initial=0.0)):
        raise ValueError(
            f"{name}: needs a symmetric matrix (it reads one triangle only); this one differs "
            f"from its transpose by up to {gap:.3g}. Pass (a + a.T) / 2, or swapaxes(-1, -2) "
            "for a stack."
        )


def _lapack(fn, x, name: str, advice: str):
    try:
        return fn(x)
    except LinAlgError as err:
        raise LinAlgError(f"{name}: {err} ({advice})") from None


_SINGULAR = (
    "the matrix, or one in the stack, is singular: solve a better-posed problem, e.g. add a \
small multiple of the identity, or use np.linalg.lstsq / pinv"
)
_NOT_PD = "the matrix, or one in the stack, is not positive definite: cholesky needs a symmetric \
matrix with positive eigenvalues; adding a small multiple of the identity often helps"


def _call(rule: Rule, args: tuple, aux=None):
    """``call``, but a LinAlgError that Tensor's shape message replaced is raised as it was."""
    try:
        return call(rule, args, aux)
    except ValueError as err:
        if isinstance(err.__context__, LinAlgError) and not isinstance(err, LinAlgError):
            raise err.__context__ from None
        raise


# ------------------------------------------------- helpers: numpy on arrays, rows on Tensors
def _plain(*xs) -> bool:
    return all(isinstance(x, _PLAIN) for x in xs)


def _inv(a):
    return _lapack(np.linalg.inv, a, "inv", _SINGULAR) if _plain(a) else call(INV, (a,))


def _solve(a, b):
    """``A^-1 B`` for a (stack of) matrix ``B`` (never a vector: see :func:`solve`)."""
    return np.linalg.solve(a, b) if _plain(a, b) else call(SOLVE, (a, b))


def _as_column(v):
    """A batch of vectors ``(..., n)`` as a batch of rows ``(..., 1, n)``."""
    shape = tuple(v.shape)
    return reshape(v, shape[:-1] + (1, shape[-1]))


def _trace_with(m, t):
    """``tr(M^T T)`` over the last two axes (leading batch axes of either broadcast)."""
    return total(m * t, (-2, -1), False)


def _scale_matrices(s, m):
    """Each matrix of the stack ``m`` times its number in ``s`` (shape ``m.shape[:-2]``)."""
    return reshape(s, tuple(np.shape(s) if _plain(s) else s.shape) + (1, 1)) * m


def _sym(t):  # the symmetric part
    return (t + swap_last(t)) * 0.5


def _phi(n: int) -> np.ndarray:
    """Lower triangle with half the diagonal, as a mask to multiply by."""
    return np.tril(np.ones((n, n))) - 0.5 * np.eye(n)


# ------------------------------------------------------------------ cholesky and eigh rules
def _cholesky_vjp(g, xs, out, aux):
    linv = _inv(out)
    s = swap_last(linv) @ (_phi(out.shape[-1]) * (swap_last(out) @ g)) @ linv
    return _sym(s)


def _cholesky_jvp(t, xs, out, aux):
    linv = _inv(out)
    return out @ (_phi(out.shape[-1]) * (linv @ _sym(t) @ swap_last(linv)))


def _unpack_eigh(out):
    """(eigenvalues, eigenvectors) from the packed ``(..., n + 1, n)`` array."""
    return getitem(out, (Ellipsis, 0, slice(None))), getitem(
        out, (Ellipsis, slice(1, None), slice(None))
    )


def _gap_inverse(w):
    """``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, 0 on it (differentiable in ``w``)."""
    n = w.shape[-1]
    shape = tuple(w.shape)
    gaps = reshape(w, shape[:-1] + (1, n)) - reshape(w, shape + (1,)) + np.eye(n)
    return (1.0 - np.eye(n)) / gaps


def _eigh_vjp(g, xs, out, aux):
    w, v = _unpack_eigh(out)
    gw, gv = _unpack_eigh(g)
    n = w.shape[-1]
    inner = _as_column(gw) * np.eye(n) + _gap_inverse(w) * (swap_last(v) @ gv)
    return _sym(v @ inner @ swap_last(v))


def _eigh_jvp(t, xs, out, aux):
    w, v = _unpack_eigh(out)
    m = swap_last(v) @ _sym(t) @ v
    dw = total(m * np.eye(w.shape[-1]), (-1,), False)
    return concatenate([_as_column(dw), v @ (_gap_inverse(w) * m)], -2)


def _eigh_array(a: np.ndarray, uplo: str) -> np.ndarray:
    w, v = _lapack(lambda x: np.linalg.eigh(x, uplo), a, "eigh", "check the input is finite")
    return np.concatenate([w[..., None, :], v], axis=-2)


# ------------------------------------------------------------------------------ the rows
def _row(name: str, value, vjp, jvp, doc: str) -> Rule:
    return register(Rule(name, value, vjp, jvp, nargs=len(vjp), doc=doc))


INV = _row(
    "inv",
    lambda xs, aux: _lapack(np.linalg.inv, xs[0], "inv", _SINGULAR),
    (lambda g, xs, out, aux: -swap_last(out) @ g @ swap_last(out),),
    (lambda t, xs, out, aux: -out @ t @ out,),
    "Matrix inverse. VJP: -A^-T G A^-T.",
)
DET = _row(
    "det",
    lambda xs, aux: np.linalg.det(xs[0]),
    (lambda g, xs, out, aux: _scale_matrices(g * out, swap_last(_inv(xs[0]))),),
    (lambda t, xs, out, aux: out * _trace_with(swap_last(_inv(xs[0])), t),),
    "Determinant. VJP (Jacobi's formula): g det(A) A^-T; needs an invertible A.",
)
SLOGDET = _row(  # the differentiable half of np.linalg.slogdet: log|det A|
    "slogdet",
    lambda xs, aux: np.linalg.slogdet(xs[0])[1],
    (lambda g, xs, out, aux: _scale_matrices(g, swap_last(_inv(xs[0]))),),
    (lambda t, xs, out, aux: _trace_with(swap_last(_inv(xs[0])), t),),
    "log|det A| (slogdet's second output). VJP: g A^-T.",
)
SOLVE = _row(  # b is a (stack of) matrix; vectors are reshaped to one column by solve()
    "solve",
    lambda xs, aux: _lapack(lambda a: np.linalg.solve(a, xs[1]), xs[0], "solve", _SINGULAR),
    (
        lambda g, xs, out, aux: sum_to(-_solve(swap_last(xs[0]), g) @ swap_last(out), xs[0].shape),
        lambda g, xs, out, aux: sum_to(_solve(swap_last(xs[0]), g), xs[1].shape),
    ),
    (
        lambda t, xs, out, aux: -_solve(xs[0], t @ out),
        lambda t, xs, out, aux: _solve(xs[0], t),
    ),
    "A^-1 B without forming the inverse. VJP: solve(A^T, G) for B, minus that times X^T for A.",
)
CHOLESKY = _row(
    "cholesky",
    lambda xs, aux: _lapack(np.linalg.cholesky, xs[0], "cholesky", _NOT_PD),
    (_cholesky_vjp,),
    (_cholesky_jvp,),
    "Lower Cholesky factor of a symmetric positive definite matrix (Murray 2016's rules).",
)
EIGH = _row(  # aux: UPLO; the output packs the eigenvalues (first row) over the eigenvectors
    "eigh",
    lambda xs, aux: _eigh_array(xs[0], aux),
    (_eigh_vjp,),
    (_eigh_jvp,),
    "Eigenvalues and eigenvectors of a symmetric matrix, packed; needs distinct eigenvalues.",
)


# ------------------------------------------------------------------- the public functions
def inv(a):
    """The inverse of a square matrix, or of each in a stack ``(..., n, n)``, as ``np.linalg.inv``.

    A singular matrix raises ``numpy.linalg.LinAlgError`` saying so; to apply an inverse to a
    vector or matrix, :func:`solve` is faster and more accurate.
    """
    a = array_input(a, "inv")
    _square(a, "inv")
    return _call(INV, (a,))


def det(a):
    """The determinant (of each matrix in a stack), as ``np.linalg.det``.

    Its gradient ``det(A) A^-T`` needs an invertible matrix; where ``det`` is 0 the gradient is
    not computed (LinAlgError). For a log-likelihood use :func:`slogdet`, which does not overflow.
    """
    a = array_input(a, "det")
    _square(a, "det")
    return _call(DET, (a,))


def slogdet(a) -> tuple:
    """``(sign, log|det a|)``, as ``np.linalg.slogdet``: the log-determinant without overflow.

    Only the second output is differentiable; the sign is piecewise constant and returned as a
    numpy array. A singular matrix gives sign 0 and ``-inf``, as in numpy.
    """
    a = array_input(a, "slogdet")
    _square(a, "slogdet")
    sign = np.linalg.slogdet(constant(a))[0]
    return sign, _call(SLOGDET, (a,))


def solve(a, b):
    """The solution ``x`` of ``a @ x = b``, as ``np.linalg.solve`` (numpy 2's rule: ``b`` is one
    vector if it is 1-D, else a (stack of) matrix ``(..., n, k)``; batch axes broadcast).

    Differentiable in both ``a`` and ``b``. A singular ``a`` raises LinAlgError saying so.
    """
    a, b = array_input(a, "solve"), array_input(b, "solve")
    n = _square(a, "solve")
    shape = tuple(b.shape)
    rows = shape[0] if len(shape) == 1 else (shape[-2] if len(shape) >= 2 else None)
    if rows != n:
        raise ValueError(
            f"solve: a has shape {tuple(a.shape)}, so b must be a vector of length {n} or a "
            f"(stack of) matrix with {n} rows, shape (..., {n}, k); got shape {shape}."
        )
    if len(shape) == 1:
        x = _call(SOLVE, (a, reshape(b, (n, 1))))
        return reshape(x, tuple(x.shape[:-1]))
    return _call(SOLVE, (a, b))


def cholesky(a):
    """The lower-triangular ``L`` with ``L @ L.T == a``, as ``np.linalg.cholesky``.

    ``a`` must be symmetric (checked, to 1e-8 relative) and positive definite (LinAlgError
    otherwise). The derivative is that of a function of symmetric matrices: its gradient is
    symmetric.
    """
    a = array_input(a, "cholesky")
    _square(a, "cholesky")
    _check_symmetric(a, "cholesky")
    return _call(CHOLESKY, (a,))


def eigh(a, UPLO: str = "L") -> tuple:  # noqa: N803  (numpy's name)
    """``(w, v)``: the eigenvalues in ascending order and the eigenvectors (columns) of a
    symmetric matrix, or of each in a stack, as ``np.linalg.eigh``.

    The derivative of ``v`` divides by the gaps between eigenvalues, so it needs them distinct
    (a repeated eigenvalue gives inf or nan). Each eigenvector's sign is LAPACK's choice; a loss
    that should not depend on it (``v * v``, ``v @ diag(w) @ v.T``) is safe to differentiate.
    """
    a = array_input(a, "eigh")
    _square(a, "eigh")
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U' (which triangle to read); got {UPLO!r}")
    _check_symmetric(a, "eigh")
    return _unpack_eigh(_call(EIGH, (a,), UPLO))


def norm(x, ord=None, axis=None, keepdims: bool = False):  # noqa: A002  (numpy's name)
    """Vector and matrix norms, as ``np.linalg.norm``, built from ``sum``, ``abs``, ``max``,
    powers and ``sqrt`` (so no rule of its own).

    Vectors (1-D input, or ``axis`` an int): ``ord`` None or 2 (Euclidean), 1, ``inf``, ``-inf``
    or any other nonzero number p (``sum(|x|**p) ** (1/p)``). Matrices (2-D input, or ``axis`` a
    pair): ``ord`` None or ``'fro'`` (Frobenius), 1, -1, ``inf``, ``-inf``. With ``ord`` None and
    no axis, any shape is flattened. The norm is not differentiable where it is 0.
    """
    x = array_input(x, "norm")
    nd = len(x.shape)
    if axis is None and (ord is None or nd in (1, 2)):
        axes = tuple(range(nd))
    elif axis is None:
        raise ValueError(
            f"norm: with ord={ord!r}, the input must be 1-D or 2-D, or name its axes with "
            f"axis=; got shape {tuple(x.shape)}."
        )
    else:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        if any(not -nd <= a < nd for a in axes) or len(axes) not in (1, 2):
            raise ValueError(f"norm: axis must be one or two axes of the {nd} of x; got {axis!r}")
        axes = tuple(int(a) % nd for a in axes)
        if len(set(axes)) != len(axes):
            raise ValueError(f"norm: the two axes must differ; got {axis!r}")
    _check_ord(ord, axes)
    if ord is None or ord in (2, "fro"):  # (matrix 2-norms and vector 'fro' are refused above)
        return _finish(sqrt(total(x * x, axes, True)), axes, keepdims)
    if len(axes) == 1:
        return _finish(_vector_norm(x, ord, axes), axes, keepdims)
    row, col = axes
    outer_axis, inner_axis = (col, row) if ord in (1, -1) else (row, col)
    sums = total(abs(x), (inner_axis,), True)
    return _finish(_extreme(sums, (outer_axis,), ord > 0), axes, keepdims)


def _vector_norm(x, ord, axes):
    if ord == 1:
        return total(abs(x), axes, True)
    if ord in (np.inf, -np.inf):
        return _extreme(abs(x), axes, ord > 0)
    return total(abs(x) ** float(ord), axes, True) ** (1.0 / ord)


def _extreme(x, axes, largest: bool):
    """max (or min, as -max(-x)) over ``axes``, keeping them."""
    if isinstance(x, Tensor):
        return x.max(axes, True) if largest else -((-x).max(axes, True))
    return np.max(x, axes, keepdims=True) if largest else np.min(x, axes, keepdims=True)


def _finish(r, axes, keepdims: bool):
    if keepdims:
        return r
    shape = tuple(n for i, n in enumerate(r.shape) if i not in axes)
    return reshape(r, shape)


def _check_ord(ord, axes) -> None:  # noqa: A002
    if len(axes) == 1:
        ok = ord is None or (isinstance(ord, (int, float, np.number)) and ord != 0)
        hint = "None, 2, 1, inf, -inf or another nonzero number (ord=0 counts nonzeros, which \
has derivative 0: use np.count_nonzero)"
    else:
        ok = ord in (None, "fro", 1, -1, np.inf, -np.inf)
        hint = "None, 'fro', 1, -1, inf or -inf ('nuc', 2 and -2 need singular values, which \
ad.linalg does not differentiate)"
    if not ok:
        kind = "vector" if len(axes) == 1 else "matrix"
        raise ValueError(f"norm: ord={ord!r} is not supported for a {kind} norm; use {hint}.")


__all__ = ["CHOLESKY", "DET", "EIGH", "INV", "SLOGDET", "SOLVE", "LinAlgError", "cholesky", "det",
           "eigh", "inv", "norm", "slogdet", "solve"]  # fmt: skip
