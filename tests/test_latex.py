"""``autograd.text.latex``, checked with the real ``pdflatex`` (the LaTeX kernel only, no package):
any text compiles (a property test, 50 strings to a document; the checker's negative controls show
it can fail), minus signs are set as minus signs (the glyphs in pdflatex's log; the PDF's text where
``pdftotext`` exists) and the table of a real trace compiles.

Without ``pdflatex`` (Debian: texlive-latex-base) these tests skip, except in CI (``tests/tools.py``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Tensor, Value, trace
from autograd.text import latex
from tests.tools import require

# Every character the traces print, LaTeX's specials, whitespace, controls and lone surrogates,
# and characters no table knows (é, ☃, a CJK character, an emoji, private use, unassigned).
CHARACTERS = ("∂σΣδ²³ᵀ·×⊙⇒…≤≥≠←→₀₁₂₃₄₅₆₇₈₉⁰¹⁴⁻ⁿᵢⱼαβωΑΓΩ√∞≈−-–—‘’“”°′µ"
              "\\&%$#_{}~^<>|[]*'`\"!? \n\r\t\x00\x07\x1b\x7f\x85\xa0\u2028\ud800\udfff"
              "é☃中😀\ue000\U000e0001\u0378abx01")
TEXTS = st.text(st.one_of(st.sampled_from(CHARACTERS), st.characters(codec=None, exclude_categories=())),
                max_size=12)

# The glyphs of each shipped page, listed in the log ("....\OMS/cmsy/m/n/10 ^^@" is the minus sign).
SHOW_PAGES = "\\tracingoutput=1 \\showboxbreadth=10000 \\showboxdepth=10000\n"
GLYPH = re.compile(r"^\.+\\\w+/(\w+)/\w+/\w+/[\d.]+ (\S+)$", re.MULTILINE)
MINUS, HYPHEN = ("cmsy", "^^@"), ("cmr", "-")


@pytest.fixture(scope="module")
def pdflatex() -> str:
    path = shutil.which("pdflatex")
    require(path is not None, "pdflatex is not installed (Debian: texlive-latex-base)")
    assert path is not None
    return path


def compile_latex(pdflatex: str, body: str, preamble: str = "") -> tuple[str, bytes]:
    """``body`` in an article with nothing but ``preamble`` compiled: the log and the PDF.
    AssertionError, with pdflatex's first error, if it stops or draws a glyph from a bitmap font."""
    document = f"\\documentclass{{article}}\n{preamble}\\begin{{document}}\n{body}\n\\end{{document}}\n"
    # No METAFONT: a glyph outside the kernel's Type 1 fonts stops pdflatex instead of writing a font cache.
    env = {**os.environ, "MKTEXPK": "0", "MKTEXTFM": "0", "MKTEXMF": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "doc.tex").write_text(document, encoding="utf-8")
        run = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                              "doc.tex"], cwd=tmp, env=env, capture_output=True, timeout=60)
        log = Path(tmp, "doc.log").read_text(encoding="utf-8", errors="replace")
        pdf = Path(tmp, "doc.pdf").read_bytes() if run.returncode == 0 else b""
    error = log[log.find("\n!"):][:600]
    assert run.returncode == 0, f"pdflatex failed:{error}"
    # A bitmap font already in a cache does not stop pdflatex, but the log names it.
    bitmaps = re.findall(r"[\w-]+\.\d+pk>", log.replace("\n", ""))
    assert not bitmaps, f"bitmap fonts: {bitmaps}"
    return log, pdf


def text_mode(tex: str) -> str:
    """``tex`` without its math (``$…$``)."""
    return re.sub(r"\$[^$]*\$", "", tex)


@settings(max_examples=12)
@given(st.lists(TEXTS, min_size=50, max_size=50))
def test_any_text_compiles(pdflatex: str, texts: list[str]) -> None:
    """In table cells (a row's first cell follows the previous row's ``\\\\``) and as paragraphs."""
    cells = [latex(t) for t in texts]
    assert all(c.isascii() for c in cells)
    rows = "\n".join(f"{a} & {b} \\\\" for a, b in zip(cells[::2], cells[1::2]))
    compile_latex(pdflatex, f"\\begin{{tabular}}{{ll}}\n{rows}\n\\end{{tabular}}\n\n" + "\n\n".join(cells))


BROKEN = ["a & b", "x^2", "a $$ b", "\\newline{} x", "\\begin{tabular}{l}\nx \\\\\n[1]\n\\end{tabular}",
          "snow\u2603man", "\\S{} (a bitmap font)"]


@pytest.mark.parametrize("body", BROKEN)
def test_negative_control_the_checker_fails_on_broken_latex(pdflatex: str, body: str) -> None:
    """Each of these stops pdflatex, or (``\\S``) needs METAFONT: the property test can fail."""
    with pytest.raises(AssertionError):
        compile_latex(pdflatex, body)


@pytest.mark.parametrize("text", ["-0.0403", "1e-05", "[-1 … 2]", "1 - tanh(x)²", "-x / y²", "x**-1", "a−b"])
def test_a_minus_is_math(text: str) -> None:
    tex = latex(text)
    assert "$-$" in tex
    assert "-" not in text_mode(tex)


def test_a_hyphen_between_letters_stays() -> None:
    assert latex("my-node") == "my-node"
    assert latex("scatter-add into x's shape") == "scatter-add into x's shape"
    assert latex("a-1") == "a$-$1" and latex("-a") == "$-$a"


def test_the_pdf_has_minus_signs(pdflatex: str) -> None:
    """pdflatex sets a minus sign from cmsy (the math symbols), a hyphen from cmr: five minus signs, one
    hyphen (my-node); the same text unescaped, the negative control, gives six hyphens and no minus."""
    text = "-0.0403 1e-05 [-1 … 2] 1 - tanh(x)² -x my-node"
    log, pdf = compile_latex(pdflatex, latex(text), SHOW_PAGES)
    glyphs = GLYPH.findall(log)
    assert (glyphs.count(MINUS), glyphs.count(HYPHEN)) == (5, 1), glyphs
    raw = GLYPH.findall(compile_latex(pdflatex, "-0.0403 1e-05 [-1 2] 1 - x -x my-node", SHOW_PAGES)[0])
    assert (raw.count(MINUS), raw.count(HYPHEN)) == (0, 6)
    if shutil.which("pdftotext") is None:
        return  # poppler-utils: optional; the glyph count above already reads the page
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "doc.pdf").write_bytes(pdf)
        words = subprocess.run(["pdftotext", "doc.pdf", "-"], cwd=tmp, capture_output=True, text=True,
                               check=True, timeout=60).stdout.split()
    assert words[:3] == ["\u22120.0403", "1e\u221205", "[\u22121"] and "my-node" in words, words


def test_scripts_are_their_characters_compatibility_forms() -> None:
    """² is ``${}^{2}$``, ₖ is ``${}_{k}$`` ...: each script written plainly is its character's NFKC form."""
    scripts = {}
    for c in map(chr, range(0x80, 0x3000)):
        found = re.fullmatch(r"\$\{\}[_^]\{([^{}]+)\}\$", latex(c))
        if found:
            scripts[c] = found[1]
            assert found[1] == unicodedata.normalize("NFKC", c).replace("\u2212", "-"), c
    assert set("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉") < set(scripts)


def test_a_traced_table_compiles(pdflatex: str) -> None:
    x = Value(0.5, label="x")
    value = trace((x * Value(-1.5, label="w_1")).tanh())
    a = Tensor(np.array([[1.0, -2.0], [3.0, 4.0]]), requires_grad=True, label="a")
    tensor = trace((a * a).sum())
    for t in (value, tensor):
        table = t.to_latex(".4f")
        rows = [line for line in table.splitlines() if line.endswith("\\\\")]
        assert len(rows) == len(t) + 1
        assert {row.replace("\\&", "").count("&") for row in rows} == {len(t.header) - 1}
    value_table, tensor_table = value.to_latex(".4f"), tensor.to_latex(".4f")
    assert "= $-$1.5000" in value_table and "w\\_1" in value_table and "$\\partial$" in value_table
    assert "[1.0000, $-$2.0000, 3.0000, 4.0000]" in tensor_table
    compile_latex(pdflatex, value_table + "\n\n" + tensor_table)
