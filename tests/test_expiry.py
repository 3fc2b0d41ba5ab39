"""A static page that stays true while time passes.

The same content is built at instants just before, inside and after a maintenance window and around
an update's promised time; pages (parsed HTML), feeds and /api/v2 are checked at each, and the
instant the build records in api/next-change.json is checked against what really changes:
nothing before it, something at it. `statusgen next-change` is run as a user runs it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedparser
import lxml.html
import pytest

from sitekit import SITE_YAML, build, incident, make_repo
from statusgen import derive, expiry
from statusgen.build import load_site, render_site
from statusgen.derive import Phase
from statusgen.model import ComponentStatus
from statusgen.theme import resolve_theme
from statusgen.timeparse import zone

REPO = Path(__file__).resolve().parents[1]
SECOND = timedelta(seconds=1)
BERLIN = zone("Europe/Berlin")

# Dashboard maintenance, 02:00–04:00 Berlin = 01:00–03:00 UTC, announced a week before.
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
WINDOW_START = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
WINDOW_END = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
BEFORE, INSIDE, AFTER = WINDOW_START - SECOND, WINDOW_START + timedelta(minutes=1), WINDOW_END

# An open webhooks incident whose last update promises the next one by 08:45 Berlin (07:45 UTC).
OPEN = incident(
    "Webhook deliveries are delayed", services="[webhooks]", impact="minor",
    started="2026-11-22 08:00 +01:00", resolved=None,
    body="## 2026-11-22 08:10 +01:00 — Investigating\nDeliveries are up to 20 minutes late.\n"
         "Next update by 08:45.\n",
)  # fmt: skip
PROMISED = datetime(2026, 11, 22, 7, 45, tzinfo=timezone.utc)

# An incident long enough ago that no uptime bar shows it any more.
OLD = incident(started="2025-03-01 10:00 +01:00", resolved="2025-03-01 11:00 +01:00", body="")


def utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def maint(tmp_path_factory) -> Path:
    return make_repo(tmp_path_factory.mktemp("maint"), {"incidents/2026/dashboard-db.md": MAINTENANCE})


@pytest.fixture(scope="module")
def open_incident(tmp_path_factory) -> Path:
    return make_repo(tmp_path_factory.mktemp("open"), {"incidents/2026/webhooks-delay.md": OPEN})


@pytest.fixture(scope="module")
def builds(maint, open_incident, tmp_path_factory) -> dict[str, Path]:
    """Each case built once with the real `statusgen build`, as a scheduler would."""
    root = tmp_path_factory.mktemp("out")
    cases = {
        "before": (maint, BEFORE), "inside": (maint, INSIDE), "after": (maint, AFTER),
        "not_due": (open_incident, PROMISED - SECOND), "due": (open_incident, PROMISED),
        "overdue": (open_incident, PROMISED + SECOND),
    }  # fmt: skip
    outs = {}
    for name, (content, now) in cases.items():
        out = root / name
        assert build(content, out, utc(now)) == 0
        outs[name] = out
    return outs


# ---------------------------------------------------------------- reading outputs


def page(out: Path, rel: str = "index.html") -> lxml.html.HtmlElement:
    return lxml.html.fromstring((out / rel).read_bytes())


def klass(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def phase_of(doc, incident_id: str) -> tuple[str, str]:
    """(phase class, visible label) of the first phase badge next to a link to the incident."""
    link = doc.xpath(f"//a[contains(@href, 'incidents/{incident_id}/')]")[0]
    for holder in link.iterancestors():
        badges = holder.xpath(f".//*[{klass('phase')}]")
        if badges:
            cls = next(c for c in badges[0].get("class").split() if c.startswith("p-"))
            return cls[2:], badges[0].text_content().strip()
    raise AssertionError(f"no phase next to {incident_id}")


def incident_phase(out: Path, incident_id: str) -> tuple[str, str]:
    badge = page(out, f"incidents/{incident_id}/index.html").xpath(f"//main//*[{klass('phase')}]")[0]
    cls = next(c for c in badge.get("class").split() if c.startswith("p-"))
    return cls[2:], badge.text_content().strip()


def service_status(doc, service_id: str) -> str:
    """The status class (s-…) shown for a service on the front page."""
    link = doc.xpath(f"//a[contains(@href, 'services/{service_id}/')][ancestor::*[{klass('services')}]]")[0]
    for holder in link.iterancestors():
        found = holder.xpath(f".//*[{klass('status')}]")
        if found:
            return next(c for c in found[0].get("class").split() if c.startswith("s-"))[2:]
    raise AssertionError(f"no status for {service_id}")


def api(out: Path, rel: str) -> dict:
    return json.loads((out / "api" / "v2" / rel).read_text(encoding="utf-8"))


def record(out: Path) -> dict:
    return json.loads((out / "api" / "next-change.json").read_text(encoding="utf-8"))


def feeds(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("feed.*"))}


def visible_text(element) -> str:
    """Text a reader sees without JavaScript: elements with the hidden attribute left out."""
    parts = [element.text or ""] if element.get("hidden") is None else []
    for child in element:
        if child.get("hidden") is None:
            parts.append(visible_text(child))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


# ---------------------------------------------------------------- pure: which instants count


def test_maintenance_window_edges_are_the_next_changes(maint):
    site = load_site(maint)
    assert expiry.next_change(site, BEFORE) == (WINDOW_START, "maintenance dashboard-db begins")
    assert expiry.next_change(site, WINDOW_START - timedelta(days=6)) == (WINDOW_START, "maintenance dashboard-db begins")
    # At its first instant it is in progress; a second later its time counts in the uptime bars.
    assert expiry.next_change(site, WINDOW_START) == (
        WINDOW_START + SECOND, "maintenance dashboard-db shows in the uptime bars")
    assert expiry.next_change(site, INSIDE) == (WINDOW_END, "maintenance dashboard-db ends")
    # Afterwards the Dashboard's bar shows a maintenance day, which moves left every midnight
    # (Berlin) until it leaves the 90 days, and then nothing changes any more.
    midnight = datetime(2026, 12, 1, 23, 0, tzinfo=timezone.utc)
    assert expiry.next_change(site, AFTER) == (midnight, "a new day begins in Europe/Berlin: uptime bars move")
    last = datetime(2027, 2, 28, 12, 0, tzinfo=timezone.utc)  # 2026-12-01 is the oldest of the 90 days
    assert expiry.next_change(site, last)[0] == datetime(2027, 2, 28, 23, 0, tzinfo=timezone.utc)
    assert expiry.next_change(site, last + timedelta(days=1)) is None


def test_overdue_is_one_second_after_the_promised_time(open_incident):
    site = load_site(open_incident)
    reason = "incident webhooks-delay: the next update promised by 2026-11-22T07:45:00Z is overdue"
    assert expiry.next_change(site, PROMISED - timedelta(minutes=30)) == (PROMISED + SECOND, reason)
    assert expiry.next_change(site, PROMISED) == (PROMISED + SECOND, reason)
    # Once overdue, only the day boundary is left (the open incident colours today's bar).
    assert expiry.next_change(site, PROMISED + SECOND) == (
        datetime(2026, 11, 22, 23, 0, tzinfo=timezone.utc), "a new day begins in Europe/Berlin: uptime bars move")


def test_day_boundaries_follow_the_site_zone_across_dst(tmp_path):
    site = load_site(make_repo(tmp_path, {"incidents/a.md": incident(
        started="2026-10-20 10:00 +02:00", resolved="2026-10-20 11:00 +02:00", body="")}))
    # Midnight Berlin is 22:00 UTC in summer time and 23:00 UTC after the clocks go back on Oct 25.
    assert expiry.next_change(site, datetime(2026, 10, 24, 12, tzinfo=timezone.utc))[0] == datetime(
        2026, 10, 24, 22, tzinfo=timezone.utc)
    assert expiry.next_change(site, datetime(2026, 10, 25, 12, tzinfo=timezone.utc))[0] == datetime(
        2026, 10, 25, 23, tzinfo=timezone.utc)


def test_a_quiet_site_never_expires(tmp_path):
    site = load_site(make_repo(tmp_path, {"incidents/old.md": OLD}))
    assert expiry.next_change(site, datetime(2026, 11, 22, 8, tzinfo=timezone.utc)) is None
    assert expiry.changes(site, datetime(2026, 11, 22, 8, tzinfo=timezone.utc)) == []


def test_updates_written_ahead_and_services_starting_later_count(tmp_path):
    ahead = incident(started="2026-11-22 08:00 +01:00", resolved="2026-11-22 09:00 +01:00",
                     body="## 2026-11-22 09:00 +01:00 — Resolved\nAll good.\n")  # fmt: skip
    later = SITE_YAML.replace("    group: Apps\n", "    group: Apps\n    since: 2026-12-15\n")
    site = load_site(make_repo(tmp_path, {"incidents/a.md": ahead}, later))
    now = datetime(2026, 11, 22, 7, 30, tzinfo=timezone.utc)
    reasons = {c.reason: c.at for c in expiry.changes(site, now)}
    assert reasons["incident a: the update of 2026-11-22T08:00:00Z is published"] == datetime(
        2026, 11, 22, 8, tzinfo=timezone.utc)
    assert reasons["incident a is resolved"] == datetime(2026, 11, 22, 8, tzinfo=timezone.utc)
    assert reasons["service dashboard starts counting uptime"] == datetime(2026, 12, 14, 23, tzinfo=timezone.utc)
    # Two reasons at one instant are reported together.
    assert expiry.next_change(site, now) == (
        datetime(2026, 11, 22, 8, tzinfo=timezone.utc),
        "incident a is resolved; incident a: the update of 2026-11-22T08:00:00Z is published",
    )


def test_midnight_counts_exactly_when_an_uptime_bar_shows_something(tmp_path):
    """The quick test in expiry agrees with the bars themselves (derive.uptime over 90 days)."""
    quiet = SITE_YAML.replace("    group: Apps\n", "    group: Apps\n    since: 2027-01-10\n")
    sites = [load_site(REPO / "content"), load_site(make_repo(tmp_path / "a", {"incidents/m.md": MAINTENANCE})),
             load_site(make_repo(tmp_path / "b", {"incidents/old.md": OLD}, quiet))]  # fmt: skip
    outcomes = set()
    for site in sites:
        tz = zone(site.timezone)
        for n in range(0, 1000, 9):
            now = datetime(2025, 1, 1, 7, tzinfo=timezone.utc) + timedelta(days=n, hours=n % 24)
            today = now.astimezone(tz).date()
            shown = any(
                d.worst is not ComponentStatus.OPERATIONAL or (not d.counted and d.day < today)
                for svc in site.services for d in derive.uptime(site, svc, now, expiry.UPTIME_DAYS).days
            )  # fmt: skip
            assert expiry._bars_move(site, now) is shown, (site.title, now)
            outcomes.add(shown)
    assert outcomes == {True, False}


def test_phase_changes_list_what_a_page_passes_through(maint):
    site = load_site(maint)
    (m,) = site.incidents
    assert expiry.phase_changes(m, BEFORE) == [(WINDOW_START, Phase.IN_PROGRESS), (WINDOW_END, Phase.COMPLETED)]
    assert expiry.phase_changes(m, INSIDE) == [(WINDOW_END, Phase.COMPLETED)]
    assert expiry.phase_changes(m, AFTER) == []


# ---------------------------------------------------------------- built sites: pages, feeds, API


def test_pages_before_inside_and_after_the_window(builds):
    before, inside, after = (page(builds[k]) for k in ("before", "inside", "after"))
    assert phase_of(before, "dashboard-db") == ("upcoming", "Scheduled")
    assert phase_of(inside, "dashboard-db") == ("in_progress", "In progress")
    assert phase_of(after, "dashboard-db") == ("completed", "Completed")
    assert [service_status(d, "dashboard") for d in (before, inside, after)] == [
        "operational", "under_maintenance", "operational"]
    assert incident_phase(builds["before"], "dashboard-db") == ("upcoming", "Scheduled")
    assert incident_phase(builds["inside"], "dashboard-db") == ("in_progress", "In progress")
    assert incident_phase(builds["after"], "dashboard-db") == ("completed", "Completed")


def test_pages_carry_the_times_a_script_needs(builds):
    doc = page(builds["before"])
    # The badge lists the phases still ahead, with the instants they begin, in the page's words.
    badge = doc.xpath("//*[@data-phases]")[0]
    steps = json.loads(badge.get("data-phases"))
    assert [(datetime.fromisoformat(s[0]), s[1], s[2]) for s in steps] == [
        (WINDOW_START, "in_progress", "In progress"), (WINDOW_END, "completed", "Completed")]
    # The page says when it may be out of date, hidden until a script sees that time pass.
    (notice,) = doc.xpath("//*[@data-valid-until]")
    assert datetime.fromisoformat(notice.get("data-valid-until")) == WINDOW_START
    assert notice.get("hidden") is not None
    # Without a script, the page states when it was generated and the window's exact times.
    stamps = {datetime.fromisoformat(t.get("datetime")) for t in doc.xpath("//time[@datetime]")}
    assert {BEFORE, WINDOW_START, WINDOW_END} <= stamps
    # Once everything is over, no badge has phases left to go through.
    assert page(builds["after"]).xpath("//*[@data-phases]") == []


def test_pages_around_the_promised_update(builds):
    for name, overdue in (("not_due", False), ("due", False), ("overdue", True)):
        for rel in ("index.html", "incidents/webhooks-delay/index.html"):
            (promise,) = page(builds[name], rel).xpath("//*[@data-due-at]")
            assert datetime.fromisoformat(promise.get("data-due-at")) == PROMISED
            assert ("overdue" in promise.get("class").split()) is overdue, (name, rel)
            text = visible_text(promise)
            assert ("was due by" in text) is overdue and ("expected by" in text) is not overdue, (name, text)


def test_api_before_inside_and_after_the_window(builds):
    ids = {}
    for name, indicator, dashboard, upcoming, active in (
        ("before", "none", "operational", 1, 0),
        ("inside", "maintenance", "under_maintenance", 0, 1),
        ("after", "none", "operational", 0, 0),
    ):
        out = builds[name]
        assert api(out, "status.json")["status"]["indicator"] == indicator, name
        components = {c["name"]: c["status"] for c in api(out, "components.json")["components"]}
        assert components["Dashboard"] == dashboard, name
        assert len(api(out, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]) == upcoming
        assert len(api(out, "scheduled-maintenances/active.json")["scheduled_maintenances"]) == active
        (m,) = api(out, "scheduled-maintenances.json")["scheduled_maintenances"]
        ids[name] = m["id"]
        assert m["status"] == {"before": "scheduled", "inside": "in_progress", "after": "completed"}[name]
        summary = api(out, "summary.json")
        assert summary["status"]["indicator"] == indicator
        assert len(summary["scheduled_maintenances"]) == upcoming + active
    assert len(set(ids.values())) == 1  # one maintenance, one id, whatever the instant


def test_api_does_not_change_when_an_update_falls_due(builds):
    # The API has no "overdue": clients polling it see the same bytes; only the page's wording moves.
    files = [{p.relative_to(builds[n]).as_posix(): p.read_bytes() for p in (builds[n] / "api" / "v2").rglob("*.json")}
             for n in ("not_due", "due", "overdue")]  # fmt: skip
    assert files[0] == files[1] == files[2] and files[0]
    (unresolved,) = json.loads(files[0]["api/v2/incidents/unresolved.json"])["incidents"]
    assert unresolved["status"] == "investigating"


def test_feeds_depend_on_the_content_alone(builds):
    maint_feeds = [feeds(builds[n]) for n in ("before", "inside", "after")]
    assert maint_feeds[0] and maint_feeds[0] == maint_feeds[1] == maint_feeds[2]
    parsed = feedparser.parse(maint_feeds[0]["feed.atom"])
    assert not parsed.bozo
    (entry,) = parsed.entries
    assert "Dashboard database upgrade" in entry.title
    assert feeds(builds["not_due"]) == feeds(builds["overdue"])


def test_the_build_records_when_it_expires(builds):
    assert record(builds["before"]) == {
        "generated_at": "2026-12-01T00:59:59Z", "valid_until": "2026-12-01T01:00:00Z",
        "reason": "maintenance dashboard-db begins"}  # fmt: skip
    assert record(builds["inside"])["valid_until"] == "2026-12-01T03:00:00Z"
    assert record(builds["after"])["valid_until"] == "2026-12-01T23:00:00Z"
    assert record(builds["not_due"])["valid_until"] == record(builds["due"])["valid_until"] == "2026-11-22T07:45:01Z"


# ---------------------------------------------------------------- nothing changes before valid_until


def comparable(outputs: list[tuple[str, bytes]]) -> dict[str, bytes | str]:
    """The site minus what is meant to differ between two builds of the same content: the instant
    it was generated (a true statement at any time), and running totals as of that instant (uptime
    percentages, today's downtime so far), which creep while time passes (see statusgen.expiry)."""
    result: dict[str, bytes | str] = {}
    for path, data in outputs:
        if path == "api/next-change.json":
            result[path] = json.dumps({**json.loads(data), "generated_at": None})
        elif path.endswith(".html"):
            text = GENERATED.sub("<time>NOW</time>", data.decode("utf-8"))
            text = DATA_GENERATED.sub("", text)
            text = DOWNTIME.sub("N of downtime", text)
            result[path] = PERCENT.sub("N%", text)
        else:
            result[path] = data
    return result


GENERATED = re.compile(r"<time [^>]*data-relative[^>]*>[^<]*</time>")  # "Page generated …", "As of …"
DATA_GENERATED = re.compile(r' data-generated="[^"]*"')
DOWNTIME = re.compile(r"[^,<>]* of downtime")
PERCENT = re.compile(r"\d[\d.,\s\u00a0]*\s?%")


@pytest.mark.parametrize("case", ["maint", "open_incident"])
def test_a_build_is_the_same_until_valid_until_and_differs_at_it(case, request):
    """Build at an instant and one second before the recorded valid_until: identical pages, feeds
    and API (but for the generation time); at valid_until itself, something differs. Repeated
    from boundary to boundary, so no boundary is missed and none is made up."""
    content = request.getfixturevalue(case)
    site = load_site(content)
    theme = resolve_theme(content, site.theme)
    now = {"maint": WINDOW_START - timedelta(days=2), "open_incident": PROMISED - timedelta(hours=1)}[case]
    seen = []
    at_now = comparable(render_site(site, now, theme))
    for _ in range(4):
        change = expiry.next_change(site, now)
        assert change is not None
        until, reason = change
        seen.append(reason)
        just_before = comparable(render_site(site, until - SECOND, theme))
        assert at_now == just_before, f"{case}: output changed before {until} ({reason})"
        at_until = comparable(render_site(site, until, theme))
        assert at_until != just_before, f"{case}: {reason} changed nothing"
        now, at_now = until, at_until
    assert any("begins" in r or "overdue" in r for r in seen)


# ---------------------------------------------------------------- statusgen next-change, as a user runs it


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.run([sys.executable, "-m", "statusgen", "next-change", *args], capture_output=True,
                          text=True, input=stdin, cwd=REPO, env=env, timeout=60)  # fmt: skip


def test_next_change_on_a_built_site_tells_whether_it_is_past(builds):
    site_dir = str(builds["before"])
    fresh = run("--site-dir", site_dir, "--now", "2026-12-01T00:59:59Z")
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.startswith("valid until 2026-12-01T01:00:00Z (in 1 s): maintenance dashboard-db begins")
    past = run("--site-dir", site_dir, "--now", "2026-12-01T02:05:00+01:00")
    assert past.returncode == 3, past.stderr
    assert "out of date since 2026-12-01T01:00:00Z (5 min ago)" in past.stdout and "rebuild now" in past.stdout
    as_json = run("--site-dir", site_dir, "--now", "2026-12-01T01:00:00Z", "--json")
    assert as_json.returncode == 3
    assert json.loads(as_json.stdout) == {**record(builds["before"]), "past": True}


def test_next_change_reads_a_fetched_copy_from_stdin_and_a_content_folder(builds, open_incident):
    text = (builds["due"] / "api" / "next-change.json").read_text()
    assert run("--file", "-", "--now", "2026-11-22T07:45:00Z", stdin=text).returncode == 0
    late = run("--file", "-", "--now", "2026-11-22T07:45:01Z", stdin=text)
    assert late.returncode == 3 and "the next update promised by 2026-11-22T07:45:00Z is overdue" in late.stdout
    from_content = run("--content", str(open_incident), "--now", "2026-11-22T07:20:00Z", "--json")
    assert from_content.returncode == 0, from_content.stderr
    assert json.loads(from_content.stdout) == {
        "generated_at": "2026-11-22T07:20:00Z", "valid_until": "2026-11-22T07:45:01Z",
        "reason": "incident webhooks-delay: the next update promised by 2026-11-22T07:45:00Z is overdue",
        "past": False}  # fmt: skip


def test_next_change_never_and_errors(tmp_path):
    content = make_repo(tmp_path, {"incidents/old.md": OLD})
    out = tmp_path / "public"
    assert build(content, out, "2026-11-22T08:00:00Z") == 0
    assert record(out) == {"generated_at": "2026-11-22T08:00:00Z", "valid_until": None, "reason": None}
    never = run("--site-dir", str(out), "--now", "2030-01-01T00:00:00Z")
    assert never.returncode == 0 and never.stdout.startswith("never expires")
    missing = run("--site-dir", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    garbage = run("--file", "-", stdin="<html>not json</html>")
    assert garbage.returncode == 1 and "not JSON" in garbage.stderr
    # A hostile file cannot send terminal control sequences through.
    evil = json.dumps({"generated_at": "2026-11-22T08:00:00Z", "valid_until": "2026-11-22T09:00:00Z",
                       "reason": "x\u001b[2Jy"})  # fmt: skip
    shown = run("--file", "-", "--now", "2026-11-22T08:00:00Z", stdin=evil)
    assert shown.returncode == 0 and "\x1b" not in shown.stdout and "x\\x1b[2Jy" in shown.stdout
    both = run("--site-dir", str(out), "--content", str(content))
    assert both.returncode == 2
