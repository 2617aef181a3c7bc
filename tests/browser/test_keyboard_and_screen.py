"""Every control reachable and operable from the keyboard; the layout on a projector."""

from __future__ import annotations

import re

import pytest

from .conftest import ARTIFACTS, open_and_run, open_explorer, open_section, wait_for_text

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
        open_section(explorer, title)
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
    explorer = open_explorer(page, lab[0], "04_train_xor.ipynb", 1280, 720)
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


def test_the_playground_fits_one_projector_screen(lab, page):
    # notebook 09 on 1280 x 720, the file browser folded, the playground's top at
    # the top of the notebook's window: the controls, the net, the boundary and the
    # loss curve all in view, nothing clipped or scrolled sideways
    open_explorer(page, lab[0], "09_playground.ipynb", 1280, 720)
    playground = page.locator(".bpv-playground").first
    wait_for_text(playground.locator(".bpv-training"), "epoch 0")
    window = page.locator(".jp-NotebookPanel-notebook").first
    # (scrolled again until it stays there for a second: Lab measures the cells
    # above as it draws them, and moves what is below)
    page.wait_for_function(
        """([el, win]) => {
            const off = Math.abs(el.getBoundingClientRect().top - win.getBoundingClientRect().top);
            window.__bpvStill = off < 2 ? (window.__bpvStill || 0) + 1 : 0;
            if (off >= 2) el.scrollIntoView({block: 'start'});
            return window.__bpvStill >= 4; }""",
        arg=[playground.element_handle(), window.element_handle()], polling=250)
    view = window.bounding_box()
    assert playground.evaluate("el => el.scrollWidth - el.clientWidth") <= 1
    shown = {
        "Play": playground.locator(".bpv-training button", has_text="Play").first,
        "the net": playground.locator(".bpv-maps").first,
        "+ layer": playground.locator(".bpv-layer-buttons button", has_text="+ layer").first,
        "the boundary": playground.locator(".bpv-boundary img").first,
        "the loss curve": playground.locator(".bpv-curve").first,
        "the dataset": playground.locator(".bpv-data select").first,
        "the features": playground.locator(".bpv-features button", has_text="x₁x₂").first,
    }
    for name, element in shown.items():
        box = element.bounding_box()
        assert box and box["width"] > 20 and box["height"] > 20, name
        assert view["x"] <= box["x"] and box["x"] + box["width"] <= view["x"] + view["width"], (name, box, view)
        assert view["y"] <= box["y"] and box["y"] + box["height"] <= view["y"] + view["height"], (name, box, view)
    # the loss node, the net's right edge, is drawn inside its column
    loss = playground.locator(".bpv-maps .bpv-loss").first.bounding_box()
    assert loss["x"] + loss["width"] <= shown["the net"].bounding_box()["x"] + shown["the net"].bounding_box()["width"] + 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "playground-1280x720.png"))
    # the largest net the playground offers still fits its column, drawn smaller
    for layers in range(1, 7):
        playground.locator(".bpv-layer-buttons button", has_text="+ layer").first.click()
        wait_for_text(playground.locator(".bpv-layer-buttons"), f"layer {layers}: 4 units")
    for _ in range(4):
        playground.locator(".bpv-layer-buttons button[title='one more unit in layer 6']").click()
    wait_for_text(playground.locator(".bpv-layer-buttons"), "layer 6: 8 units")
    page.wait_for_function("() => document.querySelectorAll('.bpv-playground .bpv-maps .bpv-unit').length "
                           "=== 2 + 5 * 4 + 8 + 1")
    column = shown["+ layer"].locator("xpath=../../../..").bounding_box()
    net = shown["the net"].bounding_box()
    assert net["x"] >= column["x"] - 1 and net["x"] + net["width"] <= column["x"] + column["width"] + 1
    assert view["y"] <= net["y"] and net["y"] + net["height"] <= view["y"] + view["height"], (net, view)
    page.screenshot(path=str(ARTIFACTS / "playground-1280x720-six-layers.png"))
    # and it is live: a press of Step redraws the net's maps
    before = shown["the net"].inner_html()
    playground.locator(".bpv-training button", has_text="Step").first.click()
    wait_for_text(playground.locator(".bpv-training"), "step 1 ")
    page.wait_for_function("before => document.querySelector('.bpv-playground .bpv-maps').innerHTML !== before",
                           arg=before)
    # a click on a feature gives the net an input more, drawn as a map of its own
    shown["the features"].click()
    page.wait_for_function("() => document.querySelectorAll('.bpv-playground .bpv-maps .bpv-unit').length "
                           "=== 3 + 5 * 4 + 8 + 1")
    wait_for_text(playground.locator(".bpv-features"), "3 inputs: x₁, x₂, x₁x₂")
    assert "x₁x₂" in playground.locator(".bpv-maps").first.text_content()


# For each visible, undimmed text in ``root``: its contrast ratio (WCAG 2) with
# the first opaque background behind it.
CONTRAST = """(root) => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const behind = (el) => { for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const dimmed = (el) => { for (let e = el; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e); if (parseFloat(s.opacity) < 1 || (e.disabled === true)) return true; } return false; };
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const t = walker.currentNode; if (!t.textContent.trim()) continue;
    const el = t.parentElement; if (seen.has(el)) continue; seen.add(el);
    const r = el.getBoundingClientRect(); if (r.width === 0 || r.height === 0) continue;
    if (dimmed(el)) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden') continue;
    const isSvg = el instanceof SVGElement;
    const fg = parse(isSvg ? s.fill : s.color); if (!fg) continue;
    const bg = behind(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    out.push({text: t.textContent.trim().slice(0, 40), ratio: (a + 0.05) / (b + 0.05), fg: isSvg ? s.fill : s.color,
              cls: (el.getAttribute('class') || el.tagName)});
  }
  return out.sort((x, y) => x.ratio - y.ratio);
}"""


# True once ``root`` is drawn in the theme asked for: Lab has marked the theme
# (after its stylesheet loaded) and shown the page again (it hides the page
# while it switches), the text's colour is the theme's (dark on light, light
# on dark), and no colour is still on its way there.
THEMED = """([root, light]) => {
  if (document.body.dataset.jpThemeLight !== String(light)) return false;
  const r = root.getBoundingClientRect(); if (r.width === 0 || r.height === 0) return false;
  const p = getComputedStyle(root).color.match(/[0-9.]+/g).map(Number);
  const lum = (0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]) / 255;
  if ((lum < 0.5) !== light) return false;
  return root.getAnimations({subtree: true}).every(a => a.playState !== 'running');
}"""


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_every_text_is_readable_in_the_light_and_dark_themes(lab, page, theme):
    explorer = open_explorer(page, lab[0], "04_train_xor.ipynb", 1600, 1400)
    page.evaluate(f"window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{theme}'}})")
    page.wait_for_function(THEMED, arg=[explorer.element_handle(), theme.endswith("Light")])
    texts = explorer.evaluate(CONTRAST)
    assert len(texts) > 100
    low = [(round(t["ratio"], 2), t["text"], t["fg"]) for t in texts if t["ratio"] < 4.5]
    assert not low, f"too little contrast (WCAG AA wants 4.5) in {theme}: {low}"
    ARTIFACTS.mkdir(exist_ok=True)
    explorer.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"theme-{theme.split()[-1].lower()}.png"))
