"""``autograd.exercises``: graded backpropagation exercises and "write the derivative".

Every slipped answer here is worked out by hand in the test (or from a twin graph's
``backward()`` and data), never by the hint machinery under test; then the grade must
call it wrong and name the slip.  Negative controls: right answers (and answers rounded
within the tolerance) are no slip, and answers no single slip can make are named none.
"""

from __future__ import annotations

import shutil
import time
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import DerivativeExercise, Exercise, Tensor, Value
from autograd.exercises import SLIPS, Grade
from autograd.ops import ARRAY, BINARY, UNARY
from tests.test_latex import compile_latex
from tests.tools import require

SEEDS = st.integers(0, 10**6)


def neuron(again: str = "n") -> tuple[Value, dict[str, Value]]:
    """n = x1*w1 + x2*w2 + b = -6 + 0.75 + 1 = -4.25, and L = n * n (``again="n"``) or
    L = n * x1 (``again="x1"``); returns L and the leaves by label."""
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2, b = Value(0.5, label="x2"), Value(1.5, label="w2"), Value(1.0, label="b")
    n = x1 * w1 + x2 * w2 + b
    L = n * (n if again == "n" else x1)
    L.label = "L"
    return L, {"x1": x1, "w1": w1, "x2": x2, "w2": w2, "b": b}


# By hand, L = n * n: ∂L/∂n = 2n = -8.5; ∂L/∂x1 = -8.5 * w1, ∂L/∂w1 = -8.5 * x1, ...
SQUARE_KEY = {"x1": 25.5, "w1": -17.0, "x2": -12.75, "w2": -4.25, "b": -8.5}


def graph_nodes(root: Value) -> list[Value]:
    """Every node of root's graph, found by walking ``parents`` (each once)."""
    seen: dict[int, Value] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node.parents)
    return list(seen.values())


def uses(root: Value) -> dict[int, int]:
    """How many times each node (by id) is an input of an op node."""
    counts: dict[int, int] = {}
    for node in graph_nodes(root):
        for p in node.parents:
            counts[id(p)] = counts.get(id(p), 0) + 1
    return counts


def twin(level: int, seed: int) -> tuple[Exercise, Value]:
    """The exercise, and the root of a second copy of its graph after ``backward()``."""
    ex = Exercise.random(level, seed)
    root = Exercise.random(level, seed).root
    root.backward()
    return ex, root


def labelled_leaves(root: Value) -> dict[str, Value]:
    return {n.label: n for n in graph_nodes(root) if n.op is None and n.label is not None}


def feedback(result: Grade, label: str) -> Any:
    return next(f for f in result.feedback if f.label == label)


# -- making and grading ---------------------------------------------------------------
def test_making_and_grading_leave_every_grad_untouched() -> None:
    L, leaves = neuron()
    nodes = graph_nodes(L)
    ex = Exercise(L)
    assert all(n.grad == 0.0 for n in nodes)
    ex.grade({"x1": 1.0})
    ex.to_html(answers=True), ex.to_markdown(answers=True), str(ex)
    assert all(n.grad == 0.0 for n in nodes)
    L.backward()
    before = [n.grad for n in nodes]
    Exercise(L).grade(SQUARE_KEY)
    assert [n.grad for n in nodes] == before


def test_the_hand_worked_answers_pass() -> None:
    ex = Exercise(neuron()[0])
    assert [ex._names[q] for q in ex.questions] == ["x1", "w1", "x2", "w2", "b"]
    result = ex.grade(SQUARE_KEY)
    assert result.passed and result.score == 1.0
    assert all(f.ok and f.hint == "" and f.slips == () for f in result.feedback)
    assert ex.answer_key() == SQUARE_KEY


@settings(max_examples=30)
@given(st.sampled_from([1, 2, 3]), SEEDS)
def test_answers_from_backward_on_a_twin_graph_pass(level: int, seed: int) -> None:
    ex, root = twin(level, seed)
    result = ex.grade({label: leaf.grad for label, leaf in labelled_leaves(root).items()})
    assert result.passed, str(result)
    assert all(f.slips == () and f.hint == "" for f in result.feedback)
    assert all(n.grad == 0.0 for n in graph_nodes(ex.root))


def test_answers_rounded_by_hand_pass_within_the_tolerance() -> None:
    ex = Exercise(neuron()[0])
    assert ex.grade({k: v * (1 + 9e-4) for k, v in SQUARE_KEY.items()}).passed
    assert not ex.grade({k: v * (1 + 3e-3) for k, v in SQUARE_KEY.items()}).passed
    loose = Exercise(neuron()[0], rtol=0.01, atol=0.0)
    assert loose.grade({k: v * (1 + 9e-3) for k, v in SQUARE_KEY.items()}).passed


# -- each classic slip, worked out by hand --------------------------------------------
def test_the_other_factors_partial_is_named() -> None:
    # ∂L/∂#1 = 2n = -8.5, times x1 = 2 (∂(x1 * w1)/∂w1) instead of w1 = -3.
    f = feedback(Exercise(neuron()[0]).grade({"x1": -8.5 * 2.0}), "x1")
    assert not f.ok and f.slips == ("other-partial",)
    assert "other factor's partial" in f.hint
    assert "∂(x1 * w1)/∂w1 = x1 = 2" in f.hint and "∂(x1 * w1)/∂x1 = w1 = -3" in f.hint


def test_a_forgotten_fan_out_sum_is_named() -> None:
    # n is used twice by L = n * n: one contribution to ∂L/∂n is n = -4.25, not 2n.
    f = feedback(Exercise(neuron()[0]).grade({"x1": -4.25 * -3.0}), "x1")
    assert not f.ok and f.slips == ("fan-out",)
    assert "Fan-out sum forgotten: #4 is used twice (by input 1 of L and input 2 of L)" in f.hint
    assert "-4.25 + -4.25" in f.hint


@pytest.mark.parametrize(("given", "only"), [(-4.25, "L"), (2.0 * -3.0, "#1")])
def test_a_forgotten_fan_out_sum_into_the_asked_leaf_is_named(given: float, only: str) -> None:
    # L = n * x1: ∂L/∂x1 = n (from L) + ∂L/∂n · w1 = x1 · w1 (from #1) = -4.25 + -6.
    ex = Exercise(neuron("x1")[0])
    assert ex.answer_key()["x1"] == -10.25
    f = feedback(ex.grade({"x1": given}), "x1")
    assert not f.ok and f.slips == ("fan-out",)
    assert "x1 is used twice (by L and #1)" in f.hint and f"has only the one from {only}." in f.hint


def test_a_missing_local_derivative_is_named() -> None:
    # ∂L/∂#1 = -8.5 with ∂(x1 * w1)/∂x1 = w1 left out.
    f = feedback(Exercise(neuron()[0]).grade({"x1": -8.5}), "x1")
    assert not f.ok and f.slips == ("missing-local",)
    assert "Missing local derivative" in f.hint and "∂(x1 * w1)/∂x1 = w1 = -3 (as if it were 1)" in f.hint


def test_a_lost_minus_sign_is_named() -> None:
    # L = (a - b) * c = (a + (-b)) * c: ∂L/∂b = c · (-1) = 1.5; without the minus, -1.5.
    a, b, c = Value(2.0, label="a"), Value(3.5, label="b"), Value(-1.5, label="c")
    f = feedback(Exercise((a - b) * c).grade({"b": -1.5}), "b")
    assert not f.ok and f.slips == ("sign",)
    assert "Lost minus sign" in f.hint and "∂(-b)/∂b = -1" in f.hint


def test_a_slip_one_step_further_up_is_named_too() -> None:
    # ∂(n * n)/∂n = n taken as 1 at one of n's two uses: ∂L/∂n = 1 + n = -3.25, ∂L/∂x2 = -3.25 * w2.
    f = feedback(Exercise(neuron()[0]).grade({"x2": -3.25 * 1.5}), "x2")
    assert f.slips == ("missing-local",) and "∂(#4 * #4)/∂#4 (input" in f.hint


@settings(max_examples=30)
@given(SEEDS)
def test_level_2_one_contribution_of_a_fan_out_is_named(seed: int) -> None:
    """Level 2 is L = n * r or r * n, r a leaf of the neuron n or n itself; the twin's data
    and gradients give each contribution."""
    ex, root = twin(2, seed)
    leaves = labelled_leaves(root)
    p, q = root.parents
    if p is q:  # n * n: each use of n gives half of every leaf's gradient
        tries = [{label: leaf.grad / 2 for label, leaf in leaves.items()}]
    else:
        r, n = (p, q) if p.op is None else (q, p)
        from_root = n.data  # ∂L/∂L · ∂(n * r)/∂r
        tries = [{r.label: from_root}, {r.label: r.grad - from_root}]  # the use by L; the one inside n
    for answers in tries:
        for f in ex.grade(answers).feedback:
            if f.given is not None:
                assert not f.ok and "fan-out" in f.slips, (str(ex), str(f))
                assert "Fan-out sum forgotten" in f.hint and "used twice" in f.hint


@settings(max_examples=30)
@given(st.sampled_from([1, 2, 3]), SEEDS)
def test_the_other_partial_and_a_missing_local_of_each_product_are_named(level: int, seed: int) -> None:
    """For m = u * v with u a leaf used once, ∂L/∂u = ∂L/∂m · v; the other factor's partial
    gives ∂L/∂m · u, the missing local derivative ∂L/∂m alone."""
    ex, root = twin(level, seed)
    count = uses(root)
    products = [(m, u) for m in graph_nodes(root) if m.op is not None and m.op.name == "mul"
                for u in m.parents if u.op is None and count[id(u)] == 1]
    assert products
    for m, u in products:
        other = feedback(ex.grade({u.label: m.grad * u.data}), u.label)
        assert not other.ok and "other-partial" in other.slips, (str(ex), str(other))
        assert "The other factor's partial" in other.hint
        missing = feedback(ex.grade({u.label: m.grad}), u.label)
        assert not missing.ok and "missing-local" in missing.slips, (str(ex), str(missing))
        assert "Missing local derivative" in missing.hint


# -- negative controls -------------------------------------------------------------------
@given(st.integers(-384, 383))
def test_an_answer_no_slip_can_make_is_named_none(k: int) -> None:
    """Every leaf of :func:`neuron` is a multiple of 1/2, so every node, gradient and slipped
    gradient is a multiple of 1/8: an odd multiple of 1/128 in [-3, 3] is none of them,
    farther than the tolerance (at most 0.005 there) from each."""
    given_answer = (2 * k + 1) / 128
    result = Exercise(neuron()[0]).grade(dict.fromkeys(SQUARE_KEY, given_answer))
    for f in result.feedback:
        assert not f.ok and f.slips == (), str(f)
        assert f.hint.startswith("Not one of the classic slips: ∂L/∂")


def test_a_wrong_answer_s_generic_hint_spells_the_chain_rule_and_hides_the_key() -> None:
    result = Exercise(neuron()[0]).grade({"x1": 1234.5, "b": 8.5})
    x1, b = result.feedback[0], result.feedback[4]
    assert x1.hint == ("Not one of the classic slips: ∂L/∂x1 = ∂L/∂#1 · ∂#1/∂x1. Find each upstream gradient "
                       "first, working back from ∂L/∂L = 1, then multiply by the local derivative.")
    assert b.hint.startswith("Right size, wrong sign") and b.slips == ()
    assert "25.5" not in str(result) and x1.expected == 25.5


def test_unanswered_questions_are_marked_not_raised() -> None:
    result = Exercise(neuron()[0]).grade({"x1": 25.5})
    assert result.score == 1 / 5 and not result.passed
    w1 = result.feedback[1]
    assert (w1.given, w1.ok, w1.hint, w1.expected) == (None, False, "No answer given.", -17.0)
    assert str(result).splitlines()[:3] == ["1/5 right", "  ✓ ∂L/∂x1 = 25.5", "  – ∂L/∂w1: no answer"]


# -- asking ---------------------------------------------------------------------------
def test_ask_takes_labels_and_nodes_and_names_unlabelled_ones_by_number() -> None:
    L, leaves = neuron()
    n = L.parents[0]
    ex = Exercise(L, ask=[n, "w1", leaves["x1"]])
    assert ex.questions == (n, leaves["w1"], leaves["x1"])
    assert list(ex.answer_key()) == ["#4", "w1", "x1"]
    assert ex.grade({"#4": -8.5, leaves["w1"]: -17, "x1": 25.5}).passed
    assert Exercise(L, ask="b").questions == (leaves["b"],)
    assert "∂L/∂#4" in str(ex)


@pytest.mark.parametrize(("ask", "error", "message"), [
    (["zz"], ValueError, "no node of L's graph is labelled 'zz'"),
    (["#1"], ValueError, "#k numbers an unlabelled node"),
    ([Value(1.0, label="out")], ValueError, "is not in L's graph"),
    (["x1", "x1"], ValueError, "x1 is asked twice"),
    ([], ValueError, "ask is empty"),
    ([3], TypeError, "not int"),
])
def test_bad_questions_are_refused_by_name(ask: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(")):
        Exercise(neuron()[0], ask=ask)


def test_bad_roots_and_labels_are_refused() -> None:
    L, leaves = neuron()
    with pytest.raises(ValueError, match="L is the root"):
        Exercise(L, ask=[L])
    with pytest.raises(TypeError, match="the root is a Tensor.*DerivativeExercise.layer"):
        Exercise((Tensor([1.0, 2.0], requires_grad=True) ** 2).sum())
    with pytest.raises(TypeError, match="must be a Value, not float"):
        Exercise(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is a leaf"):
        Exercise(leaves["x1"])
    with pytest.raises(ValueError, match="no leaf of the graph has a label"):
        Exercise(Value(1.0) * Value(2.0))
    x, y = Value(1.5, label="x"), Value(2.0, label="x")
    with pytest.raises(ValueError, match="two nodes are named 'x'"):
        Exercise(x * y)
    with pytest.raises(ValueError, match="2 nodes are labelled 'x'"):
        Exercise(x * y, ask=["x"])
    with pytest.raises(ValueError, match="rtol and atol"):
        Exercise(L, rtol=-1.0)


@pytest.mark.parametrize(("answers", "error", "message"), [
    ({"zz": 1.0, 7: 2.0}, ValueError, "no question is 'zz', 7; the questions are x1, w1, x2, w2, b"),
    ({"x1": "25.5"}, TypeError, "the answer for x1 must be a number, not str"),
    ({"x1": True}, TypeError, "the answer for x1 must be a number, not bool"),
    ({"x1": float("nan")}, ValueError, "the answer for x1 must be finite"),
    ([("x1", 25.5)], TypeError, "answers must be a mapping"),
])
def test_bad_answers_are_refused_by_name(answers: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Exercise(neuron()[0]).grade(answers)


def test_an_answer_given_twice_is_refused() -> None:
    L, leaves = neuron()
    with pytest.raises(ValueError, match="x1 is answered twice"):
        Exercise(L).grade({"x1": 25.5, leaves["x1"]: 25.5})
    assert Exercise(L).grade({"x1": np.float32(25.5), "w1": -17}).score == 2 / 5


# -- random exercises ---------------------------------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3])
def test_seeds_reproduce_and_differ(level: int) -> None:
    sheets = [str(Exercise.random(level, seed)) for seed in range(20)]
    assert sheets == [str(Exercise.random(level, seed)) for seed in range(20)]
    assert Exercise.random(level, 3).answer_key() == Exercise.random(level, 3).answer_key()
    assert len(set(sheets)) >= 18


@settings(max_examples=30)
@given(st.sampled_from([1, 2, 3]), SEEDS)
def test_random_exercises_have_their_levels_shape_and_nice_numbers(level: int, seed: int) -> None:
    ex = Exercise.random(level, seed)
    nodes = graph_nodes(ex.root)
    ops = {n.op.name for n in nodes if n.op is not None}
    leaves = [n.data for n in nodes if n.op is None]
    assert all(x * 2 == int(x * 2) and abs(x) not in (0.0, 1.0) for x in leaves)
    assert ex.root.label == "L" and all(n.label is not None for n in nodes if n.op is None)
    fan_out = max(uses(ex.root).values()) > 1
    assert all(0.05 <= abs(v) <= 100 for v in ex.answer_key().values())
    if level == 1:
        steps = [n.op.name for n in nodes if n.op is not None and n.op.name != "neg"]  # a - b: add and neg
        assert not fan_out and "mul" in ops and 2 <= len(steps) <= 3
    else:
        assert fan_out and ops >= {"mul", "add"}
    if level == 3:
        assert "div" in ops and ops & {"tanh", "exp", "sigmoid"}


def test_a_bad_level_is_refused() -> None:
    with pytest.raises(ValueError, match="level must be one of"):
        Exercise.random(4)


def test_grading_a_graph_of_150_steps_is_quick() -> None:
    xs = [Value(0.5 + 0.1 * i, label=f"x{i}") for i in range(10)]
    out = xs[0]
    for i in range(25):
        out = out * 0.5 + xs[i % 10] * xs[(i + 3) % 10]
    ex = Exercise(out.tanh())
    start = time.perf_counter()
    result = ex.grade({k: v * 1.1 + 0.3 for k, v in ex.answer_key().items()})
    # 0.17 s on a 2-core machine: 296 slips, each a replay of the 151 steps.
    assert time.perf_counter() - start < 3.0 and len(ex.trace) == 151
    assert not any(f.ok for f in result.feedback)


# -- the worksheet and its exports ----------------------------------------------------------
def test_the_worksheet_shows_the_forward_pass_and_never_a_gradient() -> None:
    ex = Exercise(neuron()[0])
    sheet = str(ex)
    assert "  #1 = x1 * w1 = -6\n" in sheet and "  L = #4 * #4 = 18.06\n" in sheet
    assert "Find: ∂L/∂x1, ∂L/∂w1, ∂L/∂x2, ∂L/∂w2, ∂L/∂b" in sheet
    for text in (sheet, ex.to_markdown(), ex.to_latex(), ex.to_html()):
        assert not any(str(v) in text for v in (25.5, -17.0, -12.75, -8.5)), text


def test_markdown_rows_and_the_answer_key() -> None:
    ex = Exercise(neuron()[0])
    sheet, key = ex.to_markdown(), ex.to_markdown(answers=True)
    assert "| x1 | given | 2 |" in sheet and "| \\#1 | x1 \\* w1 | -6 |" in sheet
    assert "| ∂L/∂x1 |  |" in sheet and "Working" not in sheet
    assert "| ∂L/∂x1 | 25.5 |" in key and "| ∂L/∂b | -8.5 |" in key
    assert "| 1 | L | \\* | 1 | ∂(\\#4 \\* \\#4)/∂\\#4 (input 1 of 2) = \\#4 = -4.25 |" in key
    assert ex._repr_markdown_() == sheet


HOSTILE = '<script>alert("x")</script> & {#_%$} \\end{document}'


def hostile_exercise() -> Exercise:
    x, w = Value(2.0, label=HOSTILE), Value(-3.0, label="w1")
    return Exercise((x * w).tanh())


@pytest.mark.parametrize("answers", [False, True])
def test_latex_compiles(answers: bool) -> None:
    pdflatex = shutil.which("pdflatex")
    require(pdflatex is not None, "pdflatex is not installed (Debian: texlive-latex-base)")
    assert pdflatex is not None
    compile_latex(pdflatex, Exercise(neuron()[0]).to_latex(answers) + hostile_exercise().to_latex(answers))
    compile_latex(pdflatex, Exercise.random(3, seed=1).to_latex(answers))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.parametrize("answers", [False, True])
def test_html_is_escaped_and_self_contained(answers: bool) -> None:
    page = hostile_exercise().to_html(answers)
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags and HOSTILE not in page
    assert any(HOSTILE in t for t in parser.text)
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "table", "tr", "th", "td"}
    assert set(parser.tags) <= allowed
    assert "http" not in page and "src=" not in page
    assert ('<td class="blank"></td>' in page) is not answers


# -- write the derivative ----------------------------------------------------------------------
def test_an_op_s_derivative_is_checked_and_located() -> None:
    ex = DerivativeExercise.op("tanh")
    assert "def derivative(x):" in str(ex) and ex.names == ("x",) and ex.inputs[0].shape == (8,)
    assert ex.check(lambda x: 1 - np.tanh(x) ** 2).passed
    wrong = ex.check(lambda x: 1 - x ** 2)  # tanh(x)² written x²: the classic slip
    assert not wrong.passed and wrong.inputs[0].verdict == "wrong" and wrong.inputs[0].worst


def test_a_two_input_op_s_partials_are_checked_one_by_one() -> None:
    ex = DerivativeExercise.op("div")
    assert "def derivative(x, y):" in str(ex) and ex.names == ("x", "y")
    assert ex.check(lambda x, y: (1 / y, -x / y ** 2)).passed
    report = ex.check(lambda x, y: (1 / y, x / y ** 2))  # the minus lost
    assert [r.passed for r in report.inputs] == [True, False]
    assert "FAILED for y" in str(report)
    assert DerivativeExercise.op("neg").check(lambda x: -1).passed  # a number is broadcast


@pytest.mark.parametrize("name", sorted([*UNARY, *BINARY]))
def test_every_op_s_table_derivative_passes_at_the_sample_points(name: str) -> None:
    op = UNARY.get(name) or BINARY[name]
    ex = DerivativeExercise.op(name, seed=3)
    report = ex.check(lambda *xs: op.derivative(ARRAY, op.forward(ARRAY, *xs), *xs)[0] if len(xs) == 1
                      else op.derivative(ARRAY, op.forward(ARRAY, *xs), *xs))
    assert report.passed, str(report)


def test_a_layer_s_backward_is_checked_and_located() -> None:
    ex = DerivativeExercise.layer("linear")
    assert "def backward(x, W, b, grad_out):" in str(ex) and ex.names == ("x", "W", "b")
    assert ex.check(lambda x, W, b, g: (g @ W, g.T @ x, g.sum(axis=0))).passed
    averaged = ex.check(lambda x, W, b, g: (g @ W, g.T @ x / len(x), g.sum(axis=0)))
    assert [r.passed for r in averaged.inputs] == [True, False, True]
    with pytest.raises(ValueError, match="gradient 1 has shape \\(4, 2\\), but input 1 has shape \\(2, 4\\)"):
        ex.check(lambda x, W, b, g: (g @ W, x.T @ g, g.sum(axis=0)))  # dW transposed
    sigmoid = DerivativeExercise.layer("sigmoid")
    s = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    assert sigmoid.check(lambda x, g: g * s(x) * (1 - s(x))).passed
    assert not sigmoid.check(lambda x, g: s(x) * (1 - s(x))).passed  # grad_out forgotten


def test_derivative_exercises_reproduce_and_refuse_bad_input() -> None:
    assert np.array_equal(DerivativeExercise.layer("linear", seed=4).inputs[1],
                          DerivativeExercise.layer("linear", seed=4).inputs[1])
    assert (DerivativeExercise.op("log").inputs[0] > 0).all()
    with pytest.raises(ValueError, match="no elementwise op 'softmax'; the ops are abs, add"):
        DerivativeExercise.op("softmax")
    with pytest.raises(ValueError, match="points must be at least 1"):
        DerivativeExercise.op("exp", points=0)
    with pytest.raises(ValueError, match="no layer 'conv'"):
        DerivativeExercise.layer("conv")
    with pytest.raises(TypeError, match="must be a function"):
        DerivativeExercise.op("exp").check(2.0)  # type: ignore[arg-type]


def test_the_slips_are_documented() -> None:
    assert list(SLIPS) == ["fan-out", "other-partial", "missing-local", "sign"]


def test_nodes_with_equal_values_are_different_questions() -> None:
    """Values compare by value (``==``); asking and grading go by identity."""
    x, y = Value(2.0, label="x"), Value(2.0, label="y")
    ex = Exercise(x * y, ask=[x, y])
    assert [q.label for q in ex.questions] == ["x", "y"]
    result = ex.grade({x: 2.0, y: 2.0})
    assert result.passed and [f.label for f in result.feedback] == ["x", "y"]
