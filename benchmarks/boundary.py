"""The playground's speed: a slider move with the decision boundary, and training.

1. One slider move in the full Explorer on a 2-8-8-1 net over 200 rows (moons)
   with a 100x100 grid: every panel refreshed (boundary and hidden-unit maps,
   diagram, stepper, drill-down, 105 sliders' gradients, training panel), every
   widget message serialised as the kernel would, p50/p95 over 200 moves.
   Next to it, in the same run, the naive way to redraw the boundary alone:
   clear the axes, contourf, contour and scatter again, savefig.
2. The same slider moves with the Explorer's "Loss landscape" section open (across
   layer1.weight[0,0], up layer1.weight[0,1], 31x31 nets): the moved weight is one
   of the two axes, so its dot moves across the picture (which is centred again,
   and the loss over the new window computed, when the dot nears its edge); then a
   drag of that weight in small steps (0.02), and moves of a weight that is not on
   the axes (layer2.weight[0,0]: the loss over the whole window is computed again).
   Next to them, the naive landscape: a loss slice and a new matplotlib Figure per
   redraw, for the same moves.
3. 1000 full-batch SGD steps on the same net: engine time, and Play's redraws.

    python benchmarks/boundary.py            # prints the table
    python benchmarks/boundary.py --check    # exit 1 if a goal is missed

Goals: slider move p95 <= 15 ms (with the landscape open too) and >= 4x faster
than naive; 1000 steps <= 0.2 s. The CPU column is the process's CPU time per move:
above the wall time, other threads (BLAS) worked too; far below, the machine was busy.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import backpropviz as bpv  # noqa: E402
from backpropviz.drawing.boundary import data_limits  # noqa: E402
from backpropviz.engine.landscape import loss_slice  # noqa: E402
from backpropviz.engine.grid import GridEvaluator  # noqa: E402
from backpropviz.widgets import Explorer  # noqa: E402
from slider import json_comm, parse_moves_args  # noqa: E402

GOAL_P95_MS, GOAL_SPEEDUP, GOAL_TRAIN_S = 15.0, 4.0, 0.2


def problem():
    X, Y = bpv.datasets.moons(200, noise=0.1, seed=0)
    net = bpv.MLP([2, 8, 8, 1], ["tanh", "tanh", "sigmoid"], seed=0)
    return net, X, Y


def time_explorer(moves: np.ndarray, landscape: bool = False,
                  entry: tuple = ("layer1.weight", (0, 1))) -> tuple[np.ndarray, np.ndarray]:
    """(wall ms, CPU ms) per slider move, with the landscape section open or not."""
    net, X, Y = problem()
    explorer = Explorer(net, X, Y, loss="bce", lr=0.5)
    if landscape:
        explorer.sections.selected_index = explorer.sections.titles.index("Loss landscape")
        assert explorer.landscape.active
    slider = explorer.sliders.slider(*entry)
    wall, cpu = [], []
    for v in moves:
        t0, c0 = time.perf_counter(), time.process_time()
        slider.value = float(v)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    assert explorer.boundary.error.value == "" and explorer.boundary.frame is not None
    if landscape:  # drawn for the last move, not before
        land = explorer.landscape
        assert land.error.value == ""
        now = explorer.state.net.state_dict()
        assert land.slice.centre == (now["layer1.weight"][0, 0], now["layer1.weight"][0, 1])
    return np.array(wall) * 1e3, np.array(cpu) * 1e3


def naive_landscape_png(s, trajectory: np.ndarray) -> bytes:
    """The landscape the naive way: a new Figure, imshow on a log scale, a colour
    bar, the path, the point and the arrow, savefig (as the panel once drew it)."""
    fig = Figure(figsize=(4.4, 3.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.16, 0.13, 0.66, 0.8))
    cax = fig.add_axes((0.85, 0.13, 0.03, 0.8))
    img = ax.imshow(np.ma.masked_invalid(np.where(s.loss > 0, s.loss, np.nan)), origin="lower",
                    aspect="auto", cmap="viridis",
                    extent=(s.a_values[0], s.a_values[-1], s.b_values[0], s.b_values[-1]),
                    norm=LogNorm(vmin=max(float(np.nanmin(s.loss)), 1e-6), vmax=float(np.nanmax(s.loss))))
    fig.colorbar(img, cax=cax, label="loss")
    ax.plot(trajectory[:, 0], trajectory[:, 1], color="white", lw=1.2)
    ca, cb = s.centre
    ax.plot(ca, cb, "o", color="#ff5252", ms=7, mec="white")
    ga, gb = s.gradient
    norm = float(np.hypot(ga, gb)) or 1.0
    ax.annotate("", xy=(ca - ga / norm * 0.5, cb - gb / norm * 0.5), xytext=(ca, cb),
                arrowprops=dict(arrowstyle="->", color="#ff5252", lw=2))
    ax.set_xlabel(f"{s.a[0]}{list(s.a[1])}")
    ax.set_ylabel(f"{s.b[0]}{list(s.b[1])}")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def time_naive_landscape(moves: np.ndarray) -> np.ndarray:
    """The landscape the naive way: the loss slice and a new Figure for every move."""
    net, X, Y = problem()
    state = net.state_dict()
    out = []
    for v in moves:
        t0 = time.perf_counter()
        state["layer1.weight"][0, 1] = float(v)
        net.load_state_dict(state)
        s = loss_slice(net, X, Y, "bce", ("layer1.weight", (0, 0)), ("layer1.weight", (0, 1)),
                       resolution=31)
        naive_landscape_png(s, np.array([s.centre, s.centre]))
        out.append(time.perf_counter() - t0)
    return np.array(out) * 1e3


def time_naive(moves: np.ndarray) -> np.ndarray:
    """Clear the axes, contourf + contour + scatter again, savefig: per move."""
    net, X, Y = problem()
    xlim, ylim = data_limits(X)
    grid = GridEvaluator(xlim, ylim, 100)
    xs, ys = np.linspace(*xlim, 100), np.linspace(*ylim, 100)
    fig = Figure(figsize=(4.2, 4.0), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    state = net.state_dict()
    out = []
    for v in moves:
        t0 = time.perf_counter()
        state["layer1.weight"][0, 1] = float(v)
        net.load_state_dict(state)
        p = grid.evaluate(net)[:, 0].reshape(100, 100)
        ax.clear()
        ax.contourf(xs, ys, p, levels=20, cmap="PuOr")
        ax.contour(xs, ys, p, levels=[0.5], colors="k")
        ax.scatter(X[:, 0], X[:, 1], c=Y[:, 0], cmap="PuOr", edgecolors="k")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        out.append(time.perf_counter() - t0)
    return np.array(out) * 1e3


def time_training() -> tuple[float, int, float]:
    """(engine seconds for 1000 steps, redraws Play makes for them, seconds with redraws)."""
    net, X, Y = problem()
    trainer = bpv.Trainer(net, X, Y, loss="bce", lr=0.5)
    t0 = time.perf_counter()
    trainer.run(1000)
    engine = time.perf_counter() - t0
    net, X, Y = problem()
    explorer = Explorer(net, X, Y, loss="bce", lr=0.5)
    controls = explorer.training
    controls.speed.value = 50
    frames = 0
    t0 = time.perf_counter()
    while explorer.state.trainer.steps < 1000:
        controls.frame()
        frames += 1
    with_ui = time.perf_counter() - t0
    return engine, frames, with_ui


def main(argv=None) -> int:
    args = parse_moves_args(argv, __doc__.splitlines()[0])
    with json_comm():
        moves = np.round(np.random.default_rng(1).uniform(-1.5, 1.5, size=args.moves), 4)
        time_explorer(moves[:10])  # warm up
        fast, fast_cpu = time_explorer(moves)
        naive = time_naive(moves[: max(10, len(moves) // 4)])
        land, land_cpu = time_explorer(moves, landscape=True)
        drag = np.round(np.cumsum(np.random.default_rng(2).choice([-0.02, 0.02], size=len(moves))), 4)
        dragged, dragged_cpu = time_explorer(drag, landscape=True)
        other, other_cpu = time_explorer(moves, landscape=True, entry=("layer2.weight", (0, 0)))
        naive_land = time_naive_landscape(moves[: max(10, len(moves) // 4)])
        engine, frames, with_ui = time_training()
    p50, p95 = np.percentile(fast, [50, 95])
    n50, n95 = np.percentile(naive, [50, 95])
    speedup = n50 / p50
    print("one slider move, 2-8-8-1 net, 200 rows, 100x100 grid")
    print(f"{'':46s} {'p50 ms':>8s} {'p95 ms':>8s} {'CPU p50':>8s}")
    print(f"{'backpropviz: every panel refreshed':46s} {p50:8.2f} {p95:8.2f} {np.median(fast_cpu):8.2f}")
    print(f"{'naive: the boundary figure alone':46s} {n50:8.2f} {n95:8.2f}")
    ok_move = p95 <= GOAL_P95_MS and speedup >= GOAL_SPEEDUP
    print(f"speed-up (p50) {speedup:.1f}x; goals p95 <= {GOAL_P95_MS:g} ms and >= {GOAL_SPEEDUP:g}x: "
          f"{'ok' if ok_move else 'MISSED'}")
    print("the same, with the loss landscape section open (31x31 nets)")
    for label, t, c in [("same moves, of a weight on its axes", land, land_cpu),
                        ("that weight dragged in steps of 0.02", dragged, dragged_cpu),
                        ("same moves, of a weight not on its axes", other, other_cpu)]:
        print(f"{label:46s} {np.median(t):8.2f} {np.percentile(t, 95):8.2f} {np.median(c):8.2f}")
    print(f"{'naive: the landscape alone, new Figure each':46s} {np.median(naive_land):8.2f} "
          f"{np.percentile(naive_land, 95):8.2f}")
    l95 = float(np.percentile(land, 95))
    ok_land = l95 <= GOAL_P95_MS
    print(f"goal with the landscape open (same moves): p95 <= {GOAL_P95_MS:g} ms: "
          f"{'ok' if ok_land else 'MISSED'}")
    ok_train = engine <= GOAL_TRAIN_S
    print(f"1000 full-batch steps: {engine:.3f} s of engine time (goal <= {GOAL_TRAIN_S} s: "
          f"{'ok' if ok_train else 'MISSED'}); Play at 50 steps a frame redraws {frames} times, "
          f"{with_ui:.2f} s in all")
    return 1 if args.check and not (ok_move and ok_land and ok_train) else 0


if __name__ == "__main__":
    sys.exit(main())
