"""Sub-path hosting: the example built for https://…/status/ and served by a real nginx under
/status/; a crawler follows every link and asset from the front page and gets each one.

nginx runs with its own config in a temp folder (daemon off, 127.0.0.1, a free port); `.ci/run`
installs nginx-light. Without nginx the tests are skipped, except under CI.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit
from xml.etree import ElementTree

import lxml.html
import pytest

from sitebuilds import example
from tests.support.browser import open_page

BASE_URL = "https://status.example.test/status/"
PREFIX = "/status/"
MIME_TYPES = Path("/etc/nginx/mime.types")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if found is None:
        reason = "nginx is not installed (apt-get install nginx-light; `bash .ci/run` does it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def config(root: Path, site: Path, port: int) -> str:
    types = f"include {MIME_TYPES};" if MIME_TYPES.is_file() else (
        "types { text/html html; text/css css; text/javascript js; image/svg+xml svg; application/xml xml; "
        "application/json json; application/atom+xml atom; text/calendar ics; text/plain txt; }")  # fmt: skip
    temp = " ".join(f"{kind}_temp_path {root}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx's workers would drop to 'nobody', who cannot read private temp folders.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    return f"""
daemon off;
{user}
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 64; }}
http {{
  {types}
  default_type application/octet-stream;
  charset utf-8;
  access_log off;
  {temp}
  server {{
    listen 127.0.0.1:{port};
    location = /status {{ return 301 /status/; }}
    location /status/ {{
      alias {site}/;
      index index.html;
      error_page 404 /status/404.html;
    }}
  }}
}}
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """(http://127.0.0.1:<port>/status/, the built site)"""
    binary = nginx_binary()
    site = example(base_url=BASE_URL)
    root = tmp_path_factory.mktemp("nginx")
    port = free_port()
    (root / "nginx.conf").write_text(config(root, site, port), encoding="utf-8")
    proc = subprocess.Popen([binary, "-p", str(root), "-c", str(root / "nginx.conf"), "-e", str(root / "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {proc.stderr.read().decode() if proc.stderr else ''}"
                                       f"{(root / 'error.log').read_text() if (root / 'error.log').exists() else ''}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}{PREFIX}", site
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def references(page_url: str, body: bytes) -> set[str]:
    doc = lxml.html.fromstring(body)
    refs = doc.xpath("//a/@href|//link/@href|//script/@src|//img/@src")
    return {urldefrag(urljoin(page_url, ref))[0] for ref in refs}


def test_crawler_reaches_every_page_and_asset_under_the_sub_path(served):
    start, site = served
    origin = start[: -len(PREFIX) + 1]
    seen: dict[str, int] = {}
    queue = [start]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        status, kind, body = get(url)
        seen[url] = status
        assert status == 200, f"{url}: HTTP {status}"
        if kind.startswith("text/html"):
            assert "charset=utf-8" in kind.lower()
            for ref in references(url, body):
                if ref.startswith(("http://", "https://")) and not ref.startswith(origin):
                    continue  # another site (canonical links point at the public base URL)
                if ref.startswith("mailto:"):
                    continue
                assert urlsplit(ref).path.startswith(PREFIX), f"{url} links outside {PREFIX}: {ref}"
                queue.append(ref)
    # every page in the sitemap was reached by following links from the front page
    sitemap = ElementTree.parse(site / "sitemap.xml").getroot()
    pages = {loc.text.replace(BASE_URL, start) for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert len(pages) > 50
    assert pages - set(seen) == set()
    assert sum(1 for u in seen if "/assets/" in u) >= 3
    # and the canonical links name the public sub-path URL
    front = lxml.html.fromstring(get(start)[2])
    assert front.xpath("//link[@rel='canonical']/@href") == [BASE_URL]


def test_missing_pages_get_the_404_page_with_working_links(served):
    start, _ = served
    status, kind, body = get(start + "incidents/no-such-incident/deeper/")
    assert status == 404 and kind.startswith("text/html")
    doc = lxml.html.fromstring(body)
    assert doc.xpath("//h1/text()") == ["Page not found"]
    deep = start + "incidents/no-such-incident/deeper/"
    links = {ref for ref in references(deep, body) if ref.startswith(start) and ref != deep}  # not #main
    assert len(links) >= 5
    for ref in links:
        assert get(ref)[0] == 200, ref
    assert get(start[:-1])[0] == 200  # /status redirects to /status/


def test_browser_loads_the_sub_path_site_cleanly(browser, served):
    start, _ = served
    with open_page(browser, start, wait_until="networkidle") as loaded:
        for path in ("", "incidents/2026-11-22-eu-webhook-delivery-delays/", "history/2026/10/", "nope/"):
            loaded.page.goto(start + path, wait_until="networkidle")
            assert loaded.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
        # the missing page itself is a 404 (the browser logs that); everything it loads is not
        missing = start + "nope/"
        assert [p for p in loaded.problems() if not (missing in p and "404" in p)] == []
        assert any(missing in p for p in loaded.problems())
