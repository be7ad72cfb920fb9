"""OHIF's prebuilt viewer on a loopback port: `dist/` as static files, every unknown path answered
with `index.html` (a single-page app routes in the browser), and the given `app-config.js` in place of
the shipped one.

    python -m tests.viewer.ohif_server --port 3000 --dist .npm/ohif/package/dist --config app-config.js
"""

from __future__ import annotations

import argparse
import functools
import http.server
from pathlib import Path
from typing import ClassVar

TYPES = {".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript"}


class OhifHandler(http.server.SimpleHTTPRequestHandler):
    config: ClassVar[bytes] = b""
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        **TYPES,
    }

    def send_head(self):  # type: ignore[no-untyped-def]
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == "/app-config.js":
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(self.config)))
            self.end_headers()
            return _Bytes(self.config)
        if not Path(self.translate_path(path)).exists():
            self.path = "/index.html"
        return super().send_head()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, size: int = -1) -> bytes:
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dist", type=Path, required=True)
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args()
    OhifHandler.config = args.config.read_bytes()
    handler = functools.partial(OhifHandler, directory=str(args.dist))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
