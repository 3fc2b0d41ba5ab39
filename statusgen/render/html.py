"""HTML pages: view models built from the model at `now`, rendered with the theme's Jinja2 templates.

Templates never see raw config: they get small view objects with display-ready values and
root-relative paths, and turn paths into relative links with url(), so the site works on any
host and under any sub-path. Static files are fingerprinted so a CDN may cache them forever.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import jinja2

from statusgen import derive, urls
from statusgen.derive import Phase, Uptime
from statusgen.markdown import render_markdown
from statusgen.model import ComponentStatus, Incident, Site, Stage
from statusgen.render import Output
from statusgen.theme import Theme
from statusgen.timeparse import format_duration, zone

RECENT_ON_FRONT_PAGE = 10
INCIDENTS_ON_SERVICE_PAGE = 50

STATUS_LABEL = {
    ComponentStatus.OPERATIONAL: "Operational",
    ComponentStatus.UNDER_MAINTENANCE: "Under maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE: "Degraded performance",
    ComponentStatus.PARTIAL_OUTAGE: "Partial outage",
    ComponentStatus.MAJOR_OUTAGE: "Major outage",
}
PHASE_LABEL = {
    Phase.OPEN: "Ongoing",
    Phase.RESOLVED: "Resolved",
    Phase.UPCOMING: "Scheduled",
    Phase.IN_PROGRESS: "In progress",
    Phase.COMPLETED: "Completed",
}
REPORTER_LABEL = {
    "customer": "Reported by a customer",
    "monitoring": "Detected by our monitoring",
    "staff": "Noticed by our staff",
}


# ---------------------------------------------------------------- view models


@dataclass(frozen=True)
class TimeView:
    iso: str  # machine-readable, for <time datetime> and scripts
    text: str  # in the site's zone, with the zone shown


@dataclass(frozen=True)
class ServiceStatusView:
    id: str
    name: str
    path: str
    status: str  # ComponentStatus value, used for icon and CSS class
    label: str


@dataclass(frozen=True)
class UpdateView:
    anchor: str
    stage: str
    stage_label: str
    time: TimeView
    html: str
    next_update: TimeView | None


@dataclass(frozen=True)
class IncidentView:
    id: str
    path: str
    title: str
    is_maintenance: bool
    impact: str
    phase: str
    phase_label: str
    services: tuple[ServiceStatusView, ...]
    unaffected: tuple[ServiceStatusView, ...]
    started: TimeView
    ended: TimeView | None
    duration: str | None
    window: tuple[TimeView, TimeView] | None
    reported_by: str | None
    summary_html: str
    updates: tuple[UpdateView, ...]  # newest first, as readers expect
    next_update: TimeView | None
    next_update_overdue: bool
    postmortem_url: str | None
    postmortem_html: str | None
    sections: tuple[tuple[str, str], ...]  # (title, html) of other free sections

    @property
    def latest(self) -> UpdateView | None:
        return self.updates[0] if self.updates else None


@dataclass(frozen=True)
class DayView:
    index: int
    label: str  # "2026-11-20: Partial outage, 42 min" for the tooltip
    status: str
    counted: bool


@dataclass(frozen=True)
class UptimeView:
    percent: str
    days: tuple[DayView, ...]  # only days that are not plain operational
    span: int
    summary: str


@dataclass(frozen=True)
class ServiceView:
    id: str
    name: str
    path: str
    description: str
    status: str
    label: str
    uptime30: str
    uptime90: UptimeView


class Views:
    """Builds view models for one site at one instant."""

    def __init__(self, site: Site, now: datetime):
        self.site, self.now = site, now
        self.tz = zone(site.timezone)
        self.statuses = derive.service_statuses(site, now)
        self.names = {s.id: s.name for s in site.services}

    def time(self, moment: datetime) -> TimeView:
        local = moment.astimezone(self.tz)
        return TimeView(local.isoformat(), local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or ""))

    def service_status(self, sid: str, status: ComponentStatus) -> ServiceStatusView:
        return ServiceStatusView(sid, self.names[sid], urls.service(sid), status.value, STATUS_LABEL[status])

    def incident(self, incident: Incident) -> IncidentView:
        ph = derive.phase(incident, self.now)
        start, end = derive.active_span(incident)
        ended = end if end is not None and end <= self.now else None
        post = incident.postmortem_section
        due = derive.next_update_due(incident, self.site) if ph is Phase.OPEN else None
        return IncidentView(
            id=incident.id,
            path=urls.incident(incident.id),
            title=incident.title,
            is_maintenance=incident.is_maintenance,
            impact=incident.impact.value,
            phase=ph.value,
            phase_label=PHASE_LABEL[ph],
            services=tuple(self.service_status(sid, st) for sid, st in incident.services),
            unaffected=tuple(self.service_status(sid, self.statuses[sid]) for sid in incident.unaffected),
            started=self.time(incident.started if not incident.is_maintenance else start),
            ended=self.time(ended) if ended else None,
            duration=format_duration(ended - start) if ended and not incident.window else None,
            window=(self.time(incident.window.start), self.time(incident.window.end)) if incident.window else None,
            reported_by=REPORTER_LABEL[incident.reported_by.value] if incident.reported_by else None,
            summary_html=render_markdown(incident.summary),
            updates=tuple(
                UpdateView(
                    u.anchor, u.stage.value, u.stage.label, self.time(u.at), render_markdown(u.body),
                    self.time(u.next_update.due) if u.next_update else None,
                )  # fmt: skip
                for u in reversed(incident.updates)
            ),
            next_update=self.time(due) if due else None,
            next_update_overdue=bool(due and due < self.now),
            postmortem_url=incident.postmortem_url,
            postmortem_html=render_markdown(post.body) if post else None,
            sections=tuple((s.title, render_markdown(s.body)) for s in incident.sections if s is not post),
        )

    def uptime(self, up: Uptime) -> UptimeView:
        days = []
        for n, d in enumerate(up.days):
            if not d.counted and d.day < self.now.astimezone(self.tz).date():
                days.append(DayView(n, f"{d.day}: no data", "nodata", False))
            elif d.worst is not ComponentStatus.OPERATIONAL:
                down = f", {format_duration(d.downtime)} counted as downtime" if d.downtime >= timedelta(minutes=1) else ""
                days.append(DayView(n, f"{d.day}: {STATUS_LABEL[d.worst]}{down}", d.worst.value, True))
        incidents_days = sum(1 for d in up.days if d.worst is not ComponentStatus.OPERATIONAL)
        summary = f"{up.percent} uptime over the last {len(up.days)} days; {incidents_days} day(s) with incidents"
        return UptimeView(up.percent, tuple(days), len(up.days), summary)

    def service(self, sid: str) -> ServiceView:
        svc = self.site.service(sid)
        status = self.statuses[sid]
        return ServiceView(
            sid, svc.name, urls.service(sid), svc.description, status.value, STATUS_LABEL[status],
            derive.uptime(self.site, svc, self.now, 30).percent,
            self.uptime(derive.uptime(self.site, svc, self.now, 90)),
        )  # fmt: skip


# ---------------------------------------------------------------- rendering


def _environment(theme: Theme) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in theme.template_dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def fingerprinted_assets(theme: Theme) -> tuple[dict[str, str], list[Output]]:
    """Static files as assets/<stem>.<hash>.<ext>; later theme folders override earlier ones."""
    files: dict[str, Path] = {}
    for folder in theme.static_dirs:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files[path.relative_to(folder).as_posix()] = path
    names: dict[str, str] = {}
    outputs: list[Output] = []
    for rel, path in sorted(files.items()):
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:10]
        stem, dot, ext = rel.rpartition(".")
        name = f"assets/{stem}.{digest}.{ext}" if dot else f"assets/{rel}.{digest}"
        names[rel] = name
        outputs.append((name, data))
    return names, outputs


class Pages:
    def __init__(self, site: Site, now: datetime, theme: Theme):
        self.site, self.now = site, now
        self.env = _environment(theme)
        self.assets, self.asset_outputs = fingerprinted_assets(theme)
        self.views = Views(site, now)
        self.indicator = derive.indicator(site, now)

    def page(self, template: str, path: str, title: str, **context) -> Output:
        here = path

        def url(target: str) -> str:
            return urls.relative(here, target)

        def asset(name: str) -> str:
            return url(self.assets[name])

        html = self.env.get_template(template).render(
            site=self.site_view(), page_title=title, url=url, asset=asset, canonical=urls.absolute(self.site, path),
            generated=self.views.time(self.now), **context,
        )  # fmt: skip
        return urls.file_for(path), html.encode("utf-8")

    def site_view(self) -> dict:
        s = self.site
        return {
            "title": s.title,
            "description": s.description,
            "language": s.language,
            "timezone": s.timezone,
            "contact": s.contact,
            "contact_href": ("mailto:" + s.contact) if s.contact and "@" in s.contact and ":" not in s.contact
            else s.contact if s.contact and s.contact.startswith(("https://", "http://")) else None,
            "pages": [{"title": p.title, "path": urls.page(p.slug)} for p in s.pages],
            "indicator": self.indicator.value,
            "indicator_text": derive.INDICATOR_DESCRIPTION[self.indicator],
            "uptime_rule": [(STATUS_LABEL[st], w) for st, w in s.uptime_rule.weights],
        }

    def all(self) -> list[Output]:
        site, views = self.site, self.views
        outputs = list(self.asset_outputs)
        services = [views.service(s.id) for s in site.services]
        groups = [(g, [v for v in services if v.id in {s.id for s in members}]) for g, members in site.groups]
        open_ = [views.incident(i) for i in derive.open_incidents(site, self.now)]
        active_maint = [views.incident(i) for i in derive.maintenance_in(site, self.now, Phase.IN_PROGRESS)]
        upcoming = [views.incident(i) for i in derive.maintenance_in(site, self.now, Phase.UPCOMING)]
        shown = {v.id for v in open_ + active_maint + upcoming}
        recent = [views.incident(i) for i in site.incidents if i.id not in shown and i.started <= self.now]
        outputs.append(self.page(
            "index.html", "", site.title, groups=groups, open_incidents=open_, active_maintenance=active_maint,
            upcoming=upcoming, recent=recent[:RECENT_ON_FRONT_PAGE],
        ))  # fmt: skip
        for incident in site.incidents:
            view = views.incident(incident)
            outputs.append(self.page("incident.html", view.path, incident.title, incident=view))
        for svc in services:
            its = [views.incident(i) for i in derive.incidents_of(site, svc.id)[:INCIDENTS_ON_SERVICE_PAGE]]
            outputs.append(self.page("service.html", svc.path, svc.name, service=svc, incidents=its,
                                     feed=f"services/{svc.id}/feed.xml", atom=f"services/{svc.id}/feed.atom"))  # fmt: skip
        outputs.extend(self.history())
        for p in site.pages:
            outputs.append(self.page("page.html", urls.page(p.slug), p.title, body=render_markdown(p.body)))
        outputs.append(self.not_found())
        return outputs

    def history(self) -> list[Output]:
        months = derive.by_month(self.site)
        index = [
            {"year": y, "month": m, "label": datetime(y, m, 1).strftime("%B %Y"), "path": urls.history(y, m),
             "count": len(items)}
            for (y, m), items in months
        ]  # fmt: skip
        years = sorted({y for (y, _), _ in months}, reverse=True)
        outputs = [self.page("history.html", urls.history(), "History", months=index, years=years)]
        for n, ((y, m), items) in enumerate(months):
            newer = index[n - 1] if n > 0 else None
            older = index[n + 1] if n + 1 < len(index) else None
            label = index[n]["label"]
            outputs.append(self.page(
                "month.html", urls.history(y, m), f"History: {label}", label=label, year=y,
                incidents=[self.views.incident(i) for i in items], newer=newer, older=older,
                months=[e for e in index if e["year"] == y], years=years,
                year_paths={yy: next(e["path"] for e in index if e["year"] == yy) for yy in years},
            ))  # fmt: skip
        return outputs

    def not_found(self) -> Output:
        """404.html is served at any depth, so its links are absolute paths under base_url's path."""
        from urllib.parse import urlsplit

        root = urlsplit(self.site.base_url).path

        def url(target: str) -> str:
            return root + target

        html = self.env.get_template("404.html").render(
            site=self.site_view(), page_title="Page not found", url=url, asset=lambda n: url(self.assets[n]),
            canonical=None, generated=self.views.time(self.now),
        )  # fmt: skip
        return "404.html", html.encode("utf-8")


def render(site: Site, now: datetime, theme: Theme) -> list[Output]:
    return Pages(site, now, theme).all()
