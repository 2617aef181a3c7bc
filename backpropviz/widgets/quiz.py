"""Quiz mode, written once for every panel that steps through results.

A panel that quizzes (the ChainRuleStepper, the GraphView) composes a ``QuizMode``:
the "Quiz me" toggle, the row with the question, the answer box, Check, Reveal and
the verdict, the steps already revealed, and the judging of a typed answer. The
panel says only what it asks at its current step (a ``Question``) and how to draw
itself again; ``QuizPanel`` gives the panel the quiz's names that notebooks and
tests use (``stepper.answer``, ``view.check("1/4")``), so both panels answer to the
same names because they are the same objects.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

import ipywidgets as widgets
import numpy as np

from ..engine.trace import entry_name
from ._errors import ErrorArea, shows_errors

_FRACTION = re.compile(r"^\s*([-+]?\d*\.?\d+)\s*/\s*([-+]?\d*\.?\d+)\s*$")


def parse_answer(text: str) -> float | None:
    """A student's typed number: ``-0.25``, ``−0.25`` (the minus sign), ``.5``, ``1/4``,
    ``1,5`` (decimal comma). None if it is not a number."""
    t = text.strip().replace("−", "-").replace("–", "-").replace(" ", "")
    if not t:
        return None
    if t.count(",") == 1 and "." not in t:
        t = t.replace(",", ".")
    m = _FRACTION.match(t)
    try:
        value = float(m.group(1)) / float(m.group(2)) if m else float(t)
    except (ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None


def stable_entry(step: int, shape: tuple[int, ...], row: int | None = None) -> tuple[int, ...]:
    """The entry of an array of ``shape`` to ask about at ``step``: drawn from a
    generator seeded by the step, so coming back to a step asks the same entry
    again. ``row``, when given, fixes the first index (the rest are drawn);
    ``()`` for a scalar."""
    rng = np.random.default_rng(1009 * step + 17)
    if row is None:
        return tuple(int(rng.integers(n)) for n in shape)
    return (row, *(int(rng.integers(n)) for n in shape[1:]))


@dataclass(frozen=True)
class Question:
    """What a panel asks at its current step.

    ``step`` is the panel's step index (a step stays revealed once answered);
    ``name`` the result's name (``"Z1"``, ``"df/dq"``); ``value`` the result, a
    number or an array of any shape; ``entry`` the index into ``value`` asked
    about (``()`` for a number).
    """

    step: int
    name: str
    value: Any
    entry: tuple[int, ...]

    @property
    def label(self) -> str:
        """The entry as the prompt writes it: ``"Z1[0,1]"``, or ``"q"`` for a number."""
        return entry_name(self.name, self.entry)

    @property
    def truth(self) -> float:
        """The number asked for."""
        return float(np.asarray(self.value)[self.entry])


class QuizMode:
    """One panel's quiz: its controls, the steps revealed so far, the judging.

    ``ask()`` returns the panel's current ``Question``; ``redraw()`` draws the panel
    again (reading ``hidden()`` to hide the result or show it); callback errors go
    to ``error``, the panel's own error line. An answer counts as right within
    ``rel_tol`` (relative) or ``abs_tol`` (absolute), whichever is looser. Right or
    wrong, the result is then revealed, and that step stays revealed until the
    quiz is switched off and on or the panel calls ``forget()``. ``marked`` says
    where the panel marks the entry ("above", "in the graph").
    """

    def __init__(self, ask: Callable[[], Question], redraw: Callable[[], None], error: ErrorArea,
                 *, on: bool, rel_tol: float, abs_tol: float, marked: str) -> None:
        self._ask, self._redraw, self.error = ask, redraw, error
        self.rel_tol, self.abs_tol = rel_tol, abs_tol
        self._marked = marked
        self._revealed: set[int] = set()
        auto = widgets.Layout(width="auto", min_width="5em")
        self.toggle = widgets.ToggleButton(value=on, description="Quiz me", layout=auto,
                                           tooltip="hide each result and guess it first")
        self.prompt = widgets.HTML()
        self.answer = widgets.Text(placeholder="your value", continuous_update=False,
                                   layout=widgets.Layout(width="10em"))
        self.check_button = widgets.Button(description="Check", button_style="success", layout=auto)
        self.reveal_button = widgets.Button(description="Reveal", layout=auto)
        self.verdict = widgets.HTML()
        self.box = widgets.HBox([self.prompt, self.answer, self.check_button, self.reveal_button,
                                 self.verdict],
                                layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        self.check_button.on_click(self._on_check)
        self.reveal_button.on_click(self._on_reveal)
        self.answer.observe(self._on_submit, "value")
        self.toggle.observe(self._on_toggle, "value")

    @property
    def on(self) -> bool:
        return self.toggle.value

    def hidden(self) -> bool:
        """Is the current step's result hidden (quiz mode, not yet answered)?"""
        return self.on and self._ask().step not in self._revealed

    def check(self, text: str) -> bool | None:
        """Judge a typed answer: True right, False wrong, None not a number."""
        guess = parse_answer(text)
        if guess is None:
            self.verdict.value = ('<span class="bpv-verdict-wrong">Please type a number, such as '
                                  "-0.25 or 1/4.</span>")
            return None
        question = self._ask()
        truth = question.truth
        right = abs(guess - truth) <= max(self.abs_tol, self.rel_tol * abs(truth))
        word = "Right!" if right else "Not quite."
        cls = "bpv-verdict-right" if right else "bpv-verdict-wrong"
        self.verdict.value = (f'<span class="{cls}">{word}</span> You said '
                              f'{html.escape(f"{guess:.6g}")}; {html.escape(question.label)} '
                              f"= {truth:.6g}.")
        self._revealed.add(question.step)
        self._redraw()
        return right

    def forget(self) -> None:
        """The panel's steps are new ones (another net, new weights): none is revealed."""
        self._revealed.clear()

    def clear_answer(self) -> None:
        """The panel moved to another step: no verdict, an empty answer box."""
        self.verdict.value = ""
        with self.answer.hold_trait_notifications():
            self.answer.value = ""

    def show(self) -> None:
        """Bring the quiz row up to the panel's current step (the panel's drawing calls it)."""
        self.box.layout.display = "flex" if self.on else "none"
        if not self.on:
            return
        question = self._ask()
        hide = question.step not in self._revealed
        label = html.escape(question.label)
        self.prompt.value = (f"What is <b>{label}</b>?" if hide
                             else f"Revealed: <b>{label}</b> is marked {self._marked}.")
        self.check_button.disabled = not hide
        self.answer.disabled = not hide

    # ------------------------------------------------------------------ callbacks

    @shows_errors("Checking the answer")
    def _on_check(self, _button: Any = None) -> None:
        self.check(self.answer.value)

    @shows_errors("Checking the answer")
    def _on_submit(self, change: dict) -> None:
        if change["new"].strip():  # emptied by clear_answer(): nothing typed
            self.check(change["new"])

    @shows_errors("Revealing the result")
    def _on_reveal(self, _button: Any = None) -> None:
        self._revealed.add(self._ask().step)
        self.verdict.value = ""
        self._redraw()

    @shows_errors("Quiz mode")
    def _on_toggle(self, change: dict) -> None:
        self.forget()
        self.verdict.value = ""
        self._redraw()


class QuizPanel:
    """Mixin for a panel that composes a ``QuizMode`` as ``self.quiz_mode``: the quiz's
    controls and questions under the names notebooks and tests use on the panel
    (``panel.quiz_toggle``, ``panel.answer``, ``panel.check("1/4")``, ...)."""

    quiz_mode: QuizMode

    @property
    def quiz(self) -> bool:
        """Whether quiz mode is on ("Quiz me" pressed)."""
        return self.quiz_mode.on

    def hidden(self) -> bool:
        """Is the current step's result hidden (quiz mode, not yet answered)?"""
        return self.quiz_mode.hidden()

    def check(self, text: str) -> bool | None:
        """Judge a typed answer: True right, False wrong, None not a number."""
        return self.quiz_mode.check(text)

    @property
    def rel_tol(self) -> float:
        return self.quiz_mode.rel_tol

    @rel_tol.setter
    def rel_tol(self, value: float) -> None:
        self.quiz_mode.rel_tol = value

    @property
    def abs_tol(self) -> float:
        return self.quiz_mode.abs_tol

    @abs_tol.setter
    def abs_tol(self, value: float) -> None:
        self.quiz_mode.abs_tol = value

    quiz_toggle = property(lambda self: self.quiz_mode.toggle, doc='The "Quiz me" toggle.')
    quiz_box = property(lambda self: self.quiz_mode.box, doc="The row with the question.")
    prompt = property(lambda self: self.quiz_mode.prompt, doc="What is asked.")
    answer = property(lambda self: self.quiz_mode.answer, doc="The answer box (Enter checks).")
    check_button = property(lambda self: self.quiz_mode.check_button)
    reveal_button = property(lambda self: self.quiz_mode.reveal_button)
    verdict = property(lambda self: self.quiz_mode.verdict, doc='"Right!" or "Not quite." and why.')
