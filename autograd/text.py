"""How nodes and numbers read in pictures, traces and reports (below both ``drawing``
and ``tracing``, so that neither imports the other for them).

* :func:`node_names` -- each node's name: its label, or a number in the one order;
* :func:`number`, :func:`summary` -- a number, an array in a few characters;
* :func:`latex` -- any of that text as LaTeX that plain ``pdflatex`` compiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby
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
    else ``[min … max] mean m``; a node (a gradient of ``backward(create_graph=True)``), its value's.

    >>> summary(np.array([1.0, 2.5])), summary(np.arange(6.0))
    ('[1, 2.5]', '[0 … 5] mean 2.5')
    """
    if isinstance(x, Node):
        x = x._data
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return number(float(x), fmt)
        if x.size <= 4:
            return "[" + ", ".join(number(float(v), fmt) for v in x.flat) + "]"
        lo, hi, mean = (number(float(f(x)), fmt) for f in (np.min, np.max, np.mean))
        return f"[{lo} … {hi}] mean {mean}"
    return number(float(x), fmt)


# LaTeX for the characters of traces and labels, in the kernel's Type 1 fonts only (Computer Modern in
# the OT1, OML and OMS encodings).  The kernel's text $, \textbullet, \S, \dag, \copyright ... come
# from TS1, which pdflatex draws only by running METAFONT for a bitmap font: $ is math (\$), the others
# are left out.
_TEXT = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_",
         "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}",
         ">": r"\textgreater{}", "|": r"\textbar{}", "…": r"\ldots{}", "–": r"\textendash{}",
         "—": r"\textemdash{}", "‘": "`", "’": "'", "“": "``", "”": "''"}
_MATH = {
    **dict(zip("αβγδεζηθικλμνξοπρςστυφχψωϵϑϕϖϱ", r"""\alpha \beta \gamma \delta \varepsilon \zeta \eta
               \theta \iota \kappa \lambda \mu \nu \xi {o} \pi \rho \varsigma \sigma \tau \upsilon \varphi
               \chi \psi \omega \epsilon \vartheta \phi \varpi \varrho""".split(), strict=True)),
    **dict(zip("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ", r"""\mathrm{A} \mathrm{B} \Gamma \Delta \mathrm{E} \mathrm{Z}
               \mathrm{H} \Theta \mathrm{I} \mathrm{K} \Lambda \mathrm{M} \mathrm{N} \Xi \mathrm{O} \Pi
               \mathrm{P} \Sigma \mathrm{T} \Upsilon \Phi \mathrm{X} \Psi \Omega""".split(), strict=True)),
    "$": r"\$",
    **dict(zip("µ∂∇·×÷⊙⊗⊕±∓∘∗−≤≥≠≈≡∼∝∈∉←→↔⇐⇒⇔↦√∞∑∏∫∀∃¬∧∨∩∪⊤⊥ℓ⟨⟩‖", r"""\mu \partial \nabla \cdot
               \times \div \odot \otimes \oplus \pm \mp \circ \ast - \leq \geq \neq \approx \equiv \sim
               \propto \in \notin \leftarrow \rightarrow \leftrightarrow \Leftarrow \Rightarrow
               \Leftrightarrow \mapsto \surd \infty \sum \prod \int \forall \exists \neg \wedge \vee \cap
               \cup \top \bot \ell \langle \rangle \|""".split(), strict=True)),
}
_SUPERSCRIPTS = {**dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿ", "0123456789+-=()in", strict=True)),
                 "ᵀ": r"{\top}", "°": r"{\circ}", "′": r"{\prime}"}
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼ", "0123456789+-=()aeoxhklmnpstij", strict=True))


def markdown(text: str) -> str:
    """``text`` as the content of a Markdown table cell: Markdown's special characters
    (``\\ ` * _ [ ] < > | #``) escaped, line breaks as ``<br>``.

    >>> print(markdown("a|b *c*"))
    a\\|b \\*c\\*
    """
    text = "".join("\\" + c if c in "\\`*_[]<>|#" else c for c in text)
    return text.replace("\r\n", "<br>").replace("\n", "<br>")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table, every cell through :func:`markdown`.

    >>> print(markdown_table(["x", "a|b"], [["1", "2"]]))
    | x | a\\|b |
    |---|---|
    | 1 | 2 |
    """
    lines = ["| " + " | ".join(map(markdown, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(markdown, row)) + " |" for row in rows]
    return "\n".join(lines)


def latex(text: str) -> str:
    r"""``text`` (a trace's cell, a label: any string) as LaTeX that plain ``pdflatex`` compiles
    in text mode, with no package (``\documentclass{article}`` is all the preamble it needs).

    * ``-`` is a minus sign, ``$-$``, unless it joins two letters: ``-0.0403``, ``1e-05``,
      ``[-1 … 2]``, ``1 - tanh(x)²``, ``x**-1`` have minus signs; ``my-node`` and ``scatter-add``
      keep their hyphen.  ``−`` (U+2212) is always a minus.
    * LaTeX's special characters ``\ & % $ # _ { } ~ ^ < > |`` are escaped (``$`` in math,
      ``$\$$``: the kernel's text dollar needs a bitmap font).
    * Mathematical characters are math: ∂ ∇ · × ⊙ ≤ ≥ ≠ ≈ ← → ⇒ √ ∞ ∑ …, every Greek letter
      (α … ω, Α … Ω), superscripts ² ³ ᵀ ′ ° … and subscripts ₀ … ₉ ᵢ ⱼ …; neighbours share
      one ``$…$`` (``∂σ`` is ``$\partial\sigma$``), and scripts sit on an empty ``{}``.
    * … – — ‘ ’ “ ” are LaTeX's text forms; every whitespace character (tab, newline,
      no-break space …) is a space, since a table cell is one line.
    * Any other character outside printable ASCII (``é``, ``☃``, control characters, lone
      surrogates) shows as its code point in a box, ``\fbox{U+00E9}``.
    * A leading ``[`` or ``*`` is shielded with ``{}``: after a table row's ``\\`` it is text,
      not the row end's option or star.

    >>> print(latex("-0.0403 & 1e-05; my-node: ∂σ/∂x = 1 - tanh(x)²"))
    $-$0.0403 \& 1e$-$05; my-node: $\partial\sigma$/$\partial$x = 1 $-$ tanh(x)${}^{2}$
    >>> print(latex("[-1 … 2] 50% x_1 café"))
    {}[$-$1 \ldots{} 2] 50\% x\_1 caf\fbox{U+00E9}
    """
    pieces = [_piece(text, i) for i in range(len(text))]
    out = ["{}"] if text.lstrip()[:1] in ("[", "*") else []
    for is_text, run in groupby(pieces, key=lambda piece: piece[0] == ""):
        if is_text:
            out += [tex for _, tex in run]
            continue
        formula = []
        for mode, same in groupby(run, key=lambda piece: piece[0]):
            body = "".join(tex for _, tex in same)
            formula.append(body if mode == "$" else f"{{}}{mode}{{{body}}}")
        out.append("$" + "".join(formula) + "$")
    return "".join(out)


def _piece(text: str, i: int) -> tuple[str, str]:
    """The LaTeX for ``text[i]`` and its mode: ``""`` text, ``"$"`` math, ``"^"``/``"_"`` a script."""
    c = text[i]
    if c == "-":
        hyphen = 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha()
        return ("", "-") if hyphen else ("$", "-")
    for mode, table in (("", _TEXT), ("$", _MATH), ("^", _SUPERSCRIPTS), ("_", _SUBSCRIPTS)):
        if c in table:
            return mode, table[c]
    if c.isspace():
        return "", " "
    if " " <= c <= "~":
        return "", c
    return "", f"\\fbox{{U+{ord(c):04X}}}"
