"""chainrule's engine: scalar ``Value`` and numpy ``Tensor`` nodes on one op table."""

from autograd.node import (
    AnomalyError,
    detect_anomaly,
    first_nonfinite,
    is_grad_enabled,
    no_grad,
    topological_order,
)
from autograd.tensor import Tensor, concatenate, matmul, stack, unbroadcast
from autograd.value import Value

__all__ = [
    "AnomalyError",
    "Tensor",
    "Value",
    "concatenate",
    "matmul",
    "stack",
    "unbroadcast",
    "detect_anomaly",
    "first_nonfinite",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]
