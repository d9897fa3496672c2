"""The generic import engine, through the grid importer page (/org/grids/import/) and directly:
file formats and encodings, header aliases, per-row validation, preview, commit, upsert, audit,
all-or-nothing, the error and template workbooks, scoping and permissions."""

from __future__ import annotations

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from tongxin.core.importer import ImportFileError, map_headers, read_rows
from tongxin.core.models import ImportJob, ObjectChange
from tongxin.org.importers import GridImporter
from tongxin.org.models import Grid

IMPORT_URL = "/org/grids/import/"

#: the importing user for page tests: a deployment-wide administrator, and a community director
IMPORTERS = ["admin", "director"]


def grid_change_count() -> int:
    return ObjectChange.objects.filter(content_type=ContentType.objects.get_for_model(Grid)).count()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    return "\n".join(",".join(r) for r in rows).encode(encoding) + b"\n"


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_xlsx(content: bytes) -> list[list[object]]:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def good_rows(world) -> list[list[str]]:
    return [
        ["所属社区", "网格编号", "网格名称", "说明"],
        [world.a.name, "G01", "第一网格", "东片"],
        [world.a.code, "G02", "第二网格", ""],
        [world.a.name, "G03", "第三网格", "西片"],
    ]


def upload(client, name: str, content: bytes, all_or_nothing: bool = False):
    data = {"file": SimpleUploadedFile(name, content)}
    if all_or_nothing:
        data["all_or_nothing"] = "on"
    response = client.post(IMPORT_URL, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.latest("pk")
    assert response["Location"] == job.get_absolute_url()
    return job


def commit(client, job: ImportJob) -> ImportJob:
    response = client.post(job.get_absolute_url())
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def write(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


# --- reading and header mapping --------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_in_utf8_with_bom_and_gbk_reads_the_same(tmp_path, encoding):
    rows = [["所属社区", "网格编号", "网格名称"], ["桃源社区", "G01", "第一网格"]]
    path = write(tmp_path, "g.csv", csv_bytes(rows, encoding))
    assert [[str(c) for c in r] for r in read_rows(path)] == rows


def test_xlsx_title_row_above_header_is_skipped(tmp_path):
    path = write(
        tmp_path,
        "g.xlsx",
        xlsx_bytes([["2026年桃源社区网格台账"], [], ["社区", "编号", "名称"], ["桃源社区", "G01", "第一网格"]]),
    )
    hmap, data = map_headers(read_rows(path), GridImporter.headers)
    assert hmap.header_row == 3
    assert hmap.columns == {"community": 0, "code": 1, "name": 2}
    assert [(n, c) for n, c in data] == [(4, ["桃源社区", "G01", "第一网格"])]


@pytest.mark.parametrize(
    "header",
    [["社区", "编号", "名称"], ["所属社区", "网格编号", "网格名称"], [" 所属社区* ", "网格编号：", "网格 名称"]],
)
def test_header_aliases(tmp_path, header):
    path = write(tmp_path, "g.csv", csv_bytes([header, ["桃源社区", "G01", "第一网格"]]))
    hmap, _data = map_headers(read_rows(path), GridImporter.headers)
    assert hmap.columns == {"community": 0, "code": 1, "name": 2}
    assert hmap.unknown == []


def test_unsupported_type_and_missing_header_raise(tmp_path):
    with pytest.raises(ImportFileError):
        read_rows(write(tmp_path, "g.txt", b"x"))
    path = write(tmp_path, "g.csv", csv_bytes([["甲", "乙"], ["1", "2"]]))
    with pytest.raises(ImportFileError, match="表头"):
        map_headers(read_rows(path), GridImporter.headers)


def test_missing_required_column_is_reported(tmp_path, world):
    path = write(tmp_path, "g.csv", csv_bytes([["所属社区", "网格编号"], [world.a.name, "G01"]]))
    with pytest.raises(ImportFileError, match="网格名称"):
        GridImporter(world.users["director"]).process(path, commit=False)


# --- the engine directly -----------------------------------------------------------------------------


def test_engine_rejects_bad_rows_with_field_and_value_and_keeps_the_valid_ones(tmp_path, world):
    rows = [
        ["所属社区", "网格编号", "网格名称", "楼栋数"],
        [world.a.name, "G01", "第一网格", "3"],
        ["不存在社区", "G02", "第二网格", "4"],
        [world.a.name, "G03", "", "5"],
        [world.a.name, "G04", "第四网格", "6"],
    ]
    path = write(tmp_path, "g.csv", csv_bytes(rows))
    importer = GridImporter(world.users["director"])
    preview = importer.process(path, commit=False)
    assert preview["summary"]["rows"] == 4
    assert preview["summary"]["created"] == 2 and preview["summary"]["rejected"] == 2
    assert preview["unknown_columns"] == ["楼栋数"]
    assert not Grid.objects.filter(code__in=["G01", "G04"]).exists()
    outcome = importer.process(path, commit=True)
    assert outcome["summary"]["created"] == 2 and outcome["summary"]["rejected"] == 2
    assert set(Grid.objects.filter(community=world.a).values_list("code", flat=True)) == {"A01", "G01", "G04"}
    problems = {p["row"]: p for p in outcome["problems"]}
    assert set(problems) == {3, 4}
    unknown = " ".join(problems[3]["errors"])
    assert "所属社区" in unknown and "不存在社区" in unknown
    missing = " ".join(problems[4]["errors"])
    assert "网格名称" in missing
    assert dict(problems[3]["values"])["所属社区"] == "不存在社区"


def test_engine_reimport_is_unchanged_and_a_changed_cell_updates(tmp_path, world):
    director = world.users["director"]
    rows = [["所属社区", "网格编号", "网格名称", "网格员账号"], [world.a.name, "G01", "第一网格", "grid_member"]]
    path = write(tmp_path, "g.csv", csv_bytes(rows))
    assert GridImporter(director).process(path, commit=True)["summary"]["created"] == 1
    grid = Grid.objects.get(code="G01")
    assert list(grid.members.all()) == [world.users["grid_member"]]
    before = grid_change_count()
    again = GridImporter(director).process(path, commit=True)
    assert again["summary"]["unchanged"] == 1 and again["summary"]["created"] == again["summary"]["updated"] == 0
    assert grid_change_count() == before
    rows[1][2] = "第一网格（改）"
    changed = GridImporter(director).process(write(tmp_path, "g2.csv", csv_bytes(rows)), commit=True)
    assert changed["summary"]["updated"] == 1
    change = ObjectChange.objects.filter(object_id=str(grid.pk), action="update").latest("time")
    assert change.source == "import" and change.user == director
    assert str(change.request_id) == changed["batch_id"]
    assert ("name", "第一网格", "第一网格（改）") in change.diff()


def test_engine_all_or_nothing(tmp_path, world):
    rows = [["所属社区", "网格编号", "网格名称"], [world.a.name, "G01", "第一网格"], ["不存在社区", "G02", "第二网格"]]
    outcome = GridImporter(world.users["director"]).process(
        write(tmp_path, "g.csv", csv_bytes(rows)), commit=True, all_or_nothing=True
    )
    assert outcome["summary"]["rolled_back"] is True
    assert outcome["summary"]["created"] == 0
    assert not Grid.objects.filter(code="G01").exists()


# --- through the pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("importer", IMPORTERS)
def test_page_preview_writes_nothing_and_commit_creates(client, world, importer):
    client.force_login(world.users[importer])
    grids, changes = Grid.objects.count(), grid_change_count()
    job = upload(client, "grids.csv", csv_bytes(good_rows(world)))
    assert job.status == ImportJob.Status.PREVIEW
    assert job.summary["rows"] == 3 and job.summary["created"] == 3 and job.summary["rejected"] == 0
    assert Grid.objects.count() == grids and grid_change_count() == changes
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200
    job = commit(client, job)
    assert job.status == ImportJob.Status.DONE
    assert job.summary["created"] == 3
    assert Grid.objects.count() == grids + 3
    assert Grid.objects.get(code="G01").description == "东片"
    entries = ObjectChange.objects.filter(content_type=ContentType.objects.get_for_model(Grid), action="create")
    entries = entries.filter(request_id=job.batch_id)
    assert entries.count() == 3
    assert {(e.source, e.user_id) for e in entries} == {("import", world.users[importer].pk)}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_page_imports_csv_in_bom_utf8_and_gbk(client, world, encoding):
    client.force_login(world.users["admin"])
    job = commit(client, upload(client, "grids.csv", csv_bytes(good_rows(world), encoding)))
    assert job.status == ImportJob.Status.DONE, job.error
    assert set(Grid.objects.filter(code__startswith="G0").values_list("name", flat=True)) == {
        "第一网格",
        "第二网格",
        "第三网格",
    }


@pytest.mark.parametrize("importer", IMPORTERS)
def test_page_imports_xlsx_with_title_row_and_reports_unknown_columns(client, world, importer):
    rows = [["桃源社区网格台账（2026年）"], ["社区", "编号", "名称", "面积"], [world.a.name, "X1", "甲网格", 1.5]]
    client.force_login(world.users[importer])
    job = upload(client, "grids.xlsx", xlsx_bytes(rows))
    assert job.summary["header_row"] == 2
    assert job.summary["unknown_columns"] == ["面积"]
    assert "面积" in client.get(job.get_absolute_url()).content.decode()
    job = commit(client, job)
    assert Grid.objects.filter(community=world.a, code="X1", name="甲网格").exists()


def test_page_rejected_rows_and_error_workbook(client, world):
    rows = [
        *good_rows(world)[:2],
        ["不存在社区", "G08", "第八网格", ""],
        [world.a.name, "G09", "", ""],
        [world.a.name, "G10", "第十网格", ""],
    ]
    client.force_login(world.users["admin"])
    job = upload(client, "grids.csv", csv_bytes(rows))
    assert job.summary["created"] == 2 and job.summary["rejected"] == 2
    assert not Grid.objects.filter(code__startswith="G").exists()
    job = commit(client, job)
    assert job.summary["created"] == 2 and job.summary["rejected"] == 2
    assert set(Grid.objects.filter(code__startswith="G").values_list("code", flat=True)) == {"G01", "G10"}
    problems = {p["row"]: " ".join(p["errors"]) for p in job.problems}
    assert set(problems) == {3, 4}
    assert "不存在社区" in problems[3] and "所属社区" in problems[3]
    assert "网格名称" in problems[4]
    page = client.get(job.get_absolute_url())
    assert [p["row"] for p in page.context["rejected"]] == [3, 4]
    assert "不存在社区" in page.content.decode()

    response = client.get(job.get_absolute_url(), {"errors": "1"})
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    sheet = read_xlsx(response.content)
    header, body = sheet[0], sheet[1:]
    assert header[0] == "原行号" and header[-1] == "错误原因"
    assert header[1:4] == ["所属社区", "网格编号", "网格名称"]
    assert [r[0] for r in body] == [3, 4]
    assert [r[2] for r in body] == ["G08", "G09"]
    assert "不存在社区" in body[0][-1]
    assert "网格名称" in body[1][-1]


def test_engine_rejects_a_community_out_of_the_directors_scope(tmp_path, world):
    rows = [
        ["所属社区", "网格编号", "网格名称"],
        [world.a.name, "G01", "第一网格"],
        [world.b.name, "G10", "B的网格"],
        [world.b.code, "G11", "B的网格二"],
    ]
    outcome = GridImporter(world.users["director"]).process(write(tmp_path, "g.csv", csv_bytes(rows)), commit=True)
    assert outcome["summary"]["created"] == 1 and outcome["summary"]["rejected"] == 2
    problems = {p["row"]: " ".join(p["errors"]) for p in outcome["problems"]}
    assert world.b.name in problems[3] and world.b.code in problems[4]
    assert not Grid.objects.filter(community=world.b, code__in=["G10", "G11"]).exists()


def test_page_out_of_scope_community_is_rejected_for_the_director(client, world):
    rows = [*good_rows(world)[:2], [world.b.name, "G10", "B的网格", ""], [world.b.code, "G11", "B的网格二", ""]]
    client.force_login(world.users["director"])
    job = commit(client, upload(client, "grids.csv", csv_bytes(rows)))
    assert job.summary["created"] == 1 and job.summary["rejected"] == 2
    assert not Grid.objects.filter(community=world.b, code__in=["G10", "G11"]).exists()
    sheet = read_xlsx(client.get(job.get_absolute_url(), {"errors": "1"}).content)
    assert [r[2] for r in sheet[1:]] == ["G10", "G11"]


@pytest.mark.parametrize("importer", IMPORTERS)
def test_page_reimport_unchanged_then_changed_cell_updates(client, world, importer):
    client.force_login(world.users[importer])
    content = csv_bytes(good_rows(world))
    commit(client, upload(client, "grids.csv", content))
    changes = grid_change_count()
    job = commit(client, upload(client, "grids.csv", content))
    assert job.summary["unchanged"] == 3 and job.summary["created"] == 0 and job.summary["updated"] == 0
    assert grid_change_count() == changes
    rows = good_rows(world)
    rows[2][2] = "第二网格（更名）"
    job = commit(client, upload(client, "grids.csv", csv_bytes(rows)))
    assert (job.summary["unchanged"], job.summary["updated"]) == (2, 1)
    grid = Grid.objects.get(community=world.a, code="G02")
    assert grid.name == "第二网格（更名）"
    change = ObjectChange.objects.filter(object_id=str(grid.pk), action="update").get()
    assert change.source == "import"
    assert change.request_id == job.batch_id
    assert change.user == world.users[importer]
    assert [f for f, _b, _a in change.diff()] == ["name"]


@pytest.mark.parametrize("importer", IMPORTERS)
def test_page_all_or_nothing_with_a_bad_row_writes_nothing(client, world, importer):
    rows = [*good_rows(world), ["不存在社区", "G09", "坏行", ""]]
    client.force_login(world.users[importer])
    grids, changes = Grid.objects.count(), grid_change_count()
    job = commit(client, upload(client, "grids.csv", csv_bytes(rows), all_or_nothing=True))
    assert job.status == ImportJob.Status.DONE
    assert job.summary["rejected"] == 1 and job.summary["created"] == 0
    assert Grid.objects.count() == grids and grid_change_count() == changes


def test_template_download_has_the_headers(client, world):
    client.force_login(world.users["director"])
    response = client.get(IMPORT_URL, {"template": "1"})
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    assert "attachment" in response["Content-Disposition"]
    sheet = read_xlsx(response.content)
    assert sheet[0] == ["所属社区", "网格编号", "网格名称", "网格员账号", "责任党员账号", "说明"]


def test_user_without_import_permission_gets_403(client, world):
    for key in ("grid_member", "official", "nobody"):
        client.force_login(world.users[key])
        assert client.get(IMPORT_URL).status_code == 403, key
        assert client.get(IMPORT_URL, {"template": "1"}).status_code == 403, key
        response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("g.csv", csv_bytes(good_rows(world)))})
        assert response.status_code == 403, key
    assert not ImportJob.objects.exists()


def test_import_page_renders_for_the_director(client, world):
    client.force_login(world.users["director"])
    response = client.get(IMPORT_URL)
    assert response.status_code == 200
    assert "网格编号" in response.content.decode()


def test_another_users_job_is_not_visible(client, world):
    client.force_login(world.users["director"])
    job = upload(client, "grids.csv", csv_bytes(good_rows(world)))
    client.force_login(world.users["worker"])
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(job.get_absolute_url(), {"errors": "1"}).status_code == 404
    assert client.post(job.get_absolute_url()).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEW


def test_estimate_rows_of_csv_and_of_workbooks_with_and_without_dimensions(tmp_path):
    """The progress bar's total and the register import's choice of parsing processes come from it: a
    workbook written in write-only mode (Tongxin's own exports) records no dimensions."""
    from openpyxl import Workbook

    from tongxin.core.importer import estimate_rows

    csv_path = tmp_path / "r.csv"
    csv_path.write_text("姓名\n" + "".join(f"人{i}\n" for i in range(30)), encoding="utf-8")
    assert estimate_rows(csv_path) == 31
    for write_only in (False, True):
        wb = Workbook(write_only=write_only)
        ws = wb.create_sheet("花名册") if write_only else wb.active
        for i in range(120):
            ws.append([f"人{i}", i])
        path = tmp_path / f"r{write_only}.xlsx"
        wb.save(path)
        assert estimate_rows(path) == 120
    big = Workbook(write_only=True)
    ws = big.create_sheet("花名册")
    for i in range(30_000):
        ws.append([f"居民{i}", "530424198001020023", "云南省玉溪市华宁县宁州街道城关社区康宁小区17栋2单元101室"])
    path = tmp_path / "big.xlsx"
    big.save(path)
    assert 27_000 <= estimate_rows(path) <= 33_000  # scaled from the sheet's first megabyte
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    assert estimate_rows(tmp_path / "bad.xlsx") == 0


def test_xlsx_rows_read_by_calamine_match_openpyxl_and_keep_row_numbers(tmp_path):
    """Workbooks are read with calamine (fast), falling back to openpyxl: the same cell texts, and row
    numbers that match the sheet's even after blank and title rows."""
    import datetime

    from openpyxl import Workbook

    from tongxin.core.importer import _read_xlsx_openpyxl, cell_text, read_rows

    wb = Workbook()
    ws = wb.active
    ws["B2"] = "居民花名册"
    ws.append([None, "姓名", "出生日期", "联系电话", "人数", "登记时间"])
    ws.append([None, "张三 ", datetime.date(1980, 1, 2), 13912345678, 3, datetime.datetime(2024, 5, 6, 9, 30)])
    ws.append([None, "李四", "1981/2/3", "0871-65123456", 2.5, None])
    path = tmp_path / "r.xlsx"
    wb.save(path)

    def texts(rows):
        out = []
        for row in rows:
            cells = [cell_text(c) for c in row]
            while cells and cells[0] == "":  # leading blank columns: calamine starts at the first used one
                cells.pop(0)
            out.append(cells)
        return out

    fast, slow = texts(read_rows(path)), texts(_read_xlsx_openpyxl(path))
    assert fast == slow
    assert fast[1] == ["居民花名册", "", "", "", ""] and fast[0] == []
    assert fast[3] == ["张三", "1980-01-02", "13912345678", "3", "2024-05-06 09:30"]
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ImportFileError, match="无法读取 Excel 文件"):
        list(read_rows(tmp_path / "bad.xlsx"))


def test_a_workbook_too_large_for_calamine_is_streamed_by_openpyxl(tmp_path, monkeypatch):
    from openpyxl import Workbook

    from tongxin.core import importer

    wb = Workbook()
    for i in range(10):
        wb.active.append([f"人{i}", i])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    used: list[str] = []
    original = importer._read_xlsx_openpyxl
    monkeypatch.setattr(importer, "_read_xlsx_openpyxl", lambda p: used.append("openpyxl") or original(p))
    fast = list(importer.read_rows(path))
    assert used == []
    monkeypatch.setattr(importer, "CALAMINE_MAX_ROWS", 5)
    assert [[importer.cell_text(c) for c in r] for r in importer.read_rows(path)] == [
        [importer.cell_text(c) for c in r] for r in fast
    ]
    assert used == ["openpyxl"]
