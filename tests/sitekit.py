"""Helpers for tests: write small status repos to disk and build them the way a user would."""

from __future__ import annotations

import textwrap
from pathlib import Path

from statusgen.cli import main

SITE_YAML = """\
title: Test Status
base_url: https://status.test.example/
timezone: Europe/Berlin
language: en
update_interval: 20m
contact: support@test.example
services:
  - id: api
    name: Public API
    group: Platform
    description: REST endpoints
    since: 2025-01-01
  - id: dashboard
    name: Dashboard
    group: Apps
  - id: webhooks
    name: Webhooks
    group: Platform
"""

NOW = "2026-11-22T09:00:00+01:00"


def make_repo(root: Path, files: dict[str, str] | None = None, site_yaml: str = SITE_YAML) -> Path:
    """A content folder at root/content with site.yaml and the given files (dedented)."""
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    (content / "site.yaml").write_text(textwrap.dedent(site_yaml), encoding="utf-8")
    for rel, text in (files or {}).items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return content


def incident(
    title: str = "Elevated error rates on the Public API",
    *,
    services: str = "[api]",
    impact: str = "major",
    started: str = "2026-11-20 14:05 +01:00",
    resolved: str | None = "2026-11-20 15:40 +01:00",
    extra: str = "",
    body: str | None = None,
) -> str:
    """The text of an incident file; the default body has three updates, the last Resolved."""
    front = f"title: {title}\nimpact: {impact}\nservices: {services}\nstarted: {started}\n"
    if resolved:
        front += f"resolved: {resolved}\n"
    front += extra
    if body is None:
        body = (
            "## 2026-11-20 14:12 +01:00 — Investigating\nWe see elevated 5xx responses from the API in Europe.\n"
            "Next update by 14:30.\n\n"
            "## 2026-11-20 14:25 +01:00 — Identified\nA faulty load balancer config returns 502s. Rolling back.\n\n"
            + ("## 2026-11-20 15:40 +01:00 — Resolved\nError rates are normal since 15:32; no data was lost.\n"
               if resolved else "")
        )
    return f"---\n{front}---\n{body}"


def build(content: Path, out: Path, now: str = NOW, *extra: str) -> int:
    """Run `statusgen build` in-process, as the CLI would; returns the exit status."""
    return main(["build", "--content", str(content), "--out", str(out), "--now", now, "--quiet", *extra])
