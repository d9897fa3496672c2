"""Exports people open in Excel (issue 17, defect 9): ID numbers stay text (XLSX string cells; in CSV a tab before
a long digit string, never a plain number), ages are numbers, the header is frozen and filtered and the columns
sized; a large export runs in the background with a job page and a download link for its owner only; an import's
error rows download as ``未导入的行-名单.xlsx``."""

from __future__ import annotations

import csv
import datetime
import io
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tongxin.core.models import AccessLog, ExportJob, ImportJob
from tongxin.core.retention import purge_export_jobs
from tongxin.registry.models import Person

from ..registry.helpers import pid

COLUMNS = ["name", "id_number", "age", "current_address"]


@pytest.fixture
def persons(world):
    """Three residents of community A with clear ID numbers the director may reveal."""
    return [
        Person.objects.create(
            community=world.a,
            grid=world.grid_a,
            name=f"居民{n}",
            id_number=pid("1980-01-02", 10 + n),
            sex="1",
            birth_date=datetime.date(1980, 1, 2),
            current_address="青年路94号",
        )
        for n in range(3)
    ]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def export(client, fmt: str, **params):
    return client.get(reverse("registry:person_list"), {"columns": COLUMNS, "export": fmt, **params})


def test_the_xlsx_export_keeps_id_numbers_as_text_and_ages_as_numbers_with_a_frozen_filtered_header(
    client, world, persons
):
    client.force_login(world.users["director"])
    wb = load_workbook(io.BytesIO(body(export(client, "xlsx"))))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == ["姓名", "公民身份号码", "年龄", "现住址"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:D4"
    widths = {letter: ws.column_dimensions[letter].width for letter in "ABCD"}
    assert widths["B"] >= 18 + 2  # an 18-digit ID number fits
    assert widths["D"] > widths["A"] - 1 and all(8 <= w <= 50 for w in widths.values())
    row = {h: c for h, c in zip(header, ws[2], strict=True)}
    ids = {p.id_number for p in persons}
    assert row["公民身份号码"].data_type == "s" and row["公民身份号码"].value in ids
    assert isinstance(row["年龄"].value, int) and row["年龄"].data_type == "n"


def test_the_csv_export_never_writes_an_id_number_as_a_plain_number(client, world, persons):
    client.force_login(world.users["director"])
    raw = body(export(client, "csv"))
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    ids = {p.id_number for p in persons}
    numeric_ids = [p.id_number for p in persons if p.id_number.isdigit()]
    assert numeric_ids, "the fixture needs an ID number of digits only"
    id_fields = [r[1] for r in rows[1:]]
    assert {f.strip() for f in id_fields} == ids  # the whole number, every digit
    for field in id_fields:
        assert not field.isdigit()  # Excel would show 1.10101E+17: a digit-only ID is written as "\t5301…"
        if field.strip().isdigit():
            assert field == "\t" + field.strip()
    assert all(r[2].isdigit() for r in rows[1:])  # the age stays a number


def test_a_large_export_runs_in_the_background_with_a_job_page_and_a_download_for_its_owner(
    client, world, persons, settings
):
    settings.EXPORT_BACKGROUND_ROWS = 2
    client.force_login(world.users["director"])
    before = AccessLog.objects.filter(action="export").count()
    response = export(client, "xlsx", q="居民")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert AccessLog.objects.filter(action="export").count() == before + 1  # logged as an export in the request
    assert job.user == world.users["director"] and job.total == 3
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "已完成" in html and "?download=1" in html and 'aria-valuenow="100"' in html
    download = client.get(job.get_absolute_url(), {"download": 1})
    assert download.status_code == 200
    assert unquote(download["Content-Disposition"]).endswith(".xlsx")
    ws = load_workbook(io.BytesIO(body(download))).worksheets[0]
    assert [c.value for c in ws[1]] == ["姓名", "公民身份号码", "年龄", "现住址"] and ws.max_row == 4
    assert ws.freeze_panes == "A2"
    assert job.file.name.startswith("exports/")
    for other in ("director_b", "admin", "worker"):
        client.force_login(world.users[other])
        assert client.get(job.get_absolute_url()).status_code == 404
        assert client.get(job.get_absolute_url(), {"download": 1}).status_code == 404


def test_a_background_csv_export_keeps_the_list_filters_and_the_id_numbers_as_text(client, world, persons, settings):
    settings.EXPORT_BACKGROUND_ROWS = 1
    client.force_login(world.users["director"])
    export(client, "csv", q="居民1")  # a filter that leaves one row: exported at once
    assert not ExportJob.objects.exists()
    response = export(client, "csv", q="居民")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.status == "done" and job.processed == 3
    raw = body(client.get(job.get_absolute_url(), {"download": 1}))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 4 and all(not r[1].isdigit() for r in rows[1:])


def test_exported_files_are_deleted_after_their_retention_period(client, world, persons, settings, time_machine):
    settings.EXPORT_BACKGROUND_ROWS = 1
    settings.EXPORT_RETENTION_DAYS = 7
    time_machine.move_to(datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC), tick=False)
    client.force_login(world.users["director"])
    export(client, "xlsx")
    job = ExportJob.objects.get()
    path = job.file.path
    assert purge_export_jobs()["export_jobs_deleted"] == 0
    time_machine.move_to(datetime.datetime(2026, 3, 9, 9, tzinfo=datetime.UTC), tick=False)
    assert purge_export_jobs()["export_jobs_deleted"] == 1
    assert not ExportJob.objects.exists()
    import os

    assert not os.path.exists(path)


def test_the_error_rows_of_an_import_download_with_one_extension(client, world):
    job = ImportJob.objects.create(
        user=world.users["director"],
        target="org.Grid",
        file_name="名单.xlsx",
        status="done",
        community=world.a,
        problems=[{"row": 2, "status": "rejected", "errors": ["编码为空"], "values": [["编码", ""]]}],
    )
    client.force_login(world.users["director"])
    response = client.get(job.get_absolute_url(), {"errors": 1})
    assert response.status_code == 200
    assert unquote(response["Content-Disposition"]).endswith("filename*=UTF-8''未导入的行-名单.xlsx")


def test_the_job_page_polls_with_a_progress_bar_while_the_export_runs(client, world):
    job = ExportJob.objects.create(
        user=world.users["director"], target="registry.Person", fmt="xlsx", total=8000, processed=2000, file_name="x"
    )
    job.status = ExportJob.Status.RUNNING
    job.save()
    client.force_login(world.users["director"])
    html = client.get(job.get_absolute_url()).content.decode()
    assert f'hx-get="{job.get_absolute_url()}"' in html
    assert 'aria-valuenow="25"' in html and "2000/8000" in html and "?download=1" not in html
    assert client.get(job.get_absolute_url(), {"download": 1}).status_code == 404  # nothing to download yet


def test_a_background_export_holds_only_the_rows_in_the_users_scope(client, world, persons, settings):
    settings.EXPORT_BACKGROUND_ROWS = 0
    Person.objects.create(community=world.b, name="乙社区居民", sex="2", current_address="幸福路1号")
    client.force_login(world.users["director"])
    export(client, "csv")
    job = ExportJob.objects.get()
    raw = body(client.get(job.get_absolute_url(), {"download": 1})).decode("utf-8-sig")
    assert "居民0" in raw and "乙社区居民" not in raw
