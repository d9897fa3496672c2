"""Rules found in review: persons are never deleted through the API, households keep their history, phones
typed in the form are normalised, 出生年月 cells are checked against the ID, a rolled-back run says so, and
an expired preview cannot be committed."""

import datetime

import pytest
from django.utils import timezone

from tests.registry.helpers import HEADER, pid, run_import, write
from tests.registry.test_models_pages_api import make_household, make_person
from tongxin.core.models import ImportJob
from tongxin.core.retention import purge_import_jobs
from tongxin.registry.models import Household, Membership, Person


def test_a_person_cannot_be_deleted_through_the_api(client, world):
    person = make_person(world.a)
    headers = {"Authorization": f"Bearer {world.tokens['director']}"}
    response = client.delete(f"/api/v1/registry/persons/{person.pk}/", headers=headers)
    assert response.status_code == 405
    assert Person.objects.filter(pk=person.pk).exists()


def test_a_household_with_members_keeps_its_history(client, world):
    household = make_household(world.a)
    person = make_person(world.a, household=household, relationship="02")
    Membership.objects.create(community=world.a, household=household, person=person, relationship="02")
    client.force_login(world.users["director"])
    response = client.post(f"/registry/households/{household.pk}/delete/", follow=True)
    assert Household.objects.filter(pk=household.pk).exists()
    assert "户成员" in response.content.decode()
    empty = make_household(world.a)
    assert client.post(f"/registry/households/{empty.pk}/delete/").status_code == 302
    assert not Household.objects.filter(pk=empty.pk).exists()


def test_phones_typed_in_the_form_are_normalised_and_found(client, world):
    client.force_login(world.users["director"])
    data = {
        "community": world.a.pk,
        "name": "赵敏",
        "id_number": pid("1990-05-06", 2),
        "phone": "139 8765 4321",
        "phone_other": "0871-6512 3456",
        "life_status": "living",
    }
    assert client.post("/registry/persons/add/", data).status_code == 302
    person = Person.objects.get(name="赵敏")
    assert person.phone == "13987654321" and person.phone_other == "0871-65123456"
    found = client.get("/registry/persons/", {"q": "13987654321"})
    assert person in list(found.context["table"].rows)
    bad = client.post("/registry/persons/add/", {**data, "id_number": pid("1990-05-07", 2), "phone": "12345"})
    assert bad.status_code == 200 and "无法识别的电话号码“12345”" in bad.content.decode()


def test_year_month_birth_cells_are_checked_against_the_id(world, tmp_path):
    good, other = pid("1980-01-02", 1), pid("1981-03-04", 3)
    rows = [
        HEADER,
        ["A1", "张三", good, "男", "汉族", "1980.01", "户主", "1", "", ""],
        ["A2", "李四", other, "男", "汉族", "1980.01", "户主", "1", "", ""],
        ["A3", "王五", "", "男", "汉族", "1980.01", "户主", "1", "", ""],
    ]
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary["created"] == 1 and run.summary["rejected"] == 2
    assert "出生年月“1980.01”与身份证号不符" in run.stderr
    assert "只有年月" in run.stderr


def test_a_rolled_back_run_says_so(world, tmp_path):
    rows = [
        HEADER,
        ["A1", "张三", pid("1980-01-02", 1), "男", "汉族", "", "户主", "9", "", ""],
        ["A2", "", "", "", "", "", "", "", "", ""],
    ]
    run = run_import(write(tmp_path, "r.csv", rows), "530103002001", "--all-or-nothing")
    assert run.summary["rolled_back"] is True and run.summary["created"] == 0
    assert "本次未写入" in run.stderr
    assert not Person.objects.exists()


def test_an_expired_preview_cannot_be_committed(client, world):
    job = ImportJob.objects.create(
        user=world.users["director"],
        community=world.a,
        target="registry.Person",
        file="imports/x.csv",
        file_name="x.csv",
        status="preview",
        problems=[{"row": 2, "status": "rejected", "errors": ["x"]}],
    )
    ImportJob.objects.filter(pk=job.pk).update(last_updated=timezone.now() - datetime.timedelta(days=40))
    assert purge_import_jobs() == 1
    job.refresh_from_db()
    assert job.status == "failed" and "过期" in job.error and job.problems == []
    client.force_login(world.users["director"])
    client.post(job.get_absolute_url())
    job.refresh_from_db()
    assert job.status == "failed"


@pytest.mark.django_db(transaction=True)
def test_id_number_stays_unique_after_the_index_trim():
    """Migration registry 0004 drops the id_hash's plain indexes, never its unique constraint."""
    from django.db import IntegrityError, transaction

    from tongxin.org.models import Division
    from tongxin.registry.models import Person

    community = Division.objects.create(code="530424001002", name="城关社区", level=Division.Level.COMMUNITY)
    Person.objects.create(community=community, name="张丽", id_number="530424198001020023")
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(community=community, name="张丽二", id_number="530424198001020023")
