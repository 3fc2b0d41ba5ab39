"""`statusgen serve`: a live preview. Build, serve on 127.0.0.1, rebuild on every saved change.

A thin shell around the incremental build: watchdog reports changes in the content folder and
the built-in themes, a short debounce gathers an editor's burst of writes into one rebuild, and
open pages reload themselves. When the content has an error, the last good site stays up and
every open page shows the error (file, line, hint) until a save fixes it; then the pages reload.

Only what serve sends to the browser carries the reload script (/__statusgen/live.js, added to
HTML responses on the way out): the files it builds are exactly those `statusgen build` writes.
Pages are built as of one instant for the whole session (the time serve started, or --now), so a
rebuild renders only what the edit changed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from statusgen.errors import ContentError

DEBOUNCE_SECONDS = 0.05  # quiet time after the last change before rebuilding
MAX_DELAY_SECONDS = 0.5  # rebuild at the latest this long after the first change of a burst
KEEPALIVE_SECONDS = 10.0
PREFIX = "/__statusgen/"

LIVE_JS = """\
// statusgen serve: reloads this page after a rebuild and shows content errors. Not in built sites.
(function () {
  "use strict";
  var me = document.currentScript, box = null;
  function hide() { if (box) { box.remove(); box = null; } }
  function show(problems) {
    hide();
    box = document.createElement("aside");
    box.id = "statusgen-serve-problems";
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;z-index:2147483647;left:1rem;right:1rem;bottom:1rem;max-height:60vh;" +
      "overflow:auto;padding:1rem 1.25rem;background:#fff4f4;color:#5c0000;border:2px solid #c00;" +
      "border-radius:.5rem;font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;" +
      "box-shadow:0 .5rem 2rem rgba(0,0,0,.35);white-space:pre-wrap";
    var title = document.createElement("strong");
    title.textContent = "The site could not be rebuilt; this page shows the last good build.";
    box.appendChild(title);
    problems.forEach(function (p) {
      var item = document.createElement("div");
      item.className = "problem";
      item.style.marginTop = ".75rem";
      var where = document.createElement("b");
      where.textContent = p.path + (p.line ? ":" + p.line : "");
      item.appendChild(where);
      item.appendChild(document.createTextNode(" " + p.severity + ": " + p.message));
      if (p.hint) { item.appendChild(document.createTextNode("\\n    hint: " + p.hint)); }
      box.appendChild(item);
    });
    document.body.appendChild(box);
  }
  var source = new EventSource("/__statusgen/events?generation=" + encodeURIComponent(me.dataset.generation));
  source.addEventListener("reload", function () { source.close(); location.reload(); });
  source.addEventListener("problems", function (e) { show(JSON.parse(e.data)); });
  source.addEventListener("ok", hide);
})();
"""

NOT_BUILT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>statusgen serve</title></head>
<body><h1>The site has not been built yet</h1><p>Fix the problems below and save; this page reloads by itself.</p>
</body></html>
"""


class State:
    """What the browser should know: the latest good build and the current problems."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.generation = 0  # bumped by every build that changed the site
        self.problems: list[dict] | None = None
        self.version = 0  # bumped by every change of either
        self.built = False

    def succeeded(self, changed: bool) -> None:
        with self.cond:
            if changed or self.problems is not None or not self.built:
                if changed or not self.built:
                    self.generation += 1
                self.built = True
                self.problems = None
                self.version += 1
                self.cond.notify_all()

    def failed(self, problems: list[dict]) -> None:
        with self.cond:
            self.problems = problems
            self.version += 1
            self.cond.notify_all()


def problems_of(exc: BaseException, content: Path) -> list[dict]:
    """An exception as the list the page shows: file, line, message, hint."""
    if isinstance(exc, ContentError):
        return [
            {"path": d.path, "line": d.line, "message": d.message, "hint": d.hint, "severity": d.severity}
            for d in exc.diagnostics
        ]
    path, line = "", 0
    filename = getattr(exc, "filename", None)  # jinja2.TemplateSyntaxError and friends
    if filename:
        path, line = str(filename), getattr(exc, "lineno", 0) or 0
        try:
            path = Path(filename).resolve().relative_to(content.resolve().parent).as_posix()
        except ValueError:
            pass
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return [{"path": path or "build", "line": line, "message": f"{type(exc).__name__}: {message}", "hint": "",
             "severity": "error"}]  # fmt: skip


class Preview:
    """Builds into a folder of its own, again after every change, and keeps `state` current."""

    def __init__(self, content: Path, out: Path, now: datetime, cache_dir: Path | None, jobs: int,
                 log=print):  # fmt: skip
        from statusgen import cache
        from statusgen.build import Builder
        from statusgen.parallel import Progress

        self.content, self.out, self.now, self.log = content, out, now, log
        self.state = State()
        self.builder = Builder(content, out, cache.Cache(cache_dir), jobs=jobs, progress=Progress(quiet=True))
        self.dirty = threading.Event()
        self.stopped = threading.Event()
        self.first_change = 0.0
        self.last_change = 0.0
        # Pages rendered by the running build, served before the build has written them (the feeds
        # and the API take longer and follow a moment later).
        self.overlay: dict[str, bytes] = {}
        self.shown_early = False
        self.builder.on_pages = self.pages_rendered

    def pages_rendered(self, outputs: list[tuple[str, bytes]]) -> None:
        overlay = {path: data for path, data in outputs if path.endswith(".html")}
        changed = False
        for path, data in overlay.items():
            try:
                changed = (self.out / path).read_bytes() != data
            except OSError:
                changed = True
            if changed:
                break
        if changed and self.state.built:
            self.overlay = overlay
            self.shown_early = True
            self.state.succeeded(True)

    def build(self) -> None:
        started = time.perf_counter()
        self.shown_early = False
        try:
            result = self.builder.build(self.now)
        except Exception as exc:  # noqa: BLE001 - any failure is shown in the page; serving goes on
            if self.overlay:  # take back pages shown early
                self.overlay = {}
                self.state.succeeded(True)
            problems = problems_of(exc, self.content)
            self.state.failed(problems)
            first = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.log(f"error: {first['path']}:{first['line']}: {first['message']}{more}; still serving the last good site")
            return
        self.overlay = {}
        c = result.changes
        changed = bool(c.added or c.changed or c.removed)
        self.state.succeeded(changed and not self.shown_early)
        took = time.perf_counter() - started
        if changed:
            self.log(f"rebuilt in {took:.2f} s: {c.summary()}")

    def changed(self) -> None:
        now = time.monotonic()
        if not self.dirty.is_set():
            self.first_change = now
        self.last_change = now
        self.dirty.set()

    def run(self) -> None:
        """The rebuild loop (a thread): wait for a change, let the burst settle, rebuild."""
        while not self.stopped.is_set():
            if not self.dirty.wait(0.5):
                continue
            while True:
                now = time.monotonic()
                quiet_until = self.last_change + DEBOUNCE_SECONDS
                deadline = self.first_change + MAX_DELAY_SECONDS
                if now >= quiet_until or now >= deadline:
                    break
                time.sleep(min(quiet_until, deadline) - now)
            self.dirty.clear()
            self.build()


def inject(html: bytes, generation: int) -> bytes:
    tag = f'<script src="{PREFIX}live.js" data-generation="{generation}" defer></script>'.encode()
    found = [m.start() for m in re.finditer(rb"</body\s*>", html, re.IGNORECASE)]
    at = found[-1] if found else len(html)
    return html[:at] + tag + html[at:]


class Handler(SimpleHTTPRequestHandler):
    """The built folder, plus the reload script and the change events; HTML gets the script."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
        ".js": "text/javascript; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml",
        ".xml": "application/xml", ".atom": "application/atom+xml", ".ics": "text/calendar; charset=utf-8",
        ".txt": "text/plain; charset=utf-8",
    }  # fmt: skip

    def __init__(self, *args, preview: Preview, **kwargs):
        self.preview = preview
        super().__init__(*args, directory=str(preview.out), **kwargs)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass  # one line per rebuild is enough

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path == PREFIX + "live.js":
            self._send(200, "text/javascript; charset=utf-8", LIVE_JS.encode())
        elif url.path == PREFIX + "events":
            self._events(parse_qs(url.query).get("generation", ["0"])[0])
        else:
            self._file(url.path)

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def _send(self, status: int, ctype: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _file(self, path: str) -> None:
        state = self.preview.state
        if not state.built:
            self._send(503, "text/html; charset=utf-8", inject(NOT_BUILT.encode(), state.generation))
            return
        wanted = path.lstrip("/")
        early = self.preview.overlay.get(wanted + "index.html" if wanted == "" or wanted.endswith("/") else wanted)
        if early is not None:
            self._send(200, "text/html; charset=utf-8", inject(early, state.generation))
            return
        local = Path(self.translate_path(path))
        if local.is_dir():
            if not path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", path + "/")
                self.end_headers()
                return
            local = local / "index.html"
        status = 200
        if not local.is_file():
            status, local = 404, self.preview.out / "404.html"
        try:
            body = local.read_bytes()
        except OSError:
            self._send(404, "text/plain; charset=utf-8", b"not found\n")
            return
        ctype = self.guess_type(str(local))
        if ctype.startswith("text/html"):
            body = inject(body, state.generation)
        self._send(status, ctype, body)

    def _events(self, generation: str) -> None:
        """Server-sent events: 'reload' after a rebuild, 'problems' or 'ok' as the content breaks or heals."""
        state = self.preview.state
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        seen_generation = int(generation) if generation.isdigit() else -1
        seen_version = -1
        try:
            while not self.preview.stopped.is_set():
                with state.cond:
                    if seen_version == state.version:
                        state.cond.wait(KEEPALIVE_SECONDS)
                    version, current, problems = state.version, state.generation, state.problems
                if version == seen_version:
                    self.wfile.write(b": keep-alive\n\n")
                elif current != seen_generation and state.built:
                    self.wfile.write(b"event: reload\ndata: \n\n")
                    self.wfile.flush()
                    return
                elif problems is not None:
                    data = json.dumps(problems, ensure_ascii=False)
                    self.wfile.write(f"event: problems\ndata: {data}\n\n".encode())
                else:
                    self.wfile.write(b"event: ok\ndata: \n\n")
                self.wfile.flush()
                seen_version = version
        except (BrokenPipeError, ConnectionResetError):
            return


def watch(preview: Preview, folders: list[Path]):
    """A watchdog observer that marks the preview dirty on any change in the folders."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    ignored = [preview.out.resolve()]

    class OnChange(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            path = Path(os.fsdecode(event.src_path)).resolve()
            if any(path == i or path.is_relative_to(i) for i in ignored):
                return
            preview.changed()

    observer = Observer()
    for folder in folders:
        if folder.is_dir():
            observer.schedule(OnChange(), str(folder), recursive=True)
    observer.start()
    return observer


def register(subparsers) -> None:
    from statusgen.cli import add_content_option, add_now_option

    p = subparsers.add_parser(
        "serve",
        help="preview the site: build, serve on 127.0.0.1 and rebuild on every change",
        description="Build the site, serve it on http://127.0.0.1:PORT/ and watch the content folder and the "
        "theme: every saved change rebuilds what it affects and reloads open pages. A content error keeps the "
        "last good site up and shows the error (file, line, hint) in the page until you fix it. The files it "
        "builds are those of `statusgen build`; only the pages it serves get a small reload script.",
    )
    add_content_option(p)
    p.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000; 0 picks a free one)")
    add_now_option(p)
    p.add_argument("--no-cache", action="store_true", help="build in a temporary folder, without the build cache")
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from statusgen import cache
    from statusgen.cli import resolve_now
    from statusgen.parallel import cpu_count
    from statusgen.theme import builtin_themes_dir

    now = resolve_now(args.now, dict(os.environ))
    temporary = None
    if args.no_cache:
        temporary = Path(tempfile.mkdtemp(prefix="statusgen-serve-"))
        out, cache_dir = temporary / "site", None
    else:
        cache_dir = cache.default_dir(args.content)
        out = cache_dir / "serve" / "site"  # kept between sessions, so a restart is incremental too
    preview = Preview(args.content, out, now, cache_dir, jobs=cpu_count(), log=lambda m: print(m, flush=True))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", args.port), partial(Handler, preview=preview))
    except OSError as exc:
        print(f"statusgen: error: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}; "
              "choose another --port (0 picks a free one)", file=sys.stderr)  # fmt: skip
        return 1
    server.daemon_threads = True
    # A rebuild holds the GIL for long stretches; switching often lets the server answer the
    # reloading browser right away instead of after the feeds are rendered.
    sys.setswitchinterval(0.0005)
    preview.build()  # before any thread starts, so a large first build may use every core
    preview.builder.jobs = 1
    observer = watch(preview, [args.content, builtin_themes_dir()])
    builder = threading.Thread(target=preview.run, name="statusgen-rebuild", daemon=True)
    builder.start()
    port = server.server_address[1]
    print(f"Serving http://127.0.0.1:{port}/ (pages as of {now.isoformat()}); watching {args.content}/ — "
          "Ctrl-C stops", flush=True)  # fmt: skip
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        preview.stopped.set()
        observer.stop()
        server.server_close()
        observer.join(timeout=2)
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    print("stopped", file=sys.stderr)
    return 0
