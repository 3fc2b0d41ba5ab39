"""The embeddable status widget (embed/index.html): what it lists, that it is valid, accessible,
script-free and self-contained, and that it works framed by another origin in a real browser."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest

from sitekit import SITE_YAML, build, incident, make_repo
from statusgen.build import load_site
from statusgen.cli import resolve_now
from statusgen.render import embed
from statusgen.theme import resolve_theme
from tests.support.axe import format_violations, run_axe
from tests.support.browser import open_page
from tests.support.server import serve_directory
from tests.support.vnu import format_errors, validate_html

BASE = "https://status.test.example/"
NOW = "2026-12-01T03:00:00+01:00"
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)> "quotes" ünïcode 💥'

MAINTENANCE = """\
---
type: maintenance
title: Database upgrade
services: [dashboard]
scheduled: {start: 2026-12-01 02:00 +01:00, end: 2026-12-01 04:00 +01:00}
---
## 2026-11-25 10:00 +01:00 — Scheduled
Planned.

## 2026-12-01 02:00 +01:00 — In progress
Started.
"""
FILES = {
    "incidents/old.md": incident("Resolved last week", started="2026-11-20 14:05 +01:00"),
    "incidents/hooks.md": incident(
        "Webhooks delayed", services="[webhooks]", impact="major", started="2026-12-01 01:00 +01:00", resolved=None,
        body="## 2026-12-01 01:10 +01:00 — Identified\nA stuck queue.\n\n## 2026-12-01 01:40 +01:00 — Update\nStill on it.\n",
    ),
    "incidents/db.md": MAINTENANCE,
}


class Page(HTMLParser):
    """The parts of the widget a test looks at, read with a real HTML parser."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[dict] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._in_a: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "a":
            self._in_a = {**attrs, "text": ""}
            self.links.append(self._in_a)

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_a = None

    def handle_data(self, data):
        self.text.append(data)
        if self._in_a is not None:
            self._in_a["text"] += data


def render_to(content: Path, out: Path, now: str = NOW) -> Path:
    """The widget's files, as `statusgen build --now` writes them (test_end_to_end checks that)."""
    site = load_site(content)
    for rel, data in embed.render(site, resolve_now(now, {}), resolve_theme(content, site.theme)):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    return out


@pytest.fixture(scope="module")
def widget(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("embed")
    return render_to(make_repo(root, FILES), root / "out")


def parsed(out: Path) -> Page:
    return Page((out / "embed/index.html").read_text(encoding="utf-8"))


def test_shows_the_overall_status_and_what_is_open(widget):
    page = parsed(widget)
    text = " ".join(" ".join(page.text).split())
    assert "Partial service outage" in text  # a major incident is open: the front page's headline
    titles = [a["text"] for a in page.links]
    assert titles == ["Webhooks delayed", "Database upgrade", "Test Status"]
    assert "Resolved last week" not in text
    assert "Identified · Dec 1, 2026, 1:40 AM CET" in text  # the 'Update' keeps the stage before it
    assert "In progress · Dec 1, 2026, 2:00 AM CET" in text


def test_links_lead_back_to_the_status_site_in_the_top_window(widget):
    page = parsed(widget)
    widget_url = BASE + "embed/"
    targets = [urljoin(widget_url, a["href"]) for a in page.links]
    assert targets == [BASE + "incidents/hooks/", BASE + "incidents/db/", BASE]
    assert all(a.get("target") == "_top" for a in page.links)


def test_no_script_and_nothing_from_another_origin(widget):
    page = parsed(widget)
    assert not [t for t, _ in page.tags if t in ("script", "iframe", "object", "embed", "base")]
    for tag, attrs in page.tags:
        assert not [k for k in attrs if k.startswith("on")], tag
        for key in ("href", "src"):
            if key in attrs:
                assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//", attrs[key], re.I), attrs[key]
    (sheet,) = [a["href"] for t, a in page.tags if t == "link" and a.get("rel") == "stylesheet"]
    css = (widget / "embed" / sheet).read_bytes()
    assert sheet == f"widget.{hashlib.sha256(css).hexdigest()[:10]}.css"  # named by content: cache forever
    assert not re.search(rb"url\(|@import", css)


def test_all_clear(tmp_path):
    out = render_to(make_repo(tmp_path, {"incidents/old.md": incident("Resolved last week")}), tmp_path / "out")
    page = parsed(out)
    text = " ".join(" ".join(page.text).split())
    assert "All systems operational" in text and "Ongoing" not in text
    assert [a["text"] for a in page.links] == ["Test Status"]


def test_in_the_site_language(tmp_path):
    content = make_repo(tmp_path, {}, SITE_YAML.replace("language: en", "language: de"))
    assert build(content, tmp_path / "out") == 0
    page = (tmp_path / "out" / "embed" / "index.html").read_text()
    assert '<html lang="de">' in page and "Alle Systeme" in page


def test_hostile_titles_are_text(tmp_path):
    title = '"' + HOSTILE.replace('"', '\\"') + '"'
    files = {"incidents/h.md": incident(title, resolved=None, started="2026-12-01 01:00 +01:00", body="")}
    out = render_to(make_repo(tmp_path, files), tmp_path / "out")
    page = parsed(out)
    assert [a["text"] for a in page.links][0] == HOSTILE
    assert [t for t, _ in page.tags if t in ("script", "img")] == []


def test_the_widget_is_valid_html(widget, tmp_path):
    title = '"' + HOSTILE.replace('"', '\\"') + '"'
    files = {"incidents/h.md": incident(title, resolved=None, started="2026-12-01 01:00 +01:00", body="")}
    hostile = render_to(make_repo(tmp_path, files), tmp_path / "out")
    errors = validate_html([widget / "embed/index.html", hostile / "embed/index.html"])
    assert errors == [], format_errors(errors)


def test_a_site_can_override_the_widget_styles(tmp_path):
    content = make_repo(tmp_path, {"templates/embed.css": "body { color: #000; }\n"})
    out = render_to(content, tmp_path / "out")
    css = b"body { color: #000; }\n"
    assert (out / f"embed/widget.{hashlib.sha256(css).hexdigest()[:10]}.css").read_bytes() == css


def test_identical_input_gives_identical_bytes(widget, tmp_path):
    again = render_to(make_repo(tmp_path, FILES), tmp_path / "again")
    for path in sorted(widget.rglob("*")):
        if path.is_file():
            assert (again / path.relative_to(widget)).read_bytes() == path.read_bytes()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("embed-built")
    assert build(make_repo(root, FILES), root / "out", NOW) == 0
    return root / "out"


def test_end_to_end_statusgen_build_writes_the_widget(built, widget):
    for path in sorted(widget.rglob("*")):
        if path.is_file():
            assert (built / path.relative_to(widget)).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_widget_is_accessible(built, browser, scheme):
    with serve_directory(built) as base, open_page(
        browser, base + "embed/", color_scheme=scheme, width=360, height=240
    ) as loaded:
        assert loaded.problems() == []
        violations = run_axe(loaded.page)
        assert violations == [], format_violations(violations)


def test_framed_by_another_origin_it_loads_alone_and_links_out_of_the_frame(built, browser, tmp_path):
    host = tmp_path / "host"
    host.mkdir()
    with serve_directory(built) as status_base:
        snippet = (f'<iframe src="{status_base}embed/" title="Service status" width="360" height="200" '
                   'style="border:0"></iframe>')
        host_page = f'<!doctype html><html lang=en><link rel=icon href="data:,"><title>Customer site</title>{snippet}'
        (host / "index.html").write_text(host_page, encoding="utf-8")
        with serve_directory(host) as host_base:
            assert host_base != status_base  # two origins
            context = browser.new_context()
            requested: list[str] = []
            context.on("request", lambda r: requested.append(r.url))
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            try:
                page.goto(host_base)
                frame = page.frame_locator("iframe")
                frame.get_by_role("heading", name="Partial service outage").wait_for()
                assert all(u.startswith((host_base, status_base)) for u in requested), requested
                frame.get_by_role("link", name="Webhooks delayed").click()
                page.wait_for_url(status_base + "incidents/hooks/")  # the top window left the customer's page
                assert errors == []
            finally:
                context.close()
