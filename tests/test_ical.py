"""Maintenance calendars (RFC 5545), built as a user builds a site and read back with two
independent parsers: icalendar (whose component.errors must stay empty) and vobject."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import icalendar
import pytest
import vobject

from sitekit import SITE_YAML, build, make_repo
from statusgen.build import load_site
from statusgen.cli import resolve_now
from statusgen.render import ical

REPO = Path(__file__).resolve().parents[1]
SERVICES = ("api", "dashboard", "webhooks")


def render_to(content: Path, out: Path, now: str) -> int:
    """Write this renderer's files for a content folder, as `statusgen build --now` would.

    Rendering only this format keeps these tests about it; test_end_to_end checks that a real
    `statusgen build` writes the very same bytes."""
    site = load_site(content)
    for rel, data in ical.render(site, resolve_now(now, {})):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return 0


def maintenance(title="Database upgrade for the Dashboard", services="[dashboard]",
                start="2026-12-01 02:00 +01:00", end="2026-12-01 04:00 +01:00", updates=None) -> str:
    if updates is None:
        updates = ["2026-11-25 10:00 +01:00 — Scheduled\nWe will upgrade the database."]
    body = "\n\n".join("## " + u for u in updates)
    return (
        f"---\ntype: maintenance\ntitle: {title}\nservices: {services}\n"
        f"scheduled: {{start: {start}, end: {end}}}\n---\n{body}\n"
    )


def cal_files(out: Path) -> list[Path]:
    return [out / "maintenance.ics", *(out / "services" / s / "maintenance.ics" for s in SERVICES)]


def parse(path: Path):
    """Both parsers' view of one calendar, after checking the bytes are well-formed RFC 5545 lines."""
    data = path.read_bytes()
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b""), "bare LF"
    for line in data.split(b"\r\n")[:-1]:
        assert len(line) <= 75, line
        line.decode("utf-8")  # every folded piece is whole UTF-8
    cal = icalendar.Calendar.from_ical(data)
    problems = [(c.name, c.errors) for c in cal.walk() if c.errors]
    assert problems == [], problems
    for required in ("VERSION", "PRODID", "CALSCALE", "X-WR-CALNAME"):
        assert required in cal, required
    vcal = vobject.readOne(data.decode("utf-8"))
    assert vcal.name == "VCALENDAR"
    return cal, vcal


def events(path: Path) -> dict[str, dict]:
    """UID → the event's fields as both parsers read them (they must agree)."""
    cal, vcal = parse(path)
    out = {}
    vevents = {str(e.uid.value): e for e in getattr(vcal, "vevent_list", [])}
    assert len(vevents) == len(cal.walk("VEVENT"))
    for ev in cal.walk("VEVENT"):
        uid = str(ev["UID"])
        v = vevents[uid]
        start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
        # compared in UTC: Python never calls times in a DST fold equal across different tzinfos
        utc_ = timezone.utc
        assert start.astimezone(utc_) == v.dtstart.value.astimezone(utc_), uid
        assert end.astimezone(utc_) == v.dtend.value.astimezone(utc_), uid
        assert str(ev["SUMMARY"]) == v.summary.value and str(ev["DESCRIPTION"]) == v.description.value
        out[uid] = {
            "start": start.astimezone(timezone.utc), "end": end.astimezone(timezone.utc),
            "summary": str(ev["SUMMARY"]), "description": str(ev["DESCRIPTION"]),
            "sequence": int(ev["SEQUENCE"]), "dtstamp": ev.decoded("DTSTAMP"),
            "url": str(ev["URL"]), "status": str(ev["STATUS"]), "transp": str(ev["TRANSP"]),
            "raw_start": ev["DTSTART"].to_ical().decode(), "tzid": ev["DTSTART"].params.get("TZID"),
        }
    return out


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ical")
    content = make_repo(root, {
        "incidents/db.md": maintenance(updates=[
            "2026-11-25 10:00 +01:00 — Scheduled\nWe will upgrade the database; reads keep working, writes pause.",
            "2026-12-01 02:00 +01:00 — In progress\nStarted.",
            "2026-12-01 03:30 +01:00 — Completed\nDone.",
        ]),
        "incidents/hooks.md": maintenance("Webhook queue move", "[webhooks, api]",
                                          "2026-11-28 22:00 +01:00", "2026-11-29 01:00 +01:00", updates=[]),
    })
    assert render_to(content, root / "out", "2026-11-26T09:00:00+01:00") == 0
    return root / "out"


def test_every_calendar_parses_cleanly_with_both_parsers(site):
    for path in cal_files(site):
        parse(path)
    assert set(events(site / "maintenance.ics")) == {"db@status.test.example", "hooks@status.test.example"}


def test_per_service_calendars_hold_only_that_services_maintenance(site):
    assert set(events(site / "services/dashboard/maintenance.ics")) == {"db@status.test.example"}
    assert set(events(site / "services/webhooks/maintenance.ics")) == {"hooks@status.test.example"}
    assert set(events(site / "services/api/maintenance.ics")) == {"hooks@status.test.example"}
    assert events(site / "services/api/maintenance.ics") == {
        k: v for k, v in events(site / "maintenance.ics").items() if k.startswith("hooks@")
    }


def test_event_fields(site):
    ev = events(site / "maintenance.ics")
    db, hooks = ev["db@status.test.example"], ev["hooks@status.test.example"]
    assert (db["start"], db["end"]) == (utc("2026-12-01T02:00:00+01:00"), utc("2026-12-01T04:00:00+01:00"))
    assert (hooks["start"], hooks["end"]) == (utc("2026-11-28T22:00:00+01:00"), utc("2026-11-29T01:00:00+01:00"))
    assert db["tzid"] == "Europe/Berlin" and db["raw_start"] == "20261201T020000"
    assert db["summary"] == "Maintenance: Database upgrade for the Dashboard"
    assert db["url"] == "https://status.test.example/incidents/db/"
    assert (db["status"], db["transp"]) == ("CONFIRMED", "TRANSPARENT")
    # built on 26 Nov: only the Scheduled update is published; its text, with commas and a semicolon
    assert "reads keep working, writes pause." in db["description"]
    assert "We will upgrade the database; reads" in db["description"]
    assert "Started." not in db["description"]
    assert "When: 2026-12-01 02:00–04:00 CET" in db["description"]
    assert "Affected: Dashboard" in db["description"]
    assert "When: 2026-11-28 22:00 CET – 2026-11-29 01:00 CET" in hooks["description"]
    assert "Affected: Public API, Webhooks" in hooks["description"]
    assert db["dtstamp"] == utc("2026-11-25T10:00:00+01:00")  # the update, not the clock
    assert db["sequence"] == 0
    # hooks has no update: DTSTAMP falls back to the window's start, still from content
    assert hooks["dtstamp"] == utc("2026-11-28T22:00:00+01:00")


def test_vtimezone_matches_the_iana_rules(site):
    cal, _ = parse(site / "maintenance.ics")
    (tz,) = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Europe/Berlin"
    onsets = [(c.name, c.decoded("DTSTART"), c.decoded("TZOFFSETFROM"), c.decoded("TZOFFSETTO")) for c in tz.subcomponents]
    one, two = timedelta(hours=1), timedelta(hours=2)
    assert ("DAYLIGHT", datetime(2026, 3, 29, 2, 0), one, two) in onsets
    assert ("STANDARD", datetime(2026, 10, 25, 3, 0), two, one) in onsets
    assert len(onsets) == 3  # the offset on 1 January, then the two changes of 2026


def test_sequence_goes_up_with_each_update_and_uid_stays(tmp_path):
    """Moving a window comes with an update; calendar apps see a higher SEQUENCE and new times."""
    first = ["2026-11-20 10:00 +01:00 — Scheduled\nPlanned for 1 December."]
    moved = first + ["2026-11-22 10:00 +01:00 — Scheduled\nMoved to 3 December, same hours."]
    seen = []
    for n, (updates, start, end) in enumerate([
        (first, "2026-12-01 02:00 +01:00", "2026-12-01 04:00 +01:00"),
        (moved, "2026-12-03 02:00 +01:00", "2026-12-03 04:00 +01:00"),
    ]):
        content = make_repo(tmp_path / str(n), {"incidents/db.md": maintenance(start=start, end=end, updates=updates)})
        assert render_to(content, tmp_path / f"out{n}", "2026-11-26T09:00:00+01:00") == 0
        (ev,) = events(tmp_path / f"out{n}" / "maintenance.ics").items()
        seen.append(ev)
    (uid1, a), (uid2, b) = seen
    assert uid1 == uid2
    assert b["sequence"] > a["sequence"]
    assert b["dtstamp"] > a["dtstamp"]
    assert b["start"] == utc("2026-12-03T02:00:00+01:00")
    assert "Moved to 3 December" in b["description"]


def test_a_rebuild_with_nothing_new_writes_the_same_bytes(site, tmp_path):
    content = make_repo(tmp_path, {
        "incidents/db.md": maintenance(updates=[
            "2026-11-25 10:00 +01:00 — Scheduled\nWe will upgrade the database; reads keep working, writes pause.",
            "2026-12-01 02:00 +01:00 — In progress\nStarted.",
            "2026-12-01 03:30 +01:00 — Completed\nDone.",
        ]),
        "incidents/hooks.md": maintenance("Webhook queue move", "[webhooks, api]",
                                          "2026-11-28 22:00 +01:00", "2026-11-29 01:00 +01:00", updates=[]),
    })
    assert render_to(content, tmp_path / "a", "2026-11-26T09:00:00+01:00") == 0
    assert render_to(content, tmp_path / "b", "2026-11-27T18:00:00+01:00") == 0  # a day later, no new update
    assert render_to(content, tmp_path / "c", "2026-12-02T09:00:00+01:00") == 0  # after two more updates
    for path in cal_files(tmp_path / "a"):
        rel = path.relative_to(tmp_path / "a")
        assert path.read_bytes() == (site / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    later = events(tmp_path / "c" / "maintenance.ics")["db@status.test.example"]
    assert later["sequence"] == 2 and "Latest update (Completed" in later["description"]


def test_dst_ambiguous_times_are_exact(tmp_path):
    """02:30 happens twice on 25 Oct 2026 in Berlin; both windows must land on the right instant."""
    content = make_repo(tmp_path, {
        "incidents/first.md": maintenance("First", start="2026-10-25 02:30 +02:00", end="2026-10-25 04:00 +01:00"),
        "incidents/second.md": maintenance("Second", start="2026-10-25 02:30 +01:00", end="2026-10-25 03:30 +01:00"),
        "incidents/spring.md": maintenance("Spring", start="2026-03-29 01:30 +01:00", end="2026-03-29 03:30 +02:00"),
    })
    assert render_to(content, tmp_path / "out", "2026-01-01T00:00:00Z") == 0
    ev = events(tmp_path / "out" / "maintenance.ics")
    first, second, spring = (ev[f"{n}@status.test.example"] for n in ("first", "second", "spring"))
    assert first["start"] == utc("2026-10-25T02:30:00+02:00") and first["tzid"] == "Europe/Berlin"
    assert second["start"] == utc("2026-10-25T02:30:00+01:00")
    assert second["raw_start"] == "20261025T013000Z" and second["tzid"] is None  # written in UTC
    assert first["end"] == utc("2026-10-25T04:00:00+01:00")
    assert (spring["start"], spring["end"]) == (utc("2026-03-29T01:30:00+01:00"), utc("2026-03-29T03:30:00+02:00"))


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "UTC"])
def test_other_site_zones(tmp_path, zone):
    site_yaml = SITE_YAML.replace("timezone: Europe/Berlin", f"timezone: {zone}")
    files = {"incidents/db.md": maintenance(start="2026-07-01 02:00 +01:00", end="2026-07-01 03:15 +01:00")}
    content = make_repo(tmp_path, files, site_yaml=site_yaml)
    assert render_to(content, tmp_path / "out", "2026-06-01T00:00:00Z") == 0
    for path in cal_files(tmp_path / "out"):
        parse(path)
    (ev,) = events(tmp_path / "out" / "maintenance.ics").values()
    assert (ev["start"], ev["end"]) == (utc("2026-07-01T01:00:00Z"), utc("2026-07-01T02:15:00Z"))


def test_an_empty_calendar_is_still_valid(tmp_path):
    content = make_repo(tmp_path, {})
    assert render_to(content, tmp_path / "out", "2026-06-01T00:00:00Z") == 0
    for path in cal_files(tmp_path / "out"):
        cal, _ = parse(path)
        assert cal.walk("VEVENT") == [] and len(cal.walk("VTIMEZONE")) == 1


def test_hostile_text_is_escaped_and_folded(tmp_path):
    title = 'Maintenance; "quoted", back\\slash, tabs\tand ümlauts 💥 ' + "long " * 30
    body = "Line one, with; separators \\ and more\nLine two \u2028 end\nBEGIN:VEVENT\nEND:VCALENDAR"
    yaml_title = '"' + title.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'
    content = make_repo(tmp_path, {
        "incidents/h.md": maintenance(yaml_title, updates=["2026-11-25 10:00 +01:00 — Scheduled\n" + body]),
    })
    assert render_to(content, tmp_path / "out", "2026-11-26T09:00:00+01:00") == 0
    (ev,) = events(tmp_path / "out" / "maintenance.ics").values()
    assert ev["summary"] == "Maintenance: " + title.strip()
    for piece in ("Line one, with; separators \\ and more", "Line two \u2028 end", "BEGIN:VEVENT", "END:VCALENDAR"):
        assert piece in ev["description"]
    cal, _ = parse(tmp_path / "out" / "maintenance.ics")
    assert len(cal.walk("VEVENT")) == 1  # the body's BEGIN:VEVENT stayed text


@pytest.mark.skipif(not (REPO / "content" / "site.yaml").is_file(), reason="no example site in content/")
def test_the_example_sites_calendars(tmp_path):
    assert render_to(REPO / "content", tmp_path / "out", "2026-11-22T09:00:00+01:00") == 0
    paths = sorted((tmp_path / "out").rglob("*.ics"))
    assert len(paths) > 1
    found = 0
    for path in paths:
        found += len(events(path))
    assert found >= 1


def test_end_to_end_statusgen_build_writes_the_calendars(site, tmp_path):
    content = make_repo(tmp_path, {"incidents/db.md": maintenance()})
    assert build(content, tmp_path / "built", "2026-11-26T09:00:00+01:00") == 0
    assert render_to(content, tmp_path / "direct", "2026-11-26T09:00:00+01:00") == 0
    for path in cal_files(tmp_path / "direct"):
        assert (tmp_path / "built" / path.relative_to(tmp_path / "direct")).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("alphabet", ["a", "ü", "€", "💥", "aü€💥", "a€", "\\,; "])
def test_folded_lines_are_as_full_as_75_octets_allow(alphabet):
    """Every physical line is at most 75 octets, breaks only between characters, and takes every
    character that fits: the same text always folds the same way, whatever the mix of widths."""
    for length in [*range(0, 160), 300, 1000]:
        text = "".join(alphabet[(k * 7 + length) % len(alphabet)] for k in range(length))
        data = ical.fold(text)
        assert data.endswith(b"\r\n")
        lines = data[:-2].split(b"\r\n")
        assert all(line[:1] == b" " for line in lines[1:])
        pieces = [lines[0].decode("utf-8")] + [line[1:].decode("utf-8") for line in lines[1:]]
        assert "".join(pieces) == text
        rest = text
        for line, piece in zip(lines, pieces):
            assert len(line) <= 75
            rest = rest[len(piece):]
            if rest:  # the next character did not fit
                assert len(line) + len(rest[0].encode("utf-8")) > 75, (text, line)
