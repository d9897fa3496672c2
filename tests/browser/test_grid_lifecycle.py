"""Acceptance: a community director creates and edits a grid in the browser, finds both changes in the
grid's history and in the global change log, then switches the interface to English."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

LOCALE_DIR = Path(__file__).resolve().parents[2] / "src" / "tongxin" / "locale"


def english(msgid: str) -> str | None:
    """The compiled English translation of one of the project's strings, or None when not (yet) compiled."""
    mo = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.mo"
    if not mo.exists():
        return None
    with mo.open("rb") as fh:
        translated = gettext.GNUTranslations(fh).gettext(msgid)
    return translated if translated != msgid else None


def test_director_creates_edits_and_audits_a_grid(page, world_live):
    from django.contrib.contenttypes.models import ContentType

    from tongxin.core.models import ObjectChange
    from tongxin.org.models import Grid

    world = world_live
    login(page, "director")

    # -- create through the "新建" form ---------------------------------------------------------
    page.goto("/org/grids/")
    page.get_by_role("link", name="新建").click()
    page.wait_for_url("**/org/grids/add/")
    page.select_option("#id_community", label="桃源社区")
    page.fill("#id_code", "E2E1")
    page.fill("#id_name", "浏览器网格")
    page.locator("button[name=_save]").click()
    page.wait_for_url(re.compile(r"/org/grids/\d+/$"))

    grid = Grid.objects.get(code="E2E1")
    assert grid.community_id == world.a.pk
    expect(page.locator("h1")).to_have_text("浏览器网格")
    details = page.locator("table").first
    expect(details).to_contain_text("桃源社区")
    expect(details).to_contain_text("E2E1")

    # -- edit: change the name --------------------------------------------------------------------
    page.get_by_role("link", name="编辑").click()
    page.wait_for_url(f"**/org/grids/{grid.pk}/edit/")
    expect(page.locator("#id_name")).to_have_value("浏览器网格")
    page.fill("#id_name", "改名后的网格")
    page.locator("button[name=_save]").click()
    page.wait_for_url(re.compile(rf"/org/grids/{grid.pk}/$"))
    expect(page.locator("h1")).to_have_text("改名后的网格")
    grid.refresh_from_db()
    assert grid.name == "改名后的网格"

    # -- the detail page's 变更历史 panel shows create and update (old → new name) ----------------
    history = page.locator("#history")
    expect(history).to_contain_text("变更历史")
    items = history.locator("li.list-group-item")
    expect(items).to_have_count(2)
    expect(history).to_contain_text("新建")
    expect(history).to_contain_text("修改")
    update_item = items.filter(has_text="修改")
    expect(update_item).to_contain_text("浏览器网格")
    expect(update_item).to_contain_text("改名后的网格")
    expect(history).to_contain_text("director")

    # -- the full history page -----------------------------------------------------------------------
    page.goto(f"/org/grids/{grid.pk}/history/")
    rows = page.locator("table tr").filter(has=page.locator("td"))
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="新建")).to_have_count(1)
    updated = rows.filter(has_text="修改")
    expect(updated).to_have_count(1)
    expect(updated).to_contain_text("浏览器网格 → 改名后的网格")
    assert set(
        ObjectChange.objects.filter(object_id=str(grid.pk), content_type__model="grid").values_list("action", flat=True)
    ) == {"create", "update"}

    # -- the global change log, filtered by object type and searched by name -------------------------
    page.goto("/core/object-changes/")
    filters = page.locator("#filters")
    filters.locator("#more-filters summary").click()  # the filters beside the search box are folded
    grid_type = ContentType.objects.get_for_model(Grid)
    filters.locator("select[name=content_type]").select_option(value=str(grid_type.pk))
    filters.locator("input[name=q]").fill("网格")
    filters.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"content_type={grid_type.pk}\b"))
    table = page.locator("#object-table")
    expect(table).to_contain_text("改名后的网格")
    log_rows = table.locator("tbody tr")
    expect(log_rows.filter(has_text="新建").filter(has_text="director")).not_to_have_count(0)
    expect(log_rows.filter(has_text="修改").filter(has_text="改名后的网格")).to_have_count(1)

    # Search for the old name too: the create entry was recorded under it.
    page.goto("/core/object-changes/?q=浏览器网格")
    expect(page.locator("#object-table tbody")).to_contain_text("浏览器网格")

    # -- switch the language to English through the navbar menu -------------------------------------
    page.goto(f"/org/grids/{grid.pk}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.locator("#lang-menu").click()
    page.locator("button[data-lang=en]").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.url.endswith(f"/org/grids/{grid.pk}/")
    expect(page.locator("#lang-menu")).to_contain_text("English")
    screenshot(page, "grid-detail-en-1280")
    # Django's own catalogue is always there: a required-field error in English.
    page.goto("/org/grids/add/")
    page.locator("button[name=_save]").click()
    expect(page.locator(".invalid-feedback").first).to_have_text("This field is required.")
    # The project's catalogue, where compiled and translated.
    for msgid in ("变更历史", "新建"):
        translated = english(msgid)
        if translated:
            page.goto(f"/org/grids/{grid.pk}/" if msgid == "变更历史" else "/org/grids/")
            expect(page.locator("body")).to_contain_text(translated)
    # The language sticks across pages.
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"
