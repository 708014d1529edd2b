"""The ``chainrule`` command: in this environment (each demo's own options and exit status
forwarded), and installed from a wheel into a fresh virtual environment, run from a folder
outside the repository: ``chainrule mnist``, ``backprop-steps`` and ``gradcheck-handwritten``
with their data and the stepper page, and no top-level ``demos`` package installed."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainrule import cli
from tests.tools import require

ROOT = Path(__file__).resolve().parents[1]
SUMMARIES = {"mnist": "The headline experiment: a student's 784-32-16-10 sigmoid network",
             "backprop-steps": "Backpropagation, step by step",
             "gradcheck-handwritten": "Checking a hand-written backward pass"}


def test_help_lists_every_demo_with_its_summary(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps the summaries
    assert list(SUMMARIES) == list(cli.DEMOS)
    for name, summary in SUMMARIES.items():
        assert f"{name} {summary}" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.strip() == f"chainrule {importlib.metadata.version('chainrule')}"


def test_an_unknown_demo_names_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["mnsit"])
    assert exit_.value.code == 2
    assert "invalid choice: 'mnsit' (choose from 'mnist', 'backprop-steps'" in capsys.readouterr().err


def test_a_demo_gets_its_own_arguments_and_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["mnist", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: chainrule mnist ") and "--experiment" in out
    assert cli.main(["gradcheck-handwritten", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "1. The textbook delta formulas" in out and "check_gradient passed" in out
    with pytest.raises(SystemExit) as exit_:
        cli.main(["gradcheck-handwritten", "--out", "x"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "chainrule gradcheck-handwritten: error: unrecognized arguments: --out x" in err


# -- installed from a wheel ---------------------------------------------------------------------
def build_wheel(dist: Path, tmp: Path) -> Path:
    """``pip wheel`` of a copy of the project (the build leaves ``build/`` and ``*.egg-info``
    behind, which should not land in the working tree): offline with this environment's
    setuptools when it is new enough, else in pip's isolated build environment."""
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
        "demo-output", "out"))
    try:
        offline = int(importlib.metadata.version("setuptools").split(".")[0]) >= 77
    except importlib.metadata.PackageNotFoundError:
        offline = False
    options = ["--isolated", "--no-build-isolation", "--no-index"] if offline else []
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *options,
                    "--wheel-dir", str(dist), str(source)], check=True, timeout=300)
    (wheel,) = dist.glob("chainrule-*.whl")
    return wheel


def fresh_venv(venv: Path, tmp: Path) -> Path:
    """A new virtual environment (no pip, no chainrule) that sees this environment's other
    installed distributions (numpy, scikit-learn, ...) through a ``.pth`` file pointing at
    a folder of links to them, so that installing the wheel needs no network; its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    try:
        ours = {Path(str(f)).parts[0] for f in importlib.metadata.distribution("chainrule").files or []}
    except importlib.metadata.PackageNotFoundError:
        ours = set()
    links = tmp / "dependencies"
    links.mkdir()
    for site in {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}:
        for entry in Path(site).iterdir():
            if entry.name not in ours and entry.suffix != ".pth" and not (links / entry.name).exists():
                (links / entry.name).symlink_to(entry)
    python = venv / "bin" / "python"
    venv_site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip()
    (Path(venv_site) / "dependencies.pth").write_text(f"{links}\n")
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the wheel, the fresh venv's bin folder) after ``pip install "chainrule[demo]"`` from the wheel."""
    if sys.platform == "win32":
        pytest.skip("the venv layout below is POSIX's")
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(tmp / "dist", tmp)
    python = fresh_venv(tmp / "venv", tmp)
    # --no-index: the dependencies and the 'demo' extra must be met by what the venv already sees.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--isolated", "--quiet",
                    "--no-index", f"{wheel}[demo]"], check=True, timeout=300)
    yield wheel, python.parent


def run(bin_: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A command of the venv, from ``cwd``, with no PYTHONPATH leading back to the repository."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    proc = subprocess.run([str(bin_ / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_the_wheel_holds_the_demos_as_chainrule_demos(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert not [n for n in names if n.startswith("demos/")]
    sources = {str(p.relative_to(ROOT)) for package in ("autograd", "nn", "chainrule")
               for p in (ROOT / package).rglob("*.py")}
    sources |= {f"chainrule/{p.relative_to(ROOT)}" for p in (ROOT / "demos").glob("*.py")}
    assert sources - names == set()  # every module, autograd.checking and chainrule.demos included
    assert {"autograd/stepper.html", "autograd/py.typed", "nn/py.typed"} <= names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "chainrule = chainrule.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_installed_command_runs_every_demo_from_any_folder(installed: tuple[Path, Path],
                                                               tmp_path: Path) -> None:
    _, bin_ = installed
    where = run(bin_, "python", "-c", "import autograd, nn, chainrule.demos.mnist as m, importlib.util; "
                "print(autograd.__file__, nn.__file__, m.__file__, importlib.util.find_spec('demos'))",
                cwd=tmp_path).stdout.split()
    assert all(Path(p).is_relative_to(bin_.parent) for p in where[:3]) and where[3] == "None", where
    help_ = " ".join(run(bin_, "chainrule", "--help", cwd=tmp_path).stdout.split())
    assert all(f"{name} {summary}" in help_ for name, summary in SUMMARIES.items())

    out = run(bin_, "chainrule", "mnist", "--dataset", "embedded", "--experiment", "one-pass",
              cwd=tmp_path).stdout
    folder = Path("demo-output/mnist/one-pass-embedded")
    assert f"wrote to {folder}/: results.json, loss_curve.png, predictions.png" in out
    assert "no: 41.7 epochs of 1,437 8x8 digits; the study: 1 of 60,000 28x28" in out
    assert sorted(p.name for p in (tmp_path / folder).iterdir()) == [
        "loss_curve.png", "predictions.png", "results.json"]

    out = run(bin_, "chainrule", "backprop-steps", "--out", "steps", cwd=tmp_path).stdout
    assert "agree to float64 round-off" in out
    assert (tmp_path / "steps" / "steps.md").stat().st_size > 0
    require(shutil.which("dot") is not None, "Graphviz's dot is not installed (apt-get install graphviz)")
    html = (tmp_path / "steps" / "backprop_steps.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 1 and "layer by layer" in html  # the stepper page, package data

    out = run(bin_, "chainrule", "gradcheck-handwritten", cwd=tmp_path).stdout
    assert "check_gradient passed" in out and "check_gradient FAILED" in out
