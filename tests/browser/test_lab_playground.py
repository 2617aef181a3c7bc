"""Training in a real JupyterLab: Play, Pause, Reset, and the boundary moving."""

from __future__ import annotations

import re

import numpy as np
from seed_text import SEED_TEXT

from .conftest import (ARTIFACTS, drag, error_outputs, open_and_run, open_explorer, open_section,
                       wait_for_text)


def _steps(training) -> int:
    """The step count the training panel shows, once the page has drawn it (Lab
    draws a cell's contents only when the cell comes into view)."""
    training.page.wait_for_function("el => /step \\d+ /.test(el.innerText)",
                                    arg=training.element_handle())
    return int(re.search(r"step (\d+) ", training.inner_text()).group(1))


def _wait_for_steps(training, test: str) -> None:
    """Wait until the step count the panel shows passes ``test``, a JavaScript
    expression in ``n`` (see `wait_for_text`)."""
    training.page.wait_for_function(
        f"el => {{ const m = /step (\\d+) /.exec(el.innerText); if (!m) return false;"
        f" const n = Number(m[1]); return {test}; }}", arg=training.element_handle())


def test_play_trains_and_reset_returns_to_the_start(lab, page):
    base, _ = lab
    page.set_viewport_size({"width": 1680, "height": 1050})
    open_and_run(page, base, "04_train_xor.ipynb")
    explorer = page.locator(".bpv-explorer").first
    training = explorer.locator(".bpv-training")
    training.scroll_into_view_if_needed()
    assert _steps(training) == 0
    boundary = explorer.locator(".bpv-boundary img").first
    before = boundary.get_attribute("src")
    training.locator("button", has_text="Play").click()
    # the kernel trains between redraws: the counter and the picture move on their own
    _wait_for_steps(training, "n >= 10")
    page.wait_for_function("before => document.querySelector('.bpv-boundary img').src !== before",
                           arg=before)
    training.locator("button", has_text="Pause").click()
    training.locator("button", has_text="Play").wait_for()
    # Paused means paused. The button says Play once the kernel has heard the
    # pause; after that only Step may move the counter. Play's frames take
    # `per_frame` steps each from 0, so the first count that is no multiple of
    # it is the Step's (and every count before it has arrived); each further
    # Step then adds exactly one, with no frame in between.
    per_frame = int(training.locator(".widget-inline-hbox", has_text="steps per frame")
                    .locator("input").input_value())
    assert per_frame > 1
    step = training.locator("button", has_text="Step").first
    step.click()
    _wait_for_steps(training, f"n % {per_frame} !== 0")
    paused = _steps(training)
    for more in (1, 2, 3):
        step.click()
        _wait_for_steps(training, f"n !== {paused + more - 1}")
        assert _steps(training) == paused + more
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "playground-after-play.png"))
    training.locator("button", has_text="Reset").click()
    _wait_for_steps(training, "n === 0")
    wait_for_text(explorer.locator(".bpv-stepper"), SEED_TEXT["Z1"])
    assert error_outputs(page) == []


def test_the_loss_landscape_opens_and_its_point_follows_a_slider(lab, page):
    explorer = open_explorer(page, lab[0], "03_drag_the_weights.ipynb", 1280, 720)
    open_section(explorer, "Loss landscape")
    picture = explorer.locator(".bpv-landscape svg.bpv-landscape-picture")
    picture.scroll_into_view_if_needed()
    picture.wait_for(state="visible")
    box = picture.bounding_box()
    assert box["width"] >= 400 and box["height"] >= 340  # drawn at its size, not squeezed
    # the heatmap's pixels (one per grid point) have loaded and are laid out over the axes
    heatmap = picture.locator("image").first
    page.wait_for_function("el => el.getBBox().width > 250 && el.href.baseVal.startsWith('data:image/png')",
                           arg=heatmap.element_handle())
    assert "layer1.weight[0,0] (across)" in picture.locator("title").first.text_content()
    point = picture.locator("circle.bpv-landscape-point")
    cx = float(point.get_attribute("cx"))
    slider = explorer.locator(".widget-slider", has=page.locator("label", has_text="layer1.weight[0,0]"))
    drag(page, slider.locator(".noUi-handle"), 20)  # across, within the window: the point moves right
    page.wait_for_function(
        "cx => { const p = document.querySelector('.bpv-landscape circle.bpv-landscape-point');"
        " return p && Number(p.getAttribute('cx')) > cx; }", arg=cx)
    ARTIFACTS.mkdir(exist_ok=True)
    explorer.locator(".bpv-landscape").screenshot(path=str(ARTIFACTS / "landscape.png"))
    assert error_outputs(page) == []


def _benchmark():
    """benchmarks/browser.py, loaded by its path ("browser" is also the name of this package)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "browser.py"
    spec = importlib.util.spec_from_file_location("browser_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_browser_benchmark_runs_and_reports(browser, capsys):
    # (How fast is the benchmark's business: `make bench`. Here: that it measures and says so.)
    bench = _benchmark()
    # each key press moves a slider and redraws its picture, or run() times out
    seed, fast, naive, floor = bench.run(browser, presses=3)
    for times in (seed, fast, naive, floor):
        assert times.shape == (3,) and np.isfinite(times).all() and (times > 0).all()
    bench.report(seed, fast, naive, floor, 3)
    out = capsys.readouterr().out.splitlines()
    # the table shows p50 and p95 of what was measured, row by row
    for label, times in [("Explorer, seed 2-2-1 net (the class)", seed),
                         ("Explorer, 2-8-8-1 net, 200 rows", fast),
                         ("naive widget (savefig)", naive),
                         ("floor: a slider swapping two images", floor)]:
        (row,) = [line for line in out if line.startswith(label)]
        assert row[len(label):].split() == [f"{np.median(times):.1f}", f"{np.percentile(times, 95):.1f}"]
    assert out[-1].startswith(f"goal: the class Explorer's p95 <= {bench.GOAL_P95_MS:g} ms: ")


def test_browser_benchmark_verdict_follows_its_goal(capsys):
    bench = _benchmark()
    goal = bench.GOAL_P95_MS
    slow = np.full(3, 10 * goal)
    # only the class Explorer counts; "at most" includes the goal; p95, not the median
    assert bench.report(np.full(3, goal), slow, slow, slow, 3) is True
    assert capsys.readouterr().out.splitlines()[-1].endswith(" ms: ok")
    assert bench.report(np.array([goal / 2, goal / 2, 2 * goal]), slow, slow, slow, 3) is False
    assert capsys.readouterr().out.splitlines()[-1].endswith(" ms: MISSED")
