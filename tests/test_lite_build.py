"""The static site's build (tools/lite/build.py) refuses what its locks do not vouch for.

No network here: the checks are driven with small files made in the test.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("lite_build", ROOT / "tools" / "lite" / "build.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_file_whose_sha256_differs_is_refused(tmp_path):
    f = tmp_path / "numpy.whl"
    f.write_bytes(b"not numpy")
    with pytest.raises(build.Refused, match="must have sha256 0+, got "):
        build.check(f, "0" * 64, "numpy")
    build.check(f, _sha(b"not numpy"), "numpy")  # the right one passes


def test_the_lock_and_pyodides_official_lock_must_agree(tmp_path, monkeypatch):
    monkeypatch.setitem(build.LOCK, "packages", {"six.whl": _sha(b"six")})
    official = {"packages": {"six": {"file_name": "six.whl", "sha256": _sha(b"other")}}}
    with pytest.raises(build.Refused, match="official lock says"):
        build.pyodide_packages(tmp_path, official, Path("python"), None)


def test_packages_from_a_folder_are_checked(tmp_path, monkeypatch):
    monkeypatch.setitem(build.LOCK, "packages", {"six.whl": _sha(b"six")})
    monkeypatch.setitem(build.LOCK, "package_sources", [])
    official = {"packages": {"six": {"file_name": "six.whl", "sha256": _sha(b"six")}}}
    folder = tmp_path / "from"
    folder.mkdir()
    (folder / "six.whl").write_bytes(b"six, changed")
    with pytest.raises(build.Refused, match="six.whl"):
        build.pyodide_packages(tmp_path / "cache", official, Path("python"), folder)
    (folder / "six.whl").write_bytes(b"six")
    got = build.pyodide_packages(tmp_path / "cache", official, Path("python"), folder)
    assert (got / "six.whl").read_bytes() == b"six"


def test_the_site_lock_lists_each_site_wheel_with_its_sha256(tmp_path):
    wheel = tmp_path / "backpropviz-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("backpropviz-0.1.0.dist-info/METADATA",
                   "Name: backpropviz\nRequires-Dist: numpy>=2.0\nRequires-Dist: ipywidgets>=8.1\n"
                   "Requires-Dist: pytest; extra == 'test'\n")
    official = {"info": {}, "packages": {"numpy": {"file_name": "numpy.whl"}}}
    lock = build.site_lock(official, [wheel])
    entry = lock["packages"]["backpropviz"]
    assert entry["sha256"] == _sha(wheel.read_bytes())
    assert entry["file_name"] == "../../pypi/" + wheel.name
    assert entry["depends"] == ["numpy"]  # what the site serves; extras never
    assert "backpropviz" not in official["packages"]  # the official lock is left as it was


def test_a_built_site_that_would_reach_pypi_is_refused(tmp_path):
    config = {"jupyter-config-data": {"litePluginSettings": {build.KERNEL_PLUGIN: {
        "pyodideUrl": "./static/pyodide/pyodide.js"}}}}
    (tmp_path / "jupyter-lite.json").write_text(json.dumps(config))
    with pytest.raises(build.Refused, match="disablePyPIFallback"):
        build.assert_config(tmp_path)
