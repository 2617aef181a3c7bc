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

# HYPOTHESIS_PROFILE=dev: find failures fast without shrinking them (for a first look).
import os

from hypothesis import Phase, settings

settings.register_profile("dev", phases=[Phase.explicit, Phase.reuse, Phase.generate])
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
