"""The transforms' calling conventions (JAX's): has_aux, keyword arguments, argnums as an int or a
tuple on every transform, hessian's block structure, grad with respect to a float next to an array
(a defect found by porting HIPS autograd's tests), the fused backward pass behind grad on Scalars,
and the error messages.

Closed forms are compared to 1e-14 relative (a few roundings); results against central differences
use step H = 1e-6 and 1e-6 relative (tests/tensor_cases.py); two routes to the same numbers through
the same operations must agree exactly.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from tensor_cases import assert_close_fd

import autograd_ref as ad
from autograd_ref import finite_diff as fd


# ---------------------------------------------------------------------------- has_aux
def test_grad_and_value_and_grad_with_aux_on_numbers():
    def f(x, y):
        z = x * x * y
        return z, {"z": z, "note": "kept", "count": 3}

    g, aux = ad.grad(f, has_aux=True)(3.0, 2.0)
    assert g == 12.0
    assert aux == {"z": 18.0, "note": "kept", "count": 3}
    assert type(aux["z"]) is float  # a Scalar comes back as a plain number
    (value, aux2), grads = ad.value_and_grad(f, argnums=(0, 1), has_aux=True)(3.0, 2.0)
    assert value == 18.0 and grads == (12.0, 9.0) and aux2 == aux


def test_grad_with_aux_on_arrays_returns_arrays():
    x = np.array([0.5, -1.0])

    def f(x):
        y = ad.tanh(x)
        return (y * y).sum(), (y, x.sum())

    g, (y, total) = ad.grad(f, has_aux=True)(x)
    np.testing.assert_allclose(g, 2 * np.tanh(x) * (1 - np.tanh(x) ** 2), rtol=1e-14)
    assert type(y) is np.ndarray and not isinstance(y, ad.Tensor)
    np.testing.assert_array_equal(y, np.tanh(x))
    assert type(total) is float and total == -0.5


def test_aux_inside_jacrev_jacfwd_vjp_jvp_and_hessian():
    def f(x):
        y = ad.sin(x) * x
        return y, {"norm": (y * y).sum(), "label": "sin x * x"}

    x = np.array([0.3, 1.2, -0.4])
    jac_expected = np.diag(np.cos(x) * x + np.sin(x))
    for transform in (ad.jacrev, ad.jacfwd):
        jac, aux = transform(f, has_aux=True)(x)
        np.testing.assert_allclose(jac, jac_expected, rtol=1e-14, atol=1e-16)
        assert aux["label"] == "sin x * x" and type(aux["norm"]) is float
        assert aux["norm"] == pytest.approx(float(np.sum((np.sin(x) * x) ** 2)), rel=1e-14)
    out, pullback, aux = ad.vjp(f, x, has_aux=True)
    np.testing.assert_array_equal(pullback(np.ones(3))[0], jac_expected.sum(axis=0))
    assert aux["label"] == "sin x * x"
    _, tangent, aux = ad.jvp(f, (x,), (np.ones(3),), has_aux=True)
    np.testing.assert_allclose(tangent, jac_expected.sum(axis=1), rtol=1e-14)
    hess, aux = ad.hessian(lambda t: (f(t)[0].sum(), f(t)[1]), has_aux=True)(x)
    np.testing.assert_allclose(hess, np.diag(2 * np.cos(x) - x * np.sin(x)), rtol=1e-13, atol=1e-15)
    assert aux["label"] == "sin x * x" and type(aux["norm"]) is float


def test_nested_grad_with_aux_differentiates_the_output_only():
    def inner(y, x):
        return x * y * y, y  # d/dy = 2xy; aux = y

    def outer(x):
        g, aux = ad.grad(inner, has_aux=True)(1.5, x)
        return g * aux  # 2 x * 1.5 * 1.5

    assert ad.grad(outer)(2.0) == 2 * 1.5 * 1.5


def test_has_aux_needs_a_pair():
    with pytest.raises(TypeError, match=r"must return a pair \(output, aux\).*Scalar"):
        ad.grad(lambda x: x * x, has_aux=True)(1.0)
    with pytest.raises(TypeError, match=r"jacrev\(\.\.\., has_aux=True\)"):
        ad.jacrev(lambda x: (x, x, x), has_aux=True)(np.ones(2))


# --------------------------------------------------------------------- keyword arguments
def test_keyword_arguments_pass_through_undifferentiated():
    config = {"scale": 2.0}
    seen = []

    def f(x, *, scale, options=None):
        seen.append(options)
        return scale * x * x

    assert ad.grad(f)(3.0, scale=2.0, options=config) == 12.0
    assert seen[-1] is config  # the same object, untouched
    assert ad.value_and_grad(f)(3.0, scale=0.5) == (4.5, 3.0)
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(ad.grad(lambda t, scale: (scale * t * t).sum())(x, scale=3.0),
                                  6 * x)  # fmt: skip
    np.testing.assert_array_equal(ad.jacfwd(lambda t, k: k * t)(x, k=4.0), 4 * np.eye(2))
    np.testing.assert_array_equal(ad.jacrev(lambda t, k: k * t)(x, k=4.0), 4 * np.eye(2))
    np.testing.assert_array_equal(ad.hessian(lambda t, k: k * (t**2).sum())(x, k=4.0),
                                  8 * np.eye(2))  # fmt: skip


def test_an_array_keyword_argument_is_data():
    """An array among the keyword arguments sends grad to the Tensor engine, as positional ones."""
    w = np.array([1.0, -2.0, 0.5])
    assert ad.grad(lambda c, w: ad.tanh(c * w).sum())(0.3, w=w) == pytest.approx(
        float(np.sum(w * (1 - np.tanh(0.3 * w) ** 2))), rel=1e-14
    )


# ------------------------------------------------------------------------------ argnums
def f3(a, b, c):
    return a * a * b + ad.sin(b * c) + c**3


def test_argnums_int_tuple_and_negative_on_every_transform():
    a, b, c = 0.5, 1.5, -0.7
    da, db, dc = 2 * a * b, a * a + c * math.cos(b * c), b * math.cos(b * c) + 3 * c * c
    assert ad.grad(f3, argnums=-1)(a, b, c) == pytest.approx(dc, rel=1e-14)
    assert ad.grad(f3, argnums=(2, 0))(a, b, c) == pytest.approx((dc, da), rel=1e-14)
    for transform in (ad.jacfwd, ad.jacrev):
        got = transform(f3, argnums=(0, 1))(a, b, c)
        assert isinstance(got, tuple) and got == pytest.approx((da, db), rel=1e-14)
        assert transform(f3, argnums=1)(a, b, c) == pytest.approx(db, rel=1e-14)
    with pytest.raises(ValueError, match=r"argnums=\(0, 3\).*0 to 2"):
        ad.jacrev(f3, argnums=(0, 3))(a, b, c)
    with pytest.raises(ValueError, match="argnums=True"):
        ad.grad(f3, argnums=True)(a, b, c)


def test_hessian_with_tuple_argnums_gives_blocks():
    a, b, c = 0.5, 1.5, -0.7
    blocks = ad.hessian(f3, argnums=(0, 1))(a, b, c)
    s = math.sin(b * c)
    expected = ((2 * b, 2 * a), (2 * a, -c * c * s))
    assert isinstance(blocks, tuple) and all(isinstance(row, tuple) for row in blocks)
    for row, want in zip(blocks, expected, strict=True):
        assert row == pytest.approx(want, rel=1e-14)


def test_hessian_blocks_of_array_arguments_match_differences():
    def f(w, x):
        return (ad.tanh(w @ x) ** 2).sum()

    rng = np.random.default_rng(5)
    w, x = rng.normal(size=(2, 3)), rng.normal(size=3)
    (hww, hwx), (hxw, hxx) = ad.hessian(f, argnums=(0, 1))(w, x)
    assert hww.shape == (2, 3, 2, 3) and hwx.shape == (2, 3, 3)
    assert hxw.shape == (3, 2, 3) and hxx.shape == (3, 3)
    np.testing.assert_allclose(hwx, np.moveaxis(hxw, 0, -1), rtol=1e-12, atol=1e-14)
    gw = ad.grad(f, argnums=0)
    h = 1e-6
    for k in range(3):  # column k of the x block: d/dx_k of the w-gradient
        e = np.zeros(3)
        e[k] = h
        assert_close_fd(hwx[..., k], (gw(w, x + e) - gw(w, x - e)) / (2 * h), f"hwx[..., {k}]")


# --------------------------------------------------- a float next to an array (defect)
def test_grad_of_a_float_next_to_an_array_or_tensor():
    """HIPS autograd's tests differentiate a scale factor next to an array; this failed
    (the float became a Scalar, which does not mix with arrays or Tensors)."""
    w = np.array([0.5, -1.0, 2.0])

    def f(c, w):
        return ad.tanh(c * w).sum()

    expected = float(np.sum(w * (1 - np.tanh(1.5 * w) ** 2)))
    for data in (w, ad.Tensor(w)):
        g = ad.grad(f)(1.5, data)
        assert type(g) is float and g == pytest.approx(expected, rel=1e-14)
    gc, gw = ad.grad(f, argnums=(0, 1))(1.5, w)
    assert type(gc) is float and gc == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(gw, 1.5 * (1 - np.tanh(1.5 * w) ** 2), rtol=1e-14)
    g = ad.grad(lambda d: f(d["c"], d["w"]))({"c": 1.5, "w": w})
    assert type(g["c"]) is float and g["c"] == pytest.approx(expected, rel=1e-14)
    assert ad.grad(ad.grad(f))(1.5, w) == pytest.approx(
        fd.central_difference(lambda c: ad.grad(f)(c, w), 1.5), rel=1e-7
    )


# ---------------------------------------------------------------- the fused scalar pass
def chain(x, steps=200):
    y = x
    for k in range(steps):
        y = ad.sin(y) * 1.01 + (0.1 if k % 2 else y * 0.3)
    return y


def test_grad_on_scalars_uses_the_fused_pass_and_matches_the_table_pass(monkeypatch):
    """ad.grad on floats runs the fused pass, pruned to the nodes the call made; it gives exactly
    what the table-only pass gives, and a Scalar made before the call keeps its .grad."""
    from autograd_ref import scalar_backward, transforms

    calls = []
    original = scalar_backward.backward

    def counting(*args, **kwargs):
        calls.append(kwargs.get("made_after"))
        return original(*args, **kwargs)

    monkeypatch.setattr(transforms, "fused_backward", counting)
    anchor = ad.Scalar(0.0)  # made before the call
    fused = ad.grad(lambda x: chain(anchor + x))(0.4)
    assert len(calls) == 1 and calls[0] is not None  # the fused pass ran once, pruned
    assert anchor.grad == 0.0
    x = ad.Scalar(0.4)
    order = scalar_backward.backprop(chain(anchor + x), 1.0, create_graph=False)
    table = x._g
    for node in order:
        node._g = 0.0
    assert fused == table  # both passes apply the same rules in the same order
    assert fused == pytest.approx(fd.central_difference(chain, 0.4), rel=1e-7)


def test_scalars_made_before_the_call_keep_their_grad():
    """Closed-over, handed-in or kept from an earlier call: the fused pass would add to their
    .grad, so grad uses the table pass for them and leaves them at rest."""
    w = ad.Scalar(2.0)
    kept = []

    def f(x):
        y = x * x
        kept.append(y)
        return y * 3.0

    assert ad.grad(lambda x: w * x * x)(3.0) == 12.0
    assert ad.grad(f)(2.0) == 12.0
    before = kept[0].grad
    assert ad.grad(lambda x: x * kept[0])(1.0) == 4.0
    assert kept[0].grad == before and w.grad == 0.0
    assert ad.grad(lambda x: x * x)(ad.Scalar(3.0)) == 6.0  # a Scalar argument at top level
    assert ad.grad(lambda x: w)(1.0) == 0.0 and w.grad == 0.0  # returns a Scalar made before
    assert ad.grad(lambda x: x)(1.0) == 1.0 and ad.grad(lambda x: 2.0)(1.0) == 0.0


def test_fused_and_table_passes_agree_on_random_graphs():
    rng = np.random.default_rng(3)
    ops = [lambda a, b: a * b, lambda a, b: a + b, lambda a, b: a - b,
           lambda a, b: ad.tanh(a) * b, lambda a, b: a / (1.0 + b * b)]  # fmt: skip
    for _ in range(20):
        plan = [(int(rng.integers(5)), int(rng.integers(99)), int(rng.integers(99)))
                for _ in range(60)]  # fmt: skip

        def f(x, y, plan=plan):
            nodes = [x, y]
            for op, i, j in plan:
                nodes.append(ops[op](nodes[i % len(nodes)], nodes[j % len(nodes)]))
            return nodes[-1]

        fused = ad.grad(f, argnums=(0, 1))(0.3, -0.8)
        anchor = ad.Scalar(0.0)  # made before: forces the table pass
        table = ad.grad(lambda x, y, a=anchor: f(x + a, y + a), argnums=(0, 1))(0.3, -0.8)
        assert fused == table


# ------------------------------------------------------------------------------ errors
def test_error_messages_name_the_problem():
    with pytest.raises(TypeError) as info:
        ad.grad(lambda d: d["x"])({"x": 1.0, "name": "abc"})
    message = str(info.value)
    assert "str" in message and "{'name': *, 'x': *}" in message and "keyword" in message
    with pytest.raises(TypeError, match="primals must be a tuple"):
        ad.jvp(lambda x: x, np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="Dual"):
        ad.grad(lambda x: x)(ad.Dual(1.0, 1.0))
    with pytest.raises(TypeError, match=r"returned shape \(2,\).*jacrev"):
        ad.grad(lambda x: x * 2.0)(np.ones(2))


# ------------------------------------------------------------------------------- docs
def test_the_examples_in_docs_transforms_md_run():
    """docs/transforms.md promises that its examples run as they stand (one namespace, in order);
    each example asserts what it shows."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "transforms.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert len(blocks) >= 8
    namespace: dict = {}
    for n, block in enumerate(blocks):
        exec(compile(block, f"docs/transforms.md, example {n + 1}", "exec"), namespace)  # noqa: S102


def test_undifferentiated_arguments_may_hold_anything():
    """Only the differentiated arguments are pytrees of numbers; the rest is data for f."""
    table = {1: "one", "two": 2.0}  # keys that cannot be sorted together: not a problem here
    assert ad.grad(lambda x, t, label: x * t["two"])(3.0, table, "text") == 2.0
    assert ad.grad(lambda x, t: (x * t["two"]).sum())(np.ones(2), table).tolist() == [2.0, 2.0]
