"""Input validation shared by the engine's public entry points.

Every check raises ``TypeError`` (wrong kind of thing) or ``ValueError`` (right
kind, wrong value) with a message that names the argument, says what was
expected and what was got. Checks never modify their input.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

#: The native float64 dtype. NumPy keeps one object for it, so the fast paths
#: test ``arr.dtype is FLOAT64`` (any other spelling takes the checked path).
FLOAT64 = np.dtype(np.float64)


def describe(value: Any) -> str:
    """A short description of ``value`` for error messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def as_real(name: str, value: Any) -> float:
    """``value`` as a Python float; bools and non-numbers raise ``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    try:
        return float(value)
    except OverflowError:  # an int beyond float's range, such as 10**400
        raise ValueError(f"{name} must be a finite number, got an integer of {len(str(abs(value)))} digits") from None


def positive_finite(name: str, value: Any) -> float:
    """A finite number greater than zero (a learning rate, a step size)."""
    x = as_real(name, value)
    if not (math.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be a finite number greater than 0, got {x!r}")
    return x


def nonnegative_finite(name: str, value: Any) -> float:
    """A finite number of at least zero (a penalty weight, a momentum)."""
    x = as_real(name, value)
    if not (math.isfinite(x) and x >= 0):
        raise ValueError(f"{name} must be a finite number of at least 0, got {x!r}")
    return x + 0.0  # -0.0 becomes 0.0


def penalty_weights(l1: Any, l2: Any) -> tuple[float, float]:
    """The weights of the L1 and L2 penalty, each a finite number of at least 0."""
    return nonnegative_finite("l1", l1), nonnegative_finite("l2", l2)


def as_int(name: str, value: Any, minimum: int | None = None) -> int:
    """``value`` as a Python int, at least ``minimum`` when given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {describe(value)}")
    i = int(value)
    if minimum is not None and i < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {i}")
    return i


def float_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a float64 array; raises ``TypeError`` for non-numeric input."""
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be array-like of numbers, got {describe(value)}") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
    ) or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(
            f"{name} must be array-like of real numbers, got {describe(value)}"
        )
    return arr.astype(np.float64)


def first_nonfinite(arr: np.ndarray) -> str | None:
    """Where the first NaN or inf of ``arr`` is, in words, or None if all finite."""
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size == 0:
        return None
    index = tuple(int(i) for i in bad[0])
    value = arr[index]
    kind = "NaN" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    where = f"[{', '.join(map(str, index))}]" if index else ""
    return f"{kind} at {where}" if where else kind


def surely_finite(arr: np.ndarray) -> bool:
    """True if every entry of the float array ``arr`` is finite, in one call:
    the sum of squares is finite only then. False also when that sum overflows
    (entries beyond 1e154): then look entry by entry (``first_nonfinite``).

    A dot product (BLAS) is half the cost of ``np.add.reduce`` here: 0.6 us
    against 1.1 us for 200 rows, 19 us against 50 us for 100,000. Call it
    with overflow warnings off."""
    return math.isfinite(np.vdot(arr, arr))


def require_finite(name: str, arr: np.ndarray) -> None:
    """Raise ``ValueError`` naming the first NaN/inf entry of ``arr``."""
    with np.errstate(over="ignore", invalid="ignore"):
        if surely_finite(arr):
            return
    where = first_nonfinite(arr)
    if where is not None:
        raise ValueError(f"{name} must contain only finite numbers, got {where}")


def matrix(name: str, value: Any, columns: int | None, what: str = "") -> np.ndarray:
    """A finite 2-D float64 array with ``columns`` columns (when given)."""
    arr = float_array(name, value)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (rows x {columns if columns else 'columns'}), "
            f"got shape {arr.shape}"
        )
    if columns is not None and arr.shape[1] != columns:
        raise ValueError(
            f"{name} must have {columns} column{'s' * (columns != 1)}{what}, "
            f"got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must have at least one row, got shape {arr.shape}")
    require_finite(name, arr)
    return arr
