"""`statusgen stats`: communication metrics computed from real incident files, checked by hand."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from statusgen.build import load_site
from statusgen.cli import main
from statusgen.stats import compute, promises
from statusgen.timeparse import parse_timestamp
from tests.sitekit import make_repo

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-22T09:00:00+01:00"

FILES = {
    # api: first update after 5 min, resolved after 60; one promise kept (10:20 ≤ 10:25), one broken (11:00 > 10:40)
    "incidents/2026/a.md": """\
        ---
        title: API errors
        impact: major
        services: [api]
        started: 2026-09-01 10:00 +02:00
        resolved: 2026-09-01 11:00 +02:00
        reported_by: monitoring
        ---
        ## 2026-09-01 10:05 +02:00 — Investigating
        5% of API requests fail.

        Next update by 10:25.

        ## 2026-09-01 10:20 +02:00 — Identified
        A bad deploy; rolling back.

        Next update in 20 minutes.

        ## 2026-09-01 11:00 +02:00 — Resolved
        Between 10:00 and 10:50 CEST 5% of API requests failed.
        """,
    # api + dashboard, reported by a customer: first update after 20 min, resolved after 120; the promise is kept
    # exactly on time
    "incidents/2026/b.md": """\
        ---
        title: Slow API and Dashboard
        impact: minor
        services: [api, dashboard]
        started: 2026-09-10 12:00 +02:00
        resolved: 2026-09-10 14:00 +02:00
        reported_by: customer
        ---
        ## 2026-09-10 12:20 +02:00 — Investigating
        Pages take 10 s to load.

        Next update by 12:40.

        ## 2026-09-10 12:40 +02:00 — Identified
        A slow query; we added an index.

        ## 2026-09-10 14:00 +02:00 — Resolved
        Slow from 12:00 to 13:40 CEST.
        """,
    # dashboard: first update after 10 min, resolved after 30, no promises
    "incidents/2026/c.md": """\
        ---
        title: Dashboard exports failing
        impact: minor
        services: [dashboard]
        started: 2026-11-01 08:00 +01:00
        resolved: 2026-11-01 08:30 +01:00
        ---
        ## 2026-11-01 08:10 +01:00 — Investigating
        CSV exports fail.

        ## 2026-11-01 08:30 +01:00 — Resolved
        Exports failed from 08:00 to 08:25 CET.
        """,
    # maintenance is not counted
    "incidents/2026/m.md": """\
        ---
        type: maintenance
        title: Database upgrade
        services: [api]
        scheduled: {start: 2026-10-04 02:00 +02:00, end: 2026-10-04 03:00 +02:00}
        ---
        ## 2026-09-30 10:00 +02:00 — Scheduled
        The API may fail for 5 minutes.
        """,
}


def stats_json(tmp_path: Path, now: str = NOW) -> dict:
    content = make_repo(tmp_path, FILES)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["stats", "--content", str(content), "--format", "json", "--now", now]) == 0
    return json.loads(out.getvalue())


def test_overall_numbers(tmp_path):
    data = stats_json(tmp_path)
    o = data["overall"]
    assert data["months"] == ["2026-09", "2026-10", "2026-11"]
    assert o["incidents"] == 3
    assert o["time_to_first_update_minutes"] == {"count": 3, "median": 10.0, "p90": 20.0}
    assert o["time_to_resolve_minutes"] == {"count": 3, "median": 60.0, "p90": 120.0}
    assert o["promises"] == {"due": 3, "kept": 2, "share_kept": 0.6667}
    assert o["customer_reported"] == {"count": 1, "share": 0.3333}
    assert o["incidents_per_month"] == {"2026-09": 2, "2026-10": 0, "2026-11": 1}


def test_per_service_numbers(tmp_path):
    services = {s["service"]: s for s in stats_json(tmp_path)["services"]}
    assert list(services) == ["api", "dashboard", "webhooks"]  # site.yaml order
    api, dash, hooks = services["api"], services["dashboard"], services["webhooks"]
    assert api["time_to_first_update_minutes"] == {"count": 2, "median": 12.5, "p90": 20.0}
    assert api["time_to_resolve_minutes"] == {"count": 2, "median": 90.0, "p90": 120.0}
    assert api["promises"]["kept"] == 2 and api["promises"]["due"] == 3
    assert dash["time_to_resolve_minutes"] == {"count": 2, "median": 75.0, "p90": 120.0}
    assert dash["customer_reported"] == {"count": 1, "share": 0.5}
    assert hooks["incidents"] == 0 and hooks["time_to_first_update_minutes"]["median"] is None
    assert hooks["promises"]["share_kept"] is None


def test_an_open_promise_counts_only_once_it_is_due(tmp_path):
    files = {"incidents/2026/open.md": """\
        ---
        title: Webhooks delayed
        impact: minor
        services: [webhooks]
        started: 2026-11-22 08:00 +01:00
        ---
        ## 2026-11-22 08:05 +01:00 — Investigating
        Webhooks arrive 5 minutes late.

        Next update by 09:30.
        """}
    site = load_site(make_repo(tmp_path, files))
    [incident] = site.incidents
    assert promises(incident, parse_timestamp("2026-11-22 09:00 +01:00", "UTC")) == (0, 0)
    assert promises(incident, parse_timestamp("2026-11-22 09:31 +01:00", "UTC")) == (1, 0)
    stats = compute(site, parse_timestamp("2026-11-22 09:00 +01:00", "UTC"))
    assert stats.overall.resolve.count == 0 and stats.overall.first_update.median.total_seconds() == 300


def test_text_report_as_a_user_runs_it(tmp_path):
    make_repo(tmp_path, FILES)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "statusgen", "stats", "--now", NOW], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "3 incidents from 2026-09 to 2026-11 (1.0 per month; maintenance not counted)"
    row = next(ln for ln in lines if ln.startswith("All services"))
    assert row.split("  ")[0] == "All services"
    assert "10 min / 20 min" in row and "1 h / 2 h" in row and "2/3 (67%)" in row and "1/3 (33%)" in row
    webhooks = next(ln for ln in lines if ln.startswith("Webhooks"))
    assert webhooks.split()[1] == "0" and "—" in webhooks
    assert "  2026-10    0" in lines


def test_no_incidents_yet(tmp_path):
    site = load_site(make_repo(tmp_path, {}))
    assert compute(site, parse_timestamp(NOW, "UTC")).months == ()
