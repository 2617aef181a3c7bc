"""The loss landscape: a heatmap of the loss over two parameters, drawn with matplotlib."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ..engine.landscape import LossSlice
from ..engine.trace import entry_name


def _label(entry: tuple[str, tuple[int, ...]]) -> str:
    return entry_name(*entry)


def landscape_problem(s: LossSlice) -> str:
    """Why the slice can't be drawn, in words (empty when it can)."""
    centre_ok = np.isfinite(s.centre).all() and np.isfinite(s.a_values).all() and np.isfinite(s.b_values).all()
    if not centre_ok:
        return ("The current weights are not finite (training diverged), so there is no "
                "landscape around them to draw. Undo or Reset, then look again.")
    if not (s.a_values[-1] > s.a_values[0] and s.b_values[-1] > s.b_values[0]):
        return (f"The two weights are so large ({s.centre[0]:.3g}, {s.centre[1]:.3g}) that moving "
                "them by the span changes nothing in float64: training has run away. "
                "Undo or Reset, or choose a larger span.")
    if not np.isfinite(s.loss).any():
        return ("The loss is not finite anywhere on this slice (training diverged, or the "
                "span reaches too far). Undo or Reset, or choose a smaller span.")
    return ""


def landscape_png(s: LossSlice, trajectory: np.ndarray | None = None,
                  size: tuple[int, int] = (440, 380)) -> bytes:
    """The slice as a PNG: log-scaled loss, the current point, the negative
    gradient (downhill) as an arrow, and the path training took (if given)."""
    fig = Figure(figsize=(size[0] / 100, size[1] / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.16, 0.13, 0.66, 0.8))
    cax = fig.add_axes((0.85, 0.13, 0.03, 0.8))
    finite = s.loss[np.isfinite(s.loss) & (s.loss > 0)]
    lo = max(float(finite.min()), 1e-6) if finite.size else 1e-6
    hi = max(float(finite.max()), lo * 1.01) if finite.size else 1.0
    img = ax.imshow(np.ma.masked_invalid(np.where(s.loss > 0, s.loss, np.nan)), origin="lower", aspect="auto", cmap="viridis",
                    extent=(s.a_values[0], s.a_values[-1], s.b_values[0], s.b_values[-1]),
                    norm=LogNorm(vmin=lo, vmax=hi))
    fig.colorbar(img, cax=cax, label="loss")
    if trajectory is not None and len(trajectory) > 1:
        ax.plot(trajectory[:, 0], trajectory[:, 1], color="white", lw=1.2, alpha=0.9)
        ax.plot(trajectory[0, 0], trajectory[0, 1], "o", color="white", ms=4)
    ca, cb = s.centre
    ax.plot(ca, cb, "o", color="#ff5252", ms=7, mec="white")
    ga, gb = s.gradient
    norm = float(np.hypot(ga, gb))
    if norm > 0 and np.isfinite(norm):
        span = (s.a_values[-1] - s.a_values[0]) * 0.25
        ax.annotate("", xy=(ca - ga / norm * span, cb - gb / norm * span), xytext=(ca, cb),
                    arrowprops=dict(arrowstyle="->", color="#ff5252", lw=2))
    ax.set_xlim(s.a_values[0], s.a_values[-1])
    ax.set_ylim(s.b_values[0], s.b_values[-1])
    ax.set_xlabel(_label(s.a))
    ax.set_ylabel(_label(s.b))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
