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
stepper (:mod:`autograd.stepper`), which a notebook shows inline.

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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from autograd import stepper
from autograd.atomic import atomic_write
from autograd.drawing import HIGHLIGHT, RECEIVING, Digraph, NoGraphviz, Options, Scene, check_root, options
from autograd.node import Node, consumers, run_backward, topological_order
from autograd.ops import Op
from autograd.tensor import broadcast_axes
from autograd.text import latex, markdown, node_names, summary


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
        partials = self.op.partials
        if not partials:
            return "?"
        return partials[self.input] if self.input < len(partials) else partials[-1]

    def in_names(self, text: str) -> str:
        """The op table's ``text`` (a formula in its inputs x, y, W, ... and ``grad_out``)
        written in the names of this step's nodes, ``grad_out`` as δ.

        >>> from autograd import Value
        >>> x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
        >>> trace(x1 * w1)[1].in_names("∂(x * y)/∂y = x")
        '∂(x1 * w1)/∂w1 = x1'
        """
        names = {self.op.input_name(i): n for i, n in enumerate(self.input_names)}
        names["grad_out"] = "δ"
        return _substitute(text, names)

    def local_text(self, fmt: str = ".4g") -> str:
        """``∂f(x1)/∂x1 = formula = value`` in the nodes' names (structural op: ``vjp: rule``)."""
        if self.local is None:
            return f"vjp: {self.in_names(self.partial)}"
        formula = self.op.formula
        f = formula if _ONE_TERM.fullmatch(formula) else f"({formula})"
        head = self.in_names(f"∂{f}/∂{self.variable}")
        if self.input_names.count(self.parent_name) > 1:  # x * x: say which of x's slots
            head += f" (input {self.input + 1} of {len(self.input_names)})"
        head += " = " + self.in_names(self.partial)
        return head if _is_number(self.partial, self.local) else f"{head} = {_cell(self.local, fmt)}"

    def equation(self, fmt: str = ".4g") -> str:
        """The step as one line of the chain rule, in the nodes' names.

        ``∂L/∂p += ∂L/∂n · ∂n/∂p = upstream × (local) = contribution  ⇒ ∂L/∂p = parent_grad``;
        tensors: ``⊙`` and shapes, ``Σ_batch`` (or the axes summed) where broadcasting is
        undone; structural ops: their vector-Jacobian product in the textbook's form, with
        δ = ∂L/∂n (``linear``: ``∂L/∂W += δᵀ @ x``, ``∂L/∂b += Σ_batch δ``).
        """
        L, n, p = self.root_name, self.node_name, self.parent_name
        total = f"⇒ ∂{L}/∂{p} = {_cell(self.parent_grad, fmt)}"
        if not isinstance(self.node.data, np.ndarray):
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
        if self.summed_axes == (0,) and np.ndim(self.upstream) == 2:
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


def _is_number(text: str, x: Any) -> bool:
    """Whether the formula ``text`` is just the number ``x`` (``"1"`` for add): no need to repeat it."""
    try:
        return bool(np.all(float(text) == x))
    except ValueError:
        return False


def _cell(x: Any, fmt: str) -> str:
    """A number, or an array's shape and summary."""
    if isinstance(x, np.ndarray) and x.ndim:
        return f"{x.shape} {summary(x, fmt)}"
    return summary(x, fmt)


def _snapshot(x: Any) -> Any:
    """An array copied (later in-place updates of a grad must not rewrite the record); a float as is."""
    return np.array(x, copy=True) if isinstance(x, np.ndarray) else x


class Trace(Sequence[Step]):
    """The steps of one backward pass from ``root``, which started from the gradient
    ``grad`` = ∂root/∂root, in the order ``order`` (``"engine"`` or ``"layers"``: see
    :func:`trace`); a sequence of :class:`Step`.  ``str(trace)`` is a table; see also
    :meth:`to_markdown`, :meth:`to_latex`, :meth:`frames` and :meth:`save_html`.  In a
    notebook a trace shows itself as the stepper (Markdown table where no Graphviz)."""

    def __init__(self, root: Node, grad: Any, steps: list[Step], names: dict[Any, str],
                 order: str = "engine") -> None:
        self.root = root
        self.grad = grad
        self.steps = steps
        self.names = names
        self.order = order

    @overload
    def __getitem__(self, i: int) -> Step: ...
    @overload
    def __getitem__(self, i: slice) -> list[Step]: ...

    def __getitem__(self, i: int | slice) -> Step | list[Step]:
        return self.steps[i]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

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

    def rows(self, fmt: str = ".4g") -> list[tuple[str, ...]]:
        """The table's rows as text, one per step (columns as :attr:`header`)."""
        out: list[tuple[str, ...]] = []
        for s in self.steps:
            contribution = _cell(s.contribution, fmt)
            if s.summed_axes:
                contribution += f" ({s.sum_text})"
            out.append((str(s.index), s.node_name, s.op.symbol, _cell(s.upstream, fmt), s.local_text(fmt),
                        contribution, s.parent_name, _cell(s.parent_grad, fmt)))
        return out

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
        rows = self.rows(fmt) if max_rows is None else Trace(self.root, self.grad, self.steps[:max_rows],
                                                             self.names, self.order).rows(fmt)
        lines = ["| " + " | ".join(markdown(h) for h in self.header) + " |",
                 "|" + "|".join("---" for _ in self.header) + "|"]
        lines += ["| " + " | ".join(markdown(c) for c in r) + " |" for r in rows]
        if len(rows) < len(self):
            lines.append(f"\n… and {len(self) - len(rows):,} more steps")
        return "\n".join(lines)

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

    def frames(self, **opts: Any) -> list[Digraph]:
        """One picture per step: the pushing node and the edge it pushes along in
        orange, the receiving parent in green, each grad filled in once it is known
        (``?`` before), the step's chain-rule equation as the caption.  ``opts``: the
        picture options of :func:`autograd.drawing.options`.  (Each is a whole picture:
        for many steps, the stepper of :meth:`save_html` is far smaller.)"""
        return self._pictures(options("frames", **opts))

    def to_html(self, *, title: str | None = None, max_steps: int | None = stepper.MAX_STEPS,
                **opts: Any) -> str:
        """The stepper: one self-contained HTML page (inline SVG and script, nothing from
        the network) with the graph laid out once and every step as data.  Previous/next
        buttons, a slider and the arrow keys (Home/End jump) step; the wheel, dragging and
        the buttons zoom and pan, "fit" shows the whole graph, and "follow" (on) keeps the
        active step on screen at a readable size; each step's chain-rule equation is
        always shown.  ``opts``: the picture options of
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

    def about(self) -> str:
        """What the steps are: how many, from which root, in which order."""
        if self.order == "engine":
            order = "in the order backward() runs them"
        else:
            order = "layer by layer: the loss, then the output layer, then each layer below it"
        return f"Backward pass of {self.names[self.root]}: {len(self)} chain-rule steps, {order}"

    def _page(self, what: str, title: str | None, max_steps: int | None, opts: dict[str, Any]) -> str:
        chosen = options(what, **{"max_nodes": stepper.MAX_NODES, **opts})
        fmt = chosen.fmt
        frames = [stepper.Frame(s.node, s.parent, s.input, f"step {s.index}/{len(self)}: {s.equation(fmt)}",
                                summary(s.parent_grad, fmt)) for s in self]
        heading = title if title is not None else f"Backward pass of {self.names[self.root]}, step by step"
        return stepper.page(self.root, summary(self.grad, fmt), self._start_caption(fmt), frames,
                            title=heading, about=self.about() + ".", opts=chosen, max_steps=max_steps,
                            what=what)

    def _start_caption(self, fmt: str) -> str:
        root_name = self.names[self.root]
        return f"start: ∂{root_name}/∂{root_name} = {summary(self.grad, fmt)}"

    def _pictures(self, opts: Options) -> list[Digraph]:
        """A picture per step, grads filled in as known."""
        scene = Scene(self.root, opts)
        fmt, unknown = scene.opts.fmt, "?"
        grads: dict[Any, str] = {self.root: summary(self.grad, fmt)}
        # Every frame gives a node's grad cell the same width, so dot lays out each frame the same.
        widths = stepper.grad_widths(self.root, grads[self.root],
                                     ((s.parent, summary(s.parent_grad, fmt)) for s in self))

        def grad_text(node: Any) -> str:
            return grads.get(node, unknown)

        out: list[Digraph] = []
        for step in self:
            grads[step.parent] = summary(step.parent_grad, fmt)
            caption = f"step {step.index}/{len(self)}: {step.equation(fmt)}"
            marks = {step.node: HIGHLIGHT, step.parent: RECEIVING}
            out.append(scene.digraph(grad_text, marks, (step.node, step.input), caption, widths,
                                     f"f{len(out)}"))
        return out


ORDERS = ("engine", "layers")
"""The orders a trace's steps can come in: see :func:`trace`."""


def trace(root: Node, grad: Any = None, *, order: str = "engine") -> Trace:
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

    >>> from autograd import Value
    >>> x = Value(3.0, label="x")
    >>> t = trace(x * x)
    >>> [(s.input, s.contribution, s.parent_grad) for s in t], x.grad
    ([(0, 3.0, 3.0), (1, 3.0, 6.0)], 0.0)
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
    run_backward(root, first, on_step=recorder, accumulate=False, order=steps)
    return Trace(root, _snapshot(first), recorder.steps, names, order)


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
            self.inputs = self._input_names(node)
        i = self.slots[self.edge]
        self.edge += 1
        summed: tuple[int, ...] = ()
        if node.op.elementwise and isinstance(node.data, np.ndarray):
            summed = broadcast_axes(np.shape(grad_out), np.shape(contribution))
        self.steps.append(Step(len(self.steps) + 1, node, parent, i, self.grad_out, _snapshot(local),
                               _snapshot(contribution), _snapshot(parent_grad), summed,
                               self.names[node], self.names[parent], self.root_name, self.inputs))

    def _input_names(self, node: Any) -> tuple[str, ...]:
        """The names of ``node``'s op inputs: the parents' names; a constant tensor input's
        value when it holds one number, else the op's name for the input (``x`` of ``linear``)."""
        count = len(node.inputs) if isinstance(node.data, np.ndarray) else len(node._parents)
        out: list[str] = [""] * count
        for slot, p in zip(node.parent_slots, node._parents):
            out[slot] = self.names[p]
        for i, name in enumerate(out):
            if not name:
                x = node.inputs[i]
                out[i] = summary(x) if np.size(x) == 1 else node.op.input_name(i)
        return tuple(out)


