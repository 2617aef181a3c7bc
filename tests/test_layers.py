"""The structure holds: layers import one way, each op is defined once, and no
module reaches into another module's private names."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "backpropviz"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _imports_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_engine_and_the_state_load_no_widget_or_plotting_library():
    for statement in ("import backpropviz", "from backpropviz.state import ExplorerState",
                      "import backpropviz as b; b.ExplorerState; b.Value(1.0)"):
        loaded = _imports_after(statement)
        assert "ipywidgets" not in loaded and "matplotlib" not in loaded, statement


@pytest.mark.parametrize("function", ["np.tanh", "np.exp", "np.log", "np.log1p", "np.expm1"])
def test_the_forward_math_is_written_only_where_ops_are_defined(function):
    # (the data generators' own formulas, datasets.py, are the data's, not the net's)
    owners = {"activations.py", "losses.py", "ops.py", "datasets.py"}
    found = [str(p.relative_to(PACKAGE)) for p in MODULES
             if re.search(re.escape(function) + r"\(", p.read_text()) and p.name not in owners]
    assert found == []


def _private_reaches(path: Path, root: Path = PACKAGE) -> list[str]:
    """``obj._name`` where obj is not self/cls and ``_name`` is not defined in this module."""
    tree = ast.parse(path.read_text())
    defined = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name.startswith("_"):
            defined.add(node.name)
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            defined.add(node.attr)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        if isinstance(node, (ast.AnnAssign,)) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
    slots = re.findall(r'"(_\w+)"', path.read_text())  # __slots__ and similar
    defined.update(slots)
    reaches = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__") and node.attr not in defined):
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            reaches.append(f"{path.relative_to(root)}:{node.lineno} .{node.attr}")
    return reaches


def test_no_module_reaches_into_another_modules_private_names():
    reaches = [r for p in MODULES for r in _private_reaches(p)]
    assert reaches == []


def test_the_private_name_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("class Grid:\n    def evaluate(self, net):\n        self._cache = net._W\n"
                   "        return self._cache\n")
    assert _private_reaches(bad, tmp_path) == ["bad.py:3 ._W"]
