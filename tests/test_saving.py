"""The whole state to JSON and back: exact, and safe against malformed or hostile files."""

import base64
import datetime
import json
import re
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backpropviz as bpv
from backpropviz.engine import limits, serialize
from backpropviz.engine.serialize import BadState
from backpropviz.widgets import ExplorerState, SaveLoadPanel


def _trained_state():
    X, Y = bpv.datasets.moons(60, seed=0)
    Xtr, Ytr, Xte, Yte = bpv.datasets.train_test_split(X, Y, 0.25, seed=0)
    state = ExplorerState(bpv.MLP([2, 4, 1], ["tanh", "sigmoid"], seed=1), Xtr, Ytr, loss="bce",
                          lr=0.5, X_test=Xte, Y_test=Yte, batch_size=8)
    state.train(17)
    state.step, state.sample = 5, 3
    return state


def _other_state():
    """The state a file is loaded into: different in every part."""
    state = ExplorerState(bpv.examples.seed_net(), *bpv.datasets.xor())
    state.train(3)
    return state


# ------------------------------------------------------------------ the format, by hand

def _encode(values, dtype="<f8"):
    """A version-2 array, written here independently of serialize.py."""
    a = np.asarray(values, dtype=dtype)
    return {"shape": list(a.shape), "dtype": dtype, "base64": base64.b64encode(a.tobytes()).decode()}


def _decode(a):
    raw = base64.b64decode(a["base64"], validate=True)
    return np.frombuffer(raw, dtype=a["dtype"]).reshape(a["shape"])


def _to_v1(d):
    """The same state in the previous release's format: floats as float.hex strings in lists,
    one entry per undo snapshot with its order inline."""
    def hexed(values):
        values = np.asarray(values)
        return {"shape": list(values.shape), "hex": [float(x).hex() for x in values.ravel()]}

    tr = d["training"]
    orders = [_decode(o).tolist() for o in tr["orders"]]
    h = tr["history"]
    stacks = {k: _decode(v) for k, v in h["params"].items()}
    history = [{"params": {k: hexed(v[i]) for k, v in stacks.items()}, "rng": h["rng"][i],
                "cursor": h["cursor"][i], "epochs_done": h["epochs_done"][i],
                "order": None if h["order"][i] is None else orders[h["order"][i]]}
               for i in range(h["length"])]
    training = {k: v for k, v in tr.items() if k not in ("orders", "history", "curve", "order")}
    training.update(order=None if tr["order"] is None else orders[tr["order"]], history=history,
                    curve={k: hexed(_decode(v))["hex"] for k, v in tr["curve"].items()})
    return {**d, "version": 1,
            "parameters": {k: hexed(_decode(v)) for k, v in d["parameters"].items()},
            "initial": {k: hexed(_decode(v)) for k, v in d["initial"].items()},
            "data": {k: None if v is None else hexed(_decode(v)) for k, v in d["data"].items()},
            "training": training}


V3_FIELDS = ("optimizer", "l1", "l2", "optimizer_state")


def _to_v3(d):
    """The same state (without features) as version 3 wrote it: no feature fields."""
    assert d["data"]["features"] is None
    data = {k: v for k, v in d["data"].items() if k not in ("features", "points", "points_test")}
    return {**d, "version": 3, "data": data}


def _to_v2(d):
    """The same (plain SGD, unpenalised) state as version 2 wrote it: without the
    optimizer's and the penalty's fields."""
    tr = {k: v for k, v in d["training"].items() if k not in V3_FIELDS}
    tr["history"] = {k: v for k, v in tr["history"].items() if k != "optimizer"}
    return {**d, "version": 2, "training": tr}


def _saved(version, state=None):
    d = json.loads((state or _trained_state()).to_json())
    for older, convert in ((3, _to_v3), (2, _to_v2), (1, _to_v1)):
        if version <= older:
            d = convert(d)
    return d


def _refused(text, pattern):
    """``loads`` refuses ``text`` with a message matching ``pattern``, and a state asked
    to load it raises the same and stays exactly as it was."""
    with pytest.raises(BadState, match=pattern):
        serialize.loads(text)
    state = _other_state()
    before, rev = state.to_json(), state.revision
    with pytest.raises(BadState, match=pattern):
        state.load_json(text)
    assert state.to_json() == before and state.revision == rev


def _history_rng(d, i):
    h = d["training"]["history"]
    return h[i]["rng"] if d["version"] == 1 else h["rng"][i]


def _history_path(d, i, field):
    return (rf"training\.history\[{i}\]\.{field}" if d["version"] == 1
            else rf"training\.history\.{field}\[{i}\]")


# ------------------------------------------------------------------ round trips

def test_round_trip_is_bit_exact_and_training_continues_identically():
    a = _trained_state()
    text = a.to_json()
    b = ExplorerState(bpv.examples.seed_net(), *bpv.datasets.xor())
    b.load_json(text)
    assert b.to_json() == text
    assert (b.step, b.sample, b.trainer.steps, b.batch_size, b.loss) == (5, 3, 17, 8, "bce")
    assert b.net.arch == "2-4-1" and np.array_equal(b.X_test, a.X_test)
    a.train(6)
    b.train(6)
    assert a.to_json() == b.to_json()
    a.undo(), b.undo()
    assert a.to_json() == b.to_json()
    a.reset(), b.reset()
    assert a.to_json() == b.to_json()


def test_a_loaded_run_continues_exactly_as_an_uninterrupted_one():
    # minibatches of 8 from 45 rows: the 17 saved steps end mid-epoch, with a shuffled order
    uninterrupted = _trained_state()
    uninterrupted.train(6)
    saved = _trained_state()
    assert saved.trainer.order is not None and saved.trainer.cursor > 0
    loaded = _other_state()
    loaded.load_json(saved.to_json())
    loaded.train(6)
    loaded.step, loaded.sample = uninterrupted.step, uninterrupted.sample
    assert loaded.to_json() == uninterrupted.to_json()
    assert np.array_equal(loaded.trainer.curve.test_loss, uninterrupted.trainer.curve.test_loss)
    for _ in range(23):  # and back to the start, step by step, alike
        assert loaded.undo() == uninterrupted.undo()
        assert loaded.to_json() == uninterrupted.to_json()


def test_the_format_is_version_4_with_every_array_as_little_endian_float64_in_base64():
    state = _trained_state()
    d = json.loads(state.to_json())
    assert (d["format"], d["version"]) == ("backpropviz", 4)
    assert d["data"]["features"] is d["data"]["points"] is d["data"]["points_test"] is None
    assert d["training"]["optimizer"]["name"] == "sgd" and d["training"]["optimizer_state"] == {"arrays": {}}
    assert float.fromhex(d["training"]["l1"]) == float.fromhex(d["training"]["l2"]) == 0.0
    tr = state.trainer
    assert np.array_equal(_decode(d["parameters"]["layer1.weight"]), state.net.state_dict()["layer1.weight"])
    assert np.array_equal(_decode(d["data"]["X_test"]), state.X_test)
    for name in ("train_loss", "train_acc", "test_loss", "test_acc"):
        assert d["training"]["curve"][name]["dtype"] == "<f8"
        assert np.array_equal(_decode(d["training"]["curve"][name]), getattr(tr.curve, name))
    stack = _decode(d["training"]["history"]["params"]["layer2.bias"])
    assert stack.shape == (17, 1)
    assert all(np.array_equal(stack[i], s.params["layer2.bias"]) for i, s in enumerate(tr.history))
    assert float.fromhex(d["training"]["lr"]) == tr.lr
    # the snapshots of one epoch share its order, written once
    orders = d["training"]["orders"]
    assert len(orders) == len({id(s.order) for s in tr.history if s.order is not None} | {id(tr.order)})
    assert np.array_equal(_decode(orders[d["training"]["order"]]), tr.order)


def test_a_diverged_run_round_trips_with_its_inf_and_nan_and_undoes_to_the_start():
    X, Y = bpv.datasets.xor()
    state = ExplorerState(bpv.MLP([2, 3, 1], "identity", seed=0), X, Y, lr=1e3, X_test=X, Y_test=Y,
                          batch_size=3)
    for _ in range(30):  # each call stops at the first non-finite loss: go on into NaN
        state.train(10)
    tr = state.trainer
    assert state.message and np.isnan(tr.curve.train_loss[-1]) and np.isinf(tr.curve.train_loss).any()
    assert not np.isfinite(state.net.state_dict()["layer1.weight"]).all()
    assert any(not np.isfinite(s.params["layer1.weight"]).all() for s in tr.history)
    text = state.to_json()
    copy = _other_state()
    copy.load_json(text)
    assert copy.to_json() == text
    a, b = state.trainer.curve.train_loss, copy.trainer.curve.train_loss
    assert np.array_equal(a, b, equal_nan=True) and np.isinf(b).any() == np.isinf(a).any()
    while state.undo():
        assert copy.undo()
        assert copy.to_json() == state.to_json()
    assert not copy.undo()


def test_a_version_1_file_of_the_previous_release_still_loads():
    a = _trained_state()
    v1 = json.dumps(_to_v1(json.loads(a.to_json())))
    assert '"hex"' in v1 and '"base64"' not in v1
    b = _other_state()
    b.load_json(v1)
    assert b.to_json() == a.to_json()
    a.train(4), b.train(4)
    assert b.to_json() == a.to_json()


def test_a_long_curve_loads_exactly_in_little_more_memory_than_its_text():
    d = _saved(2)
    steps = 200_000
    rng = np.random.default_rng(0)
    curve = {name: rng.standard_normal(steps + 1) for name in serialize.CURVE_SERIES}
    curve["train_loss"][5] = np.nan
    curve["test_loss"][7] = -np.inf
    d["training"]["steps"] = steps
    d["training"]["curve"] = {name: _encode(v) for name, v in curve.items()}
    text = json.dumps(d)
    tracemalloc.start()
    try:
        parts = serialize.loads(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    for name, values in curve.items():
        assert np.array_equal(getattr(parts["curve"], name), values, equal_nan=True)
    # the parsed text, then the decoded curve and the curve's own copy of it;
    # version 1 (a float.hex string per float) took over 10 times the text
    assert peak < 2 * len(text), (peak, len(text))


# ------------------------------------------------------------------ the numbered findings

@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_1_a_history_longer_than_the_steps_is_refused(version):
    d = _saved(version)
    h = d["training"]["history"]
    if version == 1:
        h.extend(h[:3])
    else:
        h["length"] += 3
        for key in ("rng", "cursor", "order", "epochs_done"):
            h[key].extend(h[key][:3])
        for k, a in h["params"].items():
            stack = _decode(a)
            h["params"][k] = _encode(np.concatenate([stack, stack[:3]]))
    _refused(json.dumps(d), r"training\.history.* at most min\(steps, 1000\) = 17")


@pytest.mark.parametrize("version", [1, 2, 3, 4])
@pytest.mark.parametrize("where", ["training", "history"])
@pytest.mark.parametrize("field,value", [("uinteger", 2**32), ("state.state", 2**128),
                                         ("state.inc", 2**128), ("has_uint32", 2)])
def test_2_an_out_of_range_generator_word_is_refused_at_load(version, where, field, value):
    d = _saved(version)
    rng = d["training"]["rng"] if where == "training" else _history_rng(d, 0)
    path = r"training\.rng" if where == "training" else _history_path(d, 0, "rng")
    inner = rng["state"] if field.startswith("state.") else rng
    inner[field.split(".")[-1]] = value
    _refused(json.dumps(d), rf"{path}\.{re.escape(field)} must be a whole number from 0 to")


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_2_the_largest_generator_words_load_and_undo_works(version):
    d = _saved(version)
    for rng in [d["training"]["rng"], _history_rng(d, 0)]:
        rng.update(has_uint32=1, uinteger=2**32 - 1)
        rng["state"].update(state=2**128 - 1, inc=2**128 - 1)
    state = _other_state()
    state.load_json(json.dumps(d))
    while state.undo():
        pass
    assert state.trainer.steps == 0 and state.trainer.rng.bit_generator.state["uinteger"] == 2**32 - 1


@pytest.mark.parametrize("version", [1, 2, 3, 4])
@pytest.mark.parametrize("key,value,path", [
    ("step", True, r"extra\.step must be a whole number, got True"),
    ("sample", -1, r"extra\.sample must be a whole number from 0"),
    ("step", 2.0, r"extra\.step must be a whole number"),
    ("data_source", [1], r"extra\.data_source must be null or an object"),
    ("data_source", {"n": [200]}, r"extra\.data_source\.n must be a string, a whole or finite"),
    ("data_source", {"noise": "1e400"}, r"extra\.data_source\.noise must be .* finite number"),
    ("password", "x", r"extra must be an object with the keys step, sample, data_source and task"),
])
def test_3_extra_is_checked(version, key, value, path):
    d = _saved(version)
    d["extra"][key] = value
    text = json.dumps(d).replace('"1e400"', "1e400")  # JSON reads it as inf
    _refused(text, path)


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_3_valid_extra_fields_load(version):
    d = _saved(version)
    d["extra"] = {"step": 10**30, "sample": 0, "data_source": {"name": "moons", "n": 60, "noise": 0.1,
                                                                "shuffled": True, "seed": None}}
    state = _other_state()
    state.load_json(json.dumps(d))
    assert state.step == 0  # clamped to the trace by the state
    assert state.data_source == d["extra"]["data_source"]


@pytest.mark.parametrize("where", ["extra.data_source", "everything"])
def test_4_very_deep_nesting_is_refused_as_such(where):
    deep = "[" * 100_000 + "]" * 100_000
    if where == "everything":
        text = deep
    else:
        d = _saved(2)
        d["extra"]["data_source"] = "@deep@"
        text = json.dumps(d).replace('"@deep@"', deep)
    _refused(text, "nested too deeply")


@pytest.mark.parametrize("version", [1, 2, 3, 4])
@pytest.mark.parametrize("slope", ["10**400", "-10**400", "1e400"])
def test_5_a_huge_leaky_slope_is_refused(version, slope):
    d = _saved(version)
    d["net"]["activations"][0] = {"name": "leaky_relu", "negative_slope": "@slope@"}
    literal = str(10**400) if slope.endswith("10**400") else slope
    literal = "-" + literal if slope.startswith("-") else literal
    _refused(json.dumps(d).replace('"@slope@"', literal),
             r"net\.activations\[0\]\.negative_slope must be a finite number")


@pytest.mark.parametrize("version", [1, 2, 3, 4])
@pytest.mark.parametrize("value", [[], {}, 3])
def test_6_an_unhashable_or_odd_loss_or_activation_name_is_refused(version, value):
    d = _saved(version)
    d["training"]["loss"] = value
    _refused(json.dumps(d), r"training\.loss must be one of \['bce', 'cross_entropy', 'mse'\]")
    d = _saved(version)
    d["net"]["activations"][1] = {"name": value}
    _refused(json.dumps(d), r"net\.activations\[1\] must be an activation")


@pytest.mark.parametrize("version", [1, 2, 3, 4])
@pytest.mark.parametrize("key,index,value", [("layer1.weight", (0, 1), np.nan),
                                             ("layer2.bias", (0,), -np.inf)])
def test_7_non_finite_initial_weights_are_refused_naming_initial(version, key, index, value):
    d = _saved(2)
    w = _decode(d["initial"][key]).copy()
    w[index] = value
    d["initial"][key] = _encode(w)
    d = _to_v1(d) if version == 1 else d
    where = re.escape(f"initial.{key}[{', '.join(map(str, index))}]")
    _refused(json.dumps(d), rf"{where} must be a finite number \(the starting weights\), got -?(nan|inf)")


def _peak_while_refused(text, pattern):
    tracemalloc.start()
    try:
        with pytest.raises(BadState, match=pattern):
            serialize.loads(text)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_8_a_huge_net_is_refused_before_anything_is_allocated(version):
    d = _saved(version)
    d["net"]["sizes"] = [1024] * 17  # 16 layers of 1024 units: 128 MB of weights
    d["net"]["activations"] = [{"name": "tanh"}] * 16
    text = json.dumps(d)
    peak = _peak_while_refused(text, r"net\.sizes \(parameters\) must be at most 200,000")
    assert peak < 3 * len(text) + 2**20
    _refused(text, r"net\.sizes")
    d["net"]["sizes"] = [2] * 18
    _refused(json.dumps(d), r"net\.sizes must be a list of 2 to 17 layer sizes")


@pytest.mark.parametrize("version", [1, 2, 3, 4])
@pytest.mark.parametrize("name,shape,pattern", [
    ("X", [limits.MAX_ROWS + 1, 2], r"data\.X \(rows\) must be at most 100,000 rows"),
    ("Y", [50_000, 41], r"data\.Y \(entries\) must be at most 2,000,000 entries"),
    ("X_test", [10**9, 2], r"data\.X_test\.shape\[0\] must be a whole number from 0 to 2000000"),
])
def test_8_data_shapes_are_checked_against_the_caps_before_decoding(version, name, shape, pattern):
    d = _saved(version)
    d["data"][name]["shape"] = shape  # the values stay a few hundred bytes
    text = json.dumps(d)
    assert _peak_while_refused(text, pattern) < 3 * len(text) + 2**20
    _refused(text, pattern)


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_8_curve_and_history_lengths_are_capped(version):
    d = _saved(version)
    d["training"]["steps"] = limits.MAX_STEPS + 1
    _refused(json.dumps(d), r"training\.steps must be a whole number from 0 to 1000000")
    d = _saved(version)
    d["training"]["steps"] = 5000
    h = d["training"]["history"]
    if version == 1:
        h *= 59  # 1003 snapshots
    else:
        h["length"] = 1003
    _refused(json.dumps(d), r"training\.history.* at most min\(steps, 1000\) = 1000")
    if version == 2:
        d = _saved(version)
        d["training"]["curve"]["train_loss"]["shape"] = [limits.MAX_STEPS + 2]
        _refused(json.dumps(d), r"training\.curve\.train_loss\.shape must be \[18\] \(steps \+ 1")


def test_9_files_over_the_caps_are_refused_unparsed(monkeypatch):
    text = _trained_state().to_json()
    monkeypatch.setattr(serialize, "MAX_TEXT", len(text) - 1)
    _refused(text, "the file must be at most")
    monkeypatch.undo()
    # a version-1 file over its cap, written as every float a hex string: too many values
    v1 = json.dumps(_to_v1(json.loads(text)))
    monkeypatch.setattr(serialize, "MAX_TEXT_V1", 1000)
    monkeypatch.setattr(serialize, "MAX_ITEMS", 100)
    assert _peak_while_refused(v1, "over 0 MiB must be version 2") < 2**20
    # ... or few enough values, but still version 1
    monkeypatch.setattr(serialize, "MAX_ITEMS", 10**6)
    _refused(v1, "a version-1 file must be at most 0 MiB")
    # version 2 of the same state is read
    serialize.loads(text)


def test_9_a_state_too_large_to_load_is_not_saved(monkeypatch, tmp_path):
    state = _trained_state()
    before = state.to_json()
    monkeypatch.setattr(serialize, "MAX_TEXT", len(before) - 1)
    with pytest.raises(ValueError, match="must be at most .* bytes to be loaded again"):
        state.save(str(tmp_path / "big.json"))
    assert not (tmp_path / "big.json").exists()
    path = tmp_path / "fits.json"
    path.write_text(before)
    with pytest.raises(BadState, match="the file must be at most"):
        serialize.read_text(str(path))
    monkeypatch.undo()
    assert serialize.read_text(str(path)) == before


# ------------------------------------------------------------------ malformed files

def _replace_once(text, old, new):
    assert old in text
    return text.replace(old, new, 1)


def _mutations():
    base = json.loads(_trained_state().to_json())

    def edit(f):
        d = json.loads(json.dumps(base))
        f(d)
        return json.dumps(d)

    def short_base64(d):
        d["parameters"]["layer1.bias"]["base64"] = d["parameters"]["layer1.bias"]["base64"][:-4]

    def bad_char(d):
        b = d["parameters"]["layer1.bias"]["base64"]
        d["parameters"]["layer1.bias"]["base64"] = "!" + b[1:]

    def fives(d):
        d["data"]["Y"] = _encode(np.full(_decode(d["data"]["Y"]).shape, 5.0))

    return [
        ("not json", "{this is not json", "not valid JSON"),
        ("empty", "", "not valid JSON"),
        ("not utf-8", b'{"format": "\xff"}', "not valid JSON"),
        ("a list", "[]", "must be an object"),
        ("format", edit(lambda d: d.update(format="pickle")), "format must be 'backpropviz'"),
        ("version", edit(lambda d: d.update(version=99)), "version must be 1, 2, 3 or 4"),
        ("version bool", edit(lambda d: d.update(version=True)), "version must be 1, 2, 3 or 4"),
        ("NaN literal", _replace_once(json.dumps(base), '"lr": "', '"lr": NaN, "x": "'), "NaN is not allowed"),
        ("huge integer", _replace_once(json.dumps(base), '"seed": 0', '"seed": ' + "9" * 5000), "not valid JSON"),
        ("float not hex", edit(lambda d: d["training"].update(lr=0.5)), "training.lr must be a float written by float.hex"),
        ("code in a float", edit(lambda d: d["training"].update(lr="__import__('os').system('x')")),
         "training.lr must be a float written by float.hex"),
        ("huge net", edit(lambda d: d["net"].update(sizes=[2, 10**9, 1])), "net.sizes[1] must be a whole number from 1 to 1024"),
        ("unknown activation", edit(lambda d: d["net"]["activations"].__setitem__(0, {"name": "os.system"})),
         "net.activations[0] must be an activation"),
        ("slope on tanh", edit(lambda d: d["net"]["activations"].__setitem__(0, {"name": "tanh", "negative_slope": 0.5})),
         "net.activations[0]: bad parameters for 'tanh'"),
        ("wrong shape", edit(lambda d: d["parameters"]["layer1.weight"].update(shape=[2, 4])),
         "parameters.layer1.weight.shape must be [4, 2]"),
        ("hex in version 2", edit(lambda d: d["parameters"]["layer1.weight"].update(hex=[])),
         "parameters.layer1.weight must be an array {\"shape\": [...], \"dtype\": \"<f8\", \"base64\": \"...\"}"),
        ("float32", edit(lambda d: d["parameters"]["layer1.bias"].update(dtype="<f4")),
         "parameters.layer1.bias.dtype must be '<f8'"),
        ("short data", edit(short_base64), "parameters.layer1.bias.base64 must be 32 bytes in base64 (44 characters)"),
        ("not base64", edit(bad_char), "parameters.layer1.bias.base64 must be base64 text"),
        ("missing key", edit(lambda d: d["parameters"].pop("layer2.bias")), "parameters must be an object with exactly the keys"),
        ("missing section", edit(lambda d: d.pop("training")), "saved state: state.training is missing"),
        ("bad loss", edit(lambda d: d["training"].update(loss="l1")), "training.loss must be one of"),
        ("bad batch", edit(lambda d: d["training"].update(batch_size=-3)), "training.batch_size must be a whole number from 1"),
        ("bad rng", edit(lambda d: d["training"]["rng"].update(bit_generator="MT19937")), "training.rng.bit_generator must be 'PCG64'"),
        ("bad order", edit(lambda d: d["training"]["orders"].__setitem__(0, _encode([0] * 45, "<i4"))),
         "training.orders[0] must be a permutation of 0..44"),
        ("order index", edit(lambda d: d["training"].update(order=7)), "training.order must be a whole number from 0 to"),
        ("curve length", edit(lambda d: d["training"]["curve"].update(train_loss=_encode(np.zeros(17)))),
         "training.curve.train_loss.shape must be [18] (steps + 1 = 18 points)"),
        ("test curve without test rows", edit(lambda d: d["data"].update(X_test=None, Y_test=None)),
         "training.curve.test_loss.shape must be [0] (steps + 1 = 18 points, none without test rows)"),
        ("history column", edit(lambda d: d["training"]["history"]["cursor"].pop()),
         "training.history.cursor must be a list of 17 whole numbers, got 'a list of 16'"),
        ("cursor", edit(lambda d: d["training"].update(cursor=45)), "training.cursor must be a whole number from 0 to 44"),
        ("data columns", edit(lambda d: d["data"].update(X=_encode(np.zeros((45, 1))))),
         "data.X.shape must be [rows, 2] with 1 to 100,000 rows, got [45, 1]"),
        ("no rows", edit(lambda d: d["data"].update(X=_encode(np.zeros((0, 2))))),
         "data.X.shape must be [rows, 2] with 1 to 100,000 rows, got [0, 2]"),
        ("NaN data", edit(lambda d: d["data"].update(Y_test=_encode([np.nan] * 15))),
         "data.Y_test[0] must be a finite number (the data), got nan"),
        ("labels for bce", edit(fives), "the data does not fit the net and loss"),
    ]


@pytest.mark.parametrize("name,text,message", _mutations(), ids=[m[0] for m in _mutations()])
def test_malformed_or_hostile_files_are_rejected_and_change_nothing(name, text, message):
    state = _trained_state()
    before, rev = state.to_json(), state.revision
    with pytest.raises(BadState) as info:
        state.load_json(text)
    assert message in str(info.value)
    assert state.to_json() == before and state.revision == rev


def test_save_and_load_panel(tmp_path):
    state = _trained_state()
    panel = SaveLoadPanel(state, path=str(tmp_path / "lesson.json"))
    panel.save_button.click()
    assert "Saved to" in panel.status.value and (tmp_path / "lesson.json").exists()
    saved = state.to_json()
    state.train(5)
    panel.load_button.click()
    assert state.to_json() == saved and "Loaded" in panel.status.value
    # an uploaded file that is not a saved state: the error is shown, nothing changes
    panel.upload.value = ({"name": "evil.json", "type": "application/json", "size": 12,
                           "content": memoryview(b'{"format": 1}'),
                           "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},)
    assert "format must be &#x27;backpropviz&#x27;" in panel.error.value
    assert state.to_json() == saved
    (tmp_path / "missing").mkdir()
    panel.path.value = str(tmp_path / "missing" / "nothing.json")
    panel.load_button.click()
    assert "No such file" in panel.error.value and state.to_json() == saved


# ------------------------------------------------------------------ any mutation

def _small_state():
    X, Y = bpv.datasets.moons(24, seed=1)
    Xtr, Ytr, Xte, Yte = bpv.datasets.train_test_split(X, Y, 0.25, seed=1)
    state = ExplorerState(bpv.MLP([2, 3, 1], ["leaky_relu", "sigmoid"], seed=2), Xtr, Ytr, loss="bce",
                          lr=0.5, X_test=Xte, Y_test=Yte, batch_size=5)
    state.train(7)
    state.data_source = {"name": "moons", "n": 24}
    return state


_BASES = {version: _saved(version, _small_state()) for version in (1, 2, 3)}


def _paths(node, prefix=()):
    """Every place in a JSON tree (a key of an object, an index of a list)."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        out.append(prefix + (key,))
        out.extend(_paths(child, prefix + (key,)))
    return out


_PATHS = {version: _paths(d) for version, d in _BASES.items()}
_JUNK = [None, True, False, 0, 1, -1, 1.5, "x", "", [], {}, [[[[]]]], 2**31, 2**32, 2**64, 2**128,
         10**400, -(10**400), 1e308, "@inf@", "@deep@", "0x1p+0", "nan"]


def _has(parent, key):
    """Is ``parent[key]`` there? (An earlier edit may have swapped a dict for a list.)"""
    if isinstance(parent, dict):
        return key in parent
    return isinstance(parent, list) and isinstance(key, int) and key < len(parent)


def _mutate(d, path, how, junk):
    parent = d
    for key in path[:-1]:
        if not _has(parent, key):
            return
        parent = parent[key]
    key = path[-1]
    if not _has(parent, key):
        return
    value = parent[key]
    if how == "delete":
        del parent[key]
    elif how == "swap":
        parent[key] = junk
    elif how == "shorter" and isinstance(value, (list, str)) and value:
        parent[key] = value[:-1] if isinstance(value, list) else value[:-4]
    elif how == "longer" and isinstance(value, (list, str)):
        parent[key] = value + value[-1:] if isinstance(value, list) else value + "AAAA"
    elif how == "flip" and isinstance(value, str) and value:
        i = len(value) // 2
        parent[key] = value[:i] + ("B" if value[i] != "B" else "C") + value[i + 1:]
    elif how == "plus one" and isinstance(value, int) and not isinstance(value, bool):
        parent[key] = value + 1


def _consistent(state):
    tr = state.trainer
    fresh = state.net.trace(tr.X, tr.Y, loss=tr.loss, lr=tr.lr)
    for key in fresh:
        assert np.array_equal(fresh[key], state.trace[key], equal_nan=True), key
    assert len(tr.curve) == tr.steps + 1
    start = tr.steps - len(tr.history)
    while state.undo():
        pass
    assert tr.steps == start and len(tr.curve) == start + 1 and not tr.history
    again = _other_state()
    again.load_json(state.to_json())
    assert again.to_json() == state.to_json()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(version=st.sampled_from([1, 2, 3]), data=st.data())
def test_any_mutated_file_loads_consistently_or_is_refused_changing_nothing(version, data):
    d = json.loads(json.dumps(_BASES[version]))
    edits = data.draw(st.lists(st.tuples(
        st.sampled_from(_PATHS[version]),
        st.sampled_from(["delete", "swap", "shorter", "longer", "flip", "plus one"]),
        st.sampled_from(_JUNK)), min_size=1, max_size=3))
    for path, how, junk in edits:
        _mutate(d, path, how, junk)
    text = (json.dumps(d).replace('"@inf@"', "1e400")
            .replace('"@deep@"', "[" * 50_000 + "]" * 50_000))
    state = _other_state()
    before, rev = state.to_json(), state.revision
    try:
        state.load_json(text)
    except BadState as exc:
        assert str(exc).startswith("saved state: ")
        assert state.to_json() == before and state.revision == rev
        return
    _consistent(state)
