"""What f is given: input kinds, private copies, and numerical gradients.

* :class:`Kind` -- how f receives an input (``Tensor``, ``Value``, float or array);
  :func:`kind_of`, :func:`as_array`, :func:`input_names` read the inputs given.
* :class:`Probe` -- f at the point and with elements moved, on private copies.
* :func:`scalar`, :func:`out_dtype`, :func:`two_answers`, :func:`changed_note` --
  what f's results and behaviour say.
* :func:`numerical_grad` -- central differences of a scalar function, in float64.

f never sees the arrays the differences are taken around: it gets private copies,
moved one element at a time and restored.  An ``f`` that writes into its inputs
(``x -= 1``) is caught by comparing those copies with the point after a call; from
then on every call gets fresh copies, and the report says which input f changed.
f is evaluated twice at the point given, on fresh copies: when the two answers
differ by more than rounding (``4 ε max|f|``, with ``ε`` the machine epsilon;
random noise, hidden state), f is no function of its inputs, finite differences of
it mean nothing, and the check fails saying so without comparing any element.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

import numpy as np

from autograd.checking.differences import Shift, default_step, differences
from autograd.checking.reports import GradcheckWarning
from autograd.node import no_grad
from autograd.tensor import Tensor
from autograd.value import Value

_BATCH_BYTES = 1 << 23
"""Memory for one chunk of stacked copies in ``vectorized`` mode (8 MiB)."""


class Kind(Enum):
    """How f receives an input: as a ``Tensor``, a ``Value``, a float or a numpy array."""

    TENSOR = "tensor"
    VALUE = "value"
    FLOAT = "float"
    ARRAY = "array"

    @property
    def scalar(self) -> bool:
        """True for the kinds that hold one number (``Value``, float).

        >>> Kind.VALUE.scalar, Kind.ARRAY.scalar
        (True, False)
        """
        return self is Kind.VALUE or self is Kind.FLOAT


def kind_of(x: Any, what: str, i: int) -> Kind:
    """The kind of input ``i``; ``TypeError`` for anything else."""
    if isinstance(x, Tensor):
        return Kind.TENSOR
    if isinstance(x, Value):
        return Kind.VALUE
    if isinstance(x, (float, int, np.floating, np.integer)) and not isinstance(x, bool):
        return Kind.FLOAT
    if isinstance(x, (np.ndarray, list, tuple)):
        return Kind.ARRAY
    raise TypeError(f"{what}: input {i} is a {type(x).__name__}; expected a numpy array, Tensor, "
                    "Value or number")


def as_array(x: Any, dtype: Any, what: str, i: int) -> np.ndarray:
    """A writable float copy of an input (``dtype`` None: float32 kept, others float64)."""
    raw = x.data if isinstance(x, (Tensor, Value)) else x
    try:
        a = np.array(raw, dtype=dtype, copy=True, order="C")
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what}: input {i} is not numeric: {e}") from None
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{what}: input {i} has dtype {a.dtype}; expected numbers")
    if a.dtype != np.float32:
        a = a.astype(np.float64)
    return a


def input_names(inputs: Sequence[Any], names: Sequence[str] | None, what: str) -> list[str]:
    """``names``, checked, or the inputs' labels (``input 0``, ... for those without one)."""
    if names is not None:
        if len(names) != len(inputs):
            raise ValueError(f"{what}: {len(names)} names for {len(inputs)} inputs")
        return [str(n) for n in names]
    out = []
    for i, x in enumerate(inputs):
        label = getattr(x, "label", None) if isinstance(x, (Tensor, Value)) else None
        out.append(label if label else f"input {i}")
    return out


def scalar(out: Any, what: str) -> float:
    """f's result as a float: a Value, a one-element Tensor or array, or a number."""
    data = out.data if isinstance(out, (Tensor, Value)) else out
    a = np.asarray(data)
    if a.size != 1 or a.dtype.kind not in "fiub":
        raise ValueError(f"{what}: f must return a scalar (a number, Value or one-element Tensor/array), "
                         f"got {type(out).__name__} of shape {a.shape}")
    return float(a.reshape(()))


def out_dtype(out: Any) -> np.dtype[Any]:
    """The float dtype f computed its result in (float64 for non-float results)."""
    data = out.data if isinstance(out, (Tensor, Value)) else out
    a = np.asarray(data)
    return a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two float arrays of one dtype hold the same bits (NaN and -0.0 included)."""
    unsigned = np.dtype(f"u{a.dtype.itemsize}")
    return bool(np.array_equal(a.view(unsigned), b.view(unsigned)))


class Probe:
    """Evaluates f at the point ``work`` (arrays f never sees) or with elements of one
    input moved.  f gets each input as the kind it expects, made from private copies
    (``Tensor``\\ s wrap them) that a shift moves in place and restores, so no call
    copies an input.  The copies are compared with ``work`` after each evaluation at
    the point and after each batch of shifts: the inputs an f wrote into go to
    ``changed``, every later call gets fresh copies, and a spoiled batch is redone."""

    def __init__(self, f: Callable[..., Any], kinds: Sequence[Kind], arrays: Sequence[np.ndarray],
                 what: str, vectorized: bool = False) -> None:
        self.f, self.what, self.vectorized = f, what, vectorized
        self.work = [a if a.flags.c_contiguous else np.ascontiguousarray(a) for a in arrays]
        # Plain lists, read once: comparing Enum members costs ~0.5 µs each (CPython 3.11),
        # per input and call.
        self.tensor = [kind is Kind.TENSOR for kind in kinds]
        self.make: list[Callable[[Any], Any] | None] = [
            _make_value if kind is Kind.VALUE else float if kind is Kind.FLOAT else None for kind in kinds]
        self.args: list[Any] = []
        self.copies: list[np.ndarray] = []
        for tensor, a in zip(self.tensor, self.work):
            if tensor:
                t = Tensor(a)
                self.args.append(t)
                self.copies.append(t.data)
            else:
                copy = a.copy()
                self.args.append(copy)
                self.copies.append(copy)
        self.fixed = all(make is None for make in self.make)
        self.guard = any(kind in (Kind.TENSOR, Kind.VALUE) for kind in kinds)
        self.fresh = False
        self.changed: list[int] = []

    def call(self, fresh: bool = False) -> Any:
        """f's raw result at the point, on the private copies (on new ones when ``fresh``)."""
        if fresh or self.fresh:
            return self._invoke(self._fresh_args())
        out = self._invoke(self.args)
        self._spoiled()
        return out

    def value(self, fresh: bool = False) -> float:
        """f at the point, as a float."""
        return self._float(self.call(fresh))

    def _float(self, out: Any) -> float:
        return out if type(out) is float else scalar(out, self.what)

    def _invoke(self, args: list[Any]) -> Any:
        """f on ``args`` (Values and floats made anew; under ``no_grad`` for chainrule inputs)."""
        if not self.fixed:
            args = [a if make is None else make(a) for make, a in zip(self.make, args)]
        if self.guard:
            with no_grad():
                return self.f(*args)
        return self.f(*args)

    def _fresh_args(self, k: int | None = None, i: int = 0, step: float = 0.0) -> list[Any]:
        """New copies of the point (with element ``i`` of input ``k`` moved by ``step``)."""
        arrays = [a.copy() for a in self.work]
        if k is not None:
            flat = arrays[k].reshape(-1)
            flat[i] = flat[i] + step
        return [Tensor(a) if tensor else a for tensor, a in zip(self.tensor, arrays)]

    def _spoiled(self) -> bool:
        """Did f change a private copy (or give a Tensor a new array)?  Then note which
        inputs, and give f fresh copies from now on."""
        state = zip(self.tensor, self.args, self.copies, self.work)
        bad = [k for k, (tensor, arg, copy, a) in enumerate(state)
               if not _same_bits(copy, a) or (tensor and arg.data is not copy)]
        self._changed(bad)
        return bool(bad)

    def _changed(self, inputs: list[int]) -> None:
        if inputs:
            self.changed += [k for k in inputs if k not in self.changed]
            self.fresh = True

    def shifter(self, k: int) -> Shift:
        """``shift`` for input ``k``: one call of f per step, or stacked copies when vectorized."""
        if self.vectorized:
            return self._stacked(k)
        point = self.work[k].reshape(-1)
        flat = self.copies[k].reshape(-1)
        assert np.shares_memory(flat, self.copies[k])
        args, invoke, to_float = self.args, self._invoke, self._float

        def one_by_one(idx: np.ndarray, steps: np.ndarray) -> np.ndarray:
            out = np.empty(len(idx))
            if not self.fresh:
                for j, (i, s) in enumerate(zip(idx.tolist(), steps.tolist())):
                    old = point[i]
                    flat[i] = old + s
                    try:
                        out[j] = to_float(invoke(args))
                    finally:
                        flat[i] = old
                if not self._spoiled():
                    return out
            for j, (i, s) in enumerate(zip(idx.tolist(), steps.tolist())):
                out[j] = to_float(invoke(self._fresh_args(k, i, s)))
            return out

        return one_by_one

    def _stacked(self, k: int) -> Shift:
        """f called on ``m`` stacked copies of input k, element ``idx[j]`` of copy j moved;
        the copies are made once and restored after each call (made anew for each call,
        with every input, once f has changed an input)."""
        x = self.work[k]
        buffers: dict[int, np.ndarray] = {}

        def run(idx: np.ndarray, steps: np.ndarray, fresh: bool) -> np.ndarray:
            out = np.empty(len(idx))
            chunk = max(1, _BATCH_BYTES // max(1, sum(a.nbytes for a in self.work) if fresh else x.nbytes))
            for start in range(0, len(idx), chunk):
                part = idx[start:start + chunk]
                m = len(part)
                if fresh:
                    args = [np.repeat(a[None], m, axis=0) for a in self.work]
                else:
                    if m not in buffers:
                        buffers[m] = np.repeat(x[None], m, axis=0)
                    args = [buffers[m] if j == k else np.broadcast_to(a, (m, *a.shape))
                            for j, a in enumerate(self.work)]
                out[start:start + m] = self._stacked_call(k, args, part, steps[start:start + m])
            return out

        def stacked(idx: np.ndarray, steps: np.ndarray) -> np.ndarray:
            if self.fresh:
                return run(idx, steps, True)
            out = run(idx, steps, False)
            if all(_same_bits(b, np.broadcast_to(x, b.shape)) for b in buffers.values()):
                return out
            self._changed([k])
            return run(idx, steps, True)

        return stacked

    def _stacked_call(self, k: int, args: list[np.ndarray], part: np.ndarray,
                      steps: np.ndarray) -> np.ndarray:
        """f's ``m`` values on ``args``, stacked copies with element ``part[j]`` of copy j of
        input k moved by ``steps[j]`` (and put back afterwards)."""
        x = self.work[k]
        copies = args[k]
        m = len(part)
        flat = copies.reshape(m, -1)
        rows = np.arange(m)
        old = x.reshape(-1)[part]
        flat[rows, part] = old + steps.astype(x.dtype)
        try:
            with no_grad():
                res = self.f(*[Tensor(a) if tensor else a for tensor, a in zip(self.tensor, args)])
        finally:
            flat[rows, part] = old
        vals = np.asarray(res.data if isinstance(res, Tensor) else res, dtype=np.float64)
        if vals.shape != (m,):
            raise ValueError(f"{self.what}: vectorized=True: f got {m} stacked copies of input {k} "
                             f"(shape {copies.shape}) and must return {m} values, got shape {vals.shape}")
        return vals


def _make_value(a: Any) -> Value:
    return Value(float(a))


def two_answers(f0: float, f1: float, machine_epsilon: float) -> str | None:
    """What is wrong when two evaluations of f at the point differ by more than rounding
    (``4 ε max|f|``, the error the noise term allows one evaluation); None when they agree."""
    rounding = 4.0 * machine_epsilon * max(abs(f0), abs(f1))
    if f0 == f1 or (math.isnan(f0) and math.isnan(f1)) or abs(f1 - f0) <= rounding:
        return None
    return (f"f gave two answers at the same point, {f0!r} and then {f1!r}, further apart than rounding "
            f"({rounding:.1e}) explains (random noise? state that changes between calls?)")


def changed_note(probe: Probe, names: Sequence[str]) -> str:
    """Which inputs f changed in place, and what the check did about it."""
    changed = ", ".join(names[k] for k in probe.changed)
    return (f"f changed {changed} in place (such as `x -= 1` inside f): from then on every "
            "call got fresh copies of the inputs, so the differences are still taken at the inputs given")


def numerical_grad(f: Callable[..., Any], *inputs: Any, eps: float | None = None,
                   richardson: bool = False, vectorized: bool = False) -> Any:
    """∂f/∂x by central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h``, in float64.

    ``f(*inputs)`` must return a scalar (a number, ``Value``, or one-element
    ``Tensor``/array).  f receives each input as the kind it was given: numpy
    arrays (float64 copies), ``Tensor`` (float64, evaluated under ``no_grad``),
    ``Value`` or float.  The step for element i is ``eps · max(1, |x_i|)``; by
    default ``eps = ε^(1/3)`` of the precision f computes in, read from the dtype
    of its result (6e-6 for float64, 5e-3 for float32).  ``richardson=True`` returns
    ``(4 D(h/2) - D(h)) / 3``, whose error is ``O(h⁴)`` instead of ``O(h²)``
    (default ``eps = ε^(1/5)``; twice the evaluations).  ``vectorized=True``: f
    takes every input with an extra leading axis of ``m`` stacked copies and
    returns ``m`` values (many perturbations per call, for numpy-broadcasting f).
    f gets private copies: one that changes its inputs in place is given fresh
    copies on every call, with a :class:`GradcheckWarning`; one that gives two
    answers at the point (noise, hidden state) raises ``ValueError``.

    Returns one float64 array per input (a float for a ``Value`` or float input),
    or the bare gradient when there is one input.

    >>> numerical_grad(lambda x: np.sum(x ** 2), np.array([1.0, -3.0])).round(6)
    array([ 2., -6.])
    >>> g = numerical_grad(lambda x, y: x * y.exp(), Value(2.0), Value(0.0))
    >>> [round(v, 6) for v in g]
    [1.0, 2.0]
    """
    what = "numerical_grad"
    if not inputs:
        raise ValueError(f"{what}: needs at least one input")
    kinds = [kind_of(x, what, i) for i, x in enumerate(inputs)]
    arrays = [as_array(x, np.float64, what, i) for i, x in enumerate(inputs)]
    probe = Probe(f, kinds, arrays, what, vectorized)
    out = probe.call()
    f0 = scalar(out, what)
    dtype = out_dtype(out)
    if eps is not None and not float(eps) > 0:
        raise ValueError(f"{what}: eps must be positive, got {eps!r}")
    eps = default_step(dtype, richardson) if eps is None else float(eps)
    machine_epsilon = float(np.finfo(dtype).eps)
    two = two_answers(f0, probe.value(fresh=True), machine_epsilon)
    if two:
        raise ValueError(f"{what}: {two}; finite differences of such an f are meaningless (seed its "
                         "random numbers inside f, or reset its state)")
    grads: list[Any] = []
    for k, x in enumerate(probe.work):
        idx = np.arange(x.size)
        shift = probe.shifter(k)
        g = differences(shift, x, idx, f0, eps, machine_epsilon).central
        if richardson:
            g = (4 * differences(shift, x, idx, f0, eps / 2, machine_epsilon).central - g) / 3
        grads.append(float(g[0]) if kinds[k].scalar else g.reshape(x.shape))
    if probe.changed:
        warnings.warn(f"{what}: {changed_note(probe, input_names(inputs, None, what))}", GradcheckWarning,
                      stacklevel=2)
    return grads[0] if len(grads) == 1 else tuple(grads)
