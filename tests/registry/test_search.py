"""The one search box of persons, on the list page (/registry/persons/?q=) and the API
(/api/v1/registry/persons/?q=): names, pinyin, initials with every surname reading, the ID number and
its tail, phones, household numbers, addresses; always within the user's scope; ranked."""

from __future__ import annotations

import datetime

import pytest

from tongxin.registry.models import Household, Membership, Person

from .helpers import HEADER, pid, run_import, write

LIST_URL = "/registry/persons/"
API_URL = "/api/v1/registry/persons/"

WF_ID = pid("1985-05-05", 42)
ZXX_ID = pid("1979-07-07", 35)
WFF_ID = pid("1990-10-10", 64)


@pytest.fixture
def people(world):
    a, b = world.a, world.b
    h1 = Household.objects.create(community=a, number="0001", grid=world.grid_a, address="幸福路12号")
    h2 = Household.objects.create(community=a, number="0007", address="桃源小区3栋")
    wf = Person.objects.create(
        community=a,
        grid=world.grid_a,
        household=h1,
        relationship="02",
        name="王芳",
        id_number=WF_ID,
        phone="13912345678",
        current_address="幸福路12号",
    )
    Membership.objects.create(community=a, household=h1, person=wf, relationship="02")
    wff = Person.objects.create(
        community=a, household=h2, relationship="02", name="王芳芳", id_number=WFF_ID, phone="13800001111"
    )
    Membership.objects.create(community=a, household=h2, person=wff, relationship="02")
    zxx = Person.objects.create(community=a, name="曾小贤", id_number=ZXX_ID, current_address="桃源小区3栋")
    wang_b = Person.objects.create(
        community=b,
        grid=world.grid_b,
        name="王芳",
        id_number=pid("1985-05-05", 44),
        phone="13912345679",
        current_address="幸福路12号",
    )
    zhang = Person.objects.create(
        community=a, grid=world.grid_a, name="张三", sex="1", birth_date=datetime.date(1950, 1, 1)
    )
    return {"wf": wf, "wff": wff, "zxx": zxx, "wang_b": wang_b, "zhang": zhang}


def page_names(client, world, query, key="director"):
    client.force_login(world.users[key])
    response = client.get(LIST_URL, {"q": query, "per_page": 100})
    assert response.status_code == 200
    return [p.name for p in response.context["table"].rows]


def page_pks(client, world, query, key="director"):
    client.force_login(world.users[key])
    response = client.get(LIST_URL, {"q": query, "per_page": 100})
    assert response.status_code == 200
    return [p.pk for p in response.context["table"].rows]


def api_pks(client, world, query, key="director"):
    headers = {"Authorization": f"Bearer {world.tokens[key]}"}
    response = client.get(API_URL, {"q": query}, headers=headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"])
    return [r["id"] for r in body["results"]]


QUERIES = [
    ("王芳", ["wf", "wff"]),
    ("王", ["wf", "wff"]),
    ("wangfang", ["wf", "wff"]),
    ("wf", ["wf", "wff"]),
    ("zxx", ["zxx"]),
    ("cxx", ["zxx"]),
    ("zengxiaoxian", ["zxx"]),
    ("cengxiaoxian", ["zxx"]),
    ("曾小贤", ["zxx"]),
    (WF_ID, ["wf"]),
    (WF_ID[-4:], ["wf"]),
    (WF_ID[-6:], ["wf"]),
    ("13912345678", ["wf"]),
    ("139-1234-5678", ["wf"]),
    ("0007", ["wff"]),
    ("幸福路", ["wf"]),
    ("桃源小区", ["wff", "zxx"]),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q for q, _e in QUERIES])
def test_search_on_the_list_page_and_the_api(client, world, people, query, expected):
    want = {people[k].pk for k in expected}
    assert set(page_pks(client, world, query)) == want
    assert set(api_pks(client, world, query)) == want


def test_lower_case_x_and_spaces_in_an_id_number(client, world):
    number = next(pid("1966-06-06", s) for s in range(1, 999, 2) if pid("1966-06-06", s).endswith("X"))
    p = Person.objects.create(community=world.a, name="赵X", id_number=number)
    spaced = f"{number[:6]} {number[6:14]} {number[14:].lower()}"
    assert page_pks(client, world, spaced) == [p.pk]
    assert page_pks(client, world, number[-4:].lower()) == [p.pk]


def test_fifteen_digit_id_finds_the_upgraded_number(client, world):
    number = pid("1966-06-06", 123)
    p = Person.objects.create(community=world.a, name="老号码", id_number=number)
    assert page_pks(client, world, number[:6] + number[8:17]) == [p.pk]


def test_search_never_leaves_the_scope(client, world, people):
    # 王芳 of community B matches every one of these, and never appears for the director of A
    for query in ("王芳", "wf", "幸福路", people["wang_b"].id_number, "13912345679", people["wang_b"].id_number[-4:]):
        assert people["wang_b"].pk not in page_pks(client, world, query), query
        assert people["wang_b"].pk not in api_pks(client, world, query), query
    assert page_pks(client, world, "13912345679") == []
    # and the director of B finds them
    assert page_pks(client, world, "王芳", key="director_b") == [people["wang_b"].pk]
    # the street official sees A only (B is under another street)
    assert set(page_pks(client, world, "王芳", key="official")) == {people["wf"].pk, people["wff"].pk}


def test_the_grid_member_finds_only_their_grids_persons(client, world, people):
    assert page_pks(client, world, "王", key="grid_member") == [people["wf"].pk]
    assert api_pks(client, world, "wf", key="grid_member") == [people["wf"].pk]
    assert page_pks(client, world, "曾小贤", key="grid_member") == []
    assert page_pks(client, world, "张三", key="grid_member") == [people["zhang"].pk]


def test_an_exact_name_comes_before_a_prefix_match(client, world, people):
    # 小王芳 (a match inside the name) sorts first by name and was created first: only the ranking
    # puts the exact name, then the prefix, then the inner match
    Person.objects.filter(pk=people["zxx"].pk).update(name="小王芳")
    ranked = [people["wf"].pk, people["wff"].pk, people["zxx"].pk]
    assert page_pks(client, world, "王芳") == ranked
    assert api_pks(client, world, "王芳") == ranked
    # an explicit sort overrides the ranking
    client.force_login(world.users["director"])
    response = client.get(LIST_URL, {"q": "王芳", "sort": "name"})
    assert [p.name for p in response.context["table"].rows] == sorted(["王芳", "王芳芳", "小王芳"])
    another = Person.objects.create(community=world.a, name="王芳", sex="2", birth_date=datetime.date(2001, 1, 1))
    assert page_names(client, world, "王芳") == ["王芳", "王芳", "王芳芳", "小王芳"]
    assert another.pk in page_pks(client, world, "王芳")


def test_initials_exact_before_initials_prefix(client, world, people):
    early = Person.objects.create(community=world.a, name="万福海", sex="2", birth_date=datetime.date(1999, 1, 1))
    wf = Person.objects.create(community=world.a, name="吴凡", sex="1", birth_date=datetime.date(1998, 1, 1))
    pks = api_pks(client, world, "wf")
    assert pks.index(wf.pk) < pks.index(early.pk)
    assert pks.index(people["wf"].pk) < pks.index(people["wff"].pk)


def test_the_id_number_comes_before_a_name(client, world, people):
    assert api_pks(client, world, WF_ID)[0] == people["wf"].pk


def test_search_combines_with_other_filters(client, world, people):
    client.force_login(world.users["director"])
    response = client.get(LIST_URL, {"q": "王", "grid": world.grid_a.pk})
    assert [p.pk for p in response.context["table"].rows] == [people["wf"].pk]


def test_no_match_and_blank_query(client, world, people):
    assert page_pks(client, world, "不存在的人") == []
    assert page_pks(client, world, "qqqqq") == []
    assert len(page_pks(client, world, "")) == 4
    assert len(page_pks(client, world, "   ")) == 4


def test_persons_from_the_import_are_found(client, world, tmp_path):
    rows = [
        HEADER,
        ["0101", "曾小贤", ZXX_ID, "", "", "", "户主", "", "0871-65123456", "爱情公寓3号楼"],
        ["0101", "胡一菲", pid("1982-02-02", 46), "", "", "", "配偶", "", "13700001234", "爱情公寓3号楼"],
    ]
    run_import(write(tmp_path, "r.csv", rows))
    zxx = Person.objects.get(name="曾小贤")
    hyf = Person.objects.get(name="胡一菲")
    assert page_pks(client, world, "cxx") == [zxx.pk]
    assert page_pks(client, world, "zxx") == [zxx.pk]
    assert page_pks(client, world, "hyf") == [hyf.pk]
    assert page_pks(client, world, "0871-65123456") == [zxx.pk]
    assert page_pks(client, world, "1234") == [hyf.pk]  # the last four digits of the phone
    assert set(page_pks(client, world, "0101")) == {zxx.pk, hyf.pk}
    assert set(page_pks(client, world, "爱情公寓")) == {zxx.pk, hyf.pk}
    # a rename in a re-import is searchable under the new name only
    rows[2][1] = "胡二菲"
    run_import(write(tmp_path, "r2.csv", rows))
    assert page_pks(client, world, "hef") == [hyf.pk]
    assert page_pks(client, world, "hyf") == []


def test_pinyin_with_spaces(client, world, people):
    assert set(page_pks(client, world, "wang fang")) == {people["wf"].pk, people["wff"].pk}
    assert page_pks(client, world, "Zeng Xiao Xian") == [people["zxx"].pk]
