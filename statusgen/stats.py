"""`statusgen stats`: how well a team communicates during incidents, per service and overall.

Pure functions of (site, now). Maintenance is not counted: it is planned, so time to first update
and promises mean something else there. Durations are exact elapsed time (DST-safe).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from statusgen.model import Incident, Reporter, Site
from statusgen.timeparse import format_duration, zone


@dataclass(frozen=True)
class Spread:
    """A distribution of durations: how many, the median and the 90th percentile (nearest rank)."""

    count: int
    median: timedelta | None
    p90: timedelta | None

    @classmethod
    def of(cls, values: list[timedelta]) -> "Spread":
        if not values:
            return cls(0, None, None)
        ordered = sorted(values)
        n = len(ordered)
        mid = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
        return cls(n, mid, ordered[math.ceil(0.9 * n) - 1])


@dataclass(frozen=True)
class Group:
    key: str  # a service id, or '' for all services
    name: str
    incidents: int
    first_update: Spread
    resolve: Spread
    promises: int  # next-update promises whose time has come
    promises_kept: int  # ... that were followed by an update (or resolution) in time
    customer_reported: int
    per_month: tuple[tuple[str, int], ...]  # ('2026-11', n) for every month in the range


@dataclass(frozen=True)
class Stats:
    months: tuple[str, ...]  # from the first incident's month to now's, in the site's zone
    overall: Group
    services: tuple[Group, ...]  # in site.yaml order


def promises(incident: Incident, now: datetime) -> tuple[int, int]:
    """(promises due by now, promises kept): a promise is kept when the next update, or the
    resolution, comes at or before the promised time."""
    made = kept = 0
    for n, u in enumerate(incident.updates):
        if u.next_update is None:
            continue
        due = u.next_update.due
        later = incident.updates[n + 1].at if n + 1 < len(incident.updates) else incident.resolved
        if later is None and due > now:
            continue  # still pending
        made += 1
        kept += later is not None and later <= due
    return made, kept


def _month(moment: datetime, site: Site) -> str:
    return moment.astimezone(zone(site.timezone)).strftime("%Y-%m")


def _months(first: str, last: str) -> tuple[str, ...]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(out)


def _group(key: str, name: str, incidents: list[Incident], months: tuple[str, ...], site: Site, now: datetime) -> Group:
    counts = dict.fromkeys(months, 0)
    made = kept = 0
    for i in incidents:
        counts[_month(i.started, site)] = counts.get(_month(i.started, site), 0) + 1
        m, k = promises(i, now)
        made, kept = made + m, kept + k
    return Group(
        key=key,
        name=name,
        incidents=len(incidents),
        first_update=Spread.of([i.updates[0].at - i.started for i in incidents if i.updates]),
        resolve=Spread.of([i.resolved - i.started for i in incidents if i.resolved and i.resolved <= now]),
        promises=made,
        promises_kept=kept,
        customer_reported=sum(i.reported_by is Reporter.CUSTOMER for i in incidents),
        per_month=tuple(sorted(counts.items())),
    )


def compute(site: Site, now: datetime) -> Stats:
    incidents = sorted((i for i in site.incidents if not i.is_maintenance and i.started <= now),
                       key=lambda i: (i.started, i.id))  # fmt: skip
    months = _months(_month(incidents[0].started, site), _month(now, site)) if incidents else ()
    overall = _group("", "All services", incidents, months, site, now)
    services = tuple(
        _group(s.id, s.name, [i for i in incidents if s.id in i.service_ids], months, site, now) for s in site.services
    )
    return Stats(months, overall, services)


# ---------------------------------------------------------------- output


def _minutes(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 60, 1)


def _share(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def group_json(g: Group) -> dict:
    return {
        "service": g.key or None,
        "name": g.name,
        "incidents": g.incidents,
        "time_to_first_update_minutes": {"count": g.first_update.count, "median": _minutes(g.first_update.median),
                                         "p90": _minutes(g.first_update.p90)},
        "time_to_resolve_minutes": {"count": g.resolve.count, "median": _minutes(g.resolve.median),
                                    "p90": _minutes(g.resolve.p90)},
        "promises": {"due": g.promises, "kept": g.promises_kept, "share_kept": _share(g.promises_kept, g.promises)},
        "customer_reported": {"count": g.customer_reported, "share": _share(g.customer_reported, g.incidents)},
        "incidents_per_month": dict(g.per_month),
    }  # fmt: skip


def to_json(stats: Stats) -> dict:
    return {
        "months": list(stats.months),
        "overall": group_json(stats.overall),
        "services": [group_json(g) for g in stats.services],
    }


def _spread_text(s: Spread) -> str:
    if s.median is None or s.p90 is None:
        return "—"
    return f"{format_duration(s.median)} / {format_duration(s.p90)}"


def _share_text(part: int, whole: int) -> str:
    return "—" if not whole else f"{part}/{whole} ({round(100 * part / whole)}%)"


def to_text(stats: Stats) -> str:
    if not stats.months:
        return "No incidents yet.\n"
    o = stats.overall
    lines = [
        f"{o.incidents} incidents from {stats.months[0]} to {stats.months[-1]} "
        f"({o.incidents / len(stats.months):.1f} per month; maintenance not counted)",
        "",
    ]
    header = ("", "incidents", "first update (median / p90)", "resolved after (median / p90)", "promises kept",
              "customer-reported")  # fmt: skip
    rows = [header]
    for g in (o, *stats.services):
        rows.append((g.name, str(g.incidents), _spread_text(g.first_update), _spread_text(g.resolve),
                     _share_text(g.promises_kept, g.promises), _share_text(g.customer_reported, g.incidents)))  # fmt: skip
    widths = [max(len(r[c]) for r in rows) for c in range(len(header))]
    for r in rows:
        lines.append("  ".join(cell.ljust(w) if c == 0 else cell.rjust(w) for c, (cell, w) in
                               enumerate(zip(r, widths))).rstrip())  # fmt: skip
    lines += ["", "Incidents per month:"]
    peak = max(n for _, n in o.per_month) or 1
    for month, n in o.per_month:
        lines.append(f"  {month}  {n:3d}  {'#' * round(20 * n / peak)}".rstrip())
    lines += ["", "A promise is kept when the next update (or the resolution) comes at or before the promised time."]
    return "\n".join(lines) + "\n"
