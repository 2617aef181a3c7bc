"""Every outcome that notebooks 01-04 state in words, recomputed with the engine.

Each test names the sentence it stands behind. The notebooks' printed numbers are
pinned by nbval; these tests pin what the text *says* about them ("the loss rises",
"converges to 0.5", "never crosses its kink", "solves it from step 77 on"), so a
change in the engine that changes an outcome fails here, not in front of a class.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.engine.paths import path_sum, sample_gradients
from backpropviz.widgets import ChainRuleStepper, Explorer, ExplorerState, GradientDrilldown
from backpropviz.widgets.drilldown import default_entry

SEED_LR = 0.75
TARGETS = np.array([0.0, 1.0, 1.0, 0.0])


@pytest.fixture
def X():
    return bpv.datasets.xor()[0]


@pytest.fixture
def Y():
    return bpv.datasets.xor()[1]


def _after_one_step(lr: float) -> float:
    X, Y = bpv.datasets.xor()
    net = bpv.examples.seed_net()
    net.sgd_step(net.trace(X, Y, loss="mse", lr=lr))
    return net.trace(X, Y, loss="mse").loss


def _run(net: bpv.MLP, loss: str, lr: float, steps: int) -> tuple[list[np.ndarray], list[np.ndarray], bpv.Trainer]:
    """Train ``steps`` full-batch steps; Z1 and the outputs after k steps, k = 0..steps."""
    X, Y = bpv.datasets.xor()
    trainer = bpv.Trainer(net, X, Y, loss=loss, lr=lr)
    Z1s, outs = [], []
    for k in range(steps + 1):
        # a step returns the trace it used: the weights after k steps
        t = trainer.step() if k < steps else net.trace(X, Y, loss=loss)
        Z1s.append(t["Z1"])
        outs.append(t[f"H{net.num_layers}"][:, 0])
    return Z1s, outs, trainer


def _solved_from(outs: list[np.ndarray]) -> int | None:
    """The first step from which every output stays within 0.1 of 0 1 1 0."""
    ok = [bool(np.all(np.abs(o - TARGETS) < 0.1)) for o in outs]
    if not ok[-1]:
        return None
    k = len(ok) - 1
    while k > 0 and ok[k - 1]:
        k -= 1
    return k


def _mixed(Z1: np.ndarray) -> np.ndarray:
    """Per hidden unit: does it sit on both sides of its kink over the four rows?"""
    return (Z1.min(axis=0) < 0) & (Z1.max(axis=0) > 0)


def _seed_with(activations: list) -> bpv.MLP:
    net = bpv.MLP([2, 2, 1], activation=activations)
    net.load_state_dict(bpv.examples.seed_state_dict())
    return net


# ======================================================================= notebook 01

def test_01_each_hand_line_equals_the_engine_trace(X, Y):
    """'Each cell checks that the two agree exactly.'"""
    sd = bpv.examples.seed_state_dict()
    W1, B1, W2, B2 = sd["layer1.weight"], sd["layer1.bias"], sd["layer2.weight"], sd["layer2.bias"]
    t = bpv.examples.seed_net().trace(X, Y, loss="mse", lr=SEED_LR)
    Z1 = X @ W1.T + B1
    H1 = np.maximum(0.5 * Z1, Z1)
    Z2 = H1 @ W2.T + B2
    H2 = np.maximum(0.5 * Z2, Z2)
    dH2 = 2 * (H2 - Y) / len(Y)
    dZ2 = np.multiply(dH2, np.where(Z2 > 0, 1, 0.5))
    dH1 = dZ2 @ W2
    dZ1 = np.multiply(dH1, np.where(Z1 > 0, 1, 0.5))
    hand = {"Z1": Z1, "H1": H1, "Z2": Z2, "H2": H2, "loss": np.mean((Y - H2) ** 2),
            "dL/dH2": dH2, "dL/dZ2": dZ2, "dL/dH1": dH1, "dL/dZ1": dZ1,
            "dL/dW2": dZ2.T @ H1, "dL/dB2": dZ2.sum(axis=0),
            "dL/dW1": dZ1.T @ X, "dL/dB1": dZ1.sum(axis=0),
            "new W1": W1 - SEED_LR * (dZ1.T @ X), "new B2": B2 - SEED_LR * dZ2.sum(axis=0)}
    for name, value in hand.items():
        assert np.array_equal(value, t[name]), name


def test_01_N_is_the_seeds_len_Y_four_entries(X, Y):
    """'N is the number of entries the mean runs over: 4 rows × 1 output = 4, the seed's len(Y).'"""
    state = ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=SEED_LR)
    stepper = ChainRuleStepper(state)
    state.step = state.trace.step("dL/dH2").index
    assert "N = 4 entries (4 rows × 1 output)" in stepper.text()
    assert len(Y) == Y.size == 4
    t = state.trace
    assert np.array_equal(t["dL/dH2"], 2 * (t["H2"] - Y) / 4)


def test_01_backward_uses_W2_and_each_entry_is_upstream_times_a_weight(X, Y):
    """'dL/dZ2 @ W2: (4, 1) @ (1, 2)'; 'dL/dH1[n, j] = dL/dZ2[n, 0] · W2[0, j]'."""
    t = bpv.examples.seed_net().trace(X, Y, loss="mse")
    assert (t["H1"] @ t["W2"].T).shape == t["Z2"].shape == (4, 1)
    assert t["dL/dH1"].shape == t["H1"].shape == (4, 2)
    for n in range(4):
        for j in range(2):
            assert t["dL/dH1"][n, j] == t["dL/dZ2"][n, 0] * t["W2"][0, j]


def test_01_weight_gradient_is_a_sum_over_rows(X, Y):
    """'Each row adds its own share, dL/dZ2[n, 0] · H1[n, j] ... (1, 4) @ (4, 2) = (1, 2)'."""
    t = bpv.examples.seed_net().trace(X, Y, loss="mse")
    assert t["dL/dW2"].shape == t["W2"].shape == (1, 2)
    for j in range(2):
        shares = t["dL/dZ2"][:, 0] * t["H1"][:, j]
        assert t["dL/dW2"][0, j] == pytest.approx(shares.sum(), abs=1e-15)
    assert np.array_equal(t["dL/dB2"], t["dL/dZ2"].sum(axis=0))


def test_01_gradcheck_agrees_with_backprop_to_six_decimals(X, Y):
    """'Its numbers agree with backpropagation to 6 decimals.'"""
    net = bpv.examples.seed_net()
    report = bpv.gradcheck(net, X, Y, loss="mse")
    assert report.ok()
    for name, exact in net.trace(X, Y, loss="mse").gradients().items():
        assert np.array_equal(exact.round(6), report.numeric[name].round(6)), name


def test_01_the_seeds_step_makes_the_loss_worse():
    """'The loss went up, from 0.263141 to 0.269553.'"""
    X, Y = bpv.datasets.xor()
    before = bpv.examples.seed_net().trace(X, Y).loss
    after = _after_one_step(0.75)
    assert f"{before:.6f}" == "0.263141" and f"{after:.6f}" == "0.269553"
    assert after > before


def test_01_the_bias_step_jumps_past_the_bottom_of_its_line(X, Y):
    """'layer2.bias ... moves from 0.6358 to 0.484552. Along that one direction the loss is
    lowest near 0.535, so the step jumps past the bottom.'"""
    t = bpv.examples.seed_net().trace(X, Y, loss="mse", lr=0.75)
    new = t["new B2"][0]
    assert f"{new:.6f}" == "0.484552"
    best = _best_bias_on_xor()
    assert round(best, 3) == 0.535
    assert new < best < 0.6358


def test_01_a_smaller_step_lowers_the_loss():
    """'At lr 0.3 the loss falls to 0.253059.'"""
    after = _after_one_step(0.3)
    assert f"{after:.6f}" == "0.253059" and after < 0.263141


# ======================================================================= notebook 02

def test_02_stepper_says_what_N_is(X, Y):
    """'At the loss and its gradient, the stepper also says what N is: here N = 4 entries.'"""
    state = ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=SEED_LR)
    stepper = ChainRuleStepper(state)
    for name in ("loss", "dL/dH2"):
        state.step = state.trace.step(name).index
        assert stepper.text().endswith("N = 4 entries (4 rows × 1 output)")
        assert "N = 4 entries (4 rows × 1 output)" in stepper.numbers.value
    state.step = state.trace.step("dL/dZ2").index
    assert "N = " not in stepper.text()


def test_02_every_parameter_of_the_2_2_1_net_has_one_path(X, Y):
    """'On the seed's 2-2-1 net every parameter has exactly one path.'"""
    state = ExplorerState(bpv.examples.seed_net(), X, Y)
    for name, index in state.parameter_entries():
        assert path_sum(state.trace, name, index, 0).num_paths == 1


def test_02_drilldown_opens_on_layer1_bias_0_with_its_one_path(X, Y):
    """'The drill-down opens on it for sample 0. Its product is 0.295771:
    1 × 0.5 × 0.5266 × 1 × 1.123325.'"""
    state = ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=SEED_LR)
    drill = GradientDrilldown(state)
    assert drill.selected == ("layer1.bias", (0,)) and state.sample == 0
    ps = path_sum(state.trace, "layer1.bias", (0,), 0)
    (path,) = ps.paths
    values = [round(f.value, 6) for f in path.factors]
    assert values == [1.0, 0.5, 0.5266, 1.0, 1.123325]
    assert f"{path.product:.6f}" == f"{ps.total:.6f}" == "0.295771"
    assert "0.295771" in drill.body.value


def test_02_layer1_weight_0_1_is_zero_for_sample_0_because_x_is_0(X, Y):
    """'For sample 0 its gradient is 0: its one path starts with the input x = 0.'"""
    state = ExplorerState(bpv.examples.seed_net(), X, Y)
    ps = path_sum(state.trace, "layer1.weight", (0, 1), 0)
    assert ps.paths[0].factors[0].value == X[0, 1] == 0.0
    assert ps.total == 0.0


def test_02_batch_gradient_is_the_mean_of_the_samples(X, Y):
    """'The gradient in the trace, 0.0229602, is the mean of the four samples' own gradients.'"""
    t = bpv.examples.seed_net().trace(X, Y)
    per = sample_gradients(t, "layer1.weight", (0, 1))
    assert f"{t['dL/dW1'][0, 1]:.6g}" == "0.0229602"
    assert np.mean(per) == pytest.approx(t["dL/dW1"][0, 1], rel=1e-14)


def _deep_state(X, Y) -> ExplorerState:
    net = bpv.MLP([2, 2, 2, 1], activation=bpv.LeakyReLU(0.5), seed=0)
    return ExplorerState(net, X, Y, loss="mse", lr=SEED_LR)


def test_02_two_paths_pull_opposite_ways_and_add_up_to_backprop(X, Y):
    """'There are two paths to the loss ... one adds 0.124159, the other −0.033143 (it runs
    through a weight of −0.6596 and a unit below its kink, f' = 0.5). The sum, 0.091016,
    is what backpropagation gives.'"""
    state = _deep_state(X, Y)
    t = state.trace
    ps = path_sum(t, "layer1.weight", (0, 0), 3)
    assert ps.num_paths == len(ps.paths) == 2
    products = [p.product for p in ps.paths]
    assert [f"{p:.6f}" for p in products] == ["0.124159", "-0.033143"]
    second = {f.label.split(" = ")[-1]: f.value for f in ps.paths[1].factors}
    assert round(second["W3[0,1]"], 4) == -0.6596 and second["f'(Z2[3,1])"] == 0.5
    assert t["Z2"][3, 1] < 0
    assert sum(products) == pytest.approx(ps.total, rel=1e-12)
    assert ps.total == pytest.approx(4 * t["dL/dZ1"][3, 0] * X[3, 0], rel=1e-15)
    assert f"{ps.total:.6f}" == "0.091016"
    # the sum over the two paths is the matrix product dL/dZ2 @ W2, entry [3, 0]
    assert t["dL/dH1"][3, 0] == pytest.approx(
        sum(t["dL/dZ2"][3, k] * t["W2"][k, 0] for k in range(2)), rel=1e-14)


def test_02_the_deep_drilldown_shows_the_sum(X, Y):
    state = _deep_state(X, Y)
    state.sample = 3
    drill = GradientDrilldown(state, "layer1.weight", (0, 0))
    body = drill.body.value
    assert "along 2 paths" in body and "0.124159" in body and "−0.0331432" in body
    assert "0.0910162" in body


# ------------------------------------------------ the drill-down's default entry

@pytest.mark.parametrize("sizes,activations,sample", [
    ([2, 2, 1], bpv.LeakyReLU(0.5), 0), ([2, 2, 2, 1], bpv.LeakyReLU(0.5), 0),
    ([2, 2, 2, 1], bpv.LeakyReLU(0.5), 3), ([2, 3, 2, 1], "tanh", 1), ([2, 1], "sigmoid", 0),
    ([2, 4, 3, 2, 1], "relu", 2),
])
def test_drilldown_default_is_nonzero_and_a_sum_when_the_net_has_one(X, Y, sizes, activations, sample):
    """The drill-down opens on a non-zero gradient and, when some weight of the net
    has several paths to the loss, on an entry with the most paths."""
    state = ExplorerState(bpv.MLP(sizes, activation=activations, seed=0), X, Y)
    state.sample = sample
    name, index = GradientDrilldown(state).selected
    ps = path_sum(state.trace, name, index, sample)
    most = max(path_sum(state.trace, n, i, sample).num_paths for n, i in state.parameter_entries())
    assert ps.num_paths == most
    assert ps.total != 0.0
    if most > 1:
        assert len(ps.paths) >= 2


def test_drilldown_default_follows_a_new_architecture_but_keeps_a_choice(X, Y):
    explorer = Explorer(bpv.examples.seed_net(), X, Y)
    drill = explorer.drilldown
    assert drill.selected == ("layer1.bias", (0,))
    explorer.state.sample = 3
    explorer.state.set_architecture([2, 2], [bpv.LeakyReLU(0.5)] * 3)
    assert drill.selected == ("layer1.weight", (0, 0))  # now two paths, and x = (1, 1)
    drill.entry.value = "layer3.bias[0]"
    explorer.state.set_architecture([2, 3], ["tanh", "tanh", "identity"])
    assert drill.selected == ("layer3.bias", (0,))


def test_drilldown_refuses_half_an_entry(X, Y):
    state = ExplorerState(bpv.examples.seed_net(), X, Y)
    with pytest.raises(ValueError, match="param and index go together"):
        GradientDrilldown(state, "layer1.weight")
    with pytest.raises(ValueError, match="index for layer1.weight must lie within"):
        GradientDrilldown(state, "layer1.weight", (2, 0))


def test_default_entry_falls_back_to_the_top_entry_when_every_gradient_is_zero(X):
    net = bpv.MLP([2, 2, 1], "relu", seed=0)
    net.load_state_dict({"layer1.weight": np.zeros((2, 2)), "layer1.bias": -np.ones(2),
                         "layer2.weight": np.zeros((1, 2)), "layer2.bias": np.zeros(1)})
    state = ExplorerState(net, X, np.zeros((4, 1)))
    assert default_entry(state.trace, state.parameter_entries(), 0) == ("layer1.weight", (0, 0))


# ======================================================================= notebook 03

@functools.cache
def _best_bias_on_xor() -> float:
    return _best_bias(*bpv.datasets.xor())


def _best_bias(X, Y) -> float:
    """The value of layer2.bias[0] that minimises the loss (to 1e-5), all else at the seed."""
    net = bpv.examples.seed_net()
    sd = net.state_dict()
    grid = np.linspace(0.52, 0.55, 3001)
    losses = []
    for b in grid:
        sd["layer2.bias"] = np.array([b])
        net.load_state_dict(sd)
        losses.append(net.trace(X, Y).loss)
    return float(grid[int(np.argmin(losses))])


def test_03_layer2_bias_has_the_largest_gradient_and_downhill_is_down(X, Y):
    """'layer2.bias[0] has the largest gradient, +0.2017, so downhill is down.'"""
    grads = bpv.examples.seed_net().trace(X, Y).gradients()
    largest = max(grads, key=lambda k: np.abs(grads[k]).max())
    assert largest == "layer2.bias" and round(grads["layer2.bias"][0], 4) == 0.2017


def test_03_dragging_the_bias_down_passes_the_bottom(X, Y):
    """'Moving layer2.bias[0] down from 0.6358 lowers the loss, and its gradient shrinks as
    you go. Near 0.535 the gradient is almost 0 and the loss is at its lowest along this
    line, 0.252974. ... at 0.4 it is 0.271190, higher than where we started. The gradient
    has changed sign.'"""
    state = ExplorerState(bpv.examples.seed_net(), X, Y)
    loss, grad = {}, {}
    for b in (0.6358, 0.62, 0.6, 0.58, 0.56, 0.535, 0.5, 0.4):
        state.set_parameter("layer2.bias", (0,), b)
        loss[b], grad[b] = state.trace.loss, state.trace["dL/dB2"][0]
    down = [0.6358, 0.62, 0.6, 0.58, 0.56, 0.535]
    assert all(loss[a] > loss[b] for a, b in zip(down, down[1:]))
    assert all(grad[a] > grad[b] > 0 for a, b in zip(down, down[1:]))
    assert abs(grad[0.535]) < 1e-4 and f"{loss[0.535]:.6f}" == "0.252974"
    assert f"{loss[0.4]:.6f}" == "0.271190" and loss[0.4] > loss[0.6358]
    assert grad[0.5] < 0 and grad[0.4] < 0
    best = _best_bias_on_xor()
    assert abs(best - 0.535) < 5e-4


def test_03_the_bottom_is_where_the_outputs_average_half(X, Y):
    """'While every output is positive the output is Z2 itself. The loss is then lowest
    where the four outputs average 0.5 ... at 0.534968.'"""
    net = bpv.examples.seed_net()
    t = net.trace(X, Y)
    assert np.all(t["Z2"] > 0)
    b = 0.6358 - (t["Z2"].mean() - Y.mean())
    assert f"{b:.6f}" == "0.534968"
    assert abs(_best_bias_on_xor() - b) <= 1e-5
    sd = net.state_dict()
    sd["layer2.bias"] = np.array([b])
    net.load_state_dict(sd)
    t = net.trace(X, Y)
    assert np.all(t["Z2"] > 0) and t["H2"].mean() == pytest.approx(0.5, abs=1e-12)
    assert abs(t["dL/dB2"][0]) < 1e-12


def test_03_the_zero_gradient_of_sample_0_comes_from_x(X, Y):
    """'Find a weight whose gradient is exactly 0 for sample 0 ... (Look at x.)'"""
    t = bpv.examples.seed_net().trace(X, Y)
    assert np.all(X[0] == 0)
    for index in np.ndindex(2, 2):
        assert sample_gradients(t, "layer1.weight", index)[0] == 0.0


def test_03_a_positive_Z1_has_local_derivative_1(X, Y):
    """'Drag layer1.bias[0] above 0, say to 0.1. Now Z1 of hidden unit 0 is positive for
    samples 0 and 2.' (its local derivative is then 1 there, 0.5 elsewhere)"""
    state = ExplorerState(bpv.examples.seed_net(), X, Y)
    assert np.all(state.trace["dH1/dZ1"][:, 0] == 0.5)
    state.set_parameter("layer1.bias", (0,), 0.1)
    Z1 = state.trace["Z1"][:, 0]
    assert list(np.flatnonzero(Z1 > 0)) == [0, 2]
    assert list(state.trace["dH1/dZ1"][:, 0]) == [1.0, 0.5, 1.0, 0.5]


def test_03_take_this_sgd_step_moves_every_slider_by_minus_lr_times_gradient(X, Y):
    """'Press Take this SGD step: every slider jumps by -lr · dL/dw. Then press Back to
    the start.'"""
    explorer = Explorer(bpv.examples.seed_net(), X, Y, loss="mse", lr=SEED_LR)
    before = explorer.state.trace
    explorer.state.step = before.step("new W1").index
    explorer.stepper.apply_button.click()
    for name, index in explorer.state.parameter_entries():
        key = ("W" if name.endswith("weight") else "B") + name[5]
        expected = before[key][index] - SEED_LR * before["dL/d" + key][index]
        assert explorer.sliders.slider(name, index).value == pytest.approx(expected, abs=1e-12)
    explorer.sliders.reset_button.click()
    for name, value in bpv.examples.seed_state_dict().items():
        assert np.array_equal(explorer.state.net.state_dict()[name], value)


# ======================================================================= notebook 04

@pytest.fixture(scope="module")
def run_075():
    """The seed's net at its own lr 0.75, 5000 steps."""
    return _run(bpv.examples.seed_net(), "mse", 0.75, 5000)


def test_04_lr_075_is_chaotic_and_ends_at_one_half(run_075):
    """'The loss jumps up and down: it went up on 2383 of the 5000 steps. ... Around step
    2000 every row is on the right side of 0.5, but only just (one output is 0.501) ...
    By step 5000 the net answers 0.5 for every row, with loss 0.25.'"""
    Z1s, outs, trainer = run_075
    loss = trainer.curve.train_loss
    assert int(np.sum(np.diff(loss) > 0)) == 2383
    at_2000 = outs[2000]
    assert list(at_2000.round(3)) == [0.419, 0.845, 0.501, 0.277]
    assert np.all((at_2000 > 0.5) == (TARGETS == 1)) and trainer.curve.train_acc[2000] == 1.0
    assert f"{loss[5000]:.6f}" == "0.250000"
    assert np.all(np.abs(outs[5000] - 0.5) < 0.002)
    assert _solved_from(outs) is None


def test_04_lr_075_crosses_kinks_around_2000_then_falls_into_the_trap(run_075):
    """'Around step 2000 its hidden units did cross their kinks, but from step 4674 on
    each of them has one sign on all four rows again.'"""
    Z1s, _, _ = run_075
    assert np.all(_mixed(Z1s[2000]))
    last_mixed = max(k for k, Z1 in enumerate(Z1s) if np.any(_mixed(Z1)))
    assert last_mixed == 4673


@pytest.fixture(scope="module")
def run_01():
    """The seed's net at lr 0.1, 2000 steps."""
    return _run(bpv.examples.seed_net(), "mse", 0.1, 2000)


def test_04_lr_01_converges_smoothly_to_one_half(run_01):
    """'The loss falls smoothly to 0.25 and every output is 0.5.'"""
    _, outs, trainer = run_01
    loss = trainer.curve.train_loss
    assert np.all(np.diff(loss) < 1e-12)  # never up, beyond rounding in the last bit
    assert loss[-1] == pytest.approx(0.25, abs=1e-12)
    assert np.all(np.abs(outs[-1] - 0.5) < 1e-6)


def test_04_lr_01_never_crosses_a_kink_so_the_net_is_linear_on_the_data(run_01, X):
    """'Over all 2000 steps and all four rows, hidden unit 0 stays below 0 and hidden
    unit 1 stays above 0. ... The output unit stays above 0 too. So on the data the whole
    net is a linear function of x.'"""
    Z1s, outs, trainer = run_01
    Z1 = np.stack(Z1s)
    assert Z1[:, :, 0].max() < 0 and Z1[:, :, 1].min() > 0
    assert min(o.min() for o in outs) > 0  # H2 > 0 means Z2 > 0
    A = np.column_stack([np.ones(4), X])
    for k in (0, 500, 2000):  # the net's four outputs fit a + b·x1 + c·x2 exactly
        fit, *_ = np.linalg.lstsq(A, outs[k], rcond=None)
        assert np.allclose(A @ fit, outs[k], atol=1e-12)


def test_04_the_best_linear_fit_to_xor_is_one_half(X, Y):
    """'The best a linear function can do on XOR is 0.5 everywhere (a = 0.5, b = c = 0).'"""
    A = np.column_stack([np.ones(4), X])
    best, *_ = np.linalg.lstsq(A, Y, rcond=None)
    assert np.allclose(best[:, 0], [0.5, 0.0, 0.0], atol=1e-12)
    assert np.allclose(A @ best, 0.5, atol=1e-12)


def test_04_tanh_hidden_units_solve_xor_from_step_77():
    """'Solved: from step 77 on, every output stays within 0.1 of its target 0, 1, 1, 0.'"""
    _, outs, _ = _run(_seed_with(["tanh", bpv.LeakyReLU(0.5)]), "mse", 0.75, 1000)
    assert _solved_from(outs) == 77
    assert np.all(np.abs(outs[100] - TARGETS) < 0.01)


def test_04_sigmoid_output_and_bce_at_lr_2_solve_xor_from_step_185():
    """'The large early steps push the hidden units across their kinks (the first crossing
    is at step 99), and from step 185 on every output is within 0.1 of its target.'"""
    Z1s, outs, _ = _run(_seed_with([bpv.LeakyReLU(0.5), "sigmoid"]), "bce", 2.0, 1000)
    assert _solved_from(outs) == 185
    start = np.sign(Z1s[0])
    assert min(k for k, Z1 in enumerate(Z1s) if np.any(np.sign(Z1) != start)) == 99


def test_04_each_bce_hidden_unit_picks_out_one_row_where_xor_is_1():
    """'Each hidden unit is now positive on one row and negative on the others: unit 0
    picks out (1, 0) and unit 1 picks out (0, 1).'"""
    Z1s, outs, _ = _run(_seed_with([bpv.LeakyReLU(0.5), "sigmoid"]), "bce", 2.0, 300)
    Z1 = Z1s[-1]
    assert list(np.flatnonzero(Z1[:, 0] > 0)) == [2] and list(np.flatnonzero(Z1[:, 1] > 0)) == [1]
    assert np.all(np.abs(outs[-1] - TARGETS) < 0.1)


@pytest.mark.parametrize("lr", [0.1, 0.5])
def test_04_bce_at_a_small_lr_is_stuck_at_one_half_again(lr):
    """'With BCE at lr 0.1 or 0.5 the net is stuck at 0.5 again.'"""
    Z1s, outs, trainer = _run(_seed_with([bpv.LeakyReLU(0.5), "sigmoid"]), "bce", lr, 5000)
    assert np.all(np.abs(outs[-1] - 0.5) < 1e-3)
    assert trainer.curve.train_loss[-1] == pytest.approx(np.log(2), abs=1e-6)
    assert not any(np.any(_mixed(Z1)) for Z1 in Z1s)


def test_04_lr_1_diverges_and_recovers_to_step_104_where_each_unit_owns_a_row(X, Y):
    """'At lr 1.0 the seed's net trains for a while, then the loss overflows.' 'Back to
    before it blew up returns to the last step whose loss was not above the starting
    loss.' 'At step 104 each hidden unit already has one row to itself.' 'Continue from
    there at the suggested learning rate, 0.1: every output is within 0.1 of its target.'"""
    state = ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=SEED_LR)
    state.configure(lr=1.0)
    assert state.train(1000) == 114 and state.trainer.diverged
    loss = state.trainer.curve.train_loss
    assert np.all(np.isfinite(loss[:114])) and not np.isfinite(loss[114])
    last_good = max(k for k in range(115) if loss[k] <= loss[0])
    assert state.recovery_step == last_good == 104
    assert "0.1" in state.message and "104" in state.message
    assert state.recover()
    assert state.trainer.steps == 104 and state.message == "" and not state.trainer.diverged
    assert f"{state.trace.loss:.6f}" == "0.177567"
    Z1 = state.trace["Z1"]
    assert list(np.flatnonzero(Z1[:, 0] > 0)) == [2] and list(np.flatnonzero(Z1[:, 1] > 0)) == [1]
    state.configure(lr=0.1)
    state.train(200)
    assert np.all(np.abs(state.net.forward(X)[:, 0] - TARGETS) < 0.1)
    assert np.all(np.diff(state.trainer.curve.train_loss[104:]) < 0)


def test_04_lr_50_diverges_and_the_suggested_rate_works(X, Y):
    """Things to try 4: 'Set the learning rate to 50 and press Step until something
    happens. Read the message, then press Back to before it blew up.'"""
    explorer = Explorer(bpv.examples.seed_net(), X, Y, loss="mse", lr=SEED_LR)
    controls, state = explorer.training, explorer.state
    controls.lr.value = 50
    presses = 0
    while not state.message and presses < 100:
        controls.step_button.click()
        presses += 1
    assert presses == 5 and state.trainer.diverged
    assert "learning rate 50 is too large" in state.message
    suggested = 0.5
    assert f"learning rate {suggested:g} trains" in state.message
    trial = bpv.Trainer(bpv.examples.seed_net(), X, Y, loss="mse", lr=suggested)
    trial.run(200)
    assert np.all(np.isfinite(trial.curve.train_loss))
    assert trial.curve.train_loss[-1] < trial.curve.train_loss[0]
    assert controls.recover_button.layout.display != "none"
    controls.recover_button.click()
    assert state.trainer.steps == 0 and state.trace.loss == pytest.approx(0.2631408769381175)


def test_04_the_update_the_stepper_shows_is_the_one_step_applies(X, Y):
    """Things to try 3: 'Press Step a few times with the stepper open at new W1: the
    update shown is the one applied.'"""
    explorer = Explorer(bpv.examples.seed_net(), X, Y, loss="mse", lr=SEED_LR)
    state = explorer.state
    state.step = state.trace.step("new W1").index
    for _ in range(3):
        shown = state.trace["new W1"].copy()
        explorer.training.step_button.click()
        assert np.array_equal(state.net.state_dict()["layer1.weight"], shown)
