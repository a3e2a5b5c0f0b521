"""Benchmark: the reverse-mode scalar engine ``ad.Scalar`` against a tutorial-style engine.

Run from the repository root (or ``make bench``):

    .venv/bin/python benchmarks/scalar_engine.py            # full run, a minute or two
    .venv/bin/python benchmarks/scalar_engine.py --quick    # 3 repeats and a 100k chain

Workload: the graph of one training step of a 2-16-16-1 multilayer perceptron (ReLU hidden
layers) over 100 points with a hinge loss, mean of relu(1 - y * score): about 68k nodes. Each
repeat builds the graph (forward), backpropagates it (backward) and frees it; the two engines
alternate repeat by repeat and we report medians. Times are CPU time of this process
(``time.process_time``), which other jobs on a shared machine disturb far less than wall time.

The baseline, ``TutorialValue`` below, is the design most introductions to autograd use: every
operation allocates a closure that knows how to push its output's gradient to its inputs, and
``backward`` orders the graph with a recursive depth-first search. It needs the recursion limit
raised to run at all on this graph; ``ad.Scalar`` does not (its ordering is iterative).

Two tables: with Python's cycle collector on (the default, what users get) and off. The closure
design makes every node part of a reference cycle (node -> closure -> node), so its graphs are
freed only by the cycle collector, and the collector's passes over ~7 container objects per node
dominate its forward time. ``ad.Scalar`` allocates one object per node and no cycles. The
collector-off table isolates the interpreter work per node; the "free" column is ``del`` plus
``gc.collect()``, so it includes collecting the baseline's cycles.

The script also times building and backpropagating a chain of a million operations with
``ad.Scalar``, which the recursive design cannot do without raising the recursion limit to a
million (and, usually, overflowing the C stack).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

import numpy as np

import autograd_ref as ad


# ------------------------------------------------------------------------------ the baseline
class TutorialValue:
    """A minimal closure-per-node reverse-mode engine (the baseline; not part of the library).

    Only the operations the benchmark's MLP uses: +, -, *, relu.
    """

    def __init__(self, data, parents=()):
        self.data = data
        self.grad = 0.0
        self.parents = parents
        self.push_grad = lambda: None  # replaced by the operation that creates the node

    @staticmethod
    def wrap(x):
        return x if isinstance(x, TutorialValue) else TutorialValue(float(x))

    def __add__(self, other):
        other = TutorialValue.wrap(other)
        out = TutorialValue(self.data + other.data, (self, other))

        def push_grad():
            self.grad += out.grad
            other.grad += out.grad

        out.push_grad = push_grad
        return out

    def __mul__(self, other):
        other = TutorialValue.wrap(other)
        out = TutorialValue(self.data * other.data, (self, other))

        def push_grad():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out.push_grad = push_grad
        return out

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-TutorialValue.wrap(other))

    def __rsub__(self, other):
        return TutorialValue.wrap(other) - self

    __radd__ = __add__
    __rmul__ = __mul__

    def relu(self):
        out = TutorialValue(self.data if self.data > 0 else 0.0, (self,))

        def push_grad():
            self.grad += (1.0 if out.data > 0 else 0.0) * out.grad

        out.push_grad = push_grad
        return out

    def backward(self):
        order, visited = [], set()

        def visit(node):
            if node not in visited:
                visited.add(node)
                for parent in node.parents:
                    visit(parent)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node.push_grad()


# --------------------------------------------------------------------------------- workload
def make_data(n_points: int = 100, seed: int = 0):
    """Two interleaved classes in the plane, labels +-1 (seeded, so every run is identical)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n_points, 2))
    y = np.where(x[:, 0] * x[:, 1] > 0, 1.0, -1.0)
    return x.tolist(), y.tolist()


def make_params(sizes=(2, 16, 16, 1), seed: int = 1):
    """Weights and biases of the MLP as nested lists of floats: layers[k] = [(w_row, b), ...]."""
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        w = rng.uniform(-1.0, 1.0, size=(n_out, n_in)) / np.sqrt(n_in)
        layers.append([(w[j].tolist(), 0.0) for j in range(n_out)])
    return layers


def lift_params(layers, cls) -> tuple[list, list]:
    """Wrap every parameter in the engine's value type; also return the flat parameter list."""
    lifted, flat = [], []
    for layer in layers:
        neurons = []
        for w_row, b in layer:
            ws = [cls(w) for w in w_row]
            bias = cls(b)
            flat.extend(ws)
            flat.append(bias)
            neurons.append((ws, bias))
        lifted.append(neurons)
    return lifted, flat


def hinge_loss(params, xs, ys):
    """mean over points of relu(1 - y * mlp(x)); written once, run on both engines."""
    total = 0.0
    for x, y in zip(xs, ys, strict=True):
        h = x
        for k, layer in enumerate(params):
            last = k == len(params) - 1
            out = []
            for ws, b in layer:
                s = b
                for w, xi in zip(ws, h, strict=True):
                    s = s + w * xi
                out.append(s if last else s.relu())
            h = out
        total = (1.0 - y * h[0]).relu() + total
    return total * (1.0 / len(xs))


def count_nodes(root) -> int:
    """Nodes the loss depends on (leaves included), found without recursion."""
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        parents = node._parents if isinstance(node, ad.Scalar) else node.parents
        for p in parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def step(cls, layers, xs, ys, collector_on: bool) -> dict:
    """Build (forward), backpropagate (backward) and free the graph once, timing each part."""
    params, flat = lift_params(layers, cls)
    gc.collect()
    if not collector_on:
        gc.disable()
    try:
        t0 = time.process_time()
        loss = hinge_loss(params, xs, ys)
        t1 = time.process_time()
        loss.backward()
        t2 = time.process_time()
        value = loss.value if cls is ad.Scalar else loss.data
        nodes = count_nodes(loss)
        t3 = time.process_time()
        del loss  # ad.Scalar's graph is freed here, by reference counting
        gc.collect()  # the baseline's graph is made of reference cycles: freed only here
        t4 = time.process_time()
    finally:
        gc.enable()
    return {
        "forward": t1 - t0,
        "backward": t2 - t1,
        "free": t4 - t3,
        "value": value,
        "grad": [p.grad for p in flat],
        "nodes": nodes,
    }


ENGINES = {ad.Scalar: "ad.Scalar", TutorialValue: "closure-per-node baseline"}


def bench_mlp(repeats: int, collector_on: bool) -> float:
    """Time both engines, interleaved repeat by repeat; print a table; return the speed-up."""
    xs, ys = make_data()
    layers = make_params()
    runs: dict = {cls: [] for cls in ENGINES}
    for _ in range(repeats):
        for cls in ENGINES:  # alternate, so a burst of machine load hits both engines
            runs[cls].append(step(cls, layers, xs, ys, collector_on))
    ours, base = runs[ad.Scalar][-1], runs[TutorialValue][-1]
    # Same loss and the same gradient from both engines, or the timing means nothing.
    assert abs(ours["value"] - base["value"]) <= 1e-12 * max(1.0, abs(base["value"]))
    assert np.allclose(ours["grad"], base["grad"], rtol=1e-12, atol=1e-15), "engines disagree"

    state = "on (Python's default)" if collector_on else "off (gc.disable() while timing)"
    print(f"\ncycle collector {state}; median of {repeats} repeats, milliseconds")
    print(f"{'engine':<28}{'forward':>9}{'backward':>10}{'f + b':>9}{'free':>8}{'nodes/s':>12}")
    medians = {}
    for cls, name in ENGINES.items():
        med = {k: statistics.median(r[k] for r in runs[cls]) for k in ("forward", "backward")}
        med["free"] = statistics.median(r["free"] for r in runs[cls])
        total = statistics.median(r["forward"] + r["backward"] for r in runs[cls])
        medians[cls] = total
        rate = runs[cls][-1]["nodes"] / total
        print(
            f"{name:<28}{1e3 * med['forward']:>9.1f}{1e3 * med['backward']:>10.1f}"
            f"{1e3 * total:>9.1f}{1e3 * med['free']:>8.1f}{rate:>12,.0f}"
        )
    speedup = medians[TutorialValue] / medians[ad.Scalar]
    print(f"speed-up, forward + backward (baseline / ad.Scalar): {speedup:.2f}x")
    return speedup


def bench_chain(length: int) -> None:
    """Build a chain ``length`` operations deep, backpropagate it, check dy/dx, free it."""

    def build(x):
        y = x
        for _ in range(length // 2):
            y = y * 0.999999
            y = y + 1e-6
        return y

    gc.collect()
    t0 = time.process_time()
    x = ad.Scalar(1.0)
    y = build(x)
    t1 = time.process_time()
    y.backward()
    t2 = time.process_time()
    del y
    t3 = time.process_time()
    expected = 0.999999 ** (length // 2)
    assert abs(x.grad - expected) <= 1e-9 * expected, (x.grad, expected)
    print(
        f"\nchain of {length:,} operations (y = y * 0.999999; y = y + 1e-6; ...) with ad.Scalar:\n"
        f"  build {t1 - t0:.2f} s + backward {t2 - t1:.2f} s = {t2 - t0:.2f} s; "
        f"free {t3 - t2:.2f} s; dy/dx = {x.grad:.12f} (exact {expected:.12f});\n"
        f"  recursion limit untouched ({sys.getrecursionlimit()})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats and a 100k chain")
    args = parser.parse_args(argv)
    repeats, chain = (3, 100_000) if args.quick else (9, 1_000_000)
    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}")
    bench_chain(chain)  # first, before the baseline raises the recursion limit
    xs, ys = make_data()
    params, _ = lift_params(make_params(), ad.Scalar)
    loss = hinge_loss(params, xs, ys)
    print(
        f"\nMLP 2-16-16-1 (ReLU), 100 points, hinge loss {loss.value:.6f}: a graph of "
        f"{count_nodes(loss):,} ad.Scalar nodes (leaves included)"
    )
    del loss
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)  # the baseline's recursive sort needs it; ad.Scalar does not
    try:
        on = bench_mlp(repeats, collector_on=True)
        off = bench_mlp(repeats, collector_on=False)
    finally:
        sys.setrecursionlimit(limit)
    print(f"\nsummary: ad.Scalar is {on:.1f}x faster with the collector on, {off:.1f}x with it off")


if __name__ == "__main__":
    main()
