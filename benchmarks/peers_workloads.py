"""The workloads of ``vs_peers.py`` on autograd_ref, and their plain-numpy references.

Nothing here imports a peer library (HIPS autograd, JAX, micrograd): tests/test_bench_smoke.py
imports this module to check that every benchmark computes the right numbers, on a machine
without the benchmark-only packages. The peers' versions live in ``peers_impl.py``.

Every workload is seeded, so two runs (and two libraries in one run) see the same data.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

import autograd_ref as ad

LR = 0.05  # SGD step size of the MLP step
ALPHA = 1e-4  # L2 weight of micrograd's demo loss


# ------------------------------------------------------------------- 1. MLP SGD step
def mlp_problem(sizes: tuple[int, ...], batch: int, seed: int = 0):
    """He-initialised weights and zero biases ``[W1, b1, W2, b2, ...]``, inputs and labels."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        params.append(rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_in, fan_out)))
        params.append(rng.normal(0.0, 0.1, size=fan_out))
    X = rng.normal(size=(batch, sizes[0]))
    y = rng.integers(0, sizes[-1], size=batch)
    return params, X, y


def mlp_loss(*args):
    """Mean softmax cross-entropy of the MLP, ``args = (W1, b1, ..., X, y)``, with ``ad.*`` calls.

    ReLU hidden layers; log-softmax, then each row's entry at its label, then the mean.
    """
    *params, X, y = args
    h = X
    for k in range(0, len(params) - 2, 2):
        h = ad.relu(h @ params[k] + params[k + 1])
    logp = ad.log_softmax(h @ params[-2] + params[-1])
    return -logp[np.arange(X.shape[0]), y].mean()


def make_tensor_step(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Callable:
    """One SGD step with ``ad.Tensor`` parameters and ``loss.backward()``; updates in place.

    The returned step gives the loss before the update; ``step.params()`` the current arrays.
    """
    tensors = [ad.Tensor(p.copy(), requires_grad=True) for p in params]

    def step() -> float:
        loss = mlp_loss(*tensors, X, y)
        for p in tensors:
            p.grad = None
        loss.backward()
        for p in tensors:
            p.data -= LR * p.grad
        return loss.item()

    step.params = lambda: [p.data for p in tensors]
    return step


def make_grad_step(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Callable:
    """One SGD step with ``ad.value_and_grad`` on plain arrays (JAX's style); updates in place."""
    arrays = [p.copy() for p in params]
    vg = ad.value_and_grad(mlp_loss, argnums=tuple(range(len(arrays))))

    def step() -> float:
        value, grads = vg(*arrays, X, y)
        for p, g in zip(arrays, grads, strict=True):
            p -= LR * g
        return float(value)

    step.params = lambda: arrays
    return step


def make_numpy_step(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Callable:
    """The reference: the same step with the gradients written out by hand in numpy."""
    arrays = [p.copy() for p in params]
    batch = X.shape[0]
    rows = np.arange(batch)
    n_layers = len(arrays) // 2

    def step() -> float:
        hs, zs, h = [X], [], X
        for k in range(n_layers):
            z = h @ arrays[2 * k] + arrays[2 * k + 1]
            zs.append(z)
            if k < n_layers - 1:
                h = np.maximum(z, 0.0)
                hs.append(h)
        shifted = z - z.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -logp[rows, y].mean()
        dz = np.exp(logp)  # d loss / d logits = (softmax - onehot) / batch
        dz[rows, y] -= 1.0
        dz /= batch
        for k in range(n_layers - 1, -1, -1):
            W = arrays[2 * k]
            dW, db = hs[k].T @ dz, dz.sum(axis=0)
            if k > 0:
                dz = (dz @ W.T) * (zs[k - 1] > 0)
            W -= LR * dW
            arrays[2 * k + 1] -= LR * db
        return float(loss)

    step.params = lambda: arrays
    return step


# ------------------------------------------------------------------------- 2. Hessian
def hessian_problem(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A coupling matrix ``A`` (n x n, scaled so ``A @ x`` stays O(1)) and a point ``x``."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n)) / math.sqrt(n), rng.normal(size=n)


def make_coupled(A: np.ndarray, tanh: Callable) -> Callable:
    """``f(x) = sum(tanh(A @ x)) + x @ x / 2``, for any library's ``tanh`` on its arrays."""

    def f(x):
        return tanh(A @ x).sum() + 0.5 * (x @ x)

    return f


def hessian_exact(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The reference: ``A.T @ diag(-2 t (1 - t^2)) @ A + I`` with ``t = tanh(A @ x)``."""
    t = np.tanh(A @ x)
    return (A.T * (-2.0 * t * (1.0 - t * t))) @ A + np.eye(len(x))


def ad_hessian(A: np.ndarray) -> Callable:
    return ad.hessian(make_coupled(A, ad.tanh))


# ------------------------------------------------------------------ 3. micrograd's demo
def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles with Gaussian noise; labels -1 and +1 (seeded)."""
    rng = np.random.default_rng(seed)
    n_top = n // 2
    t_top = np.linspace(0.0, math.pi, n_top)
    t_bottom = np.linspace(0.0, math.pi, n - n_top)
    top = np.stack([np.cos(t_top), np.sin(t_top)], axis=1)
    bottom = np.stack([1.0 - np.cos(t_bottom), 0.5 - np.sin(t_bottom)], axis=1)
    X = np.concatenate([top, bottom]) + rng.normal(0.0, noise, size=(n, 2))
    y = np.concatenate([-np.ones(n_top), np.ones(n - n_top)])
    return X, y


def demo_weights(sizes: tuple[int, ...] = (2, 16, 16, 1), seed: int = 1) -> list:
    """Weights as micrograd initialises them (uniform on [-1, 1], zero biases), as floats.

    ``layers[k][j] = (w_row, bias)`` for neuron ``j`` of layer ``k``.
    """
    rng = np.random.default_rng(seed)
    return [
        [(rng.uniform(-1.0, 1.0, size=n_in).tolist(), 0.0) for _ in range(n_out)]
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]


class ScalarMLP:
    """micrograd's MLP, neuron by neuron, on ``ad.Scalar`` (same sums, same order)."""

    def __init__(self, layers: list):
        self.layers = [
            [([ad.Scalar(w) for w in ws], ad.Scalar(b)) for ws, b in lyr] for lyr in layers
        ]

    def __call__(self, x: list):
        last = len(self.layers) - 1
        for k, layer in enumerate(self.layers):
            out = []
            for ws, b in layer:
                act = sum((wi * xi for wi, xi in zip(ws, x, strict=True)), b)
                out.append(act if k == last else act.relu())
            x = out
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list:
        return [p for layer in self.layers for ws, b in layer for p in (*ws, b)]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0


def svm_loss(model, X: np.ndarray, y: np.ndarray, value_type: type):
    """micrograd's demo loss: mean max-margin ``relu(1 - y * score)`` plus ``ALPHA * sum(p^2)``.

    Written once for any engine: ``value_type`` wraps the inputs (as the demo wraps them).
    """
    inputs = [[value_type(float(v)) for v in row] for row in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -float(yi) * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def make_demo_step(model, X: np.ndarray, y: np.ndarray, value_type: type) -> Callable:
    """Forward, zero the gradients, backward: the demo's step without the update."""

    def step():
        loss = svm_loss(model, X, y, value_type)
        model.zero_grad()
        loss.backward()
        return loss

    return step


def demo_loss_numpy(flat: np.ndarray, sizes: tuple[int, ...], X: np.ndarray, y: np.ndarray):
    """The reference: the demo loss from a flat parameter vector (parameters() order), in numpy."""
    h, i = X, 0
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        block = flat[i : i + n_out * (n_in + 1)].reshape(n_out, n_in + 1)  # [w_row..., b]
        i += n_out * (n_in + 1)
        h = h @ block[:, :n_in].T + block[:, n_in]
        if k < len(sizes) - 2:
            h = np.maximum(h, 0.0)
    margins = np.maximum(1.0 - y * h[:, 0], 0.0)
    return margins.mean() + ALPHA * (flat @ flat)


# ------------------------------------------------------- 4./5. big Scalar and Tensor graphs
def chain(x, steps: int, sin: Callable):
    """``steps`` times ``y = y + sin(y) * 1e-6``: three recorded operations per step."""
    y = x
    for _ in range(steps):
        y = y + sin(y) * 1e-6
    return y


def chain_exact(x: float, steps: int) -> tuple[float, float]:
    """The reference: the chain's value and derivative dy/dx, by the chain rule on floats."""
    y, d = x, 1.0
    for _ in range(steps):
        y, d = y + math.sin(y) * 1e-6, d * (1.0 + math.cos(y) * 1e-6)
    return y, d


def chain_backward(x: float, steps: int, clock: Callable) -> tuple:
    """Build the chain on ``ad.Scalar``, then ``.backward()`` and drop the graph.

    Returns dy/dx and the ``clock()`` readings before the backward pass and after the graph is
    freed: ``ad.grad`` frees its graph before it returns, so both figures include freeing it.
    """
    leaf = ad.Scalar(x)
    y = chain(leaf, steps, ad.sin)
    start = clock()
    y.backward()
    del y  # the only reference to the graph (the leaf does not refer to it): freed here
    return leaf.grad, start, clock()


def chain_grad(x: float, steps: int, clock: Callable) -> tuple:
    """``ad.grad`` of the chain.

    Returns dy/dx and the ``clock()`` readings when the function returned (the graph is built)
    and when ``ad.grad`` returned (the gradient found and the graph freed), comparable with
    :func:`chain_backward`.
    """
    returned = []

    def f(v):
        out = chain(v, steps, ad.sin)
        returned.append(clock())
        return out

    g = ad.grad(f)(x)
    return g, returned[0], clock()
