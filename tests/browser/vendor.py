"""What a static HTML page needs to show widgets offline, vendored from npm at test time.

``npm pack`` fetches each package's tarball (nothing is installed, nothing is
committed); it is unpacked once into a cache folder (``.venv/vendor``, removed
by ``make clean``) and linked next to the exported page.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".venv" / "vendor"
#: folder next to the page -> npm package spec
PACKAGES = {
    "@jupyter-widgets/html-manager": "@jupyter-widgets/html-manager@1",
    "requirejs": "requirejs@2",
    "mathjax": "mathjax@2.7.9",
}
#: the nbconvert options that point a page at them
EXPORT_OPTIONS = [
    "--HTMLExporter.widget_renderer_url=@jupyter-widgets/html-manager/dist/embed-amd.js",
    "--HTMLExporter.require_js_url=requirejs/require.js",
    "--HTMLExporter.mathjax_url=mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
]


def _fetch(folder: str, spec: str) -> Path:
    target = CACHE / folder
    if (target / "package.json").exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("the static-export test needs npm (to fetch the widget renderer)")
    CACHE.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([npm, "pack", spec, "--silent"], cwd=CACHE, check=True,
                          capture_output=True, text=True, timeout=600)
    tarball = CACHE / done.stdout.strip().splitlines()[-1]
    unpack = CACHE / "unpack"
    shutil.rmtree(unpack, ignore_errors=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(unpack, filter="data")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    (unpack / "package").rename(target)
    tarball.unlink()
    shutil.rmtree(unpack, ignore_errors=True)
    return target


def link_next_to(page_dir: Path) -> None:
    """Make the vendored packages reachable from pages in ``page_dir``."""
    for folder, spec in PACKAGES.items():
        source = _fetch(folder, spec)
        link = page_dir / folder
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(source, target_is_directory=True)
    # The renderer's bundle asks for its icon fonts one folder up from where
    # they are (its public path is computed from the script's URL): link them there.
    dist = CACHE / "@jupyter-widgets/html-manager/dist"
    for font in dist.iterdir():
        if font.suffix in (".woff", ".woff2", ".ttf", ".eot", ".svg"):
            link = page_dir / "@jupyter-widgets" / font.name
            if not link.exists():
                link.symlink_to(font)
