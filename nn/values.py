"""The value engine's examples as lists of ``Value``: what layers and losses share.

One example is a *row*, a flat list of Values (or numbers); a batch is a list of rows.

* :func:`is_row` -- one example, or a list of them;
* :func:`rows` -- a prediction as rows of Values, and whether it was one example;
* :func:`elementwise` -- ``x.method()`` of a Tensor or Value, or of each Value of a (nested) list;
* :func:`total` -- v_0 + v_1 + ... as a chain of ``add`` nodes;
* :func:`softmax` -- e^(z_k - m) / Σ_j e^(z_j - m) of one row, m = max z.

>>> from autograd import Value
>>> total([Value(1.0), Value(2.0), Value(3.0)]).data
6.0
>>> [round(a.data, 4) for a in softmax([Value(0.0), Value(0.0)])]
[0.5, 0.5]
"""

from __future__ import annotations

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


def elementwise(x: Any, method: str) -> Any:
    """x.method() for a Tensor or Value, applied to each Value of a (nested) list."""
    if isinstance(x, (Tensor, Value)):
        return getattr(x, method)()
    return [elementwise(v, method) for v in x]


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
