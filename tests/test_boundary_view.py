"""The boundary's two view options, as TensorFlow Playground has them: discretize
the output, and show or hide the test data."""

from __future__ import annotations

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.widgets import BoundaryPanel, ExplorerState


def _colours(panel) -> int:
    """How many colours the heatmap's grid cells take (before any JPEG)."""
    return len(np.unique(panel.plot.cell_colours, axis=0))


@pytest.fixture
def moons(moons_state):
    return moons_state


def test_discretize_paints_each_point_in_its_class(moons):
    panel = BoundaryPanel(moons)
    assert _colours(panel) > 10  # shaded by how sure the net is
    before = panel.image.value
    panel.discretize.value = True
    assert _colours(panel) == 2 and panel.image.value != before
    # the colour of a cell is its class's: blue where P(class 1) > 0.5
    p = panel.frame.probs[:, 1]
    blue = panel.plot.cell_colours[np.argmax(p)]
    assert all((panel.plot.cell_colours[i] == blue).all() == (p[i] > 0.5) for i in range(0, len(p), 97))
    moons.set_parameter("layer1.weight", (0, 0), 3.0)  # it stays on while the net changes
    assert _colours(panel) == 2
    panel.discretize.value = False
    assert _colours(panel) > 10


def test_discretize_with_three_classes_and_with_regression():
    X, Y = bpv.datasets.blobs(90, seed=0)
    s = ExplorerState(bpv.MLP([2, 5, 3], ["tanh", "identity"], seed=0), X, Y, loss="cross_entropy", lr=0.5)
    panel = BoundaryPanel(s)
    panel.discretize.value = True
    # each cell in the colour of its most likely class, one colour per class
    best = np.argmax(panel.frame.probs, axis=1)
    colour = {}
    for cell, k in enumerate(best):
        colour.setdefault(int(k), tuple(panel.plot.cell_colours[cell]))
        assert tuple(panel.plot.cell_colours[cell]) == colour[int(k)]
    assert len(set(colour.values())) == len(colour) == _colours(panel) >= 2
    X, Y = bpv.datasets.plane(80, seed=0)
    r = ExplorerState(bpv.MLP([2, 4, 1], ["tanh", "identity"], seed=0), X, Y, loss="mse", lr=0.3)
    panel = BoundaryPanel(r)
    assert _colours(panel) > 10
    panel.discretize.value = True
    assert _colours(panel) <= 3  # the sign of the value (and 0 itself, if met)


def test_show_test_data_hides_the_triangles_and_their_crosses(moons):
    panel = BoundaryPanel(moons)
    with_test = panel.plot.marker_pixels
    crosses = len(panel.plot.wrong.get_offsets())
    panel.show_test.value = False
    assert panel.plot.marker_pixels < with_test
    assert len(panel.plot.wrong.get_offsets()) == panel.frame.wrong_train <= crosses
    panel.show_test.value = True
    assert panel.plot.marker_pixels == with_test


def test_show_test_data_is_greyed_without_test_rows():
    X, Y = bpv.datasets.xor()
    panel = BoundaryPanel(ExplorerState(bpv.examples.seed_net(), X, Y))
    assert panel.show_test.disabled


def test_bad_view_options_are_refused_and_change_nothing(moons):
    panel = BoundaryPanel(moons)
    with pytest.raises(TypeError, match="discretize must be True or False, got 'yes'"):
        panel.plot.set_view(discretize="yes")
    with pytest.raises(TypeError, match="show_test must be True or False, got 1"):
        panel.plot.set_view(show_test=1)
    assert panel.plot.discretize is False and panel.plot.show_test is True


def test_a_plane_that_cannot_be_drawn_shows_no_old_picture(moons):
    panel = BoundaryPanel(moons)
    assert panel.image.layout.display != "none" and panel.frame is not None
    moons.set_data(moons.X, np.full((len(moons.X), 1), 0.3))  # numbers under BCE: no boundary
    assert "not classes" in panel.summary.value
    assert panel.image.layout.display == "none" and panel.units.layout.display == "none"
    assert panel.frame is None and "<img" not in panel.static_html()
    X, Y = bpv.datasets.moons(80, seed=0)
    moons.set_data(X, Y)
    assert panel.image.layout.display == "" and panel.frame is not None
    assert panel.units_title.layout.display == ""
