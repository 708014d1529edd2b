"""``Module``: the base of every layer, network and loss.

A module registers what is assigned to its attributes: other modules (its
children) and parameters -- a ``Tensor`` with ``requires_grad=True``, a
``Value``, or a numpy object array of ``Value`` (the scalar engine's weight
matrix).  From that it gives

* ``parameters()`` / ``named_parameters()`` -- every leaf to train, with stable
  dotted names in registration order (a module's own parameters, then each
  child's), as PyTorch lists them: ``layers.0.weight, layers.0.bias, ...``;
  a scalar-engine array yields one ``Value`` per element, named ``layers.0.weight[1,2]``;
* ``state_dict()`` / ``load_state_dict()`` -- a float array per parameter name, the
  same names and shapes on both engines; loading checks every key and shape first
  and changes nothing when one is wrong;
* ``zero_grad()`` and a readable ``repr``;
* ``train()`` / ``eval()`` -- set ``training`` on the module and every descendant (True
  after construction), which :class:`nn.Dropout` reads: it drops units only in training;
* ``__call__`` -> ``forward`` inside ``autograd.scope``: the outermost module's scope is
  its class name, a child's is its attribute name, and a module its caller holds under no
  attribute is named by its class: so a ``Net`` with ``self.encoder = nn.Linear(...)``
  makes nodes in ``Net.encoder``, and an ``MLP``, which opens ``scope(f"layer{l}")``
  around layer l's modules, makes them in ``MLP.layer1.Linear``, ``MLP.layer1.Sigmoid``, ...
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np

from autograd import Tensor, Value, scope

ParamHolder = Tensor | Value | np.ndarray
"""What a module registers as a parameter: a Tensor, a Value, or an object array of Values."""

M = TypeVar("M", bound="Module")

_CALLER: ContextVar[Module | None] = ContextVar("chainrule_nn_caller", default=None)


def _is_value_array(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == object and all(type(v) is Value for v in x.flat)


def _holder_array(p: ParamHolder) -> np.ndarray:
    """The holder's values as a new float array."""
    if isinstance(p, Tensor):
        return np.array(p.data, copy=True)
    if isinstance(p, Value):
        return np.array(p.data, dtype=np.float64)
    return np.array([v.data for v in p.flat], dtype=np.float64).reshape(p.shape)


def _holder_shape(p: ParamHolder) -> tuple[int, ...]:
    return () if isinstance(p, Value) else tuple(p.shape)


class Module:
    """Base class: subclasses set children and parameters as attributes in
    ``__init__`` (after ``super().__init__()``) and define ``forward``.

    >>> import nn
    >>> net = nn.MLP([2, 3, 1], rng=0)
    >>> [name for name, _ in net.named_parameters()]
    ['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']
    """

    _params: dict[str, ParamHolder]
    _modules: dict[str, Module]
    _names: dict[int, str]
    training: bool
    """True (the default) in training mode, False after :meth:`eval`."""

    def __init__(self) -> None:
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_names", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        params: dict[str, ParamHolder] | None = self.__dict__.get("_params")
        if params is None:
            raise TypeError(f"{type(self).__name__}: call super().__init__() before setting attributes")
        modules: dict[str, Module] = self.__dict__["_modules"]
        names: dict[int, str] = self.__dict__["_names"]
        params.pop(name, None)
        old = modules.pop(name, None)
        if old is not None:
            names.pop(id(old), None)
        if isinstance(value, Module):
            modules[name] = value
            names[id(value)] = name
        elif (isinstance(value, Tensor) and value.requires_grad) or isinstance(value, Value) \
                or _is_value_array(value):
            params[name] = value
        object.__setattr__(self, name, value)

    def forward(self, *args: Any) -> Any:
        """The module's computation; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__}: forward is not defined")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        parent = _CALLER.get()
        name = None if parent is None else parent._names.get(id(self))
        token = _CALLER.set(self)
        try:
            with scope(type(self).__name__ if name is None else name):
                return self.forward(*args, **kwargs)
        finally:
            _CALLER.reset(token)

    # -- the tree -------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (name ``prefix``) and every descendant,
        pre-order; a module reachable twice is listed once (iterative: any depth)."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{k}" if name else k, m) for k, m in module._modules.items()]
            stack.extend(reversed(children))

    def children(self) -> Iterator[Module]:
        """The direct child modules, in registration order."""
        yield from self._modules.values()

    def _named_holders(self) -> Iterator[tuple[str, ParamHolder]]:
        seen: set[int] = set()  # a module or parameter shared by two parents is listed once
        for prefix, module in self.named_modules():
            for name, p in module._params.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{prefix}.{name}" if prefix else name), p

    def named_parameters(self) -> Iterator[tuple[str, Tensor | Value]]:
        """(dotted name, parameter) for every trainable leaf: each Tensor, and each
        ``Value`` of a scalar-engine array as ``name[i,j]``."""
        for name, p in self._named_holders():
            if isinstance(p, (Tensor, Value)):
                yield name, p
            else:
                for index in np.ndindex(*p.shape):
                    yield f"{name}[{','.join(map(str, index))}]", p[index]

    def parameters(self) -> Iterator[Tensor | Value]:
        """Every trainable leaf, in the order of :meth:`named_parameters`."""
        for _, p in self.named_parameters():
            yield p

    def zero_grad(self) -> None:
        """Forget accumulated gradients: a Tensor's ``grad`` becomes None, a Value's 0.0."""
        zero_grads(self.parameters())

    # -- mode -------------------------------------------------------------------------
    def train(self: M, mode: bool = True) -> M:
        """Set ``training = mode`` on this module and every descendant; returns the module
        (PyTorch's ``train``): ``net.train()`` before fitting, ``net.eval()`` before predicting."""
        if not isinstance(mode, bool):
            raise TypeError(f"{type(self).__name__}.train: mode must be True or False, got {mode!r}")
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self: M) -> M:
        """``train(False)``: evaluation mode (e.g. :class:`nn.Dropout` passes its input through)."""
        return self.train(False)

    # -- state ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """{dotted name: a copy of the parameter's values}; a Linear weight is
        (n_out, n_in) on both engines (float64 for Values, the Tensor's dtype otherwise)."""
        return {name: _holder_array(p) for name, p in self._named_holders()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy ``state``'s arrays into the parameters.  Every key and shape is checked
        first: a missing, unexpected or wrongly shaped entry raises ``ValueError`` and
        leaves the module unchanged."""
        self._apply_state(self._check_state(state, "load_state_dict"))

    def _state_shapes(self) -> dict[str, tuple[int, ...]]:
        """{dotted name: shape} of every entry :meth:`state_dict` gives."""
        return {name: _holder_shape(p) for name, p in self._named_holders()}

    def _check_state(self, state: Mapping[str, Any], what: str) -> dict[str, np.ndarray]:
        return checked_state(state, self._state_shapes(), what, "the parameter")

    def _apply_state(self, checked: dict[str, np.ndarray]) -> None:
        for name, p in self._named_holders():
            a = checked[name]
            if isinstance(p, Tensor):
                p.data = a.astype(p.dtype, copy=True)
            elif isinstance(p, Value):
                p.data = float(a)
            else:
                for v, x in zip(p.flat, a.flat):
                    v.data = float(x)

    # -- printing ---------------------------------------------------------------------
    def extra_repr(self) -> str:
        """What goes between the parentheses of this module's one-line repr."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        if not self._modules:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}("] + ([f"  {extra}"] if extra else [])
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


def zero_grads(params: Iterable[Tensor | Value]) -> None:
    """Forget the gradients of ``params`` (leaves): a Tensor's ``grad`` becomes None, a Value's
    0.0, as before any backward pass (``zero_grad()`` of each)."""
    for p in params:
        p.zero_grad()


def check_layout(layout: Mapping[str, tuple[tuple[int, ...], np.dtype[Any]]],
                 shapes: Mapping[str, tuple[int, ...]], what: str, holder: str) -> None:
    """``ValueError`` unless ``layout`` (key -> (shape, dtype) of each stored array) has
    exactly the keys of ``shapes``, each an array of numbers of that shape.  ``holder``
    names what a key stands for ("the parameter").  Needs no array data: a checkpoint's
    layout is checked from the array headers before any data is read."""
    missing = [k for k in shapes if k not in layout]
    if missing:
        raise ValueError(f"{what}: missing key {missing[0]!r} (expected shape "
                         f"{shapes[missing[0]]}); {len(missing)} key(s) missing")
    unexpected = [k for k in layout if k not in shapes]
    if unexpected:
        raise ValueError(f"{what}: unexpected key {unexpected[0]!r} (shape "
                         f"{layout[unexpected[0]][0]}); there is no such {holder.split()[-1]}")
    for name, shape in shapes.items():
        found, dtype = layout[name]
        if dtype.kind not in "fiu":
            raise ValueError(f"{what}: key {name!r} holds dtype {dtype}, not numbers")
        if found != shape:
            raise ValueError(f"{what}: key {name!r} has shape {found}, {holder} has shape {shape}")


def checked_state(state: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]], what: str,
                  holder: str) -> dict[str, np.ndarray]:
    """``state``'s arrays by key, after :func:`check_layout` of their shapes and dtypes."""
    arrays = {k: np.asarray(v) for k, v in state.items()}
    check_layout({k: (a.shape, a.dtype) for k, a in arrays.items()}, shapes, what, holder)
    return {name: arrays[name] for name in shapes}
