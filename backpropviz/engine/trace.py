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
    new W1, new B1, ...   the updated parameters (only when traced with lr or an optimizer)

With ``l1``/``l2`` regularisation, ``loss`` is ``data loss + penalty`` and each
weight's gradient ``dL/dW1`` is ``dL/dW1 (data) + dL/dW1 (penalty)``, all of them
keys. Traced with momentum, the update also holds each parameter's velocity
(``v W1`` before, ``new v W1`` after); with Adam, the step number ``t``, the bias
corrections ``bc1``, ``bc2`` and each parameter's moments (``m W1``, ``v W1``,
``new m W1``, ``new v W1``, ``mhat W1``, ``vhat W1``).

and is also the ordered list of ``steps`` a teacher writes on the board.
A trace is a snapshot: nothing that happens to the net later changes it.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .activations import Activation
from .losses import Loss
from .ops import ADAM, LINEAR, MOMENTUM, PENALTY, SGD_UPDATE, fill

PHASES = ("forward", "loss", "backward", "update")
#: The update rules a trace can show: plain SGD, SGD with momentum, Adam.
UPDATES = ("sgd", "momentum", "adam")
#: The keys of a regularised trace's two parts of the loss.
DATA_LOSS, PENALTY_KEY = "data loss", "penalty"


def slot_key(slot: str, value: str) -> str:
    """The key of an optimizer's slot for one parameter: ``slot_key("m", "W1") == "m W1"``."""
    return f"{slot} {value}"


def part_key(grad: str, part: str) -> str:
    """One part of a regularised weight gradient: ``part_key("dL/dW1", "data") == "dL/dW1 (data)"``."""
    return f"{grad} ({part})"


@dataclass(frozen=True)
class UpdateRule:
    """The update a trace shows and its settings: ``kind`` is ``"sgd"``,
    ``"momentum"`` or ``"adam"``; the fields the kind does not use keep their defaults."""

    kind: str
    lr: float
    momentum: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8


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
    if key in _TEX:
        return _TEX[key]
    if key.endswith(")") and " (" in key:  # "dL/dW1 (data)", "dL/dW1 (penalty)"
        grad, part = key[:-1].split(" (")
        top = _TEX[DATA_LOSS] if part == "data" else _TEX[PENALTY_KEY]
        return r"\frac{\partial " + top + r"}{\partial " + _tex(grad[4:]) + "}"
    if key.startswith("dL/d"):
        return r"\frac{\partial L}{\partial " + _tex(key[4:]) + "}"
    if key.startswith("new "):
        return _tex(key[4:]) + "'"
    slot, _, of = key.partition(" ")
    if of:  # an optimizer's slot: "v W1", "mhat W1"
        name = r"\hat{" + slot[0] + "}" if slot.endswith("hat") else slot
        return f"{name}_{{{_tex(of)}}}"
    if key[0] in "XY":
        return key
    return f"{key[0]}_{{{key[1:]}}}"


_TEX = {DATA_LOSS: r"L_{\text{data}}", PENALTY_KEY: "R", "loss": "L", "t": "t",
        "bc1": "c_1", "bc2": "c_2"}


def build_schema(
    sizes: tuple[int, ...], activations: tuple[Activation, ...], loss: Loss,
    update: str | bool | None, penalty: bool = False,
) -> tuple[StepSpec, ...]:
    """The ordered steps of one training step of an MLP with these layers.

    ``update`` is the update rule the steps end with (``"sgd"``, ``"momentum"``,
    ``"adam"``; True means ``"sgd"``; None or False: no update); ``penalty`` adds
    the L1/L2 penalty's steps. Every formula comes from the op that computes the
    step (``ops.LINEAR``, the activation, the loss, ``ops.PENALTY``, the update's
    op); this only puts the names in.
    """
    update = "sgd" if update is True else (update or None)
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
    if not penalty:
        add(loss.latex, loss.text, dict(h=out),
            name="loss", phase="loss", layer=None, op="loss", operands=(out, "Y"))
    else:
        # the loss's own formula, for the data loss: "L = ..." becomes "data loss = ..."
        assert loss.latex.startswith("L = ") and loss.text.startswith("L = ")
        add(_tex(DATA_LOSS) + loss.latex[1:], DATA_LOSS + loss.text[1:], dict(h=out),
            name=DATA_LOSS, phase="loss", layer=None, op="loss", operands=(out, "Y"))
        weights = [f"W{l}" for l in range(1, n + 1)]
        steps.append(StepSpec(
            index=len(steps), name=PENALTY_KEY, phase="loss", layer=None, op="penalty",
            operands=tuple(weights),
            latex=fill(PENALTY.latex, r=_tex(PENALTY_KEY),
                       abs=" + ".join(fill(PENALTY.abs_latex, w=_tex(w)) for w in weights),
                       sq=" + ".join(fill(PENALTY.sq_latex, w=_tex(w)) for w in weights)),
            text=fill(PENALTY.text, r=PENALTY_KEY,
                      abs=" + ".join(fill(PENALTY.abs_text, w=w) for w in weights),
                      sq=" + ".join(fill(PENALTY.sq_text, w=w) for w in weights))))
        add(PENALTY.total_latex, PENALTY.total_text, dict(l="loss", data=DATA_LOSS, r=PENALTY_KEY),
            name="loss", phase="loss", layer=None, op="add", operands=(DATA_LOSS, PENALTY_KEY))

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
        w, dz, dw, db = f"W{l}", f"dL/dZ{l}", f"dL/dW{l}", f"dL/dB{l}"
        data = part_key(dw, "data") if penalty else dw
        add(LINEAR.weight_latex, LINEAR.weight_text, dict(dw=data, dz=dz, prev=prev),
            name=data, phase="backward", layer=l, op="outer", operands=(dz, prev),
            local=prev, upstream=dz, param=param_name(l, "W"))
        if penalty:
            dr = part_key(dw, "penalty")
            add(PENALTY.grad_latex, PENALTY.grad_text, dict(dr=dr, w=w),
                name=dr, phase="backward", layer=l, op="penalty_grad", operands=(w,),
                param=param_name(l, "W"))
            add(PENALTY.sum_latex, PENALTY.sum_text, dict(dw=dw, data=data, dr=dr),
                name=dw, phase="backward", layer=l, op="add", operands=(data, dr),
                param=param_name(l, "W"))
        add(LINEAR.bias_latex, LINEAR.bias_text, dict(db=db, dz=dz),
            name=db, phase="backward", layer=l, op="sum", operands=(dz,),
            upstream=dz, param=param_name(l, "B"))
    if update is not None:
        _update_steps(add, n, update)
    return tuple(steps)


def _update_steps(add: Any, n: int, update: str) -> None:
    """The update's steps, parameter by parameter (Adam's bias corrections first)."""
    if update not in UPDATES:
        raise ValueError(f"update must be one of {UPDATES}, got {update!r}")
    if update == "adam":
        for k in (1, 2):
            c = f"bc{k}"
            add(ADAM.correction_latex, ADAM.correction_text, dict(c=c, k=str(k)),
                name=c, phase="update", layer=None, op="bias_correction", operands=("t",))
    for l in range(1, n + 1):
        for kind in "WB":
            p, g = f"{kind}{l}", f"dL/d{kind}{l}"
            new, kw = f"new {p}", dict(phase="update", layer=l, param=param_name(l, kind))
            if update == "sgd":
                add(SGD_UPDATE.latex, SGD_UPDATE.text, dict(p=p, g=g),
                    name=new, op="sgd", operands=(p, g), **kw)
            elif update == "momentum":
                v = slot_key("v", p)
                add(MOMENTUM.velocity_latex, MOMENTUM.velocity_text, dict(v=v, g=g),
                    name=f"new {v}", op="velocity", operands=(v, g), **kw)
                add(MOMENTUM.latex, MOMENTUM.text, dict(p=p, v=v),
                    name=new, op="momentum", operands=(p, f"new {v}"), **kw)
            else:
                m, v = slot_key("m", p), slot_key("v", p)
                mhat, vhat = slot_key("mhat", p), slot_key("vhat", p)
                add(ADAM.m_latex, ADAM.m_text, dict(m=m, g=g),
                    name=f"new {m}", op="adam_m", operands=(m, g), **kw)
                add(ADAM.v_latex, ADAM.v_text, dict(v=v, g=g),
                    name=f"new {v}", op="adam_v", operands=(v, g), **kw)
                for hat, moment, c in ((mhat, f"new {m}", "bc1"), (vhat, f"new {v}", "bc2")):
                    add(ADAM.unbias_latex, ADAM.unbias_text, dict(hat=hat, new=moment, c=c),
                        name=hat, op="unbias", operands=(moment, c), **kw)
                add(ADAM.latex, ADAM.text, dict(p=p, mhat=mhat, vhat=vhat),
                    name=new, op="adam", operands=(p, mhat, vhat), **kw)


@functools.lru_cache(maxsize=None)
def _layer_getter(layers: int, w: str, b: str) -> operator.itemgetter:
    """Reads ``(w1, w2, ..., b1, b2, ...)`` out of a dict of values in one call:
    the keys of one weight quantity and one bias quantity in every layer."""
    return operator.itemgetter(*(f"{w}{l}" for l in range(1, layers + 1)),
                               *(f"{b}{l}" for l in range(1, layers + 1)))


class Trace(Mapping):
    """Every intermediate of one pass, by name, and the ordered steps.

    Built by ``MLP.trace``; read it like a dict (``t["dL/dZ2"]``).
    """

    __slots__ = ("_values", "_schema", "sizes", "activations", "loss_fn", "lr", "_version",
                 "_rule", "l1", "l2", "_optimizer_version")

    def __init__(
        self,
        values: dict[str, Any],
        schema: tuple[StepSpec, ...],
        sizes: tuple[int, ...],
        activations: tuple[Activation, ...],
        loss_fn: Loss,
        lr: float | None,
        version: object,
        rule: UpdateRule | None = None,
        l1: float = 0.0,
        l2: float = 0.0,
        optimizer_version: object = None,
    ) -> None:
        self._values = values
        self._schema = schema
        self.sizes = sizes
        self.activations = activations
        self.loss_fn = loss_fn
        #: The learning rate of the update the trace shows (None: no update).
        self.lr = lr
        self._version = version
        self._rule = rule
        #: The L1 and L2 weights of the penalty in ``loss`` (both 0: no penalty).
        self.l1, self.l2 = l1, l2
        self._optimizer_version = optimizer_version

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
    def rule(self) -> UpdateRule | None:
        """The update the trace shows (plain SGD, momentum or Adam, with their
        settings), or None when traced without lr or an optimizer."""
        if self._rule is None and self.lr is not None:
            return UpdateRule("sgd", self.lr)
        return self._rule

    @property
    def update_kind(self) -> str | None:
        """``"sgd"``, ``"momentum"`` or ``"adam"``: the kind of update the trace shows
        (None: no update)."""
        if self._rule is not None:
            return self._rule.kind
        return None if self.lr is None else "sgd"

    @property
    def optimizer_version(self) -> object:
        """Which state of its optimizer the update was computed from (``Optimizer.step`` checks it)."""
        return self._optimizer_version

    @property
    def loss(self) -> float:
        """The loss as a Python float (inf or NaN if training diverged); with a
        penalty, the data loss plus the penalty."""
        return float(self._values["loss"])

    @property
    def data_loss(self) -> float:
        """The loss of the data alone (``loss`` itself when there is no penalty)."""
        return float(self._values.get(DATA_LOSS, self._values["loss"]))

    @property
    def penalty(self) -> float:
        """The L1/L2 penalty in the loss (0.0 when there is none)."""
        return float(self._values.get(PENALTY_KEY, 0.0))

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

    def gradient_arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """dL/dW and dL/dB of every layer, in order, read-only and not copied, for
        the engine's own update (``gradients()`` is the reader's view, by name)."""
        n = len(self.sizes) - 1
        both = _layer_getter(n, "dL/dW", "dL/dB")(self._values)
        for arr in both:
            arr.setflags(False)  # write=False; positional, it costs half (once per step)
        return list(both[:n]), list(both[n:])

    def updated_arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The updated weights and biases of every layer (``new W1``, ...; ``new B1``,
        ...), read-only and not copied: what ``MLP.sgd_step`` installs."""
        n = len(self.sizes) - 1
        both = _layer_getter(n, "new W", "new B")(self._values)
        for arr in both:
            arr.setflags(False)  # write=False
        return list(both[:n]), list(both[n:])

    def updated_state_dict(self) -> dict[str, np.ndarray]:
        """The parameters after the update (needs a trace made with ``lr`` or an optimizer)."""
        if self.lr is None:
            raise ValueError("this trace was made without lr; pass lr or optimizer to MLP.trace")
        return {
            param_name(l, kind): self._values[f"new {kind}{l}"].copy()
            for l in range(1, self.num_layers + 1) for kind in "WB"
        }

    def __repr__(self) -> str:
        arch = "-".join(map(str, self.sizes))
        return f"<Trace of a {arch} net, loss={self.loss_fn.name} {self.loss:.6g}, {len(self._schema)} steps>"
