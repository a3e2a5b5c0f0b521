"""ad.checkpoint: same gradients as the plain graph, and a measured memory saving.

Memory is measured with tracemalloc (numpy reports its array buffers to it): the bytes still
allocated after the forward pass (what the graph keeps for backward) and the peak during the
backward pass, for a chain of 8 blocks of 16 elementwise operations on 20,000-entry arrays.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import autograd_ref as ad

BLOCKS, OPS, N = 8, 16, 20_000


def block(t):
    for _ in range(OPS // 2):
        t = ad.sin(t) * 1.01
    return t


def chain(x, use_checkpoint: bool):
    step = ad.checkpoint(block) if use_checkpoint else block
    for _ in range(BLOCKS):
        x = step(x)
    return x.sum()


def measure(use_checkpoint: bool):
    x = ad.Tensor(np.linspace(-1.0, 1.0, N), requires_grad=True)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        loss = chain(x, use_checkpoint)
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.reset_peak()
        loss.backward()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return held, peak, x.grad, loss.item()


def test_checkpoint_gives_the_same_gradient_and_saves_memory():
    held_plain, peak_plain, grad_plain, loss_plain = measure(False)
    held_ckpt, peak_ckpt, grad_ckpt, loss_ckpt = measure(True)
    assert loss_ckpt == loss_plain
    np.testing.assert_allclose(grad_ckpt, grad_plain, rtol=1e-14)
    array = N * 8
    # the plain graph keeps every intermediate: about BLOCKS * OPS arrays
    assert held_plain > 0.8 * BLOCKS * OPS * array
    # checkpointed: only each block's output (and its input) survive the forward pass
    assert held_ckpt < 2 * BLOCKS * array
    assert held_ckpt * 10 < held_plain
    # during backward at most one block is recomputed at a time
    assert peak_ckpt * 3 < peak_plain


def test_checkpoint_passes_other_arguments_through():
    def scaled(t, factor, power=2):
        return (t * factor) ** power

    x = ad.Tensor([1.0, 2.0], requires_grad=True)
    ad.checkpoint(scaled)(x, 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * 9.0 * x.data)


def test_checkpoint_differentiates_every_tensor_argument():
    w = ad.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = ad.Tensor([0.5, -0.5], requires_grad=True)
    ad.checkpoint(lambda w, x: ad.tanh(w @ x))(w, x).sum().backward()
    gw, gx = w.grad, x.grad
    w.grad = x.grad = None
    ad.tanh(w @ x).sum().backward()
    np.testing.assert_allclose(gw, w.grad, rtol=1e-15)
    np.testing.assert_allclose(gx, x.grad, rtol=1e-15)


def test_a_captured_parameter_is_an_error_not_a_lost_gradient():
    w = ad.Tensor([2.0], requires_grad=True)
    x = ad.Tensor([1.0], requires_grad=True)
    y = ad.checkpoint(lambda t: t * w)(x)
    with pytest.raises(ValueError, match="not passed as an argument"):
        y.sum().backward()


def test_checkpoint_needs_a_tensor_result():
    x = ad.Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="must return one Tensor"):
        ad.checkpoint(lambda t: (t, t))(x)


def test_checkpoint_without_gradients_is_a_plain_call():
    calls = []

    def f(t):
        calls.append(1)
        return t * 2

    with ad.no_grad():
        y = ad.checkpoint(f)(ad.Tensor([1.0], requires_grad=True))
    assert not y.requires_grad and len(calls) == 1


def test_transforms_through_checkpoint():
    f = ad.checkpoint(lambda t: ad.sin(t) * t)
    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(ad.grad(lambda t: f(t).sum())(x), np.cos(x) * x + np.sin(x))
    hess = ad.hessian(lambda t: f(t).sum())(x)
    np.testing.assert_allclose(hess, np.diag(2 * np.cos(x) - x * np.sin(x)), atol=1e-15)
