"""Hostile files through the register import (the ``import_register`` command, the register upload page): over-long
fields and formula cells rejected row by row with the row and the column named (the other rows imported), and
files refused whole — a zip bomb, an oversized CSV field, duplicate headers, a wrong encoding — with a message and
nothing written. On PostgreSQL (TONGXIN_DATABASE_URL) the over-long name aborted the whole file before."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import CommandError

from tests.hostile_files import zip_bomb
from tongxin.core.models import ImportJob
from tongxin.registry.models import Household, PartyBranch, Person

from .helpers import HEADER, LN, WF, ZW, ZXM, base_rows, pid, run_import, write

IMPORT_URL = "/registry/persons/import/"


def nothing_written() -> bool:
    return not Person.objects.exists() and not Household.objects.exists() and not PartyBranch.objects.exists()


def problems(run) -> dict[int, str]:
    """The command's problem lines by row number ("第 3 行 未导入：…")."""
    lines = {}
    for line in run.stderr.splitlines():
        if line.startswith("第 ") and " 行 " in line:
            lines[int(line.split(" ")[1])] = line
    return lines


# --- field lengths -------------------------------------------------------------------------------------------


def test_an_over_long_name_is_rejected_naming_its_row_and_the_other_rows_are_imported(world, tmp_path):
    rows = base_rows()
    rows[2][1] = "长" * 10_000  # 李娜's row
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary["created"] == 3 and run.summary["rejected"] == 1
    assert problems(run)[3] == (
        "第 3 行 未导入：姓名“" + "长" * 30 + "…（共 10000 个字符）”过长：10000 个字符，最多 64 个"
    )
    assert set(Person.objects.values_list("name", flat=True)) == {"张伟", "张小明", "王芳"}


def test_every_free_text_column_is_checked_against_its_field(world, tmp_path):
    header = [*HEADER, "户籍地址", "工作单位", "职业", "所在党组织"]
    good = ["0001", "张伟", ZW, "男", "汉族", "", "户主", "1", "", "桃源路1号", "", "", "", ""]

    def row(**over):
        cells = dict(zip(header, good, strict=True))
        cells.update(over)
        return list(cells.values())

    rows = [
        header,
        row(),
        row(**{"户号": "0002", "姓名": "李娜", "公民身份号码": LN, "性别": "女", "现住址": "址" * 256}),
        row(**{"户号": "0003", "姓名": "张小明", "公民身份号码": ZXM, "户籍地址": "籍" * 256}),
        row(**{"户号": "0004", "姓名": "王芳", "公民身份号码": WF, "性别": "女", "工作单位": "单" * 129}),
        row(**{"户号": "0005", "姓名": "赵六", "公民身份号码": pid("1990-09-09", 17), "职业": "职" * 65}),
        row(**{"户号": "0" * 33, "姓名": "钱七", "公民身份号码": pid("1991-01-01", 19)}),
        row(**{"户号": "0007", "姓名": "孙八", "公民身份号码": pid("1992-02-02", 21), "所在党组织": "党" * 101}),
    ]
    run = run_import(write(tmp_path, "r.xlsx", rows))
    assert run.summary["created"] == 1 and run.summary["rejected"] == 6
    found = problems(run)
    for number, column, limit in (
        (3, "现住址", 255),
        (4, "户籍地址", 255),
        (5, "工作单位", 128),
        (6, "职业", 64),
        (7, "户号", 32),
        (8, "所在党组织", 100),
    ):
        assert f"第 {number} 行 未导入：{column}“" in found[number] and f"最多 {limit} 个" in found[number], found
    assert list(Person.objects.values_list("name", flat=True)) == ["张伟"]
    assert not PartyBranch.objects.exists()


def test_an_over_long_field_with_all_or_nothing_writes_nothing(world, tmp_path):
    rows = base_rows()
    rows[4][9] = "址" * 300
    run = run_import(write(tmp_path, "r.csv", rows), "530103002001", "--all-or-nothing")
    assert run.summary["rejected"] == 1 and run.summary.get("rolled_back")
    assert nothing_written()


# --- formula cells -------------------------------------------------------------------------------------------


def test_formula_cells_are_rejected_and_phones_and_dashes_are_not(world, tmp_path):
    header = [*HEADER, "备注"]
    rows = [
        header,
        ["0001", "张伟", ZW, "男", "汉族", "", "户主", "1", "+86 139 1234 5678", "桃源路1号", "-"],
        ["0001", '=HYPERLINK("http://evil.example","点击")', LN, "女", "汉族", "", "配偶", "1", "", "", ""],
        ["0001", "张小明", ZXM, "男", "汉族", "", "子", "1", "", "@SUM(A1)", ""],
        ["0002", "王芳", WF, "女", "汉族", "", "户主", "1", "=1+1", "", ""],
        ["0003", "赵六", pid("1990-09-09", 17), "男", "汉族", "", "户主", "1", "", "", "-2+3+cmd|' /C calc'!A0"],
    ]
    run = run_import(write(tmp_path, "r.csv", rows))
    assert run.summary["created"] == 1 and run.summary["rejected"] == 4
    found = problems(run)
    assert "姓名“=HYPERLINK(" in found[3] and "以“=”开头，会被 Excel 等表格软件当作公式" in found[3]
    assert "现住址“@SUM(A1)”以“@”开头" in found[4]
    assert "联系电话“=1+1”以“=”开头" in found[5]
    assert "备注“-2+3+cmd|' /C calc'!A0”以“-”开头" in found[6]
    person = Person.objects.get()
    assert person.name == "张伟" and person.notes == "-" and person.phone.endswith("13912345678")


# --- files refused whole ---------------------------------------------------------------------------------------


def test_an_oversized_csv_field_is_a_message_on_the_command_line_not_a_traceback(world, tmp_path):
    rows = base_rows()
    rows[3][9] = "长" * 200_000
    with pytest.raises(CommandError, match="第 4 行有单元格超过 32767 个字符的上限，疑似异常文件，已拒绝导入"):
        run_import(write(tmp_path, "r.csv", rows))
    assert nothing_written()


def test_a_cell_over_the_limit_is_refused_naming_row_and_column(world, tmp_path, settings):
    settings.IMPORT_MAX_CELL_CHARS = 500
    rows = base_rows()
    rows[3][9] = "长" * 501
    with pytest.raises(CommandError, match="第 4 行 J 列的单元格有 501 个字符"):
        run_import(write(tmp_path, "r.xlsx", rows))
    assert nothing_written()


def test_a_zip_bomb_is_refused_on_the_command_line_and_at_upload(world, tmp_path, client):
    bomb = zip_bomb(tmp_path / "bomb.xlsx", base_rows(), megabytes=64)
    with pytest.raises(CommandError, match="疑似压缩炸弹"):
        run_import(bomb)
    client.force_login(world.users["director"])
    response = client.post(
        IMPORT_URL, {"file": SimpleUploadedFile("花名册.xlsx", bomb.read_bytes()), "community": world.a.pk}
    )
    assert response.status_code == 400 and "疑似压缩炸弹" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert nothing_written()


def test_two_name_columns_are_refused_on_the_command_line_and_by_the_worker(world, tmp_path, client):
    rows = [[*HEADER, "姓名"], *[[*r, "别名"] for r in base_rows()[1:]]]
    path = write(tmp_path, "r.csv", rows)
    with pytest.raises(CommandError, match="表头（第 1 行）有两列“姓名”：B 列和 K 列"):
        run_import(path)
    client.force_login(world.users["director"])
    client.post(IMPORT_URL, {"file": SimpleUploadedFile("花名册.csv", path.read_bytes()), "community": world.a.pk})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and "有两列“姓名”" in job.error
    assert nothing_written()


def test_a_file_in_no_known_encoding_is_a_message_on_the_command_line(world, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n\xff\xfe\xfd\x80\x80\n")
    with pytest.raises(CommandError, match="无法识别文件的编码"):
        run_import(path)
    path.write_bytes(",".join(HEADER).encode("utf-16-le"))
    with pytest.raises(CommandError, match="不是文本格式的 CSV"):
        run_import(path)
    assert nothing_written()


def test_a_gbk_register_still_imports(world, tmp_path):
    run = run_import(write(tmp_path, "r.csv", base_rows(), encoding="gbk"))
    assert run.summary["created"] == 4
