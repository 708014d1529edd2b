"""One pass of the student's recipe over 60,000 images: chainrule's ``nn.fit`` against PyTorch.

784-32-16-10, sigmoid everywhere, MSE on one-hot targets, SGD lr 4, batch 40, weights
and biases from U(-1, 1), float32, one shuffled pass (1,500 steps) over Fashion-MNIST's
training set (random pixels and labels if it is neither cached nor installed):

* ``chainrule`` -- ``nn.MLP`` + ``nn.fit`` exactly as ``python -m demos.mnist`` runs it;
* ``torch``     -- the same loop in PyTorch CPU (``torch.set_num_threads(1)``), starting
  from the same initial weights, indexing the same permutation of the same arrays.

Each contender runs in its own one-thread subprocess, alternating, several repeats; the
medians of CPU seconds and wall seconds per pass and their ratios are printed, with the
test accuracy of each run (a check that both trained the same thing).  Each worker first
runs a 10-step pass on 400 images, so one-time imports and lazy set-up are not timed.

Run: ``python -m benchmarks.one_pass [REPEATS]`` (torch optional: skipped if missing).
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time

import numpy as np

from benchmarks.common import emit, is_worker, run_worker

MODULE = "benchmarks.one_pass"
SIZES = [784, 32, 16, 10]
LR, BATCH = 4.0, 40


def dataset() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fashion-MNIST (float32 pixels, int64 labels), or random data of the same shape offline."""
    from nn.data import load_mnist
    try:
        d = load_mnist("fashion", download=False)
        return d.x_train, d.y_train, d.x_test, d.y_test
    except FileNotFoundError:
        rng = np.random.default_rng(0)
        return (rng.random((60_000, 784), dtype=np.float32), rng.integers(0, 10, 60_000),
                rng.random((10_000, 784), dtype=np.float32), rng.integers(0, 10, 10_000))


def initial_weights() -> list[np.ndarray]:
    """W1, b1, W2, b2, W3, b3 from U(-1, 1): ``nn.MLP``'s draw with seed 0, shared by both contenders."""
    import nn
    net = nn.MLP(SIZES, activation="sigmoid", output_activation="sigmoid", init="uniform", rng=0,
                 dtype=np.float32)
    return list(net.state_dict().values())


def run_chainrule(x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> float:
    import nn
    net = nn.MLP(SIZES, activation="sigmoid", output_activation="sigmoid", init="uniform", rng=0,
                 dtype=np.float32)
    nn.fit(net, nn.optim.SGD(net.parameters(), lr=LR), x, y, loss="mse_loss", batch_size=BATCH, rng=0,
           progress=False)
    return nn.train.evaluate(net, x_test, y_test).accuracy


def run_torch(x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> float:
    import torch
    torch.set_num_threads(1)
    weights = initial_weights()
    layers: list[torch.nn.Module] = []
    for k, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        linear = torch.nn.Linear(n_in, n_out)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weights[2 * k]))
            linear.bias.copy_(torch.from_numpy(weights[2 * k + 1]))
        layers += [linear, torch.nn.Sigmoid()]
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    X, Y = torch.from_numpy(x), torch.from_numpy(np.eye(10, dtype=np.float32)[y])
    order = torch.from_numpy(np.random.default_rng(0).permutation(len(x)))
    for i in range(0, len(x), BATCH):
        idx = order[i:i + BATCH]
        loss = torch.nn.functional.mse_loss(net(X[idx]), Y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float((net(torch.from_numpy(x_test)).argmax(1).numpy() == y_test).mean())


def worker(name: str) -> dict[str, float]:
    x, y, x_test, y_test = dataset()
    run = run_chainrule if name == "chainrule" else run_torch
    run(x[:400], y[:400], x_test[:100], y_test[:100])  # imports and lazy set-up (torch's is ~1 s) untimed
    wall, cpu = time.perf_counter(), time.process_time()
    accuracy = run(x, y, x_test, y_test)
    return {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall, "accuracy": accuracy}


def main(repeats: int) -> None:
    contenders = ["chainrule"] + (["torch"] if importlib.util.find_spec("torch") else [])
    if len(contenders) == 1:
        print("torch is not installed: timing chainrule alone")
    else:
        import torch
        print(f"PyTorch {torch.__version__}")
    print(f"one pass, 60,000 images, batch {BATCH}, lr {LR:g}, {'-'.join(map(str, SIZES))} sigmoid MSE SGD, "
          f"float32, one thread; {repeats} alternating runs each (evaluation of the test set included)")
    samples: dict[str, list[dict[str, float]]] = {c: [] for c in contenders}
    for _ in range(repeats):
        for c in contenders:
            samples[c].append(run_worker(MODULE, [c]))
    med = {c: {k: statistics.median(s[k] for s in runs) for k in ("cpu", "wall", "accuracy")}
           for c, runs in samples.items()}
    for c in contenders:
        mine = med["chainrule"]
        ratio = "" if c == "chainrule" else (f"   chainrule / {c}: cpu x{mine['cpu'] / med[c]['cpu']:.2f}, "
                                             f"wall x{mine['wall'] / med[c]['wall']:.2f}")
        print(f"  {c:<10} median cpu {med[c]['cpu']:6.3f} s  wall {med[c]['wall']:6.3f} s  "
              f"test accuracy {100 * med[c]['accuracy']:5.2f} %{ratio}")


if __name__ == "__main__":
    if is_worker():
        emit(worker(*sys.argv[2:]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
