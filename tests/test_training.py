"""Training: steps, epochs, minibatches, undo, reset, divergence."""

import re

import numpy as np
import pytest

import backpropviz as bpv
from backpropviz.engine.training import MAX_UNDO, Trainer


def _moons_trainer(**kw):
    X, Y = bpv.datasets.moons(40, seed=0)
    net = bpv.MLP([2, 5, 1], ["tanh", "sigmoid"], seed=3)
    return Trainer(net, X, Y, loss="bce", lr=0.5, **kw)


def _same(a, b):
    return all(np.array_equal(a[k], b[k]) for k in a)


def test_full_batch_steps_are_the_seed_update_and_epochs():
    X, Y = bpv.datasets.xor()
    net = bpv.examples.seed_net()
    tr = Trainer(net, X, Y, loss="mse", lr=0.75)
    tr.step()
    assert str(net.state_dict()["layer2.bias"]) == "[0.48455154]"  # the seed's update
    assert tr.steps == 1 and tr.epochs_done == 1
    assert tr.curve.train_loss[0] == pytest.approx(0.2631408769381175, rel=1e-15)
    assert "full batch" in tr.describe_step()


def test_minibatches_cover_each_epoch_once():
    tr = _moons_trainer(batch_size=16)
    assert tr.steps_per_epoch == 3 and "16 of 40" in tr.describe_step()
    tr.run(3)
    assert tr.epochs_done == 1 and tr.cursor == 0
    tr.step()
    assert tr.epoch == pytest.approx(1.4)


@pytest.mark.parametrize("batch", [None, 7])
def test_undo_after_n_steps_equals_the_state_n_steps_ago(batch):
    tr = _moons_trainer(batch_size=batch)
    tr.run(5)
    before = (tr.net.state_dict(), tr.rng.bit_generator.state, tr.steps, tr.cursor, tr.epochs_done,
              list(tr.curve.train_loss))
    tr.run(9)
    for _ in range(9):
        assert tr.undo()
    after = (tr.net.state_dict(), tr.rng.bit_generator.state, tr.steps, tr.cursor, tr.epochs_done,
             list(tr.curve.train_loss))
    assert _same(before[0], after[0]) and before[1:] == after[1:]
    # and training on from there repeats the same steps exactly
    tr.run(9)
    redo = tr.net.state_dict()
    twin = _moons_trainer(batch_size=batch)
    twin.run(14)
    assert _same(redo, twin.net.state_dict())


def test_reset_returns_the_initial_weights_bit_for_bit():
    tr = _moons_trainer(batch_size=5)
    start = tr.net.state_dict()
    tr.run(50)
    tr.set_lr(0.1)
    tr.run(10)
    tr.reset()
    assert _same(start, tr.net.state_dict())
    assert tr.steps == 0 and tr.epochs_done == 0 and tr.history == [] and len(tr.curve.train_loss) == 1


def test_undo_is_bounded_and_says_when_there_is_nothing_left():
    tr = _moons_trainer()
    assert not tr.undo()
    tr.run(MAX_UNDO + 5)
    assert len(tr.history) == MAX_UNDO


def test_changing_the_learning_rate_keeps_the_model():
    tr = _moons_trainer()
    tr.run(4)
    w = tr.net.state_dict()
    tr.set_lr(0.01)
    assert _same(w, tr.net.state_dict()) and tr.steps == 4
    with pytest.raises(ValueError, match="lr must be a finite number greater than 0"):
        tr.set_lr(0)


def test_divergence_stops_training_and_undo_recovers():
    X, Y = bpv.datasets.xor()
    tr = Trainer(bpv.MLP([2, 3, 1], "identity", seed=0), X, Y, loss="mse", lr=1e3)
    taken = tr.run(500)
    assert tr.diverged and taken < 500
    assert not np.isfinite(tr.curve.train_loss[-1])
    while tr.diverged:
        tr.undo()
    assert np.isfinite(tr.curve.train_loss[-1])
    assert all(np.all(np.isfinite(v)) for v in tr.net.state_dict().values())


def test_trainer_argument_checks():
    X, Y = bpv.datasets.xor()
    net = bpv.examples.seed_net()
    with pytest.raises(ValueError, match="X_test and Y_test go together"):
        Trainer(net, X, Y, X_test=X)
    with pytest.raises(ValueError, match=re.escape("batch_size must be at least 1, got 0")):
        Trainer(net, X, Y, batch_size=0)
    with pytest.raises(TypeError, match="net must be an MLP"):
        Trainer("net", X, Y)
