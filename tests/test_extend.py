"""A user's own function with ad.primitive / ad.defvjp / ad.defjvp (HIPS autograd's signatures)
works in every mode with no other change: the issue's "newcomer adds softplus" check.

Tolerances: first derivatives against the closed form sigmoid(x) to 1e-12 (both are exact up to
rounding); central differences (h = 1e-6) to 1e-7 relative.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_ref as ad


@ad.primitive
def softplus(x):
    """log(1 + e**x), written with numpy on plain values."""
    return np.log1p(np.exp(x))


ad.defvjp(softplus, lambda ans, x: lambda g: g * ad.sigmoid(x))
ad.defjvp(softplus, lambda g, ans, x: g * ad.sigmoid(x))


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


X = np.array([-1.2, 0.3, 2.0])


def test_plain_values_are_the_numpy_function():
    assert softplus(0.3) == np.log1p(np.exp(0.3))
    assert np.array_equal(softplus(X), np.log1p(np.exp(X)))
    assert softplus.__name__ == "softplus" and "numpy" in softplus.__doc__


def test_scalar_dual_tensor():
    x = ad.Scalar(0.3)
    (softplus(x) * 2.0).backward()
    assert x.grad == pytest.approx(2 * sig(0.3), rel=1e-12)
    assert softplus(ad.Dual(0.3, 1.0)).tangent == pytest.approx(sig(0.3), rel=1e-12)
    t = ad.Tensor(X, requires_grad=True)
    softplus(t).sum().backward()
    np.testing.assert_allclose(t.grad, sig(X), rtol=1e-12)


def test_every_transform():
    np.testing.assert_allclose(ad.grad(lambda v: softplus(v).sum())(X), sig(X), rtol=1e-12)
    assert ad.grad(softplus)(0.3) == pytest.approx(sig(0.3), rel=1e-12)
    out, tangent = ad.jvp(softplus, (X,), (np.ones(3),))
    np.testing.assert_allclose(tangent, sig(X), rtol=1e-12)
    (cot,) = ad.vjp(softplus, X)[1](np.ones(3))
    np.testing.assert_allclose(cot, sig(X), rtol=1e-12)
    np.testing.assert_allclose(ad.jacfwd(softplus)(X), np.diag(sig(X)), rtol=1e-12)
    np.testing.assert_allclose(ad.jacrev(softplus)(X), np.diag(sig(X)), rtol=1e-12)


def test_higher_orders_come_from_rules_written_in_ad_functions():
    d2 = sig(X) * (1 - sig(X))
    np.testing.assert_allclose(ad.hessian(lambda v: softplus(v).sum())(X), np.diag(d2), rtol=1e-12)
    assert ad.grad(ad.grad(softplus))(0.3) == pytest.approx(sig(0.3) * (1 - sig(0.3)), rel=1e-12)
    third = ad.grad(ad.grad(ad.grad(softplus)))(0.3)
    s = sig(0.3)
    assert third == pytest.approx(s * (1 - s) * (1 - 2 * s), rel=1e-10)


def test_in_a_trace():
    t = ad.trace(lambda x: softplus(x) * x, 0.3)
    assert [n.expr for n in t.nodes] == ["x₁", "softplus(v₀)", "v₁ × v₀"]
    (x,) = t.inputs
    assert t.adjoints()[x.index] == pytest.approx(sig(0.3) * 0.3 + softplus(0.3), rel=1e-12)
    assert "softplus′(v₀)" in str(t.adjoint_table())


def test_two_inputs_broadcasting_and_keyword_constants():
    @ad.primitive
    def scaled_mul(a, b, scale=1.0):
        return scale * a * b

    ad.defvjp(
        scaled_mul,
        lambda ans, a, b, scale=1.0: lambda g: g * scale * b,
        lambda ans, a, b, scale=1.0: lambda g: g * scale * a,
    )
    ad.defjvp(
        scaled_mul,
        lambda g, ans, a, b, scale=1.0: g * scale * b,
        lambda g, ans, a, b, scale=1.0: g * scale * a,
    )
    a = np.arange(6.0).reshape(2, 3)
    b = np.array([1.0, -2.0, 0.5])
    ga, gb = ad.grad(lambda a, b: scaled_mul(a, b, scale=3.0).sum(), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, 3.0 * np.broadcast_to(b, (2, 3)))
    np.testing.assert_allclose(gb, 3.0 * a.sum(axis=0))  # summed back to b's shape
    x, y = ad.Scalar(2.0), ad.Scalar(5.0)
    scaled_mul(x, y, scale=0.5).backward()
    assert (x.grad, y.grad) == (2.5, 1.0)
    assert scaled_mul(ad.Dual(2.0, 1.0), 5.0, scale=0.5).tangent == 2.5


def test_a_missing_rule_names_the_call_that_adds_it():
    @ad.primitive
    def only_reverse(x):
        return np.sin(x)

    ad.defvjp(only_reverse, lambda ans, x: lambda g: g * ad.cos(x))
    assert ad.grad(only_reverse)(0.5) == pytest.approx(math.cos(0.5), rel=1e-12)
    with pytest.raises(NotImplementedError, match=r"ad.defjvp\(only_reverse"):
        ad.jvp(only_reverse, (np.array([0.5]),), (np.ones(1),))
    with pytest.raises(NotImplementedError, match=r"ad.defjvp\(only_reverse"):
        only_reverse(ad.Dual(0.5, 1.0))

    @ad.primitive
    def no_rules(x):
        return np.cos(x)

    with pytest.raises(NotImplementedError, match=r"ad.defvjp\(no_rules"):
        ad.grad(no_rules)(0.5)


def test_name_clash_never_replaces_a_library_row():
    @ad.primitive
    def exp(x):  # a user's own exp: a new row, the library's exp is untouched
        return np.exp(x) + 1.0

    ad.defvjp(exp, lambda ans, x: lambda g: g * (ans - 1.0))
    assert exp.rule.name != "exp"
    assert ad.trace(lambda x: ad.exp(x), 1.0).outputs[0].value == math.exp(1.0)
    assert ad.grad(exp)(1.0) == pytest.approx(math.exp(1.0), rel=1e-12)


def test_bad_use_gets_clear_errors():
    with pytest.raises(TypeError, match="ad.primitive"):
        ad.defvjp(np.sin, lambda ans, x: lambda g: g)
    with pytest.raises(TypeError, match="wraps a function"):
        ad.primitive(3.0)
    with pytest.raises(ValueError, match="one per position"):
        ad.defvjp(softplus, lambda ans, x: lambda g: g, argnums=(0, 1))
