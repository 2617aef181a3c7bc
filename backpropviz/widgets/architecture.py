"""Choose the net: 0-6 hidden layers of 1-8 units, an activation per layer, the loss
and the seed of the initial weights. Every change builds the new net at once."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..engine import ACTIVATIONS, LeakyReLU
from ._base import Panel
from ._errors import shows_errors
from .state import MAX_HIDDEN_LAYERS, MAX_WIDTH, ExplorerState

ACT_NAMES = ["relu", "leaky_relu", "tanh", "sigmoid", "identity"]
LOSS_CHOICES = [("mean squared error", "mse"), ("binary cross-entropy", "bce"),
                ("softmax cross-entropy", "cross_entropy")]
OUTPUT_FOR_LOSS = {"bce": "sigmoid", "cross_entropy": "identity"}


class ArchitectureControls(Panel, widgets.VBox):
    """The playground's net. The output layer's size follows the data and the loss
    (one unit, or one per class for softmax cross-entropy); choosing binary
    cross-entropy sets a Sigmoid output and softmax cross-entropy an Identity one.
    Rebuilding re-initialises the weights from the seed, reproducibly."""

    def __init__(self, state: ExplorerState) -> None:
        self._attach(state)
        style = {"description_width": "9em"}
        self.layers = widgets.BoundedIntText(min=0, max=MAX_HIDDEN_LAYERS, description="hidden layers",
                                             style=style, layout=widgets.Layout(width="15em"))
        self.widths = [widgets.BoundedIntText(value=4, min=1, max=MAX_WIDTH, description=f"layer {l} units",
                                              style=style, layout=widgets.Layout(width="15em"))
                       for l in range(1, MAX_HIDDEN_LAYERS + 1)]
        self.acts = [widgets.Dropdown(options=ACT_NAMES, layout=widgets.Layout(width="9em"))
                     for _ in range(MAX_HIDDEN_LAYERS)]
        self.output_act = widgets.Dropdown(options=ACT_NAMES, description="output activation",
                                           style=style)
        self.slope = widgets.BoundedFloatText(min=-1.0, max=1.0, step=0.05, description="leaky slope",
                                              style=style, layout=widgets.Layout(width="15em"))
        self.loss = widgets.Dropdown(options=LOSS_CHOICES, description="loss", style=style)
        self.seed = widgets.BoundedIntText(min=0, max=2**31 - 1, description="init seed", style=style,
                                           layout=widgets.Layout(width="15em"))
        self.rows = [widgets.HBox([w, a]) for w, a in zip(self.widths, self.acts)]
        self.summary = widgets.HTML()
        super().__init__([self.layers, *self.rows, self.output_act, self.slope, self.loss, self.seed,
                          self.summary, self.error])
        self.add_class("bpv-architecture")
        self._from_state()
        for w in (self.layers, *self.widths, *self.acts, self.output_act, self.slope, self.seed):
            w.observe(self._on_change, "value")
        self.loss.observe(self._on_loss, "value")
        state.observe(self._on_trace, "trace")

    def _from_state(self) -> None:
        """Show the state's net in the controls (without rebuilding it)."""
        net = self.state.net
        hidden = net.sizes[1:-1]
        with self.syncing():
            self.layers.value = len(hidden)
            for l in range(MAX_HIDDEN_LAYERS):
                if l < len(hidden):
                    self.widths[l].value = min(hidden[l], MAX_WIDTH)
                    self.acts[l].value = net.activations[l].name
                self.rows[l].layout.display = "" if l < len(hidden) else "none"
            self.output_act.value = net.activations[-1].name
            slopes = [a.negative_slope for a in net.activations if isinstance(a, LeakyReLU)]
            self.slope.value = slopes[0] if slopes else 0.01
            self.loss.value = self.state.loss
            self.seed.value = net.seed or 0
        self.summary.value = (f"<small>net {net.arch}: "
                              + ", ".join(repr(a) for a in net.activations) + "</small>")

    def _activation(self, name: str) -> Any:
        return LeakyReLU(self.slope.value) if name == "leaky_relu" else ACTIVATIONS[name]()

    def build(self) -> None:
        """Build the net the controls describe."""
        n = self.layers.value
        hidden = [w.value for w in self.widths[:n]]
        acts = [self._activation(a.value) for a in self.acts[:n]] + [self._activation(self.output_act.value)]
        self.state.set_architecture(hidden, acts, loss=self.loss.value, seed=self.seed.value)

    def _rebuild(self) -> None:
        """Build the net; if the state refuses it, show the state's net again."""
        try:
            self.build()
        except Exception:
            self._from_state()
            raise

    @shows_errors("Changing the architecture")
    def _on_change(self, change: Any) -> None:
        if not self.is_syncing:
            self._rebuild()

    @shows_errors("Changing the loss")
    def _on_loss(self, change: dict) -> None:
        if self.is_syncing:
            return
        if change["new"] in OUTPUT_FOR_LOSS:
            with self.syncing():
                self.output_act.value = OUTPUT_FOR_LOSS[change["new"]]
        self._rebuild()

    @shows_errors("Updating the architecture panel")
    def _on_trace(self, change: dict) -> None:
        if another_net(change):
            self._from_state()


def another_net(change: dict) -> bool:
    """Whether a change of ``state.trace`` brings a net of other layers (its steps
    differ), not just other numbers."""
    return change["old"] is None or change["old"].specs is not change["new"].specs


class LayerButtons(Panel, widgets.HBox):
    """+ and − beside the network diagram, as TensorFlow Playground has them: a
    hidden layer more or fewer, and a unit more or fewer in each hidden layer.

    Each press builds the new net at once, its weights drawn afresh from the
    net's seed (the Architecture section's controls follow). A new layer takes
    the activation of the layer before it (tanh after the inputs), 4 units."""

    def __init__(self, state: ExplorerState) -> None:
        self._attach(state)
        small = widgets.Layout(width="2.4em", padding="0")
        self.add_layer = widgets.Button(description="+ layer", tooltip="add a hidden layer",
                                        layout=widgets.Layout(width="auto"))
        self.remove_layer = widgets.Button(description="− layer", tooltip="remove the last hidden layer",
                                           layout=widgets.Layout(width="auto"))
        self.counts = [widgets.HTML() for _ in range(MAX_HIDDEN_LAYERS)]
        self.more = [widgets.Button(description="+", tooltip=f"one more unit in layer {l}", layout=small)
                     for l in range(1, MAX_HIDDEN_LAYERS + 1)]
        self.fewer = [widgets.Button(description="−", tooltip=f"one unit fewer in layer {l}", layout=small)
                      for l in range(1, MAX_HIDDEN_LAYERS + 1)]
        self.groups = [widgets.HBox([f, c, m], layout=widgets.Layout(align_items="center", margin="0 6px 0 0"))
                       for f, c, m in zip(self.fewer, self.counts, self.more)]
        row = widgets.HBox([self.remove_layer, self.add_layer, *self.groups],
                           layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        super().__init__([widgets.VBox([row, self.error])])
        self.add_class("bpv-layer-buttons")
        self.add_layer.on_click(self._on_add_layer)
        self.remove_layer.on_click(self._on_remove_layer)
        for l, (m, f) in enumerate(zip(self.more, self.fewer)):
            m.on_click(lambda _b, l=l: self._on_units(l, +1))
            f.on_click(lambda _b, l=l: self._on_units(l, -1))
        state.observe(self._on_trace, "trace")
        self._show()

    def _show(self) -> None:
        """Buttons for the state's net: one group per hidden layer, each press allowed
        only where the result is a net the playground offers."""
        hidden = self.state.net.sizes[1:-1]
        self.add_layer.disabled = len(hidden) >= MAX_HIDDEN_LAYERS
        self.remove_layer.disabled = not hidden
        for l, group in enumerate(self.groups):
            group.layout.display = "" if l < len(hidden) else "none"
            if l < len(hidden):
                self.counts[l].value = f"<small>layer {l + 1}: {hidden[l]} units</small>"
                self.more[l].disabled = hidden[l] >= MAX_WIDTH
                self.fewer[l].disabled = hidden[l] <= 1

    def _build(self, hidden: list[int], activations: list[Any]) -> None:
        net = self.state.net
        self.state.set_architecture(hidden, activations, seed=net.seed or 0)

    @shows_errors("Adding a layer")
    def _on_add_layer(self, _button: Any = None) -> None:
        acts = list(self.state.net.activations)
        hidden = list(self.state.net.sizes[1:-1])
        new = acts[len(hidden) - 1] if hidden else ACTIVATIONS["tanh"]()
        self._build(hidden + [4], acts[:-1] + [new, acts[-1]])

    @shows_errors("Removing a layer")
    def _on_remove_layer(self, _button: Any = None) -> None:
        acts = list(self.state.net.activations)
        hidden = list(self.state.net.sizes[1:-1])
        if hidden:
            self._build(hidden[:-1], acts[:len(hidden) - 1] + [acts[-1]])

    @shows_errors("Changing the units")
    def _on_units(self, layer: int, delta: int) -> None:
        hidden = list(self.state.net.sizes[1:-1])
        if layer < len(hidden) and 1 <= hidden[layer] + delta <= MAX_WIDTH:
            hidden[layer] += delta
            self._build(hidden, list(self.state.net.activations))

    @shows_errors("Updating the layer buttons")
    def _on_trace(self, change: dict) -> None:
        if another_net(change):
            self._show()
