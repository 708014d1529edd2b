"""The stepper page (``Trace.save_html``) as a file and in a real browser.

The file: self-contained, one picture, one record per step, user labels never markup.
In headless Chromium, on the 3-8-8-1 network's backward pass (407 steps, 330 boxes):
clicks, keys and the slider step through it and the page shows what the Python trace
says (counter, equation, highlighted nodes and edges, every grad cell); "follow" keeps
the pushing node on screen and readable; zoom, fit and dragging move the view; the
console stays clean; hostile labels never run.  Each check that could pass vacuously
(nothing on screen, no way to be unreadable) has a negative control.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import nn
from autograd import Trace, Value, trace
from autograd.text import summary
from tests.tools import chromium, console_errors, fetches, require

SCRIPT_LABEL = "w <script>alert(1)</script>"
IMG_LABEL = """<img src=x onerror="document.title='pwned'">"""
CLOSE_LABEL = """</script><script>document.title='pwned'</script>"""
READABLE_PX = 10  # the least height of a box's text, on screen, that we call readable


@dataclass(frozen=True)
class Page:
    path: Path
    trace: Trace
    html: str


def save(t: Trace, path: Path, **opts: Any) -> Page:
    require(shutil.which("dot") is not None, "Graphviz's dot is not installed (apt-get install graphviz)")
    t.save_html(path, **opts)
    return Page(path, t, path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mlp(tmp_path_factory: pytest.TempPathFactory) -> Page:
    """The 3-8-8-1 tanh network's loss, layer by layer."""
    model = nn.MLP([3, 8, 8, 1], activation="tanh", engine="value", rng=0)
    loss = nn.mse_loss(model([2.0, 3.0, -1.0]), [1.0])
    return save(trace(loss, order="layers"), tmp_path_factory.mktemp("stepper") / "mlp.html")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Page:
    """A neuron whose labels are markup."""
    x = Value(0.5, label="x")
    w = Value(-1.5, label=SCRIPT_LABEL)
    b = Value(0.25, label=IMG_LABEL)
    out = (x * w + b).tanh() * x
    out.label = CLOSE_LABEL
    return save(trace(out), tmp_path_factory.mktemp("stepper") / "hostile.html")


def steps_json(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="steps">(.*?)</script>', html, re.S)
    assert found, "the page carries its steps as JSON"
    data: dict[str, Any] = json.loads(found[1])
    return data


# The file, no browser.

def test_the_page_is_self_contained_with_one_picture_and_a_record_per_step(mlp: Page) -> None:
    assert fetches(mlp.html) == []
    assert not re.search(r"<(link|iframe|object|embed|base)\b", mlp.html)
    assert len(re.findall(r"<svg\b", mlp.html)) == 1
    data = steps_json(mlp.html)
    assert len(data["steps"]) == len(mlp.trace) == 407
    assert [s[3] for s in data["steps"]] == [f"step {s.index}/{len(mlp.trace)}: {s.equation('.4g')}"
                                             for s in mlp.trace]


@pytest.mark.parametrize("fetch", [
    '<script src="https://cdn.example.com/d3.js"></script>',
    '<link rel="stylesheet" href="//fonts.example.com/css">',
    "<style>@font-face { font-family: f; src: url(https://fonts.example.com/f.woff2); }</style>",
    "<style>@import 'theme.css';</style>",
    '<img src="logo.png">',
    "<script>fetch('https://example.com/steps.json');</script>",
])
def test_the_no_network_check_notices_a_fetch(hostile: Page, fetch: str) -> None:
    """Negative control: the same check flags each way a page can load something."""
    assert fetches(hostile.html) == []
    assert fetches(hostile.html.replace("</head>", fetch + "</head>", 1))


def test_every_id_in_the_page_is_unique(mlp: Page) -> None:
    """The script finds boxes, ops and edges by id: an id given twice is ambiguous (and not HTML)."""
    twice = {i: n for i, n in Counter(re.findall(r'\sid="([^"]*)"', mlp.html)).items() if n > 1}
    assert twice == {}


def test_a_hostile_label_never_appears_as_markup(hostile: Page) -> None:
    html = hostile.html
    for label in (SCRIPT_LABEL, IMG_LABEL, CLOSE_LABEL):
        assert label not in html
    assert "<script>alert" not in html and "<img" not in html
    assert html.count("<script") == 2 and html.count("</script>") == 2, "the JSON and the page's script"
    assert r"w \u003cscript\u003ealert(1)\u003c/script\u003e" in html, "the JSON escapes < and >"
    assert "w &lt;script&gt;alert(1)&lt;/script&gt;" in html.split("<svg", 1)[1], "the SVG escapes them"
    assert fetches(html) == []
    data = steps_json(html)
    assert len(data["steps"]) == len(hostile.trace)
    assert any(SCRIPT_LABEL in s[3] for s in data["steps"]), "the JSON holds the label as written"


# In the browser.

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def open_page(driver: Any, page: Page) -> None:
    driver.get(page.path.as_uri())
    console_errors(driver)  # a fresh page: forget the last one's console


def go(driver: Any, k: int) -> None:
    """Show step ``k`` (0: the start) as the slider does."""
    driver.execute_script("const s = document.getElementById('slider'); s.value = String(arguments[0]);"
                          "s.dispatchEvent(new Event('input'));", k)


SHOWN = """
const slider = document.getElementById('slider');
const text = id => document.getElementById(id).textContent;
const name = css => {
  const g = document.querySelector(css);
  return g && g.querySelector('text').textContent;
};
const marked = [...document.querySelectorAll('.push, .receiving, .active')];
return [text('counter'), text('caption'), name('g.node.push[id^="v"]'), name('g.node.receiving'),
        marked.map(g => g.id + ' ' + g.getAttribute('class')).sort(), slider.value];
"""


def shown(driver: Any) -> tuple[str, str, str, str | None, list[str], str]:
    """(counter, caption, name of the pushing node, of the receiving node, the marked elements,
    the slider's value) as the page shows them."""
    counter, caption, push, receiving, marked, slider = driver.execute_script(SHOWN)
    return counter, caption, push, receiving, marked, slider


def expected(page: Page, k: int) -> tuple[str, str, str, str | None, str]:
    """What the page should show at step ``k``, from the Python trace."""
    t = page.trace
    root = t.names[t.root]
    if k == 0:
        return f"1 / {len(t) + 1}", f"start: ∂{root}/∂{root} = {summary(t.grad)}", root, None, "0"
    s = t[k - 1]
    return (f"{k + 1} / {len(t) + 1}", f"step {k}/{len(t)}: {s.equation('.4g')}", s.node_name, s.parent_name,
            str(k))


def check_step(driver: Any, page: Page, k: int) -> None:
    """The page shows step ``k``: the trace's counter, equation and nodes, and exactly the
    boxes, op and edges of that step marked (their ids from the page's JSON)."""
    counter, caption, push, receiving, marked, slider = shown(driver)
    assert (counter, caption, push, receiving, slider) == expected(page, k)
    data = steps_json(page.html)
    if k == 0:
        assert marked == [f"v{data['root']} node push"]
    else:
        node, parent, i = data["steps"][k - 1][:3]
        assert i == page.trace[k - 1].input
        assert marked == sorted([f"v{node} node push", f"o{node} node push", f"v{parent} node receiving",
                                 f"e{node} edge active", f"e{node}_{i} edge active"])


GRAD_CELLS = """
const out = {};
document.querySelectorAll('g.node[id^="v"]').forEach(g => {
  const texts = [...g.querySelectorAll('text')].map(t => t.textContent);
  out[texts[0]] = texts.filter(t => t.startsWith('grad ')).join(' | ');
});
return out;
"""


def expected_grads(t: Trace, k: int) -> dict[str, str]:
    """Each node's grad cell after ``k`` steps: the last gradient pushed to it, else ``?``."""
    out = dict.fromkeys(t.names.values(), "grad ?")
    out[t.names[t.root]] = f"grad {summary(t.grad)}"
    for s in t[:k]:
        out[s.parent_name] = f"grad {summary(s.parent_grad)}"
    return out


def test_clicks_keys_and_the_slider_step_as_the_trace_does(browser: Any, mlp: Page) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    last = len(mlp.trace)
    open_page(browser, mlp)
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    check_step(browser, mlp, 0)
    assert browser.find_element(By.ID, "prev").get_attribute("disabled") is not None

    for k in (1, 2):
        browser.find_element(By.ID, "next").click()
        check_step(browser, mlp, k)
    browser.find_element(By.ID, "prev").click()
    check_step(browser, mlp, 1)

    for key, k in ((Keys.ARROW_RIGHT, 2), (Keys.ARROW_RIGHT, 3), (Keys.ARROW_LEFT, 2), (Keys.END, last),
                   (Keys.HOME, 0), (Keys.END, last)):
        ActionChains(browser).send_keys(key).perform()
        check_step(browser, mlp, k)
    assert browser.find_element(By.ID, "next").get_attribute("disabled") is not None
    assert browser.execute_script(GRAD_CELLS) == expected_grads(mlp.trace, last)

    slider = browser.find_element(By.ID, "slider")
    ActionChains(browser).click(slider).perform()  # the thumb jumps to the middle
    k = int(slider.get_attribute("value"))
    assert 0 < k < last
    check_step(browser, mlp, k)
    assert browser.execute_script(GRAD_CELLS) == expected_grads(mlp.trace, k)
    quarter = slider.size["width"] // 4
    ActionChains(browser).click_and_hold(slider).move_by_offset(-quarter, 0).move_by_offset(-quarter, 0) \
        .release().perform()  # the thumb dragged from the middle to the left end
    check_step(browser, mlp, 0)
    grads = browser.execute_script(GRAD_CELLS)
    assert grads == expected_grads(mlp.trace, 0)
    assert set(grads.values()) == {"grad ?", f"grad {summary(mlp.trace.grad)}"}
    assert console_errors(browser) == []


def test_each_grad_cell_fills_in_at_its_step_and_empties_going_back(browser: Any, mlp: Page) -> None:
    open_page(browser, mlp)
    t = mlp.trace
    for k in (1, 10, 200, len(t), 10, 0):
        go(browser, k)
        grads = browser.execute_script(GRAD_CELLS)
        assert grads == expected_grads(t, k), k
        assert len(grads) == len(t.names), "a box per node, each named as the trace names it"
        assert ("grad ?" in grads.values()) == (k < len(t)), "nodes not reached yet, until the end"
    assert console_errors(browser) == []


MEASURE = """
const g = document.querySelector(arguments[0]);
const box = r => [r.left, r.top, r.right, r.bottom];
return {id: g.id, box: box(g.getBoundingClientRect()),
        view: box(document.getElementById('view').getBoundingClientRect()),
        window: [0, 0, Math.min(innerWidth, 1280), Math.min(innerHeight, 800)],
        heights: [...g.querySelectorAll('text')].map(t => t.getBoundingClientRect().height)};
"""


def measure(driver: Any, selector: str = 'g.node.push[id^="v"]') -> dict[str, Any]:
    """Where an element is on screen (default: the pushing node's box) and how tall its texts are."""
    m: dict[str, Any] = driver.execute_script(MEASURE, selector)
    return m


def inside(box: list[float], frame: list[float]) -> bool:
    return frame[0] <= box[0] and frame[1] <= box[1] and box[2] <= frame[2] and box[3] <= frame[3]


def on_screen(m: dict[str, Any]) -> bool:
    return inside(m["box"], m["view"]) and inside(m["box"], m["window"])


def readable(m: dict[str, Any]) -> bool:
    return bool(m["heights"]) and min(m["heights"]) >= READABLE_PX


def test_follow_keeps_the_pushing_node_on_screen_and_readable(browser: Any, mlp: Page) -> None:
    open_page(browser, mlp)
    assert browser.execute_script("return document.getElementById('follow').checked")
    data = steps_json(mlp.html)
    for k in (1, 10, len(mlp.trace)):
        go(browser, k)
        m = measure(browser)
        assert m["id"] == f"v{data['steps'][k - 1][0]}"
        assert on_screen(m), (k, m)
        assert readable(m), (k, m)
    assert console_errors(browser) == []


def test_the_screen_checks_fail_off_screen_and_zoomed_out(browser: Any, mlp: Page) -> None:
    """Negative controls: the root's box, far right, is off screen at the last step (far
    left); after "fit" the 10,000-unit-wide graph is on screen but unreadable, and so it is
    after zooming out."""
    from selenium.webdriver.common.by import By

    open_page(browser, mlp)
    go(browser, len(mlp.trace))
    root = measure(browser, f"#v{steps_json(mlp.html)['root']}")
    assert not on_screen(root) and readable(root)
    browser.find_element(By.ID, "fit").click()
    assert not browser.execute_script("return document.getElementById('follow').checked")
    m = measure(browser)
    assert on_screen(m) and not readable(m), m
    browser.find_element(By.ID, "follow").click()
    assert readable(measure(browser))
    for _ in range(12):
        browser.find_element(By.ID, "zoom-out").click()
    assert not readable(measure(browser))
    assert console_errors(browser) == []


VIEWBOX = "return document.querySelector('#view > svg').getAttribute('viewBox').split(/[ ,]+/).map(Number)"


def test_zoom_fit_wheel_and_drag_move_the_view(browser: Any, mlp: Page) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def following() -> bool:
        return bool(browser.execute_script("return document.getElementById('follow').checked"))

    graph = re.search(r'<svg\b[^>]*viewBox="([^"]*)"', mlp.html)
    assert graph
    gx, gy, gw, gh = map(float, graph[1].split())
    open_page(browser, mlp)
    go(browser, 10)
    x, y, w, h = browser.execute_script(VIEWBOX)
    assert w < gw / 5, "following, the view shows a readable part of the graph"

    browser.find_element(By.ID, "zoom-in").click()
    assert browser.execute_script(VIEWBOX)[2] == pytest.approx(w / 1.25)
    browser.find_element(By.ID, "zoom-out").click()
    browser.find_element(By.ID, "zoom-out").click()
    assert browser.execute_script(VIEWBOX)[2] == pytest.approx(w * 1.25)
    ActionChains(browser).send_keys("+").perform()
    assert browser.execute_script(VIEWBOX)[2] == pytest.approx(w)

    browser.find_element(By.ID, "fit").click()
    x, y, w, h = browser.execute_script(VIEWBOX)
    assert x <= gx and y <= gy and x + w >= gx + gw and y + h >= gy + gh, "the whole graph"
    assert min(w / gw, h / gh) == pytest.approx(1), "and no more than it needs"
    assert inside(measure(browser, "#view g.graph")["box"], measure(browser)["view"])
    assert not following()

    ActionChains(browser).send_keys("f").perform()
    assert following()
    go(browser, 10)
    x, y, w, h = browser.execute_script(VIEWBOX)
    view = browser.find_element(By.ID, "view")
    ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(view), 0, 200).perform()
    assert browser.execute_script(VIEWBOX)[2] > w * 1.2, "the wheel zooms out"
    ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(view), 0, -200).perform()
    x, y, w, h = browser.execute_script(VIEWBOX)

    ActionChains(browser).click_and_hold(view).move_by_offset(150, 80).release().perform()
    x2, y2, w2, h2 = browser.execute_script(VIEWBOX)
    scale = view.size["width"] / w
    px = pytest.approx  # to a pixel
    assert (x2, y2, w2) == (px(x - 150 / scale, abs=1 / scale), px(y - 80 / scale, abs=1 / scale), px(w))
    assert not following(), "dragging stops following"
    browser.find_element(By.ID, "next").click()
    assert browser.execute_script(VIEWBOX)[:2] == [pytest.approx(x2), pytest.approx(y2)], "and stays put"

    ActionChains(browser).send_keys(Keys.END).send_keys("0").perform()
    assert browser.execute_script(VIEWBOX)[2] >= gw
    assert console_errors(browser) == []


def test_hostile_labels_are_shown_as_text_and_never_run(browser: Any, hostile: Page) -> None:
    from selenium.webdriver.common.by import By

    open_page(browser, hostile)
    title = f"Backward pass of {CLOSE_LABEL}, step by step"
    assert browser.title == title
    assert browser.find_element(By.TAG_NAME, "h1").text == title
    check_step(browser, hostile, 0)
    for k in range(1, len(hostile.trace) + 1):
        browser.find_element(By.ID, "next").click()
        check_step(browser, hostile, k)
    assert browser.title == title
    assert browser.execute_script("return document.querySelectorAll('img').length") == 0
    assert browser.execute_script("return document.scripts.length") == 2
    shown_names = set(browser.execute_script(GRAD_CELLS))
    assert {SCRIPT_LABEL, IMG_LABEL, CLOSE_LABEL} <= shown_names
    assert console_errors(browser) == []


@pytest.mark.parametrize("show", [("label", "data", "grad"), ("label", "data")])
def test_a_label_that_reads_like_a_grad_cell_stays_as_written(browser: Any, tmp_path: Path,
                                                                show: tuple[str, ...]) -> None:
    x = Value(0.5, label="grad x")
    y = (x * 2.0).tanh()
    y.label = "y"
    page = save(trace(y), tmp_path / "grad_label.html", show=show)
    open_page(browser, page)
    go(browser, len(page.trace))
    assert set(browser.execute_script(GRAD_CELLS)) == {"grad x", "#1", "#2", "y"}
    assert console_errors(browser) == []
