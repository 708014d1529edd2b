"""Every elementwise op of the table, on both engines: forward against ``math`` and
numpy, local derivative against float64 central differences, and ``Value``
against a one-element ``Tensor``."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import Tensor, Value
from autograd.extend import apply, ops
from tests.numeric import assert_close, central_diff
from tests.strategies import floats

# Each op with a reference implementation and a domain kept away from kinks and poles.
CASES: list[tuple[ops.Op, Any, tuple[tuple[float, float], ...]]] = [
    (ops.ADD, lambda x, y: x + y, ((-3, 3), (-3, 3))),
    (ops.MUL, lambda x, y: x * y, ((-3, 3), (-3, 3))),
    (ops.DIV, lambda x, y: x / y, ((-3, 3), (0.2, 3))),
    (ops.DIV, lambda x, y: x / y, ((-3, 3), (-3, -0.2))),
    (ops.NEG, lambda x: -x, ((-3, 3),)),
    (ops.POW, lambda x, y: x**y, ((0.2, 3), (-2, 2))),
    (ops.PowConst(3), lambda x: x**3, ((-3, 3),)),
    (ops.PowConst(-1), lambda x: 1 / x, ((0.2, 3),)),
    (ops.PowConst(0.5), math.sqrt, ((0.2, 3),)),
    (ops.EXP, math.exp, ((-3, 3),)),
    (ops.LOG, math.log, ((0.2, 3),)),
    (ops.TANH, math.tanh, ((-3, 3),)),
    (ops.SIN, math.sin, ((-3, 3),)),
    (ops.COS, math.cos, ((-3, 3),)),
    (ops.SIGMOID, lambda x: 1 / (1 + math.exp(-x)), ((-3, 3),)),
    (ops.RELU, lambda x: max(x, 0.0), ((0.1, 3),)),
    (ops.RELU, lambda x: max(x, 0.0), ((-3, -0.1),)),
    (ops.SQRT, math.sqrt, ((0.2, 3),)),
    (ops.ABS, abs, ((-3, -0.1),)),
    (ops.ABS, abs, ((0.1, 3),)),
    (ops.MAXIMUM, max, ((-3, 3), (-3, 3))),
    (ops.Clip(-1.0, 1.0), lambda x: min(max(x, -1.0), 1.0), ((-0.9, 0.9),)),
    (ops.Clip(-1.0, 1.0), lambda x: min(max(x, -1.0), 1.0), ((1.1, 3),)),
    (ops.MINIMUM, min, ((-3, 3), (-3, 3))),
    (ops.LOG1P, math.log1p, ((-0.8, 3),)),
    (ops.EXPM1, math.expm1, ((-3, 3),)),
    (ops.SOFTPLUS, lambda x: math.log(1 + math.exp(x)), ((-3, 3),)),
    (ops.SILU, lambda x: x / (1 + math.exp(-x)), ((-3, 3),)),
    (ops.GELU_TANH, lambda x: 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
     ((-3, 3),)),
    (ops.LeakyRelu(0.01), lambda x: x if x > 0 else 0.01 * x, ((0.1, 3),)),
    (ops.LeakyRelu(0.2), lambda x: x if x > 0 else 0.2 * x, ((-3, -0.1),)),
    (ops.Elu(1.0), lambda x: x if x > 0 else math.expm1(x), ((-3, -0.1),)),
    (ops.Elu(0.5), lambda x: x if x > 0 else 0.5 * math.expm1(x), ((0.1, 3),)),
    (ops.Elu(0.5), lambda x: x if x > 0 else 0.5 * math.expm1(x), ((-3, -0.1),)),
    (ops.Where(True), lambda x, y: x, ((-3, 3), (-3, 3))),
    (ops.Where(False), lambda x, y: y, ((-3, 3), (-3, 3))),
]
PARAMETRISED = (ops.PowConst, ops.Clip, ops.LeakyRelu, ops.Elu, ops.Where)
"""Ops made per parameter (not in the registry); their docstrings speak of a general c, lo, slope, ..."""
TIES = (ops.MAXIMUM, ops.MINIMUM)
"""Ops with a kink where their inputs are equal: inputs are kept apart."""
IDS = [f"{op.name}{i}" for i, (op, _, _) in enumerate(CASES)]


def _inputs(data: st.DataObject, domain: tuple[tuple[float, float], ...]) -> list[float]:
    return [data.draw(floats(lo, hi)) for lo, hi in domain]


def test_every_elementwise_op_is_covered() -> None:
    covered = {op.name for op, _, _ in CASES}
    table = set(ops.UNARY) | set(ops.BINARY) | {"clip", "leaky_relu", "elu", "where"}
    assert table <= covered, table - covered


@pytest.mark.parametrize(("op", "ref", "domain"), CASES, ids=IDS)
@given(data=st.data())
def test_forward_matches_reference(op: ops.Op, ref: Any, domain: Any, data: st.DataObject) -> None:
    xs = _inputs(data, domain)
    if op in TIES:
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
    if op in TIES:
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
    if op in TIES:
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
    assert ops.MINIMUM.derivative(ops.SCALAR, 1.0, 1.0, 1.0) == (0.5, 0.5)
    assert ops.LeakyRelu(0.01).derivative(ops.SCALAR, 0.0, 0.0) == (0.01,)  # PyTorch: slope at 0
    assert ops.Elu(2.0).derivative(ops.SCALAR, 0.0, 0.0) == (2.0,)  # PyTorch: alpha at 0
    np.testing.assert_array_equal(ops.MAXIMUM.derivative(ops.ARRAY, None, np.array([1.0, 2.0]),
                                                         np.array([1.0, 0.0]))[0], [0.5, 1.0])


# --- the two engines agree on every op at the awkward numbers ------------------------------

SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-310,
           -1e-310, 1e-8, 0.5, 1.0, -1.0, 2.0, -2.0, 3.0, 710.0, -710.0, 1e308, -1e308,
           1.7976931348623157e308]
"""NaN, the infinities, signed zeros, subnormals, huge values, overflow thresholds and a few plain ones."""

EVERY_OP: list[ops.Op] = [*ops.UNARY.values(), *ops.BINARY.values(), ops.Clip(-1.0, 1.0),
                          ops.LeakyRelu(0.01), ops.LeakyRelu(-0.5), ops.Elu(1.0), ops.Elu(0.3),
                          ops.Where(True), ops.Where(False),
                          *(ops.PowConst(c) for c in (2.0, 3.0, 0.5, -1.0, -2.0, 0.0, 1.0, 1.5, -0.5))]


def _inputs_of(op: ops.Op) -> list[tuple[float, ...]]:
    arity = op.arity if op.arity > 0 else 1
    if arity == 1:
        return [(x,) for x in SPECIAL]
    return [(x, y) for x in SPECIAL for y in SPECIAL]


@contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


CORRECTLY_ROUNDED = {"add", "mul", "neg", "div", "sqrt", "abs", "relu", "maximum", "minimum", "sin", "cos",
                     "clip", "leaky_relu", "where"}
"""Ops whose forward and derivatives use only functions that numpy and libm round alike."""


def _same(a: float, b: float, op: ops.Op) -> bool:
    """Bit for bit (NaN equals NaN; -0.0 differs from 0.0) for the ops of ``CORRECTLY_ROUNDED``;
    within two units in the last place for ops through tanh, exp, log, log1p, expm1 or pow:
    numpy's tanh, and on AVX-512 CPUs its vectorised exp, log, log1p and expm1, round
    differently from libm's in the last bit for some inputs (see autograd.backends)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if op.name not in CORRECTLY_ROUNDED and a != b and math.isfinite(a) and math.isfinite(b):
        return abs(a - b) <= 2 * math.ulp(max(abs(a), abs(b)))
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _run_value(op: ops.Op, xs: tuple[float, ...], upstream: float) -> tuple[float, list[float]]:
    vs = [Value(x) for x in xs]
    out = apply(op, *vs)
    (out * upstream).backward()
    return out.data, [v.grad for v in vs]


def _run_tensor(op: ops.Op, xs: tuple[float, ...], upstream: float,
                shape: tuple[int, ...]) -> tuple[float, list[float]]:
    ts = [Tensor(np.full(shape, x), requires_grad=True) for x in xs]
    out = apply(op, *ts)
    out.backward(np.full(shape, upstream))
    return out.item(), [float(t.grad.reshape(())) for t in ts if t.grad is not None]


def _outcome(run: Any, *args: Any) -> Any:
    try:
        return run(*args)
    except Exception as e:  # noqa: BLE001 - both engines must raise alike
        return type(e)


@pytest.mark.parametrize("op", EVERY_OP, ids=[repr(op) for op in EVERY_OP])
def test_value_and_one_element_tensor_agree_at_special_numbers(op: ops.Op) -> None:
    """NaN, ±inf, ±0, subnormals and huge values: forward and backward, Value against a 0-d
    and a one-element Tensor, the same bits (or both raise)."""
    mismatches = []
    with _quiet():
        for xs in _inputs_of(op):
            for upstream in (1.0, -0.5):
                v = _outcome(_run_value, op, xs, upstream)
                for shape in ((), (1,)):
                    t = _outcome(_run_tensor, op, xs, upstream, shape)
                    if isinstance(v, type) or isinstance(t, type):
                        agree = v == t
                    else:
                        agree = _same(v[0], t[0], op) and all(_same(a, b, op) for a, b in zip(v[1], t[1]))
                    if not agree:
                        mismatches.append((xs, upstream, shape, v, t))
    assert not mismatches, f"{len(mismatches)} mismatches, e.g. {mismatches[:3]}"


def test_negative_control_the_comparison_sees_one_bit_and_a_sign_of_zero() -> None:
    assert not _same(0.1 + 0.2, 0.3, ops.ADD)
    assert _same(1.0, 1.0 + 2 * math.ulp(1.0), ops.LOG) and not _same(1.0, 1.0 + 3 * math.ulp(1.0), ops.LOG)
    assert not _same(0.0, -0.0, ops.ADD)
    assert not _same(math.nan, 1.0, ops.ADD)
    assert _same(math.nan, -math.nan, ops.ADD)


def test_nan_propagates_forward_and_backward_on_both_engines() -> None:
    nan = math.nan
    for make in (lambda v: v.relu(), lambda v: v.maximum(1.0), lambda v: v.abs(), lambda v: v.clip(0, 1)):
        x = Value(nan)
        y = make(x)
        y.backward()
        assert math.isnan(y.data) and math.isnan(x.grad), make
        t = Tensor([nan], requires_grad=True)
        z = make(t)
        z.sum().backward()
        assert np.isnan(z.data).all() and t.grad is not None and np.isnan(t.grad).all()


@pytest.mark.parametrize(("x", "y", "dx", "dy"), [
    (0.0, 2.0, 0.0, 0.0),      # 2 * 0**1, and 0**y is constant in y for y > 0
    (0.0, 1.0, 1.0, 0.0),
    (0.0, 0.0, 0.0, 0.0),      # PyTorch: both partials 0 at 0**0
    (0.0, 0.3, math.inf, 0.0),  # the slope of x**0.3 at 0 is infinite; its slope in y is not
    (2.0, 3.0, 12.0, 8.0 * math.log(2.0)),
])
def test_pow_with_a_variable_exponent_at_base_zero(x: float, y: float, dx: float, dy: float) -> None:
    """d(0**y)/dy = 0 for y >= 0 (not NaN or -inf from log(0)), on both engines."""
    with _quiet():
        vx, vy = Value(x), Value(y)
        (vx**vy).backward()
        tx, ty = Tensor([x], requires_grad=True), Tensor([y], requires_grad=True)
        (tx**ty).sum().backward()
    for got in ((vx.grad, vy.grad), (tx.grad[0], ty.grad[0])):  # type: ignore[index]
        assert got[0] == pytest.approx(dx, rel=1e-15) and got[1] == pytest.approx(dy, rel=1e-15)


def test_pow_at_base_zero_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    grid = [(x, y) for x in (0.0, 0.5, 2.0) for y in (0.0, 0.3, 1.0, 2.0, -1.0)]
    xs, ys = (np.array(v) for v in zip(*grid))
    tx, ty = Tensor(xs, requires_grad=True), Tensor(ys, requires_grad=True)
    with _quiet():
        (tx**ty).sum().backward()
    px, py = torch.tensor(xs, requires_grad=True), torch.tensor(ys, requires_grad=True)
    (px**py).sum().backward()
    np.testing.assert_allclose(tx.grad, px.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(ty.grad, py.grad.numpy(), rtol=1e-15)


@given(st.floats(allow_nan=False, width=64), st.floats(allow_nan=False, width=64))
def test_division_is_the_correctly_rounded_quotient_on_both_engines(x: float, y: float) -> None:
    with _quiet():
        expected = np.float64(x) / np.float64(y)
        assert _same(Value(x).__truediv__(Value(y)).data, float(expected), ops.DIV)
        assert _same((Tensor([x]) / Tensor([y])).item(), float(expected), ops.DIV)


def test_division_neither_overflows_through_a_reciprocal_nor_loses_a_zero() -> None:
    assert (Tensor([1e-310]) / Tensor([1e-320])).item() == 1e-310 / 1e-320
    assert (Value(1e-310) / Value(1e-320)).data == 1e-310 / 1e-320
    x = Tensor(np.float32([1e-20]), requires_grad=True)
    y = Tensor(np.float32([1e-20]), requires_grad=True)
    (x / y).sum().backward()
    assert y.grad is not None and y.grad.dtype == np.float32 and y.grad[0] == np.float32(-1e20)
    zero, d = Tensor([0.0], requires_grad=True), Tensor([1e-20], requires_grad=True)
    (zero / d).sum().backward()
    assert d.grad is not None and d.grad[0] == 0.0  # -0 / y², not 0 * inf = NaN


@given(st.lists(floats(-1e3, 1e3), min_size=1, max_size=40))
def test_mean_is_numpys_mean_bit_for_bit(xs: list[float]) -> None:
    """mean = sum / n as numpy computes it, not sum * (1/n), which rounds twice."""
    a = np.array(xs)
    assert Tensor(a).mean().item() == np.mean(a)
    assert Tensor(a.astype(np.float32)).mean().item() == np.mean(a.astype(np.float32))


# --- one place to add an op: the table, the engines' methods and the docs agree ------------------


def test_every_table_op_is_a_method_or_operator_of_both_engines() -> None:
    operators = {"neg": lambda a, b: -a, "add": lambda a, b: a + b, "mul": lambda a, b: a * b,
                 "div": lambda a, b: a / b, "pow": lambda a, b: a**b, "maximum": lambda a, b: a.maximum(b),
                 "minimum": lambda a, b: a.minimum(b)}
    for make in (Value, lambda v: Tensor([v], requires_grad=True)):
        for name, op in {**ops.UNARY, **ops.BINARY}.items():
            a, b = make(0.5), make(0.25)
            out = operators[name](a, b) if name in operators else getattr(a, name)()
            assert out.op is op, (name, make)


def test_every_elementwise_method_of_the_engines_is_a_registered_op() -> None:
    """The reverse direction: a Node method that applies a table op is named as the op is
    registered (so the table, not the methods, is the list of ops)."""
    import inspect

    from autograd.node import Node

    found = {}
    for name, member in vars(Node).items():
        if inspect.isfunction(member) and not name.startswith("_"):
            applied = re.findall(r"self\._apply\(ops\.(\w+)\)", inspect.getsource(member))
            if applied:
                found[name] = getattr(ops, applied[0])
    assert found, "the methods were not found"
    for name, op in found.items():
        assert ops.UNARY.get(name) is op, name
    assert set(ops.UNARY) - set(found) == {"neg"}  # unary minus is an operator


_TEXT = [(r"1\[(.*?)\]", r"(\1)"), ("²", "**2"), ("³", "**3"), ("σ", "sigmoid"), ("π", "pi"),
         (r"(\d)\s+([a-z(])", r"\1*\2")]


def _evaluate(text: str, **names: float) -> float:
    """A formula as the op table writes it (``1 - tanh(x)²``, ``1[x > 0]``, ``2 sqrt(x)``), with
    a trailing definition of a name it uses (``..., z = sqrt(2/π) * x``)."""
    defined = re.fullmatch(r"(.*), ([a-z]) = (.*)", text)
    if defined:
        body, name, definition = defined.groups()
        text = re.sub(rf"(?<!\w){name}(?![A-Za-z0-9_])", f"({definition})", body)  # z² too
    for pattern, repl in _TEXT:
        text = re.sub(pattern, repl, text)
    env = {"e": math.e, "exp": math.exp, "log": math.log, "tanh": math.tanh, "sqrt": math.sqrt,
           "sin": math.sin, "cos": math.cos, "sign": lambda v: math.copysign(1.0, v) if v else 0.0,
           "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "max": max, "relu": lambda v: max(v, 0.0),
           "min": min, "pi": math.pi}
    return float(eval(text, env, dict(names)))  # noqa: S307 - the op table's own formulas


def _docstring_partials(op: ops.Op) -> list[str]:
    """The derivatives a docstring's first line states: ``d/dx = ...`` or ``∂/∂x = ..., ∂/∂y = ...``."""
    first = " ".join(line.strip() for line in (type(op).__doc__ or "").strip().split("\n\n")[0].splitlines())
    math_part = first.split(";", 1)[1]
    parts = re.split(r",\s*(?=∂/∂)", math_part.strip())
    remark = r"\s\([^()]*(kink|tie|computed)[^()]*\)$"  # a remark after the formula, in parentheses
    return [re.sub(remark, "", p.split("=", 1)[1]).strip() for p in parts]


@pytest.mark.parametrize(("op", "ref", "domain"), CASES, ids=IDS)
@given(data=st.data())
def test_the_partials_text_the_docstring_and_the_derivative_agree(op: ops.Op, ref: Any, domain: Any,
                                                                  data: st.DataObject) -> None:
    """Each op's ``partials`` (shown by traces) and its docstring's first line (read by people)
    state the derivative ``derivative`` computes."""
    xs = _inputs(data, domain)
    if op in TIES:
        assume(abs(xs[0] - xs[1]) > 0.1)
    names = {op.input_name(i): x for i, x in enumerate(xs)}
    local = op.derivative(ops.SCALAR, op.forward(ops.SCALAR, *xs), *xs)
    documented = _docstring_partials(op)
    assert len(op.partials) == len(local) and (isinstance(op, PARAMETRISED) or len(documented) == len(local))
    for i, d in enumerate(local):
        if isinstance(op, ops.Where):  # its partials name the condition, not an input
            continue
        assert _evaluate(op.partials[i], **names) == pytest.approx(d, rel=1e-12, abs=1e-12), op.partials[i]
        if not isinstance(op, PARAMETRISED):
            assert _evaluate(documented[i], **names) == pytest.approx(d, rel=1e-12, abs=1e-12), documented[i]


def test_negative_control_a_wrong_partials_text_is_caught() -> None:
    right = ops.TANH.derivative(ops.SCALAR, math.tanh(0.5), 0.5)[0]
    assert _evaluate("1 - tanh(x)²", x=0.5) == pytest.approx(right)
    assert _evaluate("1 - tanh(x)", x=0.5) != pytest.approx(right)


def test_a_formula_s_trailing_definition_is_substituted_and_a_wrong_one_caught() -> None:
    assert _evaluate("2 * z + z², z = x + 1", x=2.0) == 15.0
    right = ops.GELU_TANH.derivative(ops.SCALAR, 0.0, 0.7)[0]
    assert _evaluate(ops.GELU_TANH.partials[0], x=0.7) == pytest.approx(right, rel=1e-12)
    assert _evaluate(ops.GELU_TANH.partials[0].replace("0.044715", "0.05"), x=0.7) != pytest.approx(right)
