"""Checkpoints: a module's ``state_dict`` (and optionally an optimizer's) as one ``.npz``.

* No pickle: arrays only, read back with ``numpy.load(..., allow_pickle=False)``.
* Atomic: written to a temporary file in the same directory, flushed to disk, then
  renamed over ``path`` (``os.replace``), so a crash leaves the old file or the new
  one, never half of one.
* Checked: a missing key, an unexpected key or a wrong shape raises ``ValueError``
  naming the key (and both shapes), and a corrupt or truncated file raises
  ``ValueError`` naming the file; in every failed case nothing is changed.

Optimizer entries are stored under ``optimizer.<key>``.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any, cast

import numpy as np

from autograd.atomic import atomic_write
from nn.module import Module
from nn.optim import Optimizer

OPTIMIZER_PREFIX = "optimizer."


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


def read_arrays(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path``, read in full (no pickle); ``ValueError``
    if the file is not a complete, readable npz archive."""
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an .npz archive of named arrays")
        with archive:
            return {k: archive[k] for k in archive.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as e:
        raise ValueError(f"load: {os.fspath(path)!r} is not a readable checkpoint "
                         f"(corrupt or truncated .npz): {e}") from None


def load(module: Module, path: str | os.PathLike[str], optimizer: Optimizer | None = None) -> None:
    """Load a checkpoint written by :func:`save` into ``module`` (and ``optimizer``).
    Everything is read and checked before anything is assigned; without ``optimizer``
    any optimizer entries in the file are ignored."""
    arrays = read_arrays(path)
    module_state = {k: v for k, v in arrays.items() if not k.startswith(OPTIMIZER_PREFIX)}
    optim_state: dict[str, Any] = {k[len(OPTIMIZER_PREFIX):]: v for k, v in arrays.items()
                                   if k.startswith(OPTIMIZER_PREFIX)}
    checked = module._check_state(module_state, f"load {os.fspath(path)!r}")
    if optimizer is not None:
        if not optim_state:
            raise ValueError(f"load: {os.fspath(path)!r} holds no optimizer state")
        optim_checked = optimizer._check_state(optim_state, f"load {os.fspath(path)!r} (optimizer)")
    module._apply_state(checked)
    if optimizer is not None:
        optimizer._apply_state(optim_checked)
