"""Defects a review found in the platform layer, each with the test that failed before its fix."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.urls import reverse
from PIL import Image

from tests.sample.models import Visit
from tongxin.cases import clock, services
from tongxin.cases.workflow import WORKFLOW as CASES
from tongxin.core import files
from tongxin.core.models import ImportJob, ObjectChange

from ..cases.helpers import at, report


@pytest.mark.django_db
def test_the_clocks_steps_log_the_state_before_their_changes_and_keep_the_status_note(world):
    import time_machine

    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        case = report(world)
        services.assign(world.users["director"], case, world.users["grid_member"], "请今天处理")
    clock.tick(at("2026-09-24 16:30"))  # the reminder
    clock.tick(at("2026-09-24 18:05"))  # overdue: 社区督办
    case.refresh_from_db()
    assert case.status_note == "请今天处理"  # the clock does not overwrite what a person wrote
    remind = ObjectChange.objects.get(object_id=str(case.pk), step="remind")
    assert remind.prechange_data["reminded_at"] is None and remind.postchange_data["reminded_at"]
    escalate = ObjectChange.objects.get(object_id=str(case.pk), step="escalate")
    assert escalate.prechange_data["level"] == 0 and escalate.postchange_data["level"] == 1


@pytest.mark.django_db
def test_a_merge_logs_the_targets_residents_before_and_after(world):
    from tongxin.registry.models import Person

    resident = Person.objects.create(community=world.a, name="王芳", sex="2")
    target, duplicate = report(world), report(world)
    duplicate.persons.add(resident)
    services.merge(world.users["director"], duplicate, target)
    entry = ObjectChange.objects.get(object_id=str(target.pk), step="merged_in")
    assert entry.prechange_data["persons"] == [] and entry.postchange_data["persons"] == [resident.pk]


@pytest.mark.django_db
def test_a_step_that_takes_no_photos_refuses_files(world):
    from django.core.exceptions import ValidationError

    case = report(world)
    photo = SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    with pytest.raises(ValidationError, match="不能上传照片"):
        CASES.take(world.users["director"], case, "accept", files=[photo])
    assert not case.attachments.exists()


@pytest.mark.django_db
def test_the_edit_form_never_sends_personal_or_sensitive_data_back_and_blank_keeps_it(client, world):
    visit = Visit.objects.create(
        community=world.a, grid=world.grid_a, resident="王奶奶", phone="13987654321", health="糖尿病"
    )
    client.force_login(world.users["worker"])  # may change visits, may not see sensitive data
    page = client.get(f"/sample/visits/{visit.pk}/edit/").content.decode()
    assert "糖尿病" not in page and "13987654321" not in page and "139****4321" in page
    data = {"community": world.a.pk, "grid": world.grid_a.pk, "resident": "王奶奶", "phone": "", "health": ""}
    assert client.post(f"/sample/visits/{visit.pk}/edit/", data).status_code == 302
    visit.refresh_from_db()
    assert visit.phone == "13987654321" and visit.health == "糖尿病"


@pytest.mark.django_db
def test_import_problem_rows_of_sensitive_data_need_the_sensitive_permission(client, world):
    job = ImportJob.objects.create(
        user=world.users["director"],
        community=world.a,
        target="sample.Visit",
        file_name="走访.xlsx",
        status=ImportJob.Status.PREVIEW,
        problems=[
            {"row": 2, "status": "rejected", "values": [["居民", "王奶奶"], ["健康状况", "糖尿病"]], "errors": ["x"]}
        ],
    )
    url = reverse("core:importjob_detail", args=[job.pk])
    client.force_login(world.users["worker"])  # reveal, but not sensitive
    assert client.get(url, {"errors": 1}).status_code == 403
    client.force_login(world.users["director"])  # the uploader
    assert client.get(url, {"errors": 1}).status_code == 200


def test_a_webp_photo_loses_its_location_too():
    img = Image.new("RGB", (64, 32), (10, 200, 10))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (25.0, 3.0, 0.0)}
    out = io.BytesIO()
    img.save(out, "WEBP", exif=exif)
    upload = SimpleUploadedFile("p.webp", out.getvalue())
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get(0x8825) is not None
    kept = files.without_metadata(upload, "image/webp")
    assert 0x8825 not in Image.open(io.BytesIO(kept.read())).getexif()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_a_step_locks_its_row_not_the_community_every_insert_refers_to(world):
    from tongxin.registry.models import Person
    from tongxin.registry.workflow import WORKFLOW as PERSONS

    person = Person.objects.create(community=world.a, name="张伟", sex="1")
    other = connections.create_connection(connection.alias)
    try:
        with transaction.atomic():
            PERSONS.lock(person)
            with other.cursor() as cursor:  # what every insert referring to the community takes
                cursor.execute("SET lock_timeout = '2s'")
                cursor.execute("SELECT id FROM org_division WHERE id = %s FOR KEY SHARE", [world.a.pk])
                assert cursor.fetchone() == (world.a.pk,)
    finally:
        other.close()
