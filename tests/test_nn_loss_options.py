"""The losses of issue 15, item 6: ``nll_loss``, ``l1_loss``, ``huber_loss``, and ``cross_entropy``'s
class ``weight`` and ``label_smoothing``, each with every ``reduction``: against their formulas in
numpy, against central differences, across the two engines, and against PyTorch when it is installed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor, Value
from autograd.extend import topological_order
from tests.numeric import assert_close, central_diff

REDUCTIONS = ["mean", "sum", "none"]


def log_softmax(z: np.ndarray) -> np.ndarray:
    m = z.max(-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(-1, keepdims=True))


def ref_ce(z: np.ndarray, t: np.ndarray, reduction: str, w: np.ndarray | None, eps: float) -> np.ndarray:
    """PyTorch's definition, written out: per example -Σ_c w_c ((1 - ε) y_c + ε / C) log softmax(z)_c;
    a mean over labels divides by Σ w_label, over probability rows by the number of examples."""
    classes = z.shape[-1]
    labels = t.dtype.kind == "i"
    y = np.eye(classes)[t] if labels else t
    weights = np.ones(classes) if w is None else w
    per = -(weights * ((1 - eps) * y + eps / classes) * log_softmax(z)).sum(-1)
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    return per.sum() / (weights[t].sum() if labels else per.size)


def ref_nll(x: np.ndarray, t: np.ndarray, reduction: str, w: np.ndarray | None) -> np.ndarray:
    weights = np.ones(x.shape[-1]) if w is None else w
    per = -weights[t] * np.take_along_axis(x, t[:, None], -1)[:, 0]
    return per if reduction == "none" else per.sum() if reduction == "sum" else per.sum() / weights[t].sum()


def ref_huber(a: np.ndarray, y: np.ndarray, delta: float) -> np.ndarray:
    d = np.abs(a - y)
    return np.where(d <= delta, 0.5 * d * d, delta * (d - 0.5 * delta))


def reduce(per: np.ndarray, reduction: str) -> np.ndarray:
    return per if reduction == "none" else per.sum() if reduction == "sum" else per.mean()


@st.composite
def problems(draw: st.DrawFn) -> dict[str, Any]:
    """A batch of logits (away from the kinks of l1 and huber), a target, a loss and its options."""
    kind = draw(st.sampled_from(["ce_labels", "ce_probs", "nll", "l1", "huber"]))
    batch, classes = draw(st.integers(1, 5)), draw(st.integers(2, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    z = 3 * rng.normal(size=(batch, classes))
    weighted = draw(st.booleans()) and kind in ("ce_labels", "ce_probs", "nll")
    problem: dict[str, Any] = {"kind": kind, "z": z, "reduction": draw(st.sampled_from(REDUCTIONS)),
               "weight": rng.uniform(0.1, 2.0, classes) if weighted else None,
               "eps": draw(st.sampled_from([0.0, 0.1, 0.5])) if kind.startswith("ce") else 0.0,
               "delta": draw(st.sampled_from([0.5, 1.0, 2.0]))}
    if kind in ("ce_labels", "nll"):
        problem["target"] = rng.integers(0, classes, batch)
    elif kind == "ce_probs":
        problem["target"] = rng.dirichlet(np.ones(classes), size=batch)
    else:  # |a - y| at least 0.05 from 0 and from delta: no kink within the central difference's reach
        gap = rng.choice([-1.0, 1.0], size=z.shape) * rng.uniform(0.05, 0.45, size=z.shape)
        near = rng.choice([0.0, problem["delta"], 2 * problem["delta"]], size=z.shape)
        problem["target"] = z + np.sign(gap) * near + gap
    return problem


def ours(problem: dict[str, Any], z: Any) -> Any:
    kind, t, reduction = problem["kind"], problem["target"], problem["reduction"]
    if kind.startswith("ce"):
        return nn.cross_entropy(z, t, reduction, weight=problem["weight"], label_smoothing=problem["eps"])
    if kind == "nll":
        return nn.nll_loss(z, t, reduction, weight=problem["weight"])
    if kind == "l1":
        return nn.l1_loss(z, t, reduction)
    return nn.huber_loss(z, t, reduction, delta=problem["delta"])


def reference(problem: dict[str, Any], z: np.ndarray) -> np.ndarray:
    kind, t, reduction = problem["kind"], problem["target"], problem["reduction"]
    if kind.startswith("ce"):
        return ref_ce(z, t, reduction, problem["weight"], problem["eps"])
    if kind == "nll":
        return ref_nll(z, t, reduction, problem["weight"])
    if kind == "l1":
        return reduce(np.abs(z - t), reduction)
    return reduce(ref_huber(z, t, problem["delta"]), reduction)


def value_data(out: Any) -> np.ndarray:
    if isinstance(out, Value):
        return np.array(out.data)
    return np.array([[v.data for v in row] if isinstance(row, list) else row.data for row in out])


@given(problems())
def test_losses_match_their_formulas_on_both_engines(problem: dict[str, Any]) -> None:
    z = problem["z"]
    want = reference(problem, z)
    np.testing.assert_allclose(ours(problem, Tensor(z)).data, want, rtol=1e-12, atol=1e-13)
    got = value_data(ours(problem, [[Value(x) for x in row] for row in z]))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


@given(problems())
def test_loss_gradients_match_central_differences_and_the_value_engine(problem: dict[str, Any]) -> None:
    z0, r = problem["z"], np.random.default_rng(0).normal(size=problem["z"].shape)

    def seeded(out: Any, rs: np.ndarray) -> Any:  # a random upstream for "none"
        return (out * rs).sum() if problem["reduction"] == "none" else out

    zt = Tensor(z0, requires_grad=True)
    seeded(ours(problem, zt), r if problem["kind"] in ("l1", "huber") else r[:, 0]).backward()
    upstream = r if problem["kind"] in ("l1", "huber") else r[:, 0]
    (want,) = central_diff(lambda xs: float(np.sum(seeded(reference(problem, xs[0]), upstream))),
                           [z0.copy()])
    assert zt.grad is not None
    assert_close(zt.grad, want, tol=1e-6)
    zv = [[Value(x) for x in row] for row in z0]
    out = ours(problem, zv)
    if problem["reduction"] == "none":
        rows = out if problem["kind"] in ("l1", "huber") else [[v] for v in out]
        flat_r = upstream if problem["kind"] in ("l1", "huber") else upstream[:, None]
        out = nn.values.total([v * float(c) for row, cs in zip(rows, flat_r) for v, c in zip(row, cs)])
    out.backward()
    np.testing.assert_allclose([[v.grad for v in row] for row in zv], zt.grad, rtol=1e-10, atol=1e-13)


def test_negative_control_an_unweighted_mean_fails_the_weighted_reference() -> None:
    """The weighted mean divides by Σ w_label, not the number of examples: the two differ."""
    z, t, w = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([0, 1]), np.array([1.0, 3.0])
    got = nn.cross_entropy(Tensor(z), t, weight=w).item()
    assert got == pytest.approx(ref_ce(z, t, "mean", w, 0.0), rel=1e-14)
    assert got != pytest.approx(ref_ce(z, t, "sum", w, 0.0) / 2, rel=1e-3)


def test_nll_loss_after_log_softmax_is_cross_entropy() -> None:
    z, t = np.random.default_rng(1).normal(size=(4, 3)), np.array([2, 0, 1, 1])
    for reduction in REDUCTIONS:
        a = nn.nll_loss(Tensor(z).log_softmax(-1), t, reduction).data
        np.testing.assert_allclose(a, nn.cross_entropy(Tensor(z), t, reduction).data, rtol=1e-15)
    assert nn.nll_loss([Value(-0.5), Value(-2.0)], 1).data == 2.0  # one example, -x_y


def test_huber_is_squared_near_and_linear_far() -> None:
    a = Tensor([0.0, 0.5, 1.0, 3.0, -3.0], requires_grad=True)
    loss = nn.huber_loss(a, np.zeros(5), reduction="sum", delta=1.0)
    loss.backward()
    assert loss.item() == 0.125 + 0.5 + 2.5 + 2.5
    np.testing.assert_array_equal(a.grad, [0.0, 0.5, 1.0, 1.0, -1.0])  # clip(a - y, -δ, δ)
    assert loss.op is not None and loss.parents[0].op is not None
    assert loss.parents[0].op.name == "huber"  # one node per element, then the sum


def test_huber_op_passes_the_op_check_and_a_broken_one_fails() -> None:
    from autograd import check_ops
    from autograd.extend import apply
    from nn.losses import Huber

    class Unclipped(Huber):  # forgets that the gradient stops growing beyond δ
        def derivative(self, m: Any, out: Any, a: Any, y: Any) -> tuple[Any, ...]:
            return (a - y, y - a)

    rng = np.random.default_rng(2)
    a, y = Tensor(3 * rng.normal(size=(3, 4)), requires_grad=True), rng.normal(size=(3, 4))
    reports = check_ops(nn.huber_loss(a, y))
    assert [r.passed for r in reports if r.name == "huber"] == [True]
    broken = check_ops(apply(Unclipped(1.0), a, y))
    assert [r.passed for r in broken if r.name == "huber"] == [False]


@pytest.mark.parametrize("f, target, want", [
    (nn.l1_loss, [1.0, 0.5], ["n", "y[0]", "y[1]"]),
    (nn.huber_loss, [1.0, 0.5], ["n", "y[0]", "y[1]"]),
    (lambda p, t: nn.nll_loss(p, t, weight=[2.0, 1.0]), 0, ["weight[0]", "Σw"]),
    (lambda p, t: nn.cross_entropy(p, t, weight=[2.0, 1.0]), 1, ["m", "wy[1]", "Σw"]),
    (lambda p, t: nn.cross_entropy(p, t, label_smoothing=0.2), 1, ["m", "n", "y[0]", "y[1]"]),
])
def test_the_new_losses_label_the_numbers_they_bring_in(f: Callable[..., Any], target: Any,
                                                       want: list[str]) -> None:
    pred = [Value(0.25), Value(0.75)]
    loss = f(pred, target)
    theirs = {id(n) for v in pred for n in topological_order(v)}
    brought = [n.label for n in topological_order(loss) if n.op is None and id(n) not in theirs]
    assert sorted(brought, key=str) == want


@pytest.mark.parametrize("bad, error, message", [
    (lambda: nn.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), weight=[1.0, 2.0]), ValueError,
     r"cross_entropy: weight must have one entry per class, shape \(3,\), got shape \(2,\)"),
    (lambda: nn.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), label_smoothing=1.5), ValueError,
     r"label_smoothing must be a number in \[0, 1\], got 1.5"),
    (lambda: nn.nll_loss(Tensor(np.zeros((2, 3))), np.eye(3)[[0, 1]]), TypeError,
     "nll_loss: target must be integer class labels, got dtype float64"),
    (lambda: nn.nll_loss(Tensor(np.zeros((2, 3))), np.array([0, 1, 2])), ValueError,
     r"nll_loss: labels of shape \(3,\) for log_probs of shape \(2, 3\)"),
    (lambda: nn.huber_loss(Tensor([1.0]), [0.0], delta=0.0), ValueError, "delta must be a positive number"),
    (lambda: nn.HuberLoss(delta=-1.0), ValueError, "delta must be a positive number"),
    (lambda: nn.l1_loss(Tensor([1.0, 2.0]), [0.0]), ValueError, r"l1_loss: prediction has shape \(2,\)"),
    (lambda: nn.NLLLoss(reduction="avg"), ValueError, "reduction must be"),
])
def test_option_errors(bad: Callable[[], object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        bad()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_new_options_keep_the_float_dtype(dtype: type) -> None:
    rng = np.random.default_rng(3)
    z0: np.ndarray = rng.normal(size=(4, 3)).astype(dtype)
    t = rng.integers(0, 3, 4)
    losses: list[Callable[[Tensor], Tensor]] = [
        lambda z: nn.cross_entropy(z, t, weight=[1.0, 2.0, 0.5], label_smoothing=0.1),
        lambda z: nn.cross_entropy(z, t, weight=[1.0, 2.0, 0.5]),
        lambda z: nn.nll_loss(z, t, weight=[1.0, 2.0, 0.5]),
        lambda z: nn.l1_loss(z, np.zeros((4, 3))), lambda z: nn.huber_loss(z, np.zeros((4, 3)))]
    for f in losses:
        z = Tensor(z0, requires_grad=True)
        out = f(z)
        out.backward()
        assert out.dtype == dtype and z.grad is not None and z.grad.dtype == dtype


# -- PyTorch ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind, weighted", [("ce_labels", False), ("ce_labels", True), ("ce_probs", False),
                                            ("ce_probs", True), ("nll", False), ("nll", True),
                                            ("l1", False), ("huber", False)])
def test_losses_agree_with_torch(kind: str, weighted: bool, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(7)
    z = 2 * rng.normal(size=(6, 4))
    w = rng.uniform(0.2, 3.0, 4) if weighted else None
    tw = None if w is None else torch.tensor(w)
    target: Any = rng.dirichlet(np.ones(4), size=6) if kind == "ce_probs" else rng.integers(0, 4, 6) \
        if kind in ("ce_labels", "nll") else 2 * rng.normal(size=(6, 4))
    zt, tz = Tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    tt = torch.tensor(target)
    if kind.startswith("ce"):
        out = nn.CrossEntropyLoss(reduction, weight=w, label_smoothing=0.15)(zt, target)
        ref = F.cross_entropy(tz, tt, weight=tw, reduction=reduction, label_smoothing=0.15)
    elif kind == "nll":
        out = nn.NLLLoss(reduction, weight=w)(zt.log_softmax(-1), target)
        ref = F.nll_loss(F.log_softmax(tz, -1), tt, weight=tw, reduction=reduction)
    elif kind == "l1":
        out, ref = nn.L1Loss(reduction)(zt, target), F.l1_loss(tz, tt, reduction=reduction)
    else:
        out = nn.HuberLoss(reduction, delta=0.7)(zt, target)
        ref = F.huber_loss(tz, tt, reduction=reduction, delta=0.7)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-13, atol=1e-15)
    r = rng.normal(size=out.shape)
    (out * r).sum().backward()
    (ref * torch.tensor(r)).sum().backward()
    assert zt.grad is not None and tz.grad is not None
    np.testing.assert_allclose(zt.grad, tz.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_loss_module_reprs() -> None:
    assert repr(nn.CrossEntropyLoss(weight=[1, 2], label_smoothing=0.1)) == \
        "CrossEntropyLoss(reduction='mean', weight=[1.0, 2.0], label_smoothing=0.1)"
    assert repr(nn.HuberLoss("sum", delta=2)) == "HuberLoss(reduction='sum', delta=2.0)"
    assert repr(nn.NLLLoss()) == "NLLLoss(reduction='mean')"
