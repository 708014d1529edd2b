"""How long the HTML stepper takes to write and how big it is: ``trace(loss).save_html(path)``
on four graphs of the scalar ``Value`` engine, this repository's library against an older copy.

Graphs (their step counts, ``len(trace(loss))``, are printed):

* ``demo 2-3-1``: ``demos/backprop_steps.py``'s net, sigmoid everywhere, x = [0.5, -1.0], y = [1.0];
* ``micrograd MLP(3,[4,4,1])``: the micrograd README's net (tanh hidden layers, linear output),
  x = [2.0, 3.0, -1.0], y = [1.0];
* ``3-8-8-1``: the same with 8-wide hidden layers;
* ``2000-step sum``: s = x[0]·w[0] + ... + x[499]·w[499], labelled leaves, 4 steps a term.

The MLP losses are ``nn.mse_loss`` of one example, weights ``rng=0``.  Contenders:
``chainrule`` is the ``autograd`` and ``nn`` of this repository; ``baseline`` (with
``--baseline DIR``) those of DIR, e.g. a checkout of an older commit; each graph is built by
the contender's own ``nn``.  Each page is written in its own one-thread subprocess
(``--worker``), the contenders alternating, ``--repeats`` times.  The worker runs in this
repository and puts the contender's folder first on ``sys.path`` (``PYTHONPATH`` would come
after the working directory).  Measured in the worker:

* time: wall-clock seconds of ``trace`` + ``save_html`` (not the imports, not building the
  graph).  Wall clock, unlike the CPU time of the other benchmarks: a stepper may run
  Graphviz's ``dot`` as a child process, whose work the worker's own CPU time misses.  Other
  load on the machine inflates it, so the CPU seconds of the worker and its children over the
  same stretch are shown beside it (as large as the time when the machine is idle);
* size: the HTML file, MB = 10^6 bytes;
* memory: the worker's peak resident set plus that of its largest child (``dot``),
  ``ru_maxrss`` of ``RUSAGE_SELF`` + ``RUSAGE_CHILDREN``: an upper bound of their peak
  together, the interpreter, numpy and the graph included.

The table shows the medians, chainrule's target (time and size both under it) with PASS or
FAIL, and on chainrule's row baseline / chainrule of the time and size ("> xN" when the
baseline was killed).  A run still going after ``--timeout`` seconds (imports and building
included) is killed with its children and shown as "over T s (killed)"; that contender's
remaining repeats of the graph are skipped.  The exit status is 1 when chainrule misses a
target (a killed run misses it).  Each run's time goes to stderr as it finishes.

    python -m benchmarks.stepper_pages [--baseline DIR] [--timeout S] [--out DIR] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import ONE_THREAD, emit, is_worker

MODULE = "benchmarks.stepper_pages"
REPO = Path(__file__).resolve().parents[1]
MB = 1e6
WHO = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
NUMBERS = {1, 3, 4, 5, 6}  # the table's right-aligned columns: steps, time, CPU, size, memory


@dataclass(frozen=True)
class Graph:
    """A graph of the table."""
    name: str
    stem: str  # the page's file name and the worker's argument
    target: tuple[float, float] | None  # chainrule's bar: (seconds, MB)


GRAPHS = [Graph("demo 2-3-1", "demo-2-3-1", None),
          Graph("micrograd MLP(3,[4,4,1])", "micrograd-3-4-4-1", (2.0, 1.5)),
          Graph("3-8-8-1", "mlp-3-8-8-1", (5.0, 4.0)),
          Graph("2000-step sum", "sum-2000", (20.0, 10.0))]


def build(stem: str) -> Any:
    """The root of graph ``stem`` (a :class:`Graph`'s), made by the ``autograd`` and ``nn`` on sys.path."""
    import nn
    from autograd import Value

    if stem == "sum-2000":
        # Python's sum starts from 0: each term adds the steps into x[i], w[i], the sum so far, x[i]·w[i].
        s = sum(Value(0.01 * i, label=f"x[{i}]") * Value(-0.5 + 0.001 * i, label=f"w[{i}]")
                for i in range(500))
        s.label = "s"
        return s
    if stem == "demo-2-3-1":  # demos/backprop_steps.py's build(seed=0)
        net = nn.MLP([2, 3, 1], activation="sigmoid", output_activation="sigmoid", engine="value", rng=0)
        x = [0.5, -1.0]
    else:
        sizes = {"micrograd-3-4-4-1": [3, 4, 4, 1], "mlp-3-8-8-1": [3, 8, 8, 1]}[stem]
        net = nn.MLP(sizes, activation="tanh", engine="value", rng=0)
        x = [2.0, 3.0, -1.0]
    (out,) = net(x)
    loss = nn.mse_loss([out], [1.0])
    loss.label = "C"
    return loss


def cpu_seconds() -> float:
    """CPU seconds, user + system, of this process and its waited-for children so far."""
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, WHO))


def worker(lib: str, stem: str, page: str) -> dict[str, float]:
    """Import ``autograd`` and ``nn`` from the folder ``lib``, build graph ``stem``, time writing its page."""
    # The interpreter put the working directory (this repository) first; lib must come before it.
    sys.path.insert(0, lib)
    import autograd

    assert Path(autograd.__file__).resolve().is_relative_to(Path(lib).resolve()), autograd.__file__
    root = build(stem)
    start, start_cpu = time.perf_counter(), cpu_seconds()
    steps = autograd.trace(root)
    emit({"steps": len(steps)})  # read by the parent even if this run is killed later
    sys.stdout.flush()
    steps.save_html(page)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
    peak_kib = sum(resource.getrusage(who).ru_maxrss for who in WHO)
    return {"steps": len(steps), "seconds": seconds, "cpu_seconds": cpu,
            "mb": os.path.getsize(page) / MB, "memory_mb": peak_kib * 1024 / MB}


def run(lib: Path, stem: str, page: Path, timeout: float) -> tuple[dict[str, float], bool]:
    """One worker run: its figures and whether it was killed at ``timeout`` (then only ``steps``,
    if the worker got that far).  The worker leads its own process group, so ``dot`` dies with it."""
    proc = subprocess.Popen([sys.executable, "-m", MODULE, "--worker", str(lib), stem, str(page)],
                            cwd=REPO, env={**os.environ, **ONE_THREAD}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        lines = out.strip().splitlines()
        return (json.loads(lines[-1]) if lines else {}), True
    if proc.returncode != 0:
        raise RuntimeError(f"{MODULE} {stem} with {lib} failed:\n{err[-2000:]}")
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result, False


@dataclass
class Runs:
    """One contender's runs of one graph: the figures of those that finished, and whether one was killed."""
    samples: list[dict[str, float]] = field(default_factory=list)
    steps: int | None = None
    killed: bool = False

    def median(self, key: str) -> float:
        return statistics.median(s[key] for s in self.samples)

    def cells(self, timeout: float) -> list[str]:
        """steps, time, CPU, size, memory."""
        steps = "?" if self.steps is None else str(self.steps)
        if self.killed:
            return [steps, f"over {timeout:g} s (killed)", "-", "-", "-"]
        return [steps, f"{self.median('seconds'):.2f}", f"{self.median('cpu_seconds'):.2f}",
                f"{self.median('mb'):.2f}", f"{self.median('memory_mb'):.0f}"]


def verdict(graph: Graph, ours: Runs, base: Runs | None, timeout: float) -> list[str]:
    """chainrule's target, PASS or FAIL (empty without a target), and baseline / chainrule."""
    target = result = ratio = ""
    if graph.target is not None:
        seconds, mb = graph.target
        target = f"{seconds:g} s, {mb:g} MB"
        met = not ours.killed and ours.median("seconds") < seconds and ours.median("mb") < mb
        result = "PASS" if met else "FAIL"
    if base is not None and not ours.killed:
        if base.killed:
            ratio = f"time > x{timeout / ours.median('seconds'):.0f}"
        else:
            ratio = (f"time x{base.median('seconds') / ours.median('seconds'):.1f}, "
                     f"size x{base.median('mb') / ours.median('mb'):.1f}")
    return [target, result, ratio]


def main() -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="a folder holding an older autograd and nn to compare with")
    parser.add_argument("--timeout", type=float, default=120.0, metavar="S",
                        help="seconds before a run is killed (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("out/stepper_pages"), metavar="DIR",
                        help="folder for the pages, one subfolder per contender (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, metavar="N",
                        help="runs per graph and contender (default: %(default)s)")
    args = parser.parse_args()
    if args.repeats < 1 or args.timeout <= 0:
        parser.error(f"--repeats must be at least 1 and --timeout positive, "
                     f"got {args.repeats} and {args.timeout:g}")
    libs = {"chainrule": REPO}
    if args.baseline is not None:
        libs["baseline"] = args.baseline.resolve()
    for name in libs:
        (args.out / name).mkdir(parents=True, exist_ok=True)

    rows = [["graph", "steps", "contender", "time (s)", "CPU (s)", "size (MB)", "memory (MB)", "target",
             "result", "baseline / chainrule"]]
    missed = []
    for graph in GRAPHS:
        runs = {name: Runs() for name in libs}
        for _ in range(args.repeats):
            for name, lib in libs.items():
                if runs[name].killed:
                    continue
                page = (args.out / name / f"{graph.stem}.html").resolve()
                result, killed = run(lib, graph.stem, page, args.timeout)
                if "steps" in result:
                    runs[name].steps = int(result["steps"])
                if killed:
                    runs[name].killed = True
                else:
                    runs[name].samples.append(result)
                took = f"over {args.timeout:g} s (killed)" if killed else f"{result['seconds']:.2f} s"
                print(f"{graph.name}, {name}: {took}", file=sys.stderr, flush=True)
        ours = verdict(graph, runs["chainrule"], runs.get("baseline"), args.timeout)
        if ours[1] == "FAIL":
            missed.append(graph.name)
        for name in libs:
            steps, *figures = runs[name].cells(args.timeout)
            rows.append([graph.name, steps, name, *figures,
                         *(ours if name == "chainrule" else ["", "", ""])])

    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    print(f"Medians of {args.repeats} runs; time: wall-clock seconds of trace + save_html; CPU: of the "
          f"worker + its children; memory: peak RSS of the worker + its largest child (dot); "
          f"pages in {args.out}")
    for r in rows:
        print("  ".join(cell.rjust(w) if c in NUMBERS else cell.ljust(w)
                        for c, (cell, w) in enumerate(zip(r, widths))).rstrip())
    if missed:
        print(f"\nchainrule misses its target on: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    if is_worker():
        emit(worker(*sys.argv[2:]))
    else:
        sys.exit(main())
