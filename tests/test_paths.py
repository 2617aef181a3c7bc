"""The drill-down's path sums against the trace's gradients."""

import dataclasses
import re

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.engine.paths import path_sum, sample_gradients


def test_seed_path_for_layer1_weight_0_1(seed_trace):
    ps = path_sum(seed_trace, "layer1.weight", (0, 1), sample=1)
    assert ps.num_paths == 1 and len(ps.paths) == 1
    (path,) = ps.paths
    values = [f.value for f in path.factors]
    # x[1] of row 1, f'(Z1[1,0]) (Z1 < 0: slope 0.5), W2[0,0], f'(Z2[1,0]) = 1, 4 * dL/dH2[1,0]
    assert values == pytest.approx([1.0, 0.5, 0.5266, 1.0, 4 * -0.23279965], rel=1e-7)
    assert path.product == pytest.approx(ps.total, rel=1e-12)
    assert [f.kind for f in path.factors] == ["input", "activation", "weight", "activation", "loss"]
    assert ps.label == "layer1.weight[0,1]"


@pytest.mark.parametrize("param,index", [
    ("layer1.weight", (0, 1)), ("layer1.bias", (1,)), ("layer2.weight", (0, 0)), ("layer2.bias", (0,)),
])
def test_batch_mean_of_sample_gradients_is_the_trace_gradient(seed_trace, param, index):
    per = sample_gradients(seed_trace, param, index)
    key = bpv.engine.grad_key(param)
    assert np.mean(per) == pytest.approx(seed_trace[key][index], rel=1e-12)


def test_paths_through_a_deeper_net_sum_to_the_sample_gradient():
    rng = np.random.default_rng(0)
    net = bpv.MLP([3, 4, 3, 2], ["tanh", "sigmoid", "identity"], seed=2)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    t = net.trace(X, Y)
    for sample in range(5):
        ps = path_sum(t, "layer1.weight", (2, 1), sample)
        assert ps.num_paths == 3 * 2 == len(ps.paths)
        assert sum(p.product for p in ps.paths) == pytest.approx(ps.total, rel=1e-10, abs=1e-14)
    per = [path_sum(t, "layer1.weight", (2, 1), n).total for n in range(5)]
    assert np.mean(per) == pytest.approx(t["dL/dW1"][2, 1], rel=1e-10)


def test_cross_entropy_paths_sum_too():
    net = bpv.MLP([2, 3, 3], ["tanh", "identity"], seed=1)
    X = np.array([[0.5, -1.0], [1.0, 2.0]])
    t = net.trace(X, np.array([2, 0]), loss="cross_entropy")
    ps = path_sum(t, "layer1.bias", (1,), 1)
    assert sum(p.product for p in ps.paths) == pytest.approx(ps.total, rel=1e-10)


@pytest.mark.parametrize("args,error,message", [
    (("layer3.weight", (0, 0), 0), ValueError, "param must name a layer from 1 to 2, got 'layer3.weight'"),
    (("layer1.weights", (0, 0), 0), ValueError, "parameter name must look like 'layer1.weight'"),
    (("layer1.weight", (0,), 0), ValueError, "index for layer1.weight must be a tuple of 2 integers"),
    (("layer1.weight", (0, 2), 0), ValueError, "index for layer1.weight must lie within shape (2, 2), got (0, 2)"),
    (("layer1.bias", 0, 4), ValueError, "sample must be a row of X, from 0 to 3, got 4"),
    ((7, (0, 0), 0), TypeError, "param must be a parameter name"),
])
def test_bad_entries_are_named(seed_trace, args, error, message):
    with pytest.raises(error, match=re.escape(message)):
        path_sum(seed_trace, *args)


def test_the_drilldown_lists_the_largest_paths_and_folds_the_smaller_rest():
    from backpropviz.drawing.drilldown import drilldown_html

    X, Y = bpv.datasets.blobs(30, classes=3, seed=0)
    net = bpv.MLP([2, 8, 8, 3], ["tanh", "tanh", "identity"], seed=0)
    t = net.trace(X, Y, loss="cross_entropy")
    ps = path_sum(t, "layer1.weight", (0, 1), sample=4)
    assert ps.num_paths == len(ps.paths) == 24
    page = drilldown_html(t, "layer1.weight", (0, 1), sample=4, batch=False)
    assert "along 24 paths; each contributes the product of the local derivatives on it (the 8 largest listed)" in page
    listed = re.findall(r"<li>via (unit \d+(?: → unit \d+)*):", page)
    by_size = sorted(ps.paths, key=lambda p: -abs(p.product))
    big, small = by_size[:8], by_size[8:]
    # the eight largest, in the paths' own order (unit by unit)
    assert listed == [" → ".join(f"unit {u}" for u in p.units) for p in ps.paths if p in big]
    assert abs(small[0].product) < abs(big[-1].product)  # a real cut, not a tie
    folded = re.search(r"… and the other 16 paths \(none larger than (\S+) in size\), adding up to (\S+)</li>", page)
    assert folded is not None
    assert float(folded.group(1).replace("−", "-")) == pytest.approx(abs(small[0].product), rel=1e-5)
    assert float(folded.group(2).replace("−", "-")) == pytest.approx(sum(p.product for p in small), rel=1e-5)
    assert sum(p.product for p in ps.paths) == pytest.approx(ps.total, rel=1e-12)


def test_a_drilldown_with_few_paths_lists_them_all_in_order():
    from backpropviz.drawing.drilldown import drilldown_html

    net = bpv.MLP([2, 2, 2, 1], ["tanh", "tanh", "sigmoid"], seed=1)
    t = net.trace(*bpv.datasets.xor(), loss="bce")
    # the second path is the larger (−0.111 against 0.0097): listed second all the same
    assert [round(p.product, 4) for p in path_sum(t, "layer1.weight", (1, 0), 3).paths] == [0.0097, -0.1109]
    page = drilldown_html(t, "layer1.weight", (1, 0), sample=3, batch=False)
    assert re.findall(r"<li>via ([^:]*):", page) == ["unit 1 → unit 0 → unit 0", "unit 1 → unit 1 → unit 0"]
    assert "the other" not in page and "largest listed" not in page


def test_a_diverged_path_is_listed_first_and_the_fold_says_nan(monkeypatch):
    from backpropviz.drawing import drilldown as dd

    X, Y = bpv.datasets.blobs(30, classes=3, seed=0)
    t = bpv.MLP([2, 8, 8, 3], ["tanh", "tanh", "identity"], seed=0).trace(X, Y, loss="cross_entropy")
    ps = path_sum(t, "layer1.weight", (0, 1), sample=4)
    # nine diverged paths (the last nine): eight are listed (a NaN counts as the
    # largest), one is folded
    def diverged(p):
        return dataclasses.replace(p, factors=(dataclasses.replace(p.factors[0], value=np.nan),) + p.factors[1:])

    paths = tuple(p if k < 15 else diverged(p) for k, p in enumerate(ps.paths))
    monkeypatch.setattr(dd, "path_sum", lambda *a: dataclasses.replace(ps, paths=paths))
    page = dd.drilldown_html(t, "layer1.weight", (0, 1), sample=4, batch=False)
    assert page.count("<b>nan</b>") == 8  # the listed paths' products
    assert "… and the other 16 paths (none larger than nan in size), adding up to nan</li>" in page
