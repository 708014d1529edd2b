"""Per-op checks: each op node of a graph checked on its own, at the inputs it saved.

* :func:`check_ops` -- one :class:`~autograd.checking.reports.OpReport` per op node,
  its inputs named by the op (``op.input_name``).  A ``Value`` node's op is checked on
  floats, an elementwise ``Tensor`` op through its local derivatives, a structural
  one through its vector-Jacobian product with a random ``grad_out``; in forward mode
  (``mode="fwd"``), each through the tangents :func:`~autograd.forward.push_tangents`
  pushes through the op alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd.backends import ARRAY, SCALAR
from autograd.checking.differences import FLOAT64_EPSILON, choose, default_step, judge
from autograd.checking.probe import Kind, Probe
from autograd.checking.reports import ATOL, RTOL, InputReport, OpReport
from autograd.forward import push_tangents
from autograd.node import apply, enable_grad, topological_order
from autograd.ops import Op
from autograd.tensor import Tensor, unbroadcast
from autograd.value import Value


def check_ops(root: Any, atol: float = ATOL, rtol: float = RTOL, max_elements: int | None = None,
              seed: int = 0, mode: str = "rev") -> list[OpReport]:
    """Check every op node below ``root`` on its own, at the inputs it saved.

    An elementwise op's local derivatives ``op.derivative`` are compared with
    central differences of ``op.forward`` (all elements at once: each output
    element depends only on its own inputs).  A structural op's ``op.vjp`` with a
    random ``grad_out`` is compared with the numerical gradient of
    ``Σ grad_out ⊙ op.forward``.  Both in float64; kinks are told apart as for whole
    functions.  Each input that takes a gradient is reported under the op's name for
    it (``linear``: x, W, b).  Returns one :class:`OpReport` per op node, in
    topological order (each after its inputs, numbered as pictures and traces number it).

    ``mode="fwd"`` checks what forward mode does with each op instead: the op is
    applied anew to leaves made from its saved inputs and tangents are pushed through
    it (:func:`~autograd.forward.push_tangents`).  An elementwise op's tangent for a
    tangent of ones on input k is its local derivative ``∂out/∂x_k`` (all elements at
    once); a structural op's, for the unit tangent ``e_i`` of element i of input k, is
    the column ``J e_i``, compared through ``⟨grad_out, J e_i⟩`` with the same
    differences of ``Σ grad_out ⊙ op.forward``: an op wrongly marked ``linear`` (its
    forward applied to the tangents) is named here.

    >>> from autograd import Value
    >>> [(o.position, o.name, [r.name for r in o.inputs]) for o in check_ops(Value(0.5).tanh() * 2)]
    [(1, 'tanh', ['x']), (3, 'mul', ['x', 'y'])]
    """
    if mode not in ("rev", "fwd"):
        raise ValueError(f"check_ops: unknown mode {mode!r}; the modes are 'rev' (reverse mode: the op's "
                         "derivative or vjp) and 'fwd' (forward mode: tangents pushed through the op)")
    fwd = mode == "fwd"
    rng = np.random.default_rng(seed)
    reports = []
    with enable_grad():
        for position, node in enumerate(topological_order(root)):
            op = node.op
            if op is None:
                continue
            where = ".".join(p for p in (node.scope, node.label) if p)
            slots = node.parent_slots
            if isinstance(node, Value):
                inputs = _check_scalar_op(op, tuple(node.inputs), slots, atol, rtol, fwd)
                method = "tangent pushed forward" if fwd else "local derivative"
            elif op.elementwise:
                inputs = _check_array_op(op, node.inputs, slots, atol, rtol, max_elements, rng, fwd)
                method = "tangent of ones pushed forward" if fwd else "local derivative"
            else:
                inputs = _check_vjp(op, node.inputs, node.needs_grad, slots, atol, rtol, max_elements, rng,
                                    seed, fwd)
                method = ("unit tangents pushed forward, a random grad_out" if fwd
                          else "vjp with a random grad_out")
            reports.append(OpReport(position, op.name, where, method, inputs, mode=mode))
    return reports


def _forward_mode(op: Op, leaves: Sequence[Any]) -> Callable[[int, Any], Any]:
    """``op`` applied anew to ``leaves``, and ``push(k, tangent)``: the tangent of its output
    for ``tangent`` on input k and none on the others (forward mode on the op alone)."""
    out = apply(op, *leaves)

    def push(k: int, tangent: Any) -> Any:
        pushed = push_tangents(out, {leaves[k]: tangent}).get(out)
        return np.zeros(np.shape(out.data)) if pushed is None else pushed

    return push


def _check_scalar_op(op: Op, xs: tuple[float, ...], slots: tuple[int, ...], atol: float,
                     rtol: float, fwd: bool) -> list[InputReport]:
    """A Value node's op: its local derivatives (or, ``fwd``, its pushed tangents) against
    central differences of forward, on floats."""
    m = SCALAR
    out = op.forward(m, *xs)
    if fwd:
        push = _forward_mode(op, [Value(x) for x in xs])
        derivs = {k: push(k, 1.0) for k in slots}
    else:
        derivs = dict(enumerate(op.derivative(m, out, *xs)))
    reports = []
    for k in slots:
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
        reports.append(judge(op.input_name(k), x, np.arange(1), np.array([float(derivs[k])]), shift,
                             float(out), default_step(np.float64), FLOAT64_EPSILON, atol, rtol, None))
    return reports


def _check_array_op(op: Op, saved: tuple[np.ndarray, ...], slots: tuple[int, ...], atol: float,
                    rtol: float, max_elements: int | None, rng: np.random.Generator,
                    fwd: bool) -> list[InputReport]:
    """An elementwise Tensor op: local derivatives (or, ``fwd``, the tangents pushed from
    ones) against central differences, in the broadcast shape."""
    m = ARRAY
    xs = [np.asarray(x, dtype=np.float64) for x in saved]
    shape = np.broadcast_shapes(*[x.shape for x in xs])
    xs = [np.array(np.broadcast_to(x, shape)) for x in xs]
    with np.errstate(all="ignore"):
        out = np.asarray(op.forward(m, *xs), dtype=np.float64)
        if fwd:
            push = _forward_mode(op, [Tensor(x, requires_grad=i in slots) for i, x in enumerate(xs)])
            derivs = {k: push(k, np.ones(shape)) for k in slots}
        else:
            derivs = dict(enumerate(op.derivative(m, out, *xs)))
    reports = []
    for k in slots:
        d = np.broadcast_to(np.asarray(derivs[k], dtype=np.float64), shape).reshape(-1)
        idx = choose(out.size, max_elements, rng)

        def shift(sub: np.ndarray, steps: np.ndarray, k: int = k) -> np.ndarray:
            moved = list(xs)
            moved[k] = xs[k].copy()
            moved[k].reshape(-1)[sub] += steps
            with np.errstate(all="ignore"):
                return np.asarray(op.forward(m, *moved), dtype=np.float64).reshape(-1)[sub]

        reports.append(judge(op.input_name(k), xs[k], idx, d[idx], shift, out.reshape(-1)[idx],
                             default_step(np.float64), FLOAT64_EPSILON, atol, rtol, None))
    return reports


def _check_vjp(op: Op, saved: tuple[np.ndarray, ...], needs: tuple[bool, ...], slots: tuple[int, ...],
               atol: float, rtol: float, max_elements: int | None, rng: np.random.Generator,
               seed: int, fwd: bool) -> list[InputReport]:
    """A structural op: its vjp with a random ``grad_out`` (or, ``fwd``, ``⟨grad_out, J e_i⟩``
    for the unit tangents pushed forward) against the gradient of Σ grad_out ⊙ forward
    (``needs``: the node's ``needs_grad``, which the vjp takes)."""
    m = ARRAY
    xs = [np.array(x, dtype=np.float64, order="C") for x in saved]
    out = np.asarray(op.forward(m, *xs), dtype=np.float64)
    grad_out = rng.standard_normal(out.shape)
    grads = (None,) * len(xs) if fwd else op.vjp(m, grad_out, out, tuple(xs), needs)

    def value(*args: np.ndarray) -> float:
        return float(np.sum(grad_out * op.differentiated(m, tuple(xs), *args)))

    if fwd:
        push = _forward_mode(op, [Tensor(x, requires_grad=i in slots) for i, x in enumerate(xs)])
    reports = []
    for k in slots:
        probe = Probe(value, [Kind.ARRAY] * len(xs), xs, f"check_ops: {op.name}")
        idx = choose(xs[k].size, max_elements, rng)
        sampled_seed = seed if len(idx) < xs[k].size else None
        if fwd:
            analytic = np.array([np.sum(grad_out * push(k, _unit(xs[k], i))) for i in idx.tolist()])
        else:
            g = grads[k]
            if g is None:
                raise ValueError(f"check_ops: {op.name}.vjp returned None for input {k} "
                                 f"({op.input_name(k)}), which needs a gradient")
            analytic = unbroadcast(np.asarray(g, dtype=np.float64), xs[k].shape).reshape(-1)[idx]
        reports.append(judge(op.input_name(k), probe.work[k], idx, analytic, probe.shifter(k),
                             probe.value(), default_step(np.float64), FLOAT64_EPSILON, atol, rtol,
                             sampled_seed))
    return reports


def _unit(x: np.ndarray, i: int) -> np.ndarray:
    """The unit tangent ``e_i`` of x's shape: 1 at flat element i."""
    e = np.zeros(x.shape)
    e.reshape(-1)[i] = 1.0
    return e
