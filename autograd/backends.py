"""The backends an op is written against: the few elementwise functions of ``m``.

* :class:`ScalarMath` (:data:`SCALAR`) -- Python floats through :mod:`math`, for ``Value``;
* :class:`ArrayMath` (:data:`ARRAY`) -- numpy arrays, for ``Tensor``;
* :func:`on_float64` -- the scalar engine's fallback to numpy where Python raises.

Both follow IEEE 754 as numpy does: NaN in gives NaN out, in every function and every
indicator (relu's ``1[x > 0]`` is NaN at NaN); log(0) is -inf, 1/0 is inf.  The two agree
bit for bit on arithmetic, sqrt, sin, cos and every indicator.  numpy's own tanh, and on CPUs
with AVX-512 its vectorised exp, log, log1p and expm1, round differently from the C library's
in the last bit for some inputs (measured with numpy 2.4 on an AVX-512 Xeon: tanh 28 %,
expm1 9 %, log1p 8 %, exp 5 %, log 0.2 % of random inputs), so ops through them agree to a
unit or two in the last place.

>>> SCALAR.relu(-2.0), ARRAY.relu(np.array([-2.0, 3.0]))
(0.0, array([0., 3.]))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Num = Any
"""A float (scalar backend) or an ``np.ndarray`` (array backend)."""


class ScalarMath:
    """Elementwise functions on Python floats that give what :class:`ArrayMath` gives for
    one float64 element: NaN in, NaN out; ``-0.0``, subnormals and infinities as numpy
    treats them.  ``math.sqrt``, ``math.sin`` and ``math.cos`` round exactly as numpy's do;
    ``math.tanh`` differs from numpy's in the last bit for about a quarter of inputs, and
    ``math.exp``, ``math.log``, ``math.log1p`` and ``math.expm1`` for a few percent where
    numpy uses its AVX-512 versions (see the module).

    Where Python raises instead of returning an IEEE 754 result (``math.log(0)``,
    ``math.exp(1000)``, ``1.0 / 0.0``), the scalar engine evaluates the op again with
    the array backend on float64 numbers (:func:`on_float64`), so the result, warning
    included, is numpy's.
    """

    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    sqrt = staticmethod(math.sqrt)
    tanh = staticmethod(math.tanh)
    abs = staticmethod(abs)

    def __getattr__(self, name: str) -> Any:
        """A function this class does not define is ``math``'s of that name (``m.sin``),
        kept on the class once found: a new op needs no line here unless it needs a
        function of its own semantics."""
        f = getattr(math, name)
        setattr(ScalarMath, name, staticmethod(f))
        return f

    @staticmethod
    def value(x: float) -> float:
        """x's number (for a mask or a count that takes no gradient): x itself."""
        return x

    @staticmethod
    def pow(x: float, c: float) -> float:
        """x**c for a constant exponent c, as numpy computes it: x*x for c = 2, 1/x for
        c = -1, sqrt(x) for c = 0.5 (numpy's fast cases), C's ``pow`` otherwise."""
        if c == 2.0:
            return x * x
        if c == -1.0:
            return 1.0 / x
        if c == 0.5:
            return math.sqrt(x)
        return math.pow(x, c)

    power = staticmethod(math.pow)
    """x**y for a variable exponent: C's ``pow`` (raises where it would return NaN or inf)."""

    @staticmethod
    def sigmoid(x: float) -> float:
        """1 / (1 + e**-x): the array backend's formula (e**-x overflows to the engine's fallback)."""
        return 1.0 / (1.0 + math.exp(-x))

    @staticmethod
    def relu(x: float) -> float:
        """max(x, 0); NaN stays NaN."""
        return x if x > 0 or x != x else 0.0

    @staticmethod
    def step(x: float) -> float:
        """1[x > 0] (the derivative of relu; 0 at the kink, as PyTorch; NaN at NaN)."""
        return 1.0 if x > 0 else (0.0 if x <= 0 else x)

    @staticmethod
    def half_step(x: float) -> float:
        """1 for x > 0, 1/2 at x == 0, 0 for x < 0 (ties split the gradient evenly); NaN at NaN."""
        return 1.0 if x > 0 else (0.0 if x < 0 else (0.5 if x == 0 else x))

    @staticmethod
    def sign(x: float) -> float:
        """-1, 0 or 1 (the derivative of abs; 0 at the kink); NaN at NaN."""
        return 1.0 if x > 0 else (-1.0 if x < 0 else (0.0 if x == 0 else x))

    @staticmethod
    def maximum(x: float, y: float) -> float:
        """The larger of x and y; NaN if either is NaN; y for a tie (numpy: max(-0.0, 0.0) is 0.0)."""
        return x if x > y or x != x else y

    @staticmethod
    def minimum(x: float, y: float) -> float:
        """The smaller of x and y; NaN if either is NaN; y for a tie (numpy: min(0.0, -0.0) is -0.0)."""
        return x if x < y or x != x else y

    @staticmethod
    def leaky_step(x: float, slope: float) -> float:
        """1 for x > 0, ``slope`` for x <= 0 (the derivative of leaky_relu); NaN at NaN."""
        return 1.0 if x > 0 else (slope if x <= 0 else x)

    @staticmethod
    def clip(x: float, lo: float, hi: float) -> float:
        """x limited to [lo, hi]; NaN stays NaN."""
        return lo if x < lo else (hi if x > hi else x)

    @staticmethod
    def inside(x: float, lo: float, hi: float) -> float:
        """1[lo <= x <= hi] (the derivative of clip); NaN at NaN."""
        return 1.0 if lo <= x <= hi else (0.0 if x == x else x)

    @staticmethod
    def where(condition: bool, x: float, y: float) -> float:
        """x if condition else y."""
        return x if condition else y


class MethodMath:
    """The functions of ``m`` that are a value's own methods, for backends whose values are
    objects with numpy's methods (the graph's nodes, the code emitter's symbols): each calls
    the value's method, which records or emits the op it is."""

    @staticmethod
    def sum(x: Any, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
        """Σ x over ``axis``."""
        return x.sum(axis, keepdims)

    @staticmethod
    def mean(x: Any, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
        """(Σ x over ``axis``) / n."""
        return x.mean(axis, keepdims)

    @staticmethod
    def getitem(x: Any, index: Any) -> Any:
        """x[index]."""
        return x[index]

    @staticmethod
    def astype(x: Any, dtype: Any) -> Any:
        """x in ``dtype``."""
        return x.astype(dtype)


def dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x @ y, through ``np.dot`` when both are 1-D or 2-D: it calls BLAS for every such
    shape, where ``np.matmul`` falls back to a slow loop when the inner dimension is 1
    (a batch-1 weight gradient, 32x1 @ 1x784 in float32: 36 us against 4.5 us)."""
    if 0 < x.ndim <= 2 and 0 < y.ndim <= 2:
        out: np.ndarray = np.dot(x, y)
        return out
    return np.matmul(x, y)


def swap_last(ndim: int) -> tuple[int, ...] | None:
    """The permutation that swaps the last two of ``ndim`` axes (a batch of matrices transposed);
    None for a matrix: all axes reversed, ``m.transpose``'s default (``x.T``, the fastest)."""
    return None if ndim == 2 else (*range(ndim - 2), ndim - 1, ndim - 2)


def column_major(a: Any) -> bool:
    """Whether ``a`` is a numpy matrix stored column by column, as a transposed one (``W.T``) is."""
    return getattr(a, "ndim", 0) == 2 and a.strides[0] < a.strides[1]


class ArrayMath:
    """The same functions on numpy arrays; they follow numpy (inf/nan and a RuntimeWarning,
    never an exception)."""

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    clip = staticmethod(np.clip)

    def __getattr__(self, name: str) -> Any:
        """A function this class does not define is numpy's of that name (``m.sin``),
        kept on the class once found."""
        f = getattr(np, name)
        setattr(ArrayMath, name, staticmethod(f))
        return f

    @staticmethod
    def pow(x: np.ndarray, c: float) -> np.ndarray:
        """x**c elementwise for a constant c (numpy's rules: NaN for negative**fraction); x**2
        as x * x, the correctly rounded square that numpy also uses, at half the cost of
        ``np.power``."""
        return x * x if c == 2.0 else np.power(x, c)

    @staticmethod
    def power(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """x**y elementwise by C's ``pow``, whatever the shapes: numpy switches to square,
        sqrt or reciprocal where the exponent is broadcast or 0-d and equals 2, 0.5 or -1,
        which rounds differently (and gives ``(-0.0)**0.5 = -0.0``)."""
        y = np.asarray(y)
        shape = np.broadcast_shapes(np.shape(x), y.shape)
        if y.shape == shape and y.ndim:
            return np.power(x, y)
        flat_y = np.array(np.broadcast_to(y, shape)).reshape(-1)
        return np.power(np.broadcast_to(x, shape).reshape(-1), flat_y).reshape(shape)

    @staticmethod
    @np.errstate(over="ignore")  # a decorator costs half a with-block; numpy >= 2 keeps its state per call
    def sigmoid(x: np.ndarray) -> np.ndarray:
        """1 / (1 + e**-x); where e**-x overflows (x < -709.78 in float64) the result is 0
        and the overflow is not reported (the true value is below 2.3e-308)."""
        e = np.exp(-x)
        if type(e) is not np.ndarray:  # a 0-d input gives a numpy scalar
            return np.asarray(1.0 / (1.0 + e))
        e += 1.0
        return np.reciprocal(e, out=e)

    @staticmethod
    def where(condition: Any, x: Any, y: Any) -> Any:
        """x where ``condition`` holds, else y."""
        return np.where(condition, x, y)

    @staticmethod
    def relu(x: np.ndarray) -> np.ndarray:
        """max(x, 0)."""
        return np.maximum(x, 0)

    @staticmethod
    def step(x: np.ndarray) -> np.ndarray:
        """1[x > 0] in x's dtype; NaN at NaN."""
        return np.heaviside(x, 0.0)

    @staticmethod
    def half_step(x: np.ndarray) -> np.ndarray:
        """1 for x > 0, 1/2 at 0, 0 for x < 0; NaN at NaN."""
        return np.heaviside(x, 0.5)

    @staticmethod
    def leaky_step(x: np.ndarray, slope: float) -> np.ndarray:
        """1 for x > 0, ``slope`` for x <= 0, in x's dtype; NaN at NaN."""
        return np.where(x > 0, 1.0, np.where(x <= 0, slope, x)).astype(x.dtype, copy=False)

    @staticmethod
    def inside(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
        """1[lo <= x <= hi] in x's dtype; NaN at NaN."""
        return np.where(np.isnan(x), x, ((x >= lo) & (x <= hi)).astype(x.dtype))


    # -- what vector-Jacobian products are written with (structural ops, the engine) --------

    matmul = staticmethod(dot)
    """x @ y through BLAS (:func:`dot`)."""

    @staticmethod
    def value(x: np.ndarray) -> np.ndarray:
        """x's numbers (for a mask or a count that takes no gradient): x itself here; a
        node's ``data`` on the recording backend."""
        return x

    @staticmethod
    def transpose(x: np.ndarray, axes: tuple[int, ...] | None = None) -> np.ndarray:
        """x with its axes permuted (reversed when ``axes`` is None)."""
        return x.T if axes is None else x.transpose(axes)  # methods: a sixth of np.transpose's cost

    @staticmethod
    def reshape(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """x in a new shape."""
        return x.reshape(shape)  # the method: np.reshape is a Python function around it

    @staticmethod
    def broadcast_to(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """x broadcast to ``shape``, as a new array of its own."""
        out = np.empty(shape, x.dtype)
        out[...] = x
        return out

    @staticmethod
    def sum(x: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> np.ndarray:
        """Σ x over ``axis`` (``np.add.reduce``: ``x.sum`` calls it through a Python function)."""
        return np.add.reduce(x, axis, keepdims=True) if keepdims else np.asarray(np.add.reduce(x, axis))

    @staticmethod
    def mean(x: np.ndarray, axis: tuple[int, ...] | None = None, keepdims: bool = False) -> np.ndarray:
        """(Σ x over ``axis``) / n, as ``np.mean``."""
        return np.asarray(x.mean(axis=axis, keepdims=keepdims))

    @staticmethod
    def sum_rows(x: np.ndarray) -> np.ndarray:
        """Σ over the rows of a 2-D x, as ones @ x: a BLAS product, 3x faster than numpy's
        axis-0 sum at batch 40."""
        out: np.ndarray = np.dot(np.ones(len(x), x.dtype), x)
        return out

    @staticmethod
    def getitem(x: np.ndarray, index: Any) -> np.ndarray:
        """x[index]."""
        return np.asarray(x[index])

    @staticmethod
    def scatter_add(like: np.ndarray, index: Any, x: np.ndarray) -> np.ndarray:
        """Zeros of ``like``'s shape and dtype with x added at ``index`` (repeats add up):
        the transpose of ``getitem``."""
        out = np.zeros_like(like)
        scatter_into(out, index, x)
        return out

    @staticmethod
    def cumsum(x: np.ndarray, axis: int) -> np.ndarray:
        """Running sums along ``axis``."""
        return np.cumsum(x, axis=axis)

    @staticmethod
    def astype(x: np.ndarray, dtype: Any) -> np.ndarray:
        """x in ``dtype``."""
        return x.astype(dtype)

    @staticmethod
    def others_product(x: np.ndarray, axis: tuple[int, ...] | None) -> np.ndarray:
        """For each element, the product of the other elements of its slice along ``axis``:
        exclusive running products from the left times those from the right, so zeros need
        no division (one zero: its product of the others; two: all 0)."""
        axes = tuple(range(x.ndim)) if axis is None else axis
        rest = [a for a in range(x.ndim) if a not in axes]
        moved = np.transpose(x, rest + list(axes))
        flat = moved.reshape(*moved.shape[:len(rest)], -1)
        return np.transpose(others_last(flat).reshape(moved.shape), np.argsort(rest + list(axes)))


def others_last(x: np.ndarray) -> np.ndarray:
    """For each element, the product of the others along the last axis: exclusive running
    products from the left times those from the right (no division, exact at zeros)."""
    ones = np.ones_like(x[..., :1])
    left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(x, -1)[..., :-1]], axis=-1), axis=-1), -1)
    out: np.ndarray = left * right
    return out


def basic_index(index: Any) -> bool:
    """Whether ``index`` is basic indexing (ints, slices, ``...``, None): no element is picked twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, slice)
               or (isinstance(p, (int, np.integer)) and not isinstance(p, (bool, np.bool_))) for p in parts)


def scatter_into(out: np.ndarray, index: Any, x: np.ndarray) -> None:
    """out[index] += x, repeats adding up: ``np.add.at`` only where an index can repeat (it is
    16x slower than a plain ``+=``: 160 us against 10 us for 25,088 float64 elements)."""
    if basic_index(index):
        out[index] += x
    else:
        np.add.at(out, index, x)


SCALAR = ScalarMath()
ARRAY = ArrayMath()

FALLBACK_ERRORS = (ArithmeticError, ValueError)
"""What the scalar backend raises where numpy returns NaN or an infinity instead."""


def on_float64(method: Any, *xs: float) -> Any:
    """``method(ARRAY, *xs)`` on float64 numbers, each result a Python float: what the
    array backend gives for one element, numpy's warnings and ``np.errstate`` included.
    The scalar engine's fallback where the scalar backend raises.

    >>> with np.errstate(divide="ignore"):
    ...     on_float64(lambda m, x: m.log(x), 0.0), on_float64(lambda m, x: (1.0 / x, m.sqrt(x)), 0.0)
    (-inf, (inf, 0.0))
    """
    out = method(ARRAY, *(np.float64(x) for x in xs))
    if isinstance(out, tuple):
        return tuple(float(v) for v in out)
    return float(out)
