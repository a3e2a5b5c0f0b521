"""Hessians of 30 and 100 variables: the vectorised forward-over-reverse Hessian against the
column-by-column ``jacfwd(jacrev(f))`` and against HIPS autograd 1.9.1's ``hessian``.

Two functions, each written once per library with that library's numpy:

* ``tanh``: ``sum(tanh(A x)) + x.x / 2`` with a seeded random ``A`` (n x n);
* ``rosenbrock``: ``sum(100 (x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)``.

All versions run in one process on the same seeded data, interleaved repeat by repeat so they see
the same machine load; each figure is the median over repeats of the mean time of a block of calls.
Every result is checked against the others (1e-10 relative) before timing. HIPS autograd is a
benchmark-only dependency (``pip install autograd==1.9.1``); the library never imports it.

    .venv/bin/python benchmarks/hessian_vectorised.py            # about half a minute
    .venv/bin/python benchmarks/hessian_vectorised.py --quick    # fewer repeats
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/hessian_vectorised.py

The vectorised Hessian does its arithmetic in a few matrix products of n columns at once; from
about 100 x 100 x 100 OpenBLAS splits such a product over threads. On a machine whose cores are
busy with other processes those threads wait for each other, and one product can take
milliseconds instead of tens of microseconds. HIPS autograd's matrix-vector products stay below
that size. ``OPENBLAS_NUM_THREADS=1`` (for every library alike) gives the steady figures there.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import autograd_ref as ad
from autograd_ref.hessian_vectorised import hessian

try:
    import autograd
    import autograd.numpy as anp
except ImportError:  # the comparison is optional; the library does not need it
    autograd = anp = None


def functions(n: int, rng: np.random.Generator) -> dict[str, tuple[Callable, Callable]]:
    """Each test function as (autograd_ref version, HIPS autograd version)."""
    a = rng.normal(size=(n, n)) / np.sqrt(n)

    def tanh_ref(x):
        return ad.tanh(a @ x).sum() + 0.5 * (x @ x)

    def rosenbrock_ref(x):
        return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()

    def tanh_hips(x):
        return anp.sum(anp.tanh(anp.dot(a, x))) + 0.5 * anp.dot(x, x)

    def rosenbrock_hips(x):
        return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    return {"tanh": (tanh_ref, tanh_hips), "rosenbrock": (rosenbrock_ref, rosenbrock_hips)}


def block_time(fn: Callable, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def compare(fns: dict[str, Callable], repeats: int, number: int) -> dict[str, float]:
    """Median seconds per call of each function, timed in interleaved blocks."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()  # warm up
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(block_time(fn, number))
    return {name: statistics.median(times) for name, times in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats, number = (5, 3) if args.quick else (21, 5)
    print(f"median of {repeats} interleaved repeats of {number} calls; times in ms")
    if autograd is None:
        print("HIPS autograd is not installed: pip install autograd==1.9.1 to compare")
    header = f"{'n':>4} {'function':<11} {'vectorised':>11} {'jacfwd(jacrev)':>15}"
    print(header + (f" {'HIPS autograd':>14} {'vectorised/HIPS':>16}" if autograd else ""))
    for n in (30, 100):
        for name, (ref, hips) in functions(n, np.random.default_rng(n)).items():
            x = np.random.default_rng(n + 1).normal(size=n)
            fns = {
                "vectorised": lambda ref=ref, x=x: hessian(ref)(x),
                "columns": lambda ref=ref, x=x: ad.jacfwd(ad.jacrev(ref))(x),
            }
            if autograd is not None:
                fns["hips"] = lambda hips=hips, x=x: autograd.hessian(hips)(x)
            results = {key: fn() for key, fn in fns.items()}
            for key, value in results.items():
                np.testing.assert_allclose(value, results["columns"], rtol=1e-10, atol=1e-12,
                                           err_msg=f"{name} n={n}: {key}")  # fmt: skip
            t = compare(fns, repeats, number)
            line = f"{n:>4} {name:<11} {t['vectorised'] * 1e3:>11.3f} {t['columns'] * 1e3:>15.3f}"
            if autograd is not None:
                line += f" {t['hips'] * 1e3:>14.3f} {t['vectorised'] / t['hips']:>16.3f}"
            print(line)


if __name__ == "__main__":
    main()
