"""A grid member's visits (issue 18): 我的走访 lists the key persons of their grid (overdue first) with a visit form
already filled in; a visit's need becomes a case in one tap; the care file on the person's page shows the
enrolments and visits to who may see them; home has the 我的走访 launcher."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tests.care.helpers import enrol, person
from tests.cases.helpers import at
from tongxin.care.models import Enrolment, Visit
from tongxin.cases.models import Case

pytestmark = pytest.mark.django_db
D = datetime.date
NOW = at("2026-04-02 10:00")


@pytest.fixture
def key_persons(world):
    """In grid A, all enrolled 2026-01-10: an elder visited every month (done), a child never visited (January to
    March overdue), a 低保 household visited in Q1 (quarterly: due this quarter); in community B another elder."""
    active = {"status": Enrolment.Status.ACTIVE, "approved_on": D(2026, 1, 10)}
    elder = enrol(world, "left_behind_elderly", **active)
    for day in (D(2026, 1, 15), D(2026, 2, 10), D(2026, 3, 20), D(2026, 4, 1)):
        Visit.objects.create(community=world.a, grid=world.grid_a, person=elder.person, visited_on=day)
    child = enrol(world, "left_behind_children", **active)
    child.person.name = "小明"
    child.person.save()
    dibao = enrol(world, "dibao", **active)
    head = dibao.household.head
    Visit.objects.create(community=world.a, grid=world.grid_a, person=head, household=dibao.household,
                         visited_on=D(2026, 3, 5))  # fmt: skip
    other = enrol(world, "left_behind_elderly", community=world.b, **active)
    return {"elder": elder, "child": child, "dibao": dibao, "other": other}


def test_my_visits_lists_my_grids_key_persons_overdue_first_with_a_filled_in_form(client, world, key_persons):
    client.force_login(world.users["grid_member"])
    with time_machine.travel(NOW, tick=False):
        html = client.get("/care/visits/mine/").content.decode()
    order = [key_persons[k].pk for k in ("child", "dibao", "elder")]  # overdue, due this quarter, done
    positions = [html.index(f'data-enrolment="{pk}"') for pk in order]
    assert positions == sorted(positions)
    assert f'data-enrolment="{key_persons["other"].pk}"' not in html
    assert 'data-state="overdue"' in html and "超期 3 期" in html
    child = key_persons["child"]
    assert f"/care/visits/add/?community={world.a.pk}&amp;grid={world.grid_a.pk}&amp;person={child.person_id}" in html
    with time_machine.travel(NOW, tick=False):
        form = client.get(f"/care/visits/add/?community={world.a.pk}&grid={world.grid_a.pk}&person={child.person_id}")
    assert form.status_code == 200 and f'value="{child.person_id}" selected' in form.content.decode()


def test_a_visit_recorded_on_the_form_counts_for_this_months_window(client, world, key_persons):
    child = key_persons["child"]
    client.force_login(world.users["grid_member"])
    data = {"community": world.a.pk, "grid": world.grid_a.pk, "person": child.person_id, "kind": "home",
            "visited_on": "2026-04-02", "findings": "孩子由奶奶照看", "needs": "需要课后辅导"}  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        response = client.post("/care/visits/add/", data)
        assert response.status_code == 302, response.content.decode()[:2000]
        visit = Visit.objects.get(person=child.person)
        assert visit.visitor == world.users["grid_member"] and visit.household_id == child.person.household_id
        html = client.get("/care/visits/mine/").content.decode()
    row = html[html.index(f'data-enrolment="{child.pk}"') :][:600]
    assert "本期已走访" in row and "超期 3 期" in row  # April is done; January to March stay missed


def test_a_need_becomes_a_case_in_one_tap_and_the_care_file_shows_both(client, world, key_persons):
    child = key_persons["child"]
    visit = Visit.objects.create(community=world.a, grid=world.grid_a, person=child.person, visited_on=D(2026, 4, 2),
                                 needs="屋顶漏雨，需要维修", visitor=world.users["grid_member"])  # fmt: skip
    client.force_login(world.users["grid_member"])
    with time_machine.travel(NOW, tick=False):
        page = client.get(visit.get_absolute_url()).content.decode()
        assert 'id="open-case"' in page
        response = client.post(f"/care/visits/{visit.pk}/open-case/")
    visit.refresh_from_db()
    case = visit.case
    assert case is not None and response["Location"] == case.get_absolute_url()
    assert "屋顶漏雨" in case.description and case.grid == world.grid_a and list(case.persons.all()) == [child.person]
    assert case.category.code == "livelihood" and case.reporter_user == world.users["grid_member"]
    with time_machine.travel(NOW, tick=False):
        again = client.post(f"/care/visits/{visit.pk}/open-case/", follow=True)
    assert "已转为事件" in again.content.decode() and Case.objects.count() == 1
    # the care file on the person's page: the enrolment, the visit and the case
    client.force_login(world.users["director"])
    html = client.get(child.person.get_absolute_url()).content.decode()
    assert 'id="person-care"' in html and "留守儿童" in html
    assert 'id="person-visits"' in html and "已转事件" in html
    assert case.number in html  # the cases panel of the person's page


def test_the_care_file_is_not_shown_without_the_sensitive_permission(client, world, key_persons):
    child = key_persons["child"]
    client.force_login(world.users["official"])
    html = client.get(child.person.get_absolute_url()).content.decode()
    assert 'id="person-care"' not in html and "留守儿童" not in html


def test_home_has_the_visits_launcher_with_its_counts(client, world, key_persons):
    client.force_login(world.users["grid_member"])
    with time_machine.travel(NOW, tick=False):
        html = client.get("/").content.decode()
    assert 'href="/care/visits/mine/"' in html and "超期 1 人 · 本期待走访 1 人" in html
    client.force_login(world.users["official"])
    with time_machine.travel(NOW, tick=False):
        assert 'href="/care/visits/mine/"' not in client.get("/").content.decode()


def test_a_visit_of_another_community_is_refused(client, world):
    b_person = person(world.b, grid=world.grid_b)
    client.force_login(world.users["grid_member"])
    data = {"community": world.b.pk, "person": b_person.pk, "kind": "home", "visited_on": "2026-04-02"}
    response = client.post("/care/visits/add/", data)
    assert response.status_code in (200, 403) and not Visit.objects.exists()
