"""Training in a real JupyterLab: Play, Pause, Reset, and the boundary moving."""

from __future__ import annotations

import re

from seed_text import SEED_TEXT

from .conftest import ARTIFACTS, error_outputs, open_and_run, wait_for_text


def _steps(page) -> int:
    text = page.locator(".bpv-training").first.inner_text()
    return int(re.search(r"step (\d+)", text).group(1))


def test_play_trains_and_reset_returns_to_the_start(lab, page):
    base, _ = lab
    page.set_viewport_size({"width": 1680, "height": 1050})
    open_and_run(page, base, "04_train_xor.ipynb")
    explorer = page.locator(".bpv-explorer").first
    explorer.scroll_into_view_if_needed()
    assert _steps(page) == 0
    boundary = explorer.locator(".bpv-boundary img").first
    before = boundary.get_attribute("src")
    explorer.locator(".bpv-training button", has_text="Play").click()
    # the kernel trains between redraws: the counter and the picture move on their own
    page.wait_for_function(
        "() => /step ([1-9][0-9]+)/.test(document.querySelector('.bpv-training').innerText)")
    page.wait_for_function("before => document.querySelector('.bpv-boundary img').src !== before",
                           arg=before)
    explorer.locator(".bpv-training button", has_text="Pause").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.bpv-training button')].some(b => b.innerText.includes('Play'))")
    paused = _steps(page)
    page.wait_for_timeout(800)
    assert _steps(page) == paused  # paused means paused
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "playground-after-play.png"))
    explorer.locator(".bpv-training button", has_text="Reset").click()
    page.wait_for_function(
        "() => /step 0 /.test(document.querySelector('.bpv-training').innerText)")
    wait_for_text(explorer.locator(".bpv-stepper"), SEED_TEXT["Z1"])
    assert error_outputs(page) == []


def test_browser_benchmark_runs_and_reports(browser, capsys):
    import importlib.util
    from pathlib import Path

    # (loaded by path: "browser" is also the name of this test package)
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "browser.py"
    spec = importlib.util.spec_from_file_location("browser_benchmark", path)
    browser_bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(browser_bench)

    seed, fast, naive = browser_bench.run(browser, presses=3)
    assert len(seed) == len(fast) == len(naive) == 3 and (seed > 0).all()
    browser_bench.report(seed, fast, naive, 3)
    out = capsys.readouterr().out
    assert "Explorer, seed 2-2-1 net (the class)" in out and "naive widget" in out
    assert re.search(r"the class Explorer's p95 <= 60 ms: (ok|MISSED)", out)
