"""Backpropagation, step by step: every chain-rule step of a 2-3-1 sigmoid MLP on one example.

The seed example: a 2-3-1 sigmoid MLP, one example, mean squared error, on the scalar
``Value`` engine.  Prints every chain-rule step of the backward pass, writes the graph
picture (SVG, PNG, DOT), the step-by-step HTML stepper and the step table (Markdown,
LaTeX) into ``--out``, then puts the textbook's hand-derived deltas and gradients
(``nn.textbook``) beside autograd's and prints how far apart they are.

    python -m demos.backprop_steps [--out DIR] [--seed N]     (installed: chainrule backprop-steps)

The pictures and the stepper need Graphviz's ``dot`` program (``apt-get install graphviz``,
``brew install graphviz``); without it only the DOT source and the tables are written.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import autograd
import nn
from autograd import Value
from autograd.extend import topological_order

X = [0.5, -1.0]
Y = [1.0]


def build(seed: int) -> tuple[nn.MLP, Value, list[list[Value]]]:
    """The net, its loss C on (X, Y), and the sums z(l)_j of each layer l = 1 ... L, found by
    the labels ``nn`` gives them (``z[l][j]``, as ``w[l][j,i]``, ``b[l][j]``, ``a[l][j]``)."""
    net = nn.MLP([2, 3, 1], activation="sigmoid", output_activation="sigmoid", init="uniform",
                 engine="value", rng=seed)  # the study's U(-1, 1), not nn's default
    (out,) = net(X)
    loss = nn.mse_loss([out], Y)
    loss.label = "C"
    nodes = {n.label: n for n in topological_order(loss)}
    zs = [[nodes[f"z[{layer}][{j}]"] for j in range(lin.n_out)]
          for layer, lin in enumerate(net.linears(), start=1)]
    return net, loss, zs


def main(argv: Sequence[str] | None = None, prog: str = "python -m demos.backprop_steps") -> int:
    """Run the demo; returns the process exit status."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo-output/backprop_steps"),
                        help="folder for the pictures and the HTML stepper (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights (default: 0)")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    net, loss, zs = build(args.seed)
    print(f"2-3-1 sigmoid MLP, one example x = {X}, target y = {Y}, C = mean (a - y)² = {loss.data:.6f}\n")
    loss.backward()
    steps = autograd.trace(loss, order="layers")
    print(f"The backward pass, {len(steps)} chain-rule steps, layer by layer (output layer first):\n")
    print(steps.table(".4f"))

    picture = autograd.draw(loss, fmt=".4f", title="2-3-1 sigmoid MLP on one example, MSE")
    (out / "steps.md").write_text(steps.to_markdown(".4f") + "\n", encoding="utf-8")
    (out / "steps.tex").write_text(steps.to_latex(".4f") + "\n", encoding="utf-8")
    written = [picture.save(out / "graph.dot"), out / "steps.md", out / "steps.tex"]
    if shutil.which("dot"):
        for fmt in ("svg", "png"):
            written.append(picture.render(out / "graph", format=fmt, cleanup=False))
        written.append(steps.save_html(out / "backprop_steps.html", fmt=".4f",
                                       title="Backpropagation through a 2-3-1 sigmoid MLP, step by step"))
    else:
        print("\nGraphviz's dot program is not installed (apt-get install graphviz, brew install graphviz):"
              " wrote only the DOT source and the tables, no pictures and no stepper.")
    print("\nWrote:\n" + "\n".join(f"  {p}" for p in written))

    print("\nThe textbook formulas (nn.textbook, plain numpy) beside autograd:")
    linears = net.linears()
    weights = [np.vectorize(lambda v: v.data, otypes=[float])(lin.weight) for lin in linears]
    biases = [np.vectorize(lambda v: v.data, otypes=[float])(lin.bias) for lin in linears]
    Zs, As = nn.textbook.forward(weights, biases, np.array([X]), "sigmoid", "sigmoid")
    target = np.array([Y])
    deltas = nn.textbook.deltas(weights, Zs, As, target, "sigmoid", "mse_loss", "sigmoid")
    dWs, dbs = nn.textbook.backward(weights, Zs, As, target, "sigmoid", "mse_loss", "sigmoid")
    rows: list[tuple[str, float, float]] = []
    for layer, (delta, z_nodes) in enumerate(zip(deltas, zs), start=1):
        for j, z in enumerate(z_nodes):
            rows.append((f"δ({layer})[{j}] = ∂C/∂{z.label}", float(delta[0, j]), z.grad))
    for lin, dW, db in zip(linears, dWs, dbs):
        for (j, i), w in np.ndenumerate(lin.weight):
            rows.append((f"∂C/∂{w.label}", float(dW[j, i]), w.grad))
        for (j,), b in np.ndenumerate(lin.bias):
            rows.append((f"∂C/∂{b.label}", float(db[j]), b.grad))
    width = max(len(r[0]) for r in rows)
    print(f"  {'quantity'.ljust(width)}  {'textbook':>13}  {'autograd':>13}  {'difference':>10}")
    for name, book, auto in rows:
        print(f"  {name.ljust(width)}  {book:>13.9f}  {auto:>13.9f}  {abs(book - auto):>10.2e}")
    worst = max(abs(book - auto) for _, book, auto in rows)
    print(f"\nMax difference over {len(rows)} deltas and gradients: {worst:.2e} "
          f"({'agree to float64 round-off' if worst < 1e-12 else 'DISAGREE'})")
    return 0 if worst < 1e-12 else 1


if __name__ == "__main__":
    raise SystemExit(main())
