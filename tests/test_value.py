"""The scalar engine: random expressions against central differences, graph
mechanics (fan-out, accumulation, reset, no_grad), huge graphs, bad input."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import AnomalyError, Value, detect_anomaly, no_grad
from tests.numeric import assert_close, central_diff
from tests.strategies import floats

# A random expression is a tree over a few shared inputs; every op is kept in its
# smooth domain (log/sqrt of a positive quantity, division by a quantity >= 1).
Expr = Callable[[list[Value]], Value]


def _leaf(i: int) -> Expr:
    return lambda xs: xs[i]


def _compose(kind: str, a: Expr, b: Expr, c: float) -> Expr:
    table: dict[str, Expr] = {
        "add": lambda xs: a(xs) + b(xs),
        "sub": lambda xs: a(xs) - b(xs),
        "mul": lambda xs: a(xs) * b(xs),
        "div": lambda xs: a(xs) / (b(xs) * b(xs) + 1),
        "pow": lambda xs: (a(xs) * a(xs) + 0.5) ** c,
        "vpow": lambda xs: (a(xs) * a(xs) + 0.5) ** b(xs).tanh(),
        "rsub": lambda xs: c - a(xs),
        "rdiv": lambda xs: c / (a(xs).exp() + 1),
        "exp": lambda xs: (a(xs).tanh() * 2).exp(),
        "log": lambda xs: (a(xs) * a(xs) + 0.1).log(),
        "tanh": lambda xs: a(xs).tanh(),
        "sigmoid": lambda xs: a(xs).sigmoid(),
        "sqrt": lambda xs: (a(xs) * a(xs) + 0.1).sqrt(),
        "neg": lambda xs: -a(xs),
    }
    return table[kind]


KINDS = ["add", "sub", "mul", "div", "pow", "vpow", "rsub", "rdiv",
         "exp", "log", "tanh", "sigmoid", "sqrt", "neg"]
N_INPUTS = 3


def expressions() -> st.SearchStrategy[Expr]:
    leaves = st.integers(0, N_INPUTS - 1).map(_leaf)
    return st.recursive(leaves, lambda sub: st.builds(
        _compose, st.sampled_from(KINDS), sub, sub, st.sampled_from([0.5, 2.0, -1.0, 3.0])), max_leaves=8)


@given(expr=expressions(), xs=st.lists(floats(-2, 2), min_size=N_INPUTS, max_size=N_INPUTS))
def test_random_expressions_match_central_differences(expr: Expr, xs: list[float]) -> None:
    """Tolerance: 1e-5 relative to (1 + |numerical|), h = 1e-6 (truncation ~1e-12 h², round-off ~1e-10)."""
    vs = [Value(x) for x in xs]
    out = expr(vs)
    if not math.isfinite(out.data) or abs(out.data) > 1e6:
        return
    out.backward()
    numeric = central_diff(lambda a: expr([Value(float(v[0])) for v in a]).data, [np.array([x]) for x in xs])
    for v, n in zip(vs, numeric):
        assert_close(v.grad, n[0], tol=1e-5)


def test_negative_control_a_wrong_gradient_fails_the_comparison() -> None:
    x = Value(0.3)
    out = x.tanh() * x
    out.backward()
    numeric = central_diff(lambda a: math.tanh(a[0][0]) * a[0][0] * 1.01, [np.array([0.3])])
    with pytest.raises(AssertionError):
        assert_close(x.grad, numeric[0][0], tol=1e-5)


def test_reflected_operators_with_numbers() -> None:
    x = Value(2.0)
    assert (3 + x).data == 5 and (3 - x).data == 1 and (3 * x).data == 6
    assert (3 / x).data == 1.5 and (2**x).data == 4 and (x**2).data == 4 and (-x).data == -2
    y = 2**x
    y.backward()
    assert x.grad == pytest.approx(math.log(2) * 4)


@pytest.mark.parametrize("bad", ["abc", None, 1j, [1.0]])
def test_bad_data_is_a_type_error_naming_the_type(bad: object) -> None:
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_operand_of_a_bad_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="str"):
        Value(1.0) + "x"


@pytest.mark.parametrize(("make", "expected", "op"), [
    (lambda: Value(-1.0).log(), math.nan, "log"),
    (lambda: Value(0.0).log(), -math.inf, "log"),
    (lambda: Value(-4.0).sqrt(), math.nan, "sqrt"),
    (lambda: Value(0.0) ** -1, math.inf, "pow"),
    (lambda: 1 / Value(0.0), math.inf, "div"),
    (lambda: Value(-8.0) ** (1 / 3), math.nan, "pow"),
    (lambda: Value(1000.0).exp(), math.inf, "exp"),
    (lambda: Value(2.0) ** 5000, math.inf, "pow"),
])
def test_domain_errors_give_numpy_results_with_a_warning_and_anomaly_names_the_op(
        make: Callable[[], Value], expected: float, op: str) -> None:
    """IEEE 754 as numpy: the value a one-element Tensor gets, numpy's RuntimeWarning, and
    in detect_anomaly() an error naming the op."""
    with pytest.warns(RuntimeWarning):
        got = make().data
    assert got == expected or (math.isnan(got) and math.isnan(expected))
    with pytest.warns(RuntimeWarning), detect_anomaly(), \
            pytest.raises(AnomalyError, match=rf"^{op} produced"):
        make()


def test_extremes_are_stable() -> None:
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(1000.0).tanh().data == 1.0
    assert Value(-1000.0).exp().data == 0.0


@pytest.mark.parametrize(("make", "op"), [
    (lambda: Value(0.0).sqrt(), "sqrt"),
    (lambda: Value(0.0) ** 0.5, "pow"),
])
def test_an_infinite_derivative_is_inf_and_anomaly_mode_names_the_op(make: Callable[[], Value],
                                                                    op: str) -> None:
    y = make()
    with pytest.warns(RuntimeWarning):
        y.backward()
    assert y.parents[0].grad == math.inf  # as a one-element Tensor and PyTorch give it
    y.zero_grad()
    with pytest.warns(RuntimeWarning), detect_anomaly(), \
            pytest.raises(AnomalyError, match=rf"{op} produced inf in backward"):
        y.backward()
    assert y.parents[0].grad == 0.0


def test_constant_exponents_of_any_real_type() -> None:
    x = Value(-3.0)
    y = x ** np.int64(2) + x**0
    y.backward()  # a constant exponent: no log(x) of the negative base
    assert x.grad == -6.0


# --- issue 11: values the forward saw, in-place operators, truth, clear errors ------------------


@given(expr=expressions(), xs=st.lists(floats(-2, 2), min_size=N_INPUTS, max_size=N_INPUTS),
       new=st.lists(floats(-5, 5), min_size=N_INPUTS, max_size=N_INPUTS))
def test_backward_uses_the_values_the_forward_saw(expr: Expr, xs: list[float], new: list[float]) -> None:
    """Changing a leaf's data between forward and backward changes no gradient of that graph."""
    vs = [Value(x) for x in xs]
    out = expr(vs)
    twin = [Value(x) for x in xs]
    expr(twin).backward()
    for v, n in zip(vs, new):
        v.data = n
    out.backward()
    for v, t in zip(vs, twin):
        assert v.grad == t.grad or (math.isnan(v.grad) and math.isnan(t.grad))


def test_the_issue_example_and_op_results_are_read_only() -> None:
    a = Value(3.0)
    b = a * a
    a.data = 10.0
    b.backward()
    assert a.grad == 6.0  # d(a²)/da at the forward's a = 3, not at 10
    with pytest.raises(ValueError, match="cannot replace the data of a result of mul"):
        b.data = 1.0
    with pytest.raises(TypeError, match="must be a real number, not str"):
        a.data = "1"  # type: ignore[assignment]


def test_an_in_place_update_of_a_leaf_is_refused_with_the_fix() -> None:
    p = Value(1.0, label="w")
    (p * p).backward()
    for q in [p]:
        with pytest.raises(TypeError, match=r"p\.data -= lr \* p\.grad"):
            q -= 0.1 * q.grad
    assert p.data == 1.0
    with no_grad():
        for q in [p]:
            q -= 0.1 * q.grad
    assert p.data == pytest.approx(0.8)


def test_in_place_operators_that_build_graphs_still_do() -> None:
    """micrograd's own test writes ``c += c + 1`` on op results: a new node each time."""
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    c += c + 1
    c += 1 + c + (-a)
    c.backward()
    assert c.data == -1.0 and (a.grad, b.grad) == (3.0, 4.0)
    h = a * 3
    first = h
    h *= 2  # an op result: a new node
    assert h is not first and h.parents == (first, h.parents[1]) and h.data == -24.0


@pytest.mark.parametrize("operand", [lambda p: 0.1, lambda p: Value(0.1),
                                     lambda p: 0.1 * (p.grad + 0.01 * p)])
def test_a_leaf_value_is_never_updated_by_an_in_place_operator_while_recording(operand: Any) -> None:
    """Whatever the operand (a weight decay term holds p itself), the loop variable would be
    rebound and the parameter left as it was: refused, with the fix."""
    p = Value(1.0)
    (p * p).backward()
    with pytest.raises(TypeError, match=r"cannot be updated in place.*p = p \+ \.\.\."):
        for q in [p]:
            q += operand(q)
    assert p.data == 1.0
    with pytest.raises(TypeError, match="unsupported operand"):
        p += "x"  # type: ignore[operator]


def test_a_first_gradient_keeps_its_sign_of_zero_and_later_ones_add() -> None:
    x = Value(2.0)
    (x * -0.0).backward()
    assert math.copysign(1.0, x.grad) == -1.0  # as a fresh Tensor grad: -0.0
    x.zero_grad()
    (x * 0.0).backward()
    (x * -0.0).backward()
    assert math.copysign(1.0, x.grad) == 1.0  # 0.0 + -0.0, as a Tensor adds it


def test_truth_of_a_value_is_the_truth_of_its_number() -> None:
    assert not Value(0.0) and not Value(-0.0) and Value(2.0) and Value(math.nan)
    assert bool(Value(0.0) * 5) is False


def test_a_label_must_be_text() -> None:
    with pytest.raises(TypeError, match="label must be a string or None, not int"):
        Value(1.0, label=123)  # type: ignore[arg-type]
    v = Value(1.0, label="v")
    with pytest.raises(TypeError, match="label must be a string"):
        v.label = 5  # type: ignore[assignment]
    assert v.label == "v"


def test_mixing_engines_names_the_mistake_and_the_fix() -> None:
    from autograd import Tensor

    for make in (lambda: Value(1.0) + Tensor(1.0), lambda: Tensor(1.0) * Value(1.0),
                 lambda: Value(1.0) - Tensor([1.0]), lambda: Tensor([1.0]) / Value(2.0)):
        with pytest.raises(TypeError, match="cannot combine a (Value and a Tensor|Tensor and a Value).*"
                                            r"Tensor\(v\.data\)"):
            make()
    with pytest.raises(TypeError, match="Value objects; a Tensor holds numbers"):
        Tensor([Value(1.0), Value(2.0)])


def test_a_negative_base_to_an_infinite_power_is_ieee() -> None:
    assert (Value(-2.0) ** math.inf).data == math.inf
    assert (Value(-0.5) ** math.inf).data == 0.0


def test_a_value_op_takes_one_or_two_inputs() -> None:
    from autograd.extend import apply, ops

    class Three(ops.Op):
        name, arity = "three", 3

    with pytest.raises(TypeError, match="a Value op takes at most 2 inputs, got 3"):
        apply(Three(), Value(1.0), Value(2.0), Value(3.0))
