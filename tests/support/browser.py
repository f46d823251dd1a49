"""Real Chromium (Debian's package) driven by Playwright, cut off from every network but
loopback, for tests of what a person sees."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, Request, sync_playwright

__all__ = ["CHROMIUM", "OfflinePage", "chromium", "offline_page"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Everything that is not loopback goes to a proxy that does not exist: no request can leave
# the machine, so a page that needs a CDN shows it.
_OFFLINE_ARGS = [
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1;localhost",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-sandbox",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Chromium is missing: `make dev` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=_OFFLINE_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


class OfflinePage:
    """A page that records every request it made and every one that failed."""

    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.context = context
        self.page: Page = context.new_page()
        self.base_url = base_url
        self.requested: list[str] = []
        self.failed: list[str] = []
        self.page.on("request", lambda r: self.requested.append(r.url))
        self.page.on("requestfailed", self._failed)

    def _failed(self, request: Request) -> None:
        self.failed.append(f"{request.url}: {request.failure}")

    def foreign(self) -> list[str]:
        """Requests that went anywhere but the server under test."""
        return [u for u in self.requested if not u.startswith((self.base_url, "data:"))]


@contextmanager
def offline_page(browser: Browser, base_url: str) -> Iterator[OfflinePage]:
    context = browser.new_context(base_url=base_url, viewport={"width": 1360, "height": 900})
    try:
        yield OfflinePage(context, base_url)
    finally:
        context.close()
