"""micrograd's sanity checks (karpathy/micrograd test/test_engine.py), on autograd_ref.

micrograd checks its ``Value`` engine against PyTorch on two hand-built expressions. We run the
same expressions on ``ad.Scalar`` (``.backward()``), through ``ad.grad`` and on 0-d ``ad.Tensor``
values, and compare with central differences (tolerance as in gradcheck.py) and with the values
micrograd's README states to 4 decimals.
"""

from __future__ import annotations

import pytest

import autograd_ref as ad

from .gradcheck import assert_close, check_scalar_engines, numeric_directional


def sanity(x):
    z = 2 * x + 2 + x
    q = ad.relu(z) + z * x
    h = ad.relu(z * z)
    return h + q + q * x


def more_ops(a, b):
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + ad.relu(b + a)
    d = d + 3 * d + ad.relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    return g + 10.0 / f


def partials(f, *xs):
    return [
        float(numeric_directional(f, xs, [1.0 if j == i else 0.0 for j in range(len(xs))]))
        for i in range(len(xs))
    ]


def test_sanity_check_scalar_backward():
    """micrograd test/test_engine.py::test_sanity_check: value and x.grad of the relu/product
    expression at x = -4, by Scalar.backward()."""
    x = ad.Scalar(-4.0)
    y = sanity(x)
    y.backward()
    assert y.value == -20.0  # z = -10, q = 40, h = 100: 100 + 40 - 160
    assert_close(x.grad, partials(sanity, -4.0)[0], "dy/dx")
    assert x.grad == 46.0  # exact: d/dx of relu(z*z) + z*x*(1 + x) with z = 3x + 2


def test_sanity_check_every_engine():
    """micrograd test/test_engine.py::test_sanity_check, through ad.grad and ad.Dual."""
    check_scalar_engines(sanity, -4.0)


def test_sanity_check_tensor():
    """micrograd test/test_engine.py::test_sanity_check, on a 0-d Tensor."""
    x = ad.Tensor(-4.0, requires_grad=True)
    y = sanity(x)
    y.backward()
    assert float(y.data) == -20.0
    assert float(x.grad) == 46.0


def test_more_ops_scalar_backward():
    """micrograd test/test_engine.py::test_more_ops: g's value and a.grad, b.grad at (-4, 2)."""
    a, b = ad.Scalar(-4.0), ad.Scalar(2.0)
    g = more_ops(a, b)
    g.backward()
    assert g.value == pytest.approx(24.7041, abs=1e-4)
    assert a.grad == pytest.approx(138.8338, abs=1e-4)
    assert b.grad == pytest.approx(645.5773, abs=1e-4)
    assert_close([a.grad, b.grad], partials(more_ops, -4.0, 2.0), "(dg/da, dg/db)")


def test_more_ops_every_engine():
    """micrograd test/test_engine.py::test_more_ops, through ad.grad and ad.Dual."""
    check_scalar_engines(more_ops, -4.0, 2.0)


def test_more_ops_tensor():
    """micrograd test/test_engine.py::test_more_ops, on 0-d Tensors."""
    a = ad.Tensor(-4.0, requires_grad=True)
    b = ad.Tensor(2.0, requires_grad=True)
    g = more_ops(a, b)
    g.backward()
    assert_close([float(a.grad), float(b.grad)], partials(more_ops, -4.0, 2.0), "grads")
    assert float(g.data) == pytest.approx(24.7041, abs=1e-4)


def test_more_ops_in_place_accumulation():
    """micrograd test/test_engine.py::test_more_ops writes ``c += ...`` and ``d += ...``: in-place
    operators on Scalars must build new nodes, not mutate the inputs' history."""
    a, b = ad.Scalar(-4.0), ad.Scalar(2.0)
    c = a + b
    c += c + 1
    c += 1 + c + (-a)
    c.backward()
    # c = 2(a + b) + 1, then 2c + 1 - a: 4(a + b) + 3 - a, so dc/da = 3, dc/db = 4
    assert (a.grad, b.grad) == (3.0, 4.0)
    assert c.value == 4 * (-2.0) + 3 + 4.0
