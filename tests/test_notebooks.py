"""The committed notebooks: well formed, and notebook 01 stores exactly the seed's text.

nbval (in `make test`) re-runs each notebook and compares with these stored
outputs, so checking the stored outputs here pins what nbval checks.
"""

import json
from pathlib import Path

import pytest

from seed_text import SEED_TEXT, SEED_UPDATED

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _text(cell):
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_executed_in_order_without_errors(path):
    counts = []
    for cell in _cells(path):
        if cell["cell_type"] != "code":
            continue
        assert cell["execution_count"] is not None, "unexecuted code cell"
        counts.append(cell["execution_count"])
        assert all(o["output_type"] != "error" for o in cell["outputs"])
    assert counts == list(range(1, len(counts) + 1))


# What notebook 01 prints beyond the seed: the shape argument, the gradient check and
# the loss after the step (tests/test_lessons_01_04.py recomputes these numbers).
NB01_SHAPES = (
    "forward:  H1 (4, 2) @ W2.T (2, 1) = Z2 (4, 1)\n"
    "backward: dL/dZ2 (4, 1) @ W2 (1, 2) = dL/dH1 (4, 2)\n"
    "dL/dH1[1, 0] = dL/dZ2[1, 0] * W2[0, 0] = -0.23279965 * 0.5266 = -0.12259230\n"
)
NB01_LEAVES = (
    "dL/dZ2.T (1, 4) @ H1 (4, 2) = dL/dW2 (1, 2), the shape of W2 (1, 2)\n"
    "dL/dW2[0, 1] = sum over the rows of dL/dZ2[n, 0] * H1[n, 1]\n"
    "             = sum of [ 0.05307709 -0.14256651 -0.04663296  0.2251848 ] = 0.08906242\n"
    "\n"
    "layer2.weight  backprop:           [[-0.052125, 0.089062]]\n"
    "               finite differences: [[-0.052125, 0.089062]]\n"
    "layer2.bias    backprop:           [0.201665]\n"
    "               finite differences: [0.201665]\n"
    "layer1.weight  backprop:           [[0.040452, 0.02296], [0.045445, 0.025794]]\n"
    "               finite differences: [[0.040452, 0.02296], [0.045445, 0.025794]]\n"
    "layer1.bias    backprop:           [0.053098, 0.059652]\n"
    "               finite differences: [0.053098, 0.059652]\n"
)
NB01_AFTER = "loss before the step: 0.263141\nloss after the step:  0.269553\n"
NB01_RATES = "lr 0.75: loss 0.263141 -> 0.269553\nlr 0.3: loss 0.263141 -> 0.253059\n"


def test_notebook_01_prints_exactly_the_seed():
    """Every number the seed prints, printed the seed's way, in the seed's order; in
    between, the cells notebook 01 adds."""
    label = {k: k for k in ("Z1", "H1", "Z2", "H2", "dL/dH2", "dL/dZ2", "dL/dH1", "dL/dZ1")}
    label.update({"dL/dW2": "layer2.weight gradients", "dL/dB2": "layer2.bias gradients",
                  "dL/dW1": "layer1.weight gradients", "dL/dB1": "layer1.bias gradients"})

    def block(keys):
        return "".join(f"{label[k]}:\n{SEED_TEXT[k]}\n\n" for k in keys)

    expected = [
        block(["Z1", "H1", "Z2", "H2"]),
        SEED_TEXT["loss"] + "\n",
        block(["dL/dH2", "dL/dZ2", "dL/dH1", "dL/dZ1"]),
        NB01_SHAPES,
        block(["dL/dW2", "dL/dB2", "dL/dW1", "dL/dB1"]),
        NB01_LEAVES,
        "".join(f"{k}:\n{v}\n\n" for k, v in SEED_UPDATED.items()),
        NB01_AFTER,
        NB01_RATES,
    ]
    path = Path(__file__).parents[1] / "notebooks" / "01_xor_by_hand.ipynb"
    printed = [_text(c) for c in _cells(path) if c["cell_type"] == "code" and _text(c)]
    assert printed == expected


def test_notebook_01_computes_each_intermediate_with_the_seeds_own_numpy_line():
    """The hand computation is in front of the class, not looked up in the trace."""
    path = Path(__file__).parents[1] / "notebooks" / "01_xor_by_hand.ipynb"
    source = "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code")
    for line in ["Z1 = X @ W1.T", "Z1 = Z1 + B1", "H1 = np.maximum(0.5 * Z1, Z1)",
                 "Z2 = H1 @ W2.T", "H2 = np.maximum(0.5 * Z2, Z2)",
                 "loss = np.mean((Y - H2) ** 2)", "dL_dH2 = 2*(H2 - Y)/len(Y)",
                 "dL_dZ2 = np.multiply(dL_dH2, np.where(Z2 > 0, 1, 0.5))",
                 "dL_dH1 = dL_dZ2 @ W2", "dL_dZ1 = np.multiply(dL_dH1, np.where(Z1 > 0, 1, 0.5))",
                 "dL_dW2 = dL_dZ2.T @ H1", "dL_dB2 = dL_dZ2.sum(axis=0)",
                 "dL_dW1 = dL_dZ1.T @ X", "dL_dB1 = dL_dZ1.sum(axis=0)",
                 "W1 = W1 - lr * dL_dW1", "B2 = B2 - lr * dL_dB2"]:
        assert line in source, line
    # each printed intermediate is checked against the engine's trace in its own cell
    for cell in _cells(path):
        text = "".join(cell["source"])
        if cell["cell_type"] == "code" and "print(f'" in text:
            assert "assert np.array_equal(value, t[name])" in text
