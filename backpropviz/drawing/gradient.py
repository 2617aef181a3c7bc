"""The gradient beside a weight's slider, and which way is downhill."""

from __future__ import annotations

import math


def gradient_html(g: float, value: float = 0.0) -> str:
    """The gradient dL/dw of one weight and the arrow that says which way lowers
    the loss; for a weight that is inf or NaN (which no slider can show), the
    weight itself."""
    if not math.isfinite(value):
        return f'<span title="training diverged: Undo or Reset">weight = {value}</span>'
    if not math.isfinite(g):
        return f'<span title="the gradient overflowed">dL/dw = {g}</span>'
    if g > 0:
        way, arrow, tip = "◀ downhill", "◀", "decreasing this parameter lowers the loss"
    elif g < 0:
        way, arrow, tip = "downhill ▶", "▶", "increasing this parameter lowers the loss"
    else:
        way, arrow, tip = "flat", "·", "the loss does not change to first order"
    return (f'<span style="white-space:nowrap" title="dL/dw = {g:+.8g}: {tip}">'
            f'<code>{g:+.5f}</code> <span aria-label="{way}">{arrow}</span></span>')
