"""+ and − beside the diagram: layers and units, as TensorFlow Playground has them."""

from __future__ import annotations

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.widgets import Explorer
from backpropviz.widgets.state import MAX_HIDDEN_LAYERS, MAX_WIDTH


@pytest.fixture
def explorer():
    X, Y = bpv.datasets.circle(60, seed=0)
    net = bpv.MLP([2, 3, 1], ["tanh", "sigmoid"], seed=5)
    return Explorer(net, X, Y, loss="bce", lr=0.5)


def test_units_and_layers_change_the_net_and_every_panel(explorer):
    b, state = explorer.layer_buttons, explorer.state
    b.more[0].click()
    assert state.net.sizes == (2, 4, 1)
    b.add_layer.click()
    assert state.net.sizes == (2, 4, 4, 1)
    # the new layer takes the activation before it; the output keeps its own
    assert [a.name for a in state.net.activations] == ["tanh", "tanh", "sigmoid"]
    assert state.net.seed == 5
    b.fewer[1].click()
    b.fewer[1].click()
    assert state.net.sizes == (2, 4, 2, 1)
    # the Architecture section, the diagram and the sliders follow
    a = explorer.architecture
    assert a.layers.value == 2 and [w.value for w in a.widths[:2]] == [4, 2]
    assert len(explorer.sliders.sliders) == 4 * 2 + 4 + 2 * 4 + 2 + 2 + 1
    assert "layer 2: 2 units" in b.counts[1].value and b.groups[1].layout.display == ""
    assert b.groups[2].layout.display == "none"
    b.remove_layer.click()
    b.remove_layer.click()
    assert state.net.sizes == (2, 1)
    assert b.remove_layer.disabled and all(g.layout.display == "none" for g in b.groups)
    assert b.error.value == ""
    # the net built is the one the Architecture section would build
    twin = bpv.MLP([2, 1], ["sigmoid"], seed=5)
    assert np.array_equal(state.net.state_dict()["layer1.weight"], twin.state_dict()["layer1.weight"])


def test_the_buttons_stop_at_the_playgrounds_limits(explorer):
    b, state = explorer.layer_buttons, explorer.state
    for _ in range(MAX_HIDDEN_LAYERS + 2):
        if not b.add_layer.disabled:
            b.add_layer.click()
    assert len(state.net.sizes) - 2 == MAX_HIDDEN_LAYERS == 6 and b.add_layer.disabled
    for _ in range(MAX_WIDTH + 2):
        if not b.more[5].disabled:
            b.more[5].click()
    assert state.net.sizes[6] == MAX_WIDTH and b.more[5].disabled
    assert b.fewer[0].disabled is False
    for _ in range(5):
        if not b.fewer[0].disabled:
            b.fewer[0].click()
    assert state.net.sizes[1] == 1 and b.fewer[0].disabled
    # a press the buttons would not offer changes nothing
    before = state.net.sizes
    b._on_units(0, -1)
    assert state.net.sizes == before and b.error.value == ""


def test_a_refused_net_is_shown_and_changes_nothing(explorer, monkeypatch):
    b, state = explorer.layer_buttons, explorer.state
    before, revision = state.net.sizes, state.revision

    def refuse(*args, **kwargs):
        raise ValueError("hidden must be refused for this test")

    monkeypatch.setattr(state, "set_architecture", refuse)
    b.more[0].click()
    assert "refused for this test" in b.error.value
    assert state.net.sizes == before and state.revision == revision
    monkeypatch.undo()
    b.more[0].click()  # the panel keeps working
    assert state.net.sizes == (2, 4, 1) and b.error.value == ""
