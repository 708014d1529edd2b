"""chainrule's engine: scalar ``Value`` and numpy ``Tensor`` nodes on one op table."""

from autograd import ops
from autograd.draw import draw
from autograd.gradcheck import (
    GradcheckError,
    GradcheckReport,
    GradcheckWarning,
    InputReport,
    OpReport,
    check_gradient,
    check_ops,
    gradcheck,
    numerical_grad,
)
from autograd.node import (
    AnomalyError,
    apply,
    current_scope,
    detect_anomaly,
    first_nonfinite,
    is_grad_enabled,
    no_grad,
    run_backward,
    scope,
    topological_order,
)
from autograd.tensor import Tensor, concatenate, linear, matmul, stack, unbroadcast
from autograd.trace import Step, Trace, trace
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
    "linear",
    "matmul",
    "stack",
    "unbroadcast",
    "detect_anomaly",
    "first_nonfinite",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
    "draw",
    "Step",
    "Trace",
    "trace",
    "GradcheckError",
    "GradcheckReport",
    "GradcheckWarning",
    "InputReport",
    "OpReport",
    "check_gradient",
    "check_ops",
    "gradcheck",
    "numerical_grad",
]
