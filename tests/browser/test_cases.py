"""Acceptance (browser, phone size): a grid member reports an event with a photo, the director assigns it,
the grid member resolves it with a photo of the result, the director closes it; the history shows every step."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import horizontal_overflow, login, screenshot

pytestmark = pytest.mark.browser


def _switch(page, username: str) -> None:
    page.context.clear_cookies()
    login(page, username)


def test_event_from_phone_report_to_close(world_live, phone_page, tmp_path):
    from tongxin.cases.models import Case

    page = phone_page
    before, after = tmp_path / "before.jpg", tmp_path / "after.jpg"
    Image.new("RGB", (2400, 1800), (150, 120, 90)).save(before, "JPEG")
    Image.new("RGB", (1200, 900), (90, 150, 120)).save(after, "JPEG")

    # 1. the grid member reports in three screens
    login(page, "grid_member")
    page.goto("/cases/report/")
    page.get_by_label("环境卫生").check()
    page.locator("[data-screen='1'] [data-next='2']").click()
    page.locator("input[name=photos]").set_input_files(str(before))
    expect(page.locator("#photo-preview img")).to_have_count(1)
    page.fill("#id_description", "3栋门口垃圾桶满溢，需要清运")
    page.locator("[data-screen='2'] [data-next='3']").click()
    page.fill("#id_address", "桃源社区3栋门口")
    assert horizontal_overflow(page) == 0
    screenshot(page, "cases-report-phone")
    page.locator("#submit-report").click()
    page.wait_for_url(re.compile(r"/cases/cases/\d+/$"))
    expect(page.locator("#case-status")).to_have_text("已上报")
    case = Case.objects.get()
    assert case.attachments.count() == 1
    stored = case.attachments.get()
    assert stored.size < before.stat().st_size  # shrunk on the phone before the upload

    # 2. the director assigns it to the grid member
    _switch(page, "director")
    page.goto(case.get_absolute_url())
    page.locator("#step-assign summary").click()
    page.select_option("#step-assign select[name=assignee]", label="grid_member")
    page.locator("#step-assign button[type=submit]").click()
    expect(page.locator("#case-status")).to_have_text("已分派")

    # 3. the grid member finds it in 我的任务 and resolves it with a photo
    _switch(page, "grid_member")
    page.goto("/cases/mine/")
    page.locator("#tasks a", has_text=case.number).click()
    page.locator("#step-resolve summary").click()
    page.fill("#step-resolve textarea[name=note]", "已联系环卫站清运完毕")
    page.locator("#step-resolve input[name=photos]").set_input_files(str(after))
    page.locator("#step-resolve button[type=submit]").click()
    expect(page.locator("#case-status")).to_have_text("已办结")

    # 4. the director closes it; the history shows every step
    _switch(page, "director")
    page.goto(case.get_absolute_url())
    page.locator("#step-close summary").click()
    page.locator("#step-close button[type=submit]").click()
    expect(page.locator("#case-status")).to_have_text("已关闭")
    steps = page.locator("#timeline li[data-step]")
    expect(steps).to_have_count(4)
    assert [s.get_attribute("data-step") for s in steps.all()] == ["report", "assign", "resolve", "close"]
    expect(page.locator("#timeline img")).to_have_count(2)
    assert horizontal_overflow(page) == 0
    screenshot(page, "cases-detail-phone")
