"""Structural ops of the table (arrays only): reductions and shape ops, each a ``forward``
and its vector-Jacobian product ``vjp`` (``grad_out`` · ∂out/∂x), for ``Tensor``.

* reductions: :class:`Sum` (``mean`` is a sum over n), :class:`Max`, :class:`Min`,
  :class:`Prod`, :class:`Var`, :class:`Std`; and :class:`Cumsum`;
* shape ops: :class:`Reshape` (also ``squeeze``, ``expand_dims``, ``flatten``),
  :class:`Transpose`, :class:`GetItem`, :class:`Concatenate`, :class:`Stack`;
* :class:`Astype`, a change of float dtype.

Conventions at special points are PyTorch's: max and min split the gradient evenly among
ties (``amax``/``amin``); prod's gradient is the product of the other elements, exact
where some are zero; std's gradient is 0 where the standard deviation is 0.

>>> Prod((0,), False).vjp(np.array(1.0), np.array(0.0), (np.array([0.0, 2.0, 3.0]),), (True,))
(array([6., 0., 0.]),)
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from autograd.ops import Op


def _expand(grad_out: np.ndarray, axis: tuple[int, ...] | None, ndim_shape: tuple[int, ...]) -> np.ndarray:
    """Re-insert (as length 1) the axes a reduction of an array of shape ``ndim_shape`` removed."""
    kept = tuple(1 if axis is None or i in axis else n for i, n in enumerate(ndim_shape))
    return grad_out.reshape(kept)


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

    name, elementwise, formula = "sum", False, "Σ x"
    partials = ("1 (grad_out spread over the summed axes)",)

    def __init__(self, axis: tuple[int, ...] | None, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims
        self.symbol = "sum" if axis is None else f"sum{list(axis)}"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        (x,) = xs
        g = np.empty_like(x)
        g[...] = grad_out if self.axis is None or self.keepdims else _expand(grad_out, self.axis, x.shape)
        return (g,)


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

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        (x,) = xs
        hit = (x == _expand(out, self.axis, x.shape)).astype(x.dtype)
        hit /= hit.sum(axis=self.axis, keepdims=True)
        return (hit * _expand(grad_out, self.axis, x.shape),)


class Reshape(Op):
    """x with a new shape;  ∂/∂x = grad_out reshaped back to x's shape"""

    name, elementwise, formula = "reshape", False, "reshape(x)"
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

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        return (np.reshape(grad_out, xs[0].shape),)


class Transpose(Op):
    """x with its axes permuted;  ∂/∂x = grad_out with the inverse permutation"""

    name, elementwise, formula = "transpose", False, "xᵀ"
    partials = ("transpose back",)

    def __init__(self, axes: tuple[int, ...] | None) -> None:
        self.axes = axes
        self.symbol = "T" if axes is None else f"transpose{axes}"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        if self.axes is not None and sorted(self.axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {self.axes} are not a permutation of the "
                             f"{x.ndim} axes of shape {x.shape}")
        return np.transpose(x, self.axes)

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        inverse = None if self.axes is None else tuple(np.argsort(self.axes))
        return (np.transpose(grad_out, inverse),)


class GetItem(Op):
    """x[index] (ints, slices, integer arrays);  ∂/∂x = grad_out scattered back with ``np.add.at``"""

    name, elementwise, formula, symbol = "getitem", False, "x[i]", "[]"
    partials = ("scatter-add into x's shape",)

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        try:
            return np.asarray(x[self.index])
        except IndexError as e:
            raise IndexError(f"getitem: index {self.index!r} into shape {x.shape}: {e}") from None

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        g = np.zeros_like(xs[0])
        np.add.at(g, self.index, grad_out)
        return (g,)


class Concatenate(Op):
    """the inputs joined along an existing ``axis``;  ∂/∂x_i = grad_out's slice of x_i"""

    name, elementwise, formula, arity = "concatenate", False, "[x₀, x₁, …]", -1
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

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        bounds = np.cumsum([x.shape[self.axis] for x in xs])[:-1]
        return tuple(np.split(grad_out, bounds, axis=self.axis))


class Stack(Op):
    """the inputs stacked along a new ``axis``;  ∂/∂x_i = grad_out indexed at i on that axis"""

    name, elementwise, formula, arity = "stack", False, "stack(x₀, x₁, …)", -1
    partials = ("slice of grad_out",)

    def __init__(self, axis: int) -> None:
        self.axis = axis
        self.symbol = f"stack[{axis}]"

    def forward(self, m: Any, *xs: np.ndarray) -> np.ndarray:
        try:
            return np.stack(xs, axis=self.axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise ValueError(f"stack: shapes {[x.shape for x in xs]} along axis {self.axis}: {e}") from None

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        return tuple(np.moveaxis(grad_out, self.axis, 0))



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


def _others_product(x: np.ndarray, axis: tuple[int, ...] | None) -> np.ndarray:
    """For each element, the product of the other elements of its slice along ``axis``:
    exclusive running products from the left times those from the right, so zeros need
    no division (one zero: its product of the others; two: all 0)."""
    axes = tuple(range(x.ndim)) if axis is None else axis
    rest = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = moved.reshape(*moved.shape[:len(rest)], -1)
    ones = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat, -1)[..., :-1]], axis=-1), axis=-1), -1)
    return np.transpose((left * right).reshape(moved.shape), np.argsort(rest + list(axes)))


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

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        (x,) = xs
        g = grad_out if self.keepdims else _expand(grad_out, self.axis, x.shape)
        return (g * _others_product(x, self.axis),)


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

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        (x,) = xs
        n = x.size if self.axis is None else int(np.prod([x.shape[a] for a in self.axis]))
        g = grad_out if self.keepdims else _expand(grad_out, self.axis, x.shape)
        return (g * (2.0 / (n - self.ddof)) * (x - x.mean(axis=self.axis, keepdims=True)),)


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

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        std = out if self.keepdims else _expand(out, self.axis, xs[0].shape)
        with np.errstate(divide="ignore"):
            scale = np.where(std == 0, 0.0, 0.5 / std)
        (g,) = super().vjp(grad_out, out, xs, needs)
        assert g is not None
        return (g * scale,)


class Cumsum(Op):
    """running sums of x along ``axis``;  ∂/∂x = grad_out's running sums taken from the end

    >>> Cumsum(0).vjp(np.array([1.0, 1.0, 1.0]), None, (np.zeros(3),), (True,))
    (array([3., 2., 1.]),)
    """

    name, elementwise, formula = "cumsum", False, "Σ_{j ≤ i} x_j"
    partials = ("reversed running sums of grad_out",)

    def __init__(self, axis: int) -> None:
        self.axis = axis
        self.symbol = f"cumsum[{axis}]"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return np.cumsum(x, axis=self.axis)

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        return (np.flip(np.cumsum(np.flip(grad_out, self.axis), axis=self.axis), self.axis),)


class Astype(Op):
    """x in another float dtype;  ∂/∂x = grad_out in x's dtype"""

    name, elementwise, formula = "astype", False, "x as dtype"
    partials = ("grad_out cast back",)

    def __init__(self, dtype: np.dtype[Any]) -> None:
        self.dtype = dtype
        self.symbol = f"astype({dtype})"

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return x.astype(self.dtype)

    def vjp(self, grad_out: np.ndarray, out: np.ndarray, xs: tuple[np.ndarray, ...],
            needs: tuple[bool, ...]) -> tuple[np.ndarray | None, ...]:
        return (grad_out.astype(xs[0].dtype),)
