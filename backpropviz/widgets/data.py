"""Choose the data: the seed's XOR, a generated set (noise, size, seed), a test split.

The regression sets (``plane``, ``multi_gaussian``) switch the state to regression:
MSE on an Identity output unit. Choosing a classification set afterwards makes a
classifier again (one sigmoid unit under BCE, or softmax cross-entropy for more
than 2 classes; the hidden layers stay).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from .. import datasets
from ._base import Panel
from ._errors import shows_errors
from .features import FeatureControls
from .state import ExplorerState

CHOICES = [("XOR, the seed's 4 rows", "xor"), ("circle", "circle"), ("noisy XOR", "xor_quadrants"),
           ("two gaussians", "gaussians"), ("spiral", "spiral"), ("moons", "moons"),
           ("three blobs (3 classes)", "blobs"), ("plane (regression)", "plane"),
           ("multi-Gaussian (regression)", "multi_gaussian")]


class DataControls(Panel, widgets.VBox):
    """Pick a dataset; for generated ones the number of rows, the noise, the seed
    and the share held out for testing. Changing the data keeps the weights and
    starts the training counters over. ``your data`` stands for arrays you gave.

    A regression set (real-valued targets) trains with MSE on an Identity output
    unit: if the net has another output layer, it gets that one (the hidden layers
    stay, the weights start afresh from the net's seed).

    Below the sets, ``features`` (a :class:`FeatureControls`): the input features
    the net reads from each point, kept when the data changes."""

    def __init__(self, state: ExplorerState) -> None:
        self._attach(state)
        src = state.data_source or {}
        options = list(CHOICES) + ([("your data", "user")] if not src else [])
        name = src.get("name", "user") if src else "user"
        style = {"description_width": "7em"}
        self.dataset = widgets.Dropdown(options=options, value=name, description="dataset", style=style)
        self.n = widgets.BoundedIntText(value=src.get("n", 200), min=8, max=2000, description="rows",
                                        style=style, layout=widgets.Layout(width="14em"))
        self.noise = widgets.BoundedFloatText(value=src.get("noise", 0.1), min=0.0, max=2.0, step=0.01,
                                              description="noise", style=style,
                                              layout=widgets.Layout(width="14em"))
        self.test_fraction = widgets.BoundedFloatText(value=src.get("test_fraction", 0.25), min=0.0,
                                                      max=0.9, step=0.05, description="test share",
                                                      style=style, layout=widgets.Layout(width="14em"))
        self.seed = widgets.BoundedIntText(value=src.get("seed", 0), min=0, max=2**31 - 1,
                                           description="data seed", style=style,
                                           layout=widgets.Layout(width="14em"))
        self.note = widgets.HTML()
        self.features = FeatureControls(state)
        super().__init__([self.dataset, self.n, self.noise, self.test_fraction, self.seed,
                          self.note, self.features, self.error])
        self.add_class("bpv-data")
        self._source = state.data_source
        for w in (self.dataset, self.n, self.noise, self.test_fraction, self.seed):
            w.observe(self._on_change, "value")
        state.observe(self._on_trace, "trace")
        self._enable()

    def _from_state(self) -> None:
        """Show the state's data in the controls (another panel on the same state,
        a loaded file, or a refused choice put back), without making it again."""
        src = self.state.data_source or {}
        self._source = self.state.data_source
        name = src.get("name", "user") if src else "user"
        with self.syncing():
            if name == "user" and "user" not in [v for _, v in self.dataset.options]:
                self.dataset.options = list(CHOICES) + [("your data", "user")]
            self.dataset.value = name
            for control, key in ((self.n, "n"), (self.noise, "noise"),
                                 (self.test_fraction, "test_fraction"), (self.seed, "seed")):
                if key in src:
                    control.value = src[key]
        self._enable()

    @shows_errors("Updating the data panel")
    def _on_trace(self, change: dict) -> None:
        if self.state.data_source is not self._source:
            self._from_state()
        else:
            self._enable()  # the note follows the features

    def _enable(self) -> None:
        generated = self.dataset.value not in ("xor", "user")
        for w in (self.n, self.noise, self.test_fraction, self.seed):
            w.disabled = not generated
        n, d = len(self.state.X), self.state.points.shape[1]
        test = 0 if self.state.X_test is None else len(self.state.X_test)
        task = ""
        if datasets.is_regression(self.dataset.value):
            task = (" Regression: each row's target is a number; the net learns it with mean "
                    "squared error on one Identity output unit.")
        what = f"{d} inputs" if self.state.features is None else "points (x₁, x₂)"
        self.note.value = f"<small>{n} training rows, {test} test rows, {what}.{task}</small>"

    def make(self) -> tuple:
        """(X, Y, X_test, Y_test, source) for the current choices; Y holds class labels,
        or real-valued targets for a regression set."""
        name = self.dataset.value
        if name == "xor":
            X, Y = datasets.xor()
            return X, Y, None, None, {"name": "xor"}
        source = {"name": name, "n": self.n.value, "noise": self.noise.value,
                  "seed": self.seed.value, "test_fraction": self.test_fraction.value}
        X, Y = datasets.make(name, n=source["n"], noise=source["noise"], seed=source["seed"])
        Xtr, Ytr, Xte, Yte = datasets.train_test_split(X, Y, source["test_fraction"], seed=source["seed"])
        if len(Xte) == 0:
            Xte = Yte = None
        return Xtr, Ytr, Xte, Yte, source

    @shows_errors("Changing the data")
    def _on_change(self, change: Any) -> None:
        if self.is_syncing:
            return
        if self.dataset.value == "user":
            self._enable()
            return
        try:
            X, Y, Xte, Yte, source = self.make()
            if datasets.is_regression(source["name"]):
                self.state.set_regression_data(X, Y, Xte, Yte, source=source)
            else:
                # Every other dataset offered here is a classification: its labels are classes.
                classes = int(max(Y.max(), -1 if Yte is None else Yte.max())) + 1
                self.state.set_data(X, Y, Xte, Yte, source=source, classes=max(classes, 2))
        except Exception:
            self._from_state()  # the controls show the data the state still has
            raise
        self._source = self.state.data_source
        self._enable()
