"""Accessibility: axe-core finds no violation (WCAG 2.2 A/AA and best practices) on any page type,
in light and dark mode; status never depends on colour alone."""

from __future__ import annotations

import pytest

from sitebuilds import MAINTENANCE_NOW, example, page_types, quiet
from tests.support.axe import AXE_TAGS, format_violations, run_axe
from tests.support.browser import open_page
from tests.support.server import serve_directory

# WCAG 2.2 AA as well: it adds target size, which matters on a phone.
TAGS = [*AXE_TAGS, "wcag22aa"]


@pytest.fixture(scope="module")
def served():
    """The example (open incident), the quiet site and the example during maintenance in Chinese."""
    with serve_directory(example()) as ex, serve_directory(quiet()) as calm, \
            serve_directory(example("zh", MAINTENANCE_NOW)) as during:  # fmt: skip
        yield {"example": ex, "quiet": calm, "during": during}


def cases() -> list[tuple[str, str, str]]:
    types = page_types(example())
    found = [("example", name, rel) for name, rel in types.items()]
    found += [("quiet", "front", "index.html"), ("during", "front", "index.html"),
              ("during", "maintenance", types["maintenance"])]  # fmt: skip
    return found


# Light on a phone, dark on a desktop: both schemes and both layouts, without doubling the runs.
@pytest.mark.parametrize(("scheme", "width"), [("light", 375), ("dark", 1280)])
def test_no_axe_violations(browser, served, scheme, width):
    failures = []
    # one tab for all pages: a new browser context per page costs more than the check itself
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme,
                                  timezone_id="Europe/Berlin")  # fmt: skip
    try:
        page = context.new_page()
        for site, name, rel in cases():
            page.goto(served[site] + rel)
            violations = run_axe(page, tags=TAGS)
            if violations:
                failures.append(f"--- {site} {name} ({scheme}, {width} px)\n{format_violations(violations)}")
    finally:
        context.close()
    assert failures == [], "\n".join(failures)


def test_status_is_told_by_text_and_icon_not_colour(browser, served):
    """Every coloured status mark comes with words, and every status icon is hidden from screen readers
    (the words say it)."""
    with open_page(browser, served["example"]) as loaded:
        page = loaded.page
        statuses = page.locator(".status, .phase")
        assert statuses.count() > 20
        for text in statuses.all_inner_texts():
            assert text.strip(), "a status without words"
        icons = page.locator("svg.icon")
        assert icons.count() == page.locator("svg.icon[aria-hidden='true']").count() > 20
        # the overall status is the page's first heading, in words
        assert page.get_by_role("heading", level=1).inner_text().strip() == "Minor service disruption"
        # each uptime bar is an image with a text alternative
        bars = page.get_by_role("img", name="uptime in the last 90 days")
        assert bars.count() == 8
