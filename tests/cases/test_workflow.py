"""The case workflow through its service functions: permissions, timeline, change log, notifications,
reminders and escalation, merging and duplicate suggestions."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from tongxin.cases import clock, services
from tongxin.cases.models import Case, CaseStep
from tongxin.core.models import Notification, ObjectChange
from tongxin.org.models import RoleAssignment

from .helpers import at, report

pytestmark = pytest.mark.django_db
S = Case.Status


def steps(case):
    return list(CaseStep.objects.filter(case=case).values_list("step", flat=True))


def test_the_whole_happy_path_leaves_a_timeline_a_change_log_and_notifications(world):
    gm, director = world.users["grid_member"], world.users["director"]
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        case = report(world)
        assert case.number == "2026092400001" and case.status == S.REPORTED
        assert case.reporter_user == gm and case.kind == "event" and case.priority == "normal"
        assert Notification.objects.filter(user=director, kind="case_new").exists()
        services.accept(director, case, "已受理")
        services.assign(director, case, gm, "请今天处理")
        assert Notification.objects.filter(user=gm, kind="case_assigned").exists()
        services.start(gm, case)
        services.progress(gm, case, "已联系环卫站")
    with time_machine.travel(at("2026-09-24 15:00"), tick=False):
        services.resolve(gm, case, "已清运完毕")
    with time_machine.travel(at("2026-09-24 16:00"), tick=False):
        services.close(director, case, "核实无误")
        services.follow_up(director, case, 5, "很满意")
    case.refresh_from_db()
    assert case.status == S.CLOSED and case.on_time and case.satisfaction == 5
    assert case.work_minutes == 150 + 30  # 09:30–12:00 and 14:30–15:00
    assert steps(case) == ["report", "accept", "assign", "start", "progress", "resolve", "close", "follow_up"]
    log = ObjectChange.objects.filter(content_type__model="case", object_id=str(case.pk)).order_by("pk")
    assert [c.step for c in log] == ["report", "accept", "assign", "start", "progress", "resolve", "close", "follow_up"]
    assert [c.action for c in log][:2] == ["create", "workflow"]
    assert log.get(step="assign").user == director


def test_steps_check_permissions_and_status(world):
    gm, director, worker = world.users["grid_member"], world.users["director"], world.users["worker"]
    case = report(world)
    with pytest.raises(PermissionDenied):
        services.assign(gm, case, gm)  # grid members do not dispatch
    with pytest.raises(PermissionDenied):
        services.close(worker, case)  # closing is a director's review
    with pytest.raises(ValidationError):
        services.close(director, case)  # not resolved yet
    with pytest.raises(PermissionDenied):
        services.accept(world.users["director_b"], case)  # another community
    with pytest.raises(ValidationError):
        services.assign(director, case, world.users["director_b"])  # assignee outside the case's community
    with pytest.raises(ValidationError):
        services.reject(director, case, "  ")
    services.reject(director, case, "不属于社区职责")
    assert case.status == S.REJECTED
    with pytest.raises(ValidationError):
        services.accept(director, case)


def test_reporting_outside_ones_scope_is_refused_and_rolled_back(world):
    from tongxin.cases.models import Case as C

    with pytest.raises(PermissionDenied):
        services.report(
            world.users["grid_member"],
            community=world.b,
            category=__import__("tests.cases.helpers", fromlist=["category"]).category("sanitation"),
            description="别的社区",
        )
    assert not C.objects.exists()
    with pytest.raises(ValidationError):
        report(world, grid=world.grid_b)  # grid of another community


def test_grid_member_sees_own_grid_and_own_cases_only(world):
    from tongxin.core import scoping

    mine = report(world)
    no_grid = report(world, "director", grid=None)
    gm = world.users["grid_member"]
    visible = set(scoping.restrict(Case.objects.all(), gm))
    assert mine in visible and no_grid not in visible
    services.assign(world.users["director"], no_grid, gm)
    assert no_grid in set(scoping.restrict(Case.objects.all(), gm))
    assert scoping.can(gm, no_grid, "change")


def test_confidential_cases_only_for_named_roles_and_own_people(world):
    from tongxin.core import scoping

    case = report(world, "director", confidential=True, grid=None)
    assert scoping.can(world.users["director"], case, "view")
    assert not scoping.can(world.users["worker"], case, "view")
    assert scoping.can(world.users["official"], case, "view")  # TONGXIN_CONFIDENTIAL_ROLES: escalations reach them
    services.assign(world.users["director"], case, world.users["worker"])
    assert scoping.can(world.users["worker"], case, "view")


def test_reminder_then_escalation_to_community_then_street(world):
    gm, director = world.users["grid_member"], world.users["director"]
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        case = report(world)
        services.assign(director, case, gm)
    assert clock.tick(at("2026-09-24 12:00"))["reminded"] == 0  # 3.5 working hours left
    assert clock.tick(at("2026-09-24 16:30"))["reminded"] == 1  # 1.5 h left
    assert clock.tick(at("2026-09-24 16:40"))["reminded"] == 0  # once only
    assert Notification.objects.filter(user=gm, kind="case_due_soon").count() == 1
    counts = clock.tick(at("2026-09-24 18:05"))
    assert counts["escalated_community"] == 1
    case.refresh_from_db()
    assert case.level == Case.Level.COMMUNITY and case.is_overdue(at("2026-09-24 18:05"))
    assert Notification.objects.filter(user=director, kind="case_overdue").exists()
    assert clock.tick(at("2026-09-28 09:30"))["escalated_street"] == 0  # 0.5 working hours overdue
    assert clock.tick(at("2026-09-29 09:30"))["escalated_street"] == 1
    case.refresh_from_db()
    assert case.level == Case.Level.STREET
    assert Notification.objects.filter(user=world.users["official"], kind="case_overdue").exists()
    assert steps(case) == ["report", "assign", "remind", "escalate", "escalate"]
    assert clock.tick(at("2026-09-30 09:30")) == {"reminded": 0, "escalated_community": 0, "escalated_street": 0}


def test_suspended_cases_do_not_escalate(world):
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        case = report(world)
        services.assign(world.users["director"], case, world.users["grid_member"])
        services.suspend(world.users["grid_member"], case, "等待物业答复")
    assert clock.tick(at("2026-09-29 10:00"))["escalated_community"] == 0


def test_merge_keeps_both_histories(world):
    director = world.users["director"]
    first = report(world)
    second = report(world, "director", description="3栋门口垃圾很多")
    services.merge(director, second, first)
    second.refresh_from_db()
    assert second.status == S.MERGED and second.merged_into == first
    assert steps(second) == ["report", "merge"]
    assert steps(first) == ["report", "merged_in"]
    with pytest.raises(ValidationError):
        services.merge(director, first, first)


def test_duplicates_nearby_or_same_address(world):
    base = {"latitude": 25.0401, "longitude": 102.7123}
    near = report(world, address="A地址", **base)
    report(world, address="B地址", latitude=25.0501, longitude=102.7123)  # ~1.1 km away
    other_kind = report(world, code="facilities", address="A地址", **base)
    same_address = report(world, address="桃源社区5栋")
    found = services.duplicates(world.a, near.category, latitude=25.04012, longitude=102.71232, address="")
    assert [c for c, _d in found] == [near]
    assert found[0][1] < 5
    found = services.duplicates(world.a, near.category, address="桃源社区5栋")
    assert [c for c, _d in found] == [same_address]
    assert other_kind not in [c for c, _d in found]
    services.resolve(world.users["director"], near, "已处理")  # resolved cases are not suggested
    assert services.duplicates(world.a, near.category, **base) == []


def test_dispute_case_gets_its_mediation_record(world):
    case = report(world, code="neighbour", description="楼上漏水纠纷")
    assert case.kind == "dispute" and case.dispute.community == world.a


def test_notifications_reach_the_directors_of_the_community_only(world):
    report(world)
    assert not Notification.objects.filter(user=world.users["director_b"]).exists()
    assert RoleAssignment.objects.filter(user=world.users["director"]).exists()


def test_a_step_on_a_stale_copy_keeps_what_the_clock_wrote(world):
    gm, director = world.users["grid_member"], world.users["director"]
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        case = report(world)
        services.assign(director, case, gm)
    stale = Case.objects.get(pk=case.pk)  # loaded before the escalation
    clock.tick(at("2026-09-24 18:30"))
    with time_machine.travel(at("2026-09-24 18:40"), tick=False):
        services.resolve(gm, stale, "已清运")
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.level == Case.Level.COMMUNITY and fresh.status == S.RESOLVED and fresh.on_time is False


def test_reopening_clears_the_rating_of_the_earlier_resolution(world):
    director = world.users["director"]
    case = report(world)
    services.resolve(director, case, "已处理")
    services.follow_up(director, case, 2, "不满意")
    services.reopen(director, case, "居民不满意")
    assert case.satisfaction is None and case.follow_ups.count() == 1


def test_a_new_case_reaches_the_categorys_responsible_role(world):
    from tongxin.org.models import Role

    from .helpers import category

    cat = category("property")
    cat.responsible_role = Role.objects.get(codename="worker")
    cat.save()
    report(world, code="property", description="电梯故障")
    assert Notification.objects.filter(user=world.users["worker"], kind="case_new").exists()
    report(world, description="垃圾")  # sanitation has no responsible role
    assert Notification.objects.filter(user=world.users["worker"], kind="case_new").count() == 1
