"""The loss over a 2-D slice of parameter space: two parameters varied, the rest fixed.

All grid points are evaluated in one batched forward pass (a nets axis on every
array that differs between them), not one pass per point. With ``l1``/``l2`` the loss is the data
loss plus the penalty on the weights, as in ``MLP.trace``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import as_int, positive_finite
from .grid import matmul_one_thread
from .limits import MAX_LANDSCAPE, check_count
from .ops import PENALTY
from .losses import get_loss
from .mlp import MLP
from .paths import parse_entry
from .trace import Trace, grad_key


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
               l2: float = 0.0, around: tuple[float, float] | None = None,
               dtype: Any = np.float64) -> LossSlice:
    """The loss with parameter entries ``a`` and ``b`` (e.g. ``("layer1.weight", (0, 1))``)
    moved by up to ``span`` either side of their current values; with ``l1``, ``l2``
    the loss includes the penalty ``l1·Σ|W| + l2·ΣW²`` (and so does the gradient).

    ``around=(a0, b0)`` centres the window on those values instead (the slice still
    goes through the current weights: every other parameter keeps its value, and
    ``centre`` is where the net is now), so a picture can stay put while a weight
    moves across it.

    ``dtype=np.float32`` computes the layers from the first varied one on in
    single precision, up to the output layer's Z; the output activation and the
    loss stay in double (a saturated sigmoid keeps BCE's large finite loss).
    About twice as fast, and the loss within a few millionths of double
    precision, far finer than a colour step of a picture. The default,
    ``np.float64``, gives the loss ``net.trace`` gives at every grid point, to
    12 significant digits (the slice computes all its nets at once, adding in
    another order, so the last bits can differ)."""
    span = positive_finite("span", span)
    try:  # np.dtype(None) is float64: None is refused like any other non-name
        work = None if dtype is None else np.dtype(dtype)
    except TypeError:
        work = None
    if work not in (np.float64, np.float32):
        raise ValueError(f"dtype must be np.float64 or np.float32, got {dtype!r}")
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
    layers = list(net.layers())
    # The layers whose W and B differ from one grid point to the next: their
    # stacks (G, out, in) and (G, out), and the units whose weight or bias varies.
    stacks: dict[int, tuple[np.ndarray, np.ndarray, list[int]]] = {}
    for l in sorted({la, lb}):
        W, Bias, _ = layers[l - 1]
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
        stacks[l] = (W, Bias, sorted(units))
    loss_fn = get_loss(loss_name)
    with np.errstate(all="ignore"):
        values = loss_fn.batch_forward(_outputs(t, layers, stacks, work), t["Y"])
        if t.l1 or t.l2:
            weights = [stacks[l][0] if l in stacks else W for l, (W, _, _) in enumerate(layers, 1)]
            values = values + PENALTY.forward(weights, t.l1, t.l2)
    values = values.reshape(A.shape)
    grad = (float(t[grad_key(a[0])][ia]), float(t[grad_key(b[0])][ib]))
    return LossSlice((a[0], ia), (b[0], ib), av, bv, values, (ca, cb), grad)


def _outputs(t: Trace, layers: list, stacks: dict, dtype: np.dtype) -> np.ndarray:
    """The outputs (nets, rows, outputs) of the grid's nets. Every net agrees with
    the trace ``t`` (the current weights) up to the first layer that varies; from
    there on they are computed in ``dtype`` up to the output layer's Z, its
    activation (and so the loss) in float64.

    There the nets differ only in the one or two units whose weight or bias
    varies: ``varied`` = (those units, their outputs in every net (k, nets,
    rows)), the other units' outputs are the trace's. From the layer after on,
    H is a stack (units, nets, rows): unit first, so that a layer is one matrix
    product with a long inner dimension and every elementwise step runs over
    long rows (the (nets, rows, units) order made numpy's loops 8 values long,
    three times slower)."""
    first = min(stacks)
    last = len(layers)
    H = t["X"] if first == 1 else t[f"H{first - 1}"]
    Ws, Bs, units = stacks[first]
    f = layers[first - 1][2]
    work = dtype if first < last else np.dtype(np.float64)
    # (k, nets, in): one product for every net and unit
    Wu = Ws[:, units, :].transpose(1, 0, 2).astype(work, copy=False)
    Zu = matmul_one_thread(Wu.reshape(-1, Wu.shape[-1]), H.T.astype(work, copy=False))
    Zu = Zu.reshape(len(units), len(Ws), len(H))
    Zu += Bs[:, units].T.astype(work)[:, :, None]
    varied: tuple[list[int], np.ndarray] | None = (units, f.forward_in_place(Zu))
    H = t[f"H{first}"].astype(work, copy=False)
    for l in range(first + 1, last + 1):
        W, Bias, f = layers[l - 1]
        if varied is not None and l not in stacks:  # the nets' differences in a few units, spread
            u, Hu = varied
            change = Hu - H[:, u].T[:, None, :]  # (k, nets, rows): Z = the trace's Z + W[:, u] @ change
            base = t[f"Z{l}"].astype(work, copy=False)
            Wv = W[:, u].astype(work)  # work-type scalars: a float64 one makes the product float64
            Z = np.empty((W.shape[0], *Hu.shape[1:]), dtype=work)
            for o in range(W.shape[0]):
                np.multiply(change[0], Wv[o, 0], out=Z[o])
                for j in range(1, len(u)):
                    Z[o] += change[j] * Wv[o, j]
                Z[o] += base[:, o]
        else:
            if varied is not None:
                H, varied = _spread(H, varied), None
            Ws, Bs, _ = stacks.get(l, (W, Bias, None))
            Z = _linear_stack(H, Ws.astype(work, copy=False), Bs.astype(work, copy=False))
        if l == last:
            Z = Z.astype(np.float64, copy=False)
        H, varied = f.forward_in_place(Z), None
    if varied is not None:
        H = _spread(H, varied)
    return H.transpose(1, 2, 0)


def _linear_stack(H: np.ndarray, W: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Z = W @ H + B for every net of a stack H (in, nets, rows): ``LINEAR`` in the
    unit-first layout, with one W (out, in) for all the nets, as one product, or
    one per net (nets, out, in), with B (nets, out)."""
    if W.ndim == 3:
        return np.matmul(W, H.transpose(1, 0, 2)).transpose(1, 0, 2) + B.T[:, :, None]
    Z = matmul_one_thread(W, H.reshape(H.shape[0], -1)).reshape(W.shape[0], *H.shape[1:])
    Z += B[:, None, None]
    return Z


def _spread(H: np.ndarray, varied: tuple[list[int], np.ndarray]) -> np.ndarray:
    """The stack (units, nets, rows) of layer outputs H (rows, units) shared by
    every net but in ``varied``."""
    units, Hu = varied
    out = np.empty((H.shape[1], *Hu.shape[1:]), dtype=Hu.dtype)
    out[...] = H.T[:, None, :]
    out[units] = Hu
    return out
