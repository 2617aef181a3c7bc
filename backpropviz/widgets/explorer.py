"""The Explorer: every panel on one shared state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

from ..engine import MLP
from ..engine._checks import describe
from ._static import StaticFallback
from .architecture import ArchitectureControls, LayerButtons
from .boundary import BoundaryPanel
from .data import DataControls
from .diagram import NetworkDiagram
from .drilldown import GradientDrilldown
from .graph import GraphView
from .landscape import LandscapePanel
from .saving import SaveLoadPanel
from .sliders import WeightSliders
from .state import ExplorerState
from .stepper import ChainRuleStepper
from .training import TrainingControls

SECTIONS = ("Data", "Architecture", "Loss landscape", "Save and load", "Computation graph")


def state_for(what: str, net: MLP | None, X: Any, Y: Any, *, state: ExplorerState | None,
              **options: Any) -> ExplorerState:
    """The state a layout of panels (``what``) is built on: ``state`` when given,
    else a new one from the net, the data and ``options``."""
    if state is None:
        if net is None or X is None or Y is None:
            raise TypeError(f"{what} needs net, X and Y (or state=an ExplorerState)")
        return ExplorerState(net, X, Y, **options)
    if not isinstance(state, ExplorerState):
        raise TypeError(f"state must be an ExplorerState, got {describe(state)}")
    return state


def draw_only_while_shown(layout: Any, titles: Sequence[str], shown: int | None) -> None:
    """The landscape costs a batch of forward passes, the graph a picture per change:
    each of ``layout``'s draws only while its section or tab (of ``titles``) is shown."""
    layout.landscape.show_while(shown == titles.index("Loss landscape"))
    layout.graph.show_while(shown == titles.index("Computation graph"))


class Explorer(StaticFallback, widgets.VBox):
    """Every panel on one state: ``Explorer(net, X, Y, loss="mse", lr=0.75)``.

    Top: the training controls and the loss curve. Left: the chain-rule stepper
    and the drill-down on one weight. Right: the network diagram with + and −
    for layers and units, the decision boundary with a map of every hidden unit,
    and a slider per parameter.
    Below, folded away: the data, the architecture, the loss landscape, saving
    and loading, and the computation graph at matrix level (it follows the
    stepper). The panels are attributes (``stepper``, ``diagram``, ``boundary``,
    ``layer_buttons``, ``sliders``, ``drilldown``, ``training``, ``data``, ``architecture``,
    ``landscape``, ``saving``, ``graph``); ``state`` is the shared
    :class:`ExplorerState`. Pass ``state=`` to build on an existing state.
    """

    def __init__(self, net: MLP | None = None, X: Any = None, Y: Any = None,
                 loss: str = "mse", lr: float = 0.75, *, X_test: Any = None, Y_test: Any = None,
                 batch_size: int | None = None, state: ExplorerState | None = None,
                 quiz: bool = False) -> None:
        self.state = state = state_for("Explorer", net, X, Y, loss=loss, lr=lr, X_test=X_test,
                                       Y_test=Y_test, batch_size=batch_size, state=state)
        # Panels redraw in the order they were built; the boundary picture is the
        # heaviest thing the browser must decode, so its message goes out first.
        self.boundary = BoundaryPanel(state)
        self.training = TrainingControls(state)
        self.stepper = ChainRuleStepper(state, quiz=quiz)
        self.drilldown = GradientDrilldown(state)
        self.diagram = NetworkDiagram(state)
        self.layer_buttons = LayerButtons(state)
        self.sliders = WeightSliders(state)
        self.data = DataControls(state)
        self.architecture = ArchitectureControls(state)
        self.landscape = LandscapePanel(state, active=False)
        self.saving = SaveLoadPanel(state)
        self.graph = GraphView(state, active=False)
        column = widgets.Layout(flex="1 1 520px", min_width="0", padding="0 6px")
        left = widgets.VBox([self.stepper, self.drilldown], layout=column)
        right = widgets.VBox([self.diagram, self.layer_buttons, self.boundary, self.sliders], layout=column)
        self.sections = widgets.Accordion(
            children=[self.data, self.architecture, self.landscape, self.saving, self.graph],
            titles=SECTIONS, selected_index=None)
        self.sections.observe(self._on_section, "selected_index")
        body = widgets.Box([left, right], layout=widgets.Layout(
            display="flex", flex_flow="row wrap", align_items="flex-start"))
        super().__init__([self.training, body, self.sections])
        self.add_class("bpv-explorer")

    def _on_section(self, change: dict) -> None:
        draw_only_while_shown(self, SECTIONS, change["new"])

    def static_html(self) -> str:
        return (self.training.static_html() + self.stepper.static_html()
                + self.diagram.static_html() + self.boundary.static_html())

    def __repr__(self) -> str:
        return f"Explorer({self.state!r})\n{self.stepper.text()}"
