"""Elementwise activation functions and their local derivatives.

Each activation maps a pre-activation ``Z`` (rows x units) to ``H = f(Z)`` and
gives the local derivative ``dH/dZ = f'(Z)`` elementwise, following PyTorch's
conventions at the kinks (ReLU'(0) = 0, LeakyReLU'(0) = negative_slope).
Each also knows how a teacher writes it, in LaTeX and in plain text, and its
label on a graph: an activation is one operation of the op table
(``backpropviz.engine.ops``), defined here once for layers, grids and scalars.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._checks import as_real, describe


class Activation:
    """Base class: subclasses set ``name`` and implement ``forward`` and ``derivative``."""

    name: str = ""
    #: Its label on a graph node.
    label: str = ""
    #: f(Z) and f'(Z) as LaTeX bodies, with ``{z}`` standing for the argument.
    latex: str = ""
    derivative_latex: str = ""
    #: The same in plain text.
    text: str = ""
    derivative_text: str = ""
    #: The chain-rule step through any activation: dL/dZ = dL/dH (elementwise) f'(Z).
    backward_latex = r"{dz} = {dh} \odot f'({z}),\quad f'({z}) = {fprime}"
    backward_text = "{dz} = {dh} ⊙ f'({z}),  f'({z}) = {fprime}"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        """H = f(Z), a new array of Z's shape."""
        raise NotImplementedError

    def forward_into(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """H = f(Z) written into ``out`` (a reused buffer of Z's shape); returns ``out``."""
        np.copyto(out, self.forward(Z))
        return out

    def forward_in_place(self, Z: np.ndarray) -> np.ndarray:
        """H = f(Z) written over Z (an array nothing else needs), returned. The
        activations that can do it without a new array say so (for the loss
        landscape's stack of nets, a new array is a third of the time)."""
        np.copyto(Z, self.forward(Z))
        return Z

    def derivative(self, Z: np.ndarray, H: np.ndarray) -> np.ndarray:
        """dH/dZ = f'(Z) elementwise; ``H`` is ``forward(Z)``, reused where cheaper."""
        raise NotImplementedError

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        return self.forward(np.asarray(Z, dtype=np.float64))

    def config(self) -> dict[str, Any]:
        """A JSON-ready description; ``get_activation(config)`` rebuilds it."""
        return {"name": self.name}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Activation) and self.config() == other.config()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.config().items())))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(Activation):
    name = "relu"
    latex = r"\mathrm{ReLU}({z})"
    derivative_latex = r"[{z} > 0]"
    text = "ReLU({z}) = max({z}, 0)"
    derivative_text = "1 where {z} > 0, else 0"
    label = "ReLU"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.maximum(Z, 0.0)

    def forward_into(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.maximum(Z, 0.0, out=out)

    def forward_in_place(self, Z: np.ndarray) -> np.ndarray:
        return self.forward_into(Z, Z)  # elementwise: safe with out as Z

    def derivative(self, Z: np.ndarray, H: np.ndarray) -> np.ndarray:
        return np.where(Z > 0, 1.0, 0.0)


class LeakyReLU(Activation):
    """max(z, slope * z) for slope <= 1; PyTorch's ``nn.LeakyReLU(negative_slope)``."""

    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        slope = as_real("negative_slope", negative_slope)
        if not math.isfinite(slope):
            raise ValueError(f"negative_slope must be a finite number, got {slope!r}")
        self.negative_slope = slope
        s = f"{slope:g}"
        self.latex = r"\mathrm{LeakyReLU}_{" + s + r"}({z})"
        self.derivative_latex = r"\begin{cases}1 & {z} > 0\\ " + s + r" & \text{otherwise}\end{cases}"
        self.text = f"LeakyReLU({{z}}) = {{z}} where {{z}} > 0, else {s}·{{z}}"
        self.derivative_text = f"1 where {{z}} > 0, else {s}"
        self.label = f"LeakyReLU({s})"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        s = self.negative_slope
        if 0.0 <= s <= 1.0:
            # The seed's own formula: np.maximum(0.5 * Z1, Z1).
            return np.maximum(s * Z, Z)
        return np.where(Z > 0, Z, s * Z)

    def forward_into(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        s = self.negative_slope
        if 0.0 <= s <= 1.0:
            np.multiply(Z, s, out=out)
            return np.maximum(out, Z, out=out)
        np.copyto(out, self.forward(Z))
        return out

    def derivative(self, Z: np.ndarray, H: np.ndarray) -> np.ndarray:
        return np.where(Z > 0, 1.0, self.negative_slope)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "negative_slope": self.negative_slope}

    def __repr__(self) -> str:
        return f"LeakyReLU({self.negative_slope!r})"


class Tanh(Activation):
    name = "tanh"
    latex = r"\tanh({z})"
    derivative_latex = r"1 - \tanh^2({z})"
    text = "tanh({z})"
    derivative_text = "1 − tanh²({z})"
    label = "tanh"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return np.tanh(Z)

    def forward_into(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.tanh(Z, out=out)

    def forward_in_place(self, Z: np.ndarray) -> np.ndarray:
        return self.forward_into(Z, Z)  # elementwise: safe with out as Z

    def derivative(self, Z: np.ndarray, H: np.ndarray) -> np.ndarray:
        return 1.0 - H * H


class Sigmoid(Activation):
    name = "sigmoid"
    latex = r"\sigma({z})"
    derivative_latex = r"\sigma({z})\,(1 - \sigma({z}))"
    text = "σ({z}) = 1 / (1 + exp(−{z}))"
    derivative_text = "σ({z})·(1 − σ({z}))"
    label = "σ"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        # 1 / (1 + exp(-z)) overflows for z << 0 only to exp = inf, giving 0: correct.
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-Z))

    def forward_into(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.negative(Z, out=out)
        with np.errstate(over="ignore"):
            np.exp(out, out=out)
        out += 1.0
        return np.reciprocal(out, out=out)

    def forward_in_place(self, Z: np.ndarray) -> np.ndarray:
        return self.forward_into(Z, Z)  # each step reads only what it writes over

    def derivative(self, Z: np.ndarray, H: np.ndarray) -> np.ndarray:
        return H * (1.0 - H)


class Identity(Activation):
    name = "identity"
    latex = r"{z}"
    derivative_latex = r"1"
    text = "{z}"
    derivative_text = "1"
    label = "id"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        return Z.copy()  # a trace keeps Z and H as two arrays that share no memory

    def forward_into(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.copyto(out, Z)
        return out

    def forward_in_place(self, Z: np.ndarray) -> np.ndarray:
        return Z

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        return np.array(Z, dtype=np.float64)

    def derivative(self, Z: np.ndarray, H: np.ndarray) -> np.ndarray:
        return np.ones_like(Z)


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (ReLU, LeakyReLU, Tanh, Sigmoid, Identity)
}


def get_activation(spec: Any, name: str = "activation") -> Activation:
    """An ``Activation`` from an instance, a name such as ``"tanh"``, or a config dict."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, type) and issubclass(spec, Activation) and spec is not Activation:
        return spec()
    if isinstance(spec, dict):
        params = dict(spec)
        key = params.pop("name", None)
        cls = ACTIVATIONS.get(key) if isinstance(key, str) else None
        if cls is None:
            raise ValueError(
                f"{name} must name one of {sorted(ACTIVATIONS)}, got {describe(key)}"
            )
        try:
            return cls(**params)
        except TypeError as exc:
            raise ValueError(f"{name}: bad parameters for {key!r}: {exc}") from exc
    if isinstance(spec, str):
        cls = ACTIVATIONS.get(spec.lower())
        if cls is None:
            raise ValueError(
                f"{name} must be one of {sorted(ACTIVATIONS)} or an Activation, got {spec!r}"
            )
        return cls()
    raise TypeError(
        f"{name} must be an Activation such as LeakyReLU(0.5) or one of the names "
        f"{sorted(ACTIVATIONS)}, got {describe(spec)}"
    )
