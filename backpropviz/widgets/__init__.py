"""ipywidgets panels on one shared, observable state.

``Explorer`` composes them all; each panel also works alone on a shared
``ExplorerState``::

    state = ExplorerState(net, X, Y, loss="mse", lr=0.75)
    display(ChainRuleStepper(state), NetworkDiagram(state))
"""

from .diagram import NetworkDiagram
from .drilldown import GradientDrilldown
from .explorer import Explorer
from .sliders import WeightSliders
from .state import ExplorerState
from .stepper import ChainRuleStepper

__all__ = ["ChainRuleStepper", "Explorer", "ExplorerState", "GradientDrilldown",
           "NetworkDiagram", "WeightSliders"]
