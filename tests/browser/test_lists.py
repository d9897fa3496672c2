"""List pages in a browser: every import page is reached from its list by clicking 导入 (issue 17, defect 1), and
at phone width the resident and case lists are cards that fit the screen (defect 5)."""

from __future__ import annotations

import re

import pytest
from django.urls import get_resolver, reverse
from playwright.sync_api import expect

from tests.browser.conftest import horizontal_overflow, login, screenshot

pytestmark = pytest.mark.browser

LONG_NAME = "阿卜杜热合曼·买买提依明"


def importable_list_urls() -> list[str]:
    """The list page of every mounted viewset with an importer."""
    from tongxin.core.registry import registry

    get_resolver().url_patterns  # noqa: B018 (mounting the URLs registers the viewsets)
    return sorted({reverse(vs.url_name("list")) for vs in registry.all() if vs.importer is not None})


def test_a_director_reaches_every_import_page_by_clicking_import(page, world_live):
    urls = importable_list_urls()
    assert len(urls) >= 3
    login(page, "director")
    for url in urls:
        page.goto(url)
        page.get_by_role("link", name="导入").click()
        page.wait_for_url(re.compile(re.escape(url) + r"import/$"))
        expect(page.locator("main form[enctype='multipart/form-data'] input[type=file]")).to_be_attached()


def _register_with_cases(world) -> None:
    """Residents with long names and a few cases in community A's grid."""
    from tests.cases.helpers import report
    from tests.registry.helpers import pid
    from tongxin.cases.defaults import load_default_categories
    from tongxin.registry.models import Person

    load_default_categories()  # a flush between transactional tests may have dropped them

    for i in range(1, 8):
        name = LONG_NAME if i == 1 else f"居民{i:02d}"
        Person.objects.create(community=world.a, grid=world.grid_a, name=name, id_number=pid("1985-05-05", 2 * i + 1))
    for i in range(3):
        report(world, description=f"第{i + 1}号楼东侧路灯不亮已有一周，夜间行人摔倒")


@pytest.mark.parametrize("name,url_name", [("person", "registry:person_list"), ("case", "cases:case_list")])
def test_phone_lists_are_cards_that_fit_the_screen(browser, live_server, world_live, name, url_name):
    _register_with_cases(world_live)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.set_default_timeout(5_000)
    try:
        page = context.new_page()
        login(page, "director")
        page.goto(reverse(url_name))
        expect(page.locator("#object-table")).to_be_hidden()
        cards = page.locator("#object-cards .tx-card")
        expect(cards.first).to_be_visible()
        assert cards.count() >= 3
        first = cards.first
        expect(first.locator(".tx-card-title a").first).to_be_visible()
        if name == "case":
            expect(first).to_contain_text("时限状态")
            expect(first).to_contain_text("状态")
        else:
            expect(page.locator("#object-cards")).to_contain_text(LONG_NAME)
        # the same filters as on a desktop
        expect(page.locator("#filters")).to_be_visible()
        assert horizontal_overflow(page) <= 0
        screenshot(page, f"list-cards-{name}-390")
        first.locator(".tx-card-title a").first.click()
        page.wait_for_url(re.compile(r"/\d+/$"))
    finally:
        context.close()
