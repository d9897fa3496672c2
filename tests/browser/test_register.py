"""Acceptance (browser): a community worker uploads a small register, sees the preview with the rejected
row and its reason, commits, finds a resident by pinyin initials and opens the household page — on a
desktop and at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import horizontal_overflow, login, screenshot

pytestmark = pytest.mark.browser

REGISTER = (
    "桃源社区居民花名册\n"
    "户号,姓名,身份证号,性别,民族,出生日期,与户主关系,居民小组,联系电话\n"
    "T001,王芳,530103198001020025,女,汉族,1980-01-02,户主,第一居民小组,13912345678\n"
    "T001,曾小贤,530103200503040018,男,彝,20050304,子,1组,\n"
    "T002,李坏号,530103198001020027,女,汉族,1980/1/2,户主,2,\n"
)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_worker_imports_a_register_and_finds_a_resident(request, world_live, tmp_path, size):
    from tongxin.registry.models import Household, Person

    page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    path = tmp_path / "花名册.csv"
    path.write_text(REGISTER, encoding="utf-8")

    login(page, "worker")
    page.goto("/registry/persons/import/")
    page.select_option("#id_community", label="桃源社区")
    page.locator("input[type=file]").set_input_files(str(path))
    page.locator("form button[type=submit]").filter(has_text="上传并校验").click()
    page.wait_for_url(re.compile(r"/core/import-jobs/\d+/$"))

    status = page.locator("#import-status")
    expect(status).to_have_text("待确认", timeout=10_000)
    errors = page.locator("#import-errors")
    rows = errors.locator("tr").filter(has=page.locator("td"))
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").first).to_have_text("5")  # title row 1, header row 2
    expect(rows.first.locator("td").nth(1)).to_contain_text("校验位错误")
    expect(rows.first.locator("td").nth(1)).to_contain_text("530103198001020027")
    assert not Person.objects.exists()
    screenshot(page, f"register-preview-{size}")

    page.locator("#import-commit").click()
    expect(status).to_have_text("已完成", timeout=10_000)
    assert Person.objects.count() == 2 and Household.objects.get(number="T001").head.name == "王芳"

    page.goto("/registry/persons/")
    page.locator("input[name=q]").first.fill("zxx")
    page.locator("input[name=q]").first.press("Enter")
    page.wait_for_url(re.compile(r"q=zxx"))
    link = page.get_by_role("link", name="曾小贤")
    expect(link).to_be_visible()
    expect(page.locator("text=530103***********8 >> visible=true").first).to_be_visible()  # masked, table or card
    screenshot(page, f"register-search-{size}")
    link.click()
    page.wait_for_url(re.compile(r"/registry/persons/\d+/$"))
    expect(page.locator("#household-panel")).to_contain_text("王芳")

    page.locator("#household-panel").get_by_role("link", name=re.compile("T001")).click()
    page.wait_for_url(re.compile(r"/registry/households/\d+/$"))
    members = page.locator("#household-members")
    expect(members).to_contain_text("王芳")
    expect(members).to_contain_text("曾小贤")
    expect(members).to_contain_text("户主")
    screenshot(page, f"register-household-{size}")
    if size == "phone":
        assert horizontal_overflow(page) <= 1
