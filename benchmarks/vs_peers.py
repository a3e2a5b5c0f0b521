"""autograd_ref against the real peers: HIPS autograd, JAX and micrograd, side by side.

    .venv/bin/pip install -e '.[bench]'               # the peers (benchmark-only; `make bench`)
    .venv/bin/python benchmarks/vs_peers.py           # full run, about ten minutes
    .venv/bin/python benchmarks/vs_peers.py --quick   # smoke run: few repeats, smaller graphs
    .venv/bin/python benchmarks/vs_peers.py --only hessian   # one benchmark (see --help)

Benchmarks (targets from issue 14):

* ``mlp``: one SGD step (forward, backward, update) of a 784-256-10 MLP at batch 64, ReLU and
  softmax cross-entropy; autograd_ref's figure is the faster of ``Tensor.backward()`` and
  ``ad.value_and_grad`` on arrays. Target: <= HIPS autograd. The course's 2-16-16-2 MLP at
  batch 32 is shown for information.
* ``hessian``: the Hessian of ``sum(tanh(A @ x)) + x @ x / 2`` (30 and 100 variables).
  Target: ``ad.hessian`` <= ``autograd.hessian``; ``jax.hessian`` eager and jitted (warm) for
  information.
* ``micrograd``: micrograd's demo step (its own ``MLP(2, [16, 16, 1])``, 100 two-moons points,
  max-margin loss + L2; forward, zero_grad, backward) against the same network on ``ad.Scalar``
  with the same weights. Target: <= 0.2x micrograd.
* ``bigraph``: the gradient part of ``ad.grad`` on a 3-million-operation Scalar graph against
  ``.backward()`` on the same graph. Target: ratio <= 1.2.
* ``memory``: a 1-million-operation graph of ``ad.Scalar`` and of 0-d ``ad.Tensor``: tracemalloc
  bytes per operation, and the process's resident-memory growth. No target.

Method. Each library's result is checked against the others' (and the exact value) to 1e-10
before anything is timed. Timings alternate between the libraries repeat by repeat, so a burst
of load from other processes hits all of them; each figure is a median. CPU time
(``time.process_time``: this process, all its threads) decides "met?", because on a shared
machine it is far steadier than wall time, which is shown beside it. JAX runs on the CPU in
float64, like the others.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import peers_impl as peers
import peers_workloads as W

import autograd_ref as ad

TOL = 1e-10


@dataclass
class Row:
    figure: str
    ad_cpu: float  # seconds
    peer_cpu: float | None
    ad_wall: float
    peer_wall: float | None
    peer: str = ""
    target: float | None = None  # met when ad_cpu / peer_cpu <= target
    note: str = ""


def clocks() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def measure(fns: dict[str, Callable], repeats: int, number: int) -> dict[str, tuple]:
    """Median (CPU, wall) seconds per call of each function, in interleaved blocks of calls."""
    for fn in fns.values():  # warm caches, the allocator, JAX's compilation
        fn()
    samples: dict[str, list] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            c0, w0 = clocks()
            for _ in range(number):
                fn()
            c1, w1 = clocks()
            samples[name].append(((c1 - c0) / number, (w1 - w0) / number))
    return {
        name: (statistics.median(s[0] for s in ss), statistics.median(s[1] for s in ss))
        for name, ss in samples.items()
    }


def check_close(what: str, got, want, tol: float = TOL) -> None:
    """Stop the benchmark if two libraries disagree: their timings would mean nothing."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    err = float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)))) if want.size else 0.0
    if got.shape != want.shape or not err <= tol:
        raise SystemExit(f"{what}: results differ (max relative error {err:.3g} > {tol:g})")


# ------------------------------------------------------------------------------ benchmarks
def bench_mlp(repeats: int) -> list[Row]:
    rows = []
    for sizes, batch, number, target in (
        ((784, 256, 10), 64, 10, 1.0),
        ((2, 16, 16, 2), 32, 100, None),
    ):
        params, X, y = W.mlp_problem(sizes, batch)
        steps = {
            "numpy": W.make_numpy_step(params, X, y),
            "Tensor.backward": W.make_tensor_step(params, X, y),
            "ad.value_and_grad": W.make_grad_step(params, X, y),
        }
        if peers.missing("autograd") is None:
            steps["HIPS autograd"] = peers.hips_mlp_step(params, X, y)
        losses = {name: step() for name, step in steps.items()}
        for name, step in steps.items():  # one step each from the same start: same result
            check_close(f"MLP loss, {name}", losses[name], losses["numpy"])
            for p, q in zip(step.params(), steps["numpy"].params(), strict=True):
                check_close(f"MLP step, {name}", p, q)
        del steps["numpy"]
        times = measure(steps, repeats, number)
        best = min(("Tensor.backward", "ad.value_and_grad"), key=lambda k: times[k][0])
        hips = times.get("HIPS autograd", (None, None))
        label = "-".join(map(str, sizes)) + f" b{batch}"
        others = ", ".join(f"{k} {1e3 * v[0]:.3f} ms" for k, v in times.items() if k != best)
        rows.append(
            Row(
                f"SGD step {label}",
                *times[best][:1],
                hips[0],
                times[best][1],
                hips[1],
                "HIPS autograd",
                target,
                f"ad = {best}; {others}",
            )
        )
    return rows


def bench_hessian(repeats: int) -> list[Row]:
    rows = []
    for n, number in ((30, 5), (100, 2)):
        A, x = W.hessian_problem(n)
        fns = {"ad.hessian": W.ad_hessian(A)}
        if peers.missing("autograd") is None:
            fns["autograd.hessian"] = peers.hips_hessian(A)
        if peers.missing("jax") is None:
            fns["jax.hessian"] = peers.jax_hessian(A, jit=False)
            fns["jit(jax.hessian)"] = peers.jax_hessian(A, jit=True)
        exact = W.hessian_exact(A, x)
        for name, h in fns.items():
            check_close(f"Hessian n={n}, {name}", h(x), exact)
        times = measure({k: (lambda h=h, x=x: h(x)) for k, h in fns.items()}, repeats, number)
        ad_c, ad_w = times["ad.hessian"]
        for peer, target in (
            ("autograd.hessian", 1.0),
            ("jax.hessian", None),
            ("jit(jax.hessian)", None),
        ):
            pc, pw = times.get(peer, (None, None))
            rows.append(Row(f"Hessian n={n}", ad_c, pc, ad_w, pw, peer, target))
    return rows


def bench_micrograd(repeats: int) -> list[Row]:
    X, y = W.moons(100)
    layers = W.demo_weights()
    ours = W.ScalarMLP(layers)
    steps = {"ad.Scalar": W.make_demo_step(ours, X, y, ad.Scalar)}
    if peers.missing("micrograd") is None:
        model, value_type = peers.micrograd_model(layers)
        steps["micrograd"] = W.make_demo_step(model, X, y, value_type)
    sizes = (2, 16, 16, 1)
    flat = np.array([p.value for p in ours.parameters()])
    loss = steps["ad.Scalar"]()
    check_close("demo loss, ad.Scalar", loss.value, W.demo_loss_numpy(flat, sizes, X, y))
    if "micrograd" in steps:
        mloss = steps["micrograd"]()
        check_close("demo loss, micrograd", mloss.data, loss.value)
        check_close(
            "demo gradient",
            [p.grad for p in ours.parameters()],
            [p.grad for p in model.parameters()],
        )
    del loss
    times = measure(steps, repeats, 1)
    mc, mw = times.get("micrograd", (None, None))
    return [
        Row(
            "micrograd demo step",
            *times["ad.Scalar"][:1],
            mc,
            times["ad.Scalar"][1],
            mw,
            "micrograd",
            0.2,
            "forward + zero_grad + backward, 100 points",
        )
    ]


def bench_bigraph(repeats: int, operations: int) -> list[Row]:
    steps = operations // 3
    value, exact = W.chain_exact(0.5, steps)
    samples: dict[str, list] = {"backward": [], "grad": []}
    for _ in range(repeats):
        for name, run in (("backward", W.chain_backward), ("grad", W.chain_grad)):
            gc.collect()
            g, start, end = run(0.5, steps, clocks)
            check_close(f"{operations:,}-operation chain, {name}", g, exact)
            samples[name].append((end[0] - start[0], end[1] - start[1]))
    med = {k: tuple(statistics.median(s[i] for s in v) for i in (0, 1)) for k, v in samples.items()}
    return [
        Row(
            f"grad vs backward, {operations / 1e6:g}M-op Scalar graph",
            *med["grad"][:1],
            med["backward"][0],
            med["grad"][1],
            med["backward"][1],
            ".backward()",
            1.2,
            "from the graph built to the gradient found and the graph freed",
        )
    ]


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc; elsewhere the peak, from getrusage)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def graph_memory(build: Callable, operations: int) -> dict[str, float]:
    """Bytes per operation of the graph ``build()`` keeps alive: RSS growth, then tracemalloc."""
    gc.collect()
    before = rss_bytes()
    graph = build()
    rss = rss_bytes() - before
    del graph
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    graph = build()
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del graph
    gc.collect()
    return {"rss": rss / operations, "kept": (kept - base) / operations, "peak": (peak - base)}


def bench_memory(operations: int) -> list[str]:
    steps = operations // 3
    lines = [f"memory of a {3 * steps:,}-operation chain (y = y + sin(y) * 1e-6, repeated):"]
    for name, leaf in (
        ("ad.Scalar", lambda: ad.Scalar(0.5)),
        ("ad.Tensor (0-d)", lambda: ad.Tensor(0.5, requires_grad=True)),
    ):
        m = graph_memory(lambda leaf=leaf: W.chain(leaf(), steps, ad.sin), 3 * steps)
        lines.append(
            f"  {name:<16} tracemalloc {m['kept']:7.0f} B/op kept, peak {m['peak'] / 2**20:7.1f} "
            f"MiB; RSS growth {m['rss']:7.0f} B/op ({m['rss'] * 3 * steps / 2**20:.0f} MiB)"
        )
    return lines


# -------------------------------------------------------------------------------- report
def format_rows(rows: list[Row]) -> str:
    head = (
        f"{'figure':<40} | {'autograd_ref':>12} | {'peer':>12} | {'ratio':>7} | "
        f"{'wall ratio':>10} | {'target':>7} | met? | peer"
    )
    out = [head, "-" * len(head)]
    for r in rows:
        ratio = r.ad_cpu / r.peer_cpu if r.peer_cpu else None
        wall = r.ad_wall / r.peer_wall if r.peer_wall else None
        met = "-" if r.target is None or ratio is None else ("yes" if ratio <= r.target else "NO")
        target = f"<= {r.target:g}" if r.target is not None else ""
        out.append(
            f"{r.figure:<40} | {1e3 * r.ad_cpu:>9.3f} ms | "
            + (f"{1e3 * r.peer_cpu:>9.3f} ms" if r.peer_cpu else f"{'(missing)':>12}")
            + f" | {ratio or float('nan'):>7.3f} | {wall or float('nan'):>10.3f}"
            + f" | {target:>7} | {met:<4} | {r.peer}"
        )
        if r.note:
            out.append(f"{'':<40}   ({r.note})")
    return "\n".join(out)


def versions() -> str:
    found = [f"python {platform.python_version()}", f"numpy {np.__version__}"]
    for name in ("autograd", "jax", "micrograd"):
        try:
            from importlib.metadata import version

            found.append(f"{name} {version(name)}")
        except Exception:  # noqa: BLE001 - not installed: say so in the header
            found.append(f"{name} (not installed)")
    return ", ".join(found) + f"; {os.cpu_count()} CPUs"


BENCHMARKS = ("memory", "mlp", "hessian", "micrograd", "bigraph")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 3 repeats, 300k-operation graphs"
    )
    parser.add_argument(
        "--only",
        choices=BENCHMARKS,
        action="append",
        help="run only this benchmark (may be given more than once)",
    )
    args = parser.parse_args(argv)
    chosen = args.only or BENCHMARKS
    repeats = 3 if args.quick else 15
    big, mem = (300_000, 300_000) if args.quick else (3_000_000, 1_000_000)
    print(versions())
    for name in ("autograd", "jax", "micrograd"):
        if (why := peers.missing(name)) is not None:
            print(f"note: {why}; its rows show (missing)")
    print(f"medians of {repeats} interleaved repeats; 'ratio' = autograd_ref / peer, CPU time")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > (os.cpu_count() or 1):
        print(
            f"note: load average {load:.1f} on {os.cpu_count()} CPUs: other processes compete; "
            "ratios hold better than absolute times (BLAS threads spin, inflating CPU time)"
        )
    print()
    rows: list[Row] = []
    for name in chosen:
        t0 = time.perf_counter()
        if name == "memory":
            print("\n".join(bench_memory(mem)))
        elif name == "mlp":
            rows += bench_mlp(repeats * 2 + 1)
        elif name == "hessian":
            rows += bench_hessian(repeats)
        elif name == "micrograd":
            rows += bench_micrograd(repeats)
        elif name == "bigraph":
            rows += bench_bigraph(1 if args.quick else 3, big)
        print(f"[{name}: {time.perf_counter() - t0:.0f} s]", file=sys.stderr)
    if rows:
        print("\n" + format_rows(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
