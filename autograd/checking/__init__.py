"""Gradient checks that say *where* and *why*: numerical gradients and readable reports.

* :func:`numerical_grad` -- central differences of a scalar function of arrays,
  ``Tensor``\\ s, ``Value``\\ s or floats, in float64 (optionally Richardson-extrapolated).
* :func:`gradcheck` -- chainrule's backward against numerical gradients, for every
  input and element (or a seeded sample); ``per_op=True`` also checks each op of
  the graph (:func:`check_ops`) and names the first whose backward disagrees.
  ``modes=("rev", "fwd")`` checks forward mode too (``jvp`` with each unit tangent,
  ``⟨r, J e_i⟩ = (Jᵀ r)_i``), ``order=2`` second derivatives too (the gradient
  ``H w`` of ``⟨w, ∇f⟩``, as PyTorch's ``gradgradcheck``), each report naming its
  mode and order.
* :func:`check_gradient` -- the same for plain numpy code and a hand-written
  gradient function: no chainrule types needed.
* :class:`GradcheckReport` (one :class:`InputReport` per input, mode and order,
  :class:`OpReport` per op), :class:`GradcheckError` (raised with the report),
  :class:`GradcheckWarning`.

The modules, each importing only those above it:

=================  ==================================================================
``reports``        tolerances, verdict bands, ``Worst``, ``Kink``, ``Jump``, the report
                   classes, ``GradcheckError``, ``GradcheckWarning``
``differences``    the step ``eps``, central and one-sided differences, the judgement
                   of each element (error, verdict, kinks, jumps: its docstring tells how)
``probe``          input kinds, f evaluated on private copies, ``numerical_grad``
``opchecks``       ``check_ops``: each op node of a graph on its own, in either mode
``checks``         ``gradcheck`` (modes, orders) and ``check_gradient``; float32 handling
=================  ==================================================================

>>> import numpy as np
>>> report = check_gradient(lambda x: np.sum(x ** 3), lambda x: 3 * x ** 2, np.array([1.0, -2.0]))
>>> report.passed, report.inputs[0].verdict
(True, 'good')
"""

from autograd.checking.checks import check_gradient, gradcheck
from autograd.checking.differences import default_step
from autograd.checking.opchecks import check_ops
from autograd.checking.probe import numerical_grad
from autograd.checking.reports import (
    ATOL,
    BANDS,
    RTOL,
    WORST,
    GradcheckError,
    GradcheckReport,
    GradcheckWarning,
    InputReport,
    Jump,
    Kink,
    OpReport,
    Worst,
    verdict,
)

__all__ = [
    "ATOL",
    "BANDS",
    "RTOL",
    "WORST",
    "GradcheckError",
    "GradcheckReport",
    "GradcheckWarning",
    "InputReport",
    "Jump",
    "Kink",
    "OpReport",
    "Worst",
    "check_gradient",
    "check_ops",
    "default_step",
    "gradcheck",
    "numerical_grad",
    "verdict",
]
