"""The numpy engine: every op against float64 central differences on
hypothesis-drawn (broadcasting) shapes with a random upstream gradient, dtype
rules, in-place safety, anomaly mode and bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import AnomalyError, Tensor, concatenate, detect_anomaly, no_grad, stack
from tests.numeric import assert_close, central_diff
from tests.strategies import arrays, broadcast_shapes, shapes

Fn = Callable[..., Tensor]


def check_grads(fn: Fn, *arrays_in: np.ndarray, seed: int = 0, tol: float = 1e-5) -> None:
    """Back-propagate a random upstream r through ``fn`` and compare every input's
    gradient with central differences of sum(fn(x) * r)."""
    arrays_in = tuple(np.array(a, dtype=np.float64) for a in arrays_in)
    ts = [Tensor(a, requires_grad=True) for a in arrays_in]
    out = fn(*ts)
    r = np.random.default_rng(seed).normal(size=out.shape)
    (out * r).sum().backward()
    with no_grad():
        numeric = central_diff(lambda xs: float((fn(*[Tensor(x) for x in xs]).data * r).sum()),
                               [a.copy() for a in arrays_in])
    for t, n in zip(ts, numeric):
        assert t.grad is not None and t.grad.shape == t.shape
        assert_close(t.grad, n, tol=tol)


def _away(lo: float, hi: float) -> Callable[[np.ndarray], np.ndarray]:
    """Move entries into [lo, hi] by |x| scaling (keeps inputs away from poles)."""
    return lambda a: lo + (hi - lo) * np.abs(np.tanh(a))


UNARY: dict[str, tuple[Fn, Callable[[np.ndarray], np.ndarray]]] = {
    "neg": (lambda x: -x, lambda a: a),
    "exp": (lambda x: x.exp(), lambda a: a),
    "log": (lambda x: x.log(), _away(0.2, 3)),
    "tanh": (lambda x: x.tanh(), lambda a: a),
    "sigmoid": (lambda x: x.sigmoid(), lambda a: a),
    "relu": (lambda x: x.relu(), lambda a: np.where(np.abs(a) < 0.1, 0.5, a)),
    "sqrt": (lambda x: x.sqrt(), _away(0.2, 3)),
    "abs": (lambda x: x.abs(), lambda a: np.where(np.abs(a) < 0.1, 0.5, a)),
    "pow3": (lambda x: x**3, lambda a: a),
    "powhalf": (lambda x: x**0.5, _away(0.2, 3)),
    "rdiv": (lambda x: 2.0 / x, _away(0.5, 3)),
    "rsub": (lambda x: 1.0 - x, lambda a: a),
    "clip": (lambda x: x.clip(-1.0, 1.0), lambda a: np.where(np.abs(np.abs(a) - 1) < 0.1, 0.5, a)),
    "mean": (lambda x: x.mean(), lambda a: a),
    "log1p": (lambda x: x.log1p(), _away(-0.8, 3)),
    "expm1": (lambda x: x.expm1(), lambda a: a),
    "softplus": (lambda x: x.softplus(), lambda a: a),
    "silu": (lambda x: x.silu(), lambda a: a),
    "gelu_tanh": (lambda x: x.gelu_tanh(), lambda a: a),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), lambda a: np.where(np.abs(a) < 0.1, 0.5, a)),
    "elu": (lambda x: x.elu(0.5), lambda a: np.where(np.abs(a) < 0.1, 0.5, a)),
}

BINARY: dict[str, tuple[Fn, Callable[[np.ndarray], np.ndarray]]] = {
    "add": (lambda x, y: x + y, lambda a: a),
    "sub": (lambda x, y: x - y, lambda a: a),
    "mul": (lambda x, y: x * y, lambda a: a),
    "div": (lambda x, y: x / y, _away(0.5, 3)),
    "pow": (lambda x, y: x**y, _away(0.5, 2)),
    "maximum": (lambda x, y: x.maximum(y), lambda a: a),
    "minimum": (lambda x, y: x.minimum(y), lambda a: a),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_ops_match_central_differences(name: str, data: st.DataObject) -> None:
    fn, prep = UNARY[name]
    check_grads(fn, prep(data.draw(arrays(shapes()))))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data(), shape_pair=broadcast_shapes(2))
def test_binary_ops_broadcast_and_match_central_differences(
        name: str, data: st.DataObject, shape_pair: tuple[tuple[int, ...], ...]) -> None:
    fn, prep = BINARY[name]
    x = prep(data.draw(arrays(shape_pair[0])))
    y = prep(data.draw(arrays(shape_pair[1])))
    if name in ("maximum", "minimum"):  # keep away from ties, where max and min have a kink
        y = np.where(np.abs(np.broadcast_to(x, np.broadcast_shapes(x.shape, y.shape)) - y) < 0.1,
                     y + 0.5, y) if y.shape == np.broadcast_shapes(x.shape, y.shape) else y + 10
    check_grads(fn, x, y)


@given(data=st.data(), batch=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
       n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4))
def test_matmul_all_numpy_forms(data: st.DataObject, batch: tuple[int, ...], n: int, k: int, m: int) -> None:
    form = data.draw(st.sampled_from(["vv", "vm", "mv", "mm", "batched", "broadcast"]))
    shapes_for = {"vv": ((k,), (k,)), "vm": ((k,), (k, m)), "mv": ((n, k), (k,)), "mm": ((n, k), (k, m)),
                  "batched": ((*batch, n, k), (*batch, k, m)), "broadcast": ((*batch, n, k), (k, m))}
    a_shape, b_shape = shapes_for[form]
    a, b = data.draw(arrays(a_shape)), data.draw(arrays(b_shape))
    check_grads(lambda x, y: x @ y, a, b)
    assert (Tensor(a) @ Tensor(b)).shape == np.matmul(a, b).shape


@given(data=st.data(), shape=shapes(min_dims=1), keepdims=st.booleans())
def test_reductions_over_any_axis(data: st.DataObject, shape: tuple[int, ...], keepdims: bool) -> None:
    a = data.draw(arrays(shape))
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    check_grads(lambda x: x.sum(axis=axis, keepdims=keepdims), a)
    check_grads(lambda x: x.mean(axis=axis, keepdims=keepdims), a)
    distinct = a + np.arange(a.size).reshape(a.shape) * 10.0  # no ties: max is smooth
    check_grads(lambda x: x.max(axis=axis, keepdims=keepdims), distinct)
    np.testing.assert_allclose(Tensor(a).sum(axis, keepdims).data, a.sum(axis=axis, keepdims=keepdims))


def test_max_splits_the_gradient_between_ties() -> None:
    x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5])


@given(data=st.data(), shape=shapes(min_dims=1))
def test_shape_ops(data: st.DataObject, shape: tuple[int, ...]) -> None:
    a = data.draw(arrays(shape))
    check_grads(lambda x: x.reshape(-1), a)
    check_grads(lambda x: x.T * 1.0, a)
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    check_grads(lambda x: x.transpose(*perm), a)
    np.testing.assert_array_equal(Tensor(a).transpose(*perm).data, np.transpose(a, perm))


@given(data=st.data(), shape=shapes(min_dims=1))
def test_indexing_ints_slices_and_integer_arrays(data: st.DataObject, shape: tuple[int, ...]) -> None:
    a = data.draw(arrays(shape))
    idx = data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=6))  # repeats scatter-add
    check_grads(lambda x: x[np.array(idx)], a)
    check_grads(lambda x: x[0], a)
    check_grads(lambda x: x[::2], a)
    np.testing.assert_array_equal(Tensor(a)[np.array(idx)].data, a[np.array(idx)])


def test_repeated_index_accumulates() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2])].sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 1.0])


@given(data=st.data(), shape=shapes(min_dims=1, max_dims=2), axis=st.integers(0, 1))
def test_concatenate_and_stack(data: st.DataObject, shape: tuple[int, ...], axis: int) -> None:
    axis = min(axis, len(shape) - 1)
    a, b = data.draw(arrays(shape)), data.draw(arrays(shape))
    check_grads(lambda x, y: concatenate([x, y * 2.0], axis=axis), a, b)
    check_grads(lambda x, y: stack([x, y * 2.0], axis=axis), a, b)


@given(data=st.data(), shape=shapes(min_dims=1, max_dims=2))
def test_softmax_family(data: st.DataObject, shape: tuple[int, ...]) -> None:
    a = data.draw(arrays(shape))
    check_grads(lambda x: x.softmax(axis=-1), a)
    check_grads(lambda x: x.log_softmax(axis=0), a)
    check_grads(lambda x: x.logsumexp(axis=-1), a)
    check_grads(lambda x: x.logsumexp(axis=0, keepdims=True), a)


def test_softmax_is_stable_for_huge_inputs() -> None:
    x = Tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]], requires_grad=True)
    s, ls, lse = x.softmax(), x.log_softmax(), x.logsumexp()
    assert np.isfinite(s.data).all() and np.isfinite(ls.data).all() and np.isfinite(lse.data).all()
    np.testing.assert_allclose(s.data.sum(axis=-1), 1.0)
    np.testing.assert_allclose(lse.data, [1e4, -1e4 + np.log(3)])
    (ls * Tensor([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0]])).sum().backward()
    assert x.grad is not None and np.isfinite(x.grad).all()


def test_negative_control_a_wrong_gradient_fails_check_grads() -> None:
    def sigmoid_with_tanh_gradient(x: Tensor) -> Tensor:
        # value of sigmoid(x), gradient of 0.3 * tanh(x): the detach() trick hides the real one
        wrong = x.tanh() * 0.3
        return wrong - wrong.detach() + x.sigmoid().detach()

    check_grads(lambda x: x.sigmoid(), np.array([0.3, -0.7]))
    with pytest.raises(AssertionError, match="mismatch"):
        check_grads(sigmoid_with_tanh_gradient, np.array([0.3, -0.7]))


# -- dtypes -------------------------------------------------------------------------


def test_float32_stays_float32_and_integers_become_float64() -> None:
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = (x * 2.0 + 1).sigmoid().sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad is not None and x.grad.dtype == np.float32
    assert Tensor([1, 2]).dtype == np.float64
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor([]).shape == (0,)


@pytest.mark.parametrize("bad", ["abc", None, [[1.0, 2.0], [3.0]], np.array(["a"]), {"a": 1},
                                 np.array([object()])])
def test_non_numeric_input_is_a_type_error(bad: Any) -> None:
    with pytest.raises(TypeError, match="Tensor"):
        Tensor(bad)


# -- errors ---------------------------------------------------------------------------


def test_shape_errors_name_the_op_and_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"matmul: \(3, 4\) @ \(5, 2\): inner dimensions 4 and 5 differ"):
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"matmul: \(\) @ \(3,\): both operands need at least one dimension"):
        Tensor(2.0) @ Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"reshape: cannot reshape an array of shape \(2, 3\)"):
        Tensor(np.ones((2, 3))).reshape(4)
    with pytest.raises(ValueError, match=r"sum: axis 2 is out of range"):
        Tensor(np.ones((2, 3))).sum(axis=2)
    with pytest.raises(ValueError, match=r"backward: output has shape \(2,\)"):
        Tensor([1.0, 2.0], requires_grad=True).exp().backward()
    with pytest.raises(ValueError, match=r"backward: grad has shape \(3,\)"):
        Tensor([1.0, 2.0], requires_grad=True).exp().backward(np.ones(3))
    with pytest.raises(ValueError, match="operands could not be broadcast"):
        Tensor(np.ones(3)) + Tensor(np.ones(4))


def test_backward_with_an_explicit_upstream() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 40.0])


# -- in-place safety --------------------------------------------------------------------


def test_the_optimizer_step_pattern_works_and_old_graphs_keep_their_values() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    assert w.grad is not None
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    w.data -= 0.5 * w.grad
    w.grad = None
    np.testing.assert_array_equal(w.data, [0.0, 0.0])
    loss.backward()  # the old graph still holds w = [1, 2]
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_raw_writes_cannot_corrupt_a_recorded_graph() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    x.data[0] = 100.0  # writes to x's own (copied) array, not the one the graph saved
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.exp([1.0, 2.0]))
    with pytest.raises(ValueError, match="read-only"):
        y.data[0] = 5.0
    with pytest.raises(ValueError, match="cannot replace the data of a result of exp"):
        y.data = np.zeros(2)


def test_grads_are_never_shared_between_leaves() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not None and b.grad is not None
    a.grad *= 0.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


# -- anomaly mode -----------------------------------------------------------------------


def test_anomaly_mode_names_the_op_and_shapes_in_forward() -> None:
    x = Tensor([[0.0, 1.0]], requires_grad=True)
    expected = r"log produced -inf in forward from inputs of shape \(1, 2\)"
    with detect_anomaly(), pytest.raises(AnomalyError, match=expected):
        x.log()
    assert np.isneginf(x.log().data[0, 0])  # outside the mode numpy's rules hold


def test_anomaly_mode_in_backward() -> None:
    x = Tensor([0.0, 4.0], requires_grad=True)
    w = Tensor([1.0, 2.0], requires_grad=True)
    s = x.sqrt()
    y = (s * w).sum()  # finite forward, infinite derivative at 0
    with detect_anomaly(), pytest.raises(AnomalyError, match="sqrt produced inf in backward"):
        y.backward()
    assert x.grad is None and w.grad is None and s.grad is None and y.grad is None  # a failed pass: no writes


def test_no_grad_records_nothing_for_tensors() -> None:
    w = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = w * 2
    assert not y.requires_grad and y.op is None
    with pytest.raises(ValueError, match="does not require grad"):
        y.backward()


def test_repr_and_accessors() -> None:
    t = Tensor([[1.0, 2.0]], requires_grad=True, label="w")
    assert "requires_grad=True" in repr(t) and "'w'" in repr(t)
    assert (t.shape, t.ndim, t.size, len(t)) == ((1, 2), 2, 2, 1)
    assert Tensor([3.5]).item() == 3.5
    with pytest.raises(ValueError, match="one-element"):
        t.item()
    d = (t * 2).detach()
    assert d.op is None and not d.requires_grad


@given(data=st.data(), batch=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
       n_in=st.integers(1, 4), n_out=st.integers(1, 4))
def test_linear_is_matmul_plus_bias_as_one_node(data: st.DataObject, batch: tuple[int, ...],
                                                n_in: int, n_out: int) -> None:
    from autograd import linear
    x = data.draw(arrays((*batch, n_in)))
    W, b = data.draw(arrays((n_out, n_in))), data.draw(arrays((n_out,)))
    check_grads(lambda x_, W_, b_: linear(x_, W_, b_), x, W, b)
    np.testing.assert_allclose(linear(Tensor(x), Tensor(W), Tensor(b)).data, x @ W.T + b, atol=1e-12)
    with pytest.raises(ValueError, match=r"linear: x .* needs x \(\.\.\., n_in\)"):
        linear(Tensor(np.ones((2, n_in + 1))), Tensor(W), Tensor(b))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_with_an_inner_dimension_of_one(dtype: type) -> None:
    """A batch-1 layer's weight gradient is an outer product (inner dimension 1): it
    takes np.dot's BLAS path, not np.matmul's slow loop, and must still be exact."""
    from autograd import linear
    rng = np.random.default_rng(0)
    x, W, b = (rng.normal(size=s).astype(dtype) for s in [(1, 7), (5, 7), (5,)])
    r = rng.normal(size=(1, 5)).astype(dtype)
    Wt, bt = Tensor(W, requires_grad=True), Tensor(b, requires_grad=True)
    (linear(Tensor(x), Wt, bt) * r).sum().backward()
    assert Wt.grad is not None and bt.grad is not None and Wt.grad.dtype == dtype
    np.testing.assert_allclose(Wt.grad, np.outer(r[0], x[0]), rtol=1e-6)
    np.testing.assert_allclose(bt.grad, r[0], rtol=1e-6)
    col, row = Tensor(rng.normal(size=(6, 1)), requires_grad=True), Tensor(rng.normal(size=(1, 4)))
    out = col @ row
    np.testing.assert_allclose(out.data, np.outer(col.data, row.data), rtol=1e-12)
    out.backward(np.ones((6, 4)))
    assert col.grad is not None
    np.testing.assert_allclose(col.grad[:, 0], np.full(6, row.data.sum()), rtol=1e-12)


def test_zero_dimensional_tensors_get_array_grads() -> None:
    a = Tensor(2.0, requires_grad=True)
    (a * a).backward()
    assert type(a.grad) is np.ndarray and a.grad.shape == () and float(a.grad) == 4.0
    b = Tensor([1.0, 2.0], requires_grad=True)
    a.grad = None
    (a * b).sum().backward()
    assert type(a.grad) is np.ndarray and float(a.grad) == 3.0


def test_views_and_detach_cannot_reach_a_saved_array() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.tanh()
    y.detach().data[:] = 0.0  # writes to a copy
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 1 - np.tanh([1.0, 2.0]) ** 2)

    data = Tensor([1.0, 2.0, 3.0])
    w = Tensor([1.0, 1.0, 1.0], requires_grad=True)
    head, column = data[0:2], data.reshape(3, 1)  # views of data's array, taken before the graph
    loss = (w * data).sum()
    head.data[:] = 0.0
    column.data[0] = 100.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(data.data, [1.0, 2.0, 3.0])


def test_dtype_rules_for_data_and_indices() -> None:
    with pytest.raises(TypeError, match="dtype must be a float type"):
        Tensor([1.5], dtype=np.int32)
    p = Tensor(np.zeros(2, dtype=np.float32), requires_grad=True)
    with pytest.raises(ValueError, match="differs from the tensor's"):
        p.data = np.zeros(2)  # float64 into a float32 parameter
    t = Tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(t[Tensor([0, 2])].data, [1.0, 3.0])
    with pytest.raises(TypeError, match="integer positions"):
        t[Tensor([0.5])]


# --- issue 11: in-place operators, truth, numpy's protocols, float32 log-softmax ----------------


def test_an_in_place_parameter_update_is_refused_with_the_fix() -> None:
    import nn

    model = nn.MLP([2, 3, 1], rng=0)
    x = np.array([[0.5, -1.0]])
    model(x).sum().backward()
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(TypeError, match=r"p\.data -= lr \* p\.grad.*no_grad"):
        for p in model.parameters():
            p -= 0.1 * p.grad
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)


def test_an_in_place_update_with_a_term_that_needs_grad_is_refused_too() -> None:
    """SGD with weight decay, ``p -= lr * (p.grad + wd * p)``: the operand holds p itself."""
    W = Tensor([1.0, 2.0], requires_grad=True)
    (W * W).sum().backward()
    with pytest.raises(TypeError, match="cannot be updated in place"):
        for p in [W]:
            p -= 0.1 * (p.grad + 0.01 * p)
    np.testing.assert_array_equal(W.data, [1.0, 2.0])


def test_under_no_grad_an_in_place_update_changes_the_parameter_itself() -> None:
    W = Tensor([1.0, 2.0], requires_grad=True)
    (W * W).sum().backward()
    with no_grad():
        for p in [W]:
            p -= 0.5 * p.grad
    np.testing.assert_array_equal(W.data, [0.0, 0.0])
    assert W.requires_grad and W.op is None


def test_in_place_operators_on_data_tensors_and_graph_nodes() -> None:
    xs = [Tensor([2.0, 4.0]), Tensor([6.0])]
    for x in xs:
        x /= 2  # a tensor that needs no grad changes in place, as numpy and PyTorch
    np.testing.assert_array_equal(xs[0].data, [1.0, 2.0])
    w = Tensor([3.0], requires_grad=True)
    loss = Tensor(0.0)
    for k in (1.0, 2.0):
        loss += (w * k).sum()  # an operand that needs a gradient: a new node, as loss = loss + ...
    loss.backward()
    np.testing.assert_array_equal(w.grad, [3.0])
    h = w * 2
    first = h
    h += 1  # an op result: a new node
    assert h is not first and h.parents[0] is first
    t32 = Tensor(np.float32([1.0]))
    t32 += 0.1
    assert t32.dtype == np.float32
    with pytest.raises(ValueError, match="cannot change a tensor's shape"):
        t = Tensor([1.0])
        t += np.ones((2, 2))


def test_in_place_update_of_a_leaf_a_graph_saved_keeps_the_graph_right() -> None:
    x = Tensor([3.0])
    w = Tensor([2.0], requires_grad=True)
    y = (w * x).sum()
    x *= 10  # copy-on-write: the graph keeps x = 3
    y.backward()
    np.testing.assert_array_equal(w.grad, [3.0])
    np.testing.assert_array_equal(x.data, [30.0])


def test_truth_follows_numpy() -> None:
    assert not Tensor(0.0) and Tensor([2.0]) and not Tensor([[0.0]])
    for shape in ((2,), (0,), (2, 2)):
        with pytest.raises(ValueError, match=rf"truth value of a Tensor of shape \({shape[0]},"):
            bool(Tensor(np.ones(shape)))


def test_numpy_gets_the_values_and_never_silently_drops_a_graph() -> None:
    t = Tensor([1.0, 2.0])
    a = np.array(t)
    assert a.dtype == np.float64 and a.tolist() == [1.0, 2.0]
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert np.sum(t) == 3.0 and np.mean(t) == 1.5 and np.concatenate([t, t]).shape == (4,)
    W = Tensor([1.0, 2.0], requires_grad=True)
    for call in (lambda: np.sum(W), lambda: np.mean(W), lambda: np.concatenate([W, t])):
        with pytest.raises(TypeError, match=r"requires grad would .*lose the graph.*\.data"):
            call()
    np.testing.assert_array_equal(np.asarray(W), [1.0, 2.0])  # an explicit conversion: the values
    assert np.shape(W) == (2,) and np.ndim(W) == 1 and np.size(W) == 2
    for call in (lambda: np.block([[W, t]]), lambda: np.sign(W), lambda: np.add.reduce(W)):
        with pytest.raises(TypeError, match="lose the graph"):  # nested lists, other ufuncs, methods
            call()
    np.testing.assert_array_equal(np.isfinite(W), [True, True])  # a boolean result has no gradient
    np.testing.assert_array_equal(np.array([1.5, 1.5]) > W, [True, False])


def test_numpy_ufuncs_of_the_op_table_are_recorded() -> None:
    """``np.exp(W)``, ``ndarray * W``, ``ndarray @ W``, ``np.maximum(W, 0)``: the Tensor ops, with
    their gradients, as if written with Tensor methods."""
    a = np.array([0.5, -2.0])
    W = Tensor([1.0, 2.0], requires_grad=True)
    V = Tensor([1.0, 2.0], requires_grad=True)
    by_numpy = (np.exp(W) * a + np.maximum(W, 1.5) / np.sqrt(W) - np.power(W, 3) + a @ np.sin(W)).sum()
    by_methods = (V.exp() * a + V.maximum(1.5) / V.sqrt() - V**3 + Tensor(a) @ V.sin()).sum()
    assert isinstance(by_numpy, Tensor)
    by_numpy.backward()
    by_methods.backward()
    assert by_numpy.item() == by_methods.item()
    np.testing.assert_array_equal(W.grad, V.grad)


def test_a_tensor_label_must_be_text() -> None:
    with pytest.raises(TypeError, match="Tensor: label must be a string or None, not int"):
        Tensor([1.0], label=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("offset", [0.0, 1e2, 1e4, -1e4, 3e4])
def test_float32_log_softmax_is_the_max_shifted_formula(offset: float) -> None:
    """Logits near ±1e4: adding m = max z back into log Σ exp(z - m) and subtracting it again
    loses up to 4e-4 in float32; the shifted formula loses nothing."""
    rng = np.random.default_rng(0)
    z = (offset + rng.normal(size=(8, 5))).astype(np.float32)
    m = z.max(axis=-1, keepdims=True)
    expected = (z - m) - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    got = Tensor(z).log_softmax(-1).data
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
