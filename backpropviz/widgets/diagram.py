"""The network diagram panel: an SVG of the net for one sample, kept in step."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import ipywidgets as widgets

from ..drawing import network_svg, step_highlight
from ..drawing.boundary import data_limits, unit_tiles
from ..drawing.diagram import MAP_TILE, playground_svg
from ..engine.grid import GridEvaluator
from ._base import Panel, Syncing
from ._errors import shows_errors
from ._static import panel_style
from ._static import StaticFallback
from .state import ExplorerState


def sample_options(state: ExplorerState) -> list[tuple[str, int]]:
    """Menu entries for the rows of X: ``row 1: x = (0, 1), y = 1`` (with features on,
    x is the point the row's features are computed from)."""
    X, Y = state.points, state.Y

    def fmt(v: Any) -> str:
        return ", ".join(f"{float(x):g}" for x in (v if getattr(v, "ndim", 0) else [v]))

    return [(f"row {n}: x = ({fmt(X[n])}), y = {fmt(Y[n])}", n) for n in range(len(X))]


class SampleMenu(Syncing, widgets.Dropdown):
    """A menu of the rows of X, bound both ways to ``state.sample``; its rows
    follow the data."""

    def __init__(self, state: ExplorerState) -> None:
        super().__init__(description="sample", options=sample_options(state), value=state.sample,
                         layout=widgets.Layout(width="max-content"))
        self.state = state
        self._data = (state.X, state.Y)
        self.observe(self._on_menu, "value")
        state.observe(self._on_sample, "sample")
        state.observe(self._on_trace, "trace")

    def _set(self, **values: Any) -> None:
        with self.syncing():
            for name, value in values.items():
                setattr(self, name, value)

    def _on_menu(self, change: dict) -> None:
        if not self.is_syncing and change["new"] is not None and change["new"] != self.state.sample:
            self.state.sample = change["new"]

    def _on_sample(self, change: dict) -> None:
        if self.value != change["new"]:
            self._set(value=change["new"])

    def _on_trace(self, change: dict) -> None:
        if self.state.X is not self._data[0] or self.state.Y is not self._data[1]:
            self._data = (self.state.X, self.state.Y)
            self._set(options=sample_options(self.state), value=self.state.sample)


class NetworkDiagram(Panel, StaticFallback, widgets.VBox):
    """Inputs, hidden and output units and the loss; edges coloured by sign and
    sized by |w|; each unit's Z and H for the chosen sample; gradients on demand;
    the units and edges of the stepper's current step highlighted."""

    def __init__(self, state: ExplorerState, gradients: bool = False, highlight: bool = True) -> None:
        self._attach(state)
        self.svg = widgets.HTML(layout=widgets.Layout(overflow="auto"))
        self.show_gradients = widgets.Checkbox(value=gradients, description="show gradients",
                                               indent=False, layout=widgets.Layout(width="auto"))
        self.show_step = widgets.Checkbox(value=highlight, description="highlight the current step",
                                          indent=False, layout=widgets.Layout(width="auto"))
        self.sample = SampleMenu(state)
        super().__init__([panel_style(), widgets.HBox([self.sample, self.show_gradients, self.show_step]),
                          self.svg, self.error])
        self.add_class("bpv-diagram-panel")
        self.show_gradients.observe(self._redraw, "value")
        self.show_step.observe(self._redraw, "value")
        state.observe(self._on_trace, "trace")
        state.observe(self._redraw, "step")
        state.observe(self._redraw, "sample")
        self._redraw()

    @shows_errors("Updating the diagram")
    def _on_trace(self, change: dict) -> None:
        self._draw()

    @shows_errors("Updating the diagram")
    def _redraw(self, change: Any = None) -> None:
        self._draw()

    def _draw(self) -> None:
        state = self.state
        spec = state.trace.specs[state.step] if self.show_step.value else None
        self.svg.value = network_svg(
            state.trace, sample=state.sample,
            highlight=step_highlight(spec, state.trace.sizes),
            gradients=self.show_gradients.value,
            input_labels=None if state.features is None else state.input_labels,
        )

    def static_html(self) -> str:
        return self.svg.value

    def __repr__(self) -> str:
        t = self.state.trace
        return (f"NetworkDiagram: {t.num_layers}-layer net {'-'.join(map(str, t.sizes))}, "
                f"sample {self.state.sample}, loss {t.loss:.6g}")


class MapDiagram(Panel, StaticFallback, widgets.VBox):
    """The net as TensorFlow Playground draws it, for the Playground's one screen:
    every unit (the inputs too) a small map of its output over the input plane,
    drawn again on every change of the weights; edges by sign and |w|; the
    stepper's current step highlighted; each unit's numbers in its tooltip.

    Each map is scaled to its own largest value (white is 0, or 0.5 for a sigmoid
    unit, whose outputs are all positive). With input features on, the inputs
    are the features, each a map over the same plane (x₁², x₁x₂, ...). A net whose
    inputs are not a plane (not 2 inputs, nor features of one) gets the numbered
    diagram instead."""

    def __init__(self, state: ExplorerState, highlight: bool = True) -> None:
        self._attach(state)
        self.highlight = highlight
        self.svg = widgets.HTML(layout=widgets.Layout(overflow="auto"))
        super().__init__([panel_style(), self.svg, self.error])
        self.add_class("bpv-maps-panel")
        self._grid: GridEvaluator | None = None
        self._strips: list[str] = []
        self._strips_of = None  # the trace the strips were drawn for
        # the SVG names its pictures; ids are the page's, shared by every notebook open in it
        self._uid = secrets.token_hex(6)
        state.observe(self._redraw, "trace")
        state.observe(self._redraw, "step")
        state.observe(self._redraw, "sample")
        self._redraw()

    @property
    def grid(self) -> GridEvaluator | None:
        """The grid the maps were last evaluated on (``grid.H[l]``: layer l's outputs),
        or None before any map was drawn."""
        return self._grid

    @shows_errors("Updating the diagram")
    def _redraw(self, change: Any = None) -> None:
        state = self.state
        spec = state.trace.specs[state.step] if self.highlight else None
        highlight = step_highlight(spec, state.trace.sizes)
        if state.points.shape[1] != 2:
            self.svg.value = network_svg(state.trace, sample=state.sample, highlight=highlight)
            return
        if self._strips_of is not state.trace:  # the maps change with the net, not with the step
            self._strips = self._maps()
            self._strips_of = state.trace
        self.svg.value = playground_svg(state.trace, self._strips, sample=state.sample,
                                        highlight=highlight, uid=self._uid,
                                        input_labels=state.input_labels)

    def _maps(self) -> list[str]:
        """Each layer's maps over the plane, as one JPEG ``data:`` URI per layer."""
        state = self.state
        xlim, ylim = data_limits(state.points)
        if self._grid is None or (self._grid.xlim, self._grid.ylim) != (xlim, ylim):
            self._grid = GridEvaluator(xlim, ylim, resolution=MAP_TILE)
        self._grid.evaluate(state.net, state.features)
        strips = []
        for l, H in enumerate(self._grid.H):
            centred = H - 0.5 if l and state.net.activations[l - 1].name == "sigmoid" else H
            jpeg = unit_tiles(centred, MAP_TILE, MAP_TILE, 2)
            strips.append("data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii"))
        return strips

    def static_html(self) -> str:
        return self.svg.value

    def __repr__(self) -> str:
        return f"MapDiagram: net {self.state.net.arch}, loss {self.state.trace.loss:.6g}"
