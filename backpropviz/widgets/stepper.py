"""The chain-rule stepper: walk the trace one operation at a time, with a quiz mode."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..drawing import step_formula_latex, step_numbers_html, step_title
from ..drawing.matrix import SHOWN_ROWS
from ..drawing.steps import count_line, shapes_line
from ._base import Panel
from ._errors import shows_errors
from ._static import StaticFallback, panel_style
from .quiz import Question, QuizMode, QuizPanel, stable_entry
from .state import ExplorerState

__all__ = ["ChainRuleStepper"]

class ChainRuleStepper(Panel, QuizPanel, StaticFallback, widgets.VBox):
    """Prev / Next / Reset and a jump list over the trace's steps.

    Each step shows its title, its formula (LaTeX, re-typeset only when the step
    changes), and its operands and result with the real numbers and shapes
    (plain HTML, updated on every change of the state).

    Quiz mode (``QuizMode``, shared with the GraphView) hides the result of each
    step and asks for one marked entry; the answer counts as right within
    ``rel_tol`` (relative) or ``abs_tol`` (absolute), whichever is looser, and the
    result is then revealed.
    """

    def __init__(self, state: ExplorerState, quiz: bool = False,
                 rel_tol: float = 0.02, abs_tol: float = 5e-4) -> None:
        self._attach(state)
        self.title = widgets.HTML()
        self.formula = widgets.HTMLMath()
        self.numbers = widgets.HTML()
        auto = widgets.Layout(width="auto", min_width="5em")
        self.prev_button = widgets.Button(description="◀ Prev", tooltip="previous step", layout=auto)
        self.next_button = widgets.Button(description="Next ▶", tooltip="next step",
                                          button_style="primary", layout=auto)
        self.reset_button = widgets.Button(description="⟲ Start", tooltip="back to the first step",
                                           layout=auto)
        self.jump = widgets.Dropdown(description="Jump to", layout=widgets.Layout(width="max-content"))
        self.apply_button = widgets.Button(
            description="Take this SGD step", tooltip="apply W ← W − lr·dL/dW to the net",
            layout=widgets.Layout(width="auto"))
        self.quiz_mode = QuizMode(self._question, lambda: self._render(step_changed=False),
                                  self.error, on=quiz, rel_tol=rel_tol, abs_tol=abs_tol,
                                  marked="above")
        self._shown_specs = None
        super().__init__([
            panel_style(),
            widgets.HBox([self.prev_button, self.next_button, self.reset_button, self.jump,
                          self.quiz_toggle], layout=widgets.Layout(flex_flow="row wrap")),
            self.title, self.formula, self.numbers, self.quiz_box,
            widgets.HBox([self.apply_button]), self.error,
        ])
        self.add_class("bpv-stepper")
        self.prev_button.on_click(self._on_prev)
        self.next_button.on_click(self._on_next)
        self.reset_button.on_click(self._on_start)
        self.apply_button.on_click(self._on_apply)
        self.jump.observe(self._on_jump, "value")
        state.observe(self._on_trace, "trace")
        state.observe(self._on_step, "step")
        state.observe(self._on_sample, "sample")
        self._render(step_changed=True)

    # ------------------------------------------------------------------ quiz

    def quiz_entry(self) -> tuple[int, ...]:
        """The entry of the current result the quiz asks about (stable per step): in a
        matrix, one in the selected sample's row when that row is shown."""
        value = np.asarray(self.state.current_step.value)
        if value.ndim == 2:
            rows = min(value.shape[0], SHOWN_ROWS)  # the quiz asks only about an entry in view
            row = self.state.sample if self.state.sample < rows else None
            return stable_entry(self.state.step, (rows, value.shape[1]), row=row)
        return stable_entry(self.state.step, value.shape)

    def _question(self) -> Question:
        step = self.state.current_step
        return Question(self.state.step, step.name, step.value, self.quiz_entry())

    # ------------------------------------------------------------------ callbacks

    @shows_errors("Going to the previous step")
    def _on_prev(self, _button: Any = None) -> None:
        if self.state.step > 0:
            self.state.step -= 1

    @shows_errors("Going to the next step")
    def _on_next(self, _button: Any = None) -> None:
        if self.state.step < self.state.trace.num_steps - 1:
            self.state.step += 1

    @shows_errors("Going back to the first step")
    def _on_start(self, _button: Any = None) -> None:
        self.state.step = 0

    @shows_errors("The SGD step")
    def _on_apply(self, _button: Any = None) -> None:
        self.quiz_mode.forget()
        self.state.sgd_step()

    @shows_errors("Jumping to a step")
    def _on_jump(self, change: dict) -> None:
        if not self.is_syncing and change["new"] is not None and change["new"] != self.state.step:
            self.state.step = change["new"]

    @shows_errors("Updating the step")
    def _on_trace(self, change: dict) -> None:
        new_steps = change["old"] is None or change["old"].specs is not change["new"].specs
        if new_steps:
            self.quiz_mode.forget()
        self._render(step_changed=new_steps)

    @shows_errors("Showing the step")
    def _on_step(self, change: dict) -> None:
        self.quiz_mode.clear_answer()
        self._render(step_changed=True)

    @shows_errors("Following the sample")
    def _on_sample(self, change: dict) -> None:
        if self.quiz:  # the entry asked is in the sample's row: ask about and mark the new one
            self.quiz_mode.clear_answer()  # a verdict on the old entry would read as one on the new
            self._render(step_changed=False)

    # ------------------------------------------------------------------ drawing

    def _render(self, step_changed: bool) -> None:
        state, trace = self.state, self.state.trace
        step = state.current_step
        total = trace.num_steps
        with self.syncing():
            if trace.specs is not self._shown_specs:
                self._shown_specs = trace.specs
                self.jump.options = [(f"{s.index + 1}. {s.text}", s.index) for s in trace.steps]
            if self.jump.value != state.step:
                self.jump.value = state.step
        hide = self.hidden()
        mark = self.quiz_entry() if self.quiz else None
        self.title.value = f"<b>{html.escape(step_title(step, total))}</b>"
        if step_changed:
            self.formula.value = step_formula_latex(step)
        self.numbers.value = step_numbers_html(step, trace, mark=mark, hide_result=hide)
        self.prev_button.disabled = state.step == 0
        self.next_button.disabled = state.step == total - 1
        self.quiz_mode.show()

    def text(self) -> str:
        """The current step in plain text: title, formula, shapes (for reprs and tests)."""
        step = self.state.current_step
        trace = self.state.trace
        count = count_line(step, trace)
        return (f"{step_title(step, trace.num_steps)}\n{step.text}\n"
                f"shapes: {shapes_line(step, trace)}" + (f"\n{count}" if count else ""))

    def static_html(self) -> str:
        return f"{self.title.value}<div>{html.escape(self.state.current_step.text)}</div>{self.numbers.value}"

    def __repr__(self) -> str:
        return f"ChainRuleStepper: {self.text()}"
