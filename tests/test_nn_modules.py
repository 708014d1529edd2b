"""Modules, layers and initialisers: names, scopes, labels, shapes, state and errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import nn
from autograd import Tensor, Value
from autograd.extend import topological_order


def test_named_parameters_follow_pytorch_order() -> None:
    net = nn.MLP([4, 3, 3, 2], activation="relu", output_activation="softmax", rng=0)
    names = [n for n, _ in net.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
                     "layers.4.weight", "layers.4.bias"]
    torch = pytest.importorskip("torch")
    ref = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3), torch.nn.ReLU(),
                              torch.nn.Linear(3, 2), torch.nn.Softmax(-1))
    assert [f"layers.{n}" for n, _ in ref.named_parameters()] == names
    assert [tuple(p.shape) for p in ref.parameters()] == [p.shape for p in net.parameters()]


def test_linear_is_x_times_W_transposed_plus_b() -> None:
    lin = nn.Linear(3, 2, init="xavier_normal", rng=1)
    x = np.random.default_rng(2).normal(size=(5, 3))
    W, b = lin.state_dict()["weight"], lin.state_dict()["bias"]
    np.testing.assert_array_equal(lin(x).data, x @ W.T + b)
    np.testing.assert_array_equal(lin(x[0]).data, x[0] @ W.T + b)
    assert lin.weight.shape == (2, 3) and lin.bias.shape == (2,)


def test_linear_rejects_wrong_input_width() -> None:
    with pytest.raises(ValueError, match=r"Linear\(3 -> 2\): input has shape \(5, 4\)"):
        nn.Linear(3, 2, rng=0)(np.ones((5, 4)))
    with pytest.raises(ValueError, match="one example needs 3 inputs, got 2"):
        nn.Linear(3, 2, rng=0, engine="value")([1.0, 2.0])


def test_scopes_name_the_module_that_made_each_node() -> None:
    net = nn.MLP([2, 3, 1], activation="tanh", rng=0)
    loss = nn.MSELoss()(net(Tensor(np.ones((4, 2)))), np.zeros((4, 1)))
    scopes = {node.scope for node in topological_order(loss) if node.op is not None}
    assert scopes == {"MLP.layer1.Linear", "MLP.layer1.Tanh", "MLP.layer2.Linear", "MSELoss"}
    alone = nn.Linear(2, 2, rng=0)(np.ones(2))
    assert alone.scope == "Linear"


def test_value_engine_labels_and_parameters() -> None:
    net = nn.MLP([2, 3, 1], engine="value", rng=0)
    params = list(net.parameters())
    assert len(params) == 2 * 3 + 3 + 3 * 1 + 1 and all(isinstance(p, Value) for p in params)
    assert [p.label for p in params[:3]] == ["w[1][0,0]", "w[1][0,1]", "w[1][1,0]"]  # layers l = 1 ... L
    assert params[6].label == "b[1][0]" and params[-1].label == "b[2][0]"
    names = [n for n, _ in net.named_parameters()]
    assert names[0] == "layers.0.weight[0,0]" and names[-1] == "layers.2.bias[0]"
    out = net([0.5, -1.0])
    assert len(out) == 1 and isinstance(out[0], Value) and out[0].scope == "MLP.layer2.Linear"
    assert out[0].label == "z[2][0]"
    (a,) = nn.MLP([2, 3, 1], output_activation="tanh", engine="value", rng=0)([0.5, -1.0])
    hidden = [n for n in topological_order(a) if n.op is not None and n.op.name == "sigmoid"]
    assert a.label == "a[2][0]" and sorted(n.label for n in hidden) == ["a[1][0]", "a[1][1]", "a[1][2]"]
    assert nn.MLP([2, 3, 1], rng=0).layers[2].weight.label == "W[2]"
    leaves = [n for n in topological_order(out[0]) if n.op is None and n.label and n.label.startswith("x[")]
    assert sorted(n.label for n in leaves) == ["x[0]", "x[1]"]


def test_same_seed_same_weights_on_both_engines() -> None:
    for init in ["uniform", ("uniform", -0.5, 0.5), "xavier_uniform", "he_normal"]:
        t = nn.MLP([3, 4, 2], init=init, rng=9).state_dict()
        v = nn.MLP([3, 4, 2], init=init, rng=9, engine="value").state_dict()
        assert all(np.array_equal(t[k], v[k]) for k in t)
        other = nn.MLP([3, 4, 2], init=init, rng=10).state_dict()
        assert not np.array_equal(t["layers.0.weight"], other["layers.0.weight"])


def test_value_engine_batch_gives_one_list_per_example() -> None:
    net = nn.MLP([2, 2, 3], output_activation="softmax", engine="value", rng=0)
    out = net([[1.0, 2.0], [3.0, 4.0]])
    assert [len(row) for row in out] == [3, 3]
    assert sum(v.data for v in out[1]) == pytest.approx(1.0, abs=1e-15)
    ref = nn.MLP([2, 2, 3], output_activation="softmax", rng=0)(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_allclose([[v.data for v in row] for row in out], ref.data, rtol=1e-13)


def test_zero_grad_and_repr() -> None:
    net = nn.MLP([2, 2, 1], rng=0)
    nn.mse_loss(net(np.ones((1, 2))), np.zeros((1, 1))).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert repr(net) == (
        "MLP(\n  sizes=[2, 2, 1], engine='tensor'\n  (layers): Sequential(\n"
        "    (0): Linear(n_in=2, n_out=2)\n    (1): Sigmoid()\n    (2): Linear(n_in=2, n_out=1)\n  )\n)")
    vnet = nn.MLP([1, 1], engine="value", rng=0)
    nn.mse_loss(vnet([1.0]), [0.0]).backward()
    vnet.zero_grad()
    assert all(p.grad == 0.0 for p in vnet.parameters())


def test_custom_module_registers_in_order() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = Tensor([2.0], requires_grad=True)
            self.body = nn.Linear(2, 1, rng=0)
            self.constant = Tensor([5.0])  # no grad: not a parameter

        def forward(self, x: Tensor) -> Tensor:
            return self.body(x) * self.scale

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "body.weight", "body.bias"]
    assert net(np.ones((1, 2))).scope == "Net"

    class Forgot(nn.Module):
        def __init__(self) -> None:
            self.w = Tensor([1.0], requires_grad=True)

    with pytest.raises(TypeError, match="call super\\(\\).__init__\\(\\)"):
        Forgot()


def test_load_state_dict_checks_everything_first() -> None:
    net = nn.MLP([2, 3, 1], rng=0)
    before = net.state_dict()
    bad = dict(before)
    bad["layers.2.bias"] = np.zeros(2)
    bad["layers.0.weight"] = before["layers.0.weight"] + 1
    with pytest.raises(ValueError, match=r"'layers.2.bias' has shape \(2,\), the parameter has shape \(1,\)"):
        net.load_state_dict(bad)
    after = net.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


@pytest.mark.parametrize("bad, message", [
    (lambda: nn.MLP([3]), "at least an input and an output"),
    (lambda: nn.MLP([2, 1], activation="softmax"), "activation must be"),
    (lambda: nn.MLP([2, 1], output_activation="swish"), "output_activation must be"),
    (lambda: nn.MLP([2, 1], engine="jax"), "engine must be"),
    (lambda: nn.MLP([2, 1], engine="value", dtype=np.float32), "float64"),
    (lambda: nn.Linear(0, 2), "n_in must be a positive integer"),
    (lambda: nn.Linear(2, 2, init="glorot"), "unknown init 'glorot'"),
    (lambda: nn.Linear(2, 3, init=lambda a, b, rng: np.zeros((a, b))), r"returned shape \(2, 3\), expected"),
])
def test_constructor_errors(bad: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bad()


def test_shared_layer_is_listed_once() -> None:
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(2, 2, rng=0)
            self.b = self.a

        def forward(self, x: Tensor) -> Tensor:
            return self.b(self.a(x))

    net = Tied()
    assert [n for n, _ in net.named_parameters()] == ["a.weight", "a.bias"]
    assert [n for n, _ in net.named_modules()] == ["", "a"]
    with pytest.raises(ValueError, match="more than once"):
        nn.optim.SGD([net.a.weight, net.b.weight], lr=0.1)


@pytest.mark.parametrize("model", [lambda: nn.MLP([2, 3, 1], rng=0), lambda: nn.Linear(2, 3, rng=0)])
@pytest.mark.parametrize("x", [
    lambda: [Value(1.0), Value(2.0)],
    lambda: [[Value(1.0), 2.0]],
    lambda: np.array([Value(1.0), Value(2.0)], dtype=object),
])
def test_values_fed_to_the_tensor_engine_point_to_engine_value(model: Callable[[], nn.Module],
                                                               x: Callable[[], object]) -> None:
    with pytest.raises(TypeError, match=r"Linear\(2 -> 3\): got Values.*engine='value'"):
        model()(x())
    assert model()([[1.0, 2.0]]).shape[0] == 1  # negative control: plain numbers in lists still work
