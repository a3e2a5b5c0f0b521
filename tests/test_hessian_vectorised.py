"""The vectorised Hessian (forward-over-reverse with a batch of tangents) and its forward sweep.

What is checked, and against what:

* every row of the rule table is classified for the sweep, and every row that claims to handle a
  batch of tangents is exercised by a case of ``tensor_cases.CASES``;
* for every case, one sweep with a batch of tangents equals ``ad.jvp`` run once per tangent
  (an independent route: forward mode during evaluation), for one and for two batch axes;
* for every case and every argument, the vectorised Hessian equals ``jacfwd(jacrev(f))``;
* known Hessians (Rosenbrock, ``sum tanh(A x) + x.x/2``) in closed form, at 30 and 100 variables;
* nesting inside other transforms, a user's primitive (swept one column at a time), chunking,
  float/array/shape conventions, and the errors.

Tolerance: the sweep and ``jacfwd(jacrev)`` perform the same floating-point operations in a
different grouping (batched matmuls, sums), so they agree to rounding: ``|a - b| <= 1e-12 (1 +
|b|)`` entrywise. Closed forms: 1e-10 relative (entries up to ~1e4 for Rosenbrock).
"""

from __future__ import annotations

import numpy as np
import pytest
from tensor_cases import CASES

import autograd_ref as ad
from autograd_ref import forward_sweep as FS
from autograd_ref import hessian_vectorised as HV
from autograd_ref.hessian_vectorised import hessian
from autograd_ref.rules import TABLE

TOL = 1e-12


def assert_rounding_close(got, expected, what: str) -> None:
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    err = np.abs(got - expected) / (1.0 + np.abs(expected))
    assert np.all(err <= TOL), f"{what}: max error {err.max():.3g}"


def by_columns(f, argnums=0):
    return ad.jacfwd(ad.jacrev(f, argnums), argnums)


@pytest.fixture
def sweeps(monkeypatch):
    """Count the batched sweeps the vectorised Hessian runs (0 means it fell back)."""
    calls = []
    real = HV.sweep

    def counting(root, seeds):
        calls.append(seeds[0][1].shape)
        return real(root, seeds)

    monkeypatch.setattr(HV, "sweep", counting)
    return calls


@pytest.fixture
def fallbacks(monkeypatch):
    """Count the calls that went the column route, jacfwd(jacrev(f)), instead."""
    calls = []
    real = HV.hessian_by_columns

    def counting_by_columns(f, argnums=0, has_aux=False):
        inner = real(f, argnums, has_aux=has_aux)

        def run(*args, **kwargs):
            calls.append(len(args))
            return inner(*args, **kwargs)

        return run

    monkeypatch.setattr(HV, "hessian_by_columns", counting_by_columns)
    return calls


# ------------------------------------------------------------------ the rows and the sweep
def test_every_row_is_classified_and_every_batched_row_has_a_case():
    covered = {case.primitive for case in CASES}
    kinds = {name: FS.batch_kind(rule) for name, rule in TABLE.items()}
    assert set(kinds.values()) <= {FS.ELEMENTWISE, FS.BATCHED, FS.COLUMNS}
    claimed = {name for name, kind in kinds.items() if kind != FS.COLUMNS}
    missing = claimed - covered
    assert not missing, f"rows claiming batched JVPs without a case in tensor_cases: {missing}"
    # the structural rows must be the batched kind, not silently per column (that is the speed)
    for name in ("sum", "mean", "max", "matmul", "reshape", "transpose", "getitem", "scatter",
                 "concatenate", "softmax", "log_softmax", "sum_to", "broadcast_to"):  # fmt: skip
        assert kinds[name] == FS.BATCHED, name
    assert kinds["checkpoint"] == FS.COLUMNS


def _recorded(case, rng):
    arrays = case.inputs(rng)
    leaves = [ad.Tensor(a, requires_grad=True) for a in arrays]
    return arrays, leaves, case.fn(*leaves)


@pytest.mark.parametrize("lead", [(3,), (2, 2)], ids=["one batch axis", "two batch axes"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.primitive}: {c.label}")
def test_batched_sweep_equals_one_tangent_at_a_time(case, lead):
    rng = np.random.default_rng(14)
    arrays, leaves, out = _recorded(case, rng)
    assert any(
        node._op is not None and node._op.name == case.primitive
        for node in ad.tensor.topological_order(out)
    ), "the case must record its row"
    seeds = [rng.normal(size=lead + a.shape) for a in arrays]
    batched = FS.sweep(out, list(zip(leaves, seeds, strict=True)))
    assert batched.shape == lead + out.shape
    for k in np.ndindex(lead):
        _, expected = ad.jvp(case.fn, arrays, [s[k] for s in seeds])
        assert_rounding_close(batched[k], expected, f"{case.label}, tangent {k}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.primitive}: {c.label}")
def test_hessian_equals_jacfwd_of_jacrev_for_every_case(case, fallbacks):
    rng = np.random.default_rng(7)
    arrays = case.inputs(rng)
    weights = rng.normal(size=np.shape(case.fn(*[ad.Tensor(a) for a in arrays]).data))

    def phi(*xs):
        return (case.fn(*xs) * weights).sum()

    for i in range(len(arrays)):
        got = hessian(phi, i)(*arrays)
        assert_rounding_close(got, by_columns(phi, i)(*arrays), f"{case.label}, argument {i}")
        assert got.shape == arrays[i].shape * 2
    assert fallbacks == [], "every argument must take the vectorised route"


# ------------------------------------------------------------------------- known Hessians
def rosenbrock(x):
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


def rosenbrock_hessian(x):
    n = x.size
    h = np.zeros((n, n))
    i = np.arange(n - 1)
    h[i, i] += 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    h[i + 1, i + 1] += 200.0
    h[i, i + 1] = h[i + 1, i] = -400.0 * x[:-1]
    return h


@pytest.mark.parametrize("n", [30, 100])
def test_benchmark_functions_in_closed_form(n, sweeps, fallbacks):
    rng = np.random.default_rng(n)
    a = rng.normal(size=(n, n)) / np.sqrt(n)
    x = rng.normal(size=n)

    def tanh_model(v):
        return ad.tanh(a @ v).sum() + 0.5 * (v @ v)

    s = np.tanh(a @ x)
    expected = a.T @ np.diag(-2.0 * s * (1.0 - s**2)) @ a + np.eye(n)
    np.testing.assert_allclose(hessian(tanh_model)(x), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hessian(rosenbrock)(x), rosenbrock_hessian(x), rtol=1e-10, atol=0)
    assert_rounding_close(hessian(rosenbrock)(x), by_columns(rosenbrock)(x), "rosenbrock")
    assert len(sweeps) == 3 and fallbacks == []


def test_a_matrix_argument_and_a_second_argument():
    rng = np.random.default_rng(3)
    w, b = rng.normal(size=(3, 2)), rng.normal(size=2)

    def f(w, b, scale):
        return (ad.tanh(w @ b) ** 2).sum() * scale + (ad.sin(b) * w.sum(axis=0)).sum()

    for i in (0, 1, -2):
        got = hessian(f, i)(w, b, 1.5)
        assert_rounding_close(got, by_columns(f, i)(w, b, 1.5), f"argument {i}")
    assert hessian(f, 0)(w, b, 1.5).shape == (3, 2, 3, 2)


def test_float_and_zero_dimensional_inputs():
    assert hessian(lambda x: x**3)(2.0) == 12.0
    assert type(hessian(lambda x: x**3)(2.0)) is float
    h = hessian(lambda x: ad.exp(x) * x)(np.array(0.5))
    assert type(h) is np.ndarray and h.shape == () and h == pytest.approx(2.5 * np.exp(0.5))
    np.testing.assert_allclose(
        hessian(lambda x: (x**3).sum())(np.array([1.0, 2.0])), np.diag([6.0, 12.0])
    )


def test_constant_linear_and_empty_give_zeros(fallbacks):
    x = np.array([1.0, -2.0, 0.5])
    assert np.array_equal(hessian(lambda v: 3.0)(x), np.zeros((3, 3)))
    assert np.array_equal(hessian(lambda v: (v * 2.0).sum())(x), np.zeros((3, 3)))
    assert hessian(lambda v: (v * v).sum())(np.zeros((0,))).shape == (0, 0)
    assert hessian(lambda v: 3.0)(x).dtype == np.float64
    assert fallbacks == []


def test_chunks_give_the_same_hessian(monkeypatch, sweeps):
    rng = np.random.default_rng(5)
    x = rng.normal(size=12)
    whole = hessian(rosenbrock)(x)
    monkeypatch.setattr(HV, "CHUNK_ENTRIES", 40)  # at most 40 // 12 = 3 columns per sweep
    chunked = hessian(rosenbrock)(x)
    assert [s[0] for s in sweeps[1:]] == [3, 3, 3, 3]
    np.testing.assert_array_equal(chunked, whole)


def test_inputs_are_not_changed_and_results_are_fresh():
    x = np.array([0.3, -0.7])
    copy = x.copy()
    h1 = hessian(rosenbrock)(x)
    h1[...] = 0.0
    assert np.array_equal(x, copy)
    assert np.any(hessian(rosenbrock)(x) != 0.0)


def test_inside_no_grad():
    x = np.array([0.3, -0.7])
    with ad.no_grad():
        got = hessian(rosenbrock)(x)
    np.testing.assert_allclose(got, rosenbrock_hessian(x), rtol=1e-12)


# ----------------------------------------------------------------------- falling back
def softplus_value(x):
    return np.log1p(np.exp(x))


def test_a_users_primitive_is_swept_one_column_at_a_time(sweeps, fallbacks):
    softplus = ad.primitive(softplus_value)
    ad.defvjp(softplus, lambda ans, x: lambda g: g * ad.sigmoid(x))
    ad.defjvp(softplus, lambda g, ans, x: g * ad.sigmoid(x))
    assert FS.batch_kind(softplus.rule) == FS.COLUMNS
    x = np.array([-1.2, 0.3, 2.0])
    s = 1.0 / (1.0 + np.exp(-x))

    def f(v):
        return (softplus(v) * v).sum()

    got = hessian(f)(x)
    expected = np.diag(2.0 * s + x * s * (1.0 - s))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert_rounding_close(got, by_columns(f)(x), "softplus")
    assert len(sweeps) == 1 and fallbacks == []


def test_a_primitive_without_a_jvp_names_the_fix_when_the_gradient_needs_one():
    # the gradient 3 ans / x reads the primitive's output: sweeping it needs the primitive's JVP
    cube = ad.primitive(lambda x: x**3)
    ad.defvjp(cube, lambda ans, x: lambda g: g * 3.0 * ans / x)
    with pytest.raises(NotImplementedError, match="defjvp"):
        hessian(lambda v: cube(v).sum())(np.array([1.0, 2.0]))
    # a gradient 3 x**2 that never reads the output does not: the sweep never meets the row
    cube_from_x = ad.primitive(lambda x: x**3)
    ad.defvjp(cube_from_x, lambda ans, x: lambda g: g * 3.0 * x * x)
    got = hessian(lambda v: cube_from_x(v).sum())(np.array([1.0, 2.0]))
    np.testing.assert_allclose(got, np.diag([6.0, 12.0]), rtol=1e-12)


def test_nested_in_reverse_and_forward_mode(sweeps, fallbacks):
    x = np.array([0.4, -0.3, 1.1])

    def f(v):
        return (ad.sin(v) * v.sum()).sum()

    third = ad.jacrev(hessian(f))(x)
    assert_rounding_close(third, ad.jacrev(by_columns(f))(x), "jacrev of hessian")
    assert third.shape == (3, 3, 3)
    t = np.array([1.0, 0.5, -2.0])
    _, along = ad.jvp(hessian(f), (x,), (t,))
    _, expected = ad.jvp(by_columns(f), (x,), (t,))
    assert_rounding_close(along, expected, "jvp of hessian")
    assert sweeps == [] and len(fallbacks) >= 2, "nested calls: differentiable results"


def test_a_variable_captured_from_an_enclosing_grad_is_differentiated():
    x = np.array([0.4, -0.3])

    def trace_of_hessian(y):  # trace of diag(6 x y) is 6 y sum(x): its derivative is 6 sum(x)
        return (hessian(lambda v: (v**3 * y).sum())(x) * np.eye(2)).sum()

    got = ad.grad(trace_of_hessian)(np.array(2.0))
    assert float(got) == pytest.approx(6.0 * x.sum(), rel=1e-12)


def test_a_parameter_that_records_gradients_is_a_constant_at_top_level(fallbacks):
    w = ad.Tensor([1.5, -0.5], requires_grad=True)
    x = np.array([0.2, 0.9])
    got = hessian(lambda v: (w * v**3).sum())(x)
    np.testing.assert_allclose(got, np.diag(6.0 * w.data * x), rtol=1e-12)
    assert type(got) is np.ndarray
    assert len(fallbacks) == 1  # it may be an enclosing grad's input: the column route decides


def test_vector_valued_f_matches_the_column_route():
    x = np.array([0.2, 0.9])
    got = hessian(lambda v: ad.sin(v) * v.sum())(x)
    assert got.shape == (2, 2, 2)
    assert_rounding_close(got, by_columns(lambda v: ad.sin(v) * v.sum())(x), "vector output")


def test_errors():
    blocks = hessian(lambda a, b: (a * a * b).sum(), (0, 1))(np.ones(2), np.full(2, 3.0))
    np.testing.assert_array_equal(blocks[0][1], 2.0 * np.eye(2))  # tuple argnums: JAX's blocks
    with pytest.raises(ValueError, match="argnums"):
        hessian(rosenbrock, 2)(np.ones(3))
    with pytest.raises(TypeError, match="dtype"):
        hessian(rosenbrock)(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="Scalar"):
        hessian(lambda v: v * v)(ad.Scalar(1.0))
