"""The toy datasets: shapes, dtypes, balance, determinism, and the geometry they promise."""

import numpy as np
import pytest

from autograd_ref import data

CLASSIFIERS = [
    (data.two_moons, {}),
    (data.circles, {}),
    (data.spirals, {"classes": 3}),
    (data.spirals, {"classes": 5}),
]


@pytest.mark.parametrize(("make", "kwargs"), CLASSIFIERS)
@pytest.mark.parametrize("n", [2 * 3 * 5, 101])
def test_classification_shapes_dtypes_and_balance(make, kwargs, n):
    X, y = make(n, noise=0.1, seed=3, **kwargs)
    classes = kwargs.get("classes", 2)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=classes)
    assert len(counts) == classes
    assert counts.max() - counts.min() <= 1  # balanced for every n
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize(("make", "kwargs"), [*CLASSIFIERS, (data.regression_1d, {})])
def test_same_seed_same_data_other_seed_other_data(make, kwargs):
    X1, y1 = make(50, noise=0.2, seed=7, **kwargs)
    X2, y2 = make(50, noise=0.2, seed=7, **kwargs)
    X3, _ = make(50, noise=0.2, seed=8, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_classes_are_interleaved_not_in_blocks():
    _, y = data.two_moons(200, seed=0)
    assert 0 < y[:100].mean() < 1 and 0 < y[100:].mean() < 1


def test_noiseless_two_moons_lie_on_their_half_circles():
    X, y = data.two_moons(100, noise=0.0, seed=1)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12)
    assert np.all(upper[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_noiseless_circles_have_radius_one_and_factor():
    X, y = data.circles(80, noise=0.0, factor=0.3, seed=2)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=1e-12)
    assert len(np.unique(np.round(X, 12), axis=0)) == 80  # no repeated point at angle 0 and 2π


def test_noiseless_spiral_radius_grows_along_each_arm_to_one():
    X, y = data.spirals(90, classes=3, noise=0.0, seed=0)
    for k in range(3):
        r = np.hypot(*X[y == k].T)
        assert r.min() == pytest.approx(0.0, abs=1e-12) and r.max() == pytest.approx(1.0)


def test_noise_has_the_requested_standard_deviation():
    clean, _ = data.circles(4000, noise=0.0, seed=5)
    noisy, _ = data.circles(4000, noise=0.2, seed=5)
    # same seed: same rows in the same order, so the difference is the noise itself
    assert np.std(noisy - clean) == pytest.approx(0.2, rel=0.05)


def test_regression_1d_shapes_sorted_and_close_to_target():
    X, y = data.regression_1d(200, noise=0.1, seed=4)
    assert X.shape == (200, 1) and y.shape == (200, 1)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert np.all(np.diff(X[:, 0]) >= 0)
    assert X.min() >= -2.0 and X.max() <= 2.0
    residual = y - data.regression_1d_target(X)
    assert np.std(residual) == pytest.approx(0.1, rel=0.2)
    X0, y0 = data.regression_1d(50, noise=0.0, seed=4)
    np.testing.assert_allclose(y0, np.sin(2 * X0) + 0.5 * X0, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: data.two_moons(1), "at least 2"),
        (lambda: data.two_moons(10.5), "must be an int"),
        (lambda: data.two_moons(10, noise=-1), "noise"),
        (lambda: data.circles(10, factor=1.5), "factor"),
        (lambda: data.spirals(10, classes=1), "classes"),
        (lambda: data.spirals(2, classes=3), "at least 3"),
        (lambda: data.regression_1d(10, low=1, high=0), "low < high"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
