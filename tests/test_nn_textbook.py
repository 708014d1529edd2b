"""The heart of the suite: autograd's gradients of ``nn.MLP`` (on both engines)
equal the hand-derived delta formulas of ``nn.textbook`` to float64 round-off."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nn
from autograd import Value

OUTPUTS_FOR = {
    "mse_loss": [None, "sigmoid", "tanh", "relu", "softmax"],
    "cross_entropy": [None],
    "binary_cross_entropy_with_logits": [None],
}
TOL = 1e-10
Z_BOUND = 6.0
"""Pre-activations stay within |z| <= 6, where σ' is well conditioned.  Far out, a = tanh z
(or σ(z)) lies within rounding of ±1 (or 0, 1) and 1 - a² keeps few correct digits: two
correct programs that round z differently in the last bit (the value engine sums
b + Σ w x in its own order, BLAS in another) then differ in σ' by ~ε/σ' relative --
1e-8 at |z| = 10 -- which says nothing about backpropagation."""


@dataclass
class Case:
    sizes: list[int]
    activation: str
    loss: str
    output_activation: str | None
    X: np.ndarray
    Y: np.ndarray
    state: dict[str, np.ndarray]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    depth = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 12), min_size=depth + 1, max_size=depth + 1))
    activation = draw(st.sampled_from(["sigmoid", "tanh", "relu"]))
    loss = draw(st.sampled_from(sorted(OUTPUTS_FOR)))
    output = draw(st.sampled_from(OUTPUTS_FOR[loss]))
    batch = draw(st.integers(1, 6))
    scale = draw(st.sampled_from([0.3, 0.7, 1.2]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.normal(size=(batch, sizes[0]))
    n_out = sizes[-1]
    if loss == "cross_entropy" and draw(st.booleans()):
        Y = rng.integers(0, n_out, size=batch)
    elif loss == "cross_entropy":
        Y = rng.dirichlet(np.ones(n_out), size=batch)
    elif loss == "binary_cross_entropy_with_logits":
        Y = rng.uniform(0.0, 1.0, size=(batch, n_out))
    else:
        Y = rng.normal(size=(batch, n_out))
    state = {}
    for k, (n_in, n) in enumerate(zip(sizes[:-1], sizes[1:])):
        state[f"layers.{2 * k}.weight"] = scale * rng.normal(size=(n, n_in)) / np.sqrt(n_in)
        state[f"layers.{2 * k}.bias"] = scale * rng.normal(size=n)
    case = Case(sizes, activation, loss, output, X, Y, state)
    Zs, _ = nn.textbook.forward(*weights_and_biases(case), X, activation, model_output(case))
    assume(max(float(np.abs(Z).max()) for Z in Zs) <= Z_BOUND)
    return case


def weights_and_biases(case: Case) -> tuple[list[np.ndarray], list[np.ndarray]]:
    n = len(case.sizes) - 1
    return ([case.state[f"layers.{2 * k}.weight"] for k in range(n)],
            [case.state[f"layers.{2 * k}.bias"] for k in range(n)])


def build(case: Case, engine: str) -> nn.MLP:
    out_act = case.output_activation
    net = nn.MLP(case.sizes, activation=case.activation, output_activation=out_act, engine=engine, rng=0)
    net.load_state_dict(case.state)
    return net


def loss_of(case: Case, pred: Any) -> Any:
    if case.loss == "mse_loss":
        return nn.mse_loss(pred, case.Y)
    if case.loss == "cross_entropy":
        return nn.cross_entropy(pred, case.Y)
    return nn.binary_cross_entropy_with_logits(pred, case.Y)


def grads_of(net: nn.MLP) -> list[np.ndarray]:
    """[dW(1), db(1), dW(2), ...] of a net after backward, on either engine."""
    out = []
    for layer in net.linears():
        for holder in (layer.weight, layer.bias):
            if isinstance(holder, np.ndarray):
                out.append(np.array([v.grad for v in holder.flat]).reshape(holder.shape))
            else:
                assert holder.grad is not None
                out.append(holder.grad)
    return out


def model_output(case: Case) -> str | None:
    """The output activation the textbook must use to describe the model's loss."""
    return {"mse_loss": case.output_activation, "cross_entropy": "softmax",
            "binary_cross_entropy_with_logits": "sigmoid"}[case.loss]


def textbook_grads(case: Case, out: str | None) -> tuple[list[np.ndarray], float]:
    Ws, bs = weights_and_biases(case)
    Zs, As = nn.textbook.forward(Ws, bs, case.X, case.activation, out)
    dWs, dbs = nn.textbook.backward(Ws, Zs, As, case.Y, case.activation, case.loss, out)
    grads = [g for pair in zip(dWs, dbs) for g in pair]
    return grads, nn.textbook.cost(As[-1], case.Y, case.loss, Z_L=Zs[-1])


FLOOR = 1e-5
"""Gradients that are exactly zero in exact arithmetic (a one-class softmax) come out
as round-off, ~1e-16; relative error is measured against at least this scale."""


def worst_relative(got: list[np.ndarray], want: list[np.ndarray]) -> float:
    """max over arrays of max|got - want| / max(max|want|, FLOOR)."""
    worst = 0.0
    for g, w in zip(got, want):
        assert g.shape == w.shape
        worst = max(worst, float(np.abs(g - w).max()) / max(float(np.abs(w).max()), FLOOR))
    return worst


def autograd_grads(case: Case, engine: str) -> tuple[list[np.ndarray], float]:
    net = build(case, engine)
    if engine == "tensor":
        loss: Any = loss_of(case, net(case.X))
        loss.backward()
        return grads_of(net), loss.item()
    loss = loss_of(case, net([list(row) for row in case.X]))
    assert isinstance(loss, Value)
    loss.backward()
    return grads_of(net), loss.data


@pytest.mark.parametrize("engine", ["tensor", "value"])
@given(case=cases())
def test_autograd_equals_textbook(engine: str, case: Case) -> None:
    got, got_loss = autograd_grads(case, engine)
    want, want_loss = textbook_grads(case, model_output(case))
    assert worst_relative(got, want) <= TOL
    assert got_loss == pytest.approx(want_loss, rel=1e-12, abs=1e-300)


@given(case=cases())
def test_engines_agree_on_outputs(case: Case) -> None:
    tensor_out = build(case, "tensor")(case.X).data
    value_out = build(case, "value")([list(row) for row in case.X])
    got = np.array([[v.data for v in row] for row in value_out])
    np.testing.assert_allclose(got, tensor_out, rtol=1e-12, atol=1e-14)


def fixed_case(loss: str, output: str | None, activation: str = "sigmoid") -> Case:
    rng = np.random.default_rng(7)
    sizes = [3, 5, 4, 2]
    X = rng.normal(size=(4, 3))
    Y = np.eye(2)[[0, 1, 1, 0]] if loss != "mse_loss" else rng.normal(size=(4, 2))
    state = {}
    for k, (n_in, n) in enumerate(zip(sizes[:-1], sizes[1:])):
        state[f"layers.{2 * k}.weight"] = rng.normal(size=(n, n_in))
        state[f"layers.{2 * k}.bias"] = rng.normal(size=n)
    return Case(sizes, activation, loss, output, X, Y, state)


@pytest.mark.parametrize("engine", ["tensor", "value"])
@pytest.mark.parametrize("wrong_output", ["tanh", None, "softmax"])
def test_negative_control_wrong_output_derivative_is_caught(engine: str, wrong_output: str | None) -> None:
    case = fixed_case("mse_loss", "sigmoid")
    got, _ = autograd_grads(case, engine)
    want, _ = textbook_grads(case, wrong_output)
    assert worst_relative(got, want) > 1e-3
    right, _ = textbook_grads(case, "sigmoid")
    assert worst_relative(got, right) <= TOL


def test_negative_control_wrong_hidden_derivative_is_caught() -> None:
    case = fixed_case("cross_entropy", None, activation="tanh")
    got, _ = autograd_grads(case, "tensor")
    wrong = Case(case.sizes, "sigmoid", case.loss, None, case.X, case.Y, case.state)
    Ws = [case.state[f"layers.{2 * k}.weight"] for k in range(3)]
    bs = [case.state[f"layers.{2 * k}.bias"] for k in range(3)]
    Zs, As = nn.textbook.forward(Ws, bs, case.X, "tanh", "softmax")
    dWs, dbs = nn.textbook.backward(Ws, Zs, As, case.Y, wrong.activation, case.loss)
    assert worst_relative(got, [g for pair in zip(dWs, dbs) for g in pair]) > 1e-3


def test_negative_control_perturbed_gradient_is_caught() -> None:
    case = fixed_case("binary_cross_entropy_with_logits", None)
    got, _ = autograd_grads(case, "tensor")
    want, _ = textbook_grads(case, "sigmoid")
    want[2] = want[2].copy()
    want[2][0, 0] *= 1 + 1e-8
    assert worst_relative(got, want) > TOL


def test_bce_gradient_at_zero_logit_is_sigmoid_minus_target() -> None:
    z = nn.Linear(1, 1, init=lambda n_in, n_out, rng: np.zeros((1, 1)))
    loss = nn.binary_cross_entropy_with_logits(z(np.array([[1.0]])), np.array([[1.0]]))
    loss.backward()
    assert z.bias.grad is not None
    assert z.bias.grad[0] == -0.5  # σ(0) - 1, where relu/|z| forms would give -1


def test_textbook_mse_matches_column_formula_by_hand() -> None:
    rng = np.random.default_rng(3)
    W1, b1, W2, b2 = rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=(1, 3)), rng.normal(size=1)
    x, y = rng.normal(size=2), np.array([0.3])
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    a1 = sig(W1 @ x + b1)
    a2 = sig(W2 @ a1 + b2)
    d2 = 2 * (a2 - y) * a2 * (1 - a2)
    d1 = (W2.T @ d2) * a1 * (1 - a1)
    Zs, As = nn.textbook.forward([W1, W2], [b1, b2], x[None, :], "sigmoid", "sigmoid")
    dWs, dbs = nn.textbook.backward([W1, W2], Zs, As, y[None, :], "sigmoid", "mse_loss", "sigmoid")
    np.testing.assert_allclose(dWs[0], np.outer(d1, x), rtol=1e-13)
    np.testing.assert_allclose(dWs[1], np.outer(d2, a1), rtol=1e-13)
    np.testing.assert_allclose(dbs[0], d1, rtol=1e-13)
    np.testing.assert_allclose(dbs[1], d2, rtol=1e-13)


def test_textbook_errors_name_the_problem() -> None:
    W, b = [np.ones((2, 3))], [np.zeros(2)]
    with pytest.raises(ValueError, match="layer 1: A\\(0\\) has 4 columns"):
        nn.textbook.forward(W, b, np.ones((1, 4)), "sigmoid")
    Zs, As = nn.textbook.forward(W, b, np.ones((1, 3)), "sigmoid")
    with pytest.raises(ValueError, match="loss must be one of"):
        nn.textbook.backward(W, Zs, As, np.ones((1, 2)), "sigmoid", "l1")
    with pytest.raises(ValueError, match="implies output activation 'softmax'"):
        nn.textbook.backward(W, Zs, As, np.ones((1, 2)), "sigmoid", "cross_entropy", "tanh")
    with pytest.raises(ValueError, match="targets have shape \\(1, 3\\)"):
        nn.textbook.backward(W, Zs, As, np.ones((1, 3)), "sigmoid", "mse_loss")


def test_mlp_and_textbook_share_one_default_output_activation() -> None:
    """Both default to None (A(L) = Z(L), the logits), so the defaults describe the same net:
    nn.cross_entropy of the MLP's output is the textbook's "cross_entropy" of its forward."""
    forward_default = inspect.signature(nn.textbook.forward).parameters["output_activation"].default
    assert inspect.signature(nn.MLP).parameters["output_activation"].default is None is forward_default
    case = fixed_case("cross_entropy", None, activation="tanh")
    net = nn.MLP(case.sizes, activation="tanh", rng=0)
    net.load_state_dict(case.state)
    Ws, bs = weights_and_biases(case)
    Zs, As = nn.textbook.forward(Ws, bs, case.X, "tanh")
    np.testing.assert_allclose(net(case.X).data, As[-1], rtol=1e-13)
    nn.cross_entropy(net(case.X), case.Y).backward()
    dWs, dbs = nn.textbook.backward(Ws, Zs, As, case.Y, "tanh", "cross_entropy")
    assert worst_relative(grads_of(net), [g for pair in zip(dWs, dbs) for g in pair]) <= TOL
