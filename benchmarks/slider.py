"""One slider move in the Explorer, Python side, against rebuilding every panel.

Measures the time from ``slider.value = v`` to every panel of the Explorer holding
its new output (stepper HTML, diagram SVG, drill-down HTML, every gradient
label), with every widget message serialised to JSON as the kernel would send
it. The naive baseline rebuilds the whole Explorer for each move (what a
``clear_output`` + display-again notebook does), measured in the same run.

    python benchmarks/slider.py            # p50 / p95 over 200 moves
    python benchmarks/slider.py --check    # exit 1 if p95 > 15 ms

Goal: p95 at most 15 ms on the seed net.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import comm  # noqa: E402
from comm.base_comm import BaseComm  # noqa: E402

import backpropviz as bpv  # noqa: E402
from backpropviz.widgets import Explorer  # noqa: E402

GOAL_P95_MS = 15.0


class JSONComm(BaseComm):
    """A comm that serialises every message as the kernel does, and counts bytes."""

    sent_bytes = 0
    sent_messages = 0

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        payload = json.dumps({"msg_type": msg_type, "data": data, "metadata": metadata},
                             default=str)
        JSONComm.sent_bytes += len(payload)
        JSONComm.sent_messages += 1


@contextlib.contextmanager
def json_comm():
    """Widgets created inside send every message through ``JSONComm``."""
    original, comm.create_comm = comm.create_comm, JSONComm
    try:
        yield
    finally:
        comm.create_comm = original


def moves(n: int) -> np.ndarray:
    return np.round(np.random.default_rng(0).uniform(-1.5, 1.5, size=n), 3)


def time_incremental(values: np.ndarray) -> np.ndarray:
    X, Y = bpv.datasets.xor()
    explorer = Explorer(bpv.examples.seed_net(), X, Y, loss="mse", lr=0.75)
    explorer.stepper.jump.value = 6  # dL/dZ2: a backward step with two operands
    slider = explorer.sliders.slider("layer1.weight", (0, 1))
    out = []
    clock = time.perf_counter
    for v in values:
        t0 = clock()
        slider.value = float(v)
        out.append(clock() - t0)
    assert explorer.state.net.state_dict()["layer1.weight"][0, 1] == values[-1]
    assert all(p.error.value == "" for p in (explorer.stepper, explorer.sliders,
                                             explorer.diagram, explorer.drilldown))
    return np.array(out) * 1e3


def time_naive(values: np.ndarray) -> np.ndarray:
    X, Y = bpv.datasets.xor()
    net = bpv.examples.seed_net()
    out = []
    clock = time.perf_counter
    for v in values:
        t0 = clock()
        state = net.state_dict()
        state["layer1.weight"][0, 1] = float(v)
        net.load_state_dict(state)
        explorer = Explorer(net, X, Y, loss="mse", lr=0.75)
        explorer.stepper.jump.value = 6
        out.append(clock() - t0)
        explorer.close()
    return np.array(out) * 1e3


def parse_moves_args(argv, description: str) -> argparse.Namespace:
    """``--moves N`` (200) and ``--check``: the slider benchmarks' command line."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--check", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_moves_args(argv, __doc__.splitlines()[0])
    with json_comm():
        return _run(args)


def _run(args) -> int:
    values = moves(args.moves)
    time_incremental(values[:20])  # warm up imports and caches
    JSONComm.sent_bytes = JSONComm.sent_messages = 0
    fast = time_incremental(values)
    per_move_bytes = JSONComm.sent_bytes / len(values)
    per_move_msgs = JSONComm.sent_messages / len(values)
    naive = time_naive(values[: max(20, len(values) // 4)])
    p50, p95 = np.percentile(fast, [50, 95])
    n50, n95 = np.percentile(naive, [50, 95])
    print(f"one slider move in the Explorer, seed 2-2-1 net, {len(values)} moves")
    print(f"{'':24s} {'p50 ms':>8s} {'p95 ms':>8s}")
    print(f"{'backpropviz':24s} {p50:8.2f} {p95:8.2f}   "
          f"({per_move_msgs:.0f} messages, {per_move_bytes / 1024:.1f} KiB per move)")
    print(f"{'naive: rebuild all':24s} {n50:8.2f} {n95:8.2f}")
    print(f"speed-up (p50) {n50 / p50:.1f}x; goal p95 <= {GOAL_P95_MS:g} ms: "
          f"{'ok' if p95 <= GOAL_P95_MS else 'MISSED'}")
    return 1 if args.check and p95 > GOAL_P95_MS else 0


if __name__ == "__main__":
    sys.exit(main())
