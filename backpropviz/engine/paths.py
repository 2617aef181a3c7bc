"""One parameter's gradient as a sum over paths, for one sample and for the batch.

For a weight ``w = W_l[i, j]`` and a sample row ``n``, the chain rule says that
dL_n/dw is a sum over every path from w to the loss: w feeds Z_l[i], which feeds
H_l[i], which feeds Z_{l+1}[k] for every unit k of the next layer, and so on up to
the output. Each path's contribution is the product of the local derivatives
along it. ``L_n`` is sample n's own loss; the batch loss is their mean, so the
batch gradient (what ``trace["dL/dW1"]`` holds) is the mean over samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from math import prod

import numpy as np

from ._checks import as_int, describe
from .trace import Trace, split_param, entry_name

#: A net with more paths than this is summarised (see ``PathSum.paths``).
MAX_PATHS = 256


@dataclass(frozen=True)
class Factor:
    """One local derivative on a path: ``label`` (e.g. ``"dH1[0]/dZ1[0]"``), its ``value``."""

    label: str
    value: float
    kind: str  # "input", "activation", "weight", "loss"


@dataclass(frozen=True)
class Path:
    """The units a path passes through (one per layer from l on) and its factors."""

    units: tuple[int, ...]
    factors: tuple[Factor, ...]

    @property
    def product(self) -> float:
        with np.errstate(all="ignore"):
            return float(np.prod([f.value for f in self.factors]))


@dataclass(frozen=True)
class PathSum:
    """dL_n/dw for one sample, path by path.

    ``paths`` lists every path when there are at most ``MAX_PATHS``; ``total``
    is always exact (computed by the chain rule in matrix form).
    """

    param: str
    index: tuple[int, ...]
    sample: int
    paths: tuple[Path, ...]
    num_paths: int
    total: float

    @property
    def label(self) -> str:
        return entry_name(self.param, self.index)


def parse_entry(trace: Trace, param: str, index: tuple[int, ...] | int) -> tuple[int, str, tuple[int, ...]]:
    """Check ``param`` and ``index`` against the trace's net; returns (layer, kind, index)."""
    if not isinstance(param, str):
        raise TypeError(f"param must be a parameter name such as 'layer1.weight', got {describe(param)}")
    layer, kind = split_param(param)
    if not 1 <= layer <= trace.num_layers:
        raise ValueError(
            f"param must name a layer from 1 to {trace.num_layers}, got {param!r}"
        )
    shape = trace[f"{'W' if kind == 'weight' else 'B'}{layer}"].shape
    if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
        index = (int(index),)
    if not isinstance(index, tuple) or len(index) != len(shape):
        raise ValueError(
            f"index for {param} must be a tuple of {len(shape)} integers within {shape}, "
            f"got {index!r}"
        )
    checked = tuple(as_int(f"index[{d}]", i, minimum=0) for d, i in enumerate(index))
    if any(i >= s for i, s in zip(checked, shape)):
        raise ValueError(f"index for {param} must lie within shape {shape}, got {checked}")
    return layer, kind, checked


def _check_sample(trace: Trace, sample: int) -> int:
    rows = trace["X"].shape[0]
    sample = as_int("sample", sample, minimum=0)
    if sample >= rows:
        raise ValueError(f"sample must be a row of X, from 0 to {rows - 1}, got {sample}")
    return sample


def sample_gradients(trace: Trace, param: str, index: tuple[int, ...] | int) -> np.ndarray:
    """dL_n/dw for every sample n (shape (rows,)); their mean is the batch gradient."""
    layer, kind, index = parse_entry(trace, param, index)
    rows = trace["X"].shape[0]
    unit = index[0]
    with np.errstate(all="ignore"):  # a diverged trace holds inf/NaN: report them as they are
        upstream = trace[f"dL/dZ{layer}"][:, unit] * rows  # dL_n/dZ_l[n, unit]
        if kind == "bias":
            return upstream.copy()
        h_prev = trace["X"] if layer == 1 else trace[f"H{layer - 1}"]
        return upstream * h_prev[:, index[1]]


def path_sum(trace: Trace, param: str, index: tuple[int, ...] | int, sample: int) -> PathSum:
    """Every path from ``param[index]`` to sample ``sample``'s loss, with its factors."""
    layer, kind, index = parse_entry(trace, param, index)
    n = _check_sample(trace, sample)
    rows = trace["X"].shape[0]
    L = trace.num_layers
    unit = index[0]
    sizes = trace.sizes
    later = [range(sizes[m]) for m in range(layer + 1, L + 1)]
    num_paths = prod(len(r) for r in later)
    total = float(sample_gradients(trace, param, index)[n])

    def sub(name: str, *idx: int) -> str:
        return entry_name(name, idx)

    first: list[Factor] = []
    z_name = f"Z{layer}"
    if kind == "weight":
        j = index[1]
        src = "X" if layer == 1 else f"H{layer - 1}"
        first.append(Factor(
            f"d{sub(z_name, unit)}/d{sub('W' + str(layer), unit, j)} = {sub(src, n, j)}",
            float(trace[src][n, j]), "input"))
    else:
        first.append(Factor(f"d{sub(z_name, unit)}/d{sub('B' + str(layer), unit)}", 1.0, "input"))

    paths: list[Path] = []
    if num_paths <= MAX_PATHS:
        for rest in product(*later):
            units = (unit, *rest)
            factors = list(first)
            for m, k in enumerate(units, start=layer):
                factors.append(Factor(
                    f"d{sub('H' + str(m), k)}/d{sub('Z' + str(m), k)} = f'({sub('Z' + str(m), n, k)})",
                    float(trace[f"dH{m}/dZ{m}"][n, k]), "activation"))
                if m < L:
                    k_next = units[m - layer + 1]
                    factors.append(Factor(
                        f"d{sub('Z' + str(m + 1), k_next)}/d{sub('H' + str(m), k)} = "
                        f"{sub('W' + str(m + 1), k_next, k)}",
                        float(trace[f"W{m + 1}"][k_next, k]), "weight"))
            k_out = units[-1]
            factors.append(Factor(
                f"dL_{n}/d{sub('H' + str(L), k_out)}",
                float(trace[f"dL/dH{L}"][n, k_out] * rows), "loss"))
            paths.append(Path(units, tuple(factors)))
    return PathSum(param, index, n, tuple(paths), num_paths, total)


def default_entry(trace: Trace, entries: list[tuple[str, tuple[int, ...]]],
                  sample: int) -> tuple[str, tuple[int, ...]]:
    """An instructive entry to open on, among ``entries`` (name, index).

    Entries with the most paths to the loss come first (on a 2-2-2-1 net a
    layer-1 weight has two, so its gradient is a real sum), then earlier layers
    (longer paths), then weights before biases. The first of them whose gradient
    for ``sample`` is not 0 is chosen (a layer-1 weight is 0 on a row whose input
    is 0), or the first of them if every one is 0.
    """
    sizes = trace.sizes

    def rank(item: tuple[int, tuple[str, tuple[int, ...]]]) -> tuple[int, int, bool, int]:
        position, (name, _) = item
        layer = int(name[5:name.index(".")])
        return (-prod(sizes[layer + 1:]), layer, not name.endswith("weight"), position)

    ranked = [entry for _, entry in sorted(enumerate(entries), key=rank)]
    for name, index in ranked:
        g = sample_gradients(trace, name, index)[sample]
        if np.isfinite(g) and g != 0:
            return name, index
    return ranked[0]
