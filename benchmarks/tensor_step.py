"""The Tensor engine against PyTorch and hand-written numpy (issue 3's benchmark).

The student's network from DESIGN.md (784-32-16-10, sigmoid, MSE, SGD lr 4,
float32) trained step by step on Fashion-MNIST images, at batch 40 and batch 1:

* ``chainrule`` -- written with ``autograd.Tensor`` (forward, ``backward()``, ``p.data -= lr * p.grad``);
* ``torch``     -- the same in PyTorch CPU (one thread);
* ``numpy``     -- the delta formulas written by hand in numpy (no autograd at all).

Run: ``python -m benchmarks.tensor_step`` (torch optional: skipped if missing);
``python -m benchmarks.tensor_step --profile`` shows where chainrule's step goes.
"""

from __future__ import annotations

import gzip
import importlib.util
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


def make_step(name: str, Ws: list[np.ndarray], bs: list[np.ndarray]) -> Step:
    """One SGD step of the recipe for contender ``name``."""
    if name == "chainrule":
        from autograd import Tensor, linear
        W = [Tensor(w, requires_grad=True) for w in Ws]
        B = [Tensor(b, requires_grad=True) for b in bs]
        params = W + B

        def step(x: np.ndarray, y: np.ndarray) -> None:
            a = Tensor(x)
            for w, b in zip(W, B):
                a = linear(a, w, b).sigmoid()
            loss = ((a - y) ** 2).mean()
            loss.backward()
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
                a = torch.sigmoid(a @ w.T + b)
            loss = ((a - torch.from_numpy(y)) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                for p in tparams:
                    p -= LR * p.grad
                    p.grad = None
        return tstep
    NW, NB = [w.copy() for w in Ws], [b.copy() for b in bs]

    def nstep(x: np.ndarray, y: np.ndarray) -> None:
        acts = [x]
        for w, b in zip(NW, NB):
            acts.append(1 / (1 + np.exp(-(acts[-1] @ w.T + b))))
        a = acts[-1]
        delta = 2 * (a - y) / a.size * a * (1 - a)  # δ(L) = ∂C/∂a ⊙ σ'(z), batch-averaged
        for layer in range(len(NW) - 1, -1, -1):
            grad_w, grad_b = delta.T @ acts[layer], delta.sum(axis=0)
            if layer:
                delta = (delta @ NW[layer]) * acts[layer] * (1 - acts[layer])  # δ(l) = Wᵀδ(l+1) ⊙ σ'
            NW[layer] -= LR * grad_w
            NB[layer] -= LR * grad_b
    return nstep


def setup(name: str, batch: int, n_steps: int) -> tuple[Step, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = images(batch * n_steps)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, len(X))]
    Ws = [rng.uniform(-1, 1, (SIZES[i + 1], SIZES[i])).astype(np.float32) for i in range(3)]
    bs = [rng.uniform(-1, 1, SIZES[i + 1]).astype(np.float32) for i in range(3)]
    return make_step(name, Ws, bs), X, Y


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


def profile() -> None:
    import cProfile
    import pstats
    step, X, Y = setup("chainrule", 40, 1500)
    prof = cProfile.Profile()
    prof.enable()
    for i in range(1500):
        step(X[i * 40:(i + 1) * 40], Y[i * 40:(i + 1) * 40])
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(15)


def main() -> None:
    contenders = ["chainrule", "numpy"] + (["torch"] if importlib.util.find_spec("torch") else [])
    if "torch" not in contenders:
        print("torch is not installed: comparing with hand-written numpy only")
    print("784-32-16-10 sigmoid MSE SGD, float32, one thread; microseconds per training step")
    compare(MODULE, contenders, [["40"], ["1"]], repeats=5, metric="us", unit="us per step")


if __name__ == "__main__":
    if is_worker():
        emit(worker(*sys.argv[2:]))
    elif "--profile" in sys.argv:
        profile()
    else:
        main()
