"""nn.data: the IDX reader on files written here, load_mnist against a local HTTP server,
the embedded digits, batching and one-hot targets."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import math
import socket
import struct
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nn import data
from tests.tools import LocalServer, require

IDX_CODES: dict[np.dtype[Any], int] = {
    np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B,
    np.dtype("int32"): 0x0C, np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}


def idx_bytes(a: np.ndarray) -> bytes:
    """The IDX encoding of ``a``, written independently of the reader."""
    header = bytes([0, 0, IDX_CODES[a.dtype], a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    return header + a.astype(a.dtype.newbyteorder(">")).tobytes()


idx_arrays = st.sampled_from(sorted(IDX_CODES, key=str)).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5),
                          elements=hnp.from_dtype(dt, allow_nan=False)))


# -- read_idx ----------------------------------------------------------------------------
@given(idx_arrays, st.booleans())
def test_read_idx_round_trips(tmp_path_factory: pytest.TempPathFactory, a: np.ndarray,
                              compress: bool) -> None:
    path = tmp_path_factory.mktemp("idx") / "a.idx"
    raw = idx_bytes(a)
    path.write_bytes(gzip.compress(raw) if compress else raw)
    b = data.read_idx(path)
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(b, a)


def test_read_idx_reads_big_endian_values(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE]))
    assert data.read_idx(path).tolist() == [0x0102, -2]


@pytest.mark.parametrize("mutate, message", [
    (lambda b: b[:-1], "truncated"),
    (lambda b: b[:10], "truncated header"),
    (lambda b: b + b"\0", "wrong length"),
    (lambda b: b"\x08\x03" + b[2:], "magic number"),
    (lambda b: b[:2] + b"\x07" + b[3:], "dtype code 0x07"),
    (lambda b: b[:3] + b"\x00", "0 dimensions"),
    (lambda b: b[:2], "too short"),
])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_rejects_bad_files(tmp_path: Path, mutate: Callable[[bytes], bytes], message: str,
                                    compress: bool) -> None:
    good = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    bad = mutate(good)
    path = tmp_path / "bad.idx"
    path.write_bytes(gzip.compress(bad) if compress else bad)
    with pytest.raises(ValueError, match=message) as info:
        data.read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_rejects_corrupted_gzip(tmp_path: Path) -> None:
    path = tmp_path / "c.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(100, np.uint8)))[:-12])
    with pytest.raises(ValueError, match="corrupted gzip"):
        data.read_idx(path)


def idx_header(code: int, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dims, body, message", [
    ((2**16,) * 4, b"", r"shape \(65536, 65536, 65536, 65536\) of uint8 is too large for a numpy array"),
    ((0, 2**32 - 1, 2**32 - 1, 2**32 - 1), b"", "too large for a numpy array"),
    ((1000, 1000), bytes(10), r"truncated: .* of uint8 needs 1000000 bytes of data, found 10"),
    ((2**31,), bytes(10), r"truncated: .* needs 2147483648 bytes of data, found 10"),
    ((1,) * 255, bytes(1), "the header declares 255 dimensions; a numpy array has at most 64"),
])
def test_read_idx_header_faults_name_the_file(tmp_path: Path, dims: tuple[int, ...], body: bytes,
                                              message: str, compress: bool) -> None:
    """Sizes are multiplied exactly (np.prod wraps (2**16,) * 4 around to 0), and every fault
    names the file: none is left to a numpy message."""
    raw = idx_header(0x08, dims) + body
    path = tmp_path / "odd.idx"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    with pytest.raises(ValueError, match=message) as info:
        data.read_idx(path)
    assert str(info.value).startswith(f"read_idx: {path}: ")


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_memory_is_bounded_by_the_declared_data(tmp_path: Path, compress: bool) -> None:
    """16 bytes declared, 32 MiB of zeros behind them: the gzip stream is decompressed only
    up to 17 bytes, the raw file's length is compared before anything is read."""
    raw = idx_header(0x08, (16,)) + bytes(32 << 20)
    path = tmp_path / "long.idx"
    path.write_bytes(gzip.compress(raw, compresslevel=1) if compress else raw)
    del raw
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="wrong length: shape \\(16,\\) of uint8 needs 16 bytes of data, "
                                             + ("found more" if compress else "found 33554432")):
            data.read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"peak {peak} bytes"


# -- load_mnist against a server on 127.0.0.1 --------------------------------------------------
N_TRAIN, N_TEST = 30, 12


def release(seed: int) -> dict[str, bytes]:
    """A tiny MNIST-shaped release: the four gzipped IDX files."""
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte": rng.integers(0, 10, N_TRAIN, dtype=np.uint8),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, N_TEST, dtype=np.uint8)}
    return {f"{name}.gz": gzip.compress(idx_bytes(a), mtime=0) for name, a in arrays.items()}


GOOD = release(0)


@pytest.fixture(autouse=True)
def tiny_release(monkeypatch: pytest.MonkeyPatch) -> None:
    """kind="digits" means the tiny release here; no system folder is searched."""
    checksums = {name[:-3]: (hashlib.md5(b).hexdigest(), hashlib.md5(gzip.decompress(b)).hexdigest())
                 for name, b in GOOD.items()}
    monkeypatch.setitem(data.CHECKSUMS, "digits", checksums)
    monkeypatch.setattr(data, "SYSTEM_DIRS", {"digits": (), "fashion": ()})
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)


class Server(LocalServer):
    """A 127.0.0.1 server: ``routes[path] = bytes`` (or ``cut`` paths that promise the full
    length, send half and hang up); counts requests."""

    def __init__(self, routes: dict[str, bytes], cut: frozenset[str] = frozenset()) -> None:
        self.routes, self.cut, self.hits = routes, cut, 0
        super().__init__(self.answer)
        self.url = self.url.rstrip("/")

    def answer(self, h: http.server.BaseHTTPRequestHandler, stop: threading.Event) -> None:
        self.hits += 1
        body = self.routes.get(h.path)
        if body is None:
            h.send_error(404)
            return
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.path in self.cut:
            h.wfile.write(body[:len(body) // 2])
            h.wfile.flush()
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        h.wfile.write(body)


def serve(prefix: str, files: dict[str, bytes]) -> dict[str, bytes]:
    return {f"/{prefix}/{name}": body for name, body in files.items()}


def cached_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def check_dataset(ds: data.Dataset) -> None:
    raw = {name: np.frombuffer(gzip.decompress(b), np.uint8, offset=16 if "images" in name else 8)
           for name, b in GOOD.items()}
    np.testing.assert_allclose(ds.x_train, raw["train-images-idx3-ubyte.gz"].reshape(N_TRAIN, 784) / 255,
                               rtol=1e-6)
    np.testing.assert_array_equal(ds.y_train, raw["train-labels-idx1-ubyte.gz"])
    np.testing.assert_array_equal(ds.y_test, raw["t10k-labels-idx1-ubyte.gz"])
    assert ds.x_test.shape == (N_TEST, 784) and ds.x_train.dtype == np.float32
    assert ds.y_train.dtype == np.int64


def test_load_mnist_downloads_verifies_and_caches(tmp_path: Path) -> None:
    with Server(serve("a", GOOD)) as s:
        ds = data.load_mnist("digits", root=tmp_path, mirrors=[s.url + "/a/"])
        check_dataset(ds)
        assert cached_files(tmp_path) == sorted(f"mnist/{n}" for n in GOOD)
        hits = s.hits
        check_dataset(data.load_mnist("digits", root=tmp_path, mirrors=[s.url + "/a/"]))
        assert s.hits == hits  # the second load reads the cache


def test_load_mnist_uses_env_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path))
    with Server(serve("a", GOOD)) as s:
        check_dataset(data.load_mnist("digits", mirrors=[s.url + "/a"]))
    assert cached_files(tmp_path) == sorted(f"mnist/{n}" for n in GOOD)


def test_load_mnist_reads_raw_files_without_network(tmp_path: Path) -> None:
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, body in GOOD.items():
        (folder / name[:-3]).write_bytes(gzip.decompress(body))
    check_dataset(data.load_mnist("digits", root=tmp_path, download=False))


def test_corrupted_file_moves_on_to_next_mirror(tmp_path: Path) -> None:
    bad = dict(GOOD)
    body = bytearray(bad["t10k-images-idx3-ubyte.gz"])
    body[len(body) // 2] ^= 0xFF
    bad["t10k-images-idx3-ubyte.gz"] = bytes(body)
    with Server({**serve("bad", bad), **serve("good", GOOD)}) as s:
        check_dataset(data.load_mnist("digits", root=tmp_path, mirrors=[s.url + "/bad/", s.url + "/good/"]))
    assert cached_files(tmp_path) == sorted(f"mnist/{n}" for n in GOOD)


def test_all_mirrors_bad_gives_clear_error_and_empty_cache(tmp_path: Path) -> None:
    other = release(1)  # valid IDX files, but not the published ones
    with Server({**serve("other", other)}) as s:
        with pytest.raises(FileNotFoundError) as info:
            data.load_mnist("digits", root=tmp_path, mirrors=[s.url + "/other/", s.url + "/missing/"])
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and str(tmp_path / "mnist") in message
    assert "MD5" in message and "404" in message and "load_embedded" in message
    assert cached_files(tmp_path) == []


def test_interrupted_download_leaves_no_partial_file(tmp_path: Path) -> None:
    routes = serve("a", GOOD)
    with Server(routes, cut=frozenset(routes)) as s:
        with pytest.raises(FileNotFoundError):
            data.load_mnist("digits", root=tmp_path, mirrors=[s.url + "/a/"])
    assert cached_files(tmp_path) == []


def test_offline_fails_fast_with_instructions(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FileNotFoundError, match="put the four files"):
        data.load_mnist("digits", root=tmp_path, mirrors=[f"http://127.0.0.1:{port}/"], timeout=2)
    assert cached_files(tmp_path) == []


def test_corrupted_cache_file_is_replaced_by_verified_download(tmp_path: Path) -> None:
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(b"junk")
    with Server(serve("a", GOOD)) as s:
        check_dataset(data.load_mnist("digits", root=tmp_path, mirrors=[s.url + "/a/"]))
    assert (folder / "train-labels-idx1-ubyte.gz").read_bytes() == GOOD["train-labels-idx1-ubyte.gz"]


def test_load_mnist_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        data.load_mnist("letters", root=tmp_path)
    with pytest.raises(TypeError, match="list of base URLs"):
        data.load_mnist("digits", root=tmp_path, mirrors="http://127.0.0.1/")


def test_published_fashion_checksums_match_debian_files() -> None:
    folder = Path("/usr/share/datasets/fashion-mnist")
    require(folder.is_dir(), "Debian's dataset-fashion-mnist is not installed")
    for name in data.FILES:
        raw = gzip.decompress((folder / f"{name}.gz").read_bytes())
        assert hashlib.md5(raw).hexdigest() == data.CHECKSUMS["fashion"][name][1]


# -- embedded digits, batching, one-hot ---------------------------------------------------------
def test_load_embedded_is_a_stratified_seeded_split() -> None:
    pytest.importorskip("sklearn")
    ds = data.load_embedded(seed=3)
    assert ds.x_train.shape == (1437, 64) and ds.x_test.shape == (360, 64)
    assert 0 <= ds.x_train.min() and ds.x_train.max() == 1 and ds.x_train.dtype == np.float32
    train_share = np.bincount(ds.y_train, minlength=10) / len(ds.y_train)
    test_share = np.bincount(ds.y_test, minlength=10) / len(ds.y_test)
    assert np.abs(train_share - test_share).max() < 0.01
    again, other = data.load_embedded(seed=3), data.load_embedded(seed=4)
    np.testing.assert_array_equal(again.y_test, ds.y_test)
    assert not np.array_equal(other.y_test, ds.y_test)


@given(st.integers(0, 50), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_batches_cover_every_example_once(n: int, batch_size: int, seed: int) -> None:
    x = np.arange(2 * n).reshape(n, 2)
    y = np.arange(n)
    got = list(data.batches(x, y, batch_size, rng=seed))
    assert all(len(yb) == batch_size for _, yb in got[:-1])
    assert len(got) == -(-n // batch_size)
    seen = np.concatenate([yb for _, yb in got]) if got else np.array([], int)
    assert sorted(seen.tolist()) == list(range(n))
    for xb, yb in got:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)
    again = [yb.tolist() for _, yb in data.batches(x, y, batch_size, rng=seed)]
    assert again == [yb.tolist() for _, yb in got]


def test_batches_shuffle_depends_on_seed() -> None:
    y = np.arange(100)
    first = [yb.tolist() for _, yb in data.batches(y, y, 10, rng=0)]
    assert first != [yb.tolist() for _, yb in data.batches(y, y, 10, rng=1)]
    assert first != [yb.tolist() for _, yb in data.batches(y, y, 10, shuffle=False)]


def test_batches_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        next(data.batches(np.zeros(3), np.zeros(3), 0))
    with pytest.raises(ValueError, match="x has 3 examples but y has 2"):
        next(data.batches(np.zeros(3), np.zeros(2), 1))


@given(hnp.arrays(np.int64, st.integers(0, 20), elements=st.integers(0, 6)))
def test_one_hot_picks_the_label_column(labels: np.ndarray) -> None:
    out = data.one_hot(labels, 7)
    assert out.shape == (len(labels), 7)
    np.testing.assert_array_equal(out.sum(axis=1), 1)
    np.testing.assert_array_equal(out.argmax(axis=1), labels)


def test_one_hot_rejects_bad_labels() -> None:
    with pytest.raises(ValueError, match=r"lie in \[0, 3\)"):
        data.one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="1-D integer"):
        data.one_hot(np.array([0.5]), 3)


# -- size caps of the published files (issue 11, item 12) --------------------------------------
def test_size_caps_match_debian_fashion_files() -> None:
    """Debian's files are recompressed without the gzip name field: each is the published
    size less len(name) + 1 bytes, and decompresses to exactly the published raw size."""
    folder = Path("/usr/share/datasets/fashion-mnist")
    require(folder.is_dir(), "Debian's dataset-fashion-mnist is not installed")
    for name in data.FILES:
        gz_cap, raw_cap = data.SIZES["fashion"][name]
        body = (folder / f"{name}.gz").read_bytes()
        assert len(body) == gz_cap - len(name) - 1
        assert struct.unpack("<I", body[-4:])[0] == raw_cap  # the gzip trailer's ISIZE
    assert data.SIZES["digits"][name][1] == raw_cap  # the same raw sizes for both kinds


def test_an_oversized_cache_file_is_not_read(tmp_path: Path) -> None:
    """A 64 MiB (sparse) train-images-idx3-ubyte.gz, over its published 9,912,422 bytes, is
    refused by its size: not read, nor decompressed."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    big = folder / "train-images-idx3-ubyte.gz"
    with open(big, "wb") as f:
        f.write(b"\x1f\x8b")
        f.truncate(64 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(FileNotFoundError, match=rf"{big}: 67108864 bytes, more than the 9912422 of the "
                                                    "published train-images-idx3-ubyte.gz: not read"):
            data.load_mnist("digits", root=tmp_path, download=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"peak {peak} bytes"
    with Server(serve("a", GOOD)) as s:  # negative control: a verified download replaces it
        check_dataset(data.load_mnist("digits", root=tmp_path, mirrors=[s.url + "/a/"]))
    assert big.read_bytes() == GOOD["train-images-idx3-ubyte.gz"]


def test_deadline_and_timeout_must_be_positive(tmp_path: Path) -> None:
    for bad in ({"deadline": 0}, {"deadline": math.inf}, {"timeout": -1.0}):
        with pytest.raises(ValueError, match="must be a positive number of seconds"):
            data.load_mnist("digits", root=tmp_path, download=False, **bad)
