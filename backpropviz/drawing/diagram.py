"""The network as an SVG string: units, weighted edges, values for one sample.

Edges are coloured by the sign of their weight (blue positive, orange negative:
a pair colour-blind readers can tell apart) and drawn thicker for larger |w|.
Each unit shows its Z and H for the chosen sample; with ``gradients=True`` it
also shows dL/dZ, and edges show dL/dW. The units and edges a step uses are
highlighted, the rest faded. Building the string takes well under a millisecond.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..engine import StepSpec, Trace
from .colors import SVG_CARD

POSITIVE = "#1f77b4"
NEGATIVE = "#e66100"
HIGHLIGHT = "#ffb300"
#: Highlighted text: the highlight's amber, dark enough to read on white (5:1).
HIGHLIGHT_TEXT = "#9a6200"


@dataclass(frozen=True)
class Highlight:
    """Unit ids ``(layer, unit)`` (layer 0 = inputs), edge ids ``(layer, out, in)``,
    and whether the loss node takes part."""

    units: frozenset = field(default_factory=frozenset)
    edges: frozenset = field(default_factory=frozenset)
    biases: frozenset = field(default_factory=frozenset)
    loss: bool = False

    @property
    def empty(self) -> bool:
        return not (self.units or self.edges or self.biases or self.loss)


def step_highlight(spec: StepSpec | None, sizes: tuple[int, ...]) -> Highlight:
    """What part of the net the step ``spec`` touches."""
    if spec is None:
        return Highlight()
    L = len(sizes) - 1

    def units(layer: int) -> set:
        return {(layer, i) for i in range(sizes[layer])}

    def edges(layer: int) -> set:
        return {(layer, i, j) for i in range(sizes[layer]) for j in range(sizes[layer - 1])}

    l, op = spec.layer, spec.op
    if op == "linear":
        return Highlight(frozenset(units(l - 1) | units(l)), frozenset(edges(l)), frozenset(units(l)))
    if op in ("activation", "hadamard"):
        return Highlight(frozenset(units(l)))
    if op == "loss":
        return Highlight(frozenset(units(L)), loss=True)
    if op == "loss_grad":
        return Highlight(frozenset(units(L)), loss=True)
    if op == "matmul":  # dL/dH_l = dL/dZ_{l+1} @ W_{l+1}
        return Highlight(frozenset(units(l) | units(l + 1)), frozenset(edges(l + 1)))
    if op == "outer":
        return Highlight(frozenset(units(l - 1) | units(l)), frozenset(edges(l)))
    if op == "sum":
        return Highlight(frozenset(units(l)), biases=frozenset(units(l)))
    if op == "sgd":
        if spec.name.startswith("new W"):
            return Highlight(edges=frozenset(edges(l)))
        return Highlight(biases=frozenset(units(l)))
    return Highlight()


@dataclass(frozen=True)
class EdgeStyle:
    """How both diagrams draw a weight: width ``thin`` plus up to ``span`` by |w| over
    the layer's largest finite |w|; a highlighted edge over an amber copy ``halo``
    px wider; opacity ``on`` for the edges of the current step, ``off`` for the rest."""

    thin: float
    span: float
    halo: float
    on: float
    off: float


NUMBERED_EDGES = EdgeStyle(thin=0.8, span=4.2, halo=5, on=0.9, off=0.25)
COMPACT_EDGES = EdgeStyle(thin=0.6, span=3.4, halo=4, on=0.85, off=0.2)


def weight_scale(W: np.ndarray) -> float:
    """The largest finite |w| of a layer's weights (1 when there is none, or it is 0)."""
    finite = np.abs(W[np.isfinite(W)])
    return float(finite.max()) if finite.size and finite.max() else 1.0


def edge_svg(style: EdgeStyle, edge: tuple[int, int, int], w: float, scale: float,
             ends: tuple[float, float, float, float], lit: bool, halo: bool, tip: str) -> str:
    """One weight as an SVG line: blue if w >= 0, orange if negative; a non-finite
    weight drawn 1 px wide."""
    x1, y1, x2, y2 = ends
    width = style.thin + style.span * min(abs(w) / scale, 1.0) if np.isfinite(w) else 1.0
    line = (f'x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"')
    out = (f'<line {line} stroke="{HIGHLIGHT}" stroke-width="{width + style.halo:.1f}" '
           f'opacity="0.6"/>') if halo else ""
    return out + (
        f'<line class="bpv-edge" data-edge="{",".join(map(str, edge))}" {line} '
        f'stroke="{POSITIVE if w >= 0 else NEGATIVE}" stroke-width="{width:.2f}" '
        f'opacity="{style.on if lit else style.off}"><title>{html.escape(tip)}</title></line>')


def _fmt(x: float) -> str:
    """Compact and sign-explicit: 0.1890 -> '0.189', -1.07312 -> '−1.073'."""
    if not np.isfinite(x):
        return "nan" if np.isnan(x) else ("∞" if x > 0 else "−∞")
    text = f"{x:.3f}" if abs(x) >= 1e-3 or x == 0 else f"{x:.1e}"
    return text.replace("-", "−")


def network_svg(
    trace: Trace,
    sample: int = 0,
    highlight: Highlight | None = None,
    gradients: bool = False,
    width: int | None = None,
    input_labels: Sequence[str] | None = None,
) -> str:
    """The net of ``trace`` as SVG, with the values of row ``sample`` of X.
    ``input_labels`` names the inputs (the features: x₁, x₁x₂, ...; default x[0], x[1], ...)."""
    sizes = trace.sizes
    L = len(sizes) - 1
    col_w, row_h, top = 210, 112, 40
    w = width or col_w * (L + 1) + 150
    h = top + row_h * max(sizes) + 30
    hl = highlight if highlight is not None and not highlight.empty else None

    def pos(layer: int, unit: int) -> tuple[float, float]:
        n = sizes[layer]
        x = 60 + layer * col_w
        y = top + (max(sizes) - n) * row_h / 2 + unit * row_h + row_h / 2 - 10
        return x, y

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bpv-diagram" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="11" {SVG_CARD}>',
        f'<text x="8" y="16" font-size="12" fill="#333">sample {sample}: '
        f'x = {html.escape(", ".join(_fmt(v) for v in trace["X"][sample]))}</text>',
    ]
    # edges first, so units sit on top
    for l in range(1, L + 1):
        W = trace[f"W{l}"]
        dW = trace[f"dL/dW{l}"]
        scale = weight_scale(W)
        for i in range(sizes[l]):
            for j in range(sizes[l - 1]):
                x1, y1 = pos(l - 1, j)
                x2, y2 = pos(l, i)
                wv = float(W[i, j])
                colour = POSITIVE if wv >= 0 else NEGATIVE
                on = hl is None or (l, i, j) in hl.edges
                opacity = NUMBERED_EDGES.on if on else NUMBERED_EDGES.off
                tip = f"layer{l}.weight[{i},{j}] = {wv:.6g}; dL/dw = {float(dW[i, j]):.6g}"
                out.append(edge_svg(NUMBERED_EDGES, (l, i, j), wv, scale, (x1 + 18, y1, x2 - 18, y2),
                                    on, hl is not None and on, tip))
                if max(sizes[l], sizes[l - 1]) <= 3:
                    # label a third of the way along, where edges fan apart
                    tx, ty = x1 + 18 + (x2 - x1 - 36) * 0.32, y1 + (y2 - y1) * 0.32 - 4
                    label = f"w={_fmt(wv)}"
                    if gradients:
                        label += f" ∇{_fmt(float(dW[i, j]))}"
                    out.append(
                        f'<text x="{tx:.1f}" y="{ty:.1f}" fill="{colour}" opacity="{opacity}" '
                        f'text-anchor="middle" font-size="10" stroke="white" stroke-width="3" '
                        f'paint-order="stroke">{label}</text>'
                    )
    # units
    for l in range(L + 1):
        for i in range(sizes[l]):
            x, y = pos(l, i)
            on = hl is None or (l, i) in hl.units or (l, i) in hl.biases
            stroke = HIGHLIGHT if (hl is not None and (l, i) in hl.units) else "#444"
            sw = "3" if stroke == HIGHLIGHT else "1.2"
            op = "1" if on else "0.35"
            if l == 0:
                label = f"x[{i}]" if input_labels is None else html.escape(input_labels[i])
                lines = [f"{f'x{i}' if input_labels is None else label} = "
                         f"{_fmt(float(trace['X'][sample, i]))}"]
                name = f"input {i}"
            else:
                lines = [f"Z = {_fmt(float(trace[f'Z{l}'][sample, i]))}",
                         f"H = {_fmt(float(trace[f'H{l}'][sample, i]))}"]
                if gradients:
                    lines.append(f"∇Z = {_fmt(float(trace[f'dL/dZ{l}'][sample, i]))}")
                name = f"unit {i} of layer {l}"
            out.append(
                f'<g class="bpv-unit" data-unit="{l},{i}" opacity="{op}">'
                f'<title>{html.escape(name)}</title>'
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="18" fill="#fafafa" stroke="{stroke}" '
                f'stroke-width="{sw}"/>'
                f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="11" '
                f'font-weight="bold">{label if l == 0 else f"H{l}[{i}]"}</text>'
            )
            for k, text in enumerate(lines):
                out.append(
                    f'<text x="{x:.1f}" y="{y + 32 + 12 * k:.1f}" text-anchor="middle">{text}</text>'
                )
            if l:
                b = float(trace[f"B{l}"][i])
                bcol = HIGHLIGHT_TEXT if (hl is not None and (l, i) in hl.biases) else "#666"
                extra = f" ∇{_fmt(float(trace[f'dL/dB{l}'][i]))}" if gradients else ""
                out.append(
                    f'<text x="{x:.1f}" y="{y - 23:.1f}" text-anchor="middle" fill="{bcol}" '
                    f'font-size="10">b={_fmt(b)}{extra}</text>'
                )
            out.append("</g>")
    # the loss node
    lx, ly = 60 + (L + 1) * col_w - 40, top + max(sizes) * row_h / 2 - 10
    lstroke = HIGHLIGHT if (hl is not None and hl.loss) else "#444"
    lop = "1" if hl is None or hl.loss else "0.35"
    for i in range(sizes[L]):
        x, y = pos(L, i)
        out.append(
            f'<line x1="{x + 18:.1f}" y1="{y:.1f}" x2="{lx - 22:.1f}" y2="{ly:.1f}" '
            f'stroke="#999" stroke-dasharray="4 3" opacity="{lop}"/>'
        )
    out.append(
        f'<g class="bpv-loss" opacity="{lop}"><rect x="{lx - 22:.1f}" y="{ly - 16:.1f}" width="44" '
        f'height="32" rx="6" fill="#fff8e1" stroke="{lstroke}" stroke-width="{3 if lstroke == HIGHLIGHT else 1.2}"/>'
        f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="middle" font-weight="bold">L</text>'
        f'<text x="{lx:.1f}" y="{ly + 30:.1f}" text-anchor="middle">{trace.loss_fn.name} '
        f'{_fmt(trace.loss)}</text></g>'
    )
    out.append("</svg>")
    return "".join(out)


#: The compact diagram's geometry: a unit's map in px, the distance between
#: layers and between the units of a layer.
MAP_TILE, MAP_COL, MAP_ROW = 34, 112, 44


def playground_svg(
    trace: Trace,
    strips: list[str],
    sample: int = 0,
    highlight: Highlight | None = None,
    tile: int = MAP_TILE,
    gap: int = 2,
    uid: str = "maps",
    input_labels: Sequence[str] | None = None,
) -> str:
    """The net as TensorFlow Playground draws it: every unit (the inputs too) a
    small square showing its output over the input plane, edges by the sign and
    size of their weight. ``strips[l]`` is an image (a ``data:`` URI) of layer l's
    maps side by side, ``tile`` px each with ``gap`` px between (see
    ``boundary.unit_tiles``), named in the SVG by ``uid`` (ids are shared by the
    whole page: two diagrams on one page need two uids). Each unit's numbers for
    row ``sample`` (Z, H, its bias) and each weight are in the tooltips, so the
    picture stays small enough for one screen with the boundary beside it.
    ``input_labels`` names the inputs (the features: x₁, x₁x₂, ...; default x[0], x[1], ...)."""
    sizes = trace.sizes
    L = len(sizes) - 1
    top, left = 22, 34
    w = left + MAP_COL * L + tile + 96
    h = top + MAP_ROW * max(sizes) + 6
    hl = highlight if highlight is not None and not highlight.empty else None

    def pos(layer: int, unit: int) -> tuple[float, float]:
        """Top-left corner of a unit's square."""
        y = top + (max(sizes) - sizes[layer]) * MAP_ROW / 2 + unit * MAP_ROW + (MAP_ROW - tile) / 2
        return left + layer * MAP_COL, y

    out = [
        # drawn at its size, or smaller to fit its column (a 6-layer net on a projector)
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bpv-diagram bpv-maps" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" {SVG_CARD[:-1]};max-width:100%;height:auto" '
        f'font-family="sans-serif" font-size="10"><defs>',
        *(f'<image id="bpv-{uid}-{l}" href="{strip}" width="{sizes[l] * (tile + gap) - gap}" '
          f'height="{tile}" preserveAspectRatio="none" image-rendering="optimizeSpeed"/>'
          for l, strip in enumerate(strips)),
        "</defs>",
        '<text x="4" y="13" fill="#333">inputs</text>',
        f'<text x="{left + MAP_COL * L + tile / 2:.0f}" y="13" text-anchor="middle" fill="#333">output</text>',
    ]
    for l in range(1, L):
        out.append(f'<text x="{left + MAP_COL * l + tile / 2:.0f}" y="13" text-anchor="middle" '
                   f'fill="#333">layer {l}</text>')
    for l in range(1, L + 1):
        W = trace[f"W{l}"]
        scale = weight_scale(W)
        for i in range(sizes[l]):
            for j in range(sizes[l - 1]):
                x1, y1 = pos(l - 1, j)
                x2, y2 = pos(l, i)
                wv = float(W[i, j])
                on = hl is None or (l, i, j) in hl.edges
                out.append(edge_svg(COMPACT_EDGES, (l, i, j), wv, scale,
                                    (x1 + tile, y1 + tile / 2, x2, y2 + tile / 2), on,
                                    hl is not None and on, f"layer{l}.weight[{i},{j}] = {wv:.6g}"))
    for l in range(L + 1):
        for i in range(sizes[l]):
            x, y = pos(l, i)
            on = hl is None or (l, i) in hl.units or (l, i) in hl.biases
            stroke, sw = (HIGHLIGHT, 3) if hl is not None and (l, i) in hl.units else ("#555", 1)
            if l == 0:
                label = f"x[{i}]" if input_labels is None else input_labels[i]
                tip = f"input {label} = {_fmt(float(trace['X'][sample, i]))} (row {sample})"
            else:
                tip = (f"H{l}[{i}]: Z = {_fmt(float(trace[f'Z{l}'][sample, i]))}, "
                       f"H = {_fmt(float(trace[f'H{l}'][sample, i]))} (row {sample}); "
                       f"bias b = {_fmt(float(trace[f'B{l}'][i]))}")
            out.append(
                f'<g class="bpv-unit" data-unit="{l},{i}" opacity="{1 if on else 0.45}">'
                f'<title>{html.escape(tip)}</title>'
                f'<svg x="{x:.1f}" y="{y:.1f}" width="{tile}" height="{tile}" '
                f'viewBox="{i * (tile + gap)} 0 {tile} {tile}"><use href="#bpv-{uid}-{l}"/></svg>'
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{tile}" height="{tile}" fill="none" '
                f'stroke="{stroke}" stroke-width="{sw}"/>'
                + (f'<text x="{x - 4:.1f}" y="{y + tile / 2 + 4:.1f}" text-anchor="end">'
                   f'{html.escape(label)}</text>' if l == 0 else "")
                + "</g>")
    # the loss
    lx = left + MAP_COL * L + tile + 14
    ly = top + max(sizes) * MAP_ROW / 2
    lstroke = HIGHLIGHT if (hl is not None and hl.loss) else "#555"
    for i in range(sizes[L]):
        x, y = pos(L, i)
        out.append(f'<line x1="{x + tile:.1f}" y1="{y + tile / 2:.1f}" x2="{lx:.1f}" y2="{ly:.1f}" '
                   f'stroke="#999" stroke-dasharray="3 3"/>')
    out.append(
        f'<g class="bpv-loss" opacity="{1 if hl is None or hl.loss else 0.45}">'
        f'<rect x="{lx:.1f}" y="{ly - 13:.1f}" width="76" height="26" rx="5" fill="#fff8e1" '
        f'stroke="{lstroke}" stroke-width="{3 if lstroke == HIGHLIGHT else 1}"/>'
        f'<text x="{lx + 38:.1f}" y="{ly + 4:.1f}" text-anchor="middle">L = {_fmt(trace.loss)}</text></g>')
    out.append("</svg>")
    return "".join(out)
