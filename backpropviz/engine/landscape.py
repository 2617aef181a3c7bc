"""The loss over a 2-D slice of parameter space: two parameters varied, the rest fixed.

All grid points are evaluated in one batched forward pass (a leading grid axis
on every array), not one pass per point. With ``l1``/``l2`` the loss is the data
loss plus the penalty on the weights, as in ``MLP.trace``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import as_int, positive_finite
from .limits import MAX_LANDSCAPE, check_count
from .ops import LINEAR, PENALTY
from .losses import get_loss
from .mlp import MLP
from .paths import parse_entry
from .trace import grad_key


@dataclass(frozen=True)
class LossSlice:
    """``loss[i, j]`` at ``a = a_values[j]``, ``b = b_values[i]`` (rows are b)."""

    a: tuple[str, tuple[int, ...]]
    b: tuple[str, tuple[int, ...]]
    a_values: np.ndarray
    b_values: np.ndarray
    loss: np.ndarray
    centre: tuple[float, float]
    gradient: tuple[float, float]


def loss_slice(net: MLP, X: Any, Y: Any, loss: str, a: tuple[str, Any], b: tuple[str, Any],
               span: float = 1.0, resolution: int = 41, l1: float = 0.0,
               l2: float = 0.0, around: tuple[float, float] | None = None) -> LossSlice:
    """The loss with parameter entries ``a`` and ``b`` (e.g. ``("layer1.weight", (0, 1))``)
    moved by up to ``span`` either side of their current values; with ``l1``, ``l2``
    the loss includes the penalty ``l1·Σ|W| + l2·ΣW²`` (and so does the gradient).

    ``around=(a0, b0)`` centres the window on those values instead (the slice still
    goes through the current weights: every other parameter keeps its value, and
    ``centre`` is where the net is now), so a picture can stay put while a weight
    moves across it."""
    span = positive_finite("span", span)
    if around is not None:
        if (not isinstance(around, (tuple, list)) or len(around) != 2
                or not all(isinstance(v, (int, float, np.floating, np.integer)) and np.isfinite(v)
                           for v in around)):
            raise ValueError(f"around must be a pair of finite numbers (a, b), got {around!r}")
    resolution = check_count("resolution", as_int("resolution", resolution, minimum=3),
                             MAX_LANDSCAPE, "points per side")
    loss_name = get_loss(loss).name
    t = net.trace(X, Y, loss=loss_name, l1=l1, l2=l2)
    la, ka, ia = parse_entry(t, a[0], a[1])
    lb, kb, ib = parse_entry(t, b[0], b[1])
    if (a[0], ia) == (b[0], ib):
        raise ValueError(f"a and b must be two different parameter entries, got {a[0]}{list(ia)} twice")
    state = net.state_dict()
    ca, cb = float(state[a[0]][ia]), float(state[b[0]][ib])
    wa, wb = (ca, cb) if around is None else (float(around[0]), float(around[1]))
    av = wa + np.linspace(-span, span, resolution)
    bv = wb + np.linspace(-span, span, resolution)
    A, B = np.meshgrid(av, bv)  # (res, res), rows are b
    G = A.size
    loss_fn = get_loss(loss_name)
    # The nets of the grid share everything up to the first layer that varies, and
    # there they differ only in the one or two units whose weight or bias varies:
    # H is one (rows, units) array while the nets agree, with ``varied`` = (those
    # units, their outputs in every net (G, rows, k)) after that layer, and a
    # stack (G, rows, units) from the layer after on.
    H: np.ndarray = t["X"]
    varied: tuple[list[int], np.ndarray] | None = None
    weights = []  # every layer's W, a stack (G, out, in) where it varies
    with np.errstate(all="ignore"):
        for l, (W, Bias, f) in enumerate(net.layers(), 1):
            here = l in (la, lb)
            W0, B0 = W, Bias
            if here:  # this layer's W and B differ from one grid point to the next
                W = np.broadcast_to(W, (G, *W.shape)).copy()
                Bias = np.broadcast_to(Bias, (G, *Bias.shape)).copy()
                units = set()
                for (name, idx, vals) in ((a[0], ia, A.ravel()), (b[0], ib, B.ravel())):
                    if name == f"layer{l}.weight":
                        W[(slice(None), *idx)] = vals
                        units.add(idx[0])
                    elif name == f"layer{l}.bias":
                        Bias[(slice(None), *idx)] = vals
                        units.add(idx[0])
            weights.append(W)
            if here and H.ndim == 2 and varied is None:
                u = sorted(units)  # only these units' outputs differ between the nets
                Zu = np.matmul(W[:, u, :], H.T).transpose(0, 2, 1) + Bias[:, None, u]
                H, varied = f.forward(LINEAR.forward(H, W0, B0)), (u, f.forward(Zu))
                continue
            if varied is not None and not here:  # the nets' differences in a few units, spread
                u, Hu = varied
                Z = LINEAR.forward(H, W, Bias) + np.matmul(Hu - H[:, u], W[:, u].T)
                H, varied = f.forward(Z), None
                continue
            if varied is not None:
                H = _spread(H, varied, G)
                varied = None
            H = f.forward(LINEAR.forward(H, W, Bias))
        if varied is not None:
            H = _spread(H, varied, G)
        values = loss_fn.batch_forward(H, t["Y"])
        if t.l1 or t.l2:
            values = values + PENALTY.forward(weights, t.l1, t.l2)
        values = values.reshape(A.shape)
    grad = (float(t[grad_key(a[0])][ia]), float(t[grad_key(b[0])][ib]))
    return LossSlice((a[0], ia), (b[0], ib), av, bv, values, (ca, cb), grad)


def _spread(H: np.ndarray, varied: tuple[list[int], np.ndarray], G: int) -> np.ndarray:
    """The stack (G, rows, units) of layer outputs H shared by every net but in ``varied``."""
    units, Hu = varied
    out = np.broadcast_to(H, (G, *H.shape)).copy()
    out[..., units] = Hu
    return out
