"""The Tensor engine against PyTorch and hand-written numpy (issue 3's benchmark).

The student's network from DESIGN.md (784-32-16-10, sigmoid, MSE, SGD lr 4,
float32) trained step by step on Fashion-MNIST images, at batch 40 and batch 1:

* ``chainrule``     -- ``autograd.Tensor`` with ``nn.mse_loss`` (forward, ``backward()``,
  ``p.data -= lr * p.grad``);
* ``chainrule-ops`` -- the same with the loss composed of elementwise ops, ``((a - y) ** 2).mean()``;
* ``chainrule-natural`` -- the step as a learner writes it: ``(a @ W.T + b).sigmoid()`` for each
  layer and ``((a - y) ** 2).mean()`` for the loss, ``y`` a numpy array;
* ``torch``         -- the same in PyTorch CPU (one thread, ``F.mse_loss``);
* ``numpy``         -- the delta formulas written by hand in numpy (no autograd at all);
* ``numpy-dot``     -- the same with ``np.dot`` for the products, which, unlike ``@``, calls
  BLAS when the inner dimension is 1 (batch 1's weight gradients).

Run: ``python -m benchmarks.tensor_step`` (torch optional: skipped if missing);
``python -m benchmarks.tensor_step --profile [CONTENDER]`` shows where chainrule's step (or
``chainrule-natural``'s, ...) goes:
forward, backward and update against hand-written numpy, then the busiest functions.
"""

from __future__ import annotations

import gzip
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.common import compare, emit, is_worker

MODULE = "benchmarks.tensor_step"
FASHION = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
SIZES = [784, 32, 16, 10]
LR = 4.0


def images(n: int) -> np.ndarray:
    """n Fashion-MNIST images as float32 rows in [0, 1] (random pixels if the Debian package is absent)."""
    if FASHION.exists():
        with gzip.open(FASHION) as f:
            raw = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
        return (raw[:n] / 255.0).astype(np.float32)
    return np.random.default_rng(0).random((n, 784), dtype=np.float32)


Step = Callable[[np.ndarray, np.ndarray], None]
Mark = Callable[[], None]


def make_step(name: str, Ws: list[np.ndarray], bs: list[np.ndarray], mark: Mark | None = None) -> Step:
    """One SGD step of the recipe for contender ``name``; chainrule's and numpy's call
    ``mark`` (when given) after the forward pass and after the gradients."""
    if name.startswith("chainrule"):
        import nn
        from autograd import Tensor, linear
        W = [Tensor(w, requires_grad=True) for w in Ws]
        B = [Tensor(b, requires_grad=True) for b in bs]
        params = W + B
        composed = name in ("chainrule-ops", "chainrule-natural")
        natural = name == "chainrule-natural"

        def step(x: np.ndarray, y: np.ndarray) -> None:
            a = Tensor(x)
            for w, b in zip(W, B):
                a = (a @ w.T + b).sigmoid() if natural else linear(a, w, b).sigmoid()
            loss = ((a - y) ** 2).mean() if composed else nn.mse_loss(a, y)
            if mark is not None:
                mark()
            loss.backward()
            if mark is not None:
                mark()
            for p in params:
                p.data -= LR * p.grad
                p.grad = None
        return step
    if name == "torch":
        import torch
        torch.set_num_threads(1)
        TW = [torch.tensor(w, requires_grad=True) for w in Ws]
        TB = [torch.tensor(b, requires_grad=True) for b in bs]
        tparams = TW + TB

        def tstep(x: np.ndarray, y: np.ndarray) -> None:
            a = torch.from_numpy(x)
            for w, b in zip(TW, TB):
                a = torch.sigmoid(torch.nn.functional.linear(a, w, b))
            loss = torch.nn.functional.mse_loss(a, torch.from_numpy(y))
            loss.backward()
            with torch.no_grad():
                for p in tparams:
                    p -= LR * p.grad
                    p.grad = None
        return tstep
    NW, NB = [w.copy() for w in Ws], [b.copy() for b in bs]
    mm = np.dot if name == "numpy-dot" else np.matmul

    def nstep(x: np.ndarray, y: np.ndarray) -> None:
        acts = [x]
        for w, b in zip(NW, NB):
            acts.append(1 / (1 + np.exp(-(mm(acts[-1], w.T) + b))))
        if mark is not None:
            mark()
        a = acts[-1]
        delta = 2 * (a - y) / a.size * a * (1 - a)  # δ(L) = ∂C/∂a ⊙ σ'(z), batch-averaged
        grads = []
        for layer in range(len(NW) - 1, -1, -1):
            grads.append((layer, mm(delta.T, acts[layer]), delta.sum(axis=0)))
            if layer:
                delta = mm(delta, NW[layer]) * acts[layer] * (1 - acts[layer])  # δ(l) = Wᵀδ(l+1) ⊙ σ'
        if mark is not None:
            mark()
        for layer, grad_w, grad_b in grads:
            NW[layer] -= LR * grad_w
            NB[layer] -= LR * grad_b
    return nstep


def setup(name: str, batch: int, n_steps: int,
          mark: Mark | None = None) -> tuple[Step, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = images(batch * n_steps)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, len(X))]
    Ws = [rng.uniform(-1, 1, (SIZES[i + 1], SIZES[i])).astype(np.float32) for i in range(3)]
    bs = [rng.uniform(-1, 1, SIZES[i + 1]).astype(np.float32) for i in range(3)]
    return make_step(name, Ws, bs, mark), X, Y


def worker(name: str, batch_text: str) -> dict[str, float]:
    batch = int(batch_text)
    n_steps = 1500 if batch >= 40 else 4000
    step, X, Y = setup(name, batch, n_steps)
    for i in range(50):  # warm-up
        step(X[i * batch:(i + 1) * batch], Y[i * batch:(i + 1) * batch])
    t0 = time.process_time()
    for i in range(n_steps):
        step(X[i * batch:(i + 1) * batch], Y[i * batch:(i + 1) * batch])
    return {"us": 1e6 * (time.process_time() - t0) / n_steps}


def phases(name: str, batch: int, n_steps: int) -> dict[str, float]:
    """Microseconds per step spent in forward, backward and update (numpy: the delta
    formulas count as backward), timed in place over ``n_steps`` steps."""
    clock = time.perf_counter
    marks: list[float] = []
    step, X, Y = setup(name, batch, n_steps, mark=lambda: marks.append(clock()))
    spent = {"forward": 0.0, "backward": 0.0, "update": 0.0}
    for i in range(n_steps):
        marks.clear()
        t0 = clock()
        step(X[i * batch:(i + 1) * batch], Y[i * batch:(i + 1) * batch])
        t3 = clock()
        t1, t2 = marks
        spent["forward"] += t1 - t0
        spent["backward"] += t2 - t1
        spent["update"] += t3 - t2
    return {k: 1e6 * v / n_steps for k, v in spent.items()}


def profile(contender: str = "chainrule") -> None:
    import cProfile
    import pstats
    for batch in (40, 1):
        runs: dict[str, list[dict[str, float]]] = {contender: [], "numpy": []}
        for _ in range(5):  # alternating, medians: a shared machine's load comes and goes
            for name, got in runs.items():
                got.append(phases(name, batch, 1500))
        for name, got in runs.items():
            print(f"batch {batch:>2} {name:<17} " + "  ".join(
                f"{k} {statistics.median(r[k] for r in got):6.1f} us" for k in got[0]))
    step, X, Y = setup(contender, 40, 1500)
    prof = cProfile.Profile()
    prof.enable()
    for i in range(1500):
        step(X[i * 40:(i + 1) * 40], Y[i * 40:(i + 1) * 40])
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(15)


def main() -> None:
    contenders = ["chainrule", "chainrule-ops", "chainrule-natural", "numpy", "numpy-dot"]
    contenders += ["torch"] if importlib.util.find_spec("torch") else []
    if "torch" not in contenders:
        print("torch is not installed: comparing with hand-written numpy only")
    print("784-32-16-10 sigmoid MSE SGD, float32, one thread; microseconds per training step")
    compare(MODULE, contenders, [["40"], ["1"]], repeats=5, metric="us", unit="us per step")


if __name__ == "__main__":
    if is_worker():
        emit(worker(*sys.argv[2:]))
    elif "--profile" in sys.argv:
        profile(*sys.argv[sys.argv.index("--profile") + 1:][:1])
    else:
        main()
