"""The stepper: one self-contained HTML page that steps through a backward pass.

The graph is laid out once (one run of Graphviz's ``dot``, one SVG) and the steps travel
as data: per step the node pushing its gradient, the parent receiving it, the edge
between them, the step's equation and the parent's gradient so far.  The page's script
highlights and fills in, pans and zooms, and keeps the active step on screen at a
readable size.  So a page grows with nodes + steps, not with their product.

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
from collections.abc import Iterable, Sequence
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
    """One step of a page: ``node`` pushes its gradient to ``parent`` along input ``input``;
    ``caption`` is the step's equation, ``grad`` the parent's gradient after it, as text."""

    node: Node
    parent: Node
    input: int
    caption: str
    grad: str


def page(root: Node, root_grad: str, start: str, frames: Sequence[Frame], *, title: str, about: str,
         opts: Options, max_steps: int | None, what: str = "save_html") -> str:
    """The stepper page for the steps ``frames`` of a backward pass from ``root``, which
    starts at ``root_grad`` (frame 0, captioned ``start``).  ``title`` heads the page,
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
    widths = grad_widths(root, root_grad, ((f.parent, f.grad) for f in frames))
    grad_text = {root: root_grad}
    picture = scene.digraph(lambda node: grad_text.get(node, "?"), dict.fromkeys(scene.kept, "#ffffff"),
                            widths=widths, name="stepper")
    svg = _SVG_NOISE.sub("", svgs([picture])[0])
    data = {"root": index[root], "rootGrad": root_grad, "start": start, "gradCells": "grad" in opts.fields,
            "outside": "this step is below the part of the graph the picture shows",
            "steps": [[index[f.node], index[f.parent], f.input, f.caption, f.grad] for f in frames]}
    about_text = " ".join([about, *(f"Note: {n}." for n in notes)])
    return _PAGE.substitute(title=html.escape(title), heading=html.escape(title),
                            about=html.escape(about_text), last=len(frames), total=len(frames) + 1, svg=svg,
                            data=json.dumps(data, ensure_ascii=False).translate(_JSON_UNSAFE),
                            highlight=HIGHLIGHT, receiving=RECEIVING, edge=_ACTIVE_EDGE)


def grad_widths(root: Node, root_grad: str, grads: Iterable[tuple[Any, str]]) -> dict[Any, int]:
    """Each node's grad cell width in points: room for the longest text it will show (the
    root's ``root_grad``, a parent's each of its ``grads``, ``?`` before), so that every
    picture of one pass lays the boxes out the same and none needs to grow."""
    texts: dict[Any, list[str]] = {root: [root_grad]}
    for node, text in grads:
        texts.setdefault(node, ["?"]).append(text)
    return {node: 8 * (5 + max(len(t) for t in ts)) for node, ts in texts.items()}


def iframe(document: str, height: int = NOTEBOOK_HEIGHT) -> str:
    """``document`` (a whole page) as an ``<iframe srcdoc>``: how a notebook shows the
    stepper.  The frame keeps the page's script and element ids apart from the notebook's
    and from other steppers, and runs the script sandboxed (no same-origin access)."""
    return (f'<iframe srcdoc="{html.escape(document, quote=True)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {height}px; border: 1px solid #ddd;" '
            'title="chainrule stepper"></iframe>')
