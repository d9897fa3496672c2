"""The register import through its command, ``tongxin import-register FILE --community CODE``: counts,
re-imports, rejections and warnings, header and value variants, dry run, all-or-nothing, the error
workbook, the change log, memberships and moves, and scope."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import CommandError

from tongxin.core.models import ObjectChange
from tongxin.org.models import Division
from tongxin.registry.models import Household, Membership, Person

from .helpers import HEADER, LN, WF, ZW, ZXM, base_rows, counts, pid, read_xlsx, register_in_b, run_import, write

# The import dates moves (membership start and end) today: today is pinned.
TODAY = datetime.date(2026, 3, 15)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 3, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


A = "530103002001"
B = "530103003001"


def by_name(name: str) -> Person:
    return Person.objects.get(name=name)


def stderr_line(run, row: int) -> str:
    """The stderr line of spreadsheet row ``row``."""
    lines = [line for line in run.stderr.splitlines() if line.startswith(f"第 {row} 行")]
    assert len(lines) == 1, run.stderr
    return lines[0]


# --- counts, re-import, updates ------------------------------------------------------------------------


def test_first_import_counts_and_creates_persons_households_memberships(world, tmp_path):
    run = run_import(write(tmp_path, "r.csv", base_rows()))
    assert run.summary == counts(rows=4, created=4, households_created=2)
    assert Person.objects.filter(community=world.a).count() == 4
    h1, h2 = Household.objects.get(number="0001"), Household.objects.get(number="0002")
    assert h1.community == world.a and h1.head == by_name("张伟")
    assert h2.head == by_name("王芳")
    assert h1.address == "桃源路1号"
    members = {m.person.name: m.relationship for m in Membership.objects.filter(household=h1, end__isnull=True)}
    assert members == {"张伟": "02", "李娜": "10", "张小明": "20"}
    zxm = by_name("张小明")
    assert (zxm.household, zxm.relationship) == (h1, "20")
    # sex and birth date come from the ID number when blank
    assert zxm.sex == "1" and zxm.birth_date == datetime.date(2000, 1, 1)
    wf = by_name("王芳")
    assert wf.ethnicity == "07" and wf.phone == "0871-65123456" and wf.sex == "2"


def test_reimport_of_the_same_file_changes_nothing(world, tmp_path):
    path = write(tmp_path, "r.csv", base_rows())
    run_import(path)
    changes = ObjectChange.objects.count()
    run = run_import(path)
    assert run.summary == counts(rows=4, unchanged=4)
    assert ObjectChange.objects.count() == changes
    assert Membership.objects.count() == 4


def test_a_changed_cell_updates_only_that_field(world, tmp_path):
    run_import(write(tmp_path, "r.csv", base_rows()))
    rows = base_rows()
    rows[2][9] = "桃源路9号"  # 李娜's address
    run = run_import(write(tmp_path, "r2.csv", rows))
    assert run.summary == counts(rows=4, updated=1, unchanged=3)
    ln = by_name("李娜")
    assert ln.current_address == "桃源路9号"
    change = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Person), object_id=str(ln.pk), action="update"
    ).get()
    pre, post = change.prechange_data, change.postchange_data
    assert {k for k in post if pre.get(k) != post[k]} == {"current_address"}
    assert (pre["current_address"], post["current_address"]) == ("桃源路1号", "桃源路9号")
    assert change.source == "import"


def test_a_blank_cell_keeps_the_stored_value(world, tmp_path):
    run_import(write(tmp_path, "r.csv", base_rows()))
    rows = base_rows()
    rows[1][8] = ""  # 张伟's phone left blank
    run = run_import(write(tmp_path, "r2.csv", rows))
    assert run.summary["unchanged"] == 4
    assert by_name("张伟").phone == "13912345678"


# --- rejections ----------------------------------------------------------------------------------------


BAD_CHECK = pid("1980-01-02", 13)[:17] + ("0" if pid("1980-01-02", 13)[17] != "0" else "1")
REJECTIONS = [
    # (cells that differ from a good row, words the reason must contain: the field and the value)
    ({"name": ""}, ["姓名", "不能为空"]),
    ({"id": BAD_CHECK}, ["身份证号", BAD_CHECK, "校验位"]),
    ({"id": "530103198002300011"}, ["出生日期", "19800230", "不存在"]),
    ({"id": pid("1980-01-02", 13), "sex": "女"}, ["性别", "女", "不符"]),
    ({"id": pid("1980-01-02", 13), "birth": "1980-01-03"}, ["出生日期", "1980-01-03", "不符"]),
    ({"ethnicity": "火星族"}, ["民族", "火星族"]),
]


@pytest.mark.parametrize(("cells", "words"), REJECTIONS, ids=["name", "check", "birth", "sex", "birth2", "ethnic"])
def test_each_rejection_names_row_field_and_value(world, tmp_path, cells, words):
    good = ["0009", "赵六", pid("1990-09-09", 17), "", "汉族", "", "户主", "", "", ""]
    bad = ["0010", cells.get("name", "钱七"), cells.get("id", ""), cells.get("sex", ""), cells.get("ethnicity", "汉族")]
    bad += [cells.get("birth", ""), "户主", "", "", ""]
    if "id" not in cells:
        bad[2] = pid("1991-01-01", 19)
    errors = tmp_path / "errors.xlsx"
    run = run_import(write(tmp_path, "r.csv", [HEADER, good, bad]), A, "--errors", str(errors))
    assert run.summary["rows"] == 2 and run.summary["created"] == 1 and run.summary["rejected"] == 1
    line = stderr_line(run, 3)
    assert "未导入" in line
    for word in words:
        assert word in line, line
    assert not Person.objects.filter(name="钱七").exists() and not Household.objects.filter(number="0010").exists()
    sheet = read_xlsx(errors)
    assert sheet[0][0] == "原行号" and sheet[0][-1] == "错误原因"
    assert [r[0] for r in sheet[1:]] == [3]
    assert all(w in sheet[1][-1] for w in words)


def test_the_same_id_on_two_rows_rejects_both(world, tmp_path):
    rows = base_rows()
    rows.append(["0003", "张伟伟", ZW, "男", "汉族", "", "户主", "", "", ""])
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary["rejected"] == 2 and run.summary["created"] == 3
    for row in (2, 6):
        line = stderr_line(run, row)
        assert ZW in line and "不止一次" in line
    assert not Person.objects.filter(name__in=["张伟", "张伟伟"]).exists()


def test_every_reason_of_a_row_is_reported(world, tmp_path):
    rows = [HEADER, ["0001", "", "530103198002300011", "男", "火星族", "", "户主", "", "", ""]]
    run = run_import(write(tmp_path, "r.csv", rows))
    line = stderr_line(run, 2)
    assert "姓名" in line and "19800230" in line and "火星族" in line


# --- warnings ------------------------------------------------------------------------------------------


def test_unreadable_phone_is_kept_as_written_with_a_warning(world, tmp_path):
    rows = [HEADER, ["0001", "张伟", ZW, "", "", "", "户主", "", "找他儿子", ""]]
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary == counts(rows=1, created=1, warnings=1, households_created=1)
    line = stderr_line(run, 2)
    assert "警告" in line and "找他儿子" in line
    assert by_name("张伟").phone == "找他儿子"


def test_household_without_head_and_with_two_heads_are_warned_but_imported(world, tmp_path):
    rows = [
        HEADER,
        ["0001", "李娜", LN, "", "", "", "配偶", "", "", ""],
        ["0001", "张小明", ZXM, "", "", "", "子", "", "", ""],
        ["0002", "张伟", ZW, "", "", "", "户主", "", "", ""],
        ["0002", "王芳", WF, "", "", "", "本人", "", "", ""],
    ]
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary == counts(rows=4, created=4, warnings=4, households_created=2)
    for row in (2, 3):
        assert "0001" in stderr_line(run, row) and "没有户主" in stderr_line(run, row)
    for row in (4, 5):
        assert "0002" in stderr_line(run, row) and "2 个户主" in stderr_line(run, row)
    assert Household.objects.get(number="0001").head is None
    assert Household.objects.get(number="0002").head in (by_name("张伟"), by_name("王芳"))


# --- value and header variants -------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["07", "彝族", "彝", "7"])
def test_ethnicity_by_code_name_or_short_name(world, tmp_path, written):
    rows = [HEADER, ["0001", "王芳", WF, "", written, "", "户主", "", "", ""]]
    run_import(write(tmp_path, "r.csv", rows))
    assert by_name("王芳").ethnicity == "07"


@pytest.mark.parametrize("written", ["1980-01-02", "19800102", "1980/1/2", "1980年1月2日", "1980.1.2"])
def test_birth_date_formats(world, tmp_path, written):
    rows = [HEADER, ["", "孙悟空", "", "男", "汉族", written, "", "", "", ""]]
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary["created"] == 1, run.stderr
    assert by_name("孙悟空").birth_date == datetime.date(1980, 1, 2)


def test_birth_date_format_agrees_with_the_id(world, tmp_path):
    rows = [HEADER, ["", "孙悟空", pid("1980-01-02", 13), "男", "汉族", "1980年1月2日", "", "", "", ""]]
    assert run_import(write(tmp_path, "r.csv", rows)).summary["created"] == 1


def test_xlsx_with_a_title_row_and_a_real_date_cell(world, tmp_path):
    rows = [
        ["桃源社区居民花名册（2026年）"],
        HEADER,
        ["0001", "孙悟空", "", "男", "汉族", datetime.datetime(1980, 1, 2), "户主", "1", "", ""],
        ["0001", "猪八戒", pid("1981-02-03", 15), "男", "汉族", datetime.date(1981, 2, 3), "兄", "1", "", ""],
    ]
    run = run_import(write(tmp_path, "r.xlsx", rows))
    assert run.summary == counts(rows=2, created=2, households_created=1), run.stderr
    assert by_name("孙悟空").birth_date == datetime.date(1980, 1, 2)
    # and the second run finds both again (the date cell, the person without ID by name+birth+sex)
    assert run_import(tmp_path / "r.xlsx").summary == counts(rows=2, unchanged=2)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8"])
def test_csv_in_chinese_encodings(world, tmp_path, encoding):
    run = run_import(write(tmp_path, "r.csv", base_rows(), encoding=encoding))
    assert run.summary == counts(rows=4, created=4, households_created=2)
    assert by_name("王芳").current_address == "桃源路2号"


@pytest.mark.parametrize(
    ("id_header", "group_header", "phone_header"),
    [("身份证号", "居民小组", "联系电话"), ("公民身份号码", "小组", "手机号码"), ("证件号码", "小组", "手机号码")],
)
def test_header_variants(world, tmp_path, id_header, group_header, phone_header):
    header = ["户号", "姓名", id_header, group_header, phone_header, "与户主关系"]
    rows = [header, ["0001", "张伟", ZW, "第三居民小组", "139 1234 5678", "户主"]]
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary["created"] == 1 and "未识别的列" not in run.stderr
    zw = by_name("张伟")
    assert zw.id_number == ZW and zw.phone == "13912345678" and zw.group.name == "第三居民小组"


def test_group_spellings_map_to_one_group_and_new_groups_are_listed(world, tmp_path):
    rows = base_rows()  # 第一居民小组, 1组, 1 and 第二居民小组
    run = run_import(write(tmp_path, "r.csv", rows))
    groups = Division.objects.filter(parent=world.a, level="group").order_by("code")
    assert [(g.code, g.name) for g in groups] == [(A + "001", "第一居民小组"), (A + "002", "第二居民小组")]
    assert {p.group.name for p in Person.objects.filter(household__number="0001")} == {"第一居民小组"}
    assert "新建居民小组" in run.stderr and "第一居民小组" in run.stderr and "第二居民小组" in run.stderr
    # a second run creates no group and lists none
    again = run_import(tmp_path / "r.csv")
    assert "新建居民小组" not in again.stderr
    assert Division.objects.filter(parent=world.a, level="group").count() == 2


def test_existing_group_is_used(world, tmp_path):
    g = Division.objects.create(code=A + "005", name="第五居民小组", level="group", parent=world.a)
    rows = [HEADER, ["0001", "张伟", ZW, "", "", "", "户主", "五组", "", ""]]
    run = run_import(write(tmp_path, "r.csv", rows))
    assert by_name("张伟").group == g and "新建居民小组" not in run.stderr


def test_unknown_column_is_reported_and_not_imported(world, tmp_path):
    rows = [[*HEADER, "爱好"], [*base_rows()[1], "钓鱼"]]
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary["created"] == 1
    assert "未识别的列" in run.stderr and "爱好" in run.stderr
    zw = by_name("张伟")
    assert "钓鱼" not in (zw.notes + zw.occupation + zw.employer + zw.current_address)


def test_fifteen_digit_id_is_upgraded(world, tmp_path):
    eighteen = pid("1980-01-02", 123)
    fifteen = eighteen[:6] + eighteen[8:17]
    rows = [HEADER, ["0001", "张伟", fifteen, "男", "", "", "户主", "", "", ""]]
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary["created"] == 1 and run.summary["warnings"] == 1
    assert fifteen in run.stderr and eighteen in run.stderr
    assert by_name("张伟").id_number == eighteen
    # the old number in the next register finds the same person
    assert run_import(tmp_path / "r.csv").summary["unchanged"] == 1


def test_persons_without_id_are_matched_by_name_birth_and_sex(world, tmp_path):
    rows = [
        HEADER,
        ["0001", "孙悟空", "", "男", "汉族", "1980-01-02", "户主", "", "", ""],
        ["0001", "孙小空", "", "女", "汉族", "2005-05-05", "女", "", "", ""],
    ]
    assert run_import(write(tmp_path, "r.csv", rows)).summary["created"] == 2
    rows[1][9] = "花果山"
    run = run_import(write(tmp_path, "r2.csv", rows))
    # the head's address is the household's address: the household is updated too
    assert run.summary == counts(rows=2, updated=1, unchanged=1, households_updated=1)
    assert Person.objects.count() == 2 and by_name("孙悟空").current_address == "花果山"
    # another birth date is another person
    rows[1][5] = "1981-01-02"
    assert run_import(write(tmp_path, "r3.csv", rows)).summary["created"] == 1


def test_without_id_sex_and_birth_date_are_required(world, tmp_path):
    rows = [HEADER, ["", "孙悟空", "", "", "汉族", "", "", "", "", ""]]
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary["rejected"] == 1
    line = stderr_line(run, 2)
    assert "性别" in line and "出生日期" in line


# --- dry run, all-or-nothing, error workbook ---------------------------------------------------------


def test_dry_run_writes_nothing_but_counts(world, tmp_path):
    rows = base_rows()
    rows.append(["0003", "", "", "", "", "", "", "", "", ""])
    run = run_import(write(tmp_path, "r.csv", rows), A, "--dry-run")
    assert run.summary == counts(rows=5, created=4, rejected=1, households_created=3 - 1)
    assert Person.objects.count() == 0 and Household.objects.count() == 0 and Membership.objects.count() == 0
    assert not Division.objects.filter(level="group").exists()
    assert not ObjectChange.objects.filter(source="import").exists()
    assert "第一居民小组" in run.stderr  # the groups that would be created are listed


def test_dry_run_of_a_reimport_counts_updates(world, tmp_path):
    run_import(write(tmp_path, "r.csv", base_rows()))
    rows = base_rows()
    rows[1][9] = "新地址"
    rows[4][0] = "0003"  # 王芳 moves to a new household
    before = ObjectChange.objects.count()
    run = run_import(write(tmp_path, "r2.csv", rows), A, "--dry-run")
    assert run.summary == counts(rows=4, updated=2, unchanged=2, households_created=1, households_updated=2)
    assert ObjectChange.objects.count() == before
    assert by_name("张伟").current_address == "桃源路1号"
    assert not Household.objects.filter(number="0003").exists()
    # the real run gives the same counts
    assert run_import(tmp_path / "r2.csv").summary == run.summary


def test_all_or_nothing_with_a_bad_row_writes_nothing(world, tmp_path):
    rows = base_rows()
    rows.append(["0003", "坏人", "530103198002300011", "", "", "", "户主", "", "", ""])
    run = run_import(write(tmp_path, "r.csv", rows), A, "--all-or-nothing")
    assert run.summary["rejected"] == 1 and run.summary["created"] == 0
    assert run.summary["households_created"] == 0
    assert Person.objects.count() == 0 and Household.objects.count() == 0
    assert not Division.objects.filter(level="group").exists()
    assert not ObjectChange.objects.filter(source="import").exists()
    # without a bad row it imports
    assert run_import(write(tmp_path, "ok.csv", base_rows()), A, "--all-or-nothing").summary["created"] == 4


def test_error_workbook_holds_exactly_the_rejected_rows(world, tmp_path):
    rows = base_rows()
    rows.insert(2, ["0001", "", LN[:-1] + "0", "", "", "", "", "", "", ""])
    rows.append(["0004", "钱七", "", "男", "", "1980-13-01", "", "", "12345", ""])  # row 7, bad date
    out = tmp_path / "errors.xlsx"
    run = run_import(write(tmp_path, "r.csv", rows), A, "--errors", str(out))
    assert run.summary["rejected"] == 2
    sheet = read_xlsx(out)
    assert sheet[0] == ["原行号", *HEADER, "错误原因"]
    assert [r[0] for r in sheet[1:]] == [3, 7]
    assert sheet[2][2] == "钱七" and "1980-13-01" in sheet[2][-1]
    assert "姓名" in sheet[1][-1] and "校验位" in sheet[1][-1]


# --- the change log ------------------------------------------------------------------------------------


def changes_since(mark: int):
    return ObjectChange.objects.filter(pk__gt=mark)


def last_change() -> int:
    return ObjectChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_each_import_is_one_batch_of_source_import(world, tmp_path):
    mark = last_change()
    run_import(write(tmp_path, "r.csv", base_rows()))
    changes = changes_since(mark)
    assert changes.count() >= 4 + 2 + 4 + 2  # persons, households, memberships, groups
    assert {c.source for c in changes} == {"import"}
    assert len({c.request_id for c in changes}) == 1
    models = {c.content_type.model for c in changes}
    assert {"person", "household", "membership", "division"} <= models
    mark = last_change()
    rows = base_rows()
    rows[3][9] = "新地址"  # 张小明's address (not a head: the household's address stays)
    run_import(write(tmp_path, "r2.csv", rows))
    second = changes_since(mark)
    assert second.count() == 1 and second.get().source == "import"
    assert second.get().request_id not in {c.request_id for c in changes}


def test_change_log_as_the_user(world, tmp_path):
    mark = last_change()
    run_import(write(tmp_path, "r.csv", base_rows()), A, "--user", "director")
    changes = changes_since(mark)
    assert changes.exists() and {c.user_name for c in changes} == {"director"}
    assert {c.user for c in changes} == {world.users["director"]}


def test_change_log_never_holds_the_clear_id_or_phone(world, tmp_path):
    run_import(write(tmp_path, "r.csv", base_rows()))
    rows = base_rows()
    rows[1][8] = "13700000000"
    run_import(write(tmp_path, "r2.csv", rows))
    for change in ObjectChange.objects.all():
        text = f"{change.prechange_data} {change.postchange_data} {change.object_repr}"
        for secret in (ZW, LN, ZXM, WF, "13912345678", "13700000000", "13800000001"):
            assert secret not in text


# --- memberships and moves -----------------------------------------------------------------------------


def test_moving_to_another_household_closes_the_old_membership(world, tmp_path):
    run_import(write(tmp_path, "r.csv", base_rows()))
    rows = base_rows()
    rows[3][0], rows[3][6] = "0002", "孙子"  # 张小明 moves to 0002
    run = run_import(write(tmp_path, "r2.csv", rows))
    assert run.summary == counts(rows=4, updated=1, unchanged=3, households_updated=2)
    zxm = by_name("张小明")
    history = list(Membership.objects.filter(person=zxm).order_by("pk"))
    assert len(history) == 2
    old, new = history
    assert old.household.number == "0001" and old.end == TODAY and old.reason
    assert new.household.number == "0002" and new.end is None and new.relationship == "41"
    assert new.start == TODAY
    assert zxm.household.number == "0002" and zxm.relationship == "41"
    # the re-import of the new file is unchanged
    assert run_import(tmp_path / "r2.csv").summary == counts(rows=4, unchanged=4)


def test_a_head_moving_out_leaves_the_old_household_without_that_head(world, tmp_path):
    run_import(write(tmp_path, "r.csv", base_rows()))
    rows = base_rows()
    rows[1][0] = "0003"  # 张伟, head of 0001, starts household 0003
    rows[2][6] = "户主"  # 李娜 becomes head of 0001
    run_import(write(tmp_path, "r2.csv", rows))
    assert Household.objects.get(number="0003").head == by_name("张伟")
    assert Household.objects.get(number="0001").head == by_name("李娜")


def test_a_head_moving_out_clears_the_old_households_head(world, tmp_path):
    run_import(write(tmp_path, "r.csv", base_rows()))
    rows = base_rows()
    rows[1][0] = "0003"  # 张伟 leaves 0001 (which keeps no head in the file)
    run_import(write(tmp_path, "r2.csv", rows))
    old = Household.objects.get(number="0001")
    assert old.head is None


def test_relationship_change_relabels_the_membership(world, tmp_path):
    run_import(write(tmp_path, "r.csv", base_rows()))
    rows = base_rows()
    rows[3][6] = "长子"
    run = run_import(write(tmp_path, "r2.csv", rows))
    assert run.summary["updated"] == 1 and run.summary["households_updated"] == 1
    m = Membership.objects.get(person=by_name("张小明"), end__isnull=True)
    assert m.relationship == "22" and Membership.objects.filter(person=by_name("张小明")).count() == 1


# --- scope -------------------------------------------------------------------------------------------


def test_person_living_in_another_community_is_refused_for_a_scoped_user(world, tmp_path):
    register_in_b(world)
    run = run_import(write(tmp_path, "r.csv", base_rows()), A, "--user", "director")
    assert run.summary["rejected"] == 1 and run.summary["created"] == 3
    assert "管辖范围以外" in stderr_line(run, 2)
    zw = by_name("张伟")
    assert zw.community == world.b and zw.household.number == "B0001"


def test_the_command_line_may_move_a_person_from_another_community(world, tmp_path):
    p = register_in_b(world)
    run = run_import(write(tmp_path, "r.csv", base_rows()))
    assert run.summary["updated"] == 1 and run.summary["created"] == 3 and run.summary["rejected"] == 0
    p.refresh_from_db()
    assert p.community == world.a and p.household.number == "0001"
    old = Membership.objects.get(person=p, household__number="B0001")
    assert old.end == TODAY
    assert Membership.objects.get(person=p, end__isnull=True).household.community == world.a


def test_a_person_moved_out_of_another_community_may_be_imported_by_a_scoped_user(world, tmp_path):
    p = register_in_b(world)
    p.life_status = Person.LifeStatus.MOVED_OUT
    p.save()
    run = run_import(write(tmp_path, "r.csv", base_rows()), A, "--user", "director")
    assert run.summary["rejected"] == 0
    p.refresh_from_db()
    assert p.community == world.a and p.life_status == "living"


def test_user_without_import_permission_or_scope_is_refused(world, tmp_path):
    path = write(tmp_path, "r.csv", base_rows())
    with pytest.raises(CommandError, match="权限"):
        run_import(path, B, "--user", "director")
    with pytest.raises(CommandError, match="权限"):
        run_import(path, A, "--user", "official")
    assert Person.objects.count() == 0


def test_unknown_community_file_or_missing_name_column(world, tmp_path):
    with pytest.raises(CommandError):
        run_import(write(tmp_path, "r.csv", base_rows()), "999999999999")
    with pytest.raises(CommandError):
        run_import(tmp_path / "missing.csv")
    with pytest.raises(CommandError, match="姓名"):
        run_import(write(tmp_path, "x.csv", [["户号", "身份证号"], ["0001", ZW]]))
    with pytest.raises(CommandError):
        run_import(write(tmp_path, "s.csv", base_rows()), world.street.code)


def test_the_command_line_moving_a_person_without_a_household_ends_the_old_membership(world, tmp_path):
    p = register_in_b(world)
    rows = [HEADER, ["", "张伟", ZW, "", "", "", "", "", "", "新家"]]
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary["updated"] == 1
    p.refresh_from_db()
    assert p.community == world.a and p.household is None and p.relationship == ""
    assert not Membership.objects.filter(person=p, end__isnull=True).exists()
    old = Household.objects.get(number="B0001")
    assert old.head is None


# --- identity across registers -------------------------------------------------------------------------


def test_a_person_registered_without_id_is_given_the_number_later(world, tmp_path):
    rows = [HEADER, ["0001", "孙悟空", "", "男", "", "1980-01-02", "户主", "", "", ""]]
    run_import(write(tmp_path, "r.csv", rows))
    number = pid("1980-01-02", 13)
    rows[1][2] = number
    run = run_import(write(tmp_path, "r2.csv", rows))
    assert run.summary == counts(rows=1, updated=1)
    p = Person.objects.get()
    assert p.id_number == number and p.name == "孙悟空"
    assert Membership.objects.filter(person=p).count() == 1
    assert run_import(tmp_path / "r2.csv").summary == counts(rows=1, unchanged=1)


def test_a_row_without_the_id_finds_the_person_registered_with_it(world, tmp_path):
    run_import(write(tmp_path, "r.csv", base_rows()))
    rows = base_rows()
    rows[2][2], rows[2][5] = "", "1972-06-07"  # 李娜 without her ID number (sex and birth date given)
    run = run_import(write(tmp_path, "r2.csv", rows))
    assert run.summary == counts(rows=4, unchanged=4)
    assert Person.objects.filter(name="李娜").count() == 1 and by_name("李娜").id_number == LN


def test_the_same_person_twice_in_a_file(world, tmp_path):
    run_import(write(tmp_path, "r.csv", base_rows()))
    rows = base_rows()
    rows.append(["0002", "李娜", "", "女", "", "1972-06-07", "配偶", "", "", ""])
    run = run_import(write(tmp_path, "r2.csv", rows))
    assert run.summary["rejected"] == 1 and run.summary["unchanged"] == 4
    assert "第 3 行" in stderr_line(run, 6)
    assert Membership.objects.get(person=by_name("李娜"), end__isnull=True).household.number == "0001"


@pytest.mark.parametrize("status", ["deceased", "moved_out"])
def test_a_person_who_died_or_moved_out_is_not_brought_back(world, tmp_path, status):
    run_import(write(tmp_path, "r.csv", base_rows()))
    zw = by_name("张伟")
    zw.life_status, zw.life_status_date, zw.household, zw.relationship = status, datetime.date(2025, 1, 1), None, ""
    zw.save()
    Membership.objects.filter(person=zw).update(end=datetime.date(2025, 1, 1))
    Household.objects.filter(number="0001").update(head=None)
    run = run_import(tmp_path / "r.csv")
    assert run.summary["rejected"] == 1 and run.summary["unchanged"] == 3
    line = stderr_line(run, 2)
    assert "2025-01-01" in line and ("死亡" in line or "迁出" in line)
    zw.refresh_from_db()
    assert zw.life_status == status and zw.household is None
    assert not Membership.objects.filter(person=zw, end__isnull=True).exists()
    assert Household.objects.get(number="0001").head is None


def test_a_person_who_died_in_another_community_is_not_brought_back(world, tmp_path):
    p = register_in_b(world)
    p.life_status = Person.LifeStatus.DECEASED
    p.save()
    run = run_import(write(tmp_path, "r.csv", base_rows()))
    assert run.summary["rejected"] == 1 and "死亡" in stderr_line(run, 2)
    p.refresh_from_db()
    assert p.community == world.b and p.life_status == "deceased"


def test_a_row_with_the_number_finds_the_person_an_earlier_chunk_registered_without_it(world, tmp_path, monkeypatch):
    """Chunks of one row: each chunk's lookups are queued ahead of the previous chunk's writes, except those
    of a chunk that may find a person an earlier chunk created (by name, birth date and sex)."""
    from tongxin.registry import register

    monkeypatch.setattr(register.common, "CHUNK", 1)
    number = pid("1980-01-02", 13)
    rows = [
        HEADER,
        ["0001", "孙悟空", "", "男", "汉族", "1980-01-02", "户主", "", "", ""],
        ["0001", "猪八戒", pid("1981-03-04", 15), "男", "汉族", "", "兄弟", "", "", ""],
        ["0001", "孙悟空", number, "男", "汉族", "1980-01-02", "户主", "", "", "花果山"],
    ]
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary["rows"] == 3 and run.summary["created"] == 2, run.stderr
    sun = by_name("孙悟空")
    assert sun.id_number == number and sun.current_address == "花果山"
    again = run_import(tmp_path / "r.csv")  # both of his rows now find him: the file holds him twice
    assert again.summary["unchanged"] == 2 and again.summary["rejected"] == 1
    assert "第 2 行" in stderr_line(again, 4)


def test_a_new_number_never_takes_over_a_namesake_who_has_one(world, tmp_path):
    rows = [HEADER, ["0001", "孙悟空", pid("1980-01-02", 13), "男", "汉族", "", "户主", "", "", ""]]
    run_import(write(tmp_path, "r.csv", rows))
    rows[1][2] = pid("1980-01-02", 17)  # same name, sex and birth date, another number: another person
    assert run_import(write(tmp_path, "r2.csv", rows)).summary["created"] == 1
    assert Person.objects.filter(name="孙悟空").count() == 2


@pytest.mark.parametrize("between", [0, 1, 4])
def test_two_new_numbers_for_one_person_without_a_number_give_it_once_however_far_apart(
    world, tmp_path, monkeypatch, between
):
    """Chunks of one row, whose lookups run a few chunks ahead of the writes: the first row with a new number
    gives it to the person registered without one; a later row with another number is another person, whether
    its lookups ran before or after the first row's write."""
    from tongxin.registry import register

    rows = [HEADER, ["0001", "孙悟空", "", "男", "汉族", "1980-01-02", "户主", "", "", ""]]
    run_import(write(tmp_path, "r.csv", rows))
    monkeypatch.setattr(register.common, "CHUNK", 1)
    first, second = pid("1980-01-02", 13), pid("1980-01-02", 17)
    rows = [HEADER, ["0001", "孙悟空", first, "男", "汉族", "1980-01-02", "户主", "", "", ""]]
    for i in range(between):
        rows.append(["0002", f"路人{i}", pid(f"1990-05-0{i + 1}", 11), "男", "汉族", "", "户主", "", "", ""])
    rows += [["0003", "孙悟空", second, "男", "汉族", "1980-01-02", "户主", "", "", ""]]
    run = run_import(write(tmp_path, "r2.csv", rows))
    assert run.summary["updated"] == 1 and run.summary["created"] == 1 + between, run.stderr
    assert run.summary["rejected"] == 0
    numbers = {p.id_number for p in Person.objects.filter(name="孙悟空")}
    assert numbers == {first, second}
