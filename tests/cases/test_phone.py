"""The phone (issue 17, defects 2 and 6): a report whose first submit comes back with an error keeps its photo
(uploaded once, shown, sent with the case), step 1 refuses a missing category, the grid member's home is a
launcher with task counts, the unread count shows beside the collapsed menu, and every photo input of the case
page shrinks photos and offers the camera."""

from __future__ import annotations

import datetime
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from PIL import Image

from tongxin.cases import attachments, services
from tongxin.cases.models import Attachment, Case, PendingPhoto
from tongxin.core import hooks

from .helpers import category, report

pytestmark = pytest.mark.django_db


def photo(name: str = "p.jpg") -> SimpleUploadedFile:
    """A small JPEG upload."""
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 160, 90)).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def kept_tokens(html: str) -> list[str]:
    """The kept-photo references a re-rendered report form carries."""
    return re.findall(r'<input type="hidden" name="kept" value="([^"]+)">', html)


def first_post(client, world, **changes):
    """The grid member's first submit: a photo, a category and a description, but no place."""
    data = {
        "category": category("sanitation").pk,
        "description": "3栋门口垃圾桶满溢",
        "community": world.a.pk,
        "grid": world.grid_a.pk,
        "photos": [photo("门口.jpg")],
    }
    data.update(changes)
    return client.post(reverse("cases:report"), {k: v for k, v in data.items() if v is not None})


def test_a_report_refused_for_its_place_keeps_the_photo_and_the_case_takes_it(client, world):
    client.force_login(world.users["grid_member"])
    response = first_post(client, world)
    html = response.content.decode()
    assert response.status_code == 200 and not Case.objects.exists()
    assert "请填写地点或获取定位" in html and 'data-start-screen="3"' in html
    assert "已保留照片，无需重新选择" in html
    (token,) = kept_tokens(html)
    kept = PendingPhoto.objects.get()
    assert kept.uploaded_by == world.users["grid_member"] and kept.name == "门口.jpg" and kept.thumbnail
    thumb_url = reverse("cases:kept_photo", args=[token])
    assert thumb_url in html
    thumb = client.get(thumb_url)
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"

    response = client.post(
        reverse("cases:report"),
        {
            "category": category("sanitation").pk,
            "description": "3栋门口垃圾桶满溢",
            "community": world.a.pk,
            "grid": world.grid_a.pk,
            "address": "桃源社区3栋门口",
            "kept": token,
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    att = Attachment.objects.get(case=case)
    assert att.name == "门口.jpg" and att.kind == "photo" and att.thumbnail and att.step.step == "report"
    assert not PendingPhoto.objects.exists()  # the case holds its own copy; the kept one is gone


def test_a_second_error_keeps_the_first_photo_and_adds_the_new_one(client, world):
    client.force_login(world.users["grid_member"])
    (token,) = kept_tokens(first_post(client, world).content.decode())
    html = first_post(client, world, photos=[photo("近景.jpg")], kept=token).content.decode()
    assert len(kept_tokens(html)) == 2 and PendingPhoto.objects.count() == 2
    tokens = kept_tokens(html)
    data = {"category": category("sanitation").pk, "description": "垃圾", "community": world.a.pk}
    data["grid"] = world.grid_a.pk
    client.post(reverse("cases:report"), {**data, "address": "3栋", "kept": tokens})
    assert sorted(Case.objects.get().attachments.values_list("name", flat=True)) == ["近景.jpg", "门口.jpg"]


def test_step_one_without_a_category_is_refused_on_step_one_and_the_photo_is_kept(client, world):
    client.force_login(world.users["grid_member"])
    html = first_post(client, world, category=None, address="3栋").content.decode()
    assert not Case.objects.exists()
    assert 'data-start-screen="1"' in html and "请先选择事件分类" in html
    assert len(kept_tokens(html)) == 1 and "已保留照片，无需重新选择" in html
    page = client.get(reverse("cases:report")).content.decode()
    # the client-side check of each screen: its message and the box it shows in
    assert 'data-msg-need-category="请先选择事件分类"' in page and page.count("data-step-error") == 2


def test_a_kept_photo_is_only_its_uploaders(client, world):
    client.force_login(world.users["grid_member"])
    (token,) = kept_tokens(first_post(client, world).content.decode())
    client.force_login(world.users["worker"])
    assert client.get(reverse("cases:kept_photo", args=[token])).status_code == 404
    assert client.get(reverse("cases:kept_photo", args=["forged:token"])).status_code == 404
    data = {"category": category("sanitation").pk, "description": "x", "community": world.a.pk, "address": "3栋"}
    client.post(reverse("cases:report"), {**data, "kept": token})  # the worker reports in the community
    assert not Case.objects.get().attachments.exists()  # someone else's reference is ignored
    assert PendingPhoto.objects.count() == 1


def test_kept_photos_expire_after_a_day(client, world):
    client.force_login(world.users["grid_member"])
    (token,) = kept_tokens(first_post(client, world).content.decode())
    later = timezone.now() + datetime.timedelta(hours=attachments.PENDING_HOURS, minutes=1)
    with time_machine.travel(later, tick=False):
        client.force_login(world.users["grid_member"])  # the session of the day before has expired
        assert client.get(reverse("cases:kept_photo", args=[token])).status_code == 404
        first_post(client, world, photos=[photo("new.jpg")])  # keeping a new one drops the expired one
    assert list(PendingPhoto.objects.values_list("name", flat=True)) == ["new.jpg"]


def test_the_worker_deletes_kept_photos_nobody_sent(client, world):
    client.force_login(world.users["grid_member"])
    first_post(client, world)
    (job,) = [j for j in hooks.periodic_jobs() if j.func == "tongxin.cases.attachments.purge_expired"]
    purge = import_string(job.func)
    assert purge() == {"pending_photos": 0}
    kept = PendingPhoto.objects.get()
    later = timezone.now() + datetime.timedelta(hours=attachments.PENDING_HOURS, minutes=1)
    assert purge(now=later) == {"pending_photos": 1}
    assert not PendingPhoto.objects.exists() and not kept.file.storage.exists(kept.file.name)


def test_grid_members_home_is_a_launcher_with_open_and_overdue_counts(client, world):
    gm = world.users["grid_member"]
    director = world.users["director"]
    with time_machine.travel(timezone.now() - datetime.timedelta(days=30), tick=False):
        old = report(world)
        services.assign(director, old, gm)  # overdue by now
    services.assign(director, report(world), gm)
    client.force_login(gm)
    home = client.get(reverse("home"))
    html = home.content.decode()
    launchers = [i for i in home.context["attention"] if i.get("launcher")]
    assert [i["text"] for i in launchers] == ["上报事件", "我的任务"]
    assert launchers[1]["open"] == 2 and launchers[1]["overdue"] == 1
    assert f'href="{reverse("cases:report")}" data-launcher' in html
    assert "未办结 2 件 · 已超期 1 件" in html
    client.force_login(director)  # a dispatcher keeps the plain reminders
    assert not [i for i in client.get(reverse("home")).context["attention"] if i.get("launcher")]


def test_the_unread_count_shows_beside_the_collapsed_menu(client, world):
    report(world)  # notifies the director
    client.force_login(world.users["director"])
    html = client.get(reverse("home")).content.decode()
    toggler = html.index('class="navbar-toggler"')
    badge = html.index('id="unread-badge"')
    assert html.index('id="notification-bell-collapsed"') < badge < toggler < html.index('id="nav"')
    assert re.search(r'id="unread-badge">1<', html)


def test_every_photo_input_of_the_case_page_shrinks_and_offers_the_camera(client, world):
    case = report(world)
    client.force_login(world.users["director"])
    html = client.get(case.get_absolute_url()).content.decode()
    inputs = re.findall(r"<input type=\"file\"[^>]*>", html)
    assert inputs
    for tag in inputs:
        assert 'data-shrink="1600"' in tag and 'accept="image/*"' in tag and 'capture="environment"' in tag, tag
    report_form = client.get(reverse("cases:report")).content.decode()
    (tag,) = re.findall(r"<input type=\"file\"[^>]*>", report_form)
    assert 'data-shrink="1600"' in tag and 'capture="environment"' in tag
