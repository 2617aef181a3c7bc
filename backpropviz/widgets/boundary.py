"""The decision-boundary panel: the net's output over the input plane, per-unit maps."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from ..drawing.boundary import BoundaryFrame, BoundaryPlot, data_limits, labels_of, unit_tiles
from ._base import Panel
from ._errors import shows_errors
from ._static import panel_style
from ._static import StaticFallback
from .state import ExplorerState

TILE = 56
#: The largest |input| the plane is drawn around (beyond it the axes' ticks overflow).
MAX_REACH = 1e12
GAP = 4


def _labels(y: np.ndarray) -> np.ndarray:
    y = y.reshape(len(y), -1)
    return labels_of(y) if y.shape[1] > 1 else np.round(y[:, 0]).astype(int)


def _class_targets(state: ExplorerState) -> bool:
    """True when the targets are classes: labels under cross-entropy, else 0s and 1s."""
    return state.loss == "cross_entropy" or bool(
        np.all((state.Y == 0) | (state.Y == 1))
        and (state.Y_test is None or np.all((state.Y_test == 0) | (state.Y_test == 1))))


class BoundaryPanel(Panel, StaticFallback, widgets.VBox):
    """Where the net draws its line: the output over the input plane as a heatmap,
    the boundary (the 0.5 contour, or the edges between class regions), the rows
    coloured by label (training circles, test triangles), misclassified ones
    crossed, and a small map of every hidden unit over the same plane.

    Redrawn in place on every change of the state; needs a net with 2 inputs.
    """

    def __init__(self, state: ExplorerState, resolution: int = 100,
                 size: tuple[int, int] = (420, 400), image_format: str = "jpeg") -> None:
        self._attach(state)
        self.resolution, self.size, self.image_format = resolution, size, image_format
        self.image = widgets.Image(format=image_format, layout=widgets.Layout(width=f"{size[0]}px"))
        self.summary = widgets.HTML()
        self.units = widgets.VBox()
        self.units_title = widgets.HTML("<b>Hidden units</b> over the same plane "
                                        "(blue positive, orange negative, white 0)")
        self.plot: BoundaryPlot | None = None
        self.frame: BoundaryFrame | None = None
        self._data = None
        self._tile_images: list[widgets.Image] = []
        super().__init__([panel_style(), self.image, self.summary, self.units_title, self.units, self.error])
        self.add_class("bpv-boundary")
        state.observe(self._on_trace, "trace")
        self._draw()

    @shows_errors("Drawing the decision boundary")
    def _on_trace(self, change: dict) -> None:
        self._draw()

    def _setup(self) -> None:
        """(Re)build the figure when the data (and so the plane shown) changes."""
        state = self.state
        data = self._data
        if (data is not None and data[0] is state.X and data[1] is state.X_test
                and data[2] == state.net.sizes):
            return
        self._data = (state.X, state.X_test, state.net.sizes)
        X = state.X
        pts = X if state.X_test is None else np.concatenate([X, state.X_test])
        xlim, ylim = data_limits(pts)
        self.plot = BoundaryPlot(xlim, ylim, self.resolution, self.size, self.image_format)
        test_labels = None if state.Y_test is None else _labels(state.Y_test)
        classes = state.net.sizes[-1] if state.loss == "cross_entropy" else 2
        self.plot.set_data(X, _labels(state.Y), state.X_test, test_labels, classes=classes)
        hidden = state.net.sizes[1:-1]
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
        self.units_title.layout.display = "" if hidden else "none"

    def _draw(self) -> None:
        state = self.state
        if state.net.sizes[0] != 2:
            self.summary.value = ("The decision boundary needs a net with 2 inputs; this one has "
                                  f"{state.net.sizes[0]}.")
            return
        reach = max(float(np.abs(state.X).max()),
                    0.0 if state.X_test is None else float(np.abs(state.X_test).max()))
        if reach > MAX_REACH:
            self.summary.value = (
                f"The inputs reach {reach:.3g}, too far out to draw the plane around them "
                f"(the picture takes inputs within ±{MAX_REACH:g}); scale the data to draw it. "
                "Every other panel works as usual.")
            self.frame = None
            return
        if not _class_targets(state):
            y = state.Y
            self.summary.value = (
                "These targets are numbers, not classes 0 and 1 (they run from "
                f"{y.min():g} to {y.max():g}), so there is no decision boundary to draw: "
                "the net's output for every row is in the stepper (H at the output layer).")
            self.frame = None
            return
        self._setup()
        frame = self.frame = self.plot.update(state.net, state.loss)
        self.image.value = frame.image
        for l, img in enumerate(self._tile_images, 1):
            img.value = unit_tiles(self.plot.grid.H[l], self.plot.grid.resolution, TILE, GAP)
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
        return (f"BoundaryPanel: {len(self.frame.segments)} boundary line(s), "
                f"{self.frame.wrong_train} misclassified training rows")
