"""The stepper page without a browser: one picture and the steps as data, so it grows with
nodes + steps; past its limits a smaller page and a warning; the notebook's iframe and its
fallbacks.  (``test_stepper_browser.py`` clicks through it in Chromium.)"""

from __future__ import annotations

import html
import json
import re
import shutil
from typing import Any

import pytest

from autograd import Trace, Value, trace
from autograd import stepper as stepper_module
from autograd.drawing import NoGraphviz
from autograd.text import summary
from tests.tools import require


@pytest.fixture(autouse=True)
def needs_dot() -> None:
    require(shutil.which("dot") is not None, "Graphviz's dot is not installed (apt-get install graphviz)")


def dot_sum(n: int) -> Trace:
    """Σ x_i w_i over n labelled pairs: 4n nodes, about 4n steps."""
    terms = [Value(0.1 * i, label=f"x{i}") * Value(0.5, label=f"w{i}") for i in range(n)]
    return trace(sum(terms, Value(0.0, label="s0")))


def steps_data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="steps">(.*?)</script>', page, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_one_picture_and_one_record_per_step() -> None:
    t = dot_sum(5)
    page = t.to_html()
    assert page.count("<svg") == 1
    data = steps_data(page)
    assert len(data["steps"]) == len(t)
    for record, step in zip(data["steps"], t):
        assert record[3] == f"step {step.index}/{len(t)}: {step.equation()}"
        assert record[4] == summary(step.parent_grad)
        assert f'id="v{record[0]}"' in page and f'id="e{record[0]}_{record[2]}"' in page
    assert f'id="v{data["root"]}"' in page


def test_the_page_grows_with_nodes_plus_steps_not_their_product() -> None:
    small, large = (len(dot_sum(n).to_html()) for n in (40, 160))
    assert large / small < 4.6, f"4x the nodes and steps gave {large / small:.1f}x the page"


def test_growth_check_fails_for_a_picture_per_step() -> None:
    """Negative control: pages made of a picture per step (the old stepper) grow by the product."""
    def per_step(n: int) -> int:
        t = dot_sum(n)
        return sum(len(g.source) for g in t.frames())

    assert per_step(10) * 4.6 < per_step(40)


def test_a_graph_past_the_limits_gets_a_smaller_page_and_a_warning() -> None:
    t = dot_sum(30)
    with pytest.warns(UserWarning, match=r"picture shows the 20 nodes nearest the root of 121"):
        page = t.to_html(max_nodes=20)
    assert "Note: the picture shows the 20 nodes nearest the root" in page
    assert len(re.findall(r'<g id="v\d+" class="node"', page)) == 20
    with pytest.warns(UserWarning, match=r"holds the first 10 of 120 steps"):
        page = t.to_html(max_steps=10)
    assert len(steps_data(page)["steps"]) == 10
    with pytest.raises(ValueError, match="max_steps must be a positive int or None"):
        t.to_html(max_steps=0)


def test_user_text_stays_text() -> None:
    x = Value(2.0, label='</script><script>alert("x")</script> & <b>')
    t = trace((x * x).tanh())
    page = t.to_html(title="<i>mine</i>")
    assert "<script>alert" not in page and "<b>" not in page and "<i>mine</i>" not in page
    data = steps_data(page)
    assert any('</script><script>alert("x")</script> & <b>' in r[3] for r in data["steps"]), "JSON decodes"


def test_a_notebook_shows_the_stepper_in_an_iframe_with_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    t = dot_sum(3)
    frame = t._repr_html_()
    assert frame is not None and frame.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in frame
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame)
    assert srcdoc is not None and html.unescape(srcdoc.group(1)) == t.to_html()
    markdown = t._repr_markdown_()
    assert "| \\# | node |" in markdown and markdown.count("\n| ") == len(t) + 1
    assert repr(t) == f"<Trace of L: {len(t)} steps>"

    def no_dot(graphs: Any) -> Any:
        raise NoGraphviz("dot not found")

    monkeypatch.setattr(stepper_module, "svgs", no_dot)
    assert t._repr_html_() is None, "without Graphviz the notebook falls back to the Markdown table"
    with pytest.raises(NoGraphviz):
        t.to_html()


def test_markdown_fallback_caps_its_rows() -> None:
    t = dot_sum(60)
    markdown = t._repr_markdown_()
    assert markdown.count("\n| ") == 201 and f"and {len(t) - 200:,} more steps" in markdown
