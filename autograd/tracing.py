"""A record of the backward pass: one :class:`Step` per chain-rule application.

:func:`trace` runs the engine's backward pass privately (no ``.grad`` changes: call
``backward()`` for the gradients) and records every edge it pushes a gradient along,
in the engine's order.  A step says which node pushed (``node``, its ``op``), its gradient
``upstream`` = ∂L/∂node (the ``grad_out`` of the op table's formulas), the ``local``
derivative ∂node/∂parent with its formula,
the ``contribution`` upstream × local pushed to ``parent`` (summed back to the
parent's shape for broadcast tensors: ``summed_axes``) and ``parent_grad``, the
parent's gradient accumulated so far in this pass, so a fan-out's sum builds up
step by step.

Every formula is written in the names of the step's own nodes (labels, else ``#k``):
``∂(x1 * w1)/∂w1 = x1``, not the op table's ``∂(x * y)/∂y = x``.  A :class:`Trace`
prints as a table; ``to_markdown()``/``to_latex()`` export it; ``frames()`` pictures
each step (with :mod:`autograd.drawing`); ``to_html()``/``save_html()`` make the
stepper (:mod:`autograd.stepper`), which a notebook shows inline.  All of that is
:class:`StepTable`, which the forward-mode trace (:mod:`autograd.forward_tracing`) shares.
``trace(root, create_graph=True)`` traces the backward pass of
``backward(create_graph=True)``: the same steps and numbers, each a node.

>>> from autograd import Value
>>> x = Value(0.5, label="x")
>>> y = x.tanh()
>>> y.label = "y"
>>> y.backward()
>>> t = trace(y)
>>> print(t[0].local_text(".4f"))
∂tanh(x)/∂x = 1 - tanh(x)² = 0.7864
>>> t[0].contribution == t[0].upstream * t[0].local == x.grad
True
"""

from __future__ import annotations

import heapq
import os
import re
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar, overload

import numpy as np

from autograd import stepper
from autograd.atomic import atomic_write
from autograd.drawing import HIGHLIGHT, RECEIVING, Digraph, NoGraphviz, Scene, check_root, options
from autograd.node import Node, consumers, run_backward, topological_order
from autograd.ops import Op
from autograd.structural import broadcast_axes
from autograd.text import latex, markdown_table, node_names, summary


@dataclass(frozen=True, eq=False)
class Step:
    """One chain-rule application: ``contribution = upstream × local`` pushed from
    ``node`` to ``parent`` (for broadcast tensors summed over ``summed_axes``), after
    which the parent's gradient in this pass is ``parent_grad``.

    ``upstream`` is ∂root/∂node, the ``grad_out`` of the op table's formulas.  ``input``
    is the parent's position among the op's inputs (``x * x`` pushes to ``x`` twice, as
    input 0 and as input 1).  ``local`` is ``None`` for structural
    tensor ops (``@``, ``sum``, ``reshape`` ...), which give a vector-Jacobian
    product instead: see ``partial``.  ``input_names`` names each of the op's inputs
    as the trace does (labels, ``#k``; a constant tensor input by its value, or by the
    op's name for it), so formulas read in the user's names.

    In a trace of ``create_graph=True`` the numbers are nodes (``upstream``, ``local`` where
    it is not a constant, ``contribution``, ``parent_grad``), differentiable again; their
    data are the numbers of the first-order trace.
    """

    index: int
    """1-based position of the step in the pass."""
    node: Any
    parent: Any
    input: int
    upstream: Any
    local: Any
    contribution: Any
    parent_grad: Any
    summed_axes: tuple[int, ...]
    node_name: str
    parent_name: str
    root_name: str
    input_names: tuple[str, ...] = ()

    @property
    def op(self) -> Op:
        """The op that made ``node``."""
        op = self.node.op
        assert op is not None, "a step always starts at an op result"
        return op

    @property
    def variable(self) -> str:
        """The name of ``parent``'s input slot in the op's formula (``linear``: x, W, b)."""
        return self.op.input_name(self.input)

    @property
    def partial(self) -> str:
        """The local derivative's formula, as the op table writes it (e.g. ``1 - tanh(x)²``)."""
        return _partial(self.op, self.input)

    def in_names(self, text: str) -> str:
        """The op table's ``text`` (a formula in its inputs x, y, W, ... and ``grad_out``)
        written in the names of this step's nodes, ``grad_out`` as δ.

        >>> from autograd import Value
        >>> x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
        >>> trace(x1 * w1)[1].in_names("∂(x * y)/∂y = x")
        '∂(x1 * w1)/∂w1 = x1'
        """
        return _in_names(self.op, self.input_names, text)

    def local_text(self, fmt: str = ".4g") -> str:
        """``∂f(x1)/∂x1 = formula = value`` in the nodes' names (structural op: ``vjp: rule``)."""
        if self.local is None:
            return f"vjp: {self.in_names(self.partial)}"
        return _local_text(self.op, self.input, self.input_names, self.local, fmt)

    def equation(self, fmt: str = ".4g") -> str:
        """The step as one line of the chain rule, in the nodes' names.

        ``∂L/∂p += ∂L/∂n · ∂n/∂p = upstream × (local) = contribution  ⇒ ∂L/∂p = parent_grad``;
        tensors: ``⊙`` and shapes, ``Σ_batch`` (or the axes summed) where broadcasting is
        undone; structural ops: their vector-Jacobian product in the textbook's form, with
        δ = ∂L/∂n (``linear``: ``∂L/∂W += δᵀ @ x``, ``∂L/∂b += Σ_batch δ``).
        """
        L, n, p = self.root_name, self.node_name, self.parent_name
        total = f"⇒ ∂{L}/∂{p} = {_cell(self.parent_grad, fmt)}"
        if not isinstance(self.node._data, np.ndarray):
            return (f"{self.op.symbol}: ∂{L}/∂{p} += ∂{L}/∂{n} · ∂{n}/∂{p} = {_cell(self.upstream, fmt)} × "
                    f"({self.local_text(fmt)}) = {_cell(self.contribution, fmt)}  {total}")
        if self.local is None:
            return (f"{self.op.symbol}: ∂{L}/∂{p} += {self.in_names(self.partial)} with δ = ∂{L}/∂{n} = "
                    f"{_cell(self.upstream, fmt)}: {_cell(self.contribution, fmt)}  {total}")
        sigma = f"{self.sum_text} " if self.summed_axes else ""
        up = _cell(self.upstream, fmt)
        return (f"{self.op.symbol}: ∂{L}/∂{p} += {sigma}∂{L}/∂{n} ⊙ ∂{n}/∂{p} = {sigma}{up}"
                f" ⊙ ({self.local_text(fmt)}) = {_cell(self.contribution, fmt)}  {total}")

    @property
    def sum_text(self) -> str:
        """How the step undoes broadcasting: ``Σ_batch`` (axis 0 of a batch), ``Σ_axes[...]``,
        or ``""`` when it sums nothing."""
        if not self.summed_axes:
            return ""
        if self.summed_axes == (0,) and np.ndim(_numbers(self.upstream)) == 2:
            return "Σ_batch"
        return f"Σ_axes{list(self.summed_axes)}"

    def __str__(self) -> str:
        return f"[{self.index}] {self.equation()}"


_PLAIN_NAME = re.compile(r"[\w\[\].,#']+")
_ONE_TERM = re.compile(r"[\w\[\].,#']+|\w+\((?:[^()]|\([^()]*\))*\)")  # a name, or f(...) whole


def _substitute(text: str, names: dict[str, str]) -> str:
    """``text`` with each whole-word occurrence of a key of ``names`` replaced by its name,
    all at once; a name of more than one word goes in parentheses unless already in them."""
    keys = sorted(names, key=len, reverse=True)
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, keys)) + r")(?![A-Za-z0-9_])")

    def name(m: re.Match[str]) -> str:
        new = names[m.group(1)]
        enclosed = text[m.start() - 1:m.start()] == "(" and text[m.end():m.end() + 1] == ")"
        return new if enclosed or _PLAIN_NAME.fullmatch(new) else f"({new})"

    return pattern.sub(name, text)


def _in_names(op: Op, input_names: Sequence[str], text: str) -> str:
    """The op table's ``text`` in the names ``input_names`` of the op's inputs, ``grad_out`` as δ."""
    names = {op.input_name(i): n for i, n in enumerate(input_names)}
    names["grad_out"] = "δ"
    return _substitute(text, names)


def _partial(op: Op, i: int) -> str:
    """The op table's formula of the local derivative for input ``i`` (``"?"``: none written)."""
    partials = op.partials
    if not partials:
        return "?"
    return partials[i] if i < len(partials) else partials[-1]


def _local_text(op: Op, i: int, input_names: Sequence[str], local: Any, fmt: str) -> str:
    """``∂f(x1)/∂x1 = formula = value``: an elementwise op's local derivative for input
    ``i``, in the names of its inputs, with its value ``local``."""
    formula = op.formula
    f = formula if _ONE_TERM.fullmatch(formula) else f"({formula})"
    head = _in_names(op, input_names, f"∂{f}/∂{op.input_name(i)}")
    if input_names.count(input_names[i]) > 1:  # x * x: say which of x's slots
        head += f" (input {i + 1} of {len(input_names)})"
    partial = _in_names(op, input_names, _partial(op, i))
    head += " = " + partial
    return head if _is_number(partial, local) else f"{head} = {_cell(local, fmt)}"


def _input_names(node: Any, names: dict[Any, str]) -> tuple[str, ...]:
    """The names of ``node``'s op inputs: the parents' names; a constant tensor input's
    value when it holds one number, else the op's name for the input (``x`` of ``linear``)."""
    count = len(node.inputs) if isinstance(node._data, np.ndarray) else len(node._parents)
    out: list[str] = [""] * count
    for slot, p in zip(node.parent_slots, node._parents):
        out[slot] = names[p]
    for i, name in enumerate(out):
        if not name:
            x = node.inputs[i]
            out[i] = summary(x) if np.size(x) == 1 else node.op.input_name(i)
    return tuple(out)


def _numbers(x: Any) -> Any:
    """``x``'s numbers: a node's (a ``create_graph`` trace records nodes) or ``x`` itself."""
    return x._data if isinstance(x, Node) else x


def _is_number(text: str, x: Any) -> bool:
    """Whether the formula ``text`` is just the number ``x`` (``"1"`` for add, a constant
    input's value for mul): no need to repeat it."""
    try:
        return bool(np.all(float(text) == _numbers(x)))
    except ValueError:
        return False


def _cell(x: Any, fmt: str) -> str:
    """A number, or an array's shape and summary (a node: its value's)."""
    x = _numbers(x)
    if isinstance(x, np.ndarray) and x.ndim:
        return f"{x.shape} {summary(x, fmt)}"
    return summary(x, fmt)


def _snapshot(x: Any) -> Any:
    """An array copied (later in-place updates of a grad must not rewrite the record); a
    float or a node (whose data no pass changes) as is."""
    return np.array(x, copy=True) if isinstance(x, np.ndarray) else x


S = TypeVar("S")


class StepTable(Sequence[S]):
    """What a traced pass is, whichever its direction (:class:`Trace`, the backward pass;
    :class:`~autograd.forward_tracing.ForwardTrace`, forward mode): a sequence of steps
    over the graph below ``root`` (its nodes named by ``names``) that prints as a table
    (``str``, :meth:`to_markdown`, :meth:`to_latex`), pictures each step (:meth:`frames`)
    and steps through them on one page (:meth:`to_html`, :meth:`save_html`; inline in a
    notebook, or the Markdown table where there is no Graphviz)."""

    CELL: ClassVar[str]
    """The word of a box's derivative cell in pictures: ``grad``, ``tangent``."""
    LEGEND: ClassVar[str]
    """What the colours of a step mark, said under the stepper."""

    def __init__(self, root: Node, steps: list[S], names: dict[Any, str]) -> None:
        self.root = root
        self.steps = steps
        self.names = names

    @overload
    def __getitem__(self, i: int) -> S: ...
    @overload
    def __getitem__(self, i: slice) -> list[S]: ...

    def __getitem__(self, i: int | slice) -> S | list[S]:
        return self.steps[i]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[S]:
        return iter(self.steps)

    # -- what each direction says ---------------------------------------------------------
    @property
    @abstractmethod
    def header(self) -> tuple[str, ...]:
        """The table's column titles."""

    @abstractmethod
    def row(self, step: S, fmt: str = ".4g") -> tuple[str, ...]:
        """One step's row of the table, as text (columns as :attr:`header`)."""

    @abstractmethod
    def about(self) -> str:
        """What the steps are: how many, of which pass, in which order."""

    @abstractmethod
    def _heading(self) -> str:
        """The stepper page's default title."""

    @abstractmethod
    def _start(self, fmt: str) -> stepper.Start:
        """The picture before the first step: the cells known, the nodes marked, the caption."""

    @abstractmethod
    def _frame(self, step: S, fmt: str) -> stepper.Frame:
        """What the pictures and the stepper show of ``step``."""

    # -- the table ----------------------------------------------------------------------
    def rows(self, fmt: str = ".4g") -> list[tuple[str, ...]]:
        """The table's rows as text, one per step (columns as :attr:`header`)."""
        return [self.row(s, fmt) for s in self.steps]

    def table(self, fmt: str = ".4g") -> str:
        """The steps as an aligned plain-text table."""
        rows = [self.header, *self.rows(fmt)]
        widths = [max(len(r[c]) for r in rows) for c in range(len(self.header))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def to_markdown(self, fmt: str = ".4g", max_rows: int | None = None) -> str:
        """The steps as a GitHub-flavoured Markdown table (``|``, ``\\``, ``*``, ``_`` ... escaped);
        ``max_rows``: only the first so many, then a line saying how many were left out."""
        rows = [self.row(s, fmt) for s in self.steps[:max_rows]]
        table = markdown_table(self.header, rows)
        if len(rows) < len(self):
            table += f"\n\n… and {len(self) - len(rows):,} more steps"
        return table

    def to_latex(self, fmt: str = ".4g") -> str:
        """The steps as a LaTeX ``tabular`` that plain ``pdflatex`` compiles: each cell through
        :func:`autograd.text.latex` (special characters escaped; ∂, σ, ², ᵀ, … as math;
        minus signs as real minus signs)."""
        spec = "r" + "l" * (len(self.header) - 1)
        lines = [f"\\begin{{tabular}}{{{spec}}}", "\\hline",
                 " & ".join(latex(h) for h in self.header) + " \\\\", "\\hline"]
        lines += [" & ".join(latex(c) for c in r) + " \\\\" for r in self.rows(fmt)]
        lines += ["\\hline", "\\end{tabular}"]
        return "\n".join(lines)

    # -- pictures and the stepper ----------------------------------------------------------
    def frames(self, **opts: Any) -> list[Digraph]:
        """One picture per step, marked as the stepper marks it (:attr:`LEGEND`: orange, where
        the derivative comes from, and the edges it takes; green, the node it reaches), each
        node's derivative cell filled in once it is known (``?`` before), the step's equation
        as the caption.  ``opts``: the picture options of :func:`autograd.drawing.options`.
        (Each is a whole picture: for many steps, the stepper of :meth:`save_html` is far smaller.)"""
        scene = Scene(self.root, options("frames", **opts))
        fmt = scene.opts.fmt
        start = self._start(fmt)
        frames = [self._frame(s, fmt) for s in self.steps]
        cells = dict(start.cells)
        # Every frame gives a node's cell the same width, so dot lays out each frame the same.
        widths = stepper.cell_widths(start.cells, ((f.target, f.text) for f in frames), self.CELL)
        out: list[Digraph] = []
        for f in frames:
            cells[f.target] = f.text
            marks = dict.fromkeys(f.sources, HIGHLIGHT)
            marks[f.target] = RECEIVING
            out.append(scene.digraph(lambda node: cells.get(node, "?"), marks, (f.node, f.inputs), f.caption,
                                     widths, f"f{len(out)}", self.CELL))
        return out

    def to_html(self, *, title: str | None = None, max_steps: int | None = stepper.MAX_STEPS,
                **opts: Any) -> str:
        """The stepper: one self-contained HTML page (inline SVG and script, nothing from
        the network) with the graph laid out once and every step as data.  Previous/next
        buttons, a slider and the arrow keys (Home/End jump) step; the wheel, dragging and
        the buttons zoom and pan, "fit" shows the whole graph, and "follow" (on) keeps the
        active step on screen at a readable size; each step's equation is always shown.
        ``opts``: the picture options of
        :func:`autograd.drawing.options`; here ``max_nodes`` defaults to
        :data:`autograd.stepper.MAX_NODES`.  A graph past ``max_nodes`` or a trace past
        ``max_steps`` gives a smaller page that says what it left out, and a warning.
        Needs Graphviz's ``dot`` program."""
        return self._page("to_html", title, max_steps, opts)

    def save_html(self, path: str | os.PathLike[str], *, title: str | None = None,
                  max_steps: int | None = stepper.MAX_STEPS, **opts: Any) -> Path:
        """Write the stepper of :meth:`to_html` to ``path`` (atomically); returns the path."""
        page = self._page("save_html", title, max_steps, opts)
        target = Path(path)
        with atomic_write(target, "w", encoding="utf-8") as f:
            f.write(page)
        return target

    def _repr_html_(self) -> str | None:
        """The stepper inline in a notebook (an ``<iframe>``); None without Graphviz, so
        the notebook shows the Markdown table instead."""
        try:
            return stepper.iframe(self._page("the notebook's stepper", None, stepper.MAX_STEPS, {}))
        except NoGraphviz:
            return None

    def _repr_markdown_(self) -> str:
        """The step table, for notebooks and viewers without HTML (at most 200 rows)."""
        return f"**{self.about()}**\n\n" + self.to_markdown(max_rows=200)

    def _page(self, what: str, title: str | None, max_steps: int | None, opts: dict[str, Any]) -> str:
        chosen = options(what, **{"max_nodes": stepper.MAX_NODES, **opts})
        fmt = chosen.fmt
        return stepper.page(self.root, self._start(fmt), [self._frame(s, fmt) for s in self.steps],
                            cell=self.CELL, legend=self.LEGEND,
                            title=title if title is not None else self._heading(), about=self.about() + ".",
                            opts=chosen, max_steps=max_steps, what=what)


class Trace(StepTable[Step]):
    """The steps of one backward pass from ``root``, which started from the gradient
    ``grad`` = ∂root/∂root, in the order ``order`` (``"engine"`` or ``"layers"``: see
    :func:`trace`); a sequence of :class:`Step`.  ``str(trace)`` is a table; see also
    :meth:`~StepTable.to_markdown`, :meth:`~StepTable.to_latex`, :meth:`~StepTable.frames`
    and :meth:`~StepTable.save_html`.  In a notebook a trace shows itself as the stepper
    (Markdown table where no Graphviz).  ``create_graph``: the pass of
    ``backward(create_graph=True)``, whose numbers are nodes."""

    CELL = "grad"
    LEGEND = "Orange: the node pushing its gradient and its edge; green: the parent receiving it."

    def __init__(self, root: Node, grad: Any, steps: list[Step], names: dict[Any, str],
                 order: str = "engine", create_graph: bool = False) -> None:
        super().__init__(root, steps, names)
        self.grad = grad
        self.order = order
        self.create_graph = create_graph

    def __repr__(self) -> str:
        return f"<Trace of {self.names[self.root]}: {len(self.steps)} steps>"

    @property
    def grads(self) -> dict[Any, Any]:
        """Each node's gradient ∂root/∂node at the end of the pass (what one ``backward()``
        from zero gives it): the root's starting gradient and each node's last ``parent_grad``."""
        out: dict[Any, Any] = {self.root: self.grad}
        out.update((s.parent, s.parent_grad) for s in self.steps)
        return out

    @property
    def header(self) -> tuple[str, ...]:
        """The table's column titles, in the root's name (``upstream ∂C/∂node`` for a root ``C``)."""
        L = self.names[self.root]
        return ("#", "node", "op", f"upstream ∂{L}/∂node", "local ∂node/∂parent", "contribution", "parent",
                f"parent grad ∂{L}/∂parent")

    def row(self, step: Step, fmt: str = ".4g") -> tuple[str, ...]:
        """One step's row of the table, as text (columns as :attr:`header`)."""
        contribution = _cell(step.contribution, fmt)
        if step.summed_axes:
            contribution += f" ({step.sum_text})"
        return (str(step.index), step.node_name, step.op.symbol, _cell(step.upstream, fmt),
                step.local_text(fmt), contribution, step.parent_name, _cell(step.parent_grad, fmt))

    def about(self) -> str:
        """What the steps are: how many, from which root, in which order."""
        if self.order == "engine":
            order = "in the order backward() runs them"
        else:
            order = "layer by layer: the loss, then the output layer, then each layer below it"
        name = self.names[self.root]
        if self.create_graph:
            name += " with create_graph=True (each number a node, differentiable again)"
        return f"Backward pass of {name}: {len(self)} chain-rule steps, {order}"

    def _heading(self) -> str:
        return f"Backward pass of {self.names[self.root]}, step by step"

    def _start(self, fmt: str) -> stepper.Start:
        name, grad = self.names[self.root], summary(self.grad, fmt)
        return stepper.Start({self.root: grad}, (self.root,), f"start: ∂{name}/∂{name} = {grad}")

    def _frame(self, step: Step, fmt: str) -> stepper.Frame:
        caption = f"step {step.index}/{len(self)}: {step.equation(fmt)}"
        return stepper.Frame(step.node, (step.node,), step.parent, (step.input,), caption,
                             summary(step.parent_grad, fmt))


ORDERS = ("engine", "layers")
"""The orders a trace's steps can come in: see :func:`trace`."""


def trace(root: Node, grad: Any = None, *, order: str = "engine", create_graph: bool = False) -> Trace:
    """The backward pass from ``root`` (starting from ``grad``: 1 for a ``Value`` or a
    one-element ``Tensor`` when left out), every chain-rule step of it recorded.

    The pass is private: no node's ``.grad`` changes, before or after ``backward()``
    (which is what fills ``.grad``).  Each step's ``parent_grad`` is the parent's
    gradient summed so far in this pass, so the last step into a node holds what one
    ``backward()`` from zero gives it.

    ``order``: ``"engine"``, the order ``backward()`` runs in; or ``"layers"``, layer
    by layer: the steps of each :func:`~autograd.scope` (an ``nn`` module) together,
    the scope nearest the root (the loss, then the output layer) first, as the textbook
    derives δ(L), then δ(L-1), ...  Both visit each node only once every node that used
    it has pushed to it, so the gradients come out the same.

    ``create_graph=True``: the pass ``backward(create_graph=True)`` runs, each local
    derivative, contribution and gradient recorded as a node (see :func:`~autograd.node.run_backward`):
    the same steps, the same numbers, and each gradient differentiable again.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x")
    >>> t = trace(x * x)
    >>> [(s.input, s.contribution, s.parent_grad) for s in t], x.grad
    ([(0, 3.0, 3.0), (1, 3.0, 6.0)], 0.0)
    >>> dx = trace(x * x, create_graph=True).grads[x]    # 2x, a node
    >>> dx.data, dx.op.name
    (6.0, 'add')
    """
    check_root("trace", root)
    if order not in ORDERS:
        raise ValueError(f"trace: order must be one of {ORDERS}, not {order!r}")
    first = root._first_grad(grad, "trace")
    if root._op is None:
        raise ValueError(f"trace: the root {root!r} is a leaf, not the result of an op: there is no "
                         "backward pass to trace (trace the loss or output computed from it)")
    topological = topological_order(root)
    names = node_names(root, topological)
    recorder = _Recorder(names, names[root])
    steps = None if order == "engine" else _by_scope(root, topological)
    start = root._lift(first) if create_graph else _snapshot(first)
    run_backward(root, start, on_step=recorder, accumulate=False, order=steps, create_graph=create_graph)
    return Trace(root, start, recorder.steps, names, order, create_graph)


def _by_scope(root: Node, topological: list[Any]) -> list[Any]:
    """The op nodes in a backward order that takes one scope at a time: of the nodes
    ready (every consumer done), those of the scope whose last node comes latest in
    ``topological`` first, then the latest node."""
    index = {node: k for k, node in enumerate(topological)}
    rank = {node.scope: k for k, node in enumerate(topological)}  # a scope's last position
    left = consumers(root)
    ready = [(-rank[root.scope], -index[root], root)]
    order = []
    while ready:
        node = heapq.heappop(ready)[2]
        order.append(node)
        for p in node._parents:
            if p._op is not None:
                left[p] -= 1
                if not left[p]:
                    heapq.heappush(ready, (-rank[p.scope], -index[p], p))
    return order


class _Recorder:
    """The engine's ``on_step`` hook: turns each edge it pushes along into a :class:`Step`.

    The engine reports a node's edges one after another, in the order of its
    parents, so counting them gives each parent's input slot (``node.parent_slots``)."""

    def __init__(self, names: dict[Any, str], root_name: str) -> None:
        self.names, self.root_name = names, root_name
        self.steps: list[Step] = []
        self.node: Any = None
        self.grad_out: Any = None
        self.slots: tuple[int, ...] = ()
        self.inputs: tuple[str, ...] = ()
        self.edge = 0

    def __call__(self, node: Any, parent: Any, grad_out: Any, local: Any, contribution: Any,
                 parent_grad: Any) -> None:
        if node is not self.node:
            self.slots = node.parent_slots
            self.node, self.grad_out, self.edge = node, _snapshot(grad_out), 0
            self.inputs = _input_names(node, self.names)
        i = self.slots[self.edge]
        self.edge += 1
        summed: tuple[int, ...] = ()
        if node.op.elementwise and isinstance(node._data, np.ndarray):
            summed = broadcast_axes(np.shape(_numbers(grad_out)), np.shape(_numbers(contribution)))
        self.steps.append(Step(len(self.steps) + 1, node, parent, i, self.grad_out, _snapshot(local),
                               _snapshot(contribution), _snapshot(parent_grad), summed,
                               self.names[node], self.names[parent], self.root_name, self.inputs))
