"""The class notebooks as a static site (``make lite``) in Chromium with no network,
and sliders that never change a weight by being shown, there and in JupyterLab;
the site's modules are imported from their bytecode, never compiled in the page.

The site is JupyterLab 4.3 with a Python kernel running in the page (Pyodide);
everything it loads comes from the site itself (``tools/lite/serve.py`` serves
it on this machine), and this Chromium resolves no other host, so any request
that would leave the machine fails loudly.
"""

from __future__ import annotations

import json
import time

import pytest

from .conftest import ARTIFACTS, ROOT, error_outputs, kernel_output, open_notebook, run_all

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))

#: Installed in the kernel before Run All: records every slider message from the
#: page that changed a weight (none may, when nobody touches a slider).
PROBE = """
import numpy as _np
import backpropviz.widgets.sliders as _bpv_sliders
_bpv_nudged = []
def _bpv_watch(on_slider):
    def watched(self, change):
        before = self.state.net.state_dict()
        on_slider(self, change)
        after = self.state.net.state_dict()
        if not all(_np.array_equal(before[k], after[k], equal_nan=True) for k in before):
            _bpv_nudged.append(f"{change['owner'].description}: {change['old']!r} -> {change['new']!r}")
    return watched
_bpv_sliders.WeightSliders._on_slider = _bpv_watch(_bpv_sliders.WeightSliders._on_slider)
"""

#: Installed in the kernel before Run All: the modules imported after it, and those
#: of them Python compiled from source, which none of the site's may be (the site
#: ships their bytecode: tools/lite/build.py, ``ship_bytecode``).
BYTECODE_PROBE = """
import sys as _sys, zipimport as _zipimport, importlib._bootstrap_external as _external
_bpv_modules, _bpv_compiled = set(_sys.modules), []
def _bpv_counted(compile_source, path_of):
    def counted(*args, **kwargs):
        _bpv_compiled.append(path_of(*args))
        return compile_source(*args, **kwargs)
    return counted
_external.SourceLoader.source_to_code = _bpv_counted(
    _external.SourceLoader.source_to_code, lambda self, data, path: str(path))
_zipimport._compile_source = _bpv_counted(_zipimport._compile_source, lambda path, source: path)
"""

#: After Run All: the site's modules it imported (from its wheels, its standard
#: library), and which of them were compiled from source.
BYTECODE_READ = """
import json as _json
_bpv_site = ("/lib/python3.12/site-packages/", "/lib/python312.zip/")
_bpv_new = [getattr(_sys.modules[m], "__file__", None) or "" for m in set(_sys.modules) - _bpv_modules]
print(_json.dumps({"imported": sorted(f for f in _bpv_new if f.startswith(_bpv_site)),
                   "compiled": sorted(f for f in _bpv_compiled if f.startswith(_bpv_site))}))
"""

#: After Run All: every slider panel's weights, exactly, each panel marked with a
#: class so the page's sliders can be found.
READ = """
import gc as _gc, json as _json
if "_bpv_panels" not in globals():  # found once: read again, the same panels in the same order
    _bpv_panels = [o for o in _gc.get_objects() if isinstance(o, _bpv_sliders.WeightSliders)]
_bpv_read = []
for _i, _p in enumerate(_bpv_panels):
    _p.add_class(f"bpv-probe-{_i}")
    _params = _p.state.trace.parameters()
    _bpv_read.append({_bpv_sliders.entry_label(n, i): float(_params[n][i]) for n, i in _p.shown})
print(_json.dumps({"nudged": _bpv_nudged, "panels": _bpv_read}))
"""


def _lab_url(base: str, notebook: str) -> str:
    return f"{base}/lab/workspaces/lite-{time.monotonic_ns()}/tree/{notebook}?reset"


def _lite_url(base: str, notebook: str) -> str:
    return f"{base}/lab/index.html?path={notebook}"


def _show_every_cell(page) -> None:
    """Bring each cell into view once: Lab draws a cell's outputs (and so its
    sliders) only when it comes into view."""
    page.evaluate(
        """async () => {
            const nb = window.jupyterapp.shell.currentWidget.content;
            for (let i = 0; i < nb.widgets.length; i++) {
                nb.widgets[i].node.scrollIntoView({block: 'center'});
                await new Promise(r => setTimeout(r, 50));
            }
        }""")


def check_sliders_after_run_all(page) -> dict:
    """Run All with the probe in the kernel, show every cell, let the page's
    messages arrive; then no slider message may have changed a weight, and every
    slider on the page must show its weight. Returns what the kernel read."""
    kernel_output(page, PROBE)
    run_all(page)
    _show_every_cell(page)
    time.sleep(1.0)  # the page's messages from drawing the sliders
    page.wait_for_function("window.jupyterapp.shell.currentWidget.sessionContext.session"
                           ".kernel.status === 'idle'")
    read = json.loads(kernel_output(page, READ).strip().splitlines()[-1])
    assert read["nudged"] == [], "showing the sliders changed weights:\n" + "\n".join(read["nudged"])
    shown = 0
    for i, weights in enumerate(read["panels"]):
        panel = page.locator(f".bpv-probe-{i}")
        try:
            panel.first.wait_for(state="attached", timeout=3_000)
        except Exception:
            continue  # a panel that was built but never displayed
        _check_panel(panel.first, weights)
        shown += 1
        # a net shown one layer at a time: each layer's sliders, shown in turn, alike
        sections = panel.first.locator(".widget-toggle-buttons button")
        for k in range(sections.count() if sections.count() and sections.first.is_visible() else 0):
            if "mod-active" in (sections.nth(k).get_attribute("class") or ""):
                continue
            sections.nth(k).click()
            page.wait_for_function("b => b.classList.contains('mod-active')",
                                   arg=sections.nth(k).element_handle())
            time.sleep(0.5)  # the page's messages from drawing the new sliders
            again = json.loads(kernel_output(page, READ).strip().splitlines()[-1])
            assert again["nudged"] == [], "showing a layer's sliders changed weights"
            _check_panel(panel.first, again["panels"][i])
    read["shown"] = shown
    return read


def _check_panel(panel, weights: dict) -> None:
    """The panel's sliders on the page are exactly those of ``weights``, each at its weight."""
    panel.page.wait_for_function(
        "([el, n]) => el.querySelectorAll('.widget-slider').length === n",
        arg=[panel.element_handle(), len(weights)])
    rows = panel.evaluate(
        """el => [...el.querySelectorAll('.widget-slider')].map(s => [
            s.querySelector('label').textContent, s.querySelector('.widget-readout').textContent])""")
    assert {label for label, _ in rows} == set(weights)
    for label, readout in rows:
        assert readout.replace("\u2212", "-") == f"{weights[label]:.4f}", label


# ---------------------------------------------------------------- JupyterLab


@pytest.mark.parametrize("notebook", ["03_drag_the_weights.ipynb", "04_train_xor.ipynb"])
def test_lab_sliders_never_change_a_weight_by_being_shown(lab, page, notebook):
    open_notebook(page, _lab_url(lab[0], notebook), notebook)
    read = check_sliders_after_run_all(page)
    assert read["shown"] >= 1
    assert error_outputs(page) == []


# ---------------------------------------------------------------- the static site


def _outside(page, base: str) -> list[str]:
    return [u for u in page.bpv_requests
            if not (u.startswith(base + "/") or u.startswith(("data:", "blob:")))]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_lite_notebook_runs_offline(lite, lite_page, notebook):
    base, _log = lite
    open_notebook(lite_page, _lite_url(base, notebook), notebook)
    kernel_output(lite_page, BYTECODE_PROBE)
    read = check_sliders_after_run_all(lite_page)
    errors = [e for e in error_outputs(lite_page)
              if not e.startswith("Matplotlib is building the font cache")]
    assert errors == []
    modules = json.loads(kernel_output(lite_page, BYTECODE_READ).strip().splitlines()[-1])
    assert any("/backpropviz/" in f for f in modules["imported"])  # some were imported since
    assert modules["compiled"] == [], "the site served these modules without their bytecode"
    assert _outside(lite_page, base) == []
    assert lite_page.bpv_failed == []
    if notebook.startswith("03"):
        assert read["shown"] >= 1


def click_track(page, slider, fraction: float) -> None:
    """Click a slider's track at ``fraction`` of its width (a click moves the handle
    there; arrow keys did not move it in the site, headless)."""
    track = slider.locator(".noUi-base")
    track.evaluate("e => e.scrollIntoView({block: 'center'})")
    box = track.bounding_box()
    page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)


def test_lite_slider_click_redraws_the_boundary_and_play_trains(lite, lite_page):
    base, _log = lite
    page = lite_page
    notebook = "03_drag_the_weights.ipynb"
    open_notebook(page, _lite_url(base, notebook), notebook)
    run_all(page)
    explorer = page.locator(".bpv-explorer").first
    boundary = explorer.locator(".bpv-boundary img").first
    boundary.wait_for()
    before = boundary.get_attribute("src")
    slider = explorer.locator(".widget-slider", has=page.locator("label", has_text="layer2.bias[0]"))
    readout = slider.locator(".widget-readout")
    assert readout.text_content() == "0.6358"
    click_track(page, slider, 0.25)  # -1.0 on the range -2..2
    page.wait_for_function("([img, before]) => img.src !== before",
                           arg=[boundary.element_handle(), before])
    moved = float(readout.text_content().replace("\u2212", "-"))
    assert moved < 0
    loss = explorer.locator(".bpv-sliders").first
    page.wait_for_function("el => el.textContent.includes('loss =') && "
                           "!el.textContent.includes('loss = 0.263141')", arg=loss.element_handle())
    training = explorer.locator(".bpv-training")
    training.scroll_into_view_if_needed()
    drawn = boundary.get_attribute("src")
    training.locator("button", has_text="Play").click()
    page.wait_for_function(
        "el => { const m = /step (\\d+) /.exec(el.innerText); return m && Number(m[1]) >= 20; }",
        arg=training.element_handle())
    page.wait_for_function("([img, before]) => img.src !== before",
                           arg=[boundary.element_handle(), drawn])
    training.locator("button", has_text="Pause").click()
    training.locator("button", has_text="Play").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lite-after-play.png"))
    assert [e for e in error_outputs(page)
            if not e.startswith("Matplotlib is building the font cache")] == []
    assert _outside(page, base) == [] and page.bpv_failed == []
