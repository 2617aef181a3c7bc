"""The net evaluated over a grid of the input plane, into preallocated buffers.

Used to draw decision boundaries and per-unit maps on every change, so it
allocates nothing per call: fresh large arrays on every call cost page faults
(see PERFORMANCE.md), reused buffers do not.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_int, as_real
from .features import feature_matrix
from .limits import MAX_GRID, check_count
from .mlp import MLP
from .ops import LINEAR


#: Rows x inputs x outputs of the largest matrix product OpenBLAS runs on one thread
#: (its GEMM_MULTITHREAD_THRESHOLD of 4 x 65536).
ONE_THREAD_PRODUCT = 4 * 65536


def matmul_one_thread(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` (2-D) as products small enough for OpenBLAS to run each on one
    thread: split along the longer side of the result. On 2 cores its second
    thread gains little on these sizes and, when the machine is busy, spins
    waiting for its share (the same product took twice the CPU time)."""
    m, k = A.shape
    n = B.shape[1]
    out = np.empty((m, n), dtype=np.result_type(A, B))
    if m * n * k <= ONE_THREAD_PRODUCT:
        return np.matmul(A, B, out=out)
    if n >= m:
        step = max(1, ONE_THREAD_PRODUCT // (m * k))
        for j in range(0, n, step):
            np.matmul(A, B[:, j:j + step], out=out[:, j:j + step])
    else:
        step = max(1, ONE_THREAD_PRODUCT // (n * k))
        for i in range(0, m, step):
            np.matmul(A[i:i + step], B, out=out[i:i + step])
    return out


class GridEvaluator:
    """The net's output (and every hidden unit) over a ``resolution`` x ``resolution``
    grid spanning ``xlim`` x ``ylim`` of the (x1, x2) plane.

    ``evaluate(net)`` fills ``self.H[l]`` (shape (resolution**2, units)) for every
    layer l = 1..L and returns the output layer's buffer; rows run over x fastest,
    so ``H[l][:, k].reshape(resolution, resolution)`` is an image with y down the rows.
    ``H[0]`` holds the net's inputs: the grid's points for a 2-input net, or, with
    ``features`` (checked names, see ``features.py``), each feature at each point.
    """

    def __init__(self, xlim: tuple[float, float], ylim: tuple[float, float],
                 resolution: int = 100) -> None:
        self.resolution = check_count("resolution", as_int("resolution", resolution, minimum=2),
                                      MAX_GRID, "points per side")
        (x0, x1), (y0, y1) = [(as_real("xlim", a), as_real("xlim", b)) for a, b in (xlim, ylim)]
        if not (x0 < x1 and y0 < y1):
            raise ValueError(f"xlim and ylim must be increasing pairs, got {xlim} and {ylim}")
        self.xlim, self.ylim = (x0, x1), (y0, y1)
        xs = np.linspace(x0, x1, self.resolution)
        ys = np.linspace(y0, y1, self.resolution)
        gx, gy = np.meshgrid(xs, ys)
        self.points = np.column_stack([gx.ravel(), gy.ravel()])
        self._sizes: tuple[int, ...] | None = None
        self._features: tuple[str, ...] | None = None
        self.Z: list[np.ndarray] = []
        self.H: list[np.ndarray] = []

    def _buffers(self, sizes: tuple[int, ...], features: tuple[str, ...] | None) -> None:
        if sizes != self._sizes or features != self._features:
            inputs = 2 if features is None else len(features)
            if sizes[0] != inputs:
                want = ("2 inputs" if features is None
                        else f"{inputs} inputs (one per feature: {', '.join(features)})")
                raise ValueError(f"the input plane needs a net with {want}, got sizes {list(sizes)}")
            n = len(self.points)
            inputs = self.points if features is None else feature_matrix(self.points, features)
            self.Z = [np.empty((n, k)) for k in sizes[1:]]
            self.H = [inputs] + [np.empty((n, k)) for k in sizes[1:]]
            self._sizes, self._features = sizes, features

    def evaluate(self, net: MLP, features: tuple[str, ...] | None = None) -> np.ndarray:
        """The output over the grid, (resolution**2, outputs); buffers are reused.

        The rows go through in blocks small enough that each product runs on one
        thread: OpenBLAS splits a larger one over the cores, and on a machine as
        busy as a classroom server its waiting threads made a grid of 10,000
        points 5x slower (benchmarks/boundary.py).
        """
        self._buffers(net.sizes, features)
        layers = net.layers()
        widest = max(W.shape[0] * W.shape[1] for W, _, _ in layers)
        block = max(64, ONE_THREAD_PRODUCT // widest)
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, len(self.points), block):
                rows = slice(start, start + block)
                for l, (W, B, f) in enumerate(layers, 1):
                    f.forward_into(LINEAR.forward(self.H[l - 1][rows], W, B, out=self.Z[l - 1][rows]),
                                   self.H[l][rows])
        return self.H[-1]

    def image(self, values: np.ndarray) -> np.ndarray:
        """A column of grid values as a (resolution, resolution) image, y up the rows."""
        return values.reshape(self.resolution, self.resolution)
