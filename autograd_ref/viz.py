"""Three plots the course draws again and again: decision boundaries, loss curves, gradient norms.

Every function draws on ``ax`` (a new figure when None), labels both axes, sets a title and returns
the Axes, so a notebook can add to it and must still call ``plt.show()`` itself. matplotlib is
imported inside the functions: ``import autograd_ref`` stays fast and never touches a display.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["decision_boundary", "gradient_norms", "loss_curve"]


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


def _class_colours(classes: int):
    """One distinct colour per class (matplotlib's tab10, cycled), as a colormap."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    palette = plt.get_cmap("tab10").colors
    return ListedColormap([palette[k % len(palette)] for k in range(max(classes, 2))])


def _predict_labels(model_or_predict_fn: Callable, points: np.ndarray, threshold: float):
    """Class labels for ``points`` (m, 2) from a Module, a Tensor function or a numpy function.

    The output rule: shape (m, C) with C >= 2 -> argmax over the classes (logits or
    probabilities); integer or bool outputs -> taken as labels; a single float per point
    (shape (m,) or (m, 1)) -> class 1 where it exceeds ``threshold``.
    """
    import autograd_ref

    from .nn import Module
    from .tensor import Tensor

    if isinstance(model_or_predict_fn, Module):
        with autograd_ref.no_grad():
            out = model_or_predict_fn(Tensor(points))
    else:
        out = model_or_predict_fn(points)
    out = np.asarray(out.data if isinstance(out, Tensor) else out)
    if out.ndim == 2 and out.shape[1] >= 2:
        return np.argmax(out, axis=1)
    out = out.reshape(len(points), -1) if out.size == len(points) else out
    if out.ndim != 2 or out.shape != (len(points), 1):
        raise ValueError(
            f"decision_boundary: for {len(points)} grid points the model returned shape "
            f"{out.shape}; expected one row per point: (m, classes) scores, (m,) labels or "
            "(m,) / (m, 1) scores for two classes."
        )
    out = out[:, 0]
    if out.dtype.kind in "biu":
        return out.astype(np.int64)
    return (out > threshold).astype(np.int64)


def decision_boundary(
    model_or_predict_fn: Callable,
    X,
    y,
    ax=None,
    resolution: int = 200,
    margin: float = 0.5,
    threshold: float = 0.5,
    title: str | None = None,
):
    """Colour the plane by the class the model predicts and scatter the data on top.

    ``model_or_predict_fn`` is an :class:`autograd_ref.nn.Module` (called on a Tensor of grid
    points under :func:`autograd_ref.no_grad`) or any function of an (m, 2) numpy array. Outputs
    with two or more columns are scores (argmax); integer outputs are labels; a single float
    column is class 1 above ``threshold`` (0.5 suits probabilities, pass 0.0 for logits). The
    default title reports the model's accuracy on ``(X, y)``. Returns the Axes.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_boundary draws 2-D inputs: X needs shape (n, 2), got {X.shape}")
    if y.shape != (len(X),):
        raise ValueError(f"decision_boundary: y needs shape ({len(X)},) to match X, got {y.shape}")
    ax = _axes(ax)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    labels = _predict_labels(model_or_predict_fn, grid, threshold).reshape(gx.shape)
    classes = int(max(labels.max(), y.max())) + 1
    levels = np.arange(classes + 1) - 0.5
    cmap = _class_colours(classes)
    ax.contourf(gx, gy, labels, levels=levels, cmap=cmap, alpha=0.25)
    scatter = ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5, vmax=classes - 0.5,
                         edgecolors="k", linewidths=0.4, s=18)
    if classes > 1:
        ax.legend(*scatter.legend_elements(), title="class", loc="best", fontsize="small")
    if title is None:
        accuracy = float(np.mean(_predict_labels(model_or_predict_fn, X, threshold) == y))
        title = f"Decision boundary (accuracy on these points: {accuracy:.1%})"
    ax.set_title(title)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def _is_history(obj: Any) -> bool:
    return hasattr(obj, "epoch_loss") and hasattr(obj, "step_loss")


def loss_curve(history, ax=None, log: bool = False, title: str = "Training loss"):
    """Plot losses against training progress. Returns the Axes.

    ``history`` is what :func:`autograd_ref.optim.fit` returns (step losses drawn faintly and
    epoch means on top, both against epochs), a sequence of numbers (against their index,
    labelled "step"), or a dict name -> sequence (one line each, e.g. train and test losses).
    ``log`` puts the loss axis on a log scale.
    """
    ax = _axes(ax)
    if _is_history(history):
        per_epoch = max(int(history.steps_per_epoch), 1)
        steps = np.asarray(history.step_loss, dtype=np.float64)
        epochs = np.asarray(history.epoch_loss, dtype=np.float64)
        ax.plot(np.arange(1, len(steps) + 1) / per_epoch, steps, alpha=0.35, lw=0.8,
                label="mini-batch loss")
        ax.plot(np.arange(1, len(epochs) + 1), epochs, marker="o" if len(epochs) < 30 else None,
                label="epoch mean")
        ax.set_xlabel("epoch")
        ax.legend()
    elif isinstance(history, Mapping):
        for name, values in history.items():
            values = np.asarray(values, dtype=np.float64).ravel()
            ax.plot(np.arange(1, len(values) + 1), values, label=str(name))
        ax.set_xlabel("epoch")
        ax.legend()
    else:
        values = np.asarray(history, dtype=np.float64).ravel()
        ax.plot(np.arange(1, len(values) + 1), values)
        ax.set_xlabel("step")
    if log:
        ax.set_yscale("log")
    ax.set_ylabel("loss")
    ax.set_title(title)
    return ax


def gradient_norms(
    norms_by_layer,
    ax=None,
    log: bool = True,
    labels: Sequence[str] | None = None,
    title: str = "Gradient norm per layer",
):
    """Plot one gradient norm per layer, input layer on the left. Returns the Axes.

    ``norms_by_layer`` is one of:

    * a dict layer name -> norm (e.g. from :func:`autograd_ref.nn.grad_norms`): one line, the
      names as tick labels;
    * a sequence of norms, one per layer: one line, ticks ``labels`` or W1, W2, ...;
    * a dict series name -> sequence of per-layer norms (e.g. ``{"sigmoid": [...], "relu":
      [...]}``): one line per series with a legend, to compare activations or initialisations.

    ``log`` (default) uses a log scale for the norms: vanishing gradients span orders of magnitude.
    """
    ax = _axes(ax)
    if isinstance(norms_by_layer, Mapping) and norms_by_layer and all(
        np.ndim(v) == 0 for v in norms_by_layer.values()
    ):
        series = {None: [float(v) for v in norms_by_layer.values()]}
        names = [str(k) for k in norms_by_layer] if labels is None else list(labels)
    elif isinstance(norms_by_layer, Mapping):
        series = {
            str(k): np.asarray(v, dtype=np.float64).ravel() for k, v in norms_by_layer.items()
        }
        names = list(labels) if labels is not None else None
    else:
        series = {None: np.asarray(norms_by_layer, dtype=np.float64).ravel()}
        names = list(labels) if labels is not None else None
    depth = max((len(v) for v in series.values()), default=0)
    if depth == 0:
        raise ValueError("gradient_norms: got no norms to plot")
    if names is None:
        names = [f"W{i + 1}" for i in range(depth)]
    if len(names) != depth:
        raise ValueError(f"gradient_norms: {len(names)} labels for {depth} layers")
    for name, values in series.items():
        ax.plot(np.arange(len(values)), values, marker="o", label=name)
    ax.set_xticks(np.arange(depth))
    ax.set_xticklabels(names)
    if log:
        ax.set_yscale("log")
    if any(name is not None for name in series):
        ax.legend()
    ax.set_xlabel("layer (input side on the left)")
    ax.set_ylabel("gradient norm" + (" (log scale)" if log else ""))
    ax.set_title(title)
    return ax
