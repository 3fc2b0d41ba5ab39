"""The command line: the only place that reads the clock, the environment and argv."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from statusgen import __version__
from statusgen.errors import ContentError
from statusgen.publish import PublishError
from statusgen.timeparse import TimeSyntaxError, parse_timestamp

# Each subcommand and the module whose register(subparsers) adds it (and sets `func` on its parser).
# A command line names its command first, so only that module is imported: `statusgen build`
# with nothing to do answers in a fraction of the time importing every command would take.
COMMANDS = {
    "build": "statusgen.cli",
    "check": "statusgen.commands.quality",
    "stats": "statusgen.commands.quality",
    "new": "statusgen.commands.responders",
    "update": "statusgen.commands.responders",
    "resolve": "statusgen.commands.responders",
    "import": "statusgen.importers.command",
    "next-change": "statusgen.commands.next_change",
    "serve": "statusgen.serve",
}
COMMAND_MODULES = tuple(dict.fromkeys(COMMANDS.values()))

DESCRIPTION = """\
Build a static status page from a repo of Markdown incidents.

Each incident or maintenance is a Markdown file with YAML front matter under content/incidents/;
content/site.yaml lists the site's services. `statusgen build` turns it into a static site with
the current status of every service, a history archive, incident and service pages, and RSS/Atom
feeds, ready for any static host."""

EPILOG = """\
examples:
  statusgen build                                  build content/ into public/
  statusgen build --content status --out site     other folders
  statusgen build --now 2026-11-20T15:00:00Z      build as of an instant (reproducible)

Exit status: 0 on success, 1 when the content has errors (all are listed as path:line: message),
2 on wrong usage. Docs: README.md."""


def resolve_now(text: str | None, environ: dict[str, str]) -> datetime:
    """--now, else SOURCE_DATE_EPOCH (reproducible builds), else the clock."""
    if text:
        return parse_timestamp(text, "UTC").astimezone(timezone.utc)
    if epoch := environ.get("SOURCE_DATE_EPOCH"):
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)


def add_now_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--now",
        metavar="TIME",
        help="the instant to build for, e.g. 2026-11-20T15:00:00Z (default: $SOURCE_DATE_EPOCH, else the clock)",
    )


def add_content_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--content", metavar="DIR", type=Path, default=Path("content"), help="the status repo (default: content/)"
    )


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "build",
        help="build the static site",
        description="Build the static site. Output is written to a staging folder and swapped in only "
        "when the whole build succeeded; on errors the previous site stays as it was.",
    )
    add_content_option(p)
    p.add_argument("--out", metavar="DIR", type=Path, default=Path("public"), help="output folder (default: public/)")
    add_now_option(p)
    add_build_options(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    p.set_defaults(func=run_build)


def add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs", "-j", metavar="N", type=int, default=0,
        help="processes for large builds (default: one per CPU core; 1 = no extra processes)",
    )  # fmt: skip
    parser.add_argument(
        "--cache", metavar="DIR", type=Path, default=None,
        help="build cache folder (default: .statusgen-cache/ next to the content folder; safe to delete)",
    )  # fmt: skip
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the build cache")


def run_build(args: argparse.Namespace) -> int:
    from statusgen import cache, incremental, publish
    from statusgen.parallel import Progress, cpu_count

    started = time.perf_counter()
    now = resolve_now(args.now, dict(os.environ))
    folder = None if args.no_cache else (args.cache or cache.default_dir(args.content))
    store = cache.Cache(folder)
    publish.check_out_dir(args.out, args.content)
    inputs = incremental.Inputs(args.content, args.out, store)
    state = incremental.unchanged(inputs, now)  # answered before the renderers are even imported
    if state[3]:
        incidents, files = state[1]["incidents"], len(state[2])  # type: ignore[index]
        summary = publish.Changes((), (), (), files).summary()
    else:
        from statusgen.build import Builder

        jobs = args.jobs if args.jobs > 0 else cpu_count()
        builder = Builder(args.content, args.out, store, jobs=jobs, progress=Progress(quiet=args.quiet))
        builder.inputs = inputs
        result = builder.build(now, state)
        incidents, files, summary = result.incidents, result.outputs, result.changes.summary()
    if not args.quiet:
        took = time.perf_counter() - started
        print(f"Built {files} files for {incidents} incidents in {took:.2f} s ({summary})")
        print(f"Site in {args.out}/ — serve it with: python -m http.server -d {args.out} 8000")
    return 0


def make_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of `command` (for its --help and errors it is the same)."""
    parser = argparse.ArgumentParser(
        prog="statusgen", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"statusgen {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in (COMMANDS[command],) if command in COMMANDS else COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = make_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except ContentError as exc:
        for d in exc.diagnostics:
            print(d.format(), file=sys.stderr)
        errors = sum(d.severity == "error" for d in exc.diagnostics)
        print(f"\n{errors} error(s); nothing was published.", file=sys.stderr)
        return 1
    except (PublishError, TimeSyntaxError) as exc:
        print(f"statusgen: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a full disk, a read-only folder: the published site is left as it was
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"statusgen: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def run() -> None:
    """The `statusgen` command: main(), then exit without tearing the interpreter down.

    A build leaves a model of the whole history (a million objects at 10,000 incidents) for the
    interpreter to free one by one at exit, ~0.5 s of a 3 s rebuild; the operating system frees the
    process at once. Everything statusgen writes is closed when main() returns; the standard
    streams are flushed here."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (`| head`), a closed stream
            pass
    os._exit(code)
