"""backpropviz: see every number of backpropagation, step by step, in Jupyter.

The engine (``MLP``, ``trace``, ``sgd_step``, ``optim``, ``gradcheck``) needs only NumPy;
the panels in ``backpropviz.widgets`` build on it.
"""

from . import datasets, examples
from .engine import (
    MLP,
    Trainer,
    BCELoss,
    CrossEntropyLoss,
    GradcheckReport,
    Identity,
    LeakyReLU,
    MSELoss,
    ReLU,
    Sigmoid,
    Step,
    Tanh,
    Trace,
    Value,
    gradcheck,
    optim,
)

__version__ = "0.1.0"

_WIDGETS = ("Explorer", "Playground", "ExplorerState", "ChainRuleStepper", "WeightSliders",
            "NetworkDiagram", "GradientDrilldown", "BoundaryPanel", "TrainingControls",
            "DataControls", "ArchitectureControls", "LandscapePanel", "SaveLoadPanel", "GraphView")


def __getattr__(name: str):
    # The panels import ipywidgets; load them only when asked, so the engine
    # stays a pure-NumPy import.
    if name == "ExplorerState":  # traitlets only, no widget library
        from .state import ExplorerState

        return ExplorerState
    if name in _WIDGETS:
        from . import widgets

        return getattr(widgets, name)
    raise AttributeError(f"module 'backpropviz' has no attribute {name!r}")

__all__ = [
    "MLP", "Trainer", "Trace", "Step", "Value", "gradcheck", "GradcheckReport", "ReLU", "LeakyReLU",
    "Tanh", "Sigmoid", "Identity", "MSELoss", "BCELoss", "CrossEntropyLoss",
    "datasets", "examples", "optim", *_WIDGETS,
]
