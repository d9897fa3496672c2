"""An application for 低保 passes every step including its public notice (calendar or working days), an objection
holds the approval, and the benefit starts the month after approval (issue 18, acceptance)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.care.helpers import enrol, programme
from tests.cases.helpers import at
from tongxin.care import services
from tongxin.care.models import Enrolment

pytestmark = pytest.mark.django_db
D = datetime.date
S = Enrolment.Status


def take(world, enrolment, name, when, user="director", **data):
    with time_machine.travel(at(when), tick=False):
        return services.step(world.users[user], enrolment, name, **data)


def test_a_dibao_application_passes_every_step_and_pays_from_the_month_after_approval(world):
    dibao = programme("dibao")
    dibao.amount = 800
    dibao.save()
    e = enrol(world, "dibao")
    assert e.household is not None and e.status == S.APPLIED
    take(world, e, "survey", "2026-03-02 10:00", user="worker", note="三口之家，户主因病丧失劳动能力")
    take(world, e, "review", "2026-03-05 10:00", user="worker", note="评议通过 9 票赞成")
    take(world, e, "publish", "2026-03-06 10:00")
    assert (e.status, e.notice_start, e.notice_end) == (S.NOTICE, D(2026, 3, 6), D(2026, 3, 12))  # 7 calendar days
    with pytest.raises(ValidationError, match="2026-03-12"):
        take(world, e, "approve", "2026-03-12 17:00")  # the notice's last day
    take(world, e, "approve", "2026-03-13 09:00")
    assert (e.status, e.approved_on, e.persons_covered) == (S.ACTIVE, D(2026, 3, 13), 3)
    assert e.monthly_amount == 2400 and e.next_recheck == D(2027, 3, 13)
    assert not e.pays_in(D(2026, 3, 1)) and e.pays_in(D(2026, 4, 1))
    steps = list(e.history().values_list("step", flat=True)) if hasattr(e, "history") else None
    from tongxin.core.models import ObjectChange

    logged = ObjectChange.objects.filter(object_id=str(e.pk), action="workflow").values_list("step", flat=True)
    assert sorted(logged) == sorted(["survey", "review", "publish", "approve"]), steps


def test_a_working_day_notice_skips_the_national_day_holidays(world):
    dibao = programme("dibao")
    dibao.notice_working_days = True
    dibao.save()
    e = enrol(world, "dibao")
    for name, when in (("survey", "2026-09-21 10:00"), ("review", "2026-09-24 10:00")):
        take(world, e, name, when, note="已完成")
    take(world, e, "publish", "2026-09-28 09:00", notice_start=D(2026, 9, 28))
    # Mon 09-28 … 09-30 (3), 10-01..10-07 holidays, 10-08, 10-09 (5), Sat 10-10 working (6), Sun 10-11, Mon 10-12 (7)
    assert e.notice_end == D(2026, 10, 12)
    with pytest.raises(ValidationError):
        take(world, e, "approve", "2026-10-12 18:00")
    take(world, e, "approve", "2026-10-13 09:00")
    assert e.status == S.ACTIVE


def test_an_objection_during_the_notice_holds_the_approval_until_settled(world):
    e = enrol(world, "dibao")
    take(world, e, "survey", "2026-03-02 10:00", note="已调查")
    take(world, e, "review", "2026-03-03 10:00", note="已评议")
    take(world, e, "publish", "2026-03-04 10:00")
    take(world, e, "object", "2026-03-05 10:00", user="worker", note="邻居反映其子女有稳定收入")
    assert e.objection_open and e.status == S.NOTICE
    with pytest.raises(ValidationError, match="异议"):
        take(world, e, "approve", "2026-03-20 10:00")
    take(world, e, "settle", "2026-03-20 10:00", note="经核实子女已分户，收入不计入")
    take(world, e, "approve", "2026-03-20 11:00")
    assert e.status == S.ACTIVE and not e.objection_open


def test_a_programme_without_notice_is_approved_after_review_and_refuses_a_notice(world):
    e = enrol(world, "left_behind_elderly")
    take(world, e, "survey", "2026-01-10 10:00", note="子女均在外地")
    take(world, e, "review", "2026-01-12 10:00", note="通过")
    with pytest.raises(ValidationError, match="不需要公示"):
        take(world, e, "publish", "2026-01-13 10:00")
    take(world, e, "approve", "2026-01-15 10:00")
    assert e.status == S.ACTIVE and e.next_recheck is None and e.monthly_amount is None


def test_steps_refuse_the_wrong_status_and_users_without_the_right(world):
    from django.core.exceptions import PermissionDenied

    e = enrol(world, "dibao")
    with pytest.raises(ValidationError, match="当前状态"):
        take(world, e, "approve", "2026-03-02 10:00")
    with pytest.raises(PermissionDenied):
        take(world, e, "survey", "2026-03-02 10:00", user="director_b", note="x")
    with pytest.raises(PermissionDenied):
        take(world, e, "survey", "2026-03-02 10:00", user="official", note="x")  # no sensitive permission
    with pytest.raises(ValidationError, match="调查情况"):
        take(world, e, "survey", "2026-03-02 10:00", note="")


def test_exit_ends_the_benefit_after_the_month_it_ended_in(world):
    e = enrol(world, "dibao", status=S.ACTIVE, approved_on=D(2025, 12, 20))
    take(world, e, "exit", "2026-05-18 10:00", note="家庭收入超过低保标准")
    assert (e.status, e.ended_on) == (S.EXITED, D(2026, 5, 18))
    assert e.pays_in(D(2026, 5, 1)) and not e.pays_in(D(2026, 6, 1))


def test_the_form_refuses_a_resident_of_another_community(client, world):
    from tests.care.helpers import person

    other = person(world.b, "外社区居民")
    client.force_login(world.users["admin"])
    data = {"community": world.a.pk, "programme": programme("left_behind_elderly").pk, "person": other.pk,
            "applied_on": "2026-03-01"}  # fmt: skip
    response = client.post("/care/enrolments/add/", data)
    assert response.status_code == 200 and "外社区居民 不属于 桃源社区" in response.content.decode()
    assert not Enrolment.objects.exists()
