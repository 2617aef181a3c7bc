"""Training: steps, epochs, minibatches, a loss curve, undo and reset.

A *step* is one update of the optimizer (plain SGD ``W <- W - lr * dL/dW`` by
default, or SGD with momentum, or Adam; see ``optim.py``) with the gradient of
the loss on one batch: the whole training set by default (as in the seed), or
the next minibatch of ``batch_size`` rows of a shuffled pass. The loss may carry
an L1/L2 penalty on the weights (``l1``, ``l2``). An *epoch* is one pass over
the training set. Everything random comes from ``seed``, so a run can be
repeated, undone step by step (the optimizer's state too), and reset to the very
same weights (and a fresh optimizer state).

The loss curve records the loss of the data alone (as TensorFlow Playground
does): train and test losses stay comparable whatever the penalty.

Every change a ``Trainer`` makes is atomic: it happens whole, or it raises and
leaves the trainer (and its net) exactly as they were.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np

from ._checks import as_int, describe, penalty_weights, positive_finite
from .activations import Sigmoid
from .limits import MAX_STEPS, MAX_UNDO, check_count
from .losses import get_loss
from .mlp import MLP
from .optim import OPTIMIZERS, Optimizer, check_betas, make_optimizer
from .trace import Trace


@dataclass
class Snapshot:
    """What one step changed, so that undo can put it back exactly: the parameters,
    the shuffling, and the optimizer's state (its ``state_dict()``: empty for plain SGD)."""

    params: dict[str, np.ndarray]
    rng_state: dict
    cursor: int
    order: np.ndarray | None
    epochs_done: int
    optim: dict[str, Any] = field(default_factory=dict)


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
    """Training of ``net`` over (X, Y), with an optional test set.

    ``steps`` counts updates, ``epoch`` completed passes over the training
    rows. ``undo()`` restores the state before the last step bit for bit (the
    optimizer's state included); ``reset()`` restores the starting weights and a
    fresh optimizer state. ``X``, ``Y`` and the test rows are read-only copies.

    ``optimizer`` is ``"sgd"`` (plain), ``"momentum"`` (SGD with ``momentum``) or
    ``"adam"`` (with ``betas`` and ``eps``), all at ``lr``; ``l1`` and ``l2`` weigh
    the penalty on the weights. ``optim`` is the optimizer object itself.
    """

    def __init__(self, net: MLP, X: Any, Y: Any, loss: str = "mse", lr: float = 0.75,
                 batch_size: int | None = None, seed: int = 0,
                 X_test: Any = None, Y_test: Any = None,
                 start: dict[str, np.ndarray] | None = None, optimizer: str = "sgd",
                 momentum: float = 0.9, betas: Sequence[float] = (0.9, 0.999), eps: float = 1e-8,
                 l1: float = 0.0, l2: float = 0.0) -> None:
        if not isinstance(net, MLP):
            raise TypeError(f"net must be an MLP, got {describe(net)}")
        self.net = net
        self.loss = get_loss(loss).name
        check_output_for_loss(net, self.loss)
        lr = positive_finite("lr", lr)
        self.l1, self.l2 = penalty_weights(l1, l2)
        self.optimizer, self.momentum, self.betas, self.eps = _optimizer_settings(
            optimizer, momentum, betas, eps)
        self.optim: Optimizer = make_optimizer(self.optimizer, net, lr, self.momentum, self.betas,
                                               self.eps)
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
        self.optim.reset()
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
    def lr(self) -> float:
        """The learning rate (the optimizer's)."""
        return self.optim.lr

    def settings(self) -> dict[str, Any]:
        """Everything a new Trainer needs to train as this one does (not the data,
        the net or the loss): lr, batch_size, seed, the optimizer and its settings, l1, l2."""
        return {"lr": self.lr, "batch_size": self.batch_size, "seed": self.seed,
                "optimizer": self.optimizer, "momentum": self.momentum, "betas": self.betas,
                "eps": self.eps, "l1": self.l1, "l2": self.l2}

    def trace(self, X: Any = None, Y: Any = None) -> Trace:
        """A trace at the current weights with this trainer's loss, penalty and
        update (the optimizer's, from its current state), of the training rows by
        default."""
        if X is None:
            X, Y = self.X, self.Y
        if self.optimizer == "sgd":  # the plain trace of today, step for step
            return self.net.trace(X, Y, loss=self.loss, lr=self.lr, l1=self.l1, l2=self.l2)
        return self.net.trace(X, Y, loss=self.loss, l1=self.l1, l2=self.l2, optimizer=self.optim)

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
        what = {"sgd": "SGD", "momentum": "SGD-with-momentum", "adam": "Adam"}[self.optimizer]
        if self.batch_size is None:
            return f"one {what} step on all {n} training rows (full batch): one step = one epoch"
        return (f"one {what} step on the next {self.batch_size} of {n} shuffled training rows: "
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
                 self.batch_size, self.optim, self.optim.snapshot(),
                 (self.optimizer, self.momentum, self.betas, self.eps, self.l1, self.l2))
        last = [s[-1:].copy() for s in (self.curve.train_loss, self.curve.train_acc,
                                        self.curve.test_loss, self.curve.test_acc)]
        try:
            yield
        except BaseException:
            (params, rng, self.steps, self.cursor, self.order, self.epochs_done, history,
             curve, n, self.batch_size, self.optim, optim_state,
             (self.optimizer, self.momentum, self.betas, self.eps, self.l1, self.l2)) = saved
            self.net.restore(params)
            self.optim.restore(optim_state)
            self.rng.bit_generator.state = rng
            self.history = history
            curve.truncate(n - 1)
            curve.append(*[float(s[0]) if len(s) else np.nan for s in last])
            self.curve = curve
            raise

    # ------------------------------------------------------------------ changing

    def set_lr(self, lr: float) -> None:
        """A new learning rate; the weights and the history stay."""
        self.optim.lr = lr

    def set_penalty(self, **changes: float) -> None:
        """New weights ``l1`` and/or ``l2`` of the penalty (those not given stay); the
        weights and the history stay (the curve records the data loss, which the
        penalty does not change)."""
        _known("set_penalty", changes, ("l1", "l2"))
        self.l1, self.l2 = penalty_weights(changes.get("l1", self.l1), changes.get("l2", self.l2))

    def set_optimizer(self, **changes: Any) -> None:
        """Another ``optimizer`` and/or its ``momentum``, ``betas``, ``eps`` (those not
        given stay), all checked first.

        New settings of the same optimizer keep its state and the undo history.
        Another optimizer starts from a fresh state (zeros), with the weights, the
        counters and the curve kept; the undo history is cleared, since its
        snapshots hold the other optimizer's state (Undo cannot go back across
        the switch).
        """
        _known("set_optimizer", changes, ("optimizer", "momentum", "betas", "eps"))
        name, momentum, betas, eps = _optimizer_settings(
            changes.get("optimizer", self.optimizer), changes.get("momentum", self.momentum),
            changes.get("betas", self.betas), changes.get("eps", self.eps))
        if name != self.optimizer:
            self.optim = make_optimizer(name, self.net, self.lr, momentum, betas, eps)
            self.history = []
        elif name == "momentum":
            self.optim.momentum = momentum
        elif name == "adam":
            self.optim.betas, self.optim.eps = betas, eps
        self.optimizer, self.momentum, self.betas, self.eps = name, momentum, betas, eps

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
        with an update and this trainer's penalty, is applied instead (the update a
        stepper has shown: exactly, if made with ``trace()``).
        """
        if trace is not None and (trace.lr is None or len(trace["X"]) != len(self.X)):
            raise ValueError("trace must cover the whole training set and be made with lr")
        if trace is not None and (trace.l1, trace.l2) != (self.l1, self.l2):
            raise ValueError(f"trace must be made with the trainer's penalty (l1={self.l1:g}, "
                             f"l2={self.l2:g}), got l1={trace.l1:g}, l2={trace.l2:g}")
        check_count("steps", self.steps + 1, MAX_STEPS, "training steps in one run (Reset starts a new run)")
        with self.atomic():
            return self._step(trace)

    def _step(self, trace: Trace | None) -> Trace:
        snap = Snapshot(self.net.state_dict(), self.rng.bit_generator.state,
                        self.cursor, self.order, self.epochs_done, self.optim.state_dict())
        if trace is None:
            Xb, Yb = self._next_batch()
            t = self.trace(Xb, Yb)
        else:
            Xb, t = self.X, trace
            self.cursor, self.order = 0, None
        if self.optimizer == "sgd":
            self.net.sgd_step(t)  # plain SGD has no state
        else:
            self.optim.step(t)
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
            self.optim.install_state(snap.optim)
            self.history.pop()
            self.steps -= 1
            self.cursor, self.order, self.epochs_done = snap.cursor, snap.order, snap.epochs_done
            # The curve ends at the restored weights: their point is recorded again
            # (the same number for a run this engine made; a loaded file's may differ).
            self.curve.truncate(self.steps)
            self._record()
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
               history: list[Snapshot], curve: Curve,
               optimizer_state: dict[str, Any] | None = None) -> None:
        """Continue a saved run exactly where it stopped (all checked, then set).

        ``parameters`` may hold the inf/NaN of a diverged run; ``history`` holds at
        most ``min(steps, MAX_UNDO)`` snapshots and ``curve`` exactly ``steps + 1``
        points, with test series exactly when there are test rows.
        ``optimizer_state`` is the optimizer's ``state_dict()`` (None: a fresh one),
        and each snapshot's ``optim`` one of the same optimizer.
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
            for where, state in [("optimizer_state", optimizer_state)] + [
                    (f"history[{i}].optim", s.optim) for i, s in enumerate(history)]:
                if state is None:
                    continue
                try:
                    self.optim.load_state_dict(state)
                except (ValueError, TypeError) as exc:
                    raise ValueError(f"{where}: {exc}") from None
                if state.get("t", 0) > steps:
                    raise ValueError(f"{where}['t'] must be at most steps ({steps}), got {state['t']}")
            if optimizer_state is None:
                self.optim.reset()
            else:
                self.optim.load_state_dict(optimizer_state)
            self.rng.bit_generator.state = rng_state
            self.steps, self.epochs_done, self.cursor = steps, as_int("epochs_done", epochs_done, minimum=0), cursor
            self.order = None if order is None else np.array(order, dtype=np.int64)
            self.history = list(history)
            self.curve = curve
            # The curve ends at the weights it was given, whatever a file says
            # there (for a file this engine wrote, the same number).
            self.curve.truncate(len(curve) - 1)
            self._record()

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


def _optimizer_settings(optimizer: Any, momentum: Any, betas: Any,
                        eps: Any) -> tuple[str, float, tuple[float, float], float]:
    """The optimizer's name and settings, checked (the settings of the optimizers
    not chosen too, so that switching back finds them)."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {describe(optimizer)}")
    momentum = positive_finite("momentum", momentum)
    return optimizer, momentum, check_betas(betas), positive_finite("eps", eps)


def _known(method: str, changes: dict, names: tuple[str, ...]) -> None:
    unknown = sorted(set(changes) - set(names))
    if unknown:
        raise TypeError(f"{method} takes {', '.join(names)}, got {unknown}")
