"""Callback errors are shown in the panel, never swallowed; the panel keeps working."""

from __future__ import annotations

import functools
import html
import logging
import traceback
from typing import Any, Callable

import ipywidgets as widgets

log = logging.getLogger("backpropviz")


class ErrorArea(widgets.HTML):
    """An HTML line that shows the last callback error of its panel, or nothing."""

    def show(self, exc: BaseException, context: str) -> None:
        detail = html.escape("".join(traceback.format_exception(exc)))
        self.value = (
            f'<div class="bpv-error" role="alert"><b>{html.escape(context)} failed:</b> '
            f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}"
            f"<details><summary>details</summary><pre>{detail}</pre></details></div>"
        )

    def clear(self) -> None:
        if self.value:
            self.value = ""


def shows_errors(context: str) -> Callable:
    """Decorate a panel method: an exception is shown in ``self.error`` and logged.

    The callback returns None instead of raising, so one failing panel never
    stops the others from hearing about a change. A later success clears it.
    """

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                result = method(self, *args, **kwargs)
            except Exception as exc:
                log.warning("%s failed in %s", context, type(self).__name__, exc_info=exc)
                self.error.show(exc, context)
                return None
            self.error.clear()
            return result

        return wrapper

    return decorate
