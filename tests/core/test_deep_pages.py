"""Deep pages of a list ordered by community: the page is found by the communities' sizes (one GROUP BY that also
gives the count) and read from the one or two communities it falls in, instead of an OFFSET that sorted every row
of the scope by the joined community code (issue 17: page 500 of a street's persons took a second)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.registry.helpers import pid
from tongxin.core import paging
from tongxin.registry.models import Person

PERSONS = reverse("registry:person_list")


@pytest.fixture
def spread(world):
    """7 residents in community A (530103002001) and 5 in B (530103003001), names out of key order."""
    names_a = ["王五", "李四", "张三", "赵六", "钱七", "孙八", "周九"]
    names_b = ["吴十", "郑一", "冯二", "陈三", "褚四"]
    n = 0
    for community, names in ((world.b, names_b), (world.a, names_a)):  # B first: keys do not follow the order
        for name in names:
            n += 1
            Person.objects.create(community=community, name=name, id_number=pid("1980-01-01", 2 * n + 1))
    return world


def names_on(response) -> list[str]:
    return [p.name for p in response.context["table"].rows]


def all_pages(client, per_page: int, **params) -> tuple[list[str], int]:
    first = client.get(PERSONS, {"per_page": per_page, **params})
    pages = first.context["page"].paginator.num_pages
    names = []
    for number in range(1, pages + 1):
        names += names_on(client.get(PERSONS, {"per_page": per_page, "page": number, **params}))
    return names, first.context["page"].paginator.count


@pytest.mark.parametrize("skip_from", [0, 10_000])
def test_every_page_holds_the_rows_the_ordering_gives(spread, monkeypatch, skip_from):
    monkeypatch.setattr(paging, "GROUP_SKIP_FROM", skip_from)  # 0: every page by groups; 10,000: none
    client = Client()
    client.force_login(spread.users["admin"])
    expected = [p.name for p in Person.objects.order_by("community__code", "name", "pk")]  # A (530103002001) before B
    names, count = all_pages(client, 3)
    assert names == expected and count == 12
    names, _count = all_pages(client, 5, sort="-name")  # another ordering: the plain OFFSET, same rows
    assert names == [p.name for p in Person.objects.order_by("-name", "pk")]


def test_a_deep_page_costs_what_the_first_costs(spread, monkeypatch):
    monkeypatch.setattr(paging, "GROUP_SKIP_FROM", 3)
    client = Client()
    client.force_login(spread.users["admin"])
    client.get(PERSONS, {"per_page": 3})
    with CaptureQueriesContext(connection) as first:
        client.get(PERSONS, {"per_page": 3})
    with CaptureQueriesContext(connection) as deep:
        response = client.get(PERSONS, {"per_page": 3, "page": 3})
    assert names_on(response) == [p.name for p in Person.objects.order_by("community__code", "name", "pk")][6:9]
    sql = [q["sql"] for q in deep.captured_queries]
    keyed = [q for q in sql if q.startswith('SELECT "registry_person"."id" AS "pk"') and "ORDER BY" in q]
    assert len(keyed) == 2  # the page spans A's last row and B's first two: their keys, each within its community
    assert all('"registry_person"."community_id" = ' in q and '"org_division"."code"' not in q for q in keyed)
    assert not any('SELECT COUNT(*) AS "__count" FROM "registry_person"' in q for q in sql)  # counted by groups
    assert len(deep) <= len(first) + 2  # the groups the page spans: one key query each


def test_the_count_is_the_scope_not_every_row(spread):
    client = Client()
    client.force_login(spread.users["director_b"])
    response = client.get(PERSONS, {"per_page": 2, "page": 3})
    assert response.context["page"].paginator.count == 5
    assert names_on(response) == [p.name for p in Person.objects.filter(community=spread.b).order_by("name", "pk")][4:]
