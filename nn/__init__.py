"""chainrule's neural-network library on top of :mod:`autograd`: modules, layers,
losses, optimizers, initialisers, checkpoints, training (``fit``, ``evaluate``,
``predict``) and the hand-derived textbook formulas.

The modules, each importing only those before it: ``checks`` (argument rules), ``values``
(the value engine's rows of Values), ``init``, ``module``, ``layers``, ``losses``, ``optim``,
``checkpoint``, ``data``, ``train``; ``textbook`` imports nothing of chainrule."""

import autograd

if not getattr(autograd, "__chainrule__", False):
    # HIPS autograd (PyPI "autograd") has the same import name; pip lets one replace the other.
    where = getattr(autograd, "__file__", None) or ", ".join(getattr(autograd, "__path__", []))
    raise ImportError(
        f"nn: the module 'autograd' found at {where} is not chainrule's autograd (most likely HIPS "
        "autograd, the PyPI package 'autograd', which has the same import name, or what is left of "
        "one installed over the other).  Fix: pip uninstall chainrule autograd, then pip install "
        "chainrule in its own virtual environment (python -m venv ...), apart from HIPS autograd.")

from nn import data, init, optim, textbook, train
from nn.checkpoint import load, save
from nn.layers import MLP, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeLoss,
    MSELoss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
)
from nn.module import Module
from nn.train import NonFiniteError, evaluate, fit, predict

__all__ = [
    "MLP",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HingeLoss",
    "Linear",
    "MSELoss",
    "Module",
    "NonFiniteError",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "data",
    "evaluate",
    "fit",
    "hinge_loss",
    "init",
    "load",
    "mse_loss",
    "optim",
    "predict",
    "save",
    "textbook",
    "train",
]
