"""Losses and initialisers against their formulas in plain numpy, on Tensors and Values."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor, Value


def logsumexp(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=-1, keepdims=True)
    return np.log(np.exp(z - m).sum(axis=-1, keepdims=True)) + m


def ref_mse(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (a - y) ** 2


def ref_ce(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    return -(y * (z - logsumexp(z))).sum(-1)


def ref_bce(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """-[y log p + (1 - y) log(1 - p)], each log clamped at -100 (PyTorch's)."""
    with np.errstate(divide="ignore"):
        return -(y * np.maximum(np.log(p), -100.0) + (1 - y) * np.maximum(np.log(1 - p), -100.0))


def ref_bce_logits(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    p = 1 / (1 + np.exp(-z))
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def ref_hinge(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, 1 - y * s)


@st.composite
def problems(draw: st.DrawFn) -> tuple[str, np.ndarray, np.ndarray]:
    kind = draw(st.sampled_from(sorted(FUNCS)))
    batch, k = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    z = rng.uniform(0.02, 0.98, size=(batch, k)) if kind == "bce" else 3 * rng.normal(size=(batch, k))
    y = {"mse": lambda: rng.normal(size=(batch, k)),
         "ce": lambda: rng.dirichlet(np.ones(k), size=batch),
         "bce": lambda: rng.uniform(size=(batch, k)),
         "bce_logits": lambda: rng.uniform(size=(batch, k)),
         "hinge": lambda: rng.choice([-1.0, 1.0], size=(batch, k))}[kind]()
    return kind, z, y


FUNCS: dict[str, tuple[Callable[..., Any], Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "mse": (nn.mse_loss, ref_mse), "ce": (nn.cross_entropy, ref_ce),
    "bce": (nn.binary_cross_entropy, ref_bce),
    "bce_logits": (nn.binary_cross_entropy_with_logits, ref_bce_logits),
    "hinge": (nn.hinge_loss, ref_hinge),
}
"""Each loss and its formula in numpy; "bce" takes probabilities, the others logits or outputs."""


@given(problems(), st.sampled_from(["mean", "sum", "none"]))
def test_losses_match_numpy_on_both_engines(problem: tuple[str, np.ndarray, np.ndarray],
                                            reduction: str) -> None:
    kind, z, y = problem
    f, ref = FUNCS[kind]
    per = ref(z, y)
    want = per.mean() if reduction == "mean" else per.sum() if reduction == "sum" else per
    got_t = f(Tensor(z), y, reduction=reduction).data
    np.testing.assert_allclose(got_t, want, rtol=1e-12, atol=1e-12)
    got_v = f([[Value(x) for x in row] for row in z], y, reduction=reduction)
    got_v = np.array([[v.data for v in row] for row in got_v] if reduction == "none" and kind != "ce"
                     else [v.data for v in got_v] if reduction == "none" else got_v.data)
    np.testing.assert_allclose(got_v, want, rtol=1e-12, atol=1e-12)


@given(problems())
def test_loss_gradients_match_between_engines(problem: tuple[str, np.ndarray, np.ndarray]) -> None:
    kind, z, y = problem
    f, _ = FUNCS[kind]
    zt = Tensor(z, requires_grad=True)
    f(zt, y).backward()
    zv = [[Value(x) for x in row] for row in z]
    f(zv, y).backward()
    assert zt.grad is not None
    np.testing.assert_allclose([[v.grad for v in row] for row in zv], zt.grad, rtol=1e-10, atol=1e-15)


def test_known_gradients() -> None:
    z = Tensor([[2.0, -1.0, 0.5]], requires_grad=True)
    nn.cross_entropy(z, np.array([2])).backward()
    p = np.exp(z.data) / np.exp(z.data).sum()
    assert z.grad is not None
    np.testing.assert_allclose(z.grad, p - np.array([[0, 0, 1]]), rtol=1e-14)  # softmax(z) - y
    a = Tensor([[0.2, 0.9]], requires_grad=True)
    nn.mse_loss(a, np.array([[0.0, 1.0]])).backward()
    assert a.grad is not None
    np.testing.assert_allclose(a.grad, [[2 * 0.2 / 2, 2 * -0.1 / 2]], rtol=1e-14)  # 2(a - y)/n
    s = Tensor([0.5, 2.0], requires_grad=True)
    nn.hinge_loss(s, [1.0, 1.0], reduction="sum").backward()
    assert s.grad is not None
    np.testing.assert_array_equal(s.grad, [-1.0, 0.0])


@given(st.integers(1, 6), st.integers(1, 5), st.sampled_from(["mean", "sum"]),
       st.sampled_from([np.float64, np.float32]), st.integers(0, 2**32 - 1))
def test_fused_mse_equals_its_composition_exactly(batch: int, k: int, reduction: str, dtype: type,
                                                  seed: int) -> None:
    """One SquaredError node gives bit for bit the value and gradient of the four-node
    composition ((a - y) ** 2).mean() (or .sum()): the mean numpy computes."""
    rng = np.random.default_rng(seed)
    a0, y = rng.normal(size=(batch, k)).astype(dtype), rng.normal(size=(batch, k)).astype(dtype)
    fused, composed = Tensor(a0, requires_grad=True), Tensor(a0, requires_grad=True)
    loss = nn.mse_loss(fused, y, reduction=reduction)
    squares = (composed - y) ** 2
    ref = squares.mean() if reduction == "mean" else squares.sum()
    loss.backward()
    ref.backward()
    assert loss.op is not None and loss.op.name == "squared_error" and loss.dtype == dtype
    assert fused.grad is not None and composed.grad is not None and fused.grad.dtype == dtype
    np.testing.assert_array_equal(loss.data, ref.data)
    if reduction == "mean":
        assert loss.item() == np.mean((a0 - y) ** 2)
    np.testing.assert_array_equal(fused.grad, composed.grad)


def test_fused_mse_passes_the_op_check_and_a_broken_one_fails() -> None:
    from autograd import check_ops
    from autograd.extend import apply
    from autograd.structural import SquaredError

    class HalfGradient(SquaredError):  # forgets the factor 2 of d(a - y)²/da
        def vjp(self, m: Any, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
                needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
            g = super().vjp(m, grad_out, out, xs, needs)[0]
            return (None if g is None else g / 2, None)

    rng = np.random.default_rng(1)
    a, y = Tensor(rng.normal(size=(3, 4)), requires_grad=True), rng.normal(size=(3, 4))
    (report,) = check_ops(nn.mse_loss(a, y))
    assert report.name == "squared_error" and report.passed
    (broken,) = check_ops(apply(HalfGradient(12), a, y))
    assert not broken.passed


def test_negative_control_mse_is_not_a_per_example_sum() -> None:
    a, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2))
    got = nn.mse_loss(Tensor(a), y).item()
    assert got == pytest.approx(ref_mse(a, y).mean(), rel=1e-15)
    assert got != pytest.approx(ref_mse(a, y).sum(1).mean(), rel=1e-3)


def test_integer_labels_equal_one_hot_targets() -> None:
    z = np.random.default_rng(0).normal(size=(4, 3))
    labels = np.array([0, 2, 1, 2])
    a = nn.cross_entropy(Tensor(z), labels, reduction="none").data
    b = nn.cross_entropy(Tensor(z), np.eye(3)[labels], reduction="none").data
    np.testing.assert_allclose(a, b, rtol=1e-15)
    single = nn.cross_entropy(Tensor(z[1]), 2).item()
    assert single == pytest.approx(a[1], rel=1e-15)
    value_single = nn.cross_entropy([Value(x) for x in z[1]], 2).data
    assert value_single == pytest.approx(a[1], rel=1e-14)


def test_extreme_logits_stay_finite() -> None:
    z = Tensor([[1000.0, -1000.0], [-800.0, 800.0]], requires_grad=True)
    ce = nn.cross_entropy(z, np.array([1, 0]))
    bce = nn.binary_cross_entropy_with_logits(z, np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert ce.item() == pytest.approx(1800.0, rel=1e-15)
    assert bce.item() == pytest.approx(900.0, rel=1e-15)
    (ce + bce).backward()
    assert z.grad is not None and np.isfinite(z.grad).all()
    v = nn.binary_cross_entropy_with_logits([Value(-800.0)], [1.0])
    v.backward()
    assert v.data == pytest.approx(800.0) and np.isfinite(v.data)


def test_loss_modules_and_torch_agree() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    z, labels, y01 = rng.normal(size=(6, 4)), rng.integers(0, 4, 6), rng.uniform(size=(6, 4))
    tz = torch.tensor(z)
    assert nn.CrossEntropyLoss()(Tensor(z), labels).item() == pytest.approx(
        torch.nn.functional.cross_entropy(tz, torch.tensor(labels)).item(), rel=1e-13)
    assert nn.BCEWithLogitsLoss(reduction="sum")(Tensor(z), y01).item() == pytest.approx(
        torch.nn.functional.binary_cross_entropy_with_logits(tz, torch.tensor(y01), reduction="sum").item(),
        rel=1e-13)
    p = 1 / (1 + np.exp(-z))
    assert nn.BCELoss()(Tensor(p), y01).item() == pytest.approx(
        torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(y01)).item(), rel=1e-13)
    assert nn.MSELoss()(Tensor(z), y01).item() == pytest.approx(
        torch.nn.functional.mse_loss(tz, torch.tensor(y01)).item(), rel=1e-13)
    assert repr(nn.HingeLoss("sum")) == "HingeLoss(reduction='sum')"


@pytest.mark.parametrize("bad, error, message", [
    (lambda: nn.mse_loss(Tensor(np.ones((2, 3))), np.ones((3, 2))), ValueError,
     r"mse_loss: prediction has shape \(2, 3\), target has shape \(3, 2\)"),
    (lambda: nn.cross_entropy(Tensor(np.ones((2, 3))), np.array([0, 3])), ValueError,
     r"labels must lie in \[0, 3\)"),
    (lambda: nn.binary_cross_entropy_with_logits(Tensor([0.0]), [2.0]), ValueError,
     r"binary_cross_entropy_with_logits: targets must lie in \[0, 1\]"),
    (lambda: nn.binary_cross_entropy(Tensor([0.5]), [-1.0]), ValueError, r"targets must lie in \[0, 1\]"),
    (lambda: nn.binary_cross_entropy(Tensor([0.5, 1.5]), [1.0, 1.0]), ValueError,
     r"binary_cross_entropy: probabilities must lie in \[0, 1\], got .*1\.5.*for logits use"),
    (lambda: nn.binary_cross_entropy([Value(-0.5)], [1.0]), ValueError, "probabilities must lie in"),
    (lambda: nn.hinge_loss(Tensor([0.0]), [0.0]), ValueError, "targets must be -1 or \\+1"),
    (lambda: nn.mse_loss(Tensor([1.0]), [1.0], reduction="avg"), ValueError, "reduction must be"),
    (lambda: nn.mse_loss(Tensor(np.ones((0, 3))), np.ones((0, 3))), ValueError,
     r"mse_loss: no elements to average: prediction has shape \(0, 3\)"),
    (lambda: nn.mse_loss("abc", [1.0]), TypeError, "expected a Tensor"),
])
def test_loss_errors(bad: Callable[[], object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        bad()


# -- initialisers ---------------------------------------------------------------------


@pytest.mark.parametrize("name, n_in, n_out, var", [
    ("xavier_uniform", 300, 200, 2 / 500), ("xavier_normal", 300, 200, 2 / 500),
    ("he_uniform", 300, 200, 2 / 300), ("he_normal", 300, 200, 2 / 300),
])
def test_init_variance(name: str, n_in: int, n_out: int, var: float) -> None:
    W = getattr(nn.init, name)(n_in, n_out, rng=0)
    assert W.shape == (n_out, n_in)
    assert W.var() == pytest.approx(var, rel=0.03)
    other = "he" if name.startswith("xavier") else "xavier"
    wrong = 2 / 300 if other == "he" else 2 / 500
    assert W.var() != pytest.approx(wrong, rel=0.1)  # negative control: the two rules are told apart


def test_init_bounds_and_reproducibility() -> None:
    W = nn.init.xavier_uniform(4, 2, rng=np.random.default_rng(3))
    assert np.abs(W).max() <= np.sqrt(6 / 6)
    assert np.array_equal(nn.init.he_normal(5, 3, rng=7), nn.init.he_normal(5, 3, rng=7))
    assert not np.array_equal(nn.init.he_normal(5, 3, rng=7), nn.init.he_normal(5, 3, rng=8))
    u = nn.init.uniform((1000,), 2.0, 3.0, rng=0)
    assert u.min() >= 2.0 and u.max() < 3.0
    with pytest.raises(ValueError, match="needs a < b"):
        nn.init.uniform((2,), 1.0, 1.0)
    seed: Any = "seed"
    with pytest.raises(TypeError, match="rng must be"):
        nn.init.he_normal(2, 2, rng=seed)


def test_float_labels_get_a_hint() -> None:
    with pytest.raises(ValueError, match="integer labels need an integer dtype"):
        nn.cross_entropy(Tensor(np.zeros((3, 2))), np.array([0.0, 1.0, 1.0]))


# -- dtypes, the max-shifted formula, shape mistakes (issue 11, items 5 and 15) ------------------

def _targets_for(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> Any:
    """float64 targets (or int64 labels) of the right kind for ``shape`` logits."""
    if kind == "ce_labels":
        return rng.integers(0, shape[-1], shape[:-1])
    return {"mse": lambda: rng.normal(size=shape),
            "ce": lambda: rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]),
            "bce": lambda: rng.uniform(size=shape),
            "bce_logits": lambda: rng.uniform(size=shape),
            "hinge": lambda: rng.choice([-1.0, 1.0], size=shape)}[kind]()


LOSSES = {"mse": nn.mse_loss, "ce": nn.cross_entropy, "ce_labels": nn.cross_entropy,
          "bce": nn.binary_cross_entropy, "bce_logits": nn.binary_cross_entropy_with_logits,
          "hinge": nn.hinge_loss}


def assert_keeps_dtype(loss: Callable[..., Any], z0: np.ndarray, target: Any, reduction: str) -> None:
    """The loss and the gradient it sends back have the logits' dtype."""
    z = Tensor(z0, requires_grad=True)
    out = loss(z, target, reduction=reduction)
    assert out.dtype == z0.dtype, f"loss dtype {out.dtype} for {z0.dtype} logits"
    (out.sum() if reduction == "none" else out).backward()
    assert z.grad is not None and z.grad.dtype == z0.dtype, f"grad dtype {z.grad.dtype} for {z0.dtype}"


@given(st.sampled_from(sorted(LOSSES)), st.sampled_from(["mean", "sum", "none"]),
       st.sampled_from([np.float32, np.float64]), st.sampled_from([(4, 3), (3,)]),
       st.booleans(), st.integers(0, 2**32 - 1))
def test_every_loss_keeps_the_float_dtype(kind: str, reduction: str, dtype: type, shape: tuple[int, ...],
                                          as_list: bool, seed: int) -> None:
    """float32 in, float32 out (the loss and the gradient), whatever dtype the targets have."""
    rng = np.random.default_rng(seed)
    target = _targets_for(kind, shape, rng)
    if as_list:
        target = np.asarray(target).tolist()
    z0 = rng.uniform(size=shape) if kind == "bce" else 3 * rng.normal(size=shape)  # bce: probabilities
    assert_keeps_dtype(LOSSES[kind], z0.astype(dtype), target, reduction)


def test_negative_control_a_promoting_loss_fails_the_dtype_check() -> None:
    def promoting(z: Tensor, t: Any, reduction: str) -> Tensor:
        return nn.mse_loss(z, t, reduction) * Tensor(np.float64(1.0))

    z0 = np.ones((2, 3), np.float32)
    with pytest.raises(AssertionError, match="loss dtype float64"):
        assert_keeps_dtype(promoting, z0, np.zeros((2, 3)), "mean")
    assert_keeps_dtype(nn.mse_loss, z0, np.zeros((2, 3)), "mean")


def test_value_cross_entropy_is_the_max_shifted_formula() -> None:
    """log Σ exp(z - m) - (z_k - m): at logits near 1e15 (ulp 0.125) nothing large is
    added and subtracted again, so the loss is exact to float64 rounding."""
    z = [1e15, 1e15 + 0.5, 1e15 - 3.0]
    for k in range(3):
        shifted = [v - max(z) for v in z]
        want = math.log(sum(math.exp(d) for d in shifted)) - shifted[k]
        got = nn.cross_entropy([Value(v) for v in z], k).data
        assert got == pytest.approx(want, rel=1e-14, abs=1e-15)
    # negative control: the textbook form logsumexp(z) - z_k loses the answer at this scale
    lse = math.log(sum(math.exp(v - max(z)) for v in z)) + max(z)
    assert abs((lse - z[0]) - (math.log(sum(math.exp(v - max(z)) for v in z)) + 0.5)) > 1e-3


@pytest.mark.parametrize("engine", ["tensor", "value"])
@pytest.mark.parametrize("target, message, fix", [
    (np.eye(3, dtype=np.int64)[[0, 2, 1, 1]],
     r"integer target of shape \(4, 3\), the shape of the logits.*astype\(float\).*target\.argmax\(1\)",
     lambda t: t.astype(float)),
    (np.array([[0], [2], [1], [1]]), r"labels of shape \(4, 1\).*need shape \(4,\).*labels\.reshape\(-1\)",
     lambda t: t.reshape(-1)),
    (np.array([0, 1]), r"labels of shape \(2,\) for logits of shape \(4, 3\): .* need shape \(4,\)",
     None),
])
def test_cross_entropy_names_the_target_mistake_and_its_fix(engine: str, target: np.ndarray, message: str,
                                                           fix: Callable[[Any], Any] | None) -> None:
    z = np.zeros((4, 3))
    logits: Any = Tensor(z) if engine == "tensor" else [[Value(v) for v in row] for row in z]
    with pytest.raises(ValueError, match=message):
        nn.cross_entropy(logits, target)
    if fix is not None:  # the suggested fix works
        nn.cross_entropy(logits, fix(target))


# -- binary cross-entropy from probabilities (issue 12, item 6) --------------------------------

EDGES = np.array([0.0, 0.0, 1.0, 1.0, 1e-50, 0.3, 0.3, 0.9])
EDGE_TARGETS = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.25, 1.0])


@pytest.mark.parametrize("engine", ["tensor", "value"])
def test_binary_cross_entropy_is_the_clamped_formula(engine: str) -> None:
    """-[y max(log p, -100) + (1 - y) max(log(1 - p), -100)], finite at p = 0 and 1; the
    gradient of the mean is (p - y) / max(p (1 - p), 1e-12) / n, PyTorch's."""
    p, y = EDGES, EDGE_TARGETS
    want = ref_bce(p, y)
    assert want[:4].tolist() == [100.0, 0.0, 100.0, 0.0] and want[4] == 100.0  # log 1e-50 = -115 clamped
    grad = (p - y) / np.maximum(p * (1 - p), 1e-12) / len(p)
    if engine == "tensor":
        pt = Tensor(p, requires_grad=True)
        per = nn.binary_cross_entropy(pt, y, reduction="none").data
        nn.binary_cross_entropy(pt, y).backward()
        got_grad = pt.grad
    else:
        pv = [Value(x) for x in p]
        per = np.array([v.data for v in nn.binary_cross_entropy(pv, y, reduction="none")])
        nn.binary_cross_entropy(pv, y).backward()
        got_grad = np.array([v.grad for v in pv])
    np.testing.assert_allclose(per, want, rtol=1e-15)
    np.testing.assert_allclose(got_grad, grad, rtol=1e-15)
    assert np.isfinite(got_grad).all()


def test_binary_cross_entropy_of_sigmoid_is_the_logits_version() -> None:
    """On σ(z) the two names give one loss and one gradient wrt z (where σ(z) is not within
    rounding of 0 or 1); negative control: fed the same numbers, they differ."""
    z = np.random.default_rng(4).normal(size=(5, 3))
    y = np.random.default_rng(5).uniform(size=(5, 3))
    z1, z2 = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
    a = nn.binary_cross_entropy(z1.sigmoid(), y)
    b = nn.binary_cross_entropy_with_logits(z2, y)
    a.backward()
    b.backward()
    assert a.item() == pytest.approx(b.item(), rel=1e-14)
    assert z1.grad is not None and z2.grad is not None
    np.testing.assert_allclose(z1.grad, z2.grad, rtol=1e-12)
    p = 1 / (1 + np.exp(-z))
    assert abs(nn.binary_cross_entropy(Tensor(p), y).item()
               - nn.binary_cross_entropy_with_logits(Tensor(p), y).item()) > 1e-2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_agrees_with_torch(dtype: type) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    p = np.concatenate([EDGES, rng.uniform(size=16)]).astype(dtype)
    y = np.concatenate([EDGE_TARGETS, rng.uniform(size=16)]).astype(dtype)
    for reduction in ("none", "mean", "sum"):
        pt, tp = Tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
        ours = nn.binary_cross_entropy(pt, y, reduction=reduction)
        theirs = torch.nn.functional.binary_cross_entropy(tp, torch.tensor(y), reduction=reduction)
        assert ours.dtype == dtype
        rtol = 1e-6 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol)
        ours.sum().backward() if reduction == "none" else ours.backward()
        theirs.sum().backward()
        assert pt.grad is not None and tp.grad is not None and pt.grad.dtype == dtype
        # torch's floor is 1e-12 rounded to float32, so the two differ at p(1 - p) < 1e-12 by 4e-9 relative
        np.testing.assert_allclose(pt.grad, tp.grad.numpy(), rtol=1e-6 if dtype == np.float32 else 1e-8)
