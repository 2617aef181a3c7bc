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


def test_notebook_01_prints_exactly_the_seed():
    label = {k: k for k in ("Z1", "H1", "Z2", "H2", "dL/dH2", "dL/dZ2", "dL/dH1", "dL/dZ1")}
    label.update({"dL/dW2": "layer2.weight gradients", "dL/dB2": "layer2.bias gradients",
                  "dL/dW1": "layer1.weight gradients", "dL/dB1": "layer1.bias gradients"})

    def block(keys):
        return "".join(f"{label[k]}:\n{SEED_TEXT[k]}\n\n" for k in keys)

    expected = [
        block(["Z1", "H1", "Z2", "H2"]),
        SEED_TEXT["loss"] + "\n",
        block(["dL/dH2", "dL/dZ2", "dL/dH1", "dL/dZ1"]),
        block(["dL/dW2", "dL/dB2", "dL/dW1", "dL/dB1"]),
        "".join(f"{k}:\n{v}\n\n" for k, v in SEED_UPDATED.items()),
    ]
    path = Path(__file__).parents[1] / "notebooks" / "01_xor_by_hand.ipynb"
    printed = [_text(c) for c in _cells(path) if c["cell_type"] == "code" and _text(c)]
    assert printed == expected
