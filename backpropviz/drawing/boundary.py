"""The net's output over the input plane, drawn fast: the decision boundary of a
classifier (``BoundaryPlot``), or the predicted value of a regression (``ValuePlot``).

The figure, its axes, ticks, labels (and a regression's colour bar) are drawn
once and cached as a background. Each update restores that background, writes
the heatmap's pixels straight into the axes' area of the canvas
(nearest-neighbour, through index maps computed once: matplotlib's own image
resampling would cost more than the rest together), draws the boundary's line
segments and the points on top, and encodes the result: no axes are cleared
and nothing is re-plotted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import contourpy
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from PIL import Image

from ..engine import MLP, get_loss
from ..engine._checks import as_real
from ..engine.losses import last_axis_max
from ..engine.features import check_features, feature_matrix
from ..engine.grid import GridEvaluator
from .colors import DIVERGING, DIVERGING_LIGHT, class_colors, class_rgb, diverging_rgb, hex_color
from .raster import axes_cells, paint


def data_limits(X: np.ndarray, pad: float = 0.15) -> tuple[tuple[float, float], tuple[float, float]]:
    """Square-ish plot limits around the rows of X (2 columns), padded."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    lo, hi = lo - pad * span, hi + pad * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def class_probabilities(output: np.ndarray, loss: str) -> np.ndarray:
    """(n, k) class probabilities from a net's output: one unit is P(class 1)."""
    if output.shape[1] == 1:
        p = np.clip(output[:, 0], 0.0, 1.0)
        return np.column_stack([1.0 - p, p])
    if loss == "cross_entropy":
        return get_loss("cross_entropy").probabilities(output)
    return np.clip(output, 0.0, None) / np.maximum(np.clip(output, 0.0, None).sum(axis=1, keepdims=True), 1e-12)


def class_margins(probs: np.ndarray) -> list[np.ndarray]:
    """For each class, its probability minus its strongest rival's.

    A class's region is where its margin is positive, and the margin is smooth,
    so its zero contour follows the true boundary between cells instead of
    stepping along them as the edge of "which class wins" would.
    """
    # the rivals' max column by column: ten times faster than partitioning each
    # row of 2 or 3 probabilities
    k = probs.shape[1]
    return [probs[:, c] - last_axis_max(probs[:, [d for d in range(k) if d != c]])[:, 0]
            for c in range(k)]


def labels_of(Y: np.ndarray) -> np.ndarray:
    """Integer class labels from targets as the loss sees them ((n, 1) 0/1 or one-hot)."""
    if Y.shape[1] == 1:
        return (Y[:, 0] > 0.5).astype(int)
    return np.argmax(Y, axis=1)


@dataclass
class BoundaryFrame:
    """What one update drew: the image bytes and the numbers behind them."""

    image: bytes
    format: str
    probs: np.ndarray          # (resolution**2, k) class probabilities on the grid
    segments: list[np.ndarray]  # the boundary's polylines, in data coordinates
    wrong_train: int
    wrong_test: int


class PlanePlot:
    """What both pictures of the input plane share: the figure built once, the
    pixel maps from grid cells to the axes' pixels, the points drawn once into a
    cached layer, and the encoding. Subclasses colour the grid and draw on top.

    Parameters
    ----------
    xlim, ylim : the input plane shown.
    resolution : grid points per side (100 gives 10,000 evaluations).
    size : (width, height) in pixels.
    image_format : ``"jpeg"`` (quality 85: 1 ms to encode, a third of the bytes) or
        ``"png"`` (crisper points, about 4 ms more per update).
    features : the input features the net reads from each point (checked names,
        see ``engine.features``), or None for a net whose 2 inputs are the point.
    """

    #: Where the axes sit in the figure (left, bottom, width, height), in figure fractions.
    AXES_RECT = (0.15, 0.12, 0.82, 0.85)
    #: At least this many px left of and below the axes, for the tick labels and the
    #: axis names, however small the picture (the Playground's is 264 px wide).
    MIN_MARGIN = (50, 42)

    def _axes_rect(self, w: int, h: int) -> tuple[float, float, float, float]:
        left, bottom, width, height = self.AXES_RECT
        if left * w < self.MIN_MARGIN[0]:
            left, width = self.MIN_MARGIN[0] / w, width - (self.MIN_MARGIN[0] / w - left)
        if bottom * h < self.MIN_MARGIN[1]:
            bottom, height = self.MIN_MARGIN[1] / h, height - (self.MIN_MARGIN[1] / h - bottom)
        return left, bottom, width, height

    def __init__(self, xlim, ylim, resolution: int = 100, size: tuple[int, int] = (420, 400),
                 image_format: str = "jpeg", features: tuple[str, ...] | None = None) -> None:
        if image_format not in ("png", "jpeg"):
            raise ValueError(f"image_format must be 'png' or 'jpeg', got {image_format!r}")
        self.features = None if features is None else check_features(features)
        self.grid = GridEvaluator(xlim, ylim, resolution)
        self.format = image_format
        res = self.grid.resolution
        w, h = size
        self.figure = Figure(figsize=(w / 100, h / 100), dpi=100)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes_rect = self._axes_rect(w, h)
        ax = self.ax = self.figure.add_axes(self.axes_rect)
        (x0, x1), (y0, y1) = self.grid.xlim, self.grid.ylim
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        # the plane's coordinates, named as the features name them (X's columns 0 and 1)
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        self._rgb = np.empty((res * res, 3), dtype=np.uint8)
        self._packed = np.empty(res * res, dtype=np.uint32)
        self._add_artists()
        kw = dict(animated=True, zorder=3)
        self.train = ax.scatter(np.empty(0), np.empty(0), s=26, edgecolors="#222222", linewidths=0.6, **kw)
        self.test = ax.scatter(np.empty(0), np.empty(0), s=34, marker="^", edgecolors="black",
                               linewidths=0.7, **kw)
        self._add_extras()
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        # the axes' inside in buffer pixels, and for each pixel the grid cell it shows
        self._region, self._pixel_rows, self._pixel_cols = axes_cells(self.canvas, ax, (res, res))
        self._xs = np.linspace(x0, x1, res)
        self._ys = np.linspace(y0, y1, res)
        self._points: tuple = (np.empty((0, 2)), np.empty(0, int), np.empty((0, 2)), np.empty(0, int))
        self._pt_index = np.empty(0, dtype=np.intp)
        #: TensorFlow Playground's two view options: the output in its hard classes
        #: (or signs) rather than shaded by confidence, and the test rows shown.
        self.discretize = False
        self.show_test = True

    def set_view(self, discretize: bool | None = None, show_test: bool | None = None) -> None:
        """Change the view options (None keeps one); the next ``update`` draws them."""
        for name, value in (("discretize", discretize), ("show_test", show_test)):
            if value is not None and not isinstance(value, bool):
                raise TypeError(f"{name} must be True or False, got {value!r}")
        if discretize is not None:
            self.discretize = discretize
        if show_test is not None and show_test != self.show_test:
            self.show_test = show_test
            self._render_points_layer()

    def _forward(self, net: MLP, points: np.ndarray) -> np.ndarray:
        """The net's output for ``points`` of the plane (through the features, if any)."""
        inputs = points if self.features is None else feature_matrix(points, self.features)
        return net.forward(inputs)

    def _add_artists(self) -> None:
        """Add the subclass's animated artists drawn under the points (none here)."""

    def _add_extras(self) -> None:
        """Add static decorations, drawn once into the background (none here)."""

    @property
    def cell_colours(self) -> np.ndarray:
        """The colour of every grid cell as last painted, (resolution**2, 3) uint8, read-only."""
        view = self._rgb.view()
        view.flags.writeable = False
        return view

    @property
    def marker_pixels(self) -> int:
        """How many pixels the rows' markers cover (the test rows' too, when shown)."""
        return len(self._pt_index)

    def cell_at_pixel(self, row: int, col: int) -> int | None:
        """The grid cell (an index into ``grid.points``) whose colour the image's
        pixel (row from the top, column) shows, or None outside the heatmap."""
        rows, cols = self._region
        if not (rows.start <= row < rows.stop and cols.start <= col < cols.stop):
            return None
        res = self.grid.resolution
        return int(self._pixel_rows[row - rows.start] * res + self._pixel_cols[col - cols.start])

    def _render_points_layer(self) -> None:
        """Draw the points once on a transparent canvas; keep the covered pixels.

        The points only change with the data, so each update composites these
        few thousand pixels instead of drawing every marker again.
        """
        canvas = self.canvas
        canvas.restore_region(self.background)
        pixels = np.asarray(canvas.buffer_rgba())
        pixels[:] = 0
        for artist in (self.train, self.test) if self.show_test else (self.train,):
            self.ax.draw_artist(artist)
        layer = pixels.reshape(-1, 4)
        where = np.flatnonzero(layer[:, 3])
        self._pt_index = where
        self._pt_alpha = layer[where, 3:4].astype(np.float32) / 255.0
        # Agg's buffer is premultiplied: colour already carries alpha.
        self._pt_colour = layer[where, :3].astype(np.float32)

    def _composite_points(self, pixels: np.ndarray) -> None:
        if not len(self._pt_index):
            return
        flat = pixels.reshape(-1, 4)
        under = flat[self._pt_index, :3].astype(np.float32)
        flat[self._pt_index, :3] = (self._pt_colour + under * (1.0 - self._pt_alpha) + 0.5).astype(np.uint8)

    def _paint_heatmap(self) -> np.ndarray:
        """Restore the background and write ``self._rgb`` (one colour per grid cell)
        into the axes' pixels; returns the canvas's RGBA buffer to draw on."""
        canvas = self.canvas
        canvas.restore_region(self.background)
        pixels = np.asarray(canvas.buffer_rgba())
        # One RGBA word per grid cell, then one gather into the axes' pixels.
        rgb = self._rgb.astype(np.uint32)
        np.bitwise_or(rgb[:, 0] | (rgb[:, 1] << 8) | (rgb[:, 2] << 16), 0xFF000000, out=self._packed)
        words = pixels.view(np.uint32).reshape(pixels.shape[:2])
        res = self.grid.resolution
        paint(words, self._region, self._pixel_rows, self._pixel_cols, self._packed.reshape(res, res))
        return pixels

    def _encode(self) -> bytes:
        w, h = self.canvas.get_width_height()
        buf = io.BytesIO()
        if self.format == "jpeg":
            # RGBX: the encoder skips the alpha byte itself, the same bytes as
            # converting to RGB first, without the copy
            img = Image.frombuffer("RGBX", (w, h), self.canvas.buffer_rgba(), "raw", "RGBX", 0, 1)
            img.save(buf, format="JPEG", quality=85)
        else:
            img = Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
            img.save(buf, format="PNG", compress_level=1)
        return buf.getvalue()


class BoundaryPlot(PlanePlot):
    """A decision-boundary figure for 2-input classifiers, updated in place: the
    class probability as a heatmap, the boundary (the 0.5 contour, or the edges
    between class regions), the rows coloured by label, misclassified ones crossed.

    Parameters as ``PlanePlot``.
    """

    def _add_artists(self) -> None:
        self.lines = LineCollection([], colors="#222222", linewidths=1.6, animated=True)
        self.ax.add_collection(self.lines)
        self.wrong = self.ax.scatter(np.empty(0), np.empty(0), s=60, marker="x", c="#b00020",
                                     linewidths=1.6, animated=True, zorder=3)

    def set_data(self, X: np.ndarray, labels: np.ndarray, X_test: np.ndarray | None = None,
                 labels_test: np.ndarray | None = None, classes: int = 2) -> None:
        """The points to show: training rows as circles, test rows as triangles."""
        colours = np.array([hex_color(c) for c in class_colors(classes)])
        size = 70 if len(X) <= 20 else 26  # a handful of rows (XOR) gets big markers
        self.train.set_sizes([size])
        self.test.set_sizes([size * 1.3])
        self.train.set_offsets(X)
        self.train.set_facecolors(colours[labels] if len(labels) else [])
        if X_test is None or len(X_test) == 0:
            X_test, labels_test = np.empty((0, 2)), np.empty(0, int)
        self.test.set_offsets(X_test)
        self.test.set_facecolors(colours[labels_test] if len(labels_test) else [])
        self._points = (X, labels, X_test, labels_test)
        self._render_points_layer()

    def update(self, net: MLP, loss: str) -> BoundaryFrame:
        """Evaluate ``net`` on the grid and the points, redraw, encode."""
        res = self.grid.resolution
        out = self.grid.evaluate(net, self.features)
        probs = class_probabilities(out, loss)
        if probs.shape[1] == 2:
            shade = probs[:, 1]
            if self.discretize:  # each point in its class's colour, however sure
                shade = np.where(np.isnan(shade), np.nan, (shade > 0.5).astype(float))
            diverging_rgb(shade, 0.0, 1.0, out=self._rgb, lut=DIVERGING_LIGHT)
            fields, level = [probs[:, 1]], 0.5
        else:
            shown = probs
            if self.discretize:
                shown = np.eye(probs.shape[1])[np.argmax(probs, axis=1)]
                shown[~np.all(np.isfinite(probs), axis=1)] = np.nan
            self._rgb[:] = class_rgb(shown)
            fields, level = class_margins(probs), 0.0
        segments: list[np.ndarray] = []
        for field in fields:
            z = field.reshape(res, res)
            if np.all(np.isfinite(z)):
                segments.extend(contourpy.contour_generator(self._xs, self._ys, z).lines(level))
        self.lines.set_segments(segments)
        X, labels, X_test, labels_test = self._points
        wrong_parts, counts = [], []
        for pts, lab, shown in ((X, labels, True), (X_test, labels_test, self.show_test)):
            if len(pts):
                with np.errstate(all="ignore"):
                    pred = np.argmax(class_probabilities(self._forward(net, pts), loss), axis=1)
                bad = pred != lab
                if shown:
                    wrong_parts.append(pts[bad])
                counts.append(int(bad.sum()))
            else:
                counts.append(0)
        self.wrong.set_offsets(np.concatenate(wrong_parts) if wrong_parts else np.empty((0, 2)))
        pixels = self._paint_heatmap()
        self.ax.draw_artist(self.lines)
        self._composite_points(pixels)
        self.ax.draw_artist(self.wrong)
        return BoundaryFrame(self._encode(), self.format, probs, segments, counts[0], counts[1])


# ---------------------------------------------------------------- regression

#: The regression colour map: orange (-limit) through white (0) to blue (+limit),
#: the colour-blind-safe pair of the classes, at full strength for the heatmap
#: and the points alike.
VALUE_LUT = DIVERGING
VALUE_CMAP = ListedColormap(VALUE_LUT / 255.0, name="bpv_value")


#: The widest colour scale drawn: -MAX_LIMIT to +MAX_LIMIT (matplotlib's axes need
#: their span, 2 * limit, to be a finite number, and readable ticks).
MAX_LIMIT = 1e300
#: Round half-widths of the colour scale (times a power of 10), for readable ticks.
NICE_LIMITS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def value_limit(*targets: np.ndarray | None) -> float:
    """The colour scale's half-width for these targets: their largest finite |value|,
    rounded up to a round number (``NICE_LIMITS``; 1.0 when there is none or it is 0)."""
    m = 0.0
    for t in targets:
        if t is not None and np.size(t):
            finite = np.abs(np.asarray(t, dtype=np.float64))
            finite = finite[np.isfinite(finite)]
            if finite.size:
                m = max(m, float(finite.max()))
    if m == 0.0 or not np.isfinite(m):
        return 1.0
    if m > MAX_LIMIT:
        return m  # beyond what a colour bar can show: ValuePlot says so
    scale = 10.0 ** np.floor(np.log10(m))
    nice = next(n for n in NICE_LIMITS if n * scale >= m * (1 - 1e-12))
    return float(f"{nice * scale:.12g}")


def value_rgb(values: np.ndarray, limit: float, out: np.ndarray | None = None) -> np.ndarray:
    """Colours of values on the symmetric scale [-limit, limit]: (n,) -> (n, 3) uint8.

    -limit is orange, 0 white, +limit blue (``VALUE_LUT``, 256 bins); values beyond
    take the end colours; NaN is grey. The bins are matplotlib's for
    ``Normalize(-limit, limit)`` and ``VALUE_CMAP``, so the colour bar reads true.
    """
    with np.errstate(invalid="ignore"):
        t = (values - (-limit)) / (limit - (-limit))
        idx = np.clip(t * len(VALUE_LUT), 0, len(VALUE_LUT) - 1)
    nan = ~np.isfinite(idx)
    idx = np.where(nan, 0, idx).astype(np.intp)
    rgb = np.take(VALUE_LUT, idx, axis=0, out=out)
    if nan.any():
        rgb[nan] = (200, 200, 200)
    return rgb


def _first_column(name: str, y, rows: int) -> np.ndarray:
    """Targets (rows,) or (rows, outputs) as their first column, (rows,) float64."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim not in (1, 2) or y.shape[0] != rows or (y.ndim == 2 and y.shape[1] == 0):
        raise ValueError(f"{name} must hold one target per point ({rows} points), "
                         f"got shape {y.shape}")
    return y.reshape(rows, -1)[:, 0] if rows else np.empty(0)


@dataclass
class ValueFrame:
    """What one regression update drew: the image bytes and the numbers behind them."""

    image: bytes
    format: str
    values: np.ndarray       # (resolution**2,) the net's (first) output on the grid
    limit: float             # the colours run from -limit to +limit
    mse_train: float | None  # mean squared error of the training rows (first output)
    mse_test: float | None   # the same for the test rows (None: no rows)


class ValuePlot(PlanePlot):
    """A regression's picture for 2-input nets, updated in place: the net's
    predicted value over the input plane as a heatmap on a diverging scale centred
    on 0 (``value_rgb``, with a colour bar), and the rows coloured by their target
    on the same scale (training circles, test triangles). No boundary is drawn:
    there are no classes.

    Parameters as ``PlanePlot``, and ``limit`` (> 0): the colours run from -limit
    to +limit (``value_limit(Y)`` fits them to the targets).
    """

    AXES_RECT = (0.15, 0.12, 0.62, 0.85)

    def __init__(self, xlim, ylim, limit: float, resolution: int = 100,
                 size: tuple[int, int] = (420, 400), image_format: str = "jpeg",
                 features: tuple[str, ...] | None = None) -> None:
        limit = as_real("limit", limit)
        if not (0.0 < limit <= MAX_LIMIT):
            raise ValueError(f"limit must be a number greater than 0 and at most {MAX_LIMIT:g}, "
                             f"got {limit!r}")
        self.limit = limit
        super().__init__(xlim, ylim, resolution, size, image_format, features)

    def _add_extras(self) -> None:
        _, bottom, _, height = self.axes_rect
        cax = self.figure.add_axes((0.80, bottom, 0.03, height))
        m = self.limit
        mappable = ScalarMappable(norm=Normalize(-m, m), cmap=VALUE_CMAP)
        self.colorbar = self.figure.colorbar(mappable, cax=cax, extend="both",
                                             ticks=[-m, -m / 2, 0.0, m / 2, m])
        # the minus sign matplotlib's own ticks use (U+2212), not a hyphen
        self.colorbar.ax.set_yticklabels([f"{v:g}".replace("-", "\u2212")
                                          for v in (-m, -m / 2, 0.0, m / 2, m)])
        self.colorbar.set_label("predicted value (dots: target)", fontsize=9)

    def set_data(self, X: np.ndarray, y: np.ndarray, X_test: np.ndarray | None = None,
                 y_test: np.ndarray | None = None) -> None:
        """The points to show, coloured by their targets ``y`` ((n,) or (n, outputs):
        the first column) on the heatmap's scale: training circles, test triangles."""
        y = _first_column("y", y, len(X))
        if X_test is None or len(X_test) == 0:
            X_test, y_test = np.empty((0, 2)), np.empty(0)
        y_test = _first_column("y_test", y_test, len(X_test))
        size = 70 if len(X) <= 20 else 26
        self.train.set_sizes([size])
        self.test.set_sizes([size * 1.3])
        self.train.set_offsets(X)
        self.train.set_facecolors(value_rgb(y, self.limit) / 255.0 if len(y) else [])
        self.test.set_offsets(X_test)
        self.test.set_facecolors(value_rgb(y_test, self.limit) / 255.0 if len(y_test) else [])
        self._points = (X, y, X_test, y_test)
        self._render_points_layer()

    def update(self, net: MLP, loss: str = "mse") -> ValueFrame:
        """Evaluate ``net`` on the grid and the points, redraw, encode. (``loss`` is
        taken for a call like ``BoundaryPlot.update``'s; the picture needs none.)"""
        values = self.grid.evaluate(net, self.features)[:, 0]
        # discretized: the sign of the value, at full strength (as Playground does)
        value_rgb(np.sign(values) * self.limit if self.discretize else values, self.limit, out=self._rgb)
        X, y, X_test, y_test = self._points
        errors = []
        for pts, target in ((X, y), (X_test, y_test)):
            if len(pts):
                with np.errstate(all="ignore"):
                    errors.append(float(np.mean((self._forward(net, pts)[:, 0] - target) ** 2)))
            else:
                errors.append(None)
        pixels = self._paint_heatmap()
        self._composite_points(pixels)
        return ValueFrame(self._encode(), self.format, values.copy(), self.limit, *errors)


def _num(x: float) -> str:
    return f"{x:.3g}".replace("-", "&minus;")


def value_caption(frame: ValueFrame, outputs: int = 1) -> str:
    """The HTML under a regression's picture: what the colours mean, with the numbers."""
    m = f"{frame.limit:g}"
    finite = frame.values[np.isfinite(frame.values)]
    which = f" (the first of its {outputs} outputs)" if outputs > 1 else ""
    spread = (f"Over this plane it runs from {_num(finite.min())} to {_num(finite.max())}."
              if finite.size else "It is not a finite number anywhere on this plane.")
    errors = [f"training {frame.mse_train:.4g}"] if frame.mse_train is not None else []
    if frame.mse_test is not None:
        errors.append(f"test {frame.mse_test:.4g}")
    return (
        "<b>Predicted value, not a class boundary.</b> The colour at each point of the plane "
        f"is the net's output there{which}: from &minus;{m} (orange) through 0 (white) to "
        f"+{m} (blue); beyond &plusmn;{m}, the end colours. {spread} The dots are the rows, "
        "coloured by their targets on the same scale (training circles, test triangles): a dot "
        "that blends into the colour around it is predicted well."
        + (f' <span style="font-family:monospace">mean squared error: {" · ".join(errors)}</span>'
           if errors else ""))


def unit_tiles(values: np.ndarray, resolution: int, tile: int = 56, gap: int = 4) -> bytes:
    """JPEG of a row of small maps, one per column of ``values`` (a hidden layer's
    units over the grid), each scaled to its own largest |value| (white is 0)."""
    units = values.shape[1]
    pick = np.minimum((np.arange(tile) * resolution / tile).astype(int), resolution - 1)
    canvas = np.full((tile, units * (tile + gap) - gap, 3), 255, dtype=np.uint8)
    for k in range(units):
        img = values[:, k].reshape(resolution, resolution)[pick][:, pick][::-1]  # y up
        finite = img[np.isfinite(img)]
        m = float(np.max(np.abs(finite))) if finite.size else 0.0
        m = m or 1.0
        rgb = diverging_rgb(img.ravel(), -m, m).reshape(tile, tile, 3)
        canvas[:, k * (tile + gap):k * (tile + gap) + tile] = rgb
    buf = io.BytesIO()
    Image.fromarray(canvas).save(buf, format="JPEG", quality=90)
    return buf.getvalue()
