"""The backward trace: every step is one chain-rule application that holds up on its
own numbers, the steps come in the engine's order, and the grads they build equal
``backward()``'s."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import graphviz
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Step, Tensor, Trace, Value, draw, linear, trace
from autograd.extend import ops, topological_order
from tests.strategies import arrays, broadcast_shapes, floats
from tests.tools import require

UNARY = ["tanh", "sigmoid", "exp", "neg", "square"]
BINARY = ["add", "mul", "sub", "div"]


def build(kind: Callable[[float], Any], xs: list[float],
          program: list[tuple[str, int, int]]) -> tuple[Any, list[Any]]:
    """A graph from a little program over leaves ``xs``: each instruction applies an op to
    earlier nodes (by index), so fan-out and reuse (``x * x``) happen naturally."""
    leaves = [kind(x) for x in xs]
    for i, leaf in enumerate(leaves):
        leaf.label = f"x{i}"
    nodes = list(leaves)
    for name, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if name == "tanh":
            out = a.tanh()
        elif name == "sigmoid":
            out = a.sigmoid()
        elif name == "exp":
            out = a.tanh().exp()
        elif name == "neg":
            out = -a
        elif name == "square":
            out = a.tanh() ** 2
        elif name == "add":
            out = a + b
        elif name == "mul":
            out = a * b.tanh()
        elif name == "sub":
            out = a - b
        else:
            out = a / (b * b + 1.0)
        nodes.append(out)
    root = nodes[-1]
    for n in nodes[len(leaves):-1]:
        root = root + 0.5 * n  # every node reaches the root
    return root, leaves


programs = st.lists(st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 50), st.integers(0, 50)),
                    min_size=1, max_size=12)


def check_step(step: Step) -> None:
    """What a step claims, checked from its own numbers and an independent derivative."""
    assert step.contribution == step.upstream * step.local
    inputs = step.node.inputs
    op = step.node.op

    def f(t: float) -> float:
        xs = list(inputs)
        xs[step.input] = t
        return float(op.forward(ops.SCALAR, *xs))

    x = inputs[step.input]
    h = 1e-6 * max(1.0, abs(x))
    numeric = (f(x + h) - f(x - h)) / (2 * h)
    assert math.isclose(step.local, numeric, rel_tol=1e-5, abs_tol=1e-6), (step, numeric)


@given(st.lists(floats(-2, 2), min_size=1, max_size=4), programs)
def test_value_steps_are_chain_rule_and_end_at_backwards_grads(xs: list[float], program: list[Any]) -> None:
    root, leaves = build(Value, xs, program)
    root.backward()
    t = trace(root)
    other, other_leaves = build(Value, xs, program)
    other.backward()
    sums: dict[Any, float] = {}
    finished: set[Any] = set()
    previous = None
    for k, step in enumerate(t, start=1):
        assert step.index == k
        check_step(step)
        assert step.parent is step.node.parents[step.input]
        if step.node is not previous:
            finished.add(previous)
            assert step.node not in finished, "a node's steps come together"
            previous = step.node
        assert step.parent not in finished, "a node pushes only once its grad is complete"
        total = sums.get(step.parent)
        sums[step.parent] = step.contribution if total is None else total + step.contribution
        assert step.parent_grad == sums[step.parent]
        assert step.upstream == step.node.grad
    for leaf, twin in zip(leaves, other_leaves):
        assert leaf.grad == twin.grad
        if leaf in sums:
            assert sums[leaf] == twin.grad
    assert t.grad == 1.0 and root.grad == 1.0


def test_checker_fails_on_a_wrong_step() -> None:
    """Negative controls: a step with a wrong local derivative, or a wrong product, fails."""
    x = Value(0.3, label="x")
    (step,) = trace(x.tanh())
    check_step(step)
    with pytest.raises(AssertionError):
        check_step(dataclasses.replace(step, local=step.local * 1.01,
                                       contribution=step.upstream * step.local * 1.01))
    with pytest.raises(AssertionError):
        check_step(dataclasses.replace(step, contribution=step.contribution + 1e-9))


def test_a_node_used_twice_pushes_twice_and_sums() -> None:
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    y.backward()
    s0, s1 = trace(y)
    assert (s0.input, s1.input) == (0, 1)
    assert s0.parent is s1.parent is x
    assert (s0.parent_grad, s1.parent_grad) == (3.0, 6.0) == (s0.contribution, x.grad / 2 + s1.contribution)
    assert s0.local_text() == "∂(x * x)/∂x (input 1 of 2) = x = 3", "in the user's names, saying which x"
    assert s1.local_text() == "∂(x * x)/∂x (input 2 of 2) = x = 3"
    assert "⇒ ∂y/∂x = 6" in s1.equation()


def test_local_text_names_the_formula() -> None:
    x = Value(0.5, label="x")
    (step,) = trace(x.tanh())
    assert step.local_text(".4f") == f"∂tanh(x)/∂x = 1 - tanh(x)² = {1 - math.tanh(0.5) ** 2:.4f}"
    assert step.op is ops.TANH and step.partial == "1 - tanh(x)²"


def unbroadcast_by_hand(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


@given(broadcast_shapes(3).flatmap(lambda shapes: st.tuples(*(arrays(s, -2, 2) for s in shapes))))
def test_tensor_steps_show_the_unbroadcasting_sum(abc: tuple[np.ndarray, ...]) -> None:
    def graph() -> tuple[Tensor, list[Tensor]]:
        a, b, c = (Tensor(v, requires_grad=True, label=n) for v, n in zip(abc, "abc"))
        return ((a * b).tanh() + c).sum(), [a, b, c]

    root, leaves = graph()
    root.backward()
    t = trace(root)
    twin, twin_leaves = graph()
    twin.backward()
    for step in t:
        assert step.parent_grad.shape == step.parent.shape
        if step.local is None:
            assert step.op.name == "sum"
            spread = np.broadcast_to(step.upstream, step.parent.shape)
            np.testing.assert_array_equal(step.contribution, spread)
            continue
        full = np.asarray(step.upstream * step.local)
        by_hand = unbroadcast_by_hand(full, step.parent.shape)
        np.testing.assert_allclose(step.contribution, by_hand, rtol=1e-12)
        extra = full.ndim - step.parent.ndim
        expected = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(step.parent.shape)
                                               if n == 1 and full.shape[extra + i] != 1)
        assert step.summed_axes == expected
    for leaf, other in zip(leaves, twin_leaves):
        np.testing.assert_array_equal(leaf.grad, other.grad)
        last = [s for s in t if s.parent is leaf][-1]
        np.testing.assert_array_equal(last.parent_grad, other.grad)


def test_tensor_structural_step_shows_its_vjp_rule() -> None:
    W = Tensor(np.ones((2, 3)), requires_grad=True, label="W")
    x = Tensor([1.0, 2.0, 3.0])
    t = trace((W @ x).sum())
    mm = next(s for s in t if s.op.name == "matmul")
    assert mm.local is None and mm.input == 0 and mm.parent is W
    assert mm.local_text() == "vjp: δ @ yᵀ", "a constant input keeps the op's name for it"
    assert "∂L/∂W += δ @ yᵀ with δ = ∂L/∂#1 = (2,) [1, 1]: (2, 3)" in mm.equation()


def test_three_input_op_steps_name_their_input_slots() -> None:
    W = Tensor(np.ones((2, 3)), requires_grad=True, label="W")
    b = Tensor(np.zeros(2), requires_grad=True, label="b")
    root = linear(Tensor(np.ones((4, 3))), W, b).sum()
    root.backward()
    t = trace(root)
    slots = {s.parent_name: (s.input, s.local_text()) for s in t if s.op.arity == 3}
    assert slots == {"W": (1, "vjp: δᵀ @ x"), "b": (2, "vjp: Σ_batch δ")}, "the textbook's forms"
    np.testing.assert_array_equal(b.grad, [4.0, 4.0])
    source = draw(t.root).source
    edges = {'\tv0 -> o2 [id="e2_1" label=<W>]', '\tv1 -> o2 [id="e2_2" label=<b>]',
             "\tc2_0 -> o2 [label=<x>]"}
    assert edges <= set(source.splitlines()), "x (a constant), W and b enter the op in their slots"


def test_broadcast_step_says_which_axes_were_summed() -> None:
    X = Tensor(np.ones((4, 3)), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True, label="b")
    t = trace((X + b).sum())
    step = next(s for s in t if s.parent is b)
    assert step.summed_axes == (0,)
    assert "∂L/∂b += Σ_batch ∂L/∂#2 ⊙ ∂#2/∂b = Σ_batch (4, 3)" in step.equation()
    np.testing.assert_array_equal(step.contribution, np.full(3, 4.0))
    c = Tensor(np.zeros((4, 1)), requires_grad=True, label="c")
    step = next(s for s in trace((X + c).sum()) if s.parent is c)
    assert step.summed_axes == (1,) and "∂L/∂c += Σ_axes[1] ∂L/∂#2" in step.equation()


def test_the_record_does_not_change_when_grads_are_updated_in_place() -> None:
    W = Tensor(np.ones(3), requires_grad=True, label="W")
    root = (W * W).sum()
    root.backward()
    t = trace(root)
    before = [s.parent_grad.copy() for s in t]
    assert W.grad is not None
    W.grad *= 0
    for s, b in zip(t, before):
        np.testing.assert_array_equal(s.parent_grad, b)


@pytest.mark.parametrize("kind", [Value, lambda v: Tensor(v, requires_grad=True)])
def test_a_trace_never_changes_a_gradient(kind: Callable[[float], Any]) -> None:
    """Recording is private: trace before, after or between backward() calls changes no .grad,
    and its running totals equal what one backward() from zero gives."""
    x = kind(2.0)
    h = x * 3
    y = h * h
    t = trace(y)
    assert np.all(x.grad == 0) if isinstance(x, Value) else x.grad is None
    y.backward()
    after_backward = (np.copy(x.grad), np.copy(h.grad))
    trace(y)
    trace(y)
    np.testing.assert_array_equal(x.grad, after_backward[0])
    np.testing.assert_array_equal(h.grad, after_backward[1])
    last_into_x = [s for s in t if s.parent is x][-1]
    np.testing.assert_array_equal(last_into_x.parent_grad, x.grad)  # one pass: 2 * 3 * (3 * 2) = 36
    assert float(np.asarray(x.grad)) == 36.0


def test_the_starting_gradient_and_errors() -> None:
    v = Tensor([1.0, 2.0], requires_grad=True)
    t = trace(v * 2, grad=[1.0, -1.0])
    np.testing.assert_array_equal(t[-1].parent_grad, [2.0, -2.0])
    assert v.grad is None
    np.testing.assert_array_equal(t.grad, [1.0, -1.0])
    with pytest.raises(ValueError, match="trace: output has shape"):
        trace(v * 2)
    with pytest.raises(ValueError, match="trace: grad has shape"):
        trace(v * 2, grad=[1.0])
    with pytest.raises(ValueError, match="does not require grad"):
        trace(Tensor([1.0]) * 2)
    with pytest.raises(ValueError, match="is a leaf.*no backward pass to trace"):
        trace(Value(1.0, label="x"))
    with pytest.raises(ValueError, match="order must be one of"):
        trace(Value(1.0) * 2, order="random")
    with pytest.raises(TypeError, match="Value or a Tensor"):
        trace(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a number"):
        trace(Value(1.0) * 2, grad="1")
    assert trace(Value(1.0) * 2, grad=0.5)[0].contribution == 1.0


def sample() -> Trace:
    a = Value(1.5, label="a_1 & 50%")
    b = Value(-0.5, label="b|c")
    y = (a * b).sigmoid() + a
    y.label = "L"
    return trace(y)


def test_table_markdown_and_latex_have_one_row_per_step() -> None:
    t = sample()
    table = str(t).splitlines()
    assert len(table) == len(t) + 2
    assert table[0].split()[:3] == ["#", "node", "op"]
    md = t.to_markdown().splitlines()
    assert len(md) == len(t) + 2

    def cells(line: str) -> int:
        return len(line.replace("\\|", "").split("|")) - 2

    assert {cells(line) for line in md} == {len(t.header)}, "an escaped | does not add a column"
    assert "b\\|c" in t.to_markdown() and "a\\_1" in t.to_markdown()
    tex = t.to_latex().splitlines()
    rows = [line for line in tex if line.endswith("\\\\")]
    assert len(rows) == len(t) + 1
    for row in rows:
        assert row.replace("\\&", "").count("&") == len(t.header) - 1
    assert "a\\_1 \\& 50\\%" in t.to_latex() and "b\\textbar{}c" in t.to_latex()
    assert "$\\sigma$(\\#1)" in t.to_latex(), "formulas in the nodes' names"


def test_markdown_checker_catches_an_unescaped_pipe() -> None:
    """Negative control for the column count above."""
    line = "| 1 | b|c | x |"
    assert len(line.replace("\\|", "").split("|")) - 2 != 3


def test_frames_fill_grads_step_by_step_and_mark_the_active_edge() -> None:
    require(shutil.which("dot") is not None, "Graphviz's dot is not installed")
    t = sample()
    pictures = t.frames()
    assert len(pictures) == len(t)
    seen: set[Any] = {t.root}
    for step, g in zip(t, pictures):
        seen.add(step.parent)
        lay = json.loads(graphviz.pipe("dot", "json", g.source.encode()))
        labels = {o["name"]: o.get("label", "") for o in lay["objects"]}
        names = {n: k for k, n in enumerate(topological_order(t.root))}
        for node, k in names.items():
            label = labels[f"v{k}"]
            assert ("grad ?" in label) == (node not in seen)
        assert 'BGCOLOR="#ffd966"' in labels[f"v{names[step.node]}"]
        assert 'BGCOLOR="#b7e1a1"' in labels[f"v{names[step.parent]}"]
        assert f"step {step.index}/{len(t)}" in lay["label"]
        red = [e for e in lay["edges"] if e.get("color") == "#c0392b"]
        assert len(red) == 2



def test_the_demo_runs_end_to_end(tmp_path: Path) -> None:
    """``python -m demos.backprop_steps``: every step printed, the files written, and
    the textbook's deltas and gradients equal autograd's."""
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "demos.backprop_steps", "--out", str(out)], cwd=root,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    steps = re.search(r"The backward pass, (\d+) chain-rule steps", text)
    assert steps is not None
    n = int(steps.group(1))
    assert re.search(rf"^{n}\s+\S+\s+\S+", text, re.M), "the last step is printed"
    assert "δ(1)[0] = ∂C/∂z[1][0]" in text and "∂C/∂w[2][0,2]" in text
    assert "agree to float64 round-off" in text
    differences = [float(m) for m in re.findall(r"(\d\.\d\de[+-]\d\d)$", text, re.M)]
    assert len(differences) == 17 and max(differences) < 1e-12
    for name in ("graph.dot", "steps.md", "steps.tex"):
        assert (out / name).stat().st_size > 0
    if shutil.which("dot"):
        assert (out / "graph.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
        assert (out / "graph.png").read_bytes()[:4] == b"\x89PNG"
        html = (out / "backprop_steps.html").read_text(encoding="utf-8")
        assert html.count("<svg") == 1 and "layer by layer" in html


def mlp_loss(engine: str, sizes: list[int]) -> Any:
    net = nn.MLP(sizes, activation="tanh", output_activation="sigmoid", engine=engine, rng=0)
    x = [0.5, -1.0, 2.0][: sizes[0]]
    out = net(x) if engine == "value" else net(Tensor(np.array([x])))
    return nn.mse_loss(out, [1.0] * sizes[-1] if engine == "value" else np.ones((1, sizes[-1])))


def scope_runs(t: Trace) -> list[str | None]:
    """The scopes of the pushing nodes, one entry per run of equal scopes."""
    runs: list[str | None] = []
    for s in t:
        if not runs or runs[-1] != s.node.scope:
            runs.append(s.node.scope)
    return runs


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_layer_order_takes_one_scope_at_a_time_output_first(engine: str) -> None:
    """order="layers": each scope's steps together (no scope returns once left), the loss and
    the output layer first; the same steps as the engine's order, the same gradients."""
    loss = mlp_loss(engine, [3, 4, 4, 2])
    by_layer, by_engine = trace(loss, order="layers"), trace(loss)
    runs = scope_runs(by_layer)
    assert len(runs) == len(set(runs)), f"a scope came back: {runs}"
    position = {node: k for k, node in enumerate(topological_order(loss))}
    last = {s.node.scope: position[s.node] for s in sorted(by_layer, key=lambda s: position[s.node])}
    assert [last[r] for r in runs] == sorted((last[r] for r in runs), reverse=True), "the root's side first"
    assert by_layer.order == "layers" and "layer by layer" in by_layer.about()
    assert sorted((id(s.node), id(s.parent), s.input) for s in by_layer) == sorted(
        (id(s.node), id(s.parent), s.input) for s in by_engine)
    finals = {}
    for t in (by_layer, by_engine):
        finals[t.order] = {id(s.parent): s.parent_grad for s in t}  # the last step into a node holds its grad
    for k, g in finals["engine"].items():
        np.testing.assert_allclose(finals["layers"][k], g, rtol=1e-12, atol=1e-15)


def test_the_engine_order_interleaves_layers_on_the_value_engine() -> None:
    """Negative control for the check above: the engine's depth-first order returns to scopes."""
    runs = scope_runs(trace(mlp_loss("value", [3, 4, 4, 2])))
    assert len(runs) != len(set(runs))


def test_captions_use_the_users_names_and_the_roots_label() -> None:
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    b = Value(0.5, label="b")
    o = (x1 * w1 + b).tanh()
    o.label = "o"
    t = trace(o)
    mul = next(s for s in t if s.op is ops.MUL and s.parent is w1)
    assert mul.local_text() == "∂(x1 * w1)/∂w1 = x1 = 2"
    assert mul.equation().startswith("*: ∂o/∂w1 += ∂o/∂#1 · ∂#1/∂w1 = ")
    assert t.header[3] == "upstream ∂o/∂node" and "∂o/∂" in t.table().splitlines()[0]
    odd = Value(1.0, label="a + b")
    step = trace(odd.exp())[0]
    assert step.local_text() == "∂exp(a + b)/∂(a + b) = exp(a + b) = 2.718", "several words: in (), once"


@given(st.lists(floats(-2, 2), min_size=2, max_size=4), programs)
def test_no_formula_variable_is_left_unnamed(xs: list[float], program: list[Any]) -> None:
    """Every local derivative is written in node names: the op table's x and y never remain
    (the leaves are x0, x1, ...; unlabelled nodes #k)."""
    root, _ = build(Value, xs, program)
    if root.op is None:
        return
    for s in trace(root):
        text = s.local_text()
        assert not re.search(r"(?<![\w#\[])[xy](?![\w\]])", text), text
        assert s.parent_name in text


def test_unnamed_check_catches_a_formula_left_in_x_and_y() -> None:
    """Negative control for the regex above."""
    assert re.search(r"(?<![\w#\[])[xy](?![\w\]])", "∂(x * y)/∂y = x = 3")
    assert not re.search(r"(?<![\w#\[])[xy](?![\w\]])", "∂(x0 * #2)/∂#2 = x0 = 3")


def test_tensor_mlp_steps_read_as_the_textbook() -> None:
    """The Tensor engine's steps through nn's layers: shapes, δ, δᵀ @ a[l-1], Σ_batch δ."""
    net = nn.MLP([4, 3, 2], activation="sigmoid", output_activation="sigmoid", rng=0)
    X = Tensor(np.random.default_rng(0).normal(size=(5, 4)))
    loss = nn.mse_loss(net(X), np.eye(2)[[0, 1, 0, 1, 1]])
    loss.label = "C"
    text = "\n".join(s.equation() for s in trace(loss, order="layers"))
    assert "sigmoid: ∂C/∂z[2] += ∂C/∂a[2] ⊙ ∂a[2]/∂z[2] = (5, 2)" in text
    assert "linear: ∂C/∂W[2] += δᵀ @ a[1] with δ = ∂C/∂z[2] = (5, 2)" in text
    assert "linear: ∂C/∂a[1] += δ @ W[2] with δ = ∂C/∂z[2]" in text
    assert "linear: ∂C/∂b[1] += Σ_batch δ with δ = ∂C/∂z[1] = (5, 3)" in text
    assert "linear: ∂C/∂W[1] += δᵀ @ x with" in text, "the constant input keeps the op's name for it"
