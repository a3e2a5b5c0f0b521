"""Losses and metrics for :mod:`autograd_ref.nn` (all importable from there too).

Targets are data, never differentiated; predictions are Tensors (numbers and arrays become
constant Tensors). Shapes must match exactly: broadcasting a (batch, 1) prediction against a
(batch,) target would silently compare every prediction with every target.
"""

from __future__ import annotations

import numpy as np

from . import functions as F
from .activations import log_softmax
from .functions import maximum
from .joining import stack
from .tensor import Tensor, lift

__all__ = [
    "accuracy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "mse_loss",
]


def _as_tensor(x, what: str = "ad.nn") -> Tensor:
    """Tensors pass through; numbers and arrays become constant Tensors (float64, no copy)."""
    return x if isinstance(x, Tensor) else lift(x, what)


def _constant(x) -> np.ndarray:
    """The numbers inside a target: targets are data, never differentiated."""
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def _check_same_shape(a, b, name: str, hint: str) -> None:
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{name}: predictions have shape {tuple(a.shape)} but targets have shape "
            f"{tuple(b.shape)}; they must match exactly (broadcasting here would silently "
            f"compare every prediction with every target). {hint}"
        )


def mse_loss(prediction, target) -> Tensor:
    """Mean squared error: the mean over all entries of (prediction - target)²."""
    prediction = _as_tensor(prediction)
    target = target if isinstance(target, Tensor) else np.asarray(target, dtype=np.float64)
    _check_same_shape(
        prediction,
        target,
        "mse_loss",
        "For an (n, 1) model output and (n,) targets, use y.reshape(-1, 1).",
    )
    diff = prediction - target
    return (diff * diff).mean()


def cross_entropy(logits, targets) -> Tensor:
    """Softmax cross-entropy from logits, averaged over the batch.

    ``logits`` has shape (batch, classes); ``targets`` holds integer class labels of shape
    (batch,). The loss is ``-mean_i log softmax(logits_i)[targets_i]``, computed with
    ``log_softmax`` (which subtracts the row maximum), so logits of ±1000 give finite losses and
    gradients; its gradient with respect to the logits is ``(softmax(logits) - onehot) / batch``.
    """
    logits = _as_tensor(logits)
    targets = _constant(targets)
    if logits.ndim != 2:
        raise ValueError(
            f"cross_entropy expects logits of shape (batch, classes), got shape "
            f"{tuple(logits.shape)}. For a single example use logits.reshape(1, -1) and [label]."
        )
    n, classes = logits.shape
    if n == 0 or classes == 0:
        raise ValueError(f"cross_entropy: logits of shape {tuple(logits.shape)} hold no examples")
    if targets.shape != (n,):
        raise ValueError(
            f"cross_entropy: logits have shape {tuple(logits.shape)}, so targets must have shape "
            f"({n},) (one class label per row); got shape {targets.shape}."
        )
    if targets.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy: targets must be integer class labels, got dtype {targets.dtype}. "
            "Convert with y.astype(int) (one-hot or probability targets are not supported)."
        )
    if targets.min() < 0 or targets.max() >= classes:
        raise ValueError(
            f"cross_entropy: logits have shape {tuple(logits.shape)} ({classes} classes), so "
            f"labels must lie in 0..{classes - 1}; targets range from {targets.min()} to "
            f"{targets.max()}."
        )
    log_probs = log_softmax(logits, axis=-1)
    return -log_probs[np.arange(n), targets].mean()


def _binary_targets(targets, like: Tensor, name: str) -> np.ndarray:
    targets = np.asarray(_constant(targets), dtype=np.float64)
    _check_same_shape(like, targets, name, "Reshape the targets (e.g. y.reshape(-1, 1)).")
    if targets.size and (targets.min() < 0.0 or targets.max() > 1.0):
        raise ValueError(f"{name}: targets must lie in [0, 1] (labels 0/1 or probabilities)")
    return targets


def binary_cross_entropy(probabilities, targets, eps: float = 1e-12) -> Tensor:
    """Mean binary cross-entropy of probabilities p against targets t in [0, 1].

    ``-mean(t log p + (1 - t) log(1 - p))``, with p and 1 - p clipped below at ``eps`` = 1e-12
    inside the logarithms, so a confident wrong prediction costs at most -log(1e-12) ≈ 27.6 rather
    than inf. Where clipping is active the gradient is 0 — the sigmoid has saturated — which is
    why training should prefer :func:`binary_cross_entropy_with_logits`.
    """
    p = _as_tensor(probabilities)
    t = _binary_targets(targets, p, "binary_cross_entropy")
    if p.data.size and (p.data.min() < 0.0 or p.data.max() > 1.0):
        raise ValueError(
            "binary_cross_entropy expects probabilities in [0, 1] (e.g. sigmoid outputs); got "
            f"values from {p.data.min():.4g} to {p.data.max():.4g}. For raw scores use "
            "binary_cross_entropy_with_logits."
        )
    log_p = F.log(maximum(p, eps))
    log_not_p = F.log(maximum(1.0 - p, eps))
    return -(t * log_p + (1.0 - t) * log_not_p).mean()


def binary_cross_entropy_with_logits(logits, targets) -> Tensor:
    """Binary cross-entropy of sigmoid(z) against t, computed from the logits z, stably.

    log σ(z) and log(1 - σ(z)) are the two entries of ``log_softmax([z, 0])``, so this is a
    two-class cross-entropy: finite for any z, with the exact gradient mean(σ(z) - t) everywhere,
    including z = 0.
    """
    z = _as_tensor(logits)
    t = _binary_targets(targets, z, "binary_cross_entropy_with_logits")
    log_probs = log_softmax(stack([z, Tensor(np.zeros(z.shape))], axis=0), axis=0)
    return -(t * log_probs[0] + (1.0 - t) * log_probs[1]).mean()


def accuracy(scores, targets, threshold: float = 0.5) -> float:
    """Fraction of correct predictions.

    ``scores`` of shape (n, classes) with classes >= 2 are compared by argmax; a single score per
    example ((n,) or (n, 1)) predicts class 1 above ``threshold`` (0.5 for probabilities, pass 0.0
    for logits).
    """
    s = np.asarray(_constant(scores), dtype=np.float64)
    t = _constant(targets).reshape(-1)
    if s.ndim == 2 and s.shape[1] >= 2:
        predicted = np.argmax(s, axis=1)
    else:
        predicted = (s.reshape(-1) > threshold).astype(np.int64)
    if predicted.shape != t.shape:
        raise ValueError(
            f"accuracy: {predicted.shape[0]} predictions (scores shape {s.shape}) but "
            f"{t.shape[0]} targets"
        )
    return float(np.mean(predicted == t))
