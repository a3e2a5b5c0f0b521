"""One SGD step of an MLP: ad.Tensor against the same step written by hand in numpy.

Both versions run in the same process on the same seeded data, interleaved repeat by repeat so
that they see the same machine load; each figure is the median over many repeats of the mean time
of a block of steps. Targets (issue 4): Tensor / numpy <= 1.2 for 784-256-10 at batch 64 and
<= 2.5 for 2-16-16-2 at batch 32, and the cheap-gradient ratio
time(value_and_grad(loss)) / time(loss) <= 3 for the MLP loss.

    .venv/bin/python benchmarks/tensor_mlp_step.py              # full run (about a minute)
    .venv/bin/python benchmarks/tensor_mlp_step.py --quick      # fewer repeats
    .venv/bin/python benchmarks/tensor_mlp_step.py --clock cpu  # process CPU time, not wall

On a shared machine, wall-clock times include the time other processes hold the cores; CPU time
(``time.process_time``, summed over the process's threads, BLAS included) does not, so ``--clock
cpu`` gives steadier ratios there. Both versions use the same numpy and BLAS, so the ratios
measure the library's own overhead either way.

The loss in the cheap-gradient ratio is one Python function written with ad.* calls; called on
numpy arrays it runs plain numpy (the "time(loss)" column), and value_and_grad runs it on Tensors
and adds the backward pass.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

import autograd_ref as ad

LR = 0.05


# --------------------------------------------------------------------------- the models
def init_params(sizes: list[int], rng: np.random.Generator) -> list[np.ndarray]:
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        params.append(rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)))
        params.append(np.zeros(fan_out))
    return params


def make_numpy_step(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> Callable:
    """The step a careful person writes by hand: forward, the known gradients, in-place update."""
    batch = X.shape[0]
    rows = np.arange(batch)
    n_layers = len(params) // 2

    def step() -> float:
        hs, zs = [X], []
        h = X
        for k in range(n_layers):
            z = h @ params[2 * k] + params[2 * k + 1]
            zs.append(z)
            if k < n_layers - 1:
                h = np.maximum(z, 0.0)
                hs.append(h)
        shifted = z - z.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -logp[rows, y].mean()
        dz = np.exp(logp)  # softmax(z) - onehot(y), over the batch
        dz[rows, y] -= 1.0
        dz /= batch
        for k in range(n_layers - 1, -1, -1):
            W = params[2 * k]
            dW = hs[k].T @ dz
            db = dz.sum(axis=0)
            if k > 0:
                dz = (dz @ W.T) * (zs[k - 1] > 0)
            W -= LR * dW
            params[2 * k + 1] -= LR * db
        return float(loss)

    return step


def make_tensor_step(params: list[ad.Tensor], X: np.ndarray, y: np.ndarray) -> Callable:
    """The same step from Tensor operations: forward, loss.backward(), update."""
    rows = np.arange(X.shape[0])
    layers = [(params[i], params[i + 1]) for i in range(0, len(params), 2)]

    def step() -> float:
        h = X
        for W, b in layers[:-1]:
            h = ad.relu(h @ W + b)
        W, b = layers[-1]
        logp = ad.log_softmax(h @ W + b)
        loss = -logp[rows, y].mean()
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss.item()

    return step


def mlp_loss(*args):
    """The MLP's mean cross-entropy as one function of (W1, b1, ..., X, y), with ad.* calls."""
    *params, X, y = args
    h = X
    for k in range(0, len(params) - 2, 2):
        h = ad.relu(h @ params[k] + params[k + 1])
    logp = ad.log_softmax(h @ params[-2] + params[-1])
    return -logp[np.arange(X.shape[0]), y].mean()


# ------------------------------------------------------------------------------ timing
CLOCK = time.perf_counter


def block_time(fn: Callable, number: int) -> float:
    t0 = CLOCK()
    for _ in range(number):
        fn()
    return (CLOCK() - t0) / number


def compare(fns: dict[str, Callable], repeats: int, number: int) -> dict[str, float]:
    """Median seconds per call of each function, measured in interleaved blocks."""
    for fn in fns.values():  # warm up caches and the allocator
        block_time(fn, number)
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(block_time(fn, number))
    return {name: statistics.median(s) for name, s in samples.items()}


def data(sizes: list[int], batch: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, sizes[0]))
    y = rng.integers(0, sizes[-1], size=batch)
    return rng, X, y


def bench_step(sizes: list[int], batch: int, repeats: int, number: int) -> tuple[float, float]:
    rng, X, y = data(sizes, batch, seed=0)
    init = init_params(sizes, rng)
    np_params = [p.copy() for p in init]
    t_params = [ad.Tensor(p, requires_grad=True) for p in init]
    np_step = make_numpy_step(np_params, X, y)
    t_step = make_tensor_step(t_params, X, y)
    # same maths: the first steps agree to rounding
    a, b = np_step(), t_step()
    assert abs(a - b) < 1e-12, (a, b)
    assert all(np.allclose(p, q.data, atol=1e-12) for p, q in zip(np_params, t_params, strict=True))
    times = compare({"numpy": np_step, "tensor": t_step}, repeats, number)
    return times["numpy"], times["tensor"]


def bench_cheap_gradient(sizes: list[int], batch: int, repeats: int, number: int):
    rng, X, y = data(sizes, batch, seed=1)
    params = init_params(sizes, rng)
    n = len(params)
    vg = ad.value_and_grad(mlp_loss, argnums=tuple(range(n)))
    value, grads = vg(*params, X, y)
    assert abs(value - mlp_loss(*params, X, y)) < 1e-12
    times = compare(
        {"loss": lambda: mlp_loss(*params, X, y), "value_and_grad": lambda: vg(*params, X, y)},
        repeats,
        number,
    )
    return times["loss"], times["value_and_grad"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    parser.add_argument(
        "--clock", choices=["wall", "cpu"], default="wall", help="wall clock or process CPU time"
    )
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    scale = 0.25 if args.quick else 1.0
    reps = max(5, int(41 * scale))

    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"clock: {args.clock}; median of {reps} repeats, interleaved\n")
    rows = []
    for sizes, batch, target, number in (
        ([784, 256, 10], 64, 1.2, 20),
        ([2, 16, 16, 2], 32, 2.5, 200),
    ):
        t_np, t_t = bench_step(sizes, batch, reps, number)
        rows.append(("SGD step", sizes, batch, t_np, t_t, target))
    for sizes, batch, number in (([784, 256, 10], 64, 20), ([2, 16, 16, 2], 32, 200)):
        t_loss, t_vg = bench_cheap_gradient(sizes, batch, reps, number)
        rows.append(("value_and_grad / loss", sizes, batch, t_loss, t_vg, 3.0))

    header = f"{'measure':<22} {'MLP':<14} {'batch':>5} {'baseline':>11} {'ad':>11} {'ratio':>6}"
    print(header + "  target")
    print("-" * (len(header) + 8))
    ok = True
    for what, sizes, batch, base, mine, target in rows:
        ratio = mine / base
        ok &= ratio <= target
        verdict = "ok" if ratio <= target else "MISS"
        print(
            f"{what:<22} {'-'.join(map(str, sizes)):<14} {batch:>5} {base * 1e6:>9.1f}us "
            f"{mine * 1e6:>9.1f}us {ratio:>6.2f}  <= {target:<4} {verdict}"
        )
    print("\nbaseline: hand-written numpy step (SGD rows) or the loss alone on numpy arrays")
    print("all targets met" if ok else "some targets missed")
    sys.exit(0)


if __name__ == "__main__":
    main()
