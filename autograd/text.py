"""How nodes and numbers read in pictures, traces and reports (below both ``drawing``
and ``tracing``, so that neither imports the other for them).

* :func:`node_names` -- each node's name: its label, or a number in the one order;
* :func:`number`, :func:`summary` -- a number, an array in a few characters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.node import Node, topological_order


def node_names(root: Node, order: list[Any] | None = None) -> dict[Any, str]:
    """Each node's name in pictures and traces: its label, else ``#k``, the unlabelled nodes
    numbered 1, 2, 3, … in :func:`~autograd.node.topological_order` (``order``, if given,
    is that order); an unlabelled root is ``L``.

    >>> from autograd import Value
    >>> a = Value(1.0, label="a")
    >>> list(node_names((a * 2).tanh()).values())
    ['a', '#1', '#2', 'L']
    """
    order = topological_order(root) if order is None else order
    names: dict[Any, str] = {}
    unlabelled = 0
    for node in order:
        label = node.label
        if label is None:
            unlabelled += 1
            label = f"#{unlabelled}"
        names[node] = label
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
