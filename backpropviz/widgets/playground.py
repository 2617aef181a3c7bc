"""The Playground: the whole net on one projector screen, every panel on one state."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..engine import MLP
from ._static import StaticFallback
from .architecture import ArchitectureControls, LayerButtons
from .boundary import BoundaryPanel
from .data import DataControls
from .diagram import MapDiagram, NetworkDiagram
from .drilldown import GradientDrilldown
from .explorer import draw_only_while_shown, state_for
from .graph import GraphView
from .landscape import LandscapePanel
from .saving import SaveLoadPanel
from .sliders import WeightSliders
from .state import ExplorerState
from .stepper import ChainRuleStepper
from .training import TrainingControls

#: What the one screen needs beyond the panels' own style: the boundary's summary
#: in small type, and the data column's menus no wider than the column.
PLAYGROUND_CSS = """<style>
.bpv-playground .bpv-boundary .widget-html-content {font-size: 11px; line-height: 1.35}
.bpv-playground .bpv-data .widget-dropdown {width: 100%; max-width: 100%}
.bpv-playground .bpv-data .widget-dropdown select {min-width: 0}
</style>"""

TABS = ("Chain rule", "Numbers", "Sliders", "Architecture", "Loss landscape", "Save and load",
        "Computation graph")


def _column(title: str, children: list, width: str) -> widgets.VBox:
    return widgets.VBox([widgets.HTML(f"<b>{title}</b>"), *children],
                        layout=widgets.Layout(flex=width, min_width="0", padding="0 6px"))


class Playground(StaticFallback, widgets.VBox):
    """Every panel on one state, laid out as TensorFlow Playground is: on one
    screen of 1280 x 720 (JupyterLab with the file browser folded), the training
    controls on top, then three columns: the data; the net, each unit a map of
    its output over the input plane, with + and − for layers and units; the
    output (the decision boundary and the loss curve). Below them, in tabs on the
    same state: the chain-rule stepper and the drill-down, the diagram with every
    number, a slider per parameter, the architecture, the loss landscape, saving
    and loading, and the computation graph.

    ``Playground(net, X, Y, loss="bce", lr=0.5)`` (``features=["x1", "x2", "x1*x2"]``
    for a net that reads those from each point; toggles under the data change them),
    or ``Playground(state=...)``
    on an existing :class:`ExplorerState` (an Explorer's, say: both then show
    the same net). The panels are attributes as in the Explorer.
    """

    def __init__(self, net: MLP | None = None, X: Any = None, Y: Any = None,
                 loss: str = "mse", lr: float = 0.75, *, X_test: Any = None, Y_test: Any = None,
                 batch_size: int | None = None, features: Any = None,
                 state: ExplorerState | None = None, quiz: bool = False) -> None:
        if state is not None and features is not None:
            raise TypeError("features applies to a new state; for state=, call "
                            "state.set_features(features)")
        self.state = state = state_for("Playground", net, X, Y, loss=loss, lr=lr, X_test=X_test,
                                       Y_test=Y_test, batch_size=batch_size, features=features,
                                       state=state)
        # the heaviest picture first (see Explorer)
        self.boundary = BoundaryPanel(state, size=(264, 238), unit_maps=False)
        self.training = TrainingControls(state, curve_inside=False, curve_size=(290, 92))
        self.maps = MapDiagram(state)
        self.layer_buttons = LayerButtons(state)
        self.data = DataControls(state)
        self.stepper = ChainRuleStepper(state, quiz=quiz)
        self.drilldown = GradientDrilldown(state)
        self.diagram = NetworkDiagram(state)
        self.sliders = WeightSliders(state)
        self.architecture = ArchitectureControls(state)
        self.landscape = LandscapePanel(state, active=False)
        self.saving = SaveLoadPanel(state)
        self.graph = GraphView(state, active=False)
        screen = widgets.HBox([
            _column("Data", [self.data], "0 0 260px"),
            _column("The net", [self.layer_buttons, self.maps], "1 1 auto"),
            _column("Output", [self.boundary, self.training.curve], "0 0 300px"),
        ], layout=widgets.Layout(align_items="flex-start", width="100%"))
        self.tabs = widgets.Tab(
            children=[widgets.VBox([self.stepper, self.drilldown]), self.diagram, self.sliders,
                      self.architecture, self.landscape, self.saving, self.graph],
            titles=TABS, selected_index=0)
        self.tabs.observe(self._on_tab, "selected_index")
        style = widgets.HTML(PLAYGROUND_CSS, layout=widgets.Layout(display="none"))
        super().__init__([style, self.training, screen, self.tabs])
        self.add_class("bpv-playground")

    def _on_tab(self, change: dict) -> None:
        draw_only_while_shown(self, TABS, change["new"])

    def static_html(self) -> str:
        return (self.training.static_html() + self.maps.static_html()
                + self.boundary.static_html())

    def __repr__(self) -> str:
        return f"Playground({self.state!r})\n{self.stepper.text()}"
