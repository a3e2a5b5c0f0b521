"""Lecture 05's Hessian-vector products: forward over reverse, as the lecture computes them."""

from __future__ import annotations

import numpy as np

import autograd_ref as ad

RNG = np.random.default_rng(8)
A = RNG.standard_normal((40, 9))
Y = np.sign(A @ RNG.standard_normal(9) + 0.5 * RNG.standard_normal(40))
LAM = 0.1


def logistic_loss(w):
    return ad.log(1.0 + ad.exp(-(Y * (A @ w)))).mean() + 0.5 * LAM * (w * w).sum()


def closed_form_hessian(w):
    s = 1.0 / (1.0 + np.exp(-(Y * (A @ w))))
    return A.T @ ((s * (1.0 - s))[:, None] * A) / len(Y) + LAM * np.eye(A.shape[1])


def test_hessian_matches_closed_form():
    w = 0.1 * RNG.standard_normal(9)
    np.testing.assert_allclose(ad.hessian(logistic_loss)(w), closed_form_hessian(w), atol=1e-14)


def test_jvp_of_grad_is_hessian_vector_product():
    w, v = 0.1 * RNG.standard_normal(9), RNG.standard_normal(9)
    _, hv = ad.jvp(ad.grad(logistic_loss), (w,), (v,))
    np.testing.assert_allclose(hv, closed_form_hessian(w) @ v, atol=1e-14)
    g = ad.grad(logistic_loss)
    h = 1e-5
    np.testing.assert_allclose(hv, (g(w + h * v) - g(w - h * v)) / (2 * h), atol=1e-8)


def test_conjugate_gradient_with_hvps_solves_the_newton_system():
    w = 0.1 * RNG.standard_normal(9)
    g = ad.grad(logistic_loss)(w)
    p, r = np.zeros(9), -g
    d, rr = r.copy(), r @ r
    for _ in range(9):  # n iterations: exact in exact arithmetic
        Hd = ad.jvp(ad.grad(logistic_loss), (w,), (d,))[1]
        alpha = rr / (d @ Hd)
        p, r = p + alpha * d, r - alpha * Hd
        rr, rr_old = r @ r, rr
        d = r + (rr / rr_old) * d
    np.testing.assert_allclose(p, np.linalg.solve(closed_form_hessian(w), -g), atol=1e-10)
