"""Save the whole state to a JSON file and load it again, for the next lesson."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from ._base import Panel
from ._errors import shows_errors
from .state import ExplorerState


class SaveLoadPanel(Panel, widgets.VBox):
    """Save to / load from a file beside the notebook, or load an uploaded file.

    Loading a malformed or hostile file says what is wrong and changes nothing.
    """

    def __init__(self, state: ExplorerState, path: str = "backpropviz-state.json") -> None:
        self._attach(state)
        self.path = widgets.Text(value=path, description="file", layout=widgets.Layout(width="24em"))
        self.save_button = widgets.Button(description="Save", icon="save", layout=widgets.Layout(width="auto"))
        self.load_button = widgets.Button(description="Load", icon="folder-open", layout=widgets.Layout(width="auto"))
        self.upload = widgets.FileUpload(accept=".json", multiple=False, description="Upload a saved state")
        self.status = widgets.HTML()
        super().__init__([widgets.HBox([self.path, self.save_button, self.load_button]),
                          self.upload, self.status, self.error])
        self.add_class("bpv-save")
        self.save_button.on_click(self._on_save)
        self.load_button.on_click(self._on_load)
        self.upload.observe(self._on_upload, "value")

    @shows_errors("Saving")
    def _on_save(self, _button: Any = None) -> None:
        self.state.save(self.path.value)
        size = Path(self.path.value).stat().st_size
        self.status.value = f"Saved to <code>{html.escape(self.path.value)}</code> ({size:,} bytes)."

    @shows_errors("Loading")
    def _on_load(self, _button: Any = None) -> None:
        self.status.value = ""
        self.state.load(self.path.value)
        self.status.value = f"Loaded <code>{html.escape(self.path.value)}</code>."

    @shows_errors("Loading the uploaded file")
    def _on_upload(self, change: dict) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        self.status.value = ""
        self.state.load_json(bytes(item["content"]))
        self.status.value = f"Loaded <code>{html.escape(item['name'])}</code>."
