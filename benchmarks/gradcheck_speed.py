"""Gradient-check speed: all 25,818 parameters of a 784-32-16-10 sigmoid MLP, MSE, batch 10.

Contenders, each in its own single-thread process, alternating, medians reported:

* ``numpy-loop`` -- ``check_gradient`` on a hand-written numpy forward and
  backward, one forward per perturbed element (2 per element, in place);
* ``numpy-vec`` -- the same with ``vectorized=True``: the forward is written
  with broadcasting, so one call evaluates many perturbed copies;
* ``chainrule`` -- ``gradcheck`` of the same network written with ``Tensor``;
* ``torch`` -- ``torch.autograd.gradcheck`` (float64, full numerical Jacobian,
  its default ``fast_mode=False``) on the same network;
* ``torch-fast`` -- ``torch.autograd.gradcheck(..., fast_mode=True)``: one random
  direction, not an element-by-element check.

    python -m benchmarks.gradcheck_speed [--repeats N]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

from benchmarks.common import compare, emit, is_worker
from demos.gradcheck_handwritten import make_problem, textbook_gradient

SIZES = (784, 32, 16, 10)
BATCH = 10
CONTENDERS = ("numpy-loop", "numpy-vec", "chainrule", "torch", "torch-fast")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def numpy_functions(X: np.ndarray, Y: np.ndarray) -> tuple[Any, Any, Any]:
    """(cost, vectorized cost, hand-written gradient) of the demo's problem: the costs in plain
    numpy (the vectorized one evaluates a stack of perturbed copies at once), the gradient
    the demo's delta formulas."""
    def cost(*p: np.ndarray) -> Any:
        A = X
        for W, b in zip(p[0::2], p[1::2]):
            A = _sigmoid(A @ np.swapaxes(W, -1, -2) + b[..., None, :])
        return np.mean((A - Y) ** 2, axis=(-2, -1))

    return (lambda *p: float(cost(*p))), cost, textbook_gradient(X, Y)


def worker(name: str) -> dict[str, float]:
    """Time one full check; report seconds and how many elements were checked."""
    params, X, Y = make_problem(0, SIZES, BATCH)
    start = time.perf_counter()
    if name.startswith("numpy"):
        from autograd import check_gradient
        cost, cost_vec, grad = numpy_functions(X, Y)
        vec = name == "numpy-vec"
        report = check_gradient(cost_vec if vec else cost, grad, *params, vectorized=vec)
        checked, passed = sum(r.checked for r in report.inputs), report.passed
    elif name == "chainrule":
        from autograd import Tensor, gradcheck
        Xt, Yt = Tensor(X), Tensor(Y)

        def net(*p: Tensor) -> Tensor:
            A = Xt
            for W, b in zip(p[0::2], p[1::2]):
                A = (A @ W.T + b).sigmoid()
            return ((A - Yt) ** 2).mean()

        report = gradcheck(net, *params)
        checked, passed = sum(r.checked for r in report.inputs), report.passed
    else:
        import torch
        torch.set_num_threads(1)
        Xt, Yt = torch.tensor(X), torch.tensor(Y)
        tp = [torch.tensor(p, requires_grad=True) for p in params]

        def tnet(*p: torch.Tensor) -> torch.Tensor:
            A = Xt
            for W, b in zip(p[0::2], p[1::2]):
                A = torch.sigmoid(A @ W.T + b)
            return ((A - Yt) ** 2).mean()

        start = time.perf_counter()
        passed = torch.autograd.gradcheck(tnet, tuple(tp), fast_mode=name == "torch-fast")
        checked = 1 if name == "torch-fast" else sum(p.numel() for p in tp)
    return {"seconds": time.perf_counter() - start, "checked": float(checked), "passed": float(passed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n = sum(a * b + b for a, b in zip(SIZES[:-1], SIZES[1:]))
    print(f"checking all {n} parameters of a {'-'.join(map(str, SIZES))} MLP, batch {BATCH}, float64")
    compare("benchmarks.gradcheck_speed", CONTENDERS, [[]], args.repeats, "seconds", "s")


if __name__ == "__main__":
    if is_worker():
        emit(worker(sys.argv[2]))
    else:
        main()
