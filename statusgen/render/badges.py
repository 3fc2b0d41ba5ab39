"""Status badges: badge.svg (the whole site) and badges/<service>.svg, plus shields.io endpoint JSON
(badge.json, badges/<service>.json) for people who style their badges with shields.

A badge is a flat two-part SVG: a grey label and the status in words on a colour that white text
reads on at WCAG AA contrast (4.5:1 or more). Text widths are estimated from a fixed table of
DejaVu Sans advance widths at 11 px (a Verdana-metric font), so output never depends on the
machine; textLength then makes any installed font fill exactly the estimated width.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from statusgen.derive import service_statuses
from statusgen.model import ComponentStatus, Site
from statusgen.render import Output

WORDS = {
    ComponentStatus.OPERATIONAL: "operational",
    ComponentStatus.UNDER_MAINTENANCE: "maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE: "degraded performance",
    ComponentStatus.PARTIAL_OUTAGE: "partial outage",
    ComponentStatus.MAJOR_OUTAGE: "major outage",
}
COLOURS = {  # each at least 4.5:1 against white text
    ComponentStatus.OPERATIONAL: "1a7f37",
    ComponentStatus.UNDER_MAINTENANCE: "0969da",
    ComponentStatus.DEGRADED_PERFORMANCE: "9a6700",
    ComponentStatus.PARTIAL_OUTAGE: "bc4c00",
    ComponentStatus.MAJOR_OUTAGE: "b42318",
}
LABEL_COLOUR = "555555"
TEXT_COLOUR = "ffffff"
FONT = "Verdana,DejaVu Sans,Geneva,sans-serif"
PAD = 6  # px either side of each text
MAX_LABEL = 48  # characters shown on a badge; the accessible name keeps the whole text

# Advance widths in px of ASCII 0x20..0x7e in DejaVu Sans at 11 px (measured once).
_ASCII_WIDTHS = (
    3.5, 4.41, 5.06, 9.22, 7.0, 10.45, 8.58, 3.02, 4.29, 4.29, 5.5, 9.22, 3.5, 3.97, 3.5, 3.71,
    7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 3.71, 3.71, 9.22, 9.22, 9.22, 5.84,
    11.0, 7.52, 7.55, 7.68, 8.47, 6.95, 6.33, 8.52, 8.27, 3.24, 3.24, 7.21, 6.13, 9.49, 8.23, 8.66,
    6.63, 8.66, 7.64, 6.98, 6.72, 8.05, 7.52, 10.88, 7.54, 6.72, 7.54, 4.29, 3.71, 4.29, 9.22, 5.5,
    5.5, 6.74, 6.98, 6.05, 6.98, 6.77, 3.87, 6.98, 6.97, 3.06, 3.06, 6.37, 3.06, 10.72, 6.97, 6.73,
    6.98, 6.98, 4.52, 5.73, 4.31, 6.97, 6.51, 6.51, 9.0, 6.51, 6.51, 5.77, 7.0, 3.71, 7.0, 9.22,
)
_WIDE = 11.0  # East Asian wide and full-width characters
_OTHER = 7.0  # any other character: about an average Latin letter
# Characters XML 1.0 forbids, and the Unicode controls no badge should carry.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def clean(text: str) -> str:
    return " ".join(_UNSAFE.sub("", text).split())


def text_width(text: str) -> float:
    """The estimated width in px of text at 11 px: deterministic, independent of installed fonts."""
    total = 0.0
    for ch in text:
        code = ord(ch)
        if 0x20 <= code <= 0x7E:
            total += _ASCII_WIDTHS[code - 0x20]
        elif unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            total += _WIDE
        else:
            total += _OTHER
    return round(total, 1)


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def svg(label: str, message: str, colour: str, name: str) -> bytes:
    """A flat badge; name is its accessible name (title and aria-label)."""
    label, message, name = shorten(clean(label)), clean(message), clean(name)
    lw, mw = text_width(label), text_width(message)
    left, right = math.ceil(lw) + 2 * PAD, math.ceil(mw) + 2 * PAD
    width = left + right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" viewBox="0 0 {width} 20" '
        f'role="img" aria-label={quoteattr(name)}>',
        f"<title>{escape(name)}</title>",
        '<g shape-rendering="crispEdges">',
        f'<rect width="{left}" height="20" fill="#{LABEL_COLOUR}"/>',
        f'<rect x="{left}" width="{right}" height="20" fill="#{colour}"/>',
        "</g>",
        f'<g fill="#{TEXT_COLOUR}" text-anchor="middle" font-family="{FONT}" font-size="11" aria-hidden="true">',
        f'<text x="{_num(left / 2)}" y="14" textLength="{_num(lw)}" lengthAdjust="spacingAndGlyphs">{escape(label)}</text>',
        f'<text x="{_num(left + right / 2)}" y="14" textLength="{_num(mw)}" lengthAdjust="spacingAndGlyphs">'
        f"{escape(message)}</text>",
        "</g>",
        "</svg>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


def endpoint(label: str, message: str, colour: str) -> bytes:
    """shields.io endpoint JSON: https://img.shields.io/endpoint?url=<this file's URL>."""
    doc = {
        "schemaVersion": 1,
        "label": clean(label),
        "message": message,
        "color": colour,
        "labelColor": LABEL_COLOUR,
        "cacheSeconds": 300,  # shields' minimum; the site itself changes only when rebuilt
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def overall(site: Site, now: datetime) -> ComponentStatus:
    """The worst status of any service, so the site badge speaks the same words as the others."""
    return max(service_statuses(site, now).values(), key=lambda s: s.rank, default=ComponentStatus.OPERATIONAL)


def render(site: Site, now: datetime) -> list[Output]:
    statuses = service_statuses(site, now)
    worst = overall(site, now)
    out = [
        ("badge.svg", svg("status", WORDS[worst], COLOURS[worst], f"{site.title}: {WORDS[worst]}")),
        ("badge.json", endpoint("status", WORDS[worst], COLOURS[worst])),
    ]
    for service in site.services:
        st = statuses[service.id]
        name = f"{site.title} – {service.name}: {WORDS[st]}"
        out.append((f"badges/{service.id}.svg", svg(service.name, WORDS[st], COLOURS[st], name)))
        out.append((f"badges/{service.id}.json", endpoint(service.name, WORDS[st], COLOURS[st])))
    return sorted(out)
