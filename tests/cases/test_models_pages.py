"""Generic page/API tests for every cases model: scoping, permissions, audit, pinned query counts."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.utils import timezone

from tongxin.cases import services
from tongxin.cases.models import Case, Category, Dispute, FollowUp, MediationSession, Meeting
from tongxin.cases.views import (
    CaseViewSet,
    CategoryViewSet,
    DisputeViewSet,
    FollowUpViewSet,
    MediationSessionViewSet,
    MeetingViewSet,
)
from tongxin.core.testing import ModelTestCase

from .helpers import category

_seq = itertools.count(1)


def _director(world: Any, community: Any) -> Any:
    """The director of community A or B."""
    return world.users["director"] if community == world.a else world.users["director_b"]


def _grid(world: Any, community: Any) -> Any:
    return world.grid_a if community == world.a else world.grid_b


def make_case(world: Any, community: Any, code: str = "sanitation", **extra: Any) -> Case:
    """A case reported in ``community``'s grid by its director (through the service, as in real use)."""
    n = next(_seq)
    fields = {
        "community": community,
        "grid": _grid(world, community),
        "category": category(code),
        "description": f"第{n}号事件：楼道堆放杂物",
        "address": f"{n}栋门口",
        "reporter_name": "李四",
        "reporter_phone": "13912345678",
    }
    fields.update(extra)
    return services.report(_director(world, community), **fields)


def make_dispute_case(world: Any, community: Any) -> Case:
    """A dispute case (its Dispute row is made by ``services.report``)."""
    return make_case(world, community, code="neighbour", kind=Case.Kind.DISPUTE)


class TestCases(ModelTestCase):
    viewset = CaseViewSet

    def make(self, world, community):
        case = make_case(world, community)
        return case

    def valid_data(self, world, community):
        return {
            "community": community.pk,
            "category": category("facilities").pk,
            "description": "路灯不亮，晚上出行不便",
            "address": "桃源路口",
            "kind": "event",
            "source": "phone",
            "priority": "normal",
            "reporter_name": "王五",
            "reporter_phone": "13800001111",
        }


class TestCategory(ModelTestCase):
    viewset = CategoryViewSet

    def make(self, world, community):
        # community rows: the defaults (no community) are visible to everyone by design
        n = next(_seq)
        return Category.objects.create(
            community=community, code=f"local{n:05d}x", name=f"本社区分类{n}", rule="work_days", amount=3
        )

    def valid_data(self, world, community):
        n = next(_seq)
        return {
            "community": community.pk,
            "code": f"new{n:05d}x",
            "name": f"新分类{n}",
            "kind": "request",
            "rule": "work_days",
            "amount": 3,
            "priority": "normal",
            "sort": 100,
            "active": True,
        }


class TestDispute(ModelTestCase):
    viewset = DisputeViewSet

    def make(self, world, community):
        dispute = make_dispute_case(world, community).dispute
        dispute.parties_text = "张三\n李四"
        dispute.save()
        dispute.mediators.add(_director(world, community))
        return dispute

    def valid_data(self, world, community):
        # disputes are made with their case; the form records one for a dispute case that has none yet
        case = make_dispute_case(world, community)
        Dispute.objects.filter(case=case).delete()
        return {"case": case.pk, "community": community.pk, "parties_text": "王五", "result": "pending"}


class TestMediationSession(ModelTestCase):
    viewset = MediationSessionViewSet

    def make(self, world, community):
        dispute = make_dispute_case(world, community).dispute
        return MediationSession.objects.create(
            dispute=dispute, community=community, time=timezone.now(), place="调解室", notes="双方陈述"
        )

    def valid_data(self, world, community):
        dispute = make_dispute_case(world, community).dispute
        return {
            "dispute": dispute.pk,
            "community": community.pk,
            "time": "2026-03-02T10:00",
            "place": "社区调解室",
            "outcome": "continue",
        }


class TestMeeting(ModelTestCase):
    viewset = MeetingViewSet

    def make(self, world, community):
        n = next(_seq)
        meeting = Meeting.objects.create(
            community=community, date=datetime.date(2026, 3, 1), topic=f"第{n}次民情恳谈会", attendee_count=12
        )
        make_case(world, community, meeting=meeting, source=Case.Source.MEETING)
        return meeting

    def valid_data(self, world, community):
        return {"community": community.pk, "date": "2026-04-01", "topic": "停车难问题恳谈", "attendee_count": 20}


class TestFollowUp(ModelTestCase):
    viewset = FollowUpViewSet

    def make(self, world, community) -> FollowUp:
        director = _director(world, community)
        case = make_case(world, community)
        services.resolve(director, case, "已清理")
        return services.follow_up(director, case, 4, "基本满意")
