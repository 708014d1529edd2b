"""What several test modules need: external programs (Graphviz's ``dot``, Chromium,
Fashion-MNIST) and a local HTTP server.

Where one is missing the test is skipped, except when ``CHAINRULE_REQUIRE_TOOLS=1``
(set by ``.ci/run``, which installs them all): there a missing tool is a failure,
so CI cannot pass without the real rendering and browser tests.
"""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Callable

import pytest

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
