"""Statuspage → drafts. Reads saved responses of the public API v2 (summary.json,
components.json, incidents.json, incidents/unresolved.json, scheduled-maintenances*.json) and the
same objects from the manage API (which adds postmortem_body).

Mapping (also in README "Migrating"):
- page.name/url/time_zone → title/base_url/timezone; Rails zone names are mapped to IANA ones.
- components → services, ids slugified from names (a clash gets the group in front); group
  components → `group` of their children. A component that incidents name but no file lists (it
  was deleted) becomes a service in the group "Other"; incidents that name no component go to a
  service "general".
- incidents and scheduled maintenances → one file each; incident_updates → updates at display_at
  with their status as stage; the worst affected_components new_status of each component is its
  status in the incident; postmortem_body (when published) → a '## Postmortem' section.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from statusgen.importers.drafts import (
    GENERAL_SERVICE_DESCRIPTION,
    GENERAL_SERVICE_NAME,
    IMPACT_FOR_STATUS,
    OTHER_GROUP,
    Conversion,
    IncidentDraft,
    Problem,
    ServiceDraft,
    SiteDraft,
    SourceError,
    UpdateDraft,
    assign_ids,
    clean_text,
    close_timeline,
    one_line,
    parse_time,
    safe_key,
    settle_updates,
    slugify,
    worst,
)
from statusgen.model import STATUS_FOR_IMPACT, ComponentStatus, Impact, Kind, Stage
from statusgen.timeparse import TimeSyntaxError, zone
from statusgen.validate import parse_base_url

MAX_BYTES = 256 * 1024 * 1024

INCIDENT_STAGES = {"investigating", "identified", "monitoring", "update", "resolved", "postmortem"}
MAINTENANCE_STAGES = {"scheduled", "in_progress", "verifying", "completed"}

# Statuspage shows Rails zone names in its settings; exports normally carry IANA names.
RAILS_ZONES = {
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Mountain Time (US & Canada)": "America/Denver",
    "Central Time (US & Canada)": "America/Chicago",
    "Eastern Time (US & Canada)": "America/New_York",
    "London": "Europe/London",
    "Amsterdam": "Europe/Amsterdam",
    "Berlin": "Europe/Berlin",
    "Paris": "Europe/Paris",
    "Tokyo": "Asia/Tokyo",
    "Sydney": "Australia/Sydney",
}

Document = tuple[str, object]  # (file name as the user would find it, parsed JSON)


def read_export(path: Path) -> list[Document]:
    """The JSON documents of an export: one file, or every *.json under a folder (sorted)."""
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(
            (p for p in path.rglob("*.json") if not any(part.startswith(".") for part in p.relative_to(path).parts)),
            key=lambda p: p.relative_to(path).as_posix(),
        )
        if not files:
            raise SourceError(str(path), "no .json files in this folder (save the API responses as *.json)")
    else:
        raise SourceError(str(path), "no such file or folder")
    return [(str(f), _read_json(f)) for f in files]


def _read_json(path: Path) -> object:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SourceError(str(path), f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise SourceError(str(path), f"cannot read file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise SourceError(str(path), f"not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(str(path), f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None


# ---------------------------------------------------------------- gathering the documents


@dataclass
class Export:
    page: dict | None = None
    page_source: str = ""
    components: dict[str, tuple[dict, str]] = field(default_factory=dict)  # id → (component, file)
    incidents: dict[str, tuple[dict, str]] = field(default_factory=dict)  # id → (incident, file)


def gather(documents: list[Document], problems: list[Problem]) -> Export:
    """Merge the documents: one page, each component and incident once (the fullest copy wins)."""
    export = Export()
    for name, data in documents:
        found = False
        if isinstance(data, dict):
            if isinstance(data.get("page"), dict) and export.page is None:
                export.page, export.page_source = data["page"], name
            found = isinstance(data.get("page"), dict)
            for key in ("components",):
                if isinstance(data.get(key), list):
                    found = True
                    _add_components(export, data[key], name)
            for key in ("incidents", "scheduled_maintenances"):
                if isinstance(data.get(key), list):
                    found = True
                    _add_incidents(export, data[key], name)
            if "incident_updates" in data:  # a single incident saved on its own
                found = True
                _add_incidents(export, [data], name)
        elif isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
            if any("incident_updates" in x or "scheduled_for" in x for x in data):
                found = True
                _add_incidents(export, data, name)
            elif all("status" in x and "name" in x for x in data):
                found = True
                _add_components(export, data, name)
        if not found:
            problems.append(Problem(name, "not a Statuspage API response (no page, components or incidents); skipped"))
    return export


def _add_components(export: Export, items: list, source: str) -> None:
    for c in items:
        if isinstance(c, dict) and c.get("id") is not None:
            export.components.setdefault(str(c["id"]), (c, source))


def _add_incidents(export: Export, items: list, source: str) -> None:
    for i in items:
        if not isinstance(i, dict) or i.get("id") is None:
            continue
        key = str(i["id"])
        old = export.incidents.get(key)
        if old is None or _fullness(i) > _fullness(old[0]):
            export.incidents[key] = (i, source)


def _fullness(incident: dict) -> tuple[int, int, str]:
    updates = incident.get("incident_updates") or []
    return (len(updates), int(bool(incident.get("postmortem_body"))), str(incident.get("updated_at") or ""))


# ---------------------------------------------------------------- converting


def convert(documents: list[Document]) -> Conversion:
    problems: list[Problem] = []
    export = gather(documents, problems)
    if not export.incidents and not export.components:
        raise SourceError(documents[0][0] if len(documents) == 1 else "input",
                          "no components or incidents found: pass summary.json, components.json, incidents.json "
                          "or scheduled-maintenances.json saved from https://<your page>/api/v2/")  # fmt: skip
    tz_name = _timezone(export, problems)
    services = _Services(export, problems)
    incidents = []
    for key in sorted(export.incidents):
        incident, source = export.incidents[key]
        draft = _incident(incident, source, tz_name, services, problems)
        if draft:
            incidents.append(draft)
    ids = services.ids()  # only now: incidents may have added components and the "general" service
    incidents = [replace(d, services=tuple(sorted((ids[k], s) for k, s in d.services))) for d in incidents]
    site = _site(export, tz_name, services.drafts(), problems)
    return Conversion(site, tuple(incidents), tuple(sorted(set(problems))))


def _timezone(export: Export, problems: list[Problem]) -> str:
    name = str((export.page or {}).get("time_zone") or "UTC")
    name = RAILS_ZONES.get(name, name)
    try:
        zone(name)
        return name
    except TimeSyntaxError:
        problems.append(Problem(export.page_source, f"time zone '{name}' is unknown; times are shown in UTC"))
        return "UTC"


def _site(export: Export, tz_name: str, services: tuple[ServiceDraft, ...], problems: list[Problem]) -> SiteDraft:
    page = export.page or {}
    source = export.page_source or "input"
    title, cut = one_line(page.get("name") or "")
    if not title:
        title = "Status"
        problems.append(Problem(source, "no page name found; the title is 'Status' (edit site.yaml)"))
    try:
        base_url = parse_base_url(str(page.get("url") or ""))
    except ValueError:
        base_url = "https://status.example.com/"
        problems.append(Problem(source, f"page url {page.get('url')!r} is not an absolute http(s) URL; "
                                        f"base_url is {base_url} (edit site.yaml)"))  # fmt: skip
    origin = f"Imported from Statuspage page {safe_key(page.get('id') or '')} by `statusgen import statuspage`."
    return SiteDraft(title, base_url, tz_name, None, "", services, origin.replace("page  by", "by"))


class _Services:
    """Components → services, and the lookup from a component id (or name) to service ids."""

    def __init__(self, export: Export, problems: list[Problem]):
        self.problems = problems
        comps = export.components
        groups = {cid: c for cid, (c, _) in comps.items() if c.get("group")}
        parent: dict[str, str] = {}
        for gid, g in groups.items():
            for child in g.get("components") or []:
                parent[str(child)] = gid
        for cid, (c, _) in comps.items():
            if c.get("group_id") and not c.get("group"):
                parent[cid] = str(c["group_id"])
        self.children: dict[str, list[str]] = {gid: [] for gid in groups}
        top: list[tuple[dict, str]] = []
        for cid, (c, source) in comps.items():
            if cid in groups:
                top.append((c, cid))
            elif parent.get(cid) in groups:
                self.children[parent[cid]].append(cid)
            else:
                if parent.get(cid):
                    problems.append(Problem(source, f"component '{c.get('name')}' is in group {parent[cid]}, "
                                                    "which no file lists; it has no group"))  # fmt: skip
                top.append((c, cid))
        order: list[tuple[str, str | None]] = []  # (component id, group name)
        for c, cid in sorted(top, key=lambda t: _position(t[0], t[1])):
            if cid in groups:
                kids = sorted(self.children[cid], key=lambda k: _position(comps[k][0], k))
                if not kids:
                    problems.append(Problem(comps[cid][1], f"group '{c.get('name')}' has no components; skipped"))
                group_name = one_line(c.get("name") or "")[0] or None
                order += [(k, group_name) for k in kids]
            else:
                order.append((cid, None))
        self.comps = comps
        self.groups = groups
        self.order = order
        self.extra: dict[str, str] = {}  # component ids only incidents know → name
        self.general = False
        self._ids: dict[str, str] | None = None

    def resolve(self, refs: list[tuple[str, str]], source: str) -> list[str]:
        """Component keys for (id, name) references; a group stands for its components."""
        keys = []
        for code, name in refs:
            if code in self.groups:
                keys += self.children.get(code, [])
            elif code in self.comps:
                keys.append(code)
            else:
                key = code or f"name:{name}"
                if key not in self.extra:
                    self.extra[key] = name or code
                    self.problems.append(Problem(source, f"component '{name or code}' ({code or 'no id'}) is named "
                                                 f"by an incident but listed nowhere; it became a service in the "
                                                 f"group '{OTHER_GROUP}'"))  # fmt: skip
                keys.append(key)
        return keys

    def ids(self) -> dict[str, str]:
        if self._ids is None:
            items = [
                (cid, self.comps[cid][0].get("name") or cid, group, "component-" + (slugify(cid, 40) or "x"))
                for cid, group in self.order
            ]
            items += [(key, name, OTHER_GROUP, "component") for key, name in sorted(self.extra.items())]
            if self.general:
                items.append(("general:", GENERAL_SERVICE_NAME, None, "general"))
            self._ids = assign_ids(items)
        return self._ids

    def drafts(self) -> tuple[ServiceDraft, ...]:
        ids = self.ids()
        result = []
        for cid, group in self.order:
            c, source = self.comps[cid]
            name, cut = one_line(c.get("name") or "")
            name = name or cid
            description, dcut = one_line(c.get("description") or "")
            if cut or dcut:
                self.problems.append(Problem(source, f"component '{name}': name or description cut to 300 characters"))
            status = str(c.get("status") or "operational")
            if status != "operational":
                self.problems.append(Problem(source, f"component '{name}' is {status} now; statusgen derives status "
                                                     "from incidents, so open an incident to show it"))  # fmt: skip
            result.append(ServiceDraft(ids[cid], name, group, description, _since(c.get("start_date")),
                                       f"Statuspage component {safe_key(cid)}"))  # fmt: skip
        for key, name in sorted(self.extra.items()):
            result.append(ServiceDraft(ids[key], one_line(name)[0] or key, OTHER_GROUP, "", None,
                                       f"Statuspage component {safe_key(key)} (not in the export's component list)"))  # fmt: skip
        if self.general:
            result.append(ServiceDraft(ids["general:"], GENERAL_SERVICE_NAME, None, GENERAL_SERVICE_DESCRIPTION, None,
                                       "incidents that named no component"))  # fmt: skip
        return tuple(result)


def _position(c: dict, cid: str) -> tuple[int, str, str]:
    pos = c.get("position")
    return (pos if isinstance(pos, int) else 1 << 30, str(c.get("name") or ""), cid)


def _since(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _incident(inc: dict, source: str, tz_name: str, services: _Services, problems: list[Problem]) -> IncidentDraft | None:
    key = str(inc["id"])
    title, cut = one_line(inc.get("name") or "")
    where = f"incident {safe_key(key)}"
    if not title:
        title = "Untitled incident"
        problems.append(Problem(source, f"{where} has no name; it is called '{title}'"))
    elif cut:
        problems.append(Problem(source, f"{where}: the name was cut to 300 characters"))
    label = f"'{title}'"

    def when(field_name: str, obj: dict = inc) -> datetime | None:
        value = obj.get(field_name)
        if value in (None, ""):
            return None
        try:
            return parse_time(value, tz_name)
        except ValueError as exc:
            problems.append(Problem(source, f"{label}: {field_name}: {exc}"))
            return None

    status = str(inc.get("status") or "")
    raw_impact = str(inc.get("impact") or "")
    is_maint = bool(inc.get("scheduled_for")) or raw_impact == "maintenance" or status in MAINTENANCE_STAGES
    kind = Kind.MAINTENANCE if is_maint else Kind.INCIDENT
    stages = MAINTENANCE_STAGES if is_maint else INCIDENT_STAGES
    closing = "completed" if is_maint else "resolved"
    closed = status == closing or (not is_maint and status == "postmortem")

    updates: list[UpdateDraft] = []
    statuses: dict[str, list[ComponentStatus]] = {}
    for u in inc.get("incident_updates") or []:
        if not isinstance(u, dict):
            continue
        at = when("display_at", u) or when("created_at", u)
        if at is None:
            problems.append(Problem(source, f"{label}: an update has no time; skipped"))
            continue
        stage_name = str(u.get("status") or "update")
        body = clean_text(u.get("body") or "")
        if stage_name not in stages:
            problems.append(Problem(source, f"{label}: update status '{stage_name}' is not a {kind.value} stage; "
                                            "imported as Update"))  # fmt: skip
            body = f"**{stage_name}** — {body}" if body else f"**{stage_name}**"
            stage_name = "update"
        updates.append(UpdateDraft(at, Stage(stage_name), body))
        for ac in u.get("affected_components") or []:
            if not isinstance(ac, dict):
                continue
            for k in services.resolve([(str(ac.get("code") or ""), str(ac.get("name") or ""))], source):
                try:
                    statuses.setdefault(k, []).append(ComponentStatus(str(ac.get("new_status"))))
                except ValueError:
                    statuses.setdefault(k, [])
    refs = [(str(c.get("id") or ""), str(c.get("name") or "")) for c in inc.get("components") or [] if isinstance(c, dict)]
    for k in services.resolve(refs, source):
        statuses.setdefault(k, [])
    updates = settle_updates(updates, source, title, problems)

    # Impact
    seen = [s for ss in statuses.values() for s in ss]
    if raw_impact in ("none", "minor", "major", "critical"):
        impact: Impact | None = Impact(raw_impact)
    elif is_maint:
        impact = None
    else:
        impact = IMPACT_FOR_STATUS[worst(seen)] if seen else Impact.NONE
        problems.append(Problem(source, f"{label}: impact '{raw_impact}' is not an incident impact; "
                                        f"imported as {impact.value}"))  # fmt: skip
    if is_maint and impact is Impact.NONE:
        impact = None

    # Times
    started = when("started_at") or when("created_at") or (updates[0].at if updates else None)
    resolved_hint = (when("resolved_at") or when("updated_at")) if closed else None
    updates, resolved = close_timeline(updates, closed, resolved_hint, kind, tz_name, source, title, problems)
    window = None
    if is_maint:
        start = when("scheduled_for") or started
        end = when("scheduled_until") or resolved
        if start is None:
            problems.append(Problem(source, f"{label}: a maintenance without scheduled_for; skipped"))
            return None
        if end is None or end <= start:
            end = start + timedelta(hours=1)
            problems.append(Problem(source, f"{label}: no usable scheduled_until; the window is one hour long"))
        window = (start.replace(microsecond=0), end.replace(microsecond=0))
        started = window[0]
    if started is None:
        problems.append(Problem(source, f"{label}: no started_at, created_at or updates; skipped"))
        return None
    started = started.replace(microsecond=0)
    if not is_maint and updates and updates[0].at < started:  # started is when it began: not after the first word
        started = updates[0].at
    if resolved is not None and resolved < started and not is_maint:
        problems.append(Problem(source, f"{label}: resolved before it started; started is set to the resolution"))
        started = resolved

    # Services and their statuses, by component key until every incident was read (see convert)
    default = ComponentStatus.UNDER_MAINTENANCE if is_maint else STATUS_FOR_IMPACT[impact or Impact.NONE]
    component_status = {k: (worst(v) if v else default) for k, v in statuses.items()}
    if not component_status:
        services.general = True
        component_status = {"general:": default}

    postmortem = ""
    if inc.get("postmortem_body"):
        if "postmortem_published_at" in inc and not inc.get("postmortem_published_at"):
            problems.append(Problem(source, f"{label}: its postmortem was never published; left out"))
        else:
            postmortem = clean_text(inc["postmortem_body"])
    shortlink = safe_key(inc.get("shortlink") or "")
    origin = f"Imported from Statuspage {'maintenance' if is_maint else 'incident'} {safe_key(key)}"
    origin += f" ({shortlink})" if shortlink else ""
    return IncidentDraft(
        title=title, kind=kind, impact=impact, services=tuple(component_status.items()),
        started=started, resolved=resolved, window=window, summary="", updates=tuple(updates),
        postmortem=postmortem, origin=origin, source=source, key=key,
    )  # fmt: skip
