"""nn.optim, nn.clip_grad_norm and nn.schedules against PyTorch, step by step (optional: needs torch).

Each optimizer option is run on both engines (a Tensor, and one Value per entry) beside
``torch.optim`` in float64 on the same gradients; each schedule's lr sequence beside
``torch.optim.lr_scheduler``'s."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nn
from autograd import Tensor, Value
from nn.schedules import CosineAnnealingLR, LinearLR, LRScheduler, SequentialLR, StepLR
from tests.test_nn_optim import RUNNERS, run_tensor

torch = pytest.importorskip("torch")
lr_scheduler = torch.optim.lr_scheduler

RNG = np.random.default_rng(15)
GRADS = [RNG.normal(size=(2, 3)) for _ in range(8)]
THETA0 = RNG.normal(size=(2, 3))


def run_torch(make: Callable[[list[Any]], Any], grads: list[np.ndarray],
              schedule: Callable[[Any], Any] | None = None) -> list[np.ndarray]:
    p = torch.nn.Parameter(torch.tensor(THETA0, dtype=torch.float64))
    opt = make([p])
    scheduler = schedule(opt) if schedule else None
    out = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        if scheduler is not None:
            scheduler.step()
        out.append(p.detach().numpy().copy())
    return out


def run_scheduled(make: Callable[[list[Any]], nn.optim.Optimizer], grads: list[np.ndarray],
                  schedule: Callable[[nn.optim.Optimizer], LRScheduler]) -> list[np.ndarray]:
    p = Tensor(THETA0, requires_grad=True)
    opt = make([p])
    scheduler = schedule(opt)
    out = []
    for g in grads:
        p.grad = g.copy()
        opt.step()
        scheduler.step()
        out.append(p.data.copy())
    return out


CASES = {
    "sgd": (lambda ps: nn.optim.SGD(ps, lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "sgd wd": (lambda ps: nn.optim.SGD(ps, lr=0.1, weight_decay=0.05),
               lambda ps: torch.optim.SGD(ps, lr=0.1, weight_decay=0.05)),
    "momentum": (lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9),
                 lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    "momentum dampening wd": (
        lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.01),
        lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    "nesterov wd": (lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
                    lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    "adam": (lambda ps: nn.optim.Adam(ps, lr=0.01), lambda ps: torch.optim.Adam(ps, lr=0.01)),
    "adam wd": (lambda ps: nn.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
                lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    "adamw": (lambda ps: nn.optim.AdamW(ps, lr=0.01), lambda ps: torch.optim.AdamW(ps, lr=0.01)),
    "adamw wd": (lambda ps: nn.optim.AdamW(ps, lr=0.01, weight_decay=0.3, eps=1e-6),
                 lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.3, eps=1e-6)),
    # RMSProp's ε sits inside the square root (the design's rule), PyTorch's outside: with ε = 0
    # the rules are the same, which checks β and weight decay
    "rmsprop wd": (lambda ps: nn.optim.RMSProp(ps, lr=0.01, beta=0.99, eps=0.0, weight_decay=0.1),
                   lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.99, eps=0.0, weight_decay=0.1)),
}


@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_optimizer_matches_torch(run: Callable[..., list[np.ndarray]], case: str) -> None:
    ours, theirs = CASES[case]
    got, want = run(ours, GRADS, THETA0), run_torch(theirs, GRADS)
    for step, (g, w) in enumerate(zip(got, want), start=1):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14, err_msg=f"{case}, step {step}")


def test_negative_control_rmsprop_eps_placement_differs_from_torch() -> None:
    got = run_tensor(lambda ps: nn.optim.RMSProp(ps, lr=0.01, beta=0.99, eps=1e-2), GRADS, THETA0)
    want = run_torch(lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.99, eps=1e-2), GRADS)
    assert not np.allclose(got[-1], want[-1], rtol=1e-6, atol=0)


@pytest.mark.parametrize("case", ["adam wd", "adamw wd", "rmsprop wd", "sgd wd"])
def test_optimizer_under_a_schedule_matches_torch(case: str) -> None:
    ours, theirs = CASES[case]
    got = run_scheduled(ours, GRADS, lambda opt: StepLR(opt, step_size=2, gamma=0.5))
    want = run_torch(theirs, GRADS, lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_momentum_under_a_changing_lr_is_the_designs_not_torchs() -> None:
    """Documented in nn.optim: the velocity holds η, so a new η reaches only new gradients."""
    ours, theirs = CASES["momentum"]
    got = run_scheduled(ours, GRADS, lambda opt: StepLR(opt, step_size=2, gamma=0.5))
    want = run_torch(theirs, GRADS, lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5))
    np.testing.assert_allclose(got[:2], want[:2], rtol=1e-12)  # the same until the lr changes
    assert not np.allclose(got[2], want[2], rtol=1e-6, atol=0)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 2.5, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type: float, max_norm: float) -> None:
    grads = [RNG.normal(size=(3, 4)), RNG.normal(size=4)]
    ours = [Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for o, t, g in zip(ours, theirs, grads):
        o.grad, t.grad = g.copy(), torch.tensor(g)
    total = nn.clip_grad_norm(ours, max_norm, norm_type)
    want = float(torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type))
    assert total == pytest.approx(want, rel=1e-12)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12)
    values = [Value(0.0) for _ in grads[1]]
    for v, g in zip(values, grads[1]):
        v.grad = float(g)
    single = torch.nn.Parameter(torch.zeros(4, dtype=torch.float64))
    single.grad = torch.tensor(grads[1])
    assert nn.clip_grad_norm(values, max_norm, norm_type) == pytest.approx(
        float(torch.nn.utils.clip_grad_norm_([single], max_norm, norm_type)), rel=1e-12)
    np.testing.assert_allclose([v.grad for v in values], single.grad.numpy(), rtol=1e-12)


SCHEDULES = {
    "step": (lambda o: StepLR(o, step_size=3, gamma=0.5),
             lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    "step default gamma": (lambda o: StepLR(o, 4), lambda o: torch.optim.lr_scheduler.StepLR(o, 4)),
    "cosine": (lambda o: CosineAnnealingLR(o, T_max=10),
               lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10)),
    "cosine eta_min": (lambda o: CosineAnnealingLR(o, T_max=7, eta_min=1e-3),
                       lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=1e-3)),
    "linear default": (lambda o: LinearLR(o), lambda o: torch.optim.lr_scheduler.LinearLR(o)),
    "linear": (lambda o: LinearLR(o, start_factor=0.1, end_factor=0.5, total_iters=4),
               lambda o: lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=0.5, total_iters=4)),
    "warm-up then cosine": (
        lambda o: SequentialLR(o, [LinearLR(o, start_factor=0.1, total_iters=5),
                                   CosineAnnealingLR(o, T_max=15)], milestones=[5]),
        lambda o: torch.optim.lr_scheduler.SequentialLR(
            o, [torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=5),
                torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=15)], milestones=[5])),
    "three phases": (
        lambda o: SequentialLR(o, [LinearLR(o, 0.2, total_iters=3), StepLR(o, 2, 0.5),
                                   CosineAnnealingLR(o, T_max=6, eta_min=0.01)], milestones=[3, 8]),
        lambda o: torch.optim.lr_scheduler.SequentialLR(
            o, [lr_scheduler.LinearLR(o, 0.2, total_iters=3), lr_scheduler.StepLR(o, 2, 0.5),
                torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=0.01)], milestones=[3, 8])),
}


@pytest.mark.parametrize("case", sorted(SCHEDULES))
def test_schedule_matches_torch(case: str) -> None:
    ours, theirs = SCHEDULES[case]
    opt = nn.optim.SGD([Value(1.0)], lr=0.1)
    scheduler = ours(opt)
    t_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    t_scheduler = theirs(t_opt)
    got, want = [], []
    for _ in range(25):  # beyond T_max: the cosine comes back up in both
        got.append((scheduler.get_last_lr()[0], opt.lr))
        want.append(t_scheduler.get_last_lr()[0])
        t_opt.step()
        scheduler.step()
        t_scheduler.step()
    np.testing.assert_allclose([lr for lr, _ in got], want, rtol=1e-10, atol=1e-15, err_msg=case)
    assert all(a == b for a, b in got)
