"""The Explorer: stepper, diagram, drill-down and sliders on one shared state."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..engine import MLP
from .diagram import NetworkDiagram
from .drilldown import GradientDrilldown
from .sliders import WeightSliders
from ._static import StaticFallback
from .state import ExplorerState
from .stepper import ChainRuleStepper


class Explorer(StaticFallback, widgets.Box):
    """Every panel on one state: ``Explorer(net, X, Y, loss="mse", lr=0.75)``.

    The panels are attributes (``stepper``, ``diagram``, ``drilldown``,
    ``sliders``) and ``state`` is the shared :class:`ExplorerState`; pass
    ``state=`` instead of a net to build an Explorer on an existing state.
    """

    def __init__(self, net: MLP | None = None, X: Any = None, Y: Any = None,
                 loss: str = "mse", lr: float = 0.75, *, state: ExplorerState | None = None,
                 quiz: bool = False) -> None:
        if state is None:
            if net is None or X is None or Y is None:
                raise TypeError("Explorer needs net, X and Y (or state=an ExplorerState)")
            state = ExplorerState(net, X, Y, loss=loss, lr=lr)
        elif not isinstance(state, ExplorerState):
            raise TypeError(f"state must be an ExplorerState, got {type(state).__name__}")
        self.state = state
        self.stepper = ChainRuleStepper(state, quiz=quiz)
        self.diagram = NetworkDiagram(state)
        self.drilldown = GradientDrilldown(state)
        self.sliders = WeightSliders(state)
        column = widgets.Layout(flex="1 1 520px", min_width="0", padding="0 6px")
        left = widgets.VBox([self.stepper, self.drilldown], layout=column)
        right = widgets.VBox([self.diagram, self.sliders], layout=column)
        super().__init__([left, right], layout=widgets.Layout(
            display="flex", flex_flow="row wrap", align_items="flex-start"))
        self.add_class("bpv-explorer")

    def static_html(self) -> str:
        return self.stepper.static_html() + self.diagram.static_html()

    def __repr__(self) -> str:
        return f"Explorer({self.state!r})\n{self.stepper.text()}"
