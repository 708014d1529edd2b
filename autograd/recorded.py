"""The recording backend :data:`NODES`: the backend whose numbers are the graph's own nodes.

Every derivative of the op table is a function of its backend ``m``: an elementwise op's
``derivative(m, out, *xs)``, a structural op's ``vjp(m, grad_out, out, xs, needs)``.  Run
on :data:`~autograd.backends.SCALAR` or :data:`~autograd.backends.ARRAY` it computes
numbers (the first-order pass).  Run on :data:`NODES`, with ``out``, the inputs and
``grad_out`` given as ``Value`` or ``Tensor`` nodes, each function below is an op of the
table applied to them, so the derivative is recorded as a graph of its own, one that
reaches back into the forward graph: differentiable again, to any order.  The engine uses
it for ``backward(create_graph=True)``, nested :func:`autograd.grad`, Hessians and forward
mode's transposed vector-Jacobian products.

A step function in a derivative -- relu's ``1[x > 0]``, abs's sign, the indicators of
maximum, minimum, clip and leaky_relu -- is recorded as an :class:`Indicator` node.  Its
derivative is zero wherever it exists, which is what a second derivative through it gets
(as in PyTorch and JAX).  Where it jumps (relu at x = 0, a tie of maximum) the second
derivative of the op does not exist, and differentiating through it there raises an error
naming the op and the point.  (max's mask of the maxima enters as a constant: a tie takes
the even split at every order.)

A function given only plain numbers (no node) computes them on the numeric backend of
their kind, so a derivative that is constant stays a plain number.

>>> from autograd import Value
>>> x = Value(0.5)
>>> y = x.tanh()
>>> (d,) = y.op.derivative(NODES, y, x)   # 1 - tanh(x)², recorded
>>> d.op.name, round(d.data, 6)
('add', 0.786448)
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np

from autograd import ops, structural
from autograd.backends import ARRAY, FALLBACK_ERRORS, SCALAR, MethodMath, Num, on_float64
from autograd.node import Node, apply, where


def _numeric(x: Any) -> Any:
    """The numeric backend for a plain number of x's kind: arrays on numpy, floats on ``math``."""
    return ARRAY if isinstance(x, np.ndarray) or np.ndim(x) else SCALAR


def _value(x: Any) -> Any:
    return x._data if isinstance(x, Node) else x


def _elementwise(op: ops.Op) -> Any:
    """``m.<name>(x, ...)`` as the op ``op``: recorded when an argument is a node."""

    def f(*xs: Any) -> Any:
        first = next((x for x in xs if isinstance(x, Node)), None)
        if first is not None:
            return apply(op, *xs) if isinstance(xs[0], Node) else apply(op, *(first._lift(x) for x in xs))
        m = _numeric(xs[0])
        try:
            return op.forward(m, *xs)
        except FALLBACK_ERRORS:
            return on_float64(op.forward, *xs)

    f.__name__ = op.name
    f.__doc__ = f"{op.formula}, as the op {op.name} (recorded for nodes)"
    return staticmethod(f)


class NoDerivativeError(ValueError):
    """Differentiating again where the derivative does not exist: through a step function
    at its jump (relu at 0, a tie of maximum), raised by :class:`Indicator`."""


_OWNER: ContextVar[str | None] = ContextVar("chainrule_recorded_owner", default=None)
"""The op whose derivative is being recorded (named by an :class:`Indicator`'s error)."""


class Indicator(ops.Op):
    """A step function of x in a recorded derivative (``step``, ``half_step``, ``sign``,
    ``leaky_step``, ``inside``): the numeric backend's function of the same name forward;
    d/dx = 0 where x is not at a jump, and an error naming ``owner`` where it is (the
    second derivative of ``owner`` does not exist there).

    >>> from autograd import Value
    >>> x = Value(-2.0)
    >>> y = x.relu()
    >>> y.op.derivative(NODES, y, x)[0].op.symbol
    'step'
    """

    name = "indicator"

    def __init__(self, function: str, args: tuple[float, ...], jumps: tuple[float, ...], owner: str) -> None:
        self.function = self.symbol = function
        self.args, self.jumps, self.owner = args, jumps, owner
        self.formula = f"{function}(x)"
        self.partials = ("0 (undefined at a jump)",)

    def forward(self, m: Any, x: Num) -> Num:
        return getattr(m, self.function)(x, *self.args)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        v = np.asarray(_value(x))
        at = np.isin(v, self.jumps)
        if at.any():
            element = "" if not v.ndim else f" (element {tuple(int(i) for i in np.argwhere(at)[0])})"
            raise NoDerivativeError(
                f"{self.owner}: its second derivative does not exist here: its derivative holds "
                f"{self.function}(·), which jumps at {', '.join(f'{j:g}' for j in self.jumps)}, and an "
                f"input of {self.function} is exactly there{element}. Differentiate at a point off the "
                f"kink (or use a smooth op: softplus for relu, sqrt(x² + ε) for abs)")
        return (0.0,)


def _indicator(name: str, jumps: Any) -> Any:
    """``m.<name>(x, *args)``: on a node, an :class:`Indicator` node (``jumps(*args)``: where it
    jumps); on plain numbers, the numeric backend's function."""

    def f(x: Any, *args: Any) -> Any:
        if isinstance(x, Node):
            return x._apply(Indicator(name, args, jumps(*args), _OWNER.get() or "an op"))
        return getattr(_numeric(x), name)(x, *args)

    f.__name__ = name
    f.__doc__ = f"{name}(x), recorded as an :class:`Indicator` node (derivative 0, undefined at its jumps)"
    return staticmethod(f)


class NodeMath(MethodMath):
    """The backend functions of :class:`~autograd.backends.ArrayMath` and
    :class:`~autograd.backends.ScalarMath` on nodes, each an op of the table (see the module;
    ``sum``, ``mean``, ``getitem`` and ``astype`` are the nodes' own methods)."""

    exp = _elementwise(ops.EXP)
    log = _elementwise(ops.LOG)
    tanh = _elementwise(ops.TANH)
    sin = _elementwise(ops.SIN)
    cos = _elementwise(ops.COS)
    sqrt = _elementwise(ops.SQRT)
    abs = _elementwise(ops.ABS)
    sigmoid = _elementwise(ops.SIGMOID)
    relu = _elementwise(ops.RELU)
    log1p = _elementwise(ops.LOG1P)
    expm1 = _elementwise(ops.EXPM1)
    maximum = _elementwise(ops.MAXIMUM)
    minimum = _elementwise(ops.MINIMUM)
    power = _elementwise(ops.POW)

    step = _indicator("step", lambda: (0.0,))
    half_step = _indicator("half_step", lambda: (0.0,))
    sign = _indicator("sign", lambda: (0.0,))
    leaky_step = _indicator("leaky_step", lambda slope: (0.0,))
    inside = _indicator("inside", lambda lo, hi: (lo, hi))

    @staticmethod
    def pow(x: Any, c: float) -> Any:
        """x**c for a constant c (the op ``pow_const``)."""
        if isinstance(x, Node):
            return x._apply(ops.pow_const(float(c)))
        return _numeric(x).pow(x, c)

    @staticmethod
    def clip(x: Any, lo: float, hi: float) -> Any:
        """x limited to [lo, hi] (the op ``clip``)."""
        if isinstance(x, Node):
            return x._apply(ops.Clip(lo, hi))
        return _numeric(x).clip(x, lo, hi)

    @staticmethod
    def where(condition: Any, x: Any, y: Any) -> Any:
        """x where ``condition`` holds, else y (the op ``where``; the condition is a constant)."""
        if isinstance(x, Node) or isinstance(y, Node):
            return where(condition, x, y)
        return _numeric(condition).where(condition, x, y)

    @staticmethod
    def value(x: Any) -> Any:
        """x's numbers, for a mask or a count: a node's ``data`` (no graph)."""
        return _value(x)

    @staticmethod
    def matmul(x: Any, y: Any) -> Any:
        """x @ y (the op ``matmul``)."""
        return x @ y

    @staticmethod
    def transpose(x: Any, axes: tuple[int, ...] | None = None) -> Any:
        """x with its axes permuted (the op ``transpose``)."""
        return x.transpose(*axes) if axes is not None else x.T

    @staticmethod
    def reshape(x: Any, shape: tuple[int, ...]) -> Any:
        """x in a new shape (the op ``reshape``)."""
        return x.reshape(shape)

    @staticmethod
    def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
        """x broadcast to ``shape`` (the op ``broadcast_to``, whose derivative is a sum)."""
        return x if x.shape == tuple(shape) else x._apply(structural.BroadcastTo(tuple(shape)))

    @staticmethod
    def sum_rows(x: Any) -> Any:
        """Σ over the rows of a 2-D x, as ones @ x: the numbers of ``ARRAY.sum_rows``, bit for bit."""
        return x._lift(np.ones(len(x), x.dtype)) @ x

    @staticmethod
    def scatter_add(like: Any, index: Any, x: Any) -> Any:
        """Zeros of ``like``'s shape with x added at ``index`` (the op ``scatter_add``,
        whose derivative is ``getitem``)."""
        return x._apply(structural.ScatterAdd(like.shape, like.dtype, index))

    @staticmethod
    def cumsum(x: Any, axis: int) -> Any:
        """Running sums along ``axis`` (the op ``cumsum``)."""
        return x.cumsum(axis)

    @staticmethod
    def others_product(x: Any, axis: tuple[int, ...] | None) -> Any:
        """For each element, the product of the other elements of its slice along ``axis``
        (the op ``others_product`` on the slices laid out along the last axis): the numbers of
        ``ARRAY.others_product``, bit for bit; each further order takes k times the memory
        of the last for slices of k."""
        axes = tuple(range(x.ndim)) if axis is None else axis
        rest = [a for a in range(x.ndim) if a not in axes]
        order = rest + list(axes)
        moved = x.transpose(*order) if x.ndim > 1 else x
        flat = moved.reshape((*moved.shape[:len(rest)], -1))
        back = flat._apply(structural.OthersProduct()).reshape(moved.shape)
        return back.transpose(*(int(a) for a in np.argsort(order))) if x.ndim > 1 else back


NODES = NodeMath()
"""The recording backend (see the module)."""


def recorded_derivative(op: ops.Op, out: Node, xs: Sequence[Node]) -> tuple[Any, ...]:
    """``op.derivative`` on :data:`NODES` (a ``create_graph`` step), or a ``TypeError``
    naming the op when its derivative is not written against the backend ``m``."""
    token = _OWNER.set(op.name)
    try:
        return tuple(op.derivative(NODES, out, *xs))
    except (TypeError, AttributeError) as e:
        raise not_recordable(op, e) from e
    finally:
        _OWNER.reset(token)


def recording_derivative() -> bool:
    """Whether a derivative is being recorded on this thread (see :func:`recorded_derivative`)."""
    return _OWNER.get() is not None


def recorded_vjp(op: ops.Op, grad_out: Node, out: Node, xs: Sequence[Node],
                 needs: tuple[bool, ...]) -> tuple[Any, ...]:
    """``op.vjp`` on :data:`NODES`, or a ``TypeError`` naming the op (see :func:`recorded_derivative`)."""
    token = _OWNER.set(op.name)
    try:
        return tuple(op.vjp(NODES, grad_out, out, tuple(xs), needs))
    except (TypeError, AttributeError) as e:
        raise not_recordable(op, e) from e
    finally:
        _OWNER.reset(token)


def not_recordable(op: ops.Op, error: Exception) -> TypeError:
    """The error for an op whose derivative cannot be recorded as a graph."""
    return TypeError(
        f"create_graph: the derivative of {op.name} cannot be differentiated again: it is not written "
        f"with the backend m alone (it failed on nodes with: {error}). Write the op's derivative or vjp "
        f"with arithmetic and the functions of m (m.exp, m.where, m.matmul, m.reshape, m.sum, ...), as "
        f"the ops of autograd.ops do, so the recording backend can run it")


def changed_since_forward(op: ops.Op, parent: Node, kind: str) -> ValueError:
    """The error for a leaf whose data was replaced after ``op`` read it."""
    name = "" if parent.label is None else f" {parent.label!r}"
    return ValueError(
        f"create_graph: the {kind}{name} that {op.name} read in the forward pass has new data since "
        f"(p.data was changed): its recorded derivative would mix the old and the new values. Compute "
        f"the function again from the current values, then differentiate")
