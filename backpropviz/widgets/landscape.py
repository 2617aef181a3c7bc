"""The loss landscape around the current weights, along two chosen parameters."""

from __future__ import annotations

import dataclasses
import html
import secrets
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..drawing.landscape import landscape_problem, landscape_svg
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
    section is open). The window stays put while the current point moves inside
    it, so dragging one of the two weights moves the dot across a still picture;
    it is centred again on the current weights when the point comes within a
    quarter span of its edge, or another pair or span is chosen. The loss over
    the window (``resolution``² nets, evaluated in one batch) is computed again
    only when something it depends on changed: every parameter but the two, the
    data, the loss and the penalties.
    """

    #: The window is centred again when the point is farther than this share of
    #: the span from the window's centre.
    RECENTRE = 0.75
    #: The precision of the hidden layers of the window's nets (see ``loss_slice``):
    #: single, twice as fast, and within a few millionths of double, far below a colour step.
    #: Every number the picture prints (weights, gradient) comes from the trace.
    DTYPE = np.float32

    def __init__(self, state: ExplorerState, resolution: int = 31, span: float = 1.0,
                 active: bool = True) -> None:
        self._attach(state)
        self.resolution = resolution
        self.a = widgets.Dropdown(description="across")
        self.b = widgets.Dropdown(description="up")
        self.span = widgets.BoundedFloatText(value=span, min=0.01, max=20.0, step=0.1,
                                             description="± span", layout=widgets.Layout(width="12em"))
        self.svg = widgets.HTML()  # the picture (see ``landscape_svg``)
        self._uid = secrets.token_hex(6)  # its clip path's name, its own on the page
        self._window: tuple | None = None  # (a, b, span, (a0, b0)) the picture is drawn over
        self._inputs: tuple | None = None  # what the loss over the window was computed from
        self.note = widgets.HTML()
        self.slice: LossSlice | None = None
        self._active = active
        self._entries: dict[str, tuple] = {}
        super().__init__([widgets.HBox([self.a, self.b, self.span], layout=widgets.Layout(flex_flow="row wrap")),
                          self.note, self.svg, self.error])
        self.add_class("bpv-landscape")
        self._sync_menus()
        for w in (self.a, self.b, self.span):
            w.observe(self._redraw, "value")
        state.observe(self._on_trace, "trace")
        self._draw()

    @property
    def window_centre(self) -> tuple[float, float] | None:
        """The two parameters' values at the middle of the window the picture is
        drawn over (None before a picture)."""
        return None if self._window is None else self._window[3]

    @property
    def active(self) -> bool:
        return self._active

    @active.setter
    def active(self, value: bool) -> None:
        self._active = bool(value)
        if self._active:
            self._window = None  # opened again: centred on the weights as they are now
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
        try:
            self._draw_slice()
        except Exception:  # the error is shown in its place: never a picture of before
            self.slice, self._inputs = None, None
            self.svg.layout.display = "none"
            raise

    def _draw_slice(self) -> None:
        if self.a.value == self.b.value:
            raise ValueError("choose two different parameters for the two axes")
        state = self.state
        a, b, span = self._entries[self.a.value], self._entries[self.b.value], self.span.value
        now = state.net.state_dict()
        ca, cb = float(now[a[0]][a[1]]), float(now[b[0]][b[1]])
        window = self._window
        finite = bool(np.isfinite([ca, cb]).all())
        if not finite:
            window = None  # nothing to centre on: loss_slice says why in words
        elif (window is None or window[:3] != (a, b, span)
                or max(abs(ca - window[3][0]), abs(cb - window[3][1])) > self.RECENTRE * span):
            window = (a, b, span, (ca, cb))
        inputs = self._loss_inputs(now, a, b, window)
        if self.slice is not None and window is not None and inputs == self._inputs:
            # Only the two weights moved, inside the window: the same loss, a new point.
            grads = state.trace.gradients()
            self.slice = dataclasses.replace(
                self.slice, centre=(ca, cb),
                gradient=(float(grads[a[0]][a[1]]), float(grads[b[0]][b[1]])))
        else:
            self._inputs = None
            self.slice = loss_slice(state.net, state.X, state.trainer.Y, state.loss, a, b,
                                    span=span, resolution=self.resolution,
                                    l1=state.l1, l2=state.l2, dtype=self.DTYPE,
                                    around=None if window is None else window[3])
            self._inputs = inputs
        self._window = window
        drawable = landscape_problem(self.slice)
        if drawable:
            self.note.value = f'<div class="bpv-error" role="status">{html.escape(drawable)}</div>'
            self.svg.layout.display = "none"
            return
        self.note.value = ""
        self.svg.layout.display = ""
        self.svg.value = landscape_svg(self.slice, self.trajectory(), uid=f"bpv-landscape-{self._uid}")

    def _loss_inputs(self, params: dict, a: tuple, b: tuple, window: tuple) -> tuple:
        """Everything the loss over the window depends on, as comparable values:
        every parameter but the two (their entries blanked), the data, the loss,
        the penalties and the window."""
        blanked = []
        for name, value in params.items():
            value = np.array(value, dtype=np.float64)
            for axis_name, index in (a, b):
                if axis_name == name:
                    value[index] = 0.0
            blanked.append((name, value.shape, value.tobytes()))
        state = self.state
        X, Y = np.asarray(state.X), np.asarray(state.trainer.Y)
        return (tuple(blanked), X.shape, X.dtype.str, X.tobytes(), Y.shape, Y.dtype.str, Y.tobytes(),
                state.loss, state.l1, state.l2, window, self.resolution)

    def __repr__(self) -> str:
        return f"LandscapePanel: {self.a.value} across, {self.b.value} up"
