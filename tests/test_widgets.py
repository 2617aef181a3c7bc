"""The panels driven headlessly: set slider values, click buttons, read what they show."""

import re

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.widgets import (ChainRuleStepper, Explorer, ExplorerState, GradientDrilldown,
                                 NetworkDiagram, WeightSliders)
from backpropviz.widgets.quiz import parse_answer
from seed_text import SEED_TEXT, SEED_UPDATED


@pytest.fixture
def explorer():
    X, Y = bpv.datasets.xor()
    return Explorer(bpv.examples.seed_net(), X, Y, loss="mse", lr=0.75)


def _go_to(stepper, name):
    stepper.reset_button.click()
    while stepper.state.current_step.name != name:
        stepper.next_button.click()


# ---------------------------------------------------------------- the state

def test_state_recomputes_exactly_once_per_change(explorer):
    state = explorer.state
    seen = []
    state.observe(lambda c: seen.append(c["new"]), "trace")
    r0 = state.revision
    state.set_parameter("layer1.weight", (0, 1), 0.1)
    assert state.revision == r0 + 1 and len(seen) == 1
    state.set_parameter("layer1.weight", (0, 1), 0.1)  # same value: nothing to do
    assert state.revision == r0 + 1
    state.configure(lr=0.5, loss="mse")
    assert state.revision == r0 + 2 and state.lr == 0.5
    state.reset()
    assert state.revision == r0 + 3 and len(seen) == 3


def test_rejected_changes_change_nothing():
    X, Y = bpv.datasets.xor()
    state = ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse")
    before, rev = state.net.state_dict(), state.revision
    with pytest.raises(ValueError, match="needs at least 2 output units"):
        state.configure(loss="cross_entropy")
    with pytest.raises(ValueError, match="lr must be a finite number greater than 0"):
        state.configure(lr=-1)
    with pytest.raises(ValueError, match="value must be a finite number"):
        state.set_parameter("layer1.weight", (0, 0), float("nan"))
    with pytest.raises(ValueError, match=re.escape("must lie within shape (2, 2)")):
        state.set_parameter("layer1.weight", (2, 0), 1.0)
    with pytest.raises(ValueError, match=re.escape("step must be from 0 to 16, got 17")):
        state.step = 17
    with pytest.raises(ValueError, match=re.escape("sample must be a row of X, from 0 to 3, got 9")):
        state.sample = 9
    with pytest.raises(TypeError, match="configure takes lr, loss, batch_size, optimizer"):
        state.configure(learning_rate=0.1)
    assert state.revision == rev and state.loss == "mse" and state.lr == 0.75
    for k, v in state.net.state_dict().items():
        assert np.array_equal(v, before[k])


def test_bce_on_an_output_that_can_leave_0_1_is_refused_before_anything_changes():
    X, Y = bpv.datasets.xor()
    with pytest.raises(ValueError, match="loss='bce' needs a Sigmoid output layer"):
        ExplorerState(bpv.examples.seed_net(), X, Y, loss="bce")
    state = ExplorerState(bpv.examples.seed_net(), X, Y)
    before, rev = state.to_json(), state.revision
    with pytest.raises(ValueError, match="got a LeakyReLU\\(0.5\\) output"):
        state.configure(loss="bce")
    assert state.to_json() == before and state.revision == rev


def test_a_refused_weight_is_shown_put_back_and_the_panel_keeps_working(monkeypatch):
    X, Y = bpv.datasets.xor()
    state = ExplorerState(bpv.examples.seed_net(), X, Y)
    sliders = WeightSliders(state)
    slider = sliders.slider("layer2.bias", (0,))
    before, rev = state.net.state_dict(), state.revision
    real = state.load_state_dict

    def refuse(params):
        raise ValueError("this weight is refused")

    monkeypatch.setattr(state, "load_state_dict", refuse)
    slider.value = 1.9
    assert "Setting the weight failed" in sliders.error.value
    assert "this weight is refused" in sliders.error.value
    assert slider.value == before["layer2.bias"][0] == 0.6358
    assert state.revision == rev
    for k, v in state.net.state_dict().items():
        assert np.array_equal(v, before[k])
    monkeypatch.setattr(state, "load_state_dict", real)
    slider.value = 0.3  # the panel keeps working, and the error goes away
    assert sliders.error.value == "" and state.net.state_dict()["layer2.bias"][0] == 0.3


# ---------------------------------------------------------------- the stepper

def test_stepper_walks_the_whole_seed_step_with_the_seed_numbers(explorer):
    stepper = explorer.stepper
    names = []
    for _ in range(17):
        names.append(explorer.state.current_step.name)
        text = stepper.numbers.value
        key = explorer.state.current_step.name
        if key in SEED_TEXT and key != "loss":
            assert SEED_TEXT[key] in text.replace("&#x27;", "'"), key
        stepper.next_button.click()
    assert names[0] == "Z1" and names[4] == "loss" and names[12] == "dL/dB1" and names[16] == "new B2"
    assert stepper.next_button.disabled and explorer.state.step == 16
    assert SEED_UPDATED["layer2.bias"] in stepper.numbers.value
    stepper.prev_button.click()
    assert explorer.state.current_step.name == "new W2"
    stepper.reset_button.click()
    assert explorer.state.step == 0 and stepper.prev_button.disabled
    assert "0.2631408769381175" in _step_html(explorer, "loss")


def _step_html(explorer, name):
    _go_to(explorer.stepper, name)
    return explorer.stepper.numbers.value


def test_step_shows_formula_shapes_and_roles(explorer):
    html = _step_html(explorer, "dL/dZ2")
    assert "upstream gradient" in html and "local derivative" in html
    assert "shapes: (4, 1) ⊙ (4, 1) = (4, 1)" in html
    assert r"\odot" in explorer.stepper.formula.value
    assert explorer.stepper.title.value == "<b>Step 7 of 17 · backward pass · dL/dZ2</b>"
    html = _step_html(explorer, "dL/dW1")
    assert "shapes: (2, 4) @ (4, 2) = (2, 2)" in html and "dL/dZ1ᵀ" in html


def test_jump_list_moves_the_stepper(explorer):
    stepper = explorer.stepper
    labels = [label for label, _ in stepper.jump.options]
    assert len(labels) == 17 and labels[5].startswith("6. dL/dH2")
    stepper.jump.value = 9
    assert explorer.state.current_step.name == "dL/dW2"
    assert "dL/dW2" in stepper.title.value


def test_latex_is_retypeset_only_when_the_step_changes(explorer):
    formulas = []
    explorer.stepper.formula.observe(lambda c: formulas.append(c["new"]), "value")
    numbers_before = explorer.stepper.numbers.value
    for v in (0.1, 0.2, 0.3):
        explorer.sliders.slider("layer1.weight", (0, 0)).value = v
    assert formulas == [] and explorer.stepper.numbers.value != numbers_before
    explorer.stepper.next_button.click()
    assert len(formulas) == 1


def test_take_the_sgd_step_gives_the_seed_update(explorer):
    explorer.stepper.apply_button.click()
    state = explorer.state.net.state_dict()
    for name, text in SEED_UPDATED.items():
        assert str(state[name]) == text
    # every panel shows the new weights
    assert "0.2682" in repr(explorer.sliders)


# ---------------------------------------------------------------- the quiz

def test_quiz_hides_the_result_and_judges_answers(explorer):
    stepper = explorer.stepper
    stepper.quiz_toggle.value = True
    _go_to(stepper, "dL/dZ1")
    assert stepper.hidden()
    entry = stepper.quiz_entry()
    truth = float(explorer.state.trace["dL/dZ1"][entry])
    html = stepper.numbers.value
    result_block = html[html.rindex("bpv-result"):]
    assert f"{truth:.8f}"[:8] not in result_block and "?" in result_block
    assert "<mark" in result_block
    assert f"dL/dZ1[{entry[0]},{entry[1]}]" in stepper.prompt.value

    assert stepper.check("seven") is None
    assert "Please type a number" in stepper.verdict.value and stepper.hidden()
    assert stepper.error.value == ""

    stepper.answer.value = f"{truth + 0.5:.4f}"  # Enter in the text box
    assert "Not quite." in stepper.verdict.value
    assert not stepper.hidden()
    assert str(explorer.state.trace["dL/dZ1"]).split()[1] in stepper.numbers.value

    stepper.next_button.click()  # the next step is hidden again
    assert stepper.hidden() and stepper.verdict.value == ""
    entry = stepper.quiz_entry()
    truth = float(np.asarray(explorer.state.current_step.value)[entry])
    typed = f"{truth * 1.01:.6f}".replace("-", "−")  # within 2%, typed with a real minus sign
    stepper.answer.value = typed
    stepper.check_button.click()
    assert "Right!" in stepper.verdict.value and not stepper.hidden()


def test_reveal_without_answering(explorer):
    stepper = explorer.stepper
    stepper.quiz_toggle.value = True
    stepper.reveal_button.click()
    assert not stepper.hidden() and "?" not in stepper.numbers.value.split("bpv-result")[1]


@pytest.mark.parametrize("text,value", [
    ("-0.25", -0.25), ("−0.25", -0.25), (" .5 ", 0.5), ("1/4", 0.25), ("0,5", 0.5),
    ("1e-3", 0.001), ("abc", None), ("", None), ("1/0", None), ("inf", None), ("1,2,3", None),
])
def test_answers_are_parsed_kindly(text, value):
    assert parse_answer(text) == value


# ---------------------------------------------------------------- sliders

def _shown(explorer):
    """What each panel shows right now."""
    return {
        "stepper": explorer.stepper.numbers.value,
        "diagram": explorer.diagram.svg.value,
        "drilldown": explorer.drilldown.body.value,
        "gradient": explorer.sliders.gradient("layer2.bias", (0,)),
        "loss": explorer.sliders.loss_label.value,
        "boundary": explorer.boundary.image.value,
    }


def test_a_slider_moves_every_panel(explorer):
    before = _shown(explorer)
    explorer.sliders.slider("layer1.bias", (1,)).value = -0.3
    trace = explorer.state.trace
    assert explorer.state.net.state_dict()["layer1.bias"][1] == -0.3
    fresh = bpv.examples.seed_net()
    sd = fresh.state_dict()
    sd["layer1.bias"][1] = -0.3
    fresh.load_state_dict(sd)
    expected = fresh.trace(*bpv.datasets.xor(), lr=0.75)
    for key in expected:
        assert np.array_equal(trace[key], expected[key]), key
    after = _shown(explorer)
    for panel in before:
        assert after[panel] != before[panel], panel
    assert f"{trace.loss:.6g}" in after["loss"]
    assert "b=−0.300" in after["diagram"]


def test_sliders_are_labelled_and_show_downhill(explorer):
    sliders = explorer.sliders
    labels = [s.description for s in sliders.sliders.values()]
    assert labels == ["layer1.weight[0,0]", "layer1.weight[0,1]", "layer1.weight[1,0]",
                      "layer1.weight[1,1]", "layer1.bias[0]", "layer1.bias[1]",
                      "layer2.weight[0,0]", "layer2.weight[0,1]", "layer2.bias[0]"]
    assert sliders.slider("layer1.weight", (0, 1)).value == -0.5792
    label = sliders.gradient("layer1.weight", (0, 1))
    assert "+0.02296" in label and "◀ downhill" in label
    assert "decreasing this parameter lowers the loss" in label
    assert "downhill ▶" in sliders.gradient("layer2.weight", (0, 0))  # dL/dw < 0


def test_thousand_rapid_slider_changes_leave_a_consistent_state(explorer):
    slider = explorer.sliders.slider("layer2.weight", (0, 1))
    values = np.random.default_rng(0).uniform(-1.5, 1.5, size=1000)
    rev = explorer.state.revision
    for v in values:
        slider.value = float(v)
    final = float(values[-1])
    assert explorer.state.revision == rev + 1000
    assert explorer.state.net.state_dict()["layer2.weight"][0, 1] == final
    expected = explorer.state.net.trace(*bpv.datasets.xor(), lr=0.75)
    for key in expected:
        assert np.array_equal(explorer.state.trace[key], expected[key]), key
    assert f"w={final:.3f}".replace("-", "−") in explorer.diagram.svg.value
    assert repr(explorer.sliders).count(f"{final:.4f}") == 1


def test_back_to_the_start_restores_the_initial_weights_exactly(explorer):
    explorer.sliders.slider("layer1.weight", (1, 1)).value = 1.234
    explorer.stepper.apply_button.click()
    explorer.sliders.reset_button.click()
    seed = bpv.examples.seed_state_dict()
    for k, v in explorer.state.net.state_dict().items():
        assert np.array_equal(v, seed[k])
    assert explorer.sliders.slider("layer1.weight", (1, 1)).value == 0.4234
    assert str(explorer.state.trace["loss"]) == SEED_TEXT["loss"]


def test_sliders_grow_their_range_for_large_weights(explorer):
    w = explorer.state.net.state_dict()
    w["layer2.bias"] = np.array([7.5])
    explorer.state.load_state_dict(w)
    slider = explorer.sliders.slider("layer2.bias", (0,))
    assert slider.value == 7.5 and slider.max >= 7.5 and slider.min <= -7.5
    explorer.sliders.reset_button.click()  # and shrink back when the weight does
    assert slider.value == 0.6358 and (slider.min, slider.max) == (-2.0, 2.0)


# ---------------------------------------------------------------- diagram and drill-down

def test_diagram_shows_the_chosen_sample_and_the_current_step(explorer):
    svg = explorer.diagram.svg.value
    assert svg.startswith("<svg") and svg.count('class="bpv-unit"') == 5
    assert svg.count('class="bpv-edge"') == 6
    assert "Z = −0.494" in svg and "H = −0.247" in svg  # row 0: Z1[0,0], H1[0,0]
    assert 'stroke="#e66100"' in svg and 'stroke="#1f77b4"' in svg  # signs
    explorer.diagram.sample.value = 1
    assert explorer.state.sample == 1
    assert "Z = −1.073" in explorer.diagram.svg.value
    assert explorer.drilldown.sample.value == 1  # the shared sample
    assert "∇Z" not in explorer.diagram.svg.value
    explorer.diagram.show_gradients.value = True
    assert "∇Z = −0.061" in explorer.diagram.svg.value  # dL/dZ1[1,0]


def test_diagram_highlights_what_the_step_touches(explorer):
    _go_to(explorer.stepper, "dL/dW2")
    svg = explorer.diagram.svg.value
    on = re.findall(r'data-edge="(\d,\d,\d)"[^>]*opacity="0.9"', svg)
    assert sorted(on) == ["2,0,0", "2,0,1"]
    _go_to(explorer.stepper, "loss")
    assert 'class="bpv-loss" opacity="1"' in explorer.diagram.svg.value
    explorer.diagram.show_step.value = False
    assert "0.25" not in re.findall(r'data-edge[^>]*opacity="([\d.]+)"', explorer.diagram.svg.value)


def test_drilldown_sums_paths_and_the_batch_mean_is_the_seed_gradient(explorer):
    dd = explorer.drilldown
    dd.entry.value = "layer1.weight[0,1]"
    explorer.state.sample = 3
    body = dd.body.value
    assert "1 path" in body and "dL<sub>3</sub>/dlayer1.weight[0,1]" in body
    dd.mode.value = True
    assert "mean = 0.0229602" in dd.body.value  # the seed's layer1.weight gradient [0,1]
    dd.entry.value = "layer2.bias[0]"
    assert "mean = 0.201665" in dd.body.value


# ---------------------------------------------------------------- errors and standalone panels

def test_a_failing_panel_shows_its_error_and_keeps_working(explorer, monkeypatch):
    diagram = explorer.diagram
    calls = {"n": 0}
    real = diagram._draw

    def flaky():
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("drawing exploded")
        real()

    monkeypatch.setattr(diagram, "_draw", flaky)
    label_before = explorer.sliders.gradient("layer1.weight", (0, 0))
    explorer.sliders.slider("layer1.weight", (0, 0)).value = 0.5
    assert "drawing exploded" in diagram.error.value and "RuntimeError" in diagram.error.value
    # the other panels still heard about the change
    assert explorer.sliders.gradient("layer1.weight", (0, 0)) != label_before
    assert explorer.state.net.state_dict()["layer1.weight"][0, 0] == 0.5
    explorer.sliders.slider("layer1.weight", (0, 0)).value = 0.6
    assert diagram.error.value == "" and "w=0.600" in diagram.svg.value


def test_panels_work_alone_on_a_shared_state():
    X, Y = bpv.datasets.xor()
    state = ExplorerState(bpv.examples.seed_net(), X, Y)
    stepper, diagram = ChainRuleStepper(state), NetworkDiagram(state)
    sliders, drill = WeightSliders(state), GradientDrilldown(state, "layer2.weight", (0, 1))
    stepper.next_button.click()
    assert "H1" in stepper.title.value
    sliders.slider("layer2.weight", (0, 1)).value = -0.7
    assert "w=−0.700" in diagram.svg.value and "layer2.weight[0,1]" in repr(drill)
    with pytest.raises(TypeError, match="state must be an ExplorerState"):
        ChainRuleStepper("state")


def test_explorer_shows_something_readable_without_widgets(explorer):
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("Explorer(ExplorerState(2-2-1 net, loss=mse 0.263141")
    assert "<svg" in bundle["text/html"] and "Step 1 of 17" in bundle["text/html"]


def test_explorer_argument_checks():
    with pytest.raises(TypeError, match="Explorer needs net, X and Y"):
        Explorer()
    with pytest.raises(TypeError, match="net must be a backpropviz MLP"):
        Explorer("net", [[0, 0]], [[0]])
