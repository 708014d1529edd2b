"""The forward-mode trace (``trace_forward``): each step is the chain rule on its own numbers (the
node's tangent is Σ local × input tangent, each local derivative a central difference of its op),
every node's tangent is ``autograd.jvp``'s and the root's a central difference of the whole graph;
its table, Markdown and LaTeX (compiled) have a row per step and its stepper a record per step.
One forward pass per input gives the gradient one reverse pass gives, and one reverse pass per
output the tangent one forward pass gives.  And ``trace(create_graph=True)``: the first-order
trace's steps and numbers, each a node, differentiable again.  Each checker has a negative control.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import json
import math
import operator
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import graphviz
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor, Value, concatenate, draw, jvp, linear, stack, trace, trace_forward
from autograd.extend import ops, topological_order
from autograd.forward_tracing import ForwardTrace, TangentStep
from autograd.text import summary
from autograd.tracing import Trace
from tests.strategies import arrays, broadcast_shapes, floats
from tests.test_latex import compile_latex
from tests.test_tracing import build, programs
from tests.tools import chromium, console_errors, require

# -- what a step claims, checked ------------------------------------------------------------------


def check_tangent_step(step: TangentStep) -> None:
    """The node's tangent is the sum of local × input tangent over the inputs with a tangent (a
    tensor's broadcast to the node's shape and dtype); a scalar local derivative agrees with a
    central difference of its op."""
    if step.op.elementwise:
        terms = [t * d for t, d in zip(step.input_tangents, step.locals) if t is not None]
        assert terms, "a step has an input with a tangent"
        total = functools.reduce(operator.add, terms)
        if isinstance(step.value, np.ndarray):
            total = np.broadcast_to(total, step.value.shape).astype(step.value.dtype)
        np.testing.assert_array_equal(step.tangent, total)
    if isinstance(step.value, np.ndarray):
        return
    inputs, op = step.node.inputs, step.op
    for i, local in zip(step.inputs, step.locals):
        def f(v: float, i: int = i) -> float:
            xs = list(inputs)
            xs[i] = v
            return float(op.forward(ops.SCALAR, *xs))

        h = 1e-6 * max(1.0, abs(inputs[i]))
        numeric = (f(inputs[i] + h) - f(inputs[i] - h)) / (2 * h)
        assert math.isclose(local, numeric, rel_tol=1e-5, abs_tol=1e-6), (step, numeric)


def node_of(f: Callable[..., Any], k: int) -> Callable[..., Any]:
    """``f`` returning the ``k``-th node of its graph (topological order) instead of its output."""
    return lambda *args: topological_order(f(*args))[k]


def check_against_jvp(t: ForwardTrace, f: Callable[..., Any], primals: list[Any],
                      tangents: list[Any]) -> None:
    """Every node's tangent in the trace of ``f(*primals)`` is ``autograd.jvp``'s for that node
    (bit for bit: one engine), and every node the trace leaves out has a zero tangent."""
    for k, node in enumerate(topological_order(t.root)):
        _, want = jvp(node_of(f, k), primals, tangents)
        np.testing.assert_array_equal(t.tangents.get(node, 0.0 * np.asarray(want)), want)


def directional_difference(f: Callable[..., Any], primals: list[Any], tangents: list[Any],
                           leaf: Callable[[Any], Any]) -> Any:
    """(f(x + h ẋ) - f(x - h ẋ)) / 2h, on leaves made by ``leaf``: an estimate of the root's
    tangent independent of the engine's derivatives."""
    h = 1e-6
    up, down = (np.asarray(f(*(leaf(x + sign * h * np.asarray(t)) for x, t in zip(primals, tangents))).data)
                for sign in (1, -1))
    return (up - down) / (2 * h)


# -- the scalar engine ----------------------------------------------------------------------------


def program_graph(program: list[Any]) -> Callable[..., Any]:
    """The graph of ``program`` (tests/test_tracing.py's little programs) on given leaves."""
    return lambda *leaves: build(lambda v: v, list(leaves), program)[0]


@given(st.lists(floats(-2, 2), min_size=1, max_size=4), programs, st.data())
def test_value_steps_are_the_chain_rule_and_their_tangents_are_jvps(xs: list[float], program: list[Any],
                                                                     data: st.DataObject) -> None:
    root, leaves = build(Value, xs, program)
    order = topological_order(root)  # nodes compare by identity in sets, by value with ==
    used = [i for i, leaf in enumerate(leaves) if leaf in set(order)]
    moving = data.draw(st.lists(st.sampled_from(used), min_size=1, unique=True))
    tangents = [data.draw(floats(-2, 2)) if i in moving else 0.0 for i in range(len(xs))]
    t = trace_forward(root, {leaves[i]: tangents[i] for i in moving})
    reached = {s.node for s in t}
    assert [id(s.node) for s in t] == [id(n) for n in order if n in reached], "topological order"
    for k, step in enumerate(t, start=1):
        assert step.index == k and step.value == step.node.data
        assert step.input_tangents == tuple(t.tangents.get(p) for p in step.node.parents)
        check_tangent_step(step)
    check_against_jvp(t, program_graph(program), xs, tangents)
    estimate = directional_difference(program_graph(program), xs, tangents, lambda v: Value(float(v)))
    assert math.isclose(t.tangent, estimate, rel_tol=1e-4, abs_tol=1e-5)
    assert all(leaf.grad == 0.0 for leaf in leaves), "no node changes"


def test_the_step_checker_fails_on_a_wrong_tangent_or_local() -> None:
    """Negative controls: a tangent off by a little, or a wrong local derivative, fails."""
    x, w = Value(0.3, label="x"), Value(-1.2, label="w")
    t = trace_forward((x * w).tanh(), {x: 1.0, w: 0.5})
    for step in t:
        check_tangent_step(step)
    mul, tanh = t
    with pytest.raises(AssertionError):
        check_tangent_step(dataclasses.replace(tanh, tangent=tanh.tangent * (1 + 1e-12)))
    with pytest.raises(AssertionError):
        check_tangent_step(dataclasses.replace(mul, locals=(mul.locals[0], mul.locals[1] * 1.01),
                                               tangent=mul.tangent + 0.5 * mul.locals[1] * 0.01))


def test_the_jvp_check_fails_on_a_wrong_seed() -> None:
    """Negative control: a trace from a tangent other than jvp's differs from it."""
    program = [("mul", 0, 1), ("tanh", 2, 0)]
    root, (a, b) = build(Value, [0.5, -1.0], program)
    check_against_jvp(trace_forward(root, {a: 1.0}), program_graph(program), [0.5, -1.0], [1.0, 0.0])
    with pytest.raises(AssertionError):
        check_against_jvp(trace_forward(root, {a: 1.0, b: 1e-9}), program_graph(program), [0.5, -1.0],
                          [1.0, 0.0])


def test_a_step_in_the_users_names() -> None:
    x, w, b = Value(2.0, label="x"), Value(-1.0, label="w"), Value(0.5, label="b")
    y = (x * w + b).tanh() * x
    y.label = "y"
    t = trace_forward(y, {x: 1.0})
    mul = t[0]
    assert mul.input_tangents == (1.0, None) and mul.terms == (-1.0, None) and mul.tangent == -1.0
    assert str(mul) == "[1] *: ∂#1/∂ε = ∂#1/∂x · ∂x/∂ε = (∂(x * w)/∂x = w = -1) × 1 = -1"
    assert mul.local_text(1) == "∂(x * w)/∂w = x = 2", "w's local derivative, though w's tangent is 0"
    last = t[-1]
    assert last.equation().startswith("*: ∂y/∂ε = ∂y/∂#3 · ∂#3/∂ε + ∂y/∂x · ∂x/∂ε = "
                                      "(∂(#3 * x)/∂#3 = x = 2) × ")
    assert t.tangent == last.tangent == sum(last.terms)
    assert t.row(mul) == ("1", "#1", "*", "-2", "x: 1; w: 0", "∂(x * w)/∂x = w = -1; ∂(x * w)/∂w = x = 2",
                          "-1", "-1")
    twice = trace_forward(x * x, {x: 1.0})[0]
    assert twice.terms == (2.0, 2.0) and twice.tangent == 4.0
    assert "(∂(x * x)/∂x (input 2 of 2) = x = 2) × 1" in twice.equation(), "which slot of x"
    assert repr(t) == "<ForwardTrace of y: 4 steps>" and set(t.tangents) == {x, *(s.node for s in t)}


def test_nodes_no_tangent_reaches_are_left_out() -> None:
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    hidden = w.exp()
    t = trace_forward(hidden * x, {x: 1.0})
    assert [s.node.op.name for s in t] == ["mul"], "exp(w) has tangent 0: forward mode skips it"
    assert t.tangent == hidden.data
    assert len(trace_forward(hidden * x, {w: 0.0})) == 2, "a zero tangent given still travels"


# -- the array engine ---------------------------------------------------------------------------

SHAPES = {"x": (4, 3), "W": (2, 3), "b": (2,)}
TENSOR_GRAPHS: dict[str, Callable[..., Any]] = {
    "a layer": lambda x, W, b: (linear(x, W, b).tanh() * 2.0 + b).sum(),
    "matmul, broadcasting": lambda x, W, b: ((x @ W.transpose()).sigmoid() * b).mean(),
    "linear structural ops":
        lambda x, W, b: concatenate([x.reshape(12), W.transpose()[1], b * b]).cumsum(0).sum(),
    "products, maxima": lambda x, W, b: stack([x.max(axis=0), W.prod(axis=0)]).var() + (x * b[0]).std(),
}


@pytest.mark.parametrize("name", TENSOR_GRAPHS)
def test_tensor_steps_are_the_chain_rule_and_their_tangents_are_jvps(name: str) -> None:
    f = TENSOR_GRAPHS[name]
    rng = np.random.default_rng(0)
    primals = [rng.normal(size=s) for s in SHAPES.values()]
    tangents = [rng.normal(size=s) for s in SHAPES.values()]
    tangents[0] = np.zeros(SHAPES["x"])  # x stays put (and is not given)
    leaves = [Tensor(p, requires_grad=True, label=n) for p, n in zip(primals, SHAPES)]
    t = trace_forward(f(*leaves), {leaves[1]: tangents[1], leaves[2]: tangents[2]})
    for step in t:
        check_tangent_step(step)
        assert step.op.elementwise == all(d is not None for d in step.locals)
        if not step.op.elementwise:
            assert step.local_text(0).startswith("jvp: ")
    check_against_jvp(t, f, primals, tangents)
    estimate = directional_difference(f, primals, tangents, lambda a: Tensor(a, requires_grad=True))
    np.testing.assert_allclose(t.tangent, estimate, rtol=1e-5, atol=1e-7)
    assert all(leaf.grad is None for leaf in leaves)


def test_structural_steps_show_their_jvp_rule() -> None:
    W = Tensor(np.ones((2, 3)), requires_grad=True, label="W")
    b = Tensor(np.zeros(2), requires_grad=True, label="b")
    x = Tensor(np.ones((4, 3)))
    root = concatenate([linear(x, W, b).sum(axis=0), b])
    t = trace_forward(root, {W: np.ones((2, 3)), b: [1.0, 0.0]})
    layer, total, joined = t
    assert layer.local_text(0) == "jvp: x @ (∂W/∂ε)ᵀ"  # linear's textbook terms, ẋ Wᵀ + x Ẇᵀ + ḃ
    assert layer.local_text(1) == "jvp: (∂b/∂ε)"
    assert layer.equation().startswith("linear: ∂#1/∂ε = x @ (∂W/∂ε)ᵀ + (∂b/∂ε) with ∂W/∂ε = (2, 3) ")
    peak = layer.node.max(axis=0)  # max has no textbook terms: the transposed vjp is named
    top = trace_forward(peak.sum(), {W: np.ones((2, 3)), b: [1.0, 0.0]})[1]
    assert top.op.name == "max" and top.equation().endswith(")") and "transposed vjp" in top.equation()
    assert total.jvp_text(0) == "Σ (∂#1/∂ε)"
    assert joined.jvp_text(0) == "[(∂#2/∂ε), (∂b/∂ε), …]", "concatenate: the op on the tangents"
    np.testing.assert_array_equal(t.tangent, [16.0, 12.0, 1.0, 0.0])  # Σ_batch (x @ Ẇᵀ + ḃ), ḃ
    assert t.row(joined)[6] == "—", "no local × input tangent for a structural op"


@given(broadcast_shapes(3).flatmap(lambda shapes: st.tuples(*(arrays(s, -2, 2) for s in shapes))))
def test_broadcasting_steps_sum_to_the_nodes_shape(abc: tuple[np.ndarray, ...]) -> None:
    """Forward mode never un-broadcasts (a backward pass sums): a term of a smaller shape spreads."""
    def f(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
        return ((a * b).tanh() + c).sum()

    leaves = [Tensor(v, requires_grad=True, label=n) for v, n in zip(abc, "abc")]
    tangents = [np.ones_like(v) for v in abc]
    t = trace_forward(f(*leaves), dict(zip(leaves, tangents)))
    for step in t:
        check_tangent_step(step)
        assert np.shape(step.tangent) == np.shape(step.value)
    check_against_jvp(t, f, list(abc), tangents)


def test_one_forward_pass_per_input_or_one_reverse_pass_per_output() -> None:
    """What about() says: n forward passes (one-hot tangents) give the gradient one reverse pass
    gives; m reverse passes (one-hot gradients) give the tangent one forward pass gives."""
    w = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, label="w")
    loss = (w * w).tanh().sum()
    reverse = trace(loss).grads[w]
    forward = [trace_forward(loss, {w: np.eye(3)[i]}).tangent for i in range(3)]
    np.testing.assert_allclose(forward, reverse, rtol=1e-12)
    x = Tensor(np.array([0.7]), requires_grad=True, label="x")
    outputs = (x * np.array([1.0, -2.0, 0.5, 3.0])).tanh()
    tangent = trace_forward(outputs, {x: [1.0]}).tangent
    per_output = [trace(outputs, grad=np.eye(4)[i]).grads[x][0] for i in range(4)]
    np.testing.assert_allclose(per_output, tangent, rtol=1e-12)
    about = trace_forward(outputs, {x: [1.0]}).about()
    assert ("reverse mode wins for one loss and many parameters, forward mode for one input and many "
            "outputs") in about


def test_errors_name_the_function_and_the_rule() -> None:
    x = Value(1.0, label="x")
    y = x * 2.0
    with pytest.raises(ValueError, match="trace_forward: the root .* is a leaf"):
        trace_forward(x, {x: 1.0})
    with pytest.raises(ValueError, match="tangents is empty"):
        trace_forward(y, {})
    with pytest.raises(TypeError, match="tangents must be a dict"):
        trace_forward(y, [1.0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not in the graph below the root$"):
        trace_forward(y, {Value(2.0): 1.0})
    with pytest.raises(ValueError, match="the result of mul, not an input leaf"):
        trace_forward(y.tanh(), {y: 1.0})
    with pytest.raises(TypeError, match="the tangent of x must be a number"):
        trace_forward(y, {x: "1"})
    with pytest.raises(TypeError, match="keyed by the input leaves"):
        trace_forward(y, {1.0: 1.0})
    with pytest.raises(TypeError, match="Value or a Tensor"):
        trace_forward(3.0, {x: 1.0})  # type: ignore[arg-type]
    W = Tensor(np.ones(3), requires_grad=True, label="W")
    c = Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"the tangent of W has shape \(2,\), the input \(3,\)"):
        trace_forward((W * c).sum(), {W: [1.0, 0.0]})
    with pytest.raises(ValueError, match="requires_grad=True"):
        trace_forward((W * c).sum(), {c: np.ones(3)})


# -- exports --------------------------------------------------------------------------------------


def sample() -> ForwardTrace:
    a = Value(1.5, label="a_1 & 50%")
    b = Value(-0.5, label="b|c")
    y = (a * b).sigmoid() + a
    y.label = "L"
    return trace_forward(y, {a: 1.0, b: -2.0})


def tensor_sample() -> ForwardTrace:
    W = Tensor(np.array([[1.0, -2.0], [3.0, 4.0]]), requires_grad=True, label="W")
    b = Tensor(np.array([0.5, -0.5]), requires_grad=True, label="b")
    x = Tensor(np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 1.0]]))
    root = (linear(x, W, b).tanh() * b).sum()
    return trace_forward(root, {W: np.eye(2), b: [1.0, -1.0]})


def cells(line: str) -> int:
    return len(line.replace("\\|", "").split("|")) - 2


def test_table_markdown_and_latex_have_one_row_per_step() -> None:
    for t in (sample(), tensor_sample()):
        table = str(t).splitlines()
        assert len(table) == len(t) + 2 and table[0].split()[:4] == ["#", "node", "op", "value"]
        md = t.to_markdown().splitlines()
        assert len(md) == len(t) + 2
        assert {cells(line) for line in md} == {len(t.header)}, "an escaped | does not add a column"
        tex = t.to_latex()
        rows = [line for line in tex.splitlines() if line.endswith("\\\\")]
        assert len(rows) == len(t) + 1
        assert {row.replace("\\&", "").count("&") for row in rows} == {len(t.header) - 1}
        assert "$\\partial$node/$\\partial\\varepsilon$" in tex, "the tangent ∂node/∂ε as math"
    md_text, tex = sample().to_markdown(), sample().to_latex()
    assert "b\\|c" in md_text and "a\\_1" in md_text
    assert "a\\_1 \\& 50\\%" in tex and "b\\textbar{}c" in tex
    assert "$\\sigma$(\\#1)" in tex, "formulas in the nodes' names"
    assert sample().to_markdown(max_rows=1).endswith(f"… and {len(sample()) - 1:,} more steps")


def test_the_latex_compiles() -> None:
    pdflatex = shutil.which("pdflatex")
    require(pdflatex is not None, "pdflatex is not installed (Debian: texlive-latex-base)")
    assert pdflatex is not None
    compile_latex(pdflatex, sample().to_latex(".4f") + "\n\n" + tensor_sample().to_latex())


# -- pictures and the stepper ---------------------------------------------------------------------


def steps_data(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="steps">(.*?)</script>', page, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found[1])
    return data


def test_the_stepper_has_a_record_per_step_with_its_tangent() -> None:
    require(shutil.which("dot") is not None, "Graphviz's dot is not installed")
    for t in (sample(), tensor_sample()):
        page = t.to_html()
        assert page.count("<svg") == 1
        data = steps_data(page)
        assert len(data["steps"]) == len(t)
        index = {node: k for k, node in enumerate(topological_order(t.root))}
        for record, step in zip(data["steps"], t):
            moving = [step.node.parents[k] for k in step.moving]
            assert record[0] == record[1] == index[step.node], "the node receives its tangent"
            inputs = [step.inputs[k] for k in step.moving]
            assert record[2] == (inputs[0] if len(inputs) == 1 else inputs)
            assert record[3] == f"step {step.index}/{len(t)}: {step.equation()}"
            assert record[4] == summary(step.tangent)
            assert record[5] == list(dict.fromkeys(index[p] for p in moving)), "the inputs pushing"
            for i in inputs:
                assert f'id="e{record[0]}_{i}"' in page
        assert data["cell"] == "tangent" and ">tangent " in page and ">grad " not in page
        seeds = {str(index[leaf]): summary(v) for leaf, v in t.seeds.items()}
        assert data["startCells"] == {**seeds, **{str(index[n]): "0" for n in index if n.op is None
                                                  and n not in t.seeds}}
        assert data["startMarks"] == [index[leaf] for leaf in t.seeds]
        assert "forward mode for one input and many outputs." in html.unescape(page)
    frame = sample()._repr_html_()
    assert frame is not None and frame.startswith("<iframe srcdoc=")
    markdown = sample()._repr_markdown_()
    assert markdown.startswith(f"**Forward mode from a_1 & 50% and b|c to L: {len(sample())} steps")
    assert markdown.count("\n| ") == len(sample()) + 1


def test_frames_fill_tangents_and_mark_the_inputs_pushing() -> None:
    require(shutil.which("dot") is not None, "Graphviz's dot is not installed")
    t = sample()
    pictures = t.frames()
    assert len(pictures) == len(t)
    index = {node: k for k, node in enumerate(topological_order(t.root))}
    known = set(t.seeds) | {n for n in index if n not in {s.node for s in t}}
    for step, g in zip(t, pictures):
        known.add(step.node)
        lay = json.loads(graphviz.pipe("dot", "json", g.source.encode()))
        labels = {o["name"]: o.get("label", "") for o in lay["objects"]}
        for node, k in index.items():
            assert ("tangent ?" in labels[f"v{k}"]) == (node not in known)
        assert 'BGCOLOR="#b7e1a1"' in labels[f"v{index[step.node]}"], "the node receiving: green"
        for k in step.moving:
            pushing = labels[f"v{index[step.node.parents[k]]}"]
            assert 'BGCOLOR="#ffd966"' in pushing, "the inputs pushing: orange"
        red = [e for e in lay["edges"] if e.get("color") == "#c0392b"]
        assert len(red) == 1 + len(step.moving)


SHOWN = """
const text = id => document.getElementById(id).textContent;
const out = {};
document.querySelectorAll('g.node[id^="v"]').forEach(g => {
  const texts = [...g.querySelectorAll('text')].map(t => t.textContent);
  out[texts[0]] = texts[texts.length - 1];
});
return [text('counter'), text('caption'), out,
        [...document.querySelectorAll('.push, .receiving, .active')]
          .map(g => g.id + ' ' + g.getAttribute('class')).sort()];
"""


def test_the_stepper_in_a_browser_shows_each_tangent_at_its_step(tmp_path: Path) -> None:
    require(shutil.which("dot") is not None, "Graphviz's dot is not installed")
    t = sample()
    path = t.save_html(tmp_path / "forward.html")
    data = steps_data(path.read_text(encoding="utf-8"))
    names = {k: t.names[n] for n, k in ((n, k) for k, n in enumerate(topological_order(t.root)))}
    with chromium() as driver:
        driver.get(path.as_uri())
        for k in range(len(t) + 1):
            driver.execute_script("const s = document.getElementById('slider');"
                                  "s.value = String(arguments[0]); s.dispatchEvent(new Event('input'));", k)
            counter, caption, shown, marked = driver.execute_script(SHOWN)
            assert counter == f"{k + 1} / {len(t) + 1}"
            want = {names[int(i)]: f"tangent {v}" for i, v in data["startCells"].items()}
            for s in t[:k]:
                want[s.node_name] = f"tangent {summary(s.tangent)}"
            assert shown == {**dict.fromkeys(names.values(), "tangent ?"), **want}
            if k == 0:
                assert caption == "start: ∂a_1 & 50%/∂ε = 1, ∂b|c/∂ε = -2"
                assert marked == sorted(f"v{i} node push" for i in data["startMarks"])
                continue
            node, _, inputs, step_caption, _, pushing = data["steps"][k - 1]
            assert caption == step_caption
            assert marked == sorted([f"v{node} node receiving", f"o{node} node push", f"e{node} edge active",
                                     *(f"v{p} node push" for p in pushing),
                                     *(f"e{node}_{i} edge active" for i in np.atleast_1d(inputs))])
        assert console_errors(driver) == []


# -- the backward pass of backward(create_graph=True) ----------------------------------------------


def numbers(x: Any) -> Any:
    return None if x is None else np.asarray(x.data if isinstance(x, (Value, Tensor)) else x)


def check_same_steps(first: Trace, graph: Trace) -> None:
    """The create_graph trace has the first-order trace's steps, its numbers bit for bit."""
    assert len(first) == len(graph)
    for a, b in zip(first, graph):
        assert a.node is b.node and a.parent is b.parent
        assert (a.input, a.summed_axes) == (b.input, b.summed_axes)
        for field in ("upstream", "local", "contribution", "parent_grad"):
            np.testing.assert_array_equal(numbers(getattr(a, field)), numbers(getattr(b, field)), field)
        assert isinstance(b.parent_grad, (Value, Tensor)), "each gradient a node"
    assert first.table() == graph.table()


@given(st.lists(floats(-2, 2), min_size=1, max_size=4), programs)
def test_a_create_graph_trace_has_the_first_order_steps_and_numbers(xs: list[float],
                                                                     program: list[Any]) -> None:
    root, _ = build(Value, xs, program)
    if root.op is None:
        return
    check_same_steps(trace(root), trace(root, create_graph=True))


@given(broadcast_shapes(3).flatmap(lambda shapes: st.tuples(*(arrays(s, -2, 2) for s in shapes))))
def test_a_create_graph_trace_unbroadcasts_as_the_first_order_one(abc: tuple[np.ndarray, ...]) -> None:
    a, b, c = (Tensor(v, requires_grad=True, label=n) for v, n in zip(abc, "abc"))
    root = ((a * b).tanh() / (c * c + 1.0)).sum()
    check_same_steps(trace(root), trace(root, create_graph=True))


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_a_create_graph_trace_of_a_network(engine: str) -> None:
    net = nn.MLP([3, 4, 2], activation="tanh", output_activation="sigmoid", engine=engine, rng=0)
    if engine == "value":
        loss = nn.mse_loss(net([0.5, -1.0, 2.0]), [1.0, 0.0])
    else:
        X = Tensor(np.array([[0.5, -1.0, 2.0], [1.0, 0.2, -0.3]]))
        loss = nn.mse_loss(net(X), np.ones((2, 2)))
    for order in ("engine", "layers"):
        first, graph = trace(loss, order=order), trace(loss, order=order, create_graph=True)
        check_same_steps(first, graph)
        assert "create_graph=True" in graph.about() and "create_graph" not in first.about()
    assert all(not p._has_grad() for p in net.parameters()), "the pass is private"


def test_the_same_steps_check_fails_on_a_changed_number() -> None:
    """Negative control: one contribution off in its last bit fails the comparison."""
    x = Value(0.7, label="x")
    y = (x * x).tanh()
    first, graph = trace(y), trace(y, create_graph=True)
    check_same_steps(first, graph)
    off = dataclasses.replace(graph[0], contribution=Value(math.nextafter(graph[0].contribution.data, 2.0)))
    with pytest.raises(AssertionError):
        check_same_steps(first, Trace(graph.root, graph.grad, [off, *graph[1:]], graph.names,
                                      create_graph=True))


def test_create_graph_gradients_are_differentiable_again() -> None:
    x = Value(1.5, label="x")
    t = trace(x * x * x, create_graph=True)
    g = t.grads[x]
    assert g.data == 3 * 1.5**2 and g.op is not None
    assert x.grad == 0.0, "the trace changes no grad"
    g.backward()
    assert x.grad == 6 * 1.5
    W = Tensor(np.array([1.0, -2.0]), requires_grad=True, label="W")
    (grad_W,) = [s.parent_grad for s in trace((W * W * W).sum(), create_graph=True) if s.parent is W][-1:]
    np.testing.assert_array_equal(grad_W.data, 3 * W.data**2)
    grad_W.sum().backward()
    np.testing.assert_array_equal(W.grad, 6 * W.data)


def test_a_create_graph_trace_steps_through_the_same_page() -> None:
    require(shutil.which("dot") is not None, "Graphviz's dot is not installed")
    W = Tensor(np.array([[1.0, -2.0], [3.0, 4.0]]), requires_grad=True, label="W")
    b = Tensor(np.array([0.5, -0.5]), requires_grad=True, label="b")
    loss = (linear(Tensor(np.ones((3, 2))), W, b).tanh() * b).sum()
    first, graph = trace(loss), trace(loss, create_graph=True)
    assert steps_data(graph.to_html())["steps"] == steps_data(first.to_html())["steps"]
    assert [g.source for g in graph.frames()] == [g.source for g in first.frames()]


def test_draw_shows_the_values_of_create_graph_gradients() -> None:
    """After backward(create_graph=True) each grad is a node: a picture shows its value."""
    x = Value(2.0, label="x")
    y = (x * x).tanh()
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    assert f"grad {summary(x.grad.data)}" in draw(y).source
    W = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="W")
    z = (W * W).sum()
    z.backward(create_graph=True)
    assert "grad [2, 4]" in draw(z).source
