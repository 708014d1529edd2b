"""Weight initialisers, seeded through a ``numpy.random.Generator`` so runs repeat.

Every initialiser returns a fresh float64 array; the ``(n_in, n_out)`` ones
return shape ``(n_out, n_in)``, a :class:`nn.Linear` weight (row j = neuron j).

* :func:`uniform` -- ``U(a, b)`` of any shape (the plain random init of the headline study, a=-1, b=1);
* ``"pytorch"`` -- the default of :class:`nn.Linear`, PyTorch's: weights and biases from
  U(-1/√n_in, 1/√n_in) (``kaiming_uniform_`` with a = √5 gives this bound);
* :func:`xavier_uniform`, :func:`xavier_normal` -- Glorot & Bengio (2010), keep the
  variance of activations and gradients roughly equal across tanh/sigmoid layers;
* :func:`he_uniform`, :func:`he_normal` -- He et al. (2015), the same for ReLU layers;
* :func:`make_rng` -- ``None`` / a seed / a Generator, as a Generator;
* :data:`InitSpec`, :func:`initial_weights` -- the policy of :class:`nn.Linear`: an init
  name, ``("uniform", a, b)`` or a callable, to a layer's first weights and biases.

>>> xavier_uniform(3, 2, rng=0).shape
(2, 3)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from nn.checks import positive_int

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
    positive_int(what, "n_in", n_in)
    positive_int(what, "n_out", n_out)


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


InitSpec = str | tuple[str, float, float] | Callable[[int, int, np.random.Generator], np.ndarray]
"""``"pytorch"`` (weights and biases from U(-r, r), r = 1/√n_in: PyTorch's ``nn.Linear``,
the default), ``"uniform"`` (weights and biases from U(-1, 1), the headline study's),
``("uniform", a, b)`` (both from U(a, b)),
``"xavier_uniform"``, ``"xavier_normal"``, ``"he_uniform"``, ``"he_normal"`` (weights
from the initialiser of that name, biases 0), or a callable ``f(n_in, n_out, rng) -> (n_out, n_in)
array`` (biases 0)."""

_NAMED_INITS: dict[str, Callable[[int, int, RNGLike], np.ndarray]] = {
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}


def initial_weights(init: InitSpec, n_in: int, n_out: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(W of shape (n_out, n_in), b of shape (n_out,)) as ``init`` says (see :data:`InitSpec`);
    W is drawn before b.

    >>> W, b = initial_weights("he_normal", 3, 2, make_rng(0))
    >>> W.shape, b.tolist()
    ((2, 3), [0.0, 0.0])
    """
    if init == "uniform":
        init = ("uniform", -1.0, 1.0)
    elif init == "pytorch":  # Var = r²/3 = 1/(3 n_in): a unit-variance input gives z of variance 1/3
        r = 1.0 / math.sqrt(n_in)
        init = ("uniform", -r, r)
    if isinstance(init, tuple):
        if len(init) != 3 or init[0] != "uniform":
            raise ValueError(f"Linear: init tuple must be ('uniform', a, b), got {init!r}")
        _, a, b = init
        return uniform((n_out, n_in), a, b, rng), uniform((n_out,), a, b, rng)
    if isinstance(init, str):
        if init not in _NAMED_INITS:
            known = ", ".join(["pytorch", "uniform", *_NAMED_INITS])
            raise ValueError(f"Linear: unknown init {init!r}; known: {known}, ('uniform', a, b) "
                             "or a callable")
        W = _NAMED_INITS[init](n_in, n_out, rng)
    elif callable(init):
        W = np.asarray(init(n_in, n_out, rng), dtype=np.float64)
        if W.shape != (n_out, n_in):
            raise ValueError(f"Linear: init callable returned shape {W.shape}, expected (n_out, n_in) = "
                             f"{(n_out, n_in)}")
    else:
        raise TypeError(f"Linear: init must be a name, a ('uniform', a, b) tuple or a callable, "
                        f"not {type(init).__name__}")
    return W, np.zeros(n_out)
