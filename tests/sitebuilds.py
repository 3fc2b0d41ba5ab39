"""Built sites for the page tests (HTML, browser, accessibility, validation, languages, sub-path).

Each site is built once per test run with the real `statusgen build` and shared by every test file
that asks for it (building the example takes a few seconds). Callers must not modify the output.
"""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import tempfile
from pathlib import Path

from lxml import html as lxml_html

from sitekit import SITE_YAML, build, incident, make_repo

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "content"

# The example's EU webhook incident is open, the payments maintenance is ahead.
EXAMPLE_NOW = "2026-11-22T09:00:00+01:00"
# Inside the payments maintenance window (the webhook incident is still open then).
MAINTENANCE_NOW = "2026-12-06T03:00:00+01:00"
OPEN_INCIDENT = "2026-11-22-eu-webhook-delivery-delays"
RESOLVED_WITH_POSTMORTEM = "2026-10-29-card-payments-failing"
MAINTENANCE = "2026-12-06-payments-payouts-maintenance"

_ROOT = Path(tempfile.mkdtemp(prefix="statusgen-pages-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)


def _slug(text: str | None) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text or "default")


def example_content(language: str = "en", base_url: str | None = None) -> Path:
    """A copy of content/ with site.yaml's language (and base_url) changed; the content stays as written."""
    target = _ROOT / f"content-{language}-{_slug(base_url)}"
    if not target.exists():
        shutil.copytree(EXAMPLE, target)
        site = target / "site.yaml"
        text = re.sub(r"(?m)^language: .*$", f"language: {language}", site.read_text(encoding="utf-8"))
        if base_url:
            text = re.sub(r"(?m)^base_url: .*$", f"base_url: {base_url}", text)
        site.write_text(text, encoding="utf-8")
    return target


@functools.cache
def example(language: str = "en", now: str = EXAMPLE_NOW, base_url: str | None = None) -> Path:
    """The example site built at `now` in `language`."""
    out = _ROOT / f"example-{language}-{_slug(now)}-{_slug(base_url)}"
    assert build(example_content(language, base_url), out, now) == 0
    return out


QUIET_SITE = {
    "incidents/2026/api-errors.md": incident(extra="postmortem: https://blog.test.example/api-errors\n"),
    "pages/contact.md": "---\ntitle: Contact\n---\nWrite to support@test.example.\n",
}


@functools.cache
def quiet(language: str = "en") -> Path:
    """A small site with nothing open: one resolved incident, one free page."""
    root = _ROOT / f"quiet-{language}"
    content = make_repo(root, QUIET_SITE, SITE_YAML.replace("language: en", f"language: {language}"))
    out = root / "public"
    assert build(content, out) == 0
    return out


def page_types(site: Path) -> dict[str, str]:
    """One page of each type in a built example site, by name: path relative to the site root."""
    types = {
        "front": "index.html",
        "incident-open": f"incidents/{OPEN_INCIDENT}/index.html",
        "incident-resolved": f"incidents/{RESOLVED_WITH_POSTMORTEM}/index.html",
        "maintenance": f"incidents/{MAINTENANCE}/index.html",
        "service": "services/webhooks/index.html",
        "history": "history/index.html",
        "month": "history/2026/10/index.html",
        "page": "about/index.html",
        "404": "404.html",
    }
    for rel in types.values():
        assert (site / rel).is_file(), rel
    return types


def parse(path: Path) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(path.read_bytes())


BLOCKS = frozenset("address article aside blockquote br dd details div dl dt figure footer form h1 h2 h3 h4 h5 h6 "
                   "header li main nav ol p pre section summary table td th tr ul".split())


def text_of(element) -> str:
    """Text as a reader sees it: whitespace collapsed, hidden elements and SVG titles left out."""
    parts: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if el.get("hidden") is not None or tag in ("script", "style", "title", "svg"):
            parts.append(el.tail or "")
            return
        block = tag in BLOCKS
        parts.append((" " if block else "") + (el.text or ""))
        for child in el:
            walk(child)
        parts.append((" " if block else "") + (el.tail or ""))

    walk(element)
    return " ".join("".join(parts).split())
