"""Derivatives as functions, after JAX: :func:`grad`, :func:`value_and_grad`, :func:`vjp`,
:func:`jvp` (forward mode), :func:`jacobian` and :func:`hessian`.

Each takes a function ``f`` of Values or Tensors and gives a function (or numbers) on either
engine.  A differentiated argument may be

* a plain number (``float``, ``int``): the scalar engine; the result comes back as a float;
* an array (``np.ndarray``, a list of numbers): the array engine; results come back as arrays;
* a ``Value`` or ``Tensor``: used as it is (a Tensor that does not require grad is copied into
  a leaf that does), and the result comes back as a node with its graph, differentiable again.

The transformations nest, to any order: ``grad(grad(f))``, ``hessian(f)``, ``jvp(grad(f), ...)``
(a Hessian-vector product, forward over reverse).  Inside a transformation every result
is a node, so an outer one can differentiate it; an argument a function closes over (an
outer variable) stays differentiable by the outer transformation.

Where they differ from JAX: ``f`` returns a ``Value`` or a ``Tensor`` (``jacobian`` also takes a
list or tuple of them), not any pytree; ``grad`` accepts a one-element Tensor of any
shape (as ``backward()`` does), not only shape ``()``; a gradient of an argument ``f`` does not
depend on is zeros (as JAX); integer arrays are differentiated as float64 (JAX refuses them);
``jacobian`` is JAX's ``jacrev`` (one reverse pass per output element); ``hessian`` is the
Jacobian of the gradient (reverse over reverse).

>>> import numpy as np
>>> grad(lambda x: x * x * x)(2.0)                 # 3x²
12.0
>>> grad(grad(lambda x: x * x * x))(2.0)           # 6x
12.0
>>> grad(lambda w: (w * w).sum())(np.array([1.0, 2.0]))
array([2., 4.])
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from numbers import Real
from typing import Any

import numpy as np

from autograd.forward import push_tangents
from autograd.node import Node, enable_grad
from autograd.reverse import Pullback, gradients
from autograd.tensor import Tensor, stack
from autograd.value import Value

_DEPTH: ContextVar[int] = ContextVar("chainrule_transform_depth", default=0)
"""How many of this module's transformations are running ``f`` on this thread."""

Argnums = int | Sequence[int]


class _Inputs:
    """The differentiated arguments of one call, lifted to nodes of one engine."""

    def __init__(self, what: str, args: tuple[Any, ...], argnums: Argnums) -> None:
        self.what = what
        self.single = isinstance(argnums, (int, np.integer))
        nums = (int(argnums),) if self.single else tuple(int(a) for a in argnums)  # type: ignore[union-attr, arg-type]
        if not nums:
            raise ValueError(f"{what}: argnums is empty; name at least one argument to differentiate")
        for a in nums:
            if not -len(args) <= a < len(args):
                raise ValueError(f"{what}: argnums {a} is out of range for a call with {len(args)} "
                                 "positional argument(s)")
        self.nums = tuple(a % len(args) for a in nums)
        if len(set(self.nums)) != len(self.nums):
            raise ValueError(f"{what}: argnums {argnums!r} names an argument twice")
        self.nested = _DEPTH.get() > 0
        kinds = {a: _engine(what, a, args[a]) for a in self.nums}
        if len(set(kinds.values())) > 1:
            listed = ", ".join(f"argument {a}: {k}" for a, k in kinds.items())
            raise TypeError(f"{what}: the differentiated arguments mix the two engines ({listed}). A "
                            "function runs on one engine: pass every one as an array (np.asarray(x)) "
                            "for the Tensor engine, or as a float for the Value engine")
        self.kind = next(iter(kinds.values()))
        self.given_nodes = [isinstance(args[a], Node) for a in self.nums]
        self.leaves = [_leaf(args[a]) for a in self.nums]
        self.create_graph = self.nested or any(self.given_nodes)
        self.args = list(args)
        for a, leaf in zip(self.nums, self.leaves):
            self.args[a] = leaf

    def call(self, f: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        """``f`` on the lifted arguments, its graph recorded even inside an outer ``no_grad``
        (as ``torch.func`` does; a ``no_grad`` inside ``f`` is respected)."""
        token = _DEPTH.set(_DEPTH.get() + 1)
        try:
            with enable_grad():
                return f(*self.args, **kwargs)
        finally:
            _DEPTH.reset(token)

    def node(self, x: Any, like: Any) -> Any:
        """``x`` (a number or an array, or a node already) as a constant node of ``like``'s engine."""
        if isinstance(x, Node):
            return x
        return Value(float(x)) if isinstance(like, Value) else Tensor._wrap(np.array(x, like.dtype))

    def seed(self, out: Any, cotangent: Any = None) -> Any:
        """The gradient a reverse pass from ``out`` starts with: ones, or ``cotangent`` checked."""
        first: Any
        if isinstance(out, Value):
            first = out._first_grad(cotangent, self.what) if not isinstance(cotangent, Node) else cotangent
        else:
            if isinstance(cotangent, Tensor):
                if cotangent.shape != out.shape:
                    raise ValueError(f"{self.what}: cotangent has shape {cotangent.shape}, the output "
                                     f"{out.shape}")
                return cotangent
            first = (np.ones(out.shape, out.dtype) if cotangent is None
                     else out_shaped(self.what, cotangent, out))
        return self.node(first, out) if self.create_graph else first

    def result(self, g: Any, i: int) -> Any:
        """The gradient ``g`` for the ``i``-th differentiated argument, in the kind it was given."""
        leaf = self.leaves[i]
        if g is None:  # f does not depend on this argument
            g = Value(0.0) if isinstance(leaf, Value) else Tensor._wrap(np.zeros(leaf.shape, leaf.dtype))
        return self.lower(g, self.given_nodes[i])

    def lower(self, x: Any, keep: bool = False) -> Any:
        """A node as the caller gets it: itself inside a transformation or when nodes were
        given (``keep``), else its numbers (a float or an array of its own)."""
        if isinstance(x, Node) and (self.nested or keep or any(self.given_nodes)):
            return x
        if self.kind == "Value":
            return x._data if isinstance(x, Value) else x
        return np.array(x._data if isinstance(x, Tensor) else x)  # an array of its own, 0-d ones too

    def pack(self, results: list[Any]) -> Any:
        """One result per differentiated argument: itself for an int ``argnums``, else a tuple."""
        return results[0] if self.single else tuple(results)


def out_shaped(what: str, cotangent: Any, out: Tensor) -> np.ndarray:
    """``cotangent`` as an array of ``out``'s shape and dtype, or a clear error."""
    a = np.array(cotangent, dtype=out.dtype)
    if a.shape != out.shape:
        raise ValueError(f"{what}: cotangent has shape {a.shape}, the output {out.shape}")
    return a


def _engine(what: str, i: int, x: Any) -> str:
    """"Value" or "Tensor": the engine the argument ``x`` runs on."""
    if isinstance(x, Value):
        return "Value"
    if isinstance(x, Tensor):
        return "Tensor"
    if isinstance(x, (bool, np.bool_)) or isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{what}: argument {i} is {type(x).__name__} ({x!r}), not a number, an array "
                        "or a node to differentiate")
    if isinstance(x, Real) and not isinstance(x, np.ndarray):
        return "Value"
    return "Tensor"


def _leaf(x: Any) -> Any:
    if isinstance(x, Value):
        return x
    if isinstance(x, Tensor):
        return x if x.requires_grad else Tensor(x.data, requires_grad=True, dtype=x.dtype)
    if isinstance(x, Real) and not isinstance(x, np.ndarray):
        return Value(float(x))
    return Tensor(x, requires_grad=True)


def _scalar_output(what: str, out: Any, inputs: _Inputs) -> Any:
    """``f``'s output checked for ``grad``: a Value, or a one-element Tensor, of the inputs' engine."""
    out = _output(what, out, inputs)
    if isinstance(out, Tensor) and out.size != 1:
        raise ValueError(f"{what}: f returned a Tensor of shape {out.shape}; {what} needs a scalar "
                         "(one-element) output. Use autograd.jacobian(f) for the gradient of every "
                         "output, or autograd.vjp(f, ...) for that of a weighted sum of them")
    return out


def _output(what: str, out: Any, inputs: _Inputs) -> Any:
    """``f``'s output as a node of the inputs' engine: a plain number becomes a constant (every
    derivative of it is 0); anything else but a node of that engine is refused, with the fix."""
    if isinstance(out, Real) and not isinstance(out, (bool, np.ndarray)):
        return inputs.node(out, inputs.leaves[0])
    if not isinstance(out, Node):
        raise TypeError(f"{what}: f must return a Value or a Tensor, not {type(out).__name__}")
    if type(out).__name__ != inputs.kind:
        raise TypeError(f"{what}: f returned a {type(out).__name__} from {inputs.kind} arguments: a "
                        f"function runs on one engine. Compute the output on the {inputs.kind} engine "
                        "(Tensor(v.data) turns a Value into a Tensor, t.item() a one-element Tensor "
                        "into a number)")
    return out


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., tuple[Any, Any]]:
    """A function giving ``(f(*args), ∇f(*args))``: f's value and its gradient with respect to
    the argument ``argnums`` (a tuple of them: a tuple of gradients), by one reverse pass.

    ``f`` must return a scalar: a Value, or a Tensor of one element; for more outputs use
    :func:`jacobian` or :func:`vjp`.

    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
    (10.0, (5.0, 2.0))
    """

    @functools.wraps(f)
    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        inputs = _Inputs("grad", args, argnums)
        out = _scalar_output("grad", inputs.call(f, kwargs), inputs)
        grads = gradients(out, inputs.seed(out), inputs.leaves, inputs.create_graph)
        return inputs.lower(out), inputs.pack([inputs.result(g, i) for i, g in enumerate(grads)])

    return value_and_grad_f


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The gradient of ``f`` as a function: ∂f/∂x for the argument ``argnums`` (a tuple of
    them: a tuple of gradients), by one reverse pass.  It nests: ``grad(grad(f))`` is the
    second derivative.

    >>> import math
    >>> d2 = grad(grad(lambda x: x.sin()))      # -sin
    >>> d2(1.0) == -math.sin(1.0)
    True
    """
    value_and_grad_f = value_and_grad(f, argnums)

    @functools.wraps(f)
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        return value_and_grad_f(*args, **kwargs)[1]

    return grad_f


def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """``(f(*primals), vjp_fn)``: ``vjp_fn(u)`` is the vector-Jacobian product uᵀ J, one gradient
    per primal (a tuple), for a cotangent ``u`` of the output's shape.  The graph is kept, so
    ``vjp_fn`` may be called with many cotangents (one reverse pass each).

    >>> import numpy as np
    >>> out, vjp_fn = vjp(lambda x: x * x, np.array([1.0, 2.0]))
    >>> out, vjp_fn(np.array([1.0, 10.0]))
    (array([1., 4.]), (array([ 2., 40.]),))
    """
    inputs = _Inputs("vjp", primals, tuple(range(len(primals))))
    out = _output("vjp", inputs.call(f, {}), inputs)

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        grads = gradients(out, inputs.seed(out, cotangent), inputs.leaves, inputs.create_graph)
        return tuple(inputs.result(g, i) for i, g in enumerate(grads))

    return inputs.lower(out), vjp_fn


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(f(*primals), J ẋ)``: the Jacobian-vector product for the tangents ``ẋ`` (one per
    primal, each of its primal's shape), by forward mode (:mod:`autograd.forward`): the
    tangents pushed from the inputs to the output, one pass.

    >>> import numpy as np
    >>> jvp(lambda x: x * x, (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
    (array([1., 4.]), array([2., 0.]))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (or lists), one entry per argument "
                        f"of f, not {type(primals).__name__} and {type(tangents).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primal(s) but {len(tangents)} tangent(s); give one tangent "
                         "per primal")
    inputs = _Inputs("jvp", tuple(primals), tuple(range(len(primals))))
    seeds = {}
    for i, (leaf, t) in enumerate(zip(inputs.leaves, tangents)):
        seed = _tangent_seed(i, leaf, t, inputs.create_graph)
        if isinstance(seed, Node) or np.any(seed):  # a zero tangent moves nothing: no step reads it
            seeds[leaf] = seed
    out = _output("jvp", inputs.call(f, {}), inputs)
    tangent = push_tangents(out, seeds, inputs.create_graph).get(out)
    if tangent is None:
        tangent = 0.0 if isinstance(out, Value) else np.zeros(out.shape, out.dtype)
    if not isinstance(tangent, Node) and inputs.create_graph:
        tangent = inputs.node(tangent, out)
    return inputs.lower(out), inputs.lower(tangent)


def _tangent_seed(i: int, leaf: Any, t: Any, create_graph: bool) -> Any:
    if isinstance(t, (Value, Tensor)):
        if type(t) is not type(leaf):
            raise TypeError(f"jvp: tangent {i} is a {type(t).__name__}, its primal a {type(leaf).__name__}")
        shape, primal = np.shape(t.data), np.shape(leaf.data)
        if shape != primal:
            raise ValueError(f"jvp: tangent {i} has shape {shape}, its primal {primal}")
        return t
    if isinstance(leaf, Value):
        if not isinstance(t, Real) or isinstance(t, bool):
            raise TypeError(f"jvp: tangent {i} must be a number like its primal, not {type(t).__name__}")
        return Value(float(t)) if create_graph else float(t)
    a = np.array(t, dtype=leaf.dtype)
    if a.shape != leaf.shape:
        raise ValueError(f"jvp: tangent {i} has shape {a.shape}, its primal {leaf.shape}")
    return Tensor._wrap(a) if create_graph else a


def jacobian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The Jacobian of ``f`` as a function: for an output of shape ``(m...)`` and an argument
    of shape ``(n...)``, an array of shape ``(m..., n...)``, ``J[i, j] = ∂out_i/∂x_j``, by one
    reverse pass per output element (JAX's ``jacrev``).  ``argnums`` a tuple: a tuple of
    Jacobians; ``f`` returning a list or tuple of outputs: one result per output.

    >>> import numpy as np
    >>> jacobian(lambda x: x * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """

    @functools.wraps(f)
    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        inputs = _Inputs("jacobian", args, argnums)
        out = inputs.call(f, kwargs)
        if isinstance(out, (list, tuple)):
            return type(out)(_jacobian_of(o, inputs) for o in out)
        return _jacobian_of(out, inputs)

    return jacobian_f


def _jacobian_of(out: Any, inputs: _Inputs) -> Any:
    out = _output("jacobian", out, inputs)
    if isinstance(out, Value):
        grads = gradients(out, inputs.seed(out), inputs.leaves, inputs.create_graph)
        return inputs.pack([inputs.result(g, i) for i, g in enumerate(grads)])
    rows: list[list[Any]] = [[] for _ in inputs.leaves]
    pull = Pullback(out, inputs.leaves)
    for index in np.ndindex(*out.shape):
        unit = np.zeros(out.shape, out.dtype)
        unit[index] = 1.0
        grads = pull(inputs.seed(out, unit), inputs.create_graph)
        for i, g in enumerate(grads):
            rows[i].append(inputs.result(g, i))
    results = []
    for leaf, row, given in zip(inputs.leaves, rows, inputs.given_nodes):
        shape = out.shape + leaf.shape
        if not row:
            results.append(inputs.lower(Tensor._wrap(np.zeros(shape, leaf.dtype)), given))
        elif isinstance(row[0], Node):
            lifted = [r if isinstance(r, Tensor) else Tensor._wrap(np.asarray(r)) for r in row]
            results.append(stack(lifted).reshape(shape))
        else:
            results.append(np.stack(row).reshape(shape))
    return inputs.pack(results)


def hessian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The Hessian of a scalar ``f`` as a function: the Jacobian of its gradient (reverse over
    reverse), ``H[i, j] = ∂²f/∂x_i∂x_j``, of shape ``x.shape + x.shape``; ``argnums`` a tuple:
    ``H[a][b]`` the block of arguments a and b.  Symmetric up to round-off.

    >>> import numpy as np
    >>> hessian(lambda x: (x * x * x).sum())(np.array([1.0, 2.0]))   # diag(6x)
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return jacobian(grad(f, argnums), argnums)
