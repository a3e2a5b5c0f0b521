"""autograd_ref: the course's reference automatic-differentiation library.

Scalars in reverse mode, dual numbers in forward mode, finite differences, evaluation traces and
function transforms with JAX's names. Lecture notebooks demonstrate with it; the autograder's hidden
tests compare students' work against it.
"""

from . import (
    data,
    finite_diff,
    linalg,
    nn,
    optim,
    pytree,
    tensor_methods,  # noqa: F401  (Tensor.sum, .reshape, ...)
    viz,
)
from .activations import elu, gelu, leaky_relu, log_softmax, silu, softmax
from .array_ops import cumsum, logsumexp, prod, squeeze, std, var
from .dual import Dual
from .extend import defjvp, defvjp, primitive
from .functions import (  # noqa: A004
    abs,
    arccos,
    arcsin,
    arctan,
    clip,
    cos,
    cosh,
    exp,
    expm1,
    log,
    log1p,
    maximum,
    minimum,
    relu,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    tan,
    tanh,
    where,
)
from .hessian_vectorised import hessian
from .jacobians import jacfwd, jacrev
from .joining import concatenate, stack
from .linalg_ops import diag, einsum, outer
from .modes import checkpoint, no_grad
from .pytree import tree_flatten, tree_map, tree_unflatten
from .scalar import Scalar
from .tensor import Tensor
from .trace import Trace, trace
from .transforms import grad, jvp, value_and_grad, vjp

__all__ = [
    "cumsum",
    "diag",
    "einsum",
    "logsumexp",
    "outer",
    "prod",
    "squeeze",
    "std",
    "var",
    "primitive",
    "defvjp",
    "defjvp",
    "sinh",
    "sign",
    "minimum",
    "log1p",
    "expm1",
    "cosh",
    "clip",
    "arctan",
    "arcsin",
    "arccos",
    "Dual",
    "Scalar",
    "Tensor",
    "Trace",
    "abs",
    "checkpoint",
    "concatenate",
    "cos",
    "data",
    "elu",
    "exp",
    "finite_diff",
    "gelu",
    "grad",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "leaky_relu",
    "linalg",
    "log",
    "log_softmax",
    "maximum",
    "nn",
    "no_grad",
    "optim",
    "pytree",
    "relu",
    "sigmoid",
    "silu",
    "sin",
    "softmax",
    "sqrt",
    "stack",
    "tan",
    "tanh",
    "trace",
    "tree_flatten",
    "tree_map",
    "tree_unflatten",
    "value_and_grad",
    "viz",
    "vjp",
    "where",
]
