"""Pictures painted cell by cell straight into a figure's pixels."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg


def axes_cells(canvas: FigureCanvasAgg, ax: Axes, shape: tuple[int, int]) -> tuple[tuple[slice, slice], np.ndarray]:
    """Where the inside of ``ax`` is in the canvas's buffer (rows from the top), and
    for each of its pixels the cell of a ``shape`` (rows, cols) grid it shows, as
    ``imshow`` with origin "lower" over the axes' extent would: cell r * cols + c,
    row r counting up from the bottom."""
    box = ax.get_window_extent()
    height = canvas.get_width_height()[1]
    c0, c1 = int(np.ceil(box.x0)) + 1, int(np.floor(box.x1))
    r0, r1 = height - int(np.floor(box.y1)) + 1, height - int(np.ceil(box.y0))
    cols = ((np.arange(c0, c1) + 0.5 - box.x0) / box.width * shape[1]).astype(int)
    rows = ((height - (np.arange(r0, r1) + 0.5) - box.y0) / box.height * shape[0]).astype(int)
    cells = np.clip(rows, 0, shape[0] - 1)[:, None] * shape[1] + np.clip(cols, 0, shape[1] - 1)[None, :]
    return (slice(r0, r1), slice(c0, c1)), cells
