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
