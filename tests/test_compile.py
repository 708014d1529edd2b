"""``autograd.compile``: the generated program gives the engine's loss and gradients (and the
textbook's), natural and fused code compile to one program, optimizers' updates compiled in
equal their ``step()``, saved programs run with numpy alone, and every way a function can fail
to be a function of its arguments is refused or traced anew -- never a stale program."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import NotCompilable, Tensor, compile, linear, where
from autograd.emitting import EmitMath
from tests.test_nn_textbook import build, cases, loss_of, model_output, textbook_grads, worst_relative

SIZES = [12, 6, 5, 3]
FACTOR = 2.0
"""A global a compiled function reads by name (test_a_changed_global_or_captured_tensor_traces_again)."""


def parameters(rng: np.random.Generator, dtype: Any = np.float64) -> tuple[list[Tensor], list[Tensor]]:
    Ws = [Tensor(rng.uniform(-1, 1, (SIZES[i + 1], SIZES[i])).astype(dtype), requires_grad=True)
          for i in range(len(SIZES) - 1)]
    bs = [Tensor(rng.uniform(-1, 1, SIZES[i + 1]).astype(dtype), requires_grad=True)
          for i in range(len(SIZES) - 1)]
    return Ws, bs


def natural(Ws: list[Tensor], bs: list[Tensor]) -> Any:
    def loss_fn(x: Tensor, y: Tensor) -> Tensor:
        a = x
        for W, b in zip(Ws, bs):
            a = (a @ W.T + b).sigmoid()
        return ((a - y) ** 2).mean()
    return loss_fn


def fused(Ws: list[Tensor], bs: list[Tensor]) -> Any:
    def loss_fn(x: Tensor, y: Tensor) -> Tensor:
        a = x
        for W, b in zip(Ws, bs):
            a = linear(a, W, b).sigmoid()
        return nn.mse_loss(a, y)
    return loss_fn


def data(rng: np.random.Generator, batch: int, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    x = rng.random((batch, SIZES[0])).astype(dtype)
    return x, np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], batch)]


def eager_grads(loss_fn: Any, params: list[Tensor], *args: Any) -> tuple[float, list[np.ndarray]]:
    for p in params:
        p.grad = None
    loss = loss_fn(*(Tensor(a) if a.dtype.kind == "f" else a for a in args))
    loss.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.grad = None
    return loss.item(), grads


def compiled_grads(step: Any, params: list[Tensor], *args: Any) -> tuple[float, list[np.ndarray]]:
    for p in params:
        p.grad = None
    loss = step(*args).item()
    grads = [p.grad for p in params]
    for p in params:
        p.grad = None
    return loss, grads


# -- the program computes what backward() computes --------------------------------------------------

@settings(max_examples=40)
@given(cases())
def test_compiled_step_equals_the_engine_and_the_textbook(case: Any) -> None:
    net = build(case, "tensor")
    params = [q for layer in net.linears() for q in (layer.weight, layer.bias)]
    step = compile(lambda x, y: loss_of(case, net(x)))
    loss, got = compiled_grads(step, params, case.X, case.Y)
    want_loss, want = eager_grads(lambda x, y: loss_of(case, net(x)), params, case.X, case.Y)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    assert worst_relative(got, want) < 1e-12
    textbook, cost = textbook_grads(case, model_output(case))
    assert worst_relative(got, textbook) < 1e-10
    assert loss == pytest.approx(cost, rel=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [1, 5])
def test_natural_and_fused_code_compile_to_one_program(dtype: Any, batch: int) -> None:
    rng = np.random.default_rng(1)
    Ws, bs = parameters(rng, dtype)
    x, y = data(rng, batch, dtype)
    steps = [compile(natural(Ws, bs)), compile(fused(Ws, bs))]
    results = [compiled_grads(s, Ws + bs, x, y) for s in steps]
    assert [_shape_of(s.source) for s in steps][0] == _shape_of(steps[1].source)
    want = eager_grads(natural(Ws, bs), Ws + bs, x, y)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for loss, grads in results:
        assert loss == pytest.approx(want[0], rel=tolerance)
        assert worst_relative(grads, want[1]) < tolerance


def test_a_difference_squared_by_a_product_is_the_squared_error() -> None:
    rng = np.random.default_rng(12)
    Ws, bs = parameters(rng)
    x, y = data(rng, 3)

    def product(x: Tensor, y: Tensor) -> Tensor:
        a = x
        for W, b in zip(Ws, bs):
            a = (a @ W.T + b).sigmoid()
        d = a - y
        return (d * d).mean()
    steps = [compile(product), compile(fused(Ws, bs))]
    for s in steps:
        s(x, y)
    assert _shape_of(steps[0].source) == _shape_of(steps[1].source)


def _shape_of(source: str) -> list[str]:
    """The program's lines with its variables renamed v1, v2, ... in order of appearance and
    comments dropped: two programs that differ only in names have the same shape."""
    body = source.split("\ndef step(", 1)[1]
    names: dict[str, str] = {}

    def rename(m: re.Match[str]) -> str:
        word = m.group(0)
        keyword = m.string[m.end():m.end() + 1] == "=" and m.string[m.end():m.end() + 2] != "=="
        if word in ("np", "True", "False", "None", "return", "if", "not") or keyword:
            return word
        return names.setdefault(word, f"v{len(names) + 1}")
    return [re.sub(r"(?<![.\w])[A-Za-z_]\w*", rename, line.split("  #")[0]) for line in body.splitlines()[2:]]


def test_the_program_reads_as_the_textbook() -> None:
    """The delta formulas of the blog appear, generated: δ(3) = ∂C/∂a ⊙ σ'(z), dW = δᵀ a."""
    model = nn.MLP([4, 3, 2], activation="sigmoid", output_activation="sigmoid", rng=0)
    step = compile(lambda x, y: nn.mse_loss(model(x), y))
    step(np.ones((5, 4)), np.zeros((5, 2)))
    source = step.source
    for line in ("z1 = np.dot(x, W1.T) + b1", "a2 = 1.0 / (1.0 + np.exp(-z2))",
                 "dz2 = da2 * (a2 * (1.0 - a2))", "dW2 = np.dot(dz2.T, a1)", "da1 = np.dot(dz2, W2)"):
        assert line in source, source
    assert "# z[2] = a[1] @ W[2]ᵀ + b[2]" in source


def test_new_shapes_trace_again() -> None:
    rng = np.random.default_rng(2)
    Ws, bs = parameters(rng)
    step = compile(natural(Ws, bs))
    for batch in (4, 1, 4, 7):
        x, y = data(rng, batch)
        got = compiled_grads(step, Ws + bs, x, y)
        want = eager_grads(natural(Ws, bs), Ws + bs, x, y)
        assert got[0] == pytest.approx(want[0], rel=1e-12)
        assert worst_relative(got[1], want[1]) < 1e-12
    assert "3 program(s)" in repr(step)


def test_gradients_add_up_and_arguments_that_require_grad_get_theirs() -> None:
    rng = np.random.default_rng(3)
    Ws, bs = parameters(rng)
    x, y = data(rng, 3)
    step = compile(natural(Ws, bs))
    xt = Tensor(x, requires_grad=True)
    step(xt, y)
    step(xt, y)
    twice = Ws[0].grad
    _, want = eager_grads(natural(Ws, bs), Ws + bs, x, y)
    assert np.allclose(twice, 2 * want[0])
    reference = Tensor(x, requires_grad=True)
    natural(Ws, bs)(reference, Tensor(y)).backward()
    assert xt.grad is not None and np.allclose(xt.grad, 2 * reference.grad)


def test_integer_labels_and_cross_entropy() -> None:
    model = nn.MLP([6, 5, 4], activation="relu", rng=0)
    step = compile(lambda x, labels: nn.cross_entropy(model(x), labels))
    rng = np.random.default_rng(4)
    for _ in range(3):  # new labels at every call: they are an argument, not a constant
        x, labels = rng.normal(size=(8, 6)), rng.integers(0, 4, 8)
        params = list(model.parameters())
        got = compiled_grads(step, params, x, labels)
        want = eager_grads(lambda x, t: nn.cross_entropy(model(x), t), params, x, labels)
        assert got[0] == pytest.approx(want[0], rel=1e-12)
        assert worst_relative(got[1], want[1]) < 1e-12


# -- optimizers -------------------------------------------------------------------------------------

OPTIMIZERS = {
    "sgd": lambda ps: nn.optim.SGD(ps, lr=0.5),
    "momentum": lambda ps: nn.optim.SGD(ps, lr=0.5, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "nesterov": lambda ps: nn.optim.SGD(ps, lr=0.5, momentum=0.9, nesterov=True),
    "rmsprop": lambda ps: nn.optim.RMSProp(ps, lr=0.01, weight_decay=0.1),
    "adam": lambda ps: nn.optim.Adam(ps, lr=0.01, weight_decay=0.1),
    "adamw": lambda ps: nn.optim.AdamW(ps, lr=0.01),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_compiled_update_is_the_optimizers_step(name: str) -> None:
    """Three steps, with a learning rate changed between them (a schedule): the same
    parameters and optimizer state as zero_grad(); backward(); step()."""
    runs = []
    for compiled in (False, True):
        rng = np.random.default_rng(5)
        Ws, bs = parameters(rng)
        opt = OPTIMIZERS[name](Ws + bs)
        loss_fn = fused(Ws, bs)
        step = compile(loss_fn, optimizer=opt) if compiled else None
        for k in range(3):
            x, y = data(rng, 4)
            opt.lr *= 0.5 if k == 2 else 1.0
            if step is not None:
                step(x, y)
            else:
                opt.zero_grad()
                loss_fn(Tensor(x), Tensor(y)).backward()
                opt.step()
        runs.append(([p.data.copy() for p in Ws + bs], opt.state_dict()))
    (eager, eager_state), (compiled_params, compiled_state) = runs
    assert worst_relative(compiled_params, eager) < 1e-13
    for key, value in eager_state.items():
        assert np.allclose(compiled_state[key], value, rtol=1e-12, atol=1e-15), key


def test_a_non_finite_loss_applies_no_update() -> None:
    rng = np.random.default_rng(6)
    Ws, bs = parameters(rng)
    opt = nn.optim.SGD(Ws + bs, lr=0.5, momentum=0.9)
    step = compile(fused(Ws, bs), optimizer=opt)
    x, y = data(rng, 4)
    step(x, y)
    before = [p.data.copy() for p in Ws + bs], [v.copy() for v in opt.state["velocity"]]
    x[1, 2] = np.nan
    with pytest.raises(FloatingPointError, match="the loss is nan .* update was not applied"):
        step(x, y)
    assert all(np.array_equal(p.data, b) for p, b in zip(Ws + bs, before[0]))
    assert all(np.array_equal(v, b) for v, b in zip(opt.state["velocity"], before[1]))


def test_fit_compiled_takes_the_same_steps() -> None:
    rng = np.random.default_rng(7)
    X, labels = rng.random((50, 8)), rng.integers(0, 3, 50)
    histories = []
    for compiled in (False, True):
        model = nn.MLP([8, 6, 3], activation="sigmoid", output_activation="sigmoid", rng=0)
        opt = nn.optim.SGD(model.parameters(), lr=2.0)
        histories.append(nn.fit(model, opt, X, labels, epochs=2, batch_size=16, rng=1, progress=False,
                                compile=compiled).losses)
    assert len(histories[0]) == len(histories[1]) == 8
    assert np.allclose(histories[0], histories[1], rtol=1e-12)


# -- the program as a module ------------------------------------------------------------------------

def test_saved_program_runs_with_numpy_alone(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    Ws, bs = parameters(rng)
    x, y = data(rng, 3)
    step = compile(fused(Ws, bs))
    params = [p for pair in zip(Ws, bs) for p in pair]  # the program's order: its inputs W1, b1, W2, ...
    loss, grads = compiled_grads(step, params, x, y)
    path = tmp_path / "step.py"
    step.save(str(path))
    assert "def step(x, y, Ws0, bs0, Ws1, bs1, Ws2, bs2):" in path.read_text()
    arrays = tmp_path / "arrays.npz"
    np.savez(arrays, *[p.data for p in params], x=x, y=y)
    script = (
        "import importlib.util, sys, numpy as np\n"
        f"spec = importlib.util.spec_from_file_location('step', {str(path)!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('autograd', 'nn')]\n"
        f"a = np.load({str(arrays)!r})\n"
        "loss, grads = module.step(a['x'], a['y'], *[a[f'arr_{i}'] for i in range(6)])\n"
        f"np.savez({str(tmp_path / 'out.npz')!r}, loss, *grads)\n")
    subprocess.run([sys.executable, "-I", "-c", script], check=True, cwd=tmp_path)
    out = np.load(tmp_path / "out.npz")
    assert float(out["arr_0"]) == loss
    assert all(np.array_equal(out[f"arr_{i + 1}"], g) for i, g in enumerate(grads))


def test_source_before_the_first_call_says_what_to_do() -> None:
    with pytest.raises(ValueError, match="call the step once first"):
        _ = compile(lambda x: x.sum()).source


# -- bad input: refused, or traced anew; never a stale program --------------------------------------

def test_wrong_arguments_are_refused() -> None:
    rng = np.random.default_rng(9)
    Ws, bs = parameters(rng)
    x, y = data(rng, 2)
    step = compile(fused(Ws, bs))
    step(x, y)
    with pytest.raises(TypeError, match=r"traced with 2 argument\(s\) \(array, array\), got 3"):
        step(x, y, y)
    with pytest.raises(TypeError, match="argument 1 is a list"):
        step(x, y.tolist())
    with pytest.raises(TypeError, match="must be callable"):
        compile(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="optimizer of nn.optim"):
        compile(fused(Ws, bs), optimizer=object())


def test_a_non_scalar_loss_or_no_tensor_is_refused() -> None:
    W = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="shape \\(4, 2\\).*one-element loss"):
        compile(lambda x: x @ W.T)(np.ones((4, 3)))
    with pytest.raises(TypeError, match="must return a Tensor"):
        compile(lambda x: 1.0)(np.ones((4, 3)))
    with pytest.raises(ValueError, match="no graph"):
        compile(lambda x: Tensor(np.ones(())))(np.ones((4, 3)))


def test_numpy_on_data_in_the_middle_is_refused() -> None:
    W = Tensor(np.full((2, 3), 0.3), requires_grad=True)

    def loss_fn(x: Tensor) -> Tensor:
        h = Tensor(np.tanh((x @ W.T).data))  # the graph is cut here: h is a constant to the engine
        return (h * (x @ W.T)).sum()
    with pytest.raises(NotCompilable, match="changes with the arguments or parameters"):
        compile(loss_fn)(np.arange(12.0).reshape(4, 3))


def test_control_flow_on_values_is_refused() -> None:
    W = Tensor(np.full((2, 2), 0.5), requires_grad=True)

    def loss_fn(x: Tensor) -> Tensor:
        z = x @ W.T
        return z.sum() if (z.data[0, 0] > 0.6) else z.tanh().sum()
    with pytest.raises(NotCompilable, match="another program .* control flow depends on values"):
        compile(loss_fn)(np.array([[0.9, 0.9], [0.1, 0.1], [0.2, 0.0]]))


def test_a_changed_global_or_captured_tensor_traces_again() -> None:
    W = Tensor(np.full((2, 3), 0.3), requires_grad=True)
    shift = Tensor(np.zeros(2))
    scale = [2.0]

    def loss_fn(x: Tensor) -> Tensor:
        return (((x @ W.T) + shift) * FACTOR * scale[-1]).sigmoid().sum()

    x = np.arange(6.0).reshape(2, 3)
    step = compile(loss_fn)
    step(x)
    for change in (lambda: globals().__setitem__("FACTOR", 3.0),
                   lambda: shift.data.__setitem__(0, 1.5),  # writes a copy: copy-on-write
                   lambda: scale.append(1.0)):
        change()
        W.grad = None
        got = step(x).item()
        want = loss_fn(Tensor(x)).item()
        assert got == want
    globals()["FACTOR"] = 2.0


def test_dropout_in_training_mode_is_refused() -> None:
    model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.Dropout(0.5, rng=0))
    with pytest.raises(NotCompilable, match="changes with the arguments"):
        compile(lambda x: model(x).sum())(np.ones((5, 4)))


def test_the_program_is_checked_against_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative control: a code generator that writes a wrong sigmoid is caught at trace time."""
    monkeypatch.setattr(EmitMath, "sigmoid", staticmethod(lambda x: 1.0 / (1.0 + np.exp(x))))
    W = Tensor(np.full((2, 3), 0.3), requires_grad=True)
    with pytest.raises(NotCompilable, match="disagrees with the engine"):
        compile(lambda x: (x @ W.T).sigmoid().sum())(np.ones((2, 3)))


@given(st.integers(1, 4), st.integers(1, 3))
def test_elementwise_ops_compile(batch: int, seed: int) -> None:
    """Every elementwise op of the table, each through its own program, against backward()."""
    from autograd.ops import UNARY
    rng = np.random.default_rng(seed)
    for name in sorted(UNARY):
        W = Tensor(rng.uniform(0.2, 0.8, (3, 3)), requires_grad=True)

        def loss_fn(x: Tensor, op: str = name, W: Tensor = W) -> Tensor:
            z = x @ W.T
            return (getattr(z, op)() if op != "neg" else -z).sum()
        x = rng.uniform(0.5, 1.5, (batch, 3))
        got = compiled_grads(compile(loss_fn), [W], x)
        want = eager_grads(loss_fn, [W], x)
        assert got[0] == pytest.approx(want[0], rel=1e-12), name
        assert worst_relative(got[1], want[1]) < 1e-12, name


def test_the_documented_program_is_the_generated_one() -> None:
    """docs/math.md shows the student's backward pass as compile writes it: every line there
    is a line of the program generated now."""
    text = (Path(__file__).parent.parent / "docs" / "math.md").read_text(encoding="utf-8")
    section = text.split("### The delta formulas, generated", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    model = nn.MLP([784, 32, 16, 10], activation="sigmoid", output_activation="sigmoid", rng=0,
                   dtype=np.float32)
    opt = nn.optim.SGD(model.parameters(), lr=4.0)
    step = compile(lambda x, y: nn.mse_loss(model(x), y), optimizer=opt)
    rng = np.random.default_rng(0)
    step(rng.random((40, 784), dtype=np.float32), np.eye(10, dtype=np.float32)[rng.integers(0, 10, 40)])
    lines = [line.strip() for line in step.source.splitlines()]
    shown = [line.strip() for line in block.splitlines() if line.strip()]
    assert len(shown) >= 5 and [line for line in shown if line not in lines] == []


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_large_weights_stored_by_columns_step_the_same(name: str) -> None:
    """A weight of 8,192 elements or more is kept column-major by a compiled update (faster
    products): the same values and steps as the engine's, and the layout is only a layout."""
    runs = []
    for compiled in (False, True):
        model = nn.MLP([300, 40, 3], activation="sigmoid", rng=0)
        opt = OPTIMIZERS[name](list(model.parameters()))
        rng = np.random.default_rng(10)
        step = compile(lambda x, y, net=model: nn.mse_loss(net(x), y), optimizer=opt) if compiled else None
        for _ in range(3):
            x, y = rng.random((6, 300)), rng.random((6, 3))
            if step is not None:
                step(x, y)
            else:
                opt.zero_grad()
                nn.mse_loss(model(Tensor(x)), y).backward()
                opt.step()
        runs.append((model, opt))
    (eager, eager_opt), (fast, fast_opt) = runs
    W = fast.linears()[0].weight
    assert W.data.flags.f_contiguous and not eager.linears()[0].weight.data.flags.f_contiguous
    got = [p.data for p in fast.parameters()]
    assert worst_relative(got, [p.data for p in eager.parameters()]) < 1e-13
    for key, value in eager_opt.state_dict().items():
        assert np.allclose(fast_opt.state_dict()[key], value, rtol=1e-12, atol=1e-15), key
    assert W.grad is not None and W.grad.shape == W.shape


def test_two_arguments_that_require_grad_get_theirs() -> None:
    W = Tensor(np.full((2, 3), 0.3), requires_grad=True)
    a, b = Tensor(np.ones((4, 3)), requires_grad=True), Tensor(np.full((4, 3), 2.0), requires_grad=True)
    compile(lambda x, y: ((x * y) @ W.T).tanh().sum())(a, b)
    ra, rb = Tensor(np.ones((4, 3)), requires_grad=True), Tensor(np.full((4, 3), 2.0), requires_grad=True)
    ((ra * rb) @ W.T).tanh().sum().backward()
    assert a.grad is not None and b.grad is not None
    assert np.allclose(a.grad, ra.grad) and np.allclose(b.grad, rb.grad)


def test_every_gradient_is_an_array_of_its_own() -> None:
    """A gradient that is a broadcast value or a constant (of W.sum() times a variable, of
    W.sum()) comes as a writable array of its own, as backward() gives it."""
    W = Tensor(np.ones((2, 3)), requires_grad=True)
    V = Tensor(np.ones(3), requires_grad=True)
    compile(lambda x: W.sum() * (V * x).sum() + V.sum())(np.arange(3.0))
    for p in (W, V):
        assert p.grad is not None and p.grad.flags.writeable and p.grad.flags.owndata, p.grad.flags
    assert np.array_equal(W.grad, np.full((2, 3), 3.0)) and np.array_equal(V.grad, 6 * np.arange(3.0) + 1)


# -- values the two traces cannot tell from constants (found by review) ------------------------------

def _agree(loss_fn: Any, params: list[Tensor], calls: list[tuple[Any, ...]]) -> None:
    """Every call of the compiled step gives the loss and gradients of backward() at its own values."""
    step = compile(loss_fn)
    for args in calls:
        got = compiled_grads(step, params, *args)
        want = eager_grads(loss_fn, params, *args)
        assert got[0] == pytest.approx(want[0], rel=1e-12)
        assert worst_relative(got[1], want[1]) < 1e-12


def test_a_first_target_of_one_repeated_number_is_not_baked_in() -> None:
    W = Tensor(np.full((2, 3), 0.3), requires_grad=True)
    x = np.arange(12.0).reshape(4, 3) / 10
    _agree(lambda x, y: nn.mse_loss(x @ W.T, y), [W], [(x, np.ones((4, 2))), (x, np.zeros((4, 2))),
                                                         (x, np.arange(8.0).reshape(4, 2))])


def test_a_batch_of_one_label_and_labels_all_alike() -> None:
    model = nn.MLP([6, 5, 3], activation="tanh", rng=0)
    params = list(model.parameters())
    rng = np.random.default_rng(11)
    calls = [(rng.normal(size=(1, 6)), np.array([0])), (rng.normal(size=(1, 6)), np.array([0])),
             (rng.normal(size=(1, 6)), np.array([2])), (rng.normal(size=(1, 6)), np.array([1]))]
    _agree(lambda x, t: nn.cross_entropy(model(x), t), params, calls)
    alike = [(rng.normal(size=(4, 6)), np.array([1, 1, 1, 1])),
             (rng.normal(size=(4, 6)), np.array([0, 2, 1, 2]))]
    _agree(lambda x, t: nn.cross_entropy(model(x), t), params, alike)


def test_a_statistic_of_the_values_outside_the_graph_is_refused_at_the_next_call() -> None:
    W = Tensor(np.full((1, 3), 0.5), requires_grad=True)

    def loss_fn(x: Tensor, y: Tensor) -> Tensor:  # divides by the batch's count of positives
        return ((x @ W.T).sigmoid() * y).sum() / float(y.data.sum())
    step = compile(loss_fn)
    step(np.ones((4, 3)), np.array([[1.0], [0.0], [1.0], [0.0]]))
    with pytest.raises(NotCompilable, match="depends on values|another program|changes with the arguments"):
        step(np.ones((4, 3)), np.array([[1.0], [1.0], [1.0], [0.0]]))


def test_gradients_go_to_this_calls_arguments() -> None:
    W = Tensor(np.full((2, 3), 0.3), requires_grad=True)
    step = compile(lambda x: (x @ W.T).sum())
    x1, x2 = Tensor(np.ones((4, 3)), requires_grad=True), Tensor(np.ones((4, 3)), requires_grad=True)
    step(x1)
    step(x2)
    assert x1.grad is not None and x2.grad is not None and np.array_equal(x1.grad, x2.grad)
    assert np.array_equal(x1.grad, np.full((4, 3), 0.6))


def test_a_parameter_passed_as_an_argument_with_an_optimizer_is_refused() -> None:
    W = Tensor(np.full((2, 3), 0.5), requires_grad=True)
    step = compile(lambda w, x: (x @ w.T).sum(), optimizer=nn.optim.SGD([W], lr=0.1))
    with pytest.raises(ValueError, match="argument 0 is one of the optimizer's parameters"):
        step(W, np.ones((4, 3)))


def test_odd_constants_losses_and_masks() -> None:
    W = Tensor(np.full((2, 3), 0.5), requires_grad=True)
    x = np.arange(12.0).reshape(4, 3)
    _agree(lambda x: (x @ W.T).clip(-1.0, np.inf).mean(), [W], [(x,), (x + 1,)])  # an infinite constant
    opt = nn.optim.SGD([W], lr=0.1)
    compile(lambda x: (x @ W.T).sum(axis=0, keepdims=True).sum(axis=1, keepdims=True), optimizer=opt)(x)
    m1, m2 = np.array([True, False, True, True]), np.array([True, False, False, False])
    _agree(lambda x, m: (x @ W.T)[m].mean(), [W], [(x, m1), (x, m2), (x, m1)])  # a mask's count is a shape
    _agree(lambda x, m: where(m, x @ W.T, 2.0 * W.sum()).sum(), [W],
           [(x, np.array([[True, False]] * 4)), (x, np.array([[False, True]] * 4))])


def test_a_refused_trace_leaves_the_optimizer_as_it_was() -> None:
    W = Tensor(np.full((2, 3), 0.5), requires_grad=True)
    opt = nn.optim.Adam([W], lr=0.1)
    step = compile(lambda x: (x @ W.T).sum() if x.data[0, 0] > 0.5 else (x @ W.T).tanh().sum(), optimizer=opt)
    with pytest.raises(NotCompilable):
        step(np.array([[0.9, 0.1, 0.1], [0.1, 0.1, 0.1]]))
    assert opt.state["t"] == [0.0] and np.array_equal(W.data, np.full((2, 3), 0.5))
