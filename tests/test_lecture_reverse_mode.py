"""Lecture 04's cost experiment: x^T A x written with Python loops, differentiated both ways.

The lecture times n JVPs (dual numbers) against one VJP (reverse sweep) and counts the recorded
operations; these tests pin the counts and the gradients it relies on, without any timing.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_ref as ad


def quadratic_form(xs, A):
    total = 0.0
    for i, row in enumerate(A):
        row_times_x = 0.0
        for a_ij, x_j in zip(row, xs, strict=True):
            row_times_x = row_times_x + a_ij * x_j
        total = total + xs[i] * row_times_x
    return total


@pytest.mark.parametrize("n", [1, 3, 5, 8])
def test_operation_count_is_2n2_plus_2n(n):
    rng = np.random.default_rng(n)
    A, x = rng.normal(size=(n, n)).tolist(), rng.normal(size=n)
    t = ad.trace(lambda *xs: quadratic_form(list(xs), A), *x)
    assert t.num_operations == 2 * n * n + 2 * n
    assert t.operation_counts() == {"mul": n * n + n, "add": n * n + n}


def test_forward_and_reverse_gradients_match_closed_form():
    rng = np.random.default_rng(11)
    n = 7
    A, x = rng.normal(size=(n, n)), rng.normal(size=n)
    exact = (A + A.T) @ x
    forward = [
        quadratic_form([ad.Dual(xi, 1.0 if i == j else 0.0) for i, xi in enumerate(x)], A.tolist())
        .tangent
        for j in range(n)
    ]
    xs = [ad.Scalar(xi) for xi in x]
    quadratic_form(xs, A.tolist()).backward()
    np.testing.assert_allclose(forward, exact, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose([t.grad for t in xs], exact, rtol=1e-13, atol=1e-13)
