"""Serve the built site (``build/lite``) on this machine, as a static host would.

    python tools/lite/serve.py [--port 8000] [--dir build/lite]

then open http://127.0.0.1:8000/lab/index.html. Any static host does the same
(GitHub Pages, a school's web server, ``python -m http.server``); this one also
sends the caching headers of a typical static host (``Cache-Control:
max-age=600``, as GitHub Pages), the right type for ``.wasm`` and ``.mjs``, and
logs each request with its status, so tests and benchmarks see what was asked.

``--expose-app`` (tests and benchmarks only) adds ``exposeAppInBrowser`` to the
served ``jupyter-lite.json``, so a test can reach ``window.jupyterapp``.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".mjs": "text/javascript",
                      ".js": "text/javascript", ".json": "application/json"}
    expose_app = False
    max_age = 600

    def end_headers(self) -> None:
        self.send_header("Cache-Control", f"max-age={self.max_age}")
        super().end_headers()

    def do_GET(self) -> None:
        if self.expose_app and self.path.split("?")[0] == "/jupyter-lite.json":
            config = json.loads((Path(self.directory) / "jupyter-lite.json").read_text())
            config["jupyter-config-data"]["exposeAppInBrowser"] = "true"
            body = json.dumps(config).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")
        sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--dir", type=Path, default=ROOT / "build" / "lite")
    parser.add_argument("--expose-app", action="store_true")
    parser.add_argument("--max-age", type=int, default=600)
    args = parser.parse_args(argv)
    if not (args.dir / "jupyter-lite.json").exists():
        parser.error(f"{args.dir} holds no built site: run `make lite` first")
    handler = type("SiteHandler", (Handler,), {"expose_app": args.expose_app,
                                               "max_age": args.max_age})
    server = ThreadingHTTPServer(("127.0.0.1", args.port),
                                 functools.partial(handler, directory=str(args.dir)))
    print(f"serving {args.dir} at http://127.0.0.1:{server.server_port}/lab/index.html",
          flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
