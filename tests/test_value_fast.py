"""The scalar engine's fast paths, held to the general ones bit for bit: ``+`` and ``*``
(their nodes made inline, ADD's and MUL's forward written out) against the op table, and
``backward()``'s plain walk (counts kept as ops are recorded, ADD's and MUL's local
derivatives inlined, grads set as it goes) against the general walk of ``run_backward``,
which counts first and takes every local derivative from the table."""

from __future__ import annotations

import copy
import gc
import math
import struct
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd.value
from autograd import Value, detect_anomaly, no_grad, scope
from autograd.extend import apply, ops, run_backward, topological_order
from autograd.node import AnomalyError, has_grad
from tests.test_ops import SPECIAL

INLINED = [ops.ADD, ops.MUL]
"""The ops whose forward (in ``Value.__add__``, ``Value.__mul__``) and local derivatives (in
``autograd.value._walk_plain``) are written out rather than called from the table."""

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b}


def _bits(x: float) -> bytes:
    """x's IEEE 754 bits, any NaN as one (Python keeps no promise about a NaN's payload)."""
    return struct.pack("<d", math.nan if math.isnan(x) else x)


def _general(root: Value, grad: float) -> None:
    """``run_backward`` through its general walk (a step hook turns the plain walk off)."""
    run_backward(root, grad, on_step=lambda *step: None)


@contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("op", INLINED, ids=lambda op: op.name)
def test_the_inlined_operators_make_the_table_s_node_at_special_numbers(op: ops.Op) -> None:
    """``x + y`` and ``x * y``, Value with Value and with a plain number on either side: the
    table's forward to the bit, and the node ``apply`` makes (op, parents, saved inputs)."""
    operator = OPERATORS[op.name]
    for x in SPECIAL:
        for y in SPECIAL:
            expected = _bits(op.forward(ops.SCALAR, x, y))
            a, b = Value(x), Value(y)
            general = apply(op, a, b)
            for out in (operator(a, b), operator(a, y), operator(x, b)):
                assert _bits(out.data) == expected == _bits(general.data), (op, x, y)
                assert out.op is op and [_bits(v) for v in out.inputs] == [_bits(x), _bits(y)]
            assert operator(a, b).parents == (a, b) == general.parents


@pytest.mark.parametrize("op", INLINED, ids=lambda op: op.name)
def test_the_inlined_local_derivatives_are_the_table_s(op: ops.Op) -> None:
    """The plain walk's contributions to x and y, for every pair of special numbers and
    upstream gradients: ``grad_out * d`` for the table's ``d``, to the bit, as the general walk gives."""
    mismatches = []
    with _quiet():
        for x in SPECIAL:
            for y in SPECIAL:
                out = op.forward(ops.SCALAR, x, y)
                ds = op.derivative(ops.SCALAR, out, x, y)
                for g in (1.0, -0.5, -0.0, 3e300, math.inf, math.nan):
                    fast, general = [Value(x), Value(y)], [Value(x), Value(y)]
                    run_backward(apply(op, *fast), g)
                    _general(apply(op, *general), g)
                    got = [_bits(v.grad) for v in fast]
                    if got != [_bits(g * d) for d in ds] or got != [_bits(v.grad) for v in general]:
                        mismatches.append((x, y, g))
    assert not mismatches, f"{len(mismatches)} mismatches, e.g. {mismatches[:3]}"


class _OffByOneMul(ops.Mul):
    """MUL with a wrong derivative in x (y + 1): the negative control."""

    def derivative(self, m: Any, out: Any, x: Any, y: Any) -> tuple[Any, ...]:
        return (y + 1.0, x)


def test_negative_control_an_inlined_derivative_that_left_the_table_is_caught(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the table's MUL to change and the walk's inline copy not, the comparison above
    would fail: here the walk inlines y while the table says y + 1."""
    wrong = _OffByOneMul()
    monkeypatch.setattr(autograd.value, "MUL", wrong)
    fast, general = [Value(2.0), Value(3.0)], [Value(2.0), Value(3.0)]
    run_backward(apply(wrong, *fast), 1.0)
    _general(apply(wrong, *general), 1.0)
    assert [v.grad for v in general] == [4.0, 2.0]
    assert [v.grad for v in fast] != [v.grad for v in general]


# --- the plain walk against the general one, on random graphs -------------------------

UNARY: dict[str, Callable[[Value], Value]] = {
    "tanh": lambda v: v.tanh(), "relu": lambda v: v.relu(), "neg": lambda v: -v,
    "sin": lambda v: v.sin(), "square": lambda v: v**2}
BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sub": lambda a, b: a - b,
    "max": lambda a, b: a.maximum(b), "radd": lambda a, b: 1.5 + a, "rmul": lambda a, b: -0.25 * a}
Program = list[tuple[str, int, int]]


def _build(program: Program, xs: list[float]) -> list[Value]:
    """Every node of a graph: the leaves, then each step's op on two earlier nodes (so that
    nodes are used many times, by one op twice too: ``x * x``), then the sum of the last three."""
    nodes = [Value(x) for x in xs]
    for name, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(UNARY[name](a) if name in UNARY else BINARY[name](a, b))
    nodes.append(nodes[-1] + nodes[-2] * nodes[-3])
    return nodes


programs = st.lists(st.tuples(st.sampled_from([*UNARY, *BINARY]), st.integers(0, 99), st.integers(0, 99)),
                    min_size=1, max_size=25)


@given(program=programs, xs=st.lists(st.floats(-3, 3), min_size=3, max_size=3),
       grad=st.sampled_from([1.0, -0.75, 1e-300]))
def test_the_plain_walk_gives_every_node_the_general_walk_s_gradient(program: Program, xs: list[float],
                                                                      grad: float) -> None:
    """Op nodes and leaves, a first pass and a second one adding to it: the same bits."""
    with _quiet():
        fast, general = _build(program, xs), _build(program, xs)
        for _ in range(2):
            run_backward(fast[-1], grad)
            _general(general[-1], grad)
            assert [_bits(v.grad) for v in fast] == [_bits(v.grad) for v in general]


def test_a_node_used_outside_the_graph_sends_backward_to_the_general_walk() -> None:
    """A use the walk never meets (``h`` feeds ``unused`` too) leaves ``h`` waiting: the plain
    walk puts back what it set and the general walk, which counts, gives the gradients."""
    x, w = Value(1.5), Value(-2.0)
    h = (x * w).tanh()
    unused = h * 3.0
    y = h * h + h
    reference = [Value(1.5), Value(-2.0)]
    rh = (reference[0] * reference[1]).tanh()
    _general(rh * rh + rh, 1.0)
    assert not y._backward_plain(1.0)
    assert (x.grad, w.grad, h.grad) == (0.0, 0.0, 0.0)
    y.backward()
    assert (x.grad, w.grad) == (reference[0].grad, reference[1].grad) and unused.grad == 0.0


class _Refusing(ops.Tanh):
    """tanh whose derivative raises: a failure half-way through a backward pass."""

    def derivative(self, m: Any, out: Any, x: Any) -> tuple[Any, ...]:
        raise RuntimeError("no derivative today")


def test_a_pass_that_raises_half_way_leaves_every_grad_as_it_was() -> None:
    """The plain walk sets op nodes' grads as it goes: a derivative that raises puts every
    one back, fresh ones to the 0.0 no pass has written (so a first -0.0 keeps its sign)
    and ones an earlier pass set to their value."""
    x = Value(0.5)
    h = apply(_Refusing(), x * 2.0)
    top = (h + 1.0) * 3.0
    y = top + top
    nodes = topological_order(y)
    with pytest.raises(RuntimeError, match="no derivative today"):
        y.backward()
    assert all(not has_grad(n) for n in nodes)
    top.grad = -0.0
    with pytest.raises(RuntimeError, match="no derivative today"):
        y.backward()
    assert _bits(top.grad) == _bits(-0.0) and not has_grad(y) and x.grad == 0.0


def test_ops_in_a_scope_under_no_grad_or_detect_anomaly_take_the_general_path() -> None:
    x = Value(2.0)
    with scope("layer"):
        assert (x + 1.0).scope == "layer" and (x * x).scope == "layer"
    with no_grad():
        assert (x + x).op is None and (x * 3.0).parents == ()
    with detect_anomaly(), pytest.raises(AnomalyError, match="mul produced inf"):
        Value(1e308) * 10.0
    with detect_anomaly(), pytest.raises(AnomalyError, match="add produced inf"):
        1e308 + Value(1e308)


def test_a_value_is_one_object_for_the_garbage_collector() -> None:
    """No tuple of parents per node: the collector follows one object per op node (a
    tuple each made the scalar engine's training step 1.5x slower, measured)."""
    x, w = Value(0.5), Value(2.0)
    gc.collect()
    before = len(gc.get_objects())
    outs = [x * w + x for _ in range(1000)]  # 2000 op nodes
    assert len(gc.get_objects()) - before <= 2 * len(outs) + 50
    assert outs[0].parents[0].parents == (x, w)


def test_a_copied_node_still_gets_the_right_gradients() -> None:
    """``copy.copy`` makes a consumer that its parent ``p`` never counted: the walk meets
    ``p`` once per consumer, and the gradients are still right (to round-off)."""
    x, w = Value(0.3), Value(-1.2)
    h = (x * w).tanh()
    y = h + copy.copy(h)
    y.backward()
    assert x.grad == pytest.approx(2 * (1 - math.tanh(-0.36) ** 2) * -1.2, rel=1e-15)
    assert w.grad == pytest.approx(2 * (1 - math.tanh(-0.36) ** 2) * 0.3, rel=1e-15)
