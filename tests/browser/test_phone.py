"""Acceptance (browser, 390×844, issue 17 defects 2 and 6): the grid member's home is a launcher; 上报事件 →
a report with a photo whose first submit is refused (no place) keeps the photo (thumbnail and message) → the
fixed submit makes the case with the photo. Step 1 refuses 下一步 without a category; the director sees the
unread count beside the collapsed menu."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import _new_page, horizontal_overflow, login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def phone_390(browser, live_server):
    """A 390×844 page (a common phone) in a fresh browser context."""
    context, page = _new_page(browser, live_server, 390, 844)
    yield page
    context.close()


def test_grid_member_keeps_the_photo_across_a_refused_report(world_live, phone_390, tmp_path):
    from tongxin.cases.defaults import load_default_categories
    from tongxin.cases.models import Case, PendingPhoto

    load_default_categories()  # a browser test before this one may have flushed the migrations' categories
    page = phone_390
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    shot = tmp_path / "shot.jpg"
    Image.new("RGB", (2000, 1500), (150, 120, 90)).save(shot, "JPEG")

    login(page, "grid_member")
    launcher = page.locator("#launcher a[data-launcher]")
    expect(launcher).to_have_count(2)
    expect(launcher.nth(1)).to_contain_text("未办结 0 件")
    assert horizontal_overflow(page) == 0
    screenshot(page, "phone-home-launcher")
    launcher.first.click()
    page.wait_for_url(re.compile(r"/cases/report/$"))

    # step 1 does not move on without a category, and says why
    page.locator("[data-screen='1'] [data-next='2']").click()
    expect(page.locator("[data-screen='1'] [data-step-error]")).to_have_text("请先选择事件分类")
    expect(page.locator("[data-screen='2']")).to_be_hidden()
    screenshot(page, "phone-report-step1-error")
    page.get_by_label("环境卫生").check()
    page.locator("[data-screen='1'] [data-next='2']").click()
    page.locator("input[name=photos]").set_input_files(str(shot))
    expect(page.locator("#photo-preview img")).to_have_count(1)
    page.fill("#id_description", "3栋门口垃圾桶满溢，需要清运")
    page.locator("[data-screen='2'] [data-next='3']").click()

    # the first submit has no place: refused by the server, the photo is kept and shown
    page.locator("#submit-report").click()
    page.wait_for_load_state()
    expect(page.locator("[data-screen='3']")).to_be_visible()
    expect(page.get_by_text("请填写地点或获取定位")).to_be_visible()
    kept = page.locator("#kept-photos")
    expect(kept).to_contain_text("已保留照片，无需重新选择")
    expect(kept.locator("img")).to_have_count(1)
    assert kept.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert not Case.objects.exists() and PendingPhoto.objects.count() == 1
    assert horizontal_overflow(page) == 0
    screenshot(page, "phone-report-photo-kept")

    page.fill("#id_address", "桃源社区3栋门口")
    page.locator("#submit-report").click()
    page.wait_for_url(re.compile(r"/cases/cases/\d+/$"))
    case = Case.objects.get()
    stored = case.attachments.get()
    assert stored.kind == "photo" and stored.thumbnail and stored.size < shot.stat().st_size  # shrunk, then kept
    assert not PendingPhoto.objects.exists()
    expect(page.locator("#timeline img")).to_have_count(1)
    assert not errors, errors

    # the director, notified, sees the unread count without opening the menu
    page.context.clear_cookies()
    login(page, "director")
    expect(page.locator(".navbar-toggler")).to_be_visible()
    expect(page.locator("#unread-badge")).to_be_visible()
    expect(page.locator("#unread-badge")).to_have_text("1")
    screenshot(page, "phone-navbar-unread")
