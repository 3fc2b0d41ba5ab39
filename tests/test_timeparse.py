"""Timestamps, durations and next-update promises as people write them in incident files."""

from datetime import datetime, timedelta, timezone

import pytest

from statusgen.timeparse import (
    TimeSyntaxError,
    format_duration,
    parse_duration,
    parse_next_update,
    parse_timestamp,
)

UTC = timezone.utc
BERLIN = "Europe/Berlin"


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-20T14:05:00+01:00", utc(2026, 11, 20, 13, 5)),
        ("2026-11-20T13:05Z", utc(2026, 11, 20, 13, 5)),
        ("2026-11-20 14:05 +01:00", utc(2026, 11, 20, 13, 5)),
        ("2026-11-20 14:05 +0100", utc(2026, 11, 20, 13, 5)),
        ("2026-11-20 14:05:30 -05:00", utc(2026, 11, 20, 19, 5, 30)),
        ("2026-11-20 14:05 UTC", utc(2026, 11, 20, 14, 5)),
        ("2026-11-20 14:05 America/New_York", utc(2026, 11, 20, 19, 5)),
        ("2026-07-20 14:05 Europe/Berlin", utc(2026, 7, 20, 12, 5)),  # summer time
        ("2026-11-20 14:05", utc(2026, 11, 20, 13, 5)),  # naive: the site's zone
        ("2026-07-20 14:05", utc(2026, 7, 20, 12, 5)),
    ],
)
def test_accepted_timestamp_forms(text, expected):
    assert parse_timestamp(text, BERLIN) == expected


@pytest.mark.parametrize(
    "text, words",
    [
        ("yesterday", "cannot read"),
        ("2026-13-01 10:00 +01:00", "not a real date"),
        ("2026-02-30 10:00", "not a real date"),
        ("2026-11-20 25:00", "not a real date"),
        ("2026-11-20 14:05 Mars/Olympus", "unknown time zone"),
        ("2026-11-20 14:05 +15:00", "not a valid UTC offset"),
        ("2026-03-29 02:30 Europe/Berlin", "does not exist"),  # spring forward gap
        ("2026-10-25 02:30", "happens twice"),  # fall back: ambiguous without an offset
    ],
)
def test_rejected_timestamps_say_why(text, words):
    with pytest.raises(TimeSyntaxError) as err:
        parse_timestamp(text, BERLIN)
    assert words in err.value.message
    assert err.value.hint


def test_ambiguous_time_is_fine_with_an_offset():
    assert parse_timestamp("2026-10-25 02:30 +01:00", BERLIN) == utc(2026, 10, 25, 1, 30)
    assert parse_timestamp("2026-10-25 02:30 +02:00", BERLIN) == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(
    "text, minutes",
    [("20m", 20), ("1h", 60), ("1h30m", 90), ("90 minutes", 90), ("2 hours", 120), ("an hour", 60),
     ("1 hour 15 minutes", 75), ("1.5h", 90), ("45 min", 45)],
)  # fmt: skip
def test_durations(text, minutes):
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["soon", "0m", "20 parsecs", "20m and then some", ""])
def test_bad_durations(text):
    with pytest.raises(TimeSyntaxError):
        parse_duration(text)


def test_format_duration():
    assert format_duration(timedelta(minutes=95)) == "1 h 35 min"
    assert format_duration(timedelta(minutes=20)) == "20 min"
    assert format_duration(timedelta(days=3, hours=4)) == "3 d 4 h"


POSTED = parse_timestamp("2026-11-20 14:25 +01:00", BERLIN)


@pytest.mark.parametrize(
    "rest, due",
    [
        (" by 14:45", utc(2026, 11, 20, 13, 45)),
        (" by 14:45.", utc(2026, 11, 20, 13, 45)),
        (" by 14:45 CET", utc(2026, 11, 20, 13, 45)),
        (" by 14:45 +01:00", utc(2026, 11, 20, 13, 45)),
        (" by 13:45 UTC", utc(2026, 11, 20, 13, 45)),
        (" at 08:00", utc(2026, 11, 21, 7, 0)),  # the next 08:00 is tomorrow
        (": 2026-11-20 16:00 +01:00", utc(2026, 11, 20, 15, 0)),
        (" in 30 minutes", utc(2026, 11, 20, 13, 55)),
        (" within 1 hour.", utc(2026, 11, 20, 14, 25)),
    ],
)
def test_next_update_promises(rest, due):
    assert parse_next_update(rest, POSTED, BERLIN) == due


def test_next_update_duration_counts_real_time_across_dst():
    posted = parse_timestamp("2026-03-29 01:52 Europe/Berlin", BERLIN)  # 20 min later clocks read 03:12
    assert parse_next_update(" in 20 minutes", posted, BERLIN) == utc(2026, 3, 29, 1, 12)


@pytest.mark.parametrize("rest", [" by teatime", " by 14:45 PST", " soon", " by 25:00"])
def test_unreadable_promises(rest):
    with pytest.raises(TimeSyntaxError):
        parse_next_update(rest, POSTED, BERLIN)
