"""Reading the timestamps, durations and next-update promises people write in content.

Every function returns a value or raises TimeSyntaxError with a message and a hint; none reads
the clock. Accepted timestamps (DESIGN.md §1):
  2026-11-20T14:05:00+01:00   2026-11-20T13:05Z   2026-11-20 14:05 +01:00   2026-11-20 14:05:30 UTC
  2026-11-20 14:05 Europe/Berlin   2026-11-20 14:05 (read in the site's zone)
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class TimeSyntaxError(ValueError):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


TIMESTAMP_HINT = "write e.g. '2026-11-20 14:05 +01:00', '2026-11-20T13:05:00Z' or '2026-11-20 14:05 Europe/Berlin'"

_DATE = r"(?P<date>\d{4}-\d{2}-\d{2})"
_TIME = r"(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
_OFFSET = r"(?P<offset>[Zz]|[+-]\d{2}(?::?\d{2})?)"
_ZONE = r"(?P<zone>[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*)"
_TIMESTAMP_RE = re.compile(rf"^{_DATE}(?:[Tt]|\s+){_TIME}(?:\s*{_OFFSET}|\s+{_ZONE})?$")
# The form nearly every timestamp has ('2026-11-20 14:05 +01:00'), read without the general path's
# splitting and checks (3x faster); whatever it does not turn into a datetime goes the general way.
_COMMON_TIMESTAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d) ([+-]\d\d:\d\d)", re.ASCII)

UTC_NAMES = {"UTC", "GMT", "Z", "Etc/UTC"}
# Bounds that keep every date arithmetic in range (datetime ends at year 9999): a year 9999 time
# with an offset, or a promise a day after it, raised OverflowError.
MIN_YEAR, MAX_YEAR = 1900, 9000
MAX_DURATION = timedelta(days=3660)


@lru_cache(maxsize=None)
def zone(name: str) -> tzinfo:
    """The IANA zone called name; raises TimeSyntaxError for an unknown one."""
    if name in UTC_NAMES:
        return timezone.utc
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*", name):
        raise TimeSyntaxError(f"'{name}' is not a time zone name", "use an IANA name such as 'Europe/Berlin' or 'UTC'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeSyntaxError(
            f"unknown time zone '{name}'", "use an IANA name such as 'Europe/Berlin', 'America/New_York' or 'UTC'"
        ) from None


@lru_cache(maxsize=4096)  # a site writes a few offsets thousands of times; one timezone object each
def _parse_offset(text: str) -> timezone:
    if text in ("Z", "z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        raise TimeSyntaxError(f"'{text}' is not a valid UTC offset", "offsets run from -12:00 to +14:00")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach a zone to a wall-clock time, refusing times that DST makes missing or ambiguous."""
    aware = naive.replace(tzinfo=tz)
    if isinstance(tz, ZoneInfo):
        other = naive.replace(tzinfo=tz, fold=1)
        if aware.utcoffset() != other.utcoffset():
            as_utc = aware.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
            problem = "does not exist" if as_utc != naive else "happens twice"
            raise TimeSyntaxError(
                f"{naive:%Y-%m-%d %H:%M} {problem} in {tz.key} (daylight saving time change)",
                "add the UTC offset to say which moment you mean, e.g. '+01:00' or '+02:00'",
            )
    return aware


def parse_timestamp(text: str, default_zone: str) -> datetime:
    """An aware datetime from one of the accepted forms; naive times are read in default_zone."""
    raw = str(text).strip()
    if common := _COMMON_TIMESTAMP.fullmatch(raw):
        year, month, day_, hour, minute, offset = common.groups()
        if MIN_YEAR <= int(year) <= MAX_YEAR:
            try:
                return datetime(int(year), int(month), int(day_), int(hour), int(minute), tzinfo=_parse_offset(offset))
            except ValueError:  # not a real date or time, or offset out of range: the full path says which
                pass
    m = _TIMESTAMP_RE.match(raw)
    if not m:
        raise TimeSyntaxError(f"cannot read '{raw}' as a date and time", TIMESTAMP_HINT)
    try:
        day = date.fromisoformat(m["date"])
        hh, mm, *rest = m["time"].split(":")
        seconds = float(rest[0]) if rest else 0.0
        clock = time(int(hh), int(mm), int(seconds), int(round((seconds % 1) * 1_000_000)))
    except ValueError as exc:
        raise TimeSyntaxError(f"'{raw}' is not a real date and time ({exc})", TIMESTAMP_HINT) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise TimeSyntaxError(f"'{raw}' is not between the years {MIN_YEAR} and {MAX_YEAR}", TIMESTAMP_HINT)
    naive = datetime.combine(day, clock)
    if m["offset"]:
        return naive.replace(tzinfo=_parse_offset(m["offset"]))
    return localize(naive, zone(m["zone"] or default_zone))


_DURATION_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)(?![a-z])", re.IGNORECASE
)
DURATION_HINT = "write e.g. '20m', '1h', '1h30m', '90 minutes' or '2 hours'"


_ARTICLE = re.compile(r"\b(an|a)\s+(hour|minute|day)\b", re.IGNORECASE)
_AND = re.compile(r"\b(and|,)\b")


def parse_duration(text: str) -> timedelta:
    return _parse_duration(str(text))


@lru_cache(maxsize=1024)  # every update's 'Next update in 30 minutes' is one of a few texts
def _parse_duration(text: str) -> timedelta:
    raw = text.strip().rstrip(".")
    words = _ARTICLE.sub(r"1 \2", raw)
    words = _AND.sub(" ", words)
    pos, total = 0, timedelta()
    parts = 0
    for m in _DURATION_PART.finditer(words):
        if words[pos : m.start()].strip(" ,"):
            break
        amount, unit = float(m[1]), m[2].lower()[0]
        try:
            total += timedelta(**{{"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}[unit]: amount})
        except OverflowError:
            total = MAX_DURATION * 2
        pos, parts = m.end(), parts + 1
    if not parts or words[pos:].strip(" ,"):
        raise TimeSyntaxError(f"cannot read '{raw}' as a duration", DURATION_HINT)
    if total <= timedelta():
        raise TimeSyntaxError(f"'{raw}' is not a positive duration", DURATION_HINT)
    if total > MAX_DURATION:
        raise TimeSyntaxError(f"'{raw}' is longer than ten years", DURATION_HINT)
    return total


def format_duration(delta: timedelta) -> str:
    """'1 h 35 min', '20 min', '3 d 4 h' — for durations shown to readers."""
    minutes = int(delta.total_seconds() // 60)
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


# A promise of the next update: a line of its own that starts with "Next update".
NEXT_UPDATE_LINE = re.compile(r"^\s*(?:[*_]{1,2})?next update\b(?P<rest>.*)$", re.IGNORECASE)
_NEXT_BY = re.compile(r"^\s*(?:by|at|before|:)\s*(?P<when>.+?)\s*[.!]?(?:[*_]{1,2})?\s*$", re.IGNORECASE)
_NEXT_IN = re.compile(r"^\s*(?:in|within)\s+(?P<dur>.+?)\s*[.!]?(?:[*_]{1,2})?\s*$", re.IGNORECASE)
_CLOCK = re.compile(rf"^{_TIME}(?:\s*{_OFFSET}|\s+{_ZONE})?$")
NEXT_UPDATE_HINT = (
    "write the promise on its own line as 'Next update by 14:45', 'Next update by 14:45 +01:00', "
    "'Next update by 2026-11-20 14:45 +01:00', 'Next update in 30 minutes' or 'Next update within 1 hour'"
)


def parse_next_update(rest: str, posted: datetime, site_zone: str) -> datetime:
    """When a 'Next update …' line (rest is the text after 'Next update') promises the next update.

    A bare wall-clock time is read in the zone of the update it appears in and means its next
    occurrence after the update was posted. A zone abbreviation (CET, EST…) is accepted only when it
    is what the site's zone is called at that moment, since abbreviations are ambiguous.
    """
    if (delay := _promised_delay(rest)) is not None:  # elapsed time, so add in UTC: wall clocks jump at DST changes
        return posted.astimezone(timezone.utc) + delay
    m = _NEXT_BY.match(rest)
    if not m:
        raise TimeSyntaxError("cannot read this next-update promise", NEXT_UPDATE_HINT)
    when = m["when"]
    if _TIMESTAMP_RE.match(when):
        return parse_timestamp(when, site_zone).astimezone(timezone.utc)
    clock = _CLOCK.match(when)
    if not clock:
        raise TimeSyntaxError(f"cannot read '{when}' as a time", NEXT_UPDATE_HINT)
    tz: tzinfo = posted.tzinfo  # type: ignore[assignment]
    if clock["offset"]:
        tz = _parse_offset(clock["offset"])
    elif name := clock["zone"]:
        tz = _zone_from_word(name, posted, site_zone)
    local_posted = posted.astimezone(tz)
    hh, mm, *_ = clock["time"].split(":")
    try:
        wall = time(int(hh), int(mm))
    except ValueError:
        raise TimeSyntaxError(f"'{clock['time']}' is not a time of day", NEXT_UPDATE_HINT) from None
    candidate = datetime.combine(local_posted.date(), wall)
    if candidate <= local_posted.replace(tzinfo=None):
        candidate += timedelta(days=1)
    due = localize(candidate, tz) if isinstance(tz, ZoneInfo) else candidate.replace(tzinfo=tz)
    return due.astimezone(timezone.utc)


@lru_cache(maxsize=1024)  # most promises are one of a few texts such as ' in 30 minutes.'
def _promised_delay(rest: str) -> timedelta | None:
    """The delay a promise of the form 'in …' or 'within …' names, or None for another form."""
    m = _NEXT_IN.match(rest)
    return parse_duration(m["dur"]) if m else None


def _zone_from_word(word: str, posted: datetime, site_zone: str) -> tzinfo:
    if word.upper() in UTC_NAMES:
        return timezone.utc
    if "/" in word:
        return zone(word)
    site_tz = zone(site_zone)
    if posted.astimezone(site_tz).tzname() == word.upper():
        return site_tz
    raise TimeSyntaxError(
        f"'{word}' is not the site's time zone at that moment ({posted.astimezone(site_tz).tzname()})",
        "time zone abbreviations are ambiguous: write an offset such as '+01:00', 'UTC', or an IANA name",
    )
