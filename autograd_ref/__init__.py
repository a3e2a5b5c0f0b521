"""autograd_ref: the course's reference automatic-differentiation library.

Scalars in reverse mode, dual numbers in forward mode, finite differences, evaluation traces and
function transforms with JAX's names. Lecture notebooks demonstrate with it; the autograder's hidden
tests compare students' work against it.
"""

from . import finite_diff
from .dual import Dual
from .functions import abs, cos, exp, log, relu, sigmoid, sin, sqrt, tan, tanh  # noqa: A004
from .scalar import Scalar
from .trace import Trace, trace
from .transforms import grad, value_and_grad

__all__ = [
    "Dual",
    "Scalar",
    "Trace",
    "abs",
    "cos",
    "exp",
    "finite_diff",
    "grad",
    "log",
    "relu",
    "sigmoid",
    "sin",
    "sqrt",
    "tan",
    "tanh",
    "trace",
    "value_and_grad",
]
