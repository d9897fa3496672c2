"""Personal data of residents: ID numbers and phones are encrypted in the database, masked on every page,
in the API and in exports for users who may not reveal them, revealed only by a logged POST, never in
the change log, and never put into the edit form."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection

from tongxin.core.models import AccessLog, ObjectChange
from tongxin.core.privacy import mask
from tongxin.registry.models import Household, Membership, Person

from .helpers import HEADER, pid, run_import, write

ID = pid("1980-01-02", 13)
ID_B = pid("1981-03-04", 15)
PHONE = "13912345678"
OTHER = "0871-65123456"
SECRETS = (ID, PHONE, "65123456", ID[6:14] + ID[14:17])


@pytest.fixture
def resident(world):
    h = Household.objects.create(community=world.a, number="0001", grid=world.grid_a)
    p = Person.objects.create(
        community=world.a,
        grid=world.grid_a,
        household=h,
        relationship="02",
        name="张伟",
        id_number=ID,
        sex="1",
        birth_date=datetime.date(1980, 1, 2),
        phone=PHONE,
        phone_other=OTHER,
    )
    Membership.objects.create(community=world.a, household=h, person=p, relationship="02")
    return p


def login(client, world, key):
    client.force_login(world.users[key])
    return client


def bearer(world, key):
    return {"Authorization": f"Bearer {world.tokens[key]}"}


def assert_masked(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def test_encrypted_in_the_database(resident):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, phone_other, id_hash, id_tail, phone_hash, phone_tail FROM registry_person "
            "WHERE id = %s",
            [resident.pk],
        )
        row = cursor.fetchone()
    raw = " ".join(str(v) for v in row)
    assert all(row[:3])
    for secret in (ID, ID[:6] + ID[6:14], ID[-6:], PHONE, PHONE[-8:], "65123456"):
        assert secret not in raw
    # and the model reads the clear values back
    fresh = Person.objects.get(pk=resident.pk)
    assert (fresh.id_number, fresh.phone, fresh.phone_other) == (ID, PHONE, OTHER)


def test_no_lookup_on_the_clear_value(resident):
    with pytest.raises(Exception):  # noqa: B017 - the field refuses any lookup but isnull
        list(Person.objects.filter(id_number=ID))


@pytest.mark.parametrize("key", ["official", "director", "grid_member"])
def test_masked_on_the_list_and_detail_pages_for_everyone(client, world, resident, key):
    login(client, world, key)
    listing = client.get("/registry/persons/").content.decode()
    assert "张伟" in listing and mask(ID) in listing and mask(PHONE) in listing
    assert_masked(listing)
    detail = client.get(resident.get_absolute_url())
    assert detail.status_code == 200
    html = detail.content.decode()
    assert mask(ID) in html
    assert_masked(html)
    assert 'id="reveal-button"' in html if key == "director" else 'id="reveal-button"' not in html


@pytest.mark.parametrize("key", ["official", "director"])
def test_masked_in_the_api(client, world, resident, key):
    listing = client.get("/api/v1/registry/persons/", headers=bearer(world, key))
    assert listing.status_code == 200
    row = next(r for r in listing.json()["results"] if r["id"] == resident.pk)
    assert row["id_number"] == mask(ID) and row["phone"] == mask(PHONE)
    detail = client.get(f"/api/v1/registry/persons/{resident.pk}/", headers=bearer(world, key))
    assert detail.json()["id_number"] == mask(ID)
    assert_masked(listing.content.decode() + detail.content.decode())


def csv_export(client, world, key) -> str:
    login(client, world, key)
    response = client.get("/registry/persons/", {"export": "csv"})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_csv_export_masked_without_reveal_and_logged(client, world, resident):
    text = csv_export(client, world, "official")
    assert "张伟" in text and mask(ID) in text
    assert_masked(text)
    log = AccessLog.objects.get(action="export", user=world.users["official"])
    assert log.row_count == 1 and log.fields == "id_number,phone"


def test_csv_export_clear_with_reveal_and_logged(client, world, resident):
    text = csv_export(client, world, "director")
    assert ID in text and PHONE in text
    log = AccessLog.objects.get(action="export", user=world.users["director"])
    assert log.row_count == 1 and "id_number" in log.fields


def test_xlsx_export_masked_without_reveal(client, world, resident):
    from .helpers import read_xlsx

    login(client, world, "official")
    response = client.get("/registry/persons/", {"export": "xlsx"})
    content = response.content if not response.streaming else b"".join(response.streaming_content)
    cells = " ".join(str(c) for row in read_xlsx(content) for c in row)
    assert "张伟" in cells and mask(ID) in cells
    assert_masked(cells)


# --- reveal ---------------------------------------------------------------------------------------------


def test_reveal_on_the_page_for_director_is_logged(client, world, resident):
    login(client, world, "director")
    response = client.post(f"/registry/persons/{resident.pk}/reveal/")
    assert response.status_code == 200
    html = response.content.decode()
    assert ID in html and PHONE in html and OTHER in html
    log = AccessLog.objects.get(action="reveal")
    assert log.user == world.users["director"] and log.object_id == str(resident.pk)
    assert set(log.fields.split(",")) == {"id_number", "phone", "phone_other"}
    assert log.community_id == world.a.pk
    # GET does not reveal
    assert client.get(f"/registry/persons/{resident.pk}/reveal/").status_code == 405
    assert AccessLog.objects.filter(action="reveal").count() == 1


def test_reveal_through_the_api_is_logged(client, world, resident):
    url = f"/api/v1/registry/persons/{resident.pk}/reveal/"
    response = client.post(url, headers=bearer(world, "worker"))
    assert response.status_code == 200
    assert response.json() == {"id_number": ID, "phone": PHONE, "phone_other": OTHER}
    assert AccessLog.objects.get(action="reveal").user == world.users["worker"]


@pytest.mark.parametrize("key", ["official", "official_view", "grid_member", "nobody", "director_b"])
def test_reveal_refused_without_the_permission_or_scope(client, world, resident, key):
    login(client, world, key)
    page = client.post(f"/registry/persons/{resident.pk}/reveal/")
    assert page.status_code in (403, 404)
    assert ID not in page.content.decode()
    api = client.post(f"/api/v1/registry/persons/{resident.pk}/reveal/", headers=bearer(world, key))
    assert api.status_code in (403, 404)
    assert ID not in api.content.decode()
    assert not AccessLog.objects.filter(action="reveal").exists()


def test_reveal_of_a_person_in_another_community_is_404(client, world, resident):
    foreign = Person.objects.create(community=world.b, name="外人", id_number=ID_B)
    login(client, world, "director")
    assert client.post(f"/registry/persons/{foreign.pk}/reveal/").status_code == 404
    api = client.post(f"/api/v1/registry/persons/{foreign.pk}/reveal/", headers=bearer(world, "director"))
    assert api.status_code == 404
    assert not AccessLog.objects.exists()


# --- the change log -------------------------------------------------------------------------------------


def test_the_change_log_never_holds_the_clear_number(client, world, tmp_path):
    # created through the form, edited, imported and updated, created through the API
    login(client, world, "director")
    response = client.post("/registry/persons/add/", form_data(world, id_number=ID, phone=PHONE))
    assert response.status_code == 302
    p = Person.objects.get(name="张伟")
    new_id = pid("1980-01-02", 17)
    client.post(f"/registry/persons/{p.pk}/edit/", form_data(world, id_number=new_id, phone="13700000000"))
    p.refresh_from_db()
    assert p.id_number == new_id
    rows = [HEADER, ["0001", "李娜", ID_B, "", "", "", "户主", "", "13600000000", ""]]
    run_import(write(tmp_path, "r.csv", rows))
    rows[1][8] = "13600000001"
    run_import(write(tmp_path, "r2.csv", rows))
    third = pid("1990-01-01", 22)
    api = client.post(
        "/api/v1/registry/persons/",
        json.dumps(
            {"community": world.a.pk, "name": "王芳", "id_number": third, "phone": "13500000000"}
        ),  # no life_status
        content_type="application/json",
        headers=bearer(world, "director"),
    )
    assert api.status_code == 201, api.content
    assert third not in api.content.decode()
    changes = ObjectChange.objects.filter(content_type__model="person")
    assert changes.count() >= 5
    dump = json.dumps([[c.prechange_data, c.postchange_data, c.object_repr, c.message] for c in changes])
    for secret in (ID, new_id, ID_B, third, PHONE, "13700000000", "13600000000", "13600000001", "13500000000"):
        assert secret not in dump, secret
    # the history page shows the masked change
    history = client.get(f"/registry/persons/{p.pk}/history/").content.decode()
    assert ID not in history and new_id not in history


# --- the edit form --------------------------------------------------------------------------------------


def form_data(world, **extra):
    data = {
        "community": world.a.pk,
        "name": "张伟",
        "id_number": "",
        "sex": "",
        "birth_date": "",
        "phone": "",
        "phone_other": "",
        "life_status": "living",
    }
    data.update(extra)
    return data


def test_the_edit_form_never_shows_the_clear_values(client, world, resident):
    login(client, world, "director")
    response = client.get(f"/registry/persons/{resident.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert_masked(html)
    assert OTHER not in html
    assert mask(ID) in html  # as the placeholder


def test_a_blank_submit_keeps_the_stored_values(client, world, resident):
    login(client, world, "director")
    response = client.post(
        f"/registry/persons/{resident.pk}/edit/", form_data(world, name="张大伟", grid=world.grid_a.pk)
    )
    assert response.status_code == 302, response.context["form"].errors
    resident.refresh_from_db()
    assert resident.name == "张大伟"
    assert (resident.id_number, resident.phone, resident.phone_other) == (ID, PHONE, OTHER)
    assert resident.birth_date == datetime.date(1980, 1, 2) and resident.sex == "1"
    change = ObjectChange.objects.filter(object_id=str(resident.pk), action="update").latest("time")
    diff = {k for k, v in change.postchange_data.items() if change.prechange_data.get(k) != v}
    assert diff == {"name"}


def test_a_new_valid_number_replaces_the_stored_one(client, world, resident):
    login(client, world, "director")
    new = pid("1980-01-02", 19)
    response = client.post(f"/registry/persons/{resident.pk}/edit/", form_data(world, id_number=new))
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.id_number == new and resident.phone == PHONE
    # found by the new number, no longer by the old one
    assert [p.pk for p in client.get("/registry/persons/", {"q": new}).context["table"].rows] == [resident.pk]
    assert list(client.get("/registry/persons/", {"q": ID}).context["table"].rows) == []


def test_an_invalid_number_is_refused_and_not_echoed_as_stored(client, world, resident):
    login(client, world, "director")
    bad = ID[:17] + ("0" if ID[17] != "0" else "1")
    response = client.post(f"/registry/persons/{resident.pk}/edit/", form_data(world, id_number=bad))
    assert response.status_code == 200
    assert "校验位" in response.content.decode()
    assert ID not in response.content.decode()
    resident.refresh_from_db()
    assert resident.id_number == ID


def test_a_number_already_registered_is_refused(client, world, resident):
    other = Person.objects.create(community=world.a, name="李娜", id_number=ID_B)
    login(client, world, "director")
    response = client.post(f"/registry/persons/{resident.pk}/edit/", form_data(world, id_number=ID_B))
    assert response.status_code == 200
    html = response.content.decode()
    assert "已登记" in html and "李娜" in html
    resident.refresh_from_db()
    assert resident.id_number == ID
    # a number registered out of scope: refused without naming the person
    other.community = world.b
    other.save()
    response = client.post(f"/registry/persons/{resident.pk}/edit/", form_data(world, id_number=ID_B))
    html = response.content.decode()
    assert response.status_code == 200 and "管辖范围以外" in html and "李娜" not in html
    # and a new person with a registered number
    response = client.post("/registry/persons/add/", form_data(world, name="新人", id_number=ID))
    assert response.status_code == 200 and "已登记" in response.content.decode()
    assert not Person.objects.filter(name="新人").exists()


def test_the_same_number_written_differently_is_the_same_number(client, world, resident):
    login(client, world, "director")
    spaced = f"{ID[:6]} {ID[6:14]} {ID[14:]}".lower()
    response = client.post("/registry/persons/add/", form_data(world, name="新人", id_number=spaced))
    assert response.status_code == 200 and "已登记" in response.content.decode()
