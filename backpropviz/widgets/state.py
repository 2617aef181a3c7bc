"""``ExplorerState`` lives in ``backpropviz.state`` (it needs traitlets, not ipywidgets);
this name stays for code that imported it from here."""

from ..state import MAX_HIDDEN_LAYERS, MAX_WIDTH, ExplorerState

__all__ = ["ExplorerState", "MAX_HIDDEN_LAYERS", "MAX_WIDTH"]
