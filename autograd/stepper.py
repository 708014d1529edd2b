"""The stepper: one self-contained HTML page that steps through a pass of derivatives.

The graph is laid out once (one run of Graphviz's ``dot``, one SVG) and the steps travel
as data: per step the nodes the derivative flows from and the node it flows to, the op's
edges it takes, the step's equation and the receiving node's new cell.  In a backward
pass (:class:`~autograd.tracing.Trace`) a node pushes its gradient to one parent; in
forward mode (:class:`~autograd.forward_tracing.ForwardTrace`) the inputs carrying a
tangent push it into the node.  The page's script highlights and fills in, pans and
zooms, and keeps the active step on screen at a readable size.  So a page grows with
nodes + steps, not with their product.

Past its limits a page degrades and says so (a warning, and a note on the page): it
draws the ``max_nodes`` nodes nearest the root (steps further down keep their
equations, without the picture) and holds the first ``max_steps`` steps.

Nothing a user writes reaches the page as markup: labels reach the SVG through
:func:`autograd.drawing.escape`, captions travel as JSON (``<``, ``>``, ``&`` as
``\\u`` escapes) and are shown with ``textContent``.
"""

from __future__ import annotations

import html
import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Any

from autograd.drawing import HIGHLIGHT, RECEIVING, Options, Scene, svgs
from autograd.node import Node

MAX_NODES = 2500
"""The most nodes a page draws by default (``dot`` lays out 2,500 in about 10 s here)."""
MAX_STEPS = 20_000
"""The most steps a page holds by default (about 300 bytes each)."""
NOTEBOOK_HEIGHT = 640
"""The height in pixels of the stepper shown in a notebook."""

_ACTIVE_EDGE = "#c0392b"
_PAGE = Template(resources.files("autograd").joinpath("stepper.html").read_text(encoding="utf-8"))
_SVG_NOISE = re.compile(r"<title>[^<]*</title>\n?|<!--.*?-->\n?", re.S)
_JSON_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


@dataclass(frozen=True)
class Frame:
    """One step of a page: the derivative flows along the edges of ``node``'s op (its inputs
    ``inputs``, and out of it) from the nodes ``sources`` to the node ``target``, whose cell
    then reads ``text``; ``caption`` is the step's equation.  A backward step: ``node``
    pushes its gradient to a parent (``sources`` is ``(node,)``, ``target`` the parent);
    a forward-mode step: the parents with a tangent push it into ``node`` (its ``target``)."""

    node: Node
    sources: tuple[Node, ...]
    target: Node
    inputs: tuple[int, ...]
    caption: str
    text: str


@dataclass(frozen=True)
class Start:
    """The page before its first step: the cells already known (``cells``: the root's
    gradient; the inputs' tangents), the nodes it marks and its caption."""

    cells: Mapping[Node, str]
    marked: tuple[Node, ...]
    caption: str


def page(root: Node, start: Start, frames: Sequence[Frame], *, cell: str, legend: str, title: str,
         about: str, opts: Options, max_steps: int | None, what: str = "save_html") -> str:
    """The stepper page for the steps ``frames`` of a pass over the graph below ``root``,
    from ``start`` (frame 0).  Each box's derivative cell reads ``cell`` and its text
    (``grad 0.5``); ``legend`` says what the colours mark, ``title`` heads the page,
    ``about`` says what the steps are (their order); ``opts`` are the picture options.
    Warns (``what`` names the caller) when the page leaves nodes or steps out."""
    if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, int)
                                  or max_steps < 1):
        raise ValueError(f"{what}: max_steps must be a positive int or None, not {max_steps!r}")
    notes = []
    if max_steps is not None and len(frames) > max_steps:
        notes.append(f"the page holds the first {max_steps:,} of {len(frames):,} steps (max_steps)")
        frames = frames[:max_steps]
    scene = Scene(root, opts)
    if len(scene.kept) < scene.total:
        notes.append(f"the picture shows the {len(scene.kept):,} nodes nearest the root of {scene.total:,} "
                     f"(max_nodes={opts.max_nodes}); steps below them show their equations only")
    if notes:
        warnings.warn(f"{what}: a large graph: {'; '.join(notes)}. Pass max_nodes=None or max_steps=None "
                      "to keep everything (Graphviz may then take minutes).", stacklevel=3)
    index = scene.index
    widths = cell_widths(start.cells, ((f.target, f.text) for f in frames), cell)
    picture = scene.digraph(lambda node: start.cells.get(node, "?"), dict.fromkeys(scene.kept, "#ffffff"),
                            widths=widths, name="stepper", cell=cell)
    svg = _SVG_NOISE.sub("", svgs([picture])[0])
    data = {"root": index[root], "start": start.caption, "cell": cell, "gradCells": "grad" in opts.fields,
            "startCells": {index[node]: text for node, text in start.cells.items()},
            "startMarks": [index[node] for node in start.marked],
            "outside": "this step is below the part of the graph the picture shows",
            "steps": [_record(f, index) for f in frames]}
    about_text = " ".join([about, *(f"Note: {n}." for n in notes)])
    return _PAGE.substitute(title=html.escape(title), heading=html.escape(title),
                            about=html.escape(about_text), legend=html.escape(legend), last=len(frames),
                            total=len(frames) + 1, svg=svg,
                            data=json.dumps(data, ensure_ascii=False).translate(_JSON_UNSAFE),
                            highlight=HIGHLIGHT, receiving=RECEIVING, edge=_ACTIVE_EDGE)


def _record(frame: Frame, index: Mapping[Node, int]) -> list[Any]:
    """A frame as the page's script reads it: ``[node, target, input(s), caption, text]``,
    then ``sources`` when they are not just ``node`` (a backward step's record, 300 bytes
    on average, keeps to the five entries)."""
    inputs: Any = frame.inputs[0] if len(frame.inputs) == 1 else list(frame.inputs)
    record = [index[frame.node], index[frame.target], inputs, frame.caption, frame.text]
    if len(frame.sources) != 1 or frame.sources[0] is not frame.node:  # nodes compare by identity here
        record.append([index[n] for n in frame.sources])
    return record


def cell_widths(start: Mapping[Any, str], texts: Iterable[tuple[Any, str]], cell: str) -> dict[Any, int]:
    """Each node's derivative cell width in points: room for ``cell`` and the longest text
    it will show (its text in ``start``, else ``?``, then each of its ``texts``), so that
    every picture of one pass lays the boxes out the same and none needs to grow."""
    shown: dict[Any, list[str]] = {node: [text] for node, text in start.items()}
    for node, text in texts:
        shown.setdefault(node, ["?"]).append(text)
    return {node: 8 * (len(cell) + 1 + max(len(t) for t in ts)) for node, ts in shown.items()}


def iframe(document: str, height: int = NOTEBOOK_HEIGHT) -> str:
    """``document`` (a whole page) as an ``<iframe srcdoc>``: how a notebook shows the
    stepper.  The frame keeps the page's script and element ids apart from the notebook's
    and from other steppers, and runs the script sandboxed (no same-origin access)."""
    return (f'<iframe srcdoc="{html.escape(document, quote=True)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {height}px; border: 1px solid #ddd;" '
            'title="chainrule stepper"></iframe>')
