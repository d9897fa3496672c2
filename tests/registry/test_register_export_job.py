"""The register export (花名册) of more than ``EXPORT_BACKGROUND_ROWS`` persons is a background job like a list's
large export: the request logs the export and sends the user to the job's page; the worker writes the register's
workbook from the same rows (the list's filters, living persons, household order, in clear only where the user may
reveal), which re-imports as unchanged; only the job's owner downloads it. A smaller register is answered at once."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tongxin.core import exportjobs
from tongxin.core.models import AccessLog, ExportJob, ObjectChange, User
from tongxin.core.privacy import mask
from tongxin.org.models import RoleAssignment
from tongxin.registry.models import Person
from tongxin.registry.register import COLUMNS, HEADERS

from .helpers import counts, pid, read_xlsx, run_import, write

EXPORT_URL = "/registry/persons/register.xlsx"
FULL_HEADER = [HEADERS[f][0] for f in COLUMNS]
ID_COL = FULL_HEADER.index("公民身份号码")
PHONE_COL = FULL_HEADER.index("联系电话")
FILE_NAME = re.compile(r"^居民花名册-\d{8}-\d{4}\.xlsx$")

ZW = pid("1970-03-05", 11)
LN = pid("1972-06-07", 22)
ZXM = pid("2000-01-01", 31)
WF = pid("1985-05-05", 42)
OUTSIDER = pid("1990-01-01", 55)


def row(**values: str) -> list[str]:
    return [values.get(f, "") for f in COLUMNS]


@pytest.fixture
def registered(world, tmp_path):
    """Four living persons of community A in two households, one deceased, and one person of community B."""
    rows = [
        FULL_HEADER,
        row(household_number="0002", name="王芳", id_number=WF, relationship="本人", phone="13800000002"),
        row(
            household_number="0001",
            name="张伟",
            id_number=ZW,
            relationship="户主",
            grid="A01",
            current_address="桃源路1号",
            phone="13912345678,0871-65123456",
            political_status="中共党员",
        ),
        row(household_number="0001", name="李娜", id_number=LN, relationship="妻", phone="13800000001"),
        row(household_number="0001", name="张小明", id_number=ZXM, relationship="子"),
        row(name="已故者", sex="男", birth_date="1930-01-02"),
    ]
    run = run_import(write(tmp_path, "register.csv", rows))
    assert run.summary["created"] == 5, run.stderr
    Person.objects.filter(name="已故者").update(life_status=Person.LifeStatus.DECEASED)
    Person.objects.create(community=world.b, name="外社区", id_number=OUTSIDER)


def download(client, job: ExportJob):
    response = client.get(job.get_absolute_url(), {"download": 1})
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def test_a_large_register_export_becomes_a_job_whose_workbook_reimports_unchanged(
    client, world, registered, settings, tmp_path
):
    settings.EXPORT_BACKGROUND_ROWS = 3
    client.force_login(world.users["director"])
    response = client.get(EXPORT_URL)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.kind == "registry.register" and job.target == "registry.Person" and job.fmt == "xlsx"
    assert job.user == world.users["director"] and job.status == "done"
    assert job.total == 4 and job.processed == 4  # the living persons of A: not the deceased, not B's
    assert FILE_NAME.match(job.file_name)
    log = AccessLog.objects.get(action="export")
    assert log.user == world.users["director"] and log.row_count == 4 and log.community_id == world.a.pk
    assert log.detail == "花名册导出（明文）" and "id_number" in log.fields and "phone" in log.fields

    html = client.get(job.get_absolute_url()).content.decode()
    assert "已完成" in html and "?download=1" in html and 'aria-valuenow="100"' in html and "4/4" in html
    file_response, body = download(client, job)
    assert FILE_NAME.match(unquote(file_response["Content-Disposition"]).split("''", 1)[1])
    ws = load_workbook(io.BytesIO(body)).worksheets[0]
    assert ws.title == "居民花名册" and ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == FULL_HEADER
    ids = [ws.cell(row=r, column=ID_COL + 1) for r in range(2, ws.max_row + 1)]
    assert all(c.data_type == "s" for c in ids)  # ID numbers stay text, every digit
    rows = read_xlsx(body)
    assert [r[1] for r in rows[1:]] == ["张伟", "李娜", "张小明", "王芳"]  # household order, head first
    assert [r[ID_COL] for r in rows[1:]] == [ZW, LN, ZXM, WF]
    assert rows[1][PHONE_COL] == "13912345678,0871-65123456"

    path = tmp_path / "exported.xlsx"
    path.write_bytes(body)
    mark = ObjectChange.objects.count()
    run = run_import(path)
    assert run.summary == counts(rows=4, unchanged=4), run.stderr
    assert ObjectChange.objects.count() == mark


def test_the_job_of_a_user_who_may_not_reveal_holds_the_register_masked(client, world, registered, settings):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(world.users["official"])
    assert client.get(EXPORT_URL).status_code == 302
    job = ExportJob.objects.get(user=world.users["official"])
    text = " ".join(str(c) for r in read_xlsx(download(client, job)[1]) for c in r if c)
    for secret in (ZW, LN, ZXM, WF, "13912345678", "65123456", "13800000001"):
        assert secret not in text
    assert mask(ZW) in text and mask("13912345678") in text and "1970-03-05" not in text
    log = AccessLog.objects.get(action="export", user=world.users["official"])
    assert log.fields == "" and log.detail == "花名册导出（脱敏）" and log.row_count == 4


def test_the_job_reveals_only_the_communities_where_its_user_may_reveal(client, world, registered, settings):
    """A director of A who is also an official of the county: clear for A's persons, masked for B's."""
    settings.EXPORT_BACKGROUND_ROWS = 1
    user = User.objects.create_user(username="both", password="pw-Strong-12345")
    RoleAssignment.objects.create(user=user, role=world.roles["director"], division=world.a)
    RoleAssignment.objects.create(user=user, role=world.roles["official"], division=world.county)
    client.force_login(user)
    client.get(EXPORT_URL)
    job = ExportJob.objects.get(user=user)
    by_name = {r[1]: r for r in read_xlsx(download(client, job)[1])[1:]}
    assert by_name["张伟"][ID_COL] == ZW and by_name["外社区"][ID_COL] == mask(OUTSIDER)
    log = AccessLog.objects.get(action="export", user=user)
    assert log.row_count == 5 and log.detail == "花名册导出（4 行明文，其余脱敏）" and log.community_id is None


def test_the_job_keeps_the_list_filters(client, world, registered, settings):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(world.users["director"])
    client.get(EXPORT_URL, {"q": "张", "page": 3})
    job = ExportJob.objects.get()
    assert job.total == 2 and "page" not in job.query
    assert [r[1] for r in read_xlsx(download(client, job)[1])[1:]] == ["张伟", "张小明"]


def test_only_the_owner_of_a_register_job_sees_or_downloads_it(client, world, registered, settings):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(world.users["director"])
    client.get(EXPORT_URL)
    job = ExportJob.objects.get()
    for other in ("director_b", "admin", "official"):
        client.force_login(world.users[other])
        assert client.get(job.get_absolute_url()).status_code == 404
        assert client.get(job.get_absolute_url(), {"download": 1}).status_code == 404


def test_a_register_export_within_the_threshold_is_answered_at_once(client, world, registered, settings):
    settings.EXPORT_BACKGROUND_ROWS = 4
    client.force_login(world.users["director"])
    response = client.get(EXPORT_URL)
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert FILE_NAME.match(unquote(response["Content-Disposition"]).split("''", 1)[1])
    assert not ExportJob.objects.exists()
    assert [r[1] for r in read_xlsx(response.content)[1:]] == ["张伟", "李娜", "张小明", "王芳"]
    assert AccessLog.objects.get(action="export").detail == "花名册导出（明文）"


def test_a_user_without_the_export_permission_starts_no_job(client, world, registered, settings):
    settings.EXPORT_BACKGROUND_ROWS = 0
    client.force_login(world.users["grid_member"])
    assert client.get(EXPORT_URL).status_code == 403
    assert not ExportJob.objects.exists() and not AccessLog.objects.filter(action="export").exists()


def test_the_register_is_a_declared_export_kind_and_an_undeclared_kind_is_refused(world):
    assert exportjobs.kinds()["registry.register"] == "tongxin.registry.views.write_register_job"
    with pytest.raises(ValueError, match="undeclared"):
        exportjobs.start(world.users["director"], "registry.Person", "xlsx", {}, 9, "x", kind="registry.nothing")
    assert not ExportJob.objects.exists()


@pytest.fixture
def db_worker(settings, transactional_db):
    """The database task queue that ``tongxin worker`` serves (roles back as after a migration)."""
    from tongxin.org.roles import sync_default_roles

    sync_default_roles()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_the_worker_writes_the_register_job_the_page_polls_meanwhile(db_worker, client, world, registered, settings):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(world.users["director"])
    client.get(EXPORT_URL)
    job = ExportJob.objects.get()
    assert job.status == "pending" and job.processed == 0
    html = client.get(job.get_absolute_url()).content.decode()
    assert f'hx-get="{job.get_absolute_url()}"' in html and "0/4" in html and "?download=1" not in html
    assert client.get(job.get_absolute_url(), {"download": 1}).status_code == 404  # nothing to download yet
    call_command("worker", "--batch", "--clock-seconds", "0", "--no-startup-delay", verbosity=0)
    job.refresh_from_db()
    assert job.status == "done" and job.processed == 4
    assert [r[ID_COL] for r in read_xlsx(download(client, job)[1])[1:]] == [ZW, LN, ZXM, WF]
