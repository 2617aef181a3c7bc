"""A slider move after a million training steps costs what it costs after ten.

Two Explorers on the same 2-8-8-1 net and data: one whose run is 10 steps long,
one whose run is 1,000,000 steps long (its curve set as a loaded file sets it).
Slider moves alternate between the two, so both see the same machine noise;
each move is timed from ``slider.value = v`` until every panel, the training
panel and its loss curve included, holds its new output.

    python benchmarks/curve.py            # p50 / p95 of both, and their ratio
    python benchmarks/curve.py --check    # exit 1 if the ratio of medians > 1.10

Goal: the long run's median within 10% of the short run's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import backpropviz as bpv  # noqa: E402
from backpropviz.engine.training import Curve  # noqa: E402
from backpropviz.widgets import Explorer  # noqa: E402
from slider import json_comm, moves, parse_moves_args  # noqa: E402

GOAL_RATIO = 1.10


def explorer_after(steps: int) -> Explorer:
    """An Explorer whose run has ``steps`` steps on its curve (the weights as now)."""
    X, Y = bpv.datasets.moons(n=200, noise=0.1, seed=0)
    net = bpv.MLP([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], seed=0)
    explorer = Explorer(net, X, Y, loss="bce", lr=0.5)
    tr = explorer.state.trainer
    rng = np.random.default_rng(0)
    losses = np.sort(rng.uniform(0.05, 0.7, steps + 1))[::-1].copy()
    curve = Curve.from_arrays(losses, np.linspace(0.5, 1.0, steps + 1))
    tr.resume(net.state_dict(), steps, steps, 0, None, tr.rng.bit_generator.state, [], curve)
    tr.weights_changed()  # the curve ends at the current weights, as after any move
    return explorer


def main(argv=None) -> int:
    args = parse_moves_args(argv, __doc__.splitlines()[0])
    with json_comm():
        short, long_ = explorer_after(10), explorer_after(1_000_000)
        sliders = [e.sliders.slider("layer2.bias", (0,)) for e in (short, long_)]
        values = moves(args.moves + 20)
        times = ([], [])
        clock = time.perf_counter
        for k, v in enumerate(values):
            for which, slider in enumerate(sliders):
                t0 = clock()
                slider.value = float(v)
                if k >= 20:  # the first moves warm up caches
                    times[which].append((clock() - t0) * 1e3)
        for e in (short, long_):
            assert all(p.error.value == "" for p in (e.training, e.sliders, e.boundary, e.stepper))
            assert len(e.state.trainer.curve) in (11, 1_000_001)
    (s50, s95), (l50, l95) = (np.percentile(t, [50, 95]) for t in times)
    ratio = l50 / s50
    print(f"one slider move in a 2-8-8-1 Explorer, {args.moves} moves each, alternating")
    print(f"{'':28s} {'p50 ms':>8s} {'p95 ms':>8s}")
    print(f"{'after 10 steps (baseline)':28s} {s50:8.2f} {s95:8.2f}")
    print(f"{'after 1,000,000 steps':28s} {l50:8.2f} {l95:8.2f}")
    print(f"ratio of medians {ratio:.3f}; goal <= {GOAL_RATIO:.2f}: "
          f"{'ok' if ratio <= GOAL_RATIO else 'MISSED'}")
    return 1 if args.check and ratio > GOAL_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
