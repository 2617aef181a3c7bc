"""What a class throws at the state: nothing half-done, nothing stale, nothing absurd.

One regression test per thing seen (issue 8), each failing on the code before it.
pytest runs with warnings as errors, so every test here also proves that no NumPy
or matplotlib warning reaches the notebook.
"""

import re

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.engine import limits
from backpropviz.engine.training import Trainer
from backpropviz.widgets import Explorer, ExplorerState, LandscapePanel, TrainingControls, WeightSliders


@pytest.fixture
def xor_state():
    X, Y = bpv.datasets.xor()
    return ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=0.75)


def fingerprint(state):
    """Everything observable about a state, as comparable values."""
    tr = state.trainer
    return (state.to_json(), state.revision, state.message, state.trace.loss,
            np.asarray(tr.curve.train_loss).tobytes(), len(tr.history), state.recovery_step)


# ---------------------------------------------------------------- 1. all or nothing

def test_a_run_that_fails_part_way_is_undone_whole(xor_state, monkeypatch):
    before = fingerprint(xor_state)
    net = xor_state.net
    real = net.trace
    calls = []

    def fails_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise ValueError("a failure in the middle of a run")
        return real(*args, **kwargs)

    monkeypatch.setattr(net, "trace", fails_on_the_third)
    with pytest.raises(ValueError, match="in the middle of a run"):
        xor_state.train(50)
    monkeypatch.setattr(net, "trace", real)
    assert len(calls) == 3  # two steps were applied before the failure...
    assert fingerprint(xor_state) == before  # ...and are undone with it
    xor_state.set_parameter("layer2.bias", (0,), 0.5)  # and the state still works
    assert xor_state.net.state_dict()["layer2.bias"][0] == 0.5


def test_bce_on_a_relu_output_is_refused_before_training_starts():
    X, Y = bpv.datasets.xor()
    with pytest.raises(ValueError, match="needs a Sigmoid output layer"):
        ExplorerState(bpv.MLP([2, 3, 1], "relu", seed=0), X, Y, loss="bce", lr=2.0)
    with pytest.raises(ValueError, match="needs a Sigmoid output layer"):
        Trainer(bpv.MLP([2, 3, 1], "relu", seed=0), X, Y, loss="bce")
    state = ExplorerState(bpv.MLP([2, 3, 1], ["relu", "sigmoid"], seed=0), X, Y, loss="bce", lr=2.0)
    before = fingerprint(state)
    with pytest.raises(ValueError, match="needs a Sigmoid output layer"):
        state.set_architecture([3], ["relu", "relu"], loss="bce")
    assert fingerprint(state) == before
    assert state.train(50) == 50 and np.isfinite(state.trace.loss)


def test_the_architecture_panel_refuses_a_relu_output_under_bce():
    X, Y = bpv.datasets.xor()
    e = Explorer(bpv.MLP([2, 3, 1], ["relu", "sigmoid"], seed=0), X, Y, loss="bce", lr=2.0)
    before = fingerprint(e.state)
    e.architecture.output_act.value = "relu"
    assert "needs a Sigmoid output layer" in e.architecture.error.value
    assert e.architecture.output_act.value == "sigmoid"  # the controls show the state's net again
    assert fingerprint(e.state) == before
    e.training.step_button.click()
    assert e.training.error.value == "" and e.state.trainer.steps == 1


def test_reset_that_fails_changes_nothing(xor_state, monkeypatch):
    xor_state.train(3)
    before = fingerprint(xor_state)

    def broken(*args, **kwargs):
        raise RuntimeError("no trace today")

    monkeypatch.setattr(xor_state.net, "trace", broken)
    with pytest.raises(RuntimeError):
        xor_state.reset()
    monkeypatch.undo()
    assert fingerprint(xor_state) == before
    assert xor_state.trainer.steps == 3 and xor_state.undo()


# ---------------------------------------------------------------- 2. one source for every number

def _entry_text(sliders, name, index):
    return sliders.slider(name, index).value


def test_every_panel_shows_the_current_trace_after_every_weight_change():
    X, Y = bpv.datasets.xor()
    e = Explorer(bpv.examples.seed_net(), X, Y, loss="mse", lr=0.75)
    rng = np.random.default_rng(0)
    for name, index in e.state.parameter_entries():
        value = round(float(rng.uniform(-1.5, 1.5)), 4)
        e.sliders.slider(name, index).value = value
        t = e.state.trace
        loss = f"{t.loss:.4g}"
        assert f"loss {loss}" in e.training.counter.value, (name, index)
        assert f"loss = {t.loss:.6g}" in e.sliders.loss_label.value
        acc = np.mean((t["H2"][:, 0] > 0.5) == (Y[:, 0] > 0.5))
        assert f"accuracy {100 * acc:.0f}%" in e.training.counter.value
        assert e.state.trainer.curve.train_loss[-1] == t.loss  # the curve ends at the same point
        for (n, i), slider in e.sliders.sliders.items():
            assert slider.value == t.parameters()[n][i]
        right = int(np.sum((t["H2"][:, 0] > 0.5) == (Y[:, 0] > 0.5)))
        assert f"training rows: {right} of 4 right" in e.boundary.summary.value


def test_the_training_panel_follows_a_weight_set_from_code(xor_state):
    panel = TrainingControls(xor_state)
    xor_state.set_parameter("layer2.bias", (0,), 2.0)
    assert f"loss {xor_state.trace.loss:.4g}" in panel.counter.value
    assert "2.399" in panel.counter.value and "0.2631" not in panel.counter.value


def test_test_numbers_follow_the_weights_too():
    X, Y = bpv.datasets.moons(n=80, noise=0.2, seed=1)
    Xtr, Ytr, Xte, Yte = bpv.datasets.train_test_split(X, Y, 0.25, seed=1)
    state = ExplorerState(bpv.MLP([2, 4, 1], ["tanh", "sigmoid"], seed=0), Xtr, Ytr,
                          loss="bce", lr=0.5, X_test=Xte, Y_test=Yte)
    state.set_parameter("layer2.bias", (0,), 3.0)
    loss = bpv.engine.get_loss("bce")
    expected = float(loss.forward(state.net.forward(Xte), Yte.astype(float), {}))
    assert state.trainer.curve.test_loss[-1] == expected


# ---------------------------------------------------------------- 3. read-only, unaliased snapshots

def test_no_array_of_a_trace_can_be_written_or_shares_memory():
    X, Y = bpv.datasets.xor()
    for act in ("identity", "relu", "tanh", "sigmoid", bpv.LeakyReLU(0.5)):
        for loss, out in (("mse", 1), ("bce", 1), ("cross_entropy", 2)):
            acts = [act, "sigmoid" if loss == "bce" else act]
            net = bpv.MLP([2, 3, out], acts, seed=1)
            y = Y[:, 0].astype(int) if loss == "cross_entropy" else Y
            t = net.trace(X, y, loss=loss, lr=0.5)
            arrays = {k: v for k, v in t.items() if isinstance(v, np.ndarray)}
            for k, v in arrays.items():
                with pytest.raises(ValueError, match="read-only"):
                    v[(0,) * v.ndim] = 99.0
            keys = list(arrays)
            for i, a in enumerate(keys):
                for b in keys[i + 1:]:
                    assert not np.shares_memory(arrays[a], arrays[b]), (act, loss, a, b)


def test_the_state_hands_out_nothing_that_changes_it(xor_state):
    before = fingerprint(xor_state)
    for arr in (xor_state.X, xor_state.Y, xor_state.trainer.X, xor_state.trainer.Y,
                xor_state.trainer.curve.train_loss):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 10
    xor_state.net.state_dict()["layer1.weight"][0, 0] = 99
    xor_state.initial_state["layer1.weight"][0, 0] = 99
    X = np.array(xor_state.X)
    X[0, 0] = 10
    assert fingerprint(xor_state) == before


def test_a_written_trace_cannot_reach_the_weights(seed_net, xor):
    t = seed_net.trace(*xor, loss="mse", lr=0.75)
    with pytest.raises(ValueError, match="read-only"):
        t["new W1"][0, 0] = 99
    seed_net.sgd_step(t)
    assert seed_net.state_dict()["layer1.weight"][0, 0] != 99


def test_weights_handed_out_after_training_steps_are_read_only(seed_net, xor):
    # a step installs its new arrays unfrozen (it is cheaper); they are frozen
    # on every way out of the net
    X, Y = xor
    # (each way out checked after a fresh step, before another hands the arrays out)
    seed_net.sgd_step(seed_net.trace(X, Y, loss="mse"), lr=0.5)
    with pytest.raises(ValueError, match="read-only"):
        seed_net.layers()[0][0][0] = 99.0
    seed_net.sgd_step(seed_net.trace(X, Y, loss="mse", lr=0.5))
    with pytest.raises(ValueError, match="read-only"):
        seed_net.snapshot()[1][1][0] = 99.0
    seed_net.sgd_step(seed_net.trace(X, Y, loss="mse", lr=0.5))
    traced = seed_net.trace(X, Y, loss="mse")
    with pytest.raises(ValueError, match="read-only"):
        traced["W2"][0] = 99.0
    assert np.array_equal(seed_net.forward(X), traced["H2"])


# ---------------------------------------------------------------- 4. targets understood, or refused

def test_regression_targets_under_mse_stay_regression(xor_state):
    X = xor_state.X
    xor_state.set_data(X, [[0], [10], [20], [30]])
    assert xor_state.loss == "mse" and xor_state.net.sizes == (2, 2, 1)
    assert np.array_equal(xor_state.trace["Y"][:, 0], [0, 10, 20, 30])


def test_the_data_panel_asks_for_classes_and_gets_them():
    X, Y = bpv.datasets.moons(n=60, seed=0)
    e = Explorer(bpv.MLP([2, 4, 1], ["tanh", "sigmoid"], seed=0), X, Y, loss="bce", lr=0.5)
    e.data.dataset.value = "blobs"
    assert e.state.loss == "cross_entropy" and e.state.net.sizes[-1] == 3


@pytest.mark.parametrize("labels, match", [
    ([[0], [1], [2], [2e8]], "at most 20 classes"),
    ([[0], [1], [2], [1e20]], "at most 20 classes"),
    ([[0], [1], [2.5], [1]], "class labels 0, 1, 2"),
])
def test_too_many_or_odd_classes_are_refused_by_name(xor_state, labels, match):
    before = fingerprint(xor_state)
    with pytest.raises(ValueError, match=match):
        xor_state.set_data(xor_state.X, labels, classes=3)
    with pytest.raises(ValueError, match="Y must"):
        xor_state.set_data(xor_state.X, labels, classes=3)
    assert fingerprint(xor_state) == before


def test_cross_entropy_labels_far_out_of_range_are_refused_quietly(seed_net, xor):
    net = bpv.MLP([2, 2, 3], "identity", seed=0)
    with pytest.raises(ValueError, match="class labels must be whole numbers in 0..2"):
        net.trace(xor[0], np.array([0, 1, 2, 1e20]), loss="cross_entropy")


@pytest.mark.parametrize("Y, error, match", [
    ([["a"], ["b"], ["a"], ["b"]], TypeError, "Y must be array-like of real numbers"),
    (np.array([[0j], [1], [1], [0]]), TypeError, "Y must be array-like of real numbers"),
    (None, TypeError, "Y must be an array"),
])
def test_bad_targets_name_Y(xor_state, Y, error, match):
    before = fingerprint(xor_state)
    with pytest.raises(error, match=match):
        xor_state.set_data(xor_state.X, Y)
    assert fingerprint(xor_state) == before


def test_a_bad_source_is_refused_before_the_data_changes(xor_state):
    X2, Y2 = bpv.datasets.moons(n=20, seed=0)
    before = fingerprint(xor_state)
    with pytest.raises(TypeError, match="source must be a dict"):
        xor_state.set_data(X2, Y2, source=5)
    assert fingerprint(xor_state) == before
    xor_state.set_data(X2, Y2, source={"name": "moons", "n": np.int64(20), "noise": np.float64(0.1)})
    assert xor_state.data_source == {"name": "moons", "n": 20, "noise": 0.1}
    assert '"n":20' in xor_state.to_json()


# ---------------------------------------------------------------- 6. limits before allocating

@pytest.mark.parametrize("make, match", [
    (lambda: bpv.MLP([2, 20000, 20000, 1]), r"sizes\[1\] must be at most 1,024 units"),
    (lambda: bpv.MLP([2] + [1000] * 5 + [1]), "at most 200,000 weights and biases"),
    (lambda: bpv.MLP([2] * 40), "at most 16 weight layers"),
    (lambda: bpv.MLP([2] * 10**7), "at most 16 weight layers"),
    (lambda: bpv.datasets.moons(n=10**9), "n must be at most 100,000 rows"),
    (lambda: bpv.engine.grid.GridEvaluator((0, 1), (0, 1), resolution=10**5), "at most 400"),
])
def test_sizes_beyond_the_caps_are_refused_by_name(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_too_many_rows_are_refused_before_any_pass(seed_net):
    X = np.zeros((limits.MAX_ROWS + 1, 2))
    with pytest.raises(ValueError, match="X \\(rows\\) must be at most 100,000 rows"):
        seed_net.forward(X)


@pytest.mark.parametrize("lr", [10**400, 1e6, 1e-9, float("inf")])
def test_learning_rates_outside_the_box_are_refused(xor_state, lr):
    before = fingerprint(xor_state)
    with pytest.raises(ValueError, match="lr must be"):
        xor_state.configure(lr=lr)
    assert fingerprint(xor_state) == before


def test_a_run_cannot_pass_the_step_cap(xor_state, monkeypatch):
    monkeypatch.setattr(bpv.engine.training, "MAX_STEPS", 5)
    xor_state.train(4)
    before = fingerprint(xor_state)
    with pytest.raises(ValueError, match="steps must be at most 5"):
        xor_state.train(2)
    assert fingerprint(xor_state) == before
    assert xor_state.train(1) == 1


def test_the_curve_draws_a_bounded_number_of_points():
    from backpropviz.drawing.curves import MAX_POINTS, loss_curve_svg
    from backpropviz.engine.training import Curve

    n = 1_000_001
    losses = np.linspace(1, 0, n)
    losses[700_000] = np.inf
    svg = loss_curve_svg(Curve.from_arrays(losses, np.zeros(n)))
    points = re.search(r'class="bpv-train"[^>]*points="([^"]*)"', svg).group(1).split()
    assert len(points) <= MAX_POINTS
    assert "train loss not finite from step 700000" in svg
    assert "step 1000000" in svg


# ---------------------------------------------------------------- 7. quiet

def test_huge_inputs_warn_nothing_and_every_panel_copes():
    X = np.array([[0.0, 0.0], [1e308, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    e = Explorer(bpv.MLP([2, 3, 1], "tanh", seed=0), X, Y, loss="mse", lr=0.1)
    e.training.step_button.click()
    for panel in (e.stepper, e.diagram, e.boundary, e.sliders, e.drilldown, e.training):
        assert panel.error.value == "", type(panel).__name__


def test_the_landscape_at_a_huge_learning_rate_says_so_in_words():
    X, Y = bpv.datasets.xor()
    state = ExplorerState(bpv.MLP([2, 3, 1], "identity", seed=0), X, Y, lr=1000)
    panel = LandscapePanel(state)
    state.train(20)
    assert state.trainer.diverged
    assert panel.error.value == ""
    assert "Undo or Reset" in panel.note.value and panel.svg.layout.display == "none"
    state.undo()
    state.reset()
    assert panel.error.value == "" and panel.note.value == "" and panel.svg.layout.display == ""


# ---------------------------------------------------------------- 8. widgets show the true value

def test_a_huge_weight_is_shown_as_it_is(xor_state):
    sliders = WeightSliders(xor_state)
    xor_state.set_parameter("layer2.bias", (0,), 1e7)
    slider = sliders.slider("layer2.bias", (0,))
    assert slider.value == 1e7 and slider.max >= 1e7
    xor_state.set_parameter("layer2.bias", (0,), -3e300)
    assert slider.value == -3e300 and slider.min <= -3e300


def test_a_diverged_weight_is_shown_in_words_not_as_a_stale_number():
    X, Y = bpv.datasets.xor()
    state = ExplorerState(bpv.MLP([2, 3, 1], "identity", seed=0), X, Y, lr=1000)
    sliders = WeightSliders(state)
    state.train(400, )
    params = state.trace.parameters()
    for (name, index), slider in sliders.sliders.items():
        value = float(params[name][index])
        if np.isfinite(value):
            assert slider.value == value and not slider.disabled
        else:
            assert slider.disabled and f"weight = {value}" in sliders.gradient(name, index)


def test_the_learning_rate_box_shows_the_state(xor_state):
    panel = TrainingControls(xor_state)
    xor_state.configure(lr=1000)
    assert panel.lr.value == 1000 == xor_state.lr
    panel.lr.value = 2e-6
    assert xor_state.lr == 2e-6


# ---------------------------------------------------------------- advice that works

def test_the_suggested_learning_rate_works_and_back_to_before_it_blew_up_is_below_the_start():
    X, Y = bpv.datasets.xor()
    for lr, net in ((50.0, bpv.examples.seed_net()), (1.0, bpv.examples.seed_net()),
                    (1000.0, bpv.MLP([2, 3, 1], "identity", seed=0))):
        state = ExplorerState(net, X, Y, loss="mse", lr=lr)
        state.train(2000)
        assert state.trainer.diverged, lr
        start_loss = state.trainer.curve.train_loss[0]
        message = state.message
        named = re.search(r"learning rate ([0-9.e+-]+) trains", message)
        target = state.recovery_step
        assert target is not None
        assert state.recover()
        assert state.trainer.steps == target and state.trace.loss <= start_loss
        if named:  # the named rate, from there on a copy: finite and falling
            trial = Trainer(state.net.copy(), X, Y, loss="mse", lr=float(named.group(1)))
            trial.run(200)
            losses = trial.curve.train_loss
            assert np.all(np.isfinite(losses)) and losses[-1] < losses[0], (lr, message)


def test_a_file_whose_curve_disagrees_with_its_weights_loads_with_the_curve_at_the_weights(xor_state):
    import json

    from backpropviz.engine.serialize import array_from_json, array_to_json

    xor_state.train(3)
    d = json.loads(xor_state.to_json())
    w = array_from_json(d["parameters"]["layer2.bias"], "w").copy()
    w[0] = 5.0  # a hand-edited weight: the saved curve no longer ends at its loss
    d["parameters"]["layer2.bias"] = array_to_json(w)
    xor_state.load_json(json.dumps(d))
    assert xor_state.net.state_dict()["layer2.bias"][0] == 5.0
    assert xor_state.trainer.curve.train_loss[-1] == xor_state.trace.loss
    assert len(xor_state.trainer.curve) == 4


def test_the_engines_own_views_of_a_trace_are_read_only_too(seed_net, xor):
    t = seed_net.trace(*xor, loss="mse", lr=0.75)
    for arrays in (*t.updated_arrays(), *t.gradient_arrays()):
        for arr in arrays:
            with pytest.raises(ValueError, match="read-only"):
                arr[0] = 99.0
    seed_net.sgd_step(t)
    assert np.array_equal(seed_net.state_dict()["layer1.weight"], t["new W1"])
