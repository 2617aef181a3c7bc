"""One slider per weight and bias, each with its gradient and the downhill direction."""

from __future__ import annotations

import collections
import html
import math
from typing import Any

import ipywidgets as widgets
from traitlets import CFloat, validate

from ..drawing.gradient import gradient_html
from ..engine.trace import entry_name
from ._base import Panel
from ._errors import shows_errors
from ._static import StaticFallback, panel_style
from .state import ExplorerState


#: Height in px of one slider row (the slider and its gradient beside it).
ROW = 30
#: How many of a slider's echoes (see `page_value`) the kernel remembers: enough
#: for a cell that moves one weight this often before the page's replies arrive.
ECHOES = 256
#: A net with more parameter entries than this shows its sliders one layer at a
#: time (a choice of layer above them): a page that lays out 100 sliders on every
#: change is slow, measured in benchmarks/browser.py.
MAX_SHOWN = 48


def entry_label(name: str, index: tuple[int, ...]) -> str:
    """``layer1.weight[0,1]``, ``layer2.bias[0]``: PyTorch's name and index."""
    return entry_name(name, index)


def _bound(value: float) -> float:
    """A slider half-range that holds ``value`` with room to move: 2, 4, 8, ...
    (as far as a float goes, so a slider always shows its weight's true value)."""
    bound = 2.0
    if abs(value) > 0.8 * bound:
        bound = 2.0 ** min(math.ceil(math.log2(abs(value) / 0.8)), 1023)
    return bound


def page_value(value: float, lo: float, hi: float, step: float = 0.0) -> float:
    """What a slider on the page reads back after being set to ``value``, on a range
    ``lo``..``hi`` (snapped to ``step``, if any), and sends to the kernel if it differs.

    Every ipywidgets 8 page (JupyterLab, Notebook 7, Voila, the lite site) draws a
    FloatSlider with noUiSlider 15.4, which places the handle at a percentage of the
    range and reads the value back from there: 0.2985 comes back as
    0.29849999999999977. These are its float operations in its order, so the kernel
    can tell such an echo from a student's move.
    """
    if value >= hi:
        percent = 100.0
    else:
        percent = ((value + abs(lo) if lo < 0 else value - lo) * 100) / (hi - lo)
    if step and percent != 100:
        size = (step * 100) / (hi - lo)
        ratio = percent / size
        whole = math.floor(ratio)  # JavaScript's Math.round: halves go up
        percent = (whole + 1 if ratio - whole >= 0.5 else whole) * size
    percent = max(min(percent, 100.0), 0.0)
    if percent >= 100:
        return hi
    return (percent * (hi - lo)) / 100 + lo


def _layer(name: str) -> int:
    """The layer number of a parameter's name: 2 for ``layer2.bias``."""
    return int(name.split(".")[0].removeprefix("layer"))


class _WeightSlider(widgets.FloatSlider):
    """A FloatSlider for a weight, whose page read-backs (see `page_value`) the
    kernel can always tell from a move.

    A value beyond its ends is taken as it is, not clamped (the panel then widens
    the range): a read-back from before the range shrank stays what it was. And
    the kernel does not confirm each value back to the page (ipywidgets'
    ``echo_update``): a read-back that is refused is never replayed on the page
    (where, beyond the new ends, the page would clamp it and send that back).
    """

    value = CFloat(0.0, help="the weight").tag(sync=True, echo_update=False)

    @validate("value")
    def _validate_value(self, proposal: dict) -> float:
        return proposal["value"]


class WeightSliders(Panel, StaticFallback, widgets.VBox):
    """A slider for every parameter entry, labelled like ``layer1.weight[0,1]``.

    Sliders update the state continuously while dragged; each shows its current
    gradient. "Back to the start" restores the initial weights exactly.

    Showing a slider never changes its weight: the page reads each value it is
    given back through its own arithmetic and sends the result (see `page_value`);
    the kernel knows those echoes, and one that arrives changes nothing.

    A net with more than ``MAX_SHOWN`` entries shows one layer's sliders at a time:
    ``section`` (buttons "layer 1 (24)", "layer 2 (72)", ...) picks the layer, and
    its sliders appear with the current weights. Every slider exists and follows
    its weight all along, shown or not: ``slider(name, index)`` and ``sliders``
    hold them all, and setting one moves its weight either way.
    """

    def __init__(self, state: ExplorerState, step: float | None = None) -> None:
        self._attach(state)
        self._active: tuple | None = None  # the slider being dragged keeps its range
        self.reset_button = widgets.Button(description="Back to the start", icon="undo",
                                           tooltip="restore the initial weights exactly",
                                           layout=widgets.Layout(width="auto"))
        self.loss_label = widgets.HTML()
        self.sliders: dict[tuple[str, tuple[int, ...]], widgets.FloatSlider] = {}
        self._step = step
        self._echoes: dict[tuple, collections.deque] = {}  # per slider: see page_value
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
        self.section = widgets.ToggleButtons(description="sliders of", style={"button_width": "auto"},
                                             layout=widgets.Layout(display="none"))
        self._cells: dict[tuple, str] = {}  # the gradient beside each slider on the page
        self._entries: list = []
        self._on_page: list = []  # the entries whose sliders are on the page
        super().__init__([panel_style(), widgets.HBox([self.reset_button, self.loss_label]), self.legend,
                          self.section, self.rows, self.error])
        self.add_class("bpv-sliders")
        self.reset_button.on_click(self._on_reset)
        self.section.observe(self._on_section, "value")
        state.observe(self._on_trace, "trace")
        self._build()
        self._refresh()

    def _build(self) -> None:
        """One row per parameter entry (again only when the architecture changes)."""
        self._entries = self.state.parameter_entries()
        old = list(self.sliders.values())
        self.sliders.clear()
        self._echoes = {}  # the old sliders' awaited read-backs go with them
        rows = []
        params = self.state.trace.parameters()
        for name, index in self._entries:
            value = float(params[name][index])
            bound = _bound(value)
            label = entry_label(name, index)
            # No step is step 0, not None: a kernel in the browser (Pyodide) drops
            # None from widget messages, and the page then takes its default step, 1.
            slider = _WeightSlider(
                value=value, min=-bound, max=bound, step=self._step or 0.0, continuous_update=True,
                readout_format=".4f", description=label,
                style={"description_width": "9.5em"},
                layout=widgets.Layout(width="auto", height=f"{ROW - 2}px", margin="1px 2px"))
            slider.observe(self._on_slider, "value")
            slider._bpv_entry = (name, index)
            self.sliders[(name, index)] = slider
            self._echoes[(name, index)] = collections.deque(maxlen=ECHOES)
            self._expect_echo(slider, value)
            rows.append(slider)
        layers = sorted({_layer(name) for name, _ in self._entries})
        sectioned = len(self._entries) > MAX_SHOWN
        with self.syncing():
            keep = self.section.value if self.section.value in layers else layers[0]
            self.section.options = [(f"layer {l} ({sum(_layer(n) == l for n, _ in self._entries)})", l)
                                    for l in layers]
            self.section.value = keep
            self.section.layout.display = "" if sectioned else "none"
        self._show()
        for slider in old:  # closed, so the page can send nothing more for them
            slider.close()

    def _show(self) -> None:
        """Put the chosen layer's sliders (every slider, for a small net) on the page."""
        if len(self._entries) > MAX_SHOWN:
            self._on_page = [e for e in self._entries if _layer(e[0]) == self.section.value]
        else:
            self._on_page = list(self._entries)
        self.slider_column.children = [self.sliders[e] for e in self._on_page]

    @property
    def shown(self) -> list[tuple[str, tuple[int, ...]]]:
        """The (name, index) entries whose sliders are on the page now: all of them,
        or for a net of more than ``MAX_SHOWN`` entries, the chosen layer's."""
        return list(self._on_page)

    def gradient(self, name: str, index: tuple[int, ...]) -> str:
        """The HTML shown beside one slider: its gradient and the downhill arrow."""
        key = (name, tuple(index))
        if key not in self._cells:
            where = "on the page (choose its layer above the sliders)" if key in self.sliders else "for it"
            raise KeyError(f"no slider {where}: {entry_label(*key)}")
        return self._cells[key]

    def slider(self, name: str, index: tuple[int, ...]) -> widgets.FloatSlider:
        """The slider of one entry: ``sliders.slider("layer1.weight", (0, 1))``."""
        return self.sliders[(name, tuple(index))]

    # ------------------------------------------------------------------ callbacks

    @shows_errors("Setting the weight")
    def _on_slider(self, change: dict) -> None:
        if self.is_syncing:
            return
        slider = change["owner"]
        name, index = slider._bpv_entry
        if self._is_echo(slider, change["new"]):
            # Not a move: the weight stays, and the slider holds it as the page
            # shows it (sent to the page if the echo was of an older value).
            with self.syncing():
                slider.value = self._as_page_holds(slider, float(self.state.trace.parameters()[name][index]))
            return
        self._active = (name, index)
        try:
            self.state.set_parameter(name, index, change["new"])
        except Exception:
            self._refresh()  # put the slider back where the state is
            raise
        finally:
            self._active = None

    @shows_errors("Showing the sliders")
    def _on_section(self, change: dict) -> None:
        if self.is_syncing:
            return
        self._show()
        self._refresh()

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
        with self.syncing():
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
                    self._expect_echo(slider, slider.value)  # the page places it anew
                if slider.value != value and slider.value != self._as_page_holds(slider, value):
                    slider.value = value
                    self._expect_echo(slider, value)
        # One cell per slider on the page (what `gradient` returns), joined into one column.
        shown = set(self._on_page)
        self._cells = {(n, i): gradient_html(float(grads[n][i]), float(params[n][i]))
                       for n, i in self._entries if (n, i) in shown}
        cells = "".join(f'<div class="bpv-grad" style="height:{ROW}px;line-height:{ROW}px">{c}</div>'
                        for c in self._cells.values())
        self.gradient_column.value = f'<div style="padding-top:1px">{cells}</div>'
        self.loss_label.value = (
            f'<span style="font-family:monospace">loss = {html.escape(f"{trace.loss:.6g}")}</span>')

    def _expect_echo(self, slider: widgets.FloatSlider, value: float) -> None:
        """Remember what the page will send back for ``value``, if not ``value``."""
        echo = page_value(value, slider.min, slider.max, slider.step or 0.0)
        awaited = self._echoes[slider._bpv_entry]
        if echo != value and (not awaited or awaited[-1] != echo):
            awaited.append(echo)

    def _is_echo(self, slider: widgets.FloatSlider, value: float) -> bool:
        """Whether ``value``, from the page, is not a move: the read-back of a value
        the kernel sent, or what any page reads back for the weight itself (a view
        drawn again, or a second view of the same slider).

        The page reads back each value once, in the order they were sent, so a
        read-back that arrives is done with, and so is any older one still awaited
        (its view was never drawn, or was drawn later with a newer value): a
        student who moves a slider back to where it once stood is moving it. And
        only those exact floats are echoes: a typed 1e-300 next to a weight of 0
        is a move."""
        awaited = self._echoes[slider._bpv_entry]
        if value in awaited:
            while awaited.popleft() != value:
                pass
            return True
        name, index = slider._bpv_entry
        weight = float(self.state.trace.parameters()[name][index])
        return value == page_value(weight, slider.min, slider.max, slider.step or 0.0)

    @staticmethod
    def _as_page_holds(slider: widgets.FloatSlider, weight: float) -> float:
        """``weight`` as the page holds it: the value nearest it that the page reads
        back unchanged (0 for inf or NaN, which no slider can show)."""
        value = weight if math.isfinite(weight) else 0.0
        for _ in range(4):  # one step is enough on ranges of powers of two
            back = page_value(value, slider.min, slider.max, slider.step or 0.0)
            if back == value:
                break
            value = back
        return value

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

