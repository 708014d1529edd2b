"""nn.train: fit learns a tiny problem (and a zero learning rate does not), evaluation
agrees with a plain numpy forward pass, steps/checkpoints/Ctrl-C/seeds behave."""

from __future__ import annotations

import signal
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.train import evaluate, fit, predict


def blobs(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well separated Gaussian blobs in 2-D, labels 0..2."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = np.array([[2.0, 0.0], [-2.0, 2.0], [0.0, -2.5]])
    return centres[labels] + 0.5 * rng.normal(size=(n, 2)), labels


def net(seed: int = 0, output: str | None = "sigmoid") -> nn.MLP:
    return nn.MLP([2, 8, 3], activation="sigmoid", output_activation=output, rng=seed)


@pytest.mark.parametrize("loss, output, lr", [("mse_loss", "sigmoid", 2.0), ("cross_entropy", None, 0.5)])
def test_fit_reduces_the_loss(loss: str, output: str | None, lr: float) -> None:
    x, y = blobs()
    model = net(0, output)
    before = evaluate(model, x, y, loss=loss)
    history = fit(model, nn.optim.SGD(model.parameters(), lr=lr), x, y, loss=loss, epochs=30,
                  batch_size=10, rng=0, test=(x, y), progress=False)
    after = evaluate(model, x, y, loss=loss)
    assert after.loss < 0.5 * before.loss
    assert after.accuracy > 0.9
    assert history.epochs[-1].test_loss == pytest.approx(after.loss)
    assert np.mean(history.losses[-12:]) < np.mean(history.losses[:12])


def test_zero_learning_rate_learns_nothing() -> None:
    """Negative control for the test above: without updates the loss stays where it was."""
    x, y = blobs()
    model = net(0)
    before = evaluate(model, x, y)
    fit(model, nn.optim.SGD(model.parameters(), lr=0.0), x, y, epochs=5, batch_size=10, rng=0,
        progress=False)
    assert evaluate(model, x, y).loss == pytest.approx(before.loss, rel=1e-12)


def numpy_forward(model: nn.MLP, x: np.ndarray) -> np.ndarray:
    a = x
    layers = model.linears()
    for k, layer in enumerate(layers):
        assert isinstance(layer.weight, Tensor) and isinstance(layer.bias, Tensor)
        z = a @ layer.weight.data.T + layer.bias.data
        a = 1 / (1 + np.exp(-z)) if k < len(layers) - 1 or model.output_activation == "sigmoid" else z
    return a


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_evaluate_matches_numpy(batch_size: int) -> None:
    x, y = blobs(50, seed=1)
    model = net(3)
    out = numpy_forward(model, x)
    expected_loss = np.mean((out - np.eye(3)[y]) ** 2)
    m = evaluate(model, x, y, loss="mse_loss", batch_size=batch_size)
    assert m.loss == pytest.approx(expected_loss, rel=1e-10)
    assert m.accuracy == pytest.approx(np.mean(out.argmax(1) == y))
    np.testing.assert_array_equal(predict(model, x, batch_size=batch_size), out.argmax(1))
    wrong = evaluate(model, x, (y + 1) % 3, loss="mse_loss")
    assert wrong.accuracy != pytest.approx(m.accuracy) and wrong.loss != pytest.approx(m.loss)


def test_steps_stops_early_and_epochs_are_recorded() -> None:
    x, y = blobs(100)
    model = net()
    h = fit(model, nn.optim.SGD(model.parameters(), lr=1.0), x, y, epochs=10, batch_size=30, steps=9,
            rng=0, progress=False)
    assert h.steps == 9 and not h.interrupted
    assert [e.steps for e in h.epochs] == [4, 4, 1]
    assert [e.epoch for e in h.epochs] == [1, 2, 3]
    assert all(e.test_loss is None for e in h.epochs)
    assert h.seconds == pytest.approx(sum(e.seconds for e in h.epochs))


def test_same_seed_same_run_other_seed_other_run() -> None:
    x, y = blobs()

    def run(seed: int) -> list[float]:
        model = net(0)
        return fit(model, nn.optim.SGD(model.parameters(), lr=1.0), x, y, epochs=2, batch_size=16,
                   rng=seed, progress=False).losses

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_checkpoint_every_epoch(tmp_path: Path) -> None:
    x, y = blobs()
    model = net(0)
    path = tmp_path / "ckpt.npz"
    fit(model, nn.optim.SGD(model.parameters(), lr=1.0), x, y, epochs=2, batch_size=16, rng=0,
        checkpoint=path, progress=False)
    restored = net(1)
    nn.load(restored, path)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(restored.state_dict()[k], v)


def test_ctrl_c_stops_after_the_step_in_flight(tmp_path: Path) -> None:
    x, y = blobs()
    model = net(0)
    calls = []

    def loss(out: Tensor, labels: np.ndarray) -> Tensor:
        calls.append(1)
        if len(calls) == 5:
            signal.raise_signal(signal.SIGINT)
        return nn.cross_entropy(out, labels)

    before = signal.getsignal(signal.SIGINT)
    h = fit(model, nn.optim.SGD(model.parameters(), lr=0.1), x, y, loss=loss, epochs=3, batch_size=10,
            rng=0, checkpoint=tmp_path / "c.npz", progress=False)
    assert h.interrupted and h.steps == 5 and len(h.epochs) == 1
    assert signal.getsignal(signal.SIGINT) is before
    assert (tmp_path / "c.npz").exists()
    with pytest.raises(KeyboardInterrupt):  # outside fit, Ctrl-C interrupts as usual
        signal.raise_signal(signal.SIGINT)


def test_progress_bar_runs(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    x, y = blobs(40)
    model = net()
    fit(model, nn.optim.SGD(model.parameters(), lr=1.0), x, y, epochs=2, batch_size=8, rng=0,
        progress=True)
    assert "step" in capsys.readouterr().err


def test_fit_rejects_bad_arguments() -> None:
    x, y = blobs(20)
    model = net()
    opt = nn.optim.SGD(model.parameters(), lr=1.0)
    with pytest.raises(ValueError, match=r"an nn loss function \(.*'mse_loss'"):
        fit(model, opt, x, y, loss="hinge", progress=False)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        fit(model, opt, x, y, batch_size=0, progress=False)
    with pytest.raises(ValueError, match=r"one label per row of x: x has shape \(20, 2\), labels \(19,\)"):
        fit(model, opt, x, y[:-1], progress=False)
    with pytest.raises(ValueError, match=r"float targets of shape \(20,\) are one number per example"):
        fit(model, opt, x, y.astype(float), progress=False)
    scalar = nn.MLP([2, 2], engine="value", rng=0)
    with pytest.raises(TypeError, match="engine='tensor'"):
        fit(scalar, nn.optim.SGD(scalar.parameters(), lr=1.0), x, y, progress=False)


# -- lists in, non-finite numbers out (issue 11, items 11 and 15) ---------------------------------

def test_fit_evaluate_predict_take_python_lists() -> None:
    x, y = blobs(40)
    model, again = net(0), net(0)
    h_list = fit(model, nn.optim.SGD(model.parameters(), lr=1.0), x.tolist(), y.tolist(), epochs=2,
                 batch_size=8, rng=0, test=(x.tolist(), y.tolist()), progress=False)
    h_array = fit(again, nn.optim.SGD(again.parameters(), lr=1.0), x, y, epochs=2, batch_size=8, rng=0,
                  test=(x, y), progress=False)
    assert h_list.losses == h_array.losses
    assert evaluate(model, x.tolist(), y.tolist()) == evaluate(again, x, y)
    np.testing.assert_array_equal(predict(model, x.tolist()), predict(again, x))


@pytest.mark.parametrize("x, labels, error, message", [
    ([[1.0, 2.0], [3.0]], [0, 1], ValueError, "fit: x must be an array of numbers; np.asarray refused it"),
    ([["a", "b"], ["c", "d"]], [0, 1], TypeError, "fit: x must hold numbers, got an array of dtype <U1"),
    ([[1.0, 2.0], [3.0, 4.0]], ["0", "1"], TypeError, "fit: labels must hold numbers"),
    ([1.0, 2.0], [0, 1], ValueError, r"fit: x must be 2-D \(examples, features\), got shape \(2,\)"),
])
def test_fit_names_what_np_asarray_cannot_make_numeric(x: object, labels: object, error: type[Exception],
                                                       message: str) -> None:
    model = net()
    with pytest.raises(error, match=message):
        fit(model, nn.optim.SGD(model.parameters(), lr=1.0), x, labels, progress=False)  # type: ignore[arg-type]


def snapshot(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in model.state_dict().items()}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_non_finite_gradient_at_a_finite_loss_stops_before_the_step() -> None:
    x, y = blobs(20)
    model = net(0, None)

    def sqrt_loss(out: Tensor, labels: np.ndarray) -> Tensor:  # sqrt at 0: an infinite derivative
        return (nn.cross_entropy(out, labels) * 0.0) ** 0.5

    before = snapshot(model)
    message = (r"epoch 1, step 1 of the epoch \(step 1 in all\): the loss 0 is finite but the gradient of "
               r"layers.0.weight.*holds NaN or inf")
    with pytest.raises(nn.NonFiniteError, match=message):
        fit(model, nn.optim.SGD(model.parameters(), lr=1.0), x, y, loss=sqrt_loss, progress=False)
    after = snapshot(model)
    assert all(np.array_equal(before[k], after[k]) for k in before)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_non_finite_parameters_are_named() -> None:
    x, y = blobs(20)
    model = net(0)
    model.layers[2].bias.data[1] = np.nan
    with pytest.raises(nn.NonFiniteError, match="parameter.s. layers.2.bias were already non-finite") as info:
        fit(model, nn.optim.SGD(model.parameters(), lr=1.0), x, y, progress=False)
    assert info.value.epoch == 1 and info.value.step == 1 and info.value.history.losses == []


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_loss_function_that_makes_nan_itself_is_told_apart() -> None:
    """Negative control for the diagnosis: finite rows and parameters, no growth."""
    x, y = blobs(20)
    model = net(0)

    def log_of_zero(out: Tensor, labels: np.ndarray) -> Tensor:
        return (out * 0.0).log().sum() * 0.0

    with pytest.raises(nn.NonFiniteError, match="the loss function itself made it") as info:
        fit(model, nn.optim.SGD(model.parameters(), lr=1.0), x, y, loss=log_of_zero, progress=False)
    assert "of x hold" not in str(info.value) and "lr=" not in str(info.value)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_weights_that_a_step_overflowed_are_never_saved(tmp_path: Path) -> None:
    x, y = blobs(20)
    model = nn.MLP([2, 3], rng=0)  # linear: the gradient grows with x
    path = tmp_path / "ck.npz"
    nn.save(model, path)
    old = path.read_bytes()
    message = (r"after epoch 1 \(step 1 in all\) layers.0.weight.* hold NaN or inf though every loss and "
               r"gradient was finite.*lr=1e\+308.*ck.npz' was not overwritten")
    with pytest.raises(nn.NonFiniteError, match=message) as info:
        fit(model, nn.optim.SGD(model.parameters(), lr=1e308), 100 * x, y, batch_size=20, checkpoint=path,
            progress=False)
    assert path.read_bytes() == old
    assert info.value.history.steps == 1 and info.value.history.epochs == []


# -- regression, train/eval modes (issue 15, item 6) ---------------------------------------------

def line(n: int = 80, outputs: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """y = x W + 0.5 with a little noise: float targets, shape (n,) for one output."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 2))
    y = x @ rng.normal(size=(2, outputs)) + 0.5 + 0.01 * rng.normal(size=(n, outputs))
    return x, y[:, 0] if outputs == 1 else y


@pytest.mark.parametrize("outputs", [1, 2])
@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "huber_loss"])
def test_fit_regression_uses_float_targets_as_they_are(outputs: int, loss: str) -> None:
    x, y = line(outputs=outputs)
    model = nn.MLP([2, outputs], rng=0)  # linear: the exact fit is reachable
    before = evaluate(model, x, y, loss=loss)
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    cosine = nn.schedules.CosineAnnealingLR(opt, T_max=30)  # l1_loss's steps do not shrink by themselves
    history = fit(model, opt, x, y, loss=loss, epochs=30, batch_size=16, rng=0, test=(x, y), progress=False,
                  scheduler=cosine)
    after = evaluate(model, x, y, loss=loss)
    assert after.accuracy is None and before.rmse is not None and after.rmse is not None
    assert after.rmse < 0.1 < before.rmse
    record = history.epochs[-1]
    assert record.test_accuracy is None and record.test_rmse == pytest.approx(after.rmse)
    out = model(x).data
    assert after.rmse == pytest.approx(float(np.sqrt(np.mean((out - y.reshape(len(y), -1)) ** 2))), rel=1e-12)
    if loss == "mse_loss":
        assert after.loss == pytest.approx(after.rmse**2, rel=1e-9)


def test_float_targets_of_the_wrong_shape_are_named() -> None:
    x, y = line(outputs=1)
    two = nn.MLP([2, 2], rng=0)
    opt = nn.optim.SGD(two.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"float targets of shape \(80,\) are one number per example .* "
                                         r"shape \(80, 2\), or integer class labels"):
        fit(two, opt, x, y, progress=False)
    with pytest.raises(ValueError, match=r"targets of shape \(80, 3\) for a model with 2 outputs"):
        evaluate(two, x, np.zeros((80, 3)))
    with pytest.raises(ValueError, match=r"float64 labels must be 1-D or 2-D with one target \(row\)"):
        fit(two, opt, x, np.zeros((80, 2, 1)), progress=False)
    with pytest.raises(ValueError, match="training labels are float64 and the test labels int64"):
        fit(two, opt, x, np.zeros((80, 2)), test=(x, np.zeros(80, dtype=np.int64)), progress=False)


def test_cross_entropy_takes_probability_rows_but_not_other_floats() -> None:
    x, labels = blobs(60)
    model = net(output=None)
    soft = np.eye(3)[labels] * 0.9 + 0.1 / 3
    m = evaluate(model, x, soft, loss="cross_entropy")
    assert m.rmse is None and m.accuracy == evaluate(model, x, labels, loss="cross_entropy").accuracy
    with pytest.raises(ValueError, match=r"cross_entropy with float targets takes probability rows .* row 0 "
                                         r"is .*labels.astype\(int\).*loss='mse_loss'"):
        fit(model, nn.optim.SGD(model.parameters(), lr=0.1), x, 2.0 * soft, loss="cross_entropy",
            progress=False)


class Recorder(nn.Module):
    """A layer that records the training flag of each forward pass."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 3, rng=0)
        self.modes: list[bool] = []

    def forward(self, x: Tensor) -> Tensor:
        self.modes.append(self.training)
        return self.linear(x)


def test_fit_trains_and_evaluate_and_predict_evaluate_and_modes_are_restored() -> None:
    x, y = blobs(20)
    model = Recorder()
    model.linear.eval()  # a mixed state, to be restored as it was
    fit(model, nn.optim.SGD(model.parameters(), lr=0.1), x, y, epochs=1, batch_size=10, rng=0, test=(x, y),
        loss="cross_entropy", progress=False)
    assert model.modes == [False, True, True, False, False]  # probe, 2 steps, test probe and batch
    assert model.training and not model.linear.training
    model.modes.clear()
    predict(model, x)
    evaluate(model, x, y)
    assert model.modes == [False, False, False] and model.training
