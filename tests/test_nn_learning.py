"""Learning actually happens: XOR and two moons are fitted from a fixed seed."""

from __future__ import annotations

import numpy as np

import nn
from autograd import Value

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def two_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles: label 0 on (cos t, sin t), label 1 on (1 - cos t, 1/2 - sin t)."""
    t = rng.uniform(0.0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label == 0, np.cos(t), 1.0 - np.cos(t))
    y = np.where(label == 0, np.sin(t), 0.5 - np.sin(t))
    return np.stack([x, y], axis=1) + noise * rng.normal(size=(n, 2)), label


def fit(net: nn.MLP, X: np.ndarray, Y: np.ndarray, opt: nn.optim.Optimizer, steps: int) -> float:
    """Full-batch training on binary cross-entropy from logits; returns training accuracy."""
    for _ in range(steps):
        opt.zero_grad()
        nn.binary_cross_entropy_with_logits(net(X), Y).backward()
        opt.step()
    return float(((net(X).data > 0) == (Y > 0.5)).mean())


def test_xor_2_4_1_tanh_reaches_100_percent() -> None:
    net = nn.MLP([2, 4, 1], activation="tanh", rng=0)
    assert fit(net, XOR_X, XOR_Y, nn.optim.SGD(net.parameters(), lr=0.5, momentum=0.9), 300) == 1.0


def test_negative_control_a_linear_model_cannot_learn_xor() -> None:
    net = nn.MLP([2, 1], rng=0)
    assert fit(net, XOR_X, XOR_Y, nn.optim.SGD(net.parameters(), lr=0.5, momentum=0.9), 300) <= 0.75


def test_xor_on_the_value_engine_with_mse() -> None:
    net = nn.MLP([2, 4, 1], activation="tanh", output_activation="sigmoid", engine="value", rng=0)
    opt = nn.optim.SGD(net.parameters(), lr=2.0)
    rows = [list(x) for x in XOR_X]
    for _ in range(300):
        opt.zero_grad()
        loss = nn.mse_loss(net(rows), XOR_Y)
        assert isinstance(loss, Value)
        loss.backward()
        opt.step()
    predictions = np.array([[a.data for a in out] for out in net(rows)])
    assert ((predictions > 0.5) == (XOR_Y > 0.5)).all()


def test_two_moons_reaches_97_percent() -> None:
    rng = np.random.default_rng(0)
    X, label = two_moons(300, 0.2, rng)
    net = nn.MLP([2, 16, 16, 1], activation="tanh", init="xavier_uniform", rng=rng)
    accuracy = fit(net, X, label[:, None].astype(np.float64), nn.optim.Adam(net.parameters(), lr=0.02), 400)
    assert accuracy >= 0.97
