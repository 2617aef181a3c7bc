"""Showing a slider never changes its weight.

A page (JupyterLab, Notebook 7, Voila, the lite site: every ipywidgets 8
frontend draws a FloatSlider with noUiSlider 15.4) places each value the kernel
sends at a percentage of the slider's range and reads it back from there; when
the read-back differs from what it was given (0.2985 comes back as
0.29849999999999977), it sends it to the kernel, later, as if a hand had moved
the slider. Here a stand-in page does exactly that, headlessly; the kernel must
keep every weight exact, and still take every real move.
"""

from __future__ import annotations

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.widgets import ExplorerState, WeightSliders
from backpropviz.widgets.sliders import page_value

# What real pages sent back (read off the kernel in JupyterLab 4 and in the lite
# site, tests/browser/test_lite.py): the seed's weights on the range -2..2 ...
SEEN_NO_STEP = {0.2985: 0.29849999999999977, -0.5792: -0.5792000000000002,
                0.0913: 0.09129999999999994, 0.4234: 0.4234, -0.4939: -0.4938999999999998,
                0.189: 0.18900000000000006, 0.5266: 0.5266000000000002,
                0.2958: 0.29579999999999984, 0.6358: 0.6358000000000006}
# ... and with step 1 (what a slider without a step became in the lite site)
SEEN_STEP_1 = {0.2985: 0.0, -0.5792: -1.0, 0.0913: 0.0, 0.4234: 0.0, -0.4939: 0.0,
               0.189: 0.0, 0.5266: 1.0, 0.2958: 0.0, 0.6358: 1.0}


class Line:
    """A comm to a page that is there (ipywidgets 8.0 sends nothing without one)."""

    kernel, comm_id = True, "page"

    def send(self, *args, **kwargs) -> None:
        pass

    def close(self, *args, **kwargs) -> None:
        pass

    def on_msg(self, callback) -> None:
        pass


class Page:
    """A stand-in for a page showing the sliders: it reads back every state the
    kernel sends a slider, and queues the read-backs that differ, to deliver them
    when asked (a kernel busy with a cell hears the page only afterwards)."""

    def __init__(self, sliders: WeightSliders) -> None:
        self.outbox: list = []
        self.sent = {key: 0 for key in sliders.sliders}
        for entry, slider in sliders.sliders.items():
            slider.comm = Line()
            self._watch(entry, slider)
            self._place(slider)  # drawing it

    def _watch(self, entry, slider) -> None:
        send_state = slider.send_state

        def sent(key=None):
            send_state(key)
            if key != set():  # (ipywidgets 8.0 sends an empty update after each page message)
                self.sent[entry] += 1
                self._place(slider)

        slider.send_state = sent

    def _place(self, slider) -> None:
        back = page_value(slider.value, slider.min, slider.max, slider.step or 0.0)
        if back != slider.value:
            self.outbox.append((slider, back))

    def deliver(self) -> None:
        """The page's messages arrive, in order; the slider's value after each is
        what the page shows from then on."""
        while self.outbox:
            slider, value = self.outbox.pop(0)
            slider.set_state({"value": value})  # as a message from the page arrives


@pytest.fixture
def state():
    return ExplorerState(bpv.examples.seed_net(), *bpv.datasets.xor(), loss="mse", lr=0.75)


def _weights(state) -> dict:
    return state.net.state_dict()


def _same(a: dict, b: dict) -> bool:
    return all(np.array_equal(a[k], b[k]) for k in a)


def _each_slider_shows_its_weight(sliders) -> bool:
    """Once the page's messages are in, each slider holds (and its page shows)
    its weight as the page reads it."""
    params = sliders.state.trace.parameters()
    return all(s.value == page_value(float(params[n][i]), s.min, s.max, s.step or 0.0)
               for (n, i), s in sliders.sliders.items())


def test_page_value_is_what_real_pages_send_back():
    for value, back in SEEN_NO_STEP.items():
        assert page_value(value, -2.0, 2.0) == back
    for value, back in SEEN_STEP_1.items():
        assert page_value(value, -2.0, 2.0, 1.0) == back
    assert page_value(5.0, -2.0, 2.0) == 2.0 and page_value(-5.0, -2.0, 2.0) == -2.0
    assert page_value(0.5, -2.0, 2.0) == 0.5


def test_no_step_is_sent_as_step_zero(state):
    # A kernel in the browser (Pyodide) drops None from widget messages, and the
    # page then takes the default step, 1: every weight snapped to an integer.
    sliders = WeightSliders(state)
    assert all(s.step == 0 for s in sliders.sliders.values())


def test_showing_the_sliders_changes_no_weight(state):
    seed, revision = _weights(state), state.revision
    sliders = WeightSliders(state)
    page = Page(sliders)
    assert len(page.outbox) == 8  # all of the seed's weights but 0.4234 come back changed
    page.deliver()
    assert _same(_weights(state), seed) and state.revision == revision
    assert sliders.error.value == "" and _each_slider_shows_its_weight(sliders)
    # each slider holds what its page shows, and the kernel sends it nothing more
    assert sliders.slider("layer1.weight", (0, 0)).value == 0.29849999999999977
    state.set_parameter("layer2.bias", (0,), 0.1)
    assert page.sent[("layer1.weight", (0, 0))] == 0


def test_echoes_of_values_shown_earlier_change_nothing(state):
    # notebook 03: a cell moves the bias down its line and back; the page's
    # read-backs of every value arrive after the cell, when the bias is back
    sliders = WeightSliders(state)
    page = Page(sliders)
    seed = _weights(state)
    for b in (0.6358, 0.6, 0.535, 0.5, 0.4):
        state.set_parameter("layer2.bias", (0,), b)
    state.reset()
    page.deliver()
    assert _same(_weights(state), seed) and _each_slider_shows_its_weight(sliders)
    assert state.trace.loss == bpv.examples.seed_net().trace(*bpv.datasets.xor(), loss="mse").loss


def test_a_page_that_hears_a_reset_late_shows_the_reset(state):
    # notebook 04: a cell trains, then resets; the page's read-back of the trained
    # weights arrives after the reset, and ipywidgets confirms the slider's value
    # back to the page: that must be the reset weight, not the trained one
    sliders = WeightSliders(state)
    page = Page(sliders)
    page.deliver()
    seed = _weights(state)
    state.train(100)
    state.reset()
    page.deliver()
    assert _same(_weights(state), seed) and _each_slider_shows_its_weight(sliders)


def test_training_with_a_slow_page_follows_the_net_alone(state):
    twin = ExplorerState(bpv.examples.seed_net(), *bpv.datasets.xor(), loss="mse", lr=0.75)
    sliders = WeightSliders(state)
    page = Page(sliders)
    for _ in range(20):  # the page answers each frame only after the next one
        state.train(5)
        twin.train(5)
        stale = page.outbox[:]
        page.outbox.clear()
        page.deliver()
        page.outbox[:0] = stale
    page.deliver()
    assert _same(_weights(state), _weights(twin)) and _each_slider_shows_its_weight(sliders)


def test_moves_from_the_page_are_taken(state):
    sliders = WeightSliders(state)
    page = Page(sliders)
    for b in (0.6, 0.535):
        state.set_parameter("layer2.bias", (0,), b)
    state.reset()
    page.deliver()
    slider = sliders.slider("layer2.bias", (0,))
    slider.set_state({"value": 0.535})  # typed: a value the cell showed before
    assert _weights(state)["layer2.bias"][0] == 0.535
    slider.set_state({"value": 0.29849999999999977})  # dragged, however close to a shown value
    assert _weights(state)["layer2.bias"][0] == 0.29849999999999977
    page.deliver()
    assert _weights(state)["layer2.bias"][0] == 0.29849999999999977


def test_a_slider_moved_back_to_where_it_stood_moves_the_weight(state):
    # the keyboard: ArrowRight, then ArrowLeft back onto the page's reading of
    # the seed's bias, the very value the page once sent back as an echo
    sliders = WeightSliders(state)
    page = Page(sliders)
    page.deliver()
    slider = sliders.slider("layer2.bias", (0,))
    shown = slider.value
    assert shown == 0.6358000000000006
    for value in (shown + 0.04, shown, shown + 0.04, shown):
        slider.set_state({"value": value})
        assert _weights(state)["layer2.bias"][0] == value
        page.deliver()
        assert _weights(state)["layer2.bias"][0] == value


def test_a_slider_with_a_step_snaps_only_what_it_shows(state):
    sliders = WeightSliders(state, step=0.1)
    seed = _weights(state)
    page = Page(sliders)
    page.deliver()
    assert _same(_weights(state), seed)
    assert sliders.slider("layer1.weight", (0, 1)).value == pytest.approx(-0.6)
    sliders.slider("layer1.weight", (0, 1)).set_state({"value": -0.5})
    assert _weights(state)["layer1.weight"][0, 1] == -0.5


def test_a_range_that_grows_and_shrinks_changes_no_weight(state):
    sliders = WeightSliders(state)
    page = Page(sliders)
    state.set_parameter("layer2.bias", (0,), 7.3)  # the range grows to 16
    state.reset()  # and shrinks back
    page.deliver()  # its read-back of 7.3 arrives clamped to the new range: 2.0
    assert _same(_weights(state), _weights(ExplorerState(bpv.examples.seed_net(),
                                                          *bpv.datasets.xor())))
    assert _each_slider_shows_its_weight(sliders)
    sliders.slider("layer2.bias", (0,)).set_state({"value": 2.0})  # a drag to the end
    assert _weights(state)["layer2.bias"][0] == 2.0


def test_a_divergence_and_the_way_back_change_no_weight(state):
    # notebook 04: training diverges (weights near 1e117 widen the ranges), then
    # "back to before it blew up" and a reset narrow them again; the page's
    # read-backs from the wide ranges arrive when the ranges are narrow again
    sliders = WeightSliders(state)
    page = Page(sliders)
    state.configure(lr=1.0)
    state.train(1000)
    assert max(s.max for s in sliders.sliders.values()) > 1e100
    state.recover()
    recovered = _weights(state)
    page.deliver()
    assert _same(_weights(state), recovered) and _each_slider_shows_its_weight(sliders)
    state.train(50)
    state.reset()
    page.deliver()
    assert _same(_weights(state), _weights(ExplorerState(bpv.examples.seed_net(),
                                                          *bpv.datasets.xor())))
    assert _each_slider_shows_its_weight(sliders)


def test_the_sliders_of_a_former_architecture_are_closed(state):
    # notebook 05: new data with three classes rebuilds the net and its sliders;
    # the page's read-backs for the former sliders must not reach the new weights
    sliders = WeightSliders(state)
    former = list(sliders.sliders.values())
    state.set_architecture([3], ["tanh", "sigmoid"])
    assert all(s.comm is None for s in former)
    assert all(s.comm is not None for s in sliders.sliders.values())


def test_a_typed_value_a_hair_from_the_weight_is_a_move(state):
    # only the exact floats a page reads back are echoes: not anything near the weight
    sliders = WeightSliders(state)
    page = Page(sliders)
    page.deliver()
    state.set_parameter("layer2.bias", (0,), 0.0)
    page.deliver()
    slider = sliders.slider("layer2.bias", (0,))
    # (back to 0 from 5e-324 would be taken for the page's reading of 5e-324, which is 0)
    for value in (1e-300, 5e-324, 0.6358 + 1e-15, 0.6358):
        slider.set_state({"value": value})
        assert _weights(state)["layer2.bias"][0] == value
