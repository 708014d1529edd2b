"""A small, independent central-difference helper for the engine's own tests
(deliberately separate from ``autograd.checking``, which is tested on its own)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_diff(f: Callable[[list[np.ndarray]], float], xs: list[np.ndarray],
                 h: float = 1e-6) -> list[np.ndarray]:
    """∂f/∂x by (f(x + h) - f(x - h)) / 2h for every element of every array in ``xs``."""
    grads = []
    for x in xs:
        g = np.zeros_like(x, dtype=np.float64)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            up = f(xs)
            x[i] = old - h
            down = f(xs)
            x[i] = old
            g[i] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def assert_close(actual: np.ndarray | float, expected: np.ndarray | float, tol: float = 1e-5) -> None:
    """|actual - expected| <= tol * (1 + |expected|), elementwise, with the worst entry in the message."""
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, f"shape {a.shape} != {e.shape}"
    err = np.abs(a - e) / (1 + np.abs(e))
    if err.size and not (err <= tol).all():
        i = np.unravel_index(np.argmax(err), err.shape)
        raise AssertionError(f"mismatch at {i}: {a[i]!r} vs {e[i]!r} (scaled error {err[i]:.2e} > {tol})")
