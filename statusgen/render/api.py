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
from dataclasses import dataclass
from datetime import datetime, time, timezone
from json.encoder import encode_basestring
from typing import Any, Iterable, NamedTuple

from statusgen import cache as cachemod
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

# Compact like the hosted API; insertion order (the hosted field order) is kept, not sorted.
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_text = encode_basestring  # the string escaping of _json (and of json.dumps with ensure_ascii=False)


# stable_id runs once per update (tens of thousands per build): a precomputed two-digit table and one
# unpack replace the twelve divmods and the generic int.from_bytes.
_PAIRS = [a + b for a in _BASE36 for b in _BASE36]  # "00", "01", … "zz": base 36 two digits at a time
_FIRST_8_BYTES = struct.Struct(">Q").unpack_from
_ID_SPAN = 36**12  # twelve digits keep the hash's low part, as the digit-by-digit loop did

# Two- and three-digit numbers, read from tables by the hot formatting code (% or isoformat's sprintf
# cost several times more per field).
_2 = ["%02d" % n for n in range(100)]
_3 = ["%03d" % n for n in range(1000)]


def stable_id(*parts: str) -> str:
    """12 lowercase base-36 characters, like the hosted service's ids, hashed from our ids."""
    return _hashed_id("\x1f".join(parts))


def _hashed_id(joined: str) -> str:
    n = _FIRST_8_BYTES(hashlib.sha256(joined.encode()).digest())[0] % _ID_SPAN
    high, low = divmod(n, 1296**3)
    a, rest = divmod(high, 1296**2)
    b, c = divmod(rest, 1296)
    d, rest = divmod(low, 1296**2)
    e, f = divmod(rest, 1296)
    return f"{_PAIRS[a]}{_PAIRS[b]}{_PAIRS[c]}{_PAIRS[d]}{_PAIRS[e]}{_PAIRS[f]}"


def page_id(site: Site) -> str:
    return stable_id("page", site.base_url)


def component_id(site: Site, service_id: str) -> str:
    return stable_id("component", service_id)


def group_id(site: Site, group: str) -> str:
    return stable_id("group", group)


def incident_id(site: Site, incident: Incident) -> str:
    return stable_id("incident", incident.id)


def update_id(site: Site, incident: Incident, update: Update) -> str:
    return _update_id(incident.id, update)


def _update_id(incident_id: str, update: Update) -> str:
    """stable_id("update", incident_id, update.anchor), formatting the anchor from tables instead of
    strftime (4x its cost) in the same step; other years or zones take the model's own way."""
    at = update.at
    if at.tzinfo is timezone.utc and 1000 <= at.year <= 9999:  # strftime's %Y pads no year below 1000
        return _hashed_id(
            f"update\x1f{incident_id}\x1fupdate-"
            f"{at.year}{_2[at.month]}{_2[at.day]}T{_2[at.hour]}{_2[at.minute]}{_2[at.second]}Z"
        )
    return stable_id("update", incident_id, update.anchor)


def _isoformat_ms(local: datetime, offsets: dict) -> str:
    """local.isoformat(timespec="milliseconds"), built from tables at 60% of its cost. The offset's text
    is isoformat's own, remembered in offsets per distinct offset: it follows the first 23 characters."""
    offset = local.utcoffset()
    tail = offsets.get(offset)
    if tail is None:
        tail = offsets[offset] = local.isoformat(timespec="milliseconds")[23:]
    return (
        f"{local.year:04d}-{_2[local.month]}-{_2[local.day]}T"
        f"{_2[local.hour]}:{_2[local.minute]}:{_2[local.second]}.{_3[local.microsecond // 1000]}{tail}"
    )


def update_statuses(incident: Incident, updates: tuple[Update, ...]) -> list[str]:
    """The Statuspage status of each update; 'update' carries on the stage before it."""
    current = "scheduled" if incident.is_maintenance else "investigating"
    out = []
    for u in updates:
        if u.stage is not Stage.UPDATE:
            current = u.stage._value_  # .value, without enum's Python-level property (read per update)
        out.append(current)
    return out


def incident_status(incident: Incident, now: datetime, statuses: list[str]) -> str:
    """The status at now, agreeing with derive.phase (which the HTML pages also follow)."""
    return _status_in(incident, phase(incident, now), statuses)


def _status_in(incident: Incident, p: Phase, statuses: list[str]) -> str:
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


def _times(posted: tuple[Update, ...], incident: Incident, span, now: datetime) -> tuple[datetime, datetime]:
    # Of equal instants any may win: only instants are written (Frame.stamp) or compared.
    created = posted[0].at if posted else incident.started
    updated = max([u.at for u in posted]) if posted else created if created <= now else None
    for t in span:
        if t is not None and t <= now and (updated is None or t > updated):
            updated = t
    return created, created if updated is None else updated


# ---------------------------------------------------------------- one incident's JSON


@dataclass(frozen=True)
class Frame:
    """What an incident's JSON reads from the site besides the incident and now: equal frames, equal bytes.

    Its caches (not fields: they take no part in equality) hold the JSON text of things many incidents
    share: timestamps, the page id, each service's code and name."""

    base_url: str
    timezone: str
    names: tuple[tuple[str, str], ...]  # (service id, name) of every service, in site.yaml order

    @classmethod
    def of(cls, site: Site) -> Frame:
        return cls(site.base_url, site.timezone, tuple((s.id, s.name) for s in site.services))

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__  # frozen: the caches are set once here
        setattr_(self, "tz", zone(self.timezone))
        setattr_(self, "page_id", stable_id("page", self.base_url))
        setattr_(self, "key", cachemod.digest(repr((self.base_url, self.timezone, self.names))))  # names it in a memo
        setattr_(self, "_stamps", {})
        setattr_(self, "_offsets", {})
        # '{"code":…,"name":…,"old_status":' of each service's entry in affected_components
        setattr_(self, "affected_head", {
            sid: _json({"code": stable_id("component", sid), "name": name, "old_status": None})[:-5]
            for sid, name in self.names
        })

    def stamp(self, moment: datetime | None) -> str:
        """A timestamp as JSON text ("…" or null); memoized, as most are written two to four times."""
        if moment is None:
            return "null"
        text = self._stamps.get(moment)
        if text is None:
            text = f'"{_isoformat_ms(moment.astimezone(self.tz), self._offsets)}"'
            # Only UTC keys (as the model holds them): two equal UTC datetimes are the same instant, while
            # two equal datetimes in one ZoneInfo may differ by a fold. A lookup with any zone is then safe.
            if moment.tzinfo is timezone.utc:
                self._stamps[moment] = text
        return text


def now_key(incident: Incident, now: datetime) -> int:
    """How many of the incident's own instants are at or before now, or -1 if all are. incident_parts
    reads now only through comparisons `instant <= now`, so two nows with the same key give the same bytes."""
    start, end = active_span(incident)
    window, updates, resolved = incident.window, incident.updates, incident.resolved
    if (  # nearly every incident of a long history: all its instants are past (updates are in time order)
        end is not None and end <= now and start <= now and incident.started <= now
        and (resolved is None or resolved <= now) and (not updates or updates[-1].at <= now)
        and (window is None or (window.start <= now and window.end <= now))
    ):  # fmt: skip
        return -1
    instants = {incident.started, resolved, start, end, *(u.at for u in updates)}
    if window:
        instants.update((window.start, window.end))
    return sum(1 for t in instants if t is not None and t <= now)


class IncidentParts(NamedTuple):
    head: bytes  # the incident's JSON object up to the items of its "components" list, in UTF-8
    tail: bytes  # and after them
    updated: datetime  # its updated_at: the page's is the newest of these


def incident_parts(incident: Incident, now: datetime, frame: Frame) -> IncidentParts:
    """An incident's JSON object, around its components (which the caller splices in, as their statuses
    and times depend on the whole site).

    Pure: the result depends on incident, frame and now_key(incident, now) only, which makes it the
    piece to memoize across builds. Written as text rather than json.dumps of a dict (4x faster), so the
    field order here is the hosted field order, and every string from content goes through _text."""
    updates = published_updates(incident, now)
    statuses = update_statuses(incident, updates)
    p = phase(incident, now)
    span = active_span(incident)
    created, updated = _times(updates, incident, span, now)
    end = span[1] if p in (Phase.RESOLVED, Phase.COMPLETED) else None
    monitoring = updates[statuses.index("monitoring")].at if "monitoring" in statuses else None
    iid = stable_id("incident", incident.id)  # incident_id; base 36, so it needs no escaping
    stamp = frame.stamp
    head = (
        f'{{"id":"{iid}","name":{_text(incident.title)},"status":{_text(_status_in(incident, p, statuses))},'
        f'"created_at":{stamp(created)},"updated_at":{stamp(updated)},"monitoring_at":{stamp(monitoring)},'
        f'"resolved_at":{stamp(end)},'
        f'"impact":{_text("maintenance" if incident.is_maintenance else incident.impact._value_)},'
        f'"shortlink":{_text(urls.absolute(frame, urls.incident(incident.id)))},'  # type: ignore[arg-type]
        f'"started_at":{stamp(incident.started)},"page_id":"{frame.page_id}",'
        f'"incident_updates":[{_updates_json(incident, iid, updates, statuses, frame)}],"components":['
    )
    tail = "]}"
    if incident.is_maintenance:
        window = incident.window
        tail = (
            f'],"scheduled_for":{stamp(window.start if window else incident.started)},'
            f'"scheduled_until":{stamp(window.end if window else incident.resolved)}}}'
        )
    return IncidentParts(head.encode(), tail.encode(), updated)


PARTS_MEMO = cachemod.keyed("api-incidents")


def all_incident_parts(incidents: list[Incident], now: datetime, frame: Frame) -> list[IncidentParts]:
    """incident_parts() of each incident, kept in the build cache: nearly all of the API's work, and
    mostly for settled incidents, whose parts stay the same from build to build."""

    def key(incident: Incident) -> tuple | None:
        origin = cachemod.origin(incident)
        return None if origin is None else (origin, now_key(incident, now), frame.key)

    return cachemod.memoized_runs(PARTS_MEMO, incidents, key, lambda i: i.id,
                                  lambda i: incident_parts(i, now, frame))  # fmt: skip


def _updates_json(incident: Incident, iid: str, updates, statuses: list[str], frame: Frame) -> str:
    """Newest first, each with the component statuses it changed (old → new within this incident)."""
    out = []
    down = False  # each service operational, else as the incident lists it
    affected: dict[tuple[bool, bool], str] = {}  # by (old, new): at most four per incident
    of_incident = f',"incident_id":"{iid}","created_at":'
    for u, status in zip(updates, statuses):
        old = down
        if status in CLOSING:
            down = False
        elif not incident.is_maintenance or status in ("in_progress", "verifying"):
            down = True
        changes = affected.get((old, down))
        if changes is None:
            changes = affected[old, down] = _affected_json(incident, old, down, frame)
        stamp = frame.stamp(u.at)
        out.append(
            # the body as written, like the hosted API's bodies: Markdown reads as text
            f'{{"id":"{_update_id(incident.id, u)}","status":{_text(status)},"body":{_text(u.body.strip())}'
            f'{of_incident}{stamp},"updated_at":{stamp},"display_at":{stamp},"affected_components":[{changes}],'
            '"deliver_notifications":true,"custom_tweet":null,"tweet_id":null}'
        )
    return ",".join(reversed(out))


def _affected_json(incident: Incident, old_down: bool, new_down: bool, frame: Frame) -> str:
    ok = _OPERATIONAL
    return ",".join([
        f'{frame.affected_head[sid]}{_text(status._value_) if old_down else ok},'
        f'"new_status":{_text(status._value_) if new_down else ok}}}'
        for sid, status in incident.services
    ])


_OPERATIONAL = _text(ComponentStatus.OPERATIONAL.value)


# ---------------------------------------------------------------- the site-wide objects


class Api:
    """Builds the API's site-wide objects for one site at one instant."""

    def __init__(self, site: Site, now: datetime, frame: Frame | None = None):
        self.site, self.now = site, now
        self.frame = frame or Frame.of(site)
        self.tz = self.frame.tz
        self.statuses = service_statuses(site, now)
        self.page_id = self.frame.page_id
        self.epoch = _site_epoch(site, self.tz)
        self.services = {s.id: s for s in site.services}
        self._changed = self._status_changes()
        self._component_cache: dict[str, dict] = {}
        self._components_by_ids: dict[tuple[str, ...], bytes] = {}
        self._component_bytes: dict[str, bytes] = {}

    def ts(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        return moment.astimezone(self.tz).isoformat(timespec="milliseconds")

    # ------------------------------------------------------------ page and status

    def page(self, incidents_updated: Iterable[datetime]) -> dict[str, Any]:
        """The page object, given every incident's updated_at (IncidentParts.updated)."""
        return {
            "id": self.page_id,
            "name": self.site.title,
            "url": self.site.base_url.rstrip("/"),
            "time_zone": self.site.timezone,
            "updated_at": self.ts(self.page_updated(incidents_updated)),
        }

    def page_updated(self, incidents_updated: Iterable[datetime]) -> datetime:
        """The newest content time at or before now: a rebuild with nothing new keeps it."""
        times = [self.epoch] + [self.service_changed(s) for s in self.site.services]
        times += incidents_updated
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
        edges: dict[str, datetime] = {}  # the content's times first: they share one zone, so compare fast
        now = self.now
        for incident in self.site.incidents:
            for edge in active_span(incident):
                if edge is not None and edge <= now:
                    for sid in incident.service_ids:
                        if sid not in edges or edge > edges[sid]:
                            edges[sid] = edge
        latest = {s.id: self.service_created(s) for s in self.site.services}
        for sid, edge in edges.items():
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

    def components_json(self, service_ids: tuple[str, ...]) -> bytes:
        """The items of an incident's "components" list, in UTF-8."""
        found = self._components_by_ids.get(service_ids)
        if found is None:
            found = self._components_by_ids[service_ids] = b",".join(self._component_json(sid) for sid in service_ids)
        return found

    def _component_json(self, service_id: str) -> bytes:
        found = self._component_bytes.get(service_id)
        if found is None:
            found = self._component_bytes[service_id] = _json(self.component(self.services[service_id])).encode()
        return found


def _site_epoch(site: Site, tz) -> datetime:
    """The oldest dated thing in the content: what 'created_at' falls back to."""
    times = [datetime.combine(s.since, time(), tz) for s in site.services if s.since]
    if site.incidents:  # the content's times first: they share one zone, so compare fast
        times.append(min(i.started for i in site.incidents))
        times.append(min((i.updates[0].at for i in site.incidents if i.updates), default=times[-1]))
    return min(times, default=EPOCH)


def _document(**fields: bytes | list[tuple[bytes, ...]]) -> bytes:
    """A file: a JSON object of fields that are JSON already, or lists of incidents in pieces.

    One join for the whole file, so the 37 MB of incidents/all.json at 10,000 incidents is copied once."""
    pieces = [b"{"]
    for n, (key, value) in enumerate(fields.items()):
        pieces.append(b'%s"%s":' % (b"," if n else b"", key.encode()))
        if isinstance(value, bytes):
            pieces.append(value)
            continue
        pieces.append(b"[")
        for m, item in enumerate(value):
            if m:
                pieces.append(b",")
            pieces.extend(item)
        pieces.append(b"]")
    pieces.append(b"}\n")
    return b"".join(pieces)


def _newest_maintenance_first(items: list[Incident]) -> list[Incident]:
    ordered = sorted(items, key=lambda i: i.id)
    return sorted(ordered, key=lambda i: i.window.start if i.window else i.started, reverse=True)


def render(site: Site, now: datetime) -> list[Output]:
    if now.utcoffset() is not None:  # now is only compared: in UTC, as the content's times are, that is fast
        now = now.astimezone(timezone.utc)
    api = Api(site, now)
    parts = dict(zip((i.id for i in site.incidents), all_incident_parts(list(site.incidents), now, api.frame)))
    page = _json(api.page([p.updated for p in parts.values()])).encode()
    incidents = [i for i in site.incidents if not i.is_maintenance]  # newest first
    maintenances = _newest_maintenance_first([i for i in site.incidents if i.is_maintenance])

    def objs(items: list[Incident]) -> list[tuple[bytes, ...]]:
        return [(parts[i.id].head, api.components_json(i.service_ids), parts[i.id].tail) for i in items]

    components = _json(api.components()).encode()
    status = _json(api.status()).encode()
    unresolved = objs(open_incidents(site, now))
    upcoming = objs(maintenance_in(site, now, Phase.UPCOMING))
    active = objs(maintenance_in(site, now, Phase.IN_PROGRESS))
    files = {
        "summary.json": _document(
            page=page, components=components, incidents=unresolved, scheduled_maintenances=active + upcoming,
            status=status,
        ),
        "status.json": _document(page=page, status=status),
        "components.json": _document(page=page, components=components),
        "incidents.json": _document(page=page, incidents=objs(incidents[:HOSTED_CAP])),
        "incidents/unresolved.json": _document(page=page, incidents=unresolved),
        "incidents/all.json": _document(page=page, incidents=objs(incidents)),
        "scheduled-maintenances.json": _document(page=page, scheduled_maintenances=objs(maintenances[:HOSTED_CAP])),
        "scheduled-maintenances/upcoming.json": _document(page=page, scheduled_maintenances=upcoming),
        "scheduled-maintenances/active.json": _document(page=page, scheduled_maintenances=active),
        "scheduled-maintenances/all.json": _document(page=page, scheduled_maintenances=objs(maintenances)),
    }
    return sorted((PREFIX + path, data) for path, data in files.items())
