"""`statusgen new`, `update` and `resolve`: post and follow up an incident in seconds.

The path of the file written goes to stdout (so `$EDITOR "$(statusgen new …)"` works); everything
meant for people goes to stderr. Only site.yaml and the one incident file are read, so a broken
file elsewhere in the repo never stops an update from being posted.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

from statusgen.cli import add_content_option, add_now_option, resolve_now
from statusgen.edit import (
    EditError,
    add_update,
    clock_time,
    create_new,
    duration_words,
    encode,
    fill,
    format_stamp,
    is_maintenance,
    join_names,
    layout,
    new_file_text,
    parse_stage,
    promise_line,
    read_incident,
    set_front_value,
    slugify,
    write_atomic,
)
from statusgen.errors import ContentError, Diagnostic, did_you_mean
from statusgen.load import read_source, read_text
from statusgen.model import Impact, Reporter, Site, Stage
from statusgen.timeparse import (
    NEXT_UPDATE_LINE,
    TimeSyntaxError,
    localize,
    parse_duration,
    parse_next_update,
    parse_timestamp,
    zone,
)
from statusgen.yamlnodes import Mapping, Scalar, YamlError, parse_yaml

TEMPLATE_DIR = "incident-templates"
TEMPLATE_KEYS = {"title", "impact", "type", "duration"}

NEW_EPILOG = """\
examples:
  statusgen new --title "Elevated errors on the Public API" --services api --impact major
  statusgen new --template db-degraded --services dashboard --reported-by customer
  statusgen new maintenance --title "Database upgrade" --services dashboard --start "2026-12-01 02:00" --duration 2h
  $EDITOR "$(statusgen new --title … --services … --impact minor)"

The file is written to incidents/<year>/<date>-<title>.md with `started` = now in the site's time
zone and a first update (Investigating, or Scheduled for maintenance) ready to edit; its path is
printed. Missing options are asked for when run in a terminal."""

UPDATE_EPILOG = """\
examples:
  statusgen update 2026-11-20-eu-api-errors identified "A faulty load balancer config returns 502s; rolling back."
  statusgen update 2026-11-20-eu-api-errors monitoring "Error rates are normal since 14:32." --next 1h
  echo "longer text" | statusgen update 2026-11-20-eu-api-errors update -

ID is the file name without .md (or the incident's `id:`), or a path. Each update ends with a
next-update promise (the site's interval unless --next says otherwise, none with --no-next)."""

RESOLVE_EPILOG = """\
example:
  statusgen resolve 2026-11-20-eu-api-errors "Between 14:05 and 14:32 CET about 30% of API requests failed. Failed requests can be retried."

Adds the final Resolved update (Completed, for maintenance) and sets `resolved:` to its time, or to
--ended (when the impact ended). Say what was affected, from when to when, and whether readers need
to do anything."""


def register(subparsers) -> None:
    p = subparsers.add_parser("new", help="start an incident or maintenance file", epilog=NEW_EPILOG,
                              description="Write a new incident (or maintenance) file with its first update.",
                              formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("kind", nargs="?", choices=("incident", "maintenance"), default=None,
                   help="incident (default, or the template's type) or maintenance")  # fmt: skip
    p.add_argument("--title", help="service and symptom, e.g. 'Slow responses from the Public API'")
    p.add_argument("--services", help="affected service ids, comma-separated, e.g. api,dashboard")
    p.add_argument("--impact", choices=[i.value for i in Impact], help="none, minor, major or critical")
    p.add_argument("--template", metavar="NAME", help=f"start from <content>/{TEMPLATE_DIR}/NAME.md")
    p.add_argument("--message", metavar="TEXT", help="the text of the first update")
    p.add_argument("--started", metavar="TIME", help="when the problem began, if before now (site time zone)")
    p.add_argument("--reported-by", choices=[r.value for r in Reporter], help="who noticed first")
    p.add_argument("--start", metavar="TIME", help="maintenance: start of the window (site time zone)")
    p.add_argument("--end", metavar="TIME", help="maintenance: end of the window")
    p.add_argument("--duration", metavar="DURATION", help="maintenance: length of the window instead of --end")
    p.add_argument("--next", metavar="DURATION", help="next update promised in (default: the site's interval)")
    add_content_option(p)
    add_now_option(p)
    p.set_defaults(func=run_new)

    u = subparsers.add_parser("update", help="add an update to an incident", epilog=UPDATE_EPILOG,
                              description="Add a timestamped update to an incident, changing nothing else in the file.",
                              formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    u.add_argument("id", metavar="ID", help="incident id (file name without .md) or path")
    u.add_argument("stage", metavar="STAGE",
                   help="investigating, identified, monitoring, update, postmortem; maintenance: in_progress, verifying")  # fmt: skip
    u.add_argument("text", metavar="TEXT", help="the update's text; '-' reads it from stdin")
    promise = u.add_mutually_exclusive_group()
    promise.add_argument("--next", metavar="WHEN", help="next update in a duration (30m, 1h) or by a time (14:45)")
    promise.add_argument("--no-next", action="store_true", help="promise no next update")
    add_content_option(u)
    add_now_option(u)
    u.set_defaults(func=run_update)

    r = subparsers.add_parser("resolve", help="resolve an incident (or complete a maintenance)", epilog=RESOLVE_EPILOG,
                              description="Add the final update and set `resolved:`.",
                              formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    r.add_argument("id", metavar="ID", help="incident id (file name without .md) or path")
    r.add_argument("text", metavar="TEXT", help="the resolution summary; '-' reads it from stdin")
    r.add_argument("--ended", metavar="TIME",
                   help="when the impact ended, if before now (site time zone); `resolved:` is set to it")  # fmt: skip
    add_content_option(r)
    add_now_option(r)
    r.set_defaults(func=run_resolve)


# ---------------------------------------------------------------- shared


def _fail(exc: EditError) -> int:
    print(f"statusgen: error: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"    hint: {exc.hint}", file=sys.stderr)
    return 1


def load_site_only(content: Path) -> Site:
    """site.yaml alone, validated: incident files are not read (a broken one must not block an update)."""
    from statusgen.validate import validate_site

    problems: list[Diagnostic] = []
    path = content / "site.yaml"
    if not path.is_file():
        raise EditError(f"no site.yaml in {content}", "run in your status repo, or pass --content DIR")
    text = read_text(content, path, problems)
    if text is None:
        raise ContentError(problems)
    try:
        node = parse_yaml(text)
    except YamlError as exc:
        raise ContentError([Diagnostic("site.yaml", exc.line, exc.message, exc.hint)]) from None
    if not isinstance(node, Mapping):
        raise ContentError([Diagnostic("site.yaml", 1, "site.yaml must be a mapping of settings")])
    site = validate_site(node, problems)
    if site is None:
        raise ContentError(problems)
    return site


def incident_files(content: Path) -> list[Path]:
    base = content / "incidents"
    found = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found += [Path(dirpath) / n for n in sorted(filenames) if n.endswith(".md") and not n.startswith(".")]
    return sorted(found)


def find_incident(content: Path, ident: str) -> Path:
    """The file of an incident, by id (file stem or `id:`) or by path."""
    from statusgen.edit import front_value

    direct = Path(ident)
    if direct.suffix == ".md" and direct.is_file():
        return direct
    matches, ids = [], set()
    for path in incident_files(content):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = ""
        own = front_value(text, "id") or path.stem
        ids.add(own)
        if ident in (own, path.stem):
            matches.append(path)
    if len(matches) > 1:
        raise EditError(f"'{ident}' matches several files: " + ", ".join(str(m) for m in matches),
                        "pass the path of the one you mean")  # fmt: skip
    if not matches:
        hint = did_you_mean(ident, ids) if ids else f"there are no incidents under {content / 'incidents'}"
        raise EditError(f"no incident '{ident}' in {content / 'incidents'}", hint)
    return matches[0]


def repo_newest_first(content: Path, site: Site, skip: Path | None = None) -> bool:
    """Whether the repo's files list updates newest-first (the majority of files with two or more)."""
    votes = 0
    for path in incident_files(content):
        if path == skip:
            continue
        try:
            ups = layout(path.read_text(encoding="utf-8-sig"), site.timezone).updates
        except (OSError, UnicodeDecodeError, EditError):
            continue
        if len(ups) >= 2:
            votes += 1 if ups[0].at > ups[-1].at else -1  # type: ignore[operator]
    return votes >= 0


def _read_text_arg(text: str) -> str:
    body = sys.stdin.read() if text == "-" else text
    body = body.strip()
    if not body:
        raise EditError("the update text is empty", "say what readers notice and what you are doing")
    return body


def _promise(when: str, posted: datetime, site: Site) -> str:
    """A next-update line from --next: a duration ('30m') or a time ('14:45', '2026-11-20 14:45')."""
    try:
        return promise_line(next_in=parse_duration(when))
    except TimeSyntaxError:
        pass
    try:
        due = parse_next_update(f"by {when}", posted.astimezone(_zone(site)), site.timezone)  # a wall time in the site zone
    except TimeSyntaxError as exc:
        raise EditError(f"--next: cannot read '{when}'", "write a duration (30m, 1h) or a time (14:45)") from exc
    if due <= posted:
        raise EditError(f"--next {when} is not after the update ({clock_time(posted, site.timezone)})")
    return promise_line(by=format_stamp(due, site.timezone) if due - posted > timedelta(hours=20)
                        else clock_time(due, site.timezone))  # fmt: skip


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- update and resolve


def run_update(args: argparse.Namespace) -> int:
    try:
        return _update(args, resolve=False)
    except EditError as exc:
        return _fail(exc)


def run_resolve(args: argparse.Namespace) -> int:
    try:
        return _update(args, resolve=True)
    except EditError as exc:
        return _fail(exc)


def _update(args: argparse.Namespace, resolve: bool) -> int:
    site = load_site_only(args.content)
    now = resolve_now(args.now, dict(os.environ))
    path = find_incident(args.content, args.id)
    text, bom, original = read_incident(path)
    maint = is_maintenance(text)
    closing = Stage.COMPLETED if maint else Stage.RESOLVED
    stage = closing if resolve else parse_stage(args.stage, maint)
    body = _read_text_arg(args.text)
    lay = layout(text, site.timezone)
    done = [u for u in lay.updates if u.stage and u.stage.strip().lower() == closing.value]
    if stage is closing and done:
        raise EditError(f"{args.id} already has a {closing.label} update (line {done[0].index + 1})",
                        f"edit that update, or add a postmortem: statusgen update {args.id} postmortem \"…\"")  # fmt: skip
    if done and stage is not Stage.POSTMORTEM and stage is not closing:
        raise EditError(f"{args.id} is already {closing.label.lower()} (line {done[0].index + 1}); only a postmortem "
                        "can follow", "if the problem is back, start a new incident with statusgen new")  # fmt: skip
    if any(NEXT_UPDATE_LINE.match(ln) for ln in body.split("\n")):
        promise = None  # the text makes its own promise
    elif stage in (closing, Stage.POSTMORTEM) or getattr(args, "no_next", False):
        promise = None
    elif getattr(args, "next", None):
        promise = _promise(args.next, now, site)
    else:
        promise = promise_line(next_in=site.update_interval)
    full = body + ("\n\n" + promise if promise else "")
    new_text, line = add_update(text, now, stage, full, site.timezone, repo_newest_first(args.content, site, path))
    if stage is closing:
        posted = next(u.at for u in layout(new_text, site.timezone).updates if u.index == line - 1)
        ended = _time(args.ended, site, "--ended", latest=posted) if getattr(args, "ended", None) else posted
        if ended > posted:
            raise EditError(f"--ended {args.ended} is after the {closing.label} update ({clock_time(posted, site.timezone)})",
                            "the impact ends before, or when, you announce it")  # fmt: skip
        new_text = set_front_value(new_text, "resolved", format_stamp(ended, site.timezone),
                                   after=("started", "scheduled"))  # fmt: skip
        line = next(u.index + 1 for u in layout(new_text, site.timezone).updates if u.at == posted)
    write_atomic(path, encode(new_text, bom), expected=original)
    print(_relative(path))
    said = f"Added '{stage.label}' at {clock_time(now, site.timezone)} ({_relative(path)}:{line})"
    if promise:
        said += f"; {promise[0].lower()}{promise[1:]}"
    if stage is closing:
        said += "; set resolved:"
    print(said + "\nNext: statusgen check, then commit and open a pull request.", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- new


def _ask(label: str) -> str:
    sys.stderr.write(label)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EditError("no answer (end of input)")
    return line.strip()


def _template(content: Path, name: str) -> tuple[dict[str, str], str]:
    folder = content / TEMPLATE_DIR
    path = folder / f"{name}.md"
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        names = sorted(p.stem for p in folder.glob("*.md")) if folder.is_dir() else []
        hint = did_you_mean(name, names) if names else f"add templates as {folder}/NAME.md"
        raise EditError(f"no template '{name}' in {folder}", hint)
    problems: list[Diagnostic] = []
    source = read_source(content, path, problems)
    if source is None:
        raise ContentError(problems)
    values: dict[str, str] = {}
    for key, value in source.front.items:
        if key.text not in TEMPLATE_KEYS:
            raise ContentError([Diagnostic(source.path, key.line, f"unknown template key '{key.text}'",
                                           did_you_mean(key.text, TEMPLATE_KEYS))])  # fmt: skip
        if isinstance(value, Scalar):
            values[key.text] = value.text.strip()
    return values, source.body.strip("\n")


def _services(text: str, site: Site) -> list[str]:
    ids = [s.strip() for s in text.replace(" ", ",").split(",") if s.strip()]
    valid = [s.id for s in site.services]
    unknown = [s for s in ids if s not in valid]
    if unknown or not ids:
        listing = ", ".join(f"{s.id} ({s.name})" for s in site.services)
        what = f"unknown service '{unknown[0]}'" if unknown else "no services given"
        hint = (did_you_mean(unknown[0], valid) + "; " if unknown else "") + f"valid services: {listing}"
        raise EditError(what, hint)
    return list(dict.fromkeys(ids))


def _time(text: str, site: Site, what: str, latest: datetime | None = None) -> datetime:
    """A timestamp in the site's zone; with latest, a bare 'HH:MM' means its last occurrence by then."""
    try:
        clock = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
        if clock and latest is not None:
            local = latest.astimezone(_zone(site))
            for day in (local.date(), local.date() - timedelta(days=1)):
                candidate = localize(datetime.combine(day, time(int(clock[1]), int(clock[2]))), _zone(site))
                if candidate <= latest:
                    return candidate
        return parse_timestamp(text, site.timezone)
    except (TimeSyntaxError, ValueError) as exc:
        message, hint = (exc.message, exc.hint) if isinstance(exc, TimeSyntaxError) else (str(exc), "")
        raise EditError(f"{what}: {message}", hint) from None


def run_new(args: argparse.Namespace) -> int:
    try:
        return _new(args)
    except EditError as exc:
        return _fail(exc)


def _new(args: argparse.Namespace) -> int:
    site = load_site_only(args.content)
    now = resolve_now(args.now, dict(os.environ)).replace(second=0, microsecond=0)
    tty = sys.stdin.isatty()
    defaults, template = _template(args.content, args.template) if args.template else ({}, None)
    kind = args.kind or defaults.get("type") or "incident"
    if kind not in ("incident", "maintenance"):
        raise EditError(f"template type '{kind}' must be incident or maintenance")
    maint = kind == "maintenance"
    title, services, impact = args.title, args.services, args.impact or defaults.get("impact")
    start, end = args.start, args.end
    wanted = [("title", title is None and "title" not in defaults), ("services", services is None),
              ("impact", impact is None and not maint), ("start", maint and start is None),
              ("end", maint and end is None and args.duration is None and "duration" not in defaults)]  # fmt: skip
    missing = [name for name, is_missing in wanted if is_missing]
    if missing and not tty:
        raise EditError("missing " + ", ".join(f"--{m}" for m in missing),
                        "pass them, or run in a terminal to be asked")  # fmt: skip
    if "title" in missing:
        title = _ask("Title — service and symptom (e.g. 'Slow responses from the Public API'): ")
    if "services" in missing:
        listing = ", ".join(f"{s.id} ({s.name})" for s in site.services)
        services = _ask(f"Affected services, comma-separated [{listing}]: ")
    if "impact" in missing:
        impact = _ask("Impact [none, minor, major, critical]: ").lower()
    if "start" in missing:
        start = _ask(f"Window start (e.g. {format_stamp(now + timedelta(days=7), site.timezone)}): ")
    if "end" in missing:
        end = _ask("Window end (or a duration such as 2h): ")
    ids = _services(services or "", site)
    if impact is not None and impact not in {i.value for i in Impact}:
        raise EditError(f"impact cannot be '{impact}'", did_you_mean(impact, [i.value for i in Impact]))
    names = join_names([site.service(s).name for s in ids], site.language)

    window = None
    started = _time(args.started, site, "--started", latest=now) if args.started else now
    if maint:
        w_start = _time(start or "", site, "--start")
        length = args.duration or (None if end else defaults.get("duration"))
        if end and not _looks_like_duration(end):
            w_end = _time(end, site, "--end")
        else:
            try:
                w_end = w_start + parse_duration(end or length or "")
            except TimeSyntaxError as exc:
                raise EditError(f"window length: {exc.message}", exc.hint) from None
        if w_end <= w_start:
            raise EditError("the maintenance window ends before it starts", "check --start and --end")
        window = (w_start, w_end)
    if started > now:
        raise EditError(f"--started {args.started} is in the future", "leave it out to use now")

    moment = window[0] if window else started
    values = {
        "services": names,
        "service_ids": ", ".join(ids),
        "time": clock_time(moment, site.timezone),
        "date": moment.astimezone(_zone(site)).strftime("%Y-%m-%d"),
        "start": clock_time(moment, site.timezone, date=True),
        "end": clock_time(window[1], site.timezone, date=_day(window[1], site) != _day(moment, site)) if window else "",
        "interval": duration_words(site.update_interval),
    }
    title = fill(title if title is not None else defaults["title"], values).strip()
    if not title or "\n" in title or len(title) > 300:
        raise EditError("the title must be one line of 1 to 300 characters")

    if args.message:
        body = args.message.strip()
    elif template is not None:
        body = fill(template, values).strip()
    elif maint:
        body = f"We will carry out maintenance on {names} between {values['start']} and {values['end']}."
    else:
        body = f"We are investigating a problem with {names} since {values['time']}."
    stage = Stage.SCHEDULED if maint else Stage.INVESTIGATING
    if not any(NEXT_UPDATE_LINE.match(ln) for ln in body.split("\n")):
        if maint:
            body += "\n\n" + promise_line(by=format_stamp(window[0], site.timezone))  # type: ignore[index]
        elif args.next:
            body += "\n\n" + _promise(args.next, now, site)
        else:
            body += "\n\n" + promise_line(next_in=site.update_interval)

    text = new_file_text(kind=kind, title=title, services=ids, impact=None if maint and not args.impact else impact,
                         started=started, window=window, reported_by=args.reported_by, posted=now, stage=stage,
                         body=body, site_zone=site.timezone)  # fmt: skip
    day = moment.astimezone(_zone(site))
    stem = f"{day:%Y-%m-%d}-{slugify(title, kind)}"
    clash = [p for p in incident_files(args.content) if p.stem == stem]
    if clash:
        raise EditError(f"an incident with id '{stem}' exists already: {_relative(clash[0])}",
                        f"to add to it: statusgen update {stem} STAGE \"…\"; for a new one choose another title")  # fmt: skip
    path = args.content / "incidents" / f"{day:%Y}" / f"{stem}.md"
    create_new(path, text.encode("utf-8"))
    print(_relative(path))
    follow = "in_progress" if maint else "identified"
    print(f"Wrote {kind} '{stem}'. Make the first update say what readers notice and what you are doing, then: "
          f"statusgen check, commit, open a pull request. Later: statusgen update {stem} {follow} \"…\"",
          file=sys.stderr)  # fmt: skip
    return 0


def _zone(site: Site):
    return zone(site.timezone)


def _looks_like_duration(text: str) -> bool:
    try:
        parse_duration(text)
        return True
    except TimeSyntaxError:
        return False


def _day(moment: datetime, site: Site):
    return moment.astimezone(_zone(site)).date()
