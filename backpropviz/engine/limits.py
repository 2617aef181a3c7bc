"""The documented size limits, checked before anything large is allocated.

backpropviz is for nets and data a class can look at. These caps keep a typo,
a bored student or a hostile saved file from asking for gigabytes: every
public entry point that takes a size checks it against these numbers first and
raises ``ValueError`` naming the argument and the cap. The README lists them.
"""

from __future__ import annotations

#: Weight layers in one MLP (hidden layers + the output layer).
MAX_LAYERS = 16
#: Units in any one layer, the inputs and outputs included.
MAX_UNITS = 1024
#: Weights and biases of one MLP together.
MAX_PARAMETERS = 200_000
#: Rows of a data set (training or test), and rows a dataset generator makes.
MAX_ROWS = 100_000
#: Entries (rows x columns) of one data array.
MAX_DATA_ENTRIES = 2_000_000
#: Classes a set of labels may have (one output unit each under cross-entropy).
MAX_CLASSES = 20
#: Training steps in one run; the loss curve holds at most MAX_STEPS + 1 points.
MAX_STEPS = 1_000_000
#: Steps that Undo can go back.
MAX_UNDO = 1000
#: Points per side of the decision-boundary grid.
MAX_GRID = 400
#: Points per side of the loss-landscape slice.
MAX_LANDSCAPE = 201
#: The learning rates the state and its learning-rate box accept.
MIN_LR, MAX_LR = 1e-6, 1e3


def check_count(name: str, value: int, cap: int, what: str) -> int:
    """``value`` if it is at most ``cap``, else a ``ValueError`` naming both."""
    if value > cap:
        raise ValueError(f"{name} must be at most {cap:,} {what} (backpropviz's limit), got {value:,}")
    return value


def check_sizes(name: str, sizes: tuple[int, ...]) -> None:
    """Layer count, units per layer and parameter count of an MLP with ``sizes``."""
    check_count(f"{name} (weight layers)", len(sizes) - 1, MAX_LAYERS, "weight layers")
    for i, s in enumerate(sizes):
        check_count(f"{name}[{i}]", s, MAX_UNITS, "units")
    params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    check_count(f"{name} (parameters)", params, MAX_PARAMETERS, "weights and biases")


def check_data_shape(name: str, shape: tuple[int, ...]) -> None:
    """Rows and entries of one data array."""
    if len(shape) >= 1:
        check_count(f"{name} (rows)", shape[0], MAX_ROWS, "rows")
    entries = 1
    for s in shape:
        entries *= s
    check_count(f"{name} (entries)", entries, MAX_DATA_ENTRIES, "entries")
