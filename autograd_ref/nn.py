"""Neural-network building blocks on :class:`~autograd_ref.Tensor`: modules, losses, initialisers.

Layout convention (used everywhere in the course): inputs are row vectors stacked in a batch, ``x``
of shape ``(batch, in_features)``, and a :class:`Linear` layer stores its weight as
``(in_features, out_features)``::

    y = x @ weight + bias          # (batch, in) @ (in, out) + (out,) -> (batch, out)

For one example ``x`` of shape ``(in,)`` this is the lectures' ``y = W x + b`` with
``W = weight.T``: the same numbers, stored transposed so a batch needs no transposes at all.

A :class:`Module` finds its parameters by looking through its attributes, recursively, into other
Modules and into lists, tuples and dicts of them; every :class:`~autograd_ref.Tensor` it meets is a
parameter. :func:`functional_call` turns a module back into a pure function of a dict of
parameters: the "purification" of the lectures (``torch.func.functional_call`` in PyTorch).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from . import activations, functions
from ._rng import as_generator as _as_generator
from .nn_init import he_normal, he_uniform, initialiser, uniform, xavier_normal, xavier_uniform
from .nn_losses import (
    accuracy,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
)
from .tensor import Tensor, lift

__all__ = [
    "Linear",
    "MLP",
    "Module",
    "accuracy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "functional_call",
    "grad_norms",
    "he_normal",
    "he_uniform",
    "mse_loss",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
]


def _as_tensor(x, what: str = "ad.nn") -> Tensor:
    """Tensors pass through; numbers and arrays become constant Tensors (float64, no copy)."""
    return x if isinstance(x, Tensor) else lift(x, what)


# ------------------------------------------------------------------------------------ modules
def _walk(obj: Any, prefix: str, seen: set[int]) -> Iterator[tuple[str, Tensor, Any, Any]]:
    """Every Tensor reachable from ``obj``: (dotted name, tensor, container, key in container).

    A shared Tensor is yielded at every place it occurs (functional_call must replace all of
    them); callers that want each parameter once deduplicate by identity. ``seen`` holds the
    containers already entered, so reference cycles end.
    """
    if isinstance(obj, Module):
        items = vars(obj).items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    elif isinstance(obj, dict):
        items = obj.items()
    else:
        return
    if id(obj) in seen:
        return
    seen.add(id(obj))
    for key, value in items:
        name = f"{prefix}{key}"
        if isinstance(value, Tensor):
            yield name, value, obj, key
        else:
            yield from _walk(value, name + ".", seen)


class Module:
    """Base class: subclasses store layers and Tensors as attributes and define ``forward``.

    ``module(x)`` calls ``module.forward(x)``. Parameters are discovered, not registered: every
    Tensor reachable through attributes, including inside lists, tuples and dicts and inside other
    Modules, in attribute order. A Tensor shared by two layers is one parameter (listed under the
    first name found), so an optimiser updates it once.
    """

    def forward(self, *inputs):
        raise NotImplementedError(
            f"{type(self).__name__} must define forward(self, x) to say what calling it computes"
        )

    def __call__(self, *inputs, **kwargs):
        return self.forward(*inputs, **kwargs)

    def named_parameters(self) -> list[tuple[str, Tensor]]:
        """(dotted name, Tensor) pairs such as ("layers.0.weight", W), each parameter once."""
        found: dict[int, tuple[str, Tensor]] = {}
        for name, tensor, _, _ in _walk(self, "", set()):
            found.setdefault(id(tensor), (name, tensor))
        return list(found.values())

    def parameters(self) -> list[Tensor]:
        """The parameters, in the order of :meth:`named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many numbers the parameters hold in total."""
        return sum(int(p.data.size) for p in self.parameters())

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``.grad = None``) before the next backward pass.

        Gradients accumulate across backward passes (``+=``), which is what makes a parameter used
        twice get the sum of both contributions; between optimisation steps they must be cleared.
        """
        for p in self.parameters():
            p.grad = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# -------------------------------------------------------------------------------------- layers
class Linear(Module):
    """Affine layer ``y = x @ weight + bias`` with weight of shape (in_features, out_features).

    ``x`` may be one example of shape (in_features,) or a batch (..., in_features); numpy arrays
    are accepted and treated as constants. ``init`` names the weight initialiser ("xavier_uniform"
    by default, "he_normal", "uniform" = U(±1/sqrt(in_features)), ...) or is a function
    ``init(shape, rng=...)``; biases start at 0. ``rng`` (Generator, int seed, or None for seed 0)
    makes the weights reproducible.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        init="xavier_uniform",
        bias: bool = True,
        rng=None,
    ):
        for name, size in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
                raise ValueError(f"Linear: {name} must be a positive int, got {size!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        shape = (self.in_features, self.out_features)
        w = np.asarray(initialiser(init)(shape, rng=_as_generator(rng, "nn")), dtype=np.float64)
        if w.shape != shape:
            raise ValueError(f"Linear: init returned shape {w.shape}, expected {shape}")
        self.weight = Tensor(w, requires_grad=True)
        self.bias = Tensor(np.zeros(self.out_features), requires_grad=True) if bias else None

    def forward(self, x):
        x = _as_tensor(x, "Linear")
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            got = "a scalar" if x.ndim == 0 else f"{x.shape[-1]} features"
            raise ValueError(
                f"{self!r} expects inputs whose last axis has {self.in_features} features; got "
                f"shape {tuple(x.shape)} ({got}). Inputs are rows: a batch has shape "
                f"(batch, {self.in_features})."
            )
        out = x @ self.weight
        return out if self.bias is None else out + self.bias

    def __repr__(self) -> str:
        return (
            f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None})"
        )


_ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "silu", "identity")
_RELU_LIKE = ("relu", "leaky_relu", "elu", "gelu", "silu")


class MLP(Module):
    """A multilayer perceptron: Linear layers of ``sizes``, ``activation`` between them.

    ``MLP([2, 16, 16, 2])`` is Linear(2, 16), activation, Linear(16, 16), activation,
    Linear(16, 2): no activation after the last layer, whose outputs are logits (use
    :func:`cross_entropy`) or regression values (use :func:`mse_loss`). ``activation`` is a name
    from ``"relu" "tanh" "sigmoid" "leaky_relu" "elu" "gelu" "silu" "identity"`` or a function of a
    Tensor. ``init=None`` picks He (normal) for ReLU-like activations and Xavier (uniform)
    otherwise. The layers live in ``self.layers``, so parameters are named "layers.0.weight",
    "layers.0.bias", "layers.1.weight", ...
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Callable = "relu",
        init=None,
        bias: bool = True,
        rng=None,
    ):
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(
                    f"MLP: unknown activation {activation!r}; use one of {list(_ACTIVATIONS)} "
                    "or pass a function of a Tensor"
                )
        elif not callable(activation):
            raise TypeError(f"MLP: activation must be a name or a function, got {activation!r}")
        if init is None:
            init = "he_normal" if activation in _RELU_LIKE else "xavier_uniform"
        # one generator for all layers, so layers get different weights
        rng = _as_generator(rng, "MLP")
        self.sizes = sizes
        self.activation = activation
        self.layers = [
            Linear(n_in, n_out, init=init, bias=bias, rng=rng)
            for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
        ]

    def _activate(self, h):
        act = self.activation
        if callable(act):
            return act(h)
        if act == "identity":
            return h
        return getattr(functions if hasattr(functions, act) else activations, act)(h)

    def forward(self, x):
        h = x
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = self._activate(h)
        return h

    def __repr__(self) -> str:
        act = (
            self.activation
            if isinstance(self.activation, str)
            else getattr(self.activation, "__name__", repr(self.activation))
        )
        return f"MLP({self.sizes}, activation={act!r})"


# --------------------------------------------------------------------------------- purification
def functional_call(module: Module, params: Mapping[str, Any], *inputs, **kwargs):
    """Evaluate ``module(*inputs)`` with parameters taken from ``params`` instead of the module.

    ``params`` maps names from ``module.named_parameters()`` to Tensors or arrays (arrays become
    constant Tensors); names left out keep the module's own parameter. The module is unchanged
    afterwards: its Tensors are swapped in for the duration of the call only (a Tensor shared by
    several layers is replaced everywhere). This makes a model a pure function of its parameters,
    which is what ``ad.grad`` and friends differentiate::

        params = {name: p.data for name, p in model.named_parameters()}
        def loss(params):
            return ad.nn.cross_entropy(ad.nn.functional_call(model, params, X), y)
    """
    if not isinstance(params, Mapping):
        raise TypeError(
            f"functional_call: params must be a dict name -> Tensor or array, got "
            f"{type(params).__name__}; build one with dict(model.named_parameters())"
        )
    places = list(_walk(module, "", set()))
    known: dict[str, Tensor] = {}  # each parameter under its first name, as named_parameters
    for name, tensor, _, _ in places:
        if all(t is not tensor for t in known.values()):
            known[name] = tensor
    unknown = [k for k in params if k not in known]
    if unknown:
        raise KeyError(
            f"functional_call: {unknown} are not parameters of {type(module).__name__}; its "
            f"parameters are {list(known)}"
        )
    replacement: dict[int, Tensor] = {}
    for name, value in params.items():
        original = known[name]
        value = _as_tensor(value)
        if tuple(value.shape) != tuple(original.shape):
            raise ValueError(
                f"functional_call: params[{name!r}] has shape {tuple(value.shape)} but the "
                f"module's parameter has shape {tuple(original.shape)}"
            )
        replacement[id(original)] = value
    swaps = [(c, k, t) for _, t, c, k in places if id(t) in replacement]
    for container, _, _ in swaps:
        if isinstance(container, tuple):
            raise TypeError(
                "functional_call cannot replace a Tensor stored directly in a tuple; store the "
                "module's Tensors in a list or as attributes"
            )
    try:
        for container, key, tensor in swaps:
            _set(container, key, replacement[id(tensor)])
        return module(*inputs, **kwargs)
    finally:
        for container, key, tensor in swaps:
            _set(container, key, tensor)


def _set(container, key, value) -> None:
    if isinstance(container, Module):
        object.__setattr__(container, key, value)
    else:
        container[key] = value


# ------------------------------------------------------------------------------------ metrics
def grad_norms(module: Module, weights_only: bool = True) -> dict[str, float]:
    """Euclidean norm of each parameter's gradient, by name, after a backward pass.

    With ``weights_only`` (default) only parameters whose name ends in "weight" are listed: the
    per-layer picture the vanishing-gradient lecture plots with :func:`autograd_ref.viz.
    gradient_norms`.
    """
    norms = {}
    for name, p in module.named_parameters():
        if weights_only and not name.endswith("weight"):
            continue
        if p.grad is None:
            raise ValueError(
                f"grad_norms: parameter {name!r} has no gradient; call loss.backward() first"
            )
        norms[name] = float(np.linalg.norm(p.grad))
    return norms
