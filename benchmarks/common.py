"""Shared benchmark plumbing: each contender runs in its own subprocess on one
thread, contenders alternate, and medians and ratios are reported.  Workers time
with ``time.process_time()`` (CPU seconds of the process), so that other load on
a shared machine inflates every contender less than wall-clock time would.

A benchmark module defines ``worker(name, *args) -> dict`` (run inside the
subprocess) and calls :func:`compare` from its ``main``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Mapping, Sequence

ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_worker(module: str, args: Sequence[str], prefix: Sequence[str] = ()) -> dict[str, float]:
    """Run ``python -m module --worker *args`` on one thread; return the JSON it prints last.
    ``prefix`` goes before the command (e.g. ``["taskset", "-c", "0"]``)."""
    env = {**os.environ, **ONE_THREAD}
    proc = subprocess.run([*prefix, sys.executable, "-m", module, "--worker", *args], env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def compare(module: str, contenders: Sequence[str], cases: Sequence[Sequence[str]],
            repeats: int, metric: str, unit: str,
            prefix: Mapping[str, Sequence[str]] | None = None) -> dict[tuple[str, ...], dict[str, float]]:
    """For each case, run every contender ``repeats`` times, alternating; print the
    median of ``metric`` per contender and its ratio to the first contender.  ``prefix``
    maps a contender to the command its worker runs under (e.g. ``taskset -c 0``)."""
    medians: dict[tuple[str, ...], dict[str, float]] = {}
    for case in cases:
        samples: dict[str, list[float]] = {c: [] for c in contenders}
        for _ in range(repeats):
            for c in contenders:
                samples[c].append(run_worker(module, [c, *case], (prefix or {}).get(c, ()))[metric])
        med = {c: statistics.median(v) for c, v in samples.items()}
        medians[tuple(case)] = med
        base = med[contenders[0]]
        label = " ".join(case) or metric
        print(f"\n{label}: median {metric} of {repeats} runs each ({unit})")
        for c in contenders:
            print(f"  {c:<14} {med[c]:12.1f}   x{med[c] / base:6.2f} of {contenders[0]}")
    return medians


def is_worker() -> bool:
    """True when this process is a benchmark worker (``--worker`` was passed)."""
    return len(sys.argv) > 1 and sys.argv[1] == "--worker"


def emit(result: dict[str, float]) -> None:
    """Print a worker's result as the JSON line :func:`run_worker` reads."""
    print(json.dumps(result))
