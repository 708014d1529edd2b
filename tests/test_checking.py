"""Tests of autograd.checking: every op passes; deliberately wrong backwards are
caught with the right input and element named; kinks are told apart from bugs, and
only on evidence; an f that writes into its inputs is still checked at the inputs
given, and one that gives two answers fails; float32 warns and is re-checked in
float64; sampling, reports, errors, helpers."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import (
    GradcheckError,
    GradcheckWarning,
    Tensor,
    Value,
    check_gradient,
    check_ops,
    gradcheck,
    numerical_grad,
)
from autograd.checking import verdict
from autograd.extend import apply
from autograd.ops import Op
from autograd.testing import assert_grad_close, well_conditioned_arrays, well_conditioned_floats
from tests.strategies import floats, shapes

RNG = np.random.default_rng(1234)


def rand(*shape: int, lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    """Uniform values kept at least 0.1 away from 0 (no kinks of relu/abs)."""
    x = RNG.uniform(lo, hi, shape)
    return np.where(np.abs(x) < 0.1, 0.1 + np.abs(x), x)


# --- every chainrule op passes --------------------------------------------------------

UNARY_TENSOR: dict[str, Callable[[Tensor], Tensor]] = {
    "neg": lambda x: -x, "exp": lambda x: x.exp(), "log": lambda x: (x * x + 0.5).log(),
    "tanh": lambda x: x.tanh(), "sigmoid": lambda x: x.sigmoid(), "relu": lambda x: x.relu(),
    "sqrt": lambda x: (x * x + 0.5).sqrt(), "abs": lambda x: x.abs(), "pow_const": lambda x: x ** 3,
    "pow_half": lambda x: (x * x + 0.5) ** 0.5, "clip": lambda x: x.clip(-1.05, 1.05),
    "sum": lambda x: x.sum(axis=0), "mean": lambda x: x.mean(axis=1, keepdims=True),
    "max": lambda x: x.max(axis=1), "reshape": lambda x: x.reshape(-1), "transpose": lambda x: x.T,
    "getitem": lambda x: x[np.array([0, 2, 0])], "slice": lambda x: x[1:, ::2],
    "logsumexp": lambda x: x.logsumexp(axis=1), "log_softmax": lambda x: x.log_softmax(axis=0),
    "softmax": lambda x: x.softmax(axis=1),
    "concatenate": lambda x: autograd.concatenate([x, x * 2], axis=1),
    "stack": lambda x: autograd.stack([x, x.exp()], axis=0),
}


@pytest.mark.parametrize("name", sorted(UNARY_TENSOR))
def test_every_unary_tensor_op_passes(name: str) -> None:
    x = rand(3, 4)
    report = gradcheck(UNARY_TENSOR[name], x, per_op=True)
    assert report.passed and report.inputs[0].checked == 12
    assert report.first_bad_op is None and len(report.ops) >= 1
    assert not any("in place" in n for n in report.notes)


BINARY_TENSOR: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "div": lambda x, y: x / (y * y + 0.5), "pow": lambda x, y: (x * x + 0.5) ** y,
    "maximum": lambda x, y: x.maximum(y * 1.01 + 0.05), "matmul": lambda x, y: x @ y.T,
}


@pytest.mark.parametrize("name", sorted(BINARY_TENSOR))
def test_every_binary_tensor_op_passes_with_broadcasting(name: str) -> None:
    x, y = rand(3, 4), rand(3, 4) if name == "matmul" else rand(4)
    report = gradcheck(BINARY_TENSOR[name], x, y, per_op=True)
    assert report.passed and [r.checked for r in report.inputs] == [12, y.size]


VALUE_OPS: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda x, y: x + y, "mul": lambda x, y: x * y, "sub": lambda x, y: x - y,
    "div": lambda x, y: x / (y * y + 1), "pow": lambda x, y: (x * x + 1) ** y,
    "pow_const": lambda x, y: x ** 3, "exp": lambda x, y: x.exp(), "log": lambda x, y: (x * x + 1).log(),
    "tanh": lambda x, y: x.tanh(), "sigmoid": lambda x, y: x.sigmoid(), "relu": lambda x, y: x.relu() * y,
    "sqrt": lambda x, y: (x * x).sqrt(),
    "abs": lambda x, y: x.abs(), "maximum": lambda x, y: x.maximum(y), "clip": lambda x, y: x.clip(-5, 5),
}


@pytest.mark.parametrize("name", sorted(VALUE_OPS))
@given(x=well_conditioned_floats(-2, 2, avoid=(0.0,), margin=0.05),
       y=well_conditioned_floats(-2, 2, avoid=(0.0,), margin=0.05))
def test_every_value_op_passes(name: str, x: float, y: float) -> None:
    if name == "maximum" and abs(x - y) < 0.05:
        y = x + 0.5
    report = gradcheck(VALUE_OPS[name], Value(x), y, per_op=True)
    assert report.passed, str(report)


@given(x=well_conditioned_arrays(shapes(1, 3), distinct=True))
def test_tensor_graph_property(x: np.ndarray) -> None:
    assert_grad_close(lambda t: (t.tanh() * t.relu() + t.max() * t.sigmoid()).sum(), x, per_op=True)


# --- deliberately wrong backwards are caught, with input and element named ------------


class Square(Op):
    """x²: derivative 2x (or a deliberately wrong one)."""

    name, symbol, formula, partials = "square", "sq", "x**2", ("2x",)

    def __init__(self, factor: float = 2.0) -> None:
        self.factor = factor

    def forward(self, m: Any, x: Any) -> Any:
        return x * x

    def derivative(self, m: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (self.factor * x,)


class Cos(Op):
    """cos x: derivative -sin x (sign-flipped when ``flip``)."""

    name, symbol, formula, partials = "cosine", "cos", "cos(x)", ("-sin(x)",)

    def __init__(self, flip: bool = False) -> None:
        self.flip = flip

    def forward(self, m: Any, x: Any) -> Any:
        return np.cos(x)

    def derivative(self, m: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (np.sin(x) if self.flip else -np.sin(x),)


class MyMatMul(Op):
    """x @ y with a vjp that can forget the transpose of y."""

    name, elementwise, arity, symbol = "my_matmul", False, 2, "@"

    def __init__(self, transposed_bug: bool = False) -> None:
        self.bug = transposed_bug

    def forward(self, m: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x @ y

    def vjp(self, m: Any, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        x, y = xs
        return (grad_out @ (y if self.bug else y.T), x.T @ grad_out)


class AddBias(Op):
    """x (n, k) + b (k,) with a vjp that can sum b's gradient over the wrong axis."""

    name, elementwise, arity, symbol = "add_bias", False, 2, "+b"

    def __init__(self, wrong_axis: bool = False) -> None:
        self.wrong_axis = wrong_axis

    def forward(self, m: Any, x: np.ndarray, b: np.ndarray) -> np.ndarray:
        return x + b

    def vjp(self, m: Any, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        return (grad_out, grad_out.sum(axis=1 if self.wrong_axis else 0))


class Scale(Op):
    """x * 3 with a vjp that can be wrong in element (1, 2) only."""

    name, elementwise, symbol = "scale3", False, "*3"

    def __init__(self, one_bad: bool = False) -> None:
        self.one_bad = one_bad

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return 3.0 * x

    def vjp(self, m: Any, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        g = 3.0 * grad_out
        if self.one_bad:
            g = g.copy()
            g[1, 2] *= 1.5
        return (g,)


def _fails(f: Callable[..., Any], *inputs: Any) -> autograd.GradcheckReport:
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, *inputs, per_op=True, names=[f"in{i}" for i in range(len(inputs))])
    report = info.value.report
    assert not report.passed and str(report) == str(info.value)
    return report


def test_sign_flip_is_caught_and_named() -> None:
    x = rand(2, 3)
    report = _fails(lambda t: apply(Cos(flip=True), t).sum(), x)
    assert report.inputs[0].verdict == "wrong" and report.inputs[0].failures == 6
    bad = report.first_bad_op
    assert bad is not None and bad.name == "cosine" and "first op whose backward disagrees" in str(report)
    assert gradcheck(lambda t: apply(Cos(), t).sum(), x, per_op=True).passed


def test_missing_factor_two_is_caught_in_values_and_tensors() -> None:
    report = _fails(lambda v: apply(Square(factor=1.0), v) * 3, Value(1.5))
    assert report.inputs[0].worst[0].index == () and math.isclose(report.inputs[0].worst[0].analytic, 4.5)
    assert report.first_bad_op is not None and report.first_bad_op.name == "square"
    report = _fails(lambda t: apply(Square(factor=1.0), t).tanh().sum(), rand(4) * 0.3)
    assert report.first_bad_op is not None and report.first_bad_op.name == "square"
    assert gradcheck(lambda t: apply(Square(), t).tanh().sum(), rand(4) * 0.3, per_op=True).passed


def test_transposed_matrix_is_caught_on_the_right_input() -> None:
    x, y = rand(3, 3), rand(3, 3)
    report = _fails(lambda a, b: apply(MyMatMul(transposed_bug=True), a, b).tanh().sum(), x, y)
    assert [r.passed for r in report.inputs] == [False, True]
    bad = report.first_bad_op
    assert bad is not None and bad.name == "my_matmul" and [r.passed for r in bad.inputs] == [False, True]
    assert gradcheck(lambda a, b: apply(MyMatMul(), a, b).tanh().sum(), x, y, per_op=True).passed


def test_wrong_broadcast_sum_is_caught_on_the_bias() -> None:
    x, b = rand(3, 3), rand(3)
    report = _fails(lambda a, c: apply(AddBias(wrong_axis=True), a, c).sigmoid().sum(), x, b)
    assert [r.passed for r in report.inputs] == [True, False] and report.inputs[1].name == "in1"
    assert report.first_bad_op is not None and report.first_bad_op.name == "add_bias"
    assert gradcheck(lambda a, c: apply(AddBias(), a, c).sigmoid().sum(), x, b, per_op=True).passed


def test_bug_in_one_element_is_named_exactly() -> None:
    x = rand(3, 4)
    report = _fails(lambda t: apply(Scale(one_bad=True), t).tanh().sum(), x)
    entry = report.inputs[0]
    assert entry.failures == 1 and entry.worst[0].index == (1, 2)
    index, analytic, numerical, error = entry.worst[0]
    assert math.isclose(analytic, 1.5 * numerical, rel_tol=1e-6) and error > 1e-2
    assert "(1, 2)" in str(report)
    assert gradcheck(lambda t: apply(Scale(), t).tanh().sum(), x, per_op=True).passed


def _mlp(W: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum(np.tanh(W @ x) ** 2))


def _mlp_grad(bug: str) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    def grad(W: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = np.tanh(W @ x)
        d = 2 * t * (1 - t ** 2) * (-1.0 if bug == "sign" else 1.0)
        if bug == "factor":
            d = d / 2
        gW = np.outer(d, x)
        gx = W.T @ d
        if bug == "transpose":
            gW = gW.T.copy()
        if bug == "element":
            gW[2, 1] += 0.3
        return gW, gx
    return grad


@pytest.mark.parametrize("bug", ["sign", "factor", "transpose", "element"])
def test_check_gradient_catches_hand_written_bugs(bug: str) -> None:
    W, x = rand(3, 3) * 0.5, rand(3)
    report = check_gradient(_mlp, _mlp_grad(bug), W, x, names=["W", "x"], raise_exception=False)
    assert not report.passed and report.inputs[0].name == "W" and not report.inputs[0].passed
    if bug == "element":
        assert report.inputs[0].failures == 1 and report.inputs[0].worst[0].index == (2, 1)
        assert report.inputs[1].passed
    assert check_gradient(_mlp, _mlp_grad("none"), W, x).passed


def test_wrong_broadcast_sum_in_plain_numpy() -> None:
    X, b = rand(4, 3), rand(3)

    def f(X: np.ndarray, b: np.ndarray) -> float:
        return float(np.sum(np.tanh(X + b)))

    def grad(X: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = 1 - np.tanh(X + b) ** 2
        return d, d.mean(axis=0)   # should be sum over the batch axis

    report = check_gradient(f, grad, X, b, raise_exception=False)
    assert report.inputs[0].passed and not report.inputs[1].passed and report.inputs[1].failures == 3


# --- kinks -----------------------------------------------------------------------------


def test_relu_at_exactly_zero_is_a_kink_not_a_failure() -> None:
    report = gradcheck(lambda t: (t.relu() * Tensor([1.0, 2.0, 3.0])).sum(), np.array([0.0, 1.0, -1.0]),
                       per_op=True)
    assert report.passed
    (kink,) = report.inputs[0].kinks
    assert kink.index == (0,) and kink.analytic == 0.0
    assert math.isclose(kink.left, 0.0, abs_tol=1e-9) and math.isclose(kink.right, 1.0, rel_tol=1e-6)
    assert "kinks in" in str(report)


def test_kink_with_an_impossible_subgradient_fails() -> None:
    def f(x: np.ndarray) -> float:
        return float(np.sum(np.maximum(x, 0.0)))

    report = check_gradient(f, lambda x: np.where(x > 0, 1.0, 5.0), np.array([0.0, 2.0]),
                            raise_exception=False)
    assert not report.passed and report.inputs[0].worst[0].index == (0,) and not report.inputs[0].kinks


def test_kink_just_inside_the_step_is_not_a_failure() -> None:
    x = np.array([3e-6, -2e-6, 1.0])   # within h = 6e-6 of the kink, outside h/10
    report = gradcheck(lambda t: t.abs().sum(), x)
    assert report.passed and not report.inputs[0].kinks


def test_smooth_high_curvature_is_not_called_a_kink() -> None:
    report = check_gradient(lambda x: float(np.sum(np.exp(8 * x))), lambda x: 8 * np.exp(8 * x),
                            np.array([1.0, 2.0]), raise_exception=False)
    assert report.passed and not report.inputs[0].kinks


def test_slopes_that_merely_disagree_are_not_a_kink() -> None:
    # f answers the same at the point, so only the kink rule stands between its drifting
    # one-sided slopes (garbage, growing with the number of calls) and a pass.
    x0 = np.array([0.7, -1.3, 2.1])
    calls = [0]

    def f(x: np.ndarray) -> float:
        calls[0] += 1
        drift = 0.0 if np.array_equal(x, x0) else 1e-7 * calls[0]
        return float(np.sum(x ** 2)) + drift

    report = check_gradient(f, lambda x: 3 * x, x0, raise_exception=False)
    assert not report.passed and report.inputs[0].failures == 3 and not report.inputs[0].kinks


def test_a_rough_f_is_not_called_kinky() -> None:
    # Deterministic, but rough at the scale of the step: its one-sided slopes at h and h/10
    # are unrelated numbers in the hundreds.  The old rule (the gap does not shrink with the
    # step) called 38 % of such elements kinks and accepted any gradient between the slopes.
    def f(x: np.ndarray) -> float:
        return float(np.sum(x ** 2 + 1e-3 * np.sin(1e15 * x)))

    x = np.random.default_rng(0).uniform(-2, 2, 400)
    report = check_gradient(f, lambda x: 2 * x, x, raise_exception=False)
    assert len(report.inputs[0].kinks) <= 4 and not report.passed


# t = 0.5 is left out: the midpoint of the slopes is the central difference, which passes as it is.
@given(kink=floats(-2, 2), left=floats(-3, 3), jump=st.floats(0.1, 3) | st.floats(-3, -0.1),
       curvature=floats(-2, 2), t=st.floats(0, 0.45) | st.floats(0.55, 1))
def test_a_real_kink_passes_with_any_subgradient(kink: float, left: float, jump: float, curvature: float,
                                                 t: float) -> None:
    right = left + jump

    def f(x: np.ndarray) -> float:
        d = x - kink
        return float(np.sum(np.where(d > 0, right * d, left * d) + curvature * d ** 2))

    x = np.array([kink, kink + 0.5])
    beside = right + curvature    # the derivative at kink + 0.5
    report = check_gradient(f, lambda x: np.array([left + t * jump, beside]), x, raise_exception=False)
    assert report.passed and [k.index for k in report.inputs[0].kinks] == [(0,)]
    (found,) = report.inputs[0].kinks
    assert math.isclose(min(left, right), found.left, abs_tol=1e-4)
    assert math.isclose(max(left, right), found.right, abs_tol=1e-4)
    outside = check_gradient(f, lambda x: np.array([right + jump, beside]), x, raise_exception=False)
    assert not outside.passed and outside.inputs[0].worst[0].index == (0,) and not outside.inputs[0].kinks


# --- an f that writes into its inputs, or gives two answers ----------------------------------


def test_in_place_f_with_a_wrong_gradient_fails_with_a_note() -> None:
    def f(x: np.ndarray) -> float:
        x -= 1
        return float(np.sum(x ** 2))

    x = np.array([1.0, 2.0, 3.0])
    report = check_gradient(f, lambda x: 100 * x, x, names=["x"], raise_exception=False)
    assert not report.passed and report.inputs[0].failures == 3 and not report.inputs[0].kinks
    assert any(n.startswith("f changed x in place") for n in report.notes)
    assert np.array_equal(x, [1.0, 2.0, 3.0])
    assert check_gradient(f, lambda x: 2 * (x - 1), x).passed


@given(a=well_conditioned_arrays(shapes(1, 2), lo=-1, hi=1, avoid=()), b=floats(0.5, 2),
       scale=floats(0.5, 2), shift=floats(0.1, 0.5), factor=st.sampled_from([-1.0, 0.5, 1.5]))
def test_in_place_f_is_checked_at_the_inputs_given(a: np.ndarray, b: float, scale: float, shift: float,
                                                   factor: float) -> None:
    def f(a: np.ndarray, b: float) -> float:
        a *= scale
        a -= shift
        return float(np.sum(np.tanh(a) * b))

    def grad_f(a: np.ndarray, b: float, factor: float = 1.0) -> tuple[np.ndarray, float]:
        t = np.tanh(scale * a - shift)
        return factor * scale * b * (1 - t ** 2), float(np.sum(t))

    right = check_gradient(f, grad_f, a, b, names=["a", "b"], raise_exception=False)
    assert right.passed, str(right)
    (note,) = [n for n in right.notes if "in place" in n]
    assert note.startswith("f changed a in place")
    wrong = check_gradient(f, lambda a, b: grad_f(a, b, factor), a, b, names=["a", "b"],
                           raise_exception=False)
    assert [r.passed for r in wrong.inputs] == [False, True] and wrong.inputs[0].failures == a.size
    assert any(n.startswith("f changed a in place") for n in wrong.notes)


def test_gradcheck_of_an_f_that_writes_into_its_tensor() -> None:
    x = rand(4)

    def minus_one(t: Tensor) -> Tensor:
        t.data -= 1
        return (t * t).sum()

    def new_array(t: Tensor) -> Tensor:
        t.data = t.data - 1
        return (t * t).sum()

    for f in (minus_one, new_array):
        report = gradcheck(f, x, names=["t"])
        assert report.passed and any(n.startswith("f changed t in place") for n in report.notes)

    def wrong(t: Tensor) -> Tensor:
        t.data -= 1
        return apply(Square(factor=1.0), t).sum()

    report = _fails(wrong, x)
    assert report.inputs[0].failures == 4 and any(n.startswith("f changed in0") for n in report.notes)


def test_an_f_that_writes_into_its_input_now_and_then_is_still_checked_right() -> None:
    calls = [0]

    def f(x: np.ndarray) -> float:
        calls[0] += 1
        out = float(np.sum(np.tanh(x)))
        if calls[0] % 7 == 0:   # spoils the copies in the middle of a batch of shifts
            x[...] = 0.0
        return out

    x = rand(5)
    right = check_gradient(f, lambda x: 1 - np.tanh(x) ** 2, x, names=["x"], raise_exception=False)
    assert right.passed and right.inputs[0].verdict == "good", str(right)
    assert any(n.startswith("f changed x in place") for n in right.notes)
    wrong = check_gradient(f, lambda x: np.tanh(x) ** 2 - 1, x, raise_exception=False)
    assert wrong.inputs[0].failures == 5


def test_vectorized_f_that_writes_into_its_input() -> None:
    W, x = rand(3, 4), rand(4)

    def f(W: np.ndarray, x: np.ndarray) -> Any:
        W *= 0.5
        return np.sum(np.tanh(W @ x[..., None])[..., 0], axis=-1)

    def grad_f(W: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = 0.5 * (1 - np.tanh(0.5 * W @ x) ** 2)
        return np.outer(d, x), (W.T @ d)

    right = check_gradient(f, grad_f, W, x, names=["W", "x"], vectorized=True, raise_exception=False)
    assert right.passed and any(n.startswith("f changed W in place") for n in right.notes), str(right)
    wrong = check_gradient(f, lambda W, x: (2 * grad_f(W, x)[0], grad_f(W, x)[1]), W, x, vectorized=True,
                           raise_exception=False)
    assert [r.passed for r in wrong.inputs] == [False, True]


def test_numerical_grad_of_an_in_place_f_warns_and_is_right() -> None:
    def f(a: np.ndarray) -> float:
        a -= 1
        return float(np.sum(a ** 2))

    x = np.array([0.5, 2.0, -1.0])
    with pytest.warns(GradcheckWarning, match="f changed input 0 in place"):
        g = numerical_grad(f, x)
    assert np.allclose(g, 2 * (x - 1), rtol=1e-8) and np.array_equal(x, [0.5, 2.0, -1.0])


@given(noise=st.floats(1e-9, 1e-2), seed=st.integers(0, 2 ** 32 - 1))
def test_an_f_with_random_noise_never_passes(noise: float, seed: int) -> None:
    rng = np.random.default_rng(seed)

    def f(x: np.ndarray) -> float:
        return float(np.sum(x ** 2)) * (1 + noise * rng.standard_normal())

    report = check_gradient(f, lambda x: 2 * x, np.array([0.5, -1.0]), raise_exception=False)
    assert not report.passed and report.not_checked == "f gave two answers at the same point"
    assert not report.inputs and "so no element was compared" in str(report)


def test_an_f_with_hidden_state_fails_unchecked() -> None:
    calls = [0]

    def f(t: Tensor) -> Tensor:
        calls[0] += 1
        return (t * t).sum() + 1e-9 * calls[0]

    with pytest.raises(GradcheckError, match="FAILED: f gave two answers at the same point") as info:
        gradcheck(f, rand(3), per_op=True)
    assert info.value.report.ops and not info.value.report.inputs
    with pytest.raises(ValueError, match="numerical_grad: f gave two answers"):
        numerical_grad(lambda t: f(t), Tensor(rand(3)))


# --- float32 ---------------------------------------------------------------------------


def test_float32_warns_and_rechecks_in_float64() -> None:
    x = rand(3).astype(np.float32)
    with pytest.warns(GradcheckWarning, match="float32"):
        report = gradcheck(lambda t: (t * t).tanh().sum(), x)
    assert report.passed and report.inputs[0].dtype == "float64"
    assert any("float64 copies" in n for n in report.notes)


def test_float32_only_function_is_checked_in_float32_with_a_note() -> None:
    x = rand(3).astype(np.float32)

    def f(x: np.ndarray) -> np.float32:
        if x.dtype != np.float32:
            raise TypeError("float32 only")
        return np.sum(np.tanh(x))

    with pytest.warns(GradcheckWarning):
        report = check_gradient(f, lambda x: 1 - np.tanh(x) ** 2, x, rtol=1e-2)
    assert report.inputs[0].dtype == "float32" and any("rejected float64" in n for n in report.notes)
    with pytest.warns(GradcheckWarning):
        wrong = check_gradient(f, lambda x: -(1 - np.tanh(x) ** 2), x, rtol=1e-2, raise_exception=False)
    assert not wrong.passed


def test_float64_inputs_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradcheck(lambda t: t.exp().sum(), rand(3))


@given(x=well_conditioned_arrays(shapes(1, 1), lo=-2, hi=2, avoid=()),
       name=st.sampled_from(["exp", "tanh2", "logistic"]))
def test_a_smooth_float32_f_is_not_called_kinky(x: np.ndarray, name: str) -> None:
    fs: dict[str, tuple[Callable[[np.ndarray], Any], Callable[[np.ndarray], np.ndarray]]] = {
        "exp": (lambda x: np.sum(np.exp(x.astype(np.float32) / 2)), lambda x: 0.5 * np.exp(x / 2)),
        "tanh2": (lambda x: np.sum(np.tanh(x.astype(np.float32)) ** 2),
                  lambda x: 2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
        "logistic": (lambda x: np.sum(np.logaddexp(np.float32(0), x.astype(np.float32))),
                     lambda x: 1 / (1 + np.exp(-x))),
    }
    f, grad_f = fs[name]
    with pytest.warns(GradcheckWarning, match="float32"):
        report = check_gradient(f, grad_f, x, raise_exception=False)
    assert not report.inputs[0].kinks and "kink" not in str(report)
    with pytest.warns(GradcheckWarning, match="float32"):
        assert check_gradient(f, grad_f, x, rtol=1e-2).passed


def test_float32_rounding_is_acceptable_not_kinky() -> None:
    x = np.array([1.0, 2.0, 3.0])
    with pytest.warns(GradcheckWarning, match="float32"):
        report = check_gradient(lambda x: np.sum(np.tanh(x.astype(np.float32))),
                                lambda x: 1 - np.tanh(x) ** 2, x, rtol=1e-2)
    assert report.inputs[0].verdict == "acceptable" and "kink" not in str(report)


# --- sampling, projection, report -----------------------------------------------------------


def test_sampling_is_seeded_and_reported() -> None:
    x = rand(20, 30)
    f = lambda t: (t.tanh() * 2).sum()  # noqa: E731
    a = gradcheck(f, x, max_elements=50, seed=3)
    b = gradcheck(f, x, max_elements=50, seed=3)
    assert a.inputs[0].checked == 50 and a.inputs[0].total == 600 and a.inputs[0].sampled
    assert [w.index for w in a.inputs[0].worst] == [w.index for w in b.inputs[0].worst]
    assert "random sample of 50 of 600 elements (seed 3)" in str(a)
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: apply(Cos(flip=True), t).sum(), x, max_elements=10)


def test_non_scalar_output_is_checked_through_a_random_projection() -> None:
    report = gradcheck(lambda t: t.tanh() * 2, rand(2, 3))
    assert report.passed and any("Σ r ⊙ f" in n for n in report.notes)
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: apply(Cos(flip=True), t), rand(2, 3))


def test_report_is_a_small_table_never_a_jacobian() -> None:
    x = rand(40, 50)
    report = gradcheck(lambda t: apply(Cos(flip=True), t).sum(), x, raise_exception=False)
    text = str(report)
    assert len(text.splitlines()) < 20 and len(report.inputs[0].worst) == 5
    assert report.inputs[0].failures == 2000 and "wrong" in text


def test_verdict_bands() -> None:
    assert [verdict(e) for e in (0.5, 2e-2, 1e-3, 1e-5, 1e-8, 0.0)] == [
        "wrong", "wrong", "doubtful", "acceptable", "good", "good"]
    assert verdict(math.inf) == "wrong" and verdict(math.nan) == "wrong"


def test_absolute_floor_accepts_tiny_differences_near_zero() -> None:
    x = np.array([1.0, 2.0])
    near = check_gradient(lambda x: float(np.sum(x)) * 0, lambda x: np.full(2, 1e-9), x)
    assert near.passed and near.inputs[0].verdict != "wrong"
    with pytest.raises(GradcheckError):
        check_gradient(lambda x: float(np.sum(x)) * 0, lambda x: np.full(2, 1e-9), x, atol=0.0)


# --- numerical_grad -----------------------------------------------------------------------


def test_numerical_grad_kinds_and_richardson() -> None:
    x = np.array([0.3, -1.1, 2.0])
    g = numerical_grad(lambda a: float(np.sum(np.sin(a))), x)
    r = numerical_grad(lambda a: float(np.sum(np.sin(a))), x, richardson=True)
    assert np.max(np.abs(g - np.cos(x))) < 1e-9 and np.max(np.abs(r - np.cos(x))) < 1e-11
    gx, gy = numerical_grad(lambda a, b: (a * b).sum(), Tensor(x), Tensor(2 * x))
    assert np.allclose(gx, 2 * x) and np.allclose(gy, x)
    dv = numerical_grad(lambda v: v.exp(), Value(0.5))
    assert isinstance(dv, float) and math.isclose(dv, math.exp(0.5), rel_tol=1e-9)


def test_numerical_grad_vectorized_matches_one_by_one() -> None:
    W, x = rand(3, 4), rand(4)

    def f(W: np.ndarray, x: np.ndarray) -> Any:
        return np.sum(np.tanh(W @ x[..., None])[..., 0], axis=-1)

    loop = numerical_grad(lambda W, x: float(f(W, x)), W, x)
    vec = numerical_grad(f, W, x, vectorized=True)
    assert all(np.allclose(a, b, rtol=0, atol=1e-12) for a, b in zip(loop, vec))
    report = check_gradient(f, lambda W, x: (np.outer(1 - np.tanh(W @ x) ** 2, x),
                                             W.T @ (1 - np.tanh(W @ x) ** 2)), W, x, vectorized=True)
    assert report.passed
    with pytest.raises(ValueError, match="vectorized=True"):
        numerical_grad(lambda W, x: float(np.sum(W)), W, x, vectorized=True)


# --- per-op checks and errors ---------------------------------------------------------------


def test_check_ops_lists_every_op_node_in_order() -> None:
    x = Tensor(rand(2, 2), requires_grad=True)
    root = ((x @ x).relu().sum() * 2)
    names = [o.name for o in check_ops(root)]
    assert names == ["matmul", "relu", "sum", "mul"] and all(o.passed for o in check_ops(root))


def test_per_op_reports_name_inputs_as_the_op_does() -> None:
    x, W, b = Tensor(rand(4, 3)), Tensor(rand(2, 3), requires_grad=True), Tensor(rand(2), requires_grad=True)
    (op,) = [o for o in check_ops(autograd.linear(x, W, b).sum()) if o.name == "linear"]
    assert [r.name for r in op.inputs] == ["W", "b"] and op.method == "vjp with a random grad_out"
    report = gradcheck(lambda x, W, b: autograd.linear(x, W, b).tanh().sum(), rand(4, 3), rand(2, 3),
                       rand(2), per_op=True)
    linear = next(o for o in report.ops if o.name == "linear")
    assert [r.name for r in linear.inputs] == ["x", "W", "b"] and linear.passed


def test_worst_and_kink_unpack_and_compare_as_tuples() -> None:
    kinked = gradcheck(lambda t: t.relu().sum(), np.array([0.0, 1.0]))
    (kink,) = kinked.inputs[0].kinks
    index, analytic, left, right = kink
    assert (index, analytic, left, right) == kink == (kink.index, kink.analytic, kink.left, kink.right)
    wrong = check_gradient(lambda x: float(np.sum(x ** 2)), lambda x: x, np.array([1.0]),
                           raise_exception=False)
    worst = wrong.inputs[0].worst[0]
    index, analytic, numerical, error = worst
    assert index == (0,) and (analytic, numerical) == (1.0, worst.numerical) and error == worst.error
    assert tuple(worst) == (worst.index, worst.analytic, worst.numerical, worst.error)


def test_bad_arguments_raise_clear_errors() -> None:
    x = rand(3)
    with pytest.raises(ValueError, match="rtol"):
        gradcheck(lambda t: t.sum(), x, rtol=0.0)
    with pytest.raises(TypeError, match="must return a Value or Tensor"):
        gradcheck(lambda t: 1.0, x)
    with pytest.raises(TypeError, match="input 0"):
        gradcheck(lambda t: t.sum(), "abc")
    with pytest.raises(ValueError, match="one gradient per input"):
        check_gradient(lambda a, b: float(np.sum(a * b)), lambda a, b: a, x, x)
    with pytest.raises(ValueError, match=r"gradient 0 has shape \(2,\)"):
        check_gradient(lambda a: float(np.sum(a)), lambda a: a[:2], x)
    with pytest.raises(ValueError, match="must return a scalar"):
        check_gradient(lambda a: a, lambda a: a, x)
    with pytest.raises(ValueError, match="needs at least one input"):
        numerical_grad(lambda: 1.0)


def test_assert_grad_close_fails_with_the_report() -> None:
    with pytest.raises(AssertionError, match="worst elements of x"):
        assert_grad_close(lambda a: float(np.sum(a ** 2)), rand(3), grad_f=lambda a: a, names=["x"])
    assert assert_grad_close(lambda t: (t ** 2).sum(), rand(3)).passed


@given(st.data())
def test_strategies_keep_away_from_kinks_and_ties(data: st.DataObject) -> None:
    x = data.draw(well_conditioned_arrays((4,), avoid=(0.0, 1.0), margin=0.05, distinct=True))
    assert np.all(np.abs(x) >= 0.05) and np.all(np.abs(x - 1) >= 0.05)
    assert np.min(np.diff(np.sort(x))) >= 0.05


def test_handwritten_demo_catches_the_missing_sigma_prime() -> None:
    from demos.gradcheck_handwritten import run

    right, wrong, kink = run(seed=0)
    assert right.passed and all(r.verdict == "good" for r in right.inputs)
    assert not wrong.passed and all(r.verdict == "wrong" for r in wrong.inputs)
    assert kink.passed and kink.inputs[1].kinks and kink.inputs[1].kinks[0].index == (0,)
