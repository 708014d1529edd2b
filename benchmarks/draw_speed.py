"""How long drawing a big graph takes (the DOT source, no layout): ``autograd.draw``
against micrograd's ``draw_dot`` (the code of its ``trace_graph.ipynb`` notebook, the
only drawing micrograd has), on the same graph of n nodes, each in its own process.

The graph: leaves x_i and w_i, t_i = relu(x_i * w_i) (micrograd has no tanh), summed as a balanced tree (so
micrograd's recursive walk stays within Python's recursion limit).  The bar: 5,000
nodes in under a second; 100,000 nodes with the cap (``max_nodes=1000``) must finish.

    python -m benchmarks.draw_speed [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from benchmarks.common import compare, emit, is_worker, run_worker


def build(value: Any, n_nodes: int) -> Any:
    """A graph of about ``n_nodes`` nodes made with the Value class ``value``."""
    k = max(1, n_nodes // 5)  # per term: x, w, x*w, relu, plus about one sum node
    terms = [(value(0.01 * i) * value(-0.5 + 0.001 * i)).relu() for i in range(k)]
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i] for i in range(0, len(terms), 2)]
    return terms[0]


def micrograd_draw_dot(root: Any) -> Any:
    """micrograd's trace_graph.ipynb, verbatim apart from names, types and an f-string."""
    from autograd.drawing import Digraph  # graphviz.Digraph, the class the notebook uses

    nodes, edges = set(), set()

    def walk(v: Any) -> None:
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                walk(child)

    walk(root)
    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label=f"{{ data {n.data:.4f} | grad {n.grad:.4f} }}", shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def worker(name: str, n_nodes: str, cap: str) -> dict[str, float]:
    """Build the graph, run backward, then time making the DOT source."""
    n = int(n_nodes)
    if name == "chainrule":
        from autograd import Value, draw
        from autograd.extend import topological_order

        root = build(Value, n)
        root.backward()
        count = len(topological_order(root))
        start = time.process_time()
        source = draw(root, max_nodes=None if cap == "none" else int(cap)).source
    else:
        sys.setrecursionlimit(10_000)
        from micrograd.engine import Value as MicroValue

        root = build(MicroValue, n)
        root.backward()
        count = -1
        start = time.process_time()
        source = micrograd_draw_dot(root).source
    seconds = time.process_time() - start
    return {"seconds": seconds, "ms": 1000 * seconds, "nodes": count, "chars": len(source)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    module = "benchmarks.draw_speed"
    nodes = run_worker(module, ["chainrule", "5000", "none"])["nodes"]
    print(f"5,000-node case: the graph has {nodes:,.0f} nodes")
    medians = compare(module, ["chainrule", "micrograd"], [["5000", "none"]], args.repeats, "ms",
                      "milliseconds of CPU to make the DOT source")
    ours = medians[("5000", "none")]["chainrule"]
    print(f"\nbar: 5,000 nodes under 1 s: {ours:.0f} ms -> {'PASS' if ours < 1000 else 'FAIL'}")
    capped = [run_worker(module, ["chainrule", "100000", "1000"]) for _ in range(args.repeats)]
    capped_ms = sorted(c["ms"] for c in capped)[len(capped) // 2]
    print(f"100,000-node case ({capped[0]['nodes']:,.0f} nodes), max_nodes=1000: median {capped_ms:.0f} ms "
          f"of CPU for the capped source ({capped[0]['chars']:,.0f} characters)")


if __name__ == "__main__":
    if is_worker():
        emit(worker(*sys.argv[2:]))
    else:
        main()
