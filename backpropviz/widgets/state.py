"""One state for every panel: the net, the data, the training, and the current trace.

Controls write to the state through its methods; panels observe its ``trace``
(and ``step``, ``sample``, ``message``) traits. Every change is validated by
computing the new trace first, so a rejected change leaves everything as it
was, and an accepted one recomputes the trace exactly once before any panel
hears of it.

Rapid slider drags need no special handling here: each change is applied in
full, in order, and the ipywidgets frontend already coalesces a fast drag (it
keeps at most one change in flight and sends only the latest value next), so
the last state always belongs to the last slider value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from traitlets import Bool, HasTraits, Instance, Int, Unicode, validate

from ..engine import MLP, Trace, get_activation, get_loss
from ..engine._checks import as_int, as_real, describe, positive_finite
from ..engine import serialize
from ..engine.paths import parse_entry
from ..engine.training import Trainer

#: The architectures the playground offers (the API takes any).
MAX_HIDDEN_LAYERS = 4
MAX_WIDTH = 8


def _class_count(Y: np.ndarray) -> int:
    """Classes in targets: columns of one-hot rows, else the largest whole label + 1."""
    if Y.ndim == 2 and Y.shape[1] > 1:
        return Y.shape[1]
    flat = Y.reshape(-1)
    if flat.size and np.all(np.isfinite(flat)) and np.all(flat == np.round(flat)) and flat.min() >= 0:
        return int(flat.max()) + 1
    return 2


class ExplorerState(HasTraits):
    """The shared, observable state of an Explorer and its panels.

    Parameters
    ----------
    net : MLP
        The net to explore. The state changes this very net (so after dragging
        a slider, ``net.state_dict()`` holds the slider's value) until the
        architecture is changed, which builds a new one (``state.net``). Its
        weights at construction are the start that ``reset()`` returns to.
    X, Y : array-like
        The training rows, as ``MLP.trace`` takes them.
    loss : ``"mse"``, ``"bce"`` or ``"cross_entropy"``.
    lr : the SGD learning rate; the trace includes the update it gives.
    X_test, Y_test : optional held-out rows, for the test loss and accuracy.
    batch_size : rows per SGD step (None: the full batch, as in the seed).
    seed : seed of the minibatch shuffling.
    """

    trace = Instance(Trace, read_only=True, help="The current trace; a new object on every change.")
    step = Int(0, help="Index of the stepper's current step in trace.steps.")
    sample = Int(0, help="The row of X that the diagram and the drill-down show.")
    revision = Int(0, read_only=True, help="How many traces have been computed.")
    message = Unicode("", help="What just went wrong with training, in words (empty if nothing).")
    playing = Bool(False, help="True while Play is training.")

    def __init__(self, net: MLP, X: Any, Y: Any, loss: str = "mse", lr: float = 0.75,
                 X_test: Any = None, Y_test: Any = None, batch_size: int | None = None,
                 seed: int = 0) -> None:
        if not isinstance(net, MLP):
            raise TypeError(f"net must be a backpropviz MLP, got {describe(net)}")
        super().__init__()
        trainer = Trainer(net, X, Y, loss=loss, lr=lr, batch_size=batch_size, seed=seed,
                          X_test=X_test, Y_test=Y_test)
        trace = net.trace(trainer.X, trainer.Y, loss=trainer.loss, lr=trainer.lr)
        self._trainer = trainer
        self._Y_raw = np.array(Y, dtype=np.float64, copy=True)
        self._Y_test_raw = None if Y_test is None else np.array(Y_test, dtype=np.float64, copy=True)
        self._initial = net.state_dict()
        #: How the data was made ({"name": "moons", "n": 200, ...}), or None for your own arrays.
        self.data_source: dict | None = None
        self._install(trace)

    # ------------------------------------------------------------------ reading

    @property
    def net(self) -> MLP:
        return self._trainer.net

    @property
    def trainer(self) -> Trainer:
        return self._trainer

    @property
    def X(self) -> np.ndarray:
        return self._trainer.X

    @property
    def Y(self) -> np.ndarray:
        """The training targets as given (labels, not one-hot)."""
        return self._Y_raw

    @property
    def X_test(self) -> np.ndarray | None:
        return self._trainer.X_test

    @property
    def Y_test(self) -> np.ndarray | None:
        return self._Y_test_raw

    @property
    def loss(self) -> str:
        return self._trainer.loss

    @property
    def lr(self) -> float:
        return self._trainer.lr

    @property
    def batch_size(self) -> int | None:
        return self._trainer.batch_size

    @property
    def initial_state(self) -> dict[str, np.ndarray]:
        """Copies of the weights the state started from (``reset`` restores them)."""
        return {k: v.copy() for k, v in self._initial.items()}

    def parameter_entries(self) -> list[tuple[str, tuple[int, ...]]]:
        """Every (parameter name, index) pair, in state-dict order, row by row."""
        return [
            (name, idx)
            for name, shape in self.net.parameter_shapes().items()
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

    def _retrace(self) -> Trace:
        tr = self._trainer
        return tr.net.trace(tr.X, tr.Y, loss=tr.loss, lr=tr.lr)

    def set_parameter(self, name: str, index: tuple[int, ...] | int, value: float) -> None:
        """Set one weight or bias, e.g. ``set_parameter("layer1.weight", (0, 1), 0.3)``."""
        _, _, index = parse_entry(self.trace, name, index)
        value = as_real("value", value)
        if not np.isfinite(value):
            raise ValueError(f"value must be a finite number, got {value!r}")
        current = self.net.state_dict()
        if current[name][index] == value:
            return
        changed = dict(current)
        changed[name] = current[name].copy()
        changed[name][index] = value
        self._load(changed, current)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter at once (one recompute)."""
        self._load(state, self.net.state_dict())

    def _load(self, state: Mapping[str, Any], previous: dict[str, np.ndarray]) -> None:
        self.net.load_state_dict(state)
        try:
            trace = self._retrace()
        except Exception:
            self.net._set_parameters(previous)
            raise
        self._install(trace)

    def _after_training(self) -> None:
        tr = self._trainer
        if tr.diverged:
            loss = tr.curve.train_loss[-1]
            self.message = (
                f"Training diverged at step {tr.steps}: the loss became {loss} because the "
                f"learning rate {tr.lr:g} is too large for this net and data, so every step "
                f"overshoots further. Try a smaller learning rate (say {tr.lr / 10:g}); "
                "Undo goes back a step at a time, Reset starts again.")
        self._install(self._retrace())

    def reset(self) -> None:
        """Back to the start: the initial weights exactly; training counters cleared."""
        self._trainer.start = self.initial_state
        self._trainer.reset()
        self.message = ""
        self._install(self._retrace())

    def sgd_step(self) -> None:
        """Apply the update the current trace shows (``W <- W - lr * dL/dW``) as one
        full-batch training step (it can be undone)."""
        self._trainer.step(self.trace)
        self._after_training()

    def train(self, steps: int = 1) -> int:
        """``steps`` SGD steps (stopping early if the loss diverges); one recompute.

        Returns the number of steps taken.
        """
        taken = self._trainer.run(steps)
        self._after_training()
        return taken

    def undo(self) -> bool:
        """Rewind one training step, exactly. False when there is none to undo."""
        if not self._trainer.undo():
            return False
        if not self._trainer.diverged:
            self.message = ""
        self._install(self._retrace())
        return True

    def configure(self, **changes: Any) -> None:
        """Change ``lr``, ``batch_size`` and/or ``loss`` together, with one recompute.

        The weights and the training so far stay. Nothing changes if any is bad.
        """
        unknown = set(changes) - {"lr", "loss", "batch_size"}
        if unknown:
            raise TypeError(f"configure takes lr, loss and batch_size, got {sorted(unknown)}")
        tr = self._trainer
        lr = positive_finite("lr", changes["lr"]) if "lr" in changes else tr.lr
        loss = get_loss(changes["loss"]).name if "loss" in changes else tr.loss
        batch = tr.batch_size
        if "batch_size" in changes:
            batch = changes["batch_size"]
            if batch is not None:
                batch = as_int("batch_size", batch, minimum=1)
        if loss != tr.loss:
            new = Trainer(tr.net, tr.X, self._Y_raw, loss=loss, lr=lr, batch_size=batch,
                          seed=tr.seed, X_test=tr.X_test, Y_test=self._Y_test_raw,
                          start=self._initial)
            trace = new.net.trace(new.X, new.Y, loss=new.loss, lr=new.lr)
            self._trainer = new
        else:
            trace = tr.net.trace(tr.X, tr.Y, loss=tr.loss, lr=lr)
            tr.set_lr(lr)
            if "batch_size" in changes:
                tr.set_batch_size(batch)
        if "lr" in changes and not self._trainer.diverged:
            self.message = ""
        self._install(trace)

    def set_data(self, X: Any, Y: Any, X_test: Any = None, Y_test: Any = None,
                 source: dict | None = None) -> None:
        """New training (and test) rows; the weights stay, training starts over.

        If the labels have more classes than the net can tell apart (or a
        cross-entropy net has the wrong number of outputs), the output layer is
        rebuilt for them: cross-entropy, one Identity unit per class, new
        starting weights from the net's seed.
        """
        tr = self._trainer
        Y_raw = np.array(Y, dtype=np.float64, copy=True)
        net, loss, initial = tr.net, tr.loss, self._initial
        classes = _class_count(Y_raw)
        if classes > 2 and loss != "cross_entropy":
            loss = "cross_entropy"
        if loss == "cross_entropy" and net.sizes[-1] != max(classes, 2):
            sizes = [*net.sizes[:-1], max(classes, 2)]
            net = MLP(sizes, [*net.activations[:-1], "identity"], seed=net.seed or 0)
            initial = net.state_dict()
        new = Trainer(net, X, Y_raw, loss=loss, lr=tr.lr, batch_size=tr.batch_size,
                      seed=tr.seed, X_test=X_test, Y_test=Y_test, start=initial)
        trace = new.net.trace(new.X, new.Y, loss=new.loss, lr=new.lr)
        self._trainer = new
        self._initial = {k: v.copy() for k, v in initial.items()}
        self._Y_raw = Y_raw
        self._Y_test_raw = None if Y_test is None else np.array(Y_test, dtype=np.float64, copy=True)
        self.data_source = dict(source) if source else None
        self.message = ""
        self._install(trace)

    def set_architecture(self, hidden: Sequence[int], activations: Sequence[Any],
                         loss: str | None = None, seed: int = 0) -> None:
        """A new net: ``hidden`` widths (0 to 4 layers of 1 to 8 units in the
        playground), one activation per layer (hidden layers, then the output),
        the loss, and the seed of its initial weights. Inputs and outputs follow
        from the data and the loss; training starts over from the new weights."""
        if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
            raise TypeError(f"hidden must be a list of layer widths, got {describe(hidden)}")
        widths = [as_int(f"hidden[{i}]", w, minimum=1) for i, w in enumerate(hidden)]
        if len(widths) > MAX_HIDDEN_LAYERS or any(w > MAX_WIDTH for w in widths):
            raise ValueError(f"hidden must have at most {MAX_HIDDEN_LAYERS} layers of at most "
                             f"{MAX_WIDTH} units, got {widths}")
        loss = get_loss(loss if loss is not None else self.loss).name
        outputs = self._outputs_for(loss)
        sizes = [self.X.shape[1], *widths, outputs]
        if isinstance(activations, (str, bytes)) or not isinstance(activations, Sequence):
            raise TypeError(f"activations must be a list, one per layer, got {describe(activations)}")
        if len(activations) != len(sizes) - 1:
            raise ValueError(f"activations must have {len(sizes) - 1} entries (one per layer, the "
                             f"output last), got {len(activations)}")
        acts = [get_activation(a, f"activations[{i}]") for i, a in enumerate(activations)]
        net = MLP(sizes, acts, seed=as_int("seed", seed, minimum=0))
        tr = self._trainer
        new = Trainer(net, tr.X, self._Y_raw, loss=loss, lr=tr.lr, batch_size=tr.batch_size,
                      seed=tr.seed, X_test=tr.X_test, Y_test=self._Y_test_raw)
        trace = net.trace(new.X, new.Y, loss=new.loss, lr=new.lr)
        self._trainer = new
        self._initial = net.state_dict()
        self.message = ""
        self._install(trace)

    # ------------------------------------------------------------------ saving

    def to_json(self) -> str:
        """The whole state (architecture, weights, start, data, settings, training
        history and curve, the stepper's step and sample) as JSON text, bit-exact."""
        extra = {"step": self.step, "sample": self.sample, "data_source": self.data_source}
        d = serialize.trainer_to_dict(self._trainer, self._Y_raw, self._Y_test_raw,
                                      self._initial, extra)
        return serialize.dumps(d)

    def load_json(self, text: str | bytes) -> None:
        """Replace everything with a state saved by ``to_json``.

        A malformed or hostile text raises ``ValueError`` naming the bad field
        and changes nothing.
        """
        parts = serialize.loads(text)
        trainer = serialize.build_trainer(parts)
        trace = trainer.net.trace(trainer.X, trainer.Y, loss=trainer.loss, lr=trainer.lr)
        extra = parts["extra"]
        step = extra.get("step", 0)
        sample = extra.get("sample", 0)
        step = step if isinstance(step, int) and 0 <= step < trace.num_steps else 0
        sample = sample if isinstance(sample, int) and 0 <= sample < len(trainer.X) else 0
        source = extra.get("data_source")
        self._trainer = trainer
        self._Y_raw, self._Y_test_raw = parts["Y"], parts["Y_test"]
        self._initial = {k: v.copy() for k, v in parts["initial"].items()}
        self.data_source = source if isinstance(source, dict) else None
        self.message = ""
        with self.hold_trait_notifications():
            self._install(trace)
            self.step, self.sample = step, sample

    def save(self, path: str) -> None:
        """Write ``to_json()`` to a file."""
        text = self.to_json()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    def load(self, path: str) -> None:
        """Read a file written by ``save`` (see ``load_json``)."""
        with open(path, "rb") as f:
            text = f.read(serialize.MAX_TEXT + 1)
        self.load_json(text)

    def _outputs_for(self, loss: str) -> int:
        """Output units a loss needs for these targets: one per class for cross-entropy."""
        if loss != "cross_entropy":
            return self._Y_raw.shape[1] if self._Y_raw.ndim == 2 else 1
        if self._Y_raw.ndim == 2 and self._Y_raw.shape[1] > 1:
            return self._Y_raw.shape[1]
        return max(2, int(np.nanmax(self._Y_raw)) + 1)

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
        return (f"ExplorerState({self.net.arch} net, loss={self.loss} {self.trace.loss:.6g}, "
                f"lr={self.lr:g}, step {self.step + 1}/{self.trace.num_steps})")
