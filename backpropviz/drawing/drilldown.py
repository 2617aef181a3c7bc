"""The drill-down on one weight as HTML: its gradient as a sum over paths, with the numbers."""

from __future__ import annotations

import html
import math

import numpy as np

from ..engine import Trace
from ..engine.paths import path_sum, sample_gradients
from ..engine.trace import entry_name, grad_key

_MAX_SHOWN = 8  # the largest paths, listed one by one; the others are summed in one line


def _f(x: float) -> str:
    return f"{x:.6g}".replace("-", "−")


def _size(x: float) -> float:
    """|x|, with NaN the largest of all (a diverged path is the one to see)."""
    return math.inf if math.isnan(x) else abs(x)


def _mean(values: np.ndarray) -> float:
    with np.errstate(all="ignore"):  # inf/NaN after a divergence are shown as they are
        return float(np.mean(values))


def drilldown_html(trace: Trace, param: str, index: tuple[int, ...], sample: int, batch: bool) -> str:
    """The chain rule for one entry, for one ``sample`` (``batch=False``) or the batch mean."""
    label = html.escape(entry_name(param, index))
    if batch:
        per = sample_gradients(trace, param, index)
        exact = float(trace[grad_key(param)][index])
        rows = "".join(
            f"<tr><td>row {n}</td><td style='text-align:right;font-family:monospace'>{_f(g)}</td></tr>"
            for n, g in enumerate(per[:50]))
        more = f"<tr><td colspan=2>… {len(per) - 50} more rows</td></tr>" if len(per) > 50 else ""
        return (
            f"<div><b>dL/d{label}</b> over the batch is the mean of every sample's own gradient "
            f"dL<sub>n</sub>/d{label} (the loss is the mean of the samples' losses):</div>"
            f"<table>{rows}{more}</table>"
            f"<div style='font-family:monospace'>mean = {_f(_mean(per))} "
            f"= {html.escape(grad_key(param))}{list(index)} in the trace ({_f(exact)})</div>"
        )
    ps = path_sum(trace, param, index, sample)
    n = ps.sample
    lines = []
    # With more paths than can be listed, the largest are (in their order): what
    # is folded away is what matters least.
    largest = set(sorted(range(len(ps.paths)), key=lambda k: -_size(ps.paths[k].product))[:_MAX_SHOWN])
    shown = [p for k, p in enumerate(ps.paths) if k in largest]
    rest = [p for k, p in enumerate(ps.paths) if k not in largest]
    for path in shown:
        via = " → ".join(f"unit {u}" for u in path.units)
        rows = []
        for f in path.factors:
            symbol, _, meaning = f.label.partition(" = ")
            rows.append(
                f"<tr><td>{'×' if rows else ''}</td><td><code>{html.escape(symbol)}</code></td>"
                f"<td><code>{html.escape(meaning)}</code></td>"
                f"<td style='text-align:right'><code>{_f(f.value)}</code></td></tr>")
        rows.append(f"<tr><td>=</td><td colspan=2>this path</td>"
                    f"<td style='text-align:right'><code><b>{_f(path.product)}</b></code></td></tr>")
        lines.append(f"<li>via {via}:<table class='bpv-path'>{''.join(rows)}</table></li>")
    if rest:
        sizes = [_size(p.product) for p in rest]
        biggest = "nan" if any(math.isnan(p.product) for p in rest) else _f(max(sizes))
        lines.append(f"<li>… and the other {len(rest)} paths (none larger than {biggest} in size), "
                     f"adding up to {_f(sum(p.product for p in rest))}</li>")
    if not ps.paths:
        lines.append(f"<li>{ps.num_paths} paths: too many to list; their sum is below.</li>")
    paths_word = "path" if ps.num_paths == 1 else "paths"
    which = f" (the {len(shown)} largest listed)" if rest else ""
    return (
        f"<div>Sample {n}'s own loss L<sub>{n}</sub> depends on <b>{label}</b> along "
        f"{ps.num_paths} {paths_word}; each contributes the product of the local derivatives "
        f"on it{which}:</div><ol>{''.join(lines)}</ol>"
        f"<div style='font-family:monospace'>dL<sub>{n}</sub>/d{label} = sum of the paths = "
        f"<b>{_f(ps.total)}</b></div>"
    )
