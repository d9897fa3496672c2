"""List pages as people use them: the 导入 button, page sizes and jumps, deep pages as cheap as the first, the
phone-width cards, and menus that show each role what it uses (issue 17, defects 1, 5, 7 and 11)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse

from tests.registry.helpers import pid
from tongxin.core.registry import registry
from tongxin.registry.models import Person


def client_for(world, key: str) -> Client:
    """A client logged in as one of the world's users."""
    client = Client()
    client.force_login(world.users[key])
    return client


def importable_viewsets() -> list:
    """Every mounted viewset with an importer (one per list page)."""
    get_resolver().url_patterns  # noqa: B018 (mounting the URLs registers the viewsets)
    seen, out = set(), []
    for vs in registry.all():
        if vs.importer is not None and vs.url_name("list") not in seen:
            seen.add(vs.url_name("list"))
            out.append(vs)
    return out


def residents(world, n: int) -> list[Person]:
    """``n`` residents of community A's grid, named 居民01, 居民02...; sorted by name they come in that order."""
    return [
        Person.objects.create(
            community=world.a, grid=world.grid_a, name=f"居民{i:02d}", id_number=pid("1980-01-01", 2 * i + 1)
        )
        for i in range(1, n + 1)
    ]


def names_on(response) -> list[str]:
    """The resident names of the page's table rows, in order."""
    return [p.name for p in response.context["table"].rows]


# --- defect 1: the 导入 button --------------------------------------------------------------------------------


def test_every_importable_list_has_an_import_button_for_the_administrator(world):
    vss = importable_viewsets()
    assert len(vss) >= 3  # grids, residents, holidays
    client = client_for(world, "admin")
    for vs in vss:
        list_url = reverse(vs.url_name("list"))
        response = client.get(list_url)
        assert response.status_code == 200
        assert f'href="{list_url}import/"' in response.content.decode(), vs.__name__
        assert client.get(f"{list_url}import/").status_code == 200


def test_the_director_gets_the_import_button_on_the_resident_and_grid_lists(world):
    client = client_for(world, "director")
    for name in ("registry:person_list", "org:grid_list"):
        url = reverse(name)
        assert f'href="{url}import/"' in client.get(url).content.decode(), name


def test_roles_without_import_permission_get_no_import_button(world):
    for key in ("official", "grid_member", "official_view"):
        client = client_for(world, key)
        for vs in importable_viewsets():
            url = reverse(vs.url_name("list"))
            response = client.get(url)
            if response.status_code == 200:
                assert "import/" not in response.content.decode(), (key, vs.__name__)


# --- defect 11: deep pages, page sizes, jumps -----------------------------------------------------------------


def test_a_deep_page_costs_as_many_queries_as_the_first(world):
    residents(world, 30)
    client = client_for(world, "director")
    url = reverse("registry:person_list")
    counts = []
    for page in (1, 5):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"sort": "name", "per_page": 5, "page": page})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert names_on(response) == [f"居民{i:02d}" for i in range(21, 26)]
    assert response.context["page"].paginator.count == 30


def test_pages_keep_the_sort_order_and_the_total_at_every_depth(world):
    residents(world, 23)
    client = client_for(world, "director")
    url = reverse("registry:person_list")
    seen = []
    for page in (1, 2, 3):
        response = client.get(url, {"sort": "-name", "per_page": 10, "page": page})
        assert re.search(r'id="total-count">23<', response.content.decode())
        seen += names_on(response)
    assert seen == [f"居民{i:02d}" for i in range(23, 0, -1)]


def test_the_page_size_select_offers_20_50_100_200_and_keeps_the_filters(world):
    residents(world, 25)
    client = client_for(world, "director")
    response = client.get(reverse("registry:person_list"), {"q": "居民", "per_page": 20})
    html = response.content.decode()
    assert response.context["page"].paginator.per_page == 20
    select = re.search(r'<select[^>]*name="per_page"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None and 'form="pager-form"' in select.group(0)
    assert re.findall(r'<option value="(\d+)"', select.group(1)) == ["20", "50", "100", "200"]
    assert '<option value="20" selected>' in select.group(1)
    pager = re.search(r'<form method="get"[^>]*id="pager-form">(.*?)</form>', html, re.S)
    assert pager is not None
    assert '<input type="hidden" name="q" value="居民">' in pager.group(1)
    assert 'name="per_page"' not in pager.group(1) and 'name="page"' not in pager.group(1)
    assert len(names_on(response)) == 20


def test_the_jump_to_page_input_opens_that_page_and_a_page_too_far_opens_the_last(world):
    residents(world, 25)
    client = client_for(world, "director")
    url = reverse("registry:person_list")
    html = client.get(url, {"sort": "name", "per_page": 5}).content.decode()
    assert re.search(r'<input[^>]*type="number"[^>]*name="page"[^>]*max="5"[^>]*form="pager-form"', html)
    response = client.get(url, {"sort": "name", "per_page": 5, "page": 3})  # what the jump form sends
    assert names_on(response) == [f"居民{i:02d}" for i in range(11, 16)]
    assert "第 3 / 5 页" in response.content.decode()
    response = client.get(url, {"sort": "name", "per_page": 5, "page": 99})
    assert response.context["page"].number == 5


# --- defect 5: cards at phone width ---------------------------------------------------------------------------


def test_each_row_is_also_a_card_with_its_link_and_first_fields(world):
    people = residents(world, 2)
    html = client_for(world, "director").get(reverse("registry:person_list"), {"sort": "name"}).content.decode()
    assert 'class="table-responsive card d-none d-sm-block" id="object-table"' in html
    assert '<div class="d-sm-none tx-cards" id="object-cards">' in html
    body = html.split('id="object-cards">')[1].split("</form>")[0]
    assert body.count('class="card mb-2 tx-card"') == 2
    assert f'href="{people[0].get_absolute_url()}"' in body
    assert "<dt" in body and "性别" in body


# --- defect 7: menus and the home page ------------------------------------------------------------------------

NOT_FOR_GRID_MEMBERS = ("用户", "行政区划", "党组织", "小区", "楼栋", "房屋", "标签", "导入任务")


def menu(world, key: str) -> list[str]:
    """The labels of the user's menu entries."""
    response = client_for(world, key).get("/")
    return [str(item["label"]) for group in response.context["nav_groups"] for item in group["items"]]


def test_a_grid_members_menu_shows_only_the_lists_of_their_grid(world):
    labels = menu(world, "grid_member")
    for label in NOT_FOR_GRID_MEMBERS:
        assert label not in labels, label
    for label in ("网格", "居民", "户", "事件与诉求", "上报事件", "我的任务"):
        assert label in labels, label


@pytest.mark.parametrize("key", ["admin", "director", "official"])
def test_community_and_street_roles_keep_the_reference_lists(world, key):
    labels = menu(world, key)
    for label in ("用户", "行政区划", "党组织", "小区", "楼栋", "房屋", "标签", "导入任务", "居民"):
        assert label in labels, (key, label)


def test_a_worker_keeps_the_register_and_import_jobs_but_not_the_change_log(world):
    labels = menu(world, "worker")
    assert "居民" in labels and "导入任务" in labels and "小区" in labels
    assert "变更记录" not in labels


def test_a_host_sees_no_register_in_the_menu(world):
    labels = menu(world, "host")
    assert not {"居民", "户", "用户", "行政区划", "网格"} & set(labels)


def test_a_grid_members_home_counts_the_community_of_their_grid(world):
    html = client_for(world, "grid_member").get("/").content.decode()
    assert "可见社区/村 0 个" not in html
    assert "可见社区/村 1 个，网格 1 个" in html
    assert world.a.name in html


def test_a_directors_home_still_counts_their_community_and_grids(world):
    html = client_for(world, "director").get("/").content.decode()
    assert "可见社区/村 1 个，网格 1 个" in html
