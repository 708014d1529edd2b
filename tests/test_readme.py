"""The README's examples run, and print what their comments say.

Every ```python block of README.md is executed in order in one namespace; for each
line ``print(...)  # text`` the printed line must equal ``text``.  The Quickstart
is one ```bash block of exactly two lines: the main demo, then the tests.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def _expected(block: str) -> list[str]:
    return [m.group(1) for line in block.splitlines()
            if (m := re.match(r"\s*print\(.*\)\s+# (.*)$", line))]


def test_quickstart_is_two_lines_demo_then_tests() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1
    lines = blocks[0].strip().splitlines()
    assert len(lines) == 2
    assert "python -m demos.mnist" in lines[0] and "pytest" in lines[1]


def test_examples_print_what_their_comments_say(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = _blocks("python")
    assert blocks, "README has no python example"
    namespace: dict[str, object] = {}
    for block in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(README), "exec"), namespace)
        printed = out.getvalue().splitlines()
        assert printed == _expected(block), block


def test_negative_control_a_wrong_comment_is_caught() -> None:
    block = "print(1 + 1)  # 3\n"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(block, {})
    assert out.getvalue().splitlines() != _expected(block)
