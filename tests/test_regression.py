"""Regression: the plane and multi_gaussian datasets, the data panel switching to
MSE on an Identity output and back, and the predicted value drawn over the plane."""

import io

import numpy as np
import pytest
from PIL import Image

import backpropviz as bpv
from backpropviz import datasets
from backpropviz.drawing.boundary import (BoundaryFrame, ValueFrame, ValuePlot, VALUE_LUT,
                                          data_limits, value_limit, value_rgb)
from backpropviz.drawing.colors import BLUE, ORANGE
from backpropviz.widgets import Explorer, ExplorerState
from backpropviz.widgets.data import DataControls

REGRESSION = ["plane", "multi_gaussian"]


def _pixels(frame) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(frame.image)).convert("RGB"))


# ---------------------------------------------------------------- the datasets

@pytest.mark.parametrize("name", REGRESSION)
def test_regression_sets_shape_range_and_reproducibility(name):
    X, Y = datasets.make(name, n=101, noise=0.1, seed=3)
    assert X.shape == (101, 2) and Y.shape == (101, 1)
    assert X.dtype == Y.dtype == np.float64
    assert np.abs(X).max() <= 1.0 and np.abs(Y).max() < 1.3
    assert len(np.unique(Y)) == 101  # real-valued targets, not labels
    assert datasets.is_regression(name) and name not in datasets.GENERATORS
    X2, Y2 = datasets.make(name, n=101, noise=0.1, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(Y, Y2)
    X3, Y3 = datasets.make(name, n=101, noise=0.1, seed=4)
    assert not np.array_equal(X, X3) and not np.array_equal(Y, Y3)


def test_plane_is_half_the_sum_of_the_inputs():
    X, Y = datasets.plane(500, noise=0.0, seed=1)
    np.testing.assert_array_equal(Y[:, 0], (X[:, 0] + X[:, 1]) / 2)
    assert Y.min() < -0.8 and Y.max() > 0.8  # the points cover the square
    # noise moves where the target is read, not the point: (n1 + n2) / 2 has std noise/sqrt(2)
    Xn, Yn = datasets.plane(4000, noise=0.2, seed=1)
    Xc, Yc = datasets.plane(4000, noise=0.0, seed=1)
    assert np.array_equal(Xn, Xc)
    assert np.std(Yn - Yc) == pytest.approx(0.2 / np.sqrt(2), rel=0.05)


def test_multi_gaussian_is_the_sum_of_signed_bumps():
    X, Y = datasets.multi_gaussian(500, noise=0.0, seed=2)
    expected = np.zeros(len(X))
    for cx, cy, sign in datasets.BUMPS:
        expected += sign * np.exp(-((X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2)
                                  / (2 * datasets.BUMP_WIDTH ** 2))
    np.testing.assert_allclose(Y[:, 0], expected, rtol=0, atol=1e-14)
    centres = np.array([b[:2] for b in datasets.BUMPS])
    signs = np.array([b[2] for b in datasets.BUMPS])
    np.testing.assert_allclose(datasets.multi_gaussian_value(centres), signs, atol=0.025)
    assert {1.0, -1.0} == set(signs) and (Y > 0.5).any() and (Y < -0.5).any()
    np.testing.assert_allclose(datasets.multi_gaussian_value(np.array([[5.0, 5.0]])), 0, atol=1e-12)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"n": 1}, ValueError, "n must be"),
    ({"noise": -0.1}, ValueError, "noise must be"),
    ({"noise": float("nan")}, ValueError, "noise must be"),
    ({"seed": "a"}, TypeError, "seed must be"),
    ({"colour": 1}, TypeError, "colour"),
])
@pytest.mark.parametrize("name", REGRESSION)
def test_regression_sets_refuse_bad_arguments(name, kwargs, error, words):
    with pytest.raises(error, match=words):
        datasets.make(name, **kwargs)


def test_make_names_the_regression_sets():
    with pytest.raises(ValueError, match=r"name must be one of .*'plane', 'multi_gaussian'"):
        datasets.make("planes")


# ---------------------------------------------------------------- the state

def test_state_switches_to_mse_and_an_identity_output():
    X, Y = datasets.moons(40, seed=0)
    state = ExplorerState(bpv.MLP([2, 5, 1], ["relu", "sigmoid"], seed=7), X, Y, loss="bce", lr=0.3)
    Xr, Yr = datasets.plane(40, seed=0)
    state.set_regression_data(Xr, Yr, source={"name": "plane", "n": 40})
    assert state.loss == "mse"
    assert [a.name for a in state.net.activations] == ["relu", "identity"]
    assert state.net.sizes == (2, 5, 1)
    # the new output layer starts from the net's seed, reproducibly; reset returns there
    fresh = bpv.MLP([2, 5, 1], ["relu", "identity"], seed=7).state_dict()
    for k, v in state.initial_state.items():
        assert np.array_equal(v, fresh[k])
    assert np.array_equal(state.Y, Yr) and state.data_source == {"name": "plane", "n": 40}
    assert state.trace.loss == pytest.approx(np.mean((state.net.forward(Xr) - Yr) ** 2), rel=1e-12)
    # a net that already is a regression keeps its weights, as with set_data
    state.train(5)
    w = state.net.state_dict()
    Xm, Ym = datasets.multi_gaussian(30, seed=1)
    state.set_regression_data(Xm, Ym)
    for k, v in state.net.state_dict().items():
        assert np.array_equal(v, w[k])
    assert state.trainer.steps == 0


def test_bad_regression_data_changes_nothing():
    X, Y = datasets.moons(40, seed=0)
    state = ExplorerState(bpv.MLP([2, 3, 1], ["tanh", "sigmoid"], seed=1), X, Y, loss="bce", lr=0.3)
    before = (state.revision, state.loss, state.net, state.X, state.Y, state.net.state_dict())
    Xr, Yr = datasets.plane(40, seed=0)
    with pytest.raises(ValueError, match="Y"):
        state.set_regression_data(Xr, Yr[:30])
    with pytest.raises(TypeError, match="source"):
        state.set_regression_data(Xr, Yr, source="plane")
    with pytest.raises(ValueError, match="Y_test|test rows"):
        state.set_regression_data(Xr, Yr, Xr[:5], Yr[:4])
    assert (state.revision, state.loss, state.net, state.X, state.Y) == before[:5]
    assert state.net.activations[-1].name == "sigmoid"
    for k, v in state.net.state_dict().items():
        assert np.array_equal(v, before[5][k])


# ---------------------------------------------------------------- the data panel

def test_data_panel_switches_to_regression_and_back(moons_explorer):
    e = moons_explorer
    e.data.dataset.value = "plane"
    s = e.state
    assert e.data.error.value == "" and e.boundary.error.value == ""
    assert s.loss == "mse" and s.net.activations[-1].name == "identity" and s.net.sizes == (2, 6, 1)
    assert s.data_source["name"] == "plane" and len(s.X) == 150 and len(s.X_test) == 50
    assert not np.all((s.Y == 0) | (s.Y == 1))
    assert "Regression" in e.data.note.value and "Identity" in e.data.note.value
    assert isinstance(e.boundary.frame, ValueFrame)
    assert e.architecture.loss.value == "mse" and e.architecture.output_act.value == "identity"
    # another regression set, or more noise, keeps the weights as any data change does
    w = s.net.state_dict()
    e.data.noise.value = 0.2
    e.data.dataset.value = "multi_gaussian"
    assert s.data_source == {"name": "multi_gaussian", "n": 200, "noise": 0.2, "seed": 0,
                             "test_fraction": 0.25}
    for k, v in s.net.state_dict().items():
        assert np.array_equal(v, w[k])
    # back to a classification set: a classifier again, one sigmoid unit under BCE,
    # the hidden layers kept, new weights from the net's seed
    e.data.dataset.value = "moons"
    assert e.data.error.value == "" and e.boundary.error.value == ""
    assert s.data_source["name"] == "moons" and set(np.unique(s.Y)) == {0.0, 1.0}
    assert s.loss == "bce" and s.net.sizes == (2, 6, 1) and s.net.activations[-1].name == "sigmoid"
    fresh = bpv.MLP([2, 6, 1], ["tanh", "sigmoid"], seed=s.net.seed or 0).state_dict()
    for k, v in s.net.state_dict().items():
        assert np.array_equal(v, fresh[k])
    assert e.architecture.loss.value == "bce" and e.architecture.output_act.value == "sigmoid"
    assert "Regression" not in e.data.note.value
    assert isinstance(e.boundary.frame, BoundaryFrame) and "right" in e.boundary.summary.value
    e.data.dataset.value = "blobs"  # three classes: softmax cross-entropy, as today
    assert s.loss == "cross_entropy" and s.net.sizes == (2, 6, 3)
    assert e.boundary.frame.probs.shape[1] == 3
    e.data.dataset.value = "plane"  # and from softmax back to regression
    assert s.loss == "mse" and s.net.sizes == (2, 6, 1) and s.net.activations[-1].name == "identity"
    e.data.dataset.value = "xor"
    assert len(s.X) == 4 and isinstance(e.boundary.frame, BoundaryFrame)


def test_data_panel_shows_a_refused_switch_and_changes_nothing():
    # a 3-input net cannot take the plane's 2 inputs: the state refuses, the panel says why
    X = np.random.default_rng(0).normal(size=(20, 3))
    Y = (X[:, :1] > 0).astype(float)
    e = Explorer(bpv.MLP([3, 4, 1], ["tanh", "sigmoid"], seed=0), X, Y, loss="bce", lr=0.5)
    revision, net = e.state.revision, e.state.net
    e.data.dataset.value = "plane"
    assert "Changing the data failed" in e.data.error.value and "X" in e.data.error.value
    assert e.state.revision == revision and e.state.net is net and e.state.loss == "bce"


def test_data_panel_on_a_saved_regression_state():
    e = Explorer(bpv.examples.seed_net(), *datasets.xor(), loss="mse", lr=0.75)
    e.data.dataset.value = "plane"
    copy = ExplorerState(bpv.examples.seed_net(), *datasets.xor())
    copy.load_json(e.state.to_json())
    assert copy.loss == "mse" and copy.net.activations[-1].name == "identity"
    panel = DataControls(copy)
    assert panel.dataset.value == "plane" and "Regression" in panel.note.value


# ---------------------------------------------------------------- training

def test_training_on_the_plane_lowers_the_loss_a_lot(moons_explorer):
    e = moons_explorer
    e.data.dataset.value = "plane"
    e.training.lr.value = 0.3
    start = e.state.trace.loss
    e.state.train(300)
    curve = e.state.trainer.curve.train_loss
    assert curve[0] == start and np.all(np.isfinite(curve))
    assert curve[-1] < 0.1 * start
    assert e.boundary.frame.mse_train == pytest.approx(curve[-1], rel=1e-9)


def test_the_training_counter_speaks_of_accuracy_only_for_classes(moons_explorer):
    e = moons_explorer
    assert "accuracy" in e.training.counter.value
    e.data.dataset.value = "plane"
    assert "accuracy" not in e.training.counter.value and "loss" in e.training.counter.value
    e.data.dataset.value = "moons"
    assert "accuracy" in e.training.counter.value


# ---------------------------------------------------------------- the picture

def test_colour_map_is_diverging_centred_on_zero():
    m = 2.0
    v = np.array([-5.0, -2.0, -1.0, 0.0, 1.0, 2.0, 5.0, np.nan])
    rgb = value_rgb(v, m).astype(int)
    assert tuple(rgb[1]) == ORANGE and tuple(rgb[0]) == ORANGE  # -limit and beyond
    assert tuple(rgb[5]) == BLUE and tuple(rgb[6]) == BLUE      # +limit and beyond
    assert rgb[3].min() >= 250                                   # 0 is white
    assert tuple(rgb[7]) == (200, 200, 200)                      # NaN is grey
    assert rgb[2, 0] > rgb[2, 2] and rgb[4, 2] > rgb[4, 0]      # orange below 0, blue above
    # symmetric: -v and +v are equally far from white
    ramp = np.linspace(-m, m, 1001)
    c = value_rgb(ramp, m).astype(int)
    dist = 765 - c.sum(axis=1)
    assert abs(dist[0] - dist[-1]) < 40 and dist[500] <= 3
    # monotone: blue minus red grows with the value
    assert np.all(np.diff(c[:, 2] - c[:, 0]) >= 0)


def test_colour_bar_and_heatmap_agree():
    plot = ValuePlot((-1, 1), (-1, 1), limit=1.5, resolution=20)
    cb = plot.colorbar
    assert cb.norm.vmin == -1.5 and cb.norm.vmax == 1.5
    assert list(cb.get_ticks()) == [-1.5, -0.75, 0.0, 0.75, 1.5]
    assert [t.get_text() for t in cb.ax.get_yticklabels()] == ["\u22121.5", "\u22120.75", "0",
                                                               "0.75", "1.5"]
    v = np.random.default_rng(0).uniform(-2, 2, 500)
    ours = value_rgb(v, 1.5).astype(float)
    theirs = np.round(cb.cmap(cb.norm(v))[:, :3] * 255)
    np.testing.assert_array_equal(ours, theirs)
    assert "predicted value" in cb.ax.get_ylabel()


def test_a_pixel_shows_the_nets_prediction_at_its_point():
    # y = 0.8 x0 - 0.5 x1 + 0.1: a linear net, so a colour can be read back as a value
    net = bpv.MLP([2, 1], "identity", seed=0)
    net.load_state_dict({"layer1.weight": np.array([[0.8, -0.5]]), "layer1.bias": np.array([0.1])})
    plot = ValuePlot((-1, 1), (-1, 1), limit=1.5, resolution=100, image_format="png")
    plot.set_data(np.empty((0, 2)), np.empty(0))
    frame = plot.update(net)
    np.testing.assert_allclose(frame.values, net.forward(plot.grid.points)[:, 0], rtol=1e-12)
    img = _pixels(frame)
    to_data = plot.ax.transData.inverted()
    height = img.shape[0]
    rows, cols = plot._region
    rng = np.random.default_rng(1)
    cell = 2.0 / 99
    for r, c in zip(rng.integers(rows.start, rows.stop, 200), rng.integers(cols.start, cols.stop, 200)):
        k = plot.cell_at_pixel(int(r), int(c))
        # the pixel has exactly the colour of the net's output at its grid point ...
        expected = value_rgb(net.forward(plot.grid.points[k:k + 1])[:, 0], 1.5)[0]
        assert tuple(img[r, c]) == tuple(expected)
        # ... and that grid point is where the pixel sits on the axes (within a cell or so)
        x, y = to_data.transform((c + 0.5, height - (r + 0.5)))
        assert np.hypot(*(plot.grid.points[k] - (x, y))) < 1.5 * cell
        # reading the colour back gives the prediction at the pixel's point
        index = int(np.argmin(np.abs(VALUE_LUT.astype(int) - img[r, c]).sum(axis=1)))
        read = -1.5 + (index + 0.5) * 3.0 / 256
        truth = net.forward(np.array([[x, y]]))[0, 0]
        assert abs(read - truth) < 3.0 / 256 + 0.95 * 1.5 * cell
    assert plot.cell_at_pixel(0, 0) is None


def test_regression_is_not_drawn_as_classes():
    # output = x0 over [-1, 1]: a classifier's picture would show P = clip(x0, 0, 1), orange
    # on the whole left half and white at x0 = 0.5; the predicted value is white at 0
    net = bpv.MLP([2, 1], "identity", seed=0)
    net.load_state_dict({"layer1.weight": np.array([[1.0, 0.0]]), "layer1.bias": np.array([0.0])})
    X = np.array([[-0.9, 0.5], [-0.3, -0.5], [0.0, 0.0], [0.3, 0.5], [0.9, -0.5]])
    y = X[:, 0] * 1.0
    plot = ValuePlot((-1, 1), (-1, 1), limit=1.0, resolution=101, image_format="png")
    plot.set_data(X, y)
    frame = plot.update(net)
    assert frame.values.min() < -0.9 and frame.values.max() > 0.9  # not clipped to [0, 1]
    assert frame.mse_train == 0.0 and frame.mse_test is None
    img = _pixels(frame).astype(int)
    to_pixel = plot.ax.transData

    def colour_at(x, yy):
        px, py = to_pixel.transform((x, yy))
        return img[int(img.shape[0] - py), int(px)]

    assert colour_at(0.0, 0.8).min() >= 248                       # 0 is white
    assert colour_at(-0.5, 0.8)[0] > colour_at(-0.5, 0.8)[2] + 60  # negative: orange
    assert colour_at(0.5, 0.8)[2] > colour_at(0.5, 0.8)[0] + 60    # positive: blue
    assert not np.array_equal(colour_at(-0.2, 0.8), colour_at(-0.8, 0.8))  # graded, not a class
    # the dots are coloured by their targets on the same scale: five values, five colours
    faces = np.round(plot.train.get_facecolors()[:, :3] * 255)
    np.testing.assert_array_equal(faces, value_rgb(y, 1.0))
    assert len({tuple(f) for f in faces}) == 5


def test_panel_draws_the_predicted_value_and_follows_every_weight(moons_explorer):
    e = moons_explorer
    e.data.dataset.value = "plane"
    b = e.boundary
    plot, frame0 = b.plot, b.frame
    assert isinstance(plot, ValuePlot) and isinstance(frame0, ValueFrame)
    assert b.image.value == frame0.image and frame0.image[:2] == b"\xff\xd8"  # JPEG, as before
    text = b.summary.value
    assert "Predicted value, not a class boundary" in text
    assert "&minus;1.2" in text and "+1.2" in text  # the colour scale's range, stated
    assert "right" not in text and "misclassified" not in text
    assert "regression" in repr(b)
    assert frame0.limit == value_limit(e.state.Y, e.state.Y_test) == 1.2
    # test rows are triangles, training rows circles, both coloured by target
    assert len(plot.test.get_offsets()) == 50 and len(plot.train.get_offsets()) == 150
    assert plot.test.get_paths()[0] is not plot.train.get_paths()[0]
    np.testing.assert_array_equal(np.round(plot.test.get_facecolors()[:, :3] * 255),
                                  value_rgb(e.state.Y_test[:, 0], 1.2))
    # a weight moves: the very same figure is redrawn, the values shift by the bias change
    slider = e.sliders.slider("layer2.bias", (0,))
    old = slider.value
    slider.value = old + 0.4
    frame1 = b.frame
    assert b.plot is plot and b.error.value == ""
    assert frame1.image != frame0.image and b.image.value == frame1.image
    np.testing.assert_allclose(frame1.values - frame0.values, 0.4, atol=1e-12)
    np.testing.assert_allclose(frame1.values, e.state.net.forward(plot.grid.points)[:, 0], rtol=1e-12)
    # and the hidden units' maps are still drawn
    assert b._tile_images and b._tile_images[0].value[:2] == b"\xff\xd8"


def test_value_plot_refuses_bad_input():
    with pytest.raises(ValueError, match="limit must be"):
        ValuePlot((-1, 1), (-1, 1), limit=0.0)
    with pytest.raises(ValueError, match="limit must be"):
        ValuePlot((-1, 1), (-1, 1), limit=float("inf"))
    with pytest.raises(TypeError, match="limit must be"):
        ValuePlot((-1, 1), (-1, 1), limit="1")
    with pytest.raises(ValueError, match="image_format"):
        ValuePlot((-1, 1), (-1, 1), limit=1.0, image_format="gif")
    plot = ValuePlot(*data_limits(np.array([[-1.0, -1.0], [1.0, 1.0]])), limit=1.0, resolution=10)
    X = np.zeros((3, 2))
    plot.set_data(X, np.array([0.1, 0.2, 0.3]))
    before = plot.train.get_facecolors().copy()
    with pytest.raises(ValueError, match="y must hold one target per point"):
        plot.set_data(X, np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="y_test must hold one target per point"):
        plot.set_data(np.ones((3, 2)), np.zeros(3), X, np.zeros(2))
    np.testing.assert_array_equal(plot.train.get_facecolors(), before)  # nothing changed
    assert np.array_equal(plot.train.get_offsets(), X)


def test_targets_too_large_for_a_colour_scale_are_explained():
    X, Y = datasets.plane(30, seed=0)
    state = ExplorerState(bpv.MLP([2, 3, 1], ["tanh", "identity"], seed=0), X, Y * 1e13, lr=1e-6)
    e = Explorer(state=state)
    assert e.boundary.error.value == "" and e.boundary.frame is None
    assert "The targets reach" in e.boundary.summary.value and "colour scale" in e.boundary.summary.value
    state.set_regression_data(X, Y)  # back within range: drawn again
    assert isinstance(e.boundary.frame, ValueFrame) and e.boundary.error.value == ""
    with pytest.raises(ValueError, match="limit must be a number greater than 0 and at most"):
        ValuePlot((-1, 1), (-1, 1), limit=1e301)


def test_value_limit_is_a_round_number_covering_the_targets():
    assert value_limit(np.array([0.98, -0.5])) == 1.0
    assert value_limit(np.array([[1.05]]), np.array([-0.2])) == 1.2
    assert value_limit(np.array([0.3]), None) == 0.3
    assert value_limit(np.array([-7.0])) == 8.0
    assert value_limit(np.zeros(3)) == 1.0 and value_limit(np.array([np.nan])) == 1.0
    assert value_limit(np.array([1.7e308])) == 1.7e308  # not rounded up past float's range


def test_the_panel_can_leave_out_the_unit_maps():
    # (for a view that draws the hidden units elsewhere; a regression draws the same way)
    from backpropviz.widgets.boundary import BoundaryPanel
    X, Y = datasets.plane(40, seed=0)
    state = ExplorerState(bpv.MLP([2, 4, 1], ["tanh", "identity"], seed=0), X, Y, lr=0.1)
    panel = BoundaryPanel(state, unit_maps=False)
    assert panel._tile_images == [] and panel.units.children == ()
    assert panel.units_title.layout.display == "none" and isinstance(panel.frame, ValueFrame)
    assert len(BoundaryPanel(state)._tile_images) == 1
    with pytest.raises(TypeError, match="unit_maps must be True or False"):
        BoundaryPanel(state, unit_maps="no")


def test_the_task_is_recorded_not_guessed_from_the_values():
    """Regression targets that happen to be all 0 or 1 stay regression: the picture is
    the predicted value, with no accuracy; saved and loaded, they stay so."""
    X, _ = bpv.datasets.make("plane", n=40, seed=0)
    Y = (X[:, :1] > 0) * 1.0
    e = Explorer(bpv.MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0), X, Y, loss="bce", lr=0.5)
    s = e.state
    assert s.class_targets and isinstance(e.boundary.frame, BoundaryFrame)
    s.set_regression_data(X, Y)
    assert not s.class_targets and isinstance(e.boundary.frame, ValueFrame)
    assert "accuracy" not in e.training.counter.value
    copy = ExplorerState(bpv.MLP([2, 1], ["sigmoid"]), X, Y, loss="bce")
    copy.load_json(s.to_json())
    assert not copy.class_targets
    # and labels said to be classes are classes, whatever the loss
    s.set_data(X, Y, classes=2)
    assert s.class_targets and s.loss == "bce" and isinstance(e.boundary.frame, BoundaryFrame)


def test_cross_entropy_from_the_architecture_makes_labels_classes_and_leaving_it_asks_the_targets():
    X, _ = bpv.datasets.make("plane", n=30, seed=0)
    Y = (X[:, :1] > 0) * 1.0
    e = Explorer(bpv.MLP([2, 3, 1], ["tanh", "identity"], seed=0), X, Y, lr=0.5)
    s = e.state
    s.set_regression_data(X, Y)
    assert not s.class_targets
    s.set_architecture([3], ["tanh", "identity"], loss="cross_entropy")
    assert s.class_targets and isinstance(e.boundary.frame, BoundaryFrame)
    s.set_architecture([3], ["tanh", "identity"], loss="mse")
    assert s.class_targets  # 0/1 targets, given without saying: classes, as the seed's


@pytest.mark.parametrize("task,loss,targets,pattern", [
    ("classification", "mse", "real", r'extra\.task must be "regression" for targets that are not all 0 or 1'),
    ("regression", "cross_entropy", "labels", r'extra\.task must be "classification" under cross-entropy'),
])
def test_a_saved_task_that_contradicts_the_loss_and_targets_is_refused(task, loss, targets, pattern):
    import json

    X, Yr = bpv.datasets.make("plane", n=30, seed=0)
    Y = Yr if targets == "real" else (X[:, :1] > 0) * 1.0
    outputs = 2 if loss == "cross_entropy" else 1
    s = ExplorerState(bpv.MLP([2, 3, outputs], ["tanh", "identity"], seed=0), X, Y, loss=loss)
    d = json.loads(s.to_json())
    d["extra"]["task"] = task
    other = ExplorerState(bpv.MLP([2, 1], ["sigmoid"], seed=0), X, (X[:, :1] > 0) * 1.0, loss="bce")
    before = other.to_json()
    with pytest.raises(ValueError, match=pattern):
        other.load_json(json.dumps(d))
    assert other.to_json() == before


def test_a_boundary_that_fails_to_draw_hides_its_picture(monkeypatch):
    X, Y = bpv.datasets.make("moons", n=30, seed=0)
    e = Explorer(bpv.MLP([2, 3, 1], ["tanh", "sigmoid"], seed=0), X, Y, loss="bce", lr=0.5)
    assert e.boundary.frame is not None and "right" in e.boundary.summary.value

    def broken(*args, **kwargs):
        raise RuntimeError("the plot broke")

    monkeypatch.setattr(e.boundary.plot, "update", broken)
    e.state.train(1)
    assert "the plot broke" in e.boundary.error.value
    assert e.boundary.frame is None and e.boundary.image.layout.display == "none"
    assert "right" not in e.boundary.summary.value
    monkeypatch.undo()
    e.state.train(1)  # and it recovers
    assert e.boundary.error.value == "" and e.boundary.image.layout.display == ""
