"""Tests of gradcheck's higher order and forward mode: ``order=2`` checks the gradient of
⟨w, ∇f⟩ (the Hessian times w), ``modes=("fwd",)`` checks forward mode (jvp with each unit
tangent), on both engines.  Negative controls: an op whose first derivative is right but
whose recorded second derivative is wrong fails order 2 and passes order 1; an op wrongly
marked linear fails forward mode and passes reverse mode; each is located (the input, the
element, the op).  A kink of f is a jump at order 2, not a failure; at a kink itself the
engine has no second derivative and the report says so."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given

import autograd
from autograd import GradcheckError, GradcheckWarning, Tensor, Value, check_ops, gradcheck
from autograd.checking import ATOL, RTOL
from autograd.checking.differences import FLOAT64_EPSILON, default_step, judge
from autograd.extend import NODES, Op, apply
from autograd.testing import well_conditioned_arrays

BOTH = ("rev", "fwd")
RNG = np.random.default_rng(4321)


def rand(*shape: int) -> np.ndarray:
    """Uniform values in [-2, 2] kept at least 0.1 away from 0 (no kinks of relu/abs)."""
    x = RNG.uniform(-2.0, 2.0, shape)
    return np.where(np.abs(x) < 0.1, 0.1 + np.abs(x), x)


def labels(report: autograd.GradcheckReport) -> list[str]:
    return [r.label for r in report.inputs]


# --- smooth functions pass at both orders, in both modes, on both engines ---------------------

TENSOR_FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    "tanh": lambda x: (x.tanh() * x).sum(),
    "exp_log": lambda x: ((x * x + 0.5).log() * x.exp()).mean(),
    "sigmoid_pow": lambda x: (x.sigmoid() ** 3).sum(),
    "softmax": lambda x: (x.softmax(axis=1) * x).sum(),
    "logsumexp": lambda x: x.logsumexp(axis=0).sum(),
    "max_sqrt": lambda x: x.max(axis=1).sum() * (x * x + 1).sqrt().sum(),
    "reshape_getitem": lambda x: (x.reshape(-1)[np.array([0, 5, 5, 11])] ** 2).sum(),
    "concatenate": lambda x: autograd.concatenate([x.sin(), x * x], axis=0).prod(),
    "matmul": lambda x, y: ((x @ y.T).tanh() ** 2).sum(),
    "broadcast_div": lambda x, y: (x / (y * y + 0.5)).sum(),
    "linear": lambda x, W, b: autograd.linear(x, W, b).log_softmax(axis=1).sum(),
    "non_scalar": lambda x: x.tanh() * x,
}
SHAPES: dict[str, tuple[tuple[int, ...], ...]] = {
    "matmul": ((3, 4), (2, 4)), "broadcast_div": ((3, 4), (4,)), "linear": ((3, 4), (2, 4), (2,)),
}


@pytest.mark.parametrize("name", sorted(TENSOR_FUNCTIONS))
def test_tensor_functions_pass_at_order_two_in_both_modes(name: str) -> None:
    inputs = [rand(*shape) for shape in SHAPES.get(name, ((3, 4),))]
    report = gradcheck(TENSOR_FUNCTIONS[name], *inputs, order=2, modes=BOTH, per_op=True)
    n = len(inputs)
    assert report.passed and len(report.inputs) == 4 * n
    expected = [(mode, order) for order in (1, 2) for _ in range(n) for mode in BOTH]
    assert [(r.mode, r.order) for r in report.inputs] == expected
    assert {(o.order, o.mode) for o in report.ops} == {(1, "rev"), (1, "fwd"), (2, "rev"), (2, "fwd")}
    assert all(r.checked == r.total for r in report.inputs)


VALUE_FUNCTIONS: dict[str, Callable[[Value, Value], Value]] = {
    "mul_tanh": lambda x, y: (x * y).tanh() + x.exp() * y,
    "div_log": lambda x, y: (x * x + 1).log() / (y * y + 1),
    "pow": lambda x, y: (x * x + 1) ** y,
    "sigmoid_sqrt": lambda x, y: x.sigmoid() * (y * y + 0.5).sqrt(),
    "relu_away_from_0": lambda x, y: x.relu() * y * y + y.abs() * x,
}


@pytest.mark.parametrize("name", sorted(VALUE_FUNCTIONS))
def test_value_functions_of_floats_pass_at_order_two_in_both_modes(name: str) -> None:
    report = gradcheck(VALUE_FUNCTIONS[name], 0.7, Value(-1.3), order=2, modes=BOTH, per_op=True,
                       names=["x", "y"])
    assert report.passed, str(report)
    assert labels(report) == ["x", "x (fwd)", "y", "y (fwd)", "x (rev, order 2)", "x (fwd, order 2)",
                              "y (rev, order 2)", "y (fwd, order 2)"]


@given(x=well_conditioned_arrays((2, 3), lo=-2, hi=2, margin=0.05, distinct=True))
def test_a_small_network_passes_at_order_two_in_both_modes(x: np.ndarray) -> None:
    W = np.array([[0.5, -1.0, 1.5, 0.3], [-0.7, 0.8, 0.2, -1.1]])
    report = gradcheck(lambda x, W: (x.T @ W).tanh().logsumexp(axis=1).sum(), x, W, order=2, modes=BOTH)
    assert report.passed, str(report)


# --- wrong second derivatives are caught at order 2 (and only there), located ---------------


class WrongCos(Op):
    """cos(x) whose derivative has the wrong sign: sin(x) instead of -sin(x)."""

    name, symbol, formula, partials = "wrong_cos", "cos", "cos(x)", ("sin(x)",)

    def forward(self, m: Any, x: Any) -> Any:
        return m.cos(x)

    def derivative(self, m: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (m.sin(x),)


WRONG_COS = WrongCos()


class MySin(Op):
    """sin(x) with derivative cos(x), right as a number; recorded (on ``NODES``) ``how``:
    ``"right"``; ``"wrong_op"`` through WRONG_COS, so its own derivative is wrong;
    ``"detached"`` from x's numbers, a constant, so its own derivative is 0; ``"doubled"``
    as 2 cos(x), wrong at order 1 already."""

    name, symbol, formula, partials = "my_sin", "sin", "sin(x)", ("cos(x)",)

    def __init__(self, how: str = "right") -> None:
        self.how = how

    def forward(self, m: Any, x: Any) -> Any:
        return m.sin(x)

    def derivative(self, m: Any, out: Any, x: Any) -> tuple[Any, ...]:
        if self.how == "doubled":
            return (2.0 * m.cos(x),)
        if m is NODES and self.how == "wrong_op":
            return (apply(WRONG_COS, x),)
        if m is NODES and self.how == "detached":
            return (m.cos(x.data),)
        return (m.cos(x),)


def _sin_on_element_1(how: str) -> Callable[[Tensor], Tensor]:
    """MySin on element 1 only: f's Hessian is diagonal, so only row 1 of H w can be wrong."""
    return lambda t: t.tanh().sum() + apply(MySin(how), t[1:2]).sum() * 1.5


@pytest.mark.parametrize("engine", ["Value", "Tensor"])
def test_a_derivative_recorded_through_a_wrong_op_fails_order_two_only(engine: str) -> None:
    if engine == "Value":
        f: Callable[..., Any] = lambda v: apply(MySin("wrong_op"), v) * v   # noqa: E731
        x: Any = 0.7
    else:
        f, x = _sin_on_element_1("wrong_op"), np.array([0.3, -1.2, 0.8])
    assert gradcheck(f, x, modes=BOTH, per_op=True, names=["x"]).passed
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, x, order=2, modes=BOTH, per_op=True, names=["x"])
    report = info.value.report
    assert [r.passed for r in report.inputs] == [True, True, False, False]
    assert "FAILED for x (rev, order 2), x (fwd, order 2)" in str(report)
    second = report.inputs[2]
    if engine == "Tensor":
        assert second.failures == 1 and second.worst[0].index == (1,) and "(1,)" in str(report)
    bad = report.first_bad_op
    assert bad is not None and (bad.name, bad.order, bad.mode) == ("wrong_cos", 2, "rev")
    assert "per-op checks of the recorded derivative ⟨w, ∇f⟩" in str(report)
    assert gradcheck(_sin_on_element_1("right"), np.array([0.3, -1.2, 0.8]), order=2, modes=BOTH,
                     per_op=True).passed


def test_a_detached_derivative_fails_order_two_with_no_op_to_blame() -> None:
    x = np.array([0.3, -1.2, 0.8])
    f = _sin_on_element_1("detached")
    assert gradcheck(f, x).passed
    report = gradcheck(f, x, order=2, per_op=True, raise_exception=False)
    second = report.inputs[1]
    assert not report.passed and second.label == "input 0 (rev, order 2)" and second.failures == 1
    index, analytic, numerical, error = second.worst[0]
    assert index == (1,) and error > 0.1
    # Both are w_1 times a second derivative: tanh's alone (sin's -1.5 sin x was lost) against the whole.
    t = math.tanh(-1.2)
    tanh2 = -2 * t * (1 - t * t)
    assert math.isclose(analytic / numerical, tanh2 / (tanh2 - 1.5 * math.sin(-1.2)), rel_tol=1e-6)
    assert report.first_bad_op is None   # every op is right: a dependency is missing


def test_order_two_checks_order_one_too() -> None:
    # 2 cos(x) is wrong, and its recorded derivative -2 sin(x) agrees with its own differences:
    # only the order-1 check can catch it.
    report = gradcheck(_sin_on_element_1("doubled"), np.array([0.3, -1.2, 0.8]), order=2,
                       raise_exception=False)
    assert [r.passed for r in report.inputs] == [False, True]
    assert report.inputs[0].worst[0].index == (1,)


def test_a_wrong_mixed_partial_names_the_input() -> None:
    class MyMul(Op):
        """x * y whose derivative in x is recorded from y's numbers: ∂(∂f/∂x)/∂y is lost,
        which row y of H w holds."""

        name, symbol, formula, partials, arity = "my_mul", "*", "x * y", ("y", "x"), 2

        def forward(self, m: Any, x: Any, y: Any) -> Any:
            return x * y

        def derivative(self, m: Any, out: Any, x: Any, y: Any) -> tuple[Any, ...]:
            return (y.data if m is NODES else y, x)

    x, y = rand(4), rand(4)
    report = gradcheck(lambda a, b: apply(MyMul(), a, b).sum(), x, y, order=2, names=["x", "y"],
                       raise_exception=False)
    assert [(r.label, r.passed) for r in report.inputs] == [
        ("x", True), ("y", True), ("x (rev, order 2)", True), ("y (rev, order 2)", False)]
    assert report.inputs[3].failures == 4


# --- forward mode: an op wrongly marked linear fails "fwd" (and only it), located ------------


class SquareOne(Op):
    """3x, except element (1, 2) squared: linear everywhere but there, yet marked linear, so
    forward mode squares the tangent where it should multiply it by 2x."""

    name, elementwise, symbol, linear = "square_one", False, "3x|x²", True

    def forward(self, m: Any, x: Any) -> Any:
        return np.where(_at_1_2(x), x * x, 3.0 * x)

    def vjp(self, m: Any, grad_out: Any, out: Any, xs: tuple[Any, ...],
            needs: tuple[bool, ...]) -> tuple[Any, ...]:
        (x,) = xs
        return (m.where(_at_1_2(x), 2.0 * x * grad_out, 3.0 * grad_out),)


def _at_1_2(x: Any) -> np.ndarray:
    mask = np.zeros(x.shape, dtype=bool)
    mask[1, 2] = True
    return mask


class AddOne(Op):
    """x + 1, marked linear: it is affine, so forward mode adds 1 to every tangent."""

    name, elementwise, symbol, linear = "add_one", False, "+1", True

    def forward(self, m: Any, x: Any) -> Any:
        return x + 1.0

    def vjp(self, m: Any, grad_out: Any, out: Any, xs: tuple[Any, ...],
            needs: tuple[bool, ...]) -> tuple[Any, ...]:
        return (grad_out,)


def test_an_op_wrongly_marked_linear_fails_forward_mode_at_its_element() -> None:
    x = rand(3, 4)
    x[1, 2] = 1.3
    f = lambda t: apply(SquareOne(), t).tanh().sum()   # noqa: E731
    assert gradcheck(f, x, per_op=True).passed
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, x, modes=("fwd",), per_op=True, names=["x"])
    report = info.value.report
    (fwd,) = report.inputs
    assert fwd.label == "x (fwd)" and fwd.failures == 1 and fwd.worst[0].index == (1, 2)
    index, analytic, numerical, error = fwd.worst[0]
    assert math.isclose(analytic * 2 * 1.3, numerical, rel_tol=1e-6)   # 1 where 2x belongs
    bad = report.first_bad_op
    assert bad is not None and (bad.name, bad.mode) == ("square_one", "fwd")
    assert "first op whose forward-mode tangent disagrees: #1 square_one" in str(report)
    both = gradcheck(f, x, modes=BOTH, raise_exception=False)
    assert [(r.label, r.passed) for r in both.inputs] == [("input 0", True), ("input 0 (fwd)", False)]


def test_an_affine_op_marked_linear_fails_forward_mode_everywhere() -> None:
    x = rand(2, 3)
    f = lambda t: (apply(AddOne(), t) * t).sum()   # noqa: E731
    assert gradcheck(f, x).passed
    report = gradcheck(f, x, modes=("fwd",), raise_exception=False)
    assert report.inputs[0].failures == 6 and report.inputs[0].verdict == "wrong"
    ops = check_ops(f(Tensor(x, requires_grad=True)), mode="fwd")
    assert [(o.name, o.passed) for o in ops] == [("add_one", False), ("mul", True), ("sum", True)]


# --- how the modes and orders are run and reported ---------------------------------------------


def test_both_modes_share_the_differences() -> None:
    calls = [0]

    def f(t: Tensor) -> Tensor:
        calls[0] += 1
        return (t.tanh() * t).sum()

    x = rand(5)
    gradcheck(f, x)
    rev = calls[0]
    calls[0] = 0
    gradcheck(f, x, modes=BOTH)
    assert calls[0] == rev + x.size   # one jvp per element, and no difference taken twice


def test_a_tie_of_max_is_a_jump_at_order_two_not_a_failure() -> None:
    report = gradcheck(lambda t: t.max() * t.sum(), np.array([1.0, 1.0, 0.5]), order=2, modes=BOTH)
    for second in report.inputs[2:]:
        assert [j.index for j in second.jumps] == [(0,), (1,)] and second.failures == 0
    assert "jumps in input 0 (rev, order 2)" in str(report) and "2 jumps" in str(report)


def test_a_jump_is_told_apart_only_on_evidence_and_only_when_asked() -> None:
    x = np.array([0.0, 1.0])

    def g(x: np.ndarray) -> float:   # steps by 2 at x0 = 0 (g(0) is the left side), smooth in x1
        return 2.0 * float(x[0] > 0) + 3.0 * x[1] ** 2

    def shift(idx: np.ndarray, steps: np.ndarray) -> np.ndarray:
        moved = [x.copy() for _ in idx]
        for copy, i, s in zip(moved, idx, steps):
            copy[i] += s
        return np.array([g(copy) for copy in moved])

    def judged(analytic: list[float], jumps: bool) -> Any:
        return judge("x", x, np.arange(2), np.array(analytic), shift, g(x), default_step(np.float64),
                     FLOAT64_EPSILON, ATOL, RTOL, None, jumps=jumps)

    right = judged([0.0, 6.0], jumps=True)
    assert right.passed and [(j.index, round(j.jump, 12)) for j in right.jumps] == [((0,), 2.0)]
    wrong = judged([0.0, 5.0], jumps=True)
    assert wrong.failures == 1 and wrong.worst[0].index == (1,) and len(wrong.jumps) == 1
    at_order_one = judged([0.0, 6.0], jumps=False)
    assert at_order_one.failures == 1 and at_order_one.worst[0].index == (0,) and not at_order_one.jumps


def test_at_a_kink_there_is_no_second_derivative_and_the_report_says_where() -> None:
    x = np.array([0.0, 0.5])
    f = lambda t: t.relu().sum() * 2 + t.tanh().sum()   # noqa: E731
    report = gradcheck(f, x, order=2, raise_exception=False)
    assert not report.passed and report.not_checked is not None and "second derivative" in report.not_checked
    assert labels(report) == ["input 0"] and [k.index for k in report.inputs[0].kinks] == [(0,)]
    assert any("relu" in n and "(0,)" in n for n in report.notes)
    assert gradcheck(f, np.array([0.3, 0.5]), order=2).passed


def test_non_scalar_output_sampled_float32_at_order_two() -> None:
    x = rand(6, 5)
    report = gradcheck(lambda t: t.sin() * t, x, order=2, modes=BOTH, max_elements=7, seed=3)
    assert report.passed and any("Σ r ⊙ f" in n for n in report.notes)
    assert [(r.checked, r.total, r.seed) for r in report.inputs] == [(7, 30, 3)] * 4
    with pytest.warns(GradcheckWarning, match="float32"):
        assert gradcheck(lambda t: (t.tanh() ** 3).sum(), x.astype(np.float32), order=2, modes=BOTH).passed


def test_the_default_report_names_no_mode() -> None:
    text = str(gradcheck(lambda t: (t * t).sum(), rand(3), names=["x"]))
    assert "  x  " in text and "(rev" not in text and "fwd" not in text and "order 2" not in text


@pytest.mark.parametrize(("options", "error", "match"), [
    ({"order": 3}, ValueError, "order must be 1 .* or 2"),
    ({"order": 0}, ValueError, "got 0"),
    ({"order": True}, ValueError, "got True"),
    ({"order": 1.5}, ValueError, "got 1.5"),
    ({"modes": ("backward",)}, ValueError, "unknown mode 'backward'"),
    ({"modes": ("fwd", "bwd")}, ValueError, "unknown mode 'bwd'"),
    ({"modes": "fwd"}, TypeError, r"such as \('fwd',\)"),
    ({"modes": ()}, ValueError, "each once"),
    ({"modes": ("fwd", "fwd")}, ValueError, "each once"),
])
def test_bad_orders_and_modes_raise_clear_errors(options: dict[str, Any], error: type[Exception],
                                                 match: str) -> None:
    with pytest.raises(error, match=match):
        gradcheck(lambda t: t.sum(), rand(3), **options)


def test_check_ops_names_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="check_ops: unknown mode 'sideways'"):
        check_ops(Value(0.5).tanh(), mode="sideways")
