"""Lecture 06's formulas: mini-batch variance without replacement, the momentum average's
variance, and the Xavier/Glorot and He initialisers against their derivations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import autograd_ref as ad


@pytest.mark.parametrize("n, M", [(6, 1), (6, 2), (6, 3), (7, 4), (5, 5)])
def test_batch_variance_without_replacement_by_enumeration(n, M):
    # E |g_B - mean|^2 over all subsets of size M equals sigma^2 / M * (n - M) / (n - 1)
    g = np.random.default_rng(n * 10 + M).standard_normal((n, 3))
    full = g.mean(axis=0)
    sigma2 = np.mean(np.sum((g - full) ** 2, axis=1))
    errors = [np.sum((g[list(b)].mean(axis=0) - full) ** 2)
              for b in itertools.combinations(range(n), M)]
    assert np.mean(errors) == pytest.approx(sigma2 / M * (n - M) / (n - 1), rel=1e-12, abs=1e-15)


def test_contiguous_slices_of_an_epoch_average_to_the_full_gradient():
    n, M = 64, 8
    g = np.random.default_rng(1).standard_normal((n, 5))
    loader = ad.optim.MiniBatches(np.zeros((n, 1)), np.arange(n), batch_size=M, rng=3)
    blocks = [idx for _, idx in loader]
    assert sorted(np.concatenate(blocks).tolist()) == list(range(n))
    np.testing.assert_allclose(np.mean([g[b].mean(axis=0) for b in blocks], axis=0),
                               g.mean(axis=0), atol=1e-15)


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_momentum_average_variance_factor(beta):
    # (1 - beta)^2 * sum_k beta^(2k) = (1 - beta) / (1 + beta)
    series = (1 - beta) ** 2 * sum(beta ** (2 * k) for k in range(20000))
    assert series == pytest.approx((1 - beta) / (1 + beta), rel=1e-12)


def test_momentum_sgd_is_the_average_with_a_larger_step():
    # PyTorch form v = beta v + g equals m / (1 - beta) with m = beta m + (1 - beta) g, m0 = 0
    beta, g = 0.9, np.random.default_rng(2).standard_normal(50)
    v = m = 0.0
    for gt in g:
        v = beta * v + gt
        m = beta * m + (1 - beta) * gt
        assert v == pytest.approx(m / (1 - beta), rel=1e-12)


def test_initialiser_variances_match_their_derivations():
    n_in, n_out = 400, 100
    w = ad.nn.xavier_uniform((n_in, n_out), rng=0)
    assert np.abs(w).max() <= math.sqrt(6 / (n_in + n_out))
    assert w.var() == pytest.approx(2 / (n_in + n_out), rel=0.03)
    assert ad.nn.he_normal((n_in, n_out), rng=0).var() == pytest.approx(2 / n_in, rel=0.03)
