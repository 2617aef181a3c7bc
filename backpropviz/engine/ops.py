"""The operations of the chain rule, each defined once.

An ``Op`` owns everything a lesson needs about one operation: how it computes
(``forward``), its local derivative with respect to each input (``local``), how
a teacher writes it (``latex`` and ``text``, with ``{a}``, ``{b}`` for the
inputs) and its label on a graph node. The chain rule through an op is then
always the same line: gradient of an input = upstream gradient x local
derivative, summed over every use of the input.

``SCALAR_OPS`` holds the operations of lesson 00's scalar expressions
(``bpv.Value``); the activations are the MLP's own ``Activation`` objects, so a
``tanh`` in a scalar graph and in a layer are one definition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .activations import Activation, ReLU, Sigmoid, Tanh


@dataclass(frozen=True)
class Op:
    """One operation: forward, local derivatives, formula and graph label.

    ``forward(*inputs)`` returns the output; ``local(inputs, out)`` returns the
    derivative of the output with respect to each input, in input order;
    ``check(*inputs)`` raises a ``ValueError`` for inputs the op is not defined
    on (naming the op and the operand), before anything is computed.
    """

    name: str
    label: str
    arity: int
    forward: Callable[..., float]
    local: Callable[[tuple, float], tuple]
    latex: str
    text: str
    check: Callable[..., None] | None = None

    def __call__(self, *inputs: float) -> float:
        if self.check is not None:
            self.check(*inputs)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = float(self.forward(*inputs))
        if not math.isfinite(out):
            shown = ", ".join(f"{x:g}" for x in inputs)
            raise ValueError(f"{self.name}({shown}) is not a finite number (got {out}); "
                             "the numbers are too large for float64")
        return out

    def write(self, *names: str, latex: bool = False) -> str:
        """The formula with the inputs' names filled in: ``mul.write("x", "y") == "x·y"``."""
        pattern = self.latex if latex else self.text
        return pattern.format(**dict(zip("ab", names)))


def activation_op(f: Activation) -> Op:
    """An activation as a scalar op: the same forward and derivative as in a layer."""

    def forward(z: float) -> float:
        return float(f.forward(np.array(z)))

    def local(inputs: tuple, out: float) -> tuple:
        return (float(f.derivative(np.array(inputs[0]), np.array(out))),)

    def pattern(s: str) -> str:  # the activation's own notation, as a format string
        return s.replace("{", "{{").replace("}", "}}").replace("{{z}}", "{a}")

    latex, text = pattern(f.latex), pattern(f.text.split(" = ")[0])
    return Op(f.name, f.name, 1, forward, local, latex, text)


def _divisor(a: float, b: float) -> None:
    if b == 0:
        raise ValueError(f"division by zero: the divisor must not be 0 (dividing {a:g} by {b:g})")


def _positive(a: float) -> None:
    if not a > 0:
        raise ValueError(f"log needs a positive number, got {a:g}")


def _power(a: float, k: float) -> None:
    if a == 0 and k < 1:
        raise ValueError(f"power: 0 ** {k:g} has no finite derivative at 0")
    if a < 0 and k != int(k):
        raise ValueError(f"power: a negative number ({a:g}) to a non-whole power ({k:g}) is not real")


SCALAR_OPS: dict[str, Op] = {op.name: op for op in (
    Op("add", "+", 2, lambda a, b: a + b, lambda x, out: (1.0, 1.0),
       "{a} + {b}", "{a} + {b}"),
    Op("mul", "×", 2, lambda a, b: a * b, lambda x, out: (x[1], x[0]),
       r"{a} \cdot {b}", "{a}·{b}"),
    Op("div", "÷", 2, lambda a, b: a / b, lambda x, out: (1.0 / x[1], -x[0] / (x[1] * x[1])),
       r"\frac{{{a}}}{{{b}}}", "{a} / {b}", _divisor),
    Op("pow", "^", 2, lambda a, k: a ** k, lambda x, out: (x[1] * x[0] ** (x[1] - 1), 0.0),
       "{a}^{{{b}}}", "{a}^{b}", _power),
    Op("neg", "−", 1, lambda a: -a, lambda x, out: (-1.0,), "-{a}", "−{a}"),
    Op("exp", "exp", 1, lambda a: np.exp(a), lambda x, out: (out,),
       r"e^{{{a}}}", "exp({a})"),
    Op("log", "log", 1, lambda a: math.log(a), lambda x, out: (1.0 / x[0],),
       r"\log {a}", "log({a})", _positive),
    activation_op(Tanh()),
    activation_op(Sigmoid()),
    activation_op(ReLU()),
)}
