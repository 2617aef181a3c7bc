"""Loading a saved state: the largest file the limits allow, against a small one.

Three files, built in a temporary folder in this run:

- baseline: the seed net on XOR after 20 steps (a few KB);
- largest: the current version, as big as MAX_TEXT allows: a curve of MAX_STEPS + 1 points
  in all four series, a full undo history (MAX_UNDO minibatch snapshots), training
  and test data at the row cap (MAX_ROWS rows each) with as many columns as fit;
- largest v1: a file of the previous release (every float a hex string), as big
  as MAX_TEXT_V1 allows, its curve as long as fits.

Each is loaded with ``ExplorerState.load`` in fresh Python processes: ``--runs``
timed loads (wall and CPU time; RSS+ is the growth of the peak resident memory),
then one more under tracemalloc for the peak memory the load allocates. The same
is done for ``serialize.loads`` alone (read, parse, check, decode: the file
format's share, without building the trainer and its passes over the data).

    python benchmarks/load.py            # prints the table
    python benchmarks/load.py --check    # exit 1 if a goal is missed

Goals (issue 8): loading the largest allowed file takes under 1 s (median) and
200 MB (tracemalloc peak).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import backpropviz as bpv  # noqa: E402
from backpropviz.engine import limits, serialize  # noqa: E402

GOAL_S, GOAL_MB = 1.0, 200.0
MB = 1e6


# ---------------------------------------------------------------------- the files

def baseline_text() -> str:
    state = bpv.ExplorerState(bpv.examples.seed_net(), *bpv.datasets.xor())
    state.train(20)
    return state.to_json()


def largest_dict(max_text: int = serialize.MAX_TEXT, rows: int = limits.MAX_ROWS,
                 steps: int = limits.MAX_STEPS, undo: int = limits.MAX_UNDO,
                 batch_size: int = 100) -> dict:
    """A valid file (the current version) with every part at its cap, as big as ``max_text`` allows.

    A real trainer takes two minibatch steps on the data; its history and curve are
    then extended to ``undo`` snapshots and ``steps`` steps (values drawn at random:
    loading does not care how they were computed, only that every field is valid).
    """
    fixed = 4 * (steps + 1) * 8 + 2 * rows * 8 + 2 * rows * 4  # curve, Y and Y_test, two orders
    per_column = 2 * rows * 8 + 2 * undo * 8  # X and X_test, one more weight per hidden unit
    columns = max(1, int((max_text * 3 / 4 * 0.995 - fixed - 300 * undo) // per_column))
    columns = min(columns, limits.MAX_DATA_ENTRIES // rows)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, columns))
    Y = (X[:, 0] > 0).astype(float)
    X_test = rng.standard_normal((rows, columns))
    Y_test = (X_test[:, 0] > 0).astype(float)
    net = bpv.MLP([columns, 2, 1], ["tanh", "sigmoid"], seed=0)
    trainer = bpv.Trainer(net, X, Y, loss="bce", lr=0.1, batch_size=batch_size, seed=0,
                          X_test=X_test, Y_test=Y_test)
    trainer.run(2)
    d = serialize.trainer_to_dict(trainer, Y, Y_test, trainer.start,
                                  {"step": 0, "sample": 0, "data_source": None, "task": "classification"})
    tr = d["training"]
    snap = trainer.history[-1]
    stack = {k: v + 1e-3 * rng.standard_normal((undo, *v.shape)) for k, v in snap.params.items()}
    # the undo history crosses an epoch boundary: its snapshots share two orders
    second = rng.permutation(rows)
    tr["orders"].append(serialize.array_to_json(second, serialize.I4))
    half = undo // 2
    tr["history"] = {
        "length": undo,
        "params": {k: serialize.array_to_json(v) for k, v in stack.items()},
        "rng": [serialize.rng_to_json(snap.rng_state)] * undo,
        "cursor": [(i * batch_size) % rows for i in range(undo)],
        "order": [0] * half + [len(tr["orders"]) - 1] * (undo - half),
        "epochs_done": [0] * undo,
        "optimizer": {"arrays": {}},  # plain SGD keeps no state
    }
    tr["steps"] = steps
    tr["curve"] = {name: serialize.array_to_json(_ending_at(rng.random(steps + 1), getattr(trainer.curve, name)))
                   for name in serialize.CURVE_SERIES}
    return d


def _ending_at(values: np.ndarray, real: np.ndarray) -> np.ndarray:
    """Random curve values whose last point is the real one: a loaded curve ends at the
    loss of the loaded weights (loading recomputes that point)."""
    values[-1] = real[-1]
    return values


def to_version1(d: dict) -> dict:
    """The same state in the previous release's format: every float a hex string."""
    def hexed(values: np.ndarray) -> dict:
        return {"shape": list(values.shape), "hex": [float(x).hex() for x in values.ravel()]}

    def arr(a: dict) -> dict:
        return hexed(serialize.array_from_json(a))

    def floats(a: dict) -> list:
        return arr(a)["hex"]

    tr = d["training"]
    orders = [serialize.array_from_json(o, dtype=serialize.I4).tolist() for o in tr["orders"]]
    h = tr["history"]
    stacks = {k: serialize.array_from_json(v) for k, v in h["params"].items()}
    history = [{"params": {k: hexed(v[i]) for k, v in stacks.items()}, "rng": h["rng"][i],
                "cursor": h["cursor"][i], "epochs_done": h["epochs_done"][i],
                "order": None if h["order"][i] is None else orders[h["order"][i]]}
               for i in range(h["length"])]
    training = {k: v for k, v in tr.items() if k not in ("orders", "history", "curve", "order")}
    training.update(order=None if tr["order"] is None else orders[tr["order"]], history=history,
                    curve={k: floats(v) for k, v in tr["curve"].items()})
    data = {k: None if v is None else arr(v) for k, v in d["data"].items()}
    return {**d, "version": 1, "parameters": {k: arr(v) for k, v in d["parameters"].items()},
            "initial": {k: arr(v) for k, v in d["initial"].items()}, "data": data,
            "training": training}


def largest_v1_text(max_text: int = serialize.MAX_TEXT_V1, undo: int = limits.MAX_UNDO) -> str:
    """A version-1 file as big as ``max_text`` allows: the seed net, a full history,
    and a curve in hex as long as fits."""
    X, Y = bpv.datasets.xor()
    state = bpv.ExplorerState(bpv.examples.seed_net(), X, Y, X_test=X, Y_test=Y, batch_size=2)
    state.train(undo)
    d = json.loads(state.to_json())
    small = len(serialize.dumps(to_version1(d)))
    steps = int((max_text * 0.98 - small) // (4 * 24))  # a hex float costs ~24 bytes with quotes
    rng = np.random.default_rng(0)
    d["training"]["steps"] = max(steps, undo)
    d["training"]["curve"] = {name: serialize.array_to_json(
        _ending_at(rng.random(d["training"]["steps"] + 1), getattr(state.trainer.curve, name)))
        for name in serialize.CURVE_SERIES}
    return serialize.dumps(to_version1(d))


# ---------------------------------------------------------------------- measuring

def _child(path: str, how: str, memory: bool) -> None:
    import tracemalloc

    if how == "state":
        state = bpv.ExplorerState(bpv.examples.seed_net(), *bpv.datasets.xor())
    rss0 = _rss("VmRSS")
    try:  # Linux: reset the peak RSS (VmHWM) to the current RSS, so imports do not count
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    if memory:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    if how == "state":
        state.load(path)
        steps = state.trainer.steps
    else:
        with open(path, "rb") as f:
            steps = serialize.loads(f.read())["steps"]
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1] if memory else 0
    growth = _rss("VmHWM") - rss0
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak, "rss_growth": growth, "steps": steps}))


def _rss(field: str) -> int:
    """The current (VmRSS) or peak (VmHWM) resident memory of this process, in bytes."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(path: str, how: str, runs: int, timeout: float) -> dict | None:
    """Wall and CPU times (s) of ``runs`` loads in fresh processes, and the tracemalloc
    peak of one more (with ``runs`` 0, the times of that one, which tracemalloc slows).
    None if a load takes longer than ``timeout`` seconds."""
    def run(memory: bool) -> dict:
        cmd = [sys.executable, __file__, "--child", path, "--how", how] + ["--memory"] * memory
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=timeout)
        return json.loads(out.stdout.splitlines()[-1])

    try:
        timed = [run(False) for _ in range(runs)]
        traced = run(True)
    except subprocess.TimeoutExpired:
        return None
    timed = timed or [traced]
    times = np.array([r["seconds"] for r in timed])
    return {"p50": float(np.median(times)), "p95": float(np.percentile(times, 95)),
            "cpu": float(np.median([r["cpu"] for r in timed])),
            "peak_mb": traced["peak"] / MB,
            "rss_mb": float(np.median([r["rss_growth"] for r in timed])) / MB,
            "steps": timed[0]["steps"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed loads per file (fresh processes)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a goal is missed")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="give up on a file whose load takes longer (s)")
    parser.add_argument("--quick", action="store_true",
                        help="small stand-ins for the largest files, one traced load each, "
                             "for smoke tests")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--how", default="state", help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.how, args.memory)
        return 0
    if args.quick:
        args.runs = 0
        largest = serialize.dumps(largest_dict(max_text=2**20, rows=1000, steps=10_000, undo=50))
        largest_v1 = largest_v1_text(max_text=2**18, undo=50)
    else:
        largest = serialize.dumps(largest_dict())
        largest_v1 = largest_v1_text()
    files = [("baseline (seed net, XOR)", baseline_text()), ("largest v2", largest),
             ("largest v1", largest_v1)]
    ok = True
    print(f"loading a saved state, {args.runs or 1} loads each in fresh processes "
          f"(goals: under {GOAL_S:g} s and {GOAL_MB:g} MB for the largest files)")
    print(f"{'file':26s} {'size':>9s} {'steps':>9s} {'what':22s} {'p50 s':>7s} {'p95 s':>7s} "
          f"{'cpu s':>7s} {'peak MB':>8s} {'RSS+ MB':>8s}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, text in files:
            path = str(Path(tmp) / "state.json")
            Path(path).write_text(text)
            for how, what in (("state", "ExplorerState.load"), ("parts", "serialize.loads")):
                r = measure(path, how, args.runs, args.timeout)
                head = f"{label:26s} {len(text) / MB:7.2f}MB"
                if r is None:
                    ok &= how != "state"
                    print(f"{head} {'':>9s} {what:22s}  over {args.timeout:g} s: MISSED")
                    continue
                met = r["p50"] < GOAL_S and r["peak_mb"] < GOAL_MB
                ok &= met or how != "state" or label.startswith("baseline")
                goal = "" if label.startswith("baseline") else ("ok" if met else "MISSED")
                print(f"{head} {r['steps']:9,d} {what:22s} {r['p50']:7.3f} {r['p95']:7.3f} "
                      f"{r['cpu']:7.3f} {r['peak_mb']:8.1f} {r['rss_mb']:8.1f}  {goal}")
    print(f"MAX_TEXT {serialize.MAX_TEXT / 2**20:g} MiB, MAX_TEXT_V1 "
          f"{serialize.MAX_TEXT_V1 / 2**20:g} MiB; the goals are checked on ExplorerState.load "
          f"(p50 time, tracemalloc peak); {'all goals met' if ok else 'a goal was MISSED'}")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
