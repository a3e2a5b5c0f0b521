"""SGD's update rule on hand-computed examples, the mini-batch iterator, and the fit loop."""

import numpy as np
import pytest

import autograd_ref as ad
from autograd_ref.optim import SGD, History, MiniBatches, fit, minibatches


def _param(values, grad):
    p = ad.Tensor(np.array(values, dtype=np.float64), requires_grad=True)
    p.grad = np.array(grad, dtype=np.float64)
    return p


# ----------------------------------------------------------------------------------------- SGD
def test_plain_sgd_step_is_p_minus_lr_g():
    p = _param([1.0, 2.0], [0.5, -1.0])
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, 2.1], rtol=0, atol=1e-15)


def test_weight_decay_adds_wd_times_p_to_the_gradient():
    p = _param([1.0, -2.0], [0.5, 0.0])
    SGD([p], lr=0.1, weight_decay=0.01).step()
    # g = [0.5 + 0.01, 0 - 0.02]; p - 0.1 g
    np.testing.assert_allclose(p.data, [1.0 - 0.051, -2.0 + 0.002], rtol=0, atol=1e-15)


def test_momentum_accumulates_velocity_by_hand():
    p = _param([1.0], [1.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()  # v1 = g = 1, p = 1 - 0.1
    np.testing.assert_allclose(p.data, [0.9], rtol=0, atol=1e-15)
    p.grad = np.array([2.0])
    opt.step()  # v2 = 0.9 * 1 + 2 = 2.9, p = 0.9 - 0.29
    np.testing.assert_allclose(p.data, [0.61], rtol=0, atol=1e-15)
    p.grad = np.array([0.0])
    opt.step()  # v3 = 0.9 * 2.9 = 2.61, p = 0.61 - 0.261
    np.testing.assert_allclose(p.data, [0.349], rtol=0, atol=1e-15)


def test_momentum_and_weight_decay_together():
    p = _param([2.0], [1.0])
    opt = SGD([p], lr=0.5, momentum=0.5, weight_decay=0.1)
    opt.step()  # g = 1 + 0.2 = 1.2; v = 1.2; p = 2 - 0.6 = 1.4
    p.grad = np.array([1.0])
    opt.step()  # g = 1 + 0.14 = 1.14; v = 0.6 + 1.14 = 1.74; p = 1.4 - 0.87 = 0.53
    np.testing.assert_allclose(p.data, [0.53], rtol=0, atol=1e-14)


def test_step_updates_in_place_and_skips_parameters_without_gradient():
    p = _param([1.0], [1.0])
    q = ad.Tensor(np.array([5.0]), requires_grad=True)  # unused by the loss: grad None
    array_before = p.data
    SGD([p, q], lr=1.0).step()
    assert p.data is array_before and p.data[0] == 0.0
    assert q.data[0] == 5.0


def test_zero_grad_clears_and_step_without_any_gradient_is_an_error():
    p = _param([1.0], [1.0])
    opt = SGD([p], lr=0.1)
    opt.zero_grad()
    assert p.grad is None
    with pytest.raises(RuntimeError, match="backward"):
        opt.step()


def test_sgd_accepts_a_module_and_minimises_a_quadratic():
    model = ad.nn.Linear(3, 1, rng=0)
    target_w = np.array([[1.0], [-2.0], [0.5]])
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = X @ target_w + 0.25
    opt = SGD(model, lr=0.1)
    for _ in range(300):
        opt.zero_grad()
        ad.nn.mse_loss(model(X), y).backward()
        opt.step()
    np.testing.assert_allclose(model.weight.data, target_w, atol=1e-6)
    np.testing.assert_allclose(model.bias.data, [0.25], atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 0.0}, "learning rate"),
        ({"lr": -1.0}, "learning rate"),
        ({"lr": 0.1, "momentum": 1.0}, "momentum"),
        ({"lr": 0.1, "weight_decay": -0.1}, "weight_decay"),
    ],
)
def test_bad_hyperparameters_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SGD([_param([1.0], [1.0])], **kwargs)


def test_bad_parameter_lists_are_refused():
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="not an ad.Tensor"):
        SGD([np.zeros(3)], lr=0.1)
    p = _param([1.0], [1.0])
    with pytest.raises(ValueError, match="twice"):
        SGD([p, p], lr=0.1)


def test_gradient_of_the_wrong_shape_is_an_error():
    p = _param([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        SGD([p], lr=0.1).step()


# --------------------------------------------------------------------------------- minibatches
def _epoch(batches):
    return [(xb.copy(), yb.copy()) for xb, yb in batches]


@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (12, 4), (5, 8), (7, 1)])
def test_every_example_exactly_once_per_epoch(n, batch_size):
    X = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    y = np.arange(n)
    batches = minibatches(X, y, batch_size, rng=np.random.default_rng(1))
    assert len(batches) == -(-n // batch_size)
    for _ in range(3):
        epoch = _epoch(batches)
        assert len(epoch) == len(batches)
        assert all(len(yb) == batch_size for _, yb in epoch[:-1])
        seen = np.concatenate([yb for _, yb in epoch])
        np.testing.assert_array_equal(np.sort(seen), np.arange(n))
        for xb, yb in epoch:  # rows stay paired with their labels
            np.testing.assert_array_equal(xb, X[yb])


def test_reshuffles_between_epochs_and_is_deterministic_given_the_seed():
    X = np.arange(40, dtype=np.float64).reshape(20, 2)
    y = np.arange(20)
    a = MiniBatches(X, y, 5, rng=3)
    b = MiniBatches(X, y, 5, rng=np.random.default_rng(3))
    orders_a = [np.concatenate([yb for _, yb in a]) for _ in range(3)]
    orders_b = [np.concatenate([yb for _, yb in b]) for _ in range(3)]
    for oa, ob in zip(orders_a, orders_b, strict=True):
        np.testing.assert_array_equal(oa, ob)
    assert not np.array_equal(orders_a[0], orders_a[1])
    assert not np.array_equal(orders_a[1], orders_a[2])
    assert not np.array_equal(orders_a[0], np.arange(20))


def test_no_shuffle_and_drop_last():
    X, y = np.zeros((10, 1)), np.arange(10)
    batches = MiniBatches(X, y, 4, shuffle=False, drop_last=True)
    assert len(batches) == 2
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), np.arange(8))


def test_minibatch_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"10 examples.*9"):
        MiniBatches(np.zeros((10, 2)), np.zeros(9), 2)
    with pytest.raises(ValueError, match="at least 1"):
        MiniBatches(np.zeros((10, 2)), np.zeros(10), 0)
    with pytest.raises(TypeError, match="Generator"):
        MiniBatches(np.zeros((10, 2)), np.zeros(10), 2, rng="seed")


# ------------------------------------------------------------------------------------------ fit
def _regression_problem():
    X, y = ad.data.regression_1d(64, noise=0.05, seed=0)
    return X, y


def test_fit_records_losses_per_step_and_per_epoch():
    X, y = _regression_problem()
    model = ad.nn.MLP([1, 16, 1], activation="tanh", rng=0)
    history = fit(model, ad.nn.mse_loss, X, y, SGD(model.parameters(), lr=0.05, momentum=0.9),
                  epochs=30, batch_size=16, rng=0, progress=False)
    assert isinstance(history, History)
    assert len(history.epoch_loss) == 30 and len(history.step_loss) == 30 * 4
    assert history.steps_per_epoch == 4
    # equal batch sizes: the epoch loss is the plain mean of its step losses
    np.testing.assert_allclose(history.epoch_loss[0], np.mean(history.step_loss[:4]), rtol=1e-14)
    assert history.epoch_loss[-1] < 0.2 * history.epoch_loss[0]


def test_fit_is_reproducible_given_seeds():
    X, y = _regression_problem()
    runs = []
    for _ in range(2):
        model = ad.nn.MLP([1, 8, 1], activation="tanh", rng=1)
        runs.append(fit(model, ad.nn.mse_loss, X, y, SGD(model, lr=0.05), epochs=3,
                        batch_size=10, rng=5, progress=False).step_loss)
    assert runs[0] == runs[1]


def test_fit_progress_bar_can_be_shown_or_disabled(capsys):
    X, y = _regression_problem()
    model = ad.nn.MLP([1, 4, 1], rng=0)
    fit(model, ad.nn.mse_loss, X, y, SGD(model, lr=0.01), epochs=2, batch_size=32,
        progress=False)
    assert capsys.readouterr().err == ""
    fit(model, ad.nn.mse_loss, X, y, SGD(model, lr=0.01), epochs=2, batch_size=32,
        progress=True)
    assert "2/2" in capsys.readouterr().err


def test_fit_stops_with_a_clear_error_when_the_loss_diverges():
    X, y = _regression_problem()
    model = ad.nn.MLP([1, 16, 1], rng=0)
    with pytest.raises(FloatingPointError, match="learning rate"), np.errstate(all="ignore"):
        fit(model, ad.nn.mse_loss, X * 1e3, y, SGD(model, lr=1e3), epochs=50, batch_size=8,
            progress=False)


def test_fit_calls_on_epoch_end_with_the_history():
    X, y = _regression_problem()
    model = ad.nn.MLP([1, 4, 1], rng=0)
    calls = []
    fit(model, ad.nn.mse_loss, X, y, SGD(model, lr=0.01), epochs=3, batch_size=64,
        progress=False, on_epoch_end=lambda epoch, h: calls.append((epoch, len(h.epoch_loss))))
    assert calls == [(0, 1), (1, 2), (2, 3)]
