"""A trace is a snapshot; tracing twice gives identical values; divergence is reported."""

import numpy as np
import pytest

import backpropviz as bpv


def _copy(trace):
    return {k: np.array(v, copy=True) for k, v in trace.items()}


def test_trace_is_unchanged_by_later_updates_and_loads(seed_net, xor):
    t = seed_net.trace(*xor, lr=0.75)
    before = _copy(t)
    seed_net.sgd_step(t)
    t2 = seed_net.trace(*xor)
    seed_net.sgd_step(t2, lr=0.5)
    seed_net.load_state_dict(bpv.examples.seed_state_dict())
    seed_net.reset_parameters(seed=3)
    for key, value in before.items():
        assert np.array_equal(t[key], value), key


def test_trace_does_not_see_later_edits_to_the_callers_arrays(seed_net, xor):
    X, Y = (a.copy() for a in xor)
    t = seed_net.trace(X, Y)
    X[0, 0], Y[0, 0] = 99.0, 99.0
    assert t["X"][0, 0] == 0.0 and t["Y"][0, 0] == 0.0


def test_parameters_in_a_trace_cannot_be_written_through(seed_trace, seed_net):
    with pytest.raises(ValueError, match="read-only"):
        seed_trace["W1"][0, 0] = 5.0
    state = seed_net.state_dict()
    state["layer1.weight"][0, 0] = 5.0  # a copy: the net is untouched
    assert seed_net.state_dict()["layer1.weight"][0, 0] == 0.2985


def test_tracing_twice_gives_identical_values_no_accumulation(seed_net, xor):
    a, b = seed_net.trace(*xor, lr=0.75), seed_net.trace(*xor, lr=0.75)
    assert list(a) == list(b)
    for key in a:
        assert np.array_equal(a[key], b[key]), key


def test_a_stale_trace_cannot_update_the_net(seed_net, xor):
    t = seed_net.trace(*xor)
    seed_net.sgd_step(t, lr=0.75)
    after_one = seed_net.state_dict()
    with pytest.raises(ValueError, match="current parameters"):
        seed_net.sgd_step(t, lr=0.75)
    for k, v in seed_net.state_dict().items():
        assert np.array_equal(v, after_one[k])
    other = bpv.examples.seed_net()
    with pytest.raises(ValueError, match="another net"):
        other.sgd_step(other.copy().trace(*xor), lr=0.75)


def test_seeded_init_is_reproducible_and_in_pytorch_bounds():
    a = bpv.MLP([3, 16, 2], "relu", seed=5).state_dict()
    b = bpv.MLP([3, 16, 2], "relu", seed=5).state_dict()
    c = bpv.MLP([3, 16, 2], "relu", seed=6).state_dict()
    for k in a:
        assert np.array_equal(a[k], b[k])
    assert not np.array_equal(a["layer1.weight"], c["layer1.weight"])
    assert np.abs(a["layer1.weight"]).max() <= 1 / np.sqrt(3)
    assert np.abs(a["layer2.weight"]).max() <= 1 / np.sqrt(16)
    assert np.abs(a["layer2.weight"]).max() > 0.5 / np.sqrt(16)  # spread over the range


def test_copy_is_independent(seed_net, xor):
    twin = seed_net.copy()
    twin.sgd_step(twin.trace(*xor), lr=0.75)
    assert seed_net.state_dict()["layer1.bias"][0] == -0.4939
    assert repr(twin) == repr(seed_net) == "MLP([2, 2, 1], activation=LeakyReLU(0.5))"


def test_huge_learning_rate_reports_inf_and_nan_honestly(xor):
    net = bpv.MLP([2, 4, 1], "identity", seed=1)
    X, Y = xor
    losses = []
    for _ in range(12):
        t = net.trace(X, Y, lr=1e150)
        losses.append(t.loss)
        net.sgd_step(t)
    assert np.isfinite(losses[0]) and not np.isfinite(losses[-1])
    assert not t.finite
    assert "nan" in repr(t) or "inf" in repr(t)


def test_forward_matches_the_trace(seed_net, xor):
    np.testing.assert_array_equal(seed_net.forward(xor[0]), seed_net.trace(*xor)["H2"])
