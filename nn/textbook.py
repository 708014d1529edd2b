"""Backpropagation by the hand-derived formulas, in plain numpy: the independent
reference that autograd's gradients are tested against.  Imports nothing from
``autograd``.

The math (one example as a column vector; layers l = 1 ... L)::

    Z(l) = W(l) A(l-1) + b(l),   A(l) = σ(Z(l)),   A(0) = x
    δ(L) = ∂C/∂A(L) ⊙ σ'(Z(L))                       (softmax + cross-entropy: δ(L) = A(L) - y)
    δ(l) = (W(l+1))ᵀ δ(l+1) ⊙ σ'(Z(l))
    ∂C/∂W(l) = δ(l) (A(l-1))ᵀ,   ∂C/∂b(l) = δ(l)        averaged over the m examples of a batch

σ' is σ(1 - σ) for sigmoid, 1 - tanh² for tanh, 1[z > 0] for ReLU, 1 for the identity.

Mapping to code: a batch is a matrix with one example per ROW, so the column
formulas are transposed: ``Z = A_prev @ W.T + b`` (shape (m, n_l)), the rows of
``delta`` are the δ(l) of each example, ``delta(l) = delta(l+1) @ W(l+1) * σ'(Z(l))``,
``dW = delta.T @ A_prev / m`` and ``db = delta.sum(0) / m``.  Lists are 0-based:
``weights[l-1]`` is W(l) (shape (n_l, n_{l-1}), as ``nn.Linear.weight``),
``Zs[l-1]`` is Z(l), and ``As[l]`` is A(l) with ``As[0]`` the input X.

Losses (C per example; a batch averages C over its m examples), named by the ``nn``
function that computes them:

* ``"mse_loss"`` -- C = (1/n) Σ_i (a_i - y_i)², so ∂C/∂a_i = 2(a_i - y_i)/n (``nn.mse_loss``
  of the output A(L));
* ``"cross_entropy"`` -- A(L) = softmax(Z(L)), C = -Σ_k y_k log a_k, δ(L) = A(L) - y
  (``nn.cross_entropy`` of the logits Z(L));
* ``"binary_cross_entropy_with_logits"`` -- A(L) = σ(Z(L)),
  C = (1/n) Σ_i -[y_i log a_i + (1 - y_i) log(1 - a_i)], δ(L) = (A(L) - y)/n
  (``nn.binary_cross_entropy_with_logits`` of the logits Z(L), mean over all elements).

The output activation is None by default (A(L) = Z(L)), as in ``nn.MLP``; the two
cross-entropies imply theirs.

>>> import numpy as np
>>> W, b = [np.array([[1.0, -1.0]])], [np.array([0.0])]
>>> Zs, As = forward(W, b, np.array([[2.0, 1.0]]), "sigmoid", "sigmoid")
>>> dWs, dbs = backward(W, Zs, As, np.array([[1.0]]), "sigmoid", "mse_loss", "sigmoid")
>>> dbs[0].round(6)   # 2 (σ(1) - 1) σ(1)(1 - σ(1))
array([-0.105754])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

HIDDEN = ("sigmoid", "tanh", "relu")
OUTPUTS = ("sigmoid", "tanh", "relu", "softmax", "identity")
LOSSES = ("mse_loss", "cross_entropy", "binary_cross_entropy_with_logits")
_IMPLIED = {"cross_entropy": "softmax", "binary_cross_entropy_with_logits": "sigmoid"}


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^-z), computed without overflow for any z."""
    e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(Z: np.ndarray) -> np.ndarray:
    """softmax of each row: e^(z_k - max z) / Σ_j e^(z_j - max z)."""
    e = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def activate(name: str, Z: np.ndarray) -> np.ndarray:
    """σ(Z) for ``name`` in sigmoid, tanh, relu, softmax (over each row), identity."""
    if name == "sigmoid":
        return sigmoid(Z)
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.maximum(Z, 0.0)
    if name == "softmax":
        return softmax(Z)
    if name == "identity":
        return Z
    raise ValueError(f"textbook.activate: unknown activation {name!r}; known: {', '.join(OUTPUTS)}")


def derivative(name: str, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """σ'(Z) elementwise, from Z and A = σ(Z): sigmoid A(1 - A), tanh 1 - A²,
    ReLU 1[Z > 0], identity 1 (softmax has no elementwise derivative)."""
    if name == "sigmoid":
        return A * (1.0 - A)
    if name == "tanh":
        return 1.0 - A * A
    if name == "relu":
        return (Z > 0).astype(Z.dtype)
    if name == "identity":
        return np.ones_like(Z)
    raise ValueError(f"textbook.derivative: no elementwise derivative for {name!r}; "
                     f"known: sigmoid, tanh, relu, identity")


def _output_name(what: str, output_activation: str | None) -> str:
    """The last layer's activation: ``output_activation``, "identity" for None."""
    if output_activation is None:
        return "identity"
    if output_activation not in OUTPUTS[:-1]:
        raise ValueError(f"{what}: output_activation must be None or one of {OUTPUTS[:-1]}, "
                         f"got {output_activation!r}")
    return output_activation


def forward(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], X: np.ndarray, activation: str,
            output_activation: str | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(Zs, As): Z(l) = A(l-1) @ W(l)ᵀ + b(l) and A(l) = σ(Z(l)) for every layer, with
    ``As[0] = X`` (rows = examples).  Hidden layers use ``activation`` (sigmoid, tanh,
    relu); the last uses ``output_activation`` as ``nn.MLP`` does: None (A(L) = Z(L)), or
    sigmoid, tanh, relu, softmax (pass ``activation`` again for σ everywhere, as in the math)."""
    if len(weights) != len(biases) or not weights:
        raise ValueError(f"textbook.forward: needs as many weights as biases (at least one), "
                         f"got {len(weights)} and {len(biases)}")
    if activation not in HIDDEN:
        raise ValueError(f"textbook.forward: activation must be one of {HIDDEN}, got {activation!r}")
    out = _output_name("textbook.forward", output_activation)
    A = np.asarray(X, dtype=np.float64)
    Zs, As = [], [A]
    for k, (W, b) in enumerate(zip(weights, biases), start=1):
        if A.shape[-1] != W.shape[1]:
            raise ValueError(f"textbook.forward: layer {k}: A({k - 1}) has {A.shape[-1]} columns, "
                             f"W({k}) has shape {W.shape}")
        Z = A @ W.T + b
        A = activate(out if k == len(weights) else activation, Z)
        Zs.append(Z)
        As.append(A)
    return Zs, As


def _targets(Y: np.ndarray, A_L: np.ndarray, loss: str) -> np.ndarray:
    Y = np.asarray(Y)
    if loss == "cross_entropy" and Y.dtype.kind in "iu" and Y.shape == A_L.shape[:-1]:
        Y = np.eye(A_L.shape[-1])[Y]
    if Y.shape != A_L.shape:
        raise ValueError(f"textbook: targets have shape {Y.shape}, outputs A(L) have shape {A_L.shape}")
    return Y.astype(np.float64)


def deltas(weights: Sequence[np.ndarray], Zs: Sequence[np.ndarray], As: Sequence[np.ndarray], Y: np.ndarray,
           activation: str, loss: str, output_activation: str | None = None) -> list[np.ndarray]:
    """[δ(1), ..., δ(L)] as (m, n_l) arrays, one row per example, not averaged:
    δ(L) from the loss (module docstring), then δ(l) = δ(l+1) @ W(l+1) ⊙ σ'(Z(l)).

    ``output_activation`` matters only for ``"mse_loss"`` (as in :func:`forward`).  The
    cross-entropies take logits, as their ``nn`` functions do: they apply their own output
    activation (softmax, sigmoid) to Z(L), and ``output_activation`` may be None or that
    one.  For mse_loss with a softmax output δ(L) = J_softmaxᵀ ∂C/∂A = A ⊙ (g - Σ_k g_k a_k)
    with g = ∂C/∂A."""
    if loss not in LOSSES:
        raise ValueError(f"textbook: loss must be one of {LOSSES}, got {loss!r}")
    A_L, Z_L = As[-1], Zs[-1]
    Y = _targets(Y, Z_L, loss)
    if loss in _IMPLIED:
        if output_activation not in (None, _IMPLIED[loss]):
            raise ValueError(f"textbook: loss {loss!r} implies output activation {_IMPLIED[loss]!r}, "
                             f"got {output_activation!r}")
        A_L = activate(_IMPLIED[loss], Z_L)
        delta = A_L - Y if loss == "cross_entropy" else (A_L - Y) / A_L.shape[-1]
    else:
        g = 2.0 * (A_L - Y) / A_L.shape[-1]
        out = _output_name("textbook", output_activation)
        if out == "softmax":
            delta = A_L * (g - (g * A_L).sum(axis=-1, keepdims=True))
        else:
            delta = g * derivative(out, Z_L, A_L)
    result = [delta]
    for k in range(len(weights) - 1, 0, -1):  # delta is δ(k+1); weights[k] is W(k+1)
        delta = (delta @ weights[k]) * derivative(activation, Zs[k - 1], As[k])
        result.append(delta)
    return result[::-1]


def backward(weights: Sequence[np.ndarray], Zs: Sequence[np.ndarray], As: Sequence[np.ndarray], Y: np.ndarray,
             activation: str, loss: str,
             output_activation: str | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(dWs, dbs): ∂C/∂W(l) = δ(l) A(l-1)ᵀ and ∂C/∂b(l) = δ(l), averaged over the batch:
    ``dW = delta.T @ A_prev / m``, ``db = delta.sum(0) / m`` (``Y``: targets shaped like
    A(L), or integer labels for cross_entropy)."""
    m = As[0].shape[0]
    ds = deltas(weights, Zs, As, Y, activation, loss, output_activation)
    dWs = [d.T @ A_prev / m for d, A_prev in zip(ds, As[:-1])]
    dbs = [d.sum(axis=0) / m for d in ds]
    return dWs, dbs


def cost(A_L: np.ndarray, Y: np.ndarray, loss: str, Z_L: np.ndarray | None = None) -> float:
    """The batch's mean cost C from the outputs A(L): mse_loss (1/(m n)) Σ (a - y)²;
    cross_entropy -(1/m) Σ y log a with A(L) = softmax(Z(L)); binary_cross_entropy_with_logits
    -(1/(m n)) Σ [y log a + (1-y) log(1-a)] with A(L) = σ(Z(L)).

    With the logits ``Z_L`` the two cross-entropies are computed from them instead
    (log a = z - logsumexp(z); -[y log σ(z) + (1-y) log(1-σ(z))] = log(1 + e^z) - y z),
    which stays accurate when a is within rounding of 0 or 1."""
    if loss not in LOSSES:
        raise ValueError(f"textbook.cost: loss must be one of {LOSSES}, got {loss!r}")
    Y = _targets(Y, A_L, loss)
    if loss == "mse_loss":
        return float(np.mean((A_L - Y) ** 2))
    if loss == "cross_entropy":
        if Z_L is None:
            log_a = np.log(A_L)
        else:
            top = Z_L.max(axis=-1, keepdims=True)
            log_a = Z_L - (np.log(np.exp(Z_L - top).sum(axis=-1, keepdims=True)) + top)
        return float(-np.sum(Y * log_a) / A_L.shape[0])
    if Z_L is None:
        return float(-np.mean(Y * np.log(A_L) + (1.0 - Y) * np.log(1.0 - A_L)))
    return float(np.mean(np.logaddexp(0.0, Z_L) - Y * Z_L))
