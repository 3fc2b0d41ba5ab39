"""Serve a directory over HTTP on 127.0.0.1 for browser tests.

    with serve_directory(site_dir) as base_url:   # e.g. "http://127.0.0.1:41234/"
        page.goto(base_url + "incidents/")

A threaded ``http.server`` on an ephemeral port, with request logging
switched off; it is shut down when the ``with`` block ends. Directories are
served from their ``index.html``; missing files get a 404.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["serve_directory"]


class _QuietHandler(SimpleHTTPRequestHandler):
    # Fixed MIME types, so results don't depend on the machine's /etc/mime.types.
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".mjs": "text/javascript; charset=utf-8",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".xml": "application/xml",
        ".atom": "application/atom+xml",
        ".rss": "application/rss+xml",
        ".ics": "text/calendar; charset=utf-8",
        ".webmanifest": "application/manifest+json",
        ".ico": "image/x-icon",
        ".png": "image/png",
        ".txt": "text/plain; charset=utf-8",
    }

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep test output clean


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (random free port); yield the base URL, ending in "/"."""
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"cannot serve {root}: not a directory")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"http:{root}", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
