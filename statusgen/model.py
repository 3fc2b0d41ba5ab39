"""The content model: frozen, validated, time-zone aware. Built only by statusgen.validate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from functools import cached_property


class Impact(Enum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @cached_property  # pages compare ranks thousands of times
    def rank(self) -> int:
        return list(Impact).index(self)


class ComponentStatus(Enum):
    """The component vocabulary status-page clients already understand, mildest first."""

    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"

    @cached_property
    def rank(self) -> int:
        return list(ComponentStatus).index(self)


# A service listed without its own status takes one from the incident's impact.
STATUS_FOR_IMPACT = {
    Impact.NONE: ComponentStatus.OPERATIONAL,
    Impact.MINOR: ComponentStatus.DEGRADED_PERFORMANCE,
    Impact.MAJOR: ComponentStatus.PARTIAL_OUTAGE,
    Impact.CRITICAL: ComponentStatus.MAJOR_OUTAGE,
}


class Kind(Enum):
    INCIDENT = "incident"
    MAINTENANCE = "maintenance"


class Stage(Enum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    UPDATE = "update"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


INCIDENT_STAGES = frozenset(
    {Stage.INVESTIGATING, Stage.IDENTIFIED, Stage.MONITORING, Stage.UPDATE, Stage.RESOLVED, Stage.POSTMORTEM}
)
MAINTENANCE_STAGES = frozenset(
    {Stage.SCHEDULED, Stage.IN_PROGRESS, Stage.VERIFYING, Stage.COMPLETED, Stage.UPDATE}
)


class Reporter(Enum):
    CUSTOMER = "customer"
    MONITORING = "monitoring"
    STAFF = "staff"


@dataclass(frozen=True)
class Source:
    """Where a thing was written: a path relative to the content dir, and a 1-based line."""

    path: str
    line: int


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    group: str | None
    description: str
    since: date | None
    source: Source


@dataclass(frozen=True)
class NextUpdate:
    """A machine-readable promise of the next update, made in an update's text."""

    due: datetime
    line: int


@dataclass(frozen=True)
class Update:
    at: datetime
    stage: Stage
    body: str  # Markdown, untrusted
    next_update: NextUpdate | None
    line: int  # line of the heading in the file

    @cached_property  # each output links to it
    def anchor(self) -> str:
        """A stable fragment id for the update (its UTC time)."""
        return "update-" + self.at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class Section:
    """A free level-2 section such as '## Postmortem'."""

    title: str
    body: str
    line: int


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Incident:
    """An incident or a maintenance (kind tells which); both live on the same timeline."""

    id: str
    kind: Kind
    title: str
    impact: Impact
    services: tuple[tuple[str, ComponentStatus], ...]  # sorted by service id
    started: datetime
    resolved: datetime | None  # for maintenance: when it was completed, if it was
    unaffected: tuple[str, ...]
    postmortem_url: str | None
    reported_by: Reporter | None
    summary: str  # Markdown before the first level-2 heading
    updates: tuple[Update, ...]  # oldest first
    sections: tuple[Section, ...]
    window: Window | None  # maintenance only
    source: Source

    # Cached (read ~50 times per incident by a build); a frozen dataclass keeps a __dict__ for it.
    @cached_property
    def service_ids(self) -> tuple[str, ...]:
        return tuple(sid for sid, _ in self.services)

    @property
    def postmortem_section(self) -> Section | None:
        return next((s for s in self.sections if s.title.strip().lower() == "postmortem"), None)

    @cached_property
    def is_maintenance(self) -> bool:
        return self.kind is Kind.MAINTENANCE

    @property
    def last_update(self) -> Update | None:
        return self.updates[-1] if self.updates else None

    @cached_property  # every output asks, for every incident, several times
    def active_span(self) -> tuple[datetime, datetime | None]:
        """When it affected its services: [start, end), end None while it lasts (see derive.active_span)."""
        if self.kind is not Kind.MAINTENANCE or self.window is None:
            return self.started, self.resolved
        start = self.window.start
        for u in self.updates:
            if u.stage in (Stage.IN_PROGRESS, Stage.VERIFYING) and u.at < start:
                start = u.at
        return start, self.resolved or self.window.end


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    body: str
    order: int
    source: Source


@dataclass(frozen=True)
class UptimeRule:
    """How much of an interval in each status counts as downtime (0..1)."""

    weights: tuple[tuple[ComponentStatus, float], ...]

    def weight(self, status: ComponentStatus) -> float:
        return dict(self.weights).get(status, 0.0)


DEFAULT_UPTIME_RULE = UptimeRule(
    weights=(
        (ComponentStatus.MAJOR_OUTAGE, 1.0),
        (ComponentStatus.PARTIAL_OUTAGE, 0.3),
        (ComponentStatus.DEGRADED_PERFORMANCE, 0.0),
        (ComponentStatus.UNDER_MAINTENANCE, 0.0),
    )
)


@dataclass(frozen=True)
class Site:
    title: str
    base_url: str  # absolute, ends with '/'
    timezone: str  # IANA name
    language: str
    update_interval: timedelta
    contact: str | None
    description: str
    theme: str
    services: tuple[Service, ...]  # in site.yaml order
    uptime_rule: UptimeRule
    incidents: tuple[Incident, ...] = ()  # newest first (by started, then id)
    pages: tuple[Page, ...] = ()
    options: tuple[tuple[str, object], ...] = field(default=())  # extension settings by key

    def service(self, service_id: str) -> Service:
        return next(s for s in self.services if s.id == service_id)

    @cached_property  # validation asks for every service an incident names
    def service_id_set(self) -> frozenset[str]:
        return frozenset(s.id for s in self.services)

    @property
    def groups(self) -> tuple[tuple[str | None, tuple[Service, ...]], ...]:
        """Services by group, groups in order of first appearance."""
        order: dict[str | None, list[Service]] = {}
        for s in self.services:
            order.setdefault(s.group, []).append(s)
        return tuple((g, tuple(ss)) for g, ss in order.items())

