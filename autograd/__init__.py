"""chainrule's engine: scalar ``Value`` and numpy ``Tensor`` nodes on one op table."""

from autograd import ops
from autograd.node import (
    AnomalyError,
    apply,
    current_scope,
    run_backward,
    scope,
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
    "apply",
    "current_scope",
    "ops",
    "run_backward",
    "scope",
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
