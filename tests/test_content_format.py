"""The content format (DESIGN.md §1): every field read as written, every mistake reported with file and line."""

from datetime import datetime, timedelta, timezone

import pytest
from sitekit import SITE_YAML, incident, make_repo

from statusgen.build import load_site
from statusgen.errors import ContentError
from statusgen.model import ComponentStatus, Impact, Kind, Reporter, Stage

UTC = timezone.utc


def load(tmp_path, files, site_yaml=SITE_YAML):
    return load_site(make_repo(tmp_path, files, site_yaml))


def problems(tmp_path, files, site_yaml=SITE_YAML):
    with pytest.raises(ContentError) as err:
        load(tmp_path, files, site_yaml)
    return err.value.diagnostics


def only(diagnostics):
    assert len(diagnostics) == 1, [d.format() for d in diagnostics]
    return diagnostics[0]


# ---------------------------------------------------------------- what is read


def test_site_yaml_fields(tmp_path):
    site = load(tmp_path, {})
    assert site.title == "Test Status"
    assert site.base_url == "https://status.test.example/"
    assert site.timezone == "Europe/Berlin"
    assert site.update_interval == timedelta(minutes=20)
    assert [s.id for s in site.services] == ["api", "dashboard", "webhooks"]
    assert [(g, [s.id for s in ss]) for g, ss in site.groups] == [("Platform", ["api", "webhooks"]), ("Apps", ["dashboard"])]
    assert site.service("api").since.isoformat() == "2025-01-01"


def test_incident_fields(tmp_path):
    text = incident(
        extra="unaffected: [dashboard]\npostmortem: https://blog.test.example/pm\nreported_by: customer\n"
    )
    site = load(tmp_path, {"incidents/2026/2026-11-20-eu-api-errors.md": text})
    (i,) = site.incidents
    assert i.id == "2026-11-20-eu-api-errors"
    assert i.kind is Kind.INCIDENT and i.impact is Impact.MAJOR
    assert i.services == (("api", ComponentStatus.PARTIAL_OUTAGE),)  # major → partial_outage
    assert i.started == datetime(2026, 11, 20, 13, 5, tzinfo=UTC)
    assert i.resolved == datetime(2026, 11, 20, 14, 40, tzinfo=UTC)
    assert i.unaffected == ("dashboard",)
    assert i.postmortem_url == "https://blog.test.example/pm"
    assert i.reported_by is Reporter.CUSTOMER
    assert [u.stage for u in i.updates] == [Stage.INVESTIGATING, Stage.IDENTIFIED, Stage.RESOLVED]
    assert i.updates[0].next_update.due == datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
    assert i.updates[0].next_update.line == 13  # the file line of "Next update by 14:30."


def test_services_as_map_with_own_statuses(tmp_path):
    text = incident(services="{api: major_outage, dashboard: degraded_performance}", impact="critical")
    (i,) = load(tmp_path, {"incidents/a.md": text}).incidents
    assert dict(i.services) == {"api": ComponentStatus.MAJOR_OUTAGE, "dashboard": ComponentStatus.DEGRADED_PERFORMANCE}


@pytest.mark.parametrize("impact, status", [("minor", "degraded_performance"), ("major", "partial_outage"),
                                            ("critical", "major_outage"), ("none", "operational")])  # fmt: skip
def test_list_services_take_status_from_impact(tmp_path, impact, status):
    (i,) = load(tmp_path, {"incidents/a.md": incident(impact=impact)}).incidents
    assert i.services[0][1].value == status


def test_updates_in_either_order_and_every_separator(tmp_path):
    body = (
        "Summary first.\n\n"
        "## 2026-11-20 15:40 +01:00 | Resolved\nBack to normal.\n\n"
        "## 2026-11-20 14:25 +01:00 · Identified\nFound it.\n\n"
        "## 2026-11-20 14:20 +01:00 - Update\nStill looking; no data lost.\n\n"
        "## 2026-11-20T13:12:00Z — Investigating\nLooking.\n\n"
        "## Postmortem\nLessons learned.\n\n"
        "## Follow-up actions\n- add alerts\n"
    )
    (i,) = load(tmp_path, {"incidents/a.md": incident(body=body)}).incidents
    assert [u.stage.value for u in i.updates] == ["investigating", "update", "identified", "resolved"]
    assert i.summary == "Summary first."
    assert [s.title for s in i.sections] == ["Postmortem", "Follow-up actions"]
    assert i.postmortem_section.body == "Lessons learned."


def test_headings_inside_code_are_not_updates(tmp_path):
    body = "## 2026-11-20 14:12 +01:00 — Investigating\nLog:\n\n```\n## 2026-11-20 14:13 — not a heading\n```\n"
    (i,) = load(tmp_path, {"incidents/a.md": incident(body=body, resolved=None)}).incidents
    assert len(i.updates) == 1 and "not a heading" in i.updates[0].body


def test_resolved_update_closes_incident_without_field(tmp_path):
    (i,) = load(tmp_path, {"incidents/a.md": incident(resolved=None, body=(
        "## 2026-11-20 14:12 +01:00 — Investigating\nLooking.\n\n## 2026-11-20 15:00 +01:00 — Resolved\nFixed.\n"
    ))}).incidents  # fmt: skip
    assert i.resolved == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def test_maintenance(tmp_path):
    text = """\
        ---
        type: maintenance
        title: Database upgrade for the Dashboard
        services: [dashboard]
        scheduled: {start: 2026-12-01 02:00 +01:00, end: 2026-12-01 04:00 +01:00}
        ---
        ## 2026-11-25 10:00 +01:00 — Scheduled
        We will upgrade the database.
        """
    (m,) = load(tmp_path, {"incidents/m.md": text}).incidents
    assert m.kind is Kind.MAINTENANCE and m.impact is Impact.NONE
    assert m.services == (("dashboard", ComponentStatus.UNDER_MAINTENANCE),)
    assert m.window.start == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert m.started == m.window.start and m.resolved is None


def test_id_override_and_pages(tmp_path):
    files = {
        "incidents/Weird Name.md": incident(extra="id: weird-name\n"),
        "pages/about.md": "---\ntitle: About\n---\nHello.\n",
        "pages/sla.md": "---\ntitle: SLA\norder: -1\n---\nTerms.\n",
    }
    site = load(tmp_path, files)
    assert site.incidents[0].id == "weird-name"
    assert [p.slug for p in site.pages] == ["sla", "about"]


def test_yaml_typing_is_not_trusted(tmp_path):
    # PyYAML would make `no` False and the naive time a datetime; both are read as written.
    text = incident(title="no", started="2026-11-20 14:05", resolved="2026-11-20 15:40")
    (i,) = load(tmp_path, {"incidents/a.md": text}).incidents
    assert i.title == "no"
    assert i.started == datetime(2026, 11, 20, 13, 5, tzinfo=UTC)


def test_bom_and_crlf_are_accepted(tmp_path):
    content = make_repo(tmp_path)
    path = content / "incidents" / "a.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xef\xbb\xbf" + incident().replace("\n", "\r\n").encode())
    (i,) = load_site(content).incidents
    assert len(i.updates) == 3 and "\r" not in i.updates[0].body


# ---------------------------------------------------------------- what is refused, and where


def test_bad_yaml_names_the_line(tmp_path):
    d = only(problems(tmp_path, {"incidents/a.md": "---\ntitle: ok\nimpact: [major\n---\nbody\n"}))
    assert d.path == "incidents/a.md" and d.line in (3, 4) and "invalid YAML" in d.message


def test_unknown_key_suggests_the_right_one(tmp_path):
    d = only(problems(tmp_path, {"incidents/a.md": incident(extra="resolve_note: x\nimpcat: major\n".split("\n")[1] + "\n")}))
    assert d.line == 7 and "unknown front matter key 'impcat'" in d.message and "did you mean 'impact'" in d.hint


def test_unknown_service_lists_the_right_one(tmp_path):
    d = only(problems(tmp_path, {"incidents/a.md": incident(services="[apii]")}))
    assert d.line == 4 and "unknown service 'apii'" in d.message and "'api'" in d.hint


@pytest.mark.parametrize(
    "kwargs, line, words",
    [
        ({"impact": "catastrophic"}, 3, "'impact' cannot be 'catastrophic'"),
        ({"started": "yesterday"}, 5, "cannot read 'yesterday'"),
        ({"resolved": "2026-11-20 13:00 +01:00"}, 6, "is before started"),
        ({"services": "{api: on_fire}"}, 4, "cannot be 'on_fire'"),
        ({"extra": "reported_by: twitter\n"}, 7, "'reported_by' cannot be 'twitter'"),
        ({"extra": "postmortem: javascript:alert(1)\n"}, 7, "not an http(s) link"),
        ({"extra": "impact: minor\n"}, 7, "appears twice"),
    ],
)
def test_front_matter_errors(tmp_path, kwargs, line, words):
    d = only(problems(tmp_path, {"incidents/a.md": incident(**kwargs)}))
    assert (d.path, d.line) == ("incidents/a.md", line)
    assert words in d.message


@pytest.mark.parametrize(
    "heading, words",
    [
        ("2026-11-20 14:12 +01:00 — Investigatin", "unknown stage"),
        ("2026-11-20 14:12 +01:00 — Scheduled", "not a stage of incident"),
        ("2026-11-20 14:12 +01:00 Investigating", "cannot read update heading"),
        ("2026-11-20 26:12 +01:00 — Investigating", "not a real date"),
    ],
)
def test_update_heading_errors(tmp_path, heading, words):
    d = only(problems(tmp_path, {"incidents/a.md": incident(resolved=None, body=f"Intro.\n\n## {heading}\nText.\n")}))
    assert d.line == 9 and words in d.message and d.hint


def test_unreadable_promise_names_its_line(tmp_path):
    body = "## 2026-11-20 14:12 +01:00 — Investigating\nLooking.\nNext update by teatime.\n"
    d = only(problems(tmp_path, {"incidents/a.md": incident(resolved=None, body=body)}))
    assert d.line == 9 and "next-update promise" in d.message


def test_duplicate_ids_name_both_files(tmp_path):
    files = {"incidents/2025/x.md": incident(), "incidents/2026/y.md": incident(extra="id: x\n")}
    d = only(problems(tmp_path, files))
    assert "'x' is also used by" in d.message and "incidents/2025/x.md" in (d.path + d.message)


def test_non_utf8_and_nul_bytes(tmp_path):
    content = make_repo(tmp_path)
    (content / "incidents").mkdir()
    (content / "incidents" / "latin1.md").write_bytes(incident().replace("—", "-").replace("Public", "Öffentlich").encode("latin-1"))
    (content / "incidents" / "nul.md").write_bytes(incident().encode() + b"\x00")
    with pytest.raises(ContentError) as err:
        load_site(content)
    found = {d.path: d for d in err.value.diagnostics}
    assert "not UTF-8" in found["incidents/latin1.md"].message and found["incidents/latin1.md"].line == 2
    assert "NUL" in found["incidents/nul.md"].message


def test_missing_front_matter(tmp_path):
    d = only(problems(tmp_path, {"incidents/a.md": "# Outage\nThings broke.\n"}))
    assert d.line == 1 and "no front matter" in d.message


def test_alias_bomb_is_refused_quickly(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi")
    )
    d = only(problems(tmp_path, {"incidents/a.md": f"---\n{bomb}---\n"}))
    assert "more than" in d.message


def test_all_errors_are_reported_together(tmp_path):
    files = {
        "incidents/a.md": incident(services="[nope]"),
        "incidents/b.md": incident(impact="huge"),
        "pages/history.md": "---\ntitle: Mine\n---\n",
    }
    found = problems(tmp_path, files)
    assert {d.path for d in found} == {"incidents/a.md", "incidents/b.md", "pages/history.md"}


@pytest.mark.parametrize(
    "change, line, words",
    [
        (("base_url: https://status.test.example/", "base_url: status.test.example"), 2, "absolute http(s) URL"),
        (("timezone: Europe/Berlin", "timezone: Europe/Atlantis"), 3, "unknown time zone"),
        (("timezone: Europe/Berlin", "time_zone: Europe/Berlin"), 3, "did you mean 'timezone'"),
        (("  - id: dashboard", "  - id: api"), 13, "used twice"),
        (("  - id: dashboard", "  - id: Dash Board"), 13, "not a valid id"),
        (("language: en", "language: tlh"), 4, "not available"),
        (("update_interval: 20m", "update_interval: often"), 5, "cannot read 'often'"),
    ],
)
def test_site_yaml_errors(tmp_path, change, line, words):
    d = only(problems(tmp_path, {}, SITE_YAML.replace(*change)))
    assert d.path == "site.yaml" and d.line == line
    assert words in d.message + " " + d.hint
