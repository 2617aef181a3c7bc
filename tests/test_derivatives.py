"""Each activation's and each loss's derivative against central finite differences."""

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.engine import get_activation, get_loss

EPS = 1e-6
# Points away from the kinks of ReLU and LeakyReLU (finite differences straddle them).
Z = np.array([[-2.5, -1.0, -0.3, 0.2], [0.7, 1.5, 3.0, -0.05]])

ACTS = [bpv.ReLU(), bpv.LeakyReLU(0.5), bpv.LeakyReLU(0.01), bpv.LeakyReLU(1.5),
        bpv.LeakyReLU(-0.2), bpv.Tanh(), bpv.Sigmoid(), bpv.Identity()]


@pytest.mark.parametrize("act", ACTS, ids=repr)
def test_activation_derivative_matches_finite_differences(act):
    H = act.forward(Z)
    numeric = (act(Z + EPS) - act(Z - EPS)) / (2 * EPS)
    np.testing.assert_allclose(act.derivative(Z, H), numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("act,expected", [
    (bpv.ReLU(), [0.0, 0.0, 0.0, 0.2]),
    (bpv.LeakyReLU(0.5), [-1.25, -0.5, -0.15, 0.2]),
    (bpv.LeakyReLU(2.0), [-5.0, -2.0, -0.6, 0.2]),
    (bpv.Identity(), [-2.5, -1.0, -0.3, 0.2]),
])
def test_activation_values(act, expected):
    np.testing.assert_allclose(act(Z)[0], expected)


def test_tanh_and_sigmoid_values():
    np.testing.assert_allclose(bpv.Tanh()(Z), np.tanh(Z))
    np.testing.assert_allclose(bpv.Sigmoid()(Z), 1 / (1 + np.exp(-Z)))
    # No overflow warning (pytest turns warnings into errors) for very negative inputs.
    assert bpv.Sigmoid()(np.array([-1000.0]))[0] == 0.0


def test_pytorch_conventions_at_the_kink():
    zero = np.zeros((1, 1))
    assert bpv.ReLU().derivative(zero, zero)[0, 0] == 0.0
    assert bpv.LeakyReLU(0.5).derivative(zero, zero)[0, 0] == 0.5


def test_activation_names_and_configs_round_trip():
    for act in ACTS:
        assert get_activation(act.config()) == act
    assert get_activation("leaky_relu") == bpv.LeakyReLU(0.01)  # PyTorch's default slope
    assert get_activation("TANH") == bpv.Tanh()
    assert get_activation(bpv.Sigmoid) == bpv.Sigmoid()
    assert bpv.LeakyReLU(0.5) != bpv.LeakyReLU(0.2)


def _numeric_loss_grad(loss, H, Y):
    grad = np.zeros_like(H)
    for idx in np.ndindex(H.shape):
        up, down = H.copy(), H.copy()
        up[idx] += EPS
        down[idx] -= EPS
        grad[idx] = (loss.forward(up, Y, {}) - loss.forward(down, Y, {})) / (2 * EPS)
    return grad


rng = np.random.default_rng(7)
LOSS_CASES = [
    ("mse", rng.normal(size=(5, 2)), rng.normal(size=(5, 2))),
    ("bce", rng.uniform(0.05, 0.95, size=(5, 1)), rng.integers(0, 2, size=(5, 1)).astype(float)),
    ("bce", rng.uniform(0.05, 0.95, size=(4, 3)), rng.uniform(0, 1, size=(4, 3))),
    ("cross_entropy", rng.normal(size=(6, 3)), np.eye(3)[rng.integers(0, 3, size=6)]),
    ("cross_entropy", rng.normal(size=(4, 4)), rng.dirichlet(np.ones(4), size=4)),
]


@pytest.mark.parametrize("name,H,Y", LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_loss_gradient_matches_finite_differences(name, H, Y):
    loss = get_loss(name)
    extras = {}
    value, grad = loss.forward_grad(H, Y, extras)
    assert np.isfinite(value)
    np.testing.assert_allclose(grad, _numeric_loss_grad(loss, H, Y), rtol=1e-6, atol=1e-9)


def test_losses_equal_the_pytorch_definitions():
    H = np.array([[0.2, 0.9], [0.6, 0.3]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0]])
    mse, bce, ce = get_loss("mse"), get_loss("bce"), get_loss("cross_entropy")
    # MSELoss: mean over every element.
    assert mse.forward(H, Y, {}) == pytest.approx(np.mean((H - Y) ** 2), rel=1e-15)
    # BCELoss: -mean(y log p + (1 - y) log(1 - p)), logs clamped at -100.
    ref = -np.mean(Y * np.log(H) + (1 - Y) * np.log(1 - H))
    assert bce.forward(H, Y, {}) == pytest.approx(ref, rel=1e-15)
    assert bce.forward(np.array([[0.0]]), np.array([[1.0]]), {}) == pytest.approx(100.0)
    # CrossEntropyLoss on logits with class labels: mean of -log softmax[label].
    logits = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    targets = ce.targets(np.array([1, 0]), 2, 3)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ref = -(np.log(p[0, 1]) + np.log(p[1, 0])) / 2
    assert ce.forward(logits, targets, {}) == pytest.approx(ref, rel=1e-14)


def test_cross_entropy_is_stable_for_huge_logits():
    ce = get_loss("cross_entropy")
    logits = np.array([[1000.0, 0.0], [0.0, 1000.0]])
    extras = {}
    value, grad = ce.forward_grad(logits, np.array([[1.0, 0.0], [1.0, 0.0]]), extras)
    assert value == pytest.approx(500.0)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("name,Y", [
    ("bce", np.array([[0.0], [1.0], [1.0], [0.0], [1.0]])),      # classes: one log per value
    ("bce", np.array([[0.25], [1.0], [0.0], [0.5], [1.0]])),     # soft targets: both logs
    ("mse", np.array([[0.3], [-1.0], [2.0], [0.0], [1.0]])),
])
def test_a_stack_of_outputs_has_each_ones_loss_exactly(name, Y):
    # the loss landscape's batch of nets: every net's loss as its own forward gives it,
    # bit for bit, saturated outputs (the clamped logs) and NaN included
    loss = get_loss(name)
    H = np.random.default_rng(3).random((6, 5, 1))
    H[1, 0, 0], H[2, 1, 0], H[3, 2, 0], H[4, 3, 0] = 0.0, 1.0, 1e-300, 1.0 - 1e-16
    H[5, 4, 0] = np.nan
    outside = np.random.default_rng(4).random((2, 5, 1))  # nets beside a good one can leave [0, 1]
    outside[0, 1, 0], outside[1, 0, 0] = 1.5, -0.3
    H = np.concatenate([H, outside])
    batch = loss.batch_forward(H, Y)
    for g in range(len(H)):
        with np.errstate(all="ignore"):
            one = -np.mean(Y * np.maximum(np.log(H[g]), -100) + (1 - Y) * np.maximum(np.log(1 - H[g]), -100)) \
                if name == "bce" else loss.forward(H[g], Y, {})
        assert np.array_equal(batch[g], one, equal_nan=True), g


@pytest.mark.parametrize("unit_first", [False, True])
def test_a_stack_of_class_scores_has_each_nets_cross_entropy(unit_first):
    # the landscape hands its nets' outputs over unit first, (classes, nets, rows) in
    # memory; a plain (nets, rows, classes) array gives each net's loss bit for bit
    ce = get_loss("cross_entropy")
    rng = np.random.default_rng(5)
    Y = rng.dirichlet(np.ones(3), size=7)  # soft targets: every class counts
    Y[:3] = np.eye(3)
    stored = rng.normal(size=(3, 6, 7)) * 4 if unit_first else rng.normal(size=(6, 7, 3)) * 4
    H = stored.transpose(1, 2, 0) if unit_first else stored
    H[2, 4, 1] = np.nan
    H[3, 0, 2] = 800.0  # softmax stays finite only if it shifts by the row's max
    with np.errstate(invalid="ignore"):
        batch = ce.batch_forward(H, Y)
        for g in range(len(H)):
            one = ce.forward(np.ascontiguousarray(H[g]), Y, {})
            if unit_first:
                assert batch[g] == pytest.approx(one, rel=1e-14, nan_ok=True), g
            else:
                assert np.array_equal(batch[g], one, equal_nan=True), g
    assert np.isnan(batch[2]) and np.isfinite(batch[3])
    # single precision: the targets stay double, as forward keeps them
    H32 = np.ascontiguousarray(H, dtype=np.float32)
    with np.errstate(invalid="ignore"):
        batch32 = ce.batch_forward(H32, Y)
        assert batch32.dtype == np.float64
        assert all(np.array_equal(batch32[g], ce.forward(H32[g], Y, {}), equal_nan=True)
                   for g in range(len(H)))
    assert ce.batch_forward(np.empty((0, 7, 3)), Y).shape == (0,)  # no nets, no losses


@pytest.mark.parametrize("k", range(1, 9))
def test_the_last_axis_max_and_sum_are_numpys(k):
    from backpropviz.engine.losses import last_axis_max, last_axis_sum

    rng = np.random.default_rng(k)
    for a in (rng.normal(size=(50, k)), rng.normal(size=(k, 6, 50)).transpose(1, 2, 0)):
        def row(r):
            return (r,) * (a.ndim - 1)
        a[row(1) + (k - 1,)] = np.nan  # NaN in one column wins the row, whichever column
        a[row(4) + (k // 2,)] = np.nan
        a[row(2) + (k - 1,)] = np.inf
        a[row(3) + (0,)] = -np.inf
        with np.errstate(invalid="ignore"):
            assert np.array_equal(last_axis_max(a), a.max(axis=-1, keepdims=True), equal_nan=True)
            total, expected = last_axis_sum(a), a.sum(axis=-1, keepdims=True)
        assert total.shape == expected.shape
        if k < 8:  # NumPy adds up to 7 values left to right too
            assert np.array_equal(total, expected, equal_nan=True)
        else:
            np.testing.assert_allclose(total, expected, rtol=1e-14, atol=1e-14)
