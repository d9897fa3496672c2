"""Hostile files through the generic importer (the grid import page /org/grids/import/, the import API and the
engine): zip bombs, sparse workbooks, over-long cells and lines, too many rows, duplicate headers, formula cells,
over-long fields and wrong encodings. Each is refused (or its row rejected) with a Chinese message naming what it
can (row, column, field), and writes nothing. The files are generated small (tests/hostile_files.py)."""

from __future__ import annotations

import codecs
import sys
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.hostile_files import csv_text, many_members, raw_xlsx, sparse_xlsx, xlsx_bytes, zip_bomb
from tongxin.core.importer import ImportFileError, read_rows
from tongxin.core.importfile import formula_start
from tongxin.core.models import ImportJob
from tongxin.org.importers import GridImporter
from tongxin.org.models import Grid

IMPORT_URL = "/org/grids/import/"
HEADER = ["所属社区", "网格编号", "网格名称", "说明"]


@pytest.fixture
def director(client, world):
    client.force_login(world.users["director"])
    return client


def grid_rows(world, *extra: list[str]) -> list[list[str]]:
    return [HEADER, [world.a.name, "G01", "第一网格", "东片"], *extra]


def refusal(client, name: str, content: bytes) -> str:
    """Upload a file that must be refused; its message (from the upload page, or from the failed job when the
    worker found the problem). Asserts that no grid was written."""
    before = Grid.objects.count()
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)})
    assert Grid.objects.count() == before
    if response.status_code == 400:
        return response.content.decode()
    assert response.status_code == 302, response.content.decode()[:500]
    job = ImportJob.objects.latest("pk")
    assert job.status == ImportJob.Status.FAILED, (job.status, job.problems)
    assert job.error
    return job.error


# --- zip bombs and what a workbook expands to ---------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    """A valid workbook of some 70 KB whose shared-string table is one 64 MB string (a ratio of 1000)."""
    rows = [HEADER, ["桃源社区", "G01", "第一网格", ""]]
    return zip_bomb(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", rows, megabytes=64)


def test_a_zip_bomb_is_refused_at_upload_from_its_directory_without_reading_it(director, world, bomb):
    assert bomb.stat().st_size < 1_000_000
    assert director.get(IMPORT_URL).status_code == 200  # (the first request's imports are not the upload's)
    tracemalloc.start()
    try:
        message = refusal(director, "网格.xlsx", bomb.read_bytes())
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "疑似压缩炸弹" in message and "xl/sharedStrings.xml" in message
    assert peak < 32 * 1024 * 1024  # the 64 MB string was never decompressed
    assert not ImportJob.objects.exists()  # refused before a job was made


def test_a_zip_bomb_uploaded_through_the_api_is_refused_before_a_job_is_made(client, world, bomb):
    from tongxin.core.models import ImportJob

    response = client.post(
        "/api/v1/core/imports/",
        {"target": "org.Grid", "file": SimpleUploadedFile("网格.xlsx", bomb.read_bytes())},
        headers={"Authorization": f"Bearer {world.tokens['director']}"},
    )
    assert response.status_code == 400, response.content
    assert "疑似压缩炸弹" in response.json()["detail"]
    assert not ImportJob.objects.exists()
    assert Grid.objects.count() == 2  # the world's two grids


def test_a_zip_bomb_is_refused_by_the_engine_whatever_the_ratio_allows(settings, world, bomb):
    """Each bound holds on its own: the part read whole, then the total."""
    settings.IMPORT_MAX_COMPRESSION_RATIO = 100_000
    settings.IMPORT_MAX_SHARED_STRINGS_MB = 32
    importer = GridImporter(world.users["director"])
    with pytest.raises(ImportFileError, match=r"xl/sharedStrings.xml.*超过 32 MB.*疑似压缩炸弹"):
        importer.process(bomb, commit=True)
    settings.IMPORT_MAX_SHARED_STRINGS_MB = 1000
    settings.IMPORT_MAX_UNCOMPRESSED_MB = 48
    with pytest.raises(ImportFileError, match=r"文件解压后超过 48 MB.*疑似压缩炸弹"):
        importer.process(bomb, commit=True)
    assert Grid.objects.count() == 2


def test_shared_strings_under_another_name_are_bounded_too(settings, tmp_path, world):
    settings.IMPORT_MAX_COMPRESSION_RATIO = 100_000
    settings.IMPORT_MAX_SHARED_STRINGS_MB = 1
    path = raw_xlsx(tmp_path / "g.xlsx", grid_rows(world), shared_mb=2, shared_name="xl/worksheets/strings.xml")
    with pytest.raises(ImportFileError, match=r"xl/worksheets/strings\.xml.*疑似压缩炸弹"):
        list(read_rows(path))


def test_a_workbook_of_too_many_parts_is_refused_before_its_directory_is_read(director, tmp_path):
    message = refusal(director, "网格.xlsx", many_members(tmp_path / "m.xlsx", 10_001).read_bytes())
    assert "包含 10001 个部件" in message and "已拒绝导入" in message


@pytest.mark.skipif(sys.platform != "linux", reason="the calamine child's memory cap needs Linux (RLIMIT_AS, /proc)")
def test_a_sparse_workbook_is_refused_without_taking_the_process_down(director, world, tmp_path):
    """Calamine would allocate the sheet's span, XFD1048576, as a dense grid (512 GB) and abort the process: it
    runs in a child under a memory cap, whose death refuses the file."""
    path = sparse_xlsx(tmp_path / "s.xlsx", grid_rows(world))
    message = refusal(director, "网格.xlsx", path.read_bytes())
    assert "内存超出上限" in message and "已拒绝导入" in message


def test_a_workbook_is_still_read_in_full_through_the_calamine_child(tmp_path, world):
    """Dates and leading blank columns come back as openpyxl reads them (the child sends them over a pipe)."""
    import datetime

    from tongxin.core.importer import _read_xlsx_openpyxl, cell_text

    moment = datetime.datetime(2027, 1, 1, 9, 30)
    content = xlsx_bytes([[None, "名称", "日期", "时刻"], [None, "元旦", datetime.date(2027, 1, 1), moment]])
    path = tmp_path / "h.xlsx"
    path.write_bytes(content)
    rows = list(read_rows(path))
    assert [[cell_text(c) for c in r] for r in rows] == [[cell_text(c) for c in r] for r in _read_xlsx_openpyxl(path)]
    assert [cell_text(c) for c in rows[1]] == ["", "元旦", "2027-01-01", "2027-01-01 09:30"]  # column A is kept


# --- bounds while reading -------------------------------------------------------------------------------------


def test_a_cell_longer_than_the_limit_is_refused_naming_its_row_and_column(settings, director, world):
    settings.IMPORT_MAX_CELL_CHARS = 1000
    rows = grid_rows(world, [world.a.name, "G02", "第二网格", "长" * 1001])
    for name, content in (("网格.xlsx", xlsx_bytes(rows)), ("网格.csv", csv_text(rows).encode())):
        message = refusal(director, name, content)
        assert "第 3 行 D 列的单元格有 1001 个字符，超过 1000 个字符的上限" in message, message
        assert "已拒绝导入" in message


def test_a_csv_field_beyond_the_csv_module_limit_gives_a_message_not_a_system_error(director, world):
    """A field over 131,072 characters raised csv.Error: the job failed with 系统出错 (a traceback on the
    command line)."""
    rows = grid_rows(world, [world.a.name, "G02", "第二网格", "长" * 200_000])
    message = refusal(director, "网格.csv", csv_text(rows).encode())
    assert "第 3 行有单元格超过 32767 个字符的上限" in message
    assert "系统出错" not in message


def test_a_csv_line_beyond_the_line_limit_is_refused_before_it_is_held(settings, director, world):
    settings.IMPORT_MAX_CELL_CHARS = 100  # lines of at most 6,400 characters
    line = ",".join(["x"] * 4000)  # 4,000 short cells: no cell is too long, the line is
    content = (csv_text(grid_rows(world)) + line + "\n").encode()
    message = refusal(director, "网格.csv", content)
    assert "第 3 行超过 6400 个字符" in message


def test_a_row_with_too_many_columns_is_refused(director, world):
    rows = grid_rows(world, [world.a.name, "G02", "第二网格", *(["x"] * 1100)])
    message = refusal(director, "网格.csv", csv_text(rows).encode())
    assert "第 3 行有 1103 列，超过 1024 列的上限" in message


def test_a_file_with_more_rows_than_the_limit_is_refused_and_writes_nothing(settings, director, world):
    settings.IMPORT_MAX_ROWS = 5
    rows = [HEADER, *([world.a.name, f"G{i:02}", f"第{i}网格", ""] for i in range(6))]
    for name, content in (("网格.csv", csv_text(rows).encode()), ("网格.xlsx", xlsx_bytes(rows))):
        message = refusal(director, name, content)
        assert "文件超过 5 行的上限" in message


# --- headers ---------------------------------------------------------------------------------------------------


def test_two_columns_with_the_same_header_are_refused_naming_both(director, world):
    rows = [["所属社区", "网格编号", "网格名称", "网格名称"], [world.a.name, "G01", "第一网格", "另一个名称"]]
    message = refusal(director, "网格.csv", csv_text(rows).encode())
    assert "表头（第 1 行）有两列“网格名称”：C 列和 D 列" in message
    assert "无法确定导入哪一列" in message


def test_a_second_header_of_the_same_field_is_reported_as_not_imported(tmp_path, world):
    path = tmp_path / "g.csv"
    path.write_text(csv_text([["所属社区", "网格编号", "网格名称", "名称"], [world.a.name, "G01", "第一网格", "别名"]]))
    outcome = GridImporter(world.users["director"]).process(path, commit=True)
    assert outcome["unknown_columns"] == ["名称（与“网格名称”重复）"]
    assert Grid.objects.get(code="G01").name == "第一网格"


# --- formula cells -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "char"),
    [
        ('=HYPERLINK("http://evil.example","点击")', "="),
        ("@SUM(A1:A2)", "@"),
        ("+A1", "+"),
        ("-2+3+cmd|' /C calc'!A0", "-"),
        ("-3 个楼栋", "-"),
        ("=", "="),
        ("-3", ""),
        ("-2.5", ""),
        ("+86 139-1234-5678", ""),
        ("+86(871)65123456", ""),
        ("-", ""),
        ("东片-3号楼", ""),
        ("", ""),
    ],
)
def test_formula_start_flags_what_a_spreadsheet_would_compute(text, char):
    assert formula_start(text) == char


def test_formula_cells_in_text_fields_are_rejected_and_the_other_rows_imported(director, world):
    rows = [
        HEADER,
        [world.a.name, "G01", '=HYPERLINK("http://evil.example","点击")', ""],
        [world.a.name, "G02", "第二网格", "@SUM(A1:A2)"],
        [world.a.name, "G03", "第三网格", "-2+3+cmd|' /C calc'!A0"],
        [world.a.name, "G04", "第四网格", "-"],
        [world.a.name, "G05", "第五网格", "+86 139 1234 5678"],
    ]
    response = director.post(IMPORT_URL, {"file": SimpleUploadedFile("网格.csv", csv_text(rows).encode())})
    job = ImportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert job.summary["rejected"] == 3 and job.summary["created"] == 2
    errors = {p["row"]: p["errors"] for p in job.problems}
    assert errors[2] == [
        '网格名称“=HYPERLINK("http://evil.exampl…（共 38 个字符）”以“=”开头，会被 Excel 等表格软件当作公式，'
        "不予导入；如确为文字，请去掉开头的“=”"
    ]
    assert "说明“@SUM(A1:A2)”以“@”开头" in errors[3][0]
    assert "以“-”开头" in errors[4][0]
    director.post(job.get_absolute_url())
    assert set(Grid.objects.filter(community=world.a).values_list("code", flat=True)) == {"A01", "G04", "G05"}


# --- field lengths and other model constraints ------------------------------------------------------------


def test_an_over_long_field_is_rejected_naming_row_and_field_and_the_other_rows_are_imported(tmp_path, world):
    """On SQLite a 10,000-character name was stored; on PostgreSQL it aborted the file naming no row."""
    path = tmp_path / "g.csv"
    long_name = "长" * 10_000
    path.write_text(csv_text(grid_rows(world, [world.a.name, "G02", long_name, ""], [world.a.name, "G" * 33, "x", ""])))
    importer = GridImporter(world.users["director"])
    outcome = importer.process(path, commit=True)
    assert outcome["summary"]["created"] == 1 and outcome["summary"]["rejected"] == 2
    errors = {p["row"]: p["errors"] for p in outcome["problems"]}
    assert len(errors[3]) == 1 and errors[3][0].startswith("网格名称“" + "长" * 30 + "…（共 10000 个字符）”：")
    assert "100" in errors[3][0].split("：", 1)[1]  # the form's message: at most 100 characters
    assert errors[4][0].startswith("网格编号“") and "32" in errors[4][0]
    assert set(Grid.objects.filter(community=world.a).values_list("code", flat=True)) == {"A01", "G01"}
    assert not Grid.objects.filter(name=long_name).exists()


def test_an_over_long_field_with_all_or_nothing_writes_nothing(tmp_path, world):
    path = tmp_path / "g.csv"
    path.write_text(csv_text(grid_rows(world, [world.a.name, "G02", "长" * 101, ""])))
    outcome = GridImporter(world.users["director"]).process(path, commit=True, all_or_nothing=True)
    assert outcome["summary"]["rolled_back"] and outcome["problems"][0]["row"] == 3
    assert Grid.objects.count() == 2


# --- encodings and files that are not what their name says ----------------------------------------------


def test_a_gbk_and_a_utf16_csv_are_read(tmp_path, world):
    """Excel's “Unicode 文本” is UTF-16 with a BOM, tab-separated."""
    rows = grid_rows(world)
    for name, content in (
        ("gbk.csv", csv_text(rows).encode("gbk")),
        ("utf16.csv", "\n".join("\t".join(r) for r in rows).encode("utf-16")),
    ):
        path = tmp_path / name
        path.write_bytes(content)
        assert [[str(c) for c in r] for r in read_rows(path)] == rows, name


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("utf16-no-bom.csv", "所属社区,网格编号,网格名称\n".encode("utf-16-le"), "不是文本格式的 CSV"),
        ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "不是文本格式的 CSV"),
        ("workbook.csv", b"PK\x03\x04" + b"\x00" * 100, "请把扩展名改为 .xlsx"),
        ("old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "请把扩展名改为 .xls"),
        ("text.xlsx", "所属社区,网格编号\n".encode(), "文件内容不是 .xlsx 工作簿"),
        ("page.xls", b"<html><table><tr><td>1</td></tr></table></html>", "可能是网页或文本文件改了扩展名"),
        ("new.xls", b"PK\x03\x04" + b"\x00" * 100, "请把扩展名改为 .xlsx"),
        ("mixed.csv", "所属社区,网格编号,网格名称\n".encode() + b"\xff\xfe\xfd\x80\x80\n", "无法识别文件的编码"),
    ],
)
def test_a_file_in_a_wrong_encoding_or_of_another_type_gets_a_clear_message(director, name, content, expected):
    message = refusal(director, name, content)
    assert expected in message, message
    assert "系统出错" not in message


def test_the_utf8_bom_is_still_taken_off(tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes(codecs.BOM_UTF8 + "所属社区,网格编号\n桃源社区,G01\n".encode())
    assert next(iter(read_rows(path))) == ["所属社区", "网格编号"]


# --- the other commands that load files ---------------------------------------------------------------------


def test_load_holidays_and_load_divisions_give_a_message_for_a_hostile_csv(db, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from tongxin.core.models import Holiday
    from tongxin.org.models import Division

    holidays, divisions = Holiday.objects.count(), Division.objects.count()
    huge = tmp_path / "huge.csv"
    huge.write_text("date,is_workday,name,source\n2027-01-01,0," + "长" * 200_000 + ",x\n", encoding="utf-8")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("code,name,level,parent_code\n530000,云南省,province,\n".encode("gbk"))
    with pytest.raises(CommandError, match=r"无法读取文件.*未导入任何数据"):
        call_command("load_holidays", str(huge))
    with pytest.raises(CommandError, match="应为 UTF-8 编码的 CSV"):
        call_command("load_divisions", "--file", str(gbk))
    assert (Holiday.objects.count(), Division.objects.count()) == (holidays, divisions)
