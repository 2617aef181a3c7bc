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

import math
import numbers
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np
from traitlets import Bool, HasTraits, Instance, Int, Unicode, validate

from .engine import MLP, Trace, get_activation, get_loss
from .engine._checks import as_int, as_real, describe, float_array, matrix, positive_finite
from .engine import serialize
from .engine.features import PLANE, check_features, feature_matrix
from .engine.features import labels as feature_labels
from .engine.limits import MAX_CLASSES, MAX_LR, MIN_LR, check_data_shape
from .engine.paths import parse_entry
from .engine.training import Trainer

#: The architectures the playground offers (the API takes any).
MAX_HIDDEN_LAYERS = 6
MAX_WIDTH = 8
#: Steps a copy of the net trains to test a learning rate before the state suggests it.
ADVICE_STEPS = 200


def _targets(name: str, Y: Any) -> np.ndarray:
    """Y as a read-only float64 copy of real numbers, or an error naming ``name``."""
    if Y is None:
        raise TypeError(f"{name} must be an array of targets, got None")
    if isinstance(Y, np.ndarray):
        check_data_shape(name, Y.shape)
    arr = np.array(float_array(name, Y), dtype=np.float64)
    check_data_shape(name, arr.shape)
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D labels or a 2-D array of targets, got shape {arr.shape}")
    arr.flags.writeable = False
    return arr


def _label_classes(name: str, Y: np.ndarray) -> int:
    """How many classes labels 0..K-1 in ``Y`` (one column) name, or a clear error."""
    flat = Y.reshape(-1) if Y.ndim == 1 or Y.shape[1] == 1 else None
    if flat is None:
        return Y.shape[1]  # one-hot or probability rows
    with np.errstate(invalid="ignore"):
        whole = bool(np.all(np.isfinite(flat)) and np.all(flat == np.round(flat)) and flat.min() >= 0)
    if not whole:
        raise ValueError(f"{name} must hold class labels 0, 1, 2, ... for classification, "
                         f"got values in [{flat.min():g}, {flat.max():g}]")
    if flat.max() > MAX_CLASSES - 1:
        raise ValueError(f"{name} must name at most {MAX_CLASSES} classes (labels 0 to "
                         f"{MAX_CLASSES - 1}, backpropviz's limit), got a label of {flat.max():g}")
    return max(int(flat.max()) + 1, 2)


def _json_source(source: Any) -> dict | None:
    """``source`` as a JSON-ready dict of plain values (NumPy scalars become numbers)."""
    if source is None:
        return None
    if not isinstance(source, Mapping):
        raise TypeError(f"source must be a dict describing the data (such as "
                        f"{{'name': 'moons', 'n': 200}}) or None, got {describe(source)}")
    out = {}
    for key, value in source.items():
        if not isinstance(key, str):
            raise TypeError(f"source keys must be strings, got {describe(key)}")
        if value is None or isinstance(value, (str, bool)):
            out[key] = value
        elif isinstance(value, numbers.Integral):
            out[key] = int(value)
        elif isinstance(value, numbers.Real) and math.isfinite(value):
            out[key] = float(value)
        else:
            raise TypeError(f"source[{key!r}] must be a string, a whole or finite number, "
                            f"a bool or None, got {describe(value)}")
    return out


def _features(value: Any, columns: int) -> tuple[str, ...] | None:
    """Checked feature names for data of ``columns`` columns; None (and the plane's
    own x1, x2) mean the inputs as given."""
    if value is None:
        return None
    features = check_features(value)
    if columns != 2:
        raise ValueError(f"features need points of a plane (X with 2 columns, x1 and x2), "
                         f"got X with {columns} columns")
    return None if features == PLANE else features


def _plane_data(name: str, X: Any, features: tuple[str, ...] | None) -> tuple:
    """(points, inputs): with features, a read-only (n, 2) copy of the points ``X``
    stands for and the net's inputs, their features; without, (None, X as given)."""
    if X is None or features is None:
        return None, X
    pts = np.array(matrix(name, X, 2, f" (x1 and x2: the features {', '.join(features)} "
                                      "are computed from them)"), dtype=np.float64)
    pts.flags.writeable = False
    return pts, _feature_columns(name, pts, features)


def _feature_columns(name: str, points: np.ndarray, features: tuple[str, ...]) -> np.ndarray:
    """The features of ``points``, or an error naming the row and the feature that overflows."""
    with np.errstate(all="ignore"):
        columns = feature_matrix(points, features)
    bad = np.argwhere(~np.isfinite(columns))
    if bad.size:
        r, k = bad[0]
        raise ValueError(f"{name} row {r} = ({points[r, 0]:g}, {points[r, 1]:g}) gives the feature "
                         f"{features[k]} = {columns[r, k]}, not a finite number: the points must "
                         "be small enough for every feature to be finite")
    return columns


def _lr(value: Any) -> float:
    lr = positive_finite("lr", value)
    if not MIN_LR <= lr <= MAX_LR:
        raise ValueError(f"lr must be from {MIN_LR:g} to {MAX_LR:g}, got {lr:g}")
    return lr


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
    loss : ``"mse"``, ``"bce"`` (needs a Sigmoid output) or ``"cross_entropy"``.
    lr : the learning rate, from 1e-6 to 1000; the trace includes the update it gives.
    X_test, Y_test : optional held-out rows, for the test loss and accuracy.
    batch_size : rows per step (None: the full batch, as in the seed).
    seed : seed of the minibatch shuffling.
    optimizer : ``"sgd"`` (plain, as the seed), ``"momentum"`` (SGD with ``momentum``,
        greater than 0) or ``"adam"`` (with ``betas``, each in [0, 1), and ``eps`` > 0);
        the trace's update steps are the optimizer's, from its current state.
    l1, l2 : weights of the L1/L2 penalty on the weights (at least 0; 0: none); the
        trace's loss is then the data loss plus the penalty.
    features : the input features the net reads from each point (x1, x2), such as
        ``["x1", "x2", "x1*x2"]`` (see ``bpv.engine.features.FEATURES``); X (and
        X_test) are then the points, with 2 columns, and the net needs one input per
        feature. None (the default): the net reads X as given.

    Every change (a training step or many, reset, undo, set_data,
    set_architecture, configure, a weight, load) is atomic: it computes all it
    needs, then installs it at once, or raises and leaves the state as it was.
    """

    trace = Instance(Trace, read_only=True, help="The current trace; a new object on every change.")
    step = Int(0, help="Index of the stepper's current step in trace.steps.")
    sample = Int(0, help="The row of X that the diagram and the drill-down show.")
    revision = Int(0, read_only=True, help="How many traces have been computed.")
    message = Unicode("", help="What just went wrong with training, in words (empty if nothing).")
    playing = Bool(False, help="True while Play is training.")

    def __init__(self, net: MLP, X: Any, Y: Any, loss: str = "mse", lr: float = 0.75,
                 X_test: Any = None, Y_test: Any = None, batch_size: int | None = None,
                 seed: int = 0, optimizer: str = "sgd", momentum: float = 0.9,
                 betas: Sequence[float] = (0.9, 0.999), eps: float = 1e-8,
                 l1: float = 0.0, l2: float = 0.0, features: Sequence[str] | None = None) -> None:
        if not isinstance(net, MLP):
            raise TypeError(f"net must be a backpropviz MLP, got {describe(net)}")
        super().__init__()
        Y_raw = _targets("Y", Y)
        Y_test_raw = None if Y_test is None else _targets("Y_test", Y_test)
        given = float_array("X", X)
        features = _features(features, given.shape[1] if given.ndim == 2 else 2)
        if features is not None and net.sizes[0] != len(features):
            raise ValueError(f"net must have one input per feature ({len(features)}: "
                             f"{', '.join(features)}), got a {net.arch} net")
        self._features = features
        self._points, X = _plane_data("X", X, features)
        self._points_test, X_test = _plane_data("X_test", X_test, features)
        trainer = Trainer(net, X, Y_raw, loss=loss, lr=_lr(lr), batch_size=batch_size, seed=seed,
                          X_test=X_test, Y_test=Y_test_raw, optimizer=optimizer,
                          momentum=momentum, betas=betas, eps=eps, l1=l1, l2=l2)
        trace = trainer.trace()
        self._trainer = trainer
        self._Y_raw, self._Y_test_raw = Y_raw, Y_test_raw
        self._classes = self._guess_classes(Y_raw, Y_test_raw, trainer.loss)
        self._initial = trainer.start
        #: How the data was made ({"name": "moons", "n": 200, ...}), or None for your own arrays.
        self.data_source: dict | None = None
        #: The step "back to before it blew up" returns to, when training has diverged.
        self.recovery_step: int | None = None
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
        """The training inputs (read-only)."""
        return self._trainer.X

    @property
    def Y(self) -> np.ndarray:
        """The training targets as given (labels, not one-hot; read-only)."""
        return self._Y_raw

    @property
    def X_test(self) -> np.ndarray | None:
        return self._trainer.X_test

    @property
    def features(self) -> tuple[str, ...] | None:
        """The input features the net reads from each point, in order (``("x1", "x2",
        "x1*x2")``), or None when it reads X as given."""
        return self._features

    @property
    def input_labels(self) -> tuple[str, ...]:
        """What the pictures call the net's inputs: the features (x₁, x₂, x₁x₂, ...), the
        plane's x₁ and x₂ for 2 inputs, or x[0], x[1], ... for other data."""
        return feature_labels(self._features, self.X.shape[1])

    @property
    def points(self) -> np.ndarray:
        """The training rows as points of the input plane: X itself, unless features
        are on (then X holds the features of these points)."""
        return self.X if self._features is None else self._points

    @property
    def points_test(self) -> np.ndarray | None:
        """The test rows as points (see ``points``)."""
        return self.X_test if self._features is None else self._points_test


    @property
    def class_targets(self) -> bool:
        """Whether the targets are classes: then the panels speak of accuracy and a
        decision boundary; otherwise (regression) of the predicted value and the
        loss alone. Recorded when the data is given (``set_regression_data`` is
        regression whatever its values; labels under cross-entropy or ``classes=``
        are classes; otherwise targets that are all 0 or 1 are classes, as the
        seed's) and saved with the state."""
        return self._classes

    def _classes_after(self, old: str, new: str) -> bool:
        """The recorded task when the loss goes from ``old`` to ``new``: labels under
        cross-entropy are classes; leaving cross-entropy, the targets say; otherwise
        the task stays as recorded."""
        if new == "cross_entropy":
            return True
        if old == "cross_entropy":
            return self._guess_classes(self._Y_raw, self._Y_test_raw, new)
        return self._classes

    def _guess_classes(self, Y: np.ndarray, Y_test: np.ndarray | None, loss: str) -> bool:
        """Targets given without saying: classes under cross-entropy, or when every one is 0 or 1."""
        return loss == "cross_entropy" or bool(
            np.all((Y == 0) | (Y == 1)) and (Y_test is None or np.all((Y_test == 0) | (Y_test == 1))))

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
    def optimizer(self) -> str:
        """``"sgd"``, ``"momentum"`` or ``"adam"``."""
        return self._trainer.optimizer

    @property
    def momentum(self) -> float:
        """The momentum of ``optimizer="momentum"`` (kept while another is chosen)."""
        return self._trainer.momentum

    @property
    def betas(self) -> tuple[float, float]:
        """Adam's (β1, β2) (kept while another optimizer is chosen)."""
        return self._trainer.betas

    @property
    def eps(self) -> float:
        """Adam's ε (kept while another optimizer is chosen)."""
        return self._trainer.eps

    @property
    def l1(self) -> float:
        """The weight of the L1 penalty on the weights (0: none)."""
        return self._trainer.l1

    @property
    def l2(self) -> float:
        """The weight of the L2 penalty on the weights (0: none)."""
        return self._trainer.l2

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

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """A change whole or not at all: on an exception, every field of the state
        (and the trainer and net it had) is put back, and the exception goes on."""
        saved = (self._trainer, self._Y_raw, self._Y_test_raw, self._initial,
                 self.data_source, self.recovery_step, self._features, self._points,
                 self._points_test, self._classes)
        message = self.message
        try:
            with self._trainer.atomic():
                yield
        except BaseException:
            (self._trainer, self._Y_raw, self._Y_test_raw, self._initial,
             self.data_source, self.recovery_step, self._features, self._points,
             self._points_test, self._classes) = saved
            if self.message != message:
                self.message = message
            raise

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
        return self._trainer.trace()

    def set_parameter(self, name: str, index: tuple[int, ...] | int, value: float) -> None:
        """Set one weight or bias, e.g. ``set_parameter("layer1.weight", (0, 1), 0.3)``."""
        _, _, index = parse_entry(self.trace, name, index)
        value = as_real("value", value)
        if not np.isfinite(value):
            raise ValueError(f"value must be a finite number, got {value!r}")
        current = self.net.state_dict()
        if current[name][index] == value:
            return
        current[name][index] = value
        self.load_state_dict(current)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter at once (one recompute)."""
        with self._atomic():
            self.net.load_state_dict(state)
            self._trainer.weights_changed()
            trace = self._retrace()
        self._install(trace)

    def _after_training(self) -> Trace:
        """The message after training (divergence in words, with advice that works)."""
        tr = self._trainer
        if tr.diverged:
            self.recovery_step = self._last_good_step()
            self.message = self._divergence_message()
        return self._retrace()

    def _last_good_step(self) -> int | None:
        """The last step Undo can reach whose loss was not above the run's start."""
        curve = self._trainer.curve.train_loss
        first = len(curve) - 1 - len(self._trainer.history)
        with np.errstate(invalid="ignore"):
            good = np.flatnonzero(curve[first:] <= curve[0])
        return int(first + good[-1]) if good.size else None

    def _divergence_message(self) -> str:
        tr = self._trainer
        loss = tr.curve.train_loss[-1]
        text = (f"Training diverged at step {tr.steps}: the loss became {loss} because the "
                f"learning rate {tr.lr:g} is too large for this net and data, so every step "
                "overshoots further.")
        if self.recovery_step is not None:
            start = tr.history[self.recovery_step - tr.steps] if self.recovery_step < tr.steps else None
            suggestion = self._working_lr(start.params if start else tr.net.state_dict())
            back = (f' "Back to before it blew up" returns to step {self.recovery_step} '
                    f"(loss {tr.curve.train_loss[self.recovery_step]:.4g}).")
            if suggestion is not None:
                text += (f" From there, learning rate {suggestion:g} trains {ADVICE_STEPS} steps "
                         "with a finite, falling loss (tried on a copy of the net)." + back)
            else:
                text += " No smaller learning rate tried from there lowered the loss." + back
        else:
            text += " Reset starts again from the initial weights."
        return text

    def _working_lr(self, params: dict[str, np.ndarray]) -> float | None:
        """The largest of lr/10, lr/100, ... that, from ``params`` on a copy of the
        net, trains ADVICE_STEPS steps with every loss finite and a lower final loss."""
        tr = self._trainer
        lr = tr.lr / 10
        while lr >= MIN_LR:
            net = tr.net.copy()
            net.install_parameters(params)
            trial = Trainer(net, tr.X, tr.Y, loss=tr.loss, **{**tr.settings(), "lr": lr})
            trial.run(ADVICE_STEPS)
            losses = trial.curve.train_loss
            if np.all(np.isfinite(losses)) and losses[-1] < losses[0]:
                return float(f"{lr:.3g}")
            lr /= 10
        return None

    def reset(self) -> None:
        """Back to the start: the initial weights exactly; training counters cleared."""
        with self._atomic():
            self._trainer.reset()
            trace = self._retrace()
            self.recovery_step = None
            self.message = ""
        self._install(trace)

    def sgd_step(self) -> None:
        """Apply the update the current trace shows (``W <- W - lr * dL/dW`` for plain
        SGD; the momentum or Adam update otherwise) as one full-batch training step
        (it can be undone)."""
        with self._atomic():
            self._trainer.step(self.trace)
            trace = self._after_training()
        self._install(trace)

    def train(self, steps: int = 1) -> int:
        """``steps`` SGD steps (stopping early if the loss diverges); one recompute.

        Returns the number of steps taken. All or nothing: a failure part-way
        leaves the state as it was before the call.
        """
        with self._atomic():
            taken = self._trainer.run(steps)
            trace = self._after_training()
        self._install(trace)
        return taken

    def undo(self) -> bool:
        """Rewind one training step, exactly. False when there is none to undo."""
        with self._atomic():
            if not self._trainer.undo():
                return False
            trace = self._retrace()
            if not self._trainer.diverged:
                self.message, self.recovery_step = "", None
        self._install(trace)
        return True

    def recover(self) -> bool:
        """Back to before it blew up: undo to ``recovery_step``, the last step whose loss
        was not above the run's starting loss. False when there is no such step."""
        target = self.recovery_step
        if target is None:
            return False
        with self._atomic():
            while self._trainer.steps > target:
                if not self._trainer.undo():
                    raise ValueError(f"step {target} is beyond the undo history")
            trace = self._retrace()
            self.message, self.recovery_step = "", None
        self._install(trace)
        return True

    def configure(self, **changes: Any) -> None:
        """Change ``lr``, ``batch_size``, ``loss``, ``optimizer`` (with ``momentum``,
        ``betas``, ``eps``) and/or ``l1``, ``l2`` together, with one recompute.

        The weights and the training so far stay (a new loss starts the counters
        over; another optimizer starts from a fresh state and clears the undo
        history, whose snapshots hold the other's state). Nothing changes if any is
        bad: ``lr`` from 1e-6 to 1000; ``"bce"`` needs a Sigmoid output layer;
        ``momentum`` > 0; ``betas`` in [0, 1); ``eps`` > 0; ``l1``, ``l2`` >= 0.
        """
        known = ("lr", "loss", "batch_size", "optimizer", "momentum", "betas", "eps", "l1", "l2")
        unknown = set(changes) - set(known)
        if unknown:
            raise TypeError(f"configure takes {', '.join(known[:-1])} and {known[-1]}, "
                            f"got {sorted(unknown)}")
        tr = self._trainer
        lr = _lr(changes["lr"]) if "lr" in changes else tr.lr
        loss = get_loss(changes["loss"]).name if "loss" in changes else tr.loss
        batch = tr.batch_size
        if "batch_size" in changes:
            batch = changes["batch_size"]
            if batch is not None:
                batch = as_int("batch_size", batch, minimum=1)
        optim = {k: changes[k] for k in ("optimizer", "momentum", "betas", "eps") if k in changes}
        penalty = {k: changes[k] for k in ("l1", "l2") if k in changes}
        switched = optim.get("optimizer", tr.optimizer) != tr.optimizer
        with self._atomic():
            if loss != tr.loss:
                if loss == "cross_entropy":
                    _label_classes("Y", self._Y_raw)
                settings = {**tr.settings(), "lr": lr, "batch_size": batch, **optim, **penalty}
                self._trainer = Trainer(tr.net, tr.X, self._Y_raw, loss=loss, X_test=tr.X_test,
                                        Y_test=self._Y_test_raw, start=self._initial, **settings)
                self._classes = self._classes_after(tr.loss, loss)
            else:
                tr.set_lr(lr)
                if "batch_size" in changes:
                    tr.set_batch_size(batch)
                tr.set_optimizer(**optim)
                tr.set_penalty(**penalty)
            trace = self._retrace()
            if set(changes) - {"batch_size"} and not self._trainer.diverged:
                self.message, self.recovery_step = "", None
            elif switched:  # the undo history is gone: recovery can only be to here
                self.recovery_step = self._last_good_step()
        self._install(trace)

    def set_data(self, X: Any, Y: Any, X_test: Any = None, Y_test: Any = None,
                 source: dict | None = None, classes: int | None = None) -> None:
        """New training (and test) rows; the weights stay, training starts over.

        Targets keep their meaning: under ``mse`` or ``bce`` they are taken as
        they are (regression targets stay regression). They are class labels
        0..K-1 when the loss is cross-entropy or when ``classes=K`` is given
        (at most 20); then, for more than 2 classes, or a cross-entropy net with
        the wrong number of outputs, the output layer is rebuilt for them:
        cross-entropy, one Identity unit per class, new starting weights from
        the net's seed. Two classes given to a state that was doing regression
        (``set_regression_data``) turn it back into a classifier: one sigmoid
        output unit under BCE, new starting weights from the net's seed.
        ``source`` (how the data was made) must be JSON-ready. With features on,
        X and X_test are points of the plane (2 columns).
        """
        tr = self._trainer
        source = _json_source(source)
        points, X = _plane_data("X", X, self._features)
        points_test, X_test = _plane_data("X_test", X_test, self._features)
        Y_raw = _targets("Y", Y)
        Y_test_raw = None if Y_test is None else _targets("Y_test", Y_test)
        net, loss, initial = tr.net, tr.loss, self._initial
        if classes is not None:
            classes = as_int("classes", classes, minimum=2)
            if classes > MAX_CLASSES:
                raise ValueError(f"classes must be at most {MAX_CLASSES}, got {classes}")
        if classes is not None or loss == "cross_entropy":
            found = max(_label_classes("Y", Y_raw),
                        _label_classes("Y_test", Y_test_raw) if Y_test_raw is not None else 2)
            if classes is not None and found > classes:
                raise ValueError(f"Y must hold labels 0 to {classes - 1} for classes={classes}, "
                                 f"got labels up to {found - 1}")
            classes = classes or found
            if classes > 2:
                loss = "cross_entropy"
            if loss == "cross_entropy" and net.sizes[-1] != classes:
                sizes = [*net.sizes[:-1], classes]
                net = MLP(sizes, [*net.activations[:-1], "identity"], seed=net.seed or 0)
                initial = net.state_dict()
            elif loss != "cross_entropy" and not self._classes:  # from regression to 2 classes
                loss = "bce"
                net = MLP([*net.sizes[:-1], 1], [*net.activations[:-1], "sigmoid"], seed=net.seed or 0)
                initial = net.state_dict()
        new = Trainer(net, X, Y_raw, loss=loss, X_test=X_test, Y_test=Y_test_raw, start=initial,
                      **tr.settings())
        trace = new.trace()
        self._trainer = new
        self._initial = new.start
        self._Y_raw, self._Y_test_raw = Y_raw, Y_test_raw
        self._classes = classes is not None or self._guess_classes(Y_raw, Y_test_raw, loss)
        self._points, self._points_test = points, points_test
        self.data_source = source
        self.message, self.recovery_step = "", None
        self._install(trace)

    def set_features(self, features: Sequence[str] | None) -> None:
        """Choose the input features the net reads from each point (x1, x2) of the
        plane, such as ``["x1*x2"]`` or ``["x1", "x2", "x1^2", "x2^2"]`` (any of x1,
        x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2); taken in that order). None, or
        just x1 and x2: the points themselves.

        The net gets one input per feature: a new net with the same hidden layers
        and activations, new starting weights from its seed; training starts over
        (as TensorFlow Playground does). Needs data with 2 columns (a plane).
        One change, one recompute; bad names change nothing.
        """
        points, points_test = self.points, self.points_test
        features = _features(features, points.shape[1])
        if features == self._features:
            return
        X = points if features is None else _feature_columns("X", points, features)
        X_test = None if points_test is None else (
            points_test if features is None else _feature_columns("X_test", points_test, features))
        tr = self._trainer
        old = tr.net
        net = MLP([X.shape[1], *old.sizes[1:]], list(old.activations), seed=old.seed or 0)
        new = Trainer(net, X, self._Y_raw, loss=tr.loss, X_test=X_test, Y_test=self._Y_test_raw,
                      **tr.settings())
        trace = new.trace()
        self._trainer = new
        self._initial = new.start
        self._features = features
        self._points, self._points_test = (None, None) if features is None else (points, points_test)
        self.message, self.recovery_step = "", None
        self._install(trace)

    def set_architecture(self, hidden: Sequence[int], activations: Sequence[Any],
                         loss: str | None = None, seed: int = 0) -> None:
        """A new net: ``hidden`` widths (0 to 6 layers of 1 to 8 units in the
        playground), one activation per layer (hidden layers, then the output),
        the loss (``"bce"`` needs a sigmoid output), and the seed of its initial
        weights. Inputs and outputs follow from the data and the loss; training
        starts over from the new weights."""
        if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
            raise TypeError(f"hidden must be a list of layer widths, got {describe(hidden)}")
        if len(hidden) > MAX_HIDDEN_LAYERS:
            raise ValueError(f"hidden must have at most {MAX_HIDDEN_LAYERS} layers, got {len(hidden)}")
        widths = [as_int(f"hidden[{i}]", w, minimum=1) for i, w in enumerate(hidden)]
        if any(w > MAX_WIDTH for w in widths):
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
        new = Trainer(net, tr.X, self._Y_raw, loss=loss, X_test=tr.X_test, Y_test=self._Y_test_raw,
                      **tr.settings())
        trace = new.trace()
        self._classes = self._classes_after(tr.loss, loss)
        self._trainer = new
        self._initial = new.start
        self.message, self.recovery_step = "", None
        self._install(trace)

    # ------------------------------------------------------------------ regression

    def set_regression_data(self, X: Any, Y: Any, X_test: Any = None, Y_test: Any = None,
                            source: dict | None = None) -> None:
        """New rows with real-valued targets, trained as regression: MSE on Identity
        output units, one per column of Y.

        A net that already has such an output layer keeps its weights (as
        ``set_data``); any other gets a new one: the same hidden layers, an Identity
        output, new starting weights from the net's seed. Training starts over. One
        change, one recompute; bad rows change nothing. With features on, X and
        X_test are points of the plane (2 columns).
        """
        tr = self._trainer
        source = _json_source(source)
        points, X = _plane_data("X", X, self._features)
        points_test, X_test = _plane_data("X_test", X_test, self._features)
        Y_raw = _targets("Y", Y)
        Y_test_raw = None if Y_test is None else _targets("Y_test", Y_test)
        outputs = Y_raw.shape[1] if Y_raw.ndim == 2 else 1
        net, initial = tr.net, self._initial
        if net.sizes[-1] != outputs or net.activations[-1].name != "identity":
            net = MLP([*net.sizes[:-1], outputs], [*net.activations[:-1], "identity"],
                      seed=net.seed or 0)
            initial = net.state_dict()
        new = Trainer(net, X, Y_raw, loss="mse", X_test=X_test, Y_test=Y_test_raw, start=initial,
                      **tr.settings())
        trace = new.trace()
        self._trainer = new
        self._initial = new.start
        self._Y_raw, self._Y_test_raw = Y_raw, Y_test_raw
        self._classes = False
        self._points, self._points_test = points, points_test
        self.data_source = source
        self.message, self.recovery_step = "", None
        self._install(trace)

    # ------------------------------------------------------------------ saving

    def to_json(self) -> str:
        """The whole state (architecture, weights, start, data and its features,
        settings, training history and curve, the stepper's step and sample) as JSON
        text, bit-exact."""
        extra = {"step": self.step, "sample": self.sample, "data_source": self.data_source,
                 "task": "classification" if self._classes else "regression"}
        d = serialize.trainer_to_dict(self._trainer, self._Y_raw, self._Y_test_raw,
                                      self._initial, extra, self._features, self._points,
                                      self._points_test)
        return serialize.dumps(d)

    def load_json(self, text: str | bytes) -> None:
        """Replace everything with a state saved by ``to_json``.

        A malformed or hostile text raises ``ValueError`` naming the bad field
        and changes nothing.
        """
        parts = serialize.loads(text)
        trainer = serialize.build_trainer(parts)
        trace = trainer.trace()
        extra = parts["extra"]
        step, sample = extra.get("step", 0), extra.get("sample", 0)
        step = step if type(step) is int and 0 <= step < trace.num_steps else 0
        sample = sample if type(sample) is int and 0 <= sample < len(trainer.X) else 0
        try:
            source = _json_source(extra.get("data_source"))
        except TypeError:
            source = None
        self._trainer = trainer
        self._Y_raw, self._Y_test_raw = _targets("Y", parts["Y"]), (
            None if parts["Y_test"] is None else _targets("Y_test", parts["Y_test"]))
        self._initial = trainer.start
        task = extra.get("task")
        self._classes = (task == "classification" if task is not None
                         else self._guess_classes(self._Y_raw, self._Y_test_raw, trainer.loss))
        self._features = _features(parts["features"], 2)
        self._points, self._points_test = (
            (None, None) if self._features is None else (parts["points"], parts["points_test"]))
        for pts in (self._points, self._points_test):
            if pts is not None:
                pts.flags.writeable = False
        self.data_source = source
        self.message, self.recovery_step = "", None
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
        self.load_json(serialize.read_text(path))

    def _outputs_for(self, loss: str) -> int:
        """Output units a loss needs for these targets: one per class for cross-entropy."""
        if loss == "cross_entropy":
            return _label_classes("Y", self._Y_raw)
        return self._Y_raw.shape[1] if self._Y_raw.ndim == 2 else 1

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
        extra = "" if self.optimizer == "sgd" else f"optimizer={self.optimizer}, "
        extra += "".join(f"{k}={v:g}, " for k, v in (("l1", self.l1), ("l2", self.l2)) if v)
        return (f"ExplorerState({self.net.arch} net, loss={self.loss} {self.trace.loss:.6g}, "
                f"{extra}lr={self.lr:g}, step {self.step + 1}/{self.trace.num_steps})")
