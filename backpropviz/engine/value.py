"""``Value``: one number in a scalar expression, with the gradient backprop gives it.

Lesson 00's building block, in the shape the field knows from micrograd::

    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    f = (x + y) * z
    f.backward()
    x.grad, y.grad, z.grad        # -4.0, -4.0, 3.0

Every operation is an ``Op`` from ``ops.SCALAR_OPS`` (the activations are the
MLP's own), and each node remembers the op that made it, its inputs and the
local derivative with respect to each, so a graph can be drawn and each step of
the chain rule shown: input.grad += upstream x local.
"""

from __future__ import annotations

import math
from typing import Any

from ._checks import describe
from .ops import SCALAR_OPS, Op


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"{what} must be a real number or a Value, got {describe(value)}")
    if isinstance(value, complex):
        raise TypeError(f"{what} must be a real number or a Value, got {describe(value)}")
    try:
        x = float(value)
    except (TypeError, OverflowError):
        raise ValueError(f"{what} must be a finite real number, got {describe(value)}") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number, got {x}")
    return x


class Value:
    """A scalar node: ``data``, ``grad`` (filled by ``backward()`` of an expression
    that uses it), a ``label``, and how it was made (``op``, ``inputs``, ``local``,
    and for ``x ** k`` the number ``exponent``, which is not a node: no grad)."""

    __slots__ = ("data", "grad", "label", "op", "inputs", "local", "exponent")

    def __init__(self, data: Any, label: str = "", *, _op: Op | None = None,
                 _inputs: tuple["Value", ...] = (), _local: tuple[float, ...] = (),
                 _exponent: float | None = None) -> None:
        self.data = _number(data, "data")
        if not isinstance(label, str):
            raise TypeError(f"label must be a string, got {describe(label)}")
        self.label = label
        self.grad = 0.0
        self.op, self.inputs, self.local = _op, _inputs, _local
        self.exponent = _exponent

    # ------------------------------------------------------------------ building

    @staticmethod
    def _lift(other: Any, op: str) -> "Value":
        if isinstance(other, Value):
            return other
        return Value(_number(other, f"the other operand of {op}"))

    def _apply(self, name: str, *others: "Value", exponent: float | None = None) -> "Value":
        op = SCALAR_OPS[name]
        nodes = (self, *others)
        args = tuple(v.data for v in nodes) + (() if exponent is None else (exponent,))
        out = op(*args)
        local = op.local(args, out)[:len(nodes)]
        return Value(out, _op=op, _inputs=nodes, _local=tuple(float(d) for d in local),
                     _exponent=exponent)

    def __add__(self, other: Any) -> "Value":
        return self._apply("add", self._lift(other, "+"))

    def __radd__(self, other: Any) -> "Value":
        return self._lift(other, "+")._apply("add", self)

    def __mul__(self, other: Any) -> "Value":
        return self._apply("mul", self._lift(other, "*"))

    def __rmul__(self, other: Any) -> "Value":
        return self._lift(other, "*")._apply("mul", self)

    def __truediv__(self, other: Any) -> "Value":
        return self._apply("div", self._lift(other, "/"))

    def __rtruediv__(self, other: Any) -> "Value":
        return self._lift(other, "/")._apply("div", self)

    def __neg__(self) -> "Value":
        return self._apply("neg")

    def __sub__(self, other: Any) -> "Value":
        return self._apply("add", -self._lift(other, "-"))

    def __rsub__(self, other: Any) -> "Value":
        return self._lift(other, "-")._apply("add", -self)

    def __pow__(self, exponent: Any) -> "Value":
        if isinstance(exponent, Value):
            raise TypeError("** takes a plain number as the exponent (such as x ** 2), "
                            f"got a Value ({exponent!r})")
        return self._apply("pow", exponent=_number(exponent, "the exponent of **"))

    def __rpow__(self, base: Any) -> "Value":
        raise TypeError(f"** takes a Value as the base and a number as the exponent; "
                        f"got {describe(base)} ** a Value (write it with exp and log)")

    def exp(self) -> "Value":
        return self._apply("exp")

    def log(self) -> "Value":
        return self._apply("log")

    def tanh(self) -> "Value":
        return self._apply("tanh")

    def sigmoid(self) -> "Value":
        return self._apply("sigmoid")

    def relu(self) -> "Value":
        return self._apply("relu")

    # ------------------------------------------------------------------ backward

    def nodes(self) -> list["Value"]:
        """Every node of the expression, inputs before the nodes made from them."""
        order: list[Value] = []
        seen: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:  # depth-first without recursion, so deep chains are fine
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((v, False) for v in reversed(node.inputs) if id(v) not in seen)
        return order

    def backward(self) -> None:
        """Fill ``grad`` on every node: d(self)/d(node). Calling it again gives the same
        grads (each call starts from zero); where a node is used twice, the
        gradients of its uses add."""
        order = self.nodes()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for v, d in zip(node.inputs, node.local):
                v.grad += node.grad * d

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        made = f", op={self.op.name}" if self.op else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g}{made})"
