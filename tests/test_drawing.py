"""Pictures: the DOT source is laid out by the real ``dot`` and read back structurally
(``-Tjson`` for nodes, clusters and edges; ``-Tsvg`` for the text a reader sees)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import graphviz
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, Value, draw, scope
from autograd.drawing import escape
from tests.tools import require


@pytest.fixture(autouse=True, scope="module")
def _needs_dot() -> None:
    require(shutil.which("dot") is not None, "Graphviz's dot is not installed")

SVG = "{http://www.w3.org/2000/svg}"
NASTY = 'say "hi" <b>{x|y}</b> \\ back\nslash & done'


def layout(g: Any) -> dict[str, Any]:
    """dot's own reading of the source: objects (nodes, clusters) and edges."""
    return json.loads(graphviz.pipe("dot", "json", g.source.encode()))


def nodes(g: Any) -> dict[str, dict[str, Any]]:
    return {o["name"]: o for o in layout(g)["objects"] if not o["name"].startswith("cluster")}


def edges(g: Any) -> set[tuple[str, str]]:
    lay = layout(g)
    names = {o["_gvid"]: o["name"] for o in lay["objects"]}
    return {(names[e["tail"]], names[e["head"]]) for e in lay.get("edges", [])}


def texts(source: str) -> dict[str, list[str]]:
    """The text lines drawn in each node of the rendered SVG, by node name."""
    root = ET.fromstring(graphviz.pipe("dot", "svg", source.encode()))
    out = {}
    for g in root.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        if g.get("class") == "node" and title is not None and title.text is not None:
            out[title.text] = [(t.text or "").replace("\xa0", " ") for t in g.iter(f"{SVG}text")]
    return out


def graph_texts(source: str) -> list[str]:
    """The text lines of the graph's own label (its caption)."""
    root = ET.fromstring(graphviz.pipe("dot", "svg", source.encode()))
    top = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "graph")
    return [t.text or "" for t in top.findall(f"{SVG}text")]


def neuron() -> tuple[Value, list[Value]]:
    x = Value(0.5, label="x")
    w = Value(-1.5, label="w")
    b = Value(0.25, label="b")
    out = (x * w + b).tanh()
    out.label = "out"
    return out, [x, w, b]


def test_boxes_show_label_data_and_grad_after_backward() -> None:
    out, (x, w, b) = neuron()
    out.backward()
    shown = texts(draw(out).source)
    by_label = {lines[0]: lines for lines in shown.values() if lines}
    for v in (x, w, b, out):
        assert by_label[v.label] == [v.label, f"data {v.data:.4g}", f"grad {v.grad:.4g}"]
    ops_drawn = sorted(lines[0] for name, lines in shown.items() if name.startswith("o"))
    assert ops_drawn == sorted(["*", "+", "tanh"])


def test_edges_run_forward_through_op_nodes() -> None:
    out, _ = neuron()
    g = draw(out)
    got = edges(g)
    names = {lines[0]: name for name, lines in texts(g.source).items() if lines}
    o_tanh = next(n for n, lines in texts(g.source).items() if lines == ["tanh"])
    assert (o_tanh, names["out"]) in got
    mul = next(n for n, lines in texts(g.source).items() if lines == ["*"])
    assert (names["x"], mul) in got and (names["w"], mul) in got
    assert all(not (a == names["out"]) for a, _ in got), "nothing flows out of the root"


def test_before_backward_grads_are_not_shown_as_zeros() -> None:
    out, _ = neuron()
    g = draw(out)
    assert not any(line.startswith("grad") for lines in texts(g.source).values() for line in lines)
    assert any("grads not computed yet" in t for t in graph_texts(g.source))
    out.backward()
    assert not any("not computed" in t for t in graph_texts(draw(out).source))


def test_tensor_boxes_show_shape_dtype_and_summaries() -> None:
    W = Tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3), requires_grad=True, label="W")
    x = Tensor([1.0, -1.0, 2.0], dtype=np.float32)
    y = (W @ x).sum()
    g0 = draw(y)
    assert any("not computed" in t for t in graph_texts(g0.source))
    y.backward()
    shown = {lines[0]: lines for lines in texts(draw(y).source).values() if lines}
    assert shown["W"][1] == "(2, 3) float32"
    assert shown["W"][2] == f"data [0 … 5] mean {np.mean(W.data):.4g}"
    assert W.grad is not None
    assert shown["W"][3] == f"grad [{W.grad.min():.4g} … {W.grad.max():.4g}] mean {W.grad.mean():.4g}"
    consts = [lines for name, lines in texts(draw(y).source).items() if name.startswith("c")]
    assert consts == [["const (3,)"]], "an input that needs no grad is drawn as a constant"


def test_options_direction_fields_format_and_highlight() -> None:
    out, (x, w, _) = neuron()
    out.backward()
    g = draw(out, direction="TB", show=("label", "grad"), fmt=".2f", highlight=[w])
    assert layout(g)["rankdir"] == "TB"
    shown = {lines[0]: lines for lines in texts(g.source).values() if lines}
    assert shown["x"] == ["x", f"grad {x.grad:.2f}"]
    highlighted = [n for n, o in nodes(g).items() if "BGCOLOR" in o.get("label", "")]
    assert [texts(g.source)[n][0] for n in highlighted] == ["w"]
    with pytest.raises(ValueError, match="draw: direction"):
        draw(out, direction="up")
    with pytest.raises(ValueError, match="unknown field"):
        draw(out, show=("label", "colour"))
    with pytest.raises(ValueError, match="fmt"):
        draw(out, fmt="d")
    with pytest.raises(ValueError, match="max_nodes"):
        draw(out, max_nodes=0)
    with pytest.raises(ValueError, match="not in the graph"):
        draw(out, highlight=[Value(1.0)])
    with pytest.raises(TypeError, match="Value or a Tensor"):
        draw(1.5)  # type: ignore[arg-type]


def test_scopes_become_nested_labelled_clusters() -> None:
    x = Value(1.0, label="x")
    w0, w1 = Value(0.5, label="w0"), Value(-0.5, label="w1")
    with scope("MLP"):
        with scope("layers.0"):
            h = (x * w0).tanh()
        with scope("layers.1"):
            y = h * w1
    lay = layout(draw(y))
    by_id = {o["_gvid"]: o for o in lay["objects"]}
    clusters = {o["label"]: o for o in lay["objects"] if o["name"].startswith("cluster")}
    assert set(clusters) == {"MLP.layers", "MLP.layers.0", "MLP.layers.1"}
    inner = {by_id[i]["label"] for i in clusters["MLP.layers"]["subgraphs"]}
    assert inner == {"MLP.layers.0", "MLP.layers.1"}
    shown = texts(draw(y).source)

    def members(label: str) -> set[str]:
        return {shown[by_id[i]["name"]][0] for i in clusters[label]["nodes"]}

    assert {"w0", "tanh", "*"} <= members("MLP.layers.0")  # a parameter joins its only consumer's cluster
    assert "w1" in members("MLP.layers.1")
    assert "x" not in members("MLP.layers.0") or "x" in members("MLP.layers")
    assert not [o for o in layout(draw(y, clusters=False))["objects"] if o["name"].startswith("cluster")]


INJECTIONS = [NASTY, '"]; evil [label="pwned"]; x [label="', "<<B>bold?</B>>", "}|{", "\\N\\G\\L"]


@pytest.mark.parametrize("label", INJECTIONS)
def test_labels_render_as_written_and_cannot_inject(label: str) -> None:
    x = Value(1.0, label=label)
    with scope(label):
        y = x * 2
    y.label = label
    g = draw(y)
    assert set(nodes(g)) == {"v0", "v1", "v2", "o2"}, "no node was added by a label"
    shown = texts(g.source)
    lines = [line for line in label.split("\n") if line]
    assert shown["v0"][: len(lines)] == lines
    assert shown["v2"][: len(lines)] == lines
    cluster = [o for o in layout(g)["objects"] if o["name"].startswith("cluster")]
    assert len(cluster) == 1


@settings(max_examples=25)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_any_label_renders_as_written(label: str) -> None:
    x = Value(1.0, label=label)
    shown = texts(draw(x * 1.0).source)
    assert set(shown) == {"v0", "v1", "v2", "o2"}
    expected = [re.sub(r"[\x00-\x09\x0b-\x1f\ufffe\uffff]", lambda m: f"\\x{ord(m.group()):02x}", line)
                for line in label.replace("\r\n", "\n").split("\n")]
    expected = [e.replace("\\xfffe", "\\ufffe").replace("\\xffff", "\\uffff") for e in expected]
    expected = [e.replace("\xa0", " ") for e in expected if e.strip()]  # as texts() reads them
    got = [line for line in shown["v0"] if not line.startswith("data")]
    assert [line.strip() for line in got if line.strip()] == [e.strip() for e in expected]


def test_escaping_checker_catches_a_naive_label() -> None:
    """Negative control: the same checks fail for a label spliced in without escape()."""
    naive = draw(Value(1.0, label="PLACEHOLDER")).source.replace("PLACEHOLDER", "a<B>b</B>")
    assert texts(naive)["v0"][0] != "a<B>b</B>"
    broken = draw(Value(1.0, label="PLACEHOLDER")).source.replace("PLACEHOLDER", "x>]; evil; v9 [label=<")
    with pytest.raises(graphviz.CalledProcessError):
        texts(broken)
    assert escape("x>]; evil") == "x&gt;]; evil"


def test_node_cap_says_what_it_left_out() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(50_000):  # 100,001 nodes: 50,000 results and 50,000 constants
        y = y * 1.0001
    y.backward()
    g = draw(y, max_nodes=40)
    src = g.source
    assert len(re.findall(r"^\tv\d+ \[", src, re.M)) == 40
    assert "showing the 40 nodes nearest the root of 100,001" in src
    assert "100,001" in src and "99,961 nodes" in src
    assert "input(s) not drawn" in src
    assert any("left out" in t for t in graph_texts(src))


def test_render_and_save_write_real_files(tmp_path: Path) -> None:
    out, _ = neuron()
    out.backward()
    g = draw(out)
    svg = Path(g.render(tmp_path / "graph", format="svg"))
    png = Path(g.render(tmp_path / "graph", format="png"))
    pdf = Path(g.render(tmp_path / "graph", format="pdf"))
    dot = Path(g.save(tmp_path / "graph.dot"))
    assert ET.fromstring(svg.read_bytes()).tag == f"{SVG}svg"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert dot.read_text(encoding="utf-8") == g.source
    assert "image/svg+xml" in g._repr_mimebundle_()


def test_a_subgraph_whose_own_grad_is_zero_still_shows_its_grads() -> None:
    y = Value(2.0, label="y")
    dead = y * 0.0  # d(out)/d(dead) = 1, d(out)/d(y) = 0
    (dead + Value(1.0)).backward()
    assert "not computed" not in draw(dead).source
    assert "not computed" in draw(Value(1.0) * 2).source
