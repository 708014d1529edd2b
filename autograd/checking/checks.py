"""The checks: chainrule's backward, or a hand-written gradient, against central differences.

* :func:`gradcheck` -- f of ``Tensor``\\ s and ``Value``\\ s, its ``backward()`` checked
  element by element (``per_op=True`` adds :func:`~autograd.checking.opchecks.check_ops`);
  ``modes=("rev", "fwd")`` adds forward mode, ``order=2`` second derivatives.
* :func:`check_gradient` -- plain numpy code and its hand-written gradient.

Both read the inputs alike, evaluate f through a
:class:`~autograd.checking.probe.Probe`, judge each input with
:func:`~autograd.checking.differences.judge`, and return a
:class:`~autograd.checking.reports.GradcheckReport`.

float32.  Finite differences in float32 are only good to about 1e-3 relative, so
float32 inputs raise a :class:`GradcheckWarning` and are checked on float64
copies; when ``f`` rejects float64 (raises) or computes in float32 anyway, the
check runs in float32 with a float32 step and says so in the report.

Forward mode (``"fwd"``).  Reverse mode gives ``rᵀ J``, the vector-Jacobian product of
one backward pass from ``f₁ = Σ r ⊙ f`` (f itself when scalar).  Forward mode gives
``J v`` for a tangent ``v``; with the unit tangent ``e_i`` (1 at element i of one input,
0 everywhere else) its projection is

    ⟨r, J e_i⟩ = (Jᵀ r)_i,

element i of what reverse mode gives: the dot-product test ``⟨u, J v⟩ = ⟨Jᵀ u, v⟩`` with
``u = r`` and ``v = e_i``, located to the element.  So forward mode is one
:func:`autograd.jvp` per element, judged against the same central differences as reverse
mode (evaluated once for both), kinks told apart alike.

Order 2.  A second derivative is checked as PyTorch's ``gradgradcheck`` does: by a
gradient check of the first-order gradient.  For a seeded random ``w`` (one array per
input) the scalar

    g(x) = ⟨w, ∇f₁(x)⟩ = Σ_k Σ_j w_kj ∂f₁/∂x_kj      has the gradient      ∇g = H w,

``H`` the Hessian of f₁ over all inputs: element i of input k is row (k, i) of ``H w``,
``Σ_(l,j) ∂²f₁/∂x_ki ∂x_lj · w_lj``.  The analytic ``∇g`` differentiates the *recorded*
reverse pass (a nested :func:`autograd.grad`, what ``backward(create_graph=True)``
records) once more, in each mode: reverse over reverse, or forward over reverse (a
``jvp`` of the recorded gradient).  The numerical one is central differences of ``g``,
i.e. of f's first-order gradient, each evaluation a forward and a backward pass.  Why a
projection rather than the whole Hessian: one analytic pass instead of one per element,
and ``g`` is a scalar function like f₁, so the whole first-order check carries over --
sampling, float32, the located worst elements, the kinks; a random ``w`` misses a wrong
entry of ``H`` with probability zero.  Where f has a kink (a tie of max) ``g`` jumps and
f has no second derivative: such elements are *jumps*, listed apart (see
:mod:`~autograd.checking.differences`); exactly at relu's or abs's kink the engine
refuses to differentiate again, and the report says so instead (``not_checked``).
``order=2`` checks order 1 as well: a wrong first derivative would otherwise pass, its
own derivative being consistent with it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, NamedTuple, TypeVar

import numpy as np

from autograd.checking.differences import Shift, choose, default_step, judge
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
from autograd.functional import grad, jvp
from autograd.recorded import NoDerivativeError
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


class _Judging(NamedTuple):
    """How elements are judged: the step, the precision f works in, the tolerances, the sample."""

    eps: float | None
    dtype: np.dtype[Any]
    atol: float
    rtol: float
    max_elements: int | None
    seed: int


Derivative = Callable[[int, np.ndarray], np.ndarray]
"""``derivative(k, idx)``: an analytic derivative at the flat elements ``idx`` of input k."""


def _numeric_part(probe: Probe, names: Sequence[str], analytic: dict[str, Derivative], judging: _Judging,
                  notes: list[str], order: int = 1) -> _Numeric:
    """Each input's report, one per mode of ``analytic`` (all judged on the same
    differences); none, and why, when f gave two answers at the point.  Adds to ``notes``
    what f did to its inputs and the two answers."""
    eps, dtype, atol, rtol, max_elements, seed = judging
    rng = np.random.default_rng(seed)
    eps = default_step(dtype) if eps is None else eps
    machine_epsilon = float(np.finfo(dtype).eps)
    f0 = probe.value()
    two = two_answers(f0, probe.value(fresh=True), machine_epsilon)
    reports = []
    if two is None:
        for k, (name, x) in enumerate(zip(names, probe.work)):
            idx = choose(x.size, max_elements, rng)
            sampled_seed = seed if len(idx) < x.size else None
            shift = _once(probe.shifter(k)) if len(analytic) > 1 else probe.shifter(k)
            for mode, derivative in analytic.items():
                report = judge(name, x, idx, derivative(k, idx), shift, f0, eps, machine_epsilon, atol, rtol,
                               sampled_seed, jumps=order > 1)
                reports.append(replace(report, mode=mode, order=order))
    if probe.changed:
        _note(notes, changed_note(probe, names))
    if two:
        _note(notes, f"{two}: finite differences of such an f are meaningless, so no element was "
                     "compared and the check fails; make f depend on its inputs alone (seed its random "
                     "numbers inside f, reset its state) and check again")
    return _Numeric(reports, "f gave two answers at the same point" if two else None)


def _once(shift: Shift) -> Shift:
    """``shift`` evaluating f once for each element and step, however many modes ask."""
    seen: dict[tuple[int, float], float] = {}

    def shift_once(idx: np.ndarray, steps: np.ndarray) -> np.ndarray:
        pairs = list(zip(idx.tolist(), steps.tolist()))
        new = [p for p in dict.fromkeys(pairs) if p not in seen]
        if new:
            values = shift(np.array([i for i, _ in new], dtype=np.intp), np.array([s for _, s in new]))
            seen.update(zip(new, values.tolist()))
        return np.array([seen[p] for p in pairs])

    return shift_once


def _note(notes: list[str], note: str) -> None:
    if note not in notes:
        notes.append(note)


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


MODES = ("rev", "fwd")
"""The modes :func:`gradcheck` checks derivatives in: reverse (``backward``) and forward (``jvp``)."""


def _check_derivatives(what: str, order: int, modes: Sequence[str]) -> tuple[str, ...]:
    """``modes`` as a tuple, or a clear error for a bad ``order`` or mode."""
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order not in (1, 2):
        raise ValueError(f"{what}: order must be 1 (gradients) or 2 (gradients of gradients), got {order!r}")
    if isinstance(modes, str):
        raise TypeError(f"{what}: modes must be a tuple of modes such as ({modes!r},), "
                        f"not the string {modes!r}")
    checked = tuple(modes)
    for mode in checked:
        if mode not in MODES:
            raise ValueError(f"{what}: unknown mode {mode!r}; the modes are 'rev' (reverse mode: backward, "
                             "vjp) and 'fwd' (forward mode: jvp)")
    if not checked or len(set(checked)) < len(checked):
        raise ValueError(f"{what}: modes must name 'rev', 'fwd' or both, each once, got {modes!r}")
    return checked


def gradcheck(f: Callable[..., Any], *inputs: Any, eps: float | None = None, atol: float = ATOL,
              rtol: float = RTOL, raise_exception: bool = True, per_op: bool = False,
              max_elements: int | None = None, seed: int = 0, names: Sequence[str] | None = None,
              order: int = 1, modes: Sequence[str] = ("rev",)) -> GradcheckReport:
    """chainrule's gradients of ``f`` against central differences, element by element.

    ``f(*nodes)`` returns a ``Value`` or a ``Tensor``.  Each input becomes a fresh leaf:
    arrays, lists and ``Tensor``\\ s a float64 ``Tensor(requires_grad=True)``, ``Value``\\ s
    and numbers a ``Value``.  The analytic gradient is one ``backward()``; the numerical
    one evaluates ``f`` under ``no_grad()`` on perturbed float64 copies (two calls per
    element; an f that changes them, as ``x.data -= 1`` does, is noted and still checked
    at the inputs given; one that gives two answers at the same point fails unchecked).
    A non-scalar output is checked through ``Σ r ⊙ f``, ``r`` seeded and random.
    ``modes``: ``"rev"`` (reverse mode, as above), ``"fwd"`` (forward mode: a
    :func:`autograd.jvp` per element with its unit tangent ``e_i``, as ``⟨r, J e_i⟩ =
    (Jᵀ r)_i``), or both, on the same differences.  ``order=2`` adds second derivatives:
    ``H w``, the gradient of ``⟨w, ∇f⟩`` for a seeded random ``w`` by the recorded backward
    pass differentiated again, against differences of the first-order gradient (the
    module docstring gives the math and why).  Each :class:`InputReport` names its
    mode and order (``x (fwd)``, ``x (rev, order 2)``).  ``max_elements`` checks a
    random sample (``seed``) of a bigger input, and says so.  ``per_op=True`` also checks
    every op of the graph on its own (:func:`check_ops`), in each mode, and at order 2
    those of the recorded graph of ``⟨w, ∇f⟩``.  ``names`` label the inputs (default:
    their labels, or ``input 0``, ...); ``eps`` is the relative step (see
    :func:`numerical_grad`).  Returns a :class:`GradcheckReport`, raised inside
    :class:`GradcheckError` when it fails unless ``raise_exception=False``.

    >>> report = gradcheck(lambda x: (x * x).sin(), 0.5, order=2, modes=("rev", "fwd"))
    >>> report.passed, [r.label for r in report.inputs]
    (True, ['input 0', 'input 0 (fwd)', 'input 0 (rev, order 2)', 'input 0 (fwd, order 2)'])
    """
    what = "gradcheck"
    _check_tolerances(what, atol, rtol, max_elements)
    modes = _check_derivatives(what, order, modes)
    setup = _setup(what, inputs, names)
    kinds = [Kind.VALUE if k.scalar else Kind.TENSOR for k in setup.kinds]
    notes: list[str] = []
    arrays, (leaves, root, out_shape, dtype) = _float64_first(
        setup, lambda xs: _analytic_pass(f, kinds, setup.names, xs, seed), "f", notes)
    notes += _how_notes(arrays, dtype, out_shape, modes, seed)
    judging = _Judging(eps, dtype, atol, rtol, max_elements, seed)
    f1 = f if out_shape is None else _projected(f, seed)
    backward = _at([_grad_of(leaf, a) for leaf, a in zip(leaves, arrays)])
    analytic = {mode: backward if mode == "rev" else _forward_mode(f1, kinds, arrays) for mode in modes}
    numeric = _numeric_part(Probe(f1, kinds, arrays, what), setup.names, analytic, judging, notes)
    reports, not_checked, graphs = numeric.reports, numeric.not_checked, [root]
    if order == 2 and not_checked is None:
        g = _along_gradient(f1, kinds, arrays, seed)
        second = _second_order(g, kinds, setup.names, arrays, modes, judging, notes)
        reports, not_checked = reports + second.reports, second.not_checked
        if per_op and not_checked is None:
            graphs.append(g(*_leaves(kinds, setup.names, arrays)))
    report = GradcheckReport("gradcheck", reports, atol, rtol, notes=notes, not_checked=not_checked)
    if per_op and root is not None:
        report.ops = [replace(o, order=graph_order) for graph_order, graph in enumerate(graphs, start=1)
                      for mode in modes for o in check_ops(graph, atol, rtol, max_elements, seed, mode)]
    if raise_exception and not report.passed:
        raise GradcheckError(report)
    return report


def _how_notes(arrays: Sequence[np.ndarray], dtype: np.dtype[Any], out_shape: tuple[int, ...] | None,
               modes: Sequence[str], seed: int) -> list[str]:
    """What gradcheck's report says about how f was checked: in float32 (with a warning to
    gradcheck's caller), through a projection, in forward mode."""
    notes = []
    if dtype == np.float32:
        notes.append(_float32_work_note("gradcheck", arrays, 4))
    if out_shape is not None:
        notes.append(f"f returned shape {out_shape}: checked Σ r ⊙ f for a random r (seed {seed})")
    if "fwd" in modes:
        notes.append("fwd: element i by forward mode, autograd.jvp with the unit tangent e_i (one pass per "
                     "element), judged against the same central differences as rev")
    return notes


def _second_order(g: Callable[..., Any], kinds: Sequence[Kind], names: Sequence[str],
                  arrays: Sequence[np.ndarray], modes: Sequence[str], judging: _Judging,
                  notes: list[str]) -> _Numeric:
    """The order-2 reports: ``g = ⟨w, ∇f₁⟩`` checked in each mode as f₁ is; none, and why,
    when the engine computes no second derivative at the point: its NoDerivativeError (at a kink
    of f, relu at 0, it names the op and the element) becomes a note."""
    plain = [Kind.FLOAT if k.scalar else Kind.ARRAY for k in kinds]
    try:
        analytic = {mode: (_reverse_mode if mode == "rev" else _forward_mode)(g, kinds, arrays)
                    for mode in modes}
        second = _numeric_part(Probe(g, plain, arrays, "gradcheck"), names, analytic, judging, notes, order=2)
    except NoDerivativeError as e:
        notes.append(f"order 2: {e}")
        return _Numeric([], "no second derivative could be computed at the inputs given (see the note)")
    notes.append(f"order 2: checked ∇⟨w, ∇f⟩ = H w (H the Hessian, w random, seed {judging.seed}) against "
                 "central differences of the first-order gradient ∇f")
    return second


def _at(grads: Sequence[np.ndarray]) -> Derivative:
    """The derivative read from whole gradients, one per input."""
    return lambda k, idx: grads[k].reshape(-1)[idx]


def _primals(kinds: Sequence[Kind], arrays: Sequence[np.ndarray]) -> list[Any]:
    """The inputs as :mod:`autograd.functional` takes them: floats (Value engine), arrays (Tensor)."""
    return [float(a) if kind.scalar else a.copy() for kind, a in zip(kinds, arrays)]


def _forward_mode(f: Callable[..., Any], kinds: Sequence[Kind], arrays: Sequence[np.ndarray]) -> Derivative:
    """Element i of input k by forward mode: the scalar f's ``jvp`` for the unit tangent ``e_i``."""
    def derivative(k: int, idx: np.ndarray) -> np.ndarray:
        out = np.empty(len(idx))
        for j, i in enumerate(idx.tolist()):
            tangents = [np.zeros_like(a) for a in arrays]
            tangents[k].reshape(-1)[i] = 1.0
            _, tangent = jvp(f, _primals(kinds, arrays), _primals(kinds, tangents))
            out[j] = scalar(tangent, "gradcheck")
        return out
    return derivative


def _reverse_mode(f: Callable[..., Any], kinds: Sequence[Kind], arrays: Sequence[np.ndarray]) -> Derivative:
    """The scalar f's gradient by :func:`autograd.grad` (reverse mode)."""
    grads = grad(f, argnums=tuple(range(len(arrays))))(*_primals(kinds, arrays))
    return _at([np.asarray(gk, dtype=np.float64).reshape(a.shape) for gk, a in zip(grads, arrays)])


def _along_gradient(f1: Callable[..., Any], kinds: Sequence[Kind], arrays: Sequence[np.ndarray],
                    seed: int) -> Callable[..., Any]:
    """``g(x) = ⟨w, ∇f₁(x)⟩`` for a seeded random ``w`` (one per input, of its shape and
    dtype), ``∇f₁`` by the recorded reverse pass: numbers for numbers, a node with its
    graph for nodes (inside a transformation), so ``g`` is differentiable again."""
    rng = np.random.default_rng([seed, 2])
    w = [float(rng.standard_normal()) if kind.scalar else rng.standard_normal(a.shape).astype(a.dtype)
         for kind, a in zip(kinds, arrays)]
    grad_f1 = grad(f1, argnums=tuple(range(len(arrays))))

    def g(*xs: Any) -> Any:
        total: Any = None
        for kind, gk, wk in zip(kinds, grad_f1(*xs), w):
            term = gk * wk if kind.scalar else (gk * wk).sum()
            total = term if total is None else total + term
        return total

    return g


def _leaves(kinds: Sequence[Kind], names: Sequence[str], arrays: Sequence[np.ndarray]) -> list[Any]:
    """Fresh leaves holding the inputs: Values for the scalar kinds, Tensors that require grad."""
    return [Value(float(a), label=name) if kind.scalar else Tensor(a, requires_grad=True, label=name)
            for kind, name, a in zip(kinds, names, arrays)]


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
    leaves = _leaves(kinds, names, arrays)
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
    judging = _Judging(eps, dtype, atol, rtol, max_elements, seed)
    numeric = _numeric_part(probe, setup.names, {"rev": _at(analytic)}, judging, notes)
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
