"""The generated page and API tests of the care models (scope, audit, exports, imports, workflow, files)."""

from __future__ import annotations

import pytest

from tests.care.helpers import enrol, person, programme
from tongxin.care.models import CarePlan, HealthCheck, Programme, Visit, Warning
from tongxin.care.views import (
    CarePlanViewSet,
    EnrolmentViewSet,
    HealthCheckViewSet,
    ProgrammeViewSet,
    VisitViewSet,
    WarningViewSet,
)
from tongxin.core.testing import ModelTestCase

pytestmark = pytest.mark.django_db


class TestProgramme(ModelTestCase):
    viewset = ProgrammeViewSet
    list_params = {"community": ""}

    def make(self, world, community):
        n = Programme.objects.count()
        return Programme.objects.create(community=community, code=f"local_care_{n}", name=f"社区关爱{n}")

    def valid_data(self, world, community):
        return {"community": community.pk, "code": "new_care", "name": "新项目", "unit": "person", "sort": 5,
                "amount_per": "person", "notice_days": 0, "recheck_months": 0}  # fmt: skip


class TestEnrolment(ModelTestCase):
    viewset = EnrolmentViewSet
    viewer = "care_viewer"
    unrevealing = "care_viewer"  # sees the rows (sensitive permission), may not reveal the bank account
    personal_values = {"bank_account": "6222021234567890123"}
    max_list_queries = 16  # the filter's programmes and responsible cadres: one query each, whatever the rows
    step_data = {"survey": {"note": "家中两位老人，子女外出务工"}}

    def make(self, world, community):
        return enrol(world, community=community)

    def valid_data(self, world, community):
        grid = world.grid_a if community == world.a else world.grid_b
        return {"community": community.pk, "grid": grid.pk, "programme": programme("left_behind_elderly").pk,
                "person": person(community, "李爷爷", grid=grid).pk, "applied_on": "2026-03-01"}  # fmt: skip


class TestVisit(ModelTestCase):
    viewset = VisitViewSet
    personal_values = {"findings": "血压 180/110，独居无人照料"}

    def make(self, world, community):
        grid = world.grid_a if community == world.a else world.grid_b
        return Visit.objects.create(community=community, grid=grid, person=person(community, grid=grid))

    def valid_data(self, world, community):
        grid = world.grid_a if community == world.a else world.grid_b
        return {"community": community.pk, "grid": grid.pk, "person": person(community, "张奶奶", grid=grid).pk,
                "kind": "home", "visited_on": "2026-03-02", "findings": "身体尚可", "needs": "屋顶漏雨"}  # fmt: skip


class TestCarePlan(ModelTestCase):
    viewset = CarePlanViewSet
    viewer = "care_viewer"
    step_data = {"review": {"note": "季度复核完成"}}

    def make(self, world, community):
        grid = world.grid_a if community == world.a else world.grid_b
        return CarePlan.objects.create(community=community, grid=grid, person=person(community, grid=grid),
                                       needs="独居")  # fmt: skip

    def valid_data(self, world, community):
        grid = world.grid_a if community == world.a else world.grid_b
        return {"community": community.pk, "grid": grid.pk, "person": person(community, "孙奶奶", grid=grid).pk,
                "needs": "需要助餐", "goals": "每日有人送餐", "measures": "纳入爱心食堂"}  # fmt: skip


class TestWarning(ModelTestCase):
    viewset = WarningViewSet
    viewer = "care_viewer"
    step_data = {"handle": {"note": "已处理"}}

    def make(self, world, community):
        import datetime

        from django.utils import timezone

        grid = world.grid_a if community == world.a else world.grid_b
        now = timezone.now()
        n = Warning.objects.count()
        return Warning.objects.create(community=community, grid=grid, person=person(community, grid=grid),
                                      kind="missed_visit", key=f"test:{community.pk}:{n}", message="2026-02 未走访",
                                      raised_at=now, due_at=now + datetime.timedelta(days=3))  # fmt: skip


class TestHealthCheck(ModelTestCase):
    viewset = HealthCheckViewSet
    viewer = "care_viewer"

    def make(self, world, community):
        import datetime

        n = HealthCheck.objects.count()
        return HealthCheck.objects.create(community=community, person=person(community),
                                          checked_on=datetime.date(2026, 5, 1 + n), systolic=128)  # fmt: skip

    def valid_data(self, world, community):
        return {"community": community.pk, "person": person(community, "周奶奶").pk, "checked_on": "2026-05-20",
                "systolic": 130, "diastolic": 85, "glucose": "5.6"}  # fmt: skip
