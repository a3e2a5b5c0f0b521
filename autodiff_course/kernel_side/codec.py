"""Plain data across the kernel boundary: JSON with a few tagged forms, nothing that can run.

The grader never receives a student's object, only what :func:`encode` makes of it in the
kernel: None, booleans, integers, floats (nan and infinities included), strings, lists, and
tagged forms for tuples, dicts, sets, complex numbers, numpy scalars and numeric numpy arrays.
:func:`decode` checks every piece of that text again on the grader's side (size, depth, types,
shapes), so what arrives can only be data, however the kernel was tampered with. Floats travel
as their shortest repr, so every float64 arrives bit for bit.

Used in both directions: the grader's inputs to a check go into the kernel the same way.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

TAG = "__adc__"
MAX_TEXT = 8 * 1024 * 1024  # characters of encoded data in one direction
MAX_DEPTH = 64
MAX_DIMS = 32
DTYPES = frozenset({
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
})


class NotPlain(ValueError):
    """The value is not plain data (an object, a function, a string array, too large, ...)."""


def _numpy():
    # numpy is imported only when the value holds numpy data: a kernel that never imported
    # numpy cannot hand us an array, and the import costs nothing once it is loaded
    return sys.modules.get("numpy")


def _describe(value: Any) -> str:
    kind = type(value)
    name = kind.__qualname__ if kind.__module__ in ("builtins", "__main__") \
        else f"{kind.__module__}.{kind.__qualname__}"
    return f"a value of type {name}"


def _plain(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise NotPlain(f"data nested more than {MAX_DEPTH} levels deep")
    kind = type(value)
    if value is None or kind in (bool, str, float):
        return value
    if kind is int:
        if value.bit_length() > 4096:
            raise NotPlain("an integer with more than 4096 bits")
        return value
    if kind is complex:
        return {TAG: "complex", "re": value.real, "im": value.imag}
    if kind is list:
        return [_plain(v, depth + 1) for v in value]
    if kind is tuple:
        return {TAG: "tuple", "items": [_plain(v, depth + 1) for v in value]}
    if kind is set:
        return {TAG: "set", "items": [_plain(v, depth + 1) for v in value]}
    if kind is frozenset:
        return {TAG: "frozenset", "items": [_plain(v, depth + 1) for v in value]}
    if kind is dict:
        return {TAG: "dict",
                "items": [[_plain(k, depth + 1), _plain(v, depth + 1)] for k, v in value.items()]}
    np = _numpy()
    if np is not None and isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        name = array.dtype.name
        if array.ndim > MAX_DIMS:
            raise NotPlain(f"an array with {array.ndim} dimensions (at most {MAX_DIMS})")
        if name not in DTYPES:
            raise NotPlain(f"a numpy {'array' if isinstance(value, np.ndarray) else 'scalar'} of "
                           f"dtype {name} (only booleans and numbers are plain data)")
        if isinstance(value, np.generic):
            item = array.item()
            if array.dtype.kind == "c":
                return {TAG: "scalar", "dtype": name, "re": item.real, "im": item.imag}
            return {TAG: "scalar", "dtype": name, "value": item}
        flat = array.ravel()
        if array.dtype.kind == "c":
            return {TAG: "ndarray", "dtype": name, "shape": list(array.shape),
                    "re": flat.real.tolist(), "im": flat.imag.tolist()}
        return {TAG: "ndarray", "dtype": name, "shape": list(array.shape), "data": flat.tolist()}
    raise NotPlain(_describe(value))


def encode(value: Any) -> str:
    """JSON text for ``value``; :class:`NotPlain` names what is not plain data."""
    try:
        text = json.dumps(_plain(value, 0), separators=(",", ":"), allow_nan=True)
    except RecursionError:
        raise NotPlain("data nested too deeply") from None
    if len(text) > MAX_TEXT:
        raise NotPlain(f"{len(text):,} characters of data, over the {MAX_TEXT:,} limit")
    return text


# --- the grader's side: trust nothing ---------------------------------------------------------

def _number(value: Any, what: str) -> int | float:
    if type(value) in (float, bool):
        return value
    if type(value) is int:
        if value.bit_length() > 4096:
            raise NotPlain("an integer with more than 4096 bits")
        return value
    raise NotPlain(f"{what} is not a number")


def _dtype(obj: dict, what: str) -> str:
    dtype = obj.get("dtype")
    if type(dtype) is not str or dtype not in DTYPES:
        raise NotPlain(f"{what} of dtype {str(dtype)[:40]!r}")
    return dtype


def _items(obj: dict, key: str = "items") -> list:
    items = obj.get(key)
    if type(items) is not list:
        raise NotPlain(f"tagged {obj.get(TAG)!r} data without its {key!r} list")
    return items


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        raise NotPlain("a list, dict, set or array used as a dict key or set member") from None
    return value


def _array(obj: dict):
    import numpy as np

    dtype = _dtype(obj, "an array")
    shape = obj.get("shape")
    if (type(shape) is not list or len(shape) > MAX_DIMS
            or any(type(n) is not int or n < 0 for n in shape)):
        raise NotPlain("an array with a malformed shape")
    size = math.prod(shape)
    kind = np.dtype(dtype).kind
    parts = ("re", "im") if kind == "c" else ("data",)
    columns = []
    for part in parts:
        values = _items(obj, part)
        if len(values) != size:
            raise NotPlain(f"an array of shape {tuple(shape)} with {len(values)} values")
        for v in values:
            _number(v, "an array entry")
            if kind in "iub" and type(v) is float:
                raise NotPlain(f"a fraction in an array of dtype {dtype}")
        columns.append(values)
    try:
        with np.errstate(all="ignore"):
            if kind == "c":
                flat = np.empty(size, dtype=dtype)
                flat.real = np.array(columns[0], dtype=np.float64)
                flat.imag = np.array(columns[1], dtype=np.float64)
                return flat.reshape(shape)
            return np.array(columns[0], dtype=dtype).reshape(shape)
    except (OverflowError, ValueError, TypeError) as err:
        raise NotPlain(f"array values that do not fit dtype {dtype}: {err}") from None


def _scalar(obj: dict):
    import numpy as np

    dtype = _dtype(obj, "a scalar")
    try:
        if np.dtype(dtype).kind == "c":
            return np.dtype(dtype).type(complex(_number(obj.get("re"), "a real part"),
                                                _number(obj.get("im"), "an imaginary part")))
        return np.dtype(dtype).type(_number(obj.get("value"), "a scalar"))
    except (OverflowError, ValueError, TypeError) as err:
        raise NotPlain(f"a value that does not fit dtype {dtype}: {err}") from None


def _unplain(obj: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise NotPlain(f"data nested more than {MAX_DEPTH} levels deep")
    kind = type(obj)
    if kind is int:
        return _number(obj, "an integer")
    if obj is None or kind in (bool, float, str):
        return obj
    if kind is list:
        return [_unplain(v, depth + 1) for v in obj]
    if kind is not dict:
        raise NotPlain(f"unexpected JSON {kind.__name__}")
    tag = obj.get(TAG)
    if tag == "tuple":
        return tuple(_unplain(v, depth + 1) for v in _items(obj))
    if tag == "set":
        return {_hashable(_unplain(v, depth + 1)) for v in _items(obj)}
    if tag == "frozenset":
        return frozenset(_hashable(_unplain(v, depth + 1)) for v in _items(obj))
    if tag == "dict":
        out = {}
        for pair in _items(obj):
            if type(pair) is not list or len(pair) != 2:
                raise NotPlain("a dict entry that is not a (key, value) pair")
            out[_hashable(_unplain(pair[0], depth + 1))] = _unplain(pair[1], depth + 1)
        return out
    if tag == "complex":
        return complex(_number(obj.get("re"), "a real part"), _number(obj.get("im"),
                                                                      "an imaginary part"))
    if tag == "ndarray":
        return _array(obj)
    if tag == "scalar":
        return _scalar(obj)
    raise NotPlain("a JSON object that is not tagged plain data")


def decode(text: Any, max_text: int = MAX_TEXT) -> Any:
    """The value :func:`encode` made, rebuilt and checked; :class:`NotPlain` if it is not that."""
    if type(text) is not str:
        raise NotPlain("the data is not text")
    if len(text) > max_text:
        raise NotPlain(f"{len(text):,} characters of data, over the {max_text:,} limit")
    try:
        obj = json.loads(text)
    except RecursionError:
        raise NotPlain("data nested too deeply") from None
    except ValueError as err:
        raise NotPlain(f"the data is not JSON ({err})") from None
    return _unplain(obj, 0)
