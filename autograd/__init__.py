"""chainrule's engine: scalar ``Value`` and numpy ``Tensor`` nodes on one op table."""

import os as _os

# `autograd` is also the import name of HIPS autograd (PyPI "autograd"): pip installs one
# over the other into the same folder without a word, and the mix breaks both.  A few
# of its files in our folder give it away (five stat calls, nothing read).
if _hips := [name for name in ("tracer.py", "differential_operators.py", "wrap_util.py", "numpy", "scipy")
             if _os.path.exists(_os.path.join(_os.path.dirname(__file__), name))]:
    raise ImportError(
        f"autograd: the folder {_os.path.dirname(__file__)} mixes chainrule's autograd with HIPS "
        f"autograd (the PyPI package 'autograd', with the same import name: its files "
        f"{', '.join(_hips)} are in this folder): pip installed one over the other, which breaks "
        "both.  Fix: pip uninstall chainrule autograd, then pip install chainrule in its own virtual "
        "environment (python -m venv ...), apart from HIPS autograd.")

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

__chainrule__ = True
"""Marks this ``autograd`` as chainrule's: ``nn`` refuses any other module of that name."""

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
