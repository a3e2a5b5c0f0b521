"""The plotting helpers run headless (Agg), label what they draw and return the Axes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import autograd_ref as ad  # noqa: E402
from autograd_ref import viz  # noqa: E402
from autograd_ref.optim import History  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(ax):
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_decision_boundary_of_a_numpy_function_colours_by_its_prediction():
    X, y = ad.data.circles(100, noise=0.0, factor=0.5, seed=0)

    def inside(points):  # the perfect classifier for these circles: class 1 inside radius 0.75
        return (np.hypot(points[:, 0], points[:, 1]) < 0.75).astype(int)

    ax = viz.decision_boundary(inside, X, y)
    _labelled(ax)
    assert "100.0%" in ax.get_title()
    assert ax.collections, "the filled contour and the scatter are drawn"


def test_decision_boundary_accepts_a_module_and_an_existing_axes():
    X, y = ad.data.two_moons(60, seed=0)
    model = ad.nn.MLP([2, 8, 2], rng=0)
    fig, ax = plt.subplots()
    out = viz.decision_boundary(model, X, y, ax=ax, resolution=30, title="untrained")
    assert out is ax and ax.get_title() == "untrained"
    _labelled(ax)
    predicted = np.argmax(model(X).data, axis=1)
    expected_accuracy = np.mean(predicted == y)
    ax2 = viz.decision_boundary(model, X, y, resolution=30)
    assert f"{expected_accuracy:.1%}" in ax2.get_title()


def test_decision_boundary_thresholds_a_single_score():
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1])
    ax = viz.decision_boundary(lambda p: p[:, 0] - 0.5, X, y, threshold=0.0, resolution=20)
    assert "100.0%" in ax.get_title()


def test_decision_boundary_refuses_non_2d_inputs():
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        viz.decision_boundary(lambda p: p[:, 0], np.zeros((5, 3)), np.zeros(5, dtype=int))


def test_loss_curve_of_a_fit_history_puts_steps_and_epochs_on_one_axis():
    history = History(epoch_loss=[1.0, 0.5, 0.25], step_loss=[1.2, 0.8, 0.6, 0.4, 0.3, 0.2],
                      steps_per_epoch=2)
    ax = viz.loss_curve(history, log=True)
    _labelled(ax)
    assert ax.get_xlabel() == "epoch" and ax.get_yscale() == "log"
    steps, epochs = ax.get_lines()
    np.testing.assert_allclose(steps.get_xdata(), [0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    np.testing.assert_allclose(epochs.get_ydata(), [1.0, 0.5, 0.25])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["mini-batch loss", "epoch mean"]


def test_loss_curve_of_a_list_and_of_a_dict():
    ax = viz.loss_curve([3.0, 2.0, 1.0])
    _labelled(ax)
    assert ax.get_xlabel() == "step" and len(ax.get_lines()) == 1
    ax = viz.loss_curve({"train": [3.0, 2.0], "test": [3.5, 2.5]})
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "test"]


def test_gradient_norms_from_a_dict_of_layers():
    norms = {"layers.0.weight": 1e-3, "layers.1.weight": 1e-1, "layers.2.weight": 1.0}
    ax = viz.gradient_norms(norms)
    _labelled(ax)
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == list(norms)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1e-3, 1e-1, 1.0])


def test_gradient_norms_compares_series_with_a_legend_and_custom_labels():
    ax = viz.gradient_norms({"sigmoid": [1e-3, 1e-2, 1.0], "relu": [3.0, 4.0, 4.0]},
                            log=False, labels=["W1", "W2", "W3"])
    _labelled(ax)
    assert ax.get_yscale() == "linear" and len(ax.get_lines()) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sigmoid", "relu"]
    ax = viz.gradient_norms([0.1, 0.2])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["W1", "W2"]
    with pytest.raises(ValueError, match="3 labels for 2 layers"):
        viz.gradient_norms([0.1, 0.2], labels=["a", "b", "c"])


def test_gradient_norms_of_a_real_model_after_backward():
    X, y = ad.data.two_moons(40, seed=0)
    model = ad.nn.MLP([2, 8, 8, 2], activation="sigmoid", rng=0)
    ad.nn.cross_entropy(model(X), y).backward()
    norms = ad.nn.grad_norms(model)
    assert list(norms) == ["layers.0.weight", "layers.1.weight", "layers.2.weight"]
    for name, p in model.named_parameters():
        if name in norms:
            assert norms[name] == pytest.approx(np.linalg.norm(p.grad), rel=1e-15)
    ax = viz.gradient_norms(norms)
    assert len(ax.get_lines()[0].get_ydata()) == 3


def test_importing_autograd_ref_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, autograd_ref; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
