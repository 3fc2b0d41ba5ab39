"""Indexes of a site, made once per build, so that a page reads what it shows, not the whole history.

Pure functions of the model (and `now`); each result equals what the scan it replaces would find.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from statusgen.derive import active_span
from statusgen.model import Incident, Site

# Longer than any uptime window a page shows (90 days), with a margin for time zones and DST.
RECENT_DAYS = 92


def by_service(site: Site) -> dict[str, tuple[Incident, ...]]:
    """Each service's incidents and maintenance, newest first (as derive.incidents_of gives them)."""
    found: dict[str, list[Incident]] = {s.id: [] for s in site.services}
    for incident in site.incidents:
        for sid in incident.service_ids:
            found[sid].append(incident)
    return {sid: tuple(items) for sid, items in found.items()}


def recent(site: Site, now: datetime, days: int = RECENT_DAYS) -> Site:
    """The site with only what affected a service in the last `days` days, or later: enough for
    derive.uptime over any window up to days - 2 days, whose results it leaves unchanged."""
    since = now - timedelta(days=days)
    kept = tuple(i for i in site.incidents if (end := active_span(i)[1]) is None or end > since)
    return replace(site, incidents=kept)
