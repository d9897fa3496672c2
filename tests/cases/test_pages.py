"""The people's pages: the grid member's quick report and task list, the case page's workflow buttons, the
director's board with bulk assignment, duplicate suggestions, attachments behind the scope check, and the
notification inbox."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.urls import reverse
from PIL import Image

from tongxin.cases import services
from tongxin.cases.models import Attachment, Case, CaseStep
from tongxin.core.models import Notification, ObjectChange

from .helpers import at, category, report

pytestmark = pytest.mark.django_db


def photo(name="p.jpg", size=(1200, 800)) -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", size, (120, 160, 90)).save(buf, "JPEG")
    buf.seek(0)
    buf.name = name
    return buf


def test_grid_member_reports_with_a_photo_in_one_post(client, world):
    client.force_login(world.users["grid_member"])
    page = client.get(reverse("cases:report"))
    assert page.status_code == 200 and "安全隐患" in page.content.decode()
    with time_machine.travel(at("2026-09-24 20:00"), tick=False):
        response = client.post(
            reverse("cases:report"),
            {
                "category": category("sanitation").pk,
                "description": "3栋门口垃圾桶满溢",
                "address": "桃源社区3栋",
                "community": world.a.pk,
                "grid": world.grid_a.pk,
                "latitude": "25.060001",
                "longitude": "102.720002",
                "photos": [photo()],
            },
        )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.source == "patrol" and case.grid == world.grid_a and case.reporter_user == world.users["grid_member"]
    assert case.due_at == at("2026-09-28 18:00")
    att = Attachment.objects.get(case=case)
    assert att.kind == "photo" and att.thumbnail and att.content_type == "image/jpeg"
    assert CaseStep.objects.get(case=case, step="report").files.count() == 1
    detail = client.get(case.get_absolute_url())
    assert reverse("cases:attachment_thumb", args=[att.pk]) in detail.content.decode()
    thumb = client.get(reverse("cases:attachment_thumb", args=[att.pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"


def test_report_form_errors_name_the_field_and_keep_the_rest(client, world):
    client.force_login(world.users["grid_member"])
    bad = io.BytesIO(b"MZ\x90\x00 not an image")
    bad.name = "virus.jpg"
    response = client.post(
        reverse("cases:report"),
        {"category": category("sanitation").pk, "description": "垃圾", "community": world.a.pk, "photos": [bad]},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "virus.jpg" in text and "类型不支持" in text
    assert "请填写地点或获取定位" in text
    assert not Case.objects.exists()


def test_grid_member_cannot_report_into_another_community(client, world):
    client.force_login(world.users["grid_member"])
    response = client.post(
        reverse("cases:report"),
        {"category": category("sanitation").pk, "description": "x", "address": "y", "community": world.b.pk},
    )
    assert response.status_code == 200 and not Case.objects.exists()


def test_workflow_buttons_take_each_step_and_history_shows_them(client, world):
    gm, director = world.users["grid_member"], world.users["director"]
    case = report(world)
    client.force_login(director)
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'id="step-accept"' in page and 'id="step-assign"' in page and 'id="step-resolve"' in page
    url = lambda s: reverse("cases:case_step", args=[case.pk, s])  # noqa: E731
    assert client.post(url("assign"), {"assignee": gm.pk, "note": "请处理"}).status_code == 302
    client.force_login(gm)
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'id="step-resolve"' in page and 'id="step-assign"' not in page and 'id="step-close"' not in page
    client.post(url("start"), {})
    client.post(url("resolve"), {"note": "已清运", "photos": [photo("after.jpg")]})
    case.refresh_from_db()
    assert case.status == "resolved"
    assert client.post(url("close"), {}).status_code == 302  # refused: not a reviewer
    case.refresh_from_db()
    assert case.status == "resolved"
    client.force_login(director)
    client.post(url("close"), {"note": "核实"})
    client.post(url("follow_up"), {"satisfaction": "4", "method": "phone", "note": "满意"})
    case.refresh_from_db()
    assert case.status == "closed" and case.satisfaction == 4
    page = client.get(case.get_absolute_url()).content.decode()
    for label in ("上报", "分派", "开始办理", "办结", "关闭", "回访"):
        assert label in page
    assert ObjectChange.objects.filter(object_id=str(case.pk), step="resolve", user=gm, source="web").exists()


def test_step_errors_are_shown_not_raised(client, world):
    case = report(world)
    client.force_login(world.users["director"])
    response = client.post(reverse("cases:case_step", args=[case.pk, "close"]), {}, follow=True)
    assert "不能关闭" in response.content.decode()
    response = client.post(reverse("cases:case_step", args=[case.pk, "merge"]), {"into": "999"}, follow=True)
    assert "未找到编号为“999”的事件" in response.content.decode()
    assert client.post(reverse("cases:case_step", args=[case.pk, "nope"])).status_code == 404
    client.force_login(world.users["director_b"])
    assert client.post(reverse("cases:case_step", args=[case.pk, "accept"])).status_code == 404


def test_my_tasks_lists_open_cases_soonest_first(client, world):
    gm, director = world.users["grid_member"], world.users["director"]
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        big = report(world, code="livelihood", description="低保申请咨询")
        small = report(world, description="垃圾")
        services.assign(director, big, gm)
        services.assign(director, small, gm)
        client.force_login(gm)
        page = client.get(reverse("cases:mine")).content.decode()
    assert page.index(small.number) < page.index(big.number)
    assert "剩余" in page


def test_board_counts_and_bulk_assigns(client, world):
    director, gm = world.users["director"], world.users["grid_member"]
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        cases = [report(world, description=f"问题{i}") for i in range(3)]
    with time_machine.travel(at("2026-09-25 10:00"), tick=False):  # past the same-day limit
        client.force_login(director)
        page = client.get(reverse("cases:board"))
        assert page.status_code == 200
        sections = {key: count for key, _label, _rows, count in page.context["sections"]}
        assert sections["new"] == 3 and sections["overdue"] == 3
        response = client.post(
            reverse("cases:board"), {"pk": [c.pk for c in cases[:2]], "assignee": gm.pk, "note": "批量"}
        )
        assert response.status_code == 302
    assert Case.objects.filter(assignee=gm).count() == 2
    assert Notification.objects.filter(user=gm, kind="case_assigned").count() == 2
    client.force_login(gm)
    assert client.get(reverse("cases:board")).status_code == 403


def test_duplicate_panel_suggests_nearby_open_cases(client, world):
    existing = report(world, latitude=25.06, longitude=102.72)
    client.force_login(world.users["grid_member"])
    params = {
        "community": world.a.pk,
        "category": existing.category.pk,
        "latitude": "25.06001",
        "longitude": "102.72001",
    }
    response = client.get(reverse("cases:duplicates"), params)
    assert existing.number in response.content.decode()
    params["latitude"] = "25.07"
    assert existing.number not in client.get(reverse("cases:duplicates"), params).content.decode()


def test_attachments_are_served_only_within_scope(client, world):
    case = report(world, files=[_upload()])
    att = case.attachments.get()
    client.force_login(world.users["director_b"])
    assert client.get(reverse("cases:attachment", args=[att.pk])).status_code == 404
    client.force_login(world.users["nobody"])
    assert client.get(reverse("cases:attachment", args=[att.pk])).status_code == 403
    client.force_login(world.users["director"])
    assert client.get(reverse("cases:attachment", args=[att.pk])).status_code == 200


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("x.jpg", photo().getvalue(), content_type="image/jpeg")


def test_notification_inbox_marks_read(client, world):
    report(world)
    director = world.users["director"]
    client.force_login(director)
    home = client.get(reverse("home")).content.decode()
    assert 'id="unread-count"' in home and "未读通知" in home
    note = Notification.objects.get(user=director)
    response = client.get(reverse("core:notification_open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"].startswith("/cases/cases/")
    note.refresh_from_db()
    assert note.read_at is not None
    client.force_login(world.users["worker"])
    assert client.get(reverse("core:notification_open", args=[note.pk])).status_code == 404


def test_home_shows_my_open_and_overdue_cases(client, world):
    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        case = report(world)
        services.assign(world.users["director"], case, world.users["grid_member"])
    with time_machine.travel(at("2026-09-25 10:00"), tick=False):
        client.force_login(world.users["grid_member"])
        assert "未办结 1 件 · 已超期 1 件" in client.get(reverse("home")).content.decode()  # the launcher's count
        client.force_login(world.users["director"])
        assert "辖区 1 件事件已超期" in client.get(reverse("home")).content.decode()


def test_api_clients_fetch_attachments_with_their_token(client, world):
    case = report(world, files=[_upload()])
    att = case.attachments.get()
    url = reverse("cases:attachment", args=[att.pk])
    assert client.get(url).status_code == 302  # to the login page
    assert client.get(url, {"api_key": "tx_wrong"}).status_code == 302
    assert client.get(url, {"api_key": world.tokens["director"]}).status_code == 200
    headers = {"Authorization": f"Bearer {world.tokens['director_b']}"}
    assert client.get(url, headers=headers).status_code == 404


def test_a_blank_description_line_does_not_break_the_title(world):
    case = report(world, description="\n  \n")
    assert case.title == "环境卫生"
