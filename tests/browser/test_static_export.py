"""A notebook exported to HTML with its widget state shows the panels without a kernel."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ARTIFACTS, ROOT
from .vendor import EXPORT_OPTIONS, link_next_to


def test_exported_explorer_renders_offline(browser, tmp_path):
    link_next_to(tmp_path)
    shutil.copy(ROOT / "notebooks" / "03_drag_the_weights.ipynb", tmp_path / "lesson.ipynb")
    jupyter = Path(sys.executable).with_name("jupyter")
    subprocess.run(
        [str(jupyter), "nbconvert", "--to", "html", "--execute", "lesson.ipynb",
         "--ExecutePreprocessor.store_widget_state=True", *EXPORT_OPTIONS],
        cwd=tmp_path, check=True, capture_output=True, timeout=300)
    html = (tmp_path / "lesson.html").read_text()
    assert "application/vnd.jupyter.widget-state+json" in html
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
    page = context.new_page()
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto((tmp_path / "lesson.html").as_uri())
    # the html manager builds the real widgets from the saved state: sliders and all
    page.wait_for_selector(".bpv-explorer .widget-slider", timeout=60_000)
    explorer = page.locator(".bpv-explorer").first
    assert "Step 1 of 17 · forward pass · Z1" in explorer.inner_text()
    assert explorer.locator(".bpv-diagram").count() == 1
    assert "layer1.weight[0,1] = -0.5792" in explorer.locator(".bpv-diagram").inner_html()
    assert explorer.locator(".bpv-boundary img").first.evaluate("img => img.naturalWidth") > 0
    assert page.locator("text=Error displaying widget").count() == 0
    assert failed == []  # everything it needs is on disk: no network
    # the formula was typeset by the vendored MathJax
    page.wait_for_selector(".bpv-stepper .MathJax_CHTML", timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    explorer.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "static-export.png"))
    context.close()
