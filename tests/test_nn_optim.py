"""Each optimizer follows the design's update rule exactly, computed by hand here,
on Tensor and Value parameters; state_dict lets training resume bit for bit."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given

import nn
from autograd import Tensor, Value
from tests.strategies import arrays, floats

GRADS = [np.array([[0.5, -1.0], [2.0, 0.0]]), np.array([[-0.25, 3.0], [1.0, 1e-3]]),
         np.array([[1.5, -0.5], [-2.0, 4.0]]), np.array([[0.1, 0.2], [0.3, -0.4]])]
THETA0 = np.array([[1.0, -2.0], [0.5, 3.0]])


def run_tensor(make: Callable[[list[Any]], nn.optim.Optimizer], grads: list[np.ndarray],
               theta0: np.ndarray = THETA0) -> list[np.ndarray]:
    p = Tensor(theta0, requires_grad=True)
    opt = make([p])
    out = []
    for g in grads:
        p.grad = g.copy()
        opt.step()
        out.append(p.data.copy())
    return out


def run_values(make: Callable[[list[Any]], nn.optim.Optimizer], grads: list[np.ndarray],
               theta0: np.ndarray = THETA0) -> list[np.ndarray]:
    ps = [Value(float(x)) for x in theta0.flat]
    opt = make(ps)
    out = []
    for g in grads:
        for p, gi in zip(ps, g.flat):
            p.grad = float(gi)
        opt.step()
        out.append(np.array([p.data for p in ps]).reshape(theta0.shape))
    return out


def by_hand_sgd(lr: float, momentum: float, grads: list[np.ndarray]) -> list[np.ndarray]:
    theta, v, out = THETA0.copy(), np.zeros_like(THETA0), []
    for g in grads:
        if momentum:
            v = momentum * v + lr * g
            theta = theta - v
        else:
            theta = theta - lr * g
        out.append(theta)
    return out


def by_hand_rmsprop(lr: float, beta: float, eps: float, grads: list[np.ndarray]) -> list[np.ndarray]:
    theta, E, out = THETA0.copy(), np.zeros_like(THETA0), []
    for g in grads:
        E = beta * E + (1 - beta) * g**2
        theta = theta - lr * g / np.sqrt(E + eps)
        out.append(theta)
    return out


def by_hand_adam(lr: float, b1: float, b2: float, eps: float, grads: list[np.ndarray],
                 correct: bool = True) -> list[np.ndarray]:
    theta, m, v, out = THETA0.copy(), np.zeros_like(THETA0), np.zeros_like(THETA0), []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t) if correct else m
        v_hat = v / (1 - b2**t) if correct else v
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(theta)
    return out


RUNNERS = [run_tensor, run_values]


def assert_trajectory(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    for step, (g, w) in enumerate(zip(got, want), start=1):
        np.testing.assert_allclose(g, w, rtol=1e-14, atol=1e-15, err_msg=f"step {step}")


@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("steps", [1, 4])
def test_sgd(run: Callable[..., list[np.ndarray]], momentum: float, steps: int) -> None:
    got = run(lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=momentum), GRADS[:steps])
    assert_trajectory(got, by_hand_sgd(0.1, momentum, GRADS[:steps]))


@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize("steps", [1, 4])
def test_rmsprop(run: Callable[..., list[np.ndarray]], steps: int) -> None:
    got = run(lambda ps: nn.optim.RMSProp(ps, lr=0.01, beta=0.8, eps=1e-6), GRADS[:steps])
    assert_trajectory(got, by_hand_rmsprop(0.01, 0.8, 1e-6, GRADS[:steps]))


@pytest.mark.parametrize("run", RUNNERS)
def test_adam_bias_correction_at_t_1_2_3(run: Callable[..., list[np.ndarray]]) -> None:
    got = run(lambda ps: nn.optim.Adam(ps, lr=0.01, betas=(0.8, 0.9), eps=1e-8), GRADS[:3])
    assert_trajectory(got, by_hand_adam(0.01, 0.8, 0.9, 1e-8, GRADS[:3]))
    # at t = 1 the corrected step is lr * g / (|g| + eps): about lr, whatever g's size
    first = THETA0 - got[0]
    g = GRADS[0]
    np.testing.assert_allclose(first, 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_negative_control_adam_without_bias_correction_differs() -> None:
    got = run_tensor(lambda ps: nn.optim.Adam(ps, lr=0.01, betas=(0.8, 0.9)), GRADS[:3])
    wrong = by_hand_adam(0.01, 0.8, 0.9, 1e-8, GRADS[:3], correct=False)
    for g, w in zip(got, wrong):
        assert not np.allclose(g, w, rtol=1e-6, atol=0)


def test_negative_control_rmsprop_with_eps_outside_sqrt_differs() -> None:
    got = run_tensor(lambda ps: nn.optim.RMSProp(ps, lr=0.01, beta=0.8, eps=1e-2), GRADS[:2])
    theta, E = THETA0.copy(), np.zeros_like(THETA0)
    for g in GRADS[:2]:
        E = 0.8 * E + 0.2 * g**2
        theta = theta - 0.01 * g / (np.sqrt(E) + 1e-2)
    assert not np.allclose(got[-1], theta, rtol=1e-8, atol=0)


@given(g=arrays((3,), -5.0, 5.0), lr=floats(1e-4, 1.0), b1=floats(0.0, 0.99), b2=floats(0.0, 0.999))
def test_adam_one_step_property(g: np.ndarray, lr: float, b1: float, b2: float) -> None:
    p = Tensor(np.zeros(3), requires_grad=True)
    opt = nn.optim.Adam([p], lr=lr, betas=(b1, b2))
    p.grad = g.copy()
    opt.step()
    m_hat = (1 - b1) * g / (1 - b1)
    v_hat = (1 - b2) * g**2 / (1 - b2)
    np.testing.assert_allclose(p.data, -lr * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-12, atol=1e-300)


def test_params_without_grad_are_skipped_and_adam_counts_per_parameter() -> None:
    a, b = Tensor([1.0], requires_grad=True), Tensor([1.0], requires_grad=True)
    opt = nn.optim.Adam([a, b], lr=0.1)
    a.grad = np.array([1.0])
    opt.step()
    assert b.data[0] == 1.0
    b.grad = np.array([1.0])
    opt.step()
    state = opt.state_dict()
    assert state["t.0"] == 2.0 and state["t.1"] == 1.0
    assert b.data[0] == pytest.approx(1.0 - 0.1 * 1.0 / (1.0 + 1e-8), rel=1e-14)


def test_zero_grad() -> None:
    t, v = Tensor([1.0], requires_grad=True), Value(1.0)
    t.grad, v.grad = np.array([2.0]), 3.0
    nn.optim.SGD([t, v], lr=1.0).zero_grad()
    assert t.grad is None and v.grad == 0.0


@pytest.mark.parametrize("make", [
    lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.5),
    lambda ps: nn.optim.RMSProp(ps, lr=0.01),
    lambda ps: nn.optim.Adam(ps, lr=0.01),
    lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.2),
    lambda ps: nn.optim.RMSProp(ps, lr=0.01, weight_decay=0.1),
    lambda ps: nn.optim.AdamW(ps, lr=0.01),
])
def test_state_dict_resumes_exactly(make: Callable[[list[Any]], nn.optim.Optimizer]) -> None:
    straight = run_tensor(make, GRADS)
    p = Tensor(THETA0, requires_grad=True)
    opt = make([p])
    for g in GRADS[:2]:
        p.grad = g.copy()
        opt.step()
    saved, theta = opt.state_dict(), p.data.copy()
    q = Tensor(theta, requires_grad=True)
    resumed = make([q])
    resumed.load_state_dict(saved)
    assert repr(resumed) == repr(opt)
    for g in GRADS[2:]:
        q.grad = g.copy()
        resumed.step()
    np.testing.assert_array_equal(q.data, straight[-1])
    fresh = make([Tensor(theta, requires_grad=True)])
    fresh_p = fresh.params[0]
    for g in GRADS[2:]:
        fresh_p.grad = g.copy()
        fresh.step()
    assert not np.array_equal(fresh_p.data, straight[-1])  # negative control: the state mattered


def test_state_dict_is_plain_and_load_checks_before_changing() -> None:
    p = Tensor(np.zeros((2, 3)), requires_grad=True)
    opt = nn.optim.Adam([p], lr=0.01)
    state = opt.state_dict()
    assert all(isinstance(v, (float, np.ndarray)) for v in state.values())
    bad = dict(state, **{"m.0": np.zeros((3, 2)), "lr": 5.0})
    expected = r"key 'm.0' has shape \(3, 2\), the optimizer's state has shape \(2, 3\)"
    with pytest.raises(ValueError, match=expected):
        opt.load_state_dict(bad)
    assert opt.lr == 0.01
    missing = {k: v for k, v in state.items() if k != "v.0"}
    with pytest.raises(ValueError, match="missing key 'v.0'"):
        opt.load_state_dict(missing)


@pytest.mark.parametrize("bad", [
    lambda: nn.optim.SGD([], lr=0.1),
    lambda: nn.optim.SGD([Tensor([1.0])], lr=0.1),
    lambda: nn.optim.SGD([Tensor([1.0], requires_grad=True)], lr=-1.0),
    lambda: nn.optim.SGD([Tensor([1.0], requires_grad=True)], lr=0.1, momentum=1.5),
    lambda: nn.optim.Adam([Tensor([1.0], requires_grad=True)], lr=0.1, betas=(0.9, 1.0)),
    lambda: nn.optim.RMSProp([Tensor([1.0], requires_grad=True)], lr=math.nan),
])
def test_bad_arguments_raise_value_error(bad: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        bad()


def test_step_on_a_real_graph_reads_copy_on_write_data() -> None:
    w = Tensor([2.0], requires_grad=True)
    y = (w * w).sum()
    y.backward()
    nn.optim.SGD([w], lr=0.25).step()
    assert w.data[0] == 1.0  # 2 - 0.25 * 4
    assert y.parents[0].inputs[0][0] == 2.0  # the graph kept the values it was computed from


# -- one rule for the constructor and for a loaded state (issue 11, item 13) ---------------------

def one_param() -> list[Any]:
    return [Tensor(np.ones(3), requires_grad=True)]


@pytest.mark.parametrize("make, key, bad, message", [
    (lambda: nn.optim.SGD(one_param(), lr=math.nan), "lr", math.nan, r"lr must be finite and >= 0.0"),
    (lambda: nn.optim.SGD(one_param(), lr=-1.0), "lr", -1.0, r"lr must be finite and >= 0.0"),
    (lambda: nn.optim.SGD(one_param(), lr=0.1, momentum=1.0), "momentum", 1.0,
     r"momentum must be finite and in \[0.0, 1.0\)"),
    (lambda: nn.optim.RMSProp(one_param(), lr=0.1, beta=-0.5), "beta", -0.5,
     r"beta must be finite and in \[0.0, 1.0\)"),
    (lambda: nn.optim.RMSProp(one_param(), lr=0.1, eps=math.inf), "eps", math.inf, r"eps must be finite"),
    (lambda: nn.optim.Adam(one_param(), lr=0.1, betas=(5.0, 0.999)), "beta1", 5.0,
     r"must be finite and in \[0.0, 1.0\)"),
    (lambda: nn.optim.Adam(one_param(), lr=0.1, betas=(0.9, math.nan)), "beta2", math.nan,
     r"must be finite and in \[0.0, 1.0\)"),
])
def test_a_loaded_setting_obeys_the_constructors_rule(make: Callable[[], object], key: str, bad: float,
                                                      message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()
    kind = {"momentum": "SGD", "beta": "RMSProp", "eps": "RMSProp", "beta1": "Adam", "beta2": "Adam"}
    opt = {"SGD": lambda: nn.optim.SGD(one_param(), lr=0.1, momentum=0.5),
           "RMSProp": lambda: nn.optim.RMSProp(one_param(), lr=0.1),
           "Adam": lambda: nn.optim.Adam(one_param(), lr=0.1)}[kind.get(key, "SGD")]()
    good = opt.state_dict()
    opt.load_state_dict(good)  # negative control: its own state loads
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(dict(good, **{key: bad}))
    assert opt.state_dict()[key] == good[key]  # nothing changed


@pytest.mark.parametrize("make, key, bad, message", [
    (lambda: nn.optim.Adam(one_param(), lr=0.1), "t.0", -3.0, "t.0 counts steps.*non-negative integer"),
    (lambda: nn.optim.Adam(one_param(), lr=0.1), "t.0", 1.5, "non-negative integer, got 1.5"),
    (lambda: nn.optim.Adam(one_param(), lr=0.1), "v.0", np.array([1.0, -1.0, 0.0]),
     r"v.0 must be finite and >= 0.0 everywhere, got -1.0 at index \(1,\)"),
    (lambda: nn.optim.Adam(one_param(), lr=0.1), "m.0", np.array([0.0, math.inf, 0.0]),
     r"m.0 must be finite everywhere, got inf"),
    (lambda: nn.optim.Adam([Tensor(np.ones(3), requires_grad=True, dtype=np.float32)], lr=0.1), "m.0",
     np.array([0.0, 1e300, 0.0]), r"m.0 must be finite everywhere, got 1e\+300 .*beyond .* float32"),
    (lambda: nn.optim.RMSProp(one_param(), lr=0.1), "square_avg.0", np.array([0.0, -1e-3, 0.0]),
     "square_avg.0 must be finite and >= 0.0"),
    (lambda: nn.optim.SGD(one_param(), lr=0.1, momentum=0.5), "velocity.0", np.array([math.nan] * 3),
     "velocity.0 must be finite"),
    (lambda: nn.optim.SGD(one_param(), lr=0.1), "momentum", 0.9, "no velocity buffers"),
    (lambda: nn.optim.Adam([Value(1.0)], lr=0.1), "v.0", -2.0, "v.0 must be finite and >= 0.0"),
    (lambda: nn.optim.SGD(one_param(), lr=0.1, momentum=0.9, nesterov=True), "nesterov", 0.5, "on or off"),
    (lambda: nn.optim.SGD(one_param(), lr=0.1, momentum=0.9, nesterov=True), "dampening", 0.5,
     "nesterov momentum needs"),
    (lambda: nn.optim.SGD(one_param(), lr=0.1), "nesterov", 1.0, "nesterov momentum needs momentum > 0"),
    (lambda: nn.optim.SGD(one_param(), lr=0.1, momentum=0.9), "dampening", 0.5, "no step counts"),
    (lambda: nn.optim.SGD(one_param(), lr=0.1, momentum=0.9, dampening=0.5), "t.0", -1.0, "non-negative"),
    (lambda: nn.optim.SGD(one_param(), lr=0.1), "weight_decay", -0.1, "weight_decay must be finite"),
    (lambda: nn.optim.AdamW(one_param(), lr=0.1), "weight_decay", math.nan, "weight_decay must be finite"),
    (lambda: nn.optim.RMSProp(one_param(), lr=0.1), "weight_decay", math.inf, "weight_decay must be finite"),
])
def test_a_loaded_state_is_checked_by_the_update_rules_needs(make: Callable[[], nn.optim.Optimizer], key: str,
                                                              bad: Any, message: str) -> None:
    opt = make()
    good = opt.state_dict()
    opt.load_state_dict(good)  # negative control
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(dict(good, **{key: bad}))
    assert np.array_equal(opt.state_dict()[key], good[key])


# -- weight decay, dampening, Nesterov, AdamW, gradient clipping (issue 15, item 6) -------------

def by_hand_sgd_full(lr: float, momentum: float, dampening: float, wd: float, nesterov: bool,
                     grads: list[np.ndarray]) -> list[np.ndarray]:
    """PyTorch's form: b ← γ b + (1 − τ) g (b ← g at the first step), θ ← θ − η (g + γ b | b)."""
    theta, b, out = THETA0.copy(), None, []
    for g in grads:
        g = g + wd * theta
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
        out.append(theta)
    return out


def by_hand_adam_decay(lr: float, wd: float, decoupled: bool, grads: list[np.ndarray]) -> list[np.ndarray]:
    theta, m, v, out = THETA0.copy(), np.zeros_like(THETA0), np.zeros_like(THETA0), []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            theta = theta * (1 - lr * wd)
        else:
            g = g + wd * theta
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        theta = theta - lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        out.append(theta)
    return out


@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize("momentum, dampening, wd, nesterov", [
    (0.0, 0.0, 0.1, False), (0.9, 0.0, 0.0, True), (0.9, 0.0, 0.1, True), (0.8, 0.3, 0.0, False),
    (0.8, 0.3, 0.05, False), (0.5, 0.0, 0.05, False),
])
def test_sgd_options(run: Callable[..., list[np.ndarray]], momentum: float, dampening: float, wd: float,
                     nesterov: bool) -> None:
    got = run(lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=momentum, dampening=dampening, weight_decay=wd,
                                      nesterov=nesterov), GRADS)
    want = by_hand_sgd_full(0.1, momentum, dampening, wd, nesterov, GRADS)
    for step, (g, w) in enumerate(zip(got, want), start=1):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-14, err_msg=f"step {step}")


def test_negative_control_dampening_the_first_step_differs() -> None:
    got = run_tensor(lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.8, dampening=0.3), GRADS[:1])
    assert np.allclose(got[0], THETA0 - 0.1 * GRADS[0], rtol=1e-14)  # PyTorch: b ← g, undamped
    assert not np.allclose(got[0], THETA0 - 0.1 * 0.7 * GRADS[0], rtol=1e-6)


@pytest.mark.parametrize("run", RUNNERS)
def test_rmsprop_weight_decay(run: Callable[..., list[np.ndarray]]) -> None:
    got = run(lambda ps: nn.optim.RMSProp(ps, lr=0.01, beta=0.8, eps=1e-6, weight_decay=0.1), GRADS)
    theta, E = THETA0.copy(), np.zeros_like(THETA0)
    for step, (g, have) in enumerate(zip(GRADS, got), start=1):
        g = g + 0.1 * theta
        E = 0.8 * E + 0.2 * g**2
        theta = theta - 0.01 * g / np.sqrt(E + 1e-6)
        np.testing.assert_allclose(have, theta, rtol=1e-13, atol=1e-14, err_msg=f"step {step}")


@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_weight_decay_and_adamw(run: Callable[..., list[np.ndarray]], decoupled: bool) -> None:
    kind = nn.optim.AdamW if decoupled else nn.optim.Adam
    got = run(lambda ps: kind(ps, lr=0.05, weight_decay=0.2), GRADS)
    want = by_hand_adam_decay(0.05, 0.2, decoupled, GRADS)
    for step, (g, w) in enumerate(zip(got, want), start=1):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-14, err_msg=f"step {step}")
    other = by_hand_adam_decay(0.05, 0.2, not decoupled, GRADS)
    assert not np.allclose(got[-1], other[-1], rtol=1e-6)  # negative control: L2 is not decoupled decay


def test_defaults_are_pytorchs() -> None:
    p = one_param()
    assert nn.optim.AdamW(p, lr=1e-3).weight_decay == 0.01
    sgd = nn.optim.SGD(p, lr=0.1)
    assert (sgd.momentum, sgd.dampening, sgd.weight_decay, sgd.nesterov) == (0.0, 0.0, 0.0, False)
    adam = nn.optim.Adam(p, lr=0.1)
    assert (adam.beta1, adam.beta2, adam.eps, adam.weight_decay) == (0.9, 0.999, 1e-8, 0.0)


@pytest.mark.parametrize("bad, message", [
    (lambda: nn.optim.SGD(one_param(), lr=0.1, nesterov=True), "nesterov momentum needs momentum > 0"),
    (lambda: nn.optim.SGD(one_param(), lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     "and dampening 0"),
    (lambda: nn.optim.SGD(one_param(), lr=0.1, dampening=0.5), "damps the momentum, so it needs momentum"),
    (lambda: nn.optim.SGD(one_param(), lr=0.1, momentum=0.9, weight_decay=-1.0), "weight_decay must be"),
    (lambda: nn.optim.AdamW(one_param(), lr=0.1, weight_decay=math.nan), "AdamW: weight_decay must be"),
    (lambda: nn.optim.RMSProp(one_param(), lr=0.1, weight_decay=math.inf), "weight_decay must be finite"),
])
def test_new_options_are_checked(bad: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bad()


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, math.inf])
def test_clip_grad_norm(norm_type: float) -> None:
    a, b = Tensor(np.zeros((2, 2)), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)
    c = Tensor(np.zeros(1), requires_grad=True)  # no grad: skipped
    a.grad, b.grad = np.array([[3.0, -4.0], [0.0, 1.0]]), np.array([2.0, -2.0, 0.5])
    flat = np.concatenate([a.grad.ravel(), b.grad])
    total = float(np.linalg.norm(flat, ord=norm_type))
    assert nn.clip_grad_norm([a, b, c], 100.0, norm_type) == pytest.approx(total, rel=1e-12)
    np.testing.assert_array_equal(b.grad, [2.0, -2.0, 0.5])  # under max_norm: untouched
    assert nn.clip_grad_norm([a, b, c], max_norm=1.0, norm_type=norm_type) == pytest.approx(total, rel=1e-12)
    clipped = np.concatenate([a.grad.ravel(), b.grad])
    np.testing.assert_allclose(clipped, flat / (total + 1e-6), rtol=1e-12)
    assert c.grad is None


def test_clip_grad_norm_on_values_and_a_shared_grad_array() -> None:
    vs = [Value(0.0), Value(0.0)]
    vs[0].grad, vs[1].grad = 3.0, 4.0
    assert nn.clip_grad_norm(vs, 1.0) == 5.0
    assert [round(v.grad, 6) for v in vs] == [0.6, 0.8]
    shared = np.array([3.0, 4.0])
    a, b = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    a.grad = b.grad = shared
    nn.clip_grad_norm([a, b], 1.0)  # scaled once each, not twice through the shared array
    np.testing.assert_allclose(a.grad, shared / (50**0.5 + 1e-6), rtol=1e-12)
    np.testing.assert_array_equal(shared, [3.0, 4.0])
    with pytest.raises(ValueError, match="clip_grad_norm: max_norm must be finite"):
        nn.clip_grad_norm([a], -1.0)
    with pytest.raises(ValueError, match="norm_type must be > 0"):
        nn.clip_grad_norm([a], 1.0, norm_type=0.0)


def test_a_step_after_backward_with_create_graph_follows_the_gradients_values() -> None:
    """backward(create_graph=True) leaves nodes in .grad (for a gradient penalty, say): the
    optimizers and clip_grad_norm step along their values, as after a plain backward()."""
    for engine in ("tensor", "value"):
        updated = []
        for create_graph in (False, True):
            w = Tensor([0.5, -1.5], requires_grad=True) if engine == "tensor" else Value(0.5)
            loss = ((w * w * w).sum() if engine == "tensor" else w * w * w)
            loss.backward(create_graph=create_graph)
            if create_graph:
                assert isinstance(w.grad, (Tensor, Value))
            nn.clip_grad_norm([w], max_norm=1.0)
            nn.optim.Adam([w], lr=0.1, weight_decay=0.01).step()
            updated.append(np.array(w.data, dtype=float))
        np.testing.assert_array_equal(updated[0], updated[1])
        assert not np.array_equal(updated[0], np.array([0.5, -1.5]) if engine == "tensor" else 0.5)
