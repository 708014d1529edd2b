"""Every elementwise op of the table, on both engines: forward against ``math`` and
numpy, local derivative against float64 central differences, and ``Value``
against a one-element ``Tensor``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import Tensor, Value, apply, ops
from tests.numeric import assert_close, central_diff
from tests.strategies import floats

# Each op with a reference implementation and a domain kept away from kinks and poles.
CASES: list[tuple[ops.Op, Any, tuple[tuple[float, float], ...]]] = [
    (ops.ADD, lambda x, y: x + y, ((-3, 3), (-3, 3))),
    (ops.MUL, lambda x, y: x * y, ((-3, 3), (-3, 3))),
    (ops.NEG, lambda x: -x, ((-3, 3),)),
    (ops.POW, lambda x, y: x**y, ((0.2, 3), (-2, 2))),
    (ops.PowConst(3), lambda x: x**3, ((-3, 3),)),
    (ops.PowConst(-1), lambda x: 1 / x, ((0.2, 3),)),
    (ops.PowConst(0.5), math.sqrt, ((0.2, 3),)),
    (ops.EXP, math.exp, ((-3, 3),)),
    (ops.LOG, math.log, ((0.2, 3),)),
    (ops.TANH, math.tanh, ((-3, 3),)),
    (ops.SIGMOID, lambda x: 1 / (1 + math.exp(-x)), ((-3, 3),)),
    (ops.RELU, lambda x: max(x, 0.0), ((0.1, 3),)),
    (ops.RELU, lambda x: max(x, 0.0), ((-3, -0.1),)),
    (ops.SQRT, math.sqrt, ((0.2, 3),)),
    (ops.ABS, abs, ((-3, -0.1),)),
    (ops.ABS, abs, ((0.1, 3),)),
    (ops.MAXIMUM, max, ((-3, 3), (-3, 3))),
    (ops.Clip(-1.0, 1.0), lambda x: min(max(x, -1.0), 1.0), ((-0.9, 0.9),)),
    (ops.Clip(-1.0, 1.0), lambda x: min(max(x, -1.0), 1.0), ((1.1, 3),)),
]
IDS = [f"{op.name}{i}" for i, (op, _, _) in enumerate(CASES)]


def _inputs(data: st.DataObject, domain: tuple[tuple[float, float], ...]) -> list[float]:
    return [data.draw(floats(lo, hi)) for lo, hi in domain]


def test_every_elementwise_op_is_covered() -> None:
    covered = {op.name for op, _, _ in CASES}
    table = set(ops.UNARY) | set(ops.BINARY) | {"clip"}
    assert table <= covered, table - covered


@pytest.mark.parametrize(("op", "ref", "domain"), CASES, ids=IDS)
@given(data=st.data())
def test_forward_matches_reference(op: ops.Op, ref: Any, domain: Any, data: st.DataObject) -> None:
    xs = _inputs(data, domain)
    if op is ops.MAXIMUM:
        assume(abs(xs[0] - xs[1]) > 0.1)
    expected = ref(*xs)
    assert math.isclose(op.forward(ops.SCALAR, *xs), expected, rel_tol=1e-12, abs_tol=1e-12)
    arr = op.forward(ops.ARRAY, *(np.array([x]) for x in xs))
    assert math.isclose(float(arr[0]), expected, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize(("op", "ref", "domain"), CASES, ids=IDS)
@given(data=st.data())
def test_derivative_matches_central_differences(op: ops.Op, ref: Any, domain: Any,
                                                data: st.DataObject) -> None:
    xs = _inputs(data, domain)
    if op is ops.MAXIMUM:
        assume(abs(xs[0] - xs[1]) > 0.1)
    out = op.forward(ops.SCALAR, *xs)
    local = op.derivative(ops.SCALAR, out, *xs)
    numeric = central_diff(lambda a: op.forward(ops.SCALAR, *(float(v[0]) for v in a)),
                           [np.array([x]) for x in xs])
    assert len(local) == len(xs) == len(op.partials)
    for d, n in zip(local, numeric):
        assert_close(d, n[0], tol=1e-6)


@pytest.mark.parametrize(("op", "ref", "domain"), CASES, ids=IDS)
@given(data=st.data(), upstream=floats(-2, 2))
def test_value_agrees_with_one_element_tensor(op: ops.Op, ref: Any, domain: Any,
                                              data: st.DataObject, upstream: float) -> None:
    xs = _inputs(data, domain)
    if op is ops.MAXIMUM:
        assume(abs(xs[0] - xs[1]) > 0.1)
    vs = [Value(x) for x in xs]
    ts = [Tensor([x], requires_grad=True) for x in xs]
    v_out = apply(op, *vs) * upstream
    t_out = (apply(op, *ts) * upstream).sum()
    v_out.backward()
    t_out.backward()
    assert v_out.data == pytest.approx(t_out.item(), rel=1e-12, abs=1e-12)
    for v, t in zip(vs, ts):
        assert t.grad is not None
        assert v.grad == pytest.approx(float(t.grad[0]), rel=1e-12, abs=1e-12)


class WrongTanh(ops.Tanh):
    """A deliberately wrong derivative (1 - tanh(x), not 1 - tanh(x)**2): the negative control."""

    def derivative(self, m: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (1.0 - out,)


def test_negative_control_wrong_derivative_is_caught() -> None:
    op = WrongTanh()
    x = 0.7
    local = op.derivative(ops.SCALAR, op.forward(ops.SCALAR, x), x)
    numeric = central_diff(lambda a: op.forward(ops.SCALAR, float(a[0][0])), [np.array([x])])
    with pytest.raises(AssertionError, match="mismatch"):
        assert_close(local[0], numeric[0][0], tol=1e-6)


def test_kinks_follow_the_documented_convention() -> None:
    assert ops.RELU.derivative(ops.SCALAR, 0.0, 0.0) == (0.0,)
    assert ops.ABS.derivative(ops.SCALAR, 0.0, 0.0) == (0.0,)
    assert ops.MAXIMUM.derivative(ops.SCALAR, 1.0, 1.0, 1.0) == (0.5, 0.5)
    np.testing.assert_array_equal(ops.MAXIMUM.derivative(ops.ARRAY, None, np.array([1.0, 2.0]),
                                                         np.array([1.0, 0.0]))[0], [0.5, 1.0])
