"""A traced Tensor graph lowered to a straight-line numpy program: forward, then backward.

:func:`lower` walks the graph of a loss in :func:`~autograd.node.topological_order` and runs
each op's ``forward`` on the code-emitting backend :data:`~autograd.emitting.EMIT`, then walks
it back and runs each op's local ``derivative`` or ``vjp`` there, with the engine's chain rule
between them (upstream × local, summed back over broadcast axes, added up per node).  So the
program computes what ``loss.backward()`` does, from the same op table.

Before that, :func:`fuse` rewrites two compositions into the single ops they are, so natural
code and fused code lower to the same program: ``x @ W.T + b`` is ``linear(x, W, b)`` and
``((a - y) ** 2).mean()`` (or ``.sum()``) is the squared-error op.  Both rewrites give the
same values bit for bit (the op tests hold each fused op to its composition).

Variables are named after the nodes' labels (``z[2]`` is ``z2``, its gradient ``dz2``), else
after their ops (``sigmoid1``); each op's lines carry its formula as a comment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd import ops, structural
from autograd.emitting import ACTIVE, EMIT, NotCompilable, Program, Sym
from autograd.node import topological_order
from autograd.structural import unbroadcast_on
from autograd.tensor import Tensor


@dataclass
class Step:
    """One op of the program: the op, its inputs (a :class:`Step`, a leaf ``Tensor`` or a
    constant array) and the node whose value it computes."""

    op: ops.Op
    inputs: list[Any]
    node: Tensor
    consumers: int = 0


@dataclass
class Graph:
    """A loss's graph as steps in topological order, and its leaves."""

    steps: list[Step]
    root: Step
    leaves: list[Tensor] = field(default_factory=list)


def graph_of(root: Tensor) -> Graph:
    """``root``'s graph as :class:`Step` s: each op node with its inputs in op order (a parent
    node, or the constant array the op saved for an input that needs no gradient)."""
    by_node: dict[Tensor, Step] = {}
    leaves: list[Tensor] = []
    steps: list[Step] = []
    for node in topological_order(root):
        if node._op is None:
            leaves.append(node)
            continue
        parents = iter(node._parents)
        inputs: list[Any] = []
        for a, needed in zip(node._saved, node._needs):
            if needed:
                p = next(parents)
                inputs.append(by_node.get(p, p))
            else:
                inputs.append(a)
        step = by_node[node] = Step(node._op, inputs, node)
        steps.append(step)
    for step in steps:
        for x in step.inputs:
            if isinstance(x, Step):
                x.consumers += 1
    return Graph(steps, by_node[root], leaves)


# -- fusion: natural code as the fused ops -------------------------------------------------------------

def _is(x: Any, op_type: type, consumers: int = 1) -> bool:
    return isinstance(x, Step) and isinstance(x.op, op_type) and x.consumers == consumers


def _linear(step: Step) -> list[Any] | None:
    """``x @ W.T + b`` (either order of the sum): the inputs ``[x, W, b]`` of ``linear``."""
    if step.op is not ops.ADD:
        return None
    for m, b in (step.inputs, step.inputs[::-1]):
        if not (_is(m, ops.MatMul) and np.ndim(_data(b)) == 1):
            continue
        x, t = m.inputs
        if _is(t, structural.Transpose) and t.op.axes in (None, (1, 0)) and np.ndim(_data(t.inputs[0])) == 2:
            W = t.inputs[0]
            if np.shape(_data(W))[:1] == np.shape(_data(b)) and np.ndim(_data(x)) in (1, 2):
                return [x, W, b]
    return None


def _squared_error(step: Step) -> tuple[ops.Op, list[Any]] | None:
    """``Σ (a - y)² / n`` spelled ``((a - y) ** 2).mean()`` or ``.sum()``: the op and ``[a, y]``."""
    total, n = step, 1
    if step.op is ops.DIV and _is(step.inputs[0], structural.Sum) and np.ndim(step.inputs[1]) == 0:
        total, n = step.inputs[0], step.inputs[1]
        if not isinstance(n, np.ndarray) or n != np.size(_data(total.inputs[0])):
            return None
    if not (isinstance(total.op, structural.Sum) and total.op.axis is None and not total.op.keepdims):
        return None
    square = total.inputs[0]
    if _is(square, ops.PowConst) and square.op.c == 2.0:
        d, uses = square.inputs[0], 1
    elif _is(square, ops.Mul) and square.inputs[0] is square.inputs[1]:
        d, uses = square.inputs[0], 2  # d * d: the difference used twice, by the product alone
    else:
        return None
    if not (_is(d, ops.Add, uses) and d.op is ops.ADD):
        return None
    a, minus_y = d.inputs
    if _is(minus_y, ops.Neg):
        y: Any = minus_y.inputs[0]
    elif isinstance(minus_y, np.ndarray):
        y = -minus_y
    else:
        return None
    if np.shape(_data(a)) != np.shape(_data(y)) or not isinstance(a, Step | Tensor):
        return None
    return structural.squared_error(int(n)), [a, y]


def _data(x: Any) -> Any:
    if isinstance(x, Step):
        return x.node._data
    return x._data if isinstance(x, Tensor) else x


def fuse(graph: Graph) -> Graph:
    """``graph`` with ``x @ W.T + b`` as ``linear`` and ``((a - y) ** 2).mean()`` as the
    squared-error op (steps left without a consumer are dropped)."""
    for step in reversed(graph.steps):  # consumers first: a mean is matched before the sum inside it
        inputs = _linear(step)
        if inputs is not None:
            step.op, step.inputs = ops.LINEAR, inputs
            continue
        found = _squared_error(step)
        if found is not None:
            step.op, step.inputs = found
    used = {id(graph.root)}
    for step in reversed(graph.steps):
        if id(step) in used:
            used.update(id(x) for x in step.inputs if isinstance(x, Step))
    graph.steps = [s for s in graph.steps if id(s) in used]
    return graph


# -- lowering ------------------------------------------------------------------------------------------

Names = Callable[[Tensor], str]


@dataclass
class Lowered:
    """The program, its loss and the gradient of each wanted leaf (None: the loss does not
    depend on it)."""

    program: Program
    loss: Sym
    grads: list[Sym | None]


def lower(graph: Graph, program: Program, leaves: dict[Tensor, Sym], wanted: Sequence[Tensor],
          constant: Callable[[np.ndarray], Sym], names: Names) -> Lowered:
    """The forward and backward lines of ``graph`` in ``program``: ``leaves`` are the input
    symbols of its leaf tensors, ``constant`` turns a saved array into a symbol, ``wanted``
    are the leaves whose gradients are returned."""
    token = ACTIVE.set(program)
    try:
        return _lower(graph, program, leaves, wanted, constant, names)
    finally:
        ACTIVE.reset(token)


def _lower(graph: Graph, program: Program, leaves: dict[Tensor, Sym], wanted: Sequence[Tensor],
           constant: Callable[[np.ndarray], Sym], names: Names) -> Lowered:
    values: dict[int, Sym] = {}

    def sym(x: Any) -> Sym:
        if isinstance(x, Step):
            return values[id(x)]
        if isinstance(x, Tensor):
            return leaves[x]
        return constant(x)

    for step in graph.steps:
        xs = [sym(x) for x in step.inputs]
        out = _forward(step, xs)
        program.name(out, names(step.node), _formula(step, xs, names))
        values[id(step)] = out
    grads = _backward(graph, values, sym, wanted, names)
    return Lowered(program, values[id(graph.root)], grads)


def _forward(step: Step, xs: list[Sym]) -> Sym:
    try:
        out = step.op.forward(EMIT, *xs)
    except NotCompilable:
        raise
    except (TypeError, AttributeError) as e:
        raise NotCompilable(f"compile: the forward of {step.op.name} cannot be written as numpy code "
                            f"({e})") from e
    if not isinstance(out, Sym) or out.shape != step.node.shape or out.dtype != step.node.dtype:
        raise NotCompilable(f"compile: the forward of {step.op.name} emitted {out!r}, not the "
                            f"{step.node.shape} {step.node.dtype} array the engine computed")
    return out


def _named(x: Any, s: Sym, names: Names) -> str:
    """An input's name in comments: a node's, a leaf's, else the constant's name or value."""
    return names(x.node) if isinstance(x, Step) else names(x) if isinstance(x, Tensor) else s.code


def _in_words(text: str, words: dict[str, str]) -> str:
    """``text`` (an op's formula or partial) with each whole word of ``words`` replaced."""
    if not words:
        return text
    pattern = "|".join(re.escape(n) for n in sorted(words, key=len, reverse=True))
    return re.sub(rf"(?<![A-Za-z0-9_])({pattern})(?![A-Za-z0-9_])", lambda m: words[m.group(1)], text)


def _inputs(step: Step, xs: list[Sym], names: Names) -> dict[str, str]:
    """The op's input names (x, W, b, ...) and the program's names for them."""
    return {step.op.input_name(i): _named(x, s, names) for i, (x, s) in enumerate(zip(step.inputs, xs))}


def _formula(step: Step, xs: list[Sym], names: Names) -> str:
    """``a[1] = σ(z[1])``: the op's formula in the nodes' names (a constant by its name or value)."""
    return f"{names(step.node)} = {_in_words(step.op.formula or step.op.name, _inputs(step, xs, names))}"


def _reaches(graph: Graph, wanted: Sequence[Tensor]) -> set[int]:
    """The ids of the steps and leaves that lie on a path from a wanted leaf."""
    reach = {id(w) for w in wanted}
    for step in graph.steps:
        if any(id(x) in reach for x in step.inputs if isinstance(x, Step | Tensor)):
            reach.add(id(step))
    return reach


def _backward(graph: Graph, values: dict[int, Sym], sym: Callable[[Any], Sym], wanted: Sequence[Tensor],
              names: Names) -> list[Sym | None]:
    """The backward lines: each step's gradient pushed to its inputs on a path to ``wanted``,
    each gradient commented with the chain-rule step that made it (when one step did)."""
    program = values[id(graph.root)].program
    root = graph.root.node
    reach = _reaches(graph, wanted)
    pending: dict[int, Sym] = {id(graph.root): program.constant(np.ones(root.shape, root.dtype), "seed")}
    why: dict[int, str] = {}
    for step in reversed(graph.steps):
        grad_out = pending.pop(id(step), None)
        if grad_out is None:
            continue
        program.name(grad_out, "d" + names(step.node), why.get(id(step), ""))
        xs = [sym(x) for x in step.inputs]
        needs = tuple(id(x) in reach and isinstance(x, Step | Tensor) for x in step.inputs)
        for i, (x, g) in enumerate(zip(step.inputs, _push(step, grad_out, values[id(step)], xs, needs))):
            if g is None:
                continue
            key = id(x)
            total = pending.get(key)
            pending[key] = g if total is None else total + g
            why[key] = "" if total is not None else _chain(step, i, xs, names)
    out: list[Sym | None] = []
    for w in wanted:
        g = pending.get(id(w))
        if g is not None:
            program.name(g, "d" + names(w), why.get(id(w), f"∂C/∂{names(w)}"))
        out.append(g)
    return out


def _chain(step: Step, i: int, xs: list[Sym], names: Names) -> str:
    """The chain-rule step that gives input i of ``step`` its gradient, in the nodes' names:
    ``∂C/∂z[3] = ∂C/∂a[3] ⊙ σ(z[3]) * (1 - σ(z[3]))``, ``∂C/∂W[3] = (∂C/∂z[3])ᵀ @ a[2]``."""
    op = step.op
    upstream = f"∂C/∂{names(step.node)}"
    partial = op.partials[i] if i < len(op.partials) else op.name
    words = {**_inputs(step, xs, names), "grad_out": f"({upstream})" if "grad_outᵀ" in partial else upstream}
    text = _in_words(partial, words)
    name = _named(step.inputs[i], xs[i], names)
    return f"∂C/∂{name} = {upstream} ⊙ {text}" if op.elementwise else f"∂C/∂{name} = {text}"


def _push(step: Step, grad_out: Sym, out: Sym, xs: list[Sym], needs: tuple[bool, ...]) -> list[Sym | None]:
    """grad_out · ∂out/∂x for each needed input: upstream × local derivative (elementwise ops)
    or the op's vjp, then summed back to the input's shape and dtype, as the engine does."""
    op = step.op
    try:
        if op.elementwise:
            local = op.derivative(EMIT, out, *xs)
            grads: Sequence[Any] = [grad_out * d if n else None for d, n in zip(local, needs)]
        else:
            grads = op.vjp(EMIT, grad_out, out, tuple(xs), needs)
    except NotCompilable:
        raise
    except (TypeError, AttributeError) as e:
        raise NotCompilable(f"compile: the derivative of {op.name} cannot be written as numpy code "
                            f"({e})") from e
    result: list[Sym | None] = []
    for x, g, n in zip(xs, grads, needs):
        if not n or g is None:
            result.append(None)
            continue
        if not isinstance(g, Sym):
            g = out.program.constant(np.broadcast_to(np.asarray(g, x.dtype), x.shape).copy())
        if g.shape != x.shape:
            g = unbroadcast_on(EMIT, g, x.shape)
        if g.dtype != x.dtype:
            g = g.astype(x.dtype)
        result.append(g)
    return result
