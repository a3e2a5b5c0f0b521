"""benchmarks/vs_peers.py computes the right numbers (not how fast): every workload's
autograd_ref result against plain numpy or central differences.

Needs none of the benchmark-only packages (HIPS autograd, JAX, micrograd): the workloads and the
harness import them only when timing against them.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import peers_workloads as W  # noqa: E402
import vs_peers  # noqa: E402


def central_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


# ------------------------------------------------------------------------------ 1. MLP step
@pytest.mark.parametrize(("sizes", "batch"), [((784, 256, 10), 64), ((2, 16, 16, 2), 32)])
def test_mlp_steps_match_the_numpy_step(sizes, batch):
    params, X, y = W.mlp_problem(sizes, batch)
    ref = W.make_numpy_step(params, X, y)
    steps = [W.make_tensor_step(params, X, y), W.make_grad_step(params, X, y)]
    for _ in range(3):  # three SGD steps: the updates as well as the losses agree
        want = ref()
        for step in steps:
            assert step() == pytest.approx(want, rel=1e-12, abs=1e-12)
    for step in steps:
        for p, q in zip(step.params(), ref.params(), strict=True):
            np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)


def test_mlp_gradient_against_central_differences():
    params, X, y = W.mlp_problem((2, 16, 16, 2), 32, seed=3)
    step = W.make_grad_step(params, X, y)
    step()  # params <- params - LR * grad
    for before, after, k in zip(params, step.params(), range(len(params)), strict=True):

        def loss_of(p, k=k):
            call = list(params)
            call[k] = p
            return float(W.mlp_loss(*call, X, y))

        np.testing.assert_allclose(
            (before - after) / W.LR, central_gradient(loss_of, before), rtol=1e-6, atol=1e-8
        )


# -------------------------------------------------------------------------------- 2. Hessian
@pytest.mark.parametrize("n", [30, 100])
def test_hessian_matches_the_closed_form(n):
    A, x = W.hessian_problem(n)
    np.testing.assert_allclose(W.ad_hessian(A)(x), W.hessian_exact(A, x), rtol=1e-10, atol=1e-12)


def test_closed_form_hessian_against_central_differences_of_the_gradient():
    A, x = W.hessian_problem(30, seed=5)

    def grad(v):
        return A.T @ (1.0 - np.tanh(A @ v) ** 2) + v

    H = np.column_stack([central_gradient(lambda v, i=i: grad(v)[i], x) for i in range(30)])
    np.testing.assert_allclose(W.hessian_exact(A, x), H, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------------ 3. micrograd demo
def test_moons_are_two_labelled_halves():
    X, y = W.moons(100)
    assert X.shape == (100, 2) and sorted(set(y.tolist())) == [-1.0, 1.0]
    assert (y == 1.0).sum() == 50
    np.testing.assert_array_equal(W.moons(100)[0], X)  # seeded


def test_demo_step_against_numpy_and_central_differences():
    X, y = W.moons(100)
    sizes = (2, 16, 16, 1)
    model = W.ScalarMLP(W.demo_weights(sizes))
    flat = np.array([p.value for p in model.parameters()])
    assert flat.size == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    step = W.make_demo_step(model, X, y, type(model.parameters()[0]))
    loss = step()
    assert loss.value == pytest.approx(W.demo_loss_numpy(flat, sizes, X, y), rel=1e-12)
    grads = np.array([p.grad for p in model.parameters()])
    want = central_gradient(lambda v: W.demo_loss_numpy(v, sizes, X, y), flat)
    np.testing.assert_allclose(grads, want, rtol=1e-6, atol=1e-8)
    step()  # zero_grad before backward: a second step gives the same gradient, not twice it
    np.testing.assert_allclose([p.grad for p in model.parameters()], grads, rtol=1e-12)


# ------------------------------------------------------------------------ 4. the big graph
def test_chain_reference_against_central_differences():
    steps = 1000
    value, slope = W.chain_exact(0.5, steps)
    h = 1e-6
    assert slope == pytest.approx(
        (W.chain_exact(0.5 + h, steps)[0] - W.chain_exact(0.5 - h, steps)[0]) / (2 * h), rel=1e-8
    )
    assert value > 0.5 and slope != 1.0  # the chain moves its input: the check has teeth


@pytest.mark.parametrize("run", [W.chain_backward, W.chain_grad])
def test_chain_gradient_matches_the_reference(run):
    steps = 10_000  # 30,000 operations
    g, start, end = run(0.5, steps, vs_peers.clocks)
    assert g == pytest.approx(W.chain_exact(0.5, steps)[1], rel=1e-12)
    assert all(e >= s for s, e in zip(start, end, strict=True))


# -------------------------------------------------------------------------------- 5. memory
def test_memory_figures_are_positive_and_the_graph_is_right():
    import autograd_ref as ad

    steps = 2000
    graph = W.chain(ad.Tensor(0.5, requires_grad=True), steps, ad.sin)
    assert graph.item() == pytest.approx(W.chain_exact(0.5, steps)[0], rel=1e-14)
    m = vs_peers.graph_memory(lambda: W.chain(ad.Scalar(0.5), steps, ad.sin), 3 * steps)
    assert 50 < m["kept"] < 5000  # bytes per operation: some, and not absurd
    assert m["peak"] >= m["kept"] * 3 * steps and m["rss"] >= 0


# --------------------------------------------------------------------------------- harness
def test_check_close_stops_on_disagreement():
    vs_peers.check_close("same", [1.0, 2.0], [1.0, 2.0 + 1e-12])
    with pytest.raises(SystemExit, match="results differ"):
        vs_peers.check_close("different", [1.0, 2.0], [1.0, 2.0 + 1e-6])
    with pytest.raises(SystemExit, match="results differ"):
        vs_peers.check_close("nan", [math.nan], [1.0])


def test_table_marks_targets():
    rows = [
        vs_peers.Row("fast", 1.0, 2.0, 1.0, 2.0, "peer", 1.0),
        vs_peers.Row("slow", 3.0, 2.0, 3.0, 2.0, "peer", 1.0),
        vs_peers.Row("info", 3.0, None, 3.0, None, "absent", None),
    ]
    lines = vs_peers.format_rows(rows).splitlines()
    assert "| yes " in lines[2] and "| NO " in lines[3] and "(missing)" in lines[4]
