"""The documentation site (``docs/``): a strict build (a warning is an error) whose pages load
nothing from the network.

Building the real site runs every tutorial notebook, which takes minutes, so the suite builds it
with the notebooks not run (``-D nb_execution_mode=off``): the API reference, the pages and the
tutorials' text are the same.  What running adds, the outputs (a stepper's ``<iframe>``, a
Graphviz SVG, math in a notebook), is checked on a site of one small notebook made here and
built with the same ``docs/conf.py``, then opened in headless Chromium, where no host name
resolves.  ``.ci/run`` builds the real site afterwards, every notebook run, and runs this module
again with ``CHAINRULE_DOCS_SITE`` naming it: then the checks of the built site at the end run
on every page of it.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

import autograd
import autograd.checking
import autograd.extend
import nn
from tests.tools import chromium, console_errors, fetches, require

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
INTERNAL = {"autograd.checking.checks", "autograd.checking.opchecks", "autograd.checking.probe",
            "nn.checks", "nn.values"}
"""Modules without a page of their own: what users need of them is documented where it is
re-exported (``autograd.checking``) or is the library's own plumbing."""

_ENTRY = re.compile(r"^<(\w+) ([\w:-]+)=(['\"])(.*)\3>$", re.S)
_REMOTE = re.compile(r"^\s*([a-z][a-z0-9+.-]*:)?//", re.I)
_CSS_REMOTE = re.compile(r"(@import\s+(url\()?|url\()\s*['\"]?\s*([a-z][a-z0-9+.-]*:)?//", re.I)
_WAIT = """
const done = arguments[arguments.length - 1];
const typeset = window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve();
const images = [...document.images].map(i => i.decode().catch(() => null));
typeset.then(() => Promise.all(images)).then(() => document.fonts.ready).then(() => done());
"""
_RENDERED = """
return {math: document.querySelectorAll('mjx-container').length,
        broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
        steppers: document.querySelectorAll('.cell_output iframe').length};
"""


def sphinx_build(source: Path, out: Path, *options: str) -> None:
    """Build ``source`` into ``out`` as CI does: strict (-W, nitpicky), failing with the warnings."""
    missing = [m for m in ("sphinx", "myst_nb", "furo", "sphinx-mathjax-offline")
               if importlib.util.find_spec(m) is None]
    require(not missing, f"needs {', '.join(missing)}: pip install -e '.[docs]'")
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
                          *options, str(source), str(out)], capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, f"sphinx-build failed:\n{run.stderr}"


def loads(page: Path, site: Path) -> list[str]:
    """What the HTML ``page`` of ``site`` loads that is not in the site: any URL of another
    host, a script's network call, or a file of the site that is missing."""
    problems = []
    for found in fetches(page.read_text(encoding="utf-8")):
        entry = _ENTRY.match(found)
        if entry is None:  # a script's network call
            problems.append(found)
            continue
        tag, _, _, url = entry.groups()
        if tag == "a":  # a link, followed only when clicked
            continue
        target = (page.parent / url.split("#")[0].split("?")[0]).resolve()
        if _REMOTE.match(url):
            problems.append(found)
        elif not (target.is_relative_to(site.resolve()) and target.exists()):
            problems.append(f"{found}: no such file in the site")
    return problems


def offline_problems(site: Path) -> dict[str, list[str]]:
    """Every page and style sheet of ``site`` that would load anything from outside it."""
    problems = {str(p.relative_to(site)): loads(p, site) for p in sorted(site.rglob("*.html"))}
    for css in site.rglob("*.css"):
        problems[str(css.relative_to(site))] = _CSS_REMOTE.findall(css.read_text(encoding="utf-8"))
    return {name: found for name, found in problems.items() if found}


def inventory(site: Path) -> set[str]:
    """The names of the objects the site documents (its ``objects.inv``)."""
    data = (site / "objects.inv").read_bytes()
    body = data.split(b"\n", 4)[4]
    return {line.split(" ", 1)[0] for line in zlib.decompress(body).decode("utf-8").splitlines()}


def open_page(driver: Any, page: Path) -> dict[str, Any]:
    """Open ``page`` and wait until its math is typeset and its pictures decoded: what rendered."""
    driver.get(page.resolve().as_uri())
    driver.execute_async_script(_WAIT)
    rendered: dict[str, Any] = driver.execute_script(_RENDERED)
    rendered["errors"] = console_errors(driver)
    return rendered


# -- the real site, notebooks not run -----------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "html"
    sphinx_build(DOCS, out, "-D", "nb_execution_mode=off")
    return out


def documented(name: str, package: Any, names: set[str]) -> bool:
    """Whether ``package.name`` is in the site: under that name, as re-exported from
    ``autograd``, or (a constant, which keeps no trace of its module) where it is defined."""
    obj = getattr(package, name)
    if f"{package.__name__}.{name}" in names:
        return True
    if getattr(autograd, name, None) is obj and f"autograd.{name}" in names:
        return True
    return any(n.endswith(f".{name}") and getattr(sys.modules.get(n.rpartition(".")[0]), name, None) is obj
               for n in names)


def test_the_api_reference_documents_every_public_name_and_module(site: Path) -> None:
    names = inventory(site)
    public = [(name, package) for package in (autograd, nn, autograd.extend, autograd.checking)
              for name in package.__all__]
    assert [f"{p.__name__}.{n}" for n, p in public if not documented(n, p, names)] == []
    modules = {m.name for package in (autograd, nn)
               for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")}
    assert sorted(modules - INTERNAL - names) == [], "a module with no page in docs/api/ (or INTERNAL)"


def test_every_tutorial_notebook_is_a_page_of_the_site(site: Path) -> None:
    notebooks = sorted(p.stem for p in (DOCS / "tutorials").glob("*.ipynb"))
    assert notebooks, "docs/tutorials/ has no notebook"
    assert sorted(p.stem for p in (site / "tutorials").glob("*.html")) == notebooks
    listing = (site / "tutorials.html").read_text(encoding="utf-8")
    assert [n for n in notebooks if f'href="tutorials/{n}.html"' not in listing] == []


def test_the_pages_load_nothing_from_the_network(site: Path) -> None:
    assert offline_problems(site) == {}
    math = (site / "math.html").read_text(encoding="utf-8")
    assert 'src="_static/mathjax/tex-chtml.js' in math, "MathJax is served by the site itself"
    assert (site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


def test_the_offline_check_finds_what_a_page_would_fetch(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text('<a href="https://example.org/">a link</a><img src="here.png">'
                    '<script src="https://cdn.example.org/x.js"></script>'
                    '<link rel="stylesheet" href="//fonts.example.org/css">', encoding="utf-8")
    assert len(loads(page, tmp_path)) == 3, "two remote loads and one missing file, the link is fine"
    (tmp_path / "here.png").write_bytes(b"")
    assert len(loads(page, tmp_path)) == 2


# -- a notebook run by the build ----------------------------------------------------------------

NOTEBOOK_CELLS = [
    ("markdown", "# A probe\n\nThe output error, as the math page writes it:\n\n"
                 "$$\\delta^{(L)} = \\frac{\\partial L}{\\partial A^{(L)}} \\odot \\sigma'(Z^{(L)})$$"),
    ("code", 'from autograd import Value, draw, trace\n'
             'x, w, b = Value(0.5, label="x"), Value(-1.5, label="w"), Value(0.25, label="b")\n'
             'out = (x * w + b).tanh()\nout.label = "out"\nout.backward()\nprint(f"{w.grad:.4f}")'),
    ("code", "draw(out)"),
    ("code", "trace(out)"),
]


@pytest.fixture(scope="module")
def notebook_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(shutil.which("dot") is not None, "Graphviz's dot is not installed (apt-get install graphviz)")
    require(importlib.util.find_spec("nbformat") is not None, "needs nbformat: pip install -e '.[docs]'")
    import nbformat

    source = tmp_path_factory.mktemp("probe-docs")
    (source / "tutorials").mkdir()
    index = "# Probe\n\n```{toctree}\n:glob:\n\ntutorials/*\n```\n"
    (source / "index.md").write_text(index, encoding="utf-8")
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    notebook = nbformat.v4.new_notebook(cells=[make[kind](text) for kind, text in NOTEBOOK_CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, source / "tutorials" / "00-probe.ipynb")
    out = source.parent / "probe-html"
    sphinx_build(source, out, "-c", str(DOCS))
    return out


def test_a_notebook_is_run_and_its_outputs_rendered(notebook_site: Path) -> None:
    page = notebook_site / "tutorials" / "00-probe.html"
    html = page.read_text(encoding="utf-8")
    assert "0.3932" in html, "the printed gradient: the notebook was run"
    assert html.count('<iframe srcdoc="') == 1 and 'title="chainrule stepper"' in html
    pictures = re.findall(r'<img [^>]*src="(\.\./_images/[^"]+\.svg)"', html)
    assert len(pictures) == 1, "draw(out) as image/svg+xml"
    assert "<svg" in (page.parent / pictures[0]).read_text(encoding="utf-8")
    assert loads(page, notebook_site) == []


def test_the_run_notebook_renders_in_a_browser_with_no_network(notebook_site: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium() as driver:
        rendered = open_page(driver, notebook_site / "tutorials" / "00-probe.html")
        assert rendered == {"math": 1, "broken": [], "steppers": 1, "errors": []}
        frame = driver.find_element(By.CSS_SELECTOR, ".cell_output iframe")
        driver.execute_script("arguments[0].scrollIntoView()", frame)
        driver.switch_to.frame(frame)
        # on a loaded machine the frame's script may still be running: click once it has
        ready = "return document.readyState"
        WebDriverWait(driver, 20).until(lambda d: d.execute_script(ready) == "complete")
        driver.find_element(By.ID, "next").click()
        WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "counter").text != "1 / 6")
        assert driver.find_element(By.ID, "counter").text == "2 / 6"
        driver.switch_to.default_content()
        assert console_errors(driver) == []


# -- the site .ci/run built, every notebook run -------------------------------------------------


@pytest.fixture(scope="module")
def built() -> Path:
    where = os.environ.get("CHAINRULE_DOCS_SITE")
    if not where:
        pytest.skip("CHAINRULE_DOCS_SITE is not set (.ci/run sets it once it has built the site)")
    site = Path(where)
    assert (site / "index.html").is_file(), f"CHAINRULE_DOCS_SITE={where}: no index.html there"
    return site


def test_the_built_site_loads_nothing_from_the_network(built: Path) -> None:
    assert offline_problems(built) == {}


def test_the_built_tutorials_have_their_outputs_and_render_offline(built: Path) -> None:
    pages = sorted((built / "tutorials").glob("*.html"))
    assert pages
    with chromium() as driver:
        for page in [*pages, built / "getting-started.html"]:
            assert "cell_output" in page.read_text(encoding="utf-8"), f"{page.name}: no outputs"
            rendered = open_page(driver, page)
            assert (rendered["broken"], rendered["errors"]) == ([], []), page.name
