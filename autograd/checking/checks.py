"""The checks: chainrule's backward, or a hand-written gradient, against central differences.

* :func:`gradcheck` -- f of ``Tensor``\\ s and ``Value``\\ s, its ``backward()`` checked
  element by element (``per_op=True`` adds :func:`~autograd.checking.opchecks.check_ops`).
* :func:`check_gradient` -- plain numpy code and its hand-written gradient.

Both read the inputs alike, evaluate f through a
:class:`~autograd.checking.probe.Probe`, judge each input with
:func:`~autograd.checking.differences.judge`, and return a
:class:`~autograd.checking.reports.GradcheckReport`.

float32.  Finite differences in float32 are only good to about 1e-3 relative, so
float32 inputs raise a :class:`GradcheckWarning` and are checked on float64
copies; when ``f`` rejects float64 (raises) or computes in float32 anyway, the
check runs in float32 with a float32 step and says so in the report.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

import numpy as np

from autograd.checking.differences import choose, default_step, judge
from autograd.checking.opchecks import check_ops
from autograd.checking.probe import (
    Kind,
    Probe,
    as_array,
    changed_note,
    input_names,
    kind_of,
    out_dtype,
    scalar,
    two_answers,
)
from autograd.checking.reports import (
    ATOL,
    RTOL,
    GradcheckError,
    GradcheckReport,
    GradcheckWarning,
    InputReport,
)
from autograd.tensor import Tensor
from autograd.value import Value


def _check_tolerances(what: str, atol: float, rtol: float, max_elements: int | None) -> None:
    if not (atol >= 0 and math.isfinite(atol)):
        raise ValueError(f"{what}: atol must be a finite number >= 0, got {atol!r}")
    if not (rtol > 0 and math.isfinite(rtol)):
        raise ValueError(f"{what}: rtol must be a finite number > 0, got {rtol!r}")
    if max_elements is not None and max_elements < 1:
        raise ValueError(f"{what}: max_elements must be at least 1 (or None for all), got {max_elements!r}")


_FLOAT32_WHY = ("float32 keeps about 7 significant digits and a central difference loses about half of "
                "them, so numerical gradients in float32 are good to ~1e-3 relative: a check at "
                "rtol=1e-4 would false-alarm")


def _float32_inputs(what: str, names: Sequence[str], arrays: Sequence[np.ndarray]) -> list[str]:
    low = [n for n, a in zip(names, arrays) if a.dtype == np.float32]
    if low:
        warnings.warn(f"{what}: input(s) {', '.join(low)} are float32; {_FLOAT32_WHY}. "
                      "Re-checking on float64 copies.", GradcheckWarning, stacklevel=3)
    return low


def _float32_work_note(what: str, arrays: Sequence[np.ndarray], stacklevel: int) -> str:
    how = "even on float64 inputs" if all(a.dtype == np.float64 for a in arrays) else "(float64 rejected)"
    note = (f"f computes in float32 {how}: checked with a float32 step; {_FLOAT32_WHY} "
            "(pass rtol=1e-2, or make f keep float64)")
    warnings.warn(f"{what}: {note}", GradcheckWarning, stacklevel=stacklevel)
    return note


class _Setup(NamedTuple):
    kinds: list[Kind]
    names: list[str]
    arrays: list[np.ndarray]
    low: list[str]


def _setup(what: str, inputs: Sequence[Any], names: Sequence[str] | None) -> _Setup:
    if not inputs:
        raise ValueError(f"{what}: needs at least one input")
    kinds = [kind_of(x, what, i) for i, x in enumerate(inputs)]
    labels = input_names(inputs, names, what)
    arrays = [as_array(x, None, what, i) for i, x in enumerate(inputs)]
    return _Setup(kinds, labels, arrays, _float32_inputs(what, labels, arrays))


class _Numeric(NamedTuple):
    reports: list[InputReport]
    not_checked: str | None


def _numeric_part(probe: Probe, names: Sequence[str], analytic: Sequence[np.ndarray], eps: float | None,
                  work_dtype: np.dtype[Any], atol: float, rtol: float, max_elements: int | None,
                  seed: int, notes: list[str]) -> _Numeric:
    """Each input's report; none, and why, when f gave two answers at the point.  Adds
    to ``notes`` what f did to its inputs and the two answers."""
    rng = np.random.default_rng(seed)
    eps = default_step(work_dtype) if eps is None else eps
    machine_epsilon = float(np.finfo(work_dtype).eps)
    f0 = probe.value()
    two = two_answers(f0, probe.value(fresh=True), machine_epsilon)
    reports = []
    if two is None:
        for k, (name, x, a) in enumerate(zip(names, probe.work, analytic)):
            idx = choose(x.size, max_elements, rng)
            sampled_seed = seed if len(idx) < x.size else None
            reports.append(judge(name, x, idx, a.reshape(-1)[idx], probe.shifter(k), f0, eps,
                                 machine_epsilon, atol, rtol, sampled_seed))
    if probe.changed:
        notes.append(changed_note(probe, names))
    if two:
        notes.append(f"{two}: finite differences of such an f are meaningless, so no element was "
                     "compared and the check fails; make f depend on its inputs alone (seed its random "
                     "numbers inside f, reset its state) and check again")
    return _Numeric(reports, "f gave two answers at the same point" if two else None)


R = TypeVar("R")


def _float64_first(setup: _Setup, run: Callable[[list[np.ndarray]], R], what: str,
                   notes: list[str]) -> tuple[list[np.ndarray], R]:
    """``run`` on float64 copies of the inputs; if it rejects them and some input was
    float32, on the inputs as given.  Says which in ``notes``, naming ``what`` was run
    (``f``, or ``f or grad_f``)."""
    arrays = [a.astype(np.float64) for a in setup.arrays]
    try:
        result = run(arrays)
    except (TypeError, ValueError, AssertionError) as e:
        if not setup.low:
            raise
        notes.append(f"{what} rejected float64 copies ({type(e).__name__}: {e}); checked in float32 as given")
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
    ``input 0``, ...).  ``eps`` is the relative step (see :func:`numerical_grad`).
    Returns a :class:`GradcheckReport`; a failing one is raised inside
    :class:`GradcheckError` unless ``raise_exception=False``.

    >>> from autograd import Tensor
    >>> W = np.array([[1.0, -2.0], [0.5, 3.0]])
    >>> gradcheck(lambda W: (W @ Tensor([1.0, 2.0])).tanh().sum(), W).passed
    True
    """
    what = "gradcheck"
    _check_tolerances(what, atol, rtol, max_elements)
    setup = _setup(what, inputs, names)
    kinds = [Kind.VALUE if k.scalar else Kind.TENSOR for k in setup.kinds]
    notes: list[str] = []
    arrays, (leaves, root, out_shape, dtype) = _float64_first(
        setup, lambda xs: _analytic_pass(f, kinds, setup.names, xs, seed), "f", notes)
    if dtype == np.float32:
        notes.append(_float32_work_note(what, arrays, 3))
    projected = out_shape is not None
    if projected:
        notes.append(f"f returned shape {out_shape}: checked Σ r ⊙ f for a random r (seed {seed})")
    analytic = [_grad_of(leaf, a) for leaf, a in zip(leaves, arrays)]
    probe = Probe(_projected(f, seed) if projected else f, kinds, arrays, what)
    numeric = _numeric_part(probe, setup.names, analytic, eps, dtype, atol, rtol, max_elements, seed, notes)
    report = GradcheckReport("gradcheck", numeric.reports, atol, rtol, notes=notes,
                             not_checked=numeric.not_checked)
    if per_op and root is not None:
        report.ops = check_ops(root, atol=atol, rtol=rtol, max_elements=max_elements, seed=seed)
    if raise_exception and not report.passed:
        raise GradcheckError(report)
    return report


def _projection(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """The seeded random ``r`` of ``Σ r ⊙ f``: ``grad_out`` of f's backward."""
    return np.random.default_rng(seed).standard_normal(shape)


def _projected(f: Callable[..., Any], seed: int) -> Callable[..., Any]:
    def g(*args: Any) -> Any:
        out = f(*args)
        return (out * _projection(out.shape, seed)).sum()
    return g


def _analytic_pass(f: Callable[..., Any], kinds: Sequence[Kind], names: Sequence[str],
                   arrays: Sequence[np.ndarray], seed: int
                   ) -> tuple[list[Any], Any, tuple[int, ...] | None, np.dtype[Any]]:
    """Fresh leaves, f, backward: (leaves, f's output node or None when it is no graph,
    its shape when it was projected on a random vector, the dtype f computes in)."""
    leaves: list[Any] = []
    for kind, name, a in zip(kinds, names, arrays):
        if kind.scalar:
            leaves.append(Value(float(a), label=name))
        else:
            leaves.append(Tensor(a, requires_grad=True, label=name))
    out = f(*leaves)
    if isinstance(out, Value):
        out.backward()
        return leaves, out, None, np.dtype(np.float64)
    if isinstance(out, Tensor):
        dtype = out_dtype(out)
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
    what = "check_gradient"
    _check_tolerances(what, atol, rtol, max_elements)
    setup = _setup(what, inputs, names)
    kinds = [Kind.ARRAY if k is Kind.TENSOR else k for k in setup.kinds]
    notes: list[str] = []
    arrays, (analytic, dtype) = _float64_first(
        setup, lambda xs: _hand_written(f, grad_f, kinds, xs), "f or grad_f", notes)
    if dtype == np.float32:
        notes.append(_float32_work_note(what, arrays, 3))
    probe = Probe(f, kinds, arrays, what, vectorized)
    numeric = _numeric_part(probe, setup.names, analytic, eps, dtype, atol, rtol, max_elements, seed, notes)
    report = GradcheckReport("check_gradient", numeric.reports, atol, rtol, notes=notes,
                             not_checked=numeric.not_checked)
    if raise_exception and not report.passed:
        raise GradcheckError(report)
    return report


def _hand_written(f: Callable[..., Any], grad_f: Callable[..., Any], kinds: Sequence[Kind],
                  arrays: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.dtype[Any]]:
    """grad_f's gradients (validated) and the dtype f computes in."""
    out = f(*[float(a) if k.scalar else a.copy() for k, a in zip(kinds, arrays)])
    scalar(out, "check_gradient")
    grads = grad_f(*[float(a) if k.scalar else a.copy() for k, a in zip(kinds, arrays)])
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
    dtype = out_dtype(out)
    return out_grads, (np.dtype(np.float32) if dtype == np.float32 else np.dtype(np.float64))
