"""Pictures of a computation graph and of every step of its backward pass (Graphviz).

* :func:`draw` -- a ``graphviz.Digraph`` of the graph below a ``Value`` or ``Tensor``:
  a box per node (name, data, grad; for tensors shape, dtype and a short summary),
  an ellipse per op, edges running forward, ``nn`` scopes as nested clusters and a
  node cap that says what it left out.  It shows inline in Jupyter (SVG); from a
  script ``.render()``/``.save()`` write SVG, PNG, PDF or DOT.
* :func:`frames` -- one picture per step of a :class:`~autograd.trace.Trace`, the
  active edge highlighted and the grads known so far filled in.
* :func:`save_html` -- one self-contained HTML file that steps through the frames.
* :func:`escape`, :func:`node_names`, :func:`summary` -- how text reaches a picture,
  shared with the trace's tables.

Every piece of user text (labels, scope names) reaches the DOT source only inside an
HTML-like label, through :func:`escape`; node names in the DOT source are our own
(``v12``, ``o12``), so nothing a user writes can end a label or add a statement.
This is the only module of the project that imports ``graphviz``.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = (x * x).tanh()
>>> y.label = "y"
>>> src = draw(y).source
>>> "data 2" in src and "grads not computed yet" in src
True
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import graphviz
import numpy as np

from autograd.atomic import atomic_write
from autograd.node import Node, topological_order

if TYPE_CHECKING:
    from autograd.trace import Trace

Digraph: TypeAlias = graphviz.Digraph
"""What :func:`draw` and :func:`frames` return: ``graphviz.Digraph``."""

FIELDS = ("label", "shape", "data", "grad")
"""What a node box can show: its name, its shape and dtype (tensors), data, grad."""
DIRECTIONS = ("LR", "TB", "RL", "BT")

_COMMUTATIVE = frozenset({"add", "mul", "maximum"})
_HIGHLIGHT, _ACTIVE, _RECEIVING = "#ffd966", "#ffd966", "#b7e1a1"
_NOT_COMPUTED = "grads not computed yet: call backward() first"


# Graphviz expands escapes such as \N (the node's name) and \L even in HTML-like labels,
# after decoding entities: a backslash is written doubled.
_ESCAPES: dict[int, str] = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;",
                           ord("\\"): "\\\\", ord("\n"): "<BR/>"}
_ESCAPES.update({c: f"\\\\x{c:02x}" for c in range(32) if c != 10})
# Not characters XML may hold, so neither may a label: lone surrogates, U+FFFE, U+FFFF.
_ESCAPES.update({c: f"\\\\u{c:04x}" for c in [*range(0xD800, 0xE000), 0xFFFE, 0xFFFF]})


def escape(text: str) -> str:
    """``text`` as the content of a Graphviz HTML-like label that renders as written:
    ``& < > "`` become entities, a backslash is doubled, a newline becomes ``<BR/>``,
    other control characters show as ``\\xNN``.

    >>> print(escape('a<b> & "c"\\\\N\\nd'))
    a&lt;b&gt; &amp; &quot;c&quot;\\\\N<BR/>d
    """
    return text.replace("\r\n", "\n").translate(_ESCAPES)


def _label(text: str) -> str:
    """A DOT label attribute value showing ``text`` as written (Graphviz rejects an empty ``<>``)."""
    return f"<{escape(text)}>" if text else '""'


def node_names(root: Node, order: list[Any] | None = None) -> dict[Any, str]:
    """Each node's name in pictures and traces: its label, else ``#k`` with k its
    position in ``topological_order(root)``; an unlabelled root is ``L``.

    >>> from autograd import Value
    >>> a = Value(1.0, label="a")
    >>> list(node_names(a * 2).values())
    ['a', '#1', 'L']
    """
    order = topological_order(root) if order is None else order
    names = {node: (node.label if node.label is not None else f"#{k}") for k, node in enumerate(order)}
    if root.label is None:
        names[root] = "L"
    return names


def number(x: float, fmt: str) -> str:
    """``x`` formatted with the format spec ``fmt`` (``-0.0`` shown as ``0``)."""
    return format(x + 0.0, fmt)  # + 0.0 turns -0.0 into 0.0


def summary(x: Any, fmt: str = ".4g") -> str:
    """A number, or a short text for an array: its values when it has at most four,
    else ``[min … max] mean m``.

    >>> summary(np.array([1.0, 2.5])), summary(np.arange(6.0))
    ('[1, 2.5]', '[0 … 5] mean 2.5')
    """
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return number(float(x), fmt)
        if x.size <= 4:
            return "[" + ", ".join(number(float(v), fmt) for v in x.flat) + "]"
        lo, hi, mean = (number(float(f(x)), fmt) for f in (np.min, np.max, np.mean))
        return f"[{lo} … {hi}] mean {mean}"
    return number(float(x), fmt)


def _check_options(what: str, root: Any, direction: str, show: Iterable[str], fmt: str,
                   max_nodes: int | None) -> frozenset[str]:
    if not isinstance(root, Node):
        raise TypeError(f"{what}: root must be a Value or a Tensor, not {type(root).__name__}")
    if direction not in DIRECTIONS:
        raise ValueError(f"{what}: direction must be one of {DIRECTIONS}, not {direction!r}")
    fields = frozenset([show] if isinstance(show, str) else show)
    unknown = sorted(fields - set(FIELDS))
    if unknown:
        raise ValueError(f"{what}: show has unknown field(s) {unknown}; choose from {FIELDS}")
    try:
        format(1.5, fmt)
    except (ValueError, TypeError):
        raise ValueError(f"{what}: fmt {fmt!r} is not a format spec for floats "
                         "(try '.4g' or '.4f')") from None
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                  or max_nodes < 1):
        raise ValueError(f"{what}: max_nodes must be a positive int or None, not {max_nodes!r}")
    return fields


def _grads_computed(nodes: Iterable[Node]) -> bool:
    """Whether a backward pass has reached any of ``nodes``: grads start as 0.0 (Value)
    or None (Tensor), and a pass seeds its root with 1.  (A graph whose grads are all
    exactly zero after a pass from elsewhere reads as not computed.)"""
    return any(g is not None and not (isinstance(g, float) and g == 0.0) for g in (n.grad for n in nodes))


@dataclass
class _Scene:
    """The part of a graph a picture shows, walked once and drawn as many times as needed."""

    root: Node
    direction: str
    fields: frozenset[str]
    fmt: str
    clusters: bool
    max_nodes: int | None

    def __post_init__(self) -> None:
        order = topological_order(self.root)
        self.names = node_names(self.root, order)
        self.index = {node: k for k, node in enumerate(order)}
        self.total = len(order)
        self.kept = self._nearest(order)

    def _nearest(self, order: list[Any]) -> list[Any]:
        """The ``max_nodes`` nodes closest to the root (breadth first), in topological order."""
        cap = self.max_nodes
        if cap is None or cap >= len(order):
            return order
        seen = {self.root}
        queue = deque([self.root])
        while queue and len(seen) < cap:
            for p in queue.popleft()._parents:
                if p not in seen and len(seen) < cap:
                    seen.add(p)
                    queue.append(p)
        return [n for n in order if n in seen]

    def _scopes(self) -> dict[Any, str | None]:
        """Each kept node's cluster: its scope; a leaf's is its consumers' scope when they share one."""
        kept = set(self.kept)
        consumer_scopes: dict[Any, set[str | None]] = {}
        for node in self.kept:
            for p in node._parents:
                if p in kept:
                    consumer_scopes.setdefault(p, set()).add(node.scope)
        out: dict[Any, str | None] = {}
        for node in self.kept:
            s = node.scope
            if s is None and node._op is None:
                shared = consumer_scopes.get(node, set())
                s = next(iter(shared)) if len(shared) == 1 else None
            out[node] = s
        return out

    def digraph(self, grad_text: Callable[[Any], str | None] | None, marks: Mapping[Any, str],
                active: tuple[Any, int] | None = None, caption: str | None = None,
                widths: Mapping[Any, int] | None = None, name: str = "chainrule") -> Digraph:
        """The picture.  ``grad_text(node)`` is the grad cell's text (None: no grad cells);
        ``marks`` fills nodes with a colour; ``active`` = (node, input position) marks
        one edge; ``widths`` gives grad cells a minimum width in points."""
        # Node statements go into their scope's cluster, every edge after all clusters:
        # a node first named by an edge would join that edge's cluster.
        lines: dict[str | None, list[str]] = {}
        edges: list[str] = []
        scopes = self._scopes() if self.clusters else {}
        kept = set(self.kept)
        dropped_edges = 0
        red = 'color="#c0392b" penwidth=2.5'
        for node in self.kept:
            k = self.index[node]
            where = lines.setdefault(scopes.get(node), [])
            where.append(self._box(node, k, grad_text, marks.get(node), widths))
            op = node._op
            if op is None:
                continue
            hot = active is not None and active[0] is node
            where.append(f'\to{k} [label={_label(op.symbol)} shape=ellipse style=filled margin="0.05,0.02" '
                         f'fillcolor="{_ACTIVE if hot else "#eeeeee"}"{" " + red if hot else ""}]\n')
            edges.append(f"\to{k} -> v{k}{f' [{red}]' if hot else ''}\n")
            named = len(node.inputs) > 1 and op.name not in _COMMUTATIVE
            missing = 0
            for i, parent in zip(self._positions(node), node._parents):
                if parent not in kept:
                    missing += 1
                    continue
                attrs = [f"label=<{_input_name(op.arity, i)}>"] if named else []
                if hot and active is not None and active[1] == i:
                    attrs.append(red)
                attr = f" [{' '.join(attrs)}]" if attrs else ""
                edges.append(f"\tv{self.index[parent]} -> o{k}{attr}\n")
            for i, needed in enumerate(getattr(node, "needs_grad", ())):
                if not needed:
                    where.append(f'\tc{k}_{i} [label=<const {escape(str(node.inputs[i].shape))}> shape=box '
                                 f'style="rounded,dashed" fontcolor="#666666"]\n')
                    attr = f" [label=<{_input_name(op.arity, i)}>]" if named else ""
                    edges.append(f"\tc{k}_{i} -> o{k}{attr}\n")
            if missing:
                dropped_edges += missing
                where.append(f'\tx{k} [label=<… {missing} input(s) not drawn> fontcolor="#999999"]\n')
                edges.append(f'\tx{k} -> o{k} [style=dashed color="#999999"]\n')
        notes = [] if caption is None else [caption]
        if grad_text is None and "grad" in self.fields:
            notes.append(_NOT_COMPUTED)
        if len(self.kept) < self.total:
            notes.append(f"showing the {len(self.kept):,} nodes nearest the root of {self.total:,} "
                         f"(max_nodes={self.max_nodes}): {self.total - len(self.kept):,} nodes and "
                         f"{dropped_edges:,} edges into drawn ops left out")
        return self._assemble(lines, edges, notes, name)

    def _positions(self, node: Any) -> list[int]:
        """The op-input position of each of ``node``'s parents (tensors skip inputs that need no grad)."""
        needs = getattr(node, "needs_grad", None)
        if needs is None:
            return list(range(len(node._parents)))
        return [i for i, n in enumerate(needs) if n]

    def _box(self, node: Any, k: int, grad_text: Callable[[Any], str | None] | None,
             fill: str | None, widths: Mapping[Any, int] | None) -> str:
        cells = []
        if "label" in self.fields:
            name = escape(self.names[node])
            if not name.replace("<BR/>", ""):  # Graphviz rejects <B></B>: an empty label gets a bare cell
                cells.append(f"<TD>{name}</TD>")
            elif node.label is not None or node is self.root:
                cells.append(f"<TD><B>{name}</B></TD>")
            else:
                cells.append(f'<TD><FONT COLOR="#888888">{name}</FONT></TD>')
        data = node.data
        if "shape" in self.fields and isinstance(data, np.ndarray):
            cells.append(f"<TD>{escape(str(data.shape))} {data.dtype}</TD>")
        if "data" in self.fields:
            cells.append(f"<TD>data {escape(summary(data, self.fmt))}</TD>")
        if "grad" in self.fields and grad_text is not None:
            text = grad_text(node)
            if text is not None:
                width = "" if widths is None else f' WIDTH="{widths.get(node, 0)}"'
                cells.append(f"<TD{width}>grad {escape(text)}</TD>")
        color = f' BGCOLOR="{fill}"' if fill else ""
        body = "".join(cells) if self.direction in ("LR", "RL") else "</TR><TR>".join(cells)
        return (f'\tv{k} [label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" '
                f'CELLPADDING="4"{color}><TR>{body}</TR></TABLE>>]\n')

    def _assemble(self, lines: dict[str | None, list[str]], edges: list[str], notes: list[str],
                  name: str) -> Digraph:
        g = graphviz.Digraph(name=name)
        g.body.append(f'\tgraph [rankdir={self.direction} fontname="Helvetica" fontsize=11 '
                      f'id="{name}" labelloc=t labeljust=l]\n')
        g.body.append('\tnode [shape=plaintext margin=0 fontname="Helvetica" fontsize=11]\n')
        g.body.append('\tedge [fontname="Helvetica" fontsize=9 color="#555555"]\n')
        if notes:
            text = '<BR ALIGN="LEFT"/>'.join(escape(n) for n in notes)
            g.body.append(f'\tlabel=<{text}<BR ALIGN="LEFT"/>>\n')
        g.body.extend(_clustered(lines))
        g.body.extend(edges)
        return g


def _clustered(lines: dict[str | None, list[str]]) -> list[str]:
    """``lines`` grouped into nested clusters by dotted scope.  A scope prefix gets its
    own cluster when it holds nodes itself or joins two or more sub-scopes."""
    children: dict[str | None, set[str]] = {}
    for scope in lines:
        while scope is not None:
            parent = scope.rpartition(".")[0] or None
            children.setdefault(parent, set()).add(scope)
            scope = parent
    out: list[str] = []
    clusters = 0
    stack: list[tuple[str | None, bool]] = [(None, False)]
    while stack:
        scope, closing = stack.pop()
        if closing:
            out.append("\t}\n")
            continue
        if scope is not None and (scope in lines or len(children.get(scope, ())) > 1):
            clusters += 1
            out.append(f'\tsubgraph cluster_{clusters} {{\n\t\tlabel={_label(scope)} style="rounded" '
                       f'color="#7f8c8d" fontcolor="#34495e" labeljust=l\n')
            stack.append((scope, True))
        stack.extend((child, False) for child in sorted(children.get(scope, ()), reverse=True))
        out.extend(lines.get(scope, ()))
    return out


def _input_name(arity: int, i: int) -> str:
    """An edge's input slot: x, y for two-input ops, else its position."""
    return ("x", "y")[i] if arity == 2 else str(i)


def draw(root: Node, *, direction: str = "LR", show: Iterable[str] = FIELDS, fmt: str = ".4g",
         highlight: Iterable[Node] = (), clusters: bool = True, max_nodes: int | None = 1000,
         title: str | None = None) -> Digraph:
    """The graph below ``root`` as a ``graphviz.Digraph``, edges running forward.

    ``direction``: ``"LR"`` or ``"TB"`` (also ``"RL"``, ``"BT"``); ``show``: which of
    ``label shape data grad`` each box shows; ``fmt``: the number format spec;
    ``highlight``: nodes to fill in colour; ``clusters``: group nodes by their
    :func:`~autograd.scope` (``nn`` modules) into nested labelled boxes;
    ``max_nodes``: draw only the nodes nearest the root (``None``: all), saying in
    the caption how many were left out.  Before ``backward()`` the grads are not
    shown: the caption says they are not computed yet.

    >>> from autograd import Value
    >>> y = Value(3.0, label="a") * 2
    >>> y.backward()
    >>> "grad 2" in draw(y, direction="TB").source
    True
    """
    fields = _check_options("draw", root, direction, show, fmt, max_nodes)
    scene = _Scene(root, direction, fields, fmt, clusters, max_nodes)
    marks = {}
    for node in highlight:
        if node not in scene.index:
            raise ValueError(f"draw: highlight holds {node!r}, which is not in the graph below the root")
        marks[node] = _HIGHLIGHT
    computed = _grads_computed(scene.index)
    grad_text = (lambda n: "none" if n.grad is None else summary(n.grad, fmt)) if computed else None
    return scene.digraph(grad_text, marks, caption=title)


def _frames(trace: Trace, direction: str, show: Iterable[str], fmt: str, clusters: bool,
            max_nodes: int | None, captions: bool, seed: bool) -> list[Digraph]:
    fields = _check_options("frames", trace.root, direction, show, fmt, max_nodes)
    scene = _Scene(trace.root, direction, fields, fmt, clusters, max_nodes)
    unknown = "?"
    texts: dict[Any, list[str]] = {trace.root: [summary(trace.seed, fmt)]}
    for step in trace:
        texts.setdefault(step.parent, [unknown]).append(summary(step.parent_grad, fmt))
    # Every frame gives a node's grad cell the same width, so dot lays out each frame the same.
    widths = {node: 8 * (5 + max(len(t) for t in ts)) for node, ts in texts.items()}
    grads: dict[Any, str] = {trace.root: texts[trace.root][0]}

    def grad_text(node: Any) -> str:
        return grads.get(node, unknown)

    out = []
    n = len(trace)
    if seed:
        root_name = trace.names[trace.root]
        caption = f"seed: ∂{root_name}/∂{root_name} = {summary(trace.seed, fmt)}" if captions else None
        out.append(scene.digraph(grad_text, {trace.root: _ACTIVE}, None, caption, widths, "f0"))
    for step in trace:
        grads[step.parent] = summary(step.parent_grad, fmt)
        marks = {step.node: _ACTIVE, step.parent: _RECEIVING}
        caption = f"step {step.index}/{n}: {step.equation(fmt)}" if captions else None
        out.append(scene.digraph(grad_text, marks, (step.node, step.input), caption, widths,
                                 f"f{len(out)}"))
    return out


def frames(trace: Trace, *, direction: str = "LR", show: Iterable[str] = FIELDS, fmt: str = ".4g",
           clusters: bool = True, max_nodes: int | None = 1000) -> list[Digraph]:
    """One picture per step of ``trace``: the pushing node and the edge it pushes along
    in orange, the receiving parent in green, each grad filled in once it is known
    (``?`` before), the step's chain-rule equation as the caption.  Options as :func:`draw`."""
    return _frames(trace, direction, show, fmt, clusters, max_nodes, captions=True, seed=False)


def _svgs(graphs: list[Digraph]) -> list[str]:
    """Each graph as an ``<svg>`` element, laid out by one run of ``dot``."""
    data = "".join(g.source for g in graphs).encode("utf-8")
    out = graphviz.pipe("dot", "svg", data).decode("utf-8")
    svgs = ["<svg" + part.split("<svg", 1)[1].rstrip() for part in out.split("<?xml")[1:]]
    assert len(svgs) == len(graphs), "dot returned a different number of pictures"
    return svgs


def save_html(trace: Trace, path: str | os.PathLike[str], *, title: str | None = None,
              direction: str = "LR", show: Iterable[str] = FIELDS, fmt: str = ".4g",
              clusters: bool = True, max_nodes: int | None = 1000) -> Path:
    """Write one self-contained HTML file (inline SVG, no network) that steps through
    the seed and every step of ``trace``: previous/next buttons, a slider, the arrow
    keys (Home/End jump), each frame captioned with its chain-rule equation.  Needs
    Graphviz's ``dot`` program.  Returns the path written."""
    graphs = _frames(trace, direction, show, fmt, clusters, max_nodes, captions=False, seed=True)
    root_name = trace.names[trace.root]
    captions = [f"seed: ∂{root_name}/∂{root_name} = {summary(trace.seed, fmt)}"]
    captions += [f"step {s.index}/{len(trace)}: {s.equation(fmt)}" for s in trace]
    figures = []
    for i, (svg, caption) in enumerate(zip(_svgs(graphs), captions)):
        hidden = " hidden" if i else ""
        figures.append(f'<figure class="frame" id="frame{i}"{hidden}>\n<figcaption>{_html(caption)}'
                       f"</figcaption>\n{svg}\n</figure>")
    heading = title if title is not None else f"Backward pass of {root_name}: {len(trace)} chain-rule steps"
    page = _PAGE.format(title=_html(heading), last=len(figures) - 1, total=len(figures),
                        figures="\n".join(figures))
    target = Path(path)
    with atomic_write(target, "w", encoding="utf-8") as f:
        f.write(page)
    return target


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }}
#controls {{ display: flex; gap: 0.8em; align-items: center; margin: 0.8em 0; }}
#slider {{ flex: 1; max-width: 40em; }}
figure {{ margin: 0; }}
figcaption {{ font-family: "DejaVu Sans Mono", Menlo, monospace; background: #f6f6f6;
  border-left: 4px solid #f1c40f; padding: 0.5em 0.8em; margin-bottom: 0.8em; white-space: pre-wrap; }}
svg {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>{title}</h1>
<div id="controls">
<button id="prev" type="button">&#9664; previous</button>
<input id="slider" type="range" min="0" max="{last}" value="0" aria-label="frame">
<button id="next" type="button">next &#9654;</button>
<span id="counter">1 / {total}</span>
</div>
<p><small>Keys: &larr; / &rarr; step, Home / End jump. Orange: the node pushing its gradient;
green: the parent receiving it.</small></p>
{figures}
<script>
"use strict";
(function () {{
  const frames = Array.from(document.querySelectorAll("figure.frame"));
  const slider = document.getElementById("slider");
  const prev = document.getElementById("prev");
  const next = document.getElementById("next");
  const counter = document.getElementById("counter");
  let current = 0;
  function show(i) {{
    current = Math.max(0, Math.min(frames.length - 1, i));
    frames.forEach(function (f, k) {{ f.hidden = k !== current; }});
    slider.value = String(current);
    counter.textContent = (current + 1) + " / " + frames.length;
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1;
  }}
  prev.addEventListener("click", function () {{ show(current - 1); }});
  next.addEventListener("click", function () {{ show(current + 1); }});
  slider.addEventListener("input", function () {{ show(Number(slider.value)); }});
  document.addEventListener("keydown", function (e) {{
    if (e.target === slider) return;
    if (e.key === "ArrowLeft") show(current - 1);
    else if (e.key === "ArrowRight") show(current + 1);
    else if (e.key === "Home") show(0);
    else if (e.key === "End") show(frames.length - 1);
    else return;
    e.preventDefault();
  }});
  show(0);
}})();
</script>
</body>
</html>
"""
