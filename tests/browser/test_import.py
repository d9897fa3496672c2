"""Bulk import through the browser: upload → preview with the rejected row → confirm → done."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, login

pytestmark = pytest.mark.browser

CSV = "所属社区,网格编号,网格名称\n桃源社区,IMP1,导入网格一\n不存在社区,IMP2,导入网格二\n"


@pytest.mark.parametrize("username", ["director", "superuser"])
def test_import_grids_from_csv(page, world_live, tmp_path, username):
    from tongxin.core.models import ImportJob, User
    from tongxin.org.models import Grid

    world = world_live
    if username == "superuser":
        User.objects.create_user(username="superuser", password=PASSWORD, name="superuser", is_superuser=True)
    csv = tmp_path / "网格导入.csv"
    csv.write_text(CSV, encoding="utf-8")

    login(page, username)
    page.goto("/org/grids/import/")
    page.locator("input[type=file]").set_input_files(str(csv))
    page.locator("form button[type=submit]").filter(has_text="上传并校验").click()
    page.wait_for_url(re.compile(r"/core/import-jobs/\d+/$"))
    job = ImportJob.objects.get()
    assert page.locator("#import-job").count() == 1, (
        f"{page.url} does not show the import job to its own uploader {username!r}: {page.title()!r}"
    )

    # Preview (dry run): one rejected row with its reason, nothing written yet.
    status = page.locator("#import-status")
    expect(status).to_have_text("待确认", timeout=8_000)
    expect(page.locator("#import-commit")).to_be_visible()
    errors = page.locator("#import-errors")
    expect(errors).to_be_visible()
    error_rows = errors.locator("tr").filter(has=page.locator("td"))
    expect(error_rows).to_have_count(1)
    expect(error_rows.first.locator("td").first).to_have_text("3")  # header is row 1
    expect(error_rows.first.locator("td").nth(1)).to_contain_text("不存在社区")
    assert not Grid.objects.filter(code__in=["IMP1", "IMP2"]).exists()
    job.refresh_from_db()
    assert job.status == "preview"

    # Commit; the immediate task backend finishes before the redirect, the page shows the result.
    page.locator("#import-commit").click()
    expect(status).to_have_text("已完成", timeout=8_000)
    expect(page.locator("#import-summary")).to_be_visible()

    created = Grid.objects.get(code="IMP1")
    assert created.community_id == world.a.pk and created.name == "导入网格一"
    assert not Grid.objects.filter(code="IMP2").exists()
    assert not Grid.objects.filter(name="导入网格二").exists()
    job.refresh_from_db()
    assert job.status == "done"
    assert job.summary["created"] == 1 and job.summary["rejected"] == 1
