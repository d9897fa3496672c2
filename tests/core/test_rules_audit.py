"""The change log: every create, update, delete and m2m change of a domain object is recorded with
who, from where (web, api, import, command, system), in which request, and the before/after diff."""

from __future__ import annotations

import datetime
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse

from tongxin.core import audit
from tongxin.core.models import ObjectChange
from tongxin.org.models import Division, Grid

SH = ZoneInfo("Asia/Shanghai")
LIST_URL = "/core/object-changes/"


def grid_changes(grid_pk) -> list[ObjectChange]:
    ct = ContentType.objects.get_for_model(Grid)
    return list(ObjectChange.objects.filter(content_type=ct, object_id=str(grid_pk)).order_by("time", "pk"))


def listed(response) -> list[ObjectChange]:
    assert response.status_code == 200
    return list(response.context["table"].rows)


class _Null:
    def write(self, s):
        pass

    def flush(self):
        pass


# --- pages -----------------------------------------------------------------------------------------


def test_create_edit_delete_through_pages_are_logged_with_user_source_and_diff(client, world):
    director = world.users["director"]
    client.force_login(director)
    response = client.post(
        reverse("org:grid_add"),
        {"community": world.a.pk, "code": "N01", "name": "新网格", "description": "试点"},
    )
    assert response.status_code == 302
    grid = Grid.objects.get(community=world.a, code="N01")
    [create] = grid_changes(grid.pk)
    assert (create.action, create.source, create.user, create.user_name) == ("create", "web", director, "director")
    assert create.community_id == world.a.pk
    assert create.prechange_data is None and create.postchange_data["name"] == "新网格"
    assert str(create.request_id) == response["X-Request-ID"]

    response = client.post(
        reverse("org:grid_edit", kwargs={"pk": grid.pk}),
        {"community": world.a.pk, "code": "N01", "name": "改名网格", "description": "试点"},
    )
    assert response.status_code == 302
    update = grid_changes(grid.pk)[-1]
    assert (update.action, update.source, update.user) == ("update", "web", director)
    assert str(update.request_id) == response["X-Request-ID"]
    assert update.request_id != create.request_id
    assert ("name", "新网格", "改名网格") in update.diff()
    assert [f for f, _b, _a in update.diff()] == ["name"]

    response = client.post(reverse("org:grid_delete", kwargs={"pk": grid.pk}))
    assert response.status_code == 302
    assert not Grid.objects.filter(pk=grid.pk).exists()
    delete = grid_changes(grid.pk)[-1]
    assert (delete.action, delete.source, delete.user) == ("delete", "web", director)
    assert delete.prechange_data["name"] == "改名网格" and delete.postchange_data is None
    assert delete.community_id == world.a.pk
    assert str(delete.request_id) == response["X-Request-ID"]


def test_unchanged_save_through_the_edit_page_writes_no_entry(client, world):
    client.force_login(world.users["director"])
    grid = world.grid_a
    before = len(grid_changes(grid.pk))
    data = {"community": world.a.pk, "code": grid.code, "name": grid.name, "members": [world.users["grid_member"].pk]}
    response = client.post(reverse("org:grid_edit", kwargs={"pk": grid.pk}), data)
    assert response.status_code == 302
    assert len(grid_changes(grid.pk)) == before


def test_adding_members_is_recorded_with_the_member_ids(client, world):
    client.force_login(world.users["director"])
    member, worker = world.users["grid_member"], world.users["worker"]
    response = client.post(
        reverse("org:grid_add"),
        {"community": world.a.pk, "code": "M01", "name": "有成员的网格", "members": [member.pk, worker.pk]},
    )
    assert response.status_code == 302
    grid = Grid.objects.get(code="M01")
    changes = grid_changes(grid.pk)
    assert len(changes) == 1  # the m2m change is folded into the create entry of the same request
    assert changes[0].action == "create"
    assert changes[0].postchange_data["members"] == sorted([member.pk, worker.pk])

    # Members only (no other field) changed: an update entry with the members before and after.
    response = client.post(
        reverse("org:grid_edit", kwargs={"pk": grid.pk}),
        {"community": world.a.pk, "code": "M01", "name": "有成员的网格", "members": [member.pk]},
    )
    assert response.status_code == 302
    update = grid_changes(grid.pk)[-1]
    assert update.action == "update" and update.source == "web"
    assert update.prechange_data["members"] == sorted([member.pk, worker.pk])
    assert update.postchange_data["members"] == [member.pk]
    assert str(update.request_id) == response["X-Request-ID"]


def test_one_request_changing_many_objects_shares_one_request_id(client, world):
    extra = [Grid.objects.create(community=world.a, code=f"X{i}", name=f"网格{i}") for i in range(3)]
    client.force_login(world.users["director"])
    response = client.post(
        reverse("org:grid_bulk_edit"),
        {"pk": [g.pk for g in extra], "_apply": "1", "description": "批量说明"},
    )
    assert response.status_code == 302
    updates = [grid_changes(g.pk)[-1] for g in extra]
    assert all(c.action == "update" and c.source == "web" for c in updates)
    assert len({c.request_id for c in updates}) == 1
    assert str(updates[0].request_id) == response["X-Request-ID"]
    assert all(("description", "", "批量说明") in c.diff() for c in updates)


def test_history_page_lists_the_changes(client, world):
    client.force_login(world.users["director"])
    client.post(reverse("org:grid_add"), {"community": world.a.pk, "code": "H01", "name": "历史网格"})
    grid = Grid.objects.get(code="H01")
    client.post(
        reverse("org:grid_edit", kwargs={"pk": grid.pk}),
        {"community": world.a.pk, "code": "H01", "name": "历史网格二"},
    )
    response = client.get(reverse("org:grid_history", kwargs={"pk": grid.pk}))
    assert response.status_code == 200
    entries = list(response.context["page"])
    assert {c.action for c in entries} == {"create", "update"}
    assert "历史网格二" in response.content.decode()
    detail = client.get(reverse("org:grid_detail", kwargs={"pk": grid.pk}))
    assert len(detail.context["changes"]) == 2


# --- API, commands, system -----------------------------------------------------------------------


def test_api_writes_are_logged_with_source_api(client, world):
    headers = {"Authorization": f"Bearer {world.tokens['director']}"}
    response = client.post(
        "/api/v1/org/grids/",
        json.dumps({"community": world.a.pk, "code": "API1", "name": "接口网格"}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    response = client.patch(
        f"/api/v1/org/grids/{pk}/",
        json.dumps({"name": "接口网格改", "members": [world.users["grid_member"].pk]}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200, response.content
    response = client.delete(f"/api/v1/org/grids/{pk}/", headers=headers)
    assert response.status_code == 204
    changes = grid_changes(pk)
    assert [c.action for c in changes] == ["create", "update", "delete"]
    assert {c.source for c in changes} == {"api"}
    assert {c.user for c in changes} == {world.users["director"]}
    assert len({c.request_id for c in changes}) == 3
    update = changes[1]
    assert ("name", "接口网格", "接口网格改") in update.diff()
    assert update.postchange_data["members"] == [world.users["grid_member"].pk]


@pytest.mark.django_db
def test_command_writes_are_logged_with_source_command_and_no_user():
    call_command("load_divisions", "--county", "530103", stdout=_Null())
    ct = ContentType.objects.get_for_model(Division)
    changes = ObjectChange.objects.filter(content_type=ct)
    assert changes.count() == Division.objects.count() > 100
    assert set(changes.values_list("source", flat=True)) == {"command"}
    assert not changes.filter(user__isnull=False).exists()
    assert set(changes.values_list("user_name", flat=True)) == {""}
    assert changes.values("request_id").distinct().count() == 1


@pytest.mark.django_db
def test_demo_command_writes_are_logged_with_source_command():
    call_command("demo", stdout=_Null())
    grid = Grid.objects.get(community__code="530424001002", code="CG01")
    changes = grid_changes(grid.pk)
    assert changes and {c.source for c in changes} == {"command"}
    assert all(c.user is None for c in changes)
    # the members added by the demo are folded into / recorded for the grid
    assert changes[-1].postchange_data["members"] == list(grid.members.values_list("pk", flat=True))


def test_writes_outside_any_context_are_logged_as_system(world):
    grid = Grid.objects.create(community=world.a, code="SYS1", name="系统网格")
    grid.name = "系统网格二"
    grid.save()
    changes = grid_changes(grid.pk)
    assert [c.action for c in changes] == ["create", "update"]
    assert {c.source for c in changes} == {"system"}
    assert all(c.user is None and c.user_name == "" for c in changes)
    assert ("name", "系统网格", "系统网格二") in changes[1].diff()


def test_audit_context_attributes_a_block_of_writes(world):
    batch = uuid.uuid4()
    with audit.audit_context(user=world.users["admin"], source="task", request_id=batch):
        g1 = Grid.objects.create(community=world.a, code="T1", name="任务网格1")
        g2 = Grid.objects.create(community=world.b, code="T2", name="任务网格2")
    entries = grid_changes(g1.pk) + grid_changes(g2.pk)
    assert {(c.source, c.request_id, c.user_id) for c in entries} == {("task", batch, world.users["admin"].pk)}
    assert [c.community_id for c in entries] == [world.a.pk, world.b.pk]


def test_separate_system_writes_do_not_share_a_request_id(world):
    g1 = Grid.objects.create(community=world.a, code="S1", name="系统1")
    g2 = Grid.objects.create(community=world.a, code="S2", name="系统2")
    [c1], [c2] = grid_changes(g1.pk), grid_changes(g2.pk)
    assert c1.source == c2.source == "system"
    assert c1.request_id != c2.request_id


# --- the global change-log list -----------------------------------------------------------------


@pytest.fixture
def logged(world):
    """Changes made by the director (web), the admin (api) and the system, on two days."""
    with (
        time_machine.travel(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=SH), tick=False),
        audit.audit_context(user=world.users["director"], source="web") as web,
    ):
        g1 = Grid.objects.create(community=world.a, code="L1", name="日志网格1")
        g1.name = "日志网格1改"
        g1.save()
    with time_machine.travel(datetime.datetime(2026, 3, 10, 10, 0, tzinfo=SH), tick=False):
        with audit.audit_context(user=world.users["director_b"], source="api") as api:
            g2 = Grid.objects.create(community=world.b, code="L2", name="日志网格B")
            g2.delete()
        with audit.audit_context(user=world.users["director"], source="web") as later:
            g3 = Grid.objects.create(community=world.a, code="L3", name="日志网格3")
    return {"g1": g1, "g3": g3, "web": web, "api": api, "later": later}


def test_global_list_filters_by_user(client, world, logged):
    client.force_login(world.users["admin"])
    rows = listed(client.get(LIST_URL, {"user": "director", "per_page": 500}))
    assert rows and {c.user_name for c in rows} == {"director"}
    assert {c.object_repr for c in rows} >= {"日志网格1改", "日志网格3"}


def test_global_list_filters_by_action_and_content_type(client, world, logged):
    client.force_login(world.users["admin"])
    rows = listed(client.get(LIST_URL, {"action": "update", "per_page": 500}))
    assert rows and {c.action for c in rows} == {"update"}
    ct = ContentType.objects.get_for_model(Grid)
    rows = listed(client.get(LIST_URL, {"content_type": ct.pk, "action": "delete", "per_page": 500}))
    assert [c.object_repr for c in rows] == ["日志网格B"]
    division_ct = ContentType.objects.get_for_model(Division)
    rows = listed(client.get(LIST_URL, {"content_type": division_ct.pk, "per_page": 500}))
    assert rows and {c.content_type_id for c in rows} == {division_ct.pk}


def test_global_list_filters_by_date_range(client, world, logged):
    client.force_login(world.users["admin"])
    rows = listed(client.get(LIST_URL, {"since": "2026-03-01", "until": "2026-03-05", "per_page": 500}))
    assert [c.action for c in rows] == ["update", "create"]
    assert {c.request_id for c in rows} == {logged["web"].request_id}
    rows = listed(client.get(LIST_URL, {"since": "2026-03-06", "until": "2026-03-31", "per_page": 500}))
    assert {c.request_id for c in rows} == {logged["api"].request_id, logged["later"].request_id}


def test_global_list_filters_by_request_id(client, world, logged):
    client.force_login(world.users["admin"])
    rows = listed(client.get(LIST_URL, {"request_id": str(logged["api"].request_id), "per_page": 500}))
    assert [c.action for c in rows] == ["delete", "create"]  # newest first
    assert {c.source for c in rows} == {"api"}


def test_director_of_a_never_sees_changes_of_b(client, world, logged):
    client.force_login(world.users["director"])
    rows = listed(client.get(LIST_URL, {"per_page": 500}))
    assert rows
    community_ids = {c.community_id for c in rows}
    assert world.b.pk not in community_ids
    assert "日志网格B" not in {c.object_repr for c in rows}
    assert all(c.community_id == world.a.pk for c in rows)
    # also not by asking for B's request id or B's director
    assert listed(client.get(LIST_URL, {"request_id": str(logged["api"].request_id)})) == []
    assert listed(client.get(LIST_URL, {"user": "director_b"})) == []
    foreign = ObjectChange.objects.filter(request_id=logged["api"].request_id).first()
    assert client.get(reverse("core:objectchange_detail", kwargs={"pk": foreign.pk})).status_code == 404
    # nor through the API
    headers = {"Authorization": f"Bearer {world.tokens['director']}"}
    data = client.get("/api/v1/core/object-changes/", {"limit": 1000}, headers=headers).json()
    assert data["count"] > 0
    assert world.b.pk not in {r["community"] for r in data["results"]}


def test_director_b_sees_b_changes(client, world, logged):
    client.force_login(world.users["director_b"])
    rows = listed(client.get(LIST_URL, {"per_page": 500}))
    assert "日志网格B" in {c.object_repr for c in rows}
    assert world.a.pk not in {c.community_id for c in rows}


def test_grid_member_and_worker_get_403_on_the_global_list(client, world, logged):
    for key in ("grid_member", "worker", "nobody"):
        client.force_login(world.users[key])
        assert client.get(LIST_URL).status_code == 403, key
    headers = {"Authorization": f"Bearer {world.tokens['grid_member']}"}
    assert client.get("/api/v1/core/object-changes/", headers=headers).status_code == 403
