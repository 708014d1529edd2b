"""autograd.LearnerWarning (issue 14): backward() twice on one graph, an optimizer step with
no gradient (or only zeros), parameters that took no part in the loss.  Each warns once
per line of the learner's code, at that line, can be silenced, and stays quiet in normal
work: minibatch accumulation, trace(), training, exact-zero gradients."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import nn
from autograd import LearnerWarning, Tensor, Value, trace
from autograd.extend import run_backward
from autograd.node import has_grad


@contextmanager
def learner_warnings(action: str = "default") -> Iterator[list[warnings.WarningMessage]]:
    """The LearnerWarnings issued inside, under Python's own default filter (once per
    line and message) or ``action``; every other warning still reaches pytest."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter(action, LearnerWarning)
        got: list[warnings.WarningMessage] = []
        yield got
    got += [w for w in caught if issubclass(w.category, LearnerWarning)]
    for w in caught:
        if not issubclass(w.category, LearnerWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def here() -> int:
    """The caller's line number (``here() + 1``: the next line's, where a slip is made)."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


def square() -> tuple[Value, Value]:
    x = Value(3.0, label="x")
    return x, x * x


def tensor_loss() -> tuple[Tensor, Tensor]:
    w = Tensor([1.0, -2.0], requires_grad=True)
    return w, (w * w).sum()


def mlp(engine: str = "tensor") -> tuple[nn.MLP, Any]:
    net = nn.MLP([2, 3, 2], activation="tanh", engine=engine, rng=0)
    x = np.array([[0.5, -1.0]]) if engine == "tensor" else [0.5, -1.0]
    return net, x


def mse(out: Any) -> Any:
    """Half the squared output, summed: a loss of either engine."""
    if isinstance(out, Tensor):
        return (out * out).sum() * 0.5
    return sum((o * o for o in out), Value(0.0)) * 0.5


# -- backward() twice ----------------------------------------------------------------


def test_value_backward_twice_warns_at_the_second_call_and_gradients_add() -> None:
    x, y = square()
    y.backward()
    with learner_warnings() as got:
        line = here() + 1
        y.backward()
    assert len(got) == 1
    w = got[0]
    assert str(w.message).startswith("backward twice: Value.backward() ran through a graph")
    assert "opt.zero_grad()" in str(w.message) and "loss.zero_grad()" in str(w.message)
    assert (w.filename, w.lineno) == (__file__, line)
    assert x.grad == 12.0  # behaviour unchanged: 2 * 6


def test_tensor_backward_twice_warns() -> None:
    w, loss = tensor_loss()
    loss.backward()
    with learner_warnings() as got:
        line = here() + 1
        loss.backward()
    assert [str(m.message)[:42] for m in got] == ["backward twice: Tensor.backward() ran thro"]
    assert (got[0].filename, got[0].lineno) == (__file__, line)
    np.testing.assert_array_equal(w.grad, [4.0, -8.0])


def test_the_same_slip_on_the_same_line_warns_once() -> None:
    x, y = square()
    with learner_warnings() as got:
        for _ in range(4):
            y.backward()
    assert len(got) == 1
    # Negative control: the check fires at each repeat; the filter is what shows it once.
    x, y = square()
    with learner_warnings("always") as every:
        for _ in range(4):
            y.backward()
    assert len(every) == 3


def test_each_line_is_its_own_cause() -> None:
    _, y = square()
    y.backward()
    with learner_warnings() as got:
        y.backward()
        y.backward()
    assert len(got) == 2 and got[0].lineno + 1 == got[1].lineno


def test_a_backward_through_the_extension_api_points_at_its_caller() -> None:
    _, y = square()
    y.backward()
    with learner_warnings() as got:
        line = here() + 1
        run_backward(y, 1.0)
    assert [(w.filename, w.lineno) for w in got] == [(__file__, line)]


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_no_warning_for_accumulation_over_minibatches(engine: str) -> None:
    net, x = mlp(engine)
    first = mse(net(x))
    first.backward()
    grads = [np.array(p.grad, copy=True) for p in net.parameters()]
    with learner_warnings() as got:
        mse(net(x)).backward()  # a new graph, same parameters: accumulation, on purpose
    assert got == []
    # Negative control: the gradients did accumulate (2x for the same batch), and the first
    # graph again does warn.
    for g, p in zip(grads, net.parameters()):
        np.testing.assert_allclose(p.grad, 2 * g)
    with learner_warnings() as again:
        first.backward()
    assert len(again) == 1


def test_no_warning_after_a_reset_of_the_graph() -> None:
    x, y = square()
    y.backward()
    y.zero_grad()
    with learner_warnings() as got:
        y.backward()
    assert got == [] and x.grad == 6.0


@pytest.mark.parametrize("make", [square, tensor_loss])
def test_trace_neither_warns_nor_counts_as_a_backward(make: Callable[[], tuple[Any, Any]]) -> None:
    _, root = make()
    with learner_warnings() as got:
        trace(root)
        root.backward()  # the first real backward: trace changed no grad
        trace(root)  # after a backward: trace adds nothing either
    assert got == []
    assert has_grad(root)


# -- optimizer: no gradients ---------------------------------------------------------------


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("make", [nn.optim.SGD, nn.optim.Adam])
def test_step_without_backward_warns_once_at_the_step(engine: str, make: Any) -> None:
    net, x = mlp(engine)
    opt = make(net.parameters(), lr=0.1)
    before = [np.array(p.data, copy=True) for p in net.parameters()]
    with learner_warnings() as got:
        for _ in range(3):
            line = here() + 1
            opt.step()
    assert len(got) == 1
    name = type(opt).__name__
    assert str(got[0].message).startswith(f"no gradients: {name}.step() found no parameter with a gradient")
    assert "loss.backward() before opt.step()" in str(got[0].message)
    assert (got[0].filename, got[0].lineno) == (__file__, line)
    for b, p in zip(before, net.parameters()):
        np.testing.assert_array_equal(p.data, b)


def test_zero_grad_between_backward_and_step_warns() -> None:
    net, x = mlp()
    opt = nn.optim.SGD(net.parameters(), lr=0.1)
    mse(net(x)).backward()
    opt.zero_grad()
    with learner_warnings() as got:
        opt.step()
    assert [str(w.message)[:13] for w in got] == ["no gradients:"]


def test_every_gradient_zero_warns() -> None:
    """micrograd's reset, ``p.grad = 0.0``, then no backward: every gradient is an exact zero."""
    net, _ = mlp("value")
    opt = nn.optim.SGD(net.parameters(), lr=0.1)
    for p in net.parameters():
        p.grad = 0.0
    with learner_warnings() as got:
        opt.step()
    assert len(got) == 1
    assert str(got[0].message).startswith("no gradients: SGD.step() found every gradient exactly zero")


# -- optimizer: unused parameters -----------------------------------------------------------


def test_parameters_outside_the_loss_are_named_and_not_updated() -> None:
    net, _ = mlp()
    opt = nn.optim.SGD(net.parameters(), lr=0.1)
    first = net.layers[0]
    W, b = first.weight, first.bias
    W0 = W.data.copy()
    mse(net.layers[2](Tensor(np.ones((1, 3))))).backward()  # the last layer only
    with learner_warnings() as got:
        line = here() + 1
        opt.step()
    assert len(got) == 1
    text = str(got[0].message)
    assert text.startswith("unused parameters: SGD.step() found 2 of 4 parameters with no gradient: "
                           "parameter 0 'W[1]' (shape (3, 2)), parameter 1 'b[1]' (shape (3,)). ")
    assert "took no part in the loss" in text
    assert (got[0].filename, got[0].lineno) == (__file__, line)
    np.testing.assert_array_equal(W.data, W0)
    assert b.grad is None


def test_unused_values_are_named_and_a_long_list_is_cut() -> None:
    net, _ = mlp("value")
    opt = nn.optim.SGD(net.parameters(), lr=0.1)
    mse(net.layers[2]([Value(1.0), Value(2.0), Value(3.0)])).backward()
    with learner_warnings() as got:
        opt.step()
    assert len(got) == 1
    assert str(got[0].message).startswith(
        "unused parameters: SGD.step() found 9 of 17 parameters with no gradient: parameter 0 "
        "'w[1][0,0]', parameter 1 'w[1][0,1]', parameter 2 'w[1][1,0]', parameter 3 'w[1][1,1]', "
        "parameter 4 'w[1][2,0]', and 4 more. ")


def test_fit_points_at_the_learners_fit_call() -> None:
    """fit runs the step inside nn: the warning passes over nn's frames to the caller's line."""
    net, _ = mlp()
    extra = Tensor(np.zeros(2), requires_grad=True, label="extra")
    opt = nn.optim.SGD([*net.parameters(), extra], lr=0.1)
    x, y = np.random.default_rng(0).normal(size=(8, 2)), np.arange(8) % 2
    with learner_warnings() as got:
        line = here() + 1
        nn.fit(net, opt, x, y, batch_size=4, epochs=2, progress=False)
    assert len(got) == 1
    assert "parameter 4 'extra' (shape (2,))" in str(got[0].message)
    assert (got[0].filename, got[0].lineno) == (__file__, line)


# -- no warning in normal training ------------------------------------------------------------


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("make", [nn.optim.SGD, nn.optim.RMSProp, nn.optim.Adam])
def test_normal_training_steps_do_not_warn(engine: str, make: Any) -> None:
    net, x = mlp(engine)
    opt = make(net.parameters(), lr=0.01)
    with learner_warnings("always") as got:
        for _ in range(3):
            opt.zero_grad()
            mse(net(x)).backward()
            opt.step()
    assert got == []


def test_fit_does_not_warn() -> None:
    net, _ = mlp()
    x, y = np.random.default_rng(1).normal(size=(40, 2)), np.arange(40) % 2
    with learner_warnings("always") as got:
        nn.fit(net, nn.optim.SGD(net.parameters(), lr=0.5), x, y, batch_size=8, epochs=3, progress=False)
    assert got == []


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_exact_zero_gradients_among_others_are_gradients(engine: str) -> None:
    """A ReLU layer dead for the batch gives its weights and biases, and the next layer's
    weights, exact zeros: not "unused" parameters, and not "no gradients" (the last bias has one)."""
    net = nn.MLP([2, 3, 1], activation="relu", engine=engine, rng=0)
    first, last = net.layers[0], net.layers[2]
    if engine == "tensor":
        first.bias.data[...] = -100.0
        x: Any = np.array([[0.1, -0.2]])
    else:
        for b in first.bias:
            b.data = -100.0
        x = [0.1, -0.2]
    opt = nn.optim.SGD(net.parameters(), lr=0.1)
    opt.zero_grad()
    mse(net(x)).backward()
    params = list(net.parameters())
    grads = [np.asarray(p.grad if engine == "tensor" else [v.grad for v in np.ravel(p)], dtype=float)
             for p in (first.weight, first.bias, last.weight, last.bias)]
    # Not vacuous: every gradient but the last bias's is an exact zero, and each is a gradient.
    assert [bool(np.any(g)) for g in grads] == [False, False, False, True]
    assert all(has_grad(p) for p in params)
    with learner_warnings("always") as got:
        opt.step()
    assert got == []


# -- silencing -------------------------------------------------------------------------------


def test_one_filter_silences_them_all() -> None:
    x, y = square()
    opt = nn.optim.SGD([x], lr=0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=LearnerWarning)
        opt.step()
        y.backward()
        y.backward()
    assert caught == []


def test_a_message_filter_silences_one_slip() -> None:
    x, y = square()
    opt = nn.optim.SGD([x], lr=0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message="backward twice", category=LearnerWarning)
        y.backward()
        y.backward()
        opt.zero_grad()
        opt.step()
    assert [str(w.message)[:13] for w in caught] == ["no gradients:"]


def test_the_warning_can_be_made_an_error() -> None:
    x, y = square()
    y.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error", LearnerWarning)
        with pytest.raises(LearnerWarning, match="^backward twice"):
            y.backward()
    assert x.grad == 6.0  # raised before the pass: no gradient changed
