"""Pytrees: flattening and rebuilding (autograd_ref.pytree), and every transform with dicts, lists
and tuples of floats and arrays in and out, against central differences and closed forms.

Tolerances: derivatives against central differences with step H = 1e-6 to 1e-6 relative
(tests/tensor_cases.py explains the margin); the same maths by two routes (jacfwd and jacrev,
vjp and jacrev) to 1e-12; closed forms to 1e-14 relative. Several cases mirror JAX's documented
behaviour (jax.tree_util, jax.grad / jax.jacrev on dicts), which students meet next.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest
from tensor_cases import H, assert_close_fd

import autograd_ref as ad
from autograd_ref.pytree import TreeDef, tree_leaves, tree_structure

RNG_SEED = 11
Point = namedtuple("Point", ["x", "y"])


# ------------------------------------------------------------------ central differences
def _perturbed(tree, i: int, k: tuple, step: float):
    leaves, treedef = ad.tree_flatten(tree)
    leaves = [np.array(v, dtype=float) if isinstance(v, np.ndarray) else v for v in leaves]
    if isinstance(leaves[i], np.ndarray):
        leaves[i][k] += step
    else:
        leaves[i] = leaves[i] + step
    return ad.tree_unflatten(treedef, leaves)


def fd_jacobian_tree(f, tree):
    """d f / d tree by central differences, JAX's nesting: [out leaf][in leaf] blocks of shape
    out_leaf.shape + in_leaf.shape, as flat lists (compared leaf by leaf)."""
    in_leaves = ad.tree_flatten(tree)[0]
    out0 = [np.asarray(o, dtype=float) for o in ad.tree_flatten(f(tree))[0]]
    blocks = [[np.zeros(o.shape + np.shape(x)) for x in in_leaves] for o in out0]
    for i, x in enumerate(in_leaves):
        for k in np.ndindex(np.shape(x)):
            up = ad.tree_flatten(f(_perturbed(tree, i, k, H)))[0]
            down = ad.tree_flatten(f(_perturbed(tree, i, k, -H)))[0]
            for m, (u, d) in enumerate(zip(up, down, strict=True)):
                blocks[m][i][(...,) + k] = (np.asarray(u) - np.asarray(d)) / (2 * H)
    return blocks


def assert_tree_close_fd(got, expected_leaves, what: str):
    leaves = ad.tree_flatten(got)[0]
    assert len(leaves) == len(expected_leaves), what
    for n, (g, e) in enumerate(zip(leaves, expected_leaves, strict=True)):
        assert_close_fd(g, e, f"{what}, leaf {n}")


def assert_leaf_types_match(got, like):
    """Float leaves of ``like`` gave floats, array leaves arrays of the same shape."""
    assert tree_structure(got) == tree_structure(like)
    for g, x in zip(tree_leaves(got), tree_leaves(like), strict=True):
        if isinstance(x, np.ndarray):
            assert type(g) is np.ndarray and g.shape == x.shape and g.dtype == np.float64
        else:
            assert type(g) is float


# ------------------------------------------------------------------ flatten / unflatten
def test_flatten_orders_dict_keys_and_round_trips():
    tree = {"w": [1.0, (2.0, np.ones(2))], "b": 3.0, "a": {"z": 4.0, "c": None}}
    leaves, treedef = ad.tree_flatten(tree)
    assert [np.shape(v) for v in leaves] == [(), (), (), (), (2,)]
    assert leaves[:4] == [4.0, 3.0, 1.0, 2.0]  # a.z, b, w[0], w[1][0]: keys in sorted order
    assert str(treedef) == "{'a': {'c': None, 'z': *}, 'b': *, 'w': [*, (*, *)]}"
    assert treedef.num_leaves == 5
    rebuilt = ad.tree_unflatten(treedef, leaves)
    assert list(rebuilt) == ["a", "b", "w"] and rebuilt["a"]["c"] is None
    assert rebuilt["w"][1][1] is leaves[4] and isinstance(rebuilt["w"][1], tuple)


def test_structure_equality_ignores_dict_insertion_order():
    assert tree_structure({"a": 1.0, "b": [2.0]}) == tree_structure({"b": [5.0], "a": 0.0})
    assert tree_structure({"a": 1.0}) != tree_structure({"b": 1.0})
    assert tree_structure([1.0, 2.0]) != tree_structure((1.0, 2.0))
    assert tree_structure(np.ones(3)) == tree_structure(4.0)  # a leaf is a leaf
    assert str(tree_structure((1.0,))) == "(*,)"


def test_named_tuples_and_tensors():
    leaves, treedef = ad.tree_flatten(Point(1.0, ad.Tensor([1.0, 2.0])))
    assert str(treedef) == "Point(x=*, y=*)" and isinstance(leaves[1], ad.Tensor)
    assert ad.tree_unflatten(treedef, [5.0, 6.0]) == Point(5.0, 6.0)


def test_tree_map_and_its_errors():
    doubled = ad.tree_map(lambda a, b: a + b, {"x": 1.0, "y": [2.0]}, {"y": [3.0], "x": 4.0})
    assert doubled == {"x": 5.0, "y": [5.0]}
    with pytest.raises(ValueError, match=r"structure \{'x': \*\} but \{'x': \*, 'y': \[\*\]\}"):
        ad.tree_map(lambda a, b: a, {"x": 1.0, "y": [2.0]}, {"x": 1.0})
    with pytest.raises(ValueError, match="has 2 leaves but 3 were given"):
        ad.tree_unflatten(tree_structure([1.0, 2.0]), [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="keys that can be sorted"):
        ad.tree_flatten({1: 1.0, "a": 2.0})
    assert isinstance(tree_structure([]), TreeDef) and tree_leaves([None, ()]) == []


# ------------------------------------------------------------------------------- grad
def mlp_loss(params, x):
    """A two-layer network with its parameters in a dict of arrays, lists and floats."""
    hidden = ad.tanh(params["layers"][0]["w"] @ x + params["layers"][0]["b"])
    out = params["layers"][1]["w"] @ hidden + params["scale"]
    return (out * out).sum()


def make_params(rng):
    return {
        "layers": [
            {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=3)},
            {"w": rng.normal(size=(1, 3)), "b": 0.0},
        ],
        "scale": 0.7,
    }


def test_grad_of_a_dict_of_parameters_matches_central_differences():
    rng = np.random.default_rng(RNG_SEED)
    params, x = make_params(rng), rng.normal(size=2)
    g = ad.grad(mlp_loss)(params, x)
    assert_leaf_types_match(g, params)
    assert g["layers"][1]["b"] == 0.0  # unused: zero, still a float
    expected = fd_jacobian_tree(lambda p: mlp_loss(p, x), params)[0]
    assert_tree_close_fd(g, expected, "grad of the dict")
    value, (gp, gx) = ad.value_and_grad(mlp_loss, argnums=(0, 1))(params, x)
    assert value == pytest.approx(mlp_loss(params, x), rel=1e-14)
    assert_tree_close_fd(gp, expected, "value_and_grad, argnums=(0, 1)")
    assert_close_fd(gx, fd_jacobian_tree(lambda t: mlp_loss(params, t), x)[0][0], "d/dx")


def test_grad_of_floats_in_containers_uses_floats():
    """Numbers alone run on the Scalar engine; the gradient keeps the containers."""
    g = ad.grad(lambda d: d["a"] * d["b"][0] ** 2 + ad.sin(d["b"][1]))({"a": 2.0, "b": (3.0, 0.5)})
    assert g == {"a": 9.0, "b": (12.0, pytest.approx(np.cos(0.5), rel=1e-15))}
    assert type(g["b"]) is tuple and type(g["a"]) is float
    # a list is a container (as in JAX and HIPS autograd), not an array: one float per entry
    assert ad.grad(lambda v: v[0] * v[0] + v[1] * v[1])([1.0, 2.0]) == [2.0, 4.0]
    assert ad.grad(lambda p: p.x * p.y)(Point(2.0, 5)) == Point(5.0, 2.0)


def test_grad_of_grad_with_pytrees():
    """Nested: d/da of (d/da a^3 b) = 6ab, d/db of it = 3a^2, on both engines."""

    def inner(d):
        return d["a"] ** 3 * d["b"]

    def first(d):
        return ad.grad(inner)(d)["a"]  # 3 a^2 b

    assert ad.grad(first)({"a": 2.0, "b": 5.0}) == {"a": 60.0, "b": 12.0}

    def inner_arrays(d):
        return (d["a"] ** 3 * d["b"]).sum()

    def first_arrays(d):
        return ad.grad(inner_arrays)(d)["a"].sum()

    a, b = np.array([1.0, 2.0]), np.array([0.5, -1.5])
    g = ad.grad(first_arrays)({"a": a, "b": b})
    np.testing.assert_allclose(g["a"], 6 * a * b, rtol=1e-14)
    np.testing.assert_allclose(g["b"], 3 * a**2, rtol=1e-14)
    fd = fd_jacobian_tree(lambda d: float(np.sum(3 * d["a"] ** 2 * d["b"])), {"a": a, "b": b})[0]
    assert_tree_close_fd(g, fd, "grad of grad, arrays")


# ------------------------------------------------------------------------- vjp and jvp
def tree_fn(d):
    """{'a': float, 'b': (3,) array} -> {'p': (3,) array, 'q': [float, (2,) array]}."""
    return {
        "p": d["a"] * ad.sin(d["b"]),
        "q": [d["a"] * d["a"], ad.exp(d["b"][:2]) * d["b"][2]],
    }


def tree_input():
    return {"a": 0.8, "b": np.array([0.3, -1.2, 0.5])}


def test_vjp_with_trees_in_and_out():
    d = tree_input()
    out, pullback = ad.vjp(tree_fn, d)
    assert tree_structure(out) == tree_structure(tree_fn(d))
    assert np.ndim(out["q"][0]) == 0  # an array: floats come out when every input is a number
    rng = np.random.default_rng(RNG_SEED)
    ct = {"p": rng.normal(size=3), "q": [rng.normal(), rng.normal(size=2)]}
    (grad_d,) = pullback(ct)
    assert_leaf_types_match(grad_d, d)
    blocks = fd_jacobian_tree(tree_fn, d)
    ct_leaves = ad.tree_flatten(ct)[0]
    expected = [
        sum(np.tensordot(c, blocks[m][i], axes=np.ndim(c)) for m, c in enumerate(ct_leaves))
        for i in range(2)
    ]
    assert_tree_close_fd(grad_d, expected, "vjp pullback")


def test_vjp_structure_and_shape_errors_name_both():
    _, pullback = ad.vjp(tree_fn, tree_input())
    with pytest.raises(ValueError) as info:
        pullback({"p": np.ones(3), "q": np.ones(2)})
    message = str(info.value)
    assert "{'p': *, 'q': *}" in message and "{'p': *, 'q': [*, *]}" in message
    with pytest.raises(ValueError, match=r"output leaf 2 has shape \(3,\) but output leaf 2"):
        pullback({"p": np.ones(3), "q": [1.0, np.ones(3)]})


def test_jvp_with_trees():
    d = tree_input()
    t = {"a": 0.4, "b": np.array([1.0, 0.0, -2.0])}
    out, tangent = ad.jvp(tree_fn, (d,), (t,))
    assert tree_structure(tangent) == tree_structure(out)
    blocks = fd_jacobian_tree(tree_fn, d)
    t_leaves = ad.tree_flatten(t)[0]
    expected = [
        sum(np.tensordot(blocks[m][i], np.asarray(v), axes=np.ndim(v))
            for i, v in enumerate(t_leaves))
        for m in range(len(blocks))
    ]  # fmt: skip
    assert_tree_close_fd(tangent, expected, "jvp tangent")
    with pytest.raises(ValueError, match=r"tangents has structure \(\{'a': \*\},\)"):
        ad.jvp(tree_fn, (d,), ({"a": 1.0},))


# ------------------------------------------------------------------------------ Jacobians
def test_jacobians_of_trees_nest_out_tree_of_in_tree():
    d = tree_input()
    forward, reverse = ad.jacfwd(tree_fn)(d), ad.jacrev(tree_fn)(d)
    for jac in (forward, reverse):
        assert set(jac) == {"p", "q"} and set(jac["p"]) == {"a", "b"}
        assert jac["p"]["b"].shape == (3, 3) and jac["q"][1]["a"].shape == (2,)
        assert type(jac["q"][0]["a"]) is float  # float out, float in
        assert jac["q"][0]["b"].shape == (3,)
    blocks = fd_jacobian_tree(tree_fn, d)
    expected = [b for row in blocks for b in row]
    assert_tree_close_fd(reverse, expected, "jacrev")
    for f, r in zip(tree_leaves(forward), tree_leaves(reverse), strict=True):
        np.testing.assert_allclose(f, r, rtol=1e-12, atol=1e-14)


def test_hessian_of_a_dict_argument_against_differences_of_the_gradient():
    def f(d):
        return d["a"] ** 2 * (d["b"] ** 3).sum() + ad.sin(d["a"] * d["b"][0])

    d = {"a": 0.7, "b": np.array([0.2, -0.4])}
    hess = ad.hessian(f)(d)
    assert type(hess["a"]["a"]) is float
    assert hess["a"]["b"].shape == (2,) and hess["b"]["a"].shape == (2,)
    assert hess["b"]["b"].shape == (2, 2)
    np.testing.assert_allclose(hess["a"]["b"], hess["b"]["a"], rtol=1e-12)
    expected = fd_jacobian_tree(ad.grad(f), d)
    assert_tree_close_fd(hess, [b for row in expected for b in row], "hessian")
