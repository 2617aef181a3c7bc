"""Drill down on one weight: its gradient as a sum over paths, with the numbers."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..drawing.drilldown import drilldown_html
from ..engine.paths import default_entry, parse_entry
from ._base import Panel
from ._errors import shows_errors
from ._static import StaticFallback, panel_style
from .diagram import SampleMenu
from .sliders import entry_label
from .state import ExplorerState

__all__ = ["GradientDrilldown", "default_entry", "drilldown_html"]


class GradientDrilldown(Panel, StaticFallback, widgets.VBox):
    """Pick a parameter entry and a sample; see dL/dw as a sum over paths of
    products of local derivatives, or the batch gradient as the mean over samples."""

    def __init__(self, state: ExplorerState, param: str | None = None,
                 index: tuple[int, ...] | None = None) -> None:
        self._attach(state)
        if (param is None) != (index is None):
            raise ValueError("param and index go together, such as ('layer1.weight', (0, 1)); "
                             f"give both or neither, got param={param!r}, index={index!r}")
        if param is not None:
            _, _, index = parse_entry(state.trace, param, tuple(index) if isinstance(index, list) else index)
        self.entry = widgets.Dropdown(description="parameter", layout=widgets.Layout(width="max-content"))
        self.sample = SampleMenu(state)
        self.mode = widgets.ToggleButtons(options=[("one sample", False), ("batch mean", True)],
                                          value=False, style={"button_width": "9em"})
        self.body = widgets.HTML()
        # True while the entry is the panel's own choice (``default_entry``): a new
        # architecture then gets its own instructive entry; a chosen one is kept.
        self._auto = param is None
        super().__init__([panel_style(), widgets.HBox([self.entry, self.sample]), self.mode, self.body, self.error])
        self.add_class("bpv-drilldown")
        self._sync_menus()
        if param is not None:
            self.entry.value = entry_label(param, index)
        self.entry.observe(self._on_entry, "value")
        self.mode.observe(self._redraw, "value")
        state.observe(self._on_trace, "trace")
        state.observe(self._redraw, "sample")
        self._draw()

    def _sync_menus(self) -> None:
        self._entries = {entry_label(n, i): (n, i) for n, i in self.state.parameter_entries()}
        options = list(self._entries)
        if list(self.entry.options) == options and not self._auto:
            return
        if self._auto or self.entry.value not in self._entries:
            self._auto = True
            keep = entry_label(*default_entry(self.state.trace, list(self._entries.values()),
                                              self.state.sample))
        else:
            keep = self.entry.value
        with self.syncing():
            if list(self.entry.options) != options:
                self.entry.options = options
            self.entry.value = keep

    @shows_errors("Updating the drill-down")
    def _on_trace(self, change: dict) -> None:
        if change["old"] is None or change["old"].specs is not change["new"].specs:
            self._sync_menus()
        self._draw()

    @shows_errors("Updating the drill-down")
    def _on_entry(self, change: dict) -> None:
        if not self.is_syncing:
            self._auto = False
            self._draw()

    @shows_errors("Updating the drill-down")
    def _redraw(self, change: Any = None) -> None:
        if not self.is_syncing:
            self._draw()

    @property
    def selected(self) -> tuple[str, tuple[int, ...]]:
        """The chosen (parameter name, index)."""
        return self._entries[self.entry.value]

    def _draw(self) -> None:
        param, index = self.selected
        self.body.value = drilldown_html(self.state.trace, param, index, self.state.sample,
                                         self.mode.value)

    def static_html(self) -> str:
        return self.body.value

    def __repr__(self) -> str:
        return f"GradientDrilldown: {self.entry.value}, sample {self.state.sample}"
