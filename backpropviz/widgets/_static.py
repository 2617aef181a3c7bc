"""What a panel shows where widgets cannot run: plain text and a static HTML picture."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..drawing import STEP_CSS

_STYLE: widgets.HTML | None = None


def panel_style() -> widgets.HTML:
    """One shared, invisible HTML widget carrying the panels' CSS (every panel
    shows it, so a panel on its own is styled too)."""
    global _STYLE
    if _STYLE is None:
        _STYLE = widgets.HTML(STEP_CSS, layout=widgets.Layout(display="none"))
    return _STYLE

NOTE = ("<p><i>A static picture of an interactive backpropviz panel: run the notebook "
        "in Jupyter to use it.</i></p>")


class StaticFallback:
    """Mixin for panels: the display bundle also carries ``text/plain`` (the
    panel's ``repr``) and ``text/html`` (``static_html()``), which a notebook
    viewer or a terminal shows instead of the live widget."""

    def static_html(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = f"{STEP_CSS}{self.static_html()}{NOTE}"
        return bundle
