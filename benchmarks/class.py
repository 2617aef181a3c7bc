"""How many students one Jupyter server holds: kernel memory, and students dragging.

One Jupyter server (``jupyter server``, the project's own environment) on this
machine; each simulated student is a kernel of it, driven over the server's
websocket exactly as a page drives it (the same messages, the same order):

1. Memory. Each student's kernel runs every class notebook, one after another
   (all of ``notebooks/*.ipynb``, their code cells in order); then the kernel's
   memory is read from /proc: RSS (every page it maps, shared or not), PSS (its
   share of pages shared with the other kernels, such as NumPy's library code)
   and USS (its private pages: what one more student adds to the server, and
   what ending the kernel gives back). How many students a server holds is
   (memory - server - the shared pages, once) / USS: RSS counts the shared
   library pages (about 30 MB here) once per kernel although they are in memory
   once. Jupyter itself starts one kernel per notebook, so the same is also
   measured that way: each notebook in a kernel of its own, all of them alive.
2. Dragging. Each student then shows notebook 03's Explorer and drags the
   ``layer2.bias[0]`` slider: a hand produces a new position every 1/30 s. Like
   every ipywidgets page (JupyterLab, Notebook 7, Voila, the lite site), a
   student keeps at most one update in flight: while the kernel is still
   computing one, newer positions wait, and only the newest is sent when it is
   done (the positions in between are dropped, never computed). The latency of
   a position is from the moment the hand reached it until the kernel has sent
   every panel's update for it (its "idle" for that message). All kernels are
   pinned to one core (the server and the students' side to the other), and
   ``N`` students drag at once, for N = 1, 2, 4, ... until the p95 passes the goal.

The same run with a client that sends every position (no throttle) shows why the
throttle matters: its latency grows for as long as the drag lasts.

``--nodelay`` runs the server with TCP_NODELAY on its kernel websockets
(jupyter_server leaves Nagle's algorithm on, and a reply of several frames then
often waits for the page's delayed ACK, about 40 ms).

    python benchmarks/class.py                  # memory for 4 students, then the drag sweep
    python benchmarks/class.py --students 8 --seconds 10
    python benchmarks/class.py --nodelay        # the server sends each frame at once
    python benchmarks/class.py --memory-only    # the memory figures alone (about a minute)
    python benchmarks/class.py --check          # exit 1 if a goal is missed

Goals: per-student kernel memory after all notebooks <= 150 MB; the number of
students dragging at once that one core holds with p95 <= 100 ms is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
GOAL_MB, GOAL_P95_MS, HAND_HZ = 150.0, 100.0, 30.0
EXPLORER = ("import backpropviz as bpv\n"
            "class_explorer = bpv.Explorer(bpv.examples.seed_net(), *bpv.datasets.xor(), "
            "loss='mse', lr=0.75)\nclass_explorer")
SERVER_CORE, KERNEL_CORE = 0, 1


# ---------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NODELAY = """
from jupyter_server.services.kernels.websocket import KernelWebsocketHandler
_open = KernelWebsocketHandler.open
async def _open_nodelay(self, kernel_id):
    self.set_nodelay(True)
    return await _open(self, kernel_id)
KernelWebsocketHandler.open = _open_nodelay
"""


def start_server(work: Path, nodelay: bool = False) -> tuple[subprocess.Popen, str]:
    port = free_port()
    if nodelay:
        (work / "config").mkdir(exist_ok=True)
        (work / "config" / "jupyter_server_config.py").write_text(NODELAY)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(work / "config"),
               JUPYTER_RUNTIME_DIR=str(work / "runtime"),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    jupyter = Path(sys.executable).with_name("jupyter")
    proc = subprocess.Popen(
        [str(jupyter), "server", "--no-browser", "--ServerApp.token=", "--ServerApp.password=",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--allow-root",
         "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={work}"],
        cwd=work, env=env, stdout=open(work / "server.log", "w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    os.sched_setaffinity(proc.pid, {SERVER_CORE})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/api/status", timeout=2)
            return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((work / "server.log").read_text())
            time.sleep(0.3)


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def kernel_pid(kernel_id: str) -> int:
    """The process of a kernel, found by its connection file's name."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if f"kernel-{kernel_id}.json" in cmd:
            return int(pid)
    raise RuntimeError(f"no process for kernel {kernel_id}")


def memory_mb(pid: int) -> tuple[float, float, float]:
    """(RSS, PSS, USS) of a process in MB."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()

    def field(name: str) -> float:
        return int(re.search(rf"^{name}:\s+(\d+)", rollup, re.M).group(1)) / 1024

    return field("Rss"), field("Pss"), field("Private_Clean") + field("Private_Dirty")


# ---------------------------------------------------------------- one student

class Student:
    """A kernel of the server and a websocket to it, as a page has."""

    def __init__(self, base: str, kernel_id: str) -> None:
        self.base, self.kernel_id, self.session = base, kernel_id, uuid.uuid4().hex
        self.ws = None
        self.waiting: dict[str, asyncio.Future] = {}  # msg_id -> done at its idle
        self.comms: dict[str, dict] = {}  # comm_id -> state at open
        self.errors: list[str] = []

    async def connect(self) -> None:
        from tornado.websocket import websocket_connect

        url = (self.base.replace("http", "ws") + f"/api/kernels/{self.kernel_id}/channels"
               f"?session_id={self.session}")
        self.ws = await websocket_connect(url, max_message_size=1 << 30)
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        from jupyter_server.services.kernels.connection.base import deserialize_binary_message

        while True:
            raw = await self.ws.read_message()
            if raw is None:
                return
            msg = deserialize_binary_message(raw) if isinstance(raw, bytes) else json.loads(raw)
            kind, parent = msg["header"]["msg_type"], msg.get("parent_header", {}).get("msg_id")
            if kind == "comm_open":
                self.comms[msg["content"]["comm_id"]] = msg["content"]["data"].get("state", {})
            elif kind == "error":
                self.errors.append("\n".join(msg["content"]["traceback"])[-2000:])
            elif kind == "stream" and msg["content"].get("name") == "stderr":
                self.errors.append(msg["content"]["text"][-2000:])
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                future = self.waiting.pop(parent, None)
                if future is not None and not future.done():
                    future.set_result(time.perf_counter())

    def _send(self, msg_type: str, content: dict) -> asyncio.Future:
        msg_id = uuid.uuid4().hex
        future = asyncio.get_running_loop().create_future()
        self.waiting[msg_id] = future
        self.ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": msg_type, "session": self.session,
                       "username": "student", "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "buffers": [],
            "channel": "shell"}))
        return future

    async def execute(self, code: str) -> None:
        await self._send("execute_request", {"code": code, "silent": False, "store_history": True,
                                             "user_expressions": {}, "allow_stdin": False})

    def slider(self, description: str) -> str:
        """The comm of the newest slider with this label."""
        ids = [c for c, s in self.comms.items() if s.get("description") == description
               and s.get("_model_name") == "FloatSliderModel"]
        return ids[-1]

    def move(self, comm_id: str, value: float) -> asyncio.Future:
        """A slider position, as a page sends it; done when the kernel is idle again."""
        return self._send("comm_msg", {"comm_id": comm_id, "data": {
            "method": "update", "state": {"value": value}, "buffer_paths": []}})

    async def drag(self, comm_id: str, seconds: float, throttle: bool = True) -> dict:
        """Positions every 1/30 s along a smooth path for ``seconds``. With the
        throttle, as every ipywidgets page does: one update in flight; a position
        produced meanwhile waits, replacing any older one waiting (which is
        dropped), and is sent the moment the kernel is done. Latencies (ms) of the
        positions computed, each from the moment the hand reached it."""
        period = 1 / HAND_HZ
        start = time.perf_counter()
        latencies: list[float] = []
        counts = {"produced": 0, "sent": 0}
        waiting: list = []  # the newest position not sent yet: [(value, born)]
        pending: list = []  # unthrottled: every position, each timed
        done = asyncio.Event()
        in_flight = {"future": None}

        def send(value: float, born: float) -> None:
            future = self.move(comm_id, value)
            counts["sent"] += 1
            in_flight["future"] = future
            future.add_done_callback(lambda f, born=born: finished(f, born))

        def finished(future, born: float) -> None:
            latencies.append((future.result() - born) * 1000)
            in_flight["future"] = None
            if waiting:
                send(*waiting.pop())
            elif stopped:
                done.set()

        def position(k: int) -> float:
            return 0.6358 + 1.2 * math.sin(2 * math.pi * k / 90)  # within -2..2

        stopped, k = False, 0
        while time.perf_counter() - start < seconds:
            born = start + k * period
            await asyncio.sleep(max(0.0, born - time.perf_counter()))
            counts["produced"] += 1
            if not throttle:
                pending.append((self.move(comm_id, position(k)), born))
                counts["sent"] += 1
            elif in_flight["future"] is None:
                send(position(k), born)
            else:
                waiting[:] = [(position(k), born)]
            k += 1
        stopped = True
        if throttle and in_flight["future"] is not None:
            await done.wait()
        for future, born in pending:
            latencies.append((await future - born) * 1000)
        return {"latencies": latencies, "produced": counts["produced"], "sent": counts["sent"],
                "seconds": time.perf_counter() - start}

    async def close(self) -> None:
        self.ws.close()
        self.reader.cancel()


def notebook_code(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def new_kernel(base: str) -> str:
    req = urllib.request.Request(base + "/api/kernels", data=b'{"name": "python3"}', method="POST",
                                 headers={"Content-Type": "application/json"})
    kernel_id = json.load(urllib.request.urlopen(req, timeout=60))["id"]
    deadline = time.monotonic() + 30
    while True:  # the process appears a moment after the answer
        try:
            os.sched_setaffinity(kernel_pid(kernel_id), {KERNEL_CORE})
            return kernel_id
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# ---------------------------------------------------------------- the runs

async def prepare(base: str, n: int, run_notebooks: bool) -> list[Student]:
    """``n`` students, each kernel having run every notebook (or not) and shown
    the class Explorer."""
    students = []
    for _ in range(n):
        s = Student(base, new_kernel(base))
        await s.connect()
        students.append(s)

    async def one(s: Student) -> None:
        if run_notebooks:
            pid = kernel_pid(s.kernel_id)
            s.memory = [("a new kernel", memory_mb(pid))]
            for nb in NOTEBOOKS:
                for code in notebook_code(nb):
                    await s.execute(code)
                s.memory.append((f"after {nb.name}", memory_mb(pid)))
        await s.execute(EXPLORER)

    for i in range(0, n, 2):  # two at a time: the machine has two cores
        await asyncio.gather(*(one(s) for s in students[i:i + 2]))
    return students


async def per_notebook(base: str) -> list[tuple[str, tuple[float, float, float]]]:
    """Each notebook in a kernel of its own, as Jupyter runs them (all alive at
    the end, so shared pages are shared by all): each kernel's memory."""
    kernels = []
    for nb in NOTEBOOKS:
        s = Student(base, new_kernel(base))
        await s.connect()
        kernels.append((nb, s))

    async def one(nb: Path, s: Student) -> None:
        for code in notebook_code(nb):
            await s.execute(code)

    for i in range(0, len(kernels), 2):
        await asyncio.gather(*(one(nb, s) for nb, s in kernels[i:i + 2]))
    out = [(nb.name, memory_mb(kernel_pid(s.kernel_id))) for nb, s in kernels]
    errors = [e for _, s in kernels for e in s.errors]
    for _, s in kernels:
        await s.close()
        shutdown_kernel(base, s.kernel_id)
    if errors:
        raise RuntimeError("errors in the kernels:\n" + "\n".join(errors[:3]))
    return out


def shutdown_kernel(base: str, kernel_id: str) -> None:
    req = urllib.request.Request(base + f"/api/kernels/{kernel_id}", method="DELETE")
    urllib.request.urlopen(req, timeout=60)


async def sweep(base: str, seconds: float, most: int, memory_students: int,
                memory_only: bool = False) -> dict:
    out = {"memory": [], "drag": [], "unthrottled": None}
    out["per_notebook"] = await per_notebook(base)
    students = await prepare(base, memory_students, run_notebooks=True)
    for s in students:
        out["memory"].append(s.memory[-1][1])
        out.setdefault("errors", []).extend(s.errors)
    out["steps"] = students[0].memory
    if memory_only:
        for s in students:
            await s.close()
        return out
    n = 1
    while n <= most:
        if len(students) < n:
            students += await prepare(base, n - len(students), run_notebooks=False)
        group = students[:n]
        runs = await asyncio.gather(*(s.drag(s.slider("layer2.bias[0]"), seconds) for s in group))
        lat = np.concatenate([r["latencies"] for r in runs])
        out["drag"].append({
            "n": n, "p50": float(np.median(lat)), "p95": float(np.percentile(lat, 95)),
            "computed_per_s": sum(len(r["latencies"]) for r in runs) / seconds / n,
            "dropped": 1 - sum(r["sent"] for r in runs) / sum(r["produced"] for r in runs)})
        print(f"  {n:3d} dragging: p50 {out['drag'][-1]['p50']:6.1f} ms, p95 "
              f"{out['drag'][-1]['p95']:6.1f} ms, {out['drag'][-1]['computed_per_s']:4.1f} "
              f"positions/s computed per student, {out['drag'][-1]['dropped']:.0%} dropped", flush=True)
        if out["drag"][-1]["p95"] > GOAL_P95_MS:
            break
        n = n * 2 if n < 4 else n + 4
    # the same load past the limit, without the throttle: latency grows with time
    last = out["drag"][-1]["n"]
    runs = await asyncio.gather(*(s.drag(s.slider("layer2.bias[0]"), seconds, throttle=False)
                                  for s in students[:last]))
    first = [r["latencies"][: len(r["latencies"]) // 5] for r in runs]
    final = [r["latencies"][-len(r["latencies"]) // 5:] for r in runs]
    out["unthrottled"] = {"n": last, "early": float(np.median(np.concatenate(first))),
                          "late": float(np.median(np.concatenate(final)))}
    for s in students:
        await s.close()
    return out


def report(res: dict, seconds: float) -> bool:
    mem = np.array(res["memory"])  # (students, [RSS, PSS, USS])
    rss, pss, uss = mem.max(axis=0)
    fits = [d for d in res["drag"] if d["p95"] <= GOAL_P95_MS]
    held = fits[-1]["n"] if fits else 0
    print()
    print(f"one Jupyter server{' (TCP_NODELAY)' if res.get('nodelay') else ''}, kernels on one core "
          f"({os.cpu_count()} cores here)")
    print(f"{'':58s} {'figure':>10s} {'goal':>10s}")
    goal = f"<= {GOAL_MB:g} MB"

    def row(label: str, value: float, with_goal: bool = True) -> bool:
        met = value <= GOAL_MB
        print(f"{label:58s} {value:7.0f} MB {goal if with_goal else '':>10s} "
              f"{('ok' if met else 'MISSED') if with_goal else ''}")
        return met

    print(f"kernel memory after all {len(NOTEBOOKS)} notebooks in one kernel (max of {len(mem)}):")
    row("  USS: private pages, what each more student costs", uss)
    row("  RSS: every page mapped (shared pages again each)", rss)
    row("  PSS: its share of the pages shared with other kernels", pss, with_goal=False)
    print("  one kernel as it goes, RSS / USS: " + "; ".join(
        f"{label.split('_')[0]} {m[0]:.0f}/{m[2]:.0f}" for label, m in res["steps"]))
    per = res["per_notebook"]
    big = max(per, key=lambda x: x[1][2])
    print(f"each notebook in a kernel of its own (as Jupyter runs them; {len(per)} alive):")
    row(f"  USS, the largest ({big[0].replace('.ipynb', '')})", big[1][2])
    row("  RSS, the largest", max(m[0] for _, m in per))
    total = np.sum([m for _, m in per], axis=0)
    print(f"  all {len(per)} kept open by one student: USS {total[2]:.0f} MB, PSS {total[1]:.0f} MB "
          f"(RSS summed {total[0]:.0f} MB)")
    ok_mem = bool(uss <= GOAL_MB)
    if not res["drag"]:
        return ok_mem and not res.get("errors")
    print(f"{'students dragging at once on one core, p95 <= %g ms' % GOAL_P95_MS:58s} {held:10d}")
    for d in res["drag"]:
        print(f"   {d['n']:3d} dragging: p50 {d['p50']:6.1f} ms  p95 {d['p95']:6.1f} ms  "
              f"computed {d['computed_per_s']:4.1f}/s each  dropped {d['dropped']:4.0%}")
    u = res["unthrottled"]
    print(f"without the throttle, {u['n']} dragging {seconds:g} s: median latency "
          f"{u['early']:.0f} ms in the first fifth, {u['late']:.0f} ms in the last fifth")
    if res.get("errors"):
        print("errors in the kernels:\n" + "\n".join(res["errors"][:3]))
    return ok_mem and not res.get("errors")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4, help="kernels that run every notebook")
    parser.add_argument("--most", type=int, default=64, help="the most students dragging at once")
    parser.add_argument("--seconds", type=float, default=8.0, help="how long each drag lasts")
    parser.add_argument("--nodelay", action="store_true", help="TCP_NODELAY on the server's websockets")
    parser.add_argument("--memory-only", action="store_true", help="the memory figures alone")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {SERVER_CORE})
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start_server(Path(tmp), args.nodelay)
        try:
            print(f"{args.students} students run all {len(NOTEBOOKS)} notebooks"
                  f"{'' if args.memory_only else ', then drag'}:", flush=True)
            res = asyncio.run(sweep(base, args.seconds, args.most, args.students, args.memory_only))
            res["nodelay"] = args.nodelay
        finally:
            stop_server(proc)
    ok = report(res, args.seconds)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
