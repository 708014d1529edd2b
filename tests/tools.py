"""What several test modules need: external programs (Graphviz's ``dot``, Chromium,
Fashion-MNIST), a local HTTP server, headless Chromium and a check that a page loads
nothing from outside itself.

Where one is missing the test is skipped, except when ``CHAINRULE_REQUIRE_TOOLS=1``
(set by ``.ci/run``, which installs them all): there a missing tool is a failure,
so CI cannot pass without the real rendering and browser tests.
"""

from __future__ import annotations

import contextlib
import http.server
import importlib.util
import os
import re
import threading
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from benchmarks import browser
from benchmarks.browser import CHROMEDRIVER, CHROMIUM

REQUIRED = os.environ.get("CHAINRULE_REQUIRE_TOOLS") == "1"


def require(available: bool, reason: str) -> None:
    """Skip (or, in CI, fail) the calling test unless ``available``."""
    if available:
        return
    if REQUIRED:
        pytest.fail(f"{reason} (CHAINRULE_REQUIRE_TOOLS=1)")
    pytest.skip(reason)


class LocalServer:
    """An HTTP server on 127.0.0.1, in a thread, for the duration of a ``with`` block: every
    GET is answered by ``answer(handler, stop)``; ``stop`` is set when the block ends, so an
    answer that drips can end too.  A client that hangs up early is no error."""

    def __init__(self, answer: Callable[[http.server.BaseHTTPRequestHandler, threading.Event], None]) -> None:
        stop = self.stop = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                try:
                    answer(self, stop)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up on us
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium (a 1280x800 window, a throwaway profile; :mod:`benchmarks.browser`)
    keeping its console, iframes' too, for :func:`console_errors`.  No host name resolves,
    so a page that needs the network fails here, and one that merely asks for it
    (nbconvert's CDN scripts) fails fast instead of waiting on the network."""
    require(Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(),
            f"needs Chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER}): "
            "apt-get install chromium chromium-driver")
    require(importlib.util.find_spec("selenium") is not None, "needs selenium: pip install -e '.[dev]'")
    # One process for a page and its frames: else a sandboxed iframe's console is not in the log.
    with browser.chromium("--host-resolver-rules=MAP * ~NOTFOUND", "--disable-site-isolation-trials",
                          logs=("browser",)) as driver:
        yield driver


def console_errors(driver: Any) -> list[str]:
    """The errors (severity SEVERE) the browser's console got since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


_LOADING = {"src", "srcset", "href", "xlink:href", "data", "poster", "action", "formaction", "background"}
_INSIDE = ("#", "data:")  # a fragment of the page, or data written into it
_CSS_FETCH = re.compile(r"@import|url\(\s*['\"]?(?!#|data:)", re.I)
_SCRIPT_FETCH = re.compile(r"\b(fetch|XMLHttpRequest|WebSocket|EventSource|sendBeacon|importScripts)\b"
                           r"|\bimport\s*\(|\.src\s*=")


class _Fetches(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.inside: tuple[str, str] = ("", "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in _LOADING and value is not None and not value.strip().lower().startswith(_INSIDE):
                self.found.append(f"<{tag} {name}={value!r}>")
            elif name == "style" and value and _CSS_FETCH.search(value):
                self.found.append(f"<{tag} style={value!r}>")
        self.inside = (tag, dict(attrs).get("type") or "")

    def handle_endtag(self, tag: str) -> None:
        self.inside = ("", "")

    def handle_data(self, data: str) -> None:
        tag, kind = self.inside
        if tag == "style" and (m := _CSS_FETCH.search(data)):
            self.found.append(f"<style> {m[0]!r}")
        elif tag == "script" and kind != "application/json" and (m := _SCRIPT_FETCH.search(data)):
            self.found.append(f"<script> {m[0]!r}")


def fetches(page: str) -> list[str]:
    """What the HTML ``page`` would load from outside itself: each URL in an attribute that
    loads one (``src``, ``href``, ...; not a ``#fragment`` or ``data:``), CSS ``url()`` and
    ``@import``, a script's network calls.  Empty for a self-contained page."""
    parser = _Fetches()
    parser.feed(page)
    parser.close()
    return parser.found
