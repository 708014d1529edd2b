"""``Tensor``: a numpy-array node on the same op table and engine as ``Value``.

* Elementwise ops are the op table's, evaluated with the numpy backend; their
  gradients are summed back to each input's shape in one place, :func:`unbroadcast`.
* Structural ops (:mod:`autograd.structural`): ``@``, ``sum``/``mean``/``max``/``min``/``prod``,
  ``var``/``std``, ``cumsum``, ``reshape`` (and ``squeeze``, ``expand_dims``, ``flatten``),
  ``transpose``/``.T``, indexing, ``astype``, :func:`concatenate`, :func:`stack`; and the
  stable compositions ``logsumexp``, ``log_softmax``, ``softmax``.
* No graph: comparisons (``<``, ``==``, ...: boolean arrays, as numpy), ``argmax``/``argmin``
  (integer arrays), ``tolist()``, ``item()``.
* Arrays a graph saved for backward are read-only.  Reading ``t.data`` of a leaf
  whose array a graph holds hands out a private writable copy first
  (copy-on-write), so ``p.data -= lr * p.grad`` works and the graph keeps the
  values it was computed from.  Op results that are views (slices, reshapes,
  ``detach()``) are read-only too, so no write through ``Tensor.data`` can
  reach a saved array.  (A numpy view you took yourself of ``t.data`` *before*
  the graph was built is yours: numpy cannot revoke it.)

>>> from autograd import Tensor
>>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> x = Tensor([1.0, -1.0])
>>> y = (W @ x).sigmoid().sum()
>>> y.backward()
>>> W.grad.round(4)
array([[ 0.1966, -0.1966],
       [ 0.1966, -0.1966]])
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import ops, structural
from autograd.backends import ARRAY
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
from autograd.recorded import (
    NODES,
    changed_since_forward,
    recorded_derivative,
    recorded_vjp,
    recording_derivative,
)
from autograd.structural import normalize_axis, unbroadcast_on


def _to_array(data: Any, dtype: Any, what: str) -> np.ndarray:
    """A float ndarray copy of ``data`` (float64 unless ``dtype`` or float32 data says otherwise)."""
    if dtype is None and type(data) is np.ndarray and data.dtype.kind == "f":  # the common case, quickly
        return data.copy()
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, (str, bytes)) or data is None:
        raise TypeError(f"{what}: expected numbers, not {type(data).__name__} ({data!r})")
    if isinstance(data, Node):
        raise mixed_engines("Tensor", type(data).__name__)
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise TypeError(f"{what}: dtype must be a float type (float64, float32), not {np.dtype(dtype)}")
    try:
        a = np.array(data, dtype=dtype, copy=True)
    except (ValueError, TypeError) as e:
        raise TypeError(f"{what}: cannot make a numeric array of {type(data).__name__}: {e}") from None
    if a.dtype.kind not in "fiub":
        if a.dtype == object and any(isinstance(v, Node) for v in a.flat):
            raise TypeError(f"{what}: got {type(next(v for v in a.flat if isinstance(v, Node))).__name__} "
                            "objects; a Tensor holds numbers: pass [v.data for v in values], or keep "
                            "Values on the scalar engine (nn layers: engine='value')")
        raise TypeError(f"{what}: expected numbers, got an array of dtype {a.dtype}")
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    return a


def _read_only(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.setflags(write=False)
    return v


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes numpy broadcast to reach it from ``shape``.

    The chain rule through broadcasting: an input copied along an axis receives
    the sum of the gradients of all its copies.

    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), (2, 1))
    array([[3.],
           [3.]])
    """
    out: np.ndarray = unbroadcast_on(ARRAY, grad, shape)
    return out


class Tensor(Node):
    """An n-dimensional array in a computation graph.

    ``Tensor(data, requires_grad=False, dtype=None, label=None)``: ``data`` is copied
    into a float ndarray (float64 by default; float32 kept; integers promoted to
    float64).  ``grad`` is an array of the same shape, or ``None`` before
    ``backward()``.  Every op's result requires grad when any input does.
    """

    __slots__ = ("_data", "grad", "requires_grad", "_meta", "_op", "_parents", "_saved", "_needs")

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 label: str | None = None) -> None:
        self._data = _to_array(data, dtype, "Tensor")
        self.grad: np.ndarray | Tensor | None = None
        """d root / d self after ``backward()``: an array of ``self``'s shape; a ``Tensor`` with a
        graph after ``backward(create_graph=True)``; ``None`` before either."""
        self.requires_grad = bool(requires_grad)
        self._meta = None if label is None else (check_label(label, "Tensor"), None)
        self._op: Op | None = None
        self._parents: tuple[Tensor, ...] = ()
        self._saved: tuple[np.ndarray, ...] = ()
        self._needs: tuple[bool, ...] = ()

    @staticmethod
    def _wrap(a: np.ndarray) -> Tensor:
        t = _new(Tensor)
        t._data, t.grad, t.requires_grad, t._meta = a, None, False, None
        t._op, t._parents, t._saved, t._needs = None, (), (), ()
        return t

    # -- the array ------------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The values.  A leaf's array is writable (copied first if a graph holds it:
        copy-on-write); an op result's array comes as a read-only view, since
        backward needs it as it is."""
        a = self._data
        if self._op is not None:
            return _read_only(a)
        if not a.flags.writeable:
            with _COPY_ON_WRITE:  # another thread may have made the copy and written to it since we looked
                a = self._data
                if not a.flags.writeable:
                    a = self._data = a.copy(order="K")  # the layout kept (a compiled step's column-major W)
        return a

    @data.setter
    def data(self, value: Any) -> None:
        if self._op is not None:
            raise ValueError(f"Tensor.data: cannot replace the data of a result of {self._op.name}: "
                             "backward needs it (use .detach() for a new leaf)")
        if value is self._data:
            return
        fresh = isinstance(value, np.ndarray) and value.base is None and value.dtype.kind == "f"
        a = value if fresh else _to_array(value, None, "Tensor.data")  # a view is copied: see _record
        if a.shape != self._data.shape or a.dtype != self._data.dtype:
            raise ValueError(f"Tensor.data: new array {a.shape} {a.dtype} differs from the tensor's "
                             f"{self._data.shape} {self._data.dtype}")
        self._data = a

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    @property
    def size(self) -> int:
        """Number of elements."""
        return self._data.size

    @property
    def dtype(self) -> np.dtype[Any]:
        """float64, or float32 when made from float32 data."""
        return self._data.dtype

    def __len__(self) -> int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d Tensor")
        return len(self._data)

    def __bool__(self) -> bool:
        """The truth of the one element, as numpy; more or fewer elements are ambiguous."""
        if self._data.size != 1:
            raise ValueError(f"the truth value of a Tensor of shape {self.shape} is ambiguous: use "
                             "(t.data > 0).any() or .all(), or t.item() for one element")
        return bool(self._data.reshape(()))

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The values for numpy (``np.asarray(t)``, plotting): a copy when asked or when a
        dtype change needs one, else the array ``data`` gives; no graph comes along.  Refused
        inside a derivative being recorded (``create_graph``) for a tensor that requires grad:
        its numbers would enter the recorded derivative as a constant, silently wrong."""
        if self.requires_grad and recording_derivative():
            raise TypeError("np.asarray of a Tensor that requires grad, inside a derivative being "
                            "recorded: the graph would be lost")
        a = self.data
        if dtype is not None and np.dtype(dtype) != a.dtype:
            if copy is False:
                raise ValueError(f"np.asarray(Tensor, copy=False): dtype {np.dtype(dtype)} needs a copy of "
                                 f"the {a.dtype} values")
            return a.astype(dtype)
        return a.copy() if copy else a

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """numpy's ufuncs on Tensors.  Those of the op table are recorded as the Tensor ops
        they are (``np.exp(t)``, ``ndarray * t``, ``ndarray @ t``, ``np.maximum(t, 0)``).  Any
        other works on the values, giving a plain array, unless a Tensor involved requires
        grad and the result is not boolean (a comparison or ``np.isfinite`` has no
        gradient to lose): then it is refused, since the graph would be lost."""
        record = _UFUNC_OPS.get(ufunc)
        if record is not None and method == "__call__" and not kwargs:
            args = [x if isinstance(x, Tensor) or (ufunc is np.power and i == 1 and _is_real(x))
                    else self._lift(x) for i, x in enumerate(inputs)]
            return NotImplemented if NotImplemented in args else record(*args)
        if not all(loop.endswith("?") for loop in ufunc.types if "O" not in loop):
            name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
            _refuse_graph_loss(name, inputs, kwargs)
        return getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))

    def __array_function__(self, func: Callable[..., Any], types: Any, args: Any, kwargs: Any) -> Any:
        """numpy functions work on the values of Tensors that need no gradient and refuse
        the others: ``np.sum(W)`` would silently drop the graph (``W.sum()`` keeps it).
        ``np.shape``, ``np.ndim`` and ``np.size`` read no values and always work."""
        name = getattr(func, "__name__", "function")
        if name not in _SHAPE_ONLY:
            _refuse_graph_loss(name, args, kwargs)
        return func(*_unwrap(args), **_unwrap(kwargs))

    def item(self) -> float:
        """The single element as a float; ``ValueError`` unless size is 1."""
        if self._data.size != 1:
            raise ValueError(f"item: only a one-element tensor has an item, not shape {self.shape}")
        return float(self._data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The values as ``data`` gives them: writable for a leaf, a read-only view for an op result."""
        return self.data

    def detach(self) -> Tensor:
        """A new leaf with the same values and no graph (``requires_grad=False``); it
        shares the array read-only, so writing to its ``data`` makes a copy first."""
        return Tensor._wrap(_read_only(self._data))

    def __repr__(self) -> str:
        body = np.array2string(self._data, precision=4, separator=", ", threshold=20,
                               prefix="Tensor(")
        extra = f", dtype={self.dtype}" if self.dtype != np.float64 else ""
        if self._op is not None:
            extra += f", op={self._op.symbol}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        if self.label is not None:
            extra += f", label={self.label!r}"
        return f"Tensor({body}{extra})"

    @property
    def inputs(self) -> tuple[np.ndarray, ...]:
        """The input arrays saved when the op ran (read-only views), in op order;
        includes inputs that need no grad and so are not among ``parents``."""
        return tuple(_read_only(a) for a in self._saved)

    @property
    def needs_grad(self) -> tuple[bool, ...]:
        """For each of ``inputs``, whether a gradient flows to it (it is a parent)."""
        return self._needs

    @property
    def parent_slots(self) -> tuple[int, ...]:
        """Each parent's position among the op's inputs: the inputs that need a gradient."""
        return tuple(i for i, needed in enumerate(self._needs) if needed)

    # -- engine hooks -------------------------------------------------------------------
    def _lift(self, other: Any) -> Any:
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Tensor._wrap(np.asarray(other, dtype=self._data.dtype))
        if isinstance(other, (np.ndarray, np.number, list)):
            return Tensor._wrap(_to_array(other, None, "Tensor operand"))
        if isinstance(other, Node):
            raise mixed_engines(type(self).__name__, type(other).__name__)
        return NotImplemented

    def _apply(self, op: Op, *others: Tensor) -> Tensor:
        return _record(op, (self, *others))

    def _contributions(self, grad_out: np.ndarray) -> list[tuple[Tensor, Any, np.ndarray]]:
        op = self._op
        assert op is not None
        if type(grad_out) is not np.ndarray:  # a sum of 0-d gradients is a numpy scalar
            grad_out = np.asarray(grad_out)
        parents, needs = self._parents, self._needs
        elementwise = op.elementwise
        upstream = grad_out
        if not elementwise:
            found = op.vjp(ARRAY, grad_out, self._data, self._saved, needs)
        elif self._data.ndim:
            found = op.derivative(ARRAY, self._data, *self._saved)
        else:  # 0-d (a loss): numpy scalars give the same numbers, ten times faster than 0-d arrays
            found = op.derivative(ARRAY, self._data[()], *map(_ITEM, self._saved))
            upstream = grad_out[()]
        out = []
        i = 0
        for p in parents:
            while not needs[i]:
                i += 1
            if elementwise:
                d = found[i]
                g = grad_out if d.__class__ is float and d == 1.0 else upstream * d  # x 1.0 is exact (add)
            else:
                d, g = None, found[i]
            i += 1
            pa = p._data
            if type(g) is not np.ndarray:  # numpy turns 0-d results into scalars
                g = np.asarray(g)
            if g.shape != pa.shape:
                g = unbroadcast_on(ARRAY, g, pa.shape)
            if g.dtype is not pa.dtype and g.dtype != pa.dtype:
                g = g.astype(pa.dtype)
            elif p._op is None and (g.base is not None or g is grad_out):
                g = g.copy()  # a leaf's grad is its own array, never another node's or a view of one
            out.append((p, d, g))
        return out

    def _input_nodes(self) -> list[Tensor]:
        """The op's inputs as nodes, for a derivative recorded as a graph: each parent itself
        (checked to hold the data the op read), each input that needs no gradient a constant."""
        op = self._op
        assert op is not None
        parents = iter(self._parents)
        xs: list[Tensor] = []
        for a, needed in zip(self._saved, self._needs):
            if not needed:
                xs.append(Tensor._wrap(a))
                continue
            p = next(parents)
            # a copy-on-write copy (a leaf's data read since) is no change
            if p._data is not a and not np.array_equal(p._data, a, equal_nan=True):
                raise changed_since_forward(op, p, "Tensor")
            xs.append(p)
        return xs

    def _graph_contributions(self, grad_out: Tensor) -> list[tuple[Tensor, Any, Tensor]]:
        op = self._op
        assert op is not None
        xs = self._input_nodes()
        if op.elementwise:
            locals_ = recorded_derivative(op, self, xs)
            grads: Sequence[Any] = [grad_out * d for d in locals_]
        else:
            locals_ = (None,) * len(xs)
            grads = recorded_vjp(op, grad_out, self, xs, self._needs)
        out = []
        for i, needed in enumerate(self._needs):
            if not needed:
                continue
            p, g = xs[i], grads[i]
            if not isinstance(g, Tensor):
                g = Tensor._wrap(np.asarray(g, p.dtype))
            g = unbroadcast_on(NODES, g, p.shape)
            if g.dtype != p.dtype:
                g = g.astype(p.dtype)
            out.append((p, locals_[i], g))
        return out

    def _assign(self, result: Tensor) -> None:
        try:
            self.data[...] = result._data
        except ValueError:
            raise ValueError(f"in-place op: the result has shape {result.shape}, the tensor "
                             f"{self.shape}; an in-place op cannot change a tensor's shape") from None

    def _accumulate(self, g: Any) -> None:
        g = g if self.grad is None else self.grad + g
        self.grad = g if type(g) is np.ndarray or isinstance(g, Tensor) else np.asarray(g)  # 0-d sums

    def _reset_grad(self) -> None:
        self.grad = None

    def _has_grad(self) -> bool:
        return self.grad is not None

    # -- public -----------------------------------------------------------------------
    def _first_grad(self, grad: Any = None, what: str = "backward") -> np.ndarray:
        """d(self)/d(self) for a backward pass from ``self``: ``grad`` checked against
        ``self``'s shape, or ones for a one-element tensor when ``grad`` is None."""
        if not self.requires_grad:
            raise ValueError(f"{what}: this tensor does not require grad (no input had "
                             "requires_grad=True, or it was computed under no_grad)")
        if grad is None:
            if self.size != 1:
                raise ValueError(f"{what}: output has shape {self.shape}; pass grad= an array of "
                                 "that shape, or reduce it first (e.g. .sum())")
            return np.ones(self.shape, dtype=self.dtype)
        first = _to_array(grad, self.dtype, f"{what}: grad")
        if first.shape != self.shape:
            raise ValueError(f"{what}: grad has shape {first.shape}, output has shape {self.shape}")
        return first

    def backward(self, grad: Any = None, create_graph: bool = False) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node that requires grad.

        ``grad`` is the upstream gradient (same shape as ``self``); it may be left
        out only for a one-element tensor, where it is 1.  Gradients accumulate:
        ``zero_grad()`` or ``p.grad = None`` resets them (a second ``backward()`` through
        the same graph without ``zero_grad()`` of its root warns: :class:`~autograd.node.LearnerWarning`).

        ``create_graph=True`` records the backward pass as a graph: each ``grad`` is then
        a ``Tensor`` that requires grad and can be differentiated again (the same numbers,
        bit for bit, as the first-order pass).  A leaf's grad then holds on to the leaf (a
        reference cycle, which Python's garbage collector frees); prefer
        :func:`autograd.grad` for derivatives of derivatives.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x * x).sum().backward(create_graph=True)   # 3x²
        >>> g = x.grad
        >>> x.zero_grad()
        >>> g.sum().backward()                              # 6x
        >>> g.data, x.grad
        (array([ 3., 12.]), array([ 6., 12.]))
        """
        if create_graph:
            run_backward(self, Tensor._wrap(self._first_grad(grad)), create_graph=True)
        else:
            run_backward(self, self._first_grad(grad))

    # -- natural code's operators, straight to their ops (Node's dispatch: +1/3 per op, measured)
    def __add__(self, other: Any) -> Any:
        other = other if other.__class__ is Tensor else self._lift(other)
        return NotImplemented if other is NotImplemented else _record(ops.ADD, (self, other))

    def __neg__(self) -> Any:
        return _record(ops.NEG, (self,))

    def __sub__(self, other: Any) -> Any:  # x - y = x + (-y), as Node's
        if other.__class__ is np.ndarray and other.dtype.kind == "f" and other.ndim \
                and current_mode() == RECORD:  # an array's -y at once (a new array): no copy of y first
            return _record(ops.ADD, (self, Tensor._wrap(-other)))
        other = other if other.__class__ is Tensor else self._lift(other)
        return NotImplemented if other is NotImplemented else _record(ops.ADD, (self, -other))

    def __pow__(self, other: Any) -> Any:
        if other.__class__ is float or other.__class__ is int:  # a constant exponent (a bool is not an int)
            return _record(ops.pow_const(float(other)), (self,))
        return Node.__pow__(self, other)

    def __matmul__(self, other: Any) -> Any:
        other = other if other.__class__ is Tensor else self._lift(other)
        return NotImplemented if other is NotImplemented else _record(ops.MATMUL, (self, other))

    def __rmatmul__(self, other: Any) -> Any:
        other = self._lift(other)
        return NotImplemented if other is NotImplemented else matmul(other, self)

    def matmul(self, other: Any) -> Tensor:
        """self @ other (numpy's rules for 1-D, 2-D and batched operands)."""
        return matmul(self, self._lift(other))

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Σ over ``axis`` (all axes when None)."""
        return _record(structural.sum_op(normalize_axis("sum", axis, self.ndim), keepdims), (self,))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """(Σ over ``axis``) / n, n the number of elements summed: ``np.mean``, bit for bit."""
        axes = normalize_axis("mean", axis, self.ndim)
        n = self._data.size if axes is None else math.prod(self.shape[a] for a in axes)
        if n == 0:
            raise ValueError(f"mean: no elements to average over axis {axis!r} of shape {self.shape}")
        total = _record(structural.sum_op(axes, keepdims), (self,))
        return _record(ops.DIV, (total, _count(n, self._data.dtype)))  # as np.mean: the sum divided by n

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """max over ``axis``; the gradient goes to the maxima, split evenly among ties."""
        return _record(structural.Max(normalize_axis("max", axis, self.ndim), keepdims), (self,))

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """min over ``axis``; the gradient goes to the minima, split evenly among ties."""
        return _record(structural.Min(normalize_axis("min", axis, self.ndim), keepdims), (self,))

    def prod(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Π over ``axis``; each element's gradient is the product of the others (exact at zeros).

        >>> x = Tensor([0.0, 2.0, 3.0], requires_grad=True)
        >>> x.prod().backward()
        >>> x.grad
        array([6., 0., 0.])
        """
        return _record(structural.Prod(normalize_axis("prod", axis, self.ndim), keepdims), (self,))

    def var(self, axis: int | tuple[int, ...] | None = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
        """Σ (x - mean)² / (n - ddof) over ``axis``: ``np.var``'s value (ddof=1: the sample variance)."""
        return _record(structural.Var(normalize_axis("var", axis, self.ndim), keepdims, ddof), (self,))

    def std(self, axis: int | tuple[int, ...] | None = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
        """sqrt(var) over ``axis``; its gradient is 0 where it is 0 (all elements equal), as PyTorch.

        >>> x = Tensor([1.0, 3.0], requires_grad=True)
        >>> y = x.std()
        >>> y.backward()
        >>> y.item(), x.grad
        (1.0, array([-0.5,  0.5]))
        """
        return _record(structural.Std(normalize_axis("std", axis, self.ndim), keepdims, ddof), (self,))

    def cumsum(self, axis: int) -> Tensor:
        """Running sums along ``axis``; the gradient is grad_out's running sums from the end.

        >>> Tensor([1.0, 2.0, 3.0]).cumsum(0).data
        array([1., 3., 6.])
        """
        normalize_axis("cumsum", axis, self.ndim)
        return _record(structural.Cumsum(int(axis) % max(self.ndim, 1)), (self,))

    def argmax(self, axis: int | None = None) -> np.ndarray:
        """Positions of the maxima (the first of ties) over ``axis``, or in the flattened
        array: an integer array, not a Tensor (no gradient).

        >>> Tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(axis=1)
        array([1, 0])
        """
        normalize_axis("argmax", axis, self.ndim)
        return np.asarray(self._data.argmax(axis=axis))

    def argmin(self, axis: int | None = None) -> np.ndarray:
        """Positions of the minima (the first of ties): an integer array, no gradient."""
        normalize_axis("argmin", axis, self.ndim)
        return np.asarray(self._data.argmin(axis=axis))

    def squeeze(self, axis: int | tuple[int, ...] | None = None) -> Tensor:
        """The same elements without the length-1 axes (all, or those of ``axis``)."""
        axes = normalize_axis("squeeze", axis, self.ndim)
        if axes is not None and any(self.shape[a] != 1 for a in axes):
            raise ValueError(f"squeeze: axis {axis!r} of shape {self.shape} is not of length 1")
        return self.reshape(np.squeeze(self._data, axes).shape)

    def expand_dims(self, axis: int | tuple[int, ...]) -> Tensor:
        """The same elements with new length-1 axes at the positions ``axis`` of the result."""
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        normalize_axis("expand_dims", axes, self.ndim + len(axes))
        return self.reshape(np.expand_dims(self._data, axes).shape)

    def flatten(self) -> Tensor:
        """The elements as one axis (row-major)."""
        return self.reshape(-1)

    def tolist(self) -> Any:
        """The values as (nested lists of) Python floats: no graph comes along."""
        return self._data.tolist()

    def astype(self, dtype: Any) -> Tensor:
        """The values in another float dtype; the gradient is cast back to this tensor's.

        >>> Tensor([1.5]).astype("float32")
        Tensor([1.5], dtype=float32)
        """
        target = np.dtype(dtype)
        if target.kind != "f":
            raise TypeError(f"astype: a Tensor holds floats (float64, float32), not {target}")
        return _record(structural.Astype(target), (self,))

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether this leaf takes part in backward, in place; returns ``self`` (as
        PyTorch).  An op result's flag follows its inputs: only ``requires_grad_(True)``,
        which it already is, is allowed on one (use ``detach()`` for a leaf without a graph).

        >>> Tensor([1.0]).requires_grad_().requires_grad
        True
        """
        if self._op is not None and not requires_grad:
            raise ValueError(f"requires_grad_: only a leaf's flag can change; this tensor is a result of "
                             f"{self._op.name} (use .detach() for a leaf that needs no gradient)")
        self.requires_grad = bool(requires_grad)
        return self

    def _compare(self, compare: Callable[[Any, Any], Any], other: Any) -> Any:
        other = self._lift(other)
        if other is NotImplemented:
            return NotImplemented
        return np.asarray(compare(self._data, other._data))

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same elements in a new shape (one entry may be -1)."""
        first = shape[0] if len(shape) == 1 else None
        dims: list[Any] = list(first) if isinstance(first, Sequence) else list(shape)
        return _record(structural.Reshape(tuple(int(d) for d in dims)), (self,))

    def transpose(self, *axes: int) -> Tensor:
        """Axes reversed (no arguments) or permuted."""
        return _record(structural.Transpose(tuple(axes) if axes else None), (self,))

    @property
    def T(self) -> Tensor:
        """Axes reversed."""
        return _record(_TRANSPOSE, (self,))

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, Tensor):  # a Tensor index holds integer positions
            if not np.array_equal(index._data, np.round(index._data)):
                raise TypeError(f"getitem: a Tensor index must hold integer positions, got {index!r}")
            index = index._data.astype(np.intp)
        return _record(structural.GetItem(index), (self,))

    def logsumexp(self, axis: int = -1, keepdims: bool = False) -> Tensor:
        """log Σ exp(x) over ``axis``, as m + log Σ exp(x - m) with m = max x held constant
        (exact, since d/dm of the whole is zero; never overflows)."""
        m = Tensor._wrap(self._data.max(axis=axis, keepdims=True))
        out = (self - m).exp().sum(axis, keepdims=True).log() + m
        return out if keepdims else out.reshape(np.squeeze(out._data, axis=axis).shape)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - logsumexp(x) along ``axis``, computed as (x - m) - log Σ exp(x - m) with
        m = max x held constant: no large m is added and taken away again (float32 logits
        near 1e4 would lose 4e-4 to it)."""
        shifted = self._apply(structural.ShiftByMax(axis))
        return shifted - shifted.exp().sum(axis, keepdims=True).log()

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(log_softmax(x)): positive, sums to 1 along ``axis``."""
        return self.log_softmax(axis).exp()


def _record(op: Op, inputs: tuple[Tensor, ...]) -> Tensor:
    """Evaluate ``op`` on ``inputs`` and, when recording and any input requires grad,
    record it.  The input arrays are saved for backward; a leaf's array is made
    read-only (its ``data`` getter copies on write), an op result's array is only
    ever handed out read-only."""
    if len(inputs) == 1:  # the common arities spelled out: this runs once per op
        x = inputs[0]
        xs: tuple[np.ndarray, ...] = (x._data,)
        needs = _NEEDS[(x.requires_grad,)]
    elif len(inputs) == 2:
        x, y = inputs
        xs = (x._data, y._data)
        needs = _NEEDS[(x.requires_grad, y.requires_grad)]
    elif len(inputs) == 3:
        x, y, z = inputs
        xs = (x._data, y._data, z._data)
        needs = _NEEDS[(x.requires_grad, y.requires_grad, z.requires_grad)]
    else:
        xs = tuple([t._data for t in inputs])
        flags = tuple([t.requires_grad for t in inputs])
        needs = flags if True in flags else None
    mode = current_mode()
    recording = needs is not None and mode & RECORD
    if recording:  # first, so that a view of a leaf (W.T) comes out read-only already
        for t in inputs:
            if t._op is None and t._data.flags.writeable:
                t._data.setflags(write=False)  # half the cost of flags.writeable = False
    data = op.forward(ARRAY, *xs)
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    elif data.base is not None and data.flags.writeable:  # a view of an input: nobody may write through it
        data.setflags(write=False)
    out = _new(Tensor)
    out._data = data
    out.grad = out._meta = None
    if recording and needs is not None:
        out.requires_grad = True
        out._op, out._saved, out._needs = op, xs, needs
        out._parents = inputs if False not in needs else tuple(itertools.compress(inputs, needs))
    else:
        out.requires_grad = False
        out._op, out._parents, out._saved, out._needs = None, (), (), ()
    if mode & (SCOPED | ANOMALY):
        annotate(out, op, xs, mode)
    return out


_NEEDS: dict[tuple[bool, ...], tuple[bool, ...] | None] = {
    k: k if True in k else None for n in (1, 2, 3) for k in itertools.product((False, True), repeat=n)}
"""Which inputs of an op of one to three inputs need a gradient: one shared tuple per pattern
(None when no input does), so that nodes share it instead of each holding a copy."""
_new = object.__new__
_TRANSPOSE = structural.Transpose(None)
_ITEM = operator.itemgetter(())  # a 0-d array's number: x[()]


@functools.lru_cache(maxsize=64)
def _count(n: int, dtype: np.dtype[Any]) -> Tensor:
    """``n`` as a read-only 0-d constant of ``dtype`` (mean's divisor), one per (n, dtype)."""
    a = np.asarray(n, dtype)
    a.setflags(write=False)
    return Tensor._wrap(a)

_COPY_ON_WRITE = threading.Lock()
"""Held while a leaf swaps in its private copy, so that a concurrent reader cannot copy the
old array over a write made meanwhile."""


_SHAPE_ONLY = frozenset({"shape", "ndim", "size"})
"""numpy functions that read no values, so no graph is lost."""


def _is_real(x: Any) -> bool:
    return isinstance(x, (int, float, np.number)) and not isinstance(x, (bool, np.bool_))


def _holds_grad_tensor(x: Any) -> bool:
    """Whether ``x`` is, or holds (in lists, tuples and dicts, at any depth), a Tensor that requires grad."""
    if isinstance(x, Tensor):
        return x.requires_grad
    if isinstance(x, (list, tuple)):
        return any(_holds_grad_tensor(v) for v in x)
    if isinstance(x, dict):
        return any(_holds_grad_tensor(v) for v in x.values())
    return False


def _refuse_graph_loss(name: str, args: Any, kwargs: Any) -> None:
    """``TypeError`` when numpy's ``name`` would turn a Tensor that requires grad into plain
    values, naming the way that keeps the graph where there is one."""
    if not (_holds_grad_tensor(args) or _holds_grad_tensor(kwargs)):
        return
    if hasattr(Tensor, name):
        keep = f"use t.{name}(...) to keep it, or "
    elif name in ("concatenate", "stack", "matmul", "linear"):
        keep = f"use autograd.{name}(...) to keep it, or "
    else:
        keep = ""
    raise TypeError(f"np.{name} on a Tensor that requires grad would give a plain array and lose the "
                    f"graph: {keep}pass t.data for the values alone")


def _unwrap(x: Any) -> Any:
    """``x`` with every Tensor replaced by its values (through lists, tuples and dicts)."""
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _ufunc_ops() -> dict[np.ufunc, Callable[..., Tensor]]:
    """numpy's ufunc for each op of the table, and the Tensor operation recording it."""
    methods = {np.exp: "exp", np.log: "log", np.tanh: "tanh", np.sqrt: "sqrt", np.absolute: "abs",
               np.sin: "sin", np.cos: "cos", np.maximum: "maximum", np.minimum: "minimum",
               np.log1p: "log1p", np.expm1: "expm1"}
    table: dict[np.ufunc, Callable[..., Tensor]] = {u: getattr(Tensor, m) for u, m in methods.items()}
    table.update({np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
                  np.true_divide: operator.truediv, np.power: operator.pow, np.negative: operator.neg,
                  np.matmul: matmul})
    return table


def _tensors(xs: Sequence[Any], what: str) -> tuple[Tensor, ...]:
    if not xs:
        raise ValueError(f"{what}: needs at least one tensor")
    return tuple(x if isinstance(x, Tensor) else Tensor(x) for x in xs)


def matmul(x: Tensor, y: Tensor) -> Tensor:
    """x @ y (numpy's rules), with a clear error when the inner dimensions differ."""
    return _record(ops.MATMUL, (x, y))


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weightᵀ + bias as one node (one matmul, one add, one backward step).

    >>> W = Tensor([[1.0, 2.0]], requires_grad=True)
    >>> linear(Tensor([[3.0, 4.0]]), W, Tensor([0.5])).data
    array([[11.5]])
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if bias is None:
        return _record(ops.MATMUL, (x, weight.T))
    return _record(ops.LINEAR, (x, weight, bias))


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """The tensors joined along an existing ``axis``."""
    return _record(structural.Concatenate(axis), _tensors(tensors, "concatenate"))


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """The tensors stacked along a new ``axis``."""
    return _record(structural.Stack(axis), _tensors(tensors, "stack"))


_UFUNC_OPS = _ufunc_ops()
