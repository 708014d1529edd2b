"""A trace in a notebook shows itself as the stepper (issue 13, item 5).

A real notebook, built with nbformat and run by nbclient in a Python kernel, ends two
cells with a trace: each gives the stepper (an iframe holding the whole page), the
Markdown table and the plain text.  nbconvert exports it to HTML, and headless Chromium
clicks "next" in the first stepper while the second stays where it was.  The pages in
the iframes load nothing (nbconvert's own template may ask a CDN for require.js and
MathJax: that is nbconvert's, not ours).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from autograd import Trace, trace
from tests.tools import chromium, console_errors, fetches, require

REPO = Path(__file__).resolve().parents[1]
NEURON = """\
from autograd import Value, trace
x, w, b = Value(0.5, label="x"), Value(-1.5, label="w"), Value(0.25, label="b")
out = (x * w + b).tanh()
out.label = "out"
"""
SQUARE = """\
x2 = Value(2.0, label="x2")
loss = x2 * x2 + x2
loss.label = "loss"
"""


@dataclass(frozen=True)
class Notebook:
    outputs: list[dict[str, Any]]
    """The display data of the two cells that end with a trace."""
    traces: list[Trace]
    """The same two traces, made here."""
    html: str
    """The notebook exported by nbconvert."""
    path: Path


def local_trace(source: str, root: str, names: dict[str, Any]) -> Trace:
    exec(source, names)
    return trace(names[root])


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> Notebook:
    require(shutil.which("dot") is not None, "Graphviz's dot is not installed (apt-get install graphviz)")
    missing = [m for m in ("nbformat", "nbclient", "nbconvert", "ipykernel")
               if importlib.util.find_spec(m) is None]
    require(not missing, f"needs {', '.join(missing)}: pip install -e '.[dev]'")
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    folder = tmp_path_factory.mktemp("notebook")
    cell = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[cell(NEURON), cell("trace(out)"), cell(SQUARE), cell("trace(loss)")])
    # No kernel directories: "python3" is ipykernel's own kernel on this interpreter, whatever is installed.
    kernel = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))
    path = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    NotebookClient(nb, km=kernel, timeout=60, startup_timeout=60).execute(
        cleanup_kc=True, cwd=str(folder), env={**os.environ, "PYTHONPATH": path})  # then shut the kernel down
    nbformat.write(nb, folder / "steps.ipynb")
    outputs = []
    for k in (1, 3):
        assert [o["output_type"] for o in nb.cells[k].outputs] == ["execute_result"]
        outputs.append(nb.cells[k].outputs[0]["data"])

    html, _ = HTMLExporter().from_notebook_node(nb)
    exported = folder / "steps.html"
    exported.write_text(html, encoding="utf-8")
    names: dict[str, Any] = {}
    traces = [local_trace(NEURON, "out", names), local_trace(SQUARE, "loss", names)]
    return Notebook(outputs, traces, html, exported)


class _Frames(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.srcdocs: list[str] = []
        self.sandboxes: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe":
            a = dict(attrs)
            self.srcdocs.append(a.get("srcdoc") or "")
            self.sandboxes.append(a.get("sandbox"))


def iframes(html: str) -> _Frames:
    """The iframes of ``html``: their pages (``srcdoc``, unescaped) and sandboxes."""
    parser = _Frames()
    parser.feed(html)
    parser.close()
    return parser


def test_each_trace_gives_the_stepper_a_markdown_table_and_plain_text(notebook: Notebook) -> None:
    for data, t in zip(notebook.outputs, notebook.traces):
        assert {"text/html", "text/markdown", "text/plain"} <= set(data)
        assert data["text/plain"] == repr(t)
        assert data["text/markdown"] == t._repr_markdown_()
        assert data["text/markdown"].count("\n| ") == len(t) + 1, "a header and a row per step"
        frames = iframes(data["text/html"])
        assert frames.srcdocs == [t.to_html()], "the whole stepper, as to_html() writes it"
        assert frames.sandboxes == ["allow-scripts"]


def test_the_export_holds_both_steppers_and_they_load_nothing(notebook: Notebook) -> None:
    frames = iframes(notebook.html)
    assert frames.srcdocs == [t.to_html() for t in notebook.traces]
    for page in frames.srcdocs:
        assert fetches(page) == []


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def stepper_state(driver: Any) -> tuple[str, str, int]:
    """(counter, caption, resources loaded) of the stepper in the current frame."""
    counter, caption, loaded = driver.execute_script(
        "const text = id => document.getElementById(id).textContent;"
        "return [text('counter'), text('caption'), performance.getEntriesByType('resource').length]")
    return counter, caption, loaded


def test_next_steps_the_first_stepper_and_not_the_second(browser: Any, notebook: Notebook) -> None:
    from selenium.webdriver.common.by import By

    first, second = notebook.traces
    browser.get(notebook.path.as_uri())
    frames = browser.find_elements(By.CSS_SELECTOR, "iframe[srcdoc]")
    assert len(frames) == 2
    browser.switch_to.frame(frames[0])
    assert stepper_state(browser) == (f"1 / {len(first) + 1}", "start: ∂out/∂out = 1", 0)
    browser.find_element(By.ID, "next").click()
    browser.find_element(By.ID, "next").click()
    step2 = f"step 2/{len(first)}: {first[1].equation('.4g')}"
    assert stepper_state(browser) == (f"3 / {len(first) + 1}", step2, 0)
    assert browser.execute_script("return origin") == "null", "sandboxed: no access to the notebook's page"

    browser.switch_to.default_content()
    browser.switch_to.frame(frames[1])
    assert stepper_state(browser) == (f"1 / {len(second) + 1}", "start: ∂loss/∂loss = 1", 0)
    # Negative control: a request from the sandboxed frame, even one that fails, is counted, and
    # its error reaches the console log.
    browser.execute_async_script("const done = arguments[0], img = new Image();"
                                 "img.onerror = img.onload = () => done(); img.src = 'https://example.com/x.png';")
    assert stepper_state(browser)[2] == 1
    browser.switch_to.default_content()
    # nbconvert's template asks a CDN for its scripts, which fails here (no host resolves).
    theirs = tuple(re.findall(r'<script[^>]*\ssrc="([^"]+)"', notebook.html.split("<iframe", 1)[0]))
    assert [e for e in console_errors(browser) if not e.startswith(theirs)] == [
        "https://example.com/x.png - Failed to load resource: net::ERR_NAME_NOT_RESOLVED"]
