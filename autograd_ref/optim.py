"""Training: stochastic gradient descent, shuffled mini-batches and a small ``fit`` loop.

One SGD step on parameter ``p`` with gradient ``g = p.grad`` (what ``loss.backward()`` left)::

    g = g + weight_decay * p          # L2 penalty (weight_decay / 2) * ||p||², folded into g
    v = momentum * v + g              # velocity, v = 0 before the first step (so v1 = g1)
    p = p - lr * v                    # with momentum = 0 this is p - lr * g

This is the convention PyTorch's ``torch.optim.SGD`` uses (no dampening, no Nesterov). The update
is made in place on ``p.data``, so the model holding ``p`` sees it without reassigning anything.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._rng import as_generator as _as_generator

__all__ = ["SGD", "History", "MiniBatches", "fit", "minibatches"]


def _parameter_list(params, who: str) -> list:
    from .tensor import Tensor

    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()  # a Module: optimise all of its parameters
    if isinstance(params, dict):
        params = params.values()
    params = list(params)
    if not params:
        raise ValueError(f"{who}: got an empty list of parameters; pass model.parameters()")
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(
                f"{who}: parameter {i} is a {type(p).__name__}, not an ad.Tensor. Pass the "
                "model's parameters (model.parameters()) so updates reach the model."
            )
    unique = list({id(p): p for p in params}.values())
    if len(unique) != len(params):
        raise ValueError(f"{who}: a Tensor appears twice in params; it would be updated twice")
    return params


class SGD:
    """Stochastic gradient descent with optional momentum and L2 weight decay (see module doc).

    ``params`` is an iterable of :class:`~autograd_ref.Tensor` (usually ``model.parameters()``),
    a Module, or a dict name -> Tensor. Parameters whose ``.grad`` is None after the backward pass
    (not used by the loss, or not requiring a gradient) are left unchanged, as in PyTorch; a step
    where *no* parameter has a gradient is an error, since it almost always means
    ``loss.backward()`` was forgotten.
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        self.params = _parameter_list(params, "SGD")
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"SGD: the learning rate lr must be a positive number, got {lr!r}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"SGD: momentum must lie in [0, 1), got {momentum!r}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0.0):
            raise ValueError(f"SGD: weight_decay must be >= 0, got {weight_decay!r}")
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        updated = 0
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            g = np.asarray(g)
            if g.shape != p.data.shape:
                raise ValueError(
                    f"SGD.step: parameter {i} has shape {p.data.shape} but its gradient has shape "
                    f"{g.shape}; a gradient must have the shape of its parameter."
                )
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                v = self.velocity[i]
                if v is None:
                    v = self.velocity[i] = np.array(g, dtype=np.float64)  # v1 = g1
                else:
                    v *= self.momentum  # in place: no new arrays per step
                    v += g
                g = v
            p.data -= self.lr * g
            updated += 1
        if updated == 0:
            raise RuntimeError(
                "SGD.step: no parameter has a gradient (every .grad is None). Call "
                "loss.backward() between optimizer.zero_grad() and optimizer.step()."
            )

    def zero_grad(self) -> None:
        """Forget the gradients (set ``.grad = None``), ready for the next backward pass."""
        for p in self.params:
            p.grad = None

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} parameters, lr={self.lr:g}, momentum={self.momentum:g}, "
            f"weight_decay={self.weight_decay:g})"
        )


class MiniBatches:
    """The examples of ``(X, y)`` in batches of ``batch_size``, in a new random order each epoch.

    Iterating over the object once is one epoch: every example appears exactly once, in batches
    of ``batch_size`` (the last one smaller when ``batch_size`` does not divide ``n``, unless
    ``drop_last``). Each new ``for`` loop draws a fresh permutation from the generator, so the
    order changes between epochs, yet the whole sequence of epochs is fixed by the seed::

        batches = MiniBatches(X, y, batch_size=32, rng=0)
        for epoch in range(10):
            for xb, yb in batches:      # reshuffled here, every epoch
                ...

    Batches are numpy arrays (rows of ``X`` and entries of ``y``); ``len(batches)`` is the number
    of batches per epoch.
    """

    def __init__(
        self, X, y, batch_size: int, rng=None, shuffle: bool = True, drop_last: bool = False
    ):
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim == 0 or y.ndim == 0:
            raise ValueError("MiniBatches: X and y need a first axis that indexes the examples")
        if len(X) != len(y):
            raise ValueError(
                f"MiniBatches: X has {len(X)} examples (shape {X.shape}) but y has {len(y)} "
                f"(shape {y.shape}); they must have the same length along axis 0."
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(f"MiniBatches: batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"MiniBatches: batch_size must be at least 1, got {batch_size}")
        if drop_last and batch_size > len(X):
            raise ValueError(
                f"MiniBatches: drop_last with batch_size={batch_size} > {len(X)} examples would "
                "yield no batch at all"
            )
        self.X, self.y = X, y
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.rng = _as_generator(rng, "MiniBatches")

    def __len__(self) -> int:
        n, b = len(self.X), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.X)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            idx = order[start : start + self.batch_size]
            yield self.X[idx], self.y[idx]


def minibatches(
    X, y, batch_size: int, rng=None, shuffle: bool = True, drop_last: bool = False
) -> MiniBatches:
    """Shorthand for :class:`MiniBatches`: an iterable that reshuffles every time it is looped."""
    return MiniBatches(X, y, batch_size, rng=rng, shuffle=shuffle, drop_last=drop_last)


@dataclass
class History:
    """The losses :func:`fit` recorded.

    ``step_loss[i]`` is the loss of the i-th mini-batch (before that step's update);
    ``epoch_loss[e]`` is the mean of epoch ``e``'s step losses weighted by batch size, i.e. the
    average per-example loss over the epoch while the parameters were moving.
    ``steps_per_epoch`` lets a plot put both on one epoch axis.
    """

    epoch_loss: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    steps_per_epoch: int = 1

    def __len__(self) -> int:
        return len(self.epoch_loss)

    def __repr__(self) -> str:
        last = f", last epoch loss {self.epoch_loss[-1]:.4g}" if self.epoch_loss else ""
        return f"History({len(self.epoch_loss)} epochs, {len(self.step_loss)} steps{last})"


def fit(
    model: Callable,
    loss_fn: Callable,
    X,
    y,
    optimizer: SGD,
    epochs: int,
    batch_size: int,
    rng=None,
    progress: bool = True,
    on_epoch_end: Callable[[int, History], Any] | None = None,
) -> History:
    """Train ``model`` with mini-batch SGD and return the :class:`History` of losses.

    Each step: ``optimizer.zero_grad()``, ``loss = loss_fn(model(xb), yb)``, ``loss.backward()``,
    ``optimizer.step()``. Batches come from :class:`MiniBatches` with generator ``rng`` (a
    Generator, an int seed, or None for seed 0), reshuffled every epoch. ``progress`` shows a
    tqdm bar over the epochs (``tqdm.auto``: a widget in Jupyter, text in a terminal) with the
    running epoch loss. ``on_epoch_end(epoch, history)`` is called after every epoch, e.g. to
    record gradient norms or test accuracy.

    A loss that becomes nan or infinite stops training with a FloatingPointError naming the
    epoch and step, instead of silently training on garbage.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    batches = MiniBatches(X, y, batch_size, rng=_as_generator(rng, "fit"))
    history = History(steps_per_epoch=len(batches))
    bar = None
    if progress:
        from tqdm.auto import tqdm  # imported here: importing autograd_ref stays cheap

        bar = tqdm(total=int(epochs), desc="fit", unit="epoch")
    try:
        for epoch in range(int(epochs)):
            total, seen = 0.0, 0
            for step, (xb, yb) in enumerate(batches):
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                value = _loss_value(loss)
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"fit: the loss became {value} at epoch {epoch}, step {step}. The "
                        f"learning rate ({getattr(optimizer, 'lr', '?')}) is probably too large "
                        "for this model; try one ten times smaller."
                    )
                loss.backward()
                optimizer.step()
                history.step_loss.append(value)
                total += value * len(xb)
                seen += len(xb)
            history.epoch_loss.append(total / seen)
            if bar is not None:
                bar.set_postfix(loss=f"{history.epoch_loss[-1]:.4g}")
                bar.update(1)
            if on_epoch_end is not None:
                on_epoch_end(epoch, history)
    finally:
        if bar is not None:
            bar.close()
    return history


def _loss_value(loss) -> float:
    data = np.asarray(getattr(loss, "data", loss))
    if data.size != 1 or not hasattr(loss, "backward"):
        raise TypeError(
            "fit: loss_fn must return a Tensor holding one number (e.g. a mean over the batch), "
            f"got {type(loss).__name__} with shape {data.shape}."
        )
    return float(data.reshape(()))

