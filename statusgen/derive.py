"""Stage 3, derive: what the model means at an instant `now` — pure functions, no clock reads.

Status is computed, never typed by hand: a service's status is the worst among the incidents
open at `now` and the maintenance whose window contains `now`.
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from itertools import groupby

from statusgen.model import ComponentStatus, Impact, Incident, Service, Site, Update
from statusgen.timeparse import zone


class Phase(Enum):
    """Where an incident or maintenance stands at `now`."""

    OPEN = "open"  # incident not yet resolved
    RESOLVED = "resolved"
    UPCOMING = "upcoming"  # maintenance before its window
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class Indicator(Enum):
    """The overall indicator, in the vocabulary of status-page clients."""

    NONE = "none"
    MAINTENANCE = "maintenance"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


INDICATOR_DESCRIPTION = {
    Indicator.NONE: "All Systems Operational",
    Indicator.MAINTENANCE: "Service Under Maintenance",
    Indicator.MINOR: "Minor Service Outage",
    Indicator.MAJOR: "Partial System Outage",
    Indicator.CRITICAL: "Major System Outage",
}


def active_span(incident: Incident) -> tuple[datetime, datetime | None]:
    """When an incident affected its services: [start, end), end None while it lasts.

    Maintenance runs from its window's start (or an earlier 'In progress' update) until it is
    completed, or else until the window's end.
    """
    return incident.active_span  # worked out in the model, once per incident


def phase(incident: Incident, now: datetime) -> Phase:
    start, end = active_span(incident)
    if incident.is_maintenance:
        if end is not None and end <= now:
            return Phase.COMPLETED
        return Phase.IN_PROGRESS if start <= now else Phase.UPCOMING
    return Phase.RESOLVED if end is not None and end <= now else Phase.OPEN


def settled(incident: Incident, now: datetime) -> bool:
    """Closed and wholly in the past at now: nothing about it changes with time alone (its phase,
    its published updates, its end and duration are final), so neither does a page that only
    shows settled incidents. Most of a long history is settled."""
    start, end = active_span(incident)
    if end is None or end > now or start > now or incident.started > now:
        return False
    return not incident.updates or incident.updates[-1].at <= now  # updates are in time order


def published_updates(incident: Incident, now: datetime) -> tuple[Update, ...]:
    """The updates readers can see at now, oldest first: one dated later is not posted yet
    (e.g. a maintenance's 'Completed' written ahead), so no output may show it before its time."""
    updates = incident.updates
    if not updates or updates[-1].at <= now:  # nearly always: none is dated ahead (they are in time order)
        return updates
    return tuple(u for u in updates if u.at <= now)


def is_active(incident: Incident, now: datetime) -> bool:
    """Affecting its services at now (an incident dated in the future is not yet)."""
    start, end = active_span(incident)
    return start <= now and (end is None or now < end)


def unfinished(site: Site, t: datetime) -> list[Incident]:
    """The incidents and maintenance whose active span has not ended by t (no end, or an end after
    t), newest first as site.incidents. Whatever is open, active or upcoming at t is among them,
    and they are a handful of a long history: read from an index made once per site."""
    ends, positions, endless = _end_index(site)
    found = positions[bisect_right(ends, t) :]
    found = sorted(found + endless) if endless else sorted(found)
    incidents = site.incidents
    return [incidents[n] for n in found]


# id(site) → (a weak reference to the site, ends ascending, their positions, positions without end).
# Weak: the index must not keep a site alive (serve builds again and again; and a process that ends
# with a whole model alive spends up to a second collecting it).
_END_INDEXES: dict[int, tuple] = {}


def _end_index(site: Site) -> tuple[list[datetime], list[int], list[int]]:
    entry = _END_INDEXES.get(id(site))
    if entry is None or entry[0]() is not site:
        if len(_END_INDEXES) >= 4:  # a build's site and its recent part (index.recent); serve's next build's
            _END_INDEXES.clear()
        ended = sorted((end, n) for n, i in enumerate(site.incidents) if (end := i.active_span[1]) is not None)
        endless = [n for n, i in enumerate(site.incidents) if i.active_span[1] is None]
        entry = _END_INDEXES[id(site)] = (weakref.ref(site), [e for e, _n in ended], [n for _e, n in ended], endless)
    return entry[1], entry[2], entry[3]


def active_incidents(site: Site, now: datetime) -> list[Incident]:
    return [i for i in unfinished(site, now) if not i.is_maintenance and is_active(i, now)]


def open_incidents(site: Site, now: datetime) -> list[Incident]:
    """Incidents begun and not resolved at now, newest first (as site.incidents is).

    An incident dated after now is not open yet: a static build must not announce it early."""
    return [i for i in unfinished(site, now)
            if not i.is_maintenance and i.started <= now and phase(i, now) is Phase.OPEN]  # fmt: skip


def maintenance_in(site: Site, now: datetime, wanted: Phase) -> list[Incident]:
    # Maintenance in progress or upcoming has not ended by now: only the completed needs the whole history.
    candidates = site.incidents if wanted is Phase.COMPLETED else unfinished(site, now)
    found = [i for i in candidates if i.is_maintenance and phase(i, now) is wanted]
    return sorted(found, key=lambda i: (active_span(i)[0], i.id))


def service_statuses(site: Site, now: datetime) -> dict[str, ComponentStatus]:
    statuses = {s.id: ComponentStatus.OPERATIONAL for s in site.services}
    for incident in unfinished(site, now):
        if is_active(incident, now):
            for sid, status in incident.services:
                if status.rank > statuses[sid].rank:
                    statuses[sid] = status
    return statuses


def indicator(site: Site, now: datetime) -> Indicator:
    impacts = [i.impact for i in active_incidents(site, now)]
    worst = max(impacts, key=lambda i: i.rank, default=Impact.NONE)
    if worst is not Impact.NONE:
        return Indicator(worst.value)
    if maintenance_in(site, now, Phase.IN_PROGRESS):
        return Indicator.MAINTENANCE
    return Indicator.NONE


def incidents_of(site: Site, service_id: str) -> list[Incident]:
    return [i for i in site.incidents if service_id in i.service_ids]


def next_update_due(incident: Incident, site: Site) -> datetime | None:
    """When an open incident's next update is due: the last promise, else the site's interval."""
    last = incident.last_update
    if last is None:
        return incident.started + site.update_interval
    if last.next_update:
        return last.next_update.due
    return last.at + site.update_interval


# ---------------------------------------------------------------- uptime


@dataclass(frozen=True)
class Day:
    day: date
    counted: bool  # False before the service's `since` or with no time elapsed
    downtime: timedelta  # weighted by the uptime rule
    worst: ComponentStatus  # the worst status seen that day
    incident_ids: tuple[str, ...]


@dataclass(frozen=True)
class Uptime:
    days: tuple[Day, ...]  # oldest first, the last is today in the site's zone
    ratio: float | None  # None when no time was counted

    @property
    def percent(self) -> str:
        return "—" if self.ratio is None else f"{self.ratio * 100:.2f}%"


def _day_bounds(day: date, tz) -> tuple[datetime, datetime]:
    """A calendar day in the site's zone, in UTC (so it is 23 or 25 hours long on DST change days:
    arithmetic on two datetimes sharing a ZoneInfo would use wall-clock time)."""
    start = datetime.combine(day, time(), tz).astimezone(timezone.utc)
    return start, datetime.combine(day + timedelta(days=1), time(), tz).astimezone(timezone.utc)


def uptime(site: Site, service: Service, now: datetime, days: int) -> Uptime:
    """Uptime over the last `days` calendar days in the site's zone, today included.

    Each moment counts as downtime by the worst status any incident gave the service then, times
    the rule's weight for that status; overlapping incidents are never counted twice.
    """
    tz = zone(site.timezone)
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    window_start = _day_bounds(first, tz)[0]
    spans = []  # (start, end, status, id) clipped to [window_start, now]
    for incident in unfinished(site, window_start):
        start, end = active_span(incident)
        end = min(end or now, now)
        if end <= window_start or start >= now:
            continue
        for sid, status in incident.services:
            if sid == service.id:
                spans.append((max(start, window_start), end, status, incident.id))
    counted_from = window_start
    if service.since:
        counted_from = max(counted_from, _day_bounds(service.since, tz)[0])
    weight = site.uptime_rule.weight
    segments = _worst_segments(spans)
    result: list[Day] = []
    total = down = timedelta()
    for n in range(days):
        day = first + timedelta(days=n)
        lo, hi = _day_bounds(day, tz)
        lo_counted, hi_counted = max(lo, counted_from), min(hi, now)
        counted = hi_counted > lo_counted
        day_down = timedelta()
        worst = ComponentStatus.OPERATIONAL
        for s_start, s_end, status in segments:
            overlap = min(s_end, hi) - max(s_start, lo)
            if overlap > timedelta():
                worst = status if status.rank > worst.rank else worst
                c_overlap = min(s_end, hi_counted) - max(s_start, lo_counted)
                if c_overlap > timedelta():
                    day_down += c_overlap * weight(status)
        ids = tuple(sorted({i for s, e, _, i in spans if s < hi and e > lo}))
        if counted:
            total += hi_counted - lo_counted
            down += day_down
        result.append(Day(day, counted, day_down, worst, ids))
    ratio = None if total <= timedelta() else 1 - down / total
    return Uptime(tuple(result), ratio)


def _worst_segments(spans) -> list[tuple[datetime, datetime, ComponentStatus]]:
    """Cut overlapping spans into disjoint segments, each with the worst status covering it."""
    edges = sorted({t for s, e, _, _ in spans for t in (s, e)})
    segments = []
    for lo, hi in zip(edges, edges[1:]):
        covering = [st for s, e, st, _ in spans if s <= lo and e >= hi]
        if covering:
            segments.append((lo, hi, max(covering, key=lambda st: st.rank)))
    return segments


# ---------------------------------------------------------------- archive


def by_month(site: Site) -> list[tuple[tuple[int, int], list[Incident]]]:
    """Every incident and maintenance grouped by the month it started (site zone), newest first."""
    tz = zone(site.timezone)

    def month(i: Incident) -> tuple[int, int]:
        local = i.started.astimezone(tz)
        return local.year, local.month

    return [(key, list(group)) for key, group in groupby(site.incidents, key=month)]
