"""Weight initialisers, seeded through a ``numpy.random.Generator`` so runs repeat.

Every initialiser returns a fresh float64 array; the ``(n_in, n_out)`` ones
return shape ``(n_out, n_in)``, a :class:`nn.Linear` weight (row j = neuron j).

* :func:`uniform` -- ``U(a, b)`` of any shape (the plain random init of the headline study, a=-1, b=1);
* :func:`xavier_uniform`, :func:`xavier_normal` -- Glorot & Bengio (2010), keep the
  variance of activations and gradients roughly equal across tanh/sigmoid layers;
* :func:`he_uniform`, :func:`he_normal` -- He et al. (2015), the same for ReLU layers;
* :func:`make_rng` -- ``None`` / a seed / a Generator, as a Generator.

>>> xavier_uniform(3, 2, rng=0).shape
(2, 3)
"""

from __future__ import annotations

import math

import numpy as np

RNGLike = np.random.Generator | int | None
"""A Generator, a seed for ``numpy.random.default_rng``, or None (fresh entropy)."""


def make_rng(rng: RNGLike) -> np.random.Generator:
    """``rng`` itself if a Generator, else ``numpy.random.default_rng(rng)``.

    >>> bool(make_rng(0).integers(10) == make_rng(0).integers(10))
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"make_rng: rng must be a numpy.random.Generator, an int seed or None, "
                    f"not {type(rng).__name__}")


def _check_fans(what: str, n_in: int, n_out: int) -> None:
    for name, n in (("n_in", n_in), ("n_out", n_out)):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{what}: {name} must be a positive integer, got {n!r}")


def uniform(shape: int | tuple[int, ...], a: float = -1.0, b: float = 1.0,
            rng: RNGLike = None) -> np.ndarray:
    """Entries drawn independently from U(a, b), the uniform distribution on [a, b).

    >>> w = uniform((2, 3), -0.5, 0.5, rng=1)
    >>> w.shape, bool((abs(w) <= 0.5).all())
    ((2, 3), True)
    """
    if not a < b:
        raise ValueError(f"uniform: needs a < b, got a={a!r}, b={b!r}")
    return make_rng(rng).uniform(a, b, shape)


def xavier_uniform(n_in: int, n_out: int, rng: RNGLike = None) -> np.ndarray:
    """U(-r, r) with r = sqrt(6 / (n_in + n_out)), so Var = 2 / (n_in + n_out)."""
    _check_fans("xavier_uniform", n_in, n_out)
    r = math.sqrt(6.0 / (n_in + n_out))
    return make_rng(rng).uniform(-r, r, (n_out, n_in))


def xavier_normal(n_in: int, n_out: int, rng: RNGLike = None) -> np.ndarray:
    """N(0, s²) with s = sqrt(2 / (n_in + n_out))."""
    _check_fans("xavier_normal", n_in, n_out)
    return make_rng(rng).normal(0.0, math.sqrt(2.0 / (n_in + n_out)), (n_out, n_in))


def he_uniform(n_in: int, n_out: int, rng: RNGLike = None) -> np.ndarray:
    """U(-r, r) with r = sqrt(6 / n_in), so Var = 2 / n_in."""
    _check_fans("he_uniform", n_in, n_out)
    r = math.sqrt(6.0 / n_in)
    return make_rng(rng).uniform(-r, r, (n_out, n_in))


def he_normal(n_in: int, n_out: int, rng: RNGLike = None) -> np.ndarray:
    """N(0, s²) with s = sqrt(2 / n_in) (Kaiming normal, fan-in mode)."""
    _check_fans("he_normal", n_in, n_out)
    return make_rng(rng).normal(0.0, math.sqrt(2.0 / n_in), (n_out, n_in))
