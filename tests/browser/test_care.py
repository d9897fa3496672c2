"""Acceptance (browser, 390×844, issue 18): a grid member opens a key person from 我的走访 (reached from the home
launcher), records a home visit with a photo and a need, and turns the need into a case in one tap; the care
file on the person's page shows the visit and the case."""

from __future__ import annotations

import datetime
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import _new_page, horizontal_overflow, login, screenshot

pytestmark = pytest.mark.browser


def test_a_grid_member_records_a_visit_with_a_photo_and_turns_its_need_into_a_case(
    browser, live_server, world_live, tmp_path
):
    from tests.care.helpers import enrol
    from tongxin.care.defaults import load_default_programmes
    from tongxin.care.models import Enrolment, Visit
    from tongxin.cases.defaults import load_default_categories

    load_default_categories()  # a flushed database may have lost the migrations' rows
    load_default_programmes()
    world = world_live
    enrolment = enrol(
        world, "left_behind_elderly", status=Enrolment.Status.ACTIVE, approved_on=datetime.date(2026, 1, 5)
    )
    enrolment.person.name = "杨奶奶"
    enrolment.person.save()
    shot = tmp_path / "visit.jpg"
    Image.new("RGB", (1800, 1200), (90, 140, 160)).save(shot, "JPEG")

    context, page = _new_page(browser, live_server, 390, 844)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        login(page, "grid_member")
        visits = page.locator("#launcher a[href='/care/visits/mine/']")
        expect(visits).to_contain_text("我的走访")
        visits.click()
        page.wait_for_url(re.compile(r"/care/visits/mine/$"))
        row = page.locator(f"[data-enrolment='{enrolment.pk}']")
        expect(row).to_contain_text("杨奶奶")
        assert horizontal_overflow(page) == 0
        screenshot(page, "phone-care-mine")
        row.locator("[data-record-visit]").click()
        page.wait_for_url(re.compile(r"/care/visits/add/"))
        expect(page.locator("#id_person")).to_have_value(str(enrolment.person_id))
        page.fill("#id_findings", "老人独自在家，精神尚可")
        page.fill("#id_needs", "厨房水管漏水，需要维修")
        page.locator("input[name=photos]").set_input_files(str(shot))
        screenshot(page, "phone-care-visit-form")
        page.locator("button[name=_save]").click()
        page.wait_for_url(re.compile(r"/care/visits/mine/$"))
        expect(page.locator(f"[data-enrolment='{enrolment.pk}']")).to_contain_text("本期已走访")

        visit = Visit.objects.get(person=enrolment.person)
        assert visit.photos.count() == 1 and visit.visitor.username == "grid_member"
        page.goto(visit.get_absolute_url())
        expect(page.locator("#object-files img")).to_have_count(1)
        page.locator("#open-case").click()
        page.wait_for_url(re.compile(r"/cases/cases/\d+/$"))
        visit.refresh_from_db()
        assert visit.case is not None
        expect(page.locator("body")).to_contain_text("厨房水管漏水")
        screenshot(page, "phone-care-case")
    finally:
        context.close()

    # the care file on the person's page, as the director sees it: the enrolment, the visit and the case
    context, page = _new_page(browser, live_server, 1280, 900)
    try:
        login(page, "director")
        page.goto(enrolment.person.get_absolute_url())
        expect(page.locator("#person-care")).to_contain_text("留守老人")
        expect(page.locator("#person-visits")).to_contain_text("已转事件")
        expect(page.locator("body")).to_contain_text(visit.case.number)
        screenshot(page, "care-file")
    finally:
        context.close()
    assert not errors, errors
