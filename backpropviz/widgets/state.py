"""One state for every panel: the net, the data, the loss, lr, and the current trace.

Controls write to the state through its methods; panels observe its ``trace``
(and ``step``, ``sample``) traits. Every change is validated by computing the new
trace first, so a rejected change leaves everything as it was, and an accepted
one recomputes the trace exactly once before any panel hears of it.

Rapid slider drags need no special handling here: each change is applied in
full, in order, and the ipywidgets frontend already coalesces a fast drag (it
keeps at most one change in flight and sends only the latest value next), so
the last state always belongs to the last slider value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from traitlets import HasTraits, Instance, Int, validate

from ..engine import MLP, Trace, get_loss
from ..engine._checks import as_int, as_real, describe, positive_finite
from ..engine.paths import parse_entry


class ExplorerState(HasTraits):
    """The shared, observable state of an Explorer and its panels.

    Parameters
    ----------
    net : MLP
        The net to explore. The state changes this very net (so after dragging
        a slider, ``net.state_dict()`` holds the slider's value); its weights at
        construction are the start that ``reset()`` returns to.
    X, Y : array-like
        The batch, as ``MLP.trace`` takes it.
    loss : str
        ``"mse"``, ``"bce"`` or ``"cross_entropy"``.
    lr : float
        The SGD learning rate; the trace includes the update it gives.
    """

    trace = Instance(Trace, read_only=True, help="The current trace; a new object on every change.")
    step = Int(0, help="Index of the stepper's current step in trace.steps.")
    sample = Int(0, help="The row of X that the diagram and the drill-down show.")
    revision = Int(0, read_only=True, help="How many traces have been computed.")

    def __init__(self, net: MLP, X: Any, Y: Any, loss: str = "mse", lr: float = 0.75) -> None:
        if not isinstance(net, MLP):
            raise TypeError(f"net must be a backpropviz MLP, got {describe(net)}")
        super().__init__()
        lr = positive_finite("lr", lr)
        loss_name = get_loss(loss).name
        trace = net.trace(X, Y, loss=loss_name, lr=lr)  # validates everything
        self._net = net
        self._X = trace["X"]
        self._Y = np.array(Y, dtype=np.float64, copy=True)
        self._loss = loss_name
        self._lr = lr
        self._initial = net.state_dict()
        self._install(trace)

    # ------------------------------------------------------------------ reading

    @property
    def net(self) -> MLP:
        return self._net

    @property
    def X(self) -> np.ndarray:
        return self._X

    @property
    def Y(self) -> np.ndarray:
        return self._Y

    @property
    def loss(self) -> str:
        return self._loss

    @property
    def lr(self) -> float:
        return self._lr

    @property
    def initial_state(self) -> dict[str, np.ndarray]:
        """Copies of the weights the state started from (``reset`` restores them)."""
        return {k: v.copy() for k, v in self._initial.items()}

    def parameter_entries(self) -> list[tuple[str, tuple[int, ...]]]:
        """Every (parameter name, index) pair, in state-dict order, row by row."""
        return [
            (name, idx)
            for name, shape in self._net.parameter_shapes().items()
            for idx in np.ndindex(shape)
        ]

    @property
    def current_step(self):
        return self.trace.step_at(self.step)

    # ------------------------------------------------------------------ changing

    def _install(self, trace: Trace) -> None:
        """Make ``trace`` current: every panel observing ``trace`` updates now.

        When the new trace has fewer steps or rows, ``step`` and ``sample`` are
        clamped in the same breath, so no observer sees one without the other.
        """
        with self.hold_trait_notifications():
            self.set_trait("revision", self.revision + 1)
            self.set_trait("trace", trace)
            if self.step >= trace.num_steps:
                self.step = trace.num_steps - 1
            if self.sample >= trace["X"].shape[0]:
                self.sample = 0

    def _retrace(self, **changes: Any) -> Trace:
        return self._net.trace(
            changes.get("X", self._X), changes.get("Y", self._Y),
            loss=changes.get("loss", self._loss), lr=changes.get("lr", self._lr),
        )

    def set_parameter(self, name: str, index: tuple[int, ...] | int, value: float) -> None:
        """Set one weight or bias, e.g. ``set_parameter("layer1.weight", (0, 1), 0.3)``."""
        _, _, index = parse_entry(self.trace, name, index)
        value = as_real("value", value)
        if not np.isfinite(value):
            raise ValueError(f"value must be a finite number, got {value!r}")
        current = self._net.state_dict()
        if current[name][index] == value:
            return
        changed = dict(current)
        changed[name] = current[name].copy()
        changed[name][index] = value
        self._load(changed, current)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter at once (one recompute)."""
        self._load(state, self._net.state_dict())

    def _load(self, state: Mapping[str, Any], previous: dict[str, np.ndarray]) -> None:
        self._net.load_state_dict(state)
        try:
            trace = self._retrace()
        except Exception:
            self._net.load_state_dict(previous)
            raise
        self._install(trace)

    def reset(self) -> None:
        """Back to the start: the weights the state was created with, exactly."""
        self._load(self._initial, self._net.state_dict())

    def sgd_step(self) -> None:
        """Apply the update the current trace shows (``W <- W - lr * dL/dW``)."""
        previous = self._net.state_dict()
        self._net.sgd_step(self.trace)
        try:
            trace = self._retrace()
        except Exception:
            self._net.load_state_dict(previous)
            raise
        self._install(trace)

    def configure(self, **changes: Any) -> None:
        """Change any of ``X``, ``Y``, ``loss``, ``lr`` together, with one recompute.

        ``configure(lr=0.1)``, ``configure(X=X2, Y=Y2)``. Nothing changes if any is bad.
        """
        unknown = set(changes) - {"X", "Y", "loss", "lr"}
        if unknown:
            raise TypeError(f"configure takes X, Y, loss and lr, got {sorted(unknown)}")
        if "lr" in changes:
            changes["lr"] = positive_finite("lr", changes["lr"])
        if "loss" in changes:
            changes["loss"] = get_loss(changes["loss"]).name
        trace = self._retrace(**changes)
        if "X" in changes:
            self._X = trace["X"]
        if "Y" in changes:
            self._Y = np.array(changes["Y"], dtype=np.float64, copy=True)
        self._loss = changes.get("loss", self._loss)
        self._lr = changes.get("lr", self._lr)
        self._install(trace)

    # ------------------------------------------------------------------ checks

    @validate("step")
    def _check_step(self, proposal: dict) -> int:
        value = as_int("step", proposal["value"], minimum=0)
        trace = self.trace
        if trace is not None and value >= trace.num_steps:
            raise ValueError(f"step must be from 0 to {trace.num_steps - 1}, got {value}")
        return value

    @validate("sample")
    def _check_sample(self, proposal: dict) -> int:
        value = as_int("sample", proposal["value"], minimum=0)
        trace = self.trace
        if trace is not None and value >= trace["X"].shape[0]:
            raise ValueError(f"sample must be a row of X, from 0 to {trace['X'].shape[0] - 1}, got {value}")
        return value

    def __repr__(self) -> str:
        return (f"ExplorerState({self._net.arch} net, loss={self._loss} {self.trace.loss:.6g}, "
                f"lr={self._lr:g}, step {self.step + 1}/{len(self.trace.specs)})")

