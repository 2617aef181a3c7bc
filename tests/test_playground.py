"""The playground panels driven headlessly: boundary, training, data, architecture, landscape."""

import asyncio
import io

import numpy as np
import pytest
from PIL import Image

import backpropviz as bpv
from backpropviz.drawing.boundary import BoundaryPlot, data_limits, labels_of
from backpropviz.engine.landscape import loss_slice
from backpropviz.widgets import Explorer, ExplorerState, TrainingControls


# ---------------------------------------------------------------- the boundary

def test_boundary_moves_when_a_weight_moves(moons_explorer):
    e = moons_explorer
    e.state.train(40)  # far enough that the line crosses the plane
    frame0 = e.boundary.frame
    assert e.boundary.image.value == frame0.image and frame0.image[:2] == b"\xff\xd8"  # JPEG
    seg0 = np.concatenate(frame0.segments)
    e.sliders.slider("layer2.bias", (0,)).value = 1.5
    frame1 = e.boundary.frame
    seg1 = np.concatenate(frame1.segments)
    assert frame1.image != frame0.image
    assert seg0.shape != seg1.shape or not np.allclose(seg0, seg1)
    # the grid output is the net's output at the grid points
    grid = e.boundary.plot.grid
    np.testing.assert_allclose(frame1.probs[:, 1], e.state.net.forward(grid.points)[:, 0], rtol=1e-12)


def test_boundary_is_the_half_contour_and_counts_mistakes():
    X, Y = bpv.datasets.gaussians(100, noise=0.2, seed=1)
    net = bpv.MLP([2, 1], "sigmoid", seed=0)
    net.load_state_dict({"layer1.weight": np.array([[4.0, 4.0]]), "layer1.bias": np.array([0.0])})
    xlim, ylim = data_limits(X)
    plot = BoundaryPlot(xlim, ylim, resolution=101)
    plot.set_data(X, labels_of(Y))
    frame = plot.update(net, "bce")
    # sigmoid(4x + 4y) = 0.5 on the line y = -x
    pts = np.concatenate(frame.segments)
    np.testing.assert_allclose(pts[:, 1], -pts[:, 0], atol=0.02)
    wrong = int(np.sum((net.forward(X)[:, 0] > 0.5) != (Y[:, 0] > 0.5)))
    assert frame.wrong_train == wrong
    # the JPEG is the canvas's RGB: encoded from its RGBX bytes, the file an RGB copy gives
    w, h = plot.canvas.get_width_height()
    rgb = Image.frombuffer("RGBA", (w, h), plot.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()
    rgb.save(buf, format="JPEG", quality=85)
    assert frame.format == "jpeg" and frame.image == buf.getvalue()


def test_class_boundaries_lie_where_two_class_scores_tie():
    # Softmax on a layer with no hidden units: classes a and b meet on the line
    # where their logits are equal, so every vertex of a drawn boundary must sit
    # on the tie line of the two classes leading there, well inside a grid cell
    # (a boundary traced from "which class wins" steps along the cell edges).
    X, Y = bpv.datasets.blobs(90, noise=0.2, seed=3)
    W = np.array([[0.3, 1.0], [-0.9, -0.4], [0.8, -0.6]])
    net = bpv.MLP([2, 3], "identity", seed=0)
    B = np.array([0.1, 0.0, -0.2])
    net.load_state_dict({"layer1.weight": W, "layer1.bias": B})
    xlim, ylim = data_limits(X)
    plot = BoundaryPlot(xlim, ylim, resolution=100)
    plot.set_data(X, labels_of(Y), classes=3)
    frame = plot.update(net, "cross_entropy")
    pts = np.concatenate(frame.segments)
    assert len(pts) > 100
    logits = net.forward(pts)
    order = np.argsort(logits, axis=1)
    a, b = order[:, -1], order[:, -2]
    rows = np.arange(len(pts))
    gap = logits[rows, a] - logits[rows, b]
    distance = gap / np.linalg.norm(W[a] - W[b], axis=1)
    cell = (xlim[1] - xlim[0]) / 99
    # all three scores tie at one point; within a cell or two of it the
    # strongest rival changes, and the error may grow to a small part of a cell
    triple = np.linalg.solve(W[:2] - W[1:], B[1:] - B[:2])
    near = np.linalg.norm(pts - triple, axis=1) < 2 * cell
    assert distance[~near].max() < cell / 100
    assert distance.max() < cell / 5
    # the three boundaries between the three regions are all drawn
    assert {frozenset(p) for p in zip(a.tolist(), b.tolist())} == {
        frozenset({0, 1}), frozenset({1, 2}), frozenset({0, 2})}


def test_hidden_unit_maps_follow_the_architecture(moons_explorer):
    e = moons_explorer
    assert len(e.boundary._tile_images) == 1
    assert e.boundary._tile_images[0].value[:2] == b"\xff\xd8"
    e.architecture.layers.value = 2
    assert e.state.net.sizes == (2, 6, 4, 1)
    assert len(e.boundary._tile_images) == 2


def test_three_classes_get_regions_and_softmax(moons_explorer):
    e = moons_explorer
    e.data.dataset.value = "blobs"
    assert e.state.loss == "cross_entropy" and e.state.net.sizes[-1] == 3
    assert e.boundary.frame.probs.shape[1] == 3
    assert e.architecture.loss.value == "cross_entropy"
    e.state.train(200)
    assert e.state.trainer.curve.train_acc[-1] > 0.9


# ---------------------------------------------------------------- training controls

def test_step_undo_reset_buttons(moons_explorer):
    e = moons_explorer
    start = e.state.initial_state
    t = e.training
    t.step_button.click()
    t.step_button.click()
    assert e.state.trainer.steps == 2 and "step 2" in t.counter.value
    after_one = None
    t.undo_button.click()
    assert e.state.trainer.steps == 1
    t.reset_button.click()
    assert e.state.trainer.steps == 0 and t.undo_button.disabled
    for k, v in e.state.net.state_dict().items():
        assert np.array_equal(v, start[k])
    del after_one


def test_learning_rate_and_batch_size_controls(moons_explorer):
    e = moons_explorer
    e.state.train(3)
    w = e.state.net.state_dict()
    e.training.lr.value = 0.05
    assert e.state.lr == 0.05 and e.state.trainer.steps == 3  # the model stays
    for k, v in e.state.net.state_dict().items():
        assert np.array_equal(v, w[k])
    assert e.training.batch.value == "full" and e.training.batch.label == "full (60 rows)"
    e.training.batch.value = 8
    assert e.state.batch_size == 8 and "next 8 of 60" in e.training.what.value
    e.training.step_button.click()
    assert e.state.trainer.cursor == 8
    e.training.batch.value = "full"
    assert e.state.batch_size is None


def test_play_without_an_event_loop_takes_one_frame(moons_explorer):
    t = moons_explorer.training
    t.speed.value = 7
    t.play_button.value = True
    assert moons_explorer.state.trainer.steps == 7 and not t.play_button.value


def test_play_loop_trains_between_redraws_and_pauses():
    X, Y = bpv.datasets.xor()
    state = ExplorerState(bpv.examples.seed_net(), X, Y)
    t = TrainingControls(state, steps_per_frame=5, fps=20)  # a frame every 50 ms at most
    # Time is driven by hand, so a loaded machine changes nothing: the clock
    # moves only when a redraw happens (by the cost the test gives it), and
    # Play's sleep reports how long it asked for, then waits for the test.
    now, cost = 0.0, 0.0
    redraws = []  # the step count at each redraw

    def on_trace(change):
        nonlocal now
        now += cost
        redraws.append(state.trainer.steps)

    state.observe(on_trace, "trace")

    async def run():
        nonlocal cost
        asked, go = asyncio.Queue(), asyncio.Queue()

        async def sleep(seconds):
            assert t.play_button.value, "Play ran a frame after the pause"
            asked.put_nowait(seconds)
            await go.get()

        t._clock, t._sleep = (lambda: now), sleep
        costs = [0.010, 0.020, 0.080, 0.010]  # the third frame is slower than 50 ms
        cost = costs[0]
        running = asyncio.all_tasks()
        t.play_button.value = True  # as a click would: Play starts a task on this loop
        assert t.play_button.description == "Pause" and state.playing
        (play,) = asyncio.all_tasks() - running
        for frame in range(1, len(costs) + 1):
            slept = await asked.get()  # Play has run a frame and sleeps
            # one redraw per frame, after all of its steps
            assert redraws == [5 * k for k in range(1, frame + 1)]
            # it sleeps what is left of the frame's 50 ms, never less than 0
            assert slept == pytest.approx(max(0.0, 0.05 - costs[frame - 1]))
            if frame < len(costs):
                cost = costs[frame]
                go.put_nowait(None)
        t.play_button.value = False  # Pause, while Play sleeps
        assert t.play_button.description == "Play" and not state.playing
        go.put_nowait(None)
        await play  # it wakes, sees the pause and ends without another frame

    # (the timeout only turns a Play that hangs into a failure)
    asyncio.run(asyncio.wait_for(run(), timeout=30))
    assert state.trainer.steps == 20 and redraws == [5, 10, 15, 20]
    assert not state.playing and t.play_button.description == "Play"


def test_divergence_is_explained_and_recoverable():
    X, Y = bpv.datasets.xor()
    e = Explorer(bpv.MLP([2, 3, 1], "identity", seed=0), X, Y, lr=1e3)
    e.training.speed.value = 400
    e.training.play_button.value = True
    msg = e.state.message
    assert "diverged" in msg and "learning rate 1000 " in msg and "Back to before it blew up" in msg
    assert "Training diverged" in e.training.message.value
    assert not e.training.play_button.value
    # every panel shows the NaN state without failing
    for panel in (e.stepper, e.diagram, e.boundary, e.sliders, e.drilldown, e.training):
        assert panel.error.value == "", type(panel).__name__
    assert "not finite" in e.training.curve.value
    e.training.undo_button.click()
    assert e.state.message == "" and np.isfinite(e.state.trainer.curve.train_loss[-1])
    e.training.reset_button.click()
    assert e.state.trainer.steps == 0


# ---------------------------------------------------------------- data and architecture

def test_data_controls_generate_split_and_keep_the_weights(moons_explorer):
    e = moons_explorer
    w = e.state.net.state_dict()
    e.data.dataset.value = "circle"
    assert e.state.data_source["name"] == "circle" and len(e.state.X) == 150
    assert len(e.state.X_test) == 50
    for k, v in e.state.net.state_dict().items():
        assert np.array_equal(v, w[k])
    e.data.test_fraction.value = 0.0
    assert e.state.X_test is None and len(e.state.X) == 200
    e.data.dataset.value = "xor"
    assert len(e.state.X) == 4 and e.data.n.disabled


def test_architecture_controls_rebuild_every_panel(moons_explorer):
    e = moons_explorer
    a = e.architecture
    a.layers.value = 2
    a.widths[1].value = 3
    a.acts[1].value = "relu"
    assert e.state.net.sizes == (2, 6, 3, 1)
    assert [x.name for x in e.state.net.activations] == ["tanh", "relu", "sigmoid"]
    assert len(e.sliders.sliders) == 2 * 6 + 6 + 6 * 3 + 3 + 3 + 1
    assert e.stepper.jump.options[-1][0].startswith("25. new B3")
    assert e.diagram.svg.value.count('class="bpv-unit"') == 2 + 6 + 3 + 1
    a.loss.value = "mse"
    assert e.state.loss == "mse"
    a.loss.value = "cross_entropy"
    assert e.state.net.sizes[-1] == 2 and e.state.net.activations[-1].name == "identity"
    a.seed.value = 5
    assert np.array_equal(e.state.net.state_dict()["layer1.weight"],
                          bpv.MLP([2, 6, 3, 2], ["tanh", "relu", "identity"], seed=5).state_dict()["layer1.weight"])
    a.layers.value = 0
    assert e.state.net.sizes == (2, 2)


def test_architecture_limits():
    X, Y = bpv.datasets.xor()
    state = ExplorerState(bpv.examples.seed_net(), X, Y)
    with pytest.raises(ValueError, match="at most 6 layers of at most 8 units"):
        state.set_architecture([9], ["tanh", "identity"])
    with pytest.raises(ValueError, match="hidden must have at most 6 layers, got 7"):
        state.set_architecture([2] * 7, ["tanh"] * 8)
    state.set_architecture([8] * 6, ["tanh"] * 7)
    assert state.net.sizes == (2, 8, 8, 8, 8, 8, 8, 1)
    with pytest.raises(ValueError, match="activations must have 3 entries"):
        state.set_architecture([2, 2], ["tanh", "identity"])


# ---------------------------------------------------------------- the landscape

def test_landscape_centre_is_the_current_loss_and_the_arrow_points_downhill(moons_explorer):
    e = moons_explorer
    e.sections.selected_index = 2  # open the landscape section
    land = e.landscape
    assert land.active and land.svg.value.startswith("<svg")
    s = land.slice
    mid = len(s.a_values) // 2
    assert s.loss[mid, mid] == pytest.approx(e.state.trace.loss, rel=1e-6)  # hidden layers in single
    key_a, key_b = s.a, s.b
    assert s.gradient[0] == e.state.trace.gradients()[key_a[0]][key_a[1]]
    # a small step along -gradient lowers the loss, as the arrow says
    ga, gb = s.gradient
    sd = e.state.net.state_dict()
    sd[key_a[0]][key_a[1]] -= 1e-3 * ga
    sd[key_b[0]][key_b[1]] -= 1e-3 * gb
    probe = e.state.net.copy()
    probe.load_state_dict(sd)
    assert probe.trace(e.state.X, e.state.trainer.Y, loss="bce").loss < e.state.trace.loss
    e.state.train(4)
    assert len(land.trajectory()) == 5


def test_landscape_slice_matches_single_evaluations():
    X, Y = bpv.datasets.moons(30, seed=2)
    net = bpv.MLP([2, 3, 1], ["relu", "sigmoid"], seed=1)
    s = loss_slice(net, X, Y, "bce", ("layer1.weight", (1, 0)), ("layer2.bias", (0,)), span=0.5, resolution=5)
    for i, j in [(0, 0), (4, 1), (2, 3)]:
        sd = net.state_dict()
        sd["layer1.weight"][1, 0] = s.a_values[j]
        sd["layer2.bias"][0] = s.b_values[i]
        probe = net.copy()
        probe.load_state_dict(sd)
        assert s.loss[i, j] == pytest.approx(probe.trace(X, Y, loss="bce").loss, rel=1e-12)
    with pytest.raises(ValueError, match="two different parameter entries"):
        loss_slice(net, X, Y, "bce", ("layer2.bias", (0,)), ("layer2.bias", (0,)))


@pytest.mark.parametrize("sizes,acts,loss,a,b", [
    # LeakyReLU works in place its own way; identity not at all
    ([2, 3, 2, 1], [bpv.LeakyReLU(0.2), "identity", "sigmoid"], "bce",
     ("layer1.weight", (0, 1)), ("layer1.bias", (2,))),
    # two neighbouring layers vary: the first's units spread, then a stack of weights
    ([2, 3, 2, 1], ["tanh", "relu", "sigmoid"], "bce", ("layer1.weight", (1, 0)), ("layer2.weight", (0, 2))),
    # three classes, one output unit varied
    ([2, 4, 3], ["tanh", "identity"], "cross_entropy", ("layer2.weight", (1, 3)), ("layer2.bias", (2,))),
])
def test_every_point_of_a_slice_is_that_net_alone_for_other_nets(sizes, acts, loss, a, b):
    X, Y = bpv.datasets.blobs(36, seed=1) if loss == "cross_entropy" else bpv.datasets.moons(36, seed=1)
    net = bpv.MLP(sizes, acts, seed=2)
    s = loss_slice(net, X, Y, loss, a, b, span=0.6, resolution=5)
    for i, j in [(0, 0), (4, 1), (2, 2), (1, 4), (3, 3)]:
        sd = net.state_dict()
        sd[a[0]][a[1]] = s.a_values[j]
        sd[b[0]][b[1]] = s.b_values[i]
        probe = net.copy()
        probe.load_state_dict(sd)
        assert s.loss[i, j] == pytest.approx(probe.trace(X, Y, loss=loss).loss, rel=1e-12)


def test_the_grid_in_blocks_is_the_net_on_every_point():
    # 40,000 points through 8 x 8 layers go in blocks of 4,096 rows (one thread each)
    from backpropviz.engine.grid import GridEvaluator

    net = bpv.MLP([2, 8, 8, 3], ["tanh", "relu", "identity"], seed=4)
    grid = GridEvaluator((-2, 2), (-1, 3), resolution=200)
    out = grid.evaluate(net)
    assert out.shape == (40_000, 3)
    np.testing.assert_allclose(out, net.forward(grid.points), rtol=1e-12, atol=1e-15)
    for l, H in enumerate(grid.H[1:], 1):  # every layer, every block, the last one too
        np.testing.assert_allclose(H[-7:], net.trace(grid.points[-7:], np.zeros((7, 3)))[f"H{l}"],
                                   rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("a,b", [
    (("layer1.weight", (0, 0)), ("layer1.weight", (2, 1))),   # two units of the first layer
    (("layer1.weight", (1, 0)), ("layer1.bias", (1,))),       # one unit, weight and bias
    (("layer2.weight", (0, 2)), ("layer2.bias", (1,))),       # shared up to a middle layer
    (("layer1.bias", (2,)), ("layer3.weight", (0, 1))),       # varied in two layers
    (("layer3.weight", (0, 0)), ("layer3.bias", (0,))),       # only the output layer
])
def test_every_point_of_a_slice_is_that_net_evaluated_alone(a, b):
    X, Y = bpv.datasets.moons(40, seed=3)
    net = bpv.MLP([2, 3, 2, 1], ["tanh", "relu", "sigmoid"], seed=5)
    s = loss_slice(net, X, Y, "bce", a, b, span=0.7, resolution=5, l2=0.01)
    for i, j in [(0, 0), (4, 1), (2, 2), (1, 4)]:
        sd = net.state_dict()
        sd[a[0]][a[1]] = s.a_values[j]
        sd[b[0]][b[1]] = s.b_values[i]
        probe = net.copy()
        probe.load_state_dict(sd)
        assert s.loss[i, j] == pytest.approx(probe.trace(X, Y, loss="bce", l2=0.01).loss, rel=1e-12)


@pytest.mark.parametrize("k", range(2, 9))
def test_a_class_margin_is_its_probability_minus_its_strongest_rivals(k):
    from backpropviz.drawing.boundary import class_margins

    rng = np.random.default_rng(k)
    probs = rng.dirichlet(np.ones(k), size=40)
    probs[0] = 1.0 / k                  # every class tied
    probs[1] = np.r_[0.4, 0.4, np.full(k - 2, 0.2 / (k - 2))] if k > 2 else 0.5  # the top two tied
    probs[2] = np.nan
    probs[3, k - 1] = np.nan            # one class's score lost: every margin of the row too
    margins = class_margins(probs)
    assert len(margins) == k
    for c in range(k):
        rival = np.array([np.max(np.delete(row, c)) for row in probs])
        assert np.array_equal(margins[c], probs[:, c] - rival, equal_nan=True), c
    assert all(m[0] == 0.0 for m in margins) and margins[0][1] == 0.0 == margins[1][1]
