"""Finite differences and the judgement of each element: error, verdict, kinks, jumps.

* :func:`default_step` -- the relative step ``eps`` that suits a precision.
* :func:`differences` -- central and one-sided differences at some elements of an
  input, with the rounding noise each may carry; :data:`Shift` is what they evaluate.
* :func:`judge` -- analytic against numerical derivatives of one input: an
  :class:`~autograd.checking.reports.InputReport`, kinks (and jumps) told apart.
* :func:`choose` -- all elements, or a seeded sample.

How an element is judged.  With ``a`` the analytic and ``n`` the numerical
derivative, the **error** that decides everything is

    error = |a - n| / (max(|a|, |n|) + (atol + noise) / rtol)

a relative error with an absolute floor; ``noise = 4 ε max|f| / h`` is the
rounding error a central difference with step ``h`` can carry in working
precision (machine epsilon ``ε``).  An element passes when ``error <= rtol`` --
the same as ``|a - n| <= atol + noise + rtol · max(|a|, |n|)``.  The verdict of an
input is the band of its largest error (CS231n's bands): ``wrong`` > 1e-2 >
``doubtful`` > 1e-4 > ``acceptable`` > 1e-7 > ``good``.  A verdict never mentions
kinks: the kinks found are listed apart.

Kinks.  The step for element ``i`` is ``h = eps · max(1, |x_i|)`` with
``eps = ε^(1/3)`` (the step that balances truncation ``h²`` against rounding
``ε/h``).  An element that fails is measured again at ``h/10``.  A smooth
function's one-sided slopes ``(f(x+h) - f(x))/h`` and ``(f(x) - f(x-h))/h``
differ by about ``h |f''|``, which shrinks tenfold with the step; at a kink (ReLU
at 0, ``|x|``, a tie in a max) each side keeps its own slope whatever the step,
and the two differ by the jump.  So an element is a **kink** only on evidence
of one: the same slope on each side (the left slopes at ``h`` and ``h/10`` agree,
and so do the right ones, within a quarter of the gap at ``h/10`` plus the
rounding noise) and different slopes across it (a gap above four times the
noise).  Slopes that merely disagree -- garbage, from an ``f`` that is not a
function -- are not a kink.  A kink passes when the analytic value lies between
the two one-sided slopes (a valid subgradient; ``±`` the tolerance) and is
listed apart, not as a failure.  Otherwise the element is judged on the central
difference of whichever step's one-sided slopes agree better (a kink between
``h/10`` and ``h`` from ``x`` spoils the first, rounding spoils the second).  A
kink within about ``h/50`` of ``x`` counts as one at ``x``; one between ``h/50``
and ``h/10`` away spoils both steps, and a right gradient there can fail.

Jumps (order 2 only).  A second-order check differentiates ``g = ⟨w, ∇f⟩``, and where
f has a kink g *jumps*: relu's gradient steps from 0 to 1.  There f has no second
derivative, whatever the engine records (0, as PyTorch and JAX do).  A jump shows as a
rise ``g(x+h) - g(x-h)`` that does not shrink with the step, where a smooth g's or a
kink's shrinks tenfold from ``h`` to ``h/10``.  So with ``jumps=True`` an element that
fails, is no kink, and whose rises at ``h`` and ``h/10`` agree within a quarter of the
one at ``h/10`` (plus the rounding noise) while exceeding eight times that noise is a
**jump**: listed apart with its size, not judged.  At order 1 a jump is a
discontinuity of f itself, which has no derivative to be right about: it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from autograd.checking.reports import WORST, InputReport, Jump, Kink, Worst, verdict

Shift = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``shift(idx, steps)``: f with element ``idx[j]`` of one input moved by ``steps[j]``, for each j."""

FLOAT64_EPSILON = float(np.finfo(np.float64).eps)
"""Machine epsilon of float64, the precision the per-op checks work in."""


def default_step(dtype: Any, richardson: bool = False) -> float:
    """The relative step ``eps = ε^(1/3)`` (``ε^(1/5)`` for Richardson) of a float dtype.

    Central differences err by ``h²|f'''|/6`` (truncation) plus ``ε|f|/h``
    (rounding); ``h ~ ε^(1/3)`` balances the two.  Richardson's error is ``O(h⁴)``,
    balanced at ``h ~ ε^(1/5)``.

    >>> round(default_step(np.float64), 8), round(default_step(np.float32), 5)
    (6.06e-06, 0.00492)
    """
    machine_epsilon = float(np.finfo(dtype).eps)
    return machine_epsilon ** (1 / 5) if richardson else machine_epsilon ** (1 / 3)


class Differences(NamedTuple):
    """Difference quotients at some elements, the rounding noise each may carry, and the
    span ``2h`` of the central difference (exact, as ``x + h`` and ``x - h`` are)."""

    central: np.ndarray
    left: np.ndarray
    right: np.ndarray
    noise: np.ndarray
    span: np.ndarray


def differences(shift: Shift, x: np.ndarray, idx: np.ndarray, f0: Any, eps: float,
                machine_epsilon: float) -> Differences:
    """Central and one-sided differences at the elements ``idx`` of ``x`` (flat), with
    the step ``eps · max(1, |x_i|)`` rounded so that ``x ± h`` is exact."""
    xi = x.reshape(-1)[idx]
    h = (eps * np.maximum(1.0, np.abs(xi.astype(np.float64)))).astype(x.dtype)
    up = ((xi + h) - xi).astype(np.float64)
    down = (xi - (xi - h)).astype(np.float64)
    fp = shift(idx, up)
    fm = shift(idx, -down)
    with np.errstate(all="ignore"):
        right = (fp - f0) / up
        left = (f0 - fm) / down
        central = (fp - fm) / (up + down)
        size = np.maximum(np.maximum(np.abs(f0), np.abs(fp)), np.abs(fm))
        noise = 4.0 * machine_epsilon * size / np.minimum(up, down)
    return Differences(central, left, right, noise, up + down)


def _error(a: np.ndarray, n: np.ndarray, floor: np.ndarray, rtol: float) -> np.ndarray:
    """|a - n| / (max(|a|, |n|) + floor / rtol), 0 where a == n, inf where either is not finite."""
    with np.errstate(all="ignore"):
        diff = np.abs(a - n)
        err = diff / (np.maximum(np.abs(a), np.abs(n)) + floor / rtol)
    err = np.where(diff == 0, 0.0, err)
    return np.where(np.isfinite(a) & np.isfinite(n), err, np.inf)


def _unravel(i: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(j) for j in np.unravel_index(i, shape)) if shape else ()


def judge(name: str, x: np.ndarray, idx: np.ndarray, analytic: np.ndarray, shift: Shift, f0: Any,
          eps: float, machine_epsilon: float, atol: float, rtol: float, seed: int | None,
          jumps: bool = False) -> InputReport:
    """Compare ``analytic`` (at the flat elements ``idx`` of ``x``) with central
    differences, telling kinks (and, with ``jumps``, jumps) apart as the module
    docstring describes."""
    a = np.asarray(analytic, dtype=np.float64)
    d = differences(shift, x, idx, f0, eps, machine_epsilon)
    n = d.central.copy()
    floor = atol + d.noise
    err = _error(a, n, floor, rtol)
    kink = np.zeros(len(idx), dtype=bool)
    jump = np.zeros(len(idx), dtype=bool)
    lo = hi = rise = np.zeros(0)
    redo = np.flatnonzero(~(err <= rtol))
    if redo.size:
        f0_redo = f0[redo] if np.ndim(f0) else f0
        d2 = differences(shift, x, idx[redo], f0_redo, eps / 10, machine_epsilon)
        gap1 = np.abs(d.right[redo] - d.left[redo])
        gap2 = np.abs(d2.right - d2.left)
        with np.errstate(invalid="ignore"):
            # A kink keeps each side's slope whatever the step.  A smooth f's one-sided slopes
            # move by 0.45 h|f''| from h to h/10, 4.5 times its gap at h/10, so a quarter of
            # that gap tells the two apart; garbage slopes (f no function) move at random.
            same = 0.25 * gap2 + d2.noise
            is_kink = ((np.abs(d2.left - d.left[redo]) <= same) & (np.abs(d2.right - d.right[redo]) <= same)
                       & (gap2 > 4.0 * d2.noise) & np.isfinite(gap2))
            finer = ~is_kink & (gap2 < gap1)
            # A jump keeps its rise g(x+h) - g(x-h) whatever the step; a smooth g's or a kink's
            # shrinks tenfold from h to h/10, so moves by nine times its size at h/10.
            rise1, rise2 = d.central[redo] * d.span[redo], d2.central * d2.span
            rounding = d2.noise * d2.span
            is_jump = (jumps & ~is_kink & (np.abs(rise2 - rise1) <= 0.25 * np.abs(rise2) + rounding)
                       & (np.abs(rise2) > 8.0 * rounding) & np.isfinite(rise2))
        n[redo[finer]] = d2.central[finer]
        floor[redo[finer]] = atol + d2.noise[finer]
        lo = np.minimum(d2.left, d2.right)[is_kink]
        hi = np.maximum(d2.left, d2.right)[is_kink]
        at = redo[is_kink]
        n[at] = d2.central[is_kink]
        tol = atol + d2.noise[is_kink] + rtol * np.maximum(np.maximum(np.abs(lo), np.abs(hi)), np.abs(a[at]))
        inside = (a[at] >= lo - tol) & (a[at] <= hi + tol)
        kink[at[inside]] = True
        lo, hi = lo[inside], hi[inside]
        jump[redo[is_jump]] = True
        rise = rise2[is_jump]
        err = _error(a, n, floor, rtol)
    return _input_report(name, x, idx, a, n, err, rtol, kink, lo, hi, jump, rise, seed)


def _input_report(name: str, x: np.ndarray, idx: np.ndarray, a: np.ndarray, n: np.ndarray,
                  err: np.ndarray, rtol: float, kink: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  jump: np.ndarray, rise: np.ndarray, seed: int | None) -> InputReport:
    """The report of the judged elements: errors over those that are neither kinks
    (``kink``, with their slopes ``lo`` and ``hi``) nor jumps (``jump``, by ``rise``),
    the worst of them, and the kinks and jumps."""
    smooth = ~kink & ~jump
    failures = int(np.count_nonzero(smooth & ~(err <= rtol)))
    with np.errstate(invalid="ignore"):
        abs_err = np.where(np.isfinite(a) & np.isfinite(n), np.abs(a - n), np.inf)
    max_abs = float(abs_err[smooth].max(initial=0.0))
    max_err = float(err[smooth].max(initial=0.0))
    order = np.flatnonzero(smooth)[np.argsort(-err[smooth], kind="stable")[:WORST]]
    shape = x.shape
    worst = [Worst(_unravel(int(idx[j]), shape), float(a[j]), float(n[j]), float(err[j])) for j in order]
    kink_at = np.flatnonzero(kink)
    kinks = [Kink(_unravel(int(idx[j]), shape), float(a[j]), float(left), float(right))
             for j, left, right in zip(kink_at, lo, hi)]
    jumps = [Jump(_unravel(int(idx[j]), shape), float(a[j]), float(r))
             for j, r in zip(np.flatnonzero(jump), rise)]
    return InputReport(name, shape, str(x.dtype), len(idx), x.size, max_abs, max_err, verdict(max_err),
                       failures, worst, kinks, seed, jumps=jumps)


def choose(size: int, max_elements: int | None, rng: np.random.Generator) -> np.ndarray:
    """All flat indices, or a sorted random sample of ``max_elements`` of them."""
    if max_elements is None or size <= max_elements:
        return np.arange(size)
    return np.sort(rng.choice(size, max_elements, replace=False))
