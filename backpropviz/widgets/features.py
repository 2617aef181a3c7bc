"""Toggle the input features: what the net reads from each point (x1, x2)."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..engine.features import FEATURES, PLANE
from ._base import Panel
from ._errors import shows_errors
from .state import ExplorerState


class FeatureControls(Panel, widgets.VBox):
    """One toggle per input feature, as in TensorFlow Playground: x₁, x₂, x₁², x₂²,
    x₁x₂, sin x₁, sin x₂. The net gets one input per feature switched on (a new
    net: the same hidden layers, new starting weights, training from step 0);
    the pictures stay over the (x₁, x₂) plane. The last one on cannot be switched
    off (the net needs an input), and data that is not a plane (X with other
    than 2 columns) has no features: then every toggle is disabled."""

    def __init__(self, state: ExplorerState) -> None:
        self._attach(state)
        self.toggles = {
            name: widgets.ToggleButton(description=f.label, tooltip=f"{f.formula} of each point",
                                       layout=widgets.Layout(width="auto", min_width="3.2em",
                                                             height="26px", padding="0 4px",
                                                             margin="1px"))
            for name, f in FEATURES.items()}
        self.note = widgets.HTML()
        buttons = widgets.HBox(list(self.toggles.values()),
                               layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([widgets.HTML("features the net reads:"), buttons, self.note, self.error])
        self.add_class("bpv-features")
        self._from_state()
        for toggle in self.toggles.values():
            toggle.observe(self._on_toggle, "value")
        state.observe(self._on_trace, "trace")

    @property
    def chosen(self) -> tuple[str, ...]:
        """The features switched on, in the net's input order."""
        return tuple(name for name, t in self.toggles.items() if t.value)

    def _from_state(self) -> None:
        """Show the state's features (another panel's choice, a loaded file, a refused one)."""
        state = self.state
        plane = state.points.shape[1] == 2
        on = state.features or (PLANE if plane else ())
        with self.syncing():
            for name, toggle in self.toggles.items():
                if toggle.value != (name in on):
                    toggle.value = name in on
                # the one feature left cannot go: the net needs an input
                disabled = not plane or on == (name,)
                if toggle.disabled != disabled:
                    toggle.disabled = disabled
        if not plane:
            self.note.value = (f"<small>Features are computed from points of a plane; this data "
                               f"has {state.points.shape[1]} columns.</small>")
        else:
            self.note.value = (f"<small>{state.net.sizes[0]} inputs: "
                               f"{', '.join(state.input_labels)}.</small>")

    @shows_errors("Updating the features")
    def _on_trace(self, change: dict) -> None:
        self._from_state()

    @shows_errors("Changing the features")
    def _on_toggle(self, change: Any) -> None:
        if self.is_syncing:
            return
        try:
            self.state.set_features(self.chosen)
        finally:
            self._from_state()  # the toggles show what the net reads, refused or not
