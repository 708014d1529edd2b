"""The layers of issue 15, items 6 and 7: train/eval mode, ``Dropout``, ``Flatten``, ``Linear(bias=False)``,
``Softmax(axis)``, the activation modules of the new ops, and ``Linear``'s default init (PyTorch's)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor, Value
from autograd.extend import topological_order

# -- train / eval ------------------------------------------------------------------------------------


def test_train_and_eval_set_every_module_and_return_it() -> None:
    net = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Dropout(0.5), nn.MLP([3, 2, 1], rng=0))
    modules = [m for _, m in net.named_modules()]
    assert len(modules) == 8 and all(m.training for m in modules)  # on by default, as PyTorch's
    assert net.eval() is net and not any(m.training for m in modules)
    assert net.train() is net and all(m.training for m in modules)
    mlp = net[2]
    assert isinstance(mlp, nn.MLP) and mlp.train(False) is mlp
    assert not mlp.layers.training and not mlp.layers[0].training and net[1].training
    with pytest.raises(TypeError, match="train: mode must be True or False, got 'eval'"):
        net.train("eval")  # type: ignore[arg-type]


# -- Dropout -----------------------------------------------------------------------------------------


@given(st.sampled_from([0.1, 0.5, 0.8]), st.integers(0, 2**32 - 1))
def test_dropout_zeroes_p_and_scales_the_rest(p: float, seed: int) -> None:
    x = Tensor(np.full((200, 50), 3.0), requires_grad=True)
    out = nn.Dropout(p, rng=seed)(x)
    kept = out.data != 0
    assert abs(1 - kept.mean() - p) < 0.03  # 10,000 draws: the drop rate is p within 4 σ
    np.testing.assert_allclose(out.data[kept], 3.0 / (1 - p), rtol=1e-15)  # inverted: E[out] = x
    out.sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad, kept / (1 - p))  # ∂out/∂x is the mask


def test_dropout_is_the_identity_in_eval_mode_and_at_p_0() -> None:
    x = Tensor(np.ones((3, 4)))
    assert nn.Dropout(0.5, rng=0).eval()(x) is x
    assert nn.Dropout(0.0, rng=0)(x) is x
    values = [Value(1.0), Value(2.0)]
    assert nn.Dropout(0.9, rng=0).eval()(values) is values


def test_dropout_draws_a_fresh_mask_each_call_and_repeats_with_a_seed() -> None:
    x = Tensor(np.ones((10, 10)))
    drop = nn.Dropout(0.5, rng=1)
    first, second = drop(x).data, drop(x).data
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(nn.Dropout(0.5, rng=1)(x).data, first)


@pytest.mark.parametrize("batch", [True, False])
def test_dropout_gives_the_same_mask_on_both_engines(batch: bool) -> None:
    x: Any = np.arange(1.0, 13.0).reshape(3, 4) if batch else np.arange(1.0, 5.0)
    tensor = nn.Dropout(0.4, rng=5)(Tensor(x)).data
    xs: Any = [[Value(float(v)) for v in row] for row in x] if batch else [Value(float(v)) for v in x]
    out = nn.Dropout(0.4, rng=5)(xs)
    got = np.array([[v.data for v in row] for row in out] if batch else [v.data for v in out])
    np.testing.assert_array_equal(got, tensor)
    leaves = [n.label for n in topological_order(out[0][0] if batch else out[0]) if n.op is None]
    assert sorted(leaves, key=str) == ([None, "mask[0][0]"] if batch else [None, "mask[0]"])  # x, mask


def test_dropout_keeps_the_dtype_and_takes_arrays() -> None:
    out = nn.Dropout(0.5, rng=0)(Tensor(np.ones((4, 4), np.float32)))
    assert out.dtype == np.float32 and set(np.unique(out.data)) <= {0.0, 2.0}
    assert isinstance(nn.Dropout(0.5, rng=0)(np.ones((2, 2))), Tensor)


@pytest.mark.parametrize("p", [1.0, -0.1, 2, True, "0.5"])
def test_dropout_p_must_be_a_probability_below_1(p: Any) -> None:
    with pytest.raises(ValueError, match=r"Dropout: p is the probability of dropping an element, 0 <= p < 1"):
        nn.Dropout(p)


def test_dropout_in_a_network_reads_the_mode() -> None:
    net = nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Dropout(0.5, rng=0), nn.Linear(8, 2, rng=1))
    x = np.random.default_rng(0).normal(size=(5, 4))
    assert not np.array_equal(net(x).data, net(x).data)  # training: a new mask each time
    net.eval()
    np.testing.assert_array_equal(net(x).data, net(x).data)
    assert repr(net[2]) == "Dropout(p=0.5)"


# -- Flatten, Linear(bias=False), Softmax(axis) ------------------------------------------------------


def test_flatten_joins_the_axes_as_pytorch_does() -> None:
    x = Tensor(np.arange(120.0).reshape(2, 3, 4, 5), requires_grad=True)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert nn.Flatten(start_axis=-2)(x).shape == (2, 3, 20)
    nn.Flatten()(x).sum().backward()
    assert x.grad is not None and x.grad.shape == (2, 3, 4, 5)
    assert nn.Flatten()(np.zeros((2, 2, 2))).shape == (2, 4)
    rows = nn.Flatten()(np.array([[[Value(1.0), Value(2.0)]], [[Value(3.0), Value(4.0)]]], dtype=object))
    assert [[v.data for v in row] for row in rows] == [[1.0, 2.0], [3.0, 4.0]]  # value-engine rows
    with pytest.raises(ValueError, match=r"Flatten\(start_axis=1, end_axis=-1\): input of shape \(3,\)"):
        nn.Flatten()(Tensor(np.ones(3)))
    torch = pytest.importorskip("torch")
    for start, end in [(1, -1), (0, 1), (1, 2), (-2, -1)]:
        assert torch.nn.Flatten(start, end)(torch.zeros(2, 3, 4, 5)).shape == nn.Flatten(start, end)(x).shape


@pytest.mark.parametrize("engine", ["tensor", "value"])
def test_linear_without_bias(engine: str) -> None:
    lin = nn.Linear(3, 2, rng=4, bias=False, engine=engine)
    assert lin.bias is None and list(lin.state_dict()) == ["weight"]
    W = lin.state_dict()["weight"]
    np.testing.assert_array_equal(W, nn.Linear(3, 2, rng=4, engine=engine).state_dict()["weight"])
    x = np.array([0.5, -1.0, 2.0])
    out = lin(x)
    got = out.data if engine == "tensor" else np.array([v.data for v in out])
    np.testing.assert_allclose(got, W @ x, rtol=1e-15)
    assert repr(lin).startswith("Linear(n_in=3, n_out=2, bias=False")
    if engine == "value":
        assert not any(n.label and n.label.startswith("b") for n in topological_order(out[0]))
    with pytest.raises(TypeError, match="bias must be True or False"):
        nn.Linear(3, 2, bias=None)  # type: ignore[arg-type]


def test_softmax_along_an_axis() -> None:
    z = np.random.default_rng(2).normal(size=(3, 4))
    for axis in (0, 1, -1):
        e = np.exp(z - z.max(axis, keepdims=True))
        want = e / e.sum(axis, keepdims=True)
        np.testing.assert_allclose(nn.Softmax(axis)(Tensor(z)).data, want, rtol=1e-14)
    assert repr(nn.Softmax(0)) == "Softmax(axis=0)" and repr(nn.Softmax()) == "Softmax(axis=-1)"
    with pytest.raises(ValueError, match=r"Softmax\(axis=0\): the value engine takes softmax over each"):
        nn.Softmax(0)([Value(1.0), Value(2.0)])


# -- the activation modules of the new ops -----------------------------------------------------------

ACTIVATIONS: list[tuple[Callable[[], nn.layers.Activation], Callable[[np.ndarray], np.ndarray], str]] = [
    (nn.SiLU, lambda z: z / (1 + np.exp(-z)), "SiLU()"),
    (nn.Softplus, lambda z: np.log1p(np.exp(z)), "Softplus()"),
    (nn.LeakyReLU, lambda z: np.where(z > 0, z, 0.01 * z), "LeakyReLU(slope=0.01)"),
    (lambda: nn.LeakyReLU(0.2), lambda z: np.where(z > 0, z, 0.2 * z), "LeakyReLU(slope=0.2)"),
    (nn.ELU, lambda z: np.where(z > 0, z, np.expm1(z)), "ELU(alpha=1.0)"),
    (lambda: nn.ELU(0.5), lambda z: np.where(z > 0, z, 0.5 * np.expm1(z)), "ELU(alpha=0.5)"),
    (nn.GELU, lambda z: 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3))), "GELU()"),
]


@pytest.mark.parametrize("make, ref, text", ACTIVATIONS)
def test_activation_modules_on_both_engines(make: Callable[[], nn.layers.Activation],
                                            ref: Callable[[np.ndarray], np.ndarray], text: str) -> None:
    z = np.array([[-2.0, -0.3, 0.4, 3.0], [1.5, -1.0, 0.1, -4.0]])
    module = make()
    np.testing.assert_allclose(module(Tensor(z)).data, ref(z), rtol=1e-14, atol=1e-15)
    values = module([[Value(v) for v in row] for row in z])
    np.testing.assert_allclose([[v.data for v in row] for row in values], ref(z), rtol=1e-14, atol=1e-15)
    assert repr(module) == text


@pytest.mark.parametrize("name, torch_name, kwargs", [
    ("SiLU", "SiLU", {}), ("Softplus", "Softplus", {}), ("ELU", "ELU", {"alpha": 0.7}),
    ("LeakyReLU", "LeakyReLU", {}), ("GELU", "GELU", {}),
])
def test_activation_modules_agree_with_torch(name: str, torch_name: str, kwargs: dict[str, float]) -> None:
    torch = pytest.importorskip("torch")
    z = np.linspace(-6, 6, 37)
    zt, tz = Tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    torch_kwargs = {"approximate": "tanh"} if name == "GELU" else kwargs  # ours is the tanh form, named so
    ours, theirs = getattr(nn, name)(**kwargs)(zt), getattr(torch.nn, torch_name)(**torch_kwargs)(tz)
    atol = 1e-14 if name == "GELU" else 1e-15  # the tails: x³ terms rounded in another order than torch's
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=atol)
    ours.sum().backward()
    theirs.sum().backward()
    assert zt.grad is not None and tz.grad is not None
    np.testing.assert_allclose(zt.grad, tz.grad.numpy(), rtol=1e-12, atol=atol)


def test_mlp_takes_the_new_activations_by_name() -> None:
    net = nn.MLP([2, 3, 1], activation="silu", output_activation="softplus", rng=0)
    assert [type(m).__name__ for m in net.layers] == ["Linear", "SiLU", "Linear", "Softplus"]
    out = net(np.ones((1, 2)))
    assert out.label == "a[2]" and out.scope == "MLP.layer2.Softplus"


# -- the default init (item 7) -----------------------------------------------------------------------


def test_linear_defaults_to_pytorchs_init_on_both_engines() -> None:
    n_in, n_out = 400, 300
    t = nn.Linear(n_in, n_out, rng=3).state_dict()
    for k, v in nn.Linear(n_in, n_out, rng=3, engine="value").state_dict().items():
        np.testing.assert_array_equal(v, t[k])
    explicit = nn.Linear(n_in, n_out, init="pytorch", rng=3).state_dict()
    assert all(np.array_equal(explicit[k], t[k]) for k in t)
    r = 1 / math.sqrt(n_in)
    for name in ("weight", "bias"):
        assert np.abs(t[name]).max() <= r and np.abs(t[name]).max() > 0.99 * r
    assert t["weight"].var() == pytest.approx(r * r / 3, rel=0.02)  # U(-r, r)
    assert t["weight"].mean() == pytest.approx(0.0, abs=4 * r / math.sqrt(3 * n_in * n_out))
    old = nn.Linear(n_in, n_out, init="uniform", rng=3).state_dict()["weight"]
    assert np.abs(old).max() > 0.99 and old.var() == pytest.approx(1 / 3, rel=0.02)  # the study's U(-1, 1)


def test_default_init_matches_torch_linears_distribution() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.Linear(200, 100)
    ours = nn.Linear(200, 100, rng=0).state_dict()
    for name in ("weight", "bias"):
        theirs = getattr(ref, name).detach().numpy()
        assert np.abs(theirs).max() <= 1 / math.sqrt(200) and np.abs(ours[name]).max() <= 1 / math.sqrt(200)
        assert ours[name].std() == pytest.approx(theirs.std(), rel=0.1 if name == "weight" else 0.3)


def test_a_784_256_10_net_starts_with_modest_logits() -> None:
    """The issue's claim: under U(-1, 1) a 784-256-10 ReLU net starts with logits in the tens or
    hundreds (softmax one-hot, cross-entropy huge); under PyTorch's init they are below 1."""
    x = np.random.default_rng(0).uniform(size=(256, 784))  # pixels in [0, 1]

    def logits(init: str) -> np.ndarray:
        net = nn.Sequential(nn.Linear(784, 256, init=init, rng=0), nn.ReLU(),
                            nn.Linear(256, 10, init=init, rng=1))
        return net(x).data

    assert logits("pytorch").std() < 1.0
    assert logits("uniform").std() > 30.0
