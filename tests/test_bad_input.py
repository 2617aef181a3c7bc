"""Every public entry point rejects bad input clearly and changes nothing."""

import re

import numpy as np
import pytest

import backpropviz as bpv

SEED = bpv.examples.seed_state_dict()


def _unchanged(net):
    for k, v in net.state_dict().items():
        assert np.array_equal(v, SEED[k]), k


def _with(**changes):
    state = {k: v.copy() for k, v in SEED.items()}
    state.update(changes)
    return state


@pytest.mark.parametrize("state,error,message", [
    (_with(**{"layer2.weight": np.zeros((2, 1))}), ValueError,
     "layer2.weight must have shape (1, 2), got (2, 1)"),
    (_with(**{"layer1.bias": np.zeros(3)}), ValueError, "layer1.bias must have shape (2,), got (3,)"),
    (_with(**{"layer1.weight": np.array([[np.nan, 0], [0, 0]])}), ValueError,
     "layer1.weight must contain only finite numbers, got NaN at [0, 0]"),
    (_with(**{"layer2.bias": np.array([np.inf])}), ValueError,
     "layer2.bias must contain only finite numbers, got inf at [0]"),
    (_with(**{"layer1.weight": [["a", "b"], ["c", "d"]]}), TypeError,
     "layer1.weight must be array-like of real numbers"),
    ({k: v for k, v in SEED.items() if k != "layer2.bias"}, ValueError, "missing ['layer2.bias']"),
    (_with(**{"layer3.weight": np.zeros((1, 1))}), ValueError, "unexpected ['layer3.weight']"),
    ([1, 2], TypeError, "state must be a dict of parameter arrays, got [1, 2] (list)"),
])
def test_load_state_dict_rejects_and_changes_nothing(state, error, message):
    net = bpv.examples.seed_net()
    with pytest.raises(error, match=re.escape(message)):
        net.load_state_dict(state)
    _unchanged(net)


def test_a_bad_entry_after_good_ones_still_changes_nothing():
    net = bpv.examples.seed_net()
    state = _with(**{"layer1.weight": np.ones((2, 2)), "layer2.bias": np.array([np.nan])})
    with pytest.raises(ValueError):
        net.load_state_dict(state)
    _unchanged(net)


X, Y = bpv.datasets.xor()


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(X=np.zeros((4, 3)), Y=Y), ValueError,
     "X must have 2 columns (one per input unit of the 2-2-1 net), got shape (4, 3)"),
    (dict(X=np.zeros(4), Y=Y), ValueError, "X must be a 2-D array"),
    (dict(X=np.zeros((0, 2)), Y=np.zeros((0, 1))), ValueError, "X must have at least one row"),
    (dict(X=np.array([[0, 0], [0, np.nan]]), Y=Y[:2]), ValueError,
     "X must contain only finite numbers, got NaN at [1, 1]"),
    (dict(X="xor", Y=Y), TypeError, "X must be array-like of real numbers, got 'xor' (str)"),
    (dict(X=X, Y=Y[:3]), ValueError, "Y must have one row per row of X (4), got 3 rows"),
    (dict(X=X, Y=np.zeros((4, 2))), ValueError, "Y must have shape (4, 1)"),
    (dict(X=X, Y=np.array([[0], [1], [-np.inf], [0]])), ValueError,
     "Y must contain only finite numbers, got -inf at [2, 0]"),
    (dict(X=X, Y=Y, loss="l1"), ValueError,
     "loss must be one of ['bce', 'cross_entropy', 'mse'], got 'l1'"),
    (dict(X=X, Y=Y, loss=3), TypeError, "loss must be one of the names"),
    (dict(X=X, Y=Y * 2, loss="bce"), ValueError, "Y for loss='bce' must lie in [0, 1], got values in [0, 2]"),
    (dict(X=X, Y=Y, loss="cross_entropy"), ValueError, "needs at least 2 output units"),
    (dict(X=X, Y=Y, lr=0), ValueError, "lr must be a finite number greater than 0, got 0.0"),
    (dict(X=X, Y=Y, lr=float("nan")), ValueError, "lr must be a finite number greater than 0, got nan"),
    (dict(X=X, Y=Y, lr="fast"), TypeError, "lr must be a real number, got 'fast' (str)"),
])
def test_trace_rejects_bad_input(kwargs, error, message):
    net = bpv.examples.seed_net()
    with pytest.raises(error, match=re.escape(message)):
        net.trace(**kwargs)
    _unchanged(net)


def test_bce_needs_outputs_in_unit_interval():
    net = bpv.examples.seed_net()  # LeakyReLU output can leave [0, 1]
    net.load_state_dict(_with(**{"layer2.bias": np.array([5.0])}))
    with pytest.raises(ValueError, match=re.escape("needs the net's output in [0, 1] (use a Sigmoid")):
        net.trace(X, Y, loss="bce")


def test_cross_entropy_label_checks():
    net = bpv.MLP([2, 3], "identity", seed=0)
    with pytest.raises(ValueError, match=re.escape("whole numbers in 0..2, got values in [0, 3]")):
        net.trace(X, [0, 1, 2, 3], loss="cross_entropy")
    with pytest.raises(ValueError, match="one-hot or class probabilities"):
        net.trace(X, np.full((4, 3), 0.5), loss="cross_entropy")
    with pytest.raises(ValueError, match=re.escape("one label per row of X (4), got 2")):
        net.trace(X, [0, 1], loss="cross_entropy")


@pytest.mark.parametrize("lr,error,message", [
    (-0.1, ValueError, "lr must be a finite number greater than 0, got -0.1"),
    (float("inf"), ValueError, "got inf"),
    (True, TypeError, "lr must be a real number, got True (bool)"),
    (None, ValueError, "lr is required"),
])
def test_sgd_step_rejects_bad_learning_rates_and_changes_nothing(lr, error, message):
    net = bpv.examples.seed_net()
    t = net.trace(X, Y)
    with pytest.raises(error, match=re.escape(message)):
        net.sgd_step(t, lr=lr)
    _unchanged(net)
    net.sgd_step(t, lr=0.75)  # the trace is still good for a valid step


def test_sgd_step_needs_a_trace():
    net = bpv.examples.seed_net()
    with pytest.raises(TypeError, match=re.escape("trace must be a Trace from MLP.trace, got {} (dict)")):
        net.sgd_step({}, lr=0.1)


@pytest.mark.parametrize("args,kwargs,error,message", [
    (([2],), {}, ValueError, "sizes must list at least an input and an output size"),
    (("2-2-1",), {}, TypeError, "sizes must be a list of layer sizes"),
    (([2, 0, 1],), {}, ValueError, "sizes[1] must be at least 1, got 0"),
    (([2, 2.5, 1],), {}, TypeError, "sizes[1] must be an integer, got 2.5 (float)"),
    (([2, 2, 1],), {"activation": "swish"}, ValueError,
     "activation must be one of ['identity', 'leaky_relu', 'relu', 'sigmoid', 'tanh'] or an Activation, got 'swish'"),
    (([2, 2, 1],), {"activation": ["relu"]}, ValueError,
     "activation must be one activation or a list of 2 (one per layer), got a list of 1"),
    (([2, 2, 1],), {"activation": ["relu", 7]}, TypeError, "activation[1] must be an Activation"),
    (([2, 2, 1],), {"seed": -1}, ValueError, "seed must be at least 0, got -1"),
    (([2, 2, 1],), {"seed": "x"}, TypeError, "seed must be an integer"),
])
def test_mlp_constructor_rejects_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        bpv.MLP(*args, **kwargs)


@pytest.mark.parametrize("slope,error", [(float("nan"), ValueError), ("half", TypeError)])
def test_leaky_relu_slope_is_checked(slope, error):
    with pytest.raises(error, match="negative_slope"):
        bpv.LeakyReLU(slope)


def test_gradcheck_rejects_bad_arguments():
    with pytest.raises(TypeError, match="net must be an MLP"):
        bpv.gradcheck("net", X, Y)
    with pytest.raises(ValueError, match="eps must be a finite number greater than 0"):
        bpv.gradcheck(bpv.examples.seed_net(), X, Y, eps=0)
