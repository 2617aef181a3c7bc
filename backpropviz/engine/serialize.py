"""A whole training session to JSON and back, bit for bit, and safely.

Version 4 (written since this release) is version 3 with the input features:
``data.features`` (their names, or null when the net reads X as given) and, with
features, ``data.points`` and ``data.points_test``, the points of the plane that
X and X_test are the features of (X must be exactly their features). Versions
1 to 3 are read without features.

Version 3 (written since this release) is version 2 with the optimizer and the
penalty: ``training.optimizer`` (its name and settings), ``training.l1`` and
``training.l2``, the optimizer's state in ``training.optimizer_state`` (Adam's
step count ``t`` and its arrays by name, ``"m W1"``, ...) and each undo
snapshot's in ``training.history.optimizer`` (stacked by column, as the
parameters). Versions 2 and 1 are read as plain SGD without a penalty.

Version 2 stores every array as

    {"shape": [4, 2], "dtype": "<f8", "base64": "..."}

its little-endian bytes in base64: weights, data, the loss curve and the
inf/NaN of a diverged run come back exactly, and a million-step curve loads in
a fraction of a second. The learning rate is a ``float.hex`` string. The undo
history is stored by column: ``history.params["layer1.weight"]`` has shape
(snapshots, 4, 2), and the shuffled row orders that snapshots share are stored
once, in ``training.orders``, and referred to by index. Version 1 (the previous
release) wrote every float as a ``float.hex`` string in a list; it is still
read, up to ``MAX_TEXT_V1``.

Loading parses plain JSON only (no pickle, no eval), checks every field's type
and every array's declared shape against the limits of ``limits.py`` before
decoding it, and raises ``BadState`` (a ``ValueError``) naming the first bad
field. ``loads`` builds nothing shared, so a refused file changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
from typing import Any, Callable

import numpy as np

from .activations import ACTIVATIONS, get_activation
from .features import check_features, feature_matrix
from .limits import (MAX_DATA_ENTRIES, MAX_LAYERS, MAX_ROWS, MAX_STEPS, MAX_UNDO, MAX_UNITS,
                     check_data_shape, check_sizes)
from .losses import LOSSES
from .mlp import MLP
from .optim import OPTIMIZERS
from .trace import slot_key, value_key
from .training import Curve, Snapshot, Trainer

FORMAT = "backpropviz"
VERSION = 4
#: The versions ``loads`` reads.
VERSIONS = (1, 2, 3, 4)
#: The slots of each optimizer's state, per parameter; Adam's also has its step count t.
SLOTS = {"sgd": (), "momentum": ("v",), "adam": ("m", "v")}
#: Largest file read, in bytes: room for a curve of MAX_STEPS + 1 points in all four
#: series (43 MB in base64), a full undo history and data at the row cap. Parsing
#: holds the text and its parsed strings, about twice the file (three times when
#: given bytes, which json decodes to a str first), so the largest file loads in
#: about 0.6 s of CPU and 140-170 MB; ``benchmarks/load.py`` measures it.
MAX_TEXT = 56 * 2**20
#: Largest version-1 file read. Every float is a hex string there, costing ~300 ns
#: and ~120 bytes to parse and decode: 16 MiB load in about 0.2 s of CPU and 90 MB.
MAX_TEXT_V1 = 16 * 2**20
#: Commas (so JSON values) a file larger than MAX_TEXT_V1 may hold, counted before
#: parsing, so that no file of many small values costs far more memory than its
#: size: a version-2 file with a full undo history has about 10,000.
MAX_ITEMS = 100_000
CURVE_SERIES = ("train_loss", "train_acc", "test_loss", "test_acc")
F8, I4 = "<f8", "<i4"
_UINT128, _UINT32 = 2**128, 2**32


class BadState(ValueError):
    """A saved state that cannot be loaded; the message names the field."""


# ---------------------------------------------------------------------- writing

def _hex(x: float) -> str:
    return float(x).hex()


def array_to_json(a: np.ndarray, dtype: str = F8) -> dict:
    """``{"shape", "dtype", "base64"}`` of ``a`` as little-endian ``dtype`` bytes."""
    a = np.ascontiguousarray(a, dtype=dtype)
    return {"shape": list(a.shape), "dtype": dtype,
            "base64": base64.b64encode(a.tobytes()).decode("ascii")}


def rng_to_json(state: dict) -> dict:
    """A NumPy PCG64 ``bit_generator.state`` with plain ints, JSON-ready."""
    return {"bit_generator": state["bit_generator"],
            "state": {"state": int(state["state"]["state"]), "inc": int(state["state"]["inc"])},
            "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}


def trainer_to_dict(trainer: Trainer, Y_raw: np.ndarray, Y_test_raw: np.ndarray | None,
                    initial: dict[str, np.ndarray], extra: dict | None = None,
                    features: tuple[str, ...] | None = None, points: np.ndarray | None = None,
                    points_test: np.ndarray | None = None) -> dict:
    """Everything needed to continue this session exactly where it is (version 4).

    With ``features``, X is their columns for ``points`` (and X_test for ``points_test``)."""
    net = trainer.net
    shapes = net.parameter_shapes()
    orders: list[dict] = []
    by_id: dict[int, int] = {}  # id of an order array -> its place in ``orders``
    by_bytes: dict[bytes, int] = {}

    def order_ref(order: np.ndarray | None) -> int | None:
        # The snapshots of one epoch share its order: each distinct order is written once.
        if order is None:
            return None
        if id(order) not in by_id:
            raw = np.ascontiguousarray(order, dtype=I4).tobytes()
            if raw not in by_bytes:
                by_bytes[raw] = len(orders)
                orders.append(array_to_json(order, I4))
            by_id[id(order)] = by_bytes[raw]
        return by_id[id(order)]

    history = trainer.history
    names = _state_names(trainer.optimizer, net.parameter_shapes())
    state = trainer.optim.state_dict()

    def optimizer_columns() -> dict:
        out: dict[str, Any] = {"arrays": {k: array_to_json(np.stack([s.optim[k] for s in history])
                                                            if history else np.empty((0, *shape)))
                                          for k, shape in names.items()}}
        if trainer.optimizer == "adam":
            out["t"] = [int(s.optim["t"]) for s in history]
        return out

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
            "features": None if features is None else list(features),
            "points": None if features is None else array_to_json(points),
            "points_test": None if features is None or points_test is None else array_to_json(points_test),
        },
        "training": {
            "loss": trainer.loss,
            "lr": _hex(trainer.lr),
            "optimizer": {"name": trainer.optimizer, "momentum": _hex(trainer.momentum),
                          "betas": [_hex(b) for b in trainer.betas], "eps": _hex(trainer.eps)},
            "l1": _hex(trainer.l1),
            "l2": _hex(trainer.l2),
            "optimizer_state": {"arrays": {k: array_to_json(state[k]) for k in names},
                                **({"t": int(state["t"])} if "t" in state else {})},
            "batch_size": trainer.batch_size,
            "seed": trainer.seed,
            "steps": trainer.steps,
            "epochs_done": trainer.epochs_done,
            "cursor": trainer.cursor,
            "order": order_ref(trainer.order),
            "rng": rng_to_json(trainer.rng.bit_generator.state),
            "history": {
                "length": len(history),
                "params": {k: array_to_json(np.stack([s.params[k] for s in history])
                                            if history else np.empty((0, *shape)))
                           for k, shape in shapes.items()},
                "rng": [rng_to_json(s.rng_state) for s in history],
                "cursor": [s.cursor for s in history],
                "order": [order_ref(s.order) for s in history],
                "epochs_done": [s.epochs_done for s in history],
                "optimizer": optimizer_columns(),
            },
            "orders": orders,
            "curve": {name: array_to_json(getattr(trainer.curve, name)) for name in CURVE_SERIES},
        },
        "extra": extra or {},
    }


def dumps(d: dict) -> str:
    """The JSON text of ``trainer_to_dict``'s dict; refused if ``loads`` would refuse it."""
    text = json.dumps(d, separators=(",", ":"))
    if len(text) > MAX_TEXT:
        raise ValueError(f"the saved state must be at most {MAX_TEXT:,} bytes to be loaded again "
                         f"(MAX_TEXT), got {len(text):,}: its undo history and loss curve are "
                         "the large parts; Reset starts a new run")
    return text


def read_text(path: str) -> str:
    """The text of a saved file, refused unread past ``MAX_TEXT`` bytes.

    Returns a ``str`` and drops the bytes read, so that parsing it costs about
    twice the file's size in memory (``json.loads`` of bytes costs three times).
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size  # 0 for a pipe: then read up to the cap
        _check_size(size)
        # read(n) allocates n bytes first: the file's size, not MAX_TEXT, for a small file
        data = f.read(min(size or MAX_TEXT, MAX_TEXT) + 1)
    _check_size(len(data))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadState(f"saved state: not valid JSON text ({exc})") from None


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
    """A JSON whole number from ``lo`` to ``hi`` (both included); bools are refused."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise _fail(path, "a whole number", v)
    if v < lo or (hi is not None and v > hi):
        raise _fail(path, f"a whole number from {lo}" + (f" to {hi}" if hi is not None else ""), v)
    return v


def _list(v: Any, path: str, length: int, what: str) -> list:
    if not isinstance(v, list) or len(v) != length:
        got = f"a list of {len(v)}" if isinstance(v, list) else v
        raise _fail(path, f"a list of {length} {what}", got)
    return v


def _float(v: Any, path: str) -> float:
    if not isinstance(v, str):
        raise _fail(path, "a float written by float.hex", v)
    try:
        return float.fromhex(v)
    except (ValueError, OverflowError):
        raise _fail(path, "a float written by float.hex", v) from None


def _hex_floats(values: list, path: str) -> np.ndarray:
    """A version-1 list of ``float.hex`` strings as a float64 array."""
    try:
        return np.fromiter(map(float.fromhex, values), np.float64, count=len(values))
    except (TypeError, ValueError, OverflowError):
        for i, v in enumerate(values):
            _float(v, f"{path}[{i}]")
        raise


def _check_size(size: int) -> None:
    if size > MAX_TEXT:
        raise BadState(f"saved state: the file must be at most {MAX_TEXT:,} bytes "
                       f"({MAX_TEXT // 2**20} MiB), got more")


class _Reader:
    """Decodes the arrays of one file (version 1 or 2), each after checking its
    declared shape, so a claim of a huge array is refused before any allocation."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.seen_orders: dict[bytes, np.ndarray] = {}  # version 1: one array per distinct order
        self.keys = {"shape", "dtype", "base64"} if version >= 2 else {"shape", "hex"}
        self.form = ('{"shape": [...], "dtype": "<f8", "base64": "..."}' if version >= 2
                     else '{"shape": [...], "hex": [...]}')

    def dims(self, v: Any, path: str, ndims: tuple[int, ...]) -> tuple[int, ...]:
        if not isinstance(v, dict) or set(v) != self.keys:
            raise _fail(path, f"an array {self.form}", v)
        dims = v["shape"]
        if not isinstance(dims, list) or len(dims) not in ndims:
            raise _fail(f"{path}.shape", f"a list of {' or '.join(map(str, ndims))} sizes", dims)
        # every size is capped before they are multiplied, so no product is huge
        return tuple(_int(s, f"{path}.shape[{i}]", 0, MAX_DATA_ENTRIES) for i, s in enumerate(dims))

    def array(self, v: Any, path: str, *, shape: tuple[int, ...] | None = None,
              ndims: tuple[int, ...] = (1,), check: Callable[[tuple[int, ...]], None] | None = None,
              dtype: str = F8, why: str = "") -> np.ndarray:
        """The array ``v`` of exactly ``shape`` (``why`` says why in an error), or of
        ``ndims`` dimensions passing ``check`` (which raises ``ValueError``)."""
        dims = self.dims(v, path, (len(shape),) if shape is not None else ndims)
        if shape is not None and dims != tuple(shape):
            raise _fail(f"{path}.shape", str(list(shape)) + why, list(dims))
        if check is not None:
            try:
                check(dims)
            except ValueError as exc:
                raise BadState(f"saved state: {exc}") from None
        if self.version == 1:
            values = v["hex"]
            size = math.prod(dims)
            if not isinstance(values, list) or len(values) != size:
                got = f"a list of {len(values)}" if isinstance(values, list) else values
                raise _fail(f"{path}.hex", f"a list of {size} floats", got)
            return _hex_floats(values, f"{path}.hex").reshape(dims)
        if v["dtype"] != dtype:
            raise _fail(f"{path}.dtype", repr(dtype), v["dtype"])
        text = v["base64"]
        nbytes = math.prod(dims) * np.dtype(dtype).itemsize
        chars = 4 * -(-nbytes // 3)
        if not isinstance(text, str) or len(text) != chars:
            got = f"{len(text)} characters" if isinstance(text, str) else text
            raise _fail(f"{path}.base64", f"{nbytes} bytes in base64 ({chars} characters)", got)
        try:
            # base64.b64decode(text, validate=True) without its copy of the text as bytes
            raw = binascii.a2b_base64(text, strict_mode=True)
        except ValueError:  # binascii.Error, or a non-ASCII character
            raise _fail(f"{path}.base64", "base64 text (A-Z a-z 0-9 + / and = padding)",
                        text) from None
        if len(raw) != nbytes:
            raise _fail(f"{path}.base64", f"{nbytes} bytes in base64", f"{len(raw)} bytes")
        # Drop the text as soon as it is decoded: the peak stays near twice the file.
        v["base64"] = None
        out = np.frombuffer(raw, dtype=dtype).reshape(dims)
        return out if out.dtype.isnative else out.astype(out.dtype.newbyteorder("="))

    @staticmethod
    def _ints(values: Any, path: str, dims: tuple[int, ...]) -> np.ndarray:
        size = math.prod(dims)
        if not isinstance(values, list) or len(values) != size or any(
                isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < 2**31
                for i in values):
            raise _fail(path, f"a list of {size} whole numbers", values)
        return np.array(values, dtype=np.int64).reshape(dims)

    def params(self, v: Any, path: str, shapes: dict[str, tuple[int, ...]],
               lead: tuple[int, ...] = ()) -> dict[str, np.ndarray]:
        """Every parameter, of ``lead + shape`` (``lead`` is (snapshots,) in a history)."""
        if not isinstance(v, dict) or set(v) != set(shapes):
            raise _fail(path, f"an object with exactly the keys {list(shapes)}",
                        sorted(v) if isinstance(v, dict) else v)
        return {k: self.array(v[k], f"{path}.{k}", shape=lead + shapes[k]) for k in shapes}

    def order(self, v: Any, path: str, n: int, orders: list[np.ndarray]) -> np.ndarray | None:
        """A shuffled order of the ``n`` rows: inline (version 1) or an index into ``orders``."""
        if v is None:
            return None
        if self.version >= 2:
            if not orders:
                raise _fail(path, "null (training.orders is empty)", v)
            return orders[_int(v, path, 0, len(orders) - 1)]
        if not isinstance(v, list) or len(v) != n:
            raise _fail(path, f"null or a permutation of 0..{n - 1}", v)
        order = self._ints(v, path, (n,))
        # version 1 repeats the order in every snapshot of an epoch: they share one array
        key = order.tobytes()
        if key not in self.seen_orders:
            self.seen_orders[key] = _permutation(order, path)
        return self.seen_orders[key]


def array_from_json(v: Any, path: str = "array", dtype: str = F8) -> np.ndarray:
    """A version-2 array ``{"shape", "dtype", "base64"}`` (1 to 4 dimensions) as a
    read-only NumPy array; ``BadState`` naming ``path`` if it is not one."""
    return _Reader(2).array(dict(v) if isinstance(v, dict) else v, path, ndims=(1, 2, 3, 4),
                            dtype=dtype)


def _permutation(order: np.ndarray, path: str) -> np.ndarray:
    """``order`` as int64 if it holds each of 0..n-1 once (n = its length), in O(n)."""
    order = np.asarray(order, dtype=np.int64)
    n = len(order)
    if n and (order.min() < 0 or order.max() >= n):
        raise _fail(path, f"a permutation of 0..{n - 1}", order.tolist()[:8])
    seen = np.zeros(n, dtype=bool)
    seen[order] = True
    if not seen.all():  # n entries in 0..n-1 that miss one repeat another
        raise _fail(path, f"a permutation of 0..{n - 1}", order.tolist()[:8])
    return order


def _rng(v: Any, path: str, probe: np.random.Generator) -> dict:
    """A PCG64 state, every word in range, accepted by NumPy (tried on ``probe``)."""
    if _get(v, "bit_generator", path) != "PCG64":
        raise _fail(f"{path}.bit_generator", "'PCG64'", v["bit_generator"])
    inner = _get(v, "state", path)
    state = {"bit_generator": "PCG64",
             "state": {"state": _int(_get(inner, "state", f"{path}.state"), f"{path}.state.state",
                                     0, _UINT128 - 1),
                       "inc": _int(_get(inner, "inc", f"{path}.state"), f"{path}.state.inc",
                                   0, _UINT128 - 1)},
             "has_uint32": _int(_get(v, "has_uint32", path), f"{path}.has_uint32", 0, 1),
             "uinteger": _int(_get(v, "uinteger", path), f"{path}.uinteger", 0, _UINT32 - 1)}
    try:
        probe.bit_generator.state = state
    except (ValueError, TypeError, OverflowError) as exc:
        raise BadState(f"saved state: {path} is not a state of NumPy's PCG64 generator "
                       f"({exc})") from None
    return state


def _finite(arr: np.ndarray, path: str, why: str) -> None:
    if np.isfinite(arr).all():
        return
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
    raise _fail(f"{path}[{', '.join(map(str, index))}]", f"a finite number ({why})",
                float(arr[index]))


def _parse(text: str | bytes | bytearray) -> Any:
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError(f"text must be the JSON text of a saved state (str or bytes), "
                        f"got {type(text).__name__}")
    _check_size(len(text))
    if len(text) > MAX_TEXT_V1:
        # Counted before parsing: a file of many small values (a version-1 file, or a
        # hostile one) would cost far more memory to parse than its size.
        commas = text.count("," if isinstance(text, str) else b",")
        if commas > MAX_ITEMS:
            raise BadState(f"saved state: a file over {MAX_TEXT_V1 // 2**20} MiB must be version 2 "
                           f"with at most {MAX_ITEMS:,} values, got {commas:,} (version-1 files, "
                           f"which write every float as text, are read up to "
                           f"{MAX_TEXT_V1 // 2**20} MiB)")

    def no_constants(name: str) -> None:
        raise BadState(f"saved state: {name} is not allowed (floats are stored exactly, in "
                       "base64 or as float.hex strings)")

    try:
        return json.loads(text, parse_constant=no_constants)
    except RecursionError:
        raise BadState("saved state: the JSON is nested too deeply to be a saved state") from None
    except BadState:
        raise
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, an integer of 4300+ digits
        raise BadState(f"saved state: not valid JSON ({exc})") from None


def _finite_number(v: Any) -> bool:
    """A JSON number (not true or false) that is a finite float."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an int beyond float's range, such as 10**400
        return False


def _net(netd: Any) -> MLP:
    sizes = _get(netd, "sizes", "net")
    if not isinstance(sizes, list) or not 2 <= len(sizes) <= MAX_LAYERS + 1:
        raise _fail("net.sizes", f"a list of 2 to {MAX_LAYERS + 1} layer sizes (at most "
                    f"{MAX_LAYERS} weight layers)",
                    f"a list of {len(sizes)}" if isinstance(sizes, list) else sizes)
    sizes = [_int(s, f"net.sizes[{i}]", 1, MAX_UNITS) for i, s in enumerate(sizes)]
    try:
        check_sizes("net.sizes", tuple(sizes))  # the parameter count, before the MLP allocates
    except ValueError as exc:
        raise BadState(f"saved state: {exc}") from None
    acts = _get(netd, "activations", "net")
    if not isinstance(acts, list) or len(acts) != len(sizes) - 1:
        raise _fail("net.activations", f"a list of {len(sizes) - 1} activations", acts)
    activations = []
    keys = {"name", "negative_slope"}
    for i, a in enumerate(acts):
        path = f"net.activations[{i}]"
        name = a.get("name") if isinstance(a, dict) else None
        if not isinstance(name, str) or name not in ACTIVATIONS or set(a) - keys:
            raise _fail(path, f"an activation such as {{'name': 'tanh'}} ({sorted(ACTIVATIONS)})",
                        a)
        if "negative_slope" in a and not _finite_number(a["negative_slope"]):
            raise _fail(f"{path}.negative_slope", "a finite number", a["negative_slope"])
        try:
            activations.append(get_activation(a, path))
        except (ValueError, TypeError) as exc:
            raise BadState(f"saved state: {exc}") from None
    seed = netd.get("seed")
    if seed is not None:
        seed = _int(seed, "net.seed", 0, 2**63)
    return MLP(sizes, activations, seed=seed)  # its weights are replaced by build_trainer


def _extra(v: Any) -> dict:
    """The stepper's step and sample, the data's description and its task
    (classification or regression); checked, as all else."""
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise _fail("extra", "an object", v)
    unknown = sorted(set(v) - {"step", "sample", "data_source", "task"})
    if unknown:
        raise _fail("extra", "an object with the keys step, sample, data_source and task", unknown)
    out = {}
    if "task" in v:
        if v["task"] not in ("classification", "regression"):
            raise _fail("extra.task", '"classification" or "regression"', v["task"])
        out["task"] = v["task"]
    for key in ("step", "sample"):
        if key in v:
            out[key] = _int(v[key], f"extra.{key}")
    source = v.get("data_source")
    if source is not None:
        if not isinstance(source, dict):
            raise _fail("extra.data_source", "null or an object", source)
        for key, value in source.items():
            if not (value is None or isinstance(value, (str, bool, int))
                    or (isinstance(value, float) and math.isfinite(value))):
                raise _fail(f"extra.data_source.{key}",
                            "a string, a whole or finite number, a bool or null", value)
    out["data_source"] = source
    return out


def loads(text: str | bytes | bytearray) -> dict:
    """Parse and check a saved session (version 1 to 4); returns its parts, builds nothing shared.

    The parts: ``net`` (a new MLP), ``parameters``, ``initial`` (dicts of arrays),
    ``X``, ``Y``, ``X_test``, ``Y_test``, ``loss``, ``lr``, ``batch_size``, ``seed``,
    ``steps``, ``epochs_done``, ``cursor``, ``order``, ``rng`` (a PCG64 state),
    ``history`` (a list of ``Snapshot``), ``curve`` (a ``Curve``), ``optimizer``
    (the Trainer's optimizer settings and penalty, as keyword arguments),
    ``optimizer_state``, ``extra`` and ``features`` (None, or the names with
    ``points`` and ``points_test``). Raises ``BadState`` naming the first bad field.
    """
    d = _parse(text)
    if _get(d, "format", "state") != FORMAT:
        raise _fail("format", repr(FORMAT), d["format"])
    version = _get(d, "version", "state")
    if isinstance(version, bool) or not isinstance(version, int) or version not in VERSIONS:
        raise _fail("version", "1, 2, 3 or 4", version)
    if version == 1 and len(text) > MAX_TEXT_V1:
        raise BadState(f"saved state: a version-1 file must be at most {MAX_TEXT_V1 // 2**20} MiB "
                       f"(save it again to write version 2), got {len(text):,} bytes")
    read = _Reader(version)
    extra = _extra(d.get("extra"))
    net = _net(_get(d, "net", "state"))
    shapes = net.parameter_shapes()
    params = read.params(_get(d, "parameters", "state"), "parameters", shapes)
    initial = read.params(_get(d, "initial", "state"), "initial", shapes)
    for k, v in initial.items():
        _finite(v, f"initial.{k}", "the starting weights")

    X, Y, X_test, Y_test = _data(read, _get(d, "data", "state"), net.sizes[0])
    plane = _plane(read, d["data"], X, X_test) if version >= 4 else (None, None, None)

    tr = _get(d, "training", "state")
    loss = _get(tr, "loss", "training")
    if not isinstance(loss, str) or loss not in LOSSES:
        raise _fail("training.loss", f"one of {sorted(LOSSES)}", loss)
    lr = _float(_get(tr, "lr", "training"), "training.lr")
    batch = tr.get("batch_size")
    if batch is not None:
        batch = _int(batch, "training.batch_size", 1, MAX_ROWS)
    steps = _int(_get(tr, "steps", "training"), "training.steps", 0, MAX_STEPS)
    n = X.shape[0]
    probe = np.random.default_rng(0)
    orders: list[np.ndarray] = []
    optimizer, names = _optimizer(tr, version, shapes)
    if version >= 2:
        orders_in = _get(tr, "orders", "training")
        if not isinstance(orders_in, list) or len(orders_in) > MAX_UNDO + 1:
            raise _fail("training.orders", f"a list of at most {MAX_UNDO + 1} orders", orders_in)
        orders = [_permutation(read.array(o, f"training.orders[{i}]", shape=(n,), dtype=I4),
                               f"training.orders[{i}]") for i, o in enumerate(orders_in)]
    history = _history(read, _get(tr, "history", "training"), steps, n, shapes, orders, probe)
    state = None
    if version >= 3:
        state = _optimizer_state(read, _get(tr, "optimizer_state", "training"),
                                 optimizer["optimizer"], names, steps)
        _history_optimizer(read, _get(_get(tr, "history", "training"), "optimizer", "training.history"),
                           history, optimizer["optimizer"], names, steps)
    curve = _curve(read, _get(tr, "curve", "training"), steps, X_test is not None)
    return {
        "net": net, "parameters": params, "initial": initial,
        "X": X, "Y": Y, "X_test": X_test, "Y_test": Y_test,
        "loss": loss, "lr": lr, "batch_size": batch,
        "seed": _int(_get(tr, "seed", "training"), "training.seed", 0, 2**63),
        "steps": steps,
        "epochs_done": _int(_get(tr, "epochs_done", "training"), "training.epochs_done"),
        "cursor": _int(_get(tr, "cursor", "training"), "training.cursor", 0, n - 1),
        "order": read.order(tr.get("order"), "training.order", n, orders),
        "rng": _rng(_get(tr, "rng", "training"), "training.rng", probe),
        "history": history, "curve": curve,
        "optimizer": optimizer, "optimizer_state": state,
        "extra": extra,
        "features": plane[0], "points": plane[1], "points_test": plane[2],
    }


def _state_names(optimizer: str, shapes: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """The arrays of an optimizer's state, by name (``"m W1"``), with their shapes."""
    return {slot_key(slot, value_key(p)): shape for p, shape in shapes.items()
            for slot in SLOTS[optimizer]}


def _setting(v: Any, path: str, lo: float, hi: float | None, what: str,
             closed: bool = True) -> float:
    """A ``float.hex`` number from ``lo`` (included when ``closed``) below ``hi``."""
    x = _float(v, path)
    if not (math.isfinite(x) and (x >= lo if closed else x > lo) and (hi is None or x < hi)):
        raise _fail(path, what, v)
    return x


def _optimizer(tr: Any, version: int,
               shapes: dict[str, tuple[int, ...]]) -> tuple[dict, dict[str, tuple[int, ...]]]:
    """The Trainer's optimizer settings and penalty (plain SGD, no penalty before
    version 3), and the names and shapes of its state's arrays."""
    if version < 3:
        return {"optimizer": "sgd", "momentum": 0.9, "betas": (0.9, 0.999), "eps": 1e-8,
                "l1": 0.0, "l2": 0.0}, {}
    o = _get(tr, "optimizer", "training")
    path = "training.optimizer"
    if not isinstance(o, dict) or set(o) != {"name", "momentum", "betas", "eps"}:
        raise _fail(path, "an object with the keys name, momentum, betas and eps",
                    sorted(o) if isinstance(o, dict) else o)
    name = o["name"]
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise _fail(f"{path}.name", f"one of {list(OPTIMIZERS)}", name)
    betas = _list(o["betas"], f"{path}.betas", 2, "floats written by float.hex")
    out = {
        "optimizer": name,
        "momentum": _setting(o["momentum"], f"{path}.momentum", 0.0, None,
                             "a finite number greater than 0", closed=False),
        "betas": tuple(_setting(b, f"{path}.betas[{i}]", 0.0, 1.0, "a number in [0, 1)")
                       for i, b in enumerate(betas)),
        "eps": _setting(o["eps"], f"{path}.eps", 0.0, None, "a finite number greater than 0",
                        closed=False),
        "l1": _setting(_get(tr, "l1", "training"), "training.l1", 0.0, None,
                       "a finite number of at least 0"),
        "l2": _setting(_get(tr, "l2", "training"), "training.l2", 0.0, None,
                       "a finite number of at least 0"),
    }
    return out, _state_names(name, shapes)


def _optimizer_arrays(v: Any, path: str, name: str, names: dict[str, tuple[int, ...]]) -> dict:
    """The ``arrays`` object of a saved optimizer state (``{"arrays": ..., "t": ...}`` for
    Adam), its keys checked against the optimizer's ``names``; ``t`` is left to the caller."""
    keys = {"arrays", "t"} if name == "adam" else {"arrays"}
    if not isinstance(v, dict) or set(v) != keys:
        raise _fail(path, f"an object with the keys {sorted(keys)} (for {name})",
                    sorted(v) if isinstance(v, dict) else v)
    arrays = v["arrays"]
    if not isinstance(arrays, dict) or set(arrays) != set(names):
        raise _fail(f"{path}.arrays", f"an object with exactly the keys {list(names)}",
                    sorted(arrays) if isinstance(arrays, dict) else arrays)
    return arrays


def _optimizer_state(read: _Reader, v: Any, name: str, names: dict[str, tuple[int, ...]],
                     steps: int) -> dict[str, Any]:
    """The optimizer's state: its arrays (inf/NaN allowed, as in the parameters of a
    diverged run) and, for Adam, its step count t (at most the steps taken)."""
    path = "training.optimizer_state"
    arrays = _optimizer_arrays(v, path, name, names)
    state: dict[str, Any] = {k: read.array(arrays[k], f"{path}.arrays.{k}", shape=shape)
                             for k, shape in names.items()}
    if name == "adam":
        state["t"] = _int(v["t"], f"{path}.t", 0, steps)
    return state


def _history_optimizer(read: _Reader, v: Any, history: list[Snapshot], name: str,
                       names: dict[str, tuple[int, ...]], steps: int) -> None:
    """Each undo snapshot's optimizer state, stored by column; set on the snapshots."""
    path = "training.history.optimizer"
    length = len(history)
    arrays = _optimizer_arrays(v, path, name, names)
    stacks = {k: read.array(arrays[k], f"{path}.arrays.{k}", shape=(length, *shape))
              for k, shape in names.items()}
    ts = None
    if name == "adam":
        ts = _list(v["t"], f"{path}.t", length, "whole numbers")
        ts = [_int(t, f"{path}.t[{i}]", 0, steps) for i, t in enumerate(ts)]
    for i, snap in enumerate(history):
        snap.optim = {k: a[i] for k, a in stacks.items()}
        if ts is not None:
            snap.optim["t"] = ts[i]


def _data(read: _Reader, data: Any, inputs: int) -> tuple:
    """X, Y, X_test, Y_test (the test ones may be None), each shape checked against
    the row and entry caps before it is decoded, and finite."""
    def check(name: str, columns: int | None) -> Callable[[tuple[int, ...]], None]:
        def checker(dims: tuple[int, ...]) -> None:
            check_data_shape(name, dims)
            if dims[0] < 1 or (columns is not None and dims[1] != columns):
                want = f"[rows, {columns}]" if columns is not None else "[rows] or [rows, columns]"
                raise ValueError(f"{name}.shape must be {want} with 1 to {MAX_ROWS:,} rows, "
                                 f"got {list(dims)}")
        return checker

    def read_pair(x: Any, y: Any, suffix: str) -> tuple[np.ndarray, np.ndarray]:
        X = read.array(x, f"data.X{suffix}", ndims=(2,), check=check(f"data.X{suffix}", inputs))
        Y = read.array(y, f"data.Y{suffix}", ndims=(1, 2), check=check(f"data.Y{suffix}", None))
        _finite(X, f"data.X{suffix}", "the data")
        _finite(Y, f"data.Y{suffix}", "the data")
        return X, Y

    X, Y = read_pair(_get(data, "X", "data"), _get(data, "Y", "data"), "")
    X_test, Y_test = data.get("X_test"), data.get("Y_test")
    if (X_test is None) != (Y_test is None):
        raise BadState("saved state: data.X_test and data.Y_test must both be null or both arrays")
    if X_test is not None:
        X_test, Y_test = read_pair(X_test, Y_test, "_test")
    return X, Y, X_test, Y_test


def _check_task(task: str | None, loss: str, Y: np.ndarray, Y_test: np.ndarray | None) -> None:
    """A recorded task must fit the loss and targets: classes under cross-entropy, and
    classes without it only for targets that are all 0 or 1."""
    if task == "regression" and loss == "cross_entropy":
        raise _fail("extra.task", '"classification" under cross-entropy', task)
    if task == "classification" and loss != "cross_entropy":
        binary = all(t is None or bool(np.all((t == 0) | (t == 1))) for t in (Y, Y_test))
        if not binary:
            raise _fail("extra.task", '"regression" for targets that are not all 0 or 1', task)


def _plane(read: _Reader, data: dict, X: np.ndarray, X_test: np.ndarray | None) -> tuple:
    """(features, points, points_test): the features and the points X is made from,
    checked (X must be exactly the features of the points), or three Nones."""
    names = data.get("features")
    if names is None:
        return None, None, None
    if not isinstance(names, list) or len(names) > 16:
        raise _fail("data.features", "null or a list of feature names", names)
    try:
        features = check_features(names, "data.features")
    except (TypeError, ValueError) as exc:
        raise BadState(f"saved state: {exc}") from None

    def points_of(key: str, inputs: np.ndarray) -> np.ndarray:
        pts = read.array(_get(data, key, "data"), f"data.{key}", shape=(len(inputs), 2),
                         why=" (x1 and x2 of each row of X)")
        _finite(pts, f"data.{key}", "the data")
        if not np.array_equal(feature_matrix(pts, features), inputs):
            raise BadState(f"saved state: data.X{key[6:]} must be the features "
                           f"{', '.join(features)} of data.{key}, got other values")
        return pts

    points = points_of("points", X)
    points_test = None if X_test is None else points_of("points_test", X_test)
    return features, points, points_test


def _curve(read: _Reader, v: Any, steps: int, with_test: bool) -> Curve:
    """The loss curve: steps + 1 points a series, the test series empty without test rows."""
    series = {}
    for name in CURVE_SERIES:
        path = f"training.curve.{name}"
        length = steps + 1 if with_test or name.startswith("train") else 0
        why = (f" (steps + 1 = {steps + 1} points"
               + ("" if length else ", none without test rows") + ")")
        values = _get(v, name, "training.curve")
        if read.version >= 2:
            series[name] = read.array(values, path, shape=(length,), why=why)
            continue
        if not isinstance(values, list) or len(values) != length:
            got = f"a list of {len(values)}" if isinstance(values, list) else values
            raise _fail(path, f"a list of {length} floats{why}", got)
        series[name] = _hex_floats(values, path)
    return Curve.from_arrays(series["train_loss"], series["train_acc"],
                             series["test_loss"], series["test_acc"])


def _history(read: _Reader, v: Any, steps: int, n: int, shapes: dict[str, tuple[int, ...]],
             orders: list[np.ndarray], probe: np.random.Generator) -> list[Snapshot]:
    """The undo snapshots, oldest first: at most min(steps, MAX_UNDO) of them."""
    most = min(steps, MAX_UNDO)
    if read.version == 1:
        if not isinstance(v, list) or len(v) > most:
            raise _fail("training.history", f"a list of at most min(steps, {MAX_UNDO}) = {most} "
                        "snapshots", f"a list of {len(v)}" if isinstance(v, list) else v)
        history = []
        for i, h in enumerate(v):
            path = f"training.history[{i}]"
            history.append(Snapshot(
                params=read.params(_get(h, "params", path), f"{path}.params", shapes),
                rng_state=_rng(_get(h, "rng", path), f"{path}.rng", probe),
                cursor=_int(_get(h, "cursor", path), f"{path}.cursor", 0, n - 1),
                order=read.order(h.get("order"), f"{path}.order", n, orders),
                epochs_done=_int(_get(h, "epochs_done", path), f"{path}.epochs_done")))
        return history
    path = "training.history"
    length = _int(_get(v, "length", path), f"{path}.length")
    if length > most:
        raise _fail(f"{path}.length", f"at most min(steps, {MAX_UNDO}) = {most} snapshots", length)
    rngs = _list(_get(v, "rng", path), f"{path}.rng", length, "generator states")
    cursors = _list(_get(v, "cursor", path), f"{path}.cursor", length, "whole numbers")
    order_refs = _list(_get(v, "order", path), f"{path}.order", length, "indexes or nulls")
    epochs = _list(_get(v, "epochs_done", path), f"{path}.epochs_done", length, "whole numbers")
    params = read.params(_get(v, "params", path), f"{path}.params", shapes, lead=(length,))
    return [Snapshot(params={k: a[i] for k, a in params.items()},
                     rng_state=_rng(rngs[i], f"{path}.rng[{i}]", probe),
                     cursor=_int(cursors[i], f"{path}.cursor[{i}]", 0, n - 1),
                     order=read.order(order_refs[i], f"{path}.order[{i}]", n, orders),
                     epochs_done=_int(epochs[i], f"{path}.epochs_done[{i}]"))
            for i in range(length)]


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
                          X_test=parts["X_test"], Y_test=parts["Y_test"], start=parts["initial"],
                          **parts["optimizer"])
    except (ValueError, TypeError) as exc:
        raise BadState(f"saved state: the data does not fit the net and loss: {exc}") from None
    _check_task(parts["extra"].get("task"), parts["loss"], parts["Y"], parts["Y_test"])
    try:
        trainer.resume(parts["parameters"], parts["steps"], parts["epochs_done"], parts["cursor"],
                       parts["order"], parts["rng"], parts["history"], parts["curve"],
                       parts["optimizer_state"])
    except (ValueError, TypeError) as exc:
        raise BadState(f"saved state: training.{exc}") from None
    return trainer


__all__ = ["trainer_to_dict", "dumps", "loads", "build_trainer", "read_text", "array_to_json",
           "array_from_json", "rng_to_json", "BadState"]
