"""Browser tests: Playwright for Python driving Debian's chromium (never a downloaded one).

The server is pytest-django's live server (a real HTTP server on loopback, in a
thread, on the test database). Every page collects console errors and failed
requests, and a test fails if any appear.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API keeps an event loop running in the test thread; the ORM calls the
# tests make between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from .chromium import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageErrors(list[str]):
    def check(self) -> None:
        assert not self, "browser errors:\n" + "\n".join(self)


@pytest.fixture
def make_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """``make_page(user, viewport=(w, h), touch=False, locale=None)`` → (page, errors),
    logged in as user; ``locale="zh-CN"`` sends that Accept-Language."""
    contexts = []

    def make(
        user: Any = None,
        viewport: tuple[int, int] = (1400, 900),
        touch: bool = False,
        locale: str | None = None,
    ) -> Any:
        context = browser.new_context(
            locale=locale,
            viewport={"width": viewport[0], "height": viewport[1]},
            has_touch=touch,
            is_mobile=touch,
            accept_downloads=True,
            base_url=live_server.url,
        )
        contexts.append(context)
        if user is not None:
            from django.test import Client

            client = Client()
            client.force_login(user)
            cookie = client.cookies["sessionid"]
            context.add_cookies(
                [{"name": "sessionid", "value": cookie.value, "url": live_server.url}]
            )
        page = context.new_page()
        errors = PageErrors()
        page.on(
            "console",
            lambda msg: (
                errors.append(f"console.{msg.type}: {msg.text}")
                if msg.type in ("error", "warning")
                else None
            ),
        )
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
        page.on(
            "response",
            lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
        )
        return page, errors

    yield make
    for context in contexts:
        context.close()
