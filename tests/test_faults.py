"""Injected faults (issue 11): a mirror that drips, truncates, oversends or serves a gzip
bomb; a checkpoint save killed at random points; NaN in the middle of ``fit``.  Each
fault must give a clear error, lose nothing and leave no file behind.  Kept fast: small
deadlines, tiny data sets, a few subprocesses started at once."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import random
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from nn import data
from nn.train import fit
from tests.test_nn_data import GOOD
from tests.test_nn_train import blobs, net
from tests.tools import LocalServer

REPO = Path(autograd.__file__).resolve().parents[1]


# -- downloads: drip, truncate, oversend, gzip bomb (item 12) -----------------------------------
CAP = 1 << 16
"""The size cap of every .gz file of the tiny release in these tests (its files are ~24 KB)."""

BOMB = gzip.compress(bytes(16 << 20), compresslevel=9)
"""16 MiB of zeros in about 16 KB: under the download cap, far over the uncompressed one."""


@pytest.fixture
def tiny_release(monkeypatch: pytest.MonkeyPatch) -> None:
    """kind="digits" is test_nn_data's tiny release, with caps that fit it; no system folder."""
    raw = {name[:-3]: gzip.decompress(b) for name, b in GOOD.items()}
    monkeypatch.setitem(data.CHECKSUMS, "digits", {
        name[:-3]: (hashlib.md5(b).hexdigest(), hashlib.md5(raw[name[:-3]]).hexdigest())
        for name, b in GOOD.items()})
    monkeypatch.setitem(data.SIZES, "digits", {name: (CAP, len(r)) for name, r in raw.items()})
    monkeypatch.setattr(data, "SYSTEM_DIRS", {"digits": (), "fashion": ()})
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)


Fault = Callable[[http.server.BaseHTTPRequestHandler, bytes, threading.Event], None]


def drip(h: http.server.BaseHTTPRequestHandler, body: bytes, stop: threading.Event) -> None:
    """The whole length announced, then one byte every 0.3 s."""
    h.send_response(200)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    for i in range(len(body)):
        if stop.wait(0.3):
            return
        h.wfile.write(body[i:i + 1])
        h.wfile.flush()


def drip_headers(h: http.server.BaseHTTPRequestHandler, body: bytes, stop: threading.Event) -> None:
    """A status line, then a header that never ends: one byte every 0.3 s."""
    h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    h.wfile.flush()
    while not stop.wait(0.3):
        h.wfile.write(b"a")
        h.wfile.flush()


def truncate(h: http.server.BaseHTTPRequestHandler, body: bytes, stop: threading.Event) -> None:
    """More announced than sent, then the connection closes."""
    h.send_response(200)
    h.send_header("Content-Length", str(len(body) + 1000))
    h.end_headers()
    h.wfile.write(body[:len(body) // 2])


def announce_too_much(h: http.server.BaseHTTPRequestHandler, body: bytes, stop: threading.Event) -> None:
    """A Content-Length over the cap (and the bytes to go with it)."""
    h.send_response(200)
    h.send_header("Content-Length", str(CAP + 1))
    h.end_headers()
    h.wfile.write(bytes(CAP + 1))


def send_too_much(h: http.server.BaseHTTPRequestHandler, body: bytes, stop: threading.Event) -> None:
    """No Content-Length (the body ends when the connection closes), and 1 MiB of it."""
    h.send_response(200)
    h.end_headers()
    try:
        h.wfile.write(bytes(1 << 20))
    except OSError:  # the client hung up at the cap, as it should
        pass


def bomb(h: http.server.BaseHTTPRequestHandler, body: bytes, stop: threading.Event) -> None:
    """A gzip stream small enough to download that inflates to 16 MiB."""
    h.send_response(200)
    h.send_header("Content-Length", str(len(BOMB)))
    h.end_headers()
    h.wfile.write(BOMB)


class FaultServer(LocalServer):
    """A 127.0.0.1 server that answers every GET of ``/NAME.gz`` with ``fault``."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(lambda h, stop: fault(h, GOOD.get(h.path.rsplit("/", 1)[-1], b""), stop))


def files_in(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("fault, message", [
    (truncate, r"the connection closed after \d+ of the \d+ bytes announced"),
    (announce_too_much, rf"Content-Length {CAP + 1} bytes is more than the {CAP} of the published "
                        r"train-images-idx3-ubyte.gz: refused"),
    (send_too_much, rf"sent more than {CAP} bytes, the size of the published train-images-idx3-ubyte.gz: "
                    "stopped reading"),
    (bomb, r"decompresses to more than 23536 bytes, the most the file can hold.*stopped decompressing"),
])
@pytest.mark.usefixtures("tiny_release")
def test_a_faulty_mirror_gives_a_clear_error_and_a_clean_cache(tmp_path: Path, fault: Fault,
                                                               message: str) -> None:
    tracemalloc.start()
    try:
        with FaultServer(fault) as server, pytest.raises(FileNotFoundError, match=message) as info:
            data.load_mnist("digits", root=tmp_path, mirrors=[server.url])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert server.url + "train-images-idx3-ubyte.gz" in str(info.value)
    assert peak < 4 << 20, f"peak {peak} bytes"  # the bomb was never inflated whole
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("fault, received", [(drip, r"[12] of {size}"), (drip_headers, "0 of unknown")])
@pytest.mark.usefixtures("tiny_release")
def test_a_dripping_mirror_is_abandoned_at_the_deadline(tmp_path: Path, fault: Fault, received: str) -> None:
    """One byte every 0.3 s, in the body or in the headers, never trips the per-read timeout;
    the total deadline ends it."""
    start = time.monotonic()
    size = len(GOOD["train-images-idx3-ubyte.gz"])
    message = (r"images-idx3-ubyte.gz: TimeoutError: deadline=0.5 s passed with "
               + received.format(size=size) + " bytes received")
    with FaultServer(fault) as server, pytest.raises(FileNotFoundError, match=message):
        data.load_mnist("digits", root=tmp_path, mirrors=[server.url], timeout=5.0, deadline=0.5)
    elapsed = time.monotonic() - start
    assert 0.5 <= elapsed < 10.0, elapsed  # ended near the deadline, not when the server gave up
    assert files_in(tmp_path) == []


@pytest.mark.usefixtures("tiny_release")
def test_negative_control_a_good_mirror_still_works_under_the_caps(tmp_path: Path) -> None:
    def serve(h: http.server.BaseHTTPRequestHandler, body: bytes, stop: threading.Event) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    with FaultServer(serve) as server:
        ds = data.load_mnist("digits", root=tmp_path, mirrors=[server.url], deadline=5.0)
    assert ds.x_train.shape == (30, 784)
    assert files_in(tmp_path) == sorted(f"mnist/{name}" for name in GOOD)


# -- a save killed at random points (item 13) --------------------------------------------------
SIZES = [128, 256, 32]
"""The saved model: 41,000 weights, a 330 KB file."""

WRITERS = """
import os, sys, time
import numpy as np, nn
from autograd.atomic import atomic_write

def save(path):  # all-k weights, k = 1, 2, ...: any file read back is one whole save
    model = nn.MLP(SIZES, rng=0)
    k = 0
    while True:
        k += 1
        model.load_state_dict({name: np.full_like(a, k) for name, a in model.state_dict().items()})
        nn.save(model, path)

def stuck(path):  # half a file written, then waiting to be killed
    with atomic_write(path) as f:
        f.write(b"half a checkpoint")
        f.flush()
        time.sleep(60)

for line in sys.stdin:  # one writer per line, forked so that nn is imported once
    what, path = line.split()
    pid = os.fork()
    if pid == 0:
        try:
            {"save": save, "stuck": stuck}[what](path)
        finally:
            os._exit(1)
    print(pid, flush=True)
    os.waitpid(pid, 0)  # reaped: from now on the pid is dead
    print("reaped", flush=True)
""".replace("SIZES", repr(SIZES))


def test_a_save_killed_at_any_point_leaves_the_old_or_the_new_file_and_the_next_save_cleans_up(
        tmp_path: Path) -> None:
    chance = random.Random(13)
    delays = [chance.uniform(0.0, 0.2) for _ in range(4)]
    folders = [tmp_path / f"run{i}" for i in range(len(delays) + 1)]
    first = nn.MLP(SIZES, rng=1)
    for folder in folders:
        folder.mkdir()
        nn.save(first, folder / "net.npz")
    stuck = folders[-1]
    old = (stuck / "net.npz").read_bytes()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with subprocess.Popen([sys.executable, "-c", WRITERS], env=env, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as writers:
        assert writers.stdin is not None and writers.stdout is not None
        for folder, delay in [*zip(folders, delays), (stuck, None)]:
            writers.stdin.write(f"{'stuck' if delay is None else 'save'} {folder / 'net.npz'}\n")
            writers.stdin.flush()
            pid = int(writers.stdout.readline())
            if delay is None:  # kill it once its half file is on disk
                while not any(p.suffix == ".tmp" and p.stat().st_size for p in stuck.iterdir()):
                    time.sleep(0.01)
            else:
                time.sleep(delay)
            os.kill(pid, signal.SIGKILL)
            assert writers.stdout.readline().strip() == "reaped"
        writers.stdin.close()
    assert (stuck / "net.npz").read_bytes() == old  # the interrupted write changed nothing
    assert [p.name for p in stuck.iterdir() if p.suffix == ".tmp"]  # but left its temporary
    model = nn.MLP(SIZES, rng=2)
    for folder in folders[:-1]:
        nn.load(model, folder / "net.npz")  # a whole file: the old one, or one new one
        values = np.unique(np.concatenate([a.ravel() for a in model.state_dict().values()]))
        assert same(model.state_dict(), first.state_dict()) or len(values) == 1, values[:5]
    for folder in folders:
        nn.save(model, folder / "net.npz")
        assert os.listdir(folder) == ["net.npz"], os.listdir(folder)


# -- NaN in the middle of fit (item 11) ---------------------------------------------------------
def replay(make: Callable[[], nn.MLP], lr: float, x: np.ndarray, y: np.ndarray, loss: str, steps: int,
           batch_size: int) -> dict[str, np.ndarray]:
    """The weights after ``steps`` steps of the same run on clean data and a steady lr."""
    model = make()
    fit(model, nn.optim.SGD(model.parameters(), lr=lr), x, y, loss=loss, epochs=100, batch_size=batch_size,
        steps=steps, rng=0, progress=False)
    return model.state_dict()


def same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_a_nan_row_mid_fit_is_named_and_the_last_good_epoch_kept(tmp_path: Path) -> None:
    clean, y = blobs(60)
    x = clean.copy()
    per_epoch, calls = 6, []

    def loss(out: Tensor, labels: np.ndarray) -> Tensor:
        calls.append(1)
        if len(calls) == per_epoch:  # the last batch of epoch 1 is already taken
            x[17] = np.nan
        return nn.cross_entropy(out, labels)

    model = net(0, None)
    path = tmp_path / "ck.npz"
    with pytest.raises(nn.NonFiniteError, match=r"fit: epoch 2, step \d of the epoch \(step \d+ in all\): "
                                                r"the loss is nan: row\(s\) 17 of x hold NaN or inf") as info:
        fit(model, nn.optim.SGD(model.parameters(), lr=0.5), x, y, loss=loss, epochs=3, batch_size=10, rng=0,
            checkpoint=path, progress=False)
    err = info.value
    assert isinstance(err, FloatingPointError) and err.epoch == 2 and per_epoch < err.step <= 2 * per_epoch
    assert err.history.steps == err.step - 1 and len(err.history.epochs) == 1
    assert np.isfinite(err.history.losses).all()
    assert str(path) in str(err) and "holds the last good epoch" in str(err)
    # the weights are those of the step before, the checkpoint those of epoch 1: replayed on clean data
    assert same(model.state_dict(), replay(lambda: net(0, None), 0.5, clean, y, "cross_entropy",
                                           err.step - 1, 10))
    saved = net(1, None)
    nn.load(saved, path)
    assert same(saved.state_dict(), replay(lambda: net(0, None), 0.5, clean, y, "cross_entropy", 6, 10))
    assert os.listdir(tmp_path) == ["ck.npz"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_a_diverging_learning_rate_is_named_and_the_last_good_epoch_kept(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 2)), rng.integers(0, 3, 60)
    per_epoch, calls = 30, []
    model = nn.MLP([2, 3], rng=0)  # linear: nothing bounds its output
    opt = nn.optim.SGD(model.parameters(), lr=0.01)

    def loss(out: Tensor, labels: np.ndarray) -> Tensor:
        calls.append(1)
        if len(calls) == per_epoch + 1:  # epoch 2 runs at a learning rate far too large
            opt.lr = 1e8
        return nn.mse_loss(out, data.one_hot(labels, 3, np.float64))

    path = tmp_path / "ck.npz"
    message = r"fit: epoch 2, .*the loss is inf: the loss grew at each of the last 3 steps, .*lr=1e\+08 is"
    with pytest.raises(nn.NonFiniteError, match=message) as info:
        fit(model, opt, x, y, loss=loss, epochs=5, batch_size=2, rng=0, checkpoint=path, progress=False)
    err = info.value
    assert err.epoch == 2 and len(err.history.epochs) == 1 and np.isfinite(err.history.losses).all()
    assert all(np.isfinite(a).all() for a in model.state_dict().values())
    saved = nn.MLP([2, 3], rng=1)
    nn.load(saved, path)
    assert same(saved.state_dict(),
                replay(lambda: nn.MLP([2, 3], rng=0), 0.01, x, y, "mse_loss", per_epoch, 2))


# -- a reader racing optimizer.step() (item 8) ----------------------------------------------------


def test_a_reader_paused_inside_copy_on_write_never_loses_a_concurrent_step() -> None:
    """Item 8, made deterministic: a reader stops inside ``Tensor.data`` right after it read the
    saved (read-only) array; the optimizer's step runs meanwhile; the reader then finishes.
    Before the fix it copied the old array over the step."""
    W = Tensor(np.zeros(3), requires_grad=True)
    graph = (W * 2.0).sum()  # the graph saves W's array: the next read of W.data copies it first
    code = Tensor.data.fget.__code__  # type: ignore[attr-defined]
    paused, resume = threading.Event(), threading.Event()
    lines: list[int] = []

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            lines.append(frame.f_lineno)
            if len(lines) == 2:  # the getter's first line (reading self._data) has run
                paused.set()
                resume.wait(10)
        return local

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code is code else None

    def reader() -> None:
        sys.settrace(tracer)
        try:
            W.data  # noqa: B018 - the read is the point
        finally:
            sys.settrace(None)

    thread = threading.Thread(target=reader)
    thread.start()
    assert paused.wait(10), "the reader never reached the getter"
    W.data -= 1.0  # the optimizer's in-place step, while the reader holds the old array
    resume.set()
    thread.join(10)
    assert not thread.is_alive()
    np.testing.assert_array_equal(W.data, [-1.0, -1.0, -1.0])
    graph.backward()
    np.testing.assert_array_equal(W.grad, [2.0, 2.0, 2.0])
