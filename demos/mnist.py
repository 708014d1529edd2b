"""The headline experiment: a student's 784-32-16-10 sigmoid network, MSE, plain SGD, on MNIST.

    python -m demos.mnist                          # the recipe, one pass and ten passes
    python -m demos.mnist --experiment one-pass    # batch 40, lr 4, one pass   (study: 83.50 %)
    python -m demos.mnist --experiment ten-passes  # batch 20, lr 0.9, ten passes (study: 89.45 %)
    python -m demos.mnist --experiment sweep [--full]  # learning rate x batch size, one pass each
        [--workers N]                              #   in N local processes (default 2)
        [--scheduler tcp://HOST:PORT]              #   or on a Dask cluster (pip install "chainrule[dask]")
    python -m demos.mnist --experiment modern      # ReLU, He init, softmax + cross-entropy, Adam
    options: --dataset digits|fashion|embedded  --data-dir DIR  --mirror URL  --seed N  --out DIR
    installed: chainrule mnist [options], from any folder

Data: MNIST (``--dataset digits``, the default) if cached or downloadable, else the embedded
8x8 digits with a one-line notice; Fashion-MNIST works offline where Debian's package is
installed.  A "pass" is the study's 60,000 examples: on the 1,437 embedded training
digits the same number of steps cycles through the data about 42 times (epochs), and the
input layer has 64 neurons instead of 784, so the table says the study's MNIST figures are
not comparable, and why.

Each experiment writes to its own folder, ``--out``/EXPERIMENT-DATASET (``recipe-embedded``,
``sweep-digits``, ...), and lists the files it wrote: ``results.json`` (configuration and
measured figures of every run: examples seen, epochs, test accuracy and loss, ``final_loss``
= mean training loss of the last 100 steps, seconds), ``loss_curve.png``, ``predictions.png``
(test images with the predicted class), and for the sweep ``sweep.csv`` and ``sweep.png``.
The plots need matplotlib, the progress bar tqdm (``pip install "chainrule[demo]"``);
without them the demo still runs.

The sweep's runs go to ``--workers`` local processes, or with ``--scheduler`` to the Dask
cluster whose scheduler listens there (``dask scheduler``, then ``dask worker tcp://HOST:8786``
on each machine).  The scheduler and the workers unpickle the runs, so chainrule must be
installed where they run (``pip install -e ".[dask]"`` in the repository, or the wheel with
its ``dask`` extra).  Each worker process loads the data once; each run is a pure function of
learning rate, batch size, seed and data, so the rows equal the local ones bit for bit (except
the seconds).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import functools
import importlib
import json
import math
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np

import nn
from nn.data import Dataset

STUDY_EXAMPLES = 60_000
"""One pass of the study: MNIST's 60,000 training images."""

STUDY = {"one-pass": 83.50, "ten-passes": 89.45}
"""The student's published MNIST test accuracies (%)."""

DATASETS = {"digits": "MNIST", "fashion": "Fashion-MNIST", "embedded": "embedded 8x8 digits (scikit-learn)"}

NOT_COMPARABLE = {
    "fashion": "no: clothes (Fashion-MNIST), harder to tell apart than MNIST's digits",
    "embedded": "no: {epochs:,.1f} epochs of {n_train:,} 8x8 digits; the study: {passes} of 60,000 28x28",
}
"""Why a dataset's accuracy cannot be set beside the study's MNIST figure (one table cell)."""

INIT_NOTE = """\
Why the initialisation matters: the study's "random init" draws every weight and bias
from U(-1, 1), as here (init="uniform").  PyTorch's default init, also nn.Linear's
(init="pytorch"), draws from U(-1/sqrt(n_in), 1/sqrt(n_in))
(0.036 for the first layer): every sigmoid then starts near 0.5, the gradient reaching the
first layer is a product of small weights and sigmoid slopes (at most 0.25), and MSE on
sigmoid outputs gives a weak signal besides, so 1,500 steps at batch 40, lr 4 stall on a
plateau.  Measured when this demo was written: on MNIST (10,000 training digits, in
PyTorch) about 61 % instead of about 81.5 %; on Fashion-MNIST (this library, one pass,
3 seeds) 61.5 % instead of 73.7 %."""


@dataclass(frozen=True)
class Recipe:
    """A training configuration: hidden sizes, activations, init, loss, optimizer and schedule."""

    name: str
    hidden: tuple[int, ...]
    activation: str
    output_activation: str | None
    init: str
    loss: str
    optimizer: str
    lr: float
    batch_size: int
    passes: int

    def steps(self) -> int:
        """Optimizer steps: ``passes`` x 60,000 examples in batches of ``batch_size``."""
        return math.ceil(self.passes * STUDY_EXAMPLES / self.batch_size)

    def describe(self, n_in: int) -> str:
        """One line: sizes, activations, loss, optimizer, init."""
        sizes = "-".join(str(n) for n in (n_in, *self.hidden, 10))
        out = self.output_activation or ("softmax" if self.loss == "cross_entropy" else "linear")
        return (f"{sizes}, {self.activation} hidden / {out} output, {self.loss}, {self.optimizer}, "
                f"init {'U(-1, 1)' if self.init == 'uniform' else self.init}")


STUDENT = Recipe("one-pass", (32, 16), "sigmoid", "sigmoid", "uniform", "mse_loss", "sgd", 4.0, 40, 1)
"""The study's recipe: 784-32-16-10, sigmoid everywhere, MSE on one-hot targets, SGD."""

RECIPES = {
    "one-pass": STUDENT,
    "ten-passes": replace(STUDENT, name="ten-passes", lr=0.9, batch_size=20, passes=10),
    "modern": Recipe("modern", (128, 64), "relu", None, "he_normal", "cross_entropy", "adam", 1e-3, 64, 10),
}

SWEEP_LRS = (0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
SWEEP_BATCHES = (10, 20, 40, 80)
FULL_LRS = tuple(round(0.05 * k, 2) for k in range(1, 21)) + tuple(float(k) for k in range(1, 21))
FULL_BATCHES = tuple(range(5, 101, 5))

_P = ParamSpec("_P")
_T = TypeVar("_T")

DTYPE = np.float32
"""Training precision: float32 gives the same accuracy as float64 here, with half the memory."""


# -- data ------------------------------------------------------------------------------------
def load(dataset: str | None, data_dir: str | None, mirrors: Sequence[str] | None,
         seed: int) -> tuple[str, Dataset, str | None]:
    """(kind, data, notice): ``dataset`` or, if None, MNIST falling back to the embedded digits."""
    if dataset == "embedded":
        return "embedded", nn.data.load_embedded(seed=seed), None
    kind = dataset or "digits"
    try:
        return kind, nn.data.load_mnist(kind, root=data_dir, mirrors=mirrors,
                                        timeout=10.0 if dataset else 5.0), None
    except FileNotFoundError as e:
        if dataset is not None:
            raise
        folder = nn.data.cache_dir(data_dir) / nn.data.SUBDIRS["digits"]
        problem = str(e).splitlines()[1].strip(" -") if len(str(e).splitlines()) > 1 else str(e)
        notice = (f"notice: MNIST is not in {folder} and could not be downloaded ({problem}); "
                  "using the embedded 8x8 digits (--dataset fashion works offline where Debian's "
                  "dataset-fashion-mnist is installed)")
        return "embedded", nn.data.load_embedded(seed=seed), notice


# -- one training run ----------------------------------------------------------------------------
def examples_seen(n: int, batch_size: int, steps: int) -> int:
    """Examples in ``steps`` steps over ``n`` examples in batches of ``batch_size``, each epoch's
    last batch holding the rest (as ``nn.fit`` does).

    >>> examples_seen(1437, 40, 1500)  # 41 epochs of 36 steps, then 24 steps of 40
    59877
    """
    full_epochs, rest = divmod(steps, math.ceil(n / batch_size))
    return full_epochs * n + rest * batch_size


def train(recipe: Recipe, data: Dataset, seed: int, progress: bool | None = None,
          compiled: bool = False) -> tuple[nn.MLP, nn.train.History, dict[str, Any]]:
    """Train a fresh network with ``recipe`` on ``data`` (seed fixes init and shuffles);
    returns the model, its history and a JSON-ready record of configuration and figures.
    ``compiled``: each step a program generated by ``autograd.compile`` (``nn.fit(compile=True)``)."""
    n_in = data.x_train.shape[1]
    sizes = [n_in, *recipe.hidden, 10]
    model = nn.MLP(sizes, activation=recipe.activation, output_activation=recipe.output_activation,
                   init=recipe.init, rng=seed, dtype=DTYPE)
    params = list(model.parameters())
    optimizer = nn.optim.SGD(params, lr=recipe.lr) if recipe.optimizer == "sgd" else \
        nn.optim.Adam(params, lr=recipe.lr)
    steps = recipe.steps()
    epochs = math.ceil(steps / math.ceil(len(data.x_train) / recipe.batch_size))
    start = time.perf_counter()
    history = nn.fit(model, optimizer, data.x_train, data.y_train, loss=recipe.loss, epochs=epochs,
                     batch_size=recipe.batch_size, steps=steps, rng=seed, progress=progress, compile=compiled)
    seconds = time.perf_counter() - start
    metrics = nn.evaluate(model, data.x_test, data.y_test, loss=recipe.loss)
    examples = examples_seen(len(data.x_train), recipe.batch_size, history.steps)
    record = {**asdict(recipe), "hidden": list(recipe.hidden), "sizes": sizes, "seed": seed,
              "dtype": np.dtype(DTYPE).name, "n_train": len(data.x_train), "n_test": len(data.x_test),
              "steps": history.steps, "examples": examples, "epochs": round(examples / len(data.x_train), 2),
              "interrupted": history.interrupted,
              "test_accuracy": metrics.accuracy, "test_loss": metrics.loss,
              "final_loss": float(np.mean(history.losses[-100:])), "seconds": round(seconds, 3)}
    return model, history, record


# -- pictures ------------------------------------------------------------------------------------
def _pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend, or None (with a notice) if missing."""
    try:
        import matplotlib
    except ImportError:
        print('notice: matplotlib is not installed, so no PNGs (pip install "chainrule[demo]")')
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(plt: Any, fig: Any, path: Path) -> Path:
    """Write ``fig`` to ``path`` and close it; returns ``path``."""
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def loss_figure(plt: Any, runs: Sequence[tuple[str, str, nn.train.History]], dataset: str) -> Any:
    """Training loss per step (moving average of 100 steps) of each run ``(name, loss, history)``,
    one panel each, its axis naming the loss (``mse_loss``, ``cross_entropy``)."""
    fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 3.8), squeeze=False, layout="constrained")
    for ax, (name, loss, history) in zip(axes[0], runs):
        losses = np.asarray(history.losses)
        k = min(100, len(losses))
        smooth = np.convolve(losses, np.ones(k) / k, mode="valid")
        ax.plot(np.arange(k, len(losses) + 1), smooth, lw=1)
        ax.set(title=name, xlabel="step", ylabel=f"training {loss} (mean of {k} steps)", yscale="log")
        ax.grid(alpha=0.3)
    fig.suptitle(f"training loss on {dataset}")
    return fig


def predictions_figure(plt: Any, model: nn.MLP, data: Dataset, seed: int, classes: Sequence[str],
                       dataset: str) -> Any:
    """A grid of 32 test images titled with the predicted class (red when wrong)."""
    pick = np.random.default_rng(seed).choice(len(data.x_test), 32, replace=False)
    predicted = nn.predict(model, data.x_test[pick])
    side = math.isqrt(data.x_test.shape[1])
    fig, axes = plt.subplots(4, 8, figsize=(10, 6.2), layout="constrained")
    for ax, i, p in zip(axes.flat, pick, predicted):
        ax.imshow(data.x_test[i].reshape(side, side), cmap="gray_r")
        ok = p == data.y_test[i]
        ax.set_title(classes[p] if ok else f"{classes[p]}\n(is {classes[data.y_test[i]]})",
                     color="black" if ok else "red", fontsize=8)
        ax.axis("off")
    fig.suptitle(f"predicted classes of test images (red: wrong)\n{dataset}")
    return fig


def sweep_figure(plt: Any, rows: Sequence[dict[str, float]], dataset: str) -> Any:
    """Heatmaps of test accuracy by learning rate x batch size, lr <= 1 and lr >= 1 (study figs 11-12)."""
    lrs = sorted({r["lr"] for r in rows})
    groups = [g for g in ([lr for lr in lrs if lr <= 1], [lr for lr in lrs if lr >= 1]) if g]
    if len(groups) == 2 and (len(groups[0]) < 3 or len(groups[1]) < 3):
        groups = [lrs]
    batches = sorted({int(r["batch_size"]) for r in rows})
    acc = {(r["lr"], int(r["batch_size"])): 100 * r["accuracy"] for r in rows}
    width = max(8.0, 0.45 * len(batches) * len(groups) + 3)
    fig, axes = plt.subplots(1, len(groups), figsize=(width, 7), squeeze=False, layout="constrained")
    for ax, group in zip(axes[0], groups):
        grid = np.array([[acc[lr, b] for b in batches] for lr in group])
        image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=100)
        ax.set_xticks(range(len(batches)), [str(b) for b in batches], fontsize=7)
        ax.set_yticks(range(len(group)), [f"{lr:g}" for lr in group], fontsize=7)
        ax.set(xlabel="batch size", ylabel="learning rate",
               title=f"lr {group[0]:g} to {group[-1]:g}" if len(groups) > 1 else "")
        if grid.size <= 120:
            for (i, j), v in np.ndenumerate(grid):
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=6,
                        color="white" if v < 60 else "black")
    # Every panel maps 0..100 % to the same colours, so one bar reads them all.
    fig.colorbar(image, ax=axes[0].tolist(), label="test accuracy (%)")
    fig.suptitle(f"one pass (60,000 examples): test accuracy by learning rate and batch size\n{dataset}",
                 fontsize=11)
    return fig


# -- the sweep -------------------------------------------------------------------------------------
SCHEDULER_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler to answer (``--scheduler``) before giving up."""


@functools.lru_cache(maxsize=1)
def _sweep_data(kind: str, data_dir: str | None, mirrors: tuple[str, ...] | None, seed: int) -> Dataset:
    """The sweep's data, loaded once per worker process, not once per run (the last one asked for
    is kept: a long-lived Dask worker holds one dataset, whatever sweeps it served before)."""
    return load(kind, data_dir, mirrors, seed)[1]


def _sweep_run(kind: str, data_dir: str | None, mirrors: tuple[str, ...] | None, seed: int,
               lr: float, batch_size: int) -> dict[str, float]:
    """One run of the grid, a pure function of its arguments: every executor gives the same row.
    Its steps are compiled (``autograd.compile``): the grid's hundreds of runs are its longest wait."""
    recipe = replace(RECIPES["one-pass"], name="sweep", lr=lr, batch_size=batch_size)
    record = train(recipe, _sweep_data(kind, data_dir, mirrors, seed), seed, progress=False, compiled=True)[2]
    return {"lr": lr, "batch_size": batch_size, "accuracy": record["test_accuracy"],
            "final_loss": record["final_loss"], "seconds": record["seconds"]}


def _importable(function: Callable[_P, _T]) -> Callable[_P, _T]:
    """``function`` from this module under a name a Dask scheduler and its workers can import:
    ``chainrule.demos.mnist`` when that is this file (chainrule installed, editable or not), else
    the module's own name (``demos.mnist``, also when it runs as ``__main__``, whose functions Dask
    would pickle by value, each task with its own copy of ``_sweep_data``'s cache)."""
    own = __spec__.name if __name__ == "__main__" and __spec__ else __name__
    try:
        installed = importlib.import_module("chainrule.demos.mnist")
    except ImportError:
        installed = None
    same = installed is not None and Path(installed.__file__ or "").resolve() == Path(__file__).resolve()
    module = installed if same else importlib.import_module(own)
    named: Callable[_P, _T] = getattr(module, function.__name__)
    return named


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Set the BLAS thread counts to 1 (inherited by spawned workers), then restore them."""
    threads = {name: os.environ.get(name) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                       "MKL_NUM_THREADS")}
    os.environ.update({name: "1" for name in threads})
    try:
        yield
    finally:
        for name, value in threads.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _local_pool(workers: int) -> Iterator[tuple[concurrent.futures.Executor, str]]:
    """``workers`` spawned processes of one BLAS thread each, and their description."""
    with _one_blas_thread(), concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool, f"{workers} processes"


@contextmanager
def _dask_pool(scheduler: str) -> Iterator[tuple[concurrent.futures.Executor, str]]:
    """The Dask cluster whose scheduler listens at ``scheduler`` as an executor, and its
    description.  The scheduler and the workers need chainrule installed (see ``_importable``);
    Dask's nannies start the workers with one BLAS thread, as the local pool does."""
    try:
        from distributed import Client
    except ImportError as e:
        raise ModuleNotFoundError(f'sweep: --scheduler {scheduler} needs Dask, which is not installed '
                                  '(pip install "chainrule[dask]")') from e
    try:
        client = Client(scheduler, timeout=SCHEDULER_TIMEOUT, set_as_default=False)
    except OSError as e:
        raise ConnectionError(f"sweep: no Dask scheduler answered at {scheduler} within "
                              f"{SCHEDULER_TIMEOUT:g} s (is `dask scheduler` running there?): {e}") from e
    with client, client.get_executor() as pool:
        yield pool, f"{len(client.nthreads())} Dask workers at {scheduler}"


def sweep(kind: str, data_dir: str | None, mirrors: Sequence[str] | None, seed: int, full: bool,
          folder: Path, dataset: str, workers: int = 2,
          scheduler: str | None = None) -> tuple[list[dict[str, float]], list[Path]]:
    """One pass of the recipe for every (lr, batch size) of the grid, in ``workers`` local
    processes or, given a ``scheduler`` address (``tcp://HOST:PORT``), on that Dask cluster;
    writes ``sweep.csv`` and ``sweep.png`` into ``folder``.  Returns the rows and the files written.
    Each run is a pure function of its arguments, so both give the same rows for the same seed."""
    lrs, batch_sizes = (FULL_LRS, FULL_BATCHES) if full else (SWEEP_LRS, SWEEP_BATCHES)
    jobs = sorted({(lr, b) for lr in lrs for b in batch_sizes}, key=lambda job: (job[1], job[0]))
    urls = None if mirrors is None else tuple(mirrors)  # hashable: the key of _sweep_data's cache
    run = _importable(_sweep_run)
    rows: list[dict[str, float]] = []
    start = time.perf_counter()
    with _local_pool(workers) if scheduler is None else _dask_pool(scheduler) as (pool, where):
        print(f"sweep: {len(jobs)} runs ({len(set(lrs))} learning rates x {len(batch_sizes)} batch sizes), "
              f"one pass each, on {where}")
        futures = [pool.submit(run, kind, data_dir, urls, seed, lr, b) for lr, b in jobs]
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            rows.append(future.result())
            if done % max(1, len(jobs) // 20) == 0 or done == len(jobs):
                print(f"  {done}/{len(jobs)} runs, {time.perf_counter() - start:.0f} s", flush=True)
    rows.sort(key=lambda r: (r["lr"], r["batch_size"]))
    with open(folder / "sweep.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["lr", "batch_size", "accuracy", "final_loss", "seconds"])
        writer.writeheader()
        writer.writerows(rows)
    written = [folder / "sweep.csv"]
    best = max(rows, key=lambda r: r["accuracy"])
    print(f"sweep: {time.perf_counter() - start:.1f} s wall; best {100 * best['accuracy']:.2f} % at "
          f"lr {best['lr']:g}, batch {best['batch_size']:.0f}")
    plt = _pyplot()
    if plt is not None:
        written.append(save_figure(plt, sweep_figure(plt, rows, dataset), folder / "sweep.png"))
    return rows, written


# -- the recipes -----------------------------------------------------------------------------------
def _classes(kind: str) -> list[str]:
    if kind == "fashion":
        return ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                "Boot"]
    return [str(d) for d in range(10)]


def versus_study(record: dict[str, Any], kind: str) -> tuple[str, str]:
    """The study's MNIST figure for a run ("-" if none) and whether the run is comparable with
    it: "yes" only for an uninterrupted run on MNIST; else "no" and why."""
    if record["name"] not in STUDY:
        return "-", "-"
    figure = f"{STUDY[record['name']]:.2f} %"
    if record["interrupted"]:
        return figure, f"no: interrupted after {record['steps']:,} steps"
    if kind == "digits":
        return figure, "yes: the same data, recipe and number of examples"
    return figure, NOT_COMPARABLE[kind].format(**record)


def table(records: Sequence[dict[str, Any]], kind: str) -> str:
    """One row per run: its schedule (steps, examples seen, epochs), time and test accuracy,
    beside the study's MNIST figure and whether the two are comparable, and why not."""
    lines = [f"{'run':<11} {'batch':>5} {'lr':>5} {'steps':>7} {'examples':>9} {'epochs':>7} {'seconds':>8} "
             f"{'accuracy':>9}  {'study (MNIST)':>13}  comparable with the study?"]
    for r in records:
        study, comparable = versus_study(r, kind)
        lines.append(f"{r['name']:<11} {r['batch_size']:>5} {r['lr']:>5g} {r['steps']:>7,} "
                     f"{r['examples']:>9,} {r['epochs']:>7,.1f} {r['seconds']:>8.1f} "
                     f"{100 * r['test_accuracy']:>7.2f} %  {study:>13}  {comparable}")
    return "\n".join(lines)


def _data_text(kind: str, data: Dataset) -> str:
    """The data in a few words, for the pictures' titles."""
    n = len(data.x_train)
    epochs = "" if n == STUDY_EXAMPLES else f" (one pass ≈ {STUDY_EXAMPLES / n:.0f} epochs)"
    return f"{DATASETS[kind]}, {n:,} training images{epochs}"


def recipes(experiment: str, kind: str, data: Dataset, seed: int,
            folder: Path) -> tuple[list[dict[str, Any]], list[Path]]:
    """Train the experiment's recipes one after the other, print the table, draw the loss
    curves and the last model's predictions into ``folder``; the records and the files written."""
    names = {"recipe": ["one-pass", "ten-passes"], "modern": ["ten-passes", "modern"]}.get(
        experiment, [experiment])
    n_train, n_in = data.x_train.shape
    records, runs, model = [], [], None
    for name in names:
        recipe = RECIPES[name]
        epochs = examples_seen(n_train, recipe.batch_size, recipe.steps()) / n_train
        print(f"{name}: {recipe.describe(n_in)}; batch {recipe.batch_size}, lr {recipe.lr:g}, "
              f"{recipe.passes} pass{'es' if recipe.passes > 1 else ''} of 60,000 examples "
              f"= {recipe.steps():,} steps = {epochs:,.1f} epochs of the {n_train:,} training images")
        model, history, record = train(recipe, data, seed)
        records.append(record)
        runs.append((name, recipe.loss, history))
        if history.interrupted:
            print(f"{name}: interrupted after {history.steps} steps")
            break
    print("\n" + table(records, kind))
    if kind != "digits" and any(r["name"] in STUDY for r in records):
        print("For figures comparable with the study, run on MNIST: downloaded when online, "
              "or its four files in --data-dir.")
    if experiment == "modern" and len(records) == 2:
        gain = 100 * (records[1]["test_accuracy"] - records[0]["test_accuracy"])
        print(f"\nThe modern recipe beats the student's best recipe by {gain:+.2f} points on the same data.")
    elif any(r["name"] in STUDY for r in records):
        print("\n" + INIT_NOTE)
    assert model is not None
    plt, dataset = _pyplot(), _data_text(kind, data)
    if plt is None:
        return records, []
    return records, [
        save_figure(plt, loss_figure(plt, runs, dataset), folder / "loss_curve.png"),
        save_figure(plt, predictions_figure(plt, model, data, seed, _classes(kind), dataset),
                    folder / "predictions.png")]


# -- the command ------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None, prog: str = "python -m demos.mnist") -> argparse.Namespace:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n")[0])
    p.add_argument("--experiment", choices=["recipe", "one-pass", "ten-passes", "sweep", "modern"],
                   default="recipe", help="what to run (default: the recipe, one pass and ten passes)")
    p.add_argument("--dataset", choices=list(DATASETS), default=None,
                   help="default: MNIST if cached or downloadable, else embedded")
    p.add_argument("--data-dir", default=None,
                   help="data folder (default: $CHAINRULE_DATA, else ~/.cache/chainrule)")
    p.add_argument("--mirror", action="append", default=None, metavar="URL",
                   help="download base URL instead of the public mirrors (repeatable, tried in order)")
    p.add_argument("--seed", type=int, default=0, help="seed of init, shuffles and the embedded split")
    p.add_argument("--full", action="store_true", help="sweep: the study's whole grid (780 runs)")
    p.add_argument("--workers", type=int, default=2, metavar="N",
                   help="sweep: local processes, one BLAS thread each (default: 2)")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help='sweep: on the cluster of this Dask scheduler (pip install "chainrule[dask]")')
    p.add_argument("--out", default="demo-output/mnist",
                   help="output folder; each experiment writes to its own subfolder EXPERIMENT-DATASET "
                        "(default: demo-output/mnist)")
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error(f"--workers: {args.workers}: at least one process is needed")
    return args


def main(argv: Sequence[str] | None = None, prog: str = "python -m demos.mnist") -> int:
    """Run the chosen experiment; print the table; write results and pictures to its folder."""
    args = parse_args(argv, prog)
    try:
        kind, data, notice = load(args.dataset, args.data_dir, args.mirror, args.seed)
    except (FileNotFoundError, ModuleNotFoundError) as e:
        print(e, file=sys.stderr)
        return 1
    if notice:
        print(notice)
    folder = Path(args.out) / f"{args.experiment}-{kind}"
    folder.mkdir(parents=True, exist_ok=True)
    if sys.stderr.isatty():
        try:
            import tqdm  # noqa: F401
        except ImportError:
            print('notice: no progress bar without tqdm (pip install "chainrule[demo]")')
    side = math.isqrt(data.x_train.shape[1])
    print(f"data: {DATASETS[kind]}, {len(data.x_train):,} training / {len(data.x_test):,} test images "
          f"of {side}x{side} pixels")
    results: dict[str, Any] = {"experiment": args.experiment, "dataset": kind, "seed": args.seed,
                               "python": platform.python_version(), "numpy": np.__version__}
    if args.experiment == "sweep":
        try:
            results["sweep"], written = sweep(kind, args.data_dir, args.mirror, args.seed, args.full, folder,
                                              _data_text(kind, data), args.workers, args.scheduler)
        except (ConnectionError, ModuleNotFoundError) as e:
            print(e, file=sys.stderr)
            return 1
    else:
        results["runs"], written = recipes(args.experiment, kind, data, args.seed, folder)
    with open(folder / "results.json", "w") as f:
        json.dump(results, f, indent=2)
    print(f"\nwrote to {folder}/: {', '.join(p.name for p in [folder / 'results.json', *written])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
