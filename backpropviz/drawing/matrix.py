"""Arrays as HTML, laid out exactly as NumPy prints them (as the seed notebook shows).

``matrix_html`` wraps ``str(array)`` in a ``<pre>`` and can mark one entry (the
one a quiz asks about) or hide every number (before the reveal) without
changing the layout a student is used to.
"""

from __future__ import annotations

import html
import re
from typing import Any

import numpy as np

#: NumPy's own default print options: the stepper prints as the seed does, whatever
#: a notebook set with np.set_printoptions for its own cells.
NUMPY_DEFAULTS = dict(precision=8, threshold=1000, edgeitems=3, linewidth=75, suppress=False,
                      nanstr="nan", infstr="inf", sign="-", floatmode="maxprec", legacy=False)

# One printed number in NumPy's output: 0.189, -1.0731, 1e-05, nan, -inf, 1.
_NUMBER = re.compile(r"[-+]?(?:nan|inf|\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)")


#: The rows of a matrix shown by default; the rest are counted.
SHOWN_ROWS = 12


def matrix_html(
    value: Any,
    mark: tuple[int, ...] | None = None,
    hide: bool = False,
    max_rows: int = SHOWN_ROWS,
) -> str:
    """``value`` printed as NumPy prints it, as HTML.

    ``mark`` wraps one entry in ``<mark>``; ``hide`` replaces every number by
    ``?`` padded to the same width (the entry at ``mark`` stays marked). Arrays
    with more than ``max_rows`` rows show their first rows and a count.
    """
    arr = np.asarray(value)
    extra = ""
    if arr.ndim == 2 and arr.shape[0] > max_rows:
        extra = f"\n … {arr.shape[0] - max_rows} more rows"
        arr = arr[:max_rows]
        if mark is not None and mark[0] >= max_rows:
            mark = None
    with np.printoptions(**NUMPY_DEFAULTS):
        text = str(arr) if arr.ndim else str(arr[()])
    if mark is None and not hide:
        return f'<pre class="bpv-matrix">{html.escape(text)}{extra}</pre>'
    # NumPy prints entries in row-major order (wrapping long rows over several
    # lines), so the k-th printed number is the entry with flat index k.
    target = int(np.ravel_multi_index(mark, arr.shape)) if mark is not None and arr.ndim else (
        0 if mark is not None else -1)
    pieces, last, k = [], 0, 0
    for m in _NUMBER.finditer(text):
        pieces.append(html.escape(text[last:m.start()]))
        token = m.group(0)
        cell = html.escape("?".rjust(len(token)) if hide else token)
        if k == target:
            cell = f'<mark class="bpv-quiz">{cell}</mark>'
        pieces.append(cell)
        last = m.end()
        k += 1
    pieces.append(html.escape(text[last:]))
    return f'<pre class="bpv-matrix">{"".join(pieces)}{extra}</pre>'


def shape_text(value: Any) -> str:
    """``(4, 1)`` for an array, ``()`` for a scalar: the shape as NumPy writes it."""
    return str(tuple(np.shape(value)))
