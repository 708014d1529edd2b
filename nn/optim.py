"""Optimizers, with exactly the update rules of the design (g = the parameter's grad):

* :class:`SGD` -- θ ← θ − η g; with momentum γ: v ← γ v + η g, θ ← θ − v;
* :class:`RMSProp` -- E ← β E + (1 − β) g², θ ← θ − η g / sqrt(E + ε);
* :class:`Adam` -- m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², m̂ = m / (1 − β1ᵗ),
  v̂ = v / (1 − β2ᵗ), θ ← θ − η m̂ / (sqrt(v̂) + ε), t counting this parameter's steps.

Parameters are Tensors (updated in place; one whose ``grad`` is None is skipped) or
Values (updated through ``.data``).  Each rule is written once, as arithmetic that floats and
arrays share (``sqrt`` is ``math.sqrt`` for a Value, ``np.sqrt`` for a Tensor, as the op
table's backends do it); :meth:`Optimizer._store` keeps the result, in place for an array.
``state_dict()`` is a flat dict of plain floats and numpy arrays (hyperparameters and
per-parameter buffers ``name.i``, i the parameter's position), so ``nn.save`` can store it
and training can resume.
Each hyperparameter has one rule (its bounds in the class's ``_hyper`` table), checked
by the constructor and again by ``load_state_dict`` / ``nn.load``, which also check
that the buffers are finite (``square_avg`` and Adam's ``v`` non-negative) and that
the step counts are non-negative integers.

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
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from autograd import Tensor, Value
from nn.module import checked_state, zero_grads

Buffer = Any
"""A per-parameter state: an ndarray for a Tensor, a float for a Value."""

Bounds = tuple[float, float | None]
"""A hyperparameter's rule: finite and in [lo, hi) (hi None: no upper bound)."""


def _check_rate(what: str, name: str, x: float, bounds: Bounds) -> float:
    lo, hi = bounds
    x = float(x)
    if not (x >= lo and (hi is None or x < hi)) or not math.isfinite(x):
        bound = f"in [{lo}, {hi})" if hi is not None else f">= {lo}"
        raise ValueError(f"{what}: {name} must be finite and {bound}, got {x!r}")
    return x


def _check_buffer(what: str, key: str, b: Buffer, lo: float, dtype: Any) -> None:
    """``ValueError`` unless every entry of ``b``, stored in ``dtype``, is finite and >= ``lo``."""
    a = np.asarray(b)
    with np.errstate(over="ignore"):  # an overflow to inf is one of the faults looked for
        stored = a.astype(dtype)
    bad = ~(np.isfinite(stored) & (stored >= lo))
    if bad.any():
        where = np.unravel_index(int(np.argmax(bad)), a.shape) if a.ndim else ()
        value = float(a[where])
        rule = "finite" if lo == -math.inf else f"finite and >= {lo}"
        at = f" at index {tuple(map(int, where))}" if a.ndim else ""
        overflowed = math.isfinite(value) and value >= lo  # fine in float64, not in dtype
        beyond = f", beyond the range of {np.dtype(dtype).name}" if overflowed else ""
        raise ValueError(f"{what}: {key} must be {rule} everywhere, got {value!r}{at}{beyond}")


def _check_count(what: str, key: str, t: float) -> None:
    if not (math.isfinite(t) and t >= 0 and t == int(t)):
        raise ValueError(f"{what}: {key} counts steps, so it must be a non-negative integer, got {t!r}")


class Optimizer:
    """Base class: holds the parameters, ``zero_grad()`` and the state dict machinery.

    Subclasses list their hyperparameters with their bounds in ``_hyper``, their
    per-parameter buffers (zeros of the parameter's shape at the start) with the
    least value each may hold in ``_buffers`` (-inf: any finite value) and their
    per-parameter step counts (floats, 0 at the start) in ``_counters``.
    """

    _hyper: dict[str, Bounds] = {"lr": (0.0, None)}
    _buffers: dict[str, float] = {}
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
        self.lr = self._checked("lr", lr)
        self.state: dict[str, list[Buffer]] = {name: [self._zeros(p) for p in self.params]
                                               for name in self._buffers}
        self.state.update({name: [0.0] * len(self.params) for name in self._counters})

    @classmethod
    def _checked(cls, name: str, x: float, shown: str | None = None) -> float:
        """``x`` as a float if it obeys hyperparameter ``name``'s rule; ``shown`` names it in the error."""
        return _check_rate(cls.__name__, shown or name, x, cls._hyper[name])

    @staticmethod
    def _zeros(p: Tensor | Value) -> Buffer:
        return np.zeros(p.shape, dtype=p.dtype) if isinstance(p, Tensor) else 0.0

    def step(self) -> None:
        """Update every parameter from its current grad."""
        raise NotImplementedError(f"{type(self).__name__}: step is not defined")

    def _grads(self) -> Iterator[tuple[int, Tensor | Value, Buffer, Callable[[Buffer], Buffer]]]:
        """(i, parameter, its grad, sqrt for its kind) of each parameter with a grad."""
        for i, p in enumerate(self.params):
            g = p.grad
            if g is not None:
                yield i, p, g, (np.sqrt if isinstance(p, Tensor) else math.sqrt)

    def _store(self, name: str, i: int, new: Buffer) -> Buffer:
        """Make ``new`` parameter i's buffer ``name``: copied into the array in place (the
        one ``state`` holds), or kept as the float; returns the buffer."""
        bufs = self.state[name]
        if isinstance(bufs[i], np.ndarray):
            bufs[i][...] = new
        else:
            bufs[i] = new
        return bufs[i]

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

    def _state_shapes(self) -> dict[str, tuple[int, ...]]:
        """{key: shape} of every entry :meth:`state_dict` gives."""
        return {k: np.shape(v) for k, v in self.state_dict().items()}

    def _check_state(self, state: Mapping[str, Any], what: str) -> dict[str, np.ndarray]:
        """``state`` checked by the rules the constructor and the update rules rely on."""
        checked = checked_state(state, self._state_shapes(), what, "the optimizer's state")
        for name, bounds in self._hyper.items():
            _check_rate(what, name, float(checked[name]), bounds)
        for name in self.state:
            for i, p in enumerate(self.params):
                key = f"{name}.{i}"
                if name in self._counters:
                    _check_count(what, key, float(checked[key]))
                else:  # in the dtype it will be stored in: a float64 value may overflow float32
                    dtype = p.dtype if isinstance(p, Tensor) else np.float64
                    _check_buffer(what, key, checked[key], self._buffers[name], dtype)
        return checked

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

    _hyper = {"lr": (0.0, None), "momentum": (0.0, 1.0)}

    def __init__(self, params: Iterable[Tensor | Value], lr: float, momentum: float = 0.0) -> None:
        self.momentum = self._checked("momentum", momentum)
        self._buffers = {"velocity": -math.inf} if self.momentum else {}
        super().__init__(params, lr)

    def _check_state(self, state: Mapping[str, Any], what: str) -> dict[str, np.ndarray]:
        checked = super()._check_state(state, what)
        momentum = float(checked["momentum"])
        if momentum and "velocity" not in self.state:  # step would ignore it
            raise ValueError(f"{what}: momentum is {momentum!r} but there are no velocity buffers "
                             "(this SGD was made without momentum)")
        return checked

    def step(self) -> None:
        """One SGD (or momentum) update of every parameter."""
        lr, gamma = self.lr, self.momentum
        velocity = self.state.get("velocity")
        for i, p, g, _ in self._grads():
            if velocity is None:
                p.data -= lr * g
            else:
                p.data -= self._store("velocity", i, gamma * velocity[i] + lr * g)


class RMSProp(Optimizer):
    """E ← β E + (1 − β) g²; θ ← θ − η g / sqrt(E + ε) (E starts at 0)."""

    _hyper = {"lr": (0.0, None), "beta": (0.0, 1.0), "eps": (0.0, None)}
    _buffers = {"square_avg": 0.0}

    def __init__(self, params: Iterable[Tensor | Value], lr: float, beta: float = 0.9,
                 eps: float = 1e-8) -> None:
        self.beta = self._checked("beta", beta)
        self.eps = self._checked("eps", eps)
        super().__init__(params, lr)

    def step(self) -> None:
        """One RMSProp update of every parameter."""
        lr, beta, eps = self.lr, self.beta, self.eps
        E = self.state["square_avg"]
        for i, p, g, sqrt in self._grads():
            e = self._store("square_avg", i, beta * E[i] + (1.0 - beta) * (g * g))
            p.data -= lr * g / sqrt(e + eps)


class Adam(Optimizer):
    """m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²; m̂ = m / (1 − β1ᵗ);
    v̂ = v / (1 − β2ᵗ); θ ← θ − η m̂ / (sqrt(v̂) + ε) (m, v start at 0; t = 1 at the first step)."""

    _hyper = {"lr": (0.0, None), "beta1": (0.0, 1.0), "beta2": (0.0, 1.0), "eps": (0.0, None)}
    _buffers = {"m": -math.inf, "v": 0.0}
    _counters = ("t",)

    def __init__(self, params: Iterable[Tensor | Value], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        if len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = self._checked("beta1", betas[0], "betas[0]")
        self.beta2 = self._checked("beta2", betas[1], "betas[1]")
        self.eps = self._checked("eps", eps)
        super().__init__(params, lr)

    def step(self) -> None:
        """One Adam update of every parameter."""
        lr, b1, b2, eps = self.lr, self.beta1, self.beta2, self.eps
        M, V, T = self.state["m"], self.state["v"], self.state["t"]
        for i, p, g, sqrt in self._grads():
            T[i] = t = T[i] + 1.0
            c1, c2 = 1.0 - b1**t, 1.0 - b2**t
            m = self._store("m", i, b1 * M[i] + (1.0 - b1) * g)
            v = self._store("v", i, b2 * V[i] + (1.0 - b2) * (g * g))
            p.data -= lr * (m / c1) / (sqrt(v / c2) + eps)
