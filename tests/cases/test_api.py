"""The cases API: reporting, the whole workflow with a photo, refused steps (422 with the message, 403, 404),
masking of the reporter's phone, the task list, board, duplicates, actions, timeline, timeliness and the
change log's source "api"."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tongxin.cases import clock, services
from tongxin.cases.models import Attachment, Case, CaseStep, FollowUp
from tongxin.cases.workflow import WORKFLOW
from tongxin.core.models import ObjectChange

from .helpers import at, category, report

pytestmark = pytest.mark.django_db
S = Case.Status
BASE = "/api/v1/cases/cases/"


def _headers(world: Any, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[key]}"}


def get(client: Any, world: Any, key: str, url: str, params: dict | None = None) -> Any:
    return client.get(url, params or {}, headers=_headers(world, key))


def post(client: Any, world: Any, key: str, url: str, data: dict | None = None) -> Any:
    return client.post(url, json.dumps(data or {}), content_type="application/json", headers=_headers(world, key))


def step(client: Any, world: Any, key: str, case: Case, name: str, **data: Any) -> Any:
    """POST one workflow step (``follow_up`` → ``follow-up``)."""
    return post(client, world, key, f"{BASE}{case.pk}/{name.replace('_', '-')}/", data)


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    """A small valid PNG."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


def upload(client: Any, world: Any, key: str, case: Case, name: str, content: bytes, **extra: Any) -> Any:
    data = {"file": SimpleUploadedFile(name, content, content_type="image/png"), **extra}
    return client.post(f"{BASE}{case.pk}/attachments/", data, headers=_headers(world, key))


def changes(case: Case):
    return ObjectChange.objects.filter(content_type__model="case", object_id=str(case.pk)).order_by("pk")


# -- the whole workflow ---------------------------------------------------------------------------------------


def test_the_whole_workflow_through_the_api(client, world):
    gm, director = world.users["grid_member"], world.users["director"]
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        response = post(
            client,
            world,
            "grid_member",
            BASE,
            {
                "community": world.a.pk,
                "grid": world.grid_a.pk,
                "category": category("sanitation").pk,
                "description": "楼下垃圾堆放三天无人清运\n请尽快处理",
                "address": "桃源社区3栋门口",
                "reporter_name": "李四",
                "reporter_phone": "13912345678",
                "latitude": 25.04,
                "longitude": 102.71,
            },
        )
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["number"] == "2026092400001" and data["status"] == "reported"
        assert data["title"] == "楼下垃圾堆放三天无人清运"  # the description's first line
        assert (data["kind"], data["priority"], data["source"]) == ("event", "normal", "patrol")  # the defaults
        assert data["due_at"].startswith("2026-09-24T")  # same-day category (小事不过夜)
        assert data["reporter_phone"] == "139****5678" and data["overdue"] is False
        assert data["latitude"] == 25.04 and data["category_name"]
        case = Case.objects.get(pk=data["id"])
        assert case.reporter_user == gm and case.reporter_phone == "13912345678"
        created = changes(case).get(action="create")
        assert created.source == "api" and created.user == gm and created.step == "report"

        response = step(client, world, "director", case, "assign", assignee=gm.pk, note="请今天处理")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "assigned" and response.json()["assignee"] == gm.pk
        assert response.json()["assignee_name"] == gm.display_name
        response = step(client, world, "grid_member", case, "start")
        assert response.status_code == 200 and response.json()["status"] == "in_progress"

    with time_machine.travel(at("2026-09-24 15:00"), tick=False):
        response = step(client, world, "grid_member", case, "resolve", note="已清运完毕")
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["status"] == "resolved" and data["on_time"] is True and data["work_minutes"] == 180
        assert data["resolution"] == "已清运完毕"
        resolve_row = CaseStep.objects.get(case=case, step="resolve")
        response = upload(client, world, "grid_member", case, "after.png", png(), step=resolve_row.pk)
        assert response.status_code == 201, response.content
        photo = response.json()
        assert photo["kind"] == "photo" and photo["content_type"] == "image/png" and photo["step"] == resolve_row.pk
        assert photo["thumbnail_url"] and photo["url"].endswith(f"/attachments/{photo['id']}/")
        assert Attachment.objects.get(pk=photo["id"]).uploaded_by == gm

    with time_machine.travel(at("2026-09-24 16:00"), tick=False):
        response = step(client, world, "director", case, "close", note="核实无误")
        assert response.status_code == 200 and response.json()["status"] == "closed"
        response = step(client, world, "director", case, "follow_up", satisfaction=5, method="visit", note="很满意")
        assert response.status_code == 200, response.content
        assert response.json()["satisfaction"] == 5 and response.json()["status"] == "closed"
    follow = FollowUp.objects.get(case=case)
    assert follow.method == "visit" and follow.by == director and follow.comments == "很满意"

    timeline = get(client, world, "grid_member", f"{BASE}{case.pk}/steps/").json()
    assert [r["step"] for r in timeline] == ["report", "assign", "start", "resolve", "close", "follow_up"]
    assert [r["label"] for r in timeline][:3] == ["上报", "分派", "开始办理"]
    assigned = timeline[1]
    assert assigned["actor_name"] == director.display_name and assigned["note"] == "请今天处理"
    assert (assigned["from_status"], assigned["to_status"], assigned["assignee"]) == ("reported", "assigned", gm.pk)
    assert timeline[3]["attachments"] == [photo["id"]] and timeline[0]["attachments"] == []

    log = list(changes(case))
    assert [c.step for c in log] == ["report", "assign", "start", "resolve", "close", "follow_up"]
    assert {c.source for c in log} == {"api"}
    assert [c.user for c in log] == [gm, director, gm, gm, director, director]


def test_a_dispute_reported_through_the_api_gets_its_mediation_record(client, world):
    response = post(
        client,
        world,
        "director",
        BASE,
        {"community": world.a.pk, "category": category("neighbour").pk, "description": "邻居漏水纠纷"},
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert case.kind == "dispute" and case.dispute.community == world.a
    listing = get(client, world, "director", "/api/v1/cases/disputes/").json()
    assert [r["case"] for r in listing["results"]] == [case.pk]


def test_reporting_is_validated_and_scoped(client, world):
    payload = {"community": world.a.pk, "category": category("sanitation").pk, "description": "路面塌陷"}
    future = post(client, world, "director", BASE, {**payload, "reported_at": "2099-01-01T08:00:00+08:00"})
    assert future.status_code == 422 and future.json()["errors"]["reported_at"] == ["上报时间不能晚于现在"]
    outside = post(client, world, "director", BASE, {**payload, "community": world.b.pk})
    assert outside.status_code == 422 and "community" in outside.json()["errors"]
    wrong_grid = post(client, world, "director", BASE, {**payload, "grid": world.grid_b.pk})
    assert wrong_grid.status_code == 422
    refused = post(client, world, "official_view", BASE, payload)
    assert refused.status_code == 403
    assert not Case.objects.exists()


def test_editing_a_case_keeps_the_reporting_facts_and_is_audited(client, world):
    case = report(world, reporter_phone="13912345678")
    url = f"{BASE}{case.pk}/"
    response = client.patch(
        url,
        json.dumps({"title": "垃圾清运", "category": category("facilities").pk, "community": world.b.pk}),
        content_type="application/json",
        headers=_headers(world, "director"),
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "垃圾清运" and response.json()["community"] == world.a.pk  # not movable
    case.refresh_from_db()
    assert case.category.code == "facilities" and case.reporter_phone == "13912345678"
    change = changes(case).get(action="update")
    assert change.source == "api" and change.user == world.users["director"]
    refused = client.patch(url, json.dumps({"title": "x"}), content_type="application/json")
    assert refused.status_code == 401
    assert client.delete(url, headers=_headers(world, "director")).status_code == 405  # never deleted


# -- refused steps ----------------------------------------------------------------------------------------------


def test_a_wrong_step_is_422_with_the_message(client, world):
    case = report(world)
    response = step(client, world, "director", case, "close")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == f"事件 {case.number} 当前状态为“已上报”，不能关闭"
    assert body["errors"] == {"__all__": [body["detail"]]}

    blank = step(client, world, "director", case, "reject", note="  ")
    assert blank.status_code == 422 and blank.json()["errors"] == {"note": ["请填写不予受理的理由"]}  # the body field
    nobody = step(client, world, "director", case, "assign")
    assert nobody.status_code == 422 and nobody.json()["errors"] == {"assignee": ["请选择承办人"]}
    foreign = step(client, world, "director", case, "assign", assignee=world.users["director_b"].pk)
    assert foreign.status_code == 422 and "assignee" in foreign.json()["errors"]
    no_rating = step(client, world, "director", case, "follow_up")
    assert no_rating.status_code == 422
    unknown = step(client, world, "director", case, "merge", into="2099010100001")
    assert unknown.status_code == 422 and "2099010100001" in unknown.json()["detail"]
    case.refresh_from_db()
    assert case.status == S.REPORTED and case.assignee is None
    assert list(CaseStep.objects.filter(case=case).values_list("step", flat=True)) == ["report"]


def test_follow_up_checks_the_rating_and_the_method(client, world):
    case = report(world)
    services.resolve(world.users["director"], case, "已处理")
    assert step(client, world, "director", case, "follow_up", satisfaction=6).status_code == 422
    assert step(client, world, "director", case, "follow_up", satisfaction=4, method="fax").status_code == 422
    assert not FollowUp.objects.exists()
    response = step(client, world, "director", case, "follow_up", satisfaction=4)
    assert response.status_code == 200 and FollowUp.objects.get().method == "phone"


def test_without_the_permission_a_step_is_403(client, world):
    case = report(world)
    assert step(client, world, "official_view", case, "accept").status_code == 403  # may only view
    assert step(client, world, "grid_member", case, "assign", assignee=world.users["grid_member"].pk).status_code == 403
    assert step(client, world, "nobody", case, "accept").status_code == 403
    assert upload(client, world, "official_view", case, "a.png", png()).status_code == 403
    services.resolve(world.users["director"], case, "已处理")
    response = step(client, world, "worker", case, "close")  # closing is the director's review
    assert response.status_code == 403 and response.json() == {"detail": "没有权限"}
    case.refresh_from_db()
    assert case.status == S.RESOLVED


def test_a_case_out_of_scope_is_404(client, world):
    case = report(world)
    for url in (f"{BASE}{case.pk}/", f"{BASE}{case.pk}/steps/", f"{BASE}{case.pk}/actions/"):
        assert get(client, world, "director_b", url).status_code == 404, url
    assert step(client, world, "director_b", case, "accept").status_code == 404
    assert upload(client, world, "director_b", case, "a.png", png()).status_code == 404
    assert get(client, world, "director", f"{BASE}999999/").status_code == 404
    assert client.get(f"{BASE}{case.pk}/steps/").status_code == 401


def test_grid_member_sees_own_grid_and_works_only_on_cases_held(client, world):
    case = report(world, user_key="director", grid=None)  # not in the member's grid, not theirs
    assert get(client, world, "grid_member", f"{BASE}{case.pk}/").status_code == 404
    services.assign(world.users["director"], case, world.users["grid_member"])
    assert get(client, world, "grid_member", f"{BASE}{case.pk}/").status_code == 200
    assert step(client, world, "grid_member", case, "start").status_code == 200


# -- the other steps --------------------------------------------------------------------------------------------


def test_suspend_resume_reopen_reject_and_merge(client, world):
    gm = world.users["grid_member"]
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        case = report(world)
        assert step(client, world, "director", case, "accept", note="已受理").json()["status"] == "accepted"
        assert step(client, world, "director", case, "assign", assignee=gm.pk).status_code == 200
        assert step(client, world, "grid_member", case, "progress", note="已联系环卫站").json()["status"] == "assigned"
        assert step(client, world, "grid_member", case, "suspend").status_code == 422  # a reason is required
        response = step(client, world, "grid_member", case, "suspend", note="等待业主回来")
        assert response.json()["status"] == "suspended" and response.json()["overdue"] is False
    with time_machine.travel(at("2026-09-24 11:00"), tick=False):
        assert step(client, world, "grid_member", case, "resume").json()["status"] == "assigned"
        assert step(client, world, "grid_member", case, "resolve", note="已处理").status_code == 200
        response = step(client, world, "grid_member", case, "reopen", note="又堆上了")  # the reporter objects
        assert response.status_code == 200
        assert response.json()["status"] == "assigned" and response.json()["reopen_count"] == 1

        other = report(world, description="另一处垃圾")
        assert step(client, world, "director", other, "reject", note="不属于社区职责").json()["status"] == "rejected"
        dup = report(world, description="同一处垃圾")
        response = step(client, world, "director", dup, "merge", into=case.number)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "merged" and response.json()["merged_into"] == case.pk
    timeline = get(client, world, "director", f"{BASE}{case.pk}/steps/").json()
    assert {"suspend", "resume", "reopen", "merged_in", "merge"} <= {r["step"] for r in timeline}
    assert {r["case_number"] for r in timeline} == {case.number, dup.number}  # with the merged case's steps


# -- attachments ------------------------------------------------------------------------------------------------


def test_uploads_are_checked(client, world, settings):
    case = report(world)
    response = upload(client, world, "grid_member", case, "notes.png", b"just some text, not an image")
    assert response.status_code == 422
    message = "文件“notes.png”的类型不支持：只能上传 JPG、PNG、WEBP、HEIC 照片或 PDF、Word 文件"
    assert response.json() == {"detail": message, "errors": {"__all__": [message]}}
    response = upload(client, world, "grid_member", case, "a.png", png(), step=999999)
    assert response.status_code == 422 and "step" in response.json()["errors"]
    settings.UPLOAD_MAX_MB = 0
    response = upload(client, world, "grid_member", case, "big.png", png())
    assert response.status_code == 422 and "超过上限" in response.json()["detail"]
    assert not Attachment.objects.exists()
    settings.UPLOAD_MAX_MB = 10
    response = upload(client, world, "grid_member", case, "ok.png", png())
    assert response.status_code == 201 and response.json()["step"] is None
    assert ObjectChange.objects.get(content_type__model="attachment", action="create").source == "api"


# -- reading ----------------------------------------------------------------------------------------------------


def test_the_reporter_phone_is_masked_everywhere(client, world):
    case = report(world, reporter_name="李四", reporter_phone="13912345678")
    hidden = report(world, reporter_name="王五", reporter_phone="13700001111", anonymous=True)
    detail = get(client, world, "director", f"{BASE}{case.pk}/")
    listing = get(client, world, "director", BASE)
    for response in (detail, listing):
        assert response.status_code == 200
        assert b"13912345678" not in response.content and b"13700001111" not in response.content
    assert detail.json()["reporter_phone"] == "139****5678" and detail.json()["reporter"] == "李四"
    rows = {r["id"]: r for r in listing.json()["results"]}
    assert rows[hidden.pk]["reporter_phone"] == "" and rows[hidden.pk]["reporter"] == "匿名"
    assert rows[case.pk]["reporter_phone"] == "139****5678"


def test_my_cases_are_the_open_ones_i_hold_soonest_due_first(client, world):
    gm, director = world.users["grid_member"], world.users["director"]
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        later = report(world, code="facilities")  # 5 working days
        sooner = report(world, code="sanitation")  # same day
        done = report(world)
        not_mine = report(world)
        for case in (later, sooner, done):
            services.assign(director, case, gm)
        services.assign(director, not_mine, world.users["worker"])
        services.resolve(gm, done, "已处理")
        response = get(client, world, "grid_member", f"{BASE}mine/")
    assert response.status_code == 200
    assert [r["number"] for r in response.json()] == [sooner.number, later.number]
    assert get(client, world, "nobody", f"{BASE}mine/").status_code == 403


def test_board_counts_the_cases_in_assign_scope(client, world):
    gm, director = world.users["grid_member"], world.users["director"]
    with time_machine.travel(at("2026-09-21 09:00"), tick=False):
        overdue = report(world)  # same day: due 09-21
        services.assign(director, overdue, gm)
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        report(world)  # new, due today
        today = report(world)
        services.assign(director, today, gm)
        clock.escalate(overdue, Case.Level.COMMUNITY)
        suspended = report(world, code="facilities")
        services.assign(director, suspended, gm)
        services.suspend(gm, suspended, "等待")
        report(world, user_key="director_b", community=world.b, grid=world.grid_b)  # not in A
        response = get(client, world, "director", f"{BASE}board/")
        assert response.status_code == 200, response.content
        assert response.json() == {"new": 1, "due_today": 2, "overdue": 1, "escalated": 1, "open": 4}
        one = get(client, world, "director", f"{BASE}board/", {"community": world.a.pk}).json()
        assert one["open"] == 4
        assert get(client, world, "director", f"{BASE}board/", {"community": world.b.pk}).status_code == 404
        official = get(client, world, "official", f"{BASE}board/").json()  # the street above A
        assert official["open"] == 4
    assert get(client, world, "grid_member", f"{BASE}board/").status_code == 403
    assert get(client, world, "official_view", f"{BASE}board/").status_code == 403


def test_duplicates_near_or_at_the_same_address(client, world):
    near = report(world, latitude=25.040000, longitude=102.710000, address="桃源路1号")
    same_address = report(world, address="桃源社区3栋门口")
    report(world, code="facilities", latitude=25.040000, longitude=102.710000)  # another category
    url = f"{BASE}duplicates/"
    params = {
        "community": world.a.pk,
        "category": category("sanitation").pk,
        "latitude": 25.0401,
        "longitude": 102.7101,
        "address": "桃源社区3栋门口",
    }
    response = get(client, world, "grid_member", url, params)
    assert response.status_code == 200, response.content
    found = response.json()
    assert [r["number"] for r in found] == [near.number, same_address.number]
    assert 0 < found[0]["distance_m"] < 50 and found[1]["distance_m"] is None
    assert get(client, world, "director_b", url, {**params, "community": world.b.pk}).json() == []
    assert get(client, world, "director", url, {**params, "community": world.b.pk}).status_code == 404
    assert get(client, world, "director", url, {**params, "longitude": ""}).status_code == 422
    assert get(client, world, "nobody", url, params).status_code == 403


def test_actions_are_what_the_caller_may_do_now(client, world):
    case = report(world)
    mine = get(client, world, "director", f"{BASE}{case.pk}/actions/")
    assert mine.status_code == 200
    steps = {r["step"]: r for r in mine.json()}
    assert {"accept", "assign", "resolve", "reject", "merge"} <= set(steps)
    assert "close" not in steps and steps["assign"]["label"] == "分派"
    assert steps["assign"]["path"] == f"{BASE}{case.pk}/assign/"
    assert get(client, world, "official_view", f"{BASE}{case.pk}/actions/").json() == []
    services.assign(world.users["director"], case, world.users["grid_member"])
    held = {r["step"] for r in get(client, world, "grid_member", f"{BASE}{case.pk}/actions/").json()}
    assert held == {"start", "progress", "resolve", "suspend"}
    services.resolve(world.users["grid_member"], case, "已处理")
    after = {r["step"]: r for r in get(client, world, "grid_member", f"{BASE}{case.pk}/actions/").json()}
    assert after["follow_up"]["path"] == f"{BASE}{case.pk}/follow-up/" and "reopen" in after  # reported it


def test_lists_and_filters_are_scoped(client, world):
    mine = report(world)
    foreign = report(world, user_key="director_b", community=world.b, grid=world.grid_b)
    ids = {r["id"] for r in get(client, world, "official", BASE, {"limit": 100}).json()["results"]}
    assert mine.pk in ids and foreign.pk not in ids  # the street of A only
    assert get(client, world, "director", BASE, {"status": "closed"}).json()["count"] == 0
    categories = get(client, world, "grid_member", "/api/v1/cases/categories/", {"limit": 100}).json()
    assert categories["count"] >= 13  # the deployment's defaults are visible to everyone


# -- the timeliness report --------------------------------------------------------------------------------------


def test_timeliness_report_within_scope(client, world):
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        case = report(world)
        services.resolve(world.users["director"], case, "已处理")
        report(world)
    url = f"{BASE}timeliness/"
    period = {"start": "2026-09-01", "end": "2026-09-30"}
    response = get(client, world, "director", url, {"division": world.a.code, **period})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["division"]["code"] == world.a.code and data["total"] == 2 and data["resolved"] == 1
    assert data["period"] == {"start": "2026-09-01", "end": "2026-09-30"}
    street = get(client, world, "official", url, {"division": world.street.code, **period})
    assert street.status_code == 200 and street.json()["total"] == 2
    assert get(client, world, "director", url, {"division": world.b.code, **period}).status_code == 404
    assert get(client, world, "director", url, {"division": world.street.code, **period}).status_code == 404
    assert get(client, world, "nobody", url, {"division": world.a.code}).status_code == 403
    wrong = get(client, world, "director", url, {"division": world.a.code, "start": "2026-09-30", "end": "2026-09-01"})
    assert wrong.status_code == 422 and "早于" in wrong.json()["detail"]
    assert get(client, world, "director", url, {"division": world.a.code}).status_code == 200  # this month


def test_the_endpoints_are_documented(client, world):
    client.force_login(world.users["director"])
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for step in WORKFLOW.user_steps():
        assert f"{BASE}{{pk}}/{step.path}/" in paths
    for fixed in ("mine", "duplicates", "board", "timeliness"):
        assert f"{BASE}{fixed}/" in paths
    assert "multipart/form-data" in paths[f"{BASE}{{pk}}/attachments/"]["post"]["requestBody"]["content"]
