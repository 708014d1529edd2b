"""The test suite's hypothesis strategies: :mod:`autograd.testing`'s, with the suite's defaults.

``floats`` and ``arrays`` are ``autograd.testing.well_conditioned_floats`` / ``_arrays`` with no
kinks to avoid (``avoid=()``), so users' tests and ours draw from one definition; the shapes
(which ``autograd.testing`` has no use for) are defined here."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd.testing import well_conditioned_arrays, well_conditioned_floats


def floats(lo: float = -3.0, hi: float = 3.0) -> st.SearchStrategy[float]:
    """Finite float64 values in [lo, hi]."""
    return well_conditioned_floats(lo, hi, avoid=())


def arrays(shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]],
           lo: float = -3.0, hi: float = 3.0) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of ``shape`` with entries in [lo, hi]."""
    return well_conditioned_arrays(shape, lo, hi, avoid=())


def shapes(min_dims: int = 0, max_dims: int = 3) -> st.SearchStrategy[tuple[int, ...]]:
    """Small array shapes (sides 1 to 4)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=4)


def broadcast_shapes(n: int) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """``n`` input shapes that numpy broadcasts together."""
    return hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=3,
                                             min_side=1, max_side=4).map(lambda s: s.input_shapes)
