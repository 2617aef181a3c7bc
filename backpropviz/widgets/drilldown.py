"""Drill down on one weight: its gradient as a sum over paths, with the numbers."""

from __future__ import annotations

import html
from math import prod
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..engine import Trace
from ..engine.paths import parse_entry, path_sum, sample_gradients
from ..engine.trace import grad_key
from ._base import Panel
from ._errors import shows_errors
from ._static import panel_style
from .diagram import SampleMenu
from .sliders import entry_label
from ._static import StaticFallback
from .state import ExplorerState

_MAX_SHOWN = 16  # paths listed one by one; the rest are summed in one line


def _f(x: float) -> str:
    return f"{x:.6g}".replace("-", "−")


def _mean(values: np.ndarray) -> float:
    with np.errstate(all="ignore"):  # inf/NaN after a divergence are shown as they are
        return float(np.mean(values))


def default_entry(trace: Trace, entries: list[tuple[str, tuple[int, ...]]],
                  sample: int) -> tuple[str, tuple[int, ...]]:
    """An instructive entry to open on, among ``entries`` (name, index).

    Entries with the most paths to the loss come first (on a 2-2-2-1 net a
    layer-1 weight has two, so its gradient is a real sum), then earlier layers
    (longer paths), then weights before biases. The first of them whose gradient
    for ``sample`` is not 0 is chosen (a layer-1 weight is 0 on a row whose input
    is 0), or the first of them if every one is 0.
    """
    sizes = trace.sizes

    def rank(item: tuple[int, tuple[str, tuple[int, ...]]]) -> tuple[int, int, bool, int]:
        position, (name, _) = item
        layer = int(name[5:name.index(".")])
        return (-prod(sizes[layer + 1:]), layer, not name.endswith("weight"), position)

    ranked = [entry for _, entry in sorted(enumerate(entries), key=rank)]
    for name, index in ranked:
        g = sample_gradients(trace, name, index)[sample]
        if np.isfinite(g) and g != 0:
            return name, index
    return ranked[0]


def drilldown_html(state: ExplorerState, param: str, index: tuple[int, ...], batch: bool) -> str:
    """The chain rule for one entry, for state.sample (``batch=False``) or the batch mean."""
    trace = state.trace
    label = html.escape(entry_label(param, index))
    if batch:
        per = sample_gradients(trace, param, index)
        exact = float(trace[grad_key(param)][index])
        rows = "".join(
            f"<tr><td>row {n}</td><td style='text-align:right;font-family:monospace'>{_f(g)}</td></tr>"
            for n, g in enumerate(per[:50]))
        more = f"<tr><td colspan=2>… {len(per) - 50} more rows</td></tr>" if len(per) > 50 else ""
        return (
            f"<div><b>dL/d{label}</b> over the batch is the mean of every sample's own gradient "
            f"dL<sub>n</sub>/d{label} (the loss is the mean of the samples' losses):</div>"
            f"<table>{rows}{more}</table>"
            f"<div style='font-family:monospace'>mean = {_f(_mean(per))} "
            f"= {html.escape(grad_key(param))}{list(index)} in the trace ({_f(exact)})</div>"
        )
    ps = path_sum(trace, param, index, state.sample)
    n = ps.sample
    lines = []
    for path in ps.paths[:_MAX_SHOWN]:
        via = " → ".join(f"unit {u}" for u in path.units)
        rows = []
        for f in path.factors:
            symbol, _, meaning = f.label.partition(" = ")
            rows.append(
                f"<tr><td>{'×' if rows else ''}</td><td><code>{html.escape(symbol)}</code></td>"
                f"<td><code>{html.escape(meaning)}</code></td>"
                f"<td style='text-align:right'><code>{_f(f.value)}</code></td></tr>")
        rows.append(f"<tr><td>=</td><td colspan=2>this path</td>"
                    f"<td style='text-align:right'><code><b>{_f(path.product)}</b></code></td></tr>")
        lines.append(f"<li>via {via}:<table class='bpv-path'>{''.join(rows)}</table></li>")
    rest = ps.paths[_MAX_SHOWN:]
    if rest:
        lines.append(f"<li>… and {len(rest)} more paths, adding up to "
                     f"{_f(sum(p.product for p in rest))}</li>")
    if not ps.paths:
        lines.append(f"<li>{ps.num_paths} paths: too many to list; their sum is below.</li>")
    paths_word = "path" if ps.num_paths == 1 else "paths"
    return (
        f"<div>Sample {n}'s own loss L<sub>{n}</sub> depends on <b>{label}</b> along "
        f"{ps.num_paths} {paths_word}; each contributes the product of the local derivatives "
        f"on it:</div><ol>{''.join(lines)}</ol>"
        f"<div style='font-family:monospace'>dL<sub>{n}</sub>/d{label} = sum of the paths = "
        f"<b>{_f(ps.total)}</b></div>"
    )


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
        self.body.value = drilldown_html(self.state, param, index, self.mode.value)

    def static_html(self) -> str:
        return self.body.value

    def __repr__(self) -> str:
        return f"GradientDrilldown: {self.entry.value}, sample {self.state.sample}"
