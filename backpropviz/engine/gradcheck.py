"""Check every backprop gradient against central finite differences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import positive_finite
from .mlp import MLP
from .trace import grad_key


@dataclass(frozen=True)
class GradcheckReport:
    """Worst relative error per parameter (``"layer1.weight"``: 3e-10, ...).

    The relative error of one entry is ``|analytic - numeric| / max(|analytic|,
    |numeric|, floor)``; ``floor`` keeps entries that are both ~0 from dividing by 0.
    """

    errors: dict[str, float]
    analytic: dict[str, np.ndarray]
    numeric: dict[str, np.ndarray]
    eps: float

    @property
    def max_error(self) -> float:
        return max(self.errors.values())

    def ok(self, tol: float = 1e-6) -> bool:
        """True when every parameter's worst relative error is below ``tol``."""
        return self.max_error < tol

    def __repr__(self) -> str:
        rows = "\n".join(f"  {name:<16} {err:.2e}" for name, err in self.errors.items())
        return f"gradcheck (eps={self.eps:g}), worst relative error per parameter:\n{rows}"


def gradcheck(
    net: MLP, X: Any, Y: Any, loss: Any = "mse", eps: float = 1e-6, floor: float = 1e-8,
    *, l1: float = 0.0, l2: float = 0.0,
) -> GradcheckReport:
    """Compare ``net.trace(X, Y, loss, l1=l1, l2=l2)``'s gradients with central
    differences of its loss (with the penalty, when ``l1`` or ``l2`` is given).

    Each parameter entry is nudged by ``+eps`` and ``-eps`` on a private copy;
    ``net`` itself is never changed. (|w| has no derivative at 0: the engine
    takes sign(0) = 0, which is also what a central difference at exactly 0
    gives; a weight within ``eps`` of 0 under L1 differs, as it should.)
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be an MLP, got {type(net).__name__}")
    eps = positive_finite("eps", eps)
    floor = positive_finite("floor", floor)
    t = net.trace(X, Y, loss=loss, l1=l1, l2=l2)
    X, Y = t["X"], t["Y"]
    probe = net.copy()
    base = net.state_dict()
    errors: dict[str, float] = {}
    analytic: dict[str, np.ndarray] = {}
    numeric: dict[str, np.ndarray] = {}
    for name, value in base.items():
        grad = np.empty_like(value)
        for index in np.ndindex(value.shape):
            state = dict(base)
            for sign, slot in ((1.0, 0), (-1.0, 1)):
                nudged = value.copy()
                nudged[index] += sign * eps
                state[name] = nudged
                probe.load_state_dict(state)
                if slot == 0:
                    up = probe.trace(X, Y, loss=loss, l1=l1, l2=l2).loss
                else:
                    down = probe.trace(X, Y, loss=loss, l1=l1, l2=l2).loss
            grad[index] = (up - down) / (2 * eps)
        exact = t[grad_key(name)]
        scale = np.maximum(np.maximum(np.abs(exact), np.abs(grad)), floor)
        errors[name] = float(np.max(np.abs(exact - grad) / scale))
        analytic[name], numeric[name] = exact, grad
    return GradcheckReport(errors, analytic, numeric, eps)
