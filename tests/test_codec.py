"""The codec that carries plain data across the kernel boundary (kernel_side/codec.py).

Round trips first (every kind of plain value comes back as itself, floats bit for bit, numpy
values with their dtype), then what ``encode`` refuses, then ``decode`` on hostile text: the
grader decodes whatever a tampered kernel sends, so every malformed input must end in
:class:`codec.NotPlain` and in nothing else.
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff_course.kernel_side import codec
from autodiff_course.kernel_side.codec import TAG, NotPlain, decode, encode

FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
COMPLEX_DTYPES = ("complex64", "complex128")


def round_trip(value):
    return decode(encode(value))


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def same(a, b) -> bool:
    """Equal and of the same types all the way down; floats compared bit for bit."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or bits(a) == bits(b)
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def same_array(a: np.ndarray, b: np.ndarray) -> bool:
    """Same class, dtype, shape and bits (nan compared as nan)."""
    if type(b) is not np.ndarray or a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":
        real = a.dtype.itemsize // (2 if a.dtype.kind == "c" else 1)
        fa = np.ascontiguousarray(a).view(f"float{real * 8}")
        fb = np.ascontiguousarray(b).view(f"float{real * 8}")
        nan = np.isnan(fa)
        if not np.array_equal(nan, np.isnan(fb)):
            return False
        uint = f"uint{real * 8}"
        return bool(np.array_equal(fa.view(uint)[~nan], fb.view(uint)[~nan]))
    return bool(np.array_equal(a, b))


# ---------------------------------------------------------------------------------------------
# round trips: Python values


@pytest.mark.parametrize("x", [
    0.0, -0.0, 1.0, -1.5, 0.1, 1 / 3, math.pi, 1e300, -1e-300,
    5e-324, -5e-324, 2.2250738585072009e-308,  # subnormals
    2.2250738585072014e-308, 1.7976931348623157e308,
    math.inf, -math.inf, math.nan,
])
def test_float64_round_trips_bit_for_bit(x):
    back = round_trip(x)
    assert type(back) is float
    if math.isnan(x):
        assert math.isnan(back)
    else:
        assert bits(back) == bits(x)


def test_negative_zero_keeps_its_sign():
    assert math.copysign(1.0, round_trip(-0.0)) == -1.0
    assert math.copysign(1.0, round_trip(0.0)) == 1.0


@pytest.mark.parametrize("n", [
    0, 1, -1, 2**31, -(2**31) - 1, 2**63, -(2**63), 2**64 + 7, 10**300,
    2**4096 - 1, -(2**4096 - 1),  # the largest integers allowed (4096 bits)
])
def test_integers_round_trip_exactly(n):
    back = round_trip(n)
    assert type(back) is int and back == n


@pytest.mark.parametrize("z", [
    1 + 2j, -0.0 - 0.0j, complex(-0.0, 1.0), complex(math.inf, -math.inf),
    complex(math.nan, 1.0), complex(5e-324, -1e300),
])
def test_complex_round_trips_bit_for_bit(z):
    back = round_trip(z)
    assert type(back) is complex
    assert same(back, z)


@pytest.mark.parametrize("s", [
    "", "plain", "ünïcödé ∂f/∂x", "emoji 🧮🚀", "日本語", 'quotes " and \\ backslash',
    "control \x00\x1f\x7f", "tab\tnew\nline", "\u202eright-to-left", TAG,
])
def test_strings_round_trip(s):
    back = round_trip(s)
    assert type(back) is str and back == s


@pytest.mark.parametrize("v", [None, True, False])
def test_none_and_booleans_stay_themselves(v):
    assert round_trip(v) is v


def test_booleans_do_not_become_integers():
    back = round_trip([True, 1, False, 0])
    assert [type(v) for v in back] == [bool, int, bool, int]


def test_nested_containers_keep_their_types():
    value = [1, (2.5, "a", (None, [True])), {"k": [1, 2], 3: (4,)}, [], (), {}, set()]
    back = round_trip(value)
    assert same(back, value)
    assert type(back[1]) is tuple and type(back[1][2]) is tuple
    assert type(back[4]) is tuple and type(back[5]) is dict and type(back[6]) is set


def test_dicts_with_non_string_keys():
    value = {(1, 2): "pair", 3: "three", -0.5: "half", None: 0, True: "t", "s": {(0,): [1]}}
    back = round_trip(value)
    assert same(back, value)
    assert list(back) == list(value)  # insertion order kept
    assert type(next(iter(back))) is tuple


def test_dict_with_the_tag_as_an_ordinary_key():
    value = {TAG: "tuple", "items": [1, 2]}
    assert same(round_trip(value), value)


def test_sets_and_frozensets_keep_their_kind():
    assert round_trip({1, 2, "a", (3, 4)}) == {1, 2, "a", (3, 4)}
    back = round_trip(frozenset({1, 2}))
    assert type(back) is frozenset and back == {1, 2}
    assert type(round_trip(set())) is set


def test_frozensets_as_dict_keys_and_set_members_round_trip():
    for value in ({frozenset({1, 2}): "edge"}, {frozenset({1}), frozenset({2})}):
        assert decode(encode(value)) == value


@pytest.mark.parametrize("wrap", [lambda v: (v,), lambda v: {"k": v}, lambda v: {7: v},
                                  lambda v: [v]], ids=["tuple", "dict", "int-key dict", "list"])
def test_tagged_forms_nested_to_the_depth_limit_round_trip(wrap):
    value = 1
    for _ in range(codec.MAX_DEPTH):
        value = wrap(value)
    assert same(round_trip(value), value)
    with pytest.raises(NotPlain, match="nested more than"):
        encode(wrap(value))


# ---------------------------------------------------------------------------------------------
# round trips: numpy


def scalar_samples(name: str) -> list:
    kind = np.dtype(name).type
    if name == "bool":
        return [np.True_, np.False_]
    if name in INT_DTYPES:
        info = np.iinfo(name)
        return [kind(0), kind(1), kind(info.min), kind(info.max)]
    if name in FLOAT_DTYPES:
        info = np.finfo(name)
        return [kind(0.1), kind(-0.0), kind(info.max), kind(info.smallest_subnormal),
                kind(np.inf), kind(-np.inf), kind(np.nan)]
    info = np.finfo(kind(0).real.dtype)
    return [kind(complex(1.5, -2.25)), kind(complex(-0.0, 0.0)), kind(complex(info.max, 1.0)),
            kind(complex(np.nan, np.inf))]


@pytest.mark.parametrize("name", sorted(codec.DTYPES))
def test_numpy_scalars_keep_their_dtype(name):
    for value in scalar_samples(name):
        back = round_trip(value)
        assert type(back) is type(value), (name, value)
        assert back.dtype == value.dtype
        assert same_array(np.asarray(back), np.asarray(value)), (name, value, back)


def array_sample(name: str) -> np.ndarray:
    if name == "bool":
        return np.array([[True, False, True], [False, False, True]])
    if name in INT_DTYPES:
        info = np.iinfo(name)
        return np.array([[info.min, 0, 1], [info.max, info.max - 1, 2]], dtype=name)
    if name in FLOAT_DTYPES:
        return np.array([[0.1, -2.5, 3.0], [1e4, -7.0, 0.5]], dtype=name)
    return np.array([[1 + 2j, -3.5j, 4.0], [0.25 - 1j, 2.0, -1.0 + 0.5j]], dtype=name)


@pytest.mark.parametrize("name", sorted(codec.DTYPES))
def test_numpy_arrays_of_every_dtype(name):
    a = array_sample(name)
    assert a.dtype.name == name
    assert same_array(a, round_trip(a))


@pytest.mark.parametrize("name", FLOAT_DTYPES)
def test_float_arrays_keep_special_values_bit_for_bit(name):
    info = np.finfo(name)
    a = np.array([-0.0, 0.0, info.smallest_subnormal, -info.smallest_subnormal, info.tiny,
                  info.max, -info.max, np.inf, -np.inf, np.nan, info.eps], dtype=name)
    back = round_trip(a)
    assert same_array(a, back)
    assert np.signbit(back[0]) and not np.signbit(back[1])


@pytest.mark.parametrize("name", COMPLEX_DTYPES)
def test_complex_arrays_keep_special_parts(name):
    # as for complex scalars (which do keep them): a signed zero or a non-finite imaginary
    # part must not change the real part
    parts = [(-0.0, 0.0), (1.0, np.inf), (2.0, np.nan), (np.inf, 0.0), (-0.0, -np.inf)]
    a = np.array([complex(re, im) for re, im in parts], dtype=name)
    back = round_trip(a)
    assert back.dtype == a.dtype
    assert same_array(a, back), (a, back)


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (3, 0, 2), (1,) * codec.MAX_DIMS,
                                   (2, 1, 3, 1, 2, 1, 2)])
def test_array_shapes_survive(shape):
    a = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
    back = round_trip(a)
    assert type(back) is np.ndarray and back.shape == shape
    assert same_array(a, back)


def test_zero_dimensional_array_stays_an_array_not_a_scalar():
    back = round_trip(np.array(2.5))
    assert type(back) is np.ndarray and back.ndim == 0 and back == 2.5


def test_non_contiguous_arrays():
    base = np.arange(60, dtype=np.int32).reshape(3, 4, 5)
    for view in (base[:, ::2, ::-1], base.T, np.asfortranarray(base), base[1, :, 3],
                 np.broadcast_to(np.arange(3.0), (4, 3))):
        back = round_trip(view)
        assert back.shape == view.shape and back.dtype == view.dtype
        assert np.array_equal(back, view)


def test_ndarray_subclasses_come_back_as_plain_ndarrays():
    class Tagged(np.ndarray):
        pass

    tagged = np.arange(4.0).view(Tagged)
    masked = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])
    for value in (tagged, masked):
        back = round_trip(value)
        assert type(back) is np.ndarray
        assert np.array_equal(back, np.asarray(value))


def test_byte_swapped_arrays_round_trip_by_value():
    a = np.arange(5, dtype=">i8")
    back = round_trip(a)
    assert back.dtype.name == "int64" and np.array_equal(back, a)


# ---------------------------------------------------------------------------------------------
# round trips: a property over nested plain data

hashables = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.floats(allow_nan=False),
    lambda inner: st.tuples(inner) | st.tuples(inner, inner),
    max_leaves=6,
)
leaves = (st.none() | st.booleans() | st.integers(min_value=-(2**200), max_value=2**200)
          | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
          | st.complex_numbers(allow_nan=True))
plain = st.recursive(
    leaves,
    lambda inner: (st.lists(inner, max_size=5)
                   | st.lists(inner, max_size=5).map(tuple)
                   | st.dictionaries(hashables, inner, max_size=5)
                   | st.sets(hashables, max_size=5)
                   | st.frozensets(hashables, max_size=5)),
    max_leaves=30,
)


def normalised(value):
    """The value as decode must give it back (every kind kept)."""
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, tuple):
        return tuple(normalised(v) for v in value)
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    return value


@settings(derandomize=True, database=None, max_examples=120, deadline=None)
@given(plain)
def test_plain_data_round_trips(value):
    text = encode(value)
    assert isinstance(text, str)
    json.loads(text)  # real JSON (with NaN/Infinity), nothing else
    assert same(decode(text), normalised(value))


@settings(derandomize=True, database=None, max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
                max_size=12))
def test_float64_arrays_round_trip_property(values):
    a = np.array(values, dtype=np.float64)
    assert same_array(a, round_trip(a))


# ---------------------------------------------------------------------------------------------
# encode: what is not plain data


class Thing:
    pass


class ClaimsEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class ArrayLike:
    def __array__(self, dtype=None, copy=None):
        return np.array([1.0, 2.0])


class FloatLike:
    def __float__(self):
        return 1.0


class MyFloat(float):
    pass


class MyInt(int):
    pass


class MyList(list):
    pass


def a_function(x):
    return x


@pytest.mark.parametrize("value, names", [
    (a_function, ["function"]),
    (lambda x: x, ["function"]),
    (print, ["builtin_function_or_method"]),
    (Thing(), ["Thing"]),
    (Thing, ["type"]),
    (ClaimsEqual(), ["ClaimsEqual"]),
    (ArrayLike(), ["ArrayLike"]),
    (FloatLike(), ["FloatLike"]),
    (MyFloat(1.5), ["MyFloat"]),
    (MyInt(3), ["MyInt"]),
    (MyList([1]), ["MyList"]),
    (b"bytes", ["bytes"]),
    (range(3), ["range"]),
    (iter([1]), ["list_iterator"]),
    (np, ["module"]),
    ([1, (2, {"k": Thing()})], ["Thing"]),
    ({Thing(): 1}.keys(), ["dict_keys"]),
])
def test_encode_refuses_objects_and_names_them(value, names):
    with pytest.raises(NotPlain) as info:
        encode(value)
    for name in names:
        assert name in str(info.value)


@pytest.mark.parametrize("value, dtype", [
    (np.array([1, "a", None], dtype=object), "object"),
    (np.array(["a", "bc"]), "str"),
    (np.array([b"a"]), "bytes"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "datetime64"),
    (np.array([1], dtype="timedelta64[s]"), "timedelta64"),
    (np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]), "void"),
    (np.datetime64("2020-01-01"), "datetime64"),
    (np.str_("text"), "str"),
])
def test_encode_refuses_numpy_values_that_are_not_numbers(value, dtype):
    with pytest.raises(NotPlain) as info:
        encode(value)
    assert "dtype" in str(info.value) and dtype in str(info.value)


def nested_lists(levels: int):
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


def test_depth_limit_is_exact():
    assert round_trip(nested_lists(codec.MAX_DEPTH)) == nested_lists(codec.MAX_DEPTH)
    with pytest.raises(NotPlain, match="nested more than"):
        encode(nested_lists(codec.MAX_DEPTH + 1))


def test_self_referencing_list_is_refused_not_a_recursion_error():
    loop: list = []
    loop.append(loop)
    with pytest.raises(NotPlain, match="nested"):
        encode(loop)


def test_text_over_the_limit_is_refused():
    with pytest.raises(NotPlain, match="over the .* limit"):
        encode("x" * codec.MAX_TEXT)
    assert len(encode("x" * (codec.MAX_TEXT - 2))) == codec.MAX_TEXT


def test_large_array_over_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(codec, "MAX_TEXT", 10_000)
    with pytest.raises(NotPlain, match="over the 10,000 limit"):
        encode(np.full(1_000, 0.123456789))
    assert len(encode(np.full(100, 0.123456789))) < 10_000


@pytest.mark.parametrize("n", [2**4096, -(2**4096), 2**10000])
def test_integers_over_4096_bits_are_refused(n):
    with pytest.raises(NotPlain, match="4096 bits"):
        encode(n)
    with pytest.raises(NotPlain):
        encode([n])


# ---------------------------------------------------------------------------------------------
# decode: hostile text (each must end in NotPlain, nothing else)


def tagged(tag: str, **fields) -> str:
    return json.dumps({TAG: tag, **fields})


def array(dtype="float64", shape=(2,), **fields) -> str:
    body = {"dtype": dtype, "shape": list(shape) if isinstance(shape, tuple) else shape}
    body.update(fields)
    return tagged("ndarray", **body)


HOSTILE = {
    # not text, not JSON
    "bytes": b'"x"',
    "none": None,
    "int": 5,
    "list": ["[1]"],
    "invalid json": "{",
    "truncated json": '{"__adc__": "tuple", "items": [1, 2',
    "trailing garbage": "[1] [2]",
    "empty": "",
    "python literal": "(1, 2)",
    "deep json": "[" * 100_000 + "]" * 100_000,
    "deep objects": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "deeper than MAX_DEPTH": "[" * (codec.MAX_DEPTH + 2) + "]" * (codec.MAX_DEPTH + 2),
    "deep tuples": ('{"__adc__":"tuple","items":[' * (codec.MAX_DEPTH + 2) + "1"
                    + "]}" * (codec.MAX_DEPTH + 2)),
    "too long": '"' + "a" * (10 * 1024 * 1024) + '"',
    # objects that are not tagged plain data
    "untagged dict": '{"a": 1}',
    "empty dict": "{}",
    "unknown tag": tagged("pickle", data="gASV"),
    "tag is a number": '{"__adc__": 1}',
    "tag is a list": '{"__adc__": ["tuple"]}',
    "untagged dict inside a list": '[1, {"x": 2}]',
    # tagged forms with missing or wrong-typed fields
    "tuple without items": tagged("tuple"),
    "tuple items a dict": tagged("tuple", items={"a": 1}),
    "tuple items a string": tagged("tuple", items="ab"),
    "set without items": tagged("set"),
    "dict without items": tagged("dict"),
    "dict entry not a pair": tagged("dict", items=[[1, 2, 3]]),
    "dict entry a string": tagged("dict", items=["ab"]),
    "dict entry a short list": tagged("dict", items=[[1]]),
    "complex without parts": tagged("complex"),
    "complex with string part": tagged("complex", re="1", im=0),
    "complex with list part": tagged("complex", re=1, im=[0]),
    "complex with null part": tagged("complex", re=1, im=None),
    "scalar without dtype": tagged("scalar", value=1),
    "scalar of unknown dtype": tagged("scalar", dtype="object", value=1),
    "scalar of float128": tagged("scalar", dtype="float128", value=1),
    "scalar without value": tagged("scalar", dtype="float64"),
    "scalar with string value": tagged("scalar", dtype="float64", value="1.5"),
    "scalar with list value": tagged("scalar", dtype="int64", value=[1]),
    "complex scalar without im": tagged("scalar", dtype="complex128", re=1.0),
    "scalar overflowing int8": tagged("scalar", dtype="int8", value=300),
    "scalar overflowing int64": tagged("scalar", dtype="int64", value=2**70),
    "scalar 1e300 into int64": tagged("scalar", dtype="int64", value=1e300),
    "scalar nan into int32": '{"__adc__": "scalar", "dtype": "int32", "value": NaN}',
    "negative into uint8": tagged("scalar", dtype="uint8", value=-1),
    "scalar dtype a list": tagged("scalar", dtype=["float64"], value=1),
    "scalar dtype a dict": tagged("scalar", dtype={"a": 1}, value=1),
    # arrays
    "array without dtype": tagged("ndarray", shape=[1], data=[1]),
    "array of object dtype": array("object", data=[1, 2]),
    "array of str dtype": array("<U1", data=["a", "b"]),
    "array of datetime dtype": array("datetime64[D]", data=[1, 2]),
    "array dtype a list": array(["float64"], data=[1, 2]),
    "array dtype a dict": array({"name": "float64"}, data=[1, 2]),
    "array without data": array(),
    "array data a dict": array(data={"0": 1}),
    "array too few values": array(shape=(2, 3), data=[1, 2, 3]),
    "array too many values": array(shape=(2,), data=[1, 2, 3]),
    "array 0-d without value": array(shape=(), data=[]),
    "array negative shape": array(shape=[-2], data=[]),
    "array negative shape product": array(shape=[-1, -2], data=[1, 2]),
    "array float shape": array(shape=[2.0], data=[1, 2]),
    "array bool shape": array(shape=[True, True], data=[1]),
    "array string shape": array(shape=["2"], data=[1, 2]),
    "array shape a number": array(shape=2, data=[1, 2]),
    "array shape null": array(shape=None, data=[1, 2]),
    "array too many dims": array(shape=[1] * (codec.MAX_DIMS + 1), data=[1]),
    "array huge empty shape": array(shape=[10**30, 0], data=[]),
    "array huge zero shape 2": array(shape=[2**62, 2**62, 0], data=[]),
    "array string entries": array(data=["1", "2"]),
    "array null entries": array(data=[None, 1]),
    "array nested entries": array(data=[[1], [2]]),
    "array dict entries": array(data=[{TAG: "complex", "re": 1, "im": 0}, 1]),
    "array overflowing int8": array("int8", data=[1, 300]),
    "array overflowing uint64": array("uint64", data=[2**64, 0]),
    "array negative uint": array("uint16", data=[-1, 0]),
    "array 1e300 into int64": array("int64", data=[1e300, 0]),
    "array nan into int64": '{"__adc__":"ndarray","dtype":"int64","shape":[1],"data":[NaN]}',
    "complex array without im": array("complex128", re=[1.0, 2.0]),
    "complex array short im": array("complex128", re=[1.0, 2.0], im=[0.0]),
    "complex array string im": array("complex64", re=[1.0, 2.0], im=["0", "0"]),
    # unhashable keys and members
    "dict key a list": tagged("dict", items=[[[1, 2], "v"]]),
    "dict key a dict": tagged("dict", items=[[{TAG: "dict", "items": []}, "v"]]),
    "dict key a set": tagged("dict", items=[[{TAG: "set", "items": [1]}, "v"]]),
    "dict key an array": tagged("dict", items=[[json.loads(array(data=[1, 2])), "v"]]),
    "dict key a tuple holding a list": tagged("dict", items=[[{TAG: "tuple", "items": [[1]]},
                                                              "v"]]),
    "set member a list": tagged("set", items=[[1]]),
    "set member a set": tagged("set", items=[{TAG: "set", "items": []}]),
    "set member a dict": tagged("set", items=[{TAG: "dict", "items": []}]),
}


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_decode_refuses_hostile_text_with_not_plain(text):
    with pytest.raises(NotPlain) as info:
        decode(text)
    assert str(info.value)  # a reason, not an empty message


def test_decode_messages_are_short_even_for_huge_fields():
    with pytest.raises(NotPlain) as info:
        decode(array("x" * 100_000, data=[1, 2]))
    assert len(str(info.value)) < 200


def test_decode_limit_is_adjustable_and_counts_characters():
    text = encode("a" * 100)
    assert decode(text, max_text=len(text)) == "a" * 100
    with pytest.raises(NotPlain, match="limit"):
        decode(text, max_text=len(text) - 1)


def test_not_plain_is_a_value_error():
    # callers that catch ValueError (the grader's glue) also catch NotPlain
    assert issubclass(NotPlain, ValueError)


def test_decode_accepts_what_encode_writes_with_json_specials():
    assert same(decode("[NaN, Infinity, -Infinity, -0.0]"),
                [math.nan, math.inf, -math.inf, -0.0])
    assert decode('{"__adc__": "complex", "re": 1, "im": -2}') == complex(1, -2)
    back = decode(array("int16", shape=[2], data=[True, 3]))
    assert back.dtype == np.int16 and back.tolist() == [1, 3]
