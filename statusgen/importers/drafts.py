"""What an importer produces: drafts of site.yaml and of each incident, plus what it could not map.

Converters build these from a source format; emit.py writes them in the content format. The
helpers here are the parts both converters share: text cleaning, ids, loose time parsing.
"""

from __future__ import annotations

import email.utils
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

from statusgen.model import ComponentStatus, Impact, Kind, Stage
from statusgen.timeparse import TimeSyntaxError, zone

TITLE_LIMIT = 300  # validate.py refuses longer one-line texts
ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")


@dataclass(frozen=True, order=True)
class Problem:
    """Something in the source that could not be carried over as it was."""

    source: str  # the source file, as the user would find it
    message: str


@dataclass(frozen=True)
class ServiceDraft:
    id: str
    name: str
    group: str | None
    description: str
    since: date | None
    origin: str  # a comment naming the source object


@dataclass(frozen=True)
class UpdateDraft:
    at: datetime
    stage: Stage
    body: str  # Markdown


@dataclass(frozen=True)
class IncidentDraft:
    title: str
    kind: Kind
    impact: Impact | None  # None: not written (maintenance without an impact)
    services: tuple[tuple[str, ComponentStatus], ...]  # sorted by id
    started: datetime  # for maintenance: the window's start
    resolved: datetime | None
    window: tuple[datetime, datetime] | None  # maintenance only
    summary: str
    updates: tuple[UpdateDraft, ...]  # oldest first, whole seconds, no two at one time
    postmortem: str  # Markdown of a '## Postmortem' section, '' for none
    origin: str  # a comment naming the source object
    source: str  # the source file
    key: str  # the source's own id: a stable tie-breaker


@dataclass(frozen=True)
class SiteDraft:
    title: str
    base_url: str
    timezone: str
    language: str | None
    description: str
    services: tuple[ServiceDraft, ...]
    origin: str


@dataclass(frozen=True)
class Conversion:
    site: SiteDraft
    incidents: tuple[IncidentDraft, ...]
    problems: tuple[Problem, ...]


# ---------------------------------------------------------------- text

# Characters YAML and XML cannot carry; they never mean anything in a status update.
_UNPRINTABLE = re.compile("[^\t\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean_text(text: str) -> str:
    """Multi-line text as the content format wants it: LF lines, no control characters."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _UNPRINTABLE.sub("", text).strip("\n").rstrip()


def one_line(text: str, limit: int = TITLE_LIMIT) -> tuple[str, bool]:
    """(text on one line with whitespace collapsed and cut to limit, whether it was cut)."""
    flat = " ".join(_UNPRINTABLE.sub("", str(text)).split())
    if len(flat) <= limit:
        return flat, False
    return flat[: limit - 1].rstrip() + "…", True


def slugify(text: str, limit: int = 60) -> str:
    """Lowercase ASCII words joined by '-', cut at a word boundary; '' when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    ascii_text = ascii_text.replace("&", " and ").replace("'", "")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    if not slug and words:  # one very long word
        slug = words[0][:limit]
    return slug


def assign_ids(items: list[tuple[str, str, str | None, str]]) -> dict[str, str]:
    """Stable, unique ids for (key, name, group, fallback) items, in the order given.

    The id is the slug of the name; names that clash get their group's slug in front (an 'API'
    in two regions), and whatever still clashes gets -2, -3… in the order given.
    """
    base = {key: slugify(name, 48) or fallback for key, name, _, fallback in items}
    counts: dict[str, int] = {}
    for slug in base.values():
        counts[slug] = counts.get(slug, 0) + 1
    wanted = {}
    for key, _, group, _ in items:
        slug = base[key]
        if counts[slug] > 1 and group and slugify(group, 40):
            slug = f"{slugify(group, 40)}-{slug}"
        wanted[key] = slug
    result: dict[str, str] = {}
    taken: set[str] = set()
    for key, *_ in items:
        slug, n = wanted[key], 1
        while slug in taken:
            n += 1
            slug = f"{wanted[key]}-{n}"
        taken.add(slug)
        result[key] = slug
    return result


def safe_key(text: str) -> str:
    """A source id fit for a YAML comment."""
    return re.sub(r"[^A-Za-z0-9_.:/-]", "", str(text))[:80]


# ---------------------------------------------------------------- time

_GO_DEFAULT = re.compile(  # Go's time.String(): 2018-06-13 23:00:00.5 +0000 UTC
    r"^(\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*([+-]\d{2}:?\d{2}|Z)(?:\s+[A-Za-z]{1,5})?$"
)
_SHORT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")
_RFC822_SHORT = re.compile(r"^(\d{1,2}) ([A-Za-z]{3}) (\d{2}) (\d{1,2}:\d{2}(?::\d{2})?)\s*(.*)$")


def parse_time(value: object, default_zone: str) -> datetime:
    """An aware datetime from the many ways exports and front matter write an instant.

    Accepts datetime/date objects (TOML parses those), ISO 8601 with or without 'T', 'Z' or an
    offset (with or without ':'), Go's default format with a trailing zone name, RFC 2822 and
    RFC 822 with a two-digit year. A time without offset is read in default_zone.
    Raises ValueError naming the text.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, datetime.min.time())
    else:
        parsed = _parse_text(str(value).strip())
    if parsed.tzinfo is None:
        try:
            parsed = parsed.replace(tzinfo=zone(default_zone))
        except TimeSyntaxError as exc:
            raise ValueError(exc.message) from None
    return parsed


def _parse_text(text: str) -> datetime:
    if not text:
        raise ValueError("empty time")
    try:  # the common case: what the Statuspage API writes
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        pass
    candidate = text
    if m := _GO_DEFAULT.match(text):
        candidate = f"{m[1]}{m[2]}"
    candidate = _SHORT_OFFSET.sub(r"\1:\2", candidate) if re.search(r"\d[+-]\d{4}$", candidate) else candidate
    candidate = re.sub(r"\s+([+-]\d{2}:\d{2}|Z)$", r"\1", candidate)
    try:
        return datetime.fromisoformat(candidate.replace("z", "Z"))
    except ValueError:
        pass
    if m := _RFC822_SHORT.match(text):  # 24 Feb 21 12:35 +0200 (Hugo accepts it)
        day, month, year, clock, rest = m.groups()
        text = f"{day} {month} 20{year} {clock if clock.count(':') == 2 else clock + ':00'} {rest or '+0000'}"
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        raise ValueError(f"cannot read '{text}' as a date and time")
    return parsed


def whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def settle_updates(updates: list[UpdateDraft], source: str, title: str, problems: list[Problem]) -> list[UpdateDraft]:
    """Oldest first, whole seconds, and no two at the same second (the content format needs
    each update at its own time): a clash moves the later one by a second, and says so."""
    ordered = [
        replace(u, at=whole_seconds(u.at))
        for u in sorted(updates, key=lambda u: (u.at.astimezone(timezone.utc), u.stage.value, u.body))
    ]
    result: list[UpdateDraft] = []
    for u in ordered:
        if result and u.at <= result[-1].at:
            moved = result[-1].at + timedelta(seconds=1)
            problems.append(Problem(source, f"'{title}': two updates at {u.at:%Y-%m-%d %H:%M:%S}; "
                                            f"the {u.stage.label} update was moved by {(moved - u.at).seconds} s"))  # fmt: skip
            u = replace(u, at=moved.astimezone(u.at.tzinfo))
        result.append(u)
    return result


def format_time(moment: datetime, tz_name: str) -> str:
    """'2026-11-20 14:05 +01:00' in the site's zone; seconds only when there are some."""
    local = moment.astimezone(zone(tz_name))
    offset = local.strftime("%z")
    clock = "%H:%M:%S" if local.second else "%H:%M"
    return f"{local.strftime('%Y-%m-%d ' + clock)} {offset[:3]}:{offset[3:5]}"


CLOSING_TEXT = {
    Kind.INCIDENT: "This incident has been resolved.",
    Kind.MAINTENANCE: "The scheduled maintenance has been completed.",
}


def close_timeline(
    updates: list[UpdateDraft], closed: bool, resolved: datetime | None, kind: Kind, tz_name: str,
    source: str, title: str, problems: list[Problem],
) -> tuple[list[UpdateDraft], datetime | None]:
    """Make a settled timeline tell one story of resolution, as the content format and `check` want:
    one Resolved (Completed) update, the last but postmortems, and `resolved` at its time.

    - A Resolved update followed by more work (the incident was reopened) becomes an Update that
      starts with '**Resolved**'.
    - Resolved updates after the first final one (follow-up notes) are added to its text, each
      with its time, since after resolution only postmortems may follow.
    - A closed incident without a Resolved update gets one at `resolved`, saying only that it was
      resolved; an update posted at that very second is relabelled instead, unless it describes
      the problem (Investigating, Identified, Scheduled): then the new one comes a second later.
    Returns the updates and the resolved time (None: open).
    """
    closing = Stage.COMPLETED if kind is Kind.MAINTENANCE else Stage.RESOLVED
    word = closing.label
    later_work = [n for n, u in enumerate(updates) if u.stage not in (closing, Stage.POSTMORTEM)]
    last_work = later_work[-1] if later_work else -1
    result: list[UpdateDraft] = []
    reopened = False
    for n, u in enumerate(updates):
        if u.stage is closing and n < last_work:
            reopened = True
            u = replace(u, stage=Stage.UPDATE, body=_labelled(word, u.body))
        result.append(u)
    if reopened:
        problems.append(Problem(source, f"'{title}' was reopened after a {word} update; that update is "
                                        "imported as an Update starting with its label"))  # fmt: skip
    finals = [n for n, u in enumerate(result) if u.stage is closing]
    if finals:
        first = finals[0]
        extra = [result[n] for n in finals[1:]]
        if extra:
            body = result[first].body
            for u in extra:
                body += f"\n\n**{word}, {format_time(u.at, tz_name)}:** {u.body}".rstrip()
            result[first] = replace(result[first], body=body.strip("\n"))
            result = [u for n, u in enumerate(result) if n not in finals[1:]]
            problems.append(Problem(source, f"'{title}' has {len(extra)} more {word} update(s) after the first; "
                                            f"their text was added to the first {word} update"))  # fmt: skip
        if not closed:
            problems.append(Problem(source, f"'{title}' is marked open but ends with a {word} update; imported "
                                            "as resolved at that update"))  # fmt: skip
        return result, result[first].at
    if not closed:
        return result, None
    if resolved is None:
        resolved = result[-1].at if result else None
    if resolved is None:
        problems.append(Problem(source, f"'{title}' is resolved but has no time for it; imported as open"))
        return result, None
    resolved = whole_seconds(resolved)
    same = [n for n, u in enumerate(result) if u.at == resolved]
    if same and result[same[0]].stage in (Stage.INVESTIGATING, Stage.IDENTIFIED, Stage.SCHEDULED):
        resolved, same = resolved + timedelta(seconds=1), []  # that update describes the problem, not its end
    if same:
        u = result[same[0]]
        body = u.body if u.stage is Stage.UPDATE else _labelled(u.stage.label, u.body)
        result[same[0]] = replace(u, stage=closing, body=body)
        problems.append(Problem(source, f"'{title}' has no {word} update; the update at the time it was "
                                        f"resolved is imported as {word}"))  # fmt: skip
    else:
        result = sorted(result + [UpdateDraft(resolved, closing, CLOSING_TEXT[kind])], key=lambda u: u.at)
        problems.append(Problem(source, f"'{title}' has no {word} update; one saying "
                                        f"\"{CLOSING_TEXT[kind]}\" was added at {format_time(resolved, tz_name)}"))  # fmt: skip
    return result, resolved


def _labelled(label: str, body: str) -> str:
    return f"**{label}** — {body}" if body else f"**{label}**"


def worst(statuses: list[ComponentStatus]) -> ComponentStatus:
    return max(statuses, key=lambda s: s.rank)


IMPACT_FOR_STATUS = {
    ComponentStatus.OPERATIONAL: Impact.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Impact.NONE,
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
}

# For incidents that name no component: the content format needs at least one service.
GENERAL_SERVICE_NAME = "General"
GENERAL_SERVICE_DESCRIPTION = "Imported incidents that named no component"
OTHER_GROUP = "Other"


class SourceError(Exception):
    """A source file that cannot be read at all: the import stops and names it."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message
