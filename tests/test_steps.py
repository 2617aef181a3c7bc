"""The trace as an ordered record of board steps."""

import re

import numpy as np
import pytest

import backpropviz as bpv

SEED_ORDER = [
    "Z1", "H1", "Z2", "H2", "loss",
    "dL/dH2", "dL/dZ2", "dL/dH1", "dL/dZ1", "dL/dW2", "dL/dB2", "dL/dW1", "dL/dB1",
    "new W1", "new B1", "new W2", "new B2",
]


def test_steps_come_in_the_seed_order_with_phases(seed_trace):
    steps = seed_trace.steps
    assert [s.name for s in steps] == SEED_ORDER
    assert [s.index for s in steps] == list(range(len(SEED_ORDER)))
    phases = [s.phase for s in steps]
    assert phases == ["forward"] * 4 + ["loss"] + ["backward"] * 8 + ["update"] * 4


def test_steps_without_lr_stop_after_the_backward_pass(seed_net, xor):
    t = seed_net.trace(*xor)
    assert [s.name for s in t.steps] == SEED_ORDER[:13]
    with pytest.raises(ValueError, match="without lr"):
        t.updated_state_dict()


def test_each_step_knows_formula_operands_and_value(seed_trace):
    dz2 = seed_trace.step("dL/dZ2")
    assert dz2.text.startswith("dL/dZ2 = dL/dH2 ⊙ f'(Z2)")
    assert r"\odot" in dz2.latex and r"\frac{\partial L}{\partial Z_{2}}" in dz2.latex
    assert dz2.operands == ("dL/dH2", "dH2/dZ2")
    assert dz2.upstream == "dL/dH2" and dz2.local == "dH2/dZ2"
    assert dz2.value is seed_trace["dL/dZ2"]
    assert dz2.shapes == {"dL/dH2": (4, 1), "dH2/dZ2": (4, 1), "dL/dZ2": (4, 1)}
    ops = dz2.operand_values
    assert np.array_equal(ops["dL/dH2"] * ops["dH2/dZ2"], dz2.value)


@pytest.mark.parametrize("name", SEED_ORDER)
def test_every_step_recomputes_from_its_operands(seed_trace, name):
    """Each step's value follows from its operands by the formula its `op` names."""
    step = seed_trace.step(name)
    o = [seed_trace[k] for k in step.operands]
    lr = seed_trace.lr
    compute = {
        "linear": lambda: o[0] @ o[1].T + o[2],
        "activation": lambda: np.maximum(0.5 * o[0], o[0]),
        "loss": lambda: np.mean((o[0] - o[1]) ** 2),
        "loss_grad": lambda: 2 * (o[0] - o[1]) / o[0].size,
        "hadamard": lambda: o[0] * o[1],
        "matmul": lambda: o[0] @ o[1],
        "outer": lambda: o[0].T @ o[1],
        "sum": lambda: o[0].sum(axis=0),
        "sgd": lambda: o[0] - lr * o[1],
    }[step.op]
    np.testing.assert_allclose(compute(), step.value, rtol=1e-15, atol=1e-15)


def test_deeper_nets_name_every_layer():
    net = bpv.MLP([3, 4, 5, 2], ["relu", "tanh", "identity"], seed=0)
    X = np.random.default_rng(0).normal(size=(6, 3))
    Y = np.random.default_rng(1).normal(size=(6, 2))
    t = net.trace(X, Y, lr=0.1)
    names = [s.name for s in t.steps]
    assert names[:7] == ["Z1", "H1", "Z2", "H2", "Z3", "H3", "loss"]
    assert names[7:13] == ["dL/dH3", "dL/dZ3", "dL/dH2", "dL/dZ2", "dL/dH1", "dL/dZ1"]
    assert names[13:19] == ["dL/dW3", "dL/dB3", "dL/dW2", "dL/dB2", "dL/dW1", "dL/dB1"]
    assert names[19:] == ["new W1", "new B1", "new W2", "new B2", "new W3", "new B3"]
    assert t["dL/dW3"].shape == (2, 5) and t["dL/dB2"].shape == (5,)
    assert "dL/dH0" not in t and "dL/dX" not in t


def test_cross_entropy_records_softmax_probabilities():
    net = bpv.MLP([2, 3], "identity", seed=0)
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    t = net.trace(X, np.array([0, 2]), loss="cross_entropy")
    np.testing.assert_allclose(t["P"].sum(axis=1), 1.0)
    assert "P" in t.step("dL/dH1").operands
    assert t["Y"].tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]


def test_repr_and_finite_flag(seed_trace):
    assert "2-2-1" in repr(seed_trace) and "17 steps" in repr(seed_trace)
    assert seed_trace.finite
    assert "dL/dZ2" in repr(seed_trace.step("dL/dZ2"))
    with pytest.raises(KeyError, match="no 'Z9'"):
        seed_trace["Z9"]


def test_numbers_print_as_the_seed_whatever_the_notebook_set(seed_trace):
    from backpropviz.drawing.matrix import matrix_html

    plain = matrix_html(seed_trace["Z1"])
    with np.printoptions(precision=3, suppress=True, floatmode="fixed"):
        assert matrix_html(seed_trace["Z1"]) == plain
    assert "-0.4939" in plain


def test_the_numbers_keep_each_symbol_with_its_operand(seed_trace):
    # A line may break only between terms: "−" with the operand after it, a closing
    # bracket with the operand before it, "=" with the result.
    from backpropviz.drawing.steps import step_numbers_html

    loss = next(s for s in seed_trace.steps if s.name == "loss")  # Σ (H2 − Y)² / 4 = loss
    page = step_numbers_html(loss, seed_trace)
    terms = page.split('<div class="bpv-term">')[1:]
    assert len(terms) == 3

    def symbols(term):
        return re.findall(r'<div class="bpv-sym">([^<]*)</div>', term)

    assert [symbols(t) for t in terms] == [["Σ ("], ["−", ")² / 4"], ["="]]
    assert '<div class="bpv-operand bpv-result">' in terms[2]
    # the room the row with the most symbols needs beside its matrix, for the matrices' font
    reserve = int(re.search(r'--bpv-reserve: (\d+)px', page).group(1))
    assert reserve == round(20 + len("−") * 9.4 + 10 + len(")² / 4") * 9.4 + 10)


def test_an_identity_activation_step_has_no_function_symbol():
    # "tanh(Z1) = H1", but an identity output layer's H is Z itself: "Z2 = H2"
    from backpropviz.drawing.steps import step_numbers_html

    X, Y = bpv.datasets.blobs(12, classes=3, seed=0)
    t = bpv.MLP([2, 3, 3], ["tanh", "identity"], seed=0).trace(X, Y, loss="cross_entropy")
    pages = {s.layer: step_numbers_html(s, t) for s in t.steps if s.op == "activation"}

    def symbols(page):
        return re.findall(r'<div class="bpv-sym">([^<]*)</div>', page)

    assert symbols(pages[1]) == ["tanh(", ")", "="]
    assert symbols(pages[2]) == ["="]
    assert re.findall(r'class="bpv-name">([^<]*)<', pages[2]) == ["Z2", "H2"]
