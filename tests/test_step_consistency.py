"""Every step of every trace says how it was computed, and that is how it was computed.

For each activation x loss x depth (1 to 3 weight layers), each step's operands,
combined as its ``op`` and its formula say, reproduce its value. The reference
arithmetic here is written out independently of the engine (its activations,
losses and derivatives are not used), so a step whose formula and numbers drift
apart fails. The count N that the stepper prints for the loss and its gradient is
checked against the division that reproduces the numbers.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.drawing.steps import count_line, loss_count, shapes_line

ROWS, INPUTS, OUTPUTS = 5, 3, 2
HIDDEN = {1: [], 2: [4], 3: [4, 3]}  # depth (weight layers) -> hidden widths
LR = 0.3

ACTIVATIONS = {
    "relu": (bpv.ReLU(), lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "leaky_relu(0.5)": (bpv.LeakyReLU(0.5), lambda z: np.where(z > 0, z, 0.5 * z),
                        lambda z: np.where(z > 0, 1.0, 0.5)),
    "leaky_relu(0.01)": (bpv.LeakyReLU(), lambda z: np.where(z > 0, z, 0.01 * z),
                         lambda z: np.where(z > 0, 1.0, 0.01)),
    "tanh": (bpv.Tanh(), np.tanh, lambda z: 1.0 / np.cosh(z) ** 2),
    "sigmoid": (bpv.Sigmoid(), lambda z: 1.0 / (1.0 + np.exp(-z)),
                lambda z: np.exp(-z) / (1.0 + np.exp(-z)) ** 2),
    "identity": (bpv.Identity(), lambda z: z + 0.0, lambda z: np.ones_like(z)),
}
SIGMOID = ACTIVATIONS["sigmoid"]


def _softmax(H: np.ndarray) -> np.ndarray:
    e = np.exp(H - H.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _loss(name: str, H: np.ndarray, Y: np.ndarray) -> float:
    if name == "mse":
        return float(np.sum((H - Y) ** 2) / Y.size)
    if name == "bce":
        return float(-np.sum(Y * np.log(H) + (1 - Y) * np.log(1 - H)) / Y.size)
    return float(-np.sum(Y * np.log(_softmax(H))) / len(Y))


def _loss_grad(name: str, H: np.ndarray, Y: np.ndarray, N: int) -> np.ndarray:
    """dL/dH as the step's formula writes it, with the N the stepper prints."""
    if name == "mse":
        return 2 * (H - Y) / N
    if name == "bce":
        return (H - Y) / (N * H * (1 - H))
    return (_softmax(H) - Y) / N


def _case(act: str, loss: str, depth: int):
    """The net, X, Y and per-layer reference (f, f') for one combination."""
    n_layers = depth
    layer_acts = [ACTIVATIONS[act]] * n_layers
    if loss == "bce":  # BCE needs probabilities: a sigmoid output layer
        layer_acts[-1] = SIGMOID
    seed = CASES.index((act, loss, depth))
    rng = np.random.default_rng(seed)
    net = bpv.MLP([INPUTS, *HIDDEN[depth], OUTPUTS], [a[0] for a in layer_acts], seed=seed)
    X = rng.normal(size=(ROWS, INPUTS))
    if loss == "mse":
        Y = rng.normal(size=(ROWS, OUTPUTS))
    elif loss == "bce":
        Y = rng.uniform(size=(ROWS, OUTPUTS))
    else:
        Y = np.array([0, 1, 1, 0, 1])  # class labels; the trace holds them one-hot
    return net, X, Y, [(a[1], a[2]) for a in layer_acts]


CASES = [(act, loss, depth) for act in ACTIVATIONS for loss in ("mse", "bce", "cross_entropy")
         for depth in (1, 2, 3)]


def _expected(step, t, loss, depth, refs, N):
    """The step's value, from its operands, as its op and formula say (None: not
    one of the ops a plain trace has)."""
    o = [t[k] for k in step.operands]
    if step.op == "linear":
        return o[0] @ o[1].T + o[2]
    if step.op == "activation":
        return refs[step.layer - 1][0](o[0])
    if step.op == "loss":
        return _loss(loss, o[0], o[1])
    if step.op == "loss_grad":
        if loss == "cross_entropy":
            assert step.operands == (f"H{depth}", "Y", "P")
            np.testing.assert_allclose(o[2], _softmax(o[0]), rtol=1e-12, atol=1e-15)
        return _loss_grad(loss, o[0], o[1], N)
    if step.op == "hadamard":
        # the local derivative is f'(Z) of this layer, and the result is upstream ⊙ local
        z = t[f"Z{step.layer}"]
        np.testing.assert_allclose(t[step.local], refs[step.layer - 1][1](z), rtol=1e-10, atol=1e-15)
        assert (step.upstream, step.local) == step.operands
        return o[0] * o[1]
    if step.op == "matmul":
        assert (step.upstream, step.local) == step.operands
        return o[0] @ o[1]
    if step.op == "outer":
        assert (step.upstream, step.local) == step.operands
        return o[0].T @ o[1]
    if step.op == "sum":
        return o[0].sum(axis=0)
    if step.op == "sgd":
        return o[0] - t.lr * o[1]
    return None


@pytest.mark.parametrize("act,loss,depth", CASES, ids=[f"{a}-{l}-{d}" for a, l, d in CASES])
def test_every_step_is_its_formula_applied_to_its_operands(act, loss, depth):
    net, X, Y, refs = _case(act, loss, depth)
    t = net.trace(X, Y, loss=loss, lr=LR)
    N, words = loss_count(t)
    seen = set()
    for step in t.steps:
        expected = _expected(step, t, loss, depth, refs, N)
        if expected is None:
            raise AssertionError(f"a step with an unknown op {step.op!r}: {step.name}")
        seen.add(step.op)
        np.testing.assert_allclose(step.value, expected, rtol=1e-10, atol=1e-14,
                                   err_msg=f"{step.name} ({step.op}): {step.text}")
        assert np.shape(step.value) == step.shapes[step.name]
    expected_ops = {"linear", "activation", "loss", "loss_grad", "hadamard", "outer", "sum", "sgd"}
    if depth > 1:
        expected_ops.add("matmul")
    assert seen == expected_ops


L1, L2 = 0.01, 0.03
OPTIMIZERS = {
    "sgd": lambda net: bpv.optim.SGD(net, lr=LR),
    "momentum": lambda net: bpv.optim.SGD(net, lr=0.1, momentum=0.8),
    "adam": lambda net: bpv.optim.Adam(net, lr=0.01, betas=(0.8, 0.99), eps=1e-6),
}
NEW_OPS = {"sgd": {"sgd"}, "momentum": {"velocity", "momentum"},
           "adam": {"bias_correction", "adam_m", "adam_v", "unbias", "adam"}}


def _expected_new(step, t, opt):
    """The steps of the penalty and of the optimizers, written out here."""
    o = [t[k] for k in step.operands]
    rule = t.rule
    b1, b2 = rule.betas
    if step.op == "penalty":
        assert step.operands == tuple(f"W{l}" for l in range(1, t.num_layers + 1))
        return L1 * sum(np.abs(w).sum() for w in o) + L2 * sum((w ** 2).sum() for w in o)
    if step.op == "penalty_grad":
        return L1 * np.sign(o[0]) + 2 * L2 * o[0]
    if step.op == "add":
        return o[0] + o[1]
    if step.op == "velocity":
        assert o[0] is opt.state[step.operands[0]]  # the optimizer's state, as it is
        return rule.momentum * o[0] + o[1]
    if step.op in ("sgd", "momentum"):
        return o[0] - rule.lr * o[1]
    if step.op == "bias_correction":
        assert t["t"] == opt.t + 1
        return 1 - (b1 if step.name == "bc1" else b2) ** o[0]
    if step.op == "adam_m":
        assert o[0] is opt.state[step.operands[0]]
        return b1 * o[0] + (1 - b1) * o[1]
    if step.op == "adam_v":
        assert o[0] is opt.state[step.operands[0]]
        return b2 * o[0] + (1 - b2) * o[1] ** 2
    if step.op == "unbias":
        return o[0] / o[1]
    if step.op == "adam":
        return o[0] - rule.lr * o[1] / (np.sqrt(o[2]) + rule.eps)
    raise AssertionError(f"a step with an unknown op {step.op!r}: {step.name}")


@pytest.mark.parametrize("kind", OPTIMIZERS)
@pytest.mark.parametrize("act,loss,depth", CASES, ids=[f"{a}-{l}-{d}" for a, l, d in CASES])
def test_the_penalty_and_optimizer_steps_are_their_formulas_applied(act, loss, depth, kind):
    """With l1, l2 and an optimizer two steps in (so that its state is not zero),
    every step, old and new, is its formula applied to its operands; the stepper
    writes each with its numbers."""
    net, X, Y, refs = _case(act, loss, depth)
    opt = OPTIMIZERS[kind](net)
    for _ in range(2):
        opt.step(net.trace(X, Y, loss=loss, l1=L1, l2=L2, optimizer=opt))
    t = net.trace(X, Y, loss=loss, l1=L1, l2=L2, optimizer=opt)
    N, _ = loss_count(t)
    seen = set()
    for step in t.steps:
        expected = _expected(step, t, loss, depth, refs, N)
        if expected is None or step.op == "sgd":
            expected = _expected_new(step, t, opt)
        seen.add(step.op)
        np.testing.assert_allclose(step.value, expected, rtol=1e-10, atol=1e-14,
                                   err_msg=f"{step.name} ({step.op}): {step.text}")
        assert np.shape(step.value) == step.shapes[step.name]
        assert shapes_line(step, t).endswith(f"= {tuple(np.shape(step.value))}")
    assert {"penalty", "penalty_grad", "add"} | NEW_OPS[kind] <= seen
    # the loss is the data loss plus the penalty, and the data loss step is the loss's own formula
    assert t.loss == t["data loss"] + t["penalty"]
    assert t.step("data loss").op == "loss" and t.step("data loss").text.startswith("data loss = ")
    assert count_line(t.step("data loss"), t) is not None


@pytest.mark.parametrize("loss,N,words", [
    ("mse", ROWS * OUTPUTS, f"N = {ROWS * OUTPUTS} entries ({ROWS} rows × {OUTPUTS} outputs)"),
    ("bce", ROWS * OUTPUTS, f"N = {ROWS * OUTPUTS} entries ({ROWS} rows × {OUTPUTS} outputs)"),
    ("cross_entropy", ROWS, f"N = {ROWS} rows"),
])
def test_the_N_the_stepper_writes_is_the_N_in_the_numbers(loss, N, words):
    """MSE and BCE average over every entry of Y; cross-entropy over the rows. For 2
    outputs on 5 rows that is 10 and 5, and the formula's text says which."""
    net, X, Y, _ = _case("tanh", loss, 2)
    t = net.trace(X, Y, loss=loss, lr=LR)
    assert loss_count(t) == (N, words)
    grad, step = t.step("dL/dH2"), t.step("loss")
    assert count_line(grad, t) == count_line(step, t) == words
    assert count_line(t.step("dL/dZ2"), t) is None
    H, Yt = t["H2"], t["Y"]
    np.testing.assert_allclose(grad.value, _loss_grad(loss, H, Yt, N), rtol=1e-12)
    # any other count would give other numbers
    for wrong in {ROWS, ROWS * OUTPUTS} - {N}:
        assert not np.allclose(grad.value, _loss_grad(loss, H, Yt, wrong))
    # the formula names N and says what it counts; the shapes line divides by the same N
    what = "rows × outputs" if N == ROWS * OUTPUTS else "rows"
    for text in (grad.text, step.text):
        assert re.search(rf"N = {re.escape(what)}\b", text), text
    for latex in (grad.latex, step.latex):
        assert r"N = \text{rows}" in latex, latex
        assert (r"\times \text{outputs}" in latex) == (N == ROWS * OUTPUTS), latex
    assert re.search(rf"/ \(?{N} ", shapes_line(grad, t) + " "), shapes_line(grad, t)


def test_the_stepper_prints_N_for_the_loss_steps_only():
    net, X, Y, _ = _case("tanh", "cross_entropy", 2)
    state = bpv.ExplorerState(net, X, Y, loss="cross_entropy", lr=LR)
    stepper = bpv.ChainRuleStepper(state)
    for step in state.trace.steps:
        state.step = step.index
        has = "N = 5 rows" in stepper.text()
        assert has == (step.op in ("loss", "loss_grad")), step.name
        assert ("N = 5 rows" in stepper.numbers.value) == has
