"""Argument rules shared by nn's modules, each written once.

>>> positive_int("fit", "epochs", 3)
3
>>> positive_int("fit", "epochs", 0)
Traceback (most recent call last):
...
ValueError: fit: epochs must be a positive integer, got 0
"""

from __future__ import annotations

from typing import Any

import numpy as np


def positive_int(what: str, name: str, n: Any) -> int:
    """``n`` as an int if it is an integer >= 1 (a Python or numpy integer, not a bool);
    else ``ValueError`` naming ``what`` (the function) and ``name`` (the argument)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{what}: {name} must be a positive integer, got {n!r}")
    return int(n)
