"""Suite-wide fixtures for the test tooling: a headless Chromium and an artifacts folder.

Helpers live in tests/support/ (import them as ``tests.support.<module>``):
server.serve_directory, browser.open_page, vnu.validate_html/validate_svg,
axe.run_axe. Fixtures about statusgen itself belong in other files.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # so `import tests.support...` works under plain `pytest` too
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, via the Playwright sync API (one per test session).

    Never `playwright install`: it downloads browsers, which fails offline.
    Skipped if Chromium is missing, except under CI, where that is an error.
    """
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} is not installed (apt-get install chromium; `bash .ci/run` does it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """test-artifacts/ in the repo root (git-ignored) for screenshots and other outputs to look at."""
    path = REPO_ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses the `browser` fixture with @pytest.mark.browser,
    so `-m "not browser"` runs the suite without Chromium."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
