"""A community director sees their own community and nothing of another community."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_director_sees_only_own_community(page, world_live):
    world = world_live
    login(page, "director")

    page.goto("/")
    body = page.locator("body")
    expect(page.locator("#my-scope")).to_contain_text(world.a.name)
    expect(page.locator(".community-badge")).to_have_text([world.a.name])
    html = page.content()
    for foreign in (world.b.name, world.grid_b.name, world.grid_b.code, world.other_street.name):
        assert foreign not in html, f"home page shows {foreign!r} of community B"
    expect(body).to_contain_text(world.a.name)

    page.goto("/org/grids/")
    table = page.locator("#object-table")
    expect(table).to_contain_text(world.grid_a.name)
    expect(table).to_contain_text("A01")
    expect(page.locator("#total-count")).to_have_text("1")
    html = page.content()
    for foreign in (world.b.name, world.grid_b.name, "B01"):
        assert foreign not in html, f"grid list shows {foreign!r} of community B"
    # The community filter (folded under 更多筛选条件) offers only community A.
    page.locator("#more-filters summary").click()
    options = page.locator("#filters select[name=community] option").all_inner_texts()
    assert world.a.name in options and world.b.name not in options

    # Nor can the foreign grid be reached by URL.
    response = page.goto(f"/org/grids/{world.grid_b.pk}/")
    assert response.status == 404
