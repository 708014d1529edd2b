"""The op table: every primitive operation, defined once.

An elementwise op is a forward formula and its local derivatives, written with
arithmetic and the few functions of a *backend* ``m`` (:mod:`autograd.backends`):
``SCALAR``, Python floats, for ``Value``; ``ARRAY``, numpy arrays, for ``Tensor``.

The engine multiplies the upstream gradient ``grad_out`` by each local derivative
(and, for arrays, sums the product back to the input's shape), so no elementwise
derivative is ever written twice.  Structural ops (``matmul``, reductions, shape
ops) only exist for arrays and give their vector-Jacobian product ``vjp``, written
against the backend too (``m.matmul``, ``m.reshape``, ``m.sum``, ...).

Every derivative is therefore a function of its backend.  Run on numbers it is the
first-order pass; run on :data:`autograd.recorded.NODES`, whose numbers are the graph's
own nodes, it records the derivative as a graph, differentiable again
(``backward(create_graph=True)``, :func:`autograd.grad` nested, Hessians); the same
local derivatives pushed forward, tangent = Σ local · input tangent, are forward mode
(:func:`autograd.jvp`).

Both backends follow IEEE 754 as numpy does, so NaN in gives NaN out, forward and in
every local derivative, and the two engines agree bit for bit on every op but those through
tanh, exp, log, log1p and expm1, which agree to the last bit or two (see :mod:`autograd.backends`).

Contents: the :class:`Op` base; elementwise ops, each registered in :data:`UNARY` or :data:`BINARY`
(:func:`register`), and the parametrised :class:`PowConst`, :class:`Clip`, :class:`LeakyRelu`,
:class:`Elu` and :class:`Where`; the products ``MATMUL`` and ``LINEAR``.  Reductions and
shape ops are in :mod:`autograd.structural`.

At a kink an op's derivative is PyTorch's (relu: 0, abs: 0, leaky_relu: slope, elu:
alpha; maximum and minimum split a tie evenly), except that NaN in gives NaN out.

>>> TANH.forward(SCALAR, 0.5)
0.46211715726000974
>>> TANH.derivative(SCALAR, TANH.forward(SCALAR, 0.5), 0.5)
(0.7864477329659274,)
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar, TypeVar

import numpy as np

from autograd.backends import ARRAY as ARRAY  # ops.ARRAY and ops.SCALAR: the backends beside the ops
from autograd.backends import SCALAR as SCALAR
from autograd.backends import Num, column_major, swap_last
from autograd.backends import dot as dot

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

class Op:
    """One primitive.  Elementwise ops define ``forward`` and ``derivative``;
    structural ops set ``elementwise = False`` and define ``vjp``.

    ``symbol`` labels the op in pictures; ``formula`` is its forward formula in
    the inputs ``x``, ``y``; ``partials`` gives each local derivative as text,
    for traces.
    """

    name: ClassVar[str] = "op"
    elementwise: ClassVar[bool] = True
    arity: int = 1
    """How many inputs the op takes (``-1``: any number)."""
    input_names: tuple[str, ...] = ()
    """The inputs' names, as ``formula`` and ``partials`` use them; traces, pictures and
    gradient checks name the inputs by them (default: see :meth:`input_name`)."""
    linear: ClassVar[bool] = False
    """Whether the op is linear in its inputs taken together (sum, reshape, indexing,
    concatenation): forward mode then applies the op itself to the tangents."""
    symbol: str = "op"
    """The short label drawn in an op node."""
    formula: str = ""
    partials: tuple[str, ...] = ()
    tangents: tuple[str, ...] = ()
    """A structural op's forward-mode terms as text, one per input, in the inputs' names with
    a dot for a tangent (matmul: ``ẋ @ y``, ``x @ ẏ``): what the forward trace shows (the
    numbers come from the transposed ``vjp``); empty: the trace names the transposed vjp."""

    def input_name(self, i: int) -> str:
        """Input ``i``'s name: from ``input_names``, else x (one input), x and y (two),
        x₀, x₁, … (any number).

        >>> from autograd.structural import Concatenate
        >>> LINEAR.input_name(1), ADD.input_name(1), Concatenate(0).input_name(2)
        ('W', 'y', 'x₂')
        """
        if i < len(self.input_names):
            return self.input_names[i]
        if self.arity in (1, 2):
            return "xy"[i]
        return "x" + str(i).translate(_SUBSCRIPTS)

    def forward(self, m: Any, *xs: Num) -> Num:
        """The op's value at ``xs``."""
        raise NotImplementedError(f"{self.name}: no forward")

    def differentiated(self, m: Any, at: tuple[Num, ...], *xs: Num) -> Num:
        """What ``vjp`` differentiates near ``at``: the forward, any part held constant frozen at ``at``."""
        return self.forward(m, *xs)

    def derivative(self, m: Any, out: Num, *xs: Num) -> tuple[Num, ...]:
        """Local derivatives ``∂out/∂x_i``, elementwise, one per input."""
        raise NotImplementedError(f"{self.name}: not an elementwise op")

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        """Vector-Jacobian products ``grad_out · ∂out/∂x_i`` (``None`` where not needed),
        written with arithmetic and the functions of the backend ``m`` (``m.matmul``,
        ``m.reshape``, ``m.sum``, ...: see :class:`~autograd.backends.ArrayMath`), so
        that on the recording backend they are differentiable again."""
        raise NotImplementedError(f"{self.name}: not a structural op")

    def __repr__(self) -> str:
        return self.symbol


# --- elementwise ops -------------------------------------------------------------

UNARY: dict[str, Op] = {}
"""The one-input elementwise ops by name.  Each is a method of ``Value`` and ``Tensor`` of
the same name (``neg`` is unary minus), a row of the op tests, and nothing else: adding an
op is its class here, one :func:`register` line, its method and a test row."""
BINARY: dict[str, Op] = {}
"""The two-input elementwise ops by name (operators or methods of both engines)."""

OpT = TypeVar("OpT", bound=Op)


def register(op: OpT) -> OpT:
    """Enter the elementwise ``op`` in :data:`UNARY` or :data:`BINARY` by its arity; returns it."""
    table = UNARY if op.arity == 1 else BINARY
    if not op.elementwise or op.arity not in (1, 2) or op.name in table:
        raise ValueError(f"register: {op.name}: needs a new elementwise op of one or two inputs")
    table[op.name] = op
    return op


class Add(Op):
    """x + y;  ∂/∂x = 1, ∂/∂y = 1

    >>> ADD.forward(SCALAR, 2.0, 3.0), ADD.derivative(SCALAR, 5.0, 2.0, 3.0)
    (5.0, (1.0, 1.0))
    """

    name, partials, formula = "add", ("1", "1"), "x + y"
    symbol, arity = "+", 2

    def forward(self, m: Any, x: Num, y: Num) -> Num:
        return x + y

    def derivative(self, m: Any, out: Num, x: Num, y: Num) -> tuple[Num, ...]:
        return (1.0, 1.0)


ADD = register(Add())


class Mul(Op):
    """x * y;  ∂/∂x = y, ∂/∂y = x

    >>> MUL.forward(SCALAR, 2.0, 3.0), MUL.derivative(SCALAR, 6.0, 2.0, 3.0)
    (6.0, (3.0, 2.0))
    """

    name, partials, formula = "mul", ("y", "x"), "x * y"
    symbol, arity = "*", 2

    def forward(self, m: Any, x: Num, y: Num) -> Num:
        return x * y

    def derivative(self, m: Any, out: Num, x: Num, y: Num) -> tuple[Num, ...]:
        return (y, x)


MUL = register(Mul())


class Neg(Op):
    """-x;  d/dx = -1

    >>> NEG.forward(SCALAR, 2.0), NEG.derivative(SCALAR, -2.0, 2.0)
    (-2.0, (-1.0,))
    """

    name, partials, formula = "neg", ("-1",), "-x"
    symbol = "neg"

    def forward(self, m: Any, x: Num) -> Num:
        return -x

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (-1.0,)


NEG = register(Neg())


class PowConst(Op):
    """x ** c for a constant number c;  d/dx = c * x**(c - 1)

    >>> PowConst(3).forward(SCALAR, 2.0), PowConst(3).derivative(SCALAR, 8.0, 2.0)
    (8.0, (12.0,))
    """

    name = "pow"

    def __init__(self, c: float) -> None:
        self.c = c
        self.partials = (f"{c:g} * x**{c - 1:g}",)
        self.formula = f"x**{c:g}"
        self.symbol = f"**{c:g}"

    def forward(self, m: Any, x: Num) -> Num:
        return m.pow(x, self.c)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        c = self.c
        if c == 2:
            return (x + x,)  # 2x exactly, as 2.0 * x, without numpy's slower path for a Python float
        if c == 0:
            return (0.0,)
        return (c * m.pow(x, c - 1),)


@functools.lru_cache(maxsize=64)
def pow_const(c: float) -> PowConst:
    """The (shared) op ``x ** c``."""
    return PowConst(c)


class Pow(Op):
    """x ** y with both inputs variable;  ∂/∂x = y * x**(y - 1), ∂/∂y = log(x) * x**y

    At x = 0, as PyTorch: ∂/∂x = 0 where y = 0, and ∂/∂y = 0 where y >= 0 (0**y is
    constant in y there).  A negative x with a non-integer y gives NaN, as numpy.

    >>> POW.forward(SCALAR, 2.0, 3.0), POW.derivative(SCALAR, 8.0, 2.0, 3.0)
    (8.0, (12.0, 5.545177444479562))
    >>> POW.derivative(SCALAR, 0.0, 0.0, 2.0), POW.derivative(SCALAR, 1.0, 0.0, 0.0)
    ((0.0, 0.0), (0.0, 0.0))
    """

    name, partials, formula = "pow", ("y * x**(y - 1)", "log(x) * x**y"), "x**y"
    symbol, arity = "**", 2

    def forward(self, m: Any, x: Num, y: Num) -> Num:
        return m.power(x, y)

    def derivative(self, m: Any, out: Num, x: Num, y: Num) -> tuple[Num, ...]:
        # y * x**(y - 1) is 0 at x = y = 0, where x**-1 is infinite; only there, so that its
        # derivative in y stays x**(y - 1) (1 / x at y = 0)
        base = m.where((y == 0) & (x == 0), 1.0, x)
        safe = m.where((x == 0) & (y >= 0), 1.0, x)  # log(1) * out = 0 there
        return (y * m.power(base, y - 1), m.log(safe) * out)


POW = register(Pow())


class Div(Op):
    """x / y;  ∂/∂x = 1 / y, ∂/∂y = -x / y² (computed as -out / y)

    A primitive, not ``x * y**-1``: the quotient is the correctly rounded ``x / y``, and
    neither it nor ``-out / y`` overflows through a reciprocal or a square where the
    result does not (float32 at x = y = 1e-20: -1e20, where -x / y² is -inf).

    >>> DIV.forward(SCALAR, 3.0, 2.0), DIV.derivative(SCALAR, 1.5, 3.0, 2.0)
    (1.5, (0.5, -0.75))
    """

    name, partials, formula = "div", ("1 / y", "-x / y²"), "x / y"
    symbol, arity = "/", 2

    def forward(self, m: Any, x: Num, y: Num) -> Num:
        return x / y

    def derivative(self, m: Any, out: Num, x: Num, y: Num) -> tuple[Num, ...]:
        return (1.0 / y, -out / y)


DIV = register(Div())


class Exp(Op):
    """e**x;  d/dx = e**x

    >>> EXP.forward(SCALAR, 0.0), EXP.derivative(SCALAR, 1.0, 0.0)
    (1.0, (1.0,))
    """

    name, partials, formula = "exp", ("exp(x)",), "exp(x)"
    symbol = "exp"

    def forward(self, m: Any, x: Num) -> Num:
        return m.exp(x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (out,)


EXP = register(Exp())


class Log(Op):
    """log(x) (natural);  d/dx = 1 / x

    >>> LOG.forward(SCALAR, 1.0), LOG.derivative(SCALAR, 0.0, 4.0)
    (0.0, (0.25,))
    """

    name, partials, formula = "log", ("1 / x",), "log(x)"
    symbol = "log"

    def forward(self, m: Any, x: Num) -> Num:
        return m.log(x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (1.0 / x,)


LOG = register(Log())


class Tanh(Op):
    """tanh(x);  d/dx = 1 - tanh(x)**2

    >>> TANH.forward(SCALAR, 0.0), TANH.derivative(SCALAR, 0.0, 0.0)
    (0.0, (1.0,))
    """

    name, partials, formula = "tanh", ("1 - tanh(x)²",), "tanh(x)"
    symbol = "tanh"

    def forward(self, m: Any, x: Num) -> Num:
        return m.tanh(x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (1.0 - out * out,)


TANH = register(Tanh())


class Sin(Op):
    """sin(x);  d/dx = cos(x)

    >>> SIN.forward(SCALAR, 0.0), SIN.derivative(SCALAR, 0.0, 0.0)
    (0.0, (1.0,))
    """

    name, partials, formula = "sin", ("cos(x)",), "sin(x)"
    symbol = "sin"

    def forward(self, m: Any, x: Num) -> Num:
        return m.sin(x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (m.cos(x),)


SIN = register(Sin())


class Cos(Op):
    """cos(x);  d/dx = -sin(x)

    >>> COS.forward(SCALAR, 0.0), COS.derivative(SCALAR, 1.0, 0.0)
    (1.0, (-0.0,))
    """

    name, partials, formula = "cos", ("-sin(x)",), "cos(x)"
    symbol = "cos"

    def forward(self, m: Any, x: Num) -> Num:
        return m.cos(x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (-m.sin(x),)


COS = register(Cos())


class Sigmoid(Op):
    """σ(x) = 1 / (1 + e**-x);  d/dx = σ(x) * (1 - σ(x))

    >>> SIGMOID.forward(SCALAR, 0.0), SIGMOID.derivative(SCALAR, 0.5, 0.0)
    (0.5, (0.25,))
    """

    name, partials, formula = "sigmoid", ("σ(x) * (1 - σ(x))",), "σ(x)"
    symbol = "sigmoid"

    def forward(self, m: Any, x: Num) -> Num:
        return m.sigmoid(x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (out * (1.0 - out),)


SIGMOID = register(Sigmoid())


class Relu(Op):
    """max(x, 0);  d/dx = 1[x > 0] (0 at the kink x = 0)

    >>> RELU.forward(SCALAR, -2.0), RELU.derivative(SCALAR, 3.0, 3.0)
    (0.0, (1.0,))
    """

    name, partials, formula = "relu", ("1[x > 0]",), "relu(x)"
    symbol = "relu"

    def forward(self, m: Any, x: Num) -> Num:
        return m.relu(x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (m.step(x),)


RELU = register(Relu())


class Sqrt(Op):
    """sqrt(x);  d/dx = 1 / (2 sqrt(x))

    >>> SQRT.forward(SCALAR, 4.0), SQRT.derivative(SCALAR, 2.0, 4.0)
    (2.0, (0.25,))
    """

    name, partials, formula = "sqrt", ("1 / (2 sqrt(x))",), "sqrt(x)"
    symbol = "sqrt"

    def forward(self, m: Any, x: Num) -> Num:
        return m.sqrt(x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (0.5 / out,)


SQRT = register(Sqrt())


class Abs(Op):
    """|x|;  d/dx = sign(x) (0 at the kink x = 0)

    >>> ABS.forward(SCALAR, -2.0), ABS.derivative(SCALAR, 2.0, -2.0)
    (2.0, (-1.0,))
    """

    name, partials, formula = "abs", ("sign(x)",), "|x|"
    symbol = "abs"

    def forward(self, m: Any, x: Num) -> Num:
        return m.abs(x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (m.sign(x),)


ABS = register(Abs())


class Maximum(Op):
    """max(x, y);  ∂/∂x = 1[x > y], ∂/∂y = 1[y > x] (a tie gives each 1/2)

    >>> MAXIMUM.forward(SCALAR, 2.0, 3.0), MAXIMUM.derivative(SCALAR, 3.0, 2.0, 3.0)
    (3.0, (0.0, 1.0))
    """

    name, partials, formula, arity = "maximum", ("1[x > y]", "1[y > x]"), "max(x, y)", 2
    symbol = "maximum"

    def forward(self, m: Any, x: Num, y: Num) -> Num:
        return m.maximum(x, y)

    def derivative(self, m: Any, out: Num, x: Num, y: Num) -> tuple[Num, ...]:
        return (m.half_step(x - y), m.half_step(y - x))


MAXIMUM = register(Maximum())


class Clip(Op):
    """x limited to [lo, hi];  d/dx = 1[lo <= x <= hi]

    >>> Clip(0.0, 1.0).forward(SCALAR, 2.0), Clip(0.0, 1.0).derivative(SCALAR, 0.5, 0.5)
    (1.0, (1.0,))
    """

    name = "clip"

    def __init__(self, lo: float, hi: float) -> None:
        if not lo <= hi:
            raise ValueError(f"clip: lower bound {lo!r} is above upper bound {hi!r}")
        self.lo, self.hi = lo, hi
        self.partials = (f"1[{lo:g} <= x <= {hi:g}]",)
        self.formula = f"clip(x, {lo:g}, {hi:g})"
        self.symbol = "clip"

    def forward(self, m: Any, x: Num) -> Num:
        return m.clip(x, self.lo, self.hi)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (m.inside(x, self.lo, self.hi),)


class Minimum(Op):
    """min(x, y);  ∂/∂x = 1[x < y], ∂/∂y = 1[y < x] (a tie gives each 1/2, as PyTorch)

    >>> MINIMUM.forward(SCALAR, 2.0, 3.0), MINIMUM.derivative(SCALAR, 2.0, 2.0, 3.0)
    (2.0, (1.0, 0.0))
    """

    name, partials, formula, arity = "minimum", ("1[x < y]", "1[y < x]"), "min(x, y)", 2
    symbol = "minimum"

    def forward(self, m: Any, x: Num, y: Num) -> Num:
        return m.minimum(x, y)

    def derivative(self, m: Any, out: Num, x: Num, y: Num) -> tuple[Num, ...]:
        return (m.half_step(y - x), m.half_step(x - y))


MINIMUM = register(Minimum())


class Log1p(Op):
    """log(1 + x), exact for tiny x;  d/dx = 1 / (1 + x)

    >>> LOG1P.forward(SCALAR, 1e-20), LOG1P.derivative(SCALAR, 0.0, 1.0)
    (1e-20, (0.5,))
    """

    name, partials, formula = "log1p", ("1 / (1 + x)",), "log(1 + x)"
    symbol = "log1p"

    def forward(self, m: Any, x: Num) -> Num:
        return m.log1p(x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (1.0 / (1.0 + x),)


LOG1P = register(Log1p())


class Expm1(Op):
    """e**x - 1, exact for tiny x;  d/dx = exp(x)

    PyTorch's gradient is out + 1, which keeps only 4 digits of e**x at x = -30.

    >>> EXPM1.forward(SCALAR, 1e-20), EXPM1.derivative(SCALAR, 0.0, 0.0)
    (1e-20, (1.0,))
    """

    name, partials, formula = "expm1", ("exp(x)",), "e**x - 1"
    symbol = "expm1"

    def forward(self, m: Any, x: Num) -> Num:
        return m.expm1(x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (m.exp(x),)


EXPM1 = register(Expm1())


class Softplus(Op):
    """log(1 + e**x), computed as relu(x) + log1p(e**-|x|);  d/dx = σ(x)

    Never overflows, and is accurate everywhere: PyTorch returns x itself above x = 20
    (its ``threshold``), 2e-9 off there; its gradient there is 1, ours σ(x) (1 - 2e-9).

    >>> SOFTPLUS.forward(SCALAR, 0.0), SOFTPLUS.derivative(SCALAR, 0.6931471805599453, 0.0)
    (0.6931471805599453, (0.5,))
    """

    name, partials, formula = "softplus", ("σ(x)",), "log(1 + e**x)"
    symbol = "softplus"

    def forward(self, m: Any, x: Num) -> Num:
        return m.relu(x) + m.log1p(m.exp(-m.abs(x)))

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (m.sigmoid(x),)


SOFTPLUS = register(Softplus())


class Silu(Op):
    """x σ(x) (SiLU, swish);  d/dx = σ(x) * (1 + x * (1 - σ(x)))

    >>> SILU.forward(SCALAR, 0.0), SILU.derivative(SCALAR, 0.0, 0.0)
    (0.0, (0.5,))
    """

    name, partials, formula = "silu", ("σ(x) * (1 + x * (1 - σ(x)))",), "x σ(x)"
    symbol = "silu"

    def forward(self, m: Any, x: Num) -> Num:
        return x * m.sigmoid(x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        s = m.sigmoid(x)
        return (s * (1.0 + x * (1.0 - s)),)


SILU = register(Silu())

_GELU_C, _GELU_A = 0.7978845608028654, 0.044715
"""sqrt(2/π) and the cubic coefficient of GELU's tanh approximation (Hendrycks & Gimpel)."""


class GeluTanh(Op):
    """x/2 * (1 + tanh(z)), GELU's tanh approximation;  d/dx = (1 + tanh(z)) / 2
    + x / 2 * (1 - tanh(z)²) * sqrt(2/π) * (1 + 0.134145 x²), z = sqrt(2/π) * (x + 0.044715 x³)

    PyTorch's ``gelu(x, approximate="tanh")``, formula for formula (the exact GELU,
    x Φ(x), is a different function).

    >>> GELU_TANH.forward(SCALAR, 0.0), GELU_TANH.derivative(SCALAR, 0.0, 0.0)
    (0.0, (0.5,))
    """

    name, formula, symbol = "gelu_tanh", "x/2 * (1 + tanh(z))", "gelu_tanh"
    partials = ("(1 + tanh(z)) / 2 + x / 2 * (1 - tanh(z)²) * sqrt(2/π) * (1 + 0.134145 x²), "
                "z = sqrt(2/π) * (x + 0.044715 x³)",)

    def forward(self, m: Any, x: Num) -> Num:
        return 0.5 * x * (1.0 + m.tanh(_GELU_C * (x + _GELU_A * (x * x * x))))

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        t = m.tanh(_GELU_C * (x + _GELU_A * (x * x * x)))
        return (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _GELU_C * (1.0 + 3.0 * _GELU_A * (x * x)),)


GELU_TANH = register(GeluTanh())


class LeakyRelu(Op):
    """x for x > 0, slope * x otherwise;  d/dx = 1[x > 0] + slope 1[x <= 0]
    (slope at the kink x = 0, as PyTorch)

    >>> LeakyRelu(0.1).forward(SCALAR, -2.0), LeakyRelu(0.1).derivative(SCALAR, -0.2, -2.0)
    (-0.2, (0.1,))
    """

    name = "leaky_relu"

    def __init__(self, slope: float) -> None:
        self.slope = slope
        self.partials = (f"1[x > 0] + {slope:g} * 1[x <= 0]",)
        self.formula = f"leaky_relu(x, {slope:g})"
        self.symbol = "leaky_relu"

    def forward(self, m: Any, x: Num) -> Num:
        return m.where(x > 0, x, self.slope * x)

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (m.leaky_step(x, self.slope),)


class Elu(Op):
    """x for x > 0, alpha (e**x - 1) otherwise;  d/dx = 1[x > 0] + alpha e**x 1[x <= 0]
    (alpha at the kink x = 0, as PyTorch)

    >>> Elu(1.0).forward(SCALAR, 0.0), Elu(2.0).derivative(SCALAR, 0.0, 0.0)
    (0.0, (2.0,))
    """

    name = "elu"

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self.partials = (f"1[x > 0] + {alpha:g} * exp(x) * 1[x <= 0]",)
        self.formula = f"elu(x, {alpha:g})"
        self.symbol = "elu"

    def forward(self, m: Any, x: Num) -> Num:
        negative = m.where(x > 0, 0.0, x)  # e**x of the branch not taken must not overflow
        return m.where(x > 0, x, self.alpha * m.expm1(negative))

    def derivative(self, m: Any, out: Num, x: Num) -> tuple[Num, ...]:
        return (m.where(x > 0, 1.0, self.alpha * m.exp(m.where(x > 0, 0.0, x))),)


class Where(Op):
    """x where ``condition`` holds, y elsewhere;  ∂/∂x = 1[condition], ∂/∂y = 1[not condition]

    ``condition`` is a bool (``Value``) or a boolean array broadcast with x and y
    (``Tensor``); it is part of the op, not an input, and takes no gradient.  The engine
    multiplies each local derivative by ``grad_out``, so an infinite or NaN upstream
    gradient gives NaN to the input not chosen (PyTorch gives it 0).

    >>> Where(True).forward(SCALAR, 2.0, 3.0), Where(True).derivative(SCALAR, 2.0, 2.0, 3.0)
    (2.0, (1.0, 0.0))
    """

    name, formula, symbol, arity = "where", "where(condition, x, y)", "where", 2
    partials = ("1[condition]", "1[not condition]")

    def __init__(self, condition: Any) -> None:
        self.condition = condition

    def forward(self, m: Any, x: Num, y: Num) -> Num:
        return m.where(self.condition, x, y)

    def derivative(self, m: Any, out: Num, x: Num, y: Num) -> tuple[Num, ...]:
        c = self.condition
        return (m.where(c, 1.0, 0.0), m.where(c, 0.0, 1.0))


# --- structural ops (arrays only) -------------------------------------------------


class MatMul(Op):
    """x @ y as numpy does it (1-D, 2-D, batched);  ∂/∂x = grad_out @ yᵀ, ∂/∂y = xᵀ @ grad_out

    A 1-D input is treated as a row (left) or column (right) and the added axis removed again;
    batch axes that were broadcast are summed by the engine.  A y stored by columns (``W.T``)
    gets (gᵀ x)ᵀ, in its own order: W's gradient then needs no transposing copy.
    """

    name, elementwise, formula = "matmul", False, "x @ y"
    symbol, arity = "@", 2
    partials = ("grad_out @ yᵀ", "xᵀ @ grad_out")
    tangents = ("ẋ @ y", "x @ ẏ")

    def forward(self, m: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        try:
            return dot(x, y)
        except ValueError:
            if not x.ndim or not y.ndim:
                raise ValueError(f"matmul: {x.shape} @ {y.shape}: both operands need at least one "
                                 "dimension") from None
            inner_y = y.shape[0] if y.ndim == 1 else y.shape[-2]
            if x.shape[-1] != inner_y:
                raise ValueError(f"matmul: {x.shape} @ {y.shape}: inner dimensions {x.shape[-1]} and "
                                 f"{inner_y} differ") from None
            raise ValueError(f"matmul: {x.shape} @ {y.shape}: batch dimensions do not broadcast") from None

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        x, y = xs
        if x.ndim == 1 and y.ndim == 1:
            return (grad_out * y if needs[0] else None, grad_out * x if needs[1] else None)
        x2 = m.reshape(x, (1, *x.shape)) if x.ndim == 1 else x
        y2 = m.reshape(y, (*y.shape, 1)) if y.ndim == 1 else y
        g = grad_out
        if x.ndim == 1:
            g = m.reshape(g, (*g.shape[:-1], 1, g.shape[-1]))
        elif y.ndim == 1:
            g = m.reshape(g, (*g.shape, 1))
        gx = m.matmul(g, m.transpose(y2, swap_last(y2.ndim))) if needs[0] else None
        gy = None if not needs[1] else m.transpose(m.matmul(m.transpose(g), x2)) \
            if x2.ndim == 2 and column_major(m.value(y)) else m.matmul(m.transpose(x2, swap_last(x2.ndim)), g)
        if x.ndim == 1 and gx is not None:
            gx = m.reshape(gx, (*gx.shape[:-2], gx.shape[-1]))
        if y.ndim == 1 and gy is not None:
            gy = m.reshape(gy, gy.shape[:-1])
        return gx, gy


class Linear(Op):
    """x @ Wᵀ + b, a dense layer as one node (PyTorch's ``linear``/``addmm``);
    ∂/∂x = grad_out @ W, ∂/∂W = grad_outᵀ @ x, ∂/∂b = Σ_batch grad_out

    ``x`` is (..., n_in) or (n_in,), ``W`` is (n_out, n_in), ``b`` is (n_out,).
    """

    name, elementwise, formula, symbol, arity = "linear", False, "x @ Wᵀ + b", "linear", 3
    input_names = ("x", "W", "b")
    partials = ("grad_out @ W", "grad_outᵀ @ x", "Σ_batch grad_out")
    tangents = ("ẋ @ Wᵀ", "x @ Ẇᵀ", "ḃ")

    def forward(self, m: Any, x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        if W.ndim != 2 or b.shape != W.shape[:1] or not x.ndim or x.shape[-1] != W.shape[1]:
            raise ValueError(f"linear: x {x.shape}, W {W.shape}, b {b.shape}: needs x (..., n_in), "
                             "W (n_out, n_in) and b (n_out,)")
        out = dot(x, W.T)
        out += b
        return out

    def vjp(self, m: Any, grad_out: Num, out: Num, xs: tuple[Num, ...],
            needs: tuple[bool, ...]) -> tuple[Num | None, ...]:
        x, W, _ = xs
        n_out, n_in = W.shape
        g2 = grad_out if grad_out.ndim == 2 else m.reshape(grad_out, (-1, n_out))
        gx = m.matmul(grad_out, W) if needs[0] else None
        x2 = x if x.ndim == 2 else m.reshape(x, (-1, n_in))  # a W stored by columns: (xᵀ δ)ᵀ, its order
        gW = (m.transpose(m.matmul(m.transpose(x2), g2)) if column_major(m.value(W))
              else m.matmul(m.transpose(g2), x2)) if needs[1] else None
        return gx, gW, (m.sum_rows(g2) if needs[2] else None)


MATMUL, LINEAR = MatMul(), Linear()
