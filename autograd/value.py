"""``Value``: a scalar node holding a Python float, for graphs a student draws on paper.

Every operator and method is one op of :mod:`autograd.ops`, evaluated with the
``math``-based scalar backend; ``backward()`` is the shared engine of
:mod:`autograd.node`, whose plain case (no step hook, no anomaly check) runs this module's
own walk, :func:`_walk_plain`, to the same bits.  ``+`` and ``*``, most of any graph, make
their nodes inline, and each node is one object, with no tuple of parents: micrograd's
demo training step takes under a tenth of micrograd's time (``benchmarks/value_engine.py``).

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + x.tanh()
>>> y.backward()
>>> round(y.data, 4), round(x.grad, 4)
(4.964, 4.0707)
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real
from typing import Any

from autograd.backends import FALLBACK_ERRORS, SCALAR, on_float64
from autograd.node import (
    ANOMALY,
    RECORD,
    SCOPED,
    Node,
    annotate,
    check_label,
    current_mode,
    mixed_engines,
    run_backward,
)
from autograd.ops import ADD, MUL, Op
from autograd.recorded import changed_since_forward, recorded_derivative

_NUMBER_TYPES = (int, float)
_new = object.__new__
_NO_GRAD = 0.0
"""The grad of a node no backward pass has reached (this very object: a gradient of 0.0 that
a pass wrote is another), so that the first gradient is taken as it is, -0.0 included."""


def _as_float(data: Any, what: str) -> float:
    if isinstance(data, _NUMBER_TYPES) or isinstance(data, Real):
        return float(data)
    if isinstance(data, Node):
        raise TypeError(f"{what} must be a real number, not a {type(data).__name__} (use .item() or .data)")
    raise TypeError(f"{what} must be a real number, not {type(data).__name__} ({data!r})")


class Value(Node):
    """A scalar in a computation graph: ``data`` (a float), ``grad`` (d root / d self,
    filled by ``backward()``), an optional ``label``, the ``op`` that made it and its
    ``parents``.

    Operators: ``+ - * / **`` (also with a plain number on either side) and unary
    ``-``; a method for every one-input op of the table (:data:`autograd.ops.UNARY`:
    ``exp``, ``log``, ``tanh``, ...), ``maximum``, ``minimum``, ``clip``, ``leaky_relu`` and
    ``elu``; :func:`~autograd.node.where`.  Comparisons (``<``, ``==``, ...) compare
    ``data`` and give a bool (no graph); hashing stays by identity.  Every op
    gives what numpy gives for one float64 element (IEEE 754): ``log(0)`` is -inf,
    ``sqrt(-1)`` is NaN, ``exp(1000)`` is inf, each with numpy's ``RuntimeWarning``
    (plain arithmetic that overflows, ``1e308 * 10``, gives inf without one, as Python's
    floats do), and NaN propagates forward and backward; ``detect_anomaly()`` turns a
    NaN or an infinity made from finite inputs into an error naming the op.

    An op node keeps the input values it was computed from, so changing a leaf's
    ``data`` after the forward pass (``p.data -= lr * p.grad``) leaves the gradient of
    the graph already built as it was; an op result's ``data`` cannot be changed.
    ``bool(v)`` is ``bool(v.data)``, as for a number.
    """

    __slots__ = ("_data", "grad", "_meta", "_op", "_a", "_b", "_x", "_y", "_uses")
    MAX_INPUTS = 2
    requires_grad = True
    """Always True: every Value takes part in backward (the spelling of ``Tensor``)."""
    _a: Value
    """The first parent (op nodes only)."""
    _b: Value | None
    """The second parent (two-input op nodes), None (one-input op nodes)."""
    _x: float
    """The first input's value when the op ran (op nodes only)."""
    _y: float
    """The second input's value when the op ran (two-input op nodes only)."""
    _uses: int
    """How many recorded ops took this op node as an input (0 for a leaf), counted as they were
    recorded: the counts of Kahn's algorithm, with no counting pass, for backward's plain walk
    (:func:`_walk_plain`).  A node used once is complete at its one contribution; one used
    more waits for all of them.  A use from outside the graph walked (a node made from this
    one and dropped, an op that failed after recording) leaves a node waiting at the end:
    the general walk of :func:`~autograd.node.run_backward`, which counts, runs instead."""

    def __init__(self, data: float, label: str | None = None) -> None:
        self._data = data if type(data) is float else _as_float(data, "Value: data")
        self.grad = _NO_GRAD
        self._meta = None if label is None else (check_label(label, "Value"), None)
        self._op: Op | None = None
        self._uses = 0

    @property
    def data(self) -> float:
        """The value.  A leaf's may be replaced (graphs already built keep the values they
        were computed from); an op result's may not, since backward needs it."""
        return self._data

    @data.setter
    def data(self, value: float) -> None:
        if self._op is not None:
            raise ValueError(f"Value.data: cannot replace the data of a result of {self._op.name}: "
                             "backward needs it (use Value(v.data) for a new leaf)")
        self._data = value if type(value) is float else _as_float(value, "Value.data")

    def __repr__(self) -> str:
        label = f"{self.label!r}, " if self.label is not None else ""
        return f"Value({label}data={self._data:.6g}, grad={self.grad:.6g})"

    def __bool__(self) -> bool:
        return bool(self._data)

    @property
    def _parents(self) -> tuple[Value, ...]:
        if self._op is None:
            return ()
        b = self._b
        return (self._a,) if b is None else (self._a, b)

    @property
    def inputs(self) -> tuple[float, ...]:
        """The input values the op was evaluated at, as saved by the forward pass."""
        if self._op is None:
            return ()
        return (self._x,) if self._b is None else (self._x, self._y)

    # -- engine hooks -------------------------------------------------------------
    def _lift(self, other: Any) -> Any:
        if type(other) is Value:
            return other
        if isinstance(other, _NUMBER_TYPES) or isinstance(other, Real):
            return Value(float(other))
        if isinstance(other, Node):
            raise mixed_engines(type(self).__name__, type(other).__name__)
        return NotImplemented

    def _binary(self, op: Op, other: Any, reflected: bool = False) -> Any:
        if type(other) is not Value:  # the fast path skips _lift for Value operands
            other = self._lift(other)
            if other is NotImplemented:
                return NotImplemented
        return other._apply2(op, self) if reflected else self._apply2(op, other)

    def _apply(self, op: Op, *others: Value) -> Value:
        """``op(self, *others)``, recorded unless in ``no_grad`` (a one-input op here: one
        frame less for every unary method)."""
        if others:
            return self._apply2(op, others[0])
        out = _new(Value)
        out.grad = _NO_GRAD
        out._meta = None
        out._uses = 0
        mode = current_mode()
        x = self._data
        try:
            out._data = op.forward(SCALAR, x)
        except FALLBACK_ERRORS:
            out._data = on_float64(op.forward, x)
        if mode & RECORD:
            out._op = op
            out._a = self
            out._b = None
            out._x = x
            if self._op is not None:
                self._uses += 1
        else:
            out._op = None
        if mode & (ANOMALY | SCOPED):
            annotate(out, op, (x,), mode)
        return out

    def _apply2(self, op: Op, other: Value) -> Value:
        """``op(self, other)``, recorded unless in ``no_grad`` (no ``*others`` tuple: this
        runs once per binary op)."""
        out = _new(Value)
        out.grad = _NO_GRAD
        out._meta = None
        out._uses = 0
        mode = current_mode()
        x = self._data
        y = other._data
        try:
            out._data = op.forward(SCALAR, x, y)
        except FALLBACK_ERRORS:
            out._data = on_float64(op.forward, x, y)
        if mode & RECORD:
            out._op = op
            out._a = self
            out._b = other
            out._x = x
            out._y = y
            if self._op is not None:
                self._uses += 1
            if other._op is not None:
                other._uses += 1
        else:
            out._op = None
        if mode & (ANOMALY | SCOPED):
            annotate(out, op, (x, y), mode)
        return out

    # -- the two ops most graphs are made of, inlined: the op table's ADD and MUL, their
    # nodes made here as _apply2 makes them (29 % of the instructions of a training step's
    # forward pass, counted with callgrind); tests/test_value_fast.py holds both to the
    # table, bit for bit
    def __add__(self, other: Any) -> Any:
        if type(other) is not Value:
            other = self._lift(other)
            if other is NotImplemented:
                return NotImplemented
        if current_mode() != RECORD:  # no_grad, scope or detect_anomaly: the general path
            return self._apply2(ADD, other)
        x = self._data
        y = other._data
        out = _new(Value)
        out._data = x + y  # ADD.forward
        out.grad = _NO_GRAD
        out._meta = None
        out._uses = 0
        out._op = ADD
        out._a = self
        out._b = other
        out._x = x
        out._y = y
        if self._op is not None:
            self._uses += 1
        if other._op is not None:
            other._uses += 1
        return out

    def __mul__(self, other: Any) -> Any:
        if type(other) is not Value:
            other = self._lift(other)
            if other is NotImplemented:
                return NotImplemented
        if current_mode() != RECORD:
            return self._apply2(MUL, other)
        x = self._data
        y = other._data
        out = _new(Value)
        out._data = x * y  # MUL.forward
        out.grad = _NO_GRAD
        out._meta = None
        out._uses = 0
        out._op = MUL
        out._a = self
        out._b = other
        out._x = x
        out._y = y
        if self._op is not None:
            self._uses += 1
        if other._op is not None:
            other._uses += 1
        return out

    def __radd__(self, other: Any) -> Any:
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else other.__add__(self)

    def __rmul__(self, other: Any) -> Any:
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else other.__mul__(self)

    def _derivatives(self) -> tuple[float, ...]:
        """The op's local derivatives at the saved inputs (numpy's where Python raises)."""
        op = self._op
        assert op is not None
        out = self._data
        if self._b is None:
            try:
                return op.derivative(SCALAR, out, self._x)
            except FALLBACK_ERRORS:
                return on_float64(op.derivative, out, self._x)
        try:
            return op.derivative(SCALAR, out, self._x, self._y)
        except FALLBACK_ERRORS:
            return on_float64(op.derivative, out, self._x, self._y)

    def _contributions(self, grad_out: float) -> tuple[tuple[Value, float, float], ...]:
        ds = self._derivatives()
        b = self._b
        if b is None:
            return ((self._a, ds[0], grad_out * ds[0]),)
        return ((self._a, ds[0], grad_out * ds[0]), (b, ds[1], grad_out * ds[1]))

    def _backward_plain(self, grad: float) -> bool:
        """:func:`~autograd.node.run_backward` without a hook, through :func:`_walk_plain`,
        which sets each op node's grad as it visits it: every grad it set is put back as it
        was if it raises, or if the counts were not this graph's (False: the general walk runs)."""
        if self._op is None:
            self._accumulate(grad)
            return True
        nodes: list[Value] = []
        earlier: dict[int, float] = {}
        try:
            leaves = _walk_plain(self, grad, nodes, earlier)
        except BaseException:
            _put_back(nodes, earlier)
            raise
        if leaves is None:
            _put_back(nodes, earlier)
            return False
        for node, g in leaves.items():
            old = node.grad
            node.grad = g if old is _NO_GRAD else old + g  # as _accumulate
        return True

    def _input_nodes(self) -> tuple[Value, ...]:
        """The op's inputs as nodes, for a derivative recorded as a graph: the parents,
        checked to hold the values the op read."""
        op = self._op
        assert op is not None
        parents = self._parents
        for p, x in zip(parents, self.inputs):
            if p._data is not x and p._data != x:
                raise changed_since_forward(op, p, "Value")
        return parents

    def _graph_contributions(self, grad_out: Value) -> tuple[tuple[Value, Any, Value], ...]:
        op = self._op
        assert op is not None
        parents = self._input_nodes()
        ds = recorded_derivative(op, self, parents)
        return tuple((p, d, grad_out * d) for p, d in zip(parents, ds))

    def _compare(self, compare: Callable[[Any, Any], Any], other: Any) -> Any:
        if type(other) is Value:
            return compare(self._data, other._data)
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else compare(self._data, other._data)

    def _accumulate(self, g: float) -> None:
        grad = self.grad
        self.grad = g if grad is _NO_GRAD else grad + g  # 0.0 + -0.0 would lose the sign of a first -0.0

    def _reset_grad(self) -> None:
        self.grad = _NO_GRAD

    def _has_grad(self) -> bool:
        return self.grad is not _NO_GRAD

    def _assign(self, result: Value) -> None:
        self._data = result._data

    # -- public ---------------------------------------------------------------------
    def _first_grad(self, grad: Any = None, what: str = "backward") -> float:
        """d(self)/d(self) for a backward pass from ``self``: 1.0, or ``grad`` as a float."""
        if grad is None:
            return 1.0
        if isinstance(grad, bool) or not isinstance(grad, _NUMBER_TYPES):
            raise TypeError(f"{what}: grad for a Value must be a number, not {type(grad).__name__}")
        return float(grad)

    def backward(self, create_graph: bool = False) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node ``self`` depends on
        (starting from d(self)/d(self) = 1).  Gradients accumulate: call
        ``zero_grad()`` first to start again from zero (a second ``backward()`` through
        the same graph without ``zero_grad()`` of its root warns: :class:`~autograd.node.LearnerWarning`).

        ``create_graph=True`` records the backward pass as a graph: each ``grad`` is then
        a ``Value`` that can be differentiated again (the same numbers, bit for bit).  It
        holds on to this graph (and a leaf's grad to the leaf: a reference cycle that
        Python's garbage collector frees); prefer :func:`autograd.grad` for derivatives
        of derivatives.

        >>> x = Value(3.0)
        >>> (x * x * x).backward(create_graph=True)   # d/dx x³ = 3x²
        >>> g = x.grad
        >>> x.zero_grad()
        >>> g.backward()                              # d/dx 3x² = 6x
        >>> g.data, x.grad
        (27.0, 18.0)
        """
        if create_graph:
            run_backward(self, Value(self._first_grad()), create_graph=True)
        else:
            run_backward(self, self._first_grad())

    def item(self) -> float:
        """``data`` as a float (the same spelling as ``Tensor.item()``)."""
        return self._data


def _walk_plain(root: Value, grad: float, nodes: list[Value], earlier: dict[int, float]
                ) -> dict[Value, float] | None:
    """The chain rule from ``root`` (an op node) down, from ``grad`` = d root / d root, in the
    order of :func:`~autograd.node.backward_order`, so that the same contributions add up in
    the same order as in :func:`~autograd.node.run_backward`'s walk, to the bit.  Each op
    node's total is added to its grad, the node appended to ``nodes`` (its grad before, if
    it had one, put in ``earlier`` under its place there); returns the leaves' totals, or
    None if a node still waits: its ``_uses`` counted a use outside this graph.  MUL's and
    ADD's local derivatives are inlined (y, x; 1, 1: ``g * 1.0`` is ``g``, to the bit)."""
    leaves: dict[Value, float] = {}
    waiting: dict[Value, list[Any]] = {}  # node -> [contributions still to come, total so far]
    stack: list[Value] = []  # the ready nodes (Kahn's), beside their gradients
    grad_stack: list[float] = []
    node, g = root, grad
    while True:
        old = node.grad
        if old is _NO_GRAD:
            nodes.append(node)  # list.append as a method: specialised by CPython 3.11, faster than bound
            node.grad = g
        else:
            earlier[len(nodes)] = old
            nodes.append(node)
            node.grad = old + g
        op = node._op
        b = node._b
        if op is MUL:
            ca = g * node._y
            cb = g * node._x
        elif op is ADD:
            ca = cb = g
        else:
            ds = node._derivatives()
            ca = g * ds[0]
            cb = g * ds[1] if b is not None else 0.0
        # the last parent made ready is the next node (the stack's top: no push and pop)
        ready = None
        p = node._a
        if p._op is None:
            t = leaves.get(p)
            leaves[p] = ca if t is None else t + ca
        elif (t := ca if p._uses == 1 else _arrive(p, ca, waiting)) is not None:
            ready, ready_grad = p, t
        if b is not None:
            if b._op is None:
                t = leaves.get(b)
                leaves[b] = cb if t is None else t + cb
            elif (t := cb if b._uses == 1 else _arrive(b, cb, waiting)) is not None:
                if ready is not None:
                    stack.append(ready)
                    grad_stack.append(ready_grad)
                ready, ready_grad = b, t
        if ready is None:
            if not stack:
                break
            ready, ready_grad = stack.pop(), grad_stack.pop()
        node, g = ready, ready_grad
    return None if waiting else leaves


def _put_back(nodes: list[Value], earlier: dict[int, float]) -> None:
    """Every grad :func:`_walk_plain` set, as it was before (last visit first)."""
    for i in range(len(nodes) - 1, -1, -1):
        nodes[i].grad = earlier.get(i, _NO_GRAD)


def _arrive(p: Value, c: float, waiting: dict[Value, list[Any]]) -> float | None:
    """Contribution ``c`` reaches ``p``, an op node used more than once: its total if that
    was the last to come (``p`` is ready), else None."""
    w = waiting.get(p)
    if w is None:
        waiting[p] = [p._uses - 1, c]
        return None
    left = w[0] - 1
    total: float = w[1] + c
    if left:
        w[0] = left
        w[1] = total
        return None
    del waiting[p]
    return total
