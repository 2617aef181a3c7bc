"""What every panel shares: its state (checked once, here), its error line, and one
re-entrancy guard for the moments a panel writes to its own controls."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ..engine._checks import describe
from ..state import ExplorerState
from ._errors import ErrorArea


class Syncing:
    """One re-entrancy guard: wrap writes to your own controls in ``with self.syncing():``
    and return early from their callbacks while ``self.is_syncing``."""

    _sync_depth = 0

    @contextmanager
    def syncing(self) -> Iterator[None]:
        """While inside, the panel's own writes to its controls are not user input."""
        self._sync_depth += 1
        try:
            yield
        finally:
            self._sync_depth -= 1

    @property
    def is_syncing(self) -> bool:
        return self._sync_depth > 0


class Panel(Syncing):
    """Mixin for a panel on an ``ExplorerState``: call ``_attach(state)`` first in
    ``__init__``; errors of its callbacks go to ``self.error`` (``@shows_errors``)."""

    state: ExplorerState
    error: ErrorArea

    def _attach(self, state: ExplorerState) -> None:
        if not isinstance(state, ExplorerState):
            raise TypeError(f"state must be an ExplorerState, got {describe(state)}")
        self.state = state
        self.error = ErrorArea()
