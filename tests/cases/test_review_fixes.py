"""Fixes from the review of the cases module: confidential cases' records, the reporter's phone on the edit
page, the buttons officials see, who edits categories, community categories on the phone report."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tongxin.cases import services
from tongxin.cases.models import Attachment, Category, Dispute, FollowUp
from tongxin.cases.workflow import WORKFLOW
from tongxin.core import scoping
from tongxin.core.files import check_upload

from .helpers import report
from .test_pages import photo

pytestmark = pytest.mark.django_db


def test_records_of_a_confidential_case_are_as_hidden_as_the_case(client, world):
    jpg = SimpleUploadedFile("x.jpg", photo().getvalue(), content_type="image/jpeg")
    case = report(world, "director", code="neighbour", confidential=True, grid=None, files=[jpg])
    services.resolve(world.users["director"], case, "已调解")
    services.follow_up(world.users["director"], case, 5)
    worker = world.users["worker"]
    for model in (Attachment, FollowUp, Dispute):
        assert not scoping.restrict(model.objects.all(), worker).exists(), model
        assert scoping.restrict(model.objects.all(), world.users["director"]).exists(), model
    client.force_login(worker)
    att = case.attachments.get()
    assert client.get(reverse("cases:attachment", args=[att.pk])).status_code == 404
    assert case.number not in client.get(reverse("cases:dispute_list")).content.decode()
    # the street official who gets the escalation may open it
    assert scoping.can(world.users["official"], case, "view")


def test_edit_page_never_sends_the_reporters_phone_in_clear(client, world):
    case = report(world, "director", reporter_name="王五", reporter_phone="13800001111")
    client.force_login(world.users["director"])
    page = client.get(reverse("cases:case_edit", args=[case.pk])).content.decode()
    assert "13800001111" not in page and "138****1111" in page
    data = {
        "community": world.a.pk,
        "grid": world.grid_a.pk,
        "category": case.category.pk,
        "kind": case.kind,
        "source": case.source,
        "title": "改过的标题",
        "description": case.description,
        "priority": "normal",
        "reporter_name": "王五",
        "reporter_phone": "",
    }
    assert client.post(reverse("cases:case_edit", args=[case.pk]), data).status_code == 302
    case.refresh_from_db()
    assert case.title == "改过的标题" and case.reporter_phone == "13800001111"
    data["reporter_phone"] = "12345"
    response = client.post(reverse("cases:case_edit", args=[case.pk]), data)
    assert response.status_code == 200 and "无法识别的电话号码“12345”" in response.content.decode()


def test_officials_are_offered_only_what_they_may_do(world):
    case = report(world)
    official = world.users["official"]
    steps = [s.name for s in WORKFLOW.available(official, case)]
    assert "assign" in steps and "accept" in steps
    assert not {"start", "resolve", "progress", "follow_up", "merge"} & set(steps)
    director_steps = [s.name for s in WORKFLOW.available(world.users["director"], case)]
    assert {"assign", "resolve", "merge"} <= set(director_steps)


def test_grid_members_use_categories_but_do_not_edit_them(client, world):
    local = Category.objects.create(community=world.a, code="local-x", name="本社区", rule="work_days", amount=2)
    gm = world.users["grid_member"]
    assert scoping.can(gm, local, "view") and not scoping.can(gm, local, "change")
    client.force_login(gm)
    before = Category.objects.count()
    data = {"community": world.a.pk, "code": "mine", "name": "自建", "kind": "event", "rule": "same_day"}
    client.post(reverse("cases:category_add"), {**data, "amount": 0, "priority": "normal", "sort": 1})
    assert Category.objects.count() == before
    assert client.get(reverse("cases:category_edit", args=[local.pk])).status_code in (403, 404)


def test_phone_report_lists_the_communitys_override(client, world):
    Category.objects.create(
        community=world.a, code="sanitation", name="环境卫生（本社区2小时）", rule="work_hours", amount=2
    )
    client.force_login(world.users["grid_member"])
    page = client.get(reverse("cases:report")).content.decode()
    assert "环境卫生（本社区2小时）" in page and "垃圾清运" in page


def test_a_zip_is_not_a_word_document(world):
    import io
    import zipfile

    from django.core.exceptions import ValidationError

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("evil.exe", b"MZ")
    upload = SimpleUploadedFile("doc.docx", buf.getvalue())
    with pytest.raises(ValidationError):
        check_upload(upload)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert check_upload(SimpleUploadedFile("ok.docx", buf.getvalue())).endswith("document")
