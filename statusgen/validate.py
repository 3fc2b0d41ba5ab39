"""Stage 2, validate: turn loaded files into the frozen model, or collect every problem found.

Each value is read from the text the author wrote (see yamlnodes) against the type the content
format expects; every problem becomes a Diagnostic with the file, the line and a hint.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Callable, Iterator, TypeVar
from urllib.parse import urlsplit

from statusgen.errors import ContentError, Diagnostic, did_you_mean
from statusgen.load import RawRepo, SourceFile
from statusgen.markdown import split_level2
from statusgen.model import (
    DEFAULT_UPTIME_RULE,
    INCIDENT_STAGES,
    MAINTENANCE_STAGES,
    STATUS_FOR_IMPACT,
    ComponentStatus,
    Impact,
    Incident,
    Kind,
    NextUpdate,
    Page,
    Reporter,
    Section,
    Service,
    Site,
    Source,
    Stage,
    Update,
    UptimeRule,
    Window,
)
from statusgen.timeparse import (
    MAX_YEAR,
    MIN_YEAR,
    NEXT_UPDATE_LINE,
    TimeSyntaxError,
    parse_duration,
    parse_next_update,
    parse_timestamp,
    zone,
)
from statusgen.yamlnodes import Mapping, Node, Scalar, Sequence

ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?\Z")  # \Z: "$" would accept a trailing newline
SITE_KEYS = {
    "title", "base_url", "timezone", "language", "update_interval", "contact", "description", "theme",
    "services", "uptime", "checks",
}  # fmt: skip
SERVICE_KEYS = {"id", "name", "group", "description", "since"}
INCIDENT_KEYS = {
    "id", "type", "title", "impact", "services", "started", "resolved", "unaffected", "postmortem",
    "reported_by", "scheduled",
}  # fmt: skip
PAGE_KEYS = {"title", "order"}
# Page slugs share the URL space with generated outputs.
RESERVED_SLUGS = {
    "incidents", "services", "history", "api", "badges", "assets", "feed", "embed", "404", "sitemap",
    "robots", "index", "static", "pages", "maintenance",
}  # fmt: skip
LANGUAGES = {"en", "zh", "ru", "de", "fr", "es", "ja"}

UPDATE_HEADING = re.compile(r"^(?P<ts>\d.*?)\s+(?:—|–|-|·|\|)\s+(?P<stage>[^\W\d][\w '\-]*?)\s*$")
STAGE_ALIASES = {
    "in progress": Stage.IN_PROGRESS, "in-progress": Stage.IN_PROGRESS, "post-mortem": Stage.POSTMORTEM,
    "post mortem": Stage.POSTMORTEM, "complete": Stage.COMPLETED, "identifying": Stage.INVESTIGATING,
}  # fmt: skip

_SPACES_AND_DASHES = re.compile(r"[\s\-]+")
# Each enum's members by value: what Enum(value) looks up, without its call overhead (no enum here
# has aliases or a _missing_ hook).
_MEMBERS: dict[type, dict[str, Enum]] = {
    e: {m.value: m for m in e} for e in (Impact, ComponentStatus, Kind, Stage, Reporter)
}  # fmt: skip

T = TypeVar("T")
# The bidi embeddings, overrides and isolates. (Other controls are dropped or escaped by each output.)
_HIDDEN = re.compile("[\u202a-\u202e\u2066-\u2069]")


class Reader:
    """Reads typed values out of one file's nodes, collecting diagnostics instead of raising."""

    def __init__(self, path: str, problems: list[Diagnostic]):
        self.path = path
        self.problems = problems

    def error(self, line: int, message: str, hint: str = "") -> None:
        self.problems.append(Diagnostic(self.path, line, message, hint))

    def check_keys(self, node: Mapping, allowed: set[str], what: str) -> None:
        for key, _ in node.items:
            if key.text not in allowed:
                self.error(key.line, f"unknown {what} key '{key.text}'", did_you_mean(key.text, allowed))

    def scalar(self, node: Node | None, key: str, line: int, required: bool = False) -> Scalar | None:
        if node is None or (isinstance(node, Scalar) and node.is_null):
            if required:
                self.error(line, f"'{key}' is required", f"add '{key}: …'")
            return None
        if not isinstance(node, Scalar):
            self.error(node.line, f"'{key}' must be a single value, not a list or mapping")
            return None
        return node

    def text(self, parent: Mapping, key: str, required: bool = False, one_line: bool = True) -> str | None:
        node = self.scalar(parent.get(key), key, parent.line, required)
        if node is None:
            return None
        value = node.text.strip()
        if required and not value:
            self.error(node.line, f"'{key}' must not be empty")
            return None
        if one_line and "\n" in value:
            self.error(node.line, f"'{key}' must be one line")
            return None
        if hidden := _HIDDEN.search(value):  # could reverse the status words shown next to it
            char = hidden.group()
            self.error(node.line, f"'{key}' contains the invisible character U+{ord(char):04X} "
                       f"{unicodedata.name(char, '(a control character)')}", "delete it, or retype the text")  # fmt: skip
            return None
        if len(value) > 300:
            self.error(node.line, f"'{key}' is {len(value)} characters long; the limit is 300", "shorten it")
            return None
        return value

    def convert(self, parent: Mapping, key: str, parse: Callable[[str], T], required: bool = False) -> T | None:
        node = self.scalar(parent.get(key), key, parent.line, required)
        if node is None:
            return None
        try:
            return parse(node.text.strip())
        except TimeSyntaxError as exc:
            self.error(node.line, f"'{key}': {exc.message}", exc.hint)
        except ValueError as exc:
            self.error(node.line, f"'{key}': {exc}")
        return None

    def enum(self, parent: Mapping, key: str, enum: type, required: bool = False, default=None):
        node = self.scalar(parent.get(key), key, parent.line, required)
        if node is None:
            return default
        return self.enum_value(node, key, enum, default)

    def enum_value(self, node: Scalar, key: str, enum: type, default=None):
        member = _MEMBERS[enum].get(node.text.strip().lower())
        if member is None:
            self.error(node.line, f"'{key}' cannot be '{node.text}'", did_you_mean(node.text, [e.value for e in enum]))
            return default
        return member

    def id_list(self, parent: Mapping, key: str) -> list[Scalar]:
        node = parent.get(key)
        if node is None or (isinstance(node, Scalar) and node.is_null):
            return []
        if isinstance(node, Scalar):  # a single id, or 'a, b'
            return [Scalar(part.strip(), node.line, node.quoted) for part in node.text.split(",") if part.strip()]
        if isinstance(node, Sequence) and all(isinstance(i, Scalar) for i in node.items):
            return list(node.items)  # type: ignore[arg-type]
        self.error(node.line, f"'{key}' must be a list of service ids", f"write '{key}: [api, dashboard]'")
        return []


# ---------------------------------------------------------------- site.yaml


def parse_base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"'{text}' is not an absolute http(s) URL (e.g. https://status.example.com/)")
    if bad := re.search(r"[\s\"'<>\\^`{|}\x00-\x1f\x7f]", text):  # urlsplit drops newlines; robots.txt would not
        raise ValueError(f"{text!r} contains {bad.group()!r}, which a URL cannot hold (percent-encode it)")
    return text if text.endswith("/") else text + "/"


def validate_site(node: Mapping, problems: list[Diagnostic]) -> Site | None:
    r = Reader("site.yaml", problems)
    r.check_keys(node, SITE_KEYS, "site.yaml")
    before = len(problems)
    title = r.text(node, "title", required=True)
    base_url = r.convert(node, "base_url", parse_base_url, required=True)
    tz_name = r.convert(node, "timezone", lambda t: (zone(t), t)[1]) or "UTC"
    language = r.convert(node, "language", _language) or "en"
    interval = r.convert(node, "update_interval", parse_duration) or timedelta(minutes=20)
    contact = r.text(node, "contact")
    description = r.text(node, "description") or ""
    theme = r.convert(node, "theme", _theme_name) or "default"
    services = _services(node, r)
    rule = _uptime_rule(node, r)
    checks = node.get("checks")
    if before != len(problems) or title is None or base_url is None:
        return None
    return Site(
        title=title, base_url=base_url, timezone=tz_name, language=language, update_interval=interval,
        contact=contact, description=description, theme=theme, services=tuple(services), uptime_rule=rule,
        options=(("checks", checks),) if checks is not None else (),
    )  # fmt: skip


def _language(text: str) -> str:
    code = text.lower().replace("_", "-").split("-")[0]
    if code not in LANGUAGES:
        raise ValueError(f"language '{text}' is not available; choose one of {', '.join(sorted(LANGUAGES))}")
    return code


def _theme_name(text: str) -> str:
    if not ID_RE.match(text):
        raise ValueError(f"theme '{text}' must be a folder name under themes/ ([a-z0-9-])")
    return text


def _services(node: Mapping, r: Reader) -> list[Service]:
    seq = node.get("services")
    if not isinstance(seq, Sequence) or not seq.items:
        r.error(seq.line if seq else node.line, "'services' must be a non-empty list", "add '- id: api' entries")
        return []
    services: list[Service] = []
    seen: dict[str, int] = {}
    for item in seq.items:
        if not isinstance(item, Mapping):
            r.error(item.line, "each service must be a mapping with id and name", "write '- id: api\\n  name: API'")
            continue
        r.check_keys(item, SERVICE_KEYS, "service")
        sid = r.convert(item, "id", _service_id, required=True)
        name = r.text(item, "name", required=True)
        since = r.convert(item, "since", _date)
        if sid and sid in seen:
            r.error(item.line, f"service id '{sid}' is used twice (first on line {seen[sid]})", "ids must be unique")
            continue
        if sid and name:
            seen[sid] = item.line
            services.append(
                Service(sid, name, r.text(item, "group"), r.text(item, "description") or "", since,
                        Source("site.yaml", item.line))
            )  # fmt: skip
    return services


def _service_id(text: str) -> str:
    if not ID_RE.match(text):
        raise ValueError(f"'{text}' is not a valid id: use lowercase letters, digits and '-' (e.g. 'public-api')")
    return text


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date; write YYYY-MM-DD") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:  # uptime arithmetic needs room either side
        raise ValueError(f"'{text}' is not between the years {MIN_YEAR} and {MAX_YEAR}")
    return day


def _uptime_rule(node: Mapping, r: Reader) -> UptimeRule:
    spec = node.get("uptime")
    if spec is None:
        return DEFAULT_UPTIME_RULE
    if not isinstance(spec, Mapping):
        r.error(spec.line, "'uptime' must map statuses to weights", "e.g. 'uptime: {partial_outage: 0.5}'")
        return DEFAULT_UPTIME_RULE
    weights = dict(DEFAULT_UPTIME_RULE.weights)
    for key, value in spec.items:
        status = r.enum_value(key, "uptime", ComponentStatus)
        try:
            weight = float(value.text) if isinstance(value, Scalar) else -1.0
        except ValueError:
            weight = -1.0
        if not 0.0 <= weight <= 1.0:
            r.error(value.line, "an uptime weight must be a number from 0 to 1", "1 counts fully as downtime")
        elif status and status is not ComponentStatus.OPERATIONAL:
            weights[status] = weight
    return UptimeRule(tuple(sorted(weights.items(), key=lambda kv: kv[0].rank)))


# ---------------------------------------------------------------- incidents


def validate_incident(f: SourceFile, site: Site, problems: list[Diagnostic]) -> Incident | None:
    r = Reader(f.path, problems)
    fm = f.front
    before = len(problems)
    r.check_keys(fm, INCIDENT_KEYS, "front matter")
    kind = r.enum(fm, "type", Kind, default=Kind.INCIDENT)
    is_maint = kind is Kind.MAINTENANCE
    name = f.path.rpartition("/")[2]  # PurePosixPath(f.path).stem of a file name ending in '.md', 4x faster
    stem = name[:-3] if name.endswith(".md") and len(name) > 3 else PurePosixPath(f.path).stem
    incident_id = r.convert(fm, "id", _incident_id)
    if incident_id is None and r.scalar(fm.get("id"), "id", fm.line) is None:  # absent, or 'id:' with no value
        if ID_RE.match(stem):
            incident_id = stem
        else:
            r.error(1, f"file name '{stem}' cannot be an id (it is used in URLs)",
                    "rename the file to lowercase letters, digits and '-', or set 'id:' in the front matter")  # fmt: skip
    title = r.text(fm, "title", required=True)
    impact = r.enum(fm, "impact", Impact, required=not is_maint, default=Impact.NONE)
    stamp = lambda text: parse_timestamp(text, site.timezone).astimezone(timezone.utc)  # noqa: E731
    window = _window(fm, r, stamp) if is_maint else None
    if not is_maint and fm.get("scheduled") is not None:
        r.error(fm.get("scheduled").line, "'scheduled' is only for maintenance", "add 'type: maintenance'")  # type: ignore[union-attr]
    started = r.convert(fm, "started", stamp, required=not is_maint) or (window.start if window else None)
    resolved = r.convert(fm, "resolved", stamp)
    services = _affected(fm, r, site, impact or Impact.NONE, is_maint)
    unaffected = [s.text for s in r.id_list(fm, "unaffected") if _known_service(s, site, r)]
    for sid in set(unaffected) & {sid for sid, _ in services}:
        r.error(fm.get("unaffected").line, f"'{sid}' is listed as both affected and unaffected")  # type: ignore[union-attr]
    postmortem = r.convert(fm, "postmortem", _http_url)
    reporter = r.enum(fm, "reported_by", Reporter)
    summary, updates, sections = _body(f, r, site, kind)
    if resolved is None:  # a Resolved/Completed update closes the incident even if the field was forgotten
        closing = Stage.COMPLETED if is_maint else Stage.RESOLVED
        resolved = next((u.at for u in reversed(updates) if u.stage is closing), None)
    if started and resolved and resolved < started:
        r.error(fm.get("resolved").line if fm.get("resolved") else fm.line,  # type: ignore[union-attr]
                f"resolved ({resolved:%Y-%m-%d %H:%M %z}) is before started ({started:%Y-%m-%d %H:%M %z})",
                "check the dates and the UTC offsets")  # fmt: skip
    if len(problems) != before or not (incident_id and title and started):
        if len(problems) == before:  # a file is never dropped without telling its author why
            r.error(1, "this incident is incomplete", "it needs a title, a start time and an id or file name")
        return None
    return Incident(
        id=incident_id, kind=kind, title=title, impact=impact, services=tuple(sorted(services)),
        started=started, resolved=resolved, unaffected=tuple(sorted(set(unaffected))), postmortem_url=postmortem,
        reported_by=reporter, summary=summary, updates=tuple(updates), sections=tuple(sections), window=window,
        source=Source(f.path, 1),
    )  # fmt: skip


def _incident_id(text: str) -> str:
    if not ID_RE.match(text):
        raise ValueError(f"'{text}' is not a valid id: use lowercase letters, digits and '-', at most 100")
    return text


def _http_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"'{text}' is not an http(s) link; for a written postmortem add a '## Postmortem' section")
    return text


def _known_service(node: Scalar, site: Site, r: Reader) -> bool:
    if node.text in site.service_id_set:
        return True
    ids = [s.id for s in site.services]
    r.error(node.line, f"unknown service '{node.text}'", did_you_mean(node.text, ids) + " (services are in site.yaml)")
    return False


def _affected(fm: Mapping, r: Reader, site: Site, impact: Impact, is_maint: bool) -> list[tuple[str, ComponentStatus]]:
    node = fm.get("services")
    default = ComponentStatus.UNDER_MAINTENANCE if is_maint else STATUS_FOR_IMPACT[impact]
    if isinstance(node, Mapping):
        result = []
        for key, value in node.items:
            if not _known_service(key, site, r):
                continue
            status = default
            if isinstance(value, Scalar) and not value.is_null:
                status = r.enum_value(value, f"services.{key.text}", ComponentStatus, default)
            elif not isinstance(value, Scalar):
                r.error(value.line, f"the status of '{key.text}' must be one word", "e.g. 'api: partial_outage'")
            result.append((key.text, status))
    else:
        ids = r.id_list(fm, "services")
        seen = set()
        result = []
        for s in ids:
            if s.text in seen:
                r.error(s.line, f"service '{s.text}' is listed twice")
            elif _known_service(s, site, r):
                seen.add(s.text)
                result.append((s.text, default))
    if isinstance(node, (Mapping, Sequence)) and not node.items:
        r.error(node.line, "'services' lists no service", "name at least one affected service")
    if node is None:
        r.error(fm.line, "'services' is required", "add 'services: [api]' with the ids from site.yaml")
    return result


def _window(fm: Mapping, r: Reader, stamp: Callable[[str], datetime]) -> Window | None:
    node = fm.get("scheduled")
    if not isinstance(node, Mapping):
        r.error(node.line if node else fm.line, "maintenance needs 'scheduled: {start: …, end: …}'",
                "e.g. 'scheduled: {start: 2026-12-01 02:00 +01:00, end: 2026-12-01 04:00 +01:00}'")  # fmt: skip
        return None
    r.check_keys(node, {"start", "end"}, "scheduled")
    start, end = r.convert(node, "start", stamp, True), r.convert(node, "end", stamp, True)
    if start and end and end <= start:
        r.error(node.line, "the maintenance window ends before it starts", "check 'start', 'end' and their offsets")
        return None
    return Window(start, end) if start and end else None


def _body(f: SourceFile, r: Reader, site: Site, kind: Kind) -> tuple[str, list[Update], list[Section]]:
    blocks = split_level2(f.body)
    updates: list[Update] = []
    sections: list[Section] = []
    allowed = MAINTENANCE_STAGES if kind is Kind.MAINTENANCE else INCIDENT_STAGES
    for block in blocks[1:]:
        line = f.body_line + block.line
        m = UPDATE_HEADING.match(block.heading)
        if not m:
            if block.heading[:1].isdigit():
                r.error(line, f"cannot read update heading '{block.heading}'",
                        "write '## 2026-11-20 14:25 +01:00 — Identified' (timestamp, a dash, the stage)")  # fmt: skip
            else:
                sections.append(Section(block.heading, block.text, line))
            continue
        try:
            written = parse_timestamp(m["ts"], site.timezone)  # a bare 'Next update by 14:45' is read in its zone
        except TimeSyntaxError as exc:
            r.error(line, f"update heading: {exc.message}", exc.hint)
            continue
        stage = _stage(m["stage"], allowed, kind, line, r)
        if stage is None:
            continue
        next_update = _next_update(block.text, written, site, f.body_line + block.text_line, r)
        updates.append(Update(written.astimezone(timezone.utc), stage, block.text, next_update, line))
    updates.sort(key=lambda u: u.at)
    for a, b in zip(updates, updates[1:]):
        if a.at == b.at:
            r.error(b.line, f"two updates at the same time (also on line {a.line})", "give each update its own time")
    return blocks[0].text, updates, sections


@lru_cache(maxsize=256)  # headings use a dozen words thousands of times
def stage_from_word(word: str) -> Stage | None:
    """The stage a heading's word names ('In progress', 'in-progress', 'Post-mortem'…), or None."""
    key = word.strip().lower()
    if key in STAGE_ALIASES:
        return STAGE_ALIASES[key]
    return _MEMBERS[Stage].get(_SPACES_AND_DASHES.sub("_", key))


def _stage(word: str, allowed: frozenset[Stage], kind: Kind, line: int, r: Reader) -> Stage | None:
    stage = stage_from_word(word)
    if stage is None:
        r.error(line, f"unknown stage '{word}'", did_you_mean(word.strip().lower(), sorted(s.label for s in allowed)))
        return None
    if stage not in allowed:
        r.error(line, f"'{stage.label}' is not a stage of {kind.value}",
                "stages: " + ", ".join(sorted(s.label for s in allowed)))  # fmt: skip
        return None
    return stage


def _next_update(text: str, at: datetime, site: Site, first_line: int, r: Reader) -> NextUpdate | None:
    promise: NextUpdate | None = None
    for offset, m in _promise_lines(text):
        line = first_line + offset
        try:
            due = parse_next_update(m["rest"], at, site.timezone)
        except TimeSyntaxError as exc:
            r.error(line, f"next-update promise: {exc.message}", exc.hint)
            continue
        if due <= at:
            r.error(line, "the next update is promised before this update was posted", "check the time and zone")
        elif promise is not None:
            r.error(line, f"a second next-update promise in one update (first on line {promise.line})", "keep one")
        else:
            promise = NextUpdate(due, line)
    return promise


def _promise_lines(text: str) -> Iterator[tuple[int, re.Match[str]]]:
    """(index, match) of each line of text that NEXT_UPDATE_LINE matches."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a letter whose lower case is longer ('İ'), so positions differ
        for offset, body_line in enumerate(text.split("\n")):
            if m := NEXT_UPDATE_LINE.match(body_line):
                yield offset, m
        return
    # Only a line whose lower case holds 'next update' can match (no other letter matches those
    # case-insensitively), and str.find looks for it 10x faster than the regex scans a text.
    offset = counted = 0
    at = lowered.find("next update")
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        if m := NEXT_UPDATE_LINE.match(text[start:end]):
            offset += text.count("\n", counted, start)
            counted = start
            yield offset, m
        at = lowered.find("next update", end)


# ---------------------------------------------------------------- pages and the whole repo


def validate_page(f: SourceFile, problems: list[Diagnostic]) -> Page | None:
    r = Reader(f.path, problems)
    r.check_keys(f.front, PAGE_KEYS, "page")
    slug = PurePosixPath(f.path).stem
    title = r.text(f.front, "title", required=True)
    order = r.convert(f.front, "order", int) or 0
    if not ID_RE.match(slug):
        r.error(1, f"page file name '{slug}' cannot be a URL", "rename it to lowercase letters, digits and '-'")
    elif slug in RESERVED_SLUGS:
        r.error(1, f"page name '{slug}' is taken by a generated page", "rename the file, e.g. to 'about-{slug}.md'")
    elif title:
        return Page(slug, title, f.body, order, Source(f.path, 1))
    return None


def validate_repo(raw: RawRepo) -> Site:
    """The whole model, or ContentError with every problem in every file."""
    problems: list[Diagnostic] = list(raw.problems)
    site = validate_site(raw.site, problems)
    if site is None:
        raise ContentError(problems)
    incidents = [i for f in raw.incidents if (i := validate_incident(f, site, problems))]
    pages = [p for f in raw.pages if (p := validate_page(f, problems))]
    return assemble(site, incidents, pages, problems)


def assemble(site: Site, incidents: list[Incident], pages: list[Page], problems: list[Diagnostic]) -> Site:
    """The model from files validated one by one (problems: theirs), after the checks across files."""
    first_seen: dict[str, str] = {}
    for incident in incidents:
        if incident.id in first_seen:
            problems.append(Diagnostic(incident.source.path, 1, f"incident id '{incident.id}' is also used by "
                            f"{first_seen[incident.id]}", "ids must be unique: rename a file or set 'id:'"))  # fmt: skip
        first_seen.setdefault(incident.id, incident.source.path)
    if problems:
        raise ContentError(problems)
    incidents.sort(key=lambda i: (i.started, i.id), reverse=True)
    pages.sort(key=lambda p: (p.order, p.slug))
    return replace(site, incidents=tuple(incidents), pages=tuple(pages))
