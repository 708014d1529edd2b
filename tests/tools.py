"""External programs some tests need (Graphviz's ``dot``, Chromium, Fashion-MNIST).

Where one is missing the test is skipped, except when ``CHAINRULE_REQUIRE_TOOLS=1``
(set by ``.ci/run``, which installs them all): there a missing tool is a failure,
so CI cannot pass without the real rendering and browser tests.
"""

from __future__ import annotations

import os

import pytest

REQUIRED = os.environ.get("CHAINRULE_REQUIRE_TOOLS") == "1"


def require(available: bool, reason: str) -> None:
    """Skip (or, in CI, fail) the calling test unless ``available``."""
    if available:
        return
    if REQUIRED:
        pytest.fail(f"{reason} (CHAINRULE_REQUIRE_TOOLS=1)")
    pytest.skip(reason)
