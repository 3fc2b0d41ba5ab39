"""Headless Chromium helpers (Playwright sync API, Debian's /usr/bin/chromium).

The session-scoped ``browser`` fixture in tests/conftest.py launches
CHROMIUM with CHROMIUM_ARGS. Open pages with :func:`open_page`, which records
everything that should never happen on a published status page:

    with open_page(browser, base_url) as loaded:
        loaded.page.get_by_role("heading", name="All systems operational")
        assert loaded.problems() == []

Recorded, each as a list of strings:
  * ``console_errors``   console.error messages and uncaught page exceptions;
  * ``failed_requests``  requests that failed (network error) or got HTTP >= 400;
  * ``foreign_requests`` requests to any origin other than the page's own. They
    are aborted, never sent: tests run offline and a status page must not
    depend on third-party hosts.
``data:``, ``blob:`` and ``about:`` URLs are not requests to another origin.
Events that arrive after ``goto`` returns (late scripts) are recorded as they
come; wait for them first when a test depends on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "LoadedPage", "open_page", "origin_of"]

CHROMIUM = "/usr/bin/chromium"
# From shared/TOOLING.md: without the background-networking flags Chromium
# tries to reach the internet on its own and logs errors.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

_LOCAL_SCHEMES = {"data", "blob", "about"}


def origin_of(url: str) -> str:
    """``scheme://host:port`` of ``url`` (the port is always spelled out)."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{parts.hostname}:{port}"


@dataclass
class LoadedPage:
    """A page in its own browser context, plus what went wrong while it ran."""

    page: Page
    context: BrowserContext
    origin: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """All recorded problems, each prefixed with its kind; [] for a clean page."""
        return (
            [f"console: {m}" for m in self.console_errors]
            + [f"failed request: {m}" for m in self.failed_requests]
            + [f"foreign request: {m}" for m in self.foreign_requests]
        )

    def close(self) -> None:
        self.context.close()

    def __enter__(self) -> LoadedPage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_page(
    browser: Browser,
    url: str,
    *,
    color_scheme: str = "light",
    width: int = 1280,
    height: int = 800,
    wait_until: str = "load",
    **context_options: Any,
) -> LoadedPage:
    """Open ``url`` in a fresh context and return a :class:`LoadedPage` (close it, or use ``with``).

    ``context_options`` go to ``browser.new_context`` (e.g. ``java_script_enabled=False``,
    ``reduced_motion="reduce"``, ``locale="ja-JP"``, ``bypass_csp=True``).
    """
    context = browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme=color_scheme,
        **context_options,
    )
    page = context.new_page()
    loaded = LoadedPage(page=page, context=context, origin=origin_of(url))

    def is_foreign(request_url: str) -> bool:
        if urlsplit(request_url).scheme in _LOCAL_SCHEMES:
            return False
        return origin_of(request_url) != loaded.origin

    def block_foreign(route: Any) -> None:
        loaded.foreign_requests.append(route.request.url)
        route.abort("blockedbyclient")

    def on_console(message: Any) -> None:
        if message.type == "error":
            where = message.location or {}
            loc = f" ({where.get('url')}:{where.get('lineNumber')})" if where.get("url") else ""
            loaded.console_errors.append(f"{message.text}{loc}")

    def on_request_failed(request: Any) -> None:
        # Foreign ones were aborted by us and are already recorded. ERR_ABORTED is the browser
        # cancelling a request because the tab navigated on (e.g. a late favicon), not a failure.
        if not is_foreign(request.url) and "ERR_ABORTED" not in (request.failure or ""):
            loaded.failed_requests.append(f"{request.url}: {request.failure}")

    def on_response(response: Any) -> None:
        if response.status >= 400:
            loaded.failed_requests.append(f"{response.url}: HTTP {response.status}")

    context.route(is_foreign, block_foreign)
    page.on("console", on_console)
    page.on("pageerror", lambda error: loaded.console_errors.append(f"uncaught {error}"))
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    try:
        page.goto(url, wait_until=wait_until)
    except Exception:
        context.close()
        raise
    return loaded
