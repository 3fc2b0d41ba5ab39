"""Derived status and uptime: computed from the incident history at an instant, never typed by hand."""

from datetime import date, datetime, timedelta, timezone

import textwrap

import pytest
from sitekit import SITE_YAML, incident, make_repo

from statusgen import derive
from statusgen.build import load_site
from statusgen.derive import Indicator, Phase
from statusgen.model import ComponentStatus
from statusgen.timeparse import parse_timestamp

OPERATIONAL = ComponentStatus.OPERATIONAL


def at(text):
    return parse_timestamp(text, "Europe/Berlin")


def site_with(tmp_path, files, site_yaml=SITE_YAML):
    return load_site(make_repo(tmp_path, files, site_yaml))


MAINTENANCE = textwrap.dedent("""\
    ---
    type: maintenance
    title: Dashboard database upgrade
    services: [dashboard]
    scheduled: {start: 2026-12-01 02:00 +01:00, end: 2026-12-01 04:00 +01:00}
    ---
    ## 2026-11-25 10:00 +01:00 — Scheduled
    We will upgrade the database; the dashboard will be read-only.
    """)


def test_open_incident_sets_status_and_indicator(tmp_path):
    site = site_with(tmp_path, {"incidents/a.md": incident(resolved=None, impact="major")})
    now = at("2026-11-20 15:00")
    assert derive.service_statuses(site, now) == {
        "api": ComponentStatus.PARTIAL_OUTAGE, "dashboard": OPERATIONAL, "webhooks": OPERATIONAL,
    }  # fmt: skip
    assert derive.indicator(site, now) is Indicator.MAJOR
    assert [i.id for i in derive.open_incidents(site, now)] == ["a"]


def test_resolved_incident_no_longer_counts(tmp_path):
    site = site_with(tmp_path, {"incidents/a.md": incident()})
    assert derive.service_statuses(site, at("2026-11-20 15:00"))["api"] is ComponentStatus.PARTIAL_OUTAGE
    assert derive.service_statuses(site, at("2026-11-20 15:41"))["api"] is OPERATIONAL
    assert derive.indicator(site, at("2026-11-20 15:41")) is Indicator.NONE
    assert derive.phase(site.incidents[0], at("2026-11-20 15:41")) is Phase.RESOLVED


def test_worst_status_wins_among_overlapping_incidents(tmp_path):
    files = {
        "incidents/a.md": incident(resolved=None, impact="minor"),
        "incidents/b.md": incident(resolved=None, services="{api: major_outage, webhooks: degraded_performance}",
                                   impact="critical"),
    }  # fmt: skip
    site = site_with(tmp_path, files)
    statuses = derive.service_statuses(site, at("2026-11-20 15:00"))
    assert statuses["api"] is ComponentStatus.MAJOR_OUTAGE
    assert statuses["webhooks"] is ComponentStatus.DEGRADED_PERFORMANCE
    assert derive.indicator(site, at("2026-11-20 15:00")) is Indicator.CRITICAL


def test_incident_not_yet_started_changes_nothing(tmp_path):
    site = site_with(tmp_path, {"incidents/a.md": incident(resolved=None)})
    assert derive.service_statuses(site, at("2026-11-20 14:00"))["api"] is OPERATIONAL
    assert derive.open_incidents(site, at("2026-11-20 14:00")) == []
    assert derive.indicator(site, at("2026-11-20 14:00")) is Indicator.NONE


@pytest.mark.parametrize(
    "now, phase, status, indicator",
    [
        ("2026-11-30 12:00", Phase.UPCOMING, OPERATIONAL, Indicator.NONE),
        ("2026-12-01 02:00", Phase.IN_PROGRESS, ComponentStatus.UNDER_MAINTENANCE, Indicator.MAINTENANCE),
        ("2026-12-01 03:59", Phase.IN_PROGRESS, ComponentStatus.UNDER_MAINTENANCE, Indicator.MAINTENANCE),
        ("2026-12-01 04:00", Phase.COMPLETED, OPERATIONAL, Indicator.NONE),
    ],
)
def test_maintenance_changes_status_only_inside_its_window(tmp_path, now, phase, status, indicator):
    site = site_with(tmp_path, {"incidents/m.md": MAINTENANCE})
    (m,) = site.incidents
    assert derive.phase(m, at(now)) is phase
    assert derive.service_statuses(site, at(now))["dashboard"] is status
    assert derive.indicator(site, at(now)) is indicator


def test_maintenance_completed_early_or_started_early(tmp_path):
    text = MAINTENANCE + (
        "\n## 2026-12-01 01:50 +01:00 — In progress\nStarting ten minutes early.\n"
        "\n## 2026-12-01 03:10 +01:00 — Completed\nDone early.\n"
    )
    site = site_with(tmp_path, {"incidents/m.md": text})
    (m,) = site.incidents
    assert derive.phase(m, at("2026-12-01 01:55")) is Phase.IN_PROGRESS
    assert derive.phase(m, at("2026-12-01 03:30")) is Phase.COMPLETED
    assert [i.id for i in derive.maintenance_in(site, at("2026-11-30 00:00"), Phase.UPCOMING)] == ["m"]


def test_an_outage_during_maintenance_shows_the_outage(tmp_path):
    files = {"incidents/m.md": MAINTENANCE, "incidents/a.md": incident(
        services="[dashboard]", impact="critical", started="2026-12-01 02:30 +01:00", resolved=None,
        body="## 2026-12-01 02:35 +01:00 — Investigating\nThe upgrade failed; the dashboard is down.\n")}  # fmt: skip
    site = site_with(tmp_path, files)
    assert derive.service_statuses(site, at("2026-12-01 03:00"))["dashboard"] is ComponentStatus.MAJOR_OUTAGE
    assert derive.indicator(site, at("2026-12-01 03:00")) is Indicator.CRITICAL


def test_next_update_due_follows_the_last_promise_or_the_site_interval(tmp_path):
    body = "## 2026-11-20 14:12 +01:00 — Investigating\nLooking.\nNext update in 1 hour.\n"
    site = site_with(tmp_path, {"incidents/a.md": incident(resolved=None, body=body)})
    assert derive.next_update_due(site.incidents[0], site) == at("2026-11-20 15:12")
    body2 = body + "\n## 2026-11-20 15:00 +01:00 — Identified\nFound it.\n"
    site2 = site_with(tmp_path / "b", {"incidents/a.md": incident(resolved=None, body=body2)})
    assert derive.next_update_due(site2.incidents[0], site2) == at("2026-11-20 15:20")  # site default 20m


# ---------------------------------------------------------------- uptime


def uptime(site, service, now, days=90):
    return derive.uptime(site, site.service(service), at(now), days)


def test_uptime_weights_by_status(tmp_path):
    # 1 day of history (since = yesterday); a 2.4 h major outage and a 2.4 h partial outage → 10% + 3%.
    site_yaml = SITE_YAML.replace("since: 2025-01-01", "since: 2026-11-20")
    files = {
        "incidents/a.md": incident(services="{api: major_outage}", started="2026-11-20 01:00", resolved="2026-11-20 03:24"),
        "incidents/b.md": incident(services="{api: partial_outage}", started="2026-11-20 10:00", resolved="2026-11-20 12:24"),
        "incidents/c.md": incident(services="{api: degraded_performance}", started="2026-11-20 13:00", resolved="2026-11-20 23:00"),
    }  # fmt: skip
    site = site_with(tmp_path, files, site_yaml)
    up = uptime(site, "api", "2026-11-21 00:00", days=2)
    assert up.ratio == pytest.approx(1 - (0.1 + 0.1 * 0.3))
    day = up.days[0]
    assert day.day == date(2026, 11, 20) and day.worst is ComponentStatus.MAJOR_OUTAGE
    assert day.incident_ids == ("a", "b", "c")
    assert not up.days[1].counted  # today has no elapsed time at midnight


def test_overlapping_incidents_are_not_counted_twice(tmp_path):
    site_yaml = SITE_YAML.replace("since: 2025-01-01", "since: 2026-11-20")
    files = {
        "incidents/a.md": incident(services="{api: major_outage}", started="2026-11-20 10:00", resolved="2026-11-20 12:00"),
        "incidents/b.md": incident(services="{api: major_outage}", started="2026-11-20 11:00", resolved="2026-11-20 13:00"),
        "incidents/c.md": incident(services="{api: partial_outage}", started="2026-11-20 12:30", resolved="2026-11-20 14:00"),
    }  # fmt: skip
    site = site_with(tmp_path, files, site_yaml)
    up = uptime(site, "api", "2026-11-21 00:00", days=1 + 1)
    # major 10:00–13:00 (3 h), then partial 13:00–14:00 (1 h at 0.3): 3.3 h of 24 h
    assert up.days[0].downtime == timedelta(hours=3.3)
    assert up.ratio == pytest.approx(1 - 3.3 / 24)


def test_open_incident_counts_until_now(tmp_path):
    site_yaml = SITE_YAML.replace("since: 2025-01-01", "since: 2026-11-20")
    files = {"incidents/a.md": incident(services="{api: major_outage}", started="2026-11-20 06:00", resolved=None)}
    site = site_with(tmp_path, files, site_yaml)
    up = uptime(site, "api", "2026-11-20 12:00", days=1)
    assert up.ratio == pytest.approx(0.5)  # 6 h down of the 12 h elapsed today


def test_history_before_since_is_not_counted(tmp_path):
    files = {"incidents/a.md": incident(services="{dashboard: major_outage}", started="2026-11-10 00:00",
                                        resolved="2026-11-11 00:00")}  # fmt: skip
    site_yaml = SITE_YAML.replace("    name: Dashboard\n", "    name: Dashboard\n    since: 2026-11-15\n")
    site = site_with(tmp_path, files, site_yaml)
    up = uptime(site, "dashboard", "2026-11-22 00:00", days=30)
    assert up.ratio == 1.0
    assert sum(d.counted for d in up.days) == 7  # 15th to 21st


def test_uptime_days_follow_the_site_zone_across_dst(tmp_path):
    # 2026-10-25 is 25 hours long in Berlin: a full-day outage is 25 h of downtime in that one bar.
    site_yaml = SITE_YAML.replace("since: 2025-01-01", "since: 2026-10-24")
    files = {"incidents/a.md": incident(services="{api: major_outage}", started="2026-10-25 00:00 +02:00",
                                        resolved="2026-10-26 00:00 +01:00")}  # fmt: skip
    site = site_with(tmp_path, files, site_yaml)
    up = uptime(site, "api", "2026-10-27 00:00", days=4)
    assert [d.day.isoformat() for d in up.days] == ["2026-10-24", "2026-10-25", "2026-10-26", "2026-10-27"]
    assert up.days[1].downtime == timedelta(hours=25)
    assert up.days[0].downtime == up.days[2].downtime == timedelta()
    assert up.ratio == pytest.approx(1 - 25 / (24 + 25 + 24))


def test_no_counted_time_means_no_ratio(tmp_path):
    site_yaml = SITE_YAML.replace("since: 2025-01-01", "since: 2027-01-01")
    site = site_with(tmp_path, {}, site_yaml)
    assert uptime(site, "api", "2026-11-22 12:00").ratio is None


def test_archive_months_in_site_zone(tmp_path):
    files = {
        "incidents/a.md": incident(started="2026-11-01 00:30 +01:00", resolved="2026-11-01 01:00 +01:00"),  # Oct 31 in UTC
        "incidents/b.md": incident(started="2026-10-15 10:00", resolved="2026-10-15 11:00"),
        "incidents/c.md": incident(started="2025-12-31 23:00", resolved="2026-01-01 01:00"),
    }  # fmt: skip
    site = site_with(tmp_path, files)
    assert [(key, [i.id for i in items]) for key, items in derive.by_month(site)] == [
        ((2026, 11), ["a"]), ((2026, 10), ["b"]), ((2025, 12), ["c"]),
    ]  # fmt: skip


def test_derive_never_reads_the_clock(tmp_path, monkeypatch):
    site = site_with(tmp_path, {"incidents/a.md": incident(resolved=None)})

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            raise AssertionError("derive read the clock")

    monkeypatch.setattr("statusgen.derive.datetime", Frozen)
    derive.uptime(site, site.service("api"), at("2026-11-21 00:00"), 90)
    derive.service_statuses(site, datetime(2026, 11, 21, tzinfo=timezone.utc))


@pytest.mark.parametrize("kind", ["incident", "maintenance"])
def test_a_settled_incident_looks_the_same_at_any_later_instant(tmp_path, kind):
    """Pages of settled incidents are not rendered again as the clock moves (statusgen.build):
    settled() must hold only once nothing derived from the incident can change any more."""
    text = incident() if kind == "incident" else MAINTENANCE + (
        "\n## 2026-12-01 02:00 +01:00 — In progress\nStarted.\n\n## 2026-12-01 03:10 +01:00 — Completed\nDone.\n"
    )
    (item,) = site_with(tmp_path, {"incidents/x.md": text}).incidents
    first = at("2026-11-20 00:00")
    moments = [first + timedelta(minutes=10 * n) for n in range(6 * 24 * 14)]  # two weeks in 10-minute steps

    def seen(now):
        return derive.phase(item, now), derive.published_updates(item, now), derive.is_active(item, now)

    settled_at = [now for now in moments if derive.settled(item, now)]
    assert settled_at, "never settled"
    assert all(derive.settled(item, now) for now in moments if now >= settled_at[0])  # once settled, always
    assert seen(settled_at[0]) == seen(moments[-1] + timedelta(days=3650))
    before = settled_at[0] - timedelta(minutes=10)
    assert not derive.settled(item, before) and seen(before) != seen(settled_at[0])
