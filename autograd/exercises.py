"""Graded exercises, for a teacher to hand out and a learner to practise.

* :class:`Exercise` -- backpropagation by hand on a ``Value`` graph: ``Exercise(root, ask=...)``
  asks for ∂root/∂node of chosen nodes; ``str()`` is the worksheet, ``to_markdown``,
  ``to_latex`` and ``to_html`` export it (``answers=True``: the answer key and the worked steps);
  ``grade(answers)`` marks the answers; ``Exercise.random(level, seed)`` makes one.
* :class:`Grade` (``passed``, ``score``) with one :class:`Feedback` per question: a wrong
  answer's hint names the chain-rule step that went wrong, one of the :data:`SLIPS`.
* :class:`DerivativeExercise` -- write an op's local derivative, or a layer's backward, in
  numpy; ``check(answer)`` is :func:`~autograd.checking.check_gradient`'s located report.

How a hint is found.  The backward pass is replayed from the steps of the exercise's
:func:`~autograd.tracing.trace` with ONE step altered -- its local derivative taken as 1,
replaced by the other input's partial or stripped of its minus sign, or one of the
contributions into a node used more than once left out -- and the learner's answer is
compared with each replayed gradient.  Every slip that reproduces it is named, in the
learner's own node names; an answer no single slip explains gets the chain rule for
that node spelled out.  Each replay is one pass over the steps, made once per exercise
at its first wrong answer: about 0.2 s for a graph of 150 steps (300 slips).

>>> from autograd import Value
>>> x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(0.5, label="b")
>>> ex = Exercise((x * w + b) * x)
>>> print(ex)  # doctest: +NORMALIZE_WHITESPACE
Backpropagation by hand: the gradients of L
The forward pass is done: every node is computed from the nodes above it. Work back from
∂L/∂L = 1, one chain-rule step at a time.
  x = 2
  w = -3
  #1 = x * w = -6
  b = 0.5
  #2 = #1 + b = -5.5
  L = #2 * x = -11
Find: ∂L/∂x, ∂L/∂w, ∂L/∂b
An answer counts as right within 0.001 × |key| + 0.001 of the answer key.
>>> result = ex.grade({"x": -5.5, "w": 4, "b": 2})
>>> result.score, [f.ok for f in result.feedback], result.feedback[0].slips
(0.6666666666666666, [False, True, True], ('fan-out',))
>>> print(result.feedback[0].hint)  # doctest: +NORMALIZE_WHITESPACE
Fan-out sum forgotten: x is used twice (by L and #1), so ∂L/∂x is the sum of its contributions,
-5.5 + -6; your answer has only the one from L.
"""

from __future__ import annotations

import html
import math
import random as _random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from numbers import Real
from typing import Any

import numpy as np

from autograd.checking import GradcheckReport, check_gradient
from autograd.node import topological_order
from autograd.ops import ARRAY, BINARY, LINEAR, MUL, UNARY, Op
from autograd.tensor import Tensor
from autograd.text import latex, markdown, markdown_table, summary
from autograd.tracing import Step, Trace, trace
from autograd.value import Value

RTOL = 1e-3
"""Default relative tolerance of :meth:`Exercise.grade`: about four significant figures."""
ATOL = 1e-3
"""Default absolute tolerance: an answer near 0, rounded to three decimals by hand, still counts."""
SLIPS = {
    "fan-out": "a fan-out sum forgotten: a node used more than once gets the sum of the contributions of "
               "all its uses, and the answer has only some of them",
    "other-partial": "the other input's partial: ∂(x * y)/∂y = x used where ∂(x * y)/∂x = y belongs",
    "missing-local": "a missing local derivative: one step's local derivative left out (taken as 1)",
    "sign": "a lost minus sign: the minus of a local derivative (neg, subtraction, division's ∂/∂y, "
            "cos) dropped",
}
"""The slips a hint can name (:attr:`Feedback.slips`), by key, in the order hints name them."""
_GIVEN = "given"
"""How the worksheet says a leaf is computed."""
_FMT = ".4g"
_LEVELS = (1, 2, 3)

_Table = tuple[str, tuple[str, ...], list[tuple[str, ...]]]
"""A caption, a header and rows: one table of a worksheet."""
Answers = Mapping[Any, float]
"""A learner's answers: a number per question, keyed by the node's name (label) or the node;
:meth:`Exercise.grade` checks the keys (``Any``: mypy types a dict of both as ``dict[object, float]``)."""


def _close(given: float, key: float, rtol: float, atol: float) -> bool:
    """``|given - key| <= atol + rtol * |key|`` (numpy's ``isclose``, relative to the key)."""
    return abs(given - key) <= atol + rtol * abs(key)


def _times(k: int) -> str:
    return "twice" if k == 2 else f"{k} times"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class Feedback:
    """The marking of one question.

    ``label`` names the node as the worksheet does (its label, else ``#k``) and
    ``question`` is what was asked (``∂L/∂x1``); ``given`` is the learner's answer (None:
    not answered) and ``expected`` the answer key's; ``ok`` says whether ``given`` is
    within the exercise's tolerance of it.  ``hint`` is "" for a right answer; for a
    wrong one it explains the step that went wrong, in the learner's names, naming the
    local derivative or the sum that step needs (so a hint may show part of the
    working; ``expected`` itself is the answer key, for the teacher).  ``slips`` are the
    keys of :data:`SLIPS` that reproduce the answer (empty when none does).
    """

    label: str
    question: str
    given: float | None
    expected: float
    ok: bool
    hint: str
    slips: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.given is None:
            return f"– {self.question}: no answer"
        mark = "✓" if self.ok else "✗"
        line = f"{mark} {self.question} = {summary(self.given, _FMT)}"
        return line if self.ok else f"{line}: {self.hint}"


@dataclass(frozen=True)
class Grade:
    """The marking of a learner's answers: one :class:`Feedback` per question, in the
    exercise's order; ``str()`` is the learner's report (no answer key in it)."""

    feedback: tuple[Feedback, ...]

    @property
    def passed(self) -> bool:
        """True when every question is answered right."""
        return all(f.ok for f in self.feedback)

    @property
    def score(self) -> float:
        """The share of the questions answered right, from 0 to 1."""
        return sum(f.ok for f in self.feedback) / len(self.feedback)

    def __str__(self) -> str:
        right = sum(f.ok for f in self.feedback)
        lines = [f"{right}/{len(self.feedback)} right" + (": passed" if self.passed else "")]
        return "\n".join(lines + [f"  {f}" for f in self.feedback])


def _replay(t: Trace, local: Mapping[int, float] | None = None,
            dropped: frozenset[int] = frozenset()) -> dict[Any, float]:
    """Every node's gradient from the steps of ``t``, with the local derivatives of the
    steps in ``local`` (by index) replaced and the steps in ``dropped`` left out.  The
    steps come in the engine's order, so a node's gradient is whole before it pushes."""
    local = local or {}
    grads: dict[Any, float] = {t.root: t.grad}
    for s in t:
        if s.index not in dropped:
            grads[s.parent] = grads.get(s.parent, 0.0) + grads.get(s.node, 0.0) * local.get(s.index, s.local)
    return grads


def _chain(s: Step) -> str:
    """``∂L/∂p += ∂L/∂n · ∂n/∂p``: the step's line of the chain rule."""
    L, n, p = s.root_name, s.node_name, s.parent_name
    return f"∂{L}/∂{p} += ∂{L}/∂{n} · ∂{n}/∂{p}"


def _step_slips(t: Trace) -> Iterator[tuple[str, str, dict[Any, float]]]:
    """The one-step slips of each step: (key, hint, the gradients they give)."""
    inputs: dict[Any, dict[int, Step]] = defaultdict(dict)
    for s in t:
        inputs[s.node][s.input] = s
    for s in t:
        other = inputs[s.node].get(1 - s.input)
        if other is not None and other.local != s.local:
            which = "factor" if s.op is MUL else "input"
            yield "other-partial", (
                f"The other {which}'s partial: in {_chain(s)} your answer uses {other.local_text(_FMT)}, "
                f"the derivative with respect to {other.parent_name}, where ∂{s.node_name}/∂{s.parent_name} "
                f"is {s.local_text(_FMT)}."), _replay(t, {s.index: other.local})
        if s.local != 1 and not (s.local == -1 and s.partial.startswith("-")):  # that is a lost sign
            yield "missing-local", (
                f"Missing local derivative: your answer leaves out {s.local_text(_FMT)} (as if it were 1); "
                f"the chain rule multiplies it in: {_chain(s)}."), _replay(t, {s.index: 1.0})
        if s.partial.startswith("-"):
            yield "sign", (f"Lost minus sign: your answer drops the minus of {s.local_text(_FMT)}."
                           ), _replay(t, {s.index: -s.local})


def _fan_out_slips(t: Trace) -> Iterator[tuple[str, str, dict[Any, float]]]:
    """For each node used more than once: its gradient with only one use's contribution,
    and (three uses or more) with one left out."""
    into: dict[Any, list[Step]] = defaultdict(list)
    for s in t:
        into[s.parent].append(s)
    for steps in into.values():
        if len(steps) < 2:
            continue
        first, terms = steps[0], " + ".join(summary(s.contribution, _FMT) for s in steps)
        head = (f"Fan-out sum forgotten: {first.parent_name} is used {_times(len(steps))} "
                f"(by {_and([_use(s, steps) for s in steps])}), so ∂{first.root_name}/∂{first.parent_name} "
                f"is the sum of its contributions, {terms}; ")
        everyone = frozenset(s.index for s in steps)
        for s in steps:
            yield "fan-out", head + f"your answer has only the one from {_use(s, steps)}.", _replay(
                t, dropped=everyone - {s.index})
            if len(steps) > 2:
                yield "fan-out", head + f"your answer leaves out the one from {_use(s, steps)}.", _replay(
                    t, dropped=frozenset({s.index}))


def _use(s: Step, steps: list[Step]) -> str:
    """The use of a node that ``s`` pushes along, among all of its ``steps``: the using
    node's name, and which input when it uses the node twice (``x * x``)."""
    twice = sum(u.node is s.node for u in steps) > 1
    return f"input {s.input + 1} of {s.node_name}" if twice else s.node_name


class Exercise:
    """Backpropagation by hand: find ∂root/∂node for the nodes asked (``ask``) of a
    ``Value`` graph whose forward pass is done.

    ``ask``: nodes, or their labels (default: every labelled leaf, in the order nodes
    are numbered).  Making an exercise runs a private :func:`~autograd.tracing.trace`:
    no node's ``.grad`` changes, so the graph's answers stay hidden.  Questions are
    named as the worksheet names their nodes (the label; an unlabelled node asked for
    by itself, ``#k``).  An answer is right when ``|given - key| <= atol + rtol·|key|``
    (:data:`RTOL`, :data:`ATOL`: four significant figures or three decimals do).

    A ``Tensor`` graph is refused: its answers are arrays no one works out by hand; a
    layer's backward is a :meth:`DerivativeExercise.layer`.
    """

    def __init__(self, root: Value, ask: Iterable[Value | str] | Value | str | None = None, *,
                 rtol: float = RTOL, atol: float = ATOL) -> None:
        _check_root(root)
        if not (math.isfinite(rtol) and rtol >= 0 and math.isfinite(atol) and atol >= 0 and rtol + atol > 0):
            raise ValueError(f"Exercise: rtol and atol must be finite numbers >= 0, not both 0; "
                             f"got rtol={rtol!r}, atol={atol!r}")
        self.root = root
        self.rtol, self.atol = rtol, atol
        self.trace = trace(root)
        """The backward pass the answers come from: the worked solution."""
        self._names = self.trace.names
        self.questions: tuple[Value, ...] = self._resolve(ask)
        """The nodes asked for, in the order asked."""
        self._key = self.trace.grads

    def _resolve(self, ask: Iterable[Value | str] | Value | str | None) -> tuple[Value, ...]:
        names = self._names
        if ask is None:
            chosen = [n for n in names if n.op is None and n.label is not None]
            if not chosen:
                raise ValueError("Exercise: no leaf of the graph has a label: label the leaves to ask about "
                                 "(Value(2.0, label='x')), or pass ask=[...]")
        else:
            chosen = []
            for item in [ask] if isinstance(ask, (str, Value)) else ask:
                node = self._node(item)
                if any(node is c for c in chosen):  # nodes compare by value (==): ask by identity
                    raise ValueError(f"Exercise: {names[node]} is asked twice")
                chosen.append(node)
            if not chosen:
                raise ValueError("Exercise: ask is empty: ask for at least one node")
        seen: dict[str, Value] = {names[self.root]: self.root}
        for node in chosen:
            if seen.setdefault(names[node], node) is not node:
                raise ValueError(f"Exercise: two nodes are named {names[node]!r}: give the nodes asked "
                                 "(and the root) distinct labels")
        return tuple(chosen)

    def _node(self, item: Value | str) -> Value:
        """The node ``item`` asks for: a node of the graph, or the label of one."""
        names, root = self._names, self._names[self.root]
        if isinstance(item, str):
            found = [n for n in names if n.label == item]
            if not found:
                why = (" (#k numbers an unlabelled node on the worksheet: ask for the node itself, or label "
                       "it)" if item in names.values() else "")
                raise ValueError(f"Exercise: no node of {root}'s graph is labelled {item!r}{why}")
            if len(found) > 1:
                raise ValueError(f"Exercise: {len(found)} nodes are labelled {item!r}: ask for the node "
                                 "itself, or give them distinct labels")
            node = found[0]
        elif isinstance(item, Value):
            if item not in names:
                raise ValueError(f"Exercise: {item!r} is not in {root}'s graph: {root} does not depend on it")
            node = item
        else:
            raise TypeError(f"Exercise: ask for Value nodes or their labels, not {type(item).__name__} "
                            f"({item!r})")
        if node is self.root:
            raise ValueError(f"Exercise: {root} is the root: ∂{root}/∂{root} = 1 needs no working")
        return node

    @classmethod
    def random(cls, level: int = 1, seed: int | None = None, *, rtol: float = RTOL,
               atol: float = ATOL) -> Exercise:
        """A random exercise (the same for the same ``seed``) whose numbers are small
        integers and halves, chosen so that no local derivative is 0 or ±1 where that would
        hide a slip, and no answer is 0.

        ``level`` 1: a chain of two or three of ``+ - *`` on a, b, c, d (one path to each);
        2: a neuron ``x1*w1 + x2*w2 ± b`` times a node it used (fan-out);
        3: the same through tanh, exp or σ, times or plus a node it used, over c.

        >>> str(Exercise.random(2, seed=7)) == str(Exercise.random(2, seed=7))
        True
        """
        if level not in _LEVELS:
            raise ValueError(f"Exercise.random: level must be one of {_LEVELS}, not {level!r}")
        rng = _random.Random(seed)
        while True:  # _fair takes about 1 draw in 5 at level 3, 3 in 4 at levels 1 and 2 (1000 draws each)
            exercise = cls(_BUILDERS[level](rng), rtol=rtol, atol=atol)
            if exercise._fair():
                return exercise

    def _fair(self) -> bool:
        """Whether a random draw makes a fair exercise: every local derivative and answer
        clear of 0 and of huge values, none ±1 unless it always is (add, neg), and no product
        of two equal factors (each would make a slip give the right answer)."""
        steps = {(s.node, s.input): s for s in self.trace}
        for s in self.trace:
            if not 0.05 <= abs(s.local) <= 50 or (abs(s.local) == 1 and s.partial not in ("1", "-1")):
                return False
            other = steps[s.node, 1 - s.input] if s.op is MUL else None
            if other is not None and other.parent is not s.parent and other.local == s.local:
                return False
        return all(0.05 <= abs(self._key[q]) <= 100 for q in self.questions)

    # -- grading --------------------------------------------------------------------
    def answer_key(self) -> dict[str, float]:
        """Each question's answer, ∂root/∂node, by the question's name."""
        return {self._names[q]: self._key[q] for q in self.questions}

    def grade(self, answers: Answers) -> Grade:
        """Mark ``answers`` (a number per question, keyed by label or node; questions left
        out are marked unanswered).  A key that is no question raises ``ValueError``; an
        answer that is not a finite real number, ``TypeError`` or ``ValueError``."""
        given = self._read(answers)
        return Grade(tuple(self._mark(q, given.get(q)) for q in self.questions))

    def _read(self, answers: Answers) -> dict[Value, float]:
        if not isinstance(answers, Mapping):
            raise TypeError(f"Exercise.grade: answers must be a mapping (a dict of question -> number), "
                            f"not {type(answers).__name__}")
        by_name = {self._names[q]: q for q in self.questions}
        out: dict[Value, float] = {}
        extra = []
        for key, value in answers.items():
            if isinstance(key, str):
                node = by_name.get(key)
            else:  # nodes compare by value (==): look the node up by identity
                node = next((q for q in self.questions if q is key), None)
            if node is None:
                extra.append(repr(key))
                continue
            name = self._names[node]
            if node in out:
                raise ValueError(f"Exercise.grade: {name} is answered twice (by its label and by the node)")
            out[node] = _number(value, name)
        if extra:
            raise ValueError(f"Exercise.grade: no question is {', '.join(extra)}; the questions are "
                             f"{', '.join(by_name)}")
        return out

    def _mark(self, q: Value, given: float | None) -> Feedback:
        name, key = self._names[q], self._key[q]
        question = f"∂{self._names[self.root]}/∂{name}"
        if given is None:
            return Feedback(name, question, None, key, False, "No answer given.")
        if _close(given, key, self.rtol, self.atol):
            return Feedback(name, question, given, key, True, "")
        rtol, atol = self.rtol, self.atol
        found = [(kind, text) for kind, text, grads in self._slips
                 if _close(given, grads[q], rtol, atol) and not _close(grads[q], key, rtol, atol)]
        if not found:
            return Feedback(name, question, given, key, False, self._unexplained(q, given))
        found.sort(key=lambda found: list(SLIPS).index(found[0]))
        hint = " Or: ".join(list(dict.fromkeys(text for _, text in found))[:3])
        return Feedback(name, question, given, key, False, hint, tuple(dict.fromkeys(k for k, _ in found)))

    @cached_property
    def _slips(self) -> list[tuple[str, str, dict[Value, float]]]:
        """Every one-step slip: (key, hint, the gradient it gives each question), made
        the first time an answer is wrong."""
        return [(kind, text, {q: grads.get(q, 0.0) for q in self.questions})
                for kind, text, grads in (*_fan_out_slips(self.trace), *_step_slips(self.trace))]

    def _unexplained(self, q: Value, given: float) -> str:
        """The hint for a wrong answer no single slip explains: the chain rule for ``q``."""
        L, p = self._names[self.root], self._names[q]
        terms = " + ".join(f"∂{L}/∂{s.node_name} · ∂{s.node_name}/∂{p}" for s in self.trace if s.parent is q)
        key = self._key[q]
        sign = ("Right size, wrong sign: check the sign of each local derivative on the way. "
                if key and _close(-given, key, self.rtol, self.atol) else "")
        return (f"{sign}Not one of the classic slips: ∂{L}/∂{p} = {terms}. Find each upstream gradient "
                f"first, working back from ∂{L}/∂{L} = 1, then multiply by the local derivative.")

    # -- the worksheet ----------------------------------------------------------------
    def _title(self) -> str:
        return f"Backpropagation by hand: the gradients of {self._names[self.root]}"

    def _intro(self) -> str:
        L = self._names[self.root]
        return (f"The forward pass is done: every node is computed from the nodes above it. Work back from "
                f"∂{L}/∂{L} = 1, one chain-rule step at a time.")

    def _tolerance(self) -> str:
        return f"An answer counts as right within {self.rtol:g} × |key| + {self.atol:g} of the answer key."

    def _forward_rows(self) -> list[tuple[str, ...]]:
        """(name, how it is computed in names, value) for each node, each after its inputs."""
        step = {s.node: s for s in self.trace}
        return [(self._names[n], _GIVEN if n.op is None else step[n].in_names(n.op.formula),
                 summary(n.data, _FMT)) for n in topological_order(self.root)]

    def _questions_text(self) -> list[str]:
        return [f"∂{self._names[self.root]}/∂{self._names[q]}" for q in self.questions]

    def __str__(self) -> str:
        lines = [self._title(), self._intro()]
        for name, how, value in self._forward_rows():
            lines.append(f"  {name} = {value}" if how == _GIVEN else f"  {name} = {how} = {value}")
        return "\n".join([*lines, "Find: " + ", ".join(self._questions_text()), self._tolerance()])

    def __repr__(self) -> str:
        return (f"<Exercise on {self._names[self.root]}: {len(self.questions)} questions, "
                f"{len(self.trace)} steps>")

    def _parts(self, answers: bool) -> list[str | _Table]:
        """The worksheet (``answers``: the answer key) as paragraphs and tables; an empty
        cell is a blank to fill in."""
        key = self.answer_key()
        find: list[tuple[str, ...]] = [(text, summary(key[self._names[q]], _FMT) if answers else "")
                for text, q in zip(self._questions_text(), self.questions)]
        parts: list[str | _Table] = [
            self._intro(), ("Forward pass", ("node", "computed as", "value"), self._forward_rows()),
            ("Find", ("question", "answer"), find), self._tolerance()]
        if answers:
            parts.append(("Working: the backward pass, one chain-rule step per row", self.trace.header,
                          self.trace.rows(_FMT)))
        return parts

    def to_markdown(self, answers: bool = False) -> str:
        """The worksheet as Markdown (GitHub tables); ``answers=True``: the answer key, with
        the worked steps."""
        out = [f"## {markdown(self._title())}"]
        for part in self._parts(answers):
            if isinstance(part, str):
                out.append(markdown(part))
                continue
            caption, header, rows = part
            out.append(f"**{markdown(caption)}**\n\n" + markdown_table(header, rows))
        return "\n\n".join(out) + "\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def to_latex(self, answers: bool = False) -> str:
        """The worksheet as LaTeX for the body of a plain ``\\documentclass{article}`` (no
        package needed: every text goes through :func:`autograd.text.latex`); blanks are
        room to write.  ``answers=True``: the answer key, with the worked steps."""
        out = [f"\\section*{{{latex(self._title())}}}"]
        for part in self._parts(answers):
            if isinstance(part, str):
                out.append(latex(part))
                continue
            caption, header, rows = part
            cells = [" & ".join(latex(c) if c else _LATEX_BLANK for c in row) + " \\\\"
                     for row in [header, *rows]]
            table = [f"\\begin{{tabular}}{{{'l' * len(header)}}}", "\\hline", cells[0], "\\hline", *cells[1:],
                     "\\hline", "\\end{tabular}"]
            if len(header) > 3:  # the working's 8 columns: small type keeps more of them on the page
                table = ["\\begingroup\\footnotesize", *table, "\\endgroup"]
            out.append(f"\\noindent\\textbf{{{latex(caption)}}}\\par\\smallskip\n\\noindent"
                       + "\n".join(table))
        return "\n\n".join(out) + "\n"

    def to_html(self, answers: bool = False) -> str:
        """The worksheet as one self-contained HTML page (every text escaped: a label is
        never markup); ``answers=True``: the answer key, with the worked steps."""
        e = html.escape
        body = [f"<h1>{e(self._title())}</h1>"]
        for part in self._parts(answers):
            if isinstance(part, str):
                body.append(f"<p>{e(part)}</p>")
                continue
            caption, header, rows = part
            body += [f"<h2>{e(caption)}</h2>", "<table>",
                     "<tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>"]
            body += ["<tr>" + "".join(f"<td>{e(c)}</td>" if c else '<td class="blank"></td>' for c in row)
                     + "</tr>" for row in rows]
            body.append("</table>")
        return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f"<title>{e(self._title())}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
                + "\n".join(body) + "\n</body>\n</html>\n")


_LATEX_BLANK = r"\rule{0pt}{3ex}\hspace{4cm}"
"""An empty cell of a worksheet's table: room to write the answer."""
_CSS = ("body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}"
        "th,td{border:1px solid #999;padding:.25em .6em;text-align:left}"
        "td.blank{min-width:12em;height:2em}")


def _check_root(root: Any) -> None:
    if isinstance(root, Tensor):
        raise TypeError("Exercise: the root is a Tensor: exercises are worked by hand on Value graphs (a "
                        "Tensor's gradients are arrays); for a layer's backward, use "
                        "DerivativeExercise.layer")
    if not isinstance(root, Value):
        raise TypeError(f"Exercise: the root must be a Value, not {type(root).__name__}")
    if root.op is None:
        raise ValueError(f"Exercise: the root {root!r} is a leaf: ask about an expression computed from it")


def _number(value: Any, name: str) -> float:
    """An answer as a float: a finite real number, or an error naming the question."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"Exercise.grade: the answer for {name} must be a number, not "
                        f"{type(value).__name__} ({value!r})")
    if not math.isfinite(value):
        raise ValueError(f"Exercise.grade: the answer for {name} must be finite, not {value!r}")
    return float(value)


# -- random exercises ---------------------------------------------------------------
_NICE = (-3.0, -2.5, -2.0, -1.5, -0.5, 0.5, 1.5, 2.0, 2.5, 3.0)
"""Leaf values: small integers and halves, never 0 or ±1 (a factor 1 would hide a slip)."""
_OPS: dict[str, Callable[[Value, Value], Value]] = {
    "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}


def _leaves(rng: _random.Random, names: str) -> list[Value]:
    return [Value(rng.choice(_NICE), label=name) for name in names.split()]


def _level1(rng: _random.Random) -> Value:
    """A chain: each op takes the expression so far and a new leaf (either side); one is ``*``."""
    leaves = _leaves(rng, "a b c d")
    ops = [rng.choice("+-*") for _ in range(rng.choice((2, 3)))]
    if "*" not in ops:
        ops[rng.randrange(len(ops))] = "*"
    out = leaves[0]
    for op, leaf in zip(ops, leaves[1:]):
        out = _OPS[op](out, leaf) if rng.random() < 0.5 else _OPS[op](leaf, out)
    out.label = "L"
    return out


def _neuron(rng: _random.Random) -> tuple[Value, list[Value]]:
    """``x1*w1 + x2*w2 ± b`` and the nodes a fan-out may reuse (the inputs, the weights, itself)."""
    x1, w1, x2, w2, b = _leaves(rng, "x1 w1 x2 w2 b")
    n = _OPS[rng.choice("+-")](x1 * w1 + x2 * w2, b)
    return n, [x1, w1, x2, w2, n]


def _level2(rng: _random.Random) -> Value:
    n, reusable = _neuron(rng)
    again = rng.choice(reusable)
    out = n * again if rng.random() < 0.5 else again * n
    out.label = "L"
    return out


def _level3(rng: _random.Random) -> Value:
    n, reusable = _neuron(rng)
    h = getattr(n, rng.choice(("tanh", "exp", "sigmoid")))()
    top = _OPS[rng.choice("+*")](h, rng.choice(reusable))
    out = top / Value(rng.choice(_NICE), label="c")
    out.label = "L"
    return out


_BUILDERS: dict[int, Callable[[_random.Random], Value]] = {1: _level1, 2: _level2, 3: _level3}


# -- write the derivative ------------------------------------------------------------
_POSITIVE = {"log": (0,), "log1p": (0,), "sqrt": (0,), "pow": (0,)}
"""The inputs of ops defined for positive numbers only."""


def _points(rng: np.random.Generator, shape: tuple[int, ...], positive: bool) -> np.ndarray:
    """Sample points 0.25 to 2.5 away from 0 (the kink of relu and abs, the pole of 1/y)."""
    size = rng.uniform(0.25, 2.5, shape)
    return size if positive else size * rng.choice((-1.0, 1.0), shape)


@dataclass(frozen=True, eq=False)
class DerivativeExercise:
    """Write a derivative in numpy: ``str()`` is the task; ``check(answer)`` runs
    :func:`~autograd.checking.check_gradient` on it at ``inputs`` and returns the
    located report (which input is wrong, its worst elements; a gradient of the wrong
    shape raises ``ValueError`` naming it).

    Made by :meth:`op` (an op's local derivative) or :meth:`layer` (a layer's backward):
    ``f`` is the scalar function checked, ``names`` name its inputs as the op does, and
    ``grad_out`` (layers) is the upstream gradient handed to the learner's backward.

    >>> ex = DerivativeExercise.op("tanh")
    >>> ex.check(lambda x: 1 - np.tanh(x) ** 2).passed, ex.check(lambda x: 1 - x ** 2).passed
    (True, False)
    """

    task: str
    f: Callable[..., float]
    inputs: tuple[np.ndarray, ...]
    names: tuple[str, ...]
    grad_out: np.ndarray | None = None

    @classmethod
    def op(cls, name: str, *, points: int = 8, seed: int = 0) -> DerivativeExercise:
        """The local derivative(s) of the elementwise op ``name`` (a key of
        :data:`~autograd.ops.UNARY` or :data:`~autograd.ops.BINARY`), at ``points``
        random points (``seed``): ``derivative(x)`` returns d/dx, ``derivative(x, y)``
        returns (∂/∂x, ∂/∂y), each an array of x's shape or a number."""
        if points < 1:
            raise ValueError(f"DerivativeExercise.op: points must be at least 1, got {points!r}")
        op = UNARY.get(name) or BINARY.get(name)
        if op is None:
            raise ValueError(f"DerivativeExercise.op: no elementwise op {name!r}; the ops are "
                             f"{', '.join(sorted([*UNARY, *BINARY]))}")
        rng = np.random.default_rng(seed)
        inputs = tuple(_points(rng, (points,), i in _POSITIVE.get(name, ())) for i in range(op.arity))
        names = tuple(op.input_name(i) for i in range(op.arity))
        what = f"d/dx {op.formula}" if op.arity == 1 else f"∂/∂x and ∂/∂y of {op.formula}"
        task = (f"Write {what}, elementwise, as numpy code:\n\n    def derivative({', '.join(names)}):\n"
                f"        return {'dx' if op.arity == 1 else 'dx, dy'}\n\nIt is checked against central "
                f"differences at {points} points ({', '.join(names)} in .inputs).")
        return cls(task, lambda *xs: float(np.sum(op.forward(ARRAY, *xs))), inputs, names)

    @classmethod
    def layer(cls, name: str, *, seed: int = 0) -> DerivativeExercise:
        """The backward pass of a layer: ``"linear"`` (out = x @ Wᵀ + b; ``backward(x, W,
        b, grad_out)`` returns (dx, dW, db)) or an activation, any one-input op
        (``"sigmoid"``, ``"tanh"``, ``"relu"``, ...; ``backward(x, grad_out)`` returns dx),
        on a seeded batch of 3 examples."""
        rng = np.random.default_rng(seed)
        op: Op
        names: tuple[str, ...]
        inputs: tuple[np.ndarray, ...]
        if name == "linear":
            op, names = LINEAR, LINEAR.input_names
            inputs = (_points(rng, (3, 4), False), _points(rng, (2, 4), False), _points(rng, (2,), False))
        elif name in UNARY:
            op, names = UNARY[name], ("x",)
            inputs = (_points(rng, (3, 4), bool(_POSITIVE.get(name))),)
        else:
            raise ValueError(f"DerivativeExercise.layer: no layer {name!r}; the layers are linear and the "
                             f"activations {', '.join(sorted(UNARY))}")
        grad_out = rng.standard_normal(np.shape(op.forward(ARRAY, *inputs)))
        shapes = ", ".join(f"{n} {x.shape}" for n, x in zip(names, inputs))
        task = (f"Write the backward pass of {name}, out = {op.formula}, for {shapes}: given grad_out = "
                f"∂L/∂out {grad_out.shape}, return ∂L/∂{', ∂L/∂'.join(names)}:\n\n    def backward("
                f"{', '.join(names)}, grad_out):\n        return {', '.join('d' + n for n in names)}\n\n"
                "It is checked against central differences of Σ grad_out ⊙ out.")
        return cls(task, lambda *xs: float(np.sum(grad_out * op.forward(ARRAY, *xs))), inputs, names,
                   grad_out)

    def __str__(self) -> str:
        return self.task

    def check(self, answer: Callable[..., Any]) -> GradcheckReport:
        """``answer`` (the learner's ``derivative`` or ``backward``) against central differences."""
        if not callable(answer):
            raise TypeError(f"DerivativeExercise.check: the answer must be a function, not "
                            f"{type(answer).__name__}")
        return check_gradient(self.f, self._grad_f(answer), *self.inputs, names=list(self.names),
                              raise_exception=False)

    def _grad_f(self, answer: Callable[..., Any]) -> Callable[..., Any]:
        """``answer`` as ``check_gradient``'s ``grad_f``: a layer's with ``grad_out`` passed; an op's
        derivatives brought to their inputs' shape (``return -1`` is a fine d/dx of ``-x``)."""
        grad_out = self.grad_out
        if grad_out is not None:
            return lambda *xs: answer(*xs, grad_out.copy())

        def grad_f(*xs: np.ndarray) -> Any:
            out = answer(*xs)
            parts = (out,) if len(xs) == 1 else out
            if not isinstance(parts, (tuple, list)) or len(parts) != len(xs):
                return out  # check_gradient says what is wrong with it
            return tuple(np.broadcast_to(np.asarray(p, dtype=np.float64), x.shape) for p, x in zip(parts, xs))

        return grad_f
