"""The NumPy engine: activations, losses, the MLP, its trace, the optimizers and gradcheck.

Imports nothing but NumPy, so it can be read, tested and reused on its own.
"""

from .activations import ACTIVATIONS, Activation, Identity, LeakyReLU, ReLU, Sigmoid, Tanh, get_activation
from .gradcheck import GradcheckReport, gradcheck
from .losses import LOSSES, BCELoss, CrossEntropyLoss, Loss, MSELoss, get_loss
from .mlp import MLP
from .trace import PHASES, Step, StepSpec, Trace, grad_key, param_name, value_key
from .training import Trainer
from .value import Value
from . import ops
from . import optim
from . import features, grid, landscape, paths, training

__all__ = [
    "ACTIVATIONS", "Activation", "Identity", "LeakyReLU", "ReLU", "Sigmoid", "Tanh",
    "get_activation", "GradcheckReport", "gradcheck", "LOSSES", "BCELoss",
    "CrossEntropyLoss", "Loss", "MSELoss", "get_loss", "MLP", "PHASES", "Step",
    "StepSpec", "Trace", "grad_key", "param_name", "value_key", "Trainer", "Value", "ops", "optim",
    "features", "grid", "landscape", "paths", "training",
]
