"""Care plans (一人一策, issue 18): one active plan per person, a quarterly review raises the version and sets
the next review at the end of the next quarter, the history shows what changed; the plan is on the care file;
the reviewed rate of the quarter is an indicator."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.care.helpers import person
from tests.cases.helpers import at
from tongxin.care.models import CarePlan
from tongxin.care.workflow import PLAN_WORKFLOW
from tongxin.core import indicators
from tongxin.core.models import ObjectChange

pytestmark = pytest.mark.django_db
D = datetime.date


def make_plan(world, **extra) -> CarePlan:
    p = person(world.a, "赵爷爷", grid=world.grid_a)
    return CarePlan.objects.create(community=world.a, grid=world.grid_a, person=p, needs="独居，行动不便",
                                   measures="每周电话一次", responsible=world.users["director"], **extra)  # fmt: skip


def test_a_quarterly_review_raises_the_version_and_the_history_shows_the_change(client, world):
    plan = make_plan(world)
    client.force_login(world.users["worker"])
    data = {"community": world.a.pk, "grid": world.grid_a.pk, "person": plan.person_id, "needs": plan.needs,
            "measures": "每周上门一次，联系助餐", "goals": "按时就餐"}  # fmt: skip
    assert client.post(f"/care/plans/{plan.pk}/edit/", data).status_code == 302
    with time_machine.travel(at("2026-05-20 10:00"), tick=False):
        PLAN_WORKFLOW.take(world.users["worker"], plan, "review", note="增加助餐服务")
    plan.refresh_from_db()
    assert (plan.version, plan.reviewed_on, plan.next_review) == (2, D(2026, 5, 20), D(2026, 9, 30))
    history = client.get(f"/care/plans/{plan.pk}/history/").content.decode()
    assert "每周电话一次" in history and "每周上门一次，联系助餐" in history
    assert ObjectChange.objects.filter(object_id=str(plan.pk), action="workflow", step="review").count() == 1


def test_one_active_plan_per_person(client, world):
    plan = make_plan(world)
    client.force_login(world.users["worker"])
    data = {"community": world.a.pk, "person": plan.person_id, "needs": "另一份"}
    response = client.post("/care/plans/add/", data)
    assert response.status_code == 200 and "已有执行中的关爱计划" in response.content.decode()
    with pytest.raises(ValidationError, match="理由"):
        PLAN_WORKFLOW.take(world.users["worker"], plan, "close", note="")


def test_the_plan_is_on_the_care_file_and_its_review_rate_is_an_indicator(client, world):
    with time_machine.travel(at("2026-01-05 10:00"), tick=False):
        reviewed = make_plan(world)
        CarePlan.objects.create(community=world.a, grid=world.grid_a, person=person(world.a, "钱奶奶"))
    with time_machine.travel(at("2026-02-10 10:00"), tick=False):
        PLAN_WORKFLOW.take(world.users["director"], reviewed, "review", note="已复核")
    client.force_login(world.users["director"])
    html = client.get(reviewed.person.get_absolute_url()).content.decode()
    assert 'id="person-care"' in html and "关爱计划 v2" in html
    client.force_login(world.users["official"])
    assert 'id="person-care"' not in client.get(reviewed.person.get_absolute_url()).content.decode()
    with time_machine.travel(at("2026-03-31 12:00"), tick=False):
        found = indicators.by_key(indicators.evaluate(["care.plans_reviewed_rate"], world.a, "2026-Q1",
                                                      world.users["official"]))  # fmt: skip
    rate = found["care.plans_reviewed_rate"]
    assert (rate["numerator_value"], rate["denominator_value"], rate["value"]) == (1, 2, 50.0)
