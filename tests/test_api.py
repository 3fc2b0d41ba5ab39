"""The Statuspage-compatible API under api/v2/: sites built the way a user builds them, every file
validated against the JSON Schemas in schemas/statuspage-v2/, and the fields a Statuspage client
reads checked one by one."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from sitekit import build, incident, make_repo
from statusgen.build import load_site
from statusgen.cli import resolve_now
from statusgen.render import api

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas" / "statuspage-v2"
BASE = "https://status.test.example/"


def render_to(content: Path, out: Path, now: str) -> int:
    """Write this renderer's files for a content folder, as `statusgen build --now` would.

    Rendering only this format keeps these tests about it; test_end_to_end checks that a real
    `statusgen build` writes the very same bytes."""
    site = load_site(content)
    for rel, data in api.render(site, resolve_now(now, {})):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return 0

# Which schema each file follows.
ENDPOINTS = {
    "summary.json": "summary",
    "status.json": "status",
    "components.json": "components",
    "incidents.json": "incidents",
    "incidents/all.json": "incidents",
    "incidents/unresolved.json": "incidents-unresolved",
    "scheduled-maintenances.json": "scheduled-maintenances",
    "scheduled-maintenances/all.json": "scheduled-maintenances",
    "scheduled-maintenances/upcoming.json": "scheduled-maintenances-upcoming",
    "scheduled-maintenances/active.json": "scheduled-maintenances-active",
}

MAINTENANCE = """\
---
type: maintenance
title: Database upgrade for the Dashboard
services: [dashboard]
scheduled: {start: 2026-12-01 02:00 +01:00, end: 2026-12-01 04:00 +01:00}
---
## 2026-11-25 10:00 +01:00 — Scheduled
We will upgrade the Dashboard's database.

## 2026-12-01 02:00 +01:00 — In progress
The upgrade has started.

## 2026-12-01 03:30 +01:00 — Completed
Done, half an hour early.
"""

OPEN_INCIDENT = incident(
    "Webhooks delayed",
    services="[webhooks]",
    impact="minor",
    started="2026-11-24 12:00 +01:00",
    resolved=None,
    body=(
        "## 2026-11-24 12:05 +01:00 — Investigating\nWebhooks arrive late.\n\n"
        "## 2026-11-24 12:30 +01:00 — Update\nStill looking.\n\n"
        "## 2026-11-24 13:00 +01:00 — Identified\nA stuck queue.\n"
    ),
)

FILES = {
    "incidents/2026/eu-api-errors.md": incident(),  # resolved 2026-11-20 15:40 +01:00
    "incidents/2026/webhooks-delayed.md": OPEN_INCIDENT,
    "incidents/2026/db-upgrade.md": MAINTENANCE,
}

UPCOMING_NOW = "2026-11-26T09:00:00+01:00"
ACTIVE_NOW = "2026-12-01T02:30:00+01:00"
COMPLETED_NOW = "2026-12-02T09:00:00+01:00"


@pytest.fixture(scope="module")
def validators() -> dict[str, Draft202012Validator]:
    schemas = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(SCHEMAS.glob("*.schema.json"))]
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
    out = {}
    for schema in schemas:
        Draft202012Validator.check_schema(schema)
        name = schema["$id"].rsplit("/", 1)[1].removesuffix(".schema.json")
        out[name] = Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())
    return out


def schema_errors(validators, out: Path) -> list[str]:
    problems = []
    for rel, name in ENDPOINTS.items():
        doc = json.loads((out / "api/v2" / rel).read_text(encoding="utf-8"))
        problems += [f"{rel}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validators[name].iter_errors(doc)]
    return problems


def load(out: Path, rel: str) -> dict:
    return json.loads((out / "api/v2" / rel).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, Path]:
    """The same content built at three instants: maintenance upcoming, in progress, completed."""
    root = tmp_path_factory.mktemp("api")
    content = make_repo(root, FILES)
    outs = {}
    for name, now in [("upcoming", UPCOMING_NOW), ("active", ACTIVE_NOW), ("completed", COMPLETED_NOW)]:
        outs[name] = root / name
        assert render_to(content, outs[name], now) == 0
    return outs


# ---------------------------------------------------------------- schema validation


@pytest.mark.parametrize("when", ["upcoming", "active", "completed"])
def test_every_file_matches_the_schema(sites, validators, when):
    root = sites[when] / "api/v2"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*.json")) == sorted(ENDPOINTS)
    assert schema_errors(validators, sites[when]) == []


@pytest.mark.skipif(not (REPO / "content" / "site.yaml").is_file(), reason="no example site in content/")
@pytest.mark.parametrize("now", ["2026-11-22T09:00:00+01:00", "2026-09-13T02:30:00+02:00", "2025-01-01T00:00:00Z"])
def test_the_example_site_matches_the_schema(tmp_path, validators, now):
    assert render_to(REPO / "content", tmp_path / "out", now) == 0
    assert schema_errors(validators, tmp_path / "out") == []
    assert load(tmp_path / "out", "incidents/all.json")["incidents"], "the example site has incidents"


def test_the_schema_rejects_what_a_client_would_choke_on(sites, validators):
    good = load(sites["active"], "summary.json")
    assert not list(validators["summary"].iter_errors(good))
    broken = [
        ("status", "indicator", "green"),
        ("page", "updated_at", "2026-11-26 09:00"),  # no 'T', no offset
        ("page", "id", "Not-An-Id"),
    ]
    for obj, key, value in broken:
        doc = json.loads(json.dumps(good))
        doc[obj][key] = value
        assert list(validators["summary"].iter_errors(doc)), (obj, key, value)
    doc = json.loads(json.dumps(good))
    doc["components"][1]["status"] = "down"
    assert list(validators["summary"].iter_errors(doc))
    doc = json.loads(json.dumps(good))
    doc["incidents"][0]["status"] = "resolved"  # summary lists only unresolved incidents
    assert list(validators["summary"].iter_errors(doc))
    doc = json.loads(json.dumps(good))
    doc["scheduled_maintenances"][0]["incident_updates"][0]["extra"] = 1
    assert list(validators["summary"].iter_errors(doc))


# ---------------------------------------------------------------- what clients read


def test_status_indicator_and_component_statuses(sites):
    summary = load(sites["active"], "summary.json")
    assert summary["status"] == {"indicator": "minor", "description": "Minor Service Outage"}
    by_name = {c["name"]: c for c in summary["components"]}
    assert by_name["Webhooks"]["status"] == "degraded_performance"  # the open minor incident
    assert by_name["Dashboard"]["status"] == "under_maintenance"  # inside the window
    assert by_name["Public API"]["status"] == "operational"  # its incident is resolved
    assert load(sites["active"], "status.json")["status"] == summary["status"]
    assert load(sites["active"], "components.json")["components"] == summary["components"]
    later = {c["name"]: c["status"] for c in load(sites["completed"], "components.json")["components"]}
    assert later["Dashboard"] == "operational"


def test_indicator_is_maintenance_when_only_maintenance_runs(tmp_path):
    content = make_repo(tmp_path, {"incidents/m.md": MAINTENANCE})
    assert render_to(content, tmp_path / "out", ACTIVE_NOW) == 0
    status = load(tmp_path / "out", "status.json")["status"]
    assert status == {"indicator": "maintenance", "description": "Service Under Maintenance"}
    assert render_to(content, tmp_path / "out", COMPLETED_NOW) == 0
    assert load(tmp_path / "out", "status.json")["status"] == {"indicator": "none", "description": "All Systems Operational"}


def test_groups_become_group_components(sites):
    components = load(sites["active"], "components.json")["components"]
    by_name = {c["name"]: c for c in components}
    platform, apps = by_name["Platform"], by_name["Apps"]
    assert platform["group"] is True and apps["group"] is True
    assert platform["components"] == [by_name["Public API"]["id"], by_name["Webhooks"]["id"]]
    assert apps["components"] == [by_name["Dashboard"]["id"]]
    assert by_name["Webhooks"]["group_id"] == platform["id"] and by_name["Dashboard"]["group_id"] == apps["id"]
    assert platform["status"] == "degraded_performance"  # the worst of its members
    assert [c["name"] for c in components] == ["Platform", "Public API", "Webhooks", "Apps", "Dashboard"]
    assert [c["position"] for c in components] == [1, 1, 2, 2, 1]
    assert by_name["Public API"]["start_date"] == "2025-01-01" and by_name["Webhooks"]["start_date"] is None
    assert by_name["Public API"]["description"] == "REST endpoints" and by_name["Webhooks"]["description"] is None
    assert all("components" not in c for c in components if not c["group"])


def test_unresolved_lists_only_unresolved_incidents(sites):
    for out in sites.values():
        unresolved = load(out, "incidents/unresolved.json")["incidents"]
        assert [i["name"] for i in unresolved] == ["Webhooks delayed"]
        assert unresolved[0]["status"] == "identified" and unresolved[0]["resolved_at"] is None
        everything = load(out, "incidents.json")["incidents"]
        assert [i["name"] for i in everything] == ["Webhooks delayed", "Elevated error rates on the Public API"]
        resolved = everything[1]
        assert resolved["status"] == "resolved"
        assert datetime.fromisoformat(resolved["resolved_at"]) == datetime.fromisoformat("2026-11-20T15:40:00+01:00")
        assert load(out, "summary.json")["incidents"] == unresolved
        assert all(i["impact"] != "maintenance" for i in everything)


def test_upcoming_and_active_maintenance_split_by_now(sites):
    def names(out, rel):
        return [m["name"] for m in load(out, rel)["scheduled_maintenances"]]

    title = "Database upgrade for the Dashboard"
    expected = {"upcoming": ([title], [], "scheduled"), "active": ([], [title], "in_progress"), "completed": ([], [], "completed")}
    for when, (upcoming, active, status) in expected.items():
        out = sites[when]
        assert names(out, "scheduled-maintenances/upcoming.json") == upcoming, when
        assert names(out, "scheduled-maintenances/active.json") == active, when
        assert names(out, "summary.json") == active + upcoming, when
        (m,) = load(out, "scheduled-maintenances.json")["scheduled_maintenances"]
        assert m["status"] == status and m["impact"] == "maintenance"
        assert datetime.fromisoformat(m["scheduled_for"]) == datetime.fromisoformat("2026-12-01T02:00:00+01:00")
        assert datetime.fromisoformat(m["scheduled_until"]) == datetime.fromisoformat("2026-12-01T04:00:00+01:00")
    done = load(sites["completed"], "scheduled-maintenances.json")["scheduled_maintenances"][0]
    assert datetime.fromisoformat(done["resolved_at"]) == datetime.fromisoformat("2026-12-01T03:30:00+01:00")


def test_updates_are_newest_first_and_not_shown_before_their_time(sites):
    def statuses(when):
        (m,) = load(sites[when], "scheduled-maintenances.json")["scheduled_maintenances"]
        return [u["status"] for u in m["incident_updates"]]

    assert statuses("upcoming") == ["scheduled"]
    assert statuses("active") == ["in_progress", "scheduled"]
    assert statuses("completed") == ["completed", "in_progress", "scheduled"]
    (m,) = load(sites["completed"], "scheduled-maintenances.json")["scheduled_maintenances"]
    completed, in_progress, scheduled = m["incident_updates"]
    dashboard = [{"code": m["components"][0]["id"], "name": "Dashboard"}]
    assert [{k: a[k] for k in ("code", "name")} for a in in_progress["affected_components"]] == dashboard
    def change(update):
        (only,) = update["affected_components"]
        return only["old_status"], only["new_status"]

    assert change(scheduled) == ("operational", "operational")
    assert change(in_progress) == ("operational", "under_maintenance")
    assert change(completed) == ("under_maintenance", "operational")
    assert scheduled["body"] == "We will upgrade the Dashboard's database."
    assert all(u["incident_id"] == m["id"] for u in m["incident_updates"])


def test_the_update_stage_keeps_the_status_before_it(sites):
    (open_,) = load(sites["upcoming"], "incidents/unresolved.json")["incidents"]
    assert [(u["status"], u["body"]) for u in open_["incident_updates"]] == [
        ("identified", "A stuck queue."),
        ("investigating", "Still looking."),
        ("investigating", "Webhooks arrive late."),
    ]
    first = open_["incident_updates"][-1]["affected_components"][0]
    assert (first["name"], first["old_status"], first["new_status"]) == ("Webhooks", "operational", "degraded_performance")


def test_incident_fields(sites):
    resolved = load(sites["upcoming"], "incidents.json")["incidents"][1]
    assert resolved["shortlink"] == BASE + "incidents/eu-api-errors/"
    assert resolved["impact"] == "major"
    assert datetime.fromisoformat(resolved["started_at"]) == datetime.fromisoformat("2026-11-20T14:05:00+01:00")
    assert datetime.fromisoformat(resolved["created_at"]) == datetime.fromisoformat("2026-11-20T14:12:00+01:00")
    assert datetime.fromisoformat(resolved["updated_at"]) == datetime.fromisoformat("2026-11-20T15:40:00+01:00")
    assert resolved["monitoring_at"] is None
    assert [c["name"] for c in resolved["components"]] == ["Public API"]
    assert resolved["page_id"] == load(sites["upcoming"], "status.json")["page"]["id"]


def test_timestamps_carry_the_site_offset(sites):
    text = (sites["completed"] / "api/v2/summary.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    stamps = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if (k.endswith("_at") or k in ("scheduled_for", "scheduled_until")) and v is not None:
                    stamps.append(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(load(sites["completed"], "incidents/all.json"))
    walk(load(sites["completed"], "scheduled-maintenances/all.json"))
    walk(doc)
    assert len(stamps) > 30
    for stamp in stamps:
        parsed = datetime.fromisoformat(stamp)
        assert parsed.utcoffset() is not None, stamp
        # Europe/Berlin in winter: every time is shown at +01:00, as the hosted API shows the page's zone
        assert stamp.endswith("+01:00"), stamp
    assert doc["page"]["time_zone"] == "Europe/Berlin"


def test_page_fields_and_updated_at_comes_from_content(sites, tmp_path):
    page = load(sites["completed"], "summary.json")["page"]
    assert page["name"] == "Test Status" and page["url"] == "https://status.test.example"
    # the newest thing that happened by then: the maintenance completed at 03:30
    assert datetime.fromisoformat(page["updated_at"]) == datetime.fromisoformat("2026-12-01T03:30:00+01:00")
    # a later build with nothing new writes the same bytes (no clock in the output)
    content = make_repo(tmp_path, FILES)
    assert render_to(content, tmp_path / "later", "2027-01-15T12:00:00Z") == 0
    for rel in ENDPOINTS:
        assert (tmp_path / "later/api/v2" / rel).read_bytes() == (sites["completed"] / "api/v2" / rel).read_bytes(), rel


def test_ids_are_stable_across_builds_and_content_changes(sites, tmp_path):
    def ids(out):
        found = {}
        for rel in ("components.json", "incidents/all.json", "scheduled-maintenances/all.json"):
            doc = load(out, rel)
            for obj in doc.get("components", []) + doc.get("incidents", []) + doc.get("scheduled_maintenances", []):
                found[obj["name"]] = obj["id"]
                for u in obj.get("incident_updates", []):
                    found[obj["name"] + "/" + u["created_at"]] = u["id"]
        return found

    first = ids(sites["completed"])
    assert len(set(first.values())) == len(first)  # all distinct
    files = dict(FILES)
    files["incidents/2026/another.md"] = incident(
        "Another one", started="2026-11-10 10:00 +01:00", resolved="2026-11-10 11:00 +01:00"
    )
    content = make_repo(tmp_path, files)
    assert render_to(content, tmp_path / "out", COMPLETED_NOW) == 0
    second = ids(tmp_path / "out")
    assert {k: v for k, v in second.items() if k in first} == first
    assert "Another one" in second
    assert load(tmp_path / "out", "status.json")["page"]["id"] == load(sites["completed"], "status.json")["page"]["id"]


def test_output_is_byte_identical_for_identical_input(sites, tmp_path):
    content = make_repo(tmp_path, FILES)
    assert render_to(content, tmp_path / "again", ACTIVE_NOW) == 0
    for rel in ENDPOINTS:
        assert (tmp_path / "again/api/v2" / rel).read_bytes() == (sites["active"] / "api/v2" / rel).read_bytes()


def test_incidents_json_is_capped_like_the_hosted_api_and_all_json_has_everything(tmp_path, validators):
    files = {
        f"incidents/2026/i{n:02d}.md": incident(
            f"Incident {n}", started=f"2026-03-{n % 28 + 1:02d} {n % 20 + 1:02d}:05 +01:00",
            resolved=f"2026-03-{n % 28 + 1:02d} {n % 20 + 2:02d}:00 +01:00",
            body=f"## 2026-03-{n % 28 + 1:02d} {n % 20 + 1:02d}:10 +01:00 — Resolved\nFixed.\n",
        )
        for n in range(55)
    }
    site = load_site(make_repo(tmp_path, files))
    out = {path: json.loads(data) for path, data in api.render(site, datetime.fromisoformat(COMPLETED_NOW))}
    capped = out["api/v2/incidents.json"]["incidents"]
    full = out["api/v2/incidents/all.json"]["incidents"]
    assert len(capped) == 50 and len(full) == 55
    assert capped == full[:50]
    starts = [datetime.fromisoformat(i["started_at"]) for i in full]
    assert starts == sorted(starts, reverse=True)  # newest first
    assert not list(validators["incidents"].iter_errors(out["api/v2/incidents/all.json"]))


HOSTILE = 'Outage "quoted" \\ back</script><!-- & ü 💥 \u2028 line'


def test_hostile_titles_and_bodies_stay_valid_json(tmp_path, validators):
    body = "## 2026-11-24 12:05 +01:00 — Investigating\n" + HOSTILE + "\n<script>alert(1)</script> {\"x\": 1}\n"
    title = json.dumps(HOSTILE, ensure_ascii=False).replace("\u2028", "\\u2028")  # YAML double-quoted
    files = {"incidents/h.md": incident(title, resolved=None, started="2026-11-24 12:00 +01:00", body=body)}
    content = make_repo(tmp_path, files)
    assert render_to(content, tmp_path / "out", UPCOMING_NOW) == 0
    assert schema_errors(validators, tmp_path / "out") == []
    (found,) = load(tmp_path / "out", "incidents/unresolved.json")["incidents"]
    assert found["name"] == HOSTILE
    assert HOSTILE in found["incident_updates"][0]["body"]


def test_end_to_end_statusgen_build_writes_the_api(sites, tmp_path):
    content = make_repo(tmp_path, FILES)
    assert build(content, tmp_path / "built", ACTIVE_NOW) == 0
    for rel in ENDPOINTS:
        assert (tmp_path / "built/api/v2" / rel).read_bytes() == (sites["active"] / "api/v2" / rel).read_bytes(), rel


def test_component_updated_at_is_the_last_status_change_by_then(sites):
    def changed(when):
        return {c["name"]: datetime.fromisoformat(c["updated_at"]) for c in load(sites[when], "components.json")["components"]}

    active = changed("active")
    assert active["Dashboard"] == datetime.fromisoformat("2026-12-01T02:00:00+01:00")  # the window opened
    assert active["Webhooks"] == datetime.fromisoformat("2026-11-24T12:00:00+01:00")  # the open incident started
    assert active["Public API"] == datetime.fromisoformat("2026-11-20T15:40:00+01:00")  # its incident was resolved
    assert active["Apps"] == active["Dashboard"] and active["Platform"] == active["Webhooks"]
    assert changed("upcoming")["Dashboard"] == datetime.fromisoformat("2025-01-01T00:00:00+01:00")  # never changed
    assert changed("completed")["Dashboard"] == datetime.fromisoformat("2026-12-01T03:30:00+01:00")


# ---------------------------------------------------------------- written piece by piece, same bytes


def test_ids_keep_the_values_clients_already_stored(tmp_path):
    # Clients keep incidents and updates by these ids: a faster way to hash them must not change one.
    site = load_site(make_repo(tmp_path, FILES))
    incident_ = next(i for i in site.incidents if i.id == "eu-api-errors")
    assert api.page_id(site) == "rlrn92qcb9j0"
    assert api.component_id(site, "api") == "vrbr2czzo6sx"
    assert api.group_id(site, "Platform") == "1a4ydsqv66cb"
    assert api.incident_id(site, incident_) == "o272dgssj6b5"
    updates = [api.update_id(site, incident_, u) for u in incident_.updates]
    assert updates == ["lkpq8k5u9ws2", "zhqzidjhjchr", "pscckdhwxjn0"]
    assert incident_.updates[0].anchor == "update-20261120T131200Z"
    doc = json.loads(dict(api.render(site, datetime.fromisoformat(COMPLETED_NOW)))["api/v2/incidents/all.json"])
    (written,) = [i for i in doc["incidents"] if i["name"] == "Elevated error rates on the Public API"]
    assert written["id"] == "o272dgssj6b5" and written["page_id"] == "rlrn92qcb9j0"
    assert [u["id"] for u in written["incident_updates"]] == updates[::-1]
    assert written["components"][0]["id"] == "vrbr2czzo6sx"


@pytest.mark.parametrize("zone, expected", [
    # Newfoundland: half-hour offsets, and summer time begins at 02:00 local on 2026-03-08
    ("America/St_Johns", ["2026-03-08T01:30:00.000-03:30", "2026-03-08T01:45:00.000-03:30",
                          "2026-03-08T03:15:00.000-02:30", "2026-03-08T04:00:00.000-02:30"]),
    ("Asia/Kathmandu", ["2026-03-08T10:45:00.000+05:45", "2026-03-08T11:00:00.000+05:45",
                        "2026-03-08T11:30:00.000+05:45", "2026-03-08T12:15:00.000+05:45"]),
    ("UTC", ["2026-03-08T05:00:00.000+00:00", "2026-03-08T05:15:00.000+00:00",
             "2026-03-08T05:45:00.000+00:00", "2026-03-08T06:30:00.000+00:00"]),
])
def test_timestamps_across_a_dst_change_and_odd_offsets(tmp_path, zone, expected):
    from sitekit import SITE_YAML

    started, first, monitoring, resolved = expected
    body = (
        "## 2026-03-08 05:15 +00:00 — Investigating\nLooking.\n\n"
        "## 2026-03-08 05:45 +00:00 — Monitoring\nFixed, watching.\n\n"
        "## 2026-03-08 06:30 +00:00 — Resolved\nAll good.\n"
    )
    dst = incident(started="2026-03-08 05:00 +00:00", resolved="2026-03-08 06:30 +00:00", body=body)
    files = {"incidents/dst.md": dst}
    content = make_repo(tmp_path, files, site_yaml=SITE_YAML.replace("Europe/Berlin", zone))
    assert render_to(content, tmp_path / "out", "2026-03-09T00:00:00Z") == 0
    (found,) = load(tmp_path / "out", "incidents/all.json")["incidents"]
    fields = ("started_at", "created_at", "monitoring_at", "resolved_at", "updated_at")
    assert [found[f] for f in fields] == [started, first, monitoring, resolved, resolved]
    assert [u["created_at"] for u in found["incident_updates"]] == [resolved, monitoring, first]
    assert all(u["created_at"] == u["updated_at"] == u["display_at"] for u in found["incident_updates"])


def test_every_file_is_exactly_what_json_dumps_writes(tmp_path):
    """The files are written as text, an incident at a time: each must be byte for byte the compact
    json.dumps of what it holds, hostile text included (same escaping, field order and separators)."""
    body = "## 2026-11-24 12:05 +01:00 — Investigating\n" + HOSTILE + "\n\ttabbed \\n \"x\"\n"
    title = json.dumps(HOSTILE, ensure_ascii=False).replace("\u2028", "\\u2028")  # YAML double-quoted
    files = {**FILES, "incidents/h.md": incident(title, resolved=None, started="2026-11-24 12:00 +01:00", body=body)}
    site = load_site(make_repo(tmp_path, files))
    for now in (UPCOMING_NOW, ACTIVE_NOW, COMPLETED_NOW):
        out = api.render(site, datetime.fromisoformat(now))
        assert len(out) == len(ENDPOINTS)
        for path, data in out:
            canonical = json.dumps(json.loads(data), ensure_ascii=False, separators=(",", ":")) + "\n"
            assert data == canonical.encode("utf-8"), (now, path)
    unresolved = json.loads(dict(out)["api/v2/incidents/unresolved.json"])["incidents"]
    (found,) = [i for i in unresolved if i["name"] == HOSTILE]
    assert HOSTILE + "\n\ttabbed \\n \"x\"" in found["incident_updates"][0]["body"]


def test_an_incident_s_json_depends_on_now_only_through_now_key(tmp_path):
    """incident_parts is what a later build may keep from the build before: that is only right if
    every instant with the same now_key writes the same bytes. Tried at, just before and just after
    each of the content's times; the parts, with the components spliced in, are the objects written."""
    from datetime import timedelta, timezone

    quiet = incident(  # resolved, and its window opens and closes, with no update at that time
        "Quiet", started="2026-11-21 10:00 +01:00", resolved="2026-11-21 11:00 +01:00",
        body="## 2026-11-21 10:10 +01:00 — Investigating\nLooking.\n",
    )
    window = MAINTENANCE.split("## 2026-12-01 02:00")[0].replace("2026-12-01", "2026-11-28")
    files = {**FILES, "incidents/quiet.md": quiet, "incidents/window.md": window.replace("Database", "Cache")}
    site = load_site(make_repo(tmp_path, files))
    frame = api.Frame.of(site)
    instants = set()
    for i in site.incidents:
        instants |= {i.started, i.resolved, *(u.at for u in i.updates)}
        if i.window:
            instants |= {i.window.start, i.window.end}
    minute = timedelta(minutes=1)
    nows = sorted({t + d for t in instants if t for d in (-minute, timedelta(), minute)})
    seen: dict[tuple[str, int], api.IncidentParts] = {}
    for now in nows:
        for i in site.incidents:
            parts = api.incident_parts(i, now, frame)
            assert seen.setdefault((i.id, api.now_key(i, now)), parts) == parts, (i.id, now)
    for i in site.incidents:  # the test saw each incident change
        assert len({p for (iid, _), p in seen.items() if iid == i.id}) >= 3, i.id
    for now in nows[::4]:
        everything = b"".join(data for _, data in api.render(site, now))
        state = api.Api(site, now.astimezone(timezone.utc))
        for i in site.incidents:
            head, tail, _ = api.incident_parts(i, now, frame)
            assert head + state.components_json(i.service_ids) + tail in everything, (i.id, now)
