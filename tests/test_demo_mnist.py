"""demos.mnist end to end on the embedded digits (no network): the table that says plainly
whether a run is comparable with the study (examples seen, epochs), one folder per experiment
listing only the files it wrote, the pictures (one colour bar, the data and the loss named),
the fall-back notice, the sweep's CSV, the modern recipe, and a clear error for missing data."""

from __future__ import annotations

import csv
import doctest
import importlib.util
import json
import re
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn")

import nn  # noqa: E402
from demos import mnist  # noqa: E402
from nn import data  # noqa: E402

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


def wrote(printed: str) -> tuple[str, list[str]]:
    """The folder and the files of the demo's closing ``wrote to FOLDER/: a, b, c`` line."""
    (line,) = [line for line in printed.splitlines() if line.startswith("wrote to ")]
    folder, _, names = line.removeprefix("wrote to ").partition("/: ")
    return folder, names.split(", ")


def test_one_pass_on_embedded_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "one-pass-embedded"
    folder.mkdir()
    (folder / "sweep.png").write_bytes(b"left by an earlier run")
    assert mnist.main(["--experiment", "one-pass", "--dataset", "embedded", "--seed", "1",
                       "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "U(-1, 1)" in printed and "1,437 training / 360 test images of 8x8 pixels" in printed
    results = json.loads((folder / "results.json").read_text())
    assert results["dataset"] == "embedded" and results["seed"] == 1
    (run,) = results["runs"]
    assert run["sizes"] == [64, 32, 16, 10] and run["init"] == "uniform"
    assert (run["lr"], run["batch_size"], run["passes"], run["steps"]) == (4.0, 40, 1, 1500)
    # 1,500 steps: 41 epochs of 36 batches (35 of 40 and one of 37), then 24 batches of 40.
    assert (run["examples"], run["epochs"]) == (41 * 1437 + 24 * 40, 41.67)
    assert run["test_accuracy"] > 0.8  # chance is 0.1
    assert run["final_loss"] > 0 and run["seconds"] > 0 and not run["interrupted"]
    (row,) = [line for line in printed.splitlines() if line.startswith("one-pass ")]
    cells = row.split()
    assert cells[:6] == ["one-pass", "40", "4", "1,500", "59,877", "41.7"]
    assert f"{100 * run['test_accuracy']:.2f} %" in row and "83.50 %" in row
    assert row.endswith("no: 41.7 epochs of 1,437 8x8 digits; the study: 1 of 60,000 28x28")
    assert "comparable with the study?" in printed.splitlines()[printed.splitlines().index(row) - 1]
    expected = ["results.json"] + (["loss_curve.png", "predictions.png"] if HAS_MATPLOTLIB else [])
    assert wrote(printed) == (str(folder), expected)  # not the stale sweep.png
    for name in expected:
        assert (folder / name).stat().st_size > 0


def test_the_study_is_comparable_only_on_mnist_and_uninterrupted() -> None:
    record = {"name": "ten-passes", "interrupted": False, "steps": 30_000, "passes": 10,
              "n_train": 1437, "epochs": 416.67}
    assert mnist.versus_study(record, "digits") == (
        "89.45 %", "yes: the same data, recipe and number of examples")
    assert mnist.versus_study(record, "embedded") == (
        "89.45 %", "no: 416.7 epochs of 1,437 8x8 digits; the study: 10 of 60,000 28x28")
    assert mnist.versus_study(record, "fashion")[1].startswith("no: clothes (Fashion-MNIST)")
    assert mnist.versus_study({**record, "interrupted": True, "steps": 812}, "digits") == (
        "89.45 %", "no: interrupted after 812 steps")
    assert mnist.versus_study({**record, "name": "modern"}, "digits") == ("-", "-")


def test_examples_seen_counts_what_fit_trains_on() -> None:
    assert doctest.testmod(mnist).failed == 0
    seen: list[int] = []

    def counting_loss(out: Any, labels: np.ndarray) -> Any:
        seen.append(len(labels))
        return ((out - 0.0) ** 2).mean()

    model = nn.MLP([3, 2], rng=0)
    x, labels = np.zeros((103, 3)), np.zeros(103, dtype=np.int64)
    for batch_size, steps in ((10, 25), (10, 11), (103, 4), (200, 3)):
        seen.clear()
        nn.fit(model, nn.optim.SGD(model.parameters(), lr=1e-3), x, labels, loss=counting_loss,
               epochs=steps, batch_size=batch_size, steps=steps, progress=False)
        assert len(seen) == steps
        assert mnist.examples_seen(103, batch_size, steps) == sum(seen), (batch_size, steps)


def test_each_experiment_writes_to_its_own_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist, "STUDY_EXAMPLES", 500)  # "one pass" of 500 examples: 13 steps at batch 40
    for experiment in ("one-pass", "modern"):
        assert mnist.main(["--experiment", experiment, "--dataset", "embedded", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["modern-embedded", "one-pass-embedded"]
    for experiment, names in (("one-pass", ["one-pass"]), ("modern", ["ten-passes", "modern"])):
        results = json.loads((tmp_path / f"{experiment}-embedded" / "results.json").read_text())
        assert results["experiment"] == experiment
        assert [r["name"] for r in results["runs"]] == names
    printed = capsys.readouterr().out
    assert "The modern recipe beats the student's best recipe by" in printed
    (modern_row,) = [line for line in printed.splitlines() if line.startswith("modern ")]
    assert modern_row.endswith("-  -")  # no study figure, nothing to compare


def test_default_falls_back_to_embedded_with_a_notice(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist, "RECIPES", {name: replace(r, passes=1) for name, r in mnist.RECIPES.items()})
    assert mnist.main(["--data-dir", str(tmp_path / "data"), "--mirror", closed_port_url(),
                       "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    notice = [line for line in printed.splitlines() if line.startswith("notice: MNIST")]
    assert len(notice) == 1 and "embedded" in notice[0]
    results = json.loads((tmp_path / "out" / "recipe-embedded" / "results.json").read_text())
    assert results["dataset"] == "embedded"
    assert [r["name"] for r in results["runs"]] == ["one-pass", "ten-passes"]
    assert len(re.findall(r"  no: [\d.]+ epochs of 1,437 8x8 digits; the study", printed)) == 2
    assert not [p for p in (tmp_path / "data").rglob("*") if p.is_file()]


def test_missing_dataset_asked_for_explicitly_is_a_clear_error(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = mnist.main(["--dataset", "digits", "--data-dir", str(tmp_path), "--mirror", closed_port_url(),
                       "--out", str(tmp_path / "out")])
    assert code == 1
    assert "put the four files" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_sweep_writes_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist, "SWEEP_LRS", (0.5, 4.0))
    monkeypatch.setattr(mnist, "SWEEP_BATCHES", (100, 200))
    folder = tmp_path / "sweep-embedded"
    folder.mkdir()
    (folder / "loss_curve.png").write_bytes(b"left by an earlier run")
    assert mnist.main(["--experiment", "sweep", "--dataset", "embedded", "--out", str(tmp_path)]) == 0
    with open(folder / "sweep.csv") as f:
        rows = list(csv.DictReader(f))
    assert sorted((float(r["lr"]), int(r["batch_size"])) for r in rows) == [
        (0.5, 100), (0.5, 200), (4.0, 100), (4.0, 200)]
    assert all(0 <= float(r["accuracy"]) <= 1 for r in rows)
    best = max(rows, key=lambda r: float(r["accuracy"]))
    worst = min(rows, key=lambda r: float(r["accuracy"]))
    assert float(best["accuracy"]) > float(worst["accuracy"])  # the grid is not one repeated run
    assert len(json.loads((folder / "results.json").read_text())["sweep"]) == 4
    expected = ["results.json", "sweep.csv"] + (["sweep.png"] if HAS_MATPLOTLIB else [])
    assert wrote(capsys.readouterr().out) == (str(folder), expected)  # not the stale loss_curve.png


def rows(lrs: tuple[float, ...], batches: tuple[int, ...]) -> list[dict[str, float]]:
    return [{"lr": lr, "batch_size": b, "accuracy": 0.5} for lr in lrs for b in batches]


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is not installed")
@pytest.mark.parametrize("lrs", [(0.1, 0.5, 1.0, 2.0, 4.0, 8.0), (0.5, 4.0)])
def test_sweep_heatmaps_share_one_colour_bar_and_name_the_data(lrs: tuple[float, ...]) -> None:
    plt = mnist._pyplot()
    fig = mnist.sweep_figure(plt, rows(lrs, (10, 20)), "Fashion-MNIST, 60,000 training images")
    try:
        panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
        assert len(panels) == (2 if len(lrs) > 2 else 1) and len(bars) == 1
        assert bars[0].get_ylabel() == "test accuracy (%)"
        assert "Fashion-MNIST" in fig.get_suptitle()
    finally:
        plt.close(fig)


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is not installed")
def test_loss_curves_name_their_loss() -> None:
    plt = mnist._pyplot()
    runs = [("ten-passes", "mse_loss", nn.train.History(losses=[0.5, 0.4, 0.3])),
            ("modern", "cross_entropy", nn.train.History(losses=[2.0, 1.0, 0.5]))]
    fig = mnist.loss_figure(plt, runs, "MNIST, 60,000 training images")
    try:
        assert [ax.get_ylabel() for ax in fig.axes] == ["training mse_loss (mean of 3 steps)",
                                                        "training cross_entropy (mean of 3 steps)"]
        assert [ax.get_title() for ax in fig.axes] == ["ten-passes", "modern"]
        assert "MNIST" in fig.get_suptitle()
    finally:
        plt.close(fig)


def test_modern_recipe_learns_the_embedded_digits() -> None:
    digits = data.load_embedded(seed=0)
    recipe = replace(mnist.RECIPES["modern"], passes=1)
    _, history, record = mnist.train(recipe, digits, seed=0, progress=False)
    assert record["sizes"] == [64, 128, 64, 10] and record["loss"] == "cross_entropy"
    assert record["test_accuracy"] > 0.9
    assert history.losses[-1] < history.losses[0]
