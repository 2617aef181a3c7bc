"""The loss landscape around the current weights, along two chosen parameters."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..drawing.landscape import landscape_png, landscape_problem
from ..engine.landscape import LossSlice, loss_slice
from ._base import Panel
from ._errors import shows_errors
from .sliders import entry_label
from .state import ExplorerState


class LandscapePanel(Panel, widgets.VBox):
    """Choose two parameters: a heatmap of the loss over a slice through the current
    weights (the others held fixed), the current point, the negative gradient as
    an arrow (downhill), and the path training took across the slice so far.

    Redrawn on every change while ``active`` (an Explorer turns it on while its
    section is open); each redraw evaluates ``resolution``² nets in one batch.
    """

    def __init__(self, state: ExplorerState, resolution: int = 31, span: float = 1.0,
                 active: bool = True) -> None:
        self._attach(state)
        self.resolution = resolution
        self.a = widgets.Dropdown(description="across")
        self.b = widgets.Dropdown(description="up")
        self.span = widgets.BoundedFloatText(value=span, min=0.01, max=20.0, step=0.1,
                                             description="± span", layout=widgets.Layout(width="12em"))
        self.image = widgets.Image(format="png")
        self.note = widgets.HTML()
        self.slice: LossSlice | None = None
        self._active = active
        self._entries: dict[str, tuple] = {}
        super().__init__([widgets.HBox([self.a, self.b, self.span], layout=widgets.Layout(flex_flow="row wrap")),
                          self.note, self.image, self.error])
        self.add_class("bpv-landscape")
        self._sync_menus()
        for w in (self.a, self.b, self.span):
            w.observe(self._redraw, "value")
        state.observe(self._on_trace, "trace")
        self._draw()

    @property
    def active(self) -> bool:
        return self._active

    @active.setter
    def active(self, value: bool) -> None:
        self._active = bool(value)
        if self._active:
            self._draw()

    @shows_errors("Drawing the loss landscape")
    def show_while(self, visible: bool) -> None:
        """Draw while ``visible`` (its section open); an error is shown in the panel."""
        self.active = visible

    def _sync_menus(self) -> None:
        entries = {entry_label(n, i): (n, i) for n, i in self.state.parameter_entries()}
        if entries != self._entries:
            self._entries = entries
            labels = list(entries)
            a = self.a.value if self.a.value in entries else labels[0]
            b = self.b.value if self.b.value in entries and self.b.value != a else labels[min(1, len(labels) - 1)]
            with self.syncing():
                self.a.options, self.b.options = labels, labels
                self.a.value, self.b.value = a, b

    def trajectory(self) -> np.ndarray:
        """The two parameters' values at every step so far (undo history + now)."""
        (na, ia), (nb, ib) = self._entries[self.a.value], self._entries[self.b.value]
        points = [(s.params[na][ia], s.params[nb][ib]) for s in self.state.trainer.history]
        now = self.state.net.state_dict()
        points.append((now[na][ia], now[nb][ib]))
        return np.array(points, dtype=float)

    @shows_errors("Drawing the loss landscape")
    def _on_trace(self, change: dict) -> None:
        self._sync_menus()
        self._draw()

    @shows_errors("Drawing the loss landscape")
    def _redraw(self, change: Any = None) -> None:
        if not self.is_syncing:
            self._draw()

    def _draw(self) -> None:
        if not self._active:
            return
        if self.a.value == self.b.value:
            raise ValueError("choose two different parameters for the two axes")
        state = self.state
        self.slice = loss_slice(state.net, state.X, state.trainer.Y, state.loss,
                                self._entries[self.a.value], self._entries[self.b.value],
                                span=self.span.value, resolution=self.resolution,
                                l1=state.l1, l2=state.l2)
        drawable = landscape_problem(self.slice)
        if drawable:
            self.note.value = f'<div class="bpv-error" role="status">{html.escape(drawable)}</div>'
            self.image.layout.display = "none"
            return
        self.note.value = ""
        self.image.layout.display = ""
        self.image.value = landscape_png(self.slice, self.trajectory())

    def __repr__(self) -> str:
        return f"LandscapePanel: {self.a.value} across, {self.b.value} up"
