"""Every outcome that notebooks 05-08 state in words, recomputed with the engine.

Each test names the notebook and the sentence it checks. nbval checks the printed
numbers of the notebooks' cells; these tests check what their text and their hidden
answers claim, so that a change in the engine that changes an outcome fails here.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import backpropviz as bpv

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
X, Y = bpv.datasets.xor()
LEAKY = bpv.LeakyReLU(0.5)
SEED_LOSS = 0.2631408769381175


def tanh_net(state: dict | None = None, seed: int | None = None) -> bpv.MLP:
    """Notebook 06's net: tanh hidden units, a LeakyReLU(0.5) output; the seed's weights by default."""
    net = bpv.MLP([2, 2, 1], ["tanh", LEAKY], seed=seed)
    if seed is None:
        net.load_state_dict(state if state is not None else bpv.examples.seed_state_dict())
    return net


def solved_from(net: bpv.MLP, lr: float, steps: int) -> int | None:
    """The first step count k <= steps from which every output stays within 0.1 of
    0 1 1 0 up to ``steps`` full-batch SGD steps (None if not solved at ``steps``)."""
    first = None
    for k in range(steps + 1):
        t = net.trace(X, Y, loss="mse", lr=lr)
        if np.all(np.abs(t["H2"] - Y) < 0.1):
            first = k if first is None else first
        else:
            first = None
        if k < steps:
            net.sgd_step(t)
    return first


def trained(net: bpv.MLP, lr: float, steps: int, X_=X, Y_=Y, loss="mse") -> bpv.Trainer:
    trainer = bpv.Trainer(net, X_, Y_, loss=loss, lr=lr)
    trainer.run(steps)
    return trainer


def mean_abs(trace, key: str) -> float:
    return float(np.abs(trace[key]).mean())


# ---------------------------------------------------------------- every lesson

LESSONS = ["05_beyond_xor.ipynb", "06_why_a_nonlinearity.ipynb",
           "07_initialization_and_vanishing_gradients.ipynb", "08_learning_rate.ipynb"]


@pytest.mark.parametrize("name", LESSONS + ["09_playground.ipynb", "10_regularization.ipynb",
                                          "11_momentum_and_adam.ipynb"])
def test_each_lesson_has_3_to_5_exercises_with_hidden_answers(name):
    cells = json.loads((NOTEBOOKS / name).read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    exercises = re.findall(r"\*\*Exercise (\d+)\.\*\*", text)
    assert 3 <= len(exercises) <= 5
    assert exercises == [str(i) for i in range(1, len(exercises) + 1)]
    # every exercise is followed by its own answer, hidden until opened
    answers = re.findall(r"<details><summary>Answer</summary>\n\n(.+?)\n\n</details>", text, re.S)
    assert len(answers) == len(exercises)
    for chunk in re.split(r"\*\*Exercise \d+\.\*\*", text)[1:]:
        assert "<details><summary>Answer</summary>" in chunk.split("**Exercise")[0]


@pytest.mark.parametrize("name", LESSONS)
def test_each_lesson_shows_an_explorer(name):
    # the browser tests expect a live panel in every notebook after 01
    cells = json.loads((NOTEBOOKS / name).read_text())["cells"]
    assert any("bpv.Explorer(" in "".join(c["source"]) for c in cells if c["cell_type"] == "code")


# ---------------------------------------------------------------- 06 why a nonlinearity

def test_06_two_identity_layers_are_one_linear_map():
    """'Two layers are one layer, with weight W = W2 @ W1 and bias b = W2 @ B1 + B2.'"""
    linear = bpv.MLP([2, 2, 1], "identity")
    linear.load_state_dict(bpv.examples.seed_state_dict())
    p = linear.state_dict()
    W = p["layer2.weight"] @ p["layer1.weight"]
    b = p["layer2.weight"] @ p["layer1.bias"] + p["layer2.bias"]
    np.testing.assert_allclose(linear.forward(X), X @ W.T + b, rtol=0, atol=1e-15)


def test_06_the_linear_net_ends_at_loss_quarter_with_every_output_half():
    """'Loss 0.25 and 0.5 on every row' after 2000 steps at lr 0.1."""
    linear = bpv.MLP([2, 2, 1], "identity")
    linear.load_state_dict(bpv.examples.seed_state_dict())
    trainer = trained(linear, 0.1, 2000)
    assert f"{trainer.curve.train_loss[-1]:.6f}" == "0.250000"
    assert np.all(np.abs(linear.forward(X) - 0.5) < 5e-4)


def test_06_least_squares_best_linear_fit_is_half_everywhere():
    """'No linear map does better: the best straight fit ... gives exactly this.'"""
    A = np.column_stack([X, np.ones(4)])
    best = np.linalg.lstsq(A, Y, rcond=None)[0][:, 0]
    np.testing.assert_allclose(best, [0, 0, 0.5], atol=1e-12)
    assert np.mean((A @ best - Y[:, 0]) ** 2) == pytest.approx(0.25, abs=1e-12)
    # and it is the minimum: any other a, b, c does worse
    rng = np.random.default_rng(0)
    for abc in rng.normal(0, 1, size=(200, 3)):
        assert np.mean((A @ abc - Y[:, 0]) ** 2) > 0.25


def test_06_ex1_any_linear_map_has_p_plus_s_equal_q_plus_r():
    """Exercise 1: 'p + s = q + r, whatever its weights.'"""
    for seed, sizes in enumerate([[2, 2, 1], [2, 8, 1], [2, 8, 8, 1], [2, 3, 5, 2, 1]]):
        out = bpv.MLP(sizes, "identity", seed=seed).forward(X)[:, 0]
        assert out[0] + out[3] == pytest.approx(out[1] + out[2], abs=1e-12)


def test_06_ex2_a_deeper_linear_net_also_stops_at_a_quarter():
    """Exercise 2: 2-8-8-1 identity, 3000 steps at lr 0.05: 'loss 0.250000, every output 0.500'."""
    net = bpv.MLP([2, 8, 8, 1], "identity", seed=0)
    trainer = trained(net, 0.05, 3000)
    assert f"{trainer.curve.train_loss[-1]:.6f}" == "0.250000"
    assert all(f"{v:.3f}" == "0.500" for v in net.forward(X)[:, 0])


def _seed_run_at_lr_01():
    net = bpv.examples.seed_net()
    trainer = bpv.Trainer(net, X, Y, loss="mse", lr=0.1)
    traces = [net.trace(X, Y, loss="mse")]
    for _ in range(2000):
        trainer.step()
        traces.append(net.trace(X, Y, loss="mse"))
    return traces


def test_06_the_seed_run_at_lr_01_never_changes_a_sign_of_Z1():
    """'At the seed's start, unit 0 has Z1 < 0 on all four rows and unit 1 has Z1 > 0.'
    'No sign ever changes.' 'its Z2 stays above 0.43' 'converges to ... 0.5 on every row, loss 0.25.'"""
    traces = _seed_run_at_lr_01()
    for t in traces:
        assert np.all(t["Z1"][:, 0] < 0) and np.all(t["Z1"][:, 1] > 0)
    smallest = min(t["Z2"].min() for t in traces)
    assert smallest > 0.43 and f"{smallest:.3f}" == "0.437"
    end = traces[-1]
    assert f"{end.loss:.6f}" == "0.250000"
    assert all(f"{v:.3f}" == "0.500" for v in end["H2"][:, 0])
    # converges: the loss keeps falling towards 0.25 over the last thousand steps
    late = [t.loss for t in traces[1000:]]
    assert all(b <= a + 1e-15 for a, b in zip(late, late[1:]))  # up to rounding at 0.25


def test_06_ex3_H1_is_Z1_times_the_slopes():
    """Exercise 3: 'H1 = Z1 * [0.5, 1]' at step 2000."""
    end = _seed_run_at_lr_01()[-1]
    assert np.allclose(end["H1"], end["Z1"] * [0.5, 1])


def test_06_ex4_a_relu_hidden_unit_0_is_dead():
    """Exercise 4: 'Every gradient of its weights is exactly 0 ... its weights never move ...
    ends at loss 0.25 with every output 0.500.'"""
    net = bpv.MLP([2, 2, 1], ["relu", LEAKY])
    net.load_state_dict(bpv.examples.seed_state_dict())
    t = net.trace(X, Y, loss="mse")
    assert np.all(t["dL/dW1"][0] == 0) and t["dL/dB1"][0] == 0
    trainer = bpv.Trainer(net, X, Y, loss="mse", lr=0.75)
    for _ in range(2000):  # "one hidden unit, linear on the data": unit 1 and Z2 never cross 0
        t = trainer.step()
        assert np.all(t["Z1"][:, 0] < 0) and np.all(t["Z1"][:, 1] > 0) and np.all(t["Z2"] > 0)
    p = net.state_dict()
    assert p["layer1.weight"][0].tolist() == [0.2985, -0.5792]
    assert p["layer1.bias"][0] == -0.4939
    assert f"{trainer.curve.train_loss[-1]:.6f}" == "0.250000"
    assert all(f"{v:.3f}" == "0.500" for v in net.forward(X)[:, 0])


def test_06_tanh_hidden_units_solve_xor_from_step_77():
    """'At step 76 the output for (1, 1) is still -0.141 ... From step 77 on, every output stays
    within 0.1 of 0 1 1 0, and by step 300 the loss is below 1e-20.'"""
    net = tanh_net()
    trainer = bpv.Trainer(net, X, Y, loss="mse", lr=0.75)
    trainer.run(76)
    out = net.forward(X)[:, 0]
    assert f"{out[3]:.3f}" == "-0.141" and not np.all(np.abs(out - Y[:, 0]) < 0.1)
    trainer.run(224)
    assert trainer.curve.train_loss[-1] < 1e-20
    assert np.all(np.abs(net.forward(X) - Y) < 0.1)
    assert solved_from(tanh_net(), 0.75, 2000) == 77


def test_06_after_training_each_tanh_unit_spots_one_row():
    """'Unit 0 is positive only on row (1, 0), unit 1 only on row (0, 1).' (step 300)"""
    net = tanh_net()
    trained(net, 0.75, 300)
    Z1 = net.trace(X, Y, loss="mse")["Z1"]
    assert (Z1[:, 0] > 0).tolist() == [False, False, True, False]
    assert (Z1[:, 1] > 0).tolist() == [False, True, False, False]
    assert np.all(net.state_dict()["layer2.weight"] > 0)  # "the output adds them up"


def test_06_ex5_all_ten_starts_solve_xor_at_these_steps():
    """Exercise 5: 'Every output stays within 0.1 ... from step 92 (seed 4), 111 (seed 8), 189
    (seed 7), 778 to 798 (seeds 0, 2, 3, 5, 6 and 9) and 1491 (seed 1).'"""
    steps = {s: solved_from(tanh_net(seed=s), 0.75, 2000) for s in range(10)}
    assert steps[4] == 92 and steps[8] == 111 and steps[7] == 189 and steps[1] == 1491
    assert all(778 <= steps[s] <= 798 for s in (0, 2, 3, 5, 6, 9))
    # "most take about ten times longer than from the seed's weights" (77 steps)
    assert sum(steps[s] >= 770 for s in steps) >= 6


# ---------------------------------------------------------------- 07 initialization

ZERO = {"layer1.weight": np.zeros((2, 2)), "layer1.bias": np.zeros(2),
        "layer2.weight": np.zeros((1, 2)), "layer2.bias": np.zeros(1)}
EQUAL = {"layer1.weight": np.array([[0.2985, -0.5792], [0.2985, -0.5792]]),
         "layer1.bias": np.array([-0.4939, -0.4939]),
         "layer2.weight": np.array([[0.5266, 0.5266]]),
         "layer2.bias": np.array([0.6358])}


def test_07_from_all_zeros_only_the_output_bias_learns():
    """'Only the output bias has a gradient.' 'After 1000 steps every weight is still exactly 0
    and the output bias is 0.5 ...: loss 0.25.' (lr 0.3)"""
    net = tanh_net(ZERO)
    t = net.trace(X, Y, loss="mse")
    for key in ("dL/dW1", "dL/dB1", "dL/dW2"):
        assert np.all(t[key] == 0)
    assert t["dL/dB2"].tolist() == [-0.5]
    trainer = trained(net, 0.3, 1000)
    p = net.state_dict()
    for key in ("layer1.weight", "layer1.bias", "layer2.weight"):
        assert np.all(p[key] == 0)
    assert p["layer2.bias"][0] == pytest.approx(0.5, abs=1e-12)
    assert f"{trainer.curve.train_loss[-1]:.6f}" == "0.250000"


def test_07_equal_units_stay_identical_bit_for_bit():
    """'The two hidden units are identical at every step, bit for bit.' 'The loss creeps down to
    0.1694 after 2000 steps: the net gets (1, 0) right and answers about 0.34 on the other three
    rows, one of which should be 1.' (lr 0.3)"""
    net = tanh_net(EQUAL)
    trainer = bpv.Trainer(net, X, Y, loss="mse", lr=0.3)
    for _ in range(2000):
        t = trainer.step()
        assert np.array_equal(t["H1"][:, 0], t["H1"][:, 1])
        assert np.array_equal(t["dL/dW1"][0], t["dL/dW1"][1])
    W1 = net.state_dict()["layer1.weight"]
    assert np.array_equal(W1[0], W1[1])
    loss = trainer.curve.train_loss
    assert f"{loss[-1]:.4f}" == "0.1694" and np.all(np.diff(loss) <= 0)
    out = net.forward(X)[:, 0]
    assert abs(out[2] - 1) < 0.01 and np.all(np.abs(out[[0, 1, 3]] - 0.34) < 0.01)


def test_07_ex1_sigmoid_units_from_zero_move_but_stay_identical():
    """Exercise 1: '`dL/dW2` is -0.25 for both units' ... 'both rows of layer1.weight are
    [0.0011, 0.0011]. The net is stuck at loss 0.250000, every output within 0.0001 of 0.5.'"""
    net = bpv.MLP([2, 2, 1], ["sigmoid", LEAKY])
    net.load_state_dict(ZERO)
    assert net.trace(X, Y, loss="mse")["dL/dW2"].tolist() == [[-0.25, -0.25]]
    trainer = trained(net, 0.3, 1000)
    W1 = net.state_dict()["layer1.weight"]
    assert np.array_equal(W1[0], W1[1]) and np.all(W1 != 0)
    assert [f"{w:.4f}" for w in W1[0]] == ["0.0011", "0.0011"]
    assert f"{trainer.curve.train_loss[-1]:.6f}" == "0.250000"
    assert np.all(np.abs(net.forward(X) - 0.5) < 1e-4)


def test_07_ex2_a_difference_of_0001_breaks_the_tie():
    """Exercise 2: 'From step 871 on, every output stays within 0.1 ...; after 2000 steps the
    loss is below 1e-30' ... 'layer1.weight is [[1.444, -1.422], [2.654, -2.454]] and the output
    weights have opposite signs, -1.227 and 1.338.' (lr 0.3)"""
    start = {k: v.copy() for k, v in EQUAL.items()}
    start["layer1.weight"][1, 0] = 0.2995
    assert solved_from(tanh_net(start), 0.3, 2000) == 871
    net = tanh_net(start)
    trainer = trained(net, 0.3, 2000)
    assert trainer.curve.train_loss[-1] < 1e-30
    p = net.state_dict()
    assert [[f"{w:.3f}" for w in row] for row in p["layer1.weight"]] == [["1.444", "-1.422"],
                                                                        ["2.654", "-2.454"]]
    assert [f"{w:.3f}" for w in p["layer2.weight"][0]] == ["-1.227", "1.338"]


def test_07_ex2_the_same_in_the_explorer_state():
    """The Explorer's way: Reset to the equal start, type 0.2995 into layer1.weight[1,0], Play."""
    state = bpv.ExplorerState(tanh_net(EQUAL), X, Y, loss="mse", lr=0.3)
    state.train(50)  # Play: the two hidden units stay the same picture
    assert np.array_equal(state.trace["H1"][:, 0], state.trace["H1"][:, 1])
    state.reset()
    state.set_parameter("layer1.weight", (1, 0), 0.2995)
    state.train(2000)
    assert np.all(np.abs(state.net.forward(X) - Y) < 0.1)
    assert state.trace.loss < 1e-30


def _deep(act: str, seed: int = 0) -> bpv.MLP:
    return bpv.MLP([2, 8, 8, 8, 8, 1], [act] * 4 + ["sigmoid"], seed=seed)


X2, Y2 = bpv.datasets.moons(200, noise=0.1, seed=0)


def _glorot(net: bpv.MLP, gain: float) -> bpv.MLP:
    """Notebook 07's rescaling: every weight stretched from nn.Linear's bound to gain * Glorot's."""
    scaled = net.state_dict()
    for name, shape in net.parameter_shapes().items():
        if name.endswith("weight"):
            fan_out, fan_in = shape
            scaled[name] = scaled[name] * (gain * np.sqrt(6 / (fan_in + fan_out)) * np.sqrt(fan_in))
    twin = bpv.MLP(net.sizes, list(net.activations))
    twin.load_state_dict(scaled)
    return twin


def test_07_deep_sigmoid_gradients_vanish_towards_the_input():
    """'layer 1's gradient is 1.25e-05 and layer 5's is 2.96e-02: 2373 times larger. With tanh
    the ratio is 8.4, with ReLU 8.7.' (the issue measured 1.25e-5 vs 3.0e-2)"""
    ratios = {}
    for act in ("sigmoid", "tanh", "relu"):
        t = _deep(act).trace(X2, Y2, loss="bce")
        g = [mean_abs(t, f"dL/dW{l}") for l in range(1, 6)]
        ratios[act] = g[4] / g[0]
        if act == "sigmoid":
            assert f"{g[0]:.2e}" == "1.25e-05" and f"{g[4]:.2e}" == "2.96e-02"
            assert g == sorted(g)  # smaller at every layer towards the input
    assert f"{ratios['sigmoid']:.0f}" == "2373"
    assert f"{ratios['tanh']:.1f}" == "8.4" and f"{ratios['relu']:.1f}" == "8.7"


def test_07_each_sigmoid_layer_shrinks_the_gradient_more_than_tanh_or_relu():
    """'the mean |dL/dZ| is 7 to 23 times smaller one layer down, from 2.5e-03 at layer 5 to
    1.8e-07 at layer 1.' '[tanh and ReLU] layers shrink it 2 to 8 times.'"""
    for act, low, high in (("sigmoid", 7, 23), ("tanh", 2, 8), ("relu", 2, 8)):
        t = _deep(act).trace(X2, Y2, loss="bce")
        z = [mean_abs(t, f"dL/dZ{l}") for l in range(1, 6)]
        assert all(low <= round(z[l + 1] / z[l]) <= high for l in range(4)), act
        if act == "sigmoid":
            assert f"{z[4]:.1e}" == "2.5e-03" and f"{z[0]:.1e}" == "1.8e-07"


def test_07_the_first_layers_of_the_deep_sigmoid_net_hardly_learn():
    """'A gradient 2000 times smaller means steps 2000 times smaller: the first layers hardly
    learn.' In 1000 steps at lr 0.5 no weight of layer 1 moves by more than 0.021; at Glorot's
    scale they move by up to 2.56."""
    for net, most in ((_deep("sigmoid"), 0.021), (_glorot(_deep("sigmoid"), 4), None)):
        before = net.state_dict()["layer1.weight"]
        trained(net, 0.5, 1000, X2, Y2, "bce")
        moved = np.abs(net.state_dict()["layer1.weight"] - before).max()
        if most is not None:
            assert moved < most
        else:
            assert moved > 2.5


def test_07_ex3_sigmoid_slopes_are_near_their_maximum_of_a_quarter():
    """Exercise 3: 'The means are 0.234, 0.235, 0.246 and 0.242.' 'largest at z = 0, ... 0.25.'"""
    t = _deep("sigmoid").trace(X2, Y2, loss="bce")
    assert [f"{t[f'dH{l}/dZ{l}'].mean():.3f}" for l in range(1, 5)] == ["0.234", "0.235", "0.246", "0.242"]
    z = np.linspace(-10, 10, 20001)
    s = 1 / (1 + np.exp(-z))
    slope = s * (1 - s)
    assert slope.max() == 0.25 and z[np.argmax(slope)] == 0


def test_07_glorot_scale_for_sigmoid():
    """'Between two layers of 8 that is ±2.45 for sigmoid instead of ±0.35.' 'Layer 1's gradient
    grows from 1.25e-05 to 1.02e-02, about 800 times.'"""
    assert f"{4 * np.sqrt(6 / 16):.2f}" == "2.45" and f"{1 / np.sqrt(8):.2f}" == "0.35"
    before = _deep("sigmoid").trace(X2, Y2, loss="bce")
    after = _glorot(_deep("sigmoid"), 4).trace(X2, Y2, loss="bce")
    assert f"{mean_abs(after, 'dL/dW1'):.2e}" == "1.02e-02"
    assert 750 < mean_abs(after, "dL/dW1") / mean_abs(before, "dL/dW1") < 850


def test_07_the_sigmoid_net_learns_only_at_glorots_scale():
    """'its loss falls from 0.6994 to 0.6931 in the first 100 steps and stays there ... every
    output is within 0.0003 of 0.5 (its 77.5% accuracy ...). At Glorot's scale ... (loss 2.5394 ...)
    ... reaches loss 0.0069 and 100% accuracy. The tanh net ... learns at the default scale.'"""
    plain = _deep("sigmoid")
    c = trained(plain, 0.5, 1000, X2, Y2, "bce").curve
    assert f"{c.train_loss[0]:.4f}" == "0.6994"
    assert all(abs(v - math.log(2)) < 2e-4 for v in c.train_loss[100:])
    assert np.all(np.abs(plain.forward(X2) - 0.5) < 3e-4)
    assert f"{c.train_acc[-1]:.1%}" == "77.5%"
    c = trained(_glorot(_deep("sigmoid"), 4), 0.5, 1000, X2, Y2, "bce").curve
    assert f"{c.train_loss[0]:.4f}" == "2.5394" and f"{c.train_loss[-1]:.4f}" == "0.0069"
    assert c.train_acc[-1] == 1.0
    c = trained(_deep("tanh"), 0.5, 1000, X2, Y2, "bce").curve
    assert c.train_acc[-1] == 1.0 and c.train_loss[-1] < 0.001


def test_07_ex4_glorots_scale_evens_out_tanh_gradients():
    """Exercise 4: 'Layer 1's mean |dL/dW| grows from 2.17e-03 to 1.76e-02, and the ratio of
    layer 5 to layer 1 falls from 8.4 to 3.7. After 100 steps the loss is 0.085 instead of 0.362.'"""
    plain, scaled = _deep("tanh"), _glorot(_deep("tanh"), 1)
    tp, ts = plain.trace(X2, Y2, loss="bce"), scaled.trace(X2, Y2, loss="bce")
    assert f"{mean_abs(tp, 'dL/dW1'):.2e}" == "2.17e-03" and f"{mean_abs(ts, 'dL/dW1'):.2e}" == "1.76e-02"
    assert f"{mean_abs(ts, 'dL/dW5') / mean_abs(ts, 'dL/dW1'):.1f}" == "3.7"
    assert f"{trained(plain, 0.5, 100, X2, Y2, 'bce').curve.train_loss[-1]:.3f}" == "0.362"
    assert f"{trained(scaled, 0.5, 100, X2, Y2, 'bce').curve.train_loss[-1]:.3f}" == "0.085"


# ---------------------------------------------------------------- 08 learning rate

def _one_step(lr: float) -> float:
    net = bpv.examples.seed_net()
    net.sgd_step(net.trace(X, Y, loss="mse", lr=lr))
    return net.trace(X, Y, loss="mse").loss


def test_08_one_step_too_small_good_too_large():
    """'At lr 0.001 ... the loss falls by 0.000062.' 'At lr 0.3 the loss falls from 0.263141 to
    0.253059.' 'At the seed's lr 0.75 the loss rises, to 0.269553.'"""
    assert f"{bpv.examples.seed_net().trace(X, Y, loss='mse').loss:.6f}" == "0.263141"
    assert f"{_one_step(0.001) - SEED_LOSS:+.6f}" == "-0.000062"
    assert f"{_one_step(0.3):.6f}" == "0.253059"
    assert f"{_one_step(0.75):.6f}" == "0.269553" and _one_step(0.75) > SEED_LOSS


def test_08_ex1_the_best_single_step_and_where_steps_start_to_hurt():
    """Exercise 1: 'The lowest loss after one step is 0.252995, at lr 0.33. From lr 0.66 on, the
    step raises the loss above 0.263141.'"""
    lrs = [round(0.01 * k, 2) for k in range(1, 151)]
    after = {lr: _one_step(lr) for lr in lrs}
    best = min(after, key=after.get)
    assert best == 0.33 and f"{after[best]:.6f}" == "0.252995"
    assert [lr for lr in lrs if after[lr] > SEED_LOSS] == [lr for lr in lrs if lr >= 0.66]


def _sweep(lr: float, steps: int = 500):
    net = tanh_net()
    trainer = bpv.Trainer(net, X, Y, loss="mse", lr=lr)
    trainer.run(steps)
    return net, trainer


def test_08_the_sweep_has_three_regimes():
    """'Too small (0.001 to 0.1): ... after 500 steps XOR is not solved. At 0.001 the loss has gone
    from 0.2395 to 0.2382.' 'Good (0.3 to 1.0): solved within 500 steps.' 'Too large (1.25 and
    up): the loss grows from the first steps, 1.929 after 10 steps at lr 1.25, and in the end
    overflows to inf: at step 421 for lr 1.25, sooner for larger rates.'"""
    for lr in (0.001, 0.01, 0.1):
        net, trainer = _sweep(lr)
        assert not trainer.diverged and not np.all(np.abs(net.forward(X) - Y) < 0.1)
        loss = trainer.curve.train_loss
        assert np.all(np.diff(loss) < 0)
    loss = _sweep(0.001)[1].curve.train_loss
    assert f"{loss[0]:.4f}" == "0.2395" and f"{loss[-1]:.4f}" == "0.2382"
    for lr in (0.3, 0.75, 1.0):
        net, trainer = _sweep(lr)
        assert np.all(np.abs(net.forward(X) - Y) < 0.1)
    overflow = {}
    for lr in (1.25, 2.0, 3.0):
        _, trainer = _sweep(lr)
        loss = trainer.curve.train_loss
        assert trainer.diverged and loss[-1] == np.inf
        assert np.all(loss[1:11] > loss[0])
        overflow[lr] = trainer.steps
    assert f"{_sweep(1.25, 10)[1].curve.train_loss[-1]:.3f}" == "1.929"
    assert overflow == {1.25: 421, 2.0: 235, 3.0: 178}


def test_08_ex2_a_smaller_rate_needs_proportionally_more_steps():
    """Exercise 2: 'lr 0.1 needs 1091 steps and lr 0.03 needs 3630 ... (lr 0.75 needs 77.)'"""
    assert solved_from(tanh_net(), 0.1, 1200) == 1091
    assert solved_from(tanh_net(), 0.03, 3700) == 3630
    assert solved_from(tanh_net(), 0.75, 500) == 77


def test_08_ex3_the_edge_is_not_sharp():
    """Exercise 3: 'lr 1.1 still solves it ...: after 500 steps the loss is 0.00036 and the outputs
    are -0.008, 1.016, 0.968, -0.011. lr 1.2 neither solves it nor overflows: after 500 steps all
    four outputs are 0.507 ... at loss 0.2500, and the loss keeps bouncing (0.3245 after 2000 steps).'"""
    net, trainer = _sweep(1.1)
    assert f"{trainer.curve.train_loss[-1]:.5f}" == "0.00036"
    assert [f"{v:.3f}" for v in net.forward(X)[:, 0]] == ["-0.008", "1.016", "0.968", "-0.011"]
    assert np.all(np.abs(net.forward(X) - Y) < 0.1)
    net, trainer = _sweep(1.2)
    assert not trainer.diverged
    assert [f"{v:.3f}" for v in net.forward(X)[:, 0]] == ["0.507"] * 4
    assert f"{trainer.curve.train_loss[-1]:.4f}" == "0.2500"
    trainer.run(1500)
    loss = trainer.curve.train_loss
    assert not trainer.diverged and f"{loss[-1]:.4f}" == "0.3245"
    assert np.sum(np.diff(loss[500:]) > 0) > 100  # it rises again and again


def _diverged_at_lr_1():
    state = bpv.ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=1.0)
    return state, state.train(1000)


def test_08_at_lr_1_the_seeds_net_overflows_at_step_114():
    """'For about a hundred steps the loss went up and down (it was 0.102 at step 103). Then it
    jumped, and from step 108 each step overshot further than the last, until at step 114 the
    loss overflowed to inf. The message
    says so in words, offers a smaller learning rate ... and names the step ...: the last step whose
    loss was not above the loss at the start, 0.263141. Here that is step 104, loss 0.1776.'"""
    state, taken = _diverged_at_lr_1()
    loss = state.trainer.curve.train_loss
    assert taken == 114 and state.trainer.steps == 114 and loss[-1] == np.inf
    assert np.all(np.isfinite(loss[:-1]))
    assert f"{loss[103]:.3f}" == "0.102"
    rises = np.diff(loss[:104]) > 0
    assert rises.any() and (~rises).any()
    assert loss[104] > 1.5 * loss[103]  # it jumped
    assert np.all(np.diff(loss[108:]) > 0)  # from step 108 each step is worse
    assert state.recovery_step == 104 and f"{loss[104]:.4f}" == "0.1776"
    assert np.all(loss[105:] > loss[0]) and loss[104] <= loss[0]
    message = state.message
    assert "114" in message and "104" in message and "learning rate 0.1" in message


def test_08_back_to_step_104_then_lr_01_solves_xor_with_the_seeds_own_net():
    """'The seed's own LeakyReLU net solves XOR this time ... at step 104 the signs of Z1 differ
    between rows (unit 0 is positive only on (1, 0), unit 1 only on (0, 1)).'"""
    state, _ = _diverged_at_lr_1()
    assert state.recover()
    assert state.trainer.steps == 104 and f"{state.trace.loss:.4f}" == "0.1776"
    Z1 = state.trace["Z1"]
    assert (Z1[:, 0] > 0).tolist() == [False, False, True, False]
    assert (Z1[:, 1] > 0).tolist() == [False, True, False, False]
    state.configure(lr=0.1)
    state.train(2000)
    assert state.trace.loss < 1e-29
    assert np.all(np.abs(state.net.forward(X) - Y) < 0.001)


def test_08_ex4_at_lr_50_back_to_before_it_blew_up_is_the_start():
    """Exercise 4: 'It returns to step 0 ... The losses after each step are 21.25, 3.5e+09,
    5.2e+35, 8.1e+113 and inf.'"""
    state = bpv.ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=50)
    assert state.train(100) == 5
    loss = state.trainer.curve.train_loss
    assert [f"{v:.4g}" for v in loss[1:2]] + [f"{v:.2g}" for v in loss[2:]] == [
        "21.25", "3.5e+09", "5.2e+35", "8.1e+113", "inf"]
    assert state.recovery_step == 0
    assert state.recover() and state.trainer.steps == 0
    assert state.trace.loss == SEED_LOSS


def test_08_ex5_back_at_step_104_the_same_rate_overflows_at_step_114_again():
    """Exercise 5: 'It overflows again at step 114, exactly as before.'"""
    state, _ = _diverged_at_lr_1()
    first = state.trainer.curve.train_loss.copy()
    state.recover()
    assert state.train(1000) == 10 and state.trainer.steps == 114
    np.testing.assert_array_equal(state.trainer.curve.train_loss, first)


# ---------------------------------------------------------------- 05 beyond XOR

def _moons_state(n: int = 80) -> bpv.ExplorerState:
    Xm, Ym = bpv.datasets.moons(n, noise=0.3, seed=0)
    Xtr, Ytr, Xte, Yte = bpv.datasets.train_test_split(Xm, Ym, test_fraction=0.5, seed=0)
    net = bpv.MLP([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], seed=0)
    return bpv.ExplorerState(net, Xtr, Ytr, loss="bce", lr=0.5, X_test=Xte, Y_test=Yte)


@pytest.fixture(scope="module")
def moons_run():
    state = _moons_state()
    state.train(2000)
    return state


def test_05_the_net_sees_40_training_and_40_test_points(moons_run):
    assert len(moons_run.X) == 40 and len(moons_run.X_test) == 40


def test_05_training_and_test_loss_diverge(moons_run):
    """'The training loss keeps going down, with a few bumps on the way: from 0.652 at the start to
    0.070 after 2000 steps, with 98% of the training points right. The test loss falls only
    until step 209 (0.411), then rises to 1.514; test accuracy drops from 85% at step 200 to 65% at step 1000 (75% at step 2000).'"""
    c = moons_run.trainer.curve
    checkpoints = [c.train_loss[k] for k in (0, 100, 200, 500, 1000, 2000)]
    assert checkpoints == sorted(checkpoints, reverse=True)
    assert np.any(np.diff(c.train_loss) > 0)  # the bumps
    assert f"{c.train_loss[0]:.3f}" == "0.652"
    assert f"{c.train_loss[2000]:.3f}" == "0.070" and f"{c.train_acc[2000]:.0%}" == "98%"
    best = int(np.argmin(c.test_loss))
    assert best == 209 and f"{c.test_loss[best]:.3f}" == "0.411"
    assert np.all(np.diff(c.test_loss[:best + 1]) < 0)
    assert f"{c.test_loss[2000]:.3f}" == "1.514"
    assert [f"{c.test_acc[k]:.0%}" for k in (200, 1000, 2000)] == ["85%", "65%", "75%"]


def test_05_ex1_early_stopping_at_step_209(moons_run):
    """Exercise 1: 'At the step with the lowest test loss, 209: test loss 0.411 and 85% of the
    test points right.'"""
    c = moons_run.trainer.curve
    assert int(np.argmin(c.test_loss)) == 209 and f"{c.test_acc[209]:.0%}" == "85%"


def test_05_ex2_more_data_shrinks_the_gap():
    """Exercise 2: 'With 200 training points, after 2000 steps the net gets 88% of the training and
    86% of the test points right (loss 0.285 and 0.407). With 40 it was 98% and 75%.'"""
    state = _moons_state(400)
    assert len(state.X) == 200
    state.train(2000)
    c = state.trainer.curve
    assert [f"{c.train_acc[-1]:.0%}", f"{c.test_acc[-1]:.0%}"] == ["88%", "86%"]
    assert [f"{c.train_loss[-1]:.3f}", f"{c.test_loss[-1]:.3f}"] == ["0.285", "0.407"]


def test_05_batch_size_8_makes_an_epoch_5_steps():
    """'Set the batch size to 8: each step now uses 8 shuffled rows of the 40, so an epoch takes
    5 steps.'"""
    state = _moons_state()
    state.configure(batch_size=8)
    assert state.trainer.steps_per_epoch == 5
    state.train(5)
    assert state.trainer.epoch == 1.0


def _spiral_state(hidden, lr):
    """The spiral as the Data and Architecture panels make it (Data: spiral, noise 0.03)."""
    state = _moons_state()
    Xs, Ys = bpv.datasets.make("spiral", n=200, noise=0.03, seed=0)
    Xtr, Ytr, Xte, Yte = bpv.datasets.train_test_split(Xs, Ys, 0.25, seed=0)
    state.set_data(Xtr, Ytr, Xte, Yte, classes=2)
    state.set_architecture(hidden, ["tanh"] * len(hidden) + ["sigmoid"], loss="bce", seed=0)
    state.configure(lr=lr)
    state.train(10000)
    return state.trainer.curve


def test_05_ex3_three_layers_of_8_tanh_units_learn_the_spiral():
    """Exercise 3: 'Three hidden layers of 8 tanh units ... lr 0.3 ... It gets every training point
    right for the first time at step 8723; after 10000 steps it has 100% of the training points
    and 100% of the test points right.'"""
    c = _spiral_state([8, 8, 8], 0.3)
    assert int(np.argmax(c.train_acc == 1.0)) == 8723
    assert c.train_acc[-1] == 1.0 and c.test_acc[-1] == 1.0


def test_05_ex3_one_hidden_layer_does_not_learn_the_spiral():
    """Exercise 3: 'one hidden layer of 8 tanh units gets 85% of the training points right and one
    layer of 2 units 59%' (10000 steps at lr 0.5)."""
    assert f"{_spiral_state([8], 0.5).train_acc[-1]:.0%}" == "85%"
    assert f"{_spiral_state([2], 0.5).train_acc[-1]:.0%}" == "59%"


def test_05_three_classes_and_saving(tmp_path):
    """'Giving the state data with classes=3 sets that up: the output layer becomes three Identity
    units and the loss cross_entropy.' Then 98.8% after 300 steps; loading gives the same state."""
    state = _moons_state()
    state.train(2000)
    X3, Y3 = bpv.datasets.blobs(240, noise=0.25, seed=0)
    state.set_data(X3, Y3, classes=3)
    assert state.net.arch == "2-8-8-3" and state.loss == "cross_entropy"
    assert isinstance(state.net.activations[-1], bpv.Identity)
    state.train(300)
    assert f"{state.trainer.curve.train_acc[-1]:.1%}" == "98.8%"
    state.save(tmp_path / "lesson.json")
    again = bpv.ExplorerState(bpv.examples.seed_net(), X, Y)
    again.load(tmp_path / "lesson.json")
    assert again.to_json() == state.to_json()
