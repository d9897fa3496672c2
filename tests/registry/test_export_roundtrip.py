"""The register export (/registry/persons/register.xlsx) is the import's layout: exported and imported
again, nothing changes — in clear for a user who may reveal, masked for one who may not (masked ID
numbers are matched, masked phones ignored)."""

from __future__ import annotations

import pytest

from tongxin.core.models import AccessLog, ObjectChange
from tongxin.core.privacy import mask
from tongxin.registry.models import Person
from tongxin.registry.register import COLUMNS, HEADERS

from .helpers import counts, pid, read_xlsx, run_import, write

EXPORT_URL = "/registry/persons/register.xlsx"
FULL_HEADER = [HEADERS[f][0] for f in COLUMNS]


def full_row(**values) -> list[str]:
    return [values.get(f, "") for f in COLUMNS]


ZW = pid("1970-03-05", 11)
LN = pid("1972-06-07", 22)
ZXM = pid("2000-01-01", 31)
WF = pid("1985-05-05", 42)


def register() -> list[list[str]]:
    return [
        FULL_HEADER,
        full_row(
            household_number="0001",
            name="张伟",
            id_number=ZW,
            sex="男",
            ethnicity="汉族",
            relationship="户主",
            group="第一居民小组",
            grid="A01",
            current_address="桃源路1号",
            hukou_address="云南省昆明市盘龙区",
            phone="13912345678,0871-65123456",
            registration_status="户籍人口",
            political_status="中共党员",
            party_branch="桃源社区第一党支部",
            party_joined="1995-07-01",
            education="大学本科",
            marital_status="已婚",
            employer="昆明市某公司",
            occupation="工程师",
            notes="退役军人",
        ),
        full_row(
            household_number="0001",
            name="李娜",
            id_number=LN,
            relationship="妻",
            group="1组",
            current_address="桃源路1号",
            phone="13800000001",
            ethnicity="彝",
        ),
        full_row(household_number="0001", name="张小明", id_number=ZXM, relationship="子", group="1"),
        full_row(
            household_number="0002",
            name="王芳",
            id_number=WF,
            relationship="本人",
            group="第二居民小组",
            current_address="桃源路2号",
            registration_status="流动人口",
        ),
        full_row(name="孙悟空", sex="男", birth_date="1980-01-02", phone="13700000000", current_address="花果山"),
    ]


@pytest.fixture
def imported(world, tmp_path):
    run = run_import(write(tmp_path, "register.csv", register()))
    assert run.summary == counts(rows=5, created=5, households_created=2), run.stderr
    Person.objects.create(community=world.b, name="外社区", id_number=pid("1990-01-01", 55))
    return run


def export(client, world, key) -> bytes:
    client.force_login(world.users[key])
    response = client.get(EXPORT_URL)
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    assert "attachment" in response["Content-Disposition"]
    return response.content


def test_clear_export_reimports_unchanged(client, world, tmp_path, imported):
    body = export(client, world, "director")
    rows = read_xlsx(body)
    assert rows[0] == FULL_HEADER
    assert len(rows) == 1 + 5  # the person of community B is not exported
    text = " ".join(str(c) for r in rows for c in r if c)
    assert ZW in text and "13912345678" in text and "外社区" not in text
    log = AccessLog.objects.get(action="export")
    assert log.user == world.users["director"] and log.row_count == 5 and "id_number" in log.fields
    path = tmp_path / "exported.xlsx"
    path.write_bytes(body)
    mark = ObjectChange.objects.count()
    run = run_import(path)
    assert run.summary == counts(rows=5, unchanged=5), run.stderr
    assert ObjectChange.objects.count() == mark
    assert "新建" not in run.stderr and "未识别的列" not in run.stderr


def test_masked_export_reimports_unchanged(client, world, tmp_path, imported):
    body = export(client, world, "official")
    rows = read_xlsx(body)
    text = " ".join(str(c) for r in rows for c in r if c)
    for secret in (ZW, LN, ZXM, WF, "13912345678", "65123456", "13800000001"):
        assert secret not in text
    assert mask(ZW) in text and mask("13912345678") in text
    log = AccessLog.objects.get(action="export")
    assert log.user == world.users["official"] and log.row_count == 5 and log.fields == ""
    path = tmp_path / "masked.xlsx"
    path.write_bytes(body)
    mark = ObjectChange.objects.count()
    run = run_import(path)
    assert run.summary == counts(rows=5, unchanged=5), run.stderr
    assert ObjectChange.objects.count() == mark
    zw = Person.objects.get(name="张伟")
    assert zw.id_number == ZW and zw.phone == "13912345678" and zw.phone_other == "0871-65123456"


def test_a_change_in_a_masked_export_updates_the_person(client, world, tmp_path, imported):
    rows = read_xlsx(export(client, world, "official"))
    col = FULL_HEADER.index("现住址")
    row = next(r for r in rows if r[1] == "李娜")
    row[col] = "桃源路3号"
    path = write(tmp_path, "masked.xlsx", [[c if c is not None else "" for c in r] for r in rows])
    run = run_import(path)
    assert run.summary == counts(rows=5, updated=1, unchanged=4)
    ln = Person.objects.get(name="李娜")
    assert ln.current_address == "桃源路3号" and ln.id_number == LN


def test_a_masked_id_that_matches_nobody_is_rejected(client, world, tmp_path, imported):
    rows = read_xlsx(export(client, world, "official"))
    rows.append(full_row(name="陌生人", id_number=mask(pid("1999-09-09", 77))))
    path = write(tmp_path, "masked.xlsx", [[c if c is not None else "" for c in r] for r in rows])
    run = run_import(path)
    assert run.summary["rejected"] == 1 and run.summary["unchanged"] == 5
    assert "已脱敏" in run.stderr
    assert not Person.objects.filter(name="陌生人").exists()


def test_export_honours_the_list_filters_and_scope(client, world, imported):
    client.force_login(world.users["director"])
    rows = read_xlsx(client.get(EXPORT_URL, {"q": "张"}).content)
    assert {r[1] for r in rows[1:]} == {"张小明", "张伟"}
    client.force_login(world.users["director_b"])
    rows = read_xlsx(client.get(EXPORT_URL).content)
    assert [r[1] for r in rows[1:]] == ["外社区"]
    client.force_login(world.users["grid_member"])
    assert client.get(EXPORT_URL).status_code == 403
    client.force_login(world.users["nobody"])
    assert client.get(EXPORT_URL).status_code == 403


def test_deceased_persons_are_left_out(client, world, imported):
    Person.objects.filter(name="孙悟空").update(life_status="deceased")
    rows = read_xlsx(export(client, world, "director"))
    assert "孙悟空" not in [r[1] for r in rows]


def test_reveal_in_one_community_does_not_reveal_the_others(client, world, imported):
    """A director of A who is also an official of the county: clear for A's persons, masked for B's."""
    from tongxin.core.models import User
    from tongxin.org.models import RoleAssignment

    user = User.objects.create_user(username="both", password="pw-Strong-12345")
    RoleAssignment.objects.create(user=user, role=world.roles["director"], division=world.a)
    RoleAssignment.objects.create(user=user, role=world.roles["official"], division=world.county)
    client.force_login(user)
    rows = read_xlsx(client.get(EXPORT_URL).content)
    by_name = {r[1]: r for r in rows[1:]}
    id_col = FULL_HEADER.index("公民身份号码")
    assert by_name["张伟"][id_col] == ZW
    foreign = Person.objects.get(name="外社区").id_number
    assert by_name["外社区"][id_col] == mask(foreign)
    log = AccessLog.objects.get(action="export", user=user)
    assert log.row_count == 6 and "5" in log.detail


def test_list_csv_export_reveals_only_where_the_user_may_reveal(client, world, imported):
    from tongxin.core.models import User
    from tongxin.org.models import RoleAssignment

    user = User.objects.create_user(username="both", password="pw-Strong-12345")
    RoleAssignment.objects.create(user=user, role=world.roles["director"], division=world.a)
    RoleAssignment.objects.create(user=user, role=world.roles["official"], division=world.county)
    client.force_login(user)
    text = b"".join(client.get("/registry/persons/", {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert ZW in text
    assert Person.objects.get(name="外社区").id_number not in text
