"""The computation graph in a real JupyterLab, stepped with the mouse.

What a student sees in notebook 00: each Next fills one more box; the forward
values come first, then the gradients from right to left, with the highlighted
arrow showing upstream × local; at the end x, y and z show -4, -4 and 3. In the
Explorer, the graph's section follows the stepper and the sliders.
"""

from __future__ import annotations

import pytest

import backpropviz as bpv
from backpropviz.drawing.graph import cell, fmt

from .conftest import (ARTIFACTS, drag, error_outputs, open_and_run, open_explorer, open_section,
                       wait_for_text)

NOTEBOOK = "00_one_expression.ipynb"


def _lesson_graph() -> bpv.GraphView:
    """The first graph of notebook 00, built headlessly: its steps in order."""
    x, y, z = bpv.Value(-2.0, label="x"), bpv.Value(5.0, label="y"), bpv.Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return bpv.GraphView(f)


def _shown(graph, name: str, part: str) -> str:
    """The text in box ``name``'s data or grad line, as on screen."""
    return graph.locator(f'g.bpv-gnode[data-name="{name}"] .bpv-{part}').text_content()


def _wait_shown(graph, name: str, part: str, text: str) -> None:
    graph.page.wait_for_function(
        "([el, sel, text]) => { const t = el.querySelector(sel); return t && t.textContent === text; }",
        arg=[graph.element_handle(), f'g.bpv-gnode[data-name="{name}"] .bpv-{part}', text])


@pytest.fixture
def lesson(lab, page):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_and_run(page, lab[0], NOTEBOOK)
    page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
    assert error_outputs(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    return page


def test_stepping_the_graph_forward_and_backward(lesson):
    page = lesson
    graph = page.locator(".bpv-graph").first
    graph.scroll_into_view_if_needed()
    wait_for_text(graph, "Step 1 of 7 · forward pass · q")
    wait_for_text(graph, "q = x + y = (−2) + 5 = 3")
    # the inputs are given, q is computed, f is still an empty box, and no gradient yet
    assert [_shown(graph, n, "data") for n in ("x", "y", "z", "q", "f")] == ["−2", "5", "−4", "3", ""]
    assert [_shown(graph, n, "grad") for n in ("x", "y", "z", "q", "f")] == [""] * 5
    # the SVG fits a 1280-pixel screen without scrolling sideways
    box = graph.locator("svg").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
    page.screenshot(path=str(ARTIFACTS / "graph-step-1.png"))

    twin = _lesson_graph()  # the same expression in this process: which box each step fills
    grads: dict[str, str] = {}
    next_button = graph.locator("button", has_text="Next ▶")
    for k in range(1, twin.num_steps):
        next_button.click()
        step = twin.graph.step(k)
        wait_for_text(graph, f"Step {k + 1} of 7")
        node = twin.graph.node(step.node).name
        if step.phase == "forward":
            _wait_shown(graph, node, "data", fmt(step.result))
            continue
        grads[node] = fmt(step.result)
        _wait_shown(graph, node, "grad", grads[node])
        # every gradient found so far is shown, the others are still empty
        for name in ("x", "y", "z", "q", "f"):
            assert _shown(graph, name, "grad") == grads.get(name, ""), (k, name)
        if node != "f":
            # the highlighted arrow: upstream × local = the new gradient
            label = " ".join(graph.locator(".bpv-gedge-label").all_text_contents())
            assert label.endswith(f"= {grads[node]}"), label
            assert "×" in label
        if node == "q":
            assert graph.locator(".bpv-gedge-label").all_text_contents() == ["1", "× (−4)", "= −4"]
            page.screenshot(path=str(ARTIFACTS / "graph-dq.png"))
    # the lesson's numbers, as a person reads them at the end
    assert [_shown(graph, n, "grad") for n in ("x", "y", "z")] == ["−4", "−4", "3"]
    assert next_button.is_disabled()
    # back one step: the last gradient found is gone again; Start empties f
    last = twin.graph.node(twin.graph.step(twin.num_steps - 1).node).name
    graph.locator("button", has_text="◀ Prev").click()
    _wait_shown(graph, last, "grad", "")
    graph.locator("button", has_text="⟲ Start").click()
    wait_for_text(graph, "Step 1 of 7 · forward pass · q")
    _wait_shown(graph, "f", "data", "")


def test_the_quiz_in_the_graph(lesson):
    page = lesson
    # the notebook's last graph (exercise 2), built here too: what it asks, and the truth
    x, y = bpv.Value(3.0, label="x"), bpv.Value(1.0, label="y")
    s = x + y
    s.label = "s"
    d = x - y
    d.label = "d"
    g = s * d
    g.label = "g"
    twin = bpv.GraphView(g).graph
    first, second = twin.step(0), twin.step(1)
    quiz = page.locator(".bpv-graph").last
    quiz.scroll_into_view_if_needed()
    wait_for_text(quiz, f"What is {first.name}?")
    assert _shown(quiz, first.name, "data") == "?"
    box = quiz.locator("input[type=text]")
    box.fill(f"{first.result + 1:g}")
    box.press("Enter")
    wait_for_text(quiz, "Not quite.")
    _wait_shown(quiz, first.name, "data", fmt(first.result))  # revealed
    quiz.locator("button", has_text="Next ▶").click()
    wait_for_text(quiz, f"What is {second.name}?")
    box.fill(f"{second.result:g}")
    quiz.locator("button", has_text="Check").click()
    wait_for_text(quiz, "Right!")
    _wait_shown(quiz, second.name, "data", fmt(second.result))
    quiz.screenshot(path=str(ARTIFACTS / "graph-quiz.png"))


def test_the_explorers_graph_follows_the_stepper_and_the_sliders(lab, page):
    explorer = open_explorer(page, lab[0], "03_drag_the_weights.ipynb", 1280, 720)
    open_section(explorer, "Computation graph")
    graph = explorer.locator(".bpv-graph")
    graph.scroll_into_view_if_needed()
    wait_for_text(graph, "Step 1 of 17 · forward pass · Z1")
    assert "X @ W1ᵀ + B1" in graph.locator('g.bpv-gnode[data-name="Z1"]').text_content()
    # the stepper moves the graph (they share the state's step)
    explorer.locator(".bpv-stepper button", has_text="Next ▶").click()
    wait_for_text(graph, "Step 2 of 17 · forward pass · H1")
    # and the graph moves the stepper
    graph.locator("button", has_text="Next ▶").click()
    wait_for_text(explorer.locator(".bpv-stepper"), "Step 3 of 17")
    # a slider: the graph shows the new bias, as the slider says it is now
    assert _shown(graph, "B2", "data") == "0.636"
    slider = explorer.locator(".widget-slider", has=page.locator("label", has_text="layer2.bias[0]"))
    slider.scroll_into_view_if_needed()
    drag(page, slider.locator(".noUi-handle"), -40)
    readout = slider.locator(".widget-readout")
    page.wait_for_function("el => el.innerText !== '0.6358'", arg=readout.element_handle())
    value = float(readout.inner_text().replace("\u2212", "-"))
    _wait_shown(graph, "B2", "data", cell(value))  # (the picture is new: query it afresh)
    graph.scroll_into_view_if_needed()
    graph.screenshot(path=str(ARTIFACTS / "explorer-graph.png"))
