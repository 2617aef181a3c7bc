"""L1/L2 regularisation and the optimizers equal PyTorch.

The penalty: ``loss + l1·|W|.sum() + l2·(W**2).sum()`` over every layer's weight
(not the biases), differentiated by autograd, for every activation x loss x depth.
The optimizers: ``bpv.optim.SGD`` (with and without momentum) and ``bpv.optim.Adam``
against ``torch.optim.SGD`` / ``torch.optim.Adam``, step after step, on several nets,
with and without the penalty; their state (velocity, moments, step count) too.
"""

import itertools
import zlib

import numpy as np
import pytest

import backpropviz as bpv

torch = pytest.importorskip("torch")

from test_torch_equality import ACTS, OURS, torch_net  # noqa: E402

CRITERIA = {"mse": torch.nn.MSELoss, "bce": torch.nn.BCELoss, "cross_entropy": torch.nn.CrossEntropyLoss}


def _case(act, loss, depth, rows=9):
    rng = np.random.default_rng(zlib.crc32(f"{act} {loss} {depth} reg".encode()))
    outputs = 3 if loss == "cross_entropy" else 1
    sizes = [2] + [4] * (depth - 1) + [outputs]
    acts = [OURS[act]] * (depth - 1) + [{"bce": "sigmoid", "cross_entropy": "identity"}.get(loss, OURS[act])]
    net = bpv.MLP(sizes, acts, seed=int(rng.integers(1000)))
    X = rng.normal(size=(rows, 2))
    if loss == "cross_entropy":
        Y = rng.integers(0, 3, size=rows)
    elif loss == "bce":
        Y = rng.uniform(0, 1, size=(rows, 1))
    else:
        Y = rng.normal(size=(rows, 1))
    return net, X, Y


def _torch_loss(model, X, Y, loss, l1, l2):
    out = model(torch.from_numpy(X))
    target = torch.from_numpy(Y).long() if loss == "cross_entropy" else torch.from_numpy(Y)
    data = CRITERIA[loss]()(out, target)
    L = data
    for m in model:
        if isinstance(m, torch.nn.Linear):
            L = L + l1 * m.weight.abs().sum() + l2 * (m.weight ** 2).sum()
    return data, L


def _linears(model):
    return [m for m in model if isinstance(m, torch.nn.Linear)]


@pytest.mark.parametrize("act, loss, depth", list(itertools.product(ACTS, CRITERIA, [1, 2, 3])))
@pytest.mark.parametrize("l1, l2", [(0.01, 0.0), (0.0, 0.03), (0.02, 0.05)])
def test_the_penalised_loss_and_its_gradients_equal_autograd(act, loss, depth, l1, l2):
    net, X, Y = _case(act, loss, depth)
    t = net.trace(X, Y, loss=loss, l1=l1, l2=l2)
    model = torch_net(net)
    data, L = _torch_loss(model, X, Y, loss, l1, l2)
    L.backward()
    assert t.loss == pytest.approx(L.item(), rel=1e-12, abs=1e-15)
    assert t["data loss"] == pytest.approx(data.item(), rel=1e-12, abs=1e-15)
    assert t["penalty"] == pytest.approx(L.item() - data.item(), rel=1e-9, abs=1e-15)
    for l, lin in enumerate(_linears(model), 1):
        np.testing.assert_allclose(t[f"dL/dW{l}"], lin.weight.grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(t[f"dL/dB{l}"], lin.bias.grad.numpy(), rtol=1e-10, atol=1e-14)
        W = lin.weight.detach().numpy()
        np.testing.assert_array_equal(t[f"dL/dW{l} (penalty)"], l1 * np.sign(W) + 2 * l2 * W
                                      if l1 and l2 else (l1 * np.sign(W) if l1 else 2 * l2 * W))
        np.testing.assert_array_equal(t[f"dL/dW{l}"], t[f"dL/dW{l} (data)"] + t[f"dL/dW{l} (penalty)"])


def test_sign_of_zero_is_zero_as_autograd_takes_it():
    net = bpv.MLP([2, 2, 1], "tanh", seed=0)
    state = net.state_dict()
    state["layer1.weight"][0, 1] = 0.0
    net.load_state_dict(state)
    X, Y = np.ones((3, 2)), np.zeros((3, 1))
    t = net.trace(X, Y, l1=0.5)
    model = torch_net(net)
    _, L = _torch_loss(model, X, Y, "mse", 0.5, 0.0)
    L.backward()
    assert t["dL/dW1 (penalty)"][0, 1] == 0.0
    np.testing.assert_allclose(t["dL/dW1"], _linears(model)[0].weight.grad.numpy(), rtol=1e-12)


def test_without_a_penalty_nothing_changes():
    net, X, Y = _case("tanh", "mse", 2)
    plain = net.trace(X, Y, lr=0.3)
    zero = net.trace(X, Y, lr=0.3, l1=0, l2=0.0)
    assert plain.specs is zero.specs and list(plain) == list(zero)
    assert all(np.array_equal(plain[k], zero[k]) for k in plain)
    assert "penalty" not in plain and plain.penalty == 0.0 and plain.data_loss == plain.loss


# ------------------------------------------------------------------ optimizers

NETS = [
    ("tanh", "mse", 2), ("relu", "cross_entropy", 3), ("sigmoid", "bce", 1), ("leaky_relu", "mse", 3),
]
OPTIMIZERS = {
    "sgd": (lambda net: bpv.optim.SGD(net, lr=0.2),
            lambda p: torch.optim.SGD(p, lr=0.2)),
    "momentum": (lambda net: bpv.optim.SGD(net, lr=0.05, momentum=0.9),
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "adam": (lambda net: bpv.optim.Adam(net, lr=0.01),
             lambda p: torch.optim.Adam(p, lr=0.01)),
    "adam-betas": (lambda net: bpv.optim.Adam(net, lr=0.003, betas=(0.5, 0.9), eps=1e-6),
                   lambda p: torch.optim.Adam(p, lr=0.003, betas=(0.5, 0.9), eps=1e-6)),
}


def _torch_state(opt, model, kind):
    """The torch optimizer's state by our names (``v W1``, ``m W1``, ``t``)."""
    out = {}
    for l, lin in enumerate(_linears(model), 1):
        for key, p in ((f"W{l}", lin.weight), (f"B{l}", lin.bias)):
            s = opt.state[p]
            if kind == "momentum":
                out[f"v {key}"] = s["momentum_buffer"].numpy()
            elif kind.startswith("adam"):
                out[f"m {key}"], out[f"v {key}"] = s["exp_avg"].numpy(), s["exp_avg_sq"].numpy()
                out["t"] = int(s["step"].item())
    return out


@pytest.mark.parametrize("case", NETS, ids=["-".join(map(str, c)) for c in NETS])
@pytest.mark.parametrize("kind", OPTIMIZERS)
@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_optimizer_steps_equal_torch_step_after_step(case, kind, l2):
    """Each step: torch gets our gradients (equal to its own to 1e-10, checked), so
    that the comparison is of the optimizers; parameters and state at rtol 1e-12."""
    net, X, Y = _case(*case)
    ours, theirs = OPTIMIZERS[kind]
    opt = ours(net)
    model = torch_net(net)
    topt = theirs(model.parameters())
    for step in range(60):
        t = net.trace(X, Y, loss=case[1], optimizer=opt, l2=l2)
        # the trace shows the update without making it
        assert t.version is net.version and t.optimizer_version is opt.version
        topt.zero_grad()
        _, L = _torch_loss(model, X, Y, case[1], 0.0, l2)
        L.backward()
        for l, lin in enumerate(_linears(model), 1):
            np.testing.assert_allclose(lin.weight.grad.numpy(), t[f"dL/dW{l}"], rtol=1e-9, atol=1e-13)
            with torch.no_grad():  # the same gradients, so that only the optimizers differ
                lin.weight.grad.copy_(torch.from_numpy(np.array(t[f"dL/dW{l}"])))
                lin.bias.grad.copy_(torch.from_numpy(np.array(t[f"dL/dB{l}"])))
        topt.step()
        opt.step(t)
        after = net.state_dict()
        for l, lin in enumerate(_linears(model), 1):
            np.testing.assert_allclose(after[f"layer{l}.weight"], lin.weight.detach().numpy(), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(after[f"layer{l}.bias"], lin.bias.detach().numpy(), rtol=1e-12, atol=1e-15)
        mine, torchs = opt.state_dict(), _torch_state(topt, model, kind)
        assert set(mine) == set(torchs)
        for k, v in torchs.items():
            if k == "t":
                assert mine[k] == v == step + 1
            else:
                np.testing.assert_allclose(mine[k], v, rtol=1e-12, atol=1e-18, err_msg=k)
        # the step installed exactly what the trace showed, state included
        for k in ("new W1", "new B1"):
            assert np.array_equal(net.state_dict()["layer1." + ("weight" if "W" in k else "bias")], t[k])
        if kind != "sgd":
            assert all(np.array_equal(mine[k], t[f"new {k}"]) for k in mine if k != "t")


@pytest.mark.parametrize("kind", OPTIMIZERS)
def test_training_alone_follows_torch_training_alone(kind):
    """Both train on their own gradients (no copying) for 40 steps and stay together."""
    net, X, Y = _case("tanh", "mse", 3, rows=20)
    ours, theirs = OPTIMIZERS[kind]
    opt = ours(net)
    model = torch_net(net)
    topt = theirs(model.parameters())
    for _ in range(40):
        opt.step(net.trace(X, Y, "mse", l1=0.001, l2=0.002))
        topt.zero_grad()
        _torch_loss(model, X, Y, "mse", 0.001, 0.002)[1].backward()
        topt.step()
    for l, lin in enumerate(_linears(model), 1):
        np.testing.assert_allclose(net.state_dict()[f"layer{l}.weight"], lin.weight.detach().numpy(),
                                   rtol=1e-10, atol=1e-13)


def test_a_trace_shows_the_update_from_the_state_and_changes_nothing():
    net, X, Y = _case("tanh", "mse", 2)
    opt = bpv.optim.Adam(net, lr=0.01)
    opt.step(net.trace(X, Y, optimizer=opt))
    before, version, params = opt.state_dict(), opt.version, net.state_dict()
    t1 = net.trace(X, Y, optimizer=opt)
    t2 = net.trace(X, Y, optimizer=opt)
    assert opt.version is version and opt.state_dict() == before
    assert all(np.array_equal(params[k], v) for k, v in net.state_dict().items())
    assert t1["t"] == 2 and t1["bc1"] == 1 - 0.9 ** 2 and t1["bc2"] == 1 - 0.999 ** 2
    assert t1["m W1"] is before["m W1"] and np.array_equal(t1["new W1"], t2["new W1"])
    opt.step(t1)
    assert opt.t == 2 and opt.state_dict()["m W1"] is t1["new m W1"]
    # an old trace is refused: the parameters moved on
    with pytest.raises(ValueError, match="current parameters"):
        opt.step(t2)


def test_a_trace_of_other_settings_is_recomputed_with_the_current_ones():
    net, X, Y = _case("tanh", "mse", 2)
    a, b = bpv.optim.SGD(net, lr=0.1, momentum=0.9), bpv.optim.SGD(net.copy(), lr=0.1, momentum=0.9)
    t = net.trace(X, Y, optimizer=a)
    a.lr = 0.05
    a.step(t)  # the trace's lr was 0.1: the update is recomputed at 0.05
    b.lr = 0.05
    b.step(b.net.trace(X, Y))
    assert all(np.array_equal(v, b.net.state_dict()[k]) for k, v in net.state_dict().items())
    assert not np.array_equal(net.state_dict()["layer1.weight"], t["new W1"])


def test_plain_sgd_optimizer_equals_the_lr_path():
    net, X, Y = _case("relu", "cross_entropy", 3)
    twin = net.copy()
    opt = bpv.optim.SGD(net, lr=0.3)
    t = net.trace(X, Y, "cross_entropy", optimizer=opt)
    u = twin.trace(X, Y, "cross_entropy", lr=0.3)
    assert [s.text for s in t.steps] == [s.text for s in u.steps] and list(t) == list(u)
    opt.step(t)
    twin.sgd_step(u)
    assert all(np.array_equal(v, twin.state_dict()[k]) for k, v in net.state_dict().items())
    assert opt.state_dict() == {}
