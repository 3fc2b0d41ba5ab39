"""Valid markup: the Nu Html Checker (vnu.jar) finds no error in any HTML page or SVG file.

Checked: every page of the example site (an open incident and an upcoming maintenance) and of a
quiet site with nothing open, plus each page type of the example during its maintenance window in
Japanese. All files go to one JVM run.
"""

from __future__ import annotations

from pathlib import Path

from sitebuilds import MAINTENANCE_NOW, example, page_types, quiet
from tests.support.vnu import format_errors, validate_html, validate_svg


def sites() -> list[Path]:
    return [example(), quiet()]


def test_every_html_page_is_valid():
    pages = [p for site in sites() for p in sorted(site.rglob("*.html"))]
    # and the page types that change during a maintenance window, in a CJK language
    during = example("ja", MAINTENANCE_NOW)
    pages += [during / rel for rel in page_types(during).values()]
    assert len(pages) > 70
    errors = validate_html(pages)
    assert errors == [], format_errors(errors)


def test_every_svg_is_valid():
    files = [p for site in sites() for p in sorted(site.rglob("*.svg"))]
    assert any(p.name.startswith("favicon.") for p in files)
    errors = validate_svg(files)
    assert errors == [], format_errors(errors)
