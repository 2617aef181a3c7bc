"""The optimizers and the L1/L2 penalty in the trainer, the state, the save file and
the playground: training uses them, undo/reset/save/load carry the optimizer's state
exactly, bad input changes nothing, and the panels show and set them."""

import json
import math

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.engine import serialize
from backpropviz.engine.serialize import BadState
from backpropviz.engine.training import Trainer
from backpropviz.widgets import ChainRuleStepper, ExplorerState, TrainingControls

SETTINGS = {
    "sgd": dict(optimizer="sgd", lr=0.5),
    "momentum": dict(optimizer="momentum", momentum=0.8, lr=0.1),
    "adam": dict(optimizer="adam", betas=(0.8, 0.99), eps=1e-7, lr=0.02),
}
PENALTIES = [(0.0, 0.0), (0.003, 0.0), (0.0, 0.01), (0.002, 0.004)]


def _state(kind="adam", l1=0.0, l2=0.0, batch_size=8):
    X, Y = bpv.datasets.moons(60, seed=0)
    Xtr, Ytr, Xte, Yte = bpv.datasets.train_test_split(X, Y, 0.25, seed=0)
    return ExplorerState(bpv.MLP([2, 4, 1], ["tanh", "sigmoid"], seed=1), Xtr, Ytr, loss="bce",
                         X_test=Xte, Y_test=Yte, batch_size=batch_size, l1=l1, l2=l2,
                         **SETTINGS[kind])


def _other_state():
    state = ExplorerState(bpv.examples.seed_net(), *bpv.datasets.xor())
    state.train(3)
    return state


def _same_state(a, b):
    """Equal optimizer states, bit for bit (NaN equal to NaN)."""
    assert set(a) == set(b)
    for k in a:
        if k == "t":
            assert a[k] == b[k]
        else:
            assert np.array_equal(a[k], b[k], equal_nan=True) and a[k].tobytes() == b[k].tobytes(), k


# ------------------------------------------------------------------ training uses them

@pytest.mark.parametrize("kind", SETTINGS)
@pytest.mark.parametrize("l1,l2", PENALTIES)
def test_training_is_the_optimizer_stepping_on_the_penalised_trace(kind, l1, l2):
    """The trainer's steps equal the optimizer's own, step by step, on the same batches."""
    state = _state(kind, l1, l2, batch_size=None)
    net = state.net.copy()
    s = SETTINGS[kind]
    opt = (bpv.optim.Adam(net, s["lr"], betas=s["betas"], eps=s["eps"]) if kind == "adam"
           else bpv.optim.SGD(net, s["lr"], momentum=s.get("momentum", 0.0)))
    state.train(7)
    for _ in range(7):
        opt.step(net.trace(state.X, state.trainer.Y, "bce", l1=l1, l2=l2))
    assert all(np.array_equal(v, state.net.state_dict()[k]) for k, v in net.state_dict().items())
    _same_state(opt.state_dict(), state.trainer.optim.state_dict())
    # the trace the state shows is the optimizer's next update, from its current state
    t = state.trace
    assert t.update_kind == kind and (t.l1, t.l2) == (l1, l2)
    if kind != "sgd":  # (plain SGD keeps no state: its trace is the lr trace of the seed)
        assert t.optimizer_version is state.trainer.optim.version
    if kind != "sgd":
        slot = "m W1" if kind == "adam" else "v W1"
        assert t[slot] is state.trainer.optim.state[slot]
    # the curve records the data loss: train and test comparable whatever the penalty
    assert state.trainer.curve.train_loss[-1] == pytest.approx(t.data_loss, rel=1e-12)


@pytest.mark.parametrize("kind", SETTINGS)
def test_the_stepper_step_applies_exactly_the_update_it_shows(kind):
    state = _state(kind, 0.001, 0.002, batch_size=None)
    state.train(2)
    shown = state.trace
    state.sgd_step()
    after = state.net.state_dict()
    assert all(np.array_equal(after[f"layer{l}.{w}"], shown[f"new {k}{l}"])
               for l in (1, 2) for k, w in (("W", "weight"), ("B", "bias")))
    if kind == "adam":
        assert state.trainer.optim.t == 3 and state.trainer.optim.state["m W1"] is shown["new m W1"]


# ------------------------------------------------------------------ undo, reset, save, load

@pytest.mark.parametrize("kind", SETTINGS)
@pytest.mark.parametrize("l1,l2", PENALTIES)
def test_undo_reset_save_and_load_carry_the_optimizer_state_exactly(kind, l1, l2):
    a = _state(kind, l1, l2)
    a.train(13)  # minibatches of 8 from 45 rows: ends mid-epoch
    saved_text = a.to_json()
    states = [a.trainer.optim.state_dict()]
    a.train(5)
    b = _other_state()
    b.load_json(saved_text)
    assert b.to_json() == saved_text
    assert (b.optimizer, b.l1, b.l2, b.momentum, b.betas, b.eps) == (a.optimizer, l1, l2, a.momentum,
                                                                    a.betas, a.eps)
    _same_state(b.trainer.optim.state_dict(), states[0])
    b.train(5)
    assert b.to_json() == a.to_json()
    _same_state(b.trainer.optim.state_dict(), a.trainer.optim.state_dict())
    # undo: back step by step, the optimizer's state too, to the loaded point and beyond
    for _ in range(5):
        assert a.undo() and b.undo()
        assert a.to_json() == b.to_json()
    _same_state(a.trainer.optim.state_dict(), states[0])
    assert a.to_json() == saved_text
    while a.undo():
        assert b.undo()
    assert a.trainer.steps == 0
    fresh = _state(kind, l1, l2)
    _same_state(a.trainer.optim.state_dict(), fresh.trainer.optim.state_dict())
    assert a.to_json() == b.to_json()
    # reset: the starting weights and a fresh optimizer state, and the same run again
    b.reset()
    assert b.to_json() == fresh.to_json()
    b.train(4), fresh.train(4)
    assert b.to_json() == fresh.to_json()


@pytest.mark.parametrize("kind", ["momentum", "adam"])
def test_a_diverged_run_round_trips_with_inf_and_nan_in_the_optimizer_state(kind):
    X, Y = bpv.datasets.xor()
    net = bpv.MLP([2, 3, 1], "identity", seed=0)
    if kind == "adam":  # Adam's steps are about lr: only huge gradients overflow (in g²)
        net.load_state_dict({k: v * 1e80 for k, v in net.state_dict().items()})
    state = ExplorerState(net, X, Y, lr=1e3, optimizer=kind, l2=1.0, batch_size=2)
    for _ in range(40):
        state.train(10)
    moments = state.trainer.optim.state_dict()
    assert not all(np.isfinite(v).all() for k, v in moments.items() if k != "t")
    text = state.to_json()
    copy = _other_state()
    copy.load_json(text)
    assert copy.to_json() == text
    while state.undo():
        assert copy.undo()
        assert copy.to_json() == state.to_json()


def test_a_version_2_file_loads_as_plain_sgd_without_a_penalty():
    a = _state("sgd")
    a.train(5)
    d = json.loads(a.to_json())
    for key in ("optimizer", "l1", "l2", "optimizer_state"):
        del d["training"][key]
    del d["training"]["history"]["optimizer"]
    d["version"] = 2
    b = _state("adam", 0.1, 0.1)
    b.load_json(json.dumps(d))
    assert (b.optimizer, b.l1, b.l2) == ("sgd", 0.0, 0.0)
    assert b.to_json() == a.to_json()


# ------------------------------------------------------------------ changing settings

def test_configure_changes_the_settings_atomically_and_keeps_the_run():
    state = _state("sgd")
    state.train(4)
    weights, curve = state.net.state_dict(), state.trainer.curve.train_loss.copy()
    state.configure(l1=0.01, l2=0.02, lr=0.1)
    assert (state.l1, state.l2, state.lr) == (0.01, 0.02, 0.1) and len(state.trainer.history) == 4
    assert "penalty" in state.trace and state.trace.loss > state.trace.data_loss
    # another optimizer: a fresh state, weights and curve kept, undo cannot cross the switch
    state.configure(optimizer="adam")
    assert state.optimizer == "adam" and state.trainer.optim.t == 0 and not state.trainer.history
    assert all(np.array_equal(v, state.net.state_dict()[k]) for k, v in weights.items())
    assert np.array_equal(state.trainer.curve.train_loss, curve) and state.trainer.steps == 4
    assert state.trace.update_kind == "adam" and state.trace["t"] == 1
    state.train(2)
    assert state.trainer.optim.t == 2
    # new settings of the same optimizer keep its state and the history
    state.configure(betas=(0.5, 0.9), eps=1e-6)
    assert state.trainer.optim.t == 2 and len(state.trainer.history) == 2
    assert state.trace.rule.betas == (0.5, 0.9) and state.trace["bc1"] == 1 - 0.5 ** 3
    # a new loss: the counters start over, the optimizer and penalty settings stay
    state.configure(loss="mse")
    assert (state.optimizer, state.l1, state.betas) == ("adam", 0.01, (0.5, 0.9))
    assert state.trainer.steps == 0 and state.trainer.optim.t == 0


BAD = [
    (dict(optimizer="rmsprop"), ValueError, "optimizer must be one of"),
    (dict(optimizer=None), ValueError, "optimizer must be one of"),
    (dict(momentum=-0.5), ValueError, "momentum must be"),
    (dict(momentum=0), ValueError, "momentum must be"),
    (dict(betas=(1.0, 0.9)), ValueError, r"betas\[0\] must be in \[0, 1\)"),
    (dict(betas=(0.9, -0.1)), ValueError, r"betas\[1\] must be in \[0, 1\)"),
    (dict(betas=(0.9, float("nan"))), ValueError, r"betas\[1\]"),
    (dict(betas=(0.9,)), TypeError, "betas must be a pair"),
    (dict(eps=0.0), ValueError, "eps must be"),
    (dict(eps=-1e-8), ValueError, "eps must be"),
    (dict(l1=-0.1), ValueError, "l1 must be a finite number of at least 0"),
    (dict(l1=float("nan")), ValueError, "l1 must be"),
    (dict(l2=float("inf")), ValueError, "l2 must be"),
    (dict(l2="0.1"), TypeError, "l2 must be a real number"),
    (dict(lr=0.3, l1=-1.0), ValueError, "l1 must be"),
    (dict(optimizer="adam", betas=(2, 0.9)), ValueError, r"betas\[0\]"),
    (dict(loss="mse", l2=-1), ValueError, "l2 must be"),
    (dict(optimizer="momentum", momentum=-1), ValueError, "momentum must be"),
]


@pytest.mark.parametrize("changes,error,match", BAD, ids=[str(b[0]) for b in BAD])
@pytest.mark.parametrize("kind", SETTINGS)
def test_bad_settings_are_refused_naming_the_argument_and_nothing_changes(kind, changes, error, match):
    state = _state(kind, 0.001, 0.0)
    state.train(3)
    before, rev, trace = state.to_json(), state.revision, state.trace
    optim = state.trainer.optim
    with pytest.raises(error, match=match):
        state.configure(**changes)
    assert state.to_json() == before and state.revision == rev and state.trace is trace
    assert state.trainer.optim is optim
    if kind != "sgd":
        assert state.trace.optimizer_version is optim.version


def test_bad_engine_input_is_refused_naming_the_argument():
    net = bpv.MLP([2, 3, 1], "tanh", seed=0)
    X, Y = bpv.datasets.xor()
    before = net.state_dict()
    for kw, match in [(dict(l1=-1), "l1 must be"), (dict(l2=math.nan), "l2 must be"),
                      (dict(l1=math.inf), "l1 must be"), (dict(l2=-1e-9), "l2 must be")]:
        with pytest.raises(ValueError, match=match):
            net.trace(X, Y, **kw)
    with pytest.raises(TypeError, match="l1 must be a real number"):
        net.trace(X, Y, l1=None)
    for make, match in [(lambda: bpv.optim.SGD(net, lr=0), "lr must be"),
                        (lambda: bpv.optim.SGD(net, lr=-1), "lr must be"),
                        (lambda: bpv.optim.SGD(net, lr=0.1, momentum=-0.1), "momentum must be"),
                        (lambda: bpv.optim.Adam(net, lr=0.0), "lr must be"),
                        (lambda: bpv.optim.Adam(net, betas=(0.9, 1.0)), r"betas\[1\] must be in \[0, 1\)"),
                        (lambda: bpv.optim.Adam(net, betas=(-0.1, 0.9)), r"betas\[0\]"),
                        (lambda: bpv.optim.Adam(net, eps=0.0), "eps must be"),
                        (lambda: bpv.optim.Adam(net, eps=-1.0), "eps must be")]:
        with pytest.raises(ValueError, match=match):
            make()
    opt = bpv.optim.Adam(net, lr=0.01)
    with pytest.raises(ValueError, match=r"betas\[0\]"):
        opt.betas = (1.5, 0.9)
    with pytest.raises(ValueError, match="eps must be"):
        opt.eps = 0
    assert opt.betas == (0.9, 0.999) and opt.eps == 1e-8
    with pytest.raises(ValueError, match="give lr or optimizer, not both"):
        net.trace(X, Y, lr=0.1, optimizer=opt)
    with pytest.raises(ValueError, match="built on this net"):
        net.copy().trace(X, Y, optimizer=opt)
    with pytest.raises(TypeError, match="optimizer must be a bpv.optim"):
        net.trace(X, Y, optimizer="adam")
    with pytest.raises(TypeError, match="trace must be a Trace"):
        opt.step({"W1": 0})
    assert all(np.array_equal(v, net.state_dict()[k]) for k, v in before.items()) and opt.t == 0
    with pytest.raises(ValueError, match="exactly the keys"):
        opt.load_state_dict({"t": 1})
    with pytest.raises(ValueError, match="must have shape"):
        opt.load_state_dict({**opt.state_dict(), "m W1": np.zeros(3)})
    assert opt.t == 0
    tr = Trainer(net, X, Y, lr=0.1, l2=0.1)
    with pytest.raises(ValueError, match="the trainer's penalty"):
        tr.step(net.trace(X, Y, lr=0.1))
    assert tr.steps == 0


# ------------------------------------------------------------------ the save file refuses bad fields

def _refused(d, pattern):
    text = json.dumps(d)
    with pytest.raises(BadState, match=pattern):
        serialize.loads(text)
    state = _other_state()
    before, rev = state.to_json(), state.revision
    with pytest.raises(BadState, match=pattern):
        state.load_json(text)
    assert state.to_json() == before and state.revision == rev


def _hexed(x):
    return float(x).hex()


MUTATIONS = [
    ("name", lambda tr: tr["optimizer"].update(name="rmsprop"), r"training\.optimizer\.name must be one of"),
    ("keys", lambda tr: tr["optimizer"].pop("eps"), r"training\.optimizer must be an object"),
    ("momentum", lambda tr: tr["optimizer"].update(momentum=_hexed(-1)), r"training\.optimizer\.momentum"),
    ("momentum text", lambda tr: tr["optimizer"].update(momentum=0.9), r"training\.optimizer\.momentum must be a float"),
    ("beta", lambda tr: tr["optimizer"]["betas"].__setitem__(1, _hexed(1.0)), r"training\.optimizer\.betas\[1\] must be a number in \[0, 1\)"),
    ("betas length", lambda tr: tr["optimizer"]["betas"].pop(), r"training\.optimizer\.betas must be a list of 2"),
    ("eps", lambda tr: tr["optimizer"].update(eps=_hexed(0.0)), r"training\.optimizer\.eps must be a finite number greater than 0"),
    ("l1", lambda tr: tr.update(l1=_hexed(-0.5)), r"training\.l1 must be a finite number of at least 0"),
    ("l2 nan", lambda tr: tr.update(l2=_hexed(math.nan)), r"training\.l2 must be"),
    ("l2 missing", lambda tr: tr.pop("l2"), r"training\.l2 is missing"),
    ("state keys", lambda tr: tr["optimizer_state"]["arrays"].pop("m W1"), r"training\.optimizer_state\.arrays must be an object with exactly the keys"),
    ("state shape", lambda tr: tr["optimizer_state"]["arrays"].update(
        {"v B2": serialize.array_to_json(np.zeros(3))}), r"training\.optimizer_state\.arrays\.v B2\.shape must be \[1\]"),
    ("state t", lambda tr: tr["optimizer_state"].update(t=10_000), r"training\.optimizer_state\.t must be a whole number from 0 to 13"),
    ("state t bool", lambda tr: tr["optimizer_state"].update(t=True), r"training\.optimizer_state\.t must be a whole number"),
    ("state missing", lambda tr: tr.pop("optimizer_state"), r"training\.optimizer_state is missing"),
    ("history t", lambda tr: tr["history"]["optimizer"]["t"].pop(), r"training\.history\.optimizer\.t must be a list of 13"),
    ("history t value", lambda tr: tr["history"]["optimizer"]["t"].__setitem__(0, -1), r"training\.history\.optimizer\.t\[0\] must be a whole number"),
    ("history arrays", lambda tr: tr["history"]["optimizer"]["arrays"].update(
        {"m W1": serialize.array_to_json(np.zeros((12, 4, 2)))}), r"training\.history\.optimizer\.arrays\.m W1\.shape must be \[13, 4, 2\]"),
    ("history missing", lambda tr: tr["history"].pop("optimizer"), r"training\.history\.optimizer is missing"),
    ("history base64", lambda tr: tr["history"]["optimizer"]["arrays"]["v W2"].update(base64="!!"), r"training\.history\.optimizer\.arrays\.v W2\.base64"),
]


@pytest.mark.parametrize("name,mutate,pattern", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_malformed_optimizer_field_is_refused_naming_it(name, mutate, pattern):
    state = _state("adam", 0.001, 0.002)
    state.train(13)
    d = json.loads(state.to_json())
    mutate(d["training"])
    _refused(d, pattern)


def test_a_momentum_file_must_hold_velocities_not_moments():
    state = _state("momentum")
    state.train(3)
    d = json.loads(state.to_json())
    assert sorted(d["training"]["optimizer_state"]["arrays"]) == ["v B1", "v B2", "v W1", "v W2"]
    d["training"]["optimizer"]["name"] = "adam"
    _refused(d, r"training\.optimizer_state must be an object with the keys \['arrays', 't'\]")


# ------------------------------------------------------------------ the landscape includes the penalty

def test_the_landscape_is_of_the_penalised_loss():
    from backpropviz.engine.landscape import loss_slice

    state = _state("sgd", 0.01, 0.05)
    s = loss_slice(state.net, state.X, state.trainer.Y, "bce", ("layer1.weight", (0, 1)),
                   ("layer2.bias", (0,)), span=0.5, resolution=5, l1=0.01, l2=0.05)
    assert s.loss[2, 2] == pytest.approx(state.trace.loss, rel=1e-12)
    assert s.gradient == (state.trace["dL/dW1"][0, 1], state.trace["dL/dB2"][0])
    moved = state.net.state_dict()
    moved["layer1.weight"][0, 1] = s.a_values[4]
    net = state.net.copy()
    net.load_state_dict(moved)
    assert s.loss[2, 4] == pytest.approx(net.trace(state.X, state.trainer.Y, "bce", l1=0.01, l2=0.05).loss,
                                         rel=1e-12)


# ------------------------------------------------------------------ the playground's controls

def test_the_training_panel_picks_the_optimizer_and_the_penalty_and_equals_torch():
    torch = pytest.importorskip("torch")
    from test_torch_equality import torch_net

    state = _state("sgd", batch_size=None)
    panel = TrainingControls(state)
    model = torch_net(state.net)
    panel.lr.value = 0.02
    panel.optimizer.value = "adam"
    panel.l2.value = 0.01
    panel.l1.value = 0.002
    assert (state.optimizer, state.lr, state.l1, state.l2) == ("adam", 0.02, 0.002, 0.01)
    assert not panel.error.value and "penalty" in panel.counter.value and "Adam" in panel.what.value
    topt = torch.optim.Adam(model.parameters(), lr=0.02)
    X, Y = torch.from_numpy(np.array(state.X)), torch.from_numpy(np.array(state.trainer.Y))
    for _ in range(5):
        panel.step_button.click()
        topt.zero_grad()
        L = torch.nn.BCELoss()(model(X), Y)
        for m in model:
            if isinstance(m, torch.nn.Linear):
                L = L + 0.002 * m.weight.abs().sum() + 0.01 * (m.weight ** 2).sum()
        L.backward()
        topt.step()
    assert state.trainer.optim.t == 5 and not panel.error.value
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for l, lin in enumerate(linears, 1):
        np.testing.assert_allclose(state.net.state_dict()[f"layer{l}.weight"], lin.weight.detach().numpy(),
                                   rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(state.trainer.optim.state_dict()[f"m W{l}"],
                                   topt.state[lin.weight]["exp_avg"].numpy(), rtol=1e-10, atol=1e-15)
    # Undo takes the optimizer back too; Reset clears it
    panel.undo_button.click()
    assert state.trainer.optim.t == 4
    panel.reset_button.click()
    assert state.trainer.optim.t == 0 and panel.optimizer.value == "adam"


@pytest.mark.parametrize("box,value,match", [("l1", -0.5, "l1 must be"), ("l2", math.nan, "l2 must be"),
                                             ("l2", math.inf, "l2 must be")])
def test_a_refused_penalty_is_shown_and_put_back(box, value, match):
    state = _state("momentum", 0.001, 0.002)
    panel = TrainingControls(state)
    before, rev = state.to_json(), state.revision
    getattr(panel, box).value = value
    assert match in panel.error.value
    assert getattr(panel, box).value == getattr(state, box) and state.to_json() == before
    assert state.revision == rev


def test_the_panel_follows_a_state_changed_elsewhere():
    state = _state("sgd")
    panel = TrainingControls(state)
    state.configure(optimizer="momentum", l1=0.004)
    assert (panel.optimizer.value, panel.l1.value) == ("momentum", 0.004)
    other = _state("adam", 0.0, 0.03)
    state.load_json(other.to_json())
    assert (panel.optimizer.value, panel.l1.value, panel.l2.value) == ("adam", 0.0, 0.03)


@pytest.mark.parametrize("kind", ["momentum", "adam"])
def test_the_stepper_shows_every_new_step_with_its_numbers(kind):
    state = _state(kind, 0.001, 0.002, batch_size=None)
    state.train(2)
    stepper = ChainRuleStepper(state)
    names = []
    for step in state.trace.steps:
        state.step = step.index
        text = stepper.text()
        assert step.text in text, step.name
        if step.phase == "update" or step.op in ("penalty", "penalty_grad", "add"):
            names.append(step.name)
            html = stepper.numbers.value
            for operand in step.operands:
                assert operand.replace("/", "") in html.replace("/", ""), (step.name, operand)
    update = {"momentum": ["new v W1", "new W1"], "adam": ["bc1", "bc2", "new m W1", "new v W1",
                                                           "mhat W1", "vhat W1", "new W1"]}[kind]
    assert set(update) | {"penalty", "loss", "dL/dW1 (penalty)", "dL/dW1"} <= set(names)
    state.step = state.trace.step("new W1").index
    title = stepper.title.value
    assert ("Adam update" if kind == "adam" else "momentum update") in title
