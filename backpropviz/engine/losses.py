"""Loss functions: value, gradient with respect to the net's output, and notation.

All reduce by the mean, as PyTorch does by default:

* ``"mse"``: ``torch.nn.MSELoss()``, the mean over every element of (H - Y)^2.
* ``"bce"``: ``torch.nn.BCELoss()`` on probabilities in [0, 1] (so the output layer
  is normally a Sigmoid); logs are clamped at -100 as PyTorch does.
* ``"cross_entropy"``: ``torch.nn.CrossEntropyLoss()``, softmax cross-entropy on the
  output taken as logits (so the output layer is normally Identity); targets are
  integer class labels of shape (N,) or (N, 1), or one-hot / probability rows of
  shape (N, C). The softmax probabilities are recorded in the trace as ``P``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import FLOAT64, describe, float_array, require_finite, surely_finite


def last_axis_max(a: np.ndarray) -> np.ndarray:
    """``a.max(axis=-1, keepdims=True)``, the same numbers, column by column.

    A net's output has a few columns, and NumPy reduces so short a last axis of a
    row-major array one row at a time: for the boundary's 10,000 x 3 class scores
    that took 0.5 ms, against 0.02 ms for two elementwise maxima of the columns.
    NaN wins, as in ``max``.
    """
    out = a[..., 0].copy()
    for j in range(1, a.shape[-1]):
        np.maximum(out, a[..., j], out=out)
    return out[..., None]


def last_axis_sum(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=-1, keepdims=True)`` column by column, for the same reason. Added
    left to right: NumPy's own order for up to 7 columns, so those sums are the
    same to the last bit (from 8 on, within rounding). Unlike ``sum``, a row of
    -0.0 gives -0.0, and ``a`` needs at least one column; neither can happen in a
    softmax (its exps are positive, and there are at least two classes)."""
    out = a[..., 0].copy()
    for j in range(1, a.shape[-1]):
        out += a[..., j]
    return out[..., None]


class Loss:
    """Base class. ``targets`` validates Y; ``forward`` and ``grad`` compute."""

    name: str = ""
    latex: str = ""
    text: str = ""
    grad_latex: str = ""
    grad_text: str = ""
    #: Names of extra intermediates this loss records (e.g. ``("P",)``).
    extras: tuple[str, ...] = ()
    #: What the mean runs over, N in the formulas: every ``"entries"`` of Y (rows x
    #: outputs), or its ``"rows"`` (cross-entropy sums the classes of a row first).
    mean_over: str = "entries"
    #: Its label on a graph node.
    label: str = ""

    def count(self, Y: np.ndarray) -> int:
        """N, what the loss divides by, for targets Y of shape (rows, outputs)."""
        return Y.size if self.mean_over == "entries" else Y.shape[0]

    def targets(self, Y: Any, rows: int, outputs: int) -> np.ndarray:
        """Y as a private finite float64 (rows, outputs) array, or a clear error."""
        if (
            type(Y) is np.ndarray and Y.dtype is FLOAT64 and Y.shape == (rows, outputs)
            and surely_finite(Y)
        ):
            return Y.copy()  # the common case, with as few calls as possible
        arr = float_array("Y", Y)
        if arr.ndim == 1 and outputs == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2 or arr.shape[1] != outputs:
            raise ValueError(
                f"Y must have shape ({rows}, {outputs}) (one row per row of X, one column "
                f"per output unit), got shape {arr.shape}"
            )
        if arr.shape[0] != rows:
            raise ValueError(
                f"Y must have one row per row of X ({rows}), got {arr.shape[0]} rows"
            )
        require_finite("Y", arr)
        return arr.copy() if arr is Y else arr

    def forward(self, H: np.ndarray, Y: np.ndarray, extras: dict[str, Any]) -> np.floating:
        """The loss (a scalar); may store intermediates named in ``extras``."""
        raise NotImplementedError

    def grad(self, H: np.ndarray, Y: np.ndarray, extras: dict[str, Any]) -> np.ndarray:
        """dL/dH for the output H, shape of H."""
        raise NotImplementedError

    def batch_forward(self, H: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """The loss of each of a stack of outputs H (G, rows, outputs) against Y, shape (G,)."""
        raise NotImplementedError

    def forward_grad(self, H: np.ndarray, Y: np.ndarray, extras: dict[str, Any]) -> tuple[np.floating, np.ndarray]:
        """``(forward(...), grad(...))``; subclasses may share work between the two."""
        loss = self.forward(H, Y, extras)
        return loss, self.grad(H, Y, extras)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Loss) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSELoss(Loss):
    name = "mse"
    label = "MSE"
    latex = r"L = \frac{1}{N}\sum ({h} - Y)^2,\quad N = \text{rows} \times \text{outputs}"
    text = "L = (1/N)·Σ ({h} − Y)²,  N = rows × outputs"
    grad_latex = (r"\frac{\partial L}{\partial {h}} = \frac{2\,({h} - Y)}{N},"
                  r"\quad N = \text{rows} \times \text{outputs}")
    grad_text = "dL/d{h} = 2·({h} − Y) / N,  N = rows × outputs"

    def forward(self, H: np.ndarray, Y: np.ndarray, extras: dict[str, Any]) -> np.floating:
        # The seed's np.mean((Y - H2) ** 2) to the last digit, without np.mean's
        # Python overhead: np.mean is this same sum divided by the count.
        d = Y - H
        return np.add.reduce(d * d, axis=None) / d.size

    def grad(self, H: np.ndarray, Y: np.ndarray, extras: dict[str, Any]) -> np.ndarray:
        return 2 * (H - Y) / H.size

    def forward_grad(self, H: np.ndarray, Y: np.ndarray, extras: dict[str, Any]) -> tuple[np.floating, np.ndarray]:
        # One difference serves both: (Y - H)**2 == (H - Y)**2 and 2*(H - Y) == -2*(Y - H)
        # bit for bit, so this equals the seed's two expressions to the last digit.
        d = H - Y
        return np.add.reduce(d * d, axis=None) / d.size, 2 * d / d.size

    def batch_forward(self, H: np.ndarray, Y: np.ndarray) -> np.ndarray:
        d = H - Y
        return np.mean(d * d, axis=(-2, -1))


class BCELoss(Loss):
    name = "bce"
    label = "BCE"
    latex = (r"L = -\frac{1}{N}\sum \big(Y \log {h} + (1 - Y)\log(1 - {h})\big),"
             r"\quad N = \text{rows} \times \text{outputs}")
    text = "L = −(1/N)·Σ (Y·log {h} + (1 − Y)·log(1 − {h})),  N = rows × outputs"
    grad_latex = (r"\frac{\partial L}{\partial {h}} = \frac{{h} - Y}{N\,{h}\,(1 - {h})},"
                  r"\quad N = \text{rows} \times \text{outputs}")
    grad_text = "dL/d{h} = ({h} − Y) / (N·{h}·(1 − {h})),  N = rows × outputs"

    def targets(self, Y: Any, rows: int, outputs: int) -> np.ndarray:
        arr = super().targets(Y, rows, outputs)
        if arr.min() < 0 or arr.max() > 1:
            raise ValueError(
                f"Y for loss='bce' must lie in [0, 1], got values in "
                f"[{arr.min():g}, {arr.max():g}]"
            )
        return arr

    @staticmethod
    def _check_predictions(H: np.ndarray) -> None:
        finite = H[np.isfinite(H)]
        if finite.size and (finite.min() < 0 or finite.max() > 1):
            raise ValueError(
                "loss='bce' needs the net's output in [0, 1] (use a Sigmoid output "
                f"layer), got outputs in [{finite.min():g}, {finite.max():g}]"
            )

    def forward(self, H: np.ndarray, Y: np.ndarray, extras: dict[str, Any]) -> np.floating:
        self._check_predictions(H)
        return -np.mean(self._log_likelihood(H, Y))

    @staticmethod
    def _log_likelihood(H: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Y·log H + (1 − Y)·log(1 − H), the logs clamped at −100 as PyTorch does."""
        with np.errstate(divide="ignore", invalid="ignore"):
            if np.all((Y == 0) | (Y == 1)):
                # Classes: each term is exactly one of the two logs (the other is
                # multiplied by 0), so take one log per value instead of two: the
                # same numbers (the loss landscape's stack of nets, twice as fast).
                ll = np.log(np.where(Y == 1, H, 1.0 - H))
                ll[(H < 0) | (H > 1)] = np.nan  # the other log is NaN there, and so is its term
                return np.maximum(ll, -100.0, out=ll)
            log_h = np.maximum(np.log(H), -100.0)
            log_1mh = np.maximum(np.log(1.0 - H), -100.0)
        return Y * log_h + (1.0 - Y) * log_1mh

    def batch_forward(self, H: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return -np.mean(self._log_likelihood(H, Y), axis=(-2, -1))

    def grad(self, H: np.ndarray, Y: np.ndarray, extras: dict[str, Any]) -> np.ndarray:
        return (H - Y) / np.maximum(H * (1.0 - H), 1e-12) / H.size


class CrossEntropyLoss(Loss):
    name = "cross_entropy"
    latex = (r"L = -\frac{1}{N}\sum_{n}\sum_{c} Y_{nc} \log P_{nc},\quad P = \mathrm{softmax}({h}),"
             r"\quad N = \text{rows}")
    text = "L = −(1/N)·Σ Y·log P,  P = softmax({h}) row by row,  N = rows"
    grad_latex = r"\frac{\partial L}{\partial {h}} = \frac{P - Y}{N},\quad N = \text{rows}"
    grad_text = "dL/d{h} = (P − Y) / N,  N = rows"
    extras = ("P",)
    mean_over = "rows"
    label = "CE"

    def targets(self, Y: Any, rows: int, outputs: int) -> np.ndarray:
        if outputs < 2:
            raise ValueError(
                "loss='cross_entropy' needs at least 2 output units (one per class), "
                f"the net has {outputs}; use loss='bce' for one output"
            )
        arr = float_array("Y", Y)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim == 1:
            if arr.shape[0] != rows:
                raise ValueError(
                    f"Y must have one label per row of X ({rows}), got {arr.shape[0]}"
                )
            require_finite("Y", arr)
            if arr.min() < 0 or arr.max() > outputs - 1 or np.any(arr != np.round(arr)):
                raise ValueError(
                    f"Y class labels must be whole numbers in 0..{outputs - 1}, got "
                    f"values in [{arr.min():g}, {arr.max():g}]"
                )
            labels = arr.astype(np.int64)
            onehot = np.zeros((rows, outputs))
            onehot[np.arange(rows), labels] = 1.0
            return onehot
        arr = super().targets(arr, rows, outputs)
        if arr.min() < 0 or not np.allclose(arr.sum(axis=1), 1.0):
            raise ValueError(
                "Y rows for loss='cross_entropy' must be one-hot or class probabilities "
                "(non-negative, summing to 1)"
            )
        return arr

    @staticmethod
    def _softmax(H: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P, shifted, total): softmax over the last axis, computed stably."""
        shifted = H - last_axis_max(H)
        exp = np.exp(shifted)
        total = last_axis_sum(exp)
        return exp / total, shifted, total

    @staticmethod
    def _log_softmax(H: np.ndarray) -> np.ndarray:
        """log P over the last axis, ``shifted - log(total)`` as ``forward`` takes it
        from ``_softmax``, without computing P itself."""
        shifted = H - last_axis_max(H)
        shifted -= np.log(last_axis_sum(np.exp(shifted)))
        return shifted

    def probabilities(self, H: np.ndarray) -> np.ndarray:
        """P = softmax(H) row by row: the class probabilities the loss scores."""
        return self._softmax(H)[0]

    def forward(self, H: np.ndarray, Y: np.ndarray, extras: dict[str, Any]) -> np.floating:
        extras["P"], shifted, total = self._softmax(H)
        log_p = shifted - np.log(total)
        return -np.sum(Y * log_p) / H.shape[0]

    def batch_forward(self, H: np.ndarray, Y: np.ndarray) -> np.ndarray:
        log_p = self._log_softmax(H)
        # Y laid out in memory as one net's log P is (a landscape's come unit first):
        # the product then runs through both in order, four times faster. A slice of
        # one net (none, for an empty stack), in the dtype forward would use.
        Y_like = np.empty_like(log_p[(slice(0, 1),) * (log_p.ndim - 2)],
                               dtype=np.result_type(log_p, Y))
        Y_like[...] = Y
        return -np.sum(Y_like * log_p, axis=(-2, -1)) / H.shape[-2]

    def grad(self, H: np.ndarray, Y: np.ndarray, extras: dict[str, Any]) -> np.ndarray:
        return (extras["P"] - Y) / H.shape[0]


LOSSES: dict[str, Loss] = {
    loss.name: loss for loss in (MSELoss(), BCELoss(), CrossEntropyLoss())
}


def get_loss(spec: Any) -> Loss:
    """A ``Loss`` from an instance or one of the names in ``LOSSES``."""
    if isinstance(spec, Loss):
        return spec
    if isinstance(spec, str):
        loss = LOSSES.get(spec)
        if loss is None:
            loss = LOSSES.get(spec.lower())
        if loss is None:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {spec!r}")
        return loss
    raise TypeError(f"loss must be one of the names {sorted(LOSSES)}, got {describe(spec)}")
