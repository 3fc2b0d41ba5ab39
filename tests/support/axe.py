"""Accessibility checks with axe-core (tools/node_modules/axe-core) in a Playwright page.

    with open_page(browser, base_url) as loaded:
        violations = run_axe(loaded.page)
        assert violations == [], format_violations(violations)

axe is injected with ``page.add_script_tag``, an inline script. A page whose
Content-Security-Policy forbids inline scripts blocks that: open it with
``open_page(..., bypass_csp=True)`` for the axe run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["AXE_JS", "AXE_TAGS", "format_violations", "run_axe"]

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_JS = REPO_ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def _missing_tool(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error; `bash .ci/run` installs it)")
    pytest.skip(f"{reason}; run `bash .ci/run` to install it")


def run_axe(page: Page, *, tags: list[str] | None = None, disable_rules: Sequence[str] = ()) -> list[dict]:
    """Run axe on the whole document; return its violations (axe's own dicts, [] when clean).

    ``disable_rules`` takes rule ids to leave out (say why in the test).
    """
    if not AXE_JS.is_file():
        _missing_tool(f"{AXE_JS} is missing (npm ci in tools/)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        try:
            page.add_script_tag(path=str(AXE_JS))
        except Exception as error:
            if "Content Security Policy" in str(error):
                raise RuntimeError("the page's CSP blocks injecting axe: open it with "
                                   "open_page(..., bypass_csp=True)") from error
            raise
    options = {
        "runOnly": {"type": "tag", "values": list(tags or AXE_TAGS)},
        "rules": {rule: {"enabled": False} for rule in disable_rules},
        "resultTypes": ["violations"],
    }
    result = page.evaluate("options => window.axe.run(document, options)", options)
    return result["violations"]


def format_violations(violations: list[dict]) -> str:
    """Readable summary: rule id, impact, help text and the offending nodes' selectors."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v.get('impact')}): {v['help']} <{v.get('helpUrl', '')}>")
        for node in v.get("nodes", []):
            lines.append(f"    {', '.join(map(str, node.get('target', [])))}: {node.get('html', '')[:200]}")
    return "\n".join(lines)
