"""The computation graph: its model and SVG without a frontend, and GraphView driven
headlessly (buttons, ``state.step``, sliders, the quiz)."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.drawing.graph import (MAX_COLS, MAX_ROWS, cell, fmt, graph_caption_html, graph_svg,
                                       shown_shape, trace_graph, value_graph)
from backpropviz.widgets import ChainRuleStepper, ExplorerState, GraphView, WeightSliders

SVG = "{http://www.w3.org/2000/svg}"


def lesson():
    """f = (x + y)·z at x = -2, y = 5, z = -4: the values, by name."""
    x, y, z = bpv.Value(-2.0, label="x"), bpv.Value(5.0, label="y"), bpv.Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return {"x": x, "y": y, "z": z, "q": q, "f": f}


def seed_state() -> ExplorerState:
    X, Y = bpv.datasets.xor()
    return ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=0.75)


def shown(svg: str) -> dict[str, dict[str, str]]:
    """What each box of a scalar graph shows: {name: {"data": ..., "grad": ...}}.
    Parsing also proves the SVG is well-formed XML."""
    root = ET.fromstring(svg)
    out = {}
    for g in root.iter(f"{SVG}g"):
        if "bpv-gnode" not in g.get("class", ""):
            continue
        parts = {}
        for t in g.iter(f"{SVG}text"):
            cls = t.get("class", "")
            if cls in ("bpv-data", "bpv-grad"):
                parts[cls[4:]] = t.text or ""
        out[g.get("data-name")] = parts
    return out


def edge_labels(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "bpv-gedge-label"]


def svg_texts(svg: str) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]


def step_named(graph, name: str) -> int:
    return next(i for i in range(graph.num_steps) if graph.step(i).name == name)


# ---------------------------------------------------------------- the model of a Value expression

def test_one_node_per_value_and_an_edge_from_each_input_labelled_with_the_op():
    v = lesson()
    g = value_graph(v["f"])
    assert [(n.name, n.kind, n.op) for n in g.nodes] == [
        ("x", "input", ""), ("y", "input", ""), ("q", "op", "+"), ("z", "input", ""),
        ("f", "output", "×")]
    names = {n.key: n.name for n in g.nodes}
    assert [(names[e.src], names[e.dst], e.label) for e in g.edges] == [
        ("x", "q", "+"), ("y", "q", "+"), ("q", "f", "×"), ("z", "f", "×")]


def test_steps_go_forward_then_backward_with_the_lessons_numbers():
    v = lesson()
    g = value_graph(v["f"])
    steps = g.steps
    assert [(s.phase, s.name, s.result) for s in steps[:3]] == [
        ("forward", "q", 3.0), ("forward", "f", -12.0), ("backward", "df/df", 1.0)]
    backward = {s.name: s.result for s in steps if s.phase == "backward"}
    assert backward == {"df/df": 1.0, "df/dq": -4.0, "df/dz": 3.0, "df/dx": -4.0, "df/dy": -4.0}
    assert [s.phase for s in steps] == ["forward"] * 2 + ["backward"] * 5
    # each gradient is found after every value it depends on: right to left
    order = [s.name for s in steps[2:]]
    assert order.index("df/dq") < order.index("df/dx") and order.index("df/dq") < order.index("df/dy")
    assert steps[0].formula == "q = x + y = (−2) + 5 = 3"
    assert steps[1].formula == "f = q·z = 3·(−4) = −12"
    dq = steps[step_named(g, "df/dq")]
    assert dq.formula == "df/dq = df/df × ∂f/∂q = 1 × (−4) = −4"
    assert dq.formula_hidden == "df/dq = df/df × ∂f/∂q = 1 × (−4) = ?"
    assert dq.edge_text == (("1", "× (−4)", "= −4"),)
    dx = steps[step_named(g, "df/dx")]
    assert dx.edge_text == (("(−4)", "× 1", "= −4"),)


def test_each_gradient_is_the_sum_over_its_edges_of_upstream_times_local():
    a, b = bpv.Value(4.0, label="a"), bpv.Value(-3.0, label="b")
    u = a * b + a
    u.label = "u"
    g = value_graph(u)
    s = g.step(step_named(g, "du/da"))
    assert len(s.edges) == 2  # a is used twice: two arrows, two terms
    assert sorted(s.edge_text) == [("1", "× (−3)", "= −3"), ("1", "× 1", "= 1")]
    assert s.result == a.grad == -2.0
    assert s.formula.endswith("= 1 × (−3) + 1 × 1 = −2") or s.formula.endswith("= 1 × 1 + 1 × (−3) = −2")
    # a value used twice by one op (x·x) gets both of its slots
    x = bpv.Value(3.0, label="x")
    sq = x * x
    sq.label = "s"
    g = value_graph(sq)
    s = g.step(step_named(g, "ds/dx"))
    assert s.edge_text == (("1", "× 3", "= 3"), ("1", "× 3", "= 3")) and s.result == 6.0


def test_an_unlabelled_input_is_a_constant_without_a_gradient():
    n = bpv.Value(1.0, label="n")
    o = 1 / (1 + (-n).exp())
    o.label = "o"
    g = value_graph(o)
    constants = [node for node in g.nodes if node.kind == "constant"]
    assert [c.name for c in constants] == ["1", "1"] and all(c.grad is None for c in constants)
    assert {g.step(i).node for i in range(g.num_steps)}.isdisjoint(c.key for c in constants)
    assert shown(graph_svg(g))["1"] == {"data": "1"}  # a data line, no grad line


def test_unlabelled_values_are_written_as_their_expression():
    x, y, z = bpv.Value(-2.0, label="x"), bpv.Value(5.0, label="y"), bpv.Value(-4.0, label="z")
    f = (x + y) * z
    assert [n.name for n in value_graph(f).nodes] == ["x", "y", "x + y", "z", "(x + y)·z"]
    d = x - y
    assert [n.name for n in value_graph(d).nodes] == ["x", "y", "−y", "x + (−y)"]
    assert value_graph(d).step(0).formula == "−y = −(5) = −5"
    assert value_graph(d).step(1).formula == "x + (−y) = (−2) + (−5) = −7"
    p = (x * y).exp() / z ** 2
    g = value_graph(p)
    assert g.nodes[-1].name == "exp(x·y) / (z^2)"
    assert g.step(step_named(g, "z^2")).formula == "z^2 = (−4)^2 = 16"
    # a name too long to read (names nest, and can double at every step) is the node's key
    w = bpv.Value(1.0, label="w")
    for _ in range(12):
        w = w * w
    names = [n.name for n in value_graph(w).nodes]
    assert max(map(len, names)) <= 32 and names[-1] == "(n10·n10)·(n10·n10)"
    assert g.step(step_named(g, "dout/d(z^2)")).formula.startswith("dout/d(z^2) = dout/d(exp(x·y) / (z^2)) × ∂(exp(x·y) / (z^2))/∂(z^2)")


def test_a_power_shows_its_exponent():
    x = bpv.Value(2.0, label="x")
    view = GraphView(x ** 3)
    power = view.graph.nodes[-1]
    assert (power.name, power.op) == ("x^3", "^3")
    assert edge_labels(view.svg.value) == ["^3"]  # the current edge, bold
    assert svg_texts(view.svg.value).count("^3") == 2  # and the node's op label
    assert view.graph.step(0).formula == "x^3 = 2^3 = 8"
    # under a label of its own, the exponent is still on the picture: node and edge
    y = x ** 0.5
    y.label = "r"
    svg = graph_svg(value_graph(y))
    assert "r" in shown(svg) and svg_texts(svg).count("^0.5") == 2
    # a zero result: the exponent is the node's, not worked out from its numbers
    z = bpv.Value(0.0, label="z") ** 2
    assert value_graph(z).step(0).formula == "z^2 = 0^2 = 0"


def test_svg_shows_only_what_is_known_at_each_step():
    v = lesson()
    g = value_graph(v["f"])
    first = shown(graph_svg(g, 0))
    assert {k: s["data"] for k, s in first.items()} == {"x": "−2", "y": "5", "q": "3", "z": "−4", "f": ""}
    assert all(s["grad"] == "" for s in first.values())
    assert 'stroke-dasharray' in graph_svg(g, 0)  # f is still an empty, dashed box
    dq = step_named(g, "df/dq")
    at = shown(graph_svg(g, dq))
    known = {s.name for s in g.steps[2:dq + 1]}
    for name in "xyzqf":
        expect = fmt(v[name].grad) if f"df/d{name}" in known else ""
        assert at[name]["grad"] == expect, name
    assert edge_labels(graph_svg(g, dq)) == ["1", "× (−4)", "= −4"]
    last = shown(graph_svg(g, g.num_steps - 1))
    assert [last[n]["grad"] for n in "xyz"] == ["−4", "−4", "3"]
    assert shown(graph_svg(g)) == last  # no step: everything known
    # the current box and its arrow are highlighted
    svg = graph_svg(g, dq)
    assert svg.count('class="bpv-gnode bpv-current"') == 1
    assert re.search(r'class="bpv-gedge bpv-current" data-edge="n2→n4"', svg)


def test_quiz_hides_the_current_result_and_marks_it():
    g = value_graph(lesson()["f"])
    dq = step_named(g, "df/dq")
    svg = graph_svg(g, dq, hide=True, mark=())
    assert shown(svg)["q"]["grad"] == "?"
    assert edge_labels(svg) == ["1", "× (−4)", "= ?"]
    assert "#ffd54f" in svg  # the stepper's quiz mark
    assert "−4" not in graph_caption_html(g, dq, hide=True).split("=")[-1]
    # revealed: the number, still marked
    assert shown(graph_svg(g, dq, mark=()))["q"]["grad"] == "−4"


def test_layout_runs_left_to_right_without_overlaps():
    x, y = bpv.Value(3.0, label="x"), bpv.Value(1.0, label="y")
    s, d = x + y, x - y
    s.label, d.label = "s", "d"
    gv = s * d
    g = value_graph(gv)
    lay = g.layout
    for e, edge in enumerate(g.edges):
        assert lay.layers[edge.src] < lay.layers[edge.dst]
        assert lay.boxes[edge.src].x + lay.boxes[edge.src].w < lay.boxes[edge.dst].x
        # an edge that skips a layer passes through a slot of its own there
        skipped = lay.layers[edge.dst] - lay.layers[edge.src] - 1
        assert len(lay.routes[e]) == 1 + 2 * skipped
    boxes = list(lay.boxes.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert (a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y)
        assert 0 <= a.x and a.x + a.w <= lay.width and 0 <= a.y and a.y + a.h <= lay.height
    # a route through a slot never crosses a box of the layer it passes
    for e, points in lay.routes.items():
        for (px, py) in points[1:]:
            for b in boxes:
                assert not (b.x < px < b.x + b.w and b.y < py < b.y + b.h)


def test_the_lesson_graphs_fit_a_1280_pixel_screen():
    w0, x0 = bpv.Value(2.0, label="w0"), bpv.Value(-1.0, label="x0")
    w1, x1 = bpv.Value(-3.0, label="w1"), bpv.Value(-2.0, label="x1")
    b = bpv.Value(-3.0, label="b")
    n = w0 * x0 + w1 * x1 + b
    n.label = "n"
    e = (-n).exp()
    e.label = "e"
    o = 1 / (1 + e)
    o.label = "o"
    assert value_graph(o).layout.width < 1280 and value_graph(o).layout.height < 400
    assert trace_graph(seed_state().trace).layout.width < 1100
    assert 'max-width:100%' in graph_svg(value_graph(o))  # and it shrinks to fit a narrower page


def test_graph_builders_check_their_argument():
    with pytest.raises(TypeError, match="out must be a bpv.Value expression, got float"):
        value_graph(3.0)
    with pytest.raises(TypeError, match="trace must be a bpv Trace, got Value"):
        trace_graph(bpv.Value(1.0))
    with pytest.raises(IndexError, match="step must be from 0 to 6, got 7"):
        value_graph(lesson()["f"]).step(7)


def test_a_graph_too_big_to_read_is_refused_and_a_wide_one_scrolls():
    x = bpv.Value(0.5, label="x")
    y = x
    for _ in range(200):
        y = (y * 1.001).tanh()
    with pytest.raises(ValueError, match="a graph shows expressions of at most 400 values, got one of 601"):
        value_graph(y)
    with pytest.raises(ValueError, match="at most 400 values"):
        GraphView(y)
    # a deep net at matrix level is wider than a screen: full size, scrolled, never shrunk to
    # unreadable text
    X, Y = bpv.datasets.xor()
    deep = bpv.MLP([2, 8, 8, 8, 8, 1], "tanh", seed=0).trace(X, Y, lr=0.1)
    svg = graph_svg(trace_graph(deep))
    assert trace_graph(deep).layout.width > 1600 and "max-width" not in svg


def test_numbers_are_written_compactly():
    assert [fmt(v) for v in (-4.0, 3.0, 0.0, 0.7310585786, -0.19661193, 1e-7, float("nan"))] == [
        "−4", "3", "0", "0.7311", "−0.1966", "1e−07", "nan"]
    assert [cell(v) for v in (0.18901, -1.07312, 12.3456, -123.45, 4321.0, 2e-5, 0.0, 1e6)] == [
        "0.189", "−1.073", "12.35", "−123.5", "4321", "2e−05", "0.000", "1e+06"]
    assert all(len(cell(v)) <= 6 for v in np.geomspace(1e-9, 1e9, 200) * np.array([1, -1] * 100))


# ---------------------------------------------------------------- the model of a trace

def test_trace_graph_is_derived_from_the_forward_steps(seed_trace):
    g = trace_graph(seed_trace)
    assert [n.key for n in g.nodes] == ["X", "W1", "B1", "Z1", "H1", "W2", "B2", "Z2", "H2", "Y", "loss"]
    assert [(e.src, e.dst) for e in g.edges] == [
        ("X", "Z1"), ("W1", "Z1"), ("B1", "Z1"), ("Z1", "H1"), ("H1", "Z2"), ("W2", "Z2"),
        ("B2", "Z2"), ("Z2", "H2"), ("H2", "loss"), ("Y", "loss")]
    assert g.node("Z1").caption == "X @ W1ᵀ + B1" and g.node("H1").caption == "LeakyReLU(Z1)"
    assert g.node("loss").name == "L" and g.node("loss").grad_name == "dL/dL"
    assert g.node("X").grad is None and g.node("Y").grad is None
    assert np.array_equal(g.node("W1").grad, seed_trace["dL/dW1"])
    assert np.array_equal(g.node("W1").new, seed_trace["new W1"])
    assert g.num_steps == seed_trace.num_steps


def test_each_backward_step_lights_the_edge_its_upstream_comes_along(seed_trace):
    g = trace_graph(seed_trace)
    lit = {}
    for s in g.steps:
        lit[s.name] = (s.node, s.block, [(g.edges[e].src, g.edges[e].dst) for e in s.edges])
    assert lit["Z1"] == ("Z1", "value", [("X", "Z1"), ("W1", "Z1"), ("B1", "Z1")])
    assert lit["loss"] == ("loss", "value", [("H2", "loss"), ("Y", "loss")])
    assert lit["dL/dH2"] == ("H2", "grad", [("H2", "loss")])
    assert lit["dL/dZ2"] == ("Z2", "grad", [("Z2", "H2")])
    assert lit["dL/dH1"] == ("H1", "grad", [("H1", "Z2")])
    assert lit["dL/dW2"] == ("W2", "grad", [("W2", "Z2")])
    assert lit["dL/dB1"] == ("B1", "grad", [("B1", "Z1")])
    assert lit["new W1"] == ("W1", "new", [])
    s = g.step(step_named(g, "dL/dZ2"))
    assert s.edge_text == (("dL/dH2 ⊙ f'(Z2)",),)
    assert s.detail == "upstream dL/dH2 × local dH2/dZ2; shapes: (4, 1) ⊙ (4, 1) = (4, 1)"
    assert s.formula == seed_trace.step("dL/dZ2").text
    for k, spec in enumerate(seed_trace.specs):
        assert np.array_equal(g.step(k).result, seed_trace[spec.name])


def test_trace_svg_shows_values_and_gradients_as_they_become_known(seed_trace):
    g = trace_graph(seed_trace)
    svg = graph_svg(g, 0)
    ET.fromstring(svg)
    assert "−0.494" in svg and "dL/dZ1" not in svg  # Z1[0, 0]; no gradient yet
    dz1 = step_named(g, "dL/dZ1")
    svg = graph_svg(g, dz1)
    assert f">{cell(seed_trace['dL/dZ1'][0, 0])}<" in svg and ">dL/dW1<" not in svg
    svg = graph_svg(g, step_named(g, "dL/dW1"), hide=True, mark=(1, 0))
    assert ">dL/dW1<" in svg and svg.count(">?<") == 4  # the 2x2 gradient, hidden
    assert ">new W1<" not in svg and ">new W1<" in graph_svg(g, step_named(g, "new W1"))


def test_a_matrix_node_shows_its_corner(xor):
    X, Y = bpv.datasets.moons(n=200, seed=0)
    net = bpv.MLP([2, 8, 1], ["tanh", "sigmoid"], seed=0)
    t = net.trace(X, Y, loss="bce")
    g = trace_graph(t)
    svg = graph_svg(g)
    assert f"⋮ {200 - MAX_ROWS} more rows" in svg
    assert "…" in svg  # H1 has 8 columns, the node shows 3
    assert shown_shape(t["H1"]) == (MAX_ROWS, MAX_COLS) and shown_shape(t["B1"]) == (MAX_COLS,)
    assert shown_shape(t["loss"]) == ()
    assert "(200, 8)" in svg


# ---------------------------------------------------------------- GraphView on a Value

def test_buttons_step_forward_and_back():
    v = lesson()
    view = GraphView(v["f"])
    assert view.step == 0 and view.prev_button.disabled and "Step 1 of 7 · forward pass · q" in view.caption.value
    for k in range(1, 7):
        view.next_button.click()
        assert view.step == k
    assert view.next_button.disabled
    assert [shown(view.svg.value)[n]["grad"] for n in "xyz"] == ["−4", "−4", "3"]
    view.next_button.click()  # at the end: nothing happens
    assert view.step == 6 and view.error.value == ""
    view.prev_button.click()
    assert view.step == 5 and not view.next_button.disabled
    view.reset_button.click()
    assert view.step == 0 and shown(view.svg.value)["f"]["data"] == ""
    assert repr(view).startswith("GraphView: Step 1 of 7 · forward pass · q\nq = x + y")


def test_step_is_checked():
    view = GraphView(lesson()["f"])
    with pytest.raises(ValueError, match="step must be from 0 to 6, got 7"):
        view.step = 7
    with pytest.raises(ValueError, match="step must be at least 0"):
        view.step = -1
    assert view.step == 0
    view.step = 4
    assert view.current.name == view.graph.step(4).name


def test_source_must_be_a_value_or_a_state():
    with pytest.raises(TypeError, match="source must be a bpv.Value expression or an ExplorerState, got"):
        GraphView(3.0)
    assert bpv.GraphView is GraphView


def test_quiz_on_a_value_expression():
    view = GraphView(lesson()["f"], quiz=True)
    assert view.hidden() and view.quiz_entry() == ()
    assert "What is <b>q</b>?" in view.prompt.value
    assert shown(view.svg.value)["q"]["data"] == "?"
    assert "= ?" in view.caption.value
    assert view.check("3") is True
    assert "Right!" in view.verdict.value and not view.hidden()
    assert shown(view.svg.value)["q"]["data"] == "3" and view.check_button.disabled
    view.next_button.click()
    assert view.hidden() and view.verdict.value == "" and view.answer.value == ""
    assert view.check("-11") is False  # f = -12: more than 2% off
    assert "Not quite." in view.verdict.value and "f = -12." in view.verdict.value
    view.step = step_named(view.graph, "df/dq")
    assert view.check("−4") is True  # the minus sign a keyboard may type
    view.step = step_named(view.graph, "df/dz")
    assert view.check("three") is None and view.hidden()
    assert "Please type a number" in view.verdict.value
    view.answer.value = "2.95"  # Enter in the box: within 2%
    assert "Right!" in view.verdict.value
    view.step = step_named(view.graph, "df/dx")
    view.reveal_button.click()
    assert not view.hidden() and shown(view.svg.value)["x"]["grad"] == "−4"
    view.quiz_toggle.value = False
    assert view.quiz_box.layout.display == "none" and "?" not in shown(view.svg.value)["x"]["grad"]


def test_callback_errors_are_shown_and_the_view_keeps_working(monkeypatch):
    import backpropviz.widgets.graph as module

    view = GraphView(lesson()["f"])

    def broken(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(module, "graph_svg", broken)
    view.next_button.click()
    assert "Going to the next step failed" in view.error.value and "drawing failed" in view.error.value
    monkeypatch.undo()
    view.next_button.click()
    assert view.error.value == "" and view.step == 2


def test_static_picture_for_viewers_without_widgets():
    view = GraphView(lesson()["f"])
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"].startswith("GraphView: Step 1 of 7")
    assert "<svg" in bundle["text/html"] and "Step 1 of 7" in bundle["text/html"]


def test_importing_the_drawing_loads_no_widget_library():
    code = ("import sys, backpropviz, backpropviz.drawing.graph; "
            "assert 'ipywidgets' not in sys.modules, 'ipywidgets loaded'")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- GraphView on an ExplorerState

def test_follows_the_stepper_both_ways():
    state = seed_state()
    stepper, view = ChainRuleStepper(state), GraphView(state)
    stepper.next_button.click()
    assert view.step == 1 and "Step 2 of 17 · forward pass · H1" in view.caption.value
    view.next_button.click()
    assert state.step == 2 and "Step 3 of 17" in stepper.title.value
    state.step = 7  # dL/dH1
    assert view.current.name == "dL/dH1" and "upstream dL/dZ2 × local W2" in view.caption.value
    assert edge_labels(view.svg.value) == ["dL/dZ2 @ W2"]
    view.reset_button.click()
    assert state.step == 0 and stepper.jump.value == 0


def test_a_slider_move_shows_the_new_numbers_with_one_render():
    state = seed_state()
    sliders, view = WeightSliders(state), GraphView(state)
    state.step = 2  # Z2 = H1 @ W2.T + B2
    renders, svg = view.renders, view.svg.value
    sliders.slider("layer2.bias", (0,)).value = 0.1
    assert view.renders == renders + 1 and view.svg.value != svg
    Z2 = state.trace["Z2"]
    for row in range(4):
        assert f">{cell(Z2[row, 0])}<" in view.svg.value
    assert ">0.100<" in view.svg.value  # B2
    # through the state's own method too, and never stale: the picture is the new trace's
    state.set_parameter("layer1.weight", (0, 0), 0.5)
    assert view.renders == renders + 2
    assert view.svg.value == graph_svg(trace_graph(state.trace), 2)
    # nothing changed: nothing drawn
    state.set_parameter("layer1.weight", (0, 0), 0.5)
    assert view.renders == renders + 2


def test_a_new_net_is_drawn_once_with_the_step_clamped():
    state = seed_state()
    view = GraphView(state, quiz=True)
    state.step = 16
    view.reveal_button.click()
    renders = view.renders
    state.set_architecture([], ["sigmoid"], loss="bce")  # 2-1: fewer steps, step clamped
    assert view.renders == renders + 1
    assert state.step == state.trace.num_steps - 1 == view.step
    assert [n.key for n in view.graph.nodes] == ["X", "W1", "B1", "Z1", "H1", "Y", "loss"]
    assert view.hidden()  # new steps: nothing of them revealed yet
    assert view.svg.value == graph_svg(trace_graph(state.trace), view.step, hide=True,
                                       mark=view.quiz_entry())


def test_an_sgd_step_redraws_from_the_new_trace():
    state = seed_state()
    view = GraphView(state)
    before = view.svg.value
    state.sgd_step()
    assert view.svg.value != before
    assert view.svg.value == graph_svg(trace_graph(state.trace), state.step)


def test_quiz_on_the_matrices():
    state = seed_state()
    view = GraphView(state, quiz=True)
    state.step = 9  # dL/dW2, shape (1, 2)
    entry = view.quiz_entry()
    assert len(entry) == 2 and all(0 <= i < n for i, n in zip(entry, (1, 2)))
    assert f"What is <b>dL/dW2[{entry[0]},{entry[1]}]</b>?" in view.prompt.value
    truth = float(state.trace["dL/dW2"][entry])
    assert view.check(f"{truth * 1.05:.6f}") is False
    state.step = 10
    state.step = 9
    assert not view.hidden()  # a wrong answer revealed it; coming back, it stays revealed
    view.quiz_toggle.value = False
    view.quiz_toggle.value = True
    assert view.hidden() and view.check(f"{truth * 1.01:.6f}") is True
    # the entry asked for is always one the node shows
    for k in range(state.trace.num_steps):
        state.step = k
        value = np.asarray(view.current.result)
        assert all(i < n for i, n in zip(view.quiz_entry(), shown_shape(value)))


def test_in_the_explorer_the_graph_draws_only_while_its_section_is_open():
    X, Y = bpv.datasets.xor()
    explorer = bpv.Explorer(bpv.examples.seed_net(), X, Y, loss="mse", lr=0.75)
    view, state = explorer.graph, explorer.state
    assert isinstance(view, GraphView) and view.svg.value == "" and view.renders == 0
    state.set_parameter("layer2.bias", (0,), 0.2)
    explorer.stepper.next_button.click()
    assert view.renders == 0  # folded: nothing drawn, nothing spent
    explorer.sections.selected_index = explorer.sections.titles.index("Computation graph")
    assert view.active and view.renders == 1
    assert view.svg.value == graph_svg(trace_graph(state.trace), 1) and view.step == 1
    explorer.sliders.slider("layer1.bias", (0,)).value = 0.3
    assert view.renders == 2 and view.svg.value == graph_svg(trace_graph(state.trace), 1)
    explorer.sections.selected_index = None
    explorer.stepper.next_button.click()
    assert not view.active and view.renders == 2
