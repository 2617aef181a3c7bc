"""The seed notebook's network: a 2-2-1 LeakyReLU(0.5) net on XOR, lr 0.75, MSE."""

from __future__ import annotations

import numpy as np

from .engine import MLP, LeakyReLU

#: The seed's learning rate.
SEED_LR = 0.75


def seed_state_dict() -> dict[str, np.ndarray]:
    """The seed's starting weights and biases, by PyTorch name."""
    return {
        "layer1.weight": np.array([[0.2985, -0.5792], [0.0913, 0.4234]]),
        "layer1.bias": np.array([-0.4939, 0.189]),
        "layer2.weight": np.array([[0.5266, 0.2958]]),
        "layer2.bias": np.array([0.6358]),
    }


def seed_net() -> MLP:
    """The seed's 2-2-1 net with LeakyReLU(0.5) on both layers and its weights."""
    net = MLP([2, 2, 1], activation=LeakyReLU(0.5))
    net.load_state_dict(seed_state_dict())
    return net
