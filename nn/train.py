"""The training loop: mini-batch epochs with a progress bar, metrics, a history, checkpoints, clean Ctrl-C.

* :func:`fit` -- for each epoch, for each shuffled mini-batch: forward, loss, ``zero_grad``,
  ``backward``, ``optimizer.step()``; then evaluate on the test arrays and (optionally)
  ``nn.save`` a checkpoint.  Ctrl-C stops after the step in flight; the history is kept.
  A NaN or infinite loss (or gradient) stops it before the step, with :class:`NonFiniteError`
  naming the likely cause; the weights and the last checkpoint stay the last good ones.
* :func:`evaluate` -- mean loss and accuracy (or RMSE), without recording a graph; :func:`predict`.
* ``loss`` names an ``nn`` loss function (``"mse_loss"``, ``"cross_entropy"``, ...) or is a
  callable ``loss(output, targets) -> scalar Tensor``.
* The dtype of ``labels`` says the task.  Integers: classification, one class label per row
  (``"mse_loss"`` trains on their one-hot rows, the student's recipe; ``"cross_entropy"`` and
  a callable get the labels); the metric is the accuracy.  Floats: the targets themselves,
  shape (n,) for a model with one output or (n, outputs), given to the loss as they are
  (regression; shape (n,) is taken as (n, 1)); the metric is the RMSE,
  sqrt(mean((output − target)²)).  With ``"cross_entropy"``, float targets must be
  probability rows (one-hot or soft labels), and the metric is the accuracy against
  their argmax.
* ``scheduler`` (an :mod:`nn.schedules` scheduler of the optimizer) steps after every epoch
  (``scheduler_step="epoch"``, the usual use of StepLR and CosineAnnealingLR) or after every
  optimizer step (``"batch"``, for a warm-up counted in steps).  The checkpoint holds the
  model and the optimizer (its current lr included), not the scheduler: to resume a schedule,
  keep ``scheduler.state_dict()`` and load it into the new scheduler.
* ``compile=True`` runs each step as a program generated once per batch shape by
  :func:`autograd.compile` (forward, backward and the optimizer's update, numpy code alone):
  the same steps to float round-off, faster.  The model must then be a function of its
  input and parameters alone (a ``Dropout`` in training mode is refused, naming its random
  mask).  A non-finite loss stops the run as above, the update not applied; a non-finite
  gradient with a finite loss is caught after the epoch, by the weights it spoiled.

>>> import numpy as np, nn
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(200, 2))
>>> labels = (x[:, 0] > x[:, 1]).astype(np.int64)
>>> net = nn.MLP([2, 8, 2], activation="tanh", rng=0)
>>> history = fit(net, nn.optim.SGD(net.parameters(), lr=0.5), x, labels, loss="cross_entropy",
...               epochs=20, batch_size=20, rng=0, test=(x, labels), progress=False)
>>> history.epochs[-1].test_accuracy > 0.9, history.losses[-1] < history.losses[0]
(True, True)
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import numpy as np

import autograd
from autograd import Tensor, no_grad
from nn import losses
from nn.checkpoint import save
from nn.checks import positive_int
from nn.data import batch_indices, one_hot
from nn.init import RNGLike, make_rng
from nn.losses import cross_entropy, mse_loss
from nn.module import Module
from nn.optim import Optimizer
from nn.schedules import LRScheduler

LossFn = Callable[[Tensor, np.ndarray], Tensor]
"""``loss(output, targets) -> scalar Tensor``."""

LossSpec = str | LossFn
"""The name of an ``nn`` loss function (``"mse_loss"``, ``"cross_entropy"``, ...), or a
callable ``loss(output, targets)``."""

Encoder = Callable[[np.ndarray, int, Any], np.ndarray]
"""``encode(labels, n_outputs, dtype) -> targets``."""


def _labels(labels: np.ndarray, n: int, dtype: Any) -> np.ndarray:
    return labels


LOSSES: dict[str, tuple[Encoder, LossFn]] = {"mse_loss": (one_hot, mse_loss),
                                              "cross_entropy": (_labels, cross_entropy)}
"""The losses whose name ``fit`` and ``evaluate`` turn integer labels into targets for:
(labels -> targets, the loss function).  Any other ``nn`` loss function's name gets the
targets as they are."""


@dataclass(frozen=True)
class Metrics:
    """Mean loss over a data set, and the accuracy (share of argmax predictions equal to the
    label) for class labels or the RMSE, sqrt(mean((output − target)²)), for float targets;
    the other one is None."""

    loss: float
    accuracy: float | None
    rmse: float | None = None


@dataclass
class EpochRecord:
    """One epoch: its number (from 1), the steps run in it, the mean training loss over
    those steps, the test metrics after it (None without test data), its wall time, the
    test RMSE (float targets) and the lr of its last step."""

    epoch: int
    steps: int
    train_loss: float
    test_loss: float | None
    test_accuracy: float | None
    seconds: float
    test_rmse: float | None = None
    lr: float | None = None


@dataclass
class History:
    """What :func:`fit` did: the loss of every step, a record per epoch, whether Ctrl-C stopped it."""

    losses: list[float] = field(default_factory=list)
    epochs: list[EpochRecord] = field(default_factory=list)
    interrupted: bool = False

    @property
    def steps(self) -> int:
        """Number of optimizer steps taken."""
        return len(self.losses)

    @property
    def seconds(self) -> float:
        """Total wall time of the epochs, evaluation included."""
        return sum(e.seconds for e in self.epochs)


class NonFiniteError(FloatingPointError):
    """:func:`fit` met a NaN or an infinity: in a loss or a gradient (it stopped before the
    optimizer step, so the model keeps the weights of the last finite step), or in weights
    that a step overflowed (it stopped before saving them).  A checkpoint, if any, holds
    the last good epoch.  ``history`` is the :class:`History` so far (the finite losses of
    the steps taken, the epochs completed), ``epoch`` the epoch (from 1) and ``step`` the
    step in all (from 1) that failed."""

    def __init__(self, message: str, history: History, epoch: int, step: int) -> None:
        super().__init__(message)
        self.history, self.epoch, self.step = history, epoch, step


def _loss_parts(loss: LossSpec, what: str) -> tuple[Encoder, LossFn]:
    """(encode labels -> targets, loss on a batch of targets) for ``loss``."""
    if isinstance(loss, str) and loss in LOSSES:
        return LOSSES[loss]
    if isinstance(loss, str) and loss.endswith("_loss") and callable(getattr(losses, loss, None)):
        return _labels, getattr(losses, loss)
    if callable(loss) and not isinstance(loss, str):
        return _labels, loss
    names = sorted({*LOSSES, *(n for n in dir(losses) if n.endswith("_loss") and not n.startswith("_"))})
    raise ValueError(f"{what}: loss must be the name of an nn loss function ({', '.join(map(repr, names))}) "
                     f"or a callable loss(output, targets), got {loss!r}")


def _task(what: str, loss: LossSpec, labels: np.ndarray, n_out: int, dtype: Any) -> tuple[np.ndarray, str]:
    """(the targets the loss gets, the metric's kind: "labels", "probabilities" or "values"),
    by the rule of the module docstring."""
    if labels.dtype.kind in "iu":
        return _loss_parts(loss, what)[0](labels, n_out, dtype), "labels"
    n = len(labels)
    if labels.ndim == 1 and n_out != 1:
        raise ValueError(f"{what}: float targets of shape {labels.shape} are one number per example "
                         f"(regression), but the model has {n_out} outputs: give targets of shape "
                         f"({n}, {n_out}), or integer class labels (labels.astype(int)) for classification")
    targets = labels.reshape(n, -1).astype(dtype)
    if targets.shape[1] != n_out:
        raise ValueError(f"{what}: targets of shape {labels.shape} for a model with {n_out} outputs: "
                         f"float targets need one column per output, shape ({n}, {n_out})")
    if loss != "cross_entropy":
        return targets, "values"
    sums = targets.sum(axis=1, dtype=np.float64)
    bad = np.flatnonzero((targets < 0).any(axis=1) | ~np.isclose(sums, 1.0, atol=1e-5))
    if len(bad):
        raise ValueError(f"{what}: cross_entropy with float targets takes probability rows (one-hot or "
                         f"soft labels: non-negative, each summing to 1), but row {bad[0]} is "
                         f"{labels[bad[0]].tolist()!r}: for class labels pass integers (labels.astype(int)); "
                         "for regression use loss='mse_loss'")
    return targets, "probabilities"


def _dtype(model: Module, what: str) -> Any:
    params = list(model.parameters())
    tensors = [p for p in params if isinstance(p, Tensor)]
    if not tensors or len(tensors) != len(params):
        raise TypeError(f"{what}: needs a model with Tensor parameters (engine='tensor'), "
                        f"got {type(model).__name__} with {len(params)} parameter(s) of types "
                        f"{sorted({type(p).__name__ for p in params})}")
    return tensors[0].dtype


def _numbers(what: str, name: str, a: Any) -> np.ndarray:
    """``a`` as a numpy array of numbers (anything ``np.asarray`` makes numeric: arrays, nested lists)."""
    try:
        arr = np.asarray(a)
    except ValueError as e:  # ragged nested lists
        raise ValueError(f"{what}: {name} must be an array of numbers; np.asarray refused it: {e}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what}: {name} must hold numbers, got an array of dtype {arr.dtype} "
                        f"from {type(a).__name__}")
    return arr


def _rows(what: str, x: Any) -> np.ndarray:
    x = _numbers(what, "x", x)
    if x.ndim != 2:
        raise ValueError(f"{what}: x must be 2-D (examples, features), got shape {x.shape}")
    return x


def _xy(what: str, x: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    x, labels = _rows(what, x), _numbers(what, "labels", labels)
    if labels.dtype.kind not in "iuf":
        raise ValueError(f"{what}: labels must be integers (class labels) or floats (regression "
                         f"targets), got dtype {labels.dtype}")
    if (labels.dtype.kind in "iu" and labels.ndim != 1) or labels.ndim not in (1, 2) or len(labels) != len(x):
        rule = "1-D with one label" if labels.dtype.kind in "iu" else "1-D or 2-D with one target (row)"
        raise ValueError(f"{what}: {labels.dtype} labels must be {rule} per row of x: x has "
                         f"shape {x.shape}, labels {labels.shape}")
    return x, labels


@contextmanager
def _mode(model: Module, training: bool) -> Iterator[None]:
    """``model.train(training)`` inside (fit trains, evaluate and predict evaluate: Dropout
    drops units only in training); after, every module gets back its own mode of before."""
    before = [(module, module.training) for _, module in model.named_modules()]
    model.train(training)
    try:
        yield
    finally:
        for module, mode in before:
            module.training = mode


def predict(model: Module, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """argmax of the model's output for each row of ``x`` (int64), computed without a graph,
    in evaluation mode (``model.eval()``; the model's modes are restored after)."""
    _dtype(model, "predict")
    x = _rows("predict", x)
    positive_int("predict", "batch_size", batch_size)
    with no_grad(), _mode(model, training=False):
        return np.concatenate([model(x[i:i + batch_size]).data.argmax(axis=-1)
                               for i in range(0, len(x), batch_size)]).astype(np.int64)


def evaluate(model: Module, x: np.ndarray, labels: np.ndarray, loss: LossSpec = "mse_loss",
             batch_size: int = 1000) -> Metrics:
    """Mean loss and accuracy (integer ``labels``) or RMSE (float targets, see the module
    docstring) of ``model`` on ``(x, labels)``, without recording a graph, in evaluation mode
    (``model.eval()``; the model's modes are restored after).

    The loss is averaged per example (a batch's mean loss weighted by its size).
    """
    x, labels = _xy("evaluate", x, labels)
    positive_int("evaluate", "batch_size", batch_size)
    if len(x) == 0:
        raise ValueError("evaluate: needs at least one example")
    loss_fn = _loss_parts(loss, "evaluate")[1]
    dtype = _dtype(model, "evaluate")
    total, correct, squares = 0.0, 0, 0.0
    with no_grad(), _mode(model, training=False):
        targets, kind = _task("evaluate", loss, labels, model(x[:1]).shape[-1], dtype)
        for i in range(0, len(x), batch_size):
            out = model(x[i:i + batch_size])
            t = targets[i:i + batch_size]
            total += loss_fn(out, t).item() * len(t)
            if kind == "values":
                squares += float(np.square(out.data - t, dtype=np.float64).sum())
            else:
                y = labels[i:i + batch_size] if kind == "labels" else t.argmax(axis=-1)
                correct += int((out.data.argmax(axis=-1) == y).sum())
    if kind == "values":
        return Metrics(total / len(x), None, math.sqrt(squares / targets.size))
    return Metrics(total / len(x), correct / len(x))


@contextmanager
def _stop_on_interrupt() -> Iterator[list[bool]]:
    """A flag set by the first Ctrl-C (SIGINT) instead of raising; a second one raises as usual."""
    flag = [False]
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)
    restore = previous if previous is not None else signal.default_int_handler

    def handler(signum: int, frame: FrameType | None) -> None:
        flag[0] = True
        signal.signal(signal.SIGINT, restore)

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, restore)


def _progress_bar(show: bool | None, total: int) -> Any:
    """A tqdm bar over ``total`` steps, or None: shown if ``show``, by default if stderr is a terminal."""
    if show is False or (show is None and not sys.stderr.isatty()):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if show:
            raise ModuleNotFoundError('fit: progress=True needs tqdm: '
                                      'pip install "chainrule[demo]"') from None
        return None
    return tqdm(total=total, unit="step", dynamic_ncols=True, leave=False)


def _nonfinite(params: Any) -> list[str]:
    """Names of the entries of ``params`` ((name, array) pairs) holding NaN or inf."""
    return [name for name, a in params if a is not None and not np.isfinite(a).all()]


def _nonfinite_grads(model: Module, optimizer: Optimizer) -> list[str]:
    """Names of the optimizer's parameters whose gradient holds NaN or inf."""
    grads = [p.grad for p in optimizer.params if p.grad is not None]
    # Fast path, 3x cheaper than isfinite: Σ g·g by BLAS is finite unless g holds NaN or inf,
    # or is huge (|g| > 1e19 in float32): then the exact check below decides.
    if math.isfinite(sum(float(np.vdot(g, g)) for g in grads)):
        return []
    names = {id(p): name for name, p in model.named_parameters()}
    return _nonfinite((names.get(id(p), f"optimizer parameter {i}"), p.grad)
                      for i, p in enumerate(optimizer.params))


def _diagnosis(model: Module, optimizer: Optimizer, x: np.ndarray, rows: np.ndarray,
               losses: list[float]) -> str:
    """The likely causes of a non-finite loss on the batch ``x[rows]``, most specific first."""
    causes = []
    bad_rows = rows[~np.isfinite(x[rows]).all(axis=1)]
    if len(bad_rows):
        shown = ", ".join(map(str, np.sort(bad_rows)[:5])) + (", ..." if len(bad_rows) > 5 else "")
        causes.append(f"row(s) {shown} of x hold NaN or inf")
    bad_params = _nonfinite((name, p.data) for name, p in model.named_parameters())
    if bad_params:
        causes.append(f"the parameter(s) {', '.join(bad_params[:5])} were already non-finite "
                      "(lr too large for the last step, or non-finite from the start)")
    recent = losses[-_GROWTH_STEPS:]
    if len(recent) == _GROWTH_STEPS and all(b > a for a, b in zip(recent, recent[1:])):
        causes.append(f"the loss grew at each of the last {_GROWTH_STEPS - 1} steps, from "
                      f"{recent[0]:.4g} to {recent[-1]:.4g}: the learning rate lr={optimizer.lr:g} "
                      "is probably too large (training diverged)")
    if not causes:
        causes.append("the inputs and parameters are finite and the loss did not grow: the loss "
                      "function itself made it (e.g. log(0)); autograd.detect_anomaly() finds the op")
    return "; ".join(causes)


_GROWTH_STEPS = 4  # a loss that grew at each of the last 3 steps suggests divergence


def _check_fit(labels: np.ndarray, test: tuple[np.ndarray, np.ndarray] | None, optimizer: Optimizer,
               scheduler: LRScheduler | None, scheduler_step: str) -> None:
    """``ValueError`` unless the test labels are of the training labels' kind and the scheduler fits."""
    if test is not None and (test[1].dtype.kind == "f") != (labels.dtype.kind == "f"):
        raise ValueError(f"fit: the training labels are {labels.dtype} and the test labels {test[1].dtype}: "
                         "both integers (classification) or both floats (regression)")
    if scheduler is not None and scheduler.optimizer is not optimizer:
        raise ValueError("fit: the scheduler must be one of this optimizer (made with it)")
    if scheduler_step not in ("epoch", "batch"):
        raise ValueError(f"fit: scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")


def fit(model: Module, optimizer: Optimizer, x: np.ndarray, labels: np.ndarray, *,
        loss: LossSpec = "mse_loss", epochs: int = 1, batch_size: int = 32, steps: int | None = None,
        rng: RNGLike = None, test: tuple[np.ndarray, np.ndarray] | None = None, progress: bool | None = None,
        checkpoint: str | os.PathLike[str] | None = None, scheduler: LRScheduler | None = None,
        scheduler_step: str = "epoch", compile: bool = False) -> History:
    """Train ``model`` on rows ``x`` with integer ``labels`` (or float targets: regression):
    ``epochs`` shuffled passes of mini-batches.

    Each step: ``out = model(x_batch)``, ``L = loss(out, targets)``, ``optimizer.zero_grad()``,
    ``L.backward()``, ``optimizer.step()`` (then ``scheduler.step()`` if ``scheduler_step=
    "batch"``; with ``"epoch"``, after each epoch).  With integer labels ``loss="mse_loss"``
    trains on one-hot targets, ``"cross_entropy"`` on the labels (the output being logits), a
    callable gets ``(out, labels)``; float targets go to the loss as they are (module docstring).
    ``x`` and ``labels`` are arrays or anything ``np.asarray`` makes numeric (nested lists).
    The shuffles come from ``rng`` (a seed or Generator).  ``steps`` stops after that many
    steps in all (the last epoch ends early).  After each epoch: the test metrics if ``test
    = (x_test, labels_test)``, and ``nn.save(model, checkpoint, optimizer)`` if ``checkpoint``.
    ``progress``: a tqdm bar with the running mean loss of the epoch (default: when stderr
    is a terminal).  Ctrl-C ends the run after the step in flight (``history.interrupted``).
    The steps run in training mode (``model.train()``), the test metrics in evaluation mode;
    at the end every module gets back its mode of before.

    A NaN or infinite loss stops the run before its backward pass, and a non-finite gradient
    before its optimizer step: :class:`NonFiniteError` names the epoch, the step and the
    likely cause (rows of ``x`` by their index in ``x``, parameters by name, or a learning
    rate that made the loss grow), and carries the history so far.  The model keeps the
    weights of the last finite step (unless a step itself overflowed them, which the error
    names), and no checkpoint is ever written with non-finite weights: the file keeps the
    last good epoch.  ``compile=True`` compiles the steps (see the module)."""
    x, labels = _xy("fit", x, labels)
    if test is not None:
        test = _xy("fit (test)", *test)
    _check_fit(labels, test, optimizer, scheduler, scheduler_step)
    positive_int("fit", "epochs", epochs)
    positive_int("fit", "batch_size", batch_size)
    if steps is not None:
        positive_int("fit", "steps", steps)
    if len(x) == 0:
        raise ValueError("fit: needs at least one training example")
    loss_fn = _loss_parts(loss, "fit")[1]
    dtype = _dtype(model, "fit")
    with no_grad(), _mode(model, training=False):  # a Dropout's draws are left for the steps
        n_out = model(x[:1]).shape[-1]
    targets = _task("fit", loss, labels, n_out, dtype)[0]
    total = epochs * math.ceil(len(x) / batch_size)
    if steps is not None:
        total = min(total, steps)
    run = _Run(model, optimizer, x, targets, loss_fn, total, loss, test, checkpoint,
               _Progress(progress, total), {scheduler_step: scheduler} if scheduler is not None else {},
               compiled=_compiled_step(model, optimizer, loss_fn) if compile else None)
    generator = make_rng(rng)
    try:
        with _stop_on_interrupt() as interrupt, _mode(model, training=True):
            for epoch in range(1, epochs + 1):
                run.epoch(epoch, batch_indices(len(x), batch_size, rng=generator), interrupt)
                if run.history.interrupted or run.done():
                    break
    finally:
        run.progress.close()
    return run.history


def _compiled_step(model: Module, optimizer: Optimizer, loss_fn: LossFn) -> autograd.CompiledStep:
    """One training step of ``model`` under ``loss_fn``, with ``optimizer``'s update, compiled."""

    def train_step(x: Tensor, y: np.ndarray) -> Tensor:
        return loss_fn(model(x), y)

    return autograd.compile(train_step, optimizer=optimizer)


class _Progress:
    """fit's tqdm bar (or nothing), refreshed at most every 0.1 s with the epoch's running mean loss."""

    def __init__(self, show: bool | None, total: int) -> None:
        self.bar = _progress_bar(show, total)
        self.shown, self.last = 0, 0.0

    def update(self, epoch: int, losses: list[float], first: int) -> None:
        """Show the steps taken so far; ``losses[first:]`` are this epoch's."""
        if self.bar is None or time.perf_counter() - self.last <= 0.1:
            return
        self.bar.update(len(losses) - self.shown)
        self.bar.set_postfix_str(f"epoch {epoch} loss {np.mean(losses[first:]):.4f}", refresh=False)
        self.shown, self.last = len(losses), time.perf_counter()

    def new_epoch(self) -> None:
        """Refresh at the next step, so the bar shows the new epoch's number at once."""
        self.last = 0.0

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@dataclass
class _Run:
    """One call of :func:`fit`: what its steps and epochs need, and the history they write."""

    model: Module
    optimizer: Optimizer
    x: np.ndarray
    targets: np.ndarray
    loss_fn: LossFn
    total: int
    """Steps to take in all."""
    loss: LossSpec
    test: tuple[np.ndarray, np.ndarray] | None
    checkpoint: str | os.PathLike[str] | None
    progress: _Progress
    schedulers: dict[str, LRScheduler]
    """The scheduler under "epoch" or "batch": when it steps."""
    history: History = field(default_factory=History)
    lr: float | None = None
    """The lr of the last step taken."""
    compiled: autograd.CompiledStep | None = None
    """The compiled step (``fit(compile=True)``), or None: the engine's steps."""

    def done(self) -> bool:
        return len(self.history.losses) >= self.total

    def epoch(self, epoch: int, batches: Iterator[np.ndarray], interrupt: list[bool]) -> None:
        """Steps on ``batches`` until they run out, Ctrl-C or the last step; then check the
        weights, evaluate on the test data, record the epoch and save the checkpoint."""
        losses = self.history.losses
        start, first = time.perf_counter(), len(losses)
        self.progress.new_epoch()
        for rows in batches:
            self.step(epoch, first, rows)
            self.progress.update(epoch, losses, first)
            if interrupt[0] or self.done():
                break
        self.history.interrupted = interrupt[0]
        self.check_weights(epoch)
        if "epoch" in self.schedulers:
            self.schedulers["epoch"].step()
        metrics = None if self.test is None else evaluate(self.model, *self.test, loss=self.loss)
        ran = len(losses) - first
        self.history.epochs.append(EpochRecord(
            epoch, ran, float(np.mean(losses[first:])) if ran else math.nan,
            None if metrics is None else metrics.loss, None if metrics is None else metrics.accuracy,
            time.perf_counter() - start, None if metrics is None else metrics.rmse, self.lr))
        if self.checkpoint is not None:
            save(self.model, self.checkpoint, self.optimizer)

    def step(self, epoch: int, first: int, rows: np.ndarray) -> None:
        """Forward, loss, ``zero_grad``, ``backward``, ``optimizer.step()`` on ``x[rows]``; a
        non-finite loss or gradient raises :class:`NonFiniteError` before it can spoil the weights."""
        if self.compiled is not None:
            self.compiled_step(epoch, first, rows)
            return
        value = self.loss_fn(self.model(self.x[rows]), self.targets[rows])
        current = value.item()
        if not math.isfinite(current):
            cause = _diagnosis(self.model, self.optimizer, self.x, rows, self.history.losses)
            raise self.stopped(epoch, first, f"the loss is {current}: {cause}", "backward pass")
        self.optimizer.zero_grad()
        value.backward()
        bad = _nonfinite_grads(self.model, self.optimizer)
        if bad:
            raise self.stopped(epoch, first, f"the loss {current:.4g} is finite but the gradient of "
                                             f"{', '.join(bad[:5])} holds NaN or inf (an op with an "
                                             "infinite derivative, e.g. sqrt or log at 0)", "optimizer step")
        self.lr = self.optimizer.lr
        self.optimizer.step()
        self.history.losses.append(current)
        if "batch" in self.schedulers:
            self.schedulers["batch"].step()

    def compiled_step(self, epoch: int, first: int, rows: np.ndarray) -> None:
        """:meth:`step` as one call of the compiled program, which applies no update after a
        non-finite loss."""
        assert self.compiled is not None
        lr = self.optimizer.lr
        try:
            current = self.compiled(self.x[rows], self.targets[rows]).item()
        except FloatingPointError:
            cause = _diagnosis(self.model, self.optimizer, self.x, rows, self.history.losses)
            loss = self.loss_fn(self.model(self.x[rows]), self.targets[rows]).item()
            raise self.stopped(epoch, first, f"the loss is {loss}: {cause}", "update") from None
        self.lr = lr
        self.history.losses.append(current)
        if "batch" in self.schedulers:
            self.schedulers["batch"].step()

    def stopped(self, epoch: int, first: int, cause: str, before: str) -> NonFiniteError:
        """The error for a step of ``epoch`` stopped by ``cause`` (``first``: the steps before the epoch)."""
        step = len(self.history.losses) + 1
        weights = _nonfinite((n, p.data) for n, p in self.model.named_parameters())
        kept = "they were already non-finite" if weights else "they are those of the last finite step"
        saved = (f"; {os.fspath(self.checkpoint)!r} holds the last good epoch"
                 if self.checkpoint is not None and self.history.epochs else "")
        return NonFiniteError(f"fit: epoch {epoch}, step {step - first} of the epoch (step {step} in all): "
                              f"{cause}.  Stopped before the {before}, so the weights were not changed: "
                              f"{kept}{saved}", self.history, epoch, step)

    def check_weights(self, epoch: int) -> None:
        """Finite losses and gradients can still overflow in a step; such a model is neither
        returned nor saved (``nn.load`` would refuse its optimizer state anyway)."""
        bad = _nonfinite([*((n, p.data) for n, p in self.model.named_parameters()),
                          *((f"optimizer.{k}", v) for k, v in self.optimizer.state_dict().items())])
        if not bad:
            return
        steps = len(self.history.losses)
        kept = (f"; {os.fspath(self.checkpoint)!r} was not overwritten" +
                (f" (it holds epoch {epoch - 1})" if self.history.epochs else "")
                if self.checkpoint is not None else "")
        raise NonFiniteError(
            f"fit: after epoch {epoch} (step {steps} in all) {', '.join(bad[:5])} hold "
            "NaN or inf though every loss and gradient was finite: a step overflowed them; "
            f"the learning rate lr={self.optimizer.lr:g} is probably too large{kept}",
            self.history, epoch, steps)
