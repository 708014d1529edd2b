"""Graph mechanics shared by ``Value`` and ``Tensor``.

* :class:`Node` -- the operators and elementwise methods of both engines, each a
  call into the op table; ``zero_grad()`` and graph walks (each engine adds its own
  ``backward()``, which calls :func:`run_backward`); comparisons of values (``==`` too:
  a node hashes by identity, so dicts and sets of nodes are unaffected); :func:`where`.
* :func:`run_backward` -- the one backward pass: :func:`consumers` counts, then
  :func:`backward_order` walks (Kahn's algorithm); iterative, no recursion anywhere.
* :func:`no_grad`, :func:`detect_anomaly` -- context managers (also decorators)
  kept in a :class:`contextvars.ContextVar`, so threads and tasks do not share them.
* :func:`topological_order` (the one order nodes are numbered in, the reverse of the
  backward walk), :func:`first_nonfinite`.
* :class:`LearnerWarning` -- classic slips (``backward()`` twice on one graph, here; the
  optimizer's in ``nn.optim``), issued by :func:`warn_learner` at the learner's own line;
  :func:`has_grad`.

A node holds its op and its parents, never a closure over itself: the graph has
no reference cycles, so CPython frees it by reference counting alone.
"""

from __future__ import annotations

import math
import operator
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from numbers import Real
from typing import Any, TypeVar

import numpy as np

from autograd import ops
from autograd.ops import Op

RECORD, ANOMALY, SCOPED = 1, 2, 4
_MODE: ContextVar[int] = ContextVar("chainrule_mode", default=RECORD)
_SCOPE: ContextVar[str | None] = ContextVar("chainrule_scope", default=None)
current_mode = _MODE.get
"""The recording mode, as bit flags: RECORD (ops record the graph), ANOMALY (check every
result is finite), SCOPED (tag new nodes with the current :func:`scope`).  The engines read
it once per op (a bound ``ContextVar.get``: no Python frame)."""


class AnomalyError(FloatingPointError):
    """Raised in :func:`detect_anomaly` mode by the first op that made a NaN or an infinity."""


class LearnerWarning(UserWarning):
    """A classic slip of backpropagation, reported at the line of your code that made it.
    Each message starts with the slip's name:

    * ``backward twice`` -- ``backward()`` ran through a graph an earlier ``backward()``
      already ran through, and ``loss.zero_grad()`` did not reset it since: gradients add
      up (2x for the same loss); a loss computed once before a training loop is stale;
    * ``no gradients`` -- ``opt.step()`` found no gradient, or only zeros: the step has no
      gradient to follow (no ``backward()`` since the reset, or a loss flat in every parameter);
    * ``unused parameters`` -- ``opt.step()`` found parameters that no ``backward()``
      reached (they took no part in the loss) beside others that it did: they stay as they are.

    Python's default filter shows a warning once per line and message: a slip inside a
    loop warns once.  Silence all of them with
    ``warnings.filterwarnings("ignore", category=autograd.LearnerWarning)``, one slip by
    adding its name, ``message="backward twice"``; ``"error"`` for ``"ignore"`` makes them errors.

    >>> import warnings
    >>> from autograd import Value
    >>> x = Value(3.0)
    >>> y = x * x
    >>> y.backward()
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     y.backward()
    >>> x.grad, str(caught[0].message)[:15]  # 2 * (dy/dx = 6)
    (12.0, 'backward twice:')
    """


_AUTOGRAD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")


def warn_learner(message: str, *folders: str) -> None:
    """Issue a :class:`LearnerWarning` at the first caller outside ``autograd`` and
    ``folders`` (other packages' folders, e.g. ``nn``'s): the learner's own line, such as
    their ``loss.backward()``, which Python's filters then count the warning by."""
    inside = (_AUTOGRAD, *(os.path.join(f, "") for f in folders))
    frame = sys._getframe(1)
    level = 2  # stacklevel 2: warn_learner's caller
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(inside):
        frame = frame.f_back
        level += 1
    warnings.warn(message, LearnerWarning, stacklevel=level)


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside, ops compute values but record no graph (also usable as ``@no_grad()``).

    >>> from autograd import Value
    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.op is None
    True
    """
    token = _MODE.set(_MODE.get() & ~RECORD)
    try:
        yield
    finally:
        _MODE.reset(token)


@contextmanager
def enable_grad() -> Iterator[None]:
    """Inside, ops record the graph, even within :func:`no_grad` (also usable as
    ``@enable_grad()``): how a ``create_graph`` backward pass records its derivatives.

    >>> from autograd import Value
    >>> with no_grad(), enable_grad():
    ...     y = Value(2.0) * 3
    >>> y.op.name
    'mul'
    """
    token = _MODE.set(_MODE.get() | RECORD)
    try:
        yield
    finally:
        _MODE.reset(token)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside, an op whose result (forward) or gradient (backward) is NaN or infinite,
    from finite inputs, raises :class:`AnomalyError` naming the op and its inputs.

    >>> from autograd import Tensor
    >>> with detect_anomaly():
    ...     Tensor([0.0, 1.0]).log()
    Traceback (most recent call last):
    ...
    autograd.node.AnomalyError: log produced -inf in forward from inputs of shape (2,)
    """
    token = _MODE.set(_MODE.get() | ANOMALY)
    try:
        yield
    finally:
        _MODE.reset(token)


@contextmanager
def scope(name: str) -> Iterator[str]:
    """Tag every node made inside with a dotted scope name (nested scopes join with
    dots); ``draw`` can group a scope's nodes into one cluster.  ``nn`` modules
    open one per call, named like ``MLP.layer1.Linear`` (an MLP numbers its layers 1 ... L).

    >>> from autograd import Value
    >>> with scope("layer1"):
    ...     y = Value(1.0) * 2
    >>> y.scope
    'layer1'
    """
    outer = _SCOPE.get()
    full = name if outer is None else f"{outer}.{name}"
    token = _SCOPE.set(full)
    mode_token = _MODE.set(_MODE.get() | SCOPED)
    try:
        yield full
    finally:
        _MODE.reset(mode_token)
        _SCOPE.reset(token)


def current_scope() -> str | None:
    """The dotted name of the innermost :func:`scope`, or None."""
    return _SCOPE.get()


def is_grad_enabled() -> bool:
    """True unless inside :func:`no_grad`."""
    return bool(_MODE.get() & RECORD)


def _bad(x: Any) -> str | None:
    """'nan', 'inf' or '-inf' for the first non-finite entry of x (a number, an array or a
    node's data), else None."""
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, float):
        return None if math.isfinite(x) else repr(x)
    a = np.asarray(x)
    if a.dtype.kind != "f" or np.isfinite(a).all():
        return None
    first = a[~np.isfinite(a)].flat[0]
    return repr(float(first))


def _describe(x: Any) -> str:
    return f"shape {x.shape}" if isinstance(x, np.ndarray) else repr(x)


def annotate(out: Node, op: Op, xs: tuple[Any, ...], mode: int) -> None:
    """The rare part of recording an op, shared by both engines: tag ``out`` with the
    current :func:`scope` (mode SCOPED) and check its value (mode ANOMALY)."""
    if mode & SCOPED:
        out._set_meta(None, _SCOPE.get())
    if mode & ANOMALY:
        check_forward(op, out.data, xs)


def check_forward(op: Op, out: Any, xs: tuple[Any, ...]) -> None:
    """Anomaly mode: raise if ``op`` turned finite inputs ``xs`` into a non-finite ``out``."""
    what = _bad(out)
    if what is not None and all(_bad(x) is None for x in xs):
        shapes = ", ".join(_describe(x) for x in xs)
        noun = "inputs of" if isinstance(out, np.ndarray) else "inputs"
        raise AnomalyError(f"{op.name} produced {what} in forward from {noun} {shapes}")


class Node:
    """Operators shared by ``Value`` and ``Tensor``.  Each subclass supplies how
    to apply an op (``_apply``), how to coerce a plain number (``_lift``) and one
    chain-rule step (``_contributions``)."""

    __slots__ = ()
    MAX_INPUTS: int = 1 << 30
    """How many inputs an op of this node type may take."""
    _op: Op | None
    _meta: tuple[str | None, str | None] | None
    """(label, scope), or None when both are None: one slot for two rarely set fields
    (a slot less per node is 5 % of the scalar engine's training step, measured)."""
    data: Any
    _data: Any
    """The value itself (``data`` may hand out a view or a copy)."""
    grad: Any
    requires_grad: bool

    @property
    def label(self) -> str | None:
        """The node's name in pictures, traces and reports (``None``: numbered automatically)."""
        meta = self._meta
        return None if meta is None else meta[0]

    @label.setter
    def label(self, label: str | None) -> None:
        self._set_meta(check_label(label, type(self).__name__), self.scope)

    def _set_meta(self, label: str | None, scope: str | None) -> None:
        meta = None if label is None and scope is None else (label, scope)
        setattr(self, "_meta", meta)  # noqa: B010 - the slot is declared by the subclasses

    # -- what subclasses provide -------------------------------------------------
    def _apply(self, op: Op, *others: Any) -> Any:
        raise NotImplementedError

    def _lift(self, other: Any) -> Any:
        raise NotImplementedError

    def _contributions(self, grad_out: Any) -> Iterable[tuple[Any, Any, Any]]:
        """(parent, local derivative or None, contribution) for each parent edge."""
        raise NotImplementedError

    def _graph_contributions(self, grad_out: Any) -> Iterable[tuple[Any, Any, Any]]:
        """The same, computed on the recording backend from the node ``grad_out``: the
        local derivatives and contributions are nodes of a graph (``create_graph``)."""
        raise NotImplementedError

    def _accumulate(self, g: Any) -> None:
        raise NotImplementedError

    def _reset_grad(self) -> None:
        raise NotImplementedError

    def _has_grad(self) -> bool:
        """Whether a backward pass reached this node since its grad was last reset."""
        raise NotImplementedError

    def _backward_plain(self, grad: Any) -> bool:
        """:func:`run_backward` with no hook, no ``order``, no anomaly check and gradients
        accumulated, done the engine's own faster way, with the same result to the bit;
        False when the engine has none, or it could not (nothing changed): the general walk runs."""
        return False

    def _first_grad(self, grad: Any = None, what: str = "backward") -> Any:
        """The gradient a backward pass from this node starts with (d self / d self)."""
        raise NotImplementedError

    @property
    def _parents(self) -> tuple[Any, ...]:
        """The parents (``parents``), as each engine keeps them: a Tensor in a slot, a Value
        in two (a tuple per Value, one more object for the garbage collector to follow, made
        the scalar engine's training step 1.5x slower, measured)."""
        raise NotImplementedError

    # -- graph ---------------------------------------------------------------------
    @property
    def op(self) -> Op | None:
        """The op that made this node (``None`` for a leaf)."""
        return self._op

    @property
    def parents(self) -> tuple[Any, ...]:
        """The nodes this one was computed from (that take part in backward)."""
        return self._parents

    @property
    def scope(self) -> str | None:
        """The :func:`scope` this node was made in, if any."""
        meta = self._meta
        return None if meta is None else meta[1]

    @property
    def inputs(self) -> tuple[Any, ...]:
        """The input values the op was evaluated at (floats or arrays), in op order."""
        raise NotImplementedError

    @property
    def parent_slots(self) -> tuple[int, ...]:
        """Each parent's position among the op's inputs (``op.input_name`` names it): all of
        them for a ``Value``; for a ``Tensor``, those of the inputs that need a gradient."""
        return tuple(range(len(self._parents)))

    def zero_grad(self) -> None:
        """Reset the grad of this node and of every node it was computed from."""
        for node in topological_order(self):
            node._reset_grad()

    # -- arithmetic: each line one op, or a composition of ops ---------------------
    def _binary(self, op: Op, other: Any, reflected: bool = False) -> Any:
        other = self._lift(other)
        if other is NotImplemented:
            return NotImplemented
        return other._apply(op, self) if reflected else self._apply(op, other)

    def __add__(self, other: Any) -> Any:
        return self._binary(ops.ADD, other)

    def __radd__(self, other: Any) -> Any:
        return self._binary(ops.ADD, other, reflected=True)

    def __mul__(self, other: Any) -> Any:
        return self._binary(ops.MUL, other)

    def __rmul__(self, other: Any) -> Any:
        return self._binary(ops.MUL, other, reflected=True)

    def __neg__(self) -> Any:
        return self._apply(ops.NEG)

    def __sub__(self, other: Any) -> Any:
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else self + (-other)  # x - y = x + (-y)

    def __rsub__(self, other: Any) -> Any:
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else other + (-self)

    def __truediv__(self, other: Any) -> Any:
        return self._binary(ops.DIV, other)

    def __rtruediv__(self, other: Any) -> Any:
        return self._binary(ops.DIV, other, reflected=True)

    def __pow__(self, other: Any) -> Any:
        if isinstance(other, Real) and not isinstance(other, bool):  # a constant exponent
            return self._apply(ops.pow_const(float(other)))
        return self._binary(ops.POW, other)

    def __rpow__(self, other: Any) -> Any:
        return self._binary(ops.POW, other, reflected=True)

    # -- in-place operators: ``p -= lr * p.grad`` must never be a silent no-op ----------
    def _inplace(self, symbol: str, other: Any, compute: Callable[[Any, Any], Any]) -> Any:
        """``self op= other``, as PyTorch does it.  While graphs are recorded, a leaf that
        requires grad is refused whatever ``other`` is (the update would be lost: Python
        binds the name to a new node), and an op result, or a leaf combined with a node
        that needs a gradient, becomes a new node (``self = self op other``); anything
        else (a tensor that needs no gradient, or any leaf inside ``no_grad``) is
        updated in place.  An operand of a kind no op takes gets Python's own error."""
        if self._lift(other) is NotImplemented:
            return NotImplemented
        recording = is_grad_enabled()
        if recording and self._op is None and self.requires_grad:
            kind = type(self).__name__
            which = "" if self.label is None else f" ({self.label!r})"
            raise TypeError(
                f"{kind} {symbol}=: a leaf {kind} that requires grad{which} cannot be updated in place "
                f"while graphs are recorded (Python would bind the name to a new node and leave the "
                f"parameter as it was). To update a parameter, change its values: `p.data {symbol}= ...`, "
                f"e.g. `p.data -= lr * p.grad`, or update inside `with autograd.no_grad():`; for a new "
                f"node write `p = p {symbol} ...`")
        if self._op is not None or (recording and isinstance(other, Node) and other.requires_grad):
            return NotImplemented
        with no_grad():
            result = compute(self, other)
        self._assign(result)
        return self

    def _assign(self, result: Any) -> None:
        """Take ``result``'s values in place (an in-place operator's last step)."""
        raise NotImplementedError

    def __iadd__(self, other: Any) -> Any:
        return self._inplace("+", other, Node.__add__)

    def __isub__(self, other: Any) -> Any:
        return self._inplace("-", other, Node.__sub__)

    def __imul__(self, other: Any) -> Any:
        return self._inplace("*", other, Node.__mul__)

    def __itruediv__(self, other: Any) -> Any:
        return self._inplace("/", other, Node.__truediv__)

    def __ipow__(self, other: Any) -> Any:
        return self._inplace("**", other, Node.__pow__)

    def exp(self) -> Any:
        """e**self"""
        return self._apply(ops.EXP)

    def log(self) -> Any:
        """natural logarithm"""
        return self._apply(ops.LOG)

    def tanh(self) -> Any:
        """tanh(self)"""
        return self._apply(ops.TANH)

    def sin(self) -> Any:
        """sin(self)"""
        return self._apply(ops.SIN)

    def cos(self) -> Any:
        """cos(self)"""
        return self._apply(ops.COS)

    def sigmoid(self) -> Any:
        """1 / (1 + e**-self), stable for any magnitude"""
        return self._apply(ops.SIGMOID)

    def relu(self) -> Any:
        """max(self, 0)"""
        return self._apply(ops.RELU)

    def sqrt(self) -> Any:
        """square root"""
        return self._apply(ops.SQRT)

    def abs(self) -> Any:
        """|self|"""
        return self._apply(ops.ABS)

    def maximum(self, other: Any) -> Any:
        """elementwise max(self, other); ties split the gradient evenly"""
        return self._binary(ops.MAXIMUM, other)

    def clip(self, lo: float, hi: float) -> Any:
        """self limited to [lo, hi]"""
        return self._apply(ops.Clip(lo, hi))

    def minimum(self, other: Any) -> Any:
        """elementwise min(self, other); ties split the gradient evenly"""
        return self._binary(ops.MINIMUM, other)

    def log1p(self) -> Any:
        """log(1 + self), exact for tiny self"""
        return self._apply(ops.LOG1P)

    def expm1(self) -> Any:
        """e**self - 1, exact for tiny self"""
        return self._apply(ops.EXPM1)

    def softplus(self) -> Any:
        """log(1 + e**self), never overflowing"""
        return self._apply(ops.SOFTPLUS)

    def silu(self) -> Any:
        """self * σ(self) (SiLU, swish)"""
        return self._apply(ops.SILU)

    def gelu_tanh(self) -> Any:
        """GELU's tanh approximation, PyTorch's ``gelu(x, approximate="tanh")``"""
        return self._apply(ops.GELU_TANH)

    def leaky_relu(self, slope: float = 0.01) -> Any:
        """self for self > 0, slope * self otherwise (PyTorch's default slope, 0.01)"""
        return self._apply(ops.LeakyRelu(float(slope)))

    def elu(self, alpha: float = 1.0) -> Any:
        """self for self > 0, alpha * (e**self - 1) otherwise"""
        return self._apply(ops.Elu(float(alpha)))

    # -- comparisons: values only, no graph --------------------------------------------
    # `==` compares values, as in numpy and PyTorch; hashing stays by identity, so nodes
    # remain dict keys and set members (CPython checks identity before calling __eq__).
    __hash__ = object.__hash__

    def _compare(self, compare: Callable[[Any, Any], Any], other: Any) -> Any:
        raise NotImplementedError

    def __eq__(self, other: object) -> Any:
        """Elementwise ``==`` of the values: a bool (Value), a boolean array (Tensor)."""
        return self._compare(operator.eq, other)

    def __ne__(self, other: object) -> Any:
        return self._compare(operator.ne, other)

    def __lt__(self, other: Any) -> Any:
        return self._compare(operator.lt, other)

    def __le__(self, other: Any) -> Any:
        return self._compare(operator.le, other)

    def __gt__(self, other: Any) -> Any:
        return self._compare(operator.gt, other)

    def __ge__(self, other: Any) -> Any:
        return self._compare(operator.ge, other)


def where(condition: Any, x: Any, y: Any) -> Any:
    """x where ``condition`` holds, y elsewhere (:class:`~autograd.ops.Where`): one op, with a
    gradient for x (1 where chosen, else 0) and one for y; ``condition`` takes none.  A
    bool for Values, a boolean array (a comparison such as ``t > 0``) for Tensors; x or
    y may be a plain number.

    >>> from autograd import Tensor
    >>> t = Tensor([-1.0, 2.0], requires_grad=True)
    >>> y = where(t.data > 0, t, 0.0)
    >>> y.sum().backward()
    >>> y.data, t.grad
    (array([0., 2.]), array([0., 1.]))
    """
    first = x if isinstance(x, Node) else y
    if not isinstance(first, Node):
        raise TypeError(f"where: x or y must be a Value or a Tensor, got {_kinds((x, y))}")
    cond = np.asarray(condition.data if isinstance(condition, Node) else condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be boolean (a comparison such as x > 0), not of "
                        f"dtype {cond.dtype}")
    if cond.ndim and isinstance(first.data, float):
        raise TypeError(f"where: a Value's condition is one bool, not an array of shape {cond.shape}")
    inputs = tuple(v if isinstance(v, Node) else first._lift(v) for v in (x, y))
    if any(v is NotImplemented for v in inputs):  # by identity: nodes compare by value
        raise TypeError(f"where: cannot use {_kinds((x, y))} as x and y")
    return apply(ops.Where(bool(cond) if not cond.ndim else cond), *inputs)


def apply(op: Op, *inputs: Any) -> Any:
    """Evaluate ``op`` on nodes of one kind (``Value`` or ``Tensor``) and record it:
    the way to use an op of your own, defined as in :mod:`autograd.ops`.

    >>> from autograd import Value, ops
    >>> apply(ops.TANH, Value(0.0)).data
    0.0
    """
    if not inputs or not isinstance(inputs[0], Node):
        raise TypeError(f"apply: {op.name} needs Value or Tensor inputs, got {_kinds(inputs)}")
    first = inputs[0]
    rest = tuple([first._lift(x) for x in inputs[1:]])
    for x in rest:
        if x is NotImplemented or type(x) is not type(first):
            raise TypeError(f"apply: {op.name} needs inputs of one kind, got {_kinds(inputs)}")
    if op.arity >= 0 and op.arity != len(inputs):
        raise TypeError(f"apply: {op.name} takes {op.arity} input(s), got {len(inputs)}")
    if len(inputs) > first.MAX_INPUTS:
        raise TypeError(f"apply: {op.name}: a {type(first).__name__} op takes at most {first.MAX_INPUTS} "
                        f"inputs, got {len(inputs)}")
    return first._apply(op, *rest)


def _kinds(inputs: tuple[Any, ...]) -> list[str]:
    return [type(x).__name__ for x in inputs]


def check_label(label: Any, kind: str) -> str | None:
    """``label`` if it is a string or None; ``TypeError`` naming the node kind otherwise."""
    if label is None or isinstance(label, str):
        return label
    raise TypeError(f"{kind}: label must be a string or None, not {type(label).__name__} ({label!r}); "
                    f"write label={str(label)!r} to use it as text")


def mixed_engines(a: str, b: str) -> TypeError:
    """The error for an op between a ``Value`` and a ``Tensor`` (``a``, ``b``: their kinds)."""
    return TypeError(f"cannot combine a {a} and a {b} in one op: a Value is a scalar of the scalar "
                     f"engine, a Tensor an array of the array engine. Build the expression on one "
                     f"engine: Tensor(v.data) turns a Value into a Tensor, t.item() a one-element "
                     f"Tensor into a number")


def consumers(root: Node) -> dict[Any, int]:
    """For ``root`` and every op node below it, how many times an op node uses it as an
    input (``x * x`` uses x twice).  Leaves are left out: they push no gradient."""
    counts: dict[Any, int] = {root: 0}
    count = counts.get
    stack = [root]
    while stack:
        for p in stack.pop()._parents:
            if p._op is None:
                continue
            n = count(p)
            if n is None:
                counts[p] = 1
                stack.append(p)
            else:
                counts[p] = n + 1
    return counts


def backward_order(root: Node) -> list[Any]:
    """The op nodes of ``root``'s graph, each after every op node that consumed it (Kahn's
    algorithm on :func:`consumers`), so each comes with its gradient complete: the order
    the backward pass visits them in.  Iterative: no recursion limit."""
    if root._op is None:
        return []
    left = consumers(root)
    order = []
    ready = [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for p in node._parents:
            if p._op is not None:
                n = left[p] - 1
                left[p] = n
                if not n:
                    ready.append(p)
    return order


def topological_order(root: Node) -> list[Any]:
    """Every node ``root`` depends on, each after all of its parents (root last): the
    reverse of :func:`backward_order`, with each leaf just before its first consumer.

    The one order of the project: pictures and traces number nodes by it and the
    backward pass walks it in reverse, so a trace's steps come in decreasing number.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x")
    >>> y = (x * 3).tanh()
    >>> [n.op.name if n.op else n.label for n in topological_order(y)]
    ['x', None, 'mul', 'tanh']
    """
    if root._op is None:
        return [root]
    order: list[Any] = []
    placed: set[Any] = set()
    for node in reversed(backward_order(root)):
        for p in node._parents:
            if p._op is None and p not in placed:
                placed.add(p)
                order.append(p)
        order.append(node)
    return order


def has_grad(node: Node) -> bool:
    """Whether a backward pass reached ``node`` since its grad was last reset (or set): a
    Tensor's grad is not None; a Value's is not the 0.0 it starts with (a pass's 0.0 is
    another float), so a gradient of exactly zero still counts.

    >>> from autograd import Value
    >>> x, unused = Value(2.0), Value(5.0)
    >>> (x * 0.0).backward()
    >>> x.grad, has_grad(x), unused.grad, has_grad(unused)
    (0.0, True, 0.0, False)
    """
    return node._has_grad()


_BACKWARD_TWICE = (
    "backward twice: {kind}.backward() ran through a graph that an earlier backward() already ran "
    "through, and gradients add up: every grad not reset in between now holds the sum of both passes "
    "(twice the gradient, for the same loss). In a training loop, compute the loss anew at each step "
    "(an old graph keeps the values it was built from). To go through the same graph again from zero, "
    "call loss.zero_grad() first: it resets every node of the graph, the parameters included "
    "(opt.zero_grad() resets only the parameters). Adding up gradients over minibatches, a new loss "
    "for each, never warns.")


StepHook = Callable[[Any, Any, Any, Any, Any, Any], None]
"""Called as ``hook(node, parent, grad_out, local, contribution, parent_grad)`` per edge."""


def run_backward(root: Node, grad: Any, on_step: StepHook | None = None, accumulate: bool = True,
                 order: Iterable[Node] | None = None, create_graph: bool = False) -> None:
    """Add d(root)/d(node) to ``node.grad`` for every node ``root`` depends on, starting
    from ``grad`` = d(root)/d(root) (``accumulate=False``: walk for ``on_step`` only, and
    change no ``grad``).

    The op nodes are visited in :func:`backward_order` (or ``order``: the same nodes in
    another order with the same property), so a node comes after every node
    that consumed it: its gradient ``grad_out`` is complete.  It pushes
    ``grad_out × local derivative`` to each parent, where the contributions add up.
    Leaves push nothing.  Each total is added to its node's ``grad`` (``+=``: a second
    call adds again) only once the whole walk has succeeded, so a derivative that
    raises (or ``detect_anomaly``) changes no gradient (an engine's own plain walk,
    ``_backward_plain``, may set grads as it goes if it puts back every one when it fails:
    ``Value``'s does, saving a loop over the op nodes, a tenth of its instructions).  A
    ``root`` that already holds a gradient (an earlier pass reached it and nothing reset
    it) means this graph's gradients will add up: a :class:`LearnerWarning` says so, at
    no cost per node.

    ``create_graph=True`` computes every local derivative and contribution on the
    recording backend (:mod:`autograd.recorded`), recording them even inside
    :func:`no_grad`: each gradient is then a node whose graph reaches back into this one,
    differentiable again.  ``grad`` is then a node too (a constant one will do).
    """
    if accumulate and root._has_grad():
        warn_learner(_BACKWARD_TWICE.format(kind=type(root).__name__))
    if create_graph:
        with enable_grad():
            _walk(root, grad, on_step, accumulate, order, True)
    elif not (on_step is None and order is None and accumulate and not current_mode() & ANOMALY
              and root._backward_plain(grad)):
        _walk(root, grad, on_step, accumulate, order, False)


def _walk(root: Node, grad: Any, on_step: StepHook | None, accumulate: bool,
          order: Iterable[Node] | None, create_graph: bool) -> None:
    """:func:`run_backward`'s walk."""
    anomaly = current_mode() & ANOMALY
    pending: dict[Any, Any] = {root: grad}
    # Visited op nodes' totals wait in two lists: left in `pending`, they would grow it to the
    # whole graph and slow every lookup (15 % on 200,000-node graphs).
    done_nodes: list[Any] = []
    done_grads: list[Any] = []
    for node in backward_order(root) if order is None else order:
        grad_out = pending.pop(node)
        done_nodes.append(node)
        done_grads.append(grad_out)
        pushed = node._graph_contributions(grad_out) if create_graph else node._contributions(grad_out)
        for parent, local, contribution in pushed:
            if anomaly:
                _check_backward(node, contribution, grad_out)
            total = pending.get(parent)
            total = contribution if total is None else total + contribution
            pending[parent] = total
            if on_step is not None:
                on_step(node, parent, grad_out, local, contribution, total)
    if accumulate:
        for node, total in zip(done_nodes, done_grads):
            node._accumulate(total)
        for leaf, total in pending.items():
            leaf._accumulate(total)


def _check_backward(node: Node, contribution: Any, grad_out: Any) -> None:
    what = _bad(contribution)
    if what is not None and _bad(grad_out) is None:
        op = node._op
        assert op is not None
        raise AnomalyError(f"{op.name} produced {what} in backward (upstream gradient "
                           f"{_describe(grad_out)}, finite)")


N = TypeVar("N", bound=Node)


def first_nonfinite(root: N) -> N | None:
    """A node whose data holds NaN or inf while all its parents' data is finite: where a
    NaN or an infinity first appeared on its way to ``root``.  When several did, the
    first in :func:`topological_order` (the order nodes are numbered in, which follows
    the graph, not the time each node was computed: the first input's side comes first).

    >>> import numpy as np
    >>> from autograd import Value
    >>> x = Value(-1.0, label="x")
    >>> first_nonfinite((x * 1e308 * 10).tanh()).op.name
    'mul'
    >>> with np.errstate(invalid="ignore"):
    ...     early, late = x.log(), Value(-4.0).sqrt()
    >>> first_nonfinite(late + early).op.name, first_nonfinite(early + late).op.name
    ('sqrt', 'log')
    """
    for node in topological_order(root):
        if _bad(node.data) is not None and all(_bad(p.data) is None for p in node._parents):
            return node
    return None
