"""Colours a colour-blind student can tell apart (simulated with Machado et al. 2009)."""

import numpy as np
import pytest

from backpropviz.drawing.colors import (BLUE, DIVERGING, DIVERGING_LIGHT, ORANGE, class_colors,
                                        class_rgb, diverging_rgb)

# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
SIMULATIONS = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def _linear(rgb):
    c = np.asarray(rgb, float) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear):
    xyz = np.clip(linear, 0, 1) @ np.array([[0.4124, 0.3576, 0.1805],
                                            [0.2126, 0.7152, 0.0722],
                                            [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def _seen(rgb, vision):
    lin = _linear(rgb)
    return _lab(lin if vision == "normal" else lin @ SIMULATIONS[vision].T)


VISIONS = ["normal", *SIMULATIONS]


@pytest.mark.parametrize("vision", VISIONS)
def test_the_two_classes_stay_far_apart(vision):
    a, b = _seen(ORANGE, vision), _seen(BLUE, vision)
    assert np.linalg.norm(a - b) > 25  # CIE76; about 2.3 is "just noticeable"


@pytest.mark.parametrize("vision", VISIONS)
def test_heatmap_ends_differ_from_each_other_and_from_unsure_white(vision):
    lo, mid, hi = (_seen(DIVERGING_LIGHT[i], vision) for i in (0, 128, 255))
    assert np.linalg.norm(lo - hi) > 15
    assert np.linalg.norm(lo - mid) > 10 and np.linalg.norm(hi - mid) > 10


@pytest.mark.parametrize("vision", VISIONS)
def test_every_pair_of_up_to_three_classes_is_distinguishable(vision):
    colours = class_colors(3)
    seen = [_seen(c, vision) for c in colours]
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.linalg.norm(seen[i] - seen[j]) > 12, (vision, i, j)


def test_lookup_tables_run_from_orange_through_white_to_blue():
    assert tuple(DIVERGING[0]) == ORANGE and tuple(DIVERGING[-1]) == BLUE
    assert np.all(DIVERGING[128] >= 250)  # the middle is (nearly) white
    rgb = diverging_rgb(np.array([0.0, 0.5, 1.0, np.nan]), 0.0, 1.0)
    assert tuple(rgb[-1]) == (200, 200, 200)  # NaN is grey, not a class colour
    probs = np.array([[1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0]])
    faded, strong = class_rgb(probs)
    assert np.all(faded == 255)  # undecided is white
    assert not np.all(strong == 255)
