"""Optimizers as ``torch.optim`` has them: SGD (with momentum) and Adam.

Each holds its state as named arrays, in the trace's notation (``v W1``, the
velocity of W1; ``m W1`` and ``v W1``, Adam's moments of W1; ``t``, Adam's step
count), and shows its update as steps of a trace::

    opt = bpv.optim.Adam(net, lr=0.01)
    t = net.trace(X, Y, "mse", optimizer=opt)  # the update, from opt's state; nothing changes
    t["new m W1"], t["vhat W1"], t["new W1"]   # every intermediate of the update
    opt.step(t)                                # installs exactly those arrays, and the state

``step`` equals ``torch.optim.SGD`` / ``torch.optim.Adam`` step after step. The
formulas are the ops' (``ops.SGD_UPDATE``, ``ops.MOMENTUM``, ``ops.ADAM``).
Like the net's parameters, state arrays are never changed in place: a step binds
new read-only arrays, so a snapshot (undo) needs no copy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._checks import as_int, as_real, describe, nonnegative_finite, positive_finite
from .mlp import MLP
from .ops import ADAM, MOMENTUM, SGD_UPDATE
from .trace import Trace, UpdateRule, grad_key, slot_key, value_key


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def check_betas(betas: Any) -> tuple[float, float]:
    """``(β1, β2)``, each from 0 up to (not including) 1."""
    if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (β1, β2) such as (0.9, 0.999), got {describe(betas)}")
    out = []
    for i, b in enumerate(betas):
        x = as_real(f"betas[{i}]", b)
        if not 0.0 <= x < 1.0:
            raise ValueError(f"betas[{i}] must be in [0, 1) (at least 0, less than 1), got {x!r}")
        out.append(x + 0.0)
    return out[0], out[1]


class Optimizer:
    """What SGD and Adam share: the net, the learning rate, the state and its version.

    ``state`` holds the optimizer's named arrays; ``preview(values)`` computes an
    update from parameters and gradients (keyed as in a trace) without changing
    anything; ``step(trace)`` installs one.
    """

    kind = ""
    #: The per-parameter slots of the state ("v": velocity; "m", "v": Adam's moments).
    slots: tuple[str, ...] = ()

    def __init__(self, net: MLP, lr: float) -> None:
        if not isinstance(net, MLP):
            raise TypeError(f"net must be a bpv.MLP, got {describe(net)}")
        self._net = net
        self._lr = positive_finite("lr", lr)
        self._shapes = {value_key(name): shape for name, shape in net.parameter_shapes().items()}
        self._state: dict[str, Any] = {}
        self._version = object()
        self._rule: UpdateRule | None = None  # made on first use, after every change of a setting

    # ------------------------------------------------------------------ reading

    @property
    def net(self) -> MLP:
        """The net whose parameters ``step`` updates."""
        return self._net

    @property
    def lr(self) -> float:
        """The learning rate (a finite number greater than 0; settable)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = positive_finite("lr", value)
        self._rule = None

    @property
    def version(self) -> object:
        """Which state this is: a new object whenever the state changes (a trace
        remembers the version it was computed from)."""
        return self._version

    @property
    def state(self) -> dict[str, Any]:
        """The state, by name (``"v W1"``, ...; Adam adds ``"t"``, ``"bc1"``, ``"bc2"``);
        the arrays are read-only."""
        return dict(self._state)

    def rule(self) -> UpdateRule:
        """The update this optimizer makes, with its settings (a trace keeps it)."""
        if self._rule is None:
            self._rule = self._make_rule()
        return self._rule

    def _make_rule(self) -> UpdateRule:
        raise NotImplementedError

    def _keys(self) -> list[tuple[str, str]]:
        """(parameter key, gradient key) of every parameter, in state-dict order."""
        return [(p, grad_key(name)) for p, name in zip(self._shapes, self._net.parameter_shapes())]

    # ------------------------------------------------------------------ the update

    def preview(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The update from ``values``' parameters and gradients (``"W1"``,
        ``"dL/dW1"``, ...: a trace, or a dict keyed alike) and the current state,
        as the trace's update keys. Changes nothing."""
        raise NotImplementedError

    def step(self, trace: Trace) -> None:
        """One update of the net's parameters (and of the state) from ``trace``'s gradients.

        ``trace`` must be of the net's current parameters. Made with this optimizer
        at its current state and settings, exactly the arrays it shows are
        installed; otherwise the update is computed from its gradients.
        """
        if not isinstance(trace, Trace):
            raise TypeError(f"trace must be a Trace from MLP.trace, got {describe(trace)}")
        if trace.version is not self._net.version:
            raise ValueError("trace must be computed from this optimizer's net at its current "
                             "parameters; they have changed since (or the trace is another "
                             "net's): call net.trace again")
        values: Mapping[str, Any] = trace
        if not self.shows(trace):
            needed = {k: trace[k] for pair in self._keys() for k in pair}
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                values = {**needed, **self.preview(needed)}
        self._net.install_update(values)
        self._take(values)

    def shows(self, trace: Trace) -> bool:
        """Whether ``trace`` shows this optimizer's next update as it stands (made
        with it, at its current state and settings)."""
        rule, mine = trace.rule, self.rule()
        return (rule is mine or rule == mine) and trace.optimizer_version is self._version

    def _take(self, values: Mapping[str, Any]) -> None:
        """Install the new state that ``values`` (the update's keys) holds."""
        self._set_state({k: _frozen(values[f"new {k}"]) for k in self._state})

    # ------------------------------------------------------------------ state

    def _zeros(self) -> dict[str, np.ndarray]:
        return {slot_key(s, p): _frozen(np.zeros(shape))
                for p, shape in self._shapes.items() for s in self.slots}

    def reset(self) -> None:
        """Back to the state of a new optimizer (zeros, step 0); the settings stay."""
        self._set_state(self._zeros())

    def state_dict(self) -> dict[str, Any]:
        """The state to save or restore: ``{"v W1": array, ...}`` (Adam: also ``"t"``).
        The arrays are the optimizer's own, read-only; nothing ever changes them."""
        return {k: v for k, v in self._state.items() if k not in ("bc1", "bc2")}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set the state from ``state_dict()``'s form, every entry checked first.
        Arrays may hold the inf/NaN of a diverged run."""
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a dict of named arrays, got {describe(state)}")
        wanted = self._state_names(state)
        if set(state) != set(wanted):
            raise ValueError(f"state must have exactly the keys {wanted}, got {sorted(state)}")
        new: dict[str, Any] = {}
        for key in wanted:
            if key == "t":
                new[key] = as_int("state['t']", state[key], minimum=0)
                continue
            shape = self._shapes[key.split(" ", 1)[1]]
            arr = np.array(state[key], dtype=np.float64)
            if arr.shape != shape:
                raise ValueError(f"state[{key!r}] must have shape {shape}, got {arr.shape}")
            new[key] = _frozen(arr)
        self._set_state(new)

    def install_state(self, state: Mapping[str, Any]) -> None:
        """Install a state this optimizer produced (``state_dict()`` of an undo
        snapshot) as it is: no copy, no check of the numbers."""
        wanted = self._state_names(state)
        if set(state) != set(wanted):
            raise ValueError(f"state must have exactly the keys {wanted}, got {sorted(state)}")
        self._set_state(dict(state))

    def _state_names(self, state: Mapping[str, Any]) -> list[str]:
        return [slot_key(s, p) for p in self._shapes for s in self.slots]

    def _set_state(self, state: dict[str, Any]) -> None:
        self._state = state
        self._version = object()

    def snapshot(self) -> tuple:
        """State, settings and version as they are (no copy), for ``restore``."""
        return (dict(self._state), self._settings(), self._version)

    def restore(self, snapshot: tuple) -> None:
        """Put back ``snapshot()`` exactly: traces made then show this optimizer's
        update again."""
        state, settings, version = snapshot
        self._state = dict(state)
        self._restore_settings(settings)
        self._rule = None
        self._version = version

    def _settings(self) -> tuple:
        return (self._lr,)

    def _restore_settings(self, settings: tuple) -> None:
        (self._lr,) = settings


class SGD(Optimizer):
    """``torch.optim.SGD(params, lr, momentum)``: with ``momentum`` μ > 0, each
    parameter P keeps a velocity ``v P`` (from 0): ``v' = μ·v + g``, ``P' = P − lr·v'``.
    With μ = 0 (the default), plain SGD ``P' = P − lr·g``, with no state.

    Parameters
    ----------
    net : MLP
    lr : float, greater than 0
    momentum : float, at least 0
    """

    slots = ("v",)

    def __init__(self, net: MLP, lr: float, momentum: float = 0.0) -> None:
        super().__init__(net, lr)
        self._momentum = nonnegative_finite("momentum", momentum)
        if self._momentum:
            self._state = self._zeros()

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "momentum" if self._momentum else "sgd"

    @property
    def momentum(self) -> float:
        """μ, the fraction of the velocity kept each step (at least 0; settable)."""
        return self._momentum

    @momentum.setter
    def momentum(self, value: float) -> None:
        momentum = nonnegative_finite("momentum", value)
        if momentum and not self._state:
            self._state = self._zeros()  # as torch, the velocity starts at 0
        self._momentum = momentum
        self._rule = None

    def _make_rule(self) -> UpdateRule:
        return UpdateRule(self.kind, self._lr, momentum=self._momentum)

    def shows(self, trace: Trace) -> bool:
        if not self._momentum:  # no state: any plain SGD trace at this lr will do
            rule, mine = trace.rule, self.rule()
            return rule is mine or rule == mine
        return super().shows(trace)

    def preview(self, values: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        lr, mu = self._lr, self._momentum
        for p, g in self._keys():
            if not mu:
                out[f"new {p}"] = SGD_UPDATE.forward(values[p], values[g], lr)
                continue
            v = slot_key("v", p)
            out[v] = self._state[v]
            out[f"new {v}"] = MOMENTUM.velocity(self._state[v], values[g], mu)
            out[f"new {p}"] = MOMENTUM.forward(values[p], out[f"new {v}"], lr)
        return out

    def _take(self, values: Mapping[str, Any]) -> None:
        if self._momentum:  # plain SGD has no state to change
            super()._take(values)

    def reset(self) -> None:
        # as a new torch SGD: a velocity (of zeros) only with momentum
        self._set_state(self._zeros() if self._momentum else {})

    def _state_names(self, state: Mapping[str, Any]) -> list[str]:
        if not state and not self._momentum:
            return []  # plain SGD that never had momentum: no velocity yet
        return super()._state_names(state)

    def _settings(self) -> tuple:
        return (self._lr, self._momentum)

    def _restore_settings(self, settings: tuple) -> None:
        self._lr, self._momentum = settings

    def __repr__(self) -> str:
        return f"SGD(lr={self._lr:g}, momentum={self._momentum:g})"


class Adam(Optimizer):
    """``torch.optim.Adam(params, lr, betas, eps)``: at step t (from 1), for every
    parameter P with gradient g, ``m' = β1·m + (1 − β1)·g``, ``v' = β2·v + (1 − β2)·g²``,
    ``m̂ = m'/(1 − β1ᵗ)``, ``v̂ = v'/(1 − β2ᵗ)``, ``P' = P − lr·m̂/(√v̂ + ε)``.

    The state: ``t`` (steps taken), ``m W1``, ``v W1``, ... (from 0); ``state`` also
    shows the current bias corrections ``bc1 = 1 − β1ᵗ`` and ``bc2 = 1 − β2ᵗ``.

    Parameters
    ----------
    net : MLP
    lr : float, greater than 0
    betas : (β1, β2), each in [0, 1)
    eps : float, greater than 0
    """

    kind = "adam"
    slots = ("m", "v")

    def __init__(self, net: MLP, lr: float = 0.001, betas: Sequence[float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        super().__init__(net, lr)
        self._betas = check_betas(betas)
        self._eps = positive_finite("eps", eps)
        self._state = {"t": 0, **self._zeros()}

    @property
    def betas(self) -> tuple[float, float]:
        """(β1, β2), the decay of the two moments (each in [0, 1); settable)."""
        return self._betas

    @betas.setter
    def betas(self, value: Sequence[float]) -> None:
        self._betas = check_betas(value)
        self._rule = None

    @property
    def eps(self) -> float:
        """ε, added to √v̂ so that the division is defined (greater than 0; settable)."""
        return self._eps

    @eps.setter
    def eps(self, value: float) -> None:
        self._eps = positive_finite("eps", value)
        self._rule = None

    @property
    def t(self) -> int:
        """Steps taken (the next step is step t + 1)."""
        return self._state["t"]

    @property
    def state(self) -> dict[str, Any]:
        t = self._state["t"]
        b1, b2 = self._betas
        return {"t": t, "bc1": ADAM.correction(b1, t), "bc2": ADAM.correction(b2, t),
                **{k: v for k, v in self._state.items() if k != "t"}}

    def _make_rule(self) -> UpdateRule:
        return UpdateRule("adam", self._lr, betas=self._betas, eps=self._eps)

    def preview(self, values: Mapping[str, Any]) -> dict[str, Any]:
        b1, b2 = self._betas
        t = self._state["t"] + 1
        c1, c2 = ADAM.correction(b1, t), ADAM.correction(b2, t)
        out: dict[str, Any] = {"t": t, "bc1": c1, "bc2": c2}
        for p, g in self._keys():
            m, v = slot_key("m", p), slot_key("v", p)
            out[m], out[v] = self._state[m], self._state[v]
            new_m = out[f"new {m}"] = ADAM.first_moment(self._state[m], values[g], b1)
            new_v = out[f"new {v}"] = ADAM.second_moment(self._state[v], values[g], b2)
            mhat = out[slot_key("mhat", p)] = ADAM.unbias(new_m, c1)
            vhat = out[slot_key("vhat", p)] = ADAM.unbias(new_v, c2)
            out[f"new {p}"] = ADAM.forward(values[p], mhat, vhat, self._lr, self._eps)
        return out

    def _take(self, values: Mapping[str, Any]) -> None:
        state: dict[str, Any] = {"t": int(values["t"])}
        for k in self._state:
            if k != "t":
                state[k] = _frozen(values[f"new {k}"])
        self._set_state(state)

    def reset(self) -> None:
        self._set_state({"t": 0, **self._zeros()})

    def _state_names(self, state: Mapping[str, Any]) -> list[str]:
        return ["t", *super()._state_names(state)]

    def _settings(self) -> tuple:
        return (self._lr, self._betas, self._eps)

    def _restore_settings(self, settings: tuple) -> None:
        self._lr, self._betas, self._eps = settings

    def __repr__(self) -> str:
        return f"Adam(lr={self._lr:g}, betas=({self._betas[0]:g}, {self._betas[1]:g}), eps={self._eps:g}, t={self.t})"


#: The optimizers by the name the Trainer and the playground use.
OPTIMIZERS = ("sgd", "momentum", "adam")


def make_optimizer(name: str, net: MLP, lr: float, momentum: float = 0.9,
                   betas: Sequence[float] = (0.9, 0.999), eps: float = 1e-8) -> Optimizer:
    """``"sgd"`` (plain), ``"momentum"`` (SGD with ``momentum`` > 0) or ``"adam"``."""
    if name == "sgd":
        return SGD(net, lr)
    if name == "momentum":
        momentum = nonnegative_finite("momentum", momentum)
        if not momentum > 0:
            raise ValueError("momentum must be greater than 0 for optimizer='momentum' "
                             f"(optimizer='sgd' is SGD without momentum), got {momentum!r}")
        return SGD(net, lr, momentum=momentum)
    if name == "adam":
        return Adam(net, lr, betas=betas, eps=eps)
    raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {describe(name)}")


__all__ = ["Optimizer", "SGD", "Adam", "OPTIMIZERS", "make_optimizer", "check_betas"]
