"""The computation graph, live: stepped forward then backward node by node, with a quiz."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..drawing.graph import (Graph, graph_caption_html, graph_caption_text, graph_svg, shown_shape,
                             trace_graph, value_graph)
from ..engine import Value
from ..engine._checks import as_int, describe
from ..engine.trace import entry_name
from ..state import ExplorerState
from ._base import Panel
from ._errors import ErrorArea, shows_errors
from ._static import StaticFallback, panel_style
from .stepper import parse_answer


class GraphView(Panel, StaticFallback, widgets.VBox):
    """The computation graph as an SVG DAG, stepped with ◀ Prev, Next ▶ and ⟲ Start.

    ``GraphView(f)`` for a ``bpv.Value`` expression ``f``: one node per Value
    (its label or expression, its op, its data and, in the backward pass, its
    grad); building the view runs ``f.backward()``. Forward steps fill each
    computed value; backward steps start at ``f`` (grad 1) and fill each grad,
    the current edges showing upstream × local = the new gradient. An input
    without a label is a constant (such as the 1 in ``1 + x``): no grad for it.

    ``GraphView(state)`` for an ``ExplorerState``: the MLP at matrix level
    (X, W1, Z1 = X @ W1ᵀ + B1, H1, ..., L), each node its shape and the corner of
    its matrix, in the backward pass its gradient. Its step is ``state.step``,
    shared with the ChainRuleStepper, and every change of the state (a slider, a
    training step) redraws it once, from the new trace.

    Quiz mode hides the current step's result and asks for one entry of it; the
    answer counts as right within ``rel_tol`` (relative) or ``abs_tol``
    (absolute), whichever is looser, as in the stepper; then it is revealed.

    With ``active=False`` (a folded section) it draws nothing until it is made
    active, and then draws what the state is at that moment.
    """

    def __init__(self, source: Value | ExplorerState, quiz: bool = False,
                 rel_tol: float = 0.02, abs_tol: float = 5e-4, active: bool = True) -> None:
        if not isinstance(source, (Value, ExplorerState)):
            raise TypeError("source must be a bpv.Value expression or an ExplorerState, "
                            f"got {describe(source)}")
        self.expression: Value | None = source if isinstance(source, Value) else None
        if self.expression is None:
            self._attach(source)
        else:
            self.state, self.error = None, ErrorArea()  # type: ignore[assignment]
        self.rel_tol, self.abs_tol = rel_tol, abs_tol
        # an expression's graph is made once; a state's, from each new trace (see ``graph``)
        self._graph = value_graph(source) if self.expression is not None else None
        self._graph_trace = None
        self._step = 0
        self._revealed: set[int] = set()
        self._shown: tuple | None = None
        self._active = bool(active)
        self.renders = 0  # how many times the picture was drawn (one per change)

        self.caption = widgets.HTML()
        self.svg = widgets.HTML(layout=widgets.Layout(overflow="auto", max_width="100%"))
        auto = widgets.Layout(width="auto", min_width="5em")
        self.prev_button = widgets.Button(description="◀ Prev", tooltip="previous step", layout=auto)
        self.next_button = widgets.Button(description="Next ▶", tooltip="next step",
                                          button_style="primary", layout=auto)
        self.reset_button = widgets.Button(description="⟲ Start", tooltip="back to the first step",
                                           layout=auto)
        self.quiz_toggle = widgets.ToggleButton(value=quiz, description="Quiz me", layout=auto,
                                                tooltip="hide each result and guess it first")
        self.answer = widgets.Text(placeholder="your value", continuous_update=False,
                                   layout=widgets.Layout(width="10em"))
        self.check_button = widgets.Button(description="Check", button_style="success", layout=auto)
        self.reveal_button = widgets.Button(description="Reveal", layout=auto)
        self.prompt = widgets.HTML()
        self.verdict = widgets.HTML()
        self.quiz_box = widgets.HBox([self.prompt, self.answer, self.check_button,
                                      self.reveal_button, self.verdict],
                                     layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        super().__init__([
            panel_style(),
            widgets.HBox([self.prev_button, self.next_button, self.reset_button, self.quiz_toggle],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.caption, self.svg, self.quiz_box, self.error,
        ])
        self.add_class("bpv-graph")
        self.prev_button.on_click(self._on_prev)
        self.next_button.on_click(self._on_next)
        self.reset_button.on_click(self._on_start)
        self.check_button.on_click(self._on_check)
        self.reveal_button.on_click(self._on_reveal)
        self.answer.observe(self._on_submit, "value")
        self.quiz_toggle.observe(self._on_quiz_toggle, "value")
        if self.state is not None:
            self.state.observe(self._on_trace, "trace")
            self.state.observe(self._on_step, "step")
        self._render()

    # ------------------------------------------------------------------ reading

    @property
    def graph(self) -> Graph:
        """The graph being shown (for a state: of its current trace)."""
        if self.state is not None and self.state.trace is not self._graph_trace:
            old = self._graph_trace
            self._graph = trace_graph(self.state.trace)
            self._graph_trace = self.state.trace
            if old is None or old.specs is not self.state.trace.specs:
                self._revealed.clear()  # new steps: nothing of them revealed yet
        assert self._graph is not None
        return self._graph

    @property
    def active(self) -> bool:
        """Whether the view draws (False while its section is folded away)."""
        return self._active

    @active.setter
    def active(self, value: bool) -> None:
        self._active = bool(value)
        if self._active:
            self._render()

    @shows_errors("Drawing the computation graph")
    def show_while(self, visible: bool) -> None:
        """Draw while ``visible`` (its section open); an error is shown in the view."""
        self.active = visible

    @property
    def num_steps(self) -> int:
        return self.graph.num_steps

    @property
    def step(self) -> int:
        """The current step (for a state, ``state.step``)."""
        return self.state.step if self.state is not None else self._step

    @step.setter
    def step(self, value: int) -> None:
        if self.state is not None:
            self.state.step = value
            return
        value = as_int("step", value, minimum=0)
        if value >= self.num_steps:
            raise ValueError(f"step must be from 0 to {self.num_steps - 1}, got {value}")
        if value != self._step:
            self._step = value
            self._step_changed()

    @property
    def current(self):
        """The current ``GraphStep``: its name, its result, its node and edges."""
        return self.graph.step(self.step)

    @property
    def quiz(self) -> bool:
        return self.quiz_toggle.value

    def hidden(self) -> bool:
        """Is the current step's result hidden (quiz mode, not yet answered)?"""
        return self.quiz and self.step not in self._revealed

    def quiz_entry(self) -> tuple[int, ...]:
        """The entry of the current result the quiz asks about, among those the node
        shows (stable per step)."""
        value = np.asarray(self.current.result)
        if value.ndim == 0:
            return ()
        rng = np.random.default_rng(1009 * self.step + 17)
        return tuple(int(rng.integers(n)) for n in shown_shape(value))

    def _entry_label(self) -> str:
        return entry_name(self.current.name, self.quiz_entry())

    def check(self, text: str) -> bool | None:
        """Judge a typed answer: True right, False wrong, None not a number."""
        guess = parse_answer(text)
        if guess is None:
            self.verdict.value = ('<span class="bpv-verdict-wrong">Please type a number, such as '
                                  "-0.25 or 1/4.</span>")
            return None
        truth = float(np.asarray(self.current.result)[self.quiz_entry()])
        right = abs(guess - truth) <= max(self.abs_tol, self.rel_tol * abs(truth))
        word = "Right!" if right else "Not quite."
        cls = "bpv-verdict-right" if right else "bpv-verdict-wrong"
        self.verdict.value = (f'<span class="{cls}">{word}</span> You said '
                              f'{html.escape(f"{guess:.6g}")}; {html.escape(self._entry_label())} '
                              f"= {truth:.6g}.")
        self._revealed.add(self.step)
        self._render()
        return right

    # ------------------------------------------------------------------ callbacks

    @shows_errors("Going to the previous step")
    def _on_prev(self, _button: Any = None) -> None:
        if self.step > 0:
            self.step = self.step - 1

    @shows_errors("Going to the next step")
    def _on_next(self, _button: Any = None) -> None:
        if self.step < self.num_steps - 1:
            self.step = self.step + 1

    @shows_errors("Going back to the first step")
    def _on_start(self, _button: Any = None) -> None:
        self.step = 0

    @shows_errors("Checking the answer")
    def _on_check(self, _button: Any = None) -> None:
        self.check(self.answer.value)

    @shows_errors("Checking the answer")
    def _on_submit(self, change: dict) -> None:
        if change["new"].strip():
            self.check(change["new"])

    @shows_errors("Revealing the result")
    def _on_reveal(self, _button: Any = None) -> None:
        self._revealed.add(self.step)
        self.verdict.value = ""
        self._render()

    @shows_errors("Quiz mode")
    def _on_quiz_toggle(self, change: dict) -> None:
        self._revealed.clear()
        self.verdict.value = ""
        self._render()

    @shows_errors("Updating the graph")
    def _on_trace(self, change: dict) -> None:
        self._render()

    @shows_errors("Showing the step")
    def _on_step(self, change: dict) -> None:
        self._step_changed()

    def _step_changed(self) -> None:
        self.verdict.value = ""
        with self.answer.hold_trait_notifications():
            self.answer.value = ""
        self._render()

    # ------------------------------------------------------------------ drawing

    def _render(self) -> None:
        """Draw what the state and the buttons say, once: a trace change that also
        moves the step notifies twice, and the second finds it already drawn."""
        if not self._active:
            return
        graph, step = self.graph, self.step
        hide = self.hidden()
        key = (graph, step, self.quiz, hide)
        if key == self._shown:
            return
        mark = self.quiz_entry() if self.quiz else None
        with self.hold_sync():
            self.caption.value = graph_caption_html(graph, step, hide=hide)
            self.svg.value = graph_svg(graph, step, hide=hide, mark=mark)
            self.prev_button.disabled = step == 0
            self.next_button.disabled = step == graph.num_steps - 1
            self.quiz_box.layout.display = "flex" if self.quiz else "none"
            if self.quiz:
                self.prompt.value = (
                    f"What is <b>{html.escape(self._entry_label())}</b>?" if hide
                    else f"Revealed: <b>{html.escape(self._entry_label())}</b> is marked in the graph.")
                self.check_button.disabled = not hide
                self.answer.disabled = not hide
        self._shown = key
        self.renders += 1

    def text(self) -> str:
        """The current step in plain text (for reprs and tests)."""
        return graph_caption_text(self.graph, self.step, hide=self.hidden())

    def static_html(self) -> str:
        return f"{self.caption.value}{self.svg.value}"

    def __repr__(self) -> str:
        return f"GraphView: {self.text()}"
