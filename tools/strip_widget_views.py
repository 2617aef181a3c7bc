"""Keep committed notebooks small and readable before they are run.

Removes the saved widget state, the live-widget views and the run timestamps
from executed notebooks (and numbers the cells), keeping each panel's static HTML picture and plain text: JupyterLab
shows that picture until the cells run (instead of "model not found"), and
nbval compares it. The live panels come back when the notebook runs.
"""

import json
import sys

VIEW = "application/vnd.jupyter.widget-view+json"

for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    nb.get("metadata", {}).pop("widgets", None)
    for i, cell in enumerate(nb["cells"]):
        # stable ids and no run timestamps, so regenerating changes only what changed
        cell["id"] = f"cell-{i:02d}"
        cell.get("metadata", {}).pop("execution", None)
        for out in cell.get("outputs", []):
            out.get("data", {}).pop(VIEW, None)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")
