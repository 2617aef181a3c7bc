"""The class notebooks in a real JupyterLab, clicked and dragged like a student would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.widgets import ChainRuleStepper, ExplorerState

from seed_text import SEED_TEXT

from .conftest import (ARTIFACTS, drag, error_outputs, open_and_run, open_explorer, wait_for_change,
                       wait_for_property, wait_for_text)

NOTEBOOKS = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_in_lab_without_errors(lab, page, notebook):
    base, _ = lab
    open_and_run(page, base, notebook)
    assert error_outputs(page) == []
    # widgets rendered as widgets, not as "Error displaying widget" or plain text
    assert page.locator("text=Error displaying widget").count() == 0
    if notebook != "01_xor_by_hand.ipynb":
        assert page.locator(".bpv-stepper, .bpv-explorer, .bpv-graph").count() >= 1


def test_explorer_works_in_notebook_7(notebook7, page):
    base, _ = notebook7
    open_and_run(page, base, "03_drag_the_weights.ipynb", app="notebook")
    assert error_outputs(page) == []
    explorer = page.locator(".bpv-explorer").first
    explorer.locator(".bpv-stepper").scroll_into_view_if_needed()
    stepper = explorer.locator(".bpv-stepper")
    stepper.locator("button", has_text="Next ▶").click()
    page.wait_for_function(
        "() => document.querySelector('.bpv-stepper').innerText.includes('Step 2 of 17')")
    slider = explorer.locator(".widget-slider", has=page.locator("label", has_text="layer2.bias[0]"))
    slider.scroll_into_view_if_needed()
    before = explorer.locator(".bpv-diagram").inner_html()
    readout = slider.locator(".widget-readout")
    assert readout.inner_text() == "0.6358"
    drag(page, slider.locator(".noUi-handle"), -40)
    page.wait_for_function("el => el.innerText !== '0.6358'", arg=readout.element_handle())
    page.wait_for_function(
        "before => document.querySelector('.bpv-explorer .bpv-diagram').innerHTML !== before",
        arg=before)
    page.screenshot(path=str(_artifact("notebook7-explorer.png")))
    # From the keyboard: Notebook 7 keeps the arrow keys for its heading
    # navigation, so the way in is the slider's number: Tab to it, type, Enter.
    slider = explorer.locator(".widget-slider", has=page.locator("label", has_text="layer1.weight[0,1]"))
    slider.locator(".noUi-handle").focus()
    page.keyboard.press("Tab")
    readout = slider.locator(".widget-readout")
    assert readout.evaluate("el => el === document.activeElement")
    shown = stepper.inner_text()  # step 2, H1: it depends on this weight
    page.keyboard.press("Control+A")
    page.keyboard.type("0.25")
    page.keyboard.press("Enter")
    page.wait_for_function(
        """() => {
            const m = document.querySelector('.bpv-explorer .bpv-diagram').innerHTML
                .match(/layer1.weight\\[0,1\\] = ([-0-9.e]+)/);
            return m && parseFloat(m[1]) === 0.25;
        }""")
    wait_for_change(stepper, shown)


#: The stepper's box, its operands' right edges, and each matrix's lines: as NumPy
#: wrote them, and as the page shows them (the pre's height over its line height).
STEPPER_BOXES = """el => {
    const box = el.getBoundingClientRect();
    return {height: Math.round(box.height), right: box.right, width: box.width,
            operands: [...el.querySelectorAll('.bpv-operand')].map(o => o.getBoundingClientRect().right),
            lines: [...el.querySelectorAll('pre.bpv-matrix')].map(p => [
                p.textContent.split('\\n').length,
                Math.round(p.clientHeight / parseFloat(getComputedStyle(p).lineHeight))])};
}"""


def test_the_stepper_keeps_numpys_lines_and_its_height_while_a_slider_moves(lab, page):
    # Notebook 05's 2-8-8-3 net on 240 rows: Z1 (8 columns) is wider than the
    # stepper's column at a projector's size. The browser must not wrap its lines
    # (the student reads the matrix as NumPy prints it), and a number's width must
    # not move the "=" off its row: the panel, and all under it, would jump.
    explorer = open_explorer(page, lab[0], "05_beyond_xor.ipynb", 1280, 720)
    stepper = explorer.locator(".bpv-stepper")
    slider = explorer.locator(".widget-slider", has=page.locator("label", has_text="layer1.weight[0,1]")).first
    handle = slider.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    seen = []
    for key in ["ArrowRight", "ArrowLeft"] * 3:
        before = stepper.inner_text()
        handle.press(key)
        wait_for_change(stepper, before)
        seen.append(stepper.evaluate(STEPPER_BOXES))
    assert "shapes: (240, 2) @ (2, 8) + (8,) = (240, 8)" in stepper.inner_text()  # step 1, Z1
    assert len({s["height"] for s in seen}) == 1, [s["height"] for s in seen]
    for s in seen:
        assert s["lines"] and all(numpy == shown for numpy, shown in s["lines"]), s["lines"]
        assert max(s["operands"]) <= s["right"] + 0.5  # inside the panel: a wide matrix scrolls
        assert s["width"] <= 570  # this column is narrower than NumPy's 75 characters at 13 px
    for pre in stepper.locator("pre.bpv-matrix").all():  # yet every line fits: nothing to scroll
        assert pre.evaluate("p => p.scrollWidth <= p.clientWidth")
    # the next step has symbols on both sides of its operand ("tanh(" and ")"): it fits too
    stepper.locator("button", has_text="Next ▶").click()
    wait_for_text(stepper, "Step 2 of")
    for pre in stepper.locator("pre.bpv-matrix").all():
        assert pre.evaluate("p => p.scrollWidth <= p.clientWidth")
    boxes = stepper.evaluate(STEPPER_BOXES)
    assert max(boxes["operands"]) <= boxes["right"] + 0.5
    stepper.screenshot(path=str(_artifact("stepper-wide-matrix.png")))


def test_next_moves_the_stepper_and_the_diagram(lab, page):
    base, _ = lab
    open_and_run(page, base, "02_step_through_the_chain_rule.ipynb")
    stepper = page.locator(".bpv-stepper").first
    stepper.scroll_into_view_if_needed()
    # (Lab draws a cell's output once it is in view: wait for the stepper to be drawn)
    wait_for_text(stepper, "Step 1 of 17 · forward pass · Z1")
    svg_before = page.locator(".bpv-diagram").first.inner_html()
    stepper.locator("button", has_text="Next ▶").click()
    wait_for_text(stepper, "Step 2 of 17 · forward pass · H1")
    # (the title, the formula and the numbers are widgets of their own)
    wait_for_text(stepper, "shapes: LeakyReLU(0.5)((4, 2)) = (4, 2)")
    # the diagram below follows the shared step (its highlight changes)
    page.wait_for_function(
        "before => document.querySelector('.bpv-diagram').innerHTML !== before", arg=svg_before)
    # the formula is typeset by MathJax, not left as $$...$$
    stepper.locator("mjx-container, .MathJax").first.wait_for()
    stepper.screenshot(path=str(_artifact("stepper-step-2.png")))


def _artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def test_dragging_a_slider_moves_every_panel(lab, page):
    explorer = open_explorer(page, lab[0], "03_drag_the_weights.ipynb", 1680, 1050)
    slider = explorer.locator(".widget-slider", has=page.locator("label", has_text="layer1.weight[0,1]"))
    slider.scroll_into_view_if_needed()
    readout = slider.locator(".widget-readout")
    assert readout.inner_text().replace("\u2212", "-") == "-0.5792"
    # Rendering the sliders must not nudge the weights (a slider that snaps its
    # value to a step would): the kernel still computes the seed's numbers.
    # The kernel hears the page in order, and each panel applies its own
    # updates in order: once the diagram shows a step asked for after the
    # sliders were drawn, any nudge from drawing them has been computed and
    # shown. Then back: both panels are exactly as they were.
    stepper, diagram = explorer.locator(".bpv-stepper"), explorer.locator(".bpv-diagram")
    shown = {"stepper": stepper.inner_text(), "diagram": diagram.inner_html()}
    assert SEED_TEXT["Z1"] in shown["stepper"]
    stepper.locator("button", has_text="Next ▶").click()
    wait_for_property(diagram, "innerHTML", shown["diagram"], same=False)
    assert "layer1.weight[0,1] = -0.5792" in diagram.inner_html()
    stepper.locator("button", has_text="◀ Prev").click()
    wait_for_property(diagram, "innerHTML", shown["diagram"])
    wait_for_property(stepper, "innerText", shown["stepper"])
    before = {
        "boundary": explorer.locator(".bpv-boundary img").first.get_attribute("src"),
        "diagram": explorer.locator(".bpv-diagram").inner_html(),
        "stepper": explorer.locator(".bpv-stepper").inner_text(),
        "sliders": explorer.locator(".bpv-sliders").inner_text(),
    }
    # our sliders ask the compositor for no layers of their own (see STEP_CSS)
    assert slider.evaluate("""el => [
        getComputedStyle(el.querySelector('.noUi-handle')).backfaceVisibility,
        getComputedStyle(el.querySelector('.noUi-origin')).willChange]""") == ["visible", "auto"]
    drag(page, slider.locator(".noUi-handle"), 60, steps=12)
    page.wait_for_function(
        "before => document.querySelector('.bpv-explorer .bpv-diagram').innerHTML !== before",
        arg=before["diagram"])
    value = float(readout.inner_text().replace("\u2212", "-"))
    assert value > -0.5792
    # the kernel's state ends at the slider's final value, and every panel shows it
    page.wait_for_function(
        """v => {
            const m = document.querySelector('.bpv-explorer .bpv-diagram').innerHTML
                .match(/layer1.weight\\[0,1\\] = ([-0-9.e]+)/);
            return m && Math.abs(parseFloat(m[1]) - v) <= 5e-5;
        }""", arg=value)
    wait_for_change(explorer.locator(".bpv-stepper"), before["stepper"])
    page.wait_for_function(
        "before => document.querySelector('.bpv-explorer .bpv-boundary img').src !== before",
        arg=before["boundary"])
    wait_for_change(explorer.locator(".bpv-sliders"), before["sliders"])
    assert error_outputs(page) == []
    explorer.locator(".bpv-stepper").scroll_into_view_if_needed()
    page.screenshot(path=str(_artifact("explorer-after-drag.png")))


def test_quiz_right_and_wrong_in_the_browser(lab, page):
    base, _ = lab
    open_and_run(page, base, "02_step_through_the_chain_rule.ipynb")
    # the same state, headless, tells us the entry asked and its true value
    X, Y = bpv.datasets.xor()
    twin = ChainRuleStepper(ExplorerState(bpv.examples.seed_net(), X, Y), quiz=True)
    entry = twin.quiz_entry()
    truth = float(np.asarray(twin.state.current_step.value)[entry])
    quiz = page.locator(".bpv-stepper").nth(1)
    quiz.scroll_into_view_if_needed()
    # (Lab draws a cell's output once it is in view: wait for the quiz to be drawn)
    wait_for_text(quiz, "What is Z1[")
    box = quiz.locator("input[type=text]")
    box.fill(f"{truth + 1:.4f}")
    box.press("Enter")
    page.wait_for_function(
        "() => document.querySelectorAll('.bpv-stepper')[1].innerText.includes('Not quite.')")
    quiz.locator("button", has_text="Next ▶").click()
    page.wait_for_function(
        "() => document.querySelectorAll('.bpv-stepper')[1].innerText.includes('What is H1[')")
    twin.next_button.click()
    entry = twin.quiz_entry()
    truth = float(np.asarray(twin.state.current_step.value)[entry])
    box.fill(f"{truth:.4f}")
    quiz.locator("button", has_text="Check").click()
    page.wait_for_function(
        "() => document.querySelectorAll('.bpv-stepper')[1].innerText.includes('Right!')")
    quiz.screenshot(path=str(_artifact("quiz-right.png")))
