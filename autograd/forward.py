"""Forward mode: tangents pushed through a recorded graph, from the inputs to the output.

Reverse mode starts from the output's gradient and pulls it back to every input; forward
mode starts from a *tangent* ``ẋ`` for each input (a direction) and pushes it forward, node
by node in :func:`~autograd.node.topological_order`, with the same local derivatives:

    ẏ = Σ_i ∂y/∂x_i · ẋ_i

so at the output it holds the Jacobian-vector product ``J ẋ``, one pass per direction (where
reverse mode gives ``uᵀ J``, one pass per output).  An elementwise op's local derivatives
are the op table's ``derivative``; a structural op that is linear (``sum``, ``reshape``,
indexing, ...) is applied to the tangents themselves; any other (``matmul``, ``linear``,
``prod``, ``max``, ...) gets its Jacobian-vector product by transposing its recorded
vector-Jacobian product: ``J ẋ`` is the gradient of ``⟨vjp(u), ẋ⟩`` with respect to ``u``.
So forward mode needs no derivative written for it.

>>> from autograd import Value
>>> x = Value(2.0)
>>> y = x * x + x.sin()
>>> round(push_tangents(y, {x: 1.0})[y], 6)   # dy/dx = 2x + cos x
3.583853
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np

from autograd.backends import ARRAY
from autograd.node import Node, enable_grad, topological_order
from autograd.recorded import NODES, recorded_derivative, recorded_vjp
from autograd.reverse import gradients
from autograd.structural import unbroadcast_on
from autograd.tensor import Tensor
from autograd.value import Value

TangentHook = Callable[[Any, tuple[Any, ...], tuple[Any, ...], Any], None]
"""Called as ``hook(node, input_tangents, locals, tangent)`` for each node forward mode reaches:
the tangent of each input (``None``: zero), the local derivatives (``None`` for a structural op)."""


def push_tangents(root: Node, seeds: dict[Any, Any], create_graph: bool = False,
                  on_node: TangentHook | None = None) -> dict[Any, Any]:
    """Every node's tangent, from the tangents ``seeds`` gives some nodes (the inputs; any
    other node's tangent is zero).  Nodes whose tangent is zero are left out.

    ``create_graph=True`` computes on the recording backend, seeds being nodes: each
    tangent is then a node, differentiable again (forward over reverse, reverse over
    forward).  ``on_node`` sees each step, for the forward-mode trace.
    """
    tangent: dict[Any, Any] = dict(seeds)
    with enable_grad() if create_graph else nullcontext():
        for node in topological_order(root):
            if node._op is None or node in seeds:
                continue
            ts = tuple(tangent.get(p) for p in node._parents)
            if all(t is None for t in ts):
                continue
            tangent[node] = _tangent(node, ts, create_graph, on_node)
    return tangent


def _tangent(node: Any, ts: tuple[Any, ...], create_graph: bool, on_node: TangentHook | None) -> Any:
    if isinstance(node, Value):
        return _value_tangent(node, ts, create_graph, on_node)
    return _tensor_tangent(node, ts, create_graph, on_node)


def _value_tangent(node: Value, ts: tuple[Any, ...], create_graph: bool, on_node: TangentHook | None) -> Any:
    op = node._op
    assert op is not None
    if create_graph:
        ds = recorded_derivative(op, node, node._input_nodes())
    else:  # the engine's own step, with a unit upstream gradient, gives the local derivatives
        ds = tuple(local for _, local, _ in node._contributions(1.0))
    total = None
    for d, t in zip(ds, ts):
        if t is not None:
            term = d * t
            total = term if total is None else total + term
    if on_node is not None:
        on_node(node, ts, ds, total)
    return total


def _tensor_tangent(node: Tensor, ts: tuple[Any, ...], create_graph: bool,
                    on_node: TangentHook | None) -> Any:
    op = node._op
    assert op is not None
    needs = node._needs
    by_slot: list[Any] = [None] * len(needs)
    it = iter(ts)
    for i, needed in enumerate(needs):
        if needed:
            by_slot[i] = next(it)
    # on the recording backend the inputs as nodes, so that the tangent is differentiable in them
    xs: list[Any] = node._input_nodes() if create_graph else list(node._saved)
    locals_: tuple[Any, ...] = (None,) * len(xs)
    if op.elementwise:
        locals_ = (recorded_derivative(op, node, xs) if create_graph
                   else tuple(op.derivative(ARRAY, node._data, *xs)))
        total: Any = None
        for d, t in zip(locals_, by_slot):
            if t is not None:
                term = t * d
                total = term if total is None else total + term
    elif op.linear:
        filled = [t if t is not None else _zeros(x, create_graph) for t, x in zip(by_slot, xs)]
        total = _linear(op, filled, create_graph)
    else:
        total = _transposed_vjp(op, node, xs, needs, by_slot, create_graph)
    m = NODES if create_graph else ARRAY
    if total.shape != node.shape:
        total = m.broadcast_to(total, node.shape)
    if total.dtype != node.dtype:
        total = m.astype(total, node.dtype)
    if on_node is not None:
        slots = node.parent_slots
        on_node(node, tuple(by_slot[i] for i in slots), tuple(locals_[i] for i in slots), total)
    return total


def _zeros(x: Any, create_graph: bool) -> Any:
    z = np.zeros(x.shape, x.dtype)
    return Tensor._wrap(z) if create_graph else z


def _linear(op: Any, tangents: Sequence[Any], create_graph: bool) -> Any:
    """A linear op applied to the tangents (recorded when they are nodes)."""
    if create_graph:
        first = tangents[0]
        return first._apply(op, *tangents[1:])
    out = op.forward(ARRAY, *tangents)
    return out if type(out) is np.ndarray else np.asarray(out)


def _transposed_vjp(op: Any, out: Tensor, xs: Sequence[Any], needs: tuple[bool, ...],
                    tangents: Sequence[Any], create_graph: bool) -> Any:
    """``J ẋ`` for a structural op that is not linear: the gradient with respect to ``u``
    of ⟨vjp(u), ẋ⟩, the op's own vector-Jacobian product recorded and transposed."""
    u = Tensor(np.zeros(out.shape, out.dtype), requires_grad=True)
    with enable_grad():
        if not create_graph:
            xs = [Tensor._wrap(a) for a in xs]
            out = Tensor._wrap(out._data)
        grads = recorded_vjp(op, u, out, xs, needs)
        total: Any = None
        for g, x, t in zip(grads, xs, tangents):
            if t is None or g is None:
                continue
            if not isinstance(g, Tensor):
                continue  # a constant vjp: independent of u, it adds nothing to J ẋ
            term = (unbroadcast_on(NODES, g, x.shape) * t).sum()
            total = term if total is None else total + term
    if total is None:
        return _zeros(out, create_graph)
    seed = Tensor._wrap(np.ones((), total.dtype)) if create_graph else np.ones((), total.dtype)
    (jv,) = gradients(total, seed, [u], create_graph=create_graph)
    return _zeros(out, create_graph) if jv is None else jv
