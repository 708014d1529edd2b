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
  on Tensors one :class:`SquaredError` node, an op of this module's own made with ``autograd.extend.apply``;
* :func:`cross_entropy` -- -log softmax(z)_y from logits, integer labels or one-hot/probabilities;
* :func:`binary_cross_entropy` -- -[y log p + (1 - y) log(1 - p)] from probabilities, each log
  clamped at -100 (PyTorch's); one :class:`BinaryCrossEntropy` node per element;
* :func:`binary_cross_entropy_with_logits` -- -[y log σ(z) + (1 - y) log(1 - σ(z))] from logits;
* :func:`hinge_loss` -- max(0, 1 - y s) for targets ±1;
* modules :class:`MSELoss`, :class:`CrossEntropyLoss`, :class:`BCELoss`, :class:`BCEWithLogitsLoss`,
  :class:`HingeLoss`.

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
from typing import Any

import numpy as np

from autograd import Tensor, Value
from autograd.extend import Op, apply
from nn.module import Module
from nn.values import rows, total

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


@functools.lru_cache(maxsize=1024)
def _indexed(name: str, k: int, width: int, one: bool) -> tuple[str, ...]:
    """The labels of a row's constants: ``name[j]`` for j < width of one example, ``name[k][j]``
    of example k in a batch (cached: formatting them anew cost mse_loss 4 %, measured)."""
    return tuple(f"{name}[{j}]" if one else f"{name}[{k}][{j}]" for j in range(width))


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


class SquaredError(Op):
    """Σ (a - y)² / n over all elements, one node (as PyTorch's ``mse_loss``);
    ∂/∂a = 2 (a - y) / n, ∂/∂y = -2 (a - y) / n

    The value of the composition ``((a - y) ** 2).mean()`` (n the number of elements)
    or ``.sum()`` (n = 1), bit for bit, and its gradient, one node instead of four.

    >>> from autograd import Tensor
    >>> from autograd.extend import apply
    >>> a = Tensor([1.0, 3.0], requires_grad=True)
    >>> loss = apply(SquaredError(2), a, Tensor([0.0, 0.0]))
    >>> loss.backward()
    >>> loss.item(), a.grad
    (5.0, array([1., 3.]))
    """

    name, elementwise, arity = "squared_error", False, 2
    input_names = ("a", "y")
    partials = ("2 (a - y) / n", "-2 (a - y) / n")

    def __init__(self, n: int) -> None:
        self.n = n
        self._inverse: dict[np.dtype[Any], np.ndarray] = {}  # 1/n per dtype: 2 us a step, measured
        self.formula = "Σ (a - y)²" if n == 1 else f"Σ (a - y)² / {n}"
        self.symbol = "Σ(a-y)²" if n == 1 else "mean (a-y)²"

    def forward(self, m: Any, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        d = a - y
        total = np.add.reduce(d * d, axis=None)
        out: np.ndarray = total if self.n == 1 else total / self.n  # as mean: the sum divided by n
        return out

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        a, y = xs
        inverse = self._inverse.get(grad_out.dtype)
        if inverse is None:  # 1/n rounded in grad_out's dtype, as the mean's division passes it down
            inverse = self._inverse[grad_out.dtype] = 1.0 / np.asarray(self.n, grad_out.dtype)
        g = 2.0 * (a - y) * (grad_out * inverse)
        return (g if needs[0] else None, -g if needs[1] else None)


@functools.lru_cache(maxsize=64)
def squared_error(n: int) -> SquaredError:
    """The (shared) op ``Σ (a - y)² / n``."""
    return SquaredError(n)


def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """(a - y)² per element; ``"mean"`` averages over all elements, so a batch of m
    examples with n outputs gives (1/m) Σ_examples (1/n) Σ_i (a_i - y_i)² and
    ∂C/∂a_i = 2(a_i - y_i)/(m n).  On Tensors the mean and the sum are one
    :class:`SquaredError` node."""
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
        ds = [a - Value(yj, label) for a, yj, label in zip(row, y, _indexed("y", k, len(row), one))]
        per.append([d * d for d in ds])
    return _reduce_values(per, reduction, one)


def _labels(what: str, t: np.ndarray, classes: int) -> np.ndarray:
    if t.size and (t.min() < 0 or t.max() >= classes):
        raise ValueError(f"{what}: labels must lie in [0, {classes}), got values from {t.min()} to {t.max()}")
    return t.astype(np.intp)


def _labels_shape(shape: tuple[int, ...], t: np.ndarray) -> None:
    """Integer labels have the logits' shape without the class axis; else name the mistake and its fix."""
    want = shape[:-1]
    if t.shape == want:
        return
    if t.shape == shape:
        labels = "target.argmax(1)" if len(shape) == 2 else "int(target.argmax())"
        raise ValueError(f"cross_entropy: integer target of shape {t.shape}, the shape of the logits: "
                         f"integer targets are class labels, shape {want}; one-hot rows need a float "
                         f"dtype (target.astype(float)), or pass the labels {labels}")
    fix = " (labels.reshape(-1))" if len(want) == 1 and t.size == want[0] else ""
    raise ValueError(f"cross_entropy: labels of shape {t.shape} for logits of shape {shape}: integer "
                     f"labels need shape {want}, one per example{fix}")


def _one_hot_shape(shape: tuple[int, ...], t: np.ndarray) -> None:
    if t.shape == shape[:-1]:
        raise ValueError(f"cross_entropy: target of shape {t.shape} has float dtype {t.dtype}: integer "
                         "labels need an integer dtype (e.g. labels.astype(int)); one-hot targets need "
                         f"shape {shape}")
    _same_shape("cross_entropy (one-hot targets)", shape, t)


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Any:
    """-Σ_k y_k log softmax(z)_k per example, with -log softmax(z)_k = log Σ_j exp(z_j - m) - (z_k - m),
    m = max z (stable for any logits: nothing overflows, no large number is subtracted);
    ``target`` is integer labels, shape (batch,) (or one int for one example), or one-hot /
    probability rows shaped like ``logits``.  ``"mean"`` averages over examples;
    ∂C/∂z = softmax(z) - y per example.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> round(cross_entropy(Tensor([[0.0, 0.0]]), np.array([1])).item(), 6)  # log 2
    0.693147
    """
    _check_reduction("cross_entropy", reduction)
    t = _target("cross_entropy", target)
    labels = t.dtype.kind in "iub"
    if isinstance(logits, Tensor):
        if logits.ndim not in (1, 2):
            raise ValueError(f"cross_entropy: logits must be (batch, classes) or (classes,), "
                             f"got shape {logits.shape}")
        logp = logits.log_softmax(-1)
        if labels:
            _labels_shape(logits.shape, t)
            idx = _labels("cross_entropy", t, logits.shape[-1])
            per = -(logp[np.arange(len(idx)), idx] if logits.ndim == 2 else logp[int(idx)])
        else:
            _one_hot_shape(logits.shape, t)
            per = -(logp * _float_target(t, logits)).sum(-1)
        return _reduce_tensor(per, reduction)
    found, one = rows("cross_entropy", logits)
    classes = len(found[0])
    shape = (classes,) if one else (len(found), classes)
    if labels:
        _labels_shape(shape, t)
        y = np.eye(classes)[_labels("cross_entropy", t, classes).reshape(-1)]
    else:
        _one_hot_shape(shape, t)
        y = t.reshape(len(found), classes).astype(np.float64)
    per = []
    for k, (z, yk) in enumerate(zip(found, y)):
        m = Value(max(v.data for v in z), label="m" if one else f"m[{k}]")
        shifted = [v - m for v in z]
        lse = total([d.exp() for d in shifted]).log()  # log Σ exp(z - m), in [0, log classes]
        terms = [(lse - d) * Value(float(w), label)
                 for d, w, label in zip(shifted, yk, _indexed("y", k, classes, one)) if w != 0.0]
        per.append(total(terms) if terms else lse * Value(0.0, label="0"))  # an all-zero target row costs 0
    if reduction == "none":
        return per[0] if one else per
    return _reduce_values([per], reduction, True)


def _softplus_minus(z: Any, y: float | np.ndarray, at: str = "") -> Any:
    """log(1 + e^z) - z·y written as m + log(e^-m + e^(z-m)) - z·y with m = max(z, 0)
    held constant: exact, overflow-free, and differentiable everywhere
    (d/dz = σ(z) - y even at z = 0, where relu/|z| forms would see a kink).
    ``at`` indexes the labels of a Value's constants (``m[0]``, ``exp(-m[0])``, ``y[0]``)."""
    if isinstance(z, Tensor):
        m = np.maximum(z.data, 0.0)
        return (np.exp(-m) + (z - m).exp()).log() + m - z * y
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
    per = [[_softplus_minus(z, y, at) for z, y, at in zip(row, ys, _indexed("", k, len(row), one))]
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
            for p, y, label in zip(row, ys, _indexed("y", k, len(row), one))]
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
            for s, y, label in zip(row, ys, _indexed("y", k, len(row), one))]
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
    """Module form of :func:`cross_entropy` (from logits)."""

    def forward(self, logits: Any, target: Any) -> Any:
        """cross_entropy(logits, target, reduction)"""
        return cross_entropy(logits, target, self.reduction)


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
