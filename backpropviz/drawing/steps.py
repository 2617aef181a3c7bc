"""One step of a trace as HTML: its operands, in the order the formula reads them,
with their shapes, their role in the chain rule, and the result.

``step_numbers_html`` changes whenever the numbers change; ``step_formula_latex``
only when the step does, so a frontend re-typesets LaTeX only on a step change.
"""

from __future__ import annotations

import html
import re
from typing import Any

from ..engine import Step, Trace
from .matrix import matrix_html, shape_text

# How each kind of step reads, left to right: an int is the operand with that
# index, ("T", i) is operand i transposed, a string is a symbol between them.
_TEMPLATES: dict[str, list[Any]] = {
    "linear": [0, "@", ("T", 1), "+", 2],
    "hadamard": [0, "⊙", 1],
    "matmul": [0, "@", 1],
    "outer": [("T", 0), "@", 1],
    "sum": ["Σ over rows", 0],
    "add": [0, "+", 1],
    "unbias": [0, "/", 1],
}
_LOSS_TEMPLATES: dict[str, list[Any]] = {
    "mse": ["Σ (", 0, "−", 1, ")² / {N}"],
    "bce": ["BCE(", 0, ",", 1, ")"],
    "cross_entropy": ["cross-entropy(softmax(", 0, "),", 1, ")"],
}
_LOSS_GRAD_TEMPLATES: dict[str, list[Any]] = {
    "mse": ["2 · (", 0, "−", 1, ") / {N}"],
    "bce": ["(", 0, "−", 1, ") / ({N} · H · (1 − H))"],
    "cross_entropy": ["(", 2, "−", 1, ") / {N}"],
}

ROLE_NAMES = {"upstream": "upstream gradient", "local": "local derivative"}

def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def loss_count(trace: Trace) -> tuple[int, str]:
    """N, the count the loss divides by, and what it is in words.

    ``(4, "N = 4 entries (4 rows × 1 output)")`` for MSE or BCE on 4 rows and one
    output; ``(5, "N = 5 rows")`` for cross-entropy on 5 rows.
    """
    rows, outputs = trace["Y"].shape
    n = trace.loss_fn.count(trace["Y"])  # the loss owns what its mean runs over
    if trace.loss_fn.mean_over == "rows":
        return n, f"N = {_count(rows, 'row', 'rows')}"
    return n, (f"N = {_count(n, 'entry', 'entries')} ({_count(rows, 'row', 'rows')} × "
               f"{_count(outputs, 'output', 'outputs')})")


def count_line(step: Step, trace: Trace) -> str | None:
    """For the loss and its gradient, what N is, with its value; None for other steps."""
    return loss_count(trace)[1] if step.op in ("loss", "loss_grad") else None


def template(step: Step, trace: Trace) -> list[Any]:
    """The token list of ``step`` (see ``_TEMPLATES``), with numbers filled in."""
    op = step.op
    if op in _TEMPLATES:
        return _TEMPLATES[op]
    if op == "activation":
        activation = trace.activations[step.layer - 1]
        if activation.name == "identity":  # H is Z itself: "Z3 = H3", not "id(Z3) = H3"
            return [0]
        return [f"{activation.label}(", 0, ")"]
    if op in ("sgd", "momentum"):
        return [0, f"− {trace.lr:g} ×", 1]
    if op in _PENALTY_OPS:
        return _penalty_template(step, trace)
    if op in _UPDATE_OPS:
        return _update_template(step, trace)
    n = loss_count(trace)[0]
    table = _LOSS_TEMPLATES if op == "loss" else _LOSS_GRAD_TEMPLATES
    return [t.replace("{N}", str(n)) if isinstance(t, str) else t for t in table[trace.loss_fn.name]]


_PENALTY_OPS = ("penalty", "penalty_grad")
_UPDATE_OPS = ("velocity", "bias_correction", "adam_m", "adam_v", "adam")
#: The phase of an update step, by its op, in the step's title.
_UPDATE_TITLES = {"velocity": "momentum update", "momentum": "momentum update",
                  **{op: "Adam update" for op in ("bias_correction", "adam_m", "adam_v", "unbias",
                                                  "adam")}}


def _penalty_template(step: Step, trace: Trace) -> list[Any]:
    """The penalty (the weights of every layer) and its gradient, with l1 and l2's numbers."""
    l1, l2 = f"{trace.l1:g}", f"{trace.l2:g}"
    if step.op == "penalty_grad":
        return [f"{l1} × sign(", 0, f") + 2 × {l2} ×", 0]
    tokens: list[Any] = [f"{l1} × Σ|W| + {l2} × ΣW² over"]
    for i in range(len(step.operands)):
        tokens += ([","] if i else []) + [i]
    return tokens


def _update_template(step: Step, trace: Trace) -> list[Any]:
    """Momentum's and Adam's steps, with the optimizer's numbers."""
    rule = trace.rule
    b1, b2 = rule.betas
    if step.op == "velocity":
        return [f"{rule.momentum:g} ×", 0, "+", 1]
    if step.op == "bias_correction":
        return [f"1 − {b1 if step.name == 'bc1' else b2:g} ^", 0]
    if step.op == "adam_m":
        return [f"{b1:g} ×", 0, f"+ {1 - b1:g} ×", 1]
    if step.op == "adam_v":
        return [f"{b2:g} ×", 0, f"+ {1 - b2:g} × (", 1, ")²"]
    return [0, f"− {rule.lr:g} ×", 1, "/ (√", 2, f"+ {rule.eps:g})"]


def shapes_line(step: Step, trace: Trace) -> str:
    """The step with shapes for operands: ``(4, 1) ⊙ (4, 1) = (4, 1)``."""
    parts = []
    for token in template(step, trace):
        if isinstance(token, str):
            parts.append(token)
        elif isinstance(token, tuple):
            parts.append(shape_text(trace[step.operands[token[1]]].T))
        else:
            parts.append(shape_text(trace[step.operands[token]]))
    text = re.sub(r"\(\s+", "(", " ".join(parts))
    text = re.sub(r"\s+\)", ")", text)
    return text + f" = {shape_text(step.value)}"


def _operand_block(name: str, value: Any, role: str | None, transposed: bool,
                   mark: tuple[int, ...] | None = None, hide: bool = False,
                   result: bool = False) -> str:
    shown = value.T if transposed else value
    label = html.escape(name + ("ᵀ" if transposed else ""))
    role_html = f'<div class="bpv-role">{ROLE_NAMES[role]}</div>' if role else ""
    cls = "bpv-operand bpv-result" if result else "bpv-operand"
    return (
        f'<div class="{cls}"><div class="bpv-name">{label}</div>{role_html}'
        f"{matrix_html(shown, mark=mark, hide=hide)}"
        f'<div class="bpv-shape">{shape_text(shown)}</div></div>'
    )


def step_numbers_html(
    step: Step, trace: Trace, mark: tuple[int, ...] | None = None, hide_result: bool = False
) -> str:
    """Operands and result with the real numbers, laid out as the formula reads.

    ``mark`` highlights one entry of the result; ``hide_result`` shows it as ``?``.
    """
    roles = {step.upstream: "upstream", step.local: "local"}
    # Terms: (symbols before, operand, symbols after). A line breaks between terms
    # only, so a number's width cannot move an "=" away from its result; symbols
    # after the last operand (a closing bracket) stay with it.
    terms: list[tuple[list[str], str, list[str]]] = []
    symbols: list[str] = []
    for token in template(step, trace):
        if isinstance(token, str):
            symbols.append(token)
            continue
        transposed = isinstance(token, tuple)
        name = step.operands[token[1] if transposed else token]
        terms.append((symbols, _operand_block(name, trace[name], roles.get(name), transposed), []))
        symbols = []
    if terms:
        terms[-1][2].extend(symbols)
        symbols = []
    terms.append((symbols + ["="], _operand_block(step.name, step.value, None, False, mark=mark,
                                                   hide=hide_result, result=True), []))

    def syms(texts: list[str]) -> str:
        return "".join(f'<div class="bpv-sym">{html.escape(t)}</div>' for t in texts)

    pieces = [f'<div class="bpv-term">{syms(before)}{block}{syms(after)}</div>'
              for before, block, after in terms]
    # what a row holds beside its operand: its symbols (120% of 13 px monospace,
    # padding and gaps), the operand's padding and border
    reserve = 20 + max(sum(len(t) * 9.4 + 10 for t in before + after) for before, _, after in terms)
    count = count_line(step, trace)
    count_html = f'<div class="bpv-shapes">{html.escape(count)}</div>' if count else ""
    return (
        f'<div class="bpv-expr" style="--bpv-reserve: {reserve:.0f}px">{"".join(pieces)}</div>'
        f'<div class="bpv-shapes">shapes: {html.escape(shapes_line(step, trace))}</div>'
        f"{count_html}"
    )


def step_formula_latex(step: Step) -> str:
    """The step's formula for MathJax, as display math."""
    return f"$${step.latex}$$"


def step_title(step: Step, total: int) -> str:
    if step.phase == "update":
        phase = _UPDATE_TITLES.get(getattr(step, "op", ""), "SGD update")
    else:
        phase = {"forward": "forward pass", "loss": "loss", "backward": "backward pass"}[step.phase]
    return f"Step {step.index + 1} of {total} · {phase} · {step.name}"


#: Styles for the classes above; panels include it once.
STEP_CSS = """
<style>
.bpv-expr { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; container-type: inline-size; }
.bpv-term { display: flex; align-items: center; gap: 6px; min-width: 0; max-width: 100%; }
.bpv-operand { display: flex; flex-direction: column; align-items: center;
  border: 1px solid #ccc; border-radius: 4px; padding: 2px 6px; min-width: 0; max-width: 100%;
  box-sizing: border-box; }
.bpv-result { border-color: #1f77b4; border-width: 2px; }
.bpv-name { font-weight: bold; font-family: monospace; }
.bpv-role { font-size: 80%; color: var(--jp-content-font-color2, #555); font-style: italic; }
.bpv-shape { font-size: 85%; color: var(--jp-content-font-color2, #555); font-family: monospace; }
.bpv-sym { font-size: 120%; font-family: monospace; padding: 0 2px; }
/* NumPy's own line breaks, never the browser's (JupyterLab wraps an output's
   pre): a matrix wider than its column scrolls instead, so it reads as NumPy
   prints it and its height does not change with the width of its numbers (a
   slider move made the stepper, and everything under it, jump by 200 px). */
.bpv-matrix { margin: 2px 0; line-height: 1.25; font-size: 90%; }
.bpv-expr pre.bpv-matrix { white-space: pre; overflow-x: auto; max-width: 100%; }
/* Small enough that NumPy's 75-character lines fit the column: a monospace
   character is about 0.6 em, and the operand's row also holds its symbols
   (--bpv-reserve, worked out per step); never below 9 px: a matrix scrolls there. */
@supports (width: 1cqi) {
  .bpv-expr pre.bpv-matrix { font-size: clamp(9px, calc((100cqi - var(--bpv-reserve, 48px)) / 46),
                                              var(--jp-code-font-size, 13px)); }
}
.bpv-stepper .widget-html-content { min-width: 0; }  /* may be narrower than a matrix */
.bpv-shapes { margin-top: 4px; color: var(--jp-content-font-color1, #444); font-family: monospace; }
mark.bpv-quiz { background: #ffd54f; color: #000; outline: 2px solid #e65100; }
/* Each panel is its own layout and paint island: a redraw inside one panel
   does not make the browser lay out and repaint the whole notebook. */
.bpv-stepper, .bpv-diagram-panel, .bpv-boundary, .bpv-sliders, .bpv-drilldown,
.bpv-training, .bpv-landscape, .bpv-graph { contain: layout paint style; }
/* noUiSlider asks for compositor layers per slider (will-change: transform on
   its bars, a hidden backface on its handle). With a hundred sliders, sorting
   those layers after every redraw cost more than the redraw itself; a moved
   handle repaints a few pixels instead. */
.bpv-sliders .widget-slider .noUi-origin,
.bpv-sliders .widget-slider .noUi-connect { will-change: auto; }
.bpv-sliders .widget-slider .noUi-handle { -webkit-backface-visibility: visible;
  backface-visibility: visible; }
.bpv-error { border: 1px solid #b71c1c; background: #ffebee; color: #b71c1c;
  padding: 4px 8px; border-radius: 4px; }
/* verdicts and errors carry their own light background: readable in any theme */
.bpv-verdict-right { color: #1b5e20; background: #e8f5e9; font-weight: bold; padding: 0 4px;
  border-radius: 3px; }
.bpv-verdict-wrong { color: #b71c1c; background: #ffebee; font-weight: bold; padding: 0 4px;
  border-radius: 3px; }
</style>
"""
