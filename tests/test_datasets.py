import re

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz import datasets


def test_xor_is_the_seeds_data():
    X, Y = datasets.xor()
    assert X.tolist() == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert Y.tolist() == [[0.0], [1.0], [1.0], [0.0]]
    assert X.dtype == Y.dtype == np.float64


@pytest.mark.parametrize("name", list(datasets.GENERATORS))
def test_generators_shape_balance_and_reproducibility(name):
    X, Y = datasets.make(name, n=101, noise=0.1, seed=3)
    assert X.shape == (101, 2) and Y.shape == (101, 1)
    assert X.dtype == Y.dtype == np.float64
    if name == "blobs":  # three classes, 34 + 34 + 33
        assert np.bincount(Y[:, 0].astype(int)).tolist() == [34, 34, 33]
    else:
        assert set(np.unique(Y)) == {0.0, 1.0}
        assert int(Y.sum()) == 50  # balanced: the first class gets the odd row
    assert np.abs(X).max() < 2.0
    X2, Y2 = datasets.make(name, n=101, noise=0.1, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(Y, Y2)
    X3, _ = datasets.make(name, n=101, noise=0.1, seed=4)
    assert not np.array_equal(X, X3)


def test_generators_have_the_promised_geometry():
    X, Y = datasets.circle(400, noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[Y[:, 0] == 1].max() <= 0.5 and r[Y[:, 0] == 0].min() >= 0.7
    X, Y = datasets.xor_quadrants(400, noise=0.0, seed=0)
    assert np.array_equal((X[:, 0] * X[:, 1] < 0).astype(float), Y[:, 0])
    X, Y = datasets.gaussians(400, noise=0.1, seed=0)
    assert X[Y[:, 0] == 1].mean() > 0.4 and X[Y[:, 0] == 0].mean() < -0.4


def test_a_net_trains_on_generated_data():
    X, Y = datasets.gaussians(100, seed=0)
    net = bpv.MLP([2, 4, 1], ["tanh", "sigmoid"], seed=0)
    first = net.trace(X, Y, loss="bce").loss
    for _ in range(200):
        net.sgd_step(net.trace(X, Y, loss="bce"), lr=0.5)
    assert net.trace(X, Y, loss="bce").loss < 0.5 * first


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(n=1), ValueError, "n must be at least 2, got 1"),
    (dict(n=10.5), TypeError, "n must be an integer, got 10.5 (float)"),
    (dict(noise=-1), ValueError, "noise must be a finite number >= 0, got -1.0"),
    (dict(noise="lots"), TypeError, "noise must be a real number"),
    (dict(seed=-3), ValueError, "seed must be at least 0, got -3"),
])
def test_generators_reject_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        datasets.moons(**kwargs)


def test_make_and_as_dataset():
    with pytest.raises(ValueError, match="name must be one of"):
        datasets.make("swirl")
    with pytest.raises(TypeError, match="xor.. takes no arguments"):
        datasets.make("xor", n=3)
    X, Y = datasets.as_dataset([[1, 2], [3, 4]], [0, 1])
    assert X.dtype == np.float64 and Y.shape == (2, 1)
    with pytest.raises(ValueError, match=re.escape("one row per row of X (2), got 3")):
        datasets.as_dataset([[1, 2], [3, 4]], [0, 1, 1])


def test_train_test_split_is_a_reproducible_partition():
    X, Y = datasets.moons(40, seed=1)
    Xtr, Ytr, Xte, Yte = datasets.train_test_split(X, Y, 0.25, seed=2)
    assert len(Xtr) == 30 and len(Xte) == 10
    rows = {tuple(r) for r in X}
    assert {tuple(r) for r in Xtr} | {tuple(r) for r in Xte} == rows
    again = datasets.train_test_split(X, Y, 0.25, seed=2)
    assert np.array_equal(again[2], Xte)
    assert len(datasets.train_test_split(X, Y, 0.0)[2]) == 0
    with pytest.raises(ValueError, match=re.escape("test_fraction must be in [0, 1), got 1.0")):
        datasets.train_test_split(X, Y, 1.0)
    with pytest.raises(ValueError, match="classes must be at most 8, got 9"):
        datasets.blobs(classes=9)
