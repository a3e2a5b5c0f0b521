"""Array reductions and shape operations with HIPS autograd's and numpy's names: ``prod``,
``cumsum``, ``logsumexp``, ``var``, ``std``, ``squeeze``.

``prod``, ``cumsum`` and ``logsumexp`` are rows of the rule table (:mod:`autograd_ref.rules`);
``var``, ``std`` and ``squeeze`` are compositions of existing rows, so they need no derivative of
their own. Every function takes a numpy array (or list, or number) and returns numpy, or takes an
:class:`~autograd_ref.Tensor` and returns a Tensor that ``backward``, ``grad``, ``jvp`` and
``hessian`` differentiate. The rules are written with the dispatching helpers of
:mod:`autograd_ref.primitives` and :mod:`autograd_ref.elementwise`, so a VJP applied to Tensors is
itself differentiable (second and higher derivatives).

Two choices worth knowing:

* ``prod``'s derivative with respect to ``x[i]`` is the product of the other entries. Dividing the
  product by ``x[i]`` would give ``0/0`` where ``x[i] == 0``, so it is never done: on arrays the
  products of the others come from a cumulative product from each end (exact with any number of
  zeros); on Tensors (a gradient that will be differentiated again) from a product over a copy of
  the entries with ``x[i]`` replaced by 1 on the i-th row, which is ``prod`` again.
* ``std`` is ``sqrt(var)``. Where all entries are equal, ``std`` is 0 and not differentiable (a
  cone point, like ``|x|`` at 0): the gradient there is nan, with numpy's RuntimeWarning, as in
  PyTorch and JAX. ``var`` is smooth everywhere.
"""

from __future__ import annotations

import warnings

import numpy as np

from .elementwise import exp, sqrt, where
from .joining import stack
from .primitives import getitem, reshape, total, transpose
from .rules import Rule, as_float_array, call, is_ad_value, register
from .tensor import Tensor
from .tensor_args import normalize_axes

_PLAIN = (np.ndarray, np.generic, float, int)
Axis = int | tuple[int, ...] | None


# --------------------------------------------------------------------------- argument checks
def array_input(x, name: str, number_ok: bool = False):
    """``x`` itself if it is a Tensor, a list of Tensors stacked into one, else ``x`` as a
    float64 numpy array.

    Scalar, Dual and the tracer hold single numbers: with ``number_ok`` (a reduction, which
    treats one as a 0-d array) such a value is returned as it is; otherwise it is refused with a
    TypeError saying what to use instead.
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (list, tuple)) and any(is_ad_value(v) for v in x):
        odd = [v for v in x if is_ad_value(v) and not isinstance(v, Tensor)]
        if not odd:
            return stack(x)  # a list of Tensors (HIPS autograd's "list of boxes"): one Tensor
        raise TypeError(
            f"{name}: a list may mix numbers, arrays and Tensors, not {type(odd[0]).__name__} "
            "values; differentiate with respect to a numpy array so the inputs are Tensors."
        )
    if is_ad_value(x) and number_ok:
        return x
    if is_ad_value(x):
        raise TypeError(
            f"{name} works on numpy arrays and ad.Tensor, not on {type(x).__name__} values "
            f"(which hold one number each); put the numbers in an ad.Tensor."
        )
    return as_float_array(x, name)


def one_number(x, axis: Axis, name: str) -> bool:
    """True if ``x`` is a Scalar, Dual or traced number: a 0-d input, whose only axes are None,
    0 and -1 (checked here), and whose reductions are itself (prod, logsumexp) or 0 (var)."""
    if isinstance(x, (Tensor, np.ndarray)):
        return False
    normalize_axes(axis, 0, name)
    return True


def _reduce_aux(x, axis: Axis, keepdims: bool, name: str) -> tuple:
    return (normalize_axes(axis, len(x.shape), name), bool(keepdims))


# ----------------------------------------------------------------- helpers the rules use
def _all_axes(axes, x) -> tuple[int, ...]:
    return tuple(range(len(x.shape))) if axes is None else axes


def keep_shape(x_shape: tuple, axes) -> tuple:
    """The shape of a reduction over ``axes`` with ``keepdims=True`` (1 on every reduced axis)."""
    if axes is None:
        return (1,) * len(x_shape)
    return tuple(1 if i in axes else n for i, n in enumerate(x_shape))


def _kept(r, x, axes, keepdims: bool):
    """A reduction's result (or cotangent) ``r`` reshaped to broadcast against the input ``x``."""
    return r if keepdims else reshape(r, keep_shape(x.shape, axes))


def _reduced_last(x, axes: tuple[int, ...]):
    """``x`` with the kept axes first and the reduced axes merged into one last axis."""
    nd = len(x.shape)
    kept = tuple(a for a in range(nd) if a not in axes)
    perm = kept + axes
    shape = tuple(x.shape)
    n = int(np.prod([shape[a] for a in axes], dtype=int))
    if perm != tuple(range(nd)):
        x = transpose(x, perm)
    return reshape(x, tuple(shape[a] for a in kept) + (n,)), perm


def _restored(y, x_shape: tuple, perm: tuple):
    """Undo :func:`_reduced_last` on an array of the same size."""
    y = reshape(y, tuple(x_shape[p] for p in perm))
    if perm != tuple(range(len(perm))):
        y = transpose(y, tuple(int(i) for i in np.argsort(perm)))
    return y


def products_of_others(x, axes: tuple[int, ...]):
    """Entry i: the product of the entries of ``x`` other than i along ``axes`` (no division).

    This is ``d prod(x) / d x[i]``. On arrays: the product of everything before i times the
    product of everything after i, both from cumulative products. On Tensors: ``prod`` over a
    stack in which row i is ``x`` with entry i set to 1, so its own derivatives come from
    ``prod``'s rule again (n times the memory, only where a gradient is differentiated).
    """
    x2, perm = _reduced_last(x, axes)
    n = x2.shape[-1]
    if isinstance(x2, _PLAIN):
        if n == 0:
            return np.ones(x.shape)
        ones = np.ones(x2.shape[:-1] + (1,))
        before = np.cumprod(np.concatenate([ones, x2[..., :-1]], axis=-1), axis=-1)
        after = np.cumprod(np.concatenate([ones, x2[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = before * after
    else:
        rows = reshape(x2, tuple(x2.shape[:-1]) + (1, n))
        masked = where(np.eye(n, dtype=bool), 1.0, rows)  # row i: x with entry i replaced by 1
        others = call(PROD, (masked,), ((len(x2.shape),), False))
    return _restored(others, x.shape, perm)


def flip(x, axis: int):
    """``x`` reversed along ``axis`` (a view on arrays, a getitem on Tensors)."""
    return getitem(x, (slice(None),) * axis + (slice(None, None, -1),))


def cumsum_along(x, axis: int):
    """Cumulative sum along a valid non-negative ``axis``: numpy on arrays, the row on Tensors."""
    if isinstance(x, _PLAIN):
        return np.cumsum(x, axis=axis)
    return call(CUMSUM, (x,), axis)


def _logsumexp_array(x: np.ndarray, axes, keepdims: bool) -> np.ndarray:
    # shift by the maximum so exp never overflows (logits of 1e4 are fine); an infinite or empty
    # slice has no finite maximum, and a shift of 0 then gives numpy's inf, -inf or nan
    m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdims else out.reshape(np.sum(m, axis=axes).shape)


# ------------------------------------------------------------------------------ the rows
def _row(name: str, value, vjp, jvp, doc: str) -> Rule:
    return register(Rule(name, value, vjp, jvp, nargs=1, doc=doc))


PROD = _row(  # aux: (axes or None, keepdims)
    "prod",
    lambda xs, aux: np.prod(xs[0], axis=aux[0], keepdims=aux[1]),
    (
        lambda g, xs, out, aux: (
            _kept(g, xs[0], aux[0], aux[1]) * products_of_others(xs[0], _all_axes(aux[0], xs[0]))
        ),
    ),
    (
        lambda t, xs, out, aux: total(
            t * products_of_others(xs[0], _all_axes(aux[0], xs[0])), aux[0], aux[1]
        ),
    ),
    "Product over axes. Derivative of entry i: the product of the others (exact at zeros).",
)
CUMSUM = _row(  # aux: the axis (an int; cumsum over all axes flattens first)
    "cumsum",
    lambda xs, aux: np.cumsum(xs[0], axis=aux),
    (lambda g, xs, out, aux: flip(cumsum_along(flip(g, aux), aux), aux),),
    (lambda t, xs, out, aux: cumsum_along(t, aux),),
    "Running sum along an axis. VJP: the running sum from the other end.",
)
LOGSUMEXP = _row(  # aux: (axes or None, keepdims)
    "logsumexp",
    lambda xs, aux: _logsumexp_array(xs[0], aux[0], aux[1]),
    (lambda g, xs, out, aux: _kept(g, xs[0], aux[0], aux[1]) * _softmax_from(xs[0], out, aux),),
    (lambda t, xs, out, aux: total(t * _softmax_from(xs[0], out, aux), aux[0], aux[1]),),
    "log(sum(exp(x))) over axes, without overflow. Derivative: exp(x - logsumexp(x)).",
)


def _softmax_from(x, out, aux):
    """``exp(x - logsumexp(x))``: logsumexp's derivative, from its own output."""
    return exp(x - _kept(out, x, aux[0], aux[1]))


# ------------------------------------------------------------------- the public functions
def prod(x, axis: Axis = None, keepdims: bool = False):
    """Product of the entries over ``axis`` (all by default), as ``np.prod``.

    The gradient with respect to an entry is the product of the other entries, computed without
    dividing by the entry, so it is right where entries are 0 (one zero: only that entry gets a
    nonzero gradient; two zeros: every gradient is 0).
    """
    x = array_input(x, "prod", number_ok=True)
    if one_number(x, axis, "prod"):
        return x
    return call(PROD, (x,), _reduce_aux(x, axis, keepdims, "prod"))


def cumsum(x, axis: int | None = None):
    """Cumulative sum along ``axis``; ``axis=None`` flattens first, as ``np.cumsum`` does."""
    x = array_input(x, "cumsum")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    elif not isinstance(axis, (int, np.integer)) or isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"cumsum: axis must be one integer or None; got {axis!r}")
    (ax,) = normalize_axes(axis, len(x.shape), "cumsum")
    if len(x.shape) == 0:
        raise ValueError("cumsum: a 0-d input has no axis; use axis=None (flattens it to 1-D).")
    return call(CUMSUM, (x,), ax)


def logsumexp(x, axis: Axis = None, keepdims: bool = False):
    """``log(sum(exp(x)))`` over ``axis``, computed after subtracting the maximum, so logits of
    1e4 give 1e4 + log(n) rather than inf. The derivative is the softmax ``exp(x - out)``."""
    x = array_input(x, "logsumexp", number_ok=True)
    if one_number(x, axis, "logsumexp"):
        return x
    return call(LOGSUMEXP, (x,), _reduce_aux(x, axis, keepdims, "logsumexp"))


def var(x, axis: Axis = None, keepdims: bool = False, ddof: int = 0):
    """Variance over ``axis``: ``sum((x - mean)**2) / (n - ddof)``, as ``np.var``.

    ``ddof=1`` gives the unbiased estimate. On Tensors it is built from ``sum``, ``-`` and ``*``
    (no row of its own). With ``n - ddof <= 0`` the result is inf or nan with a RuntimeWarning,
    as in numpy.
    """
    x = array_input(x, "var", number_ok=True)
    ddof = _check_ddof(ddof, "var")
    if one_number(x, axis, "var"):
        if ddof:
            _warn_dof("var", 1, ddof)
        return x * 0.0 if ddof == 0 else x * 0.0 * np.inf  # nan for ddof >= 1, as numpy
    axes = normalize_axes(axis, len(x.shape), "var")
    if not isinstance(x, Tensor):
        with np.errstate(divide="warn", invalid="warn"):
            return np.var(x, axis=axes, keepdims=keepdims, ddof=ddof)
    n = _slice_size(x, axis, "var")
    if n - ddof <= 0:
        _warn_dof("var", n, ddof)
    centred = x - total(x, axes, True) * (1.0 / n if n else np.nan)
    scale = 1.0 / (n - ddof) if n > ddof else np.inf  # ss * inf: inf, or nan where ss is 0
    return total(centred * centred, axes, keepdims) * scale


def std(x, axis: Axis = None, keepdims: bool = False, ddof: int = 0):
    """Standard deviation ``sqrt(var(x, axis, keepdims, ddof))``, as ``np.std``.

    Where every entry of a slice is equal the value is 0 and the gradient is nan (with numpy's
    RuntimeWarning): ``std`` has a cone point there, like ``|x|`` at 0, and no derivative. A
    slice of one entry (with ``ddof=0``) is the exception: there ``std`` is 0 whatever the entry,
    a constant, so its gradient is 0, as in HIPS autograd.
    """
    x = array_input(x, "std", number_ok=True)
    ddof = _check_ddof(ddof, "std")
    if isinstance(x, np.ndarray):
        axes = normalize_axes(axis, len(x.shape), "std")
        with np.errstate(divide="warn", invalid="warn"):
            return np.std(x, axis=axes, keepdims=keepdims, ddof=ddof)
    if ddof == 0 and _slice_size(x, axis, "std") == 1:
        return var(x, axis, keepdims)  # identically 0: the constant's gradient, 0
    return sqrt(var(x, axis, keepdims, ddof))


def _slice_size(x, axis: Axis, name: str) -> int:
    """How many entries each result of a reduction over ``axis`` combines (1 for a number)."""
    if one_number(x, axis, name):
        return 1
    axes = _all_axes(normalize_axes(axis, len(x.shape), name), x)
    return int(np.prod([x.shape[a] for a in axes], dtype=int))


def _check_ddof(ddof, name: str) -> int:
    if isinstance(ddof, (bool, np.bool_)) or not isinstance(ddof, (int, np.integer)) or ddof < 0:
        raise ValueError(f"{name}: ddof must be a non-negative integer (0 or 1); got {ddof!r}")
    return int(ddof)


def _warn_dof(name: str, n: int, ddof: int) -> None:
    warnings.warn(
        f"{name}: {n} entries with ddof={ddof} leave no degrees of freedom; the result is inf "
        "or nan, as in numpy.",
        RuntimeWarning,
        stacklevel=3,
    )


def squeeze(x, axis: Axis = None):
    """``x`` without axes of size 1 (all of them, or those in ``axis``), as ``np.squeeze``.

    A reshape, so the gradient is the cotangent reshaped back. Naming an axis whose size is not
    1 is a ValueError.
    """
    x = array_input(x, "squeeze", number_ok=True)
    if one_number(x, axis, "squeeze"):
        return x
    shape = tuple(x.shape)
    axes = normalize_axes(axis, len(shape), "squeeze")
    if axes is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
    for a in axes:
        if shape[a] != 1:
            raise ValueError(
                f"squeeze: axis {a} of shape {shape} has size {shape[a]}, not 1; only axes of "
                "size 1 can be removed (use sum, mean or indexing to drop others)."
            )
    new = tuple(n for i, n in enumerate(shape) if i not in axes)
    return reshape(x, new) if new != shape else x


# --------------------------------------------------------------------- Tensor methods
def _method(fn, name: str):
    def method(self, *args, **kwargs):
        # np.std(t) calls t.std(axis=..., dtype=None, out=None, ...): accept what numpy leaves unset
        extras = {k: kwargs.pop(k) for k in ("dtype", "out") if k in kwargs}
        if any(v is not None for v in extras.values()):
            raise TypeError(f"Tensor.{name} does not take {sorted(extras)}; leave them out.")
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = fn.__doc__
    return method


for _fn in (prod, cumsum, logsumexp, var, std, squeeze):
    setattr(Tensor, _fn.__name__, _method(_fn, _fn.__name__))

__all__ = [
    "CUMSUM",
    "LOGSUMEXP",
    "PROD",
    "array_input",
    "cumsum",
    "keep_shape",
    "logsumexp",
    "prod",
    "products_of_others",
    "squeeze",
    "std",
    "var",
]
