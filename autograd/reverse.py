"""Reverse mode as a function: the gradients of chosen nodes, changing no node's ``grad``.

``backward()`` adds d(root)/d(node) into the ``grad`` of every node of the graph, as a
training loop wants; :func:`gradients` returns d(root)/d(w) for the nodes ``w`` asked for
and leaves every ``grad`` as it was, visiting only the nodes on a path from the root to
them: the walk under :func:`autograd.grad`, :func:`autograd.vjp`, :func:`autograd.jacobian`
and forward mode's transposed vector-Jacobian products (:mod:`autograd.forward`).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from autograd.node import Node, enable_grad, topological_order


def gradients(root: Node, grad: Any, wrt: Sequence[Node], create_graph: bool = False) -> list[Any]:
    """``grad`` · d(root)/d(w) for each node ``w`` of ``wrt`` (``None`` for one that ``root``
    does not depend on), changing no node's ``grad``: the walk under :func:`autograd.grad`,
    :func:`autograd.vjp` and :func:`autograd.jacobian`.

    Only the nodes on a path from ``root`` to a node of ``wrt`` are visited, and the walk
    stops at the nodes of ``wrt`` (they may be op nodes).  ``create_graph`` as in
    :func:`run_backward`.

    >>> from autograd import Value
    >>> x = Value(3.0)
    >>> y = x * x
    >>> gradients(y, 1.0, [x]), x.grad
    ([6.0], 0.0)
    """
    return Pullback(root, wrt)(grad, create_graph)


class Pullback:
    """The reverse walk from ``root`` to the nodes ``wrt``, planned once (which nodes lie on
    a path between them, in which order) and run for any number of upstream gradients:
    ``Pullback(y, [x])(u)`` is :func:`gradients` ``(y, u, [x])``; a Jacobian runs it once per
    output element.

    >>> from autograd import Value
    >>> x = Value(3.0)
    >>> pull = Pullback(x * x, [x])
    >>> pull(1.0), pull(0.5)
    ([6.0], [3.0])
    """

    def __init__(self, root: Node, wrt: Sequence[Node]) -> None:
        self.root, self.wrt = root, list(wrt)
        targets = set(self.wrt)
        on_path: set[Any] = set()
        topological = topological_order(root)
        for node in topological:
            if node in targets or any(p in on_path for p in node._parents):
                on_path.add(node)
        self.on_path = on_path
        walked = root in on_path and root not in targets
        self.order = [n for n in reversed(topological)
                      if walked and n._op is not None and n in on_path and n not in targets]

    def __call__(self, grad: Any, create_graph: bool = False) -> list[Any]:
        """``grad`` · d(root)/d(w) for each ``w`` of ``wrt`` (``None``: no dependence)."""
        on_path = self.on_path
        pending: dict[Any, Any] = {self.root: grad}
        with enable_grad() if create_graph else nullcontext():
            for node in self.order:
                grad_out = pending.pop(node, None)
                if grad_out is None:  # reached only through nodes of wrt, where the walk stops
                    continue
                pushed = (node._graph_contributions(grad_out) if create_graph
                          else node._contributions(grad_out))
                for parent, _, contribution in pushed:
                    if parent in on_path:
                        total = pending.get(parent)
                        pending[parent] = contribution if total is None else total + contribution
        return [pending.get(w) for w in self.wrt]
