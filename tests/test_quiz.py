"""Quiz mode, one component for the ChainRuleStepper and the GraphView: each test runs
on every quizzing panel, so the two cannot drift apart (tolerance, texts, what
reveals a step and what hides it again, errors shown in the panel)."""

from __future__ import annotations

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.engine.trace import entry_name
from backpropviz.widgets import ChainRuleStepper, ExplorerState, GraphView
from backpropviz.widgets._errors import ErrorArea
from backpropviz.widgets.quiz import Question, QuizMode, QuizPanel, stable_entry

REL_TOL, ABS_TOL = 0.02, 5e-4  # the panels' defaults


def seed_state() -> ExplorerState:
    X, Y = bpv.datasets.xor()
    return ExplorerState(bpv.examples.seed_net(), X, Y, loss="mse", lr=0.75)


def lesson_f() -> bpv.Value:
    x, y, z = bpv.Value(-2.0, label="x"), bpv.Value(5.0, label="y"), bpv.Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


PANELS = {
    "stepper": lambda: ChainRuleStepper(seed_state(), quiz=True),
    "graph of a state": lambda: GraphView(seed_state(), quiz=True),
    "graph of a Value": lambda: GraphView(lesson_f(), quiz=True),
}


@pytest.fixture(params=list(PANELS))
def panel(request):
    return PANELS[request.param]()


def num_steps(panel) -> int:
    return panel.state.trace.num_steps if isinstance(panel, ChainRuleStepper) else panel.num_steps


def go(panel, step: int) -> None:
    if isinstance(panel, ChainRuleStepper):
        panel.state.step = step
    else:
        panel.step = step


def asked(panel) -> tuple[str, float]:
    """The entry asked about, as the prompt names it, and its true value."""
    if isinstance(panel, ChainRuleStepper):
        name, value = panel.state.current_step.name, panel.state.current_step.value
    else:
        name, value = panel.current.name, panel.current.result
    entry = panel.quiz_entry()
    return entry_name(name, entry), float(np.asarray(value)[entry])


def verdict(guess: float, label: str, truth: float) -> str:
    """The verdict as the quiz words it, judged here independently of the quiz."""
    right = abs(guess - truth) <= max(ABS_TOL, REL_TOL * abs(truth))
    word, cls = ("Right!", "right") if right else ("Not quite.", "wrong")
    return f'<span class="bpv-verdict-{cls}">{word}</span> You said {guess:.6g}; {label} = {truth:.6g}.'


def test_every_panel_quizzes_with_the_one_component(panel):
    assert isinstance(panel.quiz_mode, QuizMode) and isinstance(panel, QuizPanel)
    q = panel.quiz_mode
    for shown, own in (("quiz_toggle", q.toggle), ("quiz_box", q.box), ("prompt", q.prompt),
                       ("answer", q.answer), ("check_button", q.check_button),
                       ("reveal_button", q.reveal_button), ("verdict", q.verdict)):
        assert getattr(panel, shown) is own, shown
    # no panel judges, reveals or hides in a way of its own
    for name in ("quiz", "hidden", "check"):
        assert getattr(type(panel), name) is getattr(QuizPanel, name), name
    assert panel.quiz_toggle.description == "Quiz me" and panel.quiz and panel.hidden()
    assert (panel.rel_tol, panel.abs_tol) == (REL_TOL, ABS_TOL)


def test_the_same_answers_get_the_same_verdicts_at_every_step(panel):
    for step in range(num_steps(panel)):
        go(panel, step)
        label, truth = asked(panel)
        assert panel.prompt.value == f"What is <b>{label}</b>?"
        # just inside and just outside 2%, and 4e-4 and 6e-4 off (the absolute floor)
        for guess in (truth * 1.019, truth * 1.021, truth + 4e-4, truth - 6e-4):
            expected = verdict(guess, label, truth)
            assert panel.check(repr(guess)) is ("Right!" in expected), (step, guess)
            assert panel.verdict.value == expected
        # right or wrong, the result is now revealed and marked
        assert not panel.hidden() and panel.check_button.disabled and panel.answer.disabled
        assert panel.prompt.value.startswith(f"Revealed: <b>{label}</b> is marked ")


def test_a_step_stays_revealed_until_the_quiz_starts_again(panel):
    go(panel, 0)
    panel.reveal_button.click()
    assert not panel.hidden() and panel.verdict.value == ""
    go(panel, 1)
    assert panel.hidden() and not panel.check_button.disabled
    go(panel, 0)
    assert not panel.hidden()
    panel.quiz_toggle.value = False
    assert not panel.hidden() and panel.quiz_box.layout.display == "none"
    panel.quiz_toggle.value = True
    assert panel.hidden() and panel.quiz_box.layout.display == "flex"


def test_enter_in_the_box_checks_and_a_new_step_empties_it(panel):
    panel.answer.value = "three"
    assert "Please type a number, such as -0.25 or 1/4." in panel.verdict.value and panel.hidden()
    label, truth = asked(panel)
    panel.answer.value = f"{truth:.6f}".replace("-", "−")  # the minus sign a keyboard may type
    assert "Right!" in panel.verdict.value and not panel.hidden()
    go(panel, 1)
    assert panel.answer.value == "" and panel.verdict.value == "" and panel.hidden()


def test_a_new_net_is_asked_afresh_in_both_panels():
    state = seed_state()
    stepper, view = ChainRuleStepper(state, quiz=True), GraphView(state, quiz=True)
    stepper.reveal_button.click()
    view.reveal_button.click()
    assert not stepper.hidden() and not view.hidden()
    state.set_architecture([3], ["tanh", "sigmoid"], loss="bce")
    assert state.step == 0 and stepper.hidden() and view.hidden()


def test_an_sgd_step_from_the_stepper_asks_its_steps_afresh():
    stepper = ChainRuleStepper(seed_state(), quiz=True)
    stepper.reveal_button.click()
    stepper.apply_button.click()
    assert stepper.state.step == 0 and stepper.hidden()


@pytest.mark.parametrize("kind, drawing", [("stepper", "backpropviz.widgets.stepper.step_numbers_html"),
                                           ("graph of a state", "backpropviz.widgets.graph.graph_svg"),
                                           ("graph of a Value", "backpropviz.widgets.graph.graph_svg")])
def test_a_failing_redraw_is_shown_in_the_panel(kind, drawing, monkeypatch):
    panel = PANELS[kind]()

    def broken(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(drawing, broken)
    panel.answer.value = "1"  # Enter: judged, then the panel is drawn revealed
    assert "Checking the answer failed" in panel.error.value and "drawing failed" in panel.error.value
    monkeypatch.undo()
    panel.reveal_button.click()
    assert panel.error.value == "" and not panel.hidden()


def test_the_entry_asked_is_stable_per_step():
    assert stable_entry(5, (4, 3)) == stable_entry(5, (4, 3))
    assert stable_entry(5, ()) == ()
    entries = {stable_entry(step, (4, 3)) for step in range(40)}
    assert len(entries) > 1 and all(0 <= r < 4 and 0 <= c < 3 for r, c in entries)
    assert stable_entry(5, (4, 3), row=2) == (2, stable_entry(5, (3,))[0])


def test_the_stepper_asks_in_the_row_of_the_sample_shown_elsewhere():
    state = seed_state()
    stepper = ChainRuleStepper(state, quiz=True)
    assert stepper.quiz_entry()[0] == 0
    state.sample = 3  # chosen in the diagram: the question and its mark follow
    label, truth = asked(stepper)
    assert label.startswith("Z1[3,") and stepper.prompt.value == f"What is <b>{label}</b>?"
    result = stepper.numbers.value[stepper.numbers.value.rindex("bpv-result"):]
    assert result.split("\n")[3].count('<mark class="bpv-quiz">') == 1  # Z1's 4th printed row
    assert stepper.check(repr(truth)) is True and f"{label} = " in stepper.verdict.value
    # another sample: the verdict on the old entry goes, the box empties
    stepper.answer.value = "0.5"
    state.sample = 1
    assert stepper.verdict.value == "" and stepper.answer.value == ""
    assert asked(stepper)[0].startswith("Z1[1,")


def test_the_looser_of_the_two_tolerances_counts():
    asked_now = Question(step=0, name="x", value=np.array([10.0, 0.001]), entry=(0,))
    redraws = []
    quiz = QuizMode(lambda: asked_now, lambda: redraws.append(1), ErrorArea(), on=True,
                     rel_tol=REL_TOL, abs_tol=ABS_TOL, marked="above")
    assert quiz.check("10.19") is True and quiz.check("10.21") is False  # 2% of 10
    assert "x[0] = 10." in quiz.verdict.value and len(redraws) == 2
    asked_now = Question(step=1, name="x", value=np.array([10.0, 0.001]), entry=(1,))
    assert quiz.hidden()
    assert quiz.check("0.0014") is True and quiz.check("0.0016") is False  # 5e-4 beats 2% of 0.001
