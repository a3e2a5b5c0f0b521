"""Benchmark: the reverse-mode scalar engine ``ad.Scalar`` against a tutorial-style engine.

Run from the repository root:

    .venv/bin/python benchmarks/scalar_engine.py            # full run (about a minute)
    .venv/bin/python benchmarks/scalar_engine.py --quick    # fewer repeats, smaller chain

Workload: one training step's worth of graph for a 2-16-16-1 multilayer perceptron (ReLU hidden
layers) over 100 points with a hinge loss, mean of relu(1 - y * score). That is about 65k nodes.
Each repeat builds the graph (forward) and backpropagates it (backward); we report the median of
several repeats for both engines in the same process, so machine load affects both alike.

The baseline, ``TutorialValue`` below, is the design most introductions to autograd use: every
operation allocates a closure that knows how to push its output's gradient to its inputs, and
``backward`` orders the graph with a recursive depth-first search. It needs the recursion limit
raised to run at all on a graph this deep; ``ad.Scalar`` does not (its ordering is iterative).

The script also times building and backpropagating a chain of a million operations with
``ad.Scalar`` (the tutorial design cannot do that without raising the recursion limit to a million
and, usually, overflowing the C stack).
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
    """A minimal closure-per-node reverse-mode engine (the baseline; not part of the library)."""

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

    def __truediv__(self, other):
        return self * TutorialValue.wrap(other) ** -1.0

    def __pow__(self, c):
        out = TutorialValue(self.data**c, (self,))

        def push_grad():
            self.grad += c * self.data ** (c - 1.0) * out.grad

        out.push_grad = push_grad
        return out

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


def step(cls, layers, xs, ys) -> tuple[float, float, float, list[float], int | None]:
    """Build (forward) and backpropagate (backward) once; return the times and the gradient."""
    params, flat = lift_params(layers, cls)
    t0 = time.perf_counter()
    loss = hinge_loss(params, xs, ys)
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    value = loss.value if cls is ad.Scalar else loss.data
    return t1 - t0, t2 - t1, value, [p.grad for p in flat], loss


def bench_mlp(repeats: int) -> None:
    xs, ys = make_data()
    layers = make_params()
    results = {}
    nodes = {}
    grads = {}
    for cls in (ad.Scalar, TutorialValue):
        fwd, bwd = [], []
        for _ in range(repeats):
            gc.collect()
            tf, tb, value, grad, loss = step(cls, layers, xs, ys)
            fwd.append(tf)
            bwd.append(tb)
            nodes[cls] = count_nodes(loss)
            grads[cls] = (value, grad)
            del loss
        results[cls] = fwd, bwd
    # Same loss and the same gradient from both engines, or the timing means nothing.
    (v1, g1), (v2, g2) = grads[ad.Scalar], grads[TutorialValue]
    assert abs(v1 - v2) <= 1e-12 * max(1.0, abs(v2)), (v1, v2)
    assert np.allclose(g1, g2, rtol=1e-12, atol=1e-15), "the two engines disagree"

    print(f"MLP 2-16-16-1, 100 points, hinge loss: loss {v1:.6f}, {len(g1)} parameters")
    print(f"graph size: ad.Scalar {nodes[ad.Scalar]:,} nodes, baseline {nodes[TutorialValue]:,}")
    print(f"median of {repeats} repeats, milliseconds:\n")
    print(f"{'engine':<28}{'forward':>10}{'backward':>10}{'total':>10}{'nodes/s':>14}")
    med = {}
    for cls, name in ((ad.Scalar, "ad.Scalar"), (TutorialValue, "closure-per-node baseline")):
        fwd, bwd = results[cls]
        tot = [f + b for f, b in zip(fwd, bwd, strict=True)]
        med[cls] = statistics.median(fwd), statistics.median(bwd), statistics.median(tot)
        f, b, t = med[cls]
        rate = nodes[cls] / t
        print(f"{name:<28}{1e3 * f:>10.1f}{1e3 * b:>10.1f}{1e3 * t:>10.1f}{rate:>14,.0f}")
    fs, bs, ts = med[ad.Scalar]
    fb, bb, tb = med[TutorialValue]
    print(f"{'speed-up (baseline / ours)':<28}{fb / fs:>9.2f}x{bb / bs:>9.2f}x{tb / ts:>9.2f}x")


def bench_chain(length: int) -> None:
    """Build x -> x*c + d ... (alternating) a million deep, backpropagate, check, free."""

    def build(x):
        y = x
        for _ in range(length // 2):
            y = y * 0.999999
            y = y + 1e-6
        return y

    gc.collect()
    t0 = time.perf_counter()
    x = ad.Scalar(1.0)
    y = build(x)
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    del y
    t3 = time.perf_counter()
    expected = 0.999999 ** (length // 2)
    assert abs(x.grad - expected) <= 1e-9 * expected, (x.grad, expected)
    print(
        f"\nchain of {length:,} operations with ad.Scalar: build {t1 - t0:.2f} s, "
        f"backward {t2 - t1:.2f} s, free {t3 - t2:.2f} s; dy/dx = {x.grad:.12f} "
        f"(expected {expected:.12f}); recursion limit untouched ({sys.getrecursionlimit()})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats and a 100k chain")
    args = parser.parse_args(argv)
    repeats, chain = (3, 100_000) if args.quick else (7, 1_000_000)
    bench_chain(chain)  # first, before the baseline raises the recursion limit
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200_000)  # the baseline's recursive sort needs it; ad.Scalar does not
    try:
        bench_mlp(repeats)
    finally:
        sys.setrecursionlimit(limit)


if __name__ == "__main__":
    main()
