"""The test tooling itself: each checker must pass good input and catch bad input.

If one of these fails, every test that relies on that tool proves nothing.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.axe import format_violations, run_axe
from tests.support.browser import open_page
from tests.support.server import serve_directory
from tests.support.vnu import format_errors, validate_html, validate_svg

# `<link rel=icon href="data:,">` stops Chromium asking for /favicon.ico (a 404 otherwise).
PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title><link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{title}</h1>{body}</main></body>
</html>
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- Nu Html Checker ------------------------------------------------------------

def test_vnu_accepts_valid_html_and_reports_broken_html(tmp_path: Path) -> None:
    good = write(tmp_path / "good.html", PAGE.format(title="Status", body="<p>All good.</p>"))
    bad = write(tmp_path / "bad.html", "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8></head>"
                                       "<body><p>broken</div></body></html>\n")

    errors = validate_html([good, bad])  # one JVM run for both files

    assert errors, "vnu reported nothing for a broken page"
    assert {e["file"] for e in errors} == {str(bad.resolve())}, format_errors(errors)
    messages = " | ".join(e["message"] for e in errors)
    assert "title" in messages and "Stray end tag" in messages, messages
    assert all(isinstance(e["line"], int) and e["line"] >= 1 for e in errors)


def test_vnu_svg_mode(tmp_path: Path) -> None:
    good = write(tmp_path / "good.svg", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
                                        '<title>dot</title><circle cx="5" cy="5" r="4"/></svg>\n')
    bad = write(tmp_path / "bad.svg", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
                                      '<circle cx="5" cy="5" r="4" bogus="1"/></svg>\n')

    errors = validate_svg([good, bad])

    assert {e["file"] for e in errors} == {str(bad.resolve())}, format_errors(errors)
    assert "bogus" in errors[0]["message"], format_errors(errors)


def test_vnu_refuses_missing_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        validate_html([tmp_path / "nope.html"])


# --- HTTP server ----------------------------------------------------------------

def test_serve_directory_serves_files_and_404s(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "index.html", PAGE.format(title="Sub", body=""))
    with serve_directory(tmp_path) as base_url:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/")
        with urllib.request.urlopen(base_url + "sub/") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/html")
            assert b"<h1>Sub</h1>" in response.read()
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(base_url + "missing.html")
        assert excinfo.value.code == 404
    with pytest.raises(urllib.error.URLError):  # shut down after the block
        urllib.request.urlopen(base_url, timeout=2)


# --- Browser helper -------------------------------------------------------------

def test_open_page_clean_page_has_no_problems(browser, tmp_path: Path) -> None:
    write(tmp_path / "index.html", PAGE.format(title="Clean", body="<p>Fine.</p>"))
    with serve_directory(tmp_path) as base_url, open_page(browser, base_url) as loaded:
        assert loaded.page.get_by_role("heading", level=1).inner_text() == "Clean"
        assert loaded.problems() == []


def test_open_page_records_console_errors_failed_and_foreign_requests(browser, tmp_path: Path) -> None:
    body = ('<script>console.error("boom from the page")</script>'
            '<img src="missing.png" alt="missing">'
            '<img src="http://example.invalid/tracker.png" alt="foreign">'
            '<script>undefinedFunction()</script>')
    write(tmp_path / "index.html", PAGE.format(title="Broken", body=body))
    with serve_directory(tmp_path) as base_url, open_page(browser, base_url) as loaded:
        assert any("boom from the page" in m for m in loaded.console_errors), loaded.console_errors
        assert any("undefinedFunction" in m for m in loaded.console_errors), loaded.console_errors
        assert any("missing.png: HTTP 404" in m for m in loaded.failed_requests), loaded.failed_requests
        assert loaded.foreign_requests == ["http://example.invalid/tracker.png"]
        assert len(loaded.problems()) >= 4


# --- axe-core -------------------------------------------------------------------

def test_axe_finds_missing_alt_and_passes_clean_page(browser, tmp_path: Path) -> None:
    write(tmp_path / "clean.html", PAGE.format(title="Clean", body='<p>Fine.</p>'))
    write(tmp_path / "noalt.html", PAGE.format(title="No alt", body='<img src="data:," width="10" height="10">'))
    with serve_directory(tmp_path) as base_url:
        with open_page(browser, base_url + "clean.html") as loaded:
            violations = run_axe(loaded.page)
            assert violations == [], format_violations(violations)
        with open_page(browser, base_url + "noalt.html") as loaded:
            violations = run_axe(loaded.page)
            assert "image-alt" in {v["id"] for v in violations}, format_violations(violations)
