"""Long random sequences of what a class does to one Explorer, checked after every move.

After each operation: every panel shows the numbers of a fresh trace of the current
weights, a refused operation changed nothing at all, and no warning or panel error
appeared (pytest turns warnings into errors; panels would show them).
"""

import json

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import backpropviz as bpv
from backpropviz.engine.serialize import BadState
from backpropviz.widgets import ExplorerState, TrainingControls, WeightSliders
from backpropviz.widgets.sliders import page_value

ACTS = ["relu", "leaky_relu", "tanh", "sigmoid", "identity"]
X4, Y4 = bpv.datasets.xor()


def fingerprint(state):
    tr = state.trainer
    return (state.to_json(), state.revision, state.message, state.recovery_step,
            np.asarray(tr.curve.train_loss).tobytes())


def same(a, b):
    return a == b or (np.isnan(a) and np.isnan(b))


targets = st.one_of(
    st.just(Y4),
    st.lists(st.sampled_from([0.0, 1.0]), min_size=4, max_size=4).map(lambda v: np.array(v)[:, None]),
    st.lists(st.floats(-30, 30, allow_nan=False), min_size=4, max_size=4).map(lambda v: np.array(v)[:, None]),
    st.lists(st.integers(0, 25), min_size=4, max_size=4).map(lambda v: np.array(v, dtype=float)),
    st.just([["a"], ["b"], ["a"], ["b"]]),
)


class ClassSession(RuleBasedStateMachine):
    @initialize()
    def start(self):
        self.state = ExplorerState(bpv.examples.seed_net(), X4, Y4, loss="mse", lr=0.75)
        self.training = TrainingControls(self.state)
        self.sliders = WeightSliders(self.state)
        self.saved = self.state.to_json()

    def attempt(self, change):
        """Run ``change``; if it is refused, nothing at all may have changed."""
        before = fingerprint(self.state)
        try:
            change()
        except (ValueError, TypeError):
            assert fingerprint(self.state) == before

    @rule(k=st.integers(0, 200), value=st.one_of(st.floats(-4, 4), st.sampled_from([1e7, -1e12, 0.0])))
    def move_a_weight(self, k, value):
        entries = self.state.parameter_entries()
        name, index = entries[k % len(entries)]
        self.attempt(lambda: self.state.set_parameter(name, index, value))

    @rule(steps=st.integers(1, 40))
    def train(self, steps):
        self.attempt(lambda: self.state.train(steps))

    @rule()
    def undo(self):
        self.attempt(self.state.undo)

    @rule()
    def reset(self):
        self.attempt(self.state.reset)

    @rule()
    def recover(self):
        self.attempt(self.state.recover)

    @rule(lr=st.sampled_from([1e-3, 0.1, 0.75, 2.0, 50.0, 1000.0, 1e6, -1.0]),
          loss=st.sampled_from(["mse", "bce", "cross_entropy"]),
          batch=st.sampled_from([None, 1, 2, 3]))
    def configure(self, lr, loss, batch):
        self.attempt(lambda: self.state.configure(lr=lr, loss=loss, batch_size=batch))

    @rule(hidden=st.lists(st.integers(1, 4), max_size=2), acts=st.lists(st.sampled_from(ACTS), min_size=3, max_size=3),
          loss=st.sampled_from(["mse", "bce", "cross_entropy"]))
    def rebuild(self, hidden, acts, loss):
        self.attempt(lambda: self.state.set_architecture(hidden, acts[:len(hidden)] + [acts[-1]], loss=loss))

    @rule(Y=targets, classes=st.sampled_from([None, None, 2, 3]))
    def new_targets(self, Y, classes):
        self.attempt(lambda: self.state.set_data(X4, Y, classes=classes))

    @rule()
    def save(self):
        self.saved = self.state.to_json()

    @rule(seed=st.integers(0, 2**32 - 1))
    def load_a_mutated_file(self, seed):
        d = json.loads(self.saved)
        rng = np.random.default_rng(seed)
        node = d
        for _ in range(int(rng.integers(1, 5))):  # walk down to a random container
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = keys[int(rng.integers(len(keys)))]
            if isinstance(node[key], (dict, list)) and node[key] and rng.random() < 0.7:
                node = node[key]
                continue
            junk = [None, True, -1, 2**32, 2**70, 1e308, "x", [], {}, [[[[[]]]]], 3.5, "0x1p+1"]
            if isinstance(node, dict) and rng.random() < 0.3:
                del node[key]
            else:
                node[key] = junk[int(rng.integers(len(junk)))]
            break
        text = json.dumps(d)
        before = fingerprint(self.state)
        try:
            self.state.load_json(text)
        except BadState:
            assert fingerprint(self.state) == before
            return
        while self.state.undo():  # a file that loads can be undone to its start
            pass

    @rule()
    def load_the_saved_file(self):
        self.state.load_json(self.saved)

    @invariant()
    def every_number_is_current(self):
        state = self.state
        tr = state.trainer
        fresh = tr.trace()  # computed now, with the run's loss, penalty and optimizer
        for key in fresh:
            assert np.array_equal(fresh[key], state.trace[key], equal_nan=True), key
        assert same(tr.curve.train_loss[-1], state.trace.loss)
        assert self.training.error.value == "" and self.sliders.error.value == ""
        params = state.trace.parameters()
        for (name, index), slider in self.sliders.sliders.items():
            value = float(params[name][index])
            # the weight, or the float the page shows for it (0.2985 is shown as
            # 0.29849999999999977; see tests/test_slider_echoes.py)
            shown = page_value(value, slider.min, slider.max, slider.step or 0.0)
            assert slider.value in (value, shown) if np.isfinite(value) else slider.disabled
        if np.isfinite(state.trace.loss):
            assert f"loss {state.trace.loss:.4g}" in self.training.counter.value


TestClassSession = ClassSession.TestCase
TestClassSession.settings = settings(settings.default, max_examples=40, stateful_step_count=25, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
