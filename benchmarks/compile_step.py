"""``autograd.compile`` against hand-written numpy, JAX and PyTorch on the student's network.

The network of DESIGN.md (784-32-16-10, sigmoid, MSE, SGD lr 4, float32) trained step by
step on Fashion-MNIST images, at batch 40 and batch 1, in microseconds of CPU time per
training step (forward, backward and the SGD update):

* ``compiled``        -- ``autograd.compile`` of the natural spelling, ``a = (a @ W.T + b).sigmoid()``
  for each layer and ``((a - y) ** 2).mean()``, the SGD update compiled in:
  ``step = compile(loss_fn, optimizer=nn.optim.SGD(params, lr=4))``, then ``step(x, y)``;
* ``compiled-fused``  -- the same with ``autograd.linear`` and ``nn.mse_loss`` (the two spellings
  should compile to the same program, so to the same speed);
* ``numpy``           -- the delta formulas written by hand with ``np.dot`` (``numpy-dot`` of
  :mod:`benchmarks.tensor_step`);
* ``jax``             -- ``jax.jit`` of ``jax.grad(loss)`` and the update (a jitted function that
  returns the new parameters, donating the old ones' buffers), float32, blocked on; its
  worker runs under ``taskset -c 0`` with XLA on one thread;
* ``torch``           -- PyTorch eager on one thread (``torch`` of :mod:`benchmarks.tensor_step`);
* ``chainrule-eager`` -- the natural spelling run eagerly (Tensor, ``backward()``, update).

Each contender runs in its own one-thread process, contenders alternate, medians are
reported (:func:`benchmarks.common.compare`).  Also measured: the compile time (trace,
generate and the first call) of the natural network, median of fresh processes, against a
100 ms target; then the ratios compiled/numpy (target <= 1.0, goal 0.8), compiled/jax
(target <= 1.0) and torch/compiled (target >= 2.5).  JAX and torch are skipped, with a
note, when not installed.

Run: ``python -m benchmarks.compile_step [--repeats N]`` (default 5; a few minutes);
``python -m benchmarks.compile_step --profile`` shows where the compiled step's time goes:
the generated program against the Python wrapper around it, the floor set by the program's
``np.dot`` calls alone at batch 40, and the busiest functions (cProfile).
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.common import ONE_THREAD, compare, emit, is_worker, run_worker
from benchmarks.tensor_step import LR, SIZES, Step, images, setup

MODULE = "benchmarks.compile_step"
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
COMPILE_TARGET_MS = 100.0
FROM_TENSOR_STEP = {"numpy": "numpy-dot", "torch": "torch", "chainrule-eager": "chainrule-natural"}


def compiler() -> Callable[..., Any]:
    """``autograd.compile``, which must take ``optimizer=``."""
    import autograd
    found: Callable[..., Any] = autograd.compile
    if "optimizer" not in inspect.signature(found).parameters:
        raise SystemExit("autograd.compile takes no optimizer= here: this benchmark compiles SGD in")
    return found


def problem(batch: int, n_steps: int) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """Weights, biases, images and one-hot targets, as :func:`benchmarks.tensor_step.setup` makes them."""
    rng = np.random.default_rng(0)
    X = images(batch * n_steps)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, len(X))]
    Ws = [rng.uniform(-1, 1, (SIZES[i + 1], SIZES[i])).astype(np.float32) for i in range(3)]
    bs = [rng.uniform(-1, 1, SIZES[i + 1]).astype(np.float32) for i in range(3)]
    return Ws, bs, X, Y


def compiled_step(fused: bool, Ws: list[np.ndarray], bs: list[np.ndarray]) -> Any:
    """``autograd.compile`` of the network's loss with SGD compiled in: ``step(x, y)`` is one SGD step."""
    import nn
    from autograd import Tensor, linear
    from nn.optim import SGD
    W = [Tensor(w, requires_grad=True) for w in Ws]
    B = [Tensor(b, requires_grad=True) for b in bs]
    params = W + B

    def loss_fn(x: Tensor, y: Tensor) -> Tensor:
        a = x
        for w, b in zip(W, B):
            a = linear(a, w, b).sigmoid() if fused else (a @ w.T + b).sigmoid()
        loss: Tensor = nn.mse_loss(a, y) if fused else ((a - y) ** 2).mean()
        return loss

    return compiler()(loss_fn, optimizer=SGD(params, lr=LR))


def jax_step(Ws: list[np.ndarray], bs: list[np.ndarray]) -> Step:
    """One SGD step as ``jax.jit`` of the gradient and the update, float32, on one thread."""
    os.environ["XLA_FLAGS"] = XLA_ONE_THREAD  # read when the CPU backend starts: before the first jax call
    import jax
    import jax.numpy as jnp

    def loss(params: list[Any], x: Any, y: Any) -> Any:
        a = x
        for w, b in zip(params[:3], params[3:]):
            a = jax.nn.sigmoid(a @ w.T + b)
        return jnp.mean((a - y) ** 2)

    grad = jax.grad(loss)

    @functools.partial(jax.jit, donate_argnums=0)
    def update(params: list[Any], x: Any, y: Any) -> list[Any]:
        return [p - LR * g for p, g in zip(params, grad(params, x, y))]

    state = [[jnp.asarray(a) for a in Ws + bs]]
    assert all(p.dtype == jnp.float32 for p in state[0])

    def step(x: np.ndarray, y: np.ndarray) -> None:
        state[0] = jax.block_until_ready(update(state[0], x, y))
    return step


def make(name: str, batch: int, n_steps: int) -> tuple[Step, np.ndarray, np.ndarray]:
    """Contender ``name``'s step and its data (the step objects of tensor_step where they exist)."""
    if name in FROM_TENSOR_STEP:
        return setup(FROM_TENSOR_STEP[name], batch, n_steps)
    Ws, bs, X, Y = problem(batch, n_steps)
    if name == "jax":
        return jax_step(Ws, bs), X, Y
    return compiled_step(name == "compiled-fused", Ws, bs), X, Y


def steps_for(batch: int) -> int:
    return 1500 if batch >= 40 else 10000


def worker(name: str, batch_text: str, what: str = "step") -> dict[str, float]:
    """Microseconds of CPU time per step (``what="step"``), or milliseconds to compile and
    run the first step in this fresh process (``what="compile"``)."""
    batch = int(batch_text)
    if what == "compile":
        import nn.optim  # noqa: F401 -- imports are not the compiler's time
        compiler()
        Ws, bs, X, Y = problem(batch, 1)
        t0 = time.process_time()
        step = compiled_step(name == "compiled-fused", Ws, bs)
        step(X, Y)
        return {"ms": 1e3 * (time.process_time() - t0)}
    n_steps = steps_for(batch)
    step, X, Y = make(name, batch, n_steps)
    for i in range(50):  # warm-up (the compiled contenders trace here)
        step(X[i * batch:(i + 1) * batch], Y[i * batch:(i + 1) * batch])
    t0 = time.process_time()
    for i in range(n_steps):
        step(X[i * batch:(i + 1) * batch], Y[i * batch:(i + 1) * batch])
    result = {"us": 1e6 * (time.process_time() - t0) / n_steps}
    if name == "jax":
        result["cpus"] = len(os.sched_getaffinity(0))
    return result


def verdict(label: str, value: float, target: float, at_most: bool, goal: float | None = None) -> str:
    ok = value <= target if at_most else value >= target
    sign = "<=" if at_most else ">="
    extra = "" if goal is None else f", goal {sign} {goal:.1f}: " + ("met" if value <= goal else "not met")
    return f"  {label:<22} {value:6.2f}   target {sign} {target:.1f}: {'PASS' if ok else 'MISS'}{extra}"


def ratios(medians: dict[tuple[str, ...], dict[str, float]]) -> None:
    print("\nratios of the medians")
    for case, med in medians.items():
        print(f"batch {case[0]}")
        print(verdict("compiled / numpy", med["compiled"] / med["numpy"], 1.0, True, goal=0.8))
        if "jax" in med:
            print(verdict("compiled / jax", med["compiled"] / med["jax"], 1.0, True))
        if "torch" in med:
            print(verdict("torch / compiled", med["torch"] / med["compiled"], 2.5, False))


def main(repeats: int) -> None:
    contenders = ["compiled", "compiled-fused", "numpy"]
    for optional in ("jax", "torch"):
        if importlib.util.find_spec(optional):
            contenders.append(optional)
        else:
            print(f"{optional} is not installed: the {optional} contender is skipped")
    contenders.append("chainrule-eager")
    prefix = {"jax": ["taskset", "-c", "0"]} if shutil.which("taskset") else {}
    if not prefix:
        print("taskset not found: the jax worker runs unpinned (XLA flags still ask for one thread)")
    print(f"784-32-16-10 sigmoid MSE SGD lr {LR:g}, float32, one thread; microseconds of CPU time per "
          "training step (forward, backward, update)")
    medians = compare(MODULE, contenders, [["40"], ["1"]], repeats=repeats, metric="us",
                      unit="us per step", prefix=prefix)
    ratios(medians)
    compile_times = [run_worker(MODULE, ["compiled", "40", "compile"])["ms"] for _ in range(max(repeats, 5))]
    ms = statistics.median(compile_times)
    mark = "PASS" if ms <= COMPILE_TARGET_MS else "MISS"
    print(f"\ncompile time of the natural network (trace + generate + first call, batch 40), median of "
          f"{len(compile_times)} fresh processes: {ms:.1f} ms (target <= {COMPILE_TARGET_MS:.0f} ms: {mark});"
          f" all: {', '.join(f'{t:.1f}' for t in compile_times)}")


# -- --profile ------------------------------------------------------------------------------------------

def per_step(fn: Callable[[int], Any], n: int) -> float:
    """Microseconds of CPU time per call of ``fn(i)`` for i in range(n)."""
    t0 = time.process_time()
    for i in range(n):
        fn(i)
    return 1e6 * (time.process_time() - t0) / n


def captured_call(step: Any, x: np.ndarray, y: np.ndarray) -> tuple[Callable[..., Any], tuple]:
    """The generated function and the arguments the wrapper passes it, caught during a ``step(x, y)``
    (after a first one: it traces)."""
    step(x, y)
    last = step._last
    function = last.function
    seen: list[tuple] = []

    def spy(*arrays: Any) -> Any:
        seen.append(arrays)
        return function(*arrays)
    last.function = spy
    try:
        step(x, y)
    finally:
        last.function = function
    return function, seen[-1]


class DotRecorder:
    """Stands for ``np`` in the generated program's globals: records every ``np.dot`` call."""

    def __init__(self) -> None:
        self.calls: list[tuple[np.ndarray, np.ndarray]] = []

    def dot(self, a: np.ndarray, b: np.ndarray) -> Any:
        self.calls.append((a, b))
        return np.dot(a, b)

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)


def dot_calls(function: Callable[..., Any], arrays: tuple) -> list[tuple[np.ndarray, np.ndarray]]:
    """The ``np.dot`` calls (their operands) that one run of the generated ``function`` makes."""
    space = function.__globals__
    recorder = DotRecorder()
    space["np"] = recorder
    try:
        function(*arrays)
    finally:
        space["np"] = np
    return recorder.calls


@dataclass
class Prepared:
    """A compiled step at ``batch`` with ``steps_for(batch)`` batches of data, and the generated
    function with the arguments the wrapper passed it (x and y first, as ``step`` takes them)."""

    batch: int
    X: np.ndarray
    Y: np.ndarray
    step: Any
    function: Callable[..., Any]
    arrays: tuple

    @classmethod
    def make(cls, batch: int) -> Prepared:
        Ws, bs, X, Y = problem(batch, steps_for(batch))
        step = compiled_step(False, Ws, bs)
        step(X[batch:2 * batch], Y[batch:2 * batch])  # traced; the next call, on other values, checks it
        step(X[2 * batch:3 * batch], Y[2 * batch:3 * batch])
        function, arrays = captured_call(step, X[:batch], Y[:batch])
        assert np.shares_memory(arrays[0], X) and np.shares_memory(arrays[1], Y), "x, y are not first"
        return cls(batch, X, Y, step, function, arrays)

    def xy(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``i`` (a fresh slice each step, as in training: not the same cache-warm rows)."""
        b = self.batch
        return self.X[i * b:(i + 1) * b], self.Y[i * b:(i + 1) * b]

    def run_step(self, i: int) -> None:
        self.step(*self.xy(i))

    def run_program(self, i: int) -> None:
        self.function(*self.xy(i), *self.arrays[2:])


def medians(timed: dict[str, Callable[[int], Any]], n: int, rounds: int = 5) -> dict[str, float]:
    """Microseconds per call of each of ``timed``, alternating over ``rounds``, medians."""
    runs: dict[str, list[float]] = {k: [] for k in timed}
    for _ in range(rounds):
        for k, fn in timed.items():
            runs[k].append(per_step(fn, n))
    return {k: statistics.median(v) for k, v in runs.items()}


def wrapper_share(batch: int) -> None:
    """``step(x, y)`` against the generated program called directly on the same arrays."""
    prep = Prepared.make(batch)
    med = medians({"step": prep.run_step, "program": prep.run_program}, steps_for(batch))
    wrapper = med["step"] - med["program"]
    print(f"batch {batch:>2}: step(x, y) {med['step']:6.1f} us = generated program {med['program']:6.1f} us "
          f"({med['program'] / med['step']:4.0%}) + Python wrapper {wrapper:5.1f} us "
          f"({wrapper / med['step']:4.0%})")


def gemm_floor(batch: int = 40) -> None:
    """The program's ``np.dot`` calls alone, on the operands they get (x a fresh batch each
    time, as in the step), against the whole step."""
    prep = Prepared.make(batch)
    x0 = prep.arrays[0]
    calls = dot_calls(prep.function, prep.arrays)
    products = [(a, b) for a, b in calls if a.ndim == 2 and b.ndim == 2]
    dot = np.dot

    def only(chosen: list[tuple[np.ndarray, np.ndarray]]) -> Callable[[int], None]:
        def run(i: int) -> None:
            x = prep.xy(i)[0]
            for a, b in chosen:
                dot(x if a is x0 else a, x if b is x0 else b)
        return run
    timed = {"step": prep.run_step, "products": only(products), "all dots": only(calls)}
    med = medians(timed, steps_for(batch))
    shapes = ", ".join(f"{a.shape}·{b.shape}" for a, b in products)
    floor = med["products"]
    print(f"\nGEMM floor at batch {batch}: the program makes {len(calls)} np.dot calls, "
          f"{len(products)} of them matrix products ({shapes})")
    print(f"  the {len(products)} products alone  {floor:6.1f} us")
    print(f"  all {len(calls)} np.dot calls    {med['all dots']:6.1f} us (the bias sums np.dot(ones, δ) too)")
    print(f"  the whole step         {med['step']:6.1f} us = x{med['step'] / floor:.2f} the product floor, "
          f"{med['step'] - floor:.1f} us above it")


def busiest(batch: int = 40) -> None:
    import cProfile
    import pstats
    n = steps_for(batch)
    Ws, bs, X, Y = problem(batch, n)
    step = compiled_step(False, Ws, bs)
    step(X[:batch], Y[:batch])
    prof = cProfile.Profile()
    prof.enable()
    for i in range(n):
        step(X[i * batch:(i + 1) * batch], Y[i * batch:(i + 1) * batch])
    prof.disable()
    print(f"\ncProfile of {n} compiled steps at batch {batch}, busiest functions first:")
    pstats.Stats(prof).sort_stats("tottime").print_stats(12)
    print("the generated program (its function):\n" + "def step" + step.source.split("\ndef step", 1)[-1])


def profile() -> None:
    print("where the compiled step's time goes (natural spelling, SGD compiled in; one thread, CPU time, "
          "medians of 5 alternating rounds)")
    for batch in (40, 1):
        wrapper_share(batch)
    gemm_floor()
    busiest()


if __name__ == "__main__":
    if is_worker():
        emit(worker(*sys.argv[2:]))
    elif "--profile" in sys.argv:
        if any(os.environ.get(k) != v for k, v in ONE_THREAD.items()):  # BLAS reads them as it loads
            env = {**os.environ, **ONE_THREAD}
            os.execve(sys.executable, [sys.executable, "-m", MODULE, *sys.argv[1:]], env)  # one thread
        profile()
    else:
        main(int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 5)
