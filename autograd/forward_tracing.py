"""Forward mode, traced: one :class:`TangentStep` per node the tangents reach.

Forward mode (``autograd.forward``) moves the inputs along a direction: each input leaf
``x`` becomes ``x + ε·ẋ``, and its *tangent* ``ẋ = ∂x/∂ε`` is given (a leaf not given
stays put: tangent 0).  Node by node, in topological order, every other node's tangent
follows from its inputs' by the chain rule, with the local derivatives a backward pass
uses::

    ∂node/∂ε = Σ ∂node/∂input · ∂input/∂ε        (local × input tangent, summed)

:func:`trace_forward` records each step: the node, its value, its inputs' tangents,
the local derivatives with their formulas in the nodes' names (as :class:`~autograd.Step`
writes them), the terms local × input tangent and their sum, the node's tangent.  A
structural tensor op (``@``, ``sum``, ``reshape``, ...) has no elementwise local
derivative: its step shows the op applied to the tangents (a linear op) or its
Jacobian-vector product as its vector-Jacobian product transposed.  A
:class:`ForwardTrace` prints as a table and does all a :class:`~autograd.Trace` does
(:class:`~autograd.tracing.StepTable`): Markdown, LaTeX, a picture per step, the stepper.

Why two modes: one forward pass gives every node's derivative along *one input
direction* (``J ẋ``: every output, one input); one backward pass gives *one output's*
gradient with respect to every input (``uᵀ J``).  A loss of a million parameters takes one
backward pass for its gradient, a million forward ones; one input driving a million
outputs, the other way round.

>>> from autograd import Value
>>> x, w = Value(2.0, label="x"), Value(-1.0, label="w")
>>> y = (x * w).tanh()
>>> y.label = "y"
>>> t = trace_forward(y, {x: 1.0})
>>> print(t[0].equation())
*: ∂#1/∂ε = ∂#1/∂x · ∂x/∂ε = (∂(x * w)/∂x = w = -1) × 1 = -1
>>> t.tangent == t[-1].tangent == sum(t[-1].terms)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from autograd import stepper
from autograd.drawing import check_root
from autograd.forward import push_tangents
from autograd.node import Node, topological_order
from autograd.ops import Op
from autograd.tensor import Tensor
from autograd.text import node_names, summary
from autograd.tracing import (
    StepTable,
    _cell,
    _in_names,
    _input_names,
    _local_text,
    _partial,
    _snapshot,
    _substitute,
)

_DOTTED = {"x": "ẋ", "y": "ẏ", "W": "Ẇ", "b": "ḃ"}
"""The dotted name of an input in :attr:`~autograd.ops.Op.tangents` (its tangent)."""


def tangent_name(name: str) -> str:
    """How a trace writes the tangent of the node named ``name``: ``∂name/∂ε``."""
    return f"∂{name}/∂ε"


@dataclass(frozen=True, eq=False)
class TangentStep:
    """One node of forward mode: ``tangent = Σ locals[k] × input_tangents[k]`` over its
    parents ``k`` (a tensor's sum broadcast to the node's shape).

    ``input_tangents`` holds each parent's tangent ∂parent/∂ε (``None``: zero, no tangent
    reaches it; forward mode skips it), ``locals`` each local derivative ∂node/∂parent,
    ``None`` for a structural tensor op, whose tangent is its Jacobian-vector product (see
    :meth:`jvp_text`).  ``parent_names`` names the parents, ``input_names`` each of the op's
    inputs (as :class:`~autograd.Step` does), so formulas read in the user's names.
    """

    index: int
    """1-based position of the step in the pass."""
    node: Any
    value: Any
    """The node's value (its ``data``)."""
    input_tangents: tuple[Any, ...]
    locals: tuple[Any, ...]
    tangent: Any
    """∂node/∂ε, what forward mode gives the node."""
    node_name: str
    parent_names: tuple[str, ...]
    input_names: tuple[str, ...]

    @property
    def op(self) -> Op:
        """The op that made ``node``."""
        op = self.node.op
        assert op is not None, "a step always computes an op result"
        return op

    @property
    def inputs(self) -> tuple[int, ...]:
        """Each parent's position among the op's inputs."""
        return self.node.parent_slots

    @property
    def terms(self) -> tuple[Any, ...]:
        """``local × input tangent`` for each parent (``None`` where its tangent is zero, or
        the op is structural); their sum is :attr:`tangent`."""
        return tuple(None if t is None or d is None else t * d
                     for t, d in zip(self.input_tangents, self.locals))

    @property
    def moving(self) -> tuple[int, ...]:
        """The parents (their positions in ``parents``) whose tangent is not zero."""
        return tuple(k for k, t in enumerate(self.input_tangents) if t is not None)

    def local_text(self, k: int, fmt: str = ".4g") -> str:
        """Parent ``k``'s local derivative, ``∂f(x1)/∂x1 = formula = value`` in the nodes'
        names (a structural op: ``jvp: rule``, see :meth:`jvp_text`)."""
        if self.locals[k] is None:
            return f"jvp: {self.jvp_text(k)}"
        return _local_text(self.op, self.inputs[k], self.input_names, self.locals[k], fmt)

    def jvp_text(self, k: int) -> str:
        """How a structural op's tangent comes from parent ``k``'s: a linear op (``sum``,
        ``reshape``, indexing, ...) is applied to the tangents themselves (``Σ ∂x/∂ε``, one
        rule for all its inputs); ``@`` and ``linear`` show their textbook terms
        (:attr:`~autograd.ops.Op.tangents`: ``ẋ @ y + x @ ẏ``), though the numbers come from
        the transposed vector-Jacobian product; any other (``max``, ``prod``, ...) names that
        product for input ``k`` (the rule a backward step shows).

        >>> import numpy as np
        >>> from autograd import Tensor
        >>> W = Tensor(np.ones((2, 3)), requires_grad=True, label="W")
        >>> t = trace_forward((W @ np.ones(3)).sum(), {W: np.ones((2, 3))})
        >>> peak = trace_forward(W.max(), {W: np.ones((2, 3))})[0]
        >>> t[0].jvp_text(0), t[1].jvp_text(0), peak.jvp_text(0)
        ('(∂W/∂ε) @ y', 'Σ (∂#1/∂ε)', 'transposed vjp 1[W == max] / (number of ties)')
        """
        op = self.op
        if op.linear:
            names = ["0"] * len(self.input_names)
            for j in self.moving:
                names[self.inputs[j]] = tangent_name(self.parent_names[j])
            return _substitute(op.formula, {op.input_name(i): n for i, n in enumerate(names)})
        i = self.inputs[k]
        if op.tangents:
            dotted = {_DOTTED.get(op.input_name(i), ""): tangent_name(self.parent_names[k])}
            return _substitute(op.tangents[i], {**dict(zip(map(op.input_name, range(len(self.input_names))),
                                                            self.input_names)), **dotted})
        return f"transposed vjp {_in_names(op, self.input_names, _partial(op, i))}"

    def equation(self, fmt: str = ".4g") -> str:
        """The step as one line of the chain rule, in the nodes' names.

        ``∂n/∂ε = ∂n/∂p · ∂p/∂ε + … = (local) × input tangent + … = tangent``, over the
        parents with a tangent; tensors: ``⊙`` and shapes; structural ops: the op on the
        tangents (linear) or the transposed vector-Jacobian products, with the tangents.
        """
        n, sym = self.node_name, self.op.symbol
        moving = self.moving
        total = _cell(self.tangent, fmt)
        if not self.op.elementwise:
            given = ", ".join(f"{tangent_name(self.parent_names[k])} = {_cell(self.input_tangents[k], fmt)}"
                              for k in moving)
            if self.op.linear:
                return f"{sym}: {tangent_name(n)} = {self.jvp_text(0)} with {given}: {total}"
            chain = " + ".join(f"∂{n}/∂{self.parent_names[k]} · {tangent_name(self.parent_names[k])}"
                               for k in moving)
            if self.op.tangents:
                terms = " + ".join(self.jvp_text(k) for k in moving)
                return f"{sym}: {tangent_name(n)} = {terms} with {given}: {total}"
            rules = "; ".join(self.jvp_text(k).removeprefix("transposed vjp ") for k in moving)
            return f"{sym}: {tangent_name(n)} = {chain} with {given}: {total}  (transposed vjp: {rules})"
        dot, times = ("⊙", "⊙") if isinstance(self.node._data, np.ndarray) else ("·", "×")
        chain = " + ".join(f"∂{n}/∂{self.parent_names[k]} {dot} {tangent_name(self.parent_names[k])}"
                           for k in moving)
        numbers = " + ".join(f"({self.local_text(k, fmt)}) {times} {_cell(self.input_tangents[k], fmt)}"
                             for k in moving)
        return f"{sym}: {tangent_name(n)} = {chain} = {numbers} = {total}"

    def __str__(self) -> str:
        return f"[{self.index}] {self.equation()}"


class ForwardTrace(StepTable[TangentStep]):
    """Forward mode from the tangents ``seeds`` (input leaf → its tangent) to ``root``: a
    sequence of :class:`TangentStep`, one per node they reach, in topological order.
    ``str(trace)`` is the tangent table; the rest is :class:`~autograd.tracing.StepTable`'s
    (Markdown, LaTeX, pictures, the stepper, a notebook's display), each box's derivative
    cell (the picture option ``show``'s ``"grad"``) holding the node's tangent."""

    CELL = "tangent"
    LEGEND = ("Orange: the inputs pushing their tangents and the edges they take; "
              "green: the node receiving its tangent.")

    def __init__(self, root: Node, seeds: dict[Any, Any], steps: list[TangentStep],
                 names: dict[Any, str]) -> None:
        super().__init__(root, steps, names)
        self.seeds = seeds

    def __repr__(self) -> str:
        return f"<ForwardTrace of {self.names[self.root]}: {len(self.steps)} steps>"

    @property
    def tangents(self) -> dict[Any, Any]:
        """Each node's tangent ∂node/∂ε: the seeds' and each step's (a node left out: 0)."""
        out = dict(self.seeds)
        out.update((s.node, s.tangent) for s in self.steps)
        return out

    @property
    def tangent(self) -> Any:
        """The root's tangent (the last step's): the Jacobian-vector product ``J ẋ`` of
        :func:`autograd.jvp`."""
        last = self.steps[-1]
        assert last.node is self.root, "every input given is in the graph, so its tangent reaches the root"
        return last.tangent

    @property
    def header(self) -> tuple[str, ...]:
        """The table's column titles."""
        return ("#", "node", "op", "value", "input tangents ∂input/∂ε", "local ∂node/∂input",
                "local × input tangent", "tangent ∂node/∂ε")

    def row(self, step: TangentStep, fmt: str = ".4g") -> tuple[str, ...]:
        """One step's row of the table, as text (columns as :attr:`header`)."""
        tangents = "; ".join(f"{name}: {'0' if t is None else _cell(t, fmt)}"
                             for name, t in zip(step.parent_names, step.input_tangents))
        if not step.op.elementwise:
            shown = step.moving[:1] if step.op.linear else step.moving  # a linear op: one rule for all
            local = "; ".join(step.local_text(k, fmt) for k in shown)
            terms = "—"
        else:
            local = "; ".join(step.local_text(k, fmt) for k in range(len(step.locals)))
            terms = " + ".join(_cell(term, fmt) for term in step.terms if term is not None)
        return (str(step.index), step.node_name, step.op.symbol, _cell(step.value, fmt), tangents, local,
                terms, _cell(step.tangent, fmt))

    def about(self) -> str:
        """What the steps are, and what forward mode is for."""
        return (f"Forward mode from {self._inputs()} to {self.names[self.root]}: {len(self)} steps, one per "
                "node the tangents reach, in topological order. One forward pass per input direction gives "
                "every node's derivative along it (J ẋ); one backward pass per output gives that output's "
                "gradient for every input (uᵀ J): so reverse mode wins for one loss and many parameters, "
                "forward mode for one input and many outputs")

    def _inputs(self) -> str:
        """The seeded inputs' names, at most three and how many more."""
        names = [self.names[leaf] for leaf in self.seeds]
        if len(names) > 3:
            return f"{', '.join(names[:3])} and {len(names) - 3} more inputs"
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"

    def _heading(self) -> str:
        return f"Forward mode from {self._inputs()} to {self.names[self.root]}, step by step"

    def _start(self, fmt: str) -> stepper.Start:
        cells = {leaf: summary(t, fmt) for leaf, t in self.seeds.items()}
        reached = {s.node for s in self.steps}
        still = [node for node in self.names if node not in cells and node not in reached]
        cells.update(dict.fromkeys(still, "0"))
        given = ", ".join(f"{tangent_name(self.names[leaf])} = {cells[leaf]}" for leaf in self.seeds)
        rest = "; every other input's tangent is 0" if any(n._op is None for n in still) else ""
        return stepper.Start(cells, tuple(self.seeds), f"start: {given}{rest}")

    def _frame(self, step: TangentStep, fmt: str) -> stepper.Frame:
        parents = step.node._parents
        sources = tuple(dict.fromkeys(parents[k] for k in step.moving))
        caption = f"step {step.index}/{len(self)}: {step.equation(fmt)}"
        inputs = tuple(step.inputs[k] for k in step.moving)
        return stepper.Frame(step.node, sources, step.node, inputs, caption, summary(step.tangent, fmt))


def trace_forward(root: Node, tangents: Mapping[Any, Any]) -> ForwardTrace:
    """Forward mode from the input leaves of ``tangents`` to ``root``, every node's step
    recorded.  ``tangents`` maps input leaves of the graph below ``root`` to their tangents
    ``ẋ = ∂x/∂ε``: a number for a ``Value``, an array of its shape for a ``Tensor``; a leaf
    not given has tangent 0.
    The root's tangent (:attr:`ForwardTrace.tangent`) is the Jacobian-vector product
    ``J ẋ`` of :func:`autograd.jvp`.  No node changes.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x")
    >>> t = trace_forward(x * x, {x: 1.0})
    >>> [(s.terms, s.tangent) for s in t]    # d(x²)/dx = x + x
    [((3.0, 3.0), 6.0)]
    """
    check_root("trace_forward", root)
    if root._op is None:
        raise ValueError(f"trace_forward: the root {root!r} is a leaf, not the result of an op: there is no "
                         "forward pass to trace (trace the loss or output computed from it)")
    if not isinstance(tangents, Mapping):
        raise TypeError("trace_forward: tangents must be a dict from input leaves to their tangents "
                        f"(e.g. {{x: 1.0}}), not {type(tangents).__name__}")
    if not tangents:
        raise ValueError("trace_forward: tangents is empty: give at least one input leaf a tangent "
                         "(e.g. {x: 1.0}); every other input's tangent is 0")
    names = node_names(root, topological_order(root))
    seeds = {leaf: _seed(leaf, t, names) for leaf, t in tangents.items()}
    recorder = _Recorder(names)
    push_tangents(root, seeds, on_node=recorder)
    return ForwardTrace(root, seeds, recorder.steps, names)


def _seed(leaf: Any, tangent: Any, names: dict[Any, str]) -> Any:
    """``tangent`` checked against its ``leaf``: a float, or an array of the leaf's shape and dtype."""
    if not isinstance(leaf, Node):
        raise TypeError(f"trace_forward: tangents must be keyed by the input leaves (Values or Tensors), "
                        f"not {type(leaf).__name__} ({leaf!r})")
    if leaf not in names:
        why = " (a Tensor takes part only with requires_grad=True)" if isinstance(leaf, Tensor) else ""
        raise ValueError(f"trace_forward: tangents holds {leaf!r}, which is not in the graph below the "
                         f"root{why}")
    if leaf._op is not None:
        raise ValueError(f"trace_forward: tangents holds {names[leaf]}, the result of {leaf._op.name}, not "
                         "an input leaf; give the tangents of the inputs it was computed from")
    if not isinstance(leaf._data, np.ndarray):
        if isinstance(tangent, bool) or not isinstance(tangent, Real):
            raise TypeError(f"trace_forward: the tangent of {names[leaf]} must be a number, like its value, "
                            f"not {type(tangent).__name__}")
        return float(tangent)
    if isinstance(tangent, Node):
        raise TypeError(f"trace_forward: the tangent of {names[leaf]} must be an array, not a "
                        f"{type(tangent).__name__}")
    a = np.array(tangent, dtype=leaf._data.dtype)
    if a.shape != leaf._data.shape:
        raise ValueError(f"trace_forward: the tangent of {names[leaf]} has shape {a.shape}, the input "
                         f"{leaf._data.shape}")
    return a


class _Recorder:
    """Forward mode's ``on_node`` hook: turns each node it reaches into a :class:`TangentStep`."""

    def __init__(self, names: dict[Any, str]) -> None:
        self.names = names
        self.steps: list[TangentStep] = []

    def __call__(self, node: Any, input_tangents: tuple[Any, ...], locals_: tuple[Any, ...],
                 tangent: Any) -> None:
        self.steps.append(TangentStep(
            len(self.steps) + 1, node, _snapshot(node._data), tuple(_snapshot(t) for t in input_tangents),
            tuple(_snapshot(d) for d in locals_), _snapshot(tangent), self.names[node],
            tuple(self.names[p] for p in node._parents), _input_names(node, self.names)))
