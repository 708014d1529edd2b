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

from numbers import Real
from typing import Any

from autograd.node import _MODE, _SCOPE, ANOMALY, RECORD, SCOPED, Node, check_forward, run_backward
from autograd.ops import SCALAR, Op

_NUMBER_TYPES = (int, float)


def _as_float(data: Any, what: str) -> float:
    if isinstance(data, _NUMBER_TYPES) or isinstance(data, Real):
        return float(data)
    raise TypeError(f"{what} must be a real number, not {type(data).__name__} ({data!r})")


class Value(Node):
    """A scalar in a computation graph: ``data`` (a float), ``grad`` (d root / d self,
    filled by ``backward()``), an optional ``label``, the ``op`` that made it and its
    ``parents``.

    Operators: ``+ - * / **`` (also with a plain number on either side) and unary
    ``-``; methods ``exp log tanh sigmoid relu sqrt abs maximum clip``.  Bad input
    raises: ``log``/``sqrt`` of a negative number and ``0 ** -1`` raise ``ValueError``,
    ``exp`` past 709.78 raises ``OverflowError``; ``sigmoid``/``tanh`` never overflow.
    """

    __slots__ = ("data", "grad", "label", "_op", "_parents", "_scope")

    def __init__(self, data: float, label: str | None = None) -> None:
        self.data = data if type(data) is float else _as_float(data, "Value: data")
        self.grad = 0.0
        self.label = label
        self._op: Op | None = None
        self._parents: tuple[Value, ...] = ()

    def __repr__(self) -> str:
        label = f"{self.label!r}, " if self.label is not None else ""
        return f"Value({label}data={self.data:.6g}, grad={self.grad:.6g})"

    @property
    def inputs(self) -> tuple[float, ...]:
        """The parents' data (what the op was evaluated at)."""
        return tuple(p.data for p in self._parents)

    # -- engine hooks -------------------------------------------------------------
    def _lift(self, other: Any) -> Any:
        if type(other) is Value:
            return other
        if isinstance(other, _NUMBER_TYPES) or isinstance(other, Real):
            return Value(float(other))
        return NotImplemented

    def _binary(self, op: Op, other: Any, reflected: bool = False) -> Any:
        if type(other) is not Value:  # the fast path skips _lift for Value operands
            other = self._lift(other)
            if other is NotImplemented:
                return NotImplemented
        return other._apply(op, self) if reflected else self._apply(op, other)

    def _apply(self, op: Op, *others: Value) -> Value:
        out = Value.__new__(Value)
        out.grad = 0.0
        out.label = None
        mode = _MODE.get()
        if others:
            other = others[0]
            out.data = op.forward(SCALAR, self.data, other.data)
            parents: tuple[Value, ...] = (self, other)
        else:
            out.data = op.forward(SCALAR, self.data)
            parents = (self,)
        if mode & RECORD:
            out._op = op
            out._parents = parents
        else:
            out._op = None
            out._parents = ()
        if mode & (ANOMALY | SCOPED):
            if mode & SCOPED:
                out._scope = _SCOPE.get()
            if mode & ANOMALY:
                check_forward(op, out.data, tuple(p.data for p in parents))
        return out

    def _contributions(self, grad_out: float) -> tuple[tuple[Value, float, float], ...]:
        op = self._op
        assert op is not None
        parents = self._parents
        try:
            if len(parents) == 1:
                x = parents[0]
                (d,) = op.derivative(SCALAR, self.data, x.data)
                return ((x, d, grad_out * d),)
            x, y = parents
            dx, dy = op.derivative(SCALAR, self.data, x.data, y.data)
        except (ArithmeticError, ValueError):
            at = ", ".join(f"{n} = {p.data!r}" for n, p in zip("xy", parents))
            raise ValueError(f"{op.name}: the derivative ({' ; '.join(op.partials)}) is undefined or "
                             f"infinite at {at}") from None
        return ((x, dx, grad_out * dx), (y, dy, grad_out * dy))

    def _accumulate(self, g: float) -> None:
        self.grad += g

    def _reset_grad(self) -> None:
        self.grad = 0.0

    # -- public ---------------------------------------------------------------------
    def seed(self, grad: Any = None, what: str = "backward") -> float:
        """d(self)/d(self) for a backward pass from ``self``: 1.0, or ``grad`` as a float."""
        if grad is None:
            return 1.0
        if isinstance(grad, bool) or not isinstance(grad, _NUMBER_TYPES):
            raise TypeError(f"{what}: grad for a Value must be a number, not {type(grad).__name__}")
        return float(grad)

    def backward(self) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node ``self`` depends on
        (seeded with d(self)/d(self) = 1).  Gradients accumulate: call
        ``zero_grad()`` first to start again from zero."""
        run_backward(self, self.seed())

    def item(self) -> float:
        """``data`` as a float (the same spelling as ``Tensor.item()``)."""
        return self.data
