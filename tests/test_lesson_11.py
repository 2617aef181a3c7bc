"""Every outcome that notebook 11 (momentum and Adam) states in words, recomputed with the engine.

Each test names the sentence it checks. nbval checks the numbers the notebook's cells
print; these tests check what its text and its hidden answers claim, so that a change
in the engine that changes an outcome fails here.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.engine.ops import MOMENTUM

PATH = Path(__file__).parents[1] / "notebooks" / "11_momentum_and_adam.ipynb"
X, Y = bpv.datasets.xor()
PARAMS = ("W1", "B1", "W2", "B2")
SEED_LOSS = 0.2631408769381175


def cells() -> list[dict]:
    return json.loads(PATH.read_text())["cells"]


def printed() -> str:
    return "".join("".join(o.get("text", "")) for c in cells() if c["cell_type"] == "code"
                   for o in c.get("outputs", []))


def tanh_net() -> bpv.MLP:
    """Notebook 08's net: tanh hidden units, a LeakyReLU(0.5) output, the seed's weights."""
    net = bpv.MLP([2, 2, 1], ["tanh", bpv.LeakyReLU(0.5)])
    net.load_state_dict(bpv.examples.seed_state_dict())
    return net


class Run:
    """``steps`` full-batch steps of ``optimizer`` at ``lr``, with what the notebook reads
    off each step: the loss, the first step after which a sign of Z1 has changed, and
    the step from which every output stays within 0.1 of the targets (up to ``steps``)."""

    def __init__(self, optimizer: str, lr: float, steps: int, make=bpv.examples.seed_net):
        self.net = make()
        self.trainer = bpv.Trainer(self.net, X, Y, loss="mse", lr=lr, optimizer=optimizer)
        start = np.sign(self.net.trace(X, Y, loss="mse")["Z1"])
        self.changed = self.solved = None
        self.diverged_at = None
        self.W1 = [self.net.state_dict()["layer1.weight"]]
        for step in range(steps + 1):
            # the trace a step is made from is of the weights after `step` steps
            t = self.trainer.step() if step < steps else self.net.trace(X, Y, loss="mse")
            if self.changed is None and np.any(np.sign(t["Z1"]) != start):
                self.changed = step
            if np.all(np.abs(t["H2"] - Y) < 0.1):
                self.solved = step if self.solved is None else self.solved
            else:
                self.solved = None
            if step < steps:
                self.W1.append(self.net.state_dict()["layer1.weight"])
                if self.trainer.diverged:
                    self.diverged_at = self.trainer.steps
                    break
        self.loss = np.array(self.trainer.curve.train_loss)
        self.out = self.net.forward(X)[:, 0]


@pytest.fixture(scope="module")
def table():
    """Part 3's four runs of 500 steps."""
    return {key: Run(name, lr, 500) for key, (name, lr) in {
        "sgd": ("sgd", 0.3), "momentum": ("momentum", 0.3),
        "adam 0.3": ("adam", 0.3), "adam 0.03": ("adam", 0.03)}.items()}


# ---------------------------------------------------------------- the notebook's shape

def test_it_shows_an_explorer_with_an_optimizer_chosen():
    source = "\n".join("".join(c["source"]) for c in cells() if c["cell_type"] == "code")
    assert "bpv.Explorer(" in source and 'optimizer="momentum"' in source


def test_every_hand_computation_is_checked_against_the_trace():
    """'Each number is computed by hand from the formula, then checked against the trace.'"""
    hand = [("".join(c["source"])) for c in cells()
            if c["cell_type"] == "code" and "new_W2 = W2 - lr *" in "".join(c["source"])]
    assert len(hand) == 2  # momentum, Adam
    for text in hand:
        assert "assert np.array_equal(" in text


# ---------------------------------------------------------------- 1. momentum by hand

def _momentum_traces():
    net = bpv.examples.seed_net()
    opt = bpv.optim.SGD(net, lr=0.3, momentum=0.9)
    first = net.trace(X, Y, loss="mse", optimizer=opt)
    opt.step(first)
    return first, net.trace(X, Y, loss="mse", optimizer=opt)


def test_1_the_first_momentum_step_is_the_plain_sgd_step():
    """'The velocity starts at 0, so the first velocity is the gradient itself, and the first
    step is exactly the plain SGD step.'"""
    first, _ = _momentum_traces()
    plain = bpv.examples.seed_net().trace(X, Y, loss="mse", lr=0.3)
    for p in PARAMS:
        assert np.all(first[f"v {p}"] == 0)
        assert np.array_equal(first[f"new v {p}"], first[f"dL/d{p}"])
        assert np.array_equal(first[f"new {p}"], plain[f"new {p}"])


def test_1_the_second_step_keeps_W2_00_moving_up_against_its_gradient():
    """'Its gradient is now +0.008104, so plain SGD would move the weight down, by 0.3 · 0.008104
    = 0.002431. But the velocity still holds the first gradient, −0.052125: 0.9 · (−0.052125) +
    0.008104 = −0.038808. So the weight keeps moving up, from 0.542237 to 0.55388.'"""
    first, t = _momentum_traces()
    g, v = t["dL/dW2"][0, 0], t["v W2"][0, 0]
    assert f"{g:+.6f}" == "+0.008104" and g > 0
    assert f"{0.3 * g:.6f}" == "0.002431"
    assert v == first["dL/dW2"][0, 0] and f"{v:.6f}" == "-0.052125"
    assert f"{t['new v W2'][0, 0]:.6f}" == "-0.038808"
    assert f"{t['W2'][0, 0]:.6f}" == "0.542237" and f"{t['new W2'][0, 0]:.5f}" == "0.55388"
    assert t["new W2"][0, 0] > t["W2"][0, 0]
    assert "new v W2 = [[-0.038808  0.081606]]" in printed()


def test_ex1_a_steady_gradient_builds_a_velocity_of_ten_times_itself():
    """Exercise 1: '6.513·g after 10 steps, and close to 10·g after very many.'"""
    g = np.array([1.0, -2.0])
    v = np.zeros(2)
    for k in range(1, 201):
        v = MOMENTUM.velocity(v, g, 0.9)
        if k == 10:
            assert [f"{x:.3f}" for x in v / g] == ["6.513", "6.513"]
    np.testing.assert_allclose(v, 10 * g, rtol=1e-8)
    # "where they change sign, they cancel": an alternating gradient keeps |v| <= |g|
    v = np.zeros(2)
    for k in range(200):
        v = MOMENTUM.velocity(v, g if k % 2 == 0 else -g, 0.9)
        assert np.all(np.abs(v) <= np.abs(g))


def test_ex1_plain_sgd_at_lr_3_overflows_at_step_8():
    """Exercise 1: 'plain SGD at lr 3 on the seed's net overflows at step 8.'"""
    state = bpv.ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=3.0)
    assert state.train(1000) == 8 and state.trainer.diverged
    assert state.trainer.curve.train_loss[-1] == np.inf


# ---------------------------------------------------------------- 2. Adam by hand

def _adam_first(lr: float = 0.03):
    net = bpv.examples.seed_net()
    opt = bpv.optim.Adam(net, lr=lr)
    return opt, net.trace(X, Y, loss="mse", optimizer=opt)


def test_2_adams_defaults_are_pytorchs():
    """'with PyTorch's defaults β1 = 0.9, β2 = 0.999 and ε = 1e-8.'"""
    opt, t = _adam_first()
    assert opt.betas == (0.9, 0.999) and opt.eps == 1e-8 and t["t"] == 1
    # PyTorch's own defaults, read from its source (importing torch takes seconds)
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        pytest.skip("PyTorch is not installed")
    source = (Path(spec.origin).parent / "optim" / "adam.py").read_text()
    assert re.search(r"betas: [^=]*= \(0\.9, 0\.999\),", source)
    assert re.search(r"eps: float = 1e-8,", source)

def test_2_after_one_step_mhat_is_the_gradient_and_vhat_its_square():
    """'After one step m' is only a tenth of the gradient ... Dividing by 1 − 0.9¹ = 0.1 undoes
    it, so mhat is the gradient itself. In the same way vhat is the gradient squared
    (0.052125² = 0.002717).'"""
    _, t = _adam_first()
    assert f"{t['bc1']:.6g}" == "0.1" and f"{t['bc2']:.6g}" == "0.001"
    for p in PARAMS:
        g = t[f"dL/d{p}"]
        np.testing.assert_allclose(t[f"new m {p}"], 0.1 * g, rtol=1e-14)
        np.testing.assert_allclose(t[f"mhat {p}"], g, rtol=1e-14)
        np.testing.assert_allclose(t[f"vhat {p}"], g * g, rtol=1e-12)
    assert f"{t['dL/dW2'][0, 0] ** 2:.6f}" == "0.002717"
    assert "step t = 1: bc1 = 1 - 0.9**1 = 0.1, bc2 = 1 - 0.999**1 = 0.001" in printed()


def test_2_the_first_adam_step_moves_every_parameter_by_lr():
    """'All nine parameters moved by 0.03 (to within one part in a million; ε takes the rest).'
    'every parameter moves by lr, against the sign of its gradient.'"""
    _, t = _adam_first()
    count = 0
    for p in PARAMS:
        moved, g = t[f"new {p}"] - t[p], t[f"dL/d{p}"]
        assert np.all(np.sign(moved) == -np.sign(g))
        assert np.all(np.abs(np.abs(moved) - 0.03) < 1e-6 * 0.03)
        assert np.all(np.abs(moved) < 0.03)  # a hair less: ε's share
        count += moved.size
    assert count == 9


def test_2_plain_sgd_would_move_them_5_to_44_times_less():
    """'Plain SGD at the same lr would move each by 0.03 · |g|: 5 to 44 times less, and least of
    all the weights of layer 1, whose gradients are the smallest.'"""
    _, t = _adam_first()
    ratios = np.concatenate([(np.abs(t[f"new {p}"] - t[p]) / (0.03 * np.abs(t[f"dL/d{p}"]))).ravel()
                             for p in PARAMS])
    assert f"{ratios.min():.0f}" == "5" and f"{ratios.max():.0f}" == "44"
    others = np.concatenate([np.abs(t[f"dL/d{p}"]).ravel() for p in ("B1", "W2", "B2")])
    assert np.abs(t["dL/dW1"]).max() < others.min()


def test_ex2_a_gradient_100_times_larger_changes_sgd_100_fold_and_adam_not():
    """Exercise 2: 'lr 0.03 would move B2 by 0.605 instead of 0.00605. Adam's first step stays the
    same ... The new parameters agree to 7 decimal places.' (the answer's own code)"""
    _, t = _adam_first()
    g = t["dL/dB2"][0]
    assert f"{0.03 * g:.5f}" == "0.00605" and f"{0.03 * 100 * g:.3f}" == "0.605"
    values = {k: t[k] * (100 if k.startswith("dL/d") else 1)
              for p in ("W1", "B1", "W2", "B2") for k in (p, f"dL/d{p}")}
    bigger = bpv.optim.Adam(bpv.examples.seed_net(), lr=0.03).preview(values)
    for p in PARAMS:
        diff = np.abs(bigger[f"new {p}"] - t[f"new {p}"])
        assert np.all(diff < 5e-8) and np.any(diff > 0)
    plain = bpv.optim.SGD(bpv.examples.seed_net(), lr=0.03).preview(values)
    np.testing.assert_allclose(plain["new B2"] - t["B2"], -100 * 0.03 * t["dL/dB2"], rtol=1e-12)


# ---------------------------------------------------------------- 3. off the plateau

def test_3_the_plateau_of_notebooks_04_and_06():
    """'the seed's net stuck under plain SGD at lr 0.1: the signs of Z1 never change ... the best
    a linear net can do on XOR is 0.5 everywhere (loss 0.25).'"""
    run = Run("sgd", 0.1, 2000)
    assert run.changed is None and run.solved is None
    assert f"{run.loss[-1]:.6f}" == "0.250000"
    A = np.column_stack([X, np.ones(4)])
    best = np.linalg.lstsq(A, Y, rcond=None)[0]
    np.testing.assert_allclose(A @ best, 0.5, atol=1e-12)


def test_3_sgd_stays_on_the_plateau(table):
    """'From step 100 on the loss is 0.2500 to four decimals, no sign of Z1 ever changes, and
    every output ends at 0.5.'"""
    run = table["sgd"]
    assert all(f"{v:.4f}" == "0.2500" for v in run.loss[100:])
    assert run.changed is None and run.solved is None
    assert np.all(np.abs(run.out - 0.5) < 1e-3)


def test_3_momentum_starts_like_sgd_then_gets_off_the_plateau(table):
    """'its first step is the same, and so is the loss after it. But the velocity adds the gradients
    up, step after step. After 14 steps a weight of
    layer 1 has moved 0.221 from its start; with SGD, none has moved more than 0.061. Then a sign
    of Z1 changes ... and from step 93 on every output stays within 0.1.'"""
    mom, sgd = table["momentum"], table["sgd"]
    assert mom.loss[1] == sgd.loss[1] and np.array_equal(mom.W1[1], sgd.W1[1])
    moved = lambda run: np.abs(run.W1[14] - run.W1[0]).max()  # noqa: E731
    assert f"{moved(mom):.3f}" == "0.221" and f"{moved(sgd):.3f}" == "0.061"
    assert all(np.abs(sgd.W1[k] - sgd.W1[0]).max() <= moved(sgd) for k in range(15))
    assert mom.changed == 14 and mom.solved == 93


def test_3_adam_at_lr_03_jumps_first(table):
    """'Adam at lr 0.3 moves all nine parameters by 0.3 in its first step. The loss jumps from
    0.2631 to 0.6009, and signs of Z1 change at once. It recovers, and is solved from step 96.'"""
    _, t = _adam_first(0.3)
    for p in PARAMS:
        assert np.all(np.abs(np.abs(t[f"new {p}"] - t[p]) - 0.3) < 1e-6 * 0.3)
    run = table["adam 0.3"]
    assert f"{run.loss[0]:.4f}" == "0.2631" and f"{run.loss[1]:.4f}" == "0.6009"
    assert run.changed == 1 and run.solved == 96


def test_3_adam_at_lr_003_is_solved_first(table):
    """'Adam at lr 0.03, a tenth of that, is solved first, from step 67.'"""
    assert table["adam 0.03"].solved == 67
    others = [table[k].solved for k in ("momentum", "adam 0.3")]
    assert all(s is not None and s > 67 for s in others)
    # the table's other columns, as the text reads them
    assert table["adam 0.03"].changed == 13


def test_3_the_explorer_walkthrough():
    """'It starts with SGD + momentum 0.9 at lr 0.3.' 1. Step once: 'after the gradients come
    new v W1, new W1, and so on. The numbers are those of part 1's second step (new v W2 is
    [[-0.038808, 0.081606]]).' 2. Play: 'The loss stays near 0.25 for 15 steps, then drops.'
    3. Reset, SGD, Play: 'the loss stays at 0.25.' 4. Reset, Adam, lr 0.03, Play."""
    state = bpv.ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=0.3,
                              optimizer="momentum")
    explorer = bpv.Explorer(state=state)
    assert explorer.training.optimizer.label == "SGD + momentum 0.9" and explorer.training.lr.value == 0.3
    explorer.training.step_button.click()
    labels = [label for label, _ in explorer.stepper.jump.options]
    after = labels[[i for i, s in enumerate(labels) if "dL/dB1 =" in s][0] + 1:]
    assert after[0].split(". ", 1)[1].startswith("new v W1") and after[1].split(". ", 1)[1].startswith("new W1")
    _, second = _momentum_traces()
    for p in PARAMS:
        assert np.array_equal(state.trace[f"new v {p}"], second[f"new v {p}"])
    assert [f"{x:.6f}" for x in state.trace["new v W2"][0]] == ["-0.038808", "0.081606"]

    state.train(499)  # Play
    loss = state.trainer.curve.train_loss
    assert all(0.249 < v < 0.26 for v in loss[1:16]) and all(v < 0.249 for v in loss[16:])
    assert loss[50] < 0.02 and np.all(np.abs(state.net.forward(X) - Y) < 0.1)

    explorer.training.reset_button.click()
    explorer.training.optimizer.value = "sgd"
    assert state.optimizer == "sgd" and state.trainer.steps == 0
    state.train(500)
    assert f"{state.trace.loss:.4f}" == "0.2500"

    explorer.training.reset_button.click()
    explorer.training.optimizer.value = "adam"
    explorer.training.lr.value = 0.03
    assert (state.optimizer, state.lr, state.trainer.steps) == ("adam", 0.03, 0)
    state.train(500)
    np.testing.assert_array_equal(state.trainer.curve.train_loss, _run_curve("adam", 0.03, 500))
    assert np.all(np.abs(state.net.forward(X) - Y) < 0.1)


def _run_curve(optimizer: str, lr: float, steps: int) -> np.ndarray:
    trainer = bpv.Trainer(bpv.examples.seed_net(), X, Y, loss="mse", lr=lr, optimizer=optimizer)
    trainer.run(steps)
    return np.array(trainer.curve.train_loss)


def test_ex3_momentum_at_other_learning_rates():
    """Exercise 3: 'lr 0.1: stuck ... No sign of Z1 changes, and the loss ends at 0.2500.'
    'lr 0.2: solved from step 82.' 'lr 0.4: a sign of Z1 changes at step 12, but the net falls
    back onto the plateau. After 500 steps every output is 0.500 and the loss is 0.2500.'
    'lr 0.5: the loss overflows at step 45.'"""
    run = Run("momentum", 0.1, 500)
    assert run.changed is None and run.solved is None and f"{run.loss[-1]:.4f}" == "0.2500"
    assert Run("momentum", 0.2, 500).solved == 82
    run = Run("momentum", 0.4, 500)
    assert run.changed == 12 and run.solved is None
    assert [f"{v:.3f}" for v in run.out] == ["0.500"] * 4 and f"{run.loss[-1]:.4f}" == "0.2500"
    run = Run("momentum", 0.5, 500)
    assert run.diverged_at == 45 and run.loss[-1] == np.inf


@pytest.fixture(scope="module")
def adam_long():
    """Adam at lr 0.3 for 2000 steps: the losses, lr / (√vhat + ε) of every parameter at steps
    500, 700 and 760, and the largest gradient at each step."""
    net = bpv.examples.seed_net()
    opt = bpv.optim.Adam(net, lr=0.3)
    losses, rates, grads = [], {}, []
    for step in range(2001):
        t = net.trace(X, Y, loss="mse", optimizer=opt)
        losses.append(t.loss)
        grads.append(max(np.abs(t[f"dL/d{p}"]).max() for p in PARAMS))
        if step in (500, 700, 760):
            rates[step] = np.concatenate([(opt.lr / (np.sqrt(t[f"vhat {p}"]) + opt.eps)).ravel()
                                          for p in PARAMS])
        if step < 2000:
            opt.step(t)
    return np.array(losses), rates, np.array(grads)


def test_ex4_adam_climbs_back_out_of_the_bottom(adam_long):
    """Exercise 4: 'The loss gets down to 2.7e-22 at step 472 and stays below 1e-11 up to step 700
    (1.2e-13). From there it grows at every step, to 0.054 at step 740, and peaks at 0.107 at step
    751. It falls again, and climbs above 0.01 three more times, from steps 916, 1189 and 1673.'"""
    loss, _, _ = adam_long
    assert int(np.argmin(loss)) == 472 and f"{loss[472]:.1e}" == "2.7e-22"
    assert np.all(loss[472:701] < 1e-11)
    assert f"{loss[700]:.1e}" == "1.2e-13" and f"{loss[740]:.3f}" == "0.054"
    assert np.all(np.diff(loss[700:741]) > 0)
    assert np.all(loss[519:737] < 0.01)
    peak = int(np.argmax(loss[500:1200])) + 500
    assert peak == 751 and f"{loss[peak]:.3f}" == "0.107"
    assert loss[1000] < 1e-6  # falls again
    above = np.flatnonzero(loss > 0.01)
    above = above[above > 800]
    starts = [int(k) for i, k in enumerate(above) if i == 0 or k - above[i - 1] > 50]
    assert starts == [916, 1189, 1673]

def test_ex4_adams_effective_rate_grows_at_the_bottom(adam_long):
    """Exercise 4: 'Near the bottom the gradients are tiny, so v̂ shrinks and lr / (√v̂ + ε) ...
    grows. At step 700 it is between 4.4 and 19, larger for every parameter than at step
    500. Plain SGD on this net already overflows at lr 1.0 (notebook 08).' 'the rate falls (3.4
    to 11 at step 760).' 'v̂ ... over roughly the last 1/(1 − β2) = 1000 steps.'"""
    _, rates, grads = adam_long
    assert np.all(grads[500:701] < 1e-5)  # "near the bottom the gradients are tiny"
    assert f"{rates[700].min():.1f}" == "4.4" and f"{rates[700].max():.0f}" == "19"
    assert np.all(rates[700] > rates[500])
    assert f"{rates[760].min():.1f}" == "3.4" and f"{rates[760].max():.0f}" == "11"
    assert np.all(rates[760] < rates[700])
    assert round(1 / (1 - 0.999)) == 1000
    state = bpv.ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=1.0)
    state.train(1000)
    assert state.trainer.diverged


def test_ex4_momentum_stays_at_the_bottom():
    """Exercise 4: 'Momentum at lr 0.3 does not do this: its loss stays below 1e-21 from step 500
    to step 2000.'"""
    loss = _run_curve("momentum", 0.3, 2000)
    assert np.all(loss[500:] < 1e-21)


def test_ex5_on_the_tanh_net_momentum_wins_and_adam_gets_stuck():
    """Exercise 5: 'at lr 0.1 every output is within 0.1 from step 1091 on.' 'Momentum: solved
    from step 203, about five times sooner than plain SGD. Adam does not solve it at all. It ends
    at loss 0.1250 with outputs -0.002, 0.496, 0.996 and 0.496: right on (0, 0) and (1, 0), and
    0.5 on (0, 1) and (1, 1). At lr 0.3 Adam does solve it, from step 1602, about eight times
    later than momentum at lr 0.1.'"""
    sgd = Run("sgd", 0.1, 2000, tanh_net)
    mom = Run("momentum", 0.1, 2000, tanh_net)
    assert sgd.solved == 1091 and mom.solved == 203
    assert round(sgd.solved / mom.solved) == 5
    net = tanh_net()  # not solved after 2000 steps: "solved from" is None, no need to watch each step
    trainer = bpv.Trainer(net, X, Y, loss="mse", lr=0.1, optimizer="adam")
    trainer.run(2000)
    out = net.forward(X)[:, 0]
    assert not np.all(np.abs(out - Y[:, 0]) < 0.1) and f"{trainer.curve.train_loss[-1]:.4f}" == "0.1250"
    assert [f"{v:.3f}" for v in out] == ["-0.002", "0.496", "0.996", "0.496"]
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    adam = Run("adam", 0.3, 2000, tanh_net)
    assert adam.solved == 1602 and round(adam.solved / mom.solved) == 8
