"""A small multilayer perceptron in PyTorch's layout, with every intermediate exposed.

Layer ``l`` (counting from 1) has ``layer{l}.weight`` of shape (out, in) and
``layer{l}.bias`` of shape (out,), and computes ``Z = H_prev @ W.T + B`` then
``H = f(Z)``. ``MLP.trace`` runs one forward and backward pass and returns a
``Trace`` of every intermediate (with ``l1``/``l2``, of the regularised loss;
with an ``optimizer`` from ``optim.py``, of its update); ``MLP.sgd_step`` applies
``W <- W - lr * dL/dW``.

Parameter arrays are never modified in place: an update binds new (read-only)
arrays, so a trace taken earlier keeps the numbers it was computed with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import inf
from typing import Any, NamedTuple

import numpy as np

from ._checks import (FLOAT64, as_int, describe, float_array, matrix, penalty_weights, positive_finite,
                      require_finite, surely_finite)
from .activations import Activation, get_activation
from .limits import MAX_DATA_ENTRIES, MAX_ROWS, check_data_shape, check_sizes
from .losses import get_loss
from .ops import LINEAR, PENALTY, SGD_UPDATE
from .trace import DATA_LOSS, PENALTY_KEY, Trace, UpdateRule, build_schema, param_name, part_key



class LayerKeys(NamedTuple):
    """The trace keys of layer l's intermediates: ``LayerKeys.of(1).dZ == "dL/dZ1"``."""

    W: str
    B: str
    Z: str
    H: str
    dH: str
    local: str
    dZ: str
    dW: str
    dB: str
    new_W: str
    new_B: str
    dW_data: str
    dW_penalty: str

    @classmethod
    def of(cls, l: int) -> "LayerKeys":
        return cls(f"W{l}", f"B{l}", f"Z{l}", f"H{l}", f"dL/dH{l}", f"dH{l}/dZ{l}",
                   f"dL/dZ{l}", f"dL/dW{l}", f"dL/dB{l}", f"new W{l}", f"new B{l}",
                   part_key(f"dL/dW{l}", "data"), part_key(f"dL/dW{l}", "penalty"))


#: ``optim.Optimizer``, imported on first use (optim.py imports this module).
_Optimizer: Any = None


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


class MLP:
    """A fully connected net with sizes such as ``[2, 2, 1]`` (inputs, hidden..., outputs).

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, inputs first: ``[2, 2, 1]`` is the seed's 2-2-1 net.
    activation : Activation, str, or a sequence of them
        One activation for every layer, or a list with one per layer (hidden
        layers first, the output layer last). Names: ``"relu"``,
        ``"leaky_relu"``, ``"tanh"``, ``"sigmoid"``, ``"identity"``.
    seed : int or None
        Seed of the random initialisation, drawn as PyTorch's ``nn.Linear`` does:
        every weight and bias uniform in ``[-1/sqrt(in), 1/sqrt(in)]``.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: Any = "tanh",
        seed: int | None = None,
    ) -> None:
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
            raise TypeError(f"sizes must be a list of layer sizes such as [2, 2, 1], got {describe(sizes)}")
        if len(sizes) < 2:
            raise ValueError(
                f"sizes must list at least an input and an output size, such as [2, 1], got {list(sizes)!r}"
            )
        if len(sizes) > 64:  # far above the cap: refuse before looking at each entry
            check_sizes("sizes", tuple(range(len(sizes))))
        self.sizes = tuple(as_int(f"sizes[{i}]", s, minimum=1) for i, s in enumerate(sizes))
        check_sizes("sizes", self.sizes)
        n = len(self.sizes) - 1
        if isinstance(activation, (list, tuple)):
            if len(activation) != n:
                raise ValueError(
                    f"activation must be one activation or a list of {n} (one per layer), "
                    f"got a list of {len(activation)}"
                )
            acts = tuple(get_activation(a, f"activation[{i}]") for i, a in enumerate(activation))
        else:
            acts = (get_activation(activation),) * n
        self.activations: tuple[Activation, ...] = acts
        if seed is not None:
            seed = as_int("seed", seed, minimum=0)
        self.seed = seed
        self._keys = [LayerKeys.of(l) for l in range(1, n + 1)]
        self._schemas: dict[tuple[str, str | None, bool], tuple] = {}
        self._W: list[np.ndarray] = []
        self._B: list[np.ndarray] = []
        self.reset_parameters(seed)

    # ------------------------------------------------------------------ parameters

    @property
    def num_layers(self) -> int:
        """Number of weight layers (2 for the 2-2-1 net)."""
        return len(self.sizes) - 1

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of every parameter, by PyTorch name, in state-dict order."""
        shapes: dict[str, tuple[int, ...]] = {}
        for l in range(1, self.num_layers + 1):
            fan_in, fan_out = self.sizes[l - 1], self.sizes[l]
            shapes[param_name(l, "W")] = (fan_out, fan_in)
            shapes[param_name(l, "B")] = (fan_out,)
        return shapes

    def reset_parameters(self, seed: int | None = None) -> None:
        """Draw fresh weights as ``nn.Linear`` does, from ``seed`` (None: unseeded)."""
        rng = np.random.default_rng(seed)
        W, B = [], []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            bound = 1.0 / np.sqrt(fan_in)
            W.append(_frozen(rng.uniform(-bound, bound, size=(fan_out, fan_in))))
            B.append(_frozen(rng.uniform(-bound, bound, size=fan_out)))
        self._W, self._B = W, B
        self._version = object()

    @property
    def version(self) -> object:
        """Which parameters the net has: a new object whenever they change (a trace
        remembers the version it was computed from)."""
        return self._version

    def layers(self) -> list[tuple[np.ndarray, np.ndarray, Activation]]:
        """(W, B, activation) of every layer, the arrays read-only and not copied:
        for code that evaluates the net its own way (a grid, a landscape)."""
        return list(zip(self._frozen_W(), self._frozen_B(), self.activations))

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, by PyTorch name (``"layer1.weight"``, ...)."""
        out: dict[str, np.ndarray] = {}
        for l, (W, B) in enumerate(zip(self._W, self._B), 1):
            out[param_name(l, "W")] = W.copy()
            out[param_name(l, "B")] = B.copy()
        return out

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter from ``state``; all are checked before any is set."""
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a dict of parameter arrays, got {describe(state)}")
        shapes = self.parameter_shapes()
        missing = [k for k in shapes if k not in state]
        extra = [k for k in state if k not in shapes]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {missing}")
            if extra:
                parts.append(f"unexpected {extra}")
            raise ValueError(
                f"state must have exactly the keys {list(shapes)}; " + ", ".join(parts)
            )
        arrays = {}
        for key, shape in shapes.items():
            arr = float_array(key, state[key])
            if arr.shape != shape:
                raise ValueError(f"{key} must have shape {shape}, got {arr.shape}")
            require_finite(key, arr)
            arrays[key] = _frozen(np.array(arr, dtype=np.float64, copy=True))
        self._W = [arrays[param_name(l, "W")] for l in range(1, self.num_layers + 1)]
        self._B = [arrays[param_name(l, "B")] for l in range(1, self.num_layers + 1)]
        self._version = object()

    def install_parameters(self, state: Mapping[str, np.ndarray]) -> None:
        """Install parameters the engine itself produced (an undo snapshot), as they
        are: unlike ``load_state_dict`` this accepts the inf/NaN of a diverged run.
        Shapes are checked before anything is set."""
        shapes = self.parameter_shapes()
        arrays = {}
        for key, shape in shapes.items():
            arr = np.array(state[key], dtype=np.float64)
            if arr.shape != shape:
                raise ValueError(f"{key} must have shape {shape}, got {arr.shape}")
            arrays[key] = _frozen(arr)
        n = self.num_layers
        self._W = [arrays[param_name(l, "W")] for l in range(1, n + 1)]
        self._B = [arrays[param_name(l, "B")] for l in range(1, n + 1)]
        self._version = object()

    def snapshot(self) -> tuple:
        """The current parameters as they are (read-only arrays, no copy), for ``restore``."""
        return (tuple(self._frozen_W()), tuple(self._frozen_B()), self._version)

    # Arrays are frozen on their way out of the net (a step's new ones arrive
    # frozen from the trace; an optimizer's are frozen as it installs them).
    def _frozen_W(self) -> list[np.ndarray]:
        return [_frozen(W) for W in self._W]

    def _frozen_B(self) -> list[np.ndarray]:
        return [_frozen(B) for B in self._B]

    def restore(self, snapshot: tuple) -> None:
        """Put back the parameters of ``snapshot()`` exactly: traces taken then are
        again traces of the current parameters (the numbers are the same)."""
        W, B, version = snapshot
        self._W, self._B, self._version = list(W), list(B), version

    def install_update(self, new: Mapping[str, np.ndarray]) -> None:
        """Bind ``new["new W1"]``, ``new["new B1"]``, ... (a trace's update, or an
        optimizer's) as the parameters, as they are: no copy, made read-only."""
        if isinstance(new, Trace) and new.version is self._version:  # this net's: shapes are right
            self._W = [_frozen(new[k.new_W]) for k in self._keys]
            self._B = [_frozen(new[k.new_B]) for k in self._keys]
            self._version = object()
            return
        W, B = [], []
        for k, w, b in zip(self._keys, self._W, self._B):
            for name, arr, old, out in ((k.new_W, new[k.new_W], w, W), (k.new_B, new[k.new_B], b, B)):
                if type(arr) is not np.ndarray or arr.shape != old.shape:
                    raise ValueError(f"{name} must be an array of shape {old.shape}, got {describe(arr)}")
                out.append(_frozen(arr))
        self._W, self._B = W, B
        self._version = object()

    def copy(self) -> "MLP":
        """An independent net with the same layers and parameters."""
        twin = MLP(self.sizes, list(self.activations), seed=0)
        twin._W, twin._B, twin.seed = list(self._W), list(self._B), self.seed
        return twin

    # ------------------------------------------------------------------ passes

    def _check_X(self, X: Any) -> np.ndarray:
        """X as a private finite float64 (rows, inputs) array, or a clear error.

        Call it with overflow warnings off: a sum of squares that overflows only
        sends X down the slow path, which checks every entry."""
        if (
            type(X) is np.ndarray and X.dtype is FLOAT64 and X.ndim == 2
            and X.shape[1] == self.sizes[0] and 0 < X.shape[0] <= MAX_ROWS
            and X.size <= MAX_DATA_ENTRIES and surely_finite(X)
        ):
            return X.copy()  # the common case, with as few calls as possible
        if isinstance(X, np.ndarray):
            check_data_shape("X", X.shape)
        arr = matrix("X", X, self.sizes[0], f" (one per input unit of the {self.arch} net)")
        check_data_shape("X", arr.shape)
        return arr.copy() if arr is X else arr

    def forward(self, X: Any) -> np.ndarray:
        """The net's output for the rows of X, shape (rows, outputs)."""
        with np.errstate(over="ignore", invalid="ignore"):
            H = self._check_X(X)
            for W, B, f in zip(self._W, self._B, self.activations):
                H = f.forward(LINEAR.forward(H, W, B))
        return H

    predict = forward

    def trace(self, X: Any, Y: Any, loss: Any = "mse", lr: float | None = None, *,
              l1: float = 0.0, l2: float = 0.0, optimizer: Any = None) -> Trace:
        """One forward and backward pass over the batch (X, Y); every intermediate kept.

        Parameters
        ----------
        X : array-like, shape (rows, inputs)
        Y : array-like, shape (rows, outputs); for ``"cross_entropy"`` also class
            labels of shape (rows,)
        loss : ``"mse"``, ``"bce"``, ``"cross_entropy"`` or a ``Loss``
        lr : float, optional
            When given, the trace also holds the SGD update (``new W1``, ...) and
            its steps; ``sgd_step`` then installs exactly those arrays.
        l1, l2 : float, optional
            Weights of the L1 and L2 penalty on every layer's weights (not the
            biases): ``loss`` becomes ``data loss + penalty``, with
            ``penalty = l1·Σ|W| + l2·ΣW²``, and ``dL/dW1`` becomes
            ``dL/dW1 (data) + dL/dW1 (penalty)``. Both 0 (the default): no penalty.
        optimizer : ``optim.SGD`` or ``optim.Adam`` built on this net, optional
            When given (instead of ``lr``), the trace holds the optimizer's update
            computed from its current state, which is left unchanged (velocity
            ``new v W1``; Adam's ``t``, ``bc1``, ``bc2``, ``new m W1``,
            ``new v W1``, ``mhat W1``, ``vhat W1``; then ``new W1``);
            ``optimizer.step`` then installs exactly those arrays.
        """
        # One errstate for the whole pass (entering one costs a microsecond): an
        # overflowing sum only sends X down the checked path, and a diverged net's
        # inf/NaN are reported by the trace, not warned about.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._trace(X, Y, loss, lr, l1, l2, optimizer)

    def _trace(self, X: Any, Y: Any, loss: Any, lr: float | None, l1: float, l2: float,
               optimizer: Any) -> Trace:
        loss_fn = get_loss(loss)
        X = self._check_X(X)
        Yt = loss_fn.targets(Y, X.shape[0], self.sizes[-1])
        if lr is not None:
            lr = positive_finite("lr", lr)
        penalty = False
        if not (type(l1) is float and type(l2) is float and l1 == 0.0 and l2 == 0.0):
            l1, l2 = penalty_weights(l1, l2)  # anything but two float zeros is checked
            penalty = bool(l1 or l2)
        rule, optimizer_version = None, None
        if optimizer is not None:
            rule, optimizer_version = self._check_optimizer(optimizer, lr)
            lr = rule.lr
        sgd = lr is not None and (rule is None or rule.kind == "sgd")
        v: dict[str, Any] = {"X": X, "Y": Yt}
        layers = []
        H = X
        linear, backward, update = LINEAR.forward, LINEAR.backward, SGD_UPDATE.forward
        for k, W, B, f in zip(self._keys, self._W, self._B, self.activations):
            H_prev = H
            Z = linear(H_prev, W, B)
            H = f.forward(Z)
            layers.append((k, W, B, f, H_prev, Z, H))
            v[k.W], v[k.B], v[k.Z], v[k.H] = W, B, Z, H
        if penalty:
            v[DATA_LOSS], dH = loss_fn.forward_grad(H, Yt, v)
            v[PENALTY_KEY] = PENALTY.forward(self._W, l1, l2)
            v["loss"] = v[DATA_LOSS] + v[PENALTY_KEY]
        else:
            v["loss"], dH = loss_fn.forward_grad(H, Yt, v)
        # One pass from the output back: dL/dH, f'(Z), dL/dZ, dL/dW, dL/dB (and the update).
        for k, W, B, f, H_prev, Z, H in reversed(layers):
            local = f.derivative(Z, H)
            dZ = dH * local
            dH_prev, dW, dB = backward(dZ, H_prev, W, H_prev is not X)
            if penalty:
                v[k.dH], v[k.local], v[k.dZ] = dH, local, dZ
                v[k.dW_data], v[k.dW_penalty] = dW, PENALTY.gradient(W, l1, l2)
                dW = dW + v[k.dW_penalty]
            v[k.dH], v[k.local], v[k.dZ], v[k.dW], v[k.dB] = dH, local, dZ, dW, dB
            if sgd:
                v[k.new_W] = update(W, dW, lr)
                v[k.new_B] = update(B, dB, lr)
            dH = dH_prev
        if rule is not None and not sgd:
            v.update(optimizer.preview(v))
        update = rule.kind if rule is not None else ("sgd" if lr is not None else None)
        schema_key = (loss_fn.name, update, penalty)
        schema = self._schemas.get(schema_key)
        if schema is None:
            schema = self._schemas[schema_key] = build_schema(
                self.sizes, self.activations, loss_fn, update, penalty
            )
        if rule is None and not penalty:
            return Trace(v, schema, self.sizes, self.activations, loss_fn, lr, self._version)
        return Trace(v, schema, self.sizes, self.activations, loss_fn, lr, self._version,
                     rule, l1 if penalty else 0.0, l2 if penalty else 0.0, optimizer_version)

    def _check_optimizer(self, optimizer: Any, lr: float | None) -> tuple[UpdateRule, object]:
        """The update rule and state version of ``optimizer``, or a clear error."""
        global _Optimizer
        if _Optimizer is None:
            from .optim import Optimizer as _Optimizer  # here: optim.py imports this module
        if not isinstance(optimizer, _Optimizer):
            raise TypeError(f"optimizer must be a bpv.optim.SGD or bpv.optim.Adam, got {describe(optimizer)}")
        if optimizer.net is not self:
            raise ValueError("optimizer must be built on this net (bpv.optim.SGD(net, ...)), "
                             "got one built on another net")
        if lr is not None:
            raise ValueError(f"give lr or optimizer, not both: the optimizer has its own lr "
                             f"({optimizer.lr:g}), got lr={lr:g} too")
        return optimizer.rule(), optimizer.version

    def sgd_step(self, trace: Trace, lr: float | None = None) -> None:
        """Plain SGD, ``W <- W - lr * dL/dW`` for every parameter, from ``trace``.

        ``trace`` must come from this net's current parameters (trace again after
        changing them). ``lr`` defaults to the one the trace was made with.
        A step that overflows is applied as it is: the next trace shows inf/NaN.
        """
        if not isinstance(trace, Trace):
            raise TypeError(f"trace must be a Trace from MLP.trace, got {describe(trace)}")
        if trace.version is not self._version:
            raise ValueError(
                "trace must be computed from this net's current parameters; they have "
                "changed since (or the trace is another net's): call net.trace again"
            )
        if lr is None:
            if trace.lr is None:
                raise ValueError("lr is required: pass sgd_step(trace, lr=...) or trace(..., lr=...)")
            lr = trace.lr
        elif not (type(lr) is float and 0.0 < lr < inf):
            lr = positive_finite("lr", lr)
        if lr == trace.lr and trace.update_kind == "sgd":  # exactly the arrays the trace shows
            W, B = trace.updated_arrays()
        else:
            dW, dB = trace.gradient_arrays()
            update = SGD_UPDATE.forward
            with np.errstate(over="ignore", invalid="ignore"):
                W = [update(w, g, lr) for w, g in zip(self._W, dW)]
                B = [update(b, g, lr) for b, g in zip(self._B, dB)]
        self._W, self._B = W, B
        self._version = object()

    # ------------------------------------------------------------------ description

    @property
    def arch(self) -> str:
        """The layer sizes as ``"2-2-1"``."""
        return "-".join(map(str, self.sizes))

    def config(self) -> dict[str, Any]:
        """Sizes, activations and seed, JSON-ready (no parameters)."""
        return {
            "sizes": list(self.sizes),
            "activation": [a.config() for a in self.activations],
            "seed": self.seed,
        }

    def __repr__(self) -> str:
        acts = self.activations
        act = repr(acts[0]) if all(a == acts[0] for a in acts) else repr(list(acts))
        return f"MLP({list(self.sizes)}, activation={act})"
