"""The fast paths of the panels show what the slow ones did: sliders one layer at a
time on a big net, and a landscape drawn as an SVG that is never stale."""

import base64
import dataclasses
import io
import re
from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image

import backpropviz as bpv
from backpropviz.drawing.landscape import (VIRIDIS, colour_range, landscape_svg, log_ticks, loss_rgb,
                                            nice_ticks, png_bytes)
from backpropviz.engine.landscape import loss_slice
from backpropviz.widgets import Explorer, ExplorerState, WeightSliders
from backpropviz.widgets.landscape import LandscapePanel
from backpropviz.widgets.sliders import MAX_SHOWN, entry_label

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def big_state():
    X, Y = bpv.datasets.moons(60, noise=0.1, seed=0)
    return ExplorerState(bpv.MLP([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], seed=0), X, Y,
                         loss="bce", lr=0.5)


def _labels(sliders):
    return [s.description for s in sliders.slider_column.children]


# ---------------------------------------------------------------- sliders, one layer at a time

def test_a_big_net_shows_one_layers_sliders_and_keeps_all_of_them_current(big_state):
    sliders = WeightSliders(big_state)
    assert len(sliders.sliders) == 105 > MAX_SHOWN
    assert sliders.section.layout.display == ""
    assert [label for label, _ in sliders.section.options] == ["layer 1 (24)", "layer 2 (72)", "layer 3 (9)"]
    # layer 1 is on the page, and nothing else
    assert len(_labels(sliders)) == 24 and all(l.startswith("layer1.") for l in _labels(sliders))
    assert sliders.gradient_column.value.count('class="bpv-grad"') == 24
    # a weight of a layer not on the page changes: its slider follows all the same,
    # so the layer, once chosen, shows the current weight
    big_state.set_parameter("layer2.weight", (3, 4), 0.625)
    big_state.train(3)
    sliders.section.value = 2
    assert len(_labels(sliders)) == 72 and all(l.startswith("layer2.") for l in _labels(sliders))
    params = big_state.trace.parameters()
    for slider in sliders.slider_column.children:
        name = slider.description.split("[")[0]
        index = tuple(int(i) for i in slider.description.split("[")[1].rstrip("]").split(","))
        assert slider.value == params[name][index]
    assert sliders.gradient_column.value.count('class="bpv-grad"') == 72
    assert sliders.gradient("layer2.weight", (3, 4)) in sliders.gradient_column.value


def test_a_slider_not_on_the_page_still_moves_its_weight(big_state):
    sliders = WeightSliders(big_state)
    assert sliders.section.value == 1
    slider = sliders.slider("layer3.weight", (0, 5))
    assert slider not in sliders.slider_column.children
    slider.value = -1.25
    assert big_state.net.state_dict()["layer3.weight"][0, 5] == -1.25
    assert sliders.error.value == ""
    assert f"loss = {big_state.trace.loss:.6g}" in sliders.loss_label.value


def test_a_small_net_shows_every_slider_and_no_choice_of_layer():
    state = ExplorerState(bpv.examples.seed_net(), *bpv.datasets.xor())
    sliders = WeightSliders(state)
    assert sliders.section.layout.display == "none"
    assert len(_labels(sliders)) == len(sliders.sliders) == 9


def test_the_chosen_layer_stays_when_the_net_changes(big_state):
    sliders = WeightSliders(big_state)
    sliders.section.value = 2
    big_state.set_architecture([8, 6], ["tanh", "tanh", "sigmoid"])
    assert sliders.section.value == 2
    assert len(_labels(sliders)) == 6 * 8 + 6
    assert all(s.comm is not None for s in sliders.slider_column.children)
    big_state.set_architecture([3], ["tanh", "sigmoid"])  # small again: everything
    assert sliders.section.layout.display == "none" and len(_labels(sliders)) == 13


# ---------------------------------------------------------------- the landscape, drawn as an SVG

@pytest.fixture
def landscape(big_state):
    return LandscapePanel(big_state)


def _window_centre(s):
    mid = len(s.a_values) // 2
    return float(s.a_values[mid]), float(s.b_values[mid])


def _fresh(state, panel):
    """The slice computed from scratch over the panel's window (centred exactly
    where the panel centred it: the grid's middle value can be off by an ulp)."""
    s = panel.slice
    return loss_slice(state.net, state.X, state.trainer.Y, state.loss, s.a, s.b,
                      span=panel.span.value, resolution=panel.resolution, around=panel.window_centre)


def _svg(markup):
    return ElementTree.fromstring(markup)


def _heatmap(svg):
    """The heatmap's pixels (one per grid point, the top row first), from the picture."""
    href = svg.find(f"{SVG}image").get("href")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1]))))


def _point(svg):
    circle = svg.find(f".//{SVG}circle[@class='bpv-landscape-point']")
    return float(circle.get("cx")), float(circle.get("cy"))


def test_the_landscape_redraws_on_every_change_and_is_never_stale(big_state, landscape):
    seen = {landscape.svg.value}
    for entry, value in [(("layer1.weight", (0, 1)), 0.3), (("layer1.weight", (0, 1)), 0.32),
                         (("layer2.weight", (0, 0)), -0.7), (("layer1.bias", (2,)), 0.1)]:
        big_state.set_parameter(*entry, value)
        assert landscape.svg.value not in seen  # a new picture for every change
        seen.add(landscape.svg.value)
        now = big_state.net.state_dict()
        assert landscape.slice.centre == (now["layer1.weight"][0, 0], now["layer1.weight"][0, 1])
        assert landscape.slice.gradient == (big_state.trace.gradients()["layer1.weight"][0, 0],
                                            big_state.trace.gradients()["layer1.weight"][0, 1])
        # the loss over the window as computed from scratch in double precision (the
        # panel's hidden layers run in single: to about a millionth)
        np.testing.assert_allclose(landscape.slice.loss, _fresh(big_state, landscape).loss, rtol=1e-6)
        lo, hi = colour_range(landscape.slice.loss)
        assert np.array_equal(_heatmap(_svg(landscape.svg.value)), loss_rgb(landscape.slice.loss, lo, hi)[::-1])
    big_state.train(2)
    assert landscape.svg.value not in seen
    np.testing.assert_allclose(landscape.slice.loss, _fresh(big_state, landscape).loss, rtol=1e-6)
    assert landscape.error.value == ""


def test_the_window_stays_while_the_point_is_inside_and_follows_it_out(big_state, landscape):
    start = _window_centre(landscape.slice)
    assert landscape.window_centre == pytest.approx(start, abs=1e-12)
    heatmap = _heatmap(_svg(landscape.svg.value))
    b0 = big_state.net.state_dict()["layer1.weight"][0, 1]
    heights = []
    for k in range(1, 6):  # a drag: small steps, the dot moves up across a still window
        big_state.set_parameter("layer1.weight", (0, 1), b0 + 0.05 * k)
        assert _window_centre(landscape.slice) == start
        svg = _svg(landscape.svg.value)
        assert np.array_equal(_heatmap(svg), heatmap)
        heights.append(_point(svg)[1])
    assert np.all(np.diff(heights) < 0)  # up the picture is down the page
    big_state.set_parameter("layer1.weight", (0, 1), b0 + 0.9)  # near the edge: centred again
    assert _window_centre(landscape.slice)[1] == pytest.approx(b0 + 0.9)
    mid = len(landscape.slice.a_values) // 2
    assert landscape.slice.loss[mid, mid] == pytest.approx(big_state.trace.loss, rel=1e-6)


def test_the_landscape_picture_shows_its_colour_scale_axes_and_the_point():
    X, Y = bpv.datasets.xor()
    net = bpv.examples.seed_net()
    s = loss_slice(net, X, Y, "mse", ("layer1.weight", (0, 0)), ("layer2.bias", (0,)), resolution=11)
    lo, hi = colour_range(s.loss)
    assert lo <= s.loss.min() and hi >= s.loss.max()
    svg = _svg(landscape_svg(s))
    assert "layer1.weight[0,0] (across) and layer2.bias[0] (up)" in svg.find(f"{SVG}title").text
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert "layer1.weight[0,0]" in labels and "layer2.bias[0]" in labels and "loss" in labels
    # the heatmap: the lowest loss is the darkest cell, and row 0 (the lowest b) at the bottom
    pixels = _heatmap(svg)
    assert pixels.shape == (11, 11, 3)
    i, j = np.unravel_index(np.argmin(s.loss), s.loss.shape)
    assert tuple(pixels[10 - i, j]) == tuple(loss_rgb(np.array([s.loss.min()]), lo, hi)[0])
    # the point is drawn where the weights are, inside the heatmap's box
    box = svg.find(f"{SVG}rect[@fill='none']")
    x0, y0 = float(box.get("x")), float(box.get("y"))
    x1, y1 = x0 + float(box.get("width")), y0 + float(box.get("height"))
    cx, cy = _point(svg)
    ca, cb = s.centre
    assert cx == pytest.approx(x0 + (ca - s.a_values[0]) / (s.a_values[-1] - s.a_values[0]) * (x1 - x0), abs=0.06)
    assert cy == pytest.approx(y1 - (cb - s.b_values[0]) / (s.b_values[-1] - s.b_values[0]) * (y1 - y0), abs=0.06)


def test_the_loss_colours_are_viridis_on_a_log_scale_and_white_where_there_is_no_loss():
    rgb = loss_rgb(np.array([0.01, 0.1, 1.0, np.nan, -1.0, np.inf]), 0.01, 1.0)
    assert tuple(rgb[0]) == tuple(VIRIDIS[0]) and tuple(rgb[2]) == tuple(VIRIDIS[255])
    assert tuple(rgb[1]) == tuple(VIRIDIS[127])  # halfway on a log scale (255 steps, as every map here)
    assert all(tuple(c) == (255, 255, 255) for c in rgb[3:])
    assert tuple(loss_rgb(np.array([5.0]), 0.01, 1.0)[0]) == tuple(VIRIDIS[255])  # beyond the top
    # a loss of exactly 0 (a saturated sigmoid) is the best there is, not "no loss"
    assert tuple(loss_rgb(np.array([0.0]), 0.01, 1.0)[0]) == tuple(VIRIDIS[0])


def _arrow(svg):
    line = svg.find(f".//{SVG}g[@class='bpv-landscape-arrow']/{SVG}line")
    return [float(line.get(k)) for k in ("x1", "y1", "x2", "y2")]


@pytest.mark.parametrize("gradient", [(0.3, -0.2), (-1.0, 0.0), (0.0, 2.0), (-0.5, -0.5)])
def test_the_arrow_points_downhill(gradient):
    X, Y = bpv.datasets.xor()
    s = loss_slice(bpv.examples.seed_net(), X, Y, "mse", ("layer1.weight", (0, 0)), ("layer2.bias", (0,)),
                   resolution=5)
    x1, y1, x2, y2 = _arrow(_svg(landscape_svg(dataclasses.replace(s, gradient=gradient))))
    ga, gb = gradient
    assert np.sign(x2 - x1) == -np.sign(ga) and np.sign(y2 - y1) == np.sign(gb)  # the page's y is down
    assert np.hypot(x2 - x1, y2 - y1) > 40


def test_each_grid_point_is_the_middle_of_its_cell():
    X, Y = bpv.datasets.xor()
    s = loss_slice(bpv.examples.seed_net(), X, Y, "mse", ("layer1.weight", (0, 0)), ("layer2.bias", (0,)),
                   resolution=5, span=1.0)
    svg = _svg(landscape_svg(s))
    image, box = svg.find(f"{SVG}image"), svg.find(f"{SVG}rect[@fill='none']")
    left, width = float(box.get("x")), float(box.get("width"))
    cell = float(image.get("width")) / 5
    assert float(image.get("x")) == pytest.approx(left - cell / 2, abs=0.01)  # the first point on the edge
    assert cell * 4 == pytest.approx(width, abs=0.02)                       # 5 points, 4 steps
    assert image.get("clip-path") is not None


def test_huge_weights_are_labelled_from_the_middle_of_the_window():
    X, Y = bpv.datasets.xor()
    net = bpv.examples.seed_net()
    sd = net.state_dict()
    sd["layer2.bias"][0] = 1e12
    net.load_state_dict(sd)
    s = loss_slice(net, X, Y, "mse", ("layer1.weight", (0, 0)), ("layer2.bias", (0,)), resolution=5)
    labels = [t.text for t in _svg(landscape_svg(s)).iter(f"{SVG}text")]
    assert "layer2.bias[0] \u2212 1e+12" in labels           # the axis says what its labels count from
    assert "\u22121.0" in labels and "1.0" in labels                 # the ticks: -1 to 1 around it
    assert not any(len(t) > 8 for t in labels if "layer" not in t)  # not 1000000000000.0


def test_a_slice_that_cannot_be_drawn_is_refused_in_words():
    X, Y = bpv.datasets.xor()
    s = loss_slice(bpv.examples.seed_net(), X, Y, "mse", ("layer1.weight", (0, 0)), ("layer2.bias", (0,)),
                   resolution=5)
    with pytest.raises(ValueError, match="not finite anywhere"):
        landscape_svg(dataclasses.replace(s, loss=np.full_like(s.loss, np.nan)))
    # two pictures on one page clip to their own boxes
    assert 'id="a-box"' in landscape_svg(s, uid="a") and 'url(#b-box)' in landscape_svg(s, uid="b")


@pytest.mark.parametrize("lo,hi", [(-0.7, 1.3), (2.0, 2.5), (-1e-3, 1e-3), (-40.0, 60.0), (0.2985, 2.2985),
                                   (0.0, 1.2)])
def test_axis_ticks_are_round_inside_and_few(lo, hi):
    ticks, decimals = nice_ticks(lo, hi)
    assert 2 <= len(ticks) <= 7
    assert ticks[0] >= lo - 1e-12 and ticks[-1] <= hi + 1e-12
    labels = [f"{t:.{decimals}f}" for t in ticks]
    assert len(set(labels)) == len(labels)  # written apart
    steps = np.diff(ticks)
    np.testing.assert_allclose(steps, steps[0])
    mantissa = steps[0] / 10.0 ** np.floor(np.log10(steps[0]))
    assert min(abs(mantissa - m) for m in (1, 2, 2.5, 5)) < 1e-9


@pytest.mark.parametrize("lo,hi,expected", [
    (0.01, 1.0, [0.01, 0.1, 1.0]),
    (0.1, 0.5, [0.1, 0.2, 0.5]),
    (0.562, 0.75, [0.6, 0.65, 0.7, 0.75]),   # less than a factor of 10: even steps
    (0.205, 0.75, [0.3, 0.4, 0.5, 0.6, 0.7]),
    (1e-6, 1e3, [1e-6, 1e-4, 1e-2, 1.0, 1e2]),  # many decades: every other power
])
def test_colour_bar_ticks(lo, hi, expected):
    np.testing.assert_allclose(log_ticks(lo, hi), expected)


def test_png_bytes_round_trip_and_bad_input():
    rgb = np.random.default_rng(0).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    back = np.asarray(Image.open(io.BytesIO(png_bytes(rgb[:, :, :3]))))
    assert np.array_equal(back, rgb[:, :, :3])
    with pytest.raises(ValueError, match="rgb must be a"):
        png_bytes(rgb)


SINGLE_CASES = [  # (net, data, loss, a, b): single precision against double
    (lambda: bpv.examples.seed_net(), bpv.datasets.xor, "mse",
     ("layer1.weight", (0, 0)), ("layer2.bias", (0,))),
    (lambda: bpv.MLP([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], seed=1),
     lambda: bpv.datasets.moons(100, noise=0.1, seed=0), "bce",
     ("layer1.weight", (0, 0)), ("layer1.weight", (3, 1))),
    (lambda: bpv.MLP([2, 6, 5, 3], ["relu", "leaky_relu", "identity"], seed=2),
     lambda: bpv.datasets.blobs(90, classes=3, seed=0), "cross_entropy",
     ("layer1.bias", (2,)), ("layer2.weight", (1, 4))),
    (lambda: bpv.MLP([2, 5, 5, 1], ["sigmoid", "tanh", "identity"], seed=3),
     lambda: bpv.datasets.plane(80, seed=0), "mse",
     ("layer2.weight", (0, 0)), ("layer3.bias", (0,))),
    # both axes in the one hidden layer: the varied units feed the output layer directly
    (lambda: bpv.MLP([2, 4, 1], ["tanh", "sigmoid"], seed=4),
     lambda: bpv.datasets.circle(60, seed=0), "bce",
     ("layer1.weight", (0, 0)), ("layer1.weight", (2, 1))),
]


@pytest.mark.parametrize("make_net, data, loss, a, b", SINGLE_CASES)
def test_a_slice_in_single_precision_is_the_double_precision_loss_to_a_millionth(make_net, data, loss, a, b):
    net, (X, Y) = make_net(), data()
    args = (net, X, Y, loss, a, b)
    double = loss_slice(*args, span=2.0, resolution=9, l2=0.01)
    single = loss_slice(*args, span=2.0, resolution=9, l2=0.01, dtype=np.float32)
    assert single.loss.dtype == np.float64  # the output layer and the loss stay in double
    np.testing.assert_allclose(single.loss, double.loss, rtol=1e-6)
    assert (single.centre, single.gradient) == (double.centre, double.gradient)
    assert not np.array_equal(single.loss, double.loss)  # it did compute in single precision


def test_a_trained_nets_slice_in_single_precision_is_the_double_precision_loss_to_a_few_millionths():
    X, Y = bpv.datasets.moons(100, noise=0.1, seed=0)
    state = ExplorerState(bpv.MLP([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], seed=0), X, Y, loss="bce", lr=0.5)
    state.train(1500)
    assert state.trace.loss < 0.01  # confident: the loss is made of tiny terms
    for a, b in [(("layer1.weight", (0, 0)), ("layer2.weight", (3, 1))),
                 (("layer2.bias", (5,)), ("layer3.weight", (0, 2)))]:
        args = (state.net, X, Y, "bce", a, b)
        double, single = loss_slice(*args, resolution=9), loss_slice(*args, resolution=9, dtype=np.float32)
        np.testing.assert_allclose(single.loss, double.loss, rtol=5e-6)


def test_a_saturated_sigmoid_output_keeps_its_large_loss_in_single_precision():
    # Z of about 25 at the output: float32's sigmoid would round it to exactly 1 and
    # clamp the log at -100; the output activation runs in double, so it does not.
    X, Y = bpv.datasets.moons(40, seed=0)
    net = bpv.MLP([2, 4, 1], ["tanh", "sigmoid"], seed=0)
    state = net.state_dict()
    state["layer2.bias"][0] = 25.0
    net.load_state_dict(state)
    args = (net, X, Y, "bce", ("layer1.weight", (0, 0)), ("layer1.bias", (1,)))
    double, single = loss_slice(*args, resolution=5), loss_slice(*args, resolution=5, dtype=np.float32)
    assert 10 < double.loss.min() and double.loss.max() < 20  # half the rows are class 0: about 25 / 2
    np.testing.assert_allclose(single.loss, double.loss, rtol=1e-6)


def test_a_slice_of_the_output_layer_alone_is_exact_in_either_precision():
    X, Y = bpv.datasets.moons(50, seed=0)
    net = bpv.MLP([2, 4, 1], ["tanh", "sigmoid"], seed=0)
    args = (net, X, Y, "bce", ("layer2.weight", (0, 1)), ("layer2.bias", (0,)))
    np.testing.assert_array_equal(loss_slice(*args, resolution=7, dtype=np.float32).loss,
                                  loss_slice(*args, resolution=7).loss)


def test_a_slice_takes_either_precision_by_any_name_and_refuses_others():
    X, Y = bpv.datasets.xor()
    args = (bpv.examples.seed_net(), X, Y, "mse", ("layer1.weight", (0, 0)), ("layer1.bias", (1,)))
    single = loss_slice(*args, resolution=5, dtype=np.float32).loss
    np.testing.assert_array_equal(loss_slice(*args, resolution=5, dtype="float32").loss, single)
    np.testing.assert_array_equal(loss_slice(*args, resolution=5, dtype=float).loss,
                                  loss_slice(*args, resolution=5).loss)
    for bad, shown in [(np.float16, "<class 'numpy.float16'>"), ("float128x", "'float128x'"), (3, "3"),
                       (np.int64, "<class 'numpy.int64'>"), (None, "None")]:
        with pytest.raises(ValueError, match=rf"dtype must be np.float64 or np.float32, got {re.escape(shown)}$"):
            loss_slice(*args, dtype=bad)


def test_loss_slice_around_is_checked():
    X, Y = bpv.datasets.xor()
    net = bpv.examples.seed_net()
    with pytest.raises(ValueError, match="around must be a pair of finite numbers"):
        loss_slice(net, X, Y, "mse", ("layer1.weight", (0, 0)), ("layer2.bias", (0,)), around=(0.0, np.nan))
    s = loss_slice(net, X, Y, "mse", ("layer1.weight", (0, 0)), ("layer2.bias", (0,)),
                   around=(2.0, -1.0), resolution=5, span=0.5)
    assert s.a_values[0] == 1.5 and s.b_values[-1] == -0.5
    assert s.centre == (net.state_dict()["layer1.weight"][0, 0], net.state_dict()["layer2.bias"][0])


def test_the_explorer_opens_its_landscape_centred_on_the_weights(big_state):
    e = Explorer(state=big_state)
    e.sections.selected_index = e.sections.titles.index("Loss landscape")
    s = e.landscape.slice
    mid = len(s.a_values) // 2
    assert s.loss[mid, mid] == pytest.approx(big_state.trace.loss, rel=1e-6)


def test_a_landscape_that_cannot_be_drawn_hides_the_old_picture_and_comes_back(big_state, landscape, monkeypatch):
    import backpropviz.widgets.landscape as panel_module

    assert landscape.svg.layout.display == "" and landscape.slice is not None
    first_b = landscape.b.value
    landscape.b.value = landscape.a.value  # the same parameter twice: nothing to draw
    assert "choose two different parameters" in landscape.error.value
    assert landscape.svg.layout.display == "none" and landscape.slice is None
    landscape.b.value = first_b
    assert landscape.error.value == "" and landscape.svg.layout.display == ""
    assert entry_label(*landscape.slice.b) == first_b
    # a failure while the weights change: the picture of the old weights goes too
    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(panel_module, "loss_slice", broken)
    big_state.set_parameter("layer2.weight", (0, 0), -0.3)
    assert "out of memory" in landscape.error.value and landscape.svg.layout.display == "none"
    monkeypatch.undo()
    big_state.set_parameter("layer2.weight", (0, 0), -0.2)
    assert landscape.error.value == "" and landscape.svg.layout.display == ""
    np.testing.assert_allclose(landscape.slice.loss, _fresh(big_state, landscape).loss, rtol=1e-6)
