"""The whole state to JSON and back: exact, and safe against malformed or hostile files."""

import datetime
import json

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.widgets import ExplorerState, SaveLoadPanel


def _trained_state():
    X, Y = bpv.datasets.moons(60, seed=0)
    Xtr, Ytr, Xte, Yte = bpv.datasets.train_test_split(X, Y, 0.25, seed=0)
    state = ExplorerState(bpv.MLP([2, 4, 1], ["tanh", "sigmoid"], seed=1), Xtr, Ytr, loss="bce",
                          lr=0.5, X_test=Xte, Y_test=Yte, batch_size=8)
    state.train(17)
    state.step, state.sample = 5, 3
    return state


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


def test_a_diverged_state_round_trips_with_its_nan():
    X, Y = bpv.datasets.xor()
    state = ExplorerState(bpv.MLP([2, 3, 1], "identity", seed=0), X, Y, lr=1e3)
    state.train(300)
    assert state.message and not np.isfinite(state.trainer.curve.train_loss[-1])
    copy = ExplorerState(bpv.examples.seed_net(), X, Y)
    copy.load_json(state.to_json())
    assert copy.to_json() == state.to_json()


def _replace_once(text, old, new):
    assert old in text
    return text.replace(old, new, 1)


def _mutations():
    base = json.loads(_trained_state().to_json())

    def edit(f):
        d = json.loads(json.dumps(base))
        f(d)
        return json.dumps(d)

    return [
        ("not json", "{this is not json", "not valid JSON"),
        ("empty", "", "not valid JSON"),
        ("a list", "[]", "must be an object"),
        ("format", edit(lambda d: d.update(format="pickle")), "format must be 'backpropviz'"),
        ("version", edit(lambda d: d.update(version=99)), "version must be 1"),
        ("NaN literal", _replace_once(json.dumps(base), '"lr": "', '"lr": NaN, "x": "'), "NaN is not allowed"),
        ("float not hex", edit(lambda d: d["training"].update(lr=0.5)), "training.lr must be a float written by float.hex"),
        ("code in a float", edit(lambda d: d["training"].update(lr="__import__('os').system('x')")),
         "training.lr must be a float written by float.hex"),
        ("huge net", edit(lambda d: d["net"].update(sizes=[2, 10**9, 1])), "net.sizes[1] must be a whole number from 1 to 1024"),
        ("unknown activation", edit(lambda d: d["net"]["activations"].__setitem__(0, {"name": "os.system"})),
         "net.activations[0] must be an activation"),
        ("wrong shape", edit(lambda d: d["parameters"]["layer1.weight"].update(shape=[2, 4])),
         "parameters.layer1.weight.shape must be [4, 2]"),
        ("short data", edit(lambda d: d["parameters"]["layer1.bias"]["hex"].pop()),
         "parameters.layer1.bias.hex must be a list of 4 floats"),
        ("missing key", edit(lambda d: d["parameters"].pop("layer2.bias")), "parameters must be an object with exactly the keys"),
        ("missing section", edit(lambda d: d.pop("training")), "saved state: state.training is missing"),
        ("bad loss", edit(lambda d: d["training"].update(loss="l1")), "training.loss must be one of"),
        ("bad batch", edit(lambda d: d["training"].update(batch_size=-3)), "training.batch_size must be a whole number from 1"),
        ("bad rng", edit(lambda d: d["training"]["rng"].update(bit_generator="MT19937")), "training.rng.bit_generator must be 'PCG64'"),
        ("bad order", edit(lambda d: d["training"].update(order=[0, 0, 1])), "training.order must be null or a permutation"),
        ("curve length", edit(lambda d: d["training"]["curve"]["train_loss"].pop()), "must have steps + 1 = 18 entries"),
        ("data columns", edit(lambda d: d["data"]["X"].update(shape=[45, 1], hex=d["data"]["X"]["hex"][:45])),
         "data.X.shape must be [rows, 2]"),
        ("labels for bce", edit(lambda d: d["data"]["Y"].update(hex=[(5.0).hex()] * len(d["data"]["Y"]["hex"]))),
         "the data does not fit the net and loss"),
    ]


@pytest.mark.parametrize("name,text,message", _mutations(), ids=[m[0] for m in _mutations()])
def test_malformed_or_hostile_files_are_rejected_and_change_nothing(name, text, message):
    state = _trained_state()
    before, rev = state.to_json(), state.revision
    with pytest.raises(ValueError) as info:
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
