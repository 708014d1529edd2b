"""Helpers for users' own gradient tests: a pytest-friendly assertion and
hypothesis strategies for well-conditioned inputs.

* :func:`assert_grad_close` -- :func:`~autograd.checking.gradcheck` (or
  :func:`~autograd.checking.check_gradient` with ``grad_f``) that fails with the
  report as its message.
* :func:`well_conditioned_floats`, :func:`well_conditioned_arrays` -- finite
  values in a range, kept a margin away from given kinks (0 for ReLU and abs),
  optionally pairwise apart (no ties for ``max``).

This module imports ``hypothesis``, a development dependency: nothing else in
``autograd`` imports ``autograd.testing``, so the engine runs without it.

>>> import numpy as np
>>> report = assert_grad_close(lambda x: np.sum(x ** 2), np.array([1.0, 2.0]), grad_f=lambda x: 2 * x)
>>> report.passed
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd.checking import GradcheckReport, check_gradient, gradcheck


def assert_grad_close(f: Callable[..., Any], *inputs: Any, grad_f: Callable[..., Any] | None = None,
                      **options: Any) -> GradcheckReport:
    """Assert that the gradients of ``f`` at ``inputs`` match central differences.

    Without ``grad_f``: chainrule's backward (:func:`gradcheck`, f takes and returns
    ``Tensor``/``Value``).  With ``grad_f``: a hand-written gradient of plain numpy
    code (:func:`check_gradient`).  ``options`` go to the check (``atol``, ``rtol``,
    ``per_op``, ``max_elements``, ``names``, ...).  Raises ``AssertionError`` (a
    :class:`~autograd.checking.GradcheckError`) whose message is the report;
    returns the report when it passes.

    >>> import numpy as np
    >>> assert_grad_close(lambda x: np.sum(x ** 2), np.array([1.0]), grad_f=lambda x: x)
    Traceback (most recent call last):
    ...
    autograd.checking.reports.GradcheckError: check_gradient FAILED for input 0
    ...
    """
    __tracebackhide__ = True
    options["raise_exception"] = True
    if grad_f is None:
        return gradcheck(f, *inputs, **options)
    return check_gradient(f, grad_f, *inputs, **options)


def _apart(x: float, avoid: Sequence[float], margin: float) -> bool:
    return all(abs(x - k) >= margin for k in avoid)


def well_conditioned_floats(lo: float = -3.0, hi: float = 3.0, avoid: Sequence[float] = (0.0,),
                            margin: float = 1e-2) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi] at least ``margin`` away from each point of ``avoid``
    (the kinks: 0 for ReLU and abs; pass ``avoid=()`` for none).

    >>> from hypothesis import given
    >>> @given(well_conditioned_floats())
    ... def test(x):
    ...     assert abs(x) >= 1e-2
    >>> test()
    """
    if not lo < hi:
        raise ValueError(f"well_conditioned_floats: lo={lo!r} must be below hi={hi!r}")
    if margin < 0:
        raise ValueError(f"well_conditioned_floats: margin must be >= 0, got {margin!r}")
    avoid = tuple(float(a) for a in avoid)
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False).filter(
        lambda x: _apart(x, avoid, margin))


def well_conditioned_arrays(shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]],
                            lo: float = -3.0, hi: float = 3.0, avoid: Sequence[float] = (0.0,),
                            margin: float = 1e-2, distinct: bool = False,
                            dtype: Any = np.float64) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` with elements from :func:`well_conditioned_floats`; with
    ``distinct=True`` any two elements also differ by at least ``margin`` (no ties
    for ``max``).  Use ``lo > 0`` for ``log``/``sqrt``.

    >>> from hypothesis import given
    >>> @given(well_conditioned_arrays((3,), lo=0.5, distinct=True))
    ... def test(x):
    ...     assert x.min() >= 0.5 and len(set(x.tolist())) == 3
    >>> test()
    """
    if distinct:
        # Points of a grid with spacing 2 * margin, drawn without repeats: no filtering of
        # whole arrays, which would reject almost every array of more than a few elements.
        step, kinks = 2 * margin, tuple(float(a) for a in avoid)
        ks = st.integers(math.ceil(lo / step), math.floor((hi - margin) / step)).filter(
            lambda k: _apart(k * step + margin / 2, kinks, margin))
        return hnp.arrays(np.int64, shape, elements=ks, unique=True).map(
            lambda k: (k * step + margin / 2).astype(dtype))
    elements = well_conditioned_floats(lo, hi, avoid, margin)
    if np.dtype(dtype) == np.float32:
        elements = elements.map(lambda x: float(np.float32(x))).filter(lambda x: _apart(x, avoid, margin))
    return hnp.arrays(dtype, shape, elements=elements)
