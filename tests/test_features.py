"""Input features (x1, x2, x1², x2², x1·x2, sin x1, sin x2): the table, the state,
the pictures over the plane, the toggles, saving, and the lesson they teach."""

import json
import re

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.engine.features import FEATURES, check_features, feature_matrix
from backpropviz.engine.grid import GridEvaluator
from backpropviz.engine.serialize import BadState
from backpropviz.widgets import ExplorerState
from backpropviz.widgets.boundary import BoundaryPanel
from backpropviz.widgets.diagram import MapDiagram
from backpropviz.widgets.features import FeatureControls

ALL = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")


def noisy_xor_state(features=("x1*x2",), hidden=(), n=120, test=True):
    X, Y = bpv.datasets.make("xor_quadrants", n=n, noise=0.05, seed=0)
    Xtr, Ytr, Xte, Yte = bpv.datasets.train_test_split(X, Y, 0.25, seed=0) if test else (X, Y, 0, 0)
    k = len(features) if features else 2
    net = bpv.MLP([k, *hidden, 1], ["tanh"] * len(hidden) + ["sigmoid"], seed=1)
    return ExplorerState(net, Xtr, Ytr, loss="bce", lr=1.0, features=features,
                         **({"X_test": Xte, "Y_test": Yte} if test else {}))


def fingerprint(state):
    return state.to_json(), state.revision, state.features


# ---------------------------------------------------------------- the table

def test_each_feature_is_its_formula_of_the_point():
    rng = np.random.default_rng(0)
    pts = rng.uniform(-3, 3, size=(50, 2))
    x1, x2 = pts[:, 0], pts[:, 1]
    expected = {"x1": x1, "x2": x2, "x1^2": x1 * x1, "x2^2": x2 * x2, "x1*x2": x1 * x2,
                "sin(x1)": np.sin(x1), "sin(x2)": np.sin(x2)}
    assert tuple(FEATURES) == ALL
    out = feature_matrix(pts, ALL)
    for k, name in enumerate(ALL):
        assert np.array_equal(out[:, k], expected[name]), name


def test_names_come_back_in_the_tables_order():
    assert check_features(["sin(x2)", "x1*x2", "x1"]) == ("x1", "x1*x2", "sin(x2)")


@pytest.mark.parametrize("bad,error,pattern", [
    (["x1", "x3"], ValueError, r"features\[1\] must be one of x1, x2, x1\^2, .* got 'x3'"),
    ([], ValueError, "features must name at least one feature"),
    (["x1", "x1"], ValueError, "features must name each feature once, got x1 more than once"),
    ("x1", TypeError, "features must be a list of feature names"),
    ([1], TypeError, r"features\[0\] must be a feature name \(a string\), got 1 \(int\)"),
])
def test_bad_names_are_refused_and_change_nothing(bad, error, pattern):
    with pytest.raises(error, match=pattern):
        check_features(bad)
    state = noisy_xor_state()
    before = fingerprint(state)
    with pytest.raises(error, match=pattern):
        state.set_features(bad)
    assert fingerprint(state) == before


# ---------------------------------------------------------------- the state

def test_features_give_the_net_one_input_each_and_x_is_their_columns():
    state = noisy_xor_state(features=None, hidden=(4,))
    points, points_test = state.points, state.points_test
    assert state.features is None and state.X is points and state.input_labels == ("x₁", "x₂")
    state.set_features(["x1", "x2", "x1*x2", "sin(x1)"])
    assert state.net.sizes == (4, 4, 1)
    assert [a.name for a in state.net.activations] == ["tanh", "sigmoid"]
    assert state.input_labels == ("x₁", "x₂", "x₁x₂", "sin x₁")
    assert np.array_equal(state.points, points) and np.array_equal(state.points_test, points_test)
    assert np.array_equal(state.X, feature_matrix(points, state.features))
    assert np.array_equal(state.X_test, feature_matrix(points_test, state.features))
    assert np.array_equal(state.trace["X"], state.X)
    assert state.trainer.steps == 0
    # the plane's own coordinates are the points themselves: no features
    state.set_features(["x2", "x1"])
    assert state.features is None and state.net.sizes == (2, 4, 1)
    assert np.array_equal(state.X, points)


def test_changing_features_starts_from_the_new_nets_own_weights_and_reset_returns_there():
    state = noisy_xor_state(features=("x1", "x2"), hidden=(3,))
    state.train(20)
    state.set_features(["x1^2", "x2^2"])
    start = state.net.state_dict()
    assert np.array_equal(start["layer1.weight"],
                          bpv.MLP([2, 3, 1], ["tanh", "sigmoid"], seed=1).state_dict()["layer1.weight"])
    state.train(10)
    state.reset()
    for k, v in start.items():
        assert np.array_equal(state.net.state_dict()[k], v)


def test_new_data_keeps_the_features_and_must_be_points_of_the_plane():
    state = noisy_xor_state(features=("x1*x2",))
    X, Y = bpv.datasets.make("circle", n=40, seed=3)
    state.set_data(X, Y)
    assert state.features == ("x1*x2",) and np.array_equal(state.points, X)
    assert np.array_equal(state.X[:, 0], X[:, 0] * X[:, 1])
    before = fingerprint(state)
    with pytest.raises(ValueError, match=r"X must have 2 columns \(x1 and x2: the features x1\*x2"):
        state.set_data(np.ones((5, 3)), np.zeros((5, 1)))
    assert fingerprint(state) == before


def test_a_regression_set_learns_through_features_too():
    X, Y = bpv.datasets.make("plane", n=60, seed=0)
    state = noisy_xor_state(features=("x1", "x2", "x1^2"))
    state.set_regression_data(X, Y)
    assert state.net.sizes == (3, 1) and state.net.activations[-1].name == "identity"
    assert np.array_equal(state.X[:, 2], X[:, 0] ** 2)


def test_data_that_is_not_a_plane_has_no_features():
    X = np.random.default_rng(0).normal(size=(10, 3))
    state = ExplorerState(bpv.MLP([3, 1], ["sigmoid"], seed=0), X, (X[:, :1] > 0) * 1.0, loss="bce")
    before = fingerprint(state)
    with pytest.raises(ValueError, match="features need points of a plane .* got X with 3 columns"):
        state.set_features(["x1"])
    assert fingerprint(state) == before
    with pytest.raises(ValueError, match=r"net must have one input per feature \(2: x1, x1\*x2\)"):
        ExplorerState(bpv.MLP([3, 1], ["sigmoid"]), X[:, :2], X[:, :1], features=["x1", "x1*x2"])


# ---------------------------------------------------------------- the lesson

def test_x1_times_x2_alone_separates_noisy_xor_with_no_hidden_layer():
    """What the README and notebook 09 say: one input x1·x2, no hidden layer, every row right;
    the same net on x1 and x2 stays near chance."""
    product = noisy_xor_state(features=("x1*x2",), test=False, n=200)
    plain = noisy_xor_state(features=None, test=False, n=200)
    for state in (product, plain):
        state.train(200)
    right = lambda s: float(np.mean((s.trace["H1"] > 0.5) == (s.Y > 0.5)))  # noqa: E731
    assert product.net.arch == "1-1" and right(product) == 1.0
    assert plain.net.arch == "2-1" and right(plain) < 0.65


def test_the_seeds_xor_is_linear_in_x1_x2_and_their_product():
    X, Y = bpv.datasets.xor()
    state = ExplorerState(bpv.MLP([3, 1], ["sigmoid"], seed=0), X, Y, loss="bce", lr=1.0,
                          features=["x1", "x2", "x1*x2"])
    state.train(1000)
    assert state.trace.loss < 0.03
    assert np.array_equal(state.trace["H1"].ravel() > 0.5, Y.ravel() > 0.5)


# ---------------------------------------------------------------- the pictures

def test_the_grid_feeds_each_point_through_the_features():
    state = noisy_xor_state(features=("x1", "x1*x2", "sin(x2)"), hidden=(3,))
    grid = GridEvaluator((-1, 1), (-1, 1), resolution=12)
    out = grid.evaluate(state.net, state.features)
    assert np.array_equal(grid.H[0], feature_matrix(grid.points, state.features))
    np.testing.assert_allclose(out, state.net.forward(feature_matrix(grid.points, state.features)),
                               rtol=1e-12)
    with pytest.raises(ValueError, match=r"needs a net with 2 inputs \(one per feature: x1, x2\)"):
        GridEvaluator((-1, 1), (-1, 1), 4).evaluate(bpv.MLP([3, 1], ["sigmoid"]), ("x1", "x2"))


def test_the_boundary_stays_over_the_plane_and_counts_mistakes_through_the_features():
    state = noisy_xor_state(features=("x1*x2",))
    panel = BoundaryPanel(state, resolution=30)
    state.train(200)
    frame = panel.frame
    assert frame is not None and panel.image.layout.display != "none"
    grid = panel.plot.grid
    lo, hi = state.points.min(axis=0), state.points.max(axis=0)
    assert grid.xlim[0] < lo[0] and grid.xlim[1] > hi[0] and grid.ylim[0] < lo[1]
    expected = state.net.forward(feature_matrix(grid.points, state.features))[:, 0]
    np.testing.assert_allclose(frame.probs[:, 1], expected, rtol=1e-12)
    wrong = int(np.sum((state.trace["H1"][:, 0] > 0.5) != (state.Y[:, 0] > 0.5)))
    assert frame.wrong_train == wrong == 0
    assert "training rows: 90 of 90 right" in panel.summary.value
    # the boundary of w·x1x2 + b is the hyperbola x1·x2 = -b/w, in both pairs of quadrants
    (w,), (b,) = state.net.state_dict()["layer1.weight"][0], state.net.state_dict()["layer1.bias"]
    lines = np.concatenate(frame.segments)
    assert len(frame.segments) >= 2
    np.testing.assert_allclose(lines[:, 0] * lines[:, 1], -b / w, atol=2e-3)


def test_the_maps_show_one_unit_per_feature_labelled_as_the_feature():
    state = noisy_xor_state(features=None, hidden=(2,))
    maps = MapDiagram(state)
    assert ">x₁</text>" in maps.svg.value and ">x₂</text>" in maps.svg.value
    state.set_features(ALL)
    svg = maps.svg.value
    for label in ("x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin x₁", "sin x₂"):
        assert f">{label}</text>" in svg
    assert len(re.findall(r'data-unit="0,\d+"', svg)) == 7
    # layer 0's strip holds seven maps side by side
    width = re.search(r'id="bpv-[0-9a-f]+-0" href="[^"]+" width="(\d+)"', svg).group(1)
    assert int(width) == 7 * (34 + 2) - 2


def test_the_numbered_diagram_names_the_features_too():
    e = bpv.Explorer(bpv.MLP([2, 1], ["sigmoid"], seed=0), *bpv.datasets.xor(), loss="bce")
    assert ">x[0]</text>" in e.diagram.svg.value
    e.state.set_features(["x1", "x1*x2"])
    assert ">x₁x₂</text>" in e.diagram.svg.value and "x₁x₂ = 0.000</text>" in e.diagram.svg.value


# ---------------------------------------------------------------- the toggles

def test_toggles_change_the_net_and_follow_the_state():
    state = noisy_xor_state(features=None, hidden=(2,))
    a, b = FeatureControls(state), FeatureControls(state)
    assert a.chosen == ("x1", "x2") and all(not t.disabled for t in a.toggles.values())
    a.toggles["x1*x2"].value = True
    assert state.features == ("x1", "x2", "x1*x2") and state.net.sizes == (3, 2, 1)
    assert b.chosen == ("x1", "x2", "x1*x2") and "3 inputs: x₁, x₂, x₁x₂" in b.note.value
    b.toggles["x1"].value = False
    b.toggles["x2"].value = False
    assert state.features == ("x1*x2",) and a.chosen == ("x1*x2",)
    # the last one on cannot be switched off: the net needs an input
    assert a.toggles["x1*x2"].disabled and not a.toggles["x1"].disabled
    state.set_features(None)
    assert a.chosen == ("x1", "x2") and not a.toggles["x1*x2"].disabled


def test_a_refused_toggle_is_shown_and_put_back():
    state = noisy_xor_state(features=("x1*x2",))
    panel = FeatureControls(state)
    before = fingerprint(state)
    panel.toggles["x1*x2"].value = False  # as code can, though the button is disabled
    assert "at least one feature" in panel.error.value
    assert panel.toggles["x1*x2"].value and fingerprint(state) == before
    panel.toggles["sin(x1)"].value = True
    assert panel.error.value == "" and state.features == ("x1*x2", "sin(x1)")


def test_toggles_are_disabled_for_data_that_is_not_a_plane():
    X = np.random.default_rng(0).normal(size=(10, 3))
    state = ExplorerState(bpv.MLP([3, 1], ["sigmoid"], seed=0), X, (X[:, :1] > 0) * 1.0, loss="bce")
    panel = FeatureControls(state)
    assert all(t.disabled for t in panel.toggles.values())
    assert "this data has 3 columns" in panel.note.value


def test_the_playground_has_the_toggles_under_its_data():
    X, Y = bpv.datasets.make("xor_quadrants", n=60, seed=0)
    pg = bpv.Playground(bpv.MLP([2, 1], ["sigmoid"], seed=0), X, Y, loss="bce", lr=1.0)
    pg.data.features.toggles["x1*x2"].value = True
    pg.data.features.toggles["x1"].value = False
    pg.data.features.toggles["x2"].value = False
    assert pg.state.net.arch == "1-1"
    pg.training.play_steps = 200
    pg.state.train(200)
    assert "training rows: 60 of 60 right" in pg.boundary.summary.value
    assert ">x₁x₂</text>" in pg.maps.svg.value


# ---------------------------------------------------------------- saving

def test_features_are_saved_and_load_bit_for_bit():
    state = noisy_xor_state(features=("x1", "x1*x2", "sin(x2)"), hidden=(3,))
    state.train(15)
    text = state.to_json()
    d = json.loads(text)
    assert d["version"] == 4 and d["data"]["features"] == ["x1", "x1*x2", "sin(x2)"]
    other = noisy_xor_state(features=None)
    panel = FeatureControls(other)
    other.load_json(text)
    assert other.features == state.features and other.to_json() == text
    assert np.array_equal(other.points, state.points)
    assert panel.chosen == state.features
    state.train(5), other.train(5)
    assert other.to_json() == state.to_json()


def _tampered(edit):
    state = noisy_xor_state(features=("x1", "x1*x2"))
    d = json.loads(state.to_json())
    edit(d)
    return json.dumps(d)


def _set_points(d, scale):
    from backpropviz.engine.serialize import array_from_json, array_to_json
    pts = array_from_json(d["data"]["points"], "data.points")
    d["data"]["points"] = array_to_json(pts * scale)


@pytest.mark.parametrize("edit,pattern", [
    (lambda d: d["data"].update(features=["x1", "x9"]), r"data\.features\[1\] must be one of"),
    (lambda d: d["data"].update(features="x1"), "data.features must be null or a list"),
    (lambda d: _set_points(d, 2.0), r"data\.X must be the features x1, x1\*x2 of data\.points"),
    (lambda d: d["data"].update(points_test=None), r"data\.points_test"),
])
def test_a_file_whose_features_do_not_match_its_data_is_refused_and_changes_nothing(edit, pattern):
    text = _tampered(edit)
    with pytest.raises(BadState, match=pattern):
        bpv.engine.serialize.loads(text)
    state = noisy_xor_state(features=None)
    before = fingerprint(state)
    with pytest.raises(BadState, match=pattern):
        state.load_json(text)
    assert fingerprint(state) == before


# ---------------------------------------------------------------- found in review

def test_a_feature_that_overflows_is_named_and_changes_nothing():
    state = noisy_xor_state(features=("x1", "x1^2"))
    before = fingerprint(state)
    X, Y = bpv.datasets.make("circle", n=10, seed=0)
    with pytest.raises(ValueError, match=r"X row 3 = \(1e\+200, .*\) gives the feature x1\^2 = inf"):
        state.set_data(np.where(np.arange(10)[:, None] == 3, 1e200, X), Y)
    assert fingerprint(state) == before
    plain = noisy_xor_state(features=None)
    plain.set_data(np.where(np.arange(10)[:, None] == 3, 1e200, X), Y)  # fine as x1, x2
    before = fingerprint(plain)
    with pytest.raises(ValueError, match="gives the feature x2\\^2 = inf"):
        plain.set_features(["x2^2"])
    assert fingerprint(plain) == before


def test_the_planes_own_coordinates_are_refused_too_for_data_that_is_not_a_plane():
    X = np.random.default_rng(0).normal(size=(10, 3))
    state = ExplorerState(bpv.MLP([3, 1], ["sigmoid"], seed=0), X, (X[:, :1] > 0) * 1.0, loss="bce")
    for names in (["x1", "x2"], ["x1"]):
        with pytest.raises(ValueError, match="features need points of a plane .* got X with 3 columns"):
            state.set_features(names)
        with pytest.raises(ValueError, match="features need points of a plane"):
            ExplorerState(bpv.MLP([3, 1], ["sigmoid"]), X, X[:, :1], features=names)


def test_a_playground_made_with_features_reads_them_and_its_menu_names_the_points():
    X, Y = bpv.datasets.make("xor_quadrants", n=20, seed=0)
    pg = bpv.Playground(bpv.MLP([3, 2, 1], ["tanh", "sigmoid"], seed=0), X, Y, loss="bce",
                        features=["x1", "x2", "x1*x2"])
    assert pg.state.features == ("x1", "x2", "x1*x2") and pg.data.features.chosen == pg.state.features
    label = pg.diagram.sample.options[2][0]
    assert label == f"row 2: x = ({X[2, 0]:g}, {X[2, 1]:g}), y = {Y[2, 0]:g}"
    with pytest.raises(TypeError, match="features applies to a new state"):
        bpv.Playground(state=pg.state, features=["x1"])
