"""Care warnings (issue 18): the worker raises each warning once per fact — a visit window missed, an elder of 80
living alone not contacted for 35 days, a re-check due — as a task for the responsible cadre due in 3 working
days, escalates it once to the community's directors when it is not handled, and the handling is one logged
step; the warnings are as sensitive as the enrolments."""

from __future__ import annotations

import datetime
import io
import json

import pytest
import time_machine
from django.core.management import call_command

from tests.care.helpers import enrol
from tests.cases.helpers import at
from tongxin.care import warnings
from tongxin.care.models import Enrolment, Visit, Warning
from tongxin.care.workflow import WARNING_WORKFLOW
from tongxin.core.models import Notification, ObjectChange

pytestmark = pytest.mark.django_db
D = datetime.date
ACTIVE = Enrolment.Status.ACTIVE
NOTHING = {"missed_visit": 0, "no_contact": 0, "recheck_due": 0, "health": 0, "escalated": 0}


@pytest.fixture
def facts(world):
    """An elder enrolled in January, visited in January only (February missed, as of March); an elder of 85
    living alone, last visited 40 days ago; a 低保 household visited last quarter whose re-check is due."""
    missed = enrol(world, "left_behind_elderly", status=ACTIVE, approved_on=D(2026, 1, 10),
                   responsible=world.users["worker"])  # fmt: skip
    Visit.objects.create(community=world.a, grid=world.grid_a, person=missed.person, visited_on=D(2026, 1, 20))
    alone = enrol(world, "living_alone_elderly", status=ACTIVE, approved_on=D(2025, 6, 1))
    alone.person.birth_date = D(1941, 2, 1)
    alone.person.save()
    Visit.objects.create(community=world.a, grid=world.grid_a, person=alone.person, visited_on=D(2026, 2, 1))
    recheck = enrol(world, "dibao", status=ACTIVE, approved_on=D(2025, 3, 1), next_recheck=D(2026, 3, 1))
    head = recheck.household.head  # its last quarter (Q4 2025) was visited
    Visit.objects.create(community=world.a, grid=world.grid_a, person=head, household=recheck.household,
                         visited_on=D(2025, 11, 5))  # fmt: skip
    return {"missed": missed, "alone": alone, "recheck": recheck}


def tick(when: str) -> dict:
    with time_machine.travel(at(when), tick=False):
        return warnings.tick(at(when))


def test_each_fact_raises_one_warning_to_the_responsible_due_in_three_working_days(world, facts):
    counts = tick("2026-03-13 10:00")  # a Friday
    assert counts == {"missed_visit": 1, "no_contact": 1, "recheck_due": 1, "health": 0, "escalated": 0}
    assert tick("2026-03-13 11:00") == {
        "missed_visit": 0,
        "no_contact": 0,
        "recheck_due": 0,
        "health": 0,
        "escalated": 0,
    }
    missed = Warning.objects.get(kind="missed_visit")
    assert missed.enrolment == facts["missed"] and "2026-02 未走访" in missed.message
    assert missed.assignee == world.users["worker"]  # the responsible cadre
    assert missed.due_at.date() == D(2026, 3, 18)  # three working days after Friday: Wednesday, at the close
    alone = Warning.objects.get(kind="no_contact")
    assert alone.assignee == world.users["grid_member"]  # no responsible cadre: the grid's member
    assert "2026-02-01" in alone.message
    assert Notification.objects.filter(user=world.users["worker"], kind="care_warning").count() == 1


def test_an_unhandled_warning_escalates_once_and_a_handled_one_does_not(world, facts):
    tick("2026-03-13 10:00")
    missed = Warning.objects.get(kind="missed_visit")
    WARNING_WORKFLOW.take(world.users["worker"], missed, "handle", note="已补访，老人身体良好")
    counts = tick("2026-03-19 10:00")
    assert counts["escalated"] == 2  # the two others
    assert tick("2026-03-20 10:00")["escalated"] == 0
    missed.refresh_from_db()
    assert missed.status == Warning.Status.HANDLED and missed.escalated_at is None
    assert Notification.objects.filter(user=world.users["director"], kind="care_warning_escalated").count() == 2
    assert ObjectChange.objects.filter(action="workflow", step="handle", object_id=str(missed.pk)).count() == 1


def test_the_command_and_the_pages(client, world, facts):
    out = io.StringIO()
    with time_machine.travel(at("2026-03-13 10:00"), tick=False):
        call_command("care_tick", stdout=out)
    assert json.loads(out.getvalue())["missed_visit"] == 1
    client.force_login(world.users["worker"])
    with time_machine.travel(at("2026-03-13 10:05"), tick=False):
        home = client.get("/").content.decode()
    assert "1 条关爱预警待您处理" in home and "/care/warnings/?mine=true" in home
    listing = client.get("/care/warnings/").content.decode()
    assert "未走访" in listing
    client.force_login(world.users["official"])
    assert "未走访" not in client.get("/care/warnings/").content.decode()  # sensitive, like the enrolments
    client.force_login(world.users["director_b"])
    assert "未走访" not in client.get("/care/warnings/").content.decode()


def test_nothing_is_owed_before_enrolment_nor_for_a_young_person_living_alone(world):
    enrol(world, "left_behind_elderly", status=ACTIVE, approved_on=D(2026, 3, 2))
    young = enrol(world, "living_alone_elderly", status=ACTIVE, approved_on=D(2025, 1, 1))
    young.person.birth_date = D(1960, 1, 1)
    young.person.save()
    Visit.objects.create(community=world.a, grid=world.grid_a, person=young.person, visited_on=D(2026, 2, 3))
    assert tick("2026-03-13 10:00") == {
        "missed_visit": 0,
        "no_contact": 0,
        "recheck_due": 0,
        "health": 0,
        "escalated": 0,
    }
