"""chainrule's engine: scalar ``Value`` and numpy ``Tensor`` nodes on one op table.

What users call is here: the two node types and their functions (``concatenate``,
``stack``, ``matmul``, ``linear``, ``where``), derivatives as functions (``grad``,
``value_and_grad``, ``vjp``, ``jvp``, ``jacobian``, ``hessian``), the recording modes (``no_grad``,
``enable_grad``, ``detect_anomaly``, ``scope``), a training step as generated numpy code
(``compile``), pictures (``draw``), traces (``trace``, and
``trace_forward`` for forward mode), gradient
checks (``gradcheck``, ``check_gradient``, ``numerical_grad``, ``check_ops``) and the
warning of learners' classic slips (``LearnerWarning``).  What
an op author calls -- the op table, ``apply``, the engine's walks -- is in
:mod:`autograd.extend`.  The modules, each importing only those below it:

``backends`` → ``ops`` → ``structural`` → ``node`` → ``recorded`` → ``value``, ``tensor`` →
``reverse`` → ``forward`` → ``functional`` → ``emitting`` → ``lowering`` → ``updating`` →
``compiling`` → ``text`` → ``drawing`` → ``stepper`` → ``tracing`` →
``forward_tracing``; ``checking`` (a package) and ``testing`` beside them; ``atomic``, safe file
writes.
"""

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

from autograd.checking import (
    GradcheckError,
    GradcheckReport,
    GradcheckWarning,
    check_gradient,
    check_ops,
    gradcheck,
    numerical_grad,
)
from autograd.compiling import CompiledStep, NotCompilable, compile
from autograd.drawing import draw
from autograd.exercises import DerivativeExercise, Exercise
from autograd.forward_tracing import trace_forward
from autograd.functional import grad, hessian, jacobian, jvp, value_and_grad, vjp
from autograd.node import (
    AnomalyError,
    LearnerWarning,
    detect_anomaly,
    enable_grad,
    first_nonfinite,
    is_grad_enabled,
    no_grad,
    scope,
    where,
)
from autograd.recorded import NoDerivativeError
from autograd.tensor import Tensor, concatenate, linear, matmul, stack
from autograd.tracing import Step, Trace, trace
from autograd.value import Value

__chainrule__ = True
"""Marks this ``autograd`` as chainrule's: ``nn`` refuses any other module of that name."""

__all__ = [
    "AnomalyError",
    "CompiledStep",
    "DerivativeExercise",
    "Exercise",
    "GradcheckError",
    "GradcheckReport",
    "GradcheckWarning",
    "LearnerWarning",
    "NoDerivativeError",
    "NotCompilable",
    "Step",
    "Tensor",
    "Trace",
    "Value",
    "check_gradient",
    "check_ops",
    "compile",
    "concatenate",
    "detect_anomaly",
    "draw",
    "enable_grad",
    "first_nonfinite",
    "grad",
    "gradcheck",
    "hessian",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "linear",
    "matmul",
    "no_grad",
    "numerical_grad",
    "scope",
    "stack",
    "trace",
    "trace_forward",
    "value_and_grad",
    "vjp",
    "where",
]
