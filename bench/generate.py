"""A deterministic synthetic status repo of N incidents, for benchmarks (not part of the test run).

    python bench/generate.py 10000 /tmp/bench-10k      # writes /tmp/bench-10k/content/

The same N always gives byte-identical files. About 1,000 incidents a year end at NOW (so 10,000
incidents are ten years of history); bodies have 2 to 6 updates of a few sentences with the
Markdown people actually write (lists, code spans, links, next-update promises); 10 services in
3 groups; 3 incidents are still open, one maintenance is in progress and two are upcoming.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
NOW_TEXT = "2026-11-20T12:00:00Z"
TZ = ZoneInfo("Europe/Berlin")
PER_YEAR = 1000

SERVICES = [  # (id, name, group)
    ("api", "Public API", "Platform"),
    ("auth", "Login & SSO", "Platform"),
    ("webhooks", "Webhooks", "Platform"),
    ("search", "Search", "Platform"),
    ("dashboard", "Dashboard", "Applications"),
    ("mobile", "Mobile apps", "Applications"),
    ("exports", "Reports & exports", "Applications"),
    ("notifications", "Email notifications", "Applications"),
    ("payments", "Card payments", "Payments"),
    ("payouts", "Bank payouts", "Payments"),
]

REGIONS = ["eu-west", "eu-central", "us-east", "us-west", "ap-southeast"]
SYMPTOMS = [
    "elevated error rates", "slow responses", "timeouts", "failed logins", "delayed deliveries",
    "missing data in reports", "intermittent 502 responses", "duplicate notifications",
]
CAUSES = [
    "a configuration change to the load balancers in {region}",
    "a database failover that took longer than expected",
    "an expired TLS certificate on an internal endpoint",
    "a spike in traffic from a single integration",
    "a faulty deploy of the `{sid}-worker` service",
    "a full disk on a queue node in {region}",
    "a DNS resolver outage at our cloud provider",
    "a dependency upgrade that changed retry behaviour",
]
FIXES = [
    "We rolled the change back and error rates are dropping.",
    "We moved traffic to a healthy region while we repair the affected nodes.",
    "We renewed the certificate and restarted the affected workers.",
    "We rate-limited the integration and contacted its owner.",
    "We are replaying the delayed jobs from the queue; nothing was lost.",
]

SITE_YAML_HEAD = """\
title: Bench Status
description: Synthetic status site for statusgen benchmarks.
base_url: https://status.bench.example/
timezone: Europe/Berlin
language: en
update_interval: 30m
contact: support@bench.example
services:
"""


def site_yaml() -> str:
    lines = [SITE_YAML_HEAD]
    for sid, name, group in SERVICES:
        lines.append(
            f"  - id: {sid}\n    name: {name}\n    group: {group}\n"
            f"    description: The {name.lower()} of Bench\n    since: 1990-01-01\n"
        )
    return "".join(lines)


def stamp(moment: datetime) -> str:
    """As people write them: local time with its UTC offset."""
    local = moment.astimezone(TZ)
    return local.strftime("%Y-%m-%d %H:%M ") + local.isoformat()[-6:]


def paragraph(rng: random.Random, sid: str, name: str) -> str:
    region = rng.choice(REGIONS)
    parts = [
        f"Customers using {name} in {region} may see {rng.choice(SYMPTOMS)}.",
        f"About {rng.randint(2, 60)}% of requests were affected between the first alert and now.",
        f"The root cause was {rng.choice(CAUSES).format(region=region, sid=sid)}.",
        rng.choice(FIXES),
    ]
    rng.shuffle(parts)
    text = " ".join(parts[: rng.randint(2, 4)])
    roll = rng.random()
    if roll < 0.15:
        text += "\n\n- Requests that failed can be retried safely\n- Webhooks are re-sent automatically\n"
    elif roll < 0.25:
        text += f" See [our guide](https://docs.bench.example/{sid}/retries) for details."
    return text


def incident_text(rng: random.Random, n: int, started: datetime, open_: bool) -> tuple[str, str]:
    """(file stem, text) of an incident."""
    count = rng.choice([1, 1, 1, 2, 2, 3])
    affected = sorted(rng.sample(SERVICES, count))
    sid, name, _ = affected[0]
    impact = rng.choice(["minor", "minor", "major", "major", "critical", "none"])
    symptom = rng.choice(SYMPTOMS)
    title = f"{symptom.capitalize()} on {name}"
    steps = ["Investigating", "Identified", "Update", "Monitoring", "Resolved"]
    n_updates = rng.randint(2, 6)
    if open_:
        stages = steps[: min(n_updates, 3)]
    else:
        stages = steps[: n_updates - 1][: 4] + ["Resolved"]
    at = started + timedelta(minutes=rng.randint(3, 15))
    updates = []
    for stage in stages:
        body = paragraph(rng, sid, name)
        if stage != "Resolved":
            body += f"\n\nNext update in {rng.choice([15, 20, 30, 60])} minutes."
        updates.append((at, stage, body))
        at += timedelta(minutes=rng.randint(10, 90))
    resolved = updates[-1][0] if not open_ else None
    front = [f"title: {title}", f"impact: {impact}", "services: [" + ", ".join(s[0] for s in affected) + "]",
             f"started: {stamp(started)}"]
    if resolved:
        front.append(f"resolved: {stamp(resolved)}")
    if rng.random() < 0.3:
        front.append("reported_by: " + rng.choice(["customer", "monitoring", "staff"]))
    body = []
    if rng.random() < 0.3:
        body.append(f"{name} was affected; other services worked normally.\n")
    for at_, stage, text in reversed(updates):  # newest first, as most teams write them
        body.append(f"## {stamp(at_)} — {stage}\n{text}\n")
    if resolved and rng.random() < 0.05:
        body.append("## Postmortem\n" + " ".join(paragraph(rng, sid, name) for _ in range(3)) + "\n")
    local = started.astimezone(TZ)
    stem = f"{local:%Y-%m-%d}-{symptom.replace(' ', '-').replace('/', '')}-{sid}-{n}"
    return stem, "---\n" + "\n".join(front) + "\n---\n" + "\n".join(body)


def maintenance_text(rng: random.Random, n: int, start: datetime, phase: str) -> tuple[str, str]:
    sid, name, _ = rng.choice(SERVICES)
    end = start + timedelta(hours=rng.choice([1, 2, 4]))
    front = ["type: maintenance", f"title: Scheduled maintenance of {name}", f"services: [{sid}]",
             f"scheduled: {{start: {stamp(start)}, end: {stamp(end)}}}"]
    body = [f"## {stamp(start - timedelta(days=7))} — Scheduled\nWe will upgrade the {name.lower()} "
            f"database cluster. {name} may be read-only for up to {int((end - start).seconds / 60)} minutes.\n"]
    if phase in ("in_progress", "completed"):
        body.insert(0, f"## {stamp(start)} — In progress\nThe maintenance has started.\n")
    if phase == "completed":
        body.insert(0, f"## {stamp(end - timedelta(minutes=10))} — Completed\nThe maintenance is complete.\n")
    local = start.astimezone(TZ)
    return f"{local:%Y-%m-%d}-maintenance-{sid}-{n}", "---\n" + "\n".join(front) + "\n---\n" + "\n".join(body)


def generate(n: int) -> dict[str, str]:
    """Every file of the repo: relative path → text."""
    rng = random.Random(f"statusgen-bench-{n}")
    files = {"site.yaml": site_yaml(),
             "pages/about.md": "---\ntitle: About\n---\nA synthetic status site for benchmarks.\n"}
    step = timedelta(days=365) / PER_YEAR
    upcoming = [NOW + timedelta(days=3, hours=1), NOW + timedelta(days=10, hours=1)]
    for k in range(n):
        if k < 3:  # the newest three are open
            started = NOW - timedelta(hours=k + 1, minutes=rng.randint(0, 40))
        else:
            started = NOW - step * k - timedelta(minutes=rng.randint(0, 300))
        if k == 5:
            stem, text = maintenance_text(rng, k, NOW - timedelta(minutes=30), "in_progress")
        elif k in (6, 7):
            stem, text = maintenance_text(rng, k, upcoming[k - 6], "upcoming")
        elif k > 7 and rng.random() < 0.03:
            stem, text = maintenance_text(rng, k, started, "completed")
        else:
            stem, text = incident_text(rng, k, started, open_=k < 3)
        files[f"incidents/{stem[:4]}/{stem}.md"] = text
    return files


def write(n: int, root: Path) -> Path:
    """Write the repo to root/content (replacing any earlier one) and return that folder."""
    content = root / "content"
    if content.exists():
        import shutil

        shutil.rmtree(content)
    for rel, text in generate(n).items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="number of incidents")
    parser.add_argument("root", type=Path, help="folder to write content/ into")
    args = parser.parse_args()
    print(write(args.n, args.root))


if __name__ == "__main__":
    main()
