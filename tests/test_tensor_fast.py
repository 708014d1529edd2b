"""The Tensor engine's fast paths, each held to the op table's general path bit for bit:
the operators straight to their ops, ``a - y`` with an array ``y``, mean's shared divisor,
add's ``x 1.0``, 0-d derivatives on numpy scalars, the row-sum of a bias, ``W.T``'s gradient
in W's own order, ``x ** 2``'s derivative; and the natural spelling of a layer and a loss
against the fused one (``linear``, ``mse_loss``)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor, detect_anomaly, linear, ops, scope
from autograd.backends import ARRAY, SCALAR
from autograd.extend import apply
from autograd.structural import unbroadcast_on
from tests.test_ops import EVERY_OP, SPECIAL

DTYPES = [np.float64, np.float32]


def _bits(a: Any) -> np.ndarray:
    """The bytes of ``a``'s values: equal bits, the sign of zero included (every NaN as one NaN:
    numpy's own paths, a scalar's and an array's, differ in a NaN's sign bit)."""
    a = np.array(a).reshape(-1)
    a[np.isnan(a)] = np.nan
    return a.view(np.uint8)


def _grads_with_shape(op: ops.Op, xs: tuple[float, ...], upstream: float, shape: tuple[int, ...],
                      dtype: Any) -> Any:
    ts = [Tensor(np.full(shape, x, dtype), requires_grad=True) for x in xs]
    out = apply(op, *ts)
    try:
        out.backward(np.full(shape, upstream, dtype))
    except Exception as e:  # noqa: BLE001 - both paths must raise alike
        return type(e)
    return [_bits(out.data).tobytes()] + [_bits(t.grad).tobytes() for t in ts if t.grad is not None]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("op", EVERY_OP, ids=[repr(op) for op in EVERY_OP])
def test_a_0d_derivative_on_numpy_scalars_is_the_arrays_one_bit_for_bit(op: ops.Op, dtype: Any) -> None:
    """A 0-d node's local derivatives are taken on numpy scalars (ten times faster than on
    0-d arrays): the same bits as a one-element array's, at every awkward number."""
    arity = op.arity if op.arity > 0 else 1
    with np.errstate(over="ignore"):
        values = [float(np.asarray(v, dtype)) for v in SPECIAL]
    inputs = [(x,) for x in values] if arity == 1 else [(x, y) for x in values[::3] for y in values]
    mismatches = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for xs in inputs:
            for upstream in (1.0, -0.5):
                scalar = _grads_with_shape(op, xs, upstream, (), dtype)
                array = _grads_with_shape(op, xs, upstream, (1,), dtype)
                if scalar != array:
                    mismatches.append((xs, upstream))
    assert not mismatches, f"{len(mismatches)} mismatches, e.g. {mismatches[:3]}"


def test_negative_control_the_bit_comparison_sees_a_sign_of_zero() -> None:
    assert _bits(np.float64(0.0)).tobytes() != _bits(np.float64(-0.0)).tobytes()


def test_the_operators_record_the_table_s_ops() -> None:
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    assert (a + b).op is ops.ADD and (a @ b).op is ops.MATMUL and (-a).op is ops.NEG
    assert (a ** 2).op is ops.pow_const(2.0) and (a ** 3).op is ops.pow_const(3.0)
    with pytest.raises(TypeError):
        a ** True  # noqa: B018 - a bool is no exponent, as before
    d = a - b
    assert d.op is ops.ADD and d.parents[0] is a and d.parents[1].op is ops.NEG
    for out in (a + 1, a - 1, a + np.ones(2), 1 - a, np.ones(2) - a):
        assert out.op is ops.ADD
    with pytest.raises(TypeError):
        a + "1"  # noqa: B018 - an operand of a kind no op takes


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_minus_an_array_is_one_add_node_with_the_array_negated(dtype: Any) -> None:
    a = Tensor(np.array([[1.0, -2.0]], dtype), requires_grad=True)
    y = np.array([[0.5, -0.0]], dtype)
    out = a - y
    assert out.op is ops.ADD and out.parents == (a,) and out.needs_grad == (True, False)
    assert _bits(out.inputs[1]).tobytes() == _bits(-y).tobytes(), "-y: the sign of a zero kept"
    assert out.dtype == dtype and not out.inputs[1].flags.writeable
    y[...] = 7.0
    assert out.inputs[1][0, 0] == -0.5, "the graph holds its own -y"
    assert (a - np.array([[1, 2]])).dtype == np.float64, "an integer array is promoted, as before"
    with scope("s"):
        assert (a - y).op is ops.ADD


def test_the_mean_s_divisor_is_one_read_only_constant_per_count_and_dtype() -> None:
    for dtype in DTYPES:
        x = Tensor(np.arange(6, dtype=dtype).reshape(2, 3), requires_grad=True)
        m = x.mean()
        assert m.op is ops.DIV and m.parents[0].op.name == "sum" and m.dtype == dtype
        (divisor,) = [a for a, needed in zip(m.inputs, m.needs_grad) if not needed]
        assert divisor == 6 and divisor.dtype == dtype
        assert x.mean()._saved[1] is m._saved[1] and not m._saved[1].flags.writeable
        assert m.item() == np.mean(np.arange(6, dtype=dtype))
        m.backward()
        np.testing.assert_array_equal(x.grad, np.full((2, 3), dtype(1) / dtype(6)))
    assert Tensor(np.ones((2, 4)), requires_grad=True).mean(axis=1)._saved[1] == 4


@given(st.lists(st.sampled_from(SPECIAL), min_size=2, max_size=2))
def test_add_hands_on_the_upstream_gradient_itself_and_copies_it_for_leaves(up: list[float]) -> None:
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    h = a * 1.0
    out = h + b
    upstream = np.array(up)
    with np.errstate(all="ignore"):
        pushed = out._contributions(upstream)
        (_, d_h, g_h), (_, d_b, g_b) = pushed
        assert d_h == d_b == 1.0 and g_h is upstream, "an op node's contribution: grad_out itself"
        assert g_b is not upstream and _bits(g_b).tobytes() == _bits(upstream * 1.0).tobytes()
        out.backward(upstream)
    assert a.grad is not None and b.grad is not None and h.grad is not None
    with np.errstate(invalid="ignore"):
        b.grad *= 0.0
    assert _bits(h.grad).tobytes() == _bits(upstream).tobytes(), "a leaf's grad is its own array"


@pytest.mark.parametrize("rows", [1, 2, 5, 40])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_a_bias_gradient_is_the_row_sum(rows: int, dtype: Any) -> None:
    g = np.random.default_rng(rows).normal(size=(rows, 7)).astype(dtype)
    g[0, 0] = -0.0
    got = unbroadcast_on(ARRAY, g, (7,))
    if rows == 1:  # one row is its own sum, exactly: its -0.0 too (an add.reduce gives 0.0)
        assert _bits(got).tobytes() == _bits(g[0]).tobytes()
    else:
        assert _bits(got).tobytes() == _bits(np.add.reduce(g, axis=0)).tobytes()
    b = Tensor(np.zeros(7, dtype), requires_grad=True)
    (Tensor(np.zeros((rows, 7), dtype)) + b).backward(g)
    assert b.grad is not None and b.grad.base is None and b.grad.dtype == dtype
    np.testing.assert_array_equal(b.grad, got)


@pytest.mark.parametrize("batch", [1, 3, 40])
def test_the_gradient_of_w_through_w_t_is_w_s_own_c_ordered_array(batch: int) -> None:
    rng = np.random.default_rng(batch)
    x = Tensor(rng.normal(size=(batch, 5)).astype(np.float32))
    W = Tensor(rng.normal(size=(4, 5)).astype(np.float32), requires_grad=True)
    wt = W.T
    z = x @ wt
    r = rng.normal(size=(batch, 4)).astype(np.float32)
    (z * r).sum().backward()
    assert W.grad is not None and W.grad.flags.c_contiguous and W.grad.base is None
    np.testing.assert_array_equal(W.grad, r.T @ x.data)  # (gᵀ x): linear's own product
    np.testing.assert_allclose(W.grad, (x.data.T @ r).T, rtol=1e-5)  # the general formula
    assert wt.grad is not None and not np.shares_memory(W.grad, wt.grad)
    assert not W.data.flags.f_contiguous or W.shape[0] == 1, "W itself is not touched"


def test_w_t_through_a_recorded_derivative_matches_the_first_order_pass() -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(3, 5)))
    W = Tensor(rng.normal(size=(4, 5)), requires_grad=True)
    (x @ W.T).tanh().sum().backward()
    assert W.grad is not None
    first = W.grad
    W.grad = None
    (x @ W.T).tanh().sum().backward(create_graph=True)
    recorded = W.grad
    assert isinstance(recorded, Tensor)
    assert _bits(first).tobytes() == _bits(recorded.data).tobytes()
    W.grad = None
    recorded.sum().backward()  # through the recorded (gᵀ x)ᵀ: a second derivative
    assert W.grad is not None and np.isfinite(W.grad).all() and np.abs(W.grad).sum() > 0


@pytest.mark.parametrize("x", SPECIAL)
def test_the_square_s_derivative_is_2x_bit_for_bit(x: float) -> None:
    with np.errstate(all="ignore"):
        for m, value in ((SCALAR, x), (ARRAY, np.array([x])), (ARRAY, np.array([x], np.float32))):
            (d,) = ops.pow_const(2.0).derivative(m, value * value, value)
            assert _bits(d).tobytes() == _bits(2.0 * value).tobytes()


def test_a_leaf_stays_copy_on_write_after_an_op_that_failed() -> None:
    W = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="inner dimensions"):
        W @ Tensor(np.ones((2, 3)))  # noqa: B018
    W.data[0, 0] = 5.0  # the leaf was marked read-only first: its data getter copies
    assert W.data[0, 0] == 5.0 and W.data.flags.writeable
    assert not W.T.data.flags.writeable, "a view of a leaf is read-only"


def test_anomaly_mode_still_checks_a_difference_with_an_array() -> None:
    a = Tensor([1e308], requires_grad=True)
    with detect_anomaly(), np.errstate(over="ignore"), pytest.raises(Exception, match="add produced inf"):
        a - np.array([-1e308])


NATURAL_CASES = [(1, np.float32), (5, np.float32), (40, np.float32), (3, np.float64)]


@pytest.mark.parametrize(("batch", "dtype"), NATURAL_CASES)
def test_natural_code_gives_the_fused_step_s_gradients(batch: int, dtype: Any) -> None:
    """``(a @ W.T + b).sigmoid()`` and ``((a - y) ** 2).mean()`` against ``linear`` and
    ``mse_loss``: the same loss and the same weight gradients bit for bit (one product, gᵀ x,
    for both); the bias gradients are the same sum over the batch, in numpy's order for
    natural code and by BLAS (ones @ g) for ``linear``: to float round-off."""
    rng = np.random.default_rng(batch)
    sizes = [12, 6, 4, 3]
    Ws = [rng.uniform(-1, 1, (sizes[i + 1], sizes[i])).astype(dtype) for i in range(3)]
    bs = [rng.uniform(-1, 1, sizes[i + 1]).astype(dtype) for i in range(3)]
    x = rng.random((batch, sizes[0])).astype(dtype)
    y = np.eye(3, dtype=dtype)[rng.integers(0, 3, batch)]
    results = []
    for natural in (True, False):
        W = [Tensor(w, requires_grad=True) for w in Ws]
        B = [Tensor(b, requires_grad=True) for b in bs]
        a = Tensor(x)
        for w, b in zip(W, B):
            a = (a @ w.T + b).sigmoid() if natural else linear(a, w, b).sigmoid()
        loss = ((a - y) ** 2).mean() if natural else nn.mse_loss(a, y)
        loss.backward()
        results.append((loss, W, B))
    (nat_loss, nat_W, nat_B), (fused_loss, fused_W, fused_B) = results
    assert _bits(nat_loss.data).tobytes() == _bits(fused_loss.data).tobytes()
    for n, f in zip(nat_W, fused_W):
        assert n.grad is not None and f.grad is not None and n.grad.dtype == dtype
        assert _bits(n.grad).tobytes() == _bits(f.grad).tobytes()
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    for n, f in zip(nat_B, fused_B):
        assert n.grad is not None and f.grad is not None and n.grad.dtype == dtype
        np.testing.assert_allclose(n.grad, f.grad, rtol=rtol, atol=rtol * float(np.abs(f.grad).max()))
    assert math.isfinite(nat_loss.item())
