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

A :class:`Trace` prints as a table; ``to_markdown()``/``to_latex()`` export it;
``frames()`` pictures each step (with :mod:`autograd.drawing`) and ``save_html()``
writes the stepper, a page that steps through them.

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

import html
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any, ClassVar, overload

import numpy as np

from autograd.atomic import atomic_write
from autograd.drawing import HIGHLIGHT, RECEIVING, Digraph, Options, Scene, check_root, options, svgs
from autograd.node import Node, run_backward, topological_order
from autograd.ops import Op
from autograd.tensor import broadcast_axes
from autograd.text import node_names, summary


@dataclass(frozen=True, eq=False)
class Step:
    """One chain-rule application: ``contribution = upstream × local`` pushed from
    ``node`` to ``parent`` (for broadcast tensors summed over ``summed_axes``), after
    which the parent's gradient in this pass is ``parent_grad``.

    ``upstream`` is ∂root/∂node, the ``grad_out`` of the op table's formulas.  ``input``
    is the parent's position among the op's inputs (``x * x`` pushes to ``x`` twice, as
    input 0 and as input 1).  ``local`` is ``None`` for structural
    tensor ops (``@``, ``sum``, ``reshape`` ...), which give a vector-Jacobian
    product instead: see ``partial``.
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

    def local_text(self, fmt: str = ".4g") -> str:
        """``∂f(x)/∂x = formula = value`` (for a structural op: ``vjp: rule``)."""
        if self.local is None:
            return f"vjp: {self.partial}"
        formula = self.op.formula
        f = formula if " " not in formula else f"({formula})"
        value = _cell(self.local, fmt)
        head = f"∂{f}/∂{self.variable} = {self.partial}"
        return head if _is_number(self.partial, self.local) else f"{head} = {value}"

    def equation(self, fmt: str = ".4g") -> str:
        """The step as one line of the chain rule, in the nodes' names.

        ``∂L/∂p += ∂L/∂n · ∂n/∂p = upstream × (local) = contribution  ⇒ ∂L/∂p = parent_grad``
        (tensors: ``⊙``, and the axes summed to undo broadcasting; structural ops: their
        vector-Jacobian rule applied to ``grad_out`` = upstream).
        """
        L, n, p = self.root_name, self.node_name, self.parent_name
        head = f"{self.op.symbol}: ∂{L}/∂{p} += ∂{L}/∂{n} · ∂{n}/∂{p}"
        total = f"⇒ ∂{L}/∂{p} = {_cell(self.parent_grad, fmt)}"
        if not isinstance(self.node.data, np.ndarray):
            return (f"{head} = {_cell(self.upstream, fmt)} × ({self.local_text(fmt)}) = "
                    f"{_cell(self.contribution, fmt)}  {total}")
        if self.local is None:
            return (f"{head} = {self.partial} with grad_out = {_cell(self.upstream, fmt)}: "
                    f"{_cell(self.contribution, fmt)}  {total}")
        summed = f", summed over axes {list(self.summed_axes)}" if self.summed_axes else ""
        return (f"{head} = {_cell(self.upstream, fmt)} ⊙ ({self.local_text(fmt)}){summed} = "
                f"{_cell(self.contribution, fmt)}  {total}")

    def __str__(self) -> str:
        return f"[{self.index}] {self.equation()}"


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
    ``grad`` = ∂root/∂root, in the order the engine ran them; a sequence of
    :class:`Step`.  ``str(trace)`` is a table; see also :meth:`to_markdown`,
    :meth:`to_latex`, :meth:`frames`, :meth:`save_html`."""

    def __init__(self, root: Node, grad: Any, steps: list[Step], names: dict[Any, str]) -> None:
        self.root = root
        self.grad = grad
        self.steps = steps
        self.names = names

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

    HEADER: ClassVar[tuple[str, ...]] = ("#", "node", "op", "upstream ∂L/∂node", "local ∂node/∂parent",
                                         "contribution", "parent", "parent grad")

    def rows(self, fmt: str = ".4g") -> list[tuple[str, ...]]:
        """The table's rows as text, one per step (columns as :attr:`HEADER`)."""
        out: list[tuple[str, ...]] = []
        for s in self.steps:
            contribution = _cell(s.contribution, fmt)
            if s.summed_axes:
                contribution += f" (Σ axes {list(s.summed_axes)})"
            out.append((str(s.index), s.node_name, s.op.symbol, _cell(s.upstream, fmt), s.local_text(fmt),
                        contribution, s.parent_name, _cell(s.parent_grad, fmt)))
        return out

    def table(self, fmt: str = ".4g") -> str:
        """The steps as an aligned plain-text table."""
        rows = [self.HEADER, *self.rows(fmt)]
        widths = [max(len(r[c]) for r in rows) for c in range(len(self.HEADER))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def to_markdown(self, fmt: str = ".4g") -> str:
        """The steps as a GitHub-flavoured Markdown table (``|``, ``\\``, ``*``, ``_`` ... escaped)."""
        def md(text: str) -> str:
            text = "".join("\\" + c if c in "\\`*_[]<>|#" else c for c in text)
            return text.replace("\r\n", "<br>").replace("\n", "<br>")

        lines = ["| " + " | ".join(md(h) for h in self.HEADER) + " |",
                 "|" + "|".join("---" for _ in self.HEADER) + "|"]
        lines += ["| " + " | ".join(md(c) for c in r) + " |" for r in self.rows(fmt)]
        return "\n".join(lines)

    def to_latex(self, fmt: str = ".4g") -> str:
        """The steps as a LaTeX ``tabular`` (special characters escaped; ∂, σ, ², ᵀ, … as math)."""
        spec = "r" + "l" * (len(self.HEADER) - 1)
        lines = [f"\\begin{{tabular}}{{{spec}}}", "\\hline",
                 " & ".join(_latex(h) for h in self.HEADER) + " \\\\", "\\hline"]
        lines += [" & ".join(_latex(c) for c in r) + " \\\\" for r in self.rows(fmt)]
        lines += ["\\hline", "\\end{tabular}"]
        return "\n".join(lines)

    def frames(self, **opts: Any) -> list[Digraph]:
        """One picture per step: the pushing node and the edge it pushes along in
        orange, the receiving parent in green, each grad filled in once it is known
        (``?`` before), the step's chain-rule equation as the caption.  ``opts``: the
        picture options of :func:`autograd.drawing.options`."""
        return self._pictures(options("frames", **opts), captions=True, start=False)

    def save_html(self, path: str | os.PathLike[str], *, title: str | None = None, **opts: Any) -> Path:
        """Write one self-contained HTML file (inline SVG, no network) that steps through
        the starting gradient and every step: previous/next buttons, a slider, the arrow
        keys (Home/End jump), each frame captioned with its chain-rule equation.
        ``opts`` as :meth:`frames`.  Needs Graphviz's ``dot`` program.  Returns the path."""
        chosen = options("save_html", **opts)
        pictures = self._pictures(chosen, captions=False, start=True)
        fmt = chosen.fmt
        captions = [self._start_caption(fmt)] + [f"step {s.index}/{len(self)}: {s.equation(fmt)}"
                                                 for s in self]
        figures = [f'<figure class="frame" id="frame{i}"{" hidden" if i else ""}>\n'
                   f"<figcaption>{html.escape(caption)}</figcaption>\n{svg}\n</figure>"
                   for i, (svg, caption) in enumerate(zip(svgs(pictures), captions))]
        steps = f"{len(self)} chain-rule steps"
        heading = title if title is not None else f"Backward pass of {self.names[self.root]}: {steps}"
        page = _STEPPER.substitute(title=html.escape(heading), last=len(figures) - 1, total=len(figures),
                                   figures="\n".join(figures))
        target = Path(path)
        with atomic_write(target, "w", encoding="utf-8") as f:
            f.write(page)
        return target

    def _start_caption(self, fmt: str) -> str:
        root_name = self.names[self.root]
        return f"start: ∂{root_name}/∂{root_name} = {summary(self.grad, fmt)}"

    def _pictures(self, opts: Options, captions: bool, start: bool) -> list[Digraph]:
        """A picture per step (and of the start, when ``start``), grads filled in as known."""
        scene = Scene(self.root, opts)
        fmt, unknown = scene.opts.fmt, "?"
        texts: dict[Any, list[str]] = {self.root: [summary(self.grad, fmt)]}
        for step in self:
            texts.setdefault(step.parent, [unknown]).append(summary(step.parent_grad, fmt))
        # Every frame gives a node's grad cell the same width, so dot lays out each frame the same.
        widths = {node: 8 * (5 + max(len(t) for t in ts)) for node, ts in texts.items()}
        grads: dict[Any, str] = {self.root: texts[self.root][0]}

        def grad_text(node: Any) -> str:
            return grads.get(node, unknown)

        out = []
        if start:
            caption = self._start_caption(fmt) if captions else None
            out.append(scene.digraph(grad_text, {self.root: HIGHLIGHT}, None, caption, widths, "f0"))
        for step in self:
            grads[step.parent] = summary(step.parent_grad, fmt)
            caption = f"step {step.index}/{len(self)}: {step.equation(fmt)}" if captions else None
            marks = {step.node: HIGHLIGHT, step.parent: RECEIVING}
            out.append(scene.digraph(grad_text, marks, (step.node, step.input), caption, widths,
                                     f"f{len(out)}"))
        return out


_STEPPER = Template(resources.files("autograd").joinpath("stepper.html").read_text(encoding="utf-8"))
"""The stepper page (package data), its ``$title``, ``$last``, ``$total``, ``$figures`` filled in."""


_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
          "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
          "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", "\n": r"\newline{}",
          "∂": r"$\partial$", "σ": r"$\sigma$", "Σ": r"$\Sigma$", "²": r"$^2$", "ᵀ": r"$^\top$",
          "·": r"$\cdot$", "×": r"$\times$", "⊙": r"$\odot$", "⇒": r"$\Rightarrow$", "…": r"\ldots{}",
          "≤": r"$\leq$", "₀": r"$_0$", "₁": r"$_1$", "₂": r"$_2$", "₃": r"$_3$", "₄": r"$_4$",
          "₅": r"$_5$", "₆": r"$_6$", "₇": r"$_7$", "₈": r"$_8$", "₉": r"$_9$"}


def _latex(text: str) -> str:
    return "".join(_LATEX.get(c, c) for c in text)


def trace(root: Node, grad: Any = None) -> Trace:
    """The backward pass from ``root`` (starting from ``grad``: 1 for a ``Value`` or a
    one-element ``Tensor`` when left out), every chain-rule step of it recorded.

    The pass is private: no node's ``.grad`` changes, before or after ``backward()``
    (which is what fills ``.grad``).  Each step's ``parent_grad`` is the parent's
    gradient summed so far in this pass, so the last step into a node holds what one
    ``backward()`` from zero gives it.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x")
    >>> t = trace(x * x)
    >>> [(s.input, s.contribution, s.parent_grad) for s in t], x.grad
    ([(0, 3.0, 3.0), (1, 3.0, 6.0)], 0.0)
    """
    check_root("trace", root)
    first = root._first_grad(grad, "trace")
    names = node_names(root, topological_order(root))
    recorder = _Recorder(names, names[root])
    run_backward(root, first, on_step=recorder, accumulate=False)
    return Trace(root, _snapshot(first), recorder.steps, names)


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
        self.edge = 0

    def __call__(self, node: Any, parent: Any, grad_out: Any, local: Any, contribution: Any,
                 parent_grad: Any) -> None:
        if node is not self.node:
            self.slots = node.parent_slots
            self.node, self.grad_out, self.edge = node, _snapshot(grad_out), 0
        i = self.slots[self.edge]
        self.edge += 1
        summed: tuple[int, ...] = ()
        if node.op.elementwise and isinstance(node.data, np.ndarray):
            summed = broadcast_axes(np.shape(grad_out), np.shape(contribution))
        self.steps.append(Step(len(self.steps) + 1, node, parent, i, self.grad_out, _snapshot(local),
                               _snapshot(contribution), _snapshot(parent_grad), summed,
                               self.names[node], self.names[parent], self.root_name))


