"""Status badges and shields.io endpoint JSON: parsed back with ElementTree, validated with the
Nu checker, colours checked for contrast, and text widths compared with what Chromium draws."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sitekit import SITE_YAML, build, incident, make_repo
from statusgen.build import load_site
from statusgen.cli import resolve_now
from statusgen.render import badges
from tests.support.vnu import format_errors, validate_svg

SVG = "{http://www.w3.org/2000/svg}"
SERVICES = ("api", "dashboard", "webhooks")

MAINTENANCE = """\
---
type: maintenance
title: Database upgrade
services: [dashboard]
scheduled: {start: 2026-12-01 02:00 +01:00, end: 2026-12-01 04:00 +01:00}
---
"""
FILES = {
    "incidents/api-down.md": incident("API down", services="{api: major_outage}", impact="critical",
                                      started="2026-12-01 01:00 +01:00", resolved="2026-12-01 05:00 +01:00", body=""),
    "incidents/hooks-slow.md": incident("Webhooks slow", services="[webhooks]", impact="major",
                                        started="2026-12-01 01:00 +01:00", resolved="2026-12-01 05:00 +01:00", body=""),
    "incidents/db.md": MAINTENANCE,
}
DURING = "2026-12-01T03:00:00+01:00"
AFTER = "2026-12-02T00:00:00+01:00"


def render_to(content: Path, out: Path, now: str) -> Path:
    """Write the badges of a content folder as `statusgen build --now` would (see test_end_to_end)."""
    site = load_site(content)
    for rel, data in badges.render(site, resolve_now(now, {})):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    return out


def svgs(out: Path) -> list[Path]:
    return [out / "badge.svg", *(out / "badges" / f"{s}.svg" for s in SERVICES)]


def read(path: Path) -> dict:
    root = ET.fromstring(path.read_bytes())
    assert root.tag == SVG + "svg"
    texts = [t.text for t in root.iter(SVG + "text")]
    rects = [r.attrib for r in root.iter(SVG + "rect")]
    return {
        "role": root.get("role"), "aria": root.get("aria-label"), "title": root.findtext(SVG + "title"),
        "label": texts[0], "message": texts[1], "width": float(root.get("width")),
        "rects": rects,
        "text_lengths": [float(t.get("textLength")) for t in root.iter(SVG + "text")],
        "root": root,
    }


@pytest.fixture(scope="module")
def during(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("badges")
    return render_to(make_repo(root, FILES), root / "during", DURING)


def test_badges_say_each_status_in_words(during, tmp_path):
    words = {p.stem: read(p)["message"] for p in svgs(during)}
    assert words == {"badge": "major outage", "api": "major outage", "dashboard": "maintenance", "webhooks": "partial outage"}
    after = render_to(make_repo(tmp_path, FILES), tmp_path / "after", AFTER)
    assert {read(p)["message"] for p in svgs(after)} == {"operational"}
    slow = {"incidents/slow.md": incident("Slow", services="[api]", impact="minor", resolved=None, body="")}
    degraded = render_to(make_repo(tmp_path / "d", slow), tmp_path / "degraded", AFTER)
    assert read(degraded / "badges/api.svg")["message"] == "degraded performance"
    assert read(degraded / "badge.svg")["message"] == "degraded performance"


def test_badges_are_accessible_images(during):
    for path in svgs(during):
        b = read(path)
        assert b["role"] == "img"
        assert b["aria"] == b["title"] and b["title"].endswith(": " + b["message"])
    assert read(during / "badges/api.svg")["title"] == "Test Status – Public API: major outage"
    assert read(during / "badges/api.svg")["label"] == "Public API"
    assert read(during / "badge.svg")["title"] == "Test Status: major outage"
    assert read(during / "badge.svg")["label"] == "status"


def test_badges_are_valid_svg(during, hostile):
    errors = validate_svg(svgs(during) + svgs(hostile))  # one JVM start for all
    assert errors == [], format_errors(errors)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_colour_has_aa_contrast_with_the_text(during):
    fills = set()
    for path in svgs(during):
        b = read(path)
        text = [g.get("fill") for g in b["root"].iter(SVG + "g") if g.get("fill")][0]
        for rect in b["rects"]:
            fills.add(rect["fill"])
            assert contrast(rect["fill"], text) >= 4.5, (path.name, rect["fill"])
    assert len(fills) == 4  # label grey, red, blue, orange
    for status, colour in badges.COLOURS.items():  # the ones not on show at this instant too
        assert contrast(colour, badges.TEXT_COLOUR) >= 4.5, status


def test_geometry_adds_up(during):
    for path in svgs(during):
        b = read(path)
        left, right = (float(r["width"]) for r in b["rects"])
        assert left + right == b["width"]
        assert float(b["rects"][1]["x"]) == left
        lw, mw = b["text_lengths"]
        assert 0 < lw <= left - 2 * badges.PAD + 1 and 0 < mw <= right - 2 * badges.PAD + 1


def test_text_widths_match_what_a_browser_draws(during, browser):
    """The estimate is what textLength forces; it must be close to the font's natural width,
    or the text would look squeezed or stretched."""
    page = browser.new_page()
    try:
        samples = ["operational", "degraded performance", "major outage", "Public API", "Login & SSO",
                   "Invoice delivery – email & PDF", "WWW mmm iii", "Zahlungen über SEPA"]
        markup = "".join(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="20"><text font-family="{badges.FONT}" '
            f'font-size="11" y="14">{s.replace("&", "&amp;")}</text></svg>' for s in samples
        )
        page.set_content(f"<!doctype html><html><body>{markup}</body></html>")
        natural = page.evaluate("() => [...document.querySelectorAll('text')].map(t => t.getComputedTextLength())")
    finally:
        page.close()
    for text, width in zip(samples, natural):
        estimate = badges.text_width(text)
        assert abs(estimate - width) / width < 0.08, (text, estimate, width)


def test_shields_endpoint_json(during):
    for name in ("badge", *(f"badges/{s}" for s in SERVICES)):
        doc = json.loads((during / f"{name}.json").read_text(encoding="utf-8"))
        svg = read(during / f"{name}.svg")
        assert doc["schemaVersion"] == 1
        assert doc["label"] == svg["label"] and doc["message"] == svg["message"]
        assert re.fullmatch(r"[0-9a-f]{6}", doc["color"])
        assert "#" + doc["color"] == svg["rects"][1]["fill"]
        assert doc["cacheSeconds"] >= 300


HOSTILE_NAME = '<script>alert(1)</script> & "Zahlungen" \'über\' 💥 中文 ' + "x" * 80


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    site_yaml = SITE_YAML.replace("name: Public API", f"name: {json.dumps(HOSTILE_NAME, ensure_ascii=False)}")
    return render_to(make_repo(root, {}, site_yaml=site_yaml), root / "out", AFTER)


def test_hostile_and_long_service_names(hostile):
    out = hostile
    b = read(out / "badges/api.svg")
    assert b["title"] == f"Test Status – {HOSTILE_NAME}: operational"
    assert b["label"].startswith('<script>alert(1)</script> & "Zahlungen"') and b["label"].endswith("…")
    assert len(b["label"]) <= badges.MAX_LABEL
    assert b"<script>" not in (out / "badges/api.svg").read_bytes()
    assert json.loads((out / "badges/api.json").read_text(encoding="utf-8"))["label"] == HOSTILE_NAME


def test_identical_input_gives_identical_bytes(during, tmp_path):
    again = render_to(make_repo(tmp_path, FILES), tmp_path / "again", DURING)
    for path in svgs(during):
        assert (again / path.relative_to(during)).read_bytes() == path.read_bytes()


def test_end_to_end_statusgen_build_writes_the_badges(during, tmp_path):
    assert build(make_repo(tmp_path, FILES), tmp_path / "built", DURING) == 0
    for path in svgs(during):
        rel = path.relative_to(during)
        assert (tmp_path / "built" / rel).read_bytes() == path.read_bytes()
        assert (tmp_path / "built" / rel.with_suffix(".json")).read_bytes() == path.with_suffix(".json").read_bytes()
