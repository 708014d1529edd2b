"""The graph mechanics both engines share (:mod:`autograd.node`): the backward pass (fan-out,
accumulation, transactional writes, reset), its one order, graphs of a million nodes,
``no_grad`` per thread, ``detect_anomaly`` and ``first_nonfinite``."""

from __future__ import annotations

import math
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import AnomalyError, Value, detect_anomaly, first_nonfinite, is_grad_enabled, no_grad, trace
from autograd.extend import topological_order


def test_fan_out_sums_the_paths() -> None:
    x = Value(3.0)
    y = x * x + x
    y.backward()
    assert x.grad == 2 * 3.0 + 1


def test_a_backward_that_raises_changes_no_gradient() -> None:
    a, b = Value(3.0), Value(0.0)
    loss = b.sqrt() + a * 2  # the walk visits a * 2 first, then stops at sqrt (infinite slope at 0)
    with pytest.warns(RuntimeWarning), detect_anomaly(), \
            pytest.raises(AnomalyError, match="sqrt produced inf in backward"):
        loss.backward()
    assert (a.grad, b.grad, loss.grad) == (0.0, 0.0, 0.0)
    assert all(p.grad == 0.0 for p in loss.parents)


def test_second_backward_adds_again_and_zero_grad_resets() -> None:
    x = Value(0.5)
    h = x.tanh()
    y = h * h
    y.backward()
    first = (x.grad, h.grad, y.grad)
    y.backward()
    assert (x.grad, h.grad, y.grad) == pytest.approx(tuple(2 * g for g in first))
    y.zero_grad()
    assert (x.grad, h.grad, y.grad) == (0.0, 0.0, 0.0)
    y.backward()
    assert (x.grad, h.grad, y.grad) == pytest.approx(first)


def test_no_grad_records_nothing_and_restores() -> None:
    x = Value(1.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2
    assert is_grad_enabled()
    assert y.op is None and y.parents == ()

    @no_grad()
    def f(v: Value) -> Value:
        return v * 2

    assert f(x).op is None
    assert (x * 2).op is not None


def test_no_grad_is_per_thread() -> None:
    seen_inside: list[bool] = []
    inside, release = threading.Event(), threading.Event()

    def worker() -> None:
        with no_grad():
            seen_inside.append(is_grad_enabled())
            inside.set()
            release.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    assert inside.wait(5)
    outside = is_grad_enabled()  # while the worker is inside its no_grad block
    release.set()
    t.join()
    assert seen_inside == [False] and outside


def test_a_chain_of_a_million_nodes() -> None:
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_a_wide_graph_of_a_million_nodes() -> None:
    xs = [Value(float(i % 7)) for i in range(334_000)]
    total = Value(0.0)
    for x in xs:
        total = total + x * x  # the input, its square and a sum: 3 nodes per input, 1,002,001 in all
    total.backward()
    assert xs[10].grad == 2 * xs[10].data and xs[13].grad == 2 * xs[13].data


def test_first_nonfinite_names_where_an_infinity_appeared() -> None:
    x = Value(1e200, label="x")
    big = x * x
    y = (big - big).tanh()
    origin = first_nonfinite(y)
    assert origin is big
    assert first_nonfinite(x * 2) is None


def test_detect_anomaly_raises_at_the_first_bad_op() -> None:
    x = Value(1e200)
    with detect_anomaly(), pytest.raises(AnomalyError, match="mul produced inf in forward"):
        x * x
    assert math.isinf((x * x).data)  # outside the mode, inf is allowed


@given(st.lists(st.sampled_from(["add", "mul", "tanh", "exp"]), min_size=1, max_size=25), st.integers(0, 99))
def test_trace_steps_follow_the_one_order_of_node_numbers(kinds: list[str], seed: int) -> None:
    """A trace's steps come in decreasing topological position (the order nodes are numbered
    in): the backward walk is that order reversed, so #4's steps come before #3's."""
    import random

    rnd = random.Random(seed)
    nodes = [Value(rnd.uniform(-1, 1)) for _ in range(3)]
    for kind in kinds:
        a, b = rnd.choice(nodes), rnd.choice(nodes)
        nodes.append(a + b if kind == "add" else a * b if kind == "mul" else a.tanh() if kind == "tanh"
                     else (a * 0.1).exp())
    root = nodes[-1]
    for n in nodes[3:-1]:
        root = root + n
    position = {node: k for k, node in enumerate(topological_order(root))}
    pushing = [position[step.node] for step in trace(root)]
    assert pushing == sorted(pushing, reverse=True)
    assert all(position[p] < position[n] for n in position for p in n.parents)
