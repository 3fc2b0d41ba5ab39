"""Scheduled maintenance as iCalendar (RFC 5545): maintenance.ics and services/<id>/maintenance.ics.

Calendar apps subscribe to these and re-read them, so every value is derived from content and
identical input gives identical bytes:
- UID is '<incident id>@<site host>', so an event keeps its identity when it is edited.
- DTSTAMP/LAST-MODIFIED is the time of the latest update published by `now` (else when the
  maintenance was first posted); never the clock.
- SEQUENCE is the number of updates published by `now`, less one: each update is a revision.
  Moving a window is announced with an update, and that update raises SEQUENCE so calendar apps
  replace the old times.
- DTSTART/DTEND are wall-clock times in the site's zone with TZID, plus a VTIMEZONE generated from
  the IANA rules for the years the calendar spans: apps show the zone the team wrote in, and the
  calendar always holds a component even before the first maintenance (RFC 5545 requires one).
  A time that a DST change makes ambiguous is written in UTC instead, which is always exact.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from urllib.parse import urlsplit

from statusgen import urls
from statusgen.markdown import plain_text
from statusgen.model import Incident, Site
from statusgen.render import Output
from statusgen.timeparse import zone

PRODID = "-//statusgen//Status page maintenance calendar//EN"
REFRESH = "PT1H"  # how often subscribed apps should re-read the calendar
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# ---------------------------------------------------------------- RFC 5545 syntax


def escape_text(text: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newlines escaped, other controls dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\\n".join(
        _CONTROL.sub("", line).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,") for line in lines
    )


def fold(line: str) -> bytes:
    """One content line folded at 75 octets (never inside a UTF-8 sequence), CRLF-terminated:
    each piece holds as many whole characters as fit, after the first behind one space."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return data + b"\r\n"
    pieces = []
    start, room = 0, 75
    while len(data) - start > room:
        cut = start + room
        while data[cut] & 0xC0 == 0x80:  # inside a character (a continuation byte): cut before it
            cut -= 1
        pieces.append(data[start:cut])
        start, room = cut, 74
    pieces.append(data[start:])
    return b"\r\n ".join(pieces) + b"\r\n"


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _offset(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    h, rem = divmod(abs(seconds), 3600)
    m, s = divmod(rem, 60)
    return f"{sign}{h:02d}{m:02d}" + (f"{s:02d}" if s else "")


def _param(value: str) -> str:
    return f'"{value}"' if re.search(r'[:;,]', value) else value


# ---------------------------------------------------------------- time zone


def transitions(tz: tzinfo, start: datetime, end: datetime) -> list[datetime]:
    """The UTC instants in [start, end) where the zone's UTC offset changes."""
    found = []
    day = timedelta(days=1)
    t = start
    b = t.astimezone(tz).utcoffset()
    while t < end:
        a, b = b, (t + day).astimezone(tz).utcoffset()
        if a != b:
            lo, hi = t, t + day  # offset(lo) == a, offset(hi) != a
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid.astimezone(tz).utcoffset() == a:
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        t += day
    return found


def vtimezone(name: str, tz: tzinfo, first_year: int, last_year: int) -> list[str]:
    """A VTIMEZONE with one observance per offset change from 1 January of first_year to the end
    of last_year, and one for the offset in force at the start."""
    start = datetime(first_year, 1, 1, tzinfo=timezone.utc)
    end = datetime(last_year + 1, 1, 1, tzinfo=timezone.utc)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    for onset in [start, *transitions(tz, start, end)]:
        before = (onset - timedelta(seconds=1)).astimezone(tz).utcoffset() if onset != start else None
        local = onset.astimezone(tz)
        after = local.utcoffset()
        before = before if before is not None else after
        kind = "DAYLIGHT" if local.dst() else "STANDARD"
        lines += [
            f"BEGIN:{kind}",
            # the onset as the wall-clock time just before the change (RFC 5545 §3.6.5)
            f"DTSTART:{(onset.replace(tzinfo=None) + before):%Y%m%dT%H%M%S}",
            f"TZOFFSETFROM:{_offset(before)}",
            f"TZOFFSETTO:{_offset(after)}",
            f"TZNAME:{escape_text(local.tzname() or name)}",
            f"END:{kind}",
        ]
    return lines + ["END:VTIMEZONE"]


def _local(prop: str, moment: datetime, name: str, tz: tzinfo) -> str:
    """DTSTART;TZID=…:local, or UTC when the wall-clock time would not say which instant it is."""
    local = moment.astimezone(tz).replace(tzinfo=None)
    if local.replace(tzinfo=tz, fold=0).astimezone(timezone.utc) != moment.astimezone(timezone.utc):
        return f"{prop}:{_utc(moment)}"
    return f"{prop};TZID={_param(name)}:{local:%Y%m%dT%H%M%S}"


# ---------------------------------------------------------------- events


def _when(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def description(site: Site, m: Incident, now: datetime, tz: tzinfo) -> str:
    assert m.window is not None
    start, end = m.window.start.astimezone(tz), m.window.end.astimezone(tz)
    until = f"{end:%H:%M} {end.tzname()}" if end.date() == start.date() else _when(end, tz)
    parts = [
        f"When: {start:%Y-%m-%d %H:%M}–{until}" if end.date() == start.date() else f"When: {_when(start, tz)} – {until}",
        "Affected: " + ", ".join(site.service(sid).name for sid in m.service_ids),
    ]
    if summary := plain_text(m.summary):
        parts.append(summary)
    posted = [u for u in m.updates if u.at <= now]
    if posted:
        last = posted[-1]
        parts.append(f"Latest update ({last.stage.label}, {_when(last.at, tz)}):\n{plain_text(last.body)}")
    parts.append("Details: " + urls.absolute(site, urls.incident(m.id)))
    return "\n\n".join(parts)


def event(site: Site, m: Incident, now: datetime, tz: tzinfo, host: str) -> list[str]:
    assert m.window is not None
    posted = [u for u in m.updates if u.at <= now]
    revised = posted[-1].at if posted else m.started
    return [
        "BEGIN:VEVENT",
        f"UID:{escape_text(m.id)}@{host}",
        f"DTSTAMP:{_utc(revised)}",
        f"LAST-MODIFIED:{_utc(revised)}",
        f"SEQUENCE:{max(len(posted) - 1, 0)}",
        _local("DTSTART", m.window.start, site.timezone, tz),
        _local("DTEND", m.window.end, site.timezone, tz),
        f"SUMMARY:{escape_text('Maintenance: ' + m.title)}",
        f"DESCRIPTION:{escape_text(description(site, m, now, tz))}",
        f"URL:{urls.absolute(site, urls.incident(m.id))}",
        "STATUS:CONFIRMED",  # the content format has no cancelled maintenance
        "TRANSP:TRANSPARENT",  # a maintenance window must not make subscribers look busy
        "END:VEVENT",
    ]


def _folded(lines: list[str]) -> bytes:
    return b"".join(fold(line) for line in lines)


def calendar(site: Site, name: str, timezone_part: bytes, event_parts: list[bytes]) -> bytes:
    """A calendar around its VTIMEZONE and events, each already folded (render shares them)."""
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"X-WR-CALDESC:{escape_text('Scheduled maintenance from ' + site.base_url)}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}",
        f"X-PUBLISHED-TTL:{REFRESH}",
    ]
    return b"".join((_folded(head), timezone_part, *event_parts, fold("END:VCALENDAR")))


def render(site: Site, now: datetime) -> list[Output]:
    items = [i for i in site.incidents if i.is_maintenance and i.window is not None]
    items.sort(key=lambda i: (i.window.start, i.id))  # type: ignore[union-attr]
    tz = zone(site.timezone)
    # One VTIMEZONE for every calendar of the site: the years its maintenance windows touch.
    years_seen = [t.astimezone(tz).year for i in items for t in (i.window.start, i.window.end)]  # type: ignore[union-attr]
    years = (min(years_seen), max(years_seen)) if years_seen else (1970, 1970)
    # Each part is written once and shared by the site's calendar and its services' ones.
    timezone_part = _folded(vtimezone(site.timezone, tz, *years))
    host = urlsplit(site.base_url).hostname or "statusgen.invalid"
    events = {id(m): _folded(event(site, m, now, tz, host)) for m in items}
    out = [("maintenance.ics", calendar(site, f"{site.title} – maintenance", timezone_part, list(events.values())))]
    for service in site.services:
        mine = [events[id(i)] for i in items if service.id in i.service_ids]
        name = f"{site.title} – {service.name} maintenance"
        out.append((f"services/{service.id}/maintenance.ics", calendar(site, name, timezone_part, mine)))
    return sorted(out)
