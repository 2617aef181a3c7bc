"""Backprop against finite differences, on the seed and on random architectures."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import backpropviz as bpv

SMOOTH = ["tanh", "sigmoid", "identity"]


def test_seed_net_passes_gradcheck(seed_net, xor):
    before = seed_net.state_dict()
    report = bpv.gradcheck(seed_net, *xor, loss="mse")
    assert list(report.errors) == ["layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"]
    assert report.ok(1e-7), report
    # gradcheck never touches the net it checks
    for name, value in seed_net.state_dict().items():
        assert np.array_equal(value, before[name])
    assert "layer1.weight" in repr(report)


def test_gradcheck_notices_a_wrong_gradient(seed_net, xor, monkeypatch):
    """A broken derivative must show up as a large error (the check can fail)."""
    monkeypatch.setattr(bpv.LeakyReLU, "derivative", lambda self, Z, H: np.ones_like(Z))
    report = bpv.gradcheck(seed_net, *xor)
    assert not report.ok(1e-3)
    assert report.errors["layer1.weight"] > 1e-2


@st.composite
def problems(draw):
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=5))
    loss = draw(st.sampled_from(["mse", "bce", "cross_entropy"]))
    if loss == "cross_entropy" and sizes[-1] < 2:
        sizes[-1] = 2
    n = len(sizes) - 1
    acts = draw(st.lists(st.sampled_from(SMOOTH + ["leaky_relu"]), min_size=n, max_size=n))
    if loss == "bce":
        acts[-1] = "sigmoid"
    seed = draw(st.integers(0, 2**16))
    rows = draw(st.integers(1, 6))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, sizes[0]))
    if loss == "mse":
        Y = rng.normal(size=(rows, sizes[-1]))
    elif loss == "bce":
        Y = rng.uniform(0, 1, size=(rows, sizes[-1]))
    else:
        Y = rng.integers(0, sizes[-1], size=rows)
    return sizes, acts, loss, seed, X, Y


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_random_architectures_pass_gradcheck(problem):
    sizes, acts, loss, seed, X, Y = problem
    net = bpv.MLP(sizes, acts, seed=seed)
    t = net.trace(X, Y, loss=loss)
    # Finite differences straddling a LeakyReLU kink are not a fair reference:
    # such an example is rejected (hypothesis draws another), never passed.
    for l, act in enumerate(net.activations, 1):
        assume(not (act.name == "leaky_relu" and np.min(np.abs(t[f"Z{l}"])) < 1e-4))
    report = bpv.gradcheck(net, X, Y, loss=loss)
    worst = max(
        float(np.max(np.abs(report.analytic[k] - report.numeric[k]))) for k in report.errors
    )
    # relative error where gradients are large, absolute where they are ~0
    assert report.ok(1e-5) or worst < 1e-8, report


def test_gradcheck_includes_the_penalty_when_asked(xor):
    net = bpv.MLP([2, 3, 1], ["tanh", "sigmoid"], seed=4)
    plain = bpv.gradcheck(net, *xor, loss="bce")
    report = bpv.gradcheck(net, *xor, loss="bce", l1=0.01, l2=0.05)
    assert report.max_error < 1e-6, report.errors
    # the penalty's part is in both sides: dL/dW1 moved by l1·sign(W1) + 2·l2·W1
    W1 = net.state_dict()["layer1.weight"]
    np.testing.assert_allclose(report.analytic["layer1.weight"] - plain.analytic["layer1.weight"],
                               0.01 * np.sign(W1) + 2 * 0.05 * W1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(report.numeric["layer1.weight"] - plain.numeric["layer1.weight"],
                               0.01 * np.sign(W1) + 2 * 0.05 * W1, rtol=1e-5, atol=1e-8)
    # biases are not penalised
    np.testing.assert_array_equal(report.analytic["layer1.bias"], plain.analytic["layer1.bias"])
    with pytest.raises(ValueError, match="l2"):
        bpv.gradcheck(net, *xor, l2=-1.0)
