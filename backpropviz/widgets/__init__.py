"""ipywidgets panels on one shared, observable state.

``Explorer`` and ``Playground`` (the same panels on one screen) compose them
all; each panel also works alone on a shared
``ExplorerState``::

    state = ExplorerState(net, X, Y, loss="mse", lr=0.75)
    display(ChainRuleStepper(state), NetworkDiagram(state))
"""

from .architecture import ArchitectureControls, LayerButtons
from .boundary import BoundaryPanel
from .data import DataControls
from .diagram import MapDiagram, NetworkDiagram
from .drilldown import GradientDrilldown
from .explorer import Explorer
from .graph import GraphView
from .landscape import LandscapePanel
from .playground import Playground
from .saving import SaveLoadPanel
from .sliders import WeightSliders
from .state import ExplorerState
from .stepper import ChainRuleStepper
from .training import TrainingControls

__all__ = ["ArchitectureControls", "BoundaryPanel", "ChainRuleStepper", "DataControls", "Explorer",
           "ExplorerState", "GradientDrilldown", "GraphView", "LandscapePanel", "LayerButtons",
           "MapDiagram", "NetworkDiagram", "Playground", "SaveLoadPanel", "TrainingControls",
           "WeightSliders"]
