"""Training controls: learning rate, batch size, Step, Play/Pause, Undo, Reset,
the epoch counter, loss and accuracy, and the loss curve."""

from __future__ import annotations

import asyncio
import html
import math
import time
from typing import Any

import ipywidgets as widgets

from ..drawing.curves import loss_curve_svg
from ..engine.limits import MAX_LR, MIN_LR
from ..engine.trace import PENALTY_KEY
from ..engine.training import accuracy
from ._base import Panel
from ._errors import shows_errors
from ._static import panel_style
from ._static import StaticFallback
from .state import ExplorerState

BATCH_CHOICES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
FULL = "full"
OPTIMIZER_CHOICES = (("SGD", "sgd"), ("SGD + momentum 0.9", "momentum"), ("Adam", "adam"))


def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{100 * x:.0f}%"


def _num(x: float) -> str:
    return f"{x:.4g}" if math.isfinite(x) else str(x)


class TrainingControls(Panel, StaticFallback, widgets.VBox):
    """Train the net on the state's data: plain SGD, SGD with momentum or Adam (the
    **optimizer** menu), with an optional L1/L2 penalty on the weights (**L1**, **L2**).

    **Step** takes one SGD step (what a step is depends on the batch size and is
    spelled out beside the button); **Play** keeps stepping, ``steps_per_frame``
    steps between two redraws and at most ``fps`` redraws a second, so the page
    stays responsive; **Undo** rewinds one step exactly; **Reset** returns to the
    starting weights exactly (and a fresh optimizer state). Changing the learning
    rate, the penalty or the optimizer never resets the model (another optimizer
    starts from a fresh state; Undo cannot go back across the switch).
    If the loss stops being finite, Play stops and the panel says why.

    The loss curve (``curve``) sits under the controls; with ``curve_inside=False``
    the panel leaves it out, for a layout that places it elsewhere (the Playground);
    ``curve_size`` is its (width, height) in px.
    """

    def __init__(self, state: ExplorerState, steps_per_frame: int = 10, fps: float = 12.0,
                 curve_inside: bool = True, curve_size: tuple[int, int] = (420, 170)) -> None:
        self._attach(state)
        self.fps = fps
        self.curve_size = curve_size
        auto = widgets.Layout(width="auto")
        self.lr = widgets.BoundedFloatText(value=state.lr, min=MIN_LR, max=MAX_LR, step=0.01,
                                           description="learning rate",
                                           style={"description_width": "initial"},
                                           layout=widgets.Layout(width="13em"))
        self.batch = widgets.Dropdown(description="batch", layout=widgets.Layout(width="max-content"))
        self.optimizer = widgets.Dropdown(options=OPTIMIZER_CHOICES, value=state.optimizer,
                                          description="optimizer",
                                          layout=widgets.Layout(width="max-content"))
        # Plain number boxes (not bounded ones, which would clamp a negative entry
        # silently): a refused value is shown in the error area and put back.
        self.l1 = widgets.FloatText(value=state.l1, step=0.001, description="L1",
                                    style={"description_width": "initial"},
                                    tooltip="weight of the L1 penalty l1·Σ|W| (0: none)",
                                    layout=widgets.Layout(width="9em"))
        self.l2 = widgets.FloatText(value=state.l2, step=0.001, description="L2",
                                    style={"description_width": "initial"},
                                    tooltip="weight of the L2 penalty l2·ΣW² (0: none)",
                                    layout=widgets.Layout(width="9em"))
        self.speed = widgets.BoundedIntText(value=steps_per_frame, min=1, max=1000,
                                            description="steps per frame",
                                            style={"description_width": "initial"},
                                            layout=widgets.Layout(width="14em"))
        self.step_button = widgets.Button(description="Step", icon="step-forward", layout=auto,
                                          tooltip="one SGD step")
        self.play_button = widgets.ToggleButton(description="Play", icon="play", layout=auto,
                                                tooltip="keep training; press again to pause")
        self.undo_button = widgets.Button(description="Undo", icon="undo", layout=auto,
                                          tooltip="rewind one step")
        self.reset_button = widgets.Button(description="Reset", icon="refresh", layout=auto,
                                           tooltip="back to the starting weights")
        self.recover_button = widgets.Button(
            description="Back to before it blew up", icon="history",
            layout=widgets.Layout(width="auto"),  # its own: it alone is hidden and shown
            tooltip="undo to the last step whose loss was not above the run's starting loss")
        self.what = widgets.HTML()
        self.counter = widgets.HTML()
        self.message = widgets.HTML()
        self.curve = widgets.HTML()
        super().__init__([
            panel_style(),
            widgets.HBox([self.step_button, self.play_button, self.undo_button, self.reset_button,
                          self.lr, self.batch, self.speed, self.optimizer, self.l1, self.l2],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.what, self.counter, self.message, self.recover_button,
            *([self.curve] if curve_inside else []), self.error,
        ])
        self.add_class("bpv-training")
        self._task: asyncio.Task | None = None
        self._sync_batch_options()
        self.step_button.on_click(self._on_step)
        self.undo_button.on_click(self._on_undo)
        self.reset_button.on_click(self._on_reset)
        self.recover_button.on_click(self._on_recover)
        self.play_button.observe(self._on_play, "value")
        self.lr.observe(self._on_lr, "value")
        self.batch.observe(self._on_batch, "value")
        self.optimizer.observe(self._on_optimizer, "value")
        self.l1.observe(self._on_penalty, "value")
        self.l2.observe(self._on_penalty, "value")
        state.observe(self._on_trace, "trace")
        state.observe(self._on_message, "message")
        self._refresh()

    # ------------------------------------------------------------------ training

    def frame(self) -> int:
        """One frame of Play: up to ``speed`` steps and one redraw. Returns steps taken."""
        taken = self.state.train(self.speed.value)
        if self.state.message:
            self.stop()
        return taken

    def stop(self) -> None:
        """Pause Play (the button pops up)."""
        if self.play_button.value:
            self.play_button.value = False
        self.state.playing = False

    # Play's clock and sleep: a test replaces them on the instance to drive time by hand.
    _clock = staticmethod(time.perf_counter)
    _sleep = staticmethod(asyncio.sleep)

    async def _play_loop(self, max_frames: int | None = None) -> None:
        frames = 0
        interval = 1.0 / self.fps
        try:
            while self.play_button.value and (max_frames is None or frames < max_frames):
                start = self._clock()
                try:
                    self.frame()
                except Exception as exc:  # shown, and Play stops
                    self.error.show(exc, "Training")
                    self.stop()
                    break
                frames += 1
                # Sleeping hands the kernel back to the page, so Pause and the
                # sliders are heard between frames.
                await self._sleep(max(0.0, interval - (self._clock() - start)))
        finally:
            if max_frames is not None and frames >= max_frames:
                self.stop()
            self.state.playing = False

    @shows_errors("Play")
    def _on_play(self, change: dict) -> None:
        self.play_button.description = "Pause" if change["new"] else "Play"
        self.play_button.icon = "pause" if change["new"] else "play"
        if not change["new"]:
            self.state.playing = False
            return
        self.state.playing = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # No event loop (a plain Python session): run one frame now, so
            # the button still does something sensible, and stop.
            self.frame()
            self.stop()
            return
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._play_loop())

    @shows_errors("Step")
    def _on_step(self, _button: Any = None) -> None:
        self.state.train(1)

    @shows_errors("Undo")
    def _on_undo(self, _button: Any = None) -> None:
        self.stop()
        self.state.undo()

    @shows_errors("Reset")
    def _on_reset(self, _button: Any = None) -> None:
        self.stop()
        self.state.reset()

    @shows_errors("Going back to before it blew up")
    def _on_recover(self, _button: Any = None) -> None:
        self.stop()
        self.state.recover()

    @shows_errors("Setting the learning rate")
    def _on_lr(self, change: dict) -> None:
        if self.is_syncing or change["new"] == self.state.lr:
            return
        try:
            self.state.configure(lr=change["new"])
        except Exception:
            self._put_back(self.lr, self.state.lr)
            raise

    def _put_back(self, box: widgets.Widget, value: Any) -> None:
        """Show the state's value again in ``box`` (a refused entry), unheard."""
        with self.syncing():
            box.value = value

    @shows_errors("Choosing the optimizer")
    def _on_optimizer(self, change: dict) -> None:
        if self.is_syncing or change["new"] == self.state.optimizer:
            return
        try:
            self.state.configure(optimizer=change["new"])
        except Exception:
            self._put_back(self.optimizer, self.state.optimizer)
            raise

    @shows_errors("Setting the regularization")
    def _on_penalty(self, change: dict) -> None:
        name = "l1" if change["owner"] is self.l1 else "l2"
        if self.is_syncing or change["new"] == getattr(self.state, name):
            return
        try:
            self.state.configure(**{name: change["new"]})
        except Exception:
            self._put_back(change["owner"], getattr(self.state, name))
            raise

    def _sync_settings(self) -> None:
        for box, value in ((self.optimizer, self.state.optimizer), (self.l1, self.state.l1),
                           (self.l2, self.state.l2)):
            if box.value != value:
                self._put_back(box, value)

    @shows_errors("Setting the batch size")
    def _on_batch(self, change: dict) -> None:
        batch = None if change["new"] == FULL else change["new"]
        if self.is_syncing or change["new"] is None or batch == self.state.batch_size:
            return
        self.state.configure(batch_size=batch)

    def _sync_batch_options(self) -> None:
        n = len(self.state.X)
        # (A Dropdown takes None for "nothing selected", so the full batch has a name.)
        sizes = sorted({b for b in BATCH_CHOICES if b < n} | ({self.state.batch_size} - {None}))
        options = [(f"full ({n} rows)", FULL)] + [(str(b), b) for b in sizes]
        with self.syncing():
            if list(self.batch.options) != options:
                self.batch.options = options
            self.batch.value = FULL if self.state.batch_size is None else self.state.batch_size
            if self.lr.value != self.state.lr:
                self.lr.value = self.state.lr

    # ------------------------------------------------------------------ drawing

    @shows_errors("Updating the training panel")
    def _on_trace(self, change: dict) -> None:
        self._refresh()

    @shows_errors("Updating the training panel")
    def _on_message(self, change: dict) -> None:
        self._show_message()

    def _show_message(self) -> None:
        text = self.state.message
        self.message.value = (f'<div class="bpv-error" role="alert">{html.escape(text)}</div>'
                              if text else "")

    def _refresh(self) -> None:
        self._sync_batch_options()
        self._sync_settings()
        state = self.state
        tr, trace = state.trainer, state.trace
        c = tr.curve
        self.what.value = f"<small><b>Step</b> = {html.escape(tr.describe_step())}.</small>"
        # The loss and accuracy are the current trace's (the curve ends at the same point);
        # regression (targets that are not classes) has no accuracy to speak of.
        test = len(c.test_loss) > 0
        parts = [f"epoch {tr.epoch:.2f}" if tr.batch_size else f"epoch {tr.epochs_done}",
                 f"step {tr.steps}",
                 f"loss {_num(trace.data_loss)}" + (f" (test {_num(c.test_loss[-1])})" if test else "")
                 + (f" + penalty {_num(trace.penalty)}" if PENALTY_KEY in trace else "")]
        if state.class_targets:
            train_acc = accuracy(trace[f"H{trace.num_layers}"], trace["Y"])
            parts.append(f"accuracy {_pct(train_acc)}" + (f" (test {_pct(c.test_acc[-1])})" if test else ""))
        self.counter.value = f'<b style="font-family:monospace">{html.escape(" · ".join(parts))}</b>'
        self.curve.value = loss_curve_svg(c, *self.curve_size)
        self.undo_button.disabled = not tr.history
        self.recover_button.layout.display = "" if state.recovery_step is not None else "none"
        self._show_message()

    def static_html(self) -> str:
        return self.counter.value + self.message.value + self.curve.value

    def __repr__(self) -> str:
        tr = self.state.trainer
        return (f"TrainingControls: epoch {tr.epochs_done}, step {tr.steps}, "
                f"loss {_num(self.state.trace.loss)}")
