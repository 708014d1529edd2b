"""Checking a hand-written backward pass: the textbook delta formulas in plain numpy.

A 4-5-3 sigmoid MLP with mean squared error on a batch of 6 examples.  Its
gradients come from ``nn.textbook`` -- the delta formulas, written out in numpy --
and ``autograd.check_gradient`` compares them with central differences of the
cost, element by element.  Then the same with one classic mistake: forgetting
σ'(Z(L)) in the output error, ``δ(L) = ∂C/∂A(L)`` instead of
``∂C/∂A(L) ⊙ σ'(Z(L))``.  Both reports are printed; the second names the
wrong parameters and their worst elements.  Finally a ReLU network with a unit
sitting at its kink shows a kink told apart from a bug.

    python -m demos.gradcheck_handwritten [--seed N]     (installed: chainrule gradcheck-handwritten)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import numpy as np

from autograd import GradcheckReport, check_gradient
from nn import textbook

SIZES = (4, 5, 3)
NAMES = ["W1", "b1", "W2", "b2"]
Grad = Callable[..., tuple[np.ndarray, ...]]


def make_problem(seed: int, sizes: Sequence[int] = SIZES,
                 batch: int = 6) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Parameters [W1, b1, W2, b2, ...] of an MLP with layer sizes ``sizes`` (W(l) from
    N(0, 1/n_in), b(l) from N(0, 0.01)), inputs X (batch, sizes[0]) from N(0, 1) and one-hot
    targets Y.  ``benchmarks.gradcheck_speed`` checks the same problem at MNIST size."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params += [rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_out, n_in)), rng.normal(0.0, 0.1, n_out)]
    X = rng.normal(size=(batch, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], batch)]
    return params, X, Y


def cost_function(X: np.ndarray, Y: np.ndarray, activation: str = "sigmoid") -> Callable[..., float]:
    """C(W1, b1, W2, b2): the batch's mean squared error, by ``textbook.forward`` (σ everywhere)."""
    def cost(*params: np.ndarray) -> float:
        _, As = textbook.forward(params[0::2], params[1::2], X, activation, activation)
        return textbook.cost(As[-1], Y, "mse_loss")
    return cost


def textbook_gradient(X: np.ndarray, Y: np.ndarray, activation: str = "sigmoid") -> Grad:
    """The hand-written gradient of :func:`cost_function`, the delta formulas
    (``textbook.backward``): (dW1, db1, dW2, db2, ...)."""
    def grad(*params: np.ndarray) -> tuple[np.ndarray, ...]:
        Ws, bs = params[0::2], params[1::2]
        Zs, As = textbook.forward(Ws, bs, X, activation, activation)
        dWs, dbs = textbook.backward(Ws, Zs, As, Y, activation, "mse_loss", activation)
        return tuple(g for pair in zip(dWs, dbs) for g in pair)
    return grad


def forgot_sigma_prime(X: np.ndarray, Y: np.ndarray) -> Grad:
    """The classic mistake: δ(L) = ∂C/∂A(L), without ⊙ σ'(Z(L)); the rest as the textbook."""
    def grad(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> tuple[np.ndarray, ...]:
        Zs, As = textbook.forward([W1, W2], [b1, b2], X, "sigmoid", "sigmoid")
        m, n = Y.shape
        delta2 = 2.0 * (As[2] - Y) / n
        delta1 = (delta2 @ W2) * textbook.derivative("sigmoid", Zs[0], As[1])
        return (delta1.T @ X / m, delta1.sum(0) / m, delta2.T @ As[1] / m, delta2.sum(0) / m)
    return grad


def run(seed: int) -> tuple[GradcheckReport, GradcheckReport, GradcheckReport]:
    """The three checks: textbook formulas, the σ' mistake, a ReLU unit at its kink."""
    params, X, Y = make_problem(seed)
    right = check_gradient(cost_function(X, Y), textbook_gradient(X, Y), *params, names=NAMES,
                           raise_exception=False)
    wrong = check_gradient(cost_function(X, Y), forgot_sigma_prime(X, Y), *params, names=NAMES,
                           raise_exception=False)
    relu_params = [p.copy() for p in params]
    relu_params[1][0] = -(X[0] @ relu_params[0][0])   # hidden unit 0 of example 0 at z = 0 (to rounding)
    kink = check_gradient(cost_function(X, Y, "relu"), textbook_gradient(X, Y, "relu"), *relu_params,
                          names=NAMES, raise_exception=False)
    return right, wrong, kink


def main(argv: Sequence[str] | None = None, prog: str = "python -m demos.gradcheck_handwritten") -> int:
    """Print the three reports; returns the process exit status."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the problem (default: 0)")
    args = parser.parse_args(argv)
    right, wrong, kink = run(args.seed)
    print("1. The textbook delta formulas (nn.textbook.backward):\n")
    print(right)
    print("\n2. The same, forgetting σ'(Z(L)) in δ(L):\n")
    print(wrong)
    print("\n3. ReLU hidden layer, unit 0 of example 0 at its kink z = 0 (to rounding):\n")
    print(kink)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
