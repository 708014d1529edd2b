"""Pictures of a computation graph (Graphviz).

* :func:`draw` -- a ``graphviz.Digraph`` of the graph below a ``Value`` or ``Tensor``:
  a box per node (name, data, grad; for tensors shape, dtype and a short summary),
  an ellipse per op, edges running forward and named by the op's inputs, ``nn``
  scopes as nested clusters and a node cap that says what it left out.  It shows
  inline in Jupyter (SVG); from a script ``.render()``/``.save()`` write SVG, PNG,
  PDF or DOT.
* :func:`options`, :class:`Scene`, :func:`svgs` -- what ``draw`` is made of, and what
  :mod:`autograd.tracing` draws each step of a backward pass with;
* :func:`escape` -- how user text reaches a picture.

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

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import graphviz
import numpy as np

from autograd.node import Node, topological_order
from autograd.text import node_names, summary

Digraph: TypeAlias = graphviz.Digraph
"""What :func:`draw` returns: ``graphviz.Digraph``."""
NoGraphviz = graphviz.ExecutableNotFound
"""What laying a picture out raises when Graphviz's ``dot`` program is not installed."""

FIELDS = ("label", "shape", "data", "grad")
"""What a node box can show: its name, its shape and dtype (tensors), data, grad."""
DIRECTIONS = ("LR", "TB", "RL", "BT")

_COMMUTATIVE = frozenset({"add", "mul", "maximum"})
_NOT_COMPUTED = "grads not computed yet: call backward() first"

# Colours and sizes, each named once.
HIGHLIGHT = "#ffd966"
"""The fill of highlighted nodes, and of the node pushing its gradient in a step of a trace."""
RECEIVING = "#b7e1a1"
"""The fill of the parent receiving a gradient in a step of a trace."""
_OP_FILL = "#eeeeee"
_ACTIVE_EDGE = 'color="#c0392b" penwidth=2.5'
_EDGE = "#555555"
_UNNAMED = "#888888"  # an auto-numbered node's name
_CONSTANT = "#666666"
_LEFT_OUT = "#999999"
_CLUSTER, _CLUSTER_TEXT = "#7f8c8d", "#34495e"
_FONT, _FONT_SIZE, _EDGE_FONT_SIZE = "Helvetica", 11, 9


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


@dataclass(frozen=True)
class Options:
    """How a picture looks: made and checked by :func:`options`."""

    direction: str
    fields: frozenset[str]
    fmt: str
    clusters: bool
    max_nodes: int | None


def options(what: str, *, direction: str = "LR", show: Iterable[str] = FIELDS, fmt: str = ".4g",
            clusters: bool = True, max_nodes: int | None = 1000, **unknown: Any) -> Options:
    """The picture options of :func:`draw` and of a trace's pictures, checked (``what``
    names the caller in errors): ``direction`` ``"LR"`` or ``"TB"`` (also ``"RL"``,
    ``"BT"``); ``show``, which of ``label shape data grad`` each box shows; ``fmt``, the
    number format spec; ``clusters``, group nodes by their :func:`~autograd.scope` (``nn``
    modules) into nested labelled boxes; ``max_nodes``, draw only the nodes nearest the
    root (``None``: all), saying in the caption how many were left out.

    >>> options("draw", direction="TB", show="grad").fields
    frozenset({'grad'})
    """
    if unknown:
        raise TypeError(f"{what}: unknown option(s) {sorted(unknown)}; the options are direction, "
                        "show, fmt, clusters and max_nodes")
    if direction not in DIRECTIONS:
        raise ValueError(f"{what}: direction must be one of {DIRECTIONS}, not {direction!r}")
    fields = frozenset([show] if isinstance(show, str) else show)
    unknown_fields = sorted(fields - set(FIELDS))
    if unknown_fields:
        raise ValueError(f"{what}: show has unknown field(s) {unknown_fields}; choose from {FIELDS}")
    try:
        format(1.5, fmt)
    except (ValueError, TypeError):
        raise ValueError(f"{what}: fmt {fmt!r} is not a format spec for floats "
                         "(try '.4g' or '.4f')") from None
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                  or max_nodes < 1):
        raise ValueError(f"{what}: max_nodes must be a positive int or None, not {max_nodes!r}")
    return Options(direction, fields, fmt, bool(clusters), max_nodes)


def check_root(what: str, root: Any) -> None:
    """``TypeError`` unless ``root`` is a ``Value`` or a ``Tensor``."""
    if not isinstance(root, Node):
        raise TypeError(f"{what}: root must be a Value or a Tensor, not {type(root).__name__}")


def _grads_computed(nodes: Iterable[Node]) -> bool:
    """Whether a backward pass has reached any of ``nodes``: grads start as 0.0 (Value)
    or None (Tensor), and a pass starts its root at 1.  (A graph whose grads are all
    exactly zero after a pass from elsewhere reads as not computed.)"""
    return any(g is not None and not (isinstance(g, float) and g == 0.0) for g in (n.grad for n in nodes))


class Scene:
    """The part of a graph a picture shows, walked once and drawn as many times as needed
    (:meth:`digraph`): the nodes kept under ``max_nodes``, their names and numbers."""

    def __init__(self, root: Node, opts: Options) -> None:
        self.root, self.opts = root, opts
        order = topological_order(root)
        self.names = node_names(root, order)
        self.index = {node: k for k, node in enumerate(order)}
        self.total = len(order)
        self.kept = self._nearest(order)

    def _nearest(self, order: list[Any]) -> list[Any]:
        """The ``max_nodes`` nodes closest to the root (breadth first), in topological order."""
        cap = self.opts.max_nodes
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
                active: tuple[Any, tuple[int, ...]] | None = None, caption: str | None = None,
                widths: Mapping[Any, int] | None = None, name: str = "chainrule",
                cell: str = "grad") -> Digraph:
        """The picture.  ``grad_text(node)`` is the grad cell's text (None: no grad cells),
        shown after the word ``cell`` (a forward-mode trace's: ``"tangent"``); ``marks``
        fills nodes with a colour; ``active`` = (node, input positions) marks the edge
        out of node's op and those into it; ``widths`` gives grad cells a minimum width in points."""
        # Node statements go into their scope's cluster, every edge after all clusters:
        # a node first named by an edge would join that edge's cluster.
        lines: dict[str | None, list[str]] = {}
        edges: list[str] = []
        scopes = self._scopes() if self.opts.clusters else {}
        kept = set(self.kept)
        dropped_edges = 0
        for node in self.kept:
            where = lines.setdefault(scopes.get(node), [])
            where.append(self._box(node, grad_text, marks.get(node), widths, cell))
            if node._op is not None:
                dropped_edges += self._op_node(node, kept, active, where, edges)
        notes = [] if caption is None else [caption]
        if grad_text is None and "grad" in self.opts.fields:
            notes.append(_NOT_COMPUTED)
        if len(self.kept) < self.total:
            notes.append(f"showing the {len(self.kept):,} nodes nearest the root of {self.total:,} "
                         f"(max_nodes={self.opts.max_nodes}): {self.total - len(self.kept):,} nodes and "
                         f"{dropped_edges:,} edges into drawn ops left out")
        return self._assemble(lines, edges, notes, name)

    def _op_node(self, node: Any, kept: set[Any], active: tuple[Any, tuple[int, ...]] | None,
                 where: list[str], edges: list[str]) -> int:
        """The ellipse of ``node``'s op, its edges from the inputs (named by the op when order
        matters) and from constants; returns how many inputs were left out of the picture."""
        op, k = node._op, self.index[node]
        hot = active is not None and active[0] is node
        fill = f'fillcolor="{HIGHLIGHT}" {_ACTIVE_EDGE}' if hot else f'fillcolor="{_OP_FILL}"'
        where.append(f'\to{k} [id="o{k}" label={_label(op.symbol)} shape=ellipse style=filled '
                     f'margin="0.05,0.02" {fill}]\n')
        edges.append(f"\to{k} -> v{k} [id=\"e{k}\"{' ' + _ACTIVE_EDGE if hot else ''}]\n")
        named = len(node.inputs) > 1 and op.name not in _COMMUTATIVE
        slots = node.parent_slots
        missing = 0
        for i, parent in zip(slots, node._parents):
            if parent not in kept:
                missing += 1
                continue
            attrs = [f'id="e{k}_{i}"'] + ([f"label=<{escape(op.input_name(i))}>"] if named else [])
            if hot and active is not None and i in active[1]:
                attrs.append(_ACTIVE_EDGE)
            edges.append(f"\tv{self.index[parent]} -> o{k} [{' '.join(attrs)}]\n")
        for i in sorted(set(range(len(node.inputs))) - set(slots)):  # inputs that need no gradient
            where.append(f'\tc{k}_{i} [label=<const {escape(str(node.inputs[i].shape))}> shape=box '
                         f'style="rounded,dashed" fontcolor="{_CONSTANT}"]\n')
            attr = f" [label=<{escape(op.input_name(i))}>]" if named else ""
            edges.append(f"\tc{k}_{i} -> o{k}{attr}\n")
        if missing:
            where.append(f'\tx{k} [label=<… {missing} input(s) not drawn> fontcolor="{_LEFT_OUT}"]\n')
            edges.append(f'\tx{k} -> o{k} [style=dashed color="{_LEFT_OUT}"]\n')
        return missing

    def _box(self, node: Any, grad_text: Callable[[Any], str | None] | None, fill: str | None,
             widths: Mapping[Any, int] | None, cell: str) -> str:
        fields, cells = self.opts.fields, []
        if "label" in fields:
            name = escape(self.names[node])
            if not name.replace("<BR/>", ""):  # Graphviz rejects <B></B>: an empty label gets a bare cell
                cells.append(f"<TD>{name}</TD>")
            elif node.label is not None or node is self.root:
                cells.append(f"<TD><B>{name}</B></TD>")
            else:
                cells.append(f'<TD><FONT COLOR="{_UNNAMED}">{name}</FONT></TD>')
        data = node.data
        if "shape" in fields and isinstance(data, np.ndarray):
            cells.append(f"<TD>{escape(str(data.shape))} {data.dtype}</TD>")
        if "data" in fields:
            cells.append(f"<TD>data {escape(summary(data, self.opts.fmt))}</TD>")
        if "grad" in fields and grad_text is not None:
            text = grad_text(node)
            if text is not None:
                width = "" if widths is None else f' WIDTH="{widths.get(node, 0)}"'
                cells.append(f"<TD{width}>{escape(cell)} {escape(text)}</TD>")
        color = f' BGCOLOR="{fill}"' if fill else ""
        body = "".join(cells) if self.opts.direction in ("LR", "RL") else "</TR><TR>".join(cells)
        k = self.index[node]
        return (f'\tv{k} [id="v{k}" label=<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" '
                f'CELLPADDING="4"{color}><TR>{body}</TR></TABLE>>]\n')

    def _assemble(self, lines: dict[str | None, list[str]], edges: list[str], notes: list[str],
                  name: str) -> Digraph:
        g = graphviz.Digraph(name=name)
        g.body.append(f'\tgraph [rankdir={self.opts.direction} fontname="{_FONT}" fontsize={_FONT_SIZE} '
                      f'id="{name}" labelloc=t labeljust=l]\n')
        g.body.append(f'\tnode [shape=plaintext margin=0 fontname="{_FONT}" fontsize={_FONT_SIZE}]\n')
        g.body.append(f'\tedge [fontname="{_FONT}" fontsize={_EDGE_FONT_SIZE} color="{_EDGE}"]\n')
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
            out.append(f'\tsubgraph cluster_{clusters} {{\n\t\tid="cluster_{clusters}" label={_label(scope)} '
                       f'style="rounded" color="{_CLUSTER}" fontcolor="{_CLUSTER_TEXT}" labeljust=l\n')
            stack.append((scope, True))
        stack.extend((child, False) for child in sorted(children.get(scope, ()), reverse=True))
        out.extend(lines.get(scope, ()))
    return out


def draw(root: Node, *, highlight: Iterable[Node] = (), title: str | None = None, **opts: Any) -> Digraph:
    """The graph below ``root`` as a ``graphviz.Digraph``, edges running forward.

    ``highlight``: nodes to fill in colour; ``title``: a caption; ``opts``: the picture
    options of :func:`options` (``direction``, ``show``, ``fmt``, ``clusters``,
    ``max_nodes``).  Before ``backward()`` the grads are not shown: the caption says
    they are not computed yet.

    >>> from autograd import Value
    >>> y = Value(3.0, label="a") * 2
    >>> y.backward()
    >>> "grad 2" in draw(y, direction="TB").source
    True
    """
    check_root("draw", root)
    scene = Scene(root, options("draw", **opts))
    marks = {}
    for node in highlight:
        if node not in scene.index:
            raise ValueError(f"draw: highlight holds {node!r}, which is not in the graph below the root")
        marks[node] = HIGHLIGHT
    fmt = scene.opts.fmt
    computed = _grads_computed(scene.index)
    grad_text = (lambda n: "none" if n.grad is None else summary(n.grad, fmt)) if computed else None
    return scene.digraph(grad_text, marks, caption=title)


def svgs(graphs: list[Digraph]) -> list[str]:
    """Each graph as an ``<svg>`` element, laid out by one run of ``dot``."""
    data = "".join(g.source for g in graphs).encode("utf-8")
    out = graphviz.pipe("dot", "svg", data).decode("utf-8")
    pictures = ["<svg" + part.split("<svg", 1)[1].rstrip() for part in out.split("<?xml")[1:]]
    assert len(pictures) == len(graphs), "dot returned a different number of pictures"
    return pictures
