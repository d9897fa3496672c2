"""The register import through the API: upload (preview), poll, commit; scope and permission refusals."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from tongxin.core import idnumber
from tongxin.registry.models import Person

GOOD = idnumber.make("530103", datetime.date(1980, 1, 2), 2)
BAD = GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")


def register_file() -> SimpleUploadedFile:
    text = f"户号,姓名,身份证号,民族,与户主关系\nA1,王芳,{GOOD},汉族,户主\nA2,李四,{BAD},汉族,户主\n"
    return SimpleUploadedFile("花名册.csv", text.encode("utf-8"), content_type="text/csv")


def auth(world, key="director"):
    return {"Authorization": f"Bearer {world.tokens[key]}"}


def test_upload_preview_then_commit(client, world):
    response = client.post(
        "/api/v1/core/imports/",
        {"target": "registry.Person", "community": world.a.code, "file": register_file()},
        headers=auth(world),
    )
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["status"] == "preview" and job["community"] == world.a.code
    assert job["summary"]["created"] == 1 and job["summary"]["rejected"] == 1
    assert job["problems"][0]["row"] == 3 and "校验位" in job["problems"][0]["errors"][0]
    assert not Person.objects.exists()

    polled = client.get(f"/api/v1/core/imports/{job['id']}/", headers=auth(world)).json()
    assert polled["status"] == "preview"
    committed = client.post(f"/api/v1/core/imports/{job['id']}/commit/", headers=auth(world))
    assert committed.status_code == 200 and committed.json()["status"] == "done"
    assert committed.json()["batch_id"]
    assert list(Person.objects.values_list("name", flat=True)) == ["王芳"]
    again = client.post(f"/api/v1/core/imports/{job['id']}/commit/", headers=auth(world))
    assert again.status_code == 409


def test_one_shot_commit(client, world):
    response = client.post(
        "/api/v1/core/imports/",
        {"target": "registry.Person", "community": world.a.code, "file": register_file(), "commit": "true"},
        headers=auth(world),
    )
    assert response.status_code == 201 and response.json()["status"] == "done"
    assert Person.objects.filter(community=world.a).count() == 1


def test_refusals(client, world):
    data = {"target": "registry.Person", "community": world.b.code, "file": register_file()}
    assert client.post("/api/v1/core/imports/", data, headers=auth(world)).status_code == 403
    data = {"target": "registry.Nothing", "community": world.a.code, "file": register_file()}
    assert client.post("/api/v1/core/imports/", data, headers=auth(world)).status_code == 400

    def data():
        return {"target": "registry.Person", "community": world.a.code, "file": register_file()}

    assert client.post("/api/v1/core/imports/", data(), headers=auth(world, "nobody")).status_code == 403
    assert client.post("/api/v1/core/imports/", data(), headers=auth(world, "official_view")).status_code == 403
    job = client.post("/api/v1/core/imports/", data(), headers=auth(world)).json()
    # another user cannot commit it
    assert client.post(f"/api/v1/core/imports/{job['id']}/commit/", headers=auth(world, "worker")).status_code == 404
    assert not Person.objects.exists()
