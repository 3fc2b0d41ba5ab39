"""`statusgen next-change`: when the built site stops being true, so a scheduler rebuilds exactly then.

Two questions, one answer format:
- with --site-dir DIR (or --file FILE, '-' for stdin, e.g. the live site's file fetched with curl):
  read what that build recorded in api/next-change.json and tell whether its time has come;
- with --content DIR (the default): what a build at --now would record.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from statusgen.cli import add_now_option, resolve_now
from statusgen.render.expiry import PATH
from statusgen.timeparse import TimeSyntaxError, format_duration, parse_timestamp

VALID, ERROR, PAST = 0, 1, 3

EPILOG = f"""\
examples:
  statusgen next-change --site-dir public       is the built site in public/ still true?
  curl -fsS https://status.example.com/{PATH} | statusgen next-change --file -
                                                is the live site still true?
  statusgen next-change --content content       when would a build made now expire?

Exit status: {VALID} while the site is still true (or nothing will change until the content does),
{PAST} when valid_until has come: rebuild and deploy now. {ERROR} when the file or the content cannot be
read, 2 on wrong usage. --now defaults to the clock; SOURCE_DATE_EPOCH is ignored, because the
question is about the real time. See README.md, "How fresh the site is"."""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "next-change",
        help="when the built site stops being true (for schedulers)",
        description="Print the next instant at which the site would build differently (a maintenance "
        "window starts or ends, an open incident's next update falls due, uptime bars move at midnight) "
        "and why. The exit status tells whether that instant has already come.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument("--content", metavar="DIR", type=Path, help="the status repo (default: content/)")
    source.add_argument("--site-dir", metavar="DIR", type=Path, help=f"a built site: reads DIR/{PATH}")
    source.add_argument("--file", metavar="FILE", help=f"a copy of {PATH}; '-' reads stdin")
    add_now_option(p)
    p.add_argument("--json", action="store_true", help="print the record as JSON, with \"past\": true|false")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    now = resolve_now(args.now, {})
    if args.site_dir is not None or args.file is not None:
        try:
            record = read_record(args.site_dir, args.file)
        except (OSError, ValueError) as exc:
            print(f"statusgen next-change: error: {exc}", file=sys.stderr)
            return ERROR
    else:
        from statusgen.build import load_site
        from statusgen.render.expiry import record as make_record

        record = make_record(load_site(args.content or Path("content")), now)
    until = _instant(record["valid_until"])
    past = until is not None and now >= until
    if args.json:
        print(json.dumps({**record, "past": past}, indent=2, ensure_ascii=False))
    else:
        print(describe(record, until, now, past))
    return PAST if past else VALID


def read_record(site_dir: Path | None, file: str | None) -> dict[str, str | None]:
    """The recorded {generated_at, valid_until, reason}; ValueError if it is not such a record."""
    if file == "-":
        text, where = sys.stdin.read(), "stdin"
    else:
        path = site_dir / PATH if site_dir is not None else Path(file or "")
        if site_dir is not None and not path.is_file():
            raise ValueError(f"{path} does not exist: is {site_dir} a site built by statusgen 'build'?")
        text, where = path.read_text(encoding="utf-8"), str(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not {"generated_at", "valid_until"} <= data.keys():
        raise ValueError(f"{where} has no generated_at and valid_until: not a {PATH}")
    record = {key: data.get(key) for key in ("generated_at", "valid_until", "reason")}
    for key, value in record.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{where}: {key} must be a string or null")
    for key in ("generated_at", "valid_until"):
        try:
            _instant(record[key])
        except TimeSyntaxError as exc:
            raise ValueError(f"{where}: {key}: {exc}") from None
    return record


def describe(record: dict[str, str | None], until: datetime | None, now: datetime, past: bool) -> str:
    reason = _printable(record["reason"] or "")
    if until is None:
        return "never expires: nothing on the site changes with time until the content does"
    if past:
        return (f"out of date since {record['valid_until']} ({_length(now - until)} ago): {reason}"
                " — rebuild now")  # fmt: skip
    return f"valid until {record['valid_until']} (in {_length(until - now)}): {reason}"


def _length(delta: timedelta) -> str:
    return f"{int(delta.total_seconds())} s" if delta < timedelta(minutes=1) else format_duration(delta)


def _instant(text: str | None) -> datetime | None:
    return parse_timestamp(text, "UTC").astimezone(timezone.utc) if text else None


def _printable(text: str) -> str:
    # A file fetched from a server may hold anything: never pass terminal control sequences through.
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
