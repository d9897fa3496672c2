"""The issue's calendar edge cases: due_at from the category rules, suspension, reopening, local holidays."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tongxin.cases import services
from tongxin.cases.models import Case
from tongxin.core.models import Holiday

from .helpers import at, category, report

pytestmark = pytest.mark.django_db


def test_big_case_before_national_day_is_due_on_the_adjusted_saturday(world):
    # 2026-09-28 is a Monday; 10-01..10-07 are the National Day holidays; Saturday 10-10 is a working day.
    due = services.due_for(category("livelihood"), world.a, at("2026-09-28 10:00"))
    assert due == at("2026-10-10 18:00")


def test_small_case_after_hours_before_mid_autumn_is_due_next_working_day(world):
    # Thursday 2026-09-24 20:00, after office hours; the Mid-Autumn holiday is 09-25..09-27.
    due = services.due_for(category("sanitation"), world.a, at("2026-09-24 20:00"))
    assert due == at("2026-09-28 18:00")


def test_small_case_during_office_hours_is_due_the_same_day(world):
    assert services.due_for(category("sanitation"), world.a, at("2026-09-24 10:30")) == at("2026-09-24 18:00")


def test_working_hours_rule_skips_lunch_and_night(world):
    # 燃气隐患: 2 working hours. 11:30 + 0.5 h before lunch, 1.5 h after 14:30 → 16:00.
    assert services.due_for(category("safety-gas"), world.a, at("2026-09-24 11:30")) == at("2026-09-24 16:00")
    # 17:30 Thursday: 0.5 h, then the holiday, then 1.5 h on Monday 09-28 → 10:30.
    assert services.due_for(category("safety-gas"), world.a, at("2026-09-24 17:30")) == at("2026-09-28 10:30")


def test_calendar_days_rule_counts_every_day(world):
    cat = category("property")
    cat.rule, cat.amount = "calendar_days", 3
    cat.save()
    assert services.due_for(cat, world.a, at("2026-09-24 10:00")) == at("2026-09-27 10:00")


def test_local_holiday_of_the_division_is_a_day_off(world):
    # A local ethnic holiday on Tuesday 2026-09-29 in community A only.
    Holiday.objects.create(date=datetime.date(2026, 9, 29), is_workday=False, name="地方节日", division=world.a)
    big = category("livelihood")
    # 09-28 + 5 working days for A: 09-30, 10-08, 10-09, 10-10, 10-12 (10-11 is a Sunday)
    assert services.due_for(big, world.a, at("2026-09-28 10:00")) == at("2026-10-12 18:00")
    # community B is not affected
    assert services.due_for(big, world.b, at("2026-09-28 10:00")) == at("2026-10-10 18:00")
    # a small case reported on the local holiday is due at the end of the next working day
    assert services.due_for(category("sanitation"), world.a, at("2026-09-29 09:30")) == at("2026-09-30 18:00")


def test_reported_case_gets_due_at_and_a_case_from_paper_log_keeps_its_time(world):
    with time_machine.travel(at("2026-09-24 20:00"), tick=False):
        case = report(world)
        assert case.due_at == at("2026-09-28 18:00")
        old = report(world, reported_at=at("2026-09-21 09:00"))
        assert old.reported_at == at("2026-09-21 09:00") and old.due_at == at("2026-09-21 18:00")


def test_report_in_the_future_is_refused(world):
    from django.core.exceptions import ValidationError

    with time_machine.travel(at("2026-09-24 10:00"), tick=False), pytest.raises(ValidationError):
        report(world, reported_at=at("2026-09-25 10:00"))


def test_suspension_stops_the_clock_and_resume_gives_back_the_time_left(world):
    director = world.users["director"]
    with time_machine.travel(at("2026-09-28 10:00"), tick=False):
        case = report(world, code="livelihood")  # due 2026-10-10 18:00
        services.assign(director, case, world.users["grid_member"])
    with time_machine.travel(at("2026-09-29 10:00"), tick=False):
        services.suspend(world.users["grid_member"], case, "当事人外出，等待其返回")
    assert case.status == Case.Status.SUSPENDED
    # Suspended from Tue 09-29 10:00 to Fri 10-09 10:00: at suspension 09-29 10:00 → 10-10 18:00 was left
    # 09-29 (6.5-1 = 5.5 h... from 10:00: 2 h + 3.5 h = 5.5 h), 09-30 6.5, 10-08 6.5, 10-09 6.5, 10-10 6.5 = 31.5 h.
    with time_machine.travel(at("2026-10-09 10:00"), tick=False):
        services.resume(world.users["grid_member"], case, "当事人已返回")
    assert case.status == Case.Status.ASSIGNED
    # 31.5 working hours from Fri 10-09 10:00: 10-09 5.5 h, 10-10 (Sat, working) 6.5, 10-12 6.5, 10-13 6.5,
    # 10-14 6.5 = 31.5 → the close of Wednesday 10-14.
    assert case.due_at == at("2026-10-14 18:00")
    # the suspended working time is recorded and excluded from the time to resolve:
    # 09-29 10:00 → 10-09 10:00 = 5.5 + 6.5 + 6.5 + 1 (10-09 09:00-10:00) = 19.5 h = 1170 min
    assert case.suspended_minutes == 1170
    with time_machine.travel(at("2026-10-12 10:00"), tick=False):
        services.resolve(world.users["grid_member"], case, "已协调解决")
    assert case.on_time is True


def test_reopening_restarts_the_clock_under_the_rule(world):
    director = world.users["director"]
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        case = report(world)
        services.assign(director, case, world.users["grid_member"])
        services.resolve(world.users["grid_member"], case, "已清运")
    assert case.due_at == at("2026-09-24 18:00") and case.on_time
    with time_machine.travel(at("2026-09-28 16:00"), tick=False):
        services.close(director, case)
        services.reopen(director, case, "居民反映垃圾又堆起来了")
    assert case.status == Case.Status.ASSIGNED
    assert case.due_at == at("2026-09-28 18:00")
    assert case.reopen_count == 1 and case.resolved_at is None and case.on_time is None
    with time_machine.travel(at("2026-09-28 19:00"), tick=False):
        services.resolve(world.users["grid_member"], case, "再次清运")
    assert case.on_time is False
