"""chainrule's neural-network library on top of :mod:`autograd`: modules, layers,
losses, optimizers, initialisers, checkpoints and the hand-derived textbook formulas."""

from nn import data, init, optim, textbook, train
from nn.checkpoint import load, save
from nn.layers import MLP, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from nn.losses import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeLoss,
    MSELoss,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    mse_loss,
)
from nn.module import Module
from nn.train import fit

__all__ = [
    "init",
    "optim",
    "data",
    "train",
    "fit",
    "textbook",
    "load",
    "save",
    "Module",
    "Linear",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "Softmax",
    "MLP",
    "mse_loss",
    "cross_entropy",
    "binary_cross_entropy",
    "hinge_loss",
    "MSELoss",
    "CrossEntropyLoss",
    "BCEWithLogitsLoss",
    "HingeLoss",
]
