"""api/next-change.json: when this build stops being true, for schedulers (`statusgen next-change`).

    {"generated_at": "2026-11-22T08:00:00Z", "valid_until": "2026-12-01T01:00:00Z",
     "reason": "maintenance 2026-12-01-db-upgrade begins"}

valid_until is the first instant at which the same content would build differently (see
statusgen.expiry for which boundaries count); null with a null reason when nothing will change
until the content does. Times are UTC with a Z, so a shell script can compare them as strings.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from statusgen.expiry import next_change
from statusgen.model import Site
from statusgen.render import Output

PATH = "api/next-change.json"


def utc(moment: datetime, *, round_up: bool = False) -> str:
    """Whole seconds; a deadline is rounded up so a scheduler never wakes before it."""
    if round_up and moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(site: Site, now: datetime) -> dict[str, str | None]:
    change = next_change(site, now)
    return {
        "generated_at": utc(now),
        "valid_until": utc(change[0], round_up=True) if change else None,
        "reason": change[1] if change else None,
    }


def render(site: Site, now: datetime) -> list[Output]:
    text = json.dumps(record(site, now), indent=2, ensure_ascii=False) + "\n"
    return [(PATH, text.encode("utf-8"))]
