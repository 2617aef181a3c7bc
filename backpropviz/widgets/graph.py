"""The computation graph, live: stepped forward then backward node by node, with a quiz."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..drawing.graph import (Graph, graph_caption_html, graph_caption_text, graph_svg, shown_shape,
                             trace_graph, value_graph)
from ..engine import Value
from ..engine._checks import as_int, describe
from ..state import ExplorerState
from ._base import Panel
from ._errors import ErrorArea, shows_errors
from ._static import StaticFallback, panel_style
from .quiz import Question, QuizMode, QuizPanel, stable_entry


class GraphView(Panel, QuizPanel, StaticFallback, widgets.VBox):
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

    Quiz mode (``QuizMode``, as in the stepper) hides the current step's result and
    asks for one entry of it; the answer counts as right within ``rel_tol``
    (relative) or ``abs_tol`` (absolute), whichever is looser; then it is revealed.

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
        # an expression's graph is made once; a state's, from each new trace (see ``graph``)
        self._graph = value_graph(source) if self.expression is not None else None
        self._graph_trace = None
        self._step = 0
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
        self.quiz_mode = QuizMode(self._question, self._render, self.error, on=quiz,
                                  rel_tol=rel_tol, abs_tol=abs_tol, marked="in the graph")
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
                self.quiz_mode.forget()
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

    def quiz_entry(self) -> tuple[int, ...]:
        """The entry of the current result the quiz asks about, among those the node
        shows (stable per step)."""
        return stable_entry(self.step, shown_shape(self.current.result))

    def _question(self) -> Question:
        current = self.current
        return Question(self.step, current.name, current.result, self.quiz_entry())

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

    @shows_errors("Updating the graph")
    def _on_trace(self, change: dict) -> None:
        self._render()

    @shows_errors("Showing the step")
    def _on_step(self, change: dict) -> None:
        self._step_changed()

    def _step_changed(self) -> None:
        self.quiz_mode.clear_answer()
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
            self.quiz_mode.show()
        self._shown = key
        self.renders += 1

    def text(self) -> str:
        """The current step in plain text (for reprs and tests)."""
        return graph_caption_text(self.graph, self.step, hide=self.hidden())

    def static_html(self) -> str:
        return f"{self.caption.value}{self.svg.value}"

    def __repr__(self) -> str:
        return f"GraphView: {self.text()}"
