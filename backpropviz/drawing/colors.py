"""Colours readable by colour-blind students, as lookup tables for fast images.

Two classes are orange (0) and blue (1), the pair the diagram uses for signs;
more classes use the Okabe-Ito palette. Values map through white in between,
so "not sure" reads as pale.
"""

from __future__ import annotations

import numpy as np

ORANGE = (230, 97, 0)     # #e66100
BLUE = (31, 119, 180)     # #1f77b4
OKABE_ITO = [(230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66),
             (0, 114, 178), (213, 94, 0), (204, 121, 167), (0, 0, 0)]

#: Our SVG pictures are light cards in every notebook theme: their colours are
#: chosen for white, as are the boundary's and the landscape's images.
SVG_CARD = 'style="background:#fff;border-radius:4px"'


def class_colors(k: int) -> np.ndarray:
    """(k, 3) uint8 colours of k classes."""
    if k <= 2:
        return np.array([ORANGE, BLUE], dtype=np.uint8)[:max(k, 2)]
    return np.array(OKABE_ITO[:k], dtype=np.uint8)


def hex_color(rgb) -> str:
    return "#%02x%02x%02x" % tuple(int(c) for c in rgb)


def _diverging_lut(n: int = 256) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    low, mid, high = np.array(ORANGE, float), np.array([255.0, 255.0, 255.0]), np.array(BLUE, float)
    lut = np.where(t < 0.5, low + (mid - low) * (t / 0.5), mid + (high - mid) * ((t - 0.5) / 0.5))
    return np.round(lut).astype(np.uint8)


#: 256 colours from orange (0) through white (0.5) to blue (1).
DIVERGING = _diverging_lut()


#: The same, faded halfway to white: a background that coloured points stand out on.
DIVERGING_LIGHT = np.round(255.0 - (255.0 - DIVERGING) * 0.55).astype(np.uint8)


def diverging_rgb(values: np.ndarray, lo: float, hi: float, out: np.ndarray | None = None,
                  lut: np.ndarray = DIVERGING, nan_colour: tuple[int, int, int] = (200, 200, 200)) -> np.ndarray:
    """Map ``values`` from [lo, hi] to RGB through ``lut`` (any 256-colour table);
    NaN becomes ``nan_colour`` (grey)."""
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    with np.errstate(invalid="ignore"):
        idx = np.clip((values - lo) * scale, 0, 255)
    nan = ~np.isfinite(idx)
    idx = np.where(nan, 0, idx).astype(np.intp)
    rgb = np.take(lut, idx, axis=0, out=out)
    if nan.any():
        rgb[nan] = nan_colour
    return rgb


def class_rgb(probs: np.ndarray) -> np.ndarray:
    """Each row's most likely class colour, faded towards white when unsure.

    ``probs`` is (n, k) with rows summing to 1; returns (n, 3) uint8.
    """
    k = probs.shape[1]
    colours = class_colors(k).astype(float)
    best = np.argmax(probs, axis=1)
    conf = probs[np.arange(len(probs)), best]
    strength = np.clip((conf - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)[:, None]
    rgb = 255.0 + (colours[best] - 255.0) * (0.55 * strength)
    rgb[~np.isfinite(conf)] = 200.0
    return np.round(rgb).astype(np.uint8)
