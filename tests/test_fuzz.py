"""Property tests over what authors write: front matter values, update headings, timestamps and
promises. Any input either builds (every output renders, at safe paths) or is refused with
diagnostics that name the file and a line in it: never a traceback, never a hang.

The suite runs a short derandomized campaign. A long one, by hand:
    STATUSGEN_FUZZ=long python -m pytest -q tests/test_fuzz.py   # ~10,000s of examples per test
"""

from __future__ import annotations

import json
import os
import signal
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from sitekit import SITE_YAML, make_repo

from statusgen.build import load_site, render_site
from statusgen.errors import ContentError
from statusgen.publish import check_outputs
from statusgen.theme import resolve_theme
from statusgen.timeparse import TimeSyntaxError, parse_timestamp

LONG = os.environ.get("STATUSGEN_FUZZ") == "long"
SETTINGS = dict(
    derandomize=not LONG,
    deadline=None,  # a hang is caught by the time bound in each property, which names the input
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    database=None,
)
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
HANG = 60  # seconds after which one example counts as a hang (a busy machine takes ~1 s)

# ---------------------------------------------------------------- what authors write

digits = lambda lo, hi, width: st.integers(lo, hi).map(lambda n: str(n).zfill(width))  # noqa: E731
ZONES = ["", " +01:00", " -05:30", "Z", " Z", " +14:00", " +25:00", " Europe/Berlin", " UTC", " CET",
         " America/St_Johns", " Mars/Olympus", " +0100", " GMT+1", " local"]  # fmt: skip
VALID_ZONES = [" +01:00", " -05:30", "Z", " +14:00", " Europe/Berlin", " UTC", " America/St_Johns", ""]
# Mostly well-formed (so validation passes and the renderers see the rest), sometimes anything at all.
good_stamps = st.builds(
    lambda mo, d, h, mi, z: f"2026-{mo}-{d} {h}:{mi}{z}",
    digits(1, 12, 2), digits(1, 28, 2), digits(0, 23, 2), digits(0, 59, 2), st.sampled_from(VALID_ZONES),
)
wild_stamps = st.one_of(
    st.builds(
        lambda y, mo, d, sep, h, mi, sec, z: f"{y}-{mo}-{d}{sep}{h}:{mi}{sec}{z}",
        digits(1, 9999, 4), digits(0, 13, 2), digits(0, 32, 2), st.sampled_from([" ", "T", "  ", "t"]),
        digits(0, 25, 2), digits(0, 61, 2), st.sampled_from(["", ":00", ":59", ":60", ".5", ":07.123456"]),
        st.sampled_from(ZONES),
    ),
    st.sampled_from(["2026-11-20 14:05 +01:00", "2026-11-20T14:05:00Z", "2026-03-29 02:30 Europe/Berlin",
                     "2026-10-25 02:30 Europe/Berlin", "14:05", "yesterday", "now", "", "~", "null", "0",
                     "2026-02-29 10:00", "2024-02-29 10:00 +00:00", "1970-01-01T00:00:00Z", "9999-12-31 23:59 +14:00"]),
    st.text(max_size=40),
)  # fmt: skip
timestamps = st.one_of(good_stamps, good_stamps, wild_stamps)
STAGES = ["Investigating", "identified", "Monitoring", "update", "Resolved", "postmortem", "Scheduled",
          "in progress", "In-Progress", "verifying", "completed", "Complete", "fixed", "RESOLVED", "", "—"]  # fmt: skip
stages = st.one_of(st.sampled_from(STAGES[:6]), st.sampled_from(STAGES), st.text(max_size=20))
separators = st.one_of(st.sampled_from(["—", "-", "·", "|"]), st.sampled_from(["–", " ", ":", "--", "—  "]))
titles = st.one_of(
    st.from_regex(r"[A-Za-z0-9][\w .,:;!?'\"<>&/{}%#*\[\]()-]{0,60}", fullmatch=True),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=80),
    st.text(),
)
promises = st.one_of(
    st.builds(lambda w, t: f"Next update {w} {t}", st.sampled_from(["by", "in", "within", "at", ""]),
              st.one_of(timestamps, st.sampled_from(["30 minutes", "1h", "1h30m", "0m", "-5m", "14:45",
                                                     "99 hours", "2 days", "14:45 +01:00", "25:00"]))),  # fmt: skip
    st.just(""),
)
bodies = st.lists(st.one_of(st.text(max_size=60), promises, st.sampled_from(["", "```", "    code", "> quote"])),
                  max_size=4).map("\n".join)  # fmt: skip
headings = st.builds(lambda ts, sep, stage, body: f"## {ts} {sep} {stage}\n{body}\n", timestamps, separators,
                     stages, bodies)  # fmt: skip
scalars = st.one_of(
    st.text(max_size=30), timestamps, st.sampled_from(["yes", "no", "on", "off", "~", "null", "[]", "{}", "1e3",
                                                       "0x10", "&a x", "*a", "!!binary x", "|", ">", "'", '"', "- x"]),
)  # fmt: skip
SERVICE_IDS = ["api", "dashboard", "webhooks", "API", "nope", "", "api,dashboard"]
values = {
    "title": st.one_of(titles, scalars),
    "impact": st.one_of(st.sampled_from(["none", "minor", "major", "critical", "Major", "big", ""]), scalars),
    "services": st.one_of(
        st.lists(st.sampled_from(SERVICE_IDS), max_size=4).map(lambda v: "[" + ", ".join(v) + "]"),
        st.dictionaries(st.sampled_from(SERVICE_IDS), st.sampled_from(["major_outage", "partial_outage",
                        "degraded_performance", "under_maintenance", "operational", "down", ""]),
                        max_size=3).map(lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"),
        scalars,
    ),  # fmt: skip
    "started": timestamps,
    "resolved": timestamps,
    "type": st.sampled_from(["incident", "maintenance", "Maintenance", "outage", ""]),
    "scheduled": st.builds(lambda a, b: f"{{start: {a}, end: {b}}}", timestamps, timestamps) | scalars,
    "unaffected": st.lists(st.sampled_from(SERVICE_IDS), max_size=3).map(lambda v: "[" + ", ".join(v) + "]"),
    "id": st.one_of(st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True), scalars),
    "postmortem": st.sampled_from(["https://blog.example/pm", "http://x", "ftp://x", "javascript:x", "/pm", ""]),
    "reported_by": st.sampled_from(["customer", "monitoring", "staff", "robot", ""]),
    "nonsense": scalars,
}
QUOTING = [lambda v: v, lambda v: json.dumps(v, ensure_ascii=False), lambda v: "'" + v.replace("'", "''") + "'"]
front_matter = st.lists(
    st.tuples(st.sampled_from(sorted(values)), st.integers(0, len(QUOTING) - 1), st.data()), max_size=9,
    unique_by=lambda t: t[0],
)


BASE = {"title": "Elevated errors", "impact": "major", "services": "[api]", "started": "2026-11-20 14:05 +01:00"}


def incident_text(data, fields, summary: str, updates: list[str]) -> str:
    """A valid front matter with the drawn fields replacing or joining its own (so one wild value
    is often the only problem), then the summary and the update blocks."""
    front = dict(BASE)
    for key, quoting, _ in fields:
        value = data.draw(values[key], label=key)
        front[key] = QUOTING[quoting](value) if not value.startswith(("[", "{")) or quoting else value
    lines = [f"{key}: {text}" for key, text in front.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + summary + "\n" + "".join(updates)


# ---------------------------------------------------------------- the properties


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return make_repo(tmp_path_factory.mktemp("fuzz"), site_yaml=SITE_YAML)


def check(content: Path, text: str) -> None:
    """Build the model and, when it is valid, every output; or get diagnostics naming the file and a line."""
    path = content / "incidents" / "fuzz.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")

    def hang(signum, frame):
        raise AssertionError(f"no result after {HANG} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.setitimer(signal.ITIMER_REAL, HANG)
    try:
        build_or_diagnose(content, text)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def event(name: str) -> None:
    if currently_in_test_context():  # for --hypothesis-show-statistics
        hypothesis_event(name)


def build_or_diagnose(content: Path, text: str) -> None:
    try:
        site = load_site(content)
    except ContentError as exc:
        event("refused")
        lines = text.count("\n") + 1
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.path == "incidents/fuzz.md", d.format()
            assert 1 <= d.line <= lines + 1, (d.format(), lines)
            assert d.message.strip()
    else:
        event(f"built with {sum(len(i.updates) for i in site.incidents)} updates")
        outputs = render_site(site, NOW, resolve_theme(content, site.theme))
        check_outputs(outputs)
        assert any(p.startswith("incidents/") for p, _ in outputs)


@settings(max_examples=2000 if LONG else 25, **SETTINGS)
@given(data=st.data(), fields=front_matter, summary=bodies, updates=st.lists(headings, max_size=4))
@example(data=None, fields=[], summary="", updates=[])
def test_any_incident_file_builds_or_gets_diagnostics_with_file_and_line(repo, data, fields, summary, updates):
    if data is None:
        check(repo, "---\n---\n")
        return
    check(repo, incident_text(data, fields, summary, updates))


@settings(max_examples=5000 if LONG else 25, **SETTINGS)
@given(title=titles, started=timestamps, updates=st.lists(headings, min_size=1, max_size=5),
       services=st.sampled_from(["[api]", "[api, dashboard]", "{webhooks: major_outage}"]))  # fmt: skip
def test_mostly_valid_incidents_with_wild_updates_render_everywhere(repo, title, started, updates, services):
    """Front matter that usually validates, so the renderers see the wild headings and promises."""
    quote = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731 - YAML reads JSON strings
    text = f"---\ntitle: {quote(title)}\nimpact: major\nservices: {services}\nstarted: {quote(started)}\n---\n"
    text += "".join(updates)
    check(repo, text)


EXTREMES = {  # what the long campaign found (OverflowError tracebacks), and their neighbours
    "started": ["9999-12-31 23:59 -05:00", "0001-01-01 00:00 +05:00", "9000-12-31 23:59 -12:00"],
    "promise": ["## 9999-12-31 23:00 +01:00 — Investigating\nNext update by 14:45\n",
                "## 9000-12-31 23:59 -12:00 — Investigating\nNext update by 23:58\n",
                "## 2026-11-20 14:12 +01:00 — Investigating\nNext update in 999999999 days\n",
                "## 2026-11-20 14:12 +01:00 — Investigating\nNext update in 9999999999 days\n"],
}  # fmt: skip


@pytest.mark.parametrize("started", EXTREMES["started"])
@pytest.mark.parametrize("update", EXTREMES["promise"])
def test_dates_at_the_ends_of_the_calendar_are_errors_not_overflows(repo, started, update):
    check(repo, f"---\ntitle: Far away\nimpact: minor\nservices: [api]\nstarted: {started}\n---\n{update}")


@pytest.mark.parametrize("line", ["update_interval: 9999999999d", "update_interval: 999999999 days"])
def test_site_durations_and_dates_out_of_range_are_errors(tmp_path, line):
    content = make_repo(tmp_path, site_yaml=SITE_YAML.replace("update_interval: 20m", line))
    with pytest.raises(ContentError) as raised:
        load_site(content)
    assert [(d.path, d.line) for d in raised.value.diagnostics] == [("site.yaml", 5)]


@settings(max_examples=20000 if LONG else 200, **SETTINGS)
@given(text=timestamps, zone=st.sampled_from(["UTC", "Europe/Berlin", "Pacific/Chatham", "America/St_Johns"]))
def test_timestamps_parse_to_an_aware_instant_or_a_clear_error(text, zone):
    try:
        moment = parse_timestamp(text, zone)
    except TimeSyntaxError as exc:
        assert exc.message.strip()
    else:
        assert moment.tzinfo is not None and moment.utcoffset() is not None
