"""demos.mnist end to end on the embedded digits (no network): results.json, pictures,
the fall-back notice, the sweep's CSV, the modern recipe, and a clear error for missing data."""

from __future__ import annotations

import csv
import importlib.util
import json
import socket
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from demos import mnist  # noqa: E402
from nn import data  # noqa: E402


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


def test_one_pass_on_embedded_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert mnist.main(["--experiment", "one-pass", "--dataset", "embedded", "--seed", "1",
                       "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "83.50 %" in printed and "U(-1, 1)" in printed
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["dataset"] == "embedded" and results["seed"] == 1
    (run,) = results["runs"]
    assert run["sizes"] == [64, 32, 16, 10] and run["init"] == "uniform"
    assert (run["lr"], run["batch_size"], run["passes"], run["steps"]) == (4.0, 40, 1, 1500)
    assert run["test_accuracy"] > 0.8  # chance is 0.1
    assert f"{100 * run['test_accuracy']:.2f} %" in printed
    assert run["final_loss"] > 0 and run["seconds"] > 0 and not run["interrupted"]
    if importlib.util.find_spec("matplotlib"):
        assert (tmp_path / "loss_curve.png").stat().st_size > 0
        assert (tmp_path / "predictions.png").stat().st_size > 0


def test_default_falls_back_to_embedded_with_a_notice(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist, "RECIPES", {name: replace(r, passes=1) for name, r in mnist.RECIPES.items()})
    assert mnist.main(["--data-dir", str(tmp_path / "data"), "--mirror", closed_port_url(),
                       "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    notice = [line for line in printed.splitlines() if line.startswith("notice: MNIST")]
    assert len(notice) == 1 and "embedded" in notice[0]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["dataset"] == "embedded"
    assert [r["name"] for r in results["runs"]] == ["one-pass", "ten-passes"]
    assert not [p for p in (tmp_path / "data").rglob("*") if p.is_file()]


def test_missing_dataset_asked_for_explicitly_is_a_clear_error(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = mnist.main(["--dataset", "digits", "--data-dir", str(tmp_path), "--mirror", closed_port_url(),
                       "--out", str(tmp_path / "out")])
    assert code == 1
    assert "put the four files" in capsys.readouterr().err


def test_sweep_writes_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist, "SWEEP_LRS", (0.5, 4.0))
    monkeypatch.setattr(mnist, "SWEEP_BATCHES", (100, 200))
    assert mnist.main(["--experiment", "sweep", "--dataset", "embedded", "--out", str(tmp_path)]) == 0
    with open(tmp_path / "sweep.csv") as f:
        rows = list(csv.DictReader(f))
    assert sorted((float(r["lr"]), int(r["batch_size"])) for r in rows) == [
        (0.5, 100), (0.5, 200), (4.0, 100), (4.0, 200)]
    assert all(0 <= float(r["accuracy"]) <= 1 for r in rows)
    best = max(rows, key=lambda r: float(r["accuracy"]))
    worst = min(rows, key=lambda r: float(r["accuracy"]))
    assert float(best["accuracy"]) > float(worst["accuracy"])  # the grid is not one repeated run
    assert len(json.loads((tmp_path / "results.json").read_text())["sweep"]) == 4


def test_modern_recipe_learns_the_embedded_digits() -> None:
    digits = data.load_embedded(seed=0)
    recipe = replace(mnist.RECIPES["modern"], passes=1)
    _, history, record = mnist.train(recipe, digits, seed=0, progress=False)
    assert record["sizes"] == [64, 128, 64, 10] and record["loss"] == "cross_entropy"
    assert record["test_accuracy"] > 0.9
    assert history.losses[-1] < history.losses[0]
