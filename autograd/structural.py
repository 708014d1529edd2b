"""Structural ops of the table (arrays only): reductions and shape ops, each a ``forward``
and its vector-Jacobian product ``vjp`` (``grad_out`` · ∂out/∂x), for ``Tensor``.

* reductions: :class:`Sum` (``mean`` is a sum over n), :class:`Max`, :class:`Min`,
  :class:`Prod`, :class:`Var`, :class:`Std`; and :class:`Cumsum`;
* shape ops: :class:`Reshape` (also ``squeeze``, ``expand_dims``, ``flatten``),
  :class:`Transpose`, :class:`GetItem`, :class:`Concatenate`, :class:`Stack`;
* :class:`Astype`, a change of float dtype; :class:`ShiftByMax`, log_softmax's shift;
* :class:`SquaredError`, ``Σ (a - y)² / n`` as one node (``nn.mse_loss``).

Conventions at special points are PyTorch's: max and min split the gradient evenly among
ties (``amax``/``amin``); prod's gradient is the product of the other elements, exact
where some are zero; std's gradient is 0 where the standard deviation is 0.

>>> from autograd.backends import ARRAY
>>> Prod((0,), False).vjp(ARRAY, np.array(1.0), np.array(0.0), (np.array([0.0, 2.0, 3.0]),), (True,))
(array([6., 0., 0.]),)
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from autograd.backends import Num, others_last
from autograd.ops import Op


def _kept(axis: tuple[int, ...] | None, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape a reduction over ``axis`` of an array of ``shape`` has with keepdims."""
    return tuple(1 if axis is None or i in axis else n for i, n in enumerate(shape))


def _expand(m: Any, grad_out: Num, axis: tuple[int, ...] | None, shape: tuple[int, ...]) -> Num:
    """Re-insert (as length 1) the axes a reduction of an array of ``shape`` removed."""
    return m.reshape(grad_out, _kept(axis, shape))


def broadcast_axes(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of a ``grad_shape`` array that numpy broadcasting added to, or stretched
    from, ``shape``: the axes :func:`unbroadcast_on` sums over.

    >>> broadcast_axes((4, 2, 3), (2, 1))
    (0, 2)
    """
    extra = len(grad_shape) - len(shape)
    return tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad_shape[extra + i] != 1)


def unbroadcast_on(m: Any, grad: Num, shape: tuple[int, ...]) -> Num:
    """``grad`` summed over the axes numpy broadcasting added to, or stretched from,
    ``shape`` (the chain rule through broadcasting), on backend ``m``: first the added
    leading axes, then the stretched ones, kept as length 1."""
    if grad.shape == shape:
        return grad
    if grad.ndim == 2 and grad.shape[1:] == shape:  # a bias added to each row: the common case, quickly
        return m.reshape(grad, shape) if len(grad) == 1 else m.sum(grad, (0,))  # one row: the sum, exactly
    axes = broadcast_axes(grad.shape, shape)
    extra = len(grad.shape) - len(shape)
    if extra:
        grad = m.sum(grad, axes[:extra])
    if len(axes) > extra:
        grad = m.sum(grad, tuple(a - extra for a in axes[extra:]), True)
    return grad


def normalize_axis(op: str, axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...] | None:
    """Axes as a sorted tuple of non-negative ints; a clear error for one out of range."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a!r} is out of range for an array of {ndim} dimension(s)")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis!r} repeats an axis")
    return tuple(sorted(out))


class Sum(Op):
    """sum of x over ``axis``;  ∂/∂x = grad_out broadcast back over the summed axes"""

    name, elementwise, formula, linear = "sum", False, "Σ x", True
    partials = ("1 (grad_out spread over the summed axes)",)

    def __init__(self, axis: tuple[int, ...] | None, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims
        self.symbol = "sum" if axis is None else f"sum{list(axis)}"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return m.sum(x, self.axis, self.keepdims)

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        (x,) = xs
        g = grad_out if self.axis is None or self.keepdims else _expand(m, grad_out, self.axis, x.shape)
        return (m.broadcast_to(g, x.shape),)


@functools.lru_cache(maxsize=256)
def sum_op(axis: tuple[int, ...] | None, keepdims: bool) -> Sum:
    """The (shared) op: sum over ``axis`` (normalized, see :func:`normalize_axis`)."""
    return Sum(axis, keepdims)


class Max(Op):
    """max of x over ``axis``;  ∂/∂x = grad_out at the maxima (split evenly among ties), 0 elsewhere"""

    name, elementwise, formula = "max", False, "max x"
    partials = ("1[x == max] / (number of ties)",)

    def __init__(self, axis: tuple[int, ...] | None, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims
        self.symbol = "max" if axis is None else f"max{list(axis)}"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        if x.size == 0:
            raise ValueError(f"max: cannot take the maximum of an empty array of shape {x.shape}")
        return x.max(axis=self.axis, keepdims=self.keepdims)

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        (x,) = xs
        data = m.value(x)
        hit = (data == np.reshape(m.value(out), _kept(self.axis, x.shape))).astype(data.dtype)
        hit /= hit.sum(axis=self.axis, keepdims=True)  # a mask of the data: no gradient of its own
        return (_expand(m, grad_out, self.axis, x.shape) * hit,)


class Reshape(Op):
    """x with a new shape;  ∂/∂x = grad_out reshaped back to x's shape"""

    name, elementwise, formula, linear = "reshape", False, "reshape(x)", True
    partials = ("reshape back",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape
        self.symbol = f"reshape{shape}"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        try:
            return np.reshape(x, self.shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape an array of shape {x.shape} "
                             f"({x.size} elements) into shape {self.shape}") from None

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        return (m.reshape(grad_out, xs[0].shape),)


class Transpose(Op):
    """x with its axes permuted;  ∂/∂x = grad_out with the inverse permutation"""

    name, elementwise, formula, linear = "transpose", False, "xᵀ", True
    partials = ("transpose back",)

    def __init__(self, axes: tuple[int, ...] | None) -> None:
        self.axes = axes
        self.symbol = "T" if axes is None else f"transpose{axes}"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        if self.axes is None:  # x.T (W.T in a layer): a view, and the common case
            return x.T
        if sorted(self.axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {self.axes} are not a permutation of the "
                             f"{x.ndim} axes of shape {x.shape}")
        return m.transpose(x, self.axes)

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        inverse = None if self.axes is None else tuple(int(a) for a in np.argsort(self.axes))
        return (m.transpose(grad_out, inverse),)


class GetItem(Op):
    """x[index] (ints, slices, integer arrays);  ∂/∂x = grad_out scattered back with ``np.add.at``"""

    name, elementwise, formula, symbol, linear = "getitem", False, "x[i]", "[]", True
    partials = ("scatter-add into x's shape",)

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        try:
            return m.getitem(x, self.index)
        except IndexError as e:
            raise IndexError(f"getitem: index {self.index!r} into shape {x.shape}: {e}") from None

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        return (m.scatter_add(xs[0], self.index, grad_out),)


class Concatenate(Op):
    """the inputs joined along an existing ``axis``;  ∂/∂x_i = grad_out's slice of x_i"""

    name, elementwise, formula, arity, linear = "concatenate", False, "[x₀, x₁, …]", -1, True
    partials = ("slice of grad_out",)

    def __init__(self, axis: int) -> None:
        self.axis = axis
        self.symbol = f"concat[{axis}]"

    def forward(self, m: Any, *xs: np.ndarray) -> np.ndarray:
        try:
            return np.concatenate(xs, axis=self.axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise ValueError(f"concatenate: shapes {[x.shape for x in xs]} along axis "
                             f"{self.axis}: {e}") from None

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        axis = self.axis % grad_out.ndim
        before, start = (slice(None),) * axis, 0
        grads = []
        for x in xs:
            stop = start + x.shape[axis]
            grads.append(m.getitem(grad_out, (*before, slice(start, stop))))
            start = stop
        return tuple(grads)


class Stack(Op):
    """the inputs stacked along a new ``axis``;  ∂/∂x_i = grad_out indexed at i on that axis"""

    name, elementwise, formula, arity, linear = "stack", False, "stack(x₀, x₁, …)", -1, True
    partials = ("slice of grad_out",)

    def __init__(self, axis: int) -> None:
        self.axis = axis
        self.symbol = f"stack[{axis}]"

    def forward(self, m: Any, *xs: np.ndarray) -> np.ndarray:
        try:
            return np.stack(xs, axis=self.axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise ValueError(f"stack: shapes {[x.shape for x in xs]} along axis {self.axis}: {e}") from None

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        before = (slice(None),) * (self.axis % grad_out.ndim)
        return tuple(m.getitem(grad_out, (*before, i)) for i in range(len(xs)))



class Min(Max):
    """min of x over ``axis``;  ∂/∂x = grad_out at the minima (split evenly among ties), 0 elsewhere"""

    name, formula = "min", "min x"
    partials = ("1[x == min] / (number of ties)",)

    def __init__(self, axis: tuple[int, ...] | None, keepdims: bool) -> None:
        super().__init__(axis, keepdims)
        self.symbol = "min" if axis is None else f"min{list(axis)}"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        if x.size == 0:
            raise ValueError(f"min: cannot take the minimum of an empty array of shape {x.shape}")
        return x.min(axis=self.axis, keepdims=self.keepdims)


class Prod(Op):
    """product of x over ``axis``;  ∂/∂x_i = grad_out * Π_{j ≠ i} x_j (exact where some x_j are 0)

    >>> Prod(None, False).forward(None, np.array([2.0, 3.0, 4.0]))
    np.float64(24.0)
    """

    name, elementwise, formula = "prod", False, "Π x"
    partials = ("Π of the others",)

    def __init__(self, axis: tuple[int, ...] | None, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims
        self.symbol = "prod" if axis is None else f"prod{list(axis)}"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return x.prod(axis=self.axis, keepdims=self.keepdims)

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        (x,) = xs
        g = grad_out if self.keepdims else _expand(m, grad_out, self.axis, x.shape)
        return (g * m.others_product(x, self.axis),)


class Var(Op):
    """variance of x over ``axis``, Σ (x - mean)² / (n - ddof);  ∂/∂x = grad_out * 2 (x - mean) / (n - ddof)

    >>> Var(None, False, 0).forward(None, np.array([1.0, 3.0]))
    np.float64(1.0)
    """

    name, elementwise, formula = "var", False, "Σ (x - mean)² / (n - ddof)"
    partials = ("2 (x - mean) / (n - ddof)",)

    def __init__(self, axis: tuple[int, ...] | None, keepdims: bool, ddof: int) -> None:
        self.axis, self.keepdims, self.ddof = axis, keepdims, ddof
        self.symbol = self.name if axis is None else f"{self.name}{list(axis)}"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        n = x.size if self.axis is None else int(np.prod([x.shape[a] for a in self.axis]))
        if n - self.ddof <= 0:
            raise ValueError(f"{self.name}: ddof={self.ddof} leaves no degrees of freedom for {n} "
                             f"element(s) of shape {x.shape} over axis {self.axis}")
        return x.var(axis=self.axis, keepdims=self.keepdims, ddof=self.ddof)

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        (x,) = xs
        n = x.size if self.axis is None else int(np.prod([x.shape[a] for a in self.axis]))
        g = grad_out if self.keepdims else _expand(m, grad_out, self.axis, x.shape)
        return (g * (2.0 / (n - self.ddof)) * (x - m.mean(x, self.axis, True)),)


class Std(Var):
    """standard deviation of x over ``axis``, sqrt(var);  ∂/∂x = grad_out * (x - mean) / ((n - ddof) std)
    (0 where std is 0, as PyTorch)

    >>> Std(None, False, 0).forward(None, np.array([1.0, 3.0]))
    np.float64(1.0)
    """

    name, formula = "std", "sqrt(var x)"
    partials = ("(x - mean) / ((n - ddof) std)",)

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return np.sqrt(super().forward(m, x))

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        std = out if self.keepdims else _expand(m, out, self.axis, xs[0].shape)
        zero = m.value(std) == 0
        scale = m.where(zero, 0.0, 0.5 / m.where(zero, 1.0, std))  # 1.0: no 1/0 in the branch not taken
        (g,) = super().vjp(m, grad_out, out, xs, needs)
        return (g * scale,)


class Cumsum(Op):
    """running sums of x along ``axis``;  ∂/∂x = grad_out's running sums taken from the end

    >>> from autograd.backends import ARRAY
    >>> Cumsum(0).vjp(ARRAY, np.array([1.0, 1.0, 1.0]), None, (np.zeros(3),), (True,))
    (array([3., 2., 1.]),)
    """

    name, elementwise, formula, linear = "cumsum", False, "Σ_{j ≤ i} x_j", True
    partials = ("reversed running sums of grad_out",)

    def __init__(self, axis: int) -> None:
        self.axis = axis
        self.symbol = f"cumsum[{axis}]"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return np.cumsum(x, axis=self.axis)

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        flip = (*(slice(None),) * self.axis, slice(None, None, -1))
        return (m.getitem(m.cumsum(m.getitem(grad_out, flip), self.axis), flip),)


class ShiftByMax(Op):
    """x - max x along ``axis``, the max held constant (JAX's ``stop_gradient``);  ∂/∂x = grad_out

    The shift that keeps ``log_softmax`` and ``softmax`` from overflowing; their values do
    not depend on it, so it takes no gradient, and one node records what would otherwise be
    a constant computed from the data, outside the graph (which ``autograd.compile`` could
    not follow).

    >>> from autograd.backends import ARRAY
    >>> ShiftByMax(-1).forward(ARRAY, np.array([1.0, 3.0]))
    array([-2.,  0.])
    """

    name, elementwise, formula, symbol = "shift_by_max", False, "x - max x", "x - max"
    partials = ("1 (the max held constant)",)

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return x - x.max(axis=self.axis, keepdims=True)

    def differentiated(self, m: Any, at: tuple[Num, ...], *xs: Num) -> Num:
        return xs[0] - at[0].max(axis=self.axis, keepdims=True)

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        return (grad_out,)


class Astype(Op):
    """x in another float dtype;  ∂/∂x = grad_out in x's dtype"""

    name, elementwise, formula, linear = "astype", False, "x as dtype", True
    partials = ("grad_out cast back",)

    def __init__(self, dtype: np.dtype[Any]) -> None:
        self.dtype = dtype
        self.symbol = f"astype({dtype})"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return x.astype(self.dtype)

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        return (m.astype(grad_out, xs[0].dtype),)


class BroadcastTo(Op):
    """x broadcast to ``shape`` (numpy's rules);  ∂/∂x = grad_out summed back to x's shape

    The transpose of a sum: the vector-Jacobian product of :class:`Sum`, recorded."""

    name, elementwise, formula, linear = "broadcast_to", False, "x broadcast", True
    partials = ("Σ of grad_out over the broadcast axes",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape
        self.symbol = f"broadcast{shape}"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x, self.shape)

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        return (unbroadcast_on(m, grad_out, xs[0].shape),)


class ScatterAdd(Op):
    """Zeros of ``shape`` with x added at ``index`` (repeats add up);  ∂/∂x = grad_out[index]

    The transpose of indexing: the vector-Jacobian product of :class:`GetItem`, recorded.

    >>> from autograd.backends import ARRAY
    >>> ScatterAdd((3,), np.dtype("float64"), [0, 0, 2]).forward(ARRAY, np.array([1.0, 2.0, 5.0]))
    array([3., 0., 5.])
    """

    name, elementwise, formula, symbol, linear = "scatter_add", False, "0 with x added at i", "[]+=", True
    partials = ("grad_out[i]",)

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype[Any], index: Any) -> None:
        self.shape, self.dtype, self.index = shape, dtype, index

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return m.scatter_add(np.zeros(self.shape, self.dtype), self.index, x)

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        return (m.getitem(grad_out, self.index),)


class OthersProduct(Op):
    """For each element, the product of the other elements along the last axis,
    Π_{l ≠ i} x_l (the derivative of ``prod``);  ∂out_i/∂x_j = Π_{l ≠ i, j} x_l for j ≠ i, 0 for j = i

    Its value is :func:`~autograd.backends.others_last`'s, so a recorded ``prod`` derivative
    has the first-order numbers bit for bit; its vector-Jacobian product uses the op again on a
    k x k grid (row j: x with x_j replaced by 1), so it is differentiable to any order.

    >>> OthersProduct().forward(None, np.array([2.0, 3.0, 4.0]))
    array([12.,  8.,  6.])
    """

    name, elementwise, formula, symbol = "others_product", False, "Π_{l ≠ i} x_l", "Π others"
    partials = ("Σ_i grad_out_i Π_{l ≠ i, j} x_l",)

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return others_last(x)

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        (x,) = xs
        *lead, k = x.shape
        eye = np.eye(k, dtype=bool)
        grid = m.where(eye, 1.0, m.broadcast_to(m.reshape(x, (*lead, 1, k)), (*lead, k, k)))
        pairs = m.others_product(grid, (len(lead) + 1,))  # [j, i]: Π_{l ≠ i, j} x_l, and Π_{l ≠ j} at i = j
        terms = m.reshape(grad_out, (*lead, 1, k)) * pairs * (~eye).astype(pairs.dtype)
        return (m.sum(terms, (len(lead) + 1,)),)


class SquaredError(Op):
    """Σ (a - y)² / n over all elements, one node (as PyTorch's ``mse_loss``);
    ∂/∂a = 2 (a - y) / n, ∂/∂y = -2 (a - y) / n

    The value of the composition ``((a - y) ** 2).mean()`` (n the number of elements)
    or ``.sum()`` (n = 1), bit for bit, and its gradient, one node instead of four.

    >>> from autograd import Tensor
    >>> from autograd.extend import apply
    >>> a = Tensor([1.0, 3.0], requires_grad=True)
    >>> loss = apply(squared_error(2), a, Tensor([0.0, 0.0]))
    >>> loss.backward()
    >>> loss.item(), a.grad
    (5.0, array([1., 3.]))
    """

    name, elementwise, arity = "squared_error", False, 2
    input_names = ("a", "y")
    partials = ("2 (a - y) / n", "-2 (a - y) / n")

    def __init__(self, n: int) -> None:
        self.n = n
        self._inverse: dict[np.dtype[Any], np.ndarray] = {}  # 1/n per dtype: 2 us a step, measured
        self.formula = "Σ (a - y)²" if n == 1 else f"Σ (a - y)² / {n}"
        self.symbol = "Σ(a-y)²" if n == 1 else "mean (a-y)²"

    def forward(self, m: Any, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        d = a - y
        total = np.add.reduce(d * d, axis=None)
        out: np.ndarray = total if self.n == 1 else total / self.n  # as mean: the sum divided by n
        return out

    def vjp(self, m: Any, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        a, y = xs
        inverse = self._inverse.get(grad_out.dtype)
        if inverse is None:  # 1/n rounded in grad_out's dtype, as the mean's division passes it down
            inverse = self._inverse[grad_out.dtype] = 1.0 / np.asarray(self.n, grad_out.dtype)
        g = 2.0 * (a - y) * (grad_out * inverse)
        return (g if needs[0] else None, -g if needs[1] else None)


@functools.lru_cache(maxsize=64)
def squared_error(n: int) -> SquaredError:
    """The (shared) op ``Σ (a - y)² / n``."""
    return SquaredError(n)
