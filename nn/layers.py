"""Layers: ``Linear``, ``Sequential``, the activations, ``Dropout``, ``Flatten`` and ``MLP``,
on either engine.

* ``engine="tensor"`` (default): parameters are ``Tensor`` s and a layer takes a
  batch, shape ``(batch, n_in)`` (or one example, ``(n_in,)``).  Fast.  A numbered
  layer labels its result ``z[l]`` (Linear) or ``a[l]`` (activation), so traces read
  ``∂C/∂W[2] += δᵀ @ a[1]``.
* ``engine="value"``: every weight is its own labelled ``Value`` -- ``w[l][j,i]`` is
  layer l's weight from input i to neuron j, ``b[l][j]`` neuron j's bias (and
  ``z[l][j]`` labels the neuron's sum ``b_j + Σ_i w_ji x_i``, ``a[l][j]`` its
  activation) -- kept in a numpy object array of shape ``(n_out, n_in)``.  A layer
  takes one example (a list or 1-D array of numbers or Values) and returns a list of
  Values, one per neuron; a list of examples gives a list of such lists.  Every neuron
  is visible in a picture.

An ``MLP`` numbers its layers as the math does, l = 1 ... L, in labels (``W[1]`` is the
first layer's weight) and in scopes (``MLP.layer1.Linear``, ``MLP.layer1.Sigmoid``: a
picture's clusters are MLP ⊃ layer1 ⊃ Linear, Sigmoid), while its parameter names
count the modules of its ``Sequential`` from 0, as PyTorch does (``layers.0.weight``
is ``W[1]``).

Both engines draw the same initial weights from the same seed and give the same
outputs and gradients for equal weights; ``state_dict()`` has the same names and
shapes, so weights copy across with ``load_state_dict``.

>>> import nn
>>> net = nn.MLP([2, 3, 1], activation="tanh", engine="value", rng=0)
>>> out = net([1.0, -2.0])
>>> len(out), net.layers[0].weight[1, 0].label, out[0].label, out[0].scope
(1, 'w[1][1,0]', 'z[2][0]', 'MLP.layer2.Linear')
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from numbers import Real
from typing import Any, ClassVar

import numpy as np

from autograd import Tensor, Value, linear, scope
from nn import init as _init
from nn.checks import positive_int
from nn.init import InitSpec, initial_weights
from nn.module import Module
from nn.values import elementwise, indexed, is_row, softmax

ENGINES = ("tensor", "value")


def _check_engine(what: str, engine: str, dtype: Any) -> None:
    if engine not in ENGINES:
        raise ValueError(f"{what}: engine must be 'tensor' or 'value', got {engine!r}")
    if engine == "value" and np.dtype(dtype) != np.float64:
        raise ValueError(f"{what}: the value engine computes in float64 (Python floats), got dtype={dtype}")


class Linear(Module):
    """z = W x + b for each example x: ``weight`` W of shape (n_out, n_in) (row j =
    neuron j's incoming weights, the ``W(l)`` of the math), ``bias`` b of shape (n_out,);
    ``bias=False`` gives z = W x with no ``bias`` parameter (``bias`` is None), as PyTorch's.

    ``init`` (see :data:`nn.init.InitSpec`) defaults to PyTorch's, ``"pytorch"``: W and b from
    U(-1/√n_in, 1/√n_in); the headline study's U(-1, 1) is ``init="uniform"``.

    On a Tensor batch X of shape (batch, n_in) the result is ``X @ W.T + b``.
    ``layer`` (optional) numbers the layer in labels: ``W[layer]``, or ``w[layer][j,i]``,
    ``b[layer][j]`` and each neuron's sum ``z[layer][j]`` on the value engine.

    >>> import numpy as np
    >>> lin = Linear(2, 1, init=lambda n_in, n_out, rng: np.array([[2.0, -1.0]]))
    >>> lin(np.array([[3.0, 4.0]]))
    Tensor([[2.]], op=linear)
    """

    weight: Tensor | np.ndarray
    """(n_out, n_in): a Tensor, or an object array of Values on the value engine."""
    bias: Tensor | np.ndarray | None
    """(n_out,), as ``weight``; None for ``bias=False``."""

    def __init__(self, n_in: int, n_out: int, init: InitSpec = "pytorch", rng: _init.RNGLike = None,
                 engine: str = "tensor", dtype: Any = np.float64, layer: int | None = None,
                 bias: bool = True) -> None:
        super().__init__()
        n_in, n_out = positive_int("Linear", "n_in", n_in), positive_int("Linear", "n_out", n_out)
        _check_engine("Linear", engine, dtype)
        self.n_in, self.n_out, self.engine, self.layer = n_in, n_out, engine, layer
        if not isinstance(bias, bool):
            raise TypeError(f"Linear: bias must be True or False, got {bias!r}")
        # b is drawn even when dropped, so that a seed gives the same W with or without a bias
        W, b = initial_weights(init, self.n_in, self.n_out, _init.make_rng(rng))
        tag = self._tag()
        if engine == "tensor":
            self.weight = Tensor(W, requires_grad=True, dtype=dtype, label=f"W{tag}")
            self.bias = Tensor(b, requires_grad=True, dtype=dtype, label=f"b{tag}") if bias else None
        else:
            weight = np.empty((self.n_out, self.n_in), dtype=object)
            for j, i in np.ndindex(*weight.shape):
                weight[j, i] = Value(float(W[j, i]), label=f"w{tag}[{j},{i}]")
            self.weight, self.bias = weight, None
            if bias:
                b_values = np.empty(self.n_out, dtype=object)
                for j in range(self.n_out):
                    b_values[j] = Value(float(b[j]), label=f"b{tag}[{j}]")
                self.bias = b_values

    def forward(self, x: Any) -> Any:
        """``x @ W.T + b`` for a Tensor batch; a list of neuron Values ``b_j + Σ_i w_ji x_i``
        for one example on the value engine (a list of lists for several)."""
        if self.engine == "tensor":
            if not isinstance(x, Tensor):
                x = np.asarray(x)
                if x.dtype == object and any(isinstance(v, Value) for v in x.flat):
                    raise TypeError(f"Linear({self.n_in} -> {self.n_out}): got Values, but this layer is "
                                    "on the tensor engine (it takes a numpy array or a Tensor); make the "
                                    "model with engine='value' to feed it Values")
            shape = x.shape
            if not shape or shape[-1] != self.n_in:
                raise ValueError(f"Linear({self.n_in} -> {self.n_out}): input has shape {shape}, "
                                 f"expected (batch, {self.n_in}) or ({self.n_in},)")
            assert isinstance(self.weight, Tensor) and not isinstance(self.bias, np.ndarray)
            z = linear(x, self.weight, self.bias)
            if self.layer is not None:
                z.label = f"z[{self.layer}]"
            return z
        if isinstance(x, Tensor):
            raise TypeError("Linear: a value-engine layer takes numbers or Values, not a Tensor "
                            "(use engine='tensor')")
        if is_row(x):
            return self._neurons(x)
        return [self._neurons(row) for row in x]

    def _neurons(self, x: Sequence[Any]) -> list[Value]:
        if len(x) != self.n_in:
            raise ValueError(f"Linear({self.n_in} -> {self.n_out}): one example needs {self.n_in} "
                             f"inputs, got {len(x)}")
        weight, bias = self.weight, self.bias
        assert isinstance(weight, np.ndarray) and not isinstance(bias, Tensor)
        xs = [v if isinstance(v, Value) else Value(_number(v), label=f"x[{i}]") for i, v in enumerate(x)]
        out = []
        for j in range(self.n_out):
            z: Value | None = None if bias is None else bias[j]
            for w, xi in zip(weight[j], xs):
                z = w * xi if z is None else z + w * xi
            assert z is not None  # n_in >= 1
            z.label = f"z{self._tag()}[{j}]"
            out.append(z)
        return out

    def _tag(self) -> str:
        return "" if self.layer is None else f"[{self.layer}]"

    def extra_repr(self) -> str:
        engine = ", engine='value'" if self.engine == "value" else ""
        bias = ", bias=False" if self.bias is None else ""
        return f"n_in={self.n_in}, n_out={self.n_out}{bias}{engine}"


def _number(v: Any) -> float:
    if isinstance(v, Real) and not isinstance(v, bool):
        return float(v)
    raise TypeError(f"Linear: inputs must be numbers or Values, got {type(v).__name__} ({v!r})")


class Sequential(Module):
    """Modules applied in order, the output of each the input of the next;
    children are named ``"0"``, ``"1"``, ... (so parameters are ``0.weight``, ...)."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a Module")
            setattr(self, str(i), m)

    def forward(self, x: Any) -> Any:
        """module_n(... module_1(module_0(x)))"""
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class Activation(Module):
    """An activation σ (elementwise, but for :class:`Softmax`).  ``layer`` (optional) numbers
    the layer in labels: on the value engine each output is labelled ``a[layer][j]``, the
    A(l)_j of the math, as :class:`Linear` labels the sums it takes ``z[layer][j]``."""

    method: ClassVar[str]
    """The name of the Value and Tensor method that computes σ."""

    def __init__(self, layer: int | None = None) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: Any) -> Any:
        """σ(x), elementwise"""
        return self._labelled(elementwise(x, self.method, *self.arguments()))

    def arguments(self) -> tuple[float, ...]:
        """What the method takes besides x (LeakyReLU's slope, ELU's alpha)."""
        return ()

    def _labelled(self, out: Any) -> Any:
        if self.layer is not None and isinstance(out, Tensor):
            out.label = f"a[{self.layer}]"
        elif self.layer is not None and isinstance(out, list):
            for row in [out] if is_row(out) else out:
                for j, a in enumerate(row):
                    a.label = f"a[{self.layer}][{j}]"
        return out


class Sigmoid(Activation):
    """σ(z) = 1 / (1 + e^-z), elementwise; σ' = σ(1 - σ)."""

    method = "sigmoid"


class Tanh(Activation):
    """tanh(z), elementwise; tanh' = 1 - tanh²."""

    method = "tanh"


class ReLU(Activation):
    """max(z, 0), elementwise; ReLU' = 1[z > 0]."""

    method = "relu"


class SiLU(Activation):
    """SiLU (swish): z σ(z), elementwise; SiLU' = σ(z) (1 + z (1 - σ(z)))."""

    method = "silu"


class GELU(Activation):
    """GELU, tanh approximation: ½ z (1 + tanh(√(2/π) (z + 0.044715 z³))), elementwise --
    PyTorch's ``GELU(approximate="tanh")`` (its default GELU is the erf form, not this one)."""

    method = "gelu_tanh"


class Softplus(Activation):
    """log(1 + e^z), elementwise (a smooth ReLU, never overflowing); softplus' = σ(z).
    PyTorch's ``Softplus()`` with its defaults beta = 1 (and no ``threshold``: exact beyond 20)."""

    method = "softplus"


class LeakyReLU(Activation):
    """z for z > 0, slope·z otherwise, elementwise (PyTorch's ``LeakyReLU(negative_slope=0.01)``).

    >>> LeakyReLU(0.1)(Tensor([-2.0, 3.0])).data
    array([-0.2,  3. ])
    """

    method = "leaky_relu"

    def __init__(self, slope: float = 0.01, layer: int | None = None) -> None:
        super().__init__(layer)
        self.slope = float(slope)

    def arguments(self) -> tuple[float, ...]:
        return (self.slope,)

    def extra_repr(self) -> str:
        return f"slope={self.slope}"


class ELU(Activation):
    """z for z > 0, alpha (e^z - 1) otherwise, elementwise (PyTorch's ``ELU(alpha=1.0)``)."""

    method = "elu"

    def __init__(self, alpha: float = 1.0, layer: int | None = None) -> None:
        super().__init__(layer)
        self.alpha = float(alpha)

    def arguments(self) -> tuple[float, ...]:
        return (self.alpha,)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softmax(Activation):
    """softmax(z)_k = e^(z_k) / Σ_j e^(z_j) along ``axis`` (default the last: each example),
    computed as exp(z - logsumexp(z)) so it never overflows.  The value engine's examples are
    rows, so there ``axis`` must be the last (-1).

    >>> Softmax(axis=0)(Tensor([[0.0, 1.0], [0.0, 1.0]])).data
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """

    method = "softmax"

    def __init__(self, axis: int = -1, layer: int | None = None) -> None:
        super().__init__(layer)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"Softmax: axis must be an int, got {axis!r}")
        self.axis = axis

    def forward(self, x: Any) -> Any:
        """softmax along ``axis``"""
        if isinstance(x, Tensor):
            return self._labelled(x.softmax(self.axis))
        if self.axis != -1:
            raise ValueError(f"Softmax(axis={self.axis}): the value engine takes softmax over each "
                             "example's row, axis=-1")
        return self._labelled(softmax(x) if is_row(x) else [softmax(row) for row in x])

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Dropout(Module):
    """Inverted dropout: in training (:meth:`Module.train`, the default) each element is
    zeroed with probability ``p`` and the rest scaled by 1/(1 - p), so the expected output
    is the input; after :meth:`Module.eval` the input passes through unchanged (PyTorch's).

    The mask is drawn from ``rng`` (a seed or a Generator, see :func:`nn.init.make_rng`),
    a fresh one at each call; both engines draw the same mask for the same seed and shape.
    On the value engine each element is multiplied by its own labelled ``Value``,
    ``mask[j]`` (``mask[k][j]`` for example k of a batch), 0 or 1/(1 - p).

    >>> drop = Dropout(0.5, rng=0)
    >>> drop(Tensor([1.0, 1.0, 1.0, 1.0])).data
    array([2., 0., 0., 0.])
    >>> drop.eval()(Tensor([1.0, 1.0])).data
    array([1., 1.])
    """

    p: float
    """The probability of dropping each element."""
    rng: np.random.Generator

    def __init__(self, p: float = 0.5, rng: _init.RNGLike = None) -> None:
        super().__init__()
        if not isinstance(p, Real) or isinstance(p, bool) or not 0 <= p < 1:
            raise ValueError(f"Dropout: p is the probability of dropping an element, 0 <= p < 1, "
                             f"got {p!r}")
        self.p = float(p)
        self.rng = _init.make_rng(rng)

    def forward(self, x: Any) -> Any:
        """x * mask / (1 - p), mask ~ Bernoulli(1 - p), in training; x in evaluation"""
        if not self.training or self.p == 0.0:
            return x
        if isinstance(x, np.ndarray) and x.dtype != object:
            x = Tensor(x)
        if isinstance(x, Tensor):
            keep = self.rng.random(x.shape) >= self.p
            return x * (keep * np.asarray(1.0 / (1.0 - self.p), dtype=x.dtype))
        one = is_row(x)
        batch = [list(x)] if one else [list(row) for row in x]
        keep = self.rng.random((len(batch), len(batch[0]) if batch else 0)) >= self.p
        scale = 1.0 / (1.0 - self.p)
        out = [[v * Value(scale if kept else 0.0, label)
                for v, kept, label in zip(row, mask, indexed("mask", k, len(row), one))]
               for k, (row, mask) in enumerate(zip(batch, keep))]
        return out[0] if one else out

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Flatten(Module):
    """Axes ``start_axis`` ... ``end_axis`` joined into one (PyTorch's ``Flatten(start_dim=1,
    end_dim=-1)``): a batch of images (batch, 28, 28) becomes (batch, 784), ready for a
    :class:`Linear`.  A Tensor gives a Tensor; an array (of numbers, or of Values on the value
    engine) gives an array, or nested lists for Values.

    >>> Flatten()(Tensor(np.zeros((5, 2, 3)))).shape
    (5, 6)
    """

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        self.start_axis, self.end_axis = start_axis, end_axis

    def forward(self, x: Any) -> Any:
        """x reshaped: its axes start_axis ... end_axis become one"""
        if isinstance(x, Tensor):
            return x.reshape(self._shape(x.shape))
        a = np.asarray(x)
        out = a.reshape(self._shape(a.shape))
        return out.tolist() if a.dtype == object else out

    def _shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        start, end = (a + len(shape) if a < 0 else a for a in (self.start_axis, self.end_axis))
        if not 0 <= start <= end < len(shape):
            raise ValueError(f"Flatten(start_axis={self.start_axis}, end_axis={self.end_axis}): input "
                             f"of shape {shape} has no such axes")
        return (*shape[:start], int(np.prod(shape[start:end + 1])), *shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"


ACTIVATIONS: dict[str, type[Activation]] = {
    "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU, "elu": ELU, "silu": SiLU,
    "gelu": GELU, "softplus": Softplus, "softmax": Softmax}
"""The activations an :class:`MLP` names, each with its defaults."""
HIDDEN = tuple(name for name in ACTIVATIONS if name != "softmax")


def _layer_number(m: Module) -> int:
    assert isinstance(m, (Linear, Activation)) and m.layer is not None  # as MLP made them
    return m.layer


class MLP(Module):
    """A multilayer perceptron: ``Linear(sizes[0], sizes[1])``, activation, ...,
    ``Linear(sizes[-2], sizes[-1])``, output activation -- in ``self.layers``, a
    :class:`Sequential` (parameters ``layers.0.weight, layers.0.bias, layers.2.weight, ...``).
    Layer l's Linear and activation, made with ``layer=l``, run in scope ``layer{l}``:
    their nodes' scopes are ``MLP.layer{l}.Linear`` and e.g. ``MLP.layer{l}.Sigmoid``.

    ``activation`` (hidden layers) is ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"``,
    ``"elu"``, ``"silu"`` or ``"softplus"`` (each with its defaults); ``output_activation`` is None
    (the last layer's z, e.g. logits for ``cross_entropy``), one of those or ``"softmax"``.
    ``init`` is that of each :class:`Linear` (PyTorch's by default).  Layers
    are initialised in order from one generator, so a seed fixes the whole net on either engine.

    >>> net = MLP([784, 32, 16, 10], activation="sigmoid", output_activation="sigmoid", rng=0)
    >>> net.layers[0].weight.shape, len(list(net.parameters()))
    ((32, 784), 6)
    """

    def __init__(self, sizes: Sequence[int], activation: str = "sigmoid",
                 output_activation: str | None = None, init: InitSpec = "pytorch",
                 rng: _init.RNGLike = None, engine: str = "tensor", dtype: Any = np.float64) -> None:
        super().__init__()
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
        if activation not in HIDDEN:
            raise ValueError(f"MLP: activation must be one of {list(HIDDEN)}, got {activation!r}")
        if output_activation is not None and output_activation not in ACTIVATIONS:
            raise ValueError(f"MLP: output_activation must be None or one of {sorted(ACTIVATIONS)}, "
                             f"got {output_activation!r}")
        _check_engine("MLP", engine, dtype)
        self.sizes, self.activation, self.output_activation = sizes, activation, output_activation
        self.engine = engine
        generator = _init.make_rng(rng)
        layers: list[Module] = []
        for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            layers.append(Linear(n_in, n_out, init=init, rng=generator, engine=engine, dtype=dtype,
                                 layer=layer))
            if layer < len(sizes) - 1:
                layers.append(ACTIVATIONS[activation](layer=layer))
            elif output_activation is not None:
                layers.append(ACTIVATIONS[output_activation](layer=layer))
        self.layers = Sequential(*layers)

    def forward(self, x: Any) -> Any:
        """Layer l = 1 ... L in turn, its Linear then its activation, each in ``scope(f"layer{l}")``.

        Called one by one, not through the Sequential, so that scopes number the layers as
        the labels do (``MLP.layer2.Linear``), not as the Sequential's children (``MLP.layers.2``)."""
        for m in self.layers:
            with scope(f"layer{_layer_number(m)}"):
                x = m(x)
        return x

    def linears(self) -> list[Linear]:
        """The Linear layers, first to last (``W(1) ... W(L)`` of the math)."""
        return [m for m in self.layers if isinstance(m, Linear)]

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, engine={self.engine!r}"
