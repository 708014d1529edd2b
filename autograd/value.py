"""``Value``: a scalar node holding a Python float, for graphs a student draws on paper.

Every operator and method is one op of :mod:`autograd.ops`, evaluated with the
``math``-based scalar backend; ``backward()`` is the shared engine of
:mod:`autograd.node`.

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
from autograd.ops import Op
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

    __slots__ = ("_data", "grad", "_meta", "_op", "_parents", "_x", "_y")
    MAX_INPUTS = 2
    requires_grad = True
    """Always True: every Value takes part in backward (the spelling of ``Tensor``)."""
    _x: float
    """The first input's value when the op ran (op nodes only)."""
    _y: float
    """The second input's value when the op ran (two-input op nodes only)."""

    def __init__(self, data: float, label: str | None = None) -> None:
        self._data = data if type(data) is float else _as_float(data, "Value: data")
        self.grad = _NO_GRAD
        self._meta = None if label is None else (check_label(label, "Value"), None)
        self._op: Op | None = None
        self._parents: tuple[Value, ...] = ()

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
    def inputs(self) -> tuple[float, ...]:
        """The input values the op was evaluated at, as saved by the forward pass."""
        if self._op is None:
            return ()
        return (self._x,) if len(self._parents) == 1 else (self._x, self._y)

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
        return self._apply2(op, others[0]) if others else self._apply1(op)

    def _apply1(self, op: Op) -> Value:
        """``op(self)``, recorded unless in ``no_grad``."""
        out = _new(Value)
        out.grad = _NO_GRAD
        out._meta = None
        mode = current_mode()
        x = self._data
        try:
            out._data = op.forward(SCALAR, x)
        except FALLBACK_ERRORS:
            out._data = on_float64(op.forward, x)
        if mode & RECORD:
            out._op = op
            out._parents = (self,)
            out._x = x
        else:
            out._op = None
            out._parents = ()
        if mode & (ANOMALY | SCOPED):
            annotate(out, op, (x,), mode)
        return out

    def _apply2(self, op: Op, other: Value) -> Value:
        """``op(self, other)``, recorded unless in ``no_grad`` (no ``*others`` tuple: this
        runs once per binary op)."""
        out = _new(Value)
        out.grad = _NO_GRAD
        out._meta = None
        mode = current_mode()
        x = self._data
        y = other._data
        try:
            out._data = op.forward(SCALAR, x, y)
        except FALLBACK_ERRORS:
            out._data = on_float64(op.forward, x, y)
        if mode & RECORD:
            out._op = op
            out._parents = (self, other)
            out._x = x
            out._y = y
        else:
            out._op = None
            out._parents = ()
        if mode & (ANOMALY | SCOPED):
            annotate(out, op, (x, y), mode)
        return out

    def _contributions(self, grad_out: float) -> tuple[tuple[Value, float, float], ...]:
        op = self._op
        assert op is not None
        parents = self._parents
        if len(parents) == 1:
            try:
                (d,) = op.derivative(SCALAR, self._data, self._x)
            except FALLBACK_ERRORS:
                (d,) = on_float64(op.derivative, self._data, self._x)
            return ((parents[0], d, grad_out * d),)
        try:
            dx, dy = op.derivative(SCALAR, self._data, self._x, self._y)
        except FALLBACK_ERRORS:
            dx, dy = on_float64(op.derivative, self._data, self._x, self._y)
        return ((parents[0], dx, grad_out * dx), (parents[1], dy, grad_out * dy))

    def _input_nodes(self) -> tuple[Value, ...]:
        """The op's inputs as nodes, for a derivative recorded as a graph: the parents,
        checked to hold the values the op read."""
        op = self._op
        assert op is not None
        for p, x in zip(self._parents, self.inputs):
            if p._data is not x and p._data != x:
                raise changed_since_forward(op, p, "Value")
        return self._parents

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
