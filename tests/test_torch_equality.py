"""The engine equals PyTorch: the same loss, gradients and SGD step as torch.nn +
autograd + torch.optim.SGD, for every activation, loss and depth (float64)."""

import itertools
import zlib

import numpy as np
import pytest

import backpropviz as bpv

torch = pytest.importorskip("torch")

ACTS = {"relu": torch.nn.ReLU, "leaky_relu": lambda: torch.nn.LeakyReLU(0.5), "tanh": torch.nn.Tanh,
        "sigmoid": torch.nn.Sigmoid, "identity": torch.nn.Identity}
OURS = {"relu": "relu", "leaky_relu": bpv.LeakyReLU(0.5), "tanh": "tanh", "sigmoid": "sigmoid",
        "identity": "identity"}


def torch_net(net):
    layers = []
    for l, (W, B, f) in enumerate(net.layers(), 1):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.array(W)))
            lin.bias.copy_(torch.from_numpy(np.array(B)))
        layers += [lin, ACTS[f.name]()]
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize("act, loss, depth", list(itertools.product(ACTS, ["mse", "bce", "cross_entropy"], [1, 2, 3])))
def test_loss_gradients_and_step_equal_torch(act, loss, depth):
    rng = np.random.default_rng(zlib.crc32(f"{act} {loss} {depth}".encode()))
    outputs = 3 if loss == "cross_entropy" else 1
    sizes = [2] + [4] * (depth - 1) + [outputs]
    acts = [OURS[act]] * (depth - 1) + [{"bce": "sigmoid", "cross_entropy": "identity"}.get(loss, OURS[act])]
    net = bpv.MLP(sizes, acts, seed=int(rng.integers(1000)))
    X = rng.normal(size=(9, 2))
    if loss == "cross_entropy":
        Y = rng.integers(0, 3, size=9)
    elif loss == "bce":
        Y = rng.uniform(0, 1, size=(9, 1))
    else:
        Y = rng.normal(size=(9, 1))
    lr = 0.3
    t = net.trace(X, Y, loss=loss, lr=lr)

    model = torch_net(net)
    out = model(torch.from_numpy(X))
    criterion = {"mse": torch.nn.MSELoss(), "bce": torch.nn.BCELoss(),
                 "cross_entropy": torch.nn.CrossEntropyLoss()}[loss]
    target = torch.from_numpy(Y) if loss != "cross_entropy" else torch.from_numpy(Y).long()
    L = criterion(out, target)
    L.backward()
    assert t.loss == pytest.approx(L.item(), rel=1e-12, abs=1e-15)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for l, lin in enumerate(linears, 1):
        np.testing.assert_allclose(t[f"dL/dW{l}"], lin.weight.grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(t[f"dL/dB{l}"], lin.bias.grad.numpy(), rtol=1e-10, atol=1e-14)
    torch.optim.SGD(model.parameters(), lr=lr).step()
    net.sgd_step(t)
    after = net.state_dict()
    for l, lin in enumerate(linears, 1):
        np.testing.assert_allclose(after[f"layer{l}.weight"], lin.weight.detach().numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(after[f"layer{l}.bias"], lin.bias.detach().numpy(), rtol=1e-12, atol=1e-15)
