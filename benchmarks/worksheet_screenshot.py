"""A graded worksheet, as a learner sees it: :class:`autograd.Exercise` makes a random level-2
exercise, a learner's answers (one of them with the classic forgotten fan-out sum) are graded,
and the worksheet's HTML with the grade beneath it is saved as a page and as a PNG screenshot
from headless Chromium (``/usr/bin/chromium`` through ``/usr/bin/chromedriver``, 1280x900).

    python -m benchmarks.worksheet_screenshot [--out DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import html
from pathlib import Path

from autograd import Exercise
from autograd.extend import topological_order
from benchmarks.browser import chromium


def graded_page(seed: int) -> str:
    """The worksheet of the first ``Exercise.random(level=2, seed=...)`` from ``seed`` on that
    asks for a leaf used twice and, below it, the grade of answers that are right except for
    that leaf, answered with only its first contribution (the forgotten fan-out sum)."""
    for s in range(seed, seed + 500):
        ex = Exercise.random(level=2, seed=s)
        steps = ex.trace.steps
        twice = [q for q in ex.questions if sum(step.parent is q for step in steps) > 1]
        if twice:
            break
    else:
        raise SystemExit(f"no level-2 exercise from seed {seed} asks for a leaf used twice")
    answers: dict[str, float] = dict(ex.answer_key())
    first = next(step.contribution for step in steps if step.parent is twice[0])
    answers[twice[0].label or ""] = float(first)
    grade = ex.grade(answers)
    report = html.escape(str(grade))
    nodes = len(topological_order(ex.root))
    page = ex.to_html()
    return page.replace("</body>", f"<h2>Graded</h2>\n<p>{nodes} nodes; the answers as given:</p>\n"
                                   f"<pre>{html.escape(repr(answers))}</pre>\n"
                                   f"<pre style=\"white-space: pre-wrap\">{report}</pre>\n</body>")


def main(argv: list[str] | None = None) -> int:
    """Write the page and its screenshot; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worksheet_screenshot",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/worksheet"),
                        help="folder (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=3, help="the exercise's seed (default: %(default)s)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    page = args.out / "graded-worksheet.html"
    page.write_text(graded_page(args.seed), encoding="utf-8")
    with chromium(size=(1280, 900)) as driver:
        driver.get(page.resolve().as_uri())
        png = args.out / "graded-worksheet.png"
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(max(900, height + 160), 4000))
        driver.save_screenshot(str(png))
    print(f"wrote {page}\nwrote {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
