"""`statusgen import statuspage|cstate`: convert, check the result, write, and say what happened."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from statusgen.importers.drafts import Conversion, SourceError
from statusgen.importers.emit import render_files
from statusgen.importers.writer import apply, plan, validate_result
from statusgen.model import Kind

EPILOG = """\
Running an import twice changes nothing; a file that exists with other content is kept unless
--force. Nothing is written if the resulting repo would not build. Exit status: 0 when imported,
1 when the input cannot be read or the result would not build. See README.md, "Migrating"."""


def register(subparsers) -> None:
    from statusgen.cli import add_content_option

    parser = subparsers.add_parser(
        "import",
        help="import history from Statuspage or cState",
        description="Convert another status page's history into a statusgen repo: site.yaml with the "
        "services, and one Markdown file per incident and maintenance.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sources = parser.add_subparsers(title="sources", metavar="SOURCE")
    parser.set_defaults(func=lambda args: _usage(parser))

    sp = sources.add_parser(
        "statuspage",
        help="a Statuspage export (API v2 JSON files)",
        description="Import saved Statuspage API v2 responses: summary.json, components.json, incidents.json, "
        "scheduled-maintenances.json (a single file, or a folder with any of them).",
        epilog="example:\n  for f in summary components incidents scheduled-maintenances; do\n"
        "    curl -fsS https://status.example.com/api/v2/$f.json -o export/$f.json; done\n"
        "  statusgen import statuspage export/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sp.add_argument("source", metavar="FILE_OR_DIR", type=Path, help="a saved JSON response, or a folder of them")
    add_content_option(sp)
    sp.add_argument("--force", action="store_true", help="overwrite files that exist with other content")
    sp.set_defaults(func=run_statuspage)

    cs = sources.add_parser(
        "cstate",
        help="a cState site (Hugo config + content/issues/*.md)",
        description="Import a cState site: its config (systems, categories) and content/issues/*.md. "
        "cState times without an offset are UTC (or the config's timeZone).",
    )
    cs.add_argument("source", metavar="DIR", type=Path, help="the cState site folder (with config.yml)")
    add_content_option(cs)
    cs.add_argument("--force", action="store_true", help="overwrite files that exist with other content")
    cs.add_argument("--timezone", metavar="ZONE", help="show times in this IANA zone (default: the config's timeZone, else UTC)")
    cs.set_defaults(func=run_cstate)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_statuspage(args: argparse.Namespace) -> int:
    from statusgen.importers import statuspage

    return _run("Statuspage", lambda: statuspage.convert(statuspage.read_export(args.source)), args)


def run_cstate(args: argparse.Namespace) -> int:
    from statusgen.importers import cstate

    return _run("cState", lambda: cstate.convert(cstate.read_site(args.source), args.timezone), args)


def _run(label: str, convert: Callable[[], Conversion], args: argparse.Namespace) -> int:
    try:
        conversion = convert()
    except SourceError as exc:
        print(f"statusgen import: error: {exc.path}: {exc.message}", file=sys.stderr)
        return 1
    files = render_files(conversion)
    planned = plan(args.content, files, args.force)
    problems = validate_result(args.content, planned) if planned.writes else ()  # nothing to write, nothing to break
    if problems:
        for d in problems:
            print(d.format(), file=sys.stderr)
        print(f"\nThe imported repo would not build ({len(problems)} problem(s) above); nothing was written "
              f"to {args.content}/.", file=sys.stderr)  # fmt: skip
        if "site.yaml" in planned.kept:
            print(f"{args.content}/site.yaml exists with other services and was kept: import into a new folder "
                  "(--content DIR) and merge by hand, or overwrite it with --force.", file=sys.stderr)  # fmt: skip
        return 1
    apply(args.content, planned)
    print(summary(label, conversion, planned, args.content))
    return 0


def summary(label: str, conversion: Conversion, planned, content: Path) -> str:
    services = conversion.site.services
    groups = {s.group for s in services if s.group}
    incidents = [i for i in conversion.incidents if i.kind is Kind.INCIDENT]
    maintenance = [i for i in conversion.incidents if i.kind is Kind.MAINTENANCE]
    updates = sum(len(i.updates) for i in conversion.incidents)
    postmortems = sum(bool(i.postmortem) for i in conversion.incidents)
    lines = [
        f"Imported from {label}: {len(services)} services in {len(groups)} groups, {len(incidents)} incidents, "
        f"{len(maintenance)} maintenance, {updates} updates, {postmortems} postmortems.",
        f"Into {content}/: {len(planned.create)} files created, {len(planned.overwrite)} overwritten, "
        f"{len(planned.unchanged)} unchanged.",
    ]
    if planned.kept:
        lines.append(f"Kept {len(planned.kept)} existing file(s) with other content (rerun with --force to overwrite):")
        lines += [f"  {rel}" for rel in planned.kept]
    if planned.clashes:
        lines.append(f"Not written, because another file already has the same id ({len(planned.clashes)}):")
        lines += [f"  {rel} (id used by {other})" for rel, other in planned.clashes]
    if conversion.problems:
        lines.append(f"Could not be carried over as they were ({len(conversion.problems)}):")
        lines += [f"  {p.source}: {p.message}" for p in conversion.problems]
    else:
        lines.append("Everything was mapped.")
    return "\n".join(lines)
