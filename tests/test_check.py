"""`statusgen check`: every communication rule fires on a real incident file that breaks it, and
stays quiet on one that does not; configuration, output formats and exit status as a user sees them."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from statusgen.cli import main
from tests.sitekit import NOW, SITE_YAML, make_repo

ROOT = Path(__file__).resolve().parents[1]

# A well-run incident: prompt first update, promises kept, a resolution summary with the window.
GOOD = """\
---
title: Elevated error rates on the Public API
impact: major
services: [api]
started: 2026-11-20 14:05 +01:00
resolved: 2026-11-20 15:00 +01:00
---

## 2026-11-20 15:00 +01:00 — Resolved
Between 14:05 and 14:50 CET about 30% of API requests failed with 502. Failed requests can be retried.

## 2026-11-20 14:35 +01:00 — Monitoring
The rollback finished at 14:31 and error rates are normal again. We are watching them.

Next update by 15:00.

## 2026-11-20 14:25 +01:00 — Identified
A faulty load balancer config returns 502 for about 30% of requests. We are rolling it back.

Next update in 20 minutes.

## 2026-11-20 14:12 +01:00 — Investigating
We see elevated 502 responses from the Public API in Europe. The Dashboard works normally.

Next update by 14:30.
"""

# An open incident as of 09:00 (NOW): the last update promised the next by 08:48.
OPEN = """\
---
title: Delayed webhook deliveries
impact: minor
services: [webhooks]
started: 2026-11-22 08:00 +01:00
---

## 2026-11-22 08:28 +01:00 — Identified
One queue partition stopped advancing; we are moving it to a new consumer group.

Next update by 08:48.

## 2026-11-22 08:10 +01:00 — Investigating
Webhooks are arriving 5 to 10 minutes late since 08:00. No events are lost.

Next update in 20 minutes.
"""

PATH = "incidents/2026/2026-11-20-api-errors.md"


def check(tmp_path: Path, files: dict[str, str], *args: str, now: str = NOW, site_yaml: str = SITE_YAML):
    """Run `statusgen check --format json` on a repo of these files; (findings, exit status)."""
    content = make_repo(tmp_path, files, site_yaml)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["check", "--content", str(content), "--format", "json", "--now", now, *args])
    return json.loads(out.getvalue()), status


def fired(findings: list[dict], rule: str) -> list[dict]:
    return [f for f in findings if f["rule"] == rule]


def with_site(extra: str) -> str:
    return SITE_YAML + extra


# ---------------------------------------------------------------- a clean repo


def test_a_well_written_incident_has_no_findings(tmp_path):
    findings, status = check(tmp_path, {PATH: GOOD, "incidents/2026/open.md": OPEN}, now="2026-11-22T08:45:00+01:00")
    assert findings == [] and status == 0


# ---------------------------------------------------------------- update-overdue


def test_overdue_update_fires_with_the_promise_and_how_late(tmp_path):
    findings, status = check(tmp_path, {"incidents/2026/open.md": OPEN}, now="2026-11-22T09:00:00+01:00")
    [f] = fired(findings, "update-overdue")
    assert f["severity"] == "error" and status == 1
    assert f["path"].endswith("incidents/2026/open.md") and f["line"] == 8  # the last update's heading
    assert f["message"] == ("update overdue by 12 min: the last update (08:28 CET) promised the next by 08:48 CET")
    assert "statusgen update open" in f["hint"]


def test_overdue_is_quiet_before_the_promised_time(tmp_path):
    findings, status = check(tmp_path, {"incidents/2026/open.md": OPEN}, now="2026-11-22T08:47:00+01:00")
    assert fired(findings, "update-overdue") == [] and status == 0


def test_overdue_without_a_promise_uses_the_site_interval(tmp_path):
    text = OPEN.replace("Next update by 08:48.\n", "")
    findings, _ = check(tmp_path, {"incidents/2026/open.md": text}, now="2026-11-22T09:00:00+01:00")
    [f] = fired(findings, "update-overdue")
    assert "overdue by 12 min" in f["message"] and "site's 20 min interval" in f["message"]


def test_overdue_respects_a_configured_grace(tmp_path):
    site = with_site("checks:\n  update-overdue: {grace: 15m}\n")
    findings, _ = check(tmp_path, {"incidents/2026/open.md": OPEN}, now="2026-11-22T09:00:00+01:00", site_yaml=site)
    assert fired(findings, "update-overdue") == []


# ---------------------------------------------------------------- update-gap


def test_gap_longer_than_the_site_interval_without_announcing_it(tmp_path):
    text = GOOD.replace("Next update in 20 minutes.\n", "").replace("14:35 +01:00 — Monitoring", "14:55 +01:00 — Monitoring")
    findings, _ = check(tmp_path, {PATH: text})
    [f] = fired(findings, "update-gap")
    assert f["severity"] == "warning" and f["line"] == 12  # the Monitoring heading that came late
    assert "30 min passed since the previous update (14:25 CET)" in f["message"]
    assert "Next update within 1 hour" in f["hint"]


def test_gap_announced_by_the_previous_update_is_fine(tmp_path):
    text = GOOD.replace("Next update in 20 minutes.", "Next update within 1 hour.").replace(
        "14:35 +01:00 — Monitoring", "14:55 +01:00 — Monitoring")
    findings, _ = check(tmp_path, {PATH: text})
    assert fired(findings, "update-gap") == []


def test_broken_promise_in_the_past_fires_beyond_the_grace(tmp_path):
    late = GOOD.replace("14:25 +01:00 — Identified", "14:40 +01:00 — Identified").replace(
        "14:35 +01:00 — Monitoring", "14:55 +01:00 — Monitoring")
    findings, _ = check(tmp_path, {PATH: late})
    [f] = fired(findings, "update-gap")
    assert "came 10 min later than promised" in f["message"] and "by 14:30 CET" in f["message"]
    within_grace = GOOD.replace("14:25 +01:00 — Identified", "14:34 +01:00 — Identified")
    findings, _ = check(tmp_path, {PATH: within_grace})
    assert fired(findings, "update-gap") == []


# ---------------------------------------------------------------- first-update


def test_slow_first_update_fires(tmp_path):
    text = GOOD.replace("started: 2026-11-20 14:05", "started: 2026-11-20 13:40")
    findings, _ = check(tmp_path, {PATH: text.replace("Between 14:05", "Between 13:40")})
    [f] = fired(findings, "first-update")
    assert f["line"] == 22 and "32 min after the start (13:40 CET); the limit is 15 min" in f["message"]


def test_first_update_skips_customer_reported_incidents_and_follows_the_configured_limit(tmp_path):
    text = GOOD.replace("started: 2026-11-20 14:05", "started: 2026-11-20 13:40")
    customer = text.replace("impact: major", "impact: major\nreported_by: customer")
    assert fired(check(tmp_path, {PATH: customer})[0], "first-update") == []
    site = with_site("checks:\n  first-update: {max: 45m}\n")
    assert fired(check(tmp_path, {PATH: text}, site_yaml=site)[0], "first-update") == []


# ---------------------------------------------------------------- copy-paste


def test_copy_paste_fires_on_an_update_that_repeats_an_earlier_one(tmp_path):
    text = GOOD.replace(
        "The rollback finished at 14:31 and error rates are normal again. We are watching them.",
        "A faulty load balancer config returns 502 for about 25% of requests. We are rolling it back.")
    findings, _ = check(tmp_path, {PATH: text})
    [f] = fired(findings, "copy-paste")
    assert f["line"] == 12 and "repeats the one at 14:25 CET" in f["message"]


def test_copy_paste_is_quiet_on_updates_that_say_new_things(tmp_path):
    findings, _ = check(tmp_path, {PATH: GOOD})
    assert fired(findings, "copy-paste") == []


# ---------------------------------------------------------------- empty-words


@pytest.mark.parametrize("body", [
    "We are investigating the issue.",
    "We are still investigating. We will provide an update as soon as possible. Thank you for your patience.",
    "Our engineers are actively working on a fix.",
])  # fmt: skip
def test_empty_words_fires_on_filler(tmp_path, body):
    text = GOOD.replace("We see elevated 502 responses from the Public API in Europe. The Dashboard works normally.", body)
    [f] = fired(check(tmp_path, {PATH: text})[0], "empty-words")
    assert f["line"] == 22 and "only says that you are on it" in f["message"]


@pytest.mark.parametrize("body", [
    "We are investigating elevated 502 responses from the Public API.",
    "We are investigating; about 4% of requests fail.",
    "Wir untersuchen das Problem.",  # German: not recognised, so no false alarm
    "Мы расследуем проблему.",
    "我们正在调查此问题。",
])  # fmt: skip
def test_empty_words_is_quiet_on_content_and_other_languages(tmp_path, body):
    text = GOOD.replace("We see elevated 502 responses from the Public API in Europe. The Dashboard works normally.", body)
    assert fired(check(tmp_path, {PATH: text})[0], "empty-words") == []


def test_an_update_with_only_a_promise_has_no_text(tmp_path):
    text = GOOD.replace("We see elevated 502 responses from the Public API in Europe. The Dashboard works normally.\n", "")
    [f] = fired(check(tmp_path, {PATH: text})[0], "empty-words")
    assert f["message"] == "this update has no text besides its next-update line"


# ---------------------------------------------------------------- vague-title


@pytest.mark.parametrize("title", ["Outage", "Service disruption", "Investigating an issue", "Test Status outage"])
def test_vague_title_fires(tmp_path, title):
    [f] = fired(check(tmp_path, {PATH: GOOD.replace("Elevated error rates on the Public API", title)})[0], "vague-title")
    assert f["line"] == 2 and f"'{title}' names neither a service nor a symptom" in f["message"]


@pytest.mark.parametrize("title", ["API outage", "503 errors", "Slow logins", "部分客户的推送延迟", "Сбой оплаты"])
def test_vague_title_is_quiet_when_the_title_names_something(tmp_path, title):
    assert fired(check(tmp_path, {PATH: GOOD.replace("Elevated error rates on the Public API", title)})[0], "vague-title") == []


# ---------------------------------------------------------------- resolution


def test_resolved_without_a_resolved_update(tmp_path):
    text = GOOD.split("## 2026-11-20 15:00")[0] + "## 2026-11-20 14:35" + GOOD.split("## 2026-11-20 14:35")[1]
    text = text.replace("Next update by 15:00.", "")
    [f] = fired(check(tmp_path, {PATH: text})[0], "resolution")
    assert f["severity"] == "error" and f["line"] == 6 and "there is no Resolved update" in f["message"]


def test_resolved_field_after_the_resolved_update(tmp_path):
    text = GOOD.replace("resolved: 2026-11-20 15:00 +01:00", "resolved: 2026-11-20 15:30 +01:00")
    [f] = fired(check(tmp_path, {PATH: text})[0], "resolution")
    assert "'resolved' (15:30 CET) is after the Resolved update (15:00 CET)" in f["message"]
    ended_earlier = GOOD.replace("resolved: 2026-11-20 15:00 +01:00", "resolved: 2026-11-20 14:50 +01:00")
    assert fired(check(tmp_path, {PATH: ended_earlier})[0], "resolution") == []  # resolved: is when impact ended


def test_update_after_resolution_fires_unless_it_is_a_postmortem(tmp_path):
    later = "## 2026-11-20 16:00 +01:00 — {stage}\nThe root cause was a config change; we added a check for it.\n\n"
    text = GOOD.replace("---\n\n## 2026-11-20 15:00", "---\n\n" + later.format(stage="Update") + "## 2026-11-20 15:00")
    [f] = fired(check(tmp_path, {PATH: text})[0], "resolution")
    assert f["line"] == 9 and "this update (Update, 16:00 CET) comes after the Resolved update (15:00 CET)" in f["message"]
    text = GOOD.replace("---\n\n## 2026-11-20 15:00", "---\n\n" + later.format(stage="Postmortem") + "## 2026-11-20 15:00")
    assert fired(check(tmp_path, {PATH: text})[0], "resolution") == []


MAINTENANCE = """\
---
type: maintenance
title: Database upgrade for the Dashboard
services: [dashboard]
scheduled: {start: 2026-11-21 02:00 +01:00, end: 2026-11-21 04:00 +01:00}
---

## 2026-11-14 10:00 +01:00 — Scheduled
The Dashboard will be read-only for up to 15 minutes between 02:00 and 04:00 CET.
"""


def test_maintenance_is_held_to_its_explicit_promise_while_it_runs(tmp_path):
    running = MAINTENANCE.replace("## 2026-11-14", "## 2026-11-21 02:00 +01:00 — In progress\nThe switch-over has "
                                  "started.\n\nNext update by 02:30.\n\n## 2026-11-14")  # fmt: skip
    [f] = fired(check(tmp_path, {"incidents/2026/db.md": running}, now="2026-11-21T02:45:00+01:00")[0],
                "update-overdue")  # fmt: skip
    assert f["line"] == 8 and "overdue by 15 min" in f["message"] and "statusgen update db in_progress" in f["hint"]
    # the Scheduled update promised nothing: no overdue while the window runs, nor once it is over
    assert fired(check(tmp_path, {"incidents/2026/db.md": MAINTENANCE}, now="2026-11-21T02:45:00+01:00")[0],
                 "update-overdue") == []  # fmt: skip
    assert fired(check(tmp_path, {"incidents/2026/db.md": running})[0], "update-overdue") == []


def test_maintenance_over_without_a_completed_update(tmp_path):
    [f] = fired(check(tmp_path, {"incidents/2026/db.md": MAINTENANCE})[0], "resolution")
    assert f["line"] == 5 and "window ended at 2026-11-21 04:00 CET but no Completed update" in f["message"]
    done = MAINTENANCE + "\n## 2026-11-21 03:10 +01:00 — Completed\nDone; read-only from 02:20 to 02:31 CET.\n"
    assert check(tmp_path, {"incidents/2026/db.md": done})[0] == []


# ---------------------------------------------------------------- resolution-summary


def test_resolved_update_without_an_impact_window(tmp_path):
    text = GOOD.replace("Between 14:05 and 14:50 CET about 30% of API requests failed with 502. Failed requests can "
                        "be retried.", "This incident has been resolved.")
    [f] = fired(check(tmp_path, {PATH: text})[0], "resolution-summary")
    assert f["line"] == 9 and "does not say when the impact began and ended" in f["message"]
    assert fired(check(tmp_path, {PATH: GOOD})[0], "resolution-summary") == []


# ---------------------------------------------------------------- postmortem-due


def test_postmortem_due_for_a_major_incident_after_seven_days(tmp_path):
    [f] = fired(check(tmp_path, {PATH: GOOD}, now="2026-11-30T12:00:00+01:00")[0], "postmortem-due")
    assert f["line"] == 6 and "major incident was resolved 9 days ago (2026-11-20) and has no postmortem" in f["message"]


@pytest.mark.parametrize("change", [
    lambda t: t.replace("impact: major", "impact: minor"),
    lambda t: t.replace("impact: major", "impact: major\npostmortem: https://blog.test.example/pm"),
    lambda t: t + "\n## Postmortem\nA config change removed a pool; we now review such changes twice.\n",
])  # fmt: skip
def test_postmortem_due_is_quiet_for_minor_incidents_or_with_a_postmortem(tmp_path, change):
    assert fired(check(tmp_path, {PATH: change(GOOD)}, now="2026-11-30T12:00:00+01:00")[0], "postmortem-due") == []


def test_postmortem_due_is_quiet_within_the_configured_days(tmp_path):
    site = with_site("checks:\n  postmortem-due: {days: 14}\n")
    assert fired(check(tmp_path, {PATH: GOOD}, now="2026-11-30T12:00:00+01:00", site_yaml=site)[0], "postmortem-due") == []


# ---------------------------------------------------------------- time-sanity


def test_update_in_the_future_is_an_error(tmp_path):
    findings, status = check(tmp_path, {PATH: GOOD}, now="2026-11-20T14:30:00+01:00")
    future = fired(findings, "time-sanity")
    assert status == 1 and {f["line"] for f in future} == {6, 9, 12}  # resolved:, Resolved, Monitoring
    assert any("this update is dated 14:35 CET, 5 min in the future (now is 14:30 CET)" == f["message"] for f in future)


def test_update_before_the_start_is_an_error(tmp_path):
    text = GOOD.replace("## 2026-11-20 14:12 +01:00", "## 2026-11-20 13:12 +01:00")
    [f] = fired(check(tmp_path, {PATH: text})[0], "time-sanity")
    assert f["line"] == 22 and "(13:12 CET) is earlier than 'started' (14:05 CET)" in f["message"]
    assert fired(check(tmp_path, {PATH: GOOD})[0], "time-sanity") == []


def test_a_maintenance_window_that_ends_before_it_starts_is_reported_by_the_build(tmp_path):
    text = MAINTENANCE.replace("end: 2026-11-21 04:00", "end: 2026-11-21 01:00")
    findings, status = check(tmp_path, {"incidents/2026/db.md": text})
    assert status == 1 and [f["rule"] for f in findings] == ["content"]
    assert "ends before it starts" in findings[0]["message"]


# ---------------------------------------------------------------- tone


def test_tone_fires_on_exclamation_marks_and_shouting(tmp_path):
    text = GOOD.replace("We are rolling it back.", "We are rolling it back!").replace(
        "The Dashboard works normally.", "DO NOT RETRY PAYMENTS now.")
    lines = sorted(f["line"] for f in fired(check(tmp_path, {PATH: text})[0], "tone"))
    assert lines == [17, 22]
    assert fired(check(tmp_path, {PATH: GOOD})[0], "tone") == []


# ---------------------------------------------------------------- configuration


def test_rules_can_be_switched_off_or_made_errors(tmp_path):
    vague = GOOD.replace("Elevated error rates on the Public API", "Outage")
    site = with_site("checks:\n  vague-title: off\n")
    assert check(tmp_path, {PATH: vague}, site_yaml=site) == ([], 0)
    site = with_site("checks:\n  vague-title: error\n")
    findings, status = check(tmp_path, {PATH: vague}, site_yaml=site)
    assert [f["severity"] for f in findings] == ["error"] and status == 1


def test_a_rule_can_ignore_named_incidents(tmp_path):
    vague = GOOD.replace("Elevated error rates on the Public API", "Outage")
    site = with_site("checks:\n  vague-title: {ignore: [2026-11-20-api-errors]}\n")
    assert check(tmp_path, {PATH: vague}, site_yaml=site) == ([], 0)


def test_mistakes_in_checks_are_errors_with_a_suggestion(tmp_path):
    site = with_site("checks:\n  first-updates: {max: 10m}\n  postmortem-due: {dayz: 3}\n  copy-paste: {similarity: 2}\n"
                     "  update-gap: sometimes\n")
    findings, status = check(tmp_path, {PATH: GOOD}, site_yaml=site)
    assert status == 1 and {f["rule"] for f in findings} == {"config"}
    first = len(SITE_YAML.splitlines()) + 2  # the line after 'checks:'
    messages = {f["line"] - first: (f["message"], f["hint"]) for f in findings}
    assert messages[0] == ("unknown rule 'first-updates' in checks", "did you mean 'first-update'?")
    assert messages[1][0] == "'postmortem-due' has no option 'dayz'" and "'days'" in messages[1][1]
    assert "'copy-paste.similarity': '2' is not a number between 0 and 1" == messages[2][0]
    assert messages[3][0] == "'update-gap' cannot be 'sometimes'"


# ---------------------------------------------------------------- content problems and the rest of the repo


def test_build_errors_are_findings_and_other_files_are_still_checked(tmp_path):
    broken = GOOD.replace("impact: major", "impact: huge")
    vague = GOOD.replace("Elevated error rates on the Public API", "Outage")
    findings, status = check(tmp_path, {PATH: broken, "incidents/2026/other.md": vague})
    assert status == 1
    [content] = fired(findings, "content")
    assert content["path"].endswith(PATH) and content["line"] == 3 and content["message"] == "'impact' cannot be 'huge'"
    assert [f["path"].rsplit("/", 1)[1] for f in fired(findings, "vague-title")] == ["other.md"]


# ---------------------------------------------------------------- as a user runs it


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run([sys.executable, "-m", "statusgen", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A status repo in a git work tree, as in CI: content/ with one vague, overdue incident."""
    make_repo(tmp_path, {"incidents/2026/open.md": OPEN.replace("Delayed webhook deliveries", "Problem")})
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    return tmp_path


def test_text_output_and_exit_status(repo):
    r = run(repo, "check", "--now", "2026-11-22T09:00:00+01:00")
    assert r.returncode == 1
    assert "content/incidents/2026/open.md:8: error [update-overdue]: update overdue by 12 min" in r.stdout
    assert "content/incidents/2026/open.md:2: warning [vague-title]: the title 'Problem'" in r.stdout
    assert "    hint: " in r.stdout and "1 error(s), 1 warning(s) in 1 incident." in r.stderr


def test_warnings_pass_unless_strict(repo):
    assert run(repo, "check", "--now", "2026-11-22T08:40:00+01:00").returncode == 0
    strict = run(repo, "check", "--strict", "--now", "2026-11-22T08:40:00+01:00")
    assert strict.returncode == 1 and "[vague-title]" in strict.stdout


def test_github_format_prints_workflow_annotations(repo):
    r = run(repo, "check", "--format", "github", "--now", "2026-11-22T09:00:00+01:00")
    lines = r.stdout.splitlines()
    assert lines[0] == ("::warning file=content/incidents/2026/open.md,line=2,title=statusgen vague-title::"
                        "the title 'Problem' names neither a service nor a symptom%0Ahint: say what readers notice "
                        "and where, e.g. 'Slow responses from the Public API' (services: Public API, Dashboard, "
                        "Webhooks…)")
    assert lines[1].startswith("::error file=content/incidents/2026/open.md,line=8,title=statusgen update-overdue::")
    assert len(lines) == 2 and r.returncode == 1


def test_json_format_is_a_list_of_findings(repo):
    r = run(repo, "check", "--format", "json", "--now", "2026-11-22T09:00:00+01:00")
    findings = json.loads(r.stdout)
    assert [(f["rule"], f["severity"], f["line"]) for f in findings] == [("vague-title", "warning", 2),
                                                                          ("update-overdue", "error", 8)]
    assert set(findings[0]) == {"rule", "severity", "path", "line", "message", "hint"}


def test_the_example_repo_has_no_errors():
    env_now = "2026-11-22T09:00:00+01:00"  # the moment the example content describes
    r = run(ROOT, "check", "--content", "content", "--format", "json", "--now", env_now)
    findings = json.loads(r.stdout)
    assert r.returncode == 0, r.stdout
    assert [f for f in findings if f["severity"] == "error"] == []


def test_the_readme_documents_every_rule_with_its_default():
    from statusgen.check import RULES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line.split("|")[2].strip() for line in readme.splitlines()
            if line.startswith("| `")}  # fmt: skip
    assert {r.id: r.severity for r in RULES}.items() <= rows.items()
