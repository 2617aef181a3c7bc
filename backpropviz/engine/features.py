"""Input features: what the net reads from a point (x1, x2) of the plane.

TensorFlow Playground's seven: the coordinates themselves, their squares, their
product and their sines. Each is defined once here, with its name (what the API
takes), its label (what the diagram and the stepper show) and its formula.
With features on, the net's inputs are the chosen columns, in this table's
order, computed from the points; the pictures stay over the (x1, x2) plane.

``x1*x2`` alone separates XOR with no hidden layer at all: its sign is the
class. That is the lesson of features: a good representation does the work
a hidden layer would otherwise have to learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ._checks import describe


@dataclass(frozen=True)
class Feature:
    """One input feature: ``name`` for the API, ``label`` for the pictures, and
    ``forward(x1, x2, out)``, which writes its column for the points into ``out``."""

    name: str
    label: str
    formula: str
    forward: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _x1(x1: np.ndarray, x2: np.ndarray, out: np.ndarray) -> np.ndarray:
    out[...] = x1
    return out


def _x2(x1: np.ndarray, x2: np.ndarray, out: np.ndarray) -> np.ndarray:
    out[...] = x2
    return out


def _x1_squared(x1: np.ndarray, x2: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.multiply(x1, x1, out=out)


def _x2_squared(x1: np.ndarray, x2: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.multiply(x2, x2, out=out)


def _product(x1: np.ndarray, x2: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.multiply(x1, x2, out=out)


def _sin_x1(x1: np.ndarray, x2: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.sin(x1, out=out)


def _sin_x2(x1: np.ndarray, x2: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.sin(x2, out=out)


#: Every feature, in the order the net's inputs take them.
FEATURES: dict[str, Feature] = {f.name: f for f in (
    Feature("x1", "x₁", "x1", _x1),
    Feature("x2", "x₂", "x2", _x2),
    Feature("x1^2", "x₁²", "x1²", _x1_squared),
    Feature("x2^2", "x₂²", "x2²", _x2_squared),
    Feature("x1*x2", "x₁x₂", "x1·x2", _product),
    Feature("sin(x1)", "sin x₁", "sin(x1)", _sin_x1),
    Feature("sin(x2)", "sin x₂", "sin(x2)", _sin_x2),
)}
#: The plane's own coordinates: the net's inputs when no other feature is chosen.
PLANE = ("x1", "x2")


def check_features(features: Any, name: str = "features") -> tuple[str, ...]:
    """``features`` as a tuple of known names in the table's order, or a clear error.

    Takes any sequence of names (``["x1*x2"]``, ``("x1", "x2", "sin(x1)")``); at
    least one, none twice.
    """
    if isinstance(features, (str, bytes)) or not isinstance(features, Sequence):
        raise TypeError(f"{name} must be a list of feature names such as ['x1', 'x2', 'x1*x2'], "
                        f"got {describe(features)}")
    chosen = list(features)
    for i, f in enumerate(chosen):
        if not isinstance(f, str):
            raise TypeError(f"{name}[{i}] must be a feature name (a string), got {describe(f)}")
        if f not in FEATURES:
            raise ValueError(f"{name}[{i}] must be one of {', '.join(FEATURES)}, got {f!r}")
    if not chosen:
        raise ValueError(f"{name} must name at least one feature (the net needs an input), got none")
    if len(set(chosen)) != len(chosen):
        twice = sorted({f for f in chosen if chosen.count(f) > 1})
        raise ValueError(f"{name} must name each feature once, got {', '.join(twice)} more than once")
    return tuple(f for f in FEATURES if f in chosen)


def feature_matrix(points: np.ndarray, features: tuple[str, ...],
                   out: np.ndarray | None = None) -> np.ndarray:
    """The net's inputs for ``points`` (n, 2): one column per feature, in order.

    ``features`` must be checked (``check_features``); ``out`` (n, len(features))
    is filled and returned when given.
    """
    x1, x2 = points[:, 0], points[:, 1]
    if out is None:
        out = np.empty((len(points), len(features)))
    for k, f in enumerate(features):
        FEATURES[f].forward(x1, x2, out[:, k])
    return out


def labels(features: tuple[str, ...] | None, inputs: int) -> tuple[str, ...]:
    """What the pictures call the net's ``inputs`` input units: the features' labels
    (x₁, x₁x₂, ...); x₁ and x₂, the plane's coordinates, for 2 inputs read as given;
    otherwise x[0], x[1], ... (the columns of X, as the seed numbers them)."""
    if features is not None:
        return tuple(FEATURES[f].label for f in features)
    if inputs == 2:
        return tuple(FEATURES[f].label for f in PLANE)
    return tuple(f"x[{i}]" for i in range(inputs))


__all__ = ["Feature", "FEATURES", "PLANE", "check_features", "feature_matrix", "labels"]
