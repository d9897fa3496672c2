"""core.workflow: one table per model, one way to take a step. What the page offers is what take() allows (both
read the same rule), a step locks and reloads its row, writes exactly one change-log entry, refuses a status
the table does not allow with a message naming the object, and the registry's steps follow the same path."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tongxin.cases.workflow import WORKFLOW as CASES
from tongxin.core.models import ObjectChange
from tongxin.core.workflow import Step, Workflow
from tongxin.registry import services as registry_services
from tongxin.registry.models import Person

from ..cases.helpers import report
from ..registry.test_services_stats import family  # noqa: F401 - the fixture

INPUT = {"assign": {"assignee": "grid_member"}, "follow_up": {"satisfaction": 5}}


def _input(world, name):
    data = dict(INPUT.get(name, {}))
    if "assignee" in data:
        data["assignee"] = world.users[data["assignee"]]
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["director", "official", "worker", "grid_member", "official_view"])
def test_what_the_page_offers_is_exactly_what_a_step_allows(world, key):
    user = world.users[key]
    for status_steps in ((), ("accept",), ("assign",), ("assign", "resolve")):
        case = report(world)
        for name in status_steps:
            CASES.take(world.users["director"], case, name, note="准备", **_input(world, name))
        offered = {s.name for s in CASES.available(user, case)}
        for step in CASES.user_steps():
            if not CASES.is_open_to(step, case):
                continue
            try:
                with pytest.raises(_Stop):  # roll nothing forward: stop right after the permission check
                    _take_and_stop(world, user, case, step)
                allowed = True
            except PermissionDenied:
                allowed = False
            assert allowed == (step.name in offered), (key, case.status, step.name)


class _Stop(Exception):
    pass


def _take_and_stop(world, user, case, step: Step) -> None:
    original = CASES.lock

    def stop(obj):
        raise _Stop

    CASES.lock = stop  # the permission and the input are checked before the row is locked
    try:
        CASES.take(user, case, step.name, note="理由", **_input(world, step.name))
    except ValidationError:
        raise _Stop from None
    finally:
        CASES.lock = original


@pytest.mark.django_db
def test_a_step_writes_one_change_log_entry_and_names_the_object_when_the_status_refuses(world):
    case = report(world)
    director = world.users["director"]
    CASES.take(director, case, "accept", note="已受理")
    entries = ObjectChange.objects.filter(object_id=str(case.pk), content_type__model="case", step="accept")
    assert entries.count() == 1 and entries.get().action == "workflow"
    with pytest.raises(ValidationError, match=f"事件 {case.number} 当前状态为“已受理”，不能受理"):
        CASES.take(director, case, "accept")


@pytest.mark.django_db
def test_a_step_reloads_the_row_before_checking_its_status(world):
    case = report(world)
    stale = type(case).objects.get(pk=case.pk)
    CASES.take(world.users["director"], case, "reject", note="不属于本社区")
    with pytest.raises(ValidationError, match=r"当前状态为“不予受理”，不能受理"):
        CASES.take(world.users["director"], stale, "accept")  # the stale copy still says 已上报


def test_a_table_with_two_steps_of_one_name_is_refused():
    with pytest.raises(ValueError, match="two steps"):
        Workflow(Person, status_field="life_status", steps=(Step("a", "甲"), Step("a", "乙")))


@pytest.mark.django_db
def test_the_step_page_refuses_a_step_the_table_does_not_have_and_system_steps(client, world):
    case = report(world)
    client.force_login(world.users["director"])
    for name in ("nope", "remind", "escalate", "merged_in"):
        assert client.post(reverse("cases:case_step", args=[case.pk, name])).status_code == 404


@pytest.mark.django_db
def test_registry_steps_lock_the_person_and_write_one_entry_each(world, family):  # noqa: F811
    zw, h2 = family["zw"], family["h2"]
    director = world.users["director"]
    registry_services.move_person(director, zw, h2, "10", datetime.date(2025, 3, 1), "结婚")
    person_entries = ObjectChange.objects.filter(object_id=str(zw.pk), content_type__model="person")
    assert list(person_entries.filter(action__in=("update", "workflow")).values_list("step", flat=True)) == ["move"]
    registry_services.set_life_status(director, zw, "deceased", datetime.date(2025, 4, 1))
    steps = person_entries.filter(action__in=("update", "workflow")).order_by("time", "pk")
    assert list(steps.values_list("step", flat=True)) == ["move", "decease"]
    with pytest.raises(ValidationError, match="不能调户"):
        registry_services.move_person(director, zw, family["h1"], "10", datetime.date(2025, 5, 1))
    with pytest.raises(PermissionDenied):
        registry_services.set_life_status(
            world.users["director_b"], family["ln"], "moved_out", datetime.date(2025, 5, 1)
        )
