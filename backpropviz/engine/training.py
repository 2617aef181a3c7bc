"""Training with SGD: steps, epochs, minibatches, a loss curve, undo and reset.

A *step* is one SGD update ``W <- W - lr * dL/dW`` with the gradient of the
loss on one batch: the whole training set by default (as in the seed), or the
next minibatch of ``batch_size`` rows of a shuffled pass. An *epoch* is one
pass over the training set. Everything random comes from ``seed``, so a run
can be repeated, undone step by step, and reset to the very same weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._checks import as_int, describe, positive_finite
from .losses import get_loss
from .mlp import MLP
from .trace import Trace

#: How many steps Undo can go back.
MAX_UNDO = 1000


@dataclass
class Snapshot:
    """What one step changed, so that undo can put it back exactly."""

    params: dict[str, np.ndarray]
    rng_state: dict
    cursor: int
    order: np.ndarray | None
    epochs_done: int


@dataclass
class Curve:
    """Loss and accuracy after each step (index 0 is before any step)."""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)

    def truncate(self, n: int) -> None:
        for series in (self.train_loss, self.test_loss, self.train_acc, self.test_acc):
            del series[n:]


def accuracy(output: np.ndarray, targets: np.ndarray, loss_name: str) -> float:
    """Fraction of rows classified right: output > 0.5 for one unit, else argmax."""
    if output.shape[1] == 1:
        pred = output[:, 0] > 0.5
        return float(np.mean(pred == (targets[:, 0] > 0.5)))
    return float(np.mean(np.argmax(output, axis=1) == np.argmax(targets, axis=1)))


class Trainer:
    """SGD on ``net`` over (X, Y), with an optional test set.

    ``steps`` counts SGD updates, ``epoch`` completed passes over the training
    rows. ``undo()`` restores the state before the last step bit for bit;
    ``reset()`` restores the starting weights.
    """

    def __init__(self, net: MLP, X: Any, Y: Any, loss: str = "mse", lr: float = 0.75,
                 batch_size: int | None = None, seed: int = 0,
                 X_test: Any = None, Y_test: Any = None,
                 start: dict[str, np.ndarray] | None = None) -> None:
        if not isinstance(net, MLP):
            raise TypeError(f"net must be an MLP, got {describe(net)}")
        self.net = net
        self.loss = get_loss(loss).name
        self.lr = positive_finite("lr", lr)
        probe = net.trace(X, Y, loss=self.loss)
        self.X, self.Y = probe["X"], probe["Y"]
        if (X_test is None) != (Y_test is None):
            raise ValueError("X_test and Y_test go together: give both or neither")
        if X_test is not None:
            test = net.trace(X_test, Y_test, loss=self.loss)
            self.X_test, self.Y_test = test["X"], test["Y"]
        else:
            self.X_test = self.Y_test = None
        self.batch_size = self._check_batch(batch_size)
        self.seed = as_int("seed", seed, minimum=0)
        self.start = net.state_dict() if start is None else {k: v.copy() for k, v in start.items()}
        self._reset_counters()

    def _check_batch(self, batch_size: Any) -> int | None:
        if batch_size is None:
            return None
        b = as_int("batch_size", batch_size, minimum=1)
        return None if b >= len(self.X) else b

    def _reset_counters(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.steps = 0
        self.cursor = 0  # rows of the current epoch already used
        self.order: np.ndarray | None = None
        self.epochs_done = 0
        self.history: list[Snapshot] = []
        self.curve = Curve()
        self._record()

    # ------------------------------------------------------------------ reading

    @property
    def epoch(self) -> float:
        """Passes over the training rows so far (fractional within an epoch)."""
        return self.epochs_done + self.cursor / len(self.X)

    @property
    def steps_per_epoch(self) -> int:
        b = self.batch_size or len(self.X)
        return -(-len(self.X) // b)

    def describe_step(self) -> str:
        """In words, what one Step does with the current settings."""
        n = len(self.X)
        if self.batch_size is None:
            return f"one SGD step on all {n} training rows (full batch): one step = one epoch"
        return (f"one SGD step on the next {self.batch_size} of {n} shuffled training rows: "
                f"{self.steps_per_epoch} steps = one epoch")

    # ------------------------------------------------------------------ changing

    def set_lr(self, lr: float) -> None:
        """A new learning rate; the weights and the history stay."""
        self.lr = positive_finite("lr", lr)

    def set_batch_size(self, batch_size: int | None) -> None:
        """A new batch size (None: full batch); starts a fresh pass over the rows."""
        self.batch_size = self._check_batch(batch_size)
        self.cursor, self.order = 0, None

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        if self.batch_size is None:
            return self.X, self.Y
        if self.order is None or self.cursor >= len(self.X):
            self.order = self.rng.permutation(len(self.X))
            self.cursor = 0
        idx = self.order[self.cursor:self.cursor + self.batch_size]
        return self.X[idx], self.Y[idx]

    def step(self, trace: Trace | None = None) -> Trace:
        """One SGD step; returns the trace it used (on its batch).

        ``trace``, a trace of the whole training set at the current weights made
        with ``lr``, is applied as it is instead (the update a stepper has shown).
        """
        snap = Snapshot(self.net.state_dict(), self.rng.bit_generator.state,
                        self.cursor, self.order, self.epochs_done)
        if trace is None:
            Xb, Yb = self._next_batch()
            t = self.net.trace(Xb, Yb, loss=self.loss, lr=self.lr)
        else:
            if trace.lr is None or len(trace["X"]) != len(self.X):
                raise ValueError("trace must cover the whole training set and be made with lr")
            Xb, t = self.X, trace
            self.cursor, self.order = 0, None
        self.net.sgd_step(t)
        self.history.append(snap)
        if len(self.history) > MAX_UNDO:
            del self.history[0]
        self.steps += 1
        self.cursor += len(Xb)
        if self.cursor >= len(self.X):
            self.epochs_done += 1
            self.cursor = 0
            self.order = None
        self._record()
        return t

    def run(self, steps: int, stop_on_divergence: bool = True) -> int:
        """Up to ``steps`` steps; stops early when the loss stops being finite.

        Returns how many steps were taken.
        """
        steps = as_int("steps", steps, minimum=0)
        for k in range(steps):
            self.step()
            if stop_on_divergence and self.diverged:
                return k + 1
        return steps

    @property
    def diverged(self) -> bool:
        """True when the training loss is inf or NaN (the learning rate was too large)."""
        return not np.isfinite(self.curve.train_loss[-1])

    def undo(self) -> bool:
        """Go back one step, exactly. False when there is nothing to undo."""
        if not self.history:
            return False
        snap = self.history.pop()
        self.net._set_parameters(snap.params)
        self.rng.bit_generator.state = snap.rng_state
        self.steps -= 1
        self.cursor, self.order, self.epochs_done = snap.cursor, snap.order, snap.epochs_done
        self.curve.truncate(self.steps + 1)
        return True

    def reset(self) -> None:
        """The starting weights, exactly; the counters, the curve and undo start over."""
        self.net.load_state_dict(self.start)
        self._reset_counters()

    def _record(self) -> None:
        """Loss and accuracy of the current weights on the training and test rows."""
        loss = get_loss(self.loss)
        curve = self.curve
        with np.errstate(all="ignore"):
            out = self.net.forward(self.X)
            curve.train_loss.append(float(loss.forward(out, self.Y, {})))
            curve.train_acc.append(accuracy(out, self.Y, self.loss))
            if self.X_test is not None:
                out = self.net.forward(self.X_test)
                curve.test_loss.append(float(loss.forward(out, self.Y_test, {})))
                curve.test_acc.append(accuracy(out, self.Y_test, self.loss))
