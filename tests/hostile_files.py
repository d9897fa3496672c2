"""Hostile import files, generated small: zip bombs, sparse workbooks, over-long cells, wrong encodings.

Each is a few hundred kilobytes at most on disk (a bomb is written with ``ZIP_DEFLATED`` in chunks: 200 MB of one
character compress to some 200 KB), so the tests that use them stay fast and nothing large is kept in the tree.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from openpyxl import Workbook

from tongxin.core.importfile import column_letter

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


_letters = column_letter


def _sheet_rows(rows: list[list[str]]) -> str:
    return "".join(
        f'<row r="{r}">' + "".join(_cell(f"{_letters(c)}{r}", v) for c, v in enumerate(row) if v) + "</row>"
        for r, row in enumerate(rows, 1)
    )


def raw_xlsx(
    path: Path,
    rows: list[list[str]],
    *,
    shared_mb: int = 0,
    extra_cells: str = "",
    dimension: str | None = None,
    shared_name: str = "xl/sharedStrings.xml",
) -> Path:
    """A minimal valid workbook written by hand: ``rows`` as inline strings, then ``extra_cells`` (raw XML of
    further rows), an optional lying ``dimension``, and with ``shared_mb`` a shared-string table holding one
    string of that many megabytes of "a" (referenced by the cell under the last row): a zip bomb."""
    shared = shared_mb > 0
    types = (
        f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        + (f'<Override PartName="/{shared_name}" ContentType="{_CT}.sharedStrings+xml"/>' if shared else "")
        + "</Types>"
    )
    root_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS}" xmlns:r="{_REL}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    target = shared_name.removeprefix("xl/")
    workbook_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        + (f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="{target}"/>' if shared else "")
        + "</Relationships>"
    )
    body = _sheet_rows(rows)
    if shared:
        body += f'<row r="{len(rows) + 1}"><c r="A{len(rows) + 1}" t="s"><v>0</v></c></row>'
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_NS}">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + f"<sheetData>{body}{extra_cells}</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared:
            with archive.open(shared_name, "w", force_zip64=True) as out:
                out.write(
                    f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_NS}" count="1" uniqueCount="1">'.encode()
                )
                out.write(b"<si><t>")
                block = b"a" * (1 << 20)
                for _ in range(shared_mb):
                    out.write(block)
                out.write(b"</t></si></sst>")
    return path


def zip_bomb(path: Path, rows: list[list[str]], megabytes: int = 200) -> Path:
    """A valid workbook of ``rows`` whose shared-string table is one string of ``megabytes`` MB (about 1/1000 of
    that on disk)."""
    return raw_xlsx(path, rows, shared_mb=megabytes)


def sparse_xlsx(path: Path, rows: list[list[str]]) -> Path:
    """A workbook of ``rows`` with one more cell in the sheet's last row and column (XFD1048576) and a dimension
    that claims only ``rows``: read as a dense grid, it spans 17 billion cells."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    last = f"{_letters(max(len(r) for r in rows) - 1)}{len(rows)}"
    return raw_xlsx(path, rows, extra_cells=far, dimension=f"A1:{last}")


def many_members(path: Path, members: int) -> Path:
    """A zip of ``members`` empty files named like a workbook's parts."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for i in range(members):
            archive.writestr(f"xl/media/p{i}.xml", b"")
    return path


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    """An ordinary workbook written by openpyxl."""
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_text(rows: list[list[object]]) -> str:
    """Rows as CSV text (quoted where needed)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["" if c is None else str(c) for c in r] for r in rows])
    return buf.getvalue()
