"""Checkpoints: exact round trips, atomic writes, and failed loads that say why and change nothing."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nn


def params_of(net: nn.Module) -> dict[str, np.ndarray]:
    return net.state_dict()


def same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("engine", ["tensor", "value"])
def test_round_trip_is_exact(tmp_path: Path, engine: str) -> None:
    net = nn.MLP([3, 4, 2], activation="tanh", engine=engine, rng=1)
    path = tmp_path / "net.npz"
    nn.save(net, path)
    other = nn.MLP([3, 4, 2], activation="tanh", engine=engine, rng=2)
    assert not same(params_of(net), params_of(other))  # negative control: they did differ
    nn.load(other, path)
    assert same(params_of(net), params_of(other))
    assert sorted(os.listdir(tmp_path)) == ["net.npz"]  # no temporary left behind


def test_float32_round_trip_keeps_dtype(tmp_path: Path) -> None:
    net = nn.MLP([3, 2], dtype=np.float32, rng=0)
    nn.save(net, tmp_path / "a.npz")
    other = nn.MLP([3, 2], dtype=np.float32, rng=1)
    nn.load(other, tmp_path / "a.npz")
    w = other.layers[0].weight
    assert w.dtype == np.float32
    assert same(params_of(net), params_of(other))


def test_weights_move_between_engines(tmp_path: Path) -> None:
    tensor_net = nn.MLP([2, 3, 1], activation="sigmoid", rng=5)
    nn.save(tensor_net, tmp_path / "t.npz")
    value_net = nn.MLP([2, 3, 1], activation="sigmoid", engine="value", rng=6)
    nn.load(value_net, tmp_path / "t.npz")
    x = [0.3, -0.7]
    assert value_net(x)[0].data == pytest.approx(tensor_net(np.array(x)).item(), rel=1e-13)


def test_optimizer_state_round_trip_resumes_training(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))

    def train(net: nn.MLP, opt: nn.optim.Optimizer, steps: int) -> None:
        for _ in range(steps):
            opt.zero_grad()
            nn.mse_loss(net(X), Y).backward()
            opt.step()

    net = nn.MLP([3, 5, 1], activation="tanh", rng=3)
    opt = nn.optim.Adam(net.parameters(), lr=0.01)
    train(net, opt, 3)
    nn.save(net, tmp_path / "ckpt.npz", optimizer=opt)
    train(net, opt, 3)

    again = nn.MLP([3, 5, 1], activation="tanh", rng=4)
    again_opt = nn.optim.Adam(again.parameters(), lr=0.5)
    nn.load(again, tmp_path / "ckpt.npz", optimizer=again_opt)
    assert again_opt.lr == 0.01
    train(again, again_opt, 3)
    assert same(params_of(net), params_of(again))


def corrupt(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        path.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8)))
    elif how == "flipped":
        b = bytearray(data)
        for i in range(len(b) // 3, len(b) // 3 + 64):
            b[i] ^= 0xFF
        path.write_bytes(bytes(b))
    else:
        path.write_bytes(b"")


@pytest.mark.parametrize("how", ["truncated", "garbage", "flipped", "empty"])
def test_corrupt_file_raises_and_changes_nothing(tmp_path: Path, how: str) -> None:
    path = tmp_path / "net.npz"
    nn.save(nn.MLP([4, 3, 2], rng=0), path)
    corrupt(path, how)
    net = nn.MLP([4, 3, 2], rng=1)
    before = params_of(net)
    with pytest.raises(ValueError, match="net.npz"):
        nn.load(net, path)
    assert same(before, params_of(net))


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        nn.load(nn.MLP([2, 1], rng=0), tmp_path / "nope.npz")


def test_wrong_shape_names_key_and_both_shapes(tmp_path: Path) -> None:
    nn.save(nn.MLP([4, 3, 2], rng=0), tmp_path / "a.npz")
    net = nn.MLP([4, 5, 2], rng=1)
    before = params_of(net)
    message = r"'layers.0.weight' has shape \(3, 4\), the parameter has shape \(5, 4\)"
    with pytest.raises(ValueError, match=message):
        nn.load(net, tmp_path / "a.npz")
    assert same(before, params_of(net))


def test_missing_and_unexpected_keys(tmp_path: Path) -> None:
    nn.save(nn.MLP([4, 2], rng=0), tmp_path / "short.npz")
    deep = nn.MLP([4, 2, 2], rng=1)
    before = params_of(deep)
    with pytest.raises(ValueError, match=r"missing key 'layers.2.weight' \(expected shape \(2, 2\)\)"):
        nn.load(deep, tmp_path / "short.npz")
    assert same(before, params_of(deep))
    nn.save(deep, tmp_path / "deep.npz")
    short = nn.MLP([4, 2], rng=2)
    with pytest.raises(ValueError, match="unexpected key 'layers.2.weight'"):
        nn.load(short, tmp_path / "deep.npz")


def test_bad_optimizer_state_changes_neither_module_nor_optimizer(tmp_path: Path) -> None:
    net = nn.MLP([3, 2], rng=0)
    nn.save(net, tmp_path / "m.npz", optimizer=nn.optim.SGD(net.parameters(), lr=0.1, momentum=0.9))
    other = nn.MLP([3, 2], rng=1)
    before = params_of(other)
    opt = nn.optim.Adam(other.parameters(), lr=0.3)
    with pytest.raises(ValueError, match="missing key"):
        nn.load(other, tmp_path / "m.npz", optimizer=opt)
    assert same(before, params_of(other)) and opt.lr == 0.3


def test_pickled_object_arrays_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, **{"layers.0.weight": np.array([object()], dtype=object)})
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        nn.load(nn.MLP([1, 1], rng=0), path)


def test_a_crash_while_writing_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "net.npz"
    nn.save(nn.MLP([2, 2], rng=0), path)
    old = path.read_bytes()

    def crash(f: object, **arrays: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        nn.save(nn.MLP([2, 2], rng=1), path)
    assert path.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["net.npz"]
    assert zipfile.is_zipfile(path)


def test_a_single_array_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "weights.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(ValueError, match=r"weights.npy.*not an .npz archive"):
        nn.load(nn.MLP([2, 2]), path)


def test_checkpoints_get_ordinary_file_permissions(tmp_path: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    path = tmp_path / "ck.npz"
    nn.save(nn.MLP([2, 2]), path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
