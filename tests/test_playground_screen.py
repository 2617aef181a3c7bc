"""The Playground: every panel on one state, laid out for one screen, and its
diagram with a map of every unit (the browser test checks the screen itself:
tests/browser/test_keyboard_and_screen.py)."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

import backpropviz as bpv
from backpropviz.drawing.colors import BLUE, ORANGE
from backpropviz.drawing.diagram import MAP_TILE
from backpropviz.widgets import Explorer, ExplorerState, MapDiagram, Playground


@pytest.fixture
def state():
    X, Y = bpv.datasets.circle(120, seed=0)
    return ExplorerState(bpv.MLP([2, 5, 3, 1], ["tanh", "relu", "sigmoid"], seed=2), X, Y,
                         loss="bce", lr=0.5)


def strips(svg: str) -> list[np.ndarray]:
    """The maps of each layer, decoded, as drawn in the SVG."""
    found = re.findall(r'<image id="[^"]+" href="data:image/jpeg;base64,([^"]+)"', svg)
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(b)))).astype(float) for b in found]


def test_every_unit_has_a_map_of_its_output(state):
    m = MapDiagram(state)
    svg = m.svg.value
    maps = strips(svg)
    assert [s.shape[1] for s in maps] == [n * (MAP_TILE + 2) - 2 for n in state.net.sizes]
    assert svg.count("<use ") == sum(state.net.sizes) == 11
    # each unit of layer 1 over the plane: where its output is most positive the
    # map is blue, where most negative orange (white is 0; JPEG keeps that much)
    for k in range(5):
        H = m.grid.H[1][:, k].reshape(MAP_TILE, MAP_TILE)[::-1]  # y up, as drawn
        tile = maps[1][:, k * (MAP_TILE + 2):k * (MAP_TILE + 2) + MAP_TILE]
        r, _, b = tile[np.unravel_index(np.argmax(H), H.shape)]
        assert b - r > 60 and max(BLUE) == BLUE[2], (k, r, b)
        if H.min() < -0.5 * H.max():
            r, _, b = tile[np.unravel_index(np.argmin(H), H.shape)]
            assert r - b > 60 and max(ORANGE) == ORANGE[0], (k, r, b)


def test_the_maps_follow_every_change_of_the_weights(state):
    m = MapDiagram(state)
    before = strips(m.svg.value)
    state.set_parameter("layer1.weight", (0, 0), -2.0)
    after = strips(m.svg.value)
    assert not np.array_equal(before[1][:, :MAP_TILE], after[1][:, :MAP_TILE])
    assert np.array_equal(before[0], after[0])  # the inputs' maps never change
    state.train(20)
    assert "L = " + f"{state.trace.loss:.3f}" in m.svg.value


def test_two_diagrams_on_one_page_name_their_pictures_apart(state):
    a, b = MapDiagram(state), MapDiagram(state)
    ids = [set(re.findall(r'id="([^"]+)"', d.svg.value)) for d in (a, b)]
    assert ids[0] and not ids[0] & ids[1]


def test_a_net_without_a_plane_of_inputs_gets_the_numbered_diagram():
    X = np.random.default_rng(0).normal(size=(10, 3))
    Y = (X[:, :1] > 0).astype(float)
    s = ExplorerState(bpv.MLP([3, 2, 1], ["tanh", "sigmoid"], seed=0), X, Y, loss="bce", lr=0.5)
    m = MapDiagram(s)
    assert "bpv-maps" not in m.svg.value and "Z = " in m.svg.value and m.error.value == ""


def test_the_playground_is_every_panel_on_one_state(state):
    p = Playground(state=state)
    for panel in (p.training, p.maps, p.layer_buttons, p.data, p.boundary, p.stepper, p.drilldown,
                  p.diagram, p.sliders, p.architecture, p.landscape, p.saving, p.graph):
        assert panel.state is state
    # the loss curve sits in the output column, not under the controls
    assert p.training.curve not in p.training.children
    assert "<svg" in p.training.curve.value
    before = p.maps.svg.value
    p.training.step_button.click()
    assert state.trainer.steps == 1 and p.maps.svg.value != before
    p.layer_buttons.add_layer.click()
    assert state.net.sizes == (2, 5, 3, 4, 1) and p.maps.svg.value.count("<use ") == 15
    # the landscape and the graph draw only while their tab is shown
    assert not p.landscape.active
    p.tabs.selected_index = 4
    assert p.landscape.active
    p.tabs.selected_index = 6
    assert not p.landscape.active and p.graph.active
    assert repr(p).startswith("Playground(ExplorerState(2-5-3-4-1 net")


def test_a_playground_and_an_explorer_on_one_state_show_the_same_net(state):
    e, p = Explorer(state=state), Playground(state=state)
    e.sliders.slider("layer2.bias", (0,)).value = 1.5
    assert p.sliders.slider("layer2.bias", (0,)).value == 1.5
    assert "b = 1.500" in p.maps.svg.value


def test_a_playground_needs_a_net_and_data_or_a_state():
    with pytest.raises(TypeError, match="Playground needs net, X and Y"):
        Playground(bpv.examples.seed_net())
    with pytest.raises(TypeError, match="state must be an ExplorerState, got 3"):
        Playground(state=3)


# ---------------------------------------------------------------- notebook 09's exercises

def _lesson_09():
    X, Y = bpv.datasets.circle(200, noise=0.05, seed=0)
    X_train, Y_train, X_test, Y_test = bpv.datasets.train_test_split(X, Y, 0.25, seed=0)
    net = bpv.MLP([2, 1], ["sigmoid"], seed=0)
    return Playground(net, X_train, Y_train, X_test=X_test, Y_test=Y_test, loss="bce", lr=0.5)


def _right(p) -> tuple[int, int]:
    curve = p.state.trainer.curve
    return round(curve.train_acc[-1] * len(p.state.X)), round(curve.test_acc[-1] * len(p.state.X_test))


def test_09_ex1_no_hidden_layer_draws_a_line_and_stalls():
    p = _lesson_09()
    p.state.train(500)
    assert f"{p.state.trace.loss:.3f}" == "0.685" and len(p.state.X) == 150
    assert _right(p)[0] == 94
    p.state.train(500)  # it has stopped falling
    assert f"{p.state.trace.loss:.3f}" == "0.685" and _right(p)[0] == 94


def test_09_ex2_reset_and_one_layer_of_4_tanh_units_solve_the_ring():
    p = _lesson_09()
    p.state.train(500)
    p.training.reset_button.click()
    p.layer_buttons.add_layer.click()
    assert p.state.net.sizes == (2, 4, 1) and [a.name for a in p.state.net.activations] == ["tanh", "sigmoid"]
    assert p.state.trainer.steps == 0
    p.state.train(500)
    assert _right(p) == (150, 48) and len(p.state.X_test) == 50
    assert f"{p.state.trace.loss:.3f}" == "0.110"


def test_09_ex3_the_first_step_lights_the_inputs_and_the_first_layer():
    p = _lesson_09()
    p.layer_buttons.add_layer.click()
    svg = p.maps.svg.value
    lit = set(re.findall(r'data-unit="(\d+),(\d+)" opacity="1"', svg))
    assert lit == {("0", "0"), ("0", "1"), ("1", "0"), ("1", "1"), ("1", "2"), ("1", "3")}
    p.stepper.next_button.click()
    assert set(re.findall(r'data-unit="(\d+),(\d+)" opacity="1"', p.maps.svg.value)) != lit


def test_09_ex4_the_squares_as_features_close_the_ring_with_no_hidden_layer():
    p = _lesson_09()
    p.state.train(500)
    p.training.reset_button.click()
    p.layer_buttons.add_layer.click()
    p.state.train(500)
    p.layer_buttons.remove_layer.click()
    assert p.state.net.sizes == (2, 1)
    p.data.features.toggles["x1^2"].value = True
    p.data.features.toggles["x2^2"].value = True
    assert p.state.net.sizes == (4, 1) and p.state.trainer.steps == 0
    assert len(re.findall(r'data-unit="0,\d"', p.maps.svg.value)) == 4
    p.state.train(500)
    assert _right(p) == (150, 48) and f"{p.state.trace.loss:.3f}" == "0.120"
    # the boundary is one closed curve around the disc: it crosses no edge of the plane
    (segment,) = p.boundary.frame.segments
    (x0, x1), (y0, y1) = p.boundary.plot.grid.xlim, p.boundary.plot.grid.ylim
    np.testing.assert_allclose(segment[0], segment[-1], atol=1e-9)
    assert np.all((segment[:, 0] > x0 + 0.1) & (segment[:, 0] < x1 - 0.1)
                  & (segment[:, 1] > y0 + 0.1) & (segment[:, 1] < y1 - 0.1))


def test_two_data_panels_on_one_state_show_the_same_data(state):
    e, p = Explorer(state=state), Playground(state=state)
    e.data.dataset.value = "plane"
    assert p.data.dataset.value == "plane" and "Regression" in p.data.note.value
    p.data.noise.value = 0.2  # a change in the other panel makes the same data anew
    assert state.data_source["name"] == "plane" and state.data_source["noise"] == 0.2
    assert e.data.noise.value == 0.2 and e.data.dataset.value == "plane"
    assert e.data.error.value == "" and p.data.error.value == ""


def test_moving_the_step_redraws_the_highlight_not_the_maps(state, monkeypatch):
    m = MapDiagram(state)
    drawn = []
    monkeypatch.setattr(m, "_maps", lambda real=m._maps: drawn.append(1) or real())
    before = m.svg.value
    state.step = 3
    state.sample = 2
    assert drawn == [] and m.svg.value != before
    assert strips(m.svg.value)[1].tolist() == strips(before)[1].tolist()
    state.set_parameter("layer1.weight", (0, 0), 1.5)
    assert drawn == [1]



def test_both_diagrams_scale_edges_by_the_largest_finite_weight():
    from backpropviz.drawing.diagram import network_svg, playground_svg, weight_scale

    assert weight_scale(np.array([[0.5, -2.0], [np.inf, np.nan]])) == 2.0
    assert weight_scale(np.array([[np.nan]])) == weight_scale(np.zeros((2, 2))) == 1.0
    # a run driven into inf and NaN: both diagrams still draw every edge, and agree
    X, Y = bpv.datasets.xor()
    state = ExplorerState(bpv.MLP([2, 3, 1], "identity", seed=0), X, Y, lr=1e3)
    while np.all(np.isfinite(state.trace["W1"])):
        state.train(1)
    trace = state.trace
    for svg, (thin, span) in ((network_svg(trace), (0.8, 4.2)),
                              (playground_svg(trace, [""] * 3), (0.6, 3.4))):
        for l in (1, 2):
            W, scale = trace[f"W{l}"], weight_scale(trace[f"W{l}"])
            for (i, j), w in np.ndenumerate(W):
                width = float(re.search(rf'data-edge="{l},{i},{j}"[^>]*stroke-width="([0-9.]+)"', svg)[1])
                want = thin + span * min(abs(w) / scale, 1.0) if np.isfinite(w) else 1.0
                assert width == pytest.approx(want, abs=0.006)
