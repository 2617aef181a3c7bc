"""The chain-rule stepper: walk the trace one operation at a time, with a quiz mode."""

from __future__ import annotations

import html
import math
import re
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..drawing import step_formula_latex, step_numbers_html, step_title
from ..drawing.steps import count_line, shapes_line
from ..engine.trace import entry_name
from ._base import Panel
from ._errors import shows_errors
from ._static import StaticFallback, panel_style
from .state import ExplorerState

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


class ChainRuleStepper(Panel, StaticFallback, widgets.VBox):
    """Prev / Next / Reset and a jump list over the trace's steps.

    Each step shows its title, its formula (LaTeX, re-typeset only when the step
    changes), and its operands and result with the real numbers and shapes
    (plain HTML, updated on every change of the state).

    Quiz mode hides the result of each step and asks for one marked entry; the
    answer counts as right within ``rel_tol`` (relative) or ``abs_tol``
    (absolute), whichever is looser, and the result is then revealed.
    """

    def __init__(self, state: ExplorerState, quiz: bool = False,
                 rel_tol: float = 0.02, abs_tol: float = 5e-4) -> None:
        self._attach(state)
        self.rel_tol, self.abs_tol = rel_tol, abs_tol
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
        self.quiz_toggle = widgets.ToggleButton(value=quiz, description="Quiz me", layout=auto,
                                                tooltip="hide each result and guess it first")
        self.answer = widgets.Text(placeholder="your value", continuous_update=False,
                                   layout=widgets.Layout(width="10em"))
        self.check_button = widgets.Button(description="Check", button_style="success", layout=auto)
        self.reveal_button = widgets.Button(description="Reveal", layout=auto)
        self.prompt = widgets.HTML()
        self.verdict = widgets.HTML()
        self.quiz_box = widgets.HBox([self.prompt, self.answer, self.check_button,
                                      self.reveal_button, self.verdict])
        self._revealed: set[int] = set()
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
        self.check_button.on_click(self._on_check)
        self.reveal_button.on_click(self._on_reveal)
        self.answer.observe(self._on_submit, "value")
        self.jump.observe(self._on_jump, "value")
        self.quiz_toggle.observe(self._on_quiz_toggle, "value")
        state.observe(self._on_trace, "trace")
        state.observe(self._on_step, "step")
        self._render(step_changed=True)

    # ------------------------------------------------------------------ quiz

    @property
    def quiz(self) -> bool:
        return self.quiz_toggle.value

    def hidden(self) -> bool:
        """Is the current step's result hidden (quiz mode, not yet answered)?"""
        return self.quiz and self.state.step not in self._revealed

    def quiz_entry(self) -> tuple[int, ...]:
        """The entry of the current result the quiz asks about (stable per step)."""
        value = np.asarray(self.state.current_step.value)
        if value.ndim == 0:
            return ()
        rng = np.random.default_rng(1009 * self.state.step + 17)
        if value.ndim == 2:
            rows = min(value.shape[0], 12)
            row = self.state.sample if self.state.sample < rows else int(rng.integers(rows))
            return (row, int(rng.integers(value.shape[1])))
        return tuple(int(rng.integers(n)) for n in value.shape)

    def _entry_label(self) -> str:
        entry = self.quiz_entry()
        name = self.state.current_step.name
        return entry_name(name, entry)

    def check(self, text: str) -> bool | None:
        """Judge a typed answer: True right, False wrong, None not a number."""
        guess = parse_answer(text)
        if guess is None:
            self.verdict.value = (
                '<span class="bpv-verdict-wrong">Please type a number, such as -0.25 '
                "or 1/4.</span>")
            return None
        truth = float(np.asarray(self.state.current_step.value)[self.quiz_entry()])
        right = abs(guess - truth) <= max(self.abs_tol, self.rel_tol * abs(truth))
        word = "Right!" if right else "Not quite."
        cls = "bpv-verdict-right" if right else "bpv-verdict-wrong"
        self.verdict.value = (
            f'<span class="{cls}">{word}</span> You said {html.escape(f"{guess:.6g}")}; '
            f"{html.escape(self._entry_label())} = {truth:.6g}."
        )
        self._revealed.add(self.state.step)
        self._render(step_changed=False)
        return right

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
        self._revealed.clear()
        self.state.sgd_step()

    @shows_errors("Jumping to a step")
    def _on_jump(self, change: dict) -> None:
        if not self.is_syncing and change["new"] is not None and change["new"] != self.state.step:
            self.state.step = change["new"]

    @shows_errors("Checking the answer")
    def _on_check(self, _button: Any = None) -> None:
        self.check(self.answer.value)

    @shows_errors("Checking the answer")
    def _on_submit(self, change: dict) -> None:
        if change["new"].strip():
            self.check(change["new"])

    @shows_errors("Revealing the result")
    def _on_reveal(self, _button: Any = None) -> None:
        self._revealed.add(self.state.step)
        self.verdict.value = ""
        self._render(step_changed=False)

    @shows_errors("Quiz mode")
    def _on_quiz_toggle(self, change: dict) -> None:
        self._revealed.clear()
        self.verdict.value = ""
        self._render(step_changed=False)

    @shows_errors("Updating the step")
    def _on_trace(self, change: dict) -> None:
        self._render(step_changed=change["old"] is None or
                     change["old"].specs is not change["new"].specs)

    @shows_errors("Showing the step")
    def _on_step(self, change: dict) -> None:
        self.verdict.value = ""
        with self.answer.hold_trait_notifications():
            self.answer.value = ""
        self._render(step_changed=True)

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
        self.quiz_box.layout.display = "flex" if self.quiz else "none"
        if self.quiz:
            self.prompt.value = (
                f"What is <b>{html.escape(self._entry_label())}</b>?" if hide
                else f"Revealed: <b>{html.escape(self._entry_label())}</b> is marked above.")
            self.check_button.disabled = not hide
            self.answer.disabled = not hide

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
