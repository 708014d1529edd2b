"""Headless Chromium, started one way for the screenshot scripts and the browser tests:
Debian's ``chromium`` through its ``chromedriver`` (selenium), a throwaway profile, the flags
that work on a headless machine with no network.  Browsers that download themselves fail here.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-dev-shm-usage")


@contextmanager
def chromium(*flags: str, size: tuple[int, int] = (1280, 800), logs: Sequence[str] = ()) -> Iterator[Any]:
    """A selenium driver of headless Chromium in a ``size`` window with :data:`FLAGS` and
    ``flags``, keeping the ``logs`` named (``"browser"``: the console, ``"performance"``: every
    request) for ``driver.get_log``.  The profile is removed on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chainrule-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, *flags, f"--window-size={size[0]},{size[1]}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if logs:
        options.set_capability("goog:loggingPrefs", dict.fromkeys(logs, "ALL"))
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
