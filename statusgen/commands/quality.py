"""`statusgen check` and `statusgen stats`: the command-line edges of check.py and stats.py."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from statusgen.cli import add_content_option, add_now_option, resolve_now
from statusgen.errors import ContentError

CHECK_EPILOG = """\
examples:
  statusgen check                              check content/ against the clock
  statusgen check --strict --format github     in CI: annotations on the pull request, fail on warnings
  statusgen check --now 2026-11-20T15:00Z      as of an instant

Exit status: 0 when there is no error (and, with --strict, no warning), 1 otherwise, 2 on wrong usage.
Rules, their defaults and how to configure them under `checks:` in site.yaml: README.md, "For responders"."""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "check",
        help="check content and incident communication (for pull requests)",
        description="Everything `statusgen build` validates, plus rules for good incident communication: "
        "overdue updates, broken promises, slow first updates, copy-paste, empty words, vague titles, "
        "resolution, postmortems, impossible times, tone.",
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_content_option(p)
    add_now_option(p)
    p.add_argument("--format", choices=("text", "github", "json"), default="text",
                   help="text (default), github (workflow annotations) or json")  # fmt: skip
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.set_defaults(func=run_check)

    s = subparsers.add_parser(
        "stats",
        help="incident communication metrics per service",
        description="Per service and overall: time to first update and to resolution (median and p90), "
        "share of next-update promises kept, share of incidents reported by customers, incidents per month.",
    )
    add_content_option(s)
    add_now_option(s)
    s.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    s.set_defaults(func=run_stats)


def load_for_check(content: Path):
    """(raw files or None, site or None, diagnostics) — whatever could be read."""
    from statusgen.load import load_repo
    from statusgen.validate import validate_repo

    try:
        raw = load_repo(content)
    except ContentError as exc:
        return None, None, list(exc.diagnostics)
    try:
        return raw, validate_repo(raw), []
    except ContentError as exc:
        return raw, None, list(exc.diagnostics)


def _prefix(content: Path) -> str:
    """Paths in output are relative to where the command runs, like the --content argument."""
    text = content.as_posix()
    return "" if text in ("", ".") else text.rstrip("/") + "/"


def run_check(args: argparse.Namespace) -> int:
    from statusgen.check import ERROR, check_repo, format_findings, summary

    now = resolve_now(args.now, dict(os.environ))
    raw, site, diagnostics = load_for_check(args.content)
    findings = check_repo(raw, site, diagnostics, now)
    sys.stdout.write(format_findings(findings, args.format, _prefix(args.content)))
    if args.format == "text":
        count = len(raw.incidents) if raw else 0
        print(("\n" if findings else "") + summary(findings, count), file=sys.stderr)
    failed = any(f.severity == ERROR for f in findings) or (args.strict and bool(findings))
    return 1 if failed else 0


def run_stats(args: argparse.Namespace) -> int:
    from statusgen.build import load_site
    from statusgen.stats import compute, to_json, to_text

    now = resolve_now(args.now, dict(os.environ))
    stats = compute(load_site(args.content), now)
    if args.format == "json":
        sys.stdout.write(json.dumps(to_json(stats), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(to_text(stats))
    return 0



