"""The benchmarks run, and their floors compute the same numbers as the engine.

Timing is not asserted here (noisy machines); `make bench` prints the figures.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import engine as engine_bench  # noqa: E402


def test_engine_floor_equals_the_engine_step():
    for label, net, X, Y, fs, dfs, _goal in engine_bench.cases():
        t = net.trace(X, Y, lr=engine_bench.LR)
        sd = net.state_dict()
        n = net.num_layers
        Ws = [sd[f"layer{l}.weight"] for l in range(1, n + 1)]
        Bs = [sd[f"layer{l}.bias"] for l in range(1, n + 1)]
        newW, newB, loss = engine_bench.floor_step(Ws, Bs, X, Y, fs, dfs)
        assert loss == t["loss"], label
        for l in range(1, n + 1):
            assert np.array_equal(newW[l - 1], t[f"new W{l}"]), label
            assert np.array_equal(newB[l - 1], t[f"new B{l}"]), label


def test_engine_benchmark_prints_its_table(capsys):
    assert engine_bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "seed 2-2-1" in out and "ratio" in out
    assert len([line for line in out.splitlines() if "us" in line]) == 3


def test_slider_benchmark_runs_and_reports(capsys):
    import slider as slider_bench

    assert slider_bench.main(["--moves", "20"]) == 0
    out = capsys.readouterr().out
    assert "backpropviz" in out and "naive: rebuild all" in out and "messages" in out


def test_curve_benchmark_runs_both_lengths_and_reports(capsys):
    import curve as curve_bench

    assert curve_bench.main(["--moves", "5"]) == 0
    out = capsys.readouterr().out
    assert "after 10 steps (baseline)" in out and "after 1,000,000 steps" in out
    assert "ratio of medians" in out


def test_load_benchmark_runs_and_reports(capsys):
    import load as load_bench

    import backpropviz as bpv
    from backpropviz.engine import serialize

    # its stand-in for the largest file is a valid file, at its caps, that loads exactly
    d = load_bench.largest_dict(max_text=2**20, rows=300, steps=2000, undo=40, batch_size=7)
    text = serialize.dumps(d)
    assert 0.9 * 2**20 < len(text) <= 2**20
    state = bpv.ExplorerState(bpv.examples.seed_net(), *bpv.datasets.xor())
    state.load_json(text)
    assert (state.trainer.steps, len(state.trainer.history), len(state.X_test)) == (2000, 40, 300)
    assert state.to_json() == text
    v1 = load_bench.largest_v1_text(max_text=2**17, undo=30)
    assert '"version":1' in v1 and 0.9 * 2**17 < len(v1) <= 2**17
    state.load_json(v1)
    assert load_bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith(("baseline", "largest"))]
    whats = [[w for w in r if w in ("ExplorerState.load", "serialize.loads")][0] for r in rows]
    assert whats == ["ExplorerState.load", "serialize.loads"] * 3 and "all goals met" in out
    at = [r.index(w) for r, w in zip(rows, whats)]
    assert [r[i - 1] for r, i in zip(rows, at)][:4] == ["20", "20", "10,000", "10,000"]  # steps loaded
    assert all(float(r[i + 1]) > 0 and float(r[i + 4]) > 0 for r, i in zip(rows, at))  # time, peak
