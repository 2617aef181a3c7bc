"""The Explorer: stepper, diagram, drill-down and sliders on one shared state."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..drawing import network_svg, step_highlight, step_numbers_html
from ..drawing.steps import STEP_CSS, step_title
from ..engine import MLP
from .diagram import NetworkDiagram
from .drilldown import GradientDrilldown
from .sliders import WeightSliders
from .state import ExplorerState
from .stepper import ChainRuleStepper


class Explorer(widgets.VBox):
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
        half = widgets.Layout(flex="1 1 480px", min_width="0", padding="0 6px")
        top = widgets.HBox([widgets.Box([self.stepper], layout=half),
                            widgets.Box([self.diagram], layout=half)],
                           layout=widgets.Layout(flex_flow="row wrap"))
        bottom = widgets.HBox([widgets.Box([self.sliders], layout=half),
                               widgets.Box([self.drilldown], layout=half)],
                              layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([top, bottom])
        self.add_class("bpv-explorer")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        """The live widget, plus a static HTML picture and plain text for places
        that cannot run widgets (a notebook viewer, a terminal)."""
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        state = self.state
        step = state.current_step
        bundle["text/html"] = (
            f"{STEP_CSS}<div><b>{step_title(step, len(state.trace._schema))}</b></div>"
            f"{step_numbers_html(step, state.trace)}"
            + network_svg(state.trace, sample=state.sample,
                          highlight=step_highlight(step.spec, state.trace.sizes))
            + "<p><i>An interactive backpropviz Explorer: run the notebook in Jupyter to use it.</i></p>"
        )
        return bundle

    def __repr__(self) -> str:
        return f"Explorer({self.state!r})\n{self.stepper.text()}"
