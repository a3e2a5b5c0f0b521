"""The peers' side of ``vs_peers.py``: the same workloads on HIPS autograd, JAX and micrograd.

Each function imports its peer when called, so this module imports (and ``vs_peers.py --help``
works) without the benchmark-only packages; ``pip install -e ".[bench]"`` installs them.
autograd_ref itself never imports any of them.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
from peers_workloads import LR, make_coupled


def missing(package: str) -> str | None:
    """None if ``package`` imports, else a sentence saying how to install it."""
    try:
        __import__(package)
    except ImportError as exc:
        return f"{package} is not installed ({exc}); run: .venv/bin/pip install -e '.[bench]'"
    return None


# ------------------------------------------------------------------------ HIPS autograd
def hips_mlp_step(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Callable:
    """One SGD step with ``autograd.value_and_grad`` on autograd.numpy; updates in place."""
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp

    arrays = [p.copy() for p in params]
    rows = np.arange(X.shape[0])

    def loss(ps, X, y):
        h = X
        for k in range(0, len(ps) - 2, 2):
            h = anp.maximum(h @ ps[k] + ps[k + 1], 0.0)
        z = h @ ps[-2] + ps[-1]
        logp = z - logsumexp(z, axis=1, keepdims=True)
        return -anp.mean(logp[rows, y])

    vg = autograd.value_and_grad(loss)

    def step() -> float:
        value, grads = vg(arrays, X, y)
        for p, g in zip(arrays, grads, strict=True):
            p -= LR * g
        return float(value)

    step.params = lambda: arrays
    return step


def hips_hessian(A: np.ndarray) -> Callable:
    import autograd
    import autograd.numpy as anp

    return autograd.hessian(make_coupled(A, anp.tanh))


# ----------------------------------------------------------------------------------- JAX
def jax_hessian(A: np.ndarray, jit: bool) -> Callable:
    """``jax.hessian`` in float64 on the CPU, eager or jitted; returns numpy arrays."""
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp

    A_j = jnp.asarray(A)
    h = jax.hessian(make_coupled(A_j, jnp.tanh))
    if jit:
        h = jax.jit(h)

    def run(x: np.ndarray) -> np.ndarray:
        return np.asarray(h(jnp.asarray(x)).block_until_ready())

    return run


# ------------------------------------------------------------------------------ micrograd
def micrograd_model(layers: list):
    """``micrograd.nn.MLP`` with the given weights copied in (``layers`` as demo_weights)."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    random.seed(1337)  # MLP draws its own weights first; we overwrite every one
    sizes = [len(layers[0][0][0])] + [len(layer) for layer in layers]
    model = MLP(sizes[0], sizes[1:])
    for layer, mlayer in zip(layers, model.layers, strict=True):
        for (ws, b), neuron in zip(layer, mlayer.neurons, strict=True):
            neuron.w = [Value(w) for w in ws]
            neuron.b = Value(b)
    return model, Value
