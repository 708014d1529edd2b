"""The names a learner reads in a picture or a trace: an MLP's scopes number its layers
l = 1 ... L as its labels do, and every number a loss brings into the graph is labelled."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nn
from autograd import Tensor, Value, scope
from autograd.extend import topological_order

NUMBERED = re.compile(r"[wWbza]\[(\d+)\]")
"""A label that numbers its layer: w[2][0,1], W[2], b[2][0], z[2][0], a[2][0]."""
LAYER_SCOPE = re.compile(r"MLP\.layer(\d+)\.(Linear|Sigmoid)")


def run(engine: str, net: nn.MLP) -> tuple[Any, Any]:
    """The output of ``net`` (one output neuron) on one example and its mse loss."""
    if engine == "value":
        (out,) = net([0.5, -1.0])
        return out, nn.mse_loss([out], [1.0])
    out = net(Tensor(np.array([[0.5, -1.0]])))
    return out, nn.mse_loss(out, np.array([[1.0]]))


def layer_errors(out: Any, loss: Any) -> list[str]:
    """'label-or-op: scope' for each op node whose scope does not say which layer made it: a node
    of the net must be in ``MLP.layer{l}.<module>`` with l the layer number of its own label, of
    its parameters' labels and at least that of the net's nodes it reads; a loss node outside it."""
    by_net = {id(n) for n in topological_order(out) if n.op is not None}
    layer: dict[int, int] = {}
    errors = []
    for node in topological_order(loss):
        if node.op is None:
            continue
        where = f"{node.label or node.op.name}: {node.scope}"
        found = LAYER_SCOPE.fullmatch(node.scope or "")
        if id(node) not in by_net:
            if (node.scope or "").startswith("MLP"):
                errors.append(where)
            continue
        if found is None:
            errors.append(where)
            continue
        layer[id(node)] = number = int(found.group(1))
        named = [node, *(p for p in node.parents if p.op is None)]
        numbers = {int(m.group(1)) for m in (NUMBERED.match(n.label or "") for n in named) if m}
        read = [layer[id(p)] for p in node.parents if id(p) in layer]
        if numbers - {number} or any(r > number for r in read):
            errors.append(where)
    return errors


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_mlp_scopes_number_the_layers_as_its_labels_do(engine: str) -> None:
    net = nn.MLP([2, 3, 1], output_activation="sigmoid", engine=engine, rng=0)
    out, loss = run(engine, net)
    assert layer_errors(out, loss) == []
    scopes = {n.scope for n in topological_order(loss) if n.op is not None}
    assert scopes == {"MLP.layer1.Linear", "MLP.layer1.Sigmoid", "MLP.layer2.Linear", "MLP.layer2.Sigmoid",
                      None}
    assert isinstance(net.layers, nn.Sequential)
    names = [n for n, _ in net.named_parameters()]
    if engine == "tensor":
        assert names == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    else:
        assert names[0] == "layers.0.weight[0,0]" and names[-1] == "layers.2.bias[0]"
    assert list(net.state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]


def test_every_labelled_node_of_the_value_engine_sits_in_its_layer() -> None:
    net = nn.MLP([2, 3, 1], engine="value", rng=0)
    out, loss = run("value", net)
    for node in topological_order(loss):
        m = NUMBERED.match(node.label or "")
        if m and node.op is not None:  # z[l][j], a[l][j]; parameters are leaves, made outside any call
            assert node.scope is not None and f"layer{m.group(1)}" in node.scope.split("."), node


def _old_forward(self: nn.MLP, x: Any) -> Any:
    return self.layers(x)


def _zero_based_forward(self: nn.MLP, x: Any) -> Any:
    layers: list[Any] = list(self.layers)
    for m in layers:
        with scope(f"layer{m.layer - 1}"):
            x = m(x)
    return x


@pytest.mark.parametrize(("forward", "wrong"), [
    (_old_forward, "z[2][0]: MLP.layers.2"),  # the Sequential's indices, as before
    (_zero_based_forward, "z[2][0]: MLP.layer1.Linear"),  # a layer number off by one
])
def test_negative_control_scopes_that_misnumber_the_layers_fail(forward: Callable[..., Any],
                                                                wrong: str) -> None:
    misnumbered = type("MLP", (nn.MLP,), {"forward": forward})  # named MLP: the scopes begin "MLP."
    net = misnumbered([2, 3, 1], engine="value", rng=0)
    out, loss = run("value", net)
    assert wrong in layer_errors(out, loss)


def test_other_modules_keep_the_general_scope_rule() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.MLP([2, 2, 2], rng=0)
            self.head = nn.Linear(2, 1, rng=0)

        def forward(self, x: Tensor) -> Tensor:
            return self.head(self.body(x))

    out = Net()(np.ones((1, 2)))
    assert {n.scope for n in topological_order(out) if n.op is not None} == {
        "Net.body.layer1.Linear", "Net.body.layer1.Sigmoid", "Net.body.layer2.Linear", "Net.head"}
    seq = nn.MLP([2, 2, 1], rng=0).layers(np.ones((1, 2)))
    assert {n.scope for n in topological_order(seq) if n.op is not None} == {
        "Sequential.0", "Sequential.1", "Sequential.2"}


# -- the losses' constants -----------------------------------------------------------------------
def constants(loss: Any, pred: Any) -> list[str | None]:
    """The labels of the leaves below ``loss`` that ``pred``'s graph does not hold: the numbers
    the loss brought in."""
    values = [v for row in pred for v in (row if isinstance(row, list) else [row])] \
        if isinstance(pred, list) else [pred]
    theirs = {id(n) for v in values for n in topological_order(v)}
    return sorted((n.label for n in topological_order(loss) if n.op is None and id(n) not in theirs),
                  key=str)


def test_mse_loss_labels_its_target_and_its_count() -> None:
    net = nn.MLP([2, 3, 1], engine="value", rng=0)
    (out,) = net([0.5, -1.0])
    loss = nn.mse_loss([out], [1.0])
    assert constants(loss, out) == ["n", "y[0]"]
    unlabelled = [n for n in topological_order(loss) if n.op is None and n.label is None]
    assert unlabelled == []  # parameters w, b, inputs x, and the loss's y and n


@pytest.mark.parametrize(("f", "target", "want"), [
    (nn.mse_loss, [1.0, 0.5], ["n", "y[0]", "y[1]"]),
    (nn.cross_entropy, 1, ["m", "n", "y[1]"]),
    (nn.cross_entropy, [0.25, 0.75], ["m", "n", "y[0]", "y[1]"]),
    (nn.cross_entropy, [0.0, 0.0], ["0", "m", "n"]),
    (nn.binary_cross_entropy, [1.0, 0.0], ["n", "y[0]", "y[1]"]),
    (nn.binary_cross_entropy_with_logits, [1.0, 0.0],
     ["exp(-m[0])", "exp(-m[1])", "m[0]", "m[1]", "n", "y[0]", "y[1]"]),
    (nn.hinge_loss, [1.0, -1.0], ["1", "1", "n", "y[0]", "y[1]"]),
])
def test_every_loss_labels_the_numbers_it_brings_in(f: Callable[..., Any], target: Any,
                                                   want: list[str]) -> None:
    pred = [Value(0.25, label="p0"), Value(0.75)]
    loss = f(pred, target)
    assert constants(loss, pred) == want
    assert [p.label for p in pred] == ["p0", None]  # the user's nodes keep their labels, or none


@pytest.mark.parametrize("f", [nn.mse_loss, nn.binary_cross_entropy, nn.binary_cross_entropy_with_logits,
                               nn.hinge_loss])
def test_a_batch_indexes_the_constants_by_example_then_output(f: Callable[..., Any]) -> None:
    pred = [[Value(0.25), Value(0.75)], [Value(0.5), Value(0.125)]]
    target = [[1.0, -1.0], [-1.0, 1.0]] if f is nn.hinge_loss else [[1.0, 0.0], [0.0, 1.0]]
    labels = constants(f(pred, target), pred)
    assert {"y[0][0]", "y[0][1]", "y[1][0]", "y[1][1]", "n"} <= set(labels)
    assert None not in labels
    z = [[Value(1.0), Value(-1.0)], [Value(0.5), Value(2.0)]]
    assert constants(nn.cross_entropy(z, np.array([1, 0])), z) == ["m[0]", "m[1]", "n", "y[0][1]", "y[1][0]"]


def test_a_loss_never_takes_a_users_value_as_its_target() -> None:
    """The constants it labels are always its own: a Value target is refused, so no user label is lost."""
    with pytest.raises(TypeError, match="mse_loss: target must hold numbers"):
        nn.mse_loss([Value(0.5)], [Value(1.0, label="t")])


def test_labelled_mse_keeps_its_value_and_gradient() -> None:
    a, y = [0.8, -0.3], [1.0, 0.5]
    pred = [Value(a[0]), Value(a[1])]
    loss = nn.mse_loss(pred, y)
    loss.backward()
    d = [a[0] - y[0], a[1] - y[1]]
    assert loss.data == (d[0] * d[0] + d[1] * d[1]) / 2  # Σ (a - y)² / n, bit for bit
    assert [p.grad for p in pred] == [pytest.approx(2 * dj / 2, rel=1e-15) for dj in d]  # 2 (a - y) / n


@pytest.mark.parametrize("f", [nn.mse_loss, nn.cross_entropy, nn.binary_cross_entropy,
                               nn.binary_cross_entropy_with_logits, nn.hinge_loss])
def test_on_tensors_the_constants_are_no_nodes(f: Callable[..., Any]) -> None:
    pred = Tensor([[0.25, 0.75]], requires_grad=True)
    target = np.array([1]) if f is nn.cross_entropy else np.array([[1.0, -1.0]]) if f is nn.hinge_loss \
        else np.array([[1.0, 0.0]])
    leaves = [n for n in topological_order(f(pred, target)) if n.op is None]
    assert leaves == [pred]
