"""The register import through its pages: /registry/persons/import/ (upload with a community, template
download) → the job page /core/import-jobs/<pk>/ (preview with the rejected rows) → commit → result, the
error rows download; permissions and scope."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tongxin.core.models import ImportJob, ObjectChange
from tongxin.registry.models import Household, Person
from tongxin.registry.register import COLUMNS, HEADERS

from .helpers import HEADER, csv_bytes, pid, read_xlsx

IMPORT_URL = "/registry/persons/import/"
BAD_ID = "530103198002300011"  # 30 February


def register_rows() -> list[list[str]]:
    return [
        HEADER,
        ["0001", "张伟", pid("1970-03-05", 11), "男", "汉族", "", "户主", "第一居民小组", "13912345678", "桃源路1号"],
        ["0001", "李娜", pid("1972-06-07", 22), "女", "汉族", "", "配偶", "1组", "", "桃源路1号"],
        ["0002", "王芳", BAD_ID, "女", "彝族", "", "户主", "2", "", "桃源路2号"],
        ["0003", "赵六", pid("1990-09-09", 17), "", "", "", "户主", "2", "电话打不通", ""],
    ]


def login(client, world, key="director"):
    client.force_login(world.users[key])
    return client


def upload(client, community, rows=None, name="花名册.csv", **extra):
    data = {"file": SimpleUploadedFile(name, csv_bytes(rows or register_rows())), "community": community.pk, **extra}
    return client.post(IMPORT_URL, data)


def test_import_page_has_the_community_choice_and_the_template(client, world):
    login(client, world)
    page = client.get(IMPORT_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="community"' in html and world.a.name in html
    assert world.b.name not in html  # only the communities where the user may import
    assert "?template=1" in html
    template = client.get(IMPORT_URL, {"template": "1"})
    assert template.status_code == 200 and template.content[:2] == b"PK"
    rows = read_xlsx(template.content)
    assert rows[0] == [HEADERS[f][0] for f in COLUMNS]
    assert {"户号", "姓名", "公民身份号码", "性别", "民族", "出生日期", "与户主关系", "居民小组"} <= set(rows[0])


def test_the_template_imports_as_its_example_row(client, world, tmp_path):
    """The template's example row is a valid register row."""
    login(client, world)
    body = client.get(IMPORT_URL, {"template": "1"}).content
    response = client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("模板.xlsx", body), "community": world.a.pk}, follow=False
    )
    job = ImportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert job.status == "preview", job.error
    assert job.summary["rejected"] == 0, job.problems
    assert job.summary["created"] == 1


def test_upload_preview_commit_and_error_rows(client, world):
    login(client, world)
    response = upload(client, world.a)
    assert response.status_code == 302
    job = ImportJob.objects.latest("pk")
    assert response["Location"] == job.get_absolute_url() == f"/core/import-jobs/{job.pk}/"
    assert job.community == world.a and job.user == world.users["director"]
    # the preview ran (tasks run at once in tests): nothing written yet
    assert job.status == "preview"
    assert job.summary["rows"] == 4 and job.summary["created"] == 3 and job.summary["rejected"] == 1
    assert job.summary["households_created"] == 2
    assert "第一居民小组" in job.summary["groups_created"]
    assert not Person.objects.exists() and not Household.objects.exists()
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="import-commit"' in html and 'id="import-errors"' in html
    assert "<td>4</td>" in html and BAD_ID in html and "不存在" in html  # row 4 and its reason
    assert "电话打不通" in html  # the warned row is listed with its warning
    assert "第一居民小组" in html
    errors = client.get(job.get_absolute_url(), {"errors": "1"})
    assert errors.status_code == 200
    sheet = read_xlsx(errors.content)
    assert sheet[0][0] == "原行号" and sheet[0][-1] == "错误原因"
    assert [r[0] for r in sheet[1:]] == [4]
    assert "王芳" in sheet[1] and BAD_ID in sheet[1][-1]
    # commit
    response = client.post(job.get_absolute_url())
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "done"
    assert job.summary["created"] == 3 and job.summary["rejected"] == 1 and job.summary["households_created"] == 2
    assert set(Person.objects.filter(community=world.a).values_list("name", flat=True)) == {"张伟", "李娜", "赵六"}
    assert Household.objects.get(number="0001").head.name == "张伟"
    changes = ObjectChange.objects.filter(request_id=job.batch_id)
    assert changes.exists() and {c.source for c in changes} == {"import"}
    assert {c.user for c in changes} == {world.users["director"]}
    done = client.get(job.get_absolute_url()).content.decode()
    assert 'id="import-commit"' not in done and str(job.batch_id) in done
    # a second commit is refused
    client.post(job.get_absolute_url())
    assert Person.objects.count() == 3


def test_upload_all_or_nothing_writes_nothing_with_a_bad_row(client, world):
    login(client, world)
    upload(client, world.a, all_or_nothing="on")
    job = ImportJob.objects.latest("pk")
    client.post(job.get_absolute_url())
    job.refresh_from_db()
    assert job.status == "done" and job.summary["rolled_back"] and job.summary["created"] == 0
    assert not Person.objects.exists()
    assert "全部无误才导入" in client.get(job.get_absolute_url()).content.decode()


def test_worker_may_import(client, world):
    login(client, world, "worker")
    assert upload(client, world.a).status_code == 302
    job = ImportJob.objects.latest("pk")
    client.post(job.get_absolute_url())
    job.refresh_from_db()
    assert job.status == "done" and Person.objects.count() == 3


def test_users_without_import_permission_get_403(client, world):
    for key in ("official", "official_view", "grid_member", "nobody"):
        login(client, world, key)
        assert client.get(IMPORT_URL).status_code == 403, key
        assert client.get(IMPORT_URL, {"template": "1"}).status_code == 403, key
        assert upload(client, world.a).status_code == 403, key
    assert not ImportJob.objects.exists()


def test_upload_into_a_community_out_of_scope_is_refused(client, world):
    login(client, world)
    response = upload(client, world.b)
    assert response.status_code == 400
    assert not ImportJob.objects.exists() and not Person.objects.exists()


def test_another_users_job_is_never_committed_by_them(client, world):
    login(client, world)
    upload(client, world.a)
    job = ImportJob.objects.latest("pk")
    # a colleague of the community may look at it, only the uploader commits it
    login(client, world, "worker")
    assert client.post(job.get_absolute_url()).status_code == 404
    # outside the community: not found
    login(client, world, "director_b")
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(job.get_absolute_url(), {"errors": "1"}).status_code == 404
    assert client.post(job.get_absolute_url()).status_code == 404
    job.refresh_from_db()
    assert job.status == "preview" and not Person.objects.exists()


def test_a_file_without_a_header_fails_with_a_message(client, world):
    login(client, world)
    upload(client, world.a, rows=[["甲", "乙"], ["1", "2"]])
    job = ImportJob.objects.latest("pk")
    assert job.status == "failed" and "表头" in job.error
    assert "表头" in client.get(job.get_absolute_url()).content.decode()
