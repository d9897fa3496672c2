"""Workflow writes of the registry through their pages (move a person to another household, mark a
person moved out or deceased) and the statistics: the command, the API and the page."""

from __future__ import annotations

import datetime
import io
import json
import re

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from tongxin.core.models import ObjectChange
from tongxin.org.models import Division
from tongxin.registry.models import Household, Membership, PartyBranch, Person

from .helpers import pid

D = datetime.date


def make_household(community, number, **extra):
    return Household.objects.create(community=community, number=number, **extra)


def add_member(household, name, relationship, id_number="", **extra):
    p = Person.objects.create(
        community=household.community,
        household=household,
        relationship=relationship,
        name=name,
        id_number=id_number,
        **extra,
    )
    Membership.objects.create(community=household.community, household=household, person=p, relationship=relationship)
    if relationship in ("01", "02"):
        household.head = p
        household.save()
    return p


@pytest.fixture
def family(world):
    h1 = make_household(world.a, "0001")
    h2 = make_household(world.a, "0002")
    zw = add_member(h1, "张伟", "02", pid("1970-03-05", 11))
    ln = add_member(h1, "李娜", "10", pid("1972-06-07", 22))
    wf = add_member(h2, "王芳", "02", pid("1985-05-05", 42))
    return {"h1": h1, "h2": h2, "zw": zw, "ln": ln, "wf": wf}


def login(client, world, key="director"):
    client.force_login(world.users[key])
    return client


def move(client, person, household, relationship, date="2025-03-01", reason="结婚"):
    data = {"household": household.number, "relationship": relationship, "date": date, "reason": reason}
    response = client.post(f"/registry/persons/{person.pk}/move/", data)
    assert response.status_code == 302 and response["Location"] == person.get_absolute_url()
    return response


def messages_of(client, url):
    return [str(m) for m in client.get(url).context["messages"]]


# --- move -----------------------------------------------------------------------------------------------


def test_move_closes_the_membership_and_opens_a_new_one(client, world, family):
    login(client, world)
    ln, h1, h2 = family["ln"], family["h1"], family["h2"]
    move(client, ln, h2, "10")
    ln.refresh_from_db()
    assert ln.household == h2 and ln.relationship == "10"
    old, new = Membership.objects.filter(person=ln).order_by("pk")
    assert (old.household, old.end, old.reason) == (h1, D(2025, 3, 1), "结婚")
    assert (new.household, new.start, new.end, new.relationship) == (h2, D(2025, 3, 1), None, "10")
    h1.refresh_from_db()
    assert h1.head == family["zw"]  # the head stays
    # the history on the person's page, and the new household's members
    page = client.get(ln.get_absolute_url()).content.decode()
    history = page[page.index('id="membership-history"') :]
    assert "0001户" in history and "0002户" in history and "2025-03-01" in history and "至今" in history
    panel = page[page.index('id="household-panel"') : page.index('id="membership-history"')]
    assert "王芳" in panel and "张伟" not in panel
    step = ObjectChange.objects.get(object_id=str(ln.pk), action="workflow", step="move")
    assert step.user == world.users["director"] and step.source == "web"
    assert step.prechange_data["household"] == h1.pk and step.postchange_data["household"] == h2.pk


def test_move_refuses_a_second_head(client, world, family):
    login(client, world)
    ln, h2 = family["ln"], family["h2"]
    move(client, ln, h2, "02")
    ln.refresh_from_db()
    assert ln.household == family["h1"] and Membership.objects.filter(person=ln).count() == 1
    h2.refresh_from_db()
    assert h2.head == family["wf"]
    assert any("已有户主" in m for m in messages_of(client, ln.get_absolute_url()))


def test_moving_the_head_out_clears_the_old_households_head(client, world, family):
    login(client, world)
    zw, h1 = family["zw"], family["h1"]
    move(client, zw, family["h2"], "10")
    h1.refresh_from_db()
    assert h1.head is None
    assert ObjectChange.objects.filter(object_id=str(h1.pk), step="head_left").exists()


def test_a_head_becomes_head_of_a_new_household(client, world, family):
    login(client, world)
    h3 = make_household(world.a, "0003")
    move(client, family["ln"], h3, "02")
    h3.refresh_from_db()
    assert h3.head == family["ln"]


def test_changing_the_heads_relationship_within_the_household_keeps_the_head(client, world, family):
    login(client, world)
    zw, h1 = family["zw"], family["h1"]
    move(client, zw, h1, "01", reason="改为本人")
    h1.refresh_from_db()
    assert h1.head == zw
    assert Membership.objects.get(person=zw, end__isnull=True).relationship == "01"


def test_move_only_within_the_community_and_scope(client, world, family):
    foreign = make_household(world.b, "B0001")
    login(client, world)
    move(client, family["ln"], foreign, "10")
    assert family["ln"].memberships.get(end__isnull=True).household == family["h1"]
    # official: no change permission; director of B: person out of scope
    login(client, world, "official")
    data = {"household": family["h2"].number, "relationship": "10", "date": "2025-03-01"}
    assert client.post(f"/registry/persons/{family['ln'].pk}/move/", data).status_code == 403
    login(client, world, "director_b")
    assert client.post(f"/registry/persons/{family['ln'].pk}/move/", data).status_code == 404
    assert Membership.objects.filter(person=family["ln"]).count() == 1


def test_a_deceased_person_cannot_be_moved(client, world, family):
    login(client, world)
    ln = family["ln"]
    client.post(f"/registry/persons/{ln.pk}/status/", {"status": "deceased", "date": "2025-01-01"})
    move(client, ln, family["h2"], "10")
    assert not Membership.objects.filter(person=ln, end__isnull=True).exists()


# --- life status ----------------------------------------------------------------------------------------


def test_deceased_ends_the_membership_and_keeps_the_person(client, world, family):
    login(client, world)
    zw, h1 = family["zw"], family["h1"]
    response = client.post(f"/registry/persons/{zw.pk}/status/", {"status": "deceased", "date": "2025-02-02"})
    assert response.status_code == 302
    zw.refresh_from_db()
    assert zw.life_status == "deceased" and zw.life_status_date == D(2025, 2, 2)
    assert zw.household is None and zw.relationship == ""
    m = Membership.objects.get(person=zw)
    assert m.end == D(2025, 2, 2) and m.reason == "死亡"
    h1.refresh_from_db()
    assert h1.head is None
    assert Person.objects.filter(pk=zw.pk).exists()
    # still on the list when asked for, and the detail page still works
    listing = client.get("/registry/persons/", {"life_status": "deceased"})
    assert [p.pk for p in listing.context["table"].rows] == [zw.pk]
    assert client.get(zw.get_absolute_url()).status_code == 200
    assert ObjectChange.objects.filter(object_id=str(zw.pk), step="decease").exists()


def test_moved_out_with_a_reason(client, world, family):
    login(client, world)
    ln = family["ln"]
    client.post(
        f"/registry/persons/{ln.pk}/status/", {"status": "moved_out", "date": "2025-02-02", "reason": "迁往昆明"}
    )
    ln.refresh_from_db()
    assert ln.life_status == "moved_out"
    assert Membership.objects.get(person=ln).reason == "迁往昆明"


def test_status_form_errors_change_nothing(client, world, family):
    login(client, world)
    ln = family["ln"]
    client.post(f"/registry/persons/{ln.pk}/status/", {"status": "deceased"})  # no date
    client.post(f"/registry/persons/{ln.pk}/status/", {"status": "zombie", "date": "2025-01-01"})
    ln.refresh_from_db()
    assert ln.life_status == "living" and ln.household == family["h1"]


def test_the_edit_form_does_not_bypass_the_status_workflow(client, world, family):
    """Marking a resident deceased goes through the status form (which ends the membership)."""
    login(client, world)
    ln = family["ln"]
    data = {"community": world.a.pk, "name": "李娜", "life_status": "deceased", "life_status_date": "2025-01-01"}
    response = client.post(f"/registry/persons/{ln.pk}/edit/", data)
    assert response.status_code == 200 and "人员状态" in response.content.decode()
    ln.refresh_from_db()
    assert ln.life_status == "living" and ln.life_status_date is None
    assert Membership.objects.filter(person=ln, end__isnull=True).exists()
    edit_page = client.get(f"/registry/persons/{ln.pk}/edit/").content.decode()
    assert re.search(r'<select name="life_status"[^>]* disabled', edit_page)
    # the page, which does not send the disabled field, saves the other fields
    data = {"community": world.a.pk, "name": "李娜娜"}
    assert client.post(f"/registry/persons/{ln.pk}/edit/", data).status_code == 302
    ln.refresh_from_db()
    assert ln.name == "李娜娜" and ln.life_status == "living"
    # the API says so instead of ignoring it
    headers = {"Authorization": f"Bearer {world.tokens['director']}"}
    api = client.patch(
        f"/api/v1/registry/persons/{ln.pk}/",
        json.dumps({"life_status": "deceased"}),
        content_type="application/json",
        headers=headers,
    )
    assert api.status_code == 422 and "life_status" in api.json()["errors"]
    ok = client.patch(
        f"/api/v1/registry/persons/{ln.pk}/",
        json.dumps({"notes": "备注"}),
        content_type="application/json",
        headers=headers,
    )
    assert ok.status_code == 200 and ok.json()["life_status"] == "living"
    ln.refresh_from_db()
    assert ln.life_status == "living" and ln.notes == "备注"


def test_a_new_resident_defaults_to_living(client, world):
    headers = {"Authorization": f"Bearer {world.tokens['director']}"}
    body = {"community": world.a.pk, "name": "新人", "id_number": pid("1999-09-09", 21)}
    api = client.post("/api/v1/registry/persons/", json.dumps(body), content_type="application/json", headers=headers)
    assert api.status_code == 201, api.content
    assert Person.objects.get(name="新人").life_status == "living"


# --- statistics -------------------------------------------------------------------------------------------

STATS_KEYS = {
    "households",
    "persons",
    "by_registration_status",
    "ethnic_groups",
    "minority_persons",
    "by_ethnicity",
    "by_sex",
    "by_age_band",
    "party_members",
    "party_branches",
    "by_group",
}
AS_OF = D(2025, 6, 15)


@pytest.fixture
def town(world):
    """Community A with two groups and a party branch, a second community C under the same street, and
    community B under another street; dead and moved-out persons and a dissolved household."""
    a, b = world.a, world.b
    c = Division.objects.create(code="530103002002", name="第二社区", level="community", parent=world.street)
    g1 = Division.objects.create(code=a.code + "001", name="第一居民小组", level="group", parent=a)
    g2 = Division.objects.create(code=a.code + "002", name="第二居民小组", level="group", parent=a)
    branch = PartyBranch.objects.create(community=a, name="桃源社区党支部")
    h1 = make_household(a, "0001", grid=world.grid_a)
    h2 = make_household(a, "0002")
    make_household(a, "0003", status="dissolved")
    common = {"registration_status": "household"}
    # ages on AS_OF: 18 (born on the day), 17 (born a day later), 60, 59, 65, 80, unknown
    add_member(
        h1,
        "甲",
        "02",
        pid("2007-06-15", 11),
        group=g1,
        ethnicity="01",
        sex="1",
        birth_date=D(2007, 6, 15),
        grid=world.grid_a,
        **common,
    )
    add_member(
        h1,
        "乙",
        "30",
        pid("2007-06-16", 12),
        group=g1,
        ethnicity="07",
        sex="2",
        birth_date=D(2007, 6, 16),
        grid=world.grid_a,
        **common,
    )
    add_member(
        h2,
        "丙",
        "02",
        pid("1965-06-15", 13),
        group=g2,
        ethnicity="07",
        sex="1",
        birth_date=D(1965, 6, 15),
        political_status="01",
        party_branch=branch,
        **common,
    )
    add_member(
        h2,
        "丁",
        "10",
        pid("1965-06-16", 14),
        group=g2,
        ethnicity="03",
        sex="2",
        birth_date=D(1965, 6, 16),
        political_status="02",
        party_branch=branch,
        registration_status="floating",
    )
    Person.objects.create(community=a, name="戊", sex="1", birth_date=D(1960, 6, 15), ethnicity="01")
    Person.objects.create(community=a, name="己", sex="2", birth_date=D(1945, 6, 15))
    Person.objects.create(community=a, name="庚", sex="2")  # no birth date
    Person.objects.create(
        community=a, name="死者", sex="1", birth_date=D(1930, 1, 1), life_status="deceased", political_status="01"
    )
    Person.objects.create(community=a, name="迁出", sex="1", birth_date=D(1990, 1, 1), life_status="moved_out")
    # community C: 2 persons, 1 household; community B: 3 persons, 1 household
    hc = make_household(c, "C0001")
    add_member(hc, "子", "02", pid("1980-01-01", 15), sex="1", birth_date=D(1980, 1, 1), ethnicity="01")
    Person.objects.create(community=c, name="丑", sex="2", birth_date=D(2020, 1, 1), ethnicity="07")
    hb = make_household(b, "B0001")
    add_member(hb, "寅", "02", pid("1980-01-01", 17), sex="1", birth_date=D(1980, 1, 1))
    Person.objects.create(community=b, name="卯", sex="2", birth_date=D(1981, 1, 1))
    Person.objects.create(community=b, name="辰", sex="2", birth_date=D(1982, 1, 1))
    return {"c": c, "g1": g1, "g2": g2, "branch": branch}


def stats_command(code: str) -> dict:
    out = io.StringIO()
    call_command("stats", "--community", code, "--json", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_stats_command_for_a_community(world, town):
    with time_machine.travel(datetime.datetime(2025, 6, 15, 12, 0), tick=False):
        figures = stats_command(world.a.code)
    assert set(figures) == STATS_KEYS | {"division", "as_of", "party_members_probationary"}
    assert figures["households"] == 2  # active only
    assert figures["persons"] == 7  # living only
    assert figures["by_age_band"] == {"0-17": 1, "18-59": 2, "60-64": 1, "65-79": 1, "80+": 1, "未知": 1}
    assert figures["by_sex"] == {"男": 3, "女": 4}
    assert figures["by_ethnicity"] == {"汉族": 2, "彝族": 2, "回族": 1, "未填写": 2}
    assert figures["ethnic_groups"] == 3 and figures["minority_persons"] == 3
    assert figures["by_registration_status"] == {"户籍人口": 3, "流动人口": 1, "未填写": 3}
    assert figures["party_members"] == 2 and figures["party_members_probationary"] == 1
    assert figures["party_branches"] == 1
    assert figures["by_group"] == {"第一居民小组": 2, "第二居民小组": 2, "未分组": 3}
    assert figures["as_of"] == "2025-06-15"
    assert figures["division"]["code"] == world.a.code


def test_stats_age_bands_move_with_the_date(world, town):
    with time_machine.travel(datetime.datetime(2025, 6, 16, 12, 0), tick=False):
        figures = stats_command(world.a.code)
    # 乙 turned 18, 丁 turned 60
    assert figures["by_age_band"] == {"0-17": 0, "18-59": 2, "60-64": 2, "65-79": 1, "80+": 1, "未知": 1}


def test_stats_street_rollup_sums_its_communities(world, town):
    with time_machine.travel(datetime.datetime(2025, 6, 15, 12, 0), tick=False):
        street = stats_command(world.street.code)
        a = stats_command(world.a.code)
        c = stats_command(town["c"].code)
    assert street["households"] == a["households"] + c["households"] == 3
    assert street["persons"] == a["persons"] + c["persons"] == 9
    for key in ("by_sex", "by_ethnicity", "by_age_band", "by_registration_status"):
        summed = {k: a[key].get(k, 0) + c[key].get(k, 0) for k in {*a[key], *c[key]}}
        assert {k: v for k, v in street[key].items() if v} == {k: v for k, v in summed.items() if v}, key
    assert street["party_members"] == 2 and street["party_branches"] == 1
    assert street["by_group"] == {
        "桃源社区第一居民小组": 2,
        "桃源社区第二居民小组": 2,
        "桃源社区未分组": 3,
        "第二社区未分组": 2,
    }
    county = stats_command(world.county.code)
    assert county["persons"] == 9 + 3 and county["households"] == 3 + 1


def test_stats_command_unknown_code(world):
    with pytest.raises(CommandError):
        stats_command("000000000000")


def api_stats(client, world, key, code, **params):
    headers = {"Authorization": f"Bearer {world.tokens[key]}"}
    return client.get("/api/v1/registry/stats/", {"division": code, **params}, headers=headers)


def test_stats_api_is_scoped(client, world, town):
    ok = api_stats(client, world, "director", world.a.code, as_of="2025-06-15")
    assert ok.status_code == 200
    body = ok.json()
    assert set(body) >= STATS_KEYS and body["persons"] == 7 and body["households"] == 2
    assert body["by_age_band"]["60-64"] == 1
    assert api_stats(client, world, "director", world.b.code).status_code == 404
    assert api_stats(client, world, "director", world.street.code).status_code == 404
    assert api_stats(client, world, "nobody", world.a.code).status_code == 403
    street = api_stats(client, world, "official", world.street.code, as_of="2025-06-15").json()
    assert street["persons"] == 9
    assert api_stats(client, world, "official", world.b.code).status_code == 404


def test_stats_page_of_a_grid_member_counts_their_grid(client, world, town):
    login(client, world, "grid_member")
    html = client.get("/registry/stats/").content.decode()
    assert 'id="stat-persons">2<' in html and 'id="stat-households">1<' in html


def test_stats_page(client, world, town):
    login(client, world)
    page = client.get("/registry/stats/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="stat-households">2<' in html and 'id="stat-persons">7<' in html
    assert "第一居民小组" in html and "彝族" in html
    # a division out of scope falls back to the user's own community
    other = client.get("/registry/stats/", {"division": world.b.code}).content.decode()
    assert 'id="stat-persons">7<' in other and world.b.name not in other
    login(client, world, "official")
    street = client.get("/registry/stats/", {"division": world.street.code}).content.decode()
    assert 'id="stat-persons">9<' in street
    login(client, world, "nobody")
    assert client.get("/registry/stats/").status_code == 403


# --- memberships through their own pages ------------------------------------------------------------------


def test_adding_a_member_on_the_membership_page_sets_the_persons_household(client, world):
    login(client, world)
    h = make_household(world.a, "0009")
    p = Person.objects.create(community=world.a, name="新成员", id_number=pid("1999-01-01", 11))
    response = client.post("/registry/memberships/add/", {"household": h.pk, "person": p.pk, "relationship": "02"})
    assert response.status_code == 302
    p.refresh_from_db()
    h.refresh_from_db()
    assert p.household == h and p.relationship == "02" and h.head == p
    # the person's page lists the household
    assert "0009户" in client.get(p.get_absolute_url()).content.decode()
    # ending the membership takes the person out of the household
    m = Membership.objects.get(person=p)
    response = client.post(
        f"/registry/memberships/{m.pk}/edit/",
        {"household": h.pk, "person": p.pk, "relationship": "02", "end": "2025-05-05", "reason": "分户"},
    )
    assert response.status_code == 302
    p.refresh_from_db()
    h.refresh_from_db()
    assert p.household is None and p.relationship == "" and h.head is None


def test_a_deceased_person_cannot_be_added_to_a_household(client, world):
    login(client, world)
    h = make_household(world.a, "0009")
    p = Person.objects.create(community=world.a, name="故人", id_number=pid("1930-01-01", 11), life_status="deceased")
    response = client.post("/registry/memberships/add/", {"household": h.pk, "person": p.pk, "relationship": "10"})
    assert response.status_code == 200 and not Membership.objects.exists()


def test_the_edit_form_does_not_move_a_household_member_to_another_community(client, world, family):
    c = Division.objects.create(code="530103002002", name="第二社区", level="community", parent=world.street)
    client.force_login(world.users["admin"])
    ln = family["ln"]
    response = client.post(f"/registry/persons/{ln.pk}/edit/", {"community": c.pk, "name": "李娜"})
    assert response.status_code == 200 and "迁出" in response.content.decode()
    ln.refresh_from_db()
    assert ln.community == world.a
    # a person in no household may be corrected to another community
    loner = Person.objects.create(community=world.a, name="独居", id_number=pid("1950-05-05", 21))
    response = client.post(f"/registry/persons/{loner.pk}/edit/", {"community": c.pk, "name": "独居"})
    assert response.status_code == 302
    loner.refresh_from_db()
    assert loner.community == c


def test_deleting_a_current_membership_releases_the_person_and_the_head(client, world):
    from tests.registry.test_models_pages_api import make_person
    from tongxin.core.models import ObjectChange
    from tongxin.registry.models import Household, Membership, Person

    household = Household.objects.create(community=world.a, number="DEL1")
    person = make_person(world.a, household=household, relationship="02")
    membership = Membership.objects.create(community=world.a, household=household, person=person, relationship="02")
    household.head = person
    household.save()
    client.force_login(world.users["director"])
    assert client.post(f"/registry/memberships/{membership.pk}/delete/").status_code == 302
    person, household = Person.objects.get(pk=person.pk), Household.objects.get(pk=household.pk)
    assert person.household_id is None and person.relationship == ""
    assert household.head_id is None
    assert ObjectChange.objects.filter(object_id=str(person.pk), action="update").exists()
