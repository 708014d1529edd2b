"""chainrule's neural-network library on top of :mod:`autograd`: modules, layers,
losses, optimizers, initialisers, checkpoints, training (``fit``, ``evaluate``,
``predict``) and the hand-derived textbook formulas.

The modules, each importing only those before it: ``checks`` (argument rules), ``values``
(the value engine's rows of Values), ``init``, ``module``, ``layers``, ``losses``, ``optim``,
``schedules``, ``checkpoint``, ``data``, ``train``; ``textbook`` imports nothing of chainrule."""

import autograd

if not getattr(autograd, "__chainrule__", False):
    # HIPS autograd (PyPI "autograd") has the same import name; pip lets one replace the other.
    where = getattr(autograd, "__file__", None) or ", ".join(getattr(autograd, "__path__", []))
    raise ImportError(
        f"nn: the module 'autograd' found at {where} is not chainrule's autograd (most likely HIPS "
        "autograd, the PyPI package 'autograd', which has the same import name, or what is left of "
        "one installed over the other).  Fix: pip uninstall chainrule autograd, then pip install "
        "chainrule in its own virtual environment (python -m venv ...), apart from HIPS autograd.")

from nn import data, init, optim, schedules, textbook, train
from nn.checkpoint import load, save
from nn.layers import (
    ELU,
    GELU,
    MLP,
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)
from nn.module import Module
from nn.optim import clip_grad_norm
from nn.train import NonFiniteError, evaluate, fit, predict

__all__ = [
    "ELU",
    "GELU",
    "MLP",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "HingeLoss",
    "HuberLoss",
    "L1Loss",
    "LeakyReLU",
    "Linear",
    "MSELoss",
    "Module",
    "NLLLoss",
    "NonFiniteError",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "clip_grad_norm",
    "cross_entropy",
    "data",
    "evaluate",
    "fit",
    "hinge_loss",
    "huber_loss",
    "init",
    "l1_loss",
    "load",
    "mse_loss",
    "nll_loss",
    "optim",
    "predict",
    "save",
    "schedules",
    "textbook",
    "train",
]
