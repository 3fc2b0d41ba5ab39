"""The HTTP headers netlify.toml asks Netlify to send, checked where it matters: no header gets two
values from overlapping rules, the CSP is strict, and a built site served with exactly those headers
(nginx, configured from netlify.toml) gives pages, assets, feeds and the API the right ones, and its
pages work in a real browser under that CSP without a single violation."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sitekit import NOW, build

REPO = Path(__file__).resolve().parent.parent
NETLIFY_DEFAULT_CACHE = "public, max-age=0, must-revalidate"  # what Netlify sends when no rule sets one
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def rules() -> list[tuple[str, dict[str, str]]]:
    config = tomllib.loads((REPO / "netlify.toml").read_text(encoding="utf-8"))
    return [(rule["for"], dict(rule["values"])) for rule in config.get("headers", [])]


def matches(pattern: str, path: str) -> bool:
    """Netlify's `for`: an exact path, or a prefix ending in the splat '*' (which matches anything)."""
    if "*" in pattern[:-1] or ":" in pattern:
        raise AssertionError(f"translate this pattern first: {pattern}")
    return path.startswith(pattern[:-1]) if pattern.endswith("*") else path == pattern


def netlify_headers(path: str) -> dict[str, list[str]]:
    """Every value each matching rule sets, by lower-case header name (Netlify joins repeats)."""
    found: dict[str, list[str]] = {}
    for pattern, values in rules():
        if matches(pattern, path):
            for name, value in values.items():
                found.setdefault(name.lower(), []).append(value)
    found.setdefault("cache-control", [NETLIFY_DEFAULT_CACHE])
    return found


def url_paths(site: Path) -> list[str]:
    paths = []
    for p in sorted(site.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            rel = "/" + p.relative_to(site).as_posix()
            paths.append(rel[: -len("index.html")] if rel.endswith("/index.html") else rel)
    return paths


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("headers") / "public"
    assert build(REPO / "content", out, NOW) == 0
    return out


# ---------------------------------------------------------------- the rules themselves


def test_no_served_file_gets_one_header_from_two_rules(site):
    paths = url_paths(site) + ["/", "/no-such-page"]
    assert len(paths) > 100
    for path in paths:
        doubled = {name: values for name, values in netlify_headers(path).items() if len(values) > 1}
        assert doubled == {}, f"{path}: Netlify would send {doubled} joined with commas"


def csp() -> dict[str, list[str]]:
    (value,) = [v for p, values in rules() for k, v in values.items() if k.lower() == "content-security-policy"]
    policy = {}
    for directive in value.split(";"):
        if directive.strip():
            name, *sources = directive.split()
            policy[name] = sources
    return policy


def test_the_csp_is_strict():
    policy = csp()
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'none'"]
    assert "object-src" not in policy  # falls back to default-src 'none'
    for name, sources in policy.items():
        for source in sources:
            assert source in ("'self'", "'none'") or (name == "img-src" and source == "data:"), (name, source)
    assert (rule := [p for p, values in rules() if "Content-Security-Policy" in values]) == ["/*"], rule


# ---------------------------------------------------------------- served by nginx, configured from netlify.toml


def nginx_config(root: Path, prefix: Path, port: int) -> str:
    """One nginx location per rule, each carrying every header Netlify would send on its paths
    (nginx drops server-level add_header inside a location, so nothing is inherited)."""
    locations: dict[str, str] = {}
    patterns = ["/*"] + [p for p, _ in rules() if p != "/*"]
    for pattern in patterns:
        sample = pattern[:-1] if pattern.endswith("*") else pattern
        lines = []
        for name, values in sorted(netlify_headers(sample).items()):
            value = ", ".join(values)  # as Netlify joins repeats; the rules test above forbids them
            assert "$" not in value and "\n" not in value, (name, value)
            quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            if name == "content-type":  # replaces the type, as Netlify does (add_header would add one)
                lines.append(f"types {{ }} default_type {quoted};")
            else:
                lines.append(f"add_header {name} {quoted} always;")
        key = f"^~ {sample}" if pattern.endswith("*") else f"= {sample}"
        locations[key if sample != "/" else "/"] = "\n      ".join(lines)
    blocks = "\n".join(f"    location {key} {{\n      {body}\n    }}" for key, body in locations.items())
    temp = " ".join(f"{kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""  # else workers run as nobody: no access to tmp_path
    return f"""\
daemon off;
{user}worker_processes 1;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'error.log'};
events {{ worker_connections 64; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  types {{ text/calendar ics; }}
  access_log off;
  {temp}
  charset utf-8;
  charset_types text/css text/plain application/javascript text/javascript;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    index index.html;
    error_page 404 /404.html;
{blocks}
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(site, tmp_path_factory) -> Iterator[str]:
    """The built site behind nginx on 127.0.0.1 with netlify.toml's headers; yields 'host:port'."""
    if not os.access(NGINX, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed (bash .ci/run installs nginx-light)")
        pytest.skip("nginx is not installed")
    prefix = tmp_path_factory.mktemp("nginx")
    port = free_port()
    (prefix / "nginx.conf").write_text(nginx_config(site, prefix, port))
    process = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"nginx did not start: {process.stderr.read().decode()}") from None
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def get(host: str, path: str) -> tuple[int, http.client.HTTPMessage]:
    connection = http.client.HTTPConnection(host, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, response.msg
    finally:
        connection.close()


SECURITY = {"content-security-policy", "x-content-type-options", "referrer-policy", "permissions-policy",
            "cross-origin-opener-policy"}  # fmt: skip


def test_each_kind_of_file_is_served_with_the_headers_netlify_would_send(site, served):
    asset = "/assets/" + next((site / "assets").glob("style.*.css")).name
    expected = {
        "/": ("text/html; charset=utf-8", NETLIFY_DEFAULT_CACHE, None),
        "/incidents/" + next((site / "incidents").iterdir()).name + "/": ("text/html; charset=utf-8",
                                                                         NETLIFY_DEFAULT_CACHE, None),
        asset: ("text/css; charset=utf-8", "public, max-age=31536000, immutable", None),
        "/feed.xml": (None, "public, max-age=60, must-revalidate", None),
        "/feed.atom": ("application/atom+xml; charset=utf-8", "public, max-age=60, must-revalidate", None),
        "/feed.json": ("application/feed+json; charset=utf-8", "public, max-age=60, must-revalidate", None),
        "/api/v2/summary.json": ("application/json", "public, max-age=60, must-revalidate", "*"),
        "/maintenance.ics": ("text/calendar; charset=utf-8", "public, max-age=60, must-revalidate", None),
        "/badge.svg": ("image/svg+xml", NETLIFY_DEFAULT_CACHE, None),
    }  # fmt: skip
    for path, (content_type, cache, cors) in expected.items():
        status, headers = get(served, path)
        assert status == 200, path
        names = [k.lower() for k in headers.keys()]
        assert sorted(n for n in names if names.count(n) > 1) == [], f"{path}: a header sent twice"
        assert SECURITY <= set(names), path
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == cache, path
        assert headers.get("access-control-allow-origin") == cors, path
        if content_type:
            assert headers["content-type"] == content_type, path
    status, headers = get(served, "/no-such-page")
    assert status == 404 and "default-src 'none'" in headers["content-security-policy"]


@pytest.mark.parametrize("path", ["", "incidents/2026-11-20-eu-api-errors/", "embed/"])
def test_pages_work_under_the_csp_in_a_real_browser(site, served, browser, path):
    from tests.support.browser import open_page

    if not (site / path / "index.html").is_file():
        path = next(p.parent for p in sorted((site / "incidents").glob("*/index.html"))).relative_to(site).as_posix() + "/"
    with open_page(browser, f"http://{served}/{path}") as loaded:
        loaded.page.wait_for_load_state("networkidle")
        assert loaded.problems() == [], path  # CSP violations are console errors in Chromium
        if path != "embed/":  # the widget has no script; elsewhere the theme's scripts ran
            assert loaded.page.locator("time[title]").count() > 0, "statusgen.js did not run"
