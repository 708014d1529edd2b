"""demos.mnist's sweep on a Dask cluster (``--scheduler``): the same rows as the local process
pool for the same seed, bit for bit (the seconds aside); an unreachable scheduler and a missing
Dask are clear errors naming the address and the fix."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
distributed = pytest.importorskip("distributed")

from demos import mnist  # noqa: E402


@pytest.fixture
def tiny_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Four runs of 300 or 600 steps (one pass at batch 200 or 100), as tests/test_demo_mnist.py's sweep."""
    monkeypatch.setattr(mnist, "SWEEP_LRS", (0.5, 4.0))
    monkeypatch.setattr(mnist, "SWEEP_BATCHES", (100, 200))


def without_seconds(rows: list[dict[str, float]]) -> list[dict[str, float]]:
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


@pytest.mark.usefixtures("tiny_grid")
def test_dask_sweep_equals_the_local_sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def run(name: str, scheduler: str | None) -> list[dict[str, float]]:
        (tmp_path / name).mkdir()
        return mnist.sweep("embedded", None, None, 3, False, tmp_path / name, "embedded digits",
                           scheduler=scheduler)[0]

    local = run("local", None)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        remote = run("dask", cluster.scheduler_address)
        data = mnist._importable(mnist._sweep_data)  # the cache the runs used, under their module's name
        with distributed.Client(cluster) as client:
            loads = client.run(lambda: data.cache_info())
    # Each worker process loaded the data once, however many of the four runs it did.
    assert sum(info.hits + info.misses for info in loads.values()) == 4
    assert all(info.misses == 1 for info in loads.values() if info.hits + info.misses)
    assert [(r["lr"], r["batch_size"]) for r in remote] == [(0.5, 100), (0.5, 200), (4.0, 100), (4.0, 200)]
    assert without_seconds(remote) == without_seconds(local)  # accuracy and final_loss exactly
    assert len({r["final_loss"] for r in remote}) == 4  # four different runs, not one repeated
    assert "on 2 Dask workers at tcp://" in capsys.readouterr().out


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist, "SCHEDULER_TIMEOUT", 2.0)
    start = time.perf_counter()
    address = r"tcp://127\.0\.0\.1:9"
    with pytest.raises(ConnectionError, match=f"no Dask scheduler answered at {address} within 2 s"):
        mnist.sweep("embedded", None, None, 0, False, tmp_path, "embedded digits", scheduler="tcp://127.0.0.1:9")
    assert time.perf_counter() - start < 10
    assert not list(tmp_path.iterdir())


def test_the_command_names_the_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(mnist, "SCHEDULER_TIMEOUT", 1.0)
    assert mnist.main(["--experiment", "sweep", "--dataset", "embedded", "--out", str(tmp_path),
                       "--scheduler", "tcp://127.0.0.1:9"]) == 1
    assert "tcp://127.0.0.1:9" in capsys.readouterr().err


def test_missing_dask_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ModuleNotFoundError, match=r'pip install "chainrule\[dask\]"'):
        mnist.sweep("embedded", None, None, 0, False, tmp_path, "embedded digits", scheduler="tcp://127.0.0.1:9")
