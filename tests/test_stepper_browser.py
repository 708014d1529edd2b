"""The HTML stepper in a real browser: headless Chromium driven by selenium clicks
"next", presses the arrow keys and drags the slider, and the visible frame follows.
Also: the file is self-contained and every frame has the same layout."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autograd import Trace, Value, trace
from tests.tools import require

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HAVE_DOT = shutil.which("dot") is not None

pytestmark = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot is not installed")


def neuron_trace() -> Trace:
    x = Value(0.5, label="x")
    w = Value(-1.5, label="w <script>alert(1)</script>")
    out = (x * w + x).tanh() * x
    out.label = "out"
    return trace(out)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Trace]:
    t = neuron_trace()
    path = t.save_html(tmp_path_factory.mktemp("stepper") / "steps.html")
    return path, t


def test_the_file_is_self_contained_with_one_frame_per_step(page: tuple[Path, Trace]) -> None:
    path, t = page
    html = path.read_text(encoding="utf-8")
    assert len(re.findall(r'<figure class="frame"', html)) == len(t) + 1  # the start, then each step
    assert len(re.findall(r"<svg\b", html)) == len(t) + 1
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "nothing is fetched"
    assert "<script>alert(1)</script>" not in html, "user labels are escaped in captions"


def test_every_frame_has_the_same_layout(page: tuple[Path, Trace]) -> None:
    """Edges are drawn along identical paths in every frame: nodes do not jump while stepping."""
    html = page[0].read_text(encoding="utf-8")
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    paths = [re.findall(r'class="edge">\s*<title>([^<]*)</title>\s*<path[^>]* d="([^"]*)"', s) for s in svgs]
    assert paths[0] and all(p == paths[0] for p in paths)


def test_layout_check_fails_when_a_frame_moves(page: tuple[Path, Trace]) -> None:
    """Negative control: the same comparison notices a changed path."""
    html = page[0].read_text(encoding="utf-8")
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    moved = re.sub(r' d="M(\d)', r' d="M9\1', svgs[1], count=1)
    first, second = (re.findall(r'<path[^>]* d="([^"]*)"', s) for s in (svgs[0], moved))
    assert first != second


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require(Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(),
            f"needs Chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER}): "
            "apt-get install chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chainrule-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def visible(driver: Any) -> tuple[list[str], str, str]:
    """(ids of the displayed frames, the displayed caption, the slider's value)."""
    from selenium.webdriver.common.by import By

    frames = [f for f in driver.find_elements(By.CSS_SELECTOR, "figure.frame") if f.is_displayed()]
    caption = frames[0].find_element(By.TAG_NAME, "figcaption").text if frames else ""
    slider = driver.find_element(By.ID, "slider").get_attribute("value")
    return [f.get_attribute("id") for f in frames], caption, slider


def test_next_previous_keys_and_slider_change_the_frame(browser: Any, page: tuple[Path, Trace]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    path, t = page
    browser.get(path.as_uri())
    ids, caption, slider = visible(browser)
    assert ids == ["frame0"] and slider == "0" and caption.startswith("start")
    assert browser.find_element(By.ID, "prev").get_attribute("disabled") is not None

    browser.find_element(By.ID, "next").click()
    ids, caption, slider = visible(browser)
    assert ids == ["frame1"] and slider == "1"
    assert caption.startswith(f"step 1/{len(t)}")
    assert "∂out/∂" in caption

    browser.find_element(By.ID, "next").click()
    assert visible(browser)[0] == ["frame2"]
    browser.find_element(By.ID, "prev").click()
    assert visible(browser)[:3:2] == (["frame1"], "1")

    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    body.send_keys(Keys.ARROW_RIGHT)
    assert visible(browser)[0] == ["frame3"]
    body.send_keys(Keys.END)
    ids, caption, slider = visible(browser)
    assert ids == [f"frame{len(t)}"] and slider == str(len(t))
    assert caption.startswith(f"step {len(t)}/{len(t)}")
    assert browser.find_element(By.ID, "next").get_attribute("disabled") is not None

    browser.execute_script(
        "const s = document.getElementById('slider'); s.value = '2'; s.dispatchEvent(new Event('input'));")
    assert visible(browser)[0] == ["frame2"]
    assert browser.find_element(By.ID, "counter").text == f"3 / {len(t) + 1}"
    k = next(s.index for s in t if s.parent_name.startswith("w "))
    browser.execute_script(f"const s = document.getElementById('slider'); s.value = '{k}';"
                           "s.dispatchEvent(new Event('input'));")
    assert "∂out/∂w <script>alert(1)</script>" in visible(browser)[1], "a label shows as written"
