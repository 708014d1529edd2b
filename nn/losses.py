"""Losses, as functions and as modules, on Tensors and on the value engine's outputs.

``pred`` / ``logits`` / ``scores`` is a ``Tensor`` of shape (batch, k) or (k,), or
the value engine's output: a list of ``Value`` (one example) or a list of such
lists (a batch).  Targets are numpy arrays (or lists) of numbers.  ``reduction``:
``"mean"`` (default), ``"sum"`` or ``"none"`` (one loss per element, or per
example for ``cross_entropy``).

On the value engine every number a loss brings into the graph is a ``Value`` labelled for
the learner, indexed as the prediction is (``[j]`` for output j of one example, ``[k][j]``
for example k of a batch): the target ``y[j]``, the divisor ``n`` of a mean, the margin
``1`` of the hinge, the shift ``m`` (and ``exp(-m)``) that keeps an exponential from
overflowing.  On Tensors these numbers are arrays saved with the op, not nodes.

Float targets take the prediction's float dtype (as in PyTorch, where they must
match; numpy would promote float32 to float64 instead), so a float32 prediction
gives a float32 loss and a float32 gradient whatever the targets' dtype.

* :func:`mse_loss` -- (a - y)², mean over all elements: per example (1/n) Σ_i (a_i - y_i)²;
  on Tensors one :class:`~autograd.structural.SquaredError` node (an op of the table, applied
  with ``autograd.extend.apply``);
* :func:`cross_entropy` -- -log softmax(z)_y from logits, integer labels or one-hot/probabilities;
* :func:`binary_cross_entropy` -- -[y log p + (1 - y) log(1 - p)] from probabilities, each log
  clamped at -100 (PyTorch's); one :class:`BinaryCrossEntropy` node per element;
* :func:`binary_cross_entropy_with_logits` -- -[y log σ(z) + (1 - y) log(1 - σ(z))] from logits;
* :func:`hinge_loss` -- max(0, 1 - y s) for targets ±1;
* :func:`nll_loss` -- -x_y from log-probabilities x and integer labels (``cross_entropy`` after
  ``log_softmax``);
* :func:`l1_loss` -- |a - y|;
* :func:`huber_loss` -- ½ (a - y)² near the target, δ (|a - y| - ½ δ) beyond δ; one :class:`Huber`
  node per element;
* modules :class:`MSELoss`, :class:`CrossEntropyLoss`, :class:`BCELoss`, :class:`BCEWithLogitsLoss`,
  :class:`HingeLoss`, :class:`NLLLoss`, :class:`L1Loss`, :class:`HuberLoss`.

``cross_entropy`` and ``nll_loss`` take a class ``weight``, ``cross_entropy`` a ``label_smoothing``,
with PyTorch's definitions (a weighted mean divides by the summed weights of the labels).

These names are the loss vocabulary everywhere: ``nn.fit(loss="mse_loss")`` and the
textbook's ``loss="cross_entropy"`` name the function of this module that they compute.

>>> import numpy as np
>>> from autograd import Tensor, Value
>>> mse_loss(Tensor([1.0, 3.0]), np.array([0.0, 0.0])).item()
5.0
>>> mse_loss([Value(1.0), Value(3.0)], [0.0, 0.0]).data
5.0
"""

from __future__ import annotations

import functools
import math
from numbers import Real
from typing import Any

import numpy as np

from autograd import Tensor, Value
from autograd.extend import Op, apply
from autograd.structural import squared_error
from nn.module import Module
from nn.values import indexed, rows, total

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(what: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{what}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _target(what: str, target: Any) -> np.ndarray:
    if isinstance(target, Tensor):
        target = target.data
    t = np.asarray(target)
    if t.dtype.kind not in "fiub":
        raise TypeError(f"{what}: target must hold numbers, got dtype {t.dtype}")
    return t


def _float_target(t: np.ndarray, pred: Any) -> np.ndarray:
    """``t`` in the prediction's float dtype (float64 for the value engine's Python floats)."""
    dtype = pred.dtype if isinstance(pred, Tensor) and pred.dtype.kind == "f" else np.float64
    return t.astype(dtype, copy=False)


def _reduce_values(per: list[list[Value]], reduction: str, one: bool) -> Any:
    if reduction == "none":
        return per[0] if one else per
    flat = [v for row in per for v in row]
    out = total(flat)
    return out / Value(len(flat), label="n") if reduction == "mean" else out


def _reduce_tensor(per: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return per.mean()
    return per.sum() if reduction == "sum" else per


def _same_shape(what: str, shape: tuple[int, ...], t: np.ndarray) -> None:
    if t.shape != shape:
        raise ValueError(f"{what}: prediction has shape {shape}, target has shape {t.shape}; they must match")


def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """(a - y)² per element; ``"mean"`` averages over all elements, so a batch of m
    examples with n outputs gives (1/m) Σ_examples (1/n) Σ_i (a_i - y_i)² and
    ∂C/∂a_i = 2(a_i - y_i)/(m n).  On Tensors the mean and the sum are one
    :class:`~autograd.structural.SquaredError` node."""
    _check_reduction("mse_loss", reduction)
    t = _float_target(_target("mse_loss", target), pred)
    if isinstance(pred, Tensor):
        _same_shape("mse_loss", pred.shape, t)
        if reduction == "none":
            d = pred - t
            return d * d
        if reduction == "mean" and not t.size:
            raise ValueError(f"mse_loss: no elements to average: prediction has shape {pred.shape}")
        return apply(squared_error(t.size if reduction == "mean" else 1), pred, t)
    found, one = rows("mse_loss", pred)
    _same_shape("mse_loss", (len(found[0]),) if one else (len(found), len(found[0])), t)
    per = []
    for k, (row, y) in enumerate(zip(found, t.reshape(len(found), -1).tolist())):
        # the label passed by position: as a keyword it cost mse_loss 3 % (instructions, measured)
        ds = [a - Value(yj, label) for a, yj, label in zip(row, y, indexed("y", k, len(row), one))]
        per.append([d * d for d in ds])
    return _reduce_values(per, reduction, one)


def _labels(what: str, t: np.ndarray, classes: int) -> np.ndarray:
    if t.size and (t.min() < 0 or t.max() >= classes):
        raise ValueError(f"{what}: labels must lie in [0, {classes}), got values from {t.min()} to {t.max()}")
    return t.astype(np.intp)


def _labels_shape(what: str, shape: tuple[int, ...], t: np.ndarray) -> None:
    """Integer labels have the logits' shape without the class axis; else name the mistake and its fix."""
    want = shape[:-1]
    if t.shape == want:
        return
    if t.shape == shape and what == "cross_entropy":
        labels = "target.argmax(1)" if len(shape) == 2 else "int(target.argmax())"
        raise ValueError(f"cross_entropy: integer target of shape {t.shape}, the shape of the logits: "
                         f"integer targets are class labels, shape {want}; one-hot rows need a float "
                         f"dtype (target.astype(float)), or pass the labels {labels}")
    fix = " (labels.reshape(-1))" if len(want) == 1 and t.size == want[0] else ""
    inputs = "logits" if what == "cross_entropy" else "log_probs"
    raise ValueError(f"{what}: labels of shape {t.shape} for {inputs} of shape {shape}: integer "
                     f"labels need shape {want}, one per example{fix}")


def _one_hot_shape(shape: tuple[int, ...], t: np.ndarray) -> None:
    if t.shape == shape[:-1]:
        raise ValueError(f"cross_entropy: target of shape {t.shape} has float dtype {t.dtype}: integer "
                         "labels need an integer dtype (e.g. labels.astype(int)); one-hot targets need "
                         f"shape {shape}")
    _same_shape("cross_entropy (one-hot targets)", shape, t)


def _class_weight(what: str, weight: Any, classes: int) -> np.ndarray | None:
    """``weight`` as a float64 array of shape (classes,), or None."""
    if weight is None:
        return None
    w = _target(f"{what}: weight", weight).astype(np.float64)
    if w.shape != (classes,):
        raise ValueError(f"{what}: weight must have one entry per class, shape ({classes},), got shape "
                         f"{w.shape}")
    return w


def _smoothing(label_smoothing: float) -> float:
    if not isinstance(label_smoothing, Real) or isinstance(label_smoothing, bool) \
            or not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing must be a number in [0, 1], "
                         f"got {label_smoothing!r}")
    return float(label_smoothing)


def _coefficients(t: np.ndarray, w: np.ndarray | None, smoothing: float) -> np.ndarray:
    """The weight of each -log softmax(z)_c: w_c ((1 - ε) y_c + ε / C) (PyTorch's smoothing)."""
    if smoothing:
        t = (1.0 - smoothing) * t + smoothing / t.shape[-1]
    return t if w is None else t * w


def cross_entropy(logits: Any, target: Any, reduction: str = "mean", *, weight: Any = None,
                  label_smoothing: float = 0.0) -> Any:
    """-Σ_k y_k log softmax(z)_k per example, with -log softmax(z)_k = log Σ_j exp(z_j - m) - (z_k - m),
    m = max z (stable for any logits: nothing overflows, no large number is subtracted);
    ``target`` is integer labels, shape (batch,) (or one int for one example), or one-hot /
    probability rows shaped like ``logits``.  ``"mean"`` averages over examples;
    ∂C/∂z = softmax(z) - y per example.

    As PyTorch's: ``label_smoothing`` ε replaces y by (1 - ε) y + ε / C (C classes), and a class
    ``weight`` w multiplies each -log softmax(z)_c by w_c, so an example costs
    -Σ_c w_c ((1 - ε) y_c + ε / C) log softmax(z)_c; with labels and a weight, ``"mean"``
    divides the sum by Σ_examples w_label (the weighted mean), with probability targets by
    the number of examples.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> round(cross_entropy(Tensor([[0.0, 0.0]]), np.array([1])).item(), 6)  # log 2
    0.693147
    """
    _check_reduction("cross_entropy", reduction)
    t = _target("cross_entropy", target)
    smoothing = _smoothing(label_smoothing)
    if isinstance(logits, Tensor):
        if logits.ndim not in (1, 2):
            raise ValueError(f"cross_entropy: logits must be (batch, classes) or (classes,), "
                             f"got shape {logits.shape}")
        w = _class_weight("cross_entropy", weight, logits.shape[-1])
        return _cross_entropy_tensor(logits, t, reduction, w, smoothing)
    found, one = rows("cross_entropy", logits)
    classes = len(found[0])
    shape = (classes,) if one else (len(found), classes)
    w = _class_weight("cross_entropy", weight, classes)
    if t.dtype.kind in "iub":
        _labels_shape("cross_entropy", shape, t)
        idx = _labels("cross_entropy", t, classes).reshape(-1)
        y, denominator = np.eye(classes)[idx], None if w is None else float(w[idx].sum())
    else:
        _one_hot_shape(shape, t)
        y, denominator = t.reshape(len(found), classes).astype(np.float64), None
    name = "y" if w is None else "wy"
    per = []
    for k, (z, yk) in enumerate(zip(found, _coefficients(y, w, smoothing))):
        m = Value(max(v.data for v in z), label="m" if one else f"m[{k}]")
        shifted = [v - m for v in z]
        lse = total([d.exp() for d in shifted]).log()  # log Σ exp(z - m), in [0, log classes]
        terms = [(lse - d) * Value(float(c), label)
                 for d, c, label in zip(shifted, yk, indexed(name, k, classes, one)) if c != 0.0]
        per.append(total(terms) if terms else lse * Value(0.0, label="0"))  # an all-zero target row costs 0
    return _reduce_examples(per, reduction, one, denominator)


def _cross_entropy_tensor(logits: Tensor, t: np.ndarray, reduction: str, w: np.ndarray | None,
                          smoothing: float) -> Tensor:
    logp = logits.log_softmax(-1)
    w = None if w is None else _float_target(w, logits)
    if t.dtype.kind not in "iub":
        _one_hot_shape(logits.shape, t)
        per = -(logp * _coefficients(_float_target(t, logits), w, smoothing)).sum(-1)
        return _reduce_tensor(per, reduction)
    _labels_shape("cross_entropy", logits.shape, t)
    idx = _labels("cross_entropy", t, logits.shape[-1])
    if smoothing:
        one_hot = np.eye(logits.shape[-1], dtype=logp.dtype)[idx]
        per = -(logp * _coefficients(one_hot, w, smoothing)).sum(-1)
    else:
        per = _picked(logp, idx, w)
    return _reduce_weighted(per, reduction, None if w is None else w[idx].sum())


def _picked(logp: Tensor, idx: np.ndarray, w: np.ndarray | None) -> Tensor:
    """-w_y logp_y per example: the entry of each row at its label (times its class weight)."""
    per = -(logp[np.arange(len(idx)), idx] if logp.ndim == 2 else logp[int(idx)])
    return per if w is None else per * w[idx]


def _reduce_weighted(per: Tensor, reduction: str, denominator: np.ndarray | None) -> Tensor:
    """As :func:`_reduce_tensor`, but a weighted mean divides by Σ w_label (PyTorch's)."""
    if reduction == "mean" and denominator is not None:
        return per.sum() / denominator
    return _reduce_tensor(per, reduction)


def _reduce_examples(per: list[Value], reduction: str, one: bool, denominator: float | None) -> Any:
    """One loss Value per example reduced; ``denominator`` (Σ w_label) replaces the count n."""
    if reduction == "none":
        return per[0] if one else per
    if denominator is None or reduction == "sum":
        return _reduce_values([per], reduction, True)
    return total(per) / Value(denominator, label="Σw")


def nll_loss(log_probs: Any, target: Any, reduction: str = "mean", *, weight: Any = None) -> Any:
    """-w_y x_y per example, x = log-probabilities (e.g. ``log_softmax`` of logits) and y an
    integer label (PyTorch's ``nll_loss``); ``weight`` w (per class) defaults to 1, and
    ``"mean"`` divides the sum by Σ_examples w_y.  ``nll_loss(z.log_softmax(-1), y)`` is
    ``cross_entropy(z, y)``.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> nll_loss(Tensor([[-1.0, -2.0], [-3.0, -4.0]]), np.array([0, 1])).item()  # (1 + 4) / 2
    2.5
    """
    _check_reduction("nll_loss", reduction)
    t = _target("nll_loss", target)
    if t.dtype.kind not in "iub":
        raise TypeError(f"nll_loss: target must be integer class labels, got dtype {t.dtype}")
    if isinstance(log_probs, Tensor):
        if log_probs.ndim not in (1, 2):
            raise ValueError(f"nll_loss: log_probs must be (batch, classes) or (classes,), "
                             f"got shape {log_probs.shape}")
        _labels_shape("nll_loss", log_probs.shape, t)
        idx = _labels("nll_loss", t, log_probs.shape[-1])
        w = _class_weight("nll_loss", weight, log_probs.shape[-1])
        w = None if w is None else _float_target(w, log_probs)
        return _reduce_weighted(_picked(log_probs, idx, w), reduction, None if w is None else w[idx].sum())
    found, one = rows("nll_loss", log_probs)
    classes = len(found[0])
    _labels_shape("nll_loss", (classes,) if one else (len(found), classes), t)
    idx = _labels("nll_loss", t, classes).reshape(-1).tolist()
    w = _class_weight("nll_loss", weight, classes)
    if w is None:
        return _reduce_examples([-row[y] for row, y in zip(found, idx)], reduction, one, None)
    per = [-(row[y] * Value(float(w[y]), label=f"weight[{y}]")) for row, y in zip(found, idx)]
    return _reduce_examples(per, reduction, one, float(w[idx].sum()))


def l1_loss(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """|a - y| per element; ``"mean"`` averages over all elements (PyTorch's ``l1_loss``);
    ∂/∂a = sign(a - y) (0 where a = y).

    >>> from autograd import Tensor
    >>> l1_loss(Tensor([1.0, -3.0]), [0.0, 0.0]).item()
    2.0
    """
    _check_reduction("l1_loss", reduction)
    t = _float_target(_target("l1_loss", target), pred)
    if isinstance(pred, Tensor):
        _same_shape("l1_loss", pred.shape, t)
        return _reduce_tensor((pred - t).abs(), reduction)
    found, one = rows("l1_loss", pred)
    _same_shape("l1_loss", (len(found[0]),) if one else (len(found), len(found[0])), t)
    per = [[(a - Value(y, label)).abs() for a, y, label in zip(row, ys, indexed("y", k, len(row), one))]
           for k, (row, ys) in enumerate(zip(found, t.reshape(len(found), -1).tolist()))]
    return _reduce_values(per, reduction, one)


class Huber(Op):
    """½ (a - y)² where |a - y| ≤ δ, δ (|a - y| - ½ δ) beyond (PyTorch's ``huber_loss``),
    computed as q (d - ½ q) with d = a - y, q = clip(d, -δ, δ); ∂/∂a = clip(a - y, -δ, δ),
    ∂/∂y = -clip(a - y, -δ, δ)

    >>> from autograd.extend import SCALAR
    >>> Huber(1.0).forward(SCALAR, 3.0, 0.0), Huber(1.0).derivative(SCALAR, 2.5, 3.0, 0.0)
    (2.5, (1.0, -1.0))
    """

    name, arity, input_names = "huber", 2, ("a", "y")

    def __init__(self, delta: float) -> None:
        self.delta = delta
        self.formula = f"½ d² if |d| ≤ {delta:g} else {delta:g} (|d| - ½·{delta:g}), d = a - y"
        self.symbol = "huber"
        self.partials = (f"clip(a - y, -{delta:g}, {delta:g})", f"-clip(a - y, -{delta:g}, {delta:g})")

    def forward(self, m: Any, a: Any, y: Any) -> Any:
        d = a - y
        q = m.clip(d, -self.delta, self.delta)
        return q * (d - 0.5 * q)

    def derivative(self, m: Any, out: Any, a: Any, y: Any) -> tuple[Any, ...]:
        g = m.clip(a - y, -self.delta, self.delta)
        return (g, -g)


def _delta(delta: float) -> float:
    if not isinstance(delta, Real) or isinstance(delta, bool) or not delta > 0:
        raise ValueError(f"huber_loss: delta must be a positive number, got {delta!r}")
    return float(delta)


@functools.lru_cache(maxsize=64)
def huber(delta: float) -> Huber:
    """The (shared) op of :func:`huber_loss` for ``delta``."""
    return Huber(delta)


def huber_loss(pred: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Any:
    """½ (a - y)² where |a - y| ≤ δ, else δ (|a - y| - ½ δ), per element (squared near the
    target, linear far from it, so an outlier's gradient is at most δ); one :class:`Huber`
    node per element; ``"mean"`` averages over all elements (PyTorch's ``huber_loss``).

    >>> from autograd import Tensor
    >>> huber_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none").data  # ½ 0.5², 3 - ½
    array([0.125, 2.5  ])
    """
    _check_reduction("huber_loss", reduction)
    op = huber(_delta(delta))
    t = _float_target(_target("huber_loss", target), pred)
    if isinstance(pred, Tensor):
        _same_shape("huber_loss", pred.shape, t)
        return _reduce_tensor(apply(op, pred, t), reduction)
    found, one = rows("huber_loss", pred)
    _same_shape("huber_loss", (len(found[0]),) if one else (len(found), len(found[0])), t)
    per = [[apply(op, a, Value(y, label)) for a, y, label in zip(row, ys, indexed("y", k, len(row), one))]
           for k, (row, ys) in enumerate(zip(found, t.reshape(len(found), -1).tolist()))]
    return _reduce_values(per, reduction, one)


def _softplus_minus(z: Any, y: float | np.ndarray, at: str = "") -> Any:
    """log(1 + e^z) - z·y: overflow-free, and differentiable everywhere (d/dz = σ(z) - y
    even at z = 0, where relu/|z| forms would see a kink).  On Tensors, the op ``softplus``
    (one node, no constant taken from the data: ``autograd.compile`` can follow it); on
    Values, written as m + log(e^-m + e^(z-m)) - z·y with m = max(z, 0) held constant, each
    step a node of the picture.  ``at`` indexes the labels of a Value's constants (``m[0]``,
    ``exp(-m[0])``, ``y[0]``)."""
    if isinstance(z, Tensor):
        return z.softplus() - z * y
    m = Value(max(z.data, 0.0), label=f"m{at}")
    e = Value(math.exp(-m.data), label=f"exp(-m{at})")
    return (e + (z - m).exp()).log() + m - z * Value(float(y), label=f"y{at}")


def binary_cross_entropy_with_logits(logits: Any, target: Any, reduction: str = "mean") -> Any:
    """-[y log σ(z) + (1 - y) log(1 - σ(z))] = log(1 + e^z) - z y per element, from
    logits z (stable for any z); targets y in [0, 1]; ``"mean"`` averages over all
    elements, and ∂/∂z = σ(z) - y per element.

    >>> from autograd import Tensor
    >>> round(binary_cross_entropy_with_logits(Tensor([0.0]), [1.0]).item(), 6)  # log 2
    0.693147
    """
    what = "binary_cross_entropy_with_logits"
    _check_reduction(what, reduction)
    t = _unit_targets(what, logits, target)
    if isinstance(logits, Tensor):
        _same_shape(what, logits.shape, t)
        return _reduce_tensor(_softplus_minus(logits, t), reduction)
    found, one = rows(what, logits)
    _same_shape(what, (len(found[0]),) if one else (len(found), len(found[0])), t)
    targets = t.reshape(len(found), -1)
    per = [[_softplus_minus(z, y, at) for z, y, at in zip(row, ys, indexed("", k, len(row), one))]
           for k, (row, ys) in enumerate(zip(found, targets))]
    return _reduce_values(per, reduction, one)


def _unit_targets(what: str, pred: Any, target: Any) -> np.ndarray:
    """Targets in [0, 1], in the prediction's float dtype."""
    t = _float_target(_target(what, target), pred)
    if t.size and (t.min() < 0 or t.max() > 1):
        raise ValueError(f"{what}: targets must lie in [0, 1], got {t.min()} to {t.max()}")
    return t


LOG_FLOOR = -100.0
"""Where :func:`binary_cross_entropy` clamps each log, as PyTorch does: log 0 = -inf becomes
-100, so a confident wrong answer costs 100, not infinity."""

EPSILON = 1e-12
"""The least p (1 - p) the derivative of :func:`binary_cross_entropy` divides by (PyTorch's)."""


class BinaryCrossEntropy(Op):
    """-[y max(log p, -100) + (1 - y) max(log(1 - p), -100)] per element (PyTorch's
    ``binary_cross_entropy``); ∂/∂p = (p - y) / max(p (1 - p), 1e-12),
    ∂/∂y = max(log(1 - p), -100) - max(log p, -100)

    ∂/∂p is the derivative of the unclamped formula, -y/p + (1 - y)/(1 - p) = (p - y) / (p (1 - p)),
    with PyTorch's floor on the denominator: exact wherever p (1 - p) > 1e-12, finite at p = 0 and 1.

    >>> from autograd.extend import SCALAR
    >>> BCE.forward(SCALAR, 0.5, 1.0) == -math.log(0.5), BCE.derivative(SCALAR, 0.0, 0.5, 1.0)[0]
    (True, -2.0)
    """

    name, arity, input_names = "binary_cross_entropy", 2, ("p", "y")
    formula, symbol = "-[y log p + (1 - y) log(1 - p)]", "BCE"
    partials = ("(p - y) / max(p (1 - p), 1e-12)", "max(log(1 - p), -100) - max(log p, -100)")

    def forward(self, m: Any, p: Any, y: Any) -> Any:
        log_p, log_q = self._logs(m, p)
        return -(y * log_p + (1.0 - y) * log_q)

    def derivative(self, m: Any, out: Any, p: Any, y: Any) -> tuple[Any, ...]:
        log_p, log_q = self._logs(m, p)
        return ((p - y) / m.maximum(p * (1.0 - p), EPSILON), log_q - log_p)

    @staticmethod
    def _logs(m: Any, p: Any) -> tuple[Any, Any]:
        """(max(log p, -100), max(log(1 - p), -100))."""
        with np.errstate(divide="ignore"):  # log 0 = -inf is expected: the clamp is the answer
            return m.maximum(m.log(p), LOG_FLOOR), m.maximum(m.log(1.0 - p), LOG_FLOOR)


BCE = BinaryCrossEntropy()


def binary_cross_entropy(probabilities: Any, target: Any, reduction: str = "mean") -> Any:
    """-[y log p + (1 - y) log(1 - p)] per element, from probabilities p in [0, 1] (e.g. a
    sigmoid output), each log clamped at -100 as in PyTorch (:class:`BinaryCrossEntropy`);
    targets y in [0, 1]; ``"mean"`` averages over all elements.  On logits,
    :func:`binary_cross_entropy_with_logits` is exact where σ(z) rounds to 0 or 1.

    >>> from autograd import Tensor
    >>> p, y = Tensor([0.5, 0.9]), [1.0, 0.0]
    >>> binary_cross_entropy(p, y, reduction="none").data.round(6)  # -log 0.5, -log(1 - 0.9)
    array([0.693147, 2.302585])
    >>> binary_cross_entropy(Tensor([0.0]), [1.0]).item()  # log 0 clamped
    100.0
    """
    what = "binary_cross_entropy"
    _check_reduction(what, reduction)
    t = _unit_targets(what, probabilities, target)
    if isinstance(probabilities, Tensor):
        _same_shape(what, probabilities.shape, t)
        _check_probabilities(probabilities.data)
        return _reduce_tensor(apply(BCE, probabilities, t), reduction)
    found, one = rows(what, probabilities)
    _same_shape(what, (len(found[0]),) if one else (len(found), len(found[0])), t)
    _check_probabilities(np.array([[v.data for v in row] for row in found]))
    targets = t.reshape(len(found), -1)
    per = [[apply(BCE, p, Value(float(y), label))
            for p, y, label in zip(row, ys, indexed("y", k, len(row), one))]
           for k, (row, ys) in enumerate(zip(found, targets))]
    return _reduce_values(per, reduction, one)


def _check_probabilities(p: np.ndarray) -> None:
    outside = (p < 0) | (p > 1)  # NaN is neither: it propagates, as through every op
    if outside.any():
        raise ValueError(f"binary_cross_entropy: probabilities must lie in [0, 1], got "
                         f"{p[outside].flat[0]!r}; for logits use binary_cross_entropy_with_logits")


def hinge_loss(scores: Any, target: Any, reduction: str = "mean") -> Any:
    """max(0, 1 - y·s) per element for targets y = ±1 (zero once the score is on the
    right side with margin 1); ``"mean"`` averages over all elements.

    >>> from autograd import Tensor
    >>> hinge_loss(Tensor([2.0, 0.5]), [1.0, 1.0], reduction="none").data
    array([0. , 0.5])
    """
    _check_reduction("hinge_loss", reduction)
    t = _float_target(_target("hinge_loss", target), scores)
    if not np.isin(t, (-1.0, 1.0)).all():
        raise ValueError(f"hinge_loss: targets must be -1 or +1, got {np.unique(t)[:5]}")
    if isinstance(scores, Tensor):
        _same_shape("hinge_loss", scores.shape, t)
        return _reduce_tensor((1.0 - scores * t).relu(), reduction)
    found, one = rows("hinge_loss", scores)
    _same_shape("hinge_loss", (len(found[0]),) if one else (len(found), len(found[0])), t)
    targets = t.reshape(len(found), -1)
    per = [[(Value(1.0, label="1") - s * Value(float(y), label)).relu()
            for s, y, label in zip(row, ys, indexed("y", k, len(row), one))]
           for k, (row, ys) in enumerate(zip(found, targets))]
    return _reduce_values(per, reduction, one)


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Module form of :func:`mse_loss`."""

    def forward(self, pred: Any, target: Any) -> Any:
        """mse_loss(pred, target, reduction)"""
        return mse_loss(pred, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Module form of :func:`cross_entropy` (from logits), with its ``weight`` and ``label_smoothing``."""

    def __init__(self, reduction: str = "mean", *, weight: Any = None, label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.weight = None if weight is None else np.array(weight, dtype=np.float64)
        self.label_smoothing = _smoothing(label_smoothing)

    def forward(self, logits: Any, target: Any) -> Any:
        """cross_entropy(logits, target, reduction, weight=weight, label_smoothing=label_smoothing)"""
        return cross_entropy(logits, target, self.reduction, weight=self.weight,
                             label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        smoothing = f", label_smoothing={self.label_smoothing}" if self.label_smoothing else ""
        weight = f", weight={self.weight.tolist()}" if self.weight is not None else ""
        return super().extra_repr() + weight + smoothing


class NLLLoss(_Loss):
    """Module form of :func:`nll_loss` (from log-probabilities), with its class ``weight``."""

    def __init__(self, reduction: str = "mean", *, weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight = None if weight is None else np.array(weight, dtype=np.float64)

    def forward(self, log_probs: Any, target: Any) -> Any:
        """nll_loss(log_probs, target, reduction, weight=weight)"""
        return nll_loss(log_probs, target, self.reduction, weight=self.weight)

    def extra_repr(self) -> str:
        return super().extra_repr() + (f", weight={self.weight.tolist()}" if self.weight is not None else "")


class L1Loss(_Loss):
    """Module form of :func:`l1_loss`."""

    def forward(self, pred: Any, target: Any) -> Any:
        """l1_loss(pred, target, reduction)"""
        return l1_loss(pred, target, self.reduction)


class HuberLoss(_Loss):
    """Module form of :func:`huber_loss`."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = _delta(delta)

    def forward(self, pred: Any, target: Any) -> Any:
        """huber_loss(pred, target, reduction, delta)"""
        return huber_loss(pred, target, self.reduction, self.delta)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, delta={self.delta}"


class BCELoss(_Loss):
    """Module form of :func:`binary_cross_entropy` (from probabilities)."""

    def forward(self, probabilities: Any, target: Any) -> Any:
        """binary_cross_entropy(probabilities, target, reduction)"""
        return binary_cross_entropy(probabilities, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Module form of :func:`binary_cross_entropy_with_logits`."""

    def forward(self, logits: Any, target: Any) -> Any:
        """binary_cross_entropy_with_logits(logits, target, reduction)"""
        return binary_cross_entropy_with_logits(logits, target, self.reduction)


class HingeLoss(_Loss):
    """Module form of :func:`hinge_loss`."""

    def forward(self, scores: Any, target: Any) -> Any:
        """hinge_loss(scores, target, reduction)"""
        return hinge_loss(scores, target, self.reduction)
