"""The loss landscape: a heatmap of the loss over two parameters, drawn with matplotlib.

``LandscapePlot`` keeps one figure and redraws only what changed (the panel uses
it on every change); ``landscape_png`` draws a slice once, in a figure of its own.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ..engine.landscape import LossSlice
from ..engine.trace import entry_name
from .raster import axes_cells, paint


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


def png_bytes(rgb: np.ndarray) -> bytes:
    """A PNG of an (height, width, 3) uint8 image: each row stored as its difference
    from the row above (PNG's "up" filter), deflated at level 1. Three times faster
    than Pillow's adaptive filters on a picture like the landscape's, and as small."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"rgb must be a (height, width, 3) uint8 array, got {rgb.shape} {rgb.dtype}")
    h, w, _ = rgb.shape
    rows = np.empty((h, 1 + w * 3), dtype=np.uint8)
    rows[:, 0] = 2  # "up"
    pixels = rows[:, 1:].reshape(h, w, 3)  # a view: rgb may be strided (RGBA's first three)
    pixels[0] = rgb[0]
    np.subtract(rgb[1:], rgb[:-1], out=pixels[1:])

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + chunk(b"IEND", b""))


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


class LandscapePlot:
    """The landscape's figure, built once and updated in place.

    A teacher sees the same picture as ``landscape_png`` draws; what differs is
    the cost. The axes, their ticks and names and the colour bar are drawn only
    when the window or the colour scale changes, and cached; every other update
    restores that background, writes the heatmap's cells straight into the axes'
    pixels, draws the path, the point and the arrow on top, and encodes a PNG.

    The colour scale runs over the loss's finite range, widened to steps of
    10^(1/8) (a factor of 1.33), so small changes of the loss keep the scale,
    and the colour bar always reads true.
    """

    #: The colour scale's ends are rounded out to powers of 10**(1/STEPS).
    STEPS = 8

    def __init__(self, size: tuple[int, int] = (440, 380)) -> None:
        w, h = size
        self.figure = Figure(figsize=(w / 100, h / 100), dpi=100)
        self.canvas = FigureCanvasAgg(self.figure)
        ax = self.ax = self.figure.add_axes((0.16, 0.13, 0.66, 0.8))
        cax = self.figure.add_axes((0.85, 0.13, 0.03, 0.8))
        self.norm = LogNorm(vmin=0.1, vmax=1.0)
        self.colorbar = self.figure.colorbar(ScalarMappable(norm=self.norm, cmap="viridis"),
                                             cax=cax, label="loss")
        self._lut = np.round(self.colorbar.cmap(np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(np.uint32)
        self._words = (self._lut[:, 0] | (self._lut[:, 1] << 8) | (self._lut[:, 2] << 16)
                       | np.uint32(0xFF000000)).astype(np.uint32)
        kw = dict(animated=True)
        self.path, = ax.plot([], [], color="white", lw=1.2, alpha=0.9, **kw)
        self.start, = ax.plot([], [], "o", color="white", ms=4, **kw)
        self.point, = ax.plot([], [], "o", color="#ff5252", ms=7, mec="white", **kw)
        self.arrow = ax.annotate("", xy=(0.0, 0.0), xytext=(0.0, 0.0),
                                 arrowprops=dict(arrowstyle="->", color="#ff5252", lw=2), **kw)
        self.redraws = 0  # full redraws of the background (the rest are blits)
        self._key: tuple | None = None
        self._region: tuple[slice, slice] = (slice(0, 0), slice(0, 0))
        self._rows = self._cols = np.empty(0, dtype=np.intp)

    def colour_range(self, loss: np.ndarray) -> tuple[float, float]:
        """The colour scale (lo, hi) for a slice's loss: its finite positive range,
        rounded out to steps of 10**(1/STEPS)."""
        finite = loss[np.isfinite(loss) & (loss > 0)]
        lo = max(float(finite.min()), 1e-6) if finite.size else 1e-6
        hi = max(float(finite.max()), lo * 1.01) if finite.size else 1.0
        k = self.STEPS
        return (float(10.0 ** (np.floor(np.log10(lo) * k) / k)),
                float(10.0 ** (np.ceil(np.log10(hi) * k) / k)))

    def _background(self, s: LossSlice, lo: float, hi: float) -> None:
        """Draw everything that is not animated, and keep it with the pixel map."""
        ax, res = self.ax, (len(s.b_values), len(s.a_values))
        ax.set_xlim(s.a_values[0], s.a_values[-1])
        ax.set_ylim(s.b_values[0], s.b_values[-1])
        ax.set_xlabel(_label(s.a))
        ax.set_ylabel(_label(s.b))
        self.norm.vmin, self.norm.vmax = lo, hi
        self.colorbar.update_normal(self.colorbar.mappable)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._region, self._rows, self._cols = axes_cells(self.canvas, ax, res)
        self.redraws += 1

    def _cell_words(self, loss: np.ndarray, lo: float, hi: float) -> np.ndarray:
        """One RGBA word per cell: viridis on a log scale from lo to hi (LogNorm's
        bins), white where the loss is not a positive finite number."""
        with np.errstate(all="ignore"):
            t = np.ma.filled(LogNorm(vmin=lo, vmax=hi)(loss.ravel()).astype(float), np.nan)
            idx = np.clip(t * 256, 0, 255)
        bad = ~np.isfinite(idx)
        words = self._words[np.where(bad, 0, idx).astype(np.intp)]
        words[bad] = 0xFFFFFFFF
        return words

    def update(self, s: LossSlice, trajectory: np.ndarray | None = None) -> bytes:
        """The slice as a PNG (as ``landscape_png``), drawing only what changed."""
        lo, hi = self.colour_range(s.loss)
        key = (s.a, s.b, float(s.a_values[0]), float(s.a_values[-1]), float(s.b_values[0]),
               float(s.b_values[-1]), s.loss.shape, lo, hi)
        if key != self._key:
            self._background(s, lo, hi)
            self._key = key
        canvas = self.canvas
        canvas.restore_region(self.background)
        pixels = np.asarray(canvas.buffer_rgba())
        words = pixels.view(np.uint32).reshape(pixels.shape[:2])
        paint(words, self._region, self._rows, self._cols, self._cell_words(s.loss, lo, hi).reshape(s.loss.shape))
        drawn = [self.point]
        if trajectory is not None and len(trajectory) > 1:
            self.path.set_data(trajectory[:, 0], trajectory[:, 1])
            self.start.set_data(trajectory[:1, 0], trajectory[:1, 1])
            drawn[:0] = [self.path, self.start]
        ca, cb = s.centre
        self.point.set_data([ca], [cb])
        ga, gb = s.gradient
        norm = float(np.hypot(ga, gb))
        if norm > 0 and np.isfinite(norm):
            span = (s.a_values[-1] - s.a_values[0]) * 0.25
            self.arrow.xy = (ca - ga / norm * span, cb - gb / norm * span)
            self.arrow.set_position((ca, cb))
            drawn.append(self.arrow)
        for artist in drawn:
            self.ax.draw_artist(artist)
        return png_bytes(np.asarray(canvas.buffer_rgba())[:, :, :3])
