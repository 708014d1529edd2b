"""Higher-order derivatives and forward mode on both engines (``Value`` on floats, ``Tensor`` on
numpy arrays), property-tested on random expressions:

* second derivatives -- ``grad(grad(f))`` and Hessian-vector products -- against central
  differences of the first gradient, over the elementwise ops, every op of the table on a leaf
  that other ops read too, and every structural op between two nonlinear maps;
* ``hessian``: symmetric to round-off and equal to central differences of the gradient;
* forward mode against reverse mode: ⟨u, J v⟩ from ``jvp`` equals ⟨uᵀJ, v⟩ from ``vjp``, and
  the columns of ``jacobian`` are ``jvp``'s with unit tangents;
* ``backward(create_graph=True)`` leaves the gradients of ``backward()``, bit for bit (both
  dtypes, broadcasting, fan-out, linear layers and nn's losses);
* third derivatives of closed forms; second derivatives through kinks (relu, abs, clip, ...);
* :mod:`autograd.functional`'s nesting, return kinds, indifference to an outer ``no_grad()``
  and bad input; PyTorch's Hessians and Hessian-vector products, when torch is installed.

Every checker has a negative control: an op whose derivative is right at first order but a
constant of the recorded graph, or a linear op whose vjp is not its transpose, must fail it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
from autograd import (
    NoDerivativeError,
    Tensor,
    Value,
    concatenate,
    grad,
    hessian,
    jacobian,
    jvp,
    linear,
    no_grad,
    stack,
    value_and_grad,
    vjp,
)
from autograd.extend import Op, apply, ops
from autograd.node import Node, has_grad
from autograd.testing import well_conditioned_arrays, well_conditioned_floats
from tests.numeric import assert_close
from tests.strategies import arrays, broadcast_shapes, floats
from tests.test_ops import CASES, IDS, TIES

Fn = Callable[..., Any]

H = 1e-5
"""The step of every central difference of a gradient: truncation ~h² f'''' ≈ 1e-10 for the
bounded expressions below, round-off ~1e-16 |∇f| / h ≈ 1e-11."""
DIFFERENCE_TOL = 1e-5
"""Second derivatives against differences of the gradient (scaled by 1 + |expected|)."""
ROUND_OFF = 1e-10
"""Two exact computations that differ only in the order of their roundings."""


# --- random expressions, one definition for both engines (and torch) ----------------------

Tree = Any
"""An input's index (a leaf), or ``(kind, *subtrees)``, a kind of UNARY_KINDS or BINARY_KINDS."""

# As in test_value's expressions: each kind keeps its op in a smooth domain (log and sqrt of
# a quantity >= 0.1, division by one >= 1), and every value bounded (powers and exponentials
# of bounded quantities), so that central differences of the gradient stay accurate.
UNARY_KINDS: dict[str, Callable[[Any], Any]] = {
    "neg": lambda a: -a,
    "rsub": lambda a: 1.0 - a,
    "exp": lambda a: (a.tanh() * 2).exp(),
    "log": lambda a: (a * a + 0.1).log(),
    "sqrt": lambda a: (a * a + 0.1).sqrt(),
    "tanh": lambda a: a.tanh(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "sigmoid": lambda a: a.sigmoid(),
    "softplus": lambda a: a.softplus(),
    "silu": lambda a: a.silu(),
    "gelu_tanh": lambda a: a.gelu_tanh(),
    "log1p": lambda a: (a * a).log1p(),
    "expm1": lambda a: a.tanh().expm1(),
    "pow": lambda a: (a.tanh() ** 2 + 0.5) ** 1.5,
    "rpow": lambda a: (a.tanh() ** 2 + 0.5) ** -1.0,
    "rdiv": lambda a: 2.0 / (a * a + 1.0),
}
BINARY_KINDS: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "vpow": lambda a, b: (a.tanh() ** 2 + 0.5) ** b.tanh(),
}
TORCH_KINDS = sorted(set(UNARY_KINDS) - {"softplus", "silu", "gelu_tanh"})
"""The kinds that are methods of torch tensors too."""


def evaluate(tree: Tree, xs: Sequence[Any]) -> Any:
    """The expression ``tree`` on the inputs ``xs`` (Values, Tensors or torch tensors)."""
    if isinstance(tree, int):
        return xs[tree]
    kind, *subtrees = tree
    args = [evaluate(t, xs) for t in subtrees]
    return UNARY_KINDS[kind](*args) if len(args) == 1 else BINARY_KINDS[kind](*args)


def trees(n_inputs: int, unary: Sequence[str] = tuple(UNARY_KINDS)) -> st.SearchStrategy[Tree]:
    """Random expressions of up to six leaves over ``n_inputs`` inputs."""
    leaves = st.integers(0, n_inputs - 1)
    return st.recursive(leaves, lambda sub: st.tuples(st.sampled_from(sorted(unary)), sub)
                        | st.tuples(st.sampled_from(sorted(BINARY_KINDS)), sub, sub), max_leaves=6)


def upstream(shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    """A fixed random upstream gradient for an output of ``shape``."""
    return np.random.default_rng(0).normal(size=shape).astype(dtype)


def weighted(f: Fn) -> Fn:
    """Σ f(x) · r for a fixed random r: a scalar that sees every element of f's output."""

    def scalar(*xs: Any) -> Any:
        out = f(*xs)
        return (out * upstream(out.shape, out.dtype)).sum()

    return scalar


def _node(x: Any) -> Any:
    """x as a node: an argument ``grad`` does not differentiate comes as it was given."""
    if isinstance(x, Node):
        return x
    return Value(x) if isinstance(x, float) else Tensor(x)


def tree_function(tree: Tree) -> Fn:
    """The expression ``tree`` as a function of its inputs."""
    return lambda *xs: evaluate(tree, [_node(x) for x in xs])


VALUE_INPUTS = st.lists(floats(-2, 2), min_size=3, max_size=3)


# --- deliberately wrong ops: the negative controls -----------------------------------------

def _numbers(x: Any) -> Any:
    return x.data if isinstance(x, Node) else x


class FrozenTanh(ops.Tanh):
    """tanh whose derivative 1 - tanh² is computed on the numbers: right at first order, but
    a constant of the recorded graph, so every second derivative through it is wrong."""

    name = "frozen_tanh"

    def derivative(self, m: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (1.0 - _numbers(out) ** 2,)


class HalfFrozenMul(ops.Mul):
    """x * y whose ∂/∂x is y's numbers (a constant) and ∂/∂y is x: right at first order, with
    ∂²/∂y∂x = 0 but ∂²/∂x∂y = 1, an asymmetric Hessian."""

    name = "half_frozen_mul"

    def derivative(self, m: Any, out: Any, x: Any, y: Any) -> tuple[Any, ...]:
        return (_numbers(y), x)


class WrongFlip(Op):
    """x reversed along its last axis, with the identity as its vjp (grad_out should be
    reversed too): a linear op whose vjp is not its transpose."""

    name, elementwise, linear, formula, symbol = "wrong_flip", False, True, "x[..., ::-1]", "flip"
    partials = ("grad_out (not reversed: wrong)",)

    def forward(self, m: Any, x: np.ndarray) -> np.ndarray:
        return x[..., ::-1]

    def vjp(self, m: Any, grad_out: Any, out: Any, xs: tuple[Any, ...],
            needs: tuple[bool, ...]) -> tuple[Any, ...]:
        return (grad_out,)


FROZEN_TANH, HALF_FROZEN_MUL, WRONG_FLIP = FrozenTanh(), HalfFrozenMul(), WrongFlip()


# --- the checkers ---------------------------------------------------------------------------

def _flatten(xs: Sequence[Any]) -> np.ndarray:
    return np.concatenate([np.ravel(x) for x in xs]).astype(np.float64)


def _split(z: np.ndarray, like: Sequence[Any]) -> list[Any]:
    """The flat vector z as inputs shaped like ``like`` (floats where it has floats)."""
    out, start = [], 0
    for x in like:
        part = z[start:start + np.size(x)]
        out.append(float(part[0]) if isinstance(x, float) else part.reshape(np.shape(x)))
        start += np.size(x)
    return out


def _flat_gradient(f: Fn, xs: Sequence[Any]) -> np.ndarray:
    return _flatten(grad(f, tuple(range(len(xs))))(*xs))


def gradient_differences(f: Fn, xs: Sequence[Any]) -> np.ndarray:
    """∂(∇f)_k / ∂z_j by central differences of the gradient; z: every input's elements in order."""
    z = _flatten(xs)
    columns = []
    for j in range(z.size):
        step = np.zeros_like(z)
        step[j] = H
        up, down = _flat_gradient(f, _split(z + step, xs)), _flat_gradient(f, _split(z - step, xs))
        columns.append((up - down) / (2 * H))
    return np.stack(columns, axis=1)


def directional(f: Fn, tangents: Sequence[Any]) -> Fn:
    """x ↦ the jvp of f at x along ``tangents`` (forward mode): a function to differentiate again."""
    return lambda *xs: jvp(f, xs, tangents)[1]


def check_second_derivatives(f: Fn, xs: list[float]) -> None:
    """∂²f/∂x_j∂x_i three ways -- ``grad(grad(f, i), j)`` (reverse over reverse), the jvp of
    ``grad(f, i)`` along x_j (forward over reverse), the jvp along x_j of f's jvp along x_i
    (forward over forward) -- against central differences of ``grad(f, i)`` in x_j (Value)."""
    numeric = gradient_differences(f, xs)
    for i in range(len(xs)):
        along_i = _unit(xs, i, ())
        for j in range(len(xs)):
            along_j = _unit(xs, j, ())
            for got in (grad(grad(f, i), j)(*xs), jvp(grad(f, i), xs, along_j)[1],
                        jvp(directional(f, along_i), xs, along_j)[1]):
                assert_close(got, numeric[i, j], tol=DIFFERENCE_TOL)


def hvp(f: Fn, xs: Sequence[np.ndarray], vs: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """H v as the gradient of ⟨∇f, v⟩ (reverse over reverse), one array per input."""
    argnums = tuple(range(len(xs)))
    gradient = grad(f, argnums)

    def along_v(*args: Any) -> Any:
        return sum((g * v).sum() for g, v in zip(gradient(*args), vs))

    result: tuple[np.ndarray, ...] = grad(along_v, argnums)(*xs)
    return result


def check_hvp(f: Fn, xs: list[np.ndarray], vs: list[np.ndarray]) -> None:
    """H v three ways -- :func:`hvp`, the jvp of ∇f along v (forward over reverse), the gradient
    of f's jvp along v (reverse over forward) -- against the central difference of ∇f along v;
    and vᵀ H v, the jvp along v of f's jvp along v (forward over forward), against ⟨v, that difference⟩."""
    argnums = tuple(range(len(xs)))
    gradient = grad(f, argnums)
    up = gradient(*(np.asarray(x + H * v) for x, v in zip(xs, vs)))  # 0-d stays an array
    down = gradient(*(np.asarray(x - H * v) for x, v in zip(xs, vs)))
    reverse_over_reverse = hvp(f, xs, vs)
    forward_over_reverse = [jvp(grad(f, i), xs, vs)[1] for i in argnums]
    reverse_over_forward = grad(directional(f, vs), argnums)(*xs)
    numeric = [(u - d) / (2 * H) for u, d in zip(up, down)]
    for i, n in enumerate(numeric):
        for got in (reverse_over_reverse[i], forward_over_reverse[i], reverse_over_forward[i]):
            assert_close(got, n, tol=DIFFERENCE_TOL)
    forward_over_forward = jvp(directional(f, vs), xs, vs)[1]
    assert_close(forward_over_forward, sum(np.sum(n * v) for n, v in zip(numeric, vs)), tol=DIFFERENCE_TOL)


def full_hessian(f: Fn, xs: Sequence[Any]) -> np.ndarray:
    """``hessian(f)`` over every argument, its blocks joined into one square matrix."""
    argnums = tuple(range(len(xs)))
    blocks = hessian(f, argnums)(*xs)
    sizes = [np.size(x) for x in xs]
    return np.block([[np.reshape(blocks[a][b], (sizes[a], sizes[b])) for b in argnums] for a in argnums])


def assert_symmetric(h: np.ndarray) -> None:
    err = np.abs(h - h.T) / (1 + np.abs(h))
    assert (err <= ROUND_OFF).all(), f"hessian not symmetric: scaled |H - Hᵀ| up to {err.max():.2e}\n{h}"


def check_hessian(f: Fn, xs: Sequence[Any]) -> None:
    """``hessian(f)``: symmetric to round-off, and equal to central differences of the gradient."""
    h = full_hessian(f, xs)
    assert_symmetric(h)
    assert_close(h, gradient_differences(f, xs), tol=DIFFERENCE_TOL)


def check_jvp_vjp(f: Fn, xs: Sequence[Any], vs: Sequence[Any], u: Any) -> None:
    """⟨u, J v⟩ by forward mode equals ⟨uᵀJ, v⟩ by reverse mode, to round-off."""
    _, jv = jvp(f, tuple(xs), tuple(vs))
    _, vjp_fn = vjp(f, *xs)
    uj = vjp_fn(u)
    assert_close(np.sum(u * jv), sum(np.sum(a * v) for a, v in zip(uj, vs)), tol=ROUND_OFF)


def _unit(xs: Sequence[Any], i: int, j: tuple[int, ...]) -> list[Any]:
    """Tangents: 1 at element j of input i, 0 elsewhere (floats where xs has floats)."""
    ts = [np.zeros(np.shape(x)) for x in xs]
    ts[i][j] = 1.0
    return [float(t) if isinstance(x, float) else t for t, x in zip(ts, xs)]


def check_forward_matches_reverse(f: Fn, xs: Sequence[Any]) -> None:
    """Each column of ``jacobian(f)`` (reverse mode) is ``jvp`` with a unit tangent (forward)."""
    reverse = jacobian(f, tuple(range(len(xs))))(*xs)
    for i, x in enumerate(xs):
        for j in np.ndindex(np.shape(x)):
            _, column = jvp(f, tuple(xs), tuple(_unit(xs, i, j)))
            assert_close(column, np.asarray(reverse[i])[(...,) + j], tol=ROUND_OFF)


def _leaves(xs: Sequence[Any]) -> list[Any]:
    """Fresh leaves for xs: a Value for a float, a Tensor (its dtype kept) for an array, and an
    object array of Values for an object array of floats (the value engine's layers)."""
    out: list[Any] = []
    for x in xs:
        if isinstance(x, float):
            out.append(Value(x))
        elif x.dtype == object:
            out.append(np.array([Value(float(v)) for v in x.ravel()], dtype=object).reshape(x.shape))
        else:
            out.append(Tensor(x, requires_grad=True))
    return out


def _each_leaf(leaves: Sequence[Any]) -> list[Any]:
    return [v for leaf in leaves for v in (leaf.ravel() if isinstance(leaf, np.ndarray) else [leaf])]


def _roots(out: Any) -> tuple[Any, ...]:
    return out if isinstance(out, tuple) else (out,)


def check_create_graph_is_first_order(build: Fn, xs: Sequence[Any]) -> None:
    """``backward(create_graph=True)`` leaves gradients that are nodes holding, bit for bit and
    in the same dtype, the gradients ``backward()`` leaves on the same expression (``build``
    may return a tuple of roots: one backward pass each, their gradients adding up)."""
    first, recorded = _leaves(xs), _leaves(xs)
    for root in _roots(build(*first)):
        root.backward()
    for root in _roots(build(*recorded)):
        root.backward(create_graph=True)
    for a, b in zip(_each_leaf(first), _each_leaf(recorded)):
        if not has_grad(a):
            continue
        assert isinstance(b.grad, Node), f"create_graph left a {type(b.grad).__name__}, not a node"
        want, got = np.asarray(a.grad), np.asarray(b.grad.data)
        assert want.dtype == got.dtype and np.array_equal(want, got), \
            f"create_graph changed the gradient: {got.dtype}, off by up to " \
            f"{np.max(np.abs(got - want)):.3g}:\n{got.tolist()}\nwhere backward() gives {want.dtype}:" \
            f"\n{want.tolist()}"


# --- second derivatives and Hessians of random expressions ---------------------------

@settings(max_examples=40)
@given(tree=trees(3), xs=VALUE_INPUTS)
def test_value_grad_of_grad_matches_differences_of_the_gradient(tree: Tree, xs: list[float]) -> None:
    check_second_derivatives(tree_function(tree), xs)


@settings(max_examples=40)
@given(data=st.data(), tree=trees(2), shape_pair=broadcast_shapes(2))
def test_tensor_hessian_vector_products_match_differences_of_the_gradient(
        data: st.DataObject, tree: Tree, shape_pair: tuple[tuple[int, ...], ...]) -> None:
    xs = [data.draw(arrays(s, -2, 2)) for s in shape_pair]
    vs = [data.draw(arrays(s, -1, 1)) for s in shape_pair]
    check_hvp(weighted(tree_function(tree)), xs, vs)


@settings(max_examples=30)
@given(tree=trees(3), xs=VALUE_INPUTS)
def test_value_hessian_is_symmetric_and_matches_differences(tree: Tree, xs: list[float]) -> None:
    check_hessian(tree_function(tree), xs)


SMALL_PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3).map(
    lambda s: s.input_shapes)
"""Shapes of at most 9 elements: the Hessian has (n₁ + n₂)² entries, each difference column
two gradients."""


@settings(max_examples=25)
@given(data=st.data(), tree=trees(2), shape_pair=SMALL_PAIRS)
def test_tensor_hessian_is_symmetric_and_matches_differences(
        data: st.DataObject, tree: Tree, shape_pair: tuple[tuple[int, ...], ...]) -> None:
    check_hessian(weighted(tree_function(tree)), [data.draw(arrays(s, -2, 2)) for s in shape_pair])


def _op_inputs(data: st.DataObject, op: ops.Op, domain: Any, shape: tuple[int, ...] | None) -> list[Any]:
    """Inputs in the op's smooth domain (test_ops' table): floats, or arrays of ``shape``."""
    if shape is None:
        xs: list[Any] = [data.draw(floats(lo, hi)) for lo, hi in domain]
    else:
        xs = [data.draw(arrays(shape, lo, hi)) for lo, hi in domain]
    if op in TIES:  # maximum and minimum have a kink where their inputs are equal
        assume(np.all(np.abs(np.asarray(xs[0]) - np.asarray(xs[1])) > 0.1))
    return xs


@pytest.mark.parametrize("engine", ["Value", "Tensor"])
@pytest.mark.parametrize(("op", "ref", "domain"), CASES, ids=IDS)
@settings(max_examples=8)
@given(data=st.data())
def test_every_op_second_derivative_on_a_leaf_other_ops_read(
        engine: str, op: ops.Op, ref: Any, domain: Any, data: st.DataObject) -> None:
    """Each op of the table applied to the leaves themselves, beside another op reading the
    first leaf (before it, and after it, in the graph)."""
    xs = _op_inputs(data, op, domain, None if engine == "Value" else (3,))
    for f in (lambda *a: apply(op, *a) + (a[0] * 0.5).sin(),
              lambda *a: (a[0] * 0.5).sin() + apply(op, *a)):
        check_hessian(f if engine == "Value" else weighted(f), xs)


@given(x=floats(0.2, 3))
def test_pow_mixed_second_derivative_at_a_zero_exponent(x: float) -> None:
    """∂²(x**y)/∂x∂y = x**(y - 1) (1 + y log x), which is 1/x at y = 0, in either order."""
    h = hessian(lambda a, b: a**b, argnums=(0, 1))(x, 0.0)
    assert_close(np.array([h[0][1], h[1][0]]), np.array([1 / x, 1 / x]), tol=1e-14)


# --- structural ops between two nonlinear maps (Tensor) -------------------------------------

Case = tuple[list[np.ndarray], Fn]
"""A structural op's inputs and the function applying it to them."""

SMALL = hnp.array_shapes(min_dims=1, max_dims=3, max_side=3)
"""At most 27 elements: distinct values fit on the grid of ``_inputs``."""


def _inputs(data: st.DataObject, *shape_list: tuple[int, ...]) -> list[np.ndarray]:
    """Arrays with distinct elements at least 0.02 apart: no ties for max and min, no zero
    standard deviation (see well_conditioned_arrays)."""
    return [data.draw(well_conditioned_arrays(s, -1, 1, avoid=(), distinct=True)) for s in shape_list]


def _axes(data: st.DataObject, ndim: int) -> int | tuple[int, ...] | None:
    return data.draw(st.none() | st.integers(-ndim, ndim - 1)
                     | st.lists(st.integers(0, ndim - 1), min_size=1, unique=True).map(tuple))


def _matmul(data: st.DataObject) -> Case:
    b, n, k, m = (data.draw(st.integers(1, 3)) for _ in range(4))
    forms = [((k,), (k,)), ((k,), (k, m)), ((n, k), (k,)), ((n, k), (k, m)),
             ((b, n, k), (b, k, m)), ((b, n, k), (k, m))]
    return _inputs(data, *data.draw(st.sampled_from(forms))), lambda x, y: x @ y


def _linear(data: st.DataObject) -> Case:
    b, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    batch = data.draw(st.sampled_from([(), (b,)]))
    shapes_ = [(*batch, k), (m, k)] + ([(m,)] if data.draw(st.booleans()) else [])
    return _inputs(data, *shapes_), lambda *xs: linear(*xs)


def _reduction(name: str) -> Callable[[st.DataObject], Case]:
    def case(data: st.DataObject) -> Case:
        (x,) = _inputs(data, data.draw(SMALL))
        axis, keepdims = _axes(data, x.ndim), data.draw(st.booleans())
        return [x], lambda t: getattr(t, name)(axis=axis, keepdims=keepdims)

    return case


def _along_axis(name: str) -> Callable[[st.DataObject], Case]:
    def case(data: st.DataObject) -> Case:
        (x,) = _inputs(data, data.draw(SMALL))
        axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
        return [x], lambda t: getattr(t, name)(axis)

    return case


def _reshape(data: st.DataObject) -> Case:
    (x,) = _inputs(data, data.draw(SMALL))
    new = data.draw(st.sampled_from([(-1,), x.shape[::-1], (1, *x.shape), (x.size, 1)]))
    return [x], lambda t: t.reshape(new)


def _transpose(data: st.DataObject) -> Case:
    (x,) = _inputs(data, data.draw(SMALL))
    axes = tuple(data.draw(st.permutations(range(x.ndim))))
    return [x], lambda t: t.transpose(*axes)


def _getitem(data: st.DataObject) -> Case:
    (x,) = _inputs(data, data.draw(SMALL))
    index = data.draw(st.sampled_from([0, -1, slice(1, None), slice(None, None, -1), [0, 0, -1],
                                       (Ellipsis, 0), np.arange(x.size).reshape(x.shape) % 2 == 0]))
    return [x], lambda t: t[index]


def _concatenate(data: st.DataObject) -> Case:
    shape = data.draw(SMALL)
    axis = data.draw(st.integers(0, len(shape) - 1))
    other = (*shape[:axis], data.draw(st.integers(1, 3)), *shape[axis + 1:])
    return _inputs(data, shape, other), lambda x, y: concatenate([x, y], axis)


def _stack(data: st.DataObject) -> Case:
    shape = data.draw(SMALL)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    return _inputs(data, shape, shape), lambda x, y: stack([x, y], axis)


def _cumsum(data: st.DataObject) -> Case:
    (x,) = _inputs(data, data.draw(SMALL))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    return [x], lambda t: t.cumsum(axis)


def _broadcast(data: st.DataObject) -> Case:
    return [data.draw(arrays(s, -1, 1)) for s in data.draw(broadcast_shapes(2))], lambda x, y: x * y


LAYERS: dict[str, Callable[[st.DataObject], Case]] = {
    "matmul": _matmul, "linear": _linear,
    **{name: _reduction(name) for name in ("sum", "mean", "max", "min", "prod", "var", "std")},
    **{name: _along_axis(name) for name in ("logsumexp", "softmax", "log_softmax")},
    "reshape": _reshape, "transpose": _transpose, "getitem": _getitem,
    "concatenate": _concatenate, "stack": _stack, "cumsum": _cumsum, "broadcast": _broadcast,
}


def layered(layer: Fn, post: Tree) -> Fn:
    """x ↦ post(layer(bend(x), ...)), bend(x) = x + 0.3 sin x: strictly increasing, so
    distinct inputs stay distinct, and nonlinear, so that the Hessian goes through the layer."""
    return lambda *xs: evaluate(post, [layer(*(x + 0.3 * x.sin() for x in xs))])


@pytest.mark.parametrize("name", sorted(LAYERS))
@settings(max_examples=12)
@given(data=st.data(), post=trees(1))
def test_structural_hessian_vector_products_match_differences(name: str, data: st.DataObject,
                                                               post: Tree) -> None:
    xs, layer = LAYERS[name](data)
    check_hvp(weighted(layered(layer, post)), xs, [data.draw(arrays(x.shape, -1, 1)) for x in xs])


@pytest.mark.parametrize("name", sorted(LAYERS))
@settings(max_examples=5)
@given(data=st.data(), post=trees(1))
def test_structural_hessian_is_symmetric_and_matches_differences(name: str, data: st.DataObject,
                                                                 post: Tree) -> None:
    xs, layer = LAYERS[name](data)
    assume(sum(x.size for x in xs) <= 24)
    check_hessian(weighted(layered(layer, post)), xs)


def test_negative_control_a_constant_derivative_fails_the_second_derivative_checks() -> None:
    """FROZEN_TANH's first derivative is right; its second derivatives are not."""
    value_f = lambda x, y: apply(FROZEN_TANH, x * y)  # noqa: E731
    assert grad(value_f)(0.3, 0.7) == grad(lambda x, y: (x * y).tanh())(0.3, 0.7)
    with pytest.raises(AssertionError, match="mismatch"):
        check_second_derivatives(value_f, [0.3, 0.7])
    with pytest.raises(AssertionError, match="mismatch"):
        check_hessian(value_f, [0.3, 0.7])
    tensor_f = weighted(lambda x, y: apply(FROZEN_TANH, x * y))
    xs, vs = [np.array([0.3, -0.5]), np.array([0.7, 1.1])], [np.array([1.0, -0.5]), np.array([0.3, 0.2])]
    with pytest.raises(AssertionError, match="mismatch"):
        check_hvp(tensor_f, xs, vs)
    with pytest.raises(AssertionError, match="mismatch"):
        check_hessian(tensor_f, xs)


@pytest.mark.parametrize("xs", [[0.3, -0.7], [np.array([0.3, 0.4]), np.array([-0.7, 1.2])]],
                         ids=["Value", "Tensor"])
def test_negative_control_an_asymmetric_hessian_is_caught(xs: list[Any]) -> None:
    f = lambda x, y: apply(HALF_FROZEN_MUL, x.sin(), y.sin())  # noqa: E731
    with pytest.raises(AssertionError, match="not symmetric"):
        check_hessian(f if isinstance(xs[0], float) else weighted(f), xs)


# --- forward mode against reverse mode -------------------------------------------------

@settings(max_examples=40)
@given(tree=trees(3), xs=VALUE_INPUTS, vs=VALUE_INPUTS, u=floats(-2, 2))
def test_value_jvp_and_vjp_agree(tree: Tree, xs: list[float], vs: list[float], u: float) -> None:
    check_jvp_vjp(tree_function(tree), xs, vs, u)


@settings(max_examples=25)
@given(tree=trees(3), xs=VALUE_INPUTS)
def test_value_jacobian_columns_are_jvps_of_unit_tangents(tree: Tree, xs: list[float]) -> None:
    check_forward_matches_reverse(tree_function(tree), xs)


@settings(max_examples=40)
@given(data=st.data(), tree=trees(2), shape_pair=broadcast_shapes(2))
def test_tensor_jvp_and_vjp_agree(data: st.DataObject, tree: Tree,
                                  shape_pair: tuple[tuple[int, ...], ...]) -> None:
    xs = [data.draw(arrays(s, -2, 2)) for s in shape_pair]
    vs = [data.draw(arrays(s, -1, 1)) for s in shape_pair]
    out_shape = evaluate(tree, [Tensor(x) for x in xs]).shape
    check_jvp_vjp(tree_function(tree), xs, vs, data.draw(arrays(out_shape, -1, 1)))


@pytest.mark.parametrize("name", sorted(LAYERS))
@settings(max_examples=12)
@given(data=st.data(), post=trees(1))
def test_structural_jvp_and_vjp_agree(name: str, data: st.DataObject, post: Tree) -> None:
    xs, layer = LAYERS[name](data)
    f = layered(layer, post)
    u = data.draw(arrays(f(*(Tensor(x) for x in xs)).shape, -1, 1))
    check_jvp_vjp(f, xs, [data.draw(arrays(x.shape, -1, 1)) for x in xs], u)


@pytest.mark.parametrize("name", sorted(LAYERS))
@settings(max_examples=6)
@given(data=st.data(), post=trees(1))
def test_structural_jacobian_columns_are_jvps_of_unit_tangents(name: str, data: st.DataObject,
                                                               post: Tree) -> None:
    xs, layer = LAYERS[name](data)
    check_forward_matches_reverse(layered(layer, post), xs)


def test_negative_control_a_vjp_that_is_not_the_transpose_fails_both_checks() -> None:
    """WRONG_FLIP's forward mode applies the flip; its reverse mode does not."""
    f = lambda x: apply(WRONG_FLIP, x.sin())  # noqa: E731
    x = np.array([0.1, 0.5, 0.9])
    with pytest.raises(AssertionError, match="mismatch"):
        check_jvp_vjp(f, [x], [np.array([1.0, 0.0, 0.0])], np.array([1.0, 2.0, 3.0]))
    with pytest.raises(AssertionError, match="mismatch"):
        check_forward_matches_reverse(f, [x])


# --- create_graph leaves the first-order gradients, bit for bit ---------------------------

@settings(max_examples=40)
@given(tree=trees(3), xs=VALUE_INPUTS)
def test_value_create_graph_gradients_are_the_first_order_ones(tree: Tree, xs: list[float]) -> None:
    check_create_graph_is_first_order(tree_function(tree), xs)


@settings(max_examples=20)
@given(trees_=st.tuples(trees(3), trees(3)), xs=VALUE_INPUTS, shape=st.sampled_from([(), (2, 3)]))
def test_create_graph_gradients_of_two_passes_add_up_as_the_first_order_ones(
        trees_: tuple[Tree, Tree], xs: list[float], shape: tuple[int, ...]) -> None:
    """Two backward passes into the same leaves: floats on Values, arrays on Tensors."""
    inputs = xs if not shape else [np.full(shape, x) * np.linspace(0.5, 1.5, 6).reshape(shape) for x in xs]
    roots = [tree_function(t) if not shape else weighted(tree_function(t)) for t in trees_]
    # `* 1.0`: a root of its own even where a tree is one of the leaves
    check_create_graph_is_first_order(lambda *leaves: tuple(r(*leaves) * 1.0 for r in roots), inputs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=30)
@given(data=st.data(), tree=trees(2), shape_pair=broadcast_shapes(2))
def test_tensor_create_graph_gradients_are_the_first_order_ones(
        dtype: Any, data: st.DataObject, tree: Tree, shape_pair: tuple[tuple[int, ...], ...]) -> None:
    xs = [data.draw(arrays(s, -2, 2)).astype(dtype) for s in shape_pair]
    check_create_graph_is_first_order(weighted(tree_function(tree)), xs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(LAYERS))
@settings(max_examples=8)
@given(data=st.data(), post=trees(1))
def test_structural_create_graph_gradients_are_the_first_order_ones(
        dtype: Any, name: str, data: st.DataObject, post: Tree) -> None:
    xs, layer = LAYERS[name](data)
    check_create_graph_is_first_order(weighted(layered(layer, post)), [x.astype(dtype) for x in xs])


_RNG = np.random.default_rng(3)
_X, _W, _B = _RNG.normal(size=(4, 3)), _RNG.normal(size=(5, 3)), _RNG.normal(size=5)
_LABELS, _TARGET = np.array([0, 4, 2, 2]), _RNG.normal(size=(4, 5))


def _value_linear(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> list[list[Value]]:
    """x Wᵀ + b on object arrays of Values: the value engine's rows."""
    return (x @ W.T + b).tolist()


LOSSES: dict[str, Fn] = {
    "mse": lambda z: nn.mse_loss(z, _TARGET),
    "mse_sum": lambda z: nn.mse_loss(z, _TARGET, reduction="sum"),
    "cross_entropy": lambda z: nn.cross_entropy(z, _LABELS),
    "cross_entropy_one_hot_smoothed": lambda z: nn.cross_entropy(z, np.eye(5)[_LABELS], label_smoothing=0.1),
    "cross_entropy_weighted": lambda z: nn.cross_entropy(z, _LABELS, weight=np.arange(1.0, 6.0)),
}


@pytest.mark.parametrize("engine", ["Value", "Tensor float64", "Tensor float32"])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_nn_losses_create_graph_gradients_are_the_first_order_ones(loss: str, engine: str) -> None:
    if engine == "Value":
        xs: list[Any] = [a.astype(object) for a in (_X, _W, _B)]
        check_create_graph_is_first_order(lambda x, W, b: LOSSES[loss](_value_linear(x, W, b)), xs)
    else:
        dtype = np.float32 if engine.endswith("32") else np.float64
        check_create_graph_is_first_order(lambda x, W, b: LOSSES[loss](linear(x, W, b)),
                                          [a.astype(dtype) for a in (_X, _W, _B)])


def test_negative_control_a_one_ulp_difference_fails_the_bitwise_check() -> None:
    """A build whose constant moves by one unit in the last place between the two passes."""
    scales = iter([1.0, np.nextafter(1.0, 2.0)])
    with pytest.raises(AssertionError, match="create_graph changed the gradient"):
        check_create_graph_is_first_order(lambda x: (x * next(scales)).sin().sum(), [np.array([0.3, 1.7])])


# --- third derivatives of closed forms ----------------------------------------------------

THIRD: list[tuple[str, Fn, Callable[[float], float]]] = [
    ("x**3", lambda x: x**3, lambda x: 6.0),
    ("x*x*x", lambda x: x * x * x, lambda x: 6.0),
    ("sin", lambda x: x.sin(), lambda x: -math.cos(x)),
    ("cos", lambda x: x.cos(), math.sin),
    ("exp", lambda x: x.exp(), math.exp),
    ("log", lambda x: x.log(), lambda x: 2 / x**3),
    ("tanh", lambda x: x.tanh(), lambda x: 2 * (1 - math.tanh(x) ** 2) * (3 * math.tanh(x) ** 2 - 1)),
]


def third_derivative(f: Fn, x: Any) -> Any:
    """grad(grad(grad(f))) at x: elementwise for an array x (f is elementwise)."""
    if isinstance(x, float):
        return grad(grad(grad(f)))(x)

    def d(g: Fn) -> Fn:
        return lambda t: grad(lambda s: g(s).sum())(t)

    return d(d(d(f)))(x)


@pytest.mark.parametrize(("f", "closed"), [(f, c) for _, f, c in THIRD], ids=[n for n, _, _ in THIRD])
@settings(max_examples=20)
@given(x=floats(0.2, 3))
def test_third_derivatives_of_closed_forms(f: Fn, closed: Callable[[float], float], x: float) -> None:
    exact = closed(x)
    assert_close(third_derivative(f, x), exact, tol=1e-13)
    assert_close(third_derivative(f, np.array([x, x / 2])), np.array([exact, closed(x / 2)]), tol=1e-13)


def test_third_derivative_of_a_cube_is_exactly_six() -> None:
    assert third_derivative(lambda x: x**3, 1.3) == 6.0
    assert np.array_equal(third_derivative(lambda x: x * x * x, np.array([-2.0, 0.5])), [6.0, 6.0])


def test_negative_control_a_constant_derivative_fails_the_third_derivative() -> None:
    tanh3 = THIRD[-1][2]
    with pytest.raises(AssertionError, match="mismatch"):
        assert_close(third_derivative(lambda x: apply(FROZEN_TANH, x), 0.7), tanh3(0.7), tol=1e-13)


# --- second derivatives through kinks ---------------------------------------------------------

KINKS: list[tuple[str, Fn, Callable[[float], float]]] = [
    ("relu", lambda x: x.relu(), lambda x: 0.0),
    ("relu(x) * x", lambda x: x.relu() * x, lambda x: 2.0 * (x > 0)),
    ("abs(x) * x", lambda x: x.abs() * x, lambda x: 2.0 * math.copysign(1, x)),
    ("clip(x) * x", lambda x: x.clip(-1.0, 1.0) * x, lambda x: 2.0 * (abs(x) < 1)),
    ("leaky_relu(x) * x", lambda x: x.leaky_relu(0.1) * x, lambda x: 2.0 if x > 0 else 0.2),
    ("maximum(x, -x) * x", lambda x: x.maximum(-x) * x, lambda x: 2.0 * math.copysign(1, x)),
    ("minimum(x, 0.5) * x", lambda x: x.minimum(0.5) * x, lambda x: 2.0 * (x < 0.5)),
    ("elu", lambda x: x.elu(0.5), lambda x: 0.5 * math.exp(x) if x < 0 else 0.0),
]
AWAY_FROM_KINKS = well_conditioned_floats(-3, 3, avoid=(0.0, 0.5, 1.0, -1.0), margin=0.01)


@pytest.mark.parametrize(("f", "closed"), [(f, c) for _, f, c in KINKS], ids=[n for n, _, _ in KINKS])
@settings(max_examples=20)
@given(x=AWAY_FROM_KINKS, y=AWAY_FROM_KINKS)
def test_second_derivatives_through_kinks_are_the_smooth_pieces(f: Fn, closed: Callable[[float], float],
                                                                  x: float, y: float) -> None:
    assert_close(grad(grad(f))(x), closed(x), tol=1e-14)
    h = hessian(lambda t: f(t).sum())(np.array([x, y]))
    assert_close(h, np.diag([closed(x), closed(y)]), tol=1e-14)


@given(x=well_conditioned_arrays((4,), distinct=True))
def test_second_derivative_through_max_is_its_smooth_piece(x: np.ndarray) -> None:
    """max(x) Σ x = x_k Σ x with k the argmax: H = e_k 1ᵀ + 1 e_kᵀ."""
    e = np.eye(4)[np.argmax(x)]
    ones = np.ones(4)
    assert np.array_equal(hessian(lambda t: t.max() * t.sum())(x), np.outer(e, ones) + np.outer(ones, e))


# --- nesting, return kinds, ignored arguments ----------------------------------------------

def test_an_inner_grad_closing_over_the_outer_variable() -> None:
    """d/dx [x · d/dy (x y)] = d/dx x² = 2x: the inner derivative keeps x as a variable."""
    assert grad(lambda x: x * grad(lambda y: x * y)(1.0))(2.0) == 4.0
    got = grad(lambda x: (x * grad(lambda y: (x * y).sum())(np.ones(2))).sum())(np.array([2.0, 3.0]))
    assert np.array_equal(got, [4.0, 6.0])


def test_argnums_pick_and_order_the_gradients() -> None:
    f = lambda a, b, c: a * b * c * c  # noqa: E731
    assert grad(f, argnums=(2, 0))(2.0, 3.0, 5.0) == (60.0, 75.0)
    assert grad(f, argnums=-1)(2.0, 3.0, 5.0) == 60.0
    assert grad(f, argnums=1)(2.0, 3.0, 5.0) == 50.0
    assert grad(f, argnums=(1,))(2.0, 3.0, 5.0) == (50.0,)


def test_value_and_grad_gives_the_value_of_f() -> None:
    value, g = value_and_grad(lambda x: x * x.sin())(0.5)
    assert value == 0.5 * math.sin(0.5) and g == pytest.approx(math.sin(0.5) + 0.5 * math.cos(0.5), rel=1e-15)
    value, g = value_and_grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    assert float(value) == 5.0 and np.array_equal(g, [2.0, 4.0])


def test_vjp_fn_may_be_called_again() -> None:
    x = np.array([0.3, -1.2, 2.0])
    _, vjp_fn = vjp(lambda t: (t * t).sin(), x)
    u = np.array([1.0, 2.0, -0.5])
    (first,), (again,), (twice,) = vjp_fn(u), vjp_fn(u), vjp_fn(2 * u)
    assert np.array_equal(first, again) and np.array_equal(twice, 2 * first)


def test_jvp_takes_lists() -> None:
    f = lambda x, y: x * y.sin()  # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    as_tuples = jvp(f, (x, y), (np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    as_lists = jvp(f, [x, y], [[1.0, 0.0], [0.0, 1.0]])
    assert all(np.array_equal(a, b) for a, b in zip(as_tuples, as_lists))
    assert jvp(lambda a: a * a, [3.0], [1.0]) == (9.0, 6.0)


KINDS_GIVEN: dict[str, tuple[Callable[[], Any], type]] = {
    "float": (lambda: 0.7, float),
    "ndarray": (lambda: np.array([0.7, -0.3]), np.ndarray),
    "0-d ndarray": (lambda: np.array(0.7), np.ndarray),
    "Value": (lambda: Value(0.7), Value),
    "Tensor": (lambda: Tensor([0.7, -0.3], requires_grad=True), Tensor),
}


@pytest.mark.parametrize("kind", sorted(KINDS_GIVEN))
def test_what_comes_out_is_what_went_in(kind: str) -> None:
    """A float gives floats, an array arrays (0-d ones too); a node gives nodes with a graph
    back to it.  In order: grad, value_and_grad, jacobian, hessian, jvp, vjp."""
    make, expected = KINDS_GIVEN[kind]
    x = make()
    vector = lambda t: t * t.sin()  # noqa: E731
    is_array = isinstance(x, (np.ndarray, Tensor))
    scalar = (lambda t: vector(t).sum()) if is_array else vector
    one = np.ones(np.shape(_numbers(x))) if is_array else 1.0
    results = [grad(scalar)(x), value_and_grad(scalar)(x)[1], jacobian(vector)(x), hessian(scalar)(x),
               jvp(vector, (x,), (one,))[1], vjp(vector, x)[1](one)[0]]
    kinds = dict(zip(["grad", "value_and_grad", "jacobian", "hessian", "jvp", "vjp"],
                     (type(r).__name__ for r in results)))
    assert all(type(r) is expected for r in results), f"{kind} in, {expected.__name__} expected: {kinds}"
    for r in results:
        if isinstance(r, Node):
            assert r.op is not None
            x.zero_grad()
            (r.sum() if isinstance(r, Tensor) else r).backward()
            assert has_grad(x)


def test_an_outer_no_grad_changes_no_derivative() -> None:
    """As torch.func's transforms: f's derivatives do not depend on a no_grad() around the
    call (one inside f still makes a constant of what it computes)."""

    def f(x: Any) -> Any:
        with no_grad():
            c = x * 2.0
        return x * x * c.sum() if isinstance(x, Tensor) else x * x * c

    def derivatives() -> tuple[Any, ...]:  # c = 2x = 6 a constant: f = 6x², f' = 12x, f'' = 12
        return (grad(f)(3.0), hessian(f)(3.0), jvp(f, (3.0,), (1.0,))[1],
                grad(lambda t: f(t).sum())(np.array([3.0])).tolist())

    assert derivatives() == (36.0, 12.0, 36.0, [36.0])
    with no_grad():
        assert derivatives() == (36.0, 12.0, 36.0, [36.0])


def test_an_argument_f_ignores_gets_zeros() -> None:
    assert grad(lambda x, y: x * x, argnums=(0, 1))(3.0, 2.0) == (6.0, 0.0)
    x, y = np.array([1.0, 2.0]), np.ones((2, 3), np.float32)
    g = grad(lambda a, b: (a * a).sum(), argnums=(0, 1))(x, y)[1]
    assert g.dtype == np.float32 and np.array_equal(g, np.zeros((2, 3)))
    h = hessian(lambda a, b: (a * a).sum(), argnums=(0, 1))(x, y)
    assert np.array_equal(h[0][1], np.zeros((2, 2, 3))) and np.array_equal(h[1][1], np.zeros((2, 3, 2, 3)))
    assert np.array_equal(jacobian(lambda a, b: a.sin(), argnums=(0, 1))(x, y)[1], np.zeros((2, 2, 3)))
    assert jvp(lambda a: Value(2.0), (1.0,), (1.0,)) == (2.0, 0.0)
    assert np.array_equal(vjp(lambda a, b: b.sin(), x, y)[1](np.ones((2, 3)))[0], [0.0, 0.0])
    assert grad(lambda a: 3.0)(1.0) == 0.0


# --- bad input -----------------------------------------------------------------------------

BAD: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("non-scalar grad", lambda: grad(lambda x: x * 2)(np.ones(3)), ValueError,
     r"shape \(3,\).*autograd\.jacobian\(f\).*autograd\.vjp"),
    ("non-scalar hessian", lambda: hessian(lambda x: x * 2)(np.ones(3)), ValueError, r"jacobian.*vjp"),
    ("float and array", lambda: grad(lambda x, y: x * y, argnums=(0, 1))(1.0, np.ones(2)), TypeError,
     r"mix the two engines.*np\.asarray\(x\).*float"),
    ("Tensor from Values", lambda: grad(lambda x: Tensor([x.data]).sum())(1.0), TypeError,
     r"Tensor from Value arguments.*Tensor\(v\.data\)"),
    ("Value from Tensors", lambda: grad(lambda x: Value(x.sum().item()))(np.ones(2)), TypeError,
     r"Value from Tensor arguments.*item\(\)"),
    ("jvp counts", lambda: jvp(lambda x, y: x * y, (1.0, 2.0), (1.0,)), ValueError,
     r"2 primal\(s\) but 1 tangent\(s\)"),
    ("jvp shapes", lambda: jvp(lambda x: x * 2, (np.ones(3),), (np.ones(2),)), ValueError,
     r"tangent 0 has shape \(2,\), its primal \(3,\)"),
    ("jvp tangent kind", lambda: jvp(lambda x: x, (1.0,), (np.ones(2),)), TypeError,
     r"tangent 0 must be a number"),
    ("jvp not tuples", lambda: jvp(lambda x: x, 1.0, 1.0), TypeError, r"tuples \(or lists\)"),
    ("vjp cotangent shape", lambda: vjp(lambda x: x * 2, np.ones(3))[1](np.ones(2)), ValueError,
     r"cotangent has shape \(2,\), the output \(3,\)"),
    ("argnums out of range", lambda: grad(lambda x: x, argnums=1)(1.0), ValueError,
     r"argnums 1 is out of range for a call with 1"),
    ("negative argnums out of range", lambda: grad(lambda x: x, argnums=-2)(1.0), ValueError,
     r"argnums -2 is out of range"),
    ("argnums twice", lambda: grad(lambda x, y: x, argnums=(0, 0))(1.0, 2.0), ValueError, r"twice"),
    ("argnums empty", lambda: grad(lambda x: x, argnums=())(1.0), ValueError, r"empty"),
    ("not a number", lambda: grad(lambda x: x)("a"), TypeError, r"argument 0 is str"),
]


@pytest.mark.parametrize(("call", "error", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_the_fix(call: Callable[[], Any], error: type[Exception],
                                           message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def _sin_op(name: str, derivative: Callable[[Any], Any]) -> Op:
    """sin(x) with the given (raw numpy or math) derivative of x."""

    class RawSin(Op):
        formula, partials, symbol = "sin(x)", ("cos(x)",), name

        def forward(self, m: Any, x: Any) -> Any:
            return m.sin(x)

        def derivative(self, m: Any, out: Any, x: Any) -> tuple[Any, ...]:
            return (derivative(x),)

    RawSin.name = name
    return RawSin()


RAW: list[tuple[str, Any, Callable[[Any], Any]]] = [
    ("math_cos", 0.4, math.cos),
    ("np_where", np.array([0.4, 1.0]), lambda x: np.where(True, np.cos(x), 0.0)),
    ("np_asarray", np.array([0.4, 1.0]), lambda x: np.cos(np.asarray(x, dtype=np.float64))),
]


@pytest.mark.parametrize(("name", "x", "derivative"), RAW, ids=[r[0] for r in RAW])
def test_a_derivative_the_recording_backend_cannot_run_is_a_type_error_naming_the_op(
        name: str, x: Any, derivative: Callable[[Any], Any]) -> None:
    """It works at first order; differentiated again it cannot be recorded, and says so."""
    op = _sin_op(name, derivative)
    f = (lambda t: apply(op, t)) if isinstance(x, float) else (lambda t: apply(op, t).sum())
    assert_close(grad(f)(x), np.cos(x), tol=1e-15)
    leaf = _leaves([x])[0]
    with pytest.raises(TypeError, match=rf"create_graph: the derivative of {name} cannot be differentiated"):
        f(leaf).backward(create_graph=True)
    with pytest.raises(TypeError, match=rf"the derivative of {name}.*backend m"):
        hessian(f)(x)


@pytest.mark.parametrize("x", [0.5, np.array([0.5, -1.0])], ids=["Value", "Tensor"])
def test_a_leaf_changed_after_the_forward_pass_is_a_value_error(x: Any) -> None:
    (leaf,) = _leaves([x])
    leaf.label = "w"
    out = leaf * leaf.sin()
    leaf.data = x * 2
    changed = (r"the (Value|Tensor) 'w' that mul read in the forward pass has new data since "
               r"\(p\.data was changed\)")
    with pytest.raises(ValueError, match=changed):
        (out if isinstance(out, Value) else out.sum()).backward(create_graph=True)


def test_reading_a_leafs_data_is_no_change() -> None:
    """Reading ``x.data`` (copy-on-write hands out a writable copy) changes no value."""
    x = Tensor([1.0, -2.0], requires_grad=True)
    out = (x * x).sum()
    assert np.array_equal(x.data, [1.0, -2.0])
    out.backward(create_graph=True)
    assert isinstance(x.grad, Tensor) and np.array_equal(x.grad.data, [2.0, -4.0])


# --- against PyTorch -----------------------------------------------------------------------

@settings(max_examples=25)
@given(data=st.data(), tree=trees(2, TORCH_KINDS), shape_pair=SMALL_PAIRS)
def test_hessian_and_hvp_match_pytorch(data: st.DataObject, tree: Tree,
                                       shape_pair: tuple[tuple[int, ...], ...]) -> None:
    torch = pytest.importorskip("torch")
    xs = [data.draw(arrays(s, -2, 2)) for s in shape_pair]
    vs = [data.draw(arrays(s, -1, 1)) for s in shape_pair]
    r = upstream(np.broadcast_shapes(*shape_pair))

    def torch_f(*ts: Any) -> Any:
        return (evaluate(tree, ts) * torch.from_numpy(r)).sum()

    ours = full_hessian(lambda *ts: (evaluate(tree, ts) * r).sum(), xs)
    theirs = torch.autograd.functional.hessian(torch_f, tuple(torch.from_numpy(x) for x in xs))
    sizes = [x.size for x in xs]
    theirs_full = np.block([[theirs[a][b].numpy().reshape(sizes[a], sizes[b]) for b in range(2)]
                            for a in range(2)])
    assert_close(ours, theirs_full, tol=1e-10)
    _, their_hv = torch.autograd.functional.hvp(torch_f, tuple(torch.from_numpy(x) for x in xs),
                                                tuple(torch.from_numpy(v) for v in vs))
    ours_hv = hvp(lambda *ts: (evaluate(tree, ts) * r).sum(), xs, vs)
    for a, b in zip(ours_hv, their_hv):
        assert_close(a, b.numpy(), tol=1e-10)


def test_a_zero_tangent_reads_no_derivative_at_a_kink() -> None:
    """The direction (0, 1) does not move x, so relu's missing second derivative at x = 0 is
    never needed: the same number as differentiating along w alone, no error."""
    f = grad(lambda x, w: x.relu() * w, argnums=0)
    assert jvp(f, (0.0, 2.0), (0.0, 1.0)) == jvp(lambda w: f(0.0, w), (2.0,), (1.0,)) == (0.0, 0.0)
    with pytest.raises(NoDerivativeError, match="relu"):  # negative control: moving x needs it
        jvp(f, (0.0, 2.0), (1.0, 0.0))
