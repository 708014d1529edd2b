"""Optimizers, with exactly the update rules of the design (g = the parameter's grad):

* :class:`SGD` -- θ ← θ − η g; with momentum γ: v ← γ v + η g, θ ← θ − v;
* :class:`RMSProp` -- E ← β E + (1 − β) g², θ ← θ − η g / sqrt(E + ε);
* :class:`Adam` -- m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², m̂ = m / (1 − β1ᵗ),
  v̂ = v / (1 − β2ᵗ), θ ← θ − η m̂ / (sqrt(v̂) + ε), t counting this parameter's steps.

Parameters are Tensors (updated in place; one whose ``grad`` is None is skipped) or
Values (updated through ``.data``).  ``state_dict()`` is a flat dict of plain
floats and numpy arrays (hyperparameters and per-parameter buffers ``name.i``, i
the parameter's position), so ``nn.save`` can store it and training can resume.

>>> from autograd import Value
>>> w = Value(1.0)
>>> opt = SGD([w], lr=0.1)
>>> (w * w).backward()
>>> opt.step()
>>> round(w.data, 12)  # 1 - 0.1 * 2
0.8
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Tensor, Value
from nn.module import checked_state, zero_grads

Buffer = Any
"""A per-parameter state: an ndarray for a Tensor, a float for a Value."""


def _check_rate(what: str, name: str, x: float, lo: float, hi: float | None = None) -> float:
    x = float(x)
    if not (x >= lo and (hi is None or x < hi)) or not math.isfinite(x):
        bound = f"in [{lo}, {hi})" if hi is not None else f">= {lo}"
        raise ValueError(f"{what}: {name} must be finite and {bound}, got {x!r}")
    return x


class Optimizer:
    """Base class: holds the parameters, ``zero_grad()`` and the state dict machinery.

    Subclasses list their hyperparameters in ``_hyper``, their per-parameter
    buffers (zeros of the parameter's shape at the start) in ``_buffers`` and their
    per-parameter step counts (floats, 0 at the start) in ``_counters``.
    """

    _hyper: tuple[str, ...] = ("lr",)
    _buffers: tuple[str, ...] = ()
    _counters: tuple[str, ...] = ()
    lr: float

    def __init__(self, params: Iterable[Tensor | Value], lr: float) -> None:
        what = type(self).__name__
        self.params: list[Tensor | Value] = list(params)
        if not self.params:
            raise ValueError(f"{what}: got an empty parameter list")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{what}: a parameter appears more than once in the list")
        for i, p in enumerate(self.params):
            if isinstance(p, Tensor):
                if not p.requires_grad or p.op is not None:
                    raise ValueError(f"{what}: parameter {i} must be a leaf Tensor with requires_grad=True")
            elif not isinstance(p, Value):
                raise TypeError(f"{what}: parameter {i} is a {type(p).__name__}, not a Tensor or Value")
        self.lr = _check_rate(what, "lr", lr, 0.0)
        self.state: dict[str, list[Buffer]] = {name: [self._zeros(p) for p in self.params]
                                               for name in self._buffers}
        self.state.update({name: [0.0] * len(self.params) for name in self._counters})

    @staticmethod
    def _zeros(p: Tensor | Value) -> Buffer:
        return np.zeros(p.shape, dtype=p.dtype) if isinstance(p, Tensor) else 0.0

    def step(self) -> None:
        """Update every parameter from its current grad."""
        raise NotImplementedError(f"{type(self).__name__}: step is not defined")

    def zero_grad(self) -> None:
        """Forget the gradients: a Tensor's grad becomes None, a Value's 0.0."""
        zero_grads(self.params)

    def state_dict(self) -> dict[str, Any]:
        """{hyperparameter: float} and {buffer.i: copy of parameter i's buffer as an array}."""
        out: dict[str, Any] = {name: float(getattr(self, name)) for name in self._hyper}
        for name, bufs in self.state.items():
            for i, b in enumerate(bufs):
                out[f"{name}.{i}"] = np.array(b, copy=True)
        return out

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a :meth:`state_dict`; every key and shape is checked first, and a
        wrong one raises ``ValueError`` and changes nothing."""
        self._apply_state(self._check_state(state, f"{type(self).__name__}.load_state_dict"))

    def _check_state(self, state: Mapping[str, Any], what: str) -> dict[str, np.ndarray]:
        shapes = {k: np.shape(v) for k, v in self.state_dict().items()}
        return checked_state(state, shapes, what, "the optimizer's state")

    def _apply_state(self, checked: dict[str, np.ndarray]) -> None:
        for name in self._hyper:
            setattr(self, name, float(checked[name]))
        for name, bufs in self.state.items():
            for i, p in enumerate(self.params):
                a = checked[f"{name}.{i}"]
                if isinstance(p, Tensor) and name not in self._counters:
                    bufs[i] = a.astype(p.dtype, copy=True)
                else:
                    bufs[i] = float(a)

    def __repr__(self) -> str:
        hyper = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._hyper)
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


class SGD(Optimizer):
    """θ ← θ − η g; with momentum γ > 0: v ← γ v + η g, θ ← θ − v (v starts at 0)."""

    _hyper = ("lr", "momentum")

    def __init__(self, params: Iterable[Tensor | Value], lr: float, momentum: float = 0.0) -> None:
        self.momentum = _check_rate("SGD", "momentum", momentum, 0.0, 1.0)
        self._buffers = ("velocity",) if self.momentum else ()
        super().__init__(params, lr)

    def step(self) -> None:
        """One SGD (or momentum) update of every parameter."""
        lr, gamma = self.lr, self.momentum
        velocity = self.state.get("velocity")
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if velocity is None:
                p.data -= lr * g
            elif isinstance(p, Tensor):
                v = velocity[i]
                v *= gamma
                v += lr * g
                p.data -= v
            else:
                velocity[i] = v = gamma * velocity[i] + lr * g
                p.data -= v


class RMSProp(Optimizer):
    """E ← β E + (1 − β) g²; θ ← θ − η g / sqrt(E + ε) (E starts at 0)."""

    _hyper = ("lr", "beta", "eps")
    _buffers = ("square_avg",)

    def __init__(self, params: Iterable[Tensor | Value], lr: float, beta: float = 0.9,
                 eps: float = 1e-8) -> None:
        self.beta = _check_rate("RMSProp", "beta", beta, 0.0, 1.0)
        self.eps = _check_rate("RMSProp", "eps", eps, 0.0)
        super().__init__(params, lr)

    def step(self) -> None:
        """One RMSProp update of every parameter."""
        lr, beta, eps = self.lr, self.beta, self.eps
        E = self.state["square_avg"]
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if isinstance(p, Tensor):
                e = E[i]
                e *= beta
                e += (1.0 - beta) * (g * g)
                p.data -= lr * g / np.sqrt(e + eps)
            else:
                E[i] = e = beta * E[i] + (1.0 - beta) * (g * g)
                p.data -= lr * g / math.sqrt(e + eps)


class Adam(Optimizer):
    """m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²; m̂ = m / (1 − β1ᵗ);
    v̂ = v / (1 − β2ᵗ); θ ← θ − η m̂ / (sqrt(v̂) + ε) (m, v start at 0; t = 1 at the first step)."""

    _hyper = ("lr", "beta1", "beta2", "eps")
    _buffers = ("m", "v")
    _counters = ("t",)

    def __init__(self, params: Iterable[Tensor | Value], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        if len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = _check_rate("Adam", "betas[0]", betas[0], 0.0, 1.0)
        self.beta2 = _check_rate("Adam", "betas[1]", betas[1], 0.0, 1.0)
        self.eps = _check_rate("Adam", "eps", eps, 0.0)
        super().__init__(params, lr)

    def step(self) -> None:
        """One Adam update of every parameter."""
        lr, b1, b2, eps = self.lr, self.beta1, self.beta2, self.eps
        M, V, T = self.state["m"], self.state["v"], self.state["t"]
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            T[i] = t = T[i] + 1.0
            c1, c2 = 1.0 - b1**t, 1.0 - b2**t
            if isinstance(p, Tensor):
                m, v = M[i], V[i]
                m *= b1
                m += (1.0 - b1) * g
                v *= b2
                v += (1.0 - b2) * (g * g)
                p.data -= lr * (m / c1) / (np.sqrt(v / c2) + eps)
            else:
                M[i] = m = b1 * M[i] + (1.0 - b1) * g
                V[i] = v = b2 * V[i] + (1.0 - b2) * (g * g)
                p.data -= lr * (m / c1) / (math.sqrt(v / c2) + eps)
