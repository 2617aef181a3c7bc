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


def test_the_font_list_wheel_is_installed_after_matplotlib_and_imports_nothing(tmp_path):
    wheel = build.deterministic_wheel(tmp_path / f"{build.FONTLIST}-1.0-py3-none-any.whl",
                                      {"matplotlib/fontlist.json": b"{}"})
    official = {"info": {}, "packages": {"matplotlib": {"file_name": "matplotlib.whl"}}}
    entry = build.site_lock(official, [wheel])["packages"]["bpv-lite-fontlist"]
    assert entry["depends"] == ["matplotlib"]  # Pyodide installs it after, over matplotlib's file
    assert entry["imports"] == []
    assert entry["sha256"] == _sha(wheel.read_bytes())


def test_a_generated_wheel_is_the_same_bytes_every_build(tmp_path):
    files = {"matplotlib/fontlist.json": b'{"_version": 330}'}
    made = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        made.append(build.deterministic_wheel(tmp_path / folder / "x-1.0-py3-none-any.whl", files))
    a, b = made
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert z.read("matplotlib/fontlist.json") == files["matplotlib/fontlist.json"]
        assert "x-1.0.dist-info/RECORD" in z.namelist()


def _site(tmp_path: Path, kernel_wheels: dict[str, bytes]) -> Path:
    out = tmp_path / "site"
    (out / "static" / "pyodide").mkdir(parents=True)
    (out / build.KERNEL_PYPI).mkdir(parents=True)
    for name, data in kernel_wheels.items():
        with zipfile.ZipFile(out / build.KERNEL_PYPI / f"{name}-1.0-py3-none-any.whl", "w") as z:
            z.writestr(f"{name}-1.0.dist-info/METADATA", f"Name: {name}\n" + data.decode())
    (out / "static" / "pyodide" / "pyodide-lock.json").write_text(
        json.dumps({"info": {}, "packages": {"micropip": {}}}))
    return out


def test_the_kernels_own_wheels_get_lock_entries_that_point_at_them(tmp_path):
    out = _site(tmp_path, {"piplite": b"Requires-Dist: micropip\n", "ipykernel": b"",
                           "pyodide_kernel": b""})
    build.preload_kernel_wheels(out)
    lock = json.loads((out / "static" / "pyodide" / "pyodide-lock.json").read_text())["packages"]
    for name in build.KERNEL_WHEELS:
        entry = lock[build.norm(name)]
        served = (out / "static" / "pyodide" / entry["file_name"]).resolve()
        assert served.exists() and entry["sha256"] == _sha(served.read_bytes())
        assert entry["imports"] == [name]
    assert lock["piplite"]["depends"] == ["micropip"]


def test_a_site_without_a_kernel_wheel_is_refused(tmp_path):
    out = _site(tmp_path, {"piplite": b"", "ipykernel": b""})
    with pytest.raises(build.Refused, match="pyodide_kernel"):
        build.preload_kernel_wheels(out)
