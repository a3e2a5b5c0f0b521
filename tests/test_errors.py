"""Bad input to the scalar engines gets an exception a student can act on.

Each test checks the exception type and that the message names the problem (the offending type
or value) and a remedy (what to pass or call instead). Out-of-domain maths is not an error: it
gives nan/inf with a numpy-style RuntimeWarning (tested in test_scalar.py and test_functions.py).
"""

from __future__ import annotations

import operator

import numpy as np
import pytest

import autograd_ref as ad

ENGINES = [ad.Scalar, ad.Dual]
OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


@pytest.mark.parametrize("cls", ENGINES, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "bad, problem, remedy",
    [
        ("1.5", "str", "float(...)"),
        ([1.0, 2.0], "list", "ad.Tensor"),
        ((1.0,), "tuple", "ad.Tensor"),
        (None, "NoneType", "int or float"),
        (1 + 2j, "complex", "complex-step"),
        (True, "bool", "1.0 or 0.0"),
        (np.array([1.0, 2.0]), "shape (2,)", "x[0]"),
        (np.array([["a"]]), "dtype <U1", "ad.Tensor"),
        ({"x": 1.0}, "dict", "int or float"),
    ],
    ids=["str", "list", "tuple", "None", "complex", "bool", "array", "str-array", "dict"],
)
def test_construction_from_a_non_number(cls, bad, problem, remedy):
    with pytest.raises(TypeError) as info:
        cls(bad)
    message = str(info.value)
    assert cls.__name__ in message
    assert problem in message, message
    assert remedy in message, message


def test_wrapping_an_autograd_value_again_says_to_use_it_directly():
    with pytest.raises(TypeError, match="already an autograd value"):
        ad.Scalar(ad.Scalar(1.0))
    with pytest.raises(TypeError, match=r"\.value / \.primal"):
        ad.Dual(ad.Scalar(1.0))
    with pytest.raises(TypeError, match="Dual tangent"):
        ad.Dual(1.0, "x")


def test_single_element_arrays_are_accepted():
    assert ad.Scalar(np.array([2.5])).value == 2.5
    assert ad.Dual(np.array(2.5), np.array([1.0])).tangent == 1.0


@pytest.mark.parametrize("cls", ENGINES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
@pytest.mark.parametrize("other", ["a", None, [1.0], True], ids=["str", "None", "list", "bool"])
def test_unsupported_operand_names_both_types(cls, op, other):
    x = cls(2.0)
    kind = type(other).__name__
    apply = OPERATORS[op]
    for a, b in ((x, other), (other, x)):
        left, right = type(a).__name__, type(b).__name__
        if isinstance(other, (str, list)) and left == kind and op in "+*":
            continue  # str + x and [..] * x are handled by str/list first (Python's own error)
        with pytest.raises(TypeError) as info:
            apply(a, b)
        message = str(info.value)
        assert f"'{left}' and '{right}'" in message, message
        assert f"{cls.__name__} arithmetic works with int, float" in message, message


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_scalar_and_dual_do_not_mix(op):
    s, d = ad.Scalar(2.0), ad.Dual(2.0, 1.0)
    for a, b in ((s, d), (d, s)):
        with pytest.raises(TypeError) as info:
            OPERATORS[op](a, b)
        message = str(info.value)
        assert f"'{type(a).__name__}' and '{type(b).__name__}'" in message
        assert "do not mix" in message and "one kind throughout" in message


def test_remedy_for_text_and_lists():
    with pytest.raises(TypeError, match=r"convert text with float\(\.\.\.\)"):
        ad.Scalar(1.0) + "2"
    with pytest.raises(TypeError, match="apply the operator to each element"):
        ad.Scalar(1.0) * [1.0, 2.0]


def test_numpy_arrays_broadcast_elementwise_instead_of_failing():
    """An array operand is not an error: numpy applies the operator per element."""
    x = ad.Scalar(2.0)
    out = x * np.array([1.0, 3.0])
    assert out.dtype == object and [o.value for o in out] == [2.0, 6.0]
    out[1].backward()
    assert x.grad == 3.0
    d = ad.Dual(2.0, 1.0) + np.array([1.0, 3.0])
    assert [o.tangent for o in d] == [1.0, 1.0]


@pytest.mark.parametrize("cls", ENGINES, ids=lambda c: c.__name__)
def test_float_conversion_is_refused(cls):
    with pytest.raises(TypeError) as info:
        float(cls(1.0))
    message = str(info.value)
    assert "would drop the" in message
    assert "ad.exp" in message and (".value" in message or ".primal" in message)


def test_elementary_function_of_a_non_number():
    with pytest.raises(TypeError) as info:
        ad.exp("1.0")
    message = str(info.value)
    assert "exp() expects a number" in message and "str" in message
    with pytest.raises(TypeError, match="dtype"):
        ad.sin(np.array(["a", "b"]))


def test_grad_of_function_returning_a_non_number():
    with pytest.raises(TypeError) as info:
        ad.grad(lambda x: [x, x])(1.0)
    message = str(info.value)
    assert "single number" in message and "list" in message
    assert "jacrev" in message or "sum" in message
    with pytest.raises(TypeError, match="single number"):
        ad.grad(lambda x: "result")(1.0)
    with pytest.raises(TypeError, match="Dual"):
        ad.grad(lambda x: ad.Dual(1.0))(1.0)


def test_grad_with_respect_to_a_non_number():
    with pytest.raises(TypeError) as info:
        ad.grad(lambda s: 1.0)("abc")
    message = str(info.value)
    assert "str" in message and "argnums" in message


def test_grad_with_bad_argnums():
    with pytest.raises(ValueError) as info:
        ad.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    message = str(info.value)
    assert "argnums=2" in message and "0 to 1" in message


def test_grad_of_constant_function_is_zero():
    """Not an error: f ignores its input, so the derivative is 0."""
    assert ad.grad(lambda x: 3.0)(1.0) == 0.0
    assert ad.value_and_grad(lambda x, y: 2, argnums=(0, 1))(1.0, 2.0) == (2.0, (0.0, 0.0))
