"""Responsive layout: pages fit a phone screen, the menu collapses into a toggler; screenshots at
desktop and phone widths are written to var/test/screenshots/ for a human to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

PAGES = [("home", "/"), ("grid-list", "/org/grids/"), ("grid-form", "/org/grids/add/")]
PHONE = 375


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_phone_has_no_horizontal_overflow_and_a_menu_toggler(phone_page, world_live):
    page = phone_page
    page.goto("/login/")
    too_wide = {}
    if scroll_width(page) > PHONE + 1:
        too_wide["/login/"] = scroll_width(page)
    login(page, "director")
    for url in ("/org/grids/", "/", "/org/grids/add/"):
        page.goto(url)
        assert page.evaluate("window.innerWidth") == PHONE
        if scroll_width(page) > PHONE + 1:
            too_wide[url] = scroll_width(page)
        toggler = page.locator(".navbar-toggler")
        expect(toggler).to_be_visible()
        # The navigation stays hidden until the toggler opens it.
        expect(page.locator("#nav")).not_to_be_visible()
    toggler.click()
    expect(page.locator("#nav")).to_be_visible()
    expect(page.locator("#nav #lang-menu")).to_be_visible()
    assert not too_wide, f"pages wider than a {PHONE}px phone (scrollWidth): {too_wide}"


@pytest.mark.parametrize("width,height", [(1280, 900), (PHONE, 812)], ids=["desktop", "phone"])
def test_screenshots(browser, live_server, world_live, width, height):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
    context.set_default_timeout(5_000)
    try:
        page = context.new_page()
        page.goto("/login/")
        screenshot(page, f"login-{width}")
        login(page, "director")
        for name, url in PAGES:
            page.goto(url)
            expect(page.locator("main")).to_be_visible()
            assert screenshot(page, f"{name}-{width}").stat().st_size > 0
            toggler = page.locator(".navbar-toggler")
            if width < 992:  # Bootstrap's lg breakpoint (navbar-expand-lg)
                expect(toggler).to_be_visible()
            else:
                expect(toggler).to_be_hidden()
                assert scroll_width(page) <= width
    finally:
        context.close()
