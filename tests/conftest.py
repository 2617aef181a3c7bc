import pytest

import backpropviz as bpv


@pytest.fixture
def seed_net():
    return bpv.examples.seed_net()


@pytest.fixture
def xor():
    return bpv.datasets.xor()


@pytest.fixture
def moons_state():
    """A classifier as the playground has it: 60 moons rows and 20 held out, a
    2-6-1 net with a Sigmoid output, BCE."""
    from backpropviz.widgets import ExplorerState

    X, Y = bpv.datasets.moons(80, seed=0)
    Xtr, Ytr, Xte, Yte = bpv.datasets.train_test_split(X, Y, 0.25, seed=0)
    net = bpv.MLP([2, 6, 1], ["tanh", "sigmoid"], seed=2)
    return ExplorerState(net, Xtr, Ytr, loss="bce", lr=1.0, X_test=Xte, Y_test=Yte)


@pytest.fixture
def moons_explorer(moons_state):
    """An Explorer on ``moons_state``."""
    from backpropviz.widgets import Explorer

    return Explorer(state=moons_state)


@pytest.fixture
def seed_trace(seed_net, xor):
    X, Y = xor
    return seed_net.trace(X, Y, loss="mse", lr=bpv.examples.SEED_LR)

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# HYPOTHESIS_PROFILE=dev: find failures fast without shrinking them (for a first look).
import os

from hypothesis import Phase, settings

settings.register_profile("dev", phases=[Phase.explicit, Phase.reuse, Phase.generate])
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
