import pytest

import backpropviz as bpv


@pytest.fixture
def seed_net():
    return bpv.examples.seed_net()


@pytest.fixture
def xor():
    return bpv.datasets.xor()


@pytest.fixture
def seed_trace(seed_net, xor):
    X, Y = xor
    return seed_net.trace(X, Y, loss="mse", lr=bpv.examples.SEED_LR)

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
