"""Where the time of opening the static site goes: sites compared, openings interleaved.

For each site given (a built ``make lite`` folder, or a variant of one), notebook
03 is opened cold (a fresh profile) and warm (more tabs of that profile), as in
``benchmarks/lite.py``; the sites take turns, so the machine's load falls on all
alike. Printed per opening: seconds to kernel idle and to the Explorer on the page.

``--trace`` serves a copy of each site whose ``pyodide.js`` starts with
``lite_trace.js``: the kernel worker then reports, timestamped from the page
request, its fetches, its WebAssembly compilations (the main module streamed,
each shared library of a package), Pyodide's start, and each Python step of the
kernel's start (micropip/piplite installs, ``import pyodide_kernel``). It loads
the same packages in two steps (Pyodide's core, then the packages), to time them
apart, so its total is not the untraced one. ``--log`` adds the page's requests
and console lines.

    python benchmarks/lite_phases.py build/lite [other-site ...] [--runs 3] [--warm 1]
        [--persistent] [--trace] [--log]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser.conftest import CHROMIUM, CHROMIUM_ARGS, OFFLINE_ARGS, serve_lite  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_lite", ROOT / "benchmarks" / "lite.py")
_lite = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_lite)
open_to_explorer = _lite.open_to_explorer


#: Prepended to a traced copy's pyodide.js: the kernel worker reports its
#: fetches, WebAssembly compilations and Python runs to the page, timestamped.
TRACE_JS = (Path(__file__).with_name("lite_trace.js"))
LISTEN = "new BroadcastChannel('bpv-trace').onmessage = e => console.log(e.data);"


def traced_copy(site: Path, dest: Path) -> Path:
    """A copy of ``site`` (hard links) whose kernel worker reports what it does."""
    import subprocess

    subprocess.run(["cp", "-al", str(site), str(dest)], check=True)
    js = dest / "static" / "pyodide" / "pyodide.js"
    text = js.read_text()
    js.unlink()  # a hard link: never write through it
    js.write_text(TRACE_JS.read_text() + text + "\n;self.__bpvInstall && self.__bpvInstall();\n")
    return dest


def opening(context, base: str, log: bool) -> dict:
    lines: list[str] = []
    start = time.perf_counter()
    epoch = time.time() * 1000

    def on_console(msg) -> None:
        text = msg.text
        if text.startswith("BPVTRACE "):
            _, t, rest = text.split(" ", 2)
            lines.append(f"{(float(t) - epoch) / 1000:6.2f} W {rest[:150]}")
        elif log:
            lines.append(f"{time.perf_counter() - start:6.2f} P {text.splitlines()[0][:150]}")

    def on_request(req) -> None:
        if log:
            lines.append(f"{time.perf_counter() - start:6.2f} R {req.url.split('/', 3)[-1][:120]}")

    context.on("console", on_console)
    context.on("request", on_request)
    page, idle, ready = open_to_explorer(context, base)
    context.remove_listener("console", on_console)
    context.remove_listener("request", on_request)
    page.close()
    if lines:
        print("\n".join("      " + x for x in lines))
    return {"idle": idle, "ready": ready}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--log", action="store_true", help="print the console lines")
    parser.add_argument("--warm", type=int, default=1, help="reopenings per profile")
    parser.add_argument("--persistent", action="store_true",
                        help="a profile on disk per site and run (as a student's browser), "
                             "not an in-memory one")
    parser.add_argument("--trace", action="store_true",
                        help="serve traced copies: the worker's fetches, compilations, runs")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    res = {s: {"cold": [], "warm": []} for s in args.sites}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        for i in range(len(args.sites)):
            (Path(tmp) / str(i)).mkdir()
        served = {s: (traced_copy(s.resolve(), Path(tmp) / f"site{i}") if args.trace else s.resolve())
                  for i, s in enumerate(args.sites)}
        servers = {s: serve_lite(Path(tmp) / str(i), served[s]) for i, s in enumerate(args.sites)}
        bases = {s: next(g)[0] for s, g in servers.items()}
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + OFFLINE_ARGS)
        try:
            for r in range(args.runs):
                for s in args.sites:
                    if args.persistent:
                        context = p.chromium.launch_persistent_context(
                            tempfile.mkdtemp(dir=tmp), executable_path=CHROMIUM,
                            args=CHROMIUM_ARGS + OFFLINE_ARGS, viewport={"width": 1400, "height": 1000})
                    else:
                        context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    context.add_init_script(LISTEN)
                    kinds = ["cold"] + ["warm"] * args.warm
                    for kind in kinds:
                        if args.log or args.trace:
                            print(f"  {s} {kind} run {r}:", flush=True)
                        t = opening(context, bases[s], args.log)
                        res[s][kind].append(t)
                        print(f"{str(s):40s} {kind} run {r}: idle {t['idle']:5.1f} s, "
                              f"Explorer {t['ready']:5.1f} s", flush=True)
                    context.close()
        finally:
            browser.close()
            for g in servers.values():
                g.close()
    print()
    for s in args.sites:
        for kind in ("cold", "warm"):
            if res[s][kind]:
                idle = np.median([t["idle"] for t in res[s][kind]])
                ready = np.median([t["ready"] for t in res[s][kind]])
                print(f"{str(s):40s} {kind}: median idle {idle:5.1f} s, Explorer {ready:5.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
