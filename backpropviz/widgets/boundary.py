"""The decision-boundary panel: the net's output over the input plane, per-unit maps.

For a classifier it draws the decision boundary; for a regression (MSE on targets
that are numbers, not classes 0 and 1) the predicted value as a heatmap instead.
"""

from __future__ import annotations

import html
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np

from ..drawing.boundary import (BoundaryFrame, BoundaryPlot, ValueFrame, ValuePlot, data_limits,
                                labels_of, unit_tiles, value_caption, value_limit)
from ._base import Panel
from ._errors import shows_errors
from ._static import panel_style
from ._static import StaticFallback
from .state import ExplorerState

TILE = 56
#: The largest |input| the plane is drawn around (beyond it the axes' ticks overflow),
#: and the largest |target| a regression's colour scale is drawn for.
MAX_REACH = 1e12
GAP = 4


class _Shown(NamedTuple):
    """What the picture was built for; another of any of them builds it again."""
    points: np.ndarray
    points_test: np.ndarray | None
    sizes: tuple[int, ...]
    regression: bool
    Y: np.ndarray
    Y_test: np.ndarray | None
    features: tuple[str, ...] | None


def _labels(y: np.ndarray) -> np.ndarray:
    y = y.reshape(len(y), -1)
    return labels_of(y) if y.shape[1] > 1 else np.round(y[:, 0]).astype(int)


class BoundaryPanel(Panel, StaticFallback, widgets.VBox):
    """Where the net draws its line: the output over the input plane as a heatmap,
    the boundary (the 0.5 contour, or the edges between class regions), the rows
    coloured by label (training circles, test triangles), misclassified ones
    crossed, and a small map of every hidden unit over the same plane.

    For a regression (MSE on targets that are numbers, not classes 0 and 1) it
    shows the net's predicted value instead: a heatmap on a scale centred on 0
    with a colour bar, the rows coloured by their targets on the same scale.

    **discretize output** colours each point by the class it falls in (for a
    regression, by the sign of the value), however sure the net is; **show test
    data** shows or hides the test rows (triangles), as in TensorFlow Playground.

    Redrawn in place on every change of the state; needs a net whose inputs are
    the points of a plane (2 inputs), or features of them (``state.features``):
    the picture is then still over the (x1, x2) plane.
    ``unit_maps=False`` leaves out the hidden units' maps (for a view that shows
    them elsewhere), and the work of drawing them.
    """

    def __init__(self, state: ExplorerState, resolution: int = 100,
                 size: tuple[int, int] = (420, 400), image_format: str = "jpeg",
                 unit_maps: bool = True) -> None:
        self._attach(state)
        if not isinstance(unit_maps, bool):
            raise TypeError(f"unit_maps must be True or False, got {unit_maps!r}")
        self.resolution, self.size, self.image_format = resolution, size, image_format
        self.unit_maps = unit_maps
        # TensorFlow Playground's two view options
        self.discretize = widgets.Checkbox(value=False, description="discretize output", indent=False,
                                           layout=widgets.Layout(width="auto"))
        self.show_test = widgets.Checkbox(value=True, description="show test data", indent=False,
                                          layout=widgets.Layout(width="auto"))
        self.image = widgets.Image(format=image_format, layout=widgets.Layout(width=f"{size[0]}px"))
        self.summary = widgets.HTML()
        self.units = widgets.VBox()
        self.units_title = widgets.HTML("<b>Hidden units</b> over the same plane "
                                        "(blue positive, orange negative, white 0)")
        self.plot: BoundaryPlot | ValuePlot | None = None
        self.frame: BoundaryFrame | ValueFrame | None = None
        self._data = None
        self._tile_images: list[widgets.Image] = []
        options = widgets.HBox([self.discretize, self.show_test], layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([panel_style(), options, self.image, self.summary, self.units_title, self.units,
                          self.error])
        self.add_class("bpv-boundary")
        self.discretize.observe(self._on_view, "value")
        self.show_test.observe(self._on_view, "value")
        state.observe(self._on_trace, "trace")
        self._draw()

    @shows_errors("Drawing the decision boundary")
    def _on_trace(self, change: dict) -> None:
        try:
            self._draw()
        except Exception:  # the error is shown in its place: never a stale picture
            self.frame = None
            self.summary.value = ""
            self._show_picture(False)
            raise

    @shows_errors("Changing the view")
    def _on_view(self, change: dict) -> None:
        if self.plot is not None:
            self.plot.set_view(discretize=self.discretize.value, show_test=self.show_test.value)
        self._draw()

    def _setup(self, regression: bool) -> None:
        """(Re)build the figure when the data (and so the plane shown) changes."""
        state = self.state
        data = self._data
        shown = _Shown(state.points, state.points_test, state.net.sizes, regression, state.Y,
                       state.Y_test, state.features)
        if data is not None and all(a is b or not isinstance(a, np.ndarray) and a == b
                                    for a, b in zip(data, shown)):
            return
        self._data = shown
        X, X_test = state.points, state.points_test
        xlim, ylim = data_limits(X if X_test is None else np.concatenate([X, X_test]))
        if regression:
            limit = value_limit(state.Y, state.Y_test)
            self.plot = ValuePlot(xlim, ylim, limit, self.resolution, self.size, self.image_format,
                                  state.features)
            self.plot.set_data(X, state.Y, X_test, state.Y_test)
        else:
            self.plot = BoundaryPlot(xlim, ylim, self.resolution, self.size, self.image_format,
                                     state.features)
            test_labels = None if state.Y_test is None else _labels(state.Y_test)
            classes = state.net.sizes[-1] if state.loss == "cross_entropy" else 2
            self.plot.set_data(X, _labels(state.Y), X_test, test_labels, classes=classes)
        self.plot.set_view(discretize=self.discretize.value, show_test=self.show_test.value)
        hidden = state.net.sizes[1:-1] if self.unit_maps else ()
        self._tile_images = []
        rows = []
        for l, width in enumerate(hidden, 1):
            img = widgets.Image(format="jpeg", layout=widgets.Layout(width=f"{width * (TILE + GAP) - GAP}px"))
            names = "".join(
                f'<span style="display:inline-block;width:{TILE}px;margin-right:{GAP}px;'
                f'text-align:center;font-family:monospace;font-size:11px">H{l}[{k}]</span>'
                for k in range(width))
            rows.append(widgets.VBox([widgets.HTML(f'<div style="white-space:nowrap">{names}</div>'), img]))
            self._tile_images.append(img)
        self.units.children = rows

    def _why_not(self, regression: bool) -> str | None:
        """Why the plane cannot be drawn for the state now, in words (None: it can)."""
        state = self.state
        if state.points.shape[1] != 2:
            return (f"The decision boundary is drawn over a plane: it needs a net with 2 inputs; "
                    f"this one has {state.net.sizes[0]}.")
        reach = max(float(np.abs(state.points).max()),
                    0.0 if state.points_test is None else float(np.abs(state.points_test).max()))
        if reach > MAX_REACH:
            return (f"The inputs reach {reach:.3g}, too far out to draw the plane around them "
                    f"(the picture takes inputs within ±{MAX_REACH:g}); scale the data to draw it. "
                    "Every other panel works as usual.")
        if not state.class_targets and not regression:
            y = state.Y
            return ("These targets are numbers, not classes 0 and 1 (they run from "
                    f"{y.min():g} to {y.max():g}), so there is no decision boundary to draw: "
                    "the net's output for every row is in the stepper (H at the output layer).")
        if regression and (top := value_limit(state.Y, state.Y_test)) > MAX_REACH:
            return (f"The targets reach {top:.3g}, too far out to draw "
                    f"on a colour scale (the picture takes values within ±{MAX_REACH:g}); scale the "
                    "targets to draw it. Every other panel works as usual.")
        return None

    def _show_picture(self, shown: bool) -> None:
        """Show the picture and the unit maps, or hide them (never a stale picture)."""
        display = "" if shown else "none"
        for part in (self.image, self.units):
            if part.layout.display != display:
                part.layout.display = display
        if not shown:
            self.units_title.layout.display = "none"

    def _draw(self) -> None:
        state = self.state
        # A regression: the mean squared error of targets that are not classes.
        regression = not state.class_targets and state.loss == "mse"
        reason = self._why_not(regression)
        if reason is not None:
            self.summary.value = reason
            self.frame = None
            self._show_picture(False)
            return
        self._setup(regression)
        self._show_picture(True)
        self.units_title.layout.display = "" if self._tile_images else "none"
        if self.show_test.disabled != (state.X_test is None):
            self.show_test.disabled = state.X_test is None
        frame = self.frame = self.plot.update(state.net, state.loss)
        self.image.value = frame.image
        for l, img in enumerate(self._tile_images, 1):
            img.value = unit_tiles(self.plot.grid.H[l], self.plot.grid.resolution, TILE, GAP)
        if regression:
            self.summary.value = value_caption(frame, state.net.sizes[-1])
            return
        parts = [f"training rows: {len(state.X) - frame.wrong_train} of {len(state.X)} right"]
        if state.X_test is not None:
            parts.append(f"test rows: {len(state.X_test) - frame.wrong_test} of {len(state.X_test)} right")
        self.summary.value = (f'<span style="font-family:monospace">{html.escape(" · ".join(parts))}'
                              "</span> (✕ marks a misclassified row)")

    def static_html(self) -> str:
        import base64

        if self.frame is None:
            return self.summary.value
        b64 = base64.b64encode(self.frame.image).decode()
        return f'<img src="data:image/{self.frame.format};base64,{b64}"/><div>{self.summary.value}</div>'

    def __repr__(self) -> str:
        if self.frame is None:
            return "BoundaryPanel"
        if isinstance(self.frame, ValueFrame):
            return (f"BoundaryPanel: the predicted value (regression), colours from "
                    f"-{self.frame.limit:g} to {self.frame.limit:g}")
        return (f"BoundaryPanel: {len(self.frame.segments)} boundary line(s), "
                f"{self.frame.wrong_train} misclassified training rows")
