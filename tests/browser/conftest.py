"""A real JupyterLab and a real Chromium for the browser tests.

Each test session starts its own JupyterLab on a temporary copy of the
notebooks (Lab autosaves, so the committed ones are never touched), with its
own Jupyter config folder, on a free port, and stops it by its own PID.
Screenshots go to ``test-artifacts/`` (not committed).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("BPV_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(work: Path, app: str):
    """Start ``jupyter lab`` or ``jupyter notebook`` (7) on a copy of the notebooks."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"browser tests need Chromium at {CHROMIUM}: `make test` installs it")
    notebooks = work / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)
    env = dict(os.environ)
    env["JUPYTER_CONFIG_DIR"] = str(work / "config")
    env["JUPYTER_RUNTIME_DIR"] = str(work / "runtime")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(work / "workspaces")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    jupyter = Path(sys.executable).with_name("jupyter")
    subprocess.run([str(jupyter), "labextension", "disable",
                    "@jupyterlab/apputils-extension:announcements"],
                   env=env, check=True, capture_output=True)
    port = _free_port()
    expose = ("--LabApp.expose_app_in_browser=True" if app == "lab"
              else "--JupyterNotebookApp.expose_app_in_browser=True")
    yield from run_server(
        [str(jupyter), app, "--no-browser", "--ServerApp.token=", "--ServerApp.password=",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--allow-root", expose,
         "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={notebooks}"],
        cwd=work, env=env, log=work / f"{app}.log", base=f"http://127.0.0.1:{port}",
        ready="/api/status", result=notebooks)


def run_server(cmd, cwd, env, log, base, ready, result=None):
    """Start a server in its own session, wait until ``base + ready`` answers,
    yield ``(base, result)``, and stop it by its own process group."""
    out = open(log, "w")
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + ready, timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers, if not with 200
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{cmd[0]} did not start:\n{Path(log).read_text()}")
                time.sleep(0.3)
        yield base, result
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        out.close()


def drag(page, handle, dx: float, steps: int = 8) -> None:
    """Drag a slider's handle sideways with the mouse, as a student would."""
    handle.evaluate("e => e.scrollIntoView({block: 'center'})")
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=steps)
    page.mouse.up()


def wait_for_text(element, text: str) -> None:
    """Wait until ``element`` shows ``text``.

    Each panel is its own widget, so the browser applies the kernel's updates
    one panel at a time: another panel having caught up says nothing about
    this one, so wait for this one itself.
    """
    element.page.wait_for_function("([el, text]) => el.innerText.includes(text)",
                                   arg=[element.element_handle(), text])


def wait_for_change(element, before: str) -> None:
    """Wait until ``element``'s text is no longer ``before`` (see `wait_for_text`)."""
    element.page.wait_for_function("([el, before]) => el.innerText !== before",
                                   arg=[element.element_handle(), before])


def wait_for_property(element, name: str, value: str, same: bool = True) -> None:
    """Wait until ``element``'s DOM property ``name`` (``innerHTML``, ``innerText``)
    is ``value`` (or, with ``same=False``, is no longer ``value``); see `wait_for_text`.

    ``element`` is a locator, found again at each look: an HTML widget puts new
    nodes in place of its old ones at each update.
    """
    from playwright.sync_api import expect

    check = expect(element).to_have_js_property if same else expect(element).not_to_have_js_property
    check(name, value, timeout=60_000)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """(base URL, notebook folder) of a fresh JupyterLab 4."""
    yield from _serve(tmp_path_factory.mktemp("lab"), "lab")


@pytest.fixture(scope="session")
def notebook7(tmp_path_factory):
    """(base URL, notebook folder) of a fresh Jupyter Notebook 7."""
    yield from _serve(tmp_path_factory.mktemp("nb7"), "notebook")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=False)
    context.close()
    for server in ("lab", "notebook7"):
        if server in request.fixturenames:
            _stop_kernels(request.getfixturevalue(server)[0])


def _stop_kernels(base: str) -> None:
    """Shut down every kernel the test started, so the next test starts clean."""
    import json

    sessions = json.load(urllib.request.urlopen(f"{base}/api/sessions", timeout=10))
    for session in sessions:
        req = urllib.request.Request(f"{base}/api/sessions/{session['id']}", method="DELETE")
        urllib.request.urlopen(req, timeout=10)


_opened = 0


def open_and_run(page, base: str, notebook: str, app: str = "lab") -> None:
    """Open a notebook (in a fresh Lab workspace), run all cells, wait until idle."""
    global _opened
    _opened += 1
    if app == "lab":
        page.goto(f"{base}/lab/workspaces/test{_opened}/tree/{notebook}?reset")
    else:
        page.goto(f"{base}/notebooks/{notebook}")
    page.wait_for_function("path => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.context "
                           "&& window.jupyterapp.shell.currentWidget.context.path === path "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.session "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
                           arg=notebook)
    page.wait_for_function("window.jupyterapp.shell.currentWidget.sessionContext.session"
                           ".kernel.status === 'idle'")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # every code cell gets an execution count once the run is over
    page.wait_for_function(
        """() => {
            const nb = window.jupyterapp.shell.currentWidget.content;
            const cells = nb.widgets.filter(c => c.model.type === 'code');
            return cells.length > 0 && cells.every(c => c.model.executionCount !== null)
                && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle';
        }""")


def open_explorer(page, base: str, notebook: str, width: int, height: int):
    """Open and run a notebook in Lab at a screen size, with the file browser
    folded away (as on a projector); its first Explorer."""
    page.set_viewport_size({"width": width, "height": height})
    open_and_run(page, base, notebook)
    page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
    return page.locator(".bpv-explorer").first


def open_section(explorer, title: str) -> None:
    """Unfold one of an Explorer's folded sections (an ipywidgets Accordion) by its title."""
    explorer.locator(".jupyter-widget-Collapse-header, .lm-Collapse-header, .p-Collapse-header",
                     has_text=title).first.click()


def error_outputs(page) -> list[str]:
    """Texts of error outputs (tracebacks, stderr) in the open notebook."""
    return page.eval_on_selector_all(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
        ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']",
        "els => els.map(e => e.innerText)")


# ---------------------------------------------------------------- the static site (`make lite`)

LITE_SITE = ROOT / "build" / "lite"
#: No host name resolves but this machine's, so any request that would leave it
#: fails at once, loudly, instead of quietly reaching a CDN.
OFFLINE_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]


def serve_lite(work: Path, site: Path = LITE_SITE):
    """Serve the built site as a static host would (``tools/lite/serve.py``, with
    ``window.jupyterapp`` exposed for the tests); builds it first if missing."""
    if not (site / "jupyter-lite.json").exists():
        subprocess.run([sys.executable, str(ROOT / "tools" / "lite" / "build.py"), "--out", str(site)],
                       check=True)
    port = _free_port()
    yield from run_server(
        [sys.executable, str(ROOT / "tools" / "lite" / "serve.py"), "--dir", str(site),
         "--port", str(port), "--expose-app"],
        cwd=work, env=dict(os.environ), log=work / "lite-server.log",
        base=f"http://127.0.0.1:{port}", ready="/jupyter-lite.json", result=work / "lite-server.log")


@pytest.fixture(scope="session")
def lite(tmp_path_factory):
    """(base URL, server log) of the static site, served on this machine."""
    yield from serve_lite(tmp_path_factory.mktemp("lite"))


@pytest.fixture(scope="session")
def offline_browser(browser):
    """A Chromium (beside `browser`) that can reach this machine only."""
    b = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + OFFLINE_ARGS)
    yield b
    b.close()


@pytest.fixture
def lite_page(offline_browser, request):
    """A fresh page (no cache, no stored notebooks) of the offline Chromium; every
    URL it asks for is in ``page.bpv_requests``, and every failed one in ``page.bpv_failed``."""
    context = offline_browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(120_000)
    pg.bpv_requests, pg.bpv_failed = [], []
    context.on("request", lambda r: pg.bpv_requests.append(r.url))
    context.on("requestfailed", lambda r: pg.bpv_failed.append(f"{r.url}: {r.failure}"))
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=False)
    context.close()


def open_notebook(page, url: str, notebook: str) -> None:
    """Open a notebook at ``url`` (Lab or the static site) and wait until its kernel is idle."""
    page.goto(url)
    page.wait_for_function(
        """path => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            return w && w.context && w.context.path === path
                && w.sessionContext?.session?.kernel?.status === 'idle'; }""", arg=notebook)


def run_all(page) -> None:
    """Run every cell of the open notebook and wait until each has run and the kernel is idle."""
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => {
            const w = window.jupyterapp.shell.currentWidget;
            const cells = w.content.widgets.filter(c => c.model.type === 'code');
            return cells.length > 0 && cells.every(c => c.model.executionCount !== null)
                && w.sessionContext.session.kernel.status === 'idle';
        }""")


def kernel_output(page, code: str) -> str:
    """Run ``code`` in the open notebook's kernel (not in a cell); what it printed.
    An exception in it fails the test."""
    out = page.evaluate(
        """async code => {
            const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            const future = kernel.requestExecute({code, store_history: false});
            let text = '', error = null;
            future.onIOPub = msg => {
                if (msg.header.msg_type === 'stream') text += msg.content.text;
                if (msg.header.msg_type === 'error') error = msg.content.traceback.join('\\n');
            };
            await future.done;
            return {text, error};
        }""", code)
    if out["error"]:
        pytest.fail(f"kernel code failed:\n{out['error']}")
    return out["text"]
