"""Small 2-D datasets for the class, in the spirit of TensorFlow Playground.

Every generator returns ``(X, Y)``: X float64 of shape (n, 2), Y float64 of
shape (n, 1). The classification sets (``GENERATORS``) hold labels 0.0 and 1.0,
balanced (the first class gets the odd row); the regression sets
(``REGRESSION``: ``plane``, ``multi_gaussian``) hold real-valued targets in
about [-1, 1], to be learnt with MSE on an Identity output unit. ``noise`` is
the standard deviation of Gaussian noise in input units (the points span
roughly [-1, 1]); ``seed`` makes a draw reproducible.
Your own arrays work anywhere one of these does.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .engine._checks import as_int, as_real, describe, matrix
from .engine.limits import MAX_ROWS, check_count

Dataset = tuple[np.ndarray, np.ndarray]


def xor() -> Dataset:
    """The seed's four XOR rows: X (4, 2) and Y (4, 1), exactly as the seed writes them."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X, Y


def _args(n: Any, noise: Any, seed: Any) -> tuple[int, float, np.random.Generator]:
    n = check_count("n", as_int("n", n, minimum=2), MAX_ROWS, "rows")
    noise = as_real("noise", noise)
    if not (0.0 <= noise < float("inf")):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    if seed is not None:
        seed = as_int("seed", seed, minimum=0)
    return n, noise, np.random.default_rng(seed)


def _finish(points: list[np.ndarray], noise: float, rng: np.random.Generator) -> Dataset:
    """Stack class 0 then class 1, add noise, shuffle rows reproducibly."""
    X = np.concatenate(points).astype(np.float64)
    Y = np.concatenate([np.full((len(p), 1), float(c)) for c, p in enumerate(points)])
    X = X + rng.normal(0.0, noise, size=X.shape) if noise else X
    order = rng.permutation(len(X))
    return np.ascontiguousarray(X[order]), np.ascontiguousarray(Y[order])


def _split(n: int) -> tuple[int, int]:
    return n - n // 2, n // 2


def circle(n: int = 200, noise: float = 0.05, seed: int | None = 0) -> Dataset:
    """Class 1 inside a disc of radius 0.5, class 0 on a ring from 0.7 to 1.0."""
    n, noise, rng = _args(n, noise, seed)
    n0, n1 = _split(n)

    def ring(count: int, r_min: float, r_max: float) -> np.ndarray:
        r = rng.uniform(r_min, r_max, count)
        a = rng.uniform(0.0, 2 * np.pi, count)
        return np.column_stack([r * np.cos(a), r * np.sin(a)])

    return _finish([ring(n0, 0.7, 1.0), ring(n1, 0.0, 0.5)], noise, rng)


def xor_quadrants(n: int = 200, noise: float = 0.05, seed: int | None = 0) -> Dataset:
    """Noisy XOR: class 1 where x and y have opposite signs; points keep off the axes."""
    n, noise, rng = _args(n, noise, seed)
    n0, n1 = _split(n)

    def quadrants(count: int, same_sign: bool) -> np.ndarray:
        mag = rng.uniform(0.1, 1.0, size=(count, 2))
        sx = rng.choice([-1.0, 1.0], size=count)
        sy = sx if same_sign else -sx
        return mag * np.column_stack([sx, sy])

    return _finish([quadrants(n0, True), quadrants(n1, False)], noise, rng)


def gaussians(n: int = 200, noise: float = 0.25, seed: int | None = 0) -> Dataset:
    """Two round clusters centred at (-0.5, -0.5) (class 0) and (0.5, 0.5) (class 1).

    ``noise`` is each cluster's standard deviation.
    """
    n, noise, rng = _args(n, noise, seed)
    n0, n1 = _split(n)
    centres = [np.full((n0, 2), -0.5), np.full((n1, 2), 0.5)]
    return _finish(centres, noise, rng)


def spiral(n: int = 200, noise: float = 0.03, seed: int | None = 0) -> Dataset:
    """Two interleaved spiral arms, each turning 1.75 times from the centre outwards."""
    n, noise, rng = _args(n, noise, seed)
    n0, n1 = _split(n)

    def arm(count: int, phase: float) -> np.ndarray:
        t = np.linspace(0.0, 1.0, count, endpoint=False) + 0.5 / max(count, 1)
        angle = 1.75 * 2 * np.pi * t + phase
        return np.column_stack([t * np.cos(angle), t * np.sin(angle)])

    return _finish([arm(n0, 0.0), arm(n1, np.pi)], noise, rng)


def moons(n: int = 200, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Two interleaving half circles, centred on the origin."""
    n, noise, rng = _args(n, noise, seed)
    n0, n1 = _split(n)
    a0 = np.linspace(0.0, np.pi, n0)
    a1 = np.linspace(0.0, np.pi, n1)
    upper = np.column_stack([np.cos(a0) - 0.5, np.sin(a0) - 0.25]) * 0.8
    lower = np.column_stack([0.5 - np.cos(a1), 0.25 - np.sin(a1)]) * 0.8
    return _finish([upper, lower], noise, rng)


def blobs(n: int = 240, noise: float = 0.2, seed: int | None = 0, classes: int = 3) -> Dataset:
    """``classes`` round clusters on a circle of radius 0.7; Y holds labels 0..classes-1.

    For several classes: train it with ``loss="cross_entropy"`` and one output
    unit per class.
    """
    n, noise, rng = _args(n, noise, seed)
    k = as_int("classes", classes, minimum=2)
    if k > 8:
        raise ValueError(f"classes must be at most 8, got {k}")
    counts = [n // k + (1 if c < n % k else 0) for c in range(k)]
    points = []
    for c, count in enumerate(counts):
        angle = 2 * np.pi * c / k + np.pi / 2
        points.append(np.tile([0.7 * np.cos(angle), 0.7 * np.sin(angle)], (count, 1)))
    return _finish(points, noise, rng)


# ---------------------------------------------------------------- regression
#
# As TensorFlow Playground's regression problems: the points are drawn uniformly
# from the square [-1, 1]^2 and keep their place; the noise moves the point at
# which the target is read (by a Gaussian of standard deviation ``noise`` in
# input units), so a noisy target is the right value for a point nearby.


def _regression(n: int, noise: float, rng: np.random.Generator,
                target: Callable[[np.ndarray], np.ndarray]) -> Dataset:
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    at = X + rng.normal(0.0, noise, size=X.shape) if noise else X
    return np.ascontiguousarray(X), np.ascontiguousarray(target(at).reshape(n, 1))


def plane_value(X: np.ndarray) -> np.ndarray:
    """``plane``'s target function, (n, 2) -> (n,): y = (x1 + x2) / 2."""
    return (X[:, 0] + X[:, 1]) / 2.0


#: ``multi_gaussian``'s bumps: (centre x1, centre x2, sign), a 3 x 2 checkerboard.
BUMPS = ((-0.6, 0.45, 1.0), (0.0, 0.45, -1.0), (0.6, 0.45, 1.0),
         (-0.6, -0.45, -1.0), (0.0, -0.45, 1.0), (0.6, -0.45, -1.0))
#: The bumps' standard deviation, in input units.
BUMP_WIDTH = 0.2


def multi_gaussian_value(X: np.ndarray) -> np.ndarray:
    """``multi_gaussian``'s target function, (n, 2) -> (n,): the sum over ``BUMPS`` of
    sign * exp(-|x - centre|^2 / (2 * BUMP_WIDTH^2)), in about [-1, 1]."""
    y = np.zeros(len(X))
    for cx, cy, sign in BUMPS:
        d2 = (X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2
        y += sign * np.exp(-d2 / (2.0 * BUMP_WIDTH ** 2))
    return y


def plane(n: int = 200, noise: float = 0.05, seed: int | None = 0) -> Dataset:
    """Regression on a tilted plane: y = (x1 + x2) / 2 over [-1, 1]^2 (y in [-1, 1]).

    ``noise`` moves the point the target is read at (see the section's note).
    """
    n, noise, rng = _args(n, noise, seed)
    return _regression(n, noise, rng, plane_value)


def multi_gaussian(n: int = 200, noise: float = 0.05, seed: int | None = 0) -> Dataset:
    """Regression on six signed Gaussian bumps in a checkerboard (``BUMPS``): y is
    their sum, about +1 on a positive bump's centre (its neighbours take off 2%
    at most), about -1 on a negative one's, near 0 between and far away.
    """
    n, noise, rng = _args(n, noise, seed)
    return _regression(n, noise, rng, multi_gaussian_value)


def train_test_split(X: np.ndarray, Y: np.ndarray, test_fraction: float = 0.25,
                     seed: int | None = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, Y_train, X_test, Y_test): a reproducible random split of the rows.

    ``test_fraction`` 0 gives an empty test set (arrays with no rows).
    """
    X, Y = as_dataset(X, Y)
    f = as_real("test_fraction", test_fraction)
    if not 0.0 <= f < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {f!r}")
    if seed is not None:
        seed = as_int("seed", seed, minimum=0)
    n_test = int(round(f * len(X)))
    if len(X) - n_test < 1:
        raise ValueError(f"test_fraction {f} leaves no training rows out of {len(X)}")
    order = np.random.default_rng(seed).permutation(len(X))
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return X[train], Y[train], X[test], Y[test]


#: Classification generators by name, for menus (labels 0, 1, ...).
GENERATORS: dict[str, Callable[..., Dataset]] = {
    "circle": circle,
    "xor_quadrants": xor_quadrants,
    "gaussians": gaussians,
    "spiral": spiral,
    "moons": moons,
    "blobs": blobs,
}

#: Regression generators by name (real-valued targets: MSE on an Identity output).
REGRESSION: dict[str, Callable[..., Dataset]] = {
    "plane": plane,
    "multi_gaussian": multi_gaussian,
}


def is_regression(name: str) -> bool:
    """True for the names of ``REGRESSION`` (their targets are numbers, not classes)."""
    return isinstance(name, str) and name in REGRESSION


def make(name: str, **kwargs: Any) -> Dataset:
    """``make("moons", n=100, noise=0.2, seed=1)``; ``make("xor")`` is the seed's XOR;
    ``make("plane")`` and ``make("multi_gaussian")`` are regression sets."""
    if name == "xor":
        if kwargs:
            raise TypeError(f"xor() takes no arguments, got {sorted(kwargs)}")
        return xor()
    generators = {**GENERATORS, **REGRESSION}
    if not isinstance(name, str) or name not in generators:
        raise ValueError(
            f"name must be one of {['xor', *generators]}, got {describe(name)}"
        )
    return generators[name](**kwargs)


def as_dataset(X: Any, Y: Any) -> Dataset:
    """Your own arrays, checked and copied: X (n, features), Y (n, outputs) or (n,)."""
    X = matrix("X", X, None).copy()
    Y = np.asarray(Y)
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    Y = matrix("Y", Y, None).copy()
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must have one row per row of X ({X.shape[0]}), got {Y.shape[0]} rows")
    return X, Y
