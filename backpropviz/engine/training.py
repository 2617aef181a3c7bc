"""Training with SGD: steps, epochs, minibatches, a loss curve, undo and reset.

A *step* is one SGD update ``W <- W - lr * dL/dW`` with the gradient of the
loss on one batch: the whole training set by default (as in the seed), or the
next minibatch of ``batch_size`` rows of a shuffled pass. An *epoch* is one
pass over the training set. Everything random comes from ``seed``, so a run
can be repeated, undone step by step, and reset to the very same weights.

Every change a ``Trainer`` makes is atomic: it happens whole, or it raises and
leaves the trainer (and its net) exactly as they were.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from ._checks import as_int, describe, positive_finite
from .activations import Sigmoid
from .limits import MAX_STEPS, MAX_UNDO, check_count
from .losses import get_loss
from .mlp import MLP
from .trace import Trace


@dataclass
class Snapshot:
    """What one step changed, so that undo can put it back exactly."""

    params: dict[str, np.ndarray]
    rng_state: dict
    cursor: int
    order: np.ndarray | None
    epochs_done: int


class Curve:
    """Loss and accuracy after each step (index 0 is before any step).

    ``train_loss``, ``train_acc``, ``test_loss`` and ``test_acc`` are read-only
    views of growable buffers (the test series are empty without test rows), so
    a million-step curve costs 8 MB a series, and ``thinned`` reads a bounded
    number of points however long the curve is.
    """

    NAMES = ("train_loss", "train_acc", "test_loss", "test_acc")

    def __init__(self, with_test: bool = False, capacity: int = 256) -> None:
        self.with_test = bool(with_test)
        self._data = np.empty((4, max(int(capacity), 1)))
        self._n = 0
        self._first_bad: dict[str, int | None] = {"train_loss": None, "test_loss": None}

    @classmethod
    def from_arrays(cls, train_loss: Any, train_acc: Any, test_loss: Any = (), test_acc: Any = ()) -> "Curve":
        """A curve holding these series (equal lengths; the test ones empty or full)."""
        series = [np.asarray(s, dtype=np.float64).reshape(-1)
                  for s in (train_loss, train_acc, test_loss, test_acc)]
        n = len(series[0])
        if len(series[1]) != n:
            raise ValueError(f"train_acc must have {n} entries like train_loss, got {len(series[1])}")
        with_test = len(series[2]) > 0 or len(series[3]) > 0
        for name, s in zip(cls.NAMES[2:], series[2:]):
            if with_test and len(s) != n:
                raise ValueError(f"{name} must have {n} entries like train_loss, got {len(s)}")
        curve = cls(with_test, capacity=n)
        for row, s in enumerate(series):
            if len(s):
                curve._data[row, :n] = s
        curve._n = n
        for name in curve._first_bad:
            bad = np.flatnonzero(~np.isfinite(curve._series(name)))
            curve._first_bad[name] = int(bad[0]) if bad.size else None
        return curve

    def __len__(self) -> int:
        return self._n

    def _series(self, name: str) -> np.ndarray:
        row = self.NAMES.index(name)
        if row >= 2 and not self.with_test:
            return np.empty(0)
        view = self._data[row, :self._n]
        view.flags.writeable = False
        return view

    @property
    def train_loss(self) -> np.ndarray:
        return self._series("train_loss")

    @property
    def train_acc(self) -> np.ndarray:
        return self._series("train_acc")

    @property
    def test_loss(self) -> np.ndarray:
        return self._series("test_loss")

    @property
    def test_acc(self) -> np.ndarray:
        return self._series("test_acc")

    def append(self, train_loss: float, train_acc: float,
               test_loss: float = np.nan, test_acc: float = np.nan) -> None:
        if self._n == self._data.shape[1]:
            grown = np.empty((4, 2 * self._n))
            grown[:, :self._n] = self._data
            self._data = grown
        self._data[:, self._n] = (train_loss, train_acc, test_loss, test_acc)
        for name, value in (("train_loss", train_loss), ("test_loss", test_loss)):
            if self._first_bad[name] is None and not np.isfinite(value) and (
                    name == "train_loss" or self.with_test):
                self._first_bad[name] = self._n
        self._n += 1

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` points."""
        self._n = min(self._n, n)
        for name, first in self._first_bad.items():
            if first is not None and first >= self._n:
                self._first_bad[name] = None

    def first_nonfinite(self, name: str) -> int | None:
        """The first step whose ``train_loss`` or ``test_loss`` is inf or NaN, if any."""
        return self._first_bad[name]

    def thinned(self, max_points: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """At most ``max_points`` steps, evenly spread, the first and last kept,
        with every series at them; reads only those points."""
        n = self._n
        if n <= max_points:
            steps = np.arange(n)
        else:
            steps = np.unique(np.linspace(0, n - 1, max_points).astype(np.int64))
        return steps, {name: self._series(name)[steps] if len(self._series(name)) else np.empty(0)
                       for name in self.NAMES}

    def copy(self) -> "Curve":
        return Curve.from_arrays(self.train_loss, self.train_acc, self.test_loss, self.test_acc)


def accuracy(output: np.ndarray, targets: np.ndarray, loss_name: str = "") -> float:
    """Fraction of rows classified right: output > 0.5 for one unit, else argmax."""
    if output.shape[1] == 1:
        pred = output[:, 0] > 0.5
        return float(np.mean(pred == (targets[:, 0] > 0.5)))
    return float(np.mean(np.argmax(output, axis=1) == np.argmax(targets, axis=1)))


def check_output_for_loss(net: MLP, loss: str) -> None:
    """Refuse, before any training, a loss the net's output layer cannot serve."""
    if loss == "bce" and not isinstance(net.activations[-1], Sigmoid):
        raise ValueError(
            "loss='bce' needs a Sigmoid output layer (its output must stay in [0, 1]), "
            f"got a {net.activations[-1]!r} output: choose sigmoid as the output "
            "activation, or the mse loss")


class Trainer:
    """SGD on ``net`` over (X, Y), with an optional test set.

    ``steps`` counts SGD updates, ``epoch`` completed passes over the training
    rows. ``undo()`` restores the state before the last step bit for bit;
    ``reset()`` restores the starting weights. ``X``, ``Y`` and the test rows
    are read-only copies.
    """

    def __init__(self, net: MLP, X: Any, Y: Any, loss: str = "mse", lr: float = 0.75,
                 batch_size: int | None = None, seed: int = 0,
                 X_test: Any = None, Y_test: Any = None,
                 start: dict[str, np.ndarray] | None = None) -> None:
        if not isinstance(net, MLP):
            raise TypeError(f"net must be an MLP, got {describe(net)}")
        self.net = net
        self.loss = get_loss(loss).name
        check_output_for_loss(net, self.loss)
        self.lr = positive_finite("lr", lr)
        probe = net.trace(X, Y, loss=self.loss)
        self.X, self.Y = probe["X"], probe["Y"]
        if (X_test is None) != (Y_test is None):
            raise ValueError("X_test and Y_test go together: give both or neither")
        if X_test is not None:
            try:
                test = net.trace(X_test, Y_test, loss=self.loss)
            except ValueError as exc:
                raise ValueError(f"X_test, Y_test (the test rows): {exc}") from None
            self.X_test, self.Y_test = test["X"], test["Y"]
        else:
            self.X_test = self.Y_test = None
        self.batch_size = self._check_batch(batch_size)
        self.seed = as_int("seed", seed, minimum=0)
        if start is None:
            self.start = net.state_dict()
        else:
            self.start = {k: np.array(v, dtype=np.float64) for k, v in start.items()}
            for v in self.start.values():
                v.flags.writeable = False
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
        self.curve = Curve(with_test=self.X_test is not None)
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

    @property
    def diverged(self) -> bool:
        """True when the training loss is inf or NaN (the learning rate was too large)."""
        return not np.isfinite(self.curve.train_loss[-1])

    # ------------------------------------------------------------------ atomic changes

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Run a change whole or not at all: on any exception inside, the trainer
        and its net are put back exactly as they were, and the exception goes on."""
        saved = (self.net.snapshot(), self.rng.bit_generator.state, self.steps, self.cursor,
                 self.order, self.epochs_done, list(self.history), self.curve, len(self.curve),
                 self.lr, self.batch_size)
        last = [s[-1:].copy() for s in (self.curve.train_loss, self.curve.train_acc,
                                        self.curve.test_loss, self.curve.test_acc)]
        try:
            yield
        except BaseException:
            (params, rng, self.steps, self.cursor, self.order, self.epochs_done, history,
             curve, n, self.lr, self.batch_size) = saved
            self.net.restore(params)
            self.rng.bit_generator.state = rng
            self.history = history
            curve.truncate(n - 1)
            curve.append(*[float(s[0]) if len(s) else np.nan for s in last])
            self.curve = curve
            raise

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
        if trace is not None and (trace.lr is None or len(trace["X"]) != len(self.X)):
            raise ValueError("trace must cover the whole training set and be made with lr")
        check_count("steps", self.steps + 1, MAX_STEPS, "training steps in one run (Reset starts a new run)")
        with self.atomic():
            return self._step(trace)

    def _step(self, trace: Trace | None) -> Trace:
        snap = Snapshot(self.net.state_dict(), self.rng.bit_generator.state,
                        self.cursor, self.order, self.epochs_done)
        if trace is None:
            Xb, Yb = self._next_batch()
            t = self.net.trace(Xb, Yb, loss=self.loss, lr=self.lr)
        else:
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

        Returns how many steps were taken. All or nothing: if a step fails, the
        steps before it are undone too and the error is raised.
        """
        steps = as_int("steps", steps, minimum=0)
        check_count("steps", self.steps + steps, MAX_STEPS,
                    "training steps in one run (Reset starts a new run)")
        with self.atomic():
            for k in range(steps):
                self._step(None)
                if stop_on_divergence and self.diverged:
                    return k + 1
        return steps

    def undo(self) -> bool:
        """Go back one step, exactly. False when there is nothing to undo."""
        if not self.history:
            return False
        with self.atomic():
            snap = self.history[-1]
            self.rng.bit_generator.state = snap.rng_state
            self.net.install_parameters(snap.params)
            self.history.pop()
            self.steps -= 1
            self.cursor, self.order, self.epochs_done = snap.cursor, snap.order, snap.epochs_done
            self.curve.truncate(self.steps + 1)
        return True

    def reset(self) -> None:
        """The starting weights, exactly; the counters, the curve and undo start over."""
        with self.atomic():
            self.net.load_state_dict(self.start)
            self._reset_counters()

    def weights_changed(self) -> None:
        """The net's weights were set by hand: the curve's last point becomes their
        loss and accuracy, so the curve always ends at the current weights."""
        with self.atomic():
            self.curve.truncate(len(self.curve) - 1)
            self._record()

    def resume(self, parameters: dict[str, np.ndarray], steps: int, epochs_done: int,
               cursor: int, order: np.ndarray | None, rng_state: dict,
               history: list[Snapshot], curve: Curve) -> None:
        """Continue a saved run exactly where it stopped (all checked, then set).

        ``parameters`` may hold the inf/NaN of a diverged run; ``history`` holds at
        most ``min(steps, MAX_UNDO)`` snapshots and ``curve`` exactly ``steps + 1``
        points, with test series exactly when there are test rows.
        """
        steps = check_count("steps", as_int("steps", steps, minimum=0), MAX_STEPS, "training steps")
        n = len(self.X)
        if len(history) > min(steps, MAX_UNDO):
            raise ValueError(f"history must have at most min(steps, {MAX_UNDO}) = "
                             f"{min(steps, MAX_UNDO)} snapshots, got {len(history)}")
        if len(curve) != steps + 1:
            raise ValueError(f"curve must have steps + 1 = {steps + 1} points, got {len(curve)}")
        if curve.with_test != (self.X_test is not None):
            raise ValueError("curve must have test series exactly when there are test rows")
        checked: set[int] = set()  # snapshots of one epoch share one order: check it once
        for where, c, o in [("", cursor, order)] + [(f"history[{i}].", s.cursor, s.order)
                                                     for i, s in enumerate(history)]:
            if not 0 <= c < n:
                raise ValueError(f"{where}cursor must be from 0 to {n - 1}, got {c}")
            if o is not None and id(o) not in checked:
                if len(o) != n or not np.array_equal(np.sort(o), np.arange(n)):
                    raise ValueError(f"{where}order must be a permutation of the {n} training rows")
                checked.add(id(o))
        probe = np.random.default_rng(0)
        for where, state in [("rng", rng_state)] + [(f"history[{i}].rng", s.rng_state)
                                                    for i, s in enumerate(history)]:
            try:
                probe.bit_generator.state = state
            except (ValueError, TypeError, OverflowError, KeyError) as exc:
                raise ValueError(f"{where} is not a state of NumPy's PCG64 generator: {exc}") from None
        shapes = self.net.parameter_shapes()
        for where, params in [("parameters", parameters)] + [(f"history[{i}].params", s.params)
                                                             for i, s in enumerate(history)]:
            if set(params) != set(shapes) or any(np.shape(params[k]) != shapes[k] for k in shapes):
                raise ValueError(f"{where} must hold {list(shapes)} with shapes {list(shapes.values())}")
        with self.atomic():
            self.net.install_parameters(parameters)
            self.rng.bit_generator.state = rng_state
            self.steps, self.epochs_done, self.cursor = steps, as_int("epochs_done", epochs_done, minimum=0), cursor
            self.order = None if order is None else np.array(order, dtype=np.int64)
            self.history = list(history)
            self.curve = curve

    def _record(self) -> None:
        """Loss and accuracy of the current weights on the training and test rows."""
        loss = get_loss(self.loss)
        with np.errstate(all="ignore"):
            out = self.net.forward(self.X)
            point = [float(loss.forward(out, self.Y, {})), accuracy(out, self.Y)]
            if self.X_test is not None:
                out = self.net.forward(self.X_test)
                point += [float(loss.forward(out, self.Y_test, {})), accuracy(out, self.Y_test)]
        self.curve.append(*point)
