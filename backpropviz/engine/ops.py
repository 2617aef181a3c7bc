"""The operations of the chain rule, each defined once.

Every operation owns everything a lesson needs about it: how it computes
(``forward``), its local derivative or backward pass, how a teacher writes it
(LaTeX and plain text) and its label on a graph node. The chain rule through an
op is always the same line: gradient of an input = upstream gradient x local
derivative, summed over every use of the input.

The table:

* ``LINEAR``: a layer's ``Z = H_prev @ W.T + B`` and its three backward steps;
* the activations (``activations.py``): ``forward``, ``forward_into``,
  ``derivative`` and the elementwise chain-rule step;
* the losses (``losses.py``): ``forward``, ``grad``, ``batch_forward``;
* ``PENALTY``: L1/L2 regularisation of the weights, ``l1·Σ|W| + l2·ΣW²``, its
  gradient, and the two sums it adds (to the loss, to each weight's gradient);
* ``SGD_UPDATE``: ``W - lr * dL/dW``; ``MOMENTUM``: the velocity and its update;
  ``ADAM``: the two moments, their bias correction and the update;
* ``SCALAR_OPS``: lesson 00's scalar operations for ``bpv.Value``, the
  activations among them being the very same objects a layer uses.

The MLP's trace, the decision-boundary grid and the loss landscape all compute
through these definitions; the step formulas are filled in from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .activations import Activation, ReLU, Sigmoid, Tanh


def fill(pattern: str, **names: str) -> str:
    """``pattern`` with each ``{name}`` replaced (other braces, LaTeX's, left alone)."""
    for key, value in names.items():
        pattern = pattern.replace("{" + key + "}", value)
    return pattern


class Linear:
    """``Z = H_prev @ W.T + B``, PyTorch's ``nn.Linear``: W is (out, in), B is (out,).

    Backward, from the upstream dL/dZ: dL/dH_prev = dL/dZ @ W (the forward used
    W.T, so the gradient goes back through W), dL/dW = dL/dZ.T @ H_prev (a sum of
    one outer product per row), dL/dB = dL/dZ summed over the rows.
    """

    name = "linear"
    label = "@ Wᵀ + B"
    latex = r"{z} = {prev}\,{w}^\top + {b}"
    text = "{z} = {prev} @ {w}.T + {b}"
    input_latex, input_text = r"{dh} = {dz}\,{w}", "{dh} = {dz} @ {w}"
    weight_latex, weight_text = r"{dw} = \left({dz}\right)^\top {prev}", "{dw} = {dz}.T @ {prev}"
    bias_latex, bias_text = r"{db} = \sum_{n} {dz}", "{db} = sum of {dz} over rows"

    @staticmethod
    def shape(prev: tuple[int, ...], weight: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of Z from those of H_prev (rows, in) and W (out, in)."""
        if prev[-1] != weight[-1]:
            raise ValueError(f"H_prev @ W.T needs H_prev's columns ({prev[-1]}) to equal "
                             f"W's inputs ({weight[-1]}): shapes {prev} and {weight}")
        return (*prev[:-1], weight[-2])

    @staticmethod
    def forward(H: np.ndarray, W: np.ndarray, B: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Z for rows H (rows, in); ``out`` receives Z when given (a reused buffer)."""
        Z = H @ W.T if out is None else np.matmul(H, W.T, out=out)
        Z += B
        return Z

    @staticmethod
    def backward(dZ: np.ndarray, H_prev: np.ndarray, W: np.ndarray,
                 need_input: bool = True) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
        """(dL/dH_prev or None, dL/dW, dL/dB) from the upstream dL/dZ."""
        # np.add.reduce is what dZ.sum(axis=0) calls, without its Python wrapper
        return (dZ @ W if need_input else None), dZ.T @ H_prev, np.add.reduce(dZ, axis=0)


class SGDUpdate:
    """Plain SGD on one parameter: ``P' = P - lr * dL/dP``."""

    name = "sgd"
    label = "− lr·"
    latex = r"{p}' = {p} - \eta\,{g}"
    text = "new {p} = {p} − lr·{g}"

    @staticmethod
    def forward(P: np.ndarray, G: np.ndarray, lr: float) -> np.ndarray:
        return P - lr * G


class Penalty:
    """L1 and L2 regularisation of the weights (never the biases, as TensorFlow
    Playground): ``penalty = l1·Σ|W| + l2·ΣW²`` summed over every layer's W, added
    to the data loss. Its gradient with respect to one layer's W is
    ``l1·sign(W) + 2·l2·W``, with sign(0) = 0 (autograd's derivative of |w| at 0),
    and it is added to that layer's gradient from the data.

    A weight of 0 (``l1=0`` or ``l2=0``) drops its term from the computation, so
    that the penalty of a diverged net's inf weights is what the other term says.
    """

    name = "penalty"
    label = "λ₁Σ|W| + λ₂ΣW²"
    # {abs} and {sq} are filled with one sum per layer: "Σ|W1| + Σ|W2|"
    latex = r"{r} = \lambda_1 \left({abs}\right) + \lambda_2 \left({sq}\right)"
    text = "{r} = l1·({abs}) + l2·({sq})"
    abs_latex, abs_text = r"\sum |{w}|", "Σ|{w}|"
    sq_latex, sq_text = r"\sum {w}^2", "Σ{w}²"
    grad_latex = r"{dr} = \lambda_1 \operatorname{sign}({w}) + 2\lambda_2\,{w}"
    grad_text = "{dr} = l1·sign({w}) + 2·l2·{w}"
    # the loss is the data loss plus the penalty; a weight's gradient, the two parts'
    total_latex, total_text = "{l} = {data} + {r}", "{l} = {data} + {r}"
    sum_latex, sum_text = "{dw} = {data} + {dr}", "{dw} = {data} + {dr}"

    @staticmethod
    def layer(W: np.ndarray, l1: float, l2: float) -> tuple[np.floating | float, np.floating | float]:
        """(Σ|W|, ΣW²) of one layer's weights, each 0.0 when its weight is 0.
        ``W`` may be a stack (G, out, in): then each sum has shape (G,)."""
        axes = (-2, -1)
        a = np.add.reduce(np.abs(W), axis=axes) if l1 else 0.0
        b = np.add.reduce(W * W, axis=axes) if l2 else 0.0
        return a, b

    def forward(self, Ws: list[np.ndarray], l1: float, l2: float) -> np.floating | float:
        """The penalty of the weights ``Ws`` (one per layer), as the formula reads."""
        sums = [self.layer(W, l1, l2) for W in Ws]
        total = 0.0
        if l1:
            total = total + l1 * sum(a for a, _ in sums)
        if l2:
            total = total + l2 * sum(b for _, b in sums)
        return total

    @staticmethod
    def gradient(W: np.ndarray, l1: float, l2: float) -> np.ndarray:
        """d(penalty)/dW for one layer: ``l1·sign(W) + 2·l2·W``, shape of W."""
        if not l1:
            return (2 * l2) * W
        if not l2:
            return l1 * np.sign(W)
        return l1 * np.sign(W) + (2 * l2) * W


class MomentumUpdate:
    """SGD with momentum, as ``torch.optim.SGD(momentum=μ)``: the velocity
    ``v' = μ·v + g`` (v starts at 0, so the first v' is g), then ``P' = P - lr·v'``."""

    name = "momentum"
    label = "μ·v + g"
    velocity_latex = r"{v}' = \mu\,{v} + {g}"
    velocity_text = "new {v} = μ·{v} + {g}"
    latex = r"{p}' = {p} - \eta\,{v}'"
    text = "new {p} = {p} − lr·new {v}"

    @staticmethod
    def velocity(V: np.ndarray, G: np.ndarray, momentum: float) -> np.ndarray:
        return momentum * V + G

    @staticmethod
    def forward(P: np.ndarray, V_new: np.ndarray, lr: float) -> np.ndarray:
        return P - lr * V_new


class AdamUpdate:
    """Adam, as ``torch.optim.Adam``: at step t (counting from 1),
    ``m' = β1·m + (1 − β1)·g``, ``v' = β2·v + (1 − β2)·g²``, the bias-corrected
    ``m̂ = m' / (1 − β1ᵗ)`` and ``v̂ = v' / (1 − β2ᵗ)``, then
    ``P' = P − lr·m̂ / (√v̂ + ε)``. The moments start at 0."""

    name = "adam"
    label = "Adam"
    correction_latex = r"{c} = 1 - \beta_{k}^{t}"
    correction_text = "{c} = 1 − β{k}^t"
    m_latex = r"{m}' = \beta_1 {m} + (1 - \beta_1)\,{g}"
    m_text = "new {m} = β1·{m} + (1 − β1)·{g}"
    v_latex = r"{v}' = \beta_2 {v} + (1 - \beta_2)\left({g}\right)^2"
    v_text = "new {v} = β2·{v} + (1 − β2)·({g})²"
    unbias_latex = r"{hat} = \frac{{new}}{{c}}"
    unbias_text = "{hat} = {new} / {c}"
    latex = r"{p}' = {p} - \eta\,\frac{{mhat}}{\sqrt{{vhat}} + \epsilon}"
    text = "new {p} = {p} − lr·{mhat} / (√{vhat} + ε)"

    @staticmethod
    def correction(beta: float, t: int) -> float:
        """``1 − βᵗ``, what a moment is divided by at step t."""
        return 1 - beta ** t

    @staticmethod
    def first_moment(M: np.ndarray, G: np.ndarray, beta1: float) -> np.ndarray:
        return beta1 * M + (1 - beta1) * G

    @staticmethod
    def second_moment(V: np.ndarray, G: np.ndarray, beta2: float) -> np.ndarray:
        return beta2 * V + (1 - beta2) * (G * G)

    @staticmethod
    def unbias(moment: np.ndarray, correction: float) -> np.ndarray:
        return moment / correction

    @staticmethod
    def forward(P: np.ndarray, Mhat: np.ndarray, Vhat: np.ndarray, lr: float, eps: float) -> np.ndarray:
        return P - lr * Mhat / (np.sqrt(Vhat) + eps)


LINEAR = Linear()
SGD_UPDATE = SGDUpdate()
PENALTY = Penalty()
MOMENTUM = MomentumUpdate()
ADAM = AdamUpdate()


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
