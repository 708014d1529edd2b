"""Learning-rate schedules, PyTorch's (``torch.optim.lr_scheduler``): each sets ``optimizer.lr``
from e, the number of ``step()`` calls so far (epochs or batches: whichever the caller steps
it by), and η₀, the optimizer's lr when its first scheduler was made:

* :class:`StepLR` -- η₀ γ^⌊e / step_size⌋;
* :class:`CosineAnnealingLR` -- η_min + (η₀ − η_min) (1 + cos(π e / T_max)) / 2;
* :class:`LinearLR` -- η₀ (s + (f − s) min(e, n) / n): a linear warm-up from s η₀ to f η₀ over n steps;
* :class:`SequentialLR` -- one schedule after another: ``schedulers[i]`` from ``milestones[i-1]``
  on, its e counting from 0 there (a warm-up, then a cosine).

As in PyTorch, making a scheduler sets the lr for e = 0, ``step()`` moves on to e + 1,
``get_last_lr()`` is ``[lr]`` (one entry per parameter group; chainrule's optimizers have one)
and the lr follows PyTorch's (closed) formulas; ``tests/test_torch_crosscheck.py`` compares the
sequences.  ``state_dict()`` (e and η₀) lets a resumed run continue the schedule.

>>> from autograd import Value
>>> import nn
>>> opt = nn.optim.SGD([Value(1.0)], lr=0.1)
>>> scheduler = StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for epoch in range(5):
...     lrs.append(scheduler.get_last_lr()[0])  # ... train one epoch with opt.lr ...
...     scheduler.step()
>>> lrs
[0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from typing import Any

from nn.checks import positive_int
from nn.optim import Optimizer


def _number(what: str, name: str, x: float, lo: float, hi: float | None = None,
            open_lo: bool = False) -> float:
    """``x`` as a float if finite and in [lo, hi] ((lo, hi] if ``open_lo``; no upper bound if hi is None)."""
    x = float(x)
    if not (math.isfinite(x) and (x > lo if open_lo else x >= lo) and (hi is None or x <= hi)):
        low = f"({lo}" if open_lo else f"[{lo}"
        bound = f"in {low}, {hi}]" if hi is not None else f"{'>' if open_lo else '>='} {lo}"
        raise ValueError(f"{what}: {name} must be finite and {bound}, got {x!r}")
    return x


class LRScheduler:
    """Base class: subclasses define :meth:`lr_at`, the lr after e steps, from ``self.base_lr``."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: needs an nn.optim optimizer, "
                            f"got {type(optimizer).__name__}")
        if optimizer.initial_lr is None:
            optimizer.initial_lr = optimizer.lr
        self.optimizer = optimizer
        self.base_lr: float = optimizer.initial_lr
        self.last_epoch = 0
        self._last_lr = optimizer.lr
        self._set()

    def lr_at(self, epoch: int) -> float:
        """The lr after ``epoch`` calls of ``step()``."""
        raise NotImplementedError(f"{type(self).__name__}: lr_at is not defined")

    def _set(self) -> None:
        self.optimizer.lr = self._last_lr = self.lr_at(self.last_epoch)

    def step(self) -> None:
        """Move on one epoch (or batch) and set the optimizer's lr for it."""
        self.last_epoch += 1
        self._set()

    def get_last_lr(self) -> list[float]:
        """[the lr the last step set] (PyTorch's list, one entry per parameter group)."""
        return [self._last_lr]

    def state_dict(self) -> dict[str, float]:
        """{"last_epoch": e, "base_lr": η₀}: where the schedule is (its settings are the constructor's)."""
        return {"last_epoch": float(self.last_epoch), "base_lr": self.base_lr}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from a :meth:`state_dict`: set e and η₀ (checked first) and the lr for e."""
        what = f"{type(self).__name__}.load_state_dict"
        if set(state) != {"last_epoch", "base_lr"}:
            raise ValueError(f"{what}: expected the keys ['base_lr', 'last_epoch'], got {sorted(state)}")
        epoch = float(state["last_epoch"])
        if not (math.isfinite(epoch) and epoch >= 0 and epoch == int(epoch)):
            raise ValueError(f"{what}: last_epoch counts steps, so it must be a non-negative integer, "
                             f"got {epoch!r}")
        self.base_lr = self.optimizer.initial_lr = _number(what, "base_lr", state["base_lr"], 0.0)
        self.last_epoch = int(epoch)
        self._set()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr!r})"


class StepLR(LRScheduler):
    """η₀ γ^⌊e / step_size⌋: the lr times γ every ``step_size`` steps."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = positive_int("StepLR", "step_size", step_size)
        self.gamma = _number("StepLR", "gamma", gamma, 0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """η_min + (η₀ − η_min) (1 + cos(π e / T_max)) / 2: from η₀ down to η_min at e = T_max
    (and back up after it, as in PyTorch: stop stepping at T_max to stay at η_min)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = positive_int("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = _number("CosineAnnealingLR", "eta_min", eta_min, 0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        cosine = math.cos(math.pi * epoch / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + cosine) / 2.0


class LinearLR(LRScheduler):
    """η₀ (s + (f − s) min(e, n) / n), s = ``start_factor``, f = ``end_factor``, n =
    ``total_iters``: a linear warm-up (PyTorch's defaults: s = 1/3, f = 1, n = 5)."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5) -> None:
        self.start_factor = _number("LinearLR", "start_factor", start_factor, 0.0, 1.0, open_lo=True)
        self.end_factor = _number("LinearLR", "end_factor", end_factor, 0.0, 1.0)
        self.total_iters = positive_int("LinearLR", "total_iters", total_iters)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        s, f, n = self.start_factor, self.end_factor, self.total_iters
        return self.base_lr * (s + (f - s) * min(epoch, n) / n)


class SequentialLR(LRScheduler):
    """``schedulers[i]`` from step ``milestones[i-1]`` on (``schedulers[0]`` from 0), with its
    e counting from 0 at its milestone: ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5),
    CosineAnnealingLR(opt, T_max=95)], milestones=[5])`` warms up for 5 steps, then anneals."""

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int]) -> None:
        if not schedulers or len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: needs one milestone fewer than schedulers, got "
                             f"{len(schedulers)} scheduler(s) and {len(milestones)} milestone(s)")
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler) or s.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: schedulers[{i}] must be a scheduler of the same optimizer")
        self.milestones = [positive_int("SequentialLR", f"milestones[{i}]", m)
                           for i, m in enumerate(milestones)]
        if any(b <= a for a, b in zip(self.milestones, self.milestones[1:])):
            raise ValueError(f"SequentialLR: milestones must increase, got {list(milestones)}")
        self.schedulers = list(schedulers)
        super().__init__(optimizer)

    def _current(self, epoch: int) -> tuple[LRScheduler, int]:
        """(the scheduler in charge at ``epoch``, its own epoch count)."""
        i = bisect.bisect_right(self.milestones, epoch)
        return self.schedulers[i], epoch - (self.milestones[i - 1] if i else 0)

    def lr_at(self, epoch: int) -> float:
        scheduler, own = self._current(epoch)
        return scheduler.lr_at(own)

    def _set(self) -> None:
        scheduler, own = self._current(self.last_epoch)
        scheduler.last_epoch, scheduler.base_lr = own, self.base_lr
        scheduler._set()
        self._last_lr = scheduler._last_lr
