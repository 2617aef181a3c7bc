"""Drawing without a frontend: HTML for steps and matrices, SVG for the network.

Everything here returns strings (or, later, image bytes) from a ``Trace``, so it
can be tested and timed without Jupyter.
"""

from .diagram import Highlight, network_svg, step_highlight
from .matrix import matrix_html, shape_text
from .steps import STEP_CSS, shapes_line, step_formula_latex, step_numbers_html, step_title

__all__ = [
    "Highlight", "network_svg", "step_highlight", "matrix_html", "shape_text", "STEP_CSS",
    "shapes_line", "step_formula_latex", "step_numbers_html", "step_title",
]
