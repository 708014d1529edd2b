"""Second derivatives against PyTorch and JAX (the create_graph issue's benchmark), float64:

(a) ``hessian``: the full 100 x 100 Hessian of a 100-parameter function, the MSE of an
    8-7-4-1 MLP (tanh hidden layers, linear output) on 32 fixed random points, as a function
    of its parameters in one flat vector (W1, b1, W2, b2, W3, b3, each row-major);
(b) ``hvp``: a Hessian-vector product H v of the student's network (784-32-16-10, sigmoid,
    MSE, batch 40 Fashion-MNIST images, ``tensor_step``'s weights) with respect to all its
    25,818 parameters, one flat vector, v random normal;
(c) ``grad``: that network's gradient alone, the first-order pass the others build on.

Contenders (``-fwd``: forward over reverse; ``-rev``: reverse over reverse):

* ``chainrule``        -- ``autograd.hessian(f)`` (the Jacobian of the gradient: one reverse pass
  per row over the recorded gradient graph), ``autograd.grad(f)``;
* ``chainrule-fwd``    -- ``autograd.jvp(autograd.grad(f), (θ,), (v,))``;
* ``chainrule-rev``    -- ``autograd.grad(lambda θ: (autograd.grad(f)(θ) * v).sum())``;
* ``torch``            -- ``torch.autograd.functional.hessian`` (one backward pass per row),
  ``torch.autograd.grad``; ``torch-vec``: the same with ``vectorize=True`` (vmap over the rows);
* ``torch-hvp``, ``torch-vhp`` -- ``torch.autograd.functional.hvp`` (the double-backward trick)
  and ``vhp`` (vᵀH = (Hv)ᵀ here, reverse over reverse);
* ``torch.func``       -- ``torch.func.hessian`` (jacfwd of jacrev),
  ``torch.func.jvp(torch.func.grad(f), ...)`` (its loss ``((a - y) ** 2).mean()``: ``F.mse_loss``
  fails there in torch 2.13);
* ``jax``, ``jax-jit`` -- ``jax.hessian`` (jacfwd of jacrev), ``jax.jvp(jax.grad(f), ...)``,
  ``jax.grad``, op by op and under ``jax.jit`` (compiled before timing; compiling is not timed).

Before timing, every contender's result is checked against chainrule's (the first contender):
max |difference| at most 1e-8 of max |chainrule's|.  Each contender runs in its own process
pinned to CPU 0, on one thread (XLA: no multi-threaded Eigen, one intra-op thread); they
alternate; each process reports the median CPU time of its calls (a second of them, at least
5), and the table the medians of those.

Run: ``python -m benchmarks.higher_order [--repeats N] [--cases hessian,hvp,grad]`` (torch and
jax optional: skipped if missing); ``python -m benchmarks.higher_order --profile`` shows where
chainrule's Hessian and Hessian-vector products go, the busiest functions first.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import compare, emit, is_worker, run_worker
from benchmarks.tensor_step import SIZES, images

MODULE = "benchmarks.higher_order"
MLP = [8, 7, 4, 1]  # 7·8 + 7 + 4·7 + 4 + 1·4 + 1 = 100 parameters
CONTENDERS = {
    "hessian": ["chainrule", "torch", "torch-vec", "torch.func", "jax", "jax-jit"],
    "hvp": ["chainrule-fwd", "chainrule-rev", "torch-hvp", "torch-vhp", "torch.func", "jax", "jax-jit"],
    "grad": ["chainrule", "torch", "jax", "jax-jit"],
}
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def problem(case: str) -> dict[str, Any]:
    """The fixed data of a case: inputs X, targets Y, the layer sizes, the flat parameters θ and,
    for ``hvp``, the direction v."""
    if case == "hessian":
        rng = np.random.default_rng(0)
        X, Y = rng.standard_normal((32, MLP[0])), rng.standard_normal((32, MLP[-1]))
        sizes, n = MLP, sum(MLP[i + 1] * (MLP[i] + 1) for i in range(len(MLP) - 1))
        return {"X": X, "Y": Y, "sizes": sizes, "theta": 0.5 * rng.standard_normal(n)}
    rng = np.random.default_rng(0)  # tensor_step.setup's draws, in its order
    X = images(40).astype(np.float64)
    Y = np.eye(10)[rng.integers(0, 10, 40)]
    Ws = [rng.uniform(-1, 1, (SIZES[i + 1], SIZES[i])) for i in range(3)]
    bs = [rng.uniform(-1, 1, SIZES[i + 1]) for i in range(3)]
    theta = np.concatenate([p.ravel() for w, b in zip(Ws, bs) for p in (w, b)])
    v = np.random.default_rng(1).standard_normal(theta.size)
    return {"X": X, "Y": Y, "sizes": SIZES, "theta": theta, "v": v}


def unflatten(theta: Any, sizes: list[int]) -> list[tuple[Any, Any]]:
    """(W, b) of each layer, slices of the flat θ (any engine's vector: slicing and reshape)."""
    layers, i = [], 0
    for n_in, n_out in zip(sizes, sizes[1:]):
        W = theta[i:i + n_out * n_in].reshape((n_out, n_in))
        i += n_out * n_in
        layers.append((W, theta[i:i + n_out]))
        i += n_out
    return layers


Call = Callable[[], Any]


def chainrule_calls(name: str, case: str, d: dict[str, Any]) -> tuple[Call, Call]:
    """The timed call and the one giving its result as an array."""
    import autograd
    import nn
    from autograd import Tensor, linear

    X, Y, sizes, theta = Tensor(d["X"]), d["Y"], d["sizes"], d["theta"]
    hidden = "tanh" if case == "hessian" else "sigmoid"
    last = len(sizes) - 2

    def f(t: Tensor) -> Tensor:
        a = X
        for k, (W, b) in enumerate(unflatten(t, sizes)):
            a = linear(a, W, b)
            if k < last or case != "hessian":
                a = getattr(a, hidden)()
        return nn.mse_loss(a, Y)

    if case == "hessian":
        hessian = autograd.hessian(f)
        return (lambda: hessian(theta)), (lambda: hessian(theta))
    grad = autograd.grad(f)
    if case == "grad":
        return (lambda: grad(theta)), (lambda: grad(theta))
    v = d["v"]
    if name == "chainrule-fwd":
        def hvp() -> Any:
            return autograd.jvp(grad, (theta,), (v,))[1]
    else:
        hvp_rev = autograd.grad(lambda t: (grad(t) * v).sum())

        def hvp() -> Any:
            return hvp_rev(theta)
    return hvp, hvp


def torch_calls(name: str, case: str, d: dict[str, Any]) -> tuple[Call, Call]:
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(1)
    X, Y, sizes = torch.from_numpy(d["X"]), torch.from_numpy(d["Y"]), d["sizes"]
    theta = torch.from_numpy(d["theta"])
    last = len(sizes) - 2

    def f(t: Any) -> Any:
        a = X
        for k, (W, b) in enumerate(unflatten(t, sizes)):
            a = F.linear(a, W, b)
            if case != "hessian":
                a = torch.sigmoid(a)
            elif k < last:
                a = torch.tanh(a)
        # F.mse_loss under torch.func.jvp of torch.func.grad fails in torch 2.13 ("ZeroTensors
        # are immutable"); the same mean written out does not.
        return ((a - Y) ** 2).mean() if name == "torch.func" else F.mse_loss(a, Y)

    call: Call
    if case == "hessian":
        if name == "torch.func":
            hessian = torch.func.hessian(f)
            call = lambda: hessian(theta)  # noqa: E731
        else:
            vectorize = name == "torch-vec"
            call = lambda: torch.autograd.functional.hessian(f, theta, vectorize=vectorize)  # noqa: E731
    elif case == "grad":
        def call() -> Any:
            t = theta.detach().requires_grad_()
            return torch.autograd.grad(f(t), t)[0]
    else:
        v = torch.from_numpy(d["v"])
        if name == "torch.func":
            grad = torch.func.grad(f)
            call = lambda: torch.func.jvp(grad, (theta,), (v,))[1]  # noqa: E731
        else:
            product = torch.autograd.functional.hvp if name == "torch-hvp" else torch.autograd.functional.vhp
            call = lambda: product(f, theta, v)[1]  # noqa: E731
    return call, lambda: call().numpy()


def jax_calls(name: str, case: str, d: dict[str, Any]) -> tuple[Call, Call]:
    os.environ["XLA_FLAGS"] = XLA_ONE_THREAD  # read when the backend starts, on the first use
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    X, Y, sizes = jnp.asarray(d["X"]), jnp.asarray(d["Y"]), d["sizes"]
    theta = jnp.asarray(d["theta"])
    last = len(sizes) - 2

    def f(t: Any) -> Any:
        a = X
        for k, (W, b) in enumerate(unflatten(t, sizes)):
            a = a @ W.T + b
            if case != "hessian":
                a = jax.nn.sigmoid(a)
            elif k < last:
                a = jnp.tanh(a)
        return jnp.mean((a - Y) ** 2)

    if case == "hessian":
        g = jax.hessian(f)
    elif case == "grad":
        g = jax.grad(f)
    else:
        grad = jax.grad(f)
        v = jnp.asarray(d["v"])

        def g(t: Any) -> Any:
            return jax.jvp(grad, (t,), (v,))[1]
    if name == "jax-jit":
        g = jax.jit(g)

    def call() -> Any:
        return g(theta).block_until_ready()
    return call, lambda: np.asarray(call())


def worker(name: str, case: str, save: str = "") -> dict[str, float]:
    """Median CPU microseconds of ``name``'s ``case`` call; ``save``: write its result there (.npy)."""
    os.sched_setaffinity(0, {0})
    d = problem(case)
    make = chainrule_calls if name.startswith("chainrule") else (
        torch_calls if name.startswith("torch") else jax_calls)
    call, result = make(name, case, d)
    if save:
        np.save(save, np.asarray(result(), dtype=np.float64))
    for _ in range(3):  # warm-up (and jax-jit's compilation)
        call()
    times: list[float] = []
    start = time.process_time()
    while len(times) < 5 or time.process_time() - start < 1.0:
        t0 = time.process_time()
        call()
        times.append(time.process_time() - t0)
    return {"us": 1e6 * statistics.median(times)}


def check(case: str, contenders: list[str]) -> None:
    """Each contender's result against the first's: max |difference| <= 1e-8 max |first's|."""
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name in contenders:
            path = str(Path(tmp) / f"{name}.npy")
            run_worker(MODULE, [name, case, path])
            results[name] = np.load(path)
    ref = results[contenders[0]]
    scale = np.abs(ref).max()
    print(f"\n{case}: result {ref.shape}, max |{contenders[0]}| {scale:.3g}; "
          "max |difference| / that, each contender:")
    for name, got in results.items():
        assert got.shape == ref.shape, (name, got.shape, ref.shape)
        err = np.abs(got - ref).max() / scale
        print(f"  {name:<14} {err:.1e}")
        assert err <= 1e-8, f"{case}: {name} differs from {contenders[0]} by {err:.1e} of its largest entry"


def profile() -> None:
    import cProfile
    import pstats

    os.sched_setaffinity(0, {0})
    for case, name, n in [("hessian", "chainrule", 100), ("hvp", "chainrule-fwd", 300),
                          ("hvp", "chainrule-rev", 300), ("grad", "chainrule", 1000)]:
        call, _ = chainrule_calls(name, case, problem(case))
        call()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            call()
        prof.disable()
        print(f"\n=== {case}, {name}: {n} calls")
        pstats.Stats(prof).sort_stats("tottime").print_stats(14)


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, metavar="N",
                        help="processes per contender and case (default: %(default)s)")
    parser.add_argument("--cases", default="hessian,hvp,grad",
                        help="comma-separated, of %(default)s (default: all)")
    parser.add_argument("--profile", action="store_true", help="profile chainrule's calls instead")
    args = parser.parse_args()
    if args.profile:
        profile()
        return
    have = {lib: importlib.util.find_spec(lib) is not None for lib in ("torch", "jax")}
    for lib, found in have.items():
        if not found:
            print(f"{lib} is not installed: its contenders are skipped")
    print(f"float64, one thread on CPU 0; median CPU microseconds per call; load {os.getloadavg()}")
    for case in args.cases.split(","):
        contenders = [c for c in CONTENDERS[case]
                      if c.startswith("chainrule") or have[c.split("-")[0].split(".")[0]]]
        check(case, contenders)
        compare(MODULE, contenders, [[case]], repeats=args.repeats, metric="us", unit="µs per call")
    print(f"\nload at the end {os.getloadavg()}")


if __name__ == "__main__":
    if is_worker():
        emit(worker(*sys.argv[2:]))
    else:
        main()
