"""The Statuspage-compatible public API v2, as static JSON files under api/v2/.

Field names, nesting, value sets and field order follow the hosted service's public API, so clients
written for it work unchanged. The schema is written down in schemas/statuspage-v2/.

What the API shows is the page as of `now`: updates dated after `now` are not published yet and
are left out; statuses come from statusgen.derive. Our extra 'update' stage has no Statuspage
equivalent and takes the status of the stage before it. Timestamps are ISO 8601 in the site's zone
with milliseconds and offset, as the hosted service writes them. Ids are 12 lowercase base-36
characters hashed from our own ids (service id, group name, incident id, update time; the page's from
base_url), so they never change between builds; moving the site changes only the page id.
"""

from __future__ import annotations

import hashlib
import json
import struct
from datetime import datetime, time, timezone
from typing import Any

from statusgen import urls
from statusgen.derive import (
    INDICATOR_DESCRIPTION,
    Phase,
    active_span,
    indicator,
    maintenance_in,
    open_incidents,
    phase,
    published_updates,
    service_statuses,
)
from statusgen.model import ComponentStatus, Incident, Service, Site, Stage, Update
from statusgen.render import Output
from statusgen.timeparse import zone

PREFIX = "api/v2/"
HOSTED_CAP = 50  # the hosted incidents.json and scheduled-maintenances.json list the 50 newest
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # 'created' of a site with no dated content at all

CLOSING = {"resolved", "postmortem", "completed"}
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


# stable_id runs once per update (tens of thousands per build): a precomputed two-digit table and one
# unpack replace the twelve divmods and the generic int.from_bytes.
_PAIRS = [a + b for a in _BASE36 for b in _BASE36]  # "00", "01", … "zz": base 36 two digits at a time
_FIRST_8_BYTES = struct.Struct(">Q").unpack_from
_ID_SPAN = 36**12  # twelve digits keep the hash's low part, as the digit-by-digit loop did


def stable_id(*parts: str) -> str:
    """12 lowercase base-36 characters, like the hosted service's ids, hashed from our ids."""
    n = _FIRST_8_BYTES(hashlib.sha256("\x1f".join(parts).encode()).digest())[0] % _ID_SPAN
    high, low = divmod(n, 1296**3)
    a, rest = divmod(high, 1296**2)
    b, c = divmod(rest, 1296)
    d, rest = divmod(low, 1296**2)
    e, f = divmod(rest, 1296)
    return _PAIRS[a] + _PAIRS[b] + _PAIRS[c] + _PAIRS[d] + _PAIRS[e] + _PAIRS[f]


def page_id(site: Site) -> str:
    return stable_id("page", site.base_url)


def component_id(site: Site, service_id: str) -> str:
    return stable_id("component", service_id)


def group_id(site: Site, group: str) -> str:
    return stable_id("group", group)


def incident_id(site: Site, incident: Incident) -> str:
    return stable_id("incident", incident.id)


def update_id(site: Site, incident: Incident, update: Update) -> str:
    return stable_id("update", incident.id, _anchor(update))


def _anchor(update: Update) -> str:
    """update.anchor without strftime (5x its cost); other years or zones take the model's own way."""
    at = update.at
    if at.tzinfo is timezone.utc and 1000 <= at.year:  # strftime's %Y pads no year below 1000
        return "update-%04d%02d%02dT%02d%02d%02dZ" % (at.year, at.month, at.day, at.hour, at.minute, at.second)
    return update.anchor


def update_statuses(incident: Incident, updates: tuple[Update, ...]) -> list[str]:
    """The Statuspage status of each update; 'update' carries on the stage before it."""
    current = "scheduled" if incident.is_maintenance else "investigating"
    out = []
    for u in updates:
        if u.stage is not Stage.UPDATE:
            current = u.stage.value
        out.append(current)
    return out


def incident_status(incident: Incident, now: datetime, statuses: list[str]) -> str:
    """The status at now, agreeing with derive.phase (which the HTML pages also follow)."""
    p = phase(incident, now)
    if incident.is_maintenance:
        if p is Phase.UPCOMING:
            return "scheduled"
        if p is Phase.COMPLETED:
            return "completed"
        last = statuses[-1] if statuses else "in_progress"
        return last if last in ("in_progress", "verifying") else "in_progress"
    if p is Phase.RESOLVED:
        last = statuses[-1] if statuses else "resolved"
        return last if last in CLOSING else "resolved"
    return next((s for s in reversed(statuses) if s not in CLOSING), "investigating")


class Api:
    """Builds the API's objects for one site at one instant."""

    def __init__(self, site: Site, now: datetime):
        self.site, self.now = site, now
        self.tz = zone(site.timezone)
        self.statuses = service_statuses(site, now)
        self.page_id = page_id(site)
        self.epoch = _site_epoch(site, self.tz)
        self.services = {s.id: s for s in site.services}
        self._changed = self._status_changes()
        self._component_cache: dict[str, dict] = {}

    def ts(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        return moment.astimezone(self.tz).isoformat(timespec="milliseconds")

    # ------------------------------------------------------------ page and status

    def page(self) -> dict[str, Any]:
        return {
            "id": self.page_id,
            "name": self.site.title,
            "url": self.site.base_url.rstrip("/"),
            "time_zone": self.site.timezone,
            "updated_at": self.ts(self.page_updated()),
        }

    def page_updated(self) -> datetime:
        """The newest content time at or before now: a rebuild with nothing new keeps it."""
        times = [self.epoch] + [self.service_changed(s) for s in self.site.services]
        for incident in self.site.incidents:
            times.append(self.incident_times(incident)[1])
        return max(t for t in times if t <= self.now) if any(t <= self.now for t in times) else self.epoch

    def status(self) -> dict[str, str]:
        ind = indicator(self.site, self.now)
        return {"indicator": ind.value, "description": INDICATOR_DESCRIPTION[ind]}

    # ------------------------------------------------------------ components

    def service_created(self, service: Service) -> datetime:
        if service.since:
            return datetime.combine(service.since, time(), self.tz)
        return self.epoch

    def _status_changes(self) -> dict[str, datetime]:
        """Per service, the last time its status changed at or before now (else its creation)."""
        latest = {s.id: self.service_created(s) for s in self.site.services}
        for incident in self.site.incidents:
            for edge in active_span(incident):
                if edge is not None and edge <= self.now:
                    for sid in incident.service_ids:
                        latest[sid] = max(latest[sid], edge)
        return latest

    def service_changed(self, service: Service) -> datetime:
        return self._changed[service.id]

    def component(self, service: Service) -> dict[str, Any]:
        if service.id not in self._component_cache:
            position = next(
                n for n, s in enumerate((s for s in self.site.services if s.group == service.group), 1) if s is service
            )
            self._component_cache[service.id] = {
                "id": component_id(self.site, service.id),
                "name": service.name,
                "status": self.statuses[service.id].value,
                "created_at": self.ts(self.service_created(service)),
                "updated_at": self.ts(self.service_changed(service)),
                "position": position,
                "description": service.description or None,
                "showcase": True,
                "start_date": service.since.isoformat() if service.since else None,
                "group_id": group_id(self.site, service.group) if service.group else None,
                "page_id": self.page_id,
                "group": False,
                "only_show_if_degraded": False,
            }
        return self._component_cache[service.id]

    def components(self) -> list[dict[str, Any]]:
        """Groups as group components followed by their members; ungrouped services at top level."""
        out: list[dict[str, Any]] = []
        top = 0
        for group, services in self.site.groups:
            members = [self.component(s) for s in services]
            if group is None:
                for m in members:
                    top += 1
                    out.append({**m, "position": top})
                continue
            top += 1
            worst = max((self.statuses[s.id] for s in services), key=lambda st: st.rank)
            out.append({
                "id": group_id(self.site, group),
                "name": group,
                "status": worst.value,
                "created_at": self.ts(min(self.service_created(s) for s in services)),
                "updated_at": self.ts(max(self.service_changed(s) for s in services)),
                "position": top,
                "description": None,
                "showcase": False,
                "start_date": None,
                "group_id": None,
                "page_id": self.page_id,
                "group": True,
                "only_show_if_degraded": False,
                "components": [m["id"] for m in members],
            })
            out.extend(members)
        return out

    # ------------------------------------------------------------ incidents

    def incident_times(self, incident: Incident) -> tuple[datetime, datetime]:
        """(created, updated): when it was first posted, and when it last changed at or before now."""
        updates = published_updates(incident, self.now)
        created = updates[0].at if updates else incident.started
        edges = [created, *(u.at for u in updates)]
        edges += [t for t in active_span(incident) if t is not None and t <= self.now]
        candidates = [t for t in edges if t <= self.now]
        return created, max(candidates) if candidates else created

    def incident(self, incident: Incident) -> dict[str, Any]:
        updates = published_updates(incident, self.now)
        statuses = update_statuses(incident, updates)
        status = incident_status(incident, self.now, statuses)
        created, updated = self.incident_times(incident)
        p = phase(incident, self.now)
        end = active_span(incident)[1] if p in (Phase.RESOLVED, Phase.COMPLETED) else None
        monitoring = next((u.at for u, s in zip(updates, statuses) if s == "monitoring"), None)
        iid = incident_id(self.site, incident)
        obj: dict[str, Any] = {
            "id": iid,
            "name": incident.title,
            "status": status,
            "created_at": self.ts(created),
            "updated_at": self.ts(updated),
            "monitoring_at": self.ts(monitoring),
            "resolved_at": self.ts(end),
            "impact": "maintenance" if incident.is_maintenance else incident.impact.value,
            "shortlink": urls.absolute(self.site, urls.incident(incident.id)),
            "started_at": self.ts(incident.started),
            "page_id": self.page_id,
            "incident_updates": self.updates(incident, iid, updates, statuses),
            "components": [self.component(self.services[sid]) for sid in incident.service_ids],
        }
        if incident.is_maintenance:
            window = incident.window
            obj["scheduled_for"] = self.ts(window.start if window else incident.started)
            obj["scheduled_until"] = self.ts(window.end if window else incident.resolved)
        return obj

    def updates(self, incident: Incident, iid: str, updates, statuses: list[str]) -> list[dict[str, Any]]:
        """Newest first, each with the component statuses it changed (old → new within this incident)."""
        out = []
        state = ComponentStatus.OPERATIONAL.value
        affected = [(sid, st.value) for sid, st in incident.services]
        current = {sid: state for sid, _ in affected}
        for n, (u, status) in enumerate(zip(updates, statuses)):
            old = dict(current)
            if status in CLOSING:
                current = {sid: state for sid, _ in affected}
            elif not incident.is_maintenance or status in ("in_progress", "verifying"):
                current = dict(affected)
            stamp = self.ts(u.at)
            out.append({
                "id": update_id(self.site, incident, u),
                "status": status,
                "body": u.body.strip(),  # as written, like the hosted API's bodies; Markdown reads as text
                "incident_id": iid,
                "created_at": stamp,
                "updated_at": stamp,
                "display_at": stamp,
                "affected_components": [
                    {
                        "code": self.component(self.services[sid])["id"],
                        "name": self.services[sid].name,
                        "old_status": old[sid],
                        "new_status": current[sid],
                    }
                    for sid, _ in affected
                ],
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            })
        return out[::-1]


def _site_epoch(site: Site, tz) -> datetime:
    """The oldest dated thing in the content: what 'created_at' falls back to."""
    times = [datetime.combine(s.since, time(), tz) for s in site.services if s.since]
    for incident in site.incidents:
        times.append(incident.started)
        times.extend(u.at for u in incident.updates[:1])
    return min(times, default=EPOCH)


def _dump(obj: Any) -> bytes:
    # Compact like the hosted API; insertion order (the hosted field order) is kept, not sorted.
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _newest_maintenance_first(items: list[Incident]) -> list[Incident]:
    ordered = sorted(items, key=lambda i: i.id)
    return sorted(ordered, key=lambda i: i.window.start if i.window else i.started, reverse=True)


def render(site: Site, now: datetime) -> list[Output]:
    api = Api(site, now)
    page = api.page()
    incidents = [i for i in site.incidents if not i.is_maintenance]  # newest first
    maintenances = _newest_maintenance_first([i for i in site.incidents if i.is_maintenance])
    incident_objs = {i.id: api.incident(i) for i in site.incidents}

    def objs(items: list[Incident]) -> list[dict]:
        return [incident_objs[i.id] for i in items]

    components = api.components()
    status = api.status()
    unresolved = objs(open_incidents(site, now))
    upcoming = objs(maintenance_in(site, now, Phase.UPCOMING))
    active = objs(maintenance_in(site, now, Phase.IN_PROGRESS))
    files = {
        "summary.json": {
            "page": page,
            "components": components,
            "incidents": unresolved,
            "scheduled_maintenances": active + upcoming,
            "status": status,
        },
        "status.json": {"page": page, "status": status},
        "components.json": {"page": page, "components": components},
        "incidents.json": {"page": page, "incidents": objs(incidents[:HOSTED_CAP])},
        "incidents/unresolved.json": {"page": page, "incidents": unresolved},
        "incidents/all.json": {"page": page, "incidents": objs(incidents)},
        "scheduled-maintenances.json": {"page": page, "scheduled_maintenances": objs(maintenances[:HOSTED_CAP])},
        "scheduled-maintenances/upcoming.json": {"page": page, "scheduled_maintenances": upcoming},
        "scheduled-maintenances/active.json": {"page": page, "scheduled_maintenances": active},
        "scheduled-maintenances/all.json": {"page": page, "scheduled_maintenances": objs(maintenances)},
    }
    return sorted((PREFIX + path, _dump(obj)) for path, obj in files.items())
