"""What a gradient check reports, and how an error is named.

* :data:`ATOL`, :data:`RTOL` -- the default tolerances; :data:`BANDS` and
  :func:`verdict` -- the band an error falls in; :data:`WORST` -- how many of the
  worst elements a report keeps.
* :class:`Worst`, :class:`Kink`, :class:`Jump` -- one element: a compared one, one at
  a kink, one where the function checked jumps (a kink of f, at order 2).
* :class:`InputReport` (one input, one mode, one order), :class:`OpReport` (one op node
  of a graph), :class:`GradcheckReport` (a whole check; ``str()`` is a small table).
* :class:`GradcheckError` (raised with the report), :class:`GradcheckWarning`.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field

ATOL = 1e-7
"""Default absolute tolerance: differences below it count as agreement."""
RTOL = 1e-4
"""Default relative tolerance: an element passes when its error is at most this."""
BANDS: tuple[tuple[float, str], ...] = ((1e-2, "wrong"), (1e-4, "doubtful"), (1e-7, "acceptable"))
"""Verdict bands: the first whose bound the error exceeds, else ``good``."""
WORST = 5
"""How many of the worst elements a report keeps per input."""


class GradcheckWarning(UserWarning):
    """A gradient check ran with less precision than asked for (float32), or
    ``numerical_grad``'s f changed its inputs in place."""


class GradcheckError(AssertionError):
    """A gradient check failed; ``report`` holds the :class:`GradcheckReport`."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


# collections.namedtuple with typed fields declared below: typing.NamedTuple's class form
# makes mypy refuse a field named ``index`` (it hides ``tuple.index``), and ruff (UP014)
# refuses its call form.


class Worst(namedtuple("Worst", ["index", "analytic", "numerical", "error"])):
    """One element of an input: where it is, both derivatives and the error.

    >>> index, analytic, numerical, error = Worst((0, 1), 2.0, 1.0, 0.5)
    >>> index, error
    ((0, 1), 0.5)
    """

    __slots__ = ()
    index: tuple[int, ...]
    analytic: float
    numerical: float
    error: float


class Kink(namedtuple("Kink", ["index", "analytic", "left", "right"])):
    """An element at a kink whose analytic value lies between the one-sided slopes
    ``left`` and ``right``.

    >>> index, analytic, left, right = Kink((2,), 0.5, 0.0, 1.0)
    >>> left <= analytic <= right
    True
    """

    __slots__ = ()
    index: tuple[int, ...]
    analytic: float
    left: float
    right: float


class Jump(namedtuple("Jump", ["index", "analytic", "jump"])):
    """An element where the function checked jumps by ``jump`` (``g(x+) - g(x-)``): at
    order 2, the gradient of f jumps where f has a kink (relu at 0), so f has no second
    derivative there and ``analytic`` (the engine's convention: 0 through relu's step, as
    in PyTorch and JAX) is listed, not judged.

    >>> index, analytic, jump = Jump((0,), 0.0, 1.5)
    >>> jump
    1.5
    """

    __slots__ = ()
    index: tuple[int, ...]
    analytic: float
    jump: float


def verdict(error: float) -> str:
    """The band of an error: ``wrong`` > 1e-2 > ``doubtful`` > 1e-4 > ``acceptable`` > 1e-7 > ``good``.

    The bands are CS231n's; ``acceptable`` is the band it calls "usually okay for
    objectives with kinks", named here for what it measures: kinks are found by
    their slopes, never guessed from the size of an error (see
    :mod:`autograd.checking.differences`).

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
    error (the floored relative error of :mod:`autograd.checking.differences`, which
    decides ``verdict`` and ``passed``), both over the checked elements that are not kinks
    (nor jumps).  ``mode`` says how the analytic derivative was taken (``"rev"``: reverse
    mode, ``"fwd"``: forward mode) and ``order`` which derivative was checked (1: f's
    gradient; 2: the gradient of ``⟨w, ∇f⟩``, see :func:`~autograd.checking.gradcheck`).
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
    mode: str = "rev"
    order: int = 1
    jumps: list[Jump] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no checked element fails (kinks with a valid subgradient pass)."""
        return self.failures == 0

    @property
    def sampled(self) -> bool:
        """True when only a random sample of the elements was checked."""
        return self.checked < self.total

    @property
    def label(self) -> str:
        """The input's name with the derivative checked: ``x``, ``x (fwd)``, ``x (rev, order 2)``.

        >>> def label(mode: str, order: int) -> str:
        ...     report = InputReport("W", (2,), "float64", 2, 2, 0.0, 0.0, "good", 0, [], [])
        ...     report.mode, report.order = mode, order
        ...     return report.label
        >>> [label("rev", 1), label("fwd", 1), label("rev", 2)]
        ['W', 'W (fwd)', 'W (rev, order 2)']
        """
        if (self.mode, self.order) == ("rev", 1):
            return self.name
        return f"{self.name} ({self.mode}{f', order {self.order}' if self.order > 1 else ''})"

    def row(self, width: int = 10) -> str:
        """One line of the report's table (the label ``width`` characters wide)."""
        status = "ok" if self.passed else f"FAIL ({self.failures} element{'s' * (self.failures != 1)})"
        kinks = f", {len(self.kinks)} kink{'s' * (len(self.kinks) != 1)}" if self.kinks else ""
        jumps = f", {len(self.jumps)} jump{'s' * (len(self.jumps) != 1)}" if self.jumps else ""
        checked = f"{self.checked}/{self.total}"
        return (f"  {self.label:<{width}} {str(self.shape):<12} {self.dtype:<8} {checked:>13}  "
                f"{self.max_abs_error:9.1e}  {self.max_rel_error:9.1e}  {self.verdict:<13} "
                f"{status}{kinks}{jumps}")

    def details(self) -> list[str]:
        """The worst elements (when the input is not all good), the kinks and jumps, as lines."""
        lines = []
        name = self.label
        if self.worst and (self.verdict != "good" or not self.passed):
            lines.append(f"  worst elements of {name}:")
            lines.append(f"    {'index':<14} {'analytic':>14} {'numerical':>14} {'error':>9}")
            for w in self.worst:
                lines.append(f"    {str(w.index):<14} {w.analytic:14.6g} {w.numerical:14.6g} {w.error:9.1e}")
        if self.kinks:
            lines.append(f"  kinks in {name} (not failures: analytic between the one-sided slopes):")
            lines.append(f"    {'index':<14} {'analytic':>14} {'left slope':>14} {'right slope':>14}")
            for k in self.kinks[:WORST]:
                lines.append(f"    {str(k.index):<14} {k.analytic:14.6g} {k.left:14.6g} {k.right:14.6g}")
            if len(self.kinks) > WORST:
                lines.append(f"    ... and {len(self.kinks) - WORST} more")
        if self.jumps:
            lines.append(f"  jumps in {name} (not failures: f has a kink there, so no derivative of "
                         f"order {self.order} exists):")
            lines.append(f"    {'index':<14} {'analytic':>14} {'jump':>14}")
            for j in self.jumps[:WORST]:
                lines.append(f"    {str(j.index):<14} {j.analytic:14.6g} {j.jump:14.6g}")
            if len(self.jumps) > WORST:
                lines.append(f"    ... and {len(self.jumps) - WORST} more")
        if self.sampled:
            lines.append(f"  {name}: checked a random sample of {self.checked} of {self.total} "
                         f"elements (seed {self.seed})")
        return lines


@dataclass
class OpReport:
    """The check of one op node of a graph (``gradcheck(..., per_op=True)``):
    its local derivatives (elementwise ops) or its vector-Jacobian product with a
    random ``grad_out`` (structural ops), or with ``mode="fwd"`` the tangents forward
    mode pushes through it, one :class:`InputReport` per input that takes a gradient,
    named by the op (``op.input_name``: ``linear``'s x, W, b).  ``where`` is the node's
    scope and label; ``order`` 2 marks a node of the graph of the recorded derivative
    ``⟨w, ∇f⟩`` (``gradcheck(..., order=2)``)."""

    position: int
    name: str
    where: str
    method: str
    inputs: list[InputReport]
    mode: str = "rev"
    order: int = 1

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
    could be compared (f gave two answers at one point; at order 2, the engine computed
    no second derivative there; the notes say more): then ``inputs`` holds no report of
    that order and the check fails."""

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
        """The first op, in the graph's topological order (each op after its inputs,
        numbered as pictures and traces number it), whose backward (or, checked in
        forward mode, whose tangent) disagrees: f's graph first, then that of ``⟨w, ∇f⟩``."""
        return next((o for o in self.ops if not o.passed), None)

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        bad = [r.label for r in self.inputs if not r.passed]
        status = "passed" if self.passed else (
            f"FAILED: {self.not_checked}" if self.not_checked else
            f"FAILED for {', '.join(bad)}" if bad else "FAILED in an op")
        lines = [f"{self.title} {status}"]
        width = max([10] + [len(r.label) for r in self.inputs])
        if self.inputs:
            lines += ["  error = |analytic - numeric| / (max(|analytic|, |numeric|) + (atol + noise) / rtol)",
                      "  noise = the central difference's rounding error;",
                      f"  an element passes when error <= rtol = {self.rtol:g} (atol = {self.atol:g})",
                      f"  {'input':<{width}} {'shape':<12} {'dtype':<8} {'checked':>13}  {'max abs':>9}  "
                      f"{'max error':>9}  {'verdict':<13} status"]
        lines += [r.row(width) for r in self.inputs]
        for r in self.inputs:
            lines += r.details()
        groups = dict.fromkeys((o.order, o.mode) for o in self.ops)
        for order, mode in groups:
            ops = [o for o in self.ops if (o.order, o.mode) == (order, mode)]
            first = next((o for o in ops if not o.passed), None)
            graph = "" if order == 1 else " of the recorded derivative ⟨w, ∇f⟩"
            how = "backward" if mode == "rev" else "forward-mode tangent"
            lines.append(f"  per-op checks{graph}{' in forward mode' * (mode == 'fwd')} ({len(ops)} op "
                         f"node{'s' * (len(ops) != 1)}): " + (
                             "all agree" if first is None else
                             f"first op whose {how} disagrees: #{first.position} {first.name}"))
            for o in ops:
                if not o.passed:
                    lines.append(o.row())
                    for r in o.inputs:
                        lines += ["  " + line for line in r.details()]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)
