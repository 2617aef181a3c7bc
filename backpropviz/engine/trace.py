"""The trace: every intermediate of one forward and backward pass, by name.

A ``Trace`` maps the seed notebook's names to arrays::

    X, Y                  the inputs and targets (Y as the loss sees it)
    W1, B1, W2, B2, ...   the parameters the pass used (layer l: ``layer{l}.weight``)
    Z1, H1, Z2, H2, ...   pre-activations and activations, (rows, units)
    loss                  the scalar loss (and ``P``, softmax probabilities, for
                          ``cross_entropy``)
    dL/dH2, dL/dZ2, ...   gradients of the loss with respect to each of them
    dH2/dZ2, ...          the local derivative f'(Z) of each activation
    dL/dW2, dL/dB2, ...   parameter gradients, shaped like the parameters
    new W1, new B1, ...   the SGD update ``W - lr * dL/dW`` (only when traced with lr)

and is also the ordered list of ``steps`` a teacher writes on the board.
A trace is a snapshot: nothing that happens to the net later changes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .activations import Activation
from .losses import Loss
from .ops import LINEAR, SGD_UPDATE, fill

PHASES = ("forward", "loss", "backward", "update")


def param_name(layer: int, kind: str) -> str:
    """PyTorch's name of a parameter: ``param_name(1, "W") == "layer1.weight"``."""
    return f"layer{layer}.{'weight' if kind == 'W' else 'bias'}"


def entry_name(name: str, index: tuple[int, ...] = ()) -> str:
    """One entry of a named array: ``entry_name("layer1.weight", (0, 1)) == "layer1.weight[0,1]"``
    (the name alone for a scalar)."""
    return f"{name}[{','.join(map(str, index))}]" if len(index) else name


def grad_key(name: str) -> str:
    """The trace key of a parameter's gradient: ``"layer1.weight" -> "dL/dW1"``."""
    layer, kind = split_param(name)
    return f"dL/d{'W' if kind == 'weight' else 'B'}{layer}"


def value_key(name: str) -> str:
    """The trace key of a parameter's value: ``"layer1.weight" -> "W1"``."""
    layer, kind = split_param(name)
    return f"{'W' if kind == 'weight' else 'B'}{layer}"


def split_param(name: str) -> tuple[int, str]:
    head, _, kind = name.partition(".")
    if not head.startswith("layer") or not head[5:].isdigit() or kind not in ("weight", "bias"):
        raise ValueError(
            f"parameter name must look like 'layer1.weight' or 'layer2.bias', got {name!r}"
        )
    return int(head[5:]), kind


@dataclass(frozen=True)
class StepSpec:
    """One line on the board, independent of the numbers.

    ``name`` is the trace key of the result. ``operands`` are trace keys, in the
    order the formula reads them. For a chain-rule step, ``local`` names the
    local derivative and ``upstream`` the gradient flowing in from the loss side,
    so the step reads "result = upstream (times) local".
    """

    index: int
    name: str
    phase: str
    layer: int | None
    latex: str
    text: str
    operands: tuple[str, ...]
    op: str
    local: str | None = None
    upstream: str | None = None
    param: str | None = None


class Step:
    """A ``StepSpec`` together with the numbers of one trace."""

    __slots__ = ("spec", "_trace")

    def __init__(self, spec: StepSpec, trace: "Trace") -> None:
        self.spec = spec
        self._trace = trace

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.spec, attr)

    @property
    def value(self) -> Any:
        """The step's result (an array, or the loss as a scalar)."""
        return self._trace[self.spec.name]

    @property
    def operand_values(self) -> dict[str, Any]:
        """Each operand's value, by name, in formula order."""
        return {name: self._trace[name] for name in self.spec.operands}

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of the result and of each operand, by name."""
        names = (*self.spec.operands, self.spec.name)
        return {name: np.shape(self._trace[name]) for name in names}

    def __repr__(self) -> str:
        return f"<Step {self.spec.index}: {self.spec.text}>"


def _tex(key: str) -> str:
    """LaTeX for a trace key: ``"dL/dZ2" -> \\frac{\\partial L}{\\partial Z_{2}}``."""
    if key.startswith("dL/d"):
        return r"\frac{\partial L}{\partial " + _tex(key[4:]) + "}"
    if key.startswith("new "):
        return _tex(key[4:]) + "'"
    if key[0] in "XY":
        return key
    return f"{key[0]}_{{{key[1:]}}}"


def build_schema(
    sizes: tuple[int, ...], activations: tuple[Activation, ...], loss: Loss, with_update: bool
) -> tuple[StepSpec, ...]:
    """The ordered steps of one training step of an MLP with these layers.

    Every formula comes from the op that computes the step (``ops.LINEAR``, the
    activation, the loss, ``ops.SGD_UPDATE``); this only puts the names in.
    """
    n = len(sizes) - 1
    steps: list[StepSpec] = []

    def add(latex: str, text: str, names: dict[str, str], **kw: Any) -> None:
        tex = {k: _tex(v) for k, v in names.items()}
        steps.append(StepSpec(index=len(steps), latex=fill(latex, **tex),
                              text=fill(text, **names), **kw))

    for l in range(1, n + 1):
        prev = "X" if l == 1 else f"H{l - 1}"
        z, h, w, b = f"Z{l}", f"H{l}", f"W{l}", f"B{l}"
        add(LINEAR.latex, LINEAR.text, dict(z=z, prev=prev, w=w, b=b),
            name=z, phase="forward", layer=l, op="linear", operands=(prev, w, b))
        f = activations[l - 1]
        add("{h} = " + f.latex, "{h} = " + f.text, dict(h=h, z=z),
            name=h, phase="forward", layer=l, op="activation", operands=(z,))
    out = f"H{n}"
    add(loss.latex, loss.text, dict(h=out),
        name="loss", phase="loss", layer=None, op="loss", operands=(out, "Y"))

    for l in range(n, 0, -1):
        h, z = f"H{l}", f"Z{l}"
        dh, dz, local = f"dL/d{h}", f"dL/d{z}", f"d{h}/d{z}"
        if l == n:
            operands = (out, "Y", "P") if "P" in loss.extras else (out, "Y")
            add(loss.grad_latex, loss.grad_text, dict(h=out),
                name=dh, phase="backward", layer=l, op="loss_grad", operands=operands)
        else:
            up, wn = f"dL/dZ{l + 1}", f"W{l + 1}"
            add(LINEAR.input_latex, LINEAR.input_text, dict(dh=dh, dz=up, w=wn),
                name=dh, phase="backward", layer=l, op="matmul", operands=(up, wn),
                local=wn, upstream=up)
        f = activations[l - 1]
        names = dict(dz=dz, dh=dh, z=z)
        steps.append(StepSpec(
            index=len(steps), name=dz, phase="backward", layer=l, op="hadamard",
            operands=(dh, local), local=local, upstream=dh,
            latex=fill(f.backward_latex, fprime=fill(f.derivative_latex, z=_tex(z)),
                       **{k: _tex(v) for k, v in names.items()}),
            text=fill(f.backward_text, fprime=fill(f.derivative_text, z=z), **names)))
    for l in range(n, 0, -1):
        prev = "X" if l == 1 else f"H{l - 1}"
        dz, dw, db = f"dL/dZ{l}", f"dL/dW{l}", f"dL/dB{l}"
        add(LINEAR.weight_latex, LINEAR.weight_text, dict(dw=dw, dz=dz, prev=prev),
            name=dw, phase="backward", layer=l, op="outer", operands=(dz, prev),
            local=prev, upstream=dz, param=param_name(l, "W"))
        add(LINEAR.bias_latex, LINEAR.bias_text, dict(db=db, dz=dz),
            name=db, phase="backward", layer=l, op="sum", operands=(dz,),
            upstream=dz, param=param_name(l, "B"))
    if with_update:
        for l in range(1, n + 1):
            for kind in "WB":
                p, g = f"{kind}{l}", f"dL/d{kind}{l}"
                steps.append(StepSpec(
                    index=len(steps), name=f"new {p}", phase="update", layer=l, op="sgd",
                    operands=(p, g), param=param_name(l, kind),
                    latex=fill(SGD_UPDATE.latex, p=_tex(p), g=_tex(g)),
                    text=fill(SGD_UPDATE.text, p=p, g=g)))
    return tuple(steps)


class Trace(Mapping):
    """Every intermediate of one pass, by name, and the ordered steps.

    Built by ``MLP.trace``; read it like a dict (``t["dL/dZ2"]``).
    """

    __slots__ = ("_values", "_schema", "sizes", "activations", "loss_fn", "lr", "_version")

    def __init__(
        self,
        values: dict[str, Any],
        schema: tuple[StepSpec, ...],
        sizes: tuple[int, ...],
        activations: tuple[Activation, ...],
        loss_fn: Loss,
        lr: float | None,
        version: object,
    ) -> None:
        self._values = values
        self._schema = schema
        self.sizes = sizes
        self.activations = activations
        self.loss_fn = loss_fn
        self.lr = lr
        self._version = version

    def __getitem__(self, key: str) -> Any:
        try:
            value = self._values[key]
        except KeyError:
            raise KeyError(
                f"this trace has no {key!r}; it has {', '.join(self._values)}"
            ) from None
        # A trace is a snapshot: every array handed out is read-only. (Frozen on
        # first read rather than when traced: a training step reads none of them.)
        if type(value) is np.ndarray and value.flags.writeable:
            value.flags.writeable = False
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @property
    def version(self) -> object:
        """Which parameters of its net this trace was made from (``MLP.sgd_step`` checks it)."""
        return self._version

    @property
    def loss(self) -> float:
        """The loss as a Python float (inf or NaN if training diverged)."""
        return float(self._values["loss"])

    @property
    def finite(self) -> bool:
        """False if the loss or any gradient is inf or NaN."""
        return all(
            np.isfinite(np.sum(self._values[s.name]))
            for s in self._schema if s.phase in ("loss", "backward")
        )

    @property
    def specs(self) -> tuple[StepSpec, ...]:
        """The steps without numbers; shared by every trace of the same net and loss,
        so ``a.specs is b.specs`` tells that two traces have the same steps."""
        return self._schema

    @property
    def num_steps(self) -> int:
        return len(self._schema)

    def step_at(self, index: int) -> Step:
        """The step at position ``index`` in board order."""
        return Step(self._schema[index], self)

    @property
    def steps(self) -> list[Step]:
        """The steps in board order: forward, loss, backward, then the update."""
        return [Step(spec, self) for spec in self._schema]

    def step(self, name: str) -> Step:
        """The step whose result is ``name`` (e.g. ``"dL/dZ1"``)."""
        for spec in self._schema:
            if spec.name == name:
                return Step(spec, self)
        raise KeyError(f"no step named {name!r}; steps are {[s.name for s in self._schema]}")

    @property
    def num_layers(self) -> int:
        return len(self.sizes) - 1

    def gradients(self) -> dict[str, np.ndarray]:
        """Parameter gradients by PyTorch name (``"layer1.weight"``), in state-dict order."""
        return {
            param_name(l, kind): self[f"dL/d{kind}{l}"]
            for l in range(1, self.num_layers + 1) for kind in "WB"
        }

    def parameters(self) -> dict[str, np.ndarray]:
        """The parameters this pass used, by PyTorch name."""
        return {
            param_name(l, kind): self[f"{kind}{l}"]
            for l in range(1, self.num_layers + 1) for kind in "WB"
        }

    def updated_state_dict(self) -> dict[str, np.ndarray]:
        """The parameters after the SGD update (needs a trace made with ``lr``)."""
        if self.lr is None:
            raise ValueError("this trace was made without lr; pass lr to MLP.trace")
        return {
            param_name(l, kind): self._values[f"new {kind}{l}"].copy()
            for l in range(1, self.num_layers + 1) for kind in "WB"
        }

    def __repr__(self) -> str:
        arch = "-".join(map(str, self.sizes))
        return f"<Trace of a {arch} net, loss={self.loss_fn.name} {self.loss:.6g}, {len(self._schema)} steps>"
