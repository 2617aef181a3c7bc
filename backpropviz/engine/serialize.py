"""A whole training session to JSON and back, bit for bit, and safely.

Floats are written as ``float.hex`` strings (``"0x1.3333333333333p-2"``), so
every weight, every loss on the curve and NaN/inf after a divergence come back
exactly. Loading parses plain JSON only (no pickle, no eval), checks every
field's type, shape and size before building anything, and raises
``ValueError`` naming the first bad field; the caller's objects are untouched.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from .activations import ACTIVATIONS, get_activation
from .losses import LOSSES
from .mlp import MLP
from .training import MAX_UNDO, Curve, Snapshot, Trainer

FORMAT = "backpropviz"
VERSION = 1
#: Limits that keep a hostile file from exhausting memory.
MAX_TEXT = 64 * 1024 * 1024
MAX_LAYERS = 16
MAX_UNITS = 1024
MAX_ROWS = 200_000
MAX_CURVE = 10_000_000


class BadState(ValueError):
    """A saved state that cannot be loaded; the message names the field."""


# ---------------------------------------------------------------------- writing

def _hex(x: float) -> str:
    return float(x).hex()


def array_to_json(a: np.ndarray) -> dict:
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "hex": [_hex(v) for v in a.ravel()]}


def _rng_state(state: dict) -> dict:
    return {"bit_generator": state["bit_generator"],
            "state": {"state": int(state["state"]["state"]), "inc": int(state["state"]["inc"])},
            "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}


def trainer_to_dict(trainer: Trainer, Y_raw: np.ndarray, Y_test_raw: np.ndarray | None,
                    initial: dict[str, np.ndarray], extra: dict | None = None) -> dict:
    """Everything needed to continue this session exactly where it is."""
    net = trainer.net
    curve = trainer.curve
    return {
        "format": FORMAT,
        "version": VERSION,
        "net": {"sizes": list(net.sizes), "activations": [a.config() for a in net.activations],
                "seed": net.seed},
        "parameters": {k: array_to_json(v) for k, v in net.state_dict().items()},
        "initial": {k: array_to_json(v) for k, v in initial.items()},
        "data": {
            "X": array_to_json(trainer.X),
            "Y": array_to_json(Y_raw),
            "X_test": None if trainer.X_test is None else array_to_json(trainer.X_test),
            "Y_test": None if Y_test_raw is None else array_to_json(Y_test_raw),
        },
        "training": {
            "loss": trainer.loss,
            "lr": _hex(trainer.lr),
            "batch_size": trainer.batch_size,
            "seed": trainer.seed,
            "steps": trainer.steps,
            "epochs_done": trainer.epochs_done,
            "cursor": trainer.cursor,
            "order": None if trainer.order is None else [int(i) for i in trainer.order],
            "rng": _rng_state(trainer.rng.bit_generator.state),
            "history": [
                {"params": {k: array_to_json(v) for k, v in s.params.items()},
                 "rng": _rng_state(s.rng_state), "cursor": s.cursor,
                 "order": None if s.order is None else [int(i) for i in s.order],
                 "epochs_done": s.epochs_done}
                for s in trainer.history
            ],
            "curve": {name: [_hex(v) for v in getattr(curve, name)]
                      for name in ("train_loss", "test_loss", "train_acc", "test_acc")},
        },
        "extra": extra or {},
    }


def dumps(d: dict) -> str:
    return json.dumps(d, separators=(",", ":"))


# ---------------------------------------------------------------------- reading

def _fail(path: str, expected: str, got: Any) -> BadState:
    text = repr(got)
    if len(text) > 60:
        text = text[:57] + "..."
    return BadState(f"saved state: {path} must be {expected}, got {text}")


def _get(d: Any, key: str, path: str) -> Any:
    if not isinstance(d, dict):
        raise _fail(path, "an object", d)
    if key not in d:
        raise BadState(f"saved state: {path}.{key} is missing")
    return d[key]


def _int(v: Any, path: str, lo: int = 0, hi: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _fail(path, "a whole number", v)
    if v < lo or (hi is not None and v > hi):
        raise _fail(path, f"a whole number from {lo}" + (f" to {hi}" if hi is not None else ""), v)
    return v


def _float(v: Any, path: str) -> float:
    if not isinstance(v, str) or len(v) > 40:
        raise _fail(path, "a float written by float.hex", v)
    try:
        return float.fromhex(v)
    except (ValueError, OverflowError):
        raise _fail(path, "a float written by float.hex", v) from None


def array_from_json(v: Any, path: str, shape: tuple | None = None, ndim: int | None = None,
                    max_size: int = MAX_ROWS * 16) -> np.ndarray:
    if not isinstance(v, dict) or set(v) != {"shape", "hex"}:
        raise _fail(path, 'an array {"shape": [...], "hex": [...]}', v)
    dims = v["shape"]
    if not isinstance(dims, list) or len(dims) > 2:
        raise _fail(f"{path}.shape", "a list of at most 2 sizes", dims)
    dims = tuple(_int(n, f"{path}.shape", 0, max_size) for n in dims)
    if ndim is not None and len(dims) != ndim:
        raise _fail(f"{path}.shape", f"{ndim} sizes", list(dims))
    if shape is not None and dims != tuple(shape):
        raise _fail(f"{path}.shape", str(list(shape)), list(dims))
    size = math.prod(dims)
    if size > max_size:
        raise _fail(f"{path}.shape", f"at most {max_size} entries", list(dims))
    values = v["hex"]
    if not isinstance(values, list) or len(values) != size:
        raise _fail(f"{path}.hex", f"a list of {size} floats", f"{type(values).__name__} of {len(values) if isinstance(values, list) else '?'}")
    return np.array([_float(x, f"{path}.hex[{i}]") for i, x in enumerate(values)],
                    dtype=np.float64).reshape(dims)


def _rng(v: Any, path: str) -> dict:
    if _get(v, "bit_generator", path) != "PCG64":
        raise _fail(f"{path}.bit_generator", "'PCG64'", v.get("bit_generator"))
    inner = _get(v, "state", path)
    big = 2 ** 128
    return {"bit_generator": "PCG64",
            "state": {"state": _int(_get(inner, "state", f"{path}.state"), f"{path}.state.state", 0, big),
                      "inc": _int(_get(inner, "inc", f"{path}.state"), f"{path}.state.inc", 0, big)},
            "has_uint32": _int(_get(v, "has_uint32", path), f"{path}.has_uint32", 0, 1),
            "uinteger": _int(_get(v, "uinteger", path), f"{path}.uinteger", 0, 2 ** 32)}


def _order(v: Any, path: str, n: int) -> np.ndarray | None:
    if v is None:
        return None
    if not isinstance(v, list) or sorted(v) != list(range(n)) or any(isinstance(i, bool) for i in v):
        raise _fail(path, f"null or a permutation of 0..{n - 1}", v)
    return np.array(v, dtype=np.int64)


def _params(v: Any, path: str, shapes: dict[str, tuple]) -> dict[str, np.ndarray]:
    if not isinstance(v, dict) or set(v) != set(shapes):
        raise _fail(path, f"an object with exactly the keys {list(shapes)}",
                    sorted(v) if isinstance(v, dict) else v)
    return {k: array_from_json(v[k], f"{path}.{k}", shape=shapes[k]) for k in shapes}


def loads(text: str) -> dict:
    """Parse and check a saved session; returns its parts, builds nothing shared."""
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError(f"text must be the JSON text of a saved state, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise BadState(f"saved state: the file is larger than {MAX_TEXT // 2**20} MiB")

    def no_constants(name: str) -> None:
        raise BadState(f"saved state: {name} is not allowed (floats are written as hex strings)")

    try:
        d = json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise BadState(f"saved state: not valid JSON ({exc})") from None
    if _get(d, "format", "state") != FORMAT:
        raise _fail("format", repr(FORMAT), d.get("format"))
    if _get(d, "version", "state") != VERSION:
        raise _fail("version", str(VERSION), d.get("version"))

    netd = _get(d, "net", "state")
    sizes = _get(netd, "sizes", "net")
    if not isinstance(sizes, list) or not 2 <= len(sizes) <= MAX_LAYERS + 1:
        raise _fail("net.sizes", f"a list of 2 to {MAX_LAYERS + 1} layer sizes", sizes)
    sizes = [_int(s, f"net.sizes[{i}]", 1, MAX_UNITS) for i, s in enumerate(sizes)]
    acts = _get(netd, "activations", "net")
    if not isinstance(acts, list) or len(acts) != len(sizes) - 1:
        raise _fail("net.activations", f"a list of {len(sizes) - 1} activations", acts)
    activations = []
    for i, a in enumerate(acts):
        if not isinstance(a, dict) or a.get("name") not in ACTIVATIONS or set(a) - {"name", "negative_slope"}:
            raise _fail(f"net.activations[{i}]", f"an activation such as {{'name': 'tanh'}} ({sorted(ACTIVATIONS)})", a)
        if "negative_slope" in a and (isinstance(a["negative_slope"], bool)
                                       or not isinstance(a["negative_slope"], (int, float))
                                       or not math.isfinite(a["negative_slope"])):
            raise _fail(f"net.activations[{i}].negative_slope", "a finite number", a["negative_slope"])
        activations.append(get_activation(a))
    seed = netd.get("seed")
    if seed is not None:
        seed = _int(seed, "net.seed", 0, 2 ** 63)
    net = MLP(sizes, activations, seed=0)
    net.seed = seed
    shapes = net.parameter_shapes()
    params = _params(_get(d, "parameters", "state"), "parameters", shapes)
    initial = _params(_get(d, "initial", "state"), "initial", shapes)

    data = _get(d, "data", "state")
    X = array_from_json(_get(data, "X", "data"), "data.X", ndim=2)
    if X.shape[1] != sizes[0] or not 1 <= X.shape[0] <= MAX_ROWS:
        raise _fail("data.X.shape", f"[rows, {sizes[0]}] with 1 to {MAX_ROWS} rows", list(X.shape))
    Y = array_from_json(_get(data, "Y", "data"), "data.Y")
    X_test = data.get("X_test")
    Y_test = data.get("Y_test")
    if (X_test is None) != (Y_test is None):
        raise BadState("saved state: data.X_test and data.Y_test must both be null or both arrays")
    if X_test is not None:
        X_test = array_from_json(X_test, "data.X_test", ndim=2)
        Y_test = array_from_json(Y_test, "data.Y_test")

    tr = _get(d, "training", "state")
    loss = _get(tr, "loss", "training")
    if loss not in LOSSES:
        raise _fail("training.loss", f"one of {sorted(LOSSES)}", loss)
    lr = _float(_get(tr, "lr", "training"), "training.lr")
    batch = tr.get("batch_size")
    if batch is not None:
        batch = _int(batch, "training.batch_size", 1, MAX_ROWS)
    n = X.shape[0]
    history_in = _get(tr, "history", "training")
    if not isinstance(history_in, list) or len(history_in) > MAX_UNDO:
        raise _fail("training.history", f"a list of at most {MAX_UNDO} steps", type(history_in).__name__)
    curve_in = _get(tr, "curve", "training")
    series = {}
    for name in ("train_loss", "test_loss", "train_acc", "test_acc"):
        values = _get(curve_in, name, "training.curve")
        if not isinstance(values, list) or len(values) > MAX_CURVE:
            raise _fail(f"training.curve.{name}", "a list of floats", type(values).__name__)
        series[name] = [_float(v, f"training.curve.{name}[{i}]") for i, v in enumerate(values)]
    try:
        curve = Curve.from_arrays(series["train_loss"], series["train_acc"],
                                  series["test_loss"], series["test_acc"])
    except ValueError as exc:
        raise BadState(f"saved state: training.curve: {exc}") from None
    steps = _int(_get(tr, "steps", "training"), "training.steps")
    if len(curve.train_loss) != steps + 1:
        raise BadState(f"saved state: training.curve.train_loss must have steps + 1 = {steps + 1} "
                       f"entries, got {len(curve.train_loss)}")
    history = [
        Snapshot(params=_params(_get(h, "params", f"training.history[{i}]"), f"training.history[{i}].params", shapes),
                 rng_state=_rng(_get(h, "rng", f"training.history[{i}]"), f"training.history[{i}].rng"),
                 cursor=_int(_get(h, "cursor", f"training.history[{i}]"), f"training.history[{i}].cursor", 0, n),
                 order=_order(h.get("order"), f"training.history[{i}].order", n),
                 epochs_done=_int(_get(h, "epochs_done", f"training.history[{i}]"), f"training.history[{i}].epochs_done"))
        for i, h in enumerate(history_in)
    ]
    return {
        "net": net, "parameters": params, "initial": initial,
        "X": X, "Y": Y, "X_test": X_test, "Y_test": Y_test,
        "loss": loss, "lr": lr, "batch_size": batch,
        "seed": _int(_get(tr, "seed", "training"), "training.seed", 0, 2 ** 63),
        "steps": steps,
        "epochs_done": _int(_get(tr, "epochs_done", "training"), "training.epochs_done"),
        "cursor": _int(_get(tr, "cursor", "training"), "training.cursor", 0, n),
        "order": _order(tr.get("order"), "training.order", n),
        "rng": _rng(_get(tr, "rng", "training"), "training.rng"),
        "history": history, "curve": curve,
        "extra": d.get("extra") if isinstance(d.get("extra"), dict) else {},
    }


def build_trainer(parts: dict) -> Trainer:
    """A Trainer from ``loads``'s parts, exactly as it was saved (or a clear error)."""
    net: MLP = parts["net"]
    try:
        net.load_state_dict(parts["initial"])
    except ValueError as exc:
        raise BadState(f"saved state: initial.{exc}") from None
    try:
        trainer = Trainer(net, parts["X"], parts["Y"], loss=parts["loss"], lr=parts["lr"],
                          batch_size=parts["batch_size"], seed=parts["seed"],
                          X_test=parts["X_test"], Y_test=parts["Y_test"], start=parts["initial"])
    except (ValueError, TypeError) as exc:
        raise BadState(f"saved state: the data does not fit the net and loss: {exc}") from None
    try:
        trainer.resume(parts["parameters"], parts["steps"], parts["epochs_done"], parts["cursor"],
                       parts["order"], parts["rng"], parts["history"], parts["curve"])
    except (ValueError, TypeError) as exc:
        raise BadState(f"saved state: training.{exc}") from None
    return trainer


__all__ = ["trainer_to_dict", "dumps", "loads", "build_trainer", "BadState"]
