"""Helpers of the registry tests: registers written as CSV/XLSX files, the import command run with its
JSON summary, valid ID numbers, a small register and a person of it registered in the other community."""

from __future__ import annotations

import csv
import datetime
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from tongxin.core import idnumber
from tongxin.registry.models import Household, Membership, Person

REGION = "530103"
HEADER = ["户号", "姓名", "公民身份号码", "性别", "民族", "出生日期", "与户主关系", "居民小组", "联系电话", "现住址"]


def pid(birth: datetime.date | str, seq: int, region: str = REGION) -> str:
    """A valid ID number (odd ``seq``: a man)."""
    if isinstance(birth, str):
        birth = datetime.date.fromisoformat(birth)
    return idnumber.make(region, birth, seq)


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["" if c is None else str(c) for c in r] for r in rows])
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_xlsx(source: bytes | Path) -> list[list[Any]]:
    data = source.read_bytes() if isinstance(source, Path) else source
    wb = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def write(tmp_path: Path, name: str, rows: list[list[Any]], encoding: str = "utf-8-sig") -> Path:
    """A register file: CSV in ``encoding`` or XLSX, by the name's suffix."""
    path = tmp_path / name
    path.write_bytes(xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows, encoding))
    return path


@dataclass
class Run:
    summary: dict[str, Any]
    stdout: str
    stderr: str


def run_import(path: Path, community: str = "530103002001", *args: str) -> Run:
    """``tongxin import-register PATH --community CODE ARGS``; the last stdout line parsed as JSON."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_register", str(path), "--community", community, *args, stdout=out, stderr=err)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    return Run(summary=json.loads(lines[-1]), stdout=out.getvalue(), stderr=err.getvalue())


def counts(
    rows=0, created=0, updated=0, unchanged=0, rejected=0, warnings=0, households_created=0, households_updated=0
) -> dict[str, int]:
    return {
        "rows": rows,
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "rejected": rejected,
        "warnings": warnings,
        "households_created": households_created,
        "households_updated": households_updated,
    }


ZW = pid("1970-03-05", 11)  # 张伟, a man
LN = pid("1972-06-07", 22)  # 李娜, a woman
ZXM = pid("2000-01-01", 31)  # 张小明
WF = pid("1985-05-05", 42)  # 王芳


def base_rows() -> list[list[str]]:
    """A register of two households: 张伟 (head), 李娜 and 张小明 in 0001; 王芳 (head) in 0002."""
    return [
        HEADER,
        ["0001", "张伟", ZW, "男", "汉族", "1970-03-05", "户主", "第一居民小组", "13912345678", "桃源路1号"],
        ["0001", "李娜", LN, "女", "汉族", "1972-06-07", "配偶", "1组", "13800000001", "桃源路1号"],
        ["0001", "张小明", ZXM, "男", "汉", "", "子", "1", "", ""],
        ["0002", "王芳", WF, "女", "彝族", "", "户主", "第二居民小组", "0871-65123456", "桃源路2号"],
    ]


def register_in_b(world) -> Person:
    """张伟, living in the other community (``world.b``) as the head of its household B0001."""
    h = Household.objects.create(community=world.b, number="B0001")
    p = Person.objects.create(community=world.b, name="张伟", id_number=ZW, household=h, relationship="02")
    Membership.objects.create(community=world.b, household=h, person=p, relationship="02")
    h.head = p
    h.save()
    return p
