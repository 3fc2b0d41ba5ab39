"""When a build stops being true: the next instant at which the same content would build differently.

A static site is rendered at one instant `now`, but what it says moves with the clock. These are the
boundaries that count, each an instant after `now` (pure functions, no clock reads):

- an incident or maintenance starts or ends (derive.active_span, and `started` for the recent list):
  its phase ("Scheduled" → "In progress" → "Completed"), the services' status, the overall indicator,
  which section of the front page lists it, its end time and duration all change; one second after
  it starts, the uptime bars show it (uptime counts only time that has passed);
- an update's time comes: the JSON API publishes an update only once its time has come, and the
  page's and incident's updated_at follow it;
- a service's `since` day begins (midnight, site zone): its uptime starts counting;
- an open incident's next update falls due: "expected by" turns into "was due by" strictly after
  the promised instant, so the boundary is one second later (builds have whole-second instants);
- the next midnight in the site's zone, but only while some uptime bar shows a day that is not plain
  operational (an incident, a maintenance, a day without data): then the 90-day bars move by one day.
  Bars that are all green look the same tomorrow, so a quiet site is not rebuilt every night.

Deliberately not counted:
- the page's "generated at" time: it stays true, and statusgen.js ages it in the reader's browser;
- running totals as of the generated instant: uptime percentages creep while the 90-day window
  holds downtime (99.95 % → 99.96 % over some hours), and today's "N min of downtime" grows while
  an incident is open. Counting them would mean a rebuild every minute; the page states the instant
  they were computed as of, and the boundaries above (an update, a promise falling due, midnight)
  refresh them often enough;
- feeds: they depend on the content alone (statusgen.render.feeds), never on the clock.

A boundary that changes nothing visible only costs one needless rebuild; a missing one would leave
a false page up, so when in doubt an instant is counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from statusgen import derive
from statusgen.derive import Phase
from statusgen.model import ComponentStatus, Incident, Site
from statusgen.timeparse import zone

# The longest uptime window the pages show (the front page's and service pages' 90-day bars).
UPTIME_DAYS = 90

# "Overdue" means strictly after the promised instant, and uptime counts only time that has
# passed; builds resolve whole seconds, so both show one second later.
SECOND = timedelta(seconds=1)


@dataclass(frozen=True, order=True)
class Change:
    at: datetime  # aware, UTC
    reason: str  # short, made of ids only (content titles are untrusted)


def changes(site: Site, now: datetime) -> list[Change]:
    """Every boundary after now that this module counts, earliest first (duplicates removed)."""
    found: set[Change] = set()

    def add(at: datetime | None, reason: str) -> None:
        if at is not None and at > now:
            found.add(Change(at.astimezone(timezone.utc), reason))

    tz = zone(site.timezone)
    for incident in site.incidents:
        if derive.settled(incident, now):
            continue  # (most of the history) nothing about it changes with time
        start, end = derive.active_span(incident)
        kind = incident.kind.value
        add(start, f"{kind} {incident.id} begins")
        # Uptime counts time that has passed, so the bars show it from the first second on.
        add(start + SECOND, f"{kind} {incident.id} shows in the uptime bars")
        add(incident.started, f"{kind} {incident.id} begins")
        add(end, f"{kind} {incident.id} {'ends' if incident.is_maintenance else 'is resolved'}")
        for update in incident.updates:
            if update.at > now:  # (most are past: skip formatting their reason)
                add(update.at, f"{kind} {incident.id}: the update of {_utc(update.at)} is published")
        if derive.phase(incident, now) is Phase.OPEN:
            due = derive.next_update_due(incident, site)
            if due is not None and due >= now:
                add(due + SECOND, f"incident {incident.id}: the next update promised by {_utc(due)} is overdue")
    for service in site.services:
        if service.since is not None:
            add(_midnight(service.since, tz), f"service {service.id} starts counting uptime")
    if _bars_move(site, now):
        today = now.astimezone(tz).date()
        add(_midnight(today + timedelta(days=1), tz), f"a new day begins in {site.timezone}: uptime bars move")
    return sorted(found)


def next_change(site: Site, now: datetime) -> tuple[datetime, str] | None:
    """The first instant after now at which a build would differ, and why; None if nothing will
    change until the content does. Boundaries at the same instant are reported together."""
    upcoming = changes(site, now)
    if not upcoming:
        return None
    first = upcoming[0].at
    return first, "; ".join(c.reason for c in upcoming if c.at == first)


def phase_changes(incident: Incident, now: datetime) -> list[tuple[datetime, Phase]]:
    """The phases an incident or maintenance will pass through after now, with when each begins
    ("Scheduled" → "In progress" at the window's start → "Completed" at its end), for pages whose
    script moves the label on in the reader's browser."""
    steps: list[tuple[datetime, Phase]] = []
    current = derive.phase(incident, now)
    for edge in sorted({t for t in derive.active_span(incident) if t is not None and t > now}):
        ahead = derive.phase(incident, edge)
        if ahead is not current:
            steps.append((edge, ahead))
            current = ahead
    return steps


def _midnight(day, tz) -> datetime:
    # The same day edges as derive.uptime uses, so the two never disagree on a DST change day.
    return datetime.combine(day, time(), tz).astimezone(timezone.utc)


def _bars_move(site: Site, now: datetime) -> bool:
    """Whether some service's uptime bar shows a day that will shift position at midnight: a day
    with an incident or maintenance (time that has passed, with a status other than operational),
    or a day before the service's `since` (no data). The same test as looking through
    derive.uptime(…, UPTIME_DAYS) for such days, without computing every service's bar."""
    tz = zone(site.timezone)
    first = now.astimezone(tz).date() - timedelta(days=UPTIME_DAYS - 1)
    window_start = _midnight(first, tz)
    if any(s.since is not None and s.since > first for s in site.services):
        return True
    for incident in site.incidents:
        if all(status is ComponentStatus.OPERATIONAL for _, status in incident.services):
            continue
        start, end = derive.active_span(incident)
        if min(end or now, now) > max(start, window_start):
            return True
    return False


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
