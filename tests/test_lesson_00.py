"""Every number notebook 00 states, in its text and in its hidden answers, recomputed
with the engine; and each stated number is checked to be in the notebook's text.

nbval checks what the notebook's cells print; these tests check what its words
claim, so that a change to the engine (or to the text) that breaks a claim fails here.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import backpropviz as bpv
from backpropviz.drawing.graph import value_graph

PATH = Path(__file__).parents[1] / "notebooks" / "00_one_expression.ipynb"
CELLS = json.loads(PATH.read_text(encoding="utf-8"))["cells"]
TEXT = "\n".join("".join(c["source"]) for c in CELLS if c["cell_type"] == "markdown")
ANSWERS = re.findall(r"<details><summary>Answer</summary>(.*?)</details>", TEXT, re.S)


def V(data: float, label: str) -> bpv.Value:
    return bpv.Value(data, label=label)


def says(*phrases: str) -> None:
    """The notebook's text says each of these, word for word."""
    for phrase in phrases:
        assert phrase in TEXT, phrase


def m(x: float) -> str:
    """A number as the text writes it: 4 decimals, a real minus sign."""
    return f"{x:.4f}".replace("-", "−")


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0, abs_tol=5e-5)


def test_the_notebook_has_five_exercises_each_with_a_hidden_answer():
    assert len(re.findall(r"\*\*Exercise \d\.\*\*", TEXT)) == len(ANSWERS) == 5


# ---------------------------------------------------------------- f = (x + y)·z

def test_f_of_x_y_z_by_hand():
    x, y, z = V(-2.0, "x"), V(5.0, "y"), V(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    assert (q.data, f.data) == (3.0, -12.0)
    assert (x.grad, y.grad, z.grad, q.grad, f.grad) == (-4.0, -4.0, 3.0, -4.0, 1.0)
    # the local derivatives the text names, and upstream × local
    assert f.local == (z.data, q.data) == (-4.0, 3.0) and q.local == (1.0, 1.0)
    assert q.grad == f.grad * f.local[0] and x.grad == q.grad * q.local[0]
    says("f = (x + y)·z, with x = −2, y = 5 and z = −4.",
         "Forward: q = x + y = 3, then f = q·z = −12.",
         "∂f/∂q = z = −4 and ∂f/∂z = q = 3", "df/dq = 1 × (−4) = −4",
         "df/dz = 1 × 3 = 3", "df/dx = −4 × 1 = −4 and df/dy = −4 × 1 = −4")


def test_the_graph_fills_q_then_f_then_gradients_from_f_leftwards():
    x, y, z = V(-2.0, "x"), V(5.0, "y"), V(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    g = value_graph(f)
    names = [s.name for s in g.steps]
    assert names[:3] == ["q", "f", "df/df"] and g.step(2).result == 1.0
    layer = {s.name: g.layout.layers[s.node] for s in g.steps[2:]}
    assert list(layer.values()) == sorted(layer.values(), reverse=True)  # right to left
    says("The forward pass fills q, then f. The backward pass starts at f with df/df = 1")


# ---------------------------------------------------------------- the neuron

def neuron(one_op: bool):
    w0, x0, w1, x1, b = V(2.0, "w0"), V(-1.0, "x0"), V(-3.0, "w1"), V(-2.0, "x1"), V(-3.0, "b")
    n = w0 * x0 + w1 * x1 + b
    if one_op:
        o = n.sigmoid()
        parts = {}
    else:
        minus = -n
        e = minus.exp()
        d = 1 + e
        o = 1 / d
        parts = {"minus": minus, "e": e, "d": d}
    o.backward()
    return o, n, parts, {v.label: v.grad for v in (w0, x0, w1, x1, b)}


def test_the_neuron_gate_by_gate():
    o, n, p, grads = neuron(one_op=False)
    says("Take w0 = 2, x0 = −1, w1 = −3, x1 = −2 and b = −3.")
    assert n.data == 2 * -1 + -3 * -2 + -3 == 1.0
    assert close(p["e"].data, 0.3679) and close(p["d"].data, 1.3679) and close(o.data, 0.7311)
    says("n = −2 + 6 − 3 = 1", f"e = e^(−1) = {m(p['e'].data)}", f"o = 1 / 1.368 = {m(o.data)}")
    # each gate's local derivative and what flows back through it, as the text says
    div_local = o.local[1]
    assert close(div_local, -1 / p["d"].data ** 2) and m(div_local) == "−0.5344"
    assert p["d"].grad == div_local and p["d"].local == (1.0, 1.0)  # the add passes it on
    assert p["e"].grad == p["d"].grad
    assert p["e"].local == (p["e"].data,) and m(p["minus"].grad) == "−0.1966"
    assert n.grad == -p["minus"].grad and m(n.grad) == "0.1966"
    says("−1/d² = −0.5344", f"e^(−n) = {m(p['e'].data)}, which gives −0.1966",
         "do/dn = 0.1966")
    assert grads["b"] == n.grad
    assert m(grads["w0"]) == "−0.1966" and close(grads["w0"], n.grad * -1.0)
    assert m(grads["x0"]) == "0.3932" and close(grads["x0"], n.grad * 2.0)
    says("do/db = 0.1966", "do/dw0 = 0.1966 × x0 = −0.1966", "do/dx0 = 0.1966 × w0 = 0.3932")


def test_the_sigmoid_as_one_op_gives_the_same_gradients():
    o_gates, _, _, gates = neuron(one_op=False)
    o_one, n, _, one = neuron(one_op=True)
    assert math.isclose(o_gates.data, o_one.data, rel_tol=1e-15)
    for name in gates:
        assert math.isclose(gates[name], one[name], rel_tol=1e-12), name
    s = o_one.data
    assert o_one.local == (s * (1 - s),) or math.isclose(o_one.local[0], s * (1 - s), rel_tol=1e-15)
    assert m(s) == "0.7311" and m(1 - s) == "0.2689" and m(s * (1 - s)) == "0.1966"
    says("σ'(n) = σ(n)·(1 − σ(n)) = 0.7311 × 0.2689 = 0.1966")


# ---------------------------------------------------------------- the patterns

def test_the_four_patterns():
    a, b, c = V(4.0, "a"), V(-3.0, "b"), V(5.0, "c")
    says("Here they are with a = 4, b = −3 and c = 5:")
    ((a + b) * c).backward()
    assert a.grad == b.grad == c.data == 5.0          # add distributes
    (a * b).backward()
    assert (a.grad, b.grad) == (b.data, a.data)       # multiply swaps
    m_ = (a - b).relu() + b
    m_.backward()
    assert m_.data == max(a.data, b.data) == 4.0 and (a.grad, b.grad) == (1.0, 0.0)  # max routes
    u = a * b + a
    u.label = "u"
    u.backward()
    assert (a.grad, b.grad) == (b.data + 1, a.data) == (-2.0, 4.0)  # branches add
    # the graph's step for a: two arrows, each upstream × local, added in the box
    g = value_graph(u)
    step = next(s for s in g.steps if s.name == "du/da")
    assert sorted(step.edge_text) == [("1", "× (−3)", "= −3"), ("1", "× 1", "= 1")]
    assert step.result == -2.0
    says("(1 × (−3)) + (1 × 1) = −2")


def test_max_is_relu_of_the_difference_plus_b():
    for a, b in [(4.0, -3.0), (2.0, 5.0), (5.0, 2.0), (-1.5, -0.5)]:
        m_ = (V(a, "a") - V(b, "b")).relu() + V(b, "b")
        assert m_.data == max(a, b)
    says("when a > b it is (a − b) + b = a, otherwise 0 + b = b")


# ---------------------------------------------------------------- the exercises

def test_exercise_1():
    x, y, z = V(3.0, "x"), V(-2.0, "y"), V(4.0, "z")
    f = x * y + z
    f.backward()
    assert (f.data, x.grad, y.grad, z.grad) == (-2.0, -2.0, 3.0, 1.0)
    assert "f = 3 × (−2) + 4 = −2" in ANSWERS[0]
    assert "df/dz = 1" in ANSWERS[0] and "df/dx = 1 × y = −2" in ANSWERS[0]
    assert "df/dy = 1 × x = 3" in ANSWERS[0]


def test_exercise_2():
    x, y = V(3.0, "x"), V(1.0, "y")
    s, d = x + y, x - y
    g = s * d
    g.backward()
    assert (s.data, d.data, g.data) == (4.0, 2.0, 8.0)
    assert (s.grad, d.grad) == (d.data, s.data) == (2.0, 4.0)
    assert (x.grad, y.grad) == (2 * 1 + 4 * 1, 2 * 1 + 4 * -1) == (6.0, -2.0)
    assert (x.grad, y.grad) == (2 * x.data, -2 * y.data)  # g = x² − y²
    for phrase in ("s = x + y = 4, d = x − y = 2 and g = s·d = 8", "dg/ds = d = 2 and dg/dd = s = 4",
                   "dg/dx = 2 × 1 + 4 × 1 = 6", "dg/dy = 2 × 1 + 4 × (−1) = −2",
                   "dg/dx = 2x = 6 and dg/dy = −2y = −2"):
        assert phrase in ANSWERS[1], phrase


@pytest.mark.parametrize("a, b, grads", [(2.0, 5.0, (0.0, 1.0)), (5.0, 2.0, (1.0, 0.0))])
def test_exercise_3(a, b, grads):
    A, B = V(a, "a"), V(b, "b")
    r = (A - B).relu()
    m_ = r + B
    m_.backward()
    assert m_.data == 5.0 and (A.grad, B.grad) == grads
    if a < b:
        assert r.data == 0.0 and r.local == (0.0,)
        assert "a − b = −3, so relu gives 0" in ANSWERS[2] and "dm/da = 0, and dm/db = 1" in ANSWERS[2]
    else:
        assert "a − b = 3 and relu passes it on, so m = 3 + 2 = 5 = a" in ANSWERS[2]
        assert "dm/da = 1, and dm/db = 1 × (−1) + 1 = 0" in ANSWERS[2]


def test_exercise_4():
    w, x = V(0.5, "w"), V(2.0, "x")
    u = w * x
    h = u.tanh()
    h.backward()
    local = h.local[0]
    assert u.data == 1.0 and close(local, 1 - math.tanh(1.0) ** 2)
    assert (m(h.data), m(local), m(w.grad), m(x.grad)) == ("0.7616", "0.4200", "0.8399", "0.2100")
    assert math.isclose(w.grad, local * x.data) and math.isclose(x.grad, local * w.data)
    for phrase in ("h = tanh(1) = 0.7616", "1 − 0.7616² = 0.4200", "dh/dw = 0.4200 × x = 0.8399",
                   "dh/dx = 0.4200 × w = 0.2100"):
        assert phrase in ANSWERS[3], phrase


def test_exercise_5():
    w, x, b = V(1.0, "w"), V(-2.0, "x"), V(1.0, "b")
    z = w * x + b
    r = z.relu()
    r.backward()
    assert z.data == -1.0 and r.data == 0.0
    assert (w.grad, x.grad, b.grad) == (0.0, 0.0, 0.0)
    assert "dr/dw = dr/dx = dr/db = 0" in ANSWERS[4]
    # a gradient step (any learning rate) leaves the unit as it was
    assert w.data - 0.5 * w.grad == w.data and b.data - 0.5 * b.grad == b.data


def test_the_quiz_cell_builds_exercise_2():
    source = "\n".join("".join(c["source"]) for c in CELLS if c["cell_type"] == "code")
    assert "bpv.GraphView(g, quiz=True)" in source
    assert "x, y = bpv.Value(3.0, label=\"x\"), bpv.Value(1.0, label=\"y\")" in source
