"""Gradient checks that say *where* and *why*: numerical gradients and readable reports.

* :func:`numerical_grad` -- central differences of a scalar function of arrays,
  ``Tensor``\\ s, ``Value``\\ s or floats, in float64 (optionally Richardson-extrapolated).
* :func:`gradcheck` -- chainrule's backward against numerical gradients, for every
  input and element (or a seeded sample); ``per_op=True`` also checks each op of
  the graph and names the first whose backward disagrees.
* :func:`check_gradient` -- the same for plain numpy code and a hand-written
  gradient function: no chainrule types needed.
* :class:`GradcheckReport` (one :class:`InputReport` per input, :class:`OpReport`
  per op), :class:`GradcheckError` (raised with the report), :class:`GradcheckWarning`.

How an element is judged.  With ``a`` the analytic and ``n`` the numerical
derivative, the **error** that decides everything is

    error = |a - n| / (max(|a|, |n|) + (atol + noise) / rtol)

a relative error with an absolute floor; ``noise = 4 ε max|f| / h`` is the
rounding error a central difference with step ``h`` can carry in working
precision ``ε``.  An element passes when ``error <= rtol`` -- the same as
``|a - n| <= atol + noise + rtol · max(|a|, |n|)``.  The verdict of an input is the
band of its largest error (CS231n's bands): ``wrong`` > 1e-2 > ``doubtful`` >
1e-4 > ``acceptable`` > 1e-7 > ``good``.  A verdict never mentions kinks: the
kinks found are listed apart.

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

What f is given.  f never sees the arrays the differences are taken around: it
gets private copies, moved one element at a time and restored.  An ``f`` that
writes into its inputs (``x -= 1``) is caught by comparing those copies with the
point after a call; from then on every call gets fresh copies, and the report
says which input f changed.  f is evaluated twice at the point given, on fresh
copies: when the two answers differ by more than rounding (``4 ε max|f|``; random
noise, hidden state), f is no function of its inputs, finite differences of it
mean nothing, and the check fails saying so without comparing any element.

float32.  Finite differences in float32 are only good to about 1e-3 relative, so
float32 inputs raise a :class:`GradcheckWarning` and are checked on float64
copies; when ``f`` rejects float64 (raises) or computes in float32 anyway, the
check runs in float32 with a float32 step and says so in the report.

>>> import numpy as np
>>> report = check_gradient(lambda x: np.sum(x ** 3), lambda x: 3 * x ** 2, np.array([1.0, -2.0]))
>>> report.passed, report.inputs[0].verdict
(True, 'good')
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

import numpy as np

from autograd import ops
from autograd.node import no_grad, topological_order
from autograd.ops import Op
from autograd.tensor import Tensor, unbroadcast
from autograd.value import Value

ATOL = 1e-7
"""Default absolute tolerance: differences below it count as agreement."""
RTOL = 1e-4
"""Default relative tolerance: an element passes when its error is at most this."""
BANDS: tuple[tuple[float, str], ...] = ((1e-2, "wrong"), (1e-4, "doubtful"), (1e-7, "acceptable"))
"""Verdict bands: the first whose bound the error exceeds, else ``good``."""
WORST = 5
"""How many of the worst elements a report keeps per input."""
_BATCH_BYTES = 1 << 23
"""Memory for one chunk of stacked copies in ``vectorized`` mode (8 MiB)."""


class GradcheckWarning(UserWarning):
    """A gradient check ran with less precision than asked for (float32), or
    ``numerical_grad``'s f changed its inputs in place."""


class GradcheckError(AssertionError):
    """A gradient check failed; ``report`` holds the :class:`GradcheckReport`."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass(frozen=True)
class Worst:
    """One element of an input: where it is, both derivatives and the error
    (unpacks as ``index, analytic, numerical, error``)."""

    index: tuple[int, ...]
    analytic: float
    numerical: float
    error: float

    def __iter__(self) -> Iterator[Any]:
        return iter((self.index, self.analytic, self.numerical, self.error))


@dataclass(frozen=True)
class Kink:
    """An element at a kink whose analytic value lies between the one-sided slopes
    ``left`` and ``right`` (unpacks as ``index, analytic, left, right``)."""

    index: tuple[int, ...]
    analytic: float
    left: float
    right: float

    def __iter__(self) -> Iterator[Any]:
        return iter((self.index, self.analytic, self.left, self.right))


def verdict(error: float) -> str:
    """The band of an error: ``wrong`` > 1e-2 > ``doubtful`` > 1e-4 > ``acceptable`` > 1e-7 > ``good``.

    The bands are CS231n's; ``acceptable`` is the band it calls "usually okay for
    objectives with kinks", named here for what it measures: kinks are found by
    their slopes, never guessed from the size of an error (see the module docstring).

    >>> verdict(0.5), verdict(1e-3), verdict(1e-6), verdict(0.0)
    ('wrong', 'doubtful', 'acceptable', 'good')
    """
    for bound, name in BANDS:
        if not error <= bound:
            return name
    return "good"


@dataclass
class InputReport:
    """How the derivative with respect to one input compares.

    ``max_abs_error`` is the largest ``|a - n|`` and ``max_rel_error`` the largest
    error (the floored relative error of the module docstring, which decides
    ``verdict`` and ``passed``), both over the checked elements that are not kinks.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    checked: int
    total: int
    max_abs_error: float
    max_rel_error: float
    verdict: str
    failures: int
    worst: list[Worst]
    kinks: list[Kink]
    seed: int | None = None

    @property
    def passed(self) -> bool:
        """True when no checked element fails (kinks with a valid subgradient pass)."""
        return self.failures == 0

    @property
    def sampled(self) -> bool:
        """True when only a random sample of the elements was checked."""
        return self.checked < self.total

    def row(self) -> str:
        """One line of the report's table."""
        status = "ok" if self.passed else f"FAIL ({self.failures} element{'s' * (self.failures != 1)})"
        kinks = f", {len(self.kinks)} kink{'s' * (len(self.kinks) != 1)}" if self.kinks else ""
        checked = f"{self.checked}/{self.total}"
        return (f"  {self.name:<10} {str(self.shape):<12} {self.dtype:<8} {checked:>13}  "
                f"{self.max_abs_error:9.1e}  {self.max_rel_error:9.1e}  {self.verdict:<13} {status}{kinks}")

    def details(self) -> list[str]:
        """The worst elements (when the input is not all good) and the kinks, as lines."""
        lines = []
        if self.worst and (self.verdict != "good" or not self.passed):
            lines.append(f"  worst elements of {self.name}:")
            lines.append(f"    {'index':<14} {'analytic':>14} {'numerical':>14} {'error':>9}")
            for w in self.worst:
                lines.append(f"    {str(w.index):<14} {w.analytic:14.6g} {w.numerical:14.6g} {w.error:9.1e}")
        if self.kinks:
            lines.append(f"  kinks in {self.name} (not failures: analytic between the one-sided slopes):")
            lines.append(f"    {'index':<14} {'analytic':>14} {'left slope':>14} {'right slope':>14}")
            for k in self.kinks[:WORST]:
                lines.append(f"    {str(k.index):<14} {k.analytic:14.6g} {k.left:14.6g} {k.right:14.6g}")
            if len(self.kinks) > WORST:
                lines.append(f"    ... and {len(self.kinks) - WORST} more")
        if self.sampled:
            lines.append(f"  {self.name}: checked a random sample of {self.checked} of {self.total} "
                         f"elements (seed {self.seed})")
        return lines


@dataclass
class OpReport:
    """The check of one op node of a graph (``gradcheck(..., per_op=True)``):
    its local derivatives (elementwise ops) or its vector-Jacobian product with a
    random upstream vector (structural ops), one :class:`InputReport` per input
    that takes a gradient, named ``x``, ``y``, ... in op order."""

    position: int
    name: str
    where: str
    method: str
    inputs: list[InputReport]

    @property
    def passed(self) -> bool:
        """True when every input's derivative agrees."""
        return all(r.passed for r in self.inputs)

    @property
    def verdict(self) -> str:
        """The worst verdict over the op's inputs."""
        return verdict(max((r.max_rel_error for r in self.inputs), default=0.0))

    def row(self) -> str:
        """One line: position in the graph, op, where it was made, each input's verdict."""
        parts = ", ".join(f"{r.name}: {r.verdict} ({r.max_rel_error:.1e})" for r in self.inputs)
        where = f" [{self.where}]" if self.where else ""
        return f"  #{self.position:<4} {self.name}{where} ({self.method}): {parts}"


@dataclass(repr=False)
class GradcheckReport:
    """The result of a gradient check: ``passed``, one :class:`InputReport` per
    input, ``ops`` (``per_op=True`` only), the tolerances and notes; ``str()`` is
    a small table, never a whole Jacobian.  ``not_checked`` says why no element
    could be compared (f gave two answers at one point; the notes say more): then
    ``inputs`` is empty and the check fails."""

    title: str
    inputs: list[InputReport]
    atol: float
    rtol: float
    ops: list[OpReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    not_checked: str | None = None

    @property
    def passed(self) -> bool:
        """True when the elements could be compared and every input (and, with
        ``per_op``, every op) passes."""
        return (self.not_checked is None and all(r.passed for r in self.inputs)
                and all(o.passed for o in self.ops))

    @property
    def first_bad_op(self) -> OpReport | None:
        """The first op, in the order the graph was computed, whose backward disagrees."""
        return next((o for o in self.ops if not o.passed), None)

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        bad = [r.name for r in self.inputs if not r.passed]
        status = "passed" if self.passed else (
            f"FAILED: {self.not_checked}" if self.not_checked else
            f"FAILED for {', '.join(bad)}" if bad else "FAILED in an op")
        lines = [f"{self.title} {status}"]
        if self.inputs:
            lines += [f"  error = |a - n| / (max(|a|, |n|) + (atol + noise) / rtol); an element passes "
                      f"when error <= rtol = {self.rtol:g} (atol = {self.atol:g})",
                      f"  {'input':<10} {'shape':<12} {'dtype':<8} {'checked':>13}  {'max abs':>9}  "
                      f"{'max error':>9}  {'verdict':<13} status"]
        lines += [r.row() for r in self.inputs]
        for r in self.inputs:
            lines += r.details()
        if self.ops:
            first = self.first_bad_op
            lines.append(f"  per-op checks ({len(self.ops)} op node{'s' * (len(self.ops) != 1)}): " + (
                "all agree" if first is None else f"first op whose backward disagrees: #{first.position} "
                f"{first.name}"))
            for o in self.ops:
                if not o.passed:
                    lines.append(o.row())
                    for r in o.inputs:
                        lines += ["  " + line for line in r.details()]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


# --- finite differences ---------------------------------------------------------------

Shift = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``shift(idx, steps)``: f with element ``idx[j]`` of one input moved by ``steps[j]``, for each j."""


class _Differences(NamedTuple):
    central: np.ndarray
    left: np.ndarray
    right: np.ndarray
    noise: np.ndarray


def _differences(shift: Shift, x: np.ndarray, idx: np.ndarray, f0: Any, rel_step: float,
                 eps_work: float) -> _Differences:
    """Central and one-sided differences at the elements ``idx`` of ``x`` (flat), with
    the step ``rel_step · max(1, |x_i|)`` rounded so that ``x ± h`` is exact."""
    xi = x.reshape(-1)[idx]
    h = (rel_step * np.maximum(1.0, np.abs(xi.astype(np.float64)))).astype(x.dtype)
    up = ((xi + h) - xi).astype(np.float64)
    down = (xi - (xi - h)).astype(np.float64)
    fp = shift(idx, up)
    fm = shift(idx, -down)
    with np.errstate(all="ignore"):
        right = (fp - f0) / up
        left = (f0 - fm) / down
        central = (fp - fm) / (up + down)
        size = np.maximum(np.maximum(np.abs(f0), np.abs(fp)), np.abs(fm))
        noise = 4.0 * eps_work * size / np.minimum(up, down)
    return _Differences(central, left, right, noise)


def _error(a: np.ndarray, n: np.ndarray, floor: np.ndarray, rtol: float) -> np.ndarray:
    """|a - n| / (max(|a|, |n|) + floor / rtol), 0 where a == n, inf where either is not finite."""
    with np.errstate(all="ignore"):
        diff = np.abs(a - n)
        err = diff / (np.maximum(np.abs(a), np.abs(n)) + floor / rtol)
    err = np.where(diff == 0, 0.0, err)
    return np.where(np.isfinite(a) & np.isfinite(n), err, np.inf)


def _unravel(i: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(j) for j in np.unravel_index(i, shape)) if shape else ()


def _judge(name: str, x: np.ndarray, idx: np.ndarray, analytic: np.ndarray, shift: Shift, f0: Any,
           rel_step: float, eps_work: float, atol: float, rtol: float, seed: int | None) -> InputReport:
    """Compare ``analytic`` (at the flat elements ``idx`` of ``x``) with central
    differences, telling kinks apart as the module docstring describes."""
    a = np.asarray(analytic, dtype=np.float64)
    d = _differences(shift, x, idx, f0, rel_step, eps_work)
    n = d.central.copy()
    floor = atol + d.noise
    err = _error(a, n, floor, rtol)
    kink = np.zeros(len(idx), dtype=bool)
    lo = hi = np.zeros(0)
    redo = np.flatnonzero(~(err <= rtol))
    if redo.size:
        f0_redo = f0[redo] if np.ndim(f0) else f0
        d2 = _differences(shift, x, idx[redo], f0_redo, rel_step / 10, eps_work)
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
        err = _error(a, n, floor, rtol)
    smooth = ~kink
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
    return InputReport(name, shape, str(x.dtype), len(idx), x.size, max_abs, max_err, verdict(max_err),
                       failures, worst, kinks, seed)


def _choose(size: int, max_elements: int | None, rng: np.random.Generator) -> np.ndarray:
    """All flat indices, or a sorted random sample of ``max_elements`` of them."""
    if max_elements is None or size <= max_elements:
        return np.arange(size)
    return np.sort(rng.choice(size, max_elements, replace=False))


def default_step(dtype: Any, richardson: bool = False) -> float:
    """The relative step ``ε^(1/3)`` (``ε^(1/5)`` for Richardson) of a float dtype.

    Central differences err by ``h²|f'''|/6`` (truncation) plus ``ε|f|/h``
    (rounding); ``h ~ ε^(1/3)`` balances the two.  Richardson's error is ``O(h⁴)``,
    balanced at ``h ~ ε^(1/5)``.

    >>> round(default_step(np.float64), 8), round(default_step(np.float32), 5)
    (6.06e-06, 0.00492)
    """
    eps = float(np.finfo(dtype).eps)
    return eps ** (1 / 5) if richardson else eps ** (1 / 3)


# --- what f receives --------------------------------------------------------------------


def _kind(x: Any, where: str, i: int) -> str:
    if isinstance(x, Tensor):
        return "tensor"
    if isinstance(x, Value):
        return "value"
    if isinstance(x, (float, int, np.floating, np.integer)) and not isinstance(x, bool):
        return "float"
    if isinstance(x, (np.ndarray, list, tuple)):
        return "array"
    raise TypeError(f"{where}: input {i} is a {type(x).__name__}; expected a numpy array, Tensor, "
                    "Value or number")


def _as_array(x: Any, dtype: Any, where: str, i: int) -> np.ndarray:
    """A writable float copy of an input (``dtype`` None: float32 kept, others float64)."""
    raw = x.data if isinstance(x, (Tensor, Value)) else x
    try:
        a = np.array(raw, dtype=dtype, copy=True, order="C")
    except (TypeError, ValueError) as e:
        raise TypeError(f"{where}: input {i} is not numeric: {e}") from None
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{where}: input {i} has dtype {a.dtype}; expected numbers")
    if a.dtype != np.float32:
        a = a.astype(np.float64)
    return a


def _scalar(out: Any, where: str) -> float:
    """f's result as a float: a Value, a one-element Tensor or array, or a number."""
    data = out.data if isinstance(out, (Tensor, Value)) else out
    a = np.asarray(data)
    if a.size != 1 or a.dtype.kind not in "fiub":
        raise ValueError(f"{where}: f must return a scalar (a number, Value or one-element Tensor/array), "
                         f"got {type(out).__name__} of shape {a.shape}")
    return float(a.reshape(()))


def _out_dtype(out: Any) -> np.dtype[Any]:
    data = out.data if isinstance(out, (Tensor, Value)) else out
    a = np.asarray(data)
    return a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two float arrays of one dtype hold the same bits (NaN and -0.0 included)."""
    unsigned = np.dtype(f"u{a.dtype.itemsize}")
    return bool(np.array_equal(a.view(unsigned), b.view(unsigned)))


class _Probe:
    """Evaluates f at the point ``work`` (arrays f never sees) or with elements of one
    input moved.  f gets each input as the kind it expects, made from private copies
    (``Tensor``\\ s wrap them) that a shift moves in place and restores, so no call
    copies an input.  The copies are compared with ``work`` after each evaluation at
    the point and after each batch of shifts: the inputs an f wrote into go to
    ``changed``, every later call gets fresh copies, and a spoiled batch is redone."""

    def __init__(self, f: Callable[..., Any], kinds: Sequence[str], arrays: Sequence[np.ndarray],
                 where: str, vectorized: bool = False) -> None:
        self.f, self.kinds, self.where, self.vectorized = f, list(kinds), where, vectorized
        self.work = [a if a.flags.c_contiguous else np.ascontiguousarray(a) for a in arrays]
        self.args: list[Any] = []
        self.copies: list[np.ndarray] = []
        for kind, a in zip(kinds, self.work):
            if kind == "tensor":
                t = Tensor(a)
                self.args.append(t)
                self.copies.append(t.data)
            else:
                copy = a.copy()
                self.args.append(copy)
                self.copies.append(copy)
        self.fixed = all(kind in ("array", "tensor") for kind in kinds)
        self.guard = any(kind in ("tensor", "value") for kind in kinds)
        self.fresh = False
        self.changed: list[int] = []

    def call(self, fresh: bool = False) -> Any:
        """f's raw result at the point, on the private copies (on new ones when ``fresh``)."""
        if fresh or self.fresh:
            return self._invoke(self._fresh_args())
        out = self._invoke(self.args)
        self._spoiled()
        return out

    def value(self, fresh: bool = False) -> float:
        """f at the point, as a float."""
        return self._float(self.call(fresh))

    def _float(self, out: Any) -> float:
        return out if type(out) is float else _scalar(out, self.where)

    def _invoke(self, args: list[Any]) -> Any:
        """f on ``args`` (Values and floats made anew; under ``no_grad`` for chainrule inputs)."""
        if not self.fixed:
            args = [Value(float(a)) if kind == "value" else float(a) if kind == "float" else a
                    for kind, a in zip(self.kinds, args)]
        if self.guard:
            with no_grad():
                return self.f(*args)
        return self.f(*args)

    def _fresh_args(self, k: int | None = None, i: int = 0, step: float = 0.0) -> list[Any]:
        """New copies of the point (with element ``i`` of input ``k`` moved by ``step``)."""
        arrays = [a.copy() for a in self.work]
        if k is not None:
            flat = arrays[k].reshape(-1)
            flat[i] = flat[i] + step
        return [Tensor(a) if kind == "tensor" else a for kind, a in zip(self.kinds, arrays)]

    def _spoiled(self) -> bool:
        """Did f change a private copy (or give a Tensor a new array)?  Then note which
        inputs, and give f fresh copies from now on."""
        bad = [k for k, (kind, arg, copy, a) in enumerate(zip(self.kinds, self.args, self.copies, self.work))
               if not _same_bits(copy, a) or (kind == "tensor" and arg.data is not copy)]
        self._changed(bad)
        return bool(bad)

    def _changed(self, inputs: list[int]) -> None:
        if inputs:
            self.changed += [k for k in inputs if k not in self.changed]
            self.fresh = True

    def shifter(self, k: int) -> Shift:
        """``shift`` for input ``k``: one call of f per step, or stacked copies when vectorized."""
        if self.vectorized:
            return self._stacked(k)
        point = self.work[k].reshape(-1)
        flat = self.copies[k].reshape(-1)
        assert np.shares_memory(flat, self.copies[k])
        args, invoke, to_float = self.args, self._invoke, self._float

        def one_by_one(idx: np.ndarray, steps: np.ndarray) -> np.ndarray:
            out = np.empty(len(idx))
            if not self.fresh:
                for j, (i, s) in enumerate(zip(idx.tolist(), steps.tolist())):
                    old = point[i]
                    flat[i] = old + s
                    try:
                        out[j] = to_float(invoke(args))
                    finally:
                        flat[i] = old
                if not self._spoiled():
                    return out
            for j, (i, s) in enumerate(zip(idx.tolist(), steps.tolist())):
                out[j] = to_float(invoke(self._fresh_args(k, i, s)))
            return out

        return one_by_one

    def _stacked(self, k: int) -> Shift:
        """f called on ``m`` stacked copies of input k, element ``idx[j]`` of copy j moved;
        the copies are made once and restored after each call (made anew for each call,
        with every input, once f has changed an input)."""
        x = self.work[k]
        buffers: dict[int, np.ndarray] = {}

        def run(idx: np.ndarray, steps: np.ndarray, fresh: bool) -> np.ndarray:
            out = np.empty(len(idx))
            chunk = max(1, _BATCH_BYTES // max(1, sum(a.nbytes for a in self.work) if fresh else x.nbytes))
            for start in range(0, len(idx), chunk):
                part = idx[start:start + chunk]
                m = len(part)
                if fresh:
                    args = [np.repeat(a[None], m, axis=0) for a in self.work]
                else:
                    if m not in buffers:
                        buffers[m] = np.repeat(x[None], m, axis=0)
                    args = [buffers[m] if j == k else np.broadcast_to(a, (m, *a.shape))
                            for j, a in enumerate(self.work)]
                copies = args[k]
                flat = copies.reshape(m, -1)
                rows = np.arange(m)
                old = x.reshape(-1)[part]
                flat[rows, part] = old + steps[start:start + m].astype(x.dtype)
                try:
                    with no_grad():
                        res = self.f(*[Tensor(a) if kind == "tensor" else a
                                       for kind, a in zip(self.kinds, args)])
                finally:
                    flat[rows, part] = old
                vals = np.asarray(res.data if isinstance(res, Tensor) else res, dtype=np.float64)
                if vals.shape != (m,):
                    raise ValueError(f"{self.where}: vectorized=True: f got {m} stacked copies of input {k} "
                                     f"(shape {copies.shape}) and must return {m} values, got shape "
                                     f"{vals.shape}")
                out[start:start + m] = vals
            return out

        def stacked(idx: np.ndarray, steps: np.ndarray) -> np.ndarray:
            if self.fresh:
                return run(idx, steps, True)
            out = run(idx, steps, False)
            if all(_same_bits(b, np.broadcast_to(x, b.shape)) for b in buffers.values()):
                return out
            self._changed([k])
            return run(idx, steps, True)

        return stacked


def numerical_grad(f: Callable[..., Any], *inputs: Any, eps: float | None = None,
                   richardson: bool = False, vectorized: bool = False) -> Any:
    """∂f/∂x by central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h``, in float64.

    ``f(*inputs)`` must return a scalar (a number, ``Value``, or one-element
    ``Tensor``/array).  f receives each input as the kind it was given: numpy
    arrays (float64 copies), ``Tensor`` (float64, evaluated under ``no_grad``),
    ``Value`` or float.  The step for element i is ``eps · max(1, |x_i|)``; by
    default ``eps = ε^(1/3)`` of the precision f computes in, read from the dtype
    of its result (6e-6 for float64, 5e-3 for float32).  ``richardson=True`` returns
    ``(4 D(h/2) - D(h)) / 3``, whose error is ``O(h⁴)`` instead of ``O(h²)``
    (default ``eps = ε^(1/5)``; twice the evaluations).  ``vectorized=True``: f
    takes every input with an extra leading axis of ``m`` stacked copies and
    returns ``m`` values (many perturbations per call, for numpy-broadcasting f).
    f gets private copies: one that changes its inputs in place is given fresh
    copies on every call, with a :class:`GradcheckWarning`; one that gives two
    answers at the point (noise, hidden state) raises ``ValueError``.

    Returns one float64 array per input (a float for a ``Value`` or float input),
    or the bare gradient when there is one input.

    >>> numerical_grad(lambda x: np.sum(x ** 2), np.array([1.0, -3.0])).round(6)
    array([ 2., -6.])
    >>> g = numerical_grad(lambda x, y: x * y.exp(), Value(2.0), Value(0.0))
    >>> [round(v, 6) for v in g]
    [1.0, 2.0]
    """
    where = "numerical_grad"
    if not inputs:
        raise ValueError(f"{where}: needs at least one input")
    kinds = [_kind(x, where, i) for i, x in enumerate(inputs)]
    arrays = [_as_array(x, np.float64, where, i) for i, x in enumerate(inputs)]
    probe = _Probe(f, kinds, arrays, where, vectorized)
    out = probe.call()
    f0 = _scalar(out, where)
    dtype = _out_dtype(out)
    rel = default_step(dtype, richardson) if eps is None else float(eps)
    if not rel > 0:
        raise ValueError(f"{where}: eps must be positive, got {eps!r}")
    eps_work = float(np.finfo(dtype).eps)
    two = _two_answers(f0, probe.value(fresh=True), eps_work)
    if two:
        raise ValueError(f"{where}: {two}; finite differences of such an f are meaningless (seed its "
                         "random numbers inside f, or reset its state)")
    grads: list[Any] = []
    for k, x in enumerate(probe.work):
        idx = np.arange(x.size)
        shift = probe.shifter(k)
        g = _differences(shift, x, idx, f0, rel, eps_work).central
        if richardson:
            g = (4 * _differences(shift, x, idx, f0, rel / 2, eps_work).central - g) / 3
        grads.append(float(g[0]) if kinds[k] in ("value", "float") else g.reshape(x.shape))
    if probe.changed:
        warnings.warn(f"{where}: {_changed_note(probe, _names(inputs, None, where))}", GradcheckWarning,
                      stacklevel=2)
    return grads[0] if len(grads) == 1 else tuple(grads)


# --- the checks --------------------------------------------------------------------------


def _check_tolerances(where: str, atol: float, rtol: float, max_elements: int | None) -> None:
    if not (atol >= 0 and math.isfinite(atol)):
        raise ValueError(f"{where}: atol must be a finite number >= 0, got {atol!r}")
    if not (rtol > 0 and math.isfinite(rtol)):
        raise ValueError(f"{where}: rtol must be a finite number > 0, got {rtol!r}")
    if max_elements is not None and max_elements < 1:
        raise ValueError(f"{where}: max_elements must be at least 1 (or None for all), got {max_elements!r}")


def _names(inputs: Sequence[Any], names: Sequence[str] | None, where: str) -> list[str]:
    if names is not None:
        if len(names) != len(inputs):
            raise ValueError(f"{where}: {len(names)} names for {len(inputs)} inputs")
        return [str(n) for n in names]
    out = []
    for i, x in enumerate(inputs):
        label = getattr(x, "label", None) if isinstance(x, (Tensor, Value)) else None
        out.append(label if label else f"input {i}")
    return out


_FLOAT32_WHY = ("float32 keeps about 7 significant digits and a central difference loses about half of "
                "them, so numerical gradients in float32 are good to ~1e-3 relative: a check at "
                "rtol=1e-4 would false-alarm")


def _float32_inputs(where: str, names: Sequence[str], arrays: Sequence[np.ndarray]) -> list[str]:
    low = [n for n, a in zip(names, arrays) if a.dtype == np.float32]
    if low:
        warnings.warn(f"{where}: input(s) {', '.join(low)} are float32; {_FLOAT32_WHY}. "
                      "Re-checking on float64 copies.", GradcheckWarning, stacklevel=3)
    return low


def _float32_work_note(where: str, arrays: Sequence[np.ndarray], stacklevel: int) -> str:
    how = "even on float64 inputs" if all(a.dtype == np.float64 for a in arrays) else "(float64 rejected)"
    note = (f"f computes in float32 {how}: checked with a float32 step; {_FLOAT32_WHY} "
            "(pass rtol=1e-2, or make f keep float64)")
    warnings.warn(f"{where}: {note}", GradcheckWarning, stacklevel=stacklevel)
    return note


class _Setup(NamedTuple):
    kinds: list[str]
    names: list[str]
    arrays: list[np.ndarray]
    low: list[str]


def _setup(where: str, inputs: Sequence[Any], names: Sequence[str] | None) -> _Setup:
    if not inputs:
        raise ValueError(f"{where}: needs at least one input")
    kinds = [_kind(x, where, i) for i, x in enumerate(inputs)]
    labels = _names(inputs, names, where)
    arrays = [_as_array(x, None, where, i) for i, x in enumerate(inputs)]
    return _Setup(kinds, labels, arrays, _float32_inputs(where, labels, arrays))


class _Numeric(NamedTuple):
    reports: list[InputReport]
    not_checked: str | None


def _numeric_part(probe: _Probe, names: Sequence[str], analytic: Sequence[np.ndarray], eps: float | None,
                  work_dtype: np.dtype[Any], atol: float, rtol: float, max_elements: int | None,
                  seed: int, notes: list[str]) -> _Numeric:
    """Each input's report; none, and why, when f gave two answers at the point.  Adds
    to ``notes`` what f did to its inputs and the two answers."""
    rng = np.random.default_rng(seed)
    rel = default_step(work_dtype) if eps is None else eps
    eps_work = float(np.finfo(work_dtype).eps)
    f0 = probe.value()
    two = _two_answers(f0, probe.value(fresh=True), eps_work)
    reports = []
    if two is None:
        for k, (name, x, a) in enumerate(zip(names, probe.work, analytic)):
            idx = _choose(x.size, max_elements, rng)
            sampled_seed = seed if len(idx) < x.size else None
            reports.append(_judge(name, x, idx, a.reshape(-1)[idx], probe.shifter(k), f0, rel, eps_work,
                                  atol, rtol, sampled_seed))
    if probe.changed:
        notes.append(_changed_note(probe, names))
    if two:
        notes.append(f"{two}: finite differences of such an f are meaningless, so no element was "
                     "compared and the check fails; make f depend on its inputs alone (seed its random "
                     "numbers inside f, reset its state) and check again")
    return _Numeric(reports, "f gave two answers at the same point" if two else None)


def _two_answers(f0: float, f1: float, eps_work: float) -> str | None:
    """What is wrong when two evaluations of f at the point differ by more than rounding
    (``4 ε max|f|``, the error the noise term allows one evaluation); None when they agree."""
    rounding = 4.0 * eps_work * max(abs(f0), abs(f1))
    if f0 == f1 or (math.isnan(f0) and math.isnan(f1)) or abs(f1 - f0) <= rounding:
        return None
    return (f"f gave two answers at the same point, {f0!r} and then {f1!r}, further apart than rounding "
            f"({rounding:.1e}) explains (random noise? state that changes between calls?)")


def _changed_note(probe: _Probe, names: Sequence[str]) -> str:
    changed = ", ".join(names[k] for k in probe.changed)
    return (f"f changed {changed} in place (such as `x -= 1` inside f): from then on every "
            "call got fresh copies of the inputs, so the differences are still taken at the inputs given")


R = TypeVar("R")


def _float64_first(setup: _Setup, run: Callable[[list[np.ndarray]], R], who: str,
                   notes: list[str]) -> tuple[list[np.ndarray], R]:
    """``run`` on float64 copies of the inputs; if it rejects them and some input was
    float32, on the inputs as given.  Says which in ``notes``."""
    arrays = [a.astype(np.float64) for a in setup.arrays]
    try:
        result = run(arrays)
    except (TypeError, ValueError, AssertionError) as e:
        if not setup.low:
            raise
        notes.append(f"{who} rejected float64 copies ({type(e).__name__}: {e}); checked in float32 as given")
        arrays = list(setup.arrays)
        return arrays, run(arrays)
    if setup.low:
        notes.append(f"{', '.join(setup.low)} given in float32; checked on float64 copies")
    return arrays, result


def gradcheck(f: Callable[..., Any], *inputs: Any, eps: float | None = None, atol: float = ATOL,
              rtol: float = RTOL, raise_exception: bool = True, per_op: bool = False,
              max_elements: int | None = None, seed: int = 0,
              names: Sequence[str] | None = None) -> GradcheckReport:
    """chainrule's gradients of ``f`` against central differences, element by element.

    ``f(*nodes)`` returns a ``Value`` or a ``Tensor``.  Each input becomes a fresh
    leaf: numpy arrays, lists and ``Tensor``\\ s become ``Tensor(requires_grad=True)``
    (float64), ``Value``\\ s and numbers become ``Value``.  The analytic gradient is
    one ``backward()``; the numerical one evaluates ``f`` under ``no_grad()`` on
    perturbed float64 copies (two calls per element; an f that changes them, as
    ``x.data -= 1`` does, is noted and still checked at the inputs given; one that
    gives two answers at the same point fails unchecked).  A non-scalar ``Tensor``
    output is checked through ``Σ r ⊙ f`` with a seeded random ``r`` (one
    vector-Jacobian product; the report says so).

    Every element is checked unless ``max_elements`` is given and an input is
    bigger: then a random sample (``seed``) is, and the report says which share.
    ``per_op=True`` also checks every op of the graph on its own (see
    :func:`check_ops`).  ``names`` label the inputs (default: their labels, or
    ``input 0``, ...).  Returns a :class:`GradcheckReport`; a failing one is raised
    inside :class:`GradcheckError` unless ``raise_exception=False``.

    >>> from autograd import Tensor
    >>> W = np.array([[1.0, -2.0], [0.5, 3.0]])
    >>> gradcheck(lambda W: (W @ Tensor([1.0, 2.0])).tanh().sum(), W).passed
    True
    """
    where = "gradcheck"
    _check_tolerances(where, atol, rtol, max_elements)
    setup = _setup(where, inputs, names)
    kinds = ["value" if k in ("value", "float") else "tensor" for k in setup.kinds]
    notes: list[str] = []
    arrays, (leaves, root, out_shape, out_dtype) = _float64_first(
        setup, lambda xs: _analytic_pass(f, kinds, setup.names, xs, seed), "f", notes)
    if out_dtype == np.float32:
        notes.append(_float32_work_note(where, arrays, 3))
    projected = out_shape is not None
    if projected:
        notes.append(f"f returned shape {out_shape}: checked Σ r ⊙ f for a random r (seed {seed})")
    analytic = [_grad_of(leaf, a) for leaf, a in zip(leaves, arrays)]
    checked_f = _projected(f, seed) if projected else f
    probe = _Probe(checked_f, kinds, arrays, where)
    numeric = _numeric_part(probe, setup.names, analytic, eps, out_dtype, atol, rtol, max_elements, seed,
                            notes)
    report = GradcheckReport("gradcheck", numeric.reports, atol, rtol, notes=notes,
                             not_checked=numeric.not_checked)
    if per_op and root is not None:
        report.ops = check_ops(root, atol=atol, rtol=rtol, max_elements=max_elements, seed=seed)
    if raise_exception and not report.passed:
        raise GradcheckError(report)
    return report


def _projection(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def _projected(f: Callable[..., Any], seed: int) -> Callable[..., Any]:
    def g(*args: Any) -> Any:
        out = f(*args)
        return (out * _projection(out.shape, seed)).sum()
    return g


def _analytic_pass(f: Callable[..., Any], kinds: Sequence[str], names: Sequence[str],
                   arrays: Sequence[np.ndarray], seed: int
                   ) -> tuple[list[Any], Any, tuple[int, ...] | None, np.dtype[Any]]:
    """Fresh leaves, f, backward: (leaves, f's output node or None when it is no graph,
    its shape when it was projected on a random vector, the dtype f computes in)."""
    leaves: list[Any] = []
    for kind, name, a in zip(kinds, names, arrays):
        if kind in ("value", "float"):
            leaves.append(Value(float(a), label=name))
        else:
            leaves.append(Tensor(a, requires_grad=True, label=name))
    out = f(*leaves)
    if isinstance(out, Value):
        out.backward()
        return leaves, out, None, np.dtype(np.float64)
    if isinstance(out, Tensor):
        dtype = _out_dtype(out)
        if out.op is None:
            return leaves, None, (out.shape if out.size > 1 else None), dtype
        if out.size == 1:
            out.backward(np.ones(out.shape))
            return leaves, out, None, dtype
        out.backward(_projection(out.shape, seed))
        return leaves, out, out.shape, dtype
    raise TypeError(f"gradcheck: f must return a Value or Tensor, got {type(out).__name__} "
                    "(for plain numpy code use check_gradient(f, grad_f, *inputs))")


def _grad_of(leaf: Any, a: np.ndarray) -> np.ndarray:
    """A leaf's gradient as a float64 array (zeros when f does not depend on it)."""
    g = leaf.grad
    if g is None:
        return np.zeros(a.shape)
    return np.asarray(g, dtype=np.float64).reshape(a.shape)


def check_gradient(f: Callable[..., Any], grad_f: Callable[..., Any], *inputs: Any, eps: float | None = None,
                   atol: float = ATOL, rtol: float = RTOL, raise_exception: bool = True,
                   max_elements: int | None = None, seed: int = 0, names: Sequence[str] | None = None,
                   vectorized: bool = False) -> GradcheckReport:
    """A hand-written gradient ``grad_f`` of plain numpy code ``f`` against central differences.

    ``f(*inputs)`` returns a scalar; ``grad_f(*inputs)`` returns one gradient per
    input, each of its input's shape (a tuple, or a bare array when there is one
    input).  Inputs are numpy arrays or numbers, passed to both as float64 copies.
    ``vectorized=True``: f takes every input with an extra leading axis of ``m``
    stacked copies and returns ``m`` values (many perturbations per call).  The
    other arguments and the report are those of :func:`gradcheck`.  An f that changes
    its inputs in place is still checked at the inputs given (the report notes which
    it changed); one that gives two answers at the same point fails unchecked
    (``report.not_checked``).

    >>> def f(W, x):
    ...     return np.sum(np.tanh(W @ x))
    >>> def grad_f(W, x):          # a transposed matrix: the classic mistake
    ...     d = 1 - np.tanh(W @ x) ** 2
    ...     return np.outer(x, d), W.T @ d
    >>> W, x = np.array([[1.0, 2.0], [0.0, -1.0]]), np.array([0.3, -0.2])
    >>> report = check_gradient(f, grad_f, W, x, names=["W", "x"], raise_exception=False)
    >>> report.passed, report.inputs[0].verdict, report.inputs[0].worst[0].index
    (False, 'wrong', (0, 1))
    """
    where = "check_gradient"
    _check_tolerances(where, atol, rtol, max_elements)
    setup = _setup(where, inputs, names)
    kinds = ["array" if k == "tensor" else k for k in setup.kinds]
    notes: list[str] = []
    arrays, (analytic, out_dtype) = _float64_first(
        setup, lambda xs: _hand_written(f, grad_f, kinds, xs), "f or grad_f", notes)
    if out_dtype == np.float32:
        notes.append(_float32_work_note(where, arrays, 3))
    probe = _Probe(f, kinds, arrays, where, vectorized)
    numeric = _numeric_part(probe, setup.names, analytic, eps, out_dtype, atol, rtol, max_elements, seed,
                            notes)
    report = GradcheckReport("check_gradient", numeric.reports, atol, rtol, notes=notes,
                             not_checked=numeric.not_checked)
    if raise_exception and not report.passed:
        raise GradcheckError(report)
    return report


def _hand_written(f: Callable[..., Any], grad_f: Callable[..., Any], kinds: Sequence[str],
                  arrays: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.dtype[Any]]:
    """grad_f's gradients (validated) and the dtype f computes in."""
    args = [float(a) if k in ("value", "float") else a.copy() for k, a in zip(kinds, arrays)]
    out = f(*args)
    _scalar(out, "check_gradient")
    grads = grad_f(*[float(a) if k in ("value", "float") else a.copy() for k, a in zip(kinds, arrays)])
    if len(arrays) == 1 and not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if not isinstance(grads, (tuple, list)) or len(grads) != len(arrays):
        got = f"{len(grads)} values" if isinstance(grads, (tuple, list)) else type(grads).__name__
        raise ValueError(f"check_gradient: grad_f must return one gradient per input "
                         f"({len(arrays)}), got {got}")
    out_grads = []
    for i, (g, a) in enumerate(zip(grads, arrays)):
        g = np.asarray(g, dtype=np.float64)
        if g.shape != a.shape and g.size == a.size == 1:
            g = g.reshape(a.shape)
        if g.shape != a.shape:
            raise ValueError(f"check_gradient: grad_f's gradient {i} has shape {g.shape}, "
                             f"but input {i} has shape {a.shape}")
        out_grads.append(g)
    dtype = _out_dtype(out)
    return out_grads, (np.dtype(np.float32) if dtype == np.float32 else np.dtype(np.float64))


# --- per-op checks --------------------------------------------------------------------

_ARG_NAMES = "xyzuvw"


def _arg_name(k: int) -> str:
    return _ARG_NAMES[k] if k < len(_ARG_NAMES) else f"x{k}"


def check_ops(root: Any, atol: float = ATOL, rtol: float = RTOL, max_elements: int | None = None,
              seed: int = 0) -> list[OpReport]:
    """Check every op node below ``root`` on its own, at the inputs it saved.

    An elementwise op's local derivatives ``op.derivative`` are compared with
    central differences of ``op.forward`` (all elements at once: each output
    element depends only on its own inputs).  A structural op's ``op.vjp`` with a
    random upstream vector ``r`` is compared with the numerical gradient of
    ``Σ r ⊙ op.forward``.  Both in float64; kinks are told apart as for whole
    functions.  Returns one :class:`OpReport` per op node, in the order the graph
    was computed.

    >>> from autograd import Value
    >>> [o.name for o in check_ops(Value(0.5).tanh() * 2)]
    ['tanh', 'mul']
    """
    rng = np.random.default_rng(seed)
    reports = []
    for position, node in enumerate(topological_order(root)):
        op = node.op
        if op is None:
            continue
        where = ".".join(p for p in (node.scope, node.label) if p)
        if isinstance(node, Value):
            inputs = _check_scalar_op(op, tuple(node.inputs), atol, rtol)
            method = "local derivative"
        elif op.elementwise:
            inputs = _check_array_op(op, node.inputs, node.needs_grad, atol, rtol, max_elements, rng)
            method = "local derivative"
        else:
            inputs = _check_vjp(op, node.inputs, node.needs_grad, atol, rtol, max_elements, rng, seed)
            method = "vjp with a random upstream"
        reports.append(OpReport(position, op.name, where, method, inputs))
    return reports


_EPS64 = float(np.finfo(np.float64).eps)


def _check_scalar_op(op: Op, xs: tuple[float, ...], atol: float, rtol: float) -> list[InputReport]:
    """A Value node's op: its local derivatives against central differences of forward, on floats."""
    m = ops.SCALAR
    out = op.forward(m, *xs)
    derivs = op.derivative(m, out, *xs)
    reports = []
    for k in range(len(xs)):
        def shift(idx: np.ndarray, steps: np.ndarray, k: int = k) -> np.ndarray:
            vals = []
            for s in steps.tolist():
                moved = list(xs)
                moved[k] = xs[k] + s
                try:
                    vals.append(float(op.forward(m, *moved)))
                except (ValueError, OverflowError, ZeroDivisionError):
                    vals.append(math.nan)
            return np.array(vals)
        x = np.array(xs[k], dtype=np.float64)
        reports.append(_judge(_arg_name(k), x, np.arange(1), np.array([float(derivs[k])]), shift,
                              float(out), default_step(np.float64), _EPS64, atol, rtol, None))
    return reports


def _check_array_op(op: Op, saved: tuple[np.ndarray, ...], needs: tuple[bool, ...], atol: float,
                    rtol: float, max_elements: int | None, rng: np.random.Generator) -> list[InputReport]:
    """An elementwise Tensor op: local derivatives against central differences, in the broadcast shape."""
    m = ops.ARRAY
    xs = [np.asarray(x, dtype=np.float64) for x in saved]
    shape = np.broadcast_shapes(*[x.shape for x in xs])
    xs = [np.array(np.broadcast_to(x, shape)) for x in xs]
    with np.errstate(all="ignore"):
        out = np.asarray(op.forward(m, *xs), dtype=np.float64)
        derivs = op.derivative(m, out, *xs)
    reports = []
    for k, need in enumerate(needs):
        if not need:
            continue
        d = np.broadcast_to(np.asarray(derivs[k], dtype=np.float64), shape).reshape(-1)
        idx = _choose(out.size, max_elements, rng)

        def shift(sub: np.ndarray, steps: np.ndarray, k: int = k) -> np.ndarray:
            moved = list(xs)
            moved[k] = xs[k].copy()
            moved[k].reshape(-1)[sub] += steps
            with np.errstate(all="ignore"):
                return np.asarray(op.forward(m, *moved), dtype=np.float64).reshape(-1)[sub]

        reports.append(_judge(_arg_name(k), xs[k], idx, d[idx], shift, out.reshape(-1)[idx],
                              default_step(np.float64), _EPS64, atol, rtol, None))
    return reports


def _check_vjp(op: Op, saved: tuple[np.ndarray, ...], needs: tuple[bool, ...], atol: float, rtol: float,
               max_elements: int | None, rng: np.random.Generator, seed: int) -> list[InputReport]:
    """A structural op: its vjp with a random upstream r against the gradient of Σ r ⊙ forward."""
    m = ops.ARRAY
    xs = [np.array(x, dtype=np.float64, order="C") for x in saved]
    out = np.asarray(op.forward(m, *xs), dtype=np.float64)
    r = rng.standard_normal(out.shape)
    grads = op.vjp(r, out, tuple(xs), needs)
    reports = []
    for k, need in enumerate(needs):
        if not need:
            continue
        g = grads[k]
        if g is None:
            raise ValueError(f"check_ops: {op.name}.vjp returned None for input {k}, which needs a gradient")
        g = unbroadcast(np.asarray(g, dtype=np.float64), xs[k].shape)

        def value(*args: np.ndarray) -> float:
            return float(np.sum(r * op.forward(m, *args)))

        probe = _Probe(value, ["array"] * len(xs), xs, f"check_ops: {op.name}")
        idx = _choose(xs[k].size, max_elements, rng)
        sampled_seed = seed if len(idx) < xs[k].size else None
        reports.append(_judge(_arg_name(k), probe.work[k], idx, g.reshape(-1)[idx], probe.shifter(k),
                              probe.value(), default_step(np.float64), _EPS64, atol, rtol, sampled_seed))
    return reports
