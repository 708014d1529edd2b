"""The scalar engine against micrograd 0.1.0 (issue 2's benchmark).

(a) one training step of micrograd's demo: ``MLP(2, [16, 16, 1])`` on 100 points,
    max-margin loss + 1e-4 L2 (~66,000 nodes), garbage collector on (the default);
(b) building and back-propagating a 200,000-node graph: a balanced sum of
    products, and a linear chain;
(c) bytes per node (tracemalloc) of a built graph.

Run: ``python -m benchmarks.value_engine`` (needs ``pip install micrograd==0.1.0``).
Each contender runs in its own process on one thread; they alternate; medians of 9
processes (a), 5 (b).  One run on the shared 2-core machine: (a) 68 ms against 782 ms
(11.4x), (b) 119 ms / 108 ms against 623 ms / RecursionError, (c) 128 bytes against 596.
"""

from __future__ import annotations

import math
import random
import sys
import time
import tracemalloc
from typing import Any

from benchmarks.common import compare, emit, is_worker

MODULE = "benchmarks.value_engine"


def _value_class(name: str) -> Any:
    if name == "micrograd":
        from micrograd.engine import Value as MicroValue
        return MicroValue
    from autograd import Value
    return Value


def _mlp(V: Any, sizes: list[int]) -> list[tuple[list[list[Any]], list[Any], bool]]:
    """micrograd's MLP: neurons sum(w_i x_i, b), ReLU on all but the last layer."""
    rnd = random.Random(0)
    return [([[V(rnd.uniform(-1, 1)) for _ in range(sizes[i])] for _ in range(sizes[i + 1])],
             [V(0.0) for _ in range(sizes[i + 1])], i != len(sizes) - 2) for i in range(len(sizes) - 1)]


def _forward(layers: list[tuple[list[list[Any]], list[Any], bool]], x: list[Any]) -> Any:
    for W, b, nonlin in layers:
        out = []
        for w, bias in zip(W, b):
            act = sum((wi * xi for wi, xi in zip(w, x)), bias)
            out.append(act.relu() if nonlin else act)
        x = out
    return x[0]


def training_step(V: Any, steps: int) -> float:
    """Median seconds of one micrograd-demo training step."""
    rnd = random.Random(1)
    X = [[rnd.gauss(0, 1), rnd.gauss(0, 1)] for _ in range(100)]
    y = [1.0 if rnd.random() < 0.5 else -1.0 for _ in range(100)]
    model = _mlp(V, [2, 16, 16, 1])
    params = [p for W, b, _ in model for row in W for p in row] + [p for _, b, _ in model for p in b]
    times = []
    for _ in range(steps):
        t0 = time.process_time()
        scores = [_forward(model, [V(a) for a in row]) for row in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
        for p in params:
            p.grad = 0.0
        total.backward()
        for p in params:
            p.data -= 0.05 * p.grad
        times.append(time.process_time() - t0)
    return sorted(times)[len(times) // 2]


def balanced(V: Any, n_nodes: int) -> Any:
    """sum over pairs of a_i * b_i, summed as a balanced tree: about n_nodes nodes."""
    rnd = random.Random(2)
    k = n_nodes // 4
    leaves = [V(rnd.random()) for _ in range(2 * k)]
    level = [leaves[2 * i] * leaves[2 * i + 1] for i in range(k)]
    while len(level) > 1:
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = pairs + ([level[-1]] if len(level) % 2 else [])
    return level[0]


def chain(V: Any, n_nodes: int) -> Any:
    """y <- y * w_i for fresh leaves w_i: a linear chain of about n_nodes nodes."""
    y = V(1.0)
    for _ in range(n_nodes // 2):
        y = y * V(1.0)
    return y


def build_and_backward(V: Any, make: Any, n_nodes: int) -> float:
    t0 = time.process_time()
    root = make(V, n_nodes)
    root.backward()
    return time.process_time() - t0


def worker(name: str, case: str) -> dict[str, float]:
    V = _value_class(name)
    if case == "step":
        return {"ms": 1e3 * training_step(V, steps=5)}
    if case == "bytes":
        tracemalloc.start()
        root = balanced(V, 100_000)
        used, _ = tracemalloc.get_traced_memory()
        del root
        return {"bytes_per_node": used / 100_000}
    make = balanced if case == "balanced" else chain
    try:
        return {"ms": 1e3 * min(build_and_backward(V, make, 200_000) for _ in range(3))}
    except RecursionError:
        return {"ms": float("nan")}


def main() -> None:
    contenders = ["chainrule", "micrograd"]
    print("chainrule Value vs micrograd 0.1.0, one thread, GC on; lower is better")
    res = compare(MODULE, contenders, [["step"]], repeats=9, metric="ms", unit="ms per training step")
    step = res[("step",)]
    res.update(compare(MODULE, contenders, [["balanced"], ["chain"]], repeats=5, metric="ms",
                       unit="ms to build + backward 200,000 nodes; nan = RecursionError"))
    mem = compare(MODULE, contenders, [["bytes"]], repeats=1, metric="bytes_per_node",
                  unit="bytes per node")[("bytes",)]
    chain_ms = res[("chain",)]["micrograd"]
    chain_note = "fails (RecursionError)" if math.isnan(chain_ms) else f"{chain_ms:.0f} ms"
    print(f"\nsummary: training step {step['micrograd'] / step['chainrule']:.1f}x faster than micrograd; "
          f"balanced graph {res[('balanced',)]['micrograd'] / res[('balanced',)]['chainrule']:.1f}x; "
          f"chain: micrograd {chain_note}; memory {mem['micrograd'] / mem['chainrule']:.1f}x less per node")


if __name__ == "__main__":
    if is_worker():
        emit(worker(*sys.argv[2:]))
    else:
        main()
