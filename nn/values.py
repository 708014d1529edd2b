"""The value engine's examples as lists of ``Value``: what layers and losses share.

One example is a *row*, a flat list of Values (or numbers); a batch is a list of rows.

* :func:`is_row` -- one example, or a list of them;
* :func:`rows` -- a prediction as rows of Values, and whether it was one example;
* :func:`elementwise` -- ``x.method(*args)`` of a Tensor or Value, or of each Value of a (nested) list;
* :func:`indexed` -- the labels ``name[j]`` (one example) or ``name[k][j]`` (example k) of a row's constants;
* :func:`total` -- v_0 + v_1 + ... as a chain of ``add`` nodes;
* :func:`softmax` -- e^(z_k - m) / Σ_j e^(z_j - m) of one row, m = max z.

>>> from autograd import Value
>>> total([Value(1.0), Value(2.0), Value(3.0)]).data
6.0
>>> [round(a.data, 4) for a in softmax([Value(0.0), Value(0.0)])]
[0.5, 0.5]
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd import Tensor, Value


def is_row(x: Any) -> bool:
    """True for one example given as a flat sequence of numbers/Values."""
    return not any(isinstance(e, (list, tuple, np.ndarray)) for e in x)


def rows(what: str, pred: Any) -> tuple[list[list[Value]], bool]:
    """The value engine's output as rows of Values, and whether it was one example."""
    if isinstance(pred, Value):
        return [[pred]], True
    found = list(pred)
    if found and all(isinstance(v, Value) for v in found):
        return [found], True
    if found and all(isinstance(r, (list, tuple)) and r and all(isinstance(v, Value) for v in r)
                     for r in found):
        return [list(r) for r in found], False
    raise TypeError(f"{what}: expected a Tensor, a list of Values or a list of lists of Values, "
                    f"got {type(pred).__name__}")


def elementwise(x: Any, method: str, *args: float) -> Any:
    """x.method(*args) for a Tensor or Value, applied to each Value of a (nested) list."""
    if isinstance(x, (Tensor, Value)):
        return getattr(x, method)(*args)
    return [elementwise(v, method, *args) for v in x]


@functools.lru_cache(maxsize=1024)
def indexed(name: str, k: int, width: int, one: bool) -> tuple[str, ...]:
    """The labels of a row's constants: ``name[j]`` for j < width of one example, ``name[k][j]``
    of example k in a batch (cached: formatting them anew cost mse_loss 4 %, measured)."""
    return tuple(f"{name}[{j}]" if one else f"{name}[{k}][{j}]" for j in range(width))


def total(values: Sequence[Value]) -> Value:
    """values[0] + values[1] + ..., left to right."""
    out = values[0]
    for v in values[1:]:
        out = out + v
    return out


def softmax(z: Sequence[Value]) -> list[Value]:
    """softmax of a list of Values: e^(z_k - m) / Σ_j e^(z_j - m), m = max z held constant."""
    m = max(v.data for v in z)
    e = [(v - m).exp() for v in z]
    denominator = total(e)
    return [v / denominator for v in e]
