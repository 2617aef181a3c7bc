"""One slider per weight and bias, each with its gradient and the downhill direction."""

from __future__ import annotations

import html
import math
from typing import Any

import ipywidgets as widgets

from ..engine.trace import entry_name
from ._errors import ErrorArea, shows_errors
from ._static import panel_style
from ._static import StaticFallback
from .state import ExplorerState


#: Height in px of one slider row (the slider and its gradient beside it).
ROW = 30


def entry_label(name: str, index: tuple[int, ...]) -> str:
    """``layer1.weight[0,1]``, ``layer2.bias[0]``: PyTorch's name and index."""
    return entry_name(name, index)


def gradient_html(g: float, value: float = 0.0) -> str:
    """The gradient beside a slider, and which way is downhill (lowers the loss);
    for a weight that is inf or NaN (which no slider can show), the weight itself."""
    if not math.isfinite(value):
        return f'<span title="training diverged: Undo or Reset">weight = {value}</span>'
    if not math.isfinite(g):
        return f'<span title="the gradient overflowed">dL/dw = {g}</span>'
    if g > 0:
        way, tip = "◀ downhill", "decreasing this parameter lowers the loss"
    elif g < 0:
        way, tip = "downhill ▶", "increasing this parameter lowers the loss"
    else:
        way, tip = "flat", "the loss does not change to first order"
    arrow = {"◀ downhill": "◀", "downhill ▶": "▶", "flat": "·"}[way]
    return (f'<span style="white-space:nowrap" title="dL/dw = {g:+.8g}: {tip}">'
            f'<code>{g:+.5f}</code> <span aria-label="{way}">{arrow}</span></span>')


def _bound(value: float) -> float:
    """A slider half-range that holds ``value`` with room to move: 2, 4, 8, ...
    (as far as a float goes, so a slider always shows its weight's true value)."""
    bound = 2.0
    if abs(value) > 0.8 * bound:
        bound = 2.0 ** min(math.ceil(math.log2(abs(value) / 0.8)), 1023)
    return bound


class WeightSliders(StaticFallback, widgets.VBox):
    """A slider for every parameter entry, labelled like ``layer1.weight[0,1]``.

    Sliders update the state continuously while dragged; each shows its current
    gradient. "Back to the start" restores the initial weights exactly.
    """

    def __init__(self, state: ExplorerState, step: float | None = None) -> None:
        if not isinstance(state, ExplorerState):
            raise TypeError(f"state must be an ExplorerState, got {type(state).__name__}")
        self.state = state
        self.error = ErrorArea()
        self._syncing = False
        self._active: tuple | None = None  # the slider being dragged keeps its range
        self.reset_button = widgets.Button(description="Back to the start", icon="undo",
                                           tooltip="restore the initial weights exactly",
                                           layout=widgets.Layout(width="auto"))
        self.loss_label = widgets.HTML()
        self.sliders: dict[tuple[str, tuple[int, ...]], widgets.FloatSlider] = {}
        self._step = step
        # All the gradients live in one HTML column beside the column of sliders,
        # row for row (both ROW px high): one message per change instead of one
        # per parameter, which is what a browser with 100 sliders notices.
        self.slider_column = widgets.VBox(layout=widgets.Layout(flex="1 1 auto", min_width="20em"))
        self.gradient_column = widgets.HTML(layout=widgets.Layout(flex="0 0 8em"))
        self.rows = widgets.HBox([self.slider_column, self.gradient_column],
                                 layout=widgets.Layout(max_height="30em", overflow="auto",
                                                       align_items="flex-start"))
        self.legend = widgets.HTML(
            '<small>Beside each slider: its gradient dL/dw, and an arrow pointing '
            '<b>downhill</b> (◀ decrease or ▶ increase the parameter to lower the loss).</small>')
        self._entries: list = []
        self._cells: list[str] = []
        super().__init__([panel_style(), widgets.HBox([self.reset_button, self.loss_label]), self.legend,
                          self.rows, self.error])
        self.add_class("bpv-sliders")
        self.reset_button.on_click(self._on_reset)
        state.observe(self._on_trace, "trace")
        self._build()
        self._refresh()

    def _build(self) -> None:
        """One row per parameter entry (again only when the architecture changes)."""
        self._entries = self.state.parameter_entries()
        self.sliders.clear()
        rows = []
        params = self.state.trace.parameters()
        for name, index in self._entries:
            value = float(params[name][index])
            bound = _bound(value)
            label = entry_label(name, index)
            slider = widgets.FloatSlider(
                value=value, min=-bound, max=bound, step=self._step, continuous_update=True,
                readout_format=".4f", description=label,
                style={"description_width": "9.5em"},
                layout=widgets.Layout(width="auto", height=f"{ROW - 2}px", margin="1px 2px"))
            slider.observe(self._on_slider, "value")
            slider._bpv_entry = (name, index)
            self.sliders[(name, index)] = slider
            rows.append(slider)
        self.slider_column.children = rows

    def gradient(self, name: str, index: tuple[int, ...]) -> str:
        """The HTML shown beside one slider: its gradient and the downhill arrow."""
        return self._cells[self._entries.index((name, tuple(index)))]

    def slider(self, name: str, index: tuple[int, ...]) -> widgets.FloatSlider:
        """The slider of one entry: ``sliders.slider("layer1.weight", (0, 1))``."""
        return self.sliders[(name, tuple(index))]

    # ------------------------------------------------------------------ callbacks

    @shows_errors("Setting the weight")
    def _on_slider(self, change: dict) -> None:
        if self._syncing:
            return
        name, index = change["owner"]._bpv_entry
        self._active = (name, index)
        try:
            self.state.set_parameter(name, index, change["new"])
        except Exception:
            self._refresh()  # put the slider back where the state is
            raise
        finally:
            self._active = None

    @shows_errors("Going back to the start")
    def _on_reset(self, _button: Any = None) -> None:
        self.state.reset()

    @shows_errors("Updating the sliders")
    def _on_trace(self, change: dict) -> None:
        if self.state.parameter_entries() != self._entries:
            self._build()
        self._refresh()

    def _refresh(self) -> None:
        trace = self.state.trace
        params, grads = trace.parameters(), trace.gradients()
        self._syncing = True
        try:
            for key, slider in self.sliders.items():
                value = float(params[key[0]][key[1]])
                # A slider cannot hold inf or NaN: it stands at 0, greyed out, and
                # its row beside it says what the weight really is.
                if slider.disabled == math.isfinite(value):
                    slider.disabled = not math.isfinite(value)
                if not math.isfinite(value):
                    value = 0.0
                # Each range fits its value: it grows for large weights and, for any
                # slider but the one in the student's hand, shrinks back (after a
                # reset, say) so the keyboard's steps stay fine.
                bound = _bound(value)
                if bound != slider.max and (bound > slider.max or key != self._active):
                    with slider.hold_sync():
                        if bound > slider.max:
                            slider.max, slider.min = bound, -bound
                        else:
                            slider.min, slider.max = -bound, bound
                if slider.value != value:
                    slider.value = value
        finally:
            self._syncing = False
        # One cell per slider, kept as built (what `gradient` returns), joined into one column.
        self._cells = [gradient_html(float(grads[n][i]), float(params[n][i])) for n, i in self._entries]
        cells = "".join(f'<div class="bpv-grad" style="height:{ROW}px;line-height:{ROW}px">{c}</div>'
                        for c in self._cells)
        self.gradient_column.value = f'<div style="padding-top:1px">{cells}</div>'
        self.loss_label.value = (
            f'<span style="font-family:monospace">loss = {html.escape(f"{trace.loss:.6g}")}</span>')

    def static_html(self) -> str:
        trace = self.state.trace
        params, grads = trace.parameters(), trace.gradients()
        rows = "".join(
            f"<tr><td><code>{entry_label(n, i)}</code></td>"
            f"<td style='text-align:right'><code>{float(params[n][i]):.4f}</code></td>"
            f"<td>{gradient_html(float(grads[n][i]), float(params[n][i]))}</td></tr>"
            for n, i in self._entries)
        return f"{self.loss_label.value}<table>{rows}</table>"

    def __repr__(self) -> str:
        trace = self.state.trace
        params, grads = trace.parameters(), trace.gradients()
        lines = [f"{entry_label(n, i)} = {float(params[n][i]):.4f}   dL/dw = {float(grads[n][i]):+.5f}"
                 for n, i in self._entries]
        return "WeightSliders:\n" + "\n".join(lines)

