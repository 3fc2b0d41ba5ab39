"""The HTML pages as a reader (and a crawler) finds them, read back with a real HTML parser (lxml).

Built with the real `statusgen build` from the example content (an open incident and an upcoming
maintenance at EXAMPLE_NOW) and from a small quiet site with nothing open.
"""

from __future__ import annotations

import filecmp
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from sitebuilds import (
    EXAMPLE_NOW, MAINTENANCE, MAINTENANCE_NOW, OPEN_INCIDENT, RESOLVED_WITH_POSTMORTEM, example, page_types, parse,
    quiet, text_of,
)  # fmt: skip
from sitekit import build, incident, make_repo

BUDGET = 60 * 1024  # front page HTML + CSS + JS, uncompressed


@pytest.fixture(scope="module")
def site() -> Path:
    return example()


def main_text(site: Path, rel: str) -> str:
    return text_of(parse(site / rel).xpath("//main")[0])


def by_class(doc, name: str) -> list:
    return doc.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]")


# ---------------------------------------------------------------- what a reader sees


def test_front_page_answers_is_it_them_or_me(site):
    doc = parse(site / "index.html")
    overall = doc.xpath("//section[@id='overall']")[0]
    assert text_of(overall.xpath(".//h1")[0]) == "Minor service disruption"
    # the affected service is named with its status in words (the icon is decoration)
    assert [text_of(li) for li in overall.xpath(".//ul[@class='now-affected']/li")] == ["Webhooks Degraded performance"]
    assert "The other 7 services are operating normally." in text_of(overall)
    assert "As of Nov 22, 2026, 9:00 AM CET" in text_of(overall)


def test_front_page_open_incident_card(site):
    doc = parse(site / "index.html")
    (card,) = doc.xpath("//section[@id='open']//article")
    text = text_of(card)
    assert text_of(card.xpath(".//h3")[0]) == "Delayed webhook deliveries for EU customers"
    assert card.xpath(".//h3/a/@href") == [f"incidents/{OPEN_INCIDENT}/"]
    assert "Ongoing · Minor impact · since Nov 22, 2026, 7:40 AM CET" in text
    assert "Affected Webhooks Degraded performance" in text
    assert "Not affected Public API, Dashboard, Card payments" in text
    # the latest update, with its stage and time; older updates stay on the incident page
    assert "Update · Nov 22, 2026, 8:28 AM CET" in text
    assert "About 58,000 queued events are being delivered" in text
    assert "Webhooks to endpoints in our EU region are arriving" not in text
    # the promise is shown once, as a time in the site's zone, not as the author's raw line
    assert "Next update expected by Nov 22, 2026, 9:15 AM CET." in text
    assert "Next update by 09:15 +01:00" not in text


def test_front_page_maintenance_services_and_history(site):
    doc = parse(site / "index.html")
    maint = text_of(doc.xpath("//section[@id='maintenance']")[0])
    assert "Maintenance of card payment and payout systems" in maint
    assert "Scheduled · Dec 6, 2026, 2:00 AM – 4:00 AM CET" in maint
    services = {text_of(li.xpath(".//div[@class='service-head']/a")[0]): li for li in by_class(doc, "service")}
    assert list(services) == ["Public API", "Webhooks", "Login & SSO", "Dashboard", "Mobile apps",
                              "Invoice delivery – email & PDF", "Card payments", "Bank payouts"]  # fmt: skip
    assert text_of(by_class(services["Webhooks"], "status")[0]) == "Degraded performance"
    assert text_of(by_class(services["Public API"], "status")[0]) == "Operational"
    assert text_of(by_class(services["Card payments"], "pct")[0]) == "99.93%"
    # the bar is one image with a text alternative
    (bar,) = services["Card payments"].xpath(".//*[local-name()='svg'][@role='img']")
    assert bar.get("aria-label") == "99.93% uptime in the last 90 days; 1 day with incidents"
    # the day with an incident stands taller than the plain days (shape, not only colour)
    (day,) = bar.xpath(".//*[local-name()='rect'][contains(@class, 'd-major_outage')]")
    (plain,) = doc.xpath("//*[local-name()='pattern'][@id='days']/*[local-name()='rect']")
    assert float(day.get("height")) > float(plain.get("height"))
    assert "Oct 29, 2026: Major outage" in day.xpath("string(*[local-name()='title'])")
    recent = doc.xpath("//section[@id='recent']//li/a/text()")
    assert recent[0] == "Invoice PDFs generated without the company logo" and len(recent) == 10
    assert OPEN_INCIDENT not in "".join(doc.xpath("//section[@id='recent']//a/@href"))


def test_quiet_site_says_so_and_does_not_refresh():
    out = quiet()
    doc = parse(out / "index.html")
    assert text_of(doc.xpath("//h1")[0]) == "All systems operational"
    assert "We are not aware of any problems with our services." in text_of(doc.xpath("//main")[0])
    assert doc.xpath("//section[@id='open']") == []
    assert doc.get("data-refresh") is None
    assert not any("refresh." in s for s in doc.xpath("//script/@src"))


def test_refresh_only_where_something_is_open(site):
    assert parse(site / "index.html").get("data-refresh") == "60"
    assert parse(site / f"incidents/{OPEN_INCIDENT}/index.html").get("data-refresh") == "60"
    for rel in (f"incidents/{RESOLVED_WITH_POSTMORTEM}/index.html", f"incidents/{MAINTENANCE}/index.html",
                "services/webhooks/index.html", "history/index.html"):  # fmt: skip
        assert parse(site / rel).get("data-refresh") is None, rel
    during = example(now=MAINTENANCE_NOW)
    assert parse(during / f"incidents/{MAINTENANCE}/index.html").get("data-refresh") == "60"


def test_incident_page(site):
    doc = parse(site / f"incidents/{RESOLVED_WITH_POSTMORTEM}/index.html")
    main = doc.xpath("//main")[0]
    assert text_of(main.xpath(".//h1")[0]) == "Card payments failing for all customers"
    facts = dict(zip((text_of(e) for e in main.xpath(".//dl/dt")), (text_of(e) for e in main.xpath(".//dl/dd"))))
    assert facts["Started"] == "Oct 29, 2026, 4:48 PM CET"
    assert facts["Resolved"] == "Oct 29, 2026, 6:20 PM CET"
    assert facts["Duration"] == "1 h 32 min"
    assert facts["Affected"] == "Card payments Major outage Bank payouts Degraded performance"
    assert facts["Not affected"] == "Public API Dashboard Invoice delivery – email & PDF"
    stages = [text_of(h) for h in main.xpath(".//section[contains(@class,'timeline')]//h3/span")]
    assert stages == ["Resolved", "Monitoring", "Update", "Identified", "Investigating"]  # newest first
    first = main.xpath(".//article[contains(@class,'stage-investigating')]")[0]
    assert "Next update promised by Oct 29, 2026, 5:15 PM CET." in text_of(first)
    assert text_of(main.xpath(".//section[contains(@class,'postmortem')]/h2")[0]) == "Postmortem"
    # every update has a stable anchor that its time links to
    for art in main.xpath(".//article[contains(@class,'update')]"):
        assert art.xpath(".//a[@class='when']/@href") == ["#" + art.get("id")]


def test_open_incident_and_maintenance_pages(site):
    open_page = main_text(site, f"incidents/{OPEN_INCIDENT}/index.html")
    assert "Ongoing · Minor impact · since Nov 22, 2026, 7:40 AM CET" in open_page
    assert "Next update expected by Nov 22, 2026, 9:15 AM CET." in open_page
    assert "Detection Detected by our monitoring" in open_page
    maint = main_text(site, f"incidents/{MAINTENANCE}/index.html")
    assert "Scheduled Dec 6, 2026, 2:00 AM – 4:00 AM CET" in maint
    assert "Started" not in maint  # not yet


def test_service_history_month_and_free_pages(site):
    service = main_text(site, "services/payments/index.html")
    assert "Card payments Operational" in service
    assert "Uptime, 90 days 99.93%" in service
    assert "Card payments failing for all customers" in service
    doc = parse(site / "history/index.html")
    months = [text_of(li) for li in doc.xpath("//ul[@class='months']/li")]
    assert months[0] == "December 2026 1 entry" and "October 2026 2 entries" in months
    month = main_text(site, "history/2026/10/index.html")
    assert "October 2026" in month and "Card payments failing for all customers" in month
    assert "CSV exports from the Dashboard timing out for long date ranges" in month
    about = parse(site / "about/index.html")
    assert text_of(about.xpath("//h1")[0]) == "About this page"
    assert about.xpath("//nav[@aria-label='Site']//a[text()='About this page']")


def test_404_links_work_at_any_depth():
    out = example(base_url="https://example.test/status/")
    doc = parse(out / "404.html")
    hrefs = doc.xpath("//a/@href|//link/@href|//script/@src")
    assert hrefs and all(h.startswith(("/status/", "#", "https://", "mailto:")) for h in hrefs), hrefs
    assert doc.xpath("//link[@rel='canonical']") == []


def test_every_time_names_its_zone_and_is_machine_readable(site):
    for rel in page_types(site).values():
        for t in parse(site / rel).xpath("//time"):
            assert t.get("datetime"), rel
            if t.get("data-f") != "dt":  # a range's start: its end names the zone
                assert t.text.endswith((" CET", " CEST")), (rel, t.text)


def test_untrusted_titles_are_escaped(tmp_path):
    evil = '<img src=x onerror=alert(1)> & "quotes"'
    content = make_repo(tmp_path, {"incidents/a.md": incident(title=f"'{evil}'", resolved=None)})
    assert build(content, tmp_path / "out") == 0
    raw = (tmp_path / "out" / "index.html").read_text()
    assert "<img src=x" not in raw
    doc = parse(tmp_path / "out" / "index.html")
    assert text_of(doc.xpath("//section[@id='open']//h3")[0]) == evil


# ---------------------------------------------------------------- links, assets, budget, determinism


def local_targets(doc) -> list[str]:
    """Every URL a browser or a crawler would fetch or follow from the page."""
    return doc.xpath("//a/@href|//link/@href|//script/@src|//img/@src|//*[local-name()='use']/@href")


def resolve(site: Path, page: str, ref: str) -> tuple[Path, str] | None:
    """(file in the build, fragment) that a relative reference from page points to; None if external."""
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc:
        return None
    base = posixpath.dirname(page)
    path = unquote(parts.path)
    target = posixpath.normpath(posixpath.join(base, path)) if path else page
    if path.endswith("/") or path in ("./", "."):
        target = posixpath.join(target, "index.html")
    assert not target.startswith(".."), f"{page}: {ref} leaves the site"
    return site / target, parts.fragment


@pytest.mark.parametrize("which", ["example", "quiet"])
def test_every_internal_link_and_asset_resolves(which):
    site = example() if which == "example" else quiet()
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "404.html")
    assert len(pages) > (50 if which == "example" else 5)
    checked = 0
    for rel in pages:
        doc = parse(site / rel)
        for ref in local_targets(doc):
            found = resolve(site, rel, ref)
            if found is None:
                continue
            path, fragment = found
            if path.is_dir():
                path = path / "index.html"
            assert path.is_file(), f"{rel}: {ref} -> {path.relative_to(site)} is missing"
            if fragment and path.suffix == ".html":
                target = doc if path == site / rel else parse(path)
                assert target.xpath(f"//*[@id='{fragment}']"), f"{rel}: {ref} has no #{fragment}"
            checked += 1
    assert checked > len(pages) * 10


def test_front_page_weighs_under_budget(site):
    doc = parse(site / "index.html")
    files = ["index.html", *doc.xpath("//link[@rel='stylesheet']/@href"), *doc.xpath("//script/@src")]
    sizes = {f: (site / f).stat().st_size for f in files}
    assert len(sizes) >= 3 and sum(sizes.values()) < BUDGET, sizes
    # no web fonts and nothing from another origin
    css = "".join((site / f).read_text() for f in doc.xpath("//link[@rel='stylesheet']/@href"))
    assert "@font-face" not in css and "url(http" not in css and "@import" not in css
    assert not [u for u in local_targets(doc) if urlsplit(u).scheme in ("http", "https") and "//" in u
                and not u.startswith(("https://blog.", "https://status.nimbusledger.example/"))]  # fmt: skip


def test_builds_are_byte_identical(tmp_path):
    content = Path(__file__).resolve().parents[1] / "content"
    a, b = tmp_path / "a", tmp_path / "b"
    assert build(content, a, EXAMPLE_NOW) == 0 and build(content, b, EXAMPLE_NOW) == 0
    compared = filecmp.dircmp(a, b)
    assert not compared.diff_files and not compared.left_only and not compared.right_only

    def all_files(d: Path) -> dict[str, bytes]:
        return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}

    files_a, files_b = all_files(a), all_files(b)
    assert files_a == files_b and sum(k.endswith(".html") for k in files_a) > 50


def test_ranges_name_the_zone_once_unless_the_clocks_change(tmp_path):
    content = make_repo(tmp_path, {
        "incidents/short.md": incident("Short", started="2026-11-20 14:05 +01:00", resolved="2026-11-20 15:40 +01:00"),
        "incidents/dst.md": incident("Across the clock change", started="2026-03-29 01:30 +01:00",
                                     resolved="2026-03-29 04:00 +02:00", body=""),
    })  # fmt: skip
    assert build(content, tmp_path / "out") == 0
    rows = {text_of(li.xpath("a")[0]): text_of(li) for li in parse(tmp_path / "out" / "history/2026/03/index.html")
            .xpath("//li[@class='incident-row']") + parse(tmp_path / "out" / "history/2026/11/index.html")
            .xpath("//li[@class='incident-row']")}  # fmt: skip
    assert "Nov 20, 2026, 2:05 PM – 3:40 PM CET · 1 h 35 min" in rows["Short"].replace("\u202f", " ")
    assert "Mar 29, 2026, 1:30 AM CET – Mar 29, 2026, 4:00 AM CEST · 1 h 30 min" in rows[
        "Across the clock change"].replace("\u202f", " ")


def test_a_theme_may_redefine_the_macros_the_default_pages_use(tmp_path):
    """time and icon are written in Python for speed, and the default pages import _macros.html without
    their context: a site's own _macros.html still shapes every page, and its url() and asset() link
    from the page being rendered, at any depth."""
    from statusgen.theme import builtin_themes_dir

    macros = (builtin_themes_dir() / "default" / "templates" / "_macros.html").read_text()
    macros = macros.replace("{% set time = time_tag %}", "{% macro time(t, f=none, relative=false, due=false) -%}"
                            '<time datetime="{{ t.iso }}" class="mine">{{ t.day }}</time>{%- endmacro %}')
    macros = macros.replace("{% set icon = icon_tag %}", "{% macro icon(status) -%}"
                            '<img class="mine" src="{{ asset(\'favicon.svg\') }}" alt="" data-home="{{ url(\'\') }}">'
                            "{%- endmacro %}")  # fmt: skip
    content = make_repo(tmp_path, {"incidents/a.md": incident(), "templates/_macros.html": macros})
    out = tmp_path / "public"
    assert build(content, out) == 0
    for rel, home in (("index.html", "./"), ("incidents/a/index.html", "../../"), ("history/2026/11/index.html",
                                                                                   "../../../")):
        doc = parse(out / rel)
        times = doc.xpath("//time[not(@data-f='dt')]")  # a range's start is written in the span macro itself
        assert times and all(t.get("class") == "mine" for t in times), rel
        icons = doc.xpath("//img[@class='mine']")
        assert icons and {i.get("data-home") for i in icons} == {home}, rel
        for src in {i.get("src") for i in icons}:  # the asset, linked from this page's folder
            assert (out / posixpath.dirname(rel) / src).is_file(), (rel, src)
    assert "Nov 20, 2026" in text_of(parse(out / "incidents/a/index.html").xpath("//dl[@class='facts']")[0])


def test_template_words_escape_what_they_are_given(tmp_path):
    """The templates' gettext remembers what it said: text and markup of the same characters are
    different values (the one escaped, the other not), also when said one after the other."""
    from datetime import timezone

    from markupsafe import Markup

    from statusgen.i18n import ui_for
    from statusgen.render import html
    from statusgen.theme import Theme

    (tmp_path / "t.html").write_text("{{ _('Contact %(who)s.', who=raw) }}|{{ _('Contact %(who)s.', who=safe) }}|"
                                     "{{ _('Contact %(who)s.', who=raw) }}|{{ _('100%% sure') }}")  # fmt: skip
    env = html.template_environment(Theme((tmp_path,), ()), ui_for("en", timezone.utc))
    said = env.get_template("t.html").render(raw="<b>x</b>", safe=Markup("<b>x</b>"))
    assert said == "Contact &lt;b&gt;x&lt;/b&gt;.|Contact <b>x</b>.|Contact &lt;b&gt;x&lt;/b&gt;.|100% sure"


@pytest.mark.parametrize("page", ["", "incidents/a/", "services/api/", "history/", "history/2026/11/", "about/",
                                  "feed.xml", "a/../b/"])  # fmt: skip
def test_links_worked_out_once_per_folder_are_the_same_links(page):
    from statusgen import urls

    shared: dict = {}
    targets = ["", "feed.xml", "history/", "history/2026/10/", "incidents/a/", "incidents/b/", "services/api/",
               "assets/style.0123456789.css", "about/", "../x/", "a//b/", "./", "history/../services/"]  # fmt: skip
    for other in ("incidents/z/", "history/2025/01/", "services/web/", ""):  # neighbours fill the memo first
        link = urls.linker(other, shared)
        for target in targets:
            assert link(target) == urls.relative(other, target)
    link = urls.linker(page, shared)
    assert [link(t) for t in targets] == [urls.relative(page, t) for t in targets]
