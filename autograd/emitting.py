"""The code-emitting backend :data:`EMIT`: the op table run on symbols writes numpy code.

Every forward and every derivative of the op table is a function of its backend ``m``
(:mod:`autograd.ops`).  Run on :data:`EMIT`, with :class:`Sym` symbols for the arrays, each
numpy call, operator or method the op's code makes becomes one line of a straight-line
program (:class:`Program`) instead of a number: the generator of :func:`autograd.compile`.
No derivative is written again for it.

A symbol carries the array it stands for at the traced point, so every emitted line is also
evaluated once: shapes, dtypes and the static branches of an op's code (``x.ndim == 1``) come
out right, and the program's results can be checked against the eager engine's.  A line whose
inputs are all constants is computed at once (constant folding, but for constants that may be
arguments: :class:`Sym`): the loss's seed 1.0 times
1/n is one number in the program, not a multiplication.  An op whose code branches on the
*values* of an array (``if x.any()``) or hands an array to Python (``float(x)``) cannot be
emitted: :class:`NotCompilable` names the point.

>>> import numpy as np
>>> from autograd import ops
>>> p = Program()
>>> z = p.input("z", np.array([0.0, 2.0]))
>>> a = ops.SIGMOID.forward(EMIT, z)
>>> (d,) = ops.SIGMOID.derivative(EMIT, a, z)
>>> p.name(d, "s")
>>> print(p.render([d]))
    t1 = 1.0 / (1.0 + np.exp(-z))
    s = t1 * (1.0 - t1)
"""

from __future__ import annotations

import keyword
import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np

from autograd.backends import ArrayMath, MethodMath, basic_index

ACTIVE: ContextVar[Program | None] = ContextVar("chainrule_emitting_program", default=None)
"""The program being written (set by :func:`autograd.lowering.lower`): where a backend
function given no symbol at all (``m.where(condition, 1.0, 0.0)`` of a mask that may be an
argument) writes its line."""


class NotCompilable(TypeError):
    """The traced function, or an op's code, does something a straight-line program cannot
    follow: a branch on an array's values, an array handed to Python, an unknown object."""


_INFIX: dict[str, tuple[Callable[[Any, Any], Any], int]] = {
    "+": (operator.add, 11), "-": (operator.sub, 11), "*": (operator.mul, 12), "/": (operator.truediv, 12),
    "**": (operator.pow, 14), "@": (operator.matmul, 12), "==": (operator.eq, 6), "!=": (operator.ne, 6),
    "<": (operator.lt, 6), "<=": (operator.le, 6), ">": (operator.gt, 6), ">=": (operator.ge, 6),
    "&": (operator.and_, 8), "|": (operator.or_, 7),
}
"""Python's binary operators: how each computes, and its precedence (for parentheses)."""

_ATOM = 20
"""The precedence of a name, a literal, a call, an attribute or an index."""


def _infix(symbol: str, reflected: bool = False) -> Callable[[Sym, Any], Any]:
    """A :class:`Sym` operator: ``x <symbol> other`` (``reflected``: ``other <symbol> x``)."""

    def operator(self: Sym, other: Any) -> Any:
        return self._binary(symbol, other, reflected)

    operator.__name__ = f"infix {symbol}"
    return operator


class Sym:
    """An array of the program: a variable (or a constant) and the value it has at the
    traced point.  numpy's operators, methods and functions applied to it emit lines."""

    __slots__ = ("program", "code", "value", "const", "instr", "pinned")
    __array_priority__ = 1000

    def __init__(self, program: Program, code: str, value: Any, const: bool,
                 instr: Instr | None = None, pinned: bool = False) -> None:
        self.program, self.code, self.value, self.const, self.instr = program, code, value, const, instr
        self.pinned = pinned
        """A constant that may turn out to be an argument (an array the traced graph saved, an
        index): never folded into another constant."""

    # -- what the value says about itself (static facts of the trace) ---------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.value))

    @property
    def ndim(self) -> int:
        return int(np.ndim(self.value))

    @property
    def size(self) -> int:
        return int(np.size(self.value))

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.asarray(self.value).dtype

    @property
    def strides(self) -> tuple[int, ...]:
        """The traced array's strides: its memory order, which an op may choose a product by."""
        return tuple(np.asarray(self.value).strides)

    def __len__(self) -> int:
        return len(self.value)

    def __repr__(self) -> str:
        return f"Sym({self.code}, shape={self.shape}, dtype={self.dtype})"

    # -- what a straight-line program cannot do ---------------------------------------------------
    def _refuse(self, what: str) -> NotCompilable:
        return NotCompilable(f"compile: code branches on, or reads, the values of {self.code} "
                             f"({what}): a straight-line program cannot follow it")

    def __bool__(self) -> bool:
        raise self._refuse("bool()")

    def __float__(self) -> float:
        raise self._refuse("float()")

    def __int__(self) -> int:
        raise self._refuse("int()")

    def __index__(self) -> int:
        raise self._refuse("an index")

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        raise self._refuse("np.asarray()")

    def __hash__(self) -> int:
        return id(self)

    # -- operators: each emits its infix line (numpy's ``@`` is ``np.dot``, as the array backend's) -----
    def _binary(self, symbol: str, other: Any, reflected: bool = False) -> Any:
        args = (other, self) if reflected else (self, other)
        return self.program.infix(symbol, *args)

    __add__, __radd__ = _infix("+"), _infix("+", True)
    __sub__, __rsub__ = _infix("-"), _infix("-", True)
    __mul__, __rmul__ = _infix("*"), _infix("*", True)
    __truediv__, __rtruediv__ = _infix("/"), _infix("/", True)
    __pow__, __rpow__ = _infix("**"), _infix("**", True)
    __and__, __or__ = _infix("&"), _infix("|")
    __eq__, __ne__ = _infix("=="), _infix("!=")
    __lt__, __le__, __gt__, __ge__ = _infix("<"), _infix("<="), _infix(">"), _infix(">=")

    def __matmul__(self, other: Any) -> Any:
        return self.program.call("np.dot", np.dot, (self, other))

    def __rmatmul__(self, other: Any) -> Any:
        return self.program.call("np.dot", np.dot, (other, self))

    def __neg__(self) -> Any:
        return self.program.emit("prefix", "-", (self,), -self.value)

    def __getitem__(self, index: Any) -> Any:
        return self.program.emit("index", "", (self, index), self.value[_values(index)])

    # -- methods ------------------------------------------------------------------------------------
    @property
    def T(self) -> Any:
        return self.program.emit("attr", "T", (self,), self.value.T)

    def _method(self, name: str, *args: Any, **kwargs: Any) -> Any:
        value = getattr(np.asarray(self.value), name)(*_values(args), **_values(kwargs))
        return self.program.emit("method", name, (self, *args), value, kwargs)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Any:
        return self._method("sum", **_given(axis=axis, keepdims=keepdims))

    def mean(self, axis: Any = None, keepdims: bool = False) -> Any:
        return self._method("mean", **_given(axis=axis, keepdims=keepdims))

    def max(self, axis: Any = None, keepdims: bool = False) -> Any:
        return self._method("max", **_given(axis=axis, keepdims=keepdims))

    def min(self, axis: Any = None, keepdims: bool = False) -> Any:
        return self._method("min", **_given(axis=axis, keepdims=keepdims))

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Any:
        return self._method("var", **_given(axis=axis, keepdims=keepdims, ddof=ddof))

    def std(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Any:
        return self._method("std", **_given(axis=axis, keepdims=keepdims, ddof=ddof))

    def prod(self, axis: Any = None, keepdims: bool = False) -> Any:
        return self._method("prod", **_given(axis=axis, keepdims=keepdims))

    def reshape(self, *shape: Any) -> Any:
        return self._method("reshape", *shape)

    def transpose(self, *axes: Any) -> Any:
        if _swaps(self, *axes):
            return self.T
        return self._method("transpose", *axes)

    def astype(self, dtype: Any, copy: bool = True) -> Any:
        if not copy and np.dtype(dtype) == self.dtype:
            return self
        return self._method("astype", np.dtype(dtype))

    def copy(self) -> Any:
        return self._method("copy")

    # -- numpy's protocols: every ufunc and array function emits its call ---------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if "out" in kwargs:
            raise NotCompilable(f"compile: np.{ufunc.__name__}(..., out=) writes into an array in place; "
                                "the program's variables are each written once")
        f = ufunc if method == "__call__" else getattr(ufunc, method)
        name = f"np.{ufunc.__name__}" if method == "__call__" else f"np.{ufunc.__name__}.{method}"
        return self.program.call(name, f, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func is np.transpose and _swaps(self, *args[1:], *kwargs.values()):
            return self.T
        return self.program.call(f"np.{func.__name__}", func, args, kwargs)


def _swaps(x: Sym, *axes: Any) -> bool:
    """Whether transposing ``x`` by ``axes`` swaps the two axes of a matrix (``x.T``)."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list, np.ndarray)):
        axes = tuple(int(a) for a in axes[0])
    return x.ndim == 2 and axes in ((), (None,), (1, 0))


def _given(**kwargs: Any) -> dict[str, Any]:
    """The keyword arguments that differ from a reduction's defaults (shorter lines)."""
    return {k: v for k, v in kwargs.items()
            if v is not None and v is not False and not (k == "ddof" and v == 0)}


def _key(x: Any) -> Any:
    """``x`` as a hashable key for common subexpressions: symbols by identity of their line."""
    if isinstance(x, Sym):
        return ("sym", x.code) if x.const else ("sym", id(x.instr) if x.instr is not None else x.code)
    if isinstance(x, (tuple, list)):
        return (type(x).__name__, *(_key(v) for v in x))
    if isinstance(x, dict):
        return tuple((k, _key(v)) for k, v in x.items())
    if isinstance(x, slice):
        return ("slice", _key(x.start), _key(x.stop), _key(x.step))
    if isinstance(x, np.dtype):
        return ("dtype", x.str)
    if isinstance(x, float) or isinstance(x, np.generic):
        return (type(x).__name__, repr(x))
    return x


def _values(x: Any) -> Any:
    """``x`` with every symbol replaced by its value (nested in tuples, lists and dicts)."""
    if isinstance(x, Sym):
        return x.value
    if isinstance(x, Weak):
        return float(x)  # numpy treats a float subclass as a float64, a plain float as weak
    if isinstance(x, tuple):
        return tuple(_values(v) for v in x)
    if isinstance(x, list):
        return [_values(v) for v in x]
    if isinstance(x, dict):
        return {k: _values(v) for k, v in x.items()}
    return x


def _symbols(x: Any) -> Iterable[Sym]:
    """The symbols inside ``x`` (nested in tuples, lists and dicts)."""
    if isinstance(x, Sym):
        yield x
    elif isinstance(x, (tuple, list)):
        for v in x:
            yield from _symbols(v)
    elif isinstance(x, dict):
        for v in x.values():
            yield from _symbols(v)


class Instr:
    """One line: ``target = <kind fn args>``, and the value it gave at the traced point."""

    __slots__ = ("target", "kind", "fn", "args", "kwargs", "value", "comment")

    def __init__(self, target: str, kind: str, fn: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                 value: Any) -> None:
        self.target, self.kind, self.fn = target, kind, fn
        self.args, self.kwargs, self.value = args, kwargs, value
        self.comment = ""

    def uses(self) -> list[Sym]:
        return [s for s in _symbols((self.args, self.kwargs)) if not s.const]

    def precedence(self) -> int:
        if self.kind == "infix":
            return _INFIX[self.fn][1]
        return 13 if self.kind == "prefix" else _ATOM


_IDENTIFIER = re.compile(r"[^0-9A-Za-z_]+")


def identifier(text: str) -> str:
    """``text`` as a Python name: ``W[1]`` is ``W1``, ``x1 * w1`` is ``x1_w1``; a keyword or a
    name that starts with a digit gets a leading ``v``."""
    name = _IDENTIFIER.sub("_", text.replace("[", "").replace("]", "")).strip("_") or "v"
    return "v" + name if name[0].isdigit() or keyword.iskeyword(name) else name


class Program:
    """A straight-line numpy program being written: its inputs, constants and lines."""

    def __init__(self) -> None:
        self.lines: list[Instr] = []
        self.inputs: list[Sym] = []
        self.constants: dict[str, np.ndarray] = {}
        self._constant_names: dict[Any, str] = {}
        self._lines: dict[tuple[Any, ...], Sym] = {}
        self.aliases: dict[str, str] = {}
        """Constants written as another name (an argument they were found to be)."""
        self._renumbered: dict[str, str] = {}
        self._taken: set[str] = {"np"}
        self._temporaries = 0

    def fresh(self, hint: str) -> str:
        """A new variable name from ``hint`` (made unique by a suffix)."""
        base = identifier(hint)
        name, k = base, 1
        while name in self._taken:
            k += 1
            name = f"{base}_{k}"
        self._taken.add(name)
        return name

    def input(self, name: str, value: Any) -> Sym:
        """An argument of the program."""
        s = Sym(self, self.fresh(name), value, False)
        self.inputs.append(s)
        return s

    def constant(self, value: Any, hint: str = "c", pinned: bool = False) -> Sym:
        """A constant: a number inline, an array by a name of its own (one name per array);
        ``pinned``: one that may turn out to be an argument (see :class:`Sym`)."""
        if not isinstance(value, np.ndarray) or value.ndim == 0 and value.dtype.kind in "fiub":
            return Sym(self, literal(value), value, True)
        # equal numbers are one constant, but an array that may be an argument only itself
        key = (value.dtype.str, value.shape, value.tobytes()) if value.dtype.kind in "fiub" and not pinned \
            else ("pinned", id(value))
        name = self._constant_names.get(key)
        if name is None:
            name = self._constant_names[key] = self.fresh(hint)
            self.constants[name] = value
        return Sym(self, name, value, True, pinned=pinned)

    def release(self) -> None:
        """Forget the traced values (the program's text needs none): a compiled step keeps its
        program, not a copy of every array of the traced call."""
        for instr in self.lines:
            instr.value = None
            for s in _symbols((instr.args, instr.kwargs)):
                if not s.const:
                    s.value = None
        for s in self.inputs:
            s.value = None

    def saved_constant(self, value: np.ndarray) -> Sym:
        """An array the traced graph saved (perhaps an argument's data): a pinned constant."""
        return self.constant(value, "const", pinned=True)

    def name(self, s: Sym, hint: str, comment: str = "") -> None:
        """Give the line that computes ``s`` the name ``hint`` (and a comment), when it is a line."""
        instr = s.instr
        if instr is not None and instr.target.startswith("t") and instr.target[1:].isdigit():
            self._taken.discard(instr.target)
            instr.target = s.code = self.fresh(hint)
        if instr is not None and comment and not instr.comment:
            instr.comment = comment

    def emit(self, kind: str, fn: str, args: tuple[Any, ...], value: Any,
             kwargs: dict[str, Any] | None = None) -> Any:
        """A line computing ``value``; a constant when no argument is a variable (folded)."""
        kwargs = {k: self._arrays(v) for k, v in (kwargs or {}).items()}
        args = self._arrays(args)
        symbols = list(_symbols((args, kwargs)))
        if all(s.const for s in symbols) and not any(s.pinned for s in symbols):
            return self.constant(np.asarray(value) if np.ndim(value) else value)
        key = (kind, fn, _key(args), _key(kwargs))
        seen = self._lines.get(key)
        if seen is not None:  # the same line again (the forward's a - y in the backward): reuse it
            return seen
        self._temporaries += 1
        target = f"t{self._temporaries}"
        self._taken.add(target)
        instr = Instr(target, kind, fn, args, kwargs, value)
        self.lines.append(instr)
        out = self._lines[key] = Sym(self, target, value, False, instr)
        return out

    def _arrays(self, x: Any) -> Any:
        """``x`` with each array in it a named constant (nested in tuples and lists)."""
        if isinstance(x, np.ndarray) and (x.ndim or x.dtype.kind not in "fiub"):
            index = x.dtype.kind in "iub"  # an index or a mask: perhaps an argument (named the same, whatever
            # it holds)
            ones = not index and x.size and bool(np.all(x == 1))
            return self.constant(x, "ones" if ones else "c", pinned=index)
        if isinstance(x, tuple):
            return tuple(self._arrays(v) for v in x)
        if isinstance(x, list):
            return [self._arrays(v) for v in x]
        return x

    def infix(self, symbol: str, x: Any, y: Any) -> Any:
        """``x <symbol> y``.  A constant of one repeated number beside a variable of the
        result's shape is that number (numpy broadcasts it); x * 1 is x itself (exact, NaN
        and -0 included)."""
        x, y = _scalar(x, y), _scalar(y, x)
        if symbol == "*" and _is_one(y) and isinstance(x, Sym) and x.shape == np.shape(x.value * _values(y)):
            return x
        if symbol == "*" and _is_one(x) and isinstance(y, Sym) and y.shape == np.shape(y.value * _values(x)):
            return y
        scaled = _scaled(x) if symbol == "*" and _is_number(y) and isinstance(x, Sym) else None
        if scaled is not None:
            k, inner = scaled  # (k * A) * c is A * (k c), bit for bit: k is a power of two
            return self.infix("*", inner, self.constant(np.multiply(k, _values(y))))
        if symbol == "*" and _is_one(-_values(y) if _is_number(y) else None) and isinstance(x, Sym) \
                and x.shape == np.shape(x.value * _values(y)):
            return -x
        x, y = _weak(x, y), _weak(y, x)
        compute = _INFIX[symbol][0]
        return self.emit("infix", symbol, (x, y), compute(_values(x), _values(y)))

    def call(self, name: str, f: Callable[..., Any], args: Sequence[Any],
             kwargs: dict[str, Any] | None = None) -> Any:
        """``name(*args, **kwargs)``, computed by ``f``."""
        kwargs = dict(kwargs or {})
        return self.emit("call", name, tuple(args), f(*_values(tuple(args)), **_values(kwargs)), kwargs)

    # -- the text ---------------------------------------------------------------------------------------
    def render(self, outputs: Sequence[Sym], indent: str = "    ",
               effects: Sequence[tuple[str, Any]] = (), guard: str = "") -> str:
        """The lines that ``outputs`` need, in order, then the ``effects``: statements such as
        ``("W1 -= {}", delta)`` that write a value into an input in place (an optimizer's
        update), run once every line has read the inputs, after the line ``guard`` (a test
        that may return early).  Temporaries used once are written into the expression that
        uses them."""
        values = [v for _, v in effects if isinstance(v, Sym)]
        live = self.live([*outputs, *values])
        uses: dict[str, int] = {}
        for instr in live:
            for s in instr.uses():
                uses[s.code] = uses.get(s.code, 0) + 1
        for s in outputs:
            uses[s.code] = uses.get(s.code, 0) + 2
        for s in values:
            uses[s.code] = uses.get(s.code, 0) + 1
        inline: dict[str, Instr] = {i.target: i for i in live
                                    if _temporary(i.target) and uses.get(i.target) == 1
                                    and not i.comment}
        kept = [i.target for i in live if _temporary(i.target) and i.target not in inline]
        self._renumbered = {t: f"t{k}" for k, t in enumerate(kept, 1)}
        text = []
        for instr in live:
            if instr.target in inline:
                continue
            target = self._renumbered.get(instr.target, instr.target)
            line = f"{indent}{target} = {_expression(instr, inline)}"
            text.append(line + (f"  # {self._commented(instr.comment)}" if instr.comment else ""))
        if effects and guard:
            text.append(indent + guard)
        text += [indent + statement.format(_operand(v, inline, 0)) for statement, v in effects]
        return "\n".join(text)

    def _commented(self, comment: str) -> str:
        """A comment with the constants that are arguments called by the arguments' names."""
        for name, alias in self.aliases.items():
            comment = re.sub(rf"(?<![\w.]){re.escape(name)}(?![\w])", alias, comment)
        return comment

    def live(self, outputs: Sequence[Sym]) -> list[Instr]:
        """The lines ``outputs`` depend on (dead ones dropped), in program order."""
        by_target = {i.target: i for i in self.lines}
        needed: set[str] = set()
        stack = [s.code for s in outputs if not s.const]
        while stack:
            name = stack.pop()
            if name in needed or name not in by_target:
                continue
            needed.add(name)
            stack.extend(s.code for s in by_target[name].uses())
        return [i for i in self.lines if i.target in needed]


def _scalar(x: Any, other: Any) -> Any:
    """A constant array of one repeated number, beside a variable of at least its shape and
    dtype, as that number (0-d): the same result, by broadcasting."""
    if (isinstance(x, Sym) and x.const and not x.pinned and np.ndim(x.value) and isinstance(other, Sym)
            and not other.const
            and other.dtype == x.dtype and np.broadcast_shapes(other.shape, x.shape) == other.shape):
        v = np.asarray(x.value)
        first = v.reshape(-1)[:1]
        if v.size and np.array_equal(v, np.broadcast_to(first, v.shape)):
            return x.program.constant(first.reshape(()))
    return x


def _weak(x: Any, other: Any) -> Any:
    """A 0-d float constant beside a variable of its dtype as a Python float: numpy casts a
    Python float to the array's dtype, which gives the same numbers and reads better
    (``1.0 - a``, not ``np.float32(1.0) - a``)."""
    if (isinstance(x, Sym) and x.const and not x.pinned and np.ndim(x.value) == 0 and x.dtype.kind == "f"
            and isinstance(other, Sym) and not other.const and other.dtype == x.dtype):
        return Weak(x.value)
    return x


class Weak(float):
    """A Python float that came from a number of a numpy float dtype, written as that dtype's
    shortest text (float32's 0.0025, not 0.0024999999441206455): numpy casts it back to the
    same number."""

    text: str

    def __new__(cls, value: Any) -> Weak:
        out = super().__new__(cls, float(value))
        out.text = str(np.asarray(value)[()])
        return out


def _temporary(name: str) -> bool:
    return name.startswith("t") and name[1:].isdigit()


def _scaled(x: Sym) -> tuple[float, Sym] | None:
    """(k, A) when ``x`` is a line ``k * A``, k a power of two: a product by k is exact, so a
    constant factor after it folds into k (the line stays for any other use; dead, it is dropped)."""
    instr = x.instr
    if instr is None or instr.kind != "infix" or instr.fn != "*" or not isinstance(instr.args[1], Sym):
        return None
    k = instr.args[0]
    if not isinstance(k, float) or isinstance(k, Weak) or not k > 0 or math.frexp(k)[0] != 0.5:
        return None
    return k, instr.args[1]


def _is_number(x: Any) -> bool:
    """A Python or numpy number, or a 0-d constant symbol (not a variable, nor perhaps an argument)."""
    if isinstance(x, Sym):
        return x.const and not x.pinned and np.ndim(x.value) == 0
    return isinstance(x, (float, int, np.floating)) and not isinstance(x, bool)


def _is_one(x: Any) -> bool:
    if isinstance(x, Sym):
        return x.const and not x.pinned and np.ndim(x.value) == 0 and bool(x.value == 1.0)
    return isinstance(x, (float, int, np.floating)) and not isinstance(x, bool) and x == 1.0


def _operand(x: Any, inline: dict[str, Instr], parent: int, right: bool = False) -> str:
    """An argument as text: a variable, a constant, a literal, or a line written inline
    (in parentheses when its operator binds less tightly than ``parent``)."""
    if isinstance(x, Sym):
        instr = inline.get(x.code)
        if instr is None:
            names = x.program.aliases if x.const else x.program._renumbered
            return names.get(x.code, x.code)
        text = _expression(instr, inline)
        p = instr.precedence()
        return f"({text})" if p < parent or (right and p == parent and p < _ATOM) else text
    if isinstance(x, tuple):
        inner = ", ".join(_operand(v, inline, 0) for v in x)
        return f"({inner},)" if len(x) == 1 else f"({inner})"
    if isinstance(x, list):
        return "[" + ", ".join(_operand(v, inline, 0) for v in x) + "]"
    return literal(x)


def _expression(instr: Instr, inline: dict[str, Instr]) -> str:
    args, kind = instr.args, instr.kind
    if kind == "infix":
        p = _INFIX[instr.fn][1]
        return f"{_operand(args[0], inline, p)} {instr.fn} {_operand(args[1], inline, p, right=True)}"
    if kind == "prefix":
        return f"-{_operand(args[0], inline, 13)}"
    if kind == "attr":
        return f"{_operand(args[0], inline, _ATOM)}.{instr.fn}"
    if kind == "index":
        index = args[1] if isinstance(args[1], tuple) else (args[1],)
        return f"{_operand(args[0], inline, _ATOM)}[{', '.join(_index(v, inline) for v in index)}]"
    rest = [_operand(v, inline, 0) for v in (args[1:] if kind == "method" else args)]
    rest += [f"{k}={_operand(v, inline, 0)}" for k, v in instr.kwargs.items()]
    head = f"{_operand(args[0], inline, _ATOM)}.{instr.fn}" if kind == "method" else instr.fn
    return f"{head}({', '.join(rest)})"


def _index(x: Any, inline: dict[str, Instr]) -> str:
    if isinstance(x, slice):
        parts = ["" if v is None else _operand(v, inline, 0) for v in (x.start, x.stop, x.step)]
        return ":".join(parts[:2]) + (f":{parts[2]}" if x.step is not None else "")
    if x is Ellipsis:
        return "..."
    return _operand(x, inline, 0)


def literal(x: Any) -> str:
    """A constant as Python text that gives it back: ``0.5``, ``np.float32(0.025)``, ``(0, 1)``,
    ``np.float32`` for a dtype (arrays are named constants, see :meth:`Program.constant`)."""
    if isinstance(x, np.ndarray):
        x = x[()]
    if isinstance(x, Weak):
        return x.text if math.isfinite(x) else literal(float(x))
    if isinstance(x, float) and not math.isfinite(x):
        return "math.nan" if x != x else ("math.inf" if x > 0 else "-math.inf")
    if isinstance(x, (bool, int, float, str)) or x is None:
        return repr(x)
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        return f"np.{x.dtype.name}({literal(x.item())})"
    if isinstance(x, np.dtype):
        return f"np.{x.name}"
    if isinstance(x, type) and issubclass(x, np.generic):
        return f"np.{x.__name__}"
    if isinstance(x, tuple):
        inner = ", ".join(literal(v) for v in x)
        return f"({inner},)" if len(x) == 1 else f"({inner})"
    if isinstance(x, slice):
        return f"slice({literal(x.start)}, {literal(x.stop)}, {literal(x.step)})"
    if x is Ellipsis:
        return "..."
    raise NotCompilable(f"compile: cannot write a constant of type {type(x).__name__} into the program")


class EmitMath(MethodMath, ArrayMath):
    """The array backend's functions on :class:`Sym` symbols.  Most of
    :class:`~autograd.backends.ArrayMath` is numpy calls and methods, which symbols emit
    themselves; the few written with in-place writes, errstate or ``np.asarray`` are
    written here as the one numpy expression each computes."""

    @staticmethod
    def sigmoid(x: Any) -> Any:
        """1 / (1 + e**-x), as numpy written by hand: where e**-x overflows (x < -88.7 in
        float32) the result is 0, the right limit, with numpy's overflow warning, which the
        eager engine silences (an ``errstate`` costs a microsecond a call, a tenth of a batch-1 step's
        elementwise work)."""
        return 1.0 / (1.0 + np.exp(-x))

    @staticmethod
    def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
        """x broadcast to ``shape`` (a read-only view: the program never writes into it)."""
        if isinstance(x, Sym) and x.shape == tuple(shape):
            return x
        return x.program.call("np.broadcast_to", np.broadcast_to, (x, tuple(shape)))

    @staticmethod
    def sum_rows(x: Any) -> Any:
        """Σ over the rows of a 2-D x: ``ones @ x`` (the array backend's BLAS product), or for
        one row the row itself (1 · x is x exactly, and a view costs no product)."""
        return x.reshape(x.shape[1:]) if len(x) == 1 else ArrayMath.sum_rows(x)

    @staticmethod
    def scatter_add(like: Any, index: Any, x: Any) -> Any:
        """Zeros of ``like``'s shape and dtype with x added at ``index``: one call of the
        program's helper ``scatter_add`` (fresh zeros at every call)."""
        value = ArrayMath.scatter_add(np.asarray(_values(like)), _values(index), x.value)
        repeats = not basic_index(_values(index))
        return x.program.call("scatter_add", lambda *_: value, (like.shape, like.dtype, index, x, repeats))

    @staticmethod
    def where(condition: Any, x: Any, y: Any) -> Any:
        """x where ``condition`` holds, else y; a condition array (an op's, perhaps an
        argument's mask) is a pinned constant of the program."""
        program = next((v.program for v in (condition, x, y) if isinstance(v, Sym)), ACTIVE.get())
        if program is None:
            return np.where(condition, x, y)
        if isinstance(condition, np.ndarray):
            condition = program.constant(condition, "mask", pinned=True)
        return program.call("np.where", np.where, (condition, x, y))

    @staticmethod
    def power(x: Any, y: Any) -> Any:
        """x**y elementwise by C's ``pow``, as :meth:`ArrayMath.power` computes it (elementwise on
        arrays of the full shape, so numpy takes none of its fast paths)."""
        shape = np.broadcast_shapes(np.shape(_values(x)), np.shape(_values(y)))
        if np.shape(_values(y)) == shape and len(shape):
            return np.power(x, y)
        flat = [np.broadcast_to(v, shape).reshape(-1) for v in (x, y)]
        return np.power(*flat).reshape(shape)

    @staticmethod
    def pow(x: Any, c: float) -> Any:
        """x**c for a constant c; x**2 as x * x (the array backend's choice)."""
        return x * x if c == 2.0 else np.power(x, c)


EMIT = EmitMath()
"""The code-emitting backend (see the module)."""
