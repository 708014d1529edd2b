"""What the documentation site looks like: PNG screenshots of tutorial pages of the built site
in headless Chromium, and a check that they load nothing from the network.

The site (``docs/_build/html`` unless ``--site`` says otherwise; built first, strictly, when it
has no ``index.html``) is served over HTTP on 127.0.0.1, as ``python -m http.server`` would,
and each page is opened in ``/usr/bin/chromium`` through ``/usr/bin/chromedriver`` (selenium)
with a fresh profile, in a 1280x900 window, with every host name unresolvable.  Once MathJax
has typeset the page, the window is scrolled to the page's first stepper (else its first
picture), "next" is pressed ``--steps`` times in that stepper, and the screenshot is saved as
``out/{page}.png``.  The script stops if a page asked
for anything but the local server (every request is logged) or its console has an error.

    python -m benchmarks.docs_screenshots [--site DIR] [--out DIR] [--pages PAGE,PAGE] [--steps N]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from benchmarks.browser import chromium

REPO = Path(__file__).resolve().parents[1]
# No host name but 127.0.0.1 resolves: a page that needs the network shows it here.
NO_HOSTS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
NETWORK = ("http:", "https:", "ws:", "wss:", "ftp:")  # not chrome://, data:, about:
# The first stepper of the page, else its first picture (an output's SVG or PNG), else its title.
# Done once MathJax has typeset the page, its pictures are decoded and its fonts loaded.
RENDERED = """
const done = arguments[arguments.length - 1];
const typeset = window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve();
const images = [...document.images].map(i => i.decode().catch(() => null));
typeset.then(() => Promise.all(images)).then(() => document.fonts.ready).then(() => done());
"""
FIRST_OUTPUT = """
const el = document.querySelector('.cell_output iframe, .output iframe')
    || document.querySelector('.cell_output img, .output img') || document.querySelector('h1');
const top = Math.max(0, el.getBoundingClientRect().top + window.scrollY - 220);
window.scrollTo({top: top, behavior: 'instant'});
"""


def build(site: Path) -> None:
    """Build the site into ``site`` as CI does: strict, every notebook run."""
    subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
                    str(REPO / "docs"), str(site)], check=True)


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """The folder ``site`` over HTTP on 127.0.0.1 (a free port) while the block runs; its URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def requests(driver: Any) -> list[str]:
    """The URLs of the requests the browser sent since the last call (frames' included)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def step(driver: Any, steps: int) -> None:
    """Press "next" ``steps`` times in the page's first stepper, if it has one."""
    frames = driver.find_elements(By.CSS_SELECTOR, ".cell_output iframe, .output iframe")
    if not frames or not steps:
        return
    driver.switch_to.frame(frames[0])
    try:
        for _ in range(steps):
            driver.find_element(By.ID, "next").click()
    finally:
        driver.switch_to.default_content()


def screenshots(site: Path, pages: Sequence[str], out: Path, steps: int = 0) -> list[Path]:
    """Open each page of ``site``, step its first stepper ``steps`` steps on, and save its
    screenshot as ``out/{page}.png``."""
    written = []
    with serve(site) as root, chromium(NO_HOSTS, size=(1280, 900), logs=("browser", "performance")) as driver:
        for page in pages:
            driver.get(root + page)
            driver.execute_async_script(RENDERED)
            driver.execute_script(FIRST_OUTPUT)
            step(driver, steps)
            # Two animation frames: the page has painted at its new scroll position.
            driver.execute_async_script("const done = arguments[arguments.length - 1];"
                                        "requestAnimationFrame(() => requestAnimationFrame(done));")
            outside = [url for url in requests(driver)
                       if url.startswith(NETWORK) and not url.startswith(root)]
            if outside:
                raise RuntimeError(f"docs_screenshots: {page} asked the network for {outside}")
            # The browser asks for /favicon.ico by itself; the site has none.
            errors = [e["message"] for e in driver.get_log("browser")
                      if e["level"] == "SEVERE" and "/favicon.ico " not in e["message"]]
            if errors:
                raise RuntimeError(f"docs_screenshots: {page}: console errors {errors}")
            path = out / (Path(page).stem + ".png")
            if not driver.save_screenshot(str(path)):
                raise RuntimeError(f"docs_screenshots: Chromium could not save {path}")
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.docs_screenshots",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=REPO / "docs" / "_build" / "html", metavar="DIR",
                        help="the built site; built first if it has no index.html (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("out/docs_screenshots"), metavar="DIR",
                        help="folder for the screenshots (default: %(default)s)")
    parser.add_argument("--pages", type=lambda text: text.split(","), default=None, metavar="PAGE,PAGE",
                        help="pages to capture, relative to the site (default: the first two tutorials)")
    parser.add_argument("--steps", type=int, default=3, metavar="N",
                        help="press 'next' N times in a page's first stepper (default: %(default)s)")
    args = parser.parse_args()
    if not (args.site / "index.html").exists():
        build(args.site)
    pages = args.pages or [p.relative_to(args.site).as_posix()
                           for p in sorted((args.site / "tutorials").glob("*.html"))[:2]]
    missing = [p for p in pages if not (args.site / p).is_file()]
    if len(pages) < 1 or missing:
        parser.error(f"no such page in {args.site}: {missing or 'tutorials/*.html'}")
    args.out.mkdir(parents=True, exist_ok=True)
    print("\n".join(str(p) for p in screenshots(args.site, pages, args.out, args.steps)))


if __name__ == "__main__":
    main()
