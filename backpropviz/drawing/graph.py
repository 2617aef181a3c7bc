"""The computation graph as an SVG string, stepped forward then backward node by node.

Two sources, one picture:

- ``value_graph(f)``: a scalar expression of ``bpv.Value`` (lesson 00). One node
  per Value, showing its label (or, unlabelled, the expression it stands for), the
  op that made it, its data and, in the backward pass, its grad; an edge from each
  input to the value it makes, labelled with the op.
- ``trace_graph(trace)``: an MLP's trace at matrix level (X, W1, Z1 = X @ W1ᵀ + B1,
  H1 = f(Z1), ..., L), derived from the trace's forward and loss steps. Each node
  shows its shape and the corner of its matrix (at most ``MAX_ROWS`` rows and
  ``MAX_COLS`` columns, "…" beyond) and, in the backward pass, its gradient.

A ``Graph`` knows its nodes, its edges and its steps. ``graph_svg(graph, step)``
draws it as it stands after that step: values computed so far, gradients found so
far, nodes still to come drawn empty, and the current edge(s) showing
upstream × local = the new gradient (numbers for scalars, the formula for
matrices). ``graph_caption_html`` writes the step above the picture.

Layout: longest-path layers from left to right (each value just left of its
first use; an edge that skips layers runs through a slot of its own in each, so
it never passes behind a box), a few barycentre sweeps to untangle edges,
columns stacked and centred. A trace's boxes are sized from names and shapes
alone, so moving a slider never moves a box. Arrowheads are polygons, not SVG
markers, so pictures never share ids. Building the seed net's graph and its
picture takes 1-2 ms.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

import numpy as np

from ..engine import Trace, Value
from .colors import SVG_CARD
from .diagram import HIGHLIGHT, HIGHLIGHT_TEXT
from .steps import shapes_line, step_title

#: The corner of a matrix a node shows.
MAX_ROWS = 4
MAX_COLS = 3
#: The most values a scalar graph draws: a picture to read, not to scroll through.
MAX_NODES = 400
#: Pictures up to this wide shrink to fit a narrower page; wider ones scroll at full size.
SHRINK_UP_TO = 1600

_MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"
_CW = 6.1            # width of a character of 10px monospace
_SW = 6.3            # average width of a character of 11px sans-serif
_LINE = 13           # height of a line of text
_ROW = 12            # height of a row of a matrix
_PAD = 6
_EMPTY_FILL, _EMPTY_STROKE = "#f4f4f4", "#b0b0b0"
_FILLS = {"input": "#ffffff", "constant": "#ffffff", "op": "#fafafa", "output": "#fff8e1"}
_MARK_FILL, _MARK_STROKE = "#ffd54f", "#e65100"   # as the stepper's quiz mark
_EDGE = "#8a8a8a"


# ---------------------------------------------------------------------- the model

@dataclass(frozen=True)
class GraphNode:
    """One value of the computation.

    ``key`` is unique in its graph (a trace key such as ``"Z1"``, or ``"n3"``);
    ``name`` is how it is written (``"q"``, ``"x + y"``, ``"Z1"``, ``"L"``); ``op`` is
    the graph label of the op that made it (``"+"``; empty for an input);
    ``caption`` the formula that made it (matrix level: ``"X @ W1ᵀ + B1"``).
    ``grad`` is None for a node that gets no gradient (a constant, X, Y); ``new``
    is the parameter after the SGD update, when the trace has one.
    ``kind`` is ``"input"``, ``"constant"``, ``"op"`` or ``"output"``.
    """

    key: str
    name: str
    kind: str
    value: Any
    grad: Any = None
    grad_name: str = ""
    op: str = ""
    caption: str = ""
    new: Any = None
    new_name: str = ""


@dataclass(frozen=True)
class GraphEdge:
    """From input ``src`` to the value ``dst`` it helps make; ``label`` is the op."""

    src: str
    dst: str
    label: str


@dataclass(frozen=True)
class GraphStep:
    """What one step computes, and what the picture shows after it.

    ``node`` is the key of the node the step fills (None if the step has no node
    of its own) and ``block`` which part of it: ``"value"``, ``"grad"`` or ``"new"``.
    ``name`` and ``result`` are the result's name and value (``"df/dq"``, -4.0).
    ``edges`` index the current edges in ``Graph.edges``; ``edge_text[k]`` is what
    edge ``edges[k]`` shows (lines; empty: its op label, highlighted), and
    ``edge_text_hidden`` the same with the result as "?" (quiz). ``values``,
    ``grads`` and ``new`` are the keys of the nodes whose value, gradient and
    updated value are known after this step.
    """

    index: int
    phase: str
    name: str
    node: str | None
    block: str
    result: Any
    formula: str
    formula_hidden: str
    detail: str
    edges: tuple[int, ...]
    edge_text: tuple[tuple[str, ...], ...]
    edge_text_hidden: tuple[tuple[str, ...], ...]
    values: frozenset
    grads: frozenset
    new: frozenset


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float


class Graph:
    """Nodes (inputs before the values made from them), edges and steps.

    ``scalar`` is True for a ``Value`` expression, False for a trace. Steps are
    built when first asked for (``step(i)``), so a trace's graph costs little to
    rebuild on every slider move.
    """

    def __init__(self, nodes: list[GraphNode], edges: list[GraphEdge], scalar: bool,
                 num_steps: int, make_step: Callable[["Graph", int], GraphStep]) -> None:
        self.nodes = tuple(nodes)
        self.edges = tuple(edges)
        self.scalar = scalar
        self.num_steps = num_steps
        self._by_key = {n.key: n for n in self.nodes}
        self._make_step = make_step
        self._steps: dict[int, GraphStep] = {}

    def node(self, key: str) -> GraphNode:
        return self._by_key[key]

    def step(self, index: int) -> GraphStep:
        if not 0 <= index < self.num_steps:
            raise IndexError(f"step must be from 0 to {self.num_steps - 1}, got {index}")
        if index not in self._steps:
            self._steps[index] = self._make_step(self, index)
        return self._steps[index]

    @property
    def steps(self) -> list[GraphStep]:
        return [self.step(i) for i in range(self.num_steps)]

    def edges_into(self, key: str) -> list[int]:
        return [i for i, e in enumerate(self.edges) if e.dst == key]

    def edges_from(self, key: str) -> list[int]:
        return [i for i, e in enumerate(self.edges) if e.src == key]

    @cached_property
    def sizes(self) -> dict[str, tuple[float, float]]:
        """(width, height) of each node. A trace's come from names and shapes alone,
        so a slider move never moves a box."""
        return {n.key: (_scalar_size(n) if self.scalar else _matrix_size(n)) for n in self.nodes}

    @cached_property
    def layout(self) -> "Layout":
        return _layout_cached(tuple(n.key for n in self.nodes),
                              tuple((e.src, e.dst) for e in self.edges),
                              tuple(self.sizes[n.key] for n in self.nodes),
                              gap=64.0 if self.scalar else 84.0)


@dataclass(frozen=True)
class Layout:
    """Where each node goes (``boxes``, by key), its layer, the picture's size,
    and each edge's way out (``routes[e]``: the source's exit, then the points
    it passes through in the layers it crosses)."""

    boxes: dict
    layers: dict
    width: float
    height: float
    routes: dict


# ---------------------------------------------------------------------- numbers

def fmt(x: float) -> str:
    """A scalar as the graph writes it: 4 significant digits, a real minus sign."""
    x = float(x)
    if not np.isfinite(x):
        return "nan" if np.isnan(x) else ("∞" if x > 0 else "−∞")
    if x == 0:
        return "0"
    return f"{x:.4g}".replace("-", "−")


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("−") else text


def cell(x: float) -> str:
    """A matrix entry in at most 6 characters: 0.189, −1.073, 12.35, 1e-05."""
    x = float(x)
    if not np.isfinite(x):
        return "nan" if np.isnan(x) else ("∞" if x > 0 else "−∞")
    a = abs(x)
    if a == 0:
        s = "0.000"
    elif a < 0.0005 or a >= 9999.5:
        s = f"{x:.0e}"
    elif a < 9.9995:
        s = f"{x:.3f}"
    elif a < 99.995:
        s = f"{x:.2f}"
    elif a < 999.95:
        s = f"{x:.1f}"
    else:
        s = f"{x:.0f}"
    return s.replace("-", "−")


def shown_shape(value: Any) -> tuple[int, ...]:
    """How many rows and columns of ``value`` a node shows (the rest is "…")."""
    shape = np.shape(value)
    if len(shape) == 0:
        return ()
    if len(shape) == 1:
        return (min(shape[0], MAX_COLS),)
    return (min(shape[0], MAX_ROWS), min(shape[1], MAX_COLS))


def _grid(value: Any, hide: bool = False) -> tuple[list[list[str]], bool, int]:
    """The corner of ``value`` as rows of cells; whether columns were cut; rows left out."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return [["?" if hide else cell(arr)]], False, 0
    if arr.ndim == 1:
        arr = arr[None, :]
        more_rows = 0
    else:
        arr = arr.reshape(arr.shape[0], -1)
        more_rows = max(arr.shape[0] - MAX_ROWS, 0)
    cut = arr.shape[1] > MAX_COLS
    rows = [["?" if hide else cell(v) for v in row[:MAX_COLS]] for row in arr[:MAX_ROWS]]
    return rows, cut, more_rows


def _shape_text(value: Any) -> str:
    """``(4, 2)`` for an array; nothing for a single number."""
    return str(tuple(np.shape(value))) if np.ndim(value) else ""


# ---------------------------------------------------------------------- sizes

def _grid_size(value: Any) -> tuple[float, float]:
    """Width and height of the corner of ``value`` a node shows (from its shape alone)."""
    shape = np.shape(value)
    rows = 1 if len(shape) < 2 else min(shape[0], MAX_ROWS)
    more = len(shape) == 2 and shape[0] > MAX_ROWS
    across = math.prod(shape[1:] if len(shape) > 1 else shape)
    cols, cut = min(across, MAX_COLS), across > MAX_COLS
    width = cols * 6 * _CW + (cols - 1) * _CW + (2 * _CW if cut else 0)
    return width, (rows + more) * _ROW


def _matrix_size(node: GraphNode) -> tuple[float, float]:
    header = len(node.name) + 1 + len(_shape_text(node.value)) * 0.8
    widths = [header * _SW + 4, len(node.caption) * _CW]
    gw, gh = _grid_size(node.value)
    widths.append(gw)
    height = _LINE + 2 + (_LINE if node.caption else 0) + gh
    for block, name in ((node.grad, node.grad_name), (node.new, node.new_name)):
        if block is not None:
            bw, bh = _grid_size(block)
            widths += [bw, len(name) * _CW]
            height += _LINE + bh
    return max(max(widths) + 2 * _PAD, 64.0), height + 2 * _PAD - 2


_S_CHAR, _S_LINE = 7.0, 16   # a scalar node's 12px text: character width, line height


def _scalar_size(node: GraphNode) -> tuple[float, float]:
    widths = [len(node.name) * 7.3 + (len(node.op) * _S_CHAR + 10 if node.op else 0),
              (5 + len(fmt(node.value))) * _S_CHAR]
    lines = 2
    if node.grad is not None:
        widths.append((5 + len(fmt(node.grad))) * _S_CHAR)
        lines = 3
    return max(max(widths) + 2 * _PAD, 64.0), lines * _S_LINE + 2 * _PAD


# ---------------------------------------------------------------------- layout

_LAYOUTS: dict[tuple, Layout] = {}


def _layout_cached(keys: tuple, edges: tuple, sizes: tuple, gap: float) -> Layout:
    cache_key = (keys, edges, sizes, gap)
    found = _LAYOUTS.get(cache_key)
    if found is None:
        if len(_LAYOUTS) > 64:
            _LAYOUTS.clear()
        found = _LAYOUTS[cache_key] = _layout(keys, edges, dict(zip(keys, sizes)), gap)
    return found


def _layout(keys: tuple, edges: tuple, sizes: dict, gap: float) -> Layout:
    """Longest-path layers left to right, each value just left of its first use.

    An edge that skips layers runs through a slot of its own in each layer it
    crosses (a point in the column's stack), so it never passes behind a node.
    """
    inputs: dict[str, list[str]] = {k: [] for k in keys}
    users: dict[str, list[str]] = {k: [] for k in keys}
    for src, dst in edges:
        inputs[dst].append(src)
        users[src].append(dst)
    layer: dict[str, int] = {}
    for k in keys:  # keys come inputs first
        layer[k] = 1 + max((layer[i] for i in inputs[k]), default=-1)
    for k in reversed(keys):  # then each value as late as its first use allows
        if users[k]:
            layer[k] = min(layer[u] for u in users[k]) - 1
    low = min(layer.values(), default=0)
    layer = {k: v - low for k, v in layer.items()}
    # slots for long edges: ("~", edge number, layer)
    near: dict = {k: [] for k in keys}
    chains: dict[int, list] = {}
    sizes = dict(sizes)
    for e, (src, dst) in enumerate(edges):
        chain = [src] + [("~", e, l) for l in range(layer[src] + 1, layer[dst])] + [dst]
        for a, b in zip(chain, chain[1:]):
            near.setdefault(a, []).append(b)
            near.setdefault(b, []).append(a)
        for slot in chain[1:-1]:
            layer[slot] = slot[2]
            sizes[slot] = (0.0, 10.0)
        chains[e] = chain
    columns: list[list] = [[] for _ in range(max(layer.values(), default=0) + 1)]
    for k in [*keys, *(slot for chain in chains.values() for slot in chain[1:-1])]:
        columns[layer[k]].append(k)
    # barycentre sweeps: each node moves towards the mean place of its neighbours
    place = {k: i / max(len(col) - 1, 1) for col in columns for i, k in enumerate(col)}
    for sweep in range(6):
        for col in (columns if sweep % 2 == 0 else columns[::-1]):
            def centre(k: Any) -> float:
                return sum(place[n] for n in near[k]) / len(near[k]) if near[k] else place[k]
            col.sort(key=centre)
            for i, k in enumerate(col):
                place[k] = i / max(len(col) - 1, 1)
    vgap = 14.0
    col_w = [max((sizes[k][0] for k in col), default=0.0) for col in columns]
    col_h = [sum(sizes[k][1] for k in col) + vgap * (len(col) - 1) for col in columns]
    height = max(col_h, default=0.0)
    boxes: dict = {}
    x = 10.0
    for col, w, h in zip(columns, col_w, col_h):
        y = 8.0 + (height - h) / 2
        for k in col:
            kw, kh = sizes[k]
            boxes[k] = Box(x + (w - kw) / 2, y, kw, kh) if kw else Box(x, y, w, kh)
            y += kh + vgap
        x += w + gap
    # each edge's way: the source's right side, through its slots, to the target
    routes = {}
    for e, chain in chains.items():
        src = boxes[chain[0]]
        points = [(src.x + src.w, src.y + src.h / 2)]
        for slot in chain[1:-1]:
            b = boxes[slot]
            points += [(b.x, b.y + b.h / 2), (b.x + b.w, b.y + b.h / 2)]
        routes[e] = points
    return Layout({k: b for k, b in boxes.items() if k in sizes and not isinstance(k, tuple)},
                  {k: v for k, v in layer.items() if not isinstance(k, tuple)},
                  x - gap + 10.0, height + 16.0, routes)


# ---------------------------------------------------------------------- Value expressions

def value_graph(out: Value) -> Graph:
    """The graph of a ``Value`` expression, with its steps; runs ``out.backward()``.

    Forward steps fill the computed nodes, layer by layer from the left; backward
    steps start at ``out`` (gradient 1) and fill each node's grad as the sum, over
    the edges leaving it, of upstream (the grad of the value it feeds) times local
    (the derivative of that value with respect to it). An input without a label
    (such as the 1 in ``1 + x``) is taken as a constant: no gradient is shown for it.
    """
    if not isinstance(out, Value):
        raise TypeError(f"out must be a bpv.Value expression, got {type(out).__name__}")
    order = out.nodes()
    if len(order) > MAX_NODES:
        raise ValueError(f"a graph shows expressions of at most {MAX_NODES} values, "
                         f"got one of {len(order)}")
    out.backward()
    key = {id(v): f"n{i}" for i, v in enumerate(order)}
    names: dict[int, str] = {}
    for v in order:
        names[id(v)] = _value_name(v, names, key[id(v)])
    top = out.label or "out"

    def dname(v: Value) -> str:
        return f"d{top}/d{_dwrap(names[id(v)])}"

    nodes = []
    for v in order:
        if v.op is None:
            kind = "input" if v.label or v is out else "constant"
        else:
            kind = "output" if v is out else "op"
        nodes.append(GraphNode(
            key=key[id(v)], name=names[id(v)], kind=kind, value=v.data,
            grad=None if kind == "constant" else v.grad,
            grad_name="" if kind == "constant" else dname(v),
            op=_op_label(v) if v.op else ""))
    edges = [GraphEdge(key[id(i)], key[id(v)], _op_label(v))
             for v in order if v.op is not None for i in v.inputs]
    by_key = {key[id(v)]: v for v in order}
    graph_nodes = {n.key: n for n in nodes}
    plan: list[tuple[str, str]] = []
    forward: list[str] = []
    inputs_known = frozenset(n.key for n in nodes if n.kind in ("input", "constant"))

    def make_step(graph: Graph, index: int) -> GraphStep:
        phase, k = plan[index]
        v, node = by_key[k], graph_nodes[k]
        done = plan[:index + 1]
        values = inputs_known | {kk for p, kk in done if p == "forward"} | (
            frozenset(forward) if phase == "backward" else frozenset())
        grads = frozenset(kk for p, kk in done if p == "backward")
        if phase == "forward":
            edge_ids = tuple(graph.edges_into(k))
            formula, hidden = _forward_text(v, names)
            return GraphStep(index, phase, node.name, k, "value", v.data, formula, hidden, "",
                             edge_ids, tuple(() for _ in edge_ids), tuple(() for _ in edge_ids),
                             values, grads, frozenset())
        if v is out:
            text = f"{dname(v)} = 1: the output's gradient with respect to itself"
            return GraphStep(index, phase, dname(v), k, "grad", v.grad, text,
                             text.replace(" = 1:", " = ?:"), "", (), (), (), values, grads, frozenset())
        edge_ids = tuple(graph.edges_from(k))
        terms, numbers, lines, hidden_lines = [], [], [], []
        for e in edge_ids:
            user = by_key[graph.edges[e].dst]
            slot = _slot(user, v, graph, e)
            up, local = user.grad, user.local[slot]
            terms.append(f"{dname(user)} × ∂{_dwrap(names[id(user)])}/∂{_dwrap(names[id(v)])}")
            numbers.append(f"{_paren(fmt(up))} × {_paren(fmt(local))}")
            lines.append((_paren(fmt(up)), f"× {_paren(fmt(local))}", f"= {fmt(up * local)}"))
            hidden_lines.append((_paren(fmt(up)), f"× {_paren(fmt(local))}", "= ?"))
        head = f"{dname(v)} = {' + '.join(terms)} = {' + '.join(numbers)}"
        return GraphStep(index, phase, dname(v), k, "grad", v.grad, f"{head} = {fmt(v.grad)}",
                         f"{head} = ?", _roles(len(edge_ids)),
                         edge_ids, tuple(lines), tuple(hidden_lines), values, grads, frozenset())

    graph = Graph(nodes, edges, True, 0, make_step)
    # forward: each computed node, layer by layer from the left; backward: each
    # node with a gradient, from the output leftwards (a node's users are all to
    # its right, so their gradients are known when its turn comes); top to bottom
    lay = graph.layout
    forward += sorted((n.key for n in nodes if n.kind in ("op", "output")),
                      key=lambda k: (lay.layers[k], lay.boxes[k].y))
    backward = sorted((n.key for n in nodes if n.grad is not None),
                      key=lambda k: (-lay.layers[k], lay.boxes[k].y))
    plan += [("forward", k) for k in forward] + [("backward", k) for k in backward]
    graph.num_steps = len(plan)
    return graph


def _slot(user: Value, v: Value, graph: Graph, edge: int) -> int:
    """Which input of ``user`` edge number ``edge`` is (a value used twice has two)."""
    src, dst = graph.edges[edge].src, graph.edges[edge].dst
    same = [i for i in graph.edges_into(dst) if graph.edges[i].src == src]
    slots = [s for s, inp in enumerate(user.inputs) if inp is v]
    return slots[same.index(edge)]


def _roles(uses: int) -> str:
    if uses == 1:
        return "upstream gradient × local derivative"
    return f"{uses} uses, so {uses} terms added: each upstream gradient × local derivative"


def _dwrap(name: str) -> str:
    """A name after d or ∂: ``dx``, ``d(x + y)``, ``d(exp(−n))``."""
    return name if name.replace("_", "a").isalnum() else f"({name})"


def _atomic(name: str) -> bool:
    """True when ``name`` needs no parentheses as an operand: ``x``, ``exp(−n)``, ``2``."""
    depth = 0
    for i, c in enumerate(name):
        depth += (c == "(") - (c == ")")
        if depth == 0 and (c in " +·/^" or (c == "−" and i == 0)):
            return False
    return True


def _wrap(name: str) -> str:
    return name if _atomic(name) else f"({name})"


def _exponent(v: Value) -> str:
    """The exponent of ``x ** k`` as written after the ``^``: ``"3"``, ``"0.5"``."""
    return f"{v.exponent:.6g}"


def _op_label(v: Value) -> str:
    """The label of the op that made ``v`` (``"+"``, ``"exp"``), with its exponent for a
    power (``"^3"``): the exponent is no node, so the label is where the graph shows it."""
    return v.op.label + (_exponent(v) if v.op.name == "pow" else "")


def _expression(v: Value, names: dict[int, str]) -> str:
    """What ``v`` computes, written with its inputs' names: ``"x + y"``, ``"(x + y)·z"``."""
    args = [_wrap_arg(v.op, i, names[id(x)]) for i, x in enumerate(v.inputs)]
    if v.op.name == "pow":
        args.append(_exponent(v))
    return v.op.write(*args)


#: Longer expressions are named by their key (``n12``) instead.
_LONGEST_NAME = 32


def _value_name(v: Value, names: dict[int, str], key: str) -> str:
    """How a node is written: its label, its number (a constant), its expression,
    or, for an expression too long to read, its key."""
    if v.label:
        return v.label
    if v.op is None:
        return fmt(v.data)
    expr = _expression(v, names)
    return expr if len(expr) <= _LONGEST_NAME else key


def _wrap_arg(op: Any, i: int, text: str) -> str:
    """An operand in parentheses where it needs them: never inside a function's own
    (``exp(x + y)``), in a sum only when it starts with a minus (``a + (−b)``)."""
    if "({" + "ab"[i] + "})" in op.text:
        return text
    if op.name == "add":
        return f"({text})" if text.startswith("−") else text
    return _wrap(text)


def _forward_text(v: Value, names: dict[int, str]) -> tuple[str, str]:
    """``"q = x + y = −2 + 5 = 3"``, and the same ending in ``"= ?"``."""
    numbers = [_wrap_arg(v.op, i, fmt(x.data)) for i, x in enumerate(v.inputs)]
    if v.op.name == "neg":  # −(1) = −1, not −1 = −1
        numbers = [f"({fmt(v.inputs[0].data)})"]
    if v.op.name == "pow":
        numbers.append(_exponent(v))
    expr = _expression(v, names)
    head = f"{v.label} = {expr}" if v.label else expr
    head = f"{head} = {v.op.write(*numbers)}"
    return f"{head} = {fmt(v.data)}", f"{head} = ?"


# ---------------------------------------------------------------------- traces

def _edge_labels(spec: Any, trace: Trace) -> tuple[str, ...]:
    n = len(spec.operands)
    if spec.op == "linear" and n == 3:
        return ("@", "@ ·ᵀ", "+")
    if spec.op == "activation":
        return ("f",) * n
    if spec.phase == "loss":
        return (trace.loss_fn.name,) * n
    return (spec.op,) * n


def _rhs(text: str) -> str:
    """The right-hand side of a step's formula: ``"Z1 = X @ W1.T + B1" -> "X @ W1ᵀ + B1"``."""
    first = text.split(",  ")[0]
    parts = first.split(" = ")
    return (parts[1] if len(parts) > 1 else first).replace(".T", "ᵀ")


def trace_graph(trace: Trace) -> Graph:
    """The graph of an MLP's trace at matrix level, with one step per trace step.

    Nodes and edges come from the forward and loss steps (each step's operands
    feed its result); a backward step fills the gradient of one node, its current
    edge leading to the value whose gradient is the step's upstream; an update
    step fills a parameter's new value.
    """
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a bpv Trace, got {type(trace).__name__}")
    specs = trace.specs
    forward = [s for s in specs if s.phase in ("forward", "loss")]
    made = {s.name: s for s in forward}
    keys: list[str] = []
    for s in forward:
        for k in (*s.operands, s.name):
            if k not in keys:
                keys.append(k)
    loss_keys = {s.name for s in forward if s.phase == "loss"}
    nodes = []
    for k in keys:
        gk, nk = f"dL/d{k}", f"new {k}"
        if k in loss_keys:
            nodes.append(GraphNode(k, "L", "output", trace[k], 1.0, "dL/dL",
                                   caption=_rhs(made[k].text)))
            continue
        grad = trace[gk] if gk in trace else None
        new = trace[nk] if nk in trace else None
        nodes.append(GraphNode(k, k, "op" if k in made else "input", trace[k], grad,
                               gk if grad is not None else "", "",
                               _rhs(made[k].text) if k in made else "", new,
                               nk if new is not None else ""))
    edges = [GraphEdge(o, s.name, label) for s in forward
             for o, label in zip(s.operands, _edge_labels(s, trace))]
    node_keys = set(keys)
    grad_of = {n.grad_name: n.key for n in nodes if n.grad is not None}
    leaves = frozenset(k for k in keys if k not in made)
    first_backward = next((s.index for s in specs if s.phase == "backward"), len(specs))

    def make_step(graph: Graph, index: int) -> GraphStep:
        spec = specs[index]
        step = trace.step_at(index)
        values = leaves | {s.name for s in forward if s.index <= index}
        grads = {grad_of[s.name] for s in specs[:index + 1]
                 if s.phase == "backward" and s.name in grad_of}
        if index >= first_backward:
            grads |= loss_keys
        new = frozenset(s.operands[0] for s in specs[:index + 1]
                        if s.phase == "update" and s.operands and s.operands[0] in node_keys)
        detail = f"shapes: {shapes_line(step, trace)}"
        node, block, edge_ids, lines = None, "value", (), ()
        if spec.phase in ("forward", "loss"):
            node = spec.name
            edge_ids = tuple(graph.edges_into(node))
            lines = tuple(() for _ in edge_ids)
        elif spec.phase == "backward" and spec.name in grad_of:
            node, block = grad_of[spec.name], "grad"
            targets = ({grad_of[spec.upstream]} if spec.upstream in grad_of else loss_keys)
            edge_ids = tuple(e for e in graph.edges_from(node) if graph.edges[e].dst in targets)
            lines = tuple((_rhs(spec.text),) for _ in edge_ids)
            roles = []
            if spec.upstream:
                roles.append(f"upstream {spec.upstream}")
            if spec.local:
                roles.append(f"local {spec.local}")
            if roles:
                detail = f"{' × '.join(roles)}; {detail}"
        elif spec.phase == "update" and spec.operands and spec.operands[0] in node_keys:
            node, block = spec.operands[0], "new"
        return GraphStep(index, spec.phase, spec.name, node, block, trace[spec.name],
                         spec.text, spec.text, detail, edge_ids, lines, lines,
                         frozenset(values), frozenset(grads), new)

    return Graph(nodes, edges, False, len(specs), make_step)


# ---------------------------------------------------------------------- drawing

def graph_caption_html(graph: Graph, step: int, hide: bool = False) -> str:
    """The step above the picture: its title, its formula (the result as "?" when
    ``hide``), and for matrices the shapes, upstream and local."""
    s = graph.step(step)
    title = step_title(s, graph.num_steps)
    formula = s.formula_hidden if hide else s.formula
    cls = "bpv-role" if graph.scalar else "bpv-shapes"
    detail = f'<div class="{cls}">{html.escape(s.detail)}</div>' if s.detail else ""
    return (f'<div class="bpv-graph-title"><b>{html.escape(title)}</b></div>'
            f'<div class="bpv-graph-formula">{html.escape(formula)}</div>{detail}')


def graph_caption_text(graph: Graph, step: int, hide: bool = False) -> str:
    s = graph.step(step)
    lines = [step_title(s, graph.num_steps), s.formula_hidden if hide else s.formula]
    return "\n".join(lines + ([s.detail] if s.detail else []))


def graph_svg(graph: Graph, step: int | None = None, hide: bool = False,
              mark: tuple[int, ...] | None = None) -> str:
    """The graph after step ``step`` (None: everything known, nothing highlighted).

    ``hide`` writes the current step's result as "?" (quiz); ``mark`` outlines
    one entry of it (``()`` for a scalar).
    """
    lay = graph.layout
    cur = graph.step(step) if step is not None else None
    if cur is None:
        values = frozenset(n.key for n in graph.nodes)
        grads = frozenset(n.key for n in graph.nodes if n.grad is not None)
        new = frozenset(n.key for n in graph.nodes if n.new is not None)
    else:
        values, grads, new = cur.values, cur.grads, cur.new
    current_edges = dict(zip(cur.edges, cur.edge_text_hidden if hide else cur.edge_text)) if cur else {}
    w, h = lay.width, lay.height
    style = SVG_CARD[:-1] + (';max-width:100%;height:auto"' if w <= SHRINK_UP_TO else '"')
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bpv-graph-svg" width="{w:.0f}" '
           f'height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}" font-family="sans-serif" '
           f'font-size="11" {style}>']
    # where each edge arrives: spread down the target's left side, in the order
    # the edges come from, so arrivals do not cross
    ends: dict[int, tuple[float, float]] = {}
    for key, b in lay.boxes.items():
        into = sorted(graph.edges_into(key), key=lambda e: (lay.routes[e][-1][1], e))
        for k, e in enumerate(into):
            ends[e] = (b.x, b.y + b.h * (k + 1) / (len(into) + 1))
    labels = []
    for current in (False, True):
        for e, edge in enumerate(graph.edges):
            on = e in current_edges
            if on != current:
                continue
            points = [*lay.routes[e], ends[e]]
            x2, y2 = points[-1]
            path, mid = _route(points)
            colour = HIGHLIGHT if on else _EDGE
            if on:
                out.append(f'<path d="{path}" fill="none" stroke="{HIGHLIGHT}" stroke-width="7" opacity="0.45"/>')
            out.append(f'<path class="bpv-gedge{" bpv-current" if on else ""}" data-edge="{html.escape(edge.src)}→'
                       f'{html.escape(edge.dst)}" d="{path}" fill="none" stroke="{colour}" '
                       f'stroke-width="{2.2 if on else 1.3}"/>')
            out.append(f'<polygon points="{x2:.1f},{y2:.1f} {x2 - 7:.1f},{y2 - 3.5:.1f} '
                       f'{x2 - 7:.1f},{y2 + 3.5:.1f}" fill="{colour}"/>')
            text = current_edges.get(e) or (edge.label,)
            labels.append((*mid, text, on))
    for key, b in lay.boxes.items():
        node = graph.node(key)
        is_cur = cur is not None and cur.node == key
        out.append(_node_svg(graph, node, b, key in values, key in grads, key in new,
                             cur.block if is_cur else None, hide and is_cur, mark if is_cur else None))
    for mx, my, text, on in labels:
        size = (12 if graph.scalar else 11) if on else 10
        y0 = my - (len(text) - 1) * (size + 2) / 2 + (size / 3 if on else -3)
        if on:  # the chain rule at work: on a card of its own, over everything
            tw = max(len(t) for t in text) * size * 0.6 + 8
            out.append(f'<rect x="{mx - tw / 2:.1f}" y="{y0 - size:.1f}" width="{tw:.1f}" '
                       f'height="{len(text) * (size + 2) + 4:.1f}" rx="3" fill="#fffdf5" '
                       f'stroke="{HIGHLIGHT}" stroke-width="1"/>')
        fill = HIGHLIGHT_TEXT if on else "#666"
        extra = ' class="bpv-gedge-label" font-weight="bold"' if on else \
            ' stroke="white" stroke-width="3.5" paint-order="stroke"'
        for i, line in enumerate(text):
            out.append(f'<text x="{mx:.1f}" y="{y0 + i * (size + 2):.1f}" text-anchor="middle" '
                       f'font-size="{size}" fill="{fill}"{extra}>{html.escape(line)}</text>')
    out.append("</svg>")
    return "".join(out)


def _route(points: list[tuple[float, float]]) -> tuple[str, tuple[float, float]]:
    """An SVG path through ``points`` (exit, then pairs of slot points, then the
    arrival): S-curves between layers, straight through each slot; and the middle
    of the last curve, where the op's label goes."""
    (x, y), rest = points[0], points[1:]
    parts = [f"M{x:.1f},{y:.1f}"]
    mid = (x, y)
    for i in range(0, len(rest), 2):
        x2, y2 = rest[i]
        x2 = x2 - 6 if i == len(rest) - 1 else x2  # stop where the arrowhead starts
        dx = max((x2 - x) / 2, 8)
        parts.append(f"C{x + dx:.1f},{y:.1f} {x2 - dx:.1f},{y2:.1f} {x2:.1f},{y2:.1f}")
        mid = ((x + x2) / 2, (y + y2) / 2)
        if i + 1 < len(rest):
            x, y = rest[i + 1]
            parts.append(f"L{x:.1f},{y:.1f}")
    return " ".join(parts), mid


def _node_svg(graph: Graph, node: GraphNode, b: Box, has_value: bool, has_grad: bool,
              has_new: bool, block: str | None, hide: bool, mark: tuple[int, ...] | None) -> str:
    current = block is not None
    shown = has_value or node.kind in ("input", "constant")
    fill = _FILLS[node.kind] if shown else _EMPTY_FILL
    stroke = HIGHLIGHT if current else ("#444" if shown else _EMPTY_STROKE)
    width = 3 if current else 1.2
    dash = "" if shown else ' stroke-dasharray="4 3"'
    title = node.name + (f" = {node.caption}" if node.caption else "")
    out = [f'<g class="bpv-gnode{" bpv-current" if current else ""}" data-node="{html.escape(node.key)}" '
           f'data-name="{html.escape(node.name)}">'
           f'<title>{html.escape(title)}</title>'
           f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" rx="6" '
           f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}/>']
    x, y = b.x + _PAD, b.y + _PAD + 10
    if graph.scalar:
        y = b.y + _PAD + 12
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" font-weight="bold" font-size="13">'
                   f'{html.escape(node.name)}</text>')
        if node.op:
            out.append(f'<text x="{b.x + b.w - _PAD:.1f}" y="{y:.1f}" text-anchor="end" '
                       f'font-size="12" fill="#777">{html.escape(node.op)}</text>')
        rows = [("value", "data", node.value, shown)]
        if node.grad is not None:
            rows.append(("grad", "grad", node.grad, has_grad))
        for k, (part, word, number, known) in enumerate(rows):
            yy = y + (k + 1) * _S_LINE
            hidden = hide and block == part
            text = "?" if hidden else (fmt(number) if known else "")
            cls = "bpv-data" if part == "value" else "bpv-grad"
            colour = HIGHLIGHT_TEXT if block == part else "#222"
            weight = ' font-weight="bold"' if block == part else ""
            if mark is not None and block == part:
                tw = max(len(text), 1) * _S_CHAR + 6
                out.append(f'<rect x="{x + 5 * _S_CHAR - 3:.1f}" y="{yy - 12:.1f}" width="{tw:.1f}" '
                           f'height="16" fill="{_MARK_FILL}" stroke="{_MARK_STROKE}" stroke-width="1.5"/>')
            out.append(f'<text x="{x:.1f}" y="{yy:.1f}" font-size="12" fill="#666">{word}</text>'
                       f'<text class="{cls}" x="{x + 5 * _S_CHAR:.1f}" y="{yy:.1f}" font-size="12" '
                       f'fill="{colour}"{weight}>{html.escape(text)}</text>')
        out.append("</g>")
        return "".join(out)
    # matrix level: header, caption, value, then the gradient and the new value
    out.append(f'<text x="{x:.1f}" y="{y:.1f}"><tspan font-weight="bold" font-size="12">'
               f'{html.escape(node.name)}</tspan><tspan fill="#666" font-size="10"> '
               f'{html.escape(_shape_text(node.value))}</tspan></text>')
    if node.caption:
        y += _LINE
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" font-family="{_MONO}" font-size="10" fill="#555">'
                   f'{html.escape(node.caption)}</text>')
    y += 4
    blocks = [("value", None, node.value, shown)]
    if node.grad is not None:
        blocks.append(("grad", node.grad_name, node.grad, has_grad))
    if node.new is not None:
        blocks.append(("new", node.new_name, node.new, has_new))
    for part, label, value, known in blocks:
        if label is not None:
            y += _LINE
            colour = HIGHLIGHT_TEXT if block == part else "#666"
            out.append(f'<text x="{x:.1f}" y="{y - 2:.1f}" font-family="{_MONO}" font-size="10" '
                       f'fill="{colour}">{html.escape(label) if known else ""}</text>')
        hidden = hide and block == part
        if known:
            out.append(_grid_svg(value, x, y, hidden, mark if block == part else None,
                                 "bpv-data" if part == "value" else f"bpv-{part}",
                                 HIGHLIGHT_TEXT if block == part else "#222"))
        y += _grid_size(value)[1]
    out.append("</g>")
    return "".join(out)


def _grid_svg(value: Any, x: float, y: float, hide: bool,
              mark: tuple[int, ...] | None, cls: str, colour: str) -> str:
    rows, cut, more = _grid(value, hide)
    flat_mark = None
    if mark is not None:
        flat_mark = (0, 0) if len(mark) == 0 else ((0, mark[0]) if len(mark) == 1 else mark)
    out = [f'<g class="{cls}" font-family="{_MONO}" font-size="10" fill="{colour}">']
    for r, row in enumerate(rows):
        yy = y + (r + 1) * _ROW - 2
        for c, text in enumerate(row):
            right = x + (c + 1) * 6 * _CW + c * _CW
            if flat_mark == (r, c):
                out.append(f'<rect x="{right - 6 * _CW - 2:.1f}" y="{yy - 9:.1f}" width="{6 * _CW + 4:.1f}" '
                           f'height="12" fill="{_MARK_FILL}" stroke="{_MARK_STROKE}" stroke-width="1.5"/>')
            out.append(f'<text x="{right:.1f}" y="{yy:.1f}" text-anchor="end">{html.escape(text)}</text>')
        if cut:
            right = x + len(row) * 7 * _CW
            out.append(f'<text x="{right + _CW:.1f}" y="{yy:.1f}">…</text>')
    if more:
        out.append(f'<text x="{x:.1f}" y="{y + (len(rows) + 1) * _ROW - 2:.1f}" fill="#666">'
                   f'⋮ {more} more row{"s" if more > 1 else ""}</text>')
    out.append("</g>")
    return "".join(out)
