"""The import name ``autograd`` is shared with HIPS autograd (PyPI "autograd"): a folder
mixing the two, or an ``autograd`` that is not ours, fails at import with the fix.
Each case runs in a fresh interpreter, against a copy of the package or a fake one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import autograd

REPO = Path(autograd.__file__).resolve().parents[1]
"""The folder holding the ``autograd`` and ``nn`` under test."""


def run(code: str, path: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -c code`` with only ``path`` in front of the standard library."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(map(str, path)))
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def our_copy(tmp_path: Path) -> Path:
    """A folder holding a copy of our ``autograd`` package (no caches)."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "autograd", site / "autograd", ignore=shutil.ignore_patterns("__pycache__"))
    return site


@pytest.mark.parametrize("intruder", ["tracer.py", "differential_operators.py", "numpy"])
def test_hips_files_in_our_folder_fail_at_import_with_the_fix(our_copy: Path, tmp_path: Path,
                                                              intruder: str) -> None:
    clean = run("import autograd; print(autograd.__file__)", [our_copy], tmp_path)
    assert clean.returncode == 0, clean.stderr  # negative control: the copy itself imports
    assert str(our_copy) in clean.stdout
    target = our_copy / "autograd" / intruder
    if intruder.endswith(".py"):
        target.write_text("# a file of HIPS autograd\n")
    else:
        target.mkdir()
        (target / "__init__.py").write_text("")
    mixed = run("import autograd", [our_copy], tmp_path)
    assert mixed.returncode != 0
    assert "ImportError: autograd: the folder" in mixed.stderr
    for words in ("HIPS autograd", intruder, "pip uninstall chainrule autograd", "own virtual environment"):
        assert words in mixed.stderr


def test_nn_refuses_an_autograd_that_is_not_ours(tmp_path: Path) -> None:
    fake = tmp_path / "fake"
    (fake / "autograd").mkdir(parents=True)
    (fake / "autograd" / "__init__.py").write_text("def grad(fun):\n    return fun\n")
    ours = run("import nn, autograd; print(autograd.__chainrule__)", [REPO], tmp_path)
    assert ours.returncode == 0 and ours.stdout.strip() == "True", ours.stderr  # negative control
    theirs = run("import nn", [fake, REPO], tmp_path)
    assert theirs.returncode != 0
    assert "ImportError: nn: the module 'autograd' found at" in theirs.stderr
    for words in (str(fake / "autograd"), "not chainrule's autograd", "HIPS autograd",
                  "its own virtual environment"):
        assert words in theirs.stderr
