"""Subscriber feeds, built the way a user builds a site and read back with real parsers:
feedparser for RSS and Atom, ElementTree for exact XML text, jsonschema for JSON Feed and
RELAX NG (jing) for Atom's structure."""

from __future__ import annotations

import calendar
import json
import shutil
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import jsonschema
import pytest

from sitekit import SITE_YAML, build, incident, make_repo

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://status.test.example/"
ATOM = "{http://www.w3.org/2005/Atom}"

MAINTENANCE = """\
---
type: maintenance
title: Database upgrade for the Dashboard
services: [dashboard]
scheduled: {start: 2026-12-01 02:00 +01:00, end: 2026-12-01 04:00 +01:00}
---
## 2026-11-21 10:00 +01:00 — Scheduled
We will upgrade the Dashboard's database. It will be read-only for up to 15 minutes.

## 2026-11-21 18:00 +01:00 — Update
The window is confirmed.
"""

FILES = {
    # 14:12, 14:25 and 15:40 +01:00 (CET), the last one Resolved
    "incidents/2026/eu-api-errors.md": incident("Elevated error rates on the Public API in Europe"),
    # summer (CEST, +02:00), two services, times written with a zone name and in UTC
    "incidents/2026/summer-outage.md": incident(
        "Dashboard and API unavailable",
        services="{api: major_outage, dashboard: partial_outage}",
        impact="critical",
        started="2026-07-15 09:00 Europe/Berlin",
        resolved="2026-07-15T08:30:00Z",
        body=(
            "## 2026-07-15 09:10 Europe/Berlin — Investigating\nBoth are down. **We are on it.**\n\n"
            "## 2026-07-15T08:30:00Z — Resolved\nBack to normal.\n"
        ),
    ),
    # the night the clocks go back: 02:30 CEST and, an hour later, 02:30 CET
    "incidents/2026/dst-night.md": incident(
        "Nightly sync delayed",
        impact="minor",
        started="2026-10-25T00:20:00Z",
        resolved="2026-10-25T01:30:00Z",
        body=(
            "## 2026-10-25T00:30:00Z — Investigating\nThe sync is late.\n\n"
            "## 2026-10-25T01:30:00Z — Resolved\nThe sync has caught up.\n"
        ),
    ),
    "incidents/2026/db-upgrade.md": MAINTENANCE,
}

# (incident id, update UTC time) of every update, per feed; 'webhooks' has none.
UPDATES = {
    "eu-api-errors": ["20261120T131200Z", "20261120T132500Z", "20261120T144000Z"],
    "summer-outage": ["20260715T071000Z", "20260715T083000Z"],
    "dst-night": ["20261025T003000Z", "20261025T013000Z"],
    "db-upgrade": ["20261121T090000Z", "20261121T170000Z"],
}
AFFECTS = {
    "eu-api-errors": {"api"},
    "summer-outage": {"api", "dashboard"},
    "dst-night": {"api"},
    "db-upgrade": {"dashboard"},
}
FEEDS = {"": None, "services/api/": "api", "services/dashboard/": "dashboard", "services/webhooks/": "webhooks"}


def tag(incident_id: str, stamp: str) -> str:
    day = f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}"
    return f"tag:status.test.example,{day}:incidents/{incident_id}/update-{stamp}"


def expected_ids(service: str | None) -> set[str]:
    return {
        tag(iid, stamp)
        for iid, stamps in UPDATES.items()
        if service is None or service in AFFECTS[iid]
        for stamp in stamps
    }


def utc(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def feed_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("feed.*"))}


def parsed_utc(entry) -> datetime:
    return datetime.fromtimestamp(calendar.timegm(entry.published_parsed), timezone.utc)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("feeds")
    assert build(make_repo(root, FILES), root / "out") == 0
    return root / "out"


# ---------------------------------------------------------------- entries


@pytest.mark.parametrize("folder", FEEDS)
def test_every_update_is_exactly_one_entry_in_every_format(site, folder):
    want = expected_ids(FEEDS[folder])
    rss = feedparser.parse(site / folder / "feed.xml")
    atom = feedparser.parse(site / folder / "feed.atom")
    items = json.loads((site / folder / "feed.json").read_text("utf-8"))["items"]
    for parsed in (rss, atom):
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert sorted(e.id for e in parsed.entries) == sorted(want)  # each once, nothing else
    assert [i["id"] for i in items] == [e.id for e in atom.entries] == [e.id for e in rss.entries]


def test_entry_id_is_a_tag_uri_of_host_incident_and_utc_time(site):
    channel = ET.parse(site / "feed.xml").getroot().find("channel")
    guids = {g.text: g.get("isPermaLink") for g in channel.iter("guid")}
    assert guids["tag:status.test.example,2026-11-20:incidents/eu-api-errors/update-20261120T131200Z"] == "false"
    assert set(guids.values()) == {"false"}


def test_ids_survive_a_rebuild_and_edits_of_the_text(site, tmp_path):
    edited = dict(FILES)
    edited["incidents/2026/eu-api-errors.md"] = (
        FILES["incidents/2026/eu-api-errors.md"]
        .replace("A faulty load balancer config returns 502s.", "A bad deploy of the edge config returns 502s.")
        .replace("title: Elevated error rates", "title: Elevated 5xx error rates")
    )
    assert build(make_repo(tmp_path, edited), tmp_path / "out") == 0
    before = feedparser.parse(site / "feed.atom").entries
    after = feedparser.parse(tmp_path / "out" / "feed.atom").entries
    assert [e.id for e in after] == [e.id for e in before]
    changed = [(b.title, a.title) for b, a in zip(before, after) if a.content[0].value != b.content[0].value]
    assert changed == [(
        "[Identified] Public API: Elevated error rates on the Public API in Europe",
        "[Identified] Public API: Elevated 5xx error rates on the Public API in Europe",
    )]  # fmt: skip


def test_titles_name_the_stage_the_services_and_the_incident(site):
    titles = {e.id: e.title for e in feedparser.parse(site / "feed.atom").entries}
    assert titles[tag("eu-api-errors", "20261120T144000Z")] == (
        "[Resolved] Public API: Elevated error rates on the Public API in Europe"
    )
    assert titles[tag("summer-outage", "20260715T071000Z")] == (
        "[Investigating] Public API, Dashboard: Dashboard and API unavailable"
    )
    assert titles[tag("db-upgrade", "20261121T090000Z")] == "[Scheduled] Dashboard: Database upgrade for the Dashboard"
    assert titles[tag("db-upgrade", "20261121T170000Z")] == "[Update] Dashboard: Database upgrade for the Dashboard"


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(v for k, v in attrs if k == "id" and v)


def test_entry_links_open_the_update_on_the_incident_page(site):
    for entry in feedparser.parse(site / "feed.xml").entries:
        incident_id, _, anchor = entry.id.split(":", 2)[2].removeprefix("incidents/").partition("/")
        assert entry.link == f"{BASE}incidents/{incident_id}/#{anchor}"
        page = _Ids()
        page.feed((site / "incidents" / incident_id / "index.html").read_text("utf-8"))
        assert anchor in page.ids, f"{entry.link} points at no element of the incident page"


def test_times_are_update_times_with_offsets_across_dst(site):
    rss = {e.id: e for e in feedparser.parse(site / "feed.xml").entries}
    atom = {e.id: e for e in feedparser.parse(site / "feed.atom").entries}
    items = {i["id"]: i for i in json.loads((site / "feed.json").read_text("utf-8"))["items"]}
    for ids in UPDATES.items():
        for stamp in ids[1]:
            key = tag(ids[0], stamp)
            assert parsed_utc(rss[key]) == parsed_utc(atom[key]) == utc(stamp)
            assert atom[key].updated == atom[key].published
            assert items[key]["date_published"] == atom[key].published
    # written in local time, shown with the offset in force then: CET, CEST, and both on the DST night
    assert rss[tag("eu-api-errors", "20261120T131200Z")].published == "Fri, 20 Nov 2026 14:12:00 +0100"
    assert atom[tag("eu-api-errors", "20261120T131200Z")].published == "2026-11-20T14:12:00+01:00"
    assert rss[tag("summer-outage", "20260715T071000Z")].published == "Wed, 15 Jul 2026 09:10:00 +0200"
    assert atom[tag("dst-night", "20261025T003000Z")].published == "2026-10-25T02:30:00+02:00"
    assert atom[tag("dst-night", "20261025T013000Z")].published == "2026-10-25T02:30:00+01:00"
    assert rss[tag("dst-night", "20261025T013000Z")].published == "Sun, 25 Oct 2026 02:30:00 +0100"


@pytest.mark.parametrize("folder", FEEDS)
def test_newest_first_and_feed_updated_is_the_newest_entry(site, folder):
    want = sorted((utc(s) for iid, ss in UPDATES.items() if FEEDS[folder] in AFFECTS[iid] | {None} for s in ss),
                  reverse=True)  # fmt: skip
    for name in ("feed.xml", "feed.atom"):
        parsed = feedparser.parse(site / folder / name)
        assert [parsed_utc(e) for e in parsed.entries] == want
        newest = want[0] if want else datetime(1970, 1, 1, tzinfo=timezone.utc)
        assert calendar.timegm(parsed.feed.updated_parsed) == newest.timestamp()


def test_an_empty_feed_reports_the_epoch_not_the_build_time(site):
    atom = ET.parse(site / "services/webhooks/feed.atom").getroot()
    assert atom.find(f"{ATOM}updated").text == "1970-01-01T00:00:00+00:00"
    assert atom.findall(f"{ATOM}entry") == []
    channel = ET.parse(site / "services/webhooks/feed.xml").getroot().find("channel")
    assert channel.find("lastBuildDate").text == "Thu, 01 Jan 1970 00:00:00 +0000"


def test_feed_metadata_titles_links_and_language(site):
    for folder, service in FEEDS.items():
        feed = feedparser.parse(site / folder / "feed.atom").feed
        names = {"api": "Public API", "dashboard": "Dashboard", "webhooks": "Webhooks"}
        assert feed.title == ("Test Status" if service is None else f"Test Status — {names[service]}")
        links = {(ln.rel, ln.href) for ln in feed.links}
        assert links == {("self", f"{BASE}{folder}feed.atom"), ("alternate", f"{BASE}{folder}")}
        assert feed.language == "en"
        channel = ET.parse(site / folder / "feed.xml").getroot().find("channel")
        assert channel.find("link").text == f"{BASE}{folder}"  # the HTML page, not the feed itself
        assert channel.find(f"{ATOM}link").get("href") == f"{BASE}{folder}feed.xml"
        assert channel.find("language").text == "en"
        doc = json.loads((site / folder / "feed.json").read_text("utf-8"))
        assert (doc["title"], doc["home_page_url"], doc["feed_url"]) == (feed.title, f"{BASE}{folder}",
                                                                         f"{BASE}{folder}feed.json")  # fmt: skip


def test_entry_content_is_the_rendered_update_with_its_context(site):
    entries = {e.id: e for e in feedparser.parse(site / "feed.atom").entries}
    first = entries[tag("summer-outage", "20260715T071000Z")]
    html = first.content[0].value
    assert "Public API (major outage), Dashboard (partial outage)" in html
    assert "Impact:</strong> critical" in html
    assert "Started:</strong> 2026-07-15 09:00 CEST" in html  # the first entry says when it began
    assert "<strong>We are on it.</strong>" in html  # Markdown rendered
    assert first.summary == "Both are down. We are on it."  # plain text, no markup
    later = entries[tag("summer-outage", "20260715T083000Z")].content[0].value
    assert "Affected:" in later and "Started:" not in later
    maint = entries[tag("db-upgrade", "20261121T090000Z")].content[0].value
    assert "Window:</strong> 2026-12-01 02:00–04:00 CET" in maint
    text = json.loads((site / "feed.json").read_text("utf-8"))["items"]
    assert all("<" not in i["content_text"] and i["content_text"] for i in text)


# ---------------------------------------------------------------- determinism


def test_rebuilds_are_byte_identical_whatever_the_clock(site, tmp_path):
    content = make_repo(tmp_path, FILES)
    assert build(content, tmp_path / "a") == 0
    assert build(content, tmp_path / "b", "2031-02-03T04:05:06Z") == 0
    first = feed_files(site)
    assert len(first) == 12
    assert feed_files(tmp_path / "a") == first
    assert feed_files(tmp_path / "b") == first
    assert b"python-feedgen" not in b"".join(first.values())  # no generator version noise


def test_json_is_written_deterministically(site):
    raw = (site / "feed.json").read_text("utf-8")
    assert raw == json.dumps(json.loads(raw), sort_keys=True, ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------- validity


def test_json_feed_matches_the_1_1_schema(site):
    schema = json.loads((FIXTURES / "jsonfeed-1.1.schema.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    for folder in FEEDS:
        doc = json.loads((site / folder / "feed.json").read_text("utf-8"))
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        validator.validate(doc)
    # the schema is not vacuous: a date without an offset and an item without content both fail
    doc = json.loads((site / "feed.json").read_text("utf-8"))
    doc["items"][0]["date_published"] = "2026-11-20T14:12:00"
    del doc["items"][1]["content_html"], doc["items"][1]["content_text"]
    assert len(list(validator.iter_errors(doc))) == 2


@pytest.mark.skipif(not shutil.which("java"), reason="jing needs Java")
def test_atom_feeds_match_the_relax_ng_schema(site, tmp_path):
    broken = tmp_path / "broken.atom"  # proves the schema can reject: no feed id, a date without offset
    text = (site / "feed.atom").read_text("utf-8")
    broken.write_text(text.replace(f"<id>{BASE}</id>", "", 1).replace("+01:00</published>", "</published>", 1))
    files = [str(site / folder / "feed.atom") for folder in FEEDS] + [str(broken)]
    run = subprocess.run(["pyjing", "-c", str(FIXTURES / "atom" / "atom.rnc"), *files],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    errors = [line for line in run.stdout.splitlines() + run.stderr.splitlines() if line.strip()]
    assert all(line.startswith(str(broken)) for line in errors), errors
    assert any('missing required element "id"' in line for line in errors), errors
    assert any('"published" invalid' in line for line in errors), errors


# ---------------------------------------------------------------- hostile and odd content

# Control characters in one-line text are refused by validation; in bodies they reach the renderer.
HOSTILE_TITLE = "\"Quoted\" & 'single' <script>alert(1)</script> ]]> </script> bell"
HOSTILE_SITE = SITE_YAML.replace("title: Test Status", 'title: "Status <b>&</b> ]]>"').replace(
    "name: Webhooks", 'name: "Hooks </script> \\"x\\""'
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    yaml_title = json.dumps(HOSTILE_TITLE)  # a YAML double-quoted scalar with escapes
    files = {
        "incidents/2026/hostile.md": incident(
            yaml_title,
            services="[webhooks]",
            body=(
                "## 2026-11-20 14:12 +01:00 — Investigating\n"
                "Raw <script>alert(2)</script> and `<script>` and ]]> and \x01\x1f controls.\n"
                "[click](javascript:alert(3))\n"
            ),
        ),
        "incidents/2026/no-updates.md": incident("Summary only", services="[dashboard]", resolved=None,
                                                 body="We are looking into slow logins.\n"),  # fmt: skip
    }
    assert build(make_repo(root, files, HOSTILE_SITE), root / "out") == 0
    return root / "out"


def test_hostile_titles_stay_well_formed_and_escaped(hostile):
    want_title = "[Investigating] Hooks </script> \"x\": " + HOSTILE_TITLE
    for folder in ("", "services/webhooks/"):
        for name in ("feed.xml", "feed.atom"):
            raw = (hostile / folder / name).read_bytes()
            assert not feedparser.parse(raw).bozo
            assert b"<script" not in raw and b"</script" not in raw  # only ever as &lt;script
            root = ET.fromstring(raw)  # strict XML parser
            titles = [t.text for t in root.iter() if t.tag in ("title", f"{ATOM}title")]
            assert titles[0].startswith("Status <b>&</b> ]]>")
            assert want_title in titles
        doc = json.loads((hostile / folder / "feed.json").read_text("utf-8"))
        assert doc["title"].startswith("Status <b>&</b> ]]>")
        assert want_title in [i["title"] for i in doc["items"]]


def test_rss_description_carries_no_live_markup_from_content(hostile):
    channel = ET.parse(hostile / "services/webhooks/feed.xml").getroot().find("channel")
    [description] = [i.find("description").text for i in channel.iter("item")]
    # After XML unescaping the description is HTML; content's markup must still be escaped in it.
    assert "<script" not in description
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in description
    assert "<code>&lt;script&gt;</code>" in description
    assert 'href="javascript' not in description
    assert "\x01" not in description and "\x1f" not in description


def test_an_incident_without_updates_still_reaches_subscribers(hostile):
    [entry] = feedparser.parse(hostile / "services/dashboard/feed.atom").entries
    assert entry.title == "[Investigating] Dashboard: Summary only"
    assert entry.id == "tag:status.test.example,2026-11-20:incidents/no-updates/update-20261120T130500Z"
    assert entry.link == f"{BASE}incidents/no-updates/"
    assert "We are looking into slow logins." in entry.content[0].value


def test_feeds_keep_only_the_newest_200_entries(tmp_path):
    start = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
    body = "".join(
        f"## {(start + timedelta(minutes=n)):%Y-%m-%dT%H:%M:%SZ} — Update\nStep {n}.\n\n" for n in range(205)
    )
    files = {"incidents/2026/long.md": incident("A long one", started="2026-03-01T07:00:00Z", resolved=None,
                                                body=textwrap.dedent(body))}  # fmt: skip
    assert build(make_repo(tmp_path, files), tmp_path / "out") == 0
    for folder in ("", "services/api/"):
        atom = feedparser.parse(tmp_path / "out" / folder / "feed.atom")
        items = json.loads((tmp_path / "out" / folder / "feed.json").read_text("utf-8"))["items"]
        assert len(atom.entries) == len(items) == 200
        assert parsed_utc(atom.entries[0]) == start + timedelta(minutes=204)
        assert parsed_utc(atom.entries[-1]) == start + timedelta(minutes=5)


# ---------------------------------------------------------------- many incidents, shared entries

from sitekit import NOW  # noqa: E402
from statusgen.build import load_site  # noqa: E402
from statusgen.render import feeds  # noqa: E402

CROWD_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
CROWD_SERVICES = (["api"], ["dashboard"], ["api", "webhooks"], ["webhooks"], ["api", "dashboard", "webhooks"])


def crowd() -> tuple[dict[str, str], list[tuple[datetime, str, tuple[str, ...]]]]:
    """130 incidents with 3 updates each, and every update as (UTC time, incident id, services).
    Some old incidents have a late update (a postmortem weeks on), pairs of incidents have an
    update at the same instant (written in different zones), some updates are written ahead of
    CROWD_NOW and a few incidents have no update at all (one entry made of the summary)."""
    files: dict[str, str] = {}
    updates: list[tuple[datetime, str, tuple[str, ...]]] = []
    for k in range(130):
        iid = f"crowd-{k * 37 % 130:03d}"  # ids in another order than start times
        services = tuple(CROWD_SERVICES[k % len(CROWD_SERVICES)])
        started = datetime(2026, 1, 1, 6, 0, tzinfo=timezone.utc) + timedelta(days=2 * k, minutes=k)
        times = [started + timedelta(minutes=10 * j) for j in range(3)]
        if k % 9 == 4:
            times[2] = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc) + timedelta(hours=k)  # a late postmortem
        if k % 7 == 2:
            times[1] = datetime(2026, 9, 9, 9, 9, tzinfo=timezone.utc)  # the same instant in several incidents
        if k % 11 == 5:
            times[2] = CROWD_NOW + timedelta(hours=k)  # written ahead: not published yet
        times.sort()
        zones = [timezone(timedelta(hours=h)) for h in (1, 2, -5)]
        body = "".join(
            f"## {t.astimezone(zones[j % 3]).isoformat(' ', 'minutes')} — Update\n"
            f"Step {j} of {iid}: <b>&amp;</b> 'quoted' \"double\".\n\n"
            for j, t in enumerate(times)
        )
        if k % 13 == 6:
            body = "Only a summary so far.\n"
            times = [started]
        files[f"incidents/2026/{iid}.md"] = incident(
            f"Crowd {k} — ünïcödé 𝄞", services="[" + ", ".join(services) + "]", resolved=None,
            started=f"{started:%Y-%m-%dT%H:%M:%SZ}", body=body,
        )  # fmt: skip
        updates += [(t, iid, services) for t in times if t <= CROWD_NOW]
    return files, updates


@pytest.fixture(scope="module")
def crowded(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crowded")
    files, _ = crowd()
    assert build(make_repo(root, files), root / "out", f"{CROWD_NOW:%Y-%m-%dT%H:%M:%SZ}") == 0
    return root / "out"


@pytest.mark.parametrize("folder", FEEDS)
def test_each_feed_holds_the_200_newest_updates_by_time_then_incident_id(crowded, folder):
    _, updates = crowd()
    mine = [(t, iid) for t, iid, services in updates if FEEDS[folder] in (None, *services)]
    assert (len(mine) > feeds.MAX_ENTRIES) == (folder != "services/dashboard/")  # all but one are cut
    want = sorted(mine, reverse=True)[: feeds.MAX_ENTRIES]  # newest first; at one instant, higher id first
    items = json.loads((crowded / folder / "feed.json").read_text("utf-8"))["items"]
    got = [(datetime.fromisoformat(i["date_published"]), i["id"].split(":", 2)[2].split("/")[1]) for i in items]
    assert got == want
    atom = feedparser.parse(crowded / folder / "feed.atom")
    rss = feedparser.parse(crowded / folder / "feed.xml")
    assert [e.id for e in atom.entries] == [e.id for e in rss.entries] == [i["id"] for i in items]


@pytest.mark.parametrize("fixture", ["site", "hostile", "crowded"])
def test_every_feed_is_the_document_feedgen_writes_for_it_alone(request, fixture):
    """A build has feedgen write each entry once and puts it into every feed that holds it (with
    the RSS date written by statusgen): each file must be what feedgen writes for that feed alone."""
    out: Path = request.getfixturevalue(fixture)
    site = load_site(out.parent / "content")
    now = CROWD_NOW if fixture == "crowded" else datetime.fromisoformat(NOW)
    written = {path: (out / path).read_bytes() for path, _ in feeds.render(site, now)}
    assert written == dict(feeds.render(site, now))
    for feed in feeds.site_feeds(site, now):
        assert written[feed.path + "feed.xml"] == feeds.rss(site, feed)
        assert written[feed.path + "feed.atom"] == feeds.atom(site, feed)
        assert written[feed.path + "feed.json"] == feeds.json_feed(site, feed)


@pytest.mark.parametrize("limit", [25, 3])
def test_shorter_feeds_still_hold_the_newest_updates(crowded, monkeypatch, limit):
    """With fewer entries than incidents per feed, an old incident's late update still counts."""
    monkeypatch.setattr(feeds, "MAX_ENTRIES", limit)
    _, updates = crowd()
    site = load_site(crowded.parent / "content")
    for folder, feed in zip(FEEDS, feeds.site_feeds(site, CROWD_NOW), strict=True):
        assert feed.path == folder
        want = sorted(((t, iid) for t, iid, services in updates if FEEDS[folder] in (None, *services)), reverse=True)
        got = [(e.at, e.id.split(":", 2)[2].split("/")[1]) for e in feed.entries]
        assert got == want[:limit]


def test_rss_dates_are_written_as_feedgen_writes_them():
    """Items get their <pubDate> from statusgen, not from feedgen (which switches the process's
    locale for each date): every weekday, month and kind of offset reads the same."""
    from feedgen.util import formatRFC2822

    from statusgen.timeparse import zone

    zones = [zone(name) for name in ("UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Pacific/Apia")]
    zones += [timezone(timedelta(hours=-9, minutes=-30)), timezone(timedelta(hours=5, seconds=17))]
    start = datetime(1900, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
    moments = [start + timedelta(days=397 * k + 1, hours=k % 24, minutes=k % 60, seconds=k % 60) for k in range(700)]
    for tz in zones:
        for moment in moments + [datetime(9000, 12, 31, 23, 59, 59, tzinfo=timezone.utc)]:
            local = moment.astimezone(tz)
            assert feeds.rss_date(local) == formatRFC2822(local), local
