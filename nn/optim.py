"""Optimizers, with exactly the update rules of the design (g = the parameter's grad):

* :class:`SGD` -- θ ← θ − η g; with momentum γ: v ← γ v + (1 − τ) η g, θ ← θ − v
  (dampening τ, 0 by default; v ← η g at the first step), or with ``nesterov``
  θ ← θ − (η g + γ v);
* :class:`RMSProp` -- E ← β E + (1 − β) g², θ ← θ − η g / sqrt(E + ε);
* :class:`Adam` -- m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², m̂ = m / (1 − β1ᵗ),
  v̂ = v / (1 − β2ᵗ), θ ← θ − η m̂ / (sqrt(v̂) + ε), t counting this parameter's steps;
* :class:`AdamW` -- Adam after θ ← θ (1 − η λ): weight decay λ decoupled from the gradient.

``weight_decay`` λ of SGD, RMSProp and Adam is the L2 penalty (λ/2)‖θ‖² folded into the
gradient first, g ← g + λ θ, as PyTorch's optimizers do (0 by default: no cost).
Against ``torch.optim`` (``tests/test_torch_crosscheck.py`` checks it step by step): SGD,
Adam and AdamW are PyTorch's rules with PyTorch's defaults (lr aside: it has none here).
Two differences are the design's: SGD keeps the velocity with the learning rate inside it
(v = η × PyTorch's buffer), the same steps while η is constant, but when a schedule changes
η only new gradients feel it (PyTorch rescales the whole velocity); RMSProp puts ε inside
the square root and defaults to β = 0.9 (Hinton's lecture; PyTorch: sqrt(E) + ε, alpha = 0.99).
:func:`clip_grad_norm` is PyTorch's ``clip_grad_norm_``.

Parameters are Tensors (updated in place; one whose ``grad`` is None is skipped) or
Values (updated through ``.data``).  Each rule is written once, as arithmetic that floats and
arrays share (``sqrt`` is ``math.sqrt`` for a Value, ``np.sqrt`` for a Tensor, as the op
table's backends do it); :meth:`Optimizer._store` keeps the result, in place for an array.
``state_dict()`` is a flat dict of plain floats and numpy arrays (hyperparameters and
per-parameter buffers ``name.i``, i the parameter's position), so ``nn.save`` can store it
and training can resume.
Each ``step()`` first looks for the learner's slips and says so with an
``autograd.LearnerWarning`` (once per line of the caller's code, which it points at): no
gradient at all, or only zeros ("no gradients": no ``backward()`` since the reset, or a
flat loss), and parameters that no ``backward()`` reached beside others it did ("unused
parameters": they took no part in the loss).  A Value's exact-zero gradient (a dead ReLU's)
is a gradient: only one no pass wrote (``autograd.node.has_grad``) is missing.
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
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Tensor, Value
from autograd.node import has_grad, warn_learner
from nn.module import checked_state, zero_grads

Buffer = Any
"""A per-parameter state: an ndarray for a Tensor, a float for a Value."""

Sqrt = Callable[[Buffer], Buffer]
"""``math.sqrt`` for a Value's buffers, ``np.sqrt`` for a Tensor's."""

Bounds = tuple[float, float | None]
"""A hyperparameter's rule: finite and in [lo, hi) (hi None: no upper bound)."""

_NN = os.path.dirname(os.path.abspath(__file__))
"""This package's folder: a warning passes over its frames (``fit``'s too) to the learner's line."""

_NO_GRADIENTS = (
    "no gradients: {what}.step() found no parameter with a gradient, so this step has no gradient to "
    "follow: no backward() reached them since their gradients were reset. Call loss.backward() "
    "before opt.step(), and opt.zero_grad() before backward(), not between backward() and step().")
_ZERO_GRADIENTS = (
    "no gradients: {what}.step() found every gradient exactly zero, so this step has no gradient to follow. "
    "If no loss.backward() ran since the gradients were set to zero, call it before opt.step(); if "
    "one did, the loss is flat in every parameter here (e.g. a hinge loss with every margin met, "
    "or every unit saturated or dead).")
_UNUSED = (
    "unused parameters: {what}.step() found {n} of {total} parameters with no gradient: {names}. No "
    "backward() reached them: they took no part in the loss (e.g. a layer that forward() never "
    "calls, or a computation under no_grad() or on .data), so this loss does not update them. Use "
    "them in the loss, or give the optimizer only the parameters the loss uses.")


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


def grad_values(p: Tensor | Value) -> Buffer | None:
    """``p``'s gradient as numbers: its grad, or the values of a grad that
    ``backward(create_graph=True)`` left as a node (an optimizer steps along the values;
    the graph is for differentiating again)."""
    g = p.grad
    return g.data if isinstance(g, (Tensor, Value)) else g


def _nonzero(g: Buffer | None) -> bool:
    """Whether gradient ``g`` (an array, a float or None) has an entry other than zero (NaN
    counts).  An array's first entry mostly answers at once, sparing a pass over the array."""
    if isinstance(g, np.ndarray):
        return g.size > 0 and (g.item(0) != 0.0 or bool(g.any()))
    return g is not None and g != 0.0


def _describe(i: int, p: Tensor | Value) -> str:
    """``parameter 4 'W[3]' (shape (10, 16))``: the position, label and shape of parameter i."""
    label = "" if p.label is None else f" {p.label!r}"
    shape = f" (shape {p.shape})" if isinstance(p, Tensor) else ""
    return f"parameter {i}{label}{shape}"


class Optimizer:
    """Base class: holds the parameters, ``zero_grad()`` and the state dict machinery.

    Subclasses list their hyperparameters with their bounds in ``_hyper``, their
    per-parameter buffers (zeros of the parameter's shape at the start) with the
    least value each may hold in ``_buffers`` (-inf: any finite value) and their
    per-parameter step counts (floats, 0 at the start) in ``_counters``, and their
    on/off settings (bools, stored as 0.0 or 1.0) in ``_flags``.
    """

    _hyper: dict[str, Bounds] = {"lr": (0.0, None)}
    _flags: tuple[str, ...] = ()
    _buffers: dict[str, float] = {}
    _counters: tuple[str, ...] = ()
    _NEWER = ("weight_decay", "dampening", "nesterov")
    """Settings newer than the first saved optimizer states: a state without them has them off (0)."""
    lr: float
    initial_lr: float | None = None
    """The lr before any schedule changed it (PyTorch's ``group["initial_lr"]``): set by the
    first :mod:`nn.schedules` scheduler made for this optimizer, the base of every later one."""

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
        """Update every parameter from its current grad: θ ← θ · decay − δ, δ and the new
        buffers given by the optimizer's rule (:meth:`_rule`), decay 1 but for AdamW."""
        self._check_grads()
        h = self._numbers()
        decay = h.get("decay")
        for i, p in enumerate(self.params):
            g = grad_values(p)
            if g is None:
                continue
            theta = p.data
            delta, new = self._rule(theta, g, {name: self.state[name][i] for name in self._buffers},
                                    {**h, **self._param_numbers(i)},
                                    np.sqrt if isinstance(p, Tensor) else math.sqrt)
            for name, value in new.items():
                self._store(name, i, value)
            if decay is not None:
                p.data *= decay
            p.data -= delta

    def _numbers(self) -> dict[str, float]:
        """The numbers every parameter's update uses at this step (the hyperparameters)."""
        return {"lr": self.lr}

    def _param_numbers(self, i: int) -> dict[str, float]:
        """The numbers of parameter i's update at this step alone; advances its step counts."""
        return {}

    def _rule(self, theta: Buffer, g: Buffer, buffers: dict[str, Buffer], h: dict[str, Any],
              sqrt: Sqrt) -> tuple[Buffer, dict[str, Buffer]]:
        """(δ, new buffers) of one parameter θ with gradient g, its buffers and the numbers
        ``h`` (:meth:`_numbers` and :meth:`_param_numbers`): the update rule, written once as
        arithmetic that floats, arrays and the symbols of ``autograd.compile`` share.  It may
        branch on the optimizer's settings (momentum or not), never on ``h``: ``h`` comes at
        run time in a compiled step."""
        raise NotImplementedError(f"{type(self).__name__}: no update rule")

    def compiled_update(self) -> tuple[tuple[str, ...], Callable[[], dict[str, float]],
                                       Callable[[int], dict[str, float]]]:
        """What ``autograd.compile(loss_fn, optimizer=self)`` needs: the names of the settings
        the rule may branch on (zero or not: a new program when one changes), and the functions
        that give a step's numbers."""
        return (*self._hyper, *self._flags), self._numbers, self._param_numbers

    def _check_grads(self) -> None:
        """Warn (``autograd.LearnerWarning``) of a step with no gradient or only zeros, or of
        parameters no backward() reached beside others it did.  Cheap enough for every step:
        one look at each parameter, and a search for a non-zero gradient that starts from the
        last parameter (an output bias: short, and zero only where the loss is flat)."""
        params = self.params
        grads = [grad_values(p) if has_grad(p) else None for p in params]
        what = type(self).__name__
        if any(_nonzero(g) for g in reversed(grads)):
            missing = [i for i, g in enumerate(grads) if g is None]
            if missing:
                names = ", ".join(_describe(i, params[i]) for i in missing[:5])
                more = f", and {len(missing) - 5} more" if len(missing) > 5 else ""
                warn_learner(_UNUSED.format(what=what, n=len(missing), total=len(params),
                                            names=names + more), _NN)
        elif all(g is None for g in grads):
            warn_learner(_NO_GRADIENTS.format(what=what), _NN)
        else:
            warn_learner(_ZERO_GRADIENTS.format(what=what), _NN)

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
        out: dict[str, Any] = {name: float(getattr(self, name)) for name in (*self._hyper, *self._flags)}
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

    def _missing_newer(self, keys: Iterable[str]) -> list[str]:
        """The settings of :attr:`_NEWER` this optimizer has that ``keys`` (a saved state's) lack."""
        have = set(keys)
        return [k for k in self._NEWER if k in (*self._hyper, *self._flags) and k not in have]

    def _check_state(self, state: Mapping[str, Any], what: str) -> dict[str, np.ndarray]:
        """``state`` checked by the rules the constructor and the update rules rely on (a
        state saved before a setting of :attr:`_NEWER` existed reads it as off)."""
        state = {**dict.fromkeys(self._missing_newer(state), 0.0), **state}
        checked = checked_state(state, self._state_shapes(), what, "the optimizer's state")
        for name, bounds in self._hyper.items():
            _check_rate(what, name, float(checked[name]), bounds)
        for name in self._flags:
            if float(checked[name]) not in (0.0, 1.0):
                raise ValueError(f"{what}: {name} is on or off, stored as 1.0 or 0.0, "
                                 f"got {float(checked[name])!r}")
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
        for name in self._flags:
            setattr(self, name, bool(checked[name]))
        for name, bufs in self.state.items():
            for i, p in enumerate(self.params):
                a = checked[f"{name}.{i}"]
                if isinstance(p, Tensor) and name not in self._counters:
                    bufs[i] = a.astype(p.dtype, copy=True)
                else:
                    bufs[i] = float(a)

    def __repr__(self) -> str:
        hyper = ", ".join(f"{name}={getattr(self, name)!r}" for name in (*self._hyper, *self._flags))
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


class SGD(Optimizer):
    """θ ← θ − η g; with momentum γ > 0: v ← γ v + (1 − τ) η g (v ← η g at the first step,
    undamped, as in PyTorch), θ ← θ − v, or with ``nesterov`` θ ← θ − (η g + γ v);
    ``weight_decay`` λ: g ← g + λ θ first."""

    _hyper = {"lr": (0.0, None), "momentum": (0.0, 1.0), "dampening": (0.0, 1.0), "weight_decay": (0.0, None)}
    _flags = ("nesterov",)

    def __init__(self, params: Iterable[Tensor | Value], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        self.momentum = self._checked("momentum", momentum)
        self.dampening = self._checked("dampening", dampening)
        self.weight_decay = self._checked("weight_decay", weight_decay)
        self.nesterov = bool(nesterov)
        self._check_momentum("SGD", self.momentum, self.dampening, self.nesterov)
        self._buffers = {"velocity": -math.inf} if self.momentum else {}
        # the first step is told apart only where it differs: v ← η g, not (1 − τ) η g
        self._counters = ("t",) if self.dampening else ()
        super().__init__(params, lr)

    @staticmethod
    def _check_momentum(what: str, momentum: float, dampening: float, nesterov: bool) -> None:
        if dampening and not momentum:
            raise ValueError(f"{what}: dampening={dampening!r} damps the momentum, so it needs momentum > 0")
        if nesterov and (not momentum or dampening):
            raise ValueError(f"{what}: nesterov momentum needs momentum > 0 and dampening 0 (as in "
                             f"PyTorch), got momentum={momentum!r}, dampening={dampening!r}")

    def _check_state(self, state: Mapping[str, Any], what: str) -> dict[str, np.ndarray]:
        checked = super()._check_state(state, what)
        momentum, dampening = float(checked["momentum"]), float(checked["dampening"])
        self._check_momentum(what, momentum, dampening, bool(checked["nesterov"]))
        if momentum and "velocity" not in self.state:  # step would ignore it
            raise ValueError(f"{what}: momentum is {momentum!r} but there are no velocity buffers "
                             "(this SGD was made without momentum)")
        if dampening and "t" not in self.state:
            raise ValueError(f"{what}: dampening is {dampening!r} but there are no step counts "
                             "(this SGD was made without dampening)")
        return checked

    def _numbers(self) -> dict[str, float]:
        return {"lr": self.lr, "momentum": self.momentum, "weight_decay": self.weight_decay}

    def _param_numbers(self, i: int) -> dict[str, float]:
        if not self.momentum:
            return {}
        damped = (1.0 - self.dampening) * self.lr
        T = self.state.get("t")
        if T is None:
            return {"rate": damped}
        T[i] += 1.0
        return {"rate": self.lr if T[i] == 1.0 else damped}

    def _rule(self, theta: Buffer, g: Buffer, buffers: dict[str, Buffer], h: dict[str, Any],
              sqrt: Sqrt) -> tuple[Buffer, dict[str, Buffer]]:
        if self.weight_decay:
            g = g + h["weight_decay"] * theta
        if not self.momentum:
            return h["lr"] * g, {}
        v = h["momentum"] * buffers["velocity"] + h["rate"] * g
        return (h["lr"] * g + h["momentum"] * v if self.nesterov else v), {"velocity": v}


class RMSProp(Optimizer):
    """E ← β E + (1 − β) g²; θ ← θ − η g / sqrt(E + ε) (E starts at 0); ``weight_decay`` λ:
    g ← g + λ θ first."""

    _hyper = {"lr": (0.0, None), "beta": (0.0, 1.0), "eps": (0.0, None), "weight_decay": (0.0, None)}
    _buffers = {"square_avg": 0.0}

    def __init__(self, params: Iterable[Tensor | Value], lr: float, beta: float = 0.9,
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        self.beta = self._checked("beta", beta)
        self.eps = self._checked("eps", eps)
        self.weight_decay = self._checked("weight_decay", weight_decay)
        super().__init__(params, lr)

    def _numbers(self) -> dict[str, float]:
        return {"lr": self.lr, "beta": self.beta, "eps": self.eps, "weight_decay": self.weight_decay}

    def _rule(self, theta: Buffer, g: Buffer, buffers: dict[str, Buffer], h: dict[str, Any],
              sqrt: Sqrt) -> tuple[Buffer, dict[str, Buffer]]:
        if self.weight_decay:
            g = g + h["weight_decay"] * theta
        e = h["beta"] * buffers["square_avg"] + (1.0 - h["beta"]) * (g * g)
        return h["lr"] * g / sqrt(e + h["eps"]), {"square_avg": e}


class Adam(Optimizer):
    """m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²; m̂ = m / (1 − β1ᵗ);
    v̂ = v / (1 − β2ᵗ); θ ← θ − η m̂ / (sqrt(v̂) + ε) (m, v start at 0; t = 1 at the first step);
    ``weight_decay`` λ: g ← g + λ θ first (L2; :class:`AdamW` decouples it)."""

    _hyper = {"lr": (0.0, None), "beta1": (0.0, 1.0), "beta2": (0.0, 1.0), "eps": (0.0, None),
              "weight_decay": (0.0, None)}
    _buffers = {"m": -math.inf, "v": 0.0}
    _counters = ("t",)
    _decoupled = False
    """Whether weight decay shrinks θ directly (AdamW) instead of adding λ θ to g."""

    def __init__(self, params: Iterable[Tensor | Value], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        what = type(self).__name__
        if len(betas) != 2:
            raise ValueError(f"{what}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = self._checked("beta1", betas[0], "betas[0]")
        self.beta2 = self._checked("beta2", betas[1], "betas[1]")
        self.eps = self._checked("eps", eps)
        self.weight_decay = self._checked("weight_decay", weight_decay)
        super().__init__(params, lr)

    def _numbers(self) -> dict[str, float]:
        h = {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps,
             "weight_decay": self.weight_decay}
        if self._decoupled and self.weight_decay:
            h["decay"] = 1.0 - self.lr * self.weight_decay
        return h

    def _param_numbers(self, i: int) -> dict[str, float]:
        T = self.state["t"]
        T[i] = t = T[i] + 1.0
        return {"c1": 1.0 - self.beta1**t, "c2": 1.0 - self.beta2**t}

    def _rule(self, theta: Buffer, g: Buffer, buffers: dict[str, Buffer], h: dict[str, Any],
              sqrt: Sqrt) -> tuple[Buffer, dict[str, Buffer]]:
        if self.weight_decay and not self._decoupled:
            g = g + h["weight_decay"] * theta
        m = h["beta1"] * buffers["m"] + (1.0 - h["beta1"]) * g
        v = h["beta2"] * buffers["v"] + (1.0 - h["beta2"]) * (g * g)
        return h["lr"] * (m / h["c1"]) / (sqrt(v / h["c2"]) + h["eps"]), {"m": m, "v": v}


class AdamW(Adam):
    """θ ← θ (1 − η λ), then the :class:`Adam` update with g itself (Loshchilov & Hutter's
    decoupled weight decay; λ = 0.01 by default, as in PyTorch)."""

    _decoupled = True

    def __init__(self, params: Iterable[Tensor | Value], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.01) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


def clip_grad_norm(params: Iterable[Tensor | Value], max_norm: float, norm_type: float = 2.0) -> float:
    """‖g‖ = (Σ |g_j|^q)^(1/q) over every entry of every parameter's grad (q = ``norm_type``,
    ``math.inf``: max |g_j|); if it exceeds ``max_norm``, every grad is scaled by
    ``max_norm / (‖g‖ + 1e-6)``.  Returns ‖g‖ before the scaling, as PyTorch's
    ``torch.nn.utils.clip_grad_norm_``.  Each scaled grad is a new array (a grad array may
    be shared by two parameters).

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> (3.0 * w).backward()
    >>> clip_grad_norm([w], max_norm=1.0), round(w.grad, 6)
    (3.0, 1.0)
    """
    max_norm = _check_rate("clip_grad_norm", "max_norm", max_norm, (0.0, None))
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm: norm_type must be > 0 (math.inf for the max norm), "
                         f"got {norm_type!r}")
    params = list(params)
    grads = [g for g in map(grad_values, params) if g is not None]
    norms = [float(np.linalg.norm(np.ravel(g), ord=norm_type)) for g in grads]
    total = float(np.linalg.norm(norms, ord=norm_type)) if norms else 0.0
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for p in params:
            if p.grad is not None:
                p.grad = p.grad * scale
    return total
