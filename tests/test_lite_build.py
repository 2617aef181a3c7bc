"""The static site's build (tools/lite/build.py) refuses what its locks do not vouch for,
and ships every module with its bytecode.

No network here: the checks are driven with small files made in the test (and the
last one reads the built site, ``make lite``, when there is one).
"""

from __future__ import annotations

import _imp
import hashlib
import importlib.util
import json
import re
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


# ---------------------------------------------------------------- bytecode

def _pyc(source: bytes, *, flags: int = 1, magic: bytes = build.PYC_MAGIC) -> bytes:
    """The head of the bytecode Pyodide reads for ``source`` (the code itself is not read here)."""
    key = int.from_bytes(build.PYC_MAGIC, "little")
    return magic + flags.to_bytes(4, "little") + _imp.source_hash(key, source) + b"code"


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def test_bytecode_goes_where_pyodide_looks_for_it():
    assert build.bytecode_path("six.py", in_zip=False) == "__pycache__/six.cpython-312.pyc"
    assert build.bytecode_path("IPython/core/page.py", in_zip=False) == \
        "IPython/core/__pycache__/page.cpython-312.pyc"
    assert build.bytecode_path("json/__init__.py", in_zip=True) == "json/__init__.pyc"  # zipimport's
    assert build.python_sources(["a/__init__.py", "a/b.pyi", "a-1.0.dist-info/x.py",
                                 "a-1.0.data/scripts/s.py", "six.py"]) == ["a/__init__.py", "six.py"]


def test_a_wheel_gets_its_bytecode_and_keeps_its_own_files_byte_for_byte(tmp_path):
    own = {"pkg/__init__.py": b"x = 1\n", "pkg/data.json": b"{}",
           "pkg-1.0.dist-info/METADATA": b"Name: pkg\n",
           "pkg-1.0.dist-info/RECORD": b"pkg/__init__.py,sha256=abc,6\npkg-1.0.dist-info/RECORD,,\n"}
    wheel = _zip(tmp_path / "pkg-1.0-py3-none-any.whl", own)
    pyc = "pkg/__pycache__/__init__.cpython-312.pyc"
    pycs = {pyc: _pyc(own["pkg/__init__.py"])}
    a = build.with_bytecode(wheel, pycs, tmp_path / "a.whl")
    b = build.with_bytecode(wheel, pycs, tmp_path / "b.whl")
    assert a.read_bytes() == b.read_bytes()  # the same bytes each build
    with zipfile.ZipFile(a) as z:
        for name, data in own.items():
            if not name.endswith("RECORD"):
                assert z.read(name) == data
        assert z.read(pyc) == pycs[pyc]
        record = z.read("pkg-1.0.dist-info/RECORD").decode().splitlines()
    assert record[:2] == own["pkg-1.0.dist-info/RECORD"].decode().splitlines()
    assert record[2] == build.record_line(pyc, pycs[pyc]).strip()
    assert "=" not in record[2].split("sha256=")[1].split(",")[0]  # urlsafe base64, unpadded


def _served(tmp_path: Path, wheel_files: dict[str, bytes], stdlib: dict[str, bytes]) -> Path:
    """A built site's archives of Python: the standard library and one wheel."""
    out = tmp_path / "site"
    _zip(out / "static" / "pyodide" / "python_stdlib.zip", stdlib)
    _zip(out / "pypi" / "pkg-1.0-py3-none-any.whl", wheel_files)
    (out / build.KERNEL_PYPI).mkdir(parents=True)
    return out


def test_a_site_that_serves_each_module_with_its_bytecode_passes(tmp_path):
    src = b"x = 1\n"
    out = _served(tmp_path, {"pkg/__init__.py": src, "pkg/__pycache__/__init__.cpython-312.pyc": _pyc(src),
                             "pkg-1.0.dist-info/METADATA": b"Name: pkg\n"},
                  {"json/__init__.py": src, "json/__init__.pyc": _pyc(src)})
    build.assert_bytecode(out)


@pytest.mark.parametrize("pyc, refused", [
    (None, "must hold pkg/__pycache__/__init__.cpython-312.pyc"),  # no bytecode
    (_pyc(b"x = 2\n"), "unchecked hash of pkg/__init__.py"),  # of another source
    (_pyc(b"x = 1\n", flags=0), "unchecked hash"),  # checked against a time stamp Pyodide lacks
    (_pyc(b"x = 1\n", magic=(3495).to_bytes(2, "little") + b"\r\n"), "Python 3.12"),  # 3.11's
])
def test_a_site_serving_a_module_without_its_bytecode_is_refused(tmp_path, pyc, refused):
    files = {"pkg/__init__.py": b"x = 1\n", "pkg-1.0.dist-info/METADATA": b"Name: pkg\n"}
    if pyc is not None:
        files["pkg/__pycache__/__init__.cpython-312.pyc"] = pyc
    out = _served(tmp_path, files, {})
    with pytest.raises(build.Refused, match=re.escape(refused)):
        build.assert_bytecode(out)


def test_a_standard_library_without_bytecode_is_refused(tmp_path):
    out = _served(tmp_path, {}, {"json/__init__.py": b"x = 1\n"})
    with pytest.raises(build.Refused, match="json/__init__.pyc"):
        build.assert_bytecode(out)


def test_the_sites_indexes_give_the_rewritten_files_sha256(tmp_path):
    out = _served(tmp_path, {"pkg/__init__.py": b""}, {})
    wheel = out / "pypi" / "pkg-1.0-py3-none-any.whl"
    (out / "static" / "pyodide" / "pyodide-lock.json").write_text(json.dumps({"packages": {
        "pkg": {"file_name": "../../pypi/" + wheel.name, "sha256": "old"},
        "numpy": {"file_name": "numpy.whl", "sha256": "official"}}}))
    release = {"url": "./" + wheel.name, "digests": {"md5": "old", "sha256": "old"},
               "md5_digest": "old", "size": 1}
    (out / "pypi" / "all.json").write_text(json.dumps({"pkg": {"releases": {"1.0": [release]}}}))
    (out / build.KERNEL_PYPI / "all.json").write_text("{}")
    build.reindex(out, {wheel.resolve()})
    data = wheel.read_bytes()
    lock = json.loads((out / "static" / "pyodide" / "pyodide-lock.json").read_text())["packages"]
    assert lock["pkg"]["sha256"] == _sha(data)
    assert lock["numpy"]["sha256"] == "official"  # a file not rewritten keeps its own
    got = json.loads((out / "pypi" / "all.json").read_text())["pkg"]["releases"]["1.0"][0]
    assert got["digests"] == {"md5": hashlib.md5(data).hexdigest(), "sha256": _sha(data)}
    assert got["size"] == len(data) and got["md5_digest"] == hashlib.md5(data).hexdigest()


@pytest.mark.skipif(not (ROOT / "build" / "lite" / "jupyter-lite.json").exists(),
                    reason="the site is not built (make lite)")
def test_the_built_site_serves_every_module_with_its_bytecode():
    out = ROOT / "build" / "lite"
    build.assert_bytecode(out)
    with zipfile.ZipFile(next((out / "static" / "pyodide").glob("ipython-*.whl"))) as z:
        assert "IPython/core/__pycache__/interactiveshell.cpython-312.pyc" in z.namelist()
