"""`statusgen new / update / resolve` driven as a responder would: a subprocess in a git repo with real
files. Edits must change only the lines they must: everything else stays byte-for-byte."""

from __future__ import annotations

import contextlib
import io
import os
import pty
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from statusgen.cli import main
from statusgen.edit import EditError, add_update, set_front_value, write_atomic
from statusgen.model import Stage
from tests.sitekit import make_repo

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-22T09:14:00+01:00"
NEW_PATH = "content/incidents/2026/2026-11-22-elevated-errors-on-the-public-api.md"


def run(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run([sys.executable, "-m", "statusgen", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60, input=stdin if stdin is not None else "")  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    make_repo(tmp_path)
    shutil.copytree(ROOT / "content" / "incident-templates", tmp_path / "content" / "incident-templates")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    return tmp_path


def new(repo: Path, *extra: str, now: str = NOW) -> subprocess.CompletedProcess:
    return run(repo, "new", "--title", "Elevated errors on the Public API", "--services", "api,dashboard",
               "--impact", "major", "--now", now, *extra)  # fmt: skip


def write(repo: Path, rel: str, data: bytes) -> Path:
    path = repo / "content" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def clean(repo: Path, now: str) -> None:
    """`statusgen check --strict` passes (in-process: it verifies the result, it is not under test here)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        status = main(["check", "--strict", "--content", str(repo / "content"), "--now", now])
    assert status == 0, out.getvalue()


# ---------------------------------------------------------------- new


def test_new_writes_a_named_file_with_a_first_update_and_prints_its_path(repo):
    r = new(repo)
    assert r.returncode == 0, r.stderr
    assert r.stdout == NEW_PATH + "\n"
    assert (repo / NEW_PATH).read_text() == (
        "---\ntitle: Elevated errors on the Public API\nimpact: major\nservices: [api, dashboard]\n"
        "started: 2026-11-22 09:14 +01:00\n---\n\n"
        "## 2026-11-22 09:14 +01:00 — Investigating\n"
        "We are investigating a problem with Public API and Dashboard since 09:14 CET.\n\n"
        "Next update in 20 minutes.\n"
    )
    clean(repo, "2026-11-22T09:30:00+01:00")
    assert "?? " + NEW_PATH in subprocess.run(["git", "status", "--porcelain", "-uall"], cwd=repo, text=True,
                                              capture_output=True).stdout  # fmt: skip


def test_new_uses_the_site_zone_and_the_local_date(repo):
    r = new(repo, "--reported-by", "customer", now="2026-11-21T23:30:00Z")  # 00:30 on the 22nd in Berlin
    assert r.stdout == NEW_PATH + "\n"
    text = (repo / NEW_PATH).read_text()
    assert "started: 2026-11-22 00:30 +01:00\nreported_by: customer\n" in text


def test_new_refuses_unknown_services_and_lists_the_valid_ones(repo):
    r = run(repo, "new", "--title", "Slow API", "--services", "api,dashbord", "--impact", "minor", "--now", NOW)
    assert r.returncode == 1 and r.stdout == ""
    assert "unknown service 'dashbord'" in r.stderr and "did you mean 'dashboard'?" in r.stderr
    assert "api (Public API), dashboard (Dashboard), webhooks (Webhooks)" in r.stderr
    assert not (repo / "content" / "incidents").exists()


def test_new_never_overwrites_an_existing_file(repo):
    assert new(repo).returncode == 0
    (repo / NEW_PATH).write_text("my edits")
    again = new(repo, now="2026-11-22T09:20:00+01:00")
    assert again.returncode == 1 and "exists already" in again.stderr and "statusgen update" in again.stderr
    assert (repo / NEW_PATH).read_text() == "my edits"


def test_new_without_a_terminal_names_what_is_missing(repo):
    r = run(repo, "new", "--services", "api", "--now", NOW)
    assert r.returncode == 1 and "missing --title, --impact" in r.stderr and "terminal" in r.stderr


def test_new_asks_for_missing_fields_in_a_terminal(repo):
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "statusgen", "new", "--now", NOW], cwd=repo, env=env, stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    os.close(slave)
    os.write(master, b"Webhook deliveries delayed\nwebhooks\nminor\n")
    out, err = proc.communicate(timeout=60)
    os.close(master)
    assert proc.returncode == 0, err
    assert "Title" in err and "webhooks (Webhooks)" in err and "Impact" in err
    path = repo / out.strip()
    assert path.name == "2026-11-22-webhook-deliveries-delayed.md"
    assert "title: Webhook deliveries delayed\nimpact: minor\nservices: [webhooks]\n" in path.read_text()


def test_new_from_a_template_fills_in_services_and_times(repo):
    r = run(repo, "new", "--template", "db-degraded", "--services", "dashboard", "--now", NOW)
    assert r.returncode == 0, r.stderr
    text = (repo / r.stdout.strip()).read_text()
    assert r.stdout.strip().endswith("2026-11-22-slow-responses-and-timeouts-from-dashboard.md")
    assert "title: Slow responses and timeouts from Dashboard\nimpact: minor\n" in text
    assert "Since 09:14 CET, requests to Dashboard are slow" in text and "{{" not in text
    clean(repo, "2026-11-22T09:20:00+01:00")


@pytest.mark.parametrize("name", ["db-degraded", "elevated-errors", "third-party-outage"])
def test_every_incident_template_makes_a_file_that_passes_check(repo, name):
    r = run(repo, "new", "--template", name, "--services", "api,webhooks", "--now", NOW)
    assert r.returncode == 0, r.stderr
    clean(repo, "2026-11-22T09:20:00+01:00")


def test_new_maintenance_from_the_template(repo):
    r = run(repo, "new", "maintenance", "--template", "maintenance", "--services", "dashboard",
            "--start", "2026-12-06 02:00", "--now", NOW)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("incidents/2026/2026-12-06-planned-maintenance-of-dashboard.md")
    text = (repo / r.stdout.strip()).read_text()
    assert "type: maintenance\n" in text and "  start: 2026-12-06 02:00 +01:00\n  end: 2026-12-06 04:00 +01:00\n" in text
    assert "## 2026-11-22 09:14 +01:00 — Scheduled\nBetween 2026-12-06 02:00 CET and 04:00 CET" in text
    assert text.endswith("Next update by 2026-12-06 02:00 +01:00.\n")
    clean(repo, "2026-11-22T09:20:00+01:00")


def test_a_template_with_an_unknown_placeholder_is_refused(repo):
    (repo / "content/incident-templates/mine.md").write_text("---\ntitle: API down\nimpact: major\n---\nSince {{tim}}.\n")
    r = run(repo, "new", "--template", "mine", "--services", "api", "--now", NOW)
    assert r.returncode == 1 and "unknown placeholder '{{tim}}'" in r.stderr and "{{time}}" in r.stderr
    unknown = run(repo, "new", "--template", "db-degraded-x", "--services", "api", "--now", NOW)
    assert unknown.returncode == 1 and "did you mean 'db-degraded'?" in unknown.stderr


# ---------------------------------------------------------------- update and resolve: only the new lines change

NEWEST_FIRST = (
    "---\r\n"
    "# owner: payments on-call\r\n"
    "title: 'Card payments: failures at checkout'   # quoted on purpose\r\n"
    "impact: major\r\n"
    "services: {api: partial_outage}\r\n"
    "started: 2026-11-22 08:05 +01:00\r\n"
    "---\r\n"
    "Summary paragraph.\r\n"
    "\r\n"
    "## 2026-11-22 08:30 +01:00 | Identified\r\n"
    "A certificate expired;  we are   replacing it.\r\n"
    "\r\n"
    "Next update by 08:50.\r\n"
    "\r\n"
    "## 2026-11-22 08:12 +01:00 | Investigating\r\n"
    "Card payments fail with 502 since 08:05.\r\n"
    "\r\n"
    "Next update in 20 minutes.\r\n"
)


def test_update_inserts_above_the_newest_and_keeps_every_other_byte(repo):
    path = write(repo, "incidents/2026/cards.md", NEWEST_FIRST.encode())
    r = run(repo, "update", "cards", "monitoring", "The new certificate is live; payments succeed since 08:52.",
            "--now", "2026-11-22T08:55:30+01:00")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout == "content/incidents/2026/cards.md\n"
    block = ("## 2026-11-22 08:55 +01:00 | Monitoring\r\nThe new certificate is live; payments succeed since 08:52.\r\n"
             "\r\nNext update in 20 minutes.\r\n\r\n")  # fmt: skip
    after = path.read_bytes().decode()
    assert after == NEWEST_FIRST.replace("## 2026-11-22 08:30", block + "## 2026-11-22 08:30", 1)
    assert "cards.md:10" in r.stderr
    clean(repo, "2026-11-22T09:00:00+01:00")


def test_resolve_sets_resolved_with_a_one_line_edit(repo):
    path = write(repo, "incidents/2026/cards.md", NEWEST_FIRST.encode())
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    r = run(repo, "resolve", "cards", "Between 08:05 and 08:48 CET card payments failed; retries succeed.",
            "--now", "2026-11-22T08:50:00+01:00")  # fmt: skip
    assert r.returncode == 0, r.stderr
    after = path.read_bytes().decode()
    expected = NEWEST_FIRST.replace("started: 2026-11-22 08:05 +01:00\r\n",
                                    "started: 2026-11-22 08:05 +01:00\r\nresolved: 2026-11-22 08:50 +01:00\r\n")
    expected = expected.replace("## 2026-11-22 08:30", "## 2026-11-22 08:50 +01:00 | Resolved\r\nBetween 08:05 and "
                                "08:48 CET card payments failed; retries succeed.\r\n\r\n## 2026-11-22 08:30", 1)
    assert after == expected
    numstat = subprocess.run(["git", "diff", "--numstat"], cwd=repo, capture_output=True, text=True).stdout
    assert numstat.split()[:2] == ["4", "0"]  # four lines added, none changed or removed
    clean(repo, "2026-11-22T09:15:00+01:00")
    again = run(repo, "resolve", "cards", "Again.", "--now", "2026-11-22T09:20:00+01:00")
    assert again.returncode == 1 and "already has a Resolved update" in again.stderr
    assert path.read_bytes().decode() == expected


def test_resolve_with_the_time_the_impact_ended(repo):
    path = write(repo, "incidents/2026/cards.md", NEWEST_FIRST.encode())
    r = run(repo, "resolve", "cards", "Between 08:05 and 08:44 CET card payments failed.", "--ended", "08:44",
            "--now", "2026-11-22T08:50:00+01:00")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "\r\nresolved: 2026-11-22 08:44 +01:00\r\n" in path.read_bytes().decode()
    late = write(repo, "incidents/2026/cards2.md", NEWEST_FIRST.encode())
    r = run(repo, "resolve", "cards2", "Done.", "--ended", "2026-11-22 09:00", "--now", "2026-11-22T08:50:00+01:00")
    assert r.returncode == 1 and "is after the Resolved update" in r.stderr
    assert late.read_bytes().decode() == NEWEST_FIRST


OLDEST_FIRST = """\
---
id: sso-okta
title: SSO sign-in failing for Okta workspaces
impact: minor
services: [dashboard]
started: 2026-11-22 07:00 +01:00
resolved:    2026-11-22 09:00 +01:00   # set too early by hand
---

## 2026-11-22 07:10 +01:00 - Investigating
Okta sign-ins fail with "response could not be verified".

Next update in 20 minutes.

## 2026-11-22 07:28 +01:00 - Identified
A dependency update broke SAML signature checks; rolling back.

## Postmortem
Written later.
"""


def test_resolve_in_an_oldest_first_file_goes_before_free_sections_and_replaces_resolved(repo):
    path = write(repo, "incidents/2026/whatever-name.md", OLDEST_FIRST.encode())
    r = run(repo, "resolve", "sso-okta", "Between 07:00 and 07:45 CET Okta sign-ins failed.",
            "--now", "2026-11-22T07:50:00+01:00")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert path.read_text() == OLDEST_FIRST.replace(
        "resolved:    2026-11-22 09:00 +01:00   # set too early by hand",
        "resolved:    2026-11-22 07:50 +01:00   # set too early by hand",
    ).replace("rolling back.\n\n## Postmortem", "rolling back.\n\n## 2026-11-22 07:50 +01:00 - Resolved\n"
              "Between 07:00 and 07:45 CET Okta sign-ins failed.\n\n## Postmortem")  # fmt: skip


def test_update_with_a_promise_by_a_time_and_text_from_stdin(repo):
    path = write(repo, "incidents/2026/sso.md", OLDEST_FIRST.replace("resolved:    2026-11-22 09:00 +01:00   # set too early by hand\n", "").encode())  # fmt: skip
    r = run(repo, "update", "sso-okta", "update", "-", "--next", "08:30", "--now", "2026-11-22T07:45:00+01:00",
            stdin="Rollback is at 60%.\nSign-ins work again for most workspaces.\n")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert ("## 2026-11-22 07:45 +01:00 - Update\nRollback is at 60%.\nSign-ins work again for most workspaces.\n\n"
            "Next update by 08:30 CET.\n\n## Postmortem") in path.read_text()
    clean(repo, "2026-11-22T08:00:00+01:00")


def test_two_updates_in_one_minute_get_seconds(repo):
    path = write(repo, "incidents/2026/cards.md", NEWEST_FIRST.encode())
    for now, text in (("08:40:00", "Payments recover."), ("08:40:20", "Correction: only payments in EUR recover.")):
        r = run(repo, "update", "cards", "update", text, "--no-next", "--now", f"2026-11-22T{now}+01:00")
        assert r.returncode == 0, r.stderr
    text = path.read_bytes().decode()
    assert text.index("## 2026-11-22 08:40:20 +01:00 | Update\r\nCorrection") < text.index(
        "## 2026-11-22 08:40 +01:00 | Update\r\nPayments recover.\r\n\r\n## 2026-11-22 08:30")
    clean(repo, "2026-11-22T08:45:00+01:00")


def test_update_refuses_a_stage_of_the_wrong_kind_and_unknown_ids(repo):
    write(repo, "incidents/2026/cards.md", NEWEST_FIRST.encode())
    r = run(repo, "update", "cards", "in_progress", "Working.", "--now", "2026-11-22T08:40:00+01:00")
    assert r.returncode == 1 and "'in_progress' is not a stage of an incident" in r.stderr
    r = run(repo, "update", "card", "identified", "x", "--now", "2026-11-22T08:40:00+01:00")
    assert r.returncode == 1 and "no incident 'card'" in r.stderr and "did you mean 'cards'?" in r.stderr


def test_update_works_on_a_file_with_errors_and_loses_nothing(repo):
    broken = NEWEST_FIRST.replace("impact: major", "impact: huge").replace("| Investigating", "| Investigatin")
    path = write(repo, "incidents/2026/cards.md", broken.encode())
    write(repo, "incidents/2026/other.md", b"---\ntitle: [unclosed\n---\n")  # unreadable YAML elsewhere
    r = run(repo, "update", "cards", "identified", "Still failing; a fix is being deployed.",
            "--now", "2026-11-22T08:45:00+01:00")  # fmt: skip
    assert r.returncode == 0, r.stderr
    after = path.read_bytes().decode()
    assert after.replace("## 2026-11-22 08:45 +01:00 | Identified\r\nStill failing; a fix is being deployed.\r\n\r\n"
                         "Next update in 20 minutes.\r\n\r\n", "") == broken  # fmt: skip


def test_bom_and_missing_final_newline_are_kept(repo):
    text = OLDEST_FIRST.split("## Postmortem")[0].rstrip("\n").replace("resolved:    2026-11-22 09:00 +01:00   # set too early by hand\n", "")  # fmt: skip
    path = write(repo, "incidents/2026/sso.md", b"\xef\xbb\xbf" + text.encode())
    r = run(repo, "update", "sso-okta", "monitoring", "Sign-ins work again since 07:40.", "--now", "2026-11-22T07:45:00+01:00")
    assert r.returncode == 0, r.stderr
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf---\n") and data.endswith(b"Next update in 20 minutes.\n")
    assert data.decode("utf-8-sig").startswith(text + "\n\n## 2026-11-22 07:45 +01:00 - Monitoring\n")


# ---------------------------------------------------------------- the pure edits


ZONE = "Europe/Berlin"


def at(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-22T{hhmm}:00+01:00")


def test_a_back_dated_update_lands_between_its_neighbours():
    body = NEWEST_FIRST.replace("\r\n", "\n")
    text, line = add_update(body, at("08:20"), Stage.UPDATE, "Late entry.", ZONE)
    lines = text.split("\n")
    assert lines[line - 1] == "## 2026-11-22 08:20 +01:00 | Update"
    assert lines.index("## 2026-11-22 08:30 +01:00 | Identified") < line - 1 < lines.index(
        "## 2026-11-22 08:12 +01:00 | Investigating")


def test_with_one_update_the_repo_habit_decides_the_order():
    one = "---\ntitle: t\n---\n\n## 2026-11-22 08:12 +01:00 — Investigating\nFirst.\n"
    newest, _ = add_update(one, at("08:30"), Stage.IDENTIFIED, "Second.", ZONE, newest_first_default=True)
    oldest, _ = add_update(one, at("08:30"), Stage.IDENTIFIED, "Second.", ZONE, newest_first_default=False)
    assert newest.index("Second.") < newest.index("First.")
    assert oldest.index("First.") < oldest.index("Second.") and oldest.endswith("Second.\n")


def test_the_file_style_of_timestamps_is_kept():
    iso = "---\ntitle: t\n---\n\n## 2026-11-22T08:12:00+01:00 · Investigating\nFirst.\n"
    text, _ = add_update(iso, at("08:30"), Stage.IDENTIFIED, "Second.", ZONE)
    assert "## 2026-11-22T08:30:00+01:00 · Identified\nSecond.\n" in text
    named = "---\ntitle: t\n---\n\n## 2026-11-22 08:12 Europe/Berlin — Investigating\nFirst.\n"
    text, _ = add_update(named, at("08:30"), Stage.IDENTIFIED, "Second.", ZONE)
    assert "## 2026-11-22 08:30 Europe/Berlin — Identified" in text


def test_set_front_value_inserts_after_started_or_before_the_end():
    text = "---\ntitle: t\nstarted: 2026-11-22 08:00\nservices: [api]\n---\nbody\n"
    assert set_front_value(text, "resolved", "X", after=("started",)) == text.replace(
        "started: 2026-11-22 08:00\n", "started: 2026-11-22 08:00\nresolved: X\n")
    assert set_front_value(text, "resolved", "X") == text.replace("[api]\n---", "[api]\nresolved: X\n---")
    with pytest.raises(EditError):
        set_front_value("no front matter\n", "resolved", "X")


def test_write_atomic_refuses_when_the_file_changed_meanwhile(tmp_path):
    path = tmp_path / "a.md"
    path.write_bytes(b"original")
    with pytest.raises(EditError, match="changed while statusgen was editing"):
        write_atomic(path, b"new", expected=b"what we read earlier")
    assert path.read_bytes() == b"original" and sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]
    path.chmod(0o600)
    write_atomic(path, b"new", expected=b"original")
    assert path.read_bytes() == b"new" and (path.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


# ---------------------------------------------------------------- the invariant, on many generated files

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def incident_files(draw):
    """Incident files as people write them: either line ending, comments, odd spacing, any order."""
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    minutes = draw(st.lists(st.integers(0, 600), min_size=0, max_size=5, unique=True))
    newest_first = draw(st.booleans())
    sep = draw(st.sampled_from(["—", "-", "·", "|"]))
    front = ["---", "title:   'Slow API'   # comment", "impact: minor", "services: [api]",
             "started: 2026-11-22 00:00 +01:00", "# a comment line", "---"]  # fmt: skip
    lines = list(front) + draw(st.sampled_from([[], [""], ["Summary text.  ", ""]]))
    for m in sorted(minutes, reverse=newest_first):
        lines += [f"## 2026-11-22 {m // 60:02d}:{m % 60:02d} +01:00 {sep} Update",
                  draw(st.sampled_from(["Text.", "Text with trailing spaces.   ", "- a list\n- b"])), ""]  # fmt: skip
    if draw(st.booleans()):
        lines += ["## Postmortem", "Free text.", ""]
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        text = text.rstrip("\n")  # no newline at the end
    return text.replace("\n", nl), minutes


@settings(max_examples=150, deadline=None)
@given(incident_files(), st.integers(0, 700))
def test_add_update_only_adds_lines_and_keeps_the_order(case, minute):
    text, minutes = case
    if minute in minutes:
        minute += 1 if minute + 1 not in minutes else 0
    if minute in minutes:
        return
    when = datetime.fromisoformat("2026-11-22T00:00:00+01:00") + timedelta(minutes=minute)
    result, line = add_update(text, when, Stage.UPDATE, "New text.", ZONE)
    nl = "\r\n" if "\r\n" in text else "\n"
    new_lines = result.split(nl)
    assert new_lines[line - 1].startswith(f"## 2026-11-22 {minute // 60:02d}:{minute % 60:02d} +01:00 ")
    # removing the inserted heading, its text and blank lines gives back the original, byte for byte
    old_lines = text.split(nl)
    rest = new_lines[: line - 1] + new_lines[line + 1 :]
    assert [ln for ln in rest if ln] == [ln for ln in old_lines if ln]
    assert all(not ln.endswith("\r") for ln in new_lines)  # no mixed line endings
    # the update times stay in the file's order
    times = [ln[3:19] for ln in new_lines if ln.startswith("## 2026")]
    if len(minutes) >= 2:
        newest_first = times.index(min(times)) > times.index(max(times))
        assert times == sorted(times, reverse=newest_first)
    assert "Postmortem" not in "".join(new_lines[:line]) or not any(ln.startswith("## Postmortem") for ln in old_lines)
