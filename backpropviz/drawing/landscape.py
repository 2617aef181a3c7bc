"""The loss landscape: a heatmap of the loss over two parameters, as an SVG.

``landscape_svg`` builds the whole picture on every change in well under a
millisecond: the heatmap is a small PNG with one pixel per grid point (the
browser scales it up, cells kept square-edged), and the axes, their ticks, the
colour bar, the path, the point and the arrow are SVG drawn by hand. A
matplotlib figure cost 25-50 ms for every new window or colour scale, and
dragging a weight across the picture re-centres the window often.
"""

from __future__ import annotations

import base64
import html
import struct
import zlib

import numpy as np
from matplotlib import colormaps

from ..engine.landscape import LossSlice
from ..engine.trace import entry_name
from .colors import SVG_CARD, diverging_rgb

#: viridis, 256 colours (the scale matplotlib's ``imshow`` used for this picture).
VIRIDIS = np.round(colormaps["viridis"](np.linspace(0.0, 1.0, 256))[:, :3] * 255).astype(np.uint8)
#: Where the loss is not a positive finite number (a log scale has no colour for it).
NO_COLOUR = (255, 255, 255)
#: The colour scale's ends are rounded out to powers of 10**(1/STEPS) (a factor of
#: 1.33), so small changes of the loss keep the scale.
STEPS = 8
POINT = "#ff5252"

# The picture's frame, in px: the heatmap's box, and the colour bar to its right.
WIDTH, HEIGHT = 440, 380
LEFT, TOP, RIGHT, BOTTOM = 70, 12, 362, 326
BAR_LEFT, BAR_RIGHT = 376, 390


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


def colour_range(loss: np.ndarray) -> tuple[float, float]:
    """The colour scale (lo, hi) for a slice's loss: its finite positive range,
    rounded out to powers of 10**(1/STEPS)."""
    finite = loss[np.isfinite(loss) & (loss > 0)]
    lo = max(float(finite.min()), 1e-6) if finite.size else 1e-6
    hi = max(float(finite.max()), lo * 1.01) if finite.size else 1.0
    return (float(10.0 ** (np.floor(np.log10(lo) * STEPS) / STEPS)),
            float(10.0 ** (np.ceil(np.log10(hi) * STEPS) / STEPS)))


def loss_rgb(loss: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """viridis on a log scale from lo to hi, an (…, 3) uint8 array shaped as ``loss``:
    a loss at or below lo (0 too: the best there is) the lowest colour, at or above
    hi the highest; white where there is no loss (not finite, or below 0)."""
    with np.errstate(all="ignore"):
        logs = np.where(np.isfinite(loss) & (loss >= 0), np.log10(loss), np.nan)
    return diverging_rgb(logs, np.log10(lo), np.log10(hi), lut=VIRIDIS, nan_colour=NO_COLOUR)


def nice_ticks(lo: float, hi: float, most: int = 6) -> tuple[np.ndarray, int]:
    """Round values in [lo, hi] (steps of 1, 2, 2.5 or 5 times a power of ten, at
    most ``most`` steps apart from first to last: ``most`` + 1 values at most), and
    the decimals that write them all apart."""
    span = hi - lo
    mag = 10.0 ** np.floor(np.log10(span / most))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if span / (m * mag) <= most:
            break
    step = m * mag
    ticks = np.arange(np.ceil(lo / step - 1e-9), np.floor(hi / step + 1e-9) + 1) * step
    decimals = max(0, int(-np.floor(np.log10(step) + 1e-9)) + (m == 2.5))
    return ticks, decimals


def log_ticks(lo: float, hi: float, most: int = 8) -> list[float]:
    """Round values for a log scale from lo to hi: the powers of ten in it when
    there are three or more (every other one, and so on, beyond ``most``), else 1, 2
    and 5 times them; a scale too short for three of those (less than a factor of
    10, where a log scale is nearly even) gets even steps, as ``nice_ticks``."""
    decades = np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
    for factors in ((1.0,), (1.0, 2.0, 5.0)):
        inside = [float(v) for v in sorted(f * 10.0 ** d for d in decades for f in factors)
                  if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)]
        if len(inside) >= 3:
            return inside[::-(-len(inside) // most)]
    return [float(v) for v in nice_ticks(lo, hi)[0] if v > 0]


def _num(x: float, decimals: int | None = None) -> str:
    text = f"{x:.{decimals}f}" if decimals is not None else f"{x:.3g}"
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")  # no −0.0
    return text.replace("-", "\u2212")


def axis_ticks(lo: float, hi: float) -> tuple[np.ndarray, list[str], float]:
    """An axis from lo to hi: its ticks, their labels, and the offset the labels
    are counted from (0, unless the values are so large next to their steps that
    writing them out would take 15 digits: then from the window's middle, rounded
    to a tick, and the axis's name says so)."""
    ticks, decimals = nice_ticks(lo, hi)
    step = float(ticks[1] - ticks[0]) if len(ticks) > 1 else hi - lo
    offset = 0.0
    if max(abs(lo), abs(hi)) > 1e4 * step:
        offset = float(np.round((lo + hi) / 2 / step) * step)
    return ticks, [_num(t - offset, decimals) for t in ticks], offset


def _data_uri(rgb: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(np.ascontiguousarray(rgb))).decode("ascii")


def landscape_svg(s: LossSlice, trajectory: np.ndarray | None = None,
                  size: tuple[int, int] | None = None, uid: str = "bpv-landscape") -> str:
    """The slice as an SVG: the loss on a log colour scale (white where it is not
    finite), the current point, the negative gradient (downhill) as an arrow, and
    the path training took (``trajectory``, the two weights at every step).

    Each grid point's colour fills the cell around it. The picture is ``WIDTH`` x
    ``HEIGHT`` px, or scaled to ``size`` (width, height); ``uid`` names its clip
    path, which must differ between pictures on one page. A slice that cannot be
    drawn (see ``landscape_problem``) raises a ValueError that says why."""
    problem = landscape_problem(s)
    if problem:
        raise ValueError(problem)
    lo, hi = colour_range(s.loss)
    a0, a1, b0, b1 = (float(s.a_values[0]), float(s.a_values[-1]), float(s.b_values[0]),
                      float(s.b_values[-1]))

    def x(a: float) -> float:  # (pixels far outside the picture are as good as ±1e4)
        return min(max(LEFT + (float(a) - a0) / (a1 - a0) * (RIGHT - LEFT), -1e4), 1e4)

    def y(b: float) -> float:
        return min(max(BOTTOM - (float(b) - b0) / (b1 - b0) * (BOTTOM - TOP), -1e4), 1e4)

    w, h = size or (WIDTH, HEIGHT)
    ca, cb = s.centre
    ticks_a, labels_a, off_a = axis_ticks(a0, a1)
    ticks_b, labels_b, off_b = axis_ticks(b0, b1)
    names = [html.escape(entry_name(*entry) + (f" \u2212 {_num(off)}" if off > 0 else
                                                f" + {_num(-off)}" if off < 0 else ""))
             for entry, off in ((s.a, off_a), (s.b, off_b))]
    # half a cell beyond the first and last grid points: each value fills its own cell
    da, db = (a1 - a0) / (len(s.a_values) - 1) / 2, (b1 - b0) / (len(s.b_values) - 1) / 2
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bpv-landscape-picture" width="{w}" height="{h}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11" {SVG_CARD} role="img">',
        f'<title>The loss over {html.escape(entry_name(*s.a))} (across) and {html.escape(entry_name(*s.b))} '
        f'(up), coloured on a log scale from {_num(lo)} to {_num(hi)}; the red point is the current '
        f'weights ({_num(ca)}, {_num(cb)}).</title>',
        f'<defs><clipPath id="{uid}-box">'
        f'<rect x="{LEFT}" y="{TOP}" width="{RIGHT - LEFT}" height="{BOTTOM - TOP}"/></clipPath></defs>',
        # the heatmap: grid row 0 (the lowest b) at the bottom
        f'<image clip-path="url(#{uid}-box)" href="{_data_uri(loss_rgb(s.loss, lo, hi)[::-1])}" '
        f'x="{x(a0 - da):.2f}" y="{y(b1 + db):.2f}" width="{x(a1 + da) - x(a0 - da):.2f}" '
        f'height="{y(b0 - db) - y(b1 + db):.2f}" preserveAspectRatio="none" style="image-rendering:pixelated"/>',
        f'<rect x="{LEFT}" y="{TOP}" width="{RIGHT - LEFT}" height="{BOTTOM - TOP}" fill="none" stroke="#333"/>',
    ]
    for t, label in zip(ticks_a, labels_a):
        out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{BOTTOM}" y2="{BOTTOM + 4}" stroke="#333"/>'
                   f'<text x="{x(t):.1f}" y="{BOTTOM + 16}" text-anchor="middle" fill="#333">{label}</text>')
    for t, label in zip(ticks_b, labels_b):
        out.append(f'<line x1="{LEFT - 4}" x2="{LEFT}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#333"/>'
                   f'<text x="{LEFT - 7}" y="{y(t) + 4:.1f}" text-anchor="end" fill="#333">{label}</text>')
    out.append(f'<text x="{(LEFT + RIGHT) / 2}" y="{HEIGHT - 18}" text-anchor="middle" font-size="12" '
               f'fill="#333">{names[0]}</text>'
               f'<text transform="translate(16 {(TOP + BOTTOM) / 2}) rotate(-90)" text-anchor="middle" '
               f'font-size="12" fill="#333">{names[1]}</text>')
    # the colour bar: the top of the bar is hi
    bar = loss_rgb(np.geomspace(hi, lo, 256)[:, None], lo, hi)
    span = np.log10(hi) - np.log10(lo)
    out.append(f'<image href="{_data_uri(bar)}" x="{BAR_LEFT}" y="{TOP}" width="{BAR_RIGHT - BAR_LEFT}" '
               f'height="{BOTTOM - TOP}" preserveAspectRatio="none"/>'
               f'<rect x="{BAR_LEFT}" y="{TOP}" width="{BAR_RIGHT - BAR_LEFT}" height="{BOTTOM - TOP}" '
               'fill="none" stroke="#333"/>')
    for v in log_ticks(lo, hi):
        ty = BOTTOM - (np.log10(v) - np.log10(lo)) / span * (BOTTOM - TOP)
        out.append(f'<line x1="{BAR_RIGHT}" x2="{BAR_RIGHT + 3}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#333"/>'
                   f'<text x="{BAR_RIGHT + 5}" y="{ty + 4:.1f}" font-size="10" fill="#333">{_num(v)}</text>')
    out.append(f'<text x="{BAR_LEFT + 7}" y="{BOTTOM + 16}" text-anchor="middle" fill="#333">loss</text>')
    # the path, the point and the arrow, clipped to the heatmap's box
    out.append(f'<g clip-path="url(#{uid}-box)">')
    path = [] if trajectory is None else [(p, q) for p, q in trajectory if np.isfinite(p) and np.isfinite(q)]
    if len(path) > 1:
        points = " ".join(f"{x(p):.1f},{y(q):.1f}" for p, q in path)
        out.append(f'<polyline class="bpv-landscape-path" points="{points}" fill="none" stroke="#fff" '
                   'stroke-width="1.2" opacity="0.9"/>'
                   f'<circle cx="{x(path[0][0]):.1f}" cy="{y(path[0][1]):.1f}" r="2.5" fill="#fff"/>')
    ga, gb = s.gradient
    norm = float(np.hypot(ga, gb))
    if norm > 0 and np.isfinite(norm):
        reach = (a1 - a0) * 0.25  # a quarter of the window, downhill
        ex, ey = x(ca - ga / norm * reach), y(cb - gb / norm * reach)
        sx, sy = x(ca), y(cb)
        ux, uy = ex - sx, ey - sy
        length = float(np.hypot(ux, uy)) or 1.0
        ux, uy = ux / length, uy / length
        head = [(ex, ey), (ex - 9 * ux + 4.5 * uy, ey - 9 * uy - 4.5 * ux),
                (ex - 9 * ux - 4.5 * uy, ey - 9 * uy + 4.5 * ux)]
        out.append(f'<g class="bpv-landscape-arrow" stroke="{POINT}" fill="{POINT}">'
                   f'<title>downhill: the negative gradient, ({_num(-ga)}, {_num(-gb)})</title>'
                   f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex - 6 * ux:.1f}" y2="{ey - 6 * uy:.1f}" stroke-width="2"/>'
                   f'<polygon points="{" ".join(f"{px:.1f},{py:.1f}" for px, py in head)}" stroke="none"/></g>')
    out.append(f'<circle class="bpv-landscape-point" cx="{x(ca):.1f}" cy="{y(cb):.1f}" r="4.5" '
               f'fill="{POINT}" stroke="#fff" stroke-width="1"><title>the current weights '
               f'({_num(ca)}, {_num(cb)})</title></circle></g></svg>')
    return "".join(out)
