"""Every outcome that notebook 10 (L1 and L2 regularization) states in words,
recomputed with the engine.

Each test first checks that the notebook says it (``said``: the phrase is in its
markdown, hidden answers included), then that the engine agrees. nbval checks the
numbers the code cells print; these tests check the text.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import numpy as np
import pytest

import backpropviz as bpv

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "10_regularization.ipynb"
CELLS = json.loads(NOTEBOOK.read_text())["cells"]
TEXT = "\n".join("".join(c["source"]) for c in CELLS if c["cell_type"] == "markdown")
SOURCE = "\n".join("".join(c["source"]) for c in CELLS if c["cell_type"] == "code")

X, Y = bpv.datasets.xor()
L1, L2 = 0.01, 0.1  # part 1's penalty on the seed's net

XM, YM = bpv.datasets.moons(80, noise=0.3, seed=0)
X_TRAIN, Y_TRAIN, X_TEST, Y_TEST = bpv.datasets.train_test_split(XM, YM, test_fraction=0.5, seed=0)


def said(*phrases: str) -> None:
    """The notebook's text says each phrase, word for word."""
    for phrase in phrases:
        assert phrase in TEXT, f"the notebook no longer says {phrase!r}"


def f3(x: float) -> str:
    return f"{x:.3f}"


def seed_trace(state: dict | None = None, **kw) -> bpv.Trace:
    net = bpv.examples.seed_net()
    if state is not None:
        net.load_state_dict(state)
    return net.trace(X, Y, loss="mse", l1=L1, l2=L2, **kw)


def moons_net() -> bpv.MLP:
    return bpv.MLP([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], seed=0)


@functools.lru_cache(maxsize=None)
def run(l1: float = 0.0, l2: float = 0.0) -> bpv.Trainer:
    """The notebook's ``train``: notebook 05's net and data, 2000 steps at lr 0.5."""
    trainer = bpv.Trainer(moons_net(), X_TRAIN, Y_TRAIN, loss="bce", lr=0.5,
                          X_test=X_TEST, Y_test=Y_TEST, l1=l1, l2=l2)
    trainer.run(2000)
    return trainer


def weights(net: bpv.MLP) -> np.ndarray:
    return np.concatenate([w.ravel() for name, w in net.state_dict().items() if name.endswith("weight")])


def best(trainer: bpv.Trainer) -> tuple[int, float]:
    k = int(np.argmin(trainer.curve.test_loss))
    return k, trainer.curve.test_loss[k]


# ---------------------------------------------------------------- the lesson's shape

def test_10_shows_an_explorer_with_the_penalty_boxes():
    assert "bpv.Explorer(" in SOURCE
    said("The **L1** and **L2** boxes are in the training controls.")
    from backpropviz.widgets import TrainingControls
    controls = TrainingControls(bpv.ExplorerState(moons_net(), X_TRAIN, Y_TRAIN, loss="bce", lr=0.5))
    assert (controls.l1.description, controls.l2.description) == ("L1", "L2")


# ---------------------------------------------------------------- 1. what the penalty adds

def test_10_intro_recalls_notebook_05():
    said("the test loss was lowest at step 209 (0.411) and then rose to 1.514")
    k, low = best(run())
    assert k == 209 and f3(low) == "0.411"
    assert f3(run().curve.test_loss[-1]) == "1.514"


def test_10_the_penalty_of_the_seed_net_by_hand():
    """'The data loss is the seed's loss from notebook 01, 0.263141.' 'B1 and B2 are not in it.'"""
    said("The data loss is the seed's loss from notebook 01, 0.263141.", "`B1` and `B2` are not in it.",
         "The biases are not penalised.")
    t = seed_trace()
    assert t.data_loss == bpv.examples.seed_net().trace(X, Y, loss="mse").loss
    assert f"{t.data_loss:.6f}" == "0.263141"
    W1, W2 = t["W1"], t["W2"]
    by_hand = L1 * (np.abs(W1).sum() + np.abs(W2).sum()) + L2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    assert t.penalty == pytest.approx(by_hand, rel=1e-14)
    assert f"{t.penalty:.6f}" == "0.119846" and f"{t.loss:.6f}" == "0.382987"
    assert t.loss == pytest.approx(t.data_loss + t.penalty, rel=1e-15)
    # the biases are not in it: other biases, the same penalty
    other = bpv.examples.seed_state_dict()
    other["layer1.bias"] = np.array([5.0, -7.0])
    other["layer2.bias"] = np.array([3.0])
    assert seed_trace(other).penalty == t.penalty


def test_10_the_penalty_gradient_has_the_sign_of_the_weight():
    """'The penalty's part has the sign of the weight.' 'For layer2.weight[0, 0] the data says
    grow (gradient -0.052125) and the penalty says shrink (+0.115320) ... the gradient is
    +0.063195, and a step now makes this weight smaller.' 'dL/dB2 is 0.201665, the same as
    without a penalty.'"""
    said("The penalty's part has the sign of the weight.",
         "For `layer2.weight[0, 0]` the data says *grow* (gradient −0.052125) and the "
         "penalty says *shrink* (+0.115320). The penalty wins: the gradient is +0.063195, and "
         "a step now makes this weight smaller.",
         "`dL/dB2` is 0.201665, the same as without a penalty in notebook 01.",
         "the engine takes sign(0) = 0")
    t = seed_trace(lr=0.75)
    for l in (1, 2):
        W = t[f"W{l}"]
        np.testing.assert_array_equal(t[f"dL/dW{l} (penalty)"], L1 * np.sign(W) + 2 * L2 * W)
        assert np.all(np.sign(t[f"dL/dW{l} (penalty)"]) == np.sign(W))
        np.testing.assert_array_equal(t[f"dL/dW{l}"], t[f"dL/dW{l} (data)"] + t[f"dL/dW{l} (penalty)"])
    assert [f"{t[k][0, 0]:+.6f}" for k in ("dL/dW2 (data)", "dL/dW2 (penalty)", "dL/dW2")] == [
        "-0.052125", "+0.115320", "+0.063195"]
    assert t["new W2"][0, 0] < t["W2"][0, 0]  # the step makes it smaller
    plain = bpv.examples.seed_net().trace(X, Y, loss="mse")
    np.testing.assert_array_equal(t["dL/dB2"], plain["dL/dB2"])
    np.testing.assert_array_equal(t["dL/dB1"], plain["dL/dB1"])
    assert f"{t['dL/dB2'][0]:.6f}" == "0.201665"


def test_10_a_finite_difference_agrees_with_backprop():
    t = seed_trace()
    eps = 1e-6
    loss = {}
    for sign in (+1, -1):
        nudged = bpv.examples.seed_state_dict()
        nudged["layer2.weight"][0, 0] += sign * eps
        loss[sign] = seed_trace(nudged).loss
    fd = (loss[+1] - loss[-1]) / (2 * eps)
    assert fd == pytest.approx(t["dL/dW2"][0, 0], abs=1e-9)
    assert f"{fd:.6f}" == f"{t['dL/dW2'][0, 0]:.6f}" == "0.063195"


def test_10_the_stepper_shows_the_penalty_steps():
    """'The chain-rule stepper shows these as steps of their own.'"""
    said("The chain-rule stepper shows these as steps of their own.")
    t = seed_trace()
    names = [s.name for s in t.steps]
    assert names[4:7] == ["data loss", "penalty", "loss"]
    i = names.index("dL/dW2 (data)")
    assert names[i:i + 3] == ["dL/dW2 (data)", "dL/dW2 (penalty)", "dL/dW2"]
    assert t.step("dL/dW2 (penalty)").text == "dL/dW2 (penalty) = l1·sign(W2) + 2·l2·W2"
    plain = [s.name for s in bpv.examples.seed_net().trace(X, Y, loss="mse").steps]
    assert not {"data loss", "penalty", "dL/dW2 (penalty)"} & set(plain)
    # the stepper panel walks through the same steps
    from backpropviz.widgets import ChainRuleStepper
    state = bpv.ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=0.75, l1=L1, l2=L2)
    ChainRuleStepper(state)
    assert [s.name for s in state.trace.steps][4:7] == ["data loss", "penalty", "loss"]


def test_10_ex1_the_penalty_part_of_layer1_weight_0_1():
    """Exercise 1: '-0.12584 ... The data's part is 0.022960, so the whole gradient is
    -0.102880 ... the weight moves up, towards 0.'"""
    said("0.01 · sign(−0.5792) + 2 · 0.1 · (−0.5792) = −0.01 − 0.11584 = −0.12584",
         "data's part is 0.022960, so the whole gradient is −0.102880",
         "so the weight moves up, towards 0.")
    t = seed_trace(lr=0.75)
    assert t["W1"][0, 1] == -0.5792
    assert t["dL/dW1 (penalty)"][0, 1] == pytest.approx(-0.12584, abs=1e-15)
    assert f"{t['dL/dW1 (data)'][0, 1]:.6f}" == "0.022960"
    assert f"{t['dL/dW1'][0, 1]:.6f}" == "-0.102880"
    assert t["W1"][0, 1] < t["new W1"][0, 1] < 0


def test_10_ex2_a_weight_at_zero_has_no_penalty_gradient():
    """Exercise 2: 'The penalty's part is 0 ... the data's part alone, -0.185991. The finite
    difference gives -0.185991 too.'"""
    said("The penalty's part is 0: sign(0) = 0 and 2 · 0.1 · 0 = 0.",
         "the data's part alone, −0.185991. The finite difference gives −0.185991 too.")
    zero = bpv.examples.seed_state_dict()
    zero["layer2.weight"][0, 0] = 0.0
    t = seed_trace(zero)
    assert t["dL/dW2 (penalty)"][0, 0] == 0.0
    assert t["dL/dW2"][0, 0] == t["dL/dW2 (data)"][0, 0]
    eps = 1e-6
    loss = {}
    for sign in (+1, -1):
        nudged = {k: v.copy() for k, v in zero.items()}
        nudged["layer2.weight"][0, 0] = sign * eps
        loss[sign] = seed_trace(nudged).loss
    fd = (loss[+1] - loss[-1]) / (2 * eps)
    assert f"{fd:.6f}" == f"{t['dL/dW2'][0, 0]:.6f}" == "-0.185991"


# ---------------------------------------------------------------- 2. L2 against overfitting

def test_10_l2_keeps_the_test_loss_from_rising():
    """'Without a penalty the training loss falls to 0.070, and the test loss ends at 1.514.'
    'With l2 = 0.01 the training loss only reaches 0.359, with 80% of the training points
    right (98% without) ... The test loss ends at 0.431, and its lowest point is the last step:
    it did not rise. 80% of the test points are right, against 75%.'"""
    said("Without a penalty the training loss falls to 0.070, and the test loss ends at 1.514",
         "With `l2 = 0.01` the training loss only reaches 0.359, with 80% of the training "
         "points right (98% without)",
         "The test loss ends at 0.431, and its lowest point is the last step: it did not rise. "
         "80% of the test points are right, against 75%.")
    plain, l2 = run().curve, run(l2=0.01).curve
    assert f3(plain.train_loss[-1]) == "0.070" and f3(plain.test_loss[-1]) == "1.514"
    assert f"{plain.train_acc[-1]:.0%}" == "98%" and f"{plain.test_acc[-1]:.0%}" == "75%"
    assert f3(l2.train_loss[-1]) == "0.359" and f3(l2.test_loss[-1]) == "0.431"
    assert f"{l2.train_acc[-1]:.0%}" == "80%" and f"{l2.test_acc[-1]:.0%}" == "80%"
    assert best(run(l2=0.01))[0] == 2000


def test_10_the_table_holds_data_losses():
    """'The losses in the table are data losses, so the runs compare fairly.'"""
    said("The losses in the table are data losses, so the runs compare fairly.")
    trainer = run(l2=0.01)
    t = trainer.net.trace(X_TRAIN, Y_TRAIN, loss="bce", l2=0.01)
    assert trainer.curve.train_loss[-1] == pytest.approx(t.data_loss, rel=1e-12)
    assert t.penalty > 0.05  # with the penalty it would read differently


def test_10_l2_keeps_the_weights_small():
    """'ΣW² is 6.67 instead of 220.00, and no weight is larger than 0.59 (without the
    penalty: 5.48).'"""
    said("ΣW² is 6.67 instead of 220.00, and no weight is larger than 0.59 (without the "
         "penalty: 5.48).")
    plain, l2 = weights(run().net), weights(run(l2=0.01).net)
    assert f"{np.sum(l2 ** 2):.2f}" == "6.67" and f"{np.sum(plain ** 2):.2f}" == "220.00"
    assert f"{np.abs(l2).max():.2f}" == "0.59" and f"{np.abs(plain).max():.2f}" == "5.48"


def test_10_early_stopping_is_a_little_better():
    """'Stopping early at step 209 gave a test loss of 0.411, a little lower than 0.431.'"""
    said("Stopping early at step 209 gave a test loss of 0.411, a little lower than 0.431.")
    k, low = best(run())
    assert k == 209 and f3(low) == "0.411" and low < run(l2=0.01).curve.test_loss[-1]


def test_10_ex3_l2_is_weight_decay():
    """Exercise 3: 'new W = 0.99 · W − 0.5 · dL/dW (data)' ... 'differ by less than 1e-15'."""
    said("`new W = (1 − 2 · lr · l2) · W − lr · dL/dW (data) = 0.99 · W − 0.5 · dL/dW (data)`",
         "differ by less than 1e-15, a rounding error; the same holds for `W2` and `W3`.")
    t = moons_net().trace(X_TRAIN, Y_TRAIN, loss="bce", lr=0.5, l2=0.01)
    for l in (1, 2, 3):
        decayed = 0.99 * t[f"W{l}"] - 0.5 * t[f"dL/dW{l} (data)"]
        assert np.abs(t[f"new W{l}"] - decayed).max() < 1e-15


def test_10_ex4_a_sweep_of_l2():
    """Exercise 4: test losses after 2000 steps and what goes wrong at each end."""
    said("The test losses after 2000 steps are 0.927, 0.452, 0.431, 0.459 and 0.697: "
         "0.01 is the best of the five.",
         "At 0.001 the net still overfits: its test loss is lowest at step 257 (0.406) "
         "and then rises to 0.927.",
         "At 0.003 the test loss reaches the lowest value of all runs, 0.396 at step "
         "474, then rises to 0.452.",
         "all 88 weights end below 0.001. The net answers 0.475 for every point, which is the "
         "share of class 1 among the training points.",
         "Its test accuracy is 48%.")
    sweep = (0.001, 0.003, 0.01, 0.03, 0.1)
    ends = [run(l2=v).curve.test_loss[-1] for v in sweep]
    assert [f3(v) for v in ends] == ["0.927", "0.452", "0.431", "0.459", "0.697"]
    assert sweep[int(np.argmin(ends))] == 0.01
    k, low = best(run(l2=0.001))
    assert k == 257 and f3(low) == "0.406"
    k, low = best(run(l2=0.003))
    assert k == 474 and f3(low) == "0.396"
    # the lowest of all runs in the lesson (no penalty, the sweep, L1)
    others = [best(run(l2=v))[1] for v in sweep if v != 0.003] + [best(run())[1], best(run(l1=0.01))[1]]
    assert low < min(others)
    strong = run(l2=0.1)
    w = weights(strong.net)
    assert w.size == 88 and np.all(np.abs(w) < 0.001)
    out = strong.net.forward(np.vstack([X_TRAIN, X_TEST]))
    assert np.all(np.array([f3(v) for v in out[:, 0]]) == "0.475")
    assert np.mean(Y_TRAIN) == 0.475
    assert f"{strong.curve.test_acc[-1]:.0%}" == "48%"


# ---------------------------------------------------------------- 3. L1 against L2

def test_10_l1_keeps_six_weights_l2_shrinks_all():
    """'L2 shrinks every weight, but none reaches zero: none is below 0.01.' 'L1 keeps only 6
    of the 88 weights; 82 are below 0.01.' 'Only 16 of L1's 82 small weights are below 0.001.'"""
    said("L2 shrinks every weight, but none reaches zero: none is below 0.01.",
         "L1 keeps only 6 of the 88 weights; 82 are below 0.01.",
         "Only 16 of L1's 82 small weights are below 0.001")
    l2, l1 = np.abs(weights(run(l2=0.01).net)), np.abs(weights(run(l1=0.01).net))
    assert np.sum(l2 < 0.01) == 0 and np.all(l2 > 0)
    assert l1.size == 88 and np.sum(l1 < 0.01) == 82 and np.sum(l1 < 0.001) == 16
    # the six left are far from the rest
    assert np.sort(l1)[-6:].min() > 0.3


def test_10_the_l1_net_is_one_path():
    """'The six form one path: unit 5 of layer 1 feeds units 1 and 6 of layer 2, which feed
    the output.'"""
    said("The six form one path: unit 5 of layer 1 feeds units 1 and 6 of layer 2, which feed "
         "the output.")
    p = run(l1=0.01).net.state_dict()
    big = {name: sorted(zip(*map(list, np.nonzero(np.abs(w) >= 0.01))))
           for name, w in p.items() if name.endswith("weight")}
    assert big == {"layer1.weight": [(5, 0), (5, 1)], "layer2.weight": [(1, 5), (6, 5)],
                   "layer3.weight": [(0, 1), (0, 6)]}


def test_10_l1_and_l2_do_about_equally_well():
    """'test loss 0.423 with L1 and 0.431 with L2.'"""
    said("test loss 0.423 with L1 and 0.431 with L2")
    assert f3(run(l1=0.01).curve.test_loss[-1]) == "0.423"
    assert f3(run(l2=0.01).curve.test_loss[-1]) == "0.431"


def test_10_l2_pull_weakens_l1_pull_does_not():
    """'L2's pull, 2·l2·w, gets weaker as the weight gets smaller ... L1's pull is l1 whatever
    the size of the weight.'"""
    W = np.array([[2.0, 0.5, 0.01, -0.001]])
    from backpropviz.engine.ops import PENALTY
    np.testing.assert_array_equal(PENALTY.gradient(W, 0.01, 0.0), 0.01 * np.array([[1, 1, 1, -1]]))
    np.testing.assert_allclose(PENALTY.gradient(W, 0.0, 0.01), 0.02 * W)


def test_10_small_l1_weights_jump_across_zero():
    """'the penalty alone moves a weight by lr · l1 = 0.005 towards 0, and a weight smaller
    than that is carried across 0.' 'All 82 small weights jump across 0 in this one step, and
    none of them is larger than 0.007 ... Not one of the 88 weights is exactly 0.'"""
    said("the penalty alone moves a weight by lr · l1 = 0.005 towards 0, and a weight smaller "
         "than that is carried across 0.",
         "All 82 small weights jump across 0 in this one step, and none of them is larger than "
         "0.007", "Not one of the 88 weights is exactly 0.")
    trainer = run(l1=0.01)
    t = trainer.trace()
    before = np.concatenate([t[f"W{l}"].ravel() for l in (1, 2, 3)])
    after = np.concatenate([t[f"new W{l}"].ravel() for l in (1, 2, 3)])
    penalty = np.concatenate([t[f"dL/dW{l} (penalty)"].ravel() for l in (1, 2, 3)])
    np.testing.assert_allclose(0.5 * np.abs(penalty), 0.005, rtol=1e-12)
    flips = np.sign(before) != np.sign(after)
    assert flips.sum() == 82
    np.testing.assert_array_equal(flips, np.abs(before) < 0.01)
    assert np.all(flips[np.abs(before) < 0.005])
    assert np.abs(before[flips]).max() < 0.007 and f"{np.abs(before[flips]).max():.4f}" == "0.0065"
    assert np.all(before != 0)


def test_10_ex5_the_l2_net_shares_one_unit_eight_times():
    """Exercise 5: 'Every row is within 0.004 of (0.242, −0.401) or of its negative, and every
    bias of layer 1 is within 0.003 of 0.' 'a² + b² ... least when a = b = c/2: it costs c²/2.'
    'its net of part 3 keeps just one unit in layer 1.'"""
    said("Every row is within 0.004 of (0.242, −0.401) or of its negative, and every bias "
         "of layer 1 is within 0.003 of 0.", "its net of part 3 keeps just one unit in layer 1.")
    p = run(l2=0.01).net.state_dict()
    ref = np.array([0.242, -0.401])
    W1 = p["layer1.weight"]
    assert np.all(np.minimum(np.abs(W1 - ref).max(1), np.abs(W1 + ref).max(1)) < 0.004)
    assert np.all(np.abs(p["layer1.bias"]) < 0.003)
    c = 1.7
    a = np.linspace(-3, 5, 8001)
    cost = a ** 2 + (c - a) ** 2
    assert a[np.argmin(cost)] == pytest.approx(c / 2) and cost.min() == pytest.approx(c ** 2 / 2)
    said("L1 charges |a| + |b|, which is |c| however a and b share it (as long as both have the "
         "sign of c).")
    share = np.linspace(0, c, 101)
    np.testing.assert_allclose(np.abs(share) + np.abs(c - share), c)
    used = np.abs(run(l1=0.01).net.state_dict()["layer1.weight"]).max(axis=1) >= 0.01
    assert used.sum() == 1


# ---------------------------------------------------------------- the Explorer

def test_10_the_explorer_does_what_the_lesson_says():
    """'Type 0.01 into L2. The stepper now has the steps data loss, penalty and
    dL/dW1 (penalty). Set steps per frame to 1000, press Play and pause it anywhere between
    steps 2000 and 3000: the counter shows a test loss of 0.4313, the table's 0.431.'
    'Reset, set L2 back to 0 and L1 to 0.01, and Play again. Watch the edges of the diagram:
    by step 2000 all but six of them are thin.'"""
    said("The stepper now has the steps `data loss`, `penalty` and `dL/dW1 (penalty)`.",
         "Set *steps per frame* to 1000, press **Play** and pause it anywhere between steps "
         "2000 and 3000: the counter shows a test loss of 0.4313, the table's 0.431.",
         "Watch the edges of the diagram: by step 2000 all but six of them are thin.")
    explorer = bpv.Explorer(moons_net(), X_TRAIN, Y_TRAIN, loss="bce", lr=0.5,
                            X_test=X_TEST, Y_test=Y_TEST)
    controls, state = explorer.training, explorer.state
    controls.l2.value = 0.01
    names = [s.name for s in state.trace.steps]
    assert {"data loss", "penalty", "dL/dW1 (penalty)"} <= set(names)
    controls.speed.value = 1000
    controls.frame()
    controls.frame()  # what Play does, frame by frame
    assert state.trainer.steps == 2000
    ref = run(l2=0.01)
    for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
        assert getattr(state.trainer.curve, key)[-1] == getattr(ref.curve, key)[-1]
    assert "(test 0.4313)" in controls.counter.value
    controls.frame()
    assert state.trainer.steps == 3000
    assert {f"{v:.4g}" for v in state.trainer.curve.test_loss[2000:]} == {"0.4313"}
    assert f3(state.trainer.curve.test_loss[2000]) == "0.431"

    controls.reset_button.click()
    assert state.trainer.steps == 0
    controls.l2.value = 0.0
    controls.l1.value = 0.01
    controls.frame()
    controls.frame()
    np.testing.assert_array_equal(weights(state.net), weights(run(l1=0.01).net))
    svg = explorer.diagram.svg.value
    widths = [float(w) for w in re.findall(r'class="bpv-edge"[^>]*stroke-width="([0-9.]+)"', svg)]
    assert len(widths) == 88
    # the diagram draws edges from 0.8 (|w| = 0) to 5.0 (the layer's largest |w|) wide
    assert sum(w < 0.9 for w in widths) == 82 and sum(w > 2.5 for w in widths) == 6
