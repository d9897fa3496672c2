"""Browser (end-to-end) fixtures: a headless Debian Chromium driven by Playwright's sync API against
pytest-django's ``live_server``.

Playwright's sync API keeps an asyncio event loop *running* in the test thread from ``start()`` to
``stop()``, so Django's async-safety check would refuse the ORM calls made by the tests and fixtures
(building the world, flushing the transactional database). The browser tests only touch the database
from plain synchronous code, hence ``DJANGO_ALLOW_ASYNC_UNSAFE`` — but only while a browser module
runs: the variable leaks into ``check --deploy`` (async.E001) and Playwright's loop would break the ORM
of the tests that follow, so both are module-scoped and undone when the module ends.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-Strong-12345"
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots"


@pytest.fixture(scope="module", autouse=True)
def _allow_async_unsafe():
    """Let the ORM run beside Playwright's event loop, for this module only."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(_allow_async_unsafe):
    """One headless Chromium per test module (skipped when Chromium is not installed)."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def bworld(transactional_db, live_server):
    """The suite's ``world`` built in a transactional database the live server thread can see.

    Flushing between transactional tests may drop the default roles and case categories (re-created by
    post_migrate only when the flush emits it), so make sure they exist before ``world`` reads them.
    """
    from tongxin.org.models import Role
    from tongxin.org.roles import default_roles, sync_default_roles

    if Role.objects.filter(codename__in=[r["codename"] for r in default_roles()]).count() < len(default_roles()):
        sync_default_roles()
    from tongxin.cases.defaults import load_default_categories

    load_default_categories()  # the default case categories, dropped by the same flush
    return None


@pytest.fixture
def world_live(bworld, request):
    """``world`` (tests/conftest.py) after ``bworld`` guaranteed the roles; ``live_server`` makes it transactional."""
    return request.getfixturevalue("world")


def _new_page(browser, live_server, width: int, height: int):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        locale="zh-CN",
    )
    context.set_default_timeout(5_000)
    context.set_default_navigation_timeout(10_000)
    page = context.new_page()
    return context, page


@pytest.fixture
def page(browser, live_server):
    """A desktop-size page (1280×900) in a fresh browser context."""
    context, page = _new_page(browser, live_server, 1280, 900)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-size page (375×812) in a fresh browser context."""
    context, page = _new_page(browser, live_server, 375, 812)
    yield page
    context.close()


def login(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login page and wait for the home page."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form:has(#id_password) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot to var/test/screenshots/<name>.png."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def horizontal_overflow(page) -> int:
    """How many CSS pixels the document is wider than the viewport (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
