"""The seed notebook's printed numbers, reproduced by the engine to the last digit.

Each expected string is the seed's own output, character for character.
"""

import numpy as np
import pytest

import backpropviz as bpv

from seed_text import SEED_TEXT, SEED_UPDATED


def seed_by_hand():
    """The seed notebook's code, verbatim in its arithmetic."""
    X, Y = bpv.datasets.xor()
    s = bpv.examples.seed_state_dict()
    W1, B1, W2, B2 = s["layer1.weight"], s["layer1.bias"], s["layer2.weight"], s["layer2.bias"]
    lr = 0.75
    Z1 = X @ W1.T
    Z1 = Z1 + B1
    H1 = np.maximum(0.5 * Z1, Z1)
    Z2 = H1 @ W2.T
    Z2 = Z2 + B2
    H2 = np.maximum(0.5 * Z2, Z2)
    loss = np.mean((Y - H2) ** 2)
    dL_dH2 = 2 * (H2 - Y) / len(Y)
    dL_dZ2 = np.multiply(dL_dH2, np.where(Z2 > 0, 1, 0.5))
    dL_dH1 = dL_dZ2 @ W2
    dL_dZ1 = np.multiply(dL_dH1, np.where(Z1 > 0, 1, 0.5))
    dL_dW2 = dL_dZ2.T @ H1
    dL_dB2 = dL_dZ2.sum(axis=0)
    dL_dW1 = dL_dZ1.T @ X
    dL_dB1 = dL_dZ1.sum(axis=0)
    return {
        "Z1": Z1, "H1": H1, "Z2": Z2, "H2": H2, "loss": loss,
        "dL/dH2": dL_dH2, "dL/dZ2": dL_dZ2, "dL/dH1": dL_dH1, "dL/dZ1": dL_dZ1,
        "dL/dW2": dL_dW2, "dL/dB2": dL_dB2, "dL/dW1": dL_dW1, "dL/dB1": dL_dB1,
        "new W1": W1 - lr * dL_dW1, "new B1": B1 - lr * dL_dB1,
        "new W2": W2 - lr * dL_dW2, "new B2": B2 - lr * dL_dB2,
    }


@pytest.mark.parametrize("key", list(SEED_TEXT))
def test_every_seed_intermediate_prints_as_the_seed_prints_it(seed_trace, key):
    assert str(seed_trace[key]) == SEED_TEXT[key]


@pytest.mark.parametrize("key", list(seed_by_hand()))
def test_every_intermediate_equals_the_seed_arithmetic_bit_for_bit(seed_trace, key):
    expected = seed_by_hand()[key]
    assert np.array_equal(seed_trace[key], expected), key
    assert np.shape(seed_trace[key]) == np.shape(expected)


def test_sgd_step_gives_the_seeds_updated_parameters(seed_net, xor):
    t = seed_net.trace(*xor, loss="mse")
    seed_net.sgd_step(t, lr=0.75)
    state = seed_net.state_dict()
    assert list(state) == list(SEED_UPDATED)
    for name, text in SEED_UPDATED.items():
        assert str(state[name]) == text, name


def test_sgd_step_with_lr_from_the_trace_installs_the_traced_update(seed_net, seed_trace):
    seed_net.sgd_step(seed_trace)
    state = seed_net.state_dict()
    for name in SEED_UPDATED:
        layer, kind = name[5], "W" if name.endswith("weight") else "B"
        assert np.array_equal(state[name], seed_trace[f"new {kind}{layer}"])


def test_local_derivatives_are_the_seeds_np_where(seed_trace):
    assert np.array_equal(seed_trace["dH1/dZ1"], np.where(seed_trace["Z1"] > 0, 1, 0.5))
    assert np.array_equal(seed_trace["dH2/dZ2"], np.where(seed_trace["Z2"] > 0, 1, 0.5))


def test_trace_names_and_parameters_follow_pytorch(seed_trace):
    grads = seed_trace.gradients()
    assert list(grads) == ["layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"]
    assert grads["layer1.weight"] is seed_trace["dL/dW1"]
    assert seed_trace.parameters()["layer2.weight"].shape == (1, 2)
    assert bpv.engine.grad_key("layer2.bias") == "dL/dB2"
    assert bpv.engine.value_key("layer1.weight") == "W1"
