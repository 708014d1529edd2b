"""An optimizer's update lowered into a compiled step (``autograd.compile(loss_fn, optimizer=opt)``).

An optimizer of :mod:`nn.optim` writes its rule once, as arithmetic that floats, arrays and
:class:`~autograd.emitting.Sym` symbols share (``opt._rule(θ, g, buffers, h, sqrt)`` gives the
step δ and the new buffers).  Run on symbols it emits the update's lines; they end the program
as in-place writes, once every line has read the parameters: ``W1 -= lr * dW1``, a buffer
``velocity_W1[...] = ...``.  The numbers of a step (the learning rate a schedule sets, Adam's
bias corrections) are arguments of the program, read at every call; the settings the rule
branches on (momentum or not) are part of the program: changing one traces anew.

The optimizer is duck-typed (``autograd`` does not import ``nn``): it has ``params``, a
``state`` of per-parameter buffers, ``_buffers`` (their names), ``_rule`` and
``compiled_update()`` (its settings and the functions that give a step's numbers).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd.emitting import Program, Sym
from autograd.tensor import Tensor


@dataclass
class UpdatePlan:
    """What the compiled update reads at each call, in the program's argument order: the
    shared numbers by name, then for each updated parameter its own numbers, then its buffers."""

    optimizer: Any
    setting_names: tuple[str, ...]
    """The optimizer's settings its rule may branch on (see :meth:`current_settings`)."""
    numbers: Callable[[], dict[str, float]]
    param_numbers: Callable[[int], dict[str, float]]
    shared: list[str] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    own: list[list[str]] = field(default_factory=list)
    first: list[Any] | None = None
    """The numbers of the call being traced (its step counts advanced once), then its buffers."""

    def arguments(self) -> list[Any]:
        """This step's numbers and the buffers, in the program's argument order (advances the
        optimizer's step counts, as its ``step()`` does)."""
        if self.first is not None:  # the traced call's numbers: its step counts have advanced already
            out, self.first = self.first, None
            return out
        # SGD without momentum has no numbers of its own per parameter: no call for them
        per = [self.param_numbers(i) for i in self.updated] if any(self.own) else [{} for _ in self.own]
        return self.assemble(self.numbers(), per)

    def probe_arguments(self) -> list[Any]:
        """Arguments of the program's shape for a check of its loss and gradients (this step's
        shared numbers, placeholders for each parameter's own, copies of the buffers): no step
        count advances."""
        return self.assemble(self.numbers(), [dict.fromkeys(keys, 1.0) for keys in self.own], copy=True)

    def assemble(self, h: dict[str, float], per: list[dict[str, float]], copy: bool = False) -> list[Any]:
        """The program's update arguments in its order: the shared numbers ``h``, each updated
        parameter's own ``per``, then the buffers (``copy``: copies of them)."""
        out: list[Any] = [h[k] for k in self.shared]
        out += [numbers[k] for numbers, keys in zip(per, self.own) for k in keys]
        state = self.optimizer.state
        out += [np.array(state[name][i], copy=True) if copy else state[name][i]
                for i in self.updated for name in self.optimizer._buffers]
        return out

    def current_settings(self) -> tuple[Any, ...]:
        """The settings the rule branches on, as they are now (a change traces anew)."""
        values = self._getter(self.optimizer)
        return tuple(map(bool, values if isinstance(values, tuple) else (values,)))

    def __post_init__(self) -> None:
        self._getter = operator.attrgetter(*self.setting_names)


def plan(optimizer: Any) -> UpdatePlan:
    """The optimizer's update, checked to be one a compiled step can run."""
    if not hasattr(optimizer, "compiled_update") or not hasattr(optimizer, "_rule"):
        raise TypeError(f"compile: optimizer= takes an optimizer of nn.optim (one with an update rule), "
                        f"got {type(optimizer).__name__}")
    for i, p in enumerate(optimizer.params):
        if not isinstance(p, Tensor):
            raise TypeError(f"compile: the optimizer's parameter {i} is a {type(p).__name__}; a compiled "
                            "step updates Tensors")
    setting_names, numbers, param_numbers = optimizer.compiled_update()
    return UpdatePlan(optimizer, tuple(setting_names), numbers, param_numbers)


def lower_update(update: UpdatePlan, program: Program, leaves: dict[Tensor, Sym],
                 grads: dict[int, Sym], names: Callable[[Tensor], str]) -> list[tuple[str, Any]]:
    """The update's lines in ``program`` and the in-place writes that end it; ``grads`` maps a
    parameter's id to its gradient (a parameter with none is not updated, as in ``step()``).
    The first lowering of a trace takes this call's numbers (advancing the step counts once,
    as the call would); a second one (the check on rearranged values) reuses them."""
    opt = update.optimizer
    if update.first is None:
        update.updated = [i for i, p in enumerate(opt.params) if id(p) in grads]
        h0 = update.numbers()
        update.shared = list(h0)
        per = [update.param_numbers(i) for i in update.updated]
        update.own = [list(numbers) for numbers in per]
        update.first = update.assemble(h0, per)
    given = iter(update.first)
    shared = {k: program.input(k, next(given)) for k in update.shared}
    own = [{k: program.input(f"{k}_{names(opt.params[i])}", next(given)) for k in keys}
           for i, keys in zip(update.updated, update.own)]
    effects: list[tuple[str, Any]] = []
    for i, h in zip(update.updated, own):
        p = opt.params[i]
        buffers = {name: program.input(f"{name}_{names(p)}", next(given)) for name in opt._buffers}
        delta, new = opt._rule(leaves[p], grads[id(p)], buffers, {**shared, **h}, np.sqrt)
        theta = leaves[p].code
        if "decay" in shared:
            effects.append((f"{theta} *= {{}}", shared["decay"]))
        effects.append((f"{theta} -= {{}}", delta))
        effects += [(f"{buffers[name].code}[...] = {{}}", v) for name, v in new.items()]
    return effects


def update_inputs(update: UpdatePlan, program: Program) -> list[str]:
    """The names of the update's inputs in ``program`` (after the arguments and parameters)."""
    start = len(program.inputs) - len(update.shared) - sum(map(len, update.own)) \
        - len(update.updated) * len(update.optimizer._buffers)
    return [s.code for s in program.inputs[start:]]


def check_update(update: UpdatePlan, params: Sequence[Tensor]) -> None:
    """At least one parameter the optimizer updates must be a leaf of the traced graph."""
    known = {id(p) for p in params}
    if not any(id(p) in known for p in update.optimizer.params):
        raise ValueError("compile: none of the optimizer's parameters is a leaf of loss_fn's graph: "
                         "give the optimizer the parameters the loss uses")
