"""The extension API: what defining an op of your own, or reading the engine's walk,
needs (as HIPS autograd keeps it in ``autograd.extend``); what users call is in
:mod:`autograd` itself.

* :mod:`~autograd.ops` -- the op table: :class:`Op`, :func:`register`, every op;
  :data:`SCALAR` and :data:`ARRAY`, the backends an op is written against;
* :func:`apply` -- evaluate an op on Values or Tensors and record it;
* :func:`run_backward`, :func:`gradients`, :func:`topological_order`, :func:`backward_order`,
  :func:`consumers` -- the backward pass and the one order of the graph;
* :func:`push_tangents` -- forward mode; :data:`NODES` -- the recording backend, on which
  every derivative of the table records itself as a graph;
* :func:`current_scope`, :func:`current_mode` -- the recording state of this thread;
* :func:`unbroadcast`, :func:`broadcast_axes` -- gradients summed back to an input's shape.

An op of your own, defined once for both engines:

>>> from autograd import Tensor, Value
>>> class Cube(Op):
...     "x**3;  d/dx = 3 x**2"
...     name, formula, partials, symbol = "cube", "x**3", ("3 x²",), "cube"
...     def forward(self, m, x):
...         return x * x * x
...     def derivative(self, m, out, x):
...         return (3.0 * x * x,)
>>> y = apply(Cube(), Value(2.0))
>>> y.backward()
>>> y.data, y.parents[0].grad, apply(Cube(), Tensor([1.0, 2.0])).data
(8.0, 12.0, array([1., 8.]))
"""

from autograd import ops
from autograd.backends import ARRAY, SCALAR
from autograd.forward import push_tangents
from autograd.node import (
    apply,
    backward_order,
    consumers,
    current_mode,
    current_scope,
    run_backward,
    topological_order,
)
from autograd.ops import Op, register
from autograd.recorded import NODES
from autograd.reverse import gradients
from autograd.structural import broadcast_axes
from autograd.tensor import unbroadcast

__all__ = [
    "ARRAY",
    "NODES",
    "SCALAR",
    "Op",
    "apply",
    "backward_order",
    "broadcast_axes",
    "consumers",
    "current_mode",
    "current_scope",
    "gradients",
    "ops",
    "push_tangents",
    "register",
    "run_backward",
    "topological_order",
    "unbroadcast",
]
