"""Pictures painted cell by cell straight into a figure's pixels."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg


def axes_cells(canvas: FigureCanvasAgg, ax: Axes, shape: tuple[int, int]) -> tuple:
    """Where the inside of ``ax`` is in the canvas's buffer (rows from the top), and
    which cell of a ``shape`` (rows, cols) grid each of its pixels shows, as
    ``imshow`` with origin "lower" over the axes' extent would: ``(region, rows,
    cols)``, the pixel (i, j) of the region showing cell (rows[i], cols[j]), grid
    row 0 at the bottom. Two short vectors, not a cell per pixel: ``paint`` fills
    the region from them (in half the time of one gather by a full index, and
    without its megabyte per picture)."""
    box = ax.get_window_extent()
    height = canvas.get_width_height()[1]
    c0, c1 = int(np.ceil(box.x0)) + 1, int(np.floor(box.x1))
    r0, r1 = height - int(np.floor(box.y1)) + 1, height - int(np.ceil(box.y0))
    cols = ((np.arange(c0, c1) + 0.5 - box.x0) / box.width * shape[1]).astype(np.intp)
    rows = ((height - (np.arange(r0, r1) + 0.5) - box.y0) / box.height * shape[0]).astype(np.intp)
    return ((slice(r0, r1), slice(c0, c1)), np.clip(rows, 0, shape[0] - 1),
            np.clip(cols, 0, shape[1] - 1))


def paint(words: np.ndarray, region: tuple[slice, slice], rows: np.ndarray, cols: np.ndarray,
          cells: np.ndarray) -> None:
    """Write each cell's word (``cells``, a (grid rows, grid cols) array) into the
    region's pixels of ``words`` (the canvas's buffer as uint32 RGBA words)."""
    words[region] = cells[rows][:, cols]
