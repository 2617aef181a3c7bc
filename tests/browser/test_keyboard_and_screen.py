"""Every control reachable and operable from the keyboard; the layout on a projector."""

from __future__ import annotations

import re

from .conftest import ARTIFACTS, open_and_run

CONTROLS = ("button, input:not([type=hidden]), select, textarea, [role=slider], "
            "[contenteditable=true]")


def _focused_key(page) -> str | None:
    """A stable name for the focused control inside the Explorer (None outside it)."""
    return page.evaluate(f"""() => {{
        const el = document.activeElement;
        const root = document.querySelector('.bpv-explorer');
        if (!el || !root || !root.contains(el)) return null;
        const all = [...root.querySelectorAll({CONTROLS!r})];
        return String(all.indexOf(el));
    }}""")


def test_tab_reaches_every_control_and_keys_operate_them(lab, page):
    base, _ = lab
    open_and_run(page, base, "04_train_xor.ipynb")
    explorer = page.locator(".bpv-explorer").first
    explorer.scroll_into_view_if_needed()
    # every visible, enabled control, by position; the folded sections are opened first
    for title in ("Data", "Architecture", "Save and load"):
        explorer.locator(".jupyter-widget-Collapse-header, .lm-Collapse-header, .p-Collapse-header",
                         has_text=title).first.click()
    expected = set(page.evaluate(f"""() => {{
        const root = document.querySelector('.bpv-explorer');
        return [...root.querySelectorAll({CONTROLS!r})]
            .map((el, i) => [el, i])
            .filter(([el]) => !el.disabled && el.offsetParent !== null && el.tabIndex >= 0)
            .map(([el, i]) => String(i));
    }}"""))
    assert len(expected) > 30
    explorer.locator("button", has_text="Step").first.focus()
    seen = set()
    for _ in range(len(expected) * 3):
        key = _focused_key(page)
        if key is not None:
            seen.add(key)
        if seen >= expected:
            break
        page.keyboard.press("Tab")
    missing = expected - seen
    assert not missing, f"{len(missing)} controls never got the focus"

    stepper = explorer.locator(".bpv-stepper")
    stepper.locator("button", has_text="Next ▶").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.bpv-stepper').innerText.includes('Step 2 of 17')")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('.bpv-stepper').innerText.includes('Step 3 of 17')")
    # the jump list from the keyboard (type-ahead picks "4. H2 = ...")
    stepper.locator("select").first.focus()
    page.keyboard.type("4")
    page.wait_for_function("() => document.querySelector('.bpv-stepper').innerText.includes('Step 4 of 17')")
    # a slider with the arrow keys
    slider = explorer.locator(".widget-slider", has=page.locator("label", has_text="layer2.bias[0]"))
    slider.scroll_into_view_if_needed()
    readout = slider.locator(".widget-readout")
    assert readout.inner_text() == "0.6358"
    diagram_before = explorer.locator(".bpv-diagram").inner_html()
    slider.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("el => el.innerText === '0.2358'", arg=readout.element_handle())  # 10% of ±2
    page.wait_for_function("before => document.querySelector('.bpv-diagram').innerHTML !== before",
                           arg=diagram_before)
    # Step from the keyboard
    explorer.locator(".bpv-training button", has_text="Step").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => /step 1 /.test(document.querySelector('.bpv-training').innerText)")


def test_the_explorer_fits_a_projector(lab, page):
    base, _ = lab
    page.set_viewport_size({"width": 1280, "height": 720})
    open_and_run(page, base, "04_train_xor.ipynb")
    page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
    explorer = page.locator(".bpv-explorer").first
    explorer.scroll_into_view_if_needed()
    overflow = explorer.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 1, f"the Explorer is {overflow}px wider than its cell"
    for name in ("Step", "Play", "Undo", "Reset"):
        box = explorer.locator(".bpv-training button", has_text=name).first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1280, name
    stepper_box = explorer.locator(".bpv-stepper").bounding_box()
    diagram_box = explorer.locator(".bpv-diagram-panel").bounding_box()
    assert stepper_box["x"] + stepper_box["width"] <= 1280 and diagram_box["x"] + diagram_box["width"] <= 1280
    text = explorer.locator(".bpv-training").inner_text()
    assert re.search(r"epoch \d+ · step \d+", text)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "projector-1280x720.png"))
