"""`statusgen import cstate`: a cState site's config and issues become a status repo that loads,
passes `statusgen check` and imports idempotently, with severities, naive-UTC times and the
free-form `*Stage* - text {{< track "time" >}}` updates mapped faithfully."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statusgen.build import load_site
from statusgen.cli import main
from statusgen.importers import cstate
from statusgen.importers.drafts import one_line
from statusgen.importers.emit import render_files
from statusgen.model import ComponentStatus, Impact, Stage

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "tests" / "fixtures" / "cstate"
ISSUES = SITE / "content" / "issues"
UTC = timezone.utc

CONFIG = """\
title: Unit Status
baseURL: https://status.unit.example/
params:
  categories:
    - name: Core
  systems:
    - name: API
      category: Core
    - name: Website
      category: Core
"""


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "statusgen", "import", "cstate", *args],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def run_here(capsys, *args: str) -> subprocess.CompletedProcess:
    status = main(["import", "cstate", *args])
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, status, out.out, out.err)


def tree(root: Path) -> dict[str, tuple[str, int]]:
    return {
        p.relative_to(root).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def make_site(root: Path, issues: dict[str, str], config: str = CONFIG) -> Path:
    site = root / "cstate"
    (site / "content" / "issues").mkdir(parents=True)
    (site / "config.yml").write_text(config, encoding="utf-8")
    for name, text in issues.items():
        (site / "content" / "issues" / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return site


def convert(root: Path, issues: dict[str, str], config: str = CONFIG, display: str | None = None):
    return cstate.convert(cstate.read_site(make_site(root, issues, config)), display)


def load(conversion, root: Path):
    content = root / "content"
    for rel, text in render_files(conversion):
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(text, encoding="utf-8")
    return load_site(content), content


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    content = tmp_path_factory.mktemp("cs") / "content"
    result = run(str(SITE), "--content", str(content))
    assert result.returncode == 0, result.stderr
    return content, result


# ---------------------------------------------------------------- end to end


def test_import_writes_services_in_category_order(imported):
    content, _ = imported
    site = load_site(content)
    assert (site.title, site.base_url, site.timezone, site.language) == (
        "Harbor Transit Status", "https://status.harbortransit.example/", "UTC", "en")  # fmt: skip
    assert site.description == "Live status of Harbor Transit's apps, tickets and realtime data."
    assert [(s.id, s.group) for s in site.services] == [
        ("journey-planner", "Rider apps"),
        ("ticket-shop", "Rider apps"),
        ("realtime-feed", "Back office"),
        ("push-notifications", "Back office"),
        ("website", None),  # its category is `untitled`
        ("cdn", "Other"),  # named by an issue, not in the config
        ("general", None),  # for the informational post that names no system
    ]
    assert site.service("ticket-shop").description == "Buying single tickets and passes with cards and wallets."
    files = sorted(p.relative_to(content).as_posix() for p in (content / "incidents").rglob("*.md"))
    assert len(files) == 9 and not any("draft" in f for f in files)
    assert "incidents/2025/2025-03-02-realtime-vehicle-positions-unavailable.md" in files


def test_summary_names_each_source_file_that_could_not_be_mapped(imported):
    _, result = imported
    out = result.stdout
    assert "7 services in 3 groups, 9 incidents, 0 maintenance, 21 updates, 1 postmortems" in out
    assert f"{ISSUES / '2026-02-14-draft.md'}: a draft; skipped" in out
    assert f"{ISSUES / '2025-09-01-new-app-version.md'}: pin: true has no equivalent" in out
    assert f"{ISSUES / '2026-01-08-cdn-images.md'}: no severity; imported as notice (minor)" in out
    assert f"{ISSUES / '2026-01-08-cdn-images.md'}: fields with no equivalent, not carried over: tags" in out
    assert f"{ISSUES / '2026-01-08-cdn-images.md'}: affected 'CDN' is not a system in the config" in out
    assert f"{SITE / 'config.yml'}: system 'Website': its link is not carried over" in out
    assert "Hugo shortcode {{< figure" in out


def test_second_import_changes_nothing(imported, capsys):
    content, _ = imported
    before = tree(content)
    again = run_here(capsys, str(SITE), "--content", str(content))
    assert again.returncode == 0, again.stderr
    assert "0 files created, 0 overwritten, 10 unchanged" in again.stdout
    assert tree(content) == before


def test_result_passes_statusgen_check(imported, capsys):
    content, _ = imported
    status = main(["check", "--content", str(content), "--now", "2026-03-30T09:20:00Z"])
    out = capsys.readouterr()
    assert status == 0, out.out + out.err
    assert "\n0 error(s)" in out.err + out.out


def test_severities_map_to_impact_and_service_status(imported):
    site = load_site(imported[0])
    by_title = {i.title: i for i in site.incidents}
    down = by_title["Realtime vehicle positions unavailable"]
    assert down.impact is Impact.CRITICAL
    assert dict(down.services) == {"journey-planner": ComponentStatus.MAJOR_OUTAGE,
                                   "realtime-feed": ComponentStatus.MAJOR_OUTAGE}  # 'journey planner' matched
    disrupted = by_title["Card payments failing in the Ticket Shop: “Zahlung abgelehnt”"]
    assert disrupted.impact is Impact.MAJOR and dict(disrupted.services) == {"ticket-shop": ComponentStatus.PARTIAL_OUTAGE}
    notice = by_title["Verspätete Push-Benachrichtigungen"]
    assert notice.impact is Impact.MINOR
    assert dict(notice.services) == {"push-notifications": ComponentStatus.DEGRADED_PERFORMANCE}
    info = by_title["New app version 5.0 – please update"]
    assert info.impact is Impact.NONE and info.service_ids == ("general",)


def test_updates_in_either_order_with_naive_utc_times(imported):
    site = load_site(imported[0])
    by_title = {i.title: i for i in site.incidents}
    newest_first = by_title["Realtime vehicle positions unavailable"]
    assert [(u.at, u.stage) for u in newest_first.updates] == [
        (datetime(2025, 3, 2, 7, 44, tzinfo=UTC), Stage.INVESTIGATING),
        (datetime(2025, 3, 2, 8, 2, tzinfo=UTC), Stage.IDENTIFIED),
        (datetime(2025, 3, 2, 8, 31, tzinfo=UTC), Stage.MONITORING),
        (datetime(2025, 3, 2, 9, 5, tzinfo=UTC), Stage.RESOLVED),
    ]
    assert newest_first.updates[1].body == ("A certificate on the radio gateway expired at 07:30 UTC, so vehicles "
                                            "stopped reporting positions.\nThe Journey Planner falls back to "
                                            "timetable data meanwhile.")  # fmt: skip
    assert newest_first.started == datetime(2025, 3, 2, 7, 41, tzinfo=UTC)
    assert newest_first.resolved == datetime(2025, 3, 2, 9, 5, tzinfo=UTC)
    oldest_first = by_title["Card payments failing in the Ticket Shop: “Zahlung abgelehnt”"]
    assert [u.stage for u in oldest_first.updates] == [Stage.INVESTIGATING, Stage.UPDATE, Stage.IDENTIFIED, Stage.RESOLVED]
    assert oldest_first.updates[1].body.startswith("**Workaround** — Please pay with Apple Pay")
    assert oldest_first.updates[2].at == datetime(2025, 4, 10, 14, 48, 30, tzinfo=UTC)  # .250 s dropped
    text = next((imported[0] / "incidents/2025").glob("2025-03-02-*.md")).read_text(encoding="utf-8")
    assert "started: 2025-03-02 07:41 +00:00\nresolved: 2025-03-02 09:05 +00:00\n" in text
    assert "## 2025-03-02 07:44 +00:00 — Investigating\n" in text


def test_post_mortem_block_becomes_a_section(imported):
    site = load_site(imported[0])
    incident = next(i for i in site.incidents if i.title.startswith("Card payments failing"))
    section = incident.postmortem_section
    assert section is not None and incident.summary == ""
    assert section.body.startswith("Between 13:55 and 15:20 UTC about a third of card payments")
    assert "### What we changed" in section.body  # its '##' cannot start a section of its own


def test_odd_times_toml_front_matter_and_old_track_syntax(imported):
    site = load_site(imported[0])
    by_title = {i.title: i for i in site.incidents}
    toml = by_title["Website offline for a server move"]  # +++ front matter, {{% track %}}, RFC 822 time
    assert toml.started == datetime(2025, 11, 15, 20, 0, tzinfo=UTC)
    assert [u.at for u in toml.updates] == [datetime(2025, 11, 15, 20, 0, tzinfo=UTC),
                                             datetime(2025, 11, 15, 21, 0, tzinfo=UTC),
                                             datetime(2025, 11, 15, 23, 10, tzinfo=UTC)]  # fmt: skip
    assert toml.updates[0].body.startswith("**Soon** — We are moving")
    go = by_title["Journey Planner slow to answer"]  # Go's "2006-01-02 15:04:05 -0700 MST"
    assert go.started == datetime(2026, 3, 30, 9, 5, tzinfo=UTC) and go.resolved is None
    assert go.updates[0].at == datetime(2026, 3, 30, 9, 12, tzinfo=UTC)
    info = by_title["New app version 5.0 – please update"]  # a date without a time
    assert info.started == datetime(2025, 9, 1, tzinfo=UTC)


def test_updates_without_a_track_time(imported):
    site = load_site(imported[0])
    by_title = {i.title: i for i in site.incidents}
    only = by_title["App cannot connect"]  # '*Resolved* -' on its own line, no track: resolvedWhen
    assert [(u.at, u.stage, u.body) for u in only.updates] == [
        (datetime(2024, 12, 1, 19, 15, 59, tzinfo=UTC), Stage.RESOLVED,
         "The app connects again for everyone. Sorry for the trouble.")]  # fmt: skip
    info = by_title["New app version 5.0 – please update"]  # an informational post is its own final word
    assert [u.stage for u in info.updates] == [Stage.RESOLVED] and info.summary == ""
    assert info.updates[0].body.startswith("Version 5.0 of the Harbor Transit app is out.")
    relabelled = by_title["Verspätete Push-Benachrichtigungen"]  # resolved: true, last update is Monitoring
    assert relabelled.resolved == datetime(2025, 6, 21, 17, tzinfo=UTC)
    assert relabelled.updates[-1].stage is Stage.RESOLVED
    assert relabelled.updates[-1].body.startswith("**Monitoring** — Die Warteschlange")
    automated = by_title["Realtime Feed check failing!"]
    assert [u.stage for u in automated.updates] == [Stage.UPDATE, Stage.UPDATE, Stage.RESOLVED]
    assert automated.updates[0].body == "**Automated alert** — The realtime-feed check failed from two locations."
    assert automated.updates[1].body.startswith("*Our monitor has failed several checks")
    assert automated.summary == '{{< figure src="/img/feed-graph.png" alt="Feed latency" >}}'


# ---------------------------------------------------------------- time zones


def test_display_zone_option_converts_times_with_offsets(tmp_path, capsys):
    content = tmp_path / "content"
    result = run_here(capsys, str(SITE), "--content", str(content), "--timezone", "Europe/Berlin")
    assert result.returncode == 0, result.stderr
    site = load_site(content)
    assert site.timezone == "Europe/Berlin"
    text = (content / "incidents/2025/2025-03-02-realtime-vehicle-positions-unavailable.md").read_text(encoding="utf-8")
    assert "started: 2025-03-02 08:41 +01:00\n" in text and "## 2025-03-02 08:44 +01:00 — Investigating\n" in text
    summer = (content / "incidents/2025/2025-06-21-verspatete-push-benachrichtigungen.md").read_text(encoding="utf-8")
    assert "started: 2025-06-21 18:10 +02:00\n" in summer
    assert run_here(capsys, str(SITE), "--content", str(content), "--timezone", "Mars/Base").returncode == 1


def test_hugo_time_zone_setting_is_how_naive_times_are_read(tmp_path):
    issue = """\
        ---
        title: Slow API
        date: 2026-07-01 10:00:00
        resolved: true
        resolvedWhen: 2026-07-01 11:00:00
        severity: notice
        affected: [API]
        ---
        *Investigating* - Slow. {{< track "2026-07-01 10:05:00" >}}

        *Resolved* - Fast again. {{< track "2026-07-01T09:00:00Z" >}}
        """
    conv = convert(tmp_path, {"slow.md": issue}, CONFIG + "timeZone: Europe/Oslo\n")
    site, content = load(conv, tmp_path)
    assert site.timezone == "Europe/Oslo"
    i = site.incidents[0]
    assert i.started == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert [u.at for u in i.updates] == [datetime(2026, 7, 1, 8, 5, tzinfo=UTC), datetime(2026, 7, 1, 9, 0, tzinfo=UTC)]
    assert "started: 2026-07-01 10:00 +02:00\n" in next(content.glob("incidents/2026/*.md")).read_text(encoding="utf-8")


# ---------------------------------------------------------------- the body parser


def test_track_variants_and_multi_paragraph_updates():
    free, items = cstate.parse_body(
        "Intro text.\n\n"
        "*Identified*: first paragraph\n\nsecond paragraph {{< track '2026-01-01 10:00:00' >}}\n\n"
        "*Update* — more {{%track \"2026-01-01 11:00:00\"%}}\n\n"
        "Not an update.\n"
    )
    assert free == ["Intro text.", "Not an update."]
    assert [(i.label, i.paragraphs, i.time) for i in items] == [
        ("Identified", ["first paragraph", "second paragraph"], "2026-01-01 10:00:00"),
        ("Update", ["more"], "2026-01-01 11:00:00"),
    ]


def test_untimed_updates_that_cannot_be_placed_stay_in_the_summary(tmp_path):
    issue = """\
        ---
        title: Website down
        date: 2026-05-01 12:00:00
        resolved: false
        severity: down
        affected: [Website]
        ---
        *Identified* - A bad deploy. {{< track "2026-05-01 12:10:00" >}}

        *Investigating* - We forgot the time here.
        """
    conv = convert(tmp_path, {"down.md": issue})
    site, _ = load(conv, tmp_path)
    i = site.incidents[0]
    assert [u.stage for u in i.updates] == [Stage.IDENTIFIED] and i.resolved is None
    assert i.summary == "We forgot the time here."
    assert any(p.message.startswith("an update without a {{< track >}} time") for p in conv.problems)


def test_no_affected_no_title_and_bad_severity(tmp_path):
    issue = """\
        ---
        date: 2026-05-01T12:00:00Z
        resolved: true
        resolvedWhen: 2026-05-01T12:30:00Z
        severity: catastrophic
        ---
        *Resolved* - All good. {{< track "2026-05-01T12:30:00Z" >}}
        """
    conv = convert(tmp_path, {"mystery.md": issue})
    site, _ = load(conv, tmp_path)
    i = site.incidents[0]
    assert (i.title, i.impact, i.service_ids) == ("mystery", Impact.MINOR, ("general",))
    messages = [p.message for p in conv.problems]
    assert "no title; it is called 'mystery'" in messages
    assert "severity 'catastrophic' is not down, disrupted or notice; imported as notice (minor)" in messages


def test_reopened_and_resolved_before_started(tmp_path):
    issue = """\
        ---
        title: Flapping API
        date: 2026-05-01 12:00:00
        resolved: true
        resolvedWhen: 2026-04-30 12:00:00
        severity: disrupted
        affected: [api]
        ---
        *Investigating* - Errors. {{< track "2026-05-01 12:05:00" >}}

        *Resolved* - Gone. {{< track "2026-05-01 12:20:00" >}}

        *Investigating* - Back again. {{< track "2026-05-01 12:40:00" >}}
        """
    conv = convert(tmp_path, {"flap.md": issue})
    site, content = load(conv, tmp_path)
    i = site.incidents[0]
    assert [u.stage for u in i.updates] == [Stage.INVESTIGATING, Stage.UPDATE, Stage.INVESTIGATING, Stage.RESOLVED]
    assert i.updates[1].body == "**Resolved** — Gone."
    # resolvedWhen was before date: resolved after the last update, which describes the problem
    assert i.resolved == datetime(2026, 5, 1, 12, 40, 1, tzinfo=UTC)
    assert i.updates[-1].body == "This incident has been resolved." and i.updates[-2].body == "Back again."
    assert any("resolvedWhen is before date" in p.message for p in conv.problems)
    assert main(["check", "--content", str(content), "--now", "2026-05-02T00:00:00Z"]) == 0


def test_duplicate_titles_on_one_day_get_distinct_ids(tmp_path):
    issue = "---\ntitle: API errors\ndate: 2026-05-01 {t}\nresolved: true\nseverity: notice\naffected: [API]\n---\n"
    conv = convert(tmp_path, {"a.md": issue.format(t="09:00:00"), "b.md": issue.format(t="15:00:00")})
    site, _ = load(conv, tmp_path)
    assert sorted(i.id for i in site.incidents) == ["2026-05-01-api-errors", "2026-05-01-api-errors-2"]


# ---------------------------------------------------------------- unreadable input


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("broken.md", "---\ntitle: [unclosed\n---\nbody\n", "cannot parse the front matter"),
        ("nofront.md", "Just text.\n", "no front matter"),
        ("unclosed.md", "---\ntitle: x\n", "front matter is not closed"),
    ],
)
def test_unreadable_issue_exits_1_naming_the_file(tmp_path, capsys, name, text, message):
    site = make_site(tmp_path, {name: text})
    result = run_here(capsys, str(site), "--content", str(tmp_path / "content"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"statusgen import: error: {site / 'content' / 'issues' / name}: {message}")
    assert not (tmp_path / "content").exists()


def test_missing_config_and_undecodable_files_exit_1(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_here(capsys, str(empty), "--content", str(tmp_path / "content"))
    assert result.returncode == 1
    assert f"statusgen import: error: {empty}: no cState config here" in result.stderr
    site = make_site(tmp_path, {})
    (site / "content" / "issues" / "latin1.md").write_bytes(b"---\ntitle: Caf\xe9\n---\n")
    result = run_here(capsys, str(site), "--content", str(tmp_path / "content"))
    assert result.returncode == 1
    assert re.search(r"latin1\.md: not UTF-8 text", result.stderr)


def test_toml_config_and_old_style_system_list(tmp_path):
    site = tmp_path / "old"
    (site / "content" / "issues").mkdir(parents=True)
    (site / "config.toml").write_text(
        'title = "Old cState"\nbaseURL = "https://old.example/status/"\n\n[params]\nsystems = ["Gateway", "Media Proxy"]\n',
        encoding="utf-8",
    )
    conv = cstate.convert(cstate.read_site(site))
    site_model, _ = load(conv, tmp_path)
    assert site_model.base_url == "https://old.example/status/"
    assert [(s.id, s.name, s.group) for s in site_model.services] == [
        ("gateway", "Gateway", None), ("media-proxy", "Media Proxy", None)]  # fmt: skip
    assert any("no content/issues/*.md" in p.message for p in conv.problems)


# Front matter text YAML can carry (YAML refuses control characters even escaped by json.dumps' rules).
YAML_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn")))


@settings(max_examples=30, deadline=None)
@given(title=YAML_TEXT, body=st.text(), affected=st.lists(YAML_TEXT, max_size=3))
def test_any_title_body_and_affected_names_import_into_a_repo_that_loads(title, body, affected):
    front = {"title": title, "date": "2026-05-01 12:00:00", "resolved": True, "severity": "down", "affected": affected}
    issue = "---\n" + "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items()) + "\n---\n" + body
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        site = make_site(root, {})
        (site / "content" / "issues" / "any.md").write_text(issue, encoding="utf-8")
        conv = cstate.convert(cstate.read_site(site))
        model, _ = load(conv, root)
    incident = model.incidents[0]
    assert incident.title == (one_line(title)[0] or "any")
    assert incident.resolved is not None and incident.updates[-1].stage is Stage.RESOLVED
    assert all(s.group in ("Core", "Other", None) for s in model.services)
