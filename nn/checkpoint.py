"""Checkpoints: a module's ``state_dict`` (and optionally an optimizer's) as one ``.npz``.

* No pickle: arrays of numbers only; an entry holding Python objects is refused.
* Atomic: written to a temporary file in the same directory, flushed to disk, then
  renamed over ``path`` (``os.replace``), so a crash leaves the old file or the new
  one, never half of one (:func:`autograd.atomic.atomic_write`; the temporary file of
  a killed writer is removed by the next save).
* Checked before read: every entry's ``.npy`` header (key, shape, dtype) is checked
  against the module (and optimizer) before any array data is read, so a file
  declaring a huge array costs nothing; then the data, the optimizer's settings (by
  the constructors' own rules) and its buffers are checked.  A missing key, an
  unexpected key or a wrong shape raises ``ValueError`` naming the key (and both
  shapes); a file that is not a complete checkpoint raises ``ValueError`` saying what
  it is not.  Every error names the file, and in every failed case nothing is changed.

Optimizer entries are stored under ``optimizer.<key>``.
"""

from __future__ import annotations

import io
import os
import zipfile
from typing import Any, cast

import numpy as np

from autograd.atomic import atomic_write
from nn.module import Module, check_layout
from nn.optim import Optimizer

OPTIMIZER_PREFIX = "optimizer."

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or an empty zip's end record
_NPY_MAGIC = b"\x93NUMPY"
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
_MAX_HEADER = 10_000
"""The longest ``.npy`` header read (numpy's own limit); nn.save's are about 120 bytes."""

Layout = dict[str, tuple[tuple[int, ...], np.dtype[Any]]]
"""key -> (shape, dtype) of each array in a checkpoint, from the ``.npy`` headers."""


def save(module: Module, path: str | os.PathLike[str], optimizer: Optimizer | None = None) -> None:
    """Write ``module.state_dict()`` (and ``optimizer.state_dict()`` under ``optimizer.``)
    to ``path`` exactly (no suffix is added), atomically.

    >>> import os, tempfile, nn
    >>> net = nn.MLP([2, 2, 1], rng=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
    >>> nn.save(net, path)
    >>> other = nn.MLP([2, 2, 1], rng=1)
    >>> nn.load(other, path)
    >>> bool((other.layers[0].weight.data == net.layers[0].weight.data).all())
    True
    """
    arrays: dict[str, np.ndarray] = dict(module.state_dict())
    clash = [k for k in arrays if k.startswith(OPTIMIZER_PREFIX)]
    if clash and optimizer is not None:
        raise ValueError(f"save: module key {clash[0]!r} collides with the optimizer prefix "
                         f"{OPTIMIZER_PREFIX!r}")
    if optimizer is not None:
        arrays.update({OPTIMIZER_PREFIX + k: np.asarray(v) for k, v in optimizer.state_dict().items()})
    with atomic_write(path) as f:
        np.savez(f, **cast(dict[str, Any], arrays))


def _what_it_is(where: str) -> None:
    """``ValueError`` unless the file starts like a zip archive, saying what it is instead."""
    with open(where, "rb") as f:
        head = f.read(8)
    if head[:4] in _ZIP_MAGICS:
        return
    if not head:
        raise ValueError(f"load: {where!r} is empty (0 bytes), not a checkpoint")
    if head.startswith(_NPY_MAGIC):
        raise ValueError(f"load: {where!r} holds a single array (.npy), not an .npz archive of named "
                         "arrays: not a checkpoint written by nn.save")
    raise ValueError(f"load: {where!r} is not a checkpoint: it starts with the bytes {head!r}, "
                     "a checkpoint (an .npz, a zip archive) starts with b'PK\\x03\\x04'")


def _layout(archive: zipfile.ZipFile, where: str) -> Layout:
    """Each entry's key, shape and dtype, from its ``.npy`` header alone (no data is read)."""
    layout: Layout = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise ValueError(f"load: {where!r} holds the entry {info.filename!r}, not a .npy array: "
                             "not a checkpoint written by nn.save")
        key = info.filename[:-len(".npy")]
        if key in layout:
            raise ValueError(f"load: {where!r} holds the key {key!r} twice")
        try:
            with archive.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version not in _HEADER_READERS:
                    raise ValueError(f"load: {where!r}: entry {key!r} is in .npy format version "
                                     f"{version[0]}.{version[1]}, which nn.save never writes")
                # numpy reads the whole header before it checks its length: check it first
                field = f.read(2 if version == (1, 0) else 4)
                length = int.from_bytes(field, "little")
                if length > _MAX_HEADER:
                    raise ValueError(f"load: {where!r}: entry {key!r} declares a .npy header of {length} "
                                     f"bytes; nn.save writes at most {_MAX_HEADER}: not a checkpoint")
                header = _HEADER_READERS[version](io.BytesIO(field + f.read(length)))
        except ValueError as e:  # numpy's first line: the rest can advise allow_pickle, never ours
            if str(e).startswith("load: "):
                raise
            raise ValueError(f"load: {where!r}: entry {key!r} has no valid .npy header "
                             f"({str(e).splitlines()[0]})") from None
        shape, _, dtype = header
        if dtype.hasobject:
            raise ValueError(f"load: {where!r} is not a readable checkpoint: entry {key!r} holds Python "
                             "objects (pickled data); nn.load reads arrays of numbers only, never pickles")
        layout[key] = (shape, dtype)
    return layout


def _read(archive: zipfile.ZipFile, key: str, where: str) -> np.ndarray:
    """The array of entry ``key``, whose header was checked; its zip CRC too."""
    with archive.open(f"{key}.npy") as f:
        try:
            a = np.lib.format.read_array(f, allow_pickle=False)
        except ValueError as e:
            raise ValueError(f"load: {where!r}: entry {key!r} is truncated or corrupt "
                             f"({str(e).splitlines()[0]})") from None
        if f.read(1):  # reading to the end of the entry also checks its CRC
            raise ValueError(f"load: {where!r}: entry {key!r} has bytes after its array's data")
    return a


def _split(items: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(module entries, optimizer entries without the prefix)."""
    module = {k: v for k, v in items.items() if not k.startswith(OPTIMIZER_PREFIX)}
    optim = {k[len(OPTIMIZER_PREFIX):]: v for k, v in items.items() if k.startswith(OPTIMIZER_PREFIX)}
    return module, optim


def load(module: Module, path: str | os.PathLike[str], optimizer: Optimizer | None = None) -> None:
    """Load a checkpoint written by :func:`save` into ``module`` (and ``optimizer``).
    Everything is read and checked before anything is assigned; without ``optimizer``
    any optimizer entries in the file are ignored (and not read)."""
    where = os.fspath(path)
    _what_it_is(where)
    what = f"load {where!r}"
    try:
        with zipfile.ZipFile(where) as archive:
            module_layout, optim_layout = _split(_layout(archive, where))
            check_layout(module_layout, module._state_shapes(), what, "the parameter")
            if optimizer is not None:
                if not optim_layout:
                    raise ValueError(f"load: {where!r} holds no optimizer state")
                older = dict.fromkeys(optimizer._missing_newer(optim_layout), ((), np.dtype(np.float64)))
                check_layout({**older, **optim_layout}, optimizer._state_shapes(), f"{what} (optimizer)",
                             "the optimizer's state")
            keys = [*module_layout, *(OPTIMIZER_PREFIX + k for k in optim_layout if optimizer is not None)]
            module_state, optim_state = _split({k: _read(archive, k, where) for k in keys})
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as e:
        # NotImplementedError: an unknown compression method; RuntimeError: an encrypted entry
        raise ValueError(f"load: {where!r} is not a readable checkpoint (corrupt or truncated .npz): "
                         f"{e}") from None
    checked = module._check_state(module_state, what)
    if optimizer is not None:
        optim_checked = optimizer._check_state(optim_state, f"{what} (optimizer)")
    module._apply_state(checked)
    if optimizer is not None:
        optimizer._apply_state(optim_checked)
