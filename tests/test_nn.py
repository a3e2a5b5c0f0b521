"""ad.nn: parameter discovery, layers checked against central differences, losses, purification.

Gradient tolerance: the relative error ‖g − g_fd‖ / (‖g‖ + ‖g_fd‖) between backward and a central
difference (step ε^(1/3) per coordinate) must be below 1e-7; smooth float64 functions of O(1)
size typically give 1e-10 to 1e-11.
"""

import functools

import numpy as np
import pytest

import autograd_ref as ad
from autograd_ref import nn
from autograd_ref.finite_diff import gradient

GRAD_RTOL = 1e-7


def rel_err(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def fd_param_grads(model, loss_of_output, *inputs):
    """Central-difference gradient of the loss for every named parameter (via functional_call)."""
    grads = {}
    for name, p in model.named_parameters():

        def f(value, name=name):
            out = nn.functional_call(model, {name: value}, *inputs)
            return float(loss_of_output(out).data)

        grads[name] = gradient(f, p.data)
    return grads


def backward_param_grads(model, loss_of_output, *inputs):
    model.zero_grad()
    loss_of_output(model(*inputs)).backward()
    return {name: p.grad.copy() for name, p in model.named_parameters()}


# -------------------------------------------------------------------------- parameter discovery
class Block(nn.Module):
    def __init__(self, shared):
        self.shared = shared
        self.scale = ad.Tensor(np.ones(2), requires_grad=True)
        self.note = "not a parameter"
        self.table = np.zeros(3)  # a plain array is data, not a parameter


class Net(nn.Module):
    def __init__(self):
        shared = ad.Tensor(np.zeros((2, 2)), requires_grad=True)
        self.first = nn.Linear(2, 3, rng=0)
        self.layers = [nn.Linear(3, 3, rng=1), nn.Linear(3, 2, rng=2)]
        self.heads = {"a": Block(shared), "b": Block(shared)}
        self.pair = (ad.Tensor(np.ones(1), requires_grad=True), 7)
        self.me = self  # a reference cycle must not loop forever


def test_named_parameters_finds_attributes_lists_dicts_tuples_in_order():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == [
        "first.weight", "first.bias",
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
        "heads.a.shared", "heads.a.scale", "heads.b.scale",  # shared listed once, first name
        "pair.0",
    ]
    params = net.parameters()
    assert [p for _, p in net.named_parameters()] == params
    assert params[0] is net.first.weight and params[-1] is net.pair[0]
    assert len({id(p) for p in params}) == len(params)
    assert net.num_parameters() == 6 + 3 + 9 + 3 + 6 + 2 + 4 + 2 + 2 + 1


def test_mlp_parameter_names_and_shapes():
    model = nn.MLP([2, 16, 16, 2], rng=0)
    shapes = {name: p.shape for name, p in model.named_parameters()}
    assert shapes == {
        "layers.0.weight": (2, 16), "layers.0.bias": (16,),
        "layers.1.weight": (16, 16), "layers.1.bias": (16,),
        "layers.2.weight": (16, 2), "layers.2.bias": (2,),
    }
    assert all(p.requires_grad for p in model.parameters())
    assert repr(model) == "MLP([2, 16, 16, 2], activation='relu')"


def test_zero_grad_clears_every_gradient():
    model = nn.MLP([2, 4, 2], rng=0)
    X, y = ad.data.two_moons(10, seed=0)
    nn.cross_entropy(model(X), y).backward()
    assert all(p.grad is not None and np.any(p.grad != 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_gradients_accumulate_until_zero_grad():
    model = nn.Linear(3, 2, rng=0)
    x = np.array([[1.0, 2.0, 3.0]])
    model(x).sum().backward()
    once = model.weight.grad.copy()
    model(x).sum().backward()
    np.testing.assert_allclose(model.weight.grad, 2 * once, rtol=0, atol=1e-15)


def test_module_without_forward_says_what_to_do():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1.0)


# ------------------------------------------------------------------------------------- Linear
def test_linear_is_x_at_w_plus_b_with_weight_in_by_out():
    layer = nn.Linear(3, 2, rng=0)
    assert layer.weight.shape == (3, 2) and layer.bias.shape == (2,)
    np.testing.assert_array_equal(layer.bias.data, 0.0)
    layer.bias.data[:] = [0.5, -1.0]
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 3))
    out = layer(x)
    assert out.shape == (5, 2)
    np.testing.assert_allclose(out.data, x @ layer.weight.data + [0.5, -1.0], rtol=1e-15)
    one = layer(x[0])  # a single example: the lectures' W x + b with W = weight.T
    assert one.shape == (2,)
    np.testing.assert_allclose(one.data, layer.weight.data.T @ x[0] + [0.5, -1.0], rtol=1e-14)
    assert layer(ad.Tensor(x.reshape(1, 5, 3))).shape == (1, 5, 2)


def test_linear_without_bias_has_only_a_weight():
    layer = nn.Linear(4, 3, bias=False, rng=0)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]


def test_linear_wrong_feature_size_names_both_sizes():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"3 features.*\(5, 4\).*4 features"):
        layer(np.zeros((5, 4)))


def test_linear_gradients_match_central_differences():
    rng = np.random.default_rng(2)
    layer = nn.Linear(4, 3, rng=rng)
    layer.bias.data[:] = rng.standard_normal(3)
    x = rng.standard_normal((6, 4))

    def loss(out):
        return ad.tanh(out).sum() + (out * out).mean()

    fd = fd_param_grads(layer, loss, x)
    bw = backward_param_grads(layer, loss, x)
    for name in fd:
        assert rel_err(bw[name], fd[name]) < GRAD_RTOL, name
    # and with respect to the input
    xt = ad.Tensor(x, requires_grad=True)
    loss(layer(xt)).backward()
    fd_x = gradient(lambda v: float(loss(layer(v)).data), x)
    assert rel_err(xt.grad, fd_x) < GRAD_RTOL


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "gelu", "silu", "elu"])
def test_mlp_gradients_match_central_differences(activation):
    rng = np.random.default_rng(3)
    model = nn.MLP([3, 5, 4, 2], activation=activation, rng=rng)
    for p in model.parameters():  # nonzero biases so every parameter matters
        p.data += 0.1 * rng.standard_normal(p.shape)
    X = rng.standard_normal((7, 3))
    y = rng.integers(0, 2, size=7)

    def loss(out):
        return nn.cross_entropy(out, y)

    fd = fd_param_grads(model, loss, X)
    bw = backward_param_grads(model, loss, X)
    for name in fd:
        assert rel_err(bw[name], fd[name]) < GRAD_RTOL, (activation, name)


def test_mlp_relu_gradients_match_central_differences_away_from_kinks():
    rng = np.random.default_rng(4)
    model = nn.MLP([3, 6, 2], activation="relu", rng=rng)
    X = rng.standard_normal((5, 3))
    pre = X @ model.layers[0].weight.data
    assert np.min(np.abs(pre)) > 1e-3  # no pre-activation within a finite-difference step of 0
    y = np.array([0, 1, 1, 0, 1])
    fd = fd_param_grads(model, lambda out: nn.cross_entropy(out, y), X)
    bw = backward_param_grads(model, lambda out: nn.cross_entropy(out, y), X)
    for name in fd:
        assert rel_err(bw[name], fd[name]) < GRAD_RTOL, name


def test_mlp_output_shapes_and_no_activation_after_last_layer():
    model = nn.MLP([2, 8, 3], activation="relu", rng=0)
    X = np.random.default_rng(0).standard_normal((50, 2))
    out = model(X)
    assert out.shape == (50, 3)
    assert np.min(out.data) < 0  # a ReLU after the last layer could not produce this
    assert model(X[0]).shape == (3,)


def test_mlp_activation_by_name_or_function_agree():
    X = np.random.default_rng(1).standard_normal((4, 2))
    by_name = nn.MLP([2, 5, 1], activation="tanh", rng=7)
    by_function = nn.MLP([2, 5, 1], activation=ad.tanh, rng=7)
    np.testing.assert_array_equal(by_name(X).data, by_function(X).data)
    identity = nn.MLP([2, 5, 1], activation="identity", init="xavier_uniform", rng=7)
    w0, w1 = (layer.weight.data for layer in identity.layers)
    np.testing.assert_allclose(identity(X).data, X @ w0 @ w1, rtol=1e-13)


def test_mlp_bad_arguments():
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        nn.MLP([2, 3], activation="rleu")
    with pytest.raises(ValueError, match="at least an input and an output"):
        nn.MLP([2])
    with pytest.raises(ValueError, match="unknown init"):
        nn.MLP([2, 3], init="zeros-please")


# ------------------------------------------------------------------------------- initialisers
def test_initialisers_are_reproducible_and_have_the_promised_scale():
    shape = (400, 300)
    for init in (nn.xavier_uniform, nn.xavier_normal, nn.he_normal, nn.he_uniform):
        a, b = init(shape, rng=np.random.default_rng(5)), init(shape, rng=np.random.default_rng(5))
        np.testing.assert_array_equal(a, b)
        assert a.shape == shape and a.dtype == np.float64
        np.testing.assert_array_equal(init(shape), init(shape, rng=0))  # default seed 0
    # variances: Xavier 2 / (fan_in + fan_out), He 2 / fan_in (uniform on ±a has variance a²/3)
    assert np.var(nn.xavier_uniform(shape, rng=1)) == pytest.approx(2 / 700, rel=0.02)
    assert np.var(nn.xavier_normal(shape, rng=1)) == pytest.approx(2 / 700, rel=0.02)
    assert np.var(nn.he_normal(shape, rng=1)) == pytest.approx(2 / 400, rel=0.02)
    assert np.var(nn.he_uniform(shape, rng=1)) == pytest.approx(2 / 400, rel=0.02)
    w = nn.uniform((50, 50), 0.5, rng=2)
    assert w.min() >= -0.5 and w.max() <= 0.5 and w.min() < -0.45 and w.max() > 0.45
    bound = np.sqrt(6 / 700)
    assert np.max(np.abs(nn.xavier_uniform(shape, rng=3))) <= bound


def test_linear_accepts_a_custom_initialiser():
    layer = nn.Linear(5, 4, init=functools.partial(nn.uniform, a=0.5), rng=0)
    np.testing.assert_array_equal(layer.weight.data, nn.uniform((5, 4), 0.5, rng=0))
    mlp = nn.MLP([5, 4, 4], init=functools.partial(nn.uniform, a=0.5), rng=0)
    assert not np.array_equal(mlp.layers[0].weight.data[:4], mlp.layers[1].weight.data)


# ----------------------------------------------------------------------------------- losses
def test_cross_entropy_equals_the_direct_formula_on_moderate_logits():
    rng = np.random.default_rng(6)
    logits = rng.standard_normal((8, 5)) * 3
    y = rng.integers(0, 5, size=8)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(8), y]))
    z = ad.Tensor(logits, requires_grad=True)
    loss = nn.cross_entropy(z, y)
    assert float(loss.data) == pytest.approx(expected, rel=1e-13)
    loss.backward()
    onehot = np.eye(5)[y]
    np.testing.assert_allclose(z.grad, (p - onehot) / 8, rtol=1e-12, atol=1e-15)


def test_cross_entropy_is_stable_for_logits_of_plus_minus_1000():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    y = np.array([1, 2])
    z = ad.Tensor(logits, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        loss = nn.cross_entropy(z, y)
        loss.backward()
    # row 0: log-sum-exp = 1000, picked -1000 -> 2000; row 1: lse = 1000 + log(1 + e^-1)
    expected = (2000.0 + (1000.0 + np.log1p(np.exp(-1.0)) - 999.0)) / 2
    assert float(loss.data) == pytest.approx(expected, rel=1e-14)
    assert np.all(np.isfinite(z.grad))
    np.testing.assert_allclose(z.grad[0], [0.5, -0.5, 0.0], atol=1e-15)


@pytest.mark.parametrize(
    ("targets", "error", "message"),
    [
        (np.array([0, 3]), ValueError, r"\(2, 3\).*0\.\.2.*0 to 3"),
        (np.array([-1, 0]), ValueError, r"0\.\.2"),
        (np.array([0, 1, 2]), ValueError, r"\(2, 3\).*\(2,\).*\(3,\)"),
        (np.array([[0], [1]]), ValueError, r"\(2,\).*\(2, 1\)"),
        (np.array([0.0, 1.0]), TypeError, "integer class labels"),
    ],
)
def test_cross_entropy_bad_targets_name_the_shapes(targets, error, message):
    with pytest.raises(error, match=message):
        nn.cross_entropy(ad.Tensor(np.zeros((2, 3))), targets)


def test_cross_entropy_wants_2d_logits():
    with pytest.raises(ValueError, match=r"\(batch, classes\).*\(3,\)"):
        nn.cross_entropy(ad.Tensor(np.zeros(3)), np.array([0]))
    with pytest.raises(ValueError, match="no examples"):
        nn.cross_entropy(ad.Tensor(np.zeros((0, 3))), np.zeros(0, dtype=int))


def test_mse_loss_value_gradient_and_shape_check():
    pred = ad.Tensor(np.array([[1.0], [2.0], [4.0]]), requires_grad=True)
    target = np.array([[0.0], [2.0], [1.0]])
    loss = nn.mse_loss(pred, target)
    assert float(loss.data) == pytest.approx((1 + 0 + 9) / 3, rel=1e-15)
    loss.backward()
    np.testing.assert_allclose(pred.grad, 2 * (pred.data - target) / 3, rtol=1e-15)
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(3,\).*reshape"):
        nn.mse_loss(pred, target.ravel())


def test_binary_cross_entropy_formula_gradient_and_clipping():
    p = ad.Tensor(np.array([0.9, 0.2, 0.5]), requires_grad=True)
    t = np.array([1.0, 0.0, 1.0])
    loss = nn.binary_cross_entropy(p, t)
    expected = -np.mean(t * np.log(p.data) + (1 - t) * np.log(1 - p.data))
    assert float(loss.data) == pytest.approx(expected, rel=1e-14)
    loss.backward()
    np.testing.assert_allclose(p.grad, (p.data - t) / (p.data * (1 - p.data)) / 3, rtol=1e-12)
    # a certain, wrong prediction costs -log(eps), not inf
    worst = nn.binary_cross_entropy(ad.Tensor(np.array([0.0, 1.0])), np.array([1.0, 0.0]))
    assert float(worst.data) == pytest.approx(-np.log(1e-12), rel=1e-12)
    with pytest.raises(ValueError, match="probabilities in"):
        nn.binary_cross_entropy(ad.Tensor(np.array([1.5])), np.array([1.0]))
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        nn.binary_cross_entropy(p, t.reshape(3, 1))


def test_binary_cross_entropy_with_logits_is_stable_and_exact_at_zero():
    z = ad.Tensor(np.array([0.0, 2.0, -1.5, 1000.0, -1000.0]), requires_grad=True)
    t = np.array([1.0, 0.0, 1.0, 0.0, 0.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = nn.binary_cross_entropy_with_logits(z, t)
        loss.backward()
    s = 1 / (1 + np.exp(-np.clip(z.data, -50, 50)))
    softplus = np.logaddexp(0, z.data)  # -log(1 - s) = softplus(z), -log s = softplus(-z)
    expected = np.mean(t * np.logaddexp(0, -z.data) + (1 - t) * softplus)
    assert float(loss.data) == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(z.grad, (s - t) / 5, rtol=1e-13, atol=1e-16)
    assert z.grad[0] == pytest.approx((0.5 - 1.0) / 5, rel=1e-15)  # exact at z = 0


def test_accuracy():
    scores = np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert nn.accuracy(scores, np.array([0, 1, 1])) == pytest.approx(2 / 3)
    assert nn.accuracy(ad.Tensor(np.array([0.2, 0.7])), np.array([0, 1])) == 1.0
    assert nn.accuracy(np.array([[-1.0], [2.0]]), np.array([1, 1]), threshold=0.0) == 0.5


# -------------------------------------------------------------------------------- purification
def test_functional_call_equals_the_module_call_and_does_not_mutate():
    model = nn.MLP([2, 6, 3], activation="tanh", rng=0)
    X = np.random.default_rng(1).standard_normal((4, 2))
    named = dict(model.named_parameters())
    before = {name: p.data.copy() for name, p in named.items()}
    params = {name: p.data.copy() for name, p in named.items()}
    np.testing.assert_array_equal(nn.functional_call(model, params, X).data, model(X).data)
    other = {name: v + 1.0 for name, v in params.items()}
    out = nn.functional_call(model, other, X)
    assert not np.allclose(out.data, model(X).data)
    after = dict(model.named_parameters())
    for name in named:
        assert after[name] is named[name]  # the same Tensor objects
        np.testing.assert_array_equal(after[name].data, before[name])  # the same numbers
    # with other parameters it computes exactly what a module holding them computes
    twin = nn.MLP([2, 6, 3], activation="tanh", rng=0)
    for name, p in twin.named_parameters():
        p.data[...] = other[name]
    np.testing.assert_array_equal(out.data, twin(X).data)


def test_functional_call_partial_dict_keeps_the_rest():
    model = nn.Linear(2, 2, rng=0)
    X = np.eye(2)
    out = nn.functional_call(model, {"bias": np.array([1.0, 2.0])}, X)
    np.testing.assert_allclose(out.data, model.weight.data + [1.0, 2.0], rtol=1e-15)


def test_functional_call_restores_the_module_when_forward_raises():
    model = nn.Linear(2, 2, rng=0)
    w = model.weight
    with pytest.raises(ValueError, match="features"):
        nn.functional_call(model, {"weight": np.zeros((2, 2))}, np.zeros((1, 5)))
    assert model.weight is w


def test_functional_call_replaces_a_shared_tensor_everywhere():
    class Tied(nn.Module):
        def __init__(self):
            self.a = nn.Linear(2, 2, bias=False, rng=0)
            self.b = nn.Linear(2, 2, bias=False, rng=1)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    model = Tied()
    assert [n for n, _ in model.named_parameters()] == ["a.weight"]
    W = np.array([[2.0, 0.0], [0.0, 3.0]])
    out = nn.functional_call(model, {"a.weight": W}, np.ones((1, 2)))
    np.testing.assert_allclose(out.data, [[4.0, 9.0]])
    assert model.b.weight is model.a.weight


def test_functional_call_errors():
    model = nn.MLP([2, 3, 1], rng=0)
    with pytest.raises(KeyError, match=r"layers\.5\.weight.*layers\.0\.weight"):
        nn.functional_call(model, {"layers.5.weight": np.zeros((2, 3))}, np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        nn.functional_call(model, {"layers.0.weight": np.zeros((3, 2))}, np.zeros((1, 2)))
    with pytest.raises(TypeError, match="dict"):
        nn.functional_call(model, [np.zeros((2, 3))], np.zeros((1, 2)))


def test_loss_of_a_params_dict_differentiates_through_backward():
    model = nn.MLP([2, 5, 2], activation="tanh", rng=3)
    X, y = ad.data.two_moons(12, seed=1)
    params = {name: ad.Tensor(p.data.copy(), requires_grad=True)
              for name, p in model.named_parameters()}

    def loss(params):
        return nn.cross_entropy(nn.functional_call(model, params, X), y)

    loss(params).backward()
    own = backward_param_grads(model, lambda out: nn.cross_entropy(out, y), X)
    for name, p in params.items():
        np.testing.assert_allclose(p.grad, own[name], rtol=1e-14, atol=1e-16)
    assert all(p.grad is not None for p in model.parameters())  # from backward_param_grads only


def test_functional_call_under_ad_value_and_grad_over_arrays():
    model = nn.MLP([2, 5, 2], activation="tanh", rng=3)
    X, y = ad.data.two_moons(12, seed=1)
    names = [name for name, _ in model.named_parameters()]
    arrays = [p.data.copy() for p in model.parameters()]

    def loss(*params):
        named = dict(zip(names, params, strict=True))
        return nn.cross_entropy(nn.functional_call(model, named, X), y)

    value, grads = ad.value_and_grad(loss, argnums=tuple(range(len(names))))(*arrays)
    own = backward_param_grads(model, lambda out: nn.cross_entropy(out, y), X)
    assert value == pytest.approx(float(nn.cross_entropy(model(X), y).data), rel=1e-15)
    for name, g in zip(names, grads, strict=True):
        assert isinstance(g, np.ndarray) and g.shape == own[name].shape
        np.testing.assert_allclose(g, own[name], rtol=1e-14, atol=1e-16)
    for p, before in zip(model.parameters(), arrays, strict=True):
        np.testing.assert_array_equal(p.data, before)


# ------------------------------------------------------------------------------- the headline
def test_mlp_2_16_16_2_reaches_97_percent_on_two_moons():
    X, y = ad.data.two_moons(200, noise=0.1, seed=0)
    model = nn.MLP([2, 16, 16, 2], activation="relu", rng=0)
    optimizer = ad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = ad.optim.fit(model, nn.cross_entropy, X, y, optimizer, epochs=100, batch_size=32,
                           rng=0, progress=False)
    with ad.no_grad():
        train_accuracy = nn.accuracy(model(X), y)
    assert train_accuracy >= 0.97, (train_accuracy, history)
    assert history.epoch_loss[-1] < 0.1 * history.epoch_loss[0]
