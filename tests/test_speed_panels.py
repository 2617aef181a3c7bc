"""The fast paths of the panels show what the slow ones did: sliders one layer at a
time on a big net, and a landscape figure that is reused but never stale."""

import io

import numpy as np
import pytest
from PIL import Image

import backpropviz as bpv
from backpropviz.drawing.landscape import LandscapePlot, png_bytes
from backpropviz.engine.landscape import loss_slice
from backpropviz.widgets import Explorer, ExplorerState, WeightSliders
from backpropviz.widgets.landscape import LandscapePanel
from backpropviz.widgets.sliders import MAX_SHOWN


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


# ---------------------------------------------------------------- the landscape, reused

@pytest.fixture
def landscape(big_state):
    return LandscapePanel(big_state)


def _window_centre(s):
    mid = len(s.a_values) // 2
    return float(s.a_values[mid]), float(s.b_values[mid])


def _fresh(state, panel):
    """The slice computed from scratch over the panel's window."""
    s = panel.slice
    return loss_slice(state.net, state.X, state.trainer.Y, state.loss, s.a, s.b,
                      span=panel.span.value, resolution=panel.resolution, around=_window_centre(s))


def test_the_landscape_reuses_its_figure_and_redraws_on_every_change(big_state, landscape):
    figure = landscape.plot.figure
    seen = {landscape.image.value}
    for entry, value in [(("layer1.weight", (0, 1)), 0.3), (("layer1.weight", (0, 1)), 0.32),
                         (("layer2.weight", (0, 0)), -0.7), (("layer1.bias", (2,)), 0.1)]:
        big_state.set_parameter(*entry, value)
        assert landscape.plot.figure is figure
        assert landscape.image.value not in seen  # a new picture for every change
        seen.add(landscape.image.value)
        now = big_state.net.state_dict()
        assert landscape.slice.centre == (now["layer1.weight"][0, 0], now["layer1.weight"][0, 1])
        assert landscape.slice.gradient == (big_state.trace.gradients()["layer1.weight"][0, 0],
                                            big_state.trace.gradients()["layer1.weight"][0, 1])
        np.testing.assert_allclose(landscape.slice.loss, _fresh(big_state, landscape).loss, rtol=1e-9)
    big_state.train(2)
    assert landscape.image.value not in seen
    np.testing.assert_allclose(landscape.slice.loss, _fresh(big_state, landscape).loss, rtol=1e-9)
    assert landscape.error.value == ""


def test_the_window_stays_while_the_point_is_inside_and_follows_it_out(big_state, landscape):
    start = _window_centre(landscape.slice)
    redraws = landscape.plot.redraws
    b0 = big_state.net.state_dict()["layer1.weight"][0, 1]
    for k in range(1, 6):  # a drag: small steps, the dot moves across a still window
        big_state.set_parameter("layer1.weight", (0, 1), b0 + 0.05 * k)
        assert _window_centre(landscape.slice) == start
    assert landscape.plot.redraws == redraws  # nothing but the dot and the arrow drawn again
    big_state.set_parameter("layer1.weight", (0, 1), b0 + 0.9)  # near the edge: centred again
    assert _window_centre(landscape.slice)[1] == pytest.approx(b0 + 0.9)
    mid = len(landscape.slice.a_values) // 2
    assert landscape.slice.loss[mid, mid] == pytest.approx(big_state.trace.loss, rel=1e-12)


def test_the_landscape_picture_shows_its_colour_scale_and_the_point():
    X, Y = bpv.datasets.xor()
    net = bpv.examples.seed_net()
    s = loss_slice(net, X, Y, "mse", ("layer1.weight", (0, 0)), ("layer2.bias", (0,)), resolution=11)
    plot = LandscapePlot()
    lo, hi = plot.colour_range(s.loss)
    assert lo <= s.loss.min() and hi >= s.loss.max()
    image = np.asarray(Image.open(io.BytesIO(plot.update(s))))
    assert (plot.norm.vmin, plot.norm.vmax) == (lo, hi)
    assert image.shape == (380, 440, 3)
    # the point is drawn where the weights are: its red is in the picture
    assert np.any(np.all(image == (255, 82, 82), axis=-1))


def test_png_bytes_round_trip_and_bad_input():
    rgb = np.random.default_rng(0).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    back = np.asarray(Image.open(io.BytesIO(png_bytes(rgb[:, :, :3]))))
    assert np.array_equal(back, rgb[:, :, :3])
    with pytest.raises(ValueError, match="rgb must be a"):
        png_bytes(rgb)


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
    assert s.loss[mid, mid] == pytest.approx(big_state.trace.loss, rel=1e-12)
