"""Data for the demos: the IDX format, MNIST and Fashion-MNIST, the embedded digits, batching.

* :func:`read_idx` -- an IDX file (gzip or raw) as a numpy array, every header field checked;
* :func:`load_mnist` -- MNIST (``kind="digits"``) or Fashion-MNIST (``kind="fashion"``):
  from the cache, from Debian's ``dataset-fashion-mnist`` folder, or downloaded from a
  list of mirrors, every file checked against its published MD5 before it is used or kept;
* :func:`load_embedded` -- scikit-learn's 8x8 digits, the offline default (extra ``demo``);
* :func:`batches`, :func:`batch_indices`, :func:`one_hot` -- shuffled mini-batches from a seeded
  Generator (or their indices), targets.

Every loader returns a :class:`Dataset`: float32 pixels in [0, 1], one image per row
(784 = 28 x 28 columns for MNIST, 64 = 8 x 8 for the embedded digits), int64 labels.

A download goes to a temporary file beside its destination and is renamed into the
cache only after its MD5 matched, so the cache never holds a partial or unverified file.
Every file is bounded by its published size (:data:`SIZES`): a larger download, cached
file or decompressed stream is refused without being read whole, and a download has a
total ``deadline`` besides its per-read ``timeout``.

>>> x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
>>> [yb.tolist() for _, yb in batches(x, y, batch_size=2, shuffle=False)]
[[0, 1], [2, 3], [4]]
>>> one_hot(np.array([2, 0]), 3)
array([[0., 0., 1.],
       [1., 0., 0.]], dtype=float32)
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import math
import os
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from autograd.atomic import atomic_write
from nn.checks import positive_int
from nn.init import RNGLike, make_rng

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
"""The four files of a release, train images/labels then test images/labels (stored as ``NAME.gz``)."""

CHECKSUMS: dict[str, dict[str, tuple[str, str]]] = {
    # (MD5 of the published NAME.gz, MD5 of the uncompressed NAME).  The second one
    # accepts recompressed copies too, such as Debian's dataset-fashion-mnist files.
    "digits": {
        "train-images-idx3-ubyte": ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"),
        "train-labels-idx1-ubyte": ("d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"),
        "t10k-images-idx3-ubyte": ("9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"),
        "t10k-labels-idx1-ubyte": ("ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"),
    },
    "fashion": {
        "train-images-idx3-ubyte": ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
        "train-labels-idx1-ubyte": ("25c81989df183df01b3e8a0aad5dffbe", "9018921c3c673c538a1fc5bad174d6f9"),
        "t10k-images-idx3-ubyte": ("bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a"),
        "t10k-labels-idx1-ubyte": ("bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"),
    },
}
"""Published MD5s of each kind's files: ``CHECKSUMS[kind][name] = (gz_md5, raw_md5)``."""

MIRRORS: dict[str, tuple[str, ...]] = {
    "digits": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
               "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    "fashion": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}
"""Default download locations, tried in order; a file's URL is ``base + NAME.gz``."""

SYSTEM_DIRS: dict[str, tuple[str, ...]] = {
    "digits": (),
    "fashion": ("/usr/share/datasets/fashion-mnist",),
}
"""Read-only folders searched after the cache (Debian's ``dataset-fashion-mnist`` package)."""

SUBDIRS = {"digits": "mnist", "fashion": "fashion-mnist"}
"""Each kind's folder inside the cache (the file names of the two kinds are the same)."""

SIZES: dict[str, dict[str, tuple[int, int]]] = {
    # Published sizes.  Debian's dataset-fashion-mnist files are recompressed without the
    # gzip name field: each is smaller by exactly len(name) + 1 bytes, and the same raw size.
    "digits": {
        "train-images-idx3-ubyte": (9912422, 47040016),
        "train-labels-idx1-ubyte": (28881, 60008),
        "t10k-images-idx3-ubyte": (1648877, 7840016),
        "t10k-labels-idx1-ubyte": (4542, 10008),
    },
    "fashion": {
        "train-images-idx3-ubyte": (26421880, 47040016),
        "train-labels-idx1-ubyte": (29515, 60008),
        "t10k-images-idx3-ubyte": (4422102, 7840016),
        "t10k-labels-idx1-ubyte": (5148, 10008),
    },
}
"""Published sizes in bytes, ``SIZES[kind][name] = (size of NAME.gz, size of NAME)``: the most a
download, a cached file or a decompression may hold (a recompressed copy is no larger)."""

_GZIP_MAGIC = b"\x1f\x8b"
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_MAX_DIMS = 64  # numpy's NPY_MAXDIMS (numpy >= 2)
_CHUNK = 1 << 16  # bytes per read: small, so a deadline is checked often and nothing is over-allocated


class Dataset(NamedTuple):
    """Train and test arrays: ``x`` float32 in [0, 1], one flattened image per row; ``y`` int64 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


# -- the IDX format --------------------------------------------------------------------
@contextmanager
def _gzip_errors(where: str) -> Iterator[None]:
    """Turn the gzip module's errors into ``ValueError("{where}: corrupted gzip data ...")``."""
    try:
        yield
    except (OSError, EOFError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{where}: corrupted gzip data ({e})") from None


def _read_at_most(stream: io.BufferedIOBase, limit: int) -> bytearray:
    """Up to ``limit`` bytes of ``stream``, read in chunks: memory grows with the bytes
    that arrive, never with what a header or a caller declares."""
    buf = bytearray()
    while len(buf) < limit:
        chunk = stream.read(min(limit - len(buf), _CHUNK))
        if not chunk:
            break
        buf += chunk
    return buf


def _gunzip(data: bytes, where: str, limit: int) -> bytes:
    """The gzip ``data`` decompressed, if that is at most ``limit`` bytes (a gzip bomb stops there)."""
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as g, _gzip_errors(where):
        raw = _read_at_most(g, limit + 1)
    if len(raw) > limit:
        raise ValueError(f"{where}: decompresses to more than {limit} bytes, the most the file can "
                         "hold: not the published file (a gzip bomb?); stopped decompressing")
    return bytes(raw)


def _length_error(where: str, shape: tuple[int, ...], dtype: np.dtype[Any], expected: int,
                  found: int, exact: bool) -> ValueError:
    needs = f"shape {shape} of {dtype.name} needs {expected} bytes of data"
    if found < expected:
        return ValueError(f"read_idx: {where}: truncated: {needs}, found {found}")
    extra = f"{found} ({found - expected} extra)" if exact else "more"
    return ValueError(f"read_idx: {where}: wrong length: {needs}, found {extra}")


def _read_idx(stream: io.BufferedIOBase, where: str, size: int | None) -> np.ndarray:
    """The array in the IDX ``stream``: magic ``00 00 TT NN``, NN big-endian uint32 sizes, values.

    ``size`` is the stream's length when known (a raw file): it is compared with the
    header before any data is read.  Otherwise (a gzip stream) at most the data the
    header declares and one byte more are read, so memory stays bounded by the real data.
    """
    magic = stream.read(4)
    if len(magic) < 4:
        raise ValueError(f"read_idx: {where}: {len(magic)} bytes, too short for the 4-byte IDX magic number")
    if magic[0] or magic[1]:
        raise ValueError(f"read_idx: {where}: magic number starts with {magic[:2].hex()}, "
                         "an IDX file starts with 0000 (is it an IDX file?)")
    code, ndim = magic[2], magic[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"read_idx: {where}: unknown dtype code 0x{code:02x} "
                         f"(IDX knows {', '.join(f'0x{c:02x}' for c in _IDX_TYPES)})")
    if ndim == 0:
        raise ValueError(f"read_idx: {where}: the header declares 0 dimensions")
    if ndim > _MAX_DIMS:
        raise ValueError(f"read_idx: {where}: the header declares {ndim} dimensions; a numpy array "
                         f"has at most {_MAX_DIMS}")
    header = 4 + 4 * ndim
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise ValueError(f"read_idx: {where}: truncated header: {ndim} dimensions need {header} bytes, "
                         f"the file has {4 + len(sizes)}")
    shape = struct.unpack(f">{ndim}I", sizes)
    dtype = np.dtype(_IDX_TYPES[code])
    # Python integers: exact, where np.prod would wrap around at 2**63.
    if math.prod(max(n, 1) for n in shape) * dtype.itemsize > np.iinfo(np.intp).max:
        raise ValueError(f"read_idx: {where}: shape {shape} of {dtype.name} is too large for a numpy "
                         f"array (more than {np.iinfo(np.intp).max} bytes)")
    expected = math.prod(shape) * dtype.itemsize
    if size is not None and size - header != expected:
        raise _length_error(where, shape, dtype, expected, size - header, exact=True)
    data = _read_at_most(stream, expected + 1)
    if len(data) != expected:
        raise _length_error(where, shape, dtype, expected, len(data), exact=size is not None)
    return np.frombuffer(data, dtype).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """The array stored in the IDX file ``path`` (gzip-compressed or raw, told by its first bytes).

    IDX: two zero bytes, a dtype code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, each size as a big-endian
    uint32, then the values in C order.  A bad magic number, an unknown dtype code, more
    dimensions than numpy allows, sizes too large for numpy, a truncated or over-long
    file raises ``ValueError`` naming the file and the fault.  The header is read first:
    no more data than it declares is ever read (or decompressed), and a raw file's
    length is checked before its data is read.
    """
    where = os.fspath(path)
    with open(path, "rb") as f:
        if f.read(2) == _GZIP_MAGIC:
            f.seek(0)
            with gzip.GzipFile(fileobj=f) as g, _gzip_errors(f"read_idx: {where}"):
                return _read_idx(g, where, None)
        f.seek(0)
        return _read_idx(f, where, os.fstat(f.fileno()).st_size)


# -- MNIST and Fashion-MNIST -------------------------------------------------------------
def cache_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``root``, else ``$CHAINRULE_DATA``, else ``~/.cache/chainrule``.

    >>> cache_dir("/tmp/data")
    PosixPath('/tmp/data')
    """
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("CHAINRULE_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "chainrule"


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _verified(data: bytes, kind: str, name: str, where: str) -> bytes:
    """The uncompressed IDX bytes of ``data`` (at most a cap long) if they are the published
    ``name``, else ValueError.  Decompression stops at the published uncompressed size."""
    gz_md5, raw_md5 = CHECKSUMS[kind][name]
    digest = _md5(data)
    if data[:2] == _GZIP_MAGIC:
        raw = _gunzip(data, where, SIZES[kind][name][1])
        if digest == gz_md5 or _md5(raw) == raw_md5:
            return raw
    elif digest == raw_md5:
        return data
    raise ValueError(f"{where}: MD5 {digest} is neither the published {name}.gz ({gz_md5}) "
                     f"nor the uncompressed {name} ({raw_md5}): corrupted or a different file")


def _local(kind: str, name: str, folders: Sequence[Path], problems: list[str]) -> bytes | None:
    gz_cap, raw_cap = SIZES[kind][name]
    for folder in folders:
        for path in (folder / f"{name}.gz", folder / name):
            if not path.is_file():
                continue
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                gz = f.read(2) == _GZIP_MAGIC
                cap = gz_cap if gz else raw_cap
                if size > cap:
                    problems.append(f"{path}: {size} bytes, more than the {cap} of the published "
                                    f"{name}{'.gz' if gz else ''}: not read")
                    continue
                f.seek(0)
                data = f.read()
            try:
                return _verified(data, kind, name, str(path))
            except ValueError as e:
                problems.append(str(e))
    return None


def _shut(sock: socket.socket) -> None:
    """End a connection another thread may be reading from (it then sees end of file)."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's: an SSL socket's drops its state
    except OSError:  # already closed
        pass


@contextmanager
def _until(stop_at: float) -> Iterator[urllib.request.OpenerDirector]:
    """An opener whose every connection is shut down at the monotonic time ``stop_at``,
    whatever it is doing: a server that drips its headers is cut off as one that drips
    its body (the per-read ``timeout`` never fires while a byte arrives now and then)."""
    timers: list[threading.Timer] = []

    def watch(sock: socket.socket) -> None:
        timer = threading.Timer(max(0.0, stop_at - time.monotonic()), _shut, args=(sock,))
        timer.daemon = True
        timer.start()
        timers.append(timer)

    class Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            watch(self.sock)

    class SecureConnection(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            watch(self.sock)

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Connection, req)

    class SecureHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(SecureConnection, req)

    try:
        yield urllib.request.build_opener(Handler, SecureHandler)
    finally:
        for timer in timers:
            timer.cancel()


def _download(url: str, dest: Path, kind: str, name: str, timeout: float, deadline: float) -> bytes:
    """Fetch ``url`` into a temporary file beside ``dest``; rename it to ``dest`` once verified.

    Refused: a Content-Length above the published size of ``name.gz``; stopped: a body
    that grows past it, or a transfer (headers included) still running ``deadline``
    seconds after the start.
    """
    cap = SIZES[kind][name][0]
    dest.parent.mkdir(parents=True, exist_ok=True)
    stop_at = time.monotonic() + deadline
    size, announced = 0, None

    def too_late() -> TimeoutError:
        return TimeoutError(f"deadline={deadline:g} s passed with {size} of "
                            f"{announced if announced is not None else 'unknown'} bytes received "
                            "(a slow but steady link needs a larger deadline)")

    with atomic_write(dest, "w+b") as f, _until(stop_at) as opener:
        try:
            with opener.open(url, timeout=timeout) as response:
                header = response.headers.get("Content-Length", "")
                announced = int(header) if header.strip().isdigit() else None
                if announced is not None and announced > cap:
                    raise ValueError(f"{url}: Content-Length {announced} bytes is more than the {cap} of "
                                     f"the published {name}.gz: refused")
                while chunk := response.read1(_CHUNK):
                    size += len(chunk)
                    if size > cap:
                        raise ValueError(f"{url}: sent more than {cap} bytes, the size of the published "
                                         f"{name}.gz: stopped reading")
                    f.write(chunk)
                    if time.monotonic() > stop_at:
                        raise too_late()
        except (OSError, http.client.HTTPException):
            if time.monotonic() >= stop_at:  # the watchdog ended the connection
                raise too_late() from None
            raise
        if time.monotonic() >= stop_at:  # cut off: what arrived ends early
            raise too_late()
        if announced is not None and size < announced:
            raise ValueError(f"{url}: the connection closed after {size} of the {announced} bytes announced")
        f.seek(0)
        return _verified(f.read(), kind, name, url)  # raises before the rename if bad


def _fetch(kind: str, name: str, folder: Path, mirrors: Sequence[str], timeout: float, deadline: float,
           problems: list[str]) -> bytes | None:
    for base in mirrors:
        url = base.rstrip("/") + f"/{name}.gz"
        try:
            return _download(url, folder / f"{name}.gz", kind, name, timeout, deadline)
        except ValueError as e:
            problems.append(str(e))
        except (OSError, http.client.HTTPException) as e:
            if isinstance(e, urllib.error.HTTPError):
                problems.append(f"{url}: {e}")
            else:
                reason = e.reason if isinstance(e, urllib.error.URLError) else e
                problems.append(f"{url}: {type(reason).__name__}: {reason}")
    return None


def load_mnist(kind: str = "digits", root: str | os.PathLike[str] | None = None, download: bool = True,
               mirrors: Sequence[str] | None = None, timeout: float = 10.0,
               deadline: float = 600.0) -> Dataset:
    """MNIST (``kind="digits"``) or Fashion-MNIST (``"fashion"``): 60,000 training and 10,000 test images.

    Each of the four :data:`FILES` is taken from the first place that has a copy whose
    MD5 is the published one: ``cache_dir(root)/mnist`` (or ``/fashion-mnist``), then
    :data:`SYSTEM_DIRS`, then, if ``download``, the ``mirrors`` (default :data:`MIRRORS`)
    in order, each with ``timeout`` seconds per network operation and ``deadline`` seconds
    in all per file (a mirror that drips bytes is abandoned then).  No file larger than its
    published size (:data:`SIZES`) is downloaded, read or decompressed.  A download is kept
    in the cache only once verified.  When a file cannot be had, ``FileNotFoundError`` says
    where to put it, and which ``kind`` works offline.
    """
    if kind not in CHECKSUMS:
        raise ValueError(f"load_mnist: kind must be one of {sorted(CHECKSUMS)}, got {kind!r}")
    if isinstance(mirrors, str):
        raise TypeError(f"load_mnist: mirrors must be a list of base URLs, not the string {mirrors!r}")
    for label, seconds in (("timeout", timeout), ("deadline", deadline)):
        if not (isinstance(seconds, (int, float)) and seconds > 0 and math.isfinite(seconds)):
            raise ValueError(f"load_mnist: {label} must be a positive number of seconds, got {seconds!r}")
    folder = cache_dir(root) / SUBDIRS[kind]
    mirrors = MIRRORS[kind] if mirrors is None else tuple(mirrors)
    arrays = []
    for name in FILES:
        problems: list[str] = []
        raw = _local(kind, name, [folder, *map(Path, SYSTEM_DIRS[kind])], problems)
        if raw is None and download:
            raw = _fetch(kind, name, folder, mirrors, timeout, deadline, problems)
        if raw is None:
            raise FileNotFoundError(_missing_message(kind, name, folder, download, problems))
        arrays.append(_read_idx(io.BytesIO(raw), str(folder / name), len(raw)))
    images = [a.reshape(len(a), -1) / np.float32(255) for a in arrays[0::2]]
    labels = [a.astype(np.int64) for a in arrays[1::2]]
    for x, y, split in zip(images, labels, ("train", "test")):
        if len(x) != len(y):
            raise ValueError(f"load_mnist: {folder}: {len(x)} {split} images but {len(y)} labels")
    return Dataset(images[0], labels[0], images[1], labels[1])


def _missing_message(kind: str, name: str, folder: Path, download: bool, problems: list[str]) -> str:
    others = [k for k in CHECKSUMS if k != kind and any(Path(d).is_dir() for d in SYSTEM_DIRS[k])]
    lines = [f"load_mnist: no verified copy of {name}.gz for kind={kind!r}"
             + ("" if download else " (download=False)") + "."]
    lines += [f"  - {p}" for p in problems]
    lines.append(f"To fix: put the four files {', '.join(f + '.gz' for f in FILES)} in {folder} "
                 "(they are checked against their published MD5s), or pass mirrors=[base_url, ...] "
                 "to download from elsewhere.")
    if others:
        lines.append(f"Offline, kind={others[0]!r} works (its files are installed in "
                     f"{SYSTEM_DIRS[others[0]][0]}); load_embedded() always does (extra 'demo').")
    else:
        lines.append("Offline, load_embedded() always works (scikit-learn's 8x8 digits; "
                     "pip install \"chainrule[demo]\").")
    return "\n".join(lines)


# -- the embedded default -------------------------------------------------------------------
def load_embedded(seed: int = 0, test_size: int = 360) -> Dataset:
    """scikit-learn's 1,797 8x8 digits (pixels 0..16 scaled to [0, 1]), split by class into train and test.

    The split keeps each digit's share equal in both parts and depends only on ``seed``.
    Needs scikit-learn (``pip install "chainrule[demo]"``); no network.
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise ModuleNotFoundError('load_embedded: needs scikit-learn, which ships the 8x8 digits: '
                                  'pip install "chainrule[demo]"') from None
    digits: Any = load_digits()
    x = (np.asarray(digits.data, dtype=np.float32) / np.float32(16)).astype(np.float32)
    y = np.asarray(digits.target, dtype=np.int64)
    if not 0 < test_size < len(y):
        raise ValueError(f"load_embedded: test_size must be between 1 and {len(y) - 1}, got {test_size}")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, stratify=y,
                                                        random_state=seed)
    return Dataset(x_train, y_train, x_test, y_test)


# -- batching ---------------------------------------------------------------------------------
def batch_indices(n: int, batch_size: int, rng: RNGLike = None, shuffle: bool = True) -> Iterator[np.ndarray]:
    """The indices of each mini-batch of ``n`` examples: every index once, ``batch_size`` at a
    time (the last batch may be smaller), in the order of a permutation drawn from ``rng``
    (a Generator or a seed), or in order if ``shuffle`` is False.

    >>> [b.tolist() for b in batch_indices(5, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """
    batch_size = positive_int("batches", "batch_size", batch_size)
    order = make_rng(rng).permutation(n) if shuffle else np.arange(n)
    for i in range(0, n, batch_size):
        yield order[i:i + batch_size]


def batches(x: Any, y: Any, batch_size: int, rng: RNGLike = None,
            shuffle: bool = True) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Mini-batches ``(x[i], y[i])`` that cover every example once; the last one may be smaller.

    ``x`` and ``y`` are arrays or anything ``np.asarray`` takes.  The order is a permutation
    drawn from ``rng`` (a Generator or a seed), or the stored order if ``shuffle`` is False
    (see :func:`batch_indices`).
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"batches: x has {len(x)} examples but y has {len(y)}")
    for idx in batch_indices(len(x), batch_size, rng, shuffle):
        yield x[idx], y[idx]


def one_hot(labels: np.ndarray, n_classes: int, dtype: Any = np.float32) -> np.ndarray:
    """Rows ``e_y``: ``out[i, labels[i]] = 1``, every other entry 0; shape ``(len(labels), n_classes)``."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"one_hot: labels must be a 1-D integer array, got shape {labels.shape} "
                         f"of {labels.dtype}")
    if labels.size and not (0 <= labels.min() and labels.max() < n_classes):
        raise ValueError(f"one_hot: labels must lie in [0, {n_classes}), got min {labels.min()} "
                         f"and max {labels.max()}")
    out = np.zeros((len(labels), n_classes), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out
