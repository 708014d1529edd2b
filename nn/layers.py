"""Layers: ``Linear``, ``Sequential``, the activations and ``MLP``, on either engine.

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
from nn.values import elementwise, is_row, softmax

ENGINES = ("tensor", "value")


def _check_engine(what: str, engine: str, dtype: Any) -> None:
    if engine not in ENGINES:
        raise ValueError(f"{what}: engine must be 'tensor' or 'value', got {engine!r}")
    if engine == "value" and np.dtype(dtype) != np.float64:
        raise ValueError(f"{what}: the value engine computes in float64 (Python floats), got dtype={dtype}")


class Linear(Module):
    """z = W x + b for each example x: ``weight`` W of shape (n_out, n_in) (row j =
    neuron j's incoming weights, the ``W(l)`` of the math), ``bias`` b of shape (n_out,).

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
    bias: Tensor | np.ndarray
    """(n_out,), as ``weight``."""

    def __init__(self, n_in: int, n_out: int, init: InitSpec = "uniform", rng: _init.RNGLike = None,
                 engine: str = "tensor", dtype: Any = np.float64, layer: int | None = None) -> None:
        super().__init__()
        n_in, n_out = positive_int("Linear", "n_in", n_in), positive_int("Linear", "n_out", n_out)
        _check_engine("Linear", engine, dtype)
        self.n_in, self.n_out, self.engine, self.layer = n_in, n_out, engine, layer
        W, b = initial_weights(init, self.n_in, self.n_out, _init.make_rng(rng))
        tag = self._tag()
        if engine == "tensor":
            self.weight = Tensor(W, requires_grad=True, dtype=dtype, label=f"W{tag}")
            self.bias = Tensor(b, requires_grad=True, dtype=dtype, label=f"b{tag}")
        else:
            weight = np.empty((self.n_out, self.n_in), dtype=object)
            for j, i in np.ndindex(*weight.shape):
                weight[j, i] = Value(float(W[j, i]), label=f"w{tag}[{j},{i}]")
            bias = np.empty(self.n_out, dtype=object)
            for j in range(self.n_out):
                bias[j] = Value(float(b[j]), label=f"b{tag}[{j}]")
            self.weight, self.bias = weight, bias

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
            assert isinstance(self.weight, Tensor) and isinstance(self.bias, Tensor)
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
        assert isinstance(weight, np.ndarray) and isinstance(bias, np.ndarray)
        xs = [v if isinstance(v, Value) else Value(_number(v), label=f"x[{i}]") for i, v in enumerate(x)]
        out = []
        for j in range(self.n_out):
            z = bias[j]
            for w, xi in zip(weight[j], xs):
                z = z + w * xi
            z.label = f"z{self._tag()}[{j}]"
            out.append(z)
        return out

    def _tag(self) -> str:
        return "" if self.layer is None else f"[{self.layer}]"

    def extra_repr(self) -> str:
        engine = ", engine='value'" if self.engine == "value" else ""
        return f"n_in={self.n_in}, n_out={self.n_out}{engine}"


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
        return self._labelled(elementwise(x, self.method))

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


class Softmax(Activation):
    """softmax(z)_k = e^(z_k) / Σ_j e^(z_j) over the last axis (each example), computed
    as exp(z - logsumexp(z)) so it never overflows."""

    method = "softmax"

    def forward(self, x: Any) -> Any:
        """softmax over the last axis"""
        if isinstance(x, Tensor):
            return x.softmax(-1)
        return self._labelled(softmax(x) if is_row(x) else [softmax(row) for row in x])

    def extra_repr(self) -> str:
        return "axis=-1"


ACTIVATIONS: dict[str, type[Activation]] = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU,
                                             "softmax": Softmax}


def _layer_number(m: Module) -> int:
    assert isinstance(m, (Linear, Activation)) and m.layer is not None  # as MLP made them
    return m.layer


class MLP(Module):
    """A multilayer perceptron: ``Linear(sizes[0], sizes[1])``, activation, ...,
    ``Linear(sizes[-2], sizes[-1])``, output activation -- in ``self.layers``, a
    :class:`Sequential` (parameters ``layers.0.weight, layers.0.bias, layers.2.weight, ...``).
    Layer l's Linear and activation, made with ``layer=l``, run in scope ``layer{l}``:
    their nodes' scopes are ``MLP.layer{l}.Linear`` and e.g. ``MLP.layer{l}.Sigmoid``.

    ``activation`` (hidden layers) is ``"sigmoid"``, ``"tanh"`` or ``"relu"``;
    ``output_activation`` is None (the last layer's z, e.g. logits for
    ``cross_entropy``), ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"softmax"``.  Layers
    are initialised in order from one generator, so a seed fixes the whole net on either engine.

    >>> net = MLP([784, 32, 16, 10], activation="sigmoid", output_activation="sigmoid", rng=0)
    >>> net.layers[0].weight.shape, len(list(net.parameters()))
    ((32, 784), 6)
    """

    def __init__(self, sizes: Sequence[int], activation: str = "sigmoid",
                 output_activation: str | None = None, init: InitSpec = "uniform",
                 rng: _init.RNGLike = None, engine: str = "tensor", dtype: Any = np.float64) -> None:
        super().__init__()
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
        if activation not in ("sigmoid", "tanh", "relu"):
            raise ValueError(f"MLP: activation must be 'sigmoid', 'tanh' or 'relu', got {activation!r}")
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
