"""App mode for a lecture: the Explorer served by Voila, without code cells."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, ROOT, _free_port, drag, run_server


@pytest.fixture
def voila(tmp_path):
    shutil.copy(ROOT / "notebooks" / "03_drag_the_weights.ipynb", tmp_path / "lesson.ipynb")
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    for base, _ in run_server(
            [str(Path(sys.executable).with_name("voila")), "lesson.ipynb", "--no-browser",
             f"--port={port}", "--Voila.ip=127.0.0.1"],
            cwd=tmp_path, env=env, log=tmp_path / "voila.log",
            base=f"http://127.0.0.1:{port}", ready="/"):
        yield base


def test_voila_serves_the_explorer_without_code(voila, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.set_default_timeout(90_000)
    page.goto(voila)
    explorer = page.locator(".bpv-explorer").first
    explorer.wait_for()
    text = page.inner_text("body")
    assert "bpv.Explorer(" not in text and "import backpropviz" not in text  # no code shown
    assert "Drag the weights" in text  # the lesson's words are
    slider = explorer.locator(".widget-slider", has=page.locator("label", has_text="layer2.bias[0]"))
    slider.scroll_into_view_if_needed()
    before = explorer.locator(".bpv-diagram").inner_html()
    drag(page, slider.locator(".noUi-handle"), -50)
    page.wait_for_function(
        "before => document.querySelector('.bpv-explorer .bpv-diagram').innerHTML !== before",
        arg=before)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "voila.png"))
    page.close()
