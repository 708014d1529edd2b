"""nn.schedules: the closed forms by hand, the argument and state rules, composition, and
``fit(scheduler=...)`` stepping per epoch or per batch (against PyTorch: test_torch_crosscheck.py)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import nn
from autograd import Value
from nn.schedules import CosineAnnealingLR, LinearLR, LRScheduler, SequentialLR, StepLR


def sgd(lr: float = 0.1) -> nn.optim.SGD:
    return nn.optim.SGD([Value(1.0)], lr=lr)


def lrs(scheduler: LRScheduler, n: int) -> list[float]:
    out = []
    for _ in range(n):
        out.append(scheduler.optimizer.lr)
        scheduler.step()
    return out


def test_closed_forms_by_hand() -> None:
    assert lrs(StepLR(sgd(), step_size=2, gamma=0.5), 5) == [0.1, 0.1, 0.05, 0.05, 0.025]
    cosine = lrs(CosineAnnealingLR(sgd(), T_max=4, eta_min=0.02), 5)
    np.testing.assert_allclose(cosine, [0.1, 0.02 + 0.08 * (1 + math.sqrt(0.5)) / 2, 0.06,
                                        0.02 + 0.08 * (1 - math.sqrt(0.5)) / 2, 0.02], rtol=1e-14)
    np.testing.assert_allclose(lrs(LinearLR(sgd(), start_factor=0.25, total_iters=3), 5),
                               [0.025, 0.05, 0.075, 0.1, 0.1], rtol=1e-14)


def test_warm_up_then_cosine() -> None:
    opt = sgd()
    scheduler = SequentialLR(opt, [LinearLR(opt, start_factor=0.5, total_iters=2), CosineAnnealingLR(opt, 2)],
                             milestones=[2])
    np.testing.assert_allclose(lrs(scheduler, 5), [0.05, 0.075, 0.1, 0.05, 0.0], atol=1e-15)
    assert scheduler.get_last_lr() == [opt.lr]


def test_state_dict_resumes_the_schedule() -> None:
    opt = sgd()
    straight = lrs(CosineAnnealingLR(opt, T_max=10), 10)
    first = sgd()
    scheduler = CosineAnnealingLR(first, T_max=10)
    lrs(scheduler, 4)
    saved = scheduler.state_dict()
    resumed_opt = sgd(lr=first.lr)  # e.g. an optimizer loaded from a checkpoint: lr is the scheduled one
    resumed = CosineAnnealingLR(resumed_opt, T_max=10)
    resumed.load_state_dict(saved)
    assert lrs(resumed, 6) == straight[4:]
    with pytest.raises(ValueError, match="last_epoch counts steps"):
        resumed.load_state_dict(dict(saved, last_epoch=-1.0))
    with pytest.raises(ValueError, match="base_lr must be finite"):
        resumed.load_state_dict(dict(saved, base_lr=math.nan))
    with pytest.raises(ValueError, match="expected the keys"):
        resumed.load_state_dict({"last_epoch": 1.0})


@pytest.mark.parametrize("bad, message", [
    (lambda: StepLR(sgd(), step_size=0), "StepLR: step_size must be a positive integer"),
    (lambda: StepLR(sgd(), 1, gamma=-0.5), "StepLR: gamma must be finite and >= 0.0"),
    (lambda: CosineAnnealingLR(sgd(), T_max=2.5), "T_max must be a positive integer"),
    (lambda: CosineAnnealingLR(sgd(), 3, eta_min=math.inf), "eta_min must be finite"),
    (lambda: LinearLR(sgd(), start_factor=0.0), r"start_factor must be finite and in \(0.0, 1.0\]"),
    (lambda: LinearLR(sgd(), end_factor=1.5), r"end_factor must be finite and in \[0.0, 1.0\]"),
    (lambda: StepLR("not an optimizer", 1), "needs an nn.optim optimizer"),
    (lambda: SequentialLR(sgd(), [], []), "one milestone fewer than schedulers"),
    (lambda: SequentialLR(sgd(), [StepLR(sgd(), 1)], []), "must be a scheduler of the same optimizer"),
])
def test_bad_arguments(bad: Callable[[], object], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        bad()


def test_sequential_milestones_must_increase() -> None:
    opt = sgd()
    parts = [StepLR(opt, 1), StepLR(opt, 1), StepLR(opt, 1)]
    with pytest.raises(ValueError, match="milestones must increase"):
        SequentialLR(opt, parts, milestones=[3, 3])


def blobs(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n)
    return rng.normal(size=(n, 2)) + 2.0 * labels[:, None], labels


@pytest.mark.parametrize("when, expected", [
    ("epoch", [0.4, 0.2, 0.1]),  # one lr per epoch of 3 steps
    ("batch", [0.4 * 0.5**2, 0.4 * 0.5**5, 0.4 * 0.5**8]),  # the lr of each epoch's last step
])
def test_fit_steps_the_scheduler(when: str, expected: list[float]) -> None:
    x, y = blobs()
    model = nn.MLP([2, 4, 2], rng=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.4)
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    history = nn.fit(model, opt, x, y, epochs=3, batch_size=20, rng=0, progress=False, scheduler=scheduler,
                     scheduler_step=when)
    np.testing.assert_allclose([e.lr for e in history.epochs], expected, rtol=1e-14)
    assert scheduler.last_epoch == (3 if when == "epoch" else 9)


def test_fit_checks_the_scheduler() -> None:
    x, y = blobs()
    model = nn.MLP([2, 4, 2], rng=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.4)
    with pytest.raises(ValueError, match="scheduler must be one of this optimizer"):
        nn.fit(model, opt, x, y, progress=False, scheduler=StepLR(sgd(), 1))
    with pytest.raises(ValueError, match="scheduler_step must be 'epoch' or 'batch'"):
        nn.fit(model, opt, x, y, progress=False, scheduler=StepLR(opt, 1), scheduler_step="step")
