"""``compile(loss_fn)``: a training step traced once, then run as generated numpy code.

``step = compile(loss_fn)``; ``step(x, y)`` traces ``loss_fn(x, y)`` on its first call, lowers
the graph to a straight-line numpy program (:mod:`autograd.lowering`: the op table's forwards
and derivatives run on the code-emitting backend :data:`~autograd.emitting.EMIT`), and from
then on runs that program: numpy calls only, shapes and dtypes fixed, no graph objects.  Each
call returns the loss and leaves on every ``requires_grad`` Tensor the ``.grad`` that
``loss_fn(x, y).backward()`` would (to float round-off: the programs sum a bias gradient in
another order, for one); the parameters are the leaves of the traced graph, whether
``loss_fn`` takes them or captures them.  ``print(step.source)`` shows the program,
``step.save("step.py")`` writes it as a module that runs with numpy alone.

What is traced and what is not, as in ``jax.jit``:

* A call whose arguments differ in shape or dtype (or in which of them require grad) traces
  again; one with another number or kind of arguments is refused.
* The arguments are Tensors or numpy arrays (a float array reaches ``loss_fn`` as a Tensor; an
  integer array, e.g. class labels, as it is).  Anything else ``loss_fn`` computes from
  that is not recorded by the engine (numpy on ``.data``, a Python number) is a constant of
  the program.  To refuse a stale constant, each trace runs ``loss_fn`` twice, the second
  time on rearranged arguments and parameters: a constant that changes with them is matched
  to the argument it equals (a target read through ``.data``, cast or reshaped) or refused,
  naming the op; a program that changes (Python control flow on values) is refused.  What a
  rearrangement cannot change (a batch of one label, labels all alike, a sum or a count of
  an argument's values) is checked at the next call with other values, and at the first call
  that changes each argument the rearrangement could not: the program is run there against
  the engine, and one that disagrees is traced anew against the earlier values, or refused.
  A branch on such a statistic that none of these calls takes differently goes unseen.
* A boolean mask argument's count of True is part of its shape (a new count traces anew).
  A parameter that the optimizer updates is captured by ``loss_fn``, not passed to it.
* Python numbers, arrays and Tensors that need no gradient which ``loss_fn`` reads from its
  globals or closure by name, and the items of short lists and tuples it reads so, are
  checked at every call and trace again when one is another object or number (a Tensor
  whose ``data`` was written to is another array: copy-on-write).  Ones reached any other
  way (a module's attribute, a global read by a function it calls) are constants of the
  program: pass them as arguments if they change.
* ``loss_fn`` runs twice per trace: side effects happen twice.
"""

from __future__ import annotations

import base64
import builtins
import functools
import inspect
import linecache
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd.atomic import atomic_write
from autograd.backends import column_major
from autograd.emitting import NotCompilable, Program, Sym
from autograd.lowering import Lowered, fuse, graph_of, lower
from autograd.node import enable_grad
from autograd.ops import LINEAR
from autograd.reverse import gradients
from autograd.tensor import Tensor
from autograd.updating import UpdatePlan, check_update, lower_update, plan, update_inputs

__all__ = ["CompiledStep", "NotCompilable", "compile"]


def compile(loss_fn: Callable[..., Tensor], optimizer: Any = None) -> CompiledStep:
    """``loss_fn`` as a compiled training step (see the module): ``step(*args)`` returns the
    loss and sets ``p.grad`` = ∂loss/∂p for every leaf ``p`` of the traced graph that
    requires grad, as ``loss_fn(*args).backward()`` would.  With an ``optimizer`` of
    :mod:`nn.optim` the step is ``opt.zero_grad(); loss_fn(*args).backward(); opt.step()``:
    each grad is this step's alone, and the optimizer's update ends the program (its rule
    run on the code-emitting backend; see :mod:`autograd.updating`).

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> W = Tensor(np.array([[1.0, -1.0]]), requires_grad=True, label="W")
    >>> b = Tensor(np.zeros(1), requires_grad=True, label="b")
    >>> step = compile(lambda x: (x @ W.T + b).sigmoid().sum())
    >>> loss = step(np.array([[2.0, 1.0]]))
    >>> round(loss.item(), 4), W.grad.round(4).tolist()
    (0.7311, [[0.3932, 0.1966]])
    >>> print(next(line for line in step.source.splitlines() if "dW =" in line).strip())
    dW = np.dot(dadd1.T, x)  # ∂C/∂W = (∂C/∂add1)ᵀ @ x
    """
    if not callable(loss_fn):
        raise TypeError(f"compile: loss_fn must be callable, got {type(loss_fn).__name__}")
    return CompiledStep(loss_fn, None if optimizer is None else plan(optimizer))


# -- arguments --------------------------------------------------------------------------------------

def _kind_of_type(t: type) -> str:
    return "Tensor" if issubclass(t, Tensor) else "array" if issubclass(t, np.ndarray) else t.__name__


def _kind(x: Any, i: int) -> str:
    if isinstance(x, Tensor):
        return "Tensor"
    if isinstance(x, np.ndarray) and x.dtype.kind in "fiub":
        return "array"
    raise TypeError(f"compile: argument {i} is a {type(x).__name__}; a compiled step takes Tensors and "
                    "numpy arrays of numbers (pass a Python number as a 0-d array, or close over it)")


def _array(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else x


def _traced_argument(data: np.ndarray) -> Any:
    """What ``loss_fn`` gets while traced: a float argument as a Tensor whose every use is
    recorded (it requires grad during the trace); an integer array as it is."""
    if data.dtype.kind != "f":
        return data
    t = Tensor._wrap(data)
    t.requires_grad = True
    return t


# -- one trace --------------------------------------------------------------------------------------

@dataclass
class Trace:
    """One run of ``loss_fn`` recorded: the loss, the traced arguments and the arrays they hold."""

    loss: Tensor
    arguments: list[Any]
    arrays: list[np.ndarray]


def _run(loss_fn: Callable[..., Any], arrays: list[np.ndarray]) -> Trace:
    arguments = [_traced_argument(a) for a in arrays]
    with enable_grad():
        loss = loss_fn(*arguments)
    if not isinstance(loss, Tensor):
        raise TypeError(f"compile: loss_fn must return a Tensor (the loss), got {type(loss).__name__}")
    if loss.size != 1:
        raise ValueError(f"compile: loss_fn returned a Tensor of shape {loss.shape}: a training step "
                         "needs a one-element loss (reduce it, e.g. with .mean() or .sum())")
    if loss._op is None:
        raise ValueError("compile: loss_fn returned a Tensor with no graph: it does not depend on its "
                         "arguments or on any Tensor that requires grad")
    return Trace(loss, arguments, arrays)


def _rearranged(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``a`` with its rows (or, for one row, its elements) in another order: the same values,
    so any domain ``loss_fn`` checks still holds, in other places; the same memory order too."""
    out = np.empty_like(a)
    if a.ndim and len(a) > 1:
        out[...] = a[rng.permutation(len(a))]
        if not np.array_equal(out, a):
            return out
    flat = a.reshape(-1)
    out[...] = flat[rng.permutation(flat.size)].reshape(a.shape) if flat.size > 1 else a
    return out


@contextmanager
def _rearranged_parameters(params: Sequence[Tensor], rng: np.random.Generator) -> Iterator[None]:
    """The parameters' arrays rearranged for the duration (restored however the block ends)."""
    saved = [p._data for p in params]
    try:
        for p in params:
            p._data = _rearranged(p._data, rng)
        yield
    finally:
        for p, a in zip(params, saved):
            p._data = a


def _probe(loss_fn: Callable[..., Any], moved: list[np.ndarray], params: list[Tensor], wanted: list[Tensor],
           first: Trace, names: list[str], update: UpdatePlan | None) -> tuple[Trace, Built]:
    """``loss_fn`` traced again and lowered at the arguments ``moved`` (the first's rearranged,
    or an earlier call's) with its parameters rearranged (numpy's warnings silenced: the values
    are only moved)."""
    rng = np.random.default_rng(0)
    with warnings.catch_warnings(), np.errstate(all="ignore"), _rearranged_parameters(params, rng):
        warnings.simplefilter("ignore")
        try:
            second = _run(loss_fn, moved)
        except Exception as e:
            raise NotCompilable(
                "compile: loss_fn failed when traced a second time with its arguments' and parameters' "
                f"values rearranged (a check that no value is baked into the program): {e!r}") from e
        at = {id(a): i for i, a in enumerate(first.arguments)}  # by identity: a Tensor's == is elementwise
        counterparts = [second.arguments[at[id(w)]] if id(w) in at else w for w in wanted]
        return second, _build(second, params, counterparts, names, update, _python_names(loss_fn))


# -- the program ------------------------------------------------------------------------------------

_PRELUDE = '''\
import math

import numpy as np


def scatter_add(shape, dtype, index, x, repeats):
    """Zeros of the shape with x added at index: the transpose of x[index] (np.add.at where an
    index can repeat, so repeats add up; a plain += where none can, 16x faster)."""
    out = np.zeros(shape, dtype)
    if repeats:
        np.add.at(out, index, x)
    else:
        out[index] += x
    return out
'''


@dataclass
class Built:
    """A lowered trace: the program, the names of its inputs and the source of its function."""

    lowered: Lowered
    inputs: list[str]
    body: str
    constants: dict[str, np.ndarray]
    aliases: dict[str, str]
    effects: list[tuple[str, Any]]


def _python_names(loss_fn: Callable[..., Any]) -> dict[int, str]:
    """Names of the Tensors ``loss_fn`` reads from its closure and globals: ``W`` for a
    Tensor, ``Ws[0]`` for one in a list or tuple."""
    code = getattr(loss_fn, "__code__", None)
    if code is None:
        return {}
    found: dict[int, str] = {}
    scope = getattr(loss_fn, "__globals__", {})
    cells = zip(code.co_freevars, getattr(loss_fn, "__closure__", None) or ())
    pairs = [(n, scope[n]) for n in code.co_names if n in scope] + [(n, _contents(c)) for n, c in cells]
    for n, value in pairs:
        if isinstance(value, Tensor):
            found.setdefault(id(value), n)
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                if isinstance(v, Tensor):
                    found.setdefault(id(v), f"{n}[{i}]")
    return found


def _contents(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # a cell not yet filled
        return None


def _names(trace: Trace, params: list[Tensor], argument_names: list[str],
           python: dict[int, str]) -> Callable[[Tensor], str]:
    """Each node's name in the program: the argument's name, else its label, else the name
    ``loss_fn`` reads it by, else its op's name and a count."""
    given: dict[int, str] = {id(a): n for a, n in zip(trace.arguments, argument_names)}
    given.setdefault(id(trace.loss), trace.loss.label or "loss")
    counts: dict[str, int] = {}

    def name(node: Tensor) -> str:
        got = given.get(id(node))
        if got is None:
            if node.label is not None:
                got = node.label
            elif id(node) in python:
                got = python[id(node)]
            else:
                base = node._op.name if node._op is not None else "p"
                counts[base] = counts.get(base, 0) + 1
                got = f"{base}{counts[base]}"
            given[id(node)] = got
        return got
    for p in params:
        name(p)
    return name


def _build(trace: Trace, params: list[Tensor], wanted: list[Tensor], argument_names: list[str],
           update: UpdatePlan | None, python: dict[int, str]) -> Built:
    graph = fuse(graph_of(trace.loss))
    program = Program()
    names = _names(trace, params, argument_names, python)
    leaves: dict[Tensor, Sym] = {}
    inputs: list[str] = []
    for a, arr, n in zip(trace.arguments, trace.arrays, argument_names):
        s = program.input(n, arr)
        inputs.append(s.code)
        if isinstance(a, Tensor):
            leaves[a] = s
    for p in params:
        s = program.input(names(p), p._data)
        inputs.append(s.code)
        leaves[p] = s
    lowered = lower(graph, program, leaves, wanted, program.saved_constant, names)
    effects: list[tuple[str, Any]] = []
    if update is not None:
        grads = {id(w): g for w, g in zip(wanted, lowered.grads) if g is not None}
        effects = lower_update(update, program, leaves, grads, names)
        inputs += update_inputs(update, program)
    body = program.render(_outputs(lowered), effects=effects, guard=_guard(lowered))
    return Built(lowered, inputs, body, dict(program.constants), {}, effects)


def _guard(lowered: Lowered) -> str:
    """The test before an update: a loss that is not finite leaves the parameters as they are."""
    return f"if not math.isfinite({lowered.loss.code}.item()):\n        return {_returned(lowered)}, False"


def _fresh(s: Sym) -> bool:
    """Whether ``s`` is an array the program made at this call, or a view of one (not an
    input's or a constant's array, nor a view of one)."""
    instr = s.instr
    if instr is None:
        return False
    view = instr.kind in ("attr", "index") \
        or instr.kind == "method" and instr.fn in ("reshape", "transpose") \
        or instr.kind == "call" and instr.fn in ("np.broadcast_to", "np.reshape", "np.transpose")
    if view and instr.fn == "np.broadcast_to":
        return False  # a read-only view that repeats its elements: never a gradient of its own
    return not view or isinstance(instr.args[0], Sym) and _fresh(instr.args[0])


def _returned(lowered: Lowered) -> str:
    """``loss, (dW1, db1, ...)``, each gradient an array of its own (never an input, a
    constant or a view of one)."""
    returned: set[str] = set()
    results = []
    for g in lowered.grads:
        if g is None:
            continue
        own = _fresh(g) and g.code not in returned
        results.append(g.code if own else f"np.array({g.code})")
        returned.add(g.code)
    return f"{lowered.loss.code}, ({', '.join(results)}{',' if len(results) == 1 else ''})"


def _matching_argument(c: np.ndarray, arrays: Sequence[np.ndarray], names: Sequence[str]) -> str | None:
    """The expression of an argument that equals constant ``c`` (cast and reshaped as needed)."""
    for a, n in zip(arrays, names):
        if a.size != c.size or a.dtype.kind not in "fiub":
            continue
        same = a.reshape(c.shape).astype(c.dtype, copy=False)
        if np.array_equal(same, c, equal_nan=c.dtype.kind == "f"):
            text = n if a.shape == c.shape else f"{n}.reshape({c.shape!r})"
            return text if a.dtype == c.dtype else f"{text}.astype(np.{c.dtype.name})"
    return None


def _checked(first: Built, second: Built, traces: tuple[Trace, Trace], argument_names: list[str]) -> Built:
    """``first``, its constants matched to the arguments they come from, once ``second`` (a
    trace on rearranged values) shows the same program; else :class:`NotCompilable`."""
    if first.body != second.body:
        a, b = first.body.splitlines(), second.body.splitlines()
        at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        shown = a[at].strip() if at < len(a) else "(the end of the program)"
        raise NotCompilable(
            "compile: loss_fn gives another program when its arguments or parameters hold other values: "
            f"Python control flow depends on values (first difference at: {shown}). Write the choice with "
            "autograd.where, or compile one function per branch")
    for name, c in first.constants.items():
        d = second.constants[name]
        here = _matching_argument(c, traces[0].arrays, argument_names)
        there = _matching_argument(d, traces[1].arrays, argument_names)
        if here is not None and here == there:
            if here.isidentifier():
                first.lowered.program.aliases[name] = here
            else:
                first.aliases[name] = here
        elif not np.array_equal(c, d, equal_nan=c.dtype.kind == "f"):
            raise NotCompilable(
                f"compile: the constant {name} (shape {c.shape}) of the program changes with the arguments "
                "or parameters but is none of the arguments: loss_fn computes it outside the graph (numpy on "
                ".data, a Python number from .item(), a mask from a comparison such as x > 0, a random "
                "draw). Compute it with Tensor ops, or pass it as an argument")
    if first.lowered.program.aliases:
        first.body = first.lowered.program.render(_outputs(first.lowered), effects=first.effects,
                                                  guard=_guard(first.lowered))
    return first


def _outputs(lowered: Lowered) -> list[Sym]:
    return [lowered.loss, *(g for g in lowered.grads if g is not None)]


def _source(built: Built, name: str, doc: str) -> str:
    """The program's function: its inputs, the aliases of its constants, its lines, its results
    (with an update: and whether it was applied)."""
    lines = [f"def {name}({', '.join(built.inputs)}):", f'    """{doc}"""']
    lines += [f"    {c} = {text}" for c, text in built.aliases.items()]
    lines.append(built.body)
    lines.append(f"    return {_returned(built.lowered)}" + (", True" if built.effects else ""))
    return "\n".join(line for line in lines if line)


class _Reads:
    """The numbers, arrays, Tensors and short lists ``loss_fn`` reads by name from its globals
    and its closure, each with the token (:func:`_token`) it had when traced: a call whose
    reads give other tokens traces anew."""

    def __init__(self, loss_fn: Callable[..., Any]) -> None:
        code = getattr(loss_fn, "__code__", None)
        scope = getattr(loss_fn, "__globals__", {})
        getters: list[Callable[[], Any]] = []
        if code is not None:
            getters += [functools.partial(scope.get, n) for n in code.co_names if _watched(scope.get(n))]
            cells = getattr(loss_fn, "__closure__", None) or ()
            getters += [functools.partial(_contents, cell) for cell in cells if _watched(_contents(cell))]
        self.watched = [(get, tokenize, tokenize(get()))
                        for get in getters for tokenize in (_tokenizer(get()),)]

    def changed(self) -> bool:
        return any(tokenize(get()) != token for get, tokenize, token in self.watched)


def _identities(x: Any) -> Any:
    return (id(x), *map(id, x))


def _tokenizer(x: Any) -> Callable[[Any], Any]:
    """How to take ``x``'s token at each call: a list of objects watched by identity alone (a
    list of parameters) by one pass of ``id``; anything else by :func:`_token`."""
    if isinstance(x, (list, tuple)) and all(_token(v, item=True) == id(v) for v in x):
        return _identities
    return _token


_SHORT = 64
"""A list or tuple ``loss_fn`` reads by name is watched, item by item, up to this length."""


_SMALL = 4096
"""An array of at most this many bytes read by name is watched by its contents too (a write
in place traces anew); a larger one by its identity alone."""


def _watched(x: Any) -> bool:
    return isinstance(x, (int, float, complex, np.ndarray, np.generic, Tensor)) and not isinstance(x, bool) \
        or isinstance(x, (list, tuple)) and len(x) <= _SHORT


def _token(x: Any, item: bool = False) -> Any:
    """What must stay the same for a read of ``x`` to give what the trace saw: a number's
    value; a small array's contents, a large one's identity; a parameter's identity (its values
    change at every step); a Tensor that needs no gradient by its array's token (writing to its
    ``data`` after a graph saved it makes a new array: copy-on-write); a short list's items'
    tokens (``item``: an item that is a list, or any other object, by identity)."""
    if isinstance(x, Tensor):
        return id(x) if x.requires_grad else (id(x), _token(x._data))
    if isinstance(x, np.ndarray):
        return (id(x), x.tobytes()) if x.nbytes <= _SMALL else id(x)
    if isinstance(x, (list, tuple)) and not item:
        return (id(x), *[_token(v, item=True) for v in x])
    if isinstance(x, (int, float, complex, np.generic)) and not isinstance(x, bool):
        return (type(x), x)
    return id(x)


_LARGE = 8192
"""Weights of at least this many elements are stored by columns in a compiled step (below it
the products cost too little for their order to show)."""


def _column_major_weights(trace: Trace, update: UpdatePlan) -> None:
    """Store each large weight matrix the optimizer updates and a layer multiplies by its
    transpose (``x @ W.T``) column by column: the same values and shape, but ``W.T`` is then
    contiguous for numpy's matrix product, and its gradient ``(xᵀ δ)ᵀ`` comes in the same order
    (a step of the study's network 15 % faster at batch 40, measured).  Its optimizer buffers
    follow."""
    updated = {id(p): i for i, p in enumerate(update.optimizer.params)}
    for step in fuse(graph_of(trace.loss)).steps:
        W = step.inputs[1] if step.op is LINEAR else None
        if not isinstance(W, Tensor) or id(W) not in updated or column_major(W._data) or W.size < _LARGE:
            continue
        W._data = np.asfortranarray(W.data)
        i = updated[id(W)]
        for name in update.optimizer._buffers:
            buffers = update.optimizer.state[name]
            buffers[i] = np.asfortranarray(buffers[i])


def _refuse_parameter_arguments(update: UpdatePlan, args: Sequence[Any]) -> None:
    """A compiled update writes the optimizer's parameters in place; one passed as an argument
    would be a copy of the trace's: refused."""
    for i, x in enumerate(args):
        if any(x is p for p in update.optimizer.params):
            raise ValueError(f"compile: argument {i} is one of the optimizer's parameters; a compiled step "
                             "updates the parameters loss_fn reads itself (capture them, e.g. in a closure "
                             "or a model), not ones passed as arguments")


class CompiledStep:
    """A compiled training step (made by :func:`compile`): call it as ``loss_fn``."""

    def __init__(self, loss_fn: Callable[..., Tensor], update: UpdatePlan | None = None) -> None:
        self.loss_fn = loss_fn
        self._update = update
        self._programs: dict[tuple[Any, ...], _Compiled] = {}
        self._types: tuple[type, ...] | None = None
        self._reads: _Reads | None = None
        self._last: _Compiled | None = None
        try:
            self._argument_names = [p.name for p in inspect.signature(loss_fn).parameters.values()
                                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            self._argument_names = []

    def __call__(self, *args: Any) -> Tensor:
        """The loss at ``args``; every parameter's ``grad`` gets ∂loss/∂p (added to a grad
        already there; with an optimizer, this step's gradient, then the update)."""
        types = tuple(map(type, args))
        if types != self._types:
            self._check_arguments(args)
        if self._reads is not None and self._reads.watched and self._reads.changed():
            self._programs.clear()  # a global or a closure variable of loss_fn changed: trace anew
        arrays = [x._data if type(x) is Tensor else x for x in args]
        update = self._update
        key = (*[(a.shape, a.dtype) if a.dtype.kind != "b" else (a.shape, int(a.sum())) for a in arrays],
               *[type(x) is Tensor and x.requires_grad for x in args], update and update.current_settings())
        compiled = self._programs.get(key)
        if compiled is None:
            compiled = self._programs[key] = self._trace(args)
            self._reads, self._types = _Reads(self.loss_fn), types
        elif compiled.pending is not None:
            compiled = self._confirm(compiled, key, args)
        self._last = compiled
        targets = [args[t] if type(t) is int else t for t in compiled.targets]
        if update is None:
            loss, grads = compiled.function(*arrays, *[p._data for p in compiled.params])
            for p, g in zip(targets, grads):
                p._accumulate(g)
        else:  # the parameters are written in place: their arrays must be their own (copy-on-write)
            params = [a if (a := p._data).flags.writeable else p.data for p in compiled.params]
            loss, grads, applied = compiled.function(*arrays, *params, *update.arguments())
            for p, g in zip(targets, grads):
                p.grad = g
            if not applied:
                raise FloatingPointError(
                    f"compile: the loss is {np.asarray(loss).item()} at this step, so the update was not "
                    "applied: the parameters and the optimizer's state are those of the last finite step")
        return Tensor._wrap(np.asarray(loss))

    def _check_arguments(self, args: Sequence[Any]) -> None:
        kinds = tuple(_kind(x, i) for i, x in enumerate(args))
        if self._types is not None:
            traced = tuple(_kind_of_type(t) for t in self._types)
            if kinds != traced:
                raise TypeError(f"compile: this step was traced with {len(traced)} argument(s) "
                                f"({', '.join(traced)}), got {len(kinds)} ({', '.join(kinds)})")

    def _trace(self, args: Sequence[Any], earlier: list[np.ndarray] | None = None) -> _Compiled:
        """A new program for ``args``; a trace that fails leaves the optimizer as it was."""
        update = self._update
        counts = {} if update is None else {n: list(update.optimizer.state[n])
                                            for n in update.optimizer._counters}
        try:
            return self._trace_program(args, earlier)
        except BaseException:
            if update is not None:
                update.first = None
                update.optimizer.state.update(counts)
            raise

    def _trace_program(self, args: Sequence[Any], earlier: list[np.ndarray] | None) -> _Compiled:
        """Trace at ``args`` and again at their values rearranged (or at ``earlier``, an earlier
        call's arguments that told the program apart from this one), check, compile."""
        names = self._names(len(args))
        arrays = [_array(x).copy() for x in args]
        first = _run(self.loss_fn, arrays)
        params = [leaf for leaf in graph_of(first.loss).leaves
                  if leaf.requires_grad and all(leaf is not a for a in first.arguments)]
        slots = [i for i, x in enumerate(args) if isinstance(x, Tensor) and x.requires_grad]
        wanted = params + [first.arguments[i] for i in slots]
        update = self._update
        if update is not None:
            _refuse_parameter_arguments(update, args)
            update.first = None
            check_update(update, params)
            _column_major_weights(first, update)
        built = _build(first, params, wanted, names, update, _python_names(self.loss_fn))
        rng = np.random.default_rng(1)
        moved = [_rearranged(a, rng) for a in arrays] if earlier is None else [a.copy() for a in earlier]
        second, other = _probe(self.loss_fn, moved, params, wanted, first, names, update)
        built = _checked(built, other, (first, second), names)
        function = _function(built, self._filename())
        _verify(function, built, first, params, wanted, [] if update is None else update.first or [])
        built.lowered.program.release()
        targets: list[Any] = [*params, *slots]
        reached = [t for t, g in zip(targets, built.lowered.grads) if g is not None]
        still = {i for i, (a, b) in enumerate(zip(arrays, moved)) if np.array_equal(a, b)}
        return _Compiled(function, built, params, reached, arrays, earlier is None, still)

    def _confirm(self, compiled: _Compiled, key: Any, args: Sequence[Any]) -> _Compiled:
        """The first call with other values than the traced ones, and the first in which each
        argument the second trace could not change (one label, all equal) changes, check the
        program against the engine there: a value the traces could not tell from a constant
        shows now.  A program that disagrees is traced anew against the earlier call's values
        (which tell the two apart), or refused."""
        arrays = [_array(x) for x in args]
        pending = compiled.pending
        assert pending is not None
        watch = range(len(arrays)) if compiled.general else compiled.still
        moved = {i for i in watch if not np.array_equal(arrays[i], pending[i])}
        if not moved:
            return compiled
        trace = _run(self.loss_fn, [a.copy() for a in arrays])
        wanted = compiled.params + [trace.arguments[i] for i, x in enumerate(args)
                                    if isinstance(x, Tensor) and x.requires_grad]
        extra = [] if self._update is None else self._update.probe_arguments()
        try:
            _verify(compiled.function, compiled.built, trace, compiled.params, wanted, extra, _DEPENDS)
        except Exception:  # a disagreement, or a failure on values the engine takes (an index baked in)
            del self._programs[key]
            fresh = self._programs[key] = self._trace(args, earlier=pending)
            return fresh
        compiled.general = False
        compiled.still -= moved
        if not compiled.still:
            compiled.pending = None
        return compiled

    def _names(self, n: int) -> list[str]:
        given = self._argument_names[:n]
        return given + [f"arg{i}" for i in range(len(given), n)]

    def _filename(self) -> str:
        return f"<chainrule compile of {getattr(self.loss_fn, '__qualname__', 'loss_fn')}>"

    @property
    def source(self) -> str:
        """The program of the last call, as a module that runs with numpy alone."""
        if self._last is None:
            raise ValueError("compile: step.source: call the step once first: it traces loss_fn on "
                             "the arguments' shapes and dtypes")
        return self._last.module_source(self.loss_fn)

    def save(self, path: str) -> None:
        """Write :attr:`source` to ``path`` (atomically), its constants included."""
        text = self.source
        with atomic_write(path, "w", encoding="utf-8") as f:
            f.write(text)

    def __repr__(self) -> str:
        name = getattr(self.loss_fn, "__qualname__", self.loss_fn)
        return f"compile({name!r}): {len(self._programs)} program(s)"


@dataclass
class _Compiled:
    """One traced program: its function, what it was built from, the parameters it reads and
    where the grads it returns go (in order)."""

    function: Callable[..., Any]
    built: Built
    params: list[Tensor]
    targets: list[Any]
    """Where each gradient goes: a parameter, or the position of an argument that requires grad."""
    pending: list[np.ndarray] | None
    """The traced arguments, until calls with other values have checked the program (``_confirm``)."""
    general: bool
    """Whether the first call with any other values is still to check the program."""
    still: set[int]
    """The arguments the second trace could not change: the first call that changes each checks."""

    def module_source(self, loss_fn: Callable[..., Any]) -> str:
        """The program as a module: numpy, the helpers, the constants, the function."""
        name = getattr(loss_fn, "__qualname__", "loss_fn")
        head = (f'"""The training step of {name}, generated by chainrule (autograd.compile): '
                "forward, then backward.\n\n"
                f"step({', '.join(self.built.inputs)}) returns the loss and the gradients "
                f"({', '.join(_grad_names(self.built))}).\n\"\"\"\n\n")
        function = _source(self.built, "step", "The loss and its gradients.")
        used = _used(self.built.constants, function)
        constants = "".join(f"{n} = {_encoded(c)}\n" for n, c in used.items())
        parts = [head + _PRELUDE, constants, function]
        return "\n\n".join(p.rstrip("\n") for p in parts if p) + "\n"


def _used(constants: dict[str, np.ndarray], function: str) -> dict[str, np.ndarray]:
    """The constants ``function``'s text reads (not those found to be arguments, nor those of
    lines the program dropped)."""
    words = set(re.findall(r"[A-Za-z_]\w*", function))
    return {n: c for n, c in constants.items() if n in words}


def _grad_names(built: Built) -> list[str]:
    return [g.code for g in built.lowered.grads if g is not None]


def _encoded(c: np.ndarray) -> str:
    """Python text that makes array ``c`` again: ``np.full`` for one repeated number, a literal
    for a few elements, else its bytes in base64."""
    flat = c.reshape(-1)
    if c.size > 16 and c.dtype.kind in "fiub" and np.array_equal(c, np.full(c.shape, flat[0])):
        return f"np.full({c.shape!r}, {flat[0].item()!r}, dtype=np.{c.dtype.name})"
    if c.size <= 16 and (c.dtype.kind != "f" or np.isfinite(c).all()):
        return f"np.array({c.tolist()!r}, dtype=np.{c.dtype.name})"
    data = base64.b64encode(np.ascontiguousarray(c).tobytes()).decode("ascii")
    return (f"np.frombuffer(__import__('base64').b64decode('{data}'), dtype=np.dtype({c.dtype.str!r}))"
            f".reshape({c.shape!r}).copy()")


def _function(built: Built, filename: str) -> Callable[..., Any]:
    """The program's function, compiled from its source (registered with ``linecache``, so a
    traceback shows the generated line)."""
    text = _source(built, "step", "The loss and its gradients.")
    source = _PRELUDE + "\n\n" + text + "\n"
    namespace: dict[str, Any] = _used(built.constants, text)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(builtins.compile(source, filename, "exec"), namespace)
    function: Callable[..., Any] = namespace["step"]
    return function


_BUG = "a bug of chainrule's compiler; please report it"

_DEPENDS = (
    "loss_fn depends on values of its arguments that its two traces could not tell from constants (a "
    "batch of one label, a count or a sum of an argument's values, a branch on them). Compute them with "
    "Tensor ops, pass them as arguments, or call loss_fn without compile")


def _verify(function: Callable[..., Any], built: Built, trace: Trace, params: list[Tensor],
            wanted: list[Tensor], extra: Sequence[Any], why: str = _BUG) -> None:
    """The program run at the point ``trace`` was taken at (on copies: an update writes in
    place; ``extra``: the update's numbers and buffers) against the engine's own backward pass
    there; a disagreement is :class:`NotCompilable`, saying ``why``."""
    extra = [np.array(v, copy=True) for v in extra]
    loss, grads, *_ = function(*trace.arrays, *[p._data.copy(order="K") for p in params], *extra)
    reference = gradients(trace.loss, np.ones(trace.loss.shape, trace.loss.dtype), wanted)
    expected = [r for r, g in zip(reference, built.lowered.grads) if g is not None]
    for got, want, name in zip((loss, *grads), (trace.loss._data, *expected), ("loss", *_grad_names(built))):
        want = np.asarray(want)
        tolerance = 1e-4 if want.dtype == np.float32 else 1e-9
        scale = float(np.max(np.abs(want), initial=0.0)) if want.size else 0.0
        if np.shape(got) != want.shape or not np.allclose(got, want, rtol=tolerance, atol=tolerance * scale,
                                                          equal_nan=True):
            raise NotCompilable(f"compile: the generated program's {name} disagrees with the engine's "
                                f"at this point: {why}")
