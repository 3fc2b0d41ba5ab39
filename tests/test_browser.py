"""The pages in a real browser (Debian's Chromium via Playwright): what a reader sees, no errors and
nothing fetched from elsewhere, phone and desktop in light and dark, without JavaScript, in the
reader's own time zone, and refreshing themselves while an incident is open.

Screenshots of the front page go to test-artifacts/front-<width>-<scheme>.png.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sitebuilds import EXAMPLE_NOW, OPEN_INCIDENT, example, page_types, quiet
from sitekit import build, incident, make_repo
from tests.support.browser import open_page
from tests.support.server import serve_directory

PHONE, DESKTOP = 375, 1280
BUILT_AT = datetime.fromisoformat(EXAMPLE_NOW)


@pytest.fixture(scope="module")
def served():
    with serve_directory(example()) as ex, serve_directory(quiet()) as calm:
        yield {"example": ex, "quiet": calm}


def seen(locator) -> str:
    """A locator's visible text; browsers and CLDR versions differ in which space goes before AM/PM."""
    return locator.inner_text().replace("\u202f", " ").replace("\u00a0", " ").strip()


def new_tab(browser, *, clock: datetime | None = BUILT_AT, width: int = DESKTOP, scheme: str = "light",
            timezone_id: str = "Europe/Berlin", **options):  # fmt: skip
    """A page with its clock frozen at the build instant (so relative times read as they would then)."""
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme,
                                  timezone_id=timezone_id, **options)  # fmt: skip
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    if clock is not None:
        page.clock.install(time=clock)
    return context, page, errors


def test_every_page_type_loads_cleanly_and_fits_a_phone(browser, served):
    # one tab per site (open_page blocks other origins) that records problems for as long as it lives
    for base, rels in ((served["example"], page_types(example()).values()), (served["quiet"], ["index.html"])):
        with open_page(browser, base, width=PHONE, height=700) as loaded:
            for rel in rels:
                loaded.page.goto(base + rel, wait_until="networkidle")
                assert loaded.problems() == [], rel
                overflow = loaded.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{rel} scrolls sideways on a phone by {overflow}px"
    # a missing page gets the 404 page from a real server; here, check the file renders cleanly
    with open_page(browser, served["example"] + "404.html") as loaded:
        assert seen(loaded.page.get_by_role("heading", level=1)) == "Page not found"


def test_what_a_reader_sees_on_the_front_page(browser, served):
    context, page, errors = new_tab(browser)
    try:
        page.goto(served["example"])
        assert seen(page.get_by_role("heading", level=1)) == "Minor service disruption"
        overall = page.locator("#overall")
        assert "Webhooks" in seen(overall) and "Degraded performance" in seen(overall)
        card = page.locator(f"#open-{OPEN_INCIDENT}")
        assert card.get_by_role("link", name="Delayed webhook deliveries for EU customers").is_visible()
        text = seen(card)
        assert "Update · Nov 22, 2026, 8:28 AM CET" in text
        assert "About 58,000 queued events are being delivered" in text
        assert "Next update expected by Nov 22, 2026, 9:15 AM CET" in text
        # statusgen.js adds the relative time; the clock is frozen at the build instant
        assert "As of Nov 22, 2026, 9:00 AM CET" in seen(overall)
        # the maintenance notice is collapsed but its facts are visible
        maint = page.locator("#maintenance")
        assert "Dec 6, 2026, 2:00 AM – 4:00 AM CET" in seen(maint)
        assert seen(page.locator("#service-webhooks .status")) == "Degraded performance"
        assert errors == []
    finally:
        context.close()


def test_front_page_screenshots(browser, served, artifacts_dir: Path):
    for width in (PHONE, DESKTOP):
        for scheme in ("light", "dark"):
            context, page, errors = new_tab(browser, width=width, scheme=scheme)
            try:
                page.goto(served["example"])
                path = artifacts_dir / f"front-{width}-{scheme}.png"
                page.screenshot(path=str(path), full_page=True)
                assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert (background == "rgb(255, 255, 255)") == (scheme == "light"), background
                if width == PHONE:  # one incident page too, to look at
                    page.goto(served["example"] + f"incidents/{OPEN_INCIDENT}/")
                    page.screenshot(path=str(artifacts_dir / f"incident-{width}-{scheme}.png"), full_page=True)
                assert errors == []
            finally:
                context.close()


def test_complete_without_javascript(browser, served):
    with open_page(browser, served["example"], java_script_enabled=False) as loaded:
        page = loaded.page
        assert seen(page.get_by_role("heading", level=1)) == "Minor service disruption"
        text = seen(page.locator("main"))
        assert "Next update expected by Nov 22, 2026, 9:15 AM CET." in text
        assert "Times are shown in Central European Time (Europe/Berlin)." in seen(page.locator("footer"))
        assert loaded.problems() == []


def test_times_in_the_readers_zone_and_back(browser, served):
    context, page, errors = new_tab(browser, timezone_id="Asia/Tokyo")
    try:
        page.goto(served["example"])
        promise = page.locator(f"#open-{OPEN_INCIDENT} .next time").first
        assert seen(promise) == "Nov 22, 2026, 5:15 PM GMT+9"
        assert promise.get_attribute("title").replace("\u202f", " ") == "Nov 22, 2026, 9:15 AM CET"  # on hover
        note = page.locator("#zone-note")
        assert seen(note) == "Times are shown in your time zone, Asia/Tokyo."
        # a same-day range in the site's zone crosses no day in Tokyo either: one date, one zone
        assert "Dec 6, 2026, 10:00 AM – 12:00 PM GMT+9" in seen(page.locator("#maintenance"))
        page.get_by_role("button", name="Show times in Central European Time").click()
        assert seen(promise) == "Nov 22, 2026, 9:15 AM CET"
        assert seen(note).startswith("Times are shown in Central European Time")
        page.get_by_role("button", name="Show times in my time zone").click()
        assert seen(promise).endswith("GMT+9")
        assert errors == []
    finally:
        context.close()


# ---------------------------------------------------------------- refreshing while something is open

OPEN = incident("Webhook deliveries are delayed", services="[webhooks]", impact="minor",
                started="2026-11-22 08:00 +01:00", resolved=None,
                body="## 2026-11-22 08:10 +01:00 — Investigating\nDeliveries are up to 20 minutes late.\n")  # fmt: skip
RESOLVED = incident("Webhook deliveries are delayed", services="[webhooks]", impact="minor",
                    started="2026-11-22 08:00 +01:00", resolved="2026-11-22 08:40 +01:00",
                    body="## 2026-11-22 08:40 +01:00 — Resolved\nAll deliveries are on time again.\n\n"
                         "## 2026-11-22 08:10 +01:00 — Investigating\nDeliveries are up to 20 minutes late.\n")  # fmt: skip
# Many services, so the page is long enough to scroll.
MANY = "".join(f"  - id: svc{n}\n    name: Service {n}\n    group: Extra\n" for n in range(20))


def test_open_incident_page_refreshes_in_place_and_stops_when_resolved(browser, tmp_path):
    from sitekit import SITE_YAML

    content = make_repo(tmp_path, {"incidents/webhooks.md": OPEN}, SITE_YAML + MANY)
    out = tmp_path / "out"
    assert build(content, out, "2026-11-22T08:20:00+01:00") == 0
    with serve_directory(out) as base:
        context, page, errors = new_tab(browser, clock=datetime.fromisoformat("2026-11-22T08:20:00+01:00"))
        fetched: list[str] = []
        page.on("request", lambda r: r.resource_type == "fetch" and fetched.append(r.url))
        try:
            page.goto(base)
            assert seen(page.get_by_role("heading", level=1)) == "Minor service disruption"
            assert page.locator("html").get_attribute("data-refresh") == "60"
            # the reader scrolls down to the services; the open incident card is above them
            page.locator("#service-svc5").scroll_into_view_if_needed()
            page.evaluate("window.scrollBy(0, 40)")
            before = page.evaluate("[window.scrollY, document.getElementById('service-svc10').getBoundingClientRect().top]")
            # nothing new yet: a poll that finds the same build changes nothing
            with page.expect_response(base):
                page.clock.run_for(61_000)
            page.wait_for_timeout(200)
            assert len(fetched) == 1 and page.locator("#open").count() == 1
            assert page.evaluate("window.scrollY") == before[0]
            # the incident is resolved and the site rebuilt
            (content / "incidents" / "webhooks.md").write_text(RESOLVED, encoding="utf-8")
            assert build(content, out, "2026-11-22T08:45:00+01:00") == 0
            with page.expect_response(base):
                page.clock.run_for(60_000)
            page.wait_for_function("document.querySelector('h1').textContent.includes('All systems operational')")
            assert page.locator("#open").count() == 0  # the card above the reader is gone...
            after = page.evaluate("[window.scrollY, document.getElementById('service-svc10').getBoundingClientRect().top]")
            assert abs(after[1] - before[1]) <= 2, (before, after)  # ...yet what they read stays in place
            assert after[0] < before[0]
            assert seen(page.locator("#live")) == "The page was updated with the latest status."
            # nothing is open any more: no more polling
            assert page.locator("html").get_attribute("data-refresh") is None
            polls = len(fetched)
            page.clock.run_for(5 * 60_000)
            page.wait_for_timeout(300)
            assert len(fetched) == polls == 2
            assert errors == []
        finally:
            context.close()
