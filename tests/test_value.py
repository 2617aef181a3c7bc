"""bpv.Value: lesson 00's scalars, against PyTorch's autograd on random expressions."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backpropviz.engine.value import Value

torch = pytest.importorskip("torch")


def test_the_classic_expression():
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    f = (x + y) * z
    f.backward()
    assert (f.data, x.grad, y.grad, z.grad) == (-12.0, -4.0, -4.0, 3.0)
    assert f.op.name == "mul" and f.inputs[1] is z and f.local == (-4.0, 3.0)


def test_a_value_used_twice_adds_and_backward_twice_gives_the_same():
    a = Value(3.0)
    b = a * a + a
    b.backward()
    assert a.grad == 7.0
    b.backward()
    assert a.grad == 7.0 and b.grad == 1.0


def test_numbers_on_either_side():
    x = Value(2.0)
    for expr, data, grad in ((3 + x, 5.0, 1.0), (x - 3, -1.0, 1.0), (3 - x, 1.0, -1.0),
                             (3 * x, 6.0, 3.0), (x / 4, 0.5, 0.25), (4 / x, 2.0, -1.0),
                             (-x, -2.0, -1.0), (x ** 3, 8.0, 12.0)):
        expr.backward()
        assert (expr.data, x.grad) == pytest.approx((data, grad), rel=1e-15)


def test_a_power_keeps_its_exponent():
    x = Value(2.0, label="x")
    cube = x ** 3
    cube.backward()
    assert (cube.data, cube.exponent, x.grad) == (8.0, 3.0, 12.0)
    assert cube.op.name == "pow" and cube.inputs == (x,) and cube.local == (12.0,)
    assert x.exponent is None and (x * x).exponent is None
    assert (Value(0.0) ** 2).exponent == 2.0  # a zero result too: the exponent is kept, not inferred


# A random expression: a list of instructions over a pool of values, replayed on
# Values and on torch tensors alike.
UNARY = ["neg", "exp", "log", "tanh", "sigmoid", "relu", "square", "cube"]
BINARY = ["add", "sub", "mul", "div"]


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(1, 4))
    inputs = draw(st.lists(st.floats(-3, 3, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
                           min_size=n_inputs, max_size=n_inputs))
    steps = draw(st.lists(st.one_of(
        st.tuples(st.sampled_from(UNARY), st.integers(0, 50)),
        st.tuples(st.sampled_from(BINARY), st.integers(0, 50), st.integers(0, 50),
                  st.booleans())), min_size=1, max_size=12))
    return inputs, steps


def replay(inputs, steps, make, unary, binary):
    pool = [make(v) for v in inputs]
    for step in steps:
        name, i = step[0], step[1] % len(pool)
        if name in UNARY:
            pool.append(unary(name, pool[i]))
        else:
            j = step[2] % len(pool)
            a, b = (pool[i], 1.5) if step[3] else (pool[i], pool[j])
            pool.append(binary(name, a, b))
    total = pool[-1]
    for extra in pool[len(inputs):-1]:
        total = total + extra * 0.5  # every node feeds the output: more reuse
        pool.append(total)
    return pool[:len(inputs)], total, pool


def value_unary(name, v):
    return {"neg": lambda: -v, "exp": v.exp, "log": v.log, "tanh": v.tanh, "sigmoid": v.sigmoid,
            "relu": v.relu, "square": lambda: v ** 2, "cube": lambda: v ** 3}[name]()


def torch_unary(name, t):
    return {"neg": lambda: -t, "exp": t.exp, "log": t.log, "tanh": t.tanh, "sigmoid": t.sigmoid,
            "relu": t.relu, "square": lambda: t ** 2, "cube": lambda: t ** 3}[name]()


def binary(name, a, b):
    return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b}[name]()


@settings(max_examples=300, deadline=None)
@given(programs())
def test_random_expressions_equal_torch_autograd(program):
    inputs, steps = program
    tensor = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)  # noqa: E731
    t_leaves, t_out, t_pool = replay(inputs, steps, tensor, torch_unary, binary)
    undefined = not all(math.isfinite(t.item()) for t in t_pool)
    try:
        leaves, out, _ = replay(inputs, steps, Value, value_unary, binary)
    except ValueError:
        # Value refuses a log of a non-positive number, a division by 0 or an
        # overflow by name; torch went through NaN or inf on the way there.
        assert undefined
        return
    assert not undefined
    out.backward()
    t_out.backward()
    assert out.data == pytest.approx(t_out.item(), rel=1e-12, abs=1e-12)
    for v, t in zip(leaves, t_leaves):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert v.grad == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("make, error, match", [
    (lambda: Value(float("nan")), ValueError, "data must be a finite number"),
    (lambda: Value("3"), TypeError, "data must be a real number"),
    (lambda: Value(1j), TypeError, "data must be a real number"),
    (lambda: Value(-1.0).log(), ValueError, "log needs a positive number, got -1"),
    (lambda: Value(0.0).log(), ValueError, "log needs a positive number, got 0"),
    (lambda: Value(1.0) / 0, ValueError, "division by zero"),
    (lambda: Value(2.0) ** Value(3.0), TypeError, r"\*\* takes a plain number as the exponent"),
    (lambda: 2 ** Value(3.0), TypeError, r"\*\* takes a Value as the base"),
    (lambda: Value(1000.0).exp(), ValueError, "exp\\(1000\\) is not a finite number"),
    (lambda: Value(1.0) + "a", TypeError, "the other operand of \\+ must be a real number"),
    (lambda: Value(1.0) * float("inf"), ValueError, "the other operand of \\* must be a finite number"),
    (lambda: Value(-8.0) ** 0.5, ValueError, "not real"),
])
def test_bad_input_names_the_operation(make, error, match):
    with pytest.raises(error, match=match):
        make()
