"""Checkpoints: exact round trips, atomic writes, and failed loads that say why and change nothing."""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

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


# -- headers before data, settings by the constructors' rules, files that say what they are not ----
# (issue 11, items 13 and 15)

def npz_with(path: Path, entries: dict[str, bytes], compress: bool = True) -> None:
    """An .npz written by hand: ``entries[name] = the bytes of the member``."""
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as z:
        for name, body in entries.items():
            z.writestr(name, body)


def npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def refused_cheaply(tmp_path: Path, bomb: bytes, message: str) -> None:
    """A checkpoint whose ``layers.0.weight`` entry is ``bomb`` is refused with ``message``,
    nothing near what it declares is allocated, and the module is left as it was."""
    net = nn.MLP([4, 3, 2], rng=0)
    path = tmp_path / "bomb.npz"
    entries = {f"{k}.npy": member(v) for k, v in net.state_dict().items()}
    entries["layers.0.weight.npy"] = bomb
    npz_with(path, entries)
    assert path.stat().st_size < 600_000
    before = params_of(net)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"bomb.npz.*'layers.0.weight' " + message):
            nn.load(net, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak} bytes"
    assert same(before, params_of(net))


def test_a_zip_bomb_is_refused_from_its_header_before_any_allocation(tmp_path: Path) -> None:
    """An entry declaring a 512 MiB array (its 0.5 MB of deflated zeros would inflate to it)
    is refused by its shape alone."""
    refused_cheaply(tmp_path, npy_header((8192, 8192)) + bytes(1 << 19),
                    r"has shape \(8192, 8192\), the parameter has shape \(3, 4\)")


def test_a_header_length_bomb_is_refused_before_the_header_is_read(tmp_path: Path) -> None:
    """A .npy header declared 512 MiB long (deflated spaces): numpy would read it all before
    checking its length; the check comes first."""
    length = (512 << 20).to_bytes(4, "little")
    refused_cheaply(tmp_path, np.lib.format.magic(2, 0) + length + b" " * (4 << 20),
                    "declares a .npy header of 536870912 bytes")


def tampered(tmp_path: Path, opt_make: Any, key: str, value: Any) -> tuple[nn.MLP, Path]:
    net = nn.MLP([3, 2], rng=0)
    path = tmp_path / "ck.npz"
    nn.save(net, path, optimizer=opt_make(net))
    arrays = dict(np.load(path))
    arrays[key] = np.asarray(value)
    np.savez(path, **arrays)
    return net, path


@pytest.mark.parametrize("make, key, value, message", [
    (lambda n: nn.optim.Adam(n.parameters(), lr=0.1), "optimizer.lr", math.nan, "lr must be finite"),
    (lambda n: nn.optim.Adam(n.parameters(), lr=0.1), "optimizer.beta1", 5.0, r"beta1 must be finite and in"),
    (lambda n: nn.optim.Adam(n.parameters(), lr=0.1), "optimizer.t.0", -3.0, "t.0 counts steps"),
    (lambda n: nn.optim.RMSProp(n.parameters(), lr=0.1), "optimizer.square_avg.1", -np.ones(2),
     "square_avg.1 must be finite and >= 0.0"),
    (lambda n: nn.optim.SGD(n.parameters(), lr=0.1, momentum=0.9, nesterov=True), "optimizer.nesterov", 0.5,
     "nesterov is on or off"),
    (lambda n: nn.optim.SGD(n.parameters(), lr=0.1, momentum=0.9, nesterov=True), "optimizer.dampening", 0.5,
     "nesterov momentum needs momentum > 0 and dampening 0"),
    (lambda n: nn.optim.AdamW(n.parameters(), lr=0.1), "optimizer.weight_decay", -1.0,
     "weight_decay must be finite and >= 0.0"),
    (lambda n: nn.optim.SGD(n.parameters(), lr=0.1, momentum=0.9, dampening=0.1), "optimizer.t.1", 1.5,
     "t.1 counts steps"),
])
def test_optimizer_settings_from_a_file_obey_the_constructors(tmp_path: Path, make: Any, key: str, value: Any,
                                                              message: str) -> None:
    net, path = tampered(tmp_path, make, key, value)
    opt = make(net)
    before = (params_of(net), opt.state_dict())
    with pytest.raises(ValueError, match=rf"ck.npz.*\(optimizer\): {message}"):
        nn.load(net, path, optimizer=opt)
    assert same(before[0], params_of(net)) and opt.lr == before[1]["lr"]
    nn.load(net, path)  # negative control: without the optimizer, the module loads


@pytest.mark.parametrize("make", [
    lambda n: nn.optim.SGD(n.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda n: nn.optim.SGD(n.parameters(), lr=0.1, momentum=0.9, dampening=0.2),
    lambda n: nn.optim.AdamW(n.parameters(), lr=0.1, weight_decay=0.05),
    lambda n: nn.optim.RMSProp(n.parameters(), lr=0.1, weight_decay=0.05),
])
def test_new_optimizer_settings_round_trip(tmp_path: Path, make: Any) -> None:
    net = nn.MLP([3, 2], rng=0)
    opt = make(net)
    x = np.ones((4, 3))
    for _ in range(2):
        opt.zero_grad()
        nn.mse_loss(net(x), np.zeros((4, 2))).backward()
        opt.step()
    nn.save(net, tmp_path / "ck.npz", optimizer=opt)
    other = nn.MLP([3, 2], rng=1)
    again = make(other)
    for name in ("weight_decay", "nesterov", "dampening"):  # settings differ before the load
        if hasattr(again, name):
            setattr(again, name, type(getattr(again, name))(0))
    nn.load(other, tmp_path / "ck.npz", optimizer=again)
    assert repr(again) == repr(opt)
    got, want = again.state_dict(), opt.state_dict()
    assert got.keys() == want.keys() and all(np.array_equal(got[k], want[k]) for k in want)


def member(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


@pytest.mark.parametrize("entries, message", [
    ({"layers.0.weight.npy": member(np.zeros((2, 2))), "notes.txt": b"hi"}, "entry 'notes.txt', not a .npy"),
    ({"layers.0.weight.npy": b"\x93NUMPY\x01\x00\x06\x00junk!\n"}, "'layers.0.weight' has no valid .npy"),
    ({"layers.0.weight.npy": member(np.zeros((2, 2)))[:-5], "layers.0.bias.npy": member(np.zeros(2))},
     "entry 'layers.0.weight' is truncated or corrupt"),
    ({"layers.0.weight.npy": member(np.zeros((2, 2))) + b"tail", "layers.0.bias.npy": member(np.zeros(2))},
     "entry 'layers.0.weight' has bytes after its array's data"),
    ({"layers.0.weight.npy": member(np.zeros((2, 2), complex)), "layers.0.bias.npy": member(np.zeros(2))},
     "'layers.0.weight' holds dtype complex128, not numbers"),
    ({"layers.0.weight.npy": np.lib.format.magic(3, 0) + b"\x00" * 20}, "format version 3.0"),
    ({"layers.0.weight.npy": np.lib.format.magic(1, 0) + (20000).to_bytes(2, "little") + b" " * 20000},
     r"'layers.0.weight' declares a .npy header of 20000 bytes; nn.save writes at most 10000"),
])
def test_every_load_error_names_the_file(tmp_path: Path, entries: dict[str, bytes], message: str) -> None:
    path = tmp_path / "odd.npz"
    npz_with(path, entries)
    net = nn.MLP([2, 2], rng=0)
    before = params_of(net)
    with pytest.raises(ValueError, match=message) as info:
        nn.load(net, path)
    assert str(path) in str(info.value) and "allow_pickle" not in str(info.value)
    assert same(before, params_of(net))


def test_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.npz"
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "w") as z:
        z.writestr("layers.0.weight.npy", member(np.zeros((2, 2))))
        z.writestr("layers.0.weight.npy", member(np.ones((2, 2))))
        z.writestr("layers.0.bias.npy", member(np.zeros(2)))
    with pytest.raises(ValueError, match=r"dup.npz.*holds the key 'layers.0.weight' twice"):
        nn.load(nn.MLP([2, 2], rng=0), path)


@pytest.mark.parametrize("content, message", [
    (b"hello, world", r"is not a checkpoint: it starts with the bytes b'hello, w'"),
    (b"\x80\x04\x95 pickled", r"is not a checkpoint: it starts with the bytes b'\\x80\\x04"),
    (b"", r"is empty \(0 bytes\)"),
])
def test_a_non_checkpoint_says_what_it_is_not(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        nn.load(nn.MLP([2, 2]), path)
    assert str(path) in str(info.value) and "allow_pickle" not in str(info.value)


def test_save_into_a_missing_folder_names_the_path_and_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "net.npz"
    with pytest.raises(FileNotFoundError) as info:
        nn.save(nn.MLP([2, 2]), target)
    message = str(info.value)
    assert str(target) in message and f"the folder '{tmp_path / 'runs'}' does not exist" in message
    assert ".tmp" not in message
    assert not (tmp_path / "runs").exists()


def test_written_files_follow_the_umask_in_force_and_keep_an_overwritten_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        nn.save(nn.MLP([2, 2]), tmp_path / "new.npz")
    finally:
        os.umask(old)
    assert (tmp_path / "new.npz").stat().st_mode & 0o777 == 0o640  # not the umask at import
    kept = tmp_path / "kept.npz"
    nn.save(nn.MLP([2, 2]), kept)
    kept.chmod(0o600)
    nn.save(nn.MLP([2, 2]), kept)
    assert kept.stat().st_mode & 0o777 == 0o600


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_next_save_removes_dead_writers_temporaries_only(tmp_path: Path) -> None:
    from autograd.atomic import _HOST

    path = tmp_path / "net.npz"
    dead = tmp_path / f".net.npz.{_HOST}.{dead_pid()}.0badcafe.tmp"
    mine_stale = tmp_path / f".net.npz.{_HOST}.{os.getpid()}.feedbeef.tmp"  # our pid, not being written
    live = tmp_path / f".net.npz.{_HOST}.{os.getppid()}.12345678.tmp"  # a live process's
    other = tmp_path / f".other.npz.{_HOST}.{dead_pid()}.0badcafe.tmp"  # another target's
    elsewhere = tmp_path / f".net.npz.other-host.{dead_pid()}.0badcafe.tmp"  # a pid of another machine
    for f in (dead, mine_stale, live, other, elsewhere):
        f.write_bytes(b"half a checkpoint")
    nn.save(nn.MLP([2, 2]), path)
    assert sorted(os.listdir(tmp_path)) == sorted(["net.npz", live.name, other.name, elsewhere.name])


@pytest.mark.parametrize("make, newer", [
    (lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9), ("weight_decay", "dampening", "nesterov")),
    (lambda ps: nn.optim.Adam(ps, lr=0.01), ("weight_decay",)),
])
def test_a_checkpoint_from_before_weight_decay_loads_with_it_off(tmp_path: Path, make: Any,
                                                                 newer: tuple[str, ...]) -> None:
    """Optimizer states saved before weight_decay, dampening and nesterov existed read them as off."""
    net = nn.MLP([3, 4, 2], rng=0)
    opt = make(list(net.parameters()))
    net(np.ones((2, 3))).sum().backward()
    opt.step()
    path = tmp_path / "new.npz"
    nn.save(net, path, optimizer=opt)
    with np.load(path) as f:
        old = {k: f[k] for k in f.files if k.split("/")[-1].split(".")[-1] not in newer}
    assert len(old) == len(nn.optim.Optimizer.state_dict(opt)) + len(net.state_dict()) - len(newer)
    np.savez(tmp_path / "old.npz", **old)
    fresh = make(list(nn.MLP([3, 4, 2], rng=1).parameters()))
    for name in newer:
        setattr(fresh, name, 1.0 if name != "nesterov" else True)  # set, so loading must turn them off
    nn.load(nn.MLP([3, 4, 2], rng=1), tmp_path / "old.npz", optimizer=fresh)
    assert all(not getattr(fresh, name) for name in newer)
    state = {k: v for k, v in opt.state_dict().items() if k not in newer}
    fresh.load_state_dict(state)
    assert all(not getattr(fresh, name) for name in newer)
    with pytest.raises(ValueError, match="missing key 'lr'"):
        fresh.load_state_dict({k: v for k, v in state.items() if k != "lr"})
