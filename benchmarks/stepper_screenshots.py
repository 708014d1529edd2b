"""What the HTML stepper looks like: PNG screenshots of the 3-8-8-1 MLP's page (the graph of
``benchmarks.stepper_pages``) in headless Chromium, in a 1280x800 window, at chosen steps.

The page is written by this repository's ``trace(loss).save_html(path)``, opened in
``/usr/bin/chromium`` through ``/usr/bin/chromedriver`` (selenium) with a fresh profile, and for
each step s the slider is set to s (frame 0 is the start, frame s shows step s, ``end`` is the
last frame).  The counter must then read "s+1 / N" (N frames), else the script stops; each
screenshot is saved as ``mlp-3-8-8-1-step{s}.png`` and its path printed.

    python -m benchmarks.stepper_screenshots [--out DIR] [--steps 1,10,end]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from selenium.webdriver.common.by import By

import autograd
from benchmarks.browser import chromium
from benchmarks.stepper_pages import build

GRAPH = "mlp-3-8-8-1"


def steps_list(text: str) -> list[str]:
    """``--steps``: comma-separated step numbers or ``end``."""
    steps = [s.strip() for s in text.split(",")]
    for s in steps:
        if s != "end" and not s.isdigit():
            raise argparse.ArgumentTypeError(f"{s!r} is neither a step number (0, 1, ...) nor 'end'")
    return steps


def screenshots(page: Path, steps: Sequence[str], out: Path, stem: str) -> list[Path]:
    """Open ``page`` and save a screenshot at each of ``steps`` as ``out/{stem}-step{s}.png``."""
    written = []
    with chromium() as driver:  # a 1280x800 window
        driver.get(page.resolve().as_uri())
        last = int(driver.find_element(By.ID, "slider").get_attribute("max") or 0)
        for s in steps:
            frame = last if s == "end" else int(s)
            if frame > last:
                raise ValueError(f"stepper_screenshots: step {frame} is past the last frame, {last}")
            driver.execute_script("const slider = document.getElementById('slider');"
                                  f"slider.value = '{frame}'; slider.dispatchEvent(new Event('input'));")
            # Two animation frames: the page has painted what the input event changed.
            driver.execute_async_script("const done = arguments[arguments.length - 1];"
                                        "requestAnimationFrame(() => requestAnimationFrame(done));")
            counter = driver.find_element(By.ID, "counter").text
            if counter != f"{frame + 1} / {last + 1}":
                raise RuntimeError(f"stepper_screenshots: with the slider at {frame} the counter reads "
                                   f"{counter!r}, not '{frame + 1} / {last + 1}'")
            path = out / f"{stem}-step{frame}.png"
            if not driver.save_screenshot(str(path)):
                raise RuntimeError(f"stepper_screenshots: Chromium could not save {path}")
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stepper_screenshots",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/stepper_screenshots"), metavar="DIR",
                        help="folder for the page and the screenshots (default: %(default)s)")
    parser.add_argument("--steps", type=steps_list, default="1,10,end", metavar="1,10,end",
                        help="comma-separated steps to capture, 'end' for the last (default: %(default)s)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    page = autograd.trace(build(GRAPH)).save_html(args.out / f"{GRAPH}.html")
    print("\n".join(str(p) for p in [page, *screenshots(page, args.steps, args.out, GRAPH)]))


if __name__ == "__main__":
    main()
