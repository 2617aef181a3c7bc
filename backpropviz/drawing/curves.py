"""The loss curve as a small SVG: train (solid) and test (dashed) loss per step."""

from __future__ import annotations

import html

import numpy as np

from .colors import BLUE, ORANGE, SVG_CARD, hex_color

from ..engine.training import Curve

#: Points drawn per series, however long the curve: a redraw costs the same
#: after 10 steps or a million.
MAX_POINTS = 400


def loss_curve_svg(curve: Curve, width: int = 420, height: int = 170, title: str = "loss") -> str:
    """Loss after each step (step 0 is the start), train solid and test dashed.
    At most MAX_POINTS points per series are read and drawn. Inf/NaN points are
    left out and the first one is marked, so a divergence shows where it happened."""
    left, right, top, bottom = 46, 10, 18, 24
    steps, series = curve.thinned(MAX_POINTS)
    tr, te = series["train_loss"], series["test_loss"]
    with np.errstate(invalid="ignore"):
        finite = np.concatenate([tr[np.isfinite(tr)], te[np.isfinite(te)]])
    hi = float(finite.max()) * 1.05 if finite.size and finite.max() > 0 else 1.0
    n = max(len(curve) - 1, 1)
    pw, ph = width - left - right, height - top - bottom

    def xy(at: np.ndarray, vals: np.ndarray) -> str:
        xs = left + at / n * pw
        ys = top + ph - np.clip(vals / hi, 0, 1) * ph
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bpv-curve" width="{width}" '
           f'height="{height}" font-family="sans-serif" font-size="10" {SVG_CARD}>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#bbb"/>',
           f'<text x="{left}" y="12" font-size="11">{html.escape(title)}</text>',
           f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{hi:.3g}</text>',
           f'<text x="{left - 4}" y="{top + ph}" text-anchor="end">0</text>',
           f'<text x="{left}" y="{height - 8}">step 0</text>',
           f'<text x="{left + pw}" y="{height - 8}" text-anchor="end">step {len(curve) - 1}</text>']
    for vals, colour, dash, name in ((tr, BLUE, "", "train"), (te, ORANGE, ' stroke-dasharray="5 3"', "test")):
        if not len(vals):
            continue
        good = np.isfinite(vals)
        if good.any():
            out.append(f'<polyline class="bpv-{name}" fill="none" stroke="{hex_color(colour)}" '
                       f'stroke-width="1.8"{dash} points="{xy(steps[good], vals[good])}"/>')
            last = xy(steps[good][-1:], vals[good][-1:]).split(",")
            out.append(f'<circle cx="{last[0]}" cy="{last[1]}" r="2.5" fill="{hex_color(colour)}"/>')
        first = curve.first_nonfinite(f"{name}_loss")
        if first is not None:
            x = left + first / n * pw
            out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#b00020" '
                       f'stroke-dasharray="3 2"/><text x="{x - 3:.1f}" y="{top + 12}" fill="#b00020" '
                       f'text-anchor="end">{name} loss not finite from step {first}</text>')
    legend = [("train", BLUE, "")] + ([("test", ORANGE, "5 3")] if len(te) else [])
    for i, (name, colour, dash) in enumerate(legend):
        x = left + pw - 110 + i * 55
        out.append(f'<line x1="{x}" y1="9" x2="{x + 16}" y2="9" stroke="{hex_color(colour)}" '
                   f'stroke-width="2" stroke-dasharray="{dash}"/><text x="{x + 19}" y="12">{name}</text>')
    out.append("</svg>")
    return "".join(out)
