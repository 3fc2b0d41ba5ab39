"""The page follows the reader's clock, in a real browser, without a reload.

Playwright's clock API freezes the page's clock just before a boundary the build knows about
(a maintenance window's start and end, an open incident's promised next update), moves it past,
and the page's words change in place: statusgen.js reads the times the page carries in
data-* attributes and <time datetime>. Without JavaScript the page still states when it was
generated and every window's exact times.
"""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sitekit import build, incident, make_repo
from tests.support.server import serve_directory

MAINTENANCE = """\
    ---
    type: maintenance
    title: Dashboard database upgrade
    services: [dashboard]
    scheduled: {start: 2026-12-01 02:00 +01:00, end: 2026-12-01 04:00 +01:00}
    ---
    ## 2026-11-24 10:00 +01:00 — Scheduled
    We will upgrade the database; the Dashboard will be read-only for up to 15 minutes.
    """
OPEN = incident(
    "Webhook deliveries are delayed", services="[webhooks]", impact="minor",
    started="2026-11-22 08:00 +01:00", resolved=None,
    body="## 2026-11-22 08:10 +01:00 — Investigating\nDeliveries are up to 20 minutes late.\nNext update by 08:45.\n",
)  # fmt: skip


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clock")
    maint = make_repo(root / "m", {"incidents/dashboard-db.md": MAINTENANCE})
    open_ = make_repo(root / "o", {"incidents/webhooks-delay.md": OPEN})
    outs = {"maint": root / "maint-out", "open": root / "open-out"}
    assert build(maint, outs["maint"], "2026-12-01T00:30:00Z") == 0  # half an hour before the window
    assert build(open_, outs["open"], "2026-11-22T07:30:00Z") == 0  # a quarter before the promise
    return outs


class Tab:
    """A page whose clock is installed before it loads, recording errors and reloads."""

    def __init__(self, browser, url: str, clock: datetime, **options):
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.clock.install(time=clock)
        self.page.goto(url)
        self.page.evaluate("window.__loadedOnce = true")  # gone if the page reloads

    def text(self, selector: str) -> str:
        return " ".join(self.page.locator(selector).first.inner_text().split())

    def not_reloaded(self) -> bool:
        return self.page.evaluate("window.__loadedOnce === true")

    def close(self) -> None:
        self.context.close()


def test_maintenance_moves_from_scheduled_to_in_progress_to_completed(browser, sites):
    with serve_directory(sites["maint"]) as base:
        tab = Tab(browser, base, utc(2026, 12, 1, 0, 59, 30), timezone_id="America/New_York")
        try:
            page, badge, notice = tab.page, "main [data-phases]", "[data-valid-until]"
            assert tab.text(badge) == "Scheduled"
            assert "p-upcoming" in page.locator(badge).first.get_attribute("class")
            assert page.locator(notice).is_hidden()
            # The build instant ages with the reader's clock.
            assert "(29 minutes ago)" in tab.text("footer")

            page.clock.fast_forward(60_000)  # 01:00:30 UTC: the window has begun
            assert tab.text(badge) == "In progress"
            badge_class = page.locator(badge).first.get_attribute("class")
            assert "p-in_progress" in badge_class and "p-upcoming" not in badge_class
            # What the script cannot redo (service statuses, the overall status) is flagged instead.
            assert page.locator(notice).is_visible()
            assert "may be out of date" in tab.text(notice)
            assert "(30 minutes ago)" in tab.text("footer")

            page.clock.fast_forward("02:00:00")  # 03:00:30 UTC: the window is over
            assert tab.text(badge) == "Completed"
            assert page.locator(f"{badge} use").first.get_attribute("href") == "#i-operational"
            assert "(2 hours ago)" in tab.text("footer")

            assert tab.not_reloaded()
            assert tab.errors == []
        finally:
            tab.close()


def test_incident_page_turns_a_promise_overdue(browser, sites):
    with serve_directory(sites["open"]) as base:
        tab = Tab(browser, base + "incidents/webhooks-delay/", utc(2026, 11, 22, 7, 44, 50))
        try:
            page, promise = tab.page, "main [data-due-at]"
            assert page.locator(f"{promise} .before-due").is_visible()
            assert page.locator(f"{promise} .after-due").is_hidden()
            assert "Next update expected by" in tab.text(promise)
            assert "overdue" not in page.locator(promise).get_attribute("class")

            page.clock.fast_forward(15_000)  # 07:45:05 UTC, five seconds past the promise
            assert "Next update was due by" in tab.text(promise)
            assert page.locator(f"{promise} .before-due").is_hidden()
            assert "overdue" in page.locator(promise).get_attribute("class")
            assert tab.not_reloaded()
            assert tab.errors == []
        finally:
            tab.close()


def test_without_javascript_the_page_states_its_time_and_the_window(browser, sites):
    with serve_directory(sites["maint"]) as base:
        tab = Tab(browser, base, utc(2026, 12, 1, 3, 30), java_script_enabled=False)
        try:
            text = tab.text("body")
            # Generated at 00:30 UTC = 01:30 in Berlin; the window 02:00–04:00 Berlin.
            assert "Page generated" in text and "1:30" in text
            assert "2:00" in text and "4:00" in text and "CET" in text
            # Nothing it says is false later on: the notice and the stale wording stay hidden.
            assert tab.page.locator("[data-valid-until]").is_hidden()
            assert "Scheduled" in tab.text("main [data-phases]")
            assert tab.errors == []
        finally:
            tab.close()
